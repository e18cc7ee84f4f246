/* The google-workspace provider: users from the Admin SDK Directory API,
 * live or from saved pages, with Google login. */
#include "../../core/provider.h"
#include "google.h"

extern const char dg_init_google_workspace[];

static const dg_provider_dir dirs[] = {
	{ "google-workspace", dg_init_google_workspace },
	{ NULL, NULL },
};

static const char *const auth_methods[] = { "google-oidc", "google-imap", NULL };

static int probe_directory(const dg_profile *p, const char *test_user, dg_findings *out)
{
	(void)test_user; /* the Directory API has no password logon to try */
	return dg_google_probe(p, out);
}

static dg_code snapshot_write(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      dg_snapshot_written *w, dg_findings *f, dg_error *err)
{
	dg_code code = dg_google_live_snapshot(p, fp, progress, &w->count, &w->source, f, err);

	w->counted = "users";
	if (code == DG_OK)
		w->from = dg_xstrdup(w->source ? w->source : "");
	return code;
}

/* Google's words: a disabled user is "suspended", and archived users are
 * skipped along with suspended ones. */
static void mapping_opts(const dg_profile *p, dg_mapping_opts *o)
{
	o->enabled_only = p->directory.google.enabled_users_only == 1;
	o->skip_archived = 1;
	o->suspended_words = 1;
}

const dg_provider dg_provider_google = {
	.name = "google-workspace",
	.title = "Google Workspace",
	.dirs = dirs,
	.auth_methods = auth_methods,
	.probe_directory = probe_directory,
	.live = &dg_connector_google_live,
	.snapshot = &dg_connector_google_snapshot,
	.snapshot_write = snapshot_write,
	.mapping_opts = mapping_opts,
};
