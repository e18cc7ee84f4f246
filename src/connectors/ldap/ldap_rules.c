/* Offline rules for LDAP and Active Directory profiles (ldap_rules.h). */
#include "ldap_rules.h"
#include "ldap_profile.h"

#include "../../core/checks.h"
#include "../../core/filter.h"
#include "../../core/strbuf.h"
#include "../../core/validate.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ===== finding helpers ==================================================== */

static void add_dn_finding(const char *dn, const char *path, const char *what,
			   dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_dn_problem(dn, &why) == 0)
		goto done;
	fd = dg_findings_add(out, DGF_LDAP001, path,
			     "%s \"%s\" is not a valid distinguished name: %s", what, dn, why.buf);
	dg_finding_hint(fd, "Write it as RFC 4514 attribute=value pairs separated by commas, "
			"e.g. \"ou=People,dc=example,dc=com\"; escape ',' '+' '\"' '\\' '<' '>' ';' "
			"inside values with a backslash.");
done:
	dg_strbuf_release(&why);
}

static void add_host_finding(const char *host, const char *path, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_host_problem(host, &why) == 0)
		goto done;
	fd = dg_findings_add(out, DGF_LDAP003, path,
			     "server \"%s\" is not a valid host name: %s", host, why.buf);
	dg_finding_hint(fd, "Give the directory server's DNS name or IP address only, e.g. "
			"\"dc01.contoso.com\"; the protocol and port have their own fields.");
done:
	dg_strbuf_release(&why);
}

static char *item_path(const char *base, size_t i)
{
	return dg_xasprintf("%s/%zu", base, i);
}

/* ===== identifiers ======================================================== */

/* AD: a single label is usually the NetBIOS name (CONTOSO), not the DNS
 * domain (contoso.com) that SRV lookups and the base DN need. */
static void check_ad_domain(const char *s, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_dns_name_problem(s, &why) < 0) {
		dg_check_domain(s, "/directory/domain", DGF_AD001, "contoso.com", out);
	} else if (!strchr(s, '.')) {
		fd = dg_findings_add(out, DGF_AD002, "/directory/domain",
				     "domain \"%s\" has a single label; it looks like the NetBIOS "
				     "name, not the DNS domain name", s);
		dg_finding_hint(fd, "Use the domain's DNS name as shown in Active Directory Domains "
				"and Trusts, e.g. \"contoso.com\" or \"contoso.local\".");
	}
	dg_strbuf_release(&why);
}

static void check_ids_ad(const dg_dir_active_directory *ad, dg_findings *out)
{
	if (ad->domain)
		check_ad_domain(ad->domain, out);
	if (ad->server)
		add_host_finding(ad->server, "/directory/server", out);
}

static void check_identifiers(const dg_profile *p, dg_findings *out)
{
	if (dg_profile_is_ad(p))
		check_ids_ad(dg_ad_opts(p), out);
	else if (dg_ldap_opts(p)->server)
		add_host_finding(dg_ldap_opts(p)->server, "/directory/server", out);
}

/* ===== DNs, attribute names, filters, groups ============================== */

static void check_group_dns(const dg_strarr *groups, const char *base, dg_findings *out)
{
	for (size_t i = 0; i < groups->nr; i++) {
		char *path;
		if (!groups->items[i] || !dg_looks_like_dn(groups->items[i]))
			continue;
		path = item_path(base, i);
		add_dn_finding(groups->items[i], path, "group", out);
		free(path);
	}
}

static void check_ad_dns(const dg_dir_active_directory *ad, dg_findings *out)
{
	if (ad->base_dn && *ad->base_dn)
		add_dn_finding(ad->base_dn, "/directory/baseDn", "baseDn", out);
	if (ad->bind_user && dg_looks_like_dn(ad->bind_user))
		add_dn_finding(ad->bind_user, "/directory/bind/user", "bind user", out);
	check_group_dns(&ad->groups, "/directory/filters/groups", out);
}

