/* Live probes for ldap / active-directory profiles (see ldap_probe.h). */
#include "ldap_probe.h"
#include "ldap_profile.h"

#include "../../core/filter.h"
#include "../../core/strbuf.h"
#include "../../core/suggest.h"
#include "ldap_conn.h"
#include "../connector.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Only DNs are needed to count: "1.1" asks for no attributes (RFC 4511). */
static const char *const no_attrs[] = { "1.1", NULL };

static const char *bind_password_path(const dg_profile *p)
{
	const dg_secret_ref *pw = dg_profile_is_ad(p)
					  ? &dg_ad_opts(p)->bind_password
					  : &dg_ldap_opts(p)->bind_password;
	return pw->path ? pw->path : "/directory/bind/password";
}

static const char *bind_name(const dg_profile *p)
{
	const char *who = dg_profile_is_ad(p) ? dg_ad_opts(p)->bind_user
									: dg_ldap_opts(p)->bind_dn;
	return who && *who ? who : "anonymous";
}

static void check_is_ad(const dg_profile *p, const dg_ldap_conn *c, const dg_entry *rootdse,
			dg_findings *out)
{
	dg_finding *fd;
	if (!dg_profile_is_ad(p) || dg_ldap_rootdse_is_ad(rootdse))
		return;
	fd = dg_findings_add(out, DGF_AD014, "/directory/type",
			     "%s does not say it is Active Directory (no capability "
			     "1.2.840.113556.1.4.800 in its RootDSE)", dg_ldap_uri(c));
	dg_finding_hint(fd, "AD options (exchangeUsersOnly, enabledUsersOnly, userNameFormat) need "
			"AD attributes; for another LDAP server use \"type\": \"ldap\".");
}

/* What a count of entries is worth: exact, only a lower bound (the search
 * was cut short: LDAP018 and the like say why), or unknown (failed). */
typedef struct count {
	long n;      /* -1: the search failed */
	int partial; /* n is only "at least" */
} count;

/* Counts the entries below base that filter selects. */
static count count_entries(dg_ldap_conn *c, const char *base, const char *filter,
			   dg_findings *out)
{
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings mine = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	count r = { -1, 0 };
	if (dg_ldap_search_all(c, base, filter, no_attrs, &l, &mine, &err) == DG_OK)
		r.n = (long)l.nr;
	r.partial = dg_findings_incomplete(&mine) != NULL;
	dg_findings_move(out, &mine);
	dg_entry_list_clear(&l);
	return r;
}

/* "17", "at least 500 (the search was cut short)" or "(search failed)". */
static void add_count(dg_strbuf *sb, count n)
{
	if (n.n < 0)
		dg_strbuf_adds(sb, "(search failed)");
	else if (n.partial)
		dg_strbuf_addf(sb, "at least %ld (the search was cut short)", n.n);
	else
		dg_strbuf_addf(sb, "%ld", n.n);
}

/* When an AND filter selects no one, the count of each clause shows which
 * clause removes everyone. */
static void explain_clauses(dg_ldap_conn *c, const char *base, const char *filter,
			    dg_strbuf *hint, dg_findings *out)
{
	dg_filter_error ferr;
	dg_filter *f = dg_filter_parse(filter, &ferr);
	if (!f || f->type != DG_F_AND || f->nchildren < 2) {
		dg_filter_free(f);
		return;
	}
	dg_strbuf_adds(hint, "\nentries each clause selects on its own:");
	for (size_t i = 0; i < f->nchildren; i++) {
		dg_strbuf clause = DG_STRBUF_INIT;
		dg_filter_print(f->children[i], &clause);
		dg_strbuf_addf(hint, "\n  %s: ", clause.buf);
		add_count(hint, count_entries(c, base, clause.buf, out));
		dg_strbuf_release(&clause);
	}
	dg_filter_free(f);
}

static const char *filter_path(const dg_profile *p)
{
	return dg_profile_is_ldap(p) ? "/directory/users/filter" : "/directory/type";
}

