/* The cut-over report: see cutover.h; every rule is explained, with its
 * source, in docs/cutover.md. */
#include "cutover.h"

#include "../connectors/connector.h"
#include "../core/jsonexact.h"
#include "../core/output.h"
#include "../core/provider.h"
#include "../core/readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAMES_SHOWN 10   /* names a summary finding lists before "..." */

const char *dg_verdict_name(dg_verdict v)
{
	static const char *const names[] = { "keeps-login", "renamed", "loses-login",
					     "mailstore-local", "admin", "new" };
	return v < DG_CUT_COUNT ? names[v] : "?";
}

/* ---- the facts a verdict is reasoned from -------------------------------------- */

/* How the profile's directory names users, for the report. */
static const char *name_format(const dg_profile *p)
{
	const dg_provider *dir = dg_provider_of(p);
	return dir && dir->user_name_source ? dir->user_name_source(p) : "?";
}

/* OpenID Connect: users log in with a token, and no longer over IMAP. */
static int is_oidc(const dg_profile *p)
{
	const dg_provider_login *l = dg_provider_login_find(dg_profile_method(p),
							    NULL);
	return l && l->oidc;
}

/* Why the profile's login method cannot log `name` in, or NULL when it
 * can.  The reason is static text or formatted into *buf (the caller
 * frees it). */
static const char *method_refuses(const dg_profile *p, const char *name, const dg_cut_opts *o,
				  char **buf)
{
	const dg_provider *login = dg_provider_of_login(p);

	if (!p->auth.method)
		return "the profile sets no /authentication/method, so nothing says how "
		       "directory users log in";
	if (!login || !login->login_refuses)
		return NULL;
	return login->login_refuses(p, name, o->claim_rule, buf);
}

static int listed(const dg_strlist *l, const char *s)
{
	return dg_strlist_contains_ci(l, s);
}

/* The built-in admin, anyone with the admin privilege, and API users. */
static int is_admin(const dg_srv_user *u)
{
	return !strcasecmp(u->user_name, "admin") || listed(&u->privileges, "admin") ||
	       listed(&u->login_privileges, "api");
}

/* IMAP is the only login the user has, and OpenID Connect ends it. */
static int only_imap(const dg_srv_user *u)
{
	size_t other = 0;

	if (!u->login_listed || !listed(&u->login_privileges, "imap"))
		return 0;
	for (size_t i = 0; i < u->login_privileges.nr; i++)
		other += strcasecmp(u->login_privileges.items[i], "imap") &&
			 strcasecmp(u->login_privileges.items[i], "none");
	return !other;
}

/* ---- verdicts ----------------------------------------------------------------------- */

static dg_cut_item *add(dg_cutover *c, dg_verdict v, const dg_srv_user *srv,
			const dg_ms_user *dir, char *reason)
{
	dg_cut_item *it;

	DG_ALLOC_GROW(c->items, c->nr + 1, c->alloc);
	it = &c->items[c->nr++];
	memset(it, 0, sizeof(*it));
	it->verdict = v;
	it->srv = srv;
	it->dir = dir;
	it->reason = reason;
	c->counts[v]++;
	return it;
}

/* The verdict for a user the directory gives under `name` (the same name,
 * or the new one of a rename): keeps, unless the method refuses it. */
static dg_verdict login_verdict(const dg_profile *p, const dg_srv_user *u, const char *name,
				const dg_cut_opts *o, char **reason)
{
	char *buf = NULL;
	const char *why = method_refuses(p, name, o, &buf);

	if (why) {
		*reason = dg_xasprintf("the directory gives '%s', but %s", name, why);
		free(buf);
		return DG_CUT_LOSES;
	}
	if (is_oidc(p) && only_imap(u)) {
		*reason = dg_xstrdup("its only login privilege is imap, and IMAP access ends "
				     "with OpenID Connect login");
		return DG_CUT_LOSES;
	}
	*reason = dg_xasprintf("the directory gives the same name '%s' and %s logs it in",
			       name, dg_profile_method(p));
	return DG_CUT_KEEPS;
}

