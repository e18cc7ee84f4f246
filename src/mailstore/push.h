/* Setting the directory-services configuration (push, and onboard's push
 * of a saved plan): the backup object, the Set, the read-back.  No
 * printing: the outcome says what happened and the caller tells it. */
#ifndef DG_MS_PUSH_H
#define DG_MS_PUSH_H

#include "session.h"

/* A copy with every secret the target map knows masked. */
cJSON *dg_push_masked(const dg_tmap *map, const cJSON *cfg);
/* "/key, /key2": top-level keys whose (masked) values differ; each also
 * as "/key" in `keys` unless it is NULL. */
void dg_push_differing_keys(const dg_tmap *map, const cJSON *a, const cJSON *b,
			    dg_strbuf *out, dg_strlist *keys);
/* The backup document of the configuration the server has now (secrets
 * masked unless include_secrets). */
cJSON *dg_push_backup_json(const dg_profile *p, const dg_tmap *map, const cJSON *current,
			   int include_secrets);

typedef enum dg_push_outcome {
	DG_PUSH_KEPT,            /* set and read back: the server kept every key */
	DG_PUSH_REFUSED,         /* the server answered "failed" (or refused before
				    sending): nothing applied; err says why */
	DG_PUSH_LOST,            /* the Set's answer was lost (API014): lost_state */
	DG_PUSH_READBACK_FAILED, /* sent; reading it back failed (err) */
	DG_PUSH_NOT_KEPT,        /* read back, some keys differ (API010): keys */
} dg_push_outcome;

typedef struct dg_push_result {
	dg_push_outcome outcome;
	const char *lost_state;  /* DG_PUSH_LOST: what reading back showed */
	dg_strbuf keys;          /* DG_PUSH_NOT_KEPT: the keys that differ */
} dg_push_result;

/* SetDirectoryServicesConfiguration with `cfg` (secrets resolved), then
 * GetDirectoryServicesConfiguration and compare.  `current` is what the
 * server had before (to tell a lost answer's effect).  Returns DG_OK only
 * for DG_PUSH_KEPT. */
dg_code dg_push_set(dg_ms_client *c, const dg_tmap *map, const cJSON *current,
		    const cJSON *cfg, dg_push_result *res, dg_error *err);
void dg_push_result_release(dg_push_result *res);

#endif
