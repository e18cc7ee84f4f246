/* The MailStore side without a network: the status envelope and get-metadata
 * parsers, JSON
 * pointers, the target map (apply, keep unknown keys, secrets), the plan's
 * user diff and guards, users deleted while the plan is made, rename
 * files, secret placeholders only where the map puts them, every guard at
 * its limit, the dry run's result and saved-plan digests. */
#include "mailstore/api.h"
#include "mailstore/plan.h"
#include "mailstore/targetmap.h"
#include "test.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static dg_code parse(const char *s, dg_ms_envelope *env, dg_error *err)
{
	*env = (dg_ms_envelope)DG_MS_ENVELOPE_INIT;
	return dg_ms_envelope_parse(s, strlen(s), env, err);
}

static void test_envelope_success_with_bom(void)
{
	dg_ms_envelope env;
	dg_error err = { 0 };

	CHECK_INT(parse("\xEF\xBB\xBF{\"error\":null,\"token\":null,\"statusVersion\":2,"
			"\"statusCode\":\"succeeded\",\"percentProgress\":null,\"statusText\":null,"
			"\"result\":{\"version\":\"9.0\"},\"logOutput\":null}", &env, &err), DG_OK);
	CHECK_STR(env.status_code, "succeeded");
	CHECK(env.token == NULL && env.error_message == NULL && env.log_output == NULL);
	CHECK_INT(env.status_version, 2);
	CHECK_INT(env.percent, -1);
	CHECK(cJSON_IsObject(env.result));
	CHECK_STR(cJSON_GetObjectItem(env.result, "version")->valuestring, "9.0");
	dg_ms_envelope_release(&env);
}

static void test_envelope_running_and_failed(void)
{
	dg_ms_envelope env;
	dg_error err = { 0 };

	CHECK_INT(parse("{\"statusCode\":\"running\",\"token\":\"e2b7c58f\",\"statusVersion\":77,"
			"\"percentProgress\":95,\"logOutput\":\"  1400 messages verified...\"}",
			&env, &err), DG_OK);
	CHECK_STR(env.token, "e2b7c58f");
	CHECK_INT(env.status_version, 77);
	CHECK_INT(env.percent, 95);
	CHECK_STR(env.log_output, "  1400 messages verified...");
	dg_ms_envelope_release(&env);

	CHECK_INT(parse("{\"statusCode\":\"failed\",\"error\":{\"message\":\"Missing API argument "
			"userName.\",\"details\":\"System.Exception: ...\"},\"result\":null}",
			&env, &err), DG_OK);
	CHECK_STR(env.error_message, "Missing API argument userName.");
	CHECK_STR(env.error_details, "System.Exception: ...");
	CHECK(env.result == NULL);
	dg_ms_envelope_release(&env);

	/* an error object without a message still says something */
	CHECK_INT(parse("{\"statusCode\":\"failed\",\"error\":{}}", &env, &err), DG_OK);
	CHECK_STR(env.error_message, "(no message)");
	dg_ms_envelope_release(&env);
}

static void test_envelope_bad(void)
{
	dg_ms_envelope env;
	dg_error err = { 0 };

	CHECK_INT(parse("\xEF\xBB\xBF{\"statusCode\": ", &env, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "not JSON") != NULL);
	CHECK_INT(parse("[1,2]", &env, &err), DG_E_PROTOCOL);
	CHECK_INT(parse("{\"statusCode\": 3}", &env, &err), DG_E_PROTOCOL);
	CHECK_INT(parse("", &env, &err), DG_E_PARSE);
	CHECK_INT(parse("\xEF\xBB", &env, &err), DG_E_PARSE);
	/* percent outside 0..100 is ignored, not trusted */
	CHECK_INT(parse("{\"statusCode\":\"running\",\"percentProgress\":1e9}", &env, &err), DG_OK);
	CHECK_INT(env.percent, -1);
	dg_ms_envelope_release(&env);
}

/* get-metadata (reference §1.7): MailStore answers a bare array; the
 * enveloped form is read too; descriptors may carry fields we do not use. */
static dg_code meta(const char *s, dg_ms_metadata *md, dg_error *err)
{
	return dg_ms_metadata_parse(s, strlen(s), md, err);
}

static void test_metadata_forms(void)
{
	const char *fns = "[{\"name\":\"GetUsers\",\"args\":[],\"description\":\"x\"},"
			  "{\"name\":\"SyncUsersWithDirectoryServices\",\"args\":[{\"name\":"
			  "\"dryRun\",\"type\":\"bool\",\"nullable\":true}]},"
			  "{\"args\":[]},{\"name\":\"GetServerInfo\"}]";
	char env[1024];
	dg_ms_metadata md;
	dg_error err = { 0 };

	snprintf(env, sizeof(env), "\xEF\xBB\xBF%s", fns);
	CHECK_INT(meta(env, &md, &err), DG_OK);
	CHECK_INT(md.nr, 3);   /* the nameless descriptor is passed over */
	CHECK_STR(md.funcs[1].name, "SyncUsersWithDirectoryServices");
	CHECK_INT(md.funcs[1].args.nr, 1);
	CHECK_STR(md.funcs[1].args.items[0], "dryRun");
	CHECK_INT(md.funcs[2].args.nr, 0);
	dg_ms_metadata_release(&md);

	snprintf(env, sizeof(env), "\xEF\xBB\xBF{\"statusCode\":\"succeeded\",\"statusVersion\":2,"
		 "\"result\":%s}", fns);
	CHECK_INT(meta(env, &md, &err), DG_OK);
	CHECK_INT(md.nr, 3);
	dg_ms_metadata_release(&md);
}

