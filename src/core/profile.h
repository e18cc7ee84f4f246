/* The profile: one JSON file per tenant / per MailStore directory-services
 * configuration (docs/configuration.md, schemas/profile.schema.json).
 *
 * dg_profile_load() reads and validates it in one pass: every problem
 * (syntax, unknown key with a did-you-mean, wrong type, bad enum value,
 * missing field, field for another directory type) becomes a finding with
 * the JSON pointer and file:line:column.  The struct below is filled as far
 * as the input allows even when findings were raised, so later checks can
 * still run on the parts that are right.
 *
 * Paths given relative to the profile file are resolved against its
 * directory; a result below the working directory is kept relative to it
 * (usable as is, and what messages show), anything else is absolute.
 *
 * Strings are owned by the profile; NULL means "not given".  Tri-state
 * booleans use -1 for "not given" so defaults stay visible to checks. */
#ifndef DG_PROFILE_H
#define DG_PROFILE_H

#include "findings.h"
#include "strbuf.h"

typedef enum dg_secret_kind {
	DG_SECRET_NONE = 0, /* not given */
	DG_SECRET_LITERAL,  /* "password": "..." (warned about) */
	DG_SECRET_ENV,      /* {"env": "NAME"} */
	DG_SECRET_FILE,     /* {"file": "path"}, path resolved against the profile dir */
	DG_SECRET_PROMPT,   /* {"prompt": true} */
} dg_secret_kind;

typedef struct dg_secret_ref {
	dg_secret_kind kind;
	char *ref;     /* env name, file path (see "Paths" above), or the literal value */
	char *path;    /* JSON pointer of the field, e.g. "/directory/bind/password" */
} dg_secret_ref;

typedef enum dg_dir_type {
	DG_DIR_NONE = 0,
	DG_DIR_ACTIVE_DIRECTORY,
	DG_DIR_LDAP,
	DG_DIR_M365,
	DG_DIR_GOOGLE,
} dg_dir_type;

typedef enum dg_ldap_protocol {
	DG_PROTO_DEFAULT = 0, /* not given: ldap */
	DG_PROTO_LDAP,        /* plain, 389 */
	DG_PROTO_LDAP_TLS,    /* StartTLS, 389 (generic LDAP only) */
	DG_PROTO_LDAP_SSL,    /* LDAPS, 636 (profile value "ldap-ssl" or, for AD, "ldaps") */
} dg_ldap_protocol;

typedef enum dg_username_format {
	DG_UNF_DEFAULT = 0,   /* not given: sAMAccountName for AD */
	DG_UNF_SAM,           /* sAMAccountName */
	DG_UNF_UPN,           /* userPrincipalName */
	DG_UNF_UPN_LOCAL,     /* userPrincipalNameLocalPart */
} dg_username_format;

typedef struct dg_tls_opts {
	char *ca_file;                 /* resolved path */
	int accept_all_certificates;   /* -1 not given */
} dg_tls_opts;

/* dirgate's own bounds on reading an LDAP directory (not MailStore
 * settings); 0 = the default. */
typedef struct dg_ldap_limits {
	int max_message_mb;   /* largest single LDAP message; default 32 */
	int deadline_seconds; /* everything on one connection; default 1800 */
} dg_ldap_limits;

typedef struct dg_strarr {
	char **items;
	size_t nr;
} dg_strarr;

typedef struct dg_dir_active_directory {
	char *server, *domain;
	dg_ldap_protocol protocol;     /* LDAP or LDAP_SSL */
	int port;                      /* 0 = default */
	char *base_dn;                 /* "" = from RootDSE */
	char *bind_user;               /* UPN, DOMAIN\user or DN */
	dg_secret_ref bind_password;
	dg_tls_opts tls;
	dg_ldap_limits limits;
	int exchange_users_only, visible_in_address_lists_only, enabled_users_only; /* -1 not given */
	dg_strarr groups;
	dg_username_format user_name_format;
} dg_dir_active_directory;

typedef struct dg_dir_ldap {
	char *server;
	dg_ldap_protocol protocol;
	int port;
	char *bind_dn;
	dg_secret_ref bind_password;
	char *base_dn;
	dg_tls_opts tls;
	dg_ldap_limits limits;
	/* users */
	char *user_filter, *user_name_attr, *full_name_attr, *email_attr;
	int local_part_only;           /* -1 not given */
	/* groups */
	char *group_filter, *group_name_attr, *group_description_attr;
	char *members_attr, *member_search_filter;
	dg_strarr group_names;
} dg_dir_ldap;

typedef struct dg_dir_m365 {
	char *tenant_id, *client_id;
	char *cloud;                   /* "global" (default) or a national cloud name */
	char *cert_file, *key_file;    /* resolved paths */
	dg_secret_ref key_password;
	int exchange_users_only, enabled_users_only; /* -1 not given */
	dg_strarr groups;
	dg_tls_opts tls;               /* caFile only: trust for the token endpoint and
	                                * Graph (e.g. a TLS-inspecting proxy) */
	char *api_url, *authority_url; /* tests only: Graph's and Entra ID's origins; NULL: Microsoft's */
} dg_dir_m365;

