/* dirgate: the program.  Dispatches to one file per subcommand (src/cli). */
#include "cli/cli.h"

#include <locale.h>
#include <malloc.h>
#include <string.h>

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
	{ "push", dg_cmd_push, "set the server's directory-services configuration" },
	{ "sync", dg_cmd_sync, "run MailStore's directory synchronisation" },
	{ "migrate", dg_cmd_migrate, "rename MailStore users from an old=new list" },
	{ "cert", dg_cmd_cert, "create the certificate for an Entra ID app registration" },
	{ "onboard", dg_cmd_onboard, "onboard many tenants from one manifest" },
};

static void usage(FILE *fp)
{
	fputs("usage: dirgate COMMAND [ARGS]\n\ncommands:\n", fp);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'dirgate COMMAND --help' describes a command; see also dirgate(1).\n", fp);
}

int main(int argc, char **argv)
{
	/* A fixed mmap threshold: blocks of 1 MiB and up (the record arrays and
	 * DN table of a large snapshot, grown by doubling) always get their own
	 * mapping, so realloc moves them with mremap instead of copying them
	 * into fresh heap pages.  glibc's default threshold rises to 32 MiB as
	 * such blocks are freed, after which every doubling copies and faults
	 * the whole array in again (a fifth of a 100,000-user preview's page
	 * faults).  Tuning only: nothing depends on it. */
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	/* Fixing the mmap threshold also fixes the trim threshold at 128 KiB,
	 * so the heap top went back to the kernel after every Graph page
	 * (cJSON's many small nodes, the 400 KB body) and was faulted in again
	 * for the next one: a third of a 100,000-user M365 preview.  Keep up
	 * to 64 MiB of freed heap instead.  Tuning only, like the line above. */
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return DG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return DG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("dirgate " DG_VERSION);
		return DG_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "dirgate: '%s' is not a dirgate command\n", argv[1]);
	usage(stderr);
	return DG_EXIT_USAGE;
}
