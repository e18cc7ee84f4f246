/* LDIF reader and writer: the shapes real exports come in (ldapsearch,
 * ldifde with CRLF/BOM/UTF-16/changetype: add), the errors a hand-edited
 * file has (reported with their line), and write -> read round trips. */
#include "connectors/ldap/ldif.h"
#include "test.h"

#include <unistd.h>

typedef struct parsed {
	dg_entry_list l;
	dg_findings f;
	dg_error err;
	dg_code rc;
} parsed;

static void parse(parsed *p, const char *text)
{
	memset(p, 0, sizeof(*p));
	p->rc = dg_ldif_read_mem(text, strlen(text), "t.ldif", &p->l, &p->f, &p->err);
}

static void parse_n(parsed *p, const char *text, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->rc = dg_ldif_read_mem(text, n, "t.ldif", &p->l, &p->f, &p->err);
}

static void done(parsed *p)
{
	dg_entry_list_clear(&p->l);
	dg_findings_clear(&p->f);
}

static size_t count_code(const dg_findings *f, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			n++;
	return n;
}

static const dg_finding *find_code(const dg_findings *f, const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

/* Lists the findings when the current test has failed, for the log. */
static void dump(const dg_findings *f)
{
	if (!dg_t_cur_failed)
		return;
	for (size_t i = 0; i < f->nr; i++)
		printf("#   %s line %d: %s\n", f->items[i].code, f->items[i].line,
		       f->items[i].message);
}

static void test_basic_records(void)
{
	parsed p;
	parse(&p, "dn: uid=alice,ou=people,dc=example,dc=com\n"
		  "objectClass: inetOrgPerson\n"
		  "objectClass: posixAccount\n"
		  "uid: alice\n"
		  "mail: alice@example.com\n"
		  "OBJECTCLASS: top\n"
		  "\n"
		  "\n"
		  "dn: uid=bob,ou=people,dc=example,dc=com\n"
		  "uid: bob\n"
		  "cn;lang-de: Bob\n"
		  "description:\n");
	CHECK_INT(p.rc, DG_OK);
	CHECK_INT(p.f.nr, 0);
	CHECK_INT(p.l.nr, 2);
	if (p.l.nr == 2) {
		const dg_entry *a = &p.l.items[0], *b = &p.l.items[1];
		CHECK_STR(a->dn, "uid=alice,ou=people,dc=example,dc=com");
		CHECK_INT(a->line, 1);
		CHECK_INT(a->nattrs, 3); /* objectClass values grouped, any case */
		const dg_attr *oc = dg_entry_attr(a, "objectclass");
		CHECK(oc && oc->nvals == 3);
		if (oc && oc->nvals == 3)
			CHECK_STR(oc->vals[2].val, "top");
		CHECK_STR(dg_entry_first(a, "mail"), "alice@example.com");
		CHECK_INT(b->line, 9);
		CHECK_STR(dg_entry_first(b, "cn;lang-de"), "Bob");
		CHECK(dg_entry_attr(b, "description") && dg_entry_attr(b, "description")->vals[0].len == 0);
	}
	done(&p);
}

static void test_version_line(void)
{
	parsed p;
	/* the version line may run straight into the first record */
	parse(&p, "version: 1\ndn: cn=a\ncn: a\n\ndn: cn=b\ncn: b\n");
	CHECK_INT(p.f.nr, 0);
	CHECK_INT(p.l.nr, 2);
	done(&p);

	parse(&p, "version: 2\n\ndn: cn=a\ncn: a\n");
	CHECK_INT(count_code(&p.f, "SNAP005"), 1);
	CHECK_INT(p.l.nr, 1);
	done(&p);

	/* only at the very start */
	parse(&p, "dn: cn=a\ncn: a\n\nversion: 1\n\ndn: cn=b\n");
	CHECK_INT(count_code(&p.f, "SNAP001"), 1);
	CHECK_INT(p.l.nr, 2);
	done(&p);
}

static void test_comments(void)
{
	parsed p;
	parse(&p, "# extended LDIF\n"
		  "#\n"
		  "# a comment that is folded\n"
		  " onto a second line: still a comment\n"
		  "version: 1\n"
		  "\n"
		  "# alice, people\n"
		  "dn: cn=alice\n"
		  "# a comment inside a record\n"
		  "cn: alice\n"
		  "\n"
		  "# search result\n"
		  "search: 2\n"
		  "result: 0 Success\n"
		  "\n"
		  "# numEntries: 1\n");
	CHECK_INT(p.f.nr, 0);
	dump(&p.f);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr == 1) {
		CHECK_INT(p.l.items[0].nattrs, 1);
		CHECK_INT(p.l.items[0].line, 8);
	}
	done(&p);
}

