/* Microsoft Graph answers, parsed (m365_graph.h). */
#include "m365_graph.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int dg_graph_check_page(const cJSON *root, dg_graph_page *pg, char *why, size_t whylen)
{
	const cJSON *next;

	memset(pg, 0, sizeof *pg);
	pg->value = cJSON_GetObjectItemCaseSensitive(root, "value");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(pg->value)) {
		snprintf(why, whylen, "JSON without a \"value\" array");
		return -1;
	}
	next = cJSON_GetObjectItemCaseSensitive(root, "@odata.nextLink");
	if (next && !cJSON_IsNull(next)) {
		if (!cJSON_IsString(next) || strncmp(next->valuestring, "https://", 8)) {
			snprintf(why, whylen, "\"@odata.nextLink\" is not an https URL");
			return -1;
		}
		pg->next_link = next->valuestring;
	}
	return 0;
}

int dg_graph_parse_page(const char *body, size_t len, dg_graph_page *pg, char *why,
			size_t whylen)
{
	cJSON *root = cJSON_ParseWithLength(body ? body : "", len);

	memset(pg, 0, sizeof *pg);
	if (!root) {
		snprintf(why, whylen, "not valid JSON (%zu bytes, cut off or not JSON)", len);
		return -1;
	}
	if (dg_graph_check_page(root, pg, why, whylen) < 0) {
		cJSON_Delete(root);
		memset(pg, 0, sizeof *pg);
		return -1;
	}
	pg->root = root;
	return 0;
}

void dg_graph_page_free(dg_graph_page *pg)
{
	cJSON_Delete(pg->root);
	memset(pg, 0, sizeof *pg);
}

static void copy_str(char *dst, size_t n, const cJSON *v)
{
	snprintf(dst, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int dg_graph_parse_error(const char *body, size_t len, char *code, size_t codelen,
			 char *msg, size_t msglen)
{
	cJSON *root = cJSON_ParseWithLength(body ? body : "", len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	int rc = cJSON_IsObject(e) ? 0 : -1;

	copy_str(code, codelen, cJSON_GetObjectItemCaseSensitive(e, "code"));
	copy_str(msg, msglen, cJSON_GetObjectItemCaseSensitive(e, "message"));
	cJSON_Delete(root);
	return rc;
}

int dg_graph_exchange_licensed(const cJSON *plans)
{
	const cJSON *p;
	if (!cJSON_IsArray(plans))
		return -1;
	cJSON_ArrayForEach(p, plans) {
		const cJSON *svc = cJSON_GetObjectItemCaseSensitive(p, "service");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "capabilityStatus");
		if (cJSON_IsString(svc) && !strcasecmp(svc->valuestring, "exchange") &&
		    cJSON_IsString(st) && !strcmp(st->valuestring, "Enabled"))
			return 1;
	}
	return 0;
}

static char *dup_str(dg_dir_user_list *l, const cJSON *v)
{
	if (!cJSON_IsString(v))
		return NULL;
	return l->arena ? dg_arena_strdup(l->arena, v->valuestring) : dg_xstrdup(v->valuestring);
}

static void push_str(dg_dir_user_list *l, dg_strlist *dst, const cJSON *v)
{
	if (!cJSON_IsString(v) || !*v->valuestring)
		return;
	if (l->arena)
		dg_strlist_push_arena(dst, l->arena, v->valuestring, strlen(v->valuestring));
	else
		dg_strlist_push(dst, v->valuestring);
}

dg_dir_user *dg_graph_add_user(dg_dir_user_list *l, const cJSON *u)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(u, "id");
	const cJSON *en, *px, *v;
	dg_dir_user *r;

	if (!cJSON_IsObject(u) || !cJSON_IsString(id) || !*id->valuestring)
		return NULL;
	r = dg_dir_user_list_add(l, id->valuestring);
	r->name_value = dup_str(l, cJSON_GetObjectItemCaseSensitive(u, "userPrincipalName"));
	r->full_name = dup_str(l, cJSON_GetObjectItemCaseSensitive(u, "displayName"));
	push_str(l, &r->mails, cJSON_GetObjectItemCaseSensitive(u, "mail"));
	px = cJSON_GetObjectItemCaseSensitive(u, "proxyAddresses");
	if (cJSON_IsArray(px))
		cJSON_ArrayForEach(v, px)
			push_str(l, &r->proxy_addresses, v);
	en = cJSON_GetObjectItemCaseSensitive(u, "accountEnabled");
	r->disabled = cJSON_IsBool(en) ? !cJSON_IsTrue(en) : -1;
	r->exchange = dg_graph_exchange_licensed(cJSON_GetObjectItemCaseSensitive(u, "assignedPlans"));
	r->archived = 0;
	return r;
}

void dg_graph_odata_quote(dg_strbuf *sb, const char *s)
{
	dg_strbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			dg_strbuf_addch(sb, '\'');
		dg_strbuf_addch(sb, *s);
	}
	dg_strbuf_addch(sb, '\'');
}

int dg_graph_is_guid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	for (size_t g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return 0;
		if (g < 4 && *s++ != '-')
			return 0;
	}
	return *s == 0;
}
