/* Offline rules for Microsoft 365 (m365_rules.h). */
#include "m365_rules.h"
#include "m365_profile.h"

#include "entra_token.h"
#include "m365_keys.h"

#include "../../core/checks.h"
#include "../../core/secret.h"
#include "../../core/strbuf.h"
#include "../../core/uri_rules.h"
#include "../../core/validate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ===== identifiers ======================================================== */

static void check_tenant_id(const char *tenant, dg_findings *out)
{
	static const char *const aliases[] = { "common", "consumers", "organizations" };
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcasecmp(tenant, aliases[i]))
			continue;
		fd = dg_findings_add(out, DGF_M365002, "/directory/tenantId",
				     "tenantId \"%s\" is a multi-tenant alias; the client "
				     "credentials grant needs one tenant (AADSTS9001023)", tenant);
		dg_finding_hint(fd, "Use the Directory (tenant) ID from the Entra admin center > "
				"Overview, or the tenant's domain, e.g. \"contoso.onmicrosoft.com\".");
		return;
	}
	if (dg_is_guid(tenant) || dg_domain_problem(tenant, &why) == 0)
		goto done;
	dg_strbuf_reset(&why);
	dg_guid_problem(tenant, &why);
	fd = dg_findings_add(out, DGF_M365001, "/directory/tenantId",
			     "tenantId \"%s\" is neither a GUID nor a DNS domain name: %s", tenant,
			     why.buf);
	dg_finding_hint(fd, "Use the Directory (tenant) ID GUID from the Entra admin center > "
			"Overview (e.g. \"72f988bf-86f1-41af-91ab-2d7cd011db47\") or a verified "
			"domain such as \"contoso.onmicrosoft.com\".");
done:
	dg_strbuf_release(&why);
}

static void check_m365_client_id(const char *id, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_is_guid(id))
		return;
	dg_guid_problem(id, &why);
	fd = dg_findings_add(out, DGF_M365003, "/directory/clientId",
			     "clientId \"%s\" is not a GUID: %s", id, why.buf);
	dg_finding_hint(fd, "Copy the Application (client) ID from App registrations > your "
			"app > Overview, e.g. \"8f1c2a4e-0b7d-4c55-9a3e-2f61d0c7b9aa\".");
	dg_strbuf_release(&why);
}

/* Is `url` the origin `vendor`, give or take trailing slashes? */
static int is_origin(const char *url, const char *vendor)
{
	size_t n = strlen(url);

	while (n > 8 && url[n - 1] == '/')
		n--;
	return n == strlen(vendor) && !strncmp(url, vendor, n);
}

/* The test-only origins: dirgate sends its client assertion to
 * authorityUrl and the token to apiUrl, so only Microsoft's own or an
 * emulator on this computer will do (the live commands refuse the rest
 * too; this says so before). */
static void check_test_endpoint(const char *url, const char *key, const char *vendor,
				dg_findings *out)
{
	char path[32];
	dg_finding *fd;

	snprintf(path, sizeof(path), "/directory/%s", key);
	if (dg_uri_local_https(url)) {
		fd = dg_findings_add(out, DGF_M365042, path, "%s \"%s\" is an endpoint on this "
				     "computer (a test emulator), not Microsoft", key, url);
		dg_finding_hint(fd, "For production remove %s (default %s).", key, vendor);
	} else if (!is_origin(url, vendor)) {
		fd = dg_findings_add(out, DGF_M365041, path, "%s \"%s\" is neither %s nor an "
				     "https endpoint on this computer", key, url, vendor);
		dg_finding_hint(fd, "Remove %s to use %s; it exists only to point tests at a "
				"local emulator.", key, vendor);
	}
}

static void check_ids_m365(const dg_dir_m365 *m, dg_findings *out)
{
	if (m->tenant_id)
		check_tenant_id(m->tenant_id, out);
	if (m->client_id)
		check_m365_client_id(m->client_id, out);
	if (m->api_url)
		check_test_endpoint(m->api_url, "apiUrl", DG_GRAPH_ORIGIN, out);
	if (m->authority_url)
		check_test_endpoint(m->authority_url, "authorityUrl", DG_ENTRA_AUTHORITY, out);
}

