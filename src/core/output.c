/* Rendering for people (text, table, HTML) and scripts (JSON, CSV).
 * JSON shapes are contracts (docs/output.md, schemas/output/). */
#include "output.h"

#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"

static const char *sev_color(dg_severity s)
{
	switch (s) {
	case DG_SEV_ERROR: return "\033[1;31m";
	case DG_SEV_WARNING: return "\033[1;33m";
	default: return "\033[1;36m";
	}
}

size_t dg_output_width(const char *s)
{
	mbstate_t st;
	size_t w = 0, n = strlen(s);
	memset(&st, 0, sizeof(st));
	while (n) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, n, &st);
		int cw;
		if (k == (size_t)-1 || k == (size_t)-2) {
			/* Not decodable in this locale: count UTF-8 lead bytes. */
			memset(&st, 0, sizeof(st));
			if (((unsigned char)*s & 0xC0) != 0x80)
				w++;
			s++, n--;
			continue;
		}
		if (k == 0)
			break;
		cw = wcwidth(wc);
		w += cw < 0 ? 1 : (size_t)cw;
		s += k, n -= k;
	}
	return w;
}

static void finding_line(dg_strbuf *out, const dg_finding *fd, int color)
{
	if (fd->file && fd->line && fd->column)
		dg_strbuf_addf(out, "%s:%d:%d: ", fd->file, fd->line, fd->column);
	else if (fd->file && fd->line)
		dg_strbuf_addf(out, "%s:%d: ", fd->file, fd->line);
	else if (fd->file)
		dg_strbuf_addf(out, "%s: ", fd->file);
	if (color)
		dg_strbuf_addf(out, "%s%s" ANSI_RESET " " ANSI_BOLD "%s" ANSI_RESET,
			       sev_color(fd->severity), dg_severity_name(fd->severity), fd->code);
	else
		dg_strbuf_addf(out, "%s %s", dg_severity_name(fd->severity), fd->code);
	if (fd->path && *fd->path)
		dg_strbuf_addf(out, " %s", fd->path);
	dg_strbuf_addf(out, ": %s\n", fd->message);
	if (fd->hint && *fd->hint) {
		/* Multi-line hints (e.g. a filter with a caret) stay indented. */
		const char *p = fd->hint;
		dg_strbuf_adds(out, "  hint: ");
		for (; *p; p++) {
			dg_strbuf_addch(out, *p);
			if (*p == '\n' && p[1])
				dg_strbuf_adds(out, "        ");
		}
		dg_strbuf_addch(out, '\n');
	}
}

static void plural(dg_strbuf *out, size_t n, const char *one, const char *many)
{
	dg_strbuf_addf(out, "%zu %s", n, n == 1 ? one : many);
}

void dg_output_findings_text(dg_strbuf *out, const dg_findings *f, int color)
{
	for (size_t i = 0; i < f->nr; i++)
		finding_line(out, &f->items[i], color);
	plural(out, dg_findings_count(f, DG_SEV_ERROR), "error", "errors");
	dg_strbuf_adds(out, ", ");
	plural(out, dg_findings_count(f, DG_SEV_WARNING), "warning", "warnings");
	dg_strbuf_adds(out, ", ");
	plural(out, dg_findings_count(f, DG_SEV_INFO), "note", "notes");
	dg_strbuf_addch(out, '\n');
}

/* A JSON string from directory text: JSON must be UTF-8, and a value
 * that is not (a byte an LDIF or server handed over) would make the whole
 * document unreadable; such bytes become U+FFFD. */
static void json_text(dg_strbuf *out, const char *s)
{
	char *fixed = dg_quality_utf8_fixed(s);
	dg_strbuf_add_json_str(out, fixed ? fixed : s);
	free(fixed);
}

static void json_list(dg_strbuf *out, const dg_strlist *l)
{
	dg_strbuf_addch(out, '[');
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			dg_strbuf_addch(out, ',');
		json_text(out, l->items[i]);
	}
	dg_strbuf_addch(out, ']');
}

static void json_key_str(dg_strbuf *out, const char *key, const char *val, int comma)
{
	if (comma)
		dg_strbuf_addch(out, ',');
	dg_strbuf_add_json_str(out, key);
	dg_strbuf_addch(out, ':');
	if (val)
		json_text(out, val);
	else
		dg_strbuf_adds(out, "null");
}

void dg_output_finding_json(dg_strbuf *out, const dg_finding *fd)
{
	dg_strbuf_addch(out, '{');
	json_key_str(out, "code", fd->code, 0);
	json_key_str(out, "severity", dg_severity_name(fd->severity), 1);
	json_key_str(out, "path", fd->path ? fd->path : "", 1);
	json_key_str(out, "message", fd->message, 1);
	json_key_str(out, "hint", fd->hint, 1);
	if (fd->file) {
		json_key_str(out, "file", fd->file, 1);
		if (fd->line)
			dg_strbuf_addf(out, ",\"line\":%d", fd->line);
		if (fd->line && fd->column)
			dg_strbuf_addf(out, ",\"column\":%d", fd->column);
	}
	dg_strbuf_addch(out, '}');
}