static void check_ldap_dns(const dg_dir_ldap *l, dg_findings *out)
{
	if (l->base_dn && *l->base_dn)
		add_dn_finding(l->base_dn, "/directory/baseDn", "baseDn", out);
	if (l->bind_dn && *l->bind_dn)
		add_dn_finding(l->bind_dn, "/directory/bind/dn", "bind DN", out);
	check_group_dns(&l->group_names, "/directory/groups/names", out);
}

static const struct attr_field {
	size_t offset;
	const char *path;
} ldap_attr_fields[] = {
	{ offsetof(dg_dir_ldap, user_name_attr), "/directory/users/userNameAttribute" },
	{ offsetof(dg_dir_ldap, full_name_attr), "/directory/users/fullNameAttribute" },
	{ offsetof(dg_dir_ldap, email_attr), "/directory/users/emailAttribute" },
	{ offsetof(dg_dir_ldap, group_name_attr), "/directory/groups/nameAttribute" },
	{ offsetof(dg_dir_ldap, group_description_attr), "/directory/groups/descriptionAttribute" },
	{ offsetof(dg_dir_ldap, members_attr), "/directory/groups/membersAttribute" },
};

static const char *field_at(const void *base, size_t offset)
{
	return *(char *const *)((const char *)base + offset);
}

static void check_ldap_attrs(const dg_dir_ldap *l, dg_findings *out)
{
	for (size_t i = 0; i < sizeof(ldap_attr_fields) / sizeof(ldap_attr_fields[0]); i++) {
		const char *name = field_at(l, ldap_attr_fields[i].offset);
		dg_strbuf why = DG_STRBUF_INIT;
		dg_finding *fd;

		if (name && dg_attr_problem(name, &why) < 0) {
			fd = dg_findings_add(out, DGF_LDAP002, ldap_attr_fields[i].path,
					     "\"%s\" is not a valid LDAP attribute name: %s", name,
					     why.buf);
			dg_finding_hint(fd, "Give the attribute's LDAP name (RFC 4512), e.g. \"uid\", "
					"\"mail\", \"displayName\"; options such as \";binary\" are allowed.");
		}
		dg_strbuf_release(&why);
	}
}

static const struct filter_field {
	size_t offset;
	const char *path;
	int optional;   /* "" counts as not set */
} ldap_filter_fields[] = {
	{ offsetof(dg_dir_ldap, user_filter), "/directory/users/filter", 0 },
	{ offsetof(dg_dir_ldap, group_filter), "/directory/groups/filter", 1 },
	{ offsetof(dg_dir_ldap, member_search_filter), "/directory/groups/memberSearchFilter", 1 },
};

static int check_member_position(const char *msf, dg_findings *out);

static void check_ldap_filters(const dg_dir_ldap *l, dg_findings *out)
{
	for (size_t i = 0; i < sizeof(ldap_filter_fields) / sizeof(ldap_filter_fields[0]); i++) {
		const struct filter_field *f = &ldap_filter_fields[i];
		const char *text = field_at(l, f->offset);

		if (!text || (f->optional && !*text))
			continue;
		if (f->offset == offsetof(dg_dir_ldap, member_search_filter) &&
		    check_member_position(text, out))
			continue; /* LDAP005 says what is wrong better than the syntax */
		dg_filter_lint(text, f->path, out);
	}
}

static const char *effective_members_attr(const dg_dir_ldap *l)
{
	return l->members_attr && *l->members_attr ? l->members_attr : "member";
}

static int members_are_dns(const char *attr)
{
	return !strcasecmp(attr, "member") || !strcasecmp(attr, "uniqueMember");
}

