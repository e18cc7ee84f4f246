/* OAuth helpers: RS256 signing (checked with libjwt against the
 * certificate's public key), PS256 signing (checked with OpenSSL's PSS
 * verification) and the token-endpoint answer parser. */
#include "net/oauth.h"
#include "core/keys.h"
#include "core/secret.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

static char *slurp(const char *rel, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", getenv("DG_SOURCE_ROOT") ? getenv("DG_SOURCE_ROOT")
									  : "..", rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		dg_strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return dg_strbuf_detach(&sb);
}

/* The certificate's public key as PEM, for libjwt's verification. */
static char *public_pem(const char *cert_pem, size_t len)
{
	BIO *in = BIO_new_mem_buf(cert_pem, (int)len), *out = BIO_new(BIO_s_mem());
	X509 *x = PEM_read_bio_X509(in, NULL, NULL, NULL);
	char *res = NULL;
	if (x && PEM_write_bio_PUBKEY(out, X509_get0_pubkey(x))) {
		char *p;
		long n = BIO_get_mem_data(out, &p);
		res = dg_xstrndup(p, (size_t)n);
	}
	X509_free(x);
	BIO_free(in);
	BIO_free(out);
	return res;
}

static void test_sign_rs256(void)
{
	size_t klen = 0, clen = 0;
	char *key = slurp("examples/keys/mailstore-m365.key", &klen);
	char *crt = slurp("examples/keys/mailstore-m365.crt", &clen);
	CHECK(key && crt);
	if (!key || !crt)
		return;
	char jti[33];
	dg_oauth_random_id(jti);
	CHECK_INT(strlen(jti), 32);
	char *claims = dg_xasprintf("{\"aud\":\"https://login.example/token\",\"iss\":\"c1\","
				    "\"sub\":\"c1\",\"jti\":\"%s\",\"exp\":2000000000}", jti);
	const char *hdr[] = { "x5t", "dGh1bWI", NULL };
	char *out = NULL;
	dg_error err = { 0 };
	CHECK_INT(dg_oauth_sign_rs256(key, klen, hdr, claims, &out, &err), DG_OK);
	char *pub = public_pem(crt, clen);
	jwt_t *jwt = NULL;
	CHECK(out && pub);
	if (out && pub) {
		CHECK_INT(jwt_decode(&jwt, out, (const unsigned char *)pub, (int)strlen(pub)), 0);
		CHECK_STR(jwt_get_header(jwt, "x5t"), "dGh1bWI");
		CHECK_STR(jwt_get_header(jwt, "alg"), "RS256");
		CHECK_STR(jwt_get_grant(jwt, "jti"), jti);
		CHECK_INT(jwt_get_grant_int(jwt, "exp"), 2000000000);
		jwt_free(jwt);
	}
	/* Not a key: a clear error, no crash, no key bytes in the message. */
	char *bad = NULL;
	CHECK(dg_oauth_sign_rs256("not a key", 9, hdr, claims, &bad, &err) != DG_OK);
	CHECK(bad == NULL);
	CHECK(err.message[0]);
	CHECK(dg_oauth_sign_rs256(key, klen, hdr, "[1]", &bad, &err) != DG_OK);
	dg_secret_free(out);
	free(pub);
	free(claims);
	free(key);
	free(crt);
}

/* base64url (no padding) -> bytes; *n its length, NULL when malformed. */
static unsigned char *unb64url(const char *s, size_t len, size_t *n)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (size_t i = 0; i < len; i++)
		dg_strbuf_addch(&sb, s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
	while (sb.len % 4)
		dg_strbuf_addch(&sb, '=');
	unsigned char *out = dg_xmalloc(sb.len);
	int got = EVP_DecodeBlock(out, (const unsigned char *)sb.buf, (int)sb.len);
	size_t pad = len % 4 ? 4 - len % 4 : 0;
	dg_strbuf_release(&sb);
	if (got < 0) {
		free(out);
		return NULL;
	}
	*n = (size_t)got - pad;
	return out;
}

