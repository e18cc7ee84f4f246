/* Key material a profile points at, inspected offline with OpenSSL:
 * the Entra ID app certificate and its private key, a Google service-account
 * key file, and CA bundles.  Each check appends findings (CERTxxx, GOOGLExxx,
 * TLSxxx, PROF009 for a file that cannot be read) at the JSON pointer it is
 * given.  Nothing here ever puts private-key bytes or passwords into a
 * message. */
#ifndef DG_KEYS_H
#define DG_KEYS_H

#include "findings.h"

#include <time.h>

/* Days before notAfter from which an Entra certificate earns a warning. */
#define DG_CERT_EXPIRY_WARN_DAYS 30

/* What the Entra portal and a client assertion need to know about a
 * certificate.  Strings are NUL-terminated; hex is upper-case, no colons. */
typedef struct dg_cert_prints {
	char sha1_hex[41];        /* the "Thumbprint" column in the Entra portal */
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

/* Entra app certificate + key.  `path` is the JSON pointer of the
 * certificate object ("/directory/certificate"); findings go to
 * path + "/certFile", "/keyFile" or "/keyPassword".  Either file may be NULL
 * (not given).  `key_password` is the resolved keyPassword or NULL when it is
 * not known offline; `password_given` says whether the profile sets one. */
typedef struct dg_key_password {
	const char *value;
	int given;
} dg_key_password;

void dg_keys_check_entra(const char *cert_file, const char *key_file,
			 const dg_key_password *pw, const char *path, dg_findings *out);

/* Google service-account key JSON at `key_file`; findings at `path`
 * ("/directory/serviceAccountKeyFile"). */
void dg_keys_check_google(const char *key_file, const char *path, dg_findings *out);

/* Is `url` an https URL on this computer (localhost, 127.0.0.1, ::1)?
 * That is where tests run their Google emulator; anywhere else but Google
 * is refused (GOOGLE009, GOOGLE014). */
int dg_keys_local_https(const char *url);

/* Where dirgate may send Google credentials: a token_uri that is Google's
 * token endpoint (current or older) or local https; a Directory API base
 * URL that is https://admin.googleapis.com or local https.  1 when fine. */
int dg_keys_google_token_uri_ok(const char *uri);
int dg_keys_google_api_url_ok(const char *url);

/* A CA bundle: one or more PEM certificates.  Findings at `path`
 * ("/directory/tls/caFile", "/target/tls/caFile"). */
void dg_keys_check_ca(const char *ca_file, const char *path, dg_findings *out);

#endif
