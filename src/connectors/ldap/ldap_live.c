/* Live ldap / active-directory directories (see ldap_live.h). */
#include "ldap_live.h"
#include "ldap_profile.h"

#include "../../core/filter.h"
#include "ldif.h"
#include "../../core/strbuf.h"
#include "ldap_conn.h"
#include "dn.h"
#include "ldap_engine.h"

#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the AD rules read (ldap_engine.c): classes and category, account
 * flags, names, addresses, the Exchange flag, and group links both ways. */
static const char *const ad_attrs[] = {
	"objectClass", "objectCategory", "userAccountControl", "sAMAccountName",
	"userPrincipalName", "displayName", "cn", "name", "mail", "proxyAddresses",
	"msExchHideFromAddressLists", "member", "memberOf", NULL,
};

static void push_attr(const char *attr, void *ctx)
{
	dg_strlist *l = ctx;
	if (!dg_strlist_contains_ci(l, attr))
		dg_strlist_push(l, attr);
}

static void push_filter_attrs(const char *filter, dg_strlist *l)
{
	dg_filter_error ferr;
	dg_filter *f = filter ? dg_filter_parse(filter, &ferr) : NULL;
	if (f)
		dg_filter_walk_attrs(f, push_attr, l);
	dg_filter_free(f);
}

/* Appends the member search filter with every {member} replaced by `esc`
 * (already escaped). */
static void fill_member(const char *tmpl, const char *esc, dg_strbuf *out)
{
	const char *hit;
	while ((hit = strstr(tmpl, "{member}"))) {
		dg_strbuf_add(out, tmpl, (size_t)(hit - tmpl));
		dg_strbuf_adds(out, esc);
		tmpl = hit + 8;
	}
	dg_strbuf_adds(out, tmpl);
}

/* Generic LDAP: the attributes the profile names, and those its filters
 * test (so the LDAP engine can evaluate them offline). */
static void ldap_attrs(const dg_profile *p, dg_strlist *l)
{
	const dg_dir_ldap *d = dg_ldap_opts(p);
	const char *named[] = { "objectClass",
				d->user_name_attr ? d->user_name_attr : "uid",
				d->full_name_attr ? d->full_name_attr : "cn",
				d->email_attr ? d->email_attr : "mail",
				d->group_name_attr ? d->group_name_attr : "cn",
				d->members_attr ? d->members_attr : "member" };
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++)
		push_attr(named[i], l);
	push_filter_attrs(dg_profile_user_filter(p), l);
	push_filter_attrs(dg_profile_group_filter(p), l);
	if (d->member_search_filter) {
		/* {member} is a placeholder; any stand-in value parses the same */
		dg_strbuf t = DG_STRBUF_INIT;
		fill_member(d->member_search_filter, "x", &t);
		push_filter_attrs(t.buf, l);
		dg_strbuf_release(&t);
	}
}

static void add_filter(dg_strbuf *q, const char *f)
{
	if (f[0] == '(')
		dg_strbuf_adds(q, f);
	else
		dg_strbuf_addf(q, "(%s)", f); /* "uid=x" is a filter to ldapsearch too */
}

/* Users, and the groups when a group selection needs them (generic LDAP;
 * Active Directory fetches the two apart, see live_run). */
static char *fetch_filter(const dg_profile *p)
{
	dg_strbuf q = DG_STRBUF_INIT;
	if (!dg_ldap_opts(p)->group_names.nr || !dg_profile_is_ldap(p)) {
		add_filter(&q, dg_profile_user_filter(p));
		return dg_strbuf_detach(&q);
	}
	dg_strbuf_adds(&q, "(|");
	add_filter(&q, dg_profile_user_filter(p));
	add_filter(&q, dg_profile_group_filter(p));
	dg_strbuf_addch(&q, ')');
	return dg_strbuf_detach(&q);
}

/* One live read: connected, the base known, the search set up. */
typedef struct live {
	const dg_profile *p;
	dg_ldap_conn *c;
	dg_entry rootdse;
	const char *base;          /* into the profile or rootdse */
	char *filter;
	dg_strlist attrs;
	const char **attr_list;    /* NULL-terminated view of attrs */
	const dg_progress *progress;
	size_t count;
	dg_ldap_entry_fn sink;     /* where the entries go */
	void *sink_ctx;
	dg_strlist *chain_dns;     /* AD group pass: DNs of the selected groups */
	dg_entry_list *groups;     /* generic LDAP group pass: the groups, kept */
	void *seen_dns;            /* tsearch set: entries already delivered */
	dg_strlist *queries;       /* preview --show-queries: the searches as ldapsearch */
} live;

