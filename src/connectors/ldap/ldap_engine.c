/* The LDAP engine: the questions MailStore's Active Directory and generic
 * LDAP synchronisation ask the directory, answered from its entries as
 * they stream past, one at a time, from an LDIF snapshot (snapshot_ldap.c)
 * or a live search (ldap_live.c) alike.
 *
 * Only the attributes the engine reads are looked at, and each entry is
 * decided at once: out of scope, a group (kept: names and members), a user
 * (turned into a dg_dir_user at once, only its DN kept), or neither
 * (forgotten).  Only what group resolution needs survives the read, so a
 * 100,000-user directory does not sit in memory as 100,000 entries.  Two
 * cases copy entries to keep them past the read: a filter using
 * LDAP_MATCHING_RULE_IN_CHAIN (it needs the whole group graph) and a
 * generic-LDAP member search filter (it searches users and groups; only
 * the attributes the filter reads are copied).
 *
 * Group membership is the group graph (group_graph.h): for AD its member
 * and memberOf edges, for generic LDAP each group's member values resolved
 * as DNs or through the member search filter (filter_plan.h).  A selected
 * group's users are the user nodes reachable from it. */
#include "ldap_engine.h"
#include "ldap_profile.h"
#include "attr_table.h"
#include "dn.h"
#include "filter_plan.h"
#include "group_graph.h"

#include "../../core/filter.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SNAP_PATH "/directory/snapshot"
#define MAX_REPEAT 20 /* connector findings of one code listed per snapshot */

/* ---------------------------------------------------------------------- */
/* The state of one read                                                  */

typedef struct group {
	uint32_t node;
	char *dn;            /* as written */
	int line;
	dg_strlist names;    /* cn/name/sAMAccountName (AD), nameAttribute (LDAP) */
	dg_strlist members;  /* LDAP: membersAttribute values, resolved lazily */
	uint32_t *kids;      /* LDAP: the resolved members */
	size_t nkids, kalloc;
	int resolved;
	size_t unresolved;   /* member values that matched nothing */
	char *first_unresolved;
} group;

/* The attribute table's fixed slots first (both modes), then AD's fixed
 * list or generic LDAP's profile-given names. */
enum { W_MEMBER, W_MEMBEROF, W_OBJECTCLASS,
       W_OBJECTCATEGORY, W_UAC, W_SAM, W_UPN, W_DISPLAYNAME, W_MAIL, W_PROXY, W_HIDE,
       W_CN, W_NAME };

