/* Live probes for ldap / active-directory profiles (see ldap_probe.h). */
#include "ldap_probe.h"

#include "../core/filter.h"
#include "../core/strbuf.h"
#include "ldap_conn.h"

#include <stdlib.h>

/* Only DNs are needed to count: "1.1" asks for no attributes (RFC 4511). */
static const char *const no_attrs[] = { "1.1", NULL };

static const char *bind_name(const dg_profile *p)
{
	const char *who = p->directory.type == DG_DIR_ACTIVE_DIRECTORY ? p->directory.ad.bind_user
									: p->directory.ldap.bind_dn;
	return who && *who ? who : "anonymous";
}

/* AD with an empty base DN searches the domain's naming context, as
 * MailStore does; returns NULL (with a finding) when it cannot be known. */
static const char *settle_base(const dg_profile *p, const dg_entry *rootdse, dg_findings *out)
{
	const char *base, *nc;
	dg_finding *fd;

	if (p->directory.type == DG_DIR_LDAP)
		return p->directory.ldap.base_dn;
	base = p->directory.ad.base_dn;
	if (base && *base)
		return base;
	nc = dg_entry_first(rootdse, "defaultNamingContext");
	if (!nc) {
		fd = dg_findings_add(out, "AD016", DG_SEV_ERROR, "/directory/baseDn",
				     "baseDn is empty and the server's RootDSE has no "
				     "defaultNamingContext to take it from");
		dg_finding_hint(fd, "Set \"baseDn\" to the domain's DN, e.g. \"DC=contoso,DC=com\".");
		return NULL;
	}
	fd = dg_findings_add(out, "AD015", DG_SEV_INFO, "/directory/baseDn",
			     "baseDn is empty: searching the domain naming context %s from the "
			     "RootDSE", nc);
	dg_finding_hint(fd, "That is what MailStore does too; set \"baseDn\" to narrow the search.");
	return nc;
}

static void check_is_ad(const dg_profile *p, const dg_ldap_conn *c, const dg_entry *rootdse,
			dg_findings *out)
{
	dg_finding *fd;
	if (p->directory.type != DG_DIR_ACTIVE_DIRECTORY || dg_ldap_rootdse_is_ad(rootdse))
		return;
	fd = dg_findings_add(out, "AD014", DG_SEV_WARNING, "/directory/type",
			     "%s does not say it is Active Directory (no capability "
			     "1.2.840.113556.1.4.800 in its RootDSE)", dg_ldap_uri(c));
	dg_finding_hint(fd, "AD options (exchangeUsersOnly, enabledUsersOnly, userNameFormat) need "
			"AD attributes; for another LDAP server use \"type\": \"ldap\".");
}

/* Counts the entries below base that filter selects; -1 when the search failed. */
static long count_entries(dg_ldap_conn *c, const char *base, const char *filter, dg_findings *out)
{
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_error err = { 0 };
	long n = -1;
	if (dg_ldap_search_all(c, base, filter, no_attrs, &l, out, &err) == DG_OK)
		n = (long)l.nr;
	dg_entry_list_clear(&l);
	return n;
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
		long n;
		dg_filter_print(f->children[i], &clause);
		n = count_entries(c, base, clause.buf, out);
		if (n < 0)
			dg_strbuf_addf(hint, "\n  %s: (search failed)", clause.buf);
		else
			dg_strbuf_addf(hint, "\n  %s: %ld", clause.buf, n);
		dg_strbuf_release(&clause);
	}
	dg_filter_free(f);
}

static const char *filter_path(const dg_profile *p)
{
	return p->directory.type == DG_DIR_LDAP ? "/directory/users/filter" : "/directory/type";
}

static void probe_user_filter(const dg_profile *p, dg_ldap_conn *c, const char *base,
			      dg_findings *out)
{
	const char *filter = dg_profile_user_filter(p);
	dg_strbuf cmd = DG_STRBUF_INIT, hint = DG_STRBUF_INIT;
	dg_finding *fd;
	long n = count_entries(c, base, filter, out);

	if (n < 0)
		return;
	dg_ldap_search_command(c, base, filter, no_attrs, &cmd);
	if (n == 0) {
		dg_strbuf_addf(&hint, "repeat by hand: %s", cmd.buf);
		explain_clauses(c, base, filter, &hint, out);
		fd = dg_findings_add(out, "LDAP022", DG_SEV_ERROR, filter_path(p),
				     "the user filter %s selects no entries below %s: "
				     "synchronisation would produce no users", filter, base);
	} else {
		dg_strbuf_addf(&hint, "repeat by hand: %s", cmd.buf);
		fd = dg_findings_add(out, "LDAP023", DG_SEV_INFO, filter_path(p),
				     "the user filter %s selects %ld entr%s below %s", filter, n,
				     n == 1 ? "y" : "ies", base);
	}
	dg_finding_hint(fd, "%s", hint.buf);
	dg_strbuf_release(&cmd);
	dg_strbuf_release(&hint);
}

int dg_ldap_probe(const dg_profile *p, dg_findings *out)
{
	dg_ldap_conn *c = NULL;
	dg_entry rootdse = { 0 };
	dg_error err = { 0 };
	const char *base;
	int rc = -1;

	if (dg_ldap_connect(p, &c, out, &err) != DG_OK)
		return -1;
	dg_findings_add(out, "LDAP021", DG_SEV_INFO, "/directory",
			"connected to %s and bound as %s", dg_ldap_uri(c), bind_name(p));
	if (dg_ldap_rootdse(c, &rootdse, &err) != DG_OK) {
		dg_finding *fd = dg_findings_add(out, "LDAP020", DG_SEV_ERROR, "/directory",
						 "reading the RootDSE failed: %s", err.message);
		dg_finding_hint(fd, "The account may lack read access to the RootDSE; check the "
				"server's access rules.");
		goto done;
	}
	check_is_ad(p, c, &rootdse, out);
	base = settle_base(p, &rootdse, out);
	if (base) {
		probe_user_filter(p, c, base, out);
		rc = 0;
	}
done:
	dg_entry_release(&rootdse);
	dg_ldap_close(c);
	return rc;
}
