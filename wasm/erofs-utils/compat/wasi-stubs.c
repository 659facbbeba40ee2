/* Definitions for compat/wasi-compat.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *realpath(const char *path, char *resolved)
{
	size_t len = strlen(path);

	if (path[0] != '/') {
		errno = ENOTSUP;
		return NULL;
	}
	/* Drop trailing slashes (not the root's own). */
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (!resolved) {
		resolved = malloc(len + 1);
		if (!resolved)
			return NULL;
	}
	memcpy(resolved, path, len);
	resolved[len] = '\0';
	return resolved;
}

/* No temporary files under WASI: only chunked-file mode (--chunksize, a blob device) asks for one,
 * and Partwright never enables it. */
#include <stdio.h>
FILE *tmpfile(void)
{
	errno = ENOSYS;
	return NULL;
}
