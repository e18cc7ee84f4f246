/* Google service-account authentication (see google_auth.h).  The token
 * endpoint call lives here because src/net/ has no OAuth helper yet; it is
 * small and uses only net/http.h. */
#include "google_auth.h"

#include "../core/strbuf.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ASSERTION_LIFETIME 3000 /* s; Google allows 3600 after iat */

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

static int read_all(const char *file, dg_strbuf *sb, dg_error *err)
{
	FILE *fp = fopen(file, "rb");
	char buf[4096];
	size_t n;

	if (!fp) {
		dg_error_set(err, DG_E_IO, "cannot read the service account key file %s: %s", file,
			     strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dg_strbuf_add(sb, buf, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ferror(fp)) {
		fclose(fp);
		dg_error_set(err, DG_E_IO, "cannot read the service account key file %s", file);
		return -1;
	}
	fclose(fp);
	return 0;
}

static const char *field(const cJSON *root, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

static dg_code take_fields(const cJSON *root, const char *file, dg_google_key *k, dg_error *err)
{
	static const char *const need[] = { "client_email", "client_id", "private_key",
					    "token_uri" };
	const char *pk;

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
	k->client_email = dg_xstrdup(field(root, "client_email"));
	k->client_id = dg_xstrdup(field(root, "client_id"));
	k->token_uri = dg_xstrdup(field(root, "token_uri"));
	k->private_key_id = field(root, "private_key_id")
				    ? dg_xstrdup(field(root, "private_key_id")) : NULL;
	pk = field(root, "private_key");
	k->private_key_len = strlen(pk);
	k->private_key = dg_xstrdup(pk);
	return DG_OK;
}

dg_code dg_google_key_load(const char *file, dg_google_key *k, dg_error *err)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	cJSON *root, *pk;
	dg_code code;

	memset(k, 0, sizeof(*k));
	if (read_all(file, &sb, err) < 0) {
		OPENSSL_cleanse(sb.buf, sb.alloc);
		dg_strbuf_release(&sb);
		return err ? err->code : DG_E_IO;
	}
	root = cJSON_ParseWithLength(sb.buf, sb.len);
	if (sb.alloc)
		OPENSSL_cleanse(sb.buf, sb.alloc);
	dg_strbuf_release(&sb);
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
	jwt_t *jwt = NULL;
	char *enc = NULL, *out = NULL;
	int rc;

	if (jwt_new(&jwt)) {
		dg_error_set(err, DG_E_INTERNAL, "cannot create a JWT (out of memory)");
		return NULL;
	}
	rc = jwt_add_grant(jwt, "iss", k->client_email) ||
	     jwt_add_grant(jwt, "aud", k->token_uri) || jwt_add_grant(jwt, "sub", sub) ||
	     jwt_add_grant(jwt, "scope", scope) || jwt_add_grant_int(jwt, "iat", now) ||
	     jwt_add_grant_int(jwt, "exp", now + ASSERTION_LIFETIME) ||
	     (k->private_key_id && jwt_add_header(jwt, "kid", k->private_key_id)) ||
	     jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)k->private_key,
			 (int)k->private_key_len);
	if (!rc)
		enc = jwt_encode_str(jwt);
	jwt_free(jwt); /* libjwt wipes its copy of the key */
	if (!enc) {
		dg_error_set(err, DG_E_INVALID, "cannot sign the token request with the service "
			     "account's private_key (is it an RSA key in PEM form? run 'dirgate "
			     "check --offline')");
		return NULL;
	}
	out = dg_xstrdup(enc);
	OPENSSL_cleanse(enc, strlen(enc));
	free(enc);
	return out;
}

void dg_google_token_free(dg_google_token *t)
{
	if (t->access_token)
		wipe_free(t->access_token, strlen(t->access_token));
	memset(t, 0, sizeof(*t));
}

/* Google's words, bounded and without control characters. */
static void add_clean(dg_strbuf *sb, const char *s)
{
	for (size_t i = 0; s && s[i] && i < 300; i++)
		dg_strbuf_addch(sb, (unsigned char)s[i] < 0x20 ? ' ' : s[i]);
}