static void test_metadata_bad(void)
{
	dg_ms_metadata md;
	dg_error err = { 0 };

	CHECK_INT(meta("{\"statusCode\":\"failed\",\"error\":{\"message\":\"Access denied.\"}}",
		       &md, &err), DG_E_PROTOCOL);
	CHECK(strstr(err.message, "'failed': Access denied.") != NULL);
	CHECK_INT(meta("{\"functions\":[]}", &md, &err), DG_E_PROTOCOL);
	CHECK(strstr(err.message, "expected a JSON array") != NULL);
	CHECK_INT(meta("{\"statusCode\":\"succeeded\",\"result\":{}}", &md, &err), DG_E_PROTOCOL);
	CHECK_INT(meta("[]", &md, &err), DG_E_PROTOCOL);
	CHECK(strstr(err.message, "lists no functions") != NULL);
	CHECK_INT(meta("[{\"name\":1}]", &md, &err), DG_E_PROTOCOL);
	CHECK_INT(meta("\xEF\xBB\xBF[{\"name\":", &md, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "get-metadata: the answer is not JSON") != NULL);
	CHECK(md.nr == 0 && md.funcs == NULL);
}

static void test_json_pointer(void)
{
	cJSON *root = cJSON_Parse("{\"a\":{\"b/c\":1,\"d~e\":[10,20]}}");

	CHECK(cJSON_IsNumber(dg_json_pointer_get(root, "/a/b~1c")));
	CHECK_INT(dg_json_pointer_get(root, "/a/d~0e/1")->valueint, 20);
	CHECK(dg_json_pointer_get(root, "/a/missing") == NULL);
	CHECK(dg_json_pointer_get(root, "/a/d~0e/x") == NULL);
	CHECK(dg_json_pointer_get(root, "") == root);
	CHECK_INT(dg_json_pointer_set(root, "/new/deep/key", cJSON_CreateString("v")), 0);
	CHECK_STR(dg_json_pointer_get(root, "/new/deep/key")->valuestring, "v");
	CHECK_INT(dg_json_pointer_set(root, "/a/b~1c", cJSON_CreateNumber(2)), 0);
	CHECK_INT(dg_json_pointer_get(root, "/a/b~1c")->valueint, 2);
	CHECK(dg_json_pointer_get(root, "/a/b~1c")->string != NULL);
	/* cannot descend into a non-object */
	CHECK_INT(dg_json_pointer_set(root, "/a/b~1c/x", cJSON_CreateNull()), -1);
	cJSON_Delete(root);
}

static void test_tmap_default(void)
{
	dg_tmap map;
	dg_error err = { 0 };

	CHECK_INT(dg_tmap_load_default(&map, &err), DG_OK);
	CHECK(map.nr > 20);
	for (size_t i = 0; i < map.nr; i++) {
		CHECK(!strcmp(map.items[i].status, "documented") ||
		      !strcmp(map.items[i].status, "assumed"));
		CHECK(map.items[i].profile[0] == '/' && map.items[i].config[0] == '/');
	}
	dg_tmap_release(&map);
	{
		const char *bad = "{\"keys\":[{\"profile\":\"/a\",\"config\":\"/b\","
				  "\"status\":\"guessed\"}]}";
		CHECK_INT(dg_tmap_parse(&map, bad, strlen(bad), "t", &err), DG_E_INVALID);
	}
	CHECK(strstr(err.message, "/keys/0/status") != NULL);
	CHECK_INT(dg_tmap_parse(&map, "{", 1, "t", &err), DG_E_PARSE);
}

static const char profile_text[] =
	"{\"name\":\"t\",\"directory\":{\"type\":\"active-directory\",\"server\":\"dc1\","
	"\"protocol\":\"ldaps\",\"baseDn\":\"DC=x\",\"domain\":\"x.com\","
	"\"bind\":{\"user\":\"svc@x.com\",\"password\":{\"env\":\"DG_T_BIND\"}},"
	"\"filters\":{\"groups\":[\"G\"]}},"
	"\"sync\":{\"deleteUsers\":true,\"guards\":{\"minUsers\":2,\"maxDeletes\":0,"
	"\"maxDropPercent\":10}}}";

/* Secrets under names nobody documented, and values shaped like secrets;
 * plain values of every kind the object holds stay readable. */
