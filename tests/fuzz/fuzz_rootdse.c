/* libFuzzer target: what an LDAP server's entries tell dirgate about the
 * server (connectors/ldap_conn.c, ldap_probe.c): whether it is Active
 * Directory and where searches start when the profile's baseDn is empty
 * (defaultNamingContext), the attribute names of a subschema's
 * attributeTypes, and AD's ranged attribute names (member;range=0-1499).
 * The input is LDIF, as ldapsearch prints it.  Properties: no crash, leak
 * or undefined behaviour; the search base is the profile's baseDn when it
 * has one, else the RootDSE's defaultNamingContext with an AD015 note, else
 * none with AD016; a ranged name's base is the part before ";range=". */
#include "connectors/ldap/ldap_conn.h"
#include "connectors/ldap/ldap_probe.h"
#include "core/findings.h"
#include "connectors/ldap/ldif.h"
#include "core/profile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static dg_profile *ad_profile(const char *base_dn)
{
	dg_findings f = DG_FINDINGS_INIT;
	char *json = dg_xasprintf("{\"name\": \"f\", \"directory\": {\"type\": \"active-directory\", "
				  "\"server\": \"dc01.contoso.com\", \"baseDn\": \"%s\"}}", base_dn);
	dg_profile *p = dg_profile_parse(json, strlen(json), "fuzz.json", &f);
	free(json);
	dg_findings_clear(&f);
	if (!p)
		abort();
	return p;
}

static int only_code(const dg_findings *f, const char *code)
{
	return f->nr == 1 && !strcmp(f->items[0].code, code);
}

static void search_base(const dg_profile *empty, const dg_profile *given, const dg_entry *e)
{
	dg_findings f = DG_FINDINGS_INIT;
	const char *nc = dg_entry_first(e, "defaultNamingContext");
	const char *base = dg_ldap_search_base(empty, e, &f);
	if (nc ? base != nc || !only_code(&f, "AD015") : base || !only_code(&f, "AD016"))
		abort();
	dg_findings_clear(&f);
	base = dg_ldap_search_base(given, e, &f);
	if (!base || strcmp(base, "DC=contoso,DC=com") || f.nr)
		abort();
	dg_findings_clear(&f);
	(void)dg_ldap_rootdse_is_ad(e);
}

static void ranges_and_schema(const dg_entry *e)
{
	dg_strlist names = DG_STRLIST_INIT;

	for (size_t i = 0; i < e->nattrs; i++) {
		const char *name = e->attrs[i].name;
		size_t base = 0;
		unsigned long next = 0;
		int last = 0;
		if (dg_ldap_parse_range(name, &base, &next, &last) &&
		    (base > strlen(name) || strncmp(name + base, ";range=", 7)))
			abort();
	}
	dg_ldap_schema_names(dg_entry_attr(e, "attributeTypes"), &names);
	for (size_t i = 0; i < names.nr; i++)
		if (!names.items[i])
			abort();
	dg_strlist_clear(&names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dg_profile *empty, *given;
	dg_entry_list l = DG_ENTRY_LIST_INIT;
	dg_findings f = DG_FINDINGS_INIT;

	if (size > 1 << 18)
		return 0;
	if (!empty) {  /* made once; they live as long as the fuzzer */
		empty = ad_profile("");
		given = ad_profile("DC=contoso,DC=com");
	}
	dg_ldif_read_mem(data, size, "rootdse", &l, &f, NULL);
	for (size_t i = 0; i < l.nr; i++) {
		search_base(empty, given, &l.items[i]);
		ranges_and_schema(&l.items[i]);
	}
	dg_entry_list_clear(&l);
	dg_findings_clear(&f);
	return 0;
}
