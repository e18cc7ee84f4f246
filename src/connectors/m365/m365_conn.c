/* The microsoft-365 connector: live through Graph, or from saved pages
 * (m365_conn.h).  One walk over "streams" of pages serves both, so a
 * snapshot previews exactly as the live directory did. */
#include "m365_conn.h"
#include "m365_profile.h"

#include "entra_token.h"
#include "m365_graph.h"
#include "../snapline.h"

#include "../../core/sorted.h"
#include "../../core/validate.h"
#include "../../net/pager.h"
#include "../shell_cmd.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct member {
	const char *id;       /* in run.arena */
	size_t group;         /* index into run.group_names */
} member;

/* One saved page: its stream and where its JSON is in the snapshot file. */
typedef struct snap_line {
	char *key;
	long offset;          /* of the page object */
	size_t len;
} snap_line;

typedef struct m365_run {
	const dg_profile *p;
	dg_findings *out;
	dg_error *err;
	int probe;            /* dirgate check: info findings, one user only */
	/* live */
	dg_http *http;
	dg_entra_client entra;
	int have_client;
	char *graph;
	dg_pager pager;       /* Graph's pages, live or saved */
	size_t grace;            /* users whose Exchange licence is only in its grace period */
	dg_strlist grace_names;  /* the first few of them */
	dg_strbuf *rec;       /* snapshot being written, or NULL */
	/* snapshot: the file, and where each stream's pages are in it */
	FILE *snap;
	snap_line *lines;
	size_t nlines, lines_alloc;
	dg_strbuf line;       /* the page being read, reused */
	dg_strbuf label;      /* a user's label being made (label_entry), reused */
	dg_page_stream *stream; /* live /users pages read while they arrive, or NULL */
	/* group selection */
	dg_arena *arena;
	member *members;
	size_t nmembers, members_alloc;
	dg_strlist group_names;  /* selected groups found, by index */
	char **group_paths;      /* by group index: its path text, in the users' arena */
	int groups_selected;
	/* a group given by object ID: Graph's 404 for its members is "no such
	 * group" (set by walk, from the pager), not a failed request */
	int missing_ok, missing;
	/* result */
	dg_fetch_result *res;
	/* who hears the count after each /users page, or NULL; on the page
	 * reader's thread while pages stream (progress_done says the rest) */
	const dg_progress *progress;
} m365_run;

typedef int (*page_fn)(m365_run *r, const cJSON *value, void *ctx);

/* Repeats a finding in the error, for callers that only print errors. */
static dg_code fail(m365_run *r, dg_finding *fd)
{
	return dg_error_set(r->err, DG_E_INVALID, "%s: %s%s%s", fd->code, fd->message,
			    fd->hint ? "; " : "", fd->hint ? fd->hint : "");
}

/* ---- live pages ------------------------------------------------------------ */

/* A token for Graph, renewed by a fresh assertion (a jti is never reused). */
static dg_code renew_token(void *ctx, dg_error *err)
{
	m365_run *r = ctx;
	return dg_entra_client_token(&r->entra, r->out, err);
}

static dg_code renewals_failed(m365_run *r)
{
	dg_finding *fd = dg_findings_add(r->out, DGF_M365015, "/directory",
					 "Graph kept refusing fresh tokens (%d renewals)",
					 DG_PAGER_MAX_RENEWALS);
	dg_finding_hint(fd, "check the clocks and that the app's tokens are for "
			"graph.microsoft.com");
	return fail(r, fd);
}

/* The curl line that repeats a Graph GET; the token is $GRAPH_TOKEN. */
static char *curl_of(const m365_run *r, const char *url)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_curl_command(&sb, url, "GRAPH_TOKEN", dg_m365_opts(r->p)->tls.ca_file, 0);
	return dg_strbuf_detach(&sb);
}

/* What GRAPH_TOKEN must hold, as a shell comment. */
static char *token_note(const m365_run *r)
{
	return dg_xasprintf("# GRAPH_TOKEN: an app-only Microsoft Graph token of client ID %s "
			    "in tenant %s (e.g. 'az login --service-principal' with the app's "
			    "certificate, then 'az account get-access-token --resource "
			    "https://graph.microsoft.com')",
			    dg_m365_opts(r->p)->client_id ? dg_m365_opts(r->p)->client_id : "?",
			    dg_m365_opts(r->p)->tenant_id ? dg_m365_opts(r->p)->tenant_id : "?");
}

/* Appends "Repeat by hand: CURL" to the finding's hint. */
static void hint_repeat(dg_finding *fd, const m365_run *r, const char *url)
{
	char *cmd = curl_of(r, url), *old = fd->hint ? dg_xstrdup(fd->hint) : NULL;
	char *note = token_note(r);
	dg_finding_hint(fd, "%s%sRepeat by hand: %s\n%s", old ? old : "", old ? "\n" : "", cmd,
			note);
	free(note);
	free(old);
	free(cmd);
}

/* A live GET's first page, for 'preview --show-queries'. */
static void note_query(m365_run *r, const char *url)
{
	if (r->snap || !r->res || r->probe)
		return;
	if (!r->res->queries.nr)
		dg_strlist_push_owned(&r->res->queries, token_note(r));
	dg_strlist_push_owned(&r->res->queries, curl_of(r, url));
}

