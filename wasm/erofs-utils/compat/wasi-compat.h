/*
 * Force-included (-include) into every erofs-utils translation unit after compat/config.h: what
 * wasi-libc (0.0~git20220510) lacks or defines differently, so no upstream file needs editing for it.
 * Definitions live in compat/wasi-stubs.c.
 */
#ifndef PARTWRIGHT_EROFS_WASI_COMPAT_H
#define PARTWRIGHT_EROFS_WASI_COMPAT_H
#include "config.h"
#include <errno.h>
#include <sys/types.h>
#include <sys/stat.h>

/*
 * wasi-libc gives S_IFIFO the value of S_IFSOCK (WASI has no FIFOs), which makes erofs-utils'
 * `switch (mode & S_IFMT)` statements fail to compile. Modes go into the image as they are: use
 * Linux's value for a FIFO (the WASI host never reports one).
 */
#undef S_IFIFO
#undef S_ISFIFO
#define S_IFIFO 0010000
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)

/* wasi-libc's PAGE_SIZE is the 64 KiB wasm page; erofs-utils means the Linux page (4 KiB) and
 * warns otherwise (include/erofs/internal.h). */
#include <limits.h>
#undef PAGE_SIZE
#define PAGE_SHIFT 12
#define PAGE_SIZE 4096

/* No extended attributes under WASI; only the errno is referenced (never returned by this build). */
#ifndef ENODATA
#define ENODATA ENOMSG
#endif

/* Terminal width for progress lines: there is no terminal; erofs-utils falls back to 80 columns. */
struct winsize {
	unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* wasi-libc has no realpath(); mkfs.erofs only resolves its source directory, which Partwright
 * passes as an absolute preopen path ("/in"). */
char *realpath(const char *path, char *resolved);

/* Linux's dev_t encoding, as glibc's <sys/sysmacros.h> (device inodes are never in the input). */
#ifndef makedev
#define major(dev) ((unsigned)((((dev) >> 32) & 0xfffff000) | (((dev) >> 8) & 0x00000fff)))
#define minor(dev) ((unsigned)((((dev) >> 12) & 0xffffff00) | ((dev) & 0x000000ff)))
#define makedev(maj, min) ((dev_t)((((unsigned long long)(maj) & 0xfffff000ULL) << 32) | \
	(((unsigned long long)(maj) & 0x00000fffULL) << 8) | (((unsigned long long)(min) & 0xffffff00ULL) << 12) | \
	((unsigned long long)(min) & 0x000000ffULL)))
#endif
#endif
