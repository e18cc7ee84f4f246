/* Microsoft 365 pieces without the network: cert new, the client assertion
 * (decoded and verified with the certificate's public key), the AADSTS
 * findings, endpoint overrides, and the Graph page / user parsers. */
#include "connectors/m365/entra_token.h"
#include "connectors/m365/m365_profile.h"
#include "connectors/m365/m365_graph.h"
#include "core/cert.h"
#include "core/checks.h"
#include "mailstore/rules.h"
#include "core/profile.h"
#include "core/secret.h"
#include "core/strbuf.h"
#include "core/validate.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/dg-test-m365-XXXXXX";
static dg_cert_new_result pair;

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[4096];
	size_t n;
	*len = 0;
	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		dg_strbuf_add(&sb, buf, n);
	fclose(f);
	*len = sb.len;
	return dg_strbuf_detach(&sb);
}

static dg_profile *m365_profile(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *json = dg_xasprintf(
		"{\"name\": \"t\", \"directory\": {\"type\": \"microsoft-365\", "
		"\"tenantId\": \"contoso.onmicrosoft.com\", "
		"\"clientId\": \"8255370c-5d0d-4f37-97e7-30f9bf8a6fbf\", "
		"\"certificate\": {\"certFile\": \"%s\", \"keyFile\": \"%s\"}}}",
		pair.cert_file, pair.key_file);
	dg_profile *p = dg_profile_parse(json, strlen(json), "t.json", &f);
	free(json);
	dg_findings_clear(&f);
	return p;
}

static void test_cert_new(void)
{
	dg_cert_new_opts o = { "CN=unit test", 30, tmpdir };
	dg_cert_new_result again;
	dg_cert_prints pr;
	dg_error err;
	struct stat st;

	CHECK_INT(dg_cert_new(&o, &pair, &err), DG_OK);
	CHECK(stat(pair.key_file, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(dg_cert_prints_file(pair.cert_file, &pr, NULL, 0) == 0);
	CHECK_STR(pr.sha1_hex, pair.prints.sha1_hex);
	CHECK_STR(pair.prints.subject, "CN=unit test");
	CHECK(strlen(pair.prints.sha1_hex) == 40 && strlen(pair.prints.sha256_hex) == 64);
	CHECK(pair.prints.not_after_t - time(NULL) > 29 * 86400L);
	/* never overwrites */
	CHECK_INT(dg_cert_new(&o, &again, &err), DG_E_IO);
	CHECK(strstr(err.message, "already exists") != NULL);
	o.days = 0;
	CHECK_INT(dg_cert_new(&o, &again, &err), DG_E_USAGE);
	o.days = 30;
	o.subject = "CN=";
	CHECK_INT(dg_cert_new(&o, &again, &err), DG_E_USAGE);
}

/* base64url -> bytes, NUL-terminated (JSON parts of a JWT). */
static char *b64url_decode(const char *s, size_t n)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	unsigned char *out;
	int len;
	for (size_t i = 0; i < n; i++)
		dg_strbuf_addch(&sb, s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i]);
	while (sb.len % 4)
		dg_strbuf_addch(&sb, '=');
	out = dg_xmalloc(sb.len + 1);
	len = EVP_DecodeBlock(out, (unsigned char *)sb.buf, (int)sb.len);
	out[len > 0 ? len : 0] = 0;
	dg_strbuf_release(&sb);
	return (char *)out;
}

static char *pubkey_pem(void)
{
	FILE *f = fopen(pair.cert_file, "r");
	X509 *c = PEM_read_X509(f, NULL, NULL, NULL);
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;
	fclose(f);
	PEM_write_bio_PUBKEY(b, X509_get0_pubkey(c));
	n = BIO_get_mem_data(b, &data);
	out = dg_xstrndup(data, (size_t)n);
	BIO_free(b);
	X509_free(c);
	return out;
}

