/* RFC 2849 LDIF reader and writer.
 *
 * Three layers, each fed by the one below:
 *   blocks   -> physical lines  (feed: split at '\n', carry partial lines,
 *                                strip one '\r', UTF-16 converted first)
 *   physical -> logical lines   (phys_line: unfold continuation lines,
 *                                drop comments)
 *   logical  -> records/entries (logical_line: version, dn, attributes,
 *                                end of record on an empty line)
 * Nothing holds more than one block, one logical line and one record. */
#include "ldif.h"
#include "../../core/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK ((size_t)256 << 10)
#define FINDINGS_PER_CODE 20 /* per code; the rest are counted, not listed */

typedef struct scratch_val {
	size_t name_off, name_len; /* in reader.vals */
	size_t val_off, val_len;
	size_t attr;               /* index of its attribute in the entry */
} scratch_val;

typedef enum { ENC_UTF8, ENC_UTF16LE, ENC_UTF16BE } encoding;

typedef struct reader {
	const dg_ldif_opts *o;
	const char *file, *jpath;
	dg_findings *f;
	size_t max_line;
	int stop;

	/* blocks -> physical lines */
	encoding enc;
	unsigned char u16_byte;    /* odd byte left over from the last block */
	int u16_have;
	unsigned u16_high;         /* pending high surrogate, 0 if none */
	dg_strbuf u16_out;
	dg_strbuf carry;           /* physical line split across blocks */
	int carry_overlong;
	long lineno;               /* physical lines seen so far */

	/* physical -> logical lines */
	dg_strbuf logical;
	int have_logical, in_comment, logical_overlong;
	long logical_no;

	/* logical lines -> records */
	int in_record, skip_record, have_dn, seen_record;
	dg_strbuf dn;
	long dn_no;
	dg_strbuf vals;            /* names and decoded values of the record */
	scratch_val *sv;
	size_t nsv, sv_alloc;
	dg_strbuf tmp;
	size_t nentries;

	/* grouping values by attribute name in build_entry */
	size_t *afirst;            /* per attribute: index of its first value */
	size_t afirst_alloc;
	size_t *ahash;             /* open addressing: attribute index + 1 */
	size_t ahash_size;
	/* borrowed entries (opts.borrow): views reused from record to record */
	dg_attr *battrs;
	size_t battrs_alloc;
	dg_value *bvals;
	size_t bvals_alloc;

	/* finding caps, indexed by the code's number */
	unsigned listed[DGF_COUNT_];
	unsigned over[DGF_COUNT_];
	long first_over[DGF_COUNT_];
} reader;

/* ---- findings ---- */

/* Adds a SNAP finding at `line`, or returns NULL once this code has been
 * reported FINDINGS_PER_CODE times: a broken 100,000-entry file should give
 * a readable report, not 100,000 lines. */
static dg_finding *finding(reader *r, dg_finding_code code, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static dg_finding *finding(reader *r, dg_finding_code code, long line, const char *fmt, ...)
{
	int idx = code;
	dg_strbuf msg = DG_STRBUF_INIT;
	dg_finding *fd;
	va_list ap;

	if (r->listed[idx]++ >= FINDINGS_PER_CODE) {
		if (!r->over[idx]++)
			r->first_over[idx] = line;
		return NULL;
	}
	va_start(ap, fmt);
	dg_strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fd = dg_findings_add(r->f, code, r->jpath, "%s",
			     msg.buf);
	dg_strbuf_release(&msg);
	dg_finding_locate(fd, r->file, (int)line, 0);
	return fd;
}

static void hint(dg_finding *fd, const char *text)
{
	if (fd)
		dg_finding_hint(fd, "%s", text);
}

static void report_suppressed(reader *r)
{
	for (int i = 0; i < DGF_COUNT_; i++) {
		dg_finding *fd;
		if (!r->over[i])
			continue;
		fd = dg_findings_add(r->f, (dg_finding_code)i, r->jpath,
				     "%u more problems like the ones above are not listed "
				     "(the first of them at line %ld)",
				     r->over[i], r->first_over[i]);
		dg_finding_locate(fd, r->file, (int)r->first_over[i], 0);
	}
}

/* ---- base64 ---- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int dg_base64_decode(const char *in, size_t len, dg_strbuf *out)
{
	unsigned char *o;
	if (len % 4)
		return -1;
	dg_strbuf_grow(out, len / 4 * 3);
	o = (unsigned char *)out->buf + out->len;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			/* '=' only in the last one or two places of the last quantum */
			if (c == '=' && i + 4 == len && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad || (v[k] = b64_value(c)) < 0)
				goto bad;
		}
		unsigned q = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
			     (unsigned)v[3];
		*o++ = (unsigned char)(q >> 16);
		if (pad < 2)
			*o++ = (unsigned char)(q >> 8);
		if (pad < 1)
			*o++ = (unsigned char)q;
	}
	/* grown above; dg_strbuf_setlen only truncates */
	out->len = (size_t)((char *)o - out->buf);
	out->buf[out->len] = '\0';
	return 0;
