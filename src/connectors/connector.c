/* Picks the connector for a profile and translates the profile's options
 * into the mapping engine's terms.  ldap and active-directory directories
 * are read live or from an LDIF snapshot; the cloud directories' connectors
 * arrive with their own issue, and until then the tool says so plainly. */
#include "connector.h"

#include "google/google.h"
#include "ldap/ldap_live.h"
#include "m365/m365_conn.h"
#include "ldap/snapshot_ldap.h"

#include <stdlib.h>
#include <string.h>

const dg_connector *dg_connector_for(const dg_profile *p, dg_error *err)
{
	dg_dir_type t = p->directory.type;
	if (p->directory.snapshot) {
		if (t == DG_DIR_LDAP || t == DG_DIR_ACTIVE_DIRECTORY)
			return &dg_connector_ldap_snapshot;
		if (t == DG_DIR_M365)
			return &dg_connector_m365_snapshot;
		if (t == DG_DIR_GOOGLE)
			return &dg_connector_google_snapshot;
		dg_error_set(err, DG_E_UNSUPPORTED,
			     "%s snapshots (saved JSON pages) cannot be previewed by this version of "
			     "dirgate yet", dg_dir_type_name(t));
		return NULL;
	}
	if (t == DG_DIR_LDAP || t == DG_DIR_ACTIVE_DIRECTORY)
		return &dg_connector_ldap_live;
	if (t == DG_DIR_M365)
		return &dg_connector_m365_live;
	if (t == DG_DIR_GOOGLE)
		return &dg_connector_google_live;
	dg_error_set(err, DG_E_UNSUPPORTED,
		     "previewing %s directories (live or from saved JSON pages) is not "
		     "available in this version of dirgate", dg_dir_type_name(t));
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
	pv->directory_type = dg_xstrdup(dg_dir_type_name(p->directory.type));
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

static int on(int v)
{
	return v == 1;
}

void dg_connector_mapping_opts(const dg_profile *p, dg_mapping_opts *o)
{
	const dg_directory *d = &p->directory;
	*o = (dg_mapping_opts){ 0 };
	switch (d->type) {
	case DG_DIR_ACTIVE_DIRECTORY:
		o->local_part_only = dg_profile_user_name_format(p) == DG_UNF_UPN_LOCAL;
		o->enabled_only = on(d->ad.enabled_users_only);
		o->exchange_only = on(d->ad.exchange_users_only);
		o->visible_only = on(d->ad.visible_in_address_lists_only);
		break;
	case DG_DIR_LDAP:
		o->local_part_only = on(d->ldap.local_part_only);
		break;
	case DG_DIR_M365:
		o->enabled_only = on(d->m365.enabled_users_only);
		o->exchange_only = on(d->m365.exchange_users_only);
		break;
	case DG_DIR_GOOGLE:
		o->enabled_only = on(d->google.enabled_users_only);
		o->skip_archived = 1;
		o->suspended_words = 1;
		break;
	case DG_DIR_NONE:
		break;
	}
}