static void test_assertion(void)
{
	const char *aud = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
	size_t klen = 0;
	char *key = slurp(pair.key_file, &klen), *pub = pubkey_pem();
	time_t now = time(NULL);
	dg_error err;
	char *a = dg_entra_assertion(key, klen, pair.prints.x5t, "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf",
				     aud, NULL, now, &err);
	char *b = dg_entra_assertion(key, klen, pair.prints.x5t, "x", aud, NULL, now, &err);
	const char *dot1 = a ? strchr(a, '.') : NULL, *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	jwt_t *jwt = NULL;

	CHECK(a && dot1 && dot2);
	if (!dot2)
		goto out;
	{
		char *h = b64url_decode(a, (size_t)(dot1 - a));
		char *c = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1));
		cJSON *hj = cJSON_Parse(h), *cj = cJSON_Parse(c), *bj;
		char *bc = NULL;
		const char *bd1 = strchr(b, '.'), *bd2 = strchr(bd1 + 1, '.');
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(hj, "alg")), "RS256");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(hj, "x5t")), pair.prints.x5t);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "aud")), aud);
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "iss")),
			  "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf");
		CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "sub")),
			  "8255370c-5d0d-4f37-97e7-30f9bf8a6fbf");
		CHECK(dg_is_guid(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "jti"))));
		CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cj, "nbf")), now);
		CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cj, "iat")), now);
		CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(cj, "exp")), now + 600);
		/* a fresh jti every time */
		bc = b64url_decode(bd1 + 1, (size_t)(bd2 - bd1 - 1));
		bj = cJSON_Parse(bc);
		CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cj, "jti")),
			     cJSON_GetStringValue(cJSON_GetObjectItem(bj, "jti"))) != 0);
		cJSON_Delete(hj);
		cJSON_Delete(cj);
		cJSON_Delete(bj);
		free(h);
		free(c);
		free(bc);
	}
	/* the signature verifies with the certificate's public key */
	CHECK(jwt_decode(&jwt, a, (const unsigned char *)pub, (int)strlen(pub)) == 0);
	jwt_free(jwt);
	/* and not after tampering */
	a[strlen(a) - 5] = a[strlen(a) - 5] == 'A' ? 'B' : 'A';
	jwt = NULL;
	CHECK(jwt_decode(&jwt, a, (const unsigned char *)pub, (int)strlen(pub)) != 0);
	jwt_free(jwt);
	/* a key that is not one */
	CHECK(dg_entra_assertion("nope", 4, "x", "c", aud, NULL, now, &err) == NULL);
out:
	dg_secret_free(a);
	dg_secret_free(b);
	free(key);
	free(pub);
}

static const char *finding_for(long aadsts, const char *error, char *msg, size_t n)
{
	static char code[16];
	dg_profile *p = m365_profile();
	dg_findings f = DG_FINDINGS_INIT;
	dg_oauth_error oe = { 400, (char *)error, (char *)"AADSTS0: text\r\nTrace ID: x", aadsts };
	dg_entra_error_finding(&oe, p, &pair.prints, &f);
	snprintf(code, sizeof code, "%s", f.nr ? f.items[0].code : "");
	snprintf(msg, n, "%s", f.nr ? f.items[0].message : "");
	dg_findings_clear(&f);
	dg_profile_free(p);
	return code;
}

static void test_aadsts_findings(void)
{
	char msg[1024];
	CHECK_STR(finding_for(700027, "invalid_client", msg, sizeof msg), "M365005");
	CHECK(strstr(msg, pair.prints.sha1_hex) != NULL);
	CHECK_STR(finding_for(7000215, "invalid_client", msg, sizeof msg), "M365006");
	CHECK_STR(finding_for(700016, "unauthorized_client", msg, sizeof msg), "M365007");
	CHECK_STR(finding_for(90002, "invalid_request", msg, sizeof msg), "M365008");
	CHECK_STR(finding_for(900023, "invalid_request", msg, sizeof msg), "M365009");
	CHECK_STR(finding_for(700024, "invalid_client", msg, sizeof msg), "M365010");
	CHECK_STR(finding_for(7000112, "unauthorized_client", msg, sizeof msg), "M365012");
	CHECK(strstr(msg, "Trace ID") == NULL);  /* only the first line */
}

