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
#include <unistd.h>

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

static int write_ldif(FILE *fp, const dg_entry_list *l, const char *uri, const char *base)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int bad = 0;
	dg_ldif_write_header(&sb);
	dg_strbuf_addf(&sb, "# dirgate snapshot of %s, base %s\n\n", uri, base);
	for (size_t i = 0; i < l->nr && !bad; i++) {
		dg_ldif_write_entry(&sb, &l->items[i]);
		if (sb.len > (1u << 20)) {
			bad = fwrite(sb.buf, 1, sb.len, fp) != sb.len;
			dg_strbuf_reset(&sb);
		}
	}
	if (!bad && fwrite(sb.buf, 1, sb.len, fp) != sb.len)
		bad = 1;
	dg_strbuf_release(&sb);
	return bad || fflush(fp) ? -1 : 0;
}

dg_code dg_ldap_live_snapshot(const dg_profile *p, FILE *fp, size_t *count, char **base,
			      char **uri, dg_findings *f, dg_error *err)
{
	dg_ldap_conn *c = NULL;
	dg_entry rootdse = { 0 };
	dg_entry_list entries = DG_ENTRY_LIST_INIT;
	dg_strlist attrs = DG_STRLIST_INIT;
	const char *b;
	const char **attr_list = NULL;
	char *filter = NULL;
	dg_code code;

	*count = 0;
	*base = *uri = NULL;
	if ((code = dg_ldap_connect(p, &c, f, err)) != DG_OK)
		return code;
	if ((code = dg_ldap_rootdse(c, &rootdse, err)) != DG_OK)
		goto done;
	if (!(b = dg_ldap_search_base(p, &rootdse, f))) {
		code = dg_error_set(err, DG_E_INVALID, "no base DN to search (see the findings)");
		goto done;
	}
	if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
		for (size_t i = 0; ad_attrs[i]; i++)
			dg_strlist_push(&attrs, ad_attrs[i]);
	else
		ldap_attrs(p, &attrs);
	filter = fetch_filter(p);
	attr_list = dg_xcalloc(attrs.nr + 1, sizeof(*attr_list)); /* NULL-terminated */
	memcpy(attr_list, attrs.items, attrs.nr * sizeof(*attr_list));
	code = dg_ldap_search_all(c, b, filter, attr_list, &entries, f, err);
	if (code != DG_OK)
		goto done;
	*base = dg_xstrdup(b);
	*uri = dg_xstrdup(dg_ldap_uri(c));
	if (write_ldif(fp, &entries, *uri, b) < 0)
		code = dg_error_set(err, DG_E_IO, "cannot write the snapshot: %s", strerror(errno));
	*count = entries.nr;
done:
	free(attr_list);
	free(filter);
	dg_strlist_clear(&attrs);
	dg_entry_list_clear(&entries);
	dg_entry_release(&rootdse);
	dg_ldap_close(c);
	return code;
}

/* file:line of a temporary file that is gone helps nobody. */
static void forget_temp_locations(dg_findings *f, const char *path)
{
	for (size_t i = 0; i < f->nr; i++) {
		if (f->items[i].file && !strcmp(f->items[i].file, path)) {
			free(f->items[i].file);
			f->items[i].file = NULL;
			f->items[i].line = f->items[i].column = 0;
		}
	}
}

/* Live preview: snapshot into a private temporary file, then the snapshot
 * connector over it, with the base DN the live search used. */
static dg_code live_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	dg_profile view = *p; /* shallow: only the snapshot and base change */
	char *base = NULL, *uri = NULL;
	size_t count;
	FILE *fp;
	int fd;
	dg_code code;

	snprintf(path, sizeof(path), "%s/dirgate-live-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if ((fd = mkstemp(path)) < 0 || !(fp = fdopen(fd, "w+"))) {
		if (fd >= 0)
			close(fd);
		return dg_error_set(err, DG_E_IO, "cannot create a temporary file in %s: %s",
				    tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	}
	code = dg_ldap_live_snapshot(p, fp, &count, &base, &uri, &out->findings, err);
	fclose(fp);
	if (code == DG_OK) {
		view.directory.snapshot = path;
		if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
			view.directory.ad.base_dn = base;
		else
			view.directory.ldap.base_dn = base;
		code = dg_connector_ldap_snapshot.fetch(&view, out, err);
		forget_temp_locations(&out->findings, path);
		free(out->source_detail);
		out->source_detail = dg_xasprintf("%s (%s)", uri, base);
	}
	unlink(path);
	free(base);
	free(uri);
	return code;
}

const dg_connector dg_connector_ldap_live = { "ldap-live", live_fetch };
