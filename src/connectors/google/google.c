/* The google-workspace connector (see google.h). */
#include "google.h"
#include "google_profile.h"
#include "../shell_cmd.h"

#include "../../core/jsonpos.h"
#include "../../core/strbuf.h"
#include "google_auth.h"
#include "google_keys.h"
#include "google_pages.h"
#include "../../net/pager.h"
#include "../snapline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOOGLE_API "https://admin.googleapis.com"
#define DIR_PATH "/admin/directory/v1"
#define SNAPSHOT_MAGIC "google-workspace-snapshot"
#define USERS_LINE "{\"users\":null,\"page\":"  /* a users page's line, up to the page */
/* Pages a chain may have before dirgate calls it endless, as the Graph
 * connector's 2000 of 999: the records of a chain that never ends would
 * fill memory long before a larger bound. */
#define USER_PAGE_SIZE 500
#define MAX_USER_PAGES 4000    /* of 500: 2 million users */
#define GROUP_PAGE_SIZE 200
#define MAX_GROUP_PAGES 10000  /* of 200: 2 million members or groups of one name */
#define STR_(x) #x
#define XSTR(x) STR_(x)  /* a bound's number in a message */

/* Partial responses: exactly the fields the mapping reads. */
#define USER_FIELDS "nextPageToken,users(id,primaryEmail,name/fullName,name/givenName," \
		    "name/familyName,suspended,archived,aliases)"
#define MEMBER_FIELDS "nextPageToken,members(id,email,type,status)"
#define GROUP_FIELDS "nextPageToken,groups(id,email,name,aliases)"

enum page_kind { PAGE_LOOKUP, PAGE_MEMBERS, PAGE_USERS };
static const char *const kind_names[] = { "lookup", "members", "users" };

/* What a live run keeps: the HTTP client, the credentials, the snapshot
 * being written (or NULL) and where findings go. */
typedef struct live {
	const dg_profile *p;
	const dg_dir_google *g;
	const char *api;
	dg_http *http;
	dg_google_key key;
	dg_oauth_token tok;
	FILE *snap;
	dg_findings *f;
	dg_google_feed feed;
	dg_pager pager;              /* the Directory API's pages */
	dg_page_stream *stream;      /* users.list pages read while they arrive, or NULL */
	enum page_kind walking;      /* the chain being walked */
	const dg_progress *progress; /* NULL: nobody is watching */
	dg_strlist *queries;         /* curl lines of the first page of each GET, or NULL */
} live;


/* A chain of pages being walked: what they are, and for which selected
 * group (lookups and members). */
typedef struct page_walk {
	live *l;
	enum page_kind kind;
	size_t sel;
} page_walk;

/* ===== requests ============================================================ */

static dg_code renew_token(live *l, dg_error *err)
{
	dg_oauth_token_release(&l->tok);
	return dg_google_token_get(l->http, &l->key, l->g->admin_user, &l->tok, l->f, err);
}

/* The fix for a Directory API refusal, by Google's reason. */
static void api_refusal_hint(dg_finding *fd, long status, const char *reason, const live *l)
{
	if (!strcmp(reason, "insufficientPermissions") || status == 401)
		dg_finding_hint(fd, "Domain-wide delegation for client ID %s must include "
				"MailStore's scopes: " DG_GOOGLE_MAILSTORE_SCOPES ".",
				l->key.client_id);
	else if (!strcmp(reason, "accessNotConfigured") || !strcmp(reason, "SERVICE_DISABLED"))
		dg_finding_hint(fd, "Enable the Admin SDK API in the Google Cloud project of "
				"service account %s (APIs & Services > Library).",
				l->key.client_email);
	else if (status == 403)
		dg_finding_hint(fd, "The admin user %s needs an admin role that may read users "
				"and groups (Admin console > Account > Admin roles).",
				l->g->admin_user);
	else
		dg_finding_hint(fd, "Run 'dirgate check' for the token and API probes; retry "
				"later if Google reports an outage.");
}

/* The curl line that repeats a GET by hand; the token is $GOOGLE_TOKEN. */
static char *curl_of(const live *l, const char *url)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_curl_command(&sb, url, "GOOGLE_TOKEN", l->g->tls.ca_file,
			l->g->tls.accept_all_certificates == 1);
	return dg_strbuf_detach(&sb);
}

/* What GOOGLE_TOKEN must hold, as a shell comment. */
static char *token_note(const live *l)
{
	return dg_xasprintf("# GOOGLE_TOKEN: an access token for %s through service account %s "
			    "(domain-wide delegation, scopes " DG_GOOGLE_SCOPES ")",
			    l->g->admin_user, l->key.client_email);
}

/* Appends "Repeat by hand: CURL" to the finding's hint. */
static void hint_repeat(dg_finding *fd, const live *l, const char *url)
{
	char *cmd = curl_of(l, url), *old = fd->hint ? dg_xstrdup(fd->hint) : NULL;
	char *note = token_note(l);
	dg_finding_hint(fd, "%s%sRepeat by hand: %s\n%s", old ? old : "", old ? "\n" : "",
			cmd, note);
	free(note);
	free(old);
	free(cmd);
}

