/* Help text built at run time from the registry (core/provider.h), so that
 * a command's help can say what each provider does without naming one. */
#include "cli.h"

#include "../core/provider.h"

#include <string.h>

/* Columns taken by the n bytes at s: UTF-8 continuation bytes take none. */
static size_t columns(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

void dg_cli_add_filled(dg_strbuf *sb, const char *text, size_t indent)
{
	const char *nl = memrchr(sb->buf, '\n', sb->len);
	const char *line = nl ? nl + 1 : sb->buf;
	size_t col = columns(line, sb->len - (size_t)(line - sb->buf));
	int first = 1;

	for (const char *p = text; *p;) {
		size_t spaces = strspn(p, " ");
		const char *w = p + spaces, *q = w + (*w == '('), *quote_end = NULL;
		size_t len, wc;

		if (*q == '\'')
			quote_end = strchr(q + 1, '\'');

		/* a quoted command line ('dirgate check FILE') stays on one line */
		len = quote_end ? (size_t)(quote_end - w) + strcspn(quote_end, " ")
				: strcspn(w, " ");
		wc = columns(w, len);

		if (!len)
			break;
		if (!first && col + spaces + wc > DG_CLI_HELP_WIDTH) {
			dg_strbuf_addch(sb, '\n');
			dg_strbuf_addrepeat(sb, ' ', indent);
			col = indent;
		} else if (!first) {
			dg_strbuf_addrepeat(sb, ' ', spaces);
			col += spaces;
		}
		dg_strbuf_add(sb, w, len);
		col += wc;
		first = 0;
		p = w + len;
	}
	dg_strbuf_addch(sb, '\n');
}

void dg_cli_add_choice(dg_strbuf *sb, const dg_strlist *l, const char *last)
{
	for (size_t i = 0; i < l->nr; i++) {
		if (i)
			dg_strbuf_addf(sb, i + 1 < l->nr ? ", " : " %s ", last);
		dg_strbuf_adds(sb, l->items[i]);
	}
}

void dg_cli_add_dir_types(dg_strbuf *sb, const dg_provider *pv, const char *last)
{
	dg_strlist types = DG_STRLIST_INIT;

	for (const dg_provider_dir *d = pv->dirs; d->type; d++)
		dg_strlist_push(&types, d->type);
	dg_cli_add_choice(sb, &types, last);
	dg_strlist_clear(&types);
}
