/* dirgate push PROFILE|PLAN: read-modify-write of the server's
 * directory-services configuration through the target map, with guards,
 * a backup of what was there, and a read-back check; --restore BACKUP. */
#include "cli.h"

#include "../core/readfile.h"
#include "../mailstore/push.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate push PROFILE|PLAN [--yes] [--force] [--backup FILE] [--include-secrets]\n"
	"                    [--format text|json]\n"
	"       dirgate push PROFILE --restore BACKUP [--yes] [--backup FILE] [--format text|json]\n"
	"\n"
	"Sets the MailStore directory-services configuration: the object the server\n"
	"has, with the keys the profile maps (schemas/mailstore/directory-services.json)\n"
	"changed and every other key kept.  With a PLAN from 'dirgate plan --out',\n"
	"applies exactly that plan and refuses if the server changed since, if the\n"
	"plan was edited or its profile changed (digest), and if the guards, measured\n"
	"again, refuse.\n"
	"\n"
	"options:\n"
	"  -y, --yes            really change the server (without it: show, change nothing)\n"
	"  --force              push although a guard (minUsers, maxDropPercent,\n"
	"                       maxDeletes) refuses\n"
	"  --backup FILE        where the previous configuration goes (default:\n"
	"                       NAME-dsconfig-backup-TIMESTAMP.json); never overwritten\n"
	"  --include-secrets    keep passwords in the backup (otherwise ********)\n"
	"  --restore BACKUP     set the configuration saved in BACKUP (or a pulled file)\n"
	"  --format text|json   output format (default: text)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   pushed (without --yes: shown)\n"
	"  1   could not push, or the answer to the change was lost (the message says\n"
	"      whether it was applied and how to restore)\n"
	"  3   the profile or plan has errors, or a guard refuses\n"
	"  64  usage error\n";

/* What --format json reports (docs/output.md "push"). */
struct push_report {
	char *profile;          /* its name */
	const char *outcome;    /* shown, pushed, unchanged */
	dg_strlist keys;        /* the top-level keys changing, "/name" */
	char *backup;           /* where the previous configuration went */
};

struct push_opts {
	int yes, force, include_secrets, fmt;
	const char *backup, *restore;
	struct push_report *report;
};

static int report_json(const struct push_report *rp)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":\"push\",\"profile\":");
	dg_strbuf_add_json_str(&sb, rp->profile ? rp->profile : "");
	dg_strbuf_addf(&sb, ",\"outcome\":\"%s\",\"changedKeys\":", rp->outcome);
	dg_strbuf_add_json_strlist(&sb, &rp->keys);
	dg_strbuf_adds(&sb, ",\"backup\":");
	if (rp->backup)
		dg_strbuf_add_json_str(&sb, rp->backup);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_adds(&sb, "}\n");
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

static int write_backup(dg_ms_session *s, const dg_tmap *map, const cJSON *current,
			const struct push_opts *po, char **path_out)
{
	cJSON *b = dg_push_backup_json(s->profile, map, current, po->include_secrets);
	int rc = dg_cli_write_backup(po->backup, s->profile->name, "dsconfig-backup", b, path_out);

	dg_json_wipe_delete(b);
	if (!rc)
		fprintf(stderr, "dirgate push: saved the previous configuration to %s%s\n",
			*path_out, po->include_secrets ? " (with secrets: keep it safe)"
						       : " (secrets masked)");
	return rc;
}

/* What dg_push_set's outcome means for the person at the terminal (or, as
 * the error document, for a script). */
static int tell_outcome(dg_ms_session *s, const dg_push_result *res, const dg_error *err,
			const char *backup, const struct push_opts *po)
{
	switch (res->outcome) {
	case DG_PUSH_KEPT:
		if (po->fmt != DG_FMT_JSON)
			printf("pushed the directory-services configuration to %s and read it "
			       "back: the server kept every key\n", s->profile->target.url);
		return DG_EXIT_OK;
	case DG_PUSH_LOST:
		dg_code_record(DGF_API014);
		dg_cli_say_error("error API014: the answer to SetDirectoryServicesConfiguration "
				 "was lost (%s); %s.\n  to put the previous configuration back: "
				 "'dirgate push %s --restore %s --yes'", err->message,
				 res->lost_state, s->profile->file, backup);
		return DG_EXIT_FAILURE;
	case DG_PUSH_READBACK_FAILED:
		return dg_cli_fail("the configuration was sent, but reading it back failed: %s",
				   err->message);
	case DG_PUSH_NOT_KEPT:
		dg_code_record(DGF_API010);
		dg_cli_say_error("error API010: the server did not keep what was sent (keys: "
				 "%s);\n  restore the previous configuration with 'dirgate push "
				 "%s --restore %s --yes'", res->keys.buf, s->profile->file, backup);
		return DG_EXIT_FAILURE;
	case DG_PUSH_REFUSED:
		break;
	}
	return dg_cli_fail("%s", err->message);
}

