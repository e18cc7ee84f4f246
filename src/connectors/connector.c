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

dg_code dg_connector_preview_progress(const dg_profile *p, const dg_progress *progress,
				      dg_preview *pv, dg_error *err)
{
	const dg_connector *conn = dg_connector_for(p, err);
	dg_fetch_result res = { 0 };
	dg_mapping_opts mopts;
	dg_code code;

	res.progress = progress;
	if (!conn)
		return err ? err->code : DG_E_UNSUPPORTED;
	if ((code = conn->fetch(p, &res, err)) != DG_OK) {
		/* The findings say why it stopped, with the fix: keep them, and
		 * the queries that repeat what was asked. */
		dg_findings_move(&pv->findings, &res.findings);
		pv->queries = res.queries;
		memset(&res.queries, 0, sizeof(res.queries));
		dg_fetch_result_release(&res);
		return code;
	}
	dg_connector_mapping_opts(p, &mopts);
	dg_mapping_run_take(&res.users, &mopts, pv);
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
