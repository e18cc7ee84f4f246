/* Data-quality rules (see quality.h).  Per-user rules look at one user's
 * values; the cross-user rules (case-only twins, another user's alias) sort
 * every address once.  Why each rule and its limit: docs/findings.md. */
#include "quality.h"

#include "mapping.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the list ---- */

static void add_issue(dg_quality_list *l, const dg_preview *pv, size_t user, dg_finding_code code,
		      const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add_issue(dg_quality_list *l, const dg_preview *pv, size_t user, dg_finding_code code,
		      const char *fix, const char *fmt, ...)
{
	const dg_code_info *info = dg_code_info_of(code);
	const dg_ms_user *u = &pv->users[user];
	dg_quality_issue *q;
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	q = &l->items[l->nr++];
	memset(q, 0, sizeof(*q));
	snprintf(q->code, sizeof(q->code), "%s", info->code);
	q->severity = info->severity;
	dg_code_record(code);
	q->user = user;
	q->entry = u->entry ? u->entry : "";
	q->user_name = u->user_name;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	/* the values quoted in it are the directory's: no raw control
	 * character reaches a terminal */
	if (dg_quality_control_char(sb.buf)) {
		q->message = dg_quality_visible(sb.buf);
		dg_strbuf_release(&sb);
	} else {
		q->message = dg_strbuf_detach(&sb);
	}
	q->fix = fix;
}

void dg_quality_list_clear(dg_quality_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		free(l->items[i].message);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

size_t dg_quality_count(const dg_quality_list *l, dg_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < l->nr; i++)
		n += l->items[i].severity == sev;
	return n;
}

size_t dg_quality_for_user(const dg_quality_list *l, size_t user, const dg_quality_issue **first)
{
	size_t lo = 0, hi = l->nr, n = 0;
	while (lo < hi) { /* first issue with .user >= user */
		size_t mid = lo + (hi - lo) / 2;
		if (l->items[mid].user < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo < l->nr && l->items[lo].user == user ? &l->items[lo] : NULL;
	while (lo + n < l->nr && l->items[lo + n].user == user)
		n++;
	return n;
}

/* ---- single rules ---- */

const char *dg_quality_control_char(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			return (const char *)p;
		/* C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return (const char *)p;
	}
	return NULL;
}

char *dg_quality_visible(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7F)
			dg_strbuf_addf(&sb, "\\x%02X", *p);
		else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			dg_strbuf_addf(&sb, "\\u%04X", p[1]), p++;
		else
			dg_strbuf_addch(&sb, *p);
	}
	return dg_strbuf_detach(&sb);
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* One DNS label of an address's domain; UTF-8 (an IDN) is let through. */
static const char *label_problem(const char *l, size_t n)
{
	if (!n)
		return "the domain has an empty label (a dot at its start or end, or two in a row)";
	if (n > DG_QUALITY_MAX_LABEL)
		return "a label of the domain is longer than 63 octets";
	if (l[0] == '-' || l[n - 1] == '-')
		return "a label of the domain starts or ends with a hyphen";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (!is_alnum(c) && c != '-' && c < 0x80)
			return "the domain holds a character other than letters, digits, hyphens "
			       "and dots";
	}
	return NULL;
}

static const char *domain_problem(const char *d)
{
	size_t n = strlen(d);
	if (!n)
		return "the domain after the @ is empty";
	if (n > DG_QUALITY_MAX_DOMAIN)
		return "the domain is longer than 253 octets";
	for (const char *l = d;;) {
		const char *dot = strchr(l, '.');
		size_t len = dot ? (size_t)(dot - l) : strlen(l);
		const char *why = label_problem(l, len);
		if (why)
			return why;
		if (!dot)
			return NULL;
		l = dot + 1;
	}
}

const char *dg_quality_email_syntax(const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local;
	if (strpbrk(addr, " \t"))
		return "it contains a space";
	if (!at)
		return "it has no @";
	if (memchr(addr, '@', (size_t)(at - addr)) && addr[0] != '"')
		return "it has more than one @";
	local = (size_t)(at - addr);
	if (!local)
		return "the local part before the @ is empty";
	if (local > DG_QUALITY_MAX_LOCAL)
		return "the local part before the @ is longer than 64 octets";
	if (addr[0] == '.' || at[-1] == '.')
		return "the local part starts or ends with a dot";
	for (const char *p = addr; p + 1 < at; p++)
		if (p[0] == '.' && p[1] == '.')
			return "the local part has two dots in a row";
	return domain_problem(at + 1);
}

int dg_quality_domain_internal(const char *domain)
{
	/* special-use and de-facto private top-level names (RFC 6761, RFC 6762
	 * appendix G, ICANN's .internal): no mail from outside reaches them */
	static const char *const tlds[] = { "local", "lan", "localdomain", "localhost", "internal",
					    "intranet", "corp", "home", "private", "invalid",
					    "test", NULL };
	const char *dot = strrchr(domain, '.');
	if (!dot)
		return *domain != '\0'; /* a bare host name */
	for (size_t i = 0; tlds[i]; i++)
		if (!strcasecmp(dot + 1, tlds[i]))
			return 1;
	return 0;
}

/* ---- per-user rules ---- */

static int edge_space(const char *s)
{
	size_t n = strlen(s);
	return n && (strchr(" \t", s[0]) || strchr(" \t", s[n - 1]));
}

/* Every string the JSON writer puts out passes here: runs of ASCII, most
 * of any directory, are skipped without decoding. */
static int valid_utf8(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s;;) {
		size_t n;
		while (*p && *p < 0x80)
			p++;
		if (!*p)
			break;
		if (!(n = dg_utf8_len(p, SIZE_MAX)))
			return 0;
		p += n;
	}
	return 1;
}

char *dg_quality_utf8_fixed(const char *s)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	if (valid_utf8(s))
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = dg_utf8_len(p, SIZE_MAX);
		if (n) {
			dg_strbuf_add(&sb, p, n);
			p += n;
		} else {
			dg_strbuf_adds(&sb, "\xEF\xBF\xBD"); /* U+FFFD, as .NET decodes */
			p++;
		}
	}
	return dg_strbuf_detach(&sb);
}

