/* OAuth 2.0 token requests (see oauth.h). */
#include "oauth.h"

#include "../core/clock.h"
#include "../core/jsonstr.h"
#include "../core/secret.h"

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A token endpoint answers in a few KiB; anything far bigger is not one. */
#define MAX_TOKEN_ANSWER (1 << 20)

void dg_oauth_random_id(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	if (RAND_bytes(b, sizeof(b)) != 1)
		abort(); /* no randomness: refusing beats a guessable jti */
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[32] = 0;
}

dg_code dg_oauth_sign_rs256(const char *key_pem, size_t key_len,
			    const char *const *header_fields,
			    const char *claims_json, char **out, dg_error *err)
{
	jwt_t *jwt = NULL;
	dg_code rc = DG_OK;
	*out = NULL;
	if (jwt_new(&jwt))
		abort();
	if (jwt_add_grants_json(jwt, claims_json)) {
		rc = dg_error_set(err, DG_E_INTERNAL, "JWT claims are not a JSON object");
		goto done;
	}
	for (const char *const *h = header_fields; h && h[0] && h[1]; h += 2)
		if (jwt_add_header(jwt, h[0], h[1])) {
			rc = dg_error_set(err, DG_E_INTERNAL, "cannot set JWT header '%s'", h[0]);
			goto done;
		}
	if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)key_pem, (int)key_len)) {
		rc = dg_error_set(err, DG_E_INVALID, "the private key cannot sign RS256");
		goto done;
	}
	char *s = jwt_encode_str(jwt);
	if (!s) {
		rc = dg_error_set(err, DG_E_INVALID,
				  "signing failed: the private key is not a usable RSA key");
		goto done;
	}
	*out = dg_xstrdup(s);
	explicit_bzero(s, strlen(s));
	free(s); /* libjwt 1.10 allocates with the default allocator */
done:
	jwt_free(jwt); /* libjwt wipes the key it copied */
	return rc;
}

/* ---- PS256 (RSASSA-PSS with SHA-256, RFC 7518 §3.5), by OpenSSL: libjwt
 * 1.10 has no PS256. */

/* Appends base64url without padding (RFC 7515 §2). */
static void add_base64url(dg_strbuf *sb, const unsigned char *data, size_t n)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	unsigned char *tmp = dg_xmalloc(cap);
	int len = EVP_EncodeBlock(tmp, data, (int)n);
	for (int i = 0; i < len && tmp[i] != '='; i++)
		dg_strbuf_addch(sb, tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i]);
	free(tmp);
}

/* An encrypted key must not make OpenSSL prompt on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* The JOSE header {"alg":"PS256","typ":"JWT",<fields>} and the claims,
 * base64url-encoded and joined by a dot: the JWS signing input. */
static dg_code ps256_signing_input(const char *const *header_fields, const char *claims_json,
				   dg_strbuf *input, dg_error *err)
{
	cJSON *claims = cJSON_Parse(claims_json);
	if (!cJSON_IsObject(claims)) {
		cJSON_Delete(claims);
		return dg_error_set(err, DG_E_INTERNAL, "JWT claims are not a JSON object");
	}
	cJSON *head = cJSON_CreateObject();
	cJSON_AddStringToObject(head, "alg", "PS256");
	cJSON_AddStringToObject(head, "typ", "JWT");
	for (const char *const *h = header_fields; h && h[0] && h[1]; h += 2)
		cJSON_AddStringToObject(head, h[0], h[1]);
	char *head_txt = cJSON_PrintUnformatted(head), *claims_txt = cJSON_PrintUnformatted(claims);
	add_base64url(input, (const unsigned char *)head_txt, strlen(head_txt));
	dg_strbuf_addch(input, '.');
	add_base64url(input, (const unsigned char *)claims_txt, strlen(claims_txt));
	cJSON_free(head_txt);
	cJSON_free(claims_txt);
	cJSON_Delete(head);
	cJSON_Delete(claims);
	return DG_OK;
}

/* The RSASSA-PSS signature of `input`: SHA-256, MGF1 with SHA-256 and a
 * salt as long as the digest, as JWS PS256 requires. */
