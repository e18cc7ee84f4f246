/* Live probes per directory type: live_check.h. */
#include "live_check.h"

#include "adfs/adfs_probe.h"
#include "google/google.h"
#include "ldap/ldap_probe.h"
#include "m365/m365_conn.h"

void dg_check_live(const dg_profile *p, const char *test_user, dg_findings *findings,
		   dg_strbuf *note)
{
	dg_dir_type t = p->directory.type;

	if (dg_findings_count(findings, DG_SEV_ERROR)) {
		dg_strbuf_adds(note, "live probes skipped: fix the errors above first");
		return;
	}
	/* AD FS is its own service: checked even when the directory is a snapshot. */
	if (p->auth.method == DG_AUTH_ADFS && p->auth.adfs_url)
		dg_adfs_probe(p, findings);
	if (p->directory.snapshot) {
		dg_strbuf_adds(note, "live probes skipped: the profile reads a snapshot");
		return;
	}
	if (t == DG_DIR_GOOGLE) {
		dg_google_probe(p, findings);
		return;
	}
	if (t == DG_DIR_M365) {
		dg_m365_probe(p, findings);
		return;
	}
	if (t != DG_DIR_LDAP && t != DG_DIR_ACTIVE_DIRECTORY) {
		dg_strbuf_addf(note, "live probes of %s directories are not part of this "
			       "version; only offline rules were checked", dg_dir_type_name(t));
		return;
	}
	dg_ldap_probe(p, test_user ? test_user : p->auth.test_user, findings);
}
