#include "connectors/shell_cmd.h"
#include "core/output.h"
#include "test.h"

#include <locale.h>

static void test_findings_text(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd = dg_findings_add(&f, "PROF002", DG_SEV_ERROR, "/directory/serer",
					 "unknown key 'serer'");
	dg_finding_hint(fd, "did you mean 'server'?");
	dg_finding_locate(fd, "p.json", 4, 5);
	fd = dg_findings_add(&f, "SECRET001", DG_SEV_WARNING, "/target/password", "literal");
	dg_finding_hint(fd, "line one\nline two");
	dg_output_findings_text(&sb, &f, 0);
	CHECK_STR(sb.buf, "p.json:4:5: error PROF002 /directory/serer: unknown key 'serer'\n"
			  "  hint: did you mean 'server'?\n"
			  "warning SECRET001 /target/password: literal\n"
			  "  hint: line one\n"
			  "        line two\n"
			  "1 error, 1 warning, 0 notes\n");
	dg_strbuf_release(&sb);
	dg_findings_clear(&f);
}

static void test_check_json(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_findings_add(&f, "PROF005", DG_SEV_ERROR, "/name", "missing \"name\"");
	dg_output_check_json(&sb, "t", &f);
	CHECK_STR(sb.buf, "{\"profile\":\"t\",\"findings\":[{\"code\":\"PROF005\",\"severity\":"
			  "\"error\",\"path\":\"/name\",\"message\":\"missing \\\"name\\\"\","
			  "\"hint\":null}],\"summary\":{\"errors\":1,\"warnings\":0,\"info\":0}}\n");
	dg_strbuf_release(&sb);
	dg_findings_clear(&f);
}

static void fill_preview(dg_preview *p)
{
	p->profile_name = dg_xstrdup("demo");
	p->source_type = dg_xstrdup("snapshot");
	p->directory_type = dg_xstrdup("ldap");
	p->source_detail = dg_xstrdup("x.ldif");
	p->entries_read = 3;
	p->users = dg_xcalloc(2, sizeof(dg_ms_user));
	p->nusers = p->users_alloc = 2;
	p->users[0].user_name = dg_xstrdup("ann");
	p->users[0].full_name = dg_xstrdup("Ann \"Q\", Jr.");
	dg_strlist_push(&p->users[0].emails, "ann@x.com");
	dg_strlist_push(&p->users[0].emails, "a@x.com");
	p->users[0].dn = dg_xstrdup("cn=Ann\\, Jr.,dc=x");
	p->users[0].entry = dg_xstrdup("cn=Ann\\, Jr.,dc=x");
	p->users[1].user_name = dg_xstrdup("zoë");
	p->users[1].full_name = dg_xstrdup("Zoë Ångström-Averylongsurname-Thatneedscutting");
	p->users[1].entry = dg_xstrdup("cn=z");
	p->skipped = dg_xcalloc(1, sizeof(dg_skipped));
	p->nskipped = p->skipped_alloc = 1;
	p->skipped[0].entry = dg_xstrdup("cn=off");
	p->skipped[0].reason = dg_xstrdup("disabled");
}