static void probe_user_filter(const dg_profile *p, dg_ldap_conn *c, const char *base,
			      dg_findings *out)
{
	const char *filter = dg_profile_user_filter(p);
	dg_strbuf cmd = DG_STRBUF_INIT, hint = DG_STRBUF_INIT;
	dg_finding *fd;
	count n = count_entries(c, base, filter, out);

	if (n.n < 0)
		return;
	dg_ldap_search_command(c, base, filter, no_attrs, &cmd);
	if (n.partial) {
		/* the server stopped the search: the number is a lower bound, and
		 * 0 does not mean that the filter selects no one */
		dg_strbuf_addf(&hint, "repeat by hand: %s", cmd.buf);
		if (n.n)
			fd = dg_findings_add(out, DGF_LDAP023, filter_path(p),
					     "the user filter %s selects at least %ld entries below "
					     "%s; the exact number is unknown because the search was "
					     "cut short", filter, n.n, base);
		else
			fd = dg_findings_add(out, DGF_LDAP023, filter_path(p),
					     "the user filter %s selects an unknown number of entries "
					     "below %s: the server stopped the search before sending "
					     "any", filter, base);
	} else if (n.n == 0) {
		dg_strbuf_addf(&hint, "repeat by hand: %s", cmd.buf);
		explain_clauses(c, base, filter, &hint, out);
		fd = dg_findings_add(out, DGF_LDAP022, filter_path(p),
				     "the user filter %s selects no entries below %s: "
				     "synchronisation would produce no users", filter, base);
	} else {
		dg_strbuf_addf(&hint, "repeat by hand: %s", cmd.buf);
		fd = dg_findings_add(out, DGF_LDAP023, filter_path(p),
				     "the user filter %s selects %ld entr%s below %s", filter, n.n,
				     n.n == 1 ? "y" : "ies", base);
	}
	dg_finding_hint(fd, "%s", hint.buf);
	dg_strbuf_release(&cmd);
	dg_strbuf_release(&hint);
}

/* ---- schema: every attribute the profile names must exist ---- */

void dg_ldap_schema_names(const dg_attr *types, dg_strlist *names)
{
	for (size_t i = 0; types && i < types->nvals; i++) {
		const char *v = types->vals[i].val, *p = v, *q;
		while (*p == ' ' || *p == '(')
			p++;
		q = p + strcspn(p, " )");
		if (q > p)
			dg_strlist_push_owned(names, dg_xstrndup(p, (size_t)(q - p)));
		p = strstr(v, " NAME ");
		if (!p)
			continue;
		p += 6;
		for (;;) {
			while (*p == ' ' || *p == '(')
				p++;
			if (*p != '\'')
				break;
			q = strchr(p + 1, '\'');
			if (!q)
				break;
			dg_strlist_push_owned(names, dg_xstrndup(p + 1, (size_t)(q - p - 1)));
			p = q + 1;
		}
	}
}

/* Reads the server's attribute names; 0 on success, -1 (with a finding) not. */
static int read_schema(dg_ldap_conn *c, const dg_entry *rootdse, dg_strlist *names,
		       dg_findings *out)
{
	static const char *const attrs[] = { "attributeTypes", NULL };
	const char *sub = dg_entry_first(rootdse, "subschemaSubentry");
	dg_entry schema = { 0 };
	dg_error err = { 0 };
	dg_finding *fd;
	if (sub && dg_ldap_read_entry(c, sub, "(objectClass=*)", attrs, &schema, &err) == DG_OK)
		dg_ldap_schema_names(dg_entry_attr(&schema, "attributeTypes"), names);
	dg_entry_release(&schema);
	if (names->nr)
		return 0;
	fd = dg_findings_add(out, DGF_LDAP025, "/directory",
			     "the server's schema could not be read%s%s: attribute names were "
			     "not checked", sub ? " from " : " (the RootDSE names no subschema)",
			     sub ? sub : "");
	dg_finding_hint(fd, "Give the bind account read access to the subschema entry, or check "
			"the attribute names by hand.");
	return -1;
}

typedef struct attr_check {
	const dg_strlist *schema;
	const char *path;
	dg_findings *out;
} attr_check;