typedef struct state {
	const dg_profile *p;
	int ad;
	dg_fetch_result *out;
	const char *file;

	/* scope */
	dg_strbuf base;
	int has_base;
	size_t in_scope, out_of_scope;
	char *first_outside;

	/* what makes a user or a group */
	dg_filter *user_filter, *group_filter;
	int user_filter_bad;
	dg_filter_hooks hooks;
	const char *name_attr, *full_attr, *mail_attr, *gname_attr, *members_attr;
	int w_name, w_full, w_mail, w_gname, w_members;  /* generic LDAP */
	dg_attr_table attrs;   /* what is read, by index */

	dg_group_graph graph;
	int graph_edges;      /* record member/memberOf edges while reading */

	group *groups;
	size_t ngroups, groups_alloc;

	/* entries kept past the read */
	int deferred;         /* a filter needs IN_CHAIN: classify after reading */
	int keep_members;     /* generic LDAP member search filter */
	dg_entry_list kept;
	uint32_t *kept_node;
	size_t kept_node_alloc;

	/* member search: template and an index on its {member} attributes */
	char *member_tmpl;
	int member_tmpl_bad;
	int member_plan_ready;
	dg_filter_plan member_plan;

	dg_strlist cycles;    /* keys of cycles already reported */

	/* findings */
	unsigned repeat[DGF_COUNT_];
	size_t no_category;
	dg_strbuf canon, tmp, tmp2;
} state;

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A finding from the connector itself, at most MAX_REPEAT per code. */
static dg_finding *finding(state *s, dg_finding_code code, const char *path,
			   int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static dg_finding *finding(state *s, dg_finding_code code, const char *path,
			   int line, const char *fmt, ...)
{
	int idx = code;
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_finding *fd;
	va_list ap;
	if (s->repeat[idx]++ >= MAX_REPEAT)
		return NULL;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fd = dg_findings_add(&s->out->findings, code, path, "%s", msg.buf);
	dg_strbuf_release(&msg);
	if (line)
		dg_finding_locate(fd, s->file, line, 0);
	return fd;
}

static void hint(dg_finding *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hint(dg_finding *fd, const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	if (!fd)
		return;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	dg_finding_hint(fd, "%s", sb.buf);
	dg_strbuf_release(&sb);
}

static void push_values(const dg_entry *e, const char *name, dg_strlist *out)
{
	size_t i = 0;
	const dg_attr *a;
	while ((a = dg_ldap_attr_next(e, name, &i)))
		for (size_t j = 0; j < a->nvals; j++)
			dg_strlist_push(out, a->vals[j].val);
}

static int want(state *s, const char *attr)
{
	return dg_attr_table_add(&s->attrs, attr, 1);
}

static void want_filter_attr(const char *attr, void *ctx)
{
	want(ctx, attr);
}

static void keep_filter_attr(const char *attr, void *ctx)
{
	state *s = ctx;
	s->attrs.items[want(s, attr)].keep = 1;
}

static int want_attr(void *ctx, const char *type, size_t len)
{
	const state *s = ctx;
	int i = dg_attr_table_find(&s->attrs, type, len);
	return i >= 0 && s->attrs.items[i].on;
}

/* ---------------------------------------------------------------------- */
/* Filter hooks: what only a directory server knows                       */

static int hook_match_value(void *ctx, const dg_entry *e, const char *attr,
			    const dg_value *value, const dg_value *assertion)
{
	state *s = ctx;
	(void)e;
	return dg_ldap_match_value(s->ad, attr, value, assertion, &s->tmp, &s->tmp2);
}

/* LDAP_MATCHING_RULE_IN_CHAIN over the snapshot's member/memberOf graph.
 * memberOf:…1941:=G asks "is e below G"; member:…1941:=X "is X below e".
 * Evaluated after the whole file is read (filters using it are deferred);
 * the set below one group is computed once and reused for every entry. */
static int hook_in_chain(void *ctx, const dg_entry *e, const char *attr, const char *dn)
{
	state *s = ctx;
	long a = dg_graph_node_for_dn(&s->graph, e->dn, strlen(e->dn), 0);
	long b = dg_graph_node_for_dn(&s->graph, dn, strlen(dn), 0);
	if (a < 0 || b < 0)
		return 0;
	if (!strcasecmp(attr, "memberOf"))
		return a != b && dg_graph_below(&s->graph, (uint32_t)b, (uint32_t)a);
	if (!strcasecmp(attr, "member"))
		return a != b && dg_graph_below(&s->graph, (uint32_t)a, (uint32_t)b);
	return a == b;
}

/* ---------------------------------------------------------------------- */
/* Users and groups                                                       */

static long parse_long(const char *v, int *ok)
{
	char *end;
	long long n;
	errno = 0;
	n = strtoll(v, &end, 10);
	*ok = !errno && end != v && !*end;
	return (long)n;
}

/* A string for a user record: in the list's arena (see connector.h). */
static char *ustr(const state *s, const char *v)
{
	dg_arena *a = s->out->users.arena;
	return a ? dg_arena_strdup(a, v) : dg_xstrdup(v);
}

static char *wdup(const state *s, const dg_entry *e, int w)
{
	const char *v = dg_attr_table_first(&s->attrs, e, w);
	return v ? ustr(s, v) : NULL;
}

/* Only SMTP addresses matter to MailStore; the mapping drops X500:, SIP:
 * and the rest anyway, and they are the longest values a user has. */
static int is_smtp(const dg_value *v)
{
	return v->len > 5 && !strncasecmp(v->val, "smtp:", 5);
}

static void ad_fill_user(state *s, const dg_entry *e, dg_dir_user *u)
{
	const char *uac = dg_attr_table_first(&s->attrs, e, W_UAC);
	const char *hide = dg_attr_table_first(&s->attrs, e, W_HIDE);
	dg_username_format unf = dg_profile_user_name_format(s->p);

	u->name_value = wdup(s, e, unf == DG_UNF_SAM ? W_SAM : W_UPN);
	u->full_name = wdup(s, e, W_DISPLAYNAME);
	dg_attr_table_copy(&s->attrs, e, W_MAIL, &u->mails, NULL, s->out->users.arena);
	dg_attr_table_copy(&s->attrs, e, W_PROXY, &u->proxy_addresses, is_smtp,
			   s->out->users.arena);
	u->exchange = (u->mails.nr || dg_attr_table_get(&s->attrs, e, W_PROXY)) ? 1 : 0;
	u->hidden = (hide && !strcasecmp(hide, "TRUE")) ? 1 : 0;
	u->disabled = -1;
	if (uac) {
		int ok;
		long v = parse_long(uac, &ok);
		if (ok) {
			u->disabled = (v & 2) ? 1 : 0;
		} else {
			dg_finding *fd;
			fd = finding(s, DGF_SNAP018, SNAP_PATH, e->line,
				     "userAccountControl of %s is \"%s\", not a number; whether "
				     "the account is disabled is unknown", e->dn, uac);
			hint(fd, "AD writes userAccountControl as a decimal number (512 enabled, "
				 "514 disabled). Export the attribute unchanged.");
		}
	}
}

static void ldap_fill_user(state *s, const dg_entry *e, dg_dir_user *u)
{
	u->name_value = wdup(s, e, s->w_name);
	u->full_name = wdup(s, e, s->w_full);
	dg_attr_table_copy(&s->attrs, e, s->w_mail, &u->mails, NULL, s->out->users.arena);
	/* disabled / hidden / exchange stay -1: generic LDAP has no such notion */
}

static void add_user(state *s, uint32_t id, const dg_entry *e)
{
	dg_dir_user *u = dg_dir_user_list_add(&s->out->users, e->dn);
	u->dn = ustr(s, e->dn);
	if (s->ad)
		ad_fill_user(s, e, u);
	else
		ldap_fill_user(s, e, u);
	/* with a group selection, membership decides later */
	u->in_groups = (s->ad ? dg_ad_opts(s->p)->groups.nr : dg_ldap_opts(s->p)->group_names.nr)
			       ? 0 : 1;
	s->graph.nodes[id].user = (int32_t)(s->out->users.nr - 1);
}

static int ad_is_user(state *s, const dg_entry *e)
{
	if (dg_attr_table_has(&s->attrs, e, W_OBJECTCLASS, "computer"))
		return 0; /* computers are users to AD's objectClass, not to MailStore */
	if (!dg_attr_table_first(&s->attrs, e, W_OBJECTCATEGORY)) {
		/* An export that left objectCategory out: the server would still
		 * have matched, so judge by objectClass and say so. */
		if (!dg_attr_table_has(&s->attrs, e, W_OBJECTCLASS, "user"))
			return 0;
		s->no_category++;
		return 1;
	}
	return dg_filter_match(s->user_filter, e, &s->hooks);
}

static int is_user(state *s, const dg_entry *e)
{
	if (s->user_filter_bad)
		return 0;
	if (s->ad)
		return ad_is_user(s, e);
	return dg_filter_match(s->user_filter, e, &s->hooks);
}

static int is_group(state *s, const dg_entry *e)
{
	if (s->ad)
		return dg_attr_table_has(&s->attrs, e, W_OBJECTCLASS, "group");
	return s->group_filter && dg_filter_match(s->group_filter, e, &s->hooks);
}

static void add_group(state *s, uint32_t id, const dg_entry *e)
{
	group *g;
	DG_ALLOC_GROW(s->groups, s->ngroups + 1, s->groups_alloc);
	g = &s->groups[s->ngroups];
	memset(g, 0, sizeof(*g));
	g->node = id;
	g->dn = dg_xstrdup(e->dn);
	g->line = e->line;
	if (s->ad) {
		push_values(e, "cn", &g->names);
		push_values(e, "name", &g->names);
		push_values(e, "sAMAccountName", &g->names);
	} else {
		push_values(e, s->gname_attr, &g->names);
		dg_attr_table_copy(&s->attrs, e, s->w_members, &g->members, NULL, NULL);
	}
	s->graph.nodes[id].group = (int32_t)s->ngroups++;
}

/* member -> kid, memberOf -> parent (AD semantics; used by AD group
 * selection and by IN_CHAIN). */
static void add_edges(state *s, uint32_t id, const dg_entry *e)
{
	size_t i = 0;
	const dg_attr *a;
	if (!dg_attr_table_get(&s->attrs, e, W_MEMBER) &&
	    !dg_attr_table_get(&s->attrs, e, W_MEMBEROF))
		return; /* most entries: nothing to scan for */
	while ((a = dg_ldap_attr_next(e, "member", &i)))
		dg_graph_add_members(&s->graph, id, a);
	i = 0;
	while ((a = dg_ldap_attr_next(e, "memberOf", &i)))
		dg_graph_add_member_of(&s->graph, id, a);
}

/* AD's ranged retrieval ("member;range=0-1499") in an export means the
 * rest of the values were never fetched. */
static void check_ranged(state *s, const dg_entry *e)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		const char *r = strchr(e->attrs[i].name, ';');
		if (r)
			r = strcasestr(r, ";range=");
		size_t n;
		dg_finding *fd;
		if (!r)
			continue;
		n = strlen(r);
		if (n >= 2 && r[n - 2] == '-' && r[n - 1] == '*')
			continue;
		fd = finding(s, DGF_SNAP016, SNAP_PATH, e->line,
			     "%s holds only \"%s\": the export stopped after part of the values, "
			     "so group membership from this snapshot is incomplete",
			     e->dn, e->attrs[i].name);
		hint(fd, "The export tool did not follow AD's ranged retrieval. ldifde and "
			 "\"dirgate snapshot\" fetch every range; with ldapsearch, read the "
			 "group's member;range=N-* until the answer ends in -*.");
	}
}

