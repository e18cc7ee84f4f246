/* Redirect URI rules: MailStore's pattern (https://<fqdn>[:port]/oidc/signin,
 * SPE: /<instanceid>/oidc/signin) plus the registration rules of the
 * identity provider the URI is registered at, which live with the provider
 * (uri_rules.h; docs/findings.md, "URI — redirect URIs").
 *
 * The URI is looked at three ways:
 *  - the raw string, for what a parser would hide: whitespace, control
 *    bytes, backslashes, percent-encoding, traversal in any encoding, empty
 *    '?' or '#', ':' without a port;
 *  - an RFC 3986 split of a cleaned copy, which keeps every part exactly as
 *    written (MailStore and the identity providers compare the string);
 *  - curl's URL API, which decides whether the URL parses at all and what
 *    host it names (percent-decoded, numeric IPv4 forms normalised).
 * Findings are only added after all three are known, so every hint can show
 * one corrected URI. */
#include "uri.h"
#include "ascii.h"
#include "provider.h"
#include "uri_rules.h"
#include "utf8.h"

#include "strbuf.h"


#include <arpa/inet.h>
#include <curl/curl.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGNIN "/oidc/signin"
/* RFC 3986 never allows these unencoded (space and controls are URI016). */
#define NOT_IN_URI "\\\"<>^`{|}"

/* ---------------------------------------------------------------- bytes */

static int is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int is_space_or_ctl(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

static int has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static char *ascii_lower_dup(const char *s)
{
	char *r = dg_xstrdup(s);
	for (char *p = r; *p; p++)
		*p = (char)lower((unsigned char)*p);
	return r;
}

size_t dg_uri_utf8_chars(const char *s)
{
	size_t count = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; count++) {
		size_t n = dg_utf8_len(p, SIZE_MAX);
		p += n ? n : 1;
	}
	return count;
}

/* Appends s[0..n) for a message: controls, space-like bytes and invalid
 * UTF-8 become \xNN so that a finding never carries raw control bytes. */
static void add_shown(dg_strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		size_t k = *p ? dg_utf8_len(p, (size_t)(end - p)) : 0;
		if (!k || is_ctl(*p)) {
			dg_strbuf_addf(sb, "\\x%02X", *p);
			p++;
			continue;
		}
		dg_strbuf_add(sb, p, k);
		p += k;
	}
}

/* --------------------------------------------------- percent-decoding */

/* Folds the overlong two-byte UTF-8 forms old decoders accepted (C0 AE
 * '.', C0 AF '/', C1 9C '\', C0 80 NUL) into their ASCII byte, in place;
 * returns the new length.  dg_utf8_len refuses these forms, so the lead
 * bytes are matched here and only the arithmetic is shared. */
static size_t fold_overlong(char *r, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char a = (unsigned char)r[i];
		unsigned char b = i + 1 < len ? (unsigned char)r[i + 1] : 0;
		if ((a == 0xc0 || a == 0xc1) && (b & 0xc0) == 0x80) {
			r[w++] = (char)dg_utf8_decode((const unsigned char *)r + i, 2);
			i++;
		} else {
			r[w++] = (char)a;
		}
	}
	r[w] = '\0';
	return w;
}

/* One round of percent-decoding (invalid escapes are kept as written) and
 * overlong folding, so that "%c0%ae%c0%ae" counts as "..".  The result can
 * hold NUL bytes: *outlen is its length. */
static char *decode_round(const char *s, size_t len, size_t *outlen)
{
	char *r = dg_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len &&
		    (hi = dg_hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = dg_hex_value((unsigned char)s[i + 2])) >= 0) {
			r[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			r[o++] = s[i];
		}
	}
	*outlen = fold_overlong(r, o);
	return r;
}

int dg_uri_each_decoding(const char *s, int (*fn)(const char *, size_t, void *),
			 void *arg)
{
	char *cur = dg_xstrdup(s);
	size_t len = strlen(s);
	int rc = 0;
	for (int round = 0; round < 5 && !rc; round++) {
		size_t nlen;
		char *next;
		rc = fn(cur, len, arg);
		if (rc || round == 4)
			break;
		next = decode_round(cur, len, &nlen);
		if (nlen == len && !memcmp(next, cur, len)) {
			free(next);
			break;
		}
		free(cur);
		cur = next;
		len = nlen;
	}
	free(cur);
	return rc;
}

/* Simple percent-decoding for comparing a path with its expected form;
 * NULL when the path has no valid escape or decodes to a NUL. */
