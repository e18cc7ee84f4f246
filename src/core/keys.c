/* Offline inspection of key material with OpenSSL 3 and cJSON (keys.h). */
#include "keys.h"

#include "strbuf.h"

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <curl/curl.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Key files are a few KiB; anything this big is the wrong file. */
#define KEYFILE_MAX (4u << 20)

#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GOOGLE_OLD_TOKEN_URI "https://www.googleapis.com/oauth2/v4/token"

/* ---- files and OpenSSL errors ------------------------------------------ */

static int read_whole_file(const char *file, dg_strbuf *sb, const char **why)
{
	char chunk[8192];
	struct stat st;
	size_t n;
	FILE *fp = fopen(file, "rb");

	if (!fp) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(fp);
		*why = "it is a directory";
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		dg_strbuf_add(sb, chunk, n);
		if (sb->len > KEYFILE_MAX) {
			fclose(fp);
			*why = "it is larger than 4 MiB, which no key or certificate file is";
			return -1;
		}
	}
	if (ferror(fp)) {
		*why = strerror(errno);
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* Reads `file` into sb; on failure adds PROF009 at `path`. */
static int load_file(const char *file, const char *path, dg_strbuf *sb, dg_findings *out)
{
	const char *why = NULL;
	dg_finding *fd;

	if (read_whole_file(file, sb, &why) == 0)
		return 0;
	fd = dg_findings_add(out, "PROF009", DG_SEV_ERROR, path,
			     "cannot read %s: %s", file, why);
	dg_finding_hint(fd, "Check the path (a relative path is resolved against the "
			"profile's directory) and that the user running dirgate may read the file.");
	return -1;
}

/* Wipes and frees a buffer that held key material. */
static void release_secret_buf(dg_strbuf *sb)
{
	if (sb->alloc)
		OPENSSL_cleanse(sb->buf, sb->alloc);
	dg_strbuf_release(sb);
}

/* Drains OpenSSL's error queue into "reason; reason" (reasons only: they
 * never contain input bytes). */
static void ossl_reasons(dg_strbuf *sb)
{
	unsigned long e;
	size_t start = sb->len;

	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		char num[32];

		if (!r) {
			snprintf(num, sizeof(num), "error %lu", e);
			r = num;
		}
		if (sb->len > start && strstr(sb->buf + start, r))
			continue;
		if (sb->len > start)
			dg_strbuf_adds(sb, "; ");
		dg_strbuf_adds(sb, r);
	}
	if (sb->len == start)
		dg_strbuf_adds(sb, "no details");
}

/* Hint for a file that is not PEM: DER and PKCS#12 files are common
 * mistakes, and each has a one-line conversion. */
static const char *not_pem_hint(const dg_strbuf *data, int want_key)
{
	const unsigned char *p = (const unsigned char *)data->buf;
	X509 *x;
	PKCS12 *p12;

	if (data->len < 2 || p[0] != 0x30)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)data->len))) {
		X509_free(x);
		return "The file is a binary DER certificate; convert it: "
		       "openssl x509 -inform der -in FILE -out FILE.pem";
	}
	p = (const unsigned char *)data->buf;
	if ((p12 = d2i_PKCS12(NULL, &p, (long)data->len))) {
		PKCS12_free(p12);
		return want_key
			? "The file is a PKCS#12 (.pfx) bundle; extract the key: "
			  "openssl pkcs12 -in FILE.pfx -nocerts -nodes -out key.pem"
			: "The file is a PKCS#12 (.pfx) bundle; extract the certificate: "
			  "openssl pkcs12 -in FILE.pfx -clcerts -nokeys -out cert.pem";
	}
	ERR_clear_error();
	return want_key ? "The file is binary (DER?); convert it: "
			  "openssl pkey -inform der -in FILE -out key.pem"
			: NULL;
}

static BIO *mem_bio(const dg_strbuf *sb)
{
	return BIO_new_mem_buf(sb->buf, (int)sb->len);
}