/* Saves a copy of e (entries arrive borrowed from the reader).  With
 * `pruned`, only the attributes the member search filter reads are kept:
 * the rest is memory for nothing. */
static void keep_entry(state *s, uint32_t id, const dg_entry *e, int pruned)
{
	dg_entry *c;
	size_t n = 0;
	DG_ALLOC_GROW(s->kept.items, s->kept.nr + 1, s->kept.alloc);
	DG_ALLOC_GROW(s->kept_node, s->kept.nr + 1, s->kept_node_alloc);
	c = &s->kept.items[s->kept.nr];
	memset(c, 0, sizeof(*c));
	c->dn = dg_xstrdup(e->dn);
	c->line = e->line;
	c->attrs = dg_xcalloc(e->nattrs ? e->nattrs : 1, sizeof(*c->attrs));
	for (size_t i = 0; i < e->nattrs; i++) {
		const dg_attr *a = &e->attrs[i];
		int w = dg_attr_table_find_desc(&s->attrs, a->name, strlen(a->name));
		dg_attr *d;
		if (pruned && (w < 0 || !s->attrs.items[w].keep))
			continue;
		d = &c->attrs[n++];
		d->name = dg_xstrdup(a->name);
		d->vals = dg_xmalloc((a->nvals ? a->nvals : 1) * sizeof(*d->vals));
		d->nvals = d->alloc = a->nvals;
		for (size_t j = 0; j < a->nvals; j++) {
			d->vals[j].val = dg_xstrndup(a->vals[j].val, a->vals[j].len);
			d->vals[j].len = a->vals[j].len;
		}
	}
	c->nattrs = c->alloc = n;
	s->kept_node[s->kept.nr] = id;
	s->graph.nodes[id].kept = (int32_t)s->kept.nr++;
}

/* Users and groups are decided here, during the read or (deferred) after it. */
static void classify(state *s, uint32_t id, const dg_entry *e)
{
	int grp = is_group(s, e), usr = is_user(s, e);
	if (grp)
		add_group(s, id, e);
	if (usr)
		add_user(s, id, e);
	if (s->keep_members && (grp || usr) && s->graph.nodes[id].kept < 0)
		keep_entry(s, id, e, 1);
}

static void note_outside(state *s, const dg_entry *e)
{
	s->out_of_scope++;
	if (!s->first_outside)
		s->first_outside = dg_xstrdup(e->dn);
}

