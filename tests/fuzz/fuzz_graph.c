/* libFuzzer target: Microsoft Graph answers as the m365 connector reads
 * them — a page (groups and members as a tree; /users streamed, in any
 * split), each user through MailStore's rules, and Graph's error body. */
#include "connectors/m365/m365_graph.h"
#include "core/mapping.h"
#include "core/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Reads the text as a /users page in two pieces split at `cut`. */
static int read_users(const uint8_t *data, size_t size, size_t cut, dg_dir_user_list *l,
		      size_t *entries)
{
	dg_graph_users_reader *r = dg_graph_users_reader_new(l, NULL, NULL);
	dg_strbuf why = DG_STRBUF_INIT;
	int rc = dg_graph_users_feed(r, (const char *)data, cut, &why);
	if (rc == 0)
		rc = dg_graph_users_feed(r, (const char *)data + cut, size - cut, &why);
	if (rc == 0)
		rc = dg_graph_users_finish(r, &why);
	if (rc < 0 && !why.len)
		abort();  /* a refusal always says why */
	if (rc == 0 && dg_graph_users_next_link(r) &&
	    strncmp(dg_graph_users_next_link(r), "https://", 8))
		abort();
	*entries = dg_graph_users_entries(r);
	dg_graph_users_reader_free(r);
	dg_strbuf_release(&why);
	return rc;
}

static int same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* However the page is split, the reader finds the same records; a page
 * cJSON also reads has as many entries as "value" elements. */
static void users_of(const uint8_t *data, size_t size, const dg_graph_page *pg)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT, m = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { .enabled_only = 1, .exchange_only = 1 };
	dg_preview pv = { 0 };
	size_t e1, e2, cut = size ? data[0] % size : 0;
	int rc;

	l.arena = dg_arena_new();
	m.arena = dg_arena_new();
	rc = read_users(data, size, size, &l, &e1);
	if (read_users(data, size, cut, &m, &e2) != rc || l.nr != m.nr || e1 != e2)
		abort();
	for (size_t i = 0; i < l.nr; i++) {
		const dg_dir_user *x = &l.items[i], *y = &m.items[i];
		if (!*x->entry || strcmp(x->entry, y->entry) || !same_str(x->name_value, y->name_value) ||
		    !same_str(x->full_name, y->full_name) || !dg_strlist_equal(&x->mails, &y->mails) ||
		    !dg_strlist_equal(&x->proxy_addresses, &y->proxy_addresses) ||
		    x->disabled != y->disabled || x->exchange != y->exchange)
			abort();
	}
	if (rc == 0 && pg && e1 != (size_t)cJSON_GetArraySize(pg->value))
		abort();
	dg_dir_user_list_clear(&m);
	dg_mapping_run_take(&l, &o, &pv);
	dg_preview_release(&pv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_graph_page pg;
	char why[256], code[64], msg[256];
	dg_strbuf q = DG_STRBUF_INIT;
	char *s;

	if (size > 1 << 20)
		return 0;
	if (dg_graph_parse_page((const char *)data, size, &pg, why, sizeof why) == 0) {
		if (pg.next_link && strncmp(pg.next_link, "https://", 8))
			abort();
		users_of(data, size, &pg);
		dg_graph_page_free(&pg);
	} else if (!why[0]) {
		abort();  /* a refusal always says why */
	} else {
		users_of(data, size, NULL);
	}
	dg_graph_parse_error((const char *)data, size, code, sizeof code, msg, sizeof msg);
	/* quoting: every ' doubled, so the literal never ends early */
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	dg_graph_odata_quote(&q, s);
	for (size_t i = 1; i + 1 < q.len; i++)
		if (q.buf[i] == '\'' && q.buf[++i] != '\'')
			abort();
	(void)dg_is_guid(s);
	dg_strbuf_release(&q);
	free(s);
	return 0;
}