bad:
	out->buf[out->len] = '\0';
	return -1;
}

void dg_base64_encode(const void *in, size_t len, dg_strbuf *out)
{
	const unsigned char *p = in;
	char q[4];
	dg_strbuf_grow(out, (len + 2) / 3 * 4);
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t rest = len - i;
		if (rest > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (rest > 2)
			v |= p[i + 2];
		q[0] = b64_alphabet[v >> 18 & 63];
		q[1] = b64_alphabet[v >> 12 & 63];
		q[2] = rest > 1 ? b64_alphabet[v >> 6 & 63] : '=';
		q[3] = rest > 2 ? b64_alphabet[v & 63] : '=';
		dg_strbuf_add(out, q, 4);
	}
}

/* ---- logical lines -> records ---- */

/* Is s[0..n) the name `want` (given in lower case), ignoring case?  Inline:
 * it runs for every line of the file. */
static inline int name_is(const char *s, size_t n, const char *want)
{
	size_t i = 0;
	for (; i < n && want[i]; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != want[i])
			return 0;
	return i == n && !want[i];
}

/* AttributeDescription (RFC 4512): a descr or numeric OID, then ";option"s.
 * Options may also hold '=' and '*', for AD's ranged retrieval
 * ("member;range=0-1499", "member;range=1500-*"), and names the odd '_'
 * some servers permit. */
enum { C_NAME = 1, C_OPTION = 2 }; /* allowed in a name / in an option */

static unsigned char attr_chars[256];

static void fill_attr_chars(void)
{
	for (int c = 0; c < 256; c++)
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_')
			attr_chars[c] = C_NAME | C_OPTION;
	attr_chars[';'] = C_OPTION;
	attr_chars['='] = C_OPTION;
	attr_chars['*'] = C_OPTION;
}

/* Once per process, also when several threads (onboard --jobs) read LDIF
 * at the same time: a reader must never see the table half built. */
static void init_attr_chars(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fill_attr_chars);
}

/* Returns the length of the attribute type (the part before any ';'),
 * or 0 when s[0..n) is not a valid attribute description. */
static size_t valid_attr_desc(const char *s, size_t n)
{
	size_t i = 1, type;
	if (!n || s[0] == '-' || s[0] == '.' || s[0] == '_' ||
	    !(attr_chars[(unsigned char)s[0]] & C_NAME))
		return 0;
	while (i < n && attr_chars[(unsigned char)s[i]] & C_NAME)
		i++;
	if (i < n && s[i] != ';')
		return 0;
	type = i;
	while (i < n && attr_chars[(unsigned char)s[i]] & C_OPTION)
		i++;
	return i == n ? type : 0;
}

static void skip_fill(const char **v, size_t *n)
{
	while (*n && **v == ' ') {
		(*v)++;
		(*n)--;
	}
}

/* Decodes the value part of "name:value", "name::base64" or "name:<url"
 * (`v` points after the first colon) onto `out`.  Returns 0, or -1 after
 * adding a finding. */
static int decode_value(reader *r, const char *name, size_t nlen, const char *v, size_t n,
			long no, dg_strbuf *out)
{
	dg_finding *fd;
	if (n && v[0] == ':') {
		v++, n--;
		skip_fill(&v, &n);
		while (n && v[n - 1] == ' ')
			n--;
		if (!dg_base64_decode(v, n, out))
			return 0;
		fd = finding(r, DGF_SNAP002, no, "the base64 value of \"%.*s\" cannot be decoded",
			     (int)(nlen > 64 ? 64 : nlen), name);
		hint(fd, "After \"::\" LDIF expects base64 (A-Z a-z 0-9 + /, padded with = to a "
			 "multiple of four characters); the value was probably cut or edited. "
			 "Export the entry again.");
		return -1;
	}
	if (n && v[0] == '<') {
		fd = finding(r, DGF_SNAP003, no, "\"%.*s\" refers to its value by URL (\":<\"), "
			     "which dirgate does not follow", (int)(nlen > 64 ? 64 : nlen), name);
		hint(fd, "Export with the values inline (ldapsearch writes them inline unless "
			 "-t is given); reading files named in a snapshot is not supported.");
		return -1;
	}
	skip_fill(&v, &n);
	dg_strbuf_grow(out, n);
	memcpy(out->buf + out->len, v, n);
	out->len += n;
	out->buf[out->len] = '\0';
	return 0;
}

