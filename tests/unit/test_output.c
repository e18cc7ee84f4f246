#include "connectors/shell_cmd.h"
#include "core/output.h"
#include "mailstore/plan.h"
#include "test.h"

#include <locale.h>
#include <stdlib.h>

static void test_findings_text(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd = dg_findings_add(&f, DGF_PROF002, "/directory/serer",
					 "unknown key 'serer'");
	dg_finding_hint(fd, "did you mean 'server'?");
	dg_finding_locate(fd, "p.json", 4, 5);
	fd = dg_findings_add(&f, DGF_SECRET001, "/target/password", "literal");
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
	dg_findings_add(&f, DGF_PROF005, "/name", "missing \"name\"");
	dg_output_check_json(&sb, "t", &f);
	CHECK_STR(sb.buf, "{\"formatVersion\":1,\"profile\":\"t\",\"findings\":[{\"code\":"
			  "\"PROF005\",\"severity\":"
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
	dg_findings_add(&p.findings, DGF_LDAP018, "",
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

/* The findings CSV: one row each, RFC 4180 quoting, formula leads made
 * text, the line number, and the BOM only when asked for. */
static void test_findings_csv(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_finding *fd = dg_findings_add(&f, DGF_SNAP019, "/directory/x",
					 "1 member of \"A, B\" is missing");
	dg_finding_hint(fd, "=cmd()");
	dg_finding_locate(fd, "d.ldif", 515, 0);
	dg_findings_add(&f, DGF_LDAP018, "", "INCOMPLETE");
	dg_output_findings_csv(&sb, &f, 0);
	CHECK_STR(sb.buf, "code,severity,path,message,hint,file,line\r\n"
			  "SNAP019,info,/directory/x,\"1 member of \"\"A, B\"\" is missing\","
			  "\"'=cmd()\",d.ldif,515\r\n"
			  "LDAP018,error,,INCOMPLETE,,,\r\n");
	dg_strbuf_reset(&sb);
	dg_output_findings_csv(&sb, &f, DG_CSV_BOM);
	CHECK(!strncmp(sb.buf, "\xEF\xBB\xBF" "code,", 8));
	dg_strbuf_release(&sb);
	dg_findings_clear(&f);
}

/* The preview page: facts (date pinned by SOURCE_DATE_EPOCH, version,
 * source), counts with plurals, skipped entries by reason as bars, the
 * conflict marked on the user whose address it is, sortable tables. */
static void test_preview_html_report(void)
{
	dg_preview p = { 0 };
	dg_strbuf sb = DG_STRBUF_INIT;
	fill_preview(&p);
	p.skipped = dg_xrealloc(p.skipped, 3 * sizeof(dg_skipped));
	p.nskipped = p.skipped_alloc = 3;
	p.skipped[1] = (dg_skipped){ dg_xstrdup("cn=b"), dg_xstrdup("no-email"), NULL };
	p.skipped[2] = (dg_skipped){ dg_xstrdup("cn=c"), dg_xstrdup("disabled"), NULL };
	p.conflicts = dg_xcalloc(1, sizeof(dg_conflict));
	p.nconflicts = p.conflicts_alloc = 1;
	p.conflicts[0].user_name = dg_xstrdup("A@x.com");
	p.conflicts[0].reason = dg_xstrdup("duplicate-email");
	dg_strlist_push(&p.conflicts[0].entries, "cn=Ann\\, Jr.,dc=x");
	setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
	dg_output_preview_html(&sb, &p);
	unsetenv("SOURCE_DATE_EPOCH");
	CHECK(strstr(sb.buf, "<dt>Date</dt><dd>2026-01-01T00:00:00Z</dd>") != NULL);
	CHECK(strstr(sb.buf, "<dt>dirgate version</dt><dd>" DG_VERSION "</dd>") != NULL);
	CHECK(strstr(sb.buf, "<dt>Source</dt><dd>snapshot x.ldif</dd>") != NULL);
	CHECK(strstr(sb.buf, "3 entries read: 2 users, 3 skipped, 1 conflict.") != NULL);
	CHECK(strstr(sb.buf, "<span class=\"label\">disabled</span><span class=\"fill\" "
			     "style=\"width:301px\"></span><span class=\"count\">2</span>") != NULL);
	CHECK(strstr(sb.buf, "<span class=\"label\">no-email</span><span class=\"fill\" "
			     "style=\"width:151px\"></span><span class=\"count\">1</span>") != NULL);
	CHECK(strstr(sb.buf, "<tr class=\"conflict\"><td>ann</td>") != NULL);
	CHECK(strstr(sb.buf, "<tr><td>zoë</td>") != NULL);
	CHECK(strstr(sb.buf, "<table id=\"users\" class=\"dg-sortable\"><thead>") != NULL);
	CHECK(strstr(sb.buf, "@media print{") != NULL);
	dg_strbuf_release(&sb);
	dg_preview_release(&p);
}

/* The plan's text from its JSON: plurals both ways, addresses added and
 * removed, a reorder said as such, conflicts listed. */
static void test_plan_doc_text(void)
{
	cJSON *doc = cJSON_Parse(
		"{\"profile\":\"p\",\"target\":{\"url\":\"https://m\"},\"summary\":{\"create\":0,"
		"\"update\":1,\"rename\":2,\"delete\":0,\"unchanged\":1,\"notInDirectory\":0},"
		"\"users\":[{\"userName\":\"u\",\"action\":\"update\",\"changes\":{\"emailAddresses\":"
		"{\"from\":[\"a@x\",\"B@x\"],\"to\":[\"b@x\",\"a@x\"]}}}],"
		"\"conflicts\":[{\"reason\":\"same-user-name\",\"userName\":\"j\",\"entries\":"
		"[\"cn=1\",\"cn=2\"]}],\"config\":[],\"findings\":[]}");
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_plan_doc_text(&sb, doc, 0);
	CHECK(strstr(sb.buf, "  ~ update    u\n      e-mail addresses: the same, in another "
			     "order") != NULL);
	CHECK(strstr(sb.buf, "0 to create, 1 to update, 2 renames, 0 to delete, 1 unchanged; "
			     "0 MailStore users not in the directory are kept\n") != NULL);
	CHECK(strstr(sb.buf, "conflicts in the directory (1; see 'dirgate preview'):\n"
			     "  same-user-name  j\n    cn=1\n    cn=2\n") != NULL);
	CHECK(strstr(sb.buf, "  0 keys to change\n") != NULL);
	CHECK(strstr(sb.buf, "errors") == NULL);   /* no findings: no findings summary */
	dg_strbuf_release(&sb);
	cJSON_Delete(doc);
}

/* A plan edited by hand: an action dirgate does not know is shown as
 * "unknown" (never skipped), and reaches the page as text, not markup. */
static void test_plan_doc_unknown_action(void)
{
	cJSON *doc = cJSON_Parse("{\"profile\":\"p\",\"users\":[{\"userName\":\"<b>x\","
				 "\"action\":\"\\\"><script>alert(1)</script>\"}]}");
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_plan_doc_text(&sb, doc, 0);
	CHECK(strstr(sb.buf, "  ? unknown   <b>x\n") != NULL);
	dg_strbuf_reset(&sb);
	dg_plan_doc_html(&sb, doc);
	CHECK(strstr(sb.buf, "<script>alert") == NULL);
	CHECK(strstr(sb.buf, "<tr class=\"unknown\"><td>&lt;b&gt;x</td><td>unknown</td>") != NULL);
	dg_strbuf_release(&sb);
	cJSON_Delete(doc);
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
	RUN(test_findings_csv);
	RUN(test_preview_html_report);
	RUN(test_plan_doc_text);
	RUN(test_plan_doc_unknown_action);
	return dg_t_done();
}