/* Backup, Set, Get, compare. */
static int apply(dg_ms_session *s, const dg_tmap *map, const cJSON *current,
		 const cJSON *cfg, struct push_opts *po)
{
	dg_strbuf diff = DG_STRBUF_INIT;
	dg_push_result res;
	dg_error err = { 0 };
	char *backup = NULL;
	int rc;

	dg_push_differing_keys(map, current, cfg, &diff, &po->report->keys);
	po->report->outcome = po->yes ? "pushed" : "shown";
	if (!po->yes && po->fmt == DG_FMT_JSON) {
		dg_strbuf_release(&diff);
		return DG_EXIT_OK;
	}
	if (!po->yes) {
		printf("push would set the directory-services configuration of %s "
		       "(keys changing: %s)\nnothing was changed: run again with --yes to "
		       "apply\n", s->profile->target.url, diff.len ? diff.buf : "only secrets");
		dg_strbuf_release(&diff);
		return DG_EXIT_OK;
	}
	dg_strbuf_release(&diff);
	if ((rc = write_backup(s, map, current, po, &backup)))
		return rc;
	dg_push_set(s->client, map, current, cfg, &res, &err);
	rc = tell_outcome(s, &res, &err, backup, po);
	dg_push_result_release(&res);
	po->report->backup = backup;
	return rc;
}

/* Guards are errors until --force turns them into GUARD007 warnings. */
static int check_guards(const dg_findings *f, int force)
{
	dg_findings shown = DG_FINDINGS_INIT;
	size_t hits = dg_guards_verdict(f, force, &shown);

	dg_cli_print_findings(&shown);
	dg_findings_clear(&shown);
	if (hits && !force) {
		fputs("dirgate push: refused by the guards above; nothing was changed "
		      "(--force overrides)\n", stderr);
		return DG_EXIT_FINDINGS;
	}
	return 0;
}