void dg_output_findings_json_array(dg_strbuf *out, const dg_findings *f)
{
	dg_strbuf_addch(out, '[');
	for (size_t i = 0; i < f->nr; i++) {
		if (i)
			dg_strbuf_addch(out, ',');
		dg_output_finding_json(out, &f->items[i]);
	}
	dg_strbuf_addch(out, ']');
}

void dg_output_check_json(dg_strbuf *out, const char *profile_name, const dg_findings *f)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD);
	json_key_str(out, "profile", profile_name, 0);
	dg_strbuf_adds(out, ",\"findings\":");
	dg_output_findings_json_array(out, f);
	dg_strbuf_addf(out, ",\"summary\":{\"errors\":%zu,\"warnings\":%zu,\"info\":%zu}}\n",
		       dg_findings_count(f, DG_SEV_ERROR), dg_findings_count(f, DG_SEV_WARNING),
		       dg_findings_count(f, DG_SEV_INFO));
}

/* ---- preview: JSON ---- */

static void json_user(dg_strbuf *out, const dg_ms_user *u)
{
	dg_strbuf_addch(out, '{');
	json_key_str(out, "userName", u->user_name, 0);
	json_key_str(out, "fullName", u->full_name, 1);
	dg_strbuf_adds(out, ",\"emailAddresses\":");
	json_list(out, &u->emails);
	json_key_str(out, "distinguishedName", u->dn, 1);
	dg_strbuf_adds(out, ",\"groups\":");
	json_list(out, &u->groups);
	dg_strbuf_adds(out, ",\"groupPaths\":");
	json_list(out, &u->group_paths);
	dg_strbuf_addch(out, '}');
}

/* "quality": {"errors": N, "warnings": N, "issues": [...]} */
static void json_quality(dg_strbuf *out, const dg_quality_list *q)
{
	dg_strbuf_addf(out, "{\"errors\":%zu,\"warnings\":%zu,\"issues\":[",
		       dg_quality_count(q, DG_SEV_ERROR), dg_quality_count(q, DG_SEV_WARNING));
	for (size_t i = 0; i < q->nr; i++) {
		const dg_quality_issue *x = &q->items[i];
		dg_strbuf_adds(out, i ? ",{" : "{");
		json_key_str(out, "code", x->code, 0);
		json_key_str(out, "severity", dg_severity_name(x->severity), 1);
		json_key_str(out, "entry", x->entry, 1);
		json_key_str(out, "userName", x->user_name, 1);
		json_key_str(out, "message", x->message, 1);
		json_key_str(out, "fix", x->fix, 1);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_adds(out, "]}");
}

void dg_output_preview_json(dg_strbuf *out, const dg_preview *p)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD);
	json_key_str(out, "profile", p->profile_name, 0);
	dg_strbuf_adds(out, ",\"source\":{");
	json_key_str(out, "type", p->source_type, 0);
	json_key_str(out, "directoryType", p->directory_type, 1);
	json_key_str(out, "detail", p->source_detail, 1);
	dg_strbuf_addf(out, ",\"entriesRead\":%zu}", p->entries_read);
	dg_strbuf_addf(out, ",\"complete\":%s",
		       dg_findings_incomplete(&p->findings) ? "false" : "true");
	dg_strbuf_addf(out, ",\"summary\":{\"users\":%zu,\"skipped\":%zu,\"conflicts\":%zu}",
		       p->nusers, p->nskipped, p->nconflicts);
	dg_strbuf_adds(out, ",\"users\":[");
	for (size_t i = 0; i < p->nusers; i++) {
		if (i)
			dg_strbuf_addch(out, ',');
		json_user(out, &p->users[i]);
	}
	dg_strbuf_adds(out, "],\"skipped\":[");
	for (size_t i = 0; i < p->nskipped; i++) {
		dg_strbuf_adds(out, i ? ",{" : "{");
		json_key_str(out, "entry", p->skipped[i].entry, 0);
		json_key_str(out, "reason", p->skipped[i].reason, 1);
		json_key_str(out, "detail", p->skipped[i].detail, 1);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_adds(out, "],\"conflicts\":[");
	for (size_t i = 0; i < p->nconflicts; i++) {
		dg_strbuf_adds(out, i ? ",{" : "{");
		json_key_str(out, "userName", p->conflicts[i].user_name, 0);
		dg_strbuf_adds(out, ",\"entries\":");
		json_list(out, &p->conflicts[i].entries);
		json_key_str(out, "reason", p->conflicts[i].reason, 1);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_adds(out, "],\"quality\":");
	json_quality(out, &p->quality);
	dg_strbuf_adds(out, ",\"findings\":");
	dg_output_findings_json_array(out, &p->findings);
	dg_strbuf_adds(out, "}\n");
}

/* ---- preview: CSV (RFC 4180: CRLF, quotes doubled) ---- */

/* Would a spreadsheet read this cell as a formula (OWASP CSV injection)? */
static int csv_formula_lead(const char *s)
{
	return *s && strchr("=+-@\t\r", *s) != NULL;
}

static void csv_field(dg_strbuf *out, const char *s, int comma)
{
	int formula;
	if (comma)
		dg_strbuf_addch(out, ',');
	if (!s)
		return;
	formula = csv_formula_lead(s);
	if (!formula && !strpbrk(s, ",\"\r\n") && s[0] != ' ' &&
	    (!*s || s[strlen(s) - 1] != ' ')) {
		dg_strbuf_adds(out, s);
		return;
	}
	dg_strbuf_addch(out, '"');
	if (formula)
		dg_strbuf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '"')
			dg_strbuf_addch(out, '"');
		dg_strbuf_addch(out, *s);
	}
	dg_strbuf_addch(out, '"');
}

