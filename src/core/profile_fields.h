/* The profile's field tables: what each key is, where its value goes and
 * what it may be.  core/profile.c walks them in one validating pass; the
 * keys of /directory and the method-specific keys of /authentication are
 * declared by the provider that serves them, beside its code (see
 * dg_provider_dir and dg_provider_login in core/provider.h). */
#ifndef DG_PROFILE_FIELDS_H
#define DG_PROFILE_FIELDS_H

#include "profile.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum dg_field_kind {
	DG_K_STRING,    /* string */
	DG_K_PATH,      /* string, resolved against the profile's directory */
	DG_K_BOOL,      /* true/false into a tri-state int */
	DG_K_INT,       /* integral number into an int */
	DG_K_NUMBER,    /* number into a double */
	DG_K_ENUM,      /* string from an enumspec, stored as its int value */
	DG_K_ENUM_NAME, /* string from an enumspec, stored as its canonical name */
	DG_K_STRARR,    /* array of strings into a dg_strarr */
	DG_K_ENUMARR,   /* array of enum strings into a dg_strarr */
	DG_K_SECRET,    /* secret reference into a dg_secret_ref */
	DG_K_OBJECT,    /* nested object described by `sub` */
	DG_K_DIR_TYPE,  /* /directory/type: a registered directory kind */
	DG_K_METHOD,    /* /authentication/method: a registered login method */
	DG_K_DIRECTORY, /* /directory: its keys depend on its type */
	DG_K_AUTH,      /* /authentication: its keys depend on its method */
	DG_K_IGNORED,   /* checked for type, not stored ($schema) */
} dg_field_kind;

enum {
	DG_F_NULL = 1 << 0,       /* null is accepted and means "not given" */
	DG_F_REQ = 1 << 1,        /* must be present */
	DG_F_REQ_NOSNAP = 1 << 2, /* must be present unless directory.snapshot is set */
	DG_F_NONEMPTY = 1 << 3,   /* "" is out of range (strings and array items) */
};

/* An enum value; `types` lists the directory types it is allowed for,
 * separated by spaces (NULL: all). */
typedef struct dg_enumval {
	const char *name;
	int value;
	const char *types;
} dg_enumval;

/* A value people write for another one ("ldaps" for generic LDAP's
 * "ldap-ssl"); only used for did-you-mean.  `types` as in dg_enumval. */
typedef struct dg_enumalias {
	const char *alias;
	const char *to;
	const char *types;
} dg_enumalias;

typedef struct dg_enumspec {
	const dg_enumval *vals;
	size_t nr;
	const dg_enumalias *aliases;
	size_t nalias;
	/* Directory types spell some values differently: a value of another
	 * type is answered with "TYPE calls this KEY VALUE". */
	int spelled_per_type;
} dg_enumspec;

typedef struct dg_profile_walker dg_profile_walker;
typedef struct dg_objspec dg_objspec;

typedef struct dg_field {
	const char *key;
	dg_field_kind kind;
	unsigned flags;
	size_t off;                   /* value (or sub-object base) relative to the object's base */
	const dg_objspec *sub;        /* DG_K_OBJECT */
	const dg_enumspec *en;        /* DG_K_ENUM, DG_K_ENUM_NAME, DG_K_ENUMARR */
	double min, max;              /* DG_K_INT, DG_K_NUMBER when min < max */
	const char *must_contain;     /* DG_K_STRING: required substring */
	const char *example;          /* JSON text for the hint when it is missing */
} dg_field;

struct dg_objspec {
	const dg_field *fields;
	size_t nr;
	/* cross-field rules, run after the fields (obj is the JSON object,
	 * base what its fields filled) */
	void (*rules)(dg_profile_walker *w, const cJSON *obj, void *base);
};

#define DG_NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DG_SPEC(fields, rules) { fields, DG_NELEM(fields), rules }
#define DG_ENUM(vals, aliases) { vals, DG_NELEM(vals), aliases, DG_NELEM(aliases), 0 }

/* TLS to a directory server: a CA file, or (warned about) accept all. */
extern const dg_objspec dg_tls_spec;
/* HTTPS services: a CA file, never "accept all". */
extern const dg_objspec dg_https_tls_spec;

/* For an objspec's rules: whether /directory/snapshot is set, and a
 * finding about the key `key` of the object being walked, located in the
 * file like every other. */
int dg_profile_walker_has_snapshot(const dg_profile_walker *w);
dg_finding *dg_profile_walker_finding(dg_profile_walker *w, const char *key,
				      dg_finding_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