static void version_line(reader *r, const char *v, size_t n, long no)
{
	skip_fill(&v, &n);
	while (n && v[n - 1] == ' ')
		n--;
	if (name_is(v, n, "1"))
		return;
	dg_finding *fd = finding(r, DGF_SNAP005, no, "LDIF version \"%.*s\" is not supported; "
				 "reading it as version 1", (int)(n > 32 ? 32 : n), v);
	hint(fd, "RFC 2849 defines only \"version: 1\".");
}

static void dn_line(reader *r, const char *v, size_t n, long no)
{
	dg_strbuf_reset(&r->dn);
	r->dn_no = no;
	if (decode_value(r, "dn", 2, v, n, no, &r->dn)) {
		r->skip_record = 1;
		return;
	}
	if (memchr(r->dn.buf, '\0', r->dn.len)) {
		dg_finding *fd = finding(r, DGF_SNAP008, no, "the DN contains a NUL byte");
		hint(fd, "A DN is text; a NUL inside it is written \\00. The record is skipped.");
		r->skip_record = 1;
		return;
	}
	r->have_dn = 1;
}

static int is_trailer(const char *s, size_t n)
{
	/* what ldapsearch -L/-LL prints after the entries and for referrals */
	return name_is(s, n, "search") || name_is(s, n, "result") || name_is(s, n, "ref");
}

/* "changetype: add" is how ldifde writes every exported entry, so it is
 * content in disguise; modify/delete/modrdn are changes and have no place
 * in a snapshot. */
static void changetype_line(reader *r, const char *name, size_t nlen, const char *v, size_t n,
			    long no)
{
	dg_finding *fd;
	dg_strbuf_reset(&r->tmp);
	if (!decode_value(r, name, nlen, v, n, no, &r->tmp) && name_is(name, nlen, "changetype")) {
		while (r->tmp.len && r->tmp.buf[r->tmp.len - 1] == ' ')
			dg_strbuf_setlen(&r->tmp, r->tmp.len - 1);
		if (name_is(r->tmp.buf, r->tmp.len, "add"))
			return;
	}
	r->skip_record = 1;
	fd = finding(r, DGF_SNAP004, no, "the record for \"%.*s\" is a change record (%.*s: %.*s), "
		     "not directory content; it is skipped",
		     (int)(r->dn.len > 200 ? 200 : r->dn.len), r->dn.buf, (int)nlen, name,
		     (int)(r->tmp.len > 32 ? 32 : r->tmp.len), r->tmp.buf);
	hint(fd, "A snapshot must be an export of the directory (ldapsearch -LLL, ldifde -f), "
		 "not a file of modifications.");
}

static void attr_line(reader *r, const char *s, size_t nlen, const char *v, size_t n, long no)
{
	scratch_val *sv;
	size_t name_off, val_off, type = valid_attr_desc(s, nlen);
	if (!type) {
		dg_finding *fd = finding(r, DGF_SNAP001,
					 no, "\"%.*s\" is not a valid attribute name",
					 (int)(nlen > 64 ? 64 : nlen), s);
		hint(fd, "An LDIF line is \"attribute: value\"; attribute names are letters, "
			 "digits and '-' (options after ';'). Was a line break lost inside a "
			 "value, or a continuation line written without its leading space?");
		return;
	}
	if (r->o->want_attr && !r->o->want_attr(r->o->ctx, s, type))
		return;
	name_off = r->vals.len;
	dg_strbuf_grow(&r->vals, nlen + n + 2); /* a decoded value is never longer */
	memcpy(r->vals.buf + name_off, s, nlen);
	r->vals.buf[name_off + nlen] = '\0';
	r->vals.len += nlen + 1;
	val_off = r->vals.len;
	if (decode_value(r, s, nlen, v, n, no, &r->vals)) {
		dg_strbuf_setlen(&r->vals, name_off);
		return;
	}
	DG_ALLOC_GROW(r->sv, r->nsv + 1, r->sv_alloc);
	sv = &r->sv[r->nsv++];
	sv->name_off = name_off;
	sv->name_len = nlen;
	sv->val_off = val_off;
	sv->val_len = r->vals.len - val_off;
	dg_strbuf_addch(&r->vals, '\0');
}


static size_t name_hash(const char *s, size_t n)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)(s[i] | 0x20)) * 16777619u; /* ASCII case folded */
	return h;
}

/* Index of the attribute `sv` belongs to among the first `nattrs`, or
 * nattrs when it is new.  A linear scan for the usual handful of
 * attributes; a hash table once a record has many, so a hostile record
 * with a million attribute names is not quadratic. */
