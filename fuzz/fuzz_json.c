/*
 * fuzz_json.c - the tolerant JSON reader for device plaintext
 * (mf_jsonfix), the nested-string expansion and secret redaction.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mf_jsonfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_jsonfix j;
	size_t i;

	if (mf_jsonfix_parse(data, size, 65536, &j) == 0) {
		for (i = 0; i < j.nparts; i++) {
			cJSON *e = mf_json_expand_strings(j.parts[i], 32);
			char *s;

			mf_json_redact_secrets(e, 32);
			s = cJSON_PrintUnformatted(e);
			free(s);
			cJSON_Delete(e);
		}
	}
	mf_jsonfix_free(&j);
	return 0;
}