static void test_folding(void)
{
	parsed p;
	parse(&p, "dn: CN=Doe\\, John,OU=Sa\n"
		  " les,DC=contoso,DC=com\n"
		  "description: one\n"
		  "  two\n"
		  " three\n"
		  "mail: j@x\n");
	CHECK_INT(p.f.nr, 0);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr == 1) {
		CHECK_STR(p.l.items[0].dn, "CN=Doe\\, John,OU=Sales,DC=contoso,DC=com");
		/* exactly one space is removed: the second line keeps its other one */
		CHECK_STR(dg_entry_first(&p.l.items[0], "description"), "one twothree");
		CHECK_STR(dg_entry_first(&p.l.items[0], "mail"), "j@x");
	}
	done(&p);

	/* a folded base64 value */
	parse(&p, "dn: cn=z\ndisplayName:: Wm/D\n qyDDhW5nc3Ry\n w7Zt\n");
	CHECK_INT(p.f.nr, 0);
	if (p.l.nr == 1)
		CHECK_STR(dg_entry_first(&p.l.items[0], "displayName"), "Zoë Ångström");
	done(&p);
}

static void test_base64(void)
{
	parsed p;
	parse(&p, "dn:: Q049WsO2ZSDDhW5nc3Ryw7ZtLERDPWNvbnRvc28sREM9Y29t\n"
		  "objectGUID:: kDlfuZq1G0qelobGbLGNmQ==\n"
		  "cn:: \n"
		  "sn::    RG9l  \n");
	CHECK_INT(p.f.nr, 0);
	dump(&p.f);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr == 1) {
		const dg_entry *e = &p.l.items[0];
		const dg_attr *g = dg_entry_attr(e, "objectGUID");
		CHECK_STR(e->dn, "CN=Zöe Ångström,DC=contoso,DC=com");
		CHECK(g && g->vals[0].len == 16);
		if (g)
			CHECK(!memcmp(g->vals[0].val, "\x90\x39\x5f\xb9\x9a\xb5\x1b\x4a", 8));
		CHECK_STR(dg_entry_first(e, "cn"), "");
		CHECK_STR(dg_entry_first(e, "sn"), "Doe");
	}
	done(&p);
}

static void test_base64_invalid(void)
{
	parsed p;
	const dg_finding *fd;
	parse(&p, "dn: cn=a\n"
		  "cn: a\n"
		  "description:: not*base64\n"   /* bad character */
		  "sn:: Zm9\n"                   /* length not a multiple of 4 */
		  "givenName:: Z===\n"           /* too much padding */
		  "title:: Zg=a\n"               /* data after padding */
		  "mail:: YUBi\n");
	CHECK_INT(count_code(&p.f, "SNAP002"), 4);
	fd = find_code(&p.f, "SNAP002");
	CHECK(fd && fd->line == 3);
	CHECK(fd && fd->file && !strcmp(fd->file, "t.ldif"));
	CHECK(fd && fd->hint && *fd->hint);
	CHECK(fd && strstr(fd->message, "description"));
	CHECK_INT(p.l.nr, 1); /* the record stays, the bad values go */
	if (p.l.nr == 1) {
		CHECK(!dg_entry_attr(&p.l.items[0], "description"));
		CHECK(!dg_entry_attr(&p.l.items[0], "sn"));
		CHECK_STR(dg_entry_first(&p.l.items[0], "mail"), "a@b");
	}
	done(&p);

	/* a bad DN loses the whole record */
	parse(&p, "dn:: @@@@\ncn: a\n\ndn: cn=b\n");
	CHECK_INT(count_code(&p.f, "SNAP002"), 1);
	CHECK_INT(p.l.nr, 1);
	done(&p);
}

