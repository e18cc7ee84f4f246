/* libFuzzer target for the Google Workspace readers (src/connectors/
 * google_pages.c, google.c's snapshot reader, Google's API error answers):
 * what dirgate reads from the Directory API or a saved snapshot (token
 * answers are net/oauth.c's, fuzzed by fuzz_oauth).
 *
 * Properties checked on every input:
 *  - no reader crashes, leaks or overflows (sanitizers);
 *  - the snapshot reader either fails with a message naming the snapshot
 *    and a line, or yields one record per user read, each with an entry,
 *    and only registered finding codes;
 *  - the same bytes read as one users page give a record per user counted;
 *  - an API error reason is reported only from an error answer. */
#include "connectors/google.h"
#include "connectors/google_pages.h"
#include "core/profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static dg_profile *profile(void)
{
	static const char text[] =
		"{\"name\": \"fuzz\", \"directory\": {\"type\": \"google-workspace\", "
		"\"adminUser\": \"admin@example.com\", \"snapshot\": \"fuzz.jsonl\", "
		"\"filters\": {\"groups\": [\"Staff\", \"eng@example.com\"]}}}";
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = dg_profile_parse(text, sizeof(text) - 1, "/tmp/fuzz.json", &f);
	if (!p || dg_findings_count(&f, DG_SEV_ERROR))
		abort();
	dg_findings_clear(&f);
	return p;
}

static void check_snapshot(const dg_profile *p, const char *data, size_t size)
{
	dg_fetch_result r = { 0 };
	dg_error err = { 0 };
	dg_code code = dg_google_snapshot_read_mem(p, data, size, "fuzz.jsonl", &r, &err);

	if (code != DG_OK) {
		if (strncmp(err.message, "fuzz.jsonl:", 11))
			abort(); /* every failure names the file and line */
	} else {
		if (r.entries_read != r.users.nr)
			abort();
		for (size_t i = 0; i < r.users.nr; i++)
			if (!r.users.items[i].entry)
				abort();
		for (size_t i = 0; i < r.findings.nr; i++)
			if (!dg_code_lookup(r.findings.items[i].code))
				abort();
	}
	dg_fetch_result_release(&r);
}

static void check_pages(const char *data, size_t size)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	char *names[] = { "Staff", "eng@example.com" };
	dg_strarr sel = { names, 2 };
	dg_google_feed f;
	cJSON *page = dg_google_parse_object(data, size, &why);
	char *next = NULL;

	if (!page && !why.len)
		abort(); /* a refusal always says why */
	dg_google_feed_init(&f, &sel, &l);
	if (page) {
		dg_google_feed_lookup(&f, 0, page, &next, &why);
		free(next);
		dg_google_feed_members(&f, 1, page, &next, &why);
		free(next);
		if (dg_google_feed_users(&f, page, &next, &why) == 0 && f.entries_read != l.nr)
			abort();
		free(next);
	}
	cJSON_Delete(page);
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

static void check_api_error(const char *data, size_t size)
{
	dg_strbuf r = DG_STRBUF_INIT, m = DG_STRBUF_INIT;
	if (dg_google_api_error(data, size, &r, &m) < 0 && (r.len || m.len))
		abort(); /* nothing is reported from a body that is not an error answer */
	dg_strbuf_release(&r);
	dg_strbuf_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dg_profile *p;
	if (!p)
		p = profile(); /* kept for the whole run: parsed once */
	check_snapshot(p, (const char *)data, size);
	check_pages((const char *)data, size);
	check_api_error((const char *)data, size);
	return 0;
}
