/*
 * Declarations wasi-libc (0.0~git20220510) lacks and e2fsprogs' lib/ and misc/mke2fs use.
 * Force-included into every translation unit (-include) so no upstream file needs editing for them.
 * The matching definitions are stubs in wasi-stubs.c: a WASI process has no users, no umask,
 * no locks and no terminal, and mke2fs only needs these calls to link and to return something sane.
 */
#ifndef PARTWRIGHT_WASI_COMPAT_H
#define PARTWRIGHT_WASI_COMPAT_H
#ifndef __ASSEMBLER__
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif
uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
mode_t umask(mode_t mask);
int chmod(const char *path, mode_t mode);
int fchmod(int fd, mode_t mode);
int chown(const char *path, uid_t uid, gid_t gid);
int fchown(int fd, uid_t uid, gid_t gid);
int lchown(const char *path, uid_t uid, gid_t gid);
int mkstemp(char *tmpl);
int mknod(const char *path, mode_t mode, dev_t dev);
unsigned alarm(unsigned seconds);
/* FILE is an incomplete struct in C; declaring popen here needs only the tag. */
struct _IO_FILE;
struct _IO_FILE *popen(const char *command, const char *type);
int pclose(struct _IO_FILE *stream);
#ifdef __cplusplus
}
#endif

/* fcntl record locks: wasi-libc's <fcntl.h> has struct flock but no F_*LCK/F_*LK constants. libuuid's
 * clock file uses them (never reached here: there is no /var/lib/libuuid, and fcntl fails with EINVAL). */
#include <fcntl.h>
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#ifndef F_SETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif

/* Linux's dev_t encoding, as glibc's <sys/sysmacros.h>. */
#ifndef makedev
#define major(dev) ((unsigned)((((dev) >> 32) & 0xfffff000) | (((dev) >> 8) & 0x00000fff)))
#define minor(dev) ((unsigned)((((dev) >> 12) & 0xffffff00) | ((dev) & 0x000000ff)))
#define makedev(maj, min) ((dev_t)((((unsigned long long)(maj) & 0xfffff000ULL) << 32) | \
	(((unsigned long long)(maj) & 0x00000fffULL) << 8) | (((unsigned long long)(min) & 0xffffff00ULL) << 12) | \
	((unsigned long long)(min) & 0x000000ffULL)))
#endif
#endif /* __ASSEMBLER__ */
#endif