static dg_code refused(live *l, const char *what, const char *url_asked,
		       const dg_http_response *res, dg_error *err)
{
	dg_strbuf reason = DG_STRBUF_INIT, msg = DG_STRBUF_INIT;
	char *url = dg_http_safe_url(l->api);
	dg_finding *fd;

	dg_google_api_error(res->body.buf, res->body.len, &reason, &msg);
	fd = dg_findings_add(l->f, DGF_GOOGLE022, "/directory/adminUser",
			     "the Directory API (%s) refused %s: HTTP %ld%s%s%s%.200s", url, what,
			     res->status, reason.len ? " " : "", reason.buf, msg.len ? ": " : "",
			     msg.buf);
	api_refusal_hint(fd, res->status, reason.buf, l);
	hint_repeat(fd, l, url_asked);
	dg_error_set(err, DG_E_PROTOCOL, "%s [GOOGLE022]", fd->message);
	dg_strbuf_release(&reason);
	dg_strbuf_release(&msg);
	free(url);
	return DG_E_PROTOCOL;
}

static int rate_limited(const dg_http_response *res)
{
	dg_strbuf reason = DG_STRBUF_INIT, msg = DG_STRBUF_INIT;
	int yes = res->status == 403 &&
		  !dg_google_api_error(res->body.buf, res->body.len, &reason, &msg) &&
		  (!strcmp(reason.buf, "rateLimitExceeded") ||
		   !strcmp(reason.buf, "userRateLimitExceeded") ||
		   !strcmp(reason.buf, "quotaExceeded"));
	dg_strbuf_release(&reason);
	dg_strbuf_release(&msg);
	return yes;
}

static dg_code gave_up_backing_off(live *l, const char *what, dg_error *err)
{
	dg_finding *fd = dg_findings_add(l->f, DGF_GOOGLE030, "/directory",
					 "Google kept answering %s with 403 rate limit exceeded "
					 "(%d attempts with backoff)", what, DG_PAGER_MAX_BACKOFFS + 1);
	dg_finding_hint(fd, "Another program may be using the project's Admin SDK quota "
			"(2,400 queries per minute per user by default): run again later or "
			"raise the quota in the Google Cloud console.");
	return dg_error_set(err, DG_E_NETWORK, "%s [GOOGLE030]", fd->message);
}

/* ===== the Directory API's hooks for the pager ============================= */

static dg_code pager_renew(void *ctx, dg_error *err)
{
	return renew_token(ctx, err);
}

/* 401: the token expired; 403 with a rate-limit reason: back off. */
static dg_pager_verdict classify(void *ctx, const dg_http_response *res)
{
	(void)ctx;
	if (res->status == 401)
		return DG_PAGER_RENEW;
	return rate_limited(res) ? DG_PAGER_BACKOFF : DG_PAGER_REFUSED;
}

static dg_code unusable(live *l, const char *what, const char *why, dg_error *err)
{
	dg_finding *fd = dg_findings_add(l->f, DGF_GOOGLE028, "/directory",
					 "the Directory API's answer to %s is unusable: %s",
					 what, why);
	dg_finding_hint(fd, "This is Google's side or something between (a proxy that "
			"rewrites answers); run again, and report it if it persists.");
	return dg_error_set(err, DG_E_PROTOCOL, "%s [GOOGLE028]", fd->message);
}

static dg_code transport_failed(live *l, const dg_pager_failure *f, dg_error *err)
{
	dg_error e = *err;
	dg_code code = err->code;
	dg_finding *fd = dg_google_transport_finding(f->res, "the Directory API", f->url, &e,
						     l->f);
	return dg_error_set(err, code, "%s [GOOGLE023]", fd->message);
}

static dg_code endless(live *l, const char *what, size_t pages, const char *why,
		       dg_error *err);

/* The bound a chain of this kind went past, in words. */
static const char *bound_text(enum page_kind kind)
{
	return kind == PAGE_USERS ? "dirgate follows at most " XSTR(MAX_USER_PAGES)
				    " users.list pages of " XSTR(USER_PAGE_SIZE)
				  : "dirgate follows at most " XSTR(MAX_GROUP_PAGES)
				    " group pages of " XSTR(GROUP_PAGE_SIZE);
}

/* Each way a request or page chain fails, as its finding. */
static dg_code pager_fail(void *ctx, const dg_pager_failure *f, dg_error *err)
{
	live *l = ctx;

	switch (f->kind) {
	case DG_PAGER_TRANSPORT:
		return transport_failed(l, f, err);
	case DG_PAGER_REFUSAL:
	case DG_PAGER_RENEWALS:
		return refused(l, f->what, f->url, f->res, err);
	case DG_PAGER_RATE_LIMIT:
		return gave_up_backing_off(l, f->what, err);
	case DG_PAGER_BAD_PAGE:
		return unusable(l, f->what, f->why, err);
	case DG_PAGER_FOREIGN:
		return unusable(l, f->what, "a page leads to another host", err);
	case DG_PAGER_REPEAT:
		return endless(l, f->what, f->pages, "the nextPageToken repeats", err);
	case DG_PAGER_SAME_PAGE:
		return endless(l, f->what, f->pages, "a page repeats the page before it under a "
			       "new nextPageToken", err);
	case DG_PAGER_EMPTY:
		return endless(l, f->what, f->pages, "empty pages in a row still promise more",
			       err);
	case DG_PAGER_BOUND:
	default:
		return endless(l, f->what, f->pages, bound_text(l->walking), err);
	}
}

/* The page after: the chain's first URL with the page token. */
static char *next_url(void *ctx, const char *first_url, const char *token)
{
	dg_strbuf url = DG_STRBUF_INIT;
	(void)ctx;
	dg_strbuf_adds(&url, first_url);
	dg_strbuf_adds(&url, "&pageToken=");
	dg_http_add_escaped(&url, token);
	return dg_strbuf_detach(&url);
}

static const dg_pager_hooks directory_hooks = { pager_renew, classify, pager_fail, next_url };

/* The curl line of the first page of each chain, for --show-queries. */
static void note_query(live *l, const char *url)
{
	if (l->queries)
		dg_strlist_push_owned(l->queries, curl_of(l, url));
}