static dg_code graph_error(m365_run *r, const dg_http_response *res, const char *url)
{
	char code[128], msg[512];
	char *safe = dg_http_safe_url(url);
	dg_finding *fd;

	dg_graph_parse_error(res->body.buf, res->body.len, code, sizeof code, msg, sizeof msg);
	if (res->status == 403) {
		fd = dg_findings_add(r->out, DGF_M365011, "/directory/clientId",
				     "Graph answered 403 %s for %s: %s", code[0] ? code : "Forbidden",
				     safe, msg[0] ? msg : "access denied");
		dg_finding_hint(fd, "grant the app the Microsoft Graph application permission "
				"Directory.Read.All and click 'Grant admin consent' (App registrations "
				"> API permissions)");
	} else if (res->status == 429 || res->status == 503) {
		fd = dg_findings_add(r->out, DGF_M365022, "/directory",
				     "Graph still answered %ld %s for %s after %d attempts", res->status,
				     code, safe, res->attempts);
		dg_finding_hint(fd, "run again later; other apps of the tenant share Graph's "
				"throttling budget");
	} else {
		fd = dg_findings_add(r->out, DGF_M365015, "/directory",
				     "Graph answered %ld %s for %s%s%s", res->status,
				     code[0] ? code : "(no error code)", safe, msg[0] ? ": " : "", msg);
		dg_finding_hint(fd, "retry later; if it persists check Microsoft 365 service health");
	}
	hint_repeat(fd, r, url);
	free(safe);
	return fail(r, fd);
}

/* One line per page: {"stream": KEY, "page": <Graph's answer>}. */
static void rec_page(m365_run *r, const char *key, const dg_strbuf *body)
{
	dg_strbuf prefix = DG_STRBUF_INIT;
	if (!r->rec)
		return;
	dg_strbuf_adds(&prefix, "{\"stream\": ");
	dg_strbuf_add_json_str(&prefix, key);
	dg_strbuf_adds(&prefix, ", \"page\": ");
	dg_pager_record(r->rec, prefix.buf, body->buf, body->len);
	dg_strbuf_release(&prefix);
}

/* A 401 for an expired token is renewed; anything else is Graph's refusal. */
static dg_pager_verdict classify(void *ctx, const dg_http_response *res)
{
	char code[128], msg[16];
	(void)ctx;
	if (res->status != 401)
		return DG_PAGER_REFUSED;
	dg_graph_parse_error(res->body.buf, res->body.len, code, sizeof code, msg, sizeof msg);
	return !strcmp(code, "InvalidAuthenticationToken") || !code[0] ? DG_PAGER_RENEW
									 : DG_PAGER_REFUSED;
}

/* ---- snapshot pages -------------------------------------------------------- */

static dg_code snap_missing(m365_run *r, const char *key)
{
	dg_finding *fd;
	if (!strncmp(key, "users", 5)) {
		fd = dg_findings_add(r->out, DGF_M365025, "/directory/snapshot",
				     "%s has no saved /users pages", r->p->directory.snapshot);
		dg_finding_hint(fd, "write it again with 'dirgate snapshot PROFILE --output FILE'");
	} else {
		fd = dg_findings_add(r->out, DGF_M365026, "/directory/filters/groups",
				     "%s has no saved pages for %s", r->p->directory.snapshot, key);
		dg_finding_hint(fd, "the snapshot was written with another group selection: "
				"write it again with the current profile");
	}
	return fail(r, fd);
}

/* The idx-th saved page of stream `key`, or NULL. */
static const snap_line *find_line(const m365_run *r, const char *key, size_t idx)
{
	for (size_t i = 0; i < r->nlines; i++)
		if (!strcmp(r->lines[i].key, key) && !idx--)
			return &r->lines[i];
	return NULL;
}

/* The idx-th saved page of stream `key`, read into r->line. */
static dg_code snap_text(m365_run *r, const char *key, size_t idx)
{
	const snap_line *l = find_line(r, key, idx);
	dg_finding *fd;

	if (!l)
		return snap_missing(r, key);
	dg_strbuf_reset(&r->line);
	dg_strbuf_grow(&r->line, l->len);
	if (!fseek(r->snap, l->offset, SEEK_SET) && fread(r->line.buf, 1, l->len, r->snap) == l->len) {
		r->line.len = l->len;  /* grown above; setlen only truncates */
		r->line.buf[l->len] = '\0';
		return DG_OK;
	}
	fd = dg_findings_add(r->out, DGF_M365025, "/directory/snapshot",
			     "%s: page %zu of \"%s\" is unreadable", r->p->directory.snapshot,
			     idx + 1, key);
	dg_finding_hint(fd, "write it again with 'dirgate snapshot PROFILE --output FILE'");
	return fail(r, fd);
}

/* ---- walking a stream of pages ------------------------------------------- */

static dg_code paging_error(m365_run *r, const char *url, const char *what)
{
	char *safe = dg_http_safe_url(url);
	dg_finding *fd = dg_findings_add(r->out, DGF_M365020, "/directory",
					 "Graph paging for %s %s; the result would be incomplete",
					 safe, what);
	dg_finding_hint(fd, "run again later; report Graph's request-id to Microsoft if it "
			"repeats");
	free(safe);
	return fail(r, fd);
}


/* A page that is not what Graph sends: where it came from decides the
 * finding (a live answer, or a page of the snapshot). */