int dg_google_parse_token_answer(long status, const char *body, size_t len,
				 dg_google_token *tok, dg_strbuf *error, dg_strbuf *description)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	const cJSON *ty = cJSON_GetObjectItemCaseSensitive(root, "token_type");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
	int rc = -1;

	memset(tok, 0, sizeof(*tok));
	dg_strbuf_reset(error);
	dg_strbuf_reset(description);
	if (status == 200 && cJSON_IsString(at) && *at->valuestring &&
	    (!ty || (cJSON_IsString(ty) && !strcasecmp(ty->valuestring, "Bearer")))) {
		tok->access_token = dg_xstrdup(at->valuestring);
		tok->expires_in = cJSON_IsNumber(ex) && ex->valuedouble > 0 &&
						  ex->valuedouble < 86400 * 365
					  ? (long)ex->valuedouble : 3600;
		rc = 0;
	} else if (cJSON_IsString(e) && *e->valuestring) {
		add_clean(error, e->valuestring);
		if (cJSON_IsString(d))
			add_clean(description, d->valuestring);
	} else {
		dg_strbuf_adds(error, "unparseable");
		dg_strbuf_addf(description, "HTTP %ld with %s", status,
			       status == 200 ? "no access_token" : "no OAuth error in the body");
	}
	if (cJSON_IsString(at)) /* the tree held a copy of the token */
		OPENSSL_cleanse(at->valuestring, strlen(at->valuestring));
	cJSON_Delete(root);
	return rc;
}