static void test_endpoints(void)
{
	dg_profile *p = m365_profile();
	dg_dir_m365 *m = p->directory.opts; /* parsed: the profile's own */
	dg_error err;
	char *u;

	u = dg_entra_token_url(p, &err);
	CHECK_STR(u, "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
	free(u);
	u = dg_graph_origin(p, &err);
	CHECK_STR(u, "https://graph.microsoft.com");
	free(u);
	m->authority_url = dg_xstrdup("https://127.0.0.1:9443/");
	u = dg_entra_token_url(p, &err);
	CHECK_STR(u, "https://127.0.0.1:9443/contoso.onmicrosoft.com/oauth2/v2.0/token");
	free(u);
	free(m->authority_url);
	m->authority_url = dg_xstrdup("http://127.0.0.1:9443");
	CHECK(dg_entra_token_url(p, &err) == NULL && err.code == DG_E_USAGE);
	m->api_url = dg_xstrdup("https://graph.example.net");
	CHECK(dg_graph_origin(p, &err) == NULL && err.code == DG_E_USAGE);
	dg_profile_free(p);
}

static void test_pages(void)
{
	dg_graph_page pg;
	char why[256];
	const char *ok = "{\"value\": [{\"id\": \"a\"}], \"@odata.nextLink\": \"https://g/v1.0/users?$skiptoken=x\"}";

	CHECK(dg_graph_parse_page(ok, strlen(ok), &pg, why, sizeof why) == 0);
	CHECK_STR(pg.next_link, "https://g/v1.0/users?$skiptoken=x");
	CHECK_INT(cJSON_GetArraySize(pg.value), 1);
	dg_graph_page_free(&pg);
	CHECK(dg_graph_parse_page("{\"value\": []}", 13, &pg, why, sizeof why) == 0 && !pg.next_link);
	dg_graph_page_free(&pg);
	CHECK(dg_graph_parse_page("{\"value\": [", 11, &pg, why, sizeof why) < 0);
	CHECK(strstr(why, "not valid JSON") != NULL);
	CHECK(dg_graph_parse_page("{\"values\": []}", 14, &pg, why, sizeof why) < 0);
	CHECK(dg_graph_parse_page("[1]", 3, &pg, why, sizeof why) < 0);
	CHECK(dg_graph_parse_page("{\"value\": [], \"@odata.nextLink\": \"http://x\"}", 44, &pg, why,
				  sizeof why) < 0);
	CHECK(dg_graph_parse_page("{\"value\": [], \"@odata.nextLink\": 5}", 35, &pg, why,
				  sizeof why) < 0);
}

static void test_graph_error(void)
{
	char code[64], msg[128];
	const char *e = "{\"error\": {\"code\": \"Authorization_RequestDenied\", \"message\": \"Insufficient\"}}";
	CHECK(dg_graph_parse_error(e, strlen(e), code, sizeof code, msg, sizeof msg) == 0);
	CHECK_STR(code, "Authorization_RequestDenied");
	CHECK_STR(msg, "Insufficient");
	CHECK(dg_graph_parse_error("<html>", 6, code, sizeof code, msg, sizeof msg) < 0);
	CHECK_STR(code, "");
}

/* Reads one /users page with the streaming reader, fed `step` bytes at a
 * time (0: all at once).  Returns the reader's result; the records go to l. */
static int read_users(const char *page, size_t step, dg_dir_user_list *l, size_t *entries,
		      char **next, dg_strbuf *why)
{
	dg_graph_users_reader *r = dg_graph_users_reader_new(l, NULL, NULL);
	size_t len = strlen(page), n;
	int rc = 0;

	for (size_t off = 0; rc == 0 && off < len; off += n) {
		n = step && len - off > step ? step : len - off;
		rc = dg_graph_users_feed(r, page + off, n, why);
	}
	if (rc == 0)
		rc = dg_graph_users_finish(r, why);
	*entries = dg_graph_users_entries(r);
	*next = dg_graph_users_next_link(r) ? dg_xstrdup(dg_graph_users_next_link(r)) : NULL;
	dg_graph_users_reader_free(r);
	return rc;
}

/* The licence rule: a plan of service "exchange" (any case) Enabled. */
static int licensed(const char *plans)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_strbuf why = DG_STRBUF_INIT, page = DG_STRBUF_INIT;
	size_t entries;
	char *next;
	int rc;

	l.arena = dg_arena_new();
	dg_strbuf_addf(&page, "{\"value\": [{\"id\": \"1\"%s%s}]}", plans ? ", \"assignedPlans\": " : "",
		       plans ? plans : "");
	rc = read_users(page.buf, 0, &l, &entries, &next, &why) == 0 && l.nr == 1 ? l.items[0].exchange : -9;
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
	dg_strbuf_release(&page);
	return rc;
}

