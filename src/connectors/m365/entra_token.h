/* Entra ID app-only tokens for Microsoft Graph: the client credentials grant
 * with a certificate client assertion (RFC 7523 JWT bearer client
 * authentication against the tenant's v2.0 token endpoint).
 *
 * The assertion is a PS256 JWT (RSASSA-PSS, OpenSSL) with header x5t#S256 =
 * base64url(SHA-256(DER certificate)), or, as the fallback Entra also
 * accepts, RS256 (libjwt) with x5t = base64url(SHA-1(DER)); claims aud =
 * the token endpoint,
 * iss = sub = the client id, a random jti, nbf = iat = now, exp = now + 10
 * minutes.  Every refusal Entra ID explains with an AADSTS code becomes its
 * own finding (M365005-M365013).
 *
 * Endpoints: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token and
 * https://graph.microsoft.com.  For tests only, the profile keys
 * /directory/authorityUrl and /directory/apiUrl replace the two origins
 * (https, and Microsoft's own or an endpoint on this computer).  Neither the private key nor any token ever reaches a
 * message, finding or error. */
#ifndef DG_ENTRA_TOKEN_H
#define DG_ENTRA_TOKEN_H

#include "../../core/error.h"
#include "../../core/findings.h"
#include "../../core/keys.h"
#include "../../core/profile.h"
#include "../../net/http.h"
#include "../../net/oauth.h"

#include <time.h>

#define DG_ENTRA_AUTHORITY "https://login.microsoftonline.com"
#define DG_GRAPH_ORIGIN "https://graph.microsoft.com"
#define DG_GRAPH_SCOPE "https://graph.microsoft.com/.default"
/* Lifetime of a client assertion ("5-10 minutes after nbf at most"). */
#define DG_ENTRA_ASSERTION_TTL 600

/* The token endpoint for the profile's tenant (malloc'd), or NULL with err. */
char *dg_entra_token_url(const dg_profile *p, dg_error *err);
/* The profile's Graph origin without a trailing slash (malloc'd), or NULL
 * with err. */
char *dg_graph_origin(const dg_profile *p, dg_error *err);

/* The claims of a client assertion for `now`, as JSON (malloc'd).  `jti`
 * NULL: a random GUID. */
char *dg_entra_assertion_claims(const char *client_id, const char *aud, const char *jti,
				time_t now);

/* Signs a client assertion with `key_pem` (an unencrypted PEM private key)
 * through net/oauth: PS256 with header x5t#S256 (the form Entra's
 * certificate-credentials page asks for), or the older RS256 with header
 * x5t (the fallback, see dg_entra_client).  Returns the compact JWT (free
 * with dg_secret_free) or NULL with err. */
char *dg_entra_assertion_ps256(const char *key_pem, size_t key_len, const char *x5t_s256,
			       const char *client_id, const char *aud, const char *jti,
			       time_t now, dg_error *err);
char *dg_entra_assertion(const char *key_pem, size_t key_len, const char *x5t,
			 const char *client_id, const char *aud, const char *jti, time_t now,
			 dg_error *err);

/* The finding for a refused token request, at the profile path that needs
 * changing; `prints` (may be NULL) gives the thumbprint to look for. */
dg_finding *dg_entra_error_finding(const dg_oauth_error *oe, const dg_profile *p,
				   const dg_cert_prints *prints, dg_findings *out);

/* A client that gets and renews tokens for one profile. */
typedef struct dg_entra_client {
	dg_http *http;            /* borrowed */
	const dg_profile *profile;
	char *token_url;
	char *key_pem;            /* unencrypted PEM in secure memory, wiped on release */
	size_t key_len;
	dg_cert_prints prints;
	dg_oauth_token token;
	int tokens_issued;
	/* 0: PS256 + x5t#S256.  1: RS256 + x5t, after the token endpoint refused
	 * a PS256 assertion with invalid_client (other than AADSTS700024, a
	 * clock problem) and was asked once more with RS256; kept for the
	 * client's later tokens. */
	int rs256;
} dg_entra_client;

/* Loads the certificate and key (decrypting with keyPassword when set).
 * Problems become findings (M365023, M365013, ...) and a DG_E_INVALID error
 * whose message repeats the finding. */
dg_code dg_entra_client_init(dg_entra_client *c, const dg_profile *p, dg_http *http,
			     dg_findings *out, dg_error *err);
/* Gets a new token (always a new assertion: a jti is never reused). */
dg_code dg_entra_client_token(dg_entra_client *c, dg_findings *out, dg_error *err);
void dg_entra_client_release(dg_entra_client *c);

/* HTTP options for Entra and Graph from the profile (CA file; timeouts;
 * bounded retries honouring Retry-After). */
void dg_entra_http_opts(const dg_profile *p, dg_http_opts *o);

/* A transport failure -> M365013 finding naming the URL (safe form). */
dg_finding *dg_entra_network_finding(dg_http_failure failure, const char *detail,
				     const char *url, const char *what, dg_findings *out);

#endif