/* The verdict for a server user from its plan item (NULL: not matched). */
static dg_verdict user_verdict(const dg_profile *p, const dg_srv_user *u,
			       const dg_plan_item *it, const dg_cut_opts *o, char **reason)
{
	char *why;
	dg_verdict v;

	if (!it || it->action == DG_ACT_DELETE) {
		*reason = dg_xasprintf("the new directory and filters do not produce '%s'%s",
				       u->user_name, it ? ", and synchronisation deletes it "
							  "(sync.deleteUsers)" : "");
		return DG_CUT_LOSES;
	}
	if (it->action != DG_ACT_RENAME)
		return login_verdict(p, u, u->user_name, o, reason);
	v = login_verdict(p, u, it->dir->user_name, o, &why);
	*reason = dg_xasprintf("matched by %s as '%s': synchronisation creates '%s' with a new, "
			       "empty archive unless '%s' is renamed first (%s=%s)%s%s",
			       it->match, it->dir->user_name, it->dir->user_name, u->user_name,
			       u->user_name, it->dir->user_name, v == DG_CUT_LOSES ? "; and " : "",
			       v == DG_CUT_LOSES ? why : "");
	free(why);
	return v == DG_CUT_LOSES ? DG_CUT_LOSES : DG_CUT_RENAMED;
}

static void admin_verdict(dg_cutover *c, const dg_profile *p, const dg_srv_user *u,
			  const dg_plan_item *it, const dg_cut_opts *o)
{
	char *reason;
	dg_cut_item *ci;
	dg_verdict v;

	if (!u->directory && it && it->action == DG_ACT_RENAME) {
		/* synchronisation creates the directory user beside it */
		add(c, DG_CUT_ADMIN, u, NULL, dg_xasprintf(
			"MailStore-integrated: logs in with its MailStore password, which the "
			"switch does not touch; the directory user '%s' (same %s) becomes a "
			"separate user - do not rename the administrator to it",
			it->dir->user_name, it->match));
		return;
	}
	if (!u->directory && (!it || it->action == DG_ACT_DELETE)) {
		add(c, DG_CUT_ADMIN, u, NULL, dg_xstrdup("MailStore-integrated: logs in with its "
							 "MailStore password, which the switch "
							 "does not touch"));
		return;
	}
	v = user_verdict(p, u, it, o, &reason);
	ci = add(c, DG_CUT_ADMIN, u, it ? it->dir : NULL, NULL);
	ci->at_risk = v != DG_CUT_KEEPS || !u->directory;
	ci->reason = u->directory || !ci->at_risk ? reason
		: dg_xasprintf("MailStore-integrated, but the directory gives a user of the same "
			       "name: synchronisation makes it a directory user, whose MailStore "
			       "password is then ignored; %s", reason);
	if (ci->reason != reason)
		free(reason);
	c->admins_at_risk += ci->at_risk;
}

/* plan item of each server user (by index), NULL when it has none */
static const dg_plan_item **items_by_user(const dg_plan *plan, const dg_srv_state *st)
{
	const dg_plan_item **by = dg_xcalloc(st->nusers ? st->nusers : 1, sizeof(*by));

	for (size_t i = 0; i < plan->nr; i++)
		if (plan->items[i].srv)
			by[plan->items[i].srv - st->users] = &plan->items[i];
	return by;
}

static void existing_users(dg_cutover *c, const dg_profile *p, const dg_plan *plan,
			   const dg_srv_state *st, const dg_cut_opts *o)
{
	const dg_plan_item **by = items_by_user(plan, st);

	for (size_t i = 0; i < st->nusers; i++) {
		const dg_srv_user *u = &st->users[i];
		const dg_plan_item *it = by[i];
		char *reason;
		dg_verdict v;
		if (is_admin(u)) {
			admin_verdict(c, p, u, it, o);
			continue;
		}
		if (!u->directory && (!it || it->action == DG_ACT_DELETE)) {
			add(c, DG_CUT_LOCAL, u, NULL, dg_xstrdup("MailStore-integrated "
				"authentication: logs in with its MailStore password, untouched"));
			continue;
		}
		v = user_verdict(p, u, it, o, &reason);
		if (!u->directory && it->action != DG_ACT_RENAME) {
			/* its MailStore password stops counting */
			char *taken = dg_xasprintf("MailStore-integrated today, but synchronisation "
						   "makes it a directory user: %s", reason);
			free(reason);
			reason = taken;
		}
		add(c, v, u, it ? it->dir : NULL, reason);
	}
	free(by);
}

