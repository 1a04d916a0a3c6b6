/*
 * mf_jsonfix.c - tolerant JSON for miIO plaintext.
 *
 * Reference: ../shared/reference/miio.md section 7; python-miio
 * miio/protocol.py (EncryptionAdapter._decode quirks), aholstenson/miio
 * lib/safeishJSON.js.  Order of the steps:
 *
 *   plaintext --strip trailing NULs--> --cut at last NUL--> split top-level
 *   objects (brace depth, strings respected; bytes after the last complete
 *   one that are not JSON are dropped as junk) --> per part: parse as is,
 *   else each known repair in turn, else control characters removed.
 */
#include "mf_jsonfix.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_err.h"
#include "mf_json.h"

static void quirk(struct mf_jsonfix *j, const char *q)
{
	size_t i;

	for (i = 0; i < j->nquirks; i++)
		if (strcmp(j->quirks[i], q) == 0)
			return;
	if (j->nquirks < MF_JSONFIX_MAX_QUIRKS)
		j->quirks[j->nquirks++] = q;
}

void mf_jsonfix_free(struct mf_jsonfix *j)
{
	size_t i;

	for (i = 0; i < j->nparts; i++)
		cJSON_Delete(j->parts[i]);
	j->nparts = 0;
}

struct repair {
	const char *find, *repl, *name;
};

static const struct repair repairs[] = {
	{ ",,\"otu_stat\"", ",\"otu_stat\"", "broken_json:otu_stat" },
	{ "\"value\":00", "\"value\":0", "broken_json:value_00" },
	{ ",,", ",", "broken_json:double_comma" },
	{ "\"result\":,", "", "broken_json:result_empty" },
	{ "[,]", "[null,null]", "broken_json:empty_pair" },
};

/* Replaces every occurrence of r->find in b; returns 1 when something changed. */
static int apply(struct mf_buf *b, const struct repair *r, struct mf_buf *tmp)
{
	size_t fl = strlen(r->find), i = 0;
	int changed = 0;

	mf_buf_reset(tmp);
	while (i < b->len) {
		if (b->len - i >= fl && memcmp(b->data + i, r->find, fl) == 0) {
			if (mf_buf_addstr(tmp, r->repl) != 0)
				return -1;
			i += fl;
			changed = 1;
		} else {
			if (mf_buf_addc(tmp, b->data[i]) != 0)
				return -1;
			i++;
		}
	}
	if (changed) {
		mf_buf_reset(b);
		if (mf_buf_add(b, tmp->data, tmp->len) != 0)
			return -1;
	}
	return changed;
}

static int is_ctl(uint8_t c)
{
	/* the set one client deletes (section 7.4); \n and \r are kept */
	return c <= 0x09 || c == 0x0b || c == 0x0c || (c >= 0x0e && c <= 0x1f) || c == 0x7f;
}

/* C1 controls (0x80-0x9f) are only removed as raw bytes when they are not
 * part of a UTF-8 sequence, so valid UTF-8 text passes through. */
static int parse_part(const uint8_t *s, size_t n, size_t max_len, struct mf_jsonfix *j,
                      cJSON **out)
{
	struct mf_buf b, tmp;
	size_t i;
	int rc = MF_ERR_FORMAT;

	*out = mf_json_parse_exact((const char *)s, n);
	if (*out)
		return 0;
	mf_buf_init(&b, max_len * 2 + 64);
	mf_buf_init(&tmp, max_len * 2 + 64);
	if (mf_buf_add(&b, s, n) != 0) {
		rc = MF_ERR_NOMEM;
		goto done;
	}
	for (i = 0; i < sizeof(repairs) / sizeof(repairs[0]); i++) {
		int ch = apply(&b, &repairs[i], &tmp);

		if (ch < 0) {
			rc = MF_ERR_NOMEM;
			goto done;
		}
		if (ch) {
			quirk(j, repairs[i].name);
			*out = mf_json_parse_exact((const char *)b.data, b.len);
			if (*out) {
				rc = 0;
				goto done;
			}
		}
	}
	mf_buf_reset(&tmp);
	for (i = 0; i < b.len; i++)
		if (!is_ctl(b.data[i]) && mf_buf_addc(&tmp, b.data[i]) != 0) {
			rc = MF_ERR_NOMEM;
			goto done;
		}
	if (tmp.len != b.len) {
		quirk(j, "control_chars");
		*out = mf_json_parse_exact((const char *)tmp.data, tmp.len);
		if (*out)
			rc = 0;
	}
done:
	mf_buf_free(&b);
	mf_buf_free(&tmp);
	return rc;
}

/* Top-level value boundaries by brace/bracket depth, strings respected.
 * Returns the number of complete values found before the first byte that
 * is neither whitespace nor inside one of them; *junk is that byte's
 * offset, or n when the text is only values and whitespace. */
static size_t split(const uint8_t *s, size_t n, size_t off[], size_t len[], size_t max,
                    size_t *junk)
{
	size_t i, k = 0, start = 0;
	int depth = 0, in_str = 0, esc = 0;

	*junk = n;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"' && depth > 0) {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (depth == 0)
				start = i;
			depth++;
		} else if ((c == '}' || c == ']') && depth > 0) {
			if (--depth == 0) {
				if (k == max)
					break;
				off[k] = start;
				len[k] = i + 1 - start;
				k++;
			}
		} else if (depth == 0 && !isspace(c)) {
			break;
		}
	}
	if (i < n || depth != 0) {
		/* the first byte of the unfinished value, or of the junk */
		*junk = depth ? start : i;
	}
	return k;
}

int mf_jsonfix_parse(const uint8_t *buf, size_t len, size_t max_len, struct mf_jsonfix *j)
{
	size_t n = len, off[MF_JSONFIX_MAX_PARTS], plen[MF_JSONFIX_MAX_PARTS], k, i, junk;
	const uint8_t *s = buf;
	cJSON *v;
	int rc;

	memset(j, 0, sizeof(*j));
	if (len > max_len)
		return MF_ERR_LIMIT;
	while (n > 0 && s[n - 1] == 0) {
		n--;
		quirk(j, "trailing_nul");
	}
	if (n > 0 && memchr(s, 0, n)) {
		const uint8_t *last = s + n;

		while (last > s && last[-1] != 0)
			last--;
		n = (size_t)(last - s) - 1;
		while (n > 0 && s[n - 1] == 0)
			n--;
		quirk(j, "junk_after_nul");
	}
	j->text_off = 0;
	j->text_len = n;
	if (!mf_utf8_valid(s, n))
		quirk(j, "non_utf8");   /* kept as is; written escaped (mf_event) */
	rc = parse_part(s, n, max_len, j, &v);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc == 0) {
		j->parts[j->nparts++] = v;
		return 0;
	}
	k = split(s, n, off, plen, MF_JSONFIX_MAX_PARTS, &junk);
	if (k == 0 || (k == 1 && junk == n))
		return MF_ERR_FORMAT;
	if (k > 1)
		quirk(j, "concatenated");
	if (junk < n) {
		/* bytes after the last complete value that are not JSON (a
		 * firmware's stale buffer, no NUL before it): the values stand */
		quirk(j, "junk_after_json");
		j->text_len = junk;
	}
	for (i = 0; i < k; i++) {
		rc = parse_part(s + off[i], plen[i], max_len, j, &v);
		if (rc == MF_ERR_NOMEM) {
			mf_jsonfix_free(j);
			return rc;
		}
		if (rc == 0)
			j->parts[j->nparts++] = v;
	}
	return j->nparts ? 0 : MF_ERR_FORMAT;
}