/* 1 when `jwt` carries a PS256 signature (SHA-256, MGF1-SHA-256, salt of
 * digest length, nothing else accepted) by the certificate's key. */
static int verify_ps256(const char *jwt, const char *cert_pem, size_t cert_len)
{
	const char *dot = strrchr(jwt, '.');
	size_t sig_len = 0;
	unsigned char *sig = dot ? unb64url(dot + 1, strlen(dot + 1), &sig_len) : NULL;
	BIO *in = BIO_new_mem_buf(cert_pem, (int)cert_len);
	X509 *x = PEM_read_bio_X509(in, NULL, NULL, NULL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = sig && x &&
		 EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, X509_get0_pubkey(x)) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
		 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
		 EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt,
				  (size_t)(dot - jwt)) == 1;
	EVP_MD_CTX_free(md);
	X509_free(x);
	BIO_free(in);
	free(sig);
	return ok;
}

/* The decoded JOSE header or claims (part 0 or 1) of a compact JWT. */
static cJSON *jwt_part(const char *jwt, int part)
{
	const char *p = jwt;
	for (int i = 0; i < part && p; i++)
		p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL;
	const char *end = p ? strchr(p, '.') : NULL;
	size_t n = 0;
	unsigned char *raw = end ? unb64url(p, (size_t)(end - p), &n) : NULL;
	cJSON *j = raw ? cJSON_ParseWithLength((const char *)raw, n) : NULL;
	free(raw);
	return j;
}

static void test_sign_ps256(void)
{
	size_t klen = 0, clen = 0;
	char *key = slurp("examples/keys/mailstore-m365.key", &klen);
	char *crt = slurp("examples/keys/mailstore-m365.crt", &clen);
	CHECK(key && crt);
	if (!key || !crt)
		return;
	const char *claims = "{\"aud\":\"https://login.example/token\",\"iss\":\"c1\","
			     "\"jti\":\"j1\",\"exp\":2000000000}";
	const char *hdr[] = { "x5t#S256", "dGh1bWIyNTY", NULL };
	char *a = NULL, *b = NULL, *bad = NULL;
	dg_error err = { 0 };
	CHECK_INT(dg_oauth_sign_ps256(key, klen, hdr, claims, &a, &err), DG_OK);
	CHECK_INT(dg_oauth_sign_ps256(key, klen, hdr, claims, &b, &err), DG_OK);
	CHECK(a && b);
	if (!a || !b)
		goto done;
	CHECK(verify_ps256(a, crt, clen));
	/* PSS is randomised: a second signature differs, and verifies too. */
	CHECK(strcmp(a, b) != 0);
	CHECK(verify_ps256(b, crt, clen));
	/* A tampered claim no longer verifies. */
	char *t = dg_xstrdup(a);
	char *c = strchr(t, '.') + 1;
	*c = *c == 'e' ? 'f' : 'e';
	CHECK(!verify_ps256(t, crt, clen));
	free(t);
	cJSON *head = jwt_part(a, 0), *body = jwt_part(a, 1);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(head, "alg")), "PS256");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(head, "typ")), "JWT");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(head, "x5t#S256")), "dGh1bWIyNTY");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(body, "jti")), "j1");
	CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(body, "exp")) == 2000000000.0);
	cJSON_Delete(head);
	cJSON_Delete(body);
	/* Not a key, not claims: clear errors, nothing signed. */
	CHECK(dg_oauth_sign_ps256("not a key", 9, hdr, claims, &bad, &err) != DG_OK);
	CHECK(bad == NULL && err.message[0]);
	CHECK(dg_oauth_sign_ps256(key, klen, hdr, "[1]", &bad, &err) != DG_OK);
	CHECK(bad == NULL);
