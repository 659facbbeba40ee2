/*
 * One-shot zlib compression of squashfs blocks (gzip_wrapper.c in squashfs-tools does the same with
 * compress2-like deflate calls): the host writes a block at zb_in_ptr(), calls zb_compress(level, n),
 * and reads the zlib stream (header, deflate data, Adler-32) of the returned length at zb_out_ptr().
 * 0 means "did not fit in the block's size": store the block uncompressed. Negative: zlib error.
 * One stream is kept and reset between blocks (deflateReset), so a block costs no allocation.
 * No imports: wasi-libc's malloc grows memory itself.
 */
#include <stdlib.h>
#include "zlib.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define BLOCK_CAP (1u << 20)

static unsigned char *in_buf, *out_buf;
static z_stream strm;
static int strm_level = -1;

EXPORT(zb_in_ptr) unsigned char *zb_in_ptr(void) {
  if (!in_buf) in_buf = malloc(BLOCK_CAP);
  return in_buf;
}

EXPORT(zb_out_ptr) unsigned char *zb_out_ptr(void) {
  if (!out_buf) out_buf = malloc(BLOCK_CAP);
  return out_buf;
}

EXPORT(zb_in_cap) unsigned zb_in_cap(void) { return BLOCK_CAP; }

/* Compress n bytes at zb_in_ptr() with zlib `level` (window 15, memLevel 8, default strategy). */
EXPORT(zb_compress) int zb_compress(int level, unsigned n) {
  int r;
  if (!zb_in_ptr() || !zb_out_ptr() || n > BLOCK_CAP) return Z_MEM_ERROR;
  if (strm_level != level) {
    if (strm_level != -1) deflateEnd(&strm);
    strm_level = -1;
    r = deflateInit(&strm, level);
    if (r != Z_OK) return r;
    strm_level = level;
  } else if ((r = deflateReset(&strm)) != Z_OK) {
    return r;
  }
  strm.next_in = in_buf;
  strm.avail_in = n;
  /* Output no larger than the input: a block that does not shrink is stored as it is. */
  strm.next_out = out_buf;
  strm.avail_out = n;
  r = deflate(&strm, Z_FINISH);
  if (r == Z_STREAM_END) return (int)strm.total_out;
  if (r == Z_OK || r == Z_BUF_ERROR) return 0;
  return r;
}
