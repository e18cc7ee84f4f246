/* Entra ID client credentials with a certificate assertion (entra_token.h). */
#include "entra_token.h"
#include "m365_profile.h"

#include "../../core/secret.h"
#include "../../core/strbuf.h"
#include "../../core/uri.h"

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CERT_PATH "/directory/certificate/certFile"
#define KEY_PATH "/directory/certificate/keyFile"

/* ---- endpoints ------------------------------------------------------------ */

/* The origin a profile's test-only key (`key`, e.g. apiUrl) names, without
 * a trailing slash, or `vendor`.  Only https, and only Microsoft's own
 * origin or an endpoint on this computer (a test emulator): dirgate sends
 * an assertion or a token there. */
static char *origin_of(const char *url, const char *key, const char *vendor, dg_error *err)
{
	size_t n;
	if (!url)
		return dg_xstrdup(vendor);
	if (strncmp(url, "https://", 8)) {
		dg_error_set(err, DG_E_USAGE, "/directory/%s must be an https URL (it is for tests "
			     "only)", key);
		return NULL;
	}
	n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		n--;
	if (!dg_uri_local_https(url) && (strlen(vendor) != n || strncmp(url, vendor, n))) {
		dg_error_set(err, DG_E_USAGE, "/directory/%s is neither %s nor an https endpoint "
			     "on this computer; dirgate sends no credential there (it is for tests "
			     "only)", key, vendor);
		return NULL;
	}
	return dg_xstrndup(url, n);
}

char *dg_entra_token_url(const dg_profile *p, dg_error *err)
{
	char *origin = origin_of(dg_m365_opts(p)->authority_url, "authorityUrl",
				 DG_ENTRA_AUTHORITY, err);
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!origin)
		return NULL;
	dg_strbuf_addf(&sb, "%s/", origin);
	dg_http_add_escaped(&sb, dg_m365_opts(p)->tenant_id ? dg_m365_opts(p)->tenant_id : "");
	dg_strbuf_adds(&sb, "/oauth2/v2.0/token");
	free(origin);
	return dg_strbuf_detach(&sb);
}

char *dg_graph_origin(const dg_profile *p, dg_error *err)
{
	return origin_of(dg_m365_opts(p)->api_url, "apiUrl", DG_GRAPH_ORIGIN, err);
}

/* ---- the assertion -------------------------------------------------------- */

/* A random (version 4) GUID, the form Entra's own clients use for jti. */
static void random_guid(char out[37])
{
	unsigned char r[16];
	if (RAND_bytes(r, sizeof r) != 1)
		abort();  /* no randomness: refusing beats a guessable jti */
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
		 r[12], r[13], r[14], r[15]);
}

char *dg_entra_assertion_claims(const char *client_id, const char *aud, const char *jti,
				time_t now)
{
	char guid[37];
	cJSON *c = cJSON_CreateObject();
	char *out;

	if (!jti) {
		random_guid(guid);
		jti = guid;
	}
	cJSON_AddStringToObject(c, "aud", aud);
	cJSON_AddStringToObject(c, "iss", client_id);
	cJSON_AddStringToObject(c, "sub", client_id);
	cJSON_AddStringToObject(c, "jti", jti);
	cJSON_AddNumberToObject(c, "nbf", (double)now);
	cJSON_AddNumberToObject(c, "iat", (double)now);
	cJSON_AddNumberToObject(c, "exp", (double)(now + DG_ENTRA_ASSERTION_TTL));
	out = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	return out;
}

/* A client assertion signed by `sign` with the one thumbprint header
 * `print_name` (x5t or x5t#S256). */
static char *assertion(dg_code (*sign)(const char *, size_t, const char *const *,
				       const char *, char **, dg_error *),
		       const char *key_pem, size_t key_len, const char *print_name,
		       const char *print, const char *client_id, const char *aud,
		       const char *jti, time_t now, dg_error *err)
{
	const char *const header[] = { print_name, print, NULL };
	char *claims = dg_entra_assertion_claims(client_id, aud, jti, now), *tok = NULL;

	if (sign(key_pem, key_len, header, claims, &tok, err) != DG_OK)
		tok = NULL;
	free(claims);
	return tok;
}

char *dg_entra_assertion(const char *key_pem, size_t key_len, const char *x5t,
			 const char *client_id, const char *aud, const char *jti, time_t now,
			 dg_error *err)
{
	return assertion(dg_oauth_sign_rs256, key_pem, key_len, "x5t", x5t, client_id, aud,
			 jti, now, err);
}

char *dg_entra_assertion_ps256(const char *key_pem, size_t key_len, const char *x5t_s256,
			       const char *client_id, const char *aud, const char *jti,
			       time_t now, dg_error *err)
{
	return assertion(dg_oauth_sign_ps256, key_pem, key_len, "x5t#S256", x5t_s256,
			 client_id, aud, jti, now, err);
}

