/* The profile loader: cJSON for the tree, jsonpos for where things are,
 * and one table of fields per object (per directory type for /directory)
 * that drives a single validating walk.  The tables are the code's copy of
 * docs/profile-keys.md; schemas/profile.schema.json is the editors' copy
 * and tests/cli/test_schema.py keeps the two in agreement. */
#include "profile.h"

#include "error.h"
#include "jsonpos.h"
#include "readfile.h"
#include "suggest.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Profiles are a few kilobytes; this only stops a wrong file argument
 * (a disk image, /dev/zero) from being read into memory. */
#define MAX_PROFILE_BYTES (16u << 20)

/* ---- the tables -------------------------------------------------------- */

enum kind {
	K_STRING,    /* string */
	K_PATH,      /* string, resolved against the profile's directory */
	K_BOOL,      /* true/false into a tri-state int */
	K_INT,       /* integral number into an int */
	K_NUMBER,    /* number into a double */
	K_ENUM,      /* string from an enumspec, stored as its int value */
	K_STRARR,    /* array of strings into a dg_strarr */
	K_ENUMARR,   /* array of enum strings into a dg_strarr */
	K_SECRET,    /* secret reference into a dg_secret_ref */
	K_OBJECT,    /* nested object described by `sub` */
	K_DIRECTORY, /* /directory: the object spec depends on its type */
	K_IGNORED,   /* checked for type, not stored ($schema) */
};

enum {
	F_NULL = 1 << 0,      /* null is accepted and means "not given" */
	F_REQ = 1 << 1,       /* must be present */
	F_REQ_NOSNAP = 1 << 2, /* must be present unless directory.snapshot is set */
	F_NONEMPTY = 1 << 3,  /* "" is out of range (strings and array items) */
};

/* Bit masks of directory types and authentication methods. */
#define TB(t) (1u << (t))
#define T_AD TB(DG_DIR_ACTIVE_DIRECTORY)
#define T_LDAP TB(DG_DIR_LDAP)
#define T_M365 TB(DG_DIR_M365)
#define T_GOOGLE TB(DG_DIR_GOOGLE)
#define MB(m) (1u << (m))

struct enumval {
	const char *name;
	int value;
	unsigned types;  /* directory types it is allowed for; 0 = all */
};

/* A value people write for another one ("ldaps" for generic LDAP's
 * "ldap-ssl"); only used for did-you-mean. */
struct enumalias {
	const char *alias;
	const char *to;
	unsigned types;  /* directory types the suggestion applies to; 0 = all */
};

struct enumspec {
	const struct enumval *vals;
	size_t nr;
	const struct enumalias *aliases;
	size_t nalias;
};

struct objspec;

struct field {
	const char *key;
	enum kind kind;
	unsigned flags;
	size_t off;                   /* value (or sub-object base) relative to the object's base */
	const struct objspec *sub;    /* K_OBJECT */
	const struct enumspec *en;    /* K_ENUM, K_ENUMARR */
	double min, max;              /* K_INT, K_NUMBER when min < max */
	unsigned methods;             /* authentication methods it applies to; 0 = all */
	const char *must_contain;     /* K_STRING: required substring */
	const char *example;          /* JSON text for the hint when it is missing */
};

typedef struct walker walker;