/* ===== login methods ====================================================== */

static const dg_auth_need auth_needs[] = {
	{ "microsoft-365", DG_AUTH_STRING(redirect_uri), "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" DG_REDIRECT_EXAMPLE "\", the same "
	  "string as registered for the app (platform Web)." },
};

static const dg_method_note method_notes[] = {
	{ "microsoft-365", DGF_AUTH004,
	  "users who log in with Microsoft 365 modern authentication cannot use IMAP archive "
	  "access with their directory password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ "microsoft-365", DGF_AUTH006,
	  "Microsoft 365 modern authentication names MailStore users by their user principal "
	  "name (UPN, e.g. alice@contoso.com)",
	  "If the MailStore users came from Active Directory with sAMAccountName user names, "
	  "they would not match and would get new, empty archives; compare with dirgate plan "
	  "before switching." },
	{ "microsoft-365-basic", DGF_AUTH007,
	  "Microsoft has turned off basic authentication in Exchange Online, so "
	  "microsoft-365-basic logins fail for most tenants",
	  "Set \"method\": \"microsoft-365\" (modern authentication) with a redirectUri." },
};


/* The initial domains Microsoft gives tenants of its national clouds. */
static const struct national_domain {
	const char *suffix;
	const char *cloud;
} national_domains[] = {
	{ ".onmicrosoft.us", "US Government" },
	{ ".onmicrosoft.de", "Germany (retired)" },
	{ ".partner.onmschina.cn", "China (21Vianet)" },
	{ ".onmschina.cn", "China (21Vianet)" },
};

/* The national cloud a tenant domain belongs to, or NULL.  DNS names are
 * case-insensitive; one trailing dot is allowed (dns_name_problem). */
static const char *national_cloud_of(const char *tenant)
{
	size_t n = strlen(tenant);

	if (n && tenant[n - 1] == '.')
		n--;
	for (size_t i = 0; i < sizeof(national_domains) / sizeof(national_domains[0]); i++) {
		size_t m = strlen(national_domains[i].suffix);
		if (n > m && !strncasecmp(tenant + n - m, national_domains[i].suffix, m))
			return national_domains[i].cloud;
	}
	return NULL;
}

/* A tenant given by its domain tells its cloud even without "cloud". */
static void check_national_tenant(const char *tenant, dg_findings *out)
{
	const char *cloud = tenant ? national_cloud_of(tenant) : NULL;
	dg_finding *fd;

	if (!cloud)
		return;
	fd = dg_findings_add(out, DGF_M365004, "/directory/tenantId",
			     "tenantId \"%s\" is a domain of a national cloud (%s); MailStore's "
			     "modern authentication supports only the global Microsoft cloud",
			     tenant, cloud);
	dg_finding_hint(fd, "Use a tenant in the global cloud (its initial domain ends in "
			".onmicrosoft.com), or keep this tenant on another login method.");
}

static void check_national_cloud(const dg_profile *p, dg_findings *out)
{
	const char *cloud = dg_m365_opts(p)->cloud;
	dg_finding *fd;

	if (!dg_profile_is_m365(p))
		return;
	if (!cloud || !strcasecmp(cloud, "global")) {
		check_national_tenant(dg_m365_opts(p)->tenant_id, out);
		return;
	}
	fd = dg_findings_add(out, DGF_M365004, "/directory/cloud",
			     "cloud is \"%s\"; MailStore's modern authentication supports only "
			     "the global Microsoft cloud", cloud);
	dg_finding_hint(fd, "Use a tenant in the global cloud (\"cloud\": \"global\"), or keep "
			"this tenant on another login method.");
}

/* ===== redirect URI ======================================================= */

/* Entra ID's own rules for the redirect URIs of an app registration. */
#define ENTRA_MAX_CHARS 256
#define ENTRA_SPECIALS "!$'(),;"