/* One GET (the pager's); a 404 is an answer when `flags` say so. */
static dg_code api_get(live *l, const char *url, const char *what, int flags,
		       dg_http_response *res, dg_error *err)
{
	note_query(l, url);
	return dg_pager_get(&l->pager, url, what, flags, NULL, res, err);
}

/* ===== snapshot lines ====================================================== */

/* One line per page (net/pager.h): {"users":null,"page":...}, or
 * {"lookup"|"members": SELECTION,"page":...}. */
static int write_page(FILE *fp, enum page_kind kind, const char *sel, const dg_strbuf *body)
{
	dg_strbuf prefix = DG_STRBUF_INIT, line = DG_STRBUF_INIT;
	int bad;
	if (kind == PAGE_USERS) {
		dg_strbuf_adds(&prefix, USERS_LINE);
	} else {
		dg_strbuf_addf(&prefix, "{\"%s\":", kind_names[kind]);
		dg_strbuf_add_json_str(&prefix, sel);
		dg_strbuf_adds(&prefix, ",\"page\":");
	}
	dg_pager_record(&line, prefix.buf, body->buf, body->len);
	bad = fwrite(line.buf, 1, line.len, fp) != line.len;
	dg_strbuf_release(&prefix);
	dg_strbuf_release(&line);
	return bad ? -1 : 0;
}

static void write_header(FILE *fp, const dg_profile *p)
{
	const dg_dir_google *g = dg_google_opts(p);
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_adds(&sb, "{\"dirgate\":\"" SNAPSHOT_MAGIC "\",\"version\":1,\"adminUser\":");
	dg_strbuf_add_json_str(&sb, g->admin_user ? g->admin_user : "");
	dg_strbuf_adds(&sb, ",\"domain\":");
	if (g->domain)
		dg_strbuf_add_json_str(&sb, g->domain);
	else
		dg_strbuf_adds(&sb, "null");
	dg_strbuf_adds(&sb, ",\"groups\":[");
	for (size_t i = 0; i < g->groups.nr; i++) {
		if (i)
			dg_strbuf_addch(&sb, ',');
		dg_strbuf_add_json_str(&sb, g->groups.items[i]);
	}
	dg_strbuf_adds(&sb, "]}\n");
	fwrite(sb.buf, 1, sb.len, fp);
	dg_strbuf_release(&sb);
}

/* ===== the live run ======================================================== */

/* Reads a page received whole: users.list as a stream, group pages as a
 * tree (they are small).  0 with *next (the page token), or -1 with why. */
static int read_page(void *ctx, const dg_strbuf *text, char **next, int *stop, dg_strbuf *why)
{
	page_walk *w = ctx;
	dg_google_feed *feed = &w->l->feed;
	cJSON *page;
	int rc = -1;

	*stop = 0;
	if (w->kind == PAGE_USERS)
		return dg_google_feed_users_text(feed, text->buf, text->len, next, why);
	if ((page = dg_google_parse_object(text->buf, text->len, why))) {
		if (w->kind == PAGE_LOOKUP)
			rc = dg_google_feed_lookup(feed, w->sel, page, next, why);
		else
			rc = dg_google_feed_members(feed, w->sel, page, next, why);
	}
	cJSON_Delete(page);
	return rc;
}

/* A page has been read (text NULL when streamed): progress, the snapshot
 * line. */
static dg_code page_done(void *ctx, const dg_strbuf *text, dg_error *err)
{
	page_walk *w = ctx;
	live *l = w->l;

	if (w->kind == PAGE_USERS && l->progress)
		l->progress->fn(l->progress->ctx, l->feed.entries_read, 0);
	if (text && l->snap && write_page(l->snap, w->kind, w->sel < l->feed.ngroups
					  ? l->feed.groups[w->sel].selection : NULL, text))
		return dg_error_set(err, DG_E_IO, "cannot write the snapshot: %s", strerror(errno));
	return DG_OK;
}

static dg_code endless(live *l, const char *what, size_t pages, const char *why,
		       dg_error *err)
{
	dg_finding *fd = dg_findings_add(l->f, DGF_GOOGLE029, "/directory",
					 "the page chain of %s does not end (stopped after %zu "
					 "pages: %s)", what, pages, why);
	dg_finding_hint(fd, "The API kept sending a nextPageToken that repeats, leads to "
			"empty pages or to the same page again, or more pages than dirgate "
			"follows: %d users.list pages of %d (%d million users), %d group "
			"pages of %d.  Run again later, and report it if it persists.",
			MAX_USER_PAGES, USER_PAGE_SIZE,
			MAX_USER_PAGES * USER_PAGE_SIZE / 1000000, MAX_GROUP_PAGES,
			GROUP_PAGE_SIZE);
	return dg_error_set(err, DG_E_PROTOCOL, "%s [GOOGLE029]", fd->message);
}

/* How many entries the feed holds for this kind of page, to spot pages
 * that promise more but bring nothing. */
static size_t fed(void *ctx)
{
	const page_walk *w = ctx;
	if (w->kind == PAGE_USERS)
		return w->l->feed.entries_read;
	if (w->kind == PAGE_MEMBERS)
		return w->l->feed.nmembers;
	return w->l->feed.groups[w->sel].matches;
}

/* A page that begins with the same user as the one before is the same page
 * again (users.list lists each user once): said at once, before its users
 * fill memory page after page up to the bound. */
static int page_repeats(void *ctx)
{
	const page_walk *w = ctx;
	return w->kind == PAGE_USERS && w->l->feed.page_repeats;
}

/* Fetches `base` page by page (pageToken appended), feeding each page;
 * users.list pages are read while they arrive (not while a snapshot, which
 * needs each page whole, is written). */
