/*
 * mf_prefs.c - SharedPreferences XML through expat; see mf_prefs.h for the
 * format sketch.  Text is accumulated per entry into capped buffers; a
 * DOCTYPE is refused (prefs never have one, and it is the door to entity
 * expansion tricks).
 *
 * Control characters: Android writes U+0000..U+001F as "&#N;" (see
 * mf_prefs.h), which expat refuses.  A file holding such references is
 * parsed from a copy in which each one names U+10FF00 + N instead (a
 * plane-16 private-use character, legal XML), and that marker is turned
 * back into the byte once the entries are read:
 *
 *   "a&#1;b"  ->  "a&#x10FF01;b"  -> expat -> 'a' F4 8F BC 81 'b'  ->  'a' 01 'b'
 *
 * A file that already holds F4 8F BC (the markers' UTF-8 prefix) is not
 * rewritten: its references stay an XML error, as before.
 */
#include "mf_prefs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "mf_buf.h"
#include "mf_err.h"

void mf_prefs_limits_default(struct mf_prefs_limits *l)
{
	l->depth_max = 16;
	l->entries_max = 200000;
	l->value_max = 16u << 20;
	l->total_max = 128u << 20;
}

const char *mf_pref_type_name(int type)
{
	switch (type) {
	case MF_PREF_STRING: return "string";
	case MF_PREF_LONG: return "long";
	case MF_PREF_INT: return "int";
	case MF_PREF_BOOL: return "boolean";
	case MF_PREF_FLOAT: return "float";
	case MF_PREF_SET: return "set";
	case MF_PREF_NULL: return "null";
	default: return "other";
	}
}

struct pstate {
	XML_Parser xp;
	const struct mf_prefs_limits *lim;
	struct mf_prefs *out;
	unsigned depth;
	struct mf_pref *cur;     /* entry being filled (depth 2) */
	int in_set_string;       /* inside <set><string> */
	struct mf_buf text;      /* text of the current <string> */
	size_t total;
	int err;                 /* first error, MF_OK while fine */
	char *errbuf;
};

