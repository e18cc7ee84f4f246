/* HTTP over libcurl (see http.h for what this layer adds and why).
 *
 * Every request, single or parallel, runs through one curl multi handle so
 * all of them share its connection cache: a plan that asks GetUserInfo for
 * 100,000 users reuses a handful of TLS connections.  A transfer that may be
 * retried waits in its slot until its retry time, then is re-added. */
#include "http.h"

#include "../core/ascii.h"
#include "../core/clock.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_MAX_RETRY_WAIT_MS 30000L
#define DEFAULT_MAX_BODY ((size_t)256 << 20)
#define BACKOFF_BASE_MS 250L
#define POLL_CAP_MS 200L  /* how often a raised cancel flag is noticed, at worst */

struct dg_http {
	dg_http_opts o;
	CURLM *multi;
	unsigned char pin[32];      /* SHA-256 to match when has_pin */
	int has_pin;
};

/* One request in flight (or waiting for its retry). */
struct xfer {
	dg_http *h;
	const dg_http_request *req;
	dg_http_response *res;
	CURL *easy;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	long retry_at_ms;           /* >0: waiting, not in the multi */
	int pin_mismatch;
	int too_large;
	int done;
	size_t sunk;                /* body bytes handed to req->sink this attempt */
};

static const char *const failure_str[] = {
	[DG_HTTP_OK] = "answered",
	[DG_HTTP_RESOLVE] = "host name does not resolve",
	[DG_HTTP_CONNECT] = "connection refused or host unreachable",
	[DG_HTTP_TIMEOUT] = "timed out",
	[DG_HTTP_TLS_UNTRUSTED] = "certificate chain not trusted",
	[DG_HTTP_TLS_HOSTNAME] = "certificate does not name this host",
	[DG_HTTP_TLS_EXPIRED] = "certificate expired or not yet valid",
	[DG_HTTP_TLS_PIN] = "certificate does not match the pinned SHA-256 fingerprint",
	[DG_HTTP_TLS_OTHER] = "TLS handshake failed",
	[DG_HTTP_DROPPED] = "connection closed before a complete answer",
	[DG_HTTP_CANCELLED] = "cancelled",
	[DG_HTTP_TOO_LARGE] = "answer too large",
	[DG_HTTP_OTHER] = "transfer failed",
};

const char *dg_http_failure_str(dg_http_failure f)
{
	if ((unsigned)f >= sizeof(failure_str) / sizeof(failure_str[0]))
		return "transfer failed";
	return failure_str[f];
}

/* ---- small helpers that need no network ---- */

void dg_http_add_escaped(dg_strbuf *sb, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
			dg_strbuf_addch(sb, c);
		} else {
			dg_strbuf_addch(sb, '%');
			dg_strbuf_addch(sb, hex[c >> 4]);
			dg_strbuf_addch(sb, hex[c & 15]);
		}
	}
}

void dg_http_form_add(dg_strbuf *form, const char *name, const char *value)
{
	if (form->len)
		dg_strbuf_addch(form, '&');
	dg_http_add_escaped(form, name);
	dg_strbuf_addch(form, '=');
	dg_http_add_escaped(form, value);
}

char *dg_http_safe_url(const char *url)
{
	CURLU *u = curl_url();
	char *out = NULL, *s = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
		curl_url_set(u, CURLUPART_USER, NULL, 0);
		curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
		curl_url_set(u, CURLUPART_QUERY, NULL, 0);
		curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
		if (curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
			out = dg_xstrdup(s);
	}
	curl_free(s);
	curl_url_cleanup(u);
	return out ? out : dg_xstrdup("(unparsable URL)");
}

/* scheme, host and port of `url` as "scheme://host:port", lower case; NULL
 * when it does not parse. */
