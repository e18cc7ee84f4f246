/* One error type for the whole library (after curl's CURLcode): a code that
 * says what class of failure happened and a human message that says what and
 * where.  Findings (findings.h) are for problems *in the input*; a dg_error is
 * for "the tool could not do its job" (I/O, network, protocol, internal). */
#ifndef DG_ERROR_H
#define DG_ERROR_H

typedef enum dg_code {
	DG_OK = 0,
	DG_E_IO,        /* a file could not be read or written */
	DG_E_PARSE,     /* input could not be parsed at all */
	DG_E_INVALID,   /* input parsed but is not acceptable */
	DG_E_USAGE,     /* bad command line */
	DG_E_NETWORK,   /* could not reach a service */
	DG_E_PROTOCOL,  /* a service answered something we cannot use */
	DG_E_UNSUPPORTED, /* not available in this build / for this type yet */
	DG_E_INTERNAL,
} dg_code;

typedef struct dg_error {
	dg_code code;
	char message[1024];
} dg_error;

/* Human string for a code, e.g. "input/output error". */
const char *dg_strerror(dg_code code);

/* Sets err (if not NULL) and returns code, so callers can
 * `return dg_error_set(err, DG_E_IO, "cannot read %s: %s", ...);` */
dg_code dg_error_set(dg_error *err, dg_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dg_error_clear(dg_error *err);

#endif
