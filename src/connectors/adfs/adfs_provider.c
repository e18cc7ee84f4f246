/* The adfs provider: AD FS login (OpenID Connect) for active-directory and
 * ldap directories.  It serves no directory, only the login method. */
#include "../../core/provider.h"
#include "adfs_profile.h"
#include "adfs_rules.h"
#include "adfs_probe.h"

static const dg_provider_dir no_dirs[] = { { .type = NULL } };

/* Without an adfsUrl there is nothing to probe (the offline rules say so). */
static int probe_login(const dg_profile *p, dg_findings *out)
{
	return p->auth.service_url ? dg_adfs_probe(p, out) : 0;
}

/* AD FS puts upn (and unique_name) into its tokens by default; a user
 * name from any other attribute matches only through a claim rule
 * (ADFS004). */
static const char *login_refuses(const dg_profile *p, const char *name, int claim_rule,
				 char **buf)
{
	const dg_provider *dir = dg_provider_of(p);

	if (claim_rule || !dir || !dir->user_name_is_upn || dir->user_name_is_upn(p))
		return NULL;
	*buf = dg_xasprintf("AD FS sends no %s claim without a claim rule, so MailStore "
			    "cannot match the token to '%s' (ADFS004); once the rule is "
			    "in place, say so with --claim-rule", dir->user_name_source(p),
			    name);
	return *buf;
}

const dg_provider dg_provider_adfs = {
	.name = "adfs",
	.redirect_uri = &dg_adfs_uri_rules,
	.check_offline = dg_adfs_check_offline,
	.dirs = no_dirs,
	.logins = dg_adfs_logins,
	.probe_login = probe_login,
	.login_refuses = login_refuses,
	.probes_about = "the AD FS discovery document, issuer, endpoints, keys and scopes",
	.claim_rule_alias = "adfs-claim-rule",
};
