/* LDAP search filters (RFC 4515): a parser that reports the column of the
 * first error, a printer, and an evaluator over dg_entry values that the
 * snapshot connector uses to answer a filter the way a server would. */
#ifndef DG_FILTER_H
#define DG_FILTER_H

#include "entry.h"
#include "findings.h"
#include "strbuf.h"

#include <stddef.h>

typedef enum dg_filter_type {
	DG_F_AND, DG_F_OR, DG_F_NOT,
	DG_F_EQUAL, DG_F_APPROX, DG_F_GE, DG_F_LE,
	DG_F_PRESENT, DG_F_SUBSTRING, DG_F_EXTENSIBLE,
} dg_filter_type;

/* The matching rules Active Directory adds (MS-ADTS 3.1.1.3.4.4). */
#define DG_OID_BIT_AND  "1.2.840.113556.1.4.803"
#define DG_OID_BIT_OR   "1.2.840.113556.1.4.804"
#define DG_OID_IN_CHAIN "1.2.840.113556.1.4.1941"

typedef struct dg_filter dg_filter;
struct dg_filter {
	dg_filter_type type;
	/* AND/OR: children; NOT: one child */
	dg_filter **children;
	size_t nchildren;
	/* items */
	char *attr;          /* NULL only for extensible match without attribute */
	dg_value value;      /* unescaped assertion value (EQUAL/APPROX/GE/LE/EXTENSIBLE) */
	/* SUBSTRING: initial / any[] / final, unescaped; NULL when absent */
	dg_value *initial, *final;
	dg_value *any;
	size_t nany;
	/* EXTENSIBLE */
	char *rule;          /* matching rule OID or name, may be NULL */
	int dn_attrs;        /* ":dn" given */
	int column;          /* 1-based column where this item starts */
};

/* Columns count characters (UTF-8 code points; a byte that is not valid
 * UTF-8 counts as one), so a caret drawn under the text lines up. */
typedef struct dg_filter_error {
	int column;          /* 1-based column of the offending character */
	char message[256];   /* e.g. "expected ')' to close the filter opened at column 1" */
	dg_finding_code code;    /* finding code of this class of error, e.g. DGF_FILTER002 */
	char hint[256];      /* one line on how to fix it */
	size_t offset;       /* byte offset of the offending character */
} dg_filter_error;

/* Nesting deeper than this is refused (FILTER009), so hostile input cannot
 * exhaust the stack of the parser, printer or evaluator. */
#define DG_FILTER_MAX_DEPTH 512

/* Parses a whole filter string.  A filter without outer parentheses, like
 * "uid=alice", is accepted as ldapsearch does.  Returns NULL and fills err
 * on failure. */
dg_filter *dg_filter_parse(const char *text, dg_filter_error *err);
void dg_filter_free(dg_filter *f);

/* Writes the filter back in RFC 4515 form (values escaped). */
void dg_filter_print(const dg_filter *f, dg_strbuf *out);

/* Renders "  (&(uid=a)(mail=*)\n       ^" style diagnostics: the filter text on
 * one line, a caret under err->column on the next (no trailing newline). */
void dg_filter_caret(const char *text, const dg_filter_error *err, dg_strbuf *out);

/* Calls fn for each attribute name used in the filter (for schema checks). */
void dg_filter_walk_attrs(const dg_filter *f, void (*fn)(const char *attr, void *ctx), void *ctx);

/* Evaluation.  Comparison is case-insensitive (caseIgnoreMatch), which is what
 * both AD and the usual OpenLDAP schema use for the attributes MailStore reads.
 * Hooks let a connector answer what only a directory can: */
typedef struct dg_filter_hooks {
	/* AD resolves objectCategory=person to the category DN; return 1 when
	 * `value` of `attr` in `e` matches `assertion` by such a rule, 0 when
	 * not, -1 to fall back to plain comparison.  May be NULL. */
	int (*match_value)(void *ctx, const dg_entry *e, const char *attr,
			   const dg_value *value, const dg_value *assertion);
	/* LDAP_MATCHING_RULE_IN_CHAIN: is `e` linked to `dn` through `attr`
	 * transitively (e.g. memberOf chains)?  1 yes, 0 no.  May be NULL, in
	 * which case IN_CHAIN is evaluated as plain DN equality. */
	int (*in_chain)(void *ctx, const dg_entry *e, const char *attr, const char *dn);
	void *ctx;
} dg_filter_hooks;

/* Returns 1 when e matches, 0 when not.  Undefined (e.g. unknown matching
 * rule) counts as no match, as in RFC 4511 §4.5.1.7, and stays undefined
 * under '!'.  Details: >= and <= compare as integers when both sides are
 * integers, else as case-insensitive text; ~= is case-insensitive
 * equality; a filter attribute without options also matches the entry's
 * attributes with options ("cn" matches "cn;lang-de"); BIT_AND/BIT_OR take
 * decimal assertion values and compare 32-bit values signed or unsigned
 * alike (groupType -2147483646 has bit 2147483648); known rules are
 * caseIgnoreMatch, caseExactMatch, octetStringMatch, distinguishedNameMatch,
 * integerMatch, the IA5 variants and the three AD rules; ":dn" also
 * matches the attribute values in the entry's DN. */
int dg_filter_match(const dg_filter *f, const dg_entry *e, const dg_filter_hooks *hooks);

/* RFC 4515 escaping of a value for splicing into a filter ({member}
 * substitution).  Uses libldap's ldap_bv2escaped_filter_value. */
void dg_filter_escape_value(const char *val, size_t len, dg_strbuf *out);

/* Lints a filter that a profile field holds: on a parse error adds a
 * FILTERxxx finding at `path` whose message names the column and whose hint
 * shows the filter with a caret; also flags suspicious but valid filters
 * (warnings).  Returns the number of errors added.  Every hint has the same
 * shape: one line of advice, then the two lines of dg_filter_caret(). */
int dg_filter_lint(const char *text, const char *path, dg_findings *out);

#endif
