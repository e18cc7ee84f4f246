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

/* Users, and the groups when a group selection needs them. */
static char *fetch_filter(const dg_profile *p)
{
	const dg_directory *d = &p->directory;
	dg_strbuf q = DG_STRBUF_INIT;
	int groups = d->type == DG_DIR_ACTIVE_DIRECTORY ? d->ad.groups.nr > 0
							: d->ldap.group_names.nr > 0;
	if (!groups) {
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
	dg_ldap_conn *c;
	dg_entry rootdse;
	const char *base;          /* into the profile or rootdse */
	char *filter;
	dg_strlist attrs;
	const char **attr_list;    /* NULL-terminated view of attrs */
	const dg_progress *progress;
	size_t count;
} live;

static dg_code live_open(const dg_profile *p, live *l, dg_findings *f, dg_error *err)
{
	dg_code code;
	memset(l, 0, sizeof(*l)); /* attrs: an all-zero strlist is an empty one */
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

/* Called for every entry; tells the watcher the first and every 1024th. */
static void live_count(live *l)
{
	if ((++l->count % 1024 == 0 || l->count == 1) && l->progress)
		l->progress->fn(l->progress->ctx, l->count, 0);
}

static void live_done(live *l)
{
	if (l->progress)
		l->progress->fn(l->progress->ctx, l->count, 1);
}

/* ---- dirgate snapshot: each entry written as it arrives --------------- */

typedef struct writer {
	live *l;
	FILE *fp;
	dg_strbuf sb;
	int bad;
} writer;

static int write_one(void *ctx, dg_entry *e)
{
	writer *w = ctx;
	live_count(w->l);
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
	writer w = { &l, fp, DG_STRBUF_INIT, 0 };
	dg_code code;

	*count = 0;
	*base = *uri = NULL;
	code = live_open(p, &l, f, err);
	l.progress = progress;
	if (code == DG_OK) {
		dg_ldif_write_header(&w.sb);
		dg_strbuf_addf(&w.sb, "# dirgate snapshot of %s, base %s\n\n", dg_ldap_uri(l.c),
			       l.base);
		code = dg_ldap_search_each(l.c, l.base, l.filter, l.attr_list, write_one, &w, f,
					   err);
		live_done(&l);
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

typedef struct feeder {
	live *l;
	dg_snapshot_feed *feed;
} feeder;

static int feed_one(void *ctx, dg_entry *e)
{
	feeder *fd = ctx;
	live_count(fd->l);
	dg_snapshot_feed_entry(fd->feed, e);
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
	feeder fd = { &l, NULL };
	dg_code code = live_open(p, &l, &out->findings, err);

	l.progress = out->progress && out->progress->fn ? out->progress : NULL;
	if (code == DG_OK) {
		/* the view is only read; the profile type has no const fields */
		if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
			view.directory.ad.base_dn = (char *)l.base;
		else
			view.directory.ldap.base_dn = (char *)l.base;
		code = dg_snapshot_feed_begin(&view, out, &fd.feed, err);
	}
	if (code == DG_OK) {
		code = dg_ldap_search_each(l.c, l.base, l.filter, l.attr_list, feed_one, &fd,
					   &out->findings, err);
		live_done(&l);
		out->entries_read = l.count;
		free(out->source_detail);
		out->source_detail = dg_xasprintf("%s (%s)", dg_ldap_uri(l.c), l.base);
	}
	dg_snapshot_feed_end(fd.feed, code == DG_OK);
	live_close(&l);
	return code;
}

const dg_connector dg_connector_ldap_live = { "ldap-live", live_fetch };
