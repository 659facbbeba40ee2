/* The three libuuid calls mkfs.erofs makes, implemented in compat/uuid.c. Partwright always passes
 * -U with the UUID repart derives; uuid_generate exists only for the default before -U is parsed
 * and fills from WASI random_get (the value is replaced by -U). */
#ifndef PARTWRIGHT_UUID_H
#define PARTWRIGHT_UUID_H
typedef unsigned char uuid_t[16];
void uuid_generate(uuid_t out);
int uuid_is_null(const uuid_t uu);
int uuid_parse(const char *in, uuid_t uu);
void uuid_unparse_lower(const uuid_t uu, char *out);
#endif