/* ---- findings ------------------------------------------------------------- */

static const char *thumb(const dg_cert_prints *pr)
{
	return pr && pr->sha1_hex[0] ? pr->sha1_hex : "(unknown: certFile unreadable)";
}

/* The first line of error_description: the rest is Entra's trace ids. */
static void first_line(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src && src[i] && src[i] != '\r' && src[i] != '\n' && i + 1 < n; i++)
		dst[i] = src[i];
	dst[i] = 0;
}

dg_finding *dg_entra_error_finding(const dg_oauth_error *oe, const dg_profile *p,
				   const dg_cert_prints *pr, dg_findings *out)
{
	const dg_dir_m365 *m = dg_m365_opts(p);
	char desc[512];
	const char *cid = m->client_id ? m->client_id : "", *tid = m->tenant_id ? m->tenant_id : "";
	dg_finding *fd;

	switch (oe->aadsts) {
	case 700027:
		fd = dg_findings_add(out, DGF_M365005, CERT_PATH,
				     "Entra ID could not verify the assertion with any certificate of app "
				     "%s: the certificate with SHA-1 thumbprint %s is not uploaded, or "
				     "has expired (AADSTS700027)", cid, thumb(pr));
		dg_finding_hint(fd, "in the Entra admin center open App registrations > %s > "
				"Certificates & secrets > Certificates and look for thumbprint %s; "
				"upload %s if it is missing (or make certFile/keyFile the uploaded pair)",
				cid, thumb(pr), m->cert_file ? m->cert_file : "the certificate");
		return fd;
	case 7000215:
		fd = dg_findings_add(out, DGF_M365006, "/directory/clientId",
				     "Entra ID says the client secret is invalid (AADSTS7000215)");
		dg_finding_hint(fd, "dirgate and MailStore use the certificate; if a secret is "
				"configured elsewhere, use the secret's Value, not its Secret ID");
		return fd;
	case 700016:
		fd = dg_findings_add(out, DGF_M365007, "/directory/clientId",
				     "no application with client ID %s in tenant %s (AADSTS700016)",
				     cid, tid);
		dg_finding_hint(fd, "copy Application (client) ID and Directory (tenant) ID from "
				"the same app registration's Overview page");
		return fd;
	case 90002:
		fd = dg_findings_add(out, DGF_M365008, "/directory/tenantId",
				     "tenant %s does not exist (AADSTS90002)", tid);
		dg_finding_hint(fd, "copy the Directory (tenant) ID from the Entra admin center > "
				"Overview, or use the tenant's onmicrosoft.com domain");
		return fd;
	case 900023:
		fd = dg_findings_add(out, DGF_M365009, "/directory/tenantId",
				     "Entra ID says tenant identifier '%s' is neither a valid DNS name "
				     "nor a tenant ID (AADSTS900023)", tid);
		dg_finding_hint(fd, "use the tenant GUID or its onmicrosoft.com domain");
		return fd;
	case 700024:
		fd = dg_findings_add(out, DGF_M365010, "",
				     "Entra ID says the client assertion is not within its valid time "
				     "range: this machine's clock is off (AADSTS700024)");
		dg_finding_hint(fd, "synchronise the clock with NTP (e.g. timedatectl set-ntp "
				"true); check the MailStore server's clock too");
		return fd;
	default:
		first_line(desc, sizeof desc, oe->description);
		fd = dg_findings_add(out, DGF_M365012, "/directory",
				     "the token endpoint refused the request: HTTP %ld %s%s%s", oe->status,
				     oe->error ? oe->error : "(no error code)",
				     desc[0] ? ": " : "", desc);
		dg_finding_hint(fd, "check tenantId, clientId and that the certificate with SHA-1 "
				"thumbprint %s is uploaded to the app registration", thumb(pr));
		return fd;
	}
}

dg_finding *dg_entra_network_finding(dg_http_failure failure, const char *detail,
				     const char *url, const char *what, dg_findings *out)
{
	char *safe = dg_http_safe_url(url);
	dg_finding *fd = dg_findings_add(out, DGF_M365013, "/directory",
					 "%s %s cannot be reached: %s%s%s", what, safe,
					 dg_http_failure_str(failure), detail ? " — " : "",
					 detail ? detail : "");
	if (failure >= DG_HTTP_TLS_UNTRUSTED && failure <= DG_HTTP_TLS_OTHER)
		dg_finding_hint(fd, "behind a TLS-inspecting proxy, set /directory/tls/caFile to "
				"the proxy's CA certificate (PEM)");
	else
		dg_finding_hint(fd, "allow outbound HTTPS to login.microsoftonline.com and "
				"graph.microsoft.com from this machine");
	free(safe);
	return fd;
}

