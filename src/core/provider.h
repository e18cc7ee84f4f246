/* A provider: one directory product or login service and everything dirgate
 * does with it, as one table of operations (after git's ref storage
 * back ends and SSSD's provider handlers).  Each provider fills its table
 * in its own folder, src/connectors/<name>/<name>_provider.c; the registry
 * lists them, written at build time from the provider list in
 * src/meson.build.  Commands loop
 * over the registry or ask it, and never name a provider.  Any operation
 * a provider does not have is NULL. */
#ifndef DG_PROVIDER_H
#define DG_PROVIDER_H

#include "error.h"
#include "findings.h"
#include "mapping.h"
#include "profile.h"

#include <stdio.h>

struct dg_connector;
struct dg_uri_rules;
struct dg_progress;

/* A directory.type value a provider serves: its keys of /directory, the
 * struct they fill and the starting profile `dirgate init --type NAME`
 * writes for it. */
typedef struct dg_provider_dir {
	const char *type;            /* "active-directory", ... */
	const char *init_profile;    /* JSON text; "@SCHEMA@" stands for the schema path */
	const char *const *aliases;  /* spellings people write for it (did-you-mean); ends with NULL */
	const struct dg_objspec *spec; /* its keys besides type and snapshot (core/profile_fields.h) */
	size_t opts_size;            /* the struct they fill */
	const void *defaults;        /* that struct when nothing is given */
} dg_provider_dir;

/* An authentication.method value a provider serves. */
typedef struct dg_provider_login {
	const char *method;          /* "standard", ... */
	int oidc;                    /* OpenID Connect: users get a token, and lose IMAP */
	const char *dir_types;       /* the directory types MailStore offers it with, space-separated */
	const char *const *aliases;  /* spellings people write for it (did-you-mean); ends with NULL */
	const struct dg_objspec *spec; /* its own keys of /authentication, into dg_authentication */
} dg_provider_login;

/* What a snapshot write read, for the line or document that says so. */
typedef struct dg_snapshot_written {
	size_t count;                /* how many of `counted` */
	const char *counted;         /* "users" or "entries" */
	char *from;                  /* where from, in words: a URI, "URI (base DN)" */
	char *source;                /* where from for --format json: a URI, or NULL */
	char *tenant;                /* when the source is a tenant, not a URI */
	char *base;                  /* the base DN of an LDAP search, or NULL */
} dg_snapshot_written;

void dg_snapshot_written_release(dg_snapshot_written *w);

/* The certificate an app registration signs in with, as the profile names
 * it, and where an administrator uploads it (in words, malloc'd). */
typedef struct dg_app_certificate {
	const char *cert_file;       /* may be NULL: not set */
	const char *key_file;
	char *upload_to;
} dg_app_certificate;