static char *percent_decoded(const char *s)
{
	size_t len = strlen(s), n;
	char *r;
	if (!strchr(s, '%'))
		return NULL;
	r = dg_xmalloc(len + 1);
	n = 0;
	for (size_t i = 0; i < len; i++) {
		int hi = -1, lo = -1;
		if (s[i] == '%' && i + 2 < len) {
			hi = dg_hex_value((unsigned char)s[i + 1]);
			lo = dg_hex_value((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0 && (hi || lo)) {
			r[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			r[n++] = s[i];
		}
	}
	r[n] = '\0';
	if (!strcmp(r, s)) {
		free(r);
		return NULL;
	}
	return r;
}

/* ------------------------------------------------------------ IDNA */

/* A host in its ASCII (ACE) form, as libidn2 computes it (IDNA2008 with
 * UTS #46 non-transitional mapping, what browsers send).  NULL when the
 * host is not valid UTF-8 or not a valid IDN. */
static char *host_to_ace(const char *host)
{
	char *ace = NULL, *r;
	if (!dg_utf8_valid(host, strlen(host)))
		return NULL;
	if (idn2_to_ascii_8z(host, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
		idn2_free(ace);
		return NULL;
	}
	r = dg_xstrdup(ace);
	idn2_free(ace);
	return r;
}

/* Lower case for a host that may be an IDN: libpsl lowercases Unicode
 * (and applies NFKC); ASCII is done here when that is not possible. */
static char *host_lower(const char *host)
{
	char *l = NULL, *r;
	if (has_non_ascii(host) && dg_utf8_valid(host, strlen(host)) &&
	    psl_str_to_utf8lower(host, "utf-8", NULL, &l) == PSL_SUCCESS && l) {
		r = dg_xstrdup(l);
		psl_free_string(l);
		return r;
	}
	psl_free_string(l);
	return ascii_lower_dup(host);
}

/* ----------------------------------------------------------------- PSL */

static const psl_ctx_t *psl_ctx;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

/* Loaded once for the process; onboard runs checks on several threads. */
static void psl_load(void)
{
	psl_ctx = psl_latest(NULL);
	if (!psl_ctx)
		psl_ctx = psl_builtin();
}

/* The label after the first dot of name, NULL when it is the last one. */
static const char *next_label(const char *name)
{
	const char *dot = strchr(name, '.');
	return dot ? dot + 1 : NULL;
}

dg_psl_status dg_uri_psl_check(const char *host, int listed_only, char **registrable)
{
	int type = PSL_TYPE_ANY | (listed_only ? PSL_TYPE_NO_STAR_RULE : 0);
	dg_psl_status st = DG_PSL_UNLISTED;
	const char *label, *prev = NULL;
	char *name;
	if (registrable)
		*registrable = NULL;
	if (!host || !*host || !dg_utf8_valid(host, strlen(host)))
		return DG_PSL_INVALID;
	pthread_once(&psl_once, psl_load);
	if (!psl_ctx)
		return DG_PSL_UNAVAILABLE;
	name = host_lower(host);
	if (name[0] == '.' || strstr(name, "..") || name[strlen(name) - 1] == '.') {
		free(name);
		return DG_PSL_INVALID;
	}
	/* The leftmost suffix that is public is the host's public suffix:
	 * every longer one has that same rule prevailing, so is not public. */
	for (label = name; label; prev = label, label = next_label(label)) {
		if (!psl_is_public_suffix2(psl_ctx, label, type))
			continue;
		st = prev ? DG_PSL_OK : DG_PSL_IS_SUFFIX;
		if (prev && registrable)
			*registrable = dg_xstrdup(prev);
		break;
	}
	free(name);
	return st;
}

/* ------------------------------------------------------------ the split */

/* The parts of the (cleaned) URI exactly as written. */
struct parts {
	char *scheme;    /* NULL when there is none */
	char *userinfo;  /* NULL when absent */
	char *host;      /* raw, brackets kept; "" when the authority is empty */
	char *port;      /* text after ':', NULL when there is no ':' */
	char *path;
	char *query;     /* NULL when there is no '?' */
	char *fragment;  /* NULL when there is no '#' */
};

static void parts_free(struct parts *p)
{
	free(p->scheme);
	free(p->userinfo);
	free(p->host);
	free(p->port);
	free(p->path);
	free(p->query);
	free(p->fragment);
	memset(p, 0, sizeof(*p));
}

/* Length of the scheme before ':', 0 when s has none.  "host:8462/" and
 * "name.example.com:..." are a host without a scheme, not a scheme; but
 * whatever comes before "://" is meant as one, valid or not ("ht%tp"). */
static size_t scheme_len(const char *s)
{
	size_t i = 0, j;
	const char *sep = strstr(s, "://");
	if (sep && sep > s && sep - s + 1 == (ptrdiff_t)strcspn(s, "/?#"))
		return (size_t)(sep - s);
	if (!is_alpha((unsigned char)s[0]))
		return 0;
	while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) ||
	       s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	if (s[i] != ':' || memchr(s, '.', i))
		return 0;
	for (j = i + 1; is_digit((unsigned char)s[j]); j++)
		;
	if (j > i + 1 && (s[j] == '/' || s[j] == '\0' || s[j] == '?' || s[j] == '#'))
		return 0;
	return i;
}

static void split_authority(const char *a, size_t len, struct parts *p)
{
	const char *at = NULL, *host, *end = a + len, *colon;
	for (const char *q = a; q < end; q++)
		if (*q == '@')
			at = q;
	if (at)
		p->userinfo = dg_xstrndup(a, (size_t)(at - a));
	host = at ? at + 1 : a;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		colon = rb && rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb && !colon)
			colon = end;  /* junk after ']' stays in the host */
		if (!rb)
			colon = end;
		if (colon < end && *colon != ':')
			colon = end;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
		if (!colon)
			colon = end;
	}
	p->host = dg_xstrndup(host, (size_t)(colon - host));
	if (colon < end)
		p->port = dg_xstrndup(colon + 1, (size_t)(end - colon - 1));
}

/* Splits s (scheme "://" authority path ["?" query] ["#" fragment]).
 * Returns 0, or -1 when there is no "//" authority. */
static int split_uri(const char *s, struct parts *p)
{
	size_t n = scheme_len(s), alen, plen;
	const char *q;
	memset(p, 0, sizeof(*p));
	if (n)
		p->scheme = dg_xstrndup(s, n);
	s += n + (n ? 1 : 0);
	if (strncmp(s, "//", 2))
		return -1;
	s += 2;
	alen = strcspn(s, "/?#");
	split_authority(s, alen, p);
	s += alen;
	plen = strcspn(s, "?#");
	p->path = dg_xstrndup(s, plen);
	s += plen;
	if (*s == '?') {
		q = s + 1;
		s = q + strcspn(q, "#");
		p->query = dg_xstrndup(q, (size_t)(s - q));
	}
	if (*s == '#')
		p->fragment = dg_xstrdup(s + 1);
	return 0;
}

/* ------------------------------------------------------- the checking */

enum host_kind {
	HOST_NONE,       /* no host could be found */
	HOST_IP,         /* IPv4 (any form curl accepts) or an [IPv6] literal */
	HOST_LOCALHOST,  /* localhost or *.localhost */
	HOST_NAME,       /* a name made of valid DNS labels */
	HOST_BAD,        /* something else: see host_bad */
};

struct dg_uri_ctx {
	const char *raw;
	const dg_uri_opts *opts;
	const dg_uri_rules *rules;  /* the provider's own, or NULL */
	dg_findings *out;
	int errors;

	char *clean;          /* raw without whitespace/controls, '\' as '/' */
	char *fixed;          /* clean with a missing "https://" or "//" added */
	int no_scheme;        /* "archive.example.com/oidc/signin" */
	int no_slashes;       /* "https:/host/..." */
	int no_authority;     /* "urn:...", "mailto:..." */
	struct parts p;

	enum host_kind kind;
	char *host;           /* curl's host: decoded, lower case, no trailing dot */
	char *ace;            /* host with IDN labels in punycode */
	const char *host_bad; /* why the host is not a DNS name */
	int single_label, trailing_dot, host_encoded, loopback;
	int curl_rc;          /* curl_url_set on the whole URI */
	const char *curl_err;

	long port;            /* -1: none or unusable */
	int usable_host;      /* host can go into the corrected URI */
	char *want_path;      /* the path the URI should have */
	char want_port[8];    /* ":8462", "" for none or 443 */
	char *sugg;           /* the corrected URI, NULL when not derivable */
	char *templ;          /* the pattern with placeholders for what is missing */
};

dg_finding *dg_uri_add(dg_uri_ctx *c, dg_finding_code code, const char *fmt, ...)
{
	dg_severity sev = dg_code_info_of(code)->severity;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd;
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd = dg_findings_add(c->out, code, c->opts->path ? c->opts->path : "",
			     "%s", sb.buf);
	dg_strbuf_release(&sb);
	if (sev == DG_SEV_ERROR)
		c->errors++;
	return fd;
}

void dg_uri_hint_use(dg_uri_ctx *c, dg_finding *fd)
{
	if (c->sugg)
		dg_finding_hint(fd, "use %s", c->sugg);
	else
		dg_finding_hint(fd, "use the pattern %s", c->templ);
}

const char *dg_uri_shown(dg_strbuf *sb, const char *s)
{
	dg_strbuf_reset(sb);
	dg_strbuf_addch(sb, '"');
	add_shown(sb, s, strlen(s));
	dg_strbuf_addch(sb, '"');
	return sb->buf;
}

/* "?query" or "#fragment" for a message, shortened when long. */
static const char *shown_part(dg_strbuf *sb, char lead, const char *s)
{
	size_t n = strlen(s);
	dg_strbuf_reset(sb);
	dg_strbuf_addf(sb, "\"%c", lead);
	add_shown(sb, s, n > 40 ? 40 : n);
	dg_strbuf_adds(sb, n > 40 ? "...\"" : "\"");
	return sb->buf;
}

static const char *provider_label(const struct dg_uri_ctx *c)
{
	return c->rules ? c->rules->label : NULL;
}

/* --- preparing: clean, split, ask curl */

static void make_clean(struct dg_uri_ctx *c)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_init(&sb);
	for (const unsigned char *p = (const unsigned char *)c->raw; *p; p++) {
		if (is_space_or_ctl(*p))
			continue;
		dg_strbuf_addch(&sb, *p == '\\' ? '/' : *p);
	}
	c->clean = dg_strbuf_detach(&sb);
}