static void test_base64_codec(void)
{
	static const struct { const char *in, *out; int ok; } cases[] = {
		{ "", "", 0 }, { "Zg==", "f", 0 }, { "Zm8=", "fo", 0 }, { "Zm9v", "foo", 0 },
		{ "Zm9vYmFy", "foobar", 0 }, { "Zg", NULL, -1 }, { "Zg=", NULL, -1 },
		{ "=Zg=", NULL, -1 }, { "Zm9v\n", NULL, -1 }, { "Zm 9", NULL, -1 },
		{ "Zg==Zg==", NULL, -1 }, { "Z===", NULL, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dg_strbuf sb = DG_STRBUF_INIT;
		int rc = dg_base64_decode(cases[i].in, strlen(cases[i].in), &sb);
		CHECK_INT(rc, cases[i].ok);
		if (!rc && cases[i].out)
			CHECK_STR(sb.buf, cases[i].out);
		if (rc)
			CHECK_INT(sb.len, 0);
		dg_strbuf_release(&sb);
	}
	for (size_t n = 0; n < 40; n++) {
		unsigned char raw[40];
		dg_strbuf enc = DG_STRBUF_INIT, dec = DG_STRBUF_INIT;
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)(i * 37 + n);
		dg_base64_encode(raw, n, &enc);
		CHECK_INT(enc.len % 4, 0);
		CHECK_INT(dg_base64_decode(enc.buf, enc.len, &dec), 0);
		CHECK(dec.len == n && !memcmp(dec.buf, raw, n));
		dg_strbuf_release(&enc);
		dg_strbuf_release(&dec);
	}
}

static void test_crlf_and_bom(void)
{
	parsed p;
	parse(&p, "\xef\xbb\xbf" "dn: CN=Jürgen Weiß,OU=Staff,DC=contoso,DC=com\r\n"
		  "changetype: add\r\n"
		  "cn: Jürgen\r\n"
		  " Weiß\r\n"
		  "mail: jw@contoso.com\r\n"
		  "\r\n"
		  "dn: CN=B,DC=contoso,DC=com\n"   /* mixed endings in one file */
		  "cn: B\r\n");
	CHECK_INT(p.f.nr, 0);
	dump(&p.f);
	CHECK_INT(p.l.nr, 2);
	if (p.l.nr == 2) {
		CHECK_STR(p.l.items[0].dn, "CN=Jürgen Weiß,OU=Staff,DC=contoso,DC=com");
		CHECK_STR(dg_entry_first(&p.l.items[0], "cn"), "JürgenWeiß");
		CHECK_STR(dg_entry_first(&p.l.items[0], "mail"), "jw@contoso.com");
		CHECK(!dg_entry_attr(&p.l.items[0], "changetype"));
		CHECK_STR(dg_entry_first(&p.l.items[1], "cn"), "B");
	}
	done(&p);
}

/* Classic Mac line ends (bare CR) read as one line "version: 1\rdn: ..."
 * and used to give "version not supported", no entries and no error. */
static void test_bare_cr(void)
{
	parsed p;
	const dg_finding *fd;
	parse(&p, "version: 1\rdn: cn=a,dc=x\rcn: a\r\rdn: cn=b,dc=x\rcn: b\r");
	fd = find_code(&p.f, "SNAP020");
	CHECK(fd != NULL);
	CHECK(fd && fd->severity == DG_SEV_ERROR && fd->line == 1);
	CHECK(fd && strstr(fd->message, "bare CR line ends") != NULL);
	CHECK_INT(count_code(&p.f, "SNAP005"), 0);
	CHECK_INT(p.f.nr, 1);
	dump(&p.f);
	done(&p);
	/* a raw CR inside a value is just as wrong (it must be base64) */
	parse(&p, "dn: cn=a,dc=x\ncn: a\rb\n");
	CHECK(find_code(&p.f, "SNAP020") != NULL);
	CHECK_INT(p.l.nr, 0);
	done(&p);
}