static dg_code fetch_pages(live *l, enum page_kind kind, size_t sel, const char *base,
			   const char *what, dg_error *err)
{
	page_walk pw = { l, kind, sel };
	dg_pager_walk w = {
		.first_url = base, .what = what, .ctx = &pw,
		.max_pages = kind == PAGE_USERS ? MAX_USER_PAGES : MAX_GROUP_PAGES,
		.stream = kind == PAGE_USERS ? l->stream : NULL,
		.read = read_page, .done = page_done, .entries = fed, .repeats = page_repeats,
	};

	l->walking = kind;
	note_query(l, base);
	return dg_pager_walk_chain(&l->pager, &w, err);
}

/* groups.get's one group resource, read as a lookup page. */
static dg_code lookup_page(live *l, size_t sel, const dg_strbuf *text, const char *what,
			   dg_error *err)
{
	page_walk pw = { l, PAGE_LOOKUP, sel };
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;
	int stop;
	dg_code code = read_page(&pw, text, &next, &stop, &why) < 0 ? unusable(l, what, why.buf, err)
								   : page_done(&pw, text, err);
	free(next);
	dg_strbuf_release(&why);
	return code;
}

static void add_path_segment(dg_strbuf *sb, const char *s)
{
	dg_http_add_escaped(sb, s); /* '@' and '/' escaped: one path segment */
}

/* A group named by e-mail: groups.get (404 = not found); by name:
 * groups.list with query name='...' (quotes and backslashes escaped). */
static dg_code lookup_group(live *l, size_t sel, dg_error *err)
{
	const char *name = l->feed.groups[sel].selection;
	dg_strbuf url = DG_STRBUF_INIT, q = DG_STRBUF_INIT, what = DG_STRBUF_INIT;
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_code code;

	dg_strbuf_addf(&what, "the lookup of group \"%s\"", name);
	if (strchr(name, '@')) {
		dg_strbuf_addf(&url, "%s" DIR_PATH "/groups/", l->api);
		add_path_segment(&url, name);
		dg_strbuf_adds(&url, "?fields=id,email,name,aliases");
		code = api_get(l, url.buf, what.buf, DG_PAGER_404_OK, &res, err);
		if (code == DG_OK && res.status == 200)
			code = lookup_page(l, sel, &res.body, what.buf, err);
	} else {
		dg_strbuf_adds(&q, "name='");
		for (const char *s = name; *s; s++) {
			if (*s == '\'' || *s == '\\')
				dg_strbuf_addch(&q, '\\');
			dg_strbuf_addch(&q, *s);
		}
		dg_strbuf_addch(&q, '\'');
		dg_strbuf_addf(&url, "%s" DIR_PATH "/groups?customer=my_customer&maxResults=%d"
			       "&fields=" GROUP_FIELDS "&query=", l->api, GROUP_PAGE_SIZE);
		dg_http_add_escaped(&url, q.buf);
		code = fetch_pages(l, PAGE_LOOKUP, sel, url.buf, what.buf, err);
	}
	dg_http_response_release(&res);
	dg_strbuf_release(&url);
	dg_strbuf_release(&q);
	dg_strbuf_release(&what);
	return code;
}

static dg_code fetch_members(live *l, size_t sel, dg_error *err)
{
	const dg_google_group *g = &l->feed.groups[sel];
	dg_strbuf url = DG_STRBUF_INIT, what = DG_STRBUF_INIT;
	dg_code code;

	dg_strbuf_addf(&what, "the members of group %s", g->email);
	dg_strbuf_addf(&url, "%s" DIR_PATH "/groups/", l->api);
	add_path_segment(&url, g->email);
	dg_strbuf_addf(&url, "/members?includeDerivedMembership=true&maxResults=%d&fields="
		       MEMBER_FIELDS, GROUP_PAGE_SIZE);
	code = fetch_pages(l, PAGE_MEMBERS, sel, url.buf, what.buf, err);
	dg_strbuf_release(&url);
	dg_strbuf_release(&what);
	return code;
}

/* users.list's URL up to its selection: the profile's domain when it names
 * one, else the whole account.  Google's reference asks for customer or
 * domain, one of them: never both. */
static void add_users_url(dg_strbuf *url, const live *l)
{
	dg_strbuf_addf(url, "%s" DIR_PATH "/users?", l->api);
	if (l->g->domain) {
		dg_strbuf_adds(url, "domain=");
		dg_http_add_escaped(url, l->g->domain);
	} else {
		dg_strbuf_adds(url, "customer=my_customer");
	}
}

static dg_code fetch_users(live *l, dg_error *err)
{
	dg_strbuf url = DG_STRBUF_INIT;
	dg_code code;

	add_users_url(&url, l);
	dg_strbuf_addf(&url, "&maxResults=%d&projection=basic&fields=" USER_FIELDS,
		       USER_PAGE_SIZE);
	code = fetch_pages(l, PAGE_USERS, 0, url.buf, "the user list", err);
	dg_strbuf_release(&url);
	return code;
}

/* users.list pages through the streaming reader (page_stream.h). */
static void *users_open(void *ctx)
{
	live *l = ctx;
	return dg_google_users_reader_new(&l->feed);
}

static int users_feed(void *page, const char *buf, size_t len, dg_strbuf *why)
{
	return dg_google_users_feed(page, buf, len, why);
}

static int users_finish(void *ctx, void *page, char **next, dg_strbuf *why)
{
	(void)ctx;
	return dg_google_users_finish(page, next, why);
}

static void users_close(void *page)
{
	dg_google_users_reader_free(page);
}

