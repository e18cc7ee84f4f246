/* The fleet report: JSON (schemas/onboard-report.schema.json), the merge of
 * shard reports, and the HTML page of the same. */
#include "run.h"

#include "../core/jsonexact.h"
#include "../core/output.h"
#include "../mailstore/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_VERSION 1

static void add_count(cJSON *o, const char *key, long v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

static void add_opt_str(cJSON *o, const char *key, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *findings_json(const dg_findings *f)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	cJSON *j;

	dg_output_findings_json_array(&sb, f);
	j = dg_json_parse_exact(sb.buf, sb.len, NULL);
	dg_strbuf_release(&sb);
	return j ? j : cJSON_CreateArray();
}

static cJSON *tenant_json(const dg_fleet *f, const dg_tenant_run *r)
{
	cJSON *t = cJSON_CreateObject(), *u = cJSON_CreateObject(), *a = cJSON_CreateObject();
	cJSON *manual = cJSON_CreateArray();
	int ok = r->status == DG_TS_DONE || r->status == DG_TS_RESUMED;

	cJSON_AddStringToObject(t, "id", r->tenant->id);
	cJSON_AddNumberToObject(t, "index", (double)r->tenant->index);
	cJSON_AddStringToObject(t, "status", dg_tenant_status_name(r->status));
	cJSON_AddBoolToObject(t, "reachedGoal", ok);
	cJSON_AddStringToObject(t, "goal", dg_step_name(f->goal));
	cJSON_AddStringToObject(t, "step", dg_step_name(r->reached));
	add_opt_str(t, "failedStep", r->failed_step ? dg_step_name(r->failed_step) : NULL);
	cJSON_AddNumberToObject(t, "seconds", (double)(long)(r->seconds * 1000) / 1000.0);
	add_count(u, "directory", r->directory_users);
	for (int i = 0; i < DG_ACT_COUNT; i++)
		add_count(u, dg_action_name((dg_action)i), r->counts[i]);
	add_count(u, "serverAfter", r->server_users_after);
	cJSON_AddItemToObject(t, "users", u);
	cJSON_AddItemToObject(t, "findings", findings_json(&r->findings));
	for (size_t i = 0; i < r->manual_steps.nr; i++)
		cJSON_AddItemToArray(manual, cJSON_CreateString(r->manual_steps.items[i]));
	cJSON_AddItemToObject(t, "manualSteps", manual);
	add_opt_str(a, "dir", r->dir);
	add_opt_str(a, "profile", r->profile);
	add_opt_str(a, "preview", r->preview);
	add_opt_str(a, "plan", r->plan);
	add_opt_str(a, "backup", r->backup);
	add_opt_str(a, "syncLog", r->sync_log);
	add_opt_str(a, "certificate", r->cert_dir);
	cJSON_AddItemToObject(t, "artifacts", a);
	return t;
}

/* The fleet summary, from the tenants' entries (so a merge computes it the
 * same way). */
static void add_summary(cJSON *report)
{
	static const char *const statuses[] = { "done", "resumed", "failed", "interrupted",
						"pending" };
	cJSON *s = cJSON_CreateObject(), *t;
	long n[5] = { 0 }, users = 0, manual = 0, total = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tenants")) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(t, "status");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(t, "users"), "directory");
		total++;
		for (int i = 0; i < 5; i++)
			if (cJSON_IsString(st) && !strcmp(st->valuestring, statuses[i]))
				n[i]++;
		if (cJSON_IsNumber(d))
			users += (long)d->valuedouble;
		manual += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "manualSteps"));
	}
	cJSON_AddNumberToObject(s, "tenants", (double)total);
	for (int i = 0; i < 5; i++)
		cJSON_AddNumberToObject(s, statuses[i], (double)n[i]);
	cJSON_AddNumberToObject(s, "directoryUsers", (double)users);
	cJSON_AddNumberToObject(s, "manualSteps", (double)manual);
	cJSON_DeleteItemFromObjectCaseSensitive(report, "summary");
	cJSON_AddItemToObject(report, "summary", s);
}

cJSON *dg_fleet_report(const dg_fleet *f)
{
	cJSON *rep = cJSON_CreateObject(), *tenants = cJSON_CreateArray();
	char shard[32];

	cJSON_AddNumberToObject(rep, "dirgateOnboardReport", REPORT_VERSION);
	cJSON_AddStringToObject(rep, "manifest", f->m->file);
	if (f->o->shard_n) {
		snprintf(shard, sizeof(shard), "%d/%d", f->o->shard_k, f->o->shard_n);
		cJSON_AddStringToObject(rep, "shard", shard);
	} else {
		cJSON_AddNullToObject(rep, "shard");
	}
	cJSON_AddBoolToObject(rep, "yes", f->o->yes);
	cJSON_AddStringToObject(rep, "goal", dg_step_name(f->goal));
	cJSON_AddStringToObject(rep, "started", f->started_at);
	for (size_t i = 0; i < f->nr; i++)
		cJSON_AddItemToArray(tenants, tenant_json(f, &f->runs[i]));
	cJSON_AddItemToObject(rep, "tenants", tenants);
	add_summary(rep);
	return rep;
}

