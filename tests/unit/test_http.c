/* The parts of the HTTP layer that need no network: escaping, form bodies,
 * printable URLs, Retry-After and pin syntax.  The transfers themselves are
 * tested against local HTTPS servers in tests/integration/test_http.c. */
#include "net/http.h"
#include "test.h"

#include <curl/curl.h>

static void test_escape(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_http_add_escaped(&sb, "aZ09-._~ /?&=+%\"");
	CHECK_STR(sb.buf, "aZ09-._~%20%2F%3F%26%3D%2B%25%22");
	dg_strbuf_reset(&sb);
	dg_http_add_escaped(&sb, "müller");
	CHECK_STR(sb.buf, "m%C3%BCller");
	dg_strbuf_release(&sb);
}

static void test_form(void)
{
	dg_strbuf f = DG_STRBUF_INIT;
	dg_http_form_add(&f, "userName", "a b");
	dg_http_form_add(&f, "config", "{\"k\":[1,2]}");
	dg_http_form_add(&f, "empty", "");
	CHECK_STR(f.buf, "userName=a%20b&config=%7B%22k%22%3A%5B1%2C2%5D%7D&empty=");
	dg_strbuf_release(&f);
}

static void test_safe_url(void)
{
	char *s = dg_http_safe_url("https://admin:Canary-Pw@host.example:8463/api/invoke/GetUsers?pw=x#f");
	CHECK_STR(s, "https://host.example:8463/api/invoke/GetUsers");
	free(s);
	s = dg_http_safe_url("not a url at all");
	CHECK(!strstr(s, "not a url"));
	free(s);
}

static void test_same_origin(void)
{
	CHECK(dg_http_same_origin("https://graph.microsoft.com/v1.0/users?$skiptoken=x",
				  "https://graph.microsoft.com"));
	CHECK(dg_http_same_origin("https://GRAPH.microsoft.com:443/v1.0/users",
				  "https://graph.microsoft.com"));
	CHECK(dg_http_same_origin("https://127.0.0.1:8443/a", "https://127.0.0.1:8443"));
	CHECK(!dg_http_same_origin("https://127.0.0.1:8444/a", "https://127.0.0.1:8443"));
	CHECK(!dg_http_same_origin("https://localhost:8443/a", "https://127.0.0.1:8443"));
	CHECK(!dg_http_same_origin("http://graph.microsoft.com/v1.0", "https://graph.microsoft.com"));
	CHECK(!dg_http_same_origin("https://graph.microsoft.com.evil.example/v1.0",
				   "https://graph.microsoft.com"));
	CHECK(!dg_http_same_origin("https://user@evil.example/", "https://graph.microsoft.com"));
	CHECK(!dg_http_same_origin("not a url", "https://graph.microsoft.com"));
}

static void test_retry_after(void)
{
	CHECK_INT(dg_http_retry_after_ms("5", 0), 5000);
	CHECK_INT(dg_http_retry_after_ms(" 0 ", 0), 0);
	CHECK_INT(dg_http_retry_after_ms(NULL, 0), -1);
	CHECK_INT(dg_http_retry_after_ms("-3", 0), -1);
	CHECK_INT(dg_http_retry_after_ms("5s", 0), -1);
	CHECK_INT(dg_http_retry_after_ms("99999999999999999999", 0), -1);
	long t = (long)curl_getdate("Wed, 21 Oct 2015 07:28:00 GMT", NULL);
	CHECK_INT(dg_http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", t - 7), 7000);
	CHECK_INT(dg_http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", t + 60), 0);
	CHECK_INT(dg_http_retry_after_ms("tomorrow-ish", 0), -1);
}

static void test_pin_syntax(void)
{
	const char *hex = "acae963b7a3b909bf08cfb46082e343678fa49d80e6b8de163ce444aa46cafc8";
	CHECK(dg_http_pin_valid(hex));
	CHECK(dg_http_pin_valid("AC:AE:96:3B:7A:3B:90:9B:F0:8C:FB:46:08:2E:34:36:"
				"78:FA:49:D8:0E:6B:8D:E1:63:CE:44:4A:A4:6C:AF:C8"));
	CHECK(!dg_http_pin_valid("acae963b"));                 /* too short */
	CHECK(!dg_http_pin_valid("acae963b7a3b909bf08cfb46082e343678fa49d80e6b8de163ce444aa46cafc800"));
	CHECK(!dg_http_pin_valid("zcae963b7a3b909bf08cfb46082e343678fa49d80e6b8de163ce444aa46cafc8"));
	CHECK(!dg_http_pin_valid("acae963b7a3b909bf08cfb46082e343678fa49d80e6b8de163ce444aa46cafc"));
	CHECK(!dg_http_pin_valid(""));
}

static void test_failure_strings(void)
{
	for (int f = DG_HTTP_OK; f <= DG_HTTP_OTHER; f++)
		CHECK(dg_http_failure_str((dg_http_failure)f)[0]);
	CHECK_STR(dg_http_failure_str((dg_http_failure)999), "transfer failed");
}

int main(void)
{
	RUN(test_escape);
	RUN(test_form);
	RUN(test_safe_url);
	RUN(test_same_origin);
	RUN(test_retry_after);
	RUN(test_pin_syntax);
	RUN(test_failure_strings);
	return dg_t_done();
}
