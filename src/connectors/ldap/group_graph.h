/* The group graph: nested membership over canonical DNs, one node per DN
 * an entry has or a member/memberOf value names, with an edge P -> X for
 * every "member: X" of P and every "memberOf: P" of X.  Built while
 * entries are read (LDIF snapshot or live search) and walked afterwards:
 * which users a selected group reaches, with each cycle reported once,
 * and LDAP_MATCHING_RULE_IN_CHAIN. */
#ifndef DG_LDAP_GROUP_GRAPH_H
#define DG_LDAP_GROUP_GRAPH_H

#include "key_table.h"

#include "../../core/entry.h"
#include "../../core/strbuf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dg_graph_node {
	int32_t user;        /* the reader's index of the user it is, or -1 */
	int32_t group;       /* the reader's index of the group it is, or -1 */
	int32_t kept;        /* the reader's index of its kept entry, or -1 */
	int present;         /* an entry with this DN was read (in scope) */
	size_t written;      /* offset + 1 in .written of the DN as first referenced, or 0 */
	uint32_t *kids;      /* members, and entries naming it in memberOf */
	uint32_t nkids, kalloc;
} dg_graph_node;

#define DG_GRAPH_DN_CACHE 64

typedef struct dg_group_graph {
	dg_key_table dns;     /* canonical DN -> node id */
	dg_graph_node *nodes; /* dns.nr of them */
	size_t nodes_alloc;
	dg_strbuf written;    /* DNs as first referenced, for messages */
	dg_strbuf canon, batch;
	struct dg_graph_pending { size_t off, val; uint32_t len, hash; } *pend;
	size_t pend_alloc;
	/* memberOf values repeat from user to user: raw DN -> node */
	struct dg_graph_cached { char *raw; size_t len; uint32_t node; } cache[DG_GRAPH_DN_CACHE];
	/* walks: generation stamps and stack positions + 1 per node */
	uint32_t *mark, *onstack, gen;
	size_t marks_alloc;
	uint32_t below_from;  /* dg_graph_below()'s cache: the marks are of this node + 1 */
	uint32_t below_gen;
} dg_group_graph;

void dg_graph_init(dg_group_graph *g);
void dg_graph_release(dg_group_graph *g);

static inline size_t dg_graph_size(const dg_group_graph *g)
{
	return g->dns.nr;
}

/* Room for about n nodes whose canonical DNs take `bytes` in all. */
void dg_graph_reserve(dg_group_graph *g, size_t n, size_t bytes);

/* The node of canonical DN k[0..n) with hash h (dg_key_hash), or -1 when
 * it is not there and !create. */
long dg_graph_node_canonical(dg_group_graph *g, const char *k, size_t n, uint32_t h,
			     int create);

/* The node of a DN as written; -1 when it is not a DN (or, without create,
 * not known).  A node created from here remembers the DN as written. */
long dg_graph_node_for_dn(dg_group_graph *g, const char *dn, size_t n, int create);

/* The canonical DN of node id, and what to call it in a message when no
 * entry was read for it: the DN as first referenced. */
const char *dg_graph_key(const dg_group_graph *g, uint32_t id);
const char *dg_graph_written(const dg_group_graph *g, uint32_t id);

void dg_graph_add_kid(dg_group_graph *g, uint32_t parent, uint32_t kid);

/* Edges from node id to each DN in the values of `member` attribute a. */
void dg_graph_add_members(dg_group_graph *g, uint32_t id, const dg_attr *a);

/* Edges to node id from each DN in the values of `memberOf` attribute a. */
void dg_graph_add_member_of(dg_group_graph *g, uint32_t id, const dg_attr *a);

/* Is node k reachable from node `from` (from itself included)?  The set
 * below `from` is computed once and reused until another walk. */
int dg_graph_below(dg_group_graph *g, uint32_t from, uint32_t k);

/* A depth-first walk from several roots, each node visited once. */
typedef struct dg_graph_frame {
	uint32_t node;
	size_t next;
} dg_graph_frame;

typedef struct dg_graph_walker {
	/* the children of node id: the graph's edges, or the caller's own */
	void (*kids)(void *ctx, uint32_t id, const uint32_t **kids, size_t *n);
	/* node id reached for the first time; st[0..sp) is the path to it */
	void (*reached)(void *ctx, uint32_t id, const dg_graph_frame *st, size_t sp);
	/* st[from..top] form a cycle (back to st[from]) */
	void (*cycle)(void *ctx, const dg_graph_frame *st, size_t from, size_t top);
	void *ctx;
} dg_graph_walker;

void dg_graph_walk(dg_group_graph *g, const uint32_t *roots, size_t nroots,
		   const dg_graph_walker *w);

#endif
