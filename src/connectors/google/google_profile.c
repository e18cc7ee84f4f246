/* The keys of a google-workspace directory and of Google login
 * (docs/profile-keys.md), and the struct they fill. */
#include "google_profile.h"

#include "../../core/profile_fields.h"
#include "../../core/provider.h"

#include <stddef.h>

extern const char dg_init_google_workspace[];

#define GW(m) offsetof(dg_dir_google, m)

static const dg_field filter_fields[] = {
	{ .key = "enabledUsersOnly", .kind = DG_K_BOOL, .off = GW(enabled_users_only) },
	{ .key = "groups", .kind = DG_K_STRARR, .flags = DG_F_NONEMPTY, .off = GW(groups) },
};
static const dg_objspec filter_spec = DG_SPEC(filter_fields, NULL);

static const dg_field dir_fields[] = {
	{ .key = "serviceAccountKeyFile", .kind = DG_K_PATH, .flags = DG_F_REQ_NOSNAP | DG_F_NONEMPTY,
	  .off = GW(service_account_key_file),
	  .example = "\"serviceAccountKeyFile\": \"keys/service-account.json\"" },
	{ .key = "adminUser", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY,
	  .off = GW(admin_user), .example = "\"adminUser\": \"admin@example.com\"" },
	{ .key = "domain", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = GW(domain) },
	{ .key = "filters", .kind = DG_K_OBJECT, .sub = &filter_spec },
	{ .key = "apiUrl", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = GW(api_url) },
	{ .key = "tls", .kind = DG_K_OBJECT, .off = GW(tls), .sub = &dg_tls_spec },
};
static const dg_objspec dir_spec = DG_SPEC(dir_fields, NULL);

static const dg_dir_google defaults = {
	.enabled_users_only = -1,
	.tls.accept_all_certificates = -1,
};

static const char *const dir_aliases[] = {
	"google", "gsuite", "g-suite", "googleworkspace", NULL,
};

const dg_provider_dir dg_google_dirs[] = {
	{ "google-workspace", dg_init_google_workspace, dir_aliases, &dir_spec,
	  sizeof(dg_dir_google), &defaults },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* OpenID Connect: MailStore is an OAuth client of the Google project. */
#define AU(m) offsetof(dg_authentication, m)
static const dg_field oidc_fields[] = {
	{ .key = "clientId", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AU(client_id) },
	{ .key = "clientSecret", .kind = DG_K_SECRET, .off = AU(client_secret) },
	{ .key = "redirectUri", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AU(redirect_uri) },
};
static const dg_objspec oidc_spec = DG_SPEC(oidc_fields, NULL);

static const char *const oidc_aliases[] = { "oidc", "openid", NULL };
static const char *const imap_aliases[] = { "imap", NULL };

const dg_provider_login dg_google_logins[] = {
	{ "google-oidc", 1, "google-workspace", oidc_aliases, &oidc_spec },
	{ "google-imap", 0, "google-workspace", imap_aliases, NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

const dg_dir_google *dg_google_opts(const dg_profile *p)
{
	return dg_profile_dir_opts(p, &dg_google_dirs[0]);
}

int dg_profile_is_google(const dg_profile *p)
{
	return p->directory.kind == &dg_google_dirs[0];
}
