/* The byte-string hash table: see key_table.h. */
#include "key_table.h"

#include <stdlib.h>
#include <string.h>

/* Eight bytes a step (a DN is 50-100 bytes and every entry's DN and
 * member values are hashed), then murmur3's 64-bit finaliser so that the
 * low bits a power-of-two table uses depend on every byte.  Only table
 * placement depends on it, never the output. */
uint32_t dg_key_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 29;
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return (uint32_t)h;
}

void dg_key_table_init(dg_key_table *t)
{
	memset(t, 0, sizeof(*t));
	dg_strbuf_init(&t->text);
}

void dg_key_table_release(dg_key_table *t)
{
	dg_strbuf_release(&t->text);
	free(t->keys);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

void dg_key_table_reserve(dg_key_table *t, size_t n, size_t bytes)
{
	DG_ALLOC_GROW(t->keys, n, t->alloc);
	dg_strbuf_grow(&t->text, bytes);
}

static void grow_slots(dg_key_table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024;
	free(t->slots);
	t->slots = dg_xcalloc(n, sizeof(*t->slots));
	t->nslots = n;
	for (size_t i = 0; i < t->nr; i++) {
		size_t j = t->keys[i].hash & (n - 1);
		while (t->slots[j].id)
			j = (j + 1) & (n - 1);
		t->slots[j].id = (uint32_t)i + 1;
		t->slots[j].hash = t->keys[i].hash;
	}
}

static long add_key(dg_key_table *t, size_t slot, const char *k, size_t n, uint32_t h)
{
	DG_ALLOC_GROW(t->keys, t->nr + 1, t->alloc);
	t->keys[t->nr] = (struct dg_key){ t->text.len, (uint32_t)n, h };
	dg_strbuf_add(&t->text, k, n);
	dg_strbuf_addch(&t->text, '\0');
	t->slots[slot].id = (uint32_t)++t->nr;
	t->slots[slot].hash = h;
	return (long)t->nr - 1;
}

long dg_key_table_find(dg_key_table *t, const char *k, size_t n, uint32_t h, int create)
{
	size_t j, mask;
	if (!t->nslots || (t->nr + 1) * 2 > t->nslots) {
		if (!create && !t->nslots)
			return -1;
		if (create)
			grow_slots(t);
	}
	mask = t->nslots - 1;
	for (j = h & mask; t->slots[j].id; j = (j + 1) & mask) {
		const struct dg_key *key;
		if (t->slots[j].hash != h)
			continue;
		key = &t->keys[t->slots[j].id - 1];
		if (key->len == n && !memcmp(t->text.buf + key->off, k, n))
			return (long)t->slots[j].id - 1;
	}
	return create ? add_key(t, j, k, n, h) : -1;
}

void dg_idlist_push(dg_idlist *l, uint32_t id)
{
	DG_ALLOC_GROW(l->ids, l->nr + 1, l->alloc);
	l->ids[l->nr++] = id;
}