static dg_code bad_page(m365_run *r, const char *url, const char *key, size_t idx,
			const char *why)
{
	dg_finding *fd;
	char *safe;

	if (r->snap) {
		fd = dg_findings_add(r->out, DGF_M365025, "/directory/snapshot",
				     "%s: page %zu of \"%s\" is %s", r->p->directory.snapshot,
				     idx + 1, key, why);
		dg_finding_hint(fd, "write it again with 'dirgate snapshot PROFILE --output FILE'");
		return fail(r, fd);
	}
	safe = dg_http_safe_url(url);
	fd = dg_findings_add(r->out, DGF_M365021, "/directory",
			     "Graph's answer to %s is %s", safe, why);
	dg_finding_hint(fd, "retry; check proxies between this machine and Graph");
	free(safe);
	return fail(r, fd);
}

/* ---- Graph's hooks for the pager ------------------------------------------ */

/* Each way a Graph request or page chain fails, as its finding. */
static dg_code pager_fail(void *ctx, const dg_pager_failure *f, dg_error *err)
{
	m365_run *r = ctx;
	char what[64];

	(void)err;  /* r->err is the same error */
	switch (f->kind) {
	case DG_PAGER_TRANSPORT:
		return fail(r, dg_entra_network_finding(f->res->failure, f->res->detail, f->url,
							"Microsoft Graph", r->out));
	case DG_PAGER_RENEWALS:
		return renewals_failed(r);
	case DG_PAGER_REFUSAL:
	case DG_PAGER_RATE_LIMIT:
		return graph_error(r, f->res, f->url);
	case DG_PAGER_BAD_PAGE:
		return bad_page(r, f->url, f->what, f->page, f->why);
	case DG_PAGER_FOREIGN:
		return bad_page(r, f->url, f->what, f->page, "a page whose @odata.nextLink leads "
				"to another host; dirgate sends its Graph token to Graph only");
	case DG_PAGER_REPEAT:
		return paging_error(r, f->first_url, "links back to the page it came from");
	case DG_PAGER_SAME_PAGE:
		return paging_error(r, f->first_url, "repeats the page before it");
	case DG_PAGER_EMPTY:
		return paging_error(r, f->first_url, "keeps sending empty pages");
	case DG_PAGER_BOUND:
	default:
		snprintf(what, sizeof what, "did not end after %zu pages", f->pages);
		return paging_error(r, f->first_url, what);
	}
}

/* @odata.nextLink is the next page's URL, verbatim (never rebuilt from a
 * skiptoken). */
static char *next_url(void *ctx, const char *first_url, const char *next)
{
	(void)ctx;
	(void)first_url;
	return dg_xstrdup(next);
}

static const dg_pager_hooks graph_hooks = { renew_token, classify, pager_fail, next_url };

static void apply_groups(m365_run *r, dg_dir_user *u, dg_arena *a);

/* What skipped and conflicting entries show: an object ID alone names
 * nobody an administrator recognises, so the UPN and display name go
 * first.  Called after apply_groups, which matches by the bare ID.  Made
 * in `sb` (one buffer for all users: this runs 100,000 times a preview,
 * on the page reader's thread). */
static void label_entry(dg_strbuf *sb, dg_dir_user *u, dg_arena *a)
{
	const char *upn = u->name_value && *u->name_value ? u->name_value : NULL;
	const char *name = u->full_name && *u->full_name ? u->full_name : NULL;
	if (!upn && !name)
		return;
	dg_strbuf_reset(sb);
	if (upn)
		dg_strbuf_adds(sb, upn);
	if (name) {
		dg_strbuf_adds(sb, upn ? " \"" : "\"");
		dg_strbuf_adds(sb, name);
		dg_strbuf_addch(sb, '"');
	}
	dg_strbuf_adds(sb, " (id ");
	dg_strbuf_adds(sb, u->entry);
	dg_strbuf_addch(sb, ')');
	if (a) {
		u->entry = dg_arena_strndup(a, sb->buf, sb->len);
	} else {
		free(u->entry);
		u->entry = dg_xstrndup(sb->buf, sb->len);
	}
}

static void user_read(void *ctx, dg_dir_user *u)
{
	m365_run *r = ctx;
	apply_groups(r, u, r->res->users.arena);
	label_entry(&r->label, u, r->res->users.arena);
}

/* ---- /users pages: one streaming reader, live or saved ------------------- */

static void *users_open(void *ctx)
{
	m365_run *r = ctx;
	return dg_graph_users_reader_new(&r->res->users, user_read, r);
}

static int users_feed(void *page, const char *buf, size_t len, dg_strbuf *why)
{
	return dg_graph_users_feed(page, buf, len, why);
}

/* Adds a page's grace-period users to the run's (see grace_finding). */
static void count_grace(m365_run *r, const dg_graph_users_reader *page)
{
	const dg_strlist *names;
	r->grace += dg_graph_users_grace(page, &names);
	for (size_t i = 0; i < names->nr && r->grace_names.nr < DG_GRAPH_GRACE_NAMES; i++)
		dg_strlist_push(&r->grace_names, names->items[i]);
}

static int users_finish(void *ctx, void *page, char **next, dg_strbuf *why)
{
	m365_run *r = ctx;
	if (dg_graph_users_finish(page, why) < 0)
		return -1;
	r->res->entries_read += dg_graph_users_entries(page);
	count_grace(r, page);
	if (r->progress)
		r->progress->fn(r->progress->ctx, r->res->entries_read, 0);
	if (dg_graph_users_next_link(page))
		*next = dg_xstrdup(dg_graph_users_next_link(page));
	return 0;
}

