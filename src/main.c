/* dirgate: the program.  Dispatches to one file per subcommand (src/cli). */
#include "cli/cli.h"

#include "core/suggest.h"

#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <string.h>

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "check", dg_cmd_check, "check a profile: offline rules, then live probes" },
	{ "preview", dg_cmd_preview, "list the MailStore users a directory would produce" },
	{ "snapshot", dg_cmd_snapshot, "save a live LDAP/AD directory as an LDIF snapshot" },
	{ "uri", dg_cmd_uri, "check one OpenID Connect redirect URI" },
	{ "filter", dg_cmd_filter, "lint one LDAP search filter" },
	{ "pull", dg_cmd_pull, "save the server's directory-services configuration" },
	{ "plan", dg_cmd_plan, "diff the directory against the live MailStore server" },
	{ "show", dg_cmd_show, "render a saved plan (text, JSON or an HTML page)" },
	{ "push", dg_cmd_push, "set the server's directory-services configuration" },
	{ "sync", dg_cmd_sync, "run MailStore's directory synchronisation" },
	{ "migrate", dg_cmd_migrate, "rename MailStore users from an old=new list" },
	{ "cert", dg_cmd_cert, "create the key pair and certificate for an app registration" },
	{ "cutover", dg_cmd_cutover, "who keeps, loses or changes their login in a switch" },
	{ "verify", dg_cmd_verify, "after a sync: the server's users against the preview" },
	{ "onboard", dg_cmd_onboard, "onboard many tenants from one manifest" },
	{ "init", dg_cmd_init, "write a commented starting profile" },
	{ "explain", dg_cmd_explain, "explain a finding code and how to fix it" },
	{ "help", cmd_help, "show the help of a command" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *fp)
{
	fputs("usage: dirgate COMMAND [ARGS]\n"
	      "       dirgate help COMMAND\n"
	      "       dirgate --version\n\ncommands:\n", fp);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'dirgate help COMMAND' (or 'dirgate COMMAND --help') describes a command;\n"
	      "see also dirgate(1) and dirgate-COMMAND(1).\n", fp);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* "'chekc' is not a dirgate command; did you mean 'check'?", or the list;
 * an option before the command is one of the program's own. */
static int unknown_command(const char *name)
{
	static const char *const options[] = { "--help", "--version" };
	const char *cands[NCOMMANDS], *best;
	if (name[0] == '-') {
		best = dg_suggest_closest(name, options, 2);
		fprintf(stderr, "dirgate: unknown option '%s'%s%s%s\n", name,
			best ? "; did you mean '" : "", best ? best : "", best ? "'?" : "");
		fputs("usage: dirgate COMMAND [ARGS], dirgate help [COMMAND] or dirgate --version\n",
		      stderr);
		return DG_EXIT_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		cands[i] = commands[i].name;
	best = dg_suggest_closest(name, cands, NCOMMANDS);
	if (best) {
		fprintf(stderr, "dirgate: '%s' is not a dirgate command; did you mean '%s'?\n",
			name, best);
		return DG_EXIT_USAGE;
	}
	fprintf(stderr, "dirgate: '%s' is not a dirgate command\n\n", name);
	usage(stderr);
	return DG_EXIT_USAGE;
}

static const char help_usage[] =
	"usage: dirgate help [COMMAND]\n"
	"\n"
	"Without COMMAND, lists the commands; with it, shows that command's help\n"
	"(the same as 'dirgate COMMAND --help').\n"
	"\n"
	"options:\n"
	"  -h, --help           show this help\n"
	"\n"
	"exit status:\n"
	"  0   help shown\n"
	"  64  usage error, or no such command\n";

static int cmd_help(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct command *cmd;
	char *sub_argv[3];
	int c, rc;

	while ((c = dg_cli_getopt("help", argc, argv, "", opts, help_usage, &rc)) != -1)
		if (c == DG_CLI_OPT_EXIT)
			return rc;
	if (optind == argc) {
		usage(stdout);
		return DG_EXIT_OK;
	}
	if (argc - optind > 1)
		return dg_cli_usage_error("help", "one COMMAND at a time");
	if (!(cmd = find_command(argv[optind])))
		return unknown_command(argv[optind]);
	sub_argv[0] = argv[optind];
	sub_argv[1] = (char *)"--help";
	sub_argv[2] = NULL;
	return cmd->fn(2, sub_argv);
}

/* `dirgate --list-commands`: "name<TAB>summary" per line, for the shell
 * completions (completions/), so they list exactly the commands there are. */
static int list_commands(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("%s\t%s\n", commands[i].name, commands[i].summary);
	return DG_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	/* A fixed mmap threshold: blocks of 1 MiB and up (the record arrays and
	 * DN table of a large snapshot, grown by doubling) always get their own
	 * mapping, so realloc moves them with mremap instead of copying them
	 * into fresh heap pages.  glibc's default threshold rises to 32 MiB as
	 * such blocks are freed, after which every doubling copies and faults
	 * the whole array in again (a fifth of a 100,000-user preview's page
	 * faults).  Tuning only: nothing depends on it. */
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	/* Fixing the mmap threshold also fixes the trim threshold at 128 KiB,
	 * so the heap top went back to the kernel after every cloud API page
	 * (cJSON's many small nodes, the 400 KB body) and was faulted in again
	 * for the next one: a third of a 100,000-user cloud preview.  Keep up
	 * to 64 MiB of freed heap instead.  Tuning only, like the line above. */
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return DG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return DG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("dirgate " DG_VERSION);
		return DG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--list-commands"))
		return list_commands();
	if ((cmd = find_command(argv[1])))
		return dg_cli_run(cmd->name, cmd->fn, argc - 1, argv + 1);
	return unknown_command(argv[1]);
}