static int on_entry(void *ctx, dg_entry *e)
{
	state *s = ctx;
	long id;
	dg_finding *fd;

	s->out->entries_read++;
	if (dg_dn_canonical(e->dn, strlen(e->dn), &s->canon)) {
		fd = finding(s, DGF_SNAP008, SNAP_PATH, e->line,
			     "\"%s\" is not a valid DN; the entry is skipped", e->dn);
		hint(fd, "A DN is a list of attribute=value pairs separated by commas, with "
			 "',', '+', '\"', '\\\\', '<', '>' and ';' in values escaped by a "
			 "backslash (RFC 4514), e.g. CN=Doe\\, John,OU=Sales,DC=contoso,DC=com.");
		return 0;
	}
	if (s->has_base && !dg_dn_is_under(s->canon.buf, s->canon.len, s->base.buf, s->base.len)) {
		note_outside(s, e);
		return 0;
	}
	s->in_scope++;
	id = dg_graph_node_canonical(&s->graph, s->canon.buf, s->canon.len,
				     dg_key_hash(s->canon.buf, s->canon.len), 1);
	if (s->graph.nodes[id].present) {
		fd = finding(s, DGF_SNAP009, SNAP_PATH, e->line,
			     "%s appears more than once; only its first record is used", e->dn);
		hint(fd, "Two exports were probably concatenated. Export once, or remove the "
			 "duplicate records.");
		return 0;
	}
	s->graph.nodes[id].present = 1;
	dg_attr_table_map(&s->attrs, e);
	check_ranged(s, e);
	if (s->graph_edges)
		add_edges(s, (uint32_t)id, e);
	if (s->deferred)
		keep_entry(s, (uint32_t)id, e, 0);
	else
		classify(s, (uint32_t)id, e);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Generic LDAP member search: {member} filled in, answered from an index */

#define MEMBER_TOKEN "dgmember7x4q"

static void fill_template(const char *tmpl, const char *v, size_t n, dg_strbuf *out)
{
	dg_strbuf esc = DG_STRBUF_INIT;
	const char *p = tmpl, *hit;
	dg_filter_escape_value(v, n, &esc);
	dg_strbuf_reset(out);
	while ((hit = strstr(p, "{member}"))) {
		dg_strbuf_add(out, p, (size_t)(hit - p));
		dg_strbuf_add(out, esc.buf, esc.len);
		p = hit + 8;
	}
	dg_strbuf_adds(out, p);
	dg_strbuf_release(&esc);
}

static void group_kid(group *g, uint32_t k)
{
	DG_ALLOC_GROW(g->kids, g->nkids + 1, g->kalloc);
	g->kids[g->nkids++] = k;
}

static void note_unresolved(group *g, const char *v)
{
	if (!g->unresolved++)
		g->first_unresolved = dg_xstrdup(v);
}

/* Every kept entry the filled-in filter matches becomes a member. */
static void search_member(state *s, group *g, const char *v, size_t n, uint32_t *seen,
			  uint32_t stamp)
{
	dg_filter_error ferr;
	dg_filter *f;
	dg_idlist cand = { 0 };
	size_t matched = 0;
	int narrowed;

	fill_template(s->member_tmpl, v, n, &s->tmp2);
	f = dg_filter_parse(s->tmp2.buf, &ferr);
	if (!f) {
		if (!s->member_tmpl_bad++) {
			dg_finding *fd = finding(s, DGF_SNAP010,
						 "/directory/groups/memberSearchFilter", 0,
						 "the member search filter cannot be evaluated "
						 "with \"%s\" filled in: %s (column %d)",
						 v, ferr.message, ferr.column);
			hint(fd, "Check the filter with \"dirgate filter\"; group members are not "
				 "resolved while it fails.");
		}
		return;
	}
	narrowed = dg_filter_plan_candidates(&s->member_plan, f, &cand);
	size_t total = narrowed ? cand.nr : s->kept.nr;
	for (size_t i = 0; i < total; i++) {
		uint32_t k = narrowed ? cand.ids[i] : (uint32_t)i;
		if (seen[k] == stamp)
			continue; /* listed twice by the OR branches */
		seen[k] = stamp;
		if (dg_filter_match(f, &s->kept.items[k], &s->hooks)) {
			group_kid(g, s->kept_node[k]);
			matched++;
		}
	}
	if (!matched)
		note_unresolved(g, v);
	free(cand.ids);
	dg_filter_free(f);
}

static void resolve_members(state *s, group *g)
{
	uint32_t *seen = NULL;
	if (g->resolved)
		return;
	g->resolved = 1;
	if (s->member_tmpl) {
		if (s->member_tmpl_bad)
			return;
		seen = dg_xcalloc(s->kept.nr ? s->kept.nr : 1, sizeof(*seen));
	}
	for (size_t i = 0; i < g->members.nr; i++) {
		const char *v = g->members.items[i];
		if (seen) {
			search_member(s, g, v, strlen(v), seen, (uint32_t)i + 1);
			if (s->member_tmpl_bad)
				break;
			continue;
		}
		long k = dg_graph_node_for_dn(&s->graph, v, strlen(v), 0);
		if (k >= 0 && s->graph.nodes[k].present)
			group_kid(g, (uint32_t)k);
		else
			note_unresolved(g, v);
	}
	free(seen);
}

/* ---------------------------------------------------------------------- */
/* Group selection                                                        */

static const char *node_label(const state *s, uint32_t id)
{
	const dg_graph_node *nd = &s->graph.nodes[id];
	if (nd->group >= 0)
		return s->groups[nd->group].dn;
	if (nd->user >= 0)
		return s->out->users.items[nd->user].entry;
	return dg_graph_written(&s->graph, id);
}

/* Children in the walk: AD follows the member/memberOf graph; generic LDAP
 * follows its group definitions (only groups have members there). */
static void kids_of(state *s, uint32_t id, const uint32_t **kids, size_t *n)
{
	dg_graph_node *nd = &s->graph.nodes[id];
	if (s->ad) {
		*kids = nd->kids;
		*n = nd->nkids;
		return;
	}
	*kids = NULL;
	*n = 0;
	if (nd->group < 0)
		return;
	resolve_members(s, &s->groups[nd->group]);
	*kids = s->groups[nd->group].kids;
	*n = s->groups[nd->group].nkids;
}

static void report_cycle(state *s, const dg_graph_frame *st, size_t from, size_t top)
{
	dg_strlist names = DG_STRLIST_INIT;
	dg_strbuf key = DG_STRBUF_INIT, path = DG_STRBUF_INIT;
	dg_finding *fd;
	for (size_t i = from; i <= top; i++)
		dg_strlist_push(&names, dg_graph_key(&s->graph, st[i].node));
	qsort(names.items, names.nr, sizeof(*names.items), cmp_str);
	for (size_t i = 0; i < names.nr; i++) {
		dg_strbuf_adds(&key, names.items[i]);
		dg_strbuf_addch(&key, '\n');
	}
	if (!dg_strlist_contains_ci(&s->cycles, key.buf)) {
		dg_strlist_push(&s->cycles, key.buf);
		for (size_t i = from; i <= top; i++) {
			dg_strbuf_adds(&path, node_label(s, st[i].node));
			dg_strbuf_adds(&path, " -> ");
		}
		dg_strbuf_adds(&path, node_label(s, st[from].node));
		fd = finding(s, DGF_SNAP013,
			     s->ad ? "/directory/filters/groups" : "/directory/groups/names", 0,
			     "nested groups form a cycle: %s", path.buf);
		hint(fd, "Members of these groups are each counted once, but AD and LDAP tools "
			 "behave unpredictably with circular nesting. Remove one of the "
			 "memberships.");
	}
	dg_strlist_clear(&names);
	dg_strbuf_release(&key);
	dg_strbuf_release(&path);
}

/* A group's name for a path a person reads: its name attribute (cn),
 * else the value of its DN's first RDN. */
static void group_short_name(const state *s, uint32_t id, dg_strbuf *out)
{
	const dg_graph_node *nd = &s->graph.nodes[id];
	const char *dn, *eq;
	if (nd->group >= 0 && s->groups[nd->group].names.nr) {
		dg_strbuf_adds(out, s->groups[nd->group].names.items[0]);
		return;
	}
	dn = node_label(s, id);
	eq = strchr(dn, '=');
	for (const char *p = eq ? eq + 1 : dn; *p && *p != ','; p++) {
		if (*p == '\\' && p[1])
			p++;
		dg_strbuf_addch(out, *p);
	}
}

/* "Selected ← Sub ← Sub-sub": the walk's stack when it reached the user
 * (st[0] is the selected group, shown as the profile names it). */
static void push_group_path(const state *s, dg_dir_user *u, const char *label,
			    const dg_graph_frame *st, size_t sp)
{
	dg_strbuf path = DG_STRBUF_INIT;
	dg_strbuf_adds(&path, label);
	for (size_t i = 1; i < sp; i++) {
		dg_strbuf_adds(&path, " \u2190 ");
		group_short_name(s, st[i].node, &path);
	}
	if (!u->group_paths.alloc) { /* one slot, as for groups */
		u->group_paths.items = dg_xmalloc(sizeof(*u->group_paths.items));
		u->group_paths.alloc = 1;
	}
	dg_strlist_push_owned(&u->group_paths, ustr(s, path.buf));
	dg_strbuf_release(&path);
}

typedef struct walk_stats {
	size_t missing;
	uint32_t first_missing;
} walk_stats;

/* One selected group's walk: the users it reaches qualify through `label`. */
typedef struct selection_walk {
	state *s;
	const char *label;
	walk_stats *ws;
} selection_walk;

static void walk_kids(void *ctx, uint32_t id, const uint32_t **kids, size_t *n)
{
	kids_of(((selection_walk *)ctx)->s, id, kids, n);
}

static void walk_cycle(void *ctx, const dg_graph_frame *st, size_t from, size_t top)
{
	report_cycle(((selection_walk *)ctx)->s, st, from, top);
}

static void user_qualifies(state *s, dg_dir_user *u, const char *label,
			   const dg_graph_frame *st, size_t sp)
{
	u->in_groups = 1;
	if (!u->groups.alloc) {
		/* most users qualify through one group: one slot, not the
		 * eight a strlist starts with */
		u->groups.items = dg_xmalloc(sizeof(*u->groups.items));
		u->groups.alloc = 1;
	}
	if (!dg_strlist_contains_ci(&u->groups, label)) {
		dg_strlist_push_owned(&u->groups, ustr(s, label));
		push_group_path(s, u, label, st, sp);
	}
}

static void walk_reached(void *ctx, uint32_t k, const dg_graph_frame *st, size_t sp)
{
	selection_walk *w = ctx;
	const dg_graph_node *nd = &w->s->graph.nodes[k];
	if (nd->user >= 0)
		user_qualifies(w->s, &w->s->out->users.items[nd->user], w->label, st, sp);
	else if (!nd->present && !nd->nkids && !w->ws->missing++)
		w->ws->first_missing = k;
}

/* Marks every user reachable from `roots` as qualifying through `label`. */
static void expand(state *s, const char *label, const uint32_t *roots, size_t nroots,
		   walk_stats *ws)
{
	selection_walk sw = { s, label, ws };
	dg_graph_walker w = { walk_kids, walk_reached, walk_cycle, &sw };
	dg_graph_walk(&s->graph, roots, nroots, &w);
}

/* A selected group given by DN. */
static void roots_by_dn(state *s, const char *spec, const char *path, dg_idlist *roots)
{
	long k = dg_graph_node_for_dn(&s->graph, spec, strlen(spec), 0);
	dg_finding *fd;
	if (k >= 0 && s->graph.nodes[k].group >= 0) {
		dg_idlist_push(roots, (uint32_t)k);
		return;
	}
	if (k >= 0 && s->ad && s->graph.nodes[k].nkids) {
		/* no group entry, but users name it in memberOf */
		dg_idlist_push(roots, (uint32_t)k);
		fd = finding(s, DGF_SNAP021, path, 0,
			     "the group %s is not in the snapshot; its members are taken from the "
			     "memberOf values of the entries that are", spec);
		hint(fd, "Export the group entries too (for ldifde, a base DN that contains the "
			 "groups) so nested groups are followed.");
		return;
	}
	fd = finding(s, DGF_SNAP011, path, 0,
		     "the selected group %s is not in the snapshot, and no entry names it in "
		     "memberOf: nobody qualifies through it", spec);
	hint(fd, "Check the DN against the directory, and that the export's base DN includes "
		 "the group.");
}

/* AD without the group entries: DNs named in memberOf whose first RDN is
 * CN=<name>. */
static void roots_by_memberof_name(state *s, const char *name, dg_idlist *roots)
{
	dg_strbuf cn = DG_STRBUF_INIT;
	dg_strbuf_adds(&cn, "CN=");
	dg_dn_escape_value(name, &cn);
	if (!dg_dn_canonical(cn.buf, cn.len, &s->tmp2)) {
		dg_strbuf_addch(&s->tmp2, ',');
		for (size_t i = 0; i < dg_graph_size(&s->graph); i++) {
			const dg_graph_node *nd = &s->graph.nodes[i];
			if (!nd->present && nd->nkids &&
			    dg_key_table_len(&s->graph.dns, (uint32_t)i) > s->tmp2.len &&
			    !memcmp(dg_graph_key(&s->graph, (uint32_t)i), s->tmp2.buf, s->tmp2.len))
				dg_idlist_push(roots, (uint32_t)i);
		}
	}
	dg_strbuf_release(&cn);
}

static void roots_by_name(state *s, const char *spec, const char *path, dg_idlist *roots)
{
	dg_finding *fd;
	for (size_t i = 0; i < s->ngroups; i++)
		if (dg_strlist_contains_ci(&s->groups[i].names, spec))
			dg_idlist_push(roots, s->groups[i].node);
	if (roots->nr > 1) {
		dg_strbuf list = DG_STRBUF_INIT;
		for (size_t i = 0; i < roots->nr; i++) {
			dg_strbuf_adds(&list, i ? "; " : "");
			dg_strbuf_adds(&list, node_label(s, roots->ids[i]));
		}
		fd = finding(s, DGF_SNAP012, path, 0,
			     "\"%s\" names %zu groups (%s); members of all of them are counted",
			     spec, roots->nr, list.buf);
		hint(fd, "Give the group's distinguished name instead of its name to select "
			 "exactly one.");
		dg_strbuf_release(&list);
		return;
	}
	if (roots->nr)
		return;
	if (s->ad)
		roots_by_memberof_name(s, spec, roots);
	if (roots->nr) {
		fd = finding(s, DGF_SNAP021, path, 0,
			     "no group named \"%s\" is in the snapshot; its members are taken "
			     "from memberOf values naming %s", spec, node_label(s, roots->ids[0]));
		hint(fd, "Export the group entries too so nested groups are followed.");
		return;
	}
	fd = finding(s, DGF_SNAP011, path, 0,
		     "no group named \"%s\" is in the snapshot: nobody qualifies through it",
		     spec);
	hint(fd, "Group names are matched against %s, case-insensitively. Check the spelling, "
		 "or give the group's DN.", s->ad ? "cn, name and sAMAccountName"
						  : "the groups' name attribute");
}

static void select_groups(state *s)
{
	const dg_strarr *sel = s->ad ? &dg_ad_opts(s->p)->groups
				     : &dg_ldap_opts(s->p)->group_names;
	const char *path = s->ad ? "/directory/filters/groups" : "/directory/groups/names";
	for (size_t i = 0; i < sel->nr; i++) {
		const char *spec = sel->items[i];
		dg_idlist roots = { 0 };
		walk_stats ws = { 0, 0 };
		char ipath[64];
		snprintf(ipath, sizeof(ipath), "%s/%zu", path, i);
		if (dg_dn_looks_like(spec))
			roots_by_dn(s, spec, ipath, &roots);
		else
			roots_by_name(s, spec, ipath, &roots);
		expand(s, spec, roots.ids, roots.nr, &ws);
		if (ws.missing) {
			dg_finding *fd = finding(s, DGF_SNAP019, ipath, 0,
						 "%zu member%s of \"%s\" (nested groups included) "
						 "%s not in the snapshot, e.g. %s", ws.missing,
						 ws.missing == 1 ? "" : "s", spec,
						 ws.missing == 1 ? "is" : "are",
						 node_label(s, ws.first_missing));
			hint(fd, "They are outside the base DN or were not exported (e.g. foreign "
				 "security principals). They cannot be synchronised from here.");
		}
		free(roots.ids);
	}
}

/* Generic LDAP: member values that matched no entry, per group reached. */
static void report_ldap_unresolved(state *s)
{
	for (size_t i = 0; i < s->ngroups; i++) {
		group *g = &s->groups[i];
		dg_finding *fd;
		if (!g->unresolved)
			continue;
		fd = finding(s, DGF_SNAP019, "/directory/groups/membersAttribute",
			     g->line, "%zu of the %zu members of %s match%s no entry in the "
			     "snapshot, e.g. \"%s\"", g->unresolved, g->members.nr, g->dn,
			     g->unresolved == 1 ? "es" : "", g->first_unresolved);
		hint(fd, s->member_tmpl
			 ? "Check that the member search filter finds the users these values name, "
			   "and that they are under the base DN."
			 : "Member values are read as DNs; if they are plain user names "
			   "(posixGroup memberUid) set /directory/groups/memberSearchFilter.");
	}
}

/* ---------------------------------------------------------------------- */
/* Setup                                                                  */

static dg_filter *parse_profile_filter(state *s, const char *text, const char *path,
				       const char *what)
{
	dg_filter_error ferr;
	dg_filter *f = dg_filter_parse(text, &ferr);
	if (!f) {
		dg_finding *fd = finding(s, DGF_SNAP010, path, 0,
					 "the %s \"%s\" cannot be evaluated on the snapshot: %s "
					 "(column %d)", what, text, ferr.message, ferr.column);
		hint(fd, "Fix the filter (\"dirgate filter '%s'\" shows where it breaks); no %s "
			 "are taken from the snapshot until then.", text,
			 !strcmp(what, "user filter") ? "users" : "groups");
	}
	return f;
}

static void setup_base(state *s)
{
	const dg_dir_active_directory *ad = dg_ad_opts(s->p);
	const char *base = s->ad ? ad->base_dn : dg_ldap_opts(s->p)->base_dn;
	dg_strbuf derived = DG_STRBUF_INIT;
	if ((!base || !*base) && s->ad && ad->domain && *ad->domain) {
		/* MailStore derives the base DN from the domain: contoso.com ->
		 * DC=contoso,DC=com (what RootDSE would also say). */
		const char *p = ad->domain;
		while (*p) {
			const char *dot = strchr(p, '.');
			size_t n = dot ? (size_t)(dot - p) : strlen(p);
			dg_strbuf_adds(&derived, derived.len ? ",DC=" : "DC=");
			dg_strbuf_add(&derived, p, n);
			p += n + (dot ? 1 : 0);
		}
		base = derived.buf;
	}
	if (base && *base) {
		if (dg_dn_canonical(base, strlen(base), &s->base)) {
			dg_finding *fd = finding(s, DGF_SNAP008, "/directory/baseDn", 0,
						 "the base DN \"%s\" is not a valid DN; the whole "
						 "snapshot is read", base);
			hint(fd, "Write it as e.g. DC=contoso,DC=com.");
		} else {
			s->has_base = s->base.len > 0;
		}
	}
	dg_strbuf_release(&derived);
}

static void setup_ad(state *s)
{
	/* in the order of the W_ constants after W_OBJECTCLASS */
	static const char *const attrs[] = {
		"objectCategory", "userAccountControl", "sAMAccountName", "userPrincipalName",
		"displayName", "mail", "proxyAddresses", "msExchHideFromAddressLists", "cn", "name",
		NULL
	};
	dg_filter_error ferr;
	for (int i = 0; attrs[i]; i++)
		if (want(s, attrs[i]) != W_OBJECTCATEGORY + i)
			abort(); /* the table and the enum disagree: a bug */
	s->user_filter = dg_filter_parse(dg_profile_user_filter(s->p), &ferr);
	if (!s->user_filter)
		s->user_filter_bad = 1; /* only if the filter parser itself is broken */
	s->graph_edges = dg_ad_opts(s->p)->groups.nr > 0;
}

static void setup_member_search(state *s)
{
	dg_strbuf probe = DG_STRBUF_INIT;
	dg_filter_error ferr;
	dg_filter *f;
	const char *tmpl = dg_ldap_opts(s->p)->member_search_filter;
	s->member_tmpl = dg_xstrdup(tmpl);
	s->keep_members = 1;
	fill_template(tmpl, MEMBER_TOKEN, strlen(MEMBER_TOKEN), &probe);
	f = dg_filter_parse(probe.buf, &ferr);
	if (!f) {
		s->member_tmpl_bad = 1;
		dg_finding *fd;
		fd = finding(s, DGF_SNAP010, "/directory/groups/memberSearchFilter", 0,
			     "the member search filter \"%s\" cannot be evaluated on the "
			     "snapshot: %s (column %d)", tmpl, ferr.message, ferr.column);
		hint(fd, "Fix the filter; group members are not resolved until then.");
	} else {
		dg_filter_walk_attrs(f, keep_filter_attr, s);
		dg_filter_plan_init(&s->member_plan, f, MEMBER_TOKEN);
		s->member_plan_ready = 1;
		dg_filter_free(f);
	}
	dg_strbuf_release(&probe);
}

static void setup_ldap(state *s)
{
	const dg_dir_ldap *l = dg_ldap_opts(s->p);
	const char *uf = dg_profile_user_filter(s->p);
	const char *gf = l->group_filter;
	s->name_attr = l->user_name_attr ? l->user_name_attr : "uid";
	s->full_attr = l->full_name_attr ? l->full_name_attr : "cn";
	s->mail_attr = l->email_attr ? l->email_attr : "mail";
	s->gname_attr = l->group_name_attr ? l->group_name_attr : "cn";
	s->members_attr = l->members_attr ? l->members_attr : "member";
	s->w_name = want(s, s->name_attr);
	s->w_full = want(s, s->full_attr);
	s->w_mail = want(s, s->mail_attr);
	s->w_gname = want(s, s->gname_attr);
	s->w_members = want(s, s->members_attr);
	s->user_filter = parse_profile_filter(s, uf, "/directory/users/filter", "user filter");
	s->user_filter_bad = !s->user_filter;
	if (s->user_filter)
		dg_filter_walk_attrs(s->user_filter, want_filter_attr, s);
	if (!gf && l->group_names.nr)
		/* the checks report LDAP008; still find the usual group classes */
		gf = dg_profile_group_filter(s->p);
	if (gf) {
		s->group_filter = parse_profile_filter(s, gf, "/directory/groups/filter",
						       "group filter");
		if (s->group_filter)
			dg_filter_walk_attrs(s->group_filter, want_filter_attr, s);
	}
	if (l->group_names.nr && l->member_search_filter && *l->member_search_filter)
		setup_member_search(s);
}

static void setup(state *s)
{
	s->hooks.match_value = hook_match_value;
	s->hooks.in_chain = hook_in_chain;
	s->hooks.ctx = s;
	setup_base(s);
	dg_attr_table_add(&s->attrs, "member", 0);        /* W_MEMBER, read only when needed */
	dg_attr_table_add(&s->attrs, "memberOf", 0);      /* W_MEMBEROF */
	want(s, "objectClass");     /* W_OBJECTCLASS */
	if (s->ad)
		setup_ad(s);
	else
		setup_ldap(s);
	if (dg_ldap_filter_uses_in_chain(s->user_filter) ||
	    dg_ldap_filter_uses_in_chain(s->group_filter)) {
		s->deferred = 1;
		s->graph_edges = 1;
	}
	if (s->graph_edges) {
		want(s, "member");
		want(s, "memberOf");
	}
	dg_attr_table_seal(&s->attrs);
}

/* ---------------------------------------------------------------------- */
/* After the read                                                         */

static void classify_deferred(state *s)
{
	dg_entry_list all = s->kept;
	uint32_t *ids = s->kept_node;
	s->kept = (dg_entry_list)DG_ENTRY_LIST_INIT;
	s->kept_node = NULL;
	s->kept_node_alloc = 0;
	s->deferred = 0;
	for (size_t i = 0; i < dg_graph_size(&s->graph); i++)
		s->graph.nodes[i].kept = -1;
	for (size_t i = 0; i < all.nr; i++) {
		dg_attr_table_map(&s->attrs, &all.items[i]);
		classify(s, ids[i], &all.items[i]);
	}
	dg_entry_list_clear(&all);
	free(ids);
}

static void scope_findings(state *s)
{
	dg_finding *fd;
	const char *path = "/directory/baseDn";
	if (!s->out_of_scope)
		return;
	if (!s->in_scope) {
		fd = finding(s, DGF_SNAP014, path, 0,
			     "none of the %zu entries in the snapshot is under the base DN %s "
			     "(the first is %s)", s->out_of_scope, s->base.buf, s->first_outside);
		hint(fd, "Set /directory/baseDn to the naming context the export was made from "
			 "(for Active Directory an empty baseDn means the domain's, derived from "
			 "/directory/domain).");
		return;
	}
	fd = finding(s, DGF_SNAP015, path, 0,
		     "%zu entries of the snapshot are outside the base DN %s and were ignored "
		     "(e.g. %s)", s->out_of_scope, s->base.buf, s->first_outside);
	hint(fd, "MailStore only looks below the base DN; this is expected when the export "
		 "covers more than the base DN.");
}

static void finish(state *s)
{
	const dg_strarr *sel = s->ad ? &dg_ad_opts(s->p)->groups
				     : &dg_ldap_opts(s->p)->group_names;
	if (s->deferred)
		classify_deferred(s);
	if (s->keep_members && !s->member_tmpl_bad)
		for (size_t k = 0; k < s->kept.nr; k++)
			dg_filter_plan_add(&s->member_plan, (uint32_t)k, &s->kept.items[k]);
	if (sel->nr)
		select_groups(s);
	if (!s->ad)
		report_ldap_unresolved(s);
	scope_findings(s);
	if (s->no_category) {
		dg_finding *fd = finding(s, DGF_SNAP017, SNAP_PATH, 0,
					 "%zu user entries have no objectCategory; they were taken "
					 "as persons because their objectClass is user",
					 s->no_category);
		hint(fd, "Export objectCategory too (ldifde exports it by default; with "
			 "ldapsearch, list it among the attributes), so that entries are judged "
			 "exactly as MailStore's filter (&(objectCategory=person)"
			 "(objectClass=user)) would.");
	}
}

static void state_release(state *s)
{
	dg_strbuf_release(&s->base);
	free(s->first_outside);
	dg_filter_free(s->user_filter);
	dg_filter_free(s->group_filter);
	dg_attr_table_release(&s->attrs);
	dg_graph_release(&s->graph);
	for (size_t i = 0; i < s->ngroups; i++) {
		group *g = &s->groups[i];
		free(g->dn);
		dg_strlist_clear(&g->names);
		dg_strlist_clear(&g->members);
		free(g->kids);
		free(g->first_unresolved);
	}
	free(s->groups);
	dg_entry_list_clear(&s->kept);
	free(s->kept_node);
	free(s->member_tmpl);
	if (s->member_plan_ready)
		dg_filter_plan_release(&s->member_plan);
	dg_strlist_clear(&s->cycles);
	dg_strbuf_release(&s->canon);
	dg_strbuf_release(&s->tmp);
	dg_strbuf_release(&s->tmp2);
}

/* Everything a read needs before the first entry; `file` names the source
 * in findings (NULL for a live directory: there is no line to point at). */
static void state_begin(state *s, const dg_profile *p, const char *file, dg_fetch_result *out)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->ad = dg_profile_is_ad(p);
	s->out = out;
	s->file = file;
	dg_strbuf_init(&s->base);
	dg_graph_init(&s->graph);
	dg_strbuf_init(&s->canon);
	dg_strbuf_init(&s->tmp);
	dg_strbuf_init(&s->tmp2);
	/* every string of the users' records goes into the list's arena
	 * (connector.h); a list that has records without one keeps malloc */
	if (!out->users.arena && !out->users.nr)
		out->users.arena = dg_arena_new();
	setup(s);
}