static void users_close(void *page)
{
	dg_graph_users_reader_free(page);
}

static const char *users_next_early(void *page)
{
	return dg_graph_users_next_link(page);
}

static const dg_page_reader users_reader = {
	users_open, users_feed, users_finish, users_close, users_next_early,
};

/* A whole /users page (saved, or when no reader thread runs) through the
 * same reader, straight into the result: 999 users, no JSON tree. */
static int read_users_page(m365_run *r, const dg_strbuf *text, char **next, dg_strbuf *why)
{
	return dg_page_read_whole(&users_reader, r, text->buf, text->len, next, why);
}

/* A group page (small) as a tree, its "value" handed to fn. */
static int read_tree_page(m365_run *r, page_fn fn, void *ctx, const dg_strbuf *text,
			  char **next, int *stop, dg_strbuf *why)
{
	dg_graph_page pg;
	char buf[256];

	if (dg_graph_parse_page(text->buf, text->len, &pg, buf, sizeof buf) < 0) {
		dg_strbuf_adds(why, buf);
		return -1;
	}
	*stop = fn(r, pg.value, ctx) < 0;
	if (pg.next_link)
		*next = dg_xstrdup(pg.next_link);
	dg_graph_page_free(&pg);
	return 0;
}

/* Sets *next (malloc'd) and *stop (no more pages wanted). */
static int read_page(m365_run *r, page_fn fn, void *ctx, const dg_strbuf *text, char **next,
		     int *stop, dg_strbuf *why)
{
	if (fn)
		return read_tree_page(r, fn, ctx, text, next, stop, why);
	*stop = r->probe;  /* a probe needs one page only */
	return read_users_page(r, text, next, why);
}

/* What a walk over one stream of pages reads with: the stream's key
 * ("users", "members:ID", ...) and, for group pages, what takes their
 * "value" (fn NULL: the /users stream). */
typedef struct stream_walk {
	m365_run *r;
	const char *key;
	page_fn fn;
	void *ctx;
} stream_walk;

static int walk_read(void *ctx, const dg_strbuf *text, char **next, int *stop, dg_strbuf *why)
{
	stream_walk *sw = ctx;
	return read_page(sw->r, sw->fn, sw->ctx, text, next, stop, why);
}

static dg_code walk_done(void *ctx, const dg_strbuf *text, dg_error *err)
{
	stream_walk *sw = ctx;
	(void)err;
	rec_page(sw->r, sw->key, text);
	return DG_OK;
}

static const dg_strbuf *walk_saved(void *ctx, size_t idx, dg_code *rc)
{
	stream_walk *sw = ctx;
	*rc = snap_text(sw->r, sw->key, idx);
	return *rc == DG_OK ? &sw->r->line : NULL;
}

static int walk_saved_more(void *ctx, size_t idx)
{
	stream_walk *sw = ctx;
	return find_line(sw->r, sw->key, idx) != NULL;
}

/* Fetches (or replays) every page of one stream and reads each: /users
 * pages while they arrive when a reader thread runs, the others whole. */
static dg_code walk(m365_run *r, const char *key, const char *first_url, page_fn fn, void *ctx)
{
	stream_walk sw = { r, key, fn, ctx };
	dg_pager_walk w = {
		.first_url = first_url, .what = key, .max_pages = DG_M365_MAX_PAGES,
		.flags = r->missing_ok ? DG_PAGER_404_OK : 0, .ctx = &sw,
		.stream = fn ? NULL : r->stream, .read = walk_read,
		.done = r->rec ? walk_done : NULL,
		.saved = r->snap ? walk_saved : NULL, .saved_more = walk_saved_more,
	};
	dg_code rc;

	note_query(r, first_url);
	rc = dg_pager_walk_chain(&r->pager, &w, r->err);
	r->missing = w.missing;
	return rc;
}

/* ---- groups ---------------------------------------------------------------- */

static int collect_group(m365_run *r, const cJSON *value, void *ctx)
{
	dg_strlist *ids = ctx;
	const cJSON *g;
	(void)r;
	cJSON_ArrayForEach(g, value) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(g, "id");
		if (cJSON_IsString(id))
			dg_strlist_push(ids, id->valuestring);
	}
	return 0;
}

static int collect_members(m365_run *r, const cJSON *value, void *ctx)
{
	size_t group = *(size_t *)ctx;
	const cJSON *m;
	cJSON_ArrayForEach(m, value) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "@odata.type");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
		if (!cJSON_IsString(t) || strcmp(t->valuestring, "#microsoft.graph.user") ||
		    !cJSON_IsString(id))
			continue;  /* nested groups, devices, contacts: not users */
		DG_ALLOC_GROW(r->members, r->nmembers + 1, r->members_alloc);
		r->members[r->nmembers].id = dg_arena_strdup(r->arena, id->valuestring);
		r->members[r->nmembers++].group = group;
	}
	return 0;
}

static char *url_of(m365_run *r, const char *fmt_path, const char *arg, const char *query)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	dg_strbuf_addf(&sb, "%s%s", r->graph ? r->graph : "", fmt_path);
	if (arg)
		dg_http_add_escaped(&sb, arg);
	dg_strbuf_adds(&sb, query);
	return dg_strbuf_detach(&sb);
}

