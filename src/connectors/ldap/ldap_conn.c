/* The live LDAP connection layer (ldap_conn.h): libldap per-handle setup,
 * bind with explained failures, RootDSE, paged search into dg_entry_list,
 * and the equivalent ldapsearch command line.
 *
 * Certificate failures: libldap with GnuTLS reports only "Can't contact LDAP
 * server" (LDAPS) or "Connect error" (StartTLS) when verification fails.
 * To say *why*, a second handle with REQUIRE_CERT never completes the
 * handshake (no bind, nothing secret is sent), takes the server's
 * certificate (LDAP_OPT_X_TLS_PEERCERT) and OpenSSL checks it against the
 * same CA file, the clock and the host name. */
#include "ldap_conn.h"
#include "ldap_profile.h"
#include "../shell_cmd.h"

#include "../../core/clock.h"
#include "../../core/secret.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <lber.h>
#include <ldap.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#define DG_OID_AD_CAP "1.2.840.113556.1.4.800"
#define DG_OID_PAGED "1.2.840.113556.1.4.319"

struct dg_ldap_conn {
	LDAP *ld;
	char *uri;
	char *host;
	int port;
	dg_ldap_protocol proto;
	char *bind_dn;         /* NULL: anonymous */
	char *ca_file;         /* NULL: system default */
	int accept_all;
	int paging;            /* -1 unknown, 0 no, 1 yes */
	dg_ldap_options opts;
	double started_ms;     /* when the connection was made: the deadline counts from here */
	const char *server_path; /* JSON pointer for server problems */
};

/* What the profile says, for either directory type. */
typedef struct target {
	const char *server, *domain;
	const char *bind;             /* DN or AD user, NULL for anonymous */
	const char *bind_path;
	const dg_secret_ref *password;
	const dg_tls_opts *tls;
	const dg_ldap_limits *limits;
	int is_ad;
} target;

/* ---- small helpers ------------------------------------------------------ */

static struct timeval ms_tv(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return tv;
}

/* The server's diagnostic message (may be NULL); caller frees with free(). */
static char *diag_message(LDAP *ld)
{
	char *m = NULL, *copy = NULL;
	if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &m) == LDAP_OPT_SUCCESS && m) {
		if (*m)
			copy = dg_xstrdup(m);
		ldap_memfree(m);
	}
	return copy;
}

static int result_code(LDAP *ld)
{
	int rc = LDAP_OTHER;
	ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc);
	return rc;
}

static const char *tls_path(const dg_ldap_conn *c)
{
	return c->ca_file ? "/directory/tls/caFile" : "/directory/tls";
}

/* ---- AD domain controller discovery ------------------------------------- */

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

char *dg_ldap_srv_best(const unsigned char *ans, size_t len)
{
	char best[NS_MAXDNAME] = "";
	unsigned best_prio = 0x10000;
	int best_weight = -1, k;
	const unsigned char *p, *end;
	unsigned qd, an;

	if (len < NS_HFIXEDSZ || len > 65535)
		return NULL;
	end = ans + len;
	qd = get16(ans + 4);
	an = get16(ans + 6);
	p = ans + NS_HFIXEDSZ;
	for (unsigned i = 0; i < qd; i++) {
		if ((k = dn_skipname(p, end)) < 0 || k > end - p || end - p - k < NS_QFIXEDSZ)
			return NULL;
		p += k + NS_QFIXEDSZ;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdlen, prio;
		int weight;
		char target_name[NS_MAXDNAME];
		if ((k = dn_skipname(p, end)) < 0 || k > end - p || end - p - k < NS_RRFIXEDSZ)
			return NULL;
		p += k;
		type = get16(p);
		rdlen = get16(p + 8);
		p += NS_RRFIXEDSZ;
		if (rdlen > (size_t)(end - p))
			return NULL;
		/* dn_expand reads the target from within the record only */
		if (type == ns_t_srv && rdlen >= 7 &&
		    dn_expand(ans, p + rdlen, p + 6, target_name, sizeof(target_name)) >= 0 &&
		    strcmp(target_name, ".") && *target_name) {
			prio = get16(p);
			weight = (int)get16(p + 2);
			if (prio < best_prio || (prio == best_prio && weight > best_weight)) {
				best_prio = prio;
				best_weight = weight;
				snprintf(best, sizeof(best), "%s", target_name);
			}
		}
		p += rdlen;
	}
	return *best ? dg_xstrdup(best) : NULL;
}

/* The best DC from DNS SRV _ldap._tcp.dc._msdcs.<domain>, or NULL. */
static char *srv_lookup(const char *domain)
{
	unsigned char ans[8192];
	char name[NS_MAXDNAME];
	int n;

	if (snprintf(name, sizeof(name), "_ldap._tcp.dc._msdcs.%s", domain) >= (int)sizeof(name))
		return NULL;
	n = res_query(name, ns_c_in, ns_t_srv, ans, sizeof(ans));
	if (n < 0 || n > (int)sizeof(ans))
		return NULL;
	return dg_ldap_srv_best(ans, (size_t)n);
}

static int resolves(const char *host)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

/* ---- handle setup ------------------------------------------------------- */

/* libldap sets up its global options on first use, unguarded: two threads
 * opening their first connections at once (onboard --jobs) race there.
 * Reading a global option once, before any handle, does that set-up. */
static void ldap_global_init(void)
{
	int version;

	(void)ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version);
}

/* A fresh handle with every option set on it (never on the global one).
 * Returns an LDAP result code; *out is set on success. */
static int new_handle(const dg_ldap_conn *c, int reqcert, LDAP **out)
{
	static pthread_once_t global_once = PTHREAD_ONCE_INIT;
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3, zero = 0, rc;
	struct timeval nt = ms_tv(c->opts.network_timeout_ms), ot = ms_tv(c->opts.op_timeout_ms);

	*out = NULL;
	pthread_once(&global_once, ldap_global_init);
	rc = ldap_initialize(&ld, c->uri);
	if (rc != LDAP_SUCCESS)
		return rc;
	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &nt) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &ot) != LDAP_OPT_SUCCESS)
		goto fail;
	if (c->proto == DG_PROTO_LDAP_TLS || c->proto == DG_PROTO_LDAP_SSL) {
		if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert) != LDAP_OPT_SUCCESS)
			goto fail;
		if (c->ca_file &&
		    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file) != LDAP_OPT_SUCCESS)
			goto fail;
		/* Per-handle TLS settings only take effect with a new context. */
		if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
			ldap_unbind_ext_s(ld, NULL, NULL);
			return LDAP_PARAM_ERROR;
		}
	}
	*out = ld;
	return LDAP_SUCCESS;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return LDAP_OTHER;
}

/* libldap reads each message with separate read()s for its tag, length and
 * body, and polls before each: a 100,000-entry search costs 300,000 system
 * calls.  liblber's readahead layer, put right above the TCP provider (so
 * below TLS), reads 64 KiB at a time; libldap asks the layers whether data
 * is buffered (LBER_SB_OPT_DATA_READY) before it polls. */
