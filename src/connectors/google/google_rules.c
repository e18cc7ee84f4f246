/* Offline rules for Google Workspace (google_rules.h). */
#include "google_rules.h"
#include "google_profile.h"

#include "google_keys.h"

#include "../../core/checks.h"
#include "../../core/strbuf.h"
#include "../../core/uri.h"
#include "../../core/uri_rules.h"
#include "../../core/validate.h"

#include <string.h>

/* ===== identifiers ======================================================== */

static void check_google_client_id(const char *id, dg_findings *out)
{
	dg_finding *fd;
	size_t n = strlen(id), m = strlen(".apps.googleusercontent.com");

	if (n > m && !strcmp(id + n - m, ".apps.googleusercontent.com") && !dg_has_space(id))
		return;
	fd = dg_findings_add(out, DGF_GOOGLE003, "/authentication/clientId",
			     "clientId \"%s\" does not look like a Google OAuth client ID "
			     "(NUMBER-ID.apps.googleusercontent.com)", id);
	dg_finding_hint(fd, "Copy the Client ID of the OAuth client of type Web application "
			"(Google Cloud console > APIs & Services > Credentials).");
}

static void check_email(const char *s, const char *path, dg_finding_code code,
			const char *what, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_email_problem(s, &why) == 0)
		goto done;
	fd = dg_findings_add(out, code, path,
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
		fd = dg_findings_add(out, DGF_GOOGLE015, "/directory/apiUrl",
				     "apiUrl \"%s\" is an endpoint on this computer (a test "
				     "emulator), not Google", url);
		dg_finding_hint(fd, "For production remove apiUrl (default " GOOGLE_API_URL ").");
		return;
	}
	fd = dg_findings_add(out, DGF_GOOGLE014, "/directory/apiUrl",
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
		check_email(g->admin_user, "/directory/adminUser", DGF_GOOGLE001, "adminUser", out);
	if (g->domain)
		dg_check_domain(g->domain, "/directory/domain", DGF_GOOGLE002, "example.com", out);
}

/* ===== redirect URI ======================================================= */

/* Google's own rules for the Authorized redirect URIs of an OAuth client. */
static const char *const url_shorteners[] = {
	"goo.gl", "bit.ly", "bitly.com", "tinyurl.com", "t.co", "ow.ly", "is.gd",
	"v.gd", "buff.ly", "rebrand.ly", "cutt.ly", "tiny.cc", "shorturl.at",
	"rb.gy", "t.ly", "s.id", "lnkd.in", "db.tt", "qr.ae", "adf.ly", NULL,
};

/* host equals domain or is a subdomain of it */
static int under_domain(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);
	return h >= d && !strcmp(host + h - d, domain) && (h == d || host[h - d - 1] == '.');
}

static void check_google_psl(dg_uri_ctx *c, const dg_uri_seen *u)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd;

	switch (dg_uri_psl_check(u->ace, 1, NULL)) {
	case DG_PSL_UNLISTED:
		fd = dg_uri_add(c, DGF_URI026, "the host %s does not end with a suffix on the "
				"Public Suffix List; Google requires one (names such as .local, "
				".lan, .corp, .internal and single labels are rejected)",
				dg_uri_shown(&sb, u->host));
		dg_finding_hint(fd, "use a DNS name in a public domain your organisation owns (it "
				"need not be reachable from the Internet), e.g. https://%.*s.<your "
				"domain>%s%s", (int)strcspn(u->host, "."), u->host,
				u->want_port, u->want_path);
		break;
	case DG_PSL_IS_SUFFIX:
		fd = dg_uri_add(c, DGF_URI027, "the host %s is itself a public suffix; Google "
				"needs a name below one", dg_uri_shown(&sb, u->host));
		dg_finding_hint(fd, "use a host name inside your own domain");
		break;
	case DG_PSL_UNAVAILABLE:
		fd = dg_uri_add(c, DGF_URI031, "no Public Suffix List data is available; "
				"Google's public-suffix rule was not checked");
		dg_finding_hint(fd, "install the publicsuffix package (or a libpsl with built-in "
				"data)");
		break;
	default:
		break;
	}
	dg_strbuf_release(&sb);
}

