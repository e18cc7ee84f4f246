#include "findings.h"

#include "strbuf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Indexed by dg_finding_code: both come from the same generated list. */
static const dg_code_info code_table[] = {
#define DG_CODE(code, sev, title) [DGF_##code] = { #code, DG_SEV_##sev, title },
#include "dg_codes.def"
#undef DG_CODE
};

const dg_code_info *dg_code_table(size_t *count)
{
	*count = sizeof(code_table) / sizeof(code_table[0]);
	return code_table;
}

const dg_code_info *dg_code_info_of(dg_finding_code code)
{
	return (unsigned)code < DGF_COUNT_ ? &code_table[code] : NULL;
}

const dg_code_info *dg_code_lookup(const char *code)
{
	for (size_t i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++)
		if (!strcmp(code_table[i].code, code))
			return &code_table[i];
	return NULL;
}

void dg_code_record(dg_finding_code code)
{
	static atomic_uchar recorded[DGF_COUNT_];
	const char *path;
	char line[32];
	ssize_t ignored;
	int fd, n;

	if ((unsigned)code >= DGF_COUNT_ || atomic_exchange(&recorded[code], 1))
		return;
	path = getenv("DG_FINDINGS_RECORD");
	if (!path || !*path || (fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return;
	n = snprintf(line, sizeof(line), "%s\n", code_table[code].code);
	/* one short O_APPEND write, so the lines of tests running in parallel
	 * never interleave; a lost line shows as a code the suite missed */
	ignored = write(fd, line, (size_t)n);
	(void)ignored;
	close(fd);
}

const char *dg_severity_name(dg_severity sev)
{
	switch (sev) {
	case DG_SEV_ERROR: return "error";
	case DG_SEV_WARNING: return "warning";
	default: return "info";
	}
}

static dg_finding *append(dg_findings *f, dg_finding_code code, dg_severity sev,
			  const char *path)
{
	dg_finding *fd;

	DG_ALLOC_GROW(f->items, f->nr + 1, f->alloc);
	fd = &f->items[f->nr++];
	memset(fd, 0, sizeof(*fd));
	fd->id = code;
	if (dg_code_info_of(code))
		strncpy(fd->code, dg_code_info_of(code)->code, sizeof(fd->code) - 1);
	fd->severity = sev;
	fd->path = dg_xstrdup(path ? path : "");
	return fd;
}

dg_finding *dg_findings_add(dg_findings *f, dg_finding_code code, const char *path,
			    const char *fmt, ...)
{
	const dg_code_info *ci = dg_code_info_of(code);
	/* only a restored finding's id is outside the list (dg_findings_restore);
	 * passed on here it stays an error rather than a crash */
	dg_finding *fd = append(f, code, ci ? ci->severity : DG_SEV_ERROR, path);
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;

	dg_code_record(code);
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fd->message = dg_strbuf_detach(&sb);
	return fd;
}

dg_finding *dg_findings_restore(dg_findings *f, const char *code, dg_severity sev,
				const char *path, const char *message)
{
	const dg_code_info *ci = dg_code_lookup(code ? code : "");
	dg_finding_code id = ci ? (dg_finding_code)(ci - code_table) : DGF_COUNT_;
	dg_finding *fd = append(f, id, sev, path);
	if (!ci)
		snprintf(fd->code, sizeof(fd->code), "%s", code ? code : "?");
	fd->message = dg_xstrdup(message ? message : "");
	return fd;
}

dg_finding *dg_findings_add_copy(dg_findings *f, const dg_finding *src)
{
	dg_finding *fd = append(f, src->id, src->severity, src->path);
	memcpy(fd->code, src->code, sizeof(fd->code));
	fd->message = dg_xstrdup(src->message ? src->message : "");
	fd->hint = src->hint ? dg_xstrdup(src->hint) : NULL;
	if (src->file)
		dg_finding_locate(fd, src->file, src->line, src->column);
	else
		fd->line = src->line, fd->column = src->column;
	return fd;
}

void dg_finding_hint(dg_finding *fd, const char *fmt, ...)
{
	dg_strbuf sb = DG_STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	dg_strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(fd->hint);
	fd->hint = dg_strbuf_detach(&sb);
}

void dg_finding_locate(dg_finding *fd, const char *file, int line, int column)
{
	free(fd->file);
	fd->file = file ? dg_xstrdup(file) : NULL;
	fd->line = line;
	fd->column = column;
}

size_t dg_findings_count(const dg_findings *f, dg_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nr; i++)
		if (f->items[i].severity == sev)
			n++;
	return n;
}

void dg_findings_move(dg_findings *dst, dg_findings *src)
{
	DG_ALLOC_GROW(dst->items, dst->nr + src->nr, dst->alloc);
	if (src->nr)
		memcpy(dst->items + dst->nr, src->items, src->nr * sizeof(*src->items));
	dst->nr += src->nr;
	free(src->items);
	src->items = NULL;
	src->nr = src->alloc = 0;
}

/* Insertion sort keeps equal elements in insertion order; finding lists are short. */
void dg_findings_sort(dg_findings *f)
{
	for (size_t i = 1; i < f->nr; i++) {
		dg_finding key = f->items[i];
		size_t j = i;
		while (j > 0) {
			const dg_finding *prev = &f->items[j - 1];
			int c = strcmp(prev->path, key.path);
			if (c == 0)
				c = strcmp(prev->code, key.code);
			if (c <= 0)
				break;
			f->items[j] = f->items[j - 1];
			j--;
		}
		f->items[j] = key;
	}
}

/* The codes the codes.def files mark DG_INCOMPLETE. */
static const dg_finding_code incomplete_codes[] = {
#define DG_CODE(code, sev, title)
#define DG_INCOMPLETE(code) DGF_##code,
#include "dg_codes.def"
#undef DG_INCOMPLETE
#undef DG_CODE
};

const dg_finding_code *dg_incomplete_codes(size_t *count)
{
	*count = sizeof(incomplete_codes) / sizeof(*incomplete_codes);
	return incomplete_codes;
}

int dg_finding_marks_incomplete(const dg_finding *fd)
{
	for (size_t i = 0; i < sizeof(incomplete_codes) / sizeof(*incomplete_codes); i++)
		if (fd->id == incomplete_codes[i])
			return 1;
	return 0;
}

const dg_finding *dg_findings_incomplete(const dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		if (dg_finding_marks_incomplete(&f->items[i]))
			return &f->items[i];
	return NULL;
}

void dg_findings_clear(dg_findings *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->items[i].path);
		free(f->items[i].message);
		free(f->items[i].hint);
		free(f->items[i].file);
	}
	free(f->items);
	f->items = NULL;
	f->nr = f->alloc = 0;
}