static char *origin_of(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		out = dg_xasprintf("%s://%s:%s", scheme, host, port);
		for (char *c = out; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

int dg_http_same_origin(const char *a, const char *b)
{
	char *x = origin_of(a), *y = origin_of(b);
	int same = x && y && !strcmp(x, y);
	free(x);
	free(y);
	return same;
}

long dg_http_retry_after_ms(const char *value, long now_epoch_s)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		char *end;
		errno = 0;
		long s = strtol(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (errno || *end || s > 86400L * 365)
			return -1;
		return s * 1000;
	}
	time_t t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	return t <= now_epoch_s ? 0 : (long)(t - now_epoch_s) * 1000;
}

/* Parses hex with optional ':' separators into 32 bytes. */
static int parse_pin(const char *s, unsigned char out[32])
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == ':' || *s == ' ')
			continue;
		int hi = dg_hex_value(*s), lo = s[1] ? dg_hex_value(s[1]) : -1;
		if (hi < 0 || lo < 0 || n == 32)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		s++;
	}
	return n == 32 ? 0 : -1;
}

/* ---- responses ---- */

const char *dg_http_response_header(const dg_http_response *res, const char *name)
{
	for (size_t i = 0; i < res->nr_headers; i++)
		if (!strcasecmp(res->headers[i].name, name))
			return res->headers[i].value;
	return NULL;
}

static void clear_headers(dg_http_response *res)
{
	for (size_t i = 0; i < res->nr_headers; i++) {
		free(res->headers[i].name);
		free(res->headers[i].value);
	}
	res->nr_headers = 0;
}

void dg_http_response_release(dg_http_response *res)
{
	clear_headers(res);
	free(res->headers);
	dg_strbuf_release(&res->body);
	free(res->detail);
	*res = (dg_http_response)DG_HTTP_RESPONSE_INIT;
}

/* A 2xx answer's body goes to the request's sink when it has one. */
static int sinking(struct xfer *x)
{
	long status = 0;
	if (!x->req->sink)
		return 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	return status >= 200 && status < 300;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (x->res->body.len + x->sunk + len > x->h->o.max_body) {
		x->too_large = 1;
		return 0;
	}
	if (sinking(x)) {
		x->sunk += len;
		x->req->sink(x->req->sink_ctx, data, len);
	} else {
		dg_strbuf_add(&x->res->body, data, len);
	}
	return len;
}

/* Keeps the headers of the last header block: an interim 100 Continue
 * answer starts a new block that replaces the previous one. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		clear_headers(x->res);
		return len;
	}
	const char *colon = memchr(data, ':', len);
	if (!colon)
		return len;
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	dg_http_response *r = x->res;
	DG_ALLOC_GROW(r->headers, r->nr_headers + 1, r->alloc_headers);
	r->headers[r->nr_headers].name = dg_xstrndup(data, (size_t)(colon - data));
	r->headers[r->nr_headers].value = dg_xstrndup(v, (size_t)(end - v));
	r->nr_headers++;
	return len;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	struct xfer *x = arg;
	return dg_cancel_raised(x->h->o.cancel);
}

/* ---- certificate pinning ----
 * MailStore's certificate is self-signed by default.  With a pin the only
 * question is "is this exactly the certificate the administrator named?",
 * so this callback replaces chain verification with that comparison. */
static int verify_pin(X509_STORE_CTX *ctx, void *arg)
{
	struct xfer *x = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (leaf && X509_digest(leaf, EVP_sha256(), md, &len) && len == 32 &&
	    !memcmp(md, x->h->pin, 32)) {
		X509_STORE_CTX_set_error(ctx, X509_V_OK);
		return 1;
	}
	x->pin_mismatch = 1;
	X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REJECTED);
	return 0;
}

static CURLcode on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
	(void)curl;
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify_pin, arg);
	return CURLE_OK;
}

/* ---- setting up one transfer ---- */

static struct curl_slist *append_header(struct curl_slist *l, const char *h)
{
	struct curl_slist *n = curl_slist_append(l, h);
	if (!n)
		abort(); /* out of memory, as everywhere else (strbuf.h) */
	return n;
}