static dg_code check_type(const dg_profile *p, dg_error *err)
{
	if (!dg_profile_is_ad(p) && !dg_profile_is_ldap(p))
		return dg_error_set(err, DG_E_UNSUPPORTED, "LDIF snapshots are for "
				    "active-directory and ldap profiles, not %s",
				    dg_profile_dir_type(p));
	return DG_OK;
}

/* ---------------------------------------------------------------------- */
/* The interface                                                          */

struct dg_ldap_engine {
	state s;
	dg_attr *view;        /* the wanted attributes of the entry being fed */
	size_t view_alloc;
};

dg_code dg_ldap_engine_begin(const dg_profile *p, const char *file, dg_fetch_result *out,
			     dg_ldap_engine **eng, dg_error *err)
{
	dg_code rc;
	*eng = NULL;
	if ((rc = check_type(p, err)) != DG_OK)
		return rc;
	*eng = dg_xcalloc(1, sizeof(**eng));
	state_begin(&(*eng)->s, p, file, out);
	return DG_OK;
}

void dg_ldap_engine_expect(dg_ldap_engine *eng, size_t entries, size_t dn_bytes)
{
	dg_fetch_result *out = eng->s.out;
	if (!out->users.nr)
		DG_ALLOC_GROW(out->users.items, entries, out->users.alloc);
	dg_graph_reserve(&eng->s.graph, entries, dn_bytes);
}

