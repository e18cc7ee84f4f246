/* libFuzzer target: the parsers of what a MailStore server (or a file an
 * administrator edits) hands dirgate.  The first byte picks one:
 *   0  a status envelope (dg_ms_envelope_parse), BOM or not
 *   1  a target map (dg_tmap_parse)
 *   2  a configuration object: mask, placeholders, unmask against itself
 *   3  JSON pointers: the input split into a document and a pointer
 *   4  get-metadata's answer (dg_ms_metadata_parse): bare array or envelope */
#include "core/jsonexact.h"
#include "mailstore/api.h"
#include "mailstore/targetmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What is printed with kept number text reads back to the same text. */
static void exact_roundtrip(const cJSON *result)
{
	char *text = result ? dg_json_print_exact(result, 0) : NULL;
	cJSON *again = text ? dg_json_parse_exact(text, strlen(text), NULL) : NULL;
	char *text2 = again ? dg_json_print_exact(again, 0) : NULL;

	if (result && (!text2 || strcmp(text, text2)))
		abort();
	cJSON_free(text2);
	cJSON_Delete(again);
	cJSON_free(text);
}

static void envelope(const char *s, size_t n)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };

	if (dg_ms_envelope_parse(s, n, &env, &err) == DG_OK) {
		if (!env.status_code)
			abort();   /* DG_OK promises a statusCode */
		if (env.percent < -1 || env.percent > 100)
			abort();
		exact_roundtrip(env.result);
	} else if (!err.message[0]) {
		abort();       /* every failure says why */
	}
	dg_ms_envelope_release(&env);
}

static void metadata(const char *s, size_t n)
{
	dg_ms_metadata md;
	dg_error err = { 0 };

	if (dg_ms_metadata_parse(s, n, &md, &err) == DG_OK) {
		if (!md.nr)
			abort();   /* DG_OK promises at least one function */
		for (size_t i = 0; i < md.nr; i++)
			if (!md.funcs[i].name)
				abort();
		dg_ms_metadata_release(&md);
	} else if (!err.message[0] || md.nr || md.funcs) {
		abort();       /* a failure says why and leaves nothing behind */
	}
}

static void tmap(const char *s, size_t n)
{
	dg_tmap map;
	dg_error err = { 0 };

	if (dg_tmap_parse(&map, s, n, "fuzz", &err) == DG_OK)
		dg_tmap_release(&map);
}

static void config(const char *s, size_t n)
{
	static dg_tmap map;
	static int loaded;
	dg_error err = { 0 };
	cJSON *cfg = cJSON_ParseWithLength(s, n), *copy;

	if (!loaded)
		loaded = dg_tmap_load_default(&map, &err) == DG_OK;
	if (!cfg || !loaded) {
		cJSON_Delete(cfg);
		return;
	}
	copy = cJSON_Duplicate(cfg, 1);
	dg_tmap_redact(&map, NULL, copy, DG_TMAP_MASK);
	dg_tmap_unmask(copy, cfg);
	dg_tmap_redact(&map, NULL, copy, DG_TMAP_PLACEHOLDER);
	cJSON_Delete(copy);
	cJSON_Delete(cfg);
}

static void pointer(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	cJSON *doc;
	char *ptr;

	if (!nl)
		return;
	doc = cJSON_ParseWithLength(s, (size_t)(nl - s));
	ptr = strndup(nl + 1, n - (size_t)(nl - s) - 1);
	if (doc && ptr) {
		(void)dg_json_pointer_get(doc, ptr);
		if (cJSON_IsObject(doc) && dg_json_pointer_set(doc, ptr, cJSON_CreateTrue()) == 0 &&
		    *ptr == '/' && !cJSON_IsTrue(dg_json_pointer_get(doc, ptr)))
			abort();   /* what was set must be found again */
	}
	free(ptr);
	cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: envelope(s, size - 1); break;
	case 1: tmap(s, size - 1); break;
	case 2: config(s, size - 1); break;
	case 3: pointer(s, size - 1); break;
	default: metadata(s, size - 1); break;
	}
	return 0;
}
