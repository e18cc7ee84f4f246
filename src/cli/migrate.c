/* dirgate migrate PROFILE FILE: applies an old=new rename list (from
 * 'dirgate plan --renames') through RenameUser and the folder privilege
 * functions, after writing a backup listing of every user it touches.
 * MailStore knows archives by user name: RenameUser does not rename the
 * archive folder, so the renamed user gets its privileges on the old
 * folder set again explicitly (SetUserPrivilegesOnFolder). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage_text[] =
	"usage: dirgate migrate PROFILE FILE [--yes] [--backup FILE] [--format text|json]\n"
	"\n"
	"Renames MailStore users as FILE lists them (old=new per line, '#' comments),\n"
	"keeping each user's privileges on its archive folders.  Before changing\n"
	"anything it writes every touched user's GetUserInfo to a backup listing\n"
	"(default NAME-migrate-backup-TIMESTAMP.json).  Without --yes it only checks\n"
	"the list against the server and shows what it would do.\n"
	"\n"
	"options:\n"
	"  -y, --yes            really rename (without it: check and show)\n"
	"  --backup FILE        where the backup listing goes; never overwritten\n"
	"  --format text|json   output format (default: text; with json the lines\n"
	"                       saying what was done go to standard error)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   renamed (without --yes: the list checked)\n"
	"  1   the list could not be read, a user is not on the server, or a rename\n"
	"      failed\n"
	"  3   the profile has errors\n"
	"  64  usage error\n";

/* GetUserInfo of every old name; refuses missing users and taken new names. */
static int collect(dg_ms_session *s, const dg_rename_list *rl, cJSON *listing)
{
	dg_error err = { 0 };
	int bad = 0;

	for (size_t i = 0; i < rl->nr; i++) {
		dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
		dg_ms_arg a = { "userName", rl->items[i].from };
		if (dg_ms_call(s->client, "GetUserInfo", &a, 1, DG_MS_READ, &env, &err)) {
			fprintf(stderr, "line %d: %s\n", rl->items[i].line, err.message);
			bad = 1;
		} else {
			cJSON_AddItemToArray(listing, env.result);
			env.result = NULL;
		}
		dg_ms_envelope_release(&env);
		if (strcasecmp(rl->items[i].from, rl->items[i].to)) {
			a.value = rl->items[i].to;
			if (!dg_ms_call(s->client, "GetUserInfo", &a, 1, DG_MS_READ, &env, &err)) {
				fprintf(stderr, "line %d: MailStore user '%s' exists already: "
					"renaming '%s' onto it is not possible\n",
					rl->items[i].line, rl->items[i].to, rl->items[i].from);
				bad = 1;
			}
			dg_ms_envelope_release(&env);
		}
	}
	return bad ? DG_EXIT_FAILURE : 0;
}

static int call(dg_ms_session *s, const char *fn, const dg_ms_arg *a, size_t n)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	int rc = 0;

	if (dg_ms_call(s->client, fn, a, n, 0, &env, &err))
		rc = dg_cli_fail("%s", err.message);
	dg_ms_envelope_release(&env);
	return rc;
}

/* RenameUser, then the folder privileges the user had, on the same folders. */
static int rename_one(dg_ms_session *s, const dg_rename *r, const cJSON *info, FILE *says)
{
	dg_ms_arg ren[2] = { { "oldUserName", r->from }, { "newUserName", r->to } };
	const cJSON *f;
	int rc;

	if ((rc = call(s, "RenameUser", ren, 2)))
		return rc;
	fprintf(says, "renamed %s -> %s", r->from, r->to);
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(info, "privilegesOnFolders")) {
		const cJSON *folder = cJSON_GetObjectItemCaseSensitive(f, "folder"), *p;
		dg_strbuf privs = DG_STRBUF_INIT;
		if (!cJSON_IsString(folder))
			continue;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(f, "privileges"))
			if (cJSON_IsString(p))
				dg_strbuf_addf(&privs, "%s%s", privs.len ? "," : "", p->valuestring);
		if (privs.len) {
			dg_ms_arg a[3] = { { "userName", r->to }, { "folder", folder->valuestring },
					   { "privileges", privs.buf } };
			rc = call(s, "SetUserPrivilegesOnFolder", a, 3);
			if (!rc)
				fprintf(says, "; %s on folder %s", privs.buf, folder->valuestring);
		}
		dg_strbuf_release(&privs);
		if (rc)
			break;
	}
	fputc('\n', says);
	return rc;
}