static char *join(const dg_strlist *l, const char *sep)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			dg_strbuf_adds(&sb, sep);
		dg_strbuf_adds(&sb, l->items[i]);
	}
	return dg_strbuf_detach(&sb);
}

/* A user's data-quality issues in one cell: "warning MAP021: ...; fix: ..." | ... */
static char *user_quality(const dg_quality_list *q, size_t user)
{
	const dg_quality_issue *x;
	size_t n = dg_quality_for_user(q, user, &x);
	dg_strbuf sb = DG_STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		dg_strbuf_addf(&sb, "%s%s %s: %s; fix: %s", i ? " | " : "",
			       dg_severity_name(x[i].severity), x[i].code, x[i].message, x[i].fix);
	return dg_strbuf_detach(&sb);
}

void dg_output_preview_csv(dg_strbuf *out, const dg_preview *p, unsigned flags)
{
	if (flags & DG_CSV_BOM)
		dg_strbuf_adds(out, "\xEF\xBB\xBF");
	dg_strbuf_adds(out, "userName,fullName,emailAddresses,distinguishedName,groups,quality\r\n");
	for (size_t i = 0; i < p->nusers; i++) {
		const dg_ms_user *u = &p->users[i];
		char *mails = join(&u->emails, ";"), *groups = join(&u->groups, ";");
		char *quality = user_quality(&p->quality, i);
		csv_field(out, u->user_name, 0);
		csv_field(out, u->full_name, 1);
		csv_field(out, mails, 1);
		csv_field(out, u->dn, 1);
		csv_field(out, groups, 1);
		csv_field(out, quality, 1);
		dg_strbuf_adds(out, "\r\n");
		free(mails);
		free(groups);
		free(quality);
	}
}

void dg_output_findings_csv(dg_strbuf *out, const dg_findings *f, unsigned flags)
{
	if (flags & DG_CSV_BOM)
		dg_strbuf_adds(out, "\xEF\xBB\xBF");
	dg_strbuf_adds(out, "code,severity,path,message,hint,file,line\r\n");
	for (size_t i = 0; i < f->nr; i++) {
		const dg_finding *fd = &f->items[i];
		char line[24] = "";
		if (fd->line)
			snprintf(line, sizeof(line), "%d", fd->line);
		csv_field(out, fd->code, 0);
		csv_field(out, dg_severity_name(fd->severity), 1);
		csv_field(out, fd->path, 1);
		csv_field(out, fd->message, 1);
		csv_field(out, fd->hint, 1);
		csv_field(out, fd->file, 1);
		csv_field(out, line, 1);
		dg_strbuf_adds(out, "\r\n");
	}
}

/* ---- preview: table ---- */

/* Appends s cut to `width` columns ("…" marks a cut) and padded. */
static void cell_text(dg_strbuf *out, const char *s, size_t width, int last);

/* A directory value with a control character (the data-quality findings
 * name them) is shown escaped: an ESC must not reach the terminal. */
static void cell(dg_strbuf *out, const char *s, size_t width, int last)
{
	char *shown = dg_quality_control_char(s) ? dg_quality_visible(s) : NULL;
	cell_text(out, shown ? shown : s, width, last);
	free(shown);
}

static void cell_text(dg_strbuf *out, const char *s, size_t width, int last)
{
	size_t w = dg_output_width(s);
	if (w <= width) {
		dg_strbuf_adds(out, s);
		if (!last)
			dg_strbuf_addrepeat(out, ' ', width - w + 2);
		return;
	}
	/* Copy whole UTF-8 characters up to width-1 columns, then the ellipsis. */
	size_t used = 0;
	const char *p = s;
	while (*p) {
		const char *q = dg_utf8_next(p);
		char tmp[8] = { 0 };
		memcpy(tmp, p, (size_t)(q - p) < sizeof(tmp) ? (size_t)(q - p) : sizeof(tmp) - 1);
		size_t cw = dg_output_width(tmp);
		if (used + cw > width - 1)
			break;
		dg_strbuf_add(out, p, (size_t)(q - p));
		used += cw;
		p = q;
	}
	dg_strbuf_adds(out, "…");
	used++;
	if (!last)
		dg_strbuf_addrepeat(out, ' ', width - used + 2);
}

typedef struct column {
	const char *title;
	size_t max;   /* widest a column may get before values are cut */
	size_t width; /* computed */
} column;