static char *group_search_url(m365_run *r, const char *name)
{
	dg_strbuf filter = DG_STRBUF_INIT, sb = DG_STRBUF_INIT;
	dg_strbuf_adds(&filter, "displayName eq ");
	dg_graph_odata_quote(&filter, name);
	dg_strbuf_addf(&sb, "%s/v1.0/groups?$filter=", r->graph ? r->graph : "");
	dg_http_add_escaped(&sb, filter.buf);
	dg_strbuf_adds(&sb, "&$select=id,displayName");
	dg_strbuf_release(&filter);
	return dg_strbuf_detach(&sb);
}

/* The group's id, or NULL after a finding (not found / ambiguous). */
static char *resolve_group(m365_run *r, const char *name, size_t i, dg_code *rc)
{
	char path[64], *key, *url, *id = NULL;
	dg_strlist lk = DG_STRLIST_INIT;
	dg_finding *fd;

	snprintf(path, sizeof path, "/directory/filters/groups/%zu", i);
	if (dg_is_guid(name))
		return dg_xstrdup(name);  /* an object ID: no lookup needed */
	key = dg_xasprintf("group:%s", name);
	url = group_search_url(r, name);
	*rc = walk(r, key, url, collect_group, &lk);
	if (*rc == DG_OK && lk.nr == 1) {
		id = dg_xstrdup(lk.items[0]);
		if (r->probe)
			hint_repeat(dg_findings_add(r->out, DGF_M365019, path,
						    "group \"%s\" found: object ID %s", name, id),
				    r, url);
	} else if (*rc == DG_OK && lk.nr == 0) {
		fd = dg_findings_add(r->out, DGF_M365017, path,
				     "no group has the display name \"%s\"", name);
		dg_finding_hint(fd, "use the exact display name from the Entra admin center > "
				"Groups, or the group's object ID");
	} else if (*rc == DG_OK) {
		fd = dg_findings_add(r->out, DGF_M365018, path,
				     "%zu groups have the display name \"%s\": %s, ...", lk.nr, name,
				     lk.items[0]);
		dg_finding_hint(fd, "give the object ID of the one meant instead of the name, or "
				"rename the groups apart");
	}
	dg_strlist_clear(&lk);
	free(key);
	free(url);
	return id;
}

/* Graph answered 404 for the members of a group given by object ID: the
 * group is not there (deleted, or an ID from another tenant).  The other
 * groups are still checked. */
static void group_id_missing(m365_run *r, const char *id, size_t i)
{
	char path[64];
	dg_finding *fd;
	snprintf(path, sizeof path, "/directory/filters/groups/%zu", i);
	fd = dg_findings_add(r->out, DGF_M365017, path,
			     "no group has the object ID %s (Graph answered 404)", id);
	dg_finding_hint(fd, "copy the object ID from the Entra admin center > Groups > the "
			"group's Overview, or give its display name");
}

static int cmp_member(const void *a, const void *b)
{
	const member *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->group > y->group) - (x->group < y->group);
}

static dg_code load_groups(m365_run *r)
{
	const dg_strarr *g = &dg_m365_opts(r->p)->groups;
	dg_code rc = DG_OK;

	r->groups_selected = g->nr > 0;
	for (size_t i = 0; i < g->nr && rc == DG_OK; i++) {
		char *id = resolve_group(r, g->items[i], i, &rc), *key, *url;
		size_t gi = r->group_names.nr;
		if (!id)
			continue;
		dg_strlist_push(&r->group_names, g->items[i]);
		key = dg_xasprintf("members:%s", id);
		url = url_of(r, "/v1.0/groups/", id, "/transitiveMembers?$select=id&$top=999");
		r->missing_ok = dg_is_guid(g->items[i]);
		rc = walk(r, key, url, collect_members, &gi);
		if (rc == DG_OK && r->missing)
			group_id_missing(r, id, i);
		r->missing_ok = r->missing = 0;
		free(key);
		free(url);
		free(id);
	}
	if (r->nmembers)
		qsort(r->members, r->nmembers, sizeof *r->members, cmp_member);
	return rc;
}

/* ---- users ------------------------------------------------------------------ */

static int id_cmp(const void *id, const void *m)
{
	return strcmp(id, ((const member *)m)->id);
}

static const member *first_member(const m365_run *r, const char *id)
{
	size_t i = dg_lower_bound(r->members, r->nmembers, sizeof *r->members, id, id_cmp);
	return i < r->nmembers && !strcmp(r->members[i].id, id) ? &r->members[i] : NULL;
}

/* transitiveMembers lists members at any depth without the groups
 * between: say so rather than invent a chain.  One string per group in the
 * users' arena, shared by its members (the arena owns it, the lists only
 * point at it). */
static void push_path(m365_run *r, dg_dir_user *u, dg_arena *a, size_t group)
{
	if (!r->group_paths)
		r->group_paths = dg_xcalloc(r->group_names.nr, sizeof(*r->group_paths));
	if (!r->group_paths[group]) {
		char *path = dg_xasprintf("%s (directly or through nested groups; Graph's "
					  "transitiveMembers reports no path)",
					  r->group_names.items[group]);
		r->group_paths[group] = dg_arena_strdup(a, path);
		free(path);
	}
	if (!u->group_paths.alloc) {
		u->group_paths.items = dg_xmalloc(sizeof(*u->group_paths.items));
		u->group_paths.alloc = 1;
	}
	dg_strlist_push_owned(&u->group_paths, r->group_paths[group]);
}