int dg_fleet_report_ok(const cJSON *report)
{
	const cJSON *t;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tenants"))
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "reachedGoal")))
			return 0;
	return 1;
}

static double index_of(const cJSON *t)
{
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(t, "index");

	return cJSON_IsNumber(i) ? i->valuedouble : 1e18;
}

static int by_index(const void *a, const void *b)
{
	double x = index_of(*(const cJSON *const *)a), y = index_of(*(const cJSON *const *)b);

	return x < y ? -1 : x > y;
}

static dg_code merge_check(const cJSON *r, const cJSON *first, size_t i, dg_error *err)
{
	const char *keys[] = { "manifest", "goal" };

	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "dirgateOnboardReport")) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r, "tenants")))
		return dg_error_set(err, DG_E_INVALID, "report %zu is not a dirgate onboard "
				    "report", i + 1);
	for (size_t k = 0; k < 2; k++)
		if (!cJSON_Compare(cJSON_GetObjectItemCaseSensitive(r, keys[k]),
				   cJSON_GetObjectItemCaseSensitive(first, keys[k]), 1))
			return dg_error_set(err, DG_E_INVALID, "report %zu has another %s than "
					    "report 1: only shards of one run can be merged",
					    i + 1, keys[k]);
	return DG_OK;
}

cJSON *dg_fleet_report_merge(cJSON *const *reports, size_t n, dg_error *err)
{
	cJSON *out, *tenants, **all = NULL, *t;
	size_t nr = 0, alloc = 0;

	for (size_t i = 0; i < n; i++) {
		if (merge_check(reports[i], reports[0], i, err))
			goto fail;
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(reports[i], "tenants")) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
			for (size_t j = 0; j < nr; j++)
				if (cJSON_Compare(id, cJSON_GetObjectItemCaseSensitive(all[j], "id"), 1)) {
					dg_error_set(err, DG_E_INVALID, "tenant %s is in two reports: "
						     "were the shards given the same K/N?",
						     cJSON_IsString(id) ? id->valuestring : "?");
					goto fail;
				}
			DG_ALLOC_GROW(all, nr + 1, alloc);
			all[nr++] = t;
		}
	}
	qsort(all, nr, sizeof(*all), by_index);
	out = cJSON_Duplicate(reports[0], 0);
	cJSON_ArrayForEach(t, reports[0])
		if (strcmp(t->string, "tenants") && strcmp(t->string, "summary"))
			cJSON_AddItemToObject(out, t->string, cJSON_Duplicate(t, 1));
	cJSON_DeleteItemFromObjectCaseSensitive(out, "shard");
	cJSON_AddNullToObject(out, "shard");
	tenants = cJSON_CreateArray();
	for (size_t i = 0; i < nr; i++)
		cJSON_AddItemToArray(tenants, cJSON_Duplicate(all[i], 1));
	cJSON_AddItemToObject(out, "tenants", tenants);
	add_summary(out);
	free(all);
	return out;
fail:
	free(all);
	return NULL;
}

/* ---- HTML ---- */

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void html_cell_num(dg_strbuf *out, const cJSON *users, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(users, key);

	if (cJSON_IsNumber(v))
		dg_strbuf_addf(out, "<td data-v=\"%ld\">%ld</td>", (long)v->valuedouble,
			       (long)v->valuedouble);
	else
		dg_strbuf_adds(out, "<td data-v=\"-1\">&ndash;</td>");
}

static void html_details(dg_strbuf *out, const cJSON *t)
{
	const cJSON *fd, *m;

	dg_strbuf_adds(out, "<td><details><summary>");
	dg_strbuf_addf(out, "%d finding(s), %d manual step(s)</summary><ul>",
		       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "findings")),
		       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(t, "manualSteps")));
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(t, "manualSteps")) {
		dg_strbuf_adds(out, "<li class=\"manual\">manual step: ");
		dg_output_html_text(out, cJSON_IsString(m) ? m->valuestring : "");
		dg_strbuf_adds(out, "</li>");
	}
	cJSON_ArrayForEach(fd, cJSON_GetObjectItemCaseSensitive(t, "findings")) {
		dg_strbuf_addf(out, "<li class=\"%s\"><code>", str_of(fd, "severity"));
		dg_output_html_text(out, str_of(fd, "code"));
		dg_strbuf_adds(out, "</code> ");
		dg_output_html_text(out, str_of(fd, "message"));
		if (*str_of(fd, "hint")) {
			dg_strbuf_adds(out, " <em>");
			dg_output_html_text(out, str_of(fd, "hint"));
			dg_strbuf_adds(out, "</em>");
		}
		dg_strbuf_adds(out, "</li>");
	}
	dg_strbuf_adds(out, "</ul></details></td>");
}