/* Notes a search as the ldapsearch command that repeats it (the bind
 * password is asked for, -W), when the preview collects them. */
static void note_search(live *l, const char *base, const char *filter)
{
	dg_strbuf cmd = DG_STRBUF_INIT;
	if (!l->queries)
		return;
	dg_ldap_search_command(l->c, base, filter, l->attr_list, &cmd);
	dg_strlist_push_owned(l->queries, dg_strbuf_detach(&cmd));
}

static dg_code live_open(const dg_profile *p, live *l, dg_findings *f, dg_error *err)
{
	dg_code code;
	memset(l, 0, sizeof(*l)); /* attrs: an all-zero strlist is an empty one */
	l->p = p;
	if ((code = dg_ldap_connect(p, &l->c, f, err)) != DG_OK)
		return code;
	if ((code = dg_ldap_rootdse(l->c, &l->rootdse, err)) != DG_OK)
		return code;
	if (!(l->base = dg_ldap_search_base(p, &l->rootdse, f)))
		return dg_error_set(err, DG_E_INVALID, "no base DN to search (see the findings)");
	if (dg_profile_is_ad(p))
		for (size_t i = 0; ad_attrs[i]; i++)
			dg_strlist_push(&l->attrs, ad_attrs[i]);
	else
		ldap_attrs(p, &l->attrs);
	l->filter = fetch_filter(p);
	l->attr_list = dg_xcalloc(l->attrs.nr + 1, sizeof(*l->attr_list)); /* NULL-terminated */
	memcpy(l->attr_list, l->attrs.items, l->attrs.nr * sizeof(*l->attr_list));
	return DG_OK;
}

static void live_close(live *l)
{
	free(l->attr_list);
	free(l->filter);
	dg_strlist_clear(&l->attrs);
	dg_entry_release(&l->rootdse);
	dg_ldap_close(l->c);
	tdestroy(l->seen_dns, free);
}

/* Does this AD group entry carry one of the selected names (cn, name or
 * sAMAccountName, as the LDAP engine matches them)? */
static int is_selected_group(const dg_profile *p, const dg_entry *e)
{
	static const char *const name_attrs[] = { "cn", "name", "sAMAccountName" };
	const dg_strarr *sel = &dg_ad_opts(p)->groups;
	for (size_t k = 0; k < sizeof(name_attrs) / sizeof(*name_attrs); k++) {
		const dg_attr *a = dg_entry_attr(e, name_attrs[k]);
		for (size_t i = 0; a && i < a->nvals; i++)
			for (size_t j = 0; j < sel->nr; j++)
				if (!strcasecmp(a->vals[i].val, sel->items[j]))
					return 1;
	}
	return 0;
}

/* Every entry of every search passes here: counted, shown to the
 * progress watcher (the first and every 1024th), noted when it is a
 * selected group, then handed to the sink. */
static int live_entry(void *ctx, dg_entry *e)
{
	live *l = ctx;
	if ((++l->count % 1024 == 0 || l->count == 1) && l->progress)
		l->progress->fn(l->progress->ctx, l->count, 0);
	int stop;
	if (l->chain_dns && is_selected_group(l->p, e))
		dg_strlist_push(l->chain_dns, e->dn);
	stop = l->sink(l->sink_ctx, e);
	if (l->groups && !stop) { /* take it over: the member walk reads it */
		dg_entry *g = dg_entry_list_add(l->groups, "");
		free(g->dn);
		*g = *e;
		memset(e, 0, sizeof(*e));
	}
	return stop;
}

/* Member searches find a user once per group it is in: deliver it once. */
static int live_entry_once(void *ctx, dg_entry *e)
{
	live *l = ctx;
	char *dn = dg_xstrdup(e->dn);
	char **slot = tsearch(dn, &l->seen_dns, (int (*)(const void *, const void *))strcasecmp);
	if (*slot != dn) {
		free(dn); /* delivered before */
		return 0;
	}
	return live_entry(l, e);
}

/* (&<user filter>(|(memberOf:1.2.840.113556.1.4.1941:=<group DN>)...)):
 * LDAP_MATCHING_RULE_IN_CHAIN lets the domain controller follow nested
 * groups, so only the members come back, however big the domain. */