static void apply_groups(m365_run *r, dg_dir_user *u, dg_arena *a)
{
	const member *m;
	if (!r->groups_selected)
		return;
	m = first_member(r, u->entry);
	u->in_groups = m != NULL;
	if (!m)
		return;  /* r->members may be NULL (no group found): no pointer to offset */
	for (size_t i = (size_t)(m - r->members), last = (size_t)-1;
	     i < r->nmembers && !strcmp(r->members[i].id, u->entry); i++) {
		const char *name = r->group_names.items[r->members[i].group];
		if (r->members[i].group != last) {
			dg_strlist_push_arena(&u->groups, a, name, strlen(name));
			push_path(r, u, a, r->members[i].group);
		}
		last = r->members[i].group;
	}
}

/* With "licensed Exchange users only", users whose only Exchange plan is
 * in its grace period (capabilityStatus Warning) are skipped like
 * unlicensed ones, as the rule reads; MailStore does not document what it
 * does with them, so the administrator hears who they are. */
static void grace_finding(m365_run *r)
{
	dg_strbuf names = DG_STRBUF_INIT;
	dg_finding *fd;

	if (!r->grace || dg_m365_opts(r->p)->exchange_users_only != 1)
		return;
	for (size_t i = 0; i < r->grace_names.nr; i++)
		dg_strbuf_addf(&names, "%s%s", i ? ", " : "", r->grace_names.items[i]);
	fd = dg_findings_add(r->out, DGF_M365027, "/directory/filters/exchangeUsersOnly",
			     "%zu user%s hold%s an Exchange Online licence only in its grace period "
			     "(capabilityStatus Warning) and %s skipped as unlicensed: %s%s", r->grace,
			     r->grace == 1 ? "" : "s", r->grace == 1 ? "s" : "", r->grace == 1 ? "is" : "are",
			     names.buf, r->grace > r->grace_names.nr ? ", ..." : "");
	dg_finding_hint(fd, "renew or reassign their licences (Microsoft 365 admin center > "
			"Billing > Your products); if MailStore keeps such users, its sync will "
			"show them although this preview does not");
	dg_strbuf_release(&names);
}

/* ---- verified domains ------------------------------------------------------ */

/* The names in {"value": [{"verifiedDomains": [{"name": ...}, ...]}]}
 * into the result, lower case; -1 when the page has no such list. */
static int read_domains(m365_run *r, const dg_strbuf *text)
{
	dg_graph_page pg;
	char buf[256];
	const cJSON *org, *list, *d;
	int rc = -1;
	if (dg_graph_parse_page(text->buf, text->len, &pg, buf, sizeof buf) < 0)
		return -1;
	org = cJSON_GetArrayItem(pg.value, 0);
	list = cJSON_GetObjectItemCaseSensitive(org, "verifiedDomains");
	if (cJSON_IsArray(list)) {
		rc = 0;
		cJSON_ArrayForEach(d, list) {
			const char *name = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(d, "name"));
			if (name && !dg_strlist_contains_ci(&r->res->verified_domains, name))
				dg_strlist_push_owned(&r->res->verified_domains,
						      dg_mapping_lower(name));
		}
	}
	dg_graph_page_free(&pg);
	return rc;
}

/* Not knowing the verified domains costs one data-quality rule, not the
 * preview: a warning says which rule did not run and why. */
static void domains_unknown(m365_run *r, const char *why, const char *hint)
{
	dg_finding *fd = dg_findings_add(r->out, DGF_M365040, "/directory",
					 "the tenant's verified domains are not known (%s): e-mail "
					 "addresses were not checked against them (MAP022)", why);
	dg_finding_hint(fd, "%s", hint);
}

/* GET /organization's verifiedDomains (live; recorded in a snapshot being
 * written), or the recorded page (snapshot). */
static dg_code load_domains(m365_run *r)
{
	dg_http_response res = DG_HTTP_RESPONSE_INIT;
	const dg_strbuf *text = r->snap ? &r->line : &res.body;
	char *url = url_of(r, "/v1.0/organization", NULL, "?$select=verifiedDomains");
	dg_code rc = DG_OK;
	char why[64];

	note_query(r, url);
	if (r->snap && !find_line(r, "organization", 0)) {
		domains_unknown(r, "the snapshot does not record them",
				"write the snapshot again with this version of dirgate");
	} else if ((rc = r->snap ? snap_text(r, "organization", 0)
				 : dg_pager_get(&r->pager, url, "organization", DG_PAGER_ANY_STATUS,
						NULL, &res, r->err)) != DG_OK) {
		/* the connection itself failed: as for every other request */
	} else if (!r->snap && res.status != 200) {
		snprintf(why, sizeof why, "Graph answered %ld to GET /v1.0/organization",
			 res.status);
		domains_unknown(r, why, "grant the app the Microsoft Graph application permission "
				"Organization.Read.All (or Directory.Read.All) with admin consent");
		hint_repeat(&r->out->items[r->out->nr - 1], r, url);
	} else if (read_domains(r, text) < 0) {
		domains_unknown(r, "the answer holds no verifiedDomains list",
				r->snap ? "write the snapshot again" : "retry; check proxies between "
				"this machine and Graph");
	} else {
		r->res->verified_domains_known = 1;
		rec_page(r, "organization", text);
	}
	free(url);
	dg_http_response_release(&res);
	return rc;
}

