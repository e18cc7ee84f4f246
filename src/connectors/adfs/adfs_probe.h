/* Live check of AD FS login (authentication.method "adfs", for
 * active-directory and ldap profiles), as MailStore uses it: the
 * discovery document at
 * <adfsUrl>/adfs/.well-known/openid-configuration over verified TLS
 * (/authentication/tls/caFile for an internal CA), its issuer, the
 * authorization / token / keys endpoints on the same host, signing keys
 * that parse, and the scopes openid, profile and allatclaims; plus the
 * reminder that the redirect URI is also the Web API identifier.  Findings
 * ADFS005-ADFS013. */
#ifndef DG_ADFS_PROBE_H
#define DG_ADFS_PROBE_H

#include "../../core/findings.h"
#include "../../core/profile.h"

#include <stddef.h>

/* "https://adfs.contoso.com" from an adfsUrl with or without "/" or
 * "/adfs" at the end (malloc'd). */
char *dg_adfs_base(const char *adfs_url);

/* Checks a discovery document (pure: no network) against `base`; findings
 * ADFS007-ADFS009, ADFS011.  Returns the jwks_uri (malloc'd) when the
 * document is usable enough to fetch keys, else NULL. */
char *dg_adfs_check_discovery(const char *body, size_t len, const char *base,
			      dg_findings *out);

/* Counts the RSA signing keys in a JWKS that OpenSSL accepts (n and e, or
 * an x5c certificate).  Returns the count (0 when none), or -1 when the
 * document is not a JWKS; `why` says what was wrong. */
int dg_adfs_jwks_rsa_keys(const char *body, size_t len, char *why, size_t whylen);

/* The live probe; appends findings.  Returns 0 when it ran to the end. */
int dg_adfs_probe(const dg_profile *p, dg_findings *out);

#endif
