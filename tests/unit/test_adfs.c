/* adfs_probe.c without the network: the base URL, the discovery document
 * checks and the JWKS key count. */
#include "connectors/adfs/adfs_probe.h"
#include "core/strbuf.h"
#include "test.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/core_names.h>
#include <openssl/bn.h>

#include <string.h>

#define BASE "https://adfs.contoso.com"

static const char good[] =
	"{\"issuer\": \"https://adfs.contoso.com/adfs\","
	" \"authorization_endpoint\": \"https://adfs.contoso.com/adfs/oauth2/authorize/\","
	" \"token_endpoint\": \"https://adfs.contoso.com/adfs/oauth2/token/\","
	" \"jwks_uri\": \"https://adfs.contoso.com/adfs/discovery/keys\","
	" \"scopes_supported\": [\"allatclaims\", \"email\", \"profile\", \"openid\"]}";

static int has(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return 1;
	return 0;
}

static void test_base(void)
{
	char *b;
	b = dg_adfs_base("https://adfs.contoso.com");
	CHECK_STR(b, BASE);
	free(b);
	b = dg_adfs_base("https://adfs.contoso.com/adfs/");
	CHECK_STR(b, BASE);
	free(b);
	b = dg_adfs_base("https://adfs.contoso.com//");
	CHECK_STR(b, BASE);
	free(b);
}

static char *disc(const char *from, const char *to)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const char *p = strstr(good, from);
	dg_strbuf_add(&sb, good, (size_t)(p - good));
	dg_strbuf_adds(&sb, to);
	dg_strbuf_adds(&sb, p + strlen(from));
	return dg_strbuf_detach(&sb);
}

static void expect(const char *doc, const char *code, int want_jwks)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *j = dg_adfs_check_discovery(doc, strlen(doc), BASE, &f);
	if (code)
		CHECK(has(&f, code));
	else
		CHECK_INT(f.nr, 0);
	CHECK_INT(j != NULL, want_jwks);
	free(j);
	dg_findings_clear(&f);
}

static void test_discovery(void)
{
	char *d;
	expect(good, NULL, 1);
	expect("<html>sign in</html>", "ADFS007", 0);
	expect("{\"issuer\": \"x\"}", "ADFS007", 0);
	d = disc("https://adfs.contoso.com/adfs\",", "https://sts.contoso.com/adfs\",");
	expect(d, "ADFS008", 1);
	free(d);
	d = disc("https://adfs.contoso.com/adfs/oauth2/token/", "http://adfs.contoso.com/adfs/oauth2/token/");
	expect(d, "ADFS009", 1);
	free(d);
	d = disc("https://adfs.contoso.com/adfs/discovery/keys", "https://evil.example/keys");
	expect(d, "ADFS009", 1);
	free(d);
	d = disc("\"allatclaims\", ", "");
	expect(d, "ADFS011", 1);
	free(d);
	d = disc("https://adfs.contoso.com/adfs/discovery/keys", "ftp://adfs.contoso.com/keys");
	expect(d, "ADFS009", 0);  /* never fetched from a non-https URL */
	free(d);
}

/* A JWK for a fresh RSA key. */
static char *jwk(int bits)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
	BIGNUM *n = NULL, *e = NULL;
	unsigned char buf[1024], b64[2048];
	char *out;
	int len;
	dg_strbuf sb = DG_STRBUF_INIT;

	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
	EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
	dg_strbuf_adds(&sb, "{\"kty\": \"RSA\", \"use\": \"sig\", \"n\": \"");
	for (int i = 0; i < 2; i++) {
		len = BN_bn2bin(i ? e : n, buf);
		len = EVP_EncodeBlock(b64, buf, len);
		for (int c = 0; c < len && b64[c] != '='; c++)
			dg_strbuf_addch(&sb, b64[c] == '+' ? '-' : b64[c] == '/' ? '_' : b64[c]);
		dg_strbuf_adds(&sb, i ? "\"}" : "\", \"e\": \"");
	}
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
	out = dg_strbuf_detach(&sb);
	return out;
}

static void test_jwks(void)
{
	char why[128], *k = jwk(2048), *doc;
	doc = dg_xasprintf("{\"keys\": [%s, {\"kty\": \"EC\"}, {\"kty\": \"RSA\", \"n\": \"!!\", \"e\": \"AQAB\"}]}", k);
	CHECK_INT(dg_adfs_jwks_rsa_keys(doc, strlen(doc), why, sizeof why), 1);
	free(doc);
	CHECK_INT(dg_adfs_jwks_rsa_keys("{\"keys\": []}", 12, why, sizeof why), 0);
	CHECK_INT(dg_adfs_jwks_rsa_keys("[]", 2, why, sizeof why), -1);
	CHECK(strstr(why, "not a JWKS") != NULL);
	doc = dg_xasprintf("{\"keys\": [{\"kty\": \"RSA\", \"x5c\": [\"bm90IGEgY2VydA==\"]}]}");
	CHECK_INT(dg_adfs_jwks_rsa_keys(doc, strlen(doc), why, sizeof why), 0);
	free(doc);
	free(k);
	k = jwk(512);  /* too short to be a signing key */
	doc = dg_xasprintf("{\"keys\": [%s]}", k);
	CHECK_INT(dg_adfs_jwks_rsa_keys(doc, strlen(doc), why, sizeof why), 0);
	free(doc);
	free(k);
}

int main(void)
{
	RUN(test_base);
	RUN(test_discovery);
	RUN(test_jwks);
	return dg_t_done();
}
