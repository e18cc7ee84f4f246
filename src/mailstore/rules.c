/* MailStore's target, guard and privilege rules (rules.h). */
#include "rules.h"

#include "../core/checks.h"
#include "../core/keys.h"
#include "../core/strbuf.h"
#include "../core/validate.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_PORT_SERVER 8463
#define API_PORT_SPE 8474

/* ===== TLS to the API ===================================================== */

/* 64 hex digits, optionally in colon-separated pairs. */
static int pin_problem(const char *pin, dg_strbuf *why)
{
	size_t hex = 0;

	for (const char *s = pin; *s; s++) {
		if (isxdigit((unsigned char)*s)) {
			hex++;
		} else if (*s != ':') {
			dg_strbuf_addf(why, "it contains '%c', which is neither a hex digit nor ':'", *s);
			return -1;
		}
	}
	if (hex != 64) {
		dg_strbuf_addf(why, "it has %zu hex digits, not 64", hex);
		return -1;
	}
	return 0;
}

static void check_target_pin(const char *pin, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (pin_problem(pin, &why) == 0)
		goto done;
	fd = dg_findings_add(out, DGF_TLS009, "/target/tls/pinSha256",
			     "pinSha256 is not a SHA-256 fingerprint: %s", why.buf);
	dg_finding_hint(fd, "Give the 64 hex digits of the SHA-256 fingerprint, with or without "
			"colons, e.g. \"9F:86:D0:81:88:4C:7D:65:9A:2F:EA:A0:C5:5A:D0:15:"
			"A3:BF:4F:1B:2B:0B:82:2C:D1:5D:6C:15:B0:F0:0A:08\".");
done:
	dg_strbuf_release(&why);
}

static void check_target_tls(const dg_target *t, dg_findings *out)
{
	dg_finding *fd;

	if (!t->present)
		return;
	if (t->pin_sha256)
		check_target_pin(t->pin_sha256, out);
	if (t->insecure != 1)
		return;
	fd = dg_findings_add(out, DGF_TLS008, "/target/tls/insecure",
			     "insecure is true: the MailStore server's certificate is NOT checked, "
			     "so a man-in-the-middle can read the API password and change what "
			     "is pushed");
	dg_finding_hint(fd, "Set \"insecure\": false and give the server's CA in "
			"\"/target/tls/caFile\", or pin its certificate with \"/target/tls/pinSha256\".");
	if (t->pin_sha256 || t->ca_file) {
		fd = dg_findings_add(out, DGF_TLS010, "/target/tls/insecure",
				     "insecure is true, so %s %s ignored",
				     t->pin_sha256 && t->ca_file ? "caFile and pinSha256"
				     : t->ca_file ? "caFile" : "pinSha256",
				     t->pin_sha256 && t->ca_file ? "are" : "is");
		dg_finding_hint(fd, "Remove \"insecure\" (or set it to false) so that the CA file "
				"or pin is used.");
	}
}

/* ===== API target ========================================================= */

static void check_target_scheme(const char *url, const char *scheme, dg_findings *out)
{
	dg_finding *fd;

	if (!strcasecmp(scheme, "https"))
		return;
	fd = dg_findings_add(out, DGF_API002, "/target/url",
			     "url \"%s\" uses %s; the MailStore Administration API is only "
			     "served over https", url, scheme);
	dg_finding_hint(fd, "Use https://, e.g. \"https://archive.example.com:8463\" "
			"(MailStore Service Provider Edition: port 8474).");
}

static void check_target_port(const char *url, const char *port, int spe, dg_findings *out)
{
	int want = spe ? API_PORT_SPE : API_PORT_SERVER;
	dg_finding *fd;

	if (port && atoi(port) == want)
		return;
	fd = dg_findings_add(out, DGF_API003, "/target/url",
			     "url \"%s\" uses port %s; the %s Administration API listens on %d "
			     "by default", url, port ? port : "the scheme's default (no port given)",
			     spe ? "MailStore SPE" : "MailStore Server", want);
	dg_finding_hint(fd, "Fine if the API was moved to this port; otherwise add :%d to the "
			"URL.", want);
}

static void check_target_path(const char *url, CURLU *h, dg_findings *out)
{
	char *path = NULL, *query = NULL, *frag = NULL;
	dg_finding *fd;

	curl_url_get(h, CURLUPART_PATH, &path, 0);
	curl_url_get(h, CURLUPART_QUERY, &query, 0);
	curl_url_get(h, CURLUPART_FRAGMENT, &frag, 0);
	if ((path && *path && strcmp(path, "/")) || query || frag) {
		fd = dg_findings_add(out, DGF_API004, "/target/url",
				     "url \"%s\" has a path, query or fragment; dirgate appends "
				     "/api/invoke/... to the server's base URL", url);
		dg_finding_hint(fd, "Give only scheme, host and port, e.g. "
				"\"https://archive.example.com:8463\".");
	}
	curl_free(path);
	curl_free(query);
	curl_free(frag);
}

