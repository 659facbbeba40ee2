/* wasi-libc 0.0~git20220510 has no setjmp (WebAssembly had no exception handling then). misc/util.c
 * uses it only to time out the interactive "Proceed anyway?" prompt with SIGALRM, which never fires
 * under WASI (alarm() is a stub): setjmp returns 0 once, longjmp is unreachable and aborts. */
#ifndef PARTWRIGHT_SETJMP_H
#define PARTWRIGHT_SETJMP_H
#include <stdlib.h>
typedef int jmp_buf[1];
#define setjmp(env) ((void)(env), 0)
#define longjmp(env, val) ((void)(env), (void)(val), abort())
#endif
