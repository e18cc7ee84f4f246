/* The onboarding manifest (schemas/manifest.schema.json, docs/onboard.md):
 * `defaults` (a partial profile), named `templates`, `onboard` options and
 * `tenants` (inline objects or {"csv": FILE}).  A tenant's profile is
 * defaults, then its template, then its own `profile`, merged as RFC 7396
 * says, with ${tenant.id} and ${tenant.FIELD} expanded in every string.
 *
 * Every message names the manifest's (or the CSV file's) line:column where
 * the value came from, also for findings the profile loader raises on a
 * rendered profile (dg_manifest_relocate). */
#ifndef DG_ONBOARD_MANIFEST_H
#define DG_ONBOARD_MANIFEST_H

#include "../core/error.h"
#include "../core/findings.h"
#include "../core/jsonpos.h"
#include "../core/mergepatch.h"

#include <cjson/cJSON.h>

typedef struct dg_tenant {
	char *id;
	char *template_name;       /* NULL: none */
	cJSON *vars;               /* object: field -> string (id included) */
	const cJSON *profile;      /* the tenant's own patch, or NULL (borrowed) */
	const cJSON *onboard;      /* its onboarding options patch, or NULL */
	char *src_pointer;         /* "/tenants/3"; NULL for a CSV row */
	int csv_line;              /* 0 unless from the CSV file */
	size_t index;              /* position in the manifest (or CSV) */
	dg_findings findings;      /* this tenant's entry is wrong (FLEET001-003):
				      it fails, the others go on */
} dg_tenant;

typedef struct dg_manifest {
	char *file, *dir;          /* as given; its directory (absolute) */
	char *csv_file;            /* the tenants CSV (resolved), or NULL */
	dg_jsonpos pos;
	cJSON *root;
	dg_tenant *tenants;
	size_t nr, alloc;
} dg_manifest;

/* Loads and validates the manifest: syntax, keys, types, tenants (ids
 * unique, templates known), the CSV file.  Problems of the document are
 * FLEET findings in `out`, those of one tenant's entry in its `findings`; NULL only when the file cannot be read (err set). */
dg_manifest *dg_manifest_load(const char *path, dg_findings *out, dg_error *err);
void dg_manifest_free(dg_manifest *m);

/* One tenant's profile: merged, variables expanded, `name` defaulting to
 * the id, relative paths made absolute (against the manifest's directory)
 * so the text can be saved and used anywhere.  The text is the profile
 * file to write; findings (unknown variables) go to `out` located in the
 * manifest.  Returns 0, or -1 when the profile could not be built. */
typedef struct dg_rendered {
	char *text;                /* the profile JSON, pretty */
	cJSON *onboard;            /* merged onboarding options (object) */
	dg_provenance prov;        /* layer 0: the manifest; 1: the CSV file */
} dg_rendered;
int dg_manifest_render(const dg_manifest *m, const dg_tenant *t, dg_rendered *r,
		       dg_findings *out);
void dg_rendered_release(dg_rendered *r);

/* Points each finding about a profile field (its JSON pointer) at the place
 * in the manifest (or CSV file) where the value came from. */
void dg_manifest_relocate(const dg_manifest *m, const dg_tenant *t, const dg_rendered *r,
			  dg_findings *f);

/* Tenant ids are file names in the artefacts directory. */
int dg_tenant_id_valid(const char *id);

#endif
