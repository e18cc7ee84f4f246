/* Live ldap / active-directory directories (see ldap_live.h). */
#include "ldap_live.h"

#include "../core/filter.h"
#include "../core/ldif.h"
#include "../core/strbuf.h"
#include "ldap_conn.h"
#include "snapshot_ldap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the AD rules read (snapshot_ldap.c): classes and category, account
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

/* Generic LDAP: the attributes the profile names, and those its filters
 * test (so the snapshot engine can evaluate them offline). */
static void ldap_attrs(const dg_profile *p, dg_strlist *l)
{
	const dg_dir_ldap *d = &p->directory.ldap;
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
		for (const char *s = d->member_search_filter; *s;) {
			if (!strncmp(s, "{member}", 8)) {
				dg_strbuf_addch(&t, 'x');
				s += 8;
			} else {
				dg_strbuf_addch(&t, *s++);
			}
		}
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
	if (!p->directory.ldap.group_names.nr || p->directory.type != DG_DIR_LDAP) {
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
} live;

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
	if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
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
}

/* Does this AD group entry carry one of the selected names (cn, name or
 * sAMAccountName, as the snapshot engine matches them)? */
static int is_selected_group(const dg_profile *p, const dg_entry *e)
{
	static const char *const name_attrs[] = { "cn", "name", "sAMAccountName" };
	const dg_strarr *sel = &p->directory.ad.groups;
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
	if (l->chain_dns && is_selected_group(l->p, e))
		dg_strlist_push(l->chain_dns, e->dn);
	return l->sink(l->sink_ctx, e);
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
	const dg_strarr *sel = &l->p->directory.ad.groups;
	dg_strlist dns = DG_STRLIST_INIT;
	dg_strbuf gf = DG_STRBUF_INIT;
	char *uf;
	dg_code code;

	add_filter(&gf, dg_profile_group_filter(l->p));
	l->chain_dns = &dns;
	code = dg_ldap_search_each(l->c, l->base, gf.buf, l->attr_list, live_entry, l, f, err);
	l->chain_dns = NULL;
	for (size_t i = 0; i < sel->nr; i++)
		if (strchr(sel->items[i], '=') && !dg_strlist_contains_ci(&dns, sel->items[i]))
			dg_strlist_push(&dns, sel->items[i]);
	if (code == DG_OK && dns.nr) {
		uf = in_chain_filter(l->p, &dns);
		code = dg_ldap_search_each(l->c, l->base, uf, l->attr_list, live_entry, l, f, err);
		free(uf);
	}
	dg_strbuf_release(&gf);
	dg_strlist_clear(&dns);
	return code;
}

/* Runs the searches of a live read, every entry to sink(ctx, entry). */
static dg_code live_run(live *l, dg_ldap_entry_fn sink, void *ctx, dg_findings *f,
			dg_error *err)
{
	dg_code code;
	l->sink = sink;
	l->sink_ctx = ctx;
	if (l->p->directory.type == DG_DIR_ACTIVE_DIRECTORY && l->p->directory.ad.groups.nr)
		code = ad_in_chain(l, f, err);
	else
		code = dg_ldap_search_each(l->c, l->base, l->filter, l->attr_list, live_entry, l,
					   f, err);
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

/* ---- live preview: each entry fed to the snapshot engine --------------- */

static int feed_one(void *ctx, dg_entry *e)
{
	dg_snapshot_feed_entry(ctx, e);
	return 0;
}

/* Live preview: the search streams through the snapshot engine, with the
 * base DN the live search used — the same engine and the same entries as
 * an offline preview of `dirgate snapshot`'s file, so the results agree;
 * memory is the engine's tables, never the whole directory. */
static dg_code live_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	dg_profile view = *p; /* shallow: only the base changes */
	live l;
	dg_snapshot_feed *feed = NULL;
	dg_code code = live_open(p, &l, &out->findings, err);

	l.progress = out->progress && out->progress->fn ? out->progress : NULL;
	if (code == DG_OK) {
		/* the view is only read; the profile type has no const fields */
		if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
			view.directory.ad.base_dn = (char *)l.base;
		else
			view.directory.ldap.base_dn = (char *)l.base;
		code = dg_snapshot_feed_begin(&view, out, &feed, err);
	}
	if (code == DG_OK) {
		code = live_run(&l, feed_one, feed, &out->findings, err);
		out->entries_read = l.count;
		free(out->source_detail);
		out->source_detail = dg_xasprintf("%s (%s)", dg_ldap_uri(l.c), l.base);
	}
	dg_snapshot_feed_end(feed, code == DG_OK);
	live_close(&l);
	return code;
}

const dg_connector dg_connector_ldap_live = { "ldap-live", live_fetch };
