/*
 * liblzma's config.h for wasm32-wasi, by hand (only the encoder parts mkfs.erofs uses are compiled:
 * LZMA1 with the MicroLZMA wrapper, its match finders, the CRC32 table they hash with). What
 * xz-utils' configure would have found in wasi-libc; no threads.
 */
#define HAVE_STDBOOL_H 1
#define HAVE__BOOL 1
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_STRING_H 1
#define HAVE_STRINGS_H 1
#define HAVE_MEMORY_H 1
#define SIZEOF_SIZE_T 4
#define HAVE_ENCODER_LZMA1 1
#define HAVE_MF_HC3 1
#define HAVE_MF_HC4 1
#define HAVE_MF_BT2 1
#define HAVE_MF_BT3 1
#define HAVE_MF_BT4 1
#define HAVE_CHECK_CRC32 1
#define TUKLIB_SYMBOL_PREFIX lzma_
#define PACKAGE_NAME "XZ Utils"
#define PACKAGE_URL "https://tukaani.org/xz/"
/* mythread.h's single-threaded branch defines an inline signal-mask helper that only the
 * multithreaded encoder calls; WASI has no signal masks. */
#define sigset_t int
#define sigprocmask(how, set, oset) ((void)(how), (void)(set), (void)(oset), 0)