/* Adds what a browser would assume: "https://" in front of a bare host,
 * "//" after "https:".  The URI001 finding says so. */
static void make_fixed(struct dg_uri_ctx *c)
{
	size_t n = scheme_len(c->clean);
	const char *rest = c->clean + n + (n ? 1 : 0);
	if (!n) {
		c->no_scheme = 1;
		c->fixed = dg_xasprintf("https%s%s", !strncmp(c->clean, "://", 3) ? "" :
					!strncmp(c->clean, "//", 2) ? ":" : "://", c->clean);
		return;
	}
	if (!strncmp(rest, "//", 2)) {
		c->fixed = dg_xstrdup(c->clean);
		return;
	}
	if ((n == 4 || n == 5) && !strncasecmp(c->clean, "https", n)) {
		c->no_slashes = 1;
		while (*rest == '/')
			rest++;
		c->fixed = dg_xasprintf("%.*s://%s", (int)n, c->clean, rest);
		return;
	}
	c->no_authority = 1;
	c->fixed = dg_xstrdup(c->clean);
}

static int is_localhost(const char *h)
{
	size_t n = strlen(h);
	return !strcmp(h, "localhost") ||
	       (n > 10 && !strcmp(h + n - 10, ".localhost"));
}

/* Label syntax of an ACE host name (RFC 1123 letters, digits, hyphens);
 * NULL when fine, else the reason.  A single label is not an error here. */