/* --format json (docs/output.md "migrate"): `done` renames were made. */
static int report_json(const char *profile, const dg_rename_list *rl, int yes,
		       const char *backup)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":\"migrate\",\"profile\":");
	if (profile) /* NULL: an empty list is answered before the profile is read */
		dg_strbuf_add_json_str(&sb, profile);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_addf(&sb, ",\"outcome\":\"%s\",\"renames\":[",
		       !rl->nr ? "unchanged" : yes ? "renamed" : "shown");
	for (size_t i = 0; i < rl->nr; i++) {
		dg_strbuf_adds(&sb, i ? ",{\"from\":" : "{\"from\":");
		dg_strbuf_add_json_str(&sb, rl->items[i].from);
		dg_strbuf_adds(&sb, ",\"to\":");
		dg_strbuf_add_json_str(&sb, rl->items[i].to);
		dg_strbuf_addf(&sb, ",\"done\":%s}", yes ? "true" : "false");
	}
	dg_strbuf_adds(&sb, "],\"backup\":");
	if (backup)
		dg_strbuf_add_json_str(&sb, backup);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_adds(&sb, "}\n");
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

int dg_cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "backup", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	const char *backup = NULL;
	int yes = 0, fmt = DG_FMT_TEXT, c, rc;
	FILE *says;
	dg_rename_list rl;
	dg_error err = { 0 };
	dg_ms_session s;
	cJSON *listing;
	char *path = NULL;

	while ((c = dg_cli_getopt("migrate", argc, argv, "y", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'y': yes = 1; break;
		case 'b': backup = optarg; break;
		case 'f':
			if ((fmt = dg_cli_parse_format("migrate", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	says = fmt == DG_FMT_JSON ? stderr : stdout;
	if (argc - optind != 2)
		return dg_cli_usage_error("migrate", "PROFILE and FILE are required");
	if (dg_renames_load(argv[optind + 1], &rl, &err))
		return dg_cli_fail("%s", err.message);
	if (!rl.nr) {
		fprintf(says, "%s lists no renames: nothing to do\n", argv[optind + 1]);
		rc = fmt == DG_FMT_JSON ? report_json(NULL, &rl, yes, NULL) : DG_EXIT_OK;
		dg_renames_release(&rl);
		return rc;
	}
	if ((rc = dg_cli_ms_open("migrate", argv[optind], NULL, &s))) {
		dg_renames_release(&rl);
		return rc;
	}
	listing = cJSON_CreateArray();
	rc = collect(&s, &rl, listing);
	if (!rc && !yes) {
		for (size_t i = 0; i < rl.nr; i++)
			fprintf(says, "would rename %s -> %s\n", rl.items[i].from,
				rl.items[i].to);
		fprintf(says, "nothing was changed: run again with --yes\n");
	} else if (!rc) {
		rc = dg_cli_write_backup(backup, s.profile->name, "migrate-backup", listing,
					 &path);
		if (!rc)
			fprintf(stderr, "dirgate migrate: saved %zu users as they were to %s\n",
				rl.nr, path);
		for (size_t i = 0; i < rl.nr && !rc; i++)
			rc = rename_one(&s, &rl.items[i], cJSON_GetArrayItem(listing, (int)i),
					says);
	}
	if (!rc && fmt == DG_FMT_JSON)
		rc = report_json(s.profile->name, &rl, yes, path);
	free(path);
	cJSON_Delete(listing);
	dg_ms_session_close(&s);
	dg_renames_release(&rl);
	return rc;
}
