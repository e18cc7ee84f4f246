/* Key files: the Entra certificate + key (m365_keys.c), the Google
 * service-account key (google_keys.c), CA files (core/keys.c).
 * Every key and certificate is made here at run time (OpenSSL 3 API) in a
 * mkdtemp directory, so no key material lives in the repository. */
#include "connectors/google/google_keys.h"
#include "connectors/m365/m365_keys.h"
#include "core/keys.h"
#include "core/strbuf.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY (24L * 3600L)
#define CERTP "/directory/certificate"
#define CERT_PATH CERTP "/certFile"
#define KEY_PATH CERTP "/keyFile"
#define PW_PATH CERTP "/keyPassword"
#define GPATH "/directory/serviceAccountKeyFile"
#define CAPATH "/directory/tls/caFile"

static char tmpdir[] = "/tmp/dg-test-keys-XXXXXX";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the test's temporary directory and everything in it. */
static void rm_tree(const char *dir)
{
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		printf("# could not remove %s\n", dir);
}
static EVP_PKEY *rsa2048, *rsa2048b, *rsa1024, *ec256;

/* ---- fixtures ---------------------------------------------------------- */

static char *tmp(const char *name)
{
	return dg_xasprintf("%s/%s", tmpdir, name);
}

static X509 *make_cert(EVP_PKEY *key, long from_secs, long to_secs, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), from_secs);
	X509_gmtime_adj(X509_getm_notAfter(x), to_secs);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static char *write_cert(const char *name, X509 *x)
{
	char *path = tmp(name);
	FILE *fp = fopen(path, "w");
	PEM_write_X509(fp, x);
	fclose(fp);
	return path;
}

static char *write_certs(const char *name, X509 **xs, int n)
{
	char *path = tmp(name);
	FILE *fp = fopen(path, "w");
	for (int i = 0; i < n; i++)
		PEM_write_X509(fp, xs[i]);
	fclose(fp);
	return path;
}

static char *write_key(const char *name, EVP_PKEY *key, const char *password)
{
	char *path = tmp(name);
	FILE *fp = fopen(path, "w");
	if (password)
		PEM_write_PrivateKey(fp, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)password);
	else
		PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	return path;
}

static char *write_text(const char *name, const char *text, size_t len)
{
	char *path = tmp(name);
	FILE *fp = fopen(path, "w");
	fwrite(text, 1, len, fp);
	fclose(fp);
	return path;
}

static char *write_str(const char *name, const char *text)
{
	return write_text(name, text, strlen(text));
}

static char *key_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &data);
	s = dg_xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

/* A service account key as Google's console writes it; `edit` may change
 * or delete fields before it is written. */
static char *write_google(const char *name, EVP_PKEY *key, void (*edit)(cJSON *))
{
	cJSON *o = cJSON_CreateObject();
	char *pem = key_pem(key), *text, *path;

	cJSON_AddStringToObject(o, "type", "service_account");
	cJSON_AddStringToObject(o, "project_id", "mailstore-sync");
	cJSON_AddStringToObject(o, "private_key_id", "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901");
	cJSON_AddStringToObject(o, "private_key", pem);
	cJSON_AddStringToObject(o, "client_email",
				"mailstore@mailstore-sync.iam.gserviceaccount.com");
	cJSON_AddStringToObject(o, "client_id", "113145245239342745214");
	cJSON_AddStringToObject(o, "auth_uri", "https://accounts.google.com/o/oauth2/auth");
	cJSON_AddStringToObject(o, "token_uri", "https://oauth2.googleapis.com/token");
	cJSON_AddStringToObject(o, "universe_domain", "googleapis.com");
	if (edit)
		edit(o);
	text = cJSON_Print(o);
	path = write_text(name, text, strlen(text));
	free(text);
	free(pem);
	cJSON_Delete(o);
	return path;
}

/* ---- assertions -------------------------------------------------------- */

static const dg_finding *find(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

static size_t count_sev(const dg_findings *f, dg_severity sev)
{
	return dg_findings_count(f, sev);
}

#define CHECK_FINDING(f, code_, sev_, path_)                                    \
	do {                                                                    \
		const dg_finding *fd_ = find((f), (code_));                     \
		CHECK(fd_ != NULL);                                             \
		if (fd_) {                                                      \
			CHECK_INT(fd_->severity, (sev_));                       \
			CHECK_STR(fd_->path, (path_));                          \
			CHECK(fd_->message && *fd_->message);                   \
			CHECK(fd_->hint && *fd_->hint);                         \
		}                                                               \
	} while (0)

/* Every code used is registered, and no message or hint carries key text. */
static void check_hygiene(const dg_findings *f, const char *secret)
{
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *fd = &f->items[i];
		CHECK(dg_code_lookup(fd->code) != NULL);
		CHECK(!strstr(fd->message, "PRIVATE KEY"));
		if (secret) {
			CHECK(!strstr(fd->message, secret));
			CHECK(!fd->hint || !strstr(fd->hint, secret));
		}
	}
}

