/* Secrets: turning a secret reference from the profile (profile.h,
 * dg_secret_ref) into the secret itself, and checking references offline.
 *
 * A resolved secret lives in memory that dg_secret_free() wipes.  No
 * message, finding or error ever contains a secret's value: they name the
 * profile field (ref->path) and the environment variable or file. */
#ifndef DG_SECRET_H
#define DG_SECRET_H

#include "error.h"
#include "findings.h"
#include "profile.h"

/* Resolves `ref` into *out, a NUL-terminated copy the caller releases with
 * dg_secret_free():
 *   env     the variable's value (unset or empty is an error)
 *   file    the file's first line, without the line break (CR LF too)
 *   prompt  read from /dev/tty with echo off; an error without a terminal
 *   literal the value written in the profile
 * Returns DG_OK, or an error code with err set (*out is then NULL). */
dg_code dg_secret_resolve(const dg_secret_ref *ref, char **out, dg_error *err);

/* The value of `ref` when it can be had without asking anybody (an offline
 * check never prompts): NULL for prompts, references that do not resolve
 * (dg_secret_check reports those) and no reference.  Free with
 * dg_secret_free(). */
char *dg_secret_peek(const dg_secret_ref *ref);

/* Wipes (explicit_bzero) and frees a resolved secret; NULL is fine. */
void dg_secret_free(char *secret);

/* Offline check of one reference, without reading anything secret aloud:
 *   env     unset or empty  -> SECRET002 warning ("set NAME before live commands")
 *   file    missing, unreadable, not a regular file or empty -> SECRET002 error;
 *           readable by group or others -> SECRET003 warning (chmod 600)
 * Literal values (SECRET001, raised by the loader) and prompts (need a
 * terminal only when used) add nothing here. */
void dg_secret_check(const dg_secret_ref *ref, dg_findings *out);

#endif
