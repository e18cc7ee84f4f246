/* Key material a profile points at, inspected offline with OpenSSL: the
 * generic parts (reading key files, PEM certificates and private keys,
 * certificate thumbprints, CA bundles), which the providers' own key
 * checks (connectors/<provider>/<provider>_keys.h) build on.
 *
 * Findings go to the JSON pointer given (TLSxxx for CA files, PROF009 for
 * a file that cannot be read).  Nothing here ever puts private-key bytes
 * or passwords into a message. */
#ifndef DG_KEYS_H
#define DG_KEYS_H

#include "findings.h"
#include "strbuf.h"

#include <openssl/types.h>
#include <time.h>

/* What an identity provider's portal and a client assertion need to know
 * about a certificate.  Strings are NUL-terminated; hex is upper-case, no
 * colons. */
typedef struct dg_cert_prints {
	char sha1_hex[41];        /* the "Thumbprint" portals show */
	char sha256_hex[65];
	char x5t[28];             /* base64url(SHA-1(DER)), no padding */
	char x5t_s256[44];        /* base64url(SHA-256(DER)), for x5t#S256 */
	char subject[256];        /* RFC 2253 form, truncated if longer */
	char not_after[32];       /* "2026-03-01 12:00:00 UTC" */
	time_t not_after_t;
} dg_cert_prints;

/* Fills `out` from the first PEM certificate in `cert_file`.  Returns 0, or
 * -1 with a reason in `why` (may be NULL) when the file cannot be read or
 * parsed. */
int dg_cert_prints_file(const char *cert_file, dg_cert_prints *out, char *why, size_t whylen);
void dg_keys_cert_prints(X509 *cert, dg_cert_prints *out);
/* "2026-03-01 12:00:00 UTC" and the time_t (0 when unreadable). */
void dg_keys_format_time(const ASN1_TIME *t, char *out, size_t outlen, time_t *tt);

/* The password of an encrypted private key.  `value` is the resolved
 * password, or NULL when it is not known offline; `given` says whether the
 * profile sets one. */
typedef struct dg_key_password {
	const char *value;
	int given;
} dg_key_password;

/* Reads a key or certificate file (at most 4 MiB) into sb.  Returns 0, or
 * -1 after adding PROF009 at `path`. */
int dg_keys_load_file(const char *file, const char *path, dg_strbuf *sb, dg_findings *out);
/* Wipes and releases a buffer that held key material. */
void dg_keys_release(dg_strbuf *sb);
/* Drains OpenSSL's error queue into sb as "reason; reason" (reasons only:
 * they never contain input bytes), or "no details". */
void dg_keys_ossl_reasons(dg_strbuf *sb);
/* A one-line conversion for a file that is not PEM but DER or PKCS#12, or
 * NULL when the file is neither. */
const char *dg_keys_not_pem_hint(const dg_strbuf *data, int want_key);

/* The first PEM certificate in data, or NULL (OpenSSL's error queue says
 * why). */
X509 *dg_keys_read_cert(const dg_strbuf *data);
/* A PEM private key, decrypted with `password` (may be NULL).  *encrypted
 * (may be NULL) says whether the key asked for a password.  NULL when it
 * cannot be read; OpenSSL's error queue says why. */
EVP_PKEY *dg_keys_read_private_key(const char *pem, size_t len, const char *password,
				   int *encrypted);

/* A CA bundle: one or more PEM certificates.  Findings at `path`
 * ("/directory/tls/caFile", "/target/tls/caFile"). */
void dg_keys_check_ca(const char *ca_file, const char *path, dg_findings *out);

#endif