/* The bearer token sits in the header list: wipe it before freeing. */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static void setup_tls(struct xfer *x)
{
	const dg_http_opts *o = &x->h->o;
	CURL *e = x->easy;
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
		return;
	}
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, x->h->has_pin ? 0L : 2L);
	if (o->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	if (x->h->has_pin) {
		curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, x);
	}
}

static void setup_method_and_body(struct xfer *x)
{
	const dg_http_request *r = x->req;
	CURL *e = x->easy;
	const char *method = r->method ? r->method : (r->body ? "POST" : "GET");
	if (!strcmp(method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	}
	/* POSTFIELDS with size 0 sends "Content-Length: 0", which MailStore
	 * requires on an empty POST. */
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->body_len : 0));
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
}

static void setup_headers(struct xfer *x)
{
	const dg_http_request *r = x->req;
	struct curl_slist *l = NULL;
	for (const char *const *h = r->headers; h && *h; h++)
		l = append_header(l, *h);
	/* No "Expect: 100-continue" round trip on larger bodies. */
	l = append_header(l, "Expect:");
	if (r->bearer) {
		dg_strbuf sb = DG_STRBUF_INIT;
		dg_strbuf_addf(&sb, "Authorization: Bearer %s", r->bearer);
		l = append_header(l, sb.buf);
		explicit_bzero(sb.buf, sb.len);
		dg_strbuf_release(&sb);
	}
	x->headers = l;
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, l);
}

static void setup_easy(struct xfer *x)
{
	const dg_http_opts *o = &x->h->o;
	const dg_http_request *r = x->req;
	CURL *e = x->easy = curl_easy_init();
	if (!e)
		abort();
	x->errbuf[0] = 0;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* never carry credentials elsewhere */
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dirgate/" DG_VERSION);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode */
	/* libcurl silently sends a request again when a reused connection
	 * turns out dead before the answer; a request that must not run twice
	 * (a write) therefore never goes over a reused connection. */
	if (!r->retry_safe)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (r->basic_user) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERNAME, r->basic_user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, r->basic_password ? r->basic_password : "");
	}
	setup_tls(x);
	setup_method_and_body(x);
	setup_headers(x);
}

static void start(struct xfer *x)
{
	dg_http_response *res = x->res;
	dg_strbuf_reset(&res->body);
	clear_headers(res);
	free(res->detail);
	res->detail = NULL;
	res->status = 0;
	res->failure = DG_HTTP_OK;
	x->pin_mismatch = x->too_large = 0;
	x->retry_at_ms = 0;
	if (x->sunk && x->req->sink_restart)
		x->req->sink_restart(x->req->sink_ctx);
	x->sunk = 0;
	res->attempts++;
	setup_easy(x);
	curl_multi_add_handle(x->h->multi, x->easy);
}

static void finish_easy(struct xfer *x)
{
	if (!x->easy)
		return;
	curl_multi_remove_handle(x->h->multi, x->easy);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	free_headers(x->headers);
	x->headers = NULL;
}

/* ---- classifying the outcome ---- */

static dg_http_failure classify_tls(struct xfer *x)
{
	long vr = 0;
	if (x->pin_mismatch)
		return DG_HTTP_TLS_PIN;
	curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
	/* The chain verified and libcurl's own host-name check failed: it
	 * leaves the verify result at OK or sets "unspecified", and says so. */
	if (strstr(x->errbuf, "subject name"))
		return DG_HTTP_TLS_HOSTNAME;
	switch (vr) {
	case X509_V_OK:
		return DG_HTTP_TLS_HOSTNAME;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return DG_HTTP_TLS_EXPIRED;
	case X509_V_ERR_HOSTNAME_MISMATCH:
		return DG_HTTP_TLS_HOSTNAME;
	default:
		return DG_HTTP_TLS_UNTRUSTED;
	}
}

