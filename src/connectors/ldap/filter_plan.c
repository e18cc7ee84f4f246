/* Filters against directory entries: see filter_plan.h. */
#include "filter_plan.h"
#include "dn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int dg_ldap_filter_uses_in_chain(const dg_filter *f)
{
	if (!f)
		return 0;
	if (f->type == DG_F_EXTENSIBLE && f->rule && !strcmp(f->rule, DG_OID_IN_CHAIN))
		return 1;
	for (size_t i = 0; i < f->nchildren; i++)
		if (dg_ldap_filter_uses_in_chain(f->children[i]))
			return 1;
	return 0;
}

static int ascii_only(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] >= 0x80)
			return 0;
	return 1;
}

/* ---------------------------------------------------------------------- */
/* What only a directory server knows                                     */

static int is_dn_syntax(const char *attr)
{
	static const struct { const char *name; size_t len; } dn_attrs[] = {
#define DN_ATTR(s) { s, sizeof(s) - 1 }
		DN_ATTR("member"), DN_ATTR("memberOf"), DN_ATTR("uniqueMember"),
		DN_ATTR("manager"), DN_ATTR("distinguishedName"), DN_ATTR("objectCategory"),
		DN_ATTR("owner"), DN_ATTR("directReports"), DN_ATTR("secretary"),
		DN_ATTR("seeAlso"),
#undef DN_ATTR
	};
	size_t n = strlen(attr);
	/* called for every value the filter compares: lengths first */
	for (size_t i = 0; i < sizeof(dn_attrs) / sizeof(dn_attrs[0]); i++)
		if (dn_attrs[i].len == n && !strcasecmp(attr, dn_attrs[i].name))
			return 1;
	return 0;
}

/* AD answers objectCategory=<class> with the class's default category:
 * user, contact and inetOrgPerson all live under CN=Person. */
static const char *category_of(const char *cls)
{
	static const char *const person[] = { "person", "user", "contact", "inetOrgPerson",
					      "organizationalPerson", NULL };
	for (int i = 0; person[i]; i++)
		if (!strcasecmp(cls, person[i]))
			return "person";
	return cls;
}

static int dn_equal(const dg_value *a, const dg_value *b, dg_strbuf *t1, dg_strbuf *t2)
{
	if (dg_dn_canonical(a->val, a->len, t1))
		return -1;
	if (dg_dn_canonical(b->val, b->len, t2))
		return -1;
	return t1->len == t2->len && !memcmp(t1->buf, t2->buf, t1->len);
}

int dg_ldap_match_value(int ad, const char *attr, const dg_value *value,
			const dg_value *assertion, dg_strbuf *t1, dg_strbuf *t2)
{
	if (ad && !strcasecmp(attr, "objectCategory") &&
	    !memchr(assertion->val, '=', assertion->len))
		return dg_dn_first_rdn_is(value->val, value->len, category_of(assertion->val));
	if (is_dn_syntax(attr))
		return dn_equal(value, assertion, t1, t2);
	/* Plain ASCII on both sides: caseIgnoreMatch is strcasecmp, answered
	 * here without the evaluator folding every value into a buffer. */
	if (value->len != assertion->len)
		return ascii_only(value->val, value->len) &&
		       ascii_only(assertion->val, assertion->len) ? 0 : -1;
	if (ascii_only(value->val, value->len) && ascii_only(assertion->val, assertion->len) &&
	    !memchr(value->val, '\0', value->len) && !memchr(assertion->val, '\0', assertion->len))
		return !strcasecmp(value->val, assertion->val);
	return -1;
}

/* ---------------------------------------------------------------------- */
/* The index                                                              */

static void find_index_attrs(const dg_filter *f, const char *token, dg_strlist *out)
{
	/* attributes with options ("uid;x") are left to the full scan */
	if (f->type == DG_F_EQUAL && f->attr && !strchr(f->attr, ';') && f->value.val &&
	    strstr(f->value.val, token) && !dg_strlist_contains_ci(out, f->attr))
		dg_strlist_push(out, f->attr);
	for (size_t i = 0; i < f->nchildren; i++)
		find_index_attrs(f->children[i], token, out);
}

void dg_filter_plan_init(dg_filter_plan *pl, const dg_filter *probe, const char *token)
{
	memset(pl, 0, sizeof(*pl));
	dg_key_table_init(&pl->keys);
	dg_strbuf_init(&pl->key);
	find_index_attrs(probe, token, &pl->attrs);
	pl->always = dg_xcalloc(pl->attrs.nr ? pl->attrs.nr : 1, sizeof(*pl->always));
}

void dg_filter_plan_release(dg_filter_plan *pl)
{
	if (pl->always) /* one list per index attribute */
		for (size_t i = 0; i < pl->attrs.nr; i++)
			free(pl->always[i].ids);
	free(pl->always);
	dg_strlist_clear(&pl->attrs);
	dg_key_table_release(&pl->keys);
	free(pl->heads);
	free(pl->postings);
	dg_strbuf_release(&pl->key);
}

