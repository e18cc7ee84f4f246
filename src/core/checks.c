/* The directory's half of dirgate check --offline (checks.h): each
 * provider's rules from the registry (identifiers, directory details, TLS,
 * login method, redirect URI, key files), then the directory's CA file and
 * snapshot; the secret references; and the helpers the provider rules
 * share.  Every finding carries the JSON pointer of the field it is about
 * (docs/profile-keys.md). */
#include "checks.h"

#include "keys.h"
#include "secret.h"
#include "strbuf.h"
#include "validate.h"

#include "provider.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ===== helpers for the provider rules ===================================== */

void dg_check_domain(const char *s, const char *path, dg_finding_code code,
		     const char *example, dg_findings *out)
{
	dg_strbuf why = DG_STRBUF_INIT;
	dg_finding *fd;

	if (dg_domain_problem(s, &why) == 0)
		goto done;
	fd = dg_findings_add(out, code, path,
			     "domain \"%s\" is not a DNS domain name: %s", s, why.buf);
	dg_finding_hint(fd, "Give the DNS domain name, e.g. \"%s\".", example);
done:
	dg_strbuf_release(&why);
}

void dg_check_accept_all(const char *exposed, dg_findings *out)
{
	dg_finding *fd;

	fd = dg_findings_add(out, DGF_TLS002, "/directory/tls/acceptAllCertificates",
			     "acceptAllCertificates is true: ANY server certificate is accepted, "
			     "so anyone who can intercept the connection (man-in-the-middle) can "
			     "read the %s and the directory data",
			     exposed);
	dg_finding_hint(fd, "Set \"acceptAllCertificates\": false and put the certificate of the "
			"CA that issued the server's certificate into \"/directory/tls/caFile\".");
}

/* The login methods MailStore offers with directory type `type`, quoted:
 * "a", "b" or "c". */
static void add_offered_methods(dg_strbuf *sb, const char *type)
{
	const dg_provider_login *offered[32];
	size_t n = 0;

	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		for (const dg_provider_login *l = (*pp)->logins; l->method; l++)
			if (dg_types_listed(l->dir_types, type) && n < 32)
				offered[n++] = l;
	for (size_t i = 0; i < n; i++)
		dg_strbuf_addf(sb, "%s\"%s\"", !i ? "" : i == n - 1 ? " or " : ", ",
			       offered[i]->method);
}

void dg_check_method_allowed(const dg_profile *p, dg_findings *out)
{
	dg_strbuf names = DG_STRBUF_INIT;
	dg_finding *fd;

	if (!p->auth.method || !p->directory.kind ||
	    dg_types_listed(p->auth.method->dir_types, p->directory.kind->type))
		return;
	fd = dg_findings_add(out, DGF_AUTH001, "/authentication/method",
			     "login method \"%s\" is not available with directory type \"%s\"",
			     dg_profile_method(p), dg_profile_dir_type(p));
	add_offered_methods(&names, p->directory.kind->type);
	dg_finding_hint(fd, "With %s, set \"method\" to %s.", dg_profile_dir_type(p),
			names.buf ? names.buf : "");
	dg_strbuf_release(&names);
}

static int auth_field_set(const dg_authentication *a, const dg_auth_need *nd)
{
	const char *at = (const char *)a + nd->field;
	const char *s;

	if (nd->secret)
		return ((const dg_secret_ref *)at)->kind != DG_SECRET_NONE;
	s = *(char *const *)at;
	return s && *s;
}

void dg_check_auth_needs(const dg_authentication *a, const dg_auth_need *needs, size_t n,
			 dg_findings *out)
{
	for (size_t i = 0; i < n; i++) {
		const dg_auth_need *nd = &needs[i];
		dg_finding *fd;
		if (!a->method || strcmp(nd->method, a->method->method) || auth_field_set(a, nd))
			continue;
		fd = dg_findings_add(out, DGF_AUTH002, nd->path,
				     "login method \"%s\" needs %s", nd->method,
				     strrchr(nd->path, '/') + 1);
		dg_finding_hint(fd, "%s", nd->hint);
	}
}