/* ---- certificate facts ------------------------------------------------- */

static void hex_upper(const unsigned char *md, unsigned n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* base64url without padding (RFC 7515 §2), as x5t wants it. */
static void base64url(const unsigned char *md, unsigned n, char *out, size_t outlen)
{
	unsigned char tmp[128];
	int len = EVP_EncodeBlock(tmp, md, (int)n);
	size_t j = 0;

	for (int i = 0; i < len && j + 1 < outlen; i++) {
		if (tmp[i] == '=')
			break;
		out[j++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
	}
	out[j] = '\0';
}

static void format_time(const ASN1_TIME *t, char *out, size_t outlen, time_t *tt)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!ASN1_TIME_to_tm(t, &tm)) {
		snprintf(out, outlen, "(unreadable date)");
		*tt = 0;
		return;
	}
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
	*tt = timegm(&tm);
}

static void subject_of(X509 *cert, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
	n = BIO_read(b, out, (int)outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	BIO_free(b);
}

static void cert_prints(X509 *cert, dg_cert_prints *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	X509_digest(cert, EVP_sha1(), md, &n);
	hex_upper(md, n, out->sha1_hex);
	base64url(md, n, out->x5t, sizeof(out->x5t));
	X509_digest(cert, EVP_sha256(), md, &n);
	hex_upper(md, n, out->sha256_hex);
	base64url(md, n, out->x5t_s256, sizeof(out->x5t_s256));
	subject_of(cert, out->subject, sizeof(out->subject));
	format_time(X509_get0_notAfter(cert), out->not_after, sizeof(out->not_after),
		    &out->not_after_t);
}

int dg_cert_prints_file(const char *cert_file, dg_cert_prints *out, char *why, size_t whylen)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	const char *ioerr = NULL;
	X509 *cert = NULL;
	BIO *b;

	if (read_whole_file(cert_file, &data, &ioerr) < 0) {
		if (why)
			snprintf(why, whylen, "cannot read %s: %s", cert_file, ioerr);
		dg_strbuf_release(&data);
		return -1;
	}
	ERR_clear_error();
	b = mem_bio(&data);
	cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!cert) {
		ossl_reasons(&reasons);
		if (why)
			snprintf(why, whylen, "%s is not a PEM certificate (OpenSSL: %s)",
				 cert_file, reasons.buf);
	} else {
		cert_prints(cert, out);
		X509_free(cert);
	}
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
	return cert ? 0 : -1;
}

/* ---- Entra certificate + key ------------------------------------------- */

typedef struct entra_paths {
	char *cert, *key, *password;
} entra_paths;

static X509 *parse_entra_cert(const char *file, const char *path, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	X509 *cert = NULL;
	dg_finding *fd;
	const char *hint;
	BIO *b;

	if (load_file(file, path, &data, out) < 0)
		goto done;
	ERR_clear_error();
	b = mem_bio(&data);
	cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (cert)
		goto done;
	ossl_reasons(&reasons);
	fd = dg_findings_add(out, "CERT001", DG_SEV_ERROR, path,
			     "%s is not a PEM certificate (OpenSSL: %s)", file, reasons.buf);
	hint = not_pem_hint(&data, 0);
	dg_finding_hint(fd, "%s", hint ? hint
		: "certFile must hold the certificate as PEM (-----BEGIN CERTIFICATE-----), "
		  "the same certificate that is uploaded to the app registration.");
done:
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
	return cert;
}

struct pw_state {
	const char *pw;
	int asked;
};

/* OpenSSL asks for a password only when the key is encrypted, which is how
 * we learn that it is. */
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
	struct pw_state *st = u;
	size_t n;

	(void)rwflag;
	st->asked = 1;
	if (!st->pw)
		return -1;
	n = strlen(st->pw);
	if (n > (size_t)size)
		n = (size_t)size;
	memcpy(buf, st->pw, n);
	return (int)n;
}