static void stop(struct pstate *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void stop(struct pstate *s, int err, const char *fmt, ...)
{
	char msg[MF_ERRBUF_SIZE];
	va_list ap;

	if (s->err)
		return;
	s->err = err;
	s->out->err_line = (unsigned long)XML_GetCurrentLineNumber(s->xp);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mf_seterr(s->errbuf, err, "%s", msg);
	XML_StopParser(s->xp, XML_FALSE);
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (strcmp(atts[0], name) == 0)
			return atts[1];
	return NULL;
}

static int type_of(const char *el)
{
	static const struct { const char *n; int t; } map[] = {
		{ "string", MF_PREF_STRING }, { "long", MF_PREF_LONG }, { "int", MF_PREF_INT },
		{ "boolean", MF_PREF_BOOL }, { "float", MF_PREF_FLOAT }, { "set", MF_PREF_SET },
		{ "null", MF_PREF_NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(el, map[i].n) == 0)
			return map[i].t;
	return MF_PREF_OTHER;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void XMLCALL on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct pstate *s = ud;
	struct mf_pref *e;
	const char *v;

	if (s->err)
		return;
	s->depth++;
	if (s->depth > s->lim->depth_max) {
		s->out->limit_hit = 1;
		stop(s, MF_ERR_LIMIT, "XML nested deeper than the limit");
		return;
	}
	if (s->depth == 1) {
		s->out->root_is_map = strcmp(el, "map") == 0;
		if (!s->out->root_is_map)
			stop(s, MF_ERR_FORMAT, "document element is <%s>, not <map>", el);
		return;
	}
	if (s->depth == 3 && s->cur && s->cur->type == MF_PREF_SET) {
		s->in_set_string = 1;
		mf_buf_reset(&s->text);
		return;
	}
	if (s->depth != 2)
		return;         /* markup inside a value: its text is kept, tags are not */
	if (s->out->n >= s->lim->entries_max) {
		s->out->limit_hit = 1;
		stop(s, MF_ERR_LIMIT, "more entries than the limit");
		return;
	}
	if (s->out->n == s->out->alloc) {
		size_t na = s->out->alloc ? s->out->alloc * 2 : 32;
		struct mf_pref *nv = realloc(s->out->v, na * sizeof(*nv));

		if (!nv) {
			stop(s, MF_ERR_NOMEM, "out of memory");
			return;
		}
		s->out->v = nv;
		s->out->alloc = na;
	}
	e = &s->out->v[s->out->n++];
	memset(e, 0, sizeof(*e));
	e->type = type_of(el);
	e->line = (unsigned long)XML_GetCurrentLineNumber(s->xp);
	v = attr(atts, "name");
	e->name = strdup(v ? v : "");
	if (e->type == MF_PREF_OTHER)
		e->elem = strdup(el);
	v = attr(atts, "value");
	if (v && e->type != MF_PREF_STRING && e->type != MF_PREF_SET) {
		e->value_len = strlen(v);
		e->value = dupn(v, e->value_len);
	}
	if (!e->name || (e->type == MF_PREF_OTHER && !e->elem)) {
		stop(s, MF_ERR_NOMEM, "out of memory");
		return;
	}
	s->cur = e;
	mf_buf_reset(&s->text);
}

static void add_text(struct pstate *s, const char *t, size_t n)
{
	int rc;

	if (n > s->lim->total_max - s->total) {
		s->out->limit_hit = 1;
		stop(s, MF_ERR_LIMIT, "more XML text than the limit");
		return;
	}
	if (s->text.len + n > s->lim->value_max) {
		s->out->truncated_values = 1;
		n = s->lim->value_max > s->text.len ? s->lim->value_max - s->text.len : 0;
		n = mf_utf8_prefix(t, n);
	}
	rc = mf_buf_add(&s->text, t, n);
	if (rc)
		stop(s, MF_ERR_NOMEM, "out of memory");
	s->total += n;
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len)
{
	struct pstate *s = ud;

	if (s->err || len <= 0 || !s->cur)
		return;
	if (s->cur->type == MF_PREF_SET) {
		if (s->in_set_string)
			add_text(s, t, (size_t)len);
		return;
	}
	if (s->depth >= 2)
		add_text(s, t, (size_t)len);
}

static void XMLCALL on_end(void *ud, const XML_Char *el)
{
	struct pstate *s = ud;
	struct mf_pref *e = s->cur;

	(void)el;
	if (s->err)
		return;
	if (s->depth == 3 && e && e->type == MF_PREF_SET && s->in_set_string) {
		char **nv = realloc(e->set, (e->nset + 1) * sizeof(*nv));
		char *m = dupn(s->text.data ? (const char *)s->text.data : "", s->text.len);

		s->in_set_string = 0;
		if (!nv || !m) {
			free(m);
			if (nv)
				e->set = nv;
			stop(s, MF_ERR_NOMEM, "out of memory");
			return;
		}
		e->set = nv;
		e->set[e->nset++] = m;
		mf_buf_reset(&s->text);
	} else if (s->depth == 2 && e) {
		if (!e->value) {
			e->value_len = e->type == MF_PREF_SET ? 0 : s->text.len;
			e->value = dupn(s->text.data && e->type != MF_PREF_SET ?
			    (const char *)s->text.data : "", e->value_len);
			if (!e->value)
				stop(s, MF_ERR_NOMEM, "out of memory");
		}
		s->cur = NULL;
	}
	if (s->depth)
		s->depth--;
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal)
{
	struct pstate *s = ud;

	(void)sysid; (void)pubid; (void)has_internal;
	stop(s, MF_ERR_FORMAT, "DOCTYPE <%s> refused (prefs files have none)", name);
}

/* ---- Android's control-character references ---- */

#define MARK0 0xf4
#define MARK1 0x8f
#define MARK2 0xbc      /* U+10FF00 + N = F4 8F BC (80 + N), N < 32 */

/* The length of a reference "&#N;" / "&#xN;" at s that names a control
 * character XML 1.0 forbids (all below 32 but 9, 10, 13), with *cp; else 0. */
static size_t ctrl_ref(const uint8_t *s, size_t n, unsigned *cp)
{
	size_t i = 2, d0;
	int hex;
	unsigned v = 0;

	if (n < 4 || s[0] != '&' || s[1] != '#')
		return 0;
	hex = s[2] == 'x' || s[2] == 'X';
	i += (size_t)hex;
	d0 = i;
	for (; i < n && i - d0 < 8; i++) {
		int c = s[i];

		if (c >= '0' && c <= '9')
			v = v * (hex ? 16 : 10) + (unsigned)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (hex && c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			break;
	}
	if (i == d0 || i >= n || s[i] != ';' || v >= 32 || v == 9 || v == 10 || v == 13)
		return 0;
	*cp = v;
	return i + 1;
}

/* A copy of buf with every forbidden reference replaced by its marker;
 * NULL (and *outlen 0) when there is none or the markers would be
 * ambiguous.  *nomem is set on allocation failure. */
static uint8_t *mark_ctrl_refs(const uint8_t *buf, size_t len, size_t *outlen, int *nomem)
{
	static const uint8_t pfx[3] = { MARK0, MARK1, MARK2 };
	size_t i, o = 0, refs = 0;
	uint8_t *r;
	unsigned cp;

	*outlen = 0;
	*nomem = 0;
	for (i = 0; i + 4 <= len; i++) {
		size_t k;

		if (buf[i] == '&' && (k = ctrl_ref(buf + i, len - i, &cp)) != 0) {
			refs++;
			i += k - 1;
		}
	}
	if (!refs || memmem(buf, len, pfx, sizeof(pfx)))
		return NULL;
	/* "&#x10FFNN;" is 10 bytes, a reference at least 4 */
	r = malloc(len + refs * 6 + 1);
	if (!r) {
		*nomem = 1;
		return NULL;
	}
	for (i = 0; i < len; i++) {
		size_t k;

		if (buf[i] == '&' && (k = ctrl_ref(buf + i, len - i, &cp)) != 0) {
			o += (size_t)sprintf((char *)r + o, "&#x10FF%02X;", cp);
			i += k - 1;
		} else {
			r[o++] = buf[i];
		}
	}
	*outlen = o;
	return r;
}

/* Turns the markers of s (n bytes, NUL-terminated) back into control
 * bytes, in place; NUL becomes U+FFFD.  Returns the new length. */
static size_t unmark(char *s, size_t n, struct mf_prefs *out)
{
	size_t i = 0, o = 0;

	if (!s)
		return 0;
	while (i < n) {
		const uint8_t *u = (const uint8_t *)s + i;

		if (n - i >= 4 && u[0] == MARK0 && u[1] == MARK1 && u[2] == MARK2 &&
		    u[3] >= 0x80 && u[3] < 0xa0) {
			out->ctrl_refs++;
			if (u[3] == 0x80) {
				out->nul_replaced++;
				memcpy(s + o, "\xef\xbf\xbd", 3);
				o += 3;
			} else {
				s[o++] = (char)(u[3] - 0x80);
			}
			i += 4;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = '\0';
	return o;
}

static void unmark_all(struct mf_prefs *out)
{
	size_t i, k;

	for (i = 0; i < out->n; i++) {
		struct mf_pref *e = &out->v[i];

		if (e->name)
			unmark(e->name, strlen(e->name), out);
		if (e->elem)
			unmark(e->elem, strlen(e->elem), out);
		if (e->value)
			e->value_len = unmark(e->value, e->value_len, out);
		for (k = 0; k < e->nset; k++)
			unmark(e->set[k], strlen(e->set[k]), out);
	}
}

int mf_prefs_parse(const uint8_t *buf, size_t len, const struct mf_prefs_limits *lim,
                   struct mf_prefs *out, char *errbuf)
{
	struct mf_prefs_limits dl;
	struct pstate s;
	uint8_t *marked;
	size_t off = 0, mlen;
	int rc = 0, nomem;

	memset(out, 0, sizeof(*out));
	if (!lim) {
		mf_prefs_limits_default(&dl);
		lim = &dl;
	}
	if (len >= 4 && memcmp(buf, "ABX", 3) == 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "Android binary XML (ABX) is not supported; convert with abx2xml");
	marked = mark_ctrl_refs(buf, len, &mlen, &nomem);
	if (nomem)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	if (marked) {
		buf = marked;
		len = mlen;
	}
	memset(&s, 0, sizeof(s));
	s.lim = lim;
	s.out = out;
	s.errbuf = errbuf;
	mf_buf_init(&s.text, lim->value_max + 1);
	s.xp = XML_ParserCreate("UTF-8");
	if (!s.xp) {
		free(marked);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	XML_SetUserData(s.xp, &s);
	XML_SetElementHandler(s.xp, on_start, on_end);
	XML_SetCharacterDataHandler(s.xp, on_text);
	XML_SetStartDoctypeDeclHandler(s.xp, on_doctype);
	/* expat takes int lengths: feed in chunks */
	do {
		size_t n = len - off > (1u << 20) ? (1u << 20) : len - off;
		int final = off + n == len;

		if (XML_Parse(s.xp, (const char *)buf + off, (int)n, final) == XML_STATUS_ERROR) {
			if (!s.err) {
				s.err = MF_ERR_FORMAT;
				out->err_line = (unsigned long)XML_GetCurrentLineNumber(s.xp);
				mf_seterr(errbuf, MF_ERR_FORMAT, "XML error at line %lu column %lu: %s",
				    out->err_line,
				    (unsigned long)XML_GetCurrentColumnNumber(s.xp),
				    XML_ErrorString(XML_GetErrorCode(s.xp)));
			}
			break;
		}
		off += n;
	} while (off < len);
	if (!s.err && !out->root_is_map)
		mf_seterr(errbuf, s.err = MF_ERR_FORMAT, "no <map> element");
	/* an entry still open when the parser stopped keeps the text so far */
	if (s.cur && !s.cur->value) {
		s.cur->value_len = s.cur->type == MF_PREF_SET ? 0 : s.text.len;
		s.cur->value = dupn(s.text.data && s.cur->type != MF_PREF_SET ?
		    (const char *)s.text.data : "", s.cur->value_len);
	}
	rc = s.err;
	XML_ParserFree(s.xp);
	mf_buf_free(&s.text);
	if (marked) {
		unmark_all(out);
		free(marked);
	}
	return rc;
}

void mf_prefs_free(struct mf_prefs *p)
{
	size_t i, k;

	for (i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
		free(p->v[i].elem);
		for (k = 0; k < p->v[i].nset; k++)
			free(p->v[i].set[k]);
		free(p->v[i].set);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* ---- JSON helpers ---- */

static int entity(const char *s, size_t n, unsigned long *cp, size_t *used)
{
	static const struct { const char *name; unsigned long cp; } ents[] = {
		{ "quot;", '"' }, { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "apos;", '\'' }, { "nbsp;", 0xa0 },
	};
	size_t i, k;

	/* s points after '&' */
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		size_t l = strlen(ents[i].name);

		if (n >= l && memcmp(s, ents[i].name, l) == 0) {
			*cp = ents[i].cp;
			*used = l;
			return 1;
		}
	}
	if (n >= 3 && s[0] == '#') {
		int hex = s[1] == 'x' || s[1] == 'X';
		unsigned long v = 0;

		for (k = hex ? 2 : 1; k < n && k < 12; k++) {
			int c = (unsigned char)s[k], d;

			if (c == ';')
				break;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return 0;
			v = v * (hex ? 16 : 10) + (unsigned long)d;
		}
		if (k < n && s[k] == ';' && k > (size_t)(hex ? 2 : 1) && v > 0 && v <= 0x10ffff &&
		    (v < 0xd800 || v > 0xdfff)) {      /* a surrogate is no character */
			*cp = v;
			*used = k + 1;
			return 1;
		}
	}
	return 0;
}

static size_t put_utf8(unsigned long cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t mf_html_unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	/* an entity is at least 4 bytes and its UTF-8 at most 4: never grows */
	while (i < n) {
		unsigned long cp;
		size_t used;

		if (s[i] == '&' && entity(s + i + 1, n - i - 1, &cp, &used)) {
			o += put_utf8(cp, out + o);
			i += used + 1;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
	return o;
}

size_t mf_utf8_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t j = n, need;

	/* back over at most 3 continuation bytes to the last lead byte */
	while (j > 0 && n - j < 3 && (u[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0 || u[j - 1] < 0xc0)
		return n;          /* ASCII or a stray continuation: nothing to mend */
	need = u[j - 1] >= 0xf0 ? 4 : u[j - 1] >= 0xe0 ? 3 : 2;
	return n - (j - 1) < need ? j - 1 : n;
}

int mf_json_depth(const cJSON *v)
{
	int d = 0;
	const cJSON *c;

	if (!v || !(cJSON_IsArray(v) || cJSON_IsObject(v)))
		return 0;
	for (c = v->child; c; c = c->next) {
		int k = mf_json_depth(c);

		if (k > d)
			d = k;
	}
	return d + 1;
}

static cJSON *parse_depth(const char *s, size_t n, int depth_max)
{
	cJSON *j = cJSON_ParseWithLength(s, n);

	if (j && mf_json_depth(j) > depth_max) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static int looks_json(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	return i < n && (s[i] == '{' || s[i] == '[' || s[i] == '"' || s[i] == '-' ||
	    (s[i] >= '0' && s[i] <= '9') || s[i] == 't' || s[i] == 'f' || s[i] == 'n' ||
	    s[i] == '&');
}

cJSON *mf_json_lenient(const char *s, size_t n, int depth_max, int *how)
{
	cJSON *j;
	char *u;

	if (how)
		*how = 0;
	if (!s || !looks_json(s, n))
		return NULL;
	j = parse_depth(s, n, depth_max);
	if (j || !memchr(s, '&', n))
		return j;
	u = malloc(n + 1);
	if (!u)
		return NULL;
	n = mf_html_unescape(s, n, u);
	j = parse_depth(u, n, depth_max);
	free(u);
	if (j && how)
		*how = 1;
	return j;
}

static cJSON *expand(const cJSON *v, int depth, int depth_max)
{
	cJSON *o, *c;
	const cJSON *it;

	if (depth > depth_max)
		return cJSON_Duplicate(v, 1);
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		size_t n = strlen(s), i = 0;

		while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t'))
			i++;
		if (i < n && (s[i] == '[' || s[i] == '{')) {
			cJSON *p = parse_depth(s, n, depth_max - depth);

			if (p) {
				c = expand(p, depth, depth_max);
				cJSON_Delete(p);
				return c;
			}
		}
		return cJSON_Duplicate(v, 1);
	}
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return cJSON_Duplicate(v, 1);
	o = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
	if (!o)
		return NULL;
	for (it = v->child; it; it = it->next) {
		c = expand(it, depth + 1, depth_max);
		if (!c) {
			cJSON_Delete(o);
			return NULL;
		}
		if (cJSON_IsArray(o))
			cJSON_AddItemToArray(o, c);
		else
			cJSON_AddItemToObject(o, it->string ? it->string : "", c);
	}
	return o;
}

cJSON *mf_json_expand(const cJSON *v, int depth_max)
{
	return expand(v, 0, depth_max);
}

static int all_digits(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s || *s == '0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

cJSON *mf_pref_to_json(const struct mf_pref *e, int depth_max)
{
	cJSON *j, *a;
	size_t i;
	char *end;

	switch (e->type) {
	case MF_PREF_STRING:
		j = mf_json_lenient(e->value, e->value_len, depth_max, NULL);
		if (j && (cJSON_IsArray(j) || cJSON_IsObject(j)))
			return j;
		cJSON_Delete(j);
		return cJSON_CreateString(e->value ? e->value : "");
	case MF_PREF_LONG:
	case MF_PREF_INT:
	case MF_PREF_FLOAT: {
		double d;

		errno = 0;
		d = strtod(e->value ? e->value : "", &end);
		if (e->value && *e->value && !*end && errno == 0) {
			/* longs beyond 2^53 are written exactly */
			if (e->type == MF_PREF_LONG && (d > 9007199254740992.0 ||
			    d < -9007199254740992.0) && all_digits(e->value))
				return cJSON_CreateRaw(e->value);
			return cJSON_CreateNumber(d);
		}
		return cJSON_CreateString(e->value ? e->value : "");
	}
	case MF_PREF_BOOL:
		if (e->value && strcmp(e->value, "true") == 0)
			return cJSON_CreateTrue();
		if (e->value && strcmp(e->value, "false") == 0)
			return cJSON_CreateFalse();
		return cJSON_CreateString(e->value ? e->value : "");
	case MF_PREF_SET:
		a = cJSON_CreateArray();
		for (i = 0; a && i < e->nset; i++) {
			j = mf_json_lenient(e->set[i], strlen(e->set[i]), depth_max, NULL);
			if (!j || !(cJSON_IsArray(j) || cJSON_IsObject(j))) {
				cJSON_Delete(j);
				j = cJSON_CreateString(e->set[i]);
			}
			cJSON_AddItemToArray(a, j);
		}
		return a;
	case MF_PREF_NULL:
		return cJSON_CreateNull();
	default:
		return cJSON_CreateString(e->value ? e->value : "");
	}
}