/* ldifde -u writes UTF-16LE with a BOM */
static void test_utf16(void)
{
	const char *text = "dn: CN=Ελένη,DC=x\r\ncn: Ελένη 😀\r\n";
	dg_strbuf u16 = DG_STRBUF_INIT;
	parsed p;
	const unsigned char *s = (const unsigned char *)text;
	dg_strbuf_add(&u16, "\xff\xfe", 2);
	while (*s) { /* a small UTF-8 -> UTF-16LE encoder for the test */
		unsigned cp;
		if (*s < 0x80)
			cp = *s++;
		else if (*s < 0xe0)
			cp = (unsigned)(s[0] & 0x1f) << 6 | (s[1] & 0x3f), s += 2;
		else if (*s < 0xf0)
			cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f), s += 3;
		else
			cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
			     (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f), s += 4;
		if (cp >= 0x10000) {
			unsigned hi = 0xd800 + ((cp - 0x10000) >> 10), lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			dg_strbuf_addch(&u16, (int)(hi & 0xff));
			dg_strbuf_addch(&u16, (int)(hi >> 8));
			dg_strbuf_addch(&u16, (int)(lo & 0xff));
			dg_strbuf_addch(&u16, (int)(lo >> 8));
		} else {
			dg_strbuf_addch(&u16, (int)(cp & 0xff));
			dg_strbuf_addch(&u16, (int)(cp >> 8));
		}
	}
	parse_n(&p, u16.buf, u16.len);
	CHECK_INT(p.f.nr, 0);
	dump(&p.f);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr == 1) {
		CHECK_STR(p.l.items[0].dn, "CN=Ελένη,DC=x");
		CHECK_STR(dg_entry_first(&p.l.items[0], "cn"), "Ελένη 😀");
	}
	done(&p);
	/* a truncated file (odd byte, lone surrogate) must not crash */
	parse_n(&p, u16.buf, u16.len - 3);
	CHECK_INT(p.l.nr, 1);
	done(&p);
	dg_strbuf_release(&u16);
}

static void test_errors_with_lines(void)
{
	parsed p;
	parse(&p, " continued without a line\n"      /* 1 */
		  "\n"                                /* 2 */
		  "cn: no dn here\n"                  /* 3 */
		  "sn: skipped with its record\n"     /* 4 */
		  "\n"                                /* 5 */
		  "dn: cn=ok\n"                       /* 6 */
		  "this line has no colon\n"          /* 7 */
		  "bad name: x\n"                     /* 8 */
		  "-: x\n"                            /* 9 */
		  "cn: ok\n");                        /* 10 */
	CHECK_INT(count_code(&p.f, "SNAP001"), 5);
	dump(&p.f);
	{
		int lines[5] = { 0 }, k = 0;
		for (size_t i = 0; i < p.f.nr && k < 5; i++)
			if (!strcmp(p.f.items[i].code, "SNAP001"))
				lines[k++] = p.f.items[i].line;
		CHECK_INT(lines[0], 1);
		CHECK_INT(lines[1], 3);
		CHECK_INT(lines[2], 7);
		CHECK_INT(lines[3], 8);
		CHECK_INT(lines[4], 9);
	}
	for (size_t i = 0; i < p.f.nr; i++) {
		CHECK(p.f.items[i].hint && *p.f.items[i].hint);
		CHECK_STR(p.f.items[i].path, "");
	}
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr == 1)
		CHECK_STR(dg_entry_first(&p.l.items[0], "cn"), "ok");
	done(&p);
}

static void test_missing_blank_line(void)
{
	parsed p;
	parse(&p, "dn: cn=a\ncn: a\ndn: cn=b\ncn: b\n");
	CHECK_INT(count_code(&p.f, "SNAP001"), 1);
	CHECK_INT(p.l.nr, 2);
	if (p.l.nr == 2) {
		CHECK_STR(dg_entry_first(&p.l.items[0], "cn"), "a");
		CHECK_STR(dg_entry_first(&p.l.items[1], "cn"), "b");
		CHECK_INT(p.l.items[1].line, 3);
	}
	done(&p);
}

static void test_changetype(void)
{
	parsed p;
	parse(&p, "dn: cn=add\nchangetype: add\ncn: add\n\n"
		  "dn: cn=mod\nchangetype: modify\nreplace: mail\nmail: x@y\n-\n\n"
		  "dn: cn=del\nchangetype:delete\n\n"
		  "dn: cn=ctl\ncontrol: 1.2.840.113556.1.4.805 true\nchangetype: delete\n\n"
		  "dn: cn=b64\nchangetype:: bW9kcmRu\nnewrdn: cn=x\n\n"
		  "dn: cn=last\ncn: last\n");
	CHECK_INT(count_code(&p.f, "SNAP004"), 4);
	dump(&p.f);
	CHECK_INT(p.f.nr, 4);
	CHECK_INT(p.l.nr, 2);
	if (p.l.nr == 2) {
		CHECK_STR(p.l.items[0].dn, "cn=add");
		CHECK_STR(p.l.items[1].dn, "cn=last");
	}
	{
		const dg_finding *fd = find_code(&p.f, "SNAP004");
		CHECK(fd && fd->line == 6);
		CHECK(fd && strstr(fd->message, "cn=mod"));
	}
	done(&p);
}

