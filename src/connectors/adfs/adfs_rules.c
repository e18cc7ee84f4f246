/* Offline rules for AD FS login (adfs_rules.h). */
#include "adfs_rules.h"

#include "../../core/checks.h"
#include "../../core/provider.h"
#include "../../core/uri_rules.h"
#include "../../core/validate.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

/* AD FS generates a GUID; an administrator may set any string with
 * PowerShell, so anything else is only worth a second look, not an error. */
static void check_adfs_client_id(const char *id, dg_findings *out)
{
	dg_finding *fd;

	if (dg_has_space(id)) {
		fd = dg_findings_add(out, DGF_ADFS003, "/authentication/clientId",
				     "clientId \"%s\" contains whitespace", id);
		dg_finding_hint(fd, "Copy the Client Identifier exactly as AD FS Management shows "
				"it (Application Groups > your group > the native application), "
				"without spaces or line breaks.");
	} else if (!dg_is_guid(id)) {
		fd = dg_findings_add(out, DGF_ADFS014, "/authentication/clientId",
				     "clientId \"%s\" is not a GUID, the form of the client "
				     "identifiers AD FS generates; fine only if it was set as a custom "
				     "identifier", id);
		dg_finding_hint(fd, "Compare it with the Client Identifier in AD FS Management > "
				"Application Groups > your group > the native application; they must "
				"be equal character for character (a custom identifier is set with "
				"Add-AdfsNativeClientApplication -Identifier).");
	}
}

static const dg_auth_need auth_needs[] = {
	{ "adfs", DG_AUTH_STRING(service_url), "/authentication/adfsUrl",
	  "Set it to the AD FS server's base URL, e.g. \"https://adfs.contoso.com\"." },
	{ "adfs", DG_AUTH_STRING(client_id), "/authentication/clientId",
	  "Set it to the Client Identifier of the native application in the AD FS "
	  "application group (AD FS Management > Application Groups)." },
	{ "adfs", DG_AUTH_STRING(redirect_uri), "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" DG_REDIRECT_EXAMPLE "\", the same "
	  "string as registered in AD FS." },
};

static const dg_method_note method_notes[] = {
	{ "adfs", DGF_AUTH004,
	  "users who log in with AD FS cannot use IMAP archive access with their directory "
	  "password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
};

static int adfs_path_ok(const char *path)
{
	return !*path || !strcmp(path, "/") || !strcasecmp(path, "/adfs") ||
	       !strcasecmp(path, "/adfs/");
}

static void adfs_url_parts(CURLU *h, const char *url, dg_findings *out)
{
	char *scheme = NULL, *path = NULL, *query = NULL, *frag = NULL;
	dg_finding *fd;

	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(h, CURLUPART_PATH, &path, 0);
	curl_url_get(h, CURLUPART_QUERY, &query, 0);
	curl_url_get(h, CURLUPART_FRAGMENT, &frag, 0);
	if (scheme && strcasecmp(scheme, "https")) {
		fd = dg_findings_add(out, DGF_ADFS001, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" uses %s; AD FS OpenID Connect needs https", url,
				     scheme);
		dg_finding_hint(fd, "Use https://, e.g. \"https://adfs.contoso.com\".");
	} else if ((path && !adfs_path_ok(path)) || query || frag) {
		fd = dg_findings_add(out, DGF_ADFS002, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" has a path, query or fragment; it must be the "
				     "AD FS server's base URL", url);
		dg_finding_hint(fd, "Give only scheme and host, e.g. \"https://adfs.contoso.com\"; "
				"dirgate adds /adfs/.well-known/openid-configuration itself.");
	}
	curl_free(scheme);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
}

static void check_adfs_url(const char *url, dg_findings *out)
{
	CURLU *h = curl_url();
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, url, 0);
	dg_finding *fd;

	if (rc != CURLUE_OK) {
		fd = dg_findings_add(out, DGF_ADFS001, "/authentication/adfsUrl",
				     "adfsUrl \"%s\" is not an absolute URL: %s", url,
				     curl_url_strerror(rc));
		dg_finding_hint(fd, "Give the AD FS server's base URL, e.g. "
				"\"https://adfs.contoso.com\".");
	} else {
		adfs_url_parts(h, url, out);
	}
	curl_url_cleanup(h);
}

/* MailStore matches the AD FS token's claim against the user name, and AD FS
 * sends no sAMAccountName claim unless a rule says so. */
static void check_adfs_claim_rule(const dg_profile *p, dg_findings *out)
{
	const dg_provider *dir = dg_provider_of(p);
	const char *path = dir && dir->sam_user_name_field ? dir->sam_user_name_field(p) : NULL;
	dg_finding *fd;

	if (!dg_profile_method_is(p, "adfs") || !path)
		return;
	fd = dg_findings_add(out, DGF_ADFS004, path,
			     "user names are sAMAccountNames, which AD FS does not put into the "
			     "token by default; without a claim rule MailStore cannot match the "
			     "token to a user");
	dg_finding_hint(fd, "In AD FS Management: Application Groups > the MailStore group > the "
			"Web API > Issuance Transform Rules > Add Rule > template \"Send LDAP "
			"Attributes as Claims\"; Attribute store: Active Directory; LDAP Attribute: "
			"SAM-Account-Name; Outgoing Claim Type: type sAMAccountName. "
			"(userPrincipalName user names need no rule.)");
}

/* AD FS asks for an absolute https URI without a fragment, which MailStore's
 * pattern already demands. */
const dg_uri_rules dg_adfs_uri_rules = { "adfs", "AD FS", DG_URI_HTTP_NONE, NULL };

void dg_adfs_check_offline(const dg_profile *p, dg_findings *out)
{
	const dg_authentication *a = &p->auth;

	if (!dg_profile_method_is(p, "adfs"))
		return;
	if (a->client_id)
		check_adfs_client_id(a->client_id, out);
	dg_check_auth_needs(a, auth_needs, sizeof(auth_needs) / sizeof(auth_needs[0]), out);
	if (a->service_url && *a->service_url)
		check_adfs_url(a->service_url, out);
	check_adfs_claim_rule(p, out);
	dg_check_method_notes("adfs", method_notes,
			      sizeof(method_notes) / sizeof(method_notes[0]), out);
	dg_check_redirect_uri(p, &dg_adfs_uri_rules, out);
}
