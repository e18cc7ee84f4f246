/* The profile's filters evaluated against directory entries, snapshot or
 * live: what only a directory server knows (DN-syntax attributes compare
 * as DNs, AD's objectCategory shorthand) as the evaluator's hooks, and
 * the planner that answers the generic-LDAP member search filter from an
 * index instead of trying it on every entry. */
#ifndef DG_LDAP_FILTER_PLAN_H
#define DG_LDAP_FILTER_PLAN_H

#include "key_table.h"

#include "../../core/entry.h"
#include "../../core/filter.h"
#include "../../core/strbuf.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* The next attribute of e from *i on named `name`, options included
 * ("member;range=0-1499" is member).  Inline: `name` is mostly a
 * constant, and its length is then known at compile time. */
static inline const dg_attr *dg_ldap_attr_next(const dg_entry *e, const char *name, size_t *i)
{
	size_t n = strlen(name);
	for (; *i < e->nattrs; (*i)++) {
		const char *desc = e->attrs[*i].name;
		if (!strncasecmp(desc, name, n) && (desc[n] == '\0' || desc[n] == ';'))
			return &e->attrs[(*i)++];
	}
	return NULL;
}

/* Does filter f use LDAP_MATCHING_RULE_IN_CHAIN anywhere? */
int dg_ldap_filter_uses_in_chain(const dg_filter *f);

/* The match_value hook (filter.h) as the directory answers it; `ad` for
 * Active Directory.  t1 and t2 are scratch. */
int dg_ldap_match_value(int ad, const char *attr, const dg_value *value,
			const dg_value *assertion, dg_strbuf *t1, dg_strbuf *t2);

/* An index on the attributes a filter compares with a placeholder, over
 * entries numbered 0, 1, 2... */
typedef struct dg_filter_plan {
	dg_strlist attrs;     /* the attributes indexed */
	dg_key_table keys;    /* attribute number and value -> posting list */
	uint32_t *heads;      /* per key: its latest posting + 1 */
	size_t heads_alloc;
	struct dg_posting { uint32_t entry, next; } *postings;
	size_t npostings, postings_alloc;
	dg_idlist *always;    /* per attribute: entries with non-ASCII values */
	dg_strbuf key;
} dg_filter_plan;

/* Indexes the attributes that `probe` compares by equality with a value
 * containing `token` (the placeholder, filled in). */
void dg_filter_plan_init(dg_filter_plan *pl, const dg_filter *probe, const char *token);
void dg_filter_plan_release(dg_filter_plan *pl);

/* Adds entry number id; entries are added in order, after init. */
void dg_filter_plan_add(dg_filter_plan *pl, uint32_t id, const dg_entry *e);

/* Candidates for f: 1 with `out` filled (a superset of the entries f
 * matches, possibly listing one twice), 0 when the index cannot narrow
 * it down. */
int dg_filter_plan_candidates(dg_filter_plan *pl, const dg_filter *f, dg_idlist *out);

#endif