static dg_http_failure classify(struct xfer *x, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return DG_HTTP_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return DG_HTTP_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return DG_HTTP_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return DG_HTTP_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		return classify_tls(x);
	case CURLE_SSL_CONNECT_ERROR:
		/* A failed custom verify callback ends the handshake here. */
		return x->pin_mismatch ? DG_HTTP_TLS_PIN : DG_HTTP_TLS_OTHER;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
		return DG_HTTP_TLS_OTHER;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2_STREAM:
		return DG_HTTP_DROPPED;
	case CURLE_ABORTED_BY_CALLBACK:
		return DG_HTTP_CANCELLED;
	case CURLE_WRITE_ERROR:
		return x->too_large ? DG_HTTP_TOO_LARGE : DG_HTTP_OTHER;
	default:
		return DG_HTTP_OTHER;
	}
}

/* How long to wait before trying again, or -1 not to retry. */
static long retry_delay_ms(struct xfer *x)
{
	const dg_http_opts *o = &x->h->o;
	dg_http_response *res = x->res;
	if (!x->req->retry_safe || res->attempts > o->max_retries)
		return -1;
	long backoff = BACKOFF_BASE_MS << (res->attempts - 1 < 8 ? res->attempts - 1 : 8);
	if (res->failure == DG_HTTP_CONNECT || res->failure == DG_HTTP_DROPPED ||
	    res->failure == DG_HTTP_TIMEOUT)
		return backoff < o->max_retry_wait_ms ? backoff : o->max_retry_wait_ms;
	if (res->failure != DG_HTTP_OK)
		return -1;
	if (res->status != 429 && res->status != 503 && res->status != 502 && res->status != 504)
		return -1;
	long ra = dg_http_retry_after_ms(dg_http_response_header(res, "Retry-After"),
					 (long)time(NULL));
	long wait = ra >= 0 ? ra : backoff;
	if (wait > o->max_retry_wait_ms)
		return -1; /* the server asks for longer than we may wait: report it */
	return wait;
}

/* Records the outcome of a finished transfer; schedules a retry or marks it
 * done. */
static void on_done(struct xfer *x, CURLcode rc)
{
	dg_http_response *res = x->res;
	res->failure = classify(x, rc);
	if (res->failure == DG_HTTP_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res->status);
	else
		res->detail = dg_xstrdup(x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	finish_easy(x);
	long wait = res->failure == DG_HTTP_CANCELLED ? -1 : retry_delay_ms(x);
	if (wait < 0) {
		x->done = 1;
		return;
	}
	x->retry_at_ms = dg_now_ms() + (wait > 0 ? wait : 1);
}

static int cancelled(const dg_http *h)
{
	return dg_cancel_raised(h->o.cancel);
}

static void set_transport_error(dg_error *err, const dg_http_request *req,
				const dg_http_response *res)
{
	char *safe = dg_http_safe_url(req->url);
	dg_error_set(err, DG_E_NETWORK, "%s %s: %s%s%s%s", req->method ? req->method :
		     (req->body ? "POST" : "GET"), safe, dg_http_failure_str(res->failure),
		     res->detail ? " (" : "", res->detail ? res->detail : "",
		     res->detail ? ")" : "");
	free(safe);
}

/* ---- the client ---- */

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

dg_http *dg_http_new(const dg_http_opts *opts)
{
	/* once, also when threads (onboard --jobs) open clients at the same time:
	 * curl_global_init is not thread-safe */
	static pthread_once_t global_once = PTHREAD_ONCE_INIT;
	pthread_once(&global_once, curl_init_once);
	dg_http *h = dg_xcalloc(1, sizeof(*h));
	if (opts)
		h->o = *opts;
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (h->o.max_retry_wait_ms <= 0)
		h->o.max_retry_wait_ms = DEFAULT_MAX_RETRY_WAIT_MS;
	if (!h->o.max_body)
		h->o.max_body = DEFAULT_MAX_BODY;
	if (h->o.max_retries < 0)
		h->o.max_retries = 0;
	if (h->o.pin_sha256 && !h->o.insecure) {
		if (parse_pin(h->o.pin_sha256, h->pin) < 0) {
			free(h);
			return NULL;
		}
		h->has_pin = 1;
	}
	h->multi = curl_multi_init();
	if (!h->multi)
		abort();
	return h;
}

void dg_http_free(dg_http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi);
	explicit_bzero(h->pin, sizeof(h->pin));
	free(h);
}