static void fit(column *c, const char *s)
{
	char *shown = dg_quality_control_char(s) ? dg_quality_visible(s) : NULL;
	size_t w = dg_output_width(shown ? shown : s);
	free(shown);
	if (w > c->width)
		c->width = w > c->max ? c->max : w;
}

static void heading(dg_strbuf *out, const char *title, size_t n, int color)
{
	if (color)
		dg_strbuf_addf(out, ANSI_BOLD "%s (%zu)" ANSI_RESET "\n", title, n);
	else
		dg_strbuf_addf(out, "%s (%zu)\n", title, n);
}

static void user_rows(dg_strbuf *out, const dg_preview *p, int color)
{
	column c[4] = { { "USER NAME", 28, 0 }, { "FULL NAME", 28, 0 },
			{ "E-MAIL ADDRESSES", 48, 0 }, { "GROUPS", 30, 0 } };
	char **mails = dg_xcalloc(p->nusers, sizeof(char *));
	char **groups = dg_xcalloc(p->nusers, sizeof(char *));
	for (int k = 0; k < 4; k++)
		fit(&c[k], c[k].title);
	for (size_t i = 0; i < p->nusers; i++) {
		mails[i] = join(&p->users[i].emails, ", ");
		groups[i] = join(&p->users[i].groups, ", ");
		fit(&c[0], p->users[i].user_name);
		fit(&c[1], p->users[i].full_name);
		fit(&c[2], mails[i]);
		fit(&c[3], groups[i]);
	}
	heading(out, "Users", p->nusers, color);
	for (int k = 0; k < 4; k++)
		cell(out, c[k].title, c[k].width, k == 3);
	dg_strbuf_addch(out, '\n');
	for (size_t i = 0; i < p->nusers; i++) {
		cell(out, p->users[i].user_name, c[0].width, 0);
		cell(out, p->users[i].full_name, c[1].width, 0);
		cell(out, mails[i], c[2].width, 0);
		cell(out, groups[i], c[3].width, 1);
		dg_strbuf_addch(out, '\n');
		free(mails[i]);
		free(groups[i]);
	}
	free(mails);
	free(groups);
}

static void skipped_rows(dg_strbuf *out, const dg_preview *p, int color)
{
	column c[3] = { { "ENTRY", 60, 0 }, { "REASON", 16, 0 }, { "DETAIL", 60, 0 } };
	if (!p->nskipped)
		return;
	for (int k = 0; k < 3; k++)
		fit(&c[k], c[k].title);
	for (size_t i = 0; i < p->nskipped; i++) {
		fit(&c[0], p->skipped[i].entry);
		fit(&c[1], p->skipped[i].reason);
		fit(&c[2], p->skipped[i].detail ? p->skipped[i].detail : "");
	}
	dg_strbuf_addch(out, '\n');
	heading(out, "Skipped", p->nskipped, color);
	for (int k = 0; k < 3; k++)
		cell(out, c[k].title, c[k].width, k == 2);
	dg_strbuf_addch(out, '\n');
	for (size_t i = 0; i < p->nskipped; i++) {
		cell(out, p->skipped[i].entry, c[0].width, 0);
		cell(out, p->skipped[i].reason, c[1].width, 0);
		cell(out, p->skipped[i].detail ? p->skipped[i].detail : "", c[2].width, 1);
		dg_strbuf_addch(out, '\n');
	}
}

static void conflict_rows(dg_strbuf *out, const dg_preview *p, int color)
{
	if (!p->nconflicts)
		return;
	dg_strbuf_addch(out, '\n');
	heading(out, "Conflicts", p->nconflicts, color);
	for (size_t i = 0; i < p->nconflicts; i++) {
		const dg_conflict *c = &p->conflicts[i];
		dg_strbuf_addf(out, "%s  %s\n", c->reason, c->user_name);
		for (size_t j = 0; j < c->entries.nr; j++)
			dg_strbuf_addf(out, "    %s\n", c->entries.items[j]);
	}
}

/* One data-quality issue as a line and its fix, for the table and HTML. */
static void quality_line(dg_strbuf *out, const dg_quality_issue *x, int color)
{
	/* entry and user name as the directory has them: control characters
	 * are shown escaped, not sent to the terminal */
	if (color)
		dg_strbuf_addf(out, "%s%s" ANSI_RESET " " ANSI_BOLD "%s" ANSI_RESET,
			       sev_color(x->severity), dg_severity_name(x->severity), x->code);
	else
		dg_strbuf_addf(out, "%s %s", dg_severity_name(x->severity), x->code);
	char *entry = dg_quality_visible(x->entry), *name = dg_quality_visible(x->user_name);
	dg_strbuf_addf(out, " %s (%s): %s\n  fix: %s\n", entry, name, x->message, x->fix);
	free(entry);
	free(name);
}

/* "Data quality (2 errors, 5 warnings)" */
static void quality_title(dg_strbuf *out, const dg_quality_list *q)
{
	size_t e = dg_quality_count(q, DG_SEV_ERROR), w = dg_quality_count(q, DG_SEV_WARNING);
	dg_strbuf_adds(out, "Data quality (");
	plural(out, e, "error", "errors");
	dg_strbuf_adds(out, ", ");
	plural(out, w, "warning", "warnings");
	dg_strbuf_addch(out, ')');
}

