/* libFuzzer target: a Google service-account key file (google_auth.c's
 * loader and google_keys.c's offline check).  Properties: no crash, leak or
 * undefined behaviour; a loaded key has its e-mail and private key; a
 * refusal says why; every finding has a registered code; no message shows
 * a line of the private key (unless the same bytes are also in another
 * field, which messages may quote). */
#include "connectors/google/google_auth.h"
#include "connectors/google/google_keys.h"
#include "core/findings.h"
#include "fuzz_util.h"

#include <cjson/cJSON.h>

#include <string.h>

/* The private_key value (what no message may show) and the rest of the
 * key file printed without it (what messages may quote, e.g. a
 * client_email a fuzzer made of key bytes); NULLs when the file is not a
 * JSON object with a private_key string. */
static void split_key(const uint8_t *data, size_t size, char **key, char **rest)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size), *k;
	*key = *rest = NULL;
	k = cJSON_DetachItemFromObjectCaseSensitive(root, "private_key");
	if (cJSON_IsString(k)) {
		*key = strdup(k->valuestring);
		*rest = cJSON_PrintUnformatted(root);
	}
	cJSON_Delete(k);
	cJSON_Delete(root);
}

static int shows_key(const char *text, const char *key, const char *rest)
{
	fuzz_public pub = { (const uint8_t *)rest, NULL, rest ? strlen(rest) : 0, 0 };
	return key && fuzz_leaks(text, NULL, (const uint8_t *)key, strlen(key), &pub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file f;
	dg_google_key k = { 0 };
	dg_error err = { 0 };
	dg_findings out = DG_FINDINGS_INIT;
	char *key, *rest;

	if (size > 1 << 18)
		return 0;
	split_key(data, size, &key, &rest);
	fuzz_file_open(&f, data, size);
	if (dg_google_key_load(f.path, &k, &err) == DG_OK) {
		if (!k.client_email || !k.private_key || !k.private_key_len)
			abort();
	} else if (!err.message[0] || shows_key(err.message, key, rest)) {
		abort();
	}
	dg_google_key_free(&k);
	dg_google_check_key_file(f.path, "/directory/serviceAccountKeyFile", &out);
	for (size_t i = 0; i < out.nr; i++)
		if (!dg_code_lookup(out.items[i].code) || shows_key(out.items[i].message, key, rest) ||
		    shows_key(out.items[i].hint, key, rest))
			abort();
	dg_findings_clear(&out);
	fuzz_file_close(&f);
	free(key);
	cJSON_free(rest);
	return 0;
}
