/* The target map (schemas/mailstore/directory-services.json): which key of
 * MailStore's directory-services configuration object each profile field
 * sets.  The object's layout is not published, so dirgate never builds one:
 * it takes what GetDirectoryServicesConfiguration returned, changes only the
 * keys the map names, and keeps every other key (read-modify-write).
 *
 * The map is compiled into the program (targetmap_data.c, generated from the
 * JSON file at build time) so an installed dirgate cannot lose it. */
#ifndef DG_MS_TARGETMAP_H
#define DG_MS_TARGETMAP_H

#include "../core/error.h"
#include "../core/profile.h"
#include "../core/strbuf.h"

#include <cjson/cJSON.h>

typedef struct dg_tmap_entry {
	char *profile;          /* JSON pointer into the profile */
	char *config;           /* JSON pointer into the config object */
	char *status;           /* "documented" or "assumed" */
	dg_strlist types;       /* directory types it applies to; empty: all */
	cJSON *values;          /* enum translation, or NULL */
	int secret;
} dg_tmap_entry;

typedef struct dg_tmap {
	dg_tmap_entry *items;
	size_t nr, alloc;
} dg_tmap;

/* The built-in map. */
dg_code dg_tmap_load_default(dg_tmap *map, dg_error *err);
/* A map from text; `name` is used in messages. */
dg_code dg_tmap_parse(dg_tmap *map, const char *text, size_t len, const char *name,
		      dg_error *err);
void dg_tmap_release(dg_tmap *map);

/* One key the profile changes. */
typedef struct dg_cfg_change {
	char *config;           /* config pointer */
	char *profile;          /* profile pointer */
	const char *status;     /* "documented" / "assumed" (points into the map) */
	cJSON *before, *after;  /* owned; before NULL when the key was absent */
	int secret;
	int compared;           /* secret: 0 when the value could not be resolved */
} dg_cfg_change;

typedef struct dg_cfg_diff {
	dg_cfg_change *items;
	size_t nr, alloc;
} dg_cfg_diff;

void dg_cfg_diff_release(dg_cfg_diff *d);
/* Changes that count (secrets only when compared). */
size_t dg_cfg_diff_count(const dg_cfg_diff *d);

/* Applies the profile onto a copy of `server_cfg`: *out is the object to
 * send, with resolved secrets when `resolve` is set (a secret that cannot
 * be resolved is an error then; without `resolve` secrets are tried and
 * left out of the comparison when unavailable).  `diff` lists the keys whose
 * value changes.  `profile_json` is the profile file's JSON. */
dg_code dg_tmap_apply(const dg_tmap *map, const dg_profile *p, const cJSON *profile_json,
		      const cJSON *server_cfg, int resolve, cJSON **out, dg_cfg_diff *diff,
		      dg_error *err);

/* Secret handling of a config object (in place): every secret key of the
 * map, every string under a key whose name says secret (password, pwd,
 * secret, token, privateKey, apiKey, credential, ...; without case, '-' and
 * '_'), and every string shaped like one (a PEM block, a JWT, a long run of
 * base64 or hex) outside the map's plain keys becomes "********" - except,
 * in PLACEHOLDER mode, the map's secret keys the profile `p` supplies, which
 * become {"$secret": "<profile pointer>"} for push to resolve again. */
enum { DG_TMAP_MASK, DG_TMAP_PLACEHOLDER };
void dg_tmap_redact(const dg_tmap *map, const dg_profile *p, cJSON *cfg, int mode);
/* Whether cfg still holds a "********" mask anywhere (a masked backup). */
int dg_tmap_has_mask(const cJSON *cfg);
/* Replaces masks in `cfg` by the value at the same place (key or index) in
 * `current`. */
void dg_tmap_unmask(cJSON *cfg, const cJSON *current);
#define DG_TMAP_MASK_TEXT "********"

/* JSON pointer helpers (RFC 6901). */
cJSON *dg_json_pointer_get(const cJSON *root, const char *ptr);
/* Replaces or adds the value (taking ownership), creating objects on the way. */
int dg_json_pointer_set(cJSON *root, const char *ptr, cJSON *value);

/* Wipes every string in a tree and deletes it (trees that held a
 * resolved secret). */
void dg_json_wipe_delete(cJSON *node);

/* Reads a profile file's JSON (for the map's profile pointers). */
cJSON *dg_profile_json(const dg_profile *p, dg_error *err);

#endif
