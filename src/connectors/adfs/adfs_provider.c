/* The adfs provider: AD FS login (OpenID Connect) for active-directory and
 * ldap directories.  It serves no directory, only the login method. */
#include "../../core/provider.h"
#include "adfs_probe.h"

static const dg_provider_dir dirs[] = { { NULL, NULL } };

static const char *const auth_methods[] = { "adfs", NULL };

/* Without an adfsUrl there is nothing to probe (the offline rules say so). */
static int probe_login(const dg_profile *p, dg_findings *out)
{
	return p->auth.adfs_url ? dg_adfs_probe(p, out) : 0;
}

const dg_provider dg_provider_adfs = {
	.name = "adfs",
	.title = "AD FS",
	.dirs = dirs,
	.auth_methods = auth_methods,
	.probe_login = probe_login,
};