static void check_entra_uri(dg_uri_ctx *c, const dg_uri_seen *u)
{
	size_t chars = dg_uri_utf8_chars(u->raw);
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd;

	if (chars > ENTRA_MAX_CHARS) {
		fd = dg_uri_add(c, DGF_URI023, "the URI has %zu characters; Entra ID allows at "
				"most %d", chars, ENTRA_MAX_CHARS);
		dg_finding_hint(fd, "use a shorter host name (or SPE instance id)");
	}
	for (const char *p = ENTRA_SPECIALS; *p; p++)
		if (strchr(u->raw, *p))
			dg_strbuf_addf(&sb, "%s'%c'", sb.len ? " " : "", *p);
	if (sb.len)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI024, "the URI contains %s; Entra ID "
					      "redirect URIs do not support the characters "
					      "! $ ' ( ) , ;", sb.buf));
	dg_strbuf_release(&sb);
	dg_uri_check_wildcard(c, u);
}

const dg_uri_rules dg_m365_uri_rules = {
	"entra", "Entra ID", DG_URI_HTTP_LOCALHOST, check_entra_uri,
};

/* How the URI is registered in Entra cannot be read from outside (not even
 * with the app's certificate), but the MailStore guide's two traps are worth
 * saying whenever the profile names a URI.  `flawed`: the URI check found it
 * wrong, and the note must not tell the administrator to register it as is. */
static void note_entra_platform(const char *uri, int flawed, dg_findings *out)
{
	dg_finding *fd;

	if (flawed)
		fd = dg_findings_add(out, DGF_M365024, "/authentication/redirectUri",
				     "once the redirect URI is corrected (see above), register the "
				     "corrected URI in the app under Authentication > Web (not "
				     "Single-page application) and tick \"ID tokens\"");
	else
		fd = dg_findings_add(out, DGF_M365024, "/authentication/redirectUri",
				     "register %s in the app under Authentication > Web (not "
				     "Single-page application) and tick \"ID tokens\"", uri);
	dg_finding_hint(fd, "Entra admin center > App registrations > the app > Authentication "
			"> Add a platform > Web: enter the %s (case-sensitive) "
			"and tick \"ID tokens\" under Implicit grant and hybrid flows. MailStore's "
			"login fails with AADSTS700054 when ID tokens are off and with AADSTS50011 "
			"when the URI differs in any character.",
			flawed ? "corrected URI exactly" : "URI exactly as here");
}

static void check_redirect_uri(const dg_profile *p, dg_findings *out)
{
	int flagged = dg_check_redirect_uri(p, &dg_m365_uri_rules, out);

	if (flagged >= 0)
		note_entra_platform(p->auth.redirect_uri, flagged, out);
}

/* ===== key material ======================================================= */

static void check_entra_keys(const dg_dir_m365 *m, dg_findings *out)
{
	dg_key_password pw;
	char *value;

	if (!m->cert_file && !m->key_file)
		return;
	value = dg_secret_peek(&m->key_password);
	pw.value = value;
	pw.given = m->key_password.kind != DG_SECRET_NONE;
	dg_m365_check_keys(m->cert_file, m->key_file, &pw, "/directory/certificate", out);
	dg_secret_free(value);
}

/* ===== entry point ======================================================== */

/* Directory and login-method rules interleave in the order an
 * administrator fixes things: identifiers, login method, cloud, redirect
 * URI, key files. */
void dg_m365_check_offline(const dg_profile *p, dg_findings *out)
{
	int dir = dg_profile_is_m365(p);
	int modern = dg_profile_method_is(p, "microsoft-365");

	if (dir) {
		check_ids_m365(dg_m365_opts(p), out);
		dg_check_method_allowed(p, out);
	}
	dg_check_auth_needs(&p->auth, auth_needs, sizeof(auth_needs) / sizeof(auth_needs[0]),
			    out);
	dg_check_method_notes(dg_profile_method(p), method_notes,
			      sizeof(method_notes) / sizeof(method_notes[0]), out);
	if (dir)
		check_national_cloud(p, out);
	if (modern)
		check_redirect_uri(p, out);
	if (dir)
		check_entra_keys(dg_m365_opts(p), out);
}
