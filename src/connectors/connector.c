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

/* The mapping of a preview, begun with the first records that arrive,
 * and the per-user quality rules with it, judged by the verified domains
 * as the connector knew them then (a copy: the connector may go on). */
typedef struct preview_map {
	dg_mapping m;
	dg_mapping_opts opts;
	dg_preview *pv;
	const dg_fetch_result *res;
	int begun, known;
	dg_strlist domains;
} preview_map;

/* `during`: the fetch goes on, and the per-user quality rules may as
 * well run with the mapping; after it they run as one pass, as before. */
static void map_begin(preview_map *pm, int in_arena, int during)
{
	const dg_fetch_result *res = pm->res;
	dg_quality_opts q = { NULL };

	if (pm->begun)
		return;
	pm->begun = 1;
	dg_mapping_begin(&pm->m, &pm->opts, pm->pv, in_arena);
	if (!during || pm->pv->quality.nr)
		return;  /* a caller's own: the rules run once over all, at the end */
	pm->known = res->verified_domains_known;
	for (size_t i = 0; pm->known && i < res->verified_domains.nr; i++)
		dg_strlist_push(&pm->domains, res->verified_domains.items[i]);
	if (pm->known)
		q.verified_domains = &pm->domains;
	dg_mapping_quality(&pm->m, &q);
}

/* The quality rules' rest, or all of them again when the verified
 * domains changed after the mapping began (no connector does that yet). */
static void finish_quality(preview_map *pm)
{
	dg_preview *pv = pm->pv;
	if (pm->m.quality && pm->known == pv->verified_domains_known &&
	    (!pm->known || dg_strlist_equal(&pm->domains, &pv->verified_domains)))
		dg_preview_finish_quality(pv);
	else
		dg_preview_check_quality(pv);
	dg_strlist_clear(&pm->domains);
}

/* A settled page's records, mapped while the connector reads the next. */
static void map_settled(void *ctx, dg_dir_user *items, size_t nr, int in_arena)
{
	preview_map *pm = ctx;
	map_begin(pm, in_arena, 1);
	dg_mapping_add_records(&pm->m, items, nr, in_arena);
}

dg_code dg_connector_preview_progress(const dg_profile *p, const dg_progress *progress,
				      dg_preview *pv, dg_error *err)
{
	const dg_connector *conn = dg_connector_for(p, err);
	dg_fetch_result res = { 0 };
	preview_map pm = { .pv = pv, .res = &res };
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
		dg_strlist_clear(&pm.domains);
		/* The findings say why it stopped, with the fix: keep them, and
		 * the queries that repeat what was asked. */
		dg_findings_move(&pv->findings, &res.findings);
		pv->queries = res.queries;
		memset(&res.queries, 0, sizeof(res.queries));
		dg_fetch_result_release(&res);
		return code;
	}
	map_begin(&pm, res.users.arena != NULL, 0);
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
	finish_quality(&pm);
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
