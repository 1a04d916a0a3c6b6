/*
 * mf_json.h - shared JSON helpers (see mf_json.c).
 */
#ifndef MF_JSON_H
#define MF_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parses exactly [s, s+n): a value followed only by whitespace; NULL
 * otherwise. */
cJSON *mf_json_parse_exact(const char *s, size_t n);

/* Deep copy of v where string values that are themselves JSON documents
 * ('{' or '[' first) are replaced by their parsed form. */
cJSON *mf_json_expand_strings(const cJSON *v, int depth_max);

/* Replaces the values of secret-bearing keys (token, passwd, password,
 * ssecurity, serviceToken, passToken, ...) by a redaction marker, in place. */
void mf_json_redact_secrets(cJSON *v, int depth_max);
/* Is this object key a secret? (case-insensitive) */
int mf_json_is_secret_key(const char *key);

#endif