static size_t find_attr(reader *r, const scratch_val *sv, size_t nattrs)
{
	const char *name = r->vals.buf + sv->name_off;
	if (nattrs <= 16) {
		for (size_t a = 0; a < nattrs; a++) {
			const scratch_val *o = &r->sv[r->afirst[a]];
			if (o->name_len == sv->name_len &&
			    !strcasecmp(name, r->vals.buf + o->name_off))
				return a;
		}
		return nattrs;
	}
	size_t mask = r->ahash_size - 1;
	for (size_t i = name_hash(name, sv->name_len) & mask;; i = (i + 1) & mask) {
		const scratch_val *o;
		if (!r->ahash[i])
			return nattrs;
		o = &r->sv[r->afirst[r->ahash[i] - 1]];
		if (o->name_len == sv->name_len && !strcasecmp(name, r->vals.buf + o->name_off))
			return r->ahash[i] - 1;
	}
}

static void hash_insert(reader *r, size_t a)
{
	const scratch_val *sv = &r->sv[r->afirst[a]];
	size_t i = name_hash(r->vals.buf + sv->name_off, sv->name_len) & (r->ahash_size - 1);
	while (r->ahash[i])
		i = (i + 1) & (r->ahash_size - 1);
	r->ahash[i] = a + 1;
}

/* Called after attribute `nattrs - 1` was added.  The table exists only
 * while a record has more than 16 attributes, and is kept at most half
 * full (rebuilt from afirst when it grows). */
static void hash_add(reader *r, size_t nattrs)
{
	if (nattrs <= 16)
		return;
	if (nattrs * 2 > r->ahash_size) {
		size_t size = r->ahash_size ? r->ahash_size * 2 : 64;
		free(r->ahash);
		r->ahash = dg_xcalloc(size, sizeof(*r->ahash));
		r->ahash_size = size;
	} else if (nattrs > 17) {
		hash_insert(r, nattrs - 1);
		return;
	}
	/* new table, or the first use of the (cleared) table in this record */
	for (size_t a = 0; a < nattrs; a++)
		hash_insert(r, a);
}

/* Groups the record's values by attribute (names compare case-insensitively)
 * and returns the number of attributes. */
static size_t group_values(reader *r)
{
	size_t nattrs = 0;
	if (r->ahash_size)
		memset(r->ahash, 0, r->ahash_size * sizeof(*r->ahash));
	for (size_t i = 0; i < r->nsv; i++) {
		scratch_val *sv = &r->sv[i];
		size_t a;
		/* values of one attribute are nearly always adjacent, and spelled
		 * the same way */
		if (i && sv->name_len == r->sv[i - 1].name_len &&
		    (!memcmp(r->vals.buf + sv->name_off, r->vals.buf + r->sv[i - 1].name_off,
			     sv->name_len) ||
		     !strcasecmp(r->vals.buf + sv->name_off, r->vals.buf + r->sv[i - 1].name_off)))
			a = r->sv[i - 1].attr;
		else
			a = find_attr(r, sv, nattrs);
		sv->attr = a;
		if (a < nattrs)
			continue;
		DG_ALLOC_GROW(r->afirst, nattrs + 1, r->afirst_alloc);
		r->afirst[nattrs++] = i;
		hash_add(r, nattrs);
	}
	return nattrs;
}

/* Builds the entry with arrays of exactly the right size (the entry model's
 * grow-by-doubling would waste half the memory of a large snapshot). */
static void build_entry(reader *r, dg_entry *e)
{
	size_t nattrs = group_values(r);
	memset(e, 0, sizeof(*e));
	e->dn = dg_xstrndup(r->dn.buf, r->dn.len);
	e->line = (int)r->dn_no;
	if (!nattrs)
		return;
	e->attrs = dg_xcalloc(nattrs, sizeof(*e->attrs));
	e->nattrs = e->alloc = nattrs;
	for (size_t i = 0; i < r->nsv; i++)
		e->attrs[r->sv[i].attr].alloc++;
	for (size_t i = 0; i < r->nsv; i++) {
		scratch_val *sv = &r->sv[i];
		dg_attr *a = &e->attrs[sv->attr];
		dg_value *val;
		if (!a->vals) {
			a->name = dg_xstrndup(r->vals.buf + sv->name_off, sv->name_len);
			a->vals = dg_xmalloc(a->alloc * sizeof(*a->vals));
		}
		val = &a->vals[a->nvals++];
		val->len = sv->val_len;
		val->val = dg_xmalloc(sv->val_len + 1);
		memcpy(val->val, r->vals.buf + sv->val_off, sv->val_len + 1);
	}
}

/* The same entry as a view into the record buffer: no allocation once the
 * view arrays have grown to the largest record. */
