/* The google-workspace provider's part of the profile: the keys of a
 * google-workspace directory and of its login methods (google_profile.c). */
#ifndef DG_GOOGLE_PROFILE_H
#define DG_GOOGLE_PROFILE_H

#include "../../core/provider.h"

typedef struct dg_dir_google {
	char *service_account_key_file; /* resolved path */
	char *admin_user;               /* admin e-mail for domain-wide delegation */
	char *domain;                   /* optional: restrict to one domain */
	int enabled_users_only;         /* -1 not given: skip suspended/archived */
	dg_strarr groups;
	char *api_url;                  /* Directory API base URL; NULL: Google's */
	dg_tls_opts tls;                /* CA file for the token and API endpoints */
} dg_dir_google;

/* The kinds and methods this provider registers (google_provider.c). */
extern const dg_provider_dir dg_google_dirs[];
extern const dg_provider_login dg_google_logins[];

/* The directory's options; the defaults when it is of another type. */
const dg_dir_google *dg_google_opts(const dg_profile *p);
int dg_profile_is_google(const dg_profile *p);

#endif
