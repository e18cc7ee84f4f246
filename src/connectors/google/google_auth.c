/* Google service-account authentication (see google_auth.h). */
#include "google_auth.h"

#include "../../core/jsonstr.h"
#include "../../core/readfile.h"
#include "../../core/secret.h"
#include "../../core/strbuf.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ASSERTION_LIFETIME 3000 /* s; Google allows 3600 after iat */
/* Key files are a few KiB: the bound the key checks use (core/keys.c). */
#define KEY_FILE_MAX (4u << 20)

static void wipe_free(char *s, size_t n)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, n);
	free(s);
}

void dg_google_key_free(dg_google_key *k)
{
	free(k->client_email);
	free(k->client_id);
	free(k->private_key_id);
	free(k->token_uri);
	wipe_free(k->private_key, k->private_key_len);
	memset(k, 0, sizeof(*k));
}

/* A member that is a non-empty string, else NULL: an empty value is as
 * good as none. */
static const char *field(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

static dg_code take_fields(const cJSON *root, const char *file, dg_google_key *k, dg_error *err)
{
	static const char *const need[] = { "client_email", "client_id", "private_key",
					    "token_uri" };

	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++)
		if (!field(root, need[i]))
			return dg_error_set(err, DG_E_INVALID,
					    "service account key file %s has no \"%s\"; download "
					    "a new JSON key (run 'dirgate check --offline')", file,
					    need[i]);
	if (strncmp(field(root, "token_uri"), "https://", 8))
		return dg_error_set(err, DG_E_INVALID,
				    "token_uri in %s is not an https URL; the token request "
				    "carries a signed credential and must be encrypted", file);
	k->client_email = dg_json_strdup(root, "client_email");
	k->client_id = dg_json_strdup(root, "client_id");
	k->token_uri = dg_json_strdup(root, "token_uri");
	/* an empty id is none: the assertion then goes without a "kid" */
	k->private_key_id = field(root, "private_key_id") ? dg_json_strdup(root, "private_key_id")
							  : NULL;
	k->private_key = dg_json_strdup(root, "private_key");
	k->private_key_len = strlen(k->private_key);
	return DG_OK;
}

dg_code dg_google_key_load(const char *file, dg_google_key *k, dg_error *err)
{
	size_t len;
	char *text;
	cJSON *root, *pk;
	dg_code code;

	memset(k, 0, sizeof(*k));
	if (!(text = dg_read_file(file, KEY_FILE_MAX, "service account key file", &len, err)))
		return err ? err->code : DG_E_IO;
	root = cJSON_ParseWithLength(text, len);
	explicit_bzero(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return dg_error_set(err, DG_E_PARSE, "service account key file %s is not a JSON "
				    "object; run 'dirgate check --offline' for details", file);
	}
	code = take_fields(root, file, k, err);
	pk = cJSON_GetObjectItemCaseSensitive(root, "private_key");
	if (cJSON_IsString(pk))
		OPENSSL_cleanse(pk->valuestring, strlen(pk->valuestring));
	cJSON_Delete(root);
	if (code != DG_OK)
		dg_google_key_free(k);
	return code;
}

char *dg_google_assertion(const dg_google_key *k, const char *sub, const char *scope,
			  long now, dg_error *err)
{
	const char *const header[] = { "kid", k->private_key_id, NULL };
	cJSON *claims = cJSON_CreateObject();
	char *json, *jwt = NULL;

	cJSON_AddStringToObject(claims, "iss", k->client_email);
	cJSON_AddStringToObject(claims, "aud", k->token_uri);
	cJSON_AddStringToObject(claims, "sub", sub);
	cJSON_AddStringToObject(claims, "scope", scope);
	cJSON_AddNumberToObject(claims, "iat", (double)now);
	cJSON_AddNumberToObject(claims, "exp", (double)(now + ASSERTION_LIFETIME));
	json = cJSON_PrintUnformatted(claims);
	cJSON_Delete(claims);
	if (!json)
		abort(); /* out of memory, as dg_xmalloc would */
	if (dg_oauth_sign_rs256(k->private_key, k->private_key_len,
				k->private_key_id ? header : NULL, json, &jwt, err) != DG_OK)
		dg_error_set(err, DG_E_INVALID, "cannot sign the token request with the service "
			     "account's private_key (is it an RSA key in PEM form? run 'dirgate "
			     "check --offline')");
	cJSON_free(json);
	return jwt;
}

