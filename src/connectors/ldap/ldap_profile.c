/* The keys of active-directory and ldap directories (docs/profile-keys.md;
 * schemas/profile.schema.json is the editors' copy), the structs they
 * fill, and the values in effect after defaults. */
#include "ldap_profile.h"

#include "../../core/profile_fields.h"
#include "../../core/provider.h"

#include <limits.h>
#include <stddef.h>

extern const char dg_init_active_directory[], dg_init_ldap[];

/* AD spells LDAPS "ldaps", MailStore's generic LDAP page "ldap-ssl"; both
 * mean TLS from the first byte on port 636.  "ldap-tls" (StartTLS on 389)
 * is the same for both: domain controllers that require signing or
 * channel binding accept a simple bind after StartTLS too. */
static const dg_enumval protocol_vals[] = {
	{ "ldap", DG_PROTO_LDAP, "active-directory ldap" },
	{ "ldaps", DG_PROTO_LDAP_SSL, "active-directory" },
	{ "ldap-tls", DG_PROTO_LDAP_TLS, "active-directory ldap" },
	{ "ldap-ssl", DG_PROTO_LDAP_SSL, "ldap" },
};
static const dg_enumalias protocol_aliases[] = {
	{ "ldaps", "ldap-ssl", "ldap" },
	{ "ssl", "ldap-ssl", "ldap" },
	{ "tls", "ldap-tls", "ldap" },
	{ "starttls", "ldap-tls", "ldap" },
	{ "start-tls", "ldap-tls", "ldap" },
	{ "ldap-ssl", "ldaps", "active-directory" },
	{ "ssl", "ldaps", "active-directory" },
	{ "tls", "ldaps", "active-directory" },
	{ "starttls", "ldap-tls", "active-directory" },
	{ "start-tls", "ldap-tls", "active-directory" },
};
static const dg_enumspec protocol_enum = {
	protocol_vals, DG_NELEM(protocol_vals), protocol_aliases, DG_NELEM(protocol_aliases),
	.spelled_per_type = 1,
};

static const dg_enumval unf_vals[] = {
	{ "sAMAccountName", DG_UNF_SAM, NULL },
	{ "userPrincipalName", DG_UNF_UPN, NULL },
	{ "userPrincipalNameLocalPart", DG_UNF_UPN_LOCAL, NULL },
};
static const dg_enumalias unf_aliases[] = {
	{ "sam", "sAMAccountName", NULL },
	{ "upn", "userPrincipalName", NULL },
	{ "upn-local-part", "userPrincipalNameLocalPart", NULL },
	{ "upnLocalPart", "userPrincipalNameLocalPart", NULL },
};
static const dg_enumspec unf_enum = DG_ENUM(unf_vals, unf_aliases);

#define PORT_RANGE .min = 1, .max = 65535

/* dirgate's bounds on an LDAP read: 1 MiB .. 4 GiB, 1 s .. a week. */
static const dg_field limits_fields[] = { /* base: dg_ldap_limits */
	{ .key = "maxMessageMB", .kind = DG_K_INT, .off = offsetof(dg_ldap_limits, max_message_mb),
	  .min = 1, .max = 4095 },
	{ .key = "deadlineSeconds", .kind = DG_K_INT,
	  .off = offsetof(dg_ldap_limits, deadline_seconds), .min = 1, .max = 7 * 86400 },
};
static const dg_objspec limits_spec = DG_SPEC(limits_fields, NULL);

/* -- active-directory (base: dg_dir_active_directory) -- */
#define AD(m) offsetof(dg_dir_active_directory, m)

static const dg_field ad_bind_fields[] = {
	{ .key = "user", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AD(bind_user) },
	{ .key = "password", .kind = DG_K_SECRET, .off = AD(bind_password) },
};
static const dg_objspec ad_bind_spec = DG_SPEC(ad_bind_fields, NULL);

static const dg_field ad_filter_fields[] = {
	{ .key = "exchangeUsersOnly", .kind = DG_K_BOOL, .off = AD(exchange_users_only) },
	{ .key = "visibleInAddressListsOnly", .kind = DG_K_BOOL,
	  .off = AD(visible_in_address_lists_only) },
	{ .key = "enabledUsersOnly", .kind = DG_K_BOOL, .off = AD(enabled_users_only) },
	{ .key = "groups", .kind = DG_K_STRARR, .flags = DG_F_NONEMPTY, .off = AD(groups) },
};
static const dg_objspec ad_filter_spec = DG_SPEC(ad_filter_fields, NULL);