/* ---- the client ------------------------------------------------------------ */

void dg_entra_http_opts(const dg_profile *p, dg_http_opts *o)
{
	memset(o, 0, sizeof *o);
	o->ca_file = dg_m365_opts(p)->tls.ca_file;
	o->connect_timeout_ms = 15000;
	o->timeout_ms = 120000;
	o->max_retries = 4;
	o->max_retry_wait_ms = 60000;
}

/* Repeats a finding in the error, for callers that only print errors. */
static dg_code fail_with(dg_finding *fd, dg_error *err)
{
	/* The finding carries the fix; the error names it. */
	return dg_error_set(err, DG_E_INVALID, "%s: %s", fd->code, fd->message);
}

static int pw_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t n;
	(void)rwflag;
	if (!pw)
		return -1;
	n = strlen(pw);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

/* The key as unencrypted PEM in c->key_pem (secure heap when available). */
static dg_code load_key(dg_entra_client *c, const dg_profile *p, dg_findings *out,
			dg_error *err)
{
	const dg_dir_m365 *m = dg_m365_opts(p);
	char *pw = NULL;
	BIO *in = NULL, *mem = NULL;
	EVP_PKEY *key = NULL;
	char *data;
	long len;
	dg_finding *fd;

	if (m->key_password.kind != DG_SECRET_NONE &&
	    dg_secret_resolve(&m->key_password, &pw, err) != DG_OK) {
		fd = dg_findings_add(out, DGF_M365023, "/directory/certificate/keyPassword",
				     "keyPassword cannot be resolved: %s", err->message);
		return fail_with(fd, err);
	}
	ERR_clear_error();
	in = m->key_file ? BIO_new_file(m->key_file, "r") : NULL;
	key = in ? PEM_read_bio_PrivateKey(in, NULL, pw_cb, pw) : NULL;
	dg_secret_free(pw);
	BIO_free(in);
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		fd = dg_findings_add(out, DGF_M365023, KEY_PATH,
				     "%s is not a readable RSA private key%s",
				     m->key_file ? m->key_file : "keyFile",
				     key ? "" : " (missing, not PEM, or keyPassword wrong)");
		dg_finding_hint(fd, "run 'dirgate check --offline' for the CERT findings; keyFile "
				"must be the PEM key of certFile");
		EVP_PKEY_free(key);
		return fail_with(fd, err);
	}
	mem = BIO_new(BIO_s_secmem());
	if (!mem || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
		BIO_free(mem);
		EVP_PKEY_free(key);
		return dg_error_set(err, DG_E_INTERNAL, "OpenSSL could not re-encode the key");
	}
	len = BIO_get_mem_data(mem, &data);
	c->key_pem = dg_xmalloc((size_t)len + 1);
	memcpy(c->key_pem, data, (size_t)len);
	c->key_pem[len] = 0;
	c->key_len = (size_t)len;
	BIO_free(mem);  /* secure memory BIO: wiped on free */
	EVP_PKEY_free(key);
	return DG_OK;
}

dg_code dg_entra_client_init(dg_entra_client *c, const dg_profile *p, dg_http *http,
			     dg_findings *out, dg_error *err)
{
	char why[512];
	dg_finding *fd;

	memset(c, 0, sizeof *c);
	c->http = http;
	c->profile = p;
	if (!(c->token_url = dg_entra_token_url(p, err)))
		return err->code;
	if (!dg_m365_opts(p)->cert_file ||
	    dg_cert_prints_file(dg_m365_opts(p)->cert_file, &c->prints, why, sizeof why) < 0) {
		fd = dg_findings_add(out, DGF_M365023, CERT_PATH,
				     "the certificate for the assertion's x5t cannot be read: %s",
				     dg_m365_opts(p)->cert_file ? why : "certFile is not set");
		dg_finding_hint(fd, "certFile must be the PEM certificate uploaded to the app "
				"registration ('dirgate cert new' makes one)");
		return fail_with(fd, err);
	}
	return load_key(c, p, out, err);
}

