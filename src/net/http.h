/* HTTP over libcurl: the one place dirgate talks HTTPS (the MailStore
 * Administration API, Entra ID, Microsoft Graph, Google, AD FS).
 *
 * What it adds to libcurl: TLS verified by default with a CA file or a
 * pinned certificate (SHA-256 of the server certificate, MailStore's
 * self-signed default), turning verification off only when asked; bounded
 * retries with backoff for requests the caller marks safe to repeat,
 * honouring Retry-After on 429/503; a failure class for every transport
 * error so callers can turn it into a finding; cancellation from a signal
 * handler; and bounded parallel requests on one connection pool.
 *
 * Secrets: credentials go to libcurl through options (CURLOPT_USERNAME,
 * CURLOPT_PASSWORD, an Authorization header), never into the URL; error
 * messages name the URL without user info or query string. */
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include "../core/error.h"
#include "../core/strbuf.h"

#include <signal.h>
#include <stddef.h>

/* The cancel flag (Ctrl-C) as threads use it: a signal handler raises it
 * while other threads (onboard --jobs) poll it, so both are atomic. */
static inline int dg_cancel_raised(const volatile sig_atomic_t *flag)
{
	return flag && __atomic_load_n(flag, __ATOMIC_RELAXED);
}

static inline void dg_cancel_raise(volatile sig_atomic_t *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
}

/* Why a request failed before there was an HTTP answer to look at. */
typedef enum dg_http_failure {
	DG_HTTP_OK = 0,             /* an HTTP status arrived (any status) */
	DG_HTTP_RESOLVE,            /* host name does not resolve */
	DG_HTTP_CONNECT,            /* connection refused / unreachable */
	DG_HTTP_TIMEOUT,            /* connect or whole-request timeout */
	DG_HTTP_TLS_UNTRUSTED,      /* certificate chain not trusted */
	DG_HTTP_TLS_HOSTNAME,       /* certificate does not name the host */
	DG_HTTP_TLS_EXPIRED,        /* certificate expired or not yet valid */
	DG_HTTP_TLS_PIN,            /* certificate does not match the pinned SHA-256 */
	DG_HTTP_TLS_OTHER,          /* handshake failed for another reason */
	DG_HTTP_DROPPED,            /* connection closed mid-answer / empty reply */
	DG_HTTP_CANCELLED,          /* the cancel flag was raised */
	DG_HTTP_TOO_LARGE,          /* body over max_body */
	DG_HTTP_OTHER,
} dg_http_failure;

/* A short human phrase, e.g. "certificate chain not trusted". */
const char *dg_http_failure_str(dg_http_failure f);

typedef struct dg_http_opts {
	const char *ca_file;        /* NULL: the system trust store */
	const char *pin_sha256;     /* SHA-256 of the server certificate (DER), hex with
	                             * or without ':' separators; when set, the chain and
	                             * host name are not checked: the pin names the exact
	                             * certificate */
	int insecure;               /* 1: no verification at all (caller warns loudly) */
	long connect_timeout_ms;    /* 0: 10 s */
	long timeout_ms;            /* whole request; 0: 120 s */
	int max_retries;            /* for requests marked retry_safe; 0: none */
	long max_retry_wait_ms;     /* cap on one Retry-After / backoff wait; 0: 30 s */
	size_t max_body;            /* 0: 256 MiB */
	volatile sig_atomic_t *cancel; /* optional: non-zero aborts transfers */
} dg_http_opts;

