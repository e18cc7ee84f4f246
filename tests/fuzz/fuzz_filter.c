/* libFuzzer target for the filter parser (src/core/filter.c).
 *
 * Properties checked on every input:
 *  - parse never crashes, leaks or overflows (sanitizers);
 *  - a parsed filter prints to a text that parses again and prints the same
 *    (the printer's escaping and the parser agree);
 *  - evaluation against a fixed entry terminates and gives the same answer
 *    for the original and the re-parsed tree;
 *  - a failed parse reports a registered code, a column within the text and
 *    a caret that can be rendered;
 *  - the input escaped with dg_filter_escape_value and spliced into a filter
 *    stays one equality whose value is exactly the input. */
#include "core/filter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static dg_entry entry;

static int chain(void *ctx, const dg_entry *e, const char *attr, const char *dn)
{
	(void)ctx;
	(void)e;
	return !strcasecmp(attr, "memberOf") && !strncasecmp(dn, "CN=Staff", 8);
}

static void setup(void)
{
	static const char *const av[][2] = {
		{ "objectClass", "top" }, { "objectClass", "person" }, { "objectClass", "user" },
		{ "cn", "J\xc3\xbcrgen M\xc3\xbcller" }, { "sn", "M\xc3\xbcller" },
		{ "mail", "juergen@example.com" }, { "proxyAddresses", "SMTP:juergen@example.com" },
		{ "userAccountControl", "66050" }, { "groupType", "-2147483646" },
		{ "uSNChanged", "12000" }, { "memberOf", "CN=Sales,OU=Groups,DC=example,DC=com" },
		{ "description;lang-de", "Verkauf" },
	};
	if (entry.dn)
		return;
	entry.dn = strdup("CN=J\xc3\xbcrgen M\xc3\xbcller,OU=Sales,DC=example,DC=com");
	for (size_t i = 0; i < sizeof(av) / sizeof(av[0]); i++)
		dg_entry_add_value(&entry, av[i][0], av[i][1], strlen(av[i][1]));
	dg_entry_add_value(&entry, "objectGUID", "\x90\x39\x5f\xb9\x00\x01", 6);
}

static void walk(const char *attr, void *ctx)
{
	(void)attr;
	(*(size_t *)ctx)++;
}

static void check_escape(const char *text, size_t len)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_filter_error err;
	dg_filter *f;
	dg_strbuf_adds(&sb, "(cn=");
	dg_filter_escape_value(text, len, &sb);
	dg_strbuf_addch(&sb, ')');
	f = dg_filter_parse(sb.buf, &err);
	if (!f || f->type != DG_F_EQUAL || f->value.len != len || memcmp(f->value.val, text, len))
		abort();
	dg_filter_free(f);
	dg_strbuf_release(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_filter_hooks hooks = { NULL, chain, NULL };
	dg_filter_error err;
	dg_findings fs = DG_FINDINGS_INIT;
	dg_strbuf a = DG_STRBUF_INIT, b = DG_STRBUF_INIT;
	char *text;
	dg_filter *f, *g;
	int parsed;

	setup();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the parser reads C strings: stops at a NUL */

	f = dg_filter_parse(text, &err);
	parsed = f != NULL;
	if (!f) {
		if (!dg_code_lookup(dg_code_info_of(err.code)->code) || err.column < 1 ||
		    err.offset > strlen(text) || !err.message[0] || !err.hint[0])
			abort();
		dg_filter_caret(text, &err, &a);
	} else {
		size_t n = 0;
		dg_filter_print(f, &a);
		g = dg_filter_parse(a.buf, &err);
		if (!g)
			abort();
		dg_filter_print(g, &b);
		if (strcmp(a.buf, b.buf))
			abort();
		if (dg_filter_match(f, &entry, NULL) != dg_filter_match(g, &entry, NULL) ||
		    dg_filter_match(f, &entry, &hooks) != dg_filter_match(g, &entry, &hooks))
			abort();
		dg_filter_walk_attrs(f, walk, &n);
		dg_filter_free(g);
		dg_filter_free(f);
	}
	if (dg_filter_lint(text, "/f", &fs) != !parsed)
		abort();
	for (size_t i = 0; i < fs.nr; i++)
		if (!dg_code_lookup(fs.items[i].code))
			abort();
	dg_findings_clear(&fs);
	if (size <= 256)
		check_escape((const char *)data, size);
	dg_strbuf_release(&a);
	dg_strbuf_release(&b);
	free(text);
	return 0;
}
