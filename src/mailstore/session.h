/* What every MailStore command starts with: the profile loaded and valid,
 * the target's password resolved, a client open and connected (metadata
 * loaded; SPE instance checked).  No printing: the caller shows
 * s->findings (profile problems, TLS warnings) and the error. */
#ifndef DG_MS_SESSION_H
#define DG_MS_SESSION_H

#include "api.h"
#include "plan.h"

typedef struct dg_ms_session {
	dg_profile *profile;
	dg_findings findings;
	dg_ms_opts opts;
	dg_ms_client *client;
	char *password;          /* resolved target password, wiped on close */
} dg_ms_session;

/* DG_E_INVALID when the profile has errors (they are in s->findings). */
dg_code dg_ms_session_open(dg_ms_session *s, const char *profile_path,
			   volatile sig_atomic_t *cancel, dg_error *err);
/* The same without connecting (onboard loads the metadata and sets up an
 * SPE instance itself: dg_ms_load_metadata, dg_ms_instance_status). */
dg_code dg_ms_session_open_client(dg_ms_session *s, const char *profile_path,
				  volatile sig_atomic_t *cancel, dg_error *err);
void dg_ms_session_close(dg_ms_session *s);

/* The whole plan for the session's profile: preview (the profile's
 * connector), server state (with GetUserInfo, `parallel` in flight), diff,
 * config through the target map (resolve: see dg_tmap_apply), guards. */
typedef struct dg_plan_run {
	dg_preview preview;
	dg_srv_state state;
	dg_plan plan;
	dg_tmap map;
	cJSON *profile_json;
	cJSON *cfg_after;
} dg_plan_run;

dg_code dg_plan_run_profile(dg_ms_session *s, int resolve, int parallel, dg_plan_run *r,
			    dg_error *err);
void dg_plan_run_release(dg_plan_run *r);
/* The plan file (plan --out): the plan with its profile's absolute path,
 * the configuration to send (secrets as placeholders), sealed (digest). */
dg_code dg_plan_run_saved_text(dg_plan_run *r, const dg_profile *p, dg_strbuf *sb,
			       dg_error *err);

#endif
