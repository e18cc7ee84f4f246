/* A string member of a cJSON object, copied: the one helper for what
 * token answers and saved server state read field by field. */
#ifndef DG_JSONSTR_H
#define DG_JSONSTR_H

#include "strbuf.h"

#include <cjson/cJSON.h>

/* The member `key` of `obj` when it is a string, copied (malloc'd); NULL
 * when it is absent or of another type. */
static inline char *dg_json_strdup(const cJSON *obj, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
	return s ? dg_xstrdup(s) : NULL;
}

#endif