/* The size cap: liblber refuses (ERANGE) a message whose BER length is
 * over it before allocating the buffer, so a hostile or broken server
 * cannot make dirgate hold gigabytes.  Set on this handle's socket only. */
static void tune_sockbuf(const dg_ldap_conn *c, LDAP *ld)
{
	Sockbuf *sb = NULL;
	int size = 64 * 1024;
	ber_len_t max = (ber_len_t)c->opts.max_message_bytes;
	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || !sb)
		return;
	ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, &size);
	ber_sockbuf_ctrl(sb, LBER_SB_OPT_SET_MAX_INCOMING, &max);
}

/* Opens the connection: TCP, then TLS (LDAPS) or StartTLS (LDAP-TLS). */
static int open_conn(const dg_ldap_conn *c, LDAP *ld)
{
	int rc = c->proto == DG_PROTO_LDAP_TLS ? ldap_start_tls_s(ld, NULL, NULL)
					       : ldap_connect(ld);
	if (rc == LDAP_SUCCESS)
		tune_sockbuf(c, ld);
	return rc;
}

/* How long the next wait may be: the per-message timeout, cut to what is
 * left of the connection's deadline (0 or less: the deadline has passed). */
static int wait_ms(const dg_ldap_conn *c)
{
	double left = c->started_ms + c->opts.deadline_ms - dg_now_ms();
	return left < c->opts.op_timeout_ms ? (int)left : c->opts.op_timeout_ms;
}



/* ---- certificate diagnosis ---------------------------------------------- */

static void add_time(dg_strbuf *sb, const ASN1_TIME *t)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	if (!b)
		return;
	ASN1_TIME_print(b, t);
	n = BIO_get_mem_data(b, &p);
	if (n > 0)
		dg_strbuf_add(sb, p, (size_t)n);
	BIO_free(b);
}

static void name_line(X509_NAME *nm, char *buf, size_t len)
{
	X509_NAME_oneline(nm, buf, (int)len);
}

/* Connects once more without verification, takes the certificate and says
 * what is wrong with it.  Returns how many findings were added (0: the
 * handshake did not complete, or OpenSSL finds nothing wrong). */
static int diagnose_certificate(const dg_ldap_conn *c, dg_findings *f)
{
	LDAP *ld = NULL;
	struct berval der = { 0, NULL };
	const unsigned char *p;
	X509 *x = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	char subj[256], issuer[256];
	int added = 0;
	dg_finding *fd;

	if (new_handle(c, LDAP_OPT_X_TLS_NEVER, &ld) != LDAP_SUCCESS)
		return 0;
	if (open_conn(c, ld) != LDAP_SUCCESS ||
	    ldap_get_option(ld, LDAP_OPT_X_TLS_PEERCERT, &der) != LDAP_OPT_SUCCESS || !der.bv_val)
		goto out;
	p = (const unsigned char *)der.bv_val;
	x = d2i_X509(NULL, &p, (long)der.bv_len);
	if (!x)
		goto out;
	name_line(X509_get_subject_name(x), subj, sizeof(subj));
	name_line(X509_get_issuer_name(x), issuer, sizeof(issuer));

	/* 1. chain of trust, the clock left out (that is check 2) */
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (store && ctx) {
		int loaded = c->ca_file ? X509_STORE_load_file(store, c->ca_file)
					: X509_STORE_set_default_paths(store);
		if (loaded == 1 && X509_STORE_CTX_init(ctx, store, x, NULL) == 1) {
			X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx),
						    X509_V_FLAG_NO_CHECK_TIME);
			if (X509_verify_cert(ctx) != 1) {
				int e = X509_STORE_CTX_get_error(ctx);
				fd = dg_findings_add(
					f, DGF_LDAP011, tls_path(c),
					"the certificate of %s (subject %s, issued by %s) is not "
					"trusted: %s",
					c->uri, subj, issuer, X509_verify_cert_error_string(e));
				if (c->ca_file)
					dg_finding_hint(fd, "put the certificate of the CA that issued "
							    "the server certificate (%s) into %s",
							issuer, c->ca_file);
				else
					dg_finding_hint(fd, "set /directory/tls/caFile to a PEM file "
							    "with the CA that issued the server "
							    "certificate (%s)",
							issuer);
				added++;
			}
		}
	}

	/* 2. validity period */
	{
		const ASN1_TIME *na = X509_get0_notAfter(x), *nb = X509_get0_notBefore(x);
		int expired = X509_cmp_current_time(na) < 0;
		int early = X509_cmp_current_time(nb) > 0;
		if (expired || early) {
			dg_strbuf when = DG_STRBUF_INIT;
			add_time(&when, expired ? na : nb);
			fd = dg_findings_add(f, DGF_LDAP013, c->server_path,
					     "the certificate of %s (subject %s) %s %s", c->uri,
					     subj, expired ? "expired on" : "is valid only from",
					     when.buf);
			dg_finding_hint(fd, "renew the server certificate on the directory server "
					    "(or correct its clock, or this machine's)");
			dg_strbuf_release(&when);
			added++;
		}
	}

	/* 3. host name (libldap checks the name in the URI) */
	{
		unsigned char addr[16];
		int is_ip = inet_pton(AF_INET, c->host, addr) == 1 ||
			    inet_pton(AF_INET6, c->host, addr) == 1;
		int ok = is_ip ? X509_check_ip_asc(x, c->host, 0) == 1
			       : X509_check_host(x, c->host, 0, 0, NULL) == 1;
		if (!ok) {
			fd = dg_findings_add(f, DGF_LDAP012, c->server_path,
					     "the certificate of %s (subject %s) is not issued for "
					     "\"%s\"",
					     c->uri, subj, c->host);
			dg_finding_hint(fd, "use the host name the certificate names (its subject "
					    "alternative names) as /directory/server, or issue a "
					    "certificate that includes \"%s\"%s",
					c->host,
					!strcmp(c->host, "localhost")
						? " (libldap checks \"localhost\" against this "
						  "machine's host name; use 127.0.0.1 with an IP "
						  "SAN)"
						: "");
			added++;
		}
	}
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(x);
	if (der.bv_val)
		ldap_memfree(der.bv_val);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return added;
}

/* ---- failure reporting -------------------------------------------------- */

/* rc from a connect/StartTLS/bind/search that failed for transport reasons. */
static int is_transport_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT;
}

