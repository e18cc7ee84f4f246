/* The microsoft-365 provider: Entra ID users through Microsoft Graph, live
 * or from saved Graph pages, with Microsoft 365 login. */
#include "../../core/provider.h"
#include "m365_conn.h"

extern const char dg_init_microsoft_365[];

static const dg_provider_dir dirs[] = {
	{ "microsoft-365", dg_init_microsoft_365 },
	{ NULL, NULL },
};

static const char *const auth_methods[] = { "microsoft-365", "microsoft-365-basic", NULL };

static int probe_directory(const dg_profile *p, const char *test_user, dg_findings *out)
{
	(void)test_user; /* Graph has no password logon to try */
	return dg_m365_probe(p, out);
}

/* Graph's URLs are fixed: the tenant says where the users came from. */
static dg_code snapshot_write(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      dg_snapshot_written *w, dg_findings *f, dg_error *err)
{
	const char *tenant = p->directory.m365.tenant_id;
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
	o->enabled_only = p->directory.m365.enabled_users_only == 1;
	o->exchange_only = p->directory.m365.exchange_users_only == 1;
}

const dg_provider dg_provider_m365 = {
	.name = "microsoft-365",
	.title = "Microsoft 365",
	.dirs = dirs,
	.auth_methods = auth_methods,
	.probe_directory = probe_directory,
	.live = &dg_connector_m365_live,
	.snapshot = &dg_connector_m365_snapshot,
	.snapshot_write = snapshot_write,
	.mapping_opts = mapping_opts,
};
