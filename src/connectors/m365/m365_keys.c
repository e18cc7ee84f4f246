/* The Entra ID app's certificate and private key, offline (m365_keys.h). */
#include "m365_keys.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <stdlib.h>
#include <string.h>

typedef struct entra_paths {
	char *cert, *key, *password;
} entra_paths;

static X509 *parse_entra_cert(const char *file, const char *path, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	X509 *cert = NULL;
	dg_finding *fd;
	const char *hint;

	if (dg_keys_load_file(file, path, &data, out) < 0)
		goto done;
	cert = dg_keys_read_cert(&data);
	if (cert)
		goto done;
	dg_keys_ossl_reasons(&reasons);
	fd = dg_findings_add(out, DGF_CERT001, path,
			     "%s is not a PEM certificate (OpenSSL: %s)", file, reasons.buf);
	hint = dg_keys_not_pem_hint(&data, 0);
	dg_finding_hint(fd, "%s", hint ? hint
		: "certFile must hold the certificate as PEM (-----BEGIN CERTIFICATE-----), "
		  "the same certificate that is uploaded to the app registration.");
done:
	dg_strbuf_release(&reasons);
	dg_strbuf_release(&data);
	return cert;
}

static void report_key_failure(const char *file, const entra_paths *ep, int encrypted,
			       const dg_key_password *pw, const dg_strbuf *data,
			       const char *reasons, dg_findings *out)
{
	dg_finding *fd;
	const char *hint;

	if (encrypted && !pw->given) {
		fd = dg_findings_add(out, DGF_CERT003, ep->password,
				     "the private key in %s is encrypted, and no keyPassword is set", file);
		dg_finding_hint(fd, "Set %s to a secret reference, e.g. {\"env\": "
				"\"M365_KEY_PASSWORD\"}, or store the key unencrypted "
				"(openssl pkey -in %s -out key.pem) with file mode 0600.",
				ep->password, file);
	} else if (encrypted && !pw->value) {
		fd = dg_findings_add(out, DGF_CERT012, ep->key,
				     "the private key in %s is encrypted and its keyPassword is "
				     "not available offline; the key was not checked", file);
		dg_finding_hint(fd, "Run the check with the keyPassword secret available "
				"(environment variable or file) to check the key offline.");
	} else if (encrypted) {
		fd = dg_findings_add(out, DGF_CERT004, ep->password,
				     "keyPassword does not decrypt the private key in %s (OpenSSL: %s)",
				     file, reasons);
		dg_finding_hint(fd, "Check that keyPassword refers to the password this key "
				"was exported with.");
	} else {
		fd = dg_findings_add(out, DGF_CERT002, ep->key,
				     "%s is not a PEM private key (OpenSSL: %s)", file, reasons);
		hint = dg_keys_not_pem_hint(data, 1);
		dg_finding_hint(fd, "%s", hint ? hint
			: "keyFile must hold the certificate's private key as PEM "
			  "(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----).");
	}
}

static EVP_PKEY *parse_entra_key(const char *file, const entra_paths *ep,
				 const dg_key_password *pw, dg_findings *out)
{
	dg_strbuf data = DG_STRBUF_INIT, reasons = DG_STRBUF_INIT;
	EVP_PKEY *key = NULL;
	int encrypted = 0;

	if (dg_keys_load_file(file, ep->key, &data, out) < 0)
		goto done;
	key = dg_keys_read_private_key(data.buf, data.len, pw->value, &encrypted);
	if (!key) {
		dg_keys_ossl_reasons(&reasons);
		report_key_failure(file, ep, encrypted, pw, &data, reasons.buf, out);
	}
done:
	dg_strbuf_release(&reasons);
	dg_keys_release(&data);
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
		fd = dg_findings_add(out, DGF_CERT006, path,
				     "the certificate in %s has a %s key, not an RSA key", file,
				     pub ? OBJ_nid2sn(EVP_PKEY_get_base_id(pub)) : "missing");
		dg_finding_hint(fd, "Create an RSA certificate: dirgate cert new --subject "
				"CN=MailStore --days 730 --out DIR");
		return;
	}
	bits = EVP_PKEY_get_bits(pub);
	if (bits < 2048) {
		fd = dg_findings_add(out, DGF_CERT007, path,
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
		dg_keys_format_time(X509_get0_notBefore(cert), nb, sizeof(nb), &t);
		fd = dg_findings_add(out, DGF_CERT009, path,
				     "the certificate in %s is not valid before %s", file, nb);
		dg_finding_hint(fd, "Check this machine's clock, or wait until %s.", nb);
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) {
		fd = dg_findings_add(out, DGF_CERT008, path,
				     "the certificate in %s expired on %s", file, pr->not_after);
		dg_finding_hint(fd, "Create a new certificate (dirgate cert new --subject CN=MailStore "
				"--days 730 --out DIR), upload it under Certificates & secrets, and "
				"point certFile and keyFile at it.");
		return;
	}
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) &&
	    days < DG_CERT_EXPIRY_WARN_DAYS) {
		int left = days + (secs > 0);   /* 9 days 23 hours reads as "in 10 days" */
		fd = dg_findings_add(out, DGF_CERT010, path,
				     "the certificate in %s expires on %s, in %d day%s", file,
				     pr->not_after, left, left == 1 ? "" : "s");
		dg_finding_hint(fd, "Upload a new certificate to the app registration before then "
				"(both can be registered at once) and switch certFile and keyFile to it.");
	}
}

static void add_prints_info(const dg_cert_prints *pr, const char *path, dg_findings *out)
{
	dg_finding *fd = dg_findings_add(out, DGF_CERT011, path,
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
	fd = dg_findings_add(out, DGF_CERT005, path,
			     "the private key in %s does not belong to the certificate in %s",
			     key_file, cert_file);
	dg_finding_hint(fd, "Use the key that was created with this certificate; compare "
			"openssl x509 -noout -pubkey -in CERT with openssl pkey -pubout -in KEY.");
}

void dg_m365_check_keys(const char *cert_file, const char *key_file,
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
		dg_keys_cert_prints(cert, &pr);
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

