/* dirgate snapshot PROFILE --output FILE */
#include "cli.h"

#include "../core/error.h"
#include "../core/outfile.h"
#include "../core/profile.h"
#include "../core/provider.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_head[] =
	"usage: dirgate snapshot PROFILE --output FILE [--format text|json]\n"
	"\n";

static const char usage_tail[] =
	"\n"
	"options:\n"
	"  -o, --output FILE    where to write the snapshot (required; '-' for stdout)\n"
	"  --format text|json   how to say what was written: a line on standard error\n"
	"                       (text, the default) or a JSON document on standard\n"
	"                       output (json; not with --output -)\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   written\n"
	"  1   could not write or connect\n"
	"  3   the profile has errors, the directory refused or the result would be\n"
	"      incomplete (findings on stderr)\n"
	"  64  usage error\n";

/* The help, with what each of the registry's providers puts into a
 * snapshot; built once, it lives as long as the program. */
static const char *usage(void)
{
	static dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf para = DG_STRBUF_INIT;
	int n = 0;

	if (sb.len)
		return sb.buf;
	dg_strbuf_adds(&sb, usage_head);
	dg_strbuf_adds(&para, "Reads the profile's directory live and writes a snapshot of it");
	for (const dg_provider *const *pp = dg_providers; *pp; pp++) {
		if (!(*pp)->snapshot_about)
			continue;
		dg_strbuf_adds(&para, n++ ? "; for " : ": for ");
		dg_cli_add_dir_types(&para, *pp, "or");
		dg_strbuf_addf(&para, ", %s", (*pp)->snapshot_about);
	}
	dg_strbuf_adds(&para, ".  Set /directory/snapshot to it to preview offline: the result "
		       "is exactly the live one.  For support cases and for previews without "
		       "network access.  A snapshot is complete or not written at all: when the "
		       "server cuts the search short (a size or time limit) or reading fails, no "
		       "file is left and nothing goes to standard output (it is held in a "
		       "temporary file until the directory has been read in full).  The file is "
		       "private (mode 0600).");
	dg_cli_add_filled(&sb, para.buf, 0);
	dg_strbuf_adds(&sb, usage_tail);
	dg_strbuf_release(&para);
	return sb.buf;
}

static int report(const dg_findings *f)
{
	dg_cli_print_findings(f);
	return dg_findings_count(f, DG_SEV_ERROR) ? 1 : 0;
}

/* Where the snapshot goes while it is read.  A file is written under a
 * temporary name and appears only when complete (core/outfile.h); standard
 * output gets a private temporary file that is copied out only then, so no
 * reader ever sees a failed or incomplete snapshot, whichever the target. */
typedef struct target {
	const char *output; /* "-" for standard output */
	dg_outfile file;
	FILE *spool;        /* standard output only */
} target;

static dg_code target_open(target *t, const char *output, FILE **fp, dg_error *err)
{
	t->output = output;
	if (strcmp(output, "-")) {
		dg_code code = dg_outfile_open(&t->file, output, DG_OUTFILE_REPLACE, err);
		*fp = t->file.fp;
		return code;
	}
	if (!(t->spool = tmpfile()))
		return dg_error_set(err, DG_E_IO, "cannot create a temporary file: %s",
				    strerror(errno));
	*fp = t->spool;
	return DG_OK;
}

static dg_code copy_out(FILE *from, FILE *to, dg_error *err)
{
	char buf[65536];
	size_t n;
	if (fflush(from) || fseek(from, 0, SEEK_SET))
		return dg_error_set(err, DG_E_IO, "cannot read the temporary file back: %s",
				    strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			break;
	if (ferror(from) || ferror(to) || fflush(to))
		return dg_error_set(err, DG_E_IO, "cannot write to standard output: %s",
				    strerror(errno));
	return DG_OK;
}

static dg_code target_commit(target *t, dg_error *err)
{
	dg_code code;
	if (!t->spool)
		return dg_outfile_commit(&t->file, err);
	code = copy_out(t->spool, stdout, err);
	fclose(t->spool);
	t->spool = NULL;
	return code;
}

static void target_abort(target *t)
{
	if (t->spool)
		fclose(t->spool);
	t->spool = NULL;
	dg_outfile_abort(&t->file);
}

static const char *target_name(const target *t)
{
	return t->spool || !strcmp(t->output, "-") ? "standard output" : t->output;
}

static dg_code read_directory(const dg_provider *prov, const dg_profile *p, FILE *fp,
			      dg_snapshot_written *w, dg_findings *f, dg_error *err)
{
	dg_cli_progress pr;
	const dg_progress *cb = dg_cli_progress_start(&pr, "reading the directory");
	return prov->snapshot_write(p, fp, cb, w, f, err);
}

static void say_written(const dg_snapshot_written *w, const char *where)
{
	fprintf(stderr, "dirgate snapshot: %zu %s from %s written to %s\n", w->count, w->counted,
		w->from, where);
}

/* --format json (docs/output.md "snapshot"). */
static int say_written_json(const dg_profile *p, const dg_snapshot_written *w,
			    const char *output, const dg_findings *f)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	int rc;

	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":\"snapshot\",\"profile\":");
	dg_strbuf_add_json_str(&sb, p->name ? p->name : "");
	dg_strbuf_adds(&sb, ",\"directoryType\":");
	dg_strbuf_add_json_str(&sb, dg_profile_dir_type(p));
	dg_strbuf_adds(&sb, ",\"output\":");
	dg_strbuf_add_json_str(&sb, output);
	dg_strbuf_adds(&sb, ",\"source\":");
	if (w->tenant) { /* a cloud API: the tenant says which */
		dg_strbuf_adds(&sb, "null,\"tenant\":");
		dg_strbuf_add_json_str(&sb, w->tenant);
	} else {
		dg_strbuf_add_json_str(&sb, w->source ? w->source : "");
	}
	dg_strbuf_adds(&sb, ",\"baseDn\":");
	if (w->base)
		dg_strbuf_add_json_str(&sb, w->base);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_addf(&sb, ",\"count\":%zu,\"counted\":\"%s\",\"findings\":", w->count,
		       w->counted);
	dg_output_findings_json_array(&sb, f);
	dg_strbuf_adds(&sb, "}\n");
	rc = dg_cli_write(NULL, &sb);
	dg_strbuf_release(&sb);
	return rc;
}

