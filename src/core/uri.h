/* Redirect URI rules (reference identity-protocols.md §A): MailStore's own
 * pattern plus the rules of the identity provider the URI is registered at.
 * URIs are parsed with curl's URL API; public suffixes come from libpsl. */
#ifndef DG_URI_H
#define DG_URI_H

#include "findings.h"

typedef enum dg_uri_provider {
	DG_URI_PROVIDER_NONE = 0,  /* MailStore's pattern only */
	DG_URI_PROVIDER_ENTRA,
	DG_URI_PROVIDER_GOOGLE,
	DG_URI_PROVIDER_ADFS,
} dg_uri_provider;

typedef struct dg_uri_opts {
	dg_uri_provider provider;
	int spe;                    /* SPE: path must be /<instanceid>/oidc/signin */
	const char *instance_id;    /* SPE instance id the path must carry, may be NULL */
	const char *path;           /* JSON pointer findings are reported at, "" for none */
} dg_uri_opts;

/* Appends a finding for every rule the URI breaks (URIxxx codes).
 * Returns the number of error findings added. */
int dg_uri_check(const char *uri, const dg_uri_opts *opts, dg_findings *out);

/* "entra" / "google" / "adfs" -> provider; -1 when unknown. */
int dg_uri_provider_parse(const char *name);

#endif