static void report_key_failure(const char *file, const entra_paths *ep, const struct pw_state *st,
			       const dg_key_password *pw, const dg_strbuf *data,
			       const char *reasons, dg_findings *out)
{
	dg_finding *fd;
	const char *hint;

	if (st->asked && !pw->given) {
		fd = dg_findings_add(out, "CERT003", DG_SEV_ERROR, ep->password,
				     "the private key in %s is encrypted, and no keyPassword is set", file);
		dg_finding_hint(fd, "Set %s to a secret reference, e.g. {\"env\": "
				"\"M365_KEY_PASSWORD\"}, or store the key unencrypted "
				"(openssl pkey -in %s -out key.pem) with file mode 0600.",
				ep->password, file);
	} else if (st->asked && !pw->value) {
		fd = dg_findings_add(out, "CERT012", DG_SEV_INFO, ep->key,
				     "the private key in %s is encrypted and its keyPassword is "
				     "not available offline; the key was not checked", file);
		dg_finding_hint(fd, "Run the check with the keyPassword secret available "
				"(environment variable or file) to check the key offline.");
	} else if (st->asked) {
		fd = dg_findings_add(out, "CERT004", DG_SEV_ERROR, ep->password,
				     "keyPassword does not decrypt the private key in %s (OpenSSL: %s)",
				     file, reasons);
		dg_finding_hint(fd, "Check that keyPassword refers to the password this key "
				"was exported with.");
	} else {
		fd = dg_findings_add(out, "CERT002", DG_SEV_ERROR, ep->key,
				     "%s is not a PEM private key (OpenSSL: %s)", file, reasons);
		hint = not_pem_hint(data, 1);
		dg_finding_hint(fd, "%s", hint ? hint
			: "keyFile must hold the certificate's private key as PEM "
			  "(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----).");
	}
}

static EVP_PKEY *parse_entra_key(const char *file, const entra_paths *ep,
				 const dg_key_password *pw, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	struct pw_state st = { pw->value, 0 };
	EVP_PKEY *key = NULL;
	BIO *b;

	if (load_file(file, ep->key, &data, out) < 0)
		goto done;
	ERR_clear_error();
	b = mem_bio(&data);
	key = PEM_read_bio_PrivateKey(b, NULL, pw_cb, &st);
	BIO_free(b);
	if (!key) {
		ossl_reasons(&reasons);
		report_key_failure(file, ep, &st, pw, &data, reasons.buf, out);
	}
done:
	dg_strbuf_release(&reasons);
	release_secret_buf(&data);
	return key;
}

/* Entra's certificate credentials are RS256/PS256: RSA only, and Microsoft
 * requires at least 2048 bits. */
static void check_cert_rsa(X509 *cert, const char *file, const char *path, dg_findings *out)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	dg_finding *fd;
	int bits;

	if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
		fd = dg_findings_add(out, "CERT006", DG_SEV_ERROR, path,
				     "the certificate in %s has a %s key, not an RSA key", file,
				     pub ? OBJ_nid2sn(EVP_PKEY_get_base_id(pub)) : "missing");
		dg_finding_hint(fd, "Create an RSA certificate: dirgate cert new --subject "
				"CN=MailStore --days 730 --out DIR");
		return;
	}
	bits = EVP_PKEY_get_bits(pub);
	if (bits < 2048) {
		fd = dg_findings_add(out, "CERT007", DG_SEV_ERROR, path,
				     "the certificate in %s has a %d-bit RSA key; at least 2048 bits "
				     "are needed", file, bits);
		dg_finding_hint(fd, "Create a new 2048-bit (or larger) certificate: dirgate cert new "
				"--subject CN=MailStore --days 730 --out DIR, and upload it to the app.");
	}
}