/* "mail;lang-de" names the attribute "mail". */
static char *attr_base(const char *name)
{
	return dg_xstrndup(name, strcspn(name, ";"));
}

static void check_attr(const char *name, void *ctx)
{
	const attr_check *ac = ctx;
	char *base = attr_base(name);
	const char *near;
	dg_finding *fd;
	if (!*base || dg_strlist_contains_ci(ac->schema, base)) {
		free(base);
		return;
	}
	near = dg_suggest_closest(base, (const char *const *)ac->schema->items, ac->schema->nr);
	fd = dg_findings_add(ac->out, DGF_LDAP024, ac->path,
			     "attribute \"%s\" is not in the server's schema%s%s%s", base,
			     near ? "; did you mean \"" : "", near ? near : "", near ? "\"?" : "");
	dg_finding_hint(fd, "Use the attribute's LDAP name as the server's schema defines it; "
			"a filter or mapping on an unknown attribute matches nothing.");
	free(base);
}

static void check_attr_field(const char *name, const char *path, const dg_strlist *schema,
			     dg_findings *out)
{
	attr_check ac = { schema, path, out };
	if (name)
		check_attr(name, &ac);
}

static void check_filter_attrs(const char *filter, const char *path, const dg_strlist *schema,
			       dg_findings *out)
{
	attr_check ac = { schema, path, out };
	dg_filter_error ferr;
	dg_filter *f;
	if (!filter)
		return;
	/* {member} is a placeholder, not part of the filter's syntax. */
	dg_strbuf text = DG_STRBUF_INIT;
	for (const char *p = filter; *p;) {
		if (!strncmp(p, "{member}", 8)) {
			dg_strbuf_adds(&text, "x");
			p += 8;
		} else {
			dg_strbuf_addch(&text, *p++);
		}
	}
	f = dg_filter_parse(text.buf, &ferr);
	if (f)
		dg_filter_walk_attrs(f, check_attr, &ac);
	dg_filter_free(f);
	dg_strbuf_release(&text);
}

static void check_ldap_schema(const dg_dir_ldap *l, const dg_strlist *s, dg_findings *out)
{
	check_filter_attrs(l->user_filter, "/directory/users/filter", s, out);
	check_attr_field(l->user_name_attr, "/directory/users/userNameAttribute", s, out);
	check_attr_field(l->full_name_attr, "/directory/users/fullNameAttribute", s, out);
	check_attr_field(l->email_attr, "/directory/users/emailAttribute", s, out);
	check_filter_attrs(l->group_filter, "/directory/groups/filter", s, out);
	check_attr_field(l->group_name_attr, "/directory/groups/nameAttribute", s, out);
	check_attr_field(l->group_description_attr, "/directory/groups/descriptionAttribute", s,
			 out);
	check_attr_field(l->members_attr, "/directory/groups/membersAttribute", s, out);
	check_filter_attrs(l->member_search_filter, "/directory/groups/memberSearchFilter", s, out);
}

/* Without Exchange's schema extension there is no msExchHideFromAddressLists:
 * "visible in address lists only" would then keep everyone. */
static void check_ad_schema(const dg_dir_active_directory *ad, const dg_strlist *s,
			    dg_findings *out)
{
	dg_finding *fd;
	if (ad->visible_in_address_lists_only != 1 ||
	    dg_strlist_contains_ci(s, "msExchHideFromAddressLists"))
		return;
	fd = dg_findings_add(out, DGF_AD017,
			     "/directory/filters/visibleInAddressListsOnly",
			     "msExchHideFromAddressLists is not in this domain's schema (Exchange "
			     "never extended it): no user can be hidden, the option has no effect");
	dg_finding_hint(fd, "Turn visibleInAddressListsOnly off, or check that the profile points "
			"at the domain where Exchange is installed.");
}

static void probe_schema(const dg_profile *p, dg_ldap_conn *c, const dg_entry *rootdse,
			 dg_findings *out)
{
	dg_strlist names = DG_STRLIST_INIT;
	if (read_schema(c, rootdse, &names, out) == 0) {
		if (dg_profile_is_ldap(p))
			check_ldap_schema(dg_ldap_opts(p), &names, out);
		else
			check_ad_schema(dg_ad_opts(p), &names, out);
	}
	dg_strlist_clear(&names);
}