static void new_users(dg_cutover *c, const dg_profile *p, const dg_plan *plan,
		      const dg_cut_opts *o)
{
	for (size_t i = 0; i < plan->nr; i++) {
		const dg_plan_item *it = &plan->items[i];
		char *buf = NULL;
		const char *why;
		if (it->action != DG_ACT_CREATE)
			continue;
		why = method_refuses(p, it->dir->user_name, o, &buf);
		add(c, DG_CUT_NEW, NULL, it->dir,
		    why ? dg_xasprintf("a new MailStore user; but %s", why)
			: dg_xstrdup("a new MailStore user with a new, empty archive"));
		free(buf);
	}
}

/* ---- findings ----------------------------------------------------------------------- */

/* "a, b, c" of the users with verdict v (DG_CUT_COUNT: any) that `pick`
 * accepts (NULL: all), at most NAMES_SHOWN of them. */
static char *names_of(const dg_cutover *c, dg_verdict v, int (*pick)(const dg_cut_item *))
{
	dg_strbuf sb = DG_STRBUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < c->nr; i++) {
		const dg_cut_item *it = &c->items[i];
		if ((v != DG_CUT_COUNT && it->verdict != v) || (pick && !pick(it)))
			continue;
		if (n++ < NAMES_SHOWN)
			dg_strbuf_addf(&sb, "%s'%s'", n > 1 ? ", " : "",
				       it->srv ? it->srv->user_name : it->dir->user_name);
	}
	if (n > NAMES_SHOWN)
		dg_strbuf_addf(&sb, " and %zu more", n - NAMES_SHOWN);
	return dg_strbuf_detach(&sb);
}

static void lockout_findings(dg_cutover *c, const dg_profile *p)
{
	for (size_t i = 0; i < c->nr; i++) {
		const dg_cut_item *it = &c->items[i];
		dg_finding *fd;
		if (!it->at_risk)
			continue;
		fd = dg_findings_add(&c->findings, DGF_AUTH008, "/authentication",
				     "the switch locks out MailStore administrator or API user "
				     "'%s'%s: %s", it->srv->user_name,
				     p->target.user && !strcasecmp(p->target.user, it->srv->user_name)
					     ? " (the profile's own /target/user)" : "",
				     it->reason);
		dg_finding_hint(fd, "keep an administrator with MailStore-integrated "
				"authentication (SetUserAuthentication integrated), or make sure "
				"the directory gives this user and the new method logs it in, "
				"before switching");
	}
}

/* Still logs in after the switch, but has IMAP access to lose. */
static int keeps_imap(const dg_cut_item *it)
{
	return (it->verdict == DG_CUT_KEEPS || it->verdict == DG_CUT_RENAMED ||
		(it->verdict == DG_CUT_ADMIN && !it->at_risk && it->srv->directory)) &&
	       listed(&it->srv->login_privileges, "imap");
}

static size_t count_imap(const dg_cutover *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr; i++)
		n += c->items[i].srv && keeps_imap(&c->items[i]);
	return n;
}

static void summary_findings(dg_cutover *c, const dg_profile *p)
{
	dg_finding *fd;
	char *names;

	if (!p->auth.method)
		dg_finding_hint(dg_findings_add(&c->findings, DGF_AUTH014,
						"/authentication/method", "the profile sets no "
						"login method, so no directory user can be said "
						"to keep their login"),
				"set /authentication/method to the method the switch is to");
	if (c->counts[DG_CUT_LOSES]) {
		names = names_of(c, DG_CUT_LOSES, NULL);
		fd = dg_findings_add(&c->findings, DGF_AUTH009, "/directory",
				     "%zu existing MailStore user%s lose%s their login with this "
				     "switch: %s", c->counts[DG_CUT_LOSES],
				     c->counts[DG_CUT_LOSES] == 1 ? "" : "s",
				     c->counts[DG_CUT_LOSES] == 1 ? "s" : "", names);
		dg_finding_hint(fd, "each user's reason is in the report; change the filters, "
				"groups or user-name format, or the login method, until they are "
				"produced and logged in - or accept the loss knowingly");
		free(names);
	}
	if (c->counts[DG_CUT_RENAMED]) {
		names = names_of(c, DG_CUT_RENAMED, NULL);
		fd = dg_findings_add(&c->findings, DGF_AUTH010, "/directory",
				     "%zu existing MailStore user%s get%s another name: %s",
				     c->counts[DG_CUT_RENAMED], c->counts[DG_CUT_RENAMED] == 1 ? "" : "s",
				     c->counts[DG_CUT_RENAMED] == 1 ? "s" : "", names);
		dg_finding_hint(fd, "rename them before the first synchronisation so they keep "
				"their archives: 'dirgate cutover PROFILE --renames FILE', then "
				"'dirgate migrate FILE'");
		free(names);
	}
}