static void check_cert_dates(X509 *cert, const dg_cert_prints *pr, const char *file,
			     const char *path, dg_findings *out)
{
	int days = 0, secs = 0;
	dg_finding *fd;

	if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
		char nb[32];
		time_t t;
		format_time(X509_get0_notBefore(cert), nb, sizeof(nb), &t);
		fd = dg_findings_add(out, "CERT009", DG_SEV_ERROR, path,
				     "the certificate in %s is not valid before %s", file, nb);
		dg_finding_hint(fd, "Check this machine's clock, or wait until %s.", nb);
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
		fd = dg_findings_add(out, "CERT008", DG_SEV_ERROR, path,
				     "the certificate in %s expired on %s", file, pr->not_after);
		dg_finding_hint(fd, "Create a new certificate (dirgate cert new --subject CN=MailStore "
				"--days 730 --out DIR), upload it under Certificates & secrets, and "
				"point certFile and keyFile at it.");
		return;
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) &&
	    days < DG_CERT_EXPIRY_WARN_DAYS) {
		int left = days + (secs > 0);   /* 9 days 23 hours reads as "in 10 days" */
		fd = dg_findings_add(out, "CERT010", DG_SEV_WARNING, path,
				     "the certificate in %s expires on %s, in %d day%s", file,
				     pr->not_after, left, left == 1 ? "" : "s");
		dg_finding_hint(fd, "Upload a new certificate to the app registration before then "
				"(both can be registered at once) and switch certFile and keyFile to it.");
	}
}

static void add_prints_info(const dg_cert_prints *pr, const char *path, dg_findings *out)
{
	dg_finding *fd = dg_findings_add(out, "CERT011", DG_SEV_INFO, path,
		"certificate %s: SHA-1 thumbprint %s, SHA-256 thumbprint %s, x5t %s, "
		"expires %s", pr->subject, pr->sha1_hex, pr->sha256_hex, pr->x5t, pr->not_after);
	dg_finding_hint(fd, "In the Entra admin center, App registrations > your app > "
			"Certificates & secrets > Certificates must list thumbprint %s.", pr->sha1_hex);
}

static void check_key_matches(X509 *cert, EVP_PKEY *key, const char *cert_file,
			      const char *key_file, const char *path, dg_findings *out)
{
	dg_finding *fd;

	if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1)
		return;
	ERR_clear_error();
	fd = dg_findings_add(out, "CERT005", DG_SEV_ERROR, path,
			     "the private key in %s does not belong to the certificate in %s",
			     key_file, cert_file);
	dg_finding_hint(fd, "Use the key that was created with this certificate; compare "
			"openssl x509 -noout -pubkey -in CERT with openssl pkey -pubout -in KEY.");
}

void dg_keys_check_entra(const char *cert_file, const char *key_file,
			 const dg_key_password *pw, const char *path, dg_findings *out)
{
	static const dg_key_password no_pw = { NULL, 0 };
	entra_paths ep = {
		dg_xasprintf("%s/certFile", path),
		dg_xasprintf("%s/keyFile", path),
		dg_xasprintf("%s/keyPassword", path),
	};
	X509 *cert = cert_file ? parse_entra_cert(cert_file, ep.cert, out) : NULL;
	EVP_PKEY *key = key_file ? parse_entra_key(key_file, &ep, pw ? pw : &no_pw, out) : NULL;

	if (cert) {
		dg_cert_prints pr;
		cert_prints(cert, &pr);
		check_cert_rsa(cert, cert_file, ep.cert, out);
		check_cert_dates(cert, &pr, cert_file, ep.cert, out);
		add_prints_info(&pr, ep.cert, out);
	}
	if (cert && key)
		check_key_matches(cert, key, cert_file, key_file, ep.key, out);
	EVP_PKEY_free(key);
	X509_free(cert);
	free(ep.cert);
	free(ep.key);
	free(ep.password);
}

/* ---- Google service-account key ---------------------------------------- */

