/* Google Workspace connector pieces that need no network: the Admin SDK
 * page reader, the snapshot reader, the token answer parser, the finding
 * for each OAuth error, the key file loader and the signed assertion. */
#include "test.h"

#include "connectors/google/google.h"
#include "connectors/google/google_auth.h"
#include "connectors/google/google_pages.h"
#include "core/profile.h"
#include "core/secret.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

static cJSON *J(const char *s)
{
	cJSON *c = cJSON_Parse(s);
	if (!c)
		printf("# bad test JSON: %s\n", s);
	return c;
}

static int feed_users(dg_google_feed *f, const char *page, char **next, dg_strbuf *why)
{
	return dg_google_feed_users_text(f, page, strlen(page), next, why);
}

static void test_users_page(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_google_feed f;
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;

	dg_google_feed_init(&f, NULL, &l);
	CHECK_INT(feed_users(&f, "{\"users\": ["
			     "{\"id\": \"1\", \"primaryEmail\": \"Ann@Example.com\", "
			     " \"name\": {\"fullName\": \"Ann A\"}, \"aliases\": [\"a@example.com\"],"
			     " \"suspended\": true},"
			     "{\"id\": \"2\", \"primaryEmail\": \"bob@example.com\", \"archived\": true,"
			     " \"name\": {\"givenName\": \"Bob\", \"familyName\": \"B\"}},"
			     "{\"id\": \"3\"}],"
			     "\"nextPageToken\": \"tok-2\"}", &next, &why), 0);
	CHECK_STR(next, "tok-2");
	CHECK_INT(l.nr, 3);
	CHECK_STR(l.items[0].entry, "Ann@Example.com");
	CHECK_STR(l.items[0].name_value, "Ann@Example.com");
	CHECK_STR(l.items[0].full_name, "Ann A");
	CHECK_INT(l.items[0].mails.nr, 2);
	CHECK_STR(l.items[0].mails.items[1], "a@example.com");
	CHECK_INT(l.items[0].disabled, 1);
	CHECK_INT(l.items[0].archived, 0);
	CHECK_STR(l.items[1].full_name, "Bob B");
	CHECK_INT(l.items[1].disabled, 0);
	CHECK_INT(l.items[1].archived, 1);
	CHECK_STR(l.items[2].entry, "3"); /* no primaryEmail: the id, no user name */
	CHECK(l.items[2].name_value == NULL);
	CHECK_INT(f.suspended, 1);
	CHECK_INT(f.archived, 1);
	CHECK_INT(f.entries_read, 3);
	free(next);
	/* the last page: no token, an empty token too */
	CHECK_INT(feed_users(&f, "{\"nextPageToken\": \"\"}", &next, &why), 0);
	CHECK(next == NULL);
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

static void expect_bad_page(const char *page, const char *want)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_google_feed f;
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;

	dg_google_feed_init(&f, NULL, &l);
	CHECK_INT(feed_users(&f, page, &next, &why), -1);
	CHECK(next == NULL);
	if (!strstr(why.buf, want))
		printf("# why: %s (want %s)\n", why.buf, want);
	CHECK(strstr(why.buf, want) != NULL);
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

static void test_users_page_shape(void)
{
	expect_bad_page("{\"users\": {}}", "\"users\" is not an array");
	expect_bad_page("{\"users\": [1]}", "user 1 is not an object");
	expect_bad_page("{\"users\": [{\"primaryEmail\": 5}]}", "\"primaryEmail\" is not a string");
	expect_bad_page("{\"users\": [{\"suspended\": \"yes\"}]}", "\"suspended\" is not true or false");
	expect_bad_page("{\"nextPageToken\": 7}", "\"nextPageToken\" is not a string");
	expect_bad_page("{\"users\": [{}, {\"aliases\": \"x\"}]}", "\"aliases\" is not an array (user 2)");
	expect_bad_page("{\"users\": [{\"id\": 5}]}", "\"id\" is not a string (user 1)");
	expect_bad_page("[]", "the page is not a JSON object");
	expect_bad_page("{\"users\": [", "not valid JSON");
}

/* However the page arrives in pieces, the stream reader finds the same
 * users; a page given up before its end adds nothing to the counts. */
static void test_users_stream(void)
{
	static const char page[] =
		"{\"kind\": \"admin#directory#users\", \"users\": ["
		"{\"id\": \"1\", \"primaryEmail\": \"ann@example.com\", \"name\": {\"fullName\": "
		"\"Ann \\u00c5berg\"}, \"aliases\": [\"a1@example.com\", \"\", 5, \"a2@example.com\"]},"
		"{\"id\": \"2\", \"primaryEmail\": \"bob@example.com\", \"suspended\": true},"
		"{\"id\": \"3\", \"primaryEmail\": \"cy@example.com\", \"archived\": true}],"
		"\"nextPageToken\": \"t2\"}";
	size_t len = strlen(page);
	int all_same = 1;

	for (size_t cut = 0; cut <= len; cut++) {
		dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
		dg_strbuf why = DG_STRBUF_INIT;
		dg_google_feed f;
		dg_google_users_reader *r;
		char *next = NULL;
		int rc;

		dg_google_feed_init(&f, NULL, &l);
		r = dg_google_users_reader_new(&f);
		rc = dg_google_users_feed(r, page, cut, &why) ||
		     dg_google_users_feed(r, page + cut, len - cut, &why) ||
		     dg_google_users_finish(r, &next, &why);
		all_same &= rc == 0 && l.nr == 3 && f.entries_read == 3 && f.suspended == 1 &&
			    f.archived == 1 && next && !strcmp(next, "t2") &&
			    !strcmp(l.items[0].full_name, "Ann \xc3\x85" "berg") &&
			    l.items[0].mails.nr == 3 && !strcmp(l.items[0].mails.items[2], "a2@example.com");
		free(next);
		dg_google_users_reader_free(r);
		dg_google_feed_release(&f);
		dg_dir_user_list_clear(&l);
		dg_strbuf_release(&why);
	}
	CHECK(all_same);

	/* cut off after two users: records were made, the counts stay 0 */
	{
		dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
		dg_strbuf why = DG_STRBUF_INIT;
		dg_google_feed f;
		dg_google_users_reader *r;
		const char *third = strstr(page, "{\"id\": \"3\"");

		dg_google_feed_init(&f, NULL, &l);
		r = dg_google_users_reader_new(&f);
		CHECK_INT(dg_google_users_feed(r, page, (size_t)(third - page), &why), 0);
		CHECK_INT(l.nr, 2);
		dg_google_users_reader_free(r);
		CHECK_INT(f.entries_read, 0);
		CHECK_INT(f.suspended, 0);
		CHECK_INT(f.suspended_names.nr, 0);
		dg_google_feed_release(&f);
		dg_dir_user_list_clear(&l);
		dg_strbuf_release(&why);
	}
}

/* A page that begins with the user the page before began with is the same
 * page again (a broken chain); an empty page or another first user is not. */
static void test_users_page_repeats(void)
{
	static const char *const pages[] = {
		"{\"users\": [{\"id\": \"1\", \"primaryEmail\": \"a@x.com\"}], "
		"\"nextPageToken\": \"t1\"}",
		"{\"users\": [{\"id\": \"2\", \"primaryEmail\": \"b@x.com\"}, "
		"{\"id\": \"3\"}], \"nextPageToken\": \"t2\"}",
		"{\"users\": [{\"id\": \"2\", \"primaryEmail\": \"b@x.com\"}], "
		"\"nextPageToken\": \"t3\"}",
		"{\"nextPageToken\": \"t4\"}",
		"{\"users\": [{\"id\": \"2\"}], \"nextPageToken\": \"t5\"}",
		"{\"users\": [{\"primaryEmail\": \"c@x.com\"}], \"nextPageToken\": \"t6\"}",
		"{\"users\": [{\"primaryEmail\": \"c@x.com\"}]}",
	};
	static const int repeats[] = { 0, 0, 1, 0, 0, 0, 0 };
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_strbuf why = DG_STRBUF_INIT;
	dg_google_feed f;

	dg_google_feed_init(&f, NULL, &l);
	for (size_t i = 0; i < sizeof(pages) / sizeof(*pages); i++) {
		CHECK_INT(feed_users(&f, pages[i], NULL, &why), 0);
		CHECK_INT(f.page_repeats, repeats[i]);
	}
	/* a page given up half-way leaves the last whole page's first user */
	{
		static const char half[] = "{\"users\": [{\"id\": \"9\"}, ";
		dg_google_users_reader *r;

		CHECK_INT(feed_users(&f, pages[0], NULL, &why), 0);
		r = dg_google_users_reader_new(&f);
		CHECK_INT(dg_google_users_feed(r, half, strlen(half), &why), 0);
		dg_google_users_reader_free(r);
		CHECK_STR(f.first_user_id, "1");
		CHECK_INT(feed_users(&f, pages[0], NULL, &why), 0);
		CHECK_INT(f.page_repeats, 1);
	}
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

/* As with cJSON, the first of two equal keys counts, whatever its type. */
static void test_users_first_key(void)
{
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_google_feed f;
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;

	dg_google_feed_init(&f, NULL, &l);
	CHECK_INT(feed_users(&f, "{\"users\": [{\"primaryEmail\": \"a@example.com\", "
			     "\"primaryEmail\": 5, \"name\": {\"fullName\": 1, \"fullName\": \"X\", "
			     "\"givenName\": \"G\"}, \"name\": {\"fullName\": \"Y\"}, "
			     "\"suspended\": false, \"suspended\": \"yes\"}], "
			     "\"users\": 7, \"nextPageToken\": null, \"nextPageToken\": 3}",
			     &next, &why), 0);
	CHECK_INT(l.nr, 1);
	CHECK_STR(l.items[0].entry, "a@example.com");
	CHECK_STR(l.items[0].full_name, "G");
	CHECK_INT(l.items[0].disabled, 0);
	CHECK(next == NULL);
	/* a string with a NUL ends there, as cJSON reads it */
	CHECK_INT(feed_users(&f, "{\"users\": [{\"primaryEmail\": \"b@example.com\\u0000x\"}]}",
			     &next, &why), 0);
	CHECK_STR(l.items[1].entry, "b@example.com");
	/* no primaryEmail and no id: named by its place */
	CHECK_INT(feed_users(&f, "{\"users\": [{}]}", &next, &why), 0);
	CHECK_STR(l.items[2].entry, "(user 1 of users page 3)");
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

static void test_parse_object(void)
{
	dg_strbuf why = DG_STRBUF_INIT;
	cJSON *c = dg_google_parse_object("{\"a\":\n 1,}", 10, &why);
	CHECK(c == NULL);
	CHECK(strstr(why.buf, "line 2") != NULL);
	dg_strbuf_reset(&why);
	CHECK(dg_google_parse_object("[1]", 3, &why) == NULL);
	CHECK(strstr(why.buf, "not an object") != NULL);
	dg_strbuf_reset(&why);
	CHECK(dg_google_parse_object("{} x", 4, &why) == NULL);
	CHECK(strstr(why.buf, "after the end") != NULL);
	dg_strbuf_reset(&why);
	c = dg_google_parse_object("{}\n", 3, &why);
	CHECK(c != NULL);
	cJSON_Delete(c);
	dg_strbuf_release(&why);
}

static void feed(int (*fn)(dg_google_feed *, size_t, const cJSON *, char **, dg_strbuf *),
		 dg_google_feed *f, size_t sel, const char *page)
{
	dg_strbuf why = DG_STRBUF_INIT;
	cJSON *c = J(page);
	CHECK_INT(fn(f, sel, c, NULL, &why), 0);
	cJSON_Delete(c);
	dg_strbuf_release(&why);
}

static void test_groups(void)
{
	char *names[] = { "Staff", "eng@example.com", "Dup", "None" };
	dg_strarr sel = { names, 4 };
	dg_dir_user_list l = DG_DIR_USER_LIST_INIT;
	dg_findings out = DG_FINDINGS_INIT;
	dg_strbuf why = DG_STRBUF_INIT;
	dg_google_feed f;

	l.arena = dg_arena_new();
	dg_google_feed_init(&f, &sel, &l);
	/* name search hits a prefix match too: only the exact name counts */
	feed(dg_google_feed_lookup, &f, 0, "{\"groups\": [{\"email\": \"staff@example.com\", "
	     "\"name\": \"STAFF\", \"id\": \"g1\"}, {\"email\": \"staff2@example.com\", "
	     "\"name\": \"Staff 2\"}]}");
	feed(dg_google_feed_lookup, &f, 1, "{\"email\": \"engineering@example.com\", \"name\": "
	     "\"Engineering\", \"aliases\": [\"ENG@example.com\"]}");
	feed(dg_google_feed_lookup, &f, 2, "{\"groups\": [{\"email\": \"d1@example.com\", \"name\": "
	     "\"Dup\"}, {\"email\": \"d2@example.com\", \"name\": \"dup\"}]}");
	feed(dg_google_feed_lookup, &f, 3, "{}");
	CHECK_INT(f.groups[0].matches, 1);
	CHECK_STR(f.groups[0].email, "staff@example.com");
	CHECK_INT(f.groups[1].matches, 1);
	CHECK_INT(f.groups[2].matches, 2);
	CHECK_INT(f.groups[3].matches, 0);
	feed(dg_google_feed_members, &f, 0, "{\"members\": [{\"id\": \"1\", \"type\": \"USER\"}, "
	     "{\"id\": \"g2\", \"type\": \"GROUP\"}, {\"email\": \"Bob@Example.com\", \"type\": "
	     "\"USER\"}]}");
	feed(dg_google_feed_members, &f, 1, "{\"members\": [{\"id\": \"1\", \"type\": \"USER\"}]}");
	CHECK_INT(f.nmembers, 3); /* the GROUP entry is not a user */
	CHECK_INT(feed_users(&f, "{\"users\": [{\"id\": \"1\", \"primaryEmail\": \"ann@example.com\"},"
			     "{\"id\": \"2\", \"primaryEmail\": \"bob@example.com\"},"
			     "{\"id\": \"3\", \"primaryEmail\": \"cy@example.com\"}]}", NULL, &why), 0);
	CHECK_INT(l.items[0].in_groups, 1);
	CHECK_INT(l.items[0].groups.nr, 2);
	CHECK_STR(l.items[0].groups.items[0], "Staff");
	CHECK_STR(l.items[0].groups.items[1], "eng@example.com");
	CHECK_INT(l.items[1].in_groups, 1); /* by e-mail, case-insensitively */
	CHECK_INT(l.items[2].in_groups, 0);
	dg_google_group_findings(&f, "/directory/filters/groups", &out);
	CHECK_INT(out.nr, 4);
	CHECK_STR(out.items[0].code, "GOOGLE027");
	CHECK_STR(out.items[2].code, "GOOGLE026");
	CHECK_STR(out.items[2].path, "/directory/filters/groups/2");
	CHECK_STR(out.items[3].code, "GOOGLE025");
	/* a page for a group outside the selection is refused */
	{
		cJSON *c = J("{}");
		CHECK_INT(dg_google_feed_members(&f, 9, c, NULL, &why), -1);
		cJSON_Delete(c);
	}
	dg_findings_clear(&out);
	dg_google_feed_release(&f);
	dg_dir_user_list_clear(&l);
	dg_strbuf_release(&why);
}

static void test_api_error(void)
{
	dg_strbuf r = DG_STRBUF_INIT, m = DG_STRBUF_INIT;
	const char *b = "{\"error\": {\"code\": 403, \"message\": \"Rate Limit Exceeded\", "
			"\"errors\": [{\"reason\": \"rateLimitExceeded\", \"domain\": \"usageLimits\"}]}}";
	CHECK_INT(dg_google_api_error(b, strlen(b), &r, &m), 0);
	CHECK_STR(r.buf, "rateLimitExceeded");
	CHECK_STR(m.buf, "Rate Limit Exceeded");
	CHECK_INT(dg_google_api_error("<html>", 6, &r, &m), -1);
	CHECK_STR(r.buf, "");
	dg_strbuf_release(&r);
	dg_strbuf_release(&m);
}

/* Google's words reach the finding flattened and bounded; a nameless
 * refusal still gets a finding. */
static void test_token_finding_text(void)
{
	dg_google_key k = { .client_email = "sa@p.iam.gserviceaccount.com",
			    .client_id = "1234567890" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_finding *fd = dg_google_token_finding("", "line one\nline two", &k, "a@example.com", &f);
	CHECK_STR(fd->code, "GOOGLE020");
	CHECK(strstr(fd->message, "unnamed error: line one line two") != NULL);
	fd = dg_google_token_finding("invalid_grant", NULL, &k, "a@example.com", &f);
	CHECK_STR(fd->code, "GOOGLE020");
	dg_findings_clear(&f);
}

static void test_token_findings(void)
{
	dg_google_key k = { .client_email = "sa@p.iam.gserviceaccount.com",
			    .client_id = "1234567890", .private_key_id = "kid1" };
	struct { const char *error, *desc, *code, *path, *hint_has; } cases[] = {
		{ "unauthorized_client", "Client is unauthorized", "GOOGLE016",
		  "/directory/serviceAccountKeyFile", "1234567890" },
		{ "access_denied", "Requested client not authorized.", "GOOGLE017",
		  "/directory/serviceAccountKeyFile", "admin.directory.group.readonly" },
		{ "invalid_grant", "Invalid email or User ID", "GOOGLE018", "/directory/adminUser",
		  "administrator" },
		{ "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and "
		  "in a reasonable timeframe. Check your iat and exp values", "GOOGLE019",
		  "/directory/serviceAccountKeyFile", "clock" },
		{ "invalid_grant", "Invalid JWT Signature.", "GOOGLE020",
		  "/directory/serviceAccountKeyFile", "kid1" },
		{ "disabled_client", "The OAuth client was disabled.", "GOOGLE020",
		  "/directory/serviceAccountKeyFile", "new key" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		dg_finding *fd = dg_google_token_finding(cases[i].error, cases[i].desc, &k,
							 "admin@example.com", &f);
		CHECK_STR(fd->code, cases[i].code);
		CHECK_STR(fd->path, cases[i].path);
		CHECK(fd->hint && strstr(fd->hint, cases[i].hint_has));
		CHECK(strstr(fd->message, cases[i].error) != NULL);
		dg_findings_clear(&f);
	}
}

/* What the delegation hints tell the administrator to authorise: MailStore's
 * three scopes, as its guide lists them, and no scope MailStore never asks
 * for (an admin who follows the guide authorised exactly those). */
static void test_scope_hints(void)
{
	dg_google_key k = { .client_email = "sa@p.iam.gserviceaccount.com",
			    .client_id = "1234567890" };
	static const char *const errors[] = { "unauthorized_client", "access_denied" };

	for (size_t i = 0; i < 2; i++) {
		dg_findings f = DG_FINDINGS_INIT;
		dg_finding *fd = dg_google_token_finding(errors[i], "x", &k, "a@example.com", &f);
		CHECK(strstr(fd->hint, "https://mail.google.com/, "
			     "https://www.googleapis.com/auth/admin.directory.group.readonly, "
			     "https://www.googleapis.com/auth/admin.directory.user.readonly") != NULL);
		CHECK(strstr(fd->hint, "group.member") == NULL);
		dg_findings_clear(&f);
	}
}

/* A refused token for mail.google.com alone (asked for after the directory
 * token was granted): the scope is missing, whichever word Google uses;
 * other refusals keep their own finding. */
static void test_mail_token_findings(void)
{
	dg_google_key k = { .client_email = "sa@p.iam.gserviceaccount.com",
			    .client_id = "1234567890", .private_key_id = "kid1" };
	struct { const char *error, *desc, *code; } cases[] = {
		{ "access_denied", "Requested client not authorized.", "GOOGLE032" },
		{ "unauthorized_client", "Client is unauthorized to retrieve access tokens using "
		  "this method, or client not authorized for any of the scopes requested.",
		  "GOOGLE032" },
		{ "access_denied", NULL, "GOOGLE032" },
		{ "invalid_grant", "Invalid email or User ID", "GOOGLE018" },
		{ "admin_policy_enforced", "blocked", "GOOGLE020" },
		{ NULL, "line\none", "GOOGLE020" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		dg_findings f = DG_FINDINGS_INIT;
		dg_finding *fd = dg_google_mail_token_finding(cases[i].error, cases[i].desc, &k,
							      "admin@example.com", &f);
		CHECK_STR(fd->code, cases[i].code);
		CHECK_INT(fd->severity, DG_SEV_ERROR);
		if (!strcmp(cases[i].code, "GOOGLE032")) {
			CHECK_STR(fd->path, "/directory/serviceAccountKeyFile");
			CHECK(strstr(fd->message, "https://mail.google.com/") != NULL);
			CHECK(strstr(fd->message, "1234567890") != NULL);
			CHECK(strstr(fd->hint, DG_GOOGLE_MAILSTORE_SCOPES) != NULL);
		}
		dg_findings_clear(&f);
	}
}

/* A fresh RSA key as PEM (private) and the public half. */
static char *new_rsa(char **pub)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	BIO *b = BIO_new(BIO_s_mem()), *p = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;
	PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PUBKEY(p, key);
	n = BIO_get_mem_data(b, &data);
	out = dg_xstrndup(data, (size_t)n);
	n = BIO_get_mem_data(p, &data);
	*pub = dg_xstrndup(data, (size_t)n);
	BIO_free(b);
	BIO_free(p);
	EVP_PKEY_free(key);
	return out;
}

static char *write_key_file(const char *pem, const char *token_uri, int with_email)
{
	char *path = dg_xstrdup("/tmp/dg-test-google-XXXXXX");
	int fd = mkstemp(path);
	cJSON *o = cJSON_CreateObject();
	char *text;
	cJSON_AddStringToObject(o, "type", "service_account");
	cJSON_AddStringToObject(o, "private_key_id", "abc123");
	cJSON_AddStringToObject(o, "private_key", pem);
	if (with_email)
		cJSON_AddStringToObject(o, "client_email", "sa@p.iam.gserviceaccount.com");
	cJSON_AddStringToObject(o, "client_id", "1234567890");
	cJSON_AddStringToObject(o, "token_uri", token_uri);
	text = cJSON_Print(o);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	free(text);
	cJSON_Delete(o);
	return path;
}

static void test_assertion(void)
{
	char *pub, *pem = new_rsa(&pub);
	char *file = write_key_file(pem, "https://oauth2.googleapis.com/token", 1);
	dg_google_key k;
	dg_error err = { 0 };
	jwt_t *jwt = NULL;
	char *a;

	CHECK_INT(dg_google_key_load(file, &k, &err), DG_OK);
	a = dg_google_assertion(&k, "admin@example.com", DG_GOOGLE_SCOPES, 1700000000, &err);
	CHECK(a != NULL);
	CHECK_INT(jwt_decode(&jwt, a, (const unsigned char *)pub, (int)strlen(pub)), 0);
	if (jwt) {
		CHECK_INT(jwt_get_alg(jwt), JWT_ALG_RS256);
		CHECK_STR(jwt_get_header(jwt, "kid"), "abc123");
		CHECK_STR(jwt_get_grant(jwt, "iss"), "sa@p.iam.gserviceaccount.com");
		CHECK_STR(jwt_get_grant(jwt, "aud"), "https://oauth2.googleapis.com/token");
		CHECK_STR(jwt_get_grant(jwt, "sub"), "admin@example.com");
		/* exactly the two directory scopes of MailStore's guide */
		CHECK_STR(jwt_get_grant(jwt, "scope"),
			  "https://www.googleapis.com/auth/admin.directory.user.readonly "
			  "https://www.googleapis.com/auth/admin.directory.group.readonly");
		CHECK_INT(jwt_get_grant_int(jwt, "iat"), 1700000000);
		CHECK_INT(jwt_get_grant_int(jwt, "exp") - jwt_get_grant_int(jwt, "iat"), 3000);
		jwt_free(jwt);
	}
	/* the signature is over this key: the public key of another one fails */
	{
		char *pub2, *pem2 = new_rsa(&pub2);
		jwt = NULL;
		CHECK(jwt_decode(&jwt, a, (const unsigned char *)pub2, (int)strlen(pub2)) != 0);
		jwt_free(jwt);
		free(pem2);
		free(pub2);
	}
	dg_secret_free(a);
	dg_google_key_free(&k);
	CHECK(k.private_key == NULL);
	unlink(file);
	free(file);
	free(pem);
	free(pub);
}

static void test_key_load_errors(void)
{
	char *pub, *pem = new_rsa(&pub);
	char *http = write_key_file(pem, "http://127.0.0.1/token", 1);
	char *noemail = write_key_file(pem, "https://oauth2.googleapis.com/token", 0);
	dg_google_key k;
	dg_error err = { 0 };

	CHECK_INT(dg_google_key_load(http, &k, &err), DG_E_INVALID);
	CHECK(strstr(err.message, "not an https URL") != NULL);
	CHECK(strstr(err.message, "BEGIN") == NULL);
	CHECK_INT(dg_google_key_load(noemail, &k, &err), DG_E_INVALID);
	CHECK(strstr(err.message, "\"client_email\"") != NULL);
	CHECK_INT(dg_google_key_load("/nonexistent/key.json", &k, &err), DG_E_IO);
	unlink(http);
	unlink(noemail);
	free(http);
	free(noemail);
	free(pem);
	free(pub);
}

static dg_profile *google_profile(const char *groups)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *text = dg_xasprintf("{\"name\": \"n\", \"directory\": {\"type\": \"google-workspace\", "
				  "\"adminUser\": \"a@example.com\", \"snapshot\": \"s.jsonl\", "
				  "\"filters\": {\"groups\": %s}}}", groups);
	dg_profile *p = dg_profile_parse(text, strlen(text), "/tmp/p.json", &f);
	CHECK_INT(dg_findings_count(&f, DG_SEV_ERROR), 0);
	dg_findings_clear(&f);
	free(text);
	return p;
}

static dg_code read_snap(dg_profile *p, const char *text, dg_fetch_result *r, dg_error *err)
{
	memset(r, 0, sizeof(*r));
	return dg_google_snapshot_read_mem(p, text, strlen(text), "s.jsonl", r, err);
}

static void test_snapshot_reader(void)
{
	dg_profile *p = google_profile("[\"Staff\"]");
	dg_fetch_result r;
	dg_error err = { 0 };
	const char *hdr = "{\"dirgate\":\"google-workspace-snapshot\",\"version\":1,"
			  "\"adminUser\":\"a@example.com\",\"domain\":null,\"groups\":[\"Staff\"]}\n";
	char *good = dg_xasprintf("%s{\"lookup\":\"Staff\",\"page\":{\"groups\":[{\"email\":"
				  "\"s@example.com\",\"name\":\"Staff\"}]}}\n"
				  "{\"members\":\"Staff\",\"page\":{\"members\":[{\"id\":\"1\","
				  "\"type\":\"USER\"}]}}\r\n\n"
				  "{\"users\":null,\"page\":{\"users\":[{\"id\":\"1\",\"primaryEmail\":"
				  "\"a@example.com\"},{\"id\":\"2\",\"primaryEmail\":\"b@example.com\"}]}}",
				  hdr);
	char *late = dg_xasprintf("%s{\"users\":null,\"page\":{}}\n{\"members\":\"Staff\","
				  "\"page\":{}}\n", hdr);
	char *other = dg_xasprintf("%s{\"members\":\"Other\",\"page\":{}}\n", hdr);

	CHECK_INT(read_snap(p, good, &r, &err), DG_OK);
	CHECK_INT(r.users.nr, 2);
	CHECK_INT(r.entries_read, 2);
	CHECK_INT(r.users.items[0].in_groups, 1);
	CHECK_INT(r.users.items[1].in_groups, 0);
	CHECK(r.findings.nr == 1 && !strcmp(r.findings.items[0].code, "GOOGLE027"));
	dg_fetch_result_release(&r);

	CHECK_INT(read_snap(p, late, &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "s.jsonl:3: group pages after the user pages") != NULL);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, other, &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "does not select") != NULL);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, "", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "empty") != NULL);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, "{\"dirgate\":\"other\"}\n", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "s.jsonl:1: not a Google Workspace snapshot") != NULL);
	dg_fetch_result_release(&r);
	/* page lines without dirgate's header are not one saved answer */
	CHECK_INT(read_snap(p, "{\"users\":null}\n{\"users\":null}\n", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "s.jsonl:2: neither dirgate's snapshot") != NULL);
	dg_fetch_result_release(&r);
	dg_profile_free(p);

	p = google_profile("[]");
	CHECK_INT(read_snap(p, hdr, &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "another group selection") != NULL);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	free(good);
	free(late);
	free(other);
}

