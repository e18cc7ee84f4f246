/* The google-workspace provider: users from the Admin SDK Directory API,
 * live or from saved pages, with Google login. */
#include "../../core/provider.h"
#include "google_profile.h"
#include "google_rules.h"
#include "google.h"

#include <string.h>

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
	o->enabled_only = dg_google_opts(p)->enabled_users_only == 1;
	o->skip_archived = 1;
	o->suspended_words = 1;
}

static const char *user_name_source(const dg_profile *p)
{
	(void)p;
	return "primaryEmail";
}

/* Google's tokens name the user by e-mail address; IMAP logs any name on. */
static const char *login_refuses(const dg_profile *p, const char *name, int claim_rule,
				 char **buf)
{
	(void)claim_rule;
	if (!dg_profile_method_is(p, "google-oidc") || strchr(name, '@'))
		return NULL;
	*buf = dg_xasprintf("Google names the user in its token by e-mail address, which "
			    "'%s' is not", name);
	return *buf;
}

static const dg_tls_opts *directory_tls(const dg_profile *p)
{
	return &dg_google_opts(p)->tls;
}

const dg_provider dg_provider_google = {
	.name = "google-workspace",
	.redirect_uri = &dg_google_uri_rules,
	.check_offline = dg_google_check_offline,
	.directory_tls = directory_tls,
	.dirs = dg_google_dirs,
	.logins = dg_google_logins,
	.probe_directory = probe_directory,
	.live = &dg_connector_google_live,
	.snapshot = &dg_connector_google_snapshot,
	.snapshot_write = snapshot_write,
	.mapping_opts = mapping_opts,
	.user_name_source = user_name_source,
	.login_refuses = login_refuses,
	.probes_about = "a token by domain-wide delegation, the Directory API, the selected "
			"groups",
	.snapshot_about = "the Admin SDK pages as read (JSON Lines)",
};