static int push_profile(const char *profile, struct push_opts *po)
{
	dg_error err = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_ms_session s;
	dg_plan_run r;
	int rc;

	if ((rc = dg_cli_ms_open("push", profile, NULL, &s)))
		return rc;
	po->report->profile = dg_xstrdup(s.profile->name ? s.profile->name : "");
	if (dg_plan_run_profile(&s, 1, 8, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	if (po->fmt != DG_FMT_JSON) {
		dg_plan_text(&sb, &r.plan, s.profile, dg_cli_color(stdout));
		fputs(sb.buf, stdout);
	}
	if ((rc = check_guards(&r.plan.findings, po->force)))
		goto out;
	if (!dg_cfg_diff_count(&r.plan.config)) {
		if (po->fmt != DG_FMT_JSON)
			printf("nothing to push: the server already has this configuration\n");
		goto out;
	}
	rc = apply(&s, &r.map, r.state.config, r.cfg_after, po);
out:
	dg_strbuf_release(&sb);
	dg_plan_run_release(&r);
	dg_ms_session_close(&s);
	return rc;
}

/* The saved plan, unedited and made with the profile as it is now. */
static int load_plan(const char *path, dg_saved_plan *sp)
{
	dg_error err = { 0 };

	if (dg_saved_plan_load(path, sp, &err))
		return dg_cli_fail("%s", err.message);
	if (dg_saved_plan_verify(sp, path, &err)) {
		dg_cli_say_error("error %s", err.message);
		return DG_EXIT_FAILURE;
	}
	return 0;
}

/* Applies a saved plan: the server must be as it was when the plan was
 * made (fingerprint), the guards are measured again now (the plan's own
 * findings are only what they were then), and its secret placeholders are
 * resolved only where the target map puts them. */
static int push_plan(const char *path, struct push_opts *po)
{
	dg_saved_plan sp;
	dg_error err = { 0 };
	dg_ms_session s;
	dg_plan_run r = { 0 };
	cJSON *cfg = NULL;
	int rc;

	if ((rc = load_plan(path, &sp))) {
		dg_saved_plan_release(&sp);
		return rc;
	}
	if ((rc = dg_cli_ms_open("push", sp.profile_path, NULL, &s))) {
		dg_saved_plan_release(&sp);
		return rc;
	}
	po->report->profile = dg_xstrdup(s.profile->name ? s.profile->name : "");
	if (dg_plan_run_profile(&s, 0, 8, &r, &err)) {
		dg_cli_print_findings(&r.preview.findings);
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	if (strcmp(r.state.fingerprint, sp.fingerprint)) {
		dg_code_record(DGF_API011);
		dg_cli_say_error("error API011: the server changed since the plan %s was made "
				 "(configuration or users differ); nothing was changed.\n"
				 "  make a new plan: dirgate plan %s --out %s", path, sp.profile_path,
				 path);
		rc = DG_EXIT_FAILURE;
		goto out;
	}
	if ((rc = check_guards(&r.plan.findings, po->force)))
		goto out;
	if (!sp.config_changes) {
		if (po->fmt != DG_FMT_JSON)
			printf("nothing to push: the plan changes no configuration key\n");
		goto out;
	}
	cfg = cJSON_Duplicate(sp.config_after, 1);
	if (dg_plan_fill_secrets(cfg, &r.map, s.profile, &err)) {
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	dg_tmap_unmask(cfg, r.state.config);
	rc = apply(&s, &r.map, r.state.config, cfg, po);
out:
	dg_json_wipe_delete(cfg);
	dg_plan_run_release(&r);
	dg_ms_session_close(&s);
	dg_saved_plan_release(&sp);
	return rc;
}

static int push_restore(const char *profile, struct push_opts *po)
{
	dg_ms_envelope env = DG_MS_ENVELOPE_INIT;
	dg_error err = { 0 };
	dg_ms_session s;
	dg_tmap map = { 0 };
	cJSON *file, *cfg;
	int rc;

	if (!(file = dg_json_read_file(po->restore, 0, NULL, &err)))
		return dg_cli_fail("%s", err.message);
	/* a backup, 'pull --format json' (both wrap it in "config") or 'pull' */
	cfg = cJSON_GetObjectItemCaseSensitive(file, "dirgateBackup") ||
	      cJSON_GetObjectItemCaseSensitive(file, "formatVersion")
	      ? cJSON_GetObjectItemCaseSensitive(file, "config") : file;
	if (!cJSON_IsObject(cfg)) {
		cJSON_Delete(file);
		return dg_cli_fail("%s: no configuration object to restore (expected a "
				   "dirgate backup or a file from 'dirgate pull')", po->restore);
	}
	if ((rc = dg_cli_ms_open("push", profile, NULL, &s))) {
		cJSON_Delete(file);
		return rc;
	}
	po->report->profile = dg_xstrdup(s.profile->name ? s.profile->name : "");
	if (dg_tmap_load_default(&map, &err) ||
	    dg_ms_call(s.client, "GetDirectoryServicesConfiguration", NULL, 0, DG_MS_READ,
		       &env, &err)) {
		rc = dg_cli_fail("%s", err.message);
		goto out;
	}
	if (!env.result)
		env.result = cJSON_CreateObject();
	if (dg_tmap_has_mask(cfg)) {
		dg_code_record(DGF_API012);
		fprintf(stderr, "warning API012: %s holds masked secrets; the server's current "
			"values are kept for them\n", po->restore);
		dg_tmap_unmask(cfg, env.result);
	}
	rc = apply(&s, &map, env.result, cfg, po);
out:
	dg_ms_envelope_release(&env);
	dg_tmap_release(&map);
	dg_ms_session_close(&s);
	cJSON_Delete(file);
	return rc;
}

int dg_cmd_push(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'F' },
		{ "backup", required_argument, NULL, 'b' },
		{ "include-secrets", no_argument, NULL, 's' },
		{ "restore", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	struct push_report report = { .outcome = "unchanged" };
	struct push_opts po = { .report = &report };
	int c, rc;

	while ((c = dg_cli_getopt("push", argc, argv, "y", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'y': po.yes = 1; break;
		case 'F': po.force = 1; break;
		case 'b': po.backup = optarg; break;
		case 's': po.include_secrets = 1; break;
		case 'r': po.restore = optarg; break;
		case 'f':
			if ((po.fmt = dg_cli_parse_format("push", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if ((rc = dg_cli_one_operand("push", argc, argv, "PROFILE or PLAN")))
		return rc;
	if (po.restore && dg_is_plan_file(argv[optind]))
		return dg_cli_usage_error("push", "--restore needs the PROFILE, not a plan");
	rc = po.restore ? push_restore(argv[optind], &po)
	     : dg_is_plan_file(argv[optind]) ? push_plan(argv[optind], &po)
	     : push_profile(argv[optind], &po);
	if (!rc && po.fmt == DG_FMT_JSON)
		rc = report_json(&report);
	dg_strlist_clear(&report.keys);
	free(report.backup);
	free(report.profile);
	return rc;
}
