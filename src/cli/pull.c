/* dirgate pull PROFILE: the server's directory-services configuration as it
 * is (GetDirectoryServicesConfiguration), so an administrator sees the real
 * key names; secrets masked unless --include-secrets. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate pull PROFILE [--output FILE] [--include-secrets] [--users FILE]\n"
	"                    [--instance-config] [--format raw|json]\n"
	"\n"
	"Writes the MailStore directory-services configuration of the profile's\n"
	"target (GetDirectoryServicesConfiguration) as JSON to FILE or standard\n"
	"output.  Passwords and secrets are shown as ******** unless\n"
	"--include-secrets is given.  A file is written with mode 0600.  The raw\n"
	"format is the configuration object itself (indented, for reading and for\n"
	"'dirgate push --restore'); json wraps it as {\"formatVersion\", \"command\",\n"
	"\"profile\", \"secretsMasked\", \"config\"} on one line, like every command's JSON.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE    write there instead of standard output\n"
	"  --include-secrets    show passwords and secrets as the server has them\n"
	"  --users FILE         also write the users export (GetUsers with each user's\n"
	"                       GetUserInfo) for 'dirgate cutover --users FILE'\n"
	"  --instance-config    SPE: the instance's own configuration instead\n"
	"                       (GetInstanceConfiguration), the raw object 'dirgate\n"
	"                       onboard' creates new instances from\n"
	"  --format raw|json    output format (default: raw)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   written\n"
	"  1   the server could not be asked or the file not written\n"
	"  3   the profile has errors\n"
	"  64  usage error\n";

/* The users export (docs/cutover.md "The users export"). */
static int write_users(dg_ms_session *s, const char *path)
{
	dg_srv_state st;
	dg_error err = { 0 };
	cJSON *obj;
	int rc;

	if (dg_srv_fetch(s->client, 1, 8, &st, &err)) {
		dg_srv_state_release(&st);
		return dg_cli_fail("%s", err.message);
	}
	obj = dg_srv_users_json(&st);
	rc = dg_cli_write_json(path, obj, DG_OUTFILE_REPLACE);
	if (!rc)
		fprintf(stderr, "dirgate pull: wrote %zu users to %s\n", st.nusers, path);
	cJSON_Delete(obj);
	dg_srv_state_release(&st);
	return rc;
}

/* --format json: the configuration in the envelope every JSON output has
 * (docs/output.md "pull"). */
static int write_envelope(const char *path, const char *profile, int secrets, cJSON *config)
{
	cJSON *doc = cJSON_CreateObject();
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	cJSON_AddNumberToObject(doc, "formatVersion", DG_JSON_FORMAT_VERSION);
	cJSON_AddStringToObject(doc, "command", "pull");
	cJSON_AddStringToObject(doc, "profile", profile ? profile : "");
	cJSON_AddBoolToObject(doc, "secretsMasked", !secrets);
	cJSON_AddItemReferenceToObject(doc, "config", config);
	dg_cli_json_line(&sb, doc);
	rc = dg_cli_write(path, &sb);
	explicit_bzero(sb.buf, sb.len); /* secrets with --include-secrets */
	dg_strbuf_release(&sb);
	cJSON_Delete(doc);
	return rc;
}

int dg_cmd_pull(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "include-secrets", no_argument, NULL, 's' },
		{ "users", required_argument, NULL, 'u' },
		{ "instance-config", no_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "raw", "json", NULL };
	const char *output = NULL, *users = NULL;
	int secrets = 0, instance = 0, fmt = DG_FMT_RAW, c, rc;
	const char *fn = "GetDirectoryServicesConfiguration";
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_ms_session s;
	dg_error err = { 0 };
	dg_tmap map;

	while ((c = dg_cli_getopt("pull", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'o': output = optarg; break;
		case 's': secrets = 1; break;
		case 'u': users = optarg; break;
		case 'i': instance = 1; break;
		case 'f':
			if ((fmt = dg_cli_parse_format("pull", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if ((rc = dg_cli_one_operand("pull", argc, argv, "PROFILE")))
		return rc;
	if ((rc = dg_cli_ms_open("pull", argv[optind], NULL, &s)))
		return rc;
	if (instance && s.profile->target.product != DG_PRODUCT_SPE) {
		dg_ms_session_close(&s);
		return dg_cli_usage_error("pull", "--instance-config needs an SPE target "
					  "(/target/product \"spe\")");
	}
	if (instance)
		fn = "GetInstanceConfiguration";
	if (dg_ms_call(s.client, fn, NULL, 0, DG_MS_READ, &env, &err)) {
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	if (!env.result)
		env.result = cJSON_CreateObject();
	if (!secrets) {
		if (dg_tmap_load_default(&map, &err)) {
			rc = dg_cli_fail("%s", err.message);
			goto out;
		}
		dg_tmap_redact(&map, NULL, env.result, DG_TMAP_MASK);
		dg_tmap_release(&map);
	}
	rc = fmt == DG_FMT_JSON ? write_envelope(output, s.profile->name, secrets, env.result)
		  : dg_cli_write_json(output, env.result, DG_OUTFILE_REPLACE);
	if (!rc && output)
		fprintf(stderr, "dirgate pull: wrote %s%s\n", output,
			secrets ? " (with secrets: keep it safe)" : " (secrets masked)");
	if (!rc && users)
		rc = write_users(&s, users);
out:
	dg_ms_envelope_release(&env);
	dg_ms_session_close(&s);
	return rc;
}
