/* OAuth 2.0 token requests shared by the cloud connectors: a signed JWT
 * (PS256 by OpenSSL, or RS256 by libjwt) for the Entra certificate client
 * assertion (RFC 7523 §2.2)
 * and Google's JWT bearer grant (RFC 7523 §2.1), and one token-endpoint
 * call that tells a token apart from an OAuth error answer (RFC 6749 §5.2),
 * Entra's AADSTS number included.
 *
 * An access token is a secret: it lives in dg_oauth_token until
 * dg_oauth_token_release() wipes it, and no message here contains it, the
 * assertion or the private key. */
#ifndef DG_OAUTH_H
#define DG_OAUTH_H

#include "../core/error.h"
#include "../core/strbuf.h"
#include "http.h"

#include <time.h>

/* A random identifier for a JWT "jti": 32 hex digits from OpenSSL's RNG. */
void dg_oauth_random_id(char out[33]);

/* Signs a JWT with RS256.  key_pem is a PEM private key (PKCS#1 or #8,
 * unencrypted); header_fields are extra string header members as
 * name, value pairs ending in NULL (e.g. {"x5t", x5t, NULL} or
 * {"kid", id, NULL}); claims_json is the claims object as JSON text.
 * On success *out is the compact JWT (free with dg_secret_free: it is a
 * credential for its lifetime). */
dg_code dg_oauth_sign_rs256(const char *key_pem, size_t key_len,
			    const char *const *header_fields,
			    const char *claims_json, char **out, dg_error *err);

/* The same with PS256: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt length =
 * digest length (RFC 7518 §3.5), signed by OpenSSL (libjwt 1.10 has no
 * PS256).  Header {"alg":"PS256","typ":"JWT"} plus header_fields. */
dg_code dg_oauth_sign_ps256(const char *key_pem, size_t key_len,
			    const char *const *header_fields,
			    const char *claims_json, char **out, dg_error *err);

typedef struct dg_oauth_token {
	char *access_token;      /* secret */
	char *token_type;        /* "Bearer" */
	time_t expires_at;       /* 0 when the answer gave no expires_in */
} dg_oauth_token;

/* What a token endpoint said when it refused. */
typedef struct dg_oauth_error {
	long status;             /* HTTP status */
	char *error;             /* "invalid_client", "unauthorized_client", ... */
	char *description;       /* error_description, NULL when absent */
	long aadsts;             /* Entra: first of error_codes[] or "AADSTSnnnn", else 0 */
} dg_oauth_error;

/* Builds the form body of one token request.  A JWT assertion is single-use
 * (its jti: a provider refuses a replay), so a retried request must carry a
 * newly signed one; this is called once per attempt. */
typedef dg_code (*dg_oauth_form_fn)(void *ctx, dg_strbuf *form, dg_error *err);

/* POSTs make_form's body to token_url, trying again (up to
 * DG_OAUTH_ATTEMPTS times, with a fresh form) when the endpoint is busy
 * (429/503, honouring a Retry-After of at most DG_OAUTH_MAX_WAIT_MS) or the
 * connection failed.  Returns DG_OK with *tok filled; DG_E_INVALID when the
 * endpoint answered with an OAuth error (*oerr filled, err says it briefly);
 * DG_E_NETWORK on a transport failure (the http response class in *failure
 * when not NULL); DG_E_PROTOCOL when the answer is neither; make_form's own
 * code when it fails. */
#define DG_OAUTH_ATTEMPTS 3
#define DG_OAUTH_MAX_WAIT_MS 10000L
dg_code dg_oauth_request_token(dg_http *h, const char *token_url,
			       dg_oauth_form_fn make_form, void *ctx,
			       dg_oauth_token *tok, dg_oauth_error *oerr,
			       dg_http_failure *failure, dg_error *err);

/* Parses a token endpoint's answer body (exposed for tests and fuzzing).
 * Same return values as dg_oauth_request_token, without the network. */
dg_code dg_oauth_parse_answer(long status, const char *body, size_t len, time_t now,
			      dg_oauth_token *tok, dg_oauth_error *oerr, dg_error *err);

/* 1 when the token expires within `margin` seconds of now (or has). */
int dg_oauth_token_expiring(const dg_oauth_token *tok, time_t now, long margin);

void dg_oauth_token_release(dg_oauth_token *tok);
void dg_oauth_error_release(dg_oauth_error *e);

#endif
