/* The attributes the LDAP engine reads, by index, and where each one is
 * in the entry at hand.  Names are compared once per entry (map), so the
 * rules that follow find an attribute by its index.  A zeroed table is
 * empty; add every attribute, then seal before the first entry. */
#ifndef DG_LDAP_ATTR_TABLE_H
#define DG_LDAP_ATTR_TABLE_H

#include "../../core/entry.h"
#include "../../core/strbuf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dg_attr_want {
	char *name;          /* base name, no options, in lower case */
	char *spelling;      /* as registered, e.g. "sAMAccountName" */
	size_t len;
	int on;              /* read from the source */
	int keep;            /* kept on entries saved for the member search */
} dg_attr_want;

typedef struct dg_attr_table {
	dg_attr_want *items;
	size_t nr, alloc;
	int16_t head[64];    /* hash buckets of the names: index + 1 */
	int16_t *next;       /* NULL until sealed */
	int32_t *at;         /* per attribute: its index in the mapped entry, or -1 */
	unsigned char *multi; /* per attribute: more than one answers (options, ranges) */
} dg_attr_table;

/* Length of the type in attribute description name[0..len) (before ';'). */
static inline size_t dg_attr_type_len(const char *name, size_t len)
{
	size_t n = 0;
	while (n < len && name[n] != ';')
		n++;
	return n;
}

/* Registers attribute `attr` (read from the source when `on`); returns
 * its index, the same for every spelling. */
int dg_attr_table_add(dg_attr_table *t, const char *attr, int on);
void dg_attr_table_seal(dg_attr_table *t);
void dg_attr_table_release(dg_attr_table *t);

/* Index of attribute type name[0..len) (no options), or -1.  _desc: of an
 * attribute description, options allowed. */
int dg_attr_table_find(const dg_attr_table *t, const char *name, size_t len);
int dg_attr_table_find_desc(const dg_attr_table *t, const char *desc, size_t len);

/* Maps the attributes of e onto the table; the lookups below are in the
 * last entry mapped. */
void dg_attr_table_map(dg_attr_table *t, const dg_entry *e);

/* The attribute of index w, or NULL (when several answer w, the first;
 * the functions below then look at all of them). */
static inline const dg_attr *dg_attr_table_get(const dg_attr_table *t, const dg_entry *e, int w)
{
	return (w >= 0 && t->at[w] >= 0) ? &e->attrs[t->at[w]] : NULL;
}

/* The first value of w, or NULL. */
const char *dg_attr_table_first(const dg_attr_table *t, const dg_entry *e, int w);

/* Does w have `value` (ASCII case ignored)? */
int dg_attr_table_has(const dg_attr_table *t, const dg_entry *e, int w, const char *value);

/* Copies the values of w into `out`, sized exactly (a strlist grows to
 * eight slots, which adds up over 100,000 users); `keep` may filter.
 * The strings go into arena `ar`, or are malloc'd when it is NULL. */
void dg_attr_table_copy(const dg_attr_table *t, const dg_entry *e, int w, dg_strlist *out,
			int (*keep)(const dg_value *v), dg_arena *ar);

#endif