static const dg_page_reader users_reader = {
	users_open, users_feed, users_finish, users_close,
	NULL,  /* nextPageToken comes after the users: each page is read whole first */
};

static dg_code live_open(live *l, const dg_profile *p, dg_findings *f, dg_error *err)
{
	dg_http_opts o = { 0 };

	memset(l, 0, sizeof(*l));
	l->p = p;
	l->g = dg_google_opts(p);
	l->api = l->g->api_url ? l->g->api_url : GOOGLE_API;
	l->f = f;
	l->pager = (dg_pager){ .hooks = &directory_hooks, .ctx = l, .token = &l->tok,
			       .origin = l->api };
	if (!l->g->service_account_key_file || !l->g->admin_user)
		return dg_error_set(err, DG_E_INVALID, "the profile names no service account key "
				    "file or admin user (see 'dirgate check')");
	o.ca_file = l->g->tls.ca_file;
	o.insecure = l->g->tls.accept_all_certificates == 1;
	o.max_retries = 4; /* 429 and 503, honouring Retry-After */
	if (!(l->http = dg_http_new(&o)))
		return dg_error_set(err, DG_E_INTERNAL, "cannot set up HTTPS (libcurl)");
	l->pager.http = l->http;
	if (dg_google_key_load(l->g->service_account_key_file, &l->key, err) != DG_OK)
		return err->code;
	/* A signed assertion is good at Google for 50 minutes and a token for an
	 * hour: neither goes anywhere but Google (or a local test emulator). */
	if (!dg_google_token_uri_ok(l->key.token_uri))
		return dg_error_set(err, DG_E_INVALID, "token_uri in %s is not Google's token "
				    "endpoint; dirgate sends no signed credential there [GOOGLE009]",
				    l->g->service_account_key_file);
	if (!dg_google_api_url_ok(l->api))
		return dg_error_set(err, DG_E_INVALID, "/directory/apiUrl is not Google's "
				    "Directory API; dirgate sends no access token there [GOOGLE014]");
	return renew_token(l, err);
}

static void live_close(live *l)
{
	dg_page_stream_stop(l->stream);  /* first: its thread reads into the feed */
	l->stream = NULL;
	dg_oauth_token_release(&l->tok);
	dg_google_key_free(&l->key);
	dg_google_feed_release(&l->feed);
	dg_http_free(l->http);
	l->http = NULL;
}

static dg_code live_groups(live *l, dg_error *err)
{
	dg_code code = DG_OK;
	for (size_t i = 0; i < l->feed.ngroups && code == DG_OK; i++) {
		code = lookup_group(l, i, err);
		if (code == DG_OK && l->feed.groups[i].matches == 1)
			code = fetch_members(l, i, err);
	}
	return code;
}

static char *live_source(const live *l)
{
	char *api = dg_http_safe_url(l->api);
	char *s = dg_xasprintf("%s as %s", api, l->g->admin_user);
	free(api);
	return s;
}

static void add_names(dg_strbuf *sb, size_t n, const dg_strlist *names)
{
	if (!n)
		return;
	dg_strbuf_adds(sb, " (");
	for (size_t i = 0; i < names->nr; i++)
		dg_strbuf_addf(sb, "%s%s", i ? ", " : "", names->items[i]);
	dg_strbuf_adds(sb, n > names->nr ? ", ...)" : ")");
}

/* Without enabledUsersOnly, suspended and archived users become MailStore
 * users like any other: say so, naming a few. */
static void status_findings(const dg_google_feed *feed, const dg_dir_google *g, dg_findings *f)
{
	dg_strbuf s = DG_STRBUF_INIT, a = DG_STRBUF_INIT;
	dg_finding *fd;
	if (g->enabled_users_only == 1 || (!feed->suspended && !feed->archived))
		return;
	add_names(&s, feed->suspended, &feed->suspended_names);
	add_names(&a, feed->archived, &feed->archived_names);
	fd = dg_findings_add(f, DGF_GOOGLE031, "/directory/filters/enabledUsersOnly",
			     "%zu suspended%s and %zu archived%s users are synchronised like "
			     "active users", feed->suspended, s.buf, feed->archived, a.buf);
	dg_finding_hint(fd, "Set \"enabledUsersOnly\": true to skip them (MailStore: Sync "
			"only enabled users).");
	dg_strbuf_release(&s);
	dg_strbuf_release(&a);
}

/* The whole live run; users land in `users` (read pages' records in
 * `hand`'s settled hook, when it is given and has one), the snapshot (if
 * fp) in fp. */
static dg_code live_run(const dg_profile *p, FILE *fp, const dg_progress *progress,
			dg_dir_user_list *users, size_t *count, char **source, dg_findings *f,
			dg_strlist *queries, const dg_fetch_result *hand, dg_error *err)
{
	live l;
	dg_code code = live_open(&l, p, f, err);

	if (queries && code == DG_OK) {
		l.queries = queries;
		dg_strlist_push_owned(queries, token_note(&l));
	}

	dg_google_feed_init(&l.feed, &dg_google_opts(p)->groups, users);
	l.snap = fp;
	if (code == DG_OK && !fp)
		l.stream = dg_page_stream_start(&users_reader, &l, users);
	if (l.stream && hand && hand->settled)
		dg_page_stream_handoff(l.stream, hand->settled, hand->settled_ctx);
	l.progress = progress && progress->fn ? progress : NULL;
	if (l.g->tls.accept_all_certificates == 1) /* said by every run, not only check */
		dg_findings_add(f, DGF_TLS002, "/directory/tls/acceptAllCertificates",
				"certificates are not verified: anyone in the middle can read the "
				"access token and the directory data");
	if (code == DG_OK && fp)
		write_header(fp, p);
	if (code == DG_OK)
		code = live_groups(&l, err);
	if (code == DG_OK) {
		dg_google_group_findings(&l.feed, "/directory/filters/groups", f);
		code = fetch_users(&l, err);
	}
	if (code == DG_OK) {
		status_findings(&l.feed, l.g, f);
		*count = l.feed.entries_read;
		*source = live_source(&l);
	}
	if (l.progress)
		l.progress->fn(l.progress->ctx, l.feed.entries_read, 1);
	live_close(&l);
	return code;
}

