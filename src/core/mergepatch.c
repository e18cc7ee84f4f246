/* JSON merge patch with provenance, and ${name} variables: mergepatch.h. */
#include "mergepatch.h"

#include "jsonpos.h"

#include <stdlib.h>
#include <string.h>

static void note(dg_provenance *prov, const char *pointer, int layer, const char *src)
{
	DG_ALLOC_GROW(prov->items, prov->nr + 1, prov->alloc);
	prov->items[prov->nr].pointer = dg_xstrdup(pointer);
	prov->items[prov->nr].layer = layer;
	prov->items[prov->nr].src_pointer = dg_xstrdup(src);
	prov->nr++;
}

static void patch_object(cJSON *target, const cJSON *patch, int layer, dg_strbuf *dst,
			 dg_strbuf *src, dg_provenance *prov)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, patch) {
		size_t dmark = dst->len, smark = src->len;
		cJSON *cur = cJSON_GetObjectItemCaseSensitive(target, m->string);

		dg_json_pointer_add(dst, m->string);
		dg_json_pointer_add(src, m->string);
		note(prov, dst->buf, layer, src->buf);
		if (cJSON_IsNull(m)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, m->string);
		} else if (cJSON_IsObject(m)) {
			if (!cJSON_IsObject(cur)) {
				cur = cJSON_CreateObject();
				if (cJSON_GetObjectItemCaseSensitive(target, m->string))
					cJSON_ReplaceItemInObjectCaseSensitive(target, m->string, cur);
				else
					cJSON_AddItemToObject(target, m->string, cur);
			}
			patch_object(cur, m, layer, dst, src, prov);
		} else {
			cJSON *copy = cJSON_Duplicate(m, 1);
			if (cur)
				cJSON_ReplaceItemInObjectCaseSensitive(target, m->string, copy);
			else
				cJSON_AddItemToObject(target, m->string, copy);
		}
		dg_strbuf_setlen(dst, dmark);
		dg_strbuf_setlen(src, smark);
	}
}

void dg_merge_patch(cJSON *target, const cJSON *patch, int layer, const char *src_pointer,
		    dg_provenance *prov)
{
	dg_strbuf dst = DG_STRBUF_INIT, src = DG_STRBUF_INIT;

	dg_strbuf_adds(&dst, "");
	dg_strbuf_adds(&src, src_pointer);
	patch_object(target, patch, layer, &dst, &src, prov);
	dg_strbuf_release(&dst);
	dg_strbuf_release(&src);
}

static const dg_prov_item *find_exact(const dg_provenance *prov, const char *pointer, size_t n)
{
	for (size_t i = prov->nr; i-- > 0;)
		if (strlen(prov->items[i].pointer) == n && !strncmp(prov->items[i].pointer, pointer, n))
			return &prov->items[i];
	return NULL;
}

const dg_prov_item *dg_provenance_find(const dg_provenance *prov, const char *pointer)
{
	size_t n = strlen(pointer);

	for (;;) {
		const dg_prov_item *it = find_exact(prov, pointer, n);
		if (it || !n)
			return it;
		while (n > 0 && pointer[n - 1] != '/')
			n--;
		if (n)
			n--;   /* drop the '/' too: "/a/b" -> "/a" -> "" */
	}
}

void dg_provenance_release(dg_provenance *prov)
{
	for (size_t i = 0; i < prov->nr; i++) {
		free(prov->items[i].pointer);
		free(prov->items[i].src_pointer);
	}
	free(prov->items);
	memset(prov, 0, sizeof(*prov));
}

int dg_template_expand(const char *in, dg_var_lookup lookup, void *ctx, dg_strbuf *out,
		       char **bad)
{
	const char *p = in;

	dg_strbuf_adds(out, "");
	while (*p) {
		const char *dollar = strchr(p, '$'), *end, *val;
		char *name;

		if (!dollar) {
			dg_strbuf_adds(out, p);
			break;
		}
		dg_strbuf_add(out, p, (size_t)(dollar - p));
		if (!strncmp(dollar, "$${", 3)) {
			dg_strbuf_adds(out, "${");
			p = dollar + 3;
			continue;
		}
		if (dollar[1] != '{') {
			dg_strbuf_addch(out, '$');
			p = dollar + 1;
			continue;
		}
		if (!(end = strchr(dollar + 2, '}'))) {
			*bad = dg_xstrdup("");
			return -1;
		}
		name = dg_xstrndup(dollar + 2, (size_t)(end - dollar - 2));
		if (!(val = lookup(ctx, name))) {
			*bad = name;
			return -1;
		}
		dg_strbuf_adds(out, val);
		free(name);
		p = end + 1;
	}
	return 0;
}
