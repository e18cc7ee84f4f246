/* Picks the connector for a profile from its provider (core/provider.h)
 * and translates the profile's options into the mapping engine's terms. */
#include "connector.h"

#include "../core/provider.h"

#include <stdlib.h>
#include <string.h>

const dg_connector *dg_connector_for(const dg_profile *p, dg_error *err)
{
	const dg_provider *prov = dg_provider_of(p);
	const char *type = dg_profile_dir_type(p);

	if (p->directory.snapshot) {
		if (prov && prov->snapshot)
			return prov->snapshot;
		dg_error_set(err, DG_E_UNSUPPORTED,
			     "%s snapshots (saved JSON pages) cannot be previewed by this version of "
			     "dirgate yet", type);
		return NULL;
	}
	if (prov && prov->live)
		return prov->live;
	dg_error_set(err, DG_E_UNSUPPORTED,
		     "previewing %s directories (live or from saved JSON pages) is not "
		     "available in this version of dirgate", type);
	return NULL;
}

void dg_fetch_result_release(dg_fetch_result *r)
{
	dg_dir_user_list_clear(&r->users);
	free(r->source_detail);
	r->source_detail = NULL;
	dg_strlist_clear(&r->verified_domains);
	dg_strlist_clear(&r->queries);
	dg_findings_clear(&r->findings);
}

dg_code dg_connector_preview(const dg_profile *p, dg_preview *pv, dg_error *err)
{
	return dg_connector_preview_progress(p, NULL, pv, err);
}

/* The mapping of a preview, begun with the first records that arrive. */
typedef struct preview_map {
	dg_mapping m;
	dg_mapping_opts opts;
	dg_preview *pv;
	int begun;
} preview_map;

static void map_begin(preview_map *pm, int in_arena)
{
	if (!pm->begun)
		dg_mapping_begin(&pm->m, &pm->opts, pm->pv, in_arena);
	pm->begun = 1;
}

/* A settled page's records, mapped while the connector reads the next. */
static void map_settled(void *ctx, dg_dir_user *items, size_t nr, int in_arena)
{
	preview_map *pm = ctx;
	map_begin(pm, in_arena);
	dg_mapping_add_records(&pm->m, items, nr, in_arena);
}

dg_code dg_connector_preview_progress(const dg_profile *p, const dg_progress *progress,
				      dg_preview *pv, dg_error *err)
{
	const dg_connector *conn = dg_connector_for(p, err);
	dg_fetch_result res = { 0 };
	preview_map pm = { .pv = pv };
	dg_code code;

	res.progress = progress;
	if (!conn)
		return err ? err->code : DG_E_UNSUPPORTED;
	dg_connector_mapping_opts(p, &pm.opts);
	res.settled = map_settled;
	res.settled_ctx = &pm;
	if ((code = conn->fetch(p, &res, err)) != DG_OK) {
		/* never a part of the directory presented as a preview */
		if (pm.begun)
			dg_mapping_abort(&pm.m);
		/* The findings say why it stopped, with the fix: keep them, and
		 * the queries that repeat what was asked. */
		dg_findings_move(&pv->findings, &res.findings);
		pv->queries = res.queries;
		memset(&res.queries, 0, sizeof(res.queries));
		dg_fetch_result_release(&res);
		return code;
	}
	map_begin(&pm, res.users.arena != NULL);
	dg_mapping_add_list(&pm.m, &res.users);
	dg_mapping_finish(&pm.m);
	pv->profile_name = dg_xstrdup(p->name ? p->name : "");
	pv->source_type = dg_xstrdup(p->directory.snapshot ? "snapshot" : "live");
	pv->source_detail = dg_xstrdup(res.source_detail ? res.source_detail
							 : p->directory.snapshot);
	pv->directory_type = dg_xstrdup(dg_profile_dir_type(p));
	pv->entries_read = res.entries_read;
	pv->verified_domains = res.verified_domains;
	pv->verified_domains_known = res.verified_domains_known;
	memset(&res.verified_domains, 0, sizeof(res.verified_domains));
	pv->queries = res.queries;
	memset(&res.queries, 0, sizeof(res.queries));
	dg_preview_check_quality(pv);
	dg_findings_move(&pv->findings, &res.findings);
	dg_fetch_result_release(&res);
	return DG_OK;
}

void dg_connector_mapping_opts(const dg_profile *p, dg_mapping_opts *o)
{
	const dg_provider *prov = dg_provider_of(p);

	*o = (dg_mapping_opts){ 0 };
	if (prov && prov->mapping_opts)
		prov->mapping_opts(p, o);
}
