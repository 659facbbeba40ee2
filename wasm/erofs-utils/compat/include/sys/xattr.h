/* WASI has no extended attributes. erofs-utils includes this header unconditionally; with
 * HAVE_LGETXATTR/HAVE_LLISTXATTR undefined it never calls into it, and images carry no xattrs. */
#ifndef PARTWRIGHT_SYS_XATTR_H
#define PARTWRIGHT_SYS_XATTR_H
#endif
