/* The microsoft-365 provider's part of the profile: the keys of a
 * microsoft-365 directory and of its login methods (m365_profile.c). */
#ifndef DG_M365_PROFILE_H
#define DG_M365_PROFILE_H

#include "../../core/provider.h"

typedef struct dg_dir_m365 {
	char *tenant_id, *client_id;
	char *cloud;                   /* "global" (default) or a national cloud name */
	char *cert_file, *key_file;    /* resolved paths */
	dg_secret_ref key_password;
	int exchange_users_only, enabled_users_only; /* -1 not given */
	dg_strarr groups;
	dg_tls_opts tls;               /* caFile only: trust for the token endpoint and
	                                * Graph (e.g. a TLS-inspecting proxy) */
	char *api_url, *authority_url; /* tests only: Graph's and Entra ID's origins; NULL: Microsoft's */
} dg_dir_m365;

/* The kinds and methods this provider registers (m365_provider.c). */
extern const dg_provider_dir dg_m365_dirs[];
extern const dg_provider_login dg_m365_logins[];

/* The directory's options; the defaults when it is of another type. */
const dg_dir_m365 *dg_m365_opts(const dg_profile *p);
int dg_profile_is_m365(const dg_profile *p);

#endif
