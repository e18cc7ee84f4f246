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

/* The running command's JSON contract (dg_cli_run). */
static struct {
	int json;                /* the arguments ask for --format json */
	const char *cmd;
	size_t stdout_bytes;     /* written to standard output so far */
	dg_strbuf message;       /* the first error said */
	dg_strbuf findings;      /* the findings shown, as JSON objects */
} contract = { 0, NULL, 0, DG_STRBUF_INIT, DG_STRBUF_INIT };

/* The message to stderr (the caller has written its prefix), and kept as
 * the JSON error document's message when it is the first. */
static void say(const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	vfprintf(stderr, fmt, ap);
	if (contract.json && !contract.message.len)
		dg_strbuf_vaddf(&contract.message, fmt, again);
	va_end(again);
}

int dg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dirgate %s: ", cmd);
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'dirgate %s --help'\n", cmd);
	return DG_EXIT_USAGE;
}

int dg_cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("dirgate: ", stderr);
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return DG_EXIT_FAILURE;
}

int dg_cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "dirgate %s: ", cmd);
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return DG_EXIT_FAILURE;
}

const char *dg_cli_error_message(void)
{
	return contract.message.len ? contract.message.buf : NULL;
}

void dg_cli_say_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void dg_cli_json_line(dg_strbuf *sb, const cJSON *obj)
{
	char *text = dg_json_print_exact(obj, 0);
	dg_strbuf_adds(sb, text ? text : "null");
	dg_strbuf_addch(sb, '\n');
	cJSON_free(text);
}

/* The last --format value before "--" is "json" (also "--format=json"). */
static int asks_for_json(int argc, char **argv)
{
	const char *last = NULL;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--format=", 9))
			last = argv[i] + 9;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			last = argv[++i];
	}
	return last && !strcmp(last, "json");
}

/* Standard output while a JSON command runs: passed on to file descriptor
 * 1 as it is, counted so dg_cli_run knows whether a document went out. */
static ssize_t counting_write(void *cookie, const char *buf, size_t size)
{
	size_t done = 0;
	(void)cookie;
	while (done < size) {
		ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
	}
	contract.stdout_bytes += done;
	return (ssize_t)done;
}

static const char *error_code(int rc)
{
	return rc == DG_EXIT_USAGE ? "usage" : rc == DG_EXIT_FINDINGS ? "findings" : "failure";
}

static void write_error_document(int rc)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_adds(&sb, "{" DG_JSON_FORMAT_VERSION_FIELD "\"command\":");
	dg_strbuf_add_json_str(&sb, contract.cmd);
	dg_strbuf_addf(&sb, ",\"error\":{\"code\":\"%s\",\"message\":", error_code(rc));
	dg_strbuf_add_json_str(&sb, contract.message.len ? contract.message.buf
			       : "the command failed; standard error says why");
	dg_strbuf_addf(&sb, ",\"exitCode\":%d},\"findings\":[%s]}\n", rc,
		       contract.findings.len ? contract.findings.buf : "");
	fwrite(sb.buf, 1, sb.len, stdout);
	dg_strbuf_release(&sb);
}

int dg_cli_run(const char *cmd, int (*fn)(int argc, char **argv), int argc, char **argv)
{
	static const cookie_io_functions_t counting = { .write = counting_write };
	FILE *real = stdout, *counted;
	int rc;

	contract.json = asks_for_json(argc, argv);
	if (contract.json && !(counted = fopencookie(NULL, "w", counting)))
		contract.json = 0; /* out of memory: the command runs as it would without */
	if (!contract.json)
		return fn(argc, argv);
	contract.cmd = cmd;
	fflush(real);
	stdout = counted;
	rc = fn(argc, argv);
	fflush(stdout);
	if (rc != DG_EXIT_OK && !contract.stdout_bytes)
		write_error_document(rc);
	fclose(counted);
	stdout = real;
	dg_strbuf_release(&contract.message);
	dg_strbuf_release(&contract.findings);
	contract.json = 0;
	return rc;
}

int dg_cli_parse_format(const char *cmd, const char *value, const char *const *allowed)
{
	static const char *const names[] = { "text", "json", "table", "csv", "html", "raw" };
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

/* Whether the help describes `--name`; an option it does not is an older
 * spelling, kept for scripts but not offered (dg_cli_getopt). */
static int described(const char *usage, const char *name)
{
	dg_strbuf d = option_description(usage, name);
	int yes = d.len > 0;
	dg_strbuf_release(&d);
	return yes;
}

/* `dirgate CMD --completion-helper`: the command's long options, one per
 * line as "--name" ("--name=" when it takes a value), a tab and the help's
 * description.  The shell completions (completions/) ask this, so they
 * follow the real option tables. */
static void print_completion_options(const struct option *longopts, const char *usage)
{
	for (const struct option *o = longopts; o && o->name; o++) {
		dg_strbuf d = option_description(usage, o->name);
		if (d.len)
			printf("--%s%s\t%s\n", o->name,
			       o->has_arg == required_argument ? "=" : "", d.buf);
		dg_strbuf_release(&d);
	}
}

/* "unknown option '--ofline'; did you mean '--offline'?" */
static int unknown_option(const char *cmd, const char *arg, const struct option *longopts,
			  const char *usage)
{
	const char *cands[64];
	size_t n = 0;
	const char *best = NULL;
	if (!strncmp(arg, "--", 2)) {
		char *word = dg_xstrndup(arg + 2, strcspn(arg + 2, "="));
		for (const struct option *o = longopts; o && o->name && n < 64; o++)
			if (described(usage, o->name))
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
		*exit_code = unknown_option(cmd, argv[optind - 1], longopts, usage);
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
	for (size_t i = 0; contract.json && i < f->nr; i++) {
		if (contract.findings.len)
			dg_strbuf_addch(&contract.findings, ',');
		dg_output_finding_json(&contract.findings, &f->items[i]);
	}
	dg_output_findings_text(&sb, f, dg_cli_color(stderr));
	fputs(sb.buf, stderr);
	dg_strbuf_release(&sb);
}