static void quality_rows(dg_strbuf *out, const dg_quality_list *q, int color)
{
	if (!q->nr)
		return;
	dg_strbuf_adds(out, color ? "\n" ANSI_BOLD : "\n");
	quality_title(out, q);
	dg_strbuf_adds(out, color ? ANSI_RESET "\n" : "\n");
	for (size_t i = 0; i < q->nr; i++)
		quality_line(out, &q->items[i], color);
}

/* "3 entries read: 1 user, 2 skipped, 1 conflict" (table and HTML; no
 * character that needs escaping in HTML) */
static void preview_counts(dg_strbuf *out, const dg_preview *p)
{
	plural(out, p->entries_read, "entry", "entries");
	dg_strbuf_adds(out, " read: ");
	plural(out, p->nusers, "user", "users");
	dg_strbuf_addf(out, ", %zu skipped, ", p->nskipped);
	plural(out, p->nconflicts, "conflict", "conflicts");
}

/* What opens an incomplete preview in the table and HTML forms. */
static const char incomplete_text[] =
	"INCOMPLETE RESULT: the directory was not read in full, so users are missing "
	"from this list. ";

static void incomplete_banner(dg_strbuf *out, const dg_finding *why)
{
	dg_strbuf_addf(out, "%s%s: %s", incomplete_text, why->code, why->message);
}

void dg_output_preview_table(dg_strbuf *out, const dg_preview *p, int color)
{
	const dg_finding *cut = dg_findings_incomplete(&p->findings);
	if (cut) {
		dg_strbuf_adds(out, color ? "\033[1;31m" : "");
		incomplete_banner(out, cut);
		dg_strbuf_adds(out, color ? ANSI_RESET "\n\n" : "\n\n");
	}
	user_rows(out, p, color);
	skipped_rows(out, p, color);
	conflict_rows(out, p, color);
	quality_rows(out, &p->quality, color);
	if (p->findings.nr) {
		dg_strbuf_addch(out, '\n');
		heading(out, "Findings", p->findings.nr, color);
		for (size_t i = 0; i < p->findings.nr; i++)
			finding_line(out, &p->findings.items[i], color);
	}
	dg_strbuf_addch(out, '\n');
	preview_counts(out, p);
	dg_strbuf_addch(out, '\n');
}

/* ---- preview: HTML (one self-contained page for a change ticket) ---- */

/* The page says charset=utf-8: a byte that is not UTF-8 (from an LDIF or a
 * server) becomes U+FFFD, as in JSON, so the page stays valid. */
static void html_text(dg_strbuf *out, const char *text)
{
	char *fixed = dg_quality_utf8_fixed(text);
	const char *s = fixed ? fixed : text;
	for (; s && *s; s++) {
		switch (*s) {
		case '<': dg_strbuf_adds(out, "&lt;"); break;
		case '>': dg_strbuf_adds(out, "&gt;"); break;
		case '&': dg_strbuf_adds(out, "&amp;"); break;
		case '"': dg_strbuf_adds(out, "&quot;"); break;
		case '\'': dg_strbuf_adds(out, "&#39;"); break;
		default: dg_strbuf_addch(out, *s);
		}
	}
	free(fixed);
}

static void html_row(dg_strbuf *out, const char *const *cells, int n, const char *tag)
{
	dg_strbuf_adds(out, "<tr>");
	for (int i = 0; i < n; i++) {
		dg_strbuf_addf(out, "<%s>", tag);
		html_text(out, cells[i]);
		dg_strbuf_addf(out, "</%s>", tag);
	}
	dg_strbuf_adds(out, "</tr>\n");
}

static void html_incomplete_banner(dg_strbuf *out, const dg_findings *f)
{
	const dg_finding *cut = dg_findings_incomplete(f);
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!cut)
		return;
	incomplete_banner(&sb, cut);
	dg_strbuf_adds(out, "<p role=\"alert\" style=\"border:3px solid #c00;background:#fee;"
			    "color:#900;font-weight:bold;padding:8px\">");
	html_text(out, sb.buf);
	dg_strbuf_adds(out, "</p>\n");
	dg_strbuf_release(&sb);
}

/* The findings, as the table form lists them (a page for a change ticket
 * must carry them too). */
static void html_findings(dg_strbuf *out, const dg_findings *f)
{
	if (!f->nr)
		return;
	dg_strbuf_adds(out, "<h2>Findings</h2><ul>\n");
	for (size_t i = 0; i < f->nr; i++) {
		dg_strbuf sb = DG_STRBUF_INIT;
		finding_line(&sb, &f->items[i], 0);
		dg_strbuf_adds(out, "<li><pre>");
		html_text(out, sb.buf);
		dg_strbuf_adds(out, "</pre></li>\n");
		dg_strbuf_release(&sb);
	}
	dg_strbuf_adds(out, "</ul>\n");
}

