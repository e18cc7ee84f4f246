/* The ldap provider's part of the profile: the keys of active-directory
 * and ldap directories, the structs they fill and the values in effect
 * after defaults (the tables are in ldap_profile.c). */
#ifndef DG_LDAP_PROFILE_H
#define DG_LDAP_PROFILE_H

#include "../../core/provider.h"

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

/* dirgate's own bounds on reading an LDAP directory (not MailStore
 * settings); 0 = the default. */
typedef struct dg_ldap_limits {
	int max_message_mb;   /* largest single LDAP message; default 32 */
	int deadline_seconds; /* everything on one connection; default 1800 */
} dg_ldap_limits;

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

/* The kinds this provider registers (ldap_provider.c lists them). */
extern const dg_provider_dir dg_ldap_dirs[];

/* The options of an active-directory or an ldap directory; the defaults
 * when the profile's directory is of the other type. */
const dg_dir_active_directory *dg_ad_opts(const dg_profile *p);
const dg_dir_ldap *dg_ldap_opts(const dg_profile *p);
int dg_profile_is_ad(const dg_profile *p);
int dg_profile_is_ldap(const dg_profile *p);

/* Effective values after defaults. */
dg_ldap_protocol dg_profile_ldap_protocol(const dg_profile *p);
int dg_profile_ldap_port(const dg_profile *p);
dg_username_format dg_profile_user_name_format(const dg_profile *p);
/* The LDAP filter that selects user entries: MailStore's fixed AD filter,
 * or /directory/users/filter (default "(objectClass=inetOrgPerson)");
 * NULL for other directories. */
const char *dg_profile_user_filter(const dg_profile *p);
/* The filter that selects group entries: AD groups, or
 * /directory/groups/filter, or (no filter given) the usual group classes. */
const char *dg_profile_group_filter(const dg_profile *p);

#endif
