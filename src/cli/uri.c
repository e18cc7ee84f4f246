/* dirgate uri URI [--provider NAME] [--instance ID] [--format text|json]
 * Checks one OpenID Connect redirect URI against MailStore's pattern and the
 * rules of the identity provider it is registered at. */
#include "cli.h"

#include "../core/provider.h"
#include "../core/uri.h"
#include "../core/uri_rules.h"

#include <getopt.h>
#include <string.h>

static const char usage_tail[] =
	"  --instance ID        MailStore SPE: the path must be /ID/oidc/signin\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   no errors (warnings allowed)\n"
	"  3   the URI has errors\n"
	"  64  usage error\n";

/* The help, with the providers whose rules --provider applies (their
 * dg_uri_rules names and labels); built once, it lives as long as the
 * program. */
static const char *usage(void)
{
	static dg_strbuf sb = DG_STRBUF_INIT;
	dg_strlist names = DG_STRLIST_INIT, labels = DG_STRLIST_INIT;
	dg_strbuf para = DG_STRBUF_INIT, joined = DG_STRBUF_INIT;

	if (sb.len)
		return sb.buf;
	for (const dg_provider *const *pp = dg_providers; *pp; pp++) {
		if (!(*pp)->redirect_uri)
			continue;
		dg_strlist_push(&names, (*pp)->redirect_uri->name);
		dg_strlist_push(&labels, (*pp)->redirect_uri->label);
	}
	dg_uri_rules_names(&joined, "|");
	dg_strbuf_addf(&sb, "usage: dirgate uri URI [--provider %s] [--instance ID]\n"
		       "                       [--format text|json]\n"
		       "\n"
		       "Checks one redirect URI the way the profile checks do: MailStore's pattern\n"
		       "https://<fqdn>[:port]/oidc/signin (SPE: https://<fqdn>[:port]/<instanceid>/oidc/signin)\n",
		       joined.buf);
	dg_strbuf_adds(&para, "and, with --provider, the registration rules of ");
	dg_cli_add_choice(&para, &labels, "or");
	dg_strbuf_adds(&para, ".  The URI is compared case-sensitively, so every finding's "
		       "hint shows the corrected URI when it can be derived.");
	dg_cli_add_filled(&sb, para.buf, 0);
	dg_strbuf_adds(&sb, "\n"
		       "options:\n"
		       "  --provider NAME      also apply the rules of ");
	dg_cli_add_choice(&sb, &names, "or");
	dg_strbuf_addf(&sb, "\n%s", usage_tail);
	dg_strbuf_release(&joined);
	dg_strbuf_release(&para);
	dg_strlist_clear(&labels);
	dg_strlist_clear(&names);
	return sb.buf;
}

struct uri_args {
	const char *uri;
	const dg_uri_rules *rules; /* --provider's, or NULL */
	const char *instance;
	int format;
};

static int unknown_provider(const char *name)
{
	dg_strbuf names = DG_STRBUF_INIT;
	int rc;

	dg_uri_rules_names(&names, ", ");
	rc = dg_cli_usage_error("uri", "unknown provider '%s' (use one of: %s)", name, names.buf);
	dg_strbuf_release(&names);
	return rc;
}

static void render_json(dg_strbuf *out, const struct uri_args *a, const dg_findings *fs)
{
	const char *prov = a->rules ? a->rules->name : NULL;
	dg_strbuf shown = DG_STRBUF_INIT;
	dg_uri_add_display(&shown, a->uri);
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD "\"uri\":");
	dg_strbuf_add_json_str(out, shown.buf);
	dg_strbuf_adds(out, ",\"provider\":");
	if (prov)
		dg_strbuf_add_json_str(out, prov);
	else
		dg_strbuf_adds(out, "null");
	if (a->instance) {
		dg_strbuf_adds(out, ",\"instance\":");
		dg_strbuf_add_json_str(out, a->instance);
	}
	dg_strbuf_addf(out, ",\"valid\":%s,\"findings\":",
		       dg_findings_count(fs, DG_SEV_ERROR) ? "false" : "true");
	dg_output_findings_json_array(out, fs);
	dg_strbuf_adds(out, "}\n");
	dg_strbuf_release(&shown);
}

static void render_text(dg_strbuf *out, const struct uri_args *a, const dg_findings *fs)
{
	if (fs->nr) {
		dg_output_findings_text(out, fs, dg_cli_color(stdout));
		return;
	}
	dg_strbuf_adds(out, "ok: ");
	dg_uri_add_display(out, a->uri);
	dg_strbuf_addch(out, '\n');
}

/* Returns -1 when the arguments are fine, else the exit code. */
static int parse_args(int argc, char **argv, struct uri_args *a)
{
	static const struct option longopts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "instance", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	int c, rc;

	while ((c = dg_cli_getopt("uri", argc, argv, "", longopts, usage(), &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'p':
			if (!(a->rules = dg_uri_rules_find(optarg)))
				return unknown_provider(optarg);
			break;
		case 'i':
			if (!*optarg || optarg[strcspn(optarg, "/?#\\ \t\r\n")])
				return dg_cli_usage_error("uri", "--instance needs an SPE instance "
							  "id (one path segment)");
			a->instance = optarg;
			break;
		case 'f':
			if ((a->format = dg_cli_parse_format("uri", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if (optind >= argc)
		return dg_cli_usage_error("uri", "missing the redirect URI to check");
	if (argc - optind > 1)
		return dg_cli_usage_error("uri", "expected one URI, got %d arguments",
					  argc - optind);
	a->uri = argv[optind];
	return -1;
}

int dg_cmd_uri(int argc, char **argv)
{
	struct uri_args a = { NULL, NULL, NULL, DG_FMT_TEXT };
	dg_findings fs = DG_FINDINGS_INIT;
	dg_strbuf out = DG_STRBUF_INIT;
	dg_uri_opts opts;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;

	opts.rules = a.rules;
	opts.spe = a.instance != NULL;
	opts.instance_id = a.instance;
	opts.path = "";
	dg_uri_check(a.uri, &opts, &fs);
	dg_findings_sort(&fs);
	if (a.format == DG_FMT_JSON)
		render_json(&out, &a, &fs);
	else
		render_text(&out, &a, &fs);
	rc = dg_cli_write(NULL, &out);
	if (!rc && dg_findings_count(&fs, DG_SEV_ERROR))
		rc = DG_EXIT_FINDINGS;
	dg_findings_clear(&fs);
	dg_strbuf_release(&out);
	return rc;
}
