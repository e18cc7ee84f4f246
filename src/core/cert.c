/* dirgate cert new: RSA 2048 key + self-signed certificate for an app
 * registration. */
#include "cert.h"

#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *strip_cn(const char *subject)
{
	return strncasecmp(subject, "CN=", 3) ? subject : subject + 3;
}

/* Printable, no control characters: the CN ends up in the identity
 * platform's portal. */
static int cn_ok(const char *cn)
{
	for (const unsigned char *p = (const unsigned char *)cn; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static dg_code check_opts(const dg_cert_new_opts *o, dg_error *err)
{
	const char *cn = o->subject ? strip_cn(o->subject) : "";
	struct stat st;

	if (!*cn)
		return dg_error_set(err, DG_E_USAGE, "--subject is empty: give a common name, "
				    "e.g. --subject \"MailStore Directory Services\"");
	if (strlen(cn) > DG_CERT_MAX_CN)
		return dg_error_set(err, DG_E_USAGE, "--subject is %zu characters long; "
				    "a common name has at most %d", strlen(cn), DG_CERT_MAX_CN);
	if (!cn_ok(cn))
		return dg_error_set(err, DG_E_USAGE, "--subject contains control characters");
	if (o->days < DG_CERT_MIN_DAYS || o->days > DG_CERT_MAX_DAYS)
		return dg_error_set(err, DG_E_USAGE, "--days %d is out of range: give %d to %d "
				    "(730 = two years is a common choice)", o->days,
				    DG_CERT_MIN_DAYS, DG_CERT_MAX_DAYS);
	if (!o->out_dir || stat(o->out_dir, &st) || !S_ISDIR(st.st_mode))
		return dg_error_set(err, DG_E_USAGE, "--out %s is not an existing directory: "
				    "create it first", o->out_dir ? o->out_dir : "(none)");
	return DG_OK;
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A random positive 128-bit serial (RFC 5280: unique per issuer, ≤ 20 octets). */
static int set_serial(X509 *cert)
{
	unsigned char rnd[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return 0;
	rnd[0] &= 0x7f;
	rnd[0] |= 0x40;
	bn = BN_bin2bn(rnd, sizeof rnd, NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
	BN_free(bn);
	return ok;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok = cert && name;

	ok = ok && X509_set_version(cert, 2);
	ok = ok && set_serial(cert);
	ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					      (const unsigned char *)cn, -1, -1, 0);
	ok = ok && X509_set_subject_name(cert, name) && X509_set_issuer_name(cert, name);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	ok = ok && X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL);
	ok = ok && X509_set_pubkey(cert, key);
	ok = ok && add_ext(cert, NID_basic_constraints, "critical,CA:FALSE");
	ok = ok && add_ext(cert, NID_key_usage, "critical,digitalSignature,keyEncipherment");
	ok = ok && add_ext(cert, NID_ext_key_usage, "clientAuth");
	ok = ok && add_ext(cert, NID_subject_key_identifier, "hash");
	ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(cert);
		return NULL;
	}
	return cert;
}

/* Writes `len` bytes to a new file; never replaces an existing one. */
static dg_code write_new(const char *file, const char *data, size_t len, mode_t mode,
			 dg_error *err)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t done = 0;

	if (fd < 0 && errno == EEXIST)
		return dg_error_set(err, DG_E_IO, "%s already exists; dirgate does not "
				    "overwrite key material: choose another --out directory", file);
	if (fd < 0)
		return dg_error_set(err, DG_E_IO, "cannot create %s: %s", file, strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(file);
			return dg_error_set(err, DG_E_IO, "cannot write %s: %s", file, strerror(e));
		}
		done += (size_t)n;
	}
	if (fsync(fd) || close(fd)) {
		unlink(file);
		return dg_error_set(err, DG_E_IO, "cannot write %s: %s", file, strerror(errno));
	}
	return DG_OK;
}

/* PEM of the key (PKCS#8, unencrypted) or certificate in a memory BIO. */
static BIO *pem_of(EVP_PKEY *key, X509 *cert)
{
	BIO *b = BIO_new(BIO_s_secmem());
	int ok = b && (key ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)
			   : PEM_write_bio_X509(b, cert));
	if (!ok) {
		BIO_free(b);
		return NULL;
	}
	return b;
}

static dg_code write_pem(const char *file, EVP_PKEY *key, X509 *cert, mode_t mode,
			 dg_error *err)
{
	BIO *b = pem_of(key, cert);
	char *data;
	long len;
	dg_code rc;

	if (!b)
		return dg_error_set(err, DG_E_INTERNAL, "OpenSSL could not encode %s", file);
	len = BIO_get_mem_data(b, &data);
	rc = write_new(file, data, (size_t)len, mode, err);
	BIO_free(b);  /* secure-heap BIO: the key's PEM is wiped on free */
	return rc;
}

static dg_code refuse_existing(const char *file, dg_error *err)
{
	if (access(file, F_OK) == 0)
		return dg_error_set(err, DG_E_IO, "%s already exists; dirgate does not "
				    "overwrite key material: choose another --out directory", file);
	return DG_OK;
}

static dg_code write_files(dg_cert_new_result *res, EVP_PKEY *key, X509 *cert, dg_error *err)
{
	dg_code rc;

	/* Check both first so a refusal leaves nothing half-written. */
	if ((rc = refuse_existing(res->key_file, err)) || (rc = refuse_existing(res->cert_file, err)))
		return rc;
	if ((rc = write_pem(res->key_file, key, NULL, 0600, err)))
		return rc;
	if ((rc = write_pem(res->cert_file, NULL, cert, 0644, err))) {
		unlink(res->key_file);
		return rc;
	}
	return DG_OK;
}

dg_code dg_cert_new(const dg_cert_new_opts *o, dg_cert_new_result *res, dg_error *err)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char why[512];
	dg_code rc;

	memset(res, 0, sizeof *res);
	if ((rc = check_opts(o, err)))
		return rc;
	res->cert_file = dg_xasprintf("%s/%s", o->out_dir, DG_CERT_FILE);
	res->key_file = dg_xasprintf("%s/%s", o->out_dir, DG_CERT_KEY_FILE);
	ERR_clear_error();
	key = EVP_RSA_gen(2048);
	cert = key ? make_cert(key, strip_cn(o->subject), o->days) : NULL;
	if (!cert)
		rc = dg_error_set(err, DG_E_INTERNAL, "OpenSSL could not create the %s",
				  key ? "certificate" : "RSA key");
	else
		rc = write_files(res, key, cert, err);
	if (!rc && dg_cert_prints_file(res->cert_file, &res->prints, why, sizeof why) < 0)
		rc = dg_error_set(err, DG_E_INTERNAL, "%s", why);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (rc)
		dg_cert_new_result_release(res);
	return rc;
}

void dg_cert_new_result_release(dg_cert_new_result *res)
{
	free(res->cert_file);
	free(res->key_file);
	res->cert_file = res->key_file = NULL;
}