/* Could not do the job (network, I/O: exit 1) or the directory or profile
 * said no (findings: exit 3) - the contract every command follows. */
static int failure_exit(const dg_findings *f, const dg_error *err)
{
	if (err->code == DG_E_NETWORK || err->code == DG_E_IO || !dg_findings_count(f, DG_SEV_ERROR))
		return dg_cli_fail("%s", err->message);
	dg_cli_error("snapshot", "%s", err->message);
	return DG_EXIT_FINDINGS;
}

static int take_snapshot(const dg_provider *prov, const dg_profile *p, const char *output,
			 int fmt)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	target t = { NULL, DG_OUTFILE_INIT, NULL };
	dg_snapshot_written w = { 0 };
	const dg_finding *cut;
	FILE *fp = NULL;
	dg_code code;
	int rc;

	code = target_open(&t, output, &fp, &err);
	if (code == DG_OK)
		code = read_directory(prov, p, fp, &w, &f, &err);
	cut = dg_findings_incomplete(&f);
	if (code == DG_OK && !cut)
		code = target_commit(&t, &err);
	target_abort(&t); /* never leave a partial or incomplete snapshot behind */
	rc = report(&f) ? DG_EXIT_FINDINGS : DG_EXIT_OK;
	if (code != DG_OK) {
		rc = failure_exit(&f, &err);
	} else if (cut) {
		dg_cli_error("snapshot", "nothing written to %s: the directory was not read in "
			     "full (%s), and a snapshot must hold all of it; fix the cause above "
			     "and run it again", target_name(&t), cut->code);
		rc = DG_EXIT_FINDINGS;
	} else if (fmt == DG_FMT_JSON) {
		rc = say_written_json(p, &w, output, &f) ? DG_EXIT_FAILURE : rc;
	} else {
		say_written(&w, target_name(&t));
	}
	dg_snapshot_written_release(&w);
	dg_findings_clear(&f);
	return rc;
}

int dg_cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const formats[] = { "text", "json", NULL };
	const char *output = NULL;
	int fmt = DG_FMT_TEXT;
	dg_findings findings = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	const dg_provider *prov;
	dg_profile *p;
	int c, rc;

	while ((c = dg_cli_getopt("snapshot", argc, argv, "o:", opts, usage(), &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'o': output = optarg; break;
		case 'f':
			if ((fmt = dg_cli_parse_format("snapshot", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		}
	}
	if ((rc = dg_cli_one_operand("snapshot", argc, argv, "PROFILE")))
		return rc;
	if (!output)
		return dg_cli_usage_error("snapshot", "--output FILE is required");
	if (fmt == DG_FMT_JSON && !strcmp(output, "-"))
		return dg_cli_usage_error("snapshot", "--format json and --output - would both "
					  "write to standard output; write the snapshot to a file");
	p = dg_profile_load(argv[optind], &findings, &err);
	if (!p)
		return dg_cli_fail("%s", err.message);
	if (dg_findings_count(&findings, DG_SEV_ERROR)) {
		report(&findings);
		dg_cli_error("snapshot", "the profile has errors; fix them first (see 'dirgate "
			     "check')");
		rc = DG_EXIT_FINDINGS;
	} else if (!(prov = dg_provider_of(p)) || !prov->snapshot_write) {
		rc = dg_cli_fail("snapshots of %s directories are not available in this version",
				 dg_profile_dir_type(p));
	} else {
		rc = take_snapshot(prov, p, output, fmt);
	}
	dg_findings_clear(&findings);
	dg_profile_free(p);
	return rc;
}