int dg_ldap_engine_wants(const dg_ldap_engine *eng, const char *type, size_t len)
{
	return want_attr((void *)&eng->s, type, len);
}

void dg_ldap_engine_read(dg_ldap_engine *eng, dg_entry *e)
{
	on_entry(&eng->s, e);
}

/* Only the attributes the LDIF reader would have kept (want_attr), so an
 * entry fed here and the same entry read back from a snapshot file are
 * judged alike.  The view borrows e's values. */
void dg_ldap_engine_feed(dg_ldap_engine *eng, dg_entry *e)
{
	dg_entry v = *e;
	size_t n = 0;
	DG_ALLOC_GROW(eng->view, e->nattrs ? e->nattrs : 1, eng->view_alloc);
	for (size_t i = 0; i < e->nattrs; i++) {
		const char *name = e->attrs[i].name;
		if (want_attr(&eng->s, name, dg_attr_type_len(name, strlen(name))))
			eng->view[n++] = e->attrs[i];
	}
	v.attrs = eng->view;
	v.nattrs = n;
	v.alloc = 0;
	on_entry(&eng->s, &v);
}

void dg_ldap_engine_end(dg_ldap_engine *eng, int complete)
{
	if (!eng)
		return;
	if (complete)
		finish(&eng->s);
	state_release(&eng->s);
	free(eng->view);
	free(eng);
}