static void test_empty(void)
{
	parsed p;
	parse(&p, "");
	CHECK_INT(p.rc, DG_OK);
	CHECK_INT(p.l.nr, 0);
	CHECK_INT(count_code(&p.f, "SNAP006"), 1);
	done(&p);

	parse(&p, "version: 1\n\n# nothing here\n\n\n");
	CHECK_INT(p.l.nr, 0);
	CHECK_INT(p.f.nr, 1);
	CHECK_INT(count_code(&p.f, "SNAP006"), 1);
	done(&p);

	/* no trailing newline, DN only (ldapsearch 1.1) */
	parse(&p, "dn: cn=a");
	CHECK_INT(p.f.nr, 0);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr)
		CHECK_INT(p.l.items[0].nattrs, 0);
	done(&p);
}

static void test_url_value(void)
{
	parsed p;
	parse(&p, "dn: cn=a\ncn: a\njpegPhoto:< file:///tmp/a.jpg\n\ndn:< file:///x\n");
	CHECK_INT(count_code(&p.f, "SNAP003"), 2);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr)
		CHECK(!dg_entry_attr(&p.l.items[0], "jpegPhoto"));
	done(&p);
}

static void test_huge_value(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	parsed p;
	size_t big = (size_t)1 << 20;
	dg_strbuf_adds(&sb, "dn: cn=big\ndescription: ");
	for (size_t i = 0; i < big; i++) {
		dg_strbuf_addch(&sb, 'a' + (int)(i % 26));
		if (i % 76 == 75)
			dg_strbuf_adds(&sb, "\n ");
	}
	dg_strbuf_adds(&sb, "\ncn: big\n");
	parse_n(&p, sb.buf, sb.len);
	CHECK_INT(p.f.nr, 0);
	CHECK_INT(p.l.nr, 1);
	if (p.l.nr) {
		const dg_attr *a = dg_entry_attr(&p.l.items[0], "description");
		CHECK(a && a->vals[0].len == big);
		CHECK_STR(dg_entry_first(&p.l.items[0], "cn"), "big");
	}
	done(&p);
	dg_strbuf_release(&sb);
}

