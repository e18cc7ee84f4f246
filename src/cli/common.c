/* Conventions every subcommand shares: usage errors, formats, colour, output. */
#include "cli.h"

#include "../core/suggest.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int dg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dirgate %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'dirgate %s --help'\n", cmd);
	return DG_EXIT_USAGE;
}

int dg_cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("dirgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return DG_EXIT_FAILURE;
}

int dg_cli_parse_format(const char *cmd, const char *value, const char *const *allowed)
{
	static const char *const names[] = { "text", "json", "table", "csv", "html" };
	dg_strbuf list = DG_STRBUF_INIT;
	for (size_t i = 0; allowed[i]; i++) {
		if (!strcmp(value, allowed[i])) {
			dg_strbuf_release(&list);
			for (int f = 0; f < (int)(sizeof(names) / sizeof(names[0])); f++)
				if (!strcmp(value, names[f]))
					return f;
			return -1;
		}
		dg_strbuf_addf(&list, "%s%s", i ? ", " : "", allowed[i]);
	}
	dg_cli_usage_error(cmd, "unknown format '%s' (use one of: %s)", value, list.buf);
	dg_strbuf_release(&list);
	return -1;
}

int dg_cli_color(FILE *fp)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return 0;
	return isatty(fileno(fp));
}

int dg_cli_write_file(const char *path, const dg_strbuf *sb, unsigned flags)
{
	dg_error err = { 0 };

	if (!path || !strcmp(path, "-")) {
		if (fwrite(sb->buf, 1, sb->len, stdout) != sb->len || fflush(stdout))
			return dg_cli_fail("cannot write to standard output: %s", strerror(errno));
		return 0;
	}
	if (dg_outfile_write(path, sb->buf, sb->len, flags, &err))
		return dg_cli_fail("%s", err.message);
	return 0;
}

int dg_cli_write(const char *path, const dg_strbuf *sb)
{
	return dg_cli_write_file(path, sb, DG_OUTFILE_REPLACE);
}

/* When `line` (of `len` bytes) lists `--name` ("  --name VALUE  text" or
 * "  -n, --name VALUE  text"), its description: the text after the first
 * run of two spaces past the option; else NULL. */
static const char *option_line(const char *line, size_t len, const char *name, size_t *desc_len)
{
	const char *end = line + len, *p = line + strspn(line, " "), *d;
	size_t nl = strlen(name);
	if (p == line || p >= end || p[0] != '-')
		return NULL;
	if (p[1] != '-' && p + 4 <= end && p[2] == ',' && p[3] == ' ')
		p += 4; /* the short form first */
	if (end - p < (ptrdiff_t)(nl + 2) || strncmp(p, "--", 2) || strncmp(p + 2, name, nl) ||
	    (p + 2 + nl < end && p[2 + nl] != ' '))
		return NULL;
	d = memmem(p, (size_t)(end - p), "  ", 2);
	if (!d)
		d = end;
	d += strspn(d, " ");
	*desc_len = d < end ? (size_t)(end - d) : 0;
	return d;
}

/* The description the help text gives `--name`, or "" when it lists none. */
static dg_strbuf option_description(const char *usage, const char *name)
{
	dg_strbuf desc = DG_STRBUF_INIT;
	for (const char *line = usage; *line;) {
		size_t len = strcspn(line, "\n"), dl;
		const char *d = option_line(line, len, name, &dl);
		if (d) {
			dg_strbuf_add(&desc, d, dl);
			break;
		}
		line += len + (line[len] == '\n');
	}
	return desc;
}

/* `dirgate CMD --completion-helper`: the command's long options, one per
 * line as "--name" ("--name=" when it takes a value), a tab and the help's
 * description.  The shell completions (completions/) ask this, so they
 * follow the real option tables. */
static void print_completion_options(const struct option *longopts, const char *usage)
{
	for (const struct option *o = longopts; o && o->name; o++) {
		dg_strbuf d = option_description(usage, o->name);
		printf("--%s%s\t%s\n", o->name, o->has_arg == required_argument ? "=" : "",
		       d.len ? d.buf : "");
		dg_strbuf_release(&d);
	}
}

/* "unknown option '--ofline'; did you mean '--offline'?" */
static int unknown_option(const char *cmd, const char *arg, const struct option *longopts)
{
	const char *cands[64];
	size_t n = 0;
	const char *best = NULL;
	if (!strncmp(arg, "--", 2)) {
		char *word = dg_xstrndup(arg + 2, strcspn(arg + 2, "="));
		for (const struct option *o = longopts; o && o->name && n < 64; o++)
			cands[n++] = o->name;
		best = dg_suggest_closest(word, cands, n);
		free(word);
	}
	if (best)
		return dg_cli_usage_error(cmd, "unknown option '%s'; did you mean '--%s'?", arg, best);
	return dg_cli_usage_error(cmd, "unknown option '%s'", arg);
}

int dg_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, const char *usage, int *exit_code)
{
	static char **parsing; /* the argv being parsed: a new one starts afresh */
	char spec[64];
	int c;

	if (parsing != argv) {
		if (argc == 2 && !strcmp(argv[1], "--completion-helper")) {
			print_completion_options(longopts, usage);
			*exit_code = DG_EXIT_OK;
			return DG_CLI_OPT_EXIT;
		}
		parsing = argv;
		optind = 0; /* glibc: full reinitialisation */
		opterr = 0; /* the messages below say it our way */
	}
	snprintf(spec, sizeof(spec), ":h%s", shortopts ? shortopts : "");
	c = getopt_long(argc, argv, spec, longopts, NULL);
	switch (c) {
	case -1:
		parsing = NULL;
		return -1;
	case 'h':
		fputs(usage, stdout);
		*exit_code = DG_EXIT_OK;
		break;
	case ':':
		*exit_code = dg_cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		break;
	case '?':
		*exit_code = unknown_option(cmd, argv[optind - 1], longopts);
		break;
	default:
		return c;
	}
	parsing = NULL;
	return DG_CLI_OPT_EXIT;
}

int dg_cli_one_operand(const char *cmd, int argc, char **argv, const char *what)
{
	(void)argv;
	if (argc - optind == 1)
		return 0;
	if (argc == optind)
		return dg_cli_usage_error(cmd, "a %s is required", what);
	return dg_cli_usage_error(cmd, "only one %s at a time", what);
}

void dg_cli_print_findings(const dg_findings *f)
{
	dg_strbuf sb = DG_STRBUF_INIT;

	if (!f->nr)
		return;
	dg_output_findings_text(&sb, f, dg_cli_color(stderr));
	fputs(sb.buf, stderr);
	dg_strbuf_release(&sb);
}