dg_code dg_google_live_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
				size_t *count, char **source, dg_findings *f, dg_error *err)
{
	dg_dir_user_list users = DG_DIR_USER_LIST_INIT;
	dg_code code;
	users.arena = dg_arena_new();
	code = live_run(p, fp, progress, &users, count, source, f, NULL, NULL, err);
	if (code == DG_OK && (fflush(fp) || ferror(fp)))
		code = dg_error_set(err, DG_E_IO, "cannot write the snapshot: %s", strerror(errno));
	dg_dir_user_list_clear(&users);
	return code;
}

static dg_code live_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	out->users.arena = dg_arena_new();
	return live_run(p, NULL, out->progress, &out->users, &out->entries_read,
			&out->source_detail, &out->findings, &out->queries, out, err);
}

const dg_connector dg_connector_google_live = { "google-live", live_fetch };

/* ===== the snapshot ======================================================== */

typedef struct snap_reader {
	const dg_profile *p;
	const char *name;
	size_t line;
	int seen_header, seen_users;
	dg_google_feed feed;
	const dg_progress *progress; /* NULL: nobody is watching */
} snap_reader;

static dg_code snap_fail(snap_reader *r, dg_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE:LINE: what; take a new snapshot" as err. */
static dg_code snap_fail(snap_reader *r, dg_error *err, const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	dg_error_set(err, DG_E_PARSE, "%s:%zu: %s; take a new snapshot with 'dirgate snapshot'",
		     r->name, r->line, sb.buf);
	dg_strbuf_release(&sb);
	return DG_E_PARSE;
}

static int same_selection(const cJSON *groups, const dg_strarr *sel)
{
	size_t i = 0;
	const cJSON *it;
	if (!cJSON_IsArray(groups) || (size_t)cJSON_GetArraySize(groups) != sel->nr)
		return 0;
	cJSON_ArrayForEach(it, groups)
		if (!cJSON_IsString(it) || strcmp(it->valuestring, sel->items[i++]))
			return 0;
	return 1;
}

static dg_code snap_header(snap_reader *r, const cJSON *line, dg_error *err)
{
	const dg_dir_google *g = dg_google_opts(r->p);
	const cJSON *magic = cJSON_GetObjectItemCaseSensitive(line, "dirgate");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(line, "version");
	const cJSON *dom = cJSON_GetObjectItemCaseSensitive(line, "domain");

	if (!cJSON_IsString(magic) || strcmp(magic->valuestring, SNAPSHOT_MAGIC))
		return snap_fail(r, err, "not a Google Workspace snapshot (the first line "
				 "must be dirgate's header)");
	if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
		return snap_fail(r, err, "this snapshot format version is not supported (this "
				 "dirgate reads version 1)");
	if (!same_selection(cJSON_GetObjectItemCaseSensitive(line, "groups"), &g->groups))
		return snap_fail(r, err, "the snapshot was taken for another group selection than "
				 "/directory/filters/groups");
	if (!(g->domain ? cJSON_IsString(dom) && !strcasecmp(dom->valuestring, g->domain)
			: !dom || cJSON_IsNull(dom)))
		return snap_fail(r, err, "the snapshot was taken for another /directory/domain");
	r->seen_header = 1;
	return DG_OK;
}

static size_t selection_index(const snap_reader *r, const cJSON *sel)
{
	if (!cJSON_IsString(sel))
		return (size_t)-1;
	for (size_t i = 0; i < r->feed.ngroups; i++)
		if (!strcmp(r->feed.groups[i].selection, sel->valuestring))
			return i;
	return (size_t)-1;
}

/* A users.list page of the snapshot, as text: the same reader as live.
 * `what` starts the message when the page is refused. */
static dg_code snap_users_page(snap_reader *r, const char *what, const char *text, size_t len,
			       dg_error *err)
{
	dg_strbuf why = DG_STRBUF_INIT;
	char *next = NULL;
	dg_code code = DG_OK;

	r->seen_users = 1;
	if (dg_google_feed_users_text(&r->feed, text, len, &next, &why) < 0)
		code = snap_fail(r, err, "%s%s", what, why.buf);
	else if (r->progress)
		r->progress->fn(r->progress->ctx, r->feed.entries_read, 0);
	free(next);
	dg_strbuf_release(&why);
	return code;
}

/* A users page given as a tree (a line not written as write_page writes
 * it, a page saved by hand): read from its compact text. */
static dg_code snap_users_tree(snap_reader *r, const char *what, const cJSON *page,
			       dg_error *err)
{
	char *text = cJSON_PrintUnformatted(page);
	dg_code code = snap_users_page(r, what, text ? text : "", text ? strlen(text) : 0, err);
	free(text);
	return code;
}

static dg_code snap_line(snap_reader *r, const cJSON *line, dg_error *err)
{
	const cJSON *page = cJSON_GetObjectItemCaseSensitive(line, "page");
	const cJSON *lookup = cJSON_GetObjectItemCaseSensitive(line, "lookup");
	const cJSON *members = cJSON_GetObjectItemCaseSensitive(line, "members");
	dg_strbuf why = DG_STRBUF_INIT;
	dg_code code = DG_OK;
	int rc;

	if (!r->seen_header)
		return snap_header(r, line, err);
	if (!cJSON_IsObject(page))
		return snap_fail(r, err, "a line without a \"page\" object");
	if (lookup || members) {
		size_t sel = selection_index(r, lookup ? lookup : members);
		if (r->seen_users)
			return snap_fail(r, err, "group pages after the user pages");
		if (sel == (size_t)-1)
			return snap_fail(r, err, "a page for a group the profile does not "
					 "select");
		rc = lookup ? dg_google_feed_lookup(&r->feed, sel, page, NULL, &why)
			    : dg_google_feed_members(&r->feed, sel, page, NULL, &why);
	} else if (cJSON_GetObjectItemCaseSensitive(line, "users")) {
		dg_strbuf_release(&why);
		return snap_users_tree(r, "", page, err);
	} else {
		return snap_fail(r, err, "a line that is neither a lookup, members nor users "
				 "page");
	}
	if (rc < 0)
		code = snap_fail(r, err, "%s", why.buf);
	dg_strbuf_release(&why);
	return code;
}

static dg_code snap_text_line(snap_reader *r, const char *s, size_t n, dg_error *err)
{
	dg_strbuf why = DG_STRBUF_INIT;
	cJSON *line;
	dg_code code;

	r->line++;
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
		n--;
	if (!n) {
		dg_strbuf_release(&why);
		return DG_OK;
	}
	/* A users page as write_page wrote it: streamed, not made a tree. */
	if (r->seen_header && n > strlen(USERS_LINE) && !memcmp(s, USERS_LINE, strlen(USERS_LINE)) &&
	    s[n - 1] == '}') {
		dg_strbuf_release(&why);
		return snap_users_page(r, "", s + strlen(USERS_LINE), n - strlen(USERS_LINE) - 1,
				       err);
	}
	if (!(line = dg_google_parse_object(s, n, &why))) {
		code = snap_fail(r, err, "%s", why.buf);
	} else {
		code = snap_line(r, line, err);
		cJSON_Delete(line);
	}
	dg_strbuf_release(&why);
	return code;
}

static dg_code snap_finish(snap_reader *r, dg_fetch_result *out, dg_error *err)
{
	if (!r->seen_header)
		return snap_fail(r, err, "the snapshot is empty");
	dg_google_group_findings(&r->feed, "/directory/filters/groups", &out->findings);
	status_findings(&r->feed, dg_google_opts(r->p), &out->findings);
	out->entries_read = r->feed.entries_read;
	if (r->progress)
		r->progress->fn(r->progress->ctx, r->feed.entries_read, 1);
	return DG_OK;
}

/* Is this first line dirgate's header (JSON Lines), rather than the start
 * of pages saved by hand? */
static int is_header_line(const char *s, size_t n)
{
	cJSON *line = cJSON_ParseWithLength(s, n);
	int yes = cJSON_IsObject(line) && cJSON_GetObjectItemCaseSensitive(line, "dirgate");
	cJSON_Delete(line);
	return yes;
}

/* Pages saved by hand (API Explorer, curl): one users.list page, or a JSON
 * array of them.  They hold no group members, so a group selection cannot
 * be evaluated from them. */
static dg_code plain_pages(snap_reader *r, const char *text, size_t len, dg_error *err)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0), *page;
	dg_strbuf why = DG_STRBUF_INIT;
	dg_code code = DG_OK;
	int line, col;

	while (root && end < text + len && strchr(" \t\r\n", *end))
		end++;
	if (root && end < text + len) { /* a second JSON text: not one saved answer */
		cJSON_Delete(root);
		root = NULL;
	}
	r->line = 1;
	if (!root) {
		dg_jsonpos_error_at(text, len, end && end < text + len ? end : cJSON_GetErrorPtr(),
				    &line, &col);
		r->line = (size_t)line;
		return snap_fail(r, err, "neither dirgate's snapshot nor saved Admin SDK pages: "
				 "not valid JSON");
	}
	if (r->feed.ngroups) {
		code = snap_fail(r, err, "saved users.list pages hold no group members, so "
				 "/directory/filters/groups cannot be evaluated from them");
	} else if (cJSON_IsObject(root)) {
		code = snap_users_tree(r, "users.list page: ", root, err);
	} else if (cJSON_IsArray(root)) {
		cJSON_ArrayForEach(page, root)
			if ((code = snap_users_tree(r, "users.list page: ", page, err)) != DG_OK)
				break;
	} else {
		code = snap_fail(r, err, "saved Admin SDK pages must be a users.list page or an "
				 "array of them");
	}
	r->seen_header = code == DG_OK;
	cJSON_Delete(root);
	dg_strbuf_release(&why);
	return code;
}