struct objspec {
	const struct field *fields;
	size_t nr;
	/* cross-field rules, run after the fields (obj is the JSON object) */
	void (*rules)(walker *w, const cJSON *obj, void *base);
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SPEC(fields, rules) { fields, N(fields), rules }
#define ENUM(vals, aliases) { vals, N(vals), aliases, N(aliases) }

static const struct enumval dirtype_vals[] = {
	{ "active-directory", DG_DIR_ACTIVE_DIRECTORY, 0 },
	{ "ldap", DG_DIR_LDAP, 0 },
	{ "microsoft-365", DG_DIR_M365, 0 },
	{ "google-workspace", DG_DIR_GOOGLE, 0 },
};
static const struct enumalias dirtype_aliases[] = {
	{ "ad", "active-directory", 0 },
	{ "activedirectory", "active-directory", 0 },
	{ "active_directory", "active-directory", 0 },
	{ "generic-ldap", "ldap", 0 },
	{ "openldap", "ldap", 0 },
	{ "m365", "microsoft-365", 0 },
	{ "microsoft365", "microsoft-365", 0 },
	{ "office365", "microsoft-365", 0 },
	{ "office-365", "microsoft-365", 0 },
	{ "entra", "microsoft-365", 0 },
	{ "azure-ad", "microsoft-365", 0 },
	{ "google", "google-workspace", 0 },
	{ "gsuite", "google-workspace", 0 },
	{ "g-suite", "google-workspace", 0 },
	{ "googleworkspace", "google-workspace", 0 },
};
static const struct enumspec dirtype_enum = ENUM(dirtype_vals, dirtype_aliases);

/* AD spells LDAPS "ldaps", MailStore's generic LDAP page "ldap-ssl"; both
 * mean TLS from the first byte on port 636.  "ldap-tls" (StartTLS on 389)
 * is the same for both: domain controllers that require signing or
 * channel binding accept a simple bind after StartTLS too. */
static const struct enumval protocol_vals[] = {
	{ "ldap", DG_PROTO_LDAP, T_AD | T_LDAP },
	{ "ldaps", DG_PROTO_LDAP_SSL, T_AD },
	{ "ldap-tls", DG_PROTO_LDAP_TLS, T_AD | T_LDAP },
	{ "ldap-ssl", DG_PROTO_LDAP_SSL, T_LDAP },
};
static const struct enumalias protocol_aliases[] = {
	{ "ldaps", "ldap-ssl", T_LDAP },
	{ "ssl", "ldap-ssl", T_LDAP },
	{ "tls", "ldap-tls", T_LDAP },
	{ "starttls", "ldap-tls", T_LDAP },
	{ "start-tls", "ldap-tls", T_LDAP },
	{ "ldap-ssl", "ldaps", T_AD },
	{ "ssl", "ldaps", T_AD },
	{ "tls", "ldaps", T_AD },
	{ "starttls", "ldap-tls", T_AD },
	{ "start-tls", "ldap-tls", T_AD },
};
static const struct enumspec protocol_enum = ENUM(protocol_vals, protocol_aliases);

static const struct enumval unf_vals[] = {
	{ "sAMAccountName", DG_UNF_SAM, 0 },
	{ "userPrincipalName", DG_UNF_UPN, 0 },
	{ "userPrincipalNameLocalPart", DG_UNF_UPN_LOCAL, 0 },
};
static const struct enumalias unf_aliases[] = {
	{ "sam", "sAMAccountName", 0 },
	{ "upn", "userPrincipalName", 0 },
	{ "upn-local-part", "userPrincipalNameLocalPart", 0 },
	{ "upnLocalPart", "userPrincipalNameLocalPart", 0 },
};
static const struct enumspec unf_enum = ENUM(unf_vals, unf_aliases);

static const struct enumval cloud_vals[] = {
	{ "global", 0, 0 },
	{ "usgov", 0, 0 },
	{ "usgov-dod", 0, 0 },
	{ "china", 0, 0 },
};
static const struct enumalias cloud_aliases[] = {
	{ "gcc-high", "usgov", 0 },
	{ "dod", "usgov-dod", 0 },
	{ "public", "global", 0 },
};
static const struct enumspec cloud_enum = ENUM(cloud_vals, cloud_aliases);

static const struct enumval method_vals[] = {
	{ "standard", DG_AUTH_STANDARD, T_AD | T_LDAP },
	{ "windows", DG_AUTH_WINDOWS, T_AD },
	{ "adfs", DG_AUTH_ADFS, T_AD | T_LDAP },
	{ "microsoft-365", DG_AUTH_M365, T_M365 },
	{ "microsoft-365-basic", DG_AUTH_M365_BASIC, T_M365 },
	{ "google-oidc", DG_AUTH_GOOGLE_OIDC, T_GOOGLE },
	{ "google-imap", DG_AUTH_GOOGLE_IMAP, T_GOOGLE },
};
static const struct enumalias method_aliases[] = {
	{ "ad-fs", "adfs", 0 },
	{ "oidc", "adfs", T_AD | T_LDAP },
	{ "oidc", "microsoft-365", T_M365 },
	{ "oidc", "google-oidc", T_GOOGLE },
	{ "openid", "google-oidc", T_GOOGLE },
	{ "imap", "google-imap", T_GOOGLE },
	{ "m365", "microsoft-365", T_M365 },
	{ "integrated", "windows", T_AD },
	{ "kerberos", "windows", T_AD },
	{ "password", "standard", T_AD | T_LDAP },
};
static const struct enumspec method_enum = ENUM(method_vals, method_aliases);

static const struct enumval product_vals[] = {
	{ "server", DG_PRODUCT_SERVER, 0 },
	{ "spe", DG_PRODUCT_SPE, 0 },
};
static const struct enumalias product_aliases[] = {
	{ "mailstore-server", "server", 0 },
	{ "service-provider-edition", "spe", 0 },
	{ "mailstore-spe", "spe", 0 },
};
static const struct enumspec product_enum = ENUM(product_vals, product_aliases);

static const struct enumval privilege_vals[] = {
	{ "none", 0, 0 },
	{ "admin", 0, 0 },
	{ "login", 0, 0 },
	{ "changePassword", 0, 0 },
	{ "archive", 0, 0 },
	{ "modifyArchiveProfiles", 0, 0 },
	{ "export", 0, 0 },
	{ "modifyExportProfiles", 0, 0 },
	{ "delete", 0, 0 },
};
/* The Administration API's privilege names (SetUserPrivileges); the
 * aliases catch the UI's wording. */
static const struct enumalias privilege_aliases[] = {
	{ "archiveE-mail", "archive", 0 },
	{ "archiveEmail", "archive", 0 },
	{ "exportE-mail", "export", 0 },
	{ "exportEmail", "export", 0 },
	{ "administrator", "admin", 0 },
	{ "logon", "login", 0 },
};
static const struct enumspec privilege_enum = ENUM(privilege_vals, privilege_aliases);

/* Offsets: directory fields are relative to dg_directory, so that "type"
 * and "snapshot" sit beside each type's own fields. */
#define AD(m) offsetof(dg_directory, ad.m)
#define LD(m) offsetof(dg_directory, ldap.m)
#define MS(m) offsetof(dg_directory, m365.m)
#define GW(m) offsetof(dg_directory, google.m)
#define DIR(m) offsetof(dg_directory, m)
#define PORT_RANGE .min = 1, .max = 65535
#define COUNT_RANGE .min = 0, .max = INT_MAX

static const struct field tls_fields[] = { /* base: dg_tls_opts */
	{ .key = "caFile", .kind = K_PATH, .flags = F_NULL | F_NONEMPTY,
	  .off = offsetof(dg_tls_opts, ca_file) },
	{ .key = "acceptAllCertificates", .kind = K_BOOL,
	  .off = offsetof(dg_tls_opts, accept_all_certificates) },
};
static const struct objspec tls_spec = SPEC(tls_fields, NULL);

/* HTTPS services (Entra ID, Graph, AD FS): a CA file, never "accept all". */
static const struct field https_tls_fields[] = { /* base: dg_tls_opts */
	{ .key = "caFile", .kind = K_PATH, .flags = F_NULL | F_NONEMPTY,
	  .off = offsetof(dg_tls_opts, ca_file) },
};
static const struct objspec https_tls_spec = SPEC(https_tls_fields, NULL);

/* dirgate's bounds on an LDAP read: 1 MiB .. 4 GiB, 1 s .. a week. */
static const struct field ldap_limits_fields[] = { /* base: dg_ldap_limits */
	{ .key = "maxMessageMB", .kind = K_INT, .off = offsetof(dg_ldap_limits, max_message_mb),
	  .min = 1, .max = 4095 },
	{ .key = "deadlineSeconds", .kind = K_INT,
	  .off = offsetof(dg_ldap_limits, deadline_seconds), .min = 1, .max = 7 * 86400 },
};
static const struct objspec ldap_limits_spec = SPEC(ldap_limits_fields, NULL);

#define COMMON_DIR_FIELDS                                                      \
	{ .key = "type", .kind = K_ENUM, .flags = F_REQ, .off = DIR(type),     \
	  .en = &dirtype_enum, .example = "\"type\": \"ldap\"" },              \
	{ .key = "snapshot", .kind = K_PATH, .flags = F_NULL | F_NONEMPTY,     \
	  .off = DIR(snapshot) }

/* -- active-directory -- */
static const struct field ad_bind_fields[] = {
	{ .key = "user", .kind = K_STRING, .flags = F_NONEMPTY, .off = AD(bind_user) },
	{ .key = "password", .kind = K_SECRET, .off = AD(bind_password) },
};
static const struct objspec ad_bind_spec = SPEC(ad_bind_fields, NULL);

static const struct field ad_filter_fields[] = {
	{ .key = "exchangeUsersOnly", .kind = K_BOOL, .off = AD(exchange_users_only) },
	{ .key = "visibleInAddressListsOnly", .kind = K_BOOL,
	  .off = AD(visible_in_address_lists_only) },
	{ .key = "enabledUsersOnly", .kind = K_BOOL, .off = AD(enabled_users_only) },
	{ .key = "groups", .kind = K_STRARR, .flags = F_NONEMPTY, .off = AD(groups) },
};
static const struct objspec ad_filter_spec = SPEC(ad_filter_fields, NULL);

static void ad_rules(walker *w, const cJSON *obj, void *base);
static const struct field ad_fields[] = {
	COMMON_DIR_FIELDS,
	{ .key = "server", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = AD(server) },
	{ .key = "domain", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = AD(domain) },
	{ .key = "protocol", .kind = K_ENUM, .off = AD(protocol), .en = &protocol_enum },
	{ .key = "port", .kind = K_INT, .flags = F_NULL, .off = AD(port), PORT_RANGE },
	{ .key = "baseDn", .kind = K_STRING, .off = AD(base_dn) },
	{ .key = "bind", .kind = K_OBJECT, .sub = &ad_bind_spec },
	{ .key = "tls", .kind = K_OBJECT, .off = AD(tls), .sub = &tls_spec },
	{ .key = "limits", .kind = K_OBJECT, .off = AD(limits), .sub = &ldap_limits_spec },
	{ .key = "filters", .kind = K_OBJECT, .sub = &ad_filter_spec },
	{ .key = "userNameFormat", .kind = K_ENUM, .off = AD(user_name_format), .en = &unf_enum },
};
static const struct objspec ad_spec = SPEC(ad_fields, ad_rules);

/* -- ldap -- */
static const struct field ldap_bind_fields[] = {
	{ .key = "dn", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = LD(bind_dn) },
	{ .key = "password", .kind = K_SECRET, .off = LD(bind_password) },
};
static const struct objspec ldap_bind_spec = SPEC(ldap_bind_fields, NULL);

static const struct field ldap_user_fields[] = {
	{ .key = "filter", .kind = K_STRING, .off = LD(user_filter) },
	{ .key = "userNameAttribute", .kind = K_STRING, .flags = F_NONEMPTY, .off = LD(user_name_attr) },
	{ .key = "localPartOnly", .kind = K_BOOL, .off = LD(local_part_only) },
	{ .key = "fullNameAttribute", .kind = K_STRING, .flags = F_NONEMPTY, .off = LD(full_name_attr) },
	{ .key = "emailAttribute", .kind = K_STRING, .flags = F_NONEMPTY, .off = LD(email_attr) },
};
static const struct objspec ldap_user_spec = SPEC(ldap_user_fields, NULL);

static const struct field ldap_group_fields[] = {
	{ .key = "filter", .kind = K_STRING, .flags = F_NULL, .off = LD(group_filter) },
	{ .key = "nameAttribute", .kind = K_STRING, .flags = F_NONEMPTY, .off = LD(group_name_attr) },
	{ .key = "descriptionAttribute", .kind = K_STRING, .flags = F_NULL,
	  .off = LD(group_description_attr) },
	{ .key = "membersAttribute", .kind = K_STRING, .flags = F_NONEMPTY, .off = LD(members_attr) },
	{ .key = "memberSearchFilter", .kind = K_STRING, .flags = F_NULL,
	  .off = LD(member_search_filter), .must_contain = "{member}" },
	{ .key = "names", .kind = K_STRARR, .flags = F_NONEMPTY, .off = LD(group_names) },
};
static const struct objspec ldap_group_spec = SPEC(ldap_group_fields, NULL);

static const struct field ldap_fields[] = {
	COMMON_DIR_FIELDS,
	{ .key = "server", .kind = K_STRING, .flags = F_REQ_NOSNAP | F_NONEMPTY, .off = LD(server),
	  .example = "\"server\": \"ldap.example.com\"" },
	{ .key = "protocol", .kind = K_ENUM, .off = LD(protocol), .en = &protocol_enum },
	{ .key = "port", .kind = K_INT, .flags = F_NULL, .off = LD(port), PORT_RANGE },
	{ .key = "bind", .kind = K_OBJECT, .sub = &ldap_bind_spec },
	{ .key = "baseDn", .kind = K_STRING, .flags = F_REQ, .off = LD(base_dn),
	  .example = "\"baseDn\": \"dc=example,dc=com\"" },
	{ .key = "tls", .kind = K_OBJECT, .off = LD(tls), .sub = &tls_spec },
	{ .key = "limits", .kind = K_OBJECT, .off = LD(limits), .sub = &ldap_limits_spec },
	{ .key = "users", .kind = K_OBJECT, .sub = &ldap_user_spec },
	{ .key = "groups", .kind = K_OBJECT, .sub = &ldap_group_spec },
};
static const struct objspec ldap_spec = SPEC(ldap_fields, NULL);

/* -- microsoft-365 -- */
static const struct field m365_cert_fields[] = {
	{ .key = "certFile", .kind = K_PATH, .flags = F_REQ_NOSNAP | F_NONEMPTY, .off = MS(cert_file),
	  .example = "\"certFile\": \"keys/mailstore-app.crt\"" },
	{ .key = "keyFile", .kind = K_PATH, .flags = F_REQ_NOSNAP | F_NONEMPTY, .off = MS(key_file),
	  .example = "\"keyFile\": \"keys/mailstore-app.key\"" },
	{ .key = "keyPassword", .kind = K_SECRET, .off = MS(key_password) },
};
static const struct objspec m365_cert_spec = SPEC(m365_cert_fields, NULL);

static const struct field m365_filter_fields[] = {
	{ .key = "exchangeUsersOnly", .kind = K_BOOL, .off = MS(exchange_users_only) },
	{ .key = "enabledUsersOnly", .kind = K_BOOL, .off = MS(enabled_users_only) },
	{ .key = "groups", .kind = K_STRARR, .flags = F_NONEMPTY, .off = MS(groups) },
};
static const struct objspec m365_filter_spec = SPEC(m365_filter_fields, NULL);

static const struct field m365_fields[] = {
	COMMON_DIR_FIELDS,
	{ .key = "tenantId", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY, .off = MS(tenant_id),
	  .example = "\"tenantId\": \"contoso.onmicrosoft.com\"" },
	{ .key = "clientId", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY, .off = MS(client_id),
	  .example = "\"clientId\": \"<application (client) ID GUID>\"" },
	{ .key = "cloud", .kind = K_ENUM, .off = MS(cloud), .en = &cloud_enum },
	{ .key = "certificate", .kind = K_OBJECT, .flags = F_REQ_NOSNAP, .sub = &m365_cert_spec,
	  .example = "\"certificate\": {\"certFile\": \"keys/app.crt\", \"keyFile\": \"keys/app.key\"}" },
	{ .key = "filters", .kind = K_OBJECT, .sub = &m365_filter_spec },
	{ .key = "tls", .kind = K_OBJECT, .off = MS(tls), .sub = &https_tls_spec },
	{ .key = "apiUrl", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = MS(api_url) },
	{ .key = "authorityUrl", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = MS(authority_url) },
};
static const struct objspec m365_spec = SPEC(m365_fields, NULL);

/* -- google-workspace -- */
static const struct field google_filter_fields[] = {
	{ .key = "enabledUsersOnly", .kind = K_BOOL, .off = GW(enabled_users_only) },
	{ .key = "groups", .kind = K_STRARR, .flags = F_NONEMPTY, .off = GW(groups) },
};
static const struct objspec google_filter_spec = SPEC(google_filter_fields, NULL);

static const struct field google_fields[] = {
	COMMON_DIR_FIELDS,
	{ .key = "serviceAccountKeyFile", .kind = K_PATH, .flags = F_REQ_NOSNAP | F_NONEMPTY,
	  .off = GW(service_account_key_file),
	  .example = "\"serviceAccountKeyFile\": \"keys/service-account.json\"" },
	{ .key = "adminUser", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY, .off = GW(admin_user),
	  .example = "\"adminUser\": \"admin@example.com\"" },
	{ .key = "domain", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = GW(domain) },
	{ .key = "filters", .kind = K_OBJECT, .sub = &google_filter_spec },
	{ .key = "apiUrl", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = GW(api_url) },
	{ .key = "tls", .kind = K_OBJECT, .off = GW(tls), .sub = &tls_spec },
};
static const struct objspec google_spec = SPEC(google_fields, NULL);

/* While the type is unknown only the common keys are checked. */
static const struct field anydir_fields[] = { COMMON_DIR_FIELDS };
static const struct objspec anydir_spec = SPEC(anydir_fields, NULL);

static const struct objspec *const dir_specs[] = {
	[DG_DIR_NONE] = &anydir_spec,
	[DG_DIR_ACTIVE_DIRECTORY] = &ad_spec,
	[DG_DIR_LDAP] = &ldap_spec,
	[DG_DIR_M365] = &m365_spec,
	[DG_DIR_GOOGLE] = &google_spec,
};

/* -- authentication (base: dg_authentication) -- */
#define AU(m) offsetof(dg_authentication, m)
static const struct field auth_fields[] = {
	{ .key = "method", .kind = K_ENUM, .flags = F_REQ, .off = AU(method), .en = &method_enum,
	  .example = "\"method\": \"standard\"" },
	{ .key = "adfsUrl", .kind = K_STRING, .flags = F_NONEMPTY, .off = AU(adfs_url),
	  .methods = MB(DG_AUTH_ADFS) },
	{ .key = "clientId", .kind = K_STRING, .flags = F_NONEMPTY, .off = AU(client_id),
	  .methods = MB(DG_AUTH_ADFS) | MB(DG_AUTH_GOOGLE_OIDC) },
	{ .key = "clientSecret", .kind = K_SECRET, .off = AU(client_secret),
	  .methods = MB(DG_AUTH_GOOGLE_OIDC) },
	{ .key = "redirectUri", .kind = K_STRING, .flags = F_NONEMPTY, .off = AU(redirect_uri),
	  .methods = MB(DG_AUTH_ADFS) | MB(DG_AUTH_M365) | MB(DG_AUTH_GOOGLE_OIDC) },
	{ .key = "testUser", .kind = K_STRING, .flags = F_NULL, .off = AU(test_user) },
	{ .key = "testPassword", .kind = K_SECRET, .off = AU(test_password) },
	{ .key = "tls", .kind = K_OBJECT, .off = AU(tls), .sub = &https_tls_spec,
	  .methods = MB(DG_AUTH_ADFS) },
};
static const struct objspec auth_spec = SPEC(auth_fields, NULL);

/* -- sync (base: dg_sync_opts) -- */
#define SY(m) offsetof(dg_sync_opts, m)
static const struct field guard_fields[] = {
	{ .key = "minUsers", .kind = K_INT, .off = SY(min_users), COUNT_RANGE },
	{ .key = "maxDeletes", .kind = K_INT, .off = SY(max_deletes), COUNT_RANGE },
	{ .key = "maxDropPercent", .kind = K_NUMBER, .off = SY(max_drop_percent), .min = 0, .max = 100 },
};
static const struct objspec guard_spec = SPEC(guard_fields, NULL);

static const struct field sync_fields[] = {
	{ .key = "deleteUsers", .kind = K_BOOL, .off = SY(delete_users) },
	{ .key = "defaultPrivileges", .kind = K_ENUMARR, .off = SY(default_privileges),
	  .en = &privilege_enum },
	{ .key = "guards", .kind = K_OBJECT, .sub = &guard_spec },
};
static const struct objspec sync_spec = SPEC(sync_fields, NULL);

/* -- target (base: dg_target) -- */
#define TG(m) offsetof(dg_target, m)
static const struct field target_tls_fields[] = {
	{ .key = "caFile", .kind = K_PATH, .flags = F_NULL | F_NONEMPTY, .off = TG(ca_file) },
	{ .key = "pinSha256", .kind = K_STRING, .flags = F_NULL, .off = TG(pin_sha256) },
	{ .key = "insecure", .kind = K_BOOL, .off = TG(insecure) },
};
static const struct objspec target_tls_spec = SPEC(target_tls_fields, NULL);

static void target_rules(walker *w, const cJSON *obj, void *base);
static const struct field target_fields[] = {
	{ .key = "url", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY, .off = TG(url),
	  .example = "\"url\": \"https://archive.example.com:8463\"" },
	{ .key = "product", .kind = K_ENUM, .off = TG(product), .en = &product_enum },
	{ .key = "instanceId", .kind = K_STRING, .flags = F_NULL | F_NONEMPTY, .off = TG(instance_id) },
	{ .key = "user", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY, .off = TG(user),
	  .example = "\"user\": \"admin\"" },
	{ .key = "password", .kind = K_SECRET, .flags = F_REQ, .off = TG(password),
	  .example = "\"password\": {\"env\": \"MAILSTORE_API_PASSWORD\"}" },
	{ .key = "tls", .kind = K_OBJECT, .sub = &target_tls_spec },
};
static const struct objspec target_spec = SPEC(target_fields, target_rules);

/* -- top level (base: dg_profile) -- */
static const struct field top_fields[] = {
	{ .key = "$schema", .kind = K_IGNORED },
	{ .key = "name", .kind = K_STRING, .flags = F_REQ | F_NONEMPTY,
	  .off = offsetof(dg_profile, name), .example = "\"name\": \"contoso\"" },
	{ .key = "directory", .kind = K_DIRECTORY, .flags = F_REQ,
	  .off = offsetof(dg_profile, directory),
	  .example = "\"directory\": {\"type\": \"active-directory\", ...}" },
	{ .key = "authentication", .kind = K_OBJECT, .off = offsetof(dg_profile, auth),
	  .sub = &auth_spec },
	{ .key = "sync", .kind = K_OBJECT, .off = offsetof(dg_profile, sync), .sub = &sync_spec },
	{ .key = "target", .kind = K_OBJECT, .off = offsetof(dg_profile, target), .sub = &target_spec },
};
static const struct objspec top_spec = SPEC(top_fields, NULL);

/* The keys of a secret reference object. */
static const char *const secret_keys[] = { "env", "file", "prompt" };

/* ---- the walk ------------------------------------------------------------ */

#define MAX_REL 8

struct walker {
	const char *file;
	const dg_jsonpos *pos;
	dg_findings *out;
	dg_profile *p;
	dg_strbuf path;          /* JSON pointer of the value being walked */
	dg_dir_type type;        /* NONE while unknown or invalid */
	dg_auth_method method;   /* NONE while unknown or invalid */
	int has_snapshot;
	int in_dir;              /* inside /directory: other types' keys are PROF006 */
	const char *rel[MAX_REL]; /* keys from /directory down to the current object */
	int nrel;
	size_t nfindings;
};

/* Past this many findings a file is garbage, not a profile with typos:
 * did-you-mean searches stop so that such a file still loads quickly. */
#define MAX_SUGGESTING_FINDINGS 500

#define AT(base, off, T) ((T *)(void *)((char *)(base) + (off)))

static dg_finding *vfinding(walker *w, dg_finding_code code, const char *path,
			    const char *fmt, va_list ap)
{
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_finding *fd;
	int line, col;
	dg_strbuf_vaddf(&msg, fmt, ap);
	w->nfindings++;
	fd = dg_findings_add(w->out, code, path, "%s",
			     msg.buf ? msg.buf : "");
	dg_strbuf_release(&msg);
	dg_jsonpos_locate(w->pos, path, &line, &col);
	dg_finding_locate(fd, w->file, line, col);
	return fd;
}

/* A finding about the value at w->path. */
static dg_finding *finding(walker *w, dg_finding_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static dg_finding *finding(walker *w, dg_finding_code code, const char *fmt, ...)
{
	va_list ap;
	dg_finding *fd;
	va_start(ap, fmt);
	fd = vfinding(w, code, w->path.buf ? w->path.buf : "", fmt, ap);
	va_end(ap);
	return fd;
}

/* Runs fn on w->path extended by `key` (or by `index` when key is NULL). */
static size_t path_push(walker *w, const char *key, size_t index)
{
	size_t mark = w->path.len;
	if (key)
		dg_json_pointer_add(&w->path, key);
	else
		dg_json_pointer_add_index(&w->path, index);
	return mark;
}

static void path_pop(walker *w, size_t mark)
{
	dg_strbuf_setlen(&w->path, mark);
}

/* ---- did-you-mean ---------------------------------------------------------- */

/* ---- helpers about the tables ------------------------------------------- */

static const struct field *find_field(const struct objspec *spec, const char *key)
{
	for (size_t i = 0; i < spec->nr; i++)
		if (!strcmp(spec->fields[i].key, key))
			return &spec->fields[i];
	return NULL;
}

/* The object spec of directory type t at the current relative path, or NULL. */
static const struct objspec *dir_spec_at(const walker *w, dg_dir_type t)
{
	const struct objspec *spec = dir_specs[t];
	for (int i = 0; i < w->nrel && spec; i++) {
		const struct field *f = find_field(spec, w->rel[i]);
		spec = f && f->kind == K_OBJECT ? f->sub : NULL;
	}
	return spec;
}

/* Directory types other than the current one that have `key` here. */
static unsigned other_types_with(const walker *w, const char *key)
{
	unsigned mask = 0;
	for (int t = DG_DIR_ACTIVE_DIRECTORY; t <= DG_DIR_GOOGLE; t++) {
		const struct objspec *spec;
		if ((dg_dir_type)t == w->type)
			continue;
		spec = dir_spec_at(w, (dg_dir_type)t);
		if (spec && find_field(spec, key))
			mask |= TB(t);
	}
	return mask;
}

static void add_type_list(dg_strbuf *sb, unsigned mask, const char *sep_last)
{
	int n = 0, total = 0;
	for (int t = DG_DIR_ACTIVE_DIRECTORY; t <= DG_DIR_GOOGLE; t++)
		total += !!(mask & TB(t));
	for (int t = DG_DIR_ACTIVE_DIRECTORY; t <= DG_DIR_GOOGLE; t++) {
		if (!(mask & TB(t)))
			continue;
		if (n)
			dg_strbuf_adds(sb, n == total - 1 ? sep_last : ", ");
		dg_strbuf_adds(sb, dg_dir_type_name((dg_dir_type)t));
		n++;
	}
}

static void add_key_list(dg_strbuf *sb, const struct objspec *spec)
{
	for (size_t i = 0; i < spec->nr; i++) {
		if (i)
			dg_strbuf_adds(sb, ", ");
		dg_strbuf_adds(sb, spec->fields[i].key);
	}
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static const char *expected_name(const struct field *f)
{
	int null = f->flags & F_NULL;
	switch (f->kind) {
	case K_BOOL: return "true or false";
	case K_INT: return null ? "an integer or null" : "an integer";
	case K_NUMBER: return "a number";
	case K_STRARR: case K_ENUMARR: return "an array of strings";
	case K_OBJECT: case K_DIRECTORY: return "an object";
	case K_SECRET:
		return "a secret reference ({\"env\": NAME}, {\"file\": PATH} or {\"prompt\": true})";
	default: return null ? "a string or null" : "a string";
	}
}

/* ---- unknown keys ----------------------------------------------------------- */

static void report_other_type(walker *w, const char *key, unsigned mask)
{
	dg_strbuf types = DG_STRBUF_INIT, alt = DG_STRBUF_INIT;
	dg_finding *fd;
	add_type_list(&types, mask, " and ");
	add_type_list(&alt, mask, " or ");
	fd = finding(w, DGF_PROF006, "\"%s\" is a key of %s directories, not of %s", key,
		     types.buf, dg_dir_type_name(w->type));
	dg_finding_hint(fd, "remove it, or change /directory/type if this profile is for %s",
			alt.buf);
	dg_strbuf_release(&types);
	dg_strbuf_release(&alt);
}

/* Candidates for a did-you-mean: this spot's keys first, then the keys
 * other directory types have here. */
static const char *suggest_key(const walker *w, const struct objspec *spec,
			       const char *key, int *other_type)
{
	const char *cands[64];
	size_t n = 0;
	const char *s;
	*other_type = 0;
	if (w->nfindings > MAX_SUGGESTING_FINDINGS)
		return NULL;
	for (size_t i = 0; i < spec->nr && n < N(cands); i++)
		cands[n++] = spec->fields[i].key;
	if ((s = dg_suggest_closest(key, cands, n)))
		return s;
	if (!w->in_dir)
		return NULL;
	n = 0;
	for (int t = DG_DIR_ACTIVE_DIRECTORY; t <= DG_DIR_GOOGLE; t++) {
		const struct objspec *o = dir_spec_at(w, (dg_dir_type)t);
		for (size_t i = 0; o && i < o->nr && n < N(cands); i++)
			cands[n++] = o->fields[i].key;
	}
	*other_type = 1;
	return dg_suggest_closest(key, cands, n);
}

static void unknown_key(walker *w, const struct objspec *spec, const char *key)
{
	int other = 0;
	const char *sugg;
	dg_finding *fd;
	dg_strbuf hint = DG_STRBUF_INIT;
	if (w->in_dir) {
		unsigned mask = other_types_with(w, key);
		if (mask && w->type != DG_DIR_NONE) {
			report_other_type(w, key, mask);
			return;
		}
		if (mask)
			return; /* the directory type is unknown: cannot tell */
	}
	sugg = suggest_key(w, spec, key, &other);
	if (sugg && other && !find_field(spec, sugg)) {
		unsigned mask = other_types_with(w, sugg);
		dg_strbuf types = DG_STRBUF_INIT;
		add_type_list(&types, mask, " or ");
		fd = finding(w, DGF_PROF002, "unknown key \"%s\" (did you mean \"%s\"? "
			     "it is a key of %s directories)", key, sugg, types.buf);
		dg_strbuf_release(&types);
	} else if (sugg) {
		fd = finding(w, DGF_PROF002, "unknown key \"%s\"; did you mean \"%s\"?", key, sugg);
	} else {
		fd = finding(w, DGF_PROF002, "unknown key \"%s\"", key);
	}
	dg_strbuf_adds(&hint, "keys allowed here: ");
	add_key_list(&hint, spec);
	dg_finding_hint(fd, "%s", hint.buf);
	dg_strbuf_release(&hint);
}

/* ---- values ------------------------------------------------------------------ */

static void wrong_type(walker *w, const struct field *f, const cJSON *v, const char *what)
{
	dg_finding *fd = finding(w, DGF_PROF003, "%s must be %s, found %s", what, expected_name(f),
				 json_type_name(v));
	if (cJSON_IsString(v) && f->kind == K_BOOL &&
	    (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false")))
		dg_finding_hint(fd, "write %s without quotes", v->valuestring);
	else if (cJSON_IsString(v) && (f->kind == K_INT || f->kind == K_NUMBER))
		dg_finding_hint(fd, "write the number without quotes");
	else if (f->kind == K_STRARR || f->kind == K_ENUMARR)
		dg_finding_hint(fd, "write a list, e.g. [\"MailStore Users\"]; [] for none");
}

static char *path_clean(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n && !(n == 1 && p[0] == '.')) {
			dg_strbuf_addch(&sb, '/');
			dg_strbuf_add(&sb, p, n);
		}
		p += n;
		if (*p)
			p++;
	}
	if (!sb.len)
		dg_strbuf_addch(&sb, '/');
	return dg_strbuf_detach(&sb);
}

/* Shortens an absolute path to one relative to the working directory when
 * it lies below it: still usable for open(), and what every message shows,
 * so an administrator sees "examples/keys/ca.pem", not a machine's layout. */
static char *relative_to_cwd(char *abs)
{
	char cwd[4096];
	size_t n;
	char *rel;
	if (!getcwd(cwd, sizeof(cwd)))
		return abs;
	n = strlen(cwd);
	if (n == 1 || strncmp(abs, cwd, n) || abs[n] != '/' || !abs[n + 1])
		return abs;
	rel = dg_xstrdup(abs + n + 1);
	free(abs);
	return rel;
}

/* Path for a profile-relative one (see relative_to_cwd). */
static char *resolve_path(const dg_profile *p, const char *s)
{
	char *joined, *res;
	if (s[0] == '/')
		return path_clean(s);
	joined = dg_xasprintf("%s/%s", p->dir, s);
	res = path_clean(joined);
	free(joined);
	return relative_to_cwd(res);
}

/* resolve_path for the value at w->path, noting the pointer so a tool that
 * moves the profile (onboard --render) can make exactly these absolute. */
static char *walker_resolve(walker *w, const char *s)
{
	dg_strarr *a = &w->p->path_fields;
	a->items = dg_xrealloc(a->items, (a->nr + 1) * sizeof(*a->items));
	a->items[a->nr++] = dg_xstrdup(w->path.buf ? w->path.buf : "");
	return resolve_path(w->p, s);
}

static const struct enumval *enum_lookup(const struct enumspec *en, const char *s)
{
	for (size_t i = 0; i < en->nr; i++)
		if (!strcmp(en->vals[i].name, s))
			return &en->vals[i];
	return NULL;
}

static int enum_allowed(const walker *w, const struct enumval *ev)
{
	return !ev->types || w->type == DG_DIR_NONE || (ev->types & TB(w->type));
}

/* Did-you-mean for an enum value: a case slip, then a known alias, then
 * the closest allowed spelling. */
static const char *suggest_enum(const walker *w, const struct enumspec *en, const char *s)
{
	const char *cands[32];
	size_t n = 0;
	for (size_t i = 0; i < en->nr; i++)
		if (enum_allowed(w, &en->vals[i]) && !strcasecmp(en->vals[i].name, s))
			return en->vals[i].name;
	for (size_t i = 0; i < en->nalias; i++) {
		const struct enumalias *a = &en->aliases[i];
		if (!strcasecmp(a->alias, s) &&
		    (!a->types || w->type == DG_DIR_NONE || (a->types & TB(w->type))))
			return a->to;
	}
	for (size_t i = 0; i < en->nr && n < N(cands); i++)
		if (enum_allowed(w, &en->vals[i]))
			cands[n++] = en->vals[i].name;
	return dg_suggest_closest(s, cands, n);
}

static void bad_enum(walker *w, const struct field *f, const char *what, const char *s,
		     const struct enumval *other)
{
	dg_strbuf msg = DG_STRBUF_INIT, allowed = DG_STRBUF_INIT;
	const char *sugg = suggest_enum(w, f->en, s);
	dg_finding *fd;
	for (size_t i = 0; i < f->en->nr; i++) {
		if (!enum_allowed(w, &f->en->vals[i]))
			continue;
		dg_strbuf_addf(&allowed, "%s%s", allowed.len ? ", " : "", f->en->vals[i].name);
	}
	dg_strbuf_addf(&msg, "%s \"%s\" is not allowed", what, s);
	if (other)
		dg_strbuf_addf(&msg, " for %s directories", dg_dir_type_name(w->type));
	dg_strbuf_addf(&msg, " (allowed: %s)", allowed.buf);
	if (sugg)
		dg_strbuf_addf(&msg, "; did you mean \"%s\"?", sugg);
	fd = finding(w, DGF_PROF004, "%s", msg.buf);
	if (sugg && other && f->en == &protocol_enum)
		dg_finding_hint(fd, "%s calls this protocol \"%s\"", dg_dir_type_name(w->type), sugg);
	else if (sugg && !strcasecmp(sugg, s))
		dg_finding_hint(fd, "write \"%s\" (values are case-sensitive)", sugg);
	else if (sugg)
		dg_finding_hint(fd, "write \"%s\"", sugg);
	dg_strbuf_release(&msg);
	dg_strbuf_release(&allowed);
}

/* Validates an enum string; returns its entry when allowed here. */
static const struct enumval *check_enum(walker *w, const struct field *f, const char *what,
					const char *s)
{
	const struct enumval *ev = enum_lookup(f->en, s);
	if (ev && enum_allowed(w, ev))
		return ev;
	bad_enum(w, f, what, s, ev);
	return NULL;
}

static int check_string(walker *w, const struct field *f, const char *what, const char *s)
{
	if ((f->flags & F_NONEMPTY) && !*s) {
		dg_finding *fd = finding(w, DGF_PROF007, "%s must not be empty", what);
		if (f->flags & F_NULL)
			dg_finding_hint(fd, "use null, or leave the key out, when there is no value");
		return -1;
	}
	if (f->must_contain && !strstr(s, f->must_contain)) {
		dg_finding *fd = finding(w, DGF_PROF004, "%s must contain the placeholder %s", what,
					 f->must_contain);
		dg_finding_hint(fd, "MailStore puts each value of the members attribute where %s is, "
				"e.g. (&(objectClass=posixAccount)(uid=%s)); use null when members are DNs",
				f->must_contain, f->must_contain);
		return -1;
	}
	return 0;
}

static void walk_string(walker *w, const struct field *f, cJSON *v, void *base)
{
	char **dst = AT(base, f->off, char *);
	if (cJSON_IsNull(v) && (f->flags & F_NULL))
		return;
	if (!cJSON_IsString(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (check_string(w, f, f->key, v->valuestring) < 0 || f->kind == K_IGNORED)
		return;
	free(*dst);
	*dst = f->kind == K_PATH ? walker_resolve(w, v->valuestring) : dg_xstrdup(v->valuestring);
}

static void walk_bool(walker *w, const struct field *f, cJSON *v, void *base)
{
	if (!cJSON_IsBool(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	*AT(base, f->off, int) = cJSON_IsTrue(v);
}

static int in_range(walker *w, const struct field *f, double d)
{
	dg_finding *fd;
	if (f->min >= f->max || (d >= f->min && d <= f->max))
		return 1;
	if (f->max >= INT_MAX)
		fd = finding(w, DGF_PROF007,
			     "%s %g is out of range: it must be %g or more", f->key, d,
			     f->min);
	else
		fd = finding(w, DGF_PROF007,
			     "%s %g is out of range: it must be from %g to %g", f->key,
			     d, f->min, f->max);
	if (!strcmp(f->key, "port"))
		dg_finding_hint(fd, "leave port out (or null) for the protocol's default: 389, or 636 for LDAPS");
	return 0;
}

static void walk_number(walker *w, const struct field *f, cJSON *v, void *base)
{
	double d;
	if (cJSON_IsNull(v) && (f->flags & F_NULL))
		return;
	if (!cJSON_IsNumber(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	d = v->valuedouble;
	if (!isfinite(d)) {
		finding(w, DGF_PROF007, "%s is out of range: the number is too large", f->key);
		return;
	}
	if (f->kind == K_INT && d != floor(d)) {
		finding(w, DGF_PROF003, "%s must be an integer, found %g", f->key, d);
		return;
	}
	if (!in_range(w, f, d))
		return;
	if (f->kind == K_INT)
		*AT(base, f->off, int) = (int)d;
	else
		*AT(base, f->off, double) = d;
}

static void walk_enum(walker *w, const struct field *f, cJSON *v, void *base)
{
	const struct enumval *ev;
	if (!cJSON_IsString(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (!(ev = check_enum(w, f, f->key, v->valuestring)))
		return;
	if (f->en == &cloud_enum) { /* kept as text: dg_dir_m365.cloud is a string */
		free(*AT(base, f->off, char *));
		*AT(base, f->off, char *) = dg_xstrdup(ev->name);
	} else {
		*AT(base, f->off, int) = ev->value;
	}
}

static void walk_array(walker *w, const struct field *f, cJSON *v, void *base)
{
	dg_strarr *arr = AT(base, f->off, dg_strarr);
	int n;
	size_t i = 0;
	cJSON *item;
	if (!cJSON_IsArray(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	n = cJSON_GetArraySize(v);
	arr->items = dg_xcalloc((size_t)n + 1, sizeof(char *));
	arr->nr = 0;
	cJSON_ArrayForEach(item, v) {
		size_t mark = path_push(w, NULL, i);
		char what[64], vwhat[64];
		snprintf(what, sizeof(what), "item %zu of %s", i, f->key);
		snprintf(vwhat, sizeof(vwhat), "%s value", f->key);
		if (!cJSON_IsString(item)) {
			finding(w, DGF_PROF003,
				"%s must be a string, found %s", what, json_type_name(item));
		} else if ((f->kind == K_ENUMARR && check_enum(w, f, vwhat, item->valuestring)) ||
			   (f->kind == K_STRARR && check_string(w, f, what, item->valuestring) == 0)) {
			arr->items[arr->nr++] = dg_xstrdup(item->valuestring);
		}
		path_pop(w, mark);
		i++;
	}
}

/* ---- secrets ----------------------------------------------------------------- */

/* Wipes a literal secret out of the parse tree once it has been copied. */
static void wipe_string(cJSON *v)
{
	if (cJSON_IsString(v) && v->valuestring)
		explicit_bzero(v->valuestring, strlen(v->valuestring));
}

static void secret_literal(walker *w, cJSON *v, dg_secret_ref *ref)
{
	dg_finding *fd;
	if (!*v->valuestring) {
		fd = finding(w, DGF_PROF007, "the secret must not be empty");
		dg_finding_hint(fd, "use {\"env\": \"NAME\"}, {\"file\": \"PATH\"} or {\"prompt\": true}");
		return;
	}
	ref->kind = DG_SECRET_LITERAL;
	ref->ref = dg_xstrdup(v->valuestring);
	wipe_string(v);
	/* The message names the field, never the value. */
	fd = finding(w, DGF_SECRET001, "the secret is written in the profile itself");
	dg_finding_hint(fd, "anyone who can read the profile can read it; use {\"env\": \"NAME\"}, "
			"{\"file\": \"PATH\"} (mode 600) or {\"prompt\": true}");
}

/* One member of a secret object; returns 1 when it is a usable form. */
static int secret_member(walker *w, cJSON *m, dg_secret_ref *ref)
{
	static const struct field envf = { .key = "env", .kind = K_STRING, .flags = F_NONEMPTY };
	static const struct field filef = { .key = "file", .kind = K_STRING, .flags = F_NONEMPTY };
	static const struct field promptf = { .key = "prompt", .kind = K_BOOL };
	const char *k = m->string;
	const struct field *f = !strcmp(k, "env") ? &envf : !strcmp(k, "file") ? &filef : &promptf;
	if (f->kind == K_BOOL) {
		if (!cJSON_IsBool(m)) {
			wrong_type(w, f, m, k);
			return 0;
		}
		if (!cJSON_IsTrue(m)) {
			dg_finding *fd = finding(w, DGF_PROF004, "prompt must be true");
			dg_finding_hint(fd, "{\"prompt\": true} asks on the terminal; "
					"leave the secret out when there is none");
			return 0;
		}
		ref->kind = DG_SECRET_PROMPT;
		return 1;
	}
	if (!cJSON_IsString(m)) {
		wrong_type(w, f, m, k);
		return 0;
	}
	if (check_string(w, f, k, m->valuestring) < 0)
		return 0;
	free(ref->ref);
	if (f == &envf) {
		ref->kind = DG_SECRET_ENV;
		ref->ref = dg_xstrdup(m->valuestring);
	} else {
		ref->kind = DG_SECRET_FILE;
		ref->ref = walker_resolve(w, m->valuestring);
	}
	return 1;
}

static void secret_object(walker *w, cJSON *v, dg_secret_ref *ref)
{
	static const struct field secf[] = { { .key = "env" }, { .key = "file" }, { .key = "prompt" } };
	static const struct objspec secspec = SPEC(secf, NULL);
	int forms = 0, usable = 0, unknown = 0, in_dir = w->in_dir;
	unsigned seen = 0;
	cJSON *m;
	dg_finding *fd;
	w->in_dir = 0; /* env/file/prompt are the same for every type */
	cJSON_ArrayForEach(m, v) {
		size_t k, mark;
		for (k = 0; k < N(secret_keys) && strcmp(secret_keys[k], m->string); k++)
			;
		mark = path_push(w, m->string, 0);
		if (k == N(secret_keys)) {
			unknown_key(w, &secspec, m->string);
			unknown++;
		} else if (!(seen & (1u << k))) {
			seen |= 1u << k;
			forms++;
			usable += secret_member(w, m, ref);
		}
		path_pop(w, mark);
	}
	w->in_dir = in_dir;
	if (forms > 1) {
		fd = finding(w, DGF_PROF004, "a secret reference takes exactly one of env, file "
			     "and prompt; found %d", forms);
		dg_finding_hint(fd, "keep the one that should be used");
	} else if (!forms && !unknown) {
		fd = finding(w, DGF_PROF005,
			     "the secret reference is empty: it needs env, file or prompt");
		dg_finding_hint(fd, "e.g. {\"env\": \"LDAP_PASSWORD\"}");
	}
	if (forms != 1 || !usable) {
		free(ref->ref);
		ref->ref = NULL;
		ref->kind = DG_SECRET_NONE;
	}
}

static void walk_secret(walker *w, const struct field *f, cJSON *v, void *base)
{
	dg_secret_ref *ref = AT(base, f->off, dg_secret_ref);
	free(ref->path);
	ref->path = dg_xstrdup(w->path.buf);
	if (cJSON_IsString(v))
		secret_literal(w, v, ref);
	else if (cJSON_IsObject(v))
		secret_object(w, v, ref);
	else
		wrong_type(w, f, v, f->key);
	if (ref->kind == DG_SECRET_NONE) {
		free(ref->path);
		ref->path = NULL;
	}
}

/* ---- objects ------------------------------------------------------------------ */

static void walk_object(walker *w, cJSON *obj, const struct objspec *spec, void *base);

static void walk_sub(walker *w, const struct field *f, cJSON *v, void *base)
{
	const struct objspec *spec = f->sub;
	int pushed = 0;
	if (!cJSON_IsObject(v)) {
		wrong_type(w, f, v, f->key);
		return;
	}
	if (f->kind == K_DIRECTORY) {
		spec = dir_specs[w->type];
		w->in_dir = 1;
		w->nrel = 0;
	} else if (w->in_dir && w->nrel < MAX_REL) {
		w->rel[w->nrel++] = f->key;
		pushed = 1;
	}
	walk_object(w, v, spec, AT(base, f->off, char));
	if (pushed)
		w->nrel--;
	if (f->kind == K_DIRECTORY)
		w->in_dir = 0;
}

/* The field applies to the authentication method in use? */
static int method_applies(walker *w, const struct field *f)
{
	dg_strbuf list = DG_STRBUF_INIT;
	dg_finding *fd;
	if (!f->methods || w->method == DG_AUTH_NONE || (f->methods & MB(w->method)))
		return 1;
	for (int m = DG_AUTH_STANDARD; m <= DG_AUTH_GOOGLE_IMAP; m++)
		if (f->methods & MB(m))
			dg_strbuf_addf(&list, "%s%s", list.len ? ", " : "",
				       dg_auth_method_name((dg_auth_method)m));
	fd = finding(w, DGF_PROF010,
		     "\"%s\" does not apply to authentication method \"%s\" (only to %s)",
		     f->key, dg_auth_method_name(w->method), list.buf);
	dg_finding_hint(fd, "remove it, or change /authentication/method");
	dg_strbuf_release(&list);
	return 0;
}

static void walk_field(walker *w, const struct field *f, cJSON *v, void *base)
{
	if (!method_applies(w, f))
		return;
	switch (f->kind) {
	case K_STRING: case K_PATH: case K_IGNORED: walk_string(w, f, v, base); break;
	case K_BOOL: walk_bool(w, f, v, base); break;
	case K_INT: case K_NUMBER: walk_number(w, f, v, base); break;
	case K_ENUM: walk_enum(w, f, v, base); break;
	case K_STRARR: case K_ENUMARR: walk_array(w, f, v, base); break;
	case K_SECRET: walk_secret(w, f, v, base); break;
	case K_OBJECT: case K_DIRECTORY: walk_sub(w, f, v, base); break;
	}
}

static void missing(walker *w, const struct field *f)
{
	size_t mark = path_push(w, f->key, 0);
	dg_finding *fd = finding(w, DGF_PROF005, "required field \"%s\" is missing", f->key);
	if (f->flags & F_REQ_NOSNAP)
		dg_finding_hint(fd, "add %s (it may only be left out when directory.snapshot is set)",
				f->example ? f->example : f->key);
	else if (f->example)
		dg_finding_hint(fd, "add %s", f->example);
	path_pop(w, mark);
}

/* JSON has no comments: a key starting with "//" is one, in any object (its
 * value a string), so a profile can say what a field is (dirgate init). */
static const struct field comment_field = { .key = "a \"//\" comment", .kind = K_IGNORED };

static void walk_object(walker *w, cJSON *obj, const struct objspec *spec, void *base)
{
	unsigned long long seen = 0;
	cJSON *m;
	cJSON_ArrayForEach(m, obj) {
		const struct field *f = find_field(spec, m->string);
		size_t mark = path_push(w, m->string, 0);
		if (!strncmp(m->string, "//", 2)) {
			walk_field(w, &comment_field, m, base);
		} else if (!f) {
			unknown_key(w, spec, m->string);
		} else if (!(seen & (1ull << (f - spec->fields)))) {
			/* a repeated key is PROF008 (from jsonpos); the first one counts */
			seen |= 1ull << (f - spec->fields);
			walk_field(w, f, m, base);
		}
		path_pop(w, mark);
	}
	for (size_t i = 0; i < spec->nr; i++) {
		unsigned fl = spec->fields[i].flags;
		if (!(seen & (1ull << i)) &&
		    ((fl & F_REQ) || ((fl & F_REQ_NOSNAP) && !w->has_snapshot)))
			missing(w, &spec->fields[i]);
	}
	if (spec->rules)
		spec->rules(w, obj, base);
}

static int given(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return v && !cJSON_IsNull(v);
}

/* An AD directory is found through its server or its DNS domain. */
static void ad_rules(walker *w, const cJSON *obj, void *base)
{
	dg_finding *fd;
	size_t mark;
	(void)base;
	if (w->has_snapshot || given(obj, "server") || given(obj, "domain"))
		return;
	mark = path_push(w, "server", 0);
	fd = finding(w, DGF_PROF005,
		     "an active-directory directory needs \"server\" or \"domain\"");
	dg_finding_hint(fd, "add \"server\": \"dc01.contoso.com\" or \"domain\": \"contoso.com\" "
			"(or a snapshot to work offline)");
	path_pop(w, mark);
}

/* MailStore SPE addresses every directory call to one instance. */
static void target_rules(walker *w, const cJSON *obj, void *base)
{
	dg_target *t = base;
	dg_finding *fd;
	size_t mark;
	t->present = 1;
	if (t->product != DG_PRODUCT_SPE || given(obj, "instanceId"))
		return;
	mark = path_push(w, "instanceId", 0);
	fd = finding(w, DGF_PROF005, "required field \"instanceId\" is missing: "
		     "product \"spe\" needs the instance ID");
	dg_finding_hint(fd, "add \"instanceId\": "
			"\"<the instance ID shown in the SPE management console>\"");
	path_pop(w, mark);
}

/* ---- entry points ------------------------------------------------------------- */

static void profile_init(dg_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->directory.ad.tls.accept_all_certificates = -1;
	p->directory.ad.exchange_users_only = -1;
	p->directory.ad.visible_in_address_lists_only = -1;
	p->directory.ad.enabled_users_only = -1;
	p->directory.ldap.tls.accept_all_certificates = -1;
	p->directory.ldap.local_part_only = -1;
	p->directory.m365.exchange_users_only = -1;
	p->directory.m365.enabled_users_only = -1;
	p->directory.google.enabled_users_only = -1;
	p->directory.google.tls.accept_all_certificates = -1;
	p->sync.delete_users = -1;
	p->sync.min_users = -1;
	p->sync.max_deletes = -1;
	p->sync.max_drop_percent = -1;
	p->target.insecure = -1;
}

/* The directory of `file`, absolute, for resolving relative paths. */
static char *profile_dir(const char *file)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	char *dir, *res, cwd[4096];
	if (!slash)
		dir = dg_xstrdup(".");
	else if (slash == file)
		dir = dg_xstrdup("/");
	else
		dir = dg_xstrndup(file, (size_t)(slash - file));
	if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		res = path_clean(dir);
	else {
		char *joined = dg_xasprintf("%s/%s", cwd, dir);
		res = path_clean(joined);
		free(joined);
	}
	free(dir);
	return res;
}

static void syntax_error(walker *w, const dg_jsonpos *ix)
{
	dg_finding *fd = dg_findings_add(w->out, DGF_PROF001, "", "%s", ix->err_message);
	dg_finding_locate(fd, w->file, ix->err_line, ix->err_column);
	dg_finding_hint(fd, "fix the JSON at line %d, column %d; JSON allows no comments, "
			"no trailing commas and only double-quoted strings",
			ix->err_line, ix->err_column);
}

static void report_dups(walker *w, const dg_jsonpos *ix)
{
	for (size_t i = 0; i < ix->ndups; i++) {
		const dg_jsonpos_dup *d = &ix->dups[i];
		const char *key = strrchr(d->pointer, '/');
		dg_finding *fd = dg_findings_add(w->out, DGF_PROF008, d->pointer,
						 "duplicate key \"%s\" (first at line %d, column %d)",
						 key ? key + 1 : d->pointer, d->first_line,
						 d->first_column);
		dg_finding_locate(fd, w->file, d->line, d->column);
		dg_finding_hint(fd, "remove one of them: JSON readers differ on which one wins");
	}
}

/* Type, method and snapshot decide what the rest may contain, so they are
 * read before the walk. */
static void prescan(walker *w, const cJSON *root)
{
	const cJSON *dir = cJSON_GetObjectItemCaseSensitive(root, "directory");
	const cJSON *auth = cJSON_GetObjectItemCaseSensitive(root, "authentication");
	const cJSON *v;
	const struct enumval *ev;
	if (cJSON_IsObject(dir)) {
		v = cJSON_GetObjectItemCaseSensitive(dir, "type");
		if (cJSON_IsString(v) && (ev = enum_lookup(&dirtype_enum, v->valuestring)))
			w->type = (dg_dir_type)ev->value;
		w->has_snapshot = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(dir, "snapshot"));
	}
	if (cJSON_IsObject(auth)) {
		v = cJSON_GetObjectItemCaseSensitive(auth, "method");
		if (cJSON_IsString(v) && (ev = enum_lookup(&method_enum, v->valuestring)))
			w->method = (dg_auth_method)ev->value;
	}
}

static void walk_document(walker *w, cJSON *root)
{
	if (!cJSON_IsObject(root)) {
		dg_finding *fd = finding(w, DGF_PROF003,
					 "the profile must be a JSON object, found %s",
					 json_type_name(root));
		dg_finding_hint(fd, "start from one of the files in examples/");
		return;
	}
	prescan(w, root);
	walk_object(w, root, &top_spec, w->p);
}

dg_profile *dg_profile_parse(const char *text, size_t len, const char *file, dg_findings *out)
{
	dg_profile *p = dg_xmalloc(sizeof(*p));
	dg_jsonpos ix;
	walker w = { 0 };
	cJSON *root = NULL;
	profile_init(p);
	p->file = dg_xstrdup(file ? file : "<profile>");
	p->dir = profile_dir(file);
	w.file = p->file;
	w.pos = &ix;
	w.out = out;
	w.p = p;
	dg_strbuf_init(&w.path);
	if (dg_jsonpos_index(&ix, text, len) < 0) {
		syntax_error(&w, &ix);
	} else if (!(root = cJSON_ParseWithLength(text + ix.bom, len - ix.bom))) {
		/* jsonpos accepted what cJSON did not: report where cJSON stopped */
		dg_finding *fd = dg_findings_add(out, DGF_PROF001, "",
						 "the JSON parser could not read the profile here");
		int line, col;
		dg_jsonpos_error_at(text, len, cJSON_GetErrorPtr(), &line, &col);
		dg_finding_locate(fd, w.file, line, col);
	} else {
		report_dups(&w, &ix);
		walk_document(&w, root);
	}
	/* Only a server whose deleteUsers is on deletes; the profile may not
	 * say (it keeps the server's setting then), so the limit is always on. */
	if (p->sync.max_deletes < 0) {
		p->sync.max_deletes = DG_SYNC_DEFAULT_MAX_DELETES;
		p->sync.max_deletes_defaulted = 1;
	}
	cJSON_Delete(root);
	dg_jsonpos_release(&ix);
	dg_strbuf_release(&w.path);
	return p;
}

dg_profile *dg_profile_load(const char *path, dg_findings *out, dg_error *err)
{
	size_t len = 0;
	char *text = dg_read_file(path, MAX_PROFILE_BYTES, "profile", &len, err);
	dg_profile *p;
	if (!text)
		return NULL;
	p = dg_profile_parse(text, len, path, out);
	explicit_bzero(text, len); /* it may hold literal secrets */
	free(text);
	return p;
}

/* ---- freeing ------------------------------------------------------------------- */

static void secret_release(dg_secret_ref *r)
{
	if (r->ref) {
		explicit_bzero(r->ref, strlen(r->ref));
		free(r->ref);
	}
	free(r->path);
	memset(r, 0, sizeof(*r));
}

static void strarr_release(dg_strarr *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->items[i]);
	free(a->items);
	a->items = NULL;
	a->nr = 0;
}

static void free_strings(char **const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(*list[i]);
}

static void profile_release(dg_profile *p)
{
	dg_directory *d = &p->directory;
	char **const strings[] = {
		&p->file, &p->dir, &p->name, &d->snapshot,
		&d->ad.server, &d->ad.domain, &d->ad.base_dn, &d->ad.bind_user, &d->ad.tls.ca_file,
		&d->ldap.server, &d->ldap.bind_dn, &d->ldap.base_dn, &d->ldap.tls.ca_file,
		&d->ldap.user_filter, &d->ldap.user_name_attr, &d->ldap.full_name_attr,
		&d->ldap.email_attr, &d->ldap.group_filter, &d->ldap.group_name_attr,
		&d->ldap.group_description_attr, &d->ldap.members_attr, &d->ldap.member_search_filter,
		&d->m365.tenant_id, &d->m365.client_id, &d->m365.cloud, &d->m365.cert_file,
		&d->m365.key_file, &d->google.service_account_key_file, &d->google.admin_user,
		&d->google.domain, &d->google.api_url, &d->google.tls.ca_file, &p->auth.adfs_url, &p->auth.client_id, &p->auth.redirect_uri,
		&p->auth.test_user, &p->target.url, &p->target.instance_id, &p->target.user,
		&p->target.ca_file, &p->target.pin_sha256, &d->m365.tls.ca_file, &p->auth.tls.ca_file,
		&d->m365.api_url, &d->m365.authority_url,
	};
	dg_secret_ref *const secrets[] = {
		&d->ad.bind_password, &d->ldap.bind_password, &d->m365.key_password,
		&p->auth.client_secret, &p->auth.test_password, &p->target.password,
	};
	dg_strarr *const arrays[] = {
		&d->ad.groups, &d->ldap.group_names, &d->m365.groups, &d->google.groups,
		&p->sync.default_privileges, &p->path_fields,
	};
	free_strings(strings, N(strings));
	for (size_t i = 0; i < N(secrets); i++)
		secret_release(secrets[i]);
	for (size_t i = 0; i < N(arrays); i++)
		strarr_release(arrays[i]);
}

void dg_profile_free(dg_profile *p)
{
	if (!p)
		return;
	profile_release(p);
	free(p);
}

/* ---- queries ------------------------------------------------------------------- */

size_t dg_profile_secrets(const dg_profile *p, const dg_secret_ref **out, size_t max)
{
	const dg_directory *d = &p->directory;
	const dg_secret_ref *const all[] = {
		&d->ad.bind_password, &d->ldap.bind_password, &d->m365.key_password,
		&p->auth.client_secret, &p->auth.test_password, &p->target.password,
	};
	size_t n = 0;
	for (size_t i = 0; i < N(all); i++) {
		if (all[i]->kind == DG_SECRET_NONE)
			continue;
		if (out && n < max)
			out[n] = all[i];
		n++;
	}
	return n;
}

const dg_secret_ref *dg_profile_secret_at(const dg_profile *p, const char *path)
{
	const dg_secret_ref *refs[16];
	size_t n = dg_profile_secrets(p, refs, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (refs[i]->path && !strcmp(refs[i]->path, path))
			return refs[i];
	return NULL;
}

const char *dg_dir_type_name(dg_dir_type t)
{
	switch (t) {
	case DG_DIR_ACTIVE_DIRECTORY: return "active-directory";
	case DG_DIR_LDAP: return "ldap";
	case DG_DIR_M365: return "microsoft-365";
	case DG_DIR_GOOGLE: return "google-workspace";
	default: return "none";
	}
}

const char *dg_auth_method_name(dg_auth_method m)
{
	switch (m) {
	case DG_AUTH_STANDARD: return "standard";
	case DG_AUTH_WINDOWS: return "windows";
	case DG_AUTH_ADFS: return "adfs";
	case DG_AUTH_M365: return "microsoft-365";
	case DG_AUTH_M365_BASIC: return "microsoft-365-basic";
	case DG_AUTH_GOOGLE_OIDC: return "google-oidc";
	case DG_AUTH_GOOGLE_IMAP: return "google-imap";
	default: return "none";
	}
}

dg_ldap_protocol dg_profile_ldap_protocol(const dg_profile *p)
{
	dg_ldap_protocol proto;
	if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
		proto = p->directory.ad.protocol;
	else if (p->directory.type == DG_DIR_LDAP)
		proto = p->directory.ldap.protocol;
	else
		return DG_PROTO_DEFAULT; /* not an LDAP directory */
	return proto == DG_PROTO_DEFAULT ? DG_PROTO_LDAP : proto;
}

int dg_profile_ldap_port(const dg_profile *p)
{
	int port;
	if (p->directory.type == DG_DIR_ACTIVE_DIRECTORY)
		port = p->directory.ad.port;
	else if (p->directory.type == DG_DIR_LDAP)
		port = p->directory.ldap.port;
	else
		return 0;
	if (port > 0)
		return port;
	return dg_profile_ldap_protocol(p) == DG_PROTO_LDAP_SSL ? 636 : 389;
}

const char *dg_profile_user_filter(const dg_profile *p)
{
	switch (p->directory.type) {
	case DG_DIR_ACTIVE_DIRECTORY:
		/* Users, not computers or contacts (MailStore's own filter). */
		return "(&(objectCategory=person)(objectClass=user))";
	case DG_DIR_LDAP:
		return p->directory.ldap.user_filter ? p->directory.ldap.user_filter
						     : "(objectClass=inetOrgPerson)";
	default:
		return NULL;
	}
}

const char *dg_profile_group_filter(const dg_profile *p)
{
	switch (p->directory.type) {
	case DG_DIR_ACTIVE_DIRECTORY:
		return "(objectCategory=group)";
	case DG_DIR_LDAP:
		return p->directory.ldap.group_filter
			       ? p->directory.ldap.group_filter
			       : "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)"
				 "(objectClass=posixGroup)(objectClass=group))";
	default:
		return NULL;
	}
}

dg_username_format dg_profile_user_name_format(const dg_profile *p)
{
	if (p->directory.type != DG_DIR_ACTIVE_DIRECTORY)
		return DG_UNF_DEFAULT;
	return p->directory.ad.user_name_format == DG_UNF_DEFAULT ? DG_UNF_SAM
								   : p->directory.ad.user_name_format;
}
