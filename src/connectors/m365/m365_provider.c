/* The microsoft-365 provider: Entra ID users through Microsoft Graph, live
 * or from saved Graph pages, with Microsoft 365 login. */
#include "../../core/provider.h"
#include "m365_profile.h"
#include "m365_rules.h"
#include "m365_conn.h"

#include <string.h>

static int probe_directory(const dg_profile *p, const char *test_user, dg_findings *out)
{
	(void)test_user; /* Graph has no password logon to try */
	return dg_m365_probe(p, out);
}

/* Graph's URLs are fixed: the tenant says where the users came from. */
static dg_code snapshot_write(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      dg_snapshot_written *w, dg_findings *f, dg_error *err)
{
	const char *tenant = dg_m365_opts(p)->tenant_id;
	dg_code code = dg_m365_snapshot(p, fp, progress, &w->count, f, err);

	w->counted = "users";
	if (code == DG_OK) {
		w->tenant = dg_xstrdup(tenant);
		w->from = dg_xasprintf("Microsoft Graph (tenant %s)", tenant);
	}
	return code;
}

static void mapping_opts(const dg_profile *p, dg_mapping_opts *o)
{
	o->enabled_only = dg_m365_opts(p)->enabled_users_only == 1;
	o->exchange_only = dg_m365_opts(p)->exchange_users_only == 1;
}

static const char *user_name_source(const dg_profile *p)
{
	(void)p;
	return "userPrincipalName";
}

/* Entra ID's tokens name the user by user principal name. */
static const char *login_refuses(const dg_profile *p, const char *name, int claim_rule,
				 char **buf)
{
	(void)claim_rule;
	if (dg_profile_method_is(p, "microsoft-365-basic"))
		return "Microsoft has turned off basic authentication in Exchange Online "
		       "(AUTH007)";
	if (strchr(name, '@'))
		return NULL;
	*buf = dg_xasprintf("Microsoft 365 names the user in its token by user principal "
			    "name, which '%s' is not", name);
	return *buf;
}

static void app_certificate(const dg_profile *p, dg_app_certificate *c)
{
	const dg_dir_m365 *m = dg_m365_opts(p);

	c->cert_file = m->cert_file;
	c->key_file = m->key_file;
	c->upload_to = dg_xasprintf("the Entra ID app %s of tenant %s (Certificates & secrets)",
				    m->client_id ? m->client_id : "?",
				    m->tenant_id ? m->tenant_id : "?");
}

const dg_provider dg_provider_m365 = {
	.name = "microsoft-365",
	.redirect_uri = &dg_m365_uri_rules,
	.check_offline = dg_m365_check_offline,
	.dirs = dg_m365_dirs,
	.logins = dg_m365_logins,
	.probe_directory = probe_directory,
	.live = &dg_connector_m365_live,
	.snapshot = &dg_connector_m365_snapshot,
	.snapshot_write = snapshot_write,
	.mapping_opts = mapping_opts,
	.user_name_source = user_name_source,
	.login_refuses = login_refuses,
	.app_certificate = app_certificate,
	.probes_about = "an Entra ID token with the certificate, Graph, each selected group "
			"found exactly once",
	.snapshot_about = "the Microsoft Graph pages as JSON",
	.app_registration = "a Microsoft Entra ID app registration",
	.app_cert_thumbprint = "the Entra portal's \"Thumbprint\"",
	.app_cert_next = "upload the certificate to the app registration (Certificates & "
			 "secrets > Certificates > Upload certificate), then set certFile and "
			 "keyFile in the profile",
};