static void check_target_url(const dg_target *t, dg_findings *out)
{
	CURLU *h = curl_url();
	CURLUcode rc = curl_url_set(h, CURLUPART_URL, t->url, 0);
	char *scheme = NULL, *port = NULL;
	dg_finding *fd;

	if (rc != CURLUE_OK) {
		fd = dg_findings_add(out, DGF_API001, "/target/url",
				     "url \"%s\" cannot be parsed: %s", t->url, curl_url_strerror(rc));
		dg_finding_hint(fd, "Give the server's base URL, e.g. "
				"\"https://archive.example.com:8463\".");
		goto done;
	}
	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(h, CURLUPART_PORT, &port, 0);
	if (scheme)
		check_target_scheme(t->url, scheme, out);
	check_target_port(t->url, port, t->product == DG_PRODUCT_SPE, out);
	check_target_path(t->url, h, out);
done:
	curl_free(scheme);
	curl_free(port);
	curl_url_cleanup(h);
}

/* A missing instanceId is the loader's PROF005; a blank one gets here. */
static void check_target_instance(const dg_target *t, dg_findings *out)
{
	int has_id = t->instance_id && !dg_is_blank(t->instance_id);
	dg_finding *fd;

	if (t->product == DG_PRODUCT_SPE && t->instance_id && !has_id) {
		fd = dg_findings_add(out, DGF_API005, "/target/instanceId",
				     "product is \"spe\", but instanceId is blank; every SPE API "
				     "call names the instance");
		dg_finding_hint(fd, "Set \"instanceId\" to the instance's ID as shown in the SPE "
				"Management Console.");
	} else if (t->product != DG_PRODUCT_SPE && has_id) {
		fd = dg_findings_add(out, DGF_API006, "/target/instanceId",
				     "instanceId \"%s\" is ignored: product is MailStore Server, "
				     "which has no instances", t->instance_id);
		dg_finding_hint(fd, "Remove instanceId, or set \"product\": \"spe\" if the target "
				"is MailStore Service Provider Edition.");
	}
}

static void check_target(const dg_profile *p, dg_findings *out)
{
	const dg_target *t = &p->target;
	dg_finding *fd;

	if (!t->present)
		return;
	if (t->url)
		check_target_url(t, out);
	check_target_instance(t, out);
	/* a missing user is the loader's PROF005; a blank one gets here */
	if (t->user && dg_is_blank(t->user)) {
		fd = dg_findings_add(out, DGF_API007, "/target/user",
				     "user is empty");
		dg_finding_hint(fd, "Give a MailStore administrator's user name, e.g. \"admin\".");
	}
}

/* ===== guards ============================================================= */

static void check_guards(const dg_profile *p, dg_findings *out)
{
	const dg_sync_opts *s = &p->sync;
	dg_finding *fd;

	if (isnan(s->max_drop_percent) || s->max_drop_percent > 100) {
		fd = dg_findings_add(out, DGF_GUARD001, "/sync/guards/maxDropPercent",
				     "maxDropPercent %g is not between 0 and 100",
				     s->max_drop_percent);
		dg_finding_hint(fd, "Give a percentage from 0 to 100, e.g. 10.");
	}
	if (s->min_users == 0) {
		fd = dg_findings_add(out, DGF_GUARD002, "/sync/guards/minUsers",
				     "minUsers is 0, so a push that would leave zero users is not "
				     "stopped");
		dg_finding_hint(fd, "Set \"minUsers\" to at least 1 (e.g. a little below today's "
				"user count).");
	}
	if (s->delete_users == 1 && s->max_deletes_defaulted) {
		fd = dg_findings_add(out, DGF_GUARD003, "/sync/guards/maxDeletes",
				     "deleteUsers is true and maxDeletes is not set: the default "
				     "limit of %d deletions per synchronisation applies",
				     DG_SYNC_DEFAULT_MAX_DELETES);
		dg_finding_hint(fd, "Set \"/sync/guards/maxDeletes\" to what one run may "
				"delete in this directory (0 allows none).");
	}
}

/* "none" and "admin" are whole privilege sets of their own in the
 * Administration API; combined with others the server refuses the call. */
static void check_privileges(const dg_profile *p, dg_findings *out)
{
	const dg_strarr *pr = &p->sync.default_privileges;
	dg_finding *fd;

	if (pr->nr < 2)
		return;
	for (size_t i = 0; i < pr->nr; i++) {
		if (strcmp(pr->items[i], "none") && strcmp(pr->items[i], "admin"))
			continue;
		fd = dg_findings_add(out, DGF_API008, "/sync/defaultPrivileges",
				     "privilege \"%s\" must stand alone, but %zu privileges are listed",
				     pr->items[i], pr->nr);
		dg_finding_hint(fd, "Use [\"%s\"] on its own, or drop it and list the privileges "
				"users should have, e.g. [\"login\"].", pr->items[i]);
		return;
	}
}

/* ===== entry point ======================================================== */

void dg_mailstore_check_offline(const dg_profile *p, dg_findings *out)
{
	check_target_tls(&p->target, out);
	if (p->target.present && p->target.ca_file)
		dg_keys_check_ca(p->target.ca_file, "/target/tls/caFile", out);
	check_target(p, out);
	check_guards(p, out);
	check_privileges(p, out);
}

void dg_check_offline(const dg_profile *p, dg_findings *out)
{
	dg_check_directory_offline(p, out);
	dg_mailstore_check_offline(p, out);
	dg_check_secrets(p, out);
}