static void test_exchange(void)
{
	CHECK_INT(licensed("[{\"service\": \"SharePoint\", \"capabilityStatus\": \"Enabled\"},"
			   " {\"service\": \"Exchange\", \"capabilityStatus\": \"Enabled\"}]"), 1);
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"Suspended\"},"
			   " {\"service\": \"exchange\", \"capabilityStatus\": \"Deleted\"}]"), 0);
	/* a licence in its grace period does not count (M365027 names the user) */
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"Warning\"}]"), 0);
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"Warning\"}, "
			   "{\"service\": \"exchange\", \"capabilityStatus\": \"Enabled\"}]"), 1);
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"LockedOut\"}]"), 0);
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"warning\"}]"), 0);
	/* the two members must be of one plan, and the first of a repeated key counts */
	CHECK_INT(licensed("[{\"service\": \"exchange\"}, {\"capabilityStatus\": \"Enabled\"}]"), 0);
	CHECK_INT(licensed("[{\"service\": \"exchange\", \"capabilityStatus\": \"Deleted\", "
			   "\"capabilityStatus\": \"Enabled\"}]"), 0);
	CHECK_INT(licensed("[{\"service\": {\"x\": \"exchange\"}, \"capabilityStatus\": \"Enabled\"}]"), 0);
	CHECK_INT(licensed("[]"), 0);
	CHECK_INT(licensed("{}"), -1);
	CHECK_INT(licensed("null"), -1);
	CHECK_INT(licensed(NULL), -1);
}

static void test_users_page(void)
{
	static const char page[] =
		"{\"@odata.context\": \"x\", \"value\": ["
		"{\"id\": \"1\", \"userPrincipalName\": \"Alice@Contoso.com\", \"displayName\": \"Alice\", "
		"\"mail\": \"alice@contoso.com\", \"proxyAddresses\": [\"smtp:a@contoso.com\", "
		"\"SMTP:alice@contoso.com\", 7, \"\", [\"smtp:nested@x\"]], \"accountEnabled\": false, "
		"\"assignedPlans\": [], \"manager\": {\"id\": \"9\", \"mail\": \"boss@x\"}},"
		"{\"id\": \"2\", \"mail\": null, \"accountEnabled\": true, \"id\": \"dup\"},"
		"{\"userPrincipalName\": \"no-id@x\"}, {\"id\": \"\"}, 5, [\"id\"], "
		"{\"id\": \"3\", \"displayName\": \"Ren\\u00e9 \\\"R\\\"\", \"proxyAddresses\": "
		"[\"smtp:first@x\"], \"proxyAddresses\": [\"smtp:second@x\"]}"
		"], \"@odata.nextLink\": \"https://graph.example/v1.0/users?$skiptoken=x%27\"}";
	static const size_t steps[] = { 0, 1, 7, 64 };

	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
		dg_strbuf why = DG_STRBUF_INIT;
		size_t entries;
		char *next;
		dg_dir_user *r;

		l.arena = dg_arena_new();
		CHECK(read_users(page, steps[i], &l, &entries, &next, &why) == 0);
		CHECK_INT(entries, 7);   /* every element of "value", users or not */
		CHECK_INT(l.nr, 3);      /* only objects with a non-empty string id */
		CHECK_STR(next, "https://graph.example/v1.0/users?$skiptoken=x%27");
		if (l.nr == 3) {
			r = &l.items[0];
			CHECK_STR(r->entry, "1");
			CHECK_STR(r->name_value, "Alice@Contoso.com");
			CHECK_STR(r->full_name, "Alice");
			CHECK(r->mails.nr == 1 && !strcmp(r->mails.items[0], "alice@contoso.com"));
			CHECK_INT(r->proxy_addresses.nr, 2);
			CHECK_INT(r->disabled, 1);
			CHECK_INT(r->exchange, 0);
			CHECK(r->dn == NULL);
			r = &l.items[1];
			CHECK(!strcmp(r->entry, "2") && r->mails.nr == 0 && r->disabled == 0 &&
			      r->exchange == -1 && !r->name_value);
			r = &l.items[2];
			CHECK_STR(r->full_name, "Ren\xc3\xa9 \"R\"");
			CHECK(r->proxy_addresses.nr == 1 &&
			      !strcmp(r->proxy_addresses.items[0], "smtp:first@x"));
			CHECK_INT(r->disabled, -1);
		}
		dg_dir_user_list_clear(&l);
		dg_strbuf_release(&why);
		free(next);
	}
}

