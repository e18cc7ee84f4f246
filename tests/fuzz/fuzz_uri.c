/* libFuzzer target: dg_uri_check on arbitrary bytes, for every provider,
 * with and without SPE.  The first byte picks the SPE instance id so the
 * fuzzer can reach the matching and mismatching instance paths too. */
#include "core/uri.h"
#include "core/uri_rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_all(const char *uri, const char *instance)
{
	static const char *const providers[] = { NULL, "entra", "google", "adfs" };
	for (size_t p = 0; p < sizeof(providers) / sizeof(*providers); p++) {
		const dg_uri_rules *rules = providers[p] ? dg_uri_rules_find(providers[p]) : NULL;
		for (int spe = 0; spe <= 1; spe++) {
			dg_uri_opts o = { rules, spe, spe ? instance : NULL, "/x" };
			dg_findings f = DG_FINDINGS_INIT;
			int errors = dg_uri_check(uri, &o, &f);
			/* the return value is the number of error findings */
			if ((size_t)errors != dg_findings_count(&f, DG_SEV_ERROR))
				abort();
			for (size_t i = 0; i < f.nr; i++)
				if (!dg_code_lookup(f.items[i].code) || !f.items[i].message)
					abort();
			dg_findings_clear(&f);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const instances[] = { NULL, "inst01", "", "INST01" };
	char *uri;
	dg_strbuf shown = DG_STRBUF_INIT;
	if (size > 4096)  /* URIs are short; keep runs fast */
		return 0;
	uri = malloc(size + 1);
	if (!uri)
		return 0;
	memcpy(uri, data, size);
	uri[size] = '\0';   /* embedded NULs just end the string, as in argv */
	check_all(uri, instances[size ? data[0] % 4 : 0]);
	dg_uri_add_display(&shown, uri);
	dg_strbuf_release(&shown);
	if (size)
		dg_uri_psl_check(uri + 1, data[0] & 1, NULL);
	free(uri);
	return 0;
}