static const char *dns_syntax(const char *ace)
{
	size_t total = strlen(ace), label = 0;
	const char *start = ace;
	int tld_digits = 1;
	if (total > 253)
		return "is longer than 253 characters";
	for (const char *p = ace;; p++) {
		if (*p == '.' || !*p) {
			if (!label)
				return "has an empty label (\"..\" or a leading dot)";
			if (label > 63)
				return "has a label longer than 63 characters";
			if (*start == '-' || p[-1] == '-')
				return "has a label that starts or ends with a hyphen";
			if (!*p)
				break;
			label = 0;
			start = p + 1;
			tld_digits = 1;
			continue;
		}
		if (*p == '_')
			return "contains an underscore, which host names cannot have";
		if (!(is_alpha((unsigned char)*p) || is_digit((unsigned char)*p) || *p == '-'))
			return "contains characters that host names cannot have";
		tld_digits &= is_digit((unsigned char)*p);
		label++;
	}
	if (tld_digits)
		return "ends with an all-numeric label";
	return NULL;
}

static void classify_name(struct dg_uri_ctx *c)
{
	size_t n = strlen(c->host);
	if (n && c->host[n - 1] == '.') {
		c->trailing_dot = 1;
		c->host[n - 1] = '\0';
	}
	if (is_localhost(c->host)) {
		c->kind = HOST_LOCALHOST;
		return;
	}
	/* punycode is quadratic in the label length: no need for huge names */
	if (n > 1024) {
		c->kind = HOST_BAD;
		c->host_bad = "is longer than 253 characters";
		return;
	}
	c->ace = host_to_ace(c->host);
	if (!c->ace) {
		c->kind = HOST_BAD;
		c->host_bad = "is not valid UTF-8 or not a valid international name";
		return;
	}
	c->host_bad = dns_syntax(c->ace);
	c->kind = c->host_bad ? HOST_BAD : HOST_NAME;
	c->single_label = !c->host_bad && !strchr(c->ace, '.');
}

static int is_ip(struct dg_uri_ctx *c, const char *h)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	if (h[0] == '[') {
		size_t n = strcspn(h + 1, "]");
		if (n >= sizeof(buf))
			return 1;
		memcpy(buf, h + 1, n);
		buf[n] = '\0';
		c->loopback = inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
		return 1;
	}
	if (inet_pton(AF_INET, h, &a4) == 1) {
		c->loopback = (ntohl(a4.s_addr) >> 24) == 127;
		return 1;
	}
	return 0;
}

/* The host as curl sees it: curl decodes %XX and normalises numeric IPv4
 * ("2130706433" is 127.0.0.1), which is what a browser would connect to. */
static void parse_host(struct dg_uri_ctx *c)
{
	CURLU *u;
	char *url, *h = NULL;
	if (!c->p.host || !*c->p.host) {
		c->kind = HOST_NONE;
		return;
	}
	c->host_encoded = strchr(c->p.host, '%') && c->p.host[0] != '[';
	u = curl_url();
	url = dg_xasprintf("https://%s/", c->p.host);
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !h) {
		c->kind = HOST_BAD;
		c->host_bad = strchr(c->p.host, '*') ?
			"contains a wildcard '*'" : "is not a valid host name";
	} else if (is_ip(c, h)) {
		c->kind = HOST_IP;
		c->host = dg_xstrdup(h);
	} else {
		c->host = host_lower(h);
		classify_name(c);
	}
	curl_free(h);
	free(url);
	curl_url_cleanup(u);
}

/* Port as written; -1 when absent or unusable. */
static long port_value(const char *port)
{
	long v = 0;
	size_t n = strlen(port);
	if (!n || n > 5 || strspn(port, "0123456789") != n)
		return -1;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (port[i] - '0');
	return v >= 1 && v <= 65535 ? v : -1;
}

/* curl's verdict on the whole URI (with the flags that keep it from
 * rewriting the path or refusing unknown schemes). */
static void parse_curl(struct dg_uri_ctx *c)
{
	CURLU *u = curl_url();
	unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE;
	if (!u) {
		c->curl_rc = CURLUE_OUT_OF_MEMORY;
		return;
	}
	c->curl_rc = curl_url_set(u, CURLUPART_URL, c->fixed, flags);
	c->curl_err = curl_url_strerror((CURLUcode)c->curl_rc);
	curl_url_cleanup(u);
}

/* The SPE instance id to show in a corrected URI (display-safe). */
static char *spe_segment(const struct dg_uri_ctx *c)
{
	const char *path = c->p.path, *id = c->opts->instance_id;
	dg_strbuf sb = DG_STRBUF_INIT;
	size_t n;
	dg_strbuf_init(&sb);
	if (id && *id)
		add_shown(&sb, id, strlen(id));
	else if (path && path[0] == '/' && (n = strcspn(path + 1, "/")) > 0 &&
		 !strncasecmp(path + 1 + n, SIGNIN, strlen(SIGNIN)))
		add_shown(&sb, path + 1, n);
	else
		dg_strbuf_adds(&sb, "<instanceid>");
	return dg_strbuf_detach(&sb);
}