/* The page's shape and syntax: refused with a reason, like the tree pages. */
static void test_users_page_refused(void)
{
	static const struct { const char *page, *why; } bad[] = {
		{ "{\"value\": [", "not valid JSON: it ends after 11 bytes" },
		{ "{\"values\": []}", "JSON without a \"value\" array" },
		{ "[1]", "JSON without a \"value\" array" },
		{ "{\"value\": {}}", "JSON without a \"value\" array" },
		{ "{\"value\": [], \"@odata.nextLink\": \"http://x\"}", "is not an https URL" },
		{ "{\"value\": [], \"@odata.nextLink\": 5}", "is not an https URL" },
		{ "{\"value\": []} x", "not valid JSON at byte" },
		{ "{\"value\": [\"\xff\"]}", "not valid JSON at byte" },
		{ "", "not valid JSON: it ends after 0 bytes" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
		dg_strbuf why = DG_STRBUF_INIT;
		size_t entries;
		char *next;
		CHECK(read_users(bad[i].page, 3, &l, &entries, &next, &why) < 0);
		if (!strstr(why.buf ? why.buf : "", bad[i].why))
			printf("# page %zu: %s\n", i, why.buf ? why.buf : "(none)");
		CHECK(why.buf && strstr(why.buf, bad[i].why));
		dg_dir_user_list_clear(&l);
		dg_strbuf_release(&why);
		free(next);
	}
}

static void test_odata(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_graph_odata_quote(&sb, "O'Brien's");
	CHECK_STR(sb.buf, "'O''Brien''s'");
	dg_strbuf_release(&sb);
	CHECK(dg_is_guid("a46e558d-11cb-4400-aab0-9c1ca969e615"));
	CHECK(!dg_is_guid("a46e558d-11cb-4400-aab0-9c1ca969e61"));
	CHECK(!dg_is_guid("a46e558d11cb-4400-aab0-9c1ca969e6155"));
	CHECK(!dg_is_guid("MailStore Users"));
}

static void cleanup(void)
{
	if (pair.key_file)
		unlink(pair.key_file);
	if (pair.cert_file)
		unlink(pair.cert_file);
	rmdir(tmpdir);
	dg_cert_new_result_release(&pair);
}

/* M365024's reminder names the URI to register; when the URI check has
 * just called that URI wrong, it must not say to register it as it is. */
static const dg_finding *entra_note(const char *uri, dg_findings *f)
{
	char *json = dg_xasprintf(
		"{\"name\": \"t\", \"directory\": {\"type\": \"microsoft-365\", "
		"\"tenantId\": \"contoso.onmicrosoft.com\", "
		"\"clientId\": \"8255370c-5d0d-4f37-97e7-30f9bf8a6fbf\", \"snapshot\": \"x.jsonl\"}, "
		"\"authentication\": {\"method\": \"microsoft-365\", \"redirectUri\": \"%s\"}}", uri);
	dg_profile *p = dg_profile_parse(json, strlen(json), "t.json", f);
	const dg_finding *note = NULL;
	free(json);
	if (p)
		dg_check_offline(p, f);
	dg_profile_free(p);
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, "M365024"))
			note = &f->items[i];
	return note;
}