static char *in_chain_filter(const dg_profile *p, const dg_strlist *dns)
{
	dg_strbuf q = DG_STRBUF_INIT;
	dg_strbuf_adds(&q, "(&");
	add_filter(&q, dg_profile_user_filter(p));
	dg_strbuf_adds(&q, "(|");
	for (size_t i = 0; i < dns->nr; i++) {
		dg_strbuf_adds(&q, "(memberOf:" DG_OID_IN_CHAIN ":=");
		dg_filter_escape_value(dns->items[i], strlen(dns->items[i]), &q); /* libldap */
		dg_strbuf_addch(&q, ')');
	}
	dg_strbuf_adds(&q, "))");
	return dg_strbuf_detach(&q);
}

/* Active Directory with a group selection: the groups first (the engine
 * needs them for the names and the nesting it reports), noting the
 * selected ones; then only the users IN_CHAIN of those.  Groups given by
 * DN are used as they are.  No selected group found: no user can qualify,
 * and the engine says which group is missing. */
static dg_code ad_in_chain(live *l, dg_findings *f, dg_error *err)
{
	const dg_strarr *sel = &dg_ad_opts(l->p)->groups;
	dg_strlist dns = DG_STRLIST_INIT;
	dg_strbuf gf = DG_STRBUF_INIT, canon = DG_STRBUF_INIT;
	char *uf;
	dg_code code;

	add_filter(&gf, dg_profile_group_filter(l->p));
	l->chain_dns = &dns;
	note_search(l, l->base, gf.buf);
	code = dg_ldap_search_each(l->c, l->base, gf.buf, l->attr_list, live_entry, l, f, err);
	l->chain_dns = NULL;
	for (size_t i = 0; i < sel->nr; i++) {
		/* a name with '=' in it is not a DN: the server would refuse it */
		const char *spec = sel->items[i];
		if (strchr(spec, '=') && !dg_dn_canonical(spec, strlen(spec), &canon) &&
		    !dg_strlist_contains_ci(&dns, spec))
			dg_strlist_push(&dns, spec);
	}
	dg_strbuf_release(&canon);
	if (code == DG_OK && dns.nr) {
		uf = in_chain_filter(l->p, &dns);
		note_search(l, l->base, uf);
		code = dg_ldap_search_each(l->c, l->base, uf, l->attr_list, live_entry, l, f, err);
		free(uf);
	}
	dg_strbuf_release(&gf);
	dg_strlist_clear(&dns);
	return code;
}

/* ---- generic LDAP: {member} resolved by the server -------------------- */

#define MEMBER_BATCH 64 /* values per member search: one round trip, a short filter */

typedef struct member_walk {
	live *l;
	const dg_dir_ldap *d;
	dg_entry_list groups;      /* every group of the group filter */
	char *queued;              /* per group: already walked */
	size_t *queue, nqueue, qhead;
	void *seen_values;         /* tsearch set of member values asked for */
	dg_strbuf batch;           /* (|T(v1)T(v2)...) being built */
	size_t nbatch;
	dg_code code;
} member_walk;

static void walk_queue(member_walk *w, size_t g)
{
	if (w->queued[g])
		return;
	w->queued[g] = 1;
	w->queue[w->nqueue++] = g;
}

/* Is `spec` (a selected group given as a DN) the DN of e?  Compared in
 * canonical form, as the LDAP engine does, so spacing and case do not
 * leave a group's members unfetched. */
static int same_dn(const char *spec, const dg_entry *e, dg_strbuf *a, dg_strbuf *b)
{
	return strchr(spec, '=') && !dg_dn_canonical(spec, strlen(spec), a) &&
	       !dg_dn_canonical(e->dn, strlen(e->dn), b) && a->len == b->len &&
	       !memcmp(a->buf, b->buf, a->len);
}

/* The groups the profile selects: by name (the group name attribute,
 * case-insensitively) or by DN, as the LDAP engine matches them. */
static void walk_seed(member_walk *w)
{
	const char *name_attr = w->d->group_name_attr ? w->d->group_name_attr : "cn";
	dg_strbuf ca = DG_STRBUF_INIT, cb = DG_STRBUF_INIT;
	for (size_t g = 0; g < w->groups.nr; g++) {
		const dg_entry *e = &w->groups.items[g];
		const dg_attr *a = dg_entry_attr(e, name_attr);
		for (size_t j = 0; j < w->d->group_names.nr; j++) {
			const char *want = w->d->group_names.items[j];
			int hit = same_dn(want, e, &ca, &cb);
			for (size_t i = 0; a && i < a->nvals && !hit; i++)
				hit = !strcasecmp(a->vals[i].val, want);
			if (hit)
				walk_queue(w, g);
		}
	}
	dg_strbuf_release(&ca);
	dg_strbuf_release(&cb);
}

/* Sends the batch: (&<user filter>(|T(v1)...)) — the users among the
 * members; their groups are already here. */