void dg_check_method_notes(const char *method, const dg_method_note *notes, size_t n,
			   dg_findings *out)
{
	for (size_t i = 0; i < n; i++) {
		const dg_method_note *nt = &notes[i];
		dg_finding *fd;
		if (strcmp(nt->method, method))
			continue;
		fd = dg_findings_add(out, nt->code, "/authentication/method", "%s",
				     nt->message);
		dg_finding_hint(fd, "%s", nt->hint);
	}
}

/* Whether findings[from..] hold a warning or error about `path`. */
static int flagged_since(const dg_findings *out, size_t from, const char *path)
{
	for (size_t i = from; i < out->nr; i++)
		if (out->items[i].severity >= DG_SEV_WARNING && !strcmp(out->items[i].path, path))
			return 1;
	return 0;
}

int dg_check_redirect_uri(const dg_profile *p, const struct dg_uri_rules *rules,
			  dg_findings *out)
{
	dg_uri_opts opts;
	size_t before = out->nr;

	if (!p->auth.redirect_uri || !*p->auth.redirect_uri)
		return -1;
	memset(&opts, 0, sizeof(opts));
	opts.rules = rules;
	opts.spe = p->target.product == DG_PRODUCT_SPE;
	opts.instance_id = p->target.instance_id;
	opts.path = "/authentication/redirectUri";
	dg_uri_check(p->auth.redirect_uri, &opts, out);
	return flagged_since(out, before, opts.path);
}

/* ===== referenced files =================================================== */

static void check_readable(const char *file, const char *path, const char *what,
			   dg_findings *out)
{
	struct stat st;
	dg_finding *fd;
	const char *why = NULL;
	FILE *fp;

	if (stat(file, &st) < 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "it is a directory";
	else if (!(fp = fopen(file, "rb")))
		why = strerror(errno);
	else
		fclose(fp);
	if (!why)
		return;
	fd = dg_findings_add(out, DGF_PROF009, path, "cannot read %s %s: %s",
			     what, file, why);
	dg_finding_hint(fd, "Check the path (a relative path is resolved against the profile's "
			"directory) and that the user running dirgate may read the file.");
}

/* The directory's TLS options, the ones whose caFile the directory
 * connection trusts, as its provider keeps them; NULL when it has none. */
static const dg_tls_opts *directory_tls(const dg_profile *p)
{
	const dg_provider *d = dg_provider_of(p);

	return d && d->directory_tls ? d->directory_tls(p) : NULL;
}

/* The files the directory settings point at.  They come after all the
 * provider rules, the login method's included: settings are fixed first. */
static void check_directory_files(const dg_profile *p, dg_findings *out)
{
	const dg_tls_opts *tls = directory_tls(p);

	if (tls && tls->ca_file)
		dg_keys_check_ca(tls->ca_file, "/directory/tls/caFile", out);
	if (p->directory.snapshot)
		check_readable(p->directory.snapshot, "/directory/snapshot", "snapshot", out);
}

/* ===== secrets ============================================================ */

static void check_secrets(const dg_profile *p, dg_findings *out)
{
	const dg_secret_ref *refs[32];
	size_t n = dg_profile_secrets(p, refs, sizeof(refs) / sizeof(refs[0]));

	if (n > sizeof(refs) / sizeof(refs[0]))
		n = sizeof(refs) / sizeof(refs[0]);
	for (size_t i = 0; i < n; i++)
		dg_secret_check(refs[i], out);
}

/* ===== entry point ======================================================== */

void dg_check_directory_offline(const dg_profile *p, dg_findings *out)
{
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		if ((*pp)->check_offline)
			(*pp)->check_offline(p, out);
	check_directory_files(p, out);
}

void dg_check_secrets(const dg_profile *p, dg_findings *out)
{
	check_secrets(p, out);
}
