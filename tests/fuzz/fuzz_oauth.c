/* libFuzzer target: dg_oauth_parse_answer on arbitrary bytes, as any token
 * endpoint (or something pretending to be one) might answer.  The first
 * byte picks the HTTP status so error and success paths are both reached. */
#include "net/oauth.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 401, 403, 500 };
	if (!size)
		return 0;
	long status = statuses[data[0] % 5];
	dg_oauth_token tok;
	dg_oauth_error oerr;
	dg_error err = { 0 };
	dg_code rc = dg_oauth_parse_answer(status, (const char *)data + 1, size - 1, 1000,
					   &tok, &oerr, &err);
	/* A token only with DG_OK, an OAuth error only with DG_E_INVALID. */
	if ((rc == DG_OK) != (tok.access_token != NULL))
		abort();
	if ((rc == DG_E_INVALID) != (oerr.error != NULL))
		abort();
	if (rc != DG_OK && !err.message[0])
		abort();
	dg_oauth_token_release(&tok);
	dg_oauth_error_release(&oerr);
	return 0;
}