static void build_borrowed(reader *r, dg_entry *e)
{
	size_t nattrs = group_values(r), at = 0;
	memset(e, 0, sizeof(*e));
	e->dn = r->dn.buf;
	e->line = (int)r->dn_no;
	DG_ALLOC_GROW(r->battrs, nattrs, r->battrs_alloc);
	DG_ALLOC_GROW(r->bvals, r->nsv, r->bvals_alloc);
	if (nattrs)
		memset(r->battrs, 0, nattrs * sizeof(*r->battrs));
	for (size_t i = 0; i < r->nsv; i++)
		r->battrs[r->sv[i].attr].nvals++;
	for (size_t a = 0; a < nattrs; a++) { /* each attribute's values side by side */
		r->battrs[a].name = r->vals.buf + r->sv[r->afirst[a]].name_off;
		r->battrs[a].vals = r->bvals + at;
		at += r->battrs[a].nvals;
		r->battrs[a].nvals = 0;
	}
	for (size_t i = 0; i < r->nsv; i++) {
		dg_attr *a = &r->battrs[r->sv[i].attr];
		a->vals[a->nvals].val = r->vals.buf + r->sv[i].val_off;
		a->vals[a->nvals++].len = r->sv[i].val_len;
	}
	e->attrs = nattrs ? r->battrs : NULL;
	e->nattrs = nattrs;
}

static void end_record(reader *r)
{
	if (r->in_record && !r->skip_record && r->have_dn && !r->stop) {
		dg_entry e;
		if (r->o->borrow)
			build_borrowed(r, &e);
		else
			build_entry(r, &e);
		r->nentries++;
		if (r->o->on_entry && r->o->on_entry(r->o->ctx, &e))
			r->stop = 1;
		if (!r->o->borrow)
			dg_entry_release(&e);
	}
	r->in_record = r->skip_record = r->have_dn = 0;
	dg_strbuf_reset(&r->vals);
	dg_strbuf_reset(&r->dn);
	r->nsv = 0;
}

static void begin_record(reader *r, const char *s, size_t n, const char *colon, long no)
{
	size_t nlen = colon ? (size_t)(colon - s) : n;
	dg_finding *fd;
	r->in_record = 1;
	if (!r->seen_record && colon && name_is(s, nlen, "version")) {
		/* the version line may be followed directly by the first dn: */
		r->seen_record = 1;
		r->in_record = 0;
		version_line(r, colon + 1, n - nlen - 1, no);
		return;
	}
	r->seen_record = 1;
	if (colon && name_is(s, nlen, "dn")) {
		dn_line(r, colon + 1, n - nlen - 1, no);
		return;
	}
	r->skip_record = 1;
	if (colon && is_trailer(s, nlen))
		return;
	fd = finding(r, DGF_SNAP001, no, "a record must start with \"dn:\", this one starts with "
		     "\"%.*s\"", (int)(n > 40 ? 40 : n), s);
	hint(fd, "Records are separated by empty lines and each starts with its DN. The lines up "
		 "to the next empty line are skipped. Is this an LDIF export at all?");
}

static void logical_line(reader *r, const char *s, size_t n, long no)
{
	const char *colon = memchr(s, ':', n);
	size_t nlen = colon ? (size_t)(colon - s) : n;
	dg_finding *fd;

	if (!r->in_record) {
		begin_record(r, s, n, colon, no);
		return;
	}
	if (r->skip_record)
		return;
	if (!colon) {
		fd = finding(r, DGF_SNAP001, no, "expected \"attribute: value\", found \"%.*s\"",
			     (int)(n > 40 ? 40 : n), s);
		hint(fd, "Every line of a record is \"name: value\" (or \"name:: base64\"). A line "
			 "that continues the previous one must start with exactly one space.");
		return;
	}
	if (nlen == 2 && name_is(s, nlen, "dn")) {
		/* Almost always a missing empty line: keep both entries. */
		fd = finding(r, DGF_SNAP001,
			     no, "a second \"dn:\" inside one record; reading it as "
			     "the start of a new record");
		hint(fd, "Separate records with an empty line.");
		end_record(r);
		begin_record(r, s, n, colon, no);
		return;
	}
	/* RFC 2849 puts them right after the dn: line; anywhere else they are
	 * still no attribute (and could not be written back as one). */
	if ((nlen == 10 || nlen == 7) && (s[0] | 0x20) == 'c' &&
	    (name_is(s, nlen, "changetype") || name_is(s, nlen, "control"))) {
		changetype_line(r, s, nlen, colon + 1, n - nlen - 1, no);
		return;
	}
	attr_line(r, s, nlen, colon + 1, n - nlen - 1, no);
}

/* ---- physical lines -> logical lines ---- */