static void make_suggestion(struct dg_uri_ctx *c)
{
	char *seg = c->opts->spe ? spe_segment(c) : NULL;
	dg_strbuf path = DG_STRBUF_INIT, port = DG_STRBUF_INIT;
	dg_strbuf_init(&path);
	dg_strbuf_init(&port);
	if (seg)
		dg_strbuf_addf(&path, "/%s", seg);
	dg_strbuf_adds(&path, SIGNIN);
	/* keep the port as written when it is usable; "[:port]" when unknown */
	if (c->port > 0 && c->port != 443) {
		dg_strbuf_addf(&port, ":%ld", c->port);
		memcpy(c->want_port, port.buf, port.len + 1);
	} else if (!c->p.host || (c->port < 0 && c->p.port && *c->p.port))
		dg_strbuf_adds(&port, "[:port]");
	c->usable_host = c->kind == HOST_NAME && !c->single_label;
	if (c->usable_host && !strchr(port.buf, '['))
		c->sugg = dg_xasprintf("https://%s%s%s", c->host, port.buf, path.buf);
	if (c->kind == HOST_NAME && c->single_label)
		c->templ = dg_xasprintf("https://%s.<DNS domain>%s%s", c->host, port.buf,
					path.buf);
	else
		c->templ = dg_xasprintf("https://<server FQDN>%s%s", port.buf, path.buf);
	free(seg);
	c->want_path = dg_strbuf_detach(&path);
	dg_strbuf_release(&port);
}

/* --- raw-string rules (any provider) */

static void check_whitespace(struct dg_uri_ctx *c)
{
	const unsigned char *r = (const unsigned char *)c->raw;
	size_t len = strlen(c->raw), first = len, count = 0;
	dg_finding *fd;
	for (size_t i = 0; i < len; i++)
		if (is_space_or_ctl(r[i])) {
			if (first == len)
				first = i;
			count++;
		}
	if (!count)
		return;
	if (count == 1 && r[first] == ' ' && (first == 0 || first == len - 1))
		fd = dg_uri_add(c, DGF_URI016, "the URI has a %s space (copied with the text around it?)",
				first ? "trailing" : "leading");
	else if (is_space_or_ctl(r[0]) || is_space_or_ctl(r[len - 1]))
		fd = dg_uri_add(c, DGF_URI016, "the URI has leading or trailing whitespace or control "
				"characters (%zu in all); the redirect URI is compared as a string", count);
	else
		fd = dg_uri_add(c, DGF_URI016, "the URI contains %s (byte 0x%02X at position %zu%s); "
				"whitespace and non-printable characters are not allowed",
				r[first] == ' ' ? "a space" : "a non-printable character",
				r[first], first + 1, count > 1 ? ", and more" : "");
	dg_uri_hint_use(c, fd);
}

static int find_encoded_ctl(const char *s, size_t len, void *arg)
{
	(void)arg;
	for (size_t i = 0; i + 2 < len; i++) {
		int hi = dg_hex_value((unsigned char)s[i + 1]), lo = dg_hex_value((unsigned char)s[i + 2]);
		if (s[i] == '%' && hi >= 0 && lo >= 0 && (hi << 4 | lo) != 0 &&
		    is_ctl((unsigned char)(hi << 4 | lo)))
			return 1;
	}
	return 0;
}

static void check_encoded_ctl(struct dg_uri_ctx *c)
{
	if (dg_uri_each_decoding(c->raw, find_encoded_ctl, NULL))
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI016, "the URI contains a percent-encoded control "
				"character (such as %%0A or %%0D)"));
}

static void check_not_in_uri(struct dg_uri_ctx *c)
{
	dg_strbuf chars = DG_STRBUF_INIT;
	dg_finding *fd;
	int non_ascii = 0;
	dg_strbuf_init(&chars);
	for (const char *p = NOT_IN_URI; *p; p++)
		if (strchr(c->raw, *p))
			dg_strbuf_addf(&chars, "%s'%c'", chars.len ? " " : "", *p);
	/* Non-ASCII belongs only in an IDN host; anywhere else it must be
	 * percent-encoded. */
	if (c->p.path)
		non_ascii = has_non_ascii(c->p.path) ||
			    (c->p.query && has_non_ascii(c->p.query)) ||
			    (c->p.fragment && has_non_ascii(c->p.fragment)) ||
			    (c->p.userinfo && has_non_ascii(c->p.userinfo));
	if (non_ascii)
		dg_strbuf_addf(&chars, "%snon-ASCII characters outside the host",
			       chars.len ? " and " : "");
	if (chars.len) {
		fd = dg_uri_add(c, DGF_URI017, "the URI contains %s, which a URI cannot contain "
				"unencoded%s", chars.buf,
				strchr(c->raw, '\\') ? " (browsers turn '\\' into '/')" : "");
		dg_uri_hint_use(c, fd);
	}
	dg_strbuf_release(&chars);
}

static void check_percent(struct dg_uri_ctx *c)
{
	const char *r = c->raw;
	dg_strbuf sb = DG_STRBUF_INIT;
	for (size_t i = 0; r[i]; i++) {
		if (r[i] != '%')
			continue;
		if (dg_hex_value((unsigned char)r[i + 1]) >= 0 && dg_hex_value((unsigned char)r[i + 2]) >= 0)
			continue;
		dg_strbuf_addch(&sb, '"');
		add_shown(&sb, r + i, strnlen(r + i, 3));
		dg_strbuf_addch(&sb, '"');
		dg_finding_hint(dg_uri_add(c, DGF_URI018, "invalid percent-encoding %s at position %zu: "
					   "'%%' must be followed by two hexadecimal digits",
					   sb.buf, i + 1),
				"write a literal '%%' as %%25, or remove it");
		break;
	}
	dg_strbuf_release(&sb);
}