/* One style sheet and one script for every page (preview, plan, cutover).
 * Print: no filter box, no colour backgrounds lost, rows not split.  The
 * script only adds to a page that reads fine without it: a filter box and
 * sorting by a click on a column heading for tables of class "dg-sortable";
 * it marks <html data-dg-script="ready"> when it ran (the tests check it). */
static const char html_style[] =
	"body{font-family:sans-serif;margin:1em 2em;color:#111}"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}"
	"dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 12px}"
	"dl.facts dt{font-weight:bold}dl.facts dd{margin:0}"
	".bars{margin:.5em 0}.bar{display:flex;align-items:center;gap:8px;margin:2px 0}"
	".bar .label{width:12em}.bar .fill{background:#4a7ab8;height:1em;"
	"-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"tr.conflict td{background:#fff3cd}.badge{font-size:85%;padding:0 4px;"
	"border:1px solid #c90;background:#fff3cd;display:inline-block}"
	"th.sortable{cursor:pointer}th[aria-sort=ascending]::after{content:' \\25B2'}"
	"th[aria-sort=descending]::after{content:' \\25BC'}"
	".dg-filter{margin:.3em 0;padding:2px 4px;width:20em}"
	"pre{white-space:pre-wrap;margin:0}"
	"@media print{body{margin:0;font-size:10pt}.dg-filter{display:none}"
	"tr{break-inside:avoid}h2{break-after:avoid}a{color:inherit}}";

static const char html_script[] =
	"document.addEventListener('DOMContentLoaded',function(){"
	"document.querySelectorAll('table.dg-sortable').forEach(function(t){"
	"var body=t.tBodies[0];if(!body)return;"
	"var f=document.createElement('input');f.type='search';f.className='dg-filter';"
	"f.placeholder='Filter rows';f.setAttribute('aria-label','Filter the table');"
	"f.addEventListener('input',function(){var q=f.value.toLowerCase();"
	"Array.prototype.forEach.call(body.rows,function(r){"
	"r.hidden=q&&r.textContent.toLowerCase().indexOf(q)<0;});});"
	"t.parentNode.insertBefore(f,t);"
	"Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
	"th.classList.add('sortable');th.tabIndex=0;"
	"var go=function(){var up=th.getAttribute('aria-sort')!=='ascending';"
	"Array.prototype.forEach.call(t.tHead.rows[0].cells,function(o){"
	"o.removeAttribute('aria-sort');});"
	"th.setAttribute('aria-sort',up?'ascending':'descending');"
	"var rows=Array.prototype.slice.call(body.rows);"
	"rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;"
	"var c=x.localeCompare(y,undefined,{numeric:true,sensitivity:'base'});"
	"return up?c:-c;});rows.forEach(function(r){body.appendChild(r);});};"
	"th.addEventListener('click',go);"
	"th.addEventListener('keydown',function(e){if(e.key==='Enter')go();});});});"
	"document.documentElement.setAttribute('data-dg-script','ready');});";

void dg_output_html_begin(dg_strbuf *out, const char *what, const char *heading,
			  const char *name)
{
	dg_strbuf_addf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width\">"
		       "<title>dirgate %s: ", what);
	html_text(out, name);
	dg_strbuf_addf(out, "</title><style>%s</style><script>%s</script></head><body>\n<h1>",
		       html_style, html_script);
	html_text(out, heading);
	dg_strbuf_addch(out, ' ');
	html_text(out, name);
	dg_strbuf_adds(out, "</h1>\n");
}

void dg_output_timestamp(char buf[32])
{
	/* SOURCE_DATE_EPOCH (reproducible builds' convention) pins the date,
	 * so a report can be compared byte for byte */
	const char *pinned = getenv("SOURCE_DATE_EPOCH");
	time_t now = pinned && *pinned ? (time_t)strtoll(pinned, NULL, 10) : time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void dg_output_html_facts(dg_strbuf *out, const char *const *labels,
			  const char *const *values, size_t n)
{
	dg_strbuf_adds(out, "<dl class=\"facts\">\n");
	for (size_t i = 0; i < n; i++) {
		dg_strbuf_adds(out, "<dt>");
		html_text(out, labels[i]);
		dg_strbuf_adds(out, "</dt><dd>");
		html_text(out, values[i] ? values[i] : "");
		dg_strbuf_adds(out, "</dd>\n");
	}
	dg_strbuf_adds(out, "</dl>\n");
}

void dg_output_html_bars(dg_strbuf *out, const char *id, const char *const *labels,
			 const size_t *counts, size_t n)
{
	size_t max = 1;
	for (size_t i = 0; i < n; i++)
		max = counts[i] > max ? counts[i] : max;
	dg_strbuf_adds(out, "<div class=\"bars\" id=\"");
	html_text(out, id);
	dg_strbuf_adds(out, "\">\n");
	for (size_t i = 0; i < n; i++) {
		/* the count is text beside the bar: the chart reads without colour */
		dg_strbuf_adds(out, "<div class=\"bar\"><span class=\"label\">");
		html_text(out, labels[i]);
		dg_strbuf_addf(out, "</span><span class=\"fill\" style=\"width:%zupx\"></span>"
			       "<span class=\"count\">%zu</span></div>\n",
			       1 + counts[i] * 300 / max, counts[i]);
	}
	dg_strbuf_adds(out, "</div>\n");
}

void dg_output_html_text(dg_strbuf *out, const char *s)
{
	html_text(out, s);
}

void dg_output_html_row(dg_strbuf *out, const char *const *cells, int n, const char *tag)
{
	html_row(out, cells, n, tag);
}

void dg_output_html_incomplete(dg_strbuf *out, const dg_findings *f)
{
	html_incomplete_banner(out, f);
}

void dg_output_html_findings(dg_strbuf *out, const dg_findings *f)
{
	html_findings(out, f);
}

/* A list, as the findings are: the page's tables are users and skipped. */
static void html_quality(dg_strbuf *out, const dg_quality_list *q)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	if (!q->nr)
		return;
	quality_title(&sb, q);
	dg_strbuf_adds(out, "<h2>");
	html_text(out, sb.buf);
	dg_strbuf_adds(out, "</h2><ul>\n");
	for (size_t i = 0; i < q->nr; i++) {
		dg_strbuf_reset(&sb);
		quality_line(&sb, &q->items[i], 0);
		dg_strbuf_adds(out, "<li><pre>");
		html_text(out, sb.buf);
		dg_strbuf_adds(out, "</pre></li>\n");
	}
	dg_strbuf_adds(out, "</ul>\n");
	dg_strbuf_release(&sb);
}

