/* Live check of AD FS login (adfs_probe.h). */
#include "adfs_probe.h"

#include "../../core/strbuf.h"
#include "../../net/http.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_PATH "/authentication/adfsUrl"
#define DISCOVERY "/adfs/.well-known/openid-configuration"

static const char *const required_scopes[] = { "openid", "profile", "allatclaims" };

char *dg_adfs_base(const char *adfs_url)
{
	size_t n = strlen(adfs_url);
	while (n && adfs_url[n - 1] == '/')
		n--;
	if (n >= 5 && !strncasecmp(adfs_url + n - 5, "/adfs", 5))
		n -= 5;
	while (n && adfs_url[n - 1] == '/')
		n--;
	return dg_xstrndup(adfs_url, n);
}

/* ---- the discovery document ---------------------------------------------- */

static const char *str_of(const cJSON *doc, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, name));
}

/* scheme://host[:port] of an https URL (lower-cased by libcurl), or NULL. */
static char *origin_of(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;

	if (url && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    !strcmp(scheme, "https")) {
		curl_url_get(h, CURLUPART_PORT, &port, 0);
		out = dg_xasprintf("https://%s%s%s", host, port ? ":" : "", port ? port : "");
		for (char *c = out; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(h);
	return out;
}

/* The URL as libcurl parsed and normalised it, when it is https; else NULL.
 * What is fetched is then exactly what was checked. */
static char *https_url(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *norm = NULL, *out = NULL;

	if (url && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && !strcmp(scheme, "https") &&
	    curl_url_get(h, CURLUPART_URL, &norm, 0) == CURLUE_OK)
		out = dg_xstrdup(norm);
	curl_free(scheme);
	curl_free(norm);
	curl_url_cleanup(h);
	return out;
}

static void check_endpoint(const cJSON *doc, const char *name, const char *issuer_origin,
			   dg_findings *out)
{
	const char *url = str_of(doc, name);
	char *o = origin_of(url);
	dg_finding *fd;

	if (o && issuer_origin && !strcmp(o, issuer_origin)) {
		free(o);
		return;
	}
	fd = dg_findings_add(out, DGF_ADFS009, URL_PATH,
			     "the discovery document's %s is %s%s%s", name, url ? "\"" : "",
			     url ? url : "missing", url ? (o ? "\", on another host than the issuer"
							   : "\", not an https URL") : "");
	dg_finding_hint(fd, "AD FS publishes every endpoint under its own https host; check "
			"the federation service name and any proxy that rewrites the document");
	free(o);
}

static int has_scope(const cJSON *scopes, const char *want)
{
	const cJSON *s;
	cJSON_ArrayForEach(s, scopes)
		if (cJSON_IsString(s) && !strcmp(s->valuestring, want))
			return 1;
	return 0;
}

static void check_scopes(const cJSON *doc, dg_findings *out)
{
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(doc, "scopes_supported");
	dg_strbuf missing = DG_STRBUF_INIT;
	dg_finding *fd;

	for (size_t i = 0; i < sizeof required_scopes / sizeof *required_scopes; i++)
		if (!has_scope(scopes, required_scopes[i]))
			dg_strbuf_addf(&missing, "%s%s", missing.len ? ", " : "", required_scopes[i]);
	if (missing.len) {
		fd = dg_findings_add(out, DGF_ADFS011, URL_PATH,
				     "AD FS does not list scope%s %s in scopes_supported; MailStore "
				     "requests openid, profile and allatclaims",
				     strchr(missing.buf, ',') ? "s" : "", missing.buf);
		dg_finding_hint(fd, "use AD FS 2016 or later (allatclaims needs KB4019472) and "
				"grant the scopes: Grant-AdfsApplicationPermission -ClientRoleIdentifier "
				"<client id> -ServerRoleIdentifier <redirect URI> -ScopeNames "
				"openid,profile,allatclaims");
	}
	dg_strbuf_release(&missing);
}

static int check_issuer(const cJSON *doc, const char *base, dg_findings *out)
{
	const char *iss = str_of(doc, "issuer");
	char *want = dg_xasprintf("%s/adfs", base);
	dg_finding *fd;
	int ok = iss && !strcasecmp(iss, want);

	if (!ok) {
		fd = dg_findings_add(out, DGF_ADFS008, URL_PATH,
				     "the discovery document names issuer \"%s\", not \"%s\"", iss, want);
		dg_finding_hint(fd, "set adfsUrl to the federation service name the issuer uses "
				"(its scheme and host), not an alias or load balancer name");
	}
	free(want);
	return ok;
}

char *dg_adfs_check_discovery(const char *body, size_t len, const char *base,
			      dg_findings *out)
{
	static const char *const needed[] = { "issuer", "authorization_endpoint",
					      "token_endpoint", "jwks_uri" };
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
	char *issuer_origin, *jwks = NULL;
	dg_finding *fd;

	for (size_t i = 0; cJSON_IsObject(doc) && i < sizeof needed / sizeof *needed; i++) {
		if (str_of(doc, needed[i]))
			continue;
		fd = dg_findings_add(out, DGF_ADFS007, URL_PATH,
				     "the discovery document has no \"%s\"", needed[i]);
		dg_finding_hint(fd, "open %s" DISCOVERY " in a browser; a proxy or a sign-in page "
				"in front of AD FS is the usual cause", base);
		cJSON_Delete(doc);
		return NULL;
	}
	if (!cJSON_IsObject(doc)) {
		fd = dg_findings_add(out, DGF_ADFS007, URL_PATH,
				     "%s" DISCOVERY " did not answer a JSON object (%zu bytes)", base, len);
		dg_finding_hint(fd, "open it in a browser; a proxy or a sign-in page in front of "
				"AD FS is the usual cause");
		cJSON_Delete(doc);
		return NULL;
	}
	check_issuer(doc, base, out);
	issuer_origin = origin_of(str_of(doc, "issuer"));
	check_endpoint(doc, "authorization_endpoint", issuer_origin, out);
	check_endpoint(doc, "token_endpoint", issuer_origin, out);
	check_endpoint(doc, "jwks_uri", issuer_origin, out);
	check_scopes(doc, out);
	jwks = https_url(str_of(doc, "jwks_uri"));  /* keys only from https */
	free(issuer_origin);
	cJSON_Delete(doc);
	return jwks;
}

/* ---- the signing keys ------------------------------------------------------ */

static BIGNUM *b64url_bn(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	unsigned char *raw;
	BIGNUM *bn = NULL;
	int n;

	for (; s && *s; s++)
		dg_strbuf_addch(&sb, *s == '-' ? '+' : *s == '_' ? '/' : *s);
	while (sb.len % 4)
		dg_strbuf_addch(&sb, '=');
	raw = dg_xmalloc(sb.len + 1);
	n = sb.len ? EVP_DecodeBlock(raw, (unsigned char *)sb.buf, (int)sb.len) : -1;
	if (n > 0) {
		/* EVP_DecodeBlock counts the padding as zero bytes */
		for (size_t i = sb.len; i > 0 && sb.buf[i - 1] == '='; i--)
			n--;
		bn = BN_bin2bn(raw, n, NULL);
	}
	free(raw);
	dg_strbuf_release(&sb);
	return bn;
}

/* An RSA public key from a JWK's n and e, as OpenSSL builds it. */
static int rsa_from_ne(const char *n64, const char *e64)
{
	BIGNUM *n = b64url_bn(n64), *e = b64url_bn(e64);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	int ok = n && e && bld && ctx && BN_num_bits(n) >= 1024 &&
		 OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		 OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
		 (params = OSSL_PARAM_BLD_to_param(bld)) &&
		 EVP_PKEY_fromdata_init(ctx) > 0 &&
		 EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) > 0;

	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ok;
}

/* The first x5c certificate (base64 DER) parses and holds an RSA key. */
static int rsa_from_x5c(const cJSON *x5c)
{
	const char *b64 = cJSON_GetStringValue(cJSON_GetArrayItem(x5c, 0));
	size_t len = b64 ? strlen(b64) : 0;
	unsigned char *der;
	const unsigned char *p;
	X509 *cert;
	int n, ok = 0;

	if (!len || len % 4 || len > 65536)
		return 0;
	der = dg_xmalloc(len);
	n = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)len);
	p = der;
	cert = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	ok = cert && EVP_PKEY_get_base_id(X509_get0_pubkey(cert)) == EVP_PKEY_RSA;
	X509_free(cert);
	free(der);
	return ok;
}