static dg_code report_transport(const dg_ldap_conn *c, int rc, double elapsed_ms, int in_tls,
				dg_findings *f, dg_error *err)
{
	dg_finding *fd;
	int timed_out = rc == LDAP_TIMEOUT ||
			(rc == LDAP_SERVER_DOWN && elapsed_ms >= c->opts.network_timeout_ms * 0.9);

	if (timed_out) {
		fd = dg_findings_add(f, DGF_LDAP010, c->server_path,
				     "%s did not answer within %.1f s", c->uri,
				     (rc == LDAP_TIMEOUT ? c->opts.op_timeout_ms
							 : c->opts.network_timeout_ms) / 1000.0);
		dg_finding_hint(fd, "check that %s:%d is the directory server and that no "
				    "firewall drops the traffic; a server that accepts the "
				    "connection but never answers is often the wrong service on "
				    "that port (e.g. LDAPS on 389)",
				c->host, c->port);
		return dg_error_set(err, DG_E_NETWORK, "%s: timed out", c->uri);
	}
	if (in_tls && (c->proto == DG_PROTO_LDAP_SSL || c->proto == DG_PROTO_LDAP_TLS)) {
		/* Reached the server but TLS failed?  Find out why. */
		if (diagnose_certificate(c, f) > 0)
			return dg_error_set(err, DG_E_NETWORK,
					    "%s: the server certificate was rejected", c->uri);
		if (rc == LDAP_CONNECT_ERROR) {
			fd = dg_findings_add(f, DGF_LDAP014, tls_path(c),
					     "TLS with %s failed (%s)", c->uri,
					     ldap_err2string(rc));
			dg_finding_hint(fd, "check that the server offers %s on port %d and that "
					    "/directory/tls/caFile is a readable PEM file",
					c->proto == DG_PROTO_LDAP_TLS ? "StartTLS" : "LDAPS",
					c->port);
			return dg_error_set(err, DG_E_NETWORK, "%s: TLS failed", c->uri);
		}
	}
	if (!resolves(c->host)) {
		fd = dg_findings_add(f, DGF_LDAP009, c->server_path,
				     "the host name \"%s\" does not resolve", c->host);
		dg_finding_hint(fd, "check the spelling of the server name and this machine's DNS");
	} else {
		fd = dg_findings_add(f, DGF_LDAP009, c->server_path,
				     "cannot connect to %s (%s)", c->uri, ldap_err2string(rc));
		dg_finding_hint(fd, "check the server name and port (LDAP and StartTLS use 389, "
				    "LDAPS 636), that the directory service runs and that no "
				    "firewall blocks the port");
	}
	return dg_error_set(err, DG_E_NETWORK, "%s: %s", c->uri, ldap_err2string(rc));
}

/* The data code of AD's (and Samba's) diagnostic message for a failed bind,
 * "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error,
 * data 52e, v1db1": the hex number after the word "data" (not inside a word
 * such as "metadata"), or -1. */
static long ad_data_code(const char *diag)
{
	for (const char *d = diag; d && (d = strstr(d, "data ")) != NULL; d += 5) {
		const char *v = d + 5;
		char *end;
		long n;
		if (d != diag && !isspace((unsigned char)d[-1]) && d[-1] != ',')
			continue;
		if (!isxdigit((unsigned char)*v))
			continue;
		n = strtol(v, &end, 16);
		if (end - v > 8 || (*end && *end != ',' && !isspace((unsigned char)*end)))
			continue;
		return n;
	}
	return -1;
}

static const struct ad_bind_code {
	long data;
	dg_finding_code code;
	int about_password; /* else about the user */
	const char *what, *fix;
} ad_bind_codes[] = {
	/* fix NULL: report_bind says how to write the bind user (525, 52e). */
	{ 0x525, DGF_AD004, 0, "the bind user does not exist", NULL },
	/* Samba (nt_status_squash) and, in practice, AD too answer 52e for a user
	 * that does not exist, so this cannot say which of the two is wrong.
	 * Seen against Samba 4.17: an unknown user, and a wrong password for a
	 * disabled or must-change account, all give 52e. */
	{ 0x52e, DGF_AD005, 1, "the password is wrong or the user does not exist (AD gives "
			     "one answer for both)",
	  NULL },
	{ 0x530, DGF_AD006, 0, "the account may not log on at this time (logon hours)",
	  "allow logons at all hours for the service account (Account > Logon Hours)" },
	{ 0x531, DGF_AD007, 0, "the account may not log on from this computer",
	  "remove the workstation restriction of the service account (Account > Log On To)" },
	{ 0x532, DGF_AD008, 1, "the account's password has expired",
	  "set a new password and, for a service account, \"Password never expires\"" },
	{ 0x533, DGF_AD009, 0, "the account is disabled",
	  "enable the account in Active Directory Users and Computers" },
	{ 0x701, DGF_AD010, 0, "the account has expired",
	  "extend the account's expiry date (Account > Account expires)" },
	{ 0x773, DGF_AD011, 1, "the user must change the password before logging on",
	  "log on once and set a new password, or clear \"User must change password at next "
	  "logon\"" },
	{ 0x775, DGF_AD012, 0, "the account is locked out",
	  "unlock the account and look for whatever keeps using an old password" },
};

static dg_code report_bind(const dg_ldap_conn *c, LDAP *ld, int rc, const target *t,
			   dg_findings *f, dg_error *err)
{
	char *diag = diag_message(ld);
	const char *pw_path = t->password && t->password->path ? t->password->path
							      : "/directory/bind/password";
	const char *who = c->bind_dn ? c->bind_dn : "(anonymous)";
	dg_finding *fd;
	dg_code ret;

	if (rc == LDAP_INVALID_CREDENTIALS) {
		long data = ad_data_code(diag);
		const struct ad_bind_code *ac = NULL;
		for (size_t i = 0; i < sizeof(ad_bind_codes) / sizeof(*ad_bind_codes); i++)
			if (ad_bind_codes[i].data == data)
				ac = &ad_bind_codes[i];
		if (ac) {
			fd = dg_findings_add(f, ac->code,
					     ac->about_password ? pw_path : t->bind_path,
					     "bind as %s rejected: %s (AD data %lx)", who, ac->what,
					     data);
			if (ac->fix)
				dg_finding_hint(fd, "%s", ac->fix);
			else /* 525, 52e: the user name may be what is wrong */
				dg_finding_hint(fd, "%s%s%scheck that %s names an existing account: "
						    "a user principal name (user@domain), "
						    "DOMAIN\\user or the user's DN",
						ac->about_password ? "set the secret behind " : "",
						ac->about_password ? pw_path : "",
						ac->about_password ? " to the account's current "
								     "password, and "
								   : "",
						t->bind_path);
		} else {
			fd = dg_findings_add(f, DGF_LDAP015, pw_path,
					     "bind as %s rejected: invalid credentials%s%s%s", who,
					     diag ? " (" : "", diag ? diag : "", diag ? ")" : "");
			dg_finding_hint(fd, "check the bind %s in %s and the password behind %s",
					t->is_ad ? "user" : "DN", t->bind_path, pw_path);
		}
		ret = dg_error_set(err, DG_E_INVALID, "%s: bind as %s: invalid credentials",
				   c->uri, who);
	} else if (rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED) {
		/* AD and Samba answer 8, OpenLDAP (security simple_bind=N) 13. */
		fd = dg_findings_add(f, DGF_LDAP016, "/directory/protocol",
				     "%s refuses a simple bind over an unencrypted connection "
				     "(result %d, %s%s%s)",
				     c->uri, rc, ldap_err2string(rc), diag ? ": " : "",
				     diag ? diag : "");
		dg_finding_hint(fd, "set /directory/protocol to %s so the password travels "
				    "encrypted",
				t->is_ad ? "\"ldaps\" or \"ldap-tls\" (StartTLS)"
					 : "\"ldap-tls\" (StartTLS) or \"ldap-ssl\"");
		ret = dg_error_set(err, DG_E_INVALID, "%s: strong authentication required",
				   c->uri);
	} else {
		fd = dg_findings_add(f, DGF_LDAP017, t->bind_path,
				     "bind as %s rejected: %s (result %d)%s%s%s", who,
				     ldap_err2string(rc), rc, diag ? ": " : "", diag ? diag : "", "");
		dg_finding_hint(fd, "%s",
				c->bind_dn ? "check the bind settings and that the server "
					     "allows this account to bind"
					   : "this server does not allow anonymous access; set a "
					     "bind DN and password");
		ret = dg_error_set(err, DG_E_INVALID, "%s: bind as %s: %s", c->uri, who,
				   ldap_err2string(rc));
	}
	free(diag);
	return ret;
}