/* Characters dirgate warns about in a user name (MAP026): the user types
 * the name at every login, and the name also names the user's archive
 * folder; MailStore does not document which characters it refuses. */
static const char unsafe_name_chars[] = " \t\\/:*?\"<>|,;";

static void check_user_name(const dg_preview *pv, size_t i, dg_quality_list *out)
{
	const dg_ms_user *u = &pv->users[i];
	const char *raw = u->name_raw ? u->name_raw : u->user_name;
	const char *bad;
	if (dg_quality_control_char(raw)) {
		add_issue(out, pv, i, DGF_MAP025,
			  "Remove the control character from the user-name attribute in the "
			  "directory; nobody can type it at login.",
			  "the user name holds a control character (byte 0x%02X)",
			  (unsigned char)*dg_quality_control_char(raw));
	}
	if (edge_space(raw))
		add_issue(out, pv, i, DGF_MAP024,
			  "Remove the spaces around the value of the user-name attribute; "
			  "MailStore's synchronisation trims them, so the login name differs "
			  "from the directory value.",
			  "the user-name value \"%s\" has leading or trailing whitespace", raw);
	if (!valid_utf8(raw))
		add_issue(out, pv, i, DGF_MAP026,
			  "Correct the user-name attribute so it is valid UTF-8 text; MailStore "
			  "replaces bytes it cannot decode, so the login name would differ.",
			  "the user name is not valid UTF-8");
	else if ((bad = strpbrk(u->user_name, unsafe_name_chars)) != NULL)
		add_issue(out, pv, i, DGF_MAP026,
			  "Use a user-name attribute (or value) made of letters, digits and "
			  ". _ - @ ' + only, e.g. the UPN or sAMAccountName.",
			  "the user name \"%s\" contains '%c', which a login name should not",
			  u->user_name, *bad == '\t' ? ' ' : *bad);
}

static void check_full_name(const dg_preview *pv, size_t i, dg_quality_list *out)
{
	const char *fn = pv->users[i].full_name;
	const char *cc = dg_quality_control_char(fn);
	size_t chars;
	if (cc)
		add_issue(out, pv, i, DGF_MAP025,
			  "Remove the control character (often a pasted line break) from the "
			  "full-name attribute in the directory.",
			  "the full name holds a control character (byte 0x%02X)",
			  (unsigned char)*cc);
	if (edge_space(fn))
		add_issue(out, pv, i, DGF_MAP024,
			  "Remove the spaces around the full-name attribute's value in the "
			  "directory; MailStore shows and sorts the name as it is.",
			  "the full name \"%s\" has leading or trailing whitespace", fn);
	if ((chars = dg_utf8_count(fn)) > DG_QUALITY_MAX_FULL_NAME)
		add_issue(out, pv, i, DGF_MAP027,
			  "Shorten the full-name attribute (display name) to 256 characters "
			  "or fewer.",
			  "the full name is %zu characters long (more than %d)", chars,
			  DG_QUALITY_MAX_FULL_NAME);
}

static int domain_verified(const char *domain, const dg_strlist *verified)
{
	return dg_strlist_contains_ci(verified, domain);
}

static void check_address(const dg_preview *pv, size_t i, const char *addr,
			  const dg_quality_opts *o, dg_quality_list *out)
{
	const char *at = strrchr(addr, '@');
	const char *cc = dg_quality_control_char(addr);
	const char *why;
	if (cc) {
		add_issue(out, pv, i, DGF_MAP025,
			  "Remove the control character from the e-mail attribute in the "
			  "directory.",
			  "the e-mail address \"%s\" holds a control character (byte 0x%02X)",
			  addr, (unsigned char)*cc);
		return;
	}
	if ((why = dg_quality_email_syntax(addr)) != NULL) {
		add_issue(out, pv, i, DGF_MAP020,
			  "Correct the address in the directory's e-mail attribute (or "
			  "proxyAddresses); MailStore assigns mail to users by address, so mail "
			  "for a mistyped one is never in this user's archive.",
			  "the e-mail address \"%s\" is not valid: %s", addr, why);
		return;
	}
	if (dg_quality_domain_internal(at + 1)) {
		add_issue(out, pv, i, DGF_MAP021,
			  "Give the user an address in a domain that receives mail (set the UPN "
			  "suffix or mail attribute to the public domain); keep internal "
			  "addresses out of the e-mail attributes.",
			  "the e-mail address \"%s\" is in the internal domain \"%s\", which no mail "
			  "from outside reaches", addr, at + 1);
		return;
	}
	if (o && o->verified_domains && !domain_verified(at + 1, o->verified_domains))
		add_issue(out, pv, i, DGF_MAP022,
			  "Verify the domain in the tenant (Microsoft 365 admin centre, Settings, "
			  "Domains), or correct the address to one in a verified domain.",
			  "the e-mail address \"%s\" is in \"%s\", which is not among the tenant's "
			  "verified domains", addr, at + 1);
}

