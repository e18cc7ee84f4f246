/* libFuzzer target: an AD FS discovery document and a JWKS, as
 * dirgate check reads them (adfs_probe.c), without the network. */
#include "connectors/adfs/adfs_probe.h"
#include "core/findings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_findings f = DG_FINDINGS_INIT;
	char why[128], *jwks;
	int n;

	if (size > 1 << 18)
		return 0;
	jwks = dg_adfs_check_discovery((const char *)data, size, "https://adfs.contoso.com", &f);
	if (jwks && strncmp(jwks, "https://", 8))
		abort();  /* keys are only ever fetched over https */
	for (size_t i = 0; i < f.nr; i++)
		if (!dg_code_lookup(f.items[i].code) || !f.items[i].message)
			abort();
	free(jwks);
	dg_findings_clear(&f);
	n = dg_adfs_jwks_rsa_keys((const char *)data, size, why, sizeof why);
	if (n < -1 || !why[0])
		abort();
	return 0;
}
