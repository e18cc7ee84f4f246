/* libFuzzer target: the files push and migrate read back (mailstore/
 * plan.c, targetmap.c through their public functions): a saved plan, a
 * rename list ("old=new" lines) and a configuration backup.  Properties:
 * no crash, leak or undefined behaviour; a refusal says why; a loaded plan
 * has its profile path, a 64-character fingerprint and a configAfter
 * object; a loaded rename list has non-empty, distinct names; unmasking a
 * backup against itself changes nothing. */
#include "mailstore/plan.h"
#include "mailstore/targetmap.h"
#include "fuzz_util.h"

#include <string.h>
#include <strings.h>

static void saved_plan(const char *path)
{
	dg_saved_plan sp;
	dg_error err = { 0 };
	(void)dg_is_plan_file(path);
	if (dg_saved_plan_load(path, &sp, &err) == DG_OK) {
		if (!sp.profile_path || !sp.fingerprint || strlen(sp.fingerprint) != 64 ||
		    !cJSON_IsObject(sp.config_after))
			abort();
	} else if (!err.message[0]) {
		abort();
	}
	dg_saved_plan_release(&sp);
}

static void renames(const char *path)
{
	dg_rename_list l;
	dg_error err = { 0 };
	if (dg_renames_load(path, &l, &err) != DG_OK) {
		if (!err.message[0] || l.nr)
			abort();
		return;
	}
	for (size_t i = 0; i < l.nr; i++) {
		if (!*l.items[i].from || !*l.items[i].to || strchr(l.items[i].from, '=') ||
		    l.items[i].line < 1)
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(l.items[i].from, l.items[j].from) ||
			    !strcasecmp(l.items[i].to, l.items[j].to))
				abort();
	}
	dg_renames_release(&l);
}

/* As push --restore reads a backup: {"dirgateBackup": ..., "config": {...}}
 * or a bare configuration object. */
static void backup(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size), *cfg, *copy;
	if (!root)
		return;
	cfg = cJSON_GetObjectItemCaseSensitive(root, "dirgateBackup")
	      ? cJSON_GetObjectItemCaseSensitive(root, "config") : root;
	if (cJSON_IsObject(cfg)) {
		int masked = dg_tmap_has_mask(cfg);
		char *before, *after;
		copy = cJSON_Duplicate(cfg, 1);
		dg_tmap_unmask(copy, cfg);
		/* printed, not cJSON_Compare: that one fails on duplicate keys */
		before = cJSON_PrintUnformatted(cfg);
		after = cJSON_PrintUnformatted(copy);
		if (!before || !after || strcmp(before, after) || dg_tmap_has_mask(copy) != masked)
			abort();
		cJSON_free(before);
		cJSON_free(after);
		cJSON_Delete(copy);
	}
	cJSON_Delete(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file f;
	if (size > 1 << 18)
		return 0;
	fuzz_file_open(&f, data, size);
	saved_plan(f.path);
	renames(f.path);
	backup(data, size);
	fuzz_file_close(&f);
	return 0;
}