/* ---- connect ------------------------------------------------------------ */

static void target_from_profile(const dg_profile *p, target *t)
{
	memset(t, 0, sizeof(*t));
	if (dg_profile_is_ad(p)) {
		const dg_dir_active_directory *ad = dg_ad_opts(p);
		t->is_ad = 1;
		t->server = ad->server && *ad->server ? ad->server : NULL;
		t->domain = ad->domain;
		t->bind = ad->bind_user && *ad->bind_user ? ad->bind_user : NULL;
		t->bind_path = "/directory/bind/user";
		t->password = &ad->bind_password;
		t->tls = &ad->tls;
		t->limits = &ad->limits;
	} else {
		const dg_dir_ldap *l = dg_ldap_opts(p);
		t->server = l->server && *l->server ? l->server : NULL;
		t->bind = l->bind_dn && *l->bind_dn ? l->bind_dn : NULL;
		t->bind_path = "/directory/bind/dn";
		t->password = &l->bind_password;
		t->tls = &l->tls;
		t->limits = &l->limits;
	}
}

dg_code dg_ldap_connect(const dg_profile *p, dg_ldap_conn **out, dg_findings *f, dg_error *err)
{
	return dg_ldap_connect_ex(p, NULL, out, f, err);
}

static dg_code connect_target(const dg_profile *p, const dg_ldap_options *opts,
			      const dg_ldap_identity *who, dg_ldap_conn **out, dg_findings *f,
			      dg_error *err);

dg_code dg_ldap_connect_ex(const dg_profile *p, const dg_ldap_options *opts, dg_ldap_conn **out,
			   dg_findings *f, dg_error *err)
{
	return connect_target(p, opts, NULL, out, f, err);
}

dg_code dg_ldap_connect_as(const dg_profile *p, const dg_ldap_identity *who,
			   dg_ldap_conn **out, dg_findings *f, dg_error *err)
{
	return connect_target(p, NULL, who, out, f, err);
}

