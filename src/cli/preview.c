/* dirgate preview PROFILE [--format table|json|csv|html] [--output FILE] */
#include "cli.h"

#include "../connectors/connector.h"
#include "../core/error.h"
#include "../core/profile.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: dirgate preview PROFILE [--format table|json|csv|html] [--output FILE]\n"
	"                       [--allow-incomplete] [--bom] [--why NAME] [--show-queries]\n"
	"\n"
	"Lists the MailStore users that synchronisation will produce from the\n"
	"profile's directory (or its snapshot), the entries it skips and why, and\n"
	"conflicts: two entries with one user name, case-only collisions, one\n"
	"e-mail address on two users.  Users are sorted by user name.\n"
	"\n"
	"options:\n"
	"  --format FORMAT      table (default), json, csv or html\n"
	"  -o, --output FILE    write there instead of standard output\n"
	"  --allow-incomplete   write CSV or HTML even when the directory was not read\n"
	"                       in full (a server limit, paging that did not end): by\n"
	"                       default these formats are refused then, since nothing in\n"
	"                       a spreadsheet would show that users are missing\n"
	"  --bom                start CSV with a UTF-8 byte order mark (for Excel)\n"
	"  --findings-csv FILE  also write the findings as CSV to FILE (one row each)\n"
	"  --why NAME           instead of the table, say why the user NAME (user name,\n"
	"                       DN or object id) is listed - the group path that\n"
	"                       qualified it, its data-quality findings - or skipped, or\n"
	"                       in a conflict; exits 1 when nothing in the preview matches\n"
	"  --show-queries       also write to standard error every live query the preview\n"
	"                       made, as the curl (cloud) or ldapsearch (LDAP) command\n"
	"                       that repeats it; tokens appear as shell variables, never\n"
	"                       as values\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   preview produced\n"
	"  1   the directory could not be read (--why: nothing in the preview matches)\n"
	"  3   the profile or snapshot has errors, or a user has a data-quality error\n"
	"      (a preview of a broken snapshot is still written, with its findings; an\n"
	"      incomplete result says INCOMPLETE in every format and always exits 3)\n"
	"  64  usage error\n";

/* Through the shared helpers, so --format json's error document has them. */
static void print_profile_errors(const dg_findings *f)
{
	dg_cli_print_findings(f);
	dg_cli_error("preview", "the profile has errors; fix them first (see 'dirgate check')");
}

static size_t strlist_chars(const dg_strlist *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->nr; i++)
		n += strlen(l->items[i]) + 4; /* quotes, comma, slack */
	return n;
}

/* Roughly how big the rendered preview will be: the text of every record
 * plus what the formats put around it.  Reserving it up front spares the
 * buffer's grow-and-copy steps (and the memory of the old copy while the
 * new one is filled) for a document of tens of megabytes.  Only a hint:
 * a larger document still grows. */
static size_t estimate_size(const dg_preview *pv)
{
	size_t n = 4096 + 512 * pv->findings.nr;
	for (size_t i = 0; i < pv->nusers; i++) {
		const dg_ms_user *u = &pv->users[i];
		n += 112 + strlen(u->user_name) + strlen(u->full_name) + (u->dn ? strlen(u->dn) : 4) +
		     strlist_chars(&u->emails) + strlist_chars(&u->groups) +
		     strlist_chars(&u->group_paths);
	}
	for (size_t i = 0; i < pv->quality.nr; i++) {
		const dg_quality_issue *q = &pv->quality.items[i];
		n += 96 + strlen(q->entry) + strlen(q->user_name) + strlen(q->message) +
		     strlen(q->fix);
	}
	for (size_t i = 0; i < pv->nskipped; i++)
		n += 48 + strlen(pv->skipped[i].entry) + strlen(pv->skipped[i].reason) +
		     (pv->skipped[i].detail ? strlen(pv->skipped[i].detail) : 4);
	for (size_t i = 0; i < pv->nconflicts; i++)
		n += 64 + strlen(pv->conflicts[i].user_name) +
		     strlist_chars(&pv->conflicts[i].entries);
	return n;
}

typedef struct preview_opts {
	int fmt;
	const char *output;
	int allow_incomplete;
	unsigned csv_flags;
	const char *findings_csv;
	const char *why;
	int show_queries;
} preview_opts;

static void render(dg_strbuf *out, const dg_preview *pv, const preview_opts *o, int color)
{
	switch (o->fmt) {
	case DG_FMT_JSON: dg_output_preview_json(out, pv); break;
	case DG_FMT_CSV: dg_output_preview_csv(out, pv, o->csv_flags); break;
	case DG_FMT_HTML: dg_output_preview_html(out, pv); break;
	default: dg_output_preview_table(out, pv, color); break;
	}
}

/* CSV and HTML are read by people who will not look for a finding: an
 * incomplete result is not written in them unless asked for.  Returns
 * non-zero when the preview must not be written. */