done:
	dg_secret_free(a);
	dg_secret_free(b);
	free(key);
	free(crt);
}

static dg_code parse(long status, const char *body, dg_oauth_token *t, dg_oauth_error *e)
{
	dg_error err = { 0 };
	dg_code rc = dg_oauth_parse_answer(status, body, strlen(body), 1000, t, e, &err);
	if (rc != DG_OK)
		CHECK(err.message[0]);
	return rc;
}

static void test_parse_token(void)
{
	dg_oauth_token t;
	dg_oauth_error e;
	CHECK_INT(parse(200, "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
			     "\"access_token\":\"eyJ0\"}", &t, &e), DG_OK);
	CHECK_STR(t.access_token, "eyJ0");
	CHECK_STR(t.token_type, "Bearer");
	CHECK_INT(t.expires_at, 4599);
	CHECK(!dg_oauth_token_expiring(&t, 1000, 60));
	CHECK(dg_oauth_token_expiring(&t, 4550, 60));
	dg_oauth_token_release(&t);
	CHECK(t.access_token == NULL);
	/* Entra's v1 endpoint sends expires_in as a string. */
	CHECK_INT(parse(200, "{\"access_token\":\"x\",\"expires_in\":\"3600\"}", &t, &e), DG_OK);
	CHECK_INT(t.expires_at, 4600);
	dg_oauth_token_release(&t);
	CHECK_INT(parse(200, "{\"token_type\":\"Bearer\"}", &t, &e), DG_E_PROTOCOL);
	CHECK_INT(parse(200, "{\"access_token\":\"\"}", &t, &e), DG_E_PROTOCOL);
	CHECK_INT(parse(200, "<html>", &t, &e), DG_E_PROTOCOL);
	CHECK_INT(parse(502, "{}", &t, &e), DG_E_PROTOCOL);
	CHECK_INT(parse(200, "[]", &t, &e), DG_E_PROTOCOL);
}

static void test_parse_error(void)
{
	dg_oauth_token t;
	dg_oauth_error e;
	CHECK_INT(parse(401, "{\"error\":\"invalid_client\",\"error_description\":"
			     "\"AADSTS700027: Client assertion failed signature validation.\","
			     "\"error_codes\":[700027],\"timestamp\":\"x\"}", &t, &e), DG_E_INVALID);
	CHECK_INT(e.status, 401);
	CHECK_STR(e.error, "invalid_client");
	CHECK_INT(e.aadsts, 700027);
	dg_oauth_error_release(&e);
	/* Only in the description. */
	CHECK_INT(parse(400, "{\"error\":\"invalid_request\",\"error_description\":"
			     "\"AADSTS90002: Tenant 'x' not found.\"}", &t, &e), DG_E_INVALID);
	CHECK_INT(e.aadsts, 90002);
	dg_oauth_error_release(&e);
	/* Google. */
	CHECK_INT(parse(401, "{\"error\":\"unauthorized_client\",\"error_description\":"
			     "\"Client is unauthorized to retrieve access tokens using this method\"}",
			&t, &e), DG_E_INVALID);
	CHECK_STR(e.error, "unauthorized_client");
	CHECK_INT(e.aadsts, 0);
	dg_oauth_error_release(&e);
	CHECK_INT(parse(400, "{\"error\":\"access_denied\"}", &t, &e), DG_E_INVALID);
	CHECK(e.description == NULL);
	dg_oauth_error_release(&e);
	CHECK_INT(parse(400, "{\"error\":\"x\",\"error_codes\":[\"no\"],"
			     "\"error_description\":\"AADSTS\"}", &t, &e), DG_E_INVALID);
	CHECK_INT(e.aadsts, 0);
	dg_oauth_error_release(&e);
}

int main(void)
{
	RUN(test_sign_rs256);
	RUN(test_sign_ps256);
	RUN(test_parse_token);
	RUN(test_parse_error);
	return dg_t_done();
}
