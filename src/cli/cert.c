/* dirgate cert new --subject CN --days N --out DIR [--format text|json]
 * Creates the key pair and self-signed certificate for an app registration
 * and prints what its portal shows, so the administrator can compare the
 * uploaded certificate with the one in the profile. */
#include "cli.h"

#include "../core/cert.h"
#include "../core/provider.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage_tail[] =
	"\n"
	"options:\n"
	"  --subject CN         the certificate's common name (\"CN=\" optional)\n"
	"  --days N             validity in days, 1 to 3650\n"
	"  --out DIR            existing directory for the two files\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   created\n"
	"  1   could not create (e.g. a file exists)\n"
	"  64  usage error\n";

static const char *registration_of(const dg_provider *pv) { return pv->app_registration; }
static const char *thumbprint_of(const dg_provider *pv) { return pv->app_cert_thumbprint; }
static const char *next_of(const dg_provider *pv) { return pv->app_cert_next; }

/* "for TYPE profiles, <what `field` gives>; ..." for each provider whose
 * app registration has words for it (provider.h); nothing when none has.
 * The caller knows no provider: `cert new` reads no profile. */
static void add_per_provider(dg_strbuf *sb, const char *(*field)(const dg_provider *))
{
	int n = 0;

	for (const dg_provider *const *pp = dg_providers; *pp; pp++) {
		if (!field(*pp))
			continue;
		dg_strbuf_adds(sb, n++ ? "; for " : "for ");
		dg_cli_add_dir_types(sb, *pp, "or");
		dg_strbuf_addf(sb, " profiles, %s", field(*pp));
	}
}

/* The help, with the app registrations the registry's providers sign in
 * with; built once, it lives as long as the program. */
static const char *usage(void)
{
	static dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf para = DG_STRBUF_INIT, words = DG_STRBUF_INIT;

	if (sb.len)
		return sb.buf;
	dg_strbuf_adds(&sb, "usage: dirgate cert new --subject CN --days N --out DIR "
		       "[--format text|json]\n"
		       "\n");
	dg_strbuf_adds(&para, "Creates an RSA 2048 private key and a self-signed certificate "
		       "(SHA-256) for an app registration to sign in with, like MailStore's "
		       "credential manager does");
	add_per_provider(&words, registration_of);
	if (words.len)
		dg_strbuf_addf(&para, " (%s)", words.buf);
	dg_strbuf_adds(&para, ".  Writes DIR/" DG_CERT_FILE " (to upload to the app "
		       "registration) and DIR/" DG_CERT_KEY_FILE " (mode 0600; never upload or "
		       "share it), and prints the SHA-1 thumbprint");
	dg_strbuf_reset(&words);
	add_per_provider(&words, thumbprint_of);
	if (words.len)
		dg_strbuf_addf(&para, " (%s)", words.buf);
	dg_strbuf_adds(&para, ", the SHA-256 thumbprint and the expiry.  Existing files are "
		       "never overwritten.");
	dg_cli_add_filled(&sb, para.buf, 0);
	dg_strbuf_adds(&sb, usage_tail);
	dg_strbuf_release(&words);
	dg_strbuf_release(&para);
	return sb.buf;
}

struct cert_args {
	dg_cert_new_opts o;
	int days_given;
	int format;
};

static int parse_days(const char *s, int *out)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

/* Returns -1 when the arguments are fine, else the exit code. */
static int parse_args(int argc, char **argv, struct cert_args *a)
{
	static const struct option longopts[] = {
		{ "subject", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	int c, rc;

	while ((c = dg_cli_getopt("cert", argc, argv, "", longopts, usage(), &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 's': a->o.subject = optarg; break;
		case 'o': a->o.out_dir = optarg; break;
		case 'd':
			if (parse_days(optarg, &a->o.days) < 0)
				return dg_cli_usage_error("cert", "--days '%s' is not a whole number", optarg);
			a->days_given = 1;
			break;
		case 'f':
			if ((a->format = dg_cli_parse_format("cert", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if (optind < argc)
		return dg_cli_usage_error("cert", "unexpected argument '%s'", argv[optind]);
	if (!a->o.subject || !a->days_given || !a->o.out_dir)
		return dg_cli_usage_error("cert", "cert new needs --subject, --days and --out");
	return -1;
}

static void render_text(dg_strbuf *out, const dg_cert_new_result *r)
{
	dg_strbuf words = DG_STRBUF_INIT;

	dg_strbuf_addf(out, "certificate:        %s\n", r->cert_file);
	dg_strbuf_addf(out, "private key:        %s (mode 0600: keep it secret, never upload it)\n",
		       r->key_file);
	dg_strbuf_addf(out, "subject:            %s\n", r->prints.subject);
	dg_strbuf_addf(out, "SHA-1 thumbprint:   %s", r->prints.sha1_hex);
	add_per_provider(&words, thumbprint_of);
	if (words.len)
		dg_strbuf_addf(out, " (%s)", words.buf);
	dg_strbuf_addf(out, "\nSHA-256 thumbprint: %s\n", r->prints.sha256_hex);
	dg_strbuf_addf(out, "expires:            %s\n", r->prints.not_after);
	dg_strbuf_reset(&words);
	add_per_provider(&words, next_of);
	if (words.len)
		dg_strbuf_addf(out, "\nnext: %s.\n", words.buf);
	dg_strbuf_release(&words);
}

static void json_field(dg_strbuf *out, const char *name, const char *value, int last)
{
	dg_strbuf_addf(out, "\"%s\":", name);
	dg_strbuf_add_json_str(out, value);
	dg_strbuf_adds(out, last ? "" : ",");
}

static void render_json(dg_strbuf *out, const dg_cert_new_result *r)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD);
	json_field(out, "certFile", r->cert_file, 0);
	json_field(out, "keyFile", r->key_file, 0);
	json_field(out, "subject", r->prints.subject, 0);
	json_field(out, "sha1Thumbprint", r->prints.sha1_hex, 0);
	json_field(out, "sha256Thumbprint", r->prints.sha256_hex, 0);
	json_field(out, "x5t", r->prints.x5t, 0);
	json_field(out, "notAfter", r->prints.not_after, 1);
	dg_strbuf_adds(out, "}\n");
}

int dg_cmd_cert(int argc, char **argv)
{
	struct cert_args a = { 0 };
	dg_cert_new_result r;
	dg_strbuf out = DG_STRBUF_INIT;
	dg_error err;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage(), stdout);
		return DG_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "new"))
		return dg_cli_usage_error("cert", "the only cert subcommand is 'new'");
	if ((rc = parse_args(argc - 1, argv + 1, &a)) >= 0)
		return rc;
	if (dg_cert_new(&a.o, &r, &err))
		return err.code == DG_E_USAGE ? dg_cli_usage_error("cert", "%s", err.message)
					      : dg_cli_fail("%s", err.message);
	if (a.format == 1)
		render_json(&out, &r);
	else
		render_text(&out, &r);
	rc = dg_cli_write(NULL, &out) ? DG_EXIT_FAILURE : DG_EXIT_OK;
	dg_strbuf_release(&out);
	dg_cert_new_result_release(&r);
	return rc;
}