/* Google's words, bounded and without control characters. */
static void add_clean(dg_strbuf *sb, const char *s)
{
	for (size_t i = 0; s && s[i] && i < 300; i++)
		dg_strbuf_addch(sb, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
}

static int has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

/* What a hint tells the administrator to authorise: MailStore's scopes,
 * exactly as its guide lists them, so one entry serves MailStore and dirgate. */
static const char *scope_list(void)
{
	return DG_GOOGLE_MAILSTORE_SCOPES;
}

static dg_finding *invalid_grant(const char *desc, const dg_google_key *k, const char *admin,
				 dg_findings *out)
{
	dg_finding *fd;
	if (has(desc, "email") || has(desc, "User ID")) {
		fd = dg_findings_add(out, DGF_GOOGLE018, "/directory/adminUser",
				     "Google does not know the admin user \"%s\" (invalid_grant: %s)",
				     admin, desc);
		dg_finding_hint(fd, "Set adminUser to the primary e-mail address of an existing "
				"Google Workspace administrator (not an alias or a group).");
	} else if (has(desc, "iat") || has(desc, "exp") || has(desc, "timeframe")) {
		fd = dg_findings_add(out, DGF_GOOGLE019, "/directory/serviceAccountKeyFile",
				     "Google refused the token request's times (invalid_grant: %s); "
				     "this computer's clock is probably wrong", desc);
		dg_finding_hint(fd, "Synchronise the clock (NTP, e.g. 'timedatectl set-ntp true'); "
				"Google accepts assertions issued now and valid at most 60 minutes.");
	} else {
		fd = dg_findings_add(out, DGF_GOOGLE020, "/directory/serviceAccountKeyFile",
				     "Google refused the token request (invalid_grant: %s)", desc);
		dg_finding_hint(fd, "\"Invalid JWT Signature\" means the key (id %s) was deleted or "
				"disabled in the Google Cloud console: create a new JSON key for %s.",
				k->private_key_id ? k->private_key_id : "?", k->client_email);
	}
	return fd;
}

static dg_finding *token_finding(const char *error, const char *desc, const dg_google_key *k,
				 const char *admin, dg_findings *out)
{
	dg_finding *fd;
	if (!strcmp(error, "unauthorized_client")) {
		fd = dg_findings_add(out, DGF_GOOGLE016, "/directory/serviceAccountKeyFile",
				     "domain-wide delegation is missing for service account %s "
				     "(unauthorized_client: %s)", k->client_email, desc);
		dg_finding_hint(fd, "In the Admin console (Security > Access and data control > API "
				"controls > Manage domain-wide delegation) add the numeric client ID "
				"%s — not the e-mail address %s — with the scopes %s.  Changes can "
				"take up to 24 hours.", k->client_id, k->client_email, scope_list());
	} else if (!strcmp(error, "access_denied")) {
		fd = dg_findings_add(out, DGF_GOOGLE017, "/directory/serviceAccountKeyFile",
				     "a directory scope dirgate needs (users or groups, read-only) "
				     "is not authorised for client ID %s (access_denied: %s)",
				     k->client_id, desc);
		dg_finding_hint(fd, "In the Admin console's domain-wide delegation, edit client ID %s "
				"so its scopes include all of MailStore's: %s.", k->client_id,
				scope_list());
	} else if (!strcmp(error, "invalid_grant")) {
		fd = invalid_grant(desc, k, admin, out);
	} else {
		fd = dg_findings_add(out, DGF_GOOGLE020, "/directory/serviceAccountKeyFile",
				     "Google refused the token request (%s%s%s)", error,
				     *desc ? ": " : "", desc);
		dg_finding_hint(fd, "invalid_client, deleted_client or disabled_client: the service "
				"account or its key no longer exists or is disabled — create a new key "
				"for %s; admin_policy_enforced: a Workspace policy blocks the scopes.",
				k->client_email);
	}
	return fd;
}

dg_finding *dg_google_token_finding(const char *error, const char *desc, const dg_google_key *k,
				    const char *admin, dg_findings *out)
{
	dg_strbuf e = DG_STRBUF_INIT, d = DG_STRBUF_INIT;
	dg_finding *fd;
	add_clean(&e, error && *error ? error : "unnamed error");
	add_clean(&d, desc ? desc : "");
	fd = token_finding(e.buf, d.buf, k, admin, out);
	dg_strbuf_release(&e);
	dg_strbuf_release(&d);
	return fd;
}

dg_finding *dg_google_mail_token_finding(const char *error, const char *desc,
					 const dg_google_key *k, const char *admin,
					 dg_findings *out)
{
	dg_strbuf e = DG_STRBUF_INIT, d = DG_STRBUF_INIT;
	dg_finding *fd;

	/* The same client and admin just got the directory scopes: a refusal
	 * of this one scope is about the scope, whichever of the two words
	 * Google uses for it. */
	if (!error || (strcmp(error, "access_denied") && strcmp(error, "unauthorized_client")))
		return dg_google_token_finding(error, desc, k, admin, out);
	add_clean(&e, error);
	add_clean(&d, desc ? desc : "");
	fd = dg_findings_add(out, DGF_GOOGLE032, "/directory/serviceAccountKeyFile",
			     "domain-wide delegation for client ID %s does not include "
			     DG_GOOGLE_SCOPE_MAIL ", which MailStore needs (%s%s%s)", k->client_id,
			     e.buf, d.len ? ": " : "", d.buf);
	dg_finding_hint(fd, "In the Admin console's domain-wide delegation, edit client ID %s so "
			"its scopes are MailStore's, as its guide says: %s.  MailStore "
			"synchronises and archives with " DG_GOOGLE_SCOPE_MAIL "; dirgate only "
			"asks for it to prove the delegation.  Changes can take up to 24 hours.",
			k->client_id, scope_list());
	dg_strbuf_release(&e);
	dg_strbuf_release(&d);
	return fd;
}

static void finding_to_error(const dg_finding *fd, dg_code code, dg_error *err)
{
	/* The finding carries the fix; the error names it. */
	dg_error_set(err, code, "%s [%s]", fd->message, fd->code);
}

dg_finding *dg_google_transport_finding(const dg_http_response *res, const char *what,
					const char *url, const dg_error *e, dg_findings *out)
{
	char *safe = dg_http_safe_url(url);
	dg_finding *fd = dg_findings_add(out, DGF_GOOGLE023, "/directory",
					 "%s (%s) cannot be reached: %s", what, safe,
					 res->failure != DG_HTTP_OK ? dg_http_failure_str(res->failure)
								    : e->message);
	switch (res->failure) {
	case DG_HTTP_TLS_UNTRUSTED: case DG_HTTP_TLS_HOSTNAME: case DG_HTTP_TLS_EXPIRED:
	case DG_HTTP_TLS_OTHER: case DG_HTTP_TLS_PIN:
		dg_finding_hint(fd, "The server's certificate is not trusted.  Behind a TLS-"
				"inspecting proxy, put its CA certificate into "
				"\"/directory/tls/caFile\".");
		break;
	default:
		dg_finding_hint(fd, "Check that this computer can reach %s over HTTPS (DNS, "
				"firewall, proxy).", safe);
	}
	free(safe);
	return fd;
}

/* One token request's form: a newly signed assertion each time, since
 * net/oauth builds a fresh form for every attempt. */
struct form_ctx {
	const dg_google_key *k;
	const char *admin, *scope;
};

static dg_code make_form(void *ctx, dg_strbuf *form, dg_error *err)
{
	const struct form_ctx *c = ctx;
	char *jwt = dg_google_assertion(c->k, c->admin, c->scope, (long)time(NULL), err);

	if (!jwt)
		return err ? err->code : DG_E_INVALID;
	dg_http_form_add(form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	dg_http_form_add(form, "assertion", jwt);
	dg_secret_free(jwt);
	return DG_OK;
}

typedef dg_finding *token_finding_fn(const char *error, const char *desc,
				     const dg_google_key *k, const char *admin, dg_findings *out);

/* A token for `scope`; a refusal becomes the finding `explain` gives. */
static dg_code request_token(dg_http *h, const dg_google_key *k, const char *admin,
			     const char *scope, token_finding_fn *explain, dg_oauth_token *tok,
			     dg_findings *out, dg_error *err)
{
	struct form_ctx ctx = { k, admin, scope };
	dg_oauth_error oerr = { 0 };
	dg_http_failure failure = DG_HTTP_OK;
	dg_findings local = DG_FINDINGS_INIT;
	dg_findings *f = out ? out : &local;
	dg_code code = dg_oauth_request_token(h, k->token_uri, make_form, &ctx, tok, &oerr,
					      &failure, err);

	if (code == DG_E_NETWORK) {
		dg_http_response res = DG_HTTP_RESPONSE_INIT;
		dg_error e = *err;
		res.failure = failure;
		finding_to_error(dg_google_transport_finding(&res, "the token endpoint",
							     k->token_uri, &e, f), code, err);
	} else if (code == DG_E_INVALID && oerr.error) {
		finding_to_error(explain(oerr.error, oerr.description, k, admin, f), code, err);
	} else if (code == DG_E_PROTOCOL) { /* neither a token nor an OAuth error */
		dg_error e = *err;
		finding_to_error(dg_google_token_finding("unparseable", e.message, k, admin, f),
				 code, err);
	} /* else DG_OK, or the assertion could not be signed: err says why */
	dg_oauth_error_release(&oerr);
	dg_findings_clear(&local);
	return code;
}

dg_code dg_google_token_get(dg_http *h, const dg_google_key *k, const char *admin,
			    dg_oauth_token *tok, dg_findings *out, dg_error *err)
{
	return request_token(h, k, admin, DG_GOOGLE_SCOPES, dg_google_token_finding, tok, out,
			     err);
}

dg_code dg_google_mail_scope_check(dg_http *h, const dg_google_key *k, const char *admin,
				   dg_findings *out, dg_error *err)
{
	dg_oauth_token tok = { 0 };
	dg_code code = request_token(h, k, admin, DG_GOOGLE_SCOPE_MAIL,
				     dg_google_mail_token_finding, &tok, out, err);
	dg_oauth_token_release(&tok); /* proof enough; dirgate reads no mail */
	return code;
}
