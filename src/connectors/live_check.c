/* Live probes per provider: live_check.h. */
#include "live_check.h"

#include "../core/provider.h"

void dg_check_live(const dg_profile *p, const char *test_user, dg_findings *findings,
		   dg_strbuf *note)
{
	const dg_provider *login = dg_provider_of_login(p);
	const dg_provider *dir = dg_provider_of(p);

	if (dg_findings_count(findings, DG_SEV_ERROR)) {
		dg_strbuf_adds(note, "live probes skipped: fix the errors above first");
		return;
	}
	/* A login service of its own (AD FS) is checked even when the
	 * directory is a snapshot. */
	if (login && login->probe_login)
		login->probe_login(p, findings);
	if (p->directory.snapshot) {
		dg_strbuf_adds(note, "live probes skipped: the profile reads a snapshot");
		return;
	}
	if (!dir || !dir->probe_directory) {
		dg_strbuf_addf(note, "live probes of %s directories are not part of this "
			       "version; only offline rules were checked",
			       dg_profile_dir_type(p));
		return;
	}
	dir->probe_directory(p, test_user ? test_user : p->auth.test_user, findings);
}