static void check_google_host(dg_uri_ctx *c, const dg_uri_seen *u)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd;

	if (!u->host_is_name || !u->ace)
		return;
	check_google_psl(c, u);
	if (under_domain(u->ace, "googleusercontent.com")) {
		fd = dg_uri_add(c, DGF_URI028, "the host %s is under googleusercontent.com, which "
				"Google does not accept for redirect URIs",
				dg_uri_shown(&sb, u->host));
		dg_finding_hint(fd, "use the MailStore server's own DNS name");
	}
	for (size_t i = 0; url_shorteners[i]; i++) {
		if (!under_domain(u->ace, url_shorteners[i]))
			continue;
		fd = dg_uri_add(c, DGF_URI029, "the host %s is a URL shortener domain; Google "
				"accepts those only from their owner and only with "
				"/google-callback/ in the path, which MailStore's /oidc/signin is "
				"not", dg_uri_shown(&sb, u->host));
		dg_finding_hint(fd, "use the MailStore server's own DNS name");
		break;
	}
	dg_strbuf_release(&sb);
}

static int find_traversal(const char *s, size_t len, void *arg)
{
	(void)arg;
	for (size_t i = 0; i + 2 < len; i++)
		if ((s[i] == '/' || s[i] == '\\') && s[i + 1] == '.' && s[i + 2] == '.')
			return 1;
	return 0;
}

static void check_google_uri(dg_uri_ctx *c, const dg_uri_seen *u)
{
	check_google_host(c, u);
	dg_uri_check_wildcard(c, u);
	if (dg_uri_each_decoding(u->raw, find_traversal, NULL))
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI030, "the URI contains a path traversal "
					      "(\"/..\" or \"\\..\", possibly percent-encoded); "
					      "Google rejects it"));
}

const dg_uri_rules dg_google_uri_rules = {
	"google", "Google", DG_URI_HTTP_LOOPBACK, check_google_uri,
};

/* ===== login methods ====================================================== */

static const dg_auth_need auth_needs[] = {
	{ "google-oidc", DG_AUTH_STRING(client_id), "/authentication/clientId",
	  "Set it to the Client ID of the OAuth client of type Web application." },
	{ "google-oidc", DG_AUTH_SECRET(client_secret), "/authentication/clientSecret",
	  "Set it to a secret reference for the OAuth client's secret, e.g. "
	  "{\"env\": \"GOOGLE_CLIENT_SECRET\"}." },
	{ "google-oidc", DG_AUTH_STRING(redirect_uri), "/authentication/redirectUri",
	  "Set it to MailStore's redirect URI, e.g. \"" DG_REDIRECT_EXAMPLE "\", the same "
	  "string as in the OAuth client's Authorized redirect URIs." },
};

static const dg_method_note method_notes[] = {
	{ "google-oidc", DGF_AUTH004,
	  "users who log in with Google (OpenID Connect) cannot use IMAP archive access with "
	  "their directory password",
	  "Tell users who read their archive over IMAP before switching; they keep MailStore "
	  "Client, Web Access and the Outlook add-in." },
	{ "google-imap", DGF_AUTH005,
	  "google-imap is legacy: it logs users in over IMAP, and Google is phasing out "
	  "less-secure-app access",
	  "Set \"method\": \"google-oidc\" with clientId, clientSecret and redirectUri." },
};


/* ===== entry point ======================================================== */

/* Directory and login-method rules interleave in the order an
 * administrator fixes things: identifiers, TLS, login method, redirect
 * URI, key file. */
void dg_google_check_offline(const dg_profile *p, dg_findings *out)
{
	const dg_dir_google *g = dg_google_opts(p);
	int dir = dg_profile_is_google(p);
	int oidc = dg_profile_method_is(p, "google-oidc");

	if (dir)
		check_ids_google(g, out);
	if (oidc && p->auth.client_id)
		check_google_client_id(p->auth.client_id, out);
	if (dir && g->tls.accept_all_certificates == 1)
		dg_check_accept_all("access token", out); /* Google is always https */
	if (dir)
		dg_check_method_allowed(p, out);
	dg_check_auth_needs(&p->auth, auth_needs, sizeof(auth_needs) / sizeof(auth_needs[0]),
			    out);
	dg_check_method_notes(dg_profile_method(p), method_notes,
			      sizeof(method_notes) / sizeof(method_notes[0]), out);
	if (oidc)
		dg_check_redirect_uri(p, &dg_google_uri_rules, out);
	if (dir && g->service_account_key_file)
		dg_google_check_key_file(g->service_account_key_file,
				     "/directory/serviceAccountKeyFile", out);
}
