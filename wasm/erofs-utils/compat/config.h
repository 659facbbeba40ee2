/*
 * erofs-utils' config.h for wasm32-wasi, written by hand instead of running autoconf (the .orig
 * tarball ships no configure script). Lists only what wasi-libc (0.0~git20220510) provides; xattrs,
 * SELinux, libuuid, fallocate, copy_file_range and backtraces are absent.
 */
#define PACKAGE_VERSION "1.5"
#define HAVE_DIRENT_H 1
#define HAVE_FCNTL_H 1
#define HAVE_GETOPT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_LIMITS_H 1
#define HAVE_STDDEF_H 1
#define HAVE_STDINT_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_UNISTD_H 1
#define HAVE_STRUCT_STAT_ST_ATIM 1
#define HAVE_STRUCT_STAT_ST_RDEV 1
#define HAVE_GETTIMEOFDAY 1
#define HAVE_MEMSET 1
#define HAVE_REALPATH 1
#define HAVE_STRDUP 1
#define HAVE_STRERROR 1
#define HAVE_STRRCHR 1
#define HAVE_STRTOULL 1
#define HAVE_MEMRCHR 1
/* -U parses the UUID with compat/uuid.c (libuuid's uuid_parse/uuid_unparse_lower semantics). */
#define HAVE_LIBUUID 1
#define LZ4_ENABLED 1
#define LZ4HC_ENABLED 1
/* liblzma's MicroLZMA encoder, compiled from xz-utils 5.4.1 (compat/liblzma/config.h). */
#define HAVE_LIBLZMA 1