dg_code dg_google_snapshot_read_mem(const dg_profile *p, const char *text, size_t len,
				    const char *name, dg_fetch_result *out, dg_error *err)
{
	snap_reader r = { .p = p, .name = name };
	const char *nl = len ? memchr(text, '\n', len) : NULL;
	int plain = len && !is_header_line(text, nl ? (size_t)(nl - text) : len);
	dg_code code = DG_OK;
	size_t start = 0;

	if (!out->users.arena)
		out->users.arena = dg_arena_new();
	dg_google_feed_init(&r.feed, &dg_google_opts(p)->groups, &out->users);
	if (plain)
		code = plain_pages(&r, text, len, err);
	for (size_t i = 0; i <= len && code == DG_OK && !plain; i++) {
		if (i == len || text[i] == '\n') {
			code = snap_text_line(&r, text + start, i - start, err);
			start = i + 1;
		}
	}
	if (code == DG_OK)
		code = snap_finish(&r, out, err);
	dg_google_feed_release(&r.feed);
	return code;
}

/* The rest of a file saved by hand, read whole (such files are small: one
 * page or a few). */
static dg_code snap_plain_file(snap_reader *r, FILE *fp, dg_error *err)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	char buf[65536];
	size_t n;
	dg_code code;

	rewind(fp);
	while (sb.len <= DG_SNAPLINE_MAX && (n = fread(buf, 1, sizeof(buf), fp)) > 0)
		dg_strbuf_add(&sb, buf, n);
	if (ferror(fp))
		code = dg_error_set(err, DG_E_IO, "cannot read snapshot %s: %s", r->name,
				    strerror(errno));
	else if (sb.len > DG_SNAPLINE_MAX)
		code = snap_fail(r, err, "a file saved by hand is longer than " DG_SNAPLINE_MAX_TEXT);
	else
		code = plain_pages(r, sb.buf, sb.len, err);
	dg_strbuf_release(&sb);
	return code;
}

