#include "entry.h"

#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

dg_entry *dg_entry_list_add(dg_entry_list *l, const char *dn)
{
	dg_entry *e;
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	e = &l->items[l->nr++];
	memset(e, 0, sizeof(*e));
	e->dn = dg_xstrdup(dn ? dn : "");
	return e;
}

void dg_entry_release(dg_entry *e)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		for (size_t j = 0; j < e->attrs[i].nvals; j++)
			free(e->attrs[i].vals[j].val);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	memset(e, 0, sizeof(*e));
}

void dg_entry_list_clear(dg_entry_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		dg_entry_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

const dg_attr *dg_entry_attr(const dg_entry *e, const char *name)
{
	for (size_t i = 0; i < e->nattrs; i++)
		if (!strcasecmp(e->attrs[i].name, name))
			return &e->attrs[i];
	return NULL;
}

dg_attr *dg_entry_add_value(dg_entry *e, const char *name, const void *val, size_t len)
{
	dg_attr *a = (dg_attr *)dg_entry_attr(e, name);
	dg_value *v;
	if (!a) {
		DG_ALLOC_GROW(e->attrs, e->nattrs + 1, e->alloc);
		a = &e->attrs[e->nattrs++];
		memset(a, 0, sizeof(*a));
		a->name = dg_xstrdup(name);
	}
	DG_ALLOC_GROW(a->vals, a->nvals + 1, a->alloc);
	v = &a->vals[a->nvals++];
	v->val = dg_xmalloc(len + 1);
	memcpy(v->val, val, len);
	v->val[len] = '\0';
	v->len = len;
	return a;
}

const char *dg_entry_first(const dg_entry *e, const char *name)
{
	const dg_attr *a = dg_entry_attr(e, name);
	return (a && a->nvals) ? a->vals[0].val : NULL;
}
