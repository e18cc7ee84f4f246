/* Offline inspection of key material with OpenSSL 3 (keys.h). */
#include "keys.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Key files are a few KiB; anything this big is the wrong file. */
#define KEYFILE_MAX (4u << 20)

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
int dg_keys_load_file(const char *file, const char *path, dg_strbuf *sb, dg_findings *out)
{
	const char *why = NULL;
	dg_finding *fd;

	if (read_whole_file(file, sb, &why) == 0)
		return 0;
	fd = dg_findings_add(out, DGF_PROF009, path,
			     "cannot read %s: %s", file, why);
	dg_finding_hint(fd, "Check the path (a relative path is resolved against the "
			"profile's directory) and that the user running dirgate may read the file.");
	return -1;
}

/* Wipes and frees a buffer that held key material. */
void dg_keys_release(dg_strbuf *sb)
{
	if (sb->alloc)
		OPENSSL_cleanse(sb->buf, sb->alloc);
	dg_strbuf_release(sb);
}

/* Drains OpenSSL's error queue into "reason; reason" (reasons only: they
 * never contain input bytes). */
void dg_keys_ossl_reasons(dg_strbuf *sb)
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
const char *dg_keys_not_pem_hint(const dg_strbuf *data, int want_key)
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

void dg_keys_format_time(const ASN1_TIME *t, char *out, size_t outlen, time_t *tt)
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

void dg_keys_cert_prints(X509 *cert, dg_cert_prints *out)
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
	dg_keys_format_time(X509_get0_notAfter(cert), out->not_after, sizeof(out->not_after),
		    &out->not_after_t);
}

X509 *dg_keys_read_cert(const dg_strbuf *data)
{
	BIO *b = mem_bio(data);
	X509 *cert;

	ERR_clear_error();
	cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	return cert;
}

int dg_cert_prints_file(const char *cert_file, dg_cert_prints *out, char *why, size_t whylen)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	const char *ioerr = NULL;
	X509 *cert = NULL;

	if (read_whole_file(cert_file, &data, &ioerr) < 0) {
		if (why)
			snprintf(why, whylen, "cannot read %s: %s", cert_file, ioerr);
		dg_strbuf_release(&data);
		return -1;
	}
	cert = dg_keys_read_cert(&data);
	if (!cert) {
		dg_keys_ossl_reasons(&reasons);
		if (why)
			snprintf(why, whylen, "%s is not a PEM certificate (OpenSSL: %s)",
				 cert_file, reasons.buf);
	} else {
		dg_keys_cert_prints(cert, out);
		X509_free(cert);
	}
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
	return cert ? 0 : -1;
}

/* ---- private keys ------------------------------------------------------ */

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

EVP_PKEY *dg_keys_read_private_key(const char *pem, size_t len, const char *password,
				   int *encrypted)
{
	struct pw_state st = { password, 0 };
	EVP_PKEY *key;
	BIO *b;

	ERR_clear_error();
	b = BIO_new_mem_buf(pem, (int)len);
	key = PEM_read_bio_PrivateKey(b, NULL, pw_cb, &st);
	BIO_free(b);
	if (encrypted)
		*encrypted = st.asked;
	return key;
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

	dg_keys_cert_prints(cert, &pr);
	fd = dg_findings_add(out, DGF_TLS005, path,
			     "certificate %d in %s (%s) expired on %s", idx, file, pr.subject,
			     pr.not_after);
	dg_finding_hint(fd, "Remove it from the CA file, or replace it with the CA's current "
			"certificate.");
}

static void report_ca_unreadable(const char *file, const dg_strbuf *data, int count,
				 const char *reasons, const char *path, dg_findings *out)
{
	const char *hint = count ? NULL : dg_keys_not_pem_hint(data, 0);
	dg_finding *fd;

	if (count)
		fd = dg_findings_add(out, DGF_TLS004, path,
				     "certificate %d in %s cannot be parsed (OpenSSL: %s)",
				     count + 1, file, reasons);
	else
		fd = dg_findings_add(out, DGF_TLS004, path,
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

	if (dg_keys_load_file(ca_file, path, &data, out) < 0)
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
		dg_keys_ossl_reasons(&reasons);
		report_ca_unreadable(ca_file, &data, count, reasons.buf, path, out);
	}
	ERR_clear_error();
	if (count && expired == count) {
		dg_finding *fd = dg_findings_add(out, DGF_TLS006, path,
			"every certificate in %s has expired; no server certificate can be "
			"verified against it", ca_file);
		dg_finding_hint(fd, "Get the CA's current certificate and put it in the CA file.");
	}
	if (count) {
		dg_finding *fd = dg_findings_add(out, DGF_TLS007, path,
			"read %d certificate%s from %s", count, count == 1 ? "" : "s", ca_file);
		dg_finding_hint(fd, "Server certificates are verified against these; the file "
				"needs the CA that issued the server's certificate.");
	}
done:
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
}