static int collect(void *ctx, dg_entry *e)
{
	dg_entry_list *l = ctx;
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

static void test_line_limit(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_ldif_opts o = { .file = "t.ldif", .on_entry = collect, .ctx = &l, .max_line = 1000 };
	dg_strbuf_adds(&sb, "dn: cn=a\ncn: a\nphoto: ");
	dg_strbuf_addrepeat(&sb, 'x', 5000);                 /* one long physical line */
	dg_strbuf_adds(&sb, "\nnote: ");
	for (int i = 0; i < 100; i++)
		dg_strbuf_adds(&sb, "0123456789012345678\n ");    /* long after unfolding */
	dg_strbuf_adds(&sb, "\nsn: a\n\ndn: cn=");
	dg_strbuf_addrepeat(&sb, 'y', 2000);                 /* an over-long DN */
	dg_strbuf_adds(&sb, "\ncn: y\n\ndn: cn=c\ncn: c\n");
	CHECK_INT(dg_ldif_stream_mem(sb.buf, sb.len, &o, &f, NULL), DG_OK);
	CHECK_INT(count_code(&f, "SNAP007"), 3);
	dump(&f);
	CHECK_INT(l.nr, 2);
	if (l.nr == 2) {
		CHECK(!dg_entry_attr(&l.items[0], "photo"));
		CHECK(!dg_entry_attr(&l.items[0], "note"));
		CHECK_STR(dg_entry_first(&l.items[0], "sn"), "a");
		CHECK_STR(l.items[1].dn, "cn=c");
	}
	{
		const dg_finding *fd = find_code(&f, "SNAP007");
		CHECK(fd && fd->line == 3 && strstr(fd->message, "photo"));
	}
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_strbuf_release(&sb);
}

static int want_only_cn(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	return len == 2 && !strncasecmp(name, "cn", 2);
}

static int stop_after_two(void *ctx, dg_entry *e)
{
	int *n = ctx;
	(void)e; /* not taken: the reader frees it */
	return ++*n >= 2;
}

static void test_stream_options(void)
{
	const char *text = "dn: cn=a\ncn: a\nmail: a@x\njunk:: ####\n\n"
			   "dn: cn=b\ncn: b\n\ndn: cn=c\ncn: c\n";
	dg_findings f = DG_FINDINGS_INIT;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_ldif_opts o = { .want_attr = want_only_cn, .on_entry = collect, .ctx = &l,
			   .json_path = "/directory/snapshot" };
	int n = 0;
	CHECK_INT(dg_ldif_stream_mem(text, strlen(text), &o, &f, NULL), DG_OK);
	CHECK_INT(f.nr, 0); /* unwanted values are not even decoded */
	CHECK_INT(l.nr, 3);
	if (l.nr)
		CHECK_INT(l.items[0].nattrs, 1);
	dg_entry_list_clear(&l);

	o = (dg_ldif_opts){ .on_entry = stop_after_two, .ctx = &n };
	CHECK_INT(dg_ldif_stream_mem(text, strlen(text), &o, &f, NULL), DG_OK);
	CHECK_INT(n, 2);
	CHECK_INT(count_code(&f, "SNAP002"), 1); /* everything is decoded without want_attr */
	CHECK_INT(f.nr, 1);
	dg_findings_clear(&f);

	/* findings carry the JSON pointer they were given */
	o = (dg_ldif_opts){ .on_entry = collect, .ctx = &l, .json_path = "/directory/snapshot" };
	CHECK_INT(dg_ldif_stream_mem("cn: x\n", 6, &o, &f, NULL), DG_OK);
	CHECK(f.nr >= 1 && !strcmp(f.items[0].path, "/directory/snapshot"));
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
}

/* A deep copy of a borrowed entry, as a caller that keeps one would make. */
static int copy_borrowed(void *ctx, dg_entry *e)
{
	dg_entry_list *l = ctx;
	dg_entry *c;
	CHECK_INT(e->alloc, 0); /* a view: not to be freed or taken */
	c = dg_entry_list_add(l, e->dn);
	c->line = e->line;
	for (size_t i = 0; i < e->nattrs; i++)
		for (size_t j = 0; j < e->attrs[i].nvals; j++)
			dg_entry_add_value(c, e->attrs[i].name, e->attrs[i].vals[j].val,
					   e->attrs[i].vals[j].len);
	return 0;
}

static char seen_types[256];

static int note_type(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	strncat(seen_types, name, len);
	strcat(seen_types, " ");
	return 1;
}

static void test_borrowed_entries(void)
{
	const char *text = "dn: cn=a\ncn: a\nobjectClass: top\nCN: again\n"
			   "member;range=0-1499: cn=x\nobjectGUID:: AAEC\n\n"
			   "dn: cn=b\nsn: b\n\ndn: cn=c\n";
	parsed owned;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldif_opts o = { .borrow = 1, .on_entry = copy_borrowed, .ctx = &l,
			   .want_attr = note_type };
	parse(&owned, text);
	seen_types[0] = '\0';
	CHECK_INT(dg_ldif_stream_mem(text, strlen(text), &o, &f, NULL), DG_OK);
	CHECK_INT(f.nr, 0);
	CHECK_INT(l.nr, owned.l.nr);
	for (size_t i = 0; i < l.nr && i < owned.l.nr; i++) {
		const dg_entry *a = &l.items[i], *b = &owned.l.items[i];
		CHECK_STR(a->dn, b->dn);
		CHECK_INT(a->line, b->line);
		CHECK_INT(a->nattrs, b->nattrs);
		for (size_t k = 0; k < a->nattrs && k < b->nattrs; k++) {
			CHECK_STR(a->attrs[k].name, b->attrs[k].name);
			CHECK_INT(a->attrs[k].nvals, b->attrs[k].nvals);
			for (size_t j = 0; j < a->attrs[k].nvals && j < b->attrs[k].nvals; j++)
				CHECK(a->attrs[k].vals[j].len == b->attrs[k].vals[j].len &&
				      !memcmp(a->attrs[k].vals[j].val, b->attrs[k].vals[j].val,
					      a->attrs[k].vals[j].len));
		}
	}
	/* want_attr sees the type without options; the entry keeps them */
	CHECK_STR(seen_types, "cn objectClass CN member objectGUID sn ");
	CHECK(l.nr && dg_entry_attr(&l.items[0], "member;range=0-1499"));
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	done(&owned);
}

static void test_findings_capped(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	parsed p;
	dg_strbuf_adds(&sb, "dn: cn=a\n");
	for (int i = 0; i < 500; i++)
		dg_strbuf_adds(&sb, "no colon here\n");
	parse_n(&p, sb.buf, sb.len);
	CHECK_INT(count_code(&p.f, "SNAP001"), 21);
	CHECK(p.f.nr && strstr(p.f.items[p.f.nr - 1].message, "480 more"));
	CHECK(p.f.nr && p.f.items[p.f.nr - 1].line == 22);
	done(&p);
	dg_strbuf_release(&sb);
}

static void test_nul_in_dn(void)
{
	parsed p;
	/* "cn=a\0b" in base64 */
	parse(&p, "dn:: Y249YQBi\ncn: a\n\ndn: cn=ok\n");
	CHECK_INT(count_code(&p.f, "SNAP008"), 1);
	CHECK_INT(p.l.nr, 1);
	done(&p);
}

static char *tmp_write(const char *data, size_t n)
{
	char *path = dg_xstrdup("/tmp/dg-test-ldif-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n) {
		perror("tmp");
		exit(1);
	}
	close(fd);
	return path;
}

/* Bigger than the reader's 256 KiB block, with CRLF, so lines, folds and
 * the "\r\n" pairs themselves straddle block boundaries. */
static void test_file_blocks(void)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_error err;
	char *path;
	int n = 6000, ok = 1;
	for (int i = 0; i < n; i++)
		dg_strbuf_addf(&sb, "dn: CN=User %05d,OU=Staff,DC=contoso,DC=com\r\n"
			       "objectClass: user\r\n"
			       "description: a long description that is folded onto the next\r\n"
			       "  line %d of the export\r\n"
			       "mail: user%05d@contoso.com\r\n\r\n", i, i, i);
	path = tmp_write(sb.buf, sb.len);
	CHECK_INT(dg_ldif_read_file(path, &l, &f, &err), DG_OK);
	CHECK_INT(f.nr, 0);
	CHECK_INT(l.nr, n);
	for (size_t i = 0; i < l.nr && ok; i++) {
		char want[128];
		snprintf(want, sizeof(want), "user%05zu@contoso.com", i);
		ok = !strcmp(dg_entry_first(&l.items[i], "mail"), want);
		snprintf(want, sizeof(want), "a long description that is folded onto the next line %zu of the export", i);
		ok = ok && !strcmp(dg_entry_first(&l.items[i], "description"), want);
		ok = ok && l.items[i].line == (int)i * 6 + 1;
	}
	CHECK(ok);
	unlink(path);
	free(path);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	dg_strbuf_release(&sb);
}

