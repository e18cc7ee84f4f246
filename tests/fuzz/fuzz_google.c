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
 *  - the same bytes read as one users page, streamed whole or in two
 *    pieces, give the same records, one per user counted, and as many as
 *    cJSON finds elements in "users";
 *  - an API error reason is reported only from an error answer. */
#include "connectors/google/google.h"
#include "connectors/google/google_pages.h"
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

/* The bytes as one users.list page, streamed in two pieces split at `cut`. */
static int read_users(const char *data, size_t size, size_t cut, dg_dir_user_list *l,
		      size_t *entries)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_google_feed f;
	dg_google_users_reader *r;
	char *next = NULL;
	int rc;

	dg_google_feed_init(&f, NULL, l);
	r = dg_google_users_reader_new(&f);
	rc = dg_google_users_feed(r, data, cut, &why);
	if (rc == 0)
		rc = dg_google_users_feed(r, data + cut, size - cut, &why);
	if (rc == 0)
		rc = dg_google_users_finish(r, &next, &why);
	if (rc < 0 && !why.len)
		abort(); /* a refusal always says why */
	if (rc == 0 && next && !*next)
		abort(); /* an empty token is the last page, not a link */
	if (rc == 0 && f.entries_read != l->nr)
		abort(); /* one record per user counted */
	if (rc < 0 && f.entries_read)
		abort(); /* a refused page adds nothing to the counts */
	*entries = f.entries_read;
	free(next);
	dg_google_users_reader_free(r);
	dg_google_feed_release(&f);
	dg_strbuf_release(&why);
	return rc;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void same_users(const dg_dir_user_list *a, const dg_dir_user_list *b)
{
	if (a->nr != b->nr)
		abort();
	for (size_t i = 0; i < a->nr; i++) {
		const dg_dir_user *x = &a->items[i], *y = &b->items[i];
		if (!same_str(x->entry, y->entry) || !same_str(x->name_value, y->name_value) ||
		    !same_str(x->full_name, y->full_name) || x->mails.nr != y->mails.nr ||
		    x->disabled != y->disabled || x->archived != y->archived)
			abort();
		for (size_t j = 0; j < x->mails.nr; j++)
			if (strcmp(x->mails.items[j], y->mails.items[j]))
				abort();
	}
}

/* However a users page is split, the stream reader finds the same users;
 * a page cJSON reads as an object with a "users" array has a record per
 * element when the reader accepts it; group pages read as trees. */
static void check_pages(const char *data, size_t size)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_dir_user_list whole = DG_DIR_USER_LIST_INIT, split = DG_DIR_USER_LIST_INIT;
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	char *names[] = { "Staff", "eng@example.com" };
	dg_strarr sel = { names, 2 };
	dg_google_feed f;
	cJSON *page = dg_google_parse_object(data, size, &why);
	size_t n_whole, n_split;
	int rc_whole = read_users(data, size, size, &whole, &n_whole);
	int rc_split = read_users(data, size, size ? (unsigned char)data[0] % size : 0, &split,
				  &n_split);
	char *next = NULL;

	if (rc_whole != rc_split || n_whole != n_split)
		abort();
	if (rc_whole == 0)
		same_users(&whole, &split);
	if (!page && !why.len)
		abort(); /* a refusal always says why */
	if (page && rc_whole == 0) {
		const cJSON *users = cJSON_GetObjectItemCaseSensitive(page, "users");
		if (cJSON_IsArray(users) && (size_t)cJSON_GetArraySize(users) != n_whole)
			abort();
	}
	dg_google_feed_init(&f, &sel, &l);
	if (page) {
		dg_google_feed_lookup(&f, 0, page, &next, &why);
		free(next);
		dg_google_feed_members(&f, 1, page, &next, &why);
		free(next);
	}
	cJSON_Delete(page);
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&whole);
	dg_dir_user_list_clear(&split);
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
