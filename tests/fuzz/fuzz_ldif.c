/* libFuzzer target for the LDIF reader and writer (src/connectors/ldap/ldif.c) and the
 * DN canonicaliser of the snapshot connector.
 *
 * Properties checked on every input:
 *  - reading never crashes, leaks or overflows (sanitizers);
 *  - every finding has a registered code and a line;
 *  - writing every entry back and reading that gives the same entries
 *    (DN, attribute names, values byte for byte) and no findings;
 *  - skipping attributes (want_attr) and borrowed entries never change how
 *    many entries there are: record boundaries do not depend on which
 *    values are decoded or how entries are handed over;
 *  - the canonical form of a DN is a fixed point (canonical twice = once). */
#include "connectors/ldap/dn.h"
#include "connectors/ldap/ldif.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void check_findings(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!dg_code_lookup(f->items[i].code) || f->items[i].line < 1 || !f->items[i].message)
			abort();
}

static void check_round_trip(const dg_entry_list *l)
{
	dg_strbuf out = DG_STRBUF_INIT;
	dg_entry_list again = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldif_write_header(&out);
	for (size_t i = 0; i < l->nr; i++)
		dg_ldif_write_entry(&out, &l->items[i]);
	dg_ldif_read_mem(out.buf, out.len, "again", &again, &f, NULL);
	if (again.nr != l->nr)
		abort();
	if (f.nr && !(l->nr == 0 && f.nr == 1 && !strcmp(f.items[0].code, "SNAP006")))
		abort(); /* what the writer writes must read cleanly */
	for (size_t i = 0; i < l->nr; i++)
		if (!entries_equal(&l->items[i], &again.items[i]))
			abort();
	dg_entry_list_clear(&again);
	dg_findings_clear(&f);
	dg_strbuf_release(&out);
}

static int want_c(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	(void)len;
	return name[0] == 'c' || name[0] == 'C';
}

static int count(void *ctx, dg_entry *e)
{
	(void)e;
	(*(size_t *)ctx)++;
	return 0;
}

static void check_filtered_count(const uint8_t *data, size_t size, size_t want)
{
	size_t n = 0;
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldif_opts o = { .want_attr = want_c, .on_entry = count, .ctx = &n, .borrow = 1 };
	dg_ldif_stream_mem(data, size, &o, &f, NULL);
	check_findings(&f);
	if (n != want)
		abort();
	dg_findings_clear(&f);
}

static void check_dn(const char *dn)
{
	dg_strbuf a = DG_STRBUF_INIT, b = DG_STRBUF_INIT;
	if (!dg_dn_canonical(dn, strlen(dn), &a)) {
		if (dg_dn_canonical(a.buf, a.len, &b) || strcmp(a.buf, b.buf))
			abort();
		if (!dg_dn_is_under(a.buf, a.len, a.buf, a.len))
			abort();
	}
	dg_strbuf_release(&a);
	dg_strbuf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;
	dg_ldif_read_mem(data, size, "fuzz", &l, &f, NULL);
	check_findings(&f);
	check_round_trip(&l);
	check_filtered_count(data, size, l.nr);
	for (size_t i = 0; i < l.nr; i++)
		check_dn(l.items[i].dn);
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	return 0;
}
