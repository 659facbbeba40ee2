/*
 * Partwright's streaming zstd compressor and decompressor.
 *
 * Compressor: a tiny wrapper over ZSTD_compressStream2 that owns one
 * compression context plus an input and an output buffer in linear memory. The host copies up to
 * zs_in_cap() bytes to zs_in_ptr(), calls zs_feed(), then zs_step(ZS_CONTINUE) until
 * zs_in_pending() is 0, taking zs_step()'s return value in bytes from zs_out_ptr() each time; at the
 * end it calls zs_step(ZS_END) until zs_remaining() is 0. Negative returns are -ZSTD_ErrorCode.
 *
 * Decompressor (zd_*): the same shape over ZSTD_decompressStream. zd_create(window_log_max) refuses
 * any frame whose window (or single-segment content size) is over 2^window_log_max bytes before
 * allocating it. The host copies input to zd_in_ptr(), calls zd_feed(), then zd_step() while
 * zd_in_pending() > 0 or the last step filled the output buffer (zd_out_cap() bytes: libzstd may hold
 * more). Each step hands back at most one output buffer, so the host can stop as soon as it has seen
 * enough bytes. zd_frame_done() is 1 when the input so far ends at a frame boundary.
 *
 * No imports: wasi-libc's malloc grows memory itself, nothing here does I/O.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdlib.h>
#include "zstd.h"
#include "zstd_errors.h"

#define EXPORT(name) __attribute__((export_name(#name))) 

#define IN_CAP (1u << 20)
#define ZS_CONTINUE 0
#define ZS_END 2

typedef struct {
  ZSTD_CCtx *cctx;
  unsigned char *in;
  size_t in_size, in_pos;
  unsigned char *out;
  size_t out_cap;
  size_t remaining;
  ZSTD_ErrorCode error;
} zs_stream;

static int fail(zs_stream *s, size_t r) {
  s->error = ZSTD_getErrorCode(r);
  return -(int)s->error;
}

EXPORT(zs_free) void zs_free(zs_stream *s) {
  if (!s) return;
  ZSTD_freeCCtx(s->cctx);
  free(s->in);
  free(s->out);
  free(s);
}

/* checksum: 1 writes the frame's XXH64 content checksum (the zstd CLI's default). */
EXPORT(zs_create) zs_stream *zs_create(int level, int checksum) {
  zs_stream *s = calloc(1, sizeof *s);
  if (!s) return 0;
  s->cctx = ZSTD_createCCtx();
  s->in = malloc(IN_CAP);
  s->out_cap = ZSTD_compressBound(IN_CAP);
  s->out = malloc(s->out_cap);
  if (!s->cctx || !s->in || !s->out
      || ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, level))
      || ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, checksum))
      || ZSTD_isError(ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_nbWorkers, 0))) {
    zs_free(s);
    return 0;
  }
  return s;
}

/* The total input size, written into the frame header (so `zstd -l` knows it); before any zs_step. */
EXPORT(zs_set_pledged_size) int zs_set_pledged_size(zs_stream *s, double bytes) {
  size_t r = ZSTD_CCtx_setPledgedSrcSize(s->cctx, (unsigned long long)bytes);
  return ZSTD_isError(r) ? fail(s, r) : 0;
}

EXPORT(zs_in_ptr) unsigned char *zs_in_ptr(zs_stream *s) { return s->in; }
EXPORT(zs_in_cap) size_t zs_in_cap(zs_stream *s) { (void)s; return IN_CAP; }
EXPORT(zs_out_ptr) unsigned char *zs_out_ptr(zs_stream *s) { return s->out; }
EXPORT(zs_in_pending) size_t zs_in_pending(zs_stream *s) { return s->in_size - s->in_pos; }
EXPORT(zs_remaining) size_t zs_remaining(zs_stream *s) { return s->remaining; }
EXPORT(zs_error_name) const char *zs_error_name(zs_stream *s) { return ZSTD_getErrorString(s->error); }

/* The host has written `n` bytes at zs_in_ptr(). */
EXPORT(zs_feed) void zs_feed(zs_stream *s, size_t n) {
  s->in_size = n > IN_CAP ? IN_CAP : n;
  s->in_pos = 0;
}

