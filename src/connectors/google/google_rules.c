/* Offline rules for Google Workspace (google_rules.h). */
#include "google_rules.h"

#include "google_keys.h"

#include "../../core/checks.h"
#include "../../core/strbuf.h"
#include "../../core/uri.h"
#include "../../core/validate.h"

#include <string.h>

/* ===== identifiers ======================================================== */

static void check_google_client_id(const char *id, dg_findings *out)
{
	dg_finding *fd;
	size_t n = strlen(id), m = strlen(".apps.googleusercontent.com");

	if (n > m && !strcmp(id + n - m, ".apps.googleusercontent.com") && !dg_has_space(id))
		return;
	fd = dg_findings_add(out, "GOOGLE003", DG_SEV_WARNING, "/authentication/clientId",
			     "clientId \"%s\" does not look like a Google OAuth client ID "
			     "(NUMBER-ID.apps.googleusercontent.com)", id);
	dg_finding_hint(fd, "Copy the Client ID of the OAuth client of type Web application "
			"(Google Cloud console > APIs & Services > Credentials).");
}

static void check_email(const char *s, const char *path, const char *code,
			const char *what, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_email_problem(s, &why) == 0)
		goto done;
	fd = dg_findings_add(out, code, DG_SEV_ERROR, path,
			     "%s \"%s\" is not an e-mail address: %s", what, s, why.buf);
	dg_finding_hint(fd, "Give the e-mail address of a Google Workspace administrator, "
			"e.g. \"admin@example.com\".");
done:
	dg_strbuf_release(&why);
}

#define GOOGLE_API_URL "https://admin.googleapis.com"

static void check_google_api_url(const char *url, dg_findings *out)
{
	dg_finding *fd;

	if (!dg_uri_local_https(url) && dg_google_api_url_ok(url))
		return; /* Google's own */
	if (dg_uri_local_https(url)) {
		fd = dg_findings_add(out, "GOOGLE015", DG_SEV_WARNING, "/directory/apiUrl",
				     "apiUrl \"%s\" is an endpoint on this computer (a test "
				     "emulator), not Google", url);
		dg_finding_hint(fd, "For production remove apiUrl (default " GOOGLE_API_URL ").");
		return;
	}
	fd = dg_findings_add(out, "GOOGLE014", DG_SEV_ERROR, "/directory/apiUrl",
			     "apiUrl \"%s\" is neither Google's Directory API nor an https "
			     "endpoint on this computer", url);
	dg_finding_hint(fd, "Remove apiUrl to use " GOOGLE_API_URL "; it exists only to point "
			"tests at a local emulator.");
}

static void check_ids_google(const dg_dir_google *g, dg_findings *out)
{
	if (g->api_url)
		check_google_api_url(g->api_url, out);
	if (g->admin_user)
		check_email(g->admin_user, "/directory/adminUser", "GOOGLE001", "adminUser", out);
	if (g->domain)
		dg_check_domain(g->domain, "/directory/domain", "GOOGLE002", "example.com", out);
}

/* ===== login methods ====================================================== */

static const dg_auth_need auth_needs[] = {
	{ DG_AUTH_GOOGLE_OIDC, DG_AUTH_STRING(client_id), "/authentication/clientId",
	  "Set it to the Client ID of the OAuth client of type Web application." },
	{ DG_AUTH_GOOGLE_OIDC, DG_AUTH_SECRET(client_secret), "/authentication/clientSecret",
	  "Set it to a secret reference for the OAuth client's secret, e.g. "
	  "{\"env\": \"GOOGLE_CLIENT_SECRET\"}." },
	{ DG_AUTH_GOOGLE_OIDC, DG_AUTH_STRING(redirect_uri), "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" DG_REDIRECT_EXAMPLE "\", the same "
	  "string as in the OAuth client's Authorized redirect URIs." },
};

static const dg_method_note method_notes[] = {
	{ DG_AUTH_GOOGLE_OIDC, "AUTH004", DG_SEV_INFO,
	  "users who log in with Google (OpenID Connect) cannot use IMAP archive access with "
	  "their directory password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ DG_AUTH_GOOGLE_IMAP, "AUTH005", DG_SEV_WARNING,
	  "google-imap is legacy: it logs users in over IMAP, and Google is phasing out "
	  "less-secure-app access",
	  "Set \"method\": \"google-oidc\" with clientId, clientSecret and redirectUri." },
};

#define GOOGLE_METHODS (1u << DG_AUTH_GOOGLE_OIDC | 1u << DG_AUTH_GOOGLE_IMAP)
#define GOOGLE_METHOD_NAMES "\"google-oidc\" or \"google-imap\""

/* ===== entry point ======================================================== */

/* Directory and login-method rules interleave in the order an
 * administrator fixes things: identifiers, TLS, login method, redirect
 * URI, key file. */
void dg_google_check_offline(const dg_profile *p, dg_findings *out)
{
	const dg_dir_google *g = &p->directory.google;
	int dir = p->directory.type == DG_DIR_GOOGLE;
	int oidc = p->auth.method == DG_AUTH_GOOGLE_OIDC;

	if (dir)
		check_ids_google(g, out);
	if (oidc && p->auth.client_id)
		check_google_client_id(p->auth.client_id, out);
	if (dir && g->tls.accept_all_certificates == 1)
		dg_check_accept_all("access token", out); /* Google is always https */
	if (dir)
		dg_check_method_allowed(p, GOOGLE_METHODS, GOOGLE_METHOD_NAMES, out);
	dg_check_auth_needs(&p->auth, auth_needs, sizeof(auth_needs) / sizeof(auth_needs[0]),
			    out);
	dg_check_method_notes(p->auth.method, method_notes,
			      sizeof(method_notes) / sizeof(method_notes[0]), out);
	if (oidc)
		dg_check_redirect_uri(p, DG_URI_PROVIDER_GOOGLE, out);
	if (dir && g->service_account_key_file)
		dg_google_check_key_file(g->service_account_key_file,
				     "/directory/serviceAccountKeyFile", out);
}