static int find_null(const char *s, size_t len, void *arg)
{
	(void)arg;
	if (memchr(s, '\0', len))
		return 1;
	for (size_t i = 0; i + 5 < len; i++)
		if (!strncasecmp(s + i, "%c0%80", 6))
			return 1;
	return 0;
}

static void check_null(struct dg_uri_ctx *c)
{
	if (dg_uri_each_decoding(c->raw, find_null, NULL))
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI019, "the URI contains an encoded null character "
				"(%%00 or %%C0%%80)"));
}

/* --- MailStore's pattern */

static void check_form(struct dg_uri_ctx *c)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	if (c->no_scheme)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI001, "%s is not an absolute URI: the scheme "
				"\"https://\" is missing", dg_uri_shown(&sb, c->clean)));
	else if (c->no_slashes)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI001, "\"//\" must follow \"%s:\"", c->p.scheme));
	else if (c->no_authority)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI001,
					      "%s has no \"//host\" part; a redirect URI is "
				"https://<fqdn>[:port]/oidc/signin", dg_uri_shown(&sb, c->clean)));
	else if (c->kind == HOST_NONE)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI001, "the URI has no host"));
	dg_strbuf_release(&sb);
}

/* curl refusing a URI in which no rule found an error means the split above
 * missed something: say what curl says.  Otherwise the errors already
 * reported explain curl's refusal. */
static void check_curl_verdict(struct dg_uri_ctx *c)
{
	if (c->curl_rc != CURLUE_OK && !c->errors && !c->no_authority)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI001, "the URI cannot be parsed: %s", c->curl_err));
}

static void check_scheme(struct dg_uri_ctx *c)
{
	const char *s = c->p.scheme;
	dg_strbuf sb = DG_STRBUF_INIT, note = DG_STRBUF_INIT;
	if (!s || !strcasecmp(s, "https"))
		return;
	if (!strcasecmp(s, "http") && (c->kind == HOST_LOCALHOST || c->loopback)) {
		if (c->rules && (c->rules->http_localhost == DG_URI_HTTP_LOOPBACK ||
				 (c->rules->http_localhost == DG_URI_HTTP_LOCALHOST &&
				  c->kind == HOST_LOCALHOST)))
			dg_strbuf_addf(&note, ", even for localhost (%s alone would accept http "
				       "there)", c->rules->label);
	}
	dg_uri_hint_use(c, dg_uri_add(c, DGF_URI002, "the scheme is %s; MailStore requires https%s",
			dg_uri_shown(&sb, s), note.buf));
	dg_strbuf_release(&sb);
	dg_strbuf_release(&note);
}

static void check_host(struct dg_uri_ctx *c)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	const char *raw = c->p.host;
	switch (c->kind) {
	case HOST_IP:
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI003,
					      "the host %s is an IP address; MailStore needs the "
				"server's fully qualified DNS name (and the certificate is issued "
				"for that name)", dg_uri_shown(&sb, raw)));
		break;
	case HOST_LOCALHOST:
		dg_finding_hint(dg_uri_add(c, DGF_URI005, "the host %s is only reachable from a browser "
					   "on the MailStore server itself", dg_uri_shown(&sb, raw)),
				"use the server's fully qualified DNS name that every client "
				"resolves: %s", c->templ);
		break;
	case HOST_BAD:
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI004,
					      "the host %s %s", dg_uri_shown(&sb, raw), c->host_bad));
		break;
	case HOST_NAME:
		if (c->single_label)
			dg_finding_hint(dg_uri_add(c, DGF_URI004, "the host %s is not fully qualified; "
						   "MailStore needs machine name and DNS domain, such as "
						   "mailstore.example.com", dg_uri_shown(&sb, raw)),
					"use the pattern %s", c->templ);
		else if (c->host_encoded)
			dg_uri_hint_use(c, dg_uri_add(c, DGF_URI004,
						      "the host %s is percent-encoded (it means "
					"\"%s\")", dg_uri_shown(&sb, raw), c->host));
		else if (c->trailing_dot)
			dg_uri_hint_use(c, dg_uri_add(c, DGF_URI004, "the host %s ends with a dot",
					dg_uri_shown(&sb, raw)));
		break;
	default:
		break;
	}
	dg_strbuf_release(&sb);
}

static void check_case(struct dg_uri_ctx *c)
{
	int s = c->p.scheme && has_upper(c->p.scheme);
	int h = c->p.host && has_upper(c->p.host) && c->kind != HOST_BAD;
	const char *what = s && h ? "scheme and host have" : s ? "scheme has" : "host has";
	if (!s && !h)
		return;
	dg_uri_hint_use(c, dg_uri_add(c, DGF_URI020, "the %s upper-case letters; the redirect URI is "
			"compared as a string, so write it in lower case and enter exactly "
			"the same text at the identity provider and in MailStore", what));
}

static void check_idn(struct dg_uri_ctx *c)
{
	if (c->kind != HOST_NAME || !c->host || !has_non_ascii(c->host))
		return;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd = dg_uri_add(c, DGF_URI021, "the host %s is an internationalised domain "
				    "name; its ASCII form is %s", dg_uri_shown(&sb, c->host), c->ace);
	if (c->sugg) {
		char *at = strstr(c->sugg, c->host);
		if (at)
			dg_finding_hint(fd, "register and configure the same form at the identity "
					"provider and in MailStore; the ASCII form is the safer: "
					"https://%s%s", c->ace, at + strlen(c->host));
	}
	dg_strbuf_release(&sb);
}

