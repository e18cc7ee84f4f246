/* The dirgate program: one file per subcommand (after git's builtin/), each
 * exposing int dg_cmd_NAME(int argc, char **argv) that returns the exit
 * code.  Shared conventions live here. */
#ifndef DG_CLI_H
#define DG_CLI_H

#include "../connectors/connector.h"
#include "../core/jsonexact.h"
#include "../core/outfile.h"
#include "../core/output.h"
#include "../core/strbuf.h"

#include <stdio.h>

/* Exit codes (docs/man/dirgate.1, EXIT STATUS). */
enum {
	DG_EXIT_OK = 0,
	DG_EXIT_FAILURE = 1,   /* could not do the job: I/O, network, protocol, internal */
	DG_EXIT_CHANGES = 2,   /* plan --detailed-exitcode: changes pending */
	DG_EXIT_FINDINGS = 3,  /* the check found errors */
	DG_EXIT_USAGE = 64,
};

int dg_cmd_check(int argc, char **argv);
int dg_cmd_preview(int argc, char **argv);
int dg_cmd_uri(int argc, char **argv);
int dg_cmd_filter(int argc, char **argv);
int dg_cmd_snapshot(int argc, char **argv);
int dg_cmd_pull(int argc, char **argv);
int dg_cmd_plan(int argc, char **argv);
int dg_cmd_push(int argc, char **argv);
int dg_cmd_sync(int argc, char **argv);
int dg_cmd_migrate(int argc, char **argv);
int dg_cmd_cert(int argc, char **argv);
int dg_cmd_cutover(int argc, char **argv);
int dg_cmd_verify(int argc, char **argv);
int dg_cmd_init(int argc, char **argv);
int dg_cmd_explain(int argc, char **argv);
int dg_cmd_onboard(int argc, char **argv);
int dg_cmd_show(int argc, char **argv);

/* Prints "dirgate CMD: message" and a "see 'dirgate CMD --help'" line to
 * stderr; returns DG_EXIT_USAGE. */
int dg_cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The option loop every command shares (after git's parse-options):
 *
 *	while ((c = dg_cli_getopt("plan", argc, argv, "o:", opts, usage_text, &rc)) != -1)
 *		switch (c) {
 *		case DG_CLI_OPT_EXIT: return rc;
 *		case 'o': ...
 *		}
 *
 * It starts getopt afresh on a new argv (argv[0] is the command name),
 * answers --help/-h with `usage` on stdout, and turns an unknown option or a
 * missing value into the usage error; those come back as DG_CLI_OPT_EXIT
 * with the exit code in *exit_code.  `shortopts` lists the command's own
 * short options ("h" and the leading ':' are added).  An entry of
 * `longopts` that `usage` does not describe is an older spelling kept for
 * scripts: it is accepted, but neither completed nor suggested. */
#define DG_CLI_OPT_EXIT (-2)
struct option;
int dg_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, const char *usage, int *exit_code);

/* Help text from the registry (helptext.c), for what each provider does:
 * commands loop over the providers instead of naming them. */
#define DG_CLI_HELP_WIDTH 76
struct dg_provider;
/* Appends `text` filled to lines of at most DG_CLI_HELP_WIDTH columns, the
 * first continuing sb's last line, the others indented by `indent` spaces,
 * then a newline.  A double space between sentences stays as it is,
 * unless the line breaks there; a quoted command line ('dirgate ...')
 * is not broken. */
void dg_cli_add_filled(dg_strbuf *sb, const char *text, size_t indent);
/* "a, b or c": the items of `l`, `last` ("or", "and") before the last. */
void dg_cli_add_choice(dg_strbuf *sb, const dg_strlist *l, const char *last);
/* The directory.type values `pv` serves, as dg_cli_add_choice joins them. */
void dg_cli_add_dir_types(dg_strbuf *sb, const struct dg_provider *pv, const char *last);

/* After the options: exactly one operand named `what` ("PROFILE").  Returns
 * 0, or the usage error's exit code. */
int dg_cli_one_operand(const char *cmd, int argc, char **argv, const char *what);