static void test_file_errors(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_error err;
	CHECK_INT(dg_ldif_read_file("/nonexistent/dir/snap.ldif", &l, &f, &err), DG_E_IO);
	CHECK(strstr(err.message, "/nonexistent/dir/snap.ldif") != NULL);
	CHECK_INT(dg_ldif_read_file("/tmp", &l, &f, &err), DG_E_IO);
	CHECK(strstr(err.message, "directory") != NULL);
	CHECK_INT(f.nr, 0);
	CHECK_INT(l.nr, 0);
}

static void test_writer(void)
{
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_strbuf out = DG_STRBUF_INIT;
	dg_entry *e = dg_entry_list_add(&l, "CN=Zoë Ångström,OU=Staff,DC=contoso,DC=com");
	dg_entry_add_value(e, "cn", "plain", 5);
	dg_entry_add_value(e, "description", " leading space", 14);
	dg_entry_add_value(e, "description", "trailing space ", 15);
	dg_entry_add_value(e, "description", ":colon", 6);
	dg_entry_add_value(e, "description", "<angle", 6);
	dg_entry_add_value(e, "description", "", 0);
	dg_entry_add_value(e, "objectGUID", "\x90\x39\x00\xb9", 4);
	dg_entry_add_value(e, "info", "line1\nline2", 11);
	dg_ldif_write_header(&out);
	dg_ldif_write_entry(&out, e);
	CHECK(!strncmp(out.buf, "version: 1\n\ndn:: ", 17));
	CHECK(strstr(out.buf, "\ncn: plain\n") != NULL);
	CHECK(strstr(out.buf, "\ndescription:: IGxlYWRpbmcgc3BhY2U=\n") != NULL);
	CHECK(strstr(out.buf, "\ndescription:\n") != NULL);
	CHECK(strstr(out.buf, "\nobjectGUID:: kDkAuQ==\n") != NULL);
	CHECK(out.len > 2 && !strcmp(out.buf + out.len - 2, "\n\n"));
	dg_entry_list_clear(&l);
	dg_strbuf_release(&out);

	/* long values fold at 76 columns */
	e = dg_entry_list_add(&l, "cn=long");
	{
		char v[300];
		memset(v, 'v', sizeof(v));
		dg_entry_add_value(e, "description", v, sizeof(v));
	}
	dg_ldif_write_entry(&out, e);
	{
		const char *p = out.buf;
		int maxlen = 0;
		while (*p) {
			const char *nl = strchr(p, '\n');
			if ((int)(nl - p) > maxlen)
				maxlen = (int)(nl - p);
			p = nl + 1;
		}
		CHECK_INT(maxlen, 76);
	}
	dg_entry_list_clear(&l);
	dg_strbuf_release(&out);
}