static void html_row(dg_strbuf *out, const cJSON *t)
{
	const cJSON *users = cJSON_GetObjectItemCaseSensitive(t, "users");
	int ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "reachedGoal"));

	dg_strbuf_addf(out, "<tr class=\"%s\"><td>", ok ? "ok" : "bad");
	dg_output_html_text(out, str_of(t, "id"));
	dg_strbuf_addf(out, "</td><td data-v=\"%d\">", ok);
	dg_output_html_text(out, str_of(t, "status"));
	dg_strbuf_adds(out, "</td><td>");
	dg_output_html_text(out, str_of(t, "step"));
	dg_strbuf_adds(out, "</td><td>");
	dg_output_html_text(out, str_of(t, "failedStep"));
	dg_strbuf_adds(out, "</td>");
	html_cell_num(out, users, "directory");
	html_cell_num(out, users, "create");
	html_cell_num(out, users, "delete");
	html_cell_num(out, users, "serverAfter");
	html_details(out, t);
	dg_strbuf_adds(out, "</tr>\n");
}

/* Failures first, then by manifest position: what needs a person on top. */
static int failures_first(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int ox = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "reachedGoal"));
	int oy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(y, "reachedGoal"));

	return ox != oy ? ox - oy : by_index(a, b);
}

static const char html_script[] =
	"<script>\n"
	"document.querySelectorAll('th').forEach(function (th, col) {\n"
	"  th.addEventListener('click', function () {\n"
	"    var body = document.querySelector('tbody');\n"
	"    var rows = Array.prototype.slice.call(body.rows);\n"
	"    var dir = th.dataset.dir === 'asc' ? -1 : 1;\n"
	"    th.dataset.dir = dir > 0 ? 'asc' : 'desc';\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = a.cells[col], y = b.cells[col];\n"
	"      var vx = x.dataset.v !== undefined ? +x.dataset.v : x.textContent;\n"
	"      var vy = y.dataset.v !== undefined ? +y.dataset.v : y.textContent;\n"
	"      return (vx < vy ? -1 : vx > vy ? 1 : 0) * dir;\n"
	"    });\n"
	"    rows.forEach(function (r) { body.appendChild(r); });\n"
	"  });\n"
	"});\n"
	"/* report.html#sort=COLUMN or #sort=COLUMN-desc: a link to a sorted view */\n"
	"var m = /^#sort=(\\d+)(-desc)?$/.exec(location.hash);\n"
	"var th = m && document.querySelectorAll('th')[+m[1]];\n"
	"if (th) { th.click(); if (m[2]) th.click(); }\n"
	"</script>\n";

void dg_fleet_report_html(dg_strbuf *out, const cJSON *report)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(report, "summary"), *t;
	const cJSON **rows = NULL;
	size_t nr = 0, alloc = 0;

	dg_strbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		       "<title>dirgate onboard report</title><style>"
		       "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
		       "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}"
		       "th{cursor:pointer;background:#eee}tr.bad{background:#fdd}"
		       "li.error{color:#a00}li.warning{color:#850}</style></head><body>\n"
		       "<h1>dirgate onboard: ");
	dg_output_html_text(out, str_of(report, "manifest"));
	dg_strbuf_adds(out, "</h1>\n<p id=\"summary\">");
	cJSON_ArrayForEach(t, s)
		dg_strbuf_addf(out, "%s%s: %ld", t->prev ? ", " : "", t->string,
			       (long)t->valuedouble);
	dg_strbuf_adds(out, "</p>\n<table id=\"tenants\"><thead><tr><th>tenant</th><th>status"
		       "</th><th>step</th><th>failed at</th><th>directory users</th>"
		       "<th>create</th><th>delete</th><th>users after</th><th>findings and "
		       "manual steps</th></tr></thead><tbody>\n");
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(report, "tenants")) {
		DG_ALLOC_GROW(rows, nr + 1, alloc);
		rows[nr++] = t;
	}
	if (nr)
		qsort(rows, nr, sizeof(*rows), failures_first);
	for (size_t i = 0; i < nr; i++)
		html_row(out, rows[i]);
	free(rows);
	dg_strbuf_adds(out, "</tbody></table>\n");
	dg_strbuf_adds(out, html_script);
	dg_strbuf_adds(out, "</body></html>\n");
}
