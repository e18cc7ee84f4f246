/* libFuzzer target: dg_ldap_srv_best on arbitrary bytes, as any DNS server
 * (or something answering in its place) might send for the domain
 * controller lookup.  A result, when there is one, is a non-empty name. */
#include "connectors/ldap/ldap_conn.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *best = dg_ldap_srv_best(data, size);
	if (best && (!*best || !strcmp(best, ".")))
		abort();
	free(best);
	return 0;
}
