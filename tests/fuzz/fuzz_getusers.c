/* libFuzzer target: a GetUsers answer as the plan reads it when users
 * vanish between GetUsers and GetUserInfo (mailstore/plan.c,
 * dg_srv_drop_vanished).  The input is the second GetUsers result (JSON).
 * Properties: no crash, leak or undefined behaviour; the user whose
 * GetUserInfo failed moves to "vanished" exactly when the answer no longer
 * lists it, and nothing changes otherwise; the fingerprint stays 64 hex
 * digits. */
#include "mailstore/plan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_user(dg_srv_state *st, const char *name)
{
	DG_ALLOC_GROW(st->users, st->nusers + 1, st->alloc);
	memset(&st->users[st->nusers], 0, sizeof(st->users[0]));
	st->users[st->nusers].user_name = dg_xstrdup(name);
	st->users[st->nusers++].directory = 1;
}

static int listed(const cJSON *now, const char *name)
{
	const cJSON *u;
	cJSON_ArrayForEach(u, now) {
		const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(u, "userName"));
		if (n && !strcasecmp(n, name)) /* MailStore user names ignore case */
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_srv_state st;
	cJSON *now;
	size_t failed[] = { 1 }, k;

	if (size > 1 << 18 || !(now = cJSON_ParseWithLength((const char *)data, size)))
		return 0;
	memset(&st, 0, sizeof(st));
	st.config = cJSON_CreateObject();
	add_user(&st, "alice");
	add_user(&st, "bob");
	add_user(&st, "carol");
	memset(st.fingerprint, 'a', 64);
	k = dg_srv_drop_vanished(&st, failed, 1, now);
	if (listed(now, "bob") ? k != 0 || st.nusers != 3 || st.vanished.nr
			       : k != 1 || st.nusers != 2 || st.vanished.nr != 1 ||
				 strcmp(st.vanished.items[0], "bob") ||
				 strcmp(st.users[1].user_name, "carol"))
		abort();
	if (strlen(st.fingerprint) != 64 || strspn(st.fingerprint, "0123456789abcdef") != 64)
		abort();
	cJSON_Delete(now);
	dg_srv_state_release(&st);
	return 0;
}