static void check_port(struct dg_uri_ctx *c)
{
	const char *p = c->p.port;
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!p)
		return;
	if (!*p)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI006,
					      "':' after the host is not followed by a port"));
	else if (c->port < 0)
		dg_finding_hint(dg_uri_add(c, DGF_URI007, "the port %s is not a number from 1 to 65535",
					   dg_uri_shown(&sb, p)),
				"use the MailStore Web Access HTTPS port (default 8462), e.g. "
				"https://%s:8462%s", c->usable_host ? c->host : "<server FQDN>",
				c->want_path);
	else if (c->port == 443)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI006,
					      "the port %s is the https default; MailStore's "
				"pattern gives the port only when it is not 443", dg_uri_shown(&sb, p)));
	else if (p[0] == '0')
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI006,
					      "the port %s has leading zeros", dg_uri_shown(&sb, p)));
	if (c->port == (c->opts->spe ? 8474 : 8463))
		dg_finding_hint(dg_uri_add(c, DGF_URI022, "port %ld is the MailStore%s Administration API "
					   "port, not the Web Access port users sign in on", c->port,
					   c->opts->spe ? " SPE" : ""),
				"use the MailStore Web Access HTTPS port (default 8462)");
	dg_strbuf_release(&sb);
}

static void check_userinfo(struct dg_uri_ctx *c)
{
	if (c->p.userinfo)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI015,
					      "the URI contains user information (\"...@\" before "
				"the host)"));
}

static void check_query_fragment(struct dg_uri_ctx *c)
{
	const char *prov = provider_label(c);
	dg_strbuf sb = DG_STRBUF_INIT;
	if (c->p.query)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI013, "the URI has a query string %s; MailStore's "
				"redirect URI has none", shown_part(&sb, '?', c->p.query)));
	if (c->p.fragment)
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI014, "the URI has a fragment %s; a redirect URI "
				"cannot have one (RFC 6749 §3.1.2%s%s%s)",
				shown_part(&sb, '#', c->p.fragment), prov ? "; " : "",
				prov ? prov : "", prov ? " rejects it" : ""));
	dg_strbuf_release(&sb);
}

/* --- the path: /oidc/signin or /<instanceid>/oidc/signin, case-sensitive */

/* Is there a "." or ".." segment (also percent-encoded)? */
static int has_dot_segment(const char *path)
{
	char *d = percent_decoded(path);
	const char *s = d ? d : path;
	int found = 0;
	for (const char *p = s; *p && !found; p++) {
		if (*p != '/')
			continue;
		size_t n = strcspn(p + 1, "/");
		found = (n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.');
	}
	free(d);
	return found;
}

/* Checks the instance id segment (SPE) of "/<seg>/oidc/signin". */
static void check_instance(struct dg_uri_ctx *c, const char *seg, size_t n)
{
	const char *want = c->opts->instance_id;
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!want || !*want || (strlen(want) == n && !memcmp(seg, want, n)))
		return;
	dg_strbuf_addch(&sb, '"');
	add_shown(&sb, seg, n);
	dg_strbuf_adds(&sb, "\", not \"");
	add_shown(&sb, want, strlen(want));
	dg_strbuf_addch(&sb, '"');
	dg_uri_hint_use(c, dg_uri_add(c, DGF_URI012, "the instance id in the path is %s%s", sb.buf,
			strlen(want) == n && !strncasecmp(seg, want, n) ?
			" (it differs in letter case, and the URI is compared case-sensitively)" : ""));
	dg_strbuf_release(&sb);
}

/* Compares the path without trailing slashes and percent-encoding. */
static void check_path_shape(struct dg_uri_ctx *c, const char *path)
{
	const size_t sl = strlen(SIGNIN);
	size_t n = strlen(path), segs = 0;
	const char *tail = n >= sl ? path + n - sl : NULL;
	dg_strbuf sb = DG_STRBUF_INIT;
	for (const char *p = path; *p; p++)
		segs += *p == '/';
	if (tail && (!strcmp(tail, SIGNIN) || !strcasecmp(tail, SIGNIN)) && segs <= 3) {
		if (strcmp(tail, SIGNIN))
			dg_uri_hint_use(c, dg_uri_add(c, DGF_URI010,
						      "the path %s does not end with /oidc/signin in "
					"exactly this letter case; the redirect URI is compared "
					"case-sensitively", dg_uri_shown(&sb, c->p.path)));
		if (c->opts->spe && (segs == 2 || n == sl + 1))
			dg_uri_hint_use(c, dg_uri_add(c, DGF_URI011,
						      "MailStore SPE needs the instance id in the "
					"path: /<instanceid>/oidc/signin"));
		else if (segs == 3 && !c->opts->spe)
			dg_uri_hint_use(c, dg_uri_add(c, DGF_URI008,
						      "the path %s has an extra segment before "
					"/oidc/signin; that is the SPE form (/<instanceid>/oidc/signin), "
					"MailStore Server expects /oidc/signin (give the instance id to "
					"check an SPE URI)", dg_uri_shown(&sb, c->p.path)));
		else if (segs == 3)
			check_instance(c, path + 1, n - sl - 1);
	} else {
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI008, "the path is %s; MailStore expects \"%s\"",
				dg_uri_shown(&sb, c->p.path),
				c->opts->spe ? "/<instanceid>/oidc/signin" : SIGNIN));
	}
	dg_strbuf_release(&sb);
}