static void test_plain_pages(void)
{
	dg_profile *p = google_profile("[]");
	dg_fetch_result r;
	dg_error err = { 0 };

	CHECK_INT(read_snap(p, "{\n \"kind\": \"admin#directory#users\",\n \"users\": "
			    "[{\"primaryEmail\": \"a@example.com\"}]\n}\n", &r, &err), DG_OK);
	CHECK_INT(r.users.nr, 1);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, "[{\"users\": [{\"primaryEmail\": \"a@example.com\"}], "
			    "\"nextPageToken\": \"x\"}, {\"users\": [{\"primaryEmail\": "
			    "\"b@example.com\"}]}]", &r, &err), DG_OK);
	CHECK_INT(r.users.nr, 2);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, "{\"users\": [\n{\"primaryEmail\": }]}", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "s.jsonl:2: neither dirgate's snapshot") != NULL);
	dg_fetch_result_release(&r);
	CHECK_INT(read_snap(p, "[1]", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "users.list page: the page is not a JSON object") != NULL);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
	p = google_profile("[\"Staff\"]");
	CHECK_INT(read_snap(p, "{\"users\": []}", &r, &err), DG_E_PARSE);
	CHECK(strstr(err.message, "hold no group members") != NULL);
	dg_fetch_result_release(&r);
	dg_profile_free(p);
}

int main(void)
{
	RUN(test_users_page);
	RUN(test_users_page_shape);
	RUN(test_users_stream);
	RUN(test_users_first_key);
	RUN(test_users_page_repeats);
	RUN(test_parse_object);
	RUN(test_groups);
	RUN(test_api_error);
	RUN(test_token_finding_text);
	RUN(test_token_findings);
	RUN(test_scope_hints);
	RUN(test_mail_token_findings);
	RUN(test_assertion);
	RUN(test_key_load_errors);
	RUN(test_snapshot_reader);
	RUN(test_plain_pages);
	return dg_t_done();
}