static const char *json_str(const cJSON *root, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

static void locate_offset(dg_finding *fd, const char *file, const char *text, size_t off)
{
	int line = 1, col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	dg_finding_locate(fd, file, line, col);
}

static cJSON *parse_google_json(const char *file, const dg_strbuf *data, const char *path,
				dg_findings *out)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(data->buf, data->len, &end, 0);
	dg_finding *fd;

	if (root && cJSON_IsObject(root))
		return root;
	cJSON_Delete(root);
	fd = dg_findings_add(out, "GOOGLE004", DG_SEV_ERROR, path,
			     "%s is not a JSON object%s", file,
			     root ? "" : " (JSON syntax error)");
	if (!root && end && end >= data->buf)
		locate_offset(fd, file, data->buf, (size_t)(end - data->buf));
	dg_finding_hint(fd, "Download the key again: Google Cloud console > IAM & Admin > "
			"Service accounts > your account > Keys > Add key > Create new key > JSON.");
	return NULL;
}

/* An OAuth client file ("installed"/"web") is the usual wrong download. */
static int check_google_type(const cJSON *root, const char *file, const char *path,
			     dg_findings *out)
{
	const char *type = json_str(root, "type");
	dg_finding *fd;

	if (type && !strcmp(type, "service_account"))
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(root, "installed") ||
	    cJSON_GetObjectItemCaseSensitive(root, "web"))
		fd = dg_findings_add(out, "GOOGLE005", DG_SEV_ERROR, path,
				     "%s is an OAuth client secret file, not a service account key", file);
	else
		fd = dg_findings_add(out, "GOOGLE005", DG_SEV_ERROR, path,
				     "%s has type \"%s\", not \"service_account\"", file,
				     type ? type : "(missing)");
	dg_finding_hint(fd, "Use a service account key: Google Cloud console > IAM & Admin > "
			"Service accounts > your account > Keys > Add key > Create new key > JSON.");
	return -1;
}

static int check_google_required(const cJSON *root, const char *file, const char *path,
				 dg_findings *out)
{
	static const char *const fields[] = {
		"private_key_id", "private_key", "client_email", "client_id", "token_uri",
	};
	int missing = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		dg_finding *fd;
		if (json_str(root, fields[i]))
			continue;
		fd = dg_findings_add(out, "GOOGLE006", DG_SEV_ERROR, path,
				     "%s has no \"%s\" (or it is empty)", file, fields[i]);
		dg_finding_hint(fd, "The file is incomplete or edited; download a new JSON key "
				"for the service account.");
		missing++;
	}
	return missing;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static void check_google_identity(const cJSON *root, const char *file, const char *path,
				  dg_findings *out)
{
	const char *id = json_str(root, "client_id");
	const char *email = json_str(root, "client_email");
	dg_finding *fd;

	if (id && !all_digits(id)) {
		fd = dg_findings_add(out, "GOOGLE007", DG_SEV_ERROR, path,
				     "client_id \"%s\" in %s is not all digits", id, file);
		dg_finding_hint(fd, "A service account's client_id is a number (e.g. "
				"113145245239342745214); download the key of a service account.");
	}
	if (email && (!ends_with(email, ".gserviceaccount.com") || !strchr(email, '@'))) {
		fd = dg_findings_add(out, "GOOGLE008", DG_SEV_ERROR, path,
				     "client_email \"%s\" in %s is not a service account address "
				     "(…@PROJECT.iam.gserviceaccount.com)", email, file);
		dg_finding_hint(fd, "Download the JSON key of the service account that has "
				"domain-wide delegation.");
	}
}

int dg_keys_local_https(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	int local = 0;

	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		local = !strcmp(scheme, "https") &&
			(!strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
			 !strcmp(host, "[::1]"));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return local;
}

int dg_keys_google_token_uri_ok(const char *uri)
{
	return !strcmp(uri, GOOGLE_TOKEN_URI) || !strcmp(uri, GOOGLE_OLD_TOKEN_URI) ||
	       dg_keys_local_https(uri);
}