static void entra(const char *cert, const char *key, const char *pw, int pw_given,
		  dg_findings *f)
{
	dg_key_password kp = { pw, pw_given };
	dg_m365_check_keys(cert, key, &kp, CERTP, f);
	check_hygiene(f, pw);
}

/* ---- Entra certificate + key ------------------------------------------- */

static void test_entra_valid(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "MailStore Sync");
	char *cert = write_cert("valid.crt", x), *key = write_key("valid.key", rsa2048, NULL);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n;
	char hex[41];

	entra(cert, key, NULL, 0, &f);
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	CHECK_INT(count_sev(&f, DG_SEV_WARNING), 0);
	CHECK_FINDING(&f, "CERT011", DG_SEV_INFO, CERT_PATH);
	X509_digest(x, EVP_sha1(), md, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02X", md[i]);
	CHECK(find(&f, "CERT011") && strstr(find(&f, "CERT011")->message, hex));
	CHECK(find(&f, "CERT011") && strstr(find(&f, "CERT011")->message, "CN=MailStore Sync"));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_prints(void)
{
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "Prints");
	char *cert = write_cert("prints.crt", x);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[64];
	dg_cert_prints pr;
	char why[256];
	unsigned n;
	char hex[65];

	CHECK_INT(dg_cert_prints_file(cert, &pr, why, sizeof(why)), 0);
	X509_digest(x, EVP_sha256(), md, &n);
	for (unsigned i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02X", md[i]);
	CHECK_STR(pr.sha256_hex, hex);
	CHECK_INT(strlen(pr.sha1_hex), 40);
	/* x5t: base64url of the SHA-1 digest, no padding */
	X509_digest(x, EVP_sha1(), md, &n);
	EVP_EncodeBlock(b64, md, (int)n);
	for (char *p = (char *)b64; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	b64[27] = '\0';
	CHECK_STR(pr.x5t, (char *)b64);
	CHECK_INT(strlen(pr.x5t_s256), 43);
	CHECK(strstr(pr.not_after, "UTC") != NULL);
	CHECK_INT(dg_cert_prints_file("/nonexistent/x.crt", &pr, why, sizeof(why)), -1);
	CHECK(strstr(why, "/nonexistent/x.crt") != NULL);
	X509_free(x);
	free(cert);
}

static void test_entra_expired(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -400 * DAY, -DAY, "Old");
	char *cert = write_cert("expired.crt", x), *key = write_key("expired.key", rsa2048, NULL);

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT008", DG_SEV_ERROR, CERT_PATH);
	CHECK(!find(&f, "CERT010"));
	CHECK(!find(&f, "CERT005"));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_expiring_soon(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 10 * DAY, "Soon");
	char *cert = write_cert("soon.crt", x), *key = write_key("soon.key", rsa2048, NULL);

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT010", DG_SEV_WARNING, CERT_PATH);
	CHECK(find(&f, "CERT010") && strstr(find(&f, "CERT010")->message, "in 10 days"));
	CHECK(!find(&f, "CERT008"));
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_not_yet_valid(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, 5 * DAY, 365 * DAY, "Future");
	char *cert = write_cert("future.crt", x);

	entra(cert, NULL, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT009", DG_SEV_ERROR, CERT_PATH);
	CHECK(!find(&f, "CERT008"));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
}

static void test_entra_mismatch(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "Mismatch");
	char *cert = write_cert("mm.crt", x), *key = write_key("mm.key", rsa2048b, NULL);

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT005", DG_SEV_ERROR, KEY_PATH);
	CHECK(find(&f, "CERT005") && strstr(find(&f, "CERT005")->message, key));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_short_rsa(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa1024, -DAY, 365 * DAY, "Short");
	char *cert = write_cert("short.crt", x), *key = write_key("short.key", rsa1024, NULL);

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT007", DG_SEV_ERROR, CERT_PATH);
	CHECK(find(&f, "CERT007") && strstr(find(&f, "CERT007")->message, "1024"));
	CHECK(!find(&f, "CERT005"));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_not_rsa(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(ec256, -DAY, 365 * DAY, "EC");
	char *cert = write_cert("ec.crt", x), *key = write_key("ec.key", ec256, NULL);

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT006", DG_SEV_ERROR, CERT_PATH);
	CHECK(!find(&f, "CERT007"));
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_garbage(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *cert = write_str("garbage.crt", "hello\n");
	char *key = write_str("garbage.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
			      "-----END PRIVATE KEY-----\n");

	entra(cert, key, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT001", DG_SEV_ERROR, CERT_PATH);
	CHECK_FINDING(&f, "CERT002", DG_SEV_ERROR, KEY_PATH);
	CHECK(find(&f, "CERT001") && strstr(find(&f, "CERT001")->message, cert));
	CHECK(find(&f, "CERT001") && strstr(find(&f, "CERT001")->message, "OpenSSL: "));
	CHECK(find(&f, "CERT001") && strstr(find(&f, "CERT001")->message, "no start line"));
	CHECK(!find(&f, "CERT011"));
	dg_findings_clear(&f);
	free(cert);
	free(key);
}

static void test_entra_der(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "DER");
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *cert = write_text("der.crt", (char *)der, (size_t)n);

	entra(cert, NULL, NULL, 0, &f);
	CHECK_FINDING(&f, "CERT001", DG_SEV_ERROR, CERT_PATH);
	CHECK(find(&f, "CERT001") && strstr(find(&f, "CERT001")->hint, "openssl x509 -inform der"));
	dg_findings_clear(&f);
	OPENSSL_free(der);
	X509_free(x);
	free(cert);
}

static void test_entra_encrypted(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "Enc");
	char *cert = write_cert("enc.crt", x), *key = write_key("enc.key", rsa2048, "s3cret-pw");

	entra(cert, key, NULL, 0, &f);          /* no keyPassword */
	CHECK_FINDING(&f, "CERT003", DG_SEV_ERROR, PW_PATH);
	dg_findings_clear(&f);

	entra(cert, key, "s3cret-pw", 1, &f);   /* right password: fine */
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	CHECK(!find(&f, "CERT005"));
	dg_findings_clear(&f);

	entra(cert, key, "wrong-pw", 1, &f);    /* wrong password */
	CHECK_FINDING(&f, "CERT004", DG_SEV_ERROR, PW_PATH);
	dg_findings_clear(&f);

	entra(cert, key, NULL, 1, &f);          /* given, not known offline */
	CHECK_FINDING(&f, "CERT012", DG_SEV_INFO, KEY_PATH);
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	X509_free(x);
	free(cert);
	free(key);
}

static void test_entra_unreadable(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *dir = tmp("");

	entra("/nonexistent/app.crt", dir, NULL, 0, &f);
	CHECK_FINDING(&f, "PROF009", DG_SEV_ERROR, CERT_PATH);
	CHECK(find(&f, "PROF009") && strstr(find(&f, "PROF009")->message, "/nonexistent/app.crt"));
	CHECK_INT(f.nr, 2);
	CHECK(f.nr == 2 && !strcmp(f.items[1].code, "PROF009") &&
	      !strcmp(f.items[1].path, KEY_PATH) && strstr(f.items[1].message, "directory"));
	dg_findings_clear(&f);
	free(dir);
}

/* ---- Google service-account key ---------------------------------------- */

static char *google_body;   /* a piece of the PEM body that must never leak */

static void google(const char *file, dg_findings *f)
{
	dg_google_check_key_file(file, GPATH, f);
	check_hygiene(f, google_body);
}

static void test_google_valid(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *file = write_google("sa.json", rsa2048, NULL);

	google(file, &f);
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	CHECK_INT(count_sev(&f, DG_SEV_WARNING), 0);
	CHECK_FINDING(&f, "GOOGLE013", DG_SEV_INFO, GPATH);
	CHECK(find(&f, "GOOGLE013") && strstr(find(&f, "GOOGLE013")->hint, "113145245239342745214"));
	dg_findings_clear(&f);
	free(file);
}

static void test_google_not_json(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *file = write_str("bad.json", "{\n  \"type\": \"service_account\",\n  oops\n}\n");

	google(file, &f);
	CHECK_FINDING(&f, "GOOGLE004", DG_SEV_ERROR, GPATH);
	CHECK(find(&f, "GOOGLE004") && find(&f, "GOOGLE004")->line == 3);
	CHECK_INT(f.nr, 1);
	dg_findings_clear(&f);
	free(file);
}

static void set_type_user(cJSON *o)
{
	cJSON_ReplaceItemInObject(o, "type", cJSON_CreateString("authorized_user"));
}

static void test_google_wrong_type(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *file = write_google("user.json", rsa2048, set_type_user);
	char *oauth = write_str("oauth.json", "{\"installed\":{\"client_id\":\"x\"}}");

	google(file, &f);
	CHECK_FINDING(&f, "GOOGLE005", DG_SEV_ERROR, GPATH);
	CHECK(find(&f, "GOOGLE005") && strstr(find(&f, "GOOGLE005")->message, "authorized_user"));
	CHECK_INT(f.nr, 1);
	dg_findings_clear(&f);
	google(oauth, &f);
	CHECK_FINDING(&f, "GOOGLE005", DG_SEV_ERROR, GPATH);
	CHECK(find(&f, "GOOGLE005") && strstr(find(&f, "GOOGLE005")->message, "OAuth client"));
	dg_findings_clear(&f);
	free(file);
	free(oauth);
}

static void drop_key_id(cJSON *o)
{
	cJSON_DeleteItemFromObject(o, "private_key_id");
}

static void test_google_missing_key_id(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *file = write_google("nokid.json", rsa2048, drop_key_id);

	google(file, &f);
	CHECK_FINDING(&f, "GOOGLE006", DG_SEV_ERROR, GPATH);
	CHECK(find(&f, "GOOGLE006") && strstr(find(&f, "GOOGLE006")->message, "private_key_id"));
	dg_findings_clear(&f);
	free(file);
}

static void bad_identity(cJSON *o)
{
	cJSON_ReplaceItemInObject(o, "client_id", cJSON_CreateString("mailstore-sync"));
	cJSON_ReplaceItemInObject(o, "client_email", cJSON_CreateString("admin@example.com"));
}

static void test_google_identity(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *file = write_google("ident.json", rsa2048, bad_identity);

	google(file, &f);
	CHECK_FINDING(&f, "GOOGLE007", DG_SEV_ERROR, GPATH);
	CHECK_FINDING(&f, "GOOGLE008", DG_SEV_ERROR, GPATH);
	dg_findings_clear(&f);
	free(file);
}

static void old_token_uri(cJSON *o)
{
	cJSON_ReplaceItemInObject(o, "token_uri",
				  cJSON_CreateString("https://www.googleapis.com/oauth2/v4/token"));
}

static void wrong_token_uri(cJSON *o)
{
	cJSON_ReplaceItemInObject(o, "token_uri", cJSON_CreateString("https://example.com/token"));
}

static void test_google_token_uri(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *old = write_google("old.json", rsa2048, old_token_uri);
	char *bad = write_google("wrong.json", rsa2048, wrong_token_uri);

	google(old, &f);
	CHECK_FINDING(&f, "GOOGLE010", DG_SEV_WARNING, GPATH);
	CHECK(!find(&f, "GOOGLE009"));
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	google(bad, &f);
	CHECK_FINDING(&f, "GOOGLE009", DG_SEV_ERROR, GPATH);
	dg_findings_clear(&f);
	free(old);
	free(bad);
}

static void garbage_key(cJSON *o)
{
	cJSON_ReplaceItemInObject(o, "private_key",
				  cJSON_CreateString("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n"
						     "-----END PRIVATE KEY-----\n"));
}

static void test_google_private_key(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *bad = write_google("badkey.json", rsa2048, garbage_key);
	char *ec = write_google("eckey.json", ec256, NULL);

	google(bad, &f);
	CHECK_FINDING(&f, "GOOGLE011", DG_SEV_ERROR, GPATH);
	CHECK(find(&f, "GOOGLE011") && !strstr(find(&f, "GOOGLE011")->message, "MIIEvQIBADAN"));
	dg_findings_clear(&f);
	google(ec, &f);
	CHECK_FINDING(&f, "GOOGLE012", DG_SEV_ERROR, GPATH);
	dg_findings_clear(&f);
	free(bad);
	free(ec);
}

static void test_google_unreadable(void)
{
	dg_findings f = DG_FINDINGS_INIT;

	google("/nonexistent/sa.json", &f);
	CHECK_FINDING(&f, "PROF009", DG_SEV_ERROR, GPATH);
	CHECK_INT(f.nr, 1);
	dg_findings_clear(&f);
}

/* ---- CA files ---------------------------------------------------------- */

static void test_ca_valid(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *xs[2] = { make_cert(rsa2048, -DAY, 365 * DAY, "Root CA"),
			make_cert(rsa2048b, -DAY, 365 * DAY, "Issuing CA") };
	char *file = write_certs("ca2.pem", xs, 2);

	dg_keys_check_ca(file, CAPATH, &f);
	check_hygiene(&f, NULL);
	CHECK_INT(count_sev(&f, DG_SEV_ERROR), 0);
	CHECK_INT(count_sev(&f, DG_SEV_WARNING), 0);
	CHECK(find(&f, "TLS007") && strstr(find(&f, "TLS007")->message, "read 2 certificates"));
	CHECK(find(&f, "TLS007") && !strcmp(find(&f, "TLS007")->path, CAPATH));
	dg_findings_clear(&f);
	X509_free(xs[0]);
	X509_free(xs[1]);
	free(file);
}

static void test_ca_expired(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *xs[2] = { make_cert(rsa2048, -DAY, 365 * DAY, "Current CA"),
			make_cert(rsa2048b, -400 * DAY, -DAY, "Old CA") };
	char *some = write_certs("some.pem", xs, 2), *all = write_certs("all.pem", xs + 1, 1);

	dg_keys_check_ca(some, CAPATH, &f);
	CHECK_FINDING(&f, "TLS005", DG_SEV_WARNING, CAPATH);
	CHECK(find(&f, "TLS005") && strstr(find(&f, "TLS005")->message, "Old CA"));
	CHECK(!find(&f, "TLS006"));
	dg_findings_clear(&f);
	dg_keys_check_ca(all, CAPATH, &f);
	CHECK_FINDING(&f, "TLS006", DG_SEV_ERROR, CAPATH);
	dg_findings_clear(&f);
	X509_free(xs[0]);
	X509_free(xs[1]);
	free(some);
	free(all);
}

static void test_ca_unreadable(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	X509 *x = make_cert(rsa2048, -DAY, 365 * DAY, "CA");
	char *empty = write_str("empty.pem", "");
	char *broken, *good = write_cert("good.pem", x);
	dg_strbuf sb = DG_STRBUF_INIT;
	FILE *fp = fopen(good, "r");
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf), fp);

	fclose(fp);
	dg_strbuf_add(&sb, buf, n);
	dg_strbuf_adds(&sb, "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n");
	broken = write_text("broken.pem", sb.buf, sb.len);

	dg_keys_check_ca(empty, CAPATH, &f);
	CHECK_FINDING(&f, "TLS004", DG_SEV_ERROR, CAPATH);
	CHECK(!find(&f, "TLS007"));
	dg_findings_clear(&f);
	dg_keys_check_ca(broken, CAPATH, &f);
	CHECK_FINDING(&f, "TLS004", DG_SEV_ERROR, CAPATH);
	CHECK(find(&f, "TLS004") && strstr(find(&f, "TLS004")->message, "certificate 2"));
	dg_findings_clear(&f);
	dg_keys_check_ca("/nonexistent/ca.pem", CAPATH, &f);
	CHECK_FINDING(&f, "PROF009", DG_SEV_ERROR, CAPATH);
	dg_findings_clear(&f);
	dg_strbuf_release(&sb);
	X509_free(x);
	free(empty);
	free(broken);
	free(good);
}

