/* A directory entry as read from LDAP or an LDIF snapshot: a DN and
 * multi-valued attributes.  Values are binary-safe (length-counted) and are
 * also NUL-terminated so text attributes can be used as C strings.
 * Attribute names are compared case-insensitively, as LDAP does. */
#ifndef DG_ENTRY_H
#define DG_ENTRY_H

#include <stddef.h>

typedef struct dg_value {
	char *val;   /* NUL-terminated copy of the bytes */
	size_t len;
} dg_value;

typedef struct dg_attr {
	char *name;  /* as written in the source, e.g. "proxyAddresses" */
	dg_value *vals;
	size_t nvals, alloc;
} dg_attr;

typedef struct dg_entry {
	char *dn;
	dg_attr *attrs;
	size_t nattrs, alloc;
	int line;    /* source line of the "dn:" (snapshots), 0 if unknown */
} dg_entry;

typedef struct dg_entry_list {
	dg_entry *items;
	size_t nr, alloc;
} dg_entry_list;

#define DG_ENTRY_LIST_INIT { NULL, 0, 0 }

dg_entry *dg_entry_list_add(dg_entry_list *l, const char *dn); /* new empty entry */
void dg_entry_list_clear(dg_entry_list *l);
void dg_entry_release(dg_entry *e);

/* Appends one value to attribute `name` (created if missing). Returns the
 * attribute.  Name options such as ";binary" are kept as part of the name. */
dg_attr *dg_entry_add_value(dg_entry *e, const char *name, const void *val, size_t len);
const dg_attr *dg_entry_attr(const dg_entry *e, const char *name);
/* First value of `name` as a C string, or NULL. */
const char *dg_entry_first(const dg_entry *e, const char *name);

#endif