static int given(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return v && !cJSON_IsNull(v);
}

/* An AD directory is found through its server or its DNS domain. */
static void ad_rules(dg_profile_walker *w, const cJSON *obj, void *base)
{
	dg_finding *fd;
	(void)base;
	if (dg_profile_walker_has_snapshot(w) || given(obj, "server") || given(obj, "domain"))
		return;
	fd = dg_profile_walker_finding(w, "server", DGF_PROF005,
				       "an active-directory directory needs \"server\" or \"domain\"");
	dg_finding_hint(fd, "add \"server\": \"dc01.contoso.com\" or \"domain\": \"contoso.com\" "
			"(or a snapshot to work offline)");
}

static const dg_field ad_fields[] = {
	{ .key = "server", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = AD(server) },
	{ .key = "domain", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = AD(domain) },
	{ .key = "protocol", .kind = DG_K_ENUM, .off = AD(protocol), .en = &protocol_enum },
	{ .key = "port", .kind = DG_K_INT, .flags = DG_F_NULL, .off = AD(port), PORT_RANGE },
	{ .key = "baseDn", .kind = DG_K_STRING, .off = AD(base_dn) },
	{ .key = "bind", .kind = DG_K_OBJECT, .sub = &ad_bind_spec },
	{ .key = "tls", .kind = DG_K_OBJECT, .off = AD(tls), .sub = &dg_tls_spec },
	{ .key = "limits", .kind = DG_K_OBJECT, .off = AD(limits), .sub = &limits_spec },
	{ .key = "filters", .kind = DG_K_OBJECT, .sub = &ad_filter_spec },
	{ .key = "userNameFormat", .kind = DG_K_ENUM, .off = AD(user_name_format), .en = &unf_enum },
};
static const dg_objspec ad_spec = DG_SPEC(ad_fields, ad_rules);

static const dg_dir_active_directory ad_defaults = {
	.tls.accept_all_certificates = -1,
	.exchange_users_only = -1,
	.visible_in_address_lists_only = -1,
	.enabled_users_only = -1,
};

/* -- ldap (base: dg_dir_ldap) -- */
#define LD(m) offsetof(dg_dir_ldap, m)

static const dg_field ldap_bind_fields[] = {
	{ .key = "dn", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = LD(bind_dn) },
	{ .key = "password", .kind = DG_K_SECRET, .off = LD(bind_password) },
};
static const dg_objspec ldap_bind_spec = DG_SPEC(ldap_bind_fields, NULL);

static const dg_field ldap_user_fields[] = {
	{ .key = "filter", .kind = DG_K_STRING, .off = LD(user_filter) },
	{ .key = "userNameAttribute", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY,
	  .off = LD(user_name_attr) },
	{ .key = "localPartOnly", .kind = DG_K_BOOL, .off = LD(local_part_only) },
	{ .key = "fullNameAttribute", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY,
	  .off = LD(full_name_attr) },
	{ .key = "emailAttribute", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = LD(email_attr) },
};
static const dg_objspec ldap_user_spec = DG_SPEC(ldap_user_fields, NULL);

static const dg_field ldap_group_fields[] = {
	{ .key = "filter", .kind = DG_K_STRING, .flags = DG_F_NULL, .off = LD(group_filter) },
	{ .key = "nameAttribute", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY,
	  .off = LD(group_name_attr) },
	{ .key = "descriptionAttribute", .kind = DG_K_STRING, .flags = DG_F_NULL,
	  .off = LD(group_description_attr) },
	{ .key = "membersAttribute", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY,
	  .off = LD(members_attr) },
	{ .key = "memberSearchFilter", .kind = DG_K_STRING, .flags = DG_F_NULL,
	  .off = LD(member_search_filter), .must_contain = "{member}" },
	{ .key = "names", .kind = DG_K_STRARR, .flags = DG_F_NONEMPTY, .off = LD(group_names) },
};
static const dg_objspec ldap_group_spec = DG_SPEC(ldap_group_fields, NULL);