static dg_code connect_target(const dg_profile *p, const dg_ldap_options *opts,
			      const dg_ldap_identity *who, dg_ldap_conn **out, dg_findings *f,
			      dg_error *err)
{
	dg_ldap_conn *c;
	target t;
	char *secret = NULL;
	struct berval cred = { 0, NULL };
	LDAP *ld = NULL;
	double t0;
	int rc;
	dg_code code;

	*out = NULL;
	if (!dg_profile_is_ldap(p) && !dg_profile_is_ad(p))
		return dg_error_set(err, DG_E_UNSUPPORTED, "the profile's directory is not LDAP");
	target_from_profile(p, &t);
	if (who) { /* e.g. a test user instead of the service account */
		t.bind = who->name;
		t.bind_path = who->name_path;
		t.password = who->password;
	}

	c = dg_xcalloc(1, sizeof(*c));
	c->paging = -1;
	if (opts)
		c->opts = *opts;
	if (c->opts.network_timeout_ms <= 0)
		c->opts.network_timeout_ms = 10000;
	if (c->opts.op_timeout_ms <= 0)
		c->opts.op_timeout_ms = 120000;
	if (c->opts.page_size <= 0)
		c->opts.page_size = 1000;
	if (!c->opts.max_message_bytes)
		c->opts.max_message_bytes = t.limits->max_message_mb > 0
						    ? (size_t)t.limits->max_message_mb << 20
						    : DG_LDAP_DEFAULT_MAX_MESSAGE;
	if (c->opts.deadline_ms <= 0)
		c->opts.deadline_ms = t.limits->deadline_seconds > 0
					      ? t.limits->deadline_seconds * 1000
					      : DG_LDAP_DEFAULT_DEADLINE_MS;
	c->proto = dg_profile_ldap_protocol(p);
	c->port = dg_profile_ldap_port(p);
	c->accept_all = t.tls->accept_all_certificates > 0;
	c->ca_file = t.tls->ca_file ? dg_xstrdup(t.tls->ca_file) : NULL;
	c->bind_dn = t.bind ? dg_xstrdup(t.bind) : NULL;
	c->server_path = "/directory/server";

	if (t.server) {
		c->host = dg_xstrdup(t.server);
	} else if (t.is_ad && t.domain && *t.domain) {
		c->server_path = "/directory/domain";
		c->host = srv_lookup(t.domain);
		if (!c->host && resolves(t.domain))
			c->host = dg_xstrdup(t.domain); /* the domain name points at its DCs */
		if (!c->host) {
			dg_finding *fd = dg_findings_add(
				f, DGF_AD013, "/directory/domain",
				"no domain controller found for %s: neither DNS SRV "
				"_ldap._tcp.dc._msdcs.%s nor the domain name itself resolves",
				t.domain, t.domain);
			dg_finding_hint(fd, "use a DNS server that serves the AD domain, or name a "
					    "domain controller in /directory/server");
			code = dg_error_set(err, DG_E_NETWORK, "no domain controller for %s",
					    t.domain);
			dg_ldap_close(c);
			return code;
		}
	} else {
		dg_ldap_close(c);
		return dg_error_set(err, DG_E_INVALID, "the profile names no directory server");
	}
	c->uri = dg_xasprintf("%s://%s%s%s:%d", c->proto == DG_PROTO_LDAP_SSL ? "ldaps" : "ldap",
			      strchr(c->host, ':') ? "[" : "", c->host,
			      strchr(c->host, ':') ? "]" : "", c->port);

	rc = new_handle(c, c->accept_all ? LDAP_OPT_X_TLS_NEVER : LDAP_OPT_X_TLS_DEMAND, &ld);
	if (rc != LDAP_SUCCESS) {
		dg_finding *fd = dg_findings_add(
			f, DGF_LDAP014, tls_path(c),
			"cannot set up the connection to %s: %s", c->uri, ldap_err2string(rc));
		dg_finding_hint(fd, "check that /directory/tls/caFile is a readable PEM file");
		code = dg_error_set(err, DG_E_INVALID, "%s: %s", c->uri, ldap_err2string(rc));
		dg_ldap_close(c);
		return code;
	}
	c->ld = ld;

	t0 = c->started_ms = dg_now_ms();
	rc = open_conn(c, ld);
	if (rc != LDAP_SUCCESS) {
		if (c->proto == DG_PROTO_LDAP_TLS && !is_transport_error(rc)) {
			/* The server answered the StartTLS request with a refusal. */
			char *diag = diag_message(ld);
			dg_finding *fd = dg_findings_add(
				f, DGF_LDAP014, "/directory/protocol",
				"%s refused StartTLS: %s%s%s", c->uri, ldap_err2string(rc),
				diag ? ": " : "", diag ? diag : "");
			dg_finding_hint(fd, "enable TLS on the server, or use \"ldap-ssl\" if it "
					    "offers LDAPS on port 636");
			free(diag);
			code = dg_error_set(err, DG_E_NETWORK, "%s: StartTLS refused", c->uri);
		} else {
			code = report_transport(c, rc, dg_now_ms() - t0, 1, f, err);
		}
		dg_ldap_close(c);
		return code;
	}

	if (c->bind_dn) {
		if (t.password->kind == DG_SECRET_NONE) {
			dg_finding *fd = dg_findings_add(
				f, DGF_LDAP017, "/directory/bind/password",
				"a bind %s is given but no password", t.is_ad ? "user" : "DN");
			dg_finding_hint(fd, "add /directory/bind/password (e.g. {\"env\": "
					    "\"LDAP_PASSWORD\"}), or remove the bind %s for an "
					    "anonymous bind",
					t.is_ad ? "user" : "DN");
			code = dg_error_set(err, DG_E_INVALID, "no bind password");
			dg_ldap_close(c);
			return code;
		}
		code = dg_secret_resolve(t.password, &secret, err);
		if (code != DG_OK) {
			dg_ldap_close(c);
			return code;
		}
		cred.bv_val = secret;
		cred.bv_len = strlen(secret);
	}
	t0 = dg_now_ms();
	rc = ldap_sasl_bind_s(ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	dg_secret_free(secret);
	if (rc != LDAP_SUCCESS) {
		if (is_transport_error(rc))
			code = report_transport(c, rc, dg_now_ms() - t0, 0, f, err);
		else
			code = report_bind(c, ld, rc, &t, f, err);
		dg_ldap_close(c);
		return code;
	}
	*out = c;
	return DG_OK;
}

void dg_ldap_close(dg_ldap_conn *c)
{
	if (!c)
		return;
	if (c->ld)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	free(c->uri);
	free(c->host);
	free(c->bind_dn);
	free(c->ca_file);
	free(c);
}

const char *dg_ldap_uri(const dg_ldap_conn *c)
{
	return c->uri;
}

/* ---- reading entries ---------------------------------------------------- */

/* Fills the empty entry e from a search entry message. */
static void read_entry_into(LDAP *ld, LDAPMessage *msg, dg_entry *e)
{
	char *dn = ldap_get_dn(ld, msg);
	BerElement *ber = NULL;
	e->dn = dg_xstrdup(dn ? dn : "");
	ldap_memfree(dn);
	for (char *a = ldap_first_attribute(ld, msg, &ber); a;
	     a = ldap_next_attribute(ld, msg, ber)) {
		struct berval **vals = ldap_get_values_len(ld, msg, a);
		for (size_t i = 0; vals && vals[i]; i++)
			dg_entry_add_value(e, a, vals[i]->bv_val, vals[i]->bv_len);
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	if (ber)
		ber_free(ber, 0);
}

static void read_entry(LDAP *ld, LDAPMessage *msg, dg_entry_list *out)
{
	dg_entry *e = dg_entry_list_add(out, "");
	free(e->dn);
	e->dn = NULL;
	read_entry_into(ld, msg, e);
}

static const char *const rootdse_attrs[] = {
	"defaultNamingContext", "namingContexts", "supportedCapabilities",
	"supportedControl", "supportedLDAPVersion", "subschemaSubentry",
	"dnsHostName", "vendorName", "vendorVersion", NULL,
};

static int has_value(const dg_entry *e, const char *attr, const char *val)
{
	const dg_attr *a = dg_entry_attr(e, attr);
	for (size_t i = 0; a && i < a->nvals; i++)
		if (!strcmp(a->vals[i].val, val))
			return 1;
	return 0;
}

int dg_ldap_rootdse_is_ad(const dg_entry *rootdse)
{
	return has_value(rootdse, "supportedCapabilities", DG_OID_AD_CAP);
}

dg_code dg_ldap_read_entry(dg_ldap_conn *c, const char *dn, const char *filter,
			   const char *const *attrs, dg_entry *out, dg_error *err)
{
	LDAPMessage *res = NULL, *m;
	struct timeval tv = ms_tv(wait_ms(c) > 0 ? wait_ms(c) : 1);
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	int rc = ldap_search_ext_s(c->ld, dn, LDAP_SCOPE_BASE, filter, (char **)attrs, 0, NULL,
				   NULL, &tv, 0, &res);
	dg_entry_release(out);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return dg_error_set(err, is_transport_error(rc) ? DG_E_NETWORK : DG_E_PROTOCOL,
				    "%s: cannot read \"%s\": %s", c->uri, dn, ldap_err2string(rc));
	}
	m = ldap_first_entry(c->ld, res);
	if (!m) {
		ldap_msgfree(res);
		return dg_error_set(err, DG_E_PROTOCOL, "%s: the server returned no entry for \"%s\"",
				    c->uri, dn);
	}
	read_entry(c->ld, m, &l);
	ldap_msgfree(res);
	*out = l.items[0]; /* take the entry over */
	free(l.items);
	return DG_OK;
}

dg_code dg_ldap_rootdse(dg_ldap_conn *c, dg_entry *out, dg_error *err)
{
	dg_code rc = dg_ldap_read_entry(c, "", "(objectClass=*)", rootdse_attrs, out, err);
	if (rc == DG_OK)
		c->paging = has_value(out, "supportedControl", DG_OID_PAGED);
	return rc;
}

/* ---- search ------------------------------------------------------------- */

static dg_code search_failed(dg_ldap_conn *c, int rc, const char *base, const char *filter,
			     const char *diag, const char *matched, dg_findings *f, dg_error *err)
{
	dg_finding *fd;
	if (is_transport_error(rc))
		return report_transport(c, rc, 0, 0, f, err);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		fd = dg_findings_add(f, DGF_LDAP019, "/directory/baseDn",
				     "the base DN \"%s\" does not exist on %s%s%s%s", base,
				     c->uri, matched && *matched ? " (the server knows \"" : "",
				     matched && *matched ? matched : "",
				     matched && *matched ? "\")" : "");
		dg_finding_hint(fd, "check /directory/baseDn against the server's naming "
				    "contexts (RootDSE namingContexts)");
		return dg_error_set(err, DG_E_PROTOCOL, "%s: no such object: %s", c->uri, base);
	}
	fd = dg_findings_add(f, DGF_LDAP020, "", "search %s below \"%s\" on %s failed: "
			     "%s (result %d)%s%s",
			     filter, base, c->uri, ldap_err2string(rc), rc, diag && *diag ? ": " : "",
			     diag && *diag ? diag : "");
	dg_finding_hint(fd, "repeat the search with the ldapsearch command dirgate shows and "
			    "check the filter and the bind account's access rights");
	return dg_error_set(err, DG_E_PROTOCOL, "%s: search failed: %s", c->uri,
			    ldap_err2string(rc));
}

