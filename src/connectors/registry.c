/* The registry: every provider dirgate knows, one line each, in the order
 * commands list them (core/provider.h).  A new provider is its folder under
 * src/connectors/ and one line here. */
#include "../core/provider.h"

extern const dg_provider dg_provider_ldap, dg_provider_m365, dg_provider_google,
	dg_provider_adfs;

const dg_provider *const dg_providers[] = {
	&dg_provider_ldap,
	&dg_provider_m365,
	&dg_provider_google,
	&dg_provider_adfs,
	NULL,
};