static void test_redirect_note(void)
{
	static const char *const wrong[] = {
		"http://archive.contoso.com:8462/oidc/signin",
		"https://archive.contoso.com:8462/oidc/login",
		"https://archive.contoso.com:8462/oidc/signin/",
	};
	const char *good = "https://archive.contoso.com:8462/oidc/signin";
	dg_findings f = DG_FINDINGS_INIT;
	const dg_finding *note = entra_note(good, &f);
	CHECK(note && strstr(note->message, good));
	dg_findings_clear(&f);
	for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
		note = entra_note(wrong[i], &f);
		CHECK(note != NULL);
		if (note && (strstr(note->message, wrong[i]) || strstr(note->hint, "as here")))
			printf("# %s: %s / %s\n", wrong[i], note->message, note->hint);
		CHECK(note && !strstr(note->message, wrong[i]) && strstr(note->message, "corrected"));
		CHECK(note && note->hint && !strstr(note->hint, "as here"));
		dg_findings_clear(&f);
	}
}

/* The findings check --offline gives a profile with these test-only
 * endpoint keys ("" leaves a key out). */
static void endpoint_findings(const char *api, const char *authority, dg_findings *f)
{
	char *json = dg_xasprintf(
		"{\"name\": \"t\", \"directory\": {\"type\": \"microsoft-365\", "
		"\"tenantId\": \"contoso.onmicrosoft.com\", "
		"\"clientId\": \"8255370c-5d0d-4f37-97e7-30f9bf8a6fbf\", \"snapshot\": \"x.jsonl\""
		"%s%s%s%s%s%s}}", *api ? ", \"apiUrl\": \"" : "", api, *api ? "\"" : "",
		*authority ? ", \"authorityUrl\": \"" : "", authority, *authority ? "\"" : "");
	dg_profile *p = dg_profile_parse(json, strlen(json), "t.json", f);
	free(json);
	if (p)
		dg_check_offline(p, f);
	dg_profile_free(p);
}

static const dg_finding *code_at(const dg_findings *f, const char *code, const char *path)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code) && !strcmp(f->items[i].path, path))
			return &f->items[i];
	return NULL;
}

/* apiUrl and authorityUrl are for tests: Microsoft's own origin passes,
 * an emulator on this computer is a warning (M365042), anything else an
 * error (M365041), before a live command would refuse it. */
static void test_endpoint_checks(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	const dg_finding *fd;

	endpoint_findings("https://graph.microsoft.com/", "https://login.microsoftonline.com", &f);
	CHECK(!code_at(&f, "M365041", "/directory/apiUrl") &&
	      !code_at(&f, "M365042", "/directory/apiUrl") &&
	      !code_at(&f, "M365041", "/directory/authorityUrl") &&
	      !code_at(&f, "M365042", "/directory/authorityUrl"));
	dg_findings_clear(&f);

	endpoint_findings("https://127.0.0.1:9443", "https://localhost:9444/", &f);
	fd = code_at(&f, "M365042", "/directory/apiUrl");
	CHECK(fd && fd->severity == DG_SEV_WARNING && strstr(fd->message, "127.0.0.1:9443"));
	fd = code_at(&f, "M365042", "/directory/authorityUrl");
	CHECK(fd && fd->severity == DG_SEV_WARNING);
	dg_findings_clear(&f);

	endpoint_findings("https://graph.example.net", "http://127.0.0.1:9443", &f);
	fd = code_at(&f, "M365041", "/directory/apiUrl");
	CHECK(fd && fd->severity == DG_SEV_ERROR && strstr(fd->message, "graph.example.net") &&
	      fd->hint && strstr(fd->hint, "https://graph.microsoft.com"));
	fd = code_at(&f, "M365041", "/directory/authorityUrl");
	CHECK(fd && fd->severity == DG_SEV_ERROR);
	dg_findings_clear(&f);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(test_redirect_note);
	RUN(test_endpoint_checks);
	RUN(test_cert_new);
	RUN(test_assertion);
	RUN(test_aadsts_findings);
	RUN(test_endpoints);
	RUN(test_pages);
	RUN(test_graph_error);
	RUN(test_exchange);
	RUN(test_users_page);
	RUN(test_users_page_refused);
	RUN(test_odata);
	cleanup();
	return dg_t_done();
}