static int has(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

static const char *scope_list(void)
{
	return "https://www.googleapis.com/auth/admin.directory.user.readonly, "
	       "https://www.googleapis.com/auth/admin.directory.group.readonly, "
	       "https://www.googleapis.com/auth/admin.directory.group.member.readonly";
}

static dg_finding *invalid_grant(const char *desc, const dg_google_key *k, const char *admin,
				 dg_findings *out)
{
	dg_finding *fd;
	if (has(desc, "email") || has(desc, "User ID")) {
		fd = dg_findings_add(out, "GOOGLE018", DG_SEV_ERROR, "/directory/adminUser",
				     "Google does not know the admin user \"%s\" (invalid_grant: %s)",
				     admin, desc);
		dg_finding_hint(fd, "Set adminUser to the primary e-mail address of an existing "
				"Google Workspace administrator (not an alias or a group).");
	} else if (has(desc, "iat") || has(desc, "exp") || has(desc, "timeframe")) {
		fd = dg_findings_add(out, "GOOGLE019", DG_SEV_ERROR, "/directory/serviceAccountKeyFile",
				     "Google refused the token request's times (invalid_grant: %s); "
				     "this computer's clock is probably wrong", desc);
		dg_finding_hint(fd, "Synchronise the clock (NTP, e.g. 'timedatectl set-ntp true'); "
				"Google accepts assertions issued now and valid at most 60 minutes.");
	} else {
		fd = dg_findings_add(out, "GOOGLE020", DG_SEV_ERROR, "/directory/serviceAccountKeyFile",
				     "Google refused the token request (invalid_grant: %s)", desc);
		dg_finding_hint(fd, "\"Invalid JWT Signature\" means the key (id %s) was deleted or "
				"disabled in the Google Cloud console: create a new JSON key for %s.",
				k->private_key_id ? k->private_key_id : "?", k->client_email);
	}
	return fd;
}

dg_finding *dg_google_token_finding(const char *error, const char *desc, const dg_google_key *k,
				    const char *admin, dg_findings *out)
{
	dg_finding *fd;
	if (!strcmp(error, "unauthorized_client")) {
		fd = dg_findings_add(out, "GOOGLE016", DG_SEV_ERROR, "/directory/serviceAccountKeyFile",
				     "domain-wide delegation is missing for service account %s "
				     "(unauthorized_client: %s)", k->client_email, desc);
		dg_finding_hint(fd, "In the Admin console (Security > Access and data control > API "
				"controls > Manage domain-wide delegation) add the numeric client ID "
				"%s — not the e-mail address %s — with the scopes %s.  Changes can "
				"take up to 24 hours.", k->client_id, k->client_email, scope_list());
	} else if (!strcmp(error, "access_denied")) {
		fd = dg_findings_add(out, "GOOGLE017", DG_SEV_ERROR, "/directory/serviceAccountKeyFile",
				     "a scope dirgate needs is not authorised for client ID %s "
				     "(access_denied: %s)", k->client_id, desc);
		dg_finding_hint(fd, "In the Admin console's domain-wide delegation, edit client ID %s "
				"so its scopes include all of: %s.", k->client_id, scope_list());
	} else if (!strcmp(error, "invalid_grant")) {
		fd = invalid_grant(desc, k, admin, out);
	} else {
		fd = dg_findings_add(out, "GOOGLE020", DG_SEV_ERROR, "/directory/serviceAccountKeyFile",
				     "Google refused the token request (%s%s%s)", error,
				     *desc ? ": " : "", desc);
		dg_finding_hint(fd, "invalid_client, deleted_client or disabled_client: the service "
				"account or its key no longer exists or is disabled — create a new key "
				"for %s; admin_policy_enforced: a Workspace policy blocks the scopes.",
				k->client_email);
	}
	return fd;
}

static void finding_to_error(const dg_finding *fd, dg_code code, dg_error *err)
{
	dg_error_set(err, code, "%s [%s]%s%s", fd->message, fd->code, fd->hint ? "; " : "",
		     fd->hint ? fd->hint : "");
}

dg_finding *dg_google_transport_finding(const dg_http_response *res, const char *what,
					const char *url, const dg_error *e, dg_findings *out)
{
	char *safe = dg_http_safe_url(url);
	dg_finding *fd = dg_findings_add(out, "GOOGLE023", DG_SEV_ERROR, "/directory",
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

dg_code dg_google_token_get(dg_http *h, const dg_google_key *k, const char *admin,
			    dg_google_token *tok, dg_findings *out, dg_error *err)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL,
	};
	dg_strbuf form = DG_STRBUF_INIT, error = DG_STRBUF_INIT, desc = DG_STRBUF_INIT;
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_http_request req = { .method = "POST", .url = k->token_uri, .headers = headers,
				.retry_safe = 1 };
	dg_findings local = DG_FINDINGS_INIT;
	dg_findings *f = out ? out : &local;
	char *jwt = dg_google_assertion(k, admin, DG_GOOGLE_SCOPES, (long)time(NULL), err);
	dg_code code = DG_OK;

	if (!jwt)
		return err ? err->code : DG_E_INVALID;
	dg_http_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	dg_http_form_add(&form, "assertion", jwt);
	wipe_free(jwt, strlen(jwt));
	req.body = form.buf;
	req.body_len = form.len;
	code = dg_http_send(h, &req, &res, err);
	OPENSSL_cleanse(form.buf, form.alloc);
	if (code != DG_OK) {
		dg_error e = *err;
		finding_to_error(dg_google_transport_finding(&res, "the token endpoint",
							     k->token_uri, &e, f), code, err);
	} else if (dg_google_parse_token_answer(res.status, res.body.buf, res.body.len, tok,
						&error, &desc) < 0) {
		code = res.status >= 500 || !strcmp(error.buf, "unparseable") ? DG_E_PROTOCOL
									       : DG_E_INVALID;
		finding_to_error(dg_google_token_finding(error.buf, desc.buf, k, admin, f), code, err);
	}
	if (res.body.alloc)
		OPENSSL_cleanse(res.body.buf, res.body.alloc);
	dg_http_response_release(&res);
	dg_strbuf_release(&form);
	dg_strbuf_release(&error);
	dg_strbuf_release(&desc);
	dg_findings_clear(&local);
	return code;
}