static int refuse_incomplete(const dg_preview *pv, const preview_opts *o)
{
	const dg_finding *cut = dg_findings_incomplete(&pv->findings);
	const char *name = o->fmt == DG_FMT_CSV ? "CSV" : "HTML";
	if (!cut || (o->fmt != DG_FMT_CSV && o->fmt != DG_FMT_HTML))
		return 0;
	if (o->allow_incomplete) {
		fprintf(stderr, "dirgate preview: warning: the %s lists only part of the "
				"directory (%s)\n", name, cut->code);
		return 0;
	}
	dg_cli_print_findings(&pv->findings);
	fprintf(stderr, "dirgate preview: no %s written: the directory was not read in full "
			"(%s), so users would be missing from it without a trace; fix the cause "
			"above, or pass --allow-incomplete to write it anyway\n",
		name, cut->code);
	return 1;
}

/* --show-queries: on stderr, so JSON and CSV on stdout stay clean. */
static void show_queries(const dg_preview *pv, const preview_opts *o)
{
	if (!o->show_queries)
		return;
	if (!pv->queries.nr) {
		fputs("dirgate preview: no live query was made (the directory was read from a "
		      "snapshot, or nothing was asked before the failure)\n", stderr);
		return;
	}
	fputs("dirgate preview: the live queries, to repeat by hand (the first page of "
	      "each):\n", stderr);
	for (size_t i = 0; i < pv->queries.nr; i++)
		fprintf(stderr, "%s\n", pv->queries.items[i]);
}

static int run_preview(const dg_profile *p, const preview_opts *o)
{
	dg_preview pv = { 0 };
	dg_error err = { 0 };
	dg_strbuf out = DG_STRBUF_INIT;
	dg_cli_progress pr;
	const dg_progress *cb = dg_cli_progress_start(
		&pr, p->directory.snapshot ? "reading the snapshot" : "reading the directory");
	int rc;

	if (dg_connector_preview_progress(p, cb, &pv, &err) != DG_OK) {
		dg_cli_print_findings(&pv.findings);
		show_queries(&pv, o);
		dg_preview_release(&pv);
		return dg_cli_fail("%s", err.message);
	}
	if (refuse_incomplete(&pv, o)) {
		dg_preview_release(&pv);
		return DG_EXIT_FINDINGS;
	}
	if (o->why && !dg_output_preview_why(&out, &pv, o->why)) {
		dg_strbuf_release(&out);
		dg_preview_release(&pv);
		return dg_cli_fail("nothing in the preview of %s matches \"%s\": give a user "
				   "name, DN or object id as 'dirgate preview' lists it",
				   p->name ? p->name : "the profile", o->why);
	}
	if (!o->why) {
		dg_strbuf_grow(&out, estimate_size(&pv));
		render(&out, &pv, o, !o->output && dg_cli_color(stdout));
	}
	rc = dg_cli_write(o->output, &out);
	if (!rc && o->findings_csv) {
		dg_strbuf_reset(&out);
		dg_output_findings_csv(&out, &pv.findings, o->csv_flags);
		rc = dg_cli_write(o->findings_csv, &out);
	}
	show_queries(&pv, o);
	if (!rc && (dg_findings_count(&pv.findings, DG_SEV_ERROR) ||
		    dg_quality_count(&pv.quality, DG_SEV_ERROR) ||
		    dg_findings_incomplete(&pv.findings)))
		rc = DG_EXIT_FINDINGS;
	dg_strbuf_release(&out);
	dg_preview_release(&pv);
	return rc;
}

int dg_cmd_preview(int argc, char **argv)
{
	static const char *const formats[] = { "table", "json", "csv", "html", NULL };
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "allow-incomplete", no_argument, NULL, 'I' },
		{ "bom", no_argument, NULL, 'B' },
		{ "findings-csv", required_argument, NULL, 'F' },
		{ "why", required_argument, NULL, 'W' },
		{ "show-queries", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	preview_opts o = { .fmt = DG_FMT_TABLE };
	int c, rc;
	dg_findings findings = DG_FINDINGS_INIT;
	dg_error err = { 0 };
	dg_profile *p;

	while ((c = dg_cli_getopt("preview", argc, argv, "o:", opts, usage_text, &rc)) != -1) {
		switch (c) {
		case DG_CLI_OPT_EXIT: return rc;
		case 'f':
			if ((o.fmt = dg_cli_parse_format("preview", optarg, formats)) < 0)
				return DG_EXIT_USAGE;
			break;
		case 'o': o.output = optarg; break;
		case 'I': o.allow_incomplete = 1; break;
		case 'B': o.csv_flags |= DG_CSV_BOM; break;
		case 'F': o.findings_csv = optarg; break;
		case 'W': o.why = optarg; break;
		case 'Q': o.show_queries = 1; break;
		}
	}
	if (o.why && o.fmt != DG_FMT_TABLE) {
		fprintf(stderr, "dirgate preview: --why explains one user as text; leave out "
				"--format (JSON has every user's groupPaths)\n");
		return DG_EXIT_USAGE;
	}
	if ((rc = dg_cli_one_operand("preview", argc, argv, "PROFILE")))
		return rc;
	p = dg_profile_load(argv[optind], &findings, &err);
	if (!p)
		return dg_cli_fail("%s", err.message);
	if (dg_findings_count(&findings, DG_SEV_ERROR)) {
		print_profile_errors(&findings);
		rc = DG_EXIT_FINDINGS;
	} else {
		rc = run_preview(p, &o);
	}
	dg_findings_clear(&findings);
	dg_profile_free(p);
	return rc;
}