static const dg_field ldap_fields[] = {
	{ .key = "server", .kind = DG_K_STRING, .flags = DG_F_REQ_NOSNAP | DG_F_NONEMPTY,
	  .off = LD(server), .example = "\"server\": \"ldap.example.com\"" },
	{ .key = "protocol", .kind = DG_K_ENUM, .off = LD(protocol), .en = &protocol_enum },
	{ .key = "port", .kind = DG_K_INT, .flags = DG_F_NULL, .off = LD(port), PORT_RANGE },
	{ .key = "bind", .kind = DG_K_OBJECT, .sub = &ldap_bind_spec },
	{ .key = "baseDn", .kind = DG_K_STRING, .flags = DG_F_REQ, .off = LD(base_dn),
	  .example = "\"baseDn\": \"dc=example,dc=com\"" },
	{ .key = "tls", .kind = DG_K_OBJECT, .off = LD(tls), .sub = &dg_tls_spec },
	{ .key = "limits", .kind = DG_K_OBJECT, .off = LD(limits), .sub = &limits_spec },
	{ .key = "users", .kind = DG_K_OBJECT, .sub = &ldap_user_spec },
	{ .key = "groups", .kind = DG_K_OBJECT, .sub = &ldap_group_spec },
};
static const dg_objspec ldap_spec = DG_SPEC(ldap_fields, NULL);

static const dg_dir_ldap ldap_defaults = {
	.tls.accept_all_certificates = -1,
	.local_part_only = -1,
};

static const char *const ad_aliases[] = {
	"ad", "activedirectory", "active_directory", NULL,
};
static const char *const ldap_aliases[] = { "generic-ldap", "openldap", NULL };

const dg_provider_dir dg_ldap_dirs[] = {
	{ "active-directory", dg_init_active_directory, ad_aliases, &ad_spec,
	  sizeof(dg_dir_active_directory), &ad_defaults },
	{ "ldap", dg_init_ldap, ldap_aliases, &ldap_spec, sizeof(dg_dir_ldap), &ldap_defaults },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* ---- the profile's values ------------------------------------------------------ */

const dg_dir_active_directory *dg_ad_opts(const dg_profile *p)
{
	return dg_profile_dir_opts(p, &dg_ldap_dirs[0]);
}

const dg_dir_ldap *dg_ldap_opts(const dg_profile *p)
{
	return dg_profile_dir_opts(p, &dg_ldap_dirs[1]);
}

int dg_profile_is_ad(const dg_profile *p)
{
	return p->directory.kind == &dg_ldap_dirs[0];
}

int dg_profile_is_ldap(const dg_profile *p)
{
	return p->directory.kind == &dg_ldap_dirs[1];
}

dg_ldap_protocol dg_profile_ldap_protocol(const dg_profile *p)
{
	dg_ldap_protocol proto;
	if (dg_profile_is_ad(p))
		proto = dg_ad_opts(p)->protocol;
	else if (dg_profile_is_ldap(p))
		proto = dg_ldap_opts(p)->protocol;
	else
		return DG_PROTO_DEFAULT; /* not an LDAP directory */
	return proto == DG_PROTO_DEFAULT ? DG_PROTO_LDAP : proto;
}

int dg_profile_ldap_port(const dg_profile *p)
{
	int port;
	if (dg_profile_is_ad(p))
		port = dg_ad_opts(p)->port;
	else if (dg_profile_is_ldap(p))
		port = dg_ldap_opts(p)->port;
	else
		return 0;
	if (port > 0)
		return port;
	return dg_profile_ldap_protocol(p) == DG_PROTO_LDAP_SSL ? 636 : 389;
}

const char *dg_profile_user_filter(const dg_profile *p)
{
	if (dg_profile_is_ad(p))
		/* Users, not computers or contacts (MailStore's own filter). */
		return "(&(objectCategory=person)(objectClass=user))";
	if (dg_profile_is_ldap(p))
		return dg_ldap_opts(p)->user_filter ? dg_ldap_opts(p)->user_filter
						    : "(objectClass=inetOrgPerson)";
	return NULL;
}

const char *dg_profile_group_filter(const dg_profile *p)
{
	if (dg_profile_is_ad(p))
		return "(objectCategory=group)";
	if (dg_profile_is_ldap(p))
		return dg_ldap_opts(p)->group_filter
			       ? dg_ldap_opts(p)->group_filter
			       : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)"
				 "(objectClass=posixGroup)(objectClass=group))";
	return NULL;
}

dg_username_format dg_profile_user_name_format(const dg_profile *p)
{
	dg_username_format f = dg_ad_opts(p)->user_name_format;
	if (!dg_profile_is_ad(p))
		return DG_UNF_DEFAULT;
	return f == DG_UNF_DEFAULT ? DG_UNF_SAM : f;
}