static void walk_flush(member_walk *w, dg_findings *f, dg_error *err)
{
	dg_strbuf q = DG_STRBUF_INIT;
	if (!w->nbatch || w->code != DG_OK)
		return;
	dg_strbuf_adds(&q, "(&");
	add_filter(&q, dg_profile_user_filter(w->l->p));
	dg_strbuf_addf(&q, "(|%s))", w->batch.buf);
	note_search(w->l, w->l->base, q.buf);
	w->code = dg_ldap_search_each(w->l->c, w->l->base, q.buf, w->l->attr_list,
				      live_entry_once, w->l, f, err);
	dg_strbuf_release(&q);
	dg_strbuf_reset(&w->batch);
	w->nbatch = 0;
}

/* One member value: asked for (batched), and every group the filled-in
 * filter matches is walked too — nested groups, each once (cycles end). */
static void walk_value(member_walk *w, const dg_value *v, dg_findings *f, dg_error *err)
{
	dg_strbuf esc = DG_STRBUF_INIT, t = DG_STRBUF_INIT;
	dg_filter_error ferr;
	dg_filter *flt;
	char *key = dg_xstrdup(v->val);
	char **slot = tsearch(key, &w->seen_values, (int (*)(const void *, const void *))strcmp);
	if (*slot != key) {
		free(key);
		return;
	}
	dg_filter_escape_value(v->val, v->len, &esc); /* libldap: a value cannot
							 change the filter */
	fill_member(w->d->member_search_filter, esc.buf, &t);
	if ((flt = dg_filter_parse(t.buf, &ferr))) {
		for (size_t g = 0; g < w->groups.nr; g++)
			if (!w->queued[g] && dg_filter_match(flt, &w->groups.items[g], NULL))
				walk_queue(w, g);
		dg_filter_free(flt);
		dg_strbuf_add(&w->batch, t.buf, t.len);
		if (++w->nbatch == MEMBER_BATCH)
			walk_flush(w, f, err);
	}
	dg_strbuf_release(&esc);
	dg_strbuf_release(&t);
}

/* Generic LDAP with a group selection and a member search filter, the way
 * MailStore resolves members: the groups first (kept), then from the
 * selected ones outwards each member value through the member search
 * filter, filled in with the value escaped, on the server; groups found
 * that way are walked in turn.  Only members are fetched, however big the
 * directory; the LDAP engine then resolves the same values offline. */
static dg_code ldap_member_walk(live *l, dg_findings *f, dg_error *err)
{
	member_walk w;
	dg_strbuf gf = DG_STRBUF_INIT;
	const char *mattr;
	memset(&w, 0, sizeof(w));
	w.l = l;
	w.d = dg_ldap_opts(l->p);
	add_filter(&gf, dg_profile_group_filter(l->p));
	l->groups = &w.groups;
	note_search(l, l->base, gf.buf);
	w.code = dg_ldap_search_each(l->c, l->base, gf.buf, l->attr_list, live_entry_once, l,
				     f, err);
	l->groups = NULL;
	dg_strbuf_release(&gf);
	w.queued = dg_xcalloc(w.groups.nr + 1, 1);
	w.queue = dg_xcalloc(w.groups.nr + 1, sizeof(*w.queue));
	walk_seed(&w);
	mattr = w.d->members_attr ? w.d->members_attr : "member";
	while (w.code == DG_OK && w.qhead < w.nqueue) {
		const dg_entry *g = &w.groups.items[w.queue[w.qhead++]];
		for (size_t i = 0; i < g->nattrs && w.code == DG_OK; i++)
			if (!strcasecmp(g->attrs[i].name, mattr))
				for (size_t j = 0; j < g->attrs[i].nvals && w.code == DG_OK; j++)
					walk_value(&w, &g->attrs[i].vals[j], f, err);
		if (w.qhead == w.nqueue)
			walk_flush(&w, f, err); /* nested groups may queue more */
	}
	tdestroy(w.seen_values, free);
	dg_strbuf_release(&w.batch);
	free(w.queued);
	free(w.queue);
	dg_entry_list_clear(&w.groups);
	return w.code;
}

/* Does this profile resolve members by search ({member}) with groups selected? */
static int member_search_selected(const dg_profile *p)
{
	dg_filter_error ferr;
	dg_strbuf t = DG_STRBUF_INIT;
	dg_filter *f;
	const dg_dir_ldap *d = dg_ldap_opts(p);
	int ok;
	if (!dg_profile_is_ldap(p) || !d->group_names.nr || !d->member_search_filter)
		return 0;
	fill_member(d->member_search_filter, "x", &t);
	f = dg_filter_parse(t.buf, &ferr); /* a broken one: the engine says so (SNAP010) */
	ok = f != NULL;
	dg_strbuf_release(&t);
	dg_filter_free(f);
	return ok;
}

