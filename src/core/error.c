#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *dg_strerror(dg_code code)
{
	switch (code) {
	case DG_OK: return "no error";
	case DG_E_IO: return "input/output error";
	case DG_E_PARSE: return "parse error";
	case DG_E_INVALID: return "invalid input";
	case DG_E_USAGE: return "usage error";
	case DG_E_NETWORK: return "network error";
	case DG_E_PROTOCOL: return "protocol error";
	case DG_E_UNSUPPORTED: return "not supported";
	case DG_E_INTERNAL: return "internal error";
	}
	return "unknown error";
}

/* Formats into a copy first: callers prefix a message with context by
 * passing err->message itself as an argument, and vsnprintf must not read
 * the buffer it writes. */
dg_code dg_error_set(dg_error *err, dg_code code, const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->code = code;
	memcpy(err->message, msg, sizeof(msg));
	return code;
}

void dg_error_clear(dg_error *err)
{
	if (err) {
		err->code = DG_OK;
		err->message[0] = '\0';
	}
}
