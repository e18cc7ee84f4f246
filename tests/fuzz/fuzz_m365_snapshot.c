/* libFuzzer target: the Microsoft Graph snapshot reader (m365_conn.c's
 * snapshot connector) through the whole preview, with and without a group
 * selection.  Properties: no crash, leak or undefined behaviour; a run
 * that fails says why (an error finding or message); every finding has a
 * registered code; the users and skipped entries add up to at most the
 * entries read. */
#include "connectors/connector.h"
#include "core/findings.h"
#include "core/profile.h"
#include "core/strbuf.h"
#include "fuzz_util.h"

#include <string.h>

static void check_findings(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!dg_code_lookup(f->items[i].code) || !f->items[i].message)
			abort();
}

static int has_error(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (f->items[i].severity == DG_SEV_ERROR)
			return 1;
	return 0;
}

static void preview(const char *snapshot, const char *groups)
{
	dg_findings pf = DG_FINDINGS_INIT;
	char *json = dg_xasprintf(
		"{\"name\": \"f\", \"directory\": {\"type\": \"microsoft-365\", "
		"\"tenantId\": \"015b1e55-614a-4fea-a7ff-59a9f85ebb1a\", "
		"\"clientId\": \"8255370c-5d0d-4f37-97e7-30f9bf8a6fbf\", \"snapshot\": \"%s\", "
		"\"filters\": {\"exchangeUsersOnly\": true, \"groups\": [%s]}}}", snapshot, groups);
	dg_profile *p = dg_profile_parse(json, strlen(json), "fuzz.json", &pf);
	dg_preview pv = { 0 };
	dg_error err = { 0 };

	free(json);
	if (!p)
		abort(); /* the profile is fixed and valid */
	if (dg_connector_preview(p, &pv, &err) != DG_OK) {
		if (!err.message[0] && !has_error(&pv.findings))
			abort(); /* a failure always says why */
	} else if (pv.nusers + pv.nskipped > pv.entries_read) {
		abort(); /* every user and skipped entry was read from the file */
	}
	check_findings(&pv.findings);
	dg_preview_release(&pv);
	dg_profile_free(p);
	dg_findings_clear(&pf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file f;
	if (size > 1 << 20)
		return 0;
	fuzz_file_open(&f, data, size);
	preview(f.path, "");
	preview(f.path, "\"MailStore Users\", \"a46e558d-11cb-4400-aab0-9c1ca969e615\"");
	fuzz_file_close(&f);
	return 0;
}
