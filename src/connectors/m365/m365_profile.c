/* The keys of a microsoft-365 directory and of Microsoft 365 login
 * (docs/profile-keys.md), and the struct they fill. */
#include "m365_profile.h"

#include "../../core/profile_fields.h"
#include "../../core/provider.h"

#include <stddef.h>

extern const char dg_init_microsoft_365[];

/* Kept as text: the national clouds differ only in their host names. */
static const dg_enumval cloud_vals[] = {
	{ "global", 0, NULL },
	{ "usgov", 0, NULL },
	{ "usgov-dod", 0, NULL },
	{ "china", 0, NULL },
};
static const dg_enumalias cloud_aliases[] = {
	{ "gcc-high", "usgov", NULL },
	{ "dod", "usgov-dod", NULL },
	{ "public", "global", NULL },
};
static const dg_enumspec cloud_enum = DG_ENUM(cloud_vals, cloud_aliases);

#define MS(m) offsetof(dg_dir_m365, m)

static const dg_field cert_fields[] = {
	{ .key = "certFile", .kind = DG_K_PATH, .flags = DG_F_REQ_NOSNAP | DG_F_NONEMPTY,
	  .off = MS(cert_file), .example = "\"certFile\": \"keys/mailstore-app.crt\"" },
	{ .key = "keyFile", .kind = DG_K_PATH, .flags = DG_F_REQ_NOSNAP | DG_F_NONEMPTY,
	  .off = MS(key_file), .example = "\"keyFile\": \"keys/mailstore-app.key\"" },
	{ .key = "keyPassword", .kind = DG_K_SECRET, .off = MS(key_password) },
};
static const dg_objspec cert_spec = DG_SPEC(cert_fields, NULL);

static const dg_field filter_fields[] = {
	{ .key = "exchangeUsersOnly", .kind = DG_K_BOOL, .off = MS(exchange_users_only) },
	{ .key = "enabledUsersOnly", .kind = DG_K_BOOL, .off = MS(enabled_users_only) },
	{ .key = "groups", .kind = DG_K_STRARR, .flags = DG_F_NONEMPTY, .off = MS(groups) },
};
static const dg_objspec filter_spec = DG_SPEC(filter_fields, NULL);

static const dg_field dir_fields[] = {
	{ .key = "tenantId", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY,
	  .off = MS(tenant_id), .example = "\"tenantId\": \"contoso.onmicrosoft.com\"" },
	{ .key = "clientId", .kind = DG_K_STRING, .flags = DG_F_REQ | DG_F_NONEMPTY,
	  .off = MS(client_id), .example = "\"clientId\": \"<application (client) ID GUID>\"" },
	{ .key = "cloud", .kind = DG_K_ENUM_NAME, .off = MS(cloud), .en = &cloud_enum },
	{ .key = "certificate", .kind = DG_K_OBJECT, .flags = DG_F_REQ_NOSNAP, .sub = &cert_spec,
	  .example = "\"certificate\": {\"certFile\": \"keys/app.crt\", \"keyFile\": \"keys/app.key\"}" },
	{ .key = "filters", .kind = DG_K_OBJECT, .sub = &filter_spec },
	{ .key = "tls", .kind = DG_K_OBJECT, .off = MS(tls), .sub = &dg_https_tls_spec },
	{ .key = "apiUrl", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY, .off = MS(api_url) },
	{ .key = "authorityUrl", .kind = DG_K_STRING, .flags = DG_F_NULL | DG_F_NONEMPTY,
	  .off = MS(authority_url) },
};
static const dg_objspec dir_spec = DG_SPEC(dir_fields, NULL);

static const dg_dir_m365 defaults = {
	.exchange_users_only = -1,
	.enabled_users_only = -1,
};

static const char *const dir_aliases[] = {
	"m365", "microsoft365", "office365", "office-365", "entra", "azure-ad", NULL,
};

const dg_provider_dir dg_m365_dirs[] = {
	{ "microsoft-365", dg_init_microsoft_365, dir_aliases, &dir_spec, sizeof(dg_dir_m365),
	  &defaults },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

/* Modern authentication: MailStore is registered with Entra ID as an
 * OpenID Connect client. */
static const dg_field login_fields[] = {
	{ .key = "redirectUri", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY,
	  .off = offsetof(dg_authentication, redirect_uri) },
};
static const dg_objspec login_spec = DG_SPEC(login_fields, NULL);

static const char *const login_aliases[] = { "oidc", "m365", NULL };

const dg_provider_login dg_m365_logins[] = {
	{ "microsoft-365", 1, "microsoft-365", login_aliases, &login_spec },
	{ "microsoft-365-basic", 0, "microsoft-365", NULL, NULL },
	{ NULL, 0, NULL, NULL, NULL },
};

const dg_dir_m365 *dg_m365_opts(const dg_profile *p)
{
	return dg_profile_dir_opts(p, &dg_m365_dirs[0]);
}

int dg_profile_is_m365(const dg_profile *p)
{
	return p->directory.kind == &dg_m365_dirs[0];
}