/* `msf` with every {member} replaced by `with`. */
static char *fill_member(const char *msf, const char *with)
{
	dg_strbuf text = DG_STRBUF_INIT;

	for (const char *p = msf; *p;) {
		const char *hit = strstr(p, "{member}");
		if (!hit) {
			dg_strbuf_adds(&text, p);
			break;
		}
		dg_strbuf_add(&text, p, (size_t)(hit - p));
		dg_strbuf_adds(&text, with);
		p = hit + strlen("{member}");
	}
	return dg_strbuf_detach(&text);
}

/* Whether `text` parses; err (may be NULL) says why not. */
static int parses(const char *text, dg_filter_error *err)
{
	dg_filter_error ignored;
	dg_filter *f;

	memset(&ignored, 0, sizeof(ignored));
	if (err)
		memset(err, 0, sizeof(*err));
	f = dg_filter_parse(text, err ? err : &ignored);
	dg_filter_free(f);
	return f != NULL;
}

/* MailStore puts each member value, RFC 4515-escaped, where {member}
 * stands.  A filter that parses when {member} stands for a name but not
 * for such a value has it where no value can go (an attribute name, a
 * matching rule): LDAP005, which says so where the placeholder's own
 * braces would only raise a syntax error.  Returns 1 when reported. */
static int check_member_position(const char *msf, dg_findings *out)
{
	static const char value[] = "j\\2adoe";   /* "j*doe", escaped as MailStore would */
	char *as_name, *as_value;
	dg_filter_error err;
	int misplaced = 0;

	if (!strstr(msf, "{member}"))
		return 0;
	as_name = fill_member(msf, "member");
	as_value = fill_member(msf, value);
	if ((parses(msf, NULL) || parses(as_name, NULL)) && !parses(as_value, &err)) {
		dg_finding *fd = dg_findings_add(out, DGF_LDAP005,
						 "/directory/groups/memberSearchFilter",
						 "memberSearchFilter does not parse once {member} is "
						 "replaced by a value (\"%s\"): %s", as_value,
						 err.message);
		dg_finding_hint(fd, "Put {member} only where an attribute value goes, e.g. "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
		misplaced = 1;
	}
	free(as_name);
	free(as_value);
	return misplaced;
}

static void check_member_filter_placeholder(const char *msf, dg_findings *out)
{
	dg_finding *fd;

	if (!strstr(msf, "{member}")) {
		fd = dg_findings_add(out, DGF_LDAP004,
				     "/directory/groups/memberSearchFilter",
				     "memberSearchFilter \"%s\" does not contain {member}", msf);
		dg_finding_hint(fd, "MailStore puts each member value where {member} stands, e.g. "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
	}
}

static void check_member_model(const dg_dir_ldap *l, dg_findings *out)
{
	const char *attr = effective_members_attr(l);
	const char *msf = l->member_search_filter && *l->member_search_filter
			  ? l->member_search_filter : NULL;
	dg_finding *fd;

	if (msf && members_are_dns(attr)) {
		fd = dg_findings_add(out, DGF_LDAP006,
				     "/directory/groups/memberSearchFilter",
				     "membersAttribute \"%s\" holds DNs, yet a memberSearchFilter is "
				     "set; MailStore: \"Group members are returned as Distinguished "
				     "Names\", so no search filter is needed", attr);
		dg_finding_hint(fd, "Set \"memberSearchFilter\": null, or use \"membersAttribute\": "
				"\"memberUid\" if the groups are posixGroups.");
	} else if (!msf && !strcasecmp(attr, "memberUid")) {
		fd = dg_findings_add(out, DGF_LDAP007,
				     "/directory/groups/memberSearchFilter",
				     "membersAttribute \"memberUid\" holds user names, not DNs, so "
				     "MailStore needs a memberSearchFilter to find the members");
		dg_finding_hint(fd, "Set \"memberSearchFilter\": "
				"\"(&(objectClass=posixAccount)(uid={member}))\".");
	}
}

/* The object class that goes with a members attribute, for the hint. */
static const char *group_class_for(const char *attr)
{
	if (!strcasecmp(attr, "memberUid"))
		return "(objectClass=posixGroup)";
	if (!strcasecmp(attr, "uniqueMember"))
		return "(objectClass=groupOfUniqueNames)";
	return "(objectClass=groupOfNames)";
}

static void check_group_filter_needed(const dg_dir_ldap *l, dg_findings *out)
{
	dg_finding *fd;

	if (!l->group_names.nr || (l->group_filter && *l->group_filter))
		return;
	fd = dg_findings_add(out, DGF_LDAP008, "/directory/groups/filter",
			     "groups.names lists %zu group%s but groups.filter is not set, so "
			     "MailStore cannot find the groups", l->group_names.nr,
			     l->group_names.nr == 1 ? "" : "s");
	dg_finding_hint(fd, "Set \"/directory/groups/filter\" to the groups' object class, e.g. "
			"\"%s\".", group_class_for(effective_members_attr(l)));
}

static void check_ldap_groups(const dg_dir_ldap *l, dg_findings *out)
{
	if (l->member_search_filter && *l->member_search_filter)
		check_member_filter_placeholder(l->member_search_filter, out);
	check_member_model(l, out);
	check_group_filter_needed(l, out);
}

static void check_directory_ldap(const dg_profile *p, dg_findings *out)
{
	const dg_dir_ldap *l = dg_ldap_opts(p);

	if (dg_profile_is_ad(p)) {
		check_ad_dns(dg_ad_opts(p), out);
	} else if (dg_profile_is_ldap(p)) {
		check_ldap_dns(l, out);
		check_ldap_attrs(l, out);
		check_ldap_filters(l, out);
		check_ldap_groups(l, out);
	}
}

/* ===== TLS ================================================================ */

static const dg_tls_opts *directory_tls(const dg_profile *p)
{
	return dg_profile_is_ad(p) ? &dg_ad_opts(p)->tls
							    : &dg_ldap_opts(p)->tls;
}

static const char *encrypted_protocols(const dg_profile *p)
{
	return dg_profile_is_ad(p) ? "\"ldaps\" or \"ldap-tls\""
							    : "\"ldap-tls\" or \"ldap-ssl\"";
}

static void check_accept_all(const dg_profile *p, int plain, dg_findings *out)
{
	dg_finding *fd;

	if (plain) {
		fd = dg_findings_add(out, DGF_TLS001,
				     "/directory/tls/acceptAllCertificates",
				     "acceptAllCertificates is true, but the protocol is unencrypted "
				     "LDAP: there is no certificate to accept");
		dg_finding_hint(fd, "Set \"protocol\" to %s to encrypt the connection (and then "
				"prefer a caFile over accepting every certificate), or remove "
				"acceptAllCertificates.", encrypted_protocols(p));
		return;
	}
	dg_check_accept_all("bind password", out);
}

/* Plain LDAP (the default protocol) sends the simple bind's password as it
 * is: anyone on the path can read it. */
static void check_cleartext_bind(const dg_profile *p, dg_findings *out)
{
	int ad = dg_profile_is_ad(p);
	const char *server = ad ? dg_ad_opts(p)->server : dg_ldap_opts(p)->server;
	const char *who = ad ? dg_ad_opts(p)->bind_user : dg_ldap_opts(p)->bind_dn;
	dg_finding *fd;

	if (!who || !*who || dg_is_loopback_host(server))
		return;
	fd = dg_findings_add(out, DGF_TLS011, "/directory/protocol",
			     "the protocol is unencrypted LDAP%s: the bind password of %s "
			     "travels in clear text to %s and can be read by anyone on the way",
			     (ad ? dg_ad_opts(p)->protocol : dg_ldap_opts(p)->protocol) ==
					     DG_PROTO_DEFAULT
				     ? " (the default)"
				     : "",
			     who, server && *server ? server : ad ? "the domain controller"
								   : "the server");
	dg_finding_hint(fd, "Set \"protocol\" to %s (%s) and, unless the server's certificate "
			"comes from a CA this computer trusts, \"tls\": {\"caFile\": \"...\"} "
			"with the issuing CA's certificate.",
			encrypted_protocols(p),
			ad ? "LDAPS on port 636, or StartTLS on 389"
			   : "StartTLS on port 389, or LDAPS on 636");
}

static void check_directory_tls(const dg_profile *p, dg_findings *out)
{
	const dg_tls_opts *tls = directory_tls(p);
	int plain;
	dg_finding *fd;

	plain = dg_profile_ldap_protocol(p) == DG_PROTO_LDAP ||
		dg_profile_ldap_protocol(p) == DG_PROTO_DEFAULT;
	if (plain)
		check_cleartext_bind(p, out);
	if (tls->accept_all_certificates == 1)
		check_accept_all(p, plain, out);
	if (tls->ca_file && plain) {
		fd = dg_findings_add(out, DGF_TLS003, "/directory/tls/caFile",
				     "caFile is set, but the protocol is unencrypted LDAP, so it "
				     "is not used");
		dg_finding_hint(fd, "Set \"protocol\" to %s, or remove caFile.",
				encrypted_protocols(p));
	}
}

/* ===== MailStore's option rules =========================================== */

static void check_ad_address_lists(const dg_profile *p, dg_findings *out)
{
	const dg_dir_active_directory *ad = dg_ad_opts(p);
	dg_finding *fd;

	if (!dg_profile_is_ad(p) ||
	    ad->visible_in_address_lists_only != 1 || ad->exchange_users_only == 1)
		return;
	fd = dg_findings_add(out, DGF_AD003, "/directory/filters/visibleInAddressListsOnly",
			     "visibleInAddressListsOnly is true, but exchangeUsersOnly is not; "
			     "MailStore applies \"visible in address lists only\" only together "
			     "with \"Exchange users only\"");
	dg_finding_hint(fd, "Set \"/directory/filters/exchangeUsersOnly\": true, or set "
			"\"visibleInAddressListsOnly\": false.");
}


static const dg_method_note method_notes[] = {
	{ "windows", DGF_AUTH003,
	  "integrated Windows authentication cannot be checked or used from Linux: it needs "
	  "Windows clients in the domain and MailStore Server on a domain member",
	  "dirgate checks the directory side only; after switching, test a login from a "
	  "domain-joined Windows client." },
};

/* sAMAccountName by name (case-insensitive, RFC 4512) or by its OID. */
static int is_sam_attribute(const char *attr)
{
	return attr && (!strcasecmp(attr, "sAMAccountName") ||
			!strcmp(attr, "1.2.840.113556.1.4.221"));
}

const char *dg_ldap_sam_user_name_path(const dg_profile *p)
{
	if (dg_profile_is_ad(p))
		return dg_profile_user_name_format(p) == DG_UNF_SAM ? "/directory/userNameFormat"
								    : NULL;
	if (dg_profile_is_ldap(p) && is_sam_attribute(dg_ldap_opts(p)->user_name_attr))
		return "/directory/users/userNameAttribute";
	return NULL;
}

/* ===== entry point ======================================================== */

static void check_directory(const dg_profile *p, dg_findings *out)
{
	check_identifiers(p, out);
	check_directory_ldap(p, out);
	check_directory_tls(p, out);
	check_ad_address_lists(p, out);
	dg_check_method_allowed(p, out);
}

/* The login method's note comes whatever the directory type: a method that
 * does not fit it is AUTH001, and still worth its note. */
void dg_ldap_check_offline(const dg_profile *p, dg_findings *out)
{
	if (dg_profile_is_ad(p) || dg_profile_is_ldap(p))
		check_directory(p, out);
	dg_check_method_notes(dg_profile_method(p), method_notes,
			      sizeof(method_notes) / sizeof(method_notes[0]), out);
}