int dg_adfs_jwks_rsa_keys(const char *body, size_t len, char *why, size_t whylen)
{
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "keys"), *k;
	int count = 0;

	snprintf(why, whylen, "no RSA key that OpenSSL accepts");
	if (!cJSON_IsArray(keys)) {
		snprintf(why, whylen, "not a JWKS (no \"keys\" array)");
		cJSON_Delete(doc);
		return -1;
	}
	cJSON_ArrayForEach(k, keys) {
		const char *kty = str_of(k, "kty"), *use = str_of(k, "use");
		if (!kty || strcmp(kty, "RSA") || (use && strcmp(use, "sig")))
			continue;
		if (rsa_from_ne(str_of(k, "n"), str_of(k, "e")) ||
		    rsa_from_x5c(cJSON_GetObjectItemCaseSensitive(k, "x5c")))
			count++;
	}
	cJSON_Delete(doc);
	return count;
}

/* ---- the live probe ---------------------------------------------------------- */

/* A transport failure: ADFS006 for TLS, else `code` (ADFS005 discovery,
 * ADFS010 keys). */
static dg_finding *transport_finding(const dg_http_response *res, const char *url,
				     const char *what, dg_finding_code code, const dg_profile *p,
				     dg_findings *out)
{
	char *safe = dg_http_safe_url(url);
	int tls = res->failure >= DG_HTTP_TLS_UNTRUSTED && res->failure <= DG_HTTP_TLS_OTHER;
	dg_finding *fd = dg_findings_add(out, tls ? DGF_ADFS006 : code, tls && p->auth.tls.ca_file ?
					 "/authentication/tls/caFile" : URL_PATH,
					 "%s %s: %s%s%s", what, safe, dg_http_failure_str(res->failure),
					 res->detail ? " — " : "", res->detail ? res->detail : "");
	if (tls)
		dg_finding_hint(fd, "the AD FS host's certificate must be trusted by MailStore and "
				"the browsers; for an internal CA set /authentication/tls/caFile to "
				"its PEM file, and make sure the certificate names the host");
	else
		dg_finding_hint(fd, "check adfsUrl and that AD FS is reachable from the MailStore "
				"server");
	free(safe);
	return fd;
}

