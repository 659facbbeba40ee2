/* wasi-libc has no group database; see pwd.h. */
#ifndef PARTWRIGHT_GRP_H
#define PARTWRIGHT_GRP_H
#include <sys/types.h>
struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; };
struct group *getgrgid(gid_t gid);
struct group *getgrnam(const char *name);
#endif