static void token_form(const dg_entra_client *c, const char *assertion, dg_strbuf *form)
{
	dg_http_form_add(form, "client_id", dg_m365_opts(c->profile)->client_id);
	dg_http_form_add(form, "scope", DG_GRAPH_SCOPE);
	dg_http_form_add(form, "client_assertion_type",
			 "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
	dg_http_form_add(form, "client_assertion", assertion);
	dg_http_form_add(form, "grant_type", "client_credentials");
}

/* One attempt's form: a newly signed assertion each time, because Entra
 * (and oidc-provider) refuse a replayed jti. */
static dg_code make_token_form(void *ctx, dg_strbuf *form, dg_error *err)
{
	dg_entra_client *c = ctx;
	const char *cid = dg_m365_opts(c->profile)->client_id;
	char *a = c->rs256 ? dg_entra_assertion(c->key_pem, c->key_len, c->prints.x5t, cid,
						c->token_url, NULL, time(NULL), err)
			   : dg_entra_assertion_ps256(c->key_pem, c->key_len, c->prints.x5t_s256,
						      cid, c->token_url, NULL, time(NULL), err);
	if (!a)
		return err->code ? err->code : DG_E_INVALID;
	token_form(c, a, form);
	dg_secret_free(a);
	return DG_OK;
}

/* Whether a refusal of the PS256 assertion earns one try with RS256 + x5t:
 * the endpoint refused the client's authentication (invalid_client), and
 * not for the assertion's time (AADSTS700024), which RS256 would not
 * change.  An endpoint that cannot verify PS256 or does not know x5t#S256
 * refuses this way; so does one that lacks the certificate, where the
 * second refusal is the one reported. */
static int worth_rs256(const dg_entra_client *c, dg_code rc, const dg_oauth_error *oe)
{
	return !c->rs256 && rc == DG_E_INVALID && oe->error &&
	       !strcmp(oe->error, "invalid_client") && oe->aadsts != 700024;
}

/* The fallback worked: said once, so that an endpoint that cannot take
 * PS256 is not a silent surprise. */
static void note_rs256(const dg_entra_client *c, const dg_oauth_error *ps256_refusal,
		       dg_findings *out)
{
	char *safe = dg_http_safe_url(c->token_url);
	long code = ps256_refusal->aadsts;
	dg_finding *fd = dg_findings_add(out, DGF_M365035, CERT_PATH,
					 "the token endpoint %s refused the PS256 assertion "
					 "(x5t#S256) with %s%s%.0ld%s; the RS256 assertion (x5t) "
					 "got a token, and dirgate signs with RS256 from now on",
					 safe, ps256_refusal->error, code ? " (AADSTS" : "", code,
					 code ? ")" : "");
	dg_finding_hint(fd, "nothing to change for dirgate; Entra ID itself accepts PS256, so "
			"if this is login.microsoftonline.com, something between rewrites "
			"or checks the request");
	free(safe);
}

static dg_code request_token(dg_entra_client *c, dg_oauth_error *oe,
			     dg_http_failure *failure, dg_findings *out, dg_error *err)
{
	dg_code rc = dg_oauth_request_token(c->http, c->token_url, make_token_form, c,
					    &c->token, oe, failure, err);
	if (worth_rs256(c, rc, oe)) {
		dg_oauth_error ps256_refusal = *oe;
		c->rs256 = 1; /* kept for this client's later tokens too */
		rc = dg_oauth_request_token(c->http, c->token_url, make_token_form, c,
					    &c->token, oe, failure, err);
		if (rc == DG_OK)
			note_rs256(c, &ps256_refusal, out);
		dg_oauth_error_release(&ps256_refusal);
	}
	return rc;
}

dg_code dg_entra_client_token(dg_entra_client *c, dg_findings *out, dg_error *err)
{
	dg_oauth_error oe = { 0 };
	dg_http_failure failure = DG_HTTP_OK;
	dg_finding *fd;
	dg_code rc;

	dg_oauth_token_release(&c->token);
	rc = request_token(c, &oe, &failure, out, err);
	if (rc == DG_OK) {
		c->tokens_issued++;
	} else if (rc == DG_E_NETWORK) {
		rc = fail_with(dg_entra_network_finding(failure, err->message, c->token_url,
							"the Entra ID token endpoint", out), err);
	} else if (rc == DG_E_INVALID && oe.error) {
		rc = fail_with(dg_entra_error_finding(&oe, c->profile, &c->prints, out), err);
	} else if (rc != DG_E_PROTOCOL) {
		rc = fail_with(dg_findings_add(out, DGF_M365023, KEY_PATH,
					       "%s cannot sign the client assertion: %s",
					       dg_m365_opts(c->profile)->key_file, err->message),
			       err);
	} else {
		fd = dg_findings_add(out, DGF_M365012, "/directory", "%s (%s)",
				     err->message, c->token_url);
		dg_finding_hint(fd, "check that login.microsoftonline.com is reached directly, "
				"not a proxy's error page");
		rc = fail_with(fd, err);
	}
	dg_oauth_error_release(&oe);
	return rc;
}

void dg_entra_client_release(dg_entra_client *c)
{
	free(c->token_url);
	if (c->key_pem) {
		explicit_bzero(c->key_pem, c->key_len);
		free(c->key_pem);
	}
	dg_oauth_token_release(&c->token);
	memset(c, 0, sizeof *c);
}