/* The reasons are a handful of fixed words: a linear search is enough. */
size_t dg_output_skip_reasons(const dg_preview *p, const char **labels, size_t *counts)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nskipped; i++) {
		size_t k = 0;
		while (k < n && strcmp(labels[k], p->skipped[i].reason))
			k++;
		if (k == n) {
			labels[n] = p->skipped[i].reason;
			counts[n++] = 0;
		}
		counts[k]++;
	}
	return n;
}

static void html_preview_facts(dg_strbuf *out, const dg_preview *p)
{
	static const char *const labels[] = { "Date", "dirgate version", "Profile", "Source" };
	char date[32];
	dg_strbuf src = DG_STRBUF_INIT;
	dg_output_timestamp(date);
	dg_strbuf_addf(&src, "%s %s", p->source_type && !strcmp(p->source_type, "snapshot")
					      ? "snapshot" : "live directory",
		       p->source_detail ? p->source_detail : "");
	const char *values[] = { date, DG_VERSION, p->profile_name, src.buf };
	dg_output_html_facts(out, labels, values, 4);
	dg_strbuf_release(&src);
}

static void html_skip_chart(dg_strbuf *out, const dg_preview *p)
{
	const char **labels;
	size_t *counts, n;
	if (!p->nskipped)
		return;
	labels = dg_xcalloc(p->nskipped, sizeof(*labels));
	counts = dg_xcalloc(p->nskipped, sizeof(*counts));
	n = dg_output_skip_reasons(p, labels, counts);
	dg_strbuf_adds(out, "<h2>Skipped entries by reason</h2>\n");
	dg_output_html_bars(out, "skipped-chart", labels, counts, n);
	free(labels);
	free(counts);
}

/* The conflicts a user is in: its name, or one of its addresses for a
 * duplicate address.  Conflicts are few; users x conflicts stays small. */
static void user_conflicts(const dg_preview *p, const dg_ms_user *u, dg_strbuf *out)
{
	for (size_t c = 0; c < p->nconflicts; c++) {
		const dg_conflict *k = &p->conflicts[c];
		int hit = !strcasecmp(k->user_name, u->user_name);
		for (size_t j = 0; !hit && j < u->emails.nr; j++)
			hit = !strcasecmp(k->user_name, u->emails.items[j]);
		if (!hit)
			continue;
		dg_strbuf_adds(out, "<span class=\"badge\">conflict: ");
		html_text(out, k->reason);
		dg_strbuf_adds(out, "</span> ");
	}
}

static void html_preview_users(dg_strbuf *out, const dg_preview *p)
{
	static const char *const uh[] = { "User name", "Full name", "E-mail addresses",
					  "Distinguished name", "Groups", "Notes" };
	dg_strbuf notes = DG_STRBUF_INIT;
	dg_strbuf_adds(out, "<h2>Users</h2><table id=\"users\" class=\"dg-sortable\"><thead>\n");
	html_row(out, uh, 6, "th");
	dg_strbuf_adds(out, "</thead><tbody>\n");
	for (size_t i = 0; i < p->nusers; i++) {
		const dg_ms_user *u = &p->users[i];
		char *m = join(&u->emails, ", "), *g = join(&u->groups, ", ");
		const char *cells[] = { u->user_name, u->full_name, m, u->dn ? u->dn : "", g };
		dg_strbuf_reset(&notes);
		user_conflicts(p, u, &notes);
		dg_strbuf_adds(out, notes.len ? "<tr class=\"conflict\">" : "<tr>");
		for (int k = 0; k < 5; k++) {
			dg_strbuf_adds(out, "<td>");
			html_text(out, cells[k]);
			dg_strbuf_adds(out, "</td>");
		}
		dg_strbuf_addf(out, "<td>%s</td></tr>\n", notes.len ? notes.buf : "");
		free(m);
		free(g);
	}
	dg_strbuf_adds(out, "</tbody></table>\n");
	dg_strbuf_release(&notes);
}