typedef struct dg_dir_google {
	char *service_account_key_file; /* resolved path */
	char *admin_user;               /* admin e-mail for domain-wide delegation */
	char *domain;                   /* optional: restrict to one domain */
	int enabled_users_only;         /* -1 not given: skip suspended/archived */
	dg_strarr groups;
	char *api_url;                  /* Directory API base URL; NULL: Google's */
	dg_tls_opts tls;                /* CA file for the token and API endpoints */
} dg_dir_google;

typedef struct dg_directory {
	dg_dir_type type;
	char *snapshot;                 /* resolved path of a snapshot, or NULL */
	dg_dir_active_directory ad;
	dg_dir_ldap ldap;
	dg_dir_m365 m365;
	dg_dir_google google;
} dg_directory;

typedef enum dg_auth_method {
	DG_AUTH_NONE = 0,       /* "authentication" not given */
	DG_AUTH_STANDARD,       /* bind against the directory (AD/LDAP standard authentication) */
	DG_AUTH_WINDOWS,        /* AD integrated Windows authentication */
	DG_AUTH_ADFS,           /* AD FS OpenID Connect */
	DG_AUTH_M365,           /* Microsoft 365 modern authentication (OIDC) */
	DG_AUTH_M365_BASIC,     /* Microsoft 365 legacy/basic */
	DG_AUTH_GOOGLE_OIDC,    /* Google OpenID Connect */
	DG_AUTH_GOOGLE_IMAP,    /* Google IMAP (legacy) */
} dg_auth_method;

typedef struct dg_authentication {
	dg_auth_method method;
	char *adfs_url;
	char *client_id;
	dg_secret_ref client_secret;    /* Google OIDC */
	char *redirect_uri;
	char *test_user;                /* optional: user for a live test login */
	dg_secret_ref test_password;
	dg_tls_opts tls;                /* adfs: caFile that issued the AD FS host's certificate */
} dg_authentication;

/* maxDeletes when the profile does not set it: deletions are limited by
 * default, as a deletion threshold that ships switched on. */
#define DG_SYNC_DEFAULT_MAX_DELETES 10

typedef struct dg_sync_opts {
	int delete_users;               /* -1 not given */
	dg_strarr default_privileges;
	int min_users;                  /* -1 not given */
	int max_deletes;                /* not given: DG_SYNC_DEFAULT_MAX_DELETES */
	int max_deletes_defaulted;      /* 1 when max_deletes is that default */
	double max_drop_percent;        /* < 0 not given */
} dg_sync_opts;

typedef enum dg_product {
	DG_PRODUCT_DEFAULT = 0,         /* not given: server */
	DG_PRODUCT_SERVER,
	DG_PRODUCT_SPE,
} dg_product;

typedef struct dg_target {
	int present;                    /* "target" given */
	char *url;
	dg_product product;
	char *instance_id;
	char *user;
	dg_secret_ref password;
	char *ca_file;                  /* resolved path */
	char *pin_sha256;
	int insecure;                   /* -1 not given */
} dg_target;

typedef struct dg_profile {
	char *file;                     /* path as given */
	char *dir;                      /* directory of the file, for relative paths */
	char *name;
	dg_directory directory;
	dg_authentication auth;
	dg_sync_opts sync;
	dg_target target;
	dg_strarr path_fields;          /* JSON pointers of the values resolved as
	                                 * paths (relative to the file's directory) */
} dg_profile;

/* Loads and validates `path`.  Returns NULL only when the file cannot be
 * read (err set); otherwise a profile, with every problem as a finding in
 * `out` (a profile with error findings must not be used for live work). */
typedef struct dg_error dg_error;
dg_profile *dg_profile_load(const char *path, dg_findings *out, dg_error *err);
/* Same from memory; `file` is used for messages and relative paths. */
dg_profile *dg_profile_parse(const char *text, size_t len, const char *file,
			     dg_findings *out);
void dg_profile_free(dg_profile *p);

/* Every secret reference the profile holds (for canary tests and resolution). */
size_t dg_profile_secrets(const dg_profile *p, const dg_secret_ref **out, size_t max);
/* The secret reference at a JSON pointer ("/target/password"), or NULL when
 * the profile gives none there. */
const dg_secret_ref *dg_profile_secret_at(const dg_profile *p, const char *path);

const char *dg_dir_type_name(dg_dir_type t);         /* "active-directory", ... */
const char *dg_auth_method_name(dg_auth_method m);   /* "adfs", ... */

/* Effective values after defaults. */
dg_ldap_protocol dg_profile_ldap_protocol(const dg_profile *p);
int dg_profile_ldap_port(const dg_profile *p);
dg_username_format dg_profile_user_name_format(const dg_profile *p);
/* The LDAP filter that selects user entries: MailStore's fixed AD filter,
 * or /directory/users/filter (default "(objectClass=inetOrgPerson)");
 * NULL for cloud directories. */
const char *dg_profile_user_filter(const dg_profile *p);
/* The filter that selects group entries: AD groups, or
 * /directory/groups/filter, or (no filter given) the usual group classes. */
const char *dg_profile_group_filter(const dg_profile *p);

#endif
