/* JSON merge patch (RFC 7396) that remembers where each value came from,
 * and ${name} variables in strings.
 *
 * A document built from layers (defaults, a template, a tenant's own
 * fields) answers "which layer, at which pointer of its file, set
 * /directory/server?" so a message about the result can name the line the
 * administrator wrote. */
#ifndef DG_MERGEPATCH_H
#define DG_MERGEPATCH_H

#include "strbuf.h"

#include <cjson/cJSON.h>

typedef struct dg_prov_item {
	char *pointer;        /* in the merged document */
	int layer;            /* caller's number for the source (file, row...) */
	char *src_pointer;    /* where in that source the value was written */
} dg_prov_item;

typedef struct dg_provenance {
	dg_prov_item *items;  /* in patch order: later entries win */
	size_t nr, alloc;
} dg_provenance;

#define DG_PROVENANCE_INIT { NULL, 0, 0 }

/* Applies `patch` (an object) to `target` (an object) as RFC 7396 says:
 * null removes a member, an object merges into an object (replacing
 * anything else), every other value replaces.  Each member set or removed
 * is recorded with `layer` and its pointer below `src_pointer`. */
void dg_merge_patch(cJSON *target, const cJSON *patch, int layer, const char *src_pointer,
		    dg_provenance *prov);

/* Where the value at `pointer` came from: the last layer that wrote it, or
 * (a value nobody wrote, e.g. a missing field) the nearest ancestor that
 * was written.  NULL when no layer wrote it or any ancestor. */
const dg_prov_item *dg_provenance_find(const dg_provenance *prov, const char *pointer);
void dg_provenance_release(dg_provenance *prov);

/* Expands ${NAME} in `in` into `out`: lookup(ctx, NAME) gives the value or
 * NULL for an unknown name; "$${" writes a literal "${".  Returns 0, or -1
 * with *bad set to the unknown name or to "" for a "${" without "}" (the
 * caller frees *bad). */
typedef const char *(*dg_var_lookup)(void *ctx, const char *name);
int dg_template_expand(const char *in, dg_var_lookup lookup, void *ctx, dg_strbuf *out,
		       char **bad);

#endif
