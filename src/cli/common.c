/* Conventions every subcommand shares: usage errors, formats, colour, output. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
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

int dg_cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, const char *usage, int *exit_code)
{
	static char **parsing; /* the argv being parsed: a new one starts afresh */
	char spec[64];
	int c;

	if (parsing != argv) {
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
		*exit_code = dg_cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
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