/* The key of value v[0..n) of attribute number attr: the number, then the
 * value as caseIgnoreMatch sees ASCII (lower case, spaces trimmed and
 * collapsed). */
static void make_key(uint32_t attr, const char *v, size_t n, dg_strbuf *out)
{
	int space = 0;
	dg_strbuf_reset(out);
	dg_strbuf_add(out, &attr, sizeof(attr));
	for (size_t i = 0; i < n; i++) {
		if (v[i] == ' ') {
			space = out->len > sizeof(attr);
			continue;
		}
		if (space)
			dg_strbuf_addch(out, ' ');
		space = 0;
		dg_strbuf_addch(out, (v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
	}
}

static long find_key(dg_filter_plan *pl, uint32_t attr, const dg_value *v, int create)
{
	make_key(attr, v->val, v->len, &pl->key);
	return dg_key_table_find(&pl->keys, pl->key.buf, pl->key.len,
				 dg_key_hash(pl->key.buf, pl->key.len), create);
}

static void index_value(dg_filter_plan *pl, uint32_t attr, uint32_t id, const dg_value *v)
{
	long x;
	if (!ascii_only(v->val, v->len)) {
		/* other scripts fold differently: always a candidate */
		dg_idlist_push(&pl->always[attr], id);
		return;
	}
	x = find_key(pl, attr, v, 1);
	if ((size_t)x >= pl->heads_alloc) {
		size_t old = pl->heads_alloc;
		DG_ALLOC_GROW(pl->heads, (size_t)x + 1, pl->heads_alloc);
		memset(pl->heads + old, 0, (pl->heads_alloc - old) * sizeof(*pl->heads));
	}
	DG_ALLOC_GROW(pl->postings, pl->npostings + 1, pl->postings_alloc);
	pl->postings[pl->npostings].entry = id;
	pl->postings[pl->npostings].next = pl->heads[x];
	pl->heads[x] = (uint32_t)++pl->npostings;
}

void dg_filter_plan_add(dg_filter_plan *pl, uint32_t id, const dg_entry *e)
{
	for (uint32_t a = 0; a < pl->attrs.nr; a++) {
		size_t ai = 0;
		const dg_attr *at;
		/* options are subtypes to the evaluator: uid also finds uid;x */
		while ((at = dg_ldap_attr_next(e, pl->attrs.items[a], &ai)))
			for (size_t j = 0; j < at->nvals; j++)
				index_value(pl, a, id, &at->vals[j]);
	}
}

static long attr_number(const dg_filter_plan *pl, const char *attr)
{
	for (size_t i = 0; i < pl->attrs.nr; i++)
		if (!strcasecmp(pl->attrs.items[i], attr))
			return (long)i;
	return -1;
}

static int plan_equal(dg_filter_plan *pl, const dg_filter *f, dg_idlist *out)
{
	long a, x;
	if (!f->attr || (a = attr_number(pl, f->attr)) < 0)
		return 0;
	if (!ascii_only(f->value.val, f->value.len))
		return 0; /* a non-ASCII assertion may fold onto any value */
	x = find_key(pl, (uint32_t)a, &f->value, 0);
	for (uint32_t p = x >= 0 ? pl->heads[x] : 0; p; p = pl->postings[p - 1].next)
		dg_idlist_push(out, pl->postings[p - 1].entry);
	for (size_t i = 0; i < pl->always[a].nr; i++)
		dg_idlist_push(out, pl->always[a].ids[i]);
	return 1;
}

/* Any narrowed child will do; take the smallest. */
static int plan_and(dg_filter_plan *pl, const dg_filter *f, dg_idlist *out)
{
	dg_idlist best = { 0 };
	int found = 0;
	for (size_t i = 0; i < f->nchildren; i++) {
		dg_idlist c = { 0 };
		if (dg_filter_plan_candidates(pl, f->children[i], &c) &&
		    (!found || c.nr < best.nr)) {
			free(best.ids);
			best = c;
			found = 1;
			continue;
		}
		free(c.ids);
	}
	for (size_t i = 0; i < best.nr; i++)
		dg_idlist_push(out, best.ids[i]);
	free(best.ids);
	return found;
}

int dg_filter_plan_candidates(dg_filter_plan *pl, const dg_filter *f, dg_idlist *out)
{
	switch (f->type) {
	case DG_F_EQUAL:
		return plan_equal(pl, f, out);
	case DG_F_AND:
		return plan_and(pl, f, out);
	case DG_F_OR:
		for (size_t i = 0; i < f->nchildren; i++)
			if (!dg_filter_plan_candidates(pl, f->children[i], out))
				return 0;
		return 1;
	default:
		return 0;
	}
}
