/* Redirect URI rules (docs/findings.md, "URI — redirect URIs"): MailStore's
 * own pattern plus the rules of the identity provider the URI is registered
 * at.
 * URIs are parsed with curl's URL API; public suffixes come from libpsl. */
#ifndef DG_URI_H
#define DG_URI_H

#include "findings.h"
#include "strbuf.h"

struct dg_uri_rules;

typedef struct dg_uri_opts {
	/* The identity provider's own rules (uri_rules.h), from its entry in
	 * the provider registry; NULL: MailStore's pattern only. */
	const struct dg_uri_rules *rules;
	int spe;                    /* SPE: path must be /<instanceid>/oidc/signin */
	const char *instance_id;    /* SPE instance id the path must carry, may be NULL */
	const char *path;           /* JSON pointer findings are reported at, "" for none */
} dg_uri_opts;

/* Appends a finding for every rule the URI breaks (URIxxx codes).
 * Returns the number of error findings added.  opts may be NULL (MailStore
 * pattern only, no SPE, path ""). */
int dg_uri_check(const char *uri, const dg_uri_opts *opts, dg_findings *out);

/* Is `url` an https URL on this computer (localhost, 127.0.0.1, ::1)?
 * That is where tests run their emulators. */
int dg_uri_local_https(const char *url);

/* The redirect-URI rules a registered provider brings under `name`, the
 * name `dirgate uri --provider` takes (any case), or NULL. */
const struct dg_uri_rules *dg_uri_rules_find(const char *name);
/* Those names, in registry order, joined by `sep` (into sb). */
void dg_uri_rules_names(dg_strbuf *sb, const char *sep);

/* Appends uri for display: control bytes and invalid UTF-8 as \xNN, and a
 * password in the userinfo part replaced by "***" (secrets never appear in
 * output). */
void dg_uri_add_display(dg_strbuf *sb, const char *uri);

/* Public Suffix List view of a host name (libpsl: the newest of the system
 * list and libpsl's built-in one). */
typedef enum dg_psl_status {
	DG_PSL_OK = 0,        /* host is below a public suffix */
	DG_PSL_IS_SUFFIX,     /* host is itself a public suffix ("co.uk") */
	DG_PSL_UNLISTED,      /* no listed suffix matches (".local", single label) */
	DG_PSL_INVALID,       /* empty label, leading/trailing dot, bad UTF-8 */
	DG_PSL_UNAVAILABLE,   /* libpsl has no list */
} dg_psl_status;

/* Classifies host (ASCII, punycode or UTF-8; any case).  With listed_only
 * the PSL's implicit "*" rule does not apply (an identity provider may
 * require that "host TLDs must belong to the public suffix list"), so
 * unlisted TLDs give DG_PSL_UNLISTED;
 * without it the plain PSL algorithm runs (as publicsuffix's test_psl.txt
 * expects).  On DG_PSL_OK *registrable (when not NULL) gets the lower-case
 * registrable domain, which the caller frees; otherwise NULL. */
dg_psl_status dg_uri_psl_check(const char *host, int listed_only, char **registrable);

#endif
