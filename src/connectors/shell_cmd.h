/* Command lines an administrator can paste to repeat what dirgate asked a
 * directory: ldapsearch for LDAP (ldap_conn.c), curl for the cloud APIs.
 * A secret never goes in: the curl line names a shell variable that holds
 * the access token, and nothing here is ever given the token itself. */
#ifndef DG_SHELL_CMD_H
#define DG_SHELL_CMD_H

#include "../core/strbuf.h"

/* Appends s for a POSIX shell: bare when it is made of safe characters,
 * else in single quotes (a quote inside as '\''). */
void dg_shell_quote(dg_strbuf *out, const char *s);

/* curl -sS [--cacert CA | --insecure] -H "Authorization: Bearer $VAR" 'URL'
 * `token_var` is the variable's name (e.g. "GRAPH_TOKEN"). */
void dg_curl_command(dg_strbuf *out, const char *url, const char *token_var,
		     const char *ca_file, int insecure);

#endif
