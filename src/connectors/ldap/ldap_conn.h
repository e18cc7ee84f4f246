/* The live LDAP connection layer for `ldap` and `active-directory` profiles:
 * connect + bind as the profile says, read the RootDSE, and fetch entries
 * with simple paged results into the same dg_entry_list the LDIF snapshot
 * reader produces (so live and snapshot previews run the same engine).
 *
 * Every problem a user can fix becomes a finding with its own code and hint
 * (LDAP009-LDAP020, AD004-AD013; docs/findings.md); the functions also
 * return a dg_error code with a message for the caller.  No finding, error
 * or command string ever contains the bind password.
 *
 * libldap (Debian: GnuTLS backend) is configured per handle only: LDAPv3,
 * referrals off, network and operation timeouts, a fresh TLS context
 * (LDAP_OPT_X_TLS_NEWCTX) with the profile's CA file and REQUIRE_CERT demand,
 * or never with acceptAllCertificates.  Global (NULL-handle) options are
 * never touched.  A connection is used by one thread at a time. */
#ifndef DG_LDAP_CONN_H
#define DG_LDAP_CONN_H

#include "../../core/entry.h"
#include "../../core/error.h"
#include "../../core/findings.h"
#include "../../core/profile.h"
#include "../../core/strbuf.h"

typedef struct dg_ldap_conn dg_ldap_conn;

/* Tunables; zero fields take the defaults. */
typedef struct dg_ldap_options {
	int network_timeout_ms; /* TCP connect (and TLS handshake); default 10 s */
	int op_timeout_ms;      /* each request/response wait; default 120 s */
	int page_size;          /* simple paged results page size; default 1000 */
	/* The largest single LDAP message (one entry, one result) accepted;
	 * a bigger one ends the search with LDAP035.  Default: the profile's
	 * /directory/limits/maxMessageMB, else 32 MiB. */
	size_t max_message_bytes;
	/* Everything done on the connection after connecting must end within
	 * this (a server that trickles entries never trips the per-message
	 * timeout); LDAP036 when it does not.  Default: the profile's
	 * /directory/limits/deadlineSeconds, else 30 minutes. */
	int deadline_ms;
} dg_ldap_options;

#define DG_LDAP_DEFAULT_MAX_MESSAGE ((size_t)32 << 20)
#define DG_LDAP_DEFAULT_DEADLINE_MS (30 * 60 * 1000)

/* Connects per the profile's directory block and binds.
 *   ldap              server, port, protocol ldap | ldap-tls (StartTLS) | ldap-ssl
 *   active-directory  server, or else a DC found by DNS SRV
 *                     _ldap._tcp.dc._msdcs.<domain> (falling back to the
 *                     domain name itself); protocol ldap | ldaps | ldap-tls (StartTLS)
 * The bind is a simple bind with the resolved secret (dg_secret_resolve),
 * anonymous when the profile names no bind DN / user.  On failure *out is
 * NULL, findings explain why (unreachable, timeout, untrusted chain, host
 * name mismatch, expired certificate, invalid credentials with the AD data
 * code, strong authentication required, ...) and the error is returned.
 * Uses the default options (dg_ldap_connect_ex with opts NULL). */
dg_code dg_ldap_connect(const dg_profile *p, dg_ldap_conn **out, dg_findings *f, dg_error *err);
/* The same with explicit timeouts / page size; `opts` may be NULL. */
dg_code dg_ldap_connect_ex(const dg_profile *p, const dg_ldap_options *opts, dg_ldap_conn **out,
			   dg_findings *f, dg_error *err);
/* Someone to bind as instead of the profile's service account — how
 * MailStore's "Test authentication" logs a user on.  Findings about the
 * bind point at name_path and at the password's own path. */
typedef struct dg_ldap_identity {
	const char *name;               /* DN, user@domain or DOMAIN\\user */
	const char *name_path;          /* JSON pointer for findings about the name */
	const dg_secret_ref *password;
} dg_ldap_identity;

/* Connects like dg_ldap_connect and binds as `who`. */
dg_code dg_ldap_connect_as(const dg_profile *p, const dg_ldap_identity *who,
			   dg_ldap_conn **out, dg_findings *f, dg_error *err);

void dg_ldap_close(dg_ldap_conn *c);

