/* The LDAP connector's one hash table: byte-string keys to dense ids
 * 0, 1, 2... in the order they were added.  Canonical DNs to the nodes of
 * the group graph, and attribute values to the member-search index, are
 * both one.  Keys are copied into the table's own text. */
#ifndef DG_LDAP_KEY_TABLE_H
#define DG_LDAP_KEY_TABLE_H

#include "../../core/strbuf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dg_key_table {
	dg_strbuf text;       /* the keys, each NUL-terminated */
	struct dg_key { size_t off; uint32_t len, hash; } *keys;
	size_t nr, alloc;
	/* id + 1, and that key's hash: a probe compares hashes without
	 * touching the key (a cache miss per probe otherwise) */
	struct dg_key_slot { uint32_t id, hash; } *slots;
	size_t nslots;
} dg_key_table;

/* The hash the table places keys by (only placement depends on it). */
uint32_t dg_key_hash(const char *s, size_t n);

void dg_key_table_init(dg_key_table *t);
void dg_key_table_release(dg_key_table *t);

/* Room for about n keys of `bytes` text in all, reserved up front. */
void dg_key_table_reserve(dg_key_table *t, size_t n, size_t bytes);

/* Id of key k[0..n) with hash h (dg_key_hash), or -1 when it is not there
 * and !create.  A key created gets the id t->nr - 1. */
long dg_key_table_find(dg_key_table *t, const char *k, size_t n, uint32_t h, int create);

static inline const char *dg_key_table_key(const dg_key_table *t, uint32_t id)
{
	return t->text.buf + t->keys[id].off;
}

static inline uint32_t dg_key_table_len(const dg_key_table *t, uint32_t id)
{
	return t->keys[id].len;
}

/* Asks the CPU for the slot hash h starts at, ahead of a find(). */
static inline void dg_key_table_prefetch(const dg_key_table *t, uint32_t h)
{
	if (t->nslots)
		__builtin_prefetch(&t->slots[h & (t->nslots - 1)]);
}

/* A growing list of ids. */
typedef struct dg_idlist {
	uint32_t *ids;
	size_t nr, alloc;
} dg_idlist;

void dg_idlist_push(dg_idlist *l, uint32_t id);

#endif
