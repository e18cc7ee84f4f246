/* The group graph: see group_graph.h. */
#include "group_graph.h"
#include "dn.h"

#include <stdlib.h>
#include <string.h>

void dg_graph_init(dg_group_graph *g)
{
	memset(g, 0, sizeof(*g));
	dg_key_table_init(&g->dns);
	dg_strbuf_init(&g->written);
	dg_strbuf_init(&g->canon);
	dg_strbuf_init(&g->batch);
}

void dg_graph_release(dg_group_graph *g)
{
	for (size_t i = 0; i < g->dns.nr; i++)
		free(g->nodes[i].kids);
	free(g->nodes);
	dg_key_table_release(&g->dns);
	dg_strbuf_release(&g->written);
	dg_strbuf_release(&g->canon);
	dg_strbuf_release(&g->batch);
	free(g->pend);
	for (int i = 0; i < DG_GRAPH_DN_CACHE; i++)
		free(g->cache[i].raw);
	free(g->mark);
	free(g->onstack);
}

void dg_graph_reserve(dg_group_graph *g, size_t n, size_t bytes)
{
	dg_key_table_reserve(&g->dns, n, bytes);
	DG_ALLOC_GROW(g->nodes, n, g->nodes_alloc);
}

long dg_graph_node_canonical(dg_group_graph *g, const char *k, size_t n, uint32_t h,
			     int create)
{
	size_t before = g->dns.nr;
	long id = dg_key_table_find(&g->dns, k, n, h, create);
	if (g->dns.nr > before) {
		DG_ALLOC_GROW(g->nodes, g->dns.nr, g->nodes_alloc);
		memset(&g->nodes[id], 0, sizeof(g->nodes[id]));
		g->nodes[id].user = g->nodes[id].group = g->nodes[id].kept = -1;
	}
	return id;
}

static void remember_written(dg_group_graph *g, uint32_t id, const char *dn, size_t n)
{
	g->nodes[id].written = g->written.len + 1;
	dg_strbuf_add(&g->written, dn, n);
	dg_strbuf_addch(&g->written, '\0');
}

long dg_graph_node_for_dn(dg_group_graph *g, const char *dn, size_t n, int create)
{
	size_t before = g->dns.nr;
	long id;
	if (dg_dn_canonical(dn, n, &g->canon))
		return -1;
	id = dg_graph_node_canonical(g, g->canon.buf, g->canon.len,
				     dg_key_hash(g->canon.buf, g->canon.len), create);
	if (id >= 0 && g->dns.nr > before)
		remember_written(g, (uint32_t)id, dn, n);
	return id;
}

const char *dg_graph_key(const dg_group_graph *g, uint32_t id)
{
	return dg_key_table_key(&g->dns, id);
}

const char *dg_graph_written(const dg_group_graph *g, uint32_t id)
{
	const dg_graph_node *nd = &g->nodes[id];
	return nd->written ? g->written.buf + nd->written - 1 : dg_graph_key(g, id);
}

void dg_graph_add_kid(dg_group_graph *g, uint32_t parent, uint32_t kid)
{
	dg_graph_node *nd = &g->nodes[parent];
	DG_ALLOC_GROW(nd->kids, nd->nkids + 1, nd->kalloc);
	nd->kids[nd->nkids++] = kid;
}

/* A group lists thousands of members, and each lookup waits on a cache
 * miss in the slot table; so all values are canonicalised and their slots
 * prefetched first, and the lookups that follow find the slots in the
 * cache. */
void dg_graph_add_members(dg_group_graph *g, uint32_t id, const dg_attr *a)
{
	size_t np = 0;
	DG_ALLOC_GROW(g->pend, a->nvals, g->pend_alloc);
	dg_strbuf_reset(&g->batch);
	for (size_t j = 0; j < a->nvals; j++) {
		struct dg_graph_pending *pd = &g->pend[np];
		if (dg_dn_canonical(a->vals[j].val, a->vals[j].len, &g->canon))
			continue; /* not a DN: no edge, as dg_graph_node_for_dn() would say */
		pd->off = g->batch.len;
		pd->len = (uint32_t)g->canon.len;
		pd->hash = dg_key_hash(g->canon.buf, g->canon.len);
		dg_strbuf_add(&g->batch, g->canon.buf, g->canon.len);
		dg_key_table_prefetch(&g->dns, pd->hash);
		pd->val = j;
		np++;
	}
	for (size_t i = 0; i < np; i++) {
		const struct dg_graph_pending *pd = &g->pend[i];
		const dg_value *v = &a->vals[pd->val];
		size_t before = g->dns.nr;
		long k = dg_graph_node_canonical(g, g->batch.buf + pd->off, pd->len, pd->hash, 1);
		if (g->dns.nr > before)
			remember_written(g, (uint32_t)k, v->val, v->len);
		dg_graph_add_kid(g, id, (uint32_t)k);
	}
}