static int fetch(dg_http *h, const char *url, dg_http_response *res)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	dg_http_request req = { .url = url, .headers = headers, .retry_safe = 1 };
	dg_error err;
	return dg_http_send(h, &req, res, &err) == DG_OK ? 0 : -1;
}

static int probe_keys(dg_http *h, const dg_profile *p, const char *jwks, dg_findings *out)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	char why[128];
	int n = -1;
	dg_finding *fd;

	if (fetch(h, jwks, &res) < 0) {
		transport_finding(&res, jwks, "signing keys at", DGF_ADFS010, p, out);
	} else if (res.status != 200 ||
		   (n = dg_adfs_jwks_rsa_keys(res.body.buf, res.body.len, why, sizeof why)) <= 0) {
		fd = dg_findings_add(out, DGF_ADFS010, URL_PATH,
				     "the signing keys at %s: %s", jwks, res.status != 200 ?
				     "HTTP error" : why);
		dg_finding_hint(fd, "check the token-signing certificate in AD FS Management > "
				"Service > Certificates");
		n = -1;
	}
	dg_http_response_release(&res);
	return n;
}

static void reminders(const dg_profile *p, dg_findings *out)
{
	dg_finding *fd;
	if (!p->auth.redirect_uri)
		return;
	fd = dg_findings_add(out, DGF_ADFS013, "/authentication/redirectUri",
			     "in the AD FS application group, the Web API's identifier must be "
			     "exactly %s (the redirect URI)", p->auth.redirect_uri);
	dg_finding_hint(fd, "AD FS Management > Application Groups > MailStore > Web API > "
			"Properties > Identifiers");
}

int dg_adfs_probe(const dg_profile *p, dg_findings *out)
{
	dg_http_opts o = { 0 };
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	char *base = dg_adfs_base(p->auth.service_url), *url, *jwks = NULL;
	size_t before = dg_findings_count(out, DG_SEV_ERROR);
	dg_http *h;
	dg_finding *fd;
	int keys = -1;

	o.ca_file = p->auth.tls.ca_file;
	o.connect_timeout_ms = 10000;
	o.timeout_ms = 30000;
	o.max_retries = 2;
	h = dg_http_new(&o);
	url = dg_xasprintf("%s" DISCOVERY, base);
	if (fetch(h, url, &res) < 0) {
		transport_finding(&res, url, "discovery document", DGF_ADFS005, p, out);
	} else if (res.status != 200) {
		fd = dg_findings_add(out, DGF_ADFS005, URL_PATH,
				     "%s answered HTTP %ld", url, res.status);
		dg_finding_hint(fd, "check adfsUrl; OpenID Connect needs AD FS 2016 or later");
	} else if ((jwks = dg_adfs_check_discovery(res.body.buf, res.body.len, base, out))) {
		keys = probe_keys(h, p, jwks, out);
	}
	if (keys > 0 && dg_findings_count(out, DG_SEV_ERROR) == before)
		dg_findings_add(out, DGF_ADFS012, URL_PATH,
				"AD FS discovery at %s checked: issuer %s/adfs, endpoints on that host, "
				"%d RSA signing key%s, scopes openid profile allatclaims", url, base,
				keys, keys == 1 ? "" : "s");
	reminders(p, out);
	dg_http_response_release(&res);
	dg_http_free(h);
	free(jwks);
	free(url);
	free(base);
	return keys > 0 ? 0 : -1;
}