typedef struct dg_http_request {
	const char *method;         /* "GET", "POST", ...; NULL: GET, or POST with a body */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
	const char *body;           /* NULL: no body (POST sends Content-Length: 0) */
	size_t body_len;
	const char *basic_user;     /* HTTP Basic when set */
	const char *basic_password;
	const char *bearer;         /* "Authorization: Bearer <token>" when set */
	int retry_safe;             /* 1: may be repeated on 429/502/503/504 and on
	                             * connection failures (never for writes); 0: also
	                             * sent over a fresh connection, because libcurl
	                             * itself resends on a reused one found dead */
	long timeout_ms;            /* 0: the client's; long polls ask for more */
	/* Streaming (large pages): the body of a 2xx answer goes to `sink`
	 * piece by piece as it arrives instead of into res->body (other
	 * answers are still kept, for their error text).  When a retry starts
	 * after pieces were handed over, `sink_restart` says so first: the
	 * reader forgets them.  Both run on the caller's thread. */
	void (*sink)(void *ctx, const char *data, size_t len);
	void (*sink_restart)(void *ctx);
	void *sink_ctx;
} dg_http_request;

typedef struct dg_http_header {
	char *name, *value;         /* name as sent; compare case-insensitively */
} dg_http_header;

typedef struct dg_http_response {
	dg_http_failure failure;    /* DG_HTTP_OK when an HTTP status arrived */
	long status;                /* 0 without an answer */
	dg_strbuf body;
	dg_http_header *headers;    /* of the final answer */
	size_t nr_headers, alloc_headers;
	int attempts;               /* how many times it was sent */
	char *detail;               /* libcurl's own words on failure, or NULL */
} dg_http_response;

#define DG_HTTP_RESPONSE_INIT { DG_HTTP_OK, 0, DG_STRBUF_INIT, NULL, 0, 0, 0, NULL }

/* Header value by name (case-insensitive), or NULL. */
const char *dg_http_response_header(const dg_http_response *res, const char *name);
void dg_http_response_release(dg_http_response *res);

/* A client: options plus a connection pool kept between requests. */
typedef struct dg_http dg_http;

/* NULL only when opts->pin_sha256 is not 64 hex digits (check first with
 * dg_http_pin_valid to report it as a finding). */
dg_http *dg_http_new(const dg_http_opts *opts);
void dg_http_free(dg_http *h);

/* Sends one request and waits for the final answer (after retries).
 * Returns DG_OK whenever an HTTP status arrived, whatever the status; on a
 * transport failure returns DG_E_NETWORK with err saying what and where, and
 * res->failure saying which class.  res is DG_HTTP_RESPONSE_INIT, released,
 * or the response of an earlier request: its body buffer is then reused, so
 * a reader of many large pages does not allocate (and fault in) one per
 * page. */
dg_code dg_http_send(dg_http *h, const dg_http_request *req,
		     dg_http_response *res, dg_error *err);

/* Sends n requests with at most `parallel` in flight (curl multi, one pool).
 * res[i] answers req[i]; each follows dg_http_send's rules.  Returns the
 * first transport failure's code (all requests are still attempted), or
 * DG_OK. */
dg_code dg_http_send_many(dg_http *h, const dg_http_request *req,
			  dg_http_response *res, size_t n, int parallel,
			  dg_error *err);

/* application/x-www-form-urlencoded and URL-query escaping of one value
 * (RFC 3986 unreserved characters kept, everything else %XX, space as %20). */
void dg_http_add_escaped(dg_strbuf *sb, const char *value);
/* Appends "name=value" to a form body, with '&' before it when needed. */
void dg_http_form_add(dg_strbuf *form, const char *name, const char *value);

/* 1 when pin is a SHA-256 fingerprint: 64 hex digits, ':' separators allowed. */
int dg_http_pin_valid(const char *pin);

/* The URL without user info, query or fragment: safe to print. */
char *dg_http_safe_url(const char *url);
/* 1 when both URLs parse and have the same scheme, host and port (default
 * ports filled in; case-insensitive): where a server's link may lead
 * before a bearer token follows it. */
int dg_http_same_origin(const char *a, const char *b);

/* Retry-After (seconds or HTTP date) in milliseconds, -1 when absent or bad. */
long dg_http_retry_after_ms(const char *value, long now_epoch_s);

#endif