static dg_code pss_sign(EVP_PKEY *key, const dg_strbuf *input, unsigned char **sig,
			size_t *sig_len, dg_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	dg_code rc = DG_OK;
	*sig = NULL;
	if (!md)
		abort();
	if (EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_DigestSign(md, NULL, sig_len, (const unsigned char *)input->buf, input->len) != 1) {
		rc = dg_error_set(err, DG_E_INVALID, "the private key cannot sign PS256");
		goto done;
	}
	*sig = dg_xmalloc(*sig_len);
	if (EVP_DigestSign(md, *sig, sig_len, (const unsigned char *)input->buf, input->len) != 1) {
		free(*sig);
		*sig = NULL;
		rc = dg_error_set(err, DG_E_INVALID, "PS256 signing failed");
	}
done:
	EVP_MD_CTX_free(md);
	return rc;
}

dg_code dg_oauth_sign_ps256(const char *key_pem, size_t key_len,
			    const char *const *header_fields,
			    const char *claims_json, char **out, dg_error *err)
{
	dg_strbuf jwt = DG_STRBUF_INIT;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	*out = NULL;
	BIO *bio = BIO_new_mem_buf(key_pem, (int)key_len);
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
	BIO_free(bio);
	dg_code rc;
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		rc = dg_error_set(err, DG_E_INVALID,
				  "signing failed: the private key is not a usable RSA key");
	else if ((rc = ps256_signing_input(header_fields, claims_json, &jwt, err)) == DG_OK &&
		 (rc = pss_sign(key, &jwt, &sig, &sig_len, err)) == DG_OK) {
		dg_strbuf_addch(&jwt, '.');
		add_base64url(&jwt, sig, sig_len);
		*out = dg_xstrdup(jwt.buf);
	}
	free(sig);
	explicit_bzero(jwt.buf, jwt.len); /* a credential once signed */
	dg_strbuf_release(&jwt);
	EVP_PKEY_free(key); /* OpenSSL clears the private numbers */
	return rc;
}

/* Entra puts the AADSTS number in error_codes[] and in the description. */
static long aadsts_of(const cJSON *root, const char *description)
{
	const cJSON *codes = cJSON_GetObjectItemCaseSensitive(root, "error_codes");
	const cJSON *first = cJSON_IsArray(codes) ? cJSON_GetArrayItem(codes, 0) : NULL;
	if (cJSON_IsNumber(first) && first->valuedouble > 0 && first->valuedouble < 1e9)
		return (long)first->valuedouble;
	const char *p = description ? strstr(description, "AADSTS") : NULL;
	if (p && p[6] >= '0' && p[6] <= '9') {
		errno = 0;
		long n = strtol(p + 6, NULL, 10);
		if (!errno && n > 0 && n < 1000000000L)
			return n;
	}
	return 0;
}

static dg_code parse_error(const cJSON *root, long status, dg_oauth_error *oerr, dg_error *err)
{
	oerr->status = status;
	oerr->error = dg_json_strdup(root, "error");
	oerr->description = dg_json_strdup(root, "error_description");
	oerr->aadsts = aadsts_of(root, oerr->description);
	return dg_error_set(err, DG_E_INVALID, "the token endpoint refused (HTTP %ld, %s)",
			    status, oerr->error);
}

static dg_code parse_token(const cJSON *root, time_t now, dg_oauth_token *tok, dg_error *err)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	if (!cJSON_IsString(at) || !at->valuestring || !at->valuestring[0])
		return dg_error_set(err, DG_E_PROTOCOL,
				    "the token endpoint answered 200 without an access_token");
	tok->access_token = dg_xstrdup(at->valuestring);
	tok->token_type = dg_json_strdup(root, "token_type");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	double secs = -1;
	if (cJSON_IsNumber(exp))
		secs = exp->valuedouble;
	else if (cJSON_IsString(exp) && exp->valuestring) /* Entra v1 sends a string */
		secs = strtod(exp->valuestring, NULL);
	tok->expires_at = secs > 0 && secs < 86400.0 * 366 ? now + (time_t)secs : 0;
	return DG_OK;
}

