/* dirgate check --offline: every rule that needs no network, run over a
 * loaded profile.  Each rule appends findings; none prints.
 *
 * The rules live with what they are about: each provider's in
 * src/connectors/<provider>/<provider>_rules.c, MailStore's target and
 * guard rules in src/mailstore/rules.c.  This file declares the driver and
 * the few finding helpers several of them share. */
#ifndef DG_CHECKS_H
#define DG_CHECKS_H

#include "findings.h"
#include "profile.h"
#include "uri.h"

#include <stddef.h>

/* The directory's and login's offline rules: every provider's from the
 * registry (identifiers, DNs, filters, redirect URI, key material), then
 * the directory's CA file and snapshot.  dg_check_offline()
 * (mailstore/rules.h) runs these, MailStore's rules and the secrets. */
void dg_check_directory_offline(const dg_profile *p, dg_findings *out);
/* Every secret reference of the profile (SECRET codes). */
void dg_check_secrets(const dg_profile *p, dg_findings *out);

/* ---- helpers for the provider rules ------------------------------------ */

/* What the hints suggest as MailStore's redirect URI. */
#define DG_REDIRECT_EXAMPLE "https://mailstore.example.com:8462/oidc/signin"

/* `code` at `path` when s is not a DNS domain name; the hint suggests
 * `example`. */
void dg_check_domain(const char *s, const char *path, dg_finding_code code, const char *example,
		     dg_findings *out);

/* TLS002: acceptAllCertificates on an encrypted connection; `exposed` is
 * what a man-in-the-middle could read ("bind password", "access token"). */
void dg_check_accept_all(const char *exposed, dg_findings *out);

/* AUTH001: MailStore does not offer the profile's login method with its
 * directory type (dg_provider_login.dir_types); the hint lists the
 * methods it does offer. */
void dg_check_method_allowed(const dg_profile *p, dg_findings *out);

/* A field of /authentication a login method needs (AUTH002 when not
 * set): a string, or with `secret` a secret reference. */
typedef struct dg_auth_need {
	const char *method;
	size_t field;       /* offsetof(dg_authentication, ...) */
	int secret;
	const char *path;
	const char *hint;   /* where to get the value */
} dg_auth_need;

#define DG_AUTH_STRING(member) offsetof(dg_authentication, member), 0
#define DG_AUTH_SECRET(member) offsetof(dg_authentication, member), 1

void dg_check_auth_needs(const dg_authentication *a, const dg_auth_need *needs, size_t n,
			 dg_findings *out);

/* A fact about a login method itself, not about its settings, reported at
 * /authentication/method whenever the method is chosen. */
typedef struct dg_method_note {
	const char *method;
	dg_finding_code code;
	const char *message;
	const char *hint;
} dg_method_note;

void dg_check_method_notes(const char *method, const dg_method_note *notes, size_t n,
			   dg_findings *out);

/* The redirect URI rules of MailStore and of `provider`, where the URI is
 * registered.  Returns -1 when the profile names no redirect URI, 1 when
 * the rules found a warning or error about it, else 0. */
int dg_check_redirect_uri(const dg_profile *p, const struct dg_uri_rules *rules,
			  dg_findings *out);

#endif
