/* Google service-account authentication: the JSON key file, the JWT bearer
 * grant of RFC 7523 with domain-wide delegation (sub = the admin user), and
 * Google's token-endpoint errors turned into findings that say what to fix.
 *
 * Signing and the token-endpoint call are net/oauth.h's; this adds the key
 * file and what each of Google's refusals means for the administrator.
 * The private key and access tokens are secrets: they live only in these
 * structs, are wiped when freed, and never appear in messages. */
#ifndef DG_GOOGLE_AUTH_H
#define DG_GOOGLE_AUTH_H

#include "../../core/error.h"
#include "../../core/findings.h"
#include "../../net/http.h"
#include "../../net/oauth.h"

/* The scopes MailStore's guide has the administrator authorise in
 * domain-wide delegation for the client ID, and nothing more: a scope
 * dirgate asked for beyond them would make Google refuse every token to an
 * administrator who followed that guide.  The directory reads need only the
 * two directory scopes (members.list accepts group.readonly); mail.google.com
 * is MailStore's own, asked for by 'dirgate check' alone, to prove the
 * delegation covers it. */
#define DG_GOOGLE_SCOPE_USER "https://www.googleapis.com/auth/admin.directory.user.readonly"
#define DG_GOOGLE_SCOPE_GROUP "https://www.googleapis.com/auth/admin.directory.group.readonly"
#define DG_GOOGLE_SCOPE_MAIL "https://mail.google.com/"
/* What the directory reads ask for (space-delimited, as the JWT wants). */
#define DG_GOOGLE_SCOPES DG_GOOGLE_SCOPE_USER " " DG_GOOGLE_SCOPE_GROUP
/* MailStore's three, as its guide lists them: what a hint tells to authorise. */
#define DG_GOOGLE_MAILSTORE_SCOPES                                             \
	DG_GOOGLE_SCOPE_MAIL ", " DG_GOOGLE_SCOPE_GROUP ", " DG_GOOGLE_SCOPE_USER

typedef struct dg_google_key {
	char *client_email, *client_id, *private_key_id, *token_uri;
	char *private_key;        /* PEM; wiped by dg_google_key_free */
	size_t private_key_len;
} dg_google_key;

/* Reads the key file.  The deep checks (key type, token_uri) are offline
 * findings (google_keys.c); this only refuses what cannot work: unreadable,
 * not JSON, a field missing, a token_uri that is not https. */
dg_code dg_google_key_load(const char *file, dg_google_key *k, dg_error *err);
void dg_google_key_free(dg_google_key *k);

/* The signed assertion (RS256, kid = private_key_id): iss = client_email,
 * aud = token_uri, sub, scope, iat = now, exp = now + 3000 s (under
 * Google's hour, with room for clock skew).  Caller frees it with
 * dg_secret_free; NULL with err. */
char *dg_google_assertion(const dg_google_key *k, const char *sub, const char *scope,
			  long now, dg_error *err);

/* The finding for a refused token request: the code that names the cause
 * (GOOGLE016 delegation, GOOGLE017 scopes, GOOGLE018 unknown admin,
 * GOOGLE019 clock, GOOGLE020 anything else) with the fix.  `path` is the
 * profile path to blame.  Returns the finding. */
dg_finding *dg_google_token_finding(const char *error, const char *description,
				    const dg_google_key *k, const char *admin, dg_findings *out);

/* The finding for a refused request for a token with only
 * DG_GOOGLE_SCOPE_MAIL, asked for after the directory token was granted to
 * the same client and admin: access_denied or unauthorized_client then means
 * delegation lacks that scope (GOOGLE032); anything else is what
 * dg_google_token_finding says. */
dg_finding *dg_google_mail_token_finding(const char *error, const char *description,
					 const dg_google_key *k, const char *admin,
					 dg_findings *out);

/* GOOGLE023 for a request that got no HTTP answer (DNS, connect, TLS). */
dg_finding *dg_google_transport_finding(const dg_http_response *res, const char *what,
					const char *url, const dg_error *e, dg_findings *out);

/* Asks the token endpoint for an access token for `admin`.  DG_OK with tok;
 * otherwise a finding in `out` (when the endpoint refused) and err set
 * (message = the finding's message and fix, so callers without findings
 * still say why). */
dg_code dg_google_token_get(dg_http *h, const dg_google_key *k, const char *admin,
			    dg_oauth_token *tok, dg_findings *out, dg_error *err);

/* Proves domain-wide delegation covers DG_GOOGLE_SCOPE_MAIL for `admin`:
 * asks for a token with that scope alone and wipes it at once (dirgate
 * reads no mail).  DG_OK when Google granted it; otherwise a finding in
 * `out` (GOOGLE032 when the scope is not authorised) and err set. */
dg_code dg_google_mail_scope_check(dg_http *h, const dg_google_key *k, const char *admin,
				   dg_findings *out, dg_error *err);

#endif
