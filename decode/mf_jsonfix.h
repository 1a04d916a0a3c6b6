/*
 * mf_jsonfix.h - tolerant JSON reading for device plaintext
 * (../shared/reference/miio.md section 7): NUL trimming, junk after a NUL
 * or after the last complete value,
 * known broken-JSON repairs, control-character removal, several objects
 * back to back.  Every fix applied is recorded by name.
 */
#ifndef MF_JSONFIX_H
#define MF_JSONFIX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_json.h"   /* expansion and redaction live in core */

#define MF_JSONFIX_MAX_PARTS 16
#define MF_JSONFIX_MAX_QUIRKS 12

struct mf_jsonfix {
	cJSON *parts[MF_JSONFIX_MAX_PARTS]; /* owned; NULL after the last */
	size_t nparts;
	const char *quirks[MF_JSONFIX_MAX_QUIRKS]; /* static names */
	size_t nquirks;
	size_t text_off, text_len;  /* the JSON text inside the input, after trimming */
};

/* Parses len bytes.  Returns 0 when at least one object parsed,
 * MF_ERR_FORMAT when nothing did (quirks still say what was tried),
 * MF_ERR_NOMEM.  Input larger than max_len is refused (MF_ERR_LIMIT). */
int mf_jsonfix_parse(const uint8_t *buf, size_t len, size_t max_len, struct mf_jsonfix *out);
void mf_jsonfix_free(struct mf_jsonfix *j);

#endif
