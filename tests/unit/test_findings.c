#include "core/findings.h"
#include "test.h"

static void test_add_hint_locate(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_finding *fd = dg_findings_add(&f, DGF_PROF002, "/a", "bad %s %d", "x", 7);
	dg_finding_hint(fd, "use %s", "y");
	dg_finding_locate(fd, "p.json", 3, 9);
	CHECK_STR(f.items[0].message, "bad x 7");
	CHECK_STR(f.items[0].hint, "use y");
	CHECK_STR(f.items[0].file, "p.json");
	CHECK_INT(f.items[0].line, 3);
	CHECK_INT(dg_findings_count(&f, DG_SEV_ERROR), 1);
	CHECK_INT(dg_findings_count(&f, DG_SEV_WARNING), 0);
	dg_findings_clear(&f);
	CHECK_INT(f.nr, 0);
}

static void test_null_path_is_empty(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_findings_add(&f, DGF_PROF001, NULL, "x");
	CHECK_STR(f.items[0].path, "");
	CHECK(f.items[0].hint == NULL);
	dg_findings_clear(&f);
}

static void test_sort_is_stable(void)
{
	dg_findings f = DG_FINDINGS_INIT;
	dg_findings_add(&f, DGF_PROF003, "/b", "1");
	dg_findings_add(&f, DGF_PROF002, "/a", "2");
	dg_findings_add(&f, DGF_PROF002, "/a", "3");
	dg_findings_add(&f, DGF_PROF001, "/a", "4");
	dg_findings_sort(&f);
	CHECK_STR(f.items[0].message, "4");
	CHECK_STR(f.items[1].message, "2");
	CHECK_STR(f.items[2].message, "3");
	CHECK_STR(f.items[3].message, "1");
	dg_findings_clear(&f);
}

static void test_move(void)
{
	dg_findings a = DG_FINDINGS_INIT, b = DG_FINDINGS_INIT;
	dg_findings_add(&a, DGF_PROF001, "", "a");
	dg_findings_add(&b, DGF_PROF002, "", "b1");
	dg_findings_add(&b, DGF_PROF003, "", "b2");
	dg_findings_move(&a, &b);
	CHECK_INT(a.nr, 3);
	CHECK_INT(b.nr, 0);
	CHECK_STR(a.items[2].message, "b2");
	dg_findings_clear(&a);
	dg_findings_clear(&b);
}

/* Truncation is a property of the code, whatever the severity, and every
 * code in the list must exist (a typo would silently drop the mark). */
static void test_incomplete_marks(void)
{
	static const dg_finding_code marks[] = { DGF_LDAP018, DGF_M365020, DGF_GOOGLE029 };
	dg_findings f = DG_FINDINGS_INIT;
	dg_findings_add(&f, DGF_LDAP023, "", "count");
	CHECK(dg_findings_incomplete(&f) == NULL);
	for (size_t i = 0; i < sizeof(marks) / sizeof(*marks); i++) {
		dg_findings g = DG_FINDINGS_INIT;
		dg_findings_add(&g, marks[i], "", "cut short");
		CHECK(dg_code_info_of(marks[i]) != NULL);
		CHECK(dg_findings_incomplete(&g) == &g.items[0]);
		dg_findings_clear(&g);
	}
	dg_findings_add(&f, DGF_LDAP018, "", "cut short");
	CHECK(dg_findings_incomplete(&f) == &f.items[1]);
	dg_findings_clear(&f);
}

/* A saved plan's findings come back as data: a code this dirgate does not
 * know (written by another version) and a severity other than today's
 * registry's are kept, also through a copy. */
static void test_restore_and_copy(void)
{
	dg_findings f = DG_FINDINGS_INIT, g = DG_FINDINGS_INIT;
	dg_finding *fd;

	fd = dg_findings_restore(&f, "NEW999", DG_SEV_WARNING, "/x", "from the future");
	dg_finding_hint(fd, "upgrade");
	dg_finding_locate(fd, "plan.json", 3, 4);
	dg_findings_restore(&f, "PROF002", DG_SEV_INFO, NULL, NULL);
	CHECK_STR(f.items[0].code, "NEW999");
	CHECK(f.items[0].id == DGF_COUNT_ && f.items[0].severity == DG_SEV_WARNING);
	CHECK(f.items[1].id == DGF_PROF002 && f.items[1].severity == DG_SEV_INFO);
	CHECK_STR(f.items[1].path, "");
	CHECK_STR(f.items[1].message, "");
	for (size_t i = 0; i < f.nr; i++)
		dg_findings_add_copy(&g, &f.items[i]);
	CHECK_INT(g.nr, 2);
	CHECK_STR(g.items[0].code, "NEW999");
	CHECK(g.items[0].severity == DG_SEV_WARNING);
	CHECK_STR(g.items[0].hint, "upgrade");
	CHECK_STR(g.items[0].file, "plan.json");
	CHECK(g.items[0].line == 3 && g.items[0].column == 4);
	CHECK(g.items[1].id == DGF_PROF002 && g.items[1].severity == DG_SEV_INFO);
	CHECK(!dg_finding_marks_incomplete(&g.items[0]));
	dg_findings_clear(&f);
	dg_findings_clear(&g);
}

int main(void)
{
	RUN(test_add_hint_locate);
	RUN(test_null_path_is_empty);
	RUN(test_sort_is_stable);
	RUN(test_move);
	RUN(test_incomplete_marks);
	RUN(test_restore_and_copy);
	return dg_t_done();
}
