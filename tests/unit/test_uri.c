/* Redirect URI rules (src/core/uri.c): a table of good and bad URIs per
 * provider with the codes they must produce, the examples MailStore, Entra
 * ID, Google and AD FS document for their redirect URIs, hints with
 * corrected URIs, and publicsuffix's own test vectors run through the PSL
 * helper the Google rule uses. */
#include "core/uri.h"
#include "core/uri_rules.h"
#include "core/strbuf.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NONE, ENTRA, GOOGLE, ADFS,
       ALL = 99 /* the row holds for every provider */ };

/* The registered rules of a provider by the name `dirgate uri` takes. */
static const dg_uri_rules *rules_of(int provider)
{
	static const char *const names[] = { [ENTRA] = "entra", [GOOGLE] = "google",
					     [ADFS] = "adfs" };
	return provider > NONE && provider <= ADFS ? dg_uri_rules_find(names[provider]) : NULL;
}

struct row {
	const char *uri;
	int provider;
	const char *instance;   /* NULL: not SPE; "": SPE without a known id */
	const char *codes;      /* sorted, comma-separated; "" for none */
};

static const struct row rows[] = {
	/* the MailStore pattern and its seed examples */
	{ "https://mailstore.example.com:8462/oidc/signin", ALL, NULL, "" },
	{ "https://mailstore.example.com/oidc/signin", ALL, NULL, "" },
	{ "https://archive.contoso.com:8462/oidc/signin", ALL, NULL, "" },
	{ "https://archive.example.com/inst01/oidc/signin", ALL, "inst01", "" },
	{ "https://archive.example.com:8462/inst01/oidc/signin", ALL, "inst01", "" },
	{ "https://archive.example.com/inst01/oidc/signin", ALL, "", "" },
	{ "http://mailstore.example.com:8462/oidc/signin", ALL, NULL, "URI002" },
	{ "ftp://mailstore.example.com/oidc/signin", ALL, NULL, "URI002" },
	{ "HTTPS://mailstore.example.com/oidc/signin", ALL, NULL, "URI020" },
	{ "https://MailStore.Example.com/oidc/signin", ALL, NULL, "URI020" },
	{ "https://mailstore.example.com:443/oidc/signin", ALL, NULL, "URI006" },
	{ "https://mailstore.example.com:0443/oidc/signin", ALL, NULL, "URI006" },
	{ "https://mailstore.example.com:08462/oidc/signin", ALL, NULL, "URI006" },
	{ "https://mailstore.example.com:/oidc/signin", ALL, NULL, "URI006" },
	{ "https://mailstore.example.com:0/oidc/signin", ALL, NULL, "URI007" },
	{ "https://mailstore.example.com:65535/oidc/signin", ALL, NULL, "" },
	{ "https://mailstore.example.com:65536/oidc/signin", ALL, NULL, "URI007" },
	{ "https://mailstore.example.com:99999999999/oidc/signin", ALL, NULL, "URI007" },
	{ "https://mailstore.example.com:84a2/oidc/signin", ALL, NULL, "URI007" },
	{ "https://mailstore.example.com:-1/oidc/signin", ALL, NULL, "URI007" },
	{ "https://mailstore.example.com:8463/oidc/signin", ALL, NULL, "URI022" },
	{ "https://archive.example.com:8474/inst01/oidc/signin", ALL, "inst01", "URI022" },
	/* hosts */
	{ "https://192.168.1.10:8462/oidc/signin", ALL, NULL, "URI003" },
	{ "https://127.0.0.1/oidc/signin", ALL, NULL, "URI003" },
	{ "https://2130706433/oidc/signin", ALL, NULL, "URI003" },
	{ "https://0x7f.1/oidc/signin", ALL, NULL, "URI003" },
	{ "https://[::1]:8462/oidc/signin", ALL, NULL, "URI003" },
	{ "https://[2001:db8::5]/oidc/signin", ALL, NULL, "URI003" },
	{ "https://[fe80::1%25eth0]/oidc/signin", ALL, NULL, "URI003" },
	{ "https://[::1/oidc/signin", ALL, NULL, "URI004" },
	{ "https://[zz::1]/oidc/signin", ALL, NULL, "URI004" },
	{ "https://mailstore/oidc/signin", NONE, NULL, "URI004" },
	{ "https://mailstore/oidc/signin", ENTRA, NULL, "URI004" },
	{ "https://mailstore/oidc/signin", GOOGLE, NULL, "URI004,URI026" },
	{ "https://mailstore/oidc/signin", ADFS, NULL, "URI004" },
	{ "https://mailstore.example.com./oidc/signin", ALL, NULL, "URI004" },
	{ "https://mail_store.example.com/oidc/signin", ALL, NULL, "URI004" },
	{ "https://-mailstore.example.com/oidc/signin", ALL, NULL, "URI004" },
	{ "https://mailstore..example.com/oidc/signin", ALL, NULL, "URI004" },
	{ "https://mailstore.example.123/oidc/signin", ALL, NULL, "URI004" },
	{ "https://exa%6dple.com/oidc/signin", ALL, NULL, "URI004" },
	{ "https://mail!store.example.com/oidc/signin", NONE, NULL, "URI004" },
	{ "https://mail!store.example.com/oidc/signin", ENTRA, NULL, "URI004,URI024" },
	{ "https://mailstore.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com/oidc/signin",
	  NONE, NULL, "URI004" },
	{ "https://localhost/oidc/signin", NONE, NULL, "URI005" },
	{ "https://localhost:8462/oidc/signin", GOOGLE, NULL, "URI005" },
	{ "https://mailstore.localhost/oidc/signin", NONE, NULL, "URI005" },
	{ "https://LOCALHOST/oidc/signin", NONE, NULL, "URI005,URI020" },
	/* the Entra/localhost case of the brief: Entra accepts it, MailStore not */
	{ "http://localhost/oidc/signin", ENTRA, NULL, "URI002,URI005" },
	{ "http://localhost/oidc/signin", NONE, NULL, "URI002,URI005" },
	{ "http://127.0.0.1/oidc/signin", GOOGLE, NULL, "URI002,URI003" },
	/* IDN hosts */
	{ "https://xn--bcher-kva.de/oidc/signin", ALL, NULL, "" },
	{ "https://b\xc3\xbc" "cher.de/oidc/signin", ALL, NULL, "URI021" },
	{ "https://B\xc3\x9c" "CHER.de/oidc/signin", ALL, NULL, "URI020,URI021" },
	{ "https://\xe9\xa3\x9f\xe7\x8b\xae.com.cn/oidc/signin", ALL, NULL, "URI021" },
	{ "https://b\xff" "cher.de/oidc/signin", ALL, NULL, "URI004" },
	/* paths: exact, case-sensitive */
	{ "https://mailstore.example.com", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/oidc", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/oidc/signin/", ALL, NULL, "URI009" },
	{ "https://mailstore.example.com/oidc/signin//", ALL, NULL, "URI009" },
	{ "https://mailstore.example.com/OIDC/signin", ALL, NULL, "URI010" },
	{ "https://mailstore.example.com/oidc/SignIn", ALL, NULL, "URI010" },
	{ "https://mailstore.example.com/OIDC/signin/", ALL, NULL, "URI009,URI010" },
	{ "https://mailstore.example.com/oidc/signin/callback", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/oidc/signinx", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/a/b/oidc/signin", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/oidc/sign%69n", ALL, NULL, "URI008" },
	{ "https://mailstore.example.com/x/../oidc/signin", NONE, NULL, "URI008" },
	{ "https://mailstore.example.com/./oidc/signin", NONE, NULL, "URI008" },
	{ "https://mailstore.example.com/inst01/oidc/signin", NONE, NULL, "URI008" },
	{ "https://mailstore.example.com/oidc\\signin", NONE, NULL, "URI017" },
	/* SPE */
	{ "https://archive.example.com/oidc/signin", ALL, "inst01", "URI011" },
	{ "https://archive.example.com/oidc/signin", ALL, "", "URI011" },
	{ "https://archive.example.com//oidc/signin", ALL, "", "URI011" },
	{ "https://archive.example.com/inst02/oidc/signin", ALL, "inst01", "URI012" },
	{ "https://archive.example.com/INST01/oidc/signin", ALL, "inst01", "URI012" },
	{ "https://archive.example.com/inst01/oidc/signin/", ALL, "inst01", "URI009" },
	{ "https://archive.example.com/inst01/OIDC/signin", ALL, "inst01", "URI010" },
	{ "https://archive.example.com/inst01/x/oidc/signin", ALL, "inst01", "URI008" },
	{ "https://archive.example.com/", ALL, "inst01", "URI008" },
	/* query, fragment, userinfo */
	{ "https://mailstore.example.com/oidc/signin?", ALL, NULL, "URI013" },
	{ "https://mailstore.example.com/oidc/signin?a=b", ALL, NULL, "URI013" },
	{ "https://mailstore.example.com/oidc/signin#", ALL, NULL, "URI014" },
	{ "https://mailstore.example.com/oidc/signin#top", ALL, NULL, "URI014" },
	{ "https://mailstore.example.com/oidc/signin?#", ALL, NULL, "URI013,URI014" },
	{ "https://user@mailstore.example.com/oidc/signin", ALL, NULL, "URI015" },
	{ "https://user:secret@mailstore.example.com/oidc/signin", ALL, NULL, "URI015" },
	{ "https://@mailstore.example.com/oidc/signin", ALL, NULL, "URI015" },
	/* form */
	{ "mailstore.example.com/oidc/signin", ALL, NULL, "URI001" },
	{ "mailstore.example.com:8462/oidc/signin", ALL, NULL, "URI001" },
	{ "localhost:8462/oidc/signin", NONE, NULL, "URI001,URI005" },
	{ "//mailstore.example.com/oidc/signin", ALL, NULL, "URI001" },
	{ "https:/mailstore.example.com/oidc/signin", ALL, NULL, "URI001" },
	{ "https:mailstore.example.com/oidc/signin", ALL, NULL, "URI001" },
	{ "https:///oidc/signin", ALL, NULL, "URI001" },
	{ "https://", ALL, NULL, "URI001,URI008" },
	{ "urn:ietf:wg:oauth:2.0:oob", ALL, NULL, "URI001,URI002" },
	{ "/oidc/signin", ALL, NULL, "URI001" },
	{ "", ALL, NULL, "URI001" },
	/* characters */
	{ " https://mailstore.example.com/oidc/signin", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/signin ", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/signin\n", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/ signin", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/\tsignin", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/signin\x7f", ALL, NULL, "URI016" },
	{ "https://mailstore.example.com/oidc/signin?x=%0d%0a", NONE, NULL, "URI013,URI016" },
	{ "https://mailstore.example.com\\oidc\\signin", NONE, NULL, "URI017" },
	{ "https://mailstore.example.com/oidc/signin?a=<b>", NONE, NULL, "URI013,URI017" },
	{ "https://mailstore.example.com/oidc/s\xc3\xadgnin", NONE, NULL, "URI008,URI017" },
	{ "https://mailstore.example.com/oidc/signin?%zz", NONE, NULL, "URI013,URI018" },
	{ "https://mailstore.example.com/oidc/signin%", NONE, NULL, "URI008,URI018" },
	{ "https://mailstore.example.com/oidc/signin%4", NONE, NULL, "URI008,URI018" },
	{ "https://mailstore.example.com/oidc/signin%00", NONE, NULL, "URI008,URI019" },
	{ "https://mailstore.example.com/oidc/signin%C0%80", NONE, NULL, "URI008,URI019" },
	{ "https://mailstore.example.com/oidc/signin?a=%2500", NONE, NULL, "URI013,URI019" },

	/* Entra ID: its own examples (MailStore's path rule still applies) */
	{ "https://contoso.com", ENTRA, NULL, "URI008" },
	{ "https://localhost", ENTRA, NULL, "URI005,URI008" },
	{ "http://localhost", ENTRA, NULL, "URI002,URI005,URI008" },
	{ "http://localhost/abc", ENTRA, NULL, "URI002,URI005,URI008" },
	{ "http://contoso.com/abc/response-oidc", ENTRA, NULL, "URI002,URI008" },
	{ "https://*.contoso.com", ENTRA, NULL, "URI004,URI008,URI025" },
	{ "https://*.contoso.com/oidc/signin", ENTRA, NULL, "URI004,URI025" },
	{ "https://*.contoso.com/oidc/signin", NONE, NULL, "URI004" },
	{ "https://archive.contoso.com/oidc/*", ENTRA, NULL, "URI008,URI025" },
	{ "https://[::1]/oidc/signin", ENTRA, NULL, "URI003" },
	{ "http://[::1]/oidc/signin", ENTRA, NULL, "URI002,URI003" },
	{ "https://archive.contoso.com/oidc/signin;x", ENTRA, NULL, "URI008,URI024" },
	{ "https://archive.contoso.com/oidc/signin;x", NONE, NULL, "URI008" },
	{ "https://archive.contoso.com/oidc/sign!n", ENTRA, NULL, "URI008,URI024" },
	{ "https://archive.contoso.com/oidc/signin?a=$'(),", ENTRA, NULL, "URI013,URI024" },
	{ "https://archive.contoso.com/oidc/signin?a=b", ENTRA, NULL, "URI013" },
	{ "https://archive.contoso.com/oidc/signin#x", ENTRA, NULL, "URI014" },

	/* Google */
	{ "https://mailstore.local/oidc/signin", GOOGLE, NULL, "URI026" },
	{ "https://mailstore.local/oidc/signin", NONE, NULL, "" },
	{ "https://mailstore.local/oidc/signin", ENTRA, NULL, "" },
	{ "https://mailstore.lan/oidc/signin", GOOGLE, NULL, "URI026" },
	{ "https://mailstore.corp/oidc/signin", GOOGLE, NULL, "URI026" },
	{ "https://mailstore.internal/oidc/signin", GOOGLE, NULL, "URI026" },
	{ "https://mailstore.example/oidc/signin", GOOGLE, NULL, "URI026" },
	{ "https://archive.contoso.co.uk/oidc/signin", GOOGLE, NULL, "" },
	{ "https://contoso.co.uk/oidc/signin", GOOGLE, NULL, "" },
	{ "https://co.uk/oidc/signin", GOOGLE, NULL, "URI027" },
	{ "https://github.io/oidc/signin", GOOGLE, NULL, "URI027" },
	{ "https://contoso.github.io/oidc/signin", GOOGLE, NULL, "" },
	{ "https://b\xc3\xbc" "cher.de/oidc/signin", GOOGLE, NULL, "URI021" },
	{ "https://\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn/oidc/signin", GOOGLE, NULL,
	  "URI021" },
	{ "https://googleusercontent.com/oidc/signin", GOOGLE, NULL, "URI028" },
	{ "https://abc.apps.googleusercontent.com/oidc/signin", GOOGLE, NULL, "URI028" },
	{ "https://notgoogleusercontent.com/oidc/signin", GOOGLE, NULL, "" },
	{ "https://goo.gl/oidc/signin", GOOGLE, NULL, "URI029" },
	{ "https://bit.ly/oidc/signin", GOOGLE, NULL, "URI029" },
	{ "https://goo.gl/oidc/signin", NONE, NULL, "" },
	{ "https://user@archive.contoso.com/oidc/signin", GOOGLE, NULL, "URI015" },
	{ "https://archive.contoso.com/oidc/signin#x", GOOGLE, NULL, "URI014" },
	{ "https://203.0.113.7/oidc/signin", GOOGLE, NULL, "URI003" },
	{ "https://*.contoso.com/oidc/signin", GOOGLE, NULL, "URI004,URI025" },
	{ "https://archive.contoso.com/oidc/signin?*", GOOGLE, NULL, "URI013,URI025" },
	/* traversal in every encoding */
	{ "https://archive.contoso.com/x/../oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x/..", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x\\..\\oidc/signin", GOOGLE, NULL, "URI008,URI017,URI030" },
	{ "https://archive.contoso.com/x/%2e%2e/oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x/%2E%2e/oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x%2F../oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x%2f%2e%2e/oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x%5c../oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x%5C%2E./oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x/%252e%252e/oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/x/%c0%ae%c0%ae/oidc/signin", GOOGLE, NULL, "URI008,URI030" },
	{ "https://archive.contoso.com/oidc/signin?next=%2F..%2Fadmin", GOOGLE, NULL,
	  "URI013,URI030" },
	{ "https://archive.contoso.com/oidc/signin?next=/x/../y", NONE, NULL, "URI013" },
	{ "https://archive.contoso.com/oidc/signin%00", GOOGLE, NULL, "URI008,URI019" },
	{ "https://archive.contoso.com/oidc/signin%c0%80", GOOGLE, NULL, "URI008,URI019" },
	{ "https://archive.contoso.com/oidc/signin%zz", GOOGLE, NULL, "URI008,URI018" },
	{ "https://archive.contoso.com/oidc/signin\x01", GOOGLE, NULL, "URI016" },
	{ "http://localhost/oidc/signin", GOOGLE, NULL, "URI002,URI005" },

	/* AD FS: absolute https, no fragment */
	{ "https://archive.contoso.com/oidc/signin#frag", ADFS, NULL, "URI014" },
	{ "/oidc/signin", ADFS, NULL, "URI001" },
	{ "http://archive.contoso.com/oidc/signin", ADFS, NULL, "URI002" },
	{ "https://archive.contoso.com/oidc/signin?a=1", ADFS, NULL, "URI013" },
	{ "https://localhost/oidc/signin", ADFS, NULL, "URI005" },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The codes the check produces, sorted, comma-separated. */
static char *codes_of(const char *uri, int provider, const char *instance)
{
	dg_uri_opts o = { rules_of(provider), instance != NULL, instance,
			  "/authentication/redirectUri" };
	dg_findings f = DG_FINDINGS_INIT;
	dg_strbuf sb = DG_STRBUF_INIT;
	int errors = dg_uri_check(uri, &o, &f);
	const char **codes = calloc(f.nr + 1, sizeof(*codes));
	dg_strbuf_init(&sb);
	for (size_t i = 0; i < f.nr; i++) {
		codes[i] = f.items[i].code;
		CHECK(dg_code_lookup(codes[i]) != NULL);
		CHECK(f.items[i].message && *f.items[i].message);
		CHECK(f.items[i].hint && *f.items[i].hint);
		CHECK_STR(f.items[i].path, "/authentication/redirectUri");
	}
	qsort(codes, f.nr, sizeof(*codes), cmp_str);
	for (size_t i = 0; i < f.nr; i++)
		if (!i || strcmp(codes[i], codes[i - 1]))
			dg_strbuf_addf(&sb, "%s%s", sb.len ? "," : "", codes[i]);
	CHECK_INT(errors, (int)dg_findings_count(&f, DG_SEV_ERROR));
	free(codes);
	dg_findings_clear(&f);
	return dg_strbuf_detach(&sb);
}

static const char *provider_str(int p)
{
	const dg_uri_rules *r = rules_of(p);
	return r ? r->name : "mailstore";
}

static int row_ok(const char *uri, int provider, const char *instance, const char *want)
{
	char *got = codes_of(uri, provider, instance);
	int ok = !strcmp(got, want);
	if (!ok) {
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_uri_add_display(&sb, uri);
		printf("# %s [%s%s%s]\n#   got:  %s\n#   want: %s\n", sb.buf,
		       provider_str(provider), instance ? " spe " : "",
		       instance ? instance : "", got, want);
		dg_strbuf_release(&sb);
		dg_t_cur_failed = 1;
	}
	free(got);
	return ok;
}

static void test_table(void)
{
	size_t n = 0, bad = 0;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		for (int p = NONE; p <= ADFS; p++) {
			if (r->provider != ALL && r->provider != p)
				continue;
			n++;
			bad += !row_ok(r->uri, p, r->instance, r->codes);
		}
	}
	printf("# %zu URI/provider cases, %zu failed\n", n, bad);
}

/* Every URI code is reached by some row, except "no PSL data" (cannot
 * happen here) and the Entra length limit (test_entra_length). */
static void test_every_code_exercised(void)
{
	size_t count;
	const dg_code_info *tab = dg_code_table(&count);
	dg_strbuf all = DG_STRBUF_INIT;
	dg_strbuf_init(&all);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		dg_strbuf_addf(&all, ",%s,", rows[i].codes);
	for (size_t i = 0; i < count; i++) {
		char want[24];
		if (strncmp(tab[i].code, "URI", 3) || !strcmp(tab[i].code, "URI031") ||
		    !strcmp(tab[i].code, "URI023"))
			continue;
		snprintf(want, sizeof(want), "%s", tab[i].code);
		if (!strstr(all.buf, want)) {
			printf("# %s is not exercised by the table\n", tab[i].code);
			dg_t_cur_failed = 1;
		}
	}
	dg_strbuf_release(&all);
}

/* 256 characters are fine for Entra ID, 257 are not; MailStore has no limit. */
static void test_entra_length(void)
{
	dg_strbuf host = DG_STRBUF_INIT;
	char *u256, *u257;
	dg_strbuf_init(&host);
	dg_strbuf_addrepeat(&host, 'a', 63);
	dg_strbuf_addch(&host, '.');
	dg_strbuf_addrepeat(&host, 'b', 63);
	dg_strbuf_addch(&host, '.');
	dg_strbuf_addrepeat(&host, 'c', 63);
	dg_strbuf_addch(&host, '.');
	dg_strbuf_addrepeat(&host, 'd', 35);
	u256 = dg_xasprintf("https://%s.com:8462/oidc/signin", host.buf);
	dg_strbuf_addch(&host, 'd');
	u257 = dg_xasprintf("https://%s.com:8462/oidc/signin", host.buf);
	CHECK_INT(strlen(u256), 256);
	CHECK_INT(strlen(u257), 257);
	row_ok(u256, ENTRA, NULL, "");
	row_ok(u257, ENTRA, NULL, "URI023");
	row_ok(u257, NONE, NULL, "");
	row_ok(u257, GOOGLE, NULL, "");
	row_ok(u257, ADFS, NULL, "");
	free(u256);
	free(u257);
	dg_strbuf_release(&host);
}

/* The first finding with `code`, or NULL. */
static const dg_finding *find(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

static void check_hint(const char *uri, int provider, const char *instance,
		       const char *code, const char *hint)
{
	dg_uri_opts o = { rules_of(provider), instance != NULL, instance, "" };
	dg_findings f = DG_FINDINGS_INIT;
	const dg_finding *fd;
	dg_uri_check(uri, &o, &f);
	fd = find(&f, code);
	CHECK(fd != NULL);
	if (fd) {
		if (strcmp(fd->hint ? fd->hint : "", hint))
			printf("# %s %s\n", uri, code);
		CHECK_STR(fd->hint, hint);
	}
	dg_findings_clear(&f);
}

/* Hints show the corrected URI whenever one can be derived. */
static void test_hints(void)
{
	check_hint("http://mailstore.example.com:8462/oidc/signin", NONE, NULL, "URI002",
		   "use https://mailstore.example.com:8462/oidc/signin");
	check_hint("https://mailstore.example.com:443/oidc/signin", NONE, NULL, "URI006",
		   "use https://mailstore.example.com/oidc/signin");
	check_hint("https://MailStore.Example.com:8462/OIDC/signin/", NONE, NULL, "URI010",
		   "use https://mailstore.example.com:8462/oidc/signin");
	check_hint("https://mailstore.example.com/oidc/signin/", NONE, NULL, "URI009",
		   "use https://mailstore.example.com/oidc/signin");
	check_hint("mailstore.example.com:8462/oidc/signin", NONE, NULL, "URI001",
		   "use https://mailstore.example.com:8462/oidc/signin");
	check_hint(" https://mailstore.example.com/oidc/signin\n", NONE, NULL, "URI016",
		   "use https://mailstore.example.com/oidc/signin");
	check_hint("https://mailstore.example.com./oidc/signin#x", NONE, NULL, "URI014",
		   "use https://mailstore.example.com/oidc/signin");
	check_hint("https://exa%6dple.com/oidc/signin", NONE, NULL, "URI004",
		   "use https://example.com/oidc/signin");
	check_hint("https://archive.example.com/oidc/signin", NONE, "inst01", "URI011",
		   "use https://archive.example.com/inst01/oidc/signin");
	check_hint("https://archive.example.com/inst02/oidc/signin", NONE, "inst01", "URI012",
		   "use https://archive.example.com/inst01/oidc/signin");
	check_hint("https://archive.example.com/Inst07/OIDC/signin", NONE, "", "URI010",
		   "use https://archive.example.com/Inst07/oidc/signin");
	check_hint("https://archive.example.com/oidc/signin", NONE, "", "URI011",
		   "use https://archive.example.com/<instanceid>/oidc/signin");
	check_hint("https://192.168.1.10:8462/oidc/signin", NONE, NULL, "URI003",
		   "use the pattern https://<server FQDN>:8462/oidc/signin");
	check_hint("https://mailstore:8462/oidc/signin", NONE, NULL, "URI004",
		   "use the pattern https://mailstore.<DNS domain>:8462/oidc/signin");
	check_hint("https://b\xc3\xbc" "cher.de:8462/oidc/signin", NONE, NULL, "URI021",
		   "register and configure the same form at the identity provider and in "
		   "MailStore; the ASCII form is the safer: https://xn--bcher-kva.de:8462/oidc/signin");
	check_hint("https://mailstore.example.com:8463/oidc/signin", NONE, NULL, "URI022",
		   "use the MailStore Web Access HTTPS port (default 8462)");
}

/* IDN host names: the ASCII form is RFC 3492 punycode of the lower case. */
static void check_ace(const char *uri, const char *ace)
{
	dg_findings f = DG_FINDINGS_INIT;
	const dg_finding *fd;
	dg_uri_check(uri, NULL, &f);
	fd = find(&f, "URI021");
	CHECK(fd != NULL);
	if (fd && !strstr(fd->message, ace)) {
		printf("# %s\n#   message: %s\n#   want ASCII form %s\n", uri, fd->message, ace);
		dg_t_cur_failed = 1;
	}
	dg_findings_clear(&f);
}

static void test_idn_punycode(void)
{
	check_ace("https://b\xc3\xbc" "cher.de/oidc/signin", "xn--bcher-kva.de");
	check_ace("https://B\xc3\x9c" "CHER.DE/oidc/signin", "xn--bcher-kva.de");
	check_ace("https://m\xc3\xbc" "nchen.de/oidc/signin", "xn--mnchen-3ya.de");
	check_ace("https://\xe9\xa3\x9f\xe7\x8b\xae.com.cn/oidc/signin", "xn--85x722f.com.cn");
	check_ace("https://\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88/oidc/signin",
		  "xn--r8jz45g.xn--zckzah");
	/* RFC 3492 §7.1 sample (L): 3<nen>B<gumi><kinpachi><sensei> */
	check_ace("https://3\xe5\xb9\xb4" "b\xe7\xb5\x84\xe9\x87\x91\xe5\x85\xab\xe5\x85\x88"
		  "\xe7\x94\x9f.example.com/oidc/signin", "xn--3b-ww4c5e180e575a65lsy2b.example.com");
}

/* Messages never carry raw control bytes, and a password never shows. */
static void test_message_safety(void)
{
	static const char *const nasty[] = {
		("https://user:s3cr3t@ex\x01" "ample.com/oidc/signin"),
		"\x1b[31mhttps://evil.example.com/\x1b[0m",
		"https://ex\xff\xfe.com/o\xc0\xaf",
		"https://[::1\x01]/",
		"https://archive.example.com/other/oidc/signin",
		"https://archive.example.com/oidc/signin",
	};
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		for (int p = NONE; p <= ADFS; p++) {
			dg_uri_opts o = { rules_of(p), 1, "i\x02", "" };
			dg_findings f = DG_FINDINGS_INIT;
			dg_uri_check(nasty[i], &o, &f);
			CHECK(f.nr > 0);
			for (size_t k = 0; k < f.nr; k++) {
				for (const char *m = f.items[k].message; *m; m++)
					CHECK((unsigned char)*m >= 0x20 && *m != 0x7f);
				for (const char *h = f.items[k].hint; h && *h; h++)
					CHECK((unsigned char)*h >= 0x20 && *h != 0x7f);
				CHECK(!strstr(f.items[k].message, "s3cr3t"));
				CHECK(!f.items[k].hint || !strstr(f.items[k].hint, "s3cr3t"));
			}
			dg_findings_clear(&f);
		}
	}
}

static void test_display(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_uri_add_display(&sb, "https://user:s3cr3t@archive.example.com/oidc/signin");
	CHECK_STR(sb.buf, "https://user:***@archive.example.com/oidc/signin");
	dg_strbuf_reset(&sb);
	dg_uri_add_display(&sb, "https://user@archive.example.com/oidc/signin?a=b:c@d");
	CHECK_STR(sb.buf, "https://user@archive.example.com/oidc/signin?a=b:c@d");
	dg_strbuf_reset(&sb);
	dg_uri_add_display(&sb, "https://b\xc3\xbc" "cher.de/x\x01\xff");
	CHECK_STR(sb.buf, "https://b\xc3\xbc" "cher.de/x\\x01\\xFF");
	dg_strbuf_release(&sb);
}

static void test_provider_names(void)
{
	dg_strbuf names = DG_STRBUF_INIT;

	CHECK(rules_of(ENTRA) && !strcmp(rules_of(ENTRA)->name, "entra"));
	CHECK(rules_of(GOOGLE) && !strcmp(rules_of(GOOGLE)->name, "google"));
	CHECK(rules_of(ADFS) && !strcmp(rules_of(ADFS)->name, "adfs"));
	CHECK(dg_uri_rules_find("Google") == rules_of(GOOGLE));
	CHECK(dg_uri_rules_find("azure") == NULL);
	CHECK(dg_uri_rules_find("") == NULL);
	CHECK(dg_uri_rules_find(NULL) == NULL);
	dg_uri_rules_names(&names, ", ");
	CHECK_STR(names.buf, "entra, google, adfs");
	dg_strbuf_release(&names);
}

/* NULL opts: MailStore's pattern, findings at path "". */
static void test_null_opts(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	CHECK_INT(dg_uri_check("http://mailstore.example.com/oidc/signin", NULL, &f), 1);
	CHECK_INT(f.nr, 1);
	CHECK_STR(f.items[0].code, "URI002");
	CHECK_STR(f.items[0].path, "");
	CHECK_INT(f.items[0].severity, DG_SEV_ERROR);
	dg_findings_clear(&f);
	CHECK_INT(dg_uri_check(NULL, NULL, &f), 1);
	CHECK_STR(f.items[0].code, "URI001");
	dg_findings_clear(&f);
	/* warnings and info are not counted as errors */
	CHECK_INT(dg_uri_check("https://localhost:443/oidc/signin", NULL, &f), 0);
	CHECK_INT(f.nr, 2);
	dg_findings_clear(&f);
}

static void check_psl(const char *host, int listed_only, dg_psl_status want,
		      const char *want_reg)
{
	char *reg = (char *)"untouched";
	dg_psl_status st = dg_uri_psl_check(host, listed_only, &reg);
	if (st != want)
		printf("# %s (listed_only %d)\n", host ? host : "(null)", listed_only);
	CHECK_INT(st, want);
	if (want_reg)
		CHECK_STR(reg, want_reg);
	else
		CHECK(reg == NULL);
	free(reg);
}

static void test_psl_helper(void)
{
	check_psl("archive.contoso.com", 1, DG_PSL_OK, "contoso.com");
	check_psl("Archive.Contoso.CO.UK", 1, DG_PSL_OK, "contoso.co.uk");
	check_psl("co.uk", 1, DG_PSL_IS_SUFFIX, NULL);
	check_psl("mailstore.local", 1, DG_PSL_UNLISTED, NULL);
	check_psl("mailstore.local", 0, DG_PSL_OK, "mailstore.local");
	check_psl("mailstore.lan", 1, DG_PSL_UNLISTED, NULL);
	check_psl("mailstore.corp", 1, DG_PSL_UNLISTED, NULL);
	check_psl("mailstore.internal", 1, DG_PSL_UNLISTED, NULL);
	check_psl("mailstore", 1, DG_PSL_UNLISTED, NULL);
	check_psl("mailstore", 0, DG_PSL_IS_SUFFIX, NULL);
	check_psl("a.b.c.mm", 1, DG_PSL_OK, "b.c.mm");
	check_psl("c.mm", 1, DG_PSL_IS_SUFFIX, NULL);
	check_psl("www.ck", 1, DG_PSL_OK, "www.ck");
	check_psl("xn--85x722f.xn--55qx5d.cn", 1, DG_PSL_OK, "xn--85x722f.xn--55qx5d.cn");
	check_psl("\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn", 1, DG_PSL_OK,
		  "\xe9\xa3\x9f\xe7\x8b\xae.\xe5\x85\xac\xe5\x8f\xb8.cn");
	check_psl(".example.com", 1, DG_PSL_INVALID, NULL);
	check_psl("example.com.", 1, DG_PSL_INVALID, NULL);
	check_psl("a..example.com", 1, DG_PSL_INVALID, NULL);
	check_psl("", 1, DG_PSL_INVALID, NULL);
	check_psl(NULL, 1, DG_PSL_INVALID, NULL);
	check_psl("ex\xff.com", 1, DG_PSL_INVALID, NULL);
	CHECK_INT(dg_uri_psl_check("example.com", 1, NULL), DG_PSL_OK);
}

/* Reads one quoted argument of checkPublicSuffix(...): 1 for a string,
 * 0 for null, -1 on a parse error. */
static int psl_arg(const char **p, char *out, size_t size)
{
	const char *s = *p, *q;
	while (*s == ' ' || *s == ',')
		s++;
	if (!strncmp(s, "null", 4)) {
		*p = s + 4;
		return 0;
	}
	if (*s != '\'' || !(q = strchr(s + 1, '\'')) || (size_t)(q - s - 1) >= size)
		return -1;
	memcpy(out, s + 1, (size_t)(q - s - 1));
	out[q - s - 1] = '\0';
	*p = q + 1;
	return 1;
}

/* publicsuffix's own vectors (registrable domain, implicit '*' rule on). */
static void test_psl_vectors(void)
{
	const char *file = "/usr/share/doc/publicsuffix/examples/test_psl.txt";
	char line[1024], in[512], want[512];
	int pass = 0, fail = 0;
	FILE *fp = fopen(file, "r");
	if (!fp) {
		printf("# %s not installed: vectors skipped\n", file);
		return;
	}
	while (fgets(line, sizeof(line), fp)) {
		const char *p = line;
		int hi, hw;
		char *reg = NULL;
		dg_psl_status st;
		if (strncmp(p, "checkPublicSuffix(", 18))
			continue;
		p += 18;
		hi = psl_arg(&p, in, sizeof(in));
		hw = psl_arg(&p, want, sizeof(want));
		CHECK(hi >= 0 && hw >= 0);
		if (hi <= 0)  /* null input: nothing to look up */
			continue;
		st = dg_uri_psl_check(in, 0, &reg);
		if (hw ? (st == DG_PSL_OK && reg && !strcmp(reg, want)) : st != DG_PSL_OK) {
			pass++;
		} else {
			fail++;
			printf("# PSL %s -> %s (want %s)\n", in, reg ? reg : "null",
			       hw ? want : "null");
		}
		free(reg);
	}
	fclose(fp);
	printf("# test_psl.txt: %d passed, %d failed\n", pass, fail);
	CHECK(pass > 50);
	CHECK_INT(fail, 0);
}

int main(void)
{
	RUN(test_table);
	RUN(test_every_code_exercised);
	RUN(test_entra_length);
	RUN(test_hints);
	RUN(test_idn_punycode);
	RUN(test_message_safety);
	RUN(test_display);
	RUN(test_provider_names);
	RUN(test_null_opts);
	RUN(test_psl_helper);
	RUN(test_psl_vectors);
	return dg_t_done();
}
