/* See shell_cmd.h. */
#include "shell_cmd.h"

#include <ctype.h>
#include <string.h>

void dg_shell_quote(dg_strbuf *out, const char *s)
{
	int plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_@%+=:,./-", *p))
			plain = 0;
	if (plain) {
		dg_strbuf_adds(out, s);
		return;
	}
	dg_strbuf_addch(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			dg_strbuf_adds(out, "'\\''");
		else
			dg_strbuf_addch(out, *p);
	}
	dg_strbuf_addch(out, '\'');
}

void dg_curl_command(dg_strbuf *out, const char *url, const char *token_var,
		     const char *ca_file, int insecure)
{
	dg_strbuf_adds(out, "curl -sS");
	if (insecure) {
		dg_strbuf_adds(out, " --insecure");
	} else if (ca_file) {
		dg_strbuf_adds(out, " --cacert ");
		dg_shell_quote(out, ca_file);
	}
	/* double quotes: the shell expands the variable, the token stays in it */
	dg_strbuf_addf(out, " -H \"Authorization: Bearer $%s\" ", token_var);
	dg_shell_quote(out, url);
}