static void flush_logical(reader *r)
{
	if (!r->have_logical)
		return;
	r->have_logical = 0;
	if (r->in_comment) {
		r->in_comment = 0;
		return;
	}
	if (r->logical_overlong) {
		const char *s = r->logical.buf;
		const char *colon = memchr(s, ':', r->logical.len > 256 ? 256 : r->logical.len);
		int nlen = colon ? (int)(colon - s) : 0;
		dg_finding *fd;
		r->logical_overlong = 0;
		if (name_is(s, (size_t)nlen, "dn"))
			fd = finding(r, DGF_SNAP007,
				     r->logical_no, "the dn: line is longer than %zu "
				     "bytes; the record is skipped", r->max_line);
		else
			fd = finding(r, DGF_SNAP007,
				     r->logical_no, "the line for \"%.*s\" is longer "
				     "than %zu bytes; the value is dropped", nlen > 64 ? 64 : nlen,
				     s, r->max_line);
		hint(fd, "Leave large binary attributes (jpegPhoto, thumbnailPhoto, "
			 "userCertificate) out of the export; dirgate does not read them.");
		if (!r->in_record || name_is(s, (size_t)nlen, "dn")) {
			/* without its DN the record cannot be used */
			r->in_record = r->skip_record = r->seen_record = 1;
		}
		return;
	}
	logical_line(r, r->logical.buf, r->logical.len, r->logical_no);
}

static int all_spaces(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ')
			return 0;
	return 1;
}

static void continuation(reader *r, const char *s, size_t n, int overlong, long no)
{
	if (!r->have_logical) {
		dg_finding *fd;
		if (all_spaces(s, n))
			return; /* a line of spaces between records: as good as empty */
		fd = finding(r, DGF_SNAP001, no, "a continuation line (starting with a space) with "
			     "no line before it to continue");
		hint(fd, "Remove the leading space, or join the line to the one it belongs to.");
		return;
	}
	if (r->in_comment || r->logical_overlong)
		return;
	if (overlong || r->logical.len + n > r->max_line) {
		r->logical_overlong = 1;
		return;
	}
	dg_strbuf_add(&r->logical, s, n);
}

/* `next` is the first byte of the following line, or -1 when not yet read.
 * A line that is neither continued nor continuing is dispatched where it
 * lies in the block, without a copy: that is nearly every line. */
/* LDIF lines end in LF or CR LF; a CR anywhere else is not allowed in a
 * line (RFC 2849: such values are base64).  It almost always means a file
 * with classic Mac (bare CR) line ends, which reads as one long line
 * ("version: 1\rdn: ...") and would give a baffling result: stop. */
static int bare_cr(reader *r, const char *s, size_t n, long no)
{
	dg_finding *fd;
	if (!memchr(s, '\r', n))
		return 0;
	fd = finding(r, DGF_SNAP020, no, "line %ld holds a carriage return (CR) that does not end "
		     "the line: the file uses bare CR line ends, or a value contains a raw CR; "
		     "the snapshot is not read", no);
	hint(fd, "Convert the line ends to LF or CR LF (e.g. tr '\\r' '\\n' < in.ldif > out.ldif) "
		 "or export again; a value with a CR must be written base64 (attr:: ...).");
	r->stop = 1;
	return 1;
}

static void phys_line(reader *r, const char *s, size_t n, int overlong, int next)
{
	long no = ++r->lineno;
	if (n && s[n - 1] == '\r')
		n--;
	if (bare_cr(r, s, n, no))
		return;
	if (n > r->max_line) {
		n = r->max_line;
		overlong = 1;
	}
	if (n && s[0] == ' ') {
		continuation(r, s + 1, n - 1, overlong, no);
		return;
	}
	flush_logical(r);
	if (r->stop)
		return;
	if (!n) {
		end_record(r);
		return;
	}
	r->have_logical = 1;
	r->logical_no = no;
	if (s[0] == '#') {
		r->in_comment = 1; /* comments fold like any line; nothing is kept */
		return;
	}
	if (!overlong && next >= 0 && next != ' ') {
		r->have_logical = 0;
		logical_line(r, s, n, no);
		return;
	}
	dg_strbuf_reset(&r->logical);
	dg_strbuf_add(&r->logical, s, n);
	r->logical_overlong = overlong;
}

/* ---- blocks -> physical lines ---- */

static void carry_add(reader *r, const char *p, size_t n)
{
	if (r->carry_overlong)
		return;
	if (r->carry.len + n > r->max_line + 1) { /* +1: a '\r' may still follow */
		size_t room = r->max_line + 1 - r->carry.len;
		dg_strbuf_add(&r->carry, p, room);
		r->carry_overlong = 1;
		return;
	}
	dg_strbuf_add(&r->carry, p, n);
}

static void carry_flush(reader *r, int next)
{
	phys_line(r, r->carry.buf, r->carry.len, r->carry_overlong, next);
	dg_strbuf_reset(&r->carry);
	r->carry_overlong = 0;
}

static void feed_utf8(reader *r, const char *p, size_t n, int final)
{
	while (n && !r->stop) {
		const char *nl = memchr(p, '\n', n);
		size_t k;
		int next;
		if (!nl) {
			carry_add(r, p, n);
			break;
		}
		k = (size_t)(nl - p);
		next = k + 1 < n ? (unsigned char)p[k + 1] : final ? '\n' : -1;
		if (r->carry.len || r->carry_overlong) {
			carry_add(r, p, k);
			carry_flush(r, next);
		} else {
			phys_line(r, p, k, 0, next);
		}
		p += k + 1;
		n -= k + 1;
	}
	if (final && !r->stop && (r->carry.len || r->carry_overlong))
		carry_flush(r, '\n');
}