static int entries_equal(const dg_entry *a, const dg_entry *b)
{
	if (strcmp(a->dn, b->dn) || a->nattrs != b->nattrs)
		return 0;
	for (size_t i = 0; i < a->nattrs; i++) {
		const dg_attr *x = &a->attrs[i], *y = &b->attrs[i];
		if (strcmp(x->name, y->name) || x->nvals != y->nvals)
			return 0;
		for (size_t j = 0; j < x->nvals; j++)
			if (x->vals[j].len != y->vals[j].len ||
			    memcmp(x->vals[j].val, y->vals[j].val, x->vals[j].len))
				return 0;
	}
	return 1;
}

static void test_round_trip(void)
{
	const char *text =
		"version: 1\n\n"
		"dn: CN=Doe\\, John,OU=Sales,DC=contoso,DC=com\n"
		"objectClass: top\nobjectClass: user\n"
		"displayName:: 5bGx55SwIOWkqumDjg==\n"
		"proxyAddresses: SMTP:john.doe@contoso.com\n"
		"proxyAddresses: smtp:jd@contoso.com\n"
		"objectSid:: AQUAAAAAAAUVAAAAdGhpcyBpcyBub3QgYSBzaWQAAAA=\n"
		"description:: IHNwYWNlcyAg\n"
		"info: a value long enough to be folded by the writer because it is longer than seventy-six bytes\n"
		"\n"
		"dn:: IGxlYWRpbmcgc3BhY2UsREM9eA==\n"
		"cn:\n"
		"\n"
		"dn:\n";
	parsed a, b;
	dg_strbuf out = DG_STRBUF_INIT;
	parse(&a, text);
	CHECK_INT(a.f.nr, 0);
	dump(&a.f);
	CHECK_INT(a.l.nr, 3);
	dg_ldif_write_header(&out);
	for (size_t i = 0; i < a.l.nr; i++)
		dg_ldif_write_entry(&out, &a.l.items[i]);
	parse_n(&b, out.buf, out.len);
	CHECK_INT(b.f.nr, 0);
	CHECK_INT(b.l.nr, a.l.nr);
	for (size_t i = 0; i < a.l.nr && i < b.l.nr; i++)
		CHECK(entries_equal(&a.l.items[i], &b.l.items[i]));
	if (a.l.nr == 3) {
		CHECK_STR(dg_entry_first(&a.l.items[0], "displayName"), "山田 太郎");
		CHECK_STR(a.l.items[1].dn, " leading space,DC=x");
		CHECK_STR(a.l.items[2].dn, "");
	}
	done(&a);
	done(&b);
	dg_strbuf_release(&out);
}

int main(void)
{
	RUN(test_basic_records);
	RUN(test_version_line);
	RUN(test_comments);
	RUN(test_folding);
	RUN(test_base64);
	RUN(test_base64_invalid);
	RUN(test_base64_codec);
	RUN(test_crlf_and_bom);
	RUN(test_bare_cr);
	RUN(test_utf16);
	RUN(test_errors_with_lines);
	RUN(test_missing_blank_line);
	RUN(test_changetype);
	RUN(test_empty);
	RUN(test_url_value);
	RUN(test_huge_value);
	RUN(test_line_limit);
	RUN(test_stream_options);
	RUN(test_borrowed_entries);
	RUN(test_findings_capped);
	RUN(test_nul_in_dn);
	RUN(test_file_blocks);
	RUN(test_file_errors);
	RUN(test_writer);
	RUN(test_round_trip);
	return dg_t_done();
}
