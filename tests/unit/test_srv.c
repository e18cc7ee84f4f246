/* Picking a domain controller from a DNS SRV answer (dg_ldap_srv_best):
 * priority, then weight; unusable targets; and answers that are truncated
 * or malformed, as anything from the network may be. */
#include "connectors/ldap/ldap_conn.h"
#include "test.h"

#include <arpa/nameser.h>

typedef struct pkt {
	unsigned char b[1024];
	size_t n;
} pkt;

static void put16(pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)(v >> 8);
	p->b[p->n++] = (unsigned char)v;
}

static void put_name(pkt *p, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		p->b[p->n++] = (unsigned char)len;
		memcpy(p->b + p->n, name, len);
		p->n += len;
		name += len + (dot ? 1 : 0);
	}
	p->b[p->n++] = 0;
}

#define QNAME "_ldap._tcp.dc._msdcs.contoso.com"

/* Header and question; `an` answers follow. */
static void start(pkt *p, unsigned an)
{
	memset(p, 0, sizeof(*p));
	put16(p, 0x1234);
	put16(p, 0x8180);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	put_name(p, QNAME);
	put16(p, ns_t_srv);
	put16(p, ns_c_in);
}

/* One SRV record; target NULL writes a compression pointer to the
 * question name (offset 12). */
static void srv(pkt *p, unsigned prio, unsigned weight, const char *target)
{
	size_t rdlen_at;
	put16(p, 0xc00c); /* owner: the question name */
	put16(p, ns_t_srv);
	put16(p, ns_c_in);
	put16(p, 0);
	put16(p, 600);
	rdlen_at = p->n;
	put16(p, 0);
	put16(p, prio);
	put16(p, weight);
	put16(p, 389);
	if (target)
		put_name(p, target);
	else
		put16(p, 0xc00c);
	p->b[rdlen_at] = (unsigned char)((p->n - rdlen_at - 2) >> 8);
	p->b[rdlen_at + 1] = (unsigned char)(p->n - rdlen_at - 2);
}

static void expect(const pkt *p, const char *want)
{
	char *got = dg_ldap_srv_best(p->b, p->n);
	if (want)
		CHECK_STR(got, want);
	else
		CHECK(got == NULL);
	free(got);
}

static void test_priority_then_weight(void)
{
	pkt p;
	start(&p, 3);
	srv(&p, 10, 100, "dc3.contoso.com");
	srv(&p, 0, 10, "dc1.contoso.com");
	srv(&p, 0, 60, "dc2.contoso.com");
	expect(&p, "dc2.contoso.com");

	start(&p, 2);
	srv(&p, 5, 0, "late.contoso.com");
	srv(&p, 1, 0, "early.contoso.com");
	expect(&p, "early.contoso.com");
}

static void test_targets(void)
{
	pkt p;
	start(&p, 1);
	srv(&p, 0, 0, "");           /* "." : the service is not offered */
	expect(&p, NULL);

	start(&p, 1);
	srv(&p, 0, 0, NULL);         /* compressed target */
	expect(&p, QNAME);

	start(&p, 0);                /* NOERROR, no answers */
	expect(&p, NULL);

	/* another record type first (a CNAME) is skipped */
	start(&p, 2);
	put16(&p, 0xc00c);
	put16(&p, ns_t_cname);
	put16(&p, ns_c_in);
	put16(&p, 0);
	put16(&p, 600);
	put16(&p, 2);
	put16(&p, 0xc00c);
	srv(&p, 0, 0, "dc1.contoso.com");
	expect(&p, "dc1.contoso.com");
}

static void test_malformed(void)
{
	pkt p, q;
	start(&p, 2);
	srv(&p, 0, 0, "dc1.contoso.com");
	srv(&p, 0, 5, "dc2.contoso.com");
	/* every truncation: no crash (the ASan build checks the reads), and
	 * no answer from a record cut short */
	for (size_t n = 0; n < p.n; n++) {
		char *got = dg_ldap_srv_best(p.b, n);
		CHECK(!got || !strcmp(got, "dc1.contoso.com"));
		free(got);
	}
	expect(&p, "dc2.contoso.com");

	/* a compression pointer to itself */
	start(&q, 1);
	srv(&q, 0, 0, "x");
	q.b[q.n - 3] = 0xc0;
	q.b[q.n - 2] = (unsigned char)(q.n - 3);
	q.b[q.n - 1] = 0;
	expect(&q, NULL);

	/* rdlength past the end */
	start(&q, 1);
	srv(&q, 0, 0, "dc1.contoso.com");
	q.b[q.n - 24] = 0xff;
	expect(&q, NULL);

	/* more answers announced than present */
	start(&q, 9);
	srv(&q, 0, 0, "dc1.contoso.com");
	expect(&q, NULL);
	CHECK(dg_ldap_srv_best(q.b, 3) == NULL);
}

int main(void)
{
	RUN(test_priority_then_weight);
	RUN(test_targets);
	RUN(test_malformed);
	return dg_t_done();
}