/* One ZSTD_compressStream2 call: bytes written at zs_out_ptr(), or -error. */
EXPORT(zs_step) int zs_step(zs_stream *s, int mode) {
  ZSTD_outBuffer out = { s->out, s->out_cap, 0 };
  ZSTD_inBuffer in = { s->in, s->in_size, s->in_pos };
  size_t r = ZSTD_compressStream2(s->cctx, &out, &in, mode == ZS_END ? ZSTD_e_end : ZSTD_e_continue);
  s->in_pos = in.pos;
  if (ZSTD_isError(r)) return fail(s, r);
  s->remaining = r;
  return (int)out.pos;
}

/* --- decompressor ------------------------------------------------------------------------------ */

typedef struct {
  ZSTD_DCtx *dctx;
  unsigned char *in;
  size_t in_size, in_pos;
  unsigned char *out;
  size_t out_cap;
  size_t hint; /* ZSTD_decompressStream's last return: 0 = a frame just ended */
  ZSTD_ErrorCode error;
} zd_stream;

static int zd_fail(zd_stream *s, size_t r) {
  s->error = ZSTD_getErrorCode(r);
  return -(int)s->error;
}

EXPORT(zd_free) void zd_free(zd_stream *s) {
  if (!s) return;
  ZSTD_freeDCtx(s->dctx);
  free(s->in);
  free(s->out);
  free(s);
}

/* window_log_max: 10..31 (ZSTD_d_windowLogMax); returns 0 if it is out of range or memory ran out. */
EXPORT(zd_create) zd_stream *zd_create(int window_log_max) {
  zd_stream *s = calloc(1, sizeof *s);
  if (!s) return 0;
  s->dctx = ZSTD_createDCtx();
  s->in = malloc(IN_CAP);
  s->out_cap = ZSTD_DStreamOutSize();
  s->out = malloc(s->out_cap);
  s->hint = 1; /* nothing read yet: not at a frame boundary */
  if (!s->dctx || !s->in || !s->out
      || ZSTD_isError(ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, window_log_max))) {
    zd_free(s);
    return 0;
  }
  return s;
}

EXPORT(zd_in_ptr) unsigned char *zd_in_ptr(zd_stream *s) { return s->in; }
EXPORT(zd_in_cap) size_t zd_in_cap(zd_stream *s) { (void)s; return IN_CAP; }
EXPORT(zd_out_ptr) unsigned char *zd_out_ptr(zd_stream *s) { return s->out; }
EXPORT(zd_out_cap) size_t zd_out_cap(zd_stream *s) { return s->out_cap; }
EXPORT(zd_in_pending) size_t zd_in_pending(zd_stream *s) { return s->in_size - s->in_pos; }
EXPORT(zd_frame_done) int zd_frame_done(zd_stream *s) { return s->hint == 0; }
EXPORT(zd_error_name) const char *zd_error_name(zd_stream *s) { return ZSTD_getErrorString(s->error); }

/* The host has written `n` bytes at zd_in_ptr(). */
EXPORT(zd_feed) void zd_feed(zd_stream *s, size_t n) {
  s->in_size = n > IN_CAP ? IN_CAP : n;
  s->in_pos = 0;
}

/* One ZSTD_decompressStream call: bytes written at zd_out_ptr() (at most zd_out_cap()), or -error. */
EXPORT(zd_step) int zd_step(zd_stream *s) {
  ZSTD_outBuffer out = { s->out, s->out_cap, 0 };
  ZSTD_inBuffer in = { s->in, s->in_size, s->in_pos };
  size_t r = ZSTD_decompressStream(s->dctx, &out, &in);
  if (ZSTD_isError(r)) return zd_fail(s, r);
  /* A call that moved nothing (the host checking for held-back output after a full buffer) leaves
   * the state as it was; its hint would be the next frame's header size even right after a frame. */
  if (out.pos > 0 || in.pos != s->in_pos) s->hint = r;
  s->in_pos = in.pos;
  return (int)out.pos;
}
