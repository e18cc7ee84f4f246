/* The ldap provider: active-directory and ldap directories, read live over
 * LDAP or from an LDIF snapshot, with standard or Windows login. */
#include "../../core/provider.h"
#include "ldap_profile.h"
#include "ldap_rules.h"
#include "ldap_live.h"
#include "ldap_probe.h"
#include "snapshot_ldap.h"

#include <strings.h>

static const char *const standard_aliases[] = { "password", NULL };
static const char *const windows_aliases[] = { "integrated", "kerberos", NULL };

/* Both log users on with the directory's own password check. */
static const dg_provider_login logins[] = {
	{ "standard", 0, "active-directory ldap", standard_aliases, NULL },
	{ "windows", 0, "active-directory", windows_aliases, NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

static dg_code snapshot_write(const dg_profile *p, FILE *fp, const dg_progress *progress,
			      dg_snapshot_written *w, dg_findings *f, dg_error *err)
{
	dg_code code = dg_ldap_live_snapshot(p, fp, progress, &w->count, &w->base, &w->source,
					     f, err);

	w->counted = "entries";
	if (code == DG_OK)
		w->from = dg_xasprintf("%s (base %s)", w->source, w->base);
	return code;
}

/* Tri-state profile switches: only an explicit true turns one on. */
static void mapping_opts(const dg_profile *p, dg_mapping_opts *o)
{
	const dg_dir_active_directory *ad = dg_ad_opts(p);

	if (dg_profile_is_ad(p)) {
		o->local_part_only = dg_profile_user_name_format(p) == DG_UNF_UPN_LOCAL;
		o->enabled_only = ad->enabled_users_only == 1;
		o->exchange_only = ad->exchange_users_only == 1;
		o->visible_only = ad->visible_in_address_lists_only == 1;
	} else {
		o->local_part_only = dg_ldap_opts(p)->local_part_only == 1;
	}
}

static const char *user_name_source(const dg_profile *p)
{
	const char *attr = dg_ldap_opts(p)->user_name_attr;

	if (!dg_profile_is_ad(p))
		return attr ? attr : "?";
	switch (dg_profile_user_name_format(p)) {
	case DG_UNF_UPN: return "userPrincipalName";
	case DG_UNF_UPN_LOCAL: return "userPrincipalNameLocalPart";
	default: return "sAMAccountName";
	}
}

static int user_name_is_upn(const dg_profile *p)
{
	const char *attr = dg_ldap_opts(p)->user_name_attr;

	if (dg_profile_is_ad(p))
		return dg_profile_user_name_format(p) != DG_UNF_SAM;
	return attr && !strcasecmp(attr, "userPrincipalName");
}

static const dg_tls_opts *directory_tls(const dg_profile *p)
{
	return dg_profile_is_ad(p) ? &dg_ad_opts(p)->tls
							    : &dg_ldap_opts(p)->tls;
}

const dg_provider dg_provider_ldap = {
	.name = "ldap",
	.check_offline = dg_ldap_check_offline,
	.directory_tls = directory_tls,
	.dirs = dg_ldap_dirs,
	.logins = logins,
	.probe_directory = dg_ldap_probe,
	.live = &dg_connector_ldap_live,
	.snapshot = &dg_connector_ldap_snapshot,
	.snapshot_write = snapshot_write,
	.mapping_opts = mapping_opts,
	.user_name_source = user_name_source,
	.user_name_is_upn = user_name_is_upn,
	.sam_user_name_field = dg_ldap_sam_user_name_path,
	.probes_about = "connect and bind, RootDSE, base DN, what the user filter selects",
	.snapshot_about = "the entries synchronisation looks at (users, and the groups a "
			  "group selection needs, with the attributes MailStore reads) as LDIF",
};