/* The target of the best SRV record (lowest priority, then highest weight)
 * in the DNS answer ans[0..len) — how a domain controller is picked from
 * _ldap._tcp.dc._msdcs.<domain> — or NULL (caller frees).  The answer
 * comes from the network: malformed or truncated ones give NULL.  Parsed
 * with glibc's dn_skipname/dn_expand; exposed for the tests and fuzzer. */
char *dg_ldap_srv_best(const unsigned char *ans, size_t len);

/* The URI connected to, e.g. "ldaps://dc01.contoso.com:636". */
const char *dg_ldap_uri(const dg_ldap_conn *c);

/* Reads the RootDSE into *out (replacing it; release with dg_entry_release):
 * defaultNamingContext, namingContexts, supportedCapabilities,
 * supportedControl, supportedLDAPVersion, subschemaSubentry, dnsHostName,
 * vendorName, vendorVersion (whichever the server has).  Also remembers
 * whether the server supports paging. */
dg_code dg_ldap_rootdse(dg_ldap_conn *c, dg_entry *out, dg_error *err);

/* Reads one entry with a base-scope search (how subschema subentries must
 * be read: subtree searches do not return them). */
dg_code dg_ldap_read_entry(dg_ldap_conn *c, const char *dn, const char *filter,
			   const char *const *attrs, dg_entry *out, dg_error *err);

/* Where searches start: /directory/baseDn, or for Active Directory with an
 * empty one the RootDSE's defaultNamingContext (AD015), as MailStore does.
 * NULL with a finding (AD016) when neither is there.  The result points
 * into the profile or the RootDSE entry. */
const char *dg_ldap_search_base(const dg_profile *p, const dg_entry *rootdse, dg_findings *out);

/* Does this RootDSE belong to Active Directory (supportedCapabilities
 * 1.2.840.113556.1.4.800; Samba AD says so too)? */
int dg_ldap_rootdse_is_ad(const dg_entry *rootdse);

/* Subtree search below `base`, every entry appended to `out` with all values
 * binary-safe (ldap_get_values_len).  Uses simple paged results (RFC 2696)
 * when the RootDSE lists the control (read on first use); search references
 * are skipped.  A size, time or administrative limit keeps the entries
 * received and adds LDAP018 (the list is INCOMPLETE) - never a silently
 * short list - and returns DG_OK; so does a page whose answer carries no
 * readable paged-results control (LDAP033: whether more would follow is
 * unknown).  A server that refuses the control on the first page (result
 * 11 or 12) is asked again without it (LDAP034 says so).  A missing base DN
 * adds LDAP019, a message over max_message_bytes LDAP035, the connection's
 * deadline LDAP036, other failures LDAP009/LDAP010/LDAP020, and return an
 * error.  `attrs` is a
 * NULL-terminated list, or NULL for all user attributes. */
dg_code dg_ldap_search_all(dg_ldap_conn *c, const char *base, const char *filter,
			   const char *const *attrs, dg_entry_list *out, dg_findings *f,
			   dg_error *err);

/* The same search, each entry handed to fn as it arrives instead of being
 * collected (memory stays one entry, however big the directory).  fn may
 * take the entry over (copy the struct, then memset *e to 0); otherwise it
 * is freed after the call.  fn returns non-zero to stop the search early
 * (it is abandoned; the result is DG_OK with the entries delivered so far). */
typedef int (*dg_ldap_entry_fn)(void *ctx, dg_entry *e);
dg_code dg_ldap_search_each(dg_ldap_conn *c, const char *base, const char *filter,
			    const char *const *attrs, dg_ldap_entry_fn fn, void *ctx,
			    dg_findings *f, dg_error *err);

/* Appends to `out` the ldapsearch command line an administrator can run to
 * repeat this search by hand: -H URI, -x, -ZZ for StartTLS, -D DN -W (the
 * password is prompted for, never written), -E pr=1000/noprompt, with
 * LDAPTLS_CACERT / LDAPTLS_REQCERT=never in front when the profile sets
 * them.  Arguments are quoted for a POSIX shell. */
void dg_ldap_search_command(const dg_ldap_conn *c, const char *base, const char *filter,
			    const char *const *attrs, dg_strbuf *out);

/* An attribute name of AD's ranged retrieval: "member;range=0-1499" ->
 * base length 6, next low 1500, *last 0; "member;range=1500-*" -> *last 1.
 * Returns 0 when `name` is not ranged (or the range is not numbers). */
int dg_ldap_parse_range(const char *name, size_t *base_len, unsigned long *next, int *last);

#endif