/* ---- setup ------------------------------------------------------------- */

static void setup(void)
{
	char *pem;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	rsa2048 = EVP_RSA_gen(2048);
	rsa2048b = EVP_RSA_gen(2048);
	rsa1024 = EVP_RSA_gen(1024);
	ec256 = EVP_EC_gen("P-256");
	pem = key_pem(rsa2048);
	google_body = dg_xstrndup(pem + 28 + 40, 24);   /* from the middle of the base64 */
	free(pem);
}

static void cleanup(void)
{
	rm_tree(tmpdir);
	EVP_PKEY_free(rsa2048);
	EVP_PKEY_free(rsa2048b);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(ec256);
	free(google_body);
}

int main(void)
{
	setup();
	RUN(test_entra_valid);
	RUN(test_entra_prints);
	RUN(test_entra_expired);
	RUN(test_entra_expiring_soon);
	RUN(test_entra_not_yet_valid);
	RUN(test_entra_mismatch);
	RUN(test_entra_short_rsa);
	RUN(test_entra_not_rsa);
	RUN(test_entra_garbage);
	RUN(test_entra_der);
	RUN(test_entra_encrypted);
	RUN(test_entra_unreadable);
	RUN(test_google_valid);
	RUN(test_google_not_json);
	RUN(test_google_wrong_type);
	RUN(test_google_missing_key_id);
	RUN(test_google_identity);
	RUN(test_google_token_uri);
	RUN(test_google_private_key);
	RUN(test_google_unreadable);
	RUN(test_ca_valid);
	RUN(test_ca_expired);
	RUN(test_ca_unreadable);
	cleanup();
	return dg_t_done();
}
