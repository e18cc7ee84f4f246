/* Opening a MailStore session from a profile: see session.h. */
#include "session.h"

#include "../connectors/connector.h"
#include "../core/secret.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dg_code dg_ms_session_open(dg_ms_session *s, const char *profile_path,
			   volatile sig_atomic_t *cancel, dg_error *err)
{
	dg_code rc = dg_ms_session_open_client(s, profile_path, cancel, err);

	return rc ? rc : dg_ms_connect(s->client, err);
}

dg_code dg_ms_session_open_client(dg_ms_session *s, const char *profile_path,
				  volatile sig_atomic_t *cancel, dg_error *err)
{
	memset(s, 0, sizeof(*s));
	s->profile = dg_profile_load(profile_path, &s->findings, err);
	if (!s->profile)
		return err->code;
	if (dg_findings_count(&s->findings, DG_SEV_ERROR))
		return dg_error_set(err, DG_E_INVALID, "profile %s has errors; "
				    "'dirgate check %s' lists them", profile_path, profile_path);
	s->opts.cancel = cancel;
	s->client = dg_ms_open_profile(s->profile, &s->opts, &s->password, &s->findings, err);
	return s->client ? DG_OK : err->code;
}

void dg_ms_session_close(dg_ms_session *s)
{
	dg_ms_close(s->client);
	dg_secret_free(s->password);
	dg_profile_free(s->profile);
	dg_findings_clear(&s->findings);
	memset(s, 0, sizeof(*s));
}

dg_code dg_plan_run_profile(dg_ms_session *s, int resolve, int parallel, dg_plan_run *r,
			    dg_error *err)
{
	dg_code rc;

	memset(r, 0, sizeof(*r));
	rc = dg_tmap_load_default(&r->map, err);
	if (rc)
		return rc;
	r->profile_json = dg_profile_json(s->profile, err);
	if (!r->profile_json)
		return err->code;
	/* The server first: its GetUsers answer (body and JSON tree) is the
	 * biggest transient allocation and is gone before the preview of a
	 * large directory is built, so the two never add up. */
	rc = dg_srv_fetch(s->client, 1, parallel, &r->state, err);
	if (rc)
		return rc;
	rc = dg_connector_preview(s->profile, &r->preview, err);
	if (rc)
		return rc;
	if (dg_findings_count(&r->preview.findings, DG_SEV_ERROR))
		return dg_error_set(err, DG_E_INVALID, "the directory preview has errors; "
				    "'dirgate preview %s' shows them", s->profile->file);
	rc = dg_plan_build(s->profile, &r->map, r->profile_json, &r->preview, &r->state,
			   resolve, &r->plan, &r->cfg_after, err);
	/* The plan reports what the preview found too (as preview does). */
	dg_findings_move(&r->plan.findings, &r->preview.findings);
	return rc;
}

void dg_plan_run_release(dg_plan_run *r)
{
	dg_plan_release(&r->plan);
	dg_srv_state_release(&r->state);
	dg_preview_release(&r->preview);
	dg_tmap_release(&r->map);
	cJSON_Delete(r->profile_json);
	dg_json_wipe_delete(r->cfg_after);
	memset(r, 0, sizeof(*r));
}

dg_code dg_plan_run_saved_text(dg_plan_run *r, const dg_profile *p, dg_strbuf *sb,
			       dg_error *err)
{
	char real[PATH_MAX];
	dg_plan_file_info info;
	cJSON *cfg = cJSON_Duplicate(r->cfg_after, 1);
	dg_code rc;

	if (!realpath(p->file, real))
		snprintf(real, sizeof(real), "%s", p->file);
	dg_tmap_redact(&r->map, p, cfg, DG_TMAP_PLACEHOLDER);
	info.profile_path = real;
	info.config_after = cfg;
	dg_plan_json(sb, &r->plan, p, &r->state, &info);
	rc = dg_plan_seal(sb, real, err);
	cJSON_Delete(cfg);
	return rc;
}