static dg_code snap_fetch(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	const char *path = p->directory.snapshot;
	snap_reader r = { .p = p, .name = path,
			  .progress = out->progress && out->progress->fn ? out->progress : NULL };
	FILE *fp = fopen(path, "rb");
	dg_strbuf buf = DG_STRBUF_INIT;
	dg_snapline in;
	size_t len;
	ssize_t n;
	dg_code code = DG_OK;

	if (!fp)
		return dg_error_set(err, DG_E_IO, "cannot read snapshot %s: %s", path,
				    strerror(errno));
	out->users.arena = dg_arena_new();
	dg_google_feed_init(&r.feed, &dg_google_opts(p)->groups, &out->users);
	dg_snapline_init(&in, fp);
	for (int first = 1; code == DG_OK && (n = dg_snapline_read(&in, &buf, DG_SNAPLINE_MAX)) > 0;
	     first = 0) {
		len = buf.buf[n - 1] == '\n' ? (size_t)n - 1 : (size_t)n;
		if (first && !is_header_line(buf.buf, len)) {
			code = snap_plain_file(&r, fp, err);
			break;
		}
		code = snap_text_line(&r, buf.buf, len, err);
	}
	if (code == DG_OK && n == -2) {
		r.line++;
		code = snap_fail(&r, err, "a line is longer than " DG_SNAPLINE_MAX_TEXT
				 ", larger than any page dirgate writes");
	}
	if (code == DG_OK && n == -1)
		code = dg_error_set(err, DG_E_IO, "cannot read snapshot %s: %s", path,
				    strerror(errno));
	if (code == DG_OK)
		code = snap_finish(&r, out, err);
	dg_strbuf_release(&buf);
	fclose(fp);
	dg_google_feed_release(&r.feed);
	if (code == DG_OK)
		out->source_detail = dg_xstrdup(path);
	return code;
}

const dg_connector dg_connector_google_snapshot = { "google-snapshot", snap_fetch };

/* ===== check probes ======================================================== */

static dg_code probe_api(live *l, dg_error *err)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	dg_strbuf url = DG_STRBUF_INIT;
	char *api = dg_http_safe_url(l->api);
	dg_code code;

	add_users_url(&url, l);
	dg_strbuf_adds(&url, "&maxResults=1&fields=users(primaryEmail)");
	code = api_get(l, url.buf, "a one-user listing", 0, &res, err);
	if (code == DG_OK)
		hint_repeat(dg_findings_add(l->f, DGF_GOOGLE024, "/directory",
					    "the Directory API at %s answers and lists users for %s",
					    api, l->g->admin_user),
			    l, url.buf);
	free(api);
	dg_strbuf_release(&url);
	dg_http_response_release(&res);
	return code;
}

/* MailStore synchronises and archives with https://mail.google.com/, which
 * dirgate itself never uses: a delegation without it passes every directory
 * probe and fails only in MailStore, so check asks for it too.  A refusal
 * is a finding of its own; the directory probes go on regardless. */
static void probe_mail_scope(live *l)
{
	dg_error err = { 0 };
	if (dg_google_mail_scope_check(l->http, &l->key, l->g->admin_user, l->f, &err) == DG_OK)
		dg_findings_add(l->f, DGF_GOOGLE033, "/directory/serviceAccountKeyFile",
				"domain-wide delegation for client ID %s includes "
				DG_GOOGLE_SCOPE_MAIL ", MailStore's own scope", l->key.client_id);
}

int dg_google_probe(const dg_profile *p, dg_findings *out)
{
	dg_error err = { 0 };
	live l;
	dg_code code = live_open(&l, p, out, &err);
	dg_dir_user_list none = DG_DIR_USER_LIST_INIT;

	dg_google_feed_init(&l.feed, &dg_google_opts(p)->groups, &none);
	if (code == DG_OK) {
		dg_findings_add(out, DGF_GOOGLE021, "/directory/adminUser",
				"got an access token for %s through service account %s (client "
				"ID %s)", l.g->admin_user, l.key.client_email, l.key.client_id);
		probe_mail_scope(&l);
		code = probe_api(&l, &err);
	}
	for (size_t i = 0; code == DG_OK && i < l.feed.ngroups; i++)
		code = lookup_group(&l, i, &err);
	if (code == DG_OK)
		dg_google_group_findings(&l.feed, "/directory/filters/groups", out);
	else if (!out->nr || dg_findings_count(out, DG_SEV_ERROR) == 0)
		dg_findings_add(out, DGF_GOOGLE020, "/directory", "%s", err.message);
	live_close(&l);
	dg_dir_user_list_clear(&none);
	return code == DG_OK ? 0 : -1;
}