typedef struct dg_provider {
	const char *name;            /* "ldap", "microsoft-365", ... */
	const dg_provider_dir *dirs; /* directory.type values served; ends with { NULL } */
	const dg_provider_login *logins; /* authentication.method values; ends with { NULL } */

	/* The TLS options whose caFile the directory connection trusts, for
	 * the checks every provider shares (/directory/tls/caFile), or NULL. */
	const dg_tls_opts *(*directory_tls)(const dg_profile *p);
	/* The rules of the redirect URIs registered with this provider's
	 * login service (core/uri_rules.h), for `check` and `dirgate uri`. */
	const struct dg_uri_rules *redirect_uri;
	/* The rules that need no network, for the profile's part this
	 * provider serves. */
	void (*check_offline)(const dg_profile *p, dg_findings *out);
	/* `dirgate check`, live: probes the directory.  `test_user` may be
	 * NULL.  Returns 0 when every probe ran. */
	int (*probe_directory)(const dg_profile *p, const char *test_user, dg_findings *out);
	/* `dirgate check`, live: probes the login service; runs even when the
	 * directory is read from a snapshot.  Returns 0 when every probe ran. */
	int (*probe_login)(const dg_profile *p, dg_findings *out);
	/* Users for the mapping engine, read live or from a snapshot. */
	const struct dg_connector *live;
	const struct dg_connector *snapshot;
	/* `dirgate snapshot`: reads the directory live and writes what the
	 * snapshot connector reads back to `fp`; `w` says what was read. */
	dg_code (*snapshot_write)(const dg_profile *p, FILE *fp,
				  const struct dg_progress *progress, dg_snapshot_written *w,
				  dg_findings *f, dg_error *err);
	/* The mapping engine's options as the profile selects them. */
	void (*mapping_opts)(const dg_profile *p, dg_mapping_opts *o);
	/* How the directory names users: the attribute ("sAMAccountName",
	 * "primaryEmail", ...) or "?" when the profile does not say. */
	const char *(*user_name_source)(const dg_profile *p);
	/* The profile field that makes user names sAMAccountNames, which
	 * identity providers do not put into their tokens by default; NULL
	 * when the names are something else. */
	const char *(*sam_user_name_field)(const dg_profile *p);
	/* Whether that name is the user principal name or its local part,
	 * which identity providers put in their tokens by default. */
	int (*user_name_is_upn)(const dg_profile *p);
	/* Why the profile's login method (one of this provider's) cannot log
	 * the directory user `name` in, or NULL when it can: static text or
	 * formatted into *buf (the caller frees it).  `claim_rule`: the
	 * administrator says a claim rule sends the user name. */
	const char *(*login_refuses)(const dg_profile *p, const char *name, int claim_rule,
				     char **buf);
	/* For a directory read by an app registration with a certificate,
	 * which `onboard` can generate: fills *c (release upload_to). */
	void (*app_certificate)(const dg_profile *p, dg_app_certificate *c);

	/* What the help of `check` and `snapshot` says about this provider,
	 * as a phrase the command puts after the directory types it serves
	 * (or, serving none, its login methods): what the live probes look
	 * at, what a snapshot holds.  NULL without those operations. */
	const char *probes_about;    /* "connect and bind, RootDSE, ..." */
	const char *snapshot_about;  /* "the ... pages as JSON" */
	/* `dirgate cert new` reads no profile, so what it says about the app
	 * registration `app_certificate` is for comes from here: which one it
	 * is, what its portal calls the SHA-1 thumbprint, and what to do
	 * with the two files (a sentence without its full stop). */
	const char *app_registration;    /* "a ... app registration" */
	const char *app_cert_thumbprint; /* "the ... portal's \"Thumbprint\"" */
	const char *app_cert_next;       /* "upload the certificate ..., then ..." */
	/* An older spelling of `cutover --claim-rule` (without the dashes)
	 * that scripts written for this login service may still use, or NULL. */
	const char *claim_rule_alias;
} dg_provider;

/* The registry: every provider, in the order commands list them; ends
 * with NULL. */
extern const dg_provider *const dg_providers[];

/* The provider serving a directory.type or authentication.method value
 * ("ldap", "standard", ...), or NULL. */
const dg_provider *dg_provider_for_dir_type(const char *type);
const dg_provider *dg_provider_for_auth_method(const char *method);
/* Whether `types`, directory types separated by spaces (as in
 * dg_provider_login.dir_types), names `type`. */
int dg_types_listed(const char *types, const char *type);
/* The ones serving this profile's directory and its login method, or NULL. */
const dg_provider *dg_provider_of(const dg_profile *p);
const dg_provider *dg_provider_of_login(const dg_profile *p);
/* The entry for a directory.type or authentication.method value, with its
 * provider in *owner (may be NULL), or NULL. */
const dg_provider_dir *dg_provider_dir_find(const char *type, const dg_provider **owner);
const dg_provider_login *dg_provider_login_find(const char *method, const dg_provider **owner);

#endif