static void test_mask_names_and_shapes(void)
{
	const char *in =
		"{\"bind_pwd\":\"a\",\"Access-Token\":\"b\",\"apiKey\":\"c\","
		"\"creds\":[{\"ClientSecret\":\"d\"}],\"privateKey\":{\"pem\":\"e\"},"
		"\"blob\":\"-----BEGIN RSA PRIVATE KEY-----\\nx\\n-----END RSA PRIVATE KEY-----\","
		"\"jwt\":\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\","
		"\"hex\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
		"\"b64\":\"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJj\","
		"\"tenant\":\"0a1b2c3d-4e5f-6789-abcd-ef0123456789\","
		"\"url\":\"https://login.microsoftonline.com/common/oauth2/v2.0/token\","
		"\"dn\":\"CN=Svc MailStore,OU=Service Accounts,DC=contoso,DC=com\","
		"\"word\":\"ActiveDirectoryWithExchangeUsersOnlyAndVisibleOnes\","
		"\"$secret\":\"/target/password\"}";
	static const char *const masked[] = { "bind_pwd", "Access-Token", "apiKey", "blob",
					      "jwt", "hex", "b64" };
	static const char *const kept[] = { "tenant", "url", "dn", "word", "$secret" };
	cJSON *cfg = cJSON_Parse(in);
	dg_tmap map;
	dg_error err = { 0 };

	CHECK_INT(dg_tmap_load_default(&map, &err), DG_OK);
	dg_tmap_redact(&map, NULL, cfg, DG_TMAP_MASK);
	for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++)
		CHECK_STR(cJSON_GetObjectItem(cfg, masked[i])->valuestring, DG_TMAP_MASK_TEXT);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		CHECK(strcmp(cJSON_GetObjectItem(cfg, kept[i])->valuestring, DG_TMAP_MASK_TEXT));
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "creds"), 0),
				      "ClientSecret")->valuestring, DG_TMAP_MASK_TEXT);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "privateKey"), "pem")->valuestring,
		  DG_TMAP_MASK_TEXT);
	{	/* and back: masks inside arrays are restored by index */
		cJSON *orig = cJSON_Parse(in);
		dg_tmap_unmask(cfg, orig);
		CHECK(cJSON_Compare(cfg, orig, 1));
		cJSON_Delete(orig);
	}
	cJSON_Delete(cfg);
	dg_tmap_release(&map);
}

static void test_tmap_apply(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = dg_profile_parse(profile_text, strlen(profile_text), "t.json", &f);
	cJSON *pj = cJSON_Parse(profile_text), *out = NULL;
	cJSON *server = cJSON_Parse("{\"server\":\"old\",\"vendor\":{\"x\":1},"
				    "\"password\":\"old-secret\"}");
	dg_cfg_diff diff = { 0 };
	dg_tmap map;
	dg_error err = { 0 };

	CHECK_INT(dg_findings_count(&f, DG_SEV_ERROR), 0);
	dg_tmap_load_default(&map, &err);
	setenv("DG_T_BIND", "new-secret", 1);
	CHECK_INT(dg_tmap_apply(&map, p, pj, server, 1, &out, &diff, &err), DG_OK);
	CHECK_STR(dg_json_pointer_get(out, "/server")->valuestring, "dc1");
	CHECK_STR(dg_json_pointer_get(out, "/protocol")->valuestring, "LDAPS");
	CHECK_STR(dg_json_pointer_get(out, "/directoryServiceType")->valuestring, "ActiveDirectory");
	CHECK_STR(dg_json_pointer_get(out, "/password")->valuestring, "new-secret");
	CHECK(dg_json_pointer_get(out, "/vendor/x") != NULL);   /* unknown keys kept */
	CHECK(dg_json_pointer_get(out, "/automaticallyDeleteUsers") != NULL);
	CHECK(dg_cfg_diff_count(&diff) >= 6);
	/* redaction: placeholders for the profile's secrets, masks elsewhere */
	cJSON_AddStringToObject(out, "clientSecretX", "s3");
	dg_tmap_redact(&map, p, out, DG_TMAP_PLACEHOLDER);
	CHECK_STR(dg_json_pointer_get(out, "/password/$secret")->valuestring,
		  "/directory/bind/password");
	CHECK_STR(dg_json_pointer_get(out, "/clientSecretX")->valuestring, DG_TMAP_MASK_TEXT);
	CHECK(dg_tmap_has_mask(out));
	CHECK_INT(dg_plan_fill_secrets(out, &map, p, &err), DG_OK);
	CHECK_STR(dg_json_pointer_get(out, "/password")->valuestring, "new-secret");
	dg_tmap_unmask(out, server);   /* server has no clientSecretX: mask stays */
	CHECK(dg_tmap_has_mask(out));
	cJSON_AddStringToObject(server, "clientSecretX", "s3");
	dg_tmap_unmask(out, server);
	CHECK(!dg_tmap_has_mask(out));
	/* without resolve, an unset secret is left for push, not compared */
	unsetenv("DG_T_BIND");
	cJSON_Delete(out);
	dg_cfg_diff_release(&diff);
	CHECK_INT(dg_tmap_apply(&map, p, pj, server, 0, &out, &diff, &err), DG_OK);
	for (size_t i = 0; i < diff.nr; i++)
		if (diff.items[i].secret)
			CHECK(!diff.items[i].compared);
	CHECK_INT(dg_tmap_apply(&map, p, pj, server, 1, &out, &diff, &err) != DG_OK, 1);
	cJSON_Delete(out);
	dg_cfg_diff_release(&diff);
	dg_tmap_release(&map);
	cJSON_Delete(pj);
	cJSON_Delete(server);
	dg_profile_free(p);
	dg_findings_clear(&f);
}