void dg_output_preview_html(dg_strbuf *out, const dg_preview *p)
{
	static const char *const sh[] = { "Entry", "Reason", "Detail" };
	dg_output_html_begin(out, "preview", "Preview of", p->profile_name);
	html_incomplete_banner(out, &p->findings);
	html_preview_facts(out, p);
	dg_strbuf_adds(out, "<p id=\"summary\">");
	preview_counts(out, p);
	dg_strbuf_adds(out, ".</p>\n");
	html_skip_chart(out, p);
	html_findings(out, &p->findings);
	html_quality(out, &p->quality);
	html_preview_users(out, p);
	dg_strbuf_adds(out, "<h2>Skipped</h2><table id=\"skipped\" class=\"dg-sortable\"><thead>\n");
	html_row(out, sh, 3, "th");
	dg_strbuf_adds(out, "</thead><tbody>\n");
	for (size_t i = 0; i < p->nskipped; i++) {
		const char *cells[] = { p->skipped[i].entry, p->skipped[i].reason,
					p->skipped[i].detail ? p->skipped[i].detail : "" };
		html_row(out, cells, 3, "td");
	}
	dg_strbuf_adds(out, "</tbody></table>\n<h2>Conflicts</h2><ul id=\"conflicts\">\n");
	for (size_t i = 0; i < p->nconflicts; i++) {
		char *e = join(&p->conflicts[i].entries, "; ");
		dg_strbuf_adds(out, "<li>");
		html_text(out, p->conflicts[i].reason);
		dg_strbuf_adds(out, ": ");
		html_text(out, p->conflicts[i].user_name);
		dg_strbuf_adds(out, " — ");
		html_text(out, e);
		dg_strbuf_adds(out, "</li>\n");
		free(e);
	}
	dg_strbuf_adds(out, "</ul>\n</body></html>\n");
}

/* ---- preview --why NAME ---- */

static void why_user(dg_strbuf *out, const dg_preview *p, size_t i)
{
	const dg_ms_user *u = &p->users[i];
	const dg_quality_issue *q;
	size_t nq = dg_quality_for_user(&p->quality, i, &q);
	char *mails = join(&u->emails, ", ");
	dg_strbuf_addf(out, "%s is listed: MailStore user \"%s\" from %s\n", u->user_name,
		       u->user_name, u->entry);
	if (u->group_paths.nr) {
		for (size_t k = 0; k < u->group_paths.nr; k++)
			dg_strbuf_addf(out, "  qualified through: %s\n", u->group_paths.items[k]);
	} else if (u->groups.nr) {
		for (size_t k = 0; k < u->groups.nr; k++)
			dg_strbuf_addf(out, "  qualified through: %s\n", u->groups.items[k]);
	} else {
		dg_strbuf_adds(out, "  qualified through: no group selection (every user the "
				    "filter finds)\n");
	}
	dg_strbuf_addf(out, "  full name: %s\n  e-mail addresses: %s\n", u->full_name,
		       *mails ? mails : "(none)");
	for (size_t k = 0; k < nq; k++)
		dg_strbuf_addf(out, "  %s %s: %s\n    fix: %s\n", dg_severity_name(q[k].severity),
			       q[k].code, q[k].message, q[k].fix);
	free(mails);
}

int dg_output_preview_why(dg_strbuf *out, const dg_preview *p, const char *name)
{
	int found = 0;
	char *low = dg_mapping_lower(name);
	for (size_t i = 0; i < p->nusers; i++)
		if (!strcmp(p->users[i].user_name, low) || !strcasecmp(p->users[i].entry, name)) {
			why_user(out, p, i);
			found = 1;
		}
	for (size_t i = 0; i < p->nskipped; i++)
		if (!strcasecmp(p->skipped[i].entry, name)) {
			dg_strbuf_addf(out, "%s is skipped (%s): %s\n", p->skipped[i].entry,
				       p->skipped[i].reason,
				       p->skipped[i].detail ? p->skipped[i].detail : "");
			found = 1;
		}
	for (size_t i = 0; i < p->nconflicts; i++) {
		const dg_conflict *c = &p->conflicts[i];
		int named = !strcmp(c->user_name, low);
		for (size_t k = 0; k < c->entries.nr; k++)
			named |= !strcasecmp(c->entries.items[k], name);
		if (!named)
			continue;
		dg_strbuf_addf(out, "conflict %s on %s:\n", c->reason, c->user_name);
		for (size_t k = 0; k < c->entries.nr; k++)
			dg_strbuf_addf(out, "    %s%s\n", c->entries.items[k],
				       k == 0 && strcmp(c->reason, "duplicate-email")
					       ? "  (keeps the user name)" : "");
		found = 1;
	}
	free(low);
	return found;
}