static void caveat_findings(dg_cutover *c, const dg_profile *p)
{
	size_t imap = count_imap(c);
	dg_finding *fd;

	if (is_oidc(p) && imap) {
		char *names = names_of(c, DG_CUT_COUNT, keeps_imap);
		fd = dg_findings_add(&c->findings, DGF_AUTH011,
				     "/authentication/method", "%zu user%s who keep%s a login "
				     "lose%s IMAP access to the archive (OpenID Connect users "
				     "cannot log in over IMAP): %s", imap, imap == 1 ? "" : "s",
				     imap == 1 ? "s" : "", imap == 1 ? "s" : "", names);
		dg_finding_hint(fd, "tell them before switching; MailStore Client, Web Access and "
				"the Outlook add-in keep working");
		free(names);
	}
	if (is_oidc(p)) {
		fd = dg_findings_add(&c->findings, DGF_AUTH012,
				     "/authentication/redirectUri", "Web Access and the Outlook "
				     "add-in log in through the redirect URI %s, which must be "
				     "registered with the identity provider%s",
				     p->auth.redirect_uri ? p->auth.redirect_uri : "(not set)",
				     p->target.product == DG_PRODUCT_SPE
					     ? " - one per SPE instance (https://HOST/INSTANCEID/oidc/signin)"
					     : "");
		dg_finding_hint(fd, "'dirgate uri URI' checks it; register it exactly, letter case "
				"included, before switching");
	}
	fd = dg_findings_add(&c->findings, DGF_AUTH013, "/authentication",
			     "clients that saved the old credentials (MailStore Client, the "
			     "Outlook add-in, scripts and scheduled tasks with windowsCmd) keep "
			     "trying them after the switch%s",
			     c->counts[DG_CUT_RENAMED] ? "; renamed users must also use their new "
							  "name" : "");
	dg_finding_hint(fd, "tell users to log out and in again after the switch, and update "
			"stored credentials in scripts");
}

/* The plan's findings, except its per-rename API009s (AUTH010 and the
 * report say it per user). */
static void take_plan_findings(dg_cutover *c, dg_plan *plan)
{
	for (size_t i = 0; i < plan->findings.nr; i++) {
		const dg_finding *f = &plan->findings.items[i];
		if (f->id != DGF_API009)
			dg_findings_add_copy(&c->findings, f);
	}
	dg_findings_clear(&plan->findings);
}

void dg_cutover_build(const dg_profile *p, dg_plan *plan, const dg_srv_state *st,
		      const dg_cut_opts *o, dg_cutover *out)
{
	memset(out, 0, sizeof(*out));
	out->method = p->auth.method ? dg_profile_method(p) : "(none)";
	out->name_format = name_format(p);
	existing_users(out, p, plan, st, o);
	new_users(out, p, plan, o);
	take_plan_findings(out, plan);
	lockout_findings(out, p);
	summary_findings(out, p);
	caveat_findings(out, p);
}

void dg_cutover_release(dg_cutover *c)
{
	for (size_t i = 0; i < c->nr; i++)
		free(c->items[i].reason);
	free(c->items);
	dg_findings_clear(&c->findings);
	memset(c, 0, sizeof(*c));
}

/* ---- offline state ---------------------------------------------------------------- */

static dg_code load_state(const char *users_file, const char *config_file, dg_srv_state *st,
			  dg_error *err)
{
	cJSON *users = dg_json_read_file(users_file, 0, NULL, err), *config = NULL;
	const cJSON *marker = cJSON_GetObjectItemCaseSensitive(users, "dirgateUsers");
	dg_code rc = DG_OK;

	memset(st, 0, sizeof(*st));
	if (!users)
		return err->code;
	if (!cJSON_IsNumber(marker) || marker->valueint != 1)
		rc = dg_error_set(err, DG_E_INVALID, "%s: not a users export (no "
				  "\"dirgateUsers\": 1); write one with 'dirgate pull PROFILE "
				  "--users FILE'", users_file);
	else if (config_file && !(config = dg_json_read_file(config_file, 0, NULL, err)))
		rc = err->code;
	else
		rc = dg_srv_state_from_json(config, cJSON_GetObjectItemCaseSensitive(users, "users"),
					    users_file, st, err);
	cJSON_Delete(users);
	cJSON_Delete(config);
	return rc;
}