int dg_keys_google_api_url_ok(const char *url)
{
	static const char api[] = "https://admin.googleapis.com";
	size_t n = sizeof(api) - 1;
	return (!strncmp(url, api, n) && (!url[n] || !strcmp(url + n, "/"))) ||
	       dg_keys_local_https(url);
}

static void check_google_token_uri(const cJSON *root, const char *file, const char *path,
				   dg_findings *out)
{
	const char *uri = json_str(root, "token_uri");
	dg_finding *fd;

	if (!uri || !strcmp(uri, GOOGLE_TOKEN_URI))
		return;
	if (!strcmp(uri, GOOGLE_OLD_TOKEN_URI)) {
		fd = dg_findings_add(out, "GOOGLE010", DG_SEV_WARNING, path,
				     "token_uri in %s is the older endpoint %s", file, uri);
		dg_finding_hint(fd, "Set \"token_uri\": \"" GOOGLE_TOKEN_URI "\" in the key file, "
				"or download a new key.");
		return;
	}
	if (dg_keys_local_https(uri)) {
		fd = dg_findings_add(out, "GOOGLE015", DG_SEV_WARNING, path,
				     "token_uri in %s is \"%s\", an endpoint on this computer "
				     "(a test emulator), not Google", file, uri);
		dg_finding_hint(fd, "For production use a key file downloaded from Google "
				"(token_uri \"" GOOGLE_TOKEN_URI "\").");
		return;
	}
	fd = dg_findings_add(out, "GOOGLE009", DG_SEV_ERROR, path,
			     "token_uri in %s is \"%s\", not Google's token endpoint", file, uri);
	dg_finding_hint(fd, "Set \"token_uri\": \"" GOOGLE_TOKEN_URI "\".");
}

static void check_google_private_key(const cJSON *root, const char *file, const char *path,
				     dg_findings *out)
{
	const char *pem = json_str(root, "private_key");
	dg_strbuf reasons = DG_STRBUF_INIT;
	struct pw_state st = { NULL, 0 };
	EVP_PKEY *key;
	dg_finding *fd;
	BIO *b;

	if (!pem)
		return;
	ERR_clear_error();
	b = BIO_new_mem_buf(pem, (int)strlen(pem));
	key = PEM_read_bio_PrivateKey(b, NULL, pw_cb, &st);
	BIO_free(b);
	if (!key) {
		ossl_reasons(&reasons);
		fd = dg_findings_add(out, "GOOGLE011", DG_SEV_ERROR, path,
				     "private_key in %s is not a readable PEM private key (OpenSSL: %s)",
				     file, reasons.buf);
		dg_finding_hint(fd, "The key must be the unedited \"-----BEGIN PRIVATE KEY-----\" "
				"text with \\n line breaks; download a new JSON key.");
	} else if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		fd = dg_findings_add(out, "GOOGLE012", DG_SEV_ERROR, path,
				     "private_key in %s is a %s key; Google signs service account "
				     "tokens with RSA (RS256)", file, OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
		dg_finding_hint(fd, "Create a new key in the Google Cloud console (it is always RSA).");
	}
	EVP_PKEY_free(key);
	dg_strbuf_release(&reasons);
}

static void add_google_summary(const cJSON *root, const char *path, dg_findings *out)
{
	const char *email = json_str(root, "client_email");
	const char *id = json_str(root, "client_id");
	dg_finding *fd;

	if (!email || !id || !all_digits(id))
		return;
	fd = dg_findings_add(out, "GOOGLE013", DG_SEV_INFO, path,
			     "service account %s, client ID %s, key ID %s", email, id,
			     json_str(root, "private_key_id") ? json_str(root, "private_key_id") : "(none)");
	dg_finding_hint(fd, "Domain-wide delegation in the Google Admin console (Security > "
			"API controls) must list client ID %s (the number, not the e-mail address).", id);
}