static const char *limit_name(int rc)
{
	switch (rc) {
	case LDAP_SIZELIMIT_EXCEEDED: return "size limit exceeded";
	case LDAP_TIMELIMIT_EXCEEDED: return "time limit exceeded";
	default: return "administrative limit exceeded";
	}
}

/* ---- base DN ------------------------------------------------------------ */

/* AD with an empty base DN searches the domain's naming context, as
 * MailStore does; returns NULL (with a finding) when it cannot be known. */
const char *dg_ldap_search_base(const dg_profile *p, const dg_entry *rootdse, dg_findings *out)
{
	const char *base, *nc;
	dg_finding *fd;

	if (dg_profile_is_ldap(p))
		return dg_ldap_opts(p)->base_dn;
	base = dg_ad_opts(p)->base_dn;
	if (base && *base)
		return base;
	nc = dg_entry_first(rootdse, "defaultNamingContext");
	if (!nc) {
		fd = dg_findings_add(out, DGF_AD016, "/directory/baseDn",
				     "baseDn is empty and the server's RootDSE has no "
				     "defaultNamingContext to take it from");
		dg_finding_hint(fd, "Set \"baseDn\" to the domain's DN, e.g. \"DC=contoso,DC=com\".");
		return NULL;
	}
	fd = dg_findings_add(out, DGF_AD015, "/directory/baseDn",
			     "baseDn is empty: searching the domain naming context %s from the "
			     "RootDSE", nc);
	dg_finding_hint(fd, "That is what MailStore does too; set \"baseDn\" to narrow the search.");
	return nc;
}

/* ---- ranged retrieval (AD: groups over MaxValRange, 1500, members) ----- */

int dg_ldap_parse_range(const char *name, size_t *base_len, unsigned long *next, int *last)
{
	const char *r = strstr(name, ";range=");
	const char *dash;
	char *end;
	if (!r || !(dash = strchr(r + 7, '-')))
		return 0;
	*base_len = (size_t)(r - name);
	*last = !strcmp(dash + 1, "*");
	if (!*last) {
		unsigned long high = strtoul(dash + 1, &end, 10);
		if (*end)
			return 0;
		*next = high + 1;
	}
	return 1;
}

static void remove_attr(dg_entry *e, size_t i)
{
	for (size_t j = 0; j < e->attrs[i].nvals; j++)
		free(e->attrs[i].vals[j].val);
	free(e->attrs[i].vals);
	free(e->attrs[i].name);
	memmove(&e->attrs[i], &e->attrs[i + 1], (e->nattrs - i - 1) * sizeof(*e->attrs));
	e->nattrs--;
}

/* Moves the values of ranged attribute i into its base attribute. */
static void merge_range(dg_entry *e, size_t i, const char *base)
{
	dg_attr *a = &e->attrs[i];
	for (size_t j = 0; j < a->nvals; j++) {
		dg_entry_add_value(e, base, a->vals[j].val, a->vals[j].len);
		a = &e->attrs[i]; /* adding may have moved the array */
	}
	remove_attr(e, i);
}

/* Reads the remaining ranges of one attribute; 0, or -1 when incomplete. */
static int fetch_ranges(dg_ldap_conn *c, dg_entry *e, const char *base, unsigned long low)
{
	/* Bounded: each round trip must advance, and no attribute in any
	 * directory has a million ranges. */
	for (int round = 0; round < 1000000; round++) {
		char want[128];
		const char *attrs[2] = { want, NULL };
		dg_entry part = { 0 };
		dg_error err = { 0 };
		size_t blen;
		unsigned long next = 0;
		int last = 0, found = 0;
		snprintf(want, sizeof(want), "%s;range=%lu-*", base, low);
		if (dg_ldap_read_entry(c, e->dn, "(objectClass=*)", attrs, &part, &err) != DG_OK)
			return -1;
		for (size_t i = 0; i < part.nattrs; i++) {
			if (!dg_ldap_parse_range(part.attrs[i].name, &blen, &next, &last) ||
			    strncasecmp(part.attrs[i].name, base, blen) || base[blen])
				continue;
			for (size_t j = 0; j < part.attrs[i].nvals; j++)
				dg_entry_add_value(e, base, part.attrs[i].vals[j].val,
						   part.attrs[i].vals[j].len);
			found = 1;
		}
		dg_entry_release(&part);
		if (!found || (!last && next <= low))
			return -1;
		if (last)
			return 0;
		low = next;
	}
	return -1;
}

/* AD hands out at most MaxValRange values of a multi-valued attribute and
 * names the part it sent "member;range=0-1499"; fetch the rest so that no
 * large group comes back silently short.  Incomplete ones are findings. */
static void complete_ranges(dg_ldap_conn *c, dg_entry *e, dg_findings *f)
{
	for (size_t i = 0; i < e->nattrs;) {
		size_t blen;
		unsigned long next = 0;
		int last = 0;
		char *base;
		if (!dg_ldap_parse_range(e->attrs[i].name, &blen, &next, &last)) {
			i++;
			continue;
		}
		base = dg_xstrndup(e->attrs[i].name, blen);
		merge_range(e, i, base);
		if (!last && fetch_ranges(c, e, base, next) < 0) {
			dg_finding *fd = dg_findings_add(
				f, DGF_LDAP018, "",
				"the values of %s of %s could not all be read (ranged "
				"retrieval stopped): the result is INCOMPLETE", base, e->dn);
			dg_finding_hint(fd, "Check the bind account's read access to the entry, "
					"then run the check again.");
		}
		free(base);
		/* merge_range removed attribute i; what follows moved down */
	}
}