static void add_dir(dg_preview *pv, const char *name, const char *full, const char *dn,
		    const char *mail)
{
	dg_ms_user *u;

	DG_ALLOC_GROW(pv->users, pv->nusers + 1, pv->users_alloc);
	u = &pv->users[pv->nusers++];
	memset(u, 0, sizeof(*u));
	u->user_name = dg_xstrdup(name);
	u->full_name = dg_xstrdup(full);
	u->dn = dn ? dg_xstrdup(dn) : NULL;
	u->entry = dg_xstrdup(dn ? dn : name);
	if (mail)
		dg_strlist_push(&u->emails, mail);
}

static void add_srv(dg_srv_state *st, const char *name, const char *full, const char *dn,
		    const char *mail, int directory)
{
	dg_srv_user *u;

	DG_ALLOC_GROW(st->users, st->nusers + 1, st->alloc);
	u = &st->users[st->nusers++];
	memset(u, 0, sizeof(*u));
	u->user_name = dg_xstrdup(name);
	u->full_name = full ? dg_xstrdup(full) : NULL;
	u->dn = dn ? dg_xstrdup(dn) : NULL;
	u->directory = directory;
	if (mail)
		dg_strlist_push(&u->emails, mail);
}

static const dg_plan_item *item(const dg_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->nr; i++) {
		const dg_plan_item *it = &plan->items[i];
		if (!strcmp(it->dir ? it->dir->user_name : it->srv->user_name, name))
			return it;
	}
	return NULL;
}

static void test_plan_diff(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = dg_profile_parse(profile_text, strlen(profile_text), "t.json", &f);
	cJSON *pj = cJSON_Parse(profile_text), *after = NULL;
	dg_preview pv = { 0 };
	dg_srv_state st = { 0 };
	dg_plan plan;
	dg_tmap map;
	dg_error err = { 0 };
	const dg_plan_item *it;

	add_dir(&pv, "alice", "Alice A", "CN=Alice,DC=x", "alice@x.com");
	add_dir(&pv, "bob", "Bob B", "CN=Bob,DC=x", "bob@x.com");
	add_dir(&pv, "carol@x.com", "Carol", "CN=Carol,DC=x", "carol@x.com");
	add_dir(&pv, "dave@x.com", "Dave", "CN=Dave,DC=x", "dave@x.com");
	add_dir(&pv, "erin", "Erin", NULL, "erin@x.com");
	add_srv(&st, "Alice", "Alice A", "cn=alice,dc=x", "ALICE@x.com", 1);  /* unchanged */
	add_srv(&st, "bob", "Robert", "CN=Bob,DC=x", "bob@x.com", 1);         /* update */
	add_srv(&st, "carol", "Carol", "CN=Carol,DC=x", "c@x.com", 1);        /* rename by DN */
	add_srv(&st, "dsmith", "Dave", NULL, "DAVE@x.com", 1);                /* rename by mail */
	add_srv(&st, "gone", "Gone", "CN=Gone,DC=x", NULL, 1);                /* delete */
	add_srv(&st, "admin", "Admin", NULL, NULL, 0);                        /* kept */
	st.config = cJSON_CreateObject();
	dg_tmap_load_default(&map, &err);
	setenv("DG_T_BIND", "x", 1);
	CHECK_INT(dg_plan_build(p, &map, pj, &pv, &st, 0, &plan, &after, &err), DG_OK);
	CHECK_INT(item(&plan, "alice")->action, DG_ACT_UNCHANGED);
	it = item(&plan, "bob");
	CHECK_INT(it->action, DG_ACT_UPDATE);
	CHECK_INT(it->changed, DG_CHG_FULLNAME);
	it = item(&plan, "carol@x.com");
	CHECK_INT(it->action, DG_ACT_RENAME);
	CHECK_STR(it->srv->user_name, "carol");
	CHECK_STR(it->match, "distinguishedName");
	it = item(&plan, "dave@x.com");
	CHECK_INT(it->action, DG_ACT_RENAME);
	CHECK_STR(it->match, "emailAddress");
	CHECK_INT(item(&plan, "erin")->action, DG_ACT_CREATE);
	CHECK_INT(item(&plan, "gone")->action, DG_ACT_DELETE);
	CHECK(item(&plan, "admin") == NULL);
	CHECK_INT(plan.not_in_directory, 1);
	CHECK(dg_plan_has_changes(&plan));
	/* guards: 1 delete > maxDeletes 0; 5 users vs 5 synced: no drop; minUsers 2 fine */
	{
		int g6 = 0, g5 = 0, g4 = 0, api9 = 0;
		for (size_t i = 0; i < plan.findings.nr; i++) {
			g6 += !strcmp(plan.findings.items[i].code, "GUARD006");
			g5 += !strcmp(plan.findings.items[i].code, "GUARD005");
			g4 += !strcmp(plan.findings.items[i].code, "GUARD004");
			api9 += !strcmp(plan.findings.items[i].code, "API009");
		}
		CHECK_INT(g6, 1);
		CHECK_INT(g5, 0);
		CHECK_INT(g4, 0);
		CHECK_INT(api9, 2);
	}
	{
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_plan_renames(&sb, &plan);
		CHECK(strstr(sb.buf, "\ncarol=carol@x.com\n") != NULL);
		CHECK(strstr(sb.buf, "\ndsmith=dave@x.com\n") != NULL);
		dg_strbuf_reset(&sb);
		dg_plan_json(&sb, &plan, p, &st, NULL);
		cJSON *parsed = cJSON_Parse(sb.buf);
		CHECK(parsed != NULL);
		cJSON_Delete(parsed);
		CHECK(strstr(sb.buf, "\"action\":\"rename\",\"from\":\"carol\"") != NULL);
		dg_strbuf_release(&sb);
	}
	dg_plan_release(&plan);
	cJSON_Delete(after);
	/* a drop: one directory user against five synchronised */
	for (size_t i = 1; i < pv.nusers; i++) {
		free(pv.users[i].user_name);
		pv.users[i].user_name = dg_xstrdup("zz-unrelated");
	}
	pv.nusers = 1;
	CHECK_INT(dg_plan_build(p, &map, pj, &pv, &st, 0, &plan, &after, &err), DG_OK);
	{
		int g5 = 0, g4 = 0;
		for (size_t i = 0; i < plan.findings.nr; i++) {
			g5 += !strcmp(plan.findings.items[i].code, "GUARD005");
			g4 += !strcmp(plan.findings.items[i].code, "GUARD004");
		}
		CHECK_INT(g5, 1);
		CHECK_INT(g4, 1);
	}
	pv.nusers = 5;
	dg_plan_release(&plan);
	cJSON_Delete(after);
	dg_tmap_release(&map);
	dg_preview_release(&pv);
	dg_srv_state_release(&st);
	cJSON_Delete(pj);
	dg_profile_free(p);
	dg_findings_clear(&f);
}

