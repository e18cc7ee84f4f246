/* Data-quality rules over a preview's users ("IdFix for MailStore"): what
 * in the directory data MailStore will refuse, alter or archive wrongly,
 * one issue per entry and problem, each with its fix.  Generic: a fact only
 * a provider knows (the domains a tenant has verified) comes in as data.
 * Rule sources are in docs/findings.md (MAP020-MAP028). */
#ifndef DG_QUALITY_H
#define DG_QUALITY_H

#include "findings.h"
#include "strbuf.h"

#include <stddef.h>

struct dg_preview;

typedef struct dg_quality_issue {
	char code[16];          /* MAP0xx, from codes.def */
	dg_severity severity;
	size_t user;            /* index in the preview's users[] */
	/* entry and user_name point into that user (valid while the preview
	 * lives); fix is static text.  A 100,000-user directory with a bad
	 * domain has 100,000 issues: only the message is the issue's own. */
	const char *entry;      /* DN or provider id: who to fix in the directory */
	const char *user_name;  /* the MailStore user name it concerns */
	char *message;          /* malloc'd */
	const char *fix;
} dg_quality_issue;

typedef struct dg_quality_list {
	dg_quality_issue *items;  /* sorted by user, then code */
	size_t nr, alloc;
} dg_quality_list;

#define DG_QUALITY_LIST_INIT { NULL, 0, 0 }

typedef struct dg_quality_opts {
	/* The tenant's verified domains (lower case); NULL when the directory
	 * has no such notion or they are not known, and then no address is
	 * judged against them. */
	const dg_strlist *verified_domains;
} dg_quality_opts;

/* Longest full name dirgate accepts without a warning, in characters
 * (Active Directory's displayName upper range). */
#define DG_QUALITY_MAX_FULL_NAME 256
/* RFC 5321 4.5.3.1: local part, domain, one domain label (octets). */
#define DG_QUALITY_MAX_LOCAL 64
#define DG_QUALITY_MAX_DOMAIN 253
#define DG_QUALITY_MAX_LABEL 63

/* Runs every rule over pv->users and appends the issues to `out` (sorted by
 * user, then code).  Only reads pv: `cutover` calls it on its own preview. */
void dg_quality_run(const struct dg_preview *pv, const dg_quality_opts *o, dg_quality_list *out);
/* dg_quality_run in two parts, so the first can run as users are mapped:
 * the rules that look at user `user` alone (issues appended in rule
 * order), then, with every user's issues in `out` from `base` on in user
 * order, the rules across users and the sort. */
void dg_quality_user(const struct dg_preview *pv, size_t user, const dg_quality_opts *o,
		     dg_quality_list *out);
void dg_quality_across(const struct dg_preview *pv, dg_quality_list *out, size_t base);
void dg_quality_list_clear(dg_quality_list *l);
size_t dg_quality_count(const dg_quality_list *l, dg_severity sev);
/* The issues of user index `user`: *first is set to the first one (or
 * NULL); returns how many follow in a row. */
size_t dg_quality_for_user(const dg_quality_list *l, size_t user, const dg_quality_issue **first);

/* Single rules, exposed for unit tests.  Each returns NULL when the value
 * is fine, or a static text that says what is wrong. */
const char *dg_quality_email_syntax(const char *addr);
/* Is `domain` one that does not route on the Internet (.local, .lan, ...)? */
int dg_quality_domain_internal(const char *domain);
/* NULL when s is valid UTF-8; else a malloc'd copy with each byte that
 * is not part of a valid sequence replaced by U+FFFD (what .NET, and so
 * MailStore, makes of it; and JSON must be valid UTF-8). */
char *dg_quality_utf8_fixed(const char *s);
/* s with its control characters written as \xNN / \uNNNN, for text a
 * terminal shows (malloc'd). */
char *dg_quality_visible(const char *s);
/* First control character (C0, DEL, C1) in s, or NULL. */
const char *dg_quality_control_char(const char *s);

#endif