dg_code dg_plan_run_offline(const dg_profile *p, const char *users_file,
			    const char *config_file, dg_plan_run *r, dg_error *err)
{
	dg_code rc;

	memset(r, 0, sizeof(*r));
	if ((rc = dg_tmap_load_default(&r->map, err)))
		return rc;
	if (!(r->profile_json = dg_profile_json(p, err)))
		return err->code;
	if ((rc = load_state(users_file, config_file, &r->state, err)))
		return rc;
	if ((rc = dg_connector_preview(p, &r->preview, err)))
		return rc;
	if (dg_findings_count(&r->preview.findings, DG_SEV_ERROR))
		return dg_error_set(err, DG_E_INVALID, "the directory preview has errors; "
				    "'dirgate preview %s' shows them", p->file);
	rc = dg_plan_build(p, &r->map, r->profile_json, &r->preview, &r->state, 0, &r->plan,
			   &r->cfg_after, err);
	dg_findings_move(&r->plan.findings, &r->preview.findings);
	return rc;
}

void dg_cutover_renames(dg_strbuf *out, const dg_cutover *c)
{
	dg_strbuf_adds(out, "# MailStore user renames that keep the archives: old=new, one per "
		       "line.\n# Written by 'dirgate cutover --renames'; apply with 'dirgate "
		       "migrate FILE' before the first synchronisation.\n");
	for (size_t i = 0; i < c->nr; i++)
		if (c->items[i].verdict == DG_CUT_RENAMED)
			dg_strbuf_addf(out, "%s=%s\n", c->items[i].srv->user_name,
				       c->items[i].dir->user_name);
}

/* ---- output --------------------------------------------------------------------------- */

static const char *item_name(const dg_cut_item *it)
{
	return it->srv ? it->srv->user_name : it->dir->user_name;
}

/* The name the user has after synchronisation, when it changes. */
static const char *new_name(const dg_cut_item *it)
{
	return it->srv && it->dir && strcasecmp(it->dir->user_name, it->srv->user_name)
		       ? it->dir->user_name : NULL;
}

static void text_summary(dg_strbuf *out, const dg_cutover *c)
{
	dg_strbuf_addf(out, "%zu keep their login, %zu renamed, %zu lose their login, %zu "
		       "MailStore-local, %zu administrators (%zu at risk); %zu new directory "
		       "users\n", c->counts[DG_CUT_KEEPS], c->counts[DG_CUT_RENAMED],
		       c->counts[DG_CUT_LOSES], c->counts[DG_CUT_LOCAL], c->counts[DG_CUT_ADMIN],
		       c->admins_at_risk, c->counts[DG_CUT_NEW]);
}

void dg_cutover_text(dg_strbuf *out, const dg_cutover *c, const dg_profile *p, int color)
{
	dg_strbuf_addf(out, "cut-over to %s: %s directory, user names by %s, login by %s\n\n",
		       p->name ? p->name : "?", dg_profile_dir_type(p),
		       c->name_format, c->method);
	for (size_t i = 0; i < c->nr; i++) {
		const dg_cut_item *it = &c->items[i];
		if (i == 0 || (it->verdict == DG_CUT_NEW) != (c->items[i - 1].verdict == DG_CUT_NEW))
			dg_strbuf_adds(out, it->verdict == DG_CUT_NEW
				       ? (i ? "\nnew directory users:\n" : "new directory users:\n")
				       : "existing MailStore users:\n");
		dg_strbuf_addf(out, "  %-16s %s", it->at_risk ? "ADMIN AT RISK"
							      : dg_verdict_name(it->verdict),
			       item_name(it));
		if (new_name(it))
			dg_strbuf_addf(out, " -> %s", new_name(it));
		dg_strbuf_addf(out, ": %s\n", it->reason);
	}
	dg_strbuf_addch(out, '\n');
	text_summary(out, c);
	if (c->findings.nr) {
		dg_strbuf_addch(out, '\n');
		dg_output_findings_text(out, &c->findings, color);
	}
}