static cJSON *users_json(const char *const *names, size_t n)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		cJSON *u = cJSON_CreateObject();
		cJSON_AddStringToObject(u, "userName", names[i]);
		cJSON_AddStringToObject(u, "fullName", names[i]);
		cJSON_AddNullToObject(u, "distinguishedName");
		cJSON_AddItemToArray(a, u);
	}
	return a;
}

static void three_users(dg_srv_state *st)
{
	memset(st, 0, sizeof(*st));
	add_srv(st, "alice", "alice", NULL, "alice@x.com", 1);
	add_srv(st, "bob", "bob", NULL, "bob@x.com", 1);
	add_srv(st, "carol", "carol", NULL, NULL, 1);
	st->config = cJSON_CreateObject();
	memset(st->fingerprint, 'a', 64);
}

/* A user GetUserInfo failed for is dropped only when a fresh GetUsers no
 * longer lists it; the fingerprint then describes what the plan saw. */
static void test_drop_vanished(void)
{
	static const char *const ac[] = { "alice", "carol" }, *const a[] = { "alice" },
			  *const abc[] = { "alice", "BOB", "carol" };
	const size_t bob = 1, alice_bob[] = { 0, 1 };
	dg_srv_state st, st2;
	cJSON *now = users_json(ac, 2), *moved = users_json(a, 1), *all = users_json(abc, 3);
	char exact[65];

	/* bob gone, nothing else changed */
	three_users(&st);
	CHECK_INT(dg_srv_drop_vanished(&st, &bob, 1, now), 1);
	CHECK_INT(st.nusers, 2);
	CHECK_STR(st.users[0].user_name, "alice");
	CHECK_STR(st.users[1].user_name, "carol");
	CHECK_STR(st.users[0].emails.items[0], "alice@x.com");
	CHECK_INT(st.vanished.nr, 1);
	CHECK_STR(st.vanished.items[0], "bob");
	CHECK(strcmp(st.fingerprint, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	memcpy(exact, st.fingerprint, sizeof(exact));
	dg_srv_state_release(&st);
	/* bob gone and carol too (after her GetUserInfo): not the state the
	 * plan describes, so a fingerprint no server state has */
	three_users(&st2);
	CHECK_INT(dg_srv_drop_vanished(&st2, &bob, 1, moved), 1);
	CHECK_INT(st2.nusers, 2);
	CHECK(strcmp(st2.fingerprint, exact) != 0);
	dg_srv_state_release(&st2);
	/* still listed (user names compare case-insensitively): a real
	 * failure, nothing changes */
	three_users(&st);
	CHECK_INT(dg_srv_drop_vanished(&st, alice_bob, 2, all), 0);
	CHECK_INT(dg_srv_drop_vanished(&st, &bob, 1, all), 0);
	CHECK_INT(st.nusers, 3);
	CHECK_INT(st.vanished.nr, 0);
	CHECK_INT(st.fingerprint[0], 'a');
	dg_srv_state_release(&st);
	cJSON_Delete(now);
	cJSON_Delete(moved);
	cJSON_Delete(all);
}

static void test_plan_vanished(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = dg_profile_parse(profile_text, strlen(profile_text), "t.json", &f);
	cJSON *pj = cJSON_Parse(profile_text), *after = NULL;
	cJSON *now = cJSON_Parse("[{\"userName\":\"alice\",\"fullName\":\"Alice\"}]");
	const size_t bob = 1;
	dg_preview pv = { 0 };
	dg_srv_state st = { 0 };
	dg_plan plan;
	dg_tmap map;
	dg_error err = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	size_t api13 = 0;

	add_dir(&pv, "alice", "Alice", NULL, "alice@x.com");
	add_dir(&pv, "bob", "Bob", NULL, "bob@x.com");
	add_srv(&st, "alice", "Alice", NULL, "alice@x.com", 1);
	add_srv(&st, "bob", "Bob", NULL, "bob@x.com", 1);
	st.config = cJSON_CreateObject();
	CHECK_INT(dg_srv_drop_vanished(&st, &bob, 1, now), 1);
	dg_tmap_load_default(&map, &err);
	setenv("DG_T_BIND", "x", 1);
	CHECK_INT(dg_plan_build(p, &map, pj, &pv, &st, 0, &plan, &after, &err), DG_OK);
	CHECK_INT(item(&plan, "alice")->action, DG_ACT_UNCHANGED);
	/* the directory still has bob: on the server he is gone, so a create */
	CHECK_INT(item(&plan, "bob")->action, DG_ACT_CREATE);
	CHECK_INT(plan.server_users, 1);
	for (size_t i = 0; i < plan.findings.nr; i++) {
		const dg_finding *fd = &plan.findings.items[i];
		if (strcmp(fd->code, "API013"))
			continue;
		api13++;
		CHECK_INT(fd->severity, DG_SEV_WARNING);
		CHECK(strstr(fd->message, "'bob'") != NULL);
		CHECK(strstr(fd->message, "disappeared while the plan was being made") != NULL);
	}
	CHECK_INT(api13, 1);
	dg_plan_text(&sb, &plan, p, 0);
	CHECK(strstr(sb.buf, "API013") != NULL && strstr(sb.buf, "run 'dirgate plan' again") != NULL);
	dg_strbuf_release(&sb);
	dg_plan_release(&plan);
	cJSON_Delete(after);
	cJSON_Delete(now);
	dg_tmap_release(&map);
	dg_preview_release(&pv);
	dg_srv_state_release(&st);
	cJSON_Delete(pj);
	dg_profile_free(p);
	dg_findings_clear(&f);
}

static void test_renames_file(void)
{
	char path[] = "/tmp/dg-renames-XXXXXX";
	int fd = mkstemp(path);
	dg_rename_list rl;
	dg_error err = { 0 };
	FILE *fp = fdopen(fd, "w");

	fputs("# header\n\n  jdoe = john.doe@x.com \r\nasmith=anna.smith@x.com\n", fp);
	fclose(fp);
	CHECK_INT(dg_renames_load(path, &rl, &err), DG_OK);
	CHECK_INT(rl.nr, 2);
	CHECK_STR(rl.items[0].from, "jdoe");
	CHECK_STR(rl.items[0].to, "john.doe@x.com");
	CHECK_INT(rl.items[1].line, 4);
	dg_renames_release(&rl);
	fp = fopen(path, "w");
	fputs("a=b\nJDOE=c\njdoe=d\n", fp);
	fclose(fp);
	CHECK_INT(dg_renames_load(path, &rl, &err), DG_E_INVALID);
	CHECK(strstr(err.message, ":3:") != NULL);
	fp = fopen(path, "w");
	fputs("a=b\n=c\n", fp);
	fclose(fp);
	CHECK_INT(dg_renames_load(path, &rl, &err), DG_E_PARSE);
	CHECK(strstr(err.message, ":2: expected old=new") != NULL);
	fp = fopen(path, "w");
	fputs("\r\r=x\n", fp);   /* found by fuzz_plan_files: an empty old name */
	fclose(fp);
	CHECK_INT(dg_renames_load(path, &rl, &err), DG_E_PARSE);
	CHECK(strstr(err.message, ":1: expected old=new") != NULL);
	unlink(path);
	CHECK_INT(dg_renames_load(path, &rl, &err), DG_E_IO);
}

/* A placeholder is resolved only at the key the target map gives that
 * secret: an edited plan cannot move it into a key stored in plain view. */
static void test_fill_secrets_only_where_mapped(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_profile *p = dg_profile_parse(profile_text, strlen(profile_text), "t.json", &f);
	dg_error err = { 0 };
	dg_tmap map;
	cJSON *cfg;

	dg_tmap_load_default(&map, &err);
	setenv("DG_T_BIND", "moved-secret", 1);
	cfg = cJSON_Parse("{\"server\":{\"$secret\":\"/directory/bind/password\"}}");
	CHECK(dg_plan_fill_secrets(cfg, &map, p, &err) != DG_OK);
	CHECK(strstr(err.message, "API016") && strstr(err.message, "/server"));
	CHECK_STR(dg_json_pointer_get(cfg, "/server/$secret")->valuestring,
		  "/directory/bind/password");
	cJSON_Delete(cfg);
	/* the right key, but another profile secret than the map names */
	cfg = cJSON_Parse("{\"password\":{\"$secret\":\"/target/password\"}}");
	CHECK(dg_plan_fill_secrets(cfg, &map, p, &err) != DG_OK);
	CHECK(strstr(err.message, "at /password,") != NULL);
	cJSON_Delete(cfg);
	cfg = cJSON_Parse("{\"vendor\":[1,{\"$secret\":\"/directory/bind/password\"}]}");
	CHECK(dg_plan_fill_secrets(cfg, &map, p, &err) != DG_OK);
	CHECK(strstr(err.message, "at /vendor/1,") != NULL);
	cJSON_Delete(cfg);
	unsetenv("DG_T_BIND");
	dg_tmap_release(&map);
	dg_profile_free(p);
	dg_findings_clear(&f);
}

/* maxDeletes not set: the default limit, whatever deleteUsers says. */
static void test_max_deletes_default(void)
{
	static const char *const texts[] = {
		"{\"name\":\"a\",\"sync\":{\"deleteUsers\":true}}",
		"{\"name\":\"a\"}",
		"{\"name\":\"a\",\"sync\":{\"guards\":{\"maxDeletes\":250}}}",
		"{\"name\":\"a\",\"sync\":{\"guards\":{\"maxDeletes\":0}}}",
	};
	static const int want[] = { DG_SYNC_DEFAULT_MAX_DELETES, DG_SYNC_DEFAULT_MAX_DELETES,
				    250, 0 };

	CHECK_INT(DG_SYNC_DEFAULT_MAX_DELETES, 10);
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		dg_profile *p = dg_profile_parse(texts[i], strlen(texts[i]), "t.json", &f);
		CHECK_INT(p->sync.max_deletes, want[i]);
		dg_profile_free(p);
		dg_findings_clear(&f);
	}
}

static size_t count_code(const dg_findings *f, const char *code)
{
	size_t n = 0;

	for (size_t i = 0; i < f->nr; i++)
		n += !strcmp(f->items[i].code, code);
	return n;
}

static size_t guards_at(const dg_sync_opts *so, size_t dir, size_t srv, size_t del,
			const char *code)
{
	dg_findings f = DG_FINDINGS_INIT;
	size_t n;

	dg_guards_check(so, &(dg_guard_counts){ dir, srv, del }, "test", &f);
	n = count_code(&f, code);
	dg_findings_clear(&f);
	return n;
}

/* Each guard holds at its exact limit and trips one past it; 0 is a limit
 * like any other; a count that is unknown is GUARD008, never a pass. */
static void test_guard_limits(void)
{
	dg_sync_opts so = { .delete_users = 1, .min_users = 5, .max_deletes = 3,
			    .max_drop_percent = 25 };
	dg_sync_opts zero = { .delete_users = 1, .min_users = 0, .max_deletes = 0,
			      .max_drop_percent = 0 };
	dg_sync_opts unset = { .delete_users = -1, .min_users = -1, .max_deletes = -1,
			       .max_drop_percent = -1 };

	CHECK_INT(guards_at(&so, 5, 5, 0, "GUARD004"), 0);
	CHECK_INT(guards_at(&so, 4, 4, 0, "GUARD004"), 1);
	CHECK_INT(guards_at(&so, 100, 100, 3, "GUARD006"), 0);
	CHECK_INT(guards_at(&so, 100, 100, 4, "GUARD006"), 1);
	CHECK_INT(guards_at(&so, 75, 100, 0, "GUARD005"), 0);  /* 25% exactly */
	CHECK_INT(guards_at(&so, 74, 100, 0, "GUARD005"), 1);  /* 26% */
	CHECK_INT(guards_at(&zero, 0, 0, 0, "GUARD004"), 0);
	CHECK_INT(guards_at(&zero, 100, 100, 0, "GUARD006"), 0);
	CHECK_INT(guards_at(&zero, 100, 100, 1, "GUARD006"), 1);
	CHECK_INT(guards_at(&zero, 100, 100, 0, "GUARD005"), 0);
	CHECK_INT(guards_at(&zero, 99, 100, 0, "GUARD005"), 1);  /* maxDropPercent 0 */
	/* minUsers not set is 1; the others are off */
	CHECK_INT(guards_at(&unset, 1, 1, 0, "GUARD004"), 0);
	CHECK_INT(guards_at(&unset, 0, 1, 0, "GUARD004"), 1);
	CHECK_INT(guards_at(&unset, 1, 100, 99, "GUARD005") + guards_at(&unset, 1, 100, 99,
									    "GUARD006"), 0);
	/* unknown counts: every guard that is set says it was not evaluated */
	CHECK_INT(guards_at(&so, DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN,
			    "GUARD008"), 3);
	CHECK_INT(guards_at(&so, 10, 10, DG_GUARD_UNKNOWN, "GUARD008"), 1);
	CHECK_INT(guards_at(&unset, DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN, DG_GUARD_UNKNOWN,
			    "GUARD008"), 1);
}

/* The dry run's result, read tolerantly. */
static void test_sync_result_counts(void)
{
	dg_guard_counts c;
	cJSON *r = cJSON_Parse("{\"created\":[\"a\"],\"modified\":[\"b\",\"c\"],"
			       "\"deleted\":[\"d\",\"e\",\"f\"],\"unchanged\":[\"g\"]}");

	CHECK(dg_sync_result_counts(r, &c));
	CHECK_INT(c.deletes, 3);
	CHECK_INT(c.directory_users, 4);
	CHECK_INT(c.server_users, 6);
	cJSON_Delete(r);
	r = cJSON_Parse("{\"Added\":2,\"Updated\":0,\"Removed\":7}");
	CHECK(dg_sync_result_counts(r, &c));
	CHECK_INT(c.deletes, 7);
	CHECK(c.directory_users == DG_GUARD_UNKNOWN && c.server_users == DG_GUARD_UNKNOWN);
	cJSON_Delete(r);
	r = cJSON_Parse("{\"deleted\":-1}");
	CHECK(!dg_sync_result_counts(r, &c));
	cJSON_Delete(r);
	r = cJSON_Parse("\"Synchronization finished\"");
	CHECK(!dg_sync_result_counts(r, &c));
	cJSON_Delete(r);
	CHECK(!dg_sync_result_counts(NULL, &c));
	CHECK(c.deletes == DG_GUARD_UNKNOWN);
}

/* A sealed plan verifies against its profile; an edit or another profile
 * does not. */
static void test_plan_digest(void)
{
	char prof[] = "/tmp/dg-t-prof-XXXXXX";
	int fd = mkstemp(prof);
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_saved_plan sp = { 0 };
	dg_error err = { 0 };
	char *edited;

	CHECK(fd >= 0 && write(fd, "{\"name\":\"a\"}", 12) == 12);
	close(fd);
	dg_strbuf_addf(&sb, "{\"dirgatePlan\":1,\"findings\":[{\"code\":\"GUARD006\"}],"
		       "\"profileFile\":\"%s\"}", prof);
	CHECK_INT(dg_plan_seal(&sb, prof, &err), DG_OK);
	sp.root = cJSON_Parse(sb.buf);
	sp.profile_path = prof;
	CHECK_INT(dg_saved_plan_verify(&sp, "p.plan", &err), DG_OK);
	cJSON_Delete(sp.root);
	/* the guard finding dropped by an edit */
	edited = dg_xstrdup(sb.buf);
	memcpy(strstr(edited, "GUARD006"), "GUARD000", 8);
	sp.root = cJSON_Parse(edited);
	CHECK(dg_saved_plan_verify(&sp, "p.plan", &err) != DG_OK);
	CHECK(strstr(err.message, "API015") != NULL);
	cJSON_Delete(sp.root);
	free(edited);
	/* the profile changed */
	sp.root = cJSON_Parse(sb.buf);
	fd = open(prof, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, " ", 1) == 1);
	close(fd);
	CHECK(dg_saved_plan_verify(&sp, "p.plan", &err) != DG_OK);
	cJSON_DeleteItemFromObject(sp.root, "digest");
	CHECK(dg_saved_plan_verify(&sp, "p.plan", &err) != DG_OK);
	CHECK(strstr(err.message, "no digest") != NULL);
	cJSON_Delete(sp.root);
	unlink(prof);
	dg_strbuf_release(&sb);
}

int main(void)
{
	RUN(test_envelope_success_with_bom);
	RUN(test_envelope_running_and_failed);
	RUN(test_envelope_bad);
	RUN(test_metadata_forms);
	RUN(test_metadata_bad);
	RUN(test_json_pointer);
	RUN(test_tmap_default);
	RUN(test_tmap_apply);
	RUN(test_mask_names_and_shapes);
	RUN(test_plan_diff);
	RUN(test_drop_vanished);
	RUN(test_plan_vanished);
	RUN(test_renames_file);
	RUN(test_fill_secrets_only_where_mapped);
	RUN(test_max_deletes_default);
	RUN(test_guard_limits);
	RUN(test_sync_result_counts);
	RUN(test_plan_digest);
	return dg_t_done();
}