static void check_path(struct dg_uri_ctx *c)
{
	const char *raw = c->p.path;
	char *t, *d;
	size_t n;
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!raw)
		return;
	if (!*raw || !strcmp(raw, "/")) {
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI008,
					      "the path is missing; the URI must end with %s",
				c->opts->spe ? "/<instanceid>/oidc/signin" : SIGNIN));
		return;
	}
	if (has_dot_segment(raw)) {
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI008,
					      "the path %s has \".\" or \"..\" segments; MailStore "
				"compares the path exactly", dg_uri_shown(&sb, raw)));
		dg_strbuf_release(&sb);
		return;
	}
	t = dg_xstrdup(raw);
	n = strlen(t);
	if (n > 1 && t[n - 1] == '/') {
		while (n > 1 && t[n - 1] == '/')
			t[--n] = '\0';
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI009,
					      "the path %s has a trailing '/'; the redirect URI "
				"must end with /oidc/signin exactly", dg_uri_shown(&sb, raw)));
	}
	d = percent_decoded(t);
	if (d && (!strcmp(d, SIGNIN) || strstr(d, SIGNIN)))
		dg_uri_hint_use(c, dg_uri_add(c, DGF_URI008,
					      "the path %s is percent-encoded; write it as plain "
				"text", dg_uri_shown(&sb, raw)));
	check_path_shape(c, d ? d : t);
	free(d);
	free(t);
	dg_strbuf_release(&sb);
}

/* --- for the providers' rules */

void dg_uri_check_wildcard(dg_uri_ctx *c, const dg_uri_seen *u)
{
	if (strchr(u->raw, '*'))
		dg_finding_hint(dg_uri_add(c, DGF_URI025, "the URI contains a wildcard '*'; %s needs the "
					   "exact redirect URI", provider_label(c)),
				"register the exact URI, for example %s", u->example);
}

/* ---------------------------------------------------------- the entry */

static void prepare(struct dg_uri_ctx *c)
{
	make_clean(c);
	make_fixed(c);
	c->port = -1;
	if (c->no_authority) {
		c->p.scheme = dg_xstrndup(c->clean, scheme_len(c->clean));
		c->kind = HOST_NONE;
	} else if (split_uri(c->fixed, &c->p) == 0) {
		parse_host(c);
		if (c->p.port)
			c->port = port_value(c->p.port);
		parse_curl(c);
	}
	make_suggestion(c);
}

/* The identity provider's own rules come last: MailStore's pattern is the
 * one every URI must meet. */
static void run_provider_rules(struct dg_uri_ctx *c)
{
	dg_uri_seen seen;

	memset(&seen, 0, sizeof(seen));
	seen.raw = c->raw;
	seen.host = c->host;
	seen.ace = c->ace;
	seen.host_is_name = c->kind == HOST_NAME;
	seen.want_port = c->want_port;
	seen.want_path = c->want_path;
	seen.example = c->sugg ? c->sugg : c->templ;
	c->rules->check(c, &seen);
}

static void run_checks(struct dg_uri_ctx *c)
{
	check_whitespace(c);
	check_not_in_uri(c);
	check_percent(c);
	check_null(c);
	check_encoded_ctl(c);
	check_form(c);
	check_scheme(c);
	check_userinfo(c);
	check_host(c);
	check_case(c);
	check_idn(c);
	check_port(c);
	check_path(c);
	check_query_fragment(c);
	check_curl_verdict(c);
	if (c->rules && c->rules->check)
		run_provider_rules(c);
}

int dg_uri_check(const char *uri, const dg_uri_opts *opts, dg_findings *out)
{
	static const dg_uri_opts defaults = { NULL, 0, NULL, "" };
	struct dg_uri_ctx c;
	memset(&c, 0, sizeof(c));
	c.raw = uri ? uri : "";
	c.opts = opts ? opts : &defaults;
	c.rules = c.opts->rules;
	c.out = out;
	if (!*c.raw) {
		dg_finding_hint(dg_uri_add(&c, DGF_URI001, "the redirect URI is empty"),
				"use the pattern https://<server FQDN>[:port]/oidc/signin");
		return c.errors;
	}
	prepare(&c);
	run_checks(&c);
	parts_free(&c.p);
	free(c.clean);
	free(c.fixed);
	free(c.host);
	free(c.ace);
	free(c.sugg);
	free(c.templ);
	free(c.want_path);
	return c.errors;
}

int dg_uri_local_https(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	int local = 0;

	if (h && curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		local = !strcmp(scheme, "https") &&
			(!strcmp(host, "localhost") || !strcmp(host, "127.0.0.1") ||
			 !strcmp(host, "[::1]"));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return local;
}

const dg_uri_rules *dg_uri_rules_find(const char *name)
{
	for (const dg_provider *const *pp = dg_providers; name && *pp; pp++)
		if ((*pp)->redirect_uri && !strcasecmp(name, (*pp)->redirect_uri->name))
			return (*pp)->redirect_uri;
	return NULL;
}

void dg_uri_rules_names(dg_strbuf *sb, const char *sep)
{
	int n = 0;
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		if ((*pp)->redirect_uri)
			dg_strbuf_addf(sb, "%s%s", n++ ? sep : "", (*pp)->redirect_uri->name);
}

void dg_uri_add_display(dg_strbuf *sb, const char *uri)
{
	const char *auth = strstr(uri, "://"), *end, *at = NULL, *colon;
	if (!auth) {
		add_shown(sb, uri, strlen(uri));
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#\\");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon) {
		add_shown(sb, uri, strlen(uri));
		return;
	}
	add_shown(sb, uri, (size_t)(colon - uri) + 1);
	dg_strbuf_adds(sb, "***");
	add_shown(sb, at, strlen(at));
}
