/* `dirgate cert new`: a key pair and self-signed certificate for an app
 * registration, the kind MailStore's credential manager creates for the
 * cloud directories it reads (RSA 2048, SHA-256, self-signed, for client
 * authentication).  The certificate is uploaded to the app registration; the
 * private key stays with MailStore / dirgate.  What a provider's portal
 * calls the files is the provider's to say (core/provider.h).
 *
 * Files are created exclusively (O_EXCL): an existing file is never
 * overwritten, so a key that is already registered cannot be lost.  The key
 * file is created with mode 0600. */
#ifndef DG_CERT_H
#define DG_CERT_H

#include "error.h"
#include "keys.h"

/* Accepted validity, in days.  Identity platforms accept longer ones, but
 * a certificate outliving its administrator helps nobody. */
#define DG_CERT_MIN_DAYS 1
#define DG_CERT_MAX_DAYS 3650
/* X.509 upper bound for a common name (RFC 5280 ub-common-name). */
#define DG_CERT_MAX_CN 64

/* File names created in the output directory. */
#define DG_CERT_FILE "certificate.pem"
#define DG_CERT_KEY_FILE "private-key.pem"

typedef struct dg_cert_new_opts {
	const char *subject;   /* the common name; a leading "CN=" is accepted */
	int days;              /* DG_CERT_MIN_DAYS .. DG_CERT_MAX_DAYS */
	const char *out_dir;   /* must exist */
} dg_cert_new_opts;

typedef struct dg_cert_new_result {
	char *cert_file;       /* out_dir/certificate.pem */
	char *key_file;        /* out_dir/private-key.pem */
	dg_cert_prints prints; /* thumbprints and expiry of the new certificate */
} dg_cert_new_result;

/* Validates the options (DG_E_USAGE with a message saying what to change),
 * generates the key and certificate and writes both files.  Nothing is left
 * behind on failure. */
dg_code dg_cert_new(const dg_cert_new_opts *o, dg_cert_new_result *res, dg_error *err);
void dg_cert_new_result_release(dg_cert_new_result *res);

#endif
