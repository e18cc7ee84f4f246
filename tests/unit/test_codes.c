/* The finding-code registry: well-formed, unique, and every code explained
 * in docs/findings.md (codes are a public contract). */
#include "core/findings.h"
#include "core/strbuf.h"
#include "test.h"

#include <ctype.h>

static const char *areas[] = { "PROF", "SECRET", "URI", "FILTER", "LDAP", "AD", "ADFS",
			       "M365", "GOOGLE", "TLS", "CERT", "AUTH", "SNAP", "API",
			       "GUARD", "MAP", "FLEET", NULL };

static int well_formed(const char *code)
{
	size_t n = strlen(code);
	if (n < 4)
		return 0;
	for (int i = 0; areas[i]; i++) {
		size_t a = strlen(areas[i]);
		if (n == a + 3 && !strncmp(code, areas[i], a) && isdigit((unsigned char)code[a]) &&
		    isdigit((unsigned char)code[a + 1]) && isdigit((unsigned char)code[a + 2]))
			return 1;
	}
	return 0;
}

static void test_codes_well_formed_and_unique(void)
{
	size_t n;
	const dg_code_info *t = dg_code_table(&n);
	CHECK(n > 10);
	for (size_t i = 0; i < n; i++) {
		if (!well_formed(t[i].code))
			printf("# malformed code %s\n", t[i].code);
		CHECK(well_formed(t[i].code));
		CHECK(t[i].title && *t[i].title);
		for (size_t j = i + 1; j < n; j++)
			if (!strcmp(t[i].code, t[j].code)) {
				printf("# duplicate code %s\n", t[i].code);
				CHECK(0);
			}
	}
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[4096];
	size_t k;
	if (!fp)
		return NULL;
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		dg_strbuf_add(&sb, buf, k);
	fclose(fp);
	return dg_strbuf_detach(&sb);
}

static void test_every_code_documented(void)
{
	const char *root = getenv("DG_SOURCE_ROOT");
	char path[4096];
	size_t n;
	const dg_code_info *t = dg_code_table(&n);
	snprintf(path, sizeof(path), "%s/docs/findings.md", root ? root : ".");
	char *doc = slurp(path);
	CHECK(doc != NULL);
	if (!doc)
		return;
	for (size_t i = 0; i < n; i++) {
		char heading[64];
		snprintf(heading, sizeof(heading), "\n### %s ", t[i].code);
		if (!strstr(doc, heading)) {
			printf("# %s is not documented in docs/findings.md\n", t[i].code);
			CHECK(0);
		}
	}
	/* and nothing documented that the tool cannot emit */
	for (const char *h = strstr(doc, "\n### "); h; h = strstr(h + 1, "\n### ")) {
		char code[16] = "";
		sscanf(h + 5, "%15[A-Z0-9]", code);
		if (!dg_code_lookup(code)) {
			printf("# docs/findings.md documents unknown code %s\n", code);
			CHECK(0);
		}
	}
	free(doc);
}

static void test_lookup(void)
{
	const dg_code_info *c = dg_code_lookup("PROF002");
	CHECK(c != NULL);
	CHECK(c && c->severity == DG_SEV_ERROR);
	CHECK(dg_code_lookup("NOPE999") == NULL);
}

/* The enum and the table come from one generated list: each constant's
 * entry carries its own name, and looking the name up gives that entry. */
static void test_enum_matches_table(void)
{
	size_t n;
	const dg_code_info *t = dg_code_table(&n);

	CHECK_INT((long)n, (long)DGF_COUNT_);
	for (size_t i = 0; i < n; i++)
		CHECK(dg_code_lookup(t[i].code) == dg_code_info_of((dg_finding_code)i));
	CHECK_STR(dg_code_info_of(DGF_PROF002)->code, "PROF002");
	CHECK_STR(dg_code_info_of(DGF_FLEET017)->code, "FLEET017");
	CHECK(dg_code_info_of(DGF_COUNT_) == NULL);
}

/* A finding takes its severity from the registry, never from the caller. */
static void test_severity_from_registry(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_findings_add(&f, DGF_SECRET001, "/x", "literal");
	dg_findings_add(&f, DGF_SECRET002, "/x", "unresolved");
	dg_findings_add(&f, DGF_SECRET004, "/x", "unset");
	dg_findings_add(&f, DGF_AUTH006, "/x", "note");
	CHECK_STR(f.items[0].code, "SECRET001");
	CHECK(f.items[0].severity == DG_SEV_WARNING);
	CHECK(f.items[1].severity == DG_SEV_ERROR);
	CHECK(f.items[2].severity == DG_SEV_WARNING);
	CHECK(f.items[3].severity == DG_SEV_INFO);
	dg_findings_clear(&f);
}

/* A code marked DG_INCOMPLETE is a registered one (the generator refuses
 * others); the list is not empty. */
static void test_incomplete_codes_registered(void)
{
	size_t n;
	const dg_finding_code *codes = dg_incomplete_codes(&n);

	CHECK(n >= 4);
	for (size_t i = 0; i < n; i++)
		CHECK(dg_code_info_of(codes[i]) != NULL);
}

int main(void)
{
	RUN(test_incomplete_codes_registered);
	RUN(test_enum_matches_table);
	RUN(test_severity_from_registry);
	RUN(test_codes_well_formed_and_unique);
	RUN(test_every_code_documented);
	RUN(test_lookup);
	return dg_t_done();
}
