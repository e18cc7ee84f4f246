/* The MailStore Server / SPE Administration API client, on top of
 * net/http.h.
 *
 *   POST <url>/api/invoke/<Function>   form-encoded arguments, HTTP Basic
 *   POST <url>/api/get-metadata        which functions and arguments exist
 *   POST <url>/api/get-status          long-poll a running call by token
 *   POST <url>/api/cancel-async        ask the server to cancel it
 *
 * Every answer is JSON behind a UTF-8 BOM: get-metadata's a bare array of
 * function descriptors, every other one a status envelope.  dg_ms_call() hides
 * the asynchronous case: a "running" answer is polled to its end, progress
 * goes to the caller's callback, and a raised cancel flag turns into
 * cancel-async on the server.  Only calls marked DG_MS_READ are retried.
 *
 * The client never prints; the password is borrowed (the caller owns and
 * wipes it) and never appears in an error message. */
#ifndef DG_MS_API_H
#define DG_MS_API_H

#include "../core/error.h"
#include "../core/findings.h"
#include "../core/profile.h"
#include "../core/strbuf.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stddef.h>

/* One status envelope, parsed.  Strings are NULL when the field is null. */
typedef struct dg_ms_envelope {
	char *status_code;      /* "succeeded", "running", "failed", ... */
	char *token;
	long status_version;
	int percent;            /* -1 when null */
	char *status_text;
	char *log_output;
	char *error_message, *error_details;
	cJSON *result;          /* owned; NULL when null */
} dg_ms_envelope;

#define DG_MS_ENVELOPE_INIT { NULL, NULL, 0, -1, NULL, NULL, NULL, NULL, NULL }

/* Parses a response body: skips the UTF-8 BOM, requires a JSON object with
 * a string statusCode, takes the other fields when present and of the right
 * type.  DG_E_PARSE / DG_E_PROTOCOL with the byte offset on bad input. */
dg_code dg_ms_envelope_parse(const char *body, size_t len, dg_ms_envelope *env,
			     dg_error *err);
void dg_ms_envelope_release(dg_ms_envelope *env);

/* What get-metadata says the server offers: each function and the names of
 * its arguments. */
typedef struct dg_ms_func {
	char *name;
	dg_strlist args;
} dg_ms_func;

typedef struct dg_ms_metadata {
	dg_ms_func *funcs;
	size_t nr, alloc;
} dg_ms_metadata;

#define DG_MS_METADATA_INIT { NULL, 0, 0 }

/* Parses get-metadata's answer: the bare JSON array of function descriptors
 * that MailStore sends (behind the BOM), or the same array as the result of
 * a status envelope, which a tolerant reader accepts too.  Descriptors
 * without a name are passed over; an answer naming no function, or a
 * failed envelope, is DG_E_PROTOCOL. */
dg_code dg_ms_metadata_parse(const char *body, size_t len, dg_ms_metadata *md,
			     dg_error *err);
void dg_ms_metadata_release(dg_ms_metadata *md);

typedef void (*dg_ms_progress_fn)(void *ctx, int percent, const char *text);

typedef struct dg_ms_opts {
	const char *url;            /* https://host:8463 (SPE: 8474) */
	const char *user;
	const char *password;       /* borrowed */
	int spe;
	const char *instance_id;    /* SPE: added to every instance function */
	const char *ca_file;
	const char *pin_sha256;
	int insecure;
	volatile sig_atomic_t *cancel;   /* Ctrl-C: cancels the running job */
	dg_ms_progress_fn progress;
	void *progress_ctx;
	long poll_ms;               /* get-status millisecondsTimeout; 0: 2000 */
	long timeout_ms;            /* per request; 0: 120 s */
	int max_retries;            /* read calls; -1: 0; 0: 2 */
} dg_ms_opts;

typedef struct dg_ms_client dg_ms_client;

typedef struct dg_ms_arg {
	const char *name;
	const char *value;
} dg_ms_arg;

enum {
	DG_MS_READ = 1,             /* changes nothing: safe to retry */
};

dg_ms_client *dg_ms_open(const dg_ms_opts *o, dg_error *err);
void dg_ms_close(dg_ms_client *c);

/* Loads get-metadata (and, for SPE, checks with GetInstances that the
 * instance exists and runs).  After this, calls to functions or arguments
 * the server does not list fail with DG_E_UNSUPPORTED before sending. */
dg_code dg_ms_connect(dg_ms_client *c, dg_error *err);
/* dg_ms_connect's two halves, for a caller (onboard) that creates or
 * starts the instance in between: get-metadata; and the SPE instance's
 * status from GetInstances (*status NULL when it does not exist; the
 * caller frees it). */
dg_code dg_ms_load_metadata(dg_ms_client *c, dg_error *err);
dg_code dg_ms_instance_status(dg_ms_client *c, char **status, dg_error *err);
int dg_ms_has_function(const dg_ms_client *c, const char *fn);
int dg_ms_has_arg(const dg_ms_client *c, const char *fn, const char *arg);

/* Invokes fn with args; a running call is polled to its end.  DG_OK only
 * for "succeeded" (out holds the final envelope in every case where one
 * arrived).  Failed calls: DG_E_PROTOCOL with error.message in err and
 * error.details in out. */
dg_code dg_ms_call(dg_ms_client *c, const char *fn, const dg_ms_arg *args,
		   size_t nargs, unsigned flags, dg_ms_envelope *out, dg_error *err);

/* The same read-only function for n values of one argument (GetUserInfo
 * for many users), at most `parallel` requests in flight.  out[i] answers
 * values[i]; codes[i] is its outcome and, when errs is not NULL, errs[i]
 * says what went wrong (a caller that tolerates some failures must report
 * the others by their own message).  Returns the first failure's code, err
 * describing it. */
dg_code dg_ms_call_many(dg_ms_client *c, const char *fn, const char *arg,
			const char *const *values, size_t n, int parallel,
			dg_ms_envelope *out, dg_code *codes, dg_error *errs, dg_error *err);

/* Progress of running calls goes to fn (NULL: none). */
void dg_ms_set_progress(dg_ms_client *c, dg_ms_progress_fn fn, void *ctx);

/* Whether the last dg_ms_call ended because the cancel flag was raised
 * (the server job was asked to cancel). */
int dg_ms_cancelled(const dg_ms_client *c);
/* The token of the last asynchronous call, or NULL. */
const char *dg_ms_last_token(const dg_ms_client *c);

/* For commands: resolves target.password, warns (TLS008) when TLS checks
 * are off, and opens a client for the profile's target.  *password is the
 * resolved secret the caller frees with dg_secret_free after dg_ms_close. */
dg_ms_client *dg_ms_open_profile(const dg_profile *p, dg_ms_opts *o, char **password,
				 dg_findings *warn, dg_error *err);

#endif
