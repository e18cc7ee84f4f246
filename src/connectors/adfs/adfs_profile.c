/* The keys of AD FS login (docs/profile-keys.md): AD FS has no fixed
 * address, so the profile names it; everything lands in the shared
 * dg_authentication. */
#include "adfs_profile.h"

#include "../../core/profile_fields.h"
#include "../../core/provider.h"

#include <stddef.h>

#define AU(m) offsetof(dg_authentication, m)
static const dg_field login_fields[] = {
	{ .key = "adfsUrl", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AU(service_url) },
	{ .key = "clientId", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AU(client_id) },
	{ .key = "redirectUri", .kind = DG_K_STRING, .flags = DG_F_NONEMPTY, .off = AU(redirect_uri) },
	{ .key = "tls", .kind = DG_K_OBJECT, .off = AU(tls), .sub = &dg_https_tls_spec },
};
static const dg_objspec login_spec = DG_SPEC(login_fields, NULL);

static const char *const aliases[] = { "ad-fs", "oidc", NULL };

/* MailStore offers AD FS with the directories AD FS itself reads. */
const dg_provider_login dg_adfs_logins[] = {
	{ "adfs", 1, "active-directory ldap", aliases, &login_spec },
	{ NULL, 0, NULL, NULL, NULL },
};
