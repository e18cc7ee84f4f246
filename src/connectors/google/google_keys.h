/* The Google service-account key file, inspected offline with cJSON and
 * OpenSSL (GOOGLExxx findings), and where dirgate may send Google
 * credentials. */
#ifndef DG_GOOGLE_KEYS_H
#define DG_GOOGLE_KEYS_H

#include "../../core/findings.h"

/* The key JSON at `key_file`: a service_account key with every field,
 * a numeric client_id, a service account e-mail, Google's token_uri and an
 * RSA private key.  Findings at `path` ("/directory/serviceAccountKeyFile"). */
void dg_google_check_key_file(const char *key_file, const char *path, dg_findings *out);

/* Where dirgate may send Google credentials: a token_uri that is Google's
 * token endpoint (current or older) or https on this computer (a test
 * emulator); a Directory API base URL that is https://admin.googleapis.com
 * or https on this computer.  1 when fine.  Anywhere else is refused
 * (GOOGLE009, GOOGLE014). */
int dg_google_token_uri_ok(const char *uri);
int dg_google_api_url_ok(const char *url);

#endif