typedef struct append_ctx {
	dg_entry_list *out;
} append_ctx;

static int append_entry(void *ctx, dg_entry *e)
{
	dg_entry_list *l = ((append_ctx *)ctx)->out;
	dg_entry *slot = dg_entry_list_add(l, "");
	free(slot->dn);
	*slot = *e; /* take it over */
	memset(e, 0, sizeof(*e));
	return 0;
}

dg_code dg_ldap_search_all(dg_ldap_conn *c, const char *base, const char *filter,
			   const char *const *attrs, dg_entry_list *out, dg_findings *f,
			   dg_error *err)
{
	append_ctx a = { out };
	return dg_ldap_search_each(c, base, filter, attrs, append_entry, &a, f, err);
}

/* One search entry: ranges completed, then handed to the callback. */
static int deliver(dg_ldap_conn *c, LDAPMessage *msg, dg_ldap_entry_fn fn, void *ctx,
		   dg_findings *f)
{
	dg_entry e = { 0 };
	int stop;
	read_entry_into(c->ld, msg, &e);
	complete_ranges(c, &e, f);
	stop = fn(ctx, &e);
	dg_entry_release(&e);
	return stop;
}

/* One search of dg_ldap_search_each: what it asked and what came back. */
typedef struct search {
	dg_ldap_conn *c;
	const char *base, *filter;
	const char *const *attrs;
	dg_ldap_entry_fn fn;
	void *ctx;
	dg_findings *f;
	dg_error *err;
	struct berval cookie;  /* paged results: where the next page starts */
	size_t count;          /* entries received, all pages */
	int pages;             /* pages asked for with the control */
	dg_code code;
} search;

/* How a page ended. */
enum { PAGE_MORE, PAGE_DONE, PAGE_AGAIN_UNPAGED };

static void add_limit_finding(search *s, int res, const char *diag)
{
	dg_finding *fd = dg_findings_add(
		s->f, DGF_LDAP018, "",
		"the list is INCOMPLETE: the server stopped the search %s below \"%s\" after "
		"%zu entries (result %d, %s)%s%s",
		s->filter, s->base, s->count, res, limit_name(res), diag && *diag ? ": " : "",
		diag && *diag ? diag : "");
	dg_finding_hint(fd, "%s",
			res == LDAP_TIMELIMIT_EXCEEDED
				? "narrow the filter or raise the server's time limit for the bind "
				  "account (AD: MaxQueryDuration; OpenLDAP: timelimit / limits)"
				: "raise the server's size limit for the bind account (OpenLDAP: "
				  "limits dn.exact=\"<bind DN>\" size=unlimited; AD: MaxPageSize "
				  "applies per page, MaxResultSetSize per search) or bind as an "
				  "account without the limit");
}

/* A server that does not allow the paged-results control answers the first
 * page with 12 (unavailableCriticalExtension) or, some, 11 with nothing
 * sent; asking again without the control is what ldapsearch users do. */
static int paging_refused(const search *s, int res, size_t page_entries)
{
	return s->c->paging && s->pages == 1 && !page_entries &&
	       (res == LDAP_UNAVAILABLE_CRITICAL_EXTENSION || res == LDAP_ADMINLIMIT_EXCEEDED);
}

static void add_refused_finding(search *s, int res, const char *diag)
{
	dg_finding *fd = dg_findings_add(
		s->f, DGF_LDAP034, "",
		"%s refused the paged-results control for the search %s below \"%s\" (result %d, "
		"%s%s%s); dirgate searched again without paging, so the server's size limit "
		"applies to the whole search",
		s->c->uri, s->filter, s->base, res, ldap_err2string(res), diag && *diag ? ": " : "",
		diag && *diag ? diag : "");
	dg_finding_hint(fd, "allow paged results for the bind account (OpenLDAP: limits "
			    "dn.exact=\"<bind DN>\" size.pr=unlimited; check olcRequires / ACLs "
			    "on the control); if the unpaged search hit the size limit, LDAP018 "
			    "says so");
}

/* The paged-results control of a successful page: more to come (a cookie),
 * the end (an empty cookie), or no readable control - then nobody can know
 * whether entries are missing. */
static int page_control(search *s, LDAPControl **rctrls)
{
	LDAPControl *pc = rctrls ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL)
				 : NULL;
	ber_int_t estimate;
	dg_finding *fd;

	if (s->cookie.bv_val)
		ber_memfree(s->cookie.bv_val);
	s->cookie.bv_val = NULL;
	s->cookie.bv_len = 0;
	if (!s->c->paging)
		return PAGE_DONE;
	if (pc && ldap_parse_pageresponse_control(s->c->ld, pc, &estimate, &s->cookie) ==
			  LDAP_SUCCESS)
		return s->cookie.bv_len ? PAGE_MORE : PAGE_DONE;
	fd = dg_findings_add(s->f, DGF_LDAP033, "",
			     "the list is INCOMPLETE: %s answered page %d of the search %s below "
			     "\"%s\" without %s paged-results control, after %zu entries; whether "
			     "more entries follow cannot be known",
			     s->c->uri, s->pages, s->filter, s->base, pc ? "a readable" : "the",
			     s->count);
	dg_finding_hint(fd, "the server (or a proxy or load balancer in front of it) broke the "
			    "paging protocol (RFC 2696); repeat the search with the ldapsearch "
			    "command dirgate shows, and connect to the directory server directly");
	return PAGE_DONE;
}

/* The final result of one page; frees msg. */
static int page_result(search *s, LDAPMessage *msg, size_t page_entries)
{
	int res = LDAP_OTHER, rc, next = PAGE_DONE;
	char *matched = NULL, *diag = NULL;
	LDAPControl **rctrls = NULL;

	rc = ldap_parse_result(s->c->ld, msg, &res, &matched, &diag, NULL, &rctrls, 1);
	if (rc != LDAP_SUCCESS)
		res = rc;
	if (res == LDAP_SUCCESS) {
		next = page_control(s, rctrls);
	} else if (paging_refused(s, res, page_entries)) {
		add_refused_finding(s, res, diag);
		s->c->paging = 0;
		next = PAGE_AGAIN_UNPAGED;
	} else if (res == LDAP_SIZELIMIT_EXCEEDED || res == LDAP_TIMELIMIT_EXCEEDED ||
		   res == LDAP_ADMINLIMIT_EXCEEDED) {
		add_limit_finding(s, res, diag);
	} else {
		s->code = search_failed(s->c, res, s->base, s->filter, diag, matched, s->f, s->err);
	}
	ldap_memfree(matched);
	ldap_memfree(diag);
	ldap_controls_free(rctrls);
	return next;
}