/* The same few group DNs come back on user after user, so they are looked
 * up by their raw text first. */
static long member_of_node(dg_group_graph *g, const dg_value *v)
{
	struct dg_graph_cached *c = &g->cache[dg_key_hash(v->val, v->len) % DG_GRAPH_DN_CACHE];
	long k;
	if (c->raw && c->len == v->len && !memcmp(c->raw, v->val, v->len))
		return c->node;
	k = dg_graph_node_for_dn(g, v->val, v->len, 1);
	if (k >= 0) {
		free(c->raw);
		c->raw = dg_xstrndup(v->val, v->len);
		c->len = v->len;
		c->node = (uint32_t)k;
	}
	return k;
}

void dg_graph_add_member_of(dg_group_graph *g, uint32_t id, const dg_attr *a)
{
	for (size_t j = 0; j < a->nvals; j++) {
		long k = member_of_node(g, &a->vals[j]);
		if (k >= 0)
			dg_graph_add_kid(g, (uint32_t)k, id);
	}
}

static void ensure_marks(dg_group_graph *g)
{
	size_t n = g->dns.nr;
	if (g->marks_alloc >= n)
		return;
	g->mark = dg_xrealloc(g->mark, n * sizeof(*g->mark));
	g->onstack = dg_xrealloc(g->onstack, n * sizeof(*g->onstack));
	memset(g->mark + g->marks_alloc, 0, (n - g->marks_alloc) * sizeof(*g->mark));
	memset(g->onstack + g->marks_alloc, 0, (n - g->marks_alloc) * sizeof(*g->onstack));
	g->marks_alloc = n;
}

/* Marks every node reachable from `from` (itself included) with a fresh
 * generation, which it returns. */
static uint32_t mark_reachable(dg_group_graph *g, uint32_t from)
{
	dg_idlist st = { 0 };
	uint32_t gen;
	ensure_marks(g);
	gen = ++g->gen;
	g->mark[from] = gen;
	dg_idlist_push(&st, from);
	while (st.nr) {
		const dg_graph_node *nd = &g->nodes[st.ids[--st.nr]];
		for (uint32_t i = 0; i < nd->nkids; i++) {
			uint32_t k = nd->kids[i];
			if (g->mark[k] == gen)
				continue;
			g->mark[k] = gen;
			dg_idlist_push(&st, k);
		}
	}
	free(st.ids);
	return gen;
}

int dg_graph_below(dg_group_graph *g, uint32_t from, uint32_t k)
{
	if (g->below_from != from + 1) {
		g->below_gen = mark_reachable(g, from);
		g->below_from = from + 1;
	}
	return g->mark[k] == g->below_gen;
}

static void push_frame(dg_group_graph *g, dg_graph_frame **st, size_t *sp, size_t *alloc,
		       uint32_t id)
{
	DG_ALLOC_GROW(*st, *sp + 1, *alloc);
	(*st)[(*sp)++] = (dg_graph_frame){ id, 0 };
	g->onstack[id] = (uint32_t)*sp;
}

/* One root's walk; nodes marked `gen` were visited already. */
static void walk_from(dg_group_graph *g, uint32_t root, uint32_t gen, const dg_graph_walker *w,
		      dg_graph_frame **st, size_t *alloc)
{
	size_t sp = 0;
	g->mark[root] = gen;
	push_frame(g, st, &sp, alloc, root);
	while (sp) {
		dg_graph_frame *top = &(*st)[sp - 1];
		const uint32_t *kids;
		size_t nk;
		uint32_t k;
		w->kids(w->ctx, top->node, &kids, &nk);
		if (top->next >= nk) {
			g->onstack[top->node] = 0;
			sp--;
			continue;
		}
		k = kids[top->next++];
		if (g->onstack[k]) {
			w->cycle(w->ctx, *st, g->onstack[k] - 1, sp - 1);
			continue;
		}
		if (g->mark[k] == gen)
			continue;
		g->mark[k] = gen;
		w->reached(w->ctx, k, *st, sp);
		push_frame(g, st, &sp, alloc, k);
	}
}

void dg_graph_walk(dg_group_graph *g, const uint32_t *roots, size_t nroots,
		   const dg_graph_walker *w)
{
	dg_graph_frame *st = NULL;
	size_t alloc = 0;
	uint32_t gen;
	ensure_marks(g);
	gen = ++g->gen;
	g->below_from = 0; /* its marks are about to go */
	for (size_t r = 0; r < nroots; r++)
		if (g->mark[roots[r]] != gen)
			walk_from(g, roots[r], gen, w, &st, &alloc);
	free(st);
}