static dg_code load_users(m365_run *r)
{
	char *url = url_of(r, "/v1.0/users", NULL, r->probe ? "?$select=id&$top=1"
		: "?$select=" DG_GRAPH_USER_SELECT "&$top=999");
	dg_code rc = walk(r, "users", url, NULL, NULL);
	free(url);
	if (rc == DG_OK && !r->probe)
		grace_finding(r);
	return rc;
}

/* ---- setup ------------------------------------------------------------------ */

static dg_code live_open(m365_run *r)
{
	dg_http_opts o;
	dg_code rc;

	static const char *const headers[] = { "Accept: application/json", NULL };

	if (!(r->graph = dg_graph_origin(r->p, r->err)))
		return r->err->code;
	dg_entra_http_opts(r->p, &o);
	r->http = dg_http_new(&o);
	if (!r->http)
		return dg_error_set(r->err, DG_E_INTERNAL, "cannot set up the HTTP client");
	r->pager.http = r->http;
	r->pager.token = &r->entra.token;
	r->pager.origin = r->graph;
	r->pager.headers = headers;
	rc = dg_entra_client_init(&r->entra, r->p, r->http, r->out, r->err);
	r->have_client = 1;  /* released even when half set up */
	return rc;
}

#define LINE_PREFIX "{\"stream\": "
#define PAGE_PREFIX ", \"page\": "

/* Indexes one page line as rec_page writes it: the stream key, and where
 * the page object starts and ends.  Returns 0, or -1 for another shape. */
static int index_line(m365_run *r, const char *line, size_t len, long offset)
{
	size_t pre = strlen(LINE_PREFIX);
	const char *end = NULL;
	cJSON *key;
	int ok;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len < pre + 2 || memcmp(line, LINE_PREFIX, pre) || line[len - 1] != '}')
		return -1;
	key = cJSON_ParseWithLengthOpts(line + pre, len - pre, &end, 0);
	ok = cJSON_IsString(key) && end && (size_t)(line + len - end) > strlen(PAGE_PREFIX) &&
	     !memcmp(end, PAGE_PREFIX, strlen(PAGE_PREFIX));
	if (ok) {
		snap_line *l;
		DG_ALLOC_GROW(r->lines, r->nlines + 1, r->lines_alloc);
		l = &r->lines[r->nlines++];
		l->key = dg_xstrdup(key->valuestring);
		l->offset = offset + (long)(end + strlen(PAGE_PREFIX) - line);
		l->len = (size_t)(line + len - 1 - (end + strlen(PAGE_PREFIX)));
	}
	cJSON_Delete(key);
	return ok ? 0 : -1;
}

static int header_ok(const char *line, size_t len)
{
	cJSON *h = cJSON_ParseWithLength(line, len);
	const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(h, "format"));
	int ok = fmt && !strcmp(fmt, DG_M365_SNAPSHOT_FORMAT);
	cJSON_Delete(h);
	return ok;
}

static dg_code snap_bad(m365_run *r, const char *what, size_t lineno)
{
	dg_finding *fd = dg_findings_add(r->out, DGF_M365025, "/directory/snapshot",
					 "%s is not a Microsoft Graph snapshot written by dirgate: %s",
					 r->p->directory.snapshot, what);
	if (lineno)
		dg_finding_locate(fd, r->p->directory.snapshot, (int)lineno, 1);
	dg_finding_hint(fd, "write one with 'dirgate snapshot PROFILE --output FILE'");
	return fail(r, fd);
}

/* Reads the header and indexes the page lines; pages are parsed one at a
 * time when the walk asks for them, so a large snapshot is never held as
 * one JSON tree. */
static dg_code snap_open(m365_run *r)
{
	dg_strbuf line = DG_STRBUF_INIT;
	dg_snapline in;
	size_t lineno = 0;
	long offset = 0;
	ssize_t n;
	dg_code rc = DG_OK;

	if (!(r->snap = fopen(r->p->directory.snapshot, "rb")))
		return dg_error_set(r->err, DG_E_IO, "cannot read snapshot %s: %s",
				    r->p->directory.snapshot, strerror(errno));
	dg_snapline_init(&in, r->snap);
	while (rc == DG_OK && (n = dg_snapline_read(&in, &line, DG_SNAPLINE_MAX)) > 0) {
		lineno++;
		if (lineno == 1 && !header_ok(line.buf, (size_t)n))
			rc = snap_bad(r, "the first line is not {\"format\": \""
				      DG_M365_SNAPSHOT_FORMAT "\", ...}", 1);
		else if (lineno > 1 && strspn(line.buf, " \t\r\n") != (size_t)n &&
			 index_line(r, line.buf, (size_t)n, offset) < 0)
			rc = snap_bad(r, "a line is not {\"stream\": ..., \"page\": {...}}", lineno);
		offset += n;
	}
	if (rc == DG_OK && n == -2)
		rc = snap_bad(r, "a line is longer than " DG_SNAPLINE_MAX_TEXT ", larger than any "
			      "page dirgate writes", lineno + 1);
	else if (rc == DG_OK && n == -1)
		rc = dg_error_set(r->err, DG_E_IO, "cannot read snapshot %s: %s",
				  r->p->directory.snapshot, strerror(errno));
	dg_strbuf_release(&line);
	if (rc == DG_OK && !lineno)
		rc = snap_bad(r, "the file is empty", 0);
	return rc;
}

