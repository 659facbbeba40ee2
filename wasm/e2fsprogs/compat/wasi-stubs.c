/*
 * Definitions for the calls declared in wasi-compat.h. A WASI process runs as nobody in particular:
 * ids are 0 (mke2fs only compares them to decide the root directory's owner, which Partwright always
 * sets with -E root_owner=), permission and ownership changes are accepted and ignored (the image's
 * modes come from the metadata manifest, not from host files), and everything that would need a
 * process model (mknod, alarm, temp files) fails with ENOSYS.
 */
#include <errno.h>
#include <sys/types.h>

uid_t getuid(void) { return 0; }
uid_t geteuid(void) { return 0; }
gid_t getgid(void) { return 0; }
gid_t getegid(void) { return 0; }
mode_t umask(mode_t mask) { (void)mask; return 022; }
int chmod(const char *path, mode_t mode) { (void)path; (void)mode; return 0; }
int fchmod(int fd, mode_t mode) { (void)fd; (void)mode; return 0; }
int chown(const char *path, uid_t uid, gid_t gid) { (void)path; (void)uid; (void)gid; return 0; }
int fchown(int fd, uid_t uid, gid_t gid) { (void)fd; (void)uid; (void)gid; return 0; }
int lchown(const char *path, uid_t uid, gid_t gid) { (void)path; (void)uid; (void)gid; return 0; }
int mkstemp(char *tmpl) { (void)tmpl; errno = ENOSYS; return -1; }
int mknod(const char *path, mode_t mode, dev_t dev) { (void)path; (void)mode; (void)dev; errno = ENOSYS; return -1; }
unsigned alarm(unsigned seconds) { (void)seconds; return 0; }

#include <pwd.h>
#include <grp.h>
struct passwd *getpwuid(uid_t uid) { (void)uid; return NULL; }
struct passwd *getpwnam(const char *name) { (void)name; return NULL; }
int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result)
{ (void)uid; (void)pwd; (void)buf; (void)buflen; *result = NULL; return 0; }
struct group *getgrgid(gid_t gid) { (void)gid; return NULL; }
struct group *getgrnam(const char *name) { (void)name; return NULL; }

/* No processes: mke2fs's popen (of "blkid -p" style helpers) always fails, which it handles. */
#include <stdio.h>
FILE *popen(const char *command, const char *type) { (void)command; (void)type; errno = ENOSYS; return NULL; }
int pclose(FILE *stream) { (void)stream; return -1; }