/* Prints "dirgate: message" to stderr; returns DG_EXIT_FAILURE. */
int dg_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The JSON contract (docs/output.md).  main() runs every command through
 * dg_cli_run: when its arguments ask for --format json, a command that
 * fails before writing its document to standard output gets a JSON error
 * document there instead, {"formatVersion":1,"command":...,"error":{"code":
 * "usage"|"findings"|"failure","message":...,"exitCode":N},"findings":[...]},
 * with the same exit code.  The message is the first one given to
 * dg_cli_usage_error, dg_cli_fail or dg_cli_error; the findings are those
 * shown by dg_cli_print_findings. */
int dg_cli_run(const char *cmd, int (*fn)(int argc, char **argv), int argc, char **argv);
/* Prints "dirgate CMD: message" to stderr (and keeps it for the JSON error
 * document); returns DG_EXIT_FAILURE. */
int dg_cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first error message kept for --format json (dg_cli_run), or NULL. */
const char *dg_cli_error_message(void);
/* A message already in its final form ("error API014: ..."): to stderr
 * with a newline, and kept for the JSON error document. */
void dg_cli_say_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Compact JSON (the one style of every output document) and a newline. */
void dg_cli_json_line(dg_strbuf *sb, const cJSON *obj);

/* Parses --format values; `allowed` is a NULL-terminated list such as
 * {"text","json",NULL}.  Returns -1 (after a usage message) when not allowed. */
int dg_cli_parse_format(const char *cmd, const char *value, const char *const *allowed);

/* Colour only when fp is a terminal and NO_COLOR is unset or empty. */
int dg_cli_color(FILE *fp);

/* Writes sb to `path` (or stdout when NULL or "-"): a file is private (0600)
 * and appears whole or not at all (core/outfile.h); flags are DG_OUTFILE_*.
 * Returns 0 or prints the error and returns DG_EXIT_FAILURE. */
int dg_cli_write_file(const char *path, const dg_strbuf *sb, unsigned flags);
/* dg_cli_write_file, replacing what is at `path`. */
int dg_cli_write(const char *path, const dg_strbuf *sb);

/* "WHAT: N entries, R/s" on stderr while a long read runs, only when stderr
 * is a terminal (progress.c).  Returns the callback to hand the library, or
 * NULL when there is no terminal to show it on. */
typedef struct dg_cli_progress {
	dg_progress cb;
	const char *what;
	double start, last;
	int shown;
} dg_cli_progress;
const dg_progress *dg_cli_progress_start(dg_cli_progress *pr, const char *what);

/* MailStore commands (src/cli/mailstore_cli.c). */
#include "../mailstore/session.h"
#include <signal.h>
extern volatile sig_atomic_t dg_cli_interrupted;
/* SIGINT/SIGTERM set dg_cli_interrupted instead of killing the program, so
 * a running server job can be cancelled. */
void dg_cli_catch_sigint(void);
/* Findings to stderr (text), nothing when there are none. */
void dg_cli_print_findings(const dg_findings *f);
/* Opens the session for `profile`, printing its findings; 0 or an exit code. */
int dg_cli_ms_open(const char *cmd, const char *profile, volatile sig_atomic_t *cancel,
		   dg_ms_session *s);
/* dg_ms_progress_fn: "what: 42%" on stderr when it is a terminal; ctx is `what`. */
void dg_cli_ms_progress(void *ctx, int percent, const char *text);
/* Pretty JSON to path (stdout for NULL/"-"), as dg_cli_write_file. */
int dg_cli_write_json(const char *path, const cJSON *obj, unsigned flags);
/* dirgate verify on an open session (verify.c): the report on stdout in
 * `fmt` (JSON after `json_prefix`); 0, DG_EXIT_FINDINGS, or a failure. */
int dg_cli_verify(dg_ms_session *s, int fmt, int parallel, const char *json_prefix);
/* A backup: JSON to `given`, or to "NAME-WHAT-20260101T000000Z.json" (with
 * -2, -3, ... when that is taken), created exclusively (never replacing a
 * file or following a link), 0600, whole or not at all.  0 and the path
 * (the caller frees it), or the error printed and DG_EXIT_FAILURE. */
int dg_cli_write_backup(const char *given, const char *profile_name, const char *what,
			const cJSON *obj, char **path_out);

#endif
