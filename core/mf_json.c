/*
 * mf_json.c - JSON helpers every layer shares: a strict parse of exactly n
 * bytes, expansion of JSON documents nested in strings (device logs, Lumi
 * "data", cloud "value" fields), and redaction of secret-bearing keys.
 */
#include "mf_json.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Strict parse of exactly [s, s+n) with only whitespace after the value. */
cJSON *mf_json_parse_exact(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(s, n, &end, 0);

	if (!v)
		return NULL;
	while (end && (size_t)(end - s) < n && isspace((unsigned char)*end))
		end++;
	if (!end || (size_t)(end - s) != n) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

cJSON *mf_json_expand_strings(const cJSON *v, int depth_max)
{
	cJSON *c;

	if (!v)
		return NULL;
	if (cJSON_IsString(v) && depth_max > 0) {
		const char *s = v->valuestring;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == '{' || *s == '[') {
			cJSON *p = mf_json_parse_exact(s, strlen(s));

			if (p) {
				cJSON *e = mf_json_expand_strings(p, depth_max - 1);

				cJSON_Delete(p);
				return e;
			}
		}
		return cJSON_Duplicate(v, 0);
	}
	if ((cJSON_IsArray(v) || cJSON_IsObject(v)) && depth_max > 0) {
		const cJSON *it;

		c = cJSON_IsArray(v) ? cJSON_CreateArray() : cJSON_CreateObject();
		if (!c)
			return NULL;
		for (it = v->child; it; it = it->next) {
			cJSON *e = mf_json_expand_strings(it, depth_max - 1);

			if (!e) {
				cJSON_Delete(c);
				return NULL;
			}
			if (cJSON_IsArray(v))
				cJSON_AddItemToArray(c, e);
			else
				cJSON_AddItemToObject(c, it->string, e);
		}
		return c;
	}
	return cJSON_Duplicate(v, 1);
}

static const char *const secret_keys[] = {
	"token", "passwd", "password", "pwd", "ssecurity", "servicetoken", "passtoken",
	"key", "cloud_key", "wifi_passwd", "psk", "bindkey", "beaconkey", "token_enc", NULL
};

int mf_json_is_secret_key(const char *key)
{
	size_t i;

	for (i = 0; key && secret_keys[i]; i++)
		if (strcasecmp(key, secret_keys[i]) == 0)
			return 1;
	return 0;
}

void mf_json_redact_secrets(cJSON *v, int depth_max)
{
	cJSON *it;

	if (!v || depth_max <= 0)
		return;
	for (it = v->child; it; it = it->next) {
		if (it->string && mf_json_is_secret_key(it->string) && cJSON_IsString(it)) {
			size_t n = strlen(it->valuestring);
			char mark[48];

			snprintf(mark, sizeof(mark), "[redacted:%zu]", n);
			cJSON_SetValuestring(it, mark);
		} else {
			mf_json_redact_secrets(it, depth_max - 1);
		}
	}
}