static void run_release(m365_run *r)
{
	dg_page_stream_stop(r->stream);
	if (r->have_client)
		dg_entra_client_release(&r->entra);
	dg_http_free(r->http);
	free(r->graph);
	if (r->snap)
		fclose(r->snap);
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i].key);
	free(r->lines);
	dg_strbuf_release(&r->line);
	dg_strbuf_release(&r->label);
	free(r->members);
	dg_arena_free(r->arena);
	dg_strlist_clear(&r->group_names);
	free(r->group_paths);
	dg_strlist_clear(&r->grace_names);
}

static dg_code run_fetch(m365_run *r, dg_fetch_result *res, int snapshot)
{
	dg_code rc;

	r->pager = (dg_pager){ .hooks = &graph_hooks, .ctx = r };
	r->res = res;
	r->progress = res->progress && res->progress->fn ? res->progress : NULL;
	r->arena = dg_arena_new();
	res->users.arena = dg_arena_new();
	rc = snapshot ? snap_open(r) : live_open(r);
	if (rc == DG_OK && !snapshot && !r->rec)  /* writing a snapshot needs whole pages */
		r->stream = dg_page_stream_start(&users_reader, r, &res->users);
	if (r->stream && res->settled)
		dg_page_stream_handoff(r->stream, res->settled, res->settled_ctx);
	if (rc == DG_OK)
		rc = load_groups(r);
	if (rc == DG_OK)
		rc = load_domains(r);
	if (rc == DG_OK)
		rc = load_users(r);
	if (rc == DG_OK)
		res->source_detail = snapshot ? dg_xstrdup(r->p->directory.snapshot)
			: dg_xasprintf("%s/v1.0 (tenant %s)", r->graph, dg_m365_opts(r->p)->tenant_id);
	return rc;
}

/* The last word to the progress watcher, after run_release: the page
 * reader's thread, which reported until then, has ended. */
static void progress_done(const dg_fetch_result *out)
{
	if (out->progress && out->progress->fn)
		out->progress->fn(out->progress->ctx, out->entries_read, 1);
}

static dg_code fetch_live(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	m365_run r = { .p = p, .out = &out->findings, .err = err };
	dg_code rc = run_fetch(&r, out, 0);
	run_release(&r);
	progress_done(out);
	return rc;
}

static dg_code fetch_snapshot(const dg_profile *p, dg_fetch_result *out, dg_error *err)
{
	m365_run r = { .p = p, .out = &out->findings, .err = err };
	dg_code rc = run_fetch(&r, out, 1);
	run_release(&r);
	progress_done(out);
	return rc;
}

const dg_connector dg_connector_m365_live = { "microsoft-graph", fetch_live };
const dg_connector dg_connector_m365_snapshot = { "microsoft-graph-snapshot", fetch_snapshot };

dg_code dg_m365_snapshot(const dg_profile *p, FILE *fp, const dg_progress *progress,
			 size_t *users, dg_findings *out, dg_error *err)
{
	dg_fetch_result res = { .progress = progress };
	dg_strbuf rec = DG_STRBUF_INIT;
	m365_run r = { .p = p, .out = out, .err = err, .rec = &rec };
	dg_code rc;

	dg_strbuf_adds(&rec, "{\"format\": \"" DG_M365_SNAPSHOT_FORMAT "\", \"version\": 1, "
		       "\"tenantId\": ");
	dg_strbuf_add_json_str(&rec, dg_m365_opts(p)->tenant_id ? dg_m365_opts(p)->tenant_id : "");
	dg_strbuf_adds(&rec, "}\n");
	rc = run_fetch(&r, &res, 0);
	*users = res.users.nr;
	if (rc == DG_OK && fwrite(rec.buf, 1, rec.len, fp) != rec.len)
		rc = dg_error_set(err, DG_E_IO, "cannot write the snapshot");
	dg_findings_move(out, &res.findings);
	dg_strbuf_release(&rec);
	run_release(&r);
	progress_done(&res);
	dg_fetch_result_release(&res);
	return rc;
}

int dg_m365_probe(const dg_profile *p, dg_findings *out)
{
	dg_fetch_result res = { 0 };
	dg_error err = { 0 };
	m365_run r = { .p = p, .out = out, .err = &err, .probe = 1 };
	dg_code rc;

	r.pager = (dg_pager){ .hooks = &graph_hooks, .ctx = &r };
	r.res = &res;
	r.arena = dg_arena_new();
	res.users.arena = dg_arena_new();
	rc = live_open(&r);
	if (rc == DG_OK && (rc = renew_token(&r, &err)) == DG_OK)
		dg_findings_add(out, DGF_M365014, "/directory/certificate",
				"Entra ID issued a Graph token to app %s for the certificate with "
				"SHA-1 thumbprint %s (valid %ld minutes)", dg_m365_opts(p)->client_id,
				r.entra.prints.sha1_hex,
				(long)(r.entra.token.expires_at - time(NULL) + 30) / 60);
	if (rc == DG_OK && (rc = load_users(&r)) == DG_OK) {
		char *url = url_of(&r, "/v1.0/users", NULL, "?$select=id&$top=1");
		hint_repeat(dg_findings_add(out, DGF_M365016, "/directory",
					    "Microsoft Graph answered GET %s/v1.0/users", r.graph),
			    &r, url);
		free(url);
	}
	if (rc == DG_OK)
		rc = load_groups(&r);
	dg_findings_move(out, &res.findings);
	dg_fetch_result_release(&res);
	run_release(&r);
	return rc == DG_OK ? 0 : -1;
}