static void put_unit(reader *r, unsigned u, dg_strbuf *out)
{
	if (r->u16_high) {
		unsigned hi = r->u16_high;
		r->u16_high = 0;
		if (u >= 0xdc00 && u <= 0xdfff) {
			dg_utf8_put(out, 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00));
			return;
		}
		dg_utf8_put(out, 0xfffd); /* unpaired high surrogate */
	}
	if (u >= 0xd800 && u <= 0xdbff)
		r->u16_high = u;
	else if (u >= 0xdc00 && u <= 0xdfff)
		dg_utf8_put(out, 0xfffd);
	else
		dg_utf8_put(out, u);
}

/* ldifde -u writes "Unicode", which on Windows means UTF-16 with a BOM.
 * Convert block by block; a code unit may straddle two blocks. */
static void feed_utf16(reader *r, const unsigned char *p, size_t n, int final)
{
	int le = r->enc == ENC_UTF16LE;
	size_t i = 0;
	dg_strbuf_reset(&r->u16_out);
	while (i < n) {
		unsigned char b0, b1;
		if (r->u16_have) {
			b0 = r->u16_byte;
			r->u16_have = 0;
		} else {
			b0 = p[i++];
			if (i == n) {
				r->u16_byte = b0;
				r->u16_have = 1;
				break;
			}
		}
		b1 = p[i++];
		put_unit(r, le ? (unsigned)(b0 | b1 << 8) : (unsigned)(b0 << 8 | b1), &r->u16_out);
	}
	if (final && (r->u16_have || r->u16_high)) {
		r->u16_have = 0;
		r->u16_high = 0;
		dg_utf8_put(&r->u16_out, 0xfffd);
	}
	feed_utf8(r, r->u16_out.buf, r->u16_out.len, final);
}

/* The first bytes decide the encoding: a BOM, or (for UTF-16 without one)
 * an ASCII letter followed by a NUL byte. */
static size_t detect_encoding(reader *r, const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe) {
		r->enc = ENC_UTF16LE;
		return 2;
	}
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff) {
		r->enc = ENC_UTF16BE;
		return 2;
	}
	if (n >= 4 && p[0] && p[0] < 0x80 && !p[1] && p[2] && !p[3])
		r->enc = ENC_UTF16LE;
	else if (n >= 4 && !p[0] && p[1] && p[1] < 0x80 && !p[2] && p[3])
		r->enc = ENC_UTF16BE;
	return 0;
}

static void feed(reader *r, const void *data, size_t n, int final)
{
	if (r->enc == ENC_UTF8)
		feed_utf8(r, data, n, final);
	else
		feed_utf16(r, data, n, final);
}

static void reader_init(reader *r, const dg_ldif_opts *o, const char *file, dg_findings *f)
{
	memset(r, 0, sizeof(*r));
	init_attr_chars();
	r->o = o;
	r->file = o->file ? o->file : file;
	r->jpath = o->json_path ? o->json_path : "";
	r->f = f;
	r->max_line = o->max_line ? o->max_line : DG_LDIF_MAX_LINE;
	dg_strbuf_init(&r->u16_out);
	dg_strbuf_init(&r->carry);
	dg_strbuf_init(&r->logical);
	dg_strbuf_init(&r->dn);
	dg_strbuf_init(&r->vals);
	dg_strbuf_init(&r->tmp);
}

static void reader_finish(reader *r)
{
	if (!r->stop) {
		flush_logical(r);
		end_record(r);
		if (!r->nentries) {
			dg_finding *fd = finding(r, DGF_SNAP006, r->lineno ? r->lineno : 1,
						 "the snapshot holds no directory entries");
			hint(fd, "Check that the export ran against the right base DN and filter; "
				 "an LDIF entry starts with a \"dn:\" line.");
		}
	}
	report_suppressed(r);
	dg_strbuf_release(&r->u16_out);
	dg_strbuf_release(&r->carry);
	dg_strbuf_release(&r->logical);
	dg_strbuf_release(&r->dn);
	dg_strbuf_release(&r->vals);
	dg_strbuf_release(&r->tmp);
	free(r->sv);
	free(r->afirst);
	free(r->ahash);
	free(r->battrs);
	free(r->bvals);
}

dg_code dg_ldif_stream_mem(const void *data, size_t len, const dg_ldif_opts *opts,
			   dg_findings *f, dg_error *err)
{
	reader r;
	size_t skip;
	(void)err;
	reader_init(&r, opts, "<memory>", f);
	skip = detect_encoding(&r, data, len);
	feed(&r, (const char *)data + skip, len - skip, 1);
	reader_finish(&r);
	return DG_OK;
}

