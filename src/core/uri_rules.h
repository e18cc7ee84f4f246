/* What an identity provider's own redirect-URI rules are written with
 * (they live beside the provider, in connectors/<provider>/): what
 * dg_uri_check() found out about the URI, and how to report a finding
 * about it.  The provider's rules run after MailStore's. */
#ifndef DG_URI_RULES_H
#define DG_URI_RULES_H

#include "findings.h"
#include "strbuf.h"

#include <stddef.h>

typedef struct dg_uri_ctx dg_uri_ctx;

/* The URI as the generic rules saw it. */
typedef struct dg_uri_seen {
	const char *raw;        /* as written */
	const char *host;       /* decoded, lower case, no trailing dot; NULL when none */
	const char *ace;        /* host with IDN labels in punycode; NULL when none */
	int host_is_name;       /* made of DNS labels: not an IP address, not localhost */
	const char *want_port;  /* ":8462", or "" for none or 443 */
	const char *want_path;  /* the path the URI should have */
	const char *example;    /* the corrected URI, or the pattern when there is none */
} dg_uri_seen;

/* Which http URIs on this computer a provider alone would accept (MailStore
 * does not: URI002 says so). */
enum {
	DG_URI_HTTP_NONE = 0,
	DG_URI_HTTP_LOCALHOST,  /* localhost by name */
	DG_URI_HTTP_LOOPBACK,   /* localhost and loopback addresses */
};

/* An identity provider's rules for the redirect URIs registered with it. */
typedef struct dg_uri_rules {
	const char *name;       /* as `dirgate uri --provider` takes it */
	const char *label;      /* as messages name the provider */
	int http_localhost;     /* DG_URI_HTTP_* */
	void (*check)(dg_uri_ctx *c, const dg_uri_seen *u);   /* may be NULL */
} dg_uri_rules;

/* A finding about the URI, at the path dg_uri_check() was given, with the
 * code's severity. */
dg_finding *dg_uri_add(dg_uri_ctx *c, dg_finding_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Hint "use <corrected URI>" when one can be derived, else the pattern. */
void dg_uri_hint_use(dg_uri_ctx *c, dg_finding *fd);
/* A quoted, display-safe copy of a piece of the URI for a message (in sb). */
const char *dg_uri_shown(dg_strbuf *sb, const char *s);
/* URI025: a '*' where the provider needs the exact URI. */
void dg_uri_check_wildcard(dg_uri_ctx *c, const dg_uri_seen *u);

/* Code points, an invalid byte counting as one. */
size_t dg_uri_utf8_chars(const char *s);
/* Decodes s until nothing changes (double encoding, "%252e"), at most four
 * rounds, calling fn on every stage, the raw string first.  Stops early
 * when fn returns non-zero and returns that value. */
int dg_uri_each_decoding(const char *s, int (*fn)(const char *, size_t, void *), void *arg);

#endif
