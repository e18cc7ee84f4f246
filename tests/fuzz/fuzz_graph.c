/* libFuzzer target: Microsoft Graph answers as the m365 connector reads
 * them — a page (users, groups, transitiveMembers), each value turned into
 * a directory user and through MailStore's rules, and Graph's error body. */
#include "connectors/m365_graph.h"
#include "core/mapping.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void users_of(const dg_graph_page *pg)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_mapping_opts o = { 0, 1, 1, 0, 0 };
	dg_preview pv = { 0 };
	const cJSON *u;

	l.arena = dg_arena_new();
	cJSON_ArrayForEach(u, pg->value) {
		dg_dir_user *r = dg_graph_add_user(&l, u);
		if (r && strcmp(r->entry, cJSON_GetStringValue(cJSON_GetObjectItem(u, "id"))))
			abort();  /* the entry is the object id, verbatim */
	}
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
		users_of(&pg);
		dg_graph_page_free(&pg);
	} else if (!why[0]) {
		abort();  /* a refusal always says why */
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
	(void)dg_graph_is_guid(s);
	dg_strbuf_release(&q);
	free(s);
	return 0;
}
