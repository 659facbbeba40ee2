/*
 * One-shot xz compression of squashfs blocks as squashfs-tools 4.5.1's xz_wrapper.c makes them: an
 * .xz stream (CRC32 check) holding one LZMA2 filter with lzma_lzma_preset(LZMA_PRESET_DEFAULT) and
 * the dictionary size the caller gives (mksquashfs: the block size for data and fragment blocks,
 * 8 KiB for metadata), encoded by lzma_stream_buffer_encode. No BCJ filters (mksquashfs' default).
 * The host writes a block at xb_in_ptr(), calls xb_compress(dict_bytes, n) and reads the returned
 * length at xb_out_ptr(); 0 means "did not fit": store the block uncompressed. Negative: an lzma_ret.
 * No imports: wasi-libc's malloc grows memory itself.
 */
#include <stdlib.h>
#include "lzma.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define BLOCK_CAP (1u << 20)

static unsigned char *in_buf, *out_buf;

EXPORT(xb_in_ptr) unsigned char *xb_in_ptr(void) {
  if (!in_buf) in_buf = malloc(BLOCK_CAP);
  return in_buf;
}

EXPORT(xb_out_ptr) unsigned char *xb_out_ptr(void) {
  if (!out_buf) out_buf = malloc(BLOCK_CAP);
  return out_buf;
}

EXPORT(xb_in_cap) unsigned xb_in_cap(void) { return BLOCK_CAP; }

/* Compress n bytes at xb_in_ptr() with an LZMA2 dictionary of dict_bytes (output up to BLOCK_CAP). */
EXPORT(xb_compress) int xb_compress(unsigned dict_bytes, unsigned n) {
  lzma_options_lzma opt;
  lzma_filter filters[2];
  size_t out_pos = 0;
  lzma_ret r;
  if (!xb_in_ptr() || !xb_out_ptr() || n > BLOCK_CAP) return -(int)LZMA_MEM_ERROR;
  if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT)) return -(int)LZMA_OPTIONS_ERROR;
  opt.dict_size = dict_bytes;
  filters[0].id = LZMA_FILTER_LZMA2;
  filters[0].options = &opt;
  filters[1].id = LZMA_VLI_UNKNOWN;
  filters[1].options = NULL;
  r = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in_buf, n, out_buf, &out_pos, BLOCK_CAP);
  if (r == LZMA_OK) return (int)out_pos;
  if (r == LZMA_BUF_ERROR) return 0;
  return -(int)r;
}
