/* libFuzzer target: PEM certificates and private keys as a profile points
 * at them (core/keys.c, connectors/m365/m365_keys.c): the Entra
 * certificate's prints, the certificate + key check with and without a
 * keyPassword, and a CA bundle.  The input is
 * the certificate file, then "\n----\n", then the key file.  Properties:
 * no crash, leak or undefined behaviour; every finding has a registered
 * code; prints are well-formed hex; a refusal says why; neither the key
 * password nor a base64 line of the key ever appears in a message. */
#include "core/findings.h"
#include "connectors/m365/m365_keys.h"
#include "core/keys.h"
#include "fuzz_util.h"

#include <string.h>

#define PASSWORD "fuzz-Key-Password-7c1e"

static int is_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789ABCDEF", s[i]))
			return 0;
	return 1;
}

static void check(const dg_findings *f, const uint8_t *key, size_t n, const fuzz_public *cert)
{
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *x = &f->items[i];
		if (!dg_code_lookup(x->code) || !x->message || fuzz_leaks(x->message, PASSWORD, key, n, cert) ||
		    fuzz_leaks(x->hint, PASSWORD, key, n, cert))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file cert, key;
	size_t second, first = fuzz_split(data, size, &second);
	dg_findings f = DG_FINDINGS_INIT;
	dg_cert_prints pr;
	char why[256] = "";
	dg_key_password pw = { PASSWORD, 1 }, none = { NULL, 0 };

	if (size > 1 << 18)
		return 0;
	fuzz_file_open(&cert, data, first);
	fuzz_file_open(&key, data + second, size - second);
	if (dg_cert_prints_file(cert.path, &pr, why, sizeof why) == 0) {
		if (!is_hex(pr.sha1_hex, 40) || !is_hex(pr.sha256_hex, 64) || !pr.x5t[0])
			abort();
	} else if (!why[0]) {
		abort();
	}
	dg_m365_check_keys(cert.path, key.path, &pw, "/directory/certificate", &f);
	dg_m365_check_keys(cert.path, key.path, &none, "/directory/certificate", &f);
	dg_m365_check_keys(NULL, key.path, &pw, "/directory/certificate", &f);
	dg_keys_check_ca(cert.path, "/directory/tls/caFile", &f);
	check(&f, data + second, size - second, &(fuzz_public){ data, NULL, first, 0 });
	dg_findings_clear(&f);
	fuzz_file_close(&cert);
	fuzz_file_close(&key);
	return 0;
}
