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

typedef struct dg_tls_opts {
	char *ca_file;                 /* resolved path */
	int accept_all_certificates;   /* -1 not given */
} dg_tls_opts;

typedef struct dg_strarr {
	char **items;
	size_t nr;
} dg_strarr;

/* What every directory has; the rest of /directory belongs to the
 * provider serving its type, which declares the keys, the struct they
 * fill (`opts`) and its defaults (core/provider.h, dg_provider_dir). */
struct dg_provider_dir;
typedef struct dg_directory {
	const struct dg_provider_dir *kind; /* NULL: type not given or unknown */
	char *snapshot;                 /* resolved path of a snapshot, or NULL */
	void *opts;                     /* the kind's struct; NULL when kind is */
} dg_directory;

/* /authentication: the method and the settings OpenID Connect logins
 * share.  Which keys a method takes, and where their values go here, is
 * the login provider's table (dg_provider_login). */
struct dg_provider_login;
typedef struct dg_authentication {
	const struct dg_provider_login *method; /* NULL: not given or unknown */
	char *service_url;              /* the login service's own address, where it has none fixed */
	char *client_id;
	dg_secret_ref client_secret;
	char *redirect_uri;
	char *test_user;                /* optional: user for a live test login */
	dg_secret_ref test_password;
	dg_tls_opts tls;                /* caFile that issued the login service's certificate */
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

/* The directory.type value ("active-directory", ...) and the
 * authentication.method value ("standard", ...), or "none". */
const char *dg_profile_dir_type(const dg_profile *p);
const char *dg_profile_method(const dg_profile *p);
int dg_profile_dir_is(const dg_profile *p, const char *type);
int dg_profile_method_is(const dg_profile *p, const char *method);

/* The options struct of directory kind `kind`: the profile's when its
 * directory is of that kind, else the kind's defaults, so that a provider
 * may read its options whatever the type. */
const void *dg_profile_dir_opts(const dg_profile *p, const struct dg_provider_dir *kind);
/* Gives a profile built in code (tests) directory kind `kind` with fresh
 * default options; returns them for filling in. */
void *dg_profile_dir_set(dg_profile *p, const struct dg_provider_dir *kind);

#endif
