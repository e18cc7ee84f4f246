/* The adfs provider's part of the profile: the keys of AD FS login
 * (adfs_profile.c). */
#ifndef DG_ADFS_PROFILE_H
#define DG_ADFS_PROFILE_H

#include "../../core/provider.h"

/* The method this provider registers (adfs_provider.c). */
extern const dg_provider_login dg_adfs_logins[];

#endif