static ssize_t read_full(int fd, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

dg_code dg_ldif_stream_file(const char *path, const dg_ldif_opts *opts, dg_findings *f,
			    dg_error *err)
{
	reader r;
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC), first = 1;
	dg_code rc = DG_OK;

	if (fd < 0)
		return dg_error_set(err, DG_E_IO, "cannot open snapshot %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return dg_error_set(err, DG_E_IO, "cannot read snapshot %s: it is a directory",
				    path);
	}
	buf = dg_xmalloc(READ_BLOCK);
	reader_init(&r, opts, path, f);
	while (!r.stop) {
		/* full blocks, so that a short read never splits the BOM check */
		ssize_t k = read_full(fd, buf, READ_BLOCK);
		size_t skip = 0;
		if (k < 0) {
			rc = dg_error_set(err, DG_E_IO, "cannot read snapshot %s: %s", path,
					  strerror(errno));
			break;
		}
		if (first)
			skip = detect_encoding(&r, (unsigned char *)buf, (size_t)k);
		first = 0;
		feed(&r, buf + skip, (size_t)k - skip, (size_t)k < READ_BLOCK);
		if ((size_t)k < READ_BLOCK)
			break;
	}
	if (rc == DG_OK)
		reader_finish(&r);
	else {
		r.stop = 1; /* no "no entries" finding for a file we could not read */
		reader_finish(&r);
	}
	free(buf);
	close(fd);
	return rc;
}

/* ---- whole lists ---- */

static int push_entry(void *ctx, dg_entry *e)
{
	dg_entry_list *l = ctx;
	DG_ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	l->items[l->nr++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

dg_code dg_ldif_read_file(const char *path, dg_entry_list *out, dg_findings *f, dg_error *err)
{
	dg_ldif_opts o = { .on_entry = push_entry, .ctx = out };
	return dg_ldif_stream_file(path, &o, f, err);
}

dg_code dg_ldif_read_mem(const void *data, size_t len, const char *name, dg_entry_list *out,
			 dg_findings *f, dg_error *err)
{
	dg_ldif_opts o = { .file = name, .on_entry = push_entry, .ctx = out };
	return dg_ldif_stream_mem(data, len, &o, f, err);
}

/* ---- writer ---- */

#define FOLD_AT 76

/* RFC 2849 SAFE-STRING: ASCII without NUL/CR/LF, not starting with a space,
 * ':' or '<'; and (a SHOULD of the RFC) no trailing space. */
static int safe_string(const char *s, size_t n)
{
	if (!n)
		return 1;
	if (s[0] == ' ' || s[0] == ':' || s[0] == '<' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!c || c == '\n' || c == '\r' || c >= 0x80)
			return 0;
	}
	return 1;
}

/* Appends `line` folded: 76 bytes, then continuation lines of a space and
 * 75 bytes.  Safe anywhere, because everything that is not ASCII is base64. */
static void add_folded(dg_strbuf *out, const char *line, size_t n)
{
	size_t take = n < FOLD_AT ? n : FOLD_AT;
	dg_strbuf_add(out, line, take);
	dg_strbuf_addch(out, '\n');
	for (size_t i = take; i < n; i += FOLD_AT - 1) {
		size_t k = n - i < FOLD_AT - 1 ? n - i : FOLD_AT - 1;
		dg_strbuf_addch(out, ' ');
		dg_strbuf_add(out, line + i, k);
		dg_strbuf_addch(out, '\n');
	}
}

static void write_line(dg_strbuf *out, dg_strbuf *line, const char *name, const char *v,
		       size_t n)
{
	dg_strbuf_reset(line);
	dg_strbuf_adds(line, name);
	if (safe_string(v, n)) {
		dg_strbuf_addch(line, ':');
		if (n) {
			dg_strbuf_addch(line, ' ');
			dg_strbuf_add(line, v, n);
		}
	} else {
		dg_strbuf_add(line, ":: ", 3);
		dg_base64_encode(v, n, line);
	}
	add_folded(out, line->buf, line->len);
}

void dg_ldif_write_header(dg_strbuf *out)
{
	dg_strbuf_adds(out, "version: 1\n\n");
}

void dg_ldif_write_entry(dg_strbuf *out, const dg_entry *e)
{
	dg_strbuf line = DG_STRBUF_INIT;
	const char *dn = e->dn ? e->dn : "";
	write_line(out, &line, "dn", dn, strlen(dn));
	for (size_t i = 0; i < e->nattrs; i++)
		for (size_t j = 0; j < e->attrs[i].nvals; j++)
			write_line(out, &line, e->attrs[i].name, e->attrs[i].vals[j].val,
				   e->attrs[i].vals[j].len);
	dg_strbuf_addch(out, '\n');
	dg_strbuf_release(&line);
}
