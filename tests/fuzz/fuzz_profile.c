/* Fuzz target for the profile loader (jsonpos + cJSON + the validating
 * walk).  Besides not crashing, every finding must be registered in
 * codes.def and located inside the text, and the secret references the
 * profile reports must be the ones it holds. */
#include "core/findings.h"
#include "connectors/ldap/ldap_profile.h"
#include "core/jsonpos.h"
#include "core/profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_findings(const dg_findings *f, const uint8_t *data, size_t size)
{
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || data[i] == '\r';
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *fd = &f->items[i];
		if (!dg_code_lookup(fd->code) || !fd->message || !fd->path)
			abort();
		if (fd->line < 0 || (size_t)fd->line > lines || fd->column < 0)
			abort();
		if (fd->path[0] && fd->path[0] != '/')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_findings f = DG_FINDINGS_INIT;
	const dg_secret_ref *refs[8];
	dg_jsonpos ix;
	dg_profile *p = dg_profile_parse((const char *)data, size, "/fuzz/profile.json", &f);
	size_t n = dg_profile_secrets(p, refs, 8);
	check_findings(&f, data, size);
	for (size_t i = 0; i < n && i < 8; i++)
		if (refs[i]->kind == DG_SECRET_NONE || !refs[i]->path || refs[i]->path[0] != '/' ||
		    (refs[i]->kind != DG_SECRET_PROMPT && !refs[i]->ref))
			abort();
	(void)dg_profile_ldap_port(p);
	(void)dg_profile_user_name_format(p);
	dg_findings_clear(&f);
	dg_profile_free(p);

	/* the indexer on its own: lookups of what it found must succeed */
	if (dg_jsonpos_index(&ix, (const char *)data, size) == 0) {
		for (size_t i = 0; i < ix.nr; i++)
			if (dg_jsonpos_find(&ix, ix.items[i].pointer) != &ix.items[i])
				abort();
	} else if (!ix.err_message || ix.err_line < 1 || ix.err_column < 1) {
		abort();
	}
	dg_jsonpos_release(&ix);
	return 0;
}