int dg_http_pin_valid(const char *pin)
{
	unsigned char tmp[32];
	return pin && parse_pin(pin, tmp) == 0;
}

/* Moves finished transfers out of the multi handle. */
static void collect(dg_http *h, struct xfer *xs, size_t n)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < n; i++)
			if (xs[i].easy == m->easy_handle) {
				on_done(&xs[i], m->data.result);
				break;
			}
	}
}

/* Wakes transfers whose retry time has come; returns the milliseconds until
 * the next one is due, or -1 when none is waiting. */
static long wake_retries(struct xfer *xs, size_t n)
{
	long now = dg_now_ms(), next = -1;
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		if (x->done || x->easy || !x->retry_at_ms)
			continue;
		if (x->retry_at_ms <= now)
			start(x);
		else if (next < 0 || x->retry_at_ms - now < next)
			next = x->retry_at_ms - now;
	}
	return next;
}

static void cancel_all(struct xfer *xs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		if (x->done)
			continue;
		if (x->easy)
			finish_easy(x);
		x->res->failure = DG_HTTP_CANCELLED;
		x->res->status = 0;
		x->done = 1;
	}
}

dg_code dg_http_send_many(dg_http *h, const dg_http_request *req,
			  dg_http_response *res, size_t n, int parallel,
			  dg_error *err)
{
	if (parallel < 1)
		parallel = 1;
	struct xfer *xs = dg_xcalloc(n ? n : 1, sizeof(*xs));
	size_t next = 0, done = 0;
	for (size_t i = 0; i < n; i++) {
		xs[i].h = h;
		xs[i].req = &req[i];
		xs[i].res = &res[i];
		res[i].attempts = 0;
	}
	while (done < n) {
		if (cancelled(h)) {
			cancel_all(xs, n);
			break;
		}
		size_t active = 0;
		for (size_t i = 0; i < next; i++)
			active += !xs[i].done;
		while (next < n && active < (size_t)parallel) {
			start(&xs[next++]);
			active++;
		}
		long wait = wake_retries(xs, next);
		int running = 0;
		curl_multi_perform(h->multi, &running);
		collect(h, xs, next);
		done = 0;
		for (size_t i = 0; i < n; i++)
			done += xs[i].done;
		/* Finished: no sleep (with nothing running, the poll below
		 * would wait the whole cap, 200 ms per request). */
		if (done == n)
			break;
		/* Sleep only while something is in flight or waits for its
		 * retry; otherwise start the next requests at once. */
		if (running || wait >= 0) {
			long ms = wait >= 0 && wait < POLL_CAP_MS ? wait : POLL_CAP_MS;
			curl_multi_poll(h->multi, NULL, 0, (int)ms, NULL);
		}
	}
	dg_code rc = DG_OK;
	for (size_t i = 0; i < n && rc == DG_OK; i++)
		if (res[i].failure != DG_HTTP_OK) {
			set_transport_error(err, &req[i], &res[i]);
			rc = DG_E_NETWORK;
		}
	free(xs);
	return rc;
}

dg_code dg_http_send(dg_http *h, const dg_http_request *req,
		     dg_http_response *res, dg_error *err)
{
	return dg_http_send_many(h, req, res, 1, 1, err);
}