/* Runs the searches of a live read, every entry to sink(ctx, entry). */
static dg_code live_run(live *l, dg_ldap_entry_fn sink, void *ctx, dg_findings *f,
			dg_error *err)
{
	dg_code code;
	l->sink = sink;
	l->sink_ctx = ctx;
	if (dg_profile_is_ad(l->p) && dg_ad_opts(l->p)->groups.nr)
		code = ad_in_chain(l, f, err);
	else if (member_search_selected(l->p))
		code = ldap_member_walk(l, f, err);
	else {
		note_search(l, l->base, l->filter);
		code = dg_ldap_search_each(l->c, l->base, l->filter, l->attr_list, live_entry, l,
					   f, err);
	}
	if (l->progress)
		l->progress->fn(l->progress->ctx, l->count, 1);
	return code;
}

/* ---- dirgate snapshot: each entry written as it arrives --------------- */

typedef struct writer {
	FILE *fp;
	dg_strbuf sb;
	int bad;
} writer;

static int write_one(void *ctx, dg_entry *e)
{
	writer *w = ctx;
	dg_ldif_write_entry(&w->sb, e);
	if (w->sb.len > (1u << 20)) {
		w->bad |= fwrite(w->sb.buf, 1, w->sb.len, w->fp) != w->sb.len;
		dg_strbuf_reset(&w->sb);
	}
	return w->bad; /* a full disk stops the search */
}

dg_code dg_ldap_live_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      size_t *count, char **base, char **uri, dg_findings *f,
			      dg_error *err)
{
	live l;
	writer w = { fp, DG_STRBUF_INIT, 0 };
	dg_code code;

	*count = 0;
	*base = *uri = NULL;
	code = live_open(p, &l, f, err);
	l.progress = progress;
	if (code == DG_OK) {
		dg_ldif_write_header(&w.sb);
		dg_strbuf_addf(&w.sb, "# dirgate snapshot of %s, base %s\n\n", dg_ldap_uri(l.c),
			       l.base);
		code = live_run(&l, write_one, &w, f, err);
	}
	if (code == DG_OK) {
		if (!w.bad && fwrite(w.sb.buf, 1, w.sb.len, fp) != w.sb.len)
			w.bad = 1;
		if (w.bad || fflush(fp))
			code = dg_error_set(err, DG_E_IO, "cannot write the snapshot: %s",
					    strerror(errno));
		*base = dg_xstrdup(l.base);
		*uri = dg_xstrdup(dg_ldap_uri(l.c));
		*count = l.count;
	}
	dg_strbuf_release(&w.sb);
	live_close(&l);
	return code;
}

/* ---- live preview: each entry fed to the LDAP engine --------------- */

static int feed_one(void *ctx, dg_entry *e)
{
	dg_ldap_engine_feed(ctx, e);
	return 0;
}

/* Live preview: the search streams through the LDAP engine, with the
 * base DN the live search used — the same engine and the same entries as
 * an offline preview of `dirgate snapshot`'s file, so the results agree;
 * memory is the engine's tables, never the whole directory. */
static dg_code live_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	dg_profile view = *p; /* shallow: only the base changes */
	dg_dir_active_directory ad = *dg_ad_opts(p);
	dg_dir_ldap ld = *dg_ldap_opts(p);
	live l;
	dg_ldap_engine *feed = NULL;
	dg_code code = live_open(p, &l, &out->findings, err);

	l.progress = out->progress && out->progress->fn ? out->progress : NULL;
	if (code == DG_OK) {
		/* the view is only read; the option structs have no const fields */
		ad.base_dn = ld.base_dn = (char *)l.base;
		view.directory.opts = dg_profile_is_ad(p) ? (void *)&ad : (void *)&ld;
		code = dg_ldap_engine_begin(&view, NULL, out, &feed, err);
	}
	if (code == DG_OK) {
		l.queries = &out->queries;
		code = live_run(&l, feed_one, feed, &out->findings, err);
		out->entries_read = l.count;
		free(out->source_detail);
		out->source_detail = dg_xasprintf("%s (%s)", dg_ldap_uri(l.c), l.base);
	}
	dg_ldap_engine_end(feed, code == DG_OK);
	live_close(&l);
	return code;
}

const dg_connector dg_connector_ldap_live = { "ldap-live", live_fetch };
