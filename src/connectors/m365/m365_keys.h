/* The Entra ID app's certificate and private key, inspected offline with
 * OpenSSL: both files readable PEM, an RSA key of 2048 bits or more, dates,
 * the key belonging to the certificate, and the thumbprints the Entra
 * portal shows (CERTxxx findings). */
#ifndef DG_M365_KEYS_H
#define DG_M365_KEYS_H

#include "../../core/findings.h"
#include "../../core/keys.h"

/* Days before notAfter from which an Entra certificate earns a warning. */
#define DG_CERT_EXPIRY_WARN_DAYS 30

/* `path` is the JSON pointer of the certificate object
 * ("/directory/certificate"); findings go to path + "/certFile",
 * "/keyFile" or "/keyPassword".  Either file may be NULL (not given); pw
 * may be NULL (no keyPassword). */
void dg_m365_check_keys(const char *cert_file, const char *key_file,
			const dg_key_password *pw, const char *path, dg_findings *out);

#endif
