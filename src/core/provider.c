/* Looking providers up in the registry: provider.h. */
#include "provider.h"

#include <stdlib.h>
#include <string.h>

void dg_snapshot_written_release(dg_snapshot_written *w)
{
	free(w->from);
	free(w->source);
	free(w->tenant);
	free(w->base);
	*w = (dg_snapshot_written){ 0 };
}

const dg_provider_dir *dg_provider_dir_find(const char *type, const dg_provider **owner)
{
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		for (const dg_provider_dir *d = (*pp)->dirs; d->type; d++)
			if (!strcmp(d->type, type)) {
				if (owner)
					*owner = *pp;
				return d;
			}
	return NULL;
}

const dg_provider *dg_provider_for_dir_type(const char *type)
{
	const dg_provider *owner = NULL;
	return dg_provider_dir_find(type, &owner) ? owner : NULL;
}

const dg_provider_login *dg_provider_login_find(const char *method, const dg_provider **owner)
{
	for (const dg_provider *const *pp = dg_providers; *pp; pp++)
		for (const dg_provider_login *l = (*pp)->logins; l->method; l++)
			if (!strcmp(l->method, method)) {
				if (owner)
					*owner = *pp;
				return l;
			}
	return NULL;
}

const dg_provider *dg_provider_for_auth_method(const char *method)
{
	const dg_provider *owner = NULL;
	return dg_provider_login_find(method, &owner) ? owner : NULL;
}

int dg_types_listed(const char *types, const char *type)
{
	size_t n = strlen(type);
	for (const char *s = types; s && (s = strstr(s, type)); s += n)
		if ((s == types || s[-1] == ' ') && (s[n] == ' ' || !s[n]))
			return 1;
	return 0;
}

const dg_provider *dg_provider_of(const dg_profile *p)
{
	return dg_provider_for_dir_type(dg_profile_dir_type(p));
}

const dg_provider *dg_provider_of_login(const dg_profile *p)
{
	return dg_provider_for_auth_method(dg_profile_method(p));
}
