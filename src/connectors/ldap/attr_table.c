/* The attribute table: see attr_table.h. */
#include "attr_table.h"
#include "filter_plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int lower_ascii(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static const char *first_value(const dg_entry *e, const char *name)
{
	size_t i = 0;
	const dg_attr *a;
	while ((a = dg_ldap_attr_next(e, name, &i)))
		if (a->nvals)
			return a->vals[0].val;
	return NULL;
}

static int has_value(const dg_entry *e, const char *name, const char *want)
{
	size_t i = 0;
	const dg_attr *a;
	while ((a = dg_ldap_attr_next(e, name, &i)))
		for (size_t j = 0; j < a->nvals; j++)
			if (!strcasecmp(a->vals[j].val, want))
				return 1;
	return 0;
}

/* lower: lower-case ASCII of length n; s any case */
static inline int ci_equal(const char *lower, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower[i] != lower_ascii((unsigned char)s[i]))
			return 0;
	return 1;
}

static unsigned want_bucket(const char *name, size_t len)
{
	return (unsigned)(len * 7 + (unsigned)lower_ascii((unsigned char)name[0]) * 3 +
			  (unsigned)lower_ascii((unsigned char)name[len - 1])) & 63;
}

/* Called for every line of an LDIF file, hence the buckets (built by
 * seal(); a plain scan before that) and the exact comparison first:
 * exports spell attribute names the way the schema does. */
int dg_attr_table_find(const dg_attr_table *t, const char *name, size_t len)
{
	if (!len)
		return -1;
	if (t->next) {
		for (int i = t->head[want_bucket(name, len)] - 1; i >= 0; i = t->next[i] - 1)
			if (t->items[i].len == len && (!memcmp(t->items[i].spelling, name, len) ||
						       ci_equal(t->items[i].name, name, len)))
				return i;
		return -1;
	}
	for (size_t i = 0; i < t->nr; i++) {
		const dg_attr_want *w = &t->items[i];
		if (w->len == len && !strncasecmp(w->name, name, len))
			return (int)i;
	}
	return -1;
}

int dg_attr_table_find_desc(const dg_attr_table *t, const char *desc, size_t len)
{
	return dg_attr_table_find(t, desc, dg_attr_type_len(desc, len));
}

void dg_attr_table_seal(dg_attr_table *t)
{
	t->at = dg_xmalloc((t->nr ? t->nr : 1) * sizeof(*t->at));
	t->multi = dg_xmalloc(t->nr ? t->nr : 1);
	t->next = dg_xcalloc(t->nr ? t->nr : 1, sizeof(*t->next));
	for (size_t i = 0; i < t->nr; i++) {
		unsigned b = want_bucket(t->items[i].name, t->items[i].len);
		t->next[i] = t->head[b];
		t->head[b] = (int16_t)(i + 1);
	}
}

int dg_attr_table_add(dg_attr_table *t, const char *attr, int on)
{
	size_t len = dg_attr_type_len(attr, strlen(attr));
	int i = dg_attr_table_find_desc(t, attr, len);
	if (i < 0) {
		DG_ALLOC_GROW(t->items, t->nr + 1, t->alloc);
		i = (int)t->nr++;
		t->items[i] = (dg_attr_want){ dg_xstrndup(attr, len), dg_xstrndup(attr, len), len, 0, 0 };
		for (size_t k = 0; k < len; k++)
			t->items[i].name[k] = (char)lower_ascii((unsigned char)attr[k]);
	}
	t->items[i].on |= on;
	return i;
}

void dg_attr_table_map(dg_attr_table *t, const dg_entry *e)
{
	memset(t->at, 0xff, t->nr * sizeof(*t->at));
	memset(t->multi, 0, t->nr);
	for (size_t i = 0; i < e->nattrs; i++) {
		int w = dg_attr_table_find_desc(t, e->attrs[i].name, strlen(e->attrs[i].name));
		if (w < 0)
			continue;
		if (t->at[w] < 0)
			t->at[w] = (int32_t)i;
		else
			t->multi[w] = 1;
	}
}

const char *dg_attr_table_first(const dg_attr_table *t, const dg_entry *e, int w)
{
	const dg_attr *a = dg_attr_table_get(t, e, w);
	if (a && t->multi[w])
		return first_value(e, t->items[w].name);
	return (a && a->nvals) ? a->vals[0].val : NULL;
}

int dg_attr_table_has(const dg_attr_table *t, const dg_entry *e, int w, const char *value)
{
	const dg_attr *a = dg_attr_table_get(t, e, w);
	if (a && t->multi[w])
		return has_value(e, t->items[w].name, value);
	for (size_t j = 0; a && j < a->nvals; j++)
		if (!strcasecmp(a->vals[j].val, value))
			return 1;
	return 0;
}

void dg_attr_table_copy(const dg_attr_table *t, const dg_entry *e, int w, dg_strlist *out,
			int (*keep)(const dg_value *v), dg_arena *ar)
{
	const dg_attr *a = dg_attr_table_get(t, e, w);
	size_t n = 0;
	if (a && t->multi[w]) {
		size_t i = 0;
		while ((a = dg_ldap_attr_next(e, t->items[w].name, &i)))
			for (size_t j = 0; j < a->nvals; j++)
				if (!keep || keep(&a->vals[j])) {
					if (ar)
						dg_strlist_push_arena(out, ar, a->vals[j].val,
								      a->vals[j].len);
					else
						dg_strlist_push(out, a->vals[j].val);
				}
		return;
	}
	for (size_t j = 0; a && j < a->nvals; j++)
		n += !keep || keep(&a->vals[j]);
	if (!n)
		return;
	out->items = dg_xmalloc(n * sizeof(*out->items));
	out->alloc = n;
	for (size_t j = 0; j < a->nvals; j++)
		if (!keep || keep(&a->vals[j]))
			out->items[out->nr++] = ar ? dg_arena_strndup(ar, a->vals[j].val, a->vals[j].len)
						   : dg_xstrndup(a->vals[j].val, a->vals[j].len);
}

void dg_attr_table_release(dg_attr_table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->items[i].name);
		free(t->items[i].spelling);
	}
	free(t->items);
	free(t->next);
	free(t->at);
	free(t->multi);
}