/* ---- cross-user rules ---- */

typedef struct addr_ref {
	char *lower;
	const char *addr;
	size_t user, index;
} addr_ref;

static int cmp_ref(const void *a, const void *b)
{
	const addr_ref *x = a, *y = b;
	int c = strcmp(x->lower, y->lower);
	if (c)
		return c;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* One address held by several users (refs[0..n), sorted by user):
 * spellings that differ only in case (MAP023), and an alias that is
 * another user's primary address (MAP028). */
static void check_shared(const dg_preview *pv, const addr_ref *r, size_t n, dg_quality_list *out)
{
	const addr_ref *primary = NULL;
	for (size_t k = 0; k < n; k++)
		if (r[k].index == 0 && !primary)
			primary = &r[k];
	for (size_t k = 1; k < n; k++)
		if (r[k].user != r[0].user && strcmp(r[k].addr, r[0].addr))
			add_issue(out, pv, r[k].user, DGF_MAP023,
				  "Write the address in one spelling and keep it on one user only; "
				  "MailStore compares addresses without regard to case, so both "
				  "users' archives would receive the same mail.",
				  "the e-mail address \"%s\" differs only in letter case from \"%s\" "
				  "of user %s", r[k].addr, r[0].addr, pv->users[r[0].user].user_name);
	for (size_t k = 0; primary && k < n; k++)
		if (r[k].index > 0 && r[k].user != primary->user)
			add_issue(out, pv, r[k].user, DGF_MAP028,
				  "Remove the alias from this user's proxyAddresses (or mail "
				  "values); an address belongs to one mailbox.",
				  "the alias \"%s\" is the primary address of user %s",
				  r[k].addr, pv->users[primary->user].user_name);
}

static int has_upper_or_8bit(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p >= 'A' && *p <= 'Z') || *p >= 0x80)
			return 1;
	return 0;
}

static void check_across_users(const dg_preview *pv, dg_quality_list *out)
{
	size_t n = 0;
	addr_ref *refs;
	for (size_t i = 0; i < pv->nusers; i++)
		n += pv->users[i].emails.nr;
	refs = dg_xmalloc((n ? n : 1) * sizeof(*refs));
	n = 0;
	for (size_t i = 0; i < pv->nusers; i++)
		for (size_t j = 0; j < pv->users[i].emails.nr; j++) {
			const char *a = pv->users[i].emails.items[j];
			/* most addresses are lower case already: no copy for them */
			char *low = has_upper_or_8bit(a) ? dg_mapping_lower(a) : (char *)a;
			refs[n++] = (addr_ref){ low, a, i, j };
		}
	qsort(refs, n, sizeof(*refs), cmp_ref);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && !strcmp(refs[j].lower, refs[i].lower))
			j++;
		if (refs[j - 1].user != refs[i].user)
			check_shared(pv, &refs[i], j - i, out);
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		if (refs[i].lower != refs[i].addr)
			free(refs[i].lower);
	free(refs);
}

static int cmp_issue(const void *a, const void *b)
{
	const dg_quality_issue *x = a, *y = b;
	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	int c = strcmp(x->code, y->code);
	return c ? c : strcmp(x->message, y->message);
}

void dg_quality_user(const dg_preview *pv, size_t i, const dg_quality_opts *o,
		     dg_quality_list *out)
{
	const dg_ms_user *u = &pv->users[i];
	check_user_name(pv, i, out);
	check_full_name(pv, i, out);
	for (size_t j = 0; j < u->emails.nr; j++)
		check_address(pv, i, u->emails.items[j], o, out);
}

void dg_quality_run(const dg_preview *pv, const dg_quality_opts *o, dg_quality_list *out)
{
	size_t base = out->nr;
	for (size_t i = 0; i < pv->nusers; i++)
		dg_quality_user(pv, i, o, out);
	dg_quality_across(pv, out, base);
}

void dg_quality_across(const dg_preview *pv, dg_quality_list *out, size_t base)
{
	check_across_users(pv, out);
	/* qsort is not stable: the message decides between equal codes; and
	 * it must not be given the NULL array of an empty list */
	if (out->nr > base)
		qsort(out->items + base, out->nr - base, sizeof(*out->items), cmp_issue);
}