static void test_preview_csv(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	dg_output_preview_csv(&sb, &p, 0);
	CHECK_STR(sb.buf, "userName,fullName,emailAddresses,distinguishedName,groups,quality\r\n"
			  "ann,\"Ann \"\"Q\"\", Jr.\",ann@x.com;a@x.com,\"cn=Ann\\, Jr.,dc=x\",,\r\n"
			  "zoë,Zoë Ångström-Averylongsurname-Thatneedscutting,,,,\r\n");
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

static void test_preview_json(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	dg_output_preview_json(&sb, &p);
	CHECK(strstr(sb.buf, "\"complete\":true,\"summary\":{\"users\":2,\"skipped\":1,\"conflicts\":0}") != NULL);
	CHECK(strstr(sb.buf, "{\"userName\":\"ann\",\"fullName\":\"Ann \\\"Q\\\", Jr.\","
			     "\"emailAddresses\":[\"ann@x.com\",\"a@x.com\"],"
			     "\"distinguishedName\":\"cn=Ann\\\\, Jr.,dc=x\",\"groups\":[],"
			     "\"groupPaths\":[]}") != NULL);
	CHECK(strstr(sb.buf, "\"distinguishedName\":null") != NULL);
	CHECK(strstr(sb.buf, "\"skipped\":[{\"entry\":\"cn=off\",\"reason\":\"disabled\","
			     "\"detail\":null}]") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

static void test_preview_table_truncates_visibly(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	dg_output_preview_table(&sb, &p, 0);
	CHECK(strstr(sb.buf, "Zoë Ångström-Averylongsurna…") != NULL);
	CHECK(strstr(sb.buf, "Users (2)\nUSER NAME  FULL NAME") != NULL);
	CHECK(strstr(sb.buf, "3 entries read: 2 users, 1 skipped, 0 conflicts\n") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

static void test_preview_html_escapes(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	free(p.users[0].full_name);
	p.users[0].full_name = dg_xstrdup("<script>alert(1)</script>");
	dg_output_preview_html(&sb, &p);
	CHECK(strstr(sb.buf, "<script>alert") == NULL);
	CHECK(strstr(sb.buf, "&lt;script&gt;") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

/* A display name a spreadsheet would run as a formula is written as text;
 * the BOM is there only when asked for. */
static void test_preview_csv_formula_and_bom(void)
{
	static const char *const leads[] = { "=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)" };
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	for (size_t i = 0; i < sizeof(leads) / sizeof(*leads); i++) {
		free(p.users[1].full_name);
		p.users[1].full_name = dg_xstrdup(leads[i]);
		dg_strbuf_reset(&sb);
		dg_output_preview_csv(&sb, &p, 0);
		CHECK(!strncmp(sb.buf, "userName,", 9));
		CHECK(strstr(sb.buf, ",\"'") != NULL);
		CHECK(strstr(sb.buf, i == 0 ? "zoë,\"'=HYPERLINK(\"\"http://x\"\")\",,,,\r\n"
					    : "zoë,\"'") != NULL);
	}
	dg_strbuf_reset(&sb);
	dg_output_preview_csv(&sb, &p, DG_CSV_BOM);
	CHECK(!strncmp(sb.buf, "\xEF\xBB\xBFuserName,", 12));
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

/* A truncated source shows in every format: table and HTML open with a
 * banner, JSON says complete:false, HTML lists the findings. */
static void test_preview_incomplete_everywhere(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	dg_output_preview_json(&sb, &p);
	CHECK(strstr(sb.buf, "\"complete\":true,") != NULL);
	dg_findings_add(&p.findings, "LDAP018", DG_SEV_ERROR, "",
			"the list is INCOMPLETE: stopped after 500 entries");
	dg_strbuf_reset(&sb);
	dg_output_preview_json(&sb, &p);
	CHECK(strstr(sb.buf, "\"complete\":false,\"summary\":") != NULL);
	dg_strbuf_reset(&sb);
	dg_output_preview_table(&sb, &p, 0);
	CHECK(!strncmp(sb.buf, "INCOMPLETE RESULT: ", 19));
	CHECK(strstr(sb.buf, "LDAP018: the list is INCOMPLETE") != NULL);
	dg_strbuf_reset(&sb);
	dg_output_preview_html(&sb, &p);
	CHECK(strstr(sb.buf, "<p role=\"alert\"") != NULL);
	CHECK(strstr(sb.buf, "INCOMPLETE RESULT: ") < strstr(sb.buf, "<h2>Users"));
	CHECK(strstr(sb.buf, "<h2>Findings</h2>") != NULL);
	CHECK(strstr(sb.buf, "error LDAP018") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

static void test_width(void)
{
	CHECK_INT(dg_output_width("abc"), 3);
	CHECK_INT(dg_output_width("Zoë"), 3);
}

/* Data-quality issues reach every format, each naming entry, user and fix. */
static void test_preview_quality_everywhere(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	free(p.users[0].emails.items[1]);
	p.users[0].emails.items[1] = dg_xstrdup("a@x.local");
	dg_preview_check_quality(&p);
	CHECK_INT(p.quality.nr, 1);
	dg_output_preview_table(&sb, &p, 0);
	CHECK(strstr(sb.buf, "Data quality (0 errors, 1 warning)\nwarning MAP021 cn=Ann\\, Jr.,dc=x "
			     "(ann): the e-mail address \"a@x.local\"") != NULL);
	CHECK(strstr(sb.buf, "\n  fix: Give the user") != NULL);
	dg_strbuf_reset(&sb);
	dg_output_preview_json(&sb, &p);
	CHECK(strstr(sb.buf, "\"quality\":{\"errors\":0,\"warnings\":1,\"issues\":[{\"code\":"
			     "\"MAP021\",\"severity\":\"warning\",\"entry\":\"cn=Ann\\\\, Jr.,dc=x\","
			     "\"userName\":\"ann\",\"message\":") != NULL);
	dg_strbuf_reset(&sb);
	dg_output_preview_csv(&sb, &p, 0);
	CHECK(strstr(sb.buf, "dc=x\",,\"warning MAP021: the e-mail address \"\"a@x.local\"\"") != NULL);
	CHECK(strstr(sb.buf, "Jr.,dc=x\",,\"warning MAP021") != NULL);
	CHECK(strstr(sb.buf, "Thatneedscutting,,,,\r\n") != NULL);
	dg_strbuf_reset(&sb);
	dg_output_preview_html(&sb, &p);
	CHECK(strstr(sb.buf, "<h2>Data quality (0 errors, 1 warning)</h2>") != NULL);
	CHECK(strstr(sb.buf, "<li><pre>warning MAP021 cn=Ann\\, Jr.,dc=x (ann): the e-mail "
			     "address &quot;a@x.local&quot;") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

/* The curl line names the token's variable and never holds a token; the
 * URL is quoted for the shell, a quote inside it too. */
static void test_curl_command(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_curl_command(&sb, "https://graph.microsoft.com/v1.0/groups?$filter=displayName eq "
			     "'O''Brien'", "GRAPH_TOKEN", "/etc/ca dir/ca.pem", 0);
	CHECK_STR(sb.buf, "curl -sS --cacert '/etc/ca dir/ca.pem' -H \"Authorization: Bearer "
			  "$GRAPH_TOKEN\" 'https://graph.microsoft.com/v1.0/groups?$filter="
			  "displayName eq '\\''O'\\'''\\''Brien'\\'''");
	dg_strbuf_reset(&sb);
	dg_curl_command(&sb, "https://x.example/a", "T", NULL, 1);
	CHECK_STR(sb.buf, "curl -sS --insecure -H \"Authorization: Bearer $T\" https://x.example/a");
	dg_strbuf_release(&sb);
}

/* JSON must be UTF-8: a byte from the directory that is not part of a
 * valid sequence becomes U+FFFD instead of making the document unreadable. */
static void test_preview_json_invalid_utf8(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	free(p.users[0].full_name);
	p.users[0].full_name = dg_xstrdup("Ann\xff\xc3");
	dg_strlist_push(&p.users[0].groups, "G\xed\xa0\x80"); /* a surrogate */
	dg_output_preview_json(&sb, &p);
	CHECK(strstr(sb.buf, "\"fullName\":\"Ann\xef\xbf\xbd\xef\xbf\xbd\"") != NULL);
	CHECK(strstr(sb.buf, "\"groups\":[\"G\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"]") != NULL);
	/* valid UTF-8 stays as it is */
	CHECK(strstr(sb.buf, "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m-Averylongsurname") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

/* The users table shows a control character in a value escaped: an ESC
 * from the directory must not clear or recolour the terminal. */
static void test_preview_table_escapes_controls(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	free(p.users[0].full_name);
	p.users[0].full_name = dg_xstrdup("Ann\x1b[2J");
	dg_output_preview_table(&sb, &p, 0);
	CHECK(strchr(sb.buf, '\x1b') == NULL);
	CHECK(strstr(sb.buf, "ann        Ann\\x1B[2J  ") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	RUN(test_findings_text);
	RUN(test_check_json);
	RUN(test_preview_csv);
	RUN(test_preview_json);
	RUN(test_preview_table_truncates_visibly);
	RUN(test_preview_html_escapes);
	RUN(test_preview_csv_formula_and_bom);
	RUN(test_preview_incomplete_everywhere);
	RUN(test_preview_quality_everywhere);
	RUN(test_curl_command);
	RUN(test_preview_json_invalid_utf8);
	RUN(test_preview_table_escapes_controls);
	RUN(test_width);
	return dg_t_done();
}