static dg_code deadline_passed(search *s)
{
	dg_finding *fd = dg_findings_add(
		s->f, DGF_LDAP036, "",
		"the list is INCOMPLETE: reading from %s took longer than the deadline of %d s "
		"(search %s below \"%s\" stopped after %zu entries)",
		s->c->uri, s->c->opts.deadline_ms / 1000, s->filter, s->base, s->count);
	dg_finding_hint(fd, "the server answers very slowly; find out why (load, a filter on an "
			    "unindexed attribute), or raise /directory/limits/deadlineSeconds");
	return dg_error_set(s->err, DG_E_NETWORK, "%s: deadline of %d s passed", s->c->uri,
			    s->c->opts.deadline_ms / 1000);
}

static dg_code message_too_big(search *s)
{
	dg_finding *fd = dg_findings_add(
		s->f, DGF_LDAP035, "",
		"the list is INCOMPLETE: %s sent an LDAP message larger than %zu bytes during the "
		"search %s below \"%s\" (after %zu entries); dirgate does not read it",
		s->c->uri, s->c->opts.max_message_bytes, s->filter, s->base, s->count);
	dg_finding_hint(fd, "an entry that big usually carries large binary attributes "
			    "(photos, certificates): raise /directory/limits/maxMessageMB if it is "
			    "genuine, or check what the server sends");
	return dg_error_set(s->err, DG_E_PROTOCOL, "%s: LDAP message over %zu bytes", s->c->uri,
			    s->c->opts.max_message_bytes);
}

/* Starts one page (or the whole search when unpaged); 0 or -1. */
static int send_page(search *s, int *msgid)
{
	LDAPControl *page = NULL, *sctrls[2] = { NULL, NULL };
	int rc;

	if (s->c->paging) {
		rc = ldap_create_page_control(s->c->ld, s->c->opts.page_size, &s->cookie, 0, &page);
		if (rc != LDAP_SUCCESS) {
			s->code = search_failed(s->c, rc, s->base, s->filter, NULL, NULL, s->f,
						s->err);
			return -1;
		}
		sctrls[0] = page;
		s->pages++;
	}
	rc = ldap_search_ext(s->c->ld, s->base, LDAP_SCOPE_SUBTREE, s->filter, (char **)s->attrs,
			     0, page ? sctrls : NULL, NULL, NULL, LDAP_NO_LIMIT, msgid);
	ldap_control_free(page);
	if (rc != LDAP_SUCCESS) {
		char *diag = diag_message(s->c->ld);
		s->code = search_failed(s->c, rc, s->base, s->filter, diag, NULL, s->f, s->err);
		free(diag);
		return -1;
	}
	return 0;
}

/* Receives one page; returns PAGE_MORE, PAGE_DONE or PAGE_AGAIN_UNPAGED
 * (s->code says whether it failed). */
static int read_page(search *s, int msgid)
{
	size_t page_entries = 0;
	for (;;) {
		LDAPMessage *msg = NULL;
		int left = wait_ms(s->c), rc;
		struct timeval tv = ms_tv(left > 0 ? left : 1);
		if (left <= 0) {
			ldap_abandon_ext(s->c->ld, msgid, NULL, NULL);
			s->code = deadline_passed(s);
			return PAGE_DONE;
		}
		errno = 0;
		rc = ldap_result(s->c->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
		if (rc == 0) {
			ldap_abandon_ext(s->c->ld, msgid, NULL, NULL);
			/* the wait was cut short by the deadline, or the server was silent */
			s->code = left < s->c->opts.op_timeout_ms
					  ? deadline_passed(s)
					  : report_transport(s->c, LDAP_TIMEOUT, 0, 0, s->f, s->err);
			return PAGE_DONE;
		}
		if (rc < 0) {
			s->code = errno == ERANGE ? message_too_big(s)
						  : search_failed(s->c, result_code(s->c->ld),
								  s->base, s->filter, NULL, NULL,
								  s->f, s->err);
			return PAGE_DONE;
		}
		if (rc == LDAP_RES_SEARCH_ENTRY) {
			int stop;
			s->count++;
			page_entries++;
			stop = deliver(s->c, msg, s->fn, s->ctx, s->f);
			ldap_msgfree(msg);
			if (stop) {
				ldap_abandon_ext(s->c->ld, msgid, NULL, NULL);
				return PAGE_DONE;
			}
			continue;
		}
		if (rc == LDAP_RES_SEARCH_RESULT)
			return page_result(s, msg, page_entries); /* frees msg */
		ldap_msgfree(msg); /* references: skipped */
	}
}

dg_code dg_ldap_search_each(dg_ldap_conn *c, const char *base, const char *filter,
			    const char *const *attrs, dg_ldap_entry_fn fn, void *ctx,
			    dg_findings *f, dg_error *err)
{
	search s = { c, base, filter, attrs, fn, ctx, f, err, { 0, NULL }, 0, 0, DG_OK };
	int next = PAGE_MORE;

	if (c->paging < 0) {
		dg_entry dse = { 0 };
		if (dg_ldap_rootdse(c, &dse, NULL) != DG_OK)
			c->paging = 0;
		dg_entry_release(&dse);
	}
	while (next != PAGE_DONE && s.code == DG_OK) {
		int msgid;
		if (send_page(&s, &msgid) < 0)
			break;
		next = read_page(&s, msgid);
	}
	if (s.cookie.bv_val)
		ber_memfree(s.cookie.bv_val);
	return s.code;
}

/* ---- the ldapsearch command --------------------------------------------- */

void dg_ldap_search_command(const dg_ldap_conn *c, const char *base, const char *filter,
			    const char *const *attrs, dg_strbuf *out)
{
	int tls = c->proto == DG_PROTO_LDAP_TLS || c->proto == DG_PROTO_LDAP_SSL;
	if (tls && c->ca_file) {
		dg_strbuf_adds(out, "LDAPTLS_CACERT=");
		dg_shell_quote(out, c->ca_file);
		dg_strbuf_addch(out, ' ');
	}
	if (tls && c->accept_all)
		dg_strbuf_adds(out, "LDAPTLS_REQCERT=never ");
	dg_strbuf_adds(out, "ldapsearch -H ");
	dg_shell_quote(out, c->uri);
	dg_strbuf_adds(out, " -x");
	if (c->proto == DG_PROTO_LDAP_TLS)
		dg_strbuf_adds(out, " -ZZ");
	if (c->bind_dn) {
		dg_strbuf_adds(out, " -D ");
		dg_shell_quote(out, c->bind_dn);
		dg_strbuf_adds(out, " -W");
	}
	dg_strbuf_adds(out, " -b ");
	dg_shell_quote(out, base ? base : "");
	dg_strbuf_adds(out, " -s sub");
	if (c->paging != 0)
		dg_strbuf_addf(out, " -E pr=%d/noprompt", c->opts.page_size);
	dg_strbuf_addch(out, ' ');
	dg_shell_quote(out, filter ? filter : "(objectClass=*)");
	for (size_t i = 0; attrs && attrs[i]; i++) {
		dg_strbuf_addch(out, ' ');
		dg_shell_quote(out, attrs[i]);
	}
}