dg_code dg_oauth_parse_answer(long status, const char *body, size_t len, time_t now,
			      dg_oauth_token *tok, dg_oauth_error *oerr, dg_error *err)
{
	*tok = (dg_oauth_token){ 0 };
	*oerr = (dg_oauth_error){ 0 };
	cJSON *root = cJSON_ParseWithLength(body, len);
	dg_code rc;
	if (!cJSON_IsObject(root))
		rc = dg_error_set(err, DG_E_PROTOCOL,
				  "the token endpoint answered HTTP %ld without a JSON object", status);
	else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "error")))
		rc = parse_error(root, status, oerr, err);
	else if (status != 200)
		rc = dg_error_set(err, DG_E_PROTOCOL,
				  "the token endpoint answered HTTP %ld without an OAuth error", status);
	else
		rc = parse_token(root, now, tok, err);
	/* The parsed tree holds the token too. */
	if (root && rc == DG_OK) {
		cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
		explicit_bzero(at->valuestring, strlen(at->valuestring));
	}
	cJSON_Delete(root);
	return rc;
}

/* How long to wait before another attempt, or -1 when this outcome is
 * final (a token, an OAuth refusal, a TLS problem, ...). */
static long retry_wait_ms(const dg_http_response *res, int attempt)
{
	long backoff = 500L << attempt;
	if (res->failure == DG_HTTP_CONNECT || res->failure == DG_HTTP_DROPPED)
		return backoff;
	if (res->failure != DG_HTTP_OK || (res->status != 429 && res->status != 503))
		return -1;
	long ra = dg_http_retry_after_ms(dg_http_response_header(res, "Retry-After"),
					 (long)time(NULL));
	if (ra > DG_OAUTH_MAX_WAIT_MS)
		return -1; /* report the refusal rather than stall */
	return ra >= 0 ? ra : backoff;
}

/* One POST with a freshly built form; the body is wiped afterwards. */
static dg_code post_once(dg_http *h, const char *token_url, dg_oauth_form_fn make_form,
			 void *ctx, dg_http_response *res, dg_error *err)
{
	static const char *const headers[] = {
		"Content-Type: application/x-www-form-urlencoded",
		"Accept: application/json", NULL,
	};
	dg_strbuf form = DG_STRBUF_INIT;
	dg_code rc = make_form(ctx, &form, err);
	if (rc == DG_OK) {
		/* Not retry-safe for net/http: a resend must carry a new assertion. */
		dg_http_request req = { .method = "POST", .url = token_url, .headers = headers,
					.body = form.buf, .body_len = form.len };
		rc = dg_http_send(h, &req, res, err);
	}
	explicit_bzero(form.buf, form.len);
	dg_strbuf_release(&form);
	return rc;
}

dg_code dg_oauth_request_token(dg_http *h, const char *token_url,
			       dg_oauth_form_fn make_form, void *ctx,
			       dg_oauth_token *tok, dg_oauth_error *oerr,
			       dg_http_failure *failure, dg_error *err)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_code rc;
	*tok = (dg_oauth_token){ 0 };
	*oerr = (dg_oauth_error){ 0 };
	for (int attempt = 0;; attempt++) {
		rc = post_once(h, token_url, make_form, ctx, &res, err);
		if (rc != DG_OK && rc != DG_E_NETWORK)
			break; /* the form could not be built */
		long wait = attempt + 1 < DG_OAUTH_ATTEMPTS ? retry_wait_ms(&res, attempt) : -1;
		if (wait < 0)
			break;
		explicit_bzero(res.body.buf, res.body.len);
		dg_http_response_release(&res);
		dg_sleep_ms(wait);
	}
	if (failure)
		*failure = res.failure;
	if (rc == DG_OK && res.body.len > MAX_TOKEN_ANSWER)
		rc = dg_error_set(err, DG_E_PROTOCOL, "the token endpoint's answer is too large");
	if (rc == DG_OK)
		rc = dg_oauth_parse_answer(res.status, res.body.buf, res.body.len, time(NULL),
					   tok, oerr, err);
	explicit_bzero(res.body.buf, res.body.len);
	dg_http_response_release(&res);
	return rc;
}

int dg_oauth_token_expiring(const dg_oauth_token *tok, time_t now, long margin)
{
	return !tok->access_token || (tok->expires_at && tok->expires_at - margin <= now);
}

void dg_oauth_token_release(dg_oauth_token *tok)
{
	dg_secret_free(tok->access_token);
	free(tok->token_type);
	*tok = (dg_oauth_token){ 0 };
}

void dg_oauth_error_release(dg_oauth_error *e)
{
	free(e->error);
	free(e->description);
	*e = (dg_oauth_error){ 0 };
}