/* ---- groups: each selected group must exist exactly once ---- */

static int looks_like_dn(const char *v)
{
	LDAPDN dn = NULL;
	int ok = strchr(v, '=') && ldap_str2dn(v, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS;
	ldap_dnfree(dn);
	return ok;
}

/* (&GROUPFILTER(|(attr=value)...)) with the value escaped, so a group
 * named "R&D (EMEA)*" cannot change the filter. */
static char *group_query(const dg_profile *p, const char *name)
{
	static const char *const ad_attrs[] = { "cn", "name", "sAMAccountName", NULL };
	const char *ldap_attrs[] = { dg_ldap_opts(p)->group_name_attr ?
				     dg_ldap_opts(p)->group_name_attr : "cn", NULL };
	const char *const *attrs = dg_profile_is_ad(p) ? ad_attrs
										 : ldap_attrs;
	const char *gf = dg_profile_group_filter(p);
	dg_strbuf q = DG_STRBUF_INIT, esc = DG_STRBUF_INIT;
	dg_filter_escape_value(name, strlen(name), &esc);
	dg_strbuf_addf(&q, "(&%s%s(|", gf[0] == '(' ? "" : "(", gf);
	if (gf[0] != '(')
		dg_strbuf_addch(&q, ')');
	for (size_t i = 0; attrs[i]; i++)
		dg_strbuf_addf(&q, "(%s=%s)", attrs[i], esc.buf);
	dg_strbuf_adds(&q, "))");
	dg_strbuf_release(&esc);
	return dg_strbuf_detach(&q);
}

static void report_group(const char *path, const char *name, const dg_entry_list *hits,
			 const char *cmd, dg_findings *out)
{
	dg_finding *fd;
	dg_strbuf dns = DG_STRBUF_INIT;
	if (hits->nr == 1) {
		fd = dg_findings_add(out, DGF_LDAP028, path, "group \"%s\" is %s", name,
				     hits->items[0].dn);
		if (*cmd)
			dg_finding_hint(fd, "repeat by hand: %s", cmd);
		return;
	}
	if (!hits->nr) {
		fd = dg_findings_add(out, DGF_LDAP026, path,
				     "no group named \"%s\" below the base DN: nobody can qualify "
				     "through it", name);
		dg_finding_hint(fd, "Check the spelling, the group filter and the base DN, or give "
				"the group's DN.%s%s", *cmd ? "\nrepeat by hand: " : "", cmd);
		return;
	}
	for (size_t i = 0; i < hits->nr && i < 5; i++)
		dg_strbuf_addf(&dns, "%s%s", i ? "; " : "", hits->items[i].dn);
	fd = dg_findings_add(out, DGF_LDAP027, path,
			     "\"%s\" names %zu groups: %s%s", name, hits->nr, dns.buf,
			     hits->nr > 5 ? "; ..." : "");
	dg_finding_hint(fd, "Give the DN of the group you mean instead of its name.");
	dg_strbuf_release(&dns);
}

static void probe_group(const dg_profile *p, dg_ldap_conn *c, const char *base,
			const char *name, const char *path, dg_findings *out)
{
	dg_entry_list hits = DG_ENTRY_LIST_INIT;
	dg_strbuf cmd = DG_STRBUF_INIT;
	dg_error err = { 0 };
	char *q = NULL;
	if (looks_like_dn(name)) {
		dg_entry e = { 0 };
		if (dg_ldap_read_entry(c, name, dg_profile_group_filter(p), no_attrs, &e,
				       &err) == DG_OK)
			dg_entry_list_add(&hits, e.dn);
		dg_entry_release(&e);
	} else {
		q = group_query(p, name);
		if (dg_ldap_search_all(c, base, q, no_attrs, &hits, out, &err) != DG_OK)
			goto done;
		dg_ldap_search_command(c, base, q, no_attrs, &cmd);
	}
	report_group(path, name, &hits, cmd.buf, out);
done:
	dg_strbuf_release(&cmd);
	free(q);
	dg_entry_list_clear(&hits);
}

static void probe_groups(const dg_profile *p, dg_ldap_conn *c, const char *base,
			 dg_findings *out)
{
	const dg_strarr *g = dg_profile_is_ldap(p) ? &dg_ldap_opts(p)->group_names
							      : &dg_ad_opts(p)->groups;
	const char *prefix = dg_profile_is_ldap(p) ? "/directory/groups/names"
							      : "/directory/filters/groups";
	for (size_t i = 0; i < g->nr; i++) {
		char path[96];
		snprintf(path, sizeof(path), "%s/%zu", prefix, i);
		probe_group(p, c, base, g->items[i], path, out);
	}
}

/* ---- test authentication: log one user on ---- */

/* AD logs users on by user principal name; a bare name gets the domain. */
static char *ad_login_name(const dg_profile *p, const char *user)
{
	const char *domain = dg_ad_opts(p)->domain;
	if (strpbrk(user, "@\\=") || !domain || !*domain)
		return dg_xstrdup(user);
	return dg_xasprintf("%s@%s", user, domain);
}

/* Generic LDAP: the user's DN, found like MailStore finds it (user filter
 * and user-name attribute); NULL with a finding when not exactly one. */
static char *ldap_login_dn(const dg_profile *p, dg_ldap_conn *c, const char *base,
			   const char *user, dg_findings *out)
{
	const dg_dir_ldap *l = dg_ldap_opts(p);
	dg_strbuf q = DG_STRBUF_INIT, esc = DG_STRBUF_INIT;
	dg_entry_list hits = DG_ENTRY_LIST_INIT;
	dg_error err = { 0 };
	dg_finding *fd;
	char *dn = NULL;
	if (looks_like_dn(user))
		return dg_xstrdup(user);
	dg_filter_escape_value(user, strlen(user), &esc);
	dg_strbuf_addf(&q, "(&%s(%s=%s))", dg_profile_user_filter(p),
		       l->user_name_attr ? l->user_name_attr : "uid", esc.buf);
	if (dg_ldap_search_all(c, base, q.buf, no_attrs, &hits, out, &err) == DG_OK) {
		if (hits.nr == 1) {
			dn = dg_xstrdup(hits.items[0].dn);
		} else {
			if (hits.nr)
				fd = dg_findings_add(out, DGF_LDAP030,
						     "/authentication/testUser",
						     "test user \"%s\" matches %zu entries (%s)", user,
						     hits.nr, q.buf);
			else
				fd = dg_findings_add(out, DGF_LDAP029,
						     "/authentication/testUser",
						     "test user \"%s\" not found (%s)", user, q.buf);
			dg_finding_hint(fd, "Give a user name the user filter selects exactly once, "
					"or the user's DN.");
		}
	}
	dg_entry_list_clear(&hits);
	dg_strbuf_release(&q);
	dg_strbuf_release(&esc);
	return dn;
}

/* A probe that could not run is an error the user sees, never silence:
 * when a step failed without a finding that says why (a secret that cannot
 * be read, no terminal to prompt on...), LDAP037 says what was not probed
 * and why.  `errors_before`: the error count before the step. */
static void could_not_run(dg_findings *out, size_t errors_before, const char *path,
			  const char *what, const dg_error *err)
{
	dg_finding *fd;
	if (dg_findings_count(out, DG_SEV_ERROR) > errors_before)
		return;
	fd = dg_findings_add(out, DGF_LDAP037, path, "%s could not be probed: %s",
			     what, err->message[0] ? err->message : "unknown error");
	dg_finding_hint(fd, "Make the secret available (set the environment variable, create "
			"the file, or run on a terminal for a prompt) and run the check again; "
			"until then nothing about the live directory has been checked.");
}

static void probe_login(const dg_profile *p, dg_ldap_conn *c, const char *base,
			const char *user, dg_findings *out)
{
	dg_secret_ref prompt = { DG_SECRET_PROMPT, NULL, "/authentication/testPassword" };
	const dg_secret_ref *pw = p->auth.test_password.kind != DG_SECRET_NONE
					  ? &p->auth.test_password : &prompt;
	dg_ldap_identity who = { NULL, "/authentication/testUser", pw };
	dg_ldap_conn *tc = NULL;
	dg_error err = { 0 };
	size_t errors;
	char *name = dg_profile_is_ad(p)
			     ? ad_login_name(p, user) : ldap_login_dn(p, c, base, user, out);
	if (!name)
		return;
	who.name = name;
	errors = dg_findings_count(out, DG_SEV_ERROR);
	if (dg_ldap_connect_as(p, &who, &tc, out, &err) == DG_OK)
		dg_findings_add(out, DGF_LDAP031, "/authentication/testUser",
				"test user %s logged on (bound as %s)", user, name);
	else
		could_not_run(out, errors, pw->path, "the test user's logon", &err);
	dg_ldap_close(tc);
	free(name);
}

/* ---- samples: what MailStore would make of the first users ---- */

/* Runs the whole live pipeline (fetch, MailStore's rules) and shows five
 * users as MailStore would name them, so a wrong name format is seen
 * before anyone's archive is orphaned. */
static void probe_samples(const dg_profile *p, dg_findings *out)
{
	dg_preview pv = { 0 };
	dg_error err = { 0 };
	dg_strbuf list = DG_STRBUF_INIT;
	dg_finding *fd;
	size_t n;

	if (dg_connector_preview(p, &pv, &err) != DG_OK) {
		dg_preview_release(&pv);
		return; /* the probes above already said why */
	}
	n = pv.nusers < 5 ? pv.nusers : 5;
	for (size_t i = 0; i < n; i++) {
		const dg_ms_user *u = &pv.users[i];
		dg_strbuf_addf(&list, "\n  %s", u->user_name);
		if (*u->full_name)
			dg_strbuf_addf(&list, " (%s)", u->full_name);
		if (u->emails.nr)
			dg_strbuf_addf(&list, " <%s>", u->emails.items[0]);
	}
	fd = dg_findings_add(out, DGF_LDAP032, "/directory",
			     "synchronisation would produce %zu users, skip %zu entries and find %zu "
			     "conflicts%s", pv.nusers, pv.nskipped, pv.nconflicts,
			     n ? "; the first by user name:" : "");
	if (n)
		dg_finding_hint(fd, "%s\n(dirgate preview lists them all)", list.buf + 1);
	dg_strbuf_release(&list);
	dg_preview_release(&pv);
}

int dg_ldap_probe(const dg_profile *p, const char *test_user, dg_findings *out)
{
	dg_ldap_conn *c = NULL;
	dg_entry rootdse = { 0 };
	dg_error err = { 0 };
	const char *base;
	size_t errors = dg_findings_count(out, DG_SEV_ERROR);
	int rc = -1;

	if (dg_ldap_connect(p, &c, out, &err) != DG_OK) {
		could_not_run(out, errors, bind_password_path(p), "the directory", &err);
		return -1;
	}
	dg_findings_add(out, DGF_LDAP021, "/directory",
			"connected to %s and bound as %s", dg_ldap_uri(c), bind_name(p));
	if (dg_ldap_rootdse(c, &rootdse, &err) != DG_OK) {
		dg_finding *fd = dg_findings_add(out, DGF_LDAP020, "/directory",
						 "reading the RootDSE failed: %s", err.message);
		dg_finding_hint(fd, "The account may lack read access to the RootDSE; check the "
				"server's access rules.");
		goto done;
	}
	check_is_ad(p, c, &rootdse, out);
	probe_schema(p, c, &rootdse, out);
	base = dg_ldap_search_base(p, &rootdse, out);
	if (base) {
		probe_user_filter(p, c, base, out);
		probe_groups(p, c, base, out);
		if (test_user)
			probe_login(p, c, base, test_user, out);
		rc = 0;
	}
done:
	dg_entry_release(&rootdse);
	dg_ldap_close(c);
	if (rc == 0)
		probe_samples(p, out);
	return rc;
}
