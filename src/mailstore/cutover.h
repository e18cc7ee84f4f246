/* The cut-over report: for every existing MailStore user, what switching to
 * the profile's directory, user-name format and login method does to their
 * login - keeps it, renamed (a new, empty archive unless renamed first),
 * loses it, MailStore-local (untouched), or an administrator/API user (an
 * error when the switch locks one out) - plus the directory users who are
 * new.  Built on the plan (plan.h): its diff finds who is matched by name,
 * who by DN or e-mail under another name, and who is not produced at all.
 * The rules and their sources: docs/cutover.md. */
#ifndef DG_MS_CUTOVER_H
#define DG_MS_CUTOVER_H

#include "plan.h"

typedef enum dg_verdict {
	DG_CUT_KEEPS, DG_CUT_RENAMED, DG_CUT_LOSES, DG_CUT_LOCAL, DG_CUT_ADMIN, DG_CUT_NEW,
	DG_CUT_COUNT
} dg_verdict;
/* "keeps-login", "renamed", "loses-login", "mailstore-local", "admin", "new" */
const char *dg_verdict_name(dg_verdict v);

typedef struct dg_cut_item {
	dg_verdict verdict;
	const dg_srv_user *srv;     /* NULL for a new user */
	const dg_ms_user *dir;      /* the directory user it becomes; NULL when none */
	int at_risk;                /* admin: the switch locks it out */
	char *reason;
} dg_cut_item;

typedef struct dg_cut_opts {
	/* The administrator says the identity provider's claim rule that sends
	 * the user-name attribute (AD FS: ADFS004) is in place; dirgate cannot
	 * read such rules. */
	int claim_rule;
} dg_cut_opts;

typedef struct dg_cutover {
	dg_cut_item *items;         /* existing users in server order, then new ones */
	size_t nr, alloc;
	size_t counts[DG_CUT_COUNT];
	size_t admins_at_risk;
	const char *method;         /* the profile's login method ("adfs", ...) */
	const char *name_format;    /* how the directory names users */
	dg_findings findings;       /* AUTH008-AUTH014, and the plan's own */
} dg_cutover;

/* Moves the plan's findings (the preview's among them) into the report,
 * except the per-rename API009s the report states itself. */
void dg_cutover_build(const dg_profile *p, dg_plan *plan, const dg_srv_state *st,
		      const dg_cut_opts *o, dg_cutover *out);
void dg_cutover_release(dg_cutover *c);

/* The plan of dg_plan_run_profile from saved answers instead of a live
 * server (offline): `users_file` a users export ('dirgate pull --users'),
 * `config_file` a saved pull or NULL (an empty configuration).  The
 * profile must be free of errors. */
#include "session.h"
dg_code dg_plan_run_offline(const dg_profile *p, const char *users_file,
			    const char *config_file, dg_plan_run *r, dg_error *err);

/* "old=new" lines (dirgate migrate's format) for the users whose verdict
 * is renamed - never an administrator's, whose rename would hand its login
 * to the directory. */
void dg_cutover_renames(dg_strbuf *out, const dg_cutover *c);

void dg_cutover_text(dg_strbuf *out, const dg_cutover *c, const dg_profile *p, int color);
void dg_cutover_json(dg_strbuf *out, const dg_cutover *c, const dg_profile *p);
void dg_cutover_html(dg_strbuf *out, const dg_cutover *c, const dg_profile *p);

#endif