void dg_keys_check_google(const char *key_file, const char *path, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT;
	cJSON *root = NULL;

	if (load_file(key_file, path, &data, out) < 0)
		goto done;
	root = parse_google_json(key_file, &data, path, out);
	if (!root || check_google_type(root, key_file, path, out) < 0)
		goto done;
	check_google_required(root, key_file, path, out);
	check_google_identity(root, key_file, path, out);
	check_google_token_uri(root, key_file, path, out);
	check_google_private_key(root, key_file, path, out);
	add_google_summary(root, path, out);
done:
	if (root) {
		/* cJSON keeps its own copy of private_key: wipe it too. */
		cJSON *pk = cJSON_GetObjectItemCaseSensitive(root, "private_key");
		if (cJSON_IsString(pk))
			OPENSSL_cleanse(pk->valuestring, strlen(pk->valuestring));
	}
	cJSON_Delete(root);
	release_secret_buf(&data);
}

/* ---- CA bundles -------------------------------------------------------- */

/* The PEM loop ends with "no start line" once the certificates run out; any
 * other error means a broken block. */
static int pem_end_is_clean(void)
{
	unsigned long e = ERR_peek_last_error();
	return !e || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

static void report_ca_cert_expired(X509 *cert, int idx, const char *file, const char *path,
				   dg_findings *out)
{
	dg_cert_prints pr;
	dg_finding *fd;

	cert_prints(cert, &pr);
	fd = dg_findings_add(out, "TLS005", DG_SEV_WARNING, path,
			     "certificate %d in %s (%s) expired on %s", idx, file, pr.subject,
			     pr.not_after);
	dg_finding_hint(fd, "Remove it from the CA file, or replace it with the CA's current "
			"certificate.");
}

static void report_ca_unreadable(const char *file, const dg_strbuf *data, int count,
				 const char *reasons, const char *path, dg_findings *out)
{
	const char *hint = count ? NULL : not_pem_hint(data, 0);
	dg_finding *fd;

	if (count)
		fd = dg_findings_add(out, "TLS004", DG_SEV_ERROR, path,
				     "certificate %d in %s cannot be parsed (OpenSSL: %s)",
				     count + 1, file, reasons);
	else
		fd = dg_findings_add(out, "TLS004", DG_SEV_ERROR, path,
				     "%s holds no PEM certificate (OpenSSL: %s)", file, reasons);
	dg_finding_hint(fd, "%s", hint ? hint
		: "The CA file must hold one or more PEM certificates "
		  "(-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----).");
}

void dg_keys_check_ca(const char *ca_file, const char *path, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	int count = 0, expired = 0;
	X509 *cert;
	BIO *b;

	if (load_file(ca_file, path, &data, out) < 0)
		goto done;
	ERR_clear_error();
	b = mem_bio(&data);
	while ((cert = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		count++;
		if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
			expired++;
			report_ca_cert_expired(cert, count, ca_file, path, out);
		}
		X509_free(cert);
	}
	BIO_free(b);
	if (!count || !pem_end_is_clean()) {
		ossl_reasons(&reasons);
		report_ca_unreadable(ca_file, &data, count, reasons.buf, path, out);
	}
	ERR_clear_error();
	if (count && expired == count) {
		dg_finding *fd = dg_findings_add(out, "TLS006", DG_SEV_ERROR, path,
			"every certificate in %s has expired; no server certificate can be "
			"verified against it", ca_file);
		dg_finding_hint(fd, "Get the CA's current certificate and put it in the CA file.");
	}
	if (count) {
		dg_finding *fd = dg_findings_add(out, "TLS007", DG_SEV_INFO, path,
			"read %d certificate%s from %s", count, count == 1 ? "" : "s", ca_file);
		dg_finding_hint(fd, "Server certificates are verified against these; the file "
				"needs the CA that issued the server's certificate.");
	}
done:
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
}