void dg_cutover_json(dg_strbuf *out, const dg_cutover *c, const dg_profile *p)
{
	dg_strbuf_adds(out, "{" DG_JSON_FORMAT_VERSION_FIELD "\"profile\":");
	dg_strbuf_add_json_str(out, p->name ? p->name : "");
	dg_strbuf_addf(out, ",\"directoryType\":\"%s\",\"userNameFormat\":",
		       dg_profile_dir_type(p));
	dg_strbuf_add_json_str(out, c->name_format);
	dg_strbuf_adds(out, ",\"loginMethod\":");
	dg_strbuf_add_json_str(out, c->method);
	dg_strbuf_addf(out, ",\"complete\":%s,\"summary\":{",
		       dg_findings_incomplete(&c->findings) ? "false" : "true");
	for (int v = 0; v < DG_CUT_COUNT; v++)
		dg_strbuf_addf(out, "\"%s\":%zu,", dg_verdict_name(v), c->counts[v]);
	dg_strbuf_addf(out, "\"adminsAtRisk\":%zu},\"users\":[", c->admins_at_risk);
	for (size_t i = 0; i < c->nr; i++) {
		const dg_cut_item *it = &c->items[i];
		dg_strbuf_adds(out, i ? ",{\"userName\":" : "{\"userName\":");
		dg_strbuf_add_json_str(out, item_name(it));
		dg_strbuf_addf(out, ",\"verdict\":\"%s\",\"newName\":", dg_verdict_name(it->verdict));
		if (new_name(it))
			dg_strbuf_add_json_str(out, new_name(it));
		else
			dg_strbuf_adds(out, "null");
		dg_strbuf_addf(out, ",\"atRisk\":%s,\"authentication\":",
			       it->at_risk ? "true" : "false");
		dg_strbuf_adds(out, !it->srv ? "null" : it->srv->directory ? "\"directoryServices\""
									   : "\"integrated\"");
		dg_strbuf_adds(out, ",\"reason\":");
		dg_strbuf_add_json_str(out, it->reason);
		dg_strbuf_addch(out, '}');
	}
	dg_strbuf_adds(out, "],\"findings\":");
	dg_output_findings_json_array(out, &c->findings);
	dg_strbuf_adds(out, "}\n");
}

void dg_cutover_html(dg_strbuf *out, const dg_cutover *c, const dg_profile *p)
{
	static const char *const head[] = { "User name", "Verdict", "New name", "Reason" };
	dg_strbuf sb = DG_STRBUF_INIT;

	dg_output_html_begin(out, "cutover", "Cut-over to", p->name ? p->name : "?");
	dg_output_html_incomplete(out, &c->findings);
	text_summary(&sb, c);
	dg_strbuf_addf(out, "<p>%s directory, user names by ", dg_profile_dir_type(p));
	dg_output_html_text(out, c->name_format);
	dg_strbuf_addf(out, ", login by %s.</p>\n<p id=\"summary\">", c->method);
	dg_output_html_text(out, sb.buf);
	/* sortable and filterable like the preview's and the plan's tables */
	dg_strbuf_adds(out, "</p>\n<h2>Users</h2><table id=\"users\" class=\"dg-sortable\"><thead>\n");
	dg_output_html_row(out, head, 4, "th");
	dg_strbuf_adds(out, "</thead><tbody>\n");
	for (size_t i = 0; i < c->nr; i++) {
		const dg_cut_item *it = &c->items[i];
		const char *cells[] = { item_name(it), it->at_risk ? "admin (AT RISK)"
								    : dg_verdict_name(it->verdict),
					new_name(it) ? new_name(it) : "", it->reason };
		/* inline, as the preview's banner: the page shares its style sheet */
		dg_strbuf_addf(out, "<tr class=\"%s%s\"%s>", dg_verdict_name(it->verdict),
			       it->at_risk ? " at-risk" : "",
			       it->at_risk || it->verdict == DG_CUT_LOSES
				       ? " style=\"background:#fee;color:#900\"" : "");
		for (int k = 0; k < 4; k++) {
			dg_strbuf_adds(out, "<td>");
			dg_output_html_text(out, cells[k]);
			dg_strbuf_adds(out, "</td>");
		}
		dg_strbuf_adds(out, "</tr>\n");
	}
	dg_strbuf_adds(out, "</tbody></table>\n");
	dg_output_html_findings(out, &c->findings);
	dg_strbuf_adds(out, "</body></html>\n");
	dg_strbuf_release(&sb);
}
