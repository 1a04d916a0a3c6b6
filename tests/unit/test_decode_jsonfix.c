/* The miIO plaintext quirks of miio.md section 7, one by one. */
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"
#include "mf_jsonfix.h"
#include "mf_test.h"

static int has_quirk(const struct mf_jsonfix *j, const char *q)
{
	size_t i;

	for (i = 0; i < j->nquirks; i++)
		if (strcmp(j->quirks[i], q) == 0)
			return 1;
	return 0;
}

static char *printed(const cJSON *v)
{
	static char buf[512];
	char *p = cJSON_PrintUnformatted(v);

	snprintf(buf, sizeof(buf), "%s", p ? p : "(null)");
	free(p);
	return buf;
}

static void one(const char *in, size_t n, const char *want, const char *quirk)
{
	struct mf_jsonfix j;
	int rc = mf_jsonfix_parse((const uint8_t *)in, n, 65536, &j);

	CHECK_EQ_INT(rc, 0);
	if (rc != 0)
		fprintf(stderr, "  input: %s\n", in);
	if (rc == 0) {
		CHECK_EQ_INT(j.nparts, 1);
		CHECK_EQ_STR(printed(j.parts[0]), want);
		if (quirk)
			CHECK(has_quirk(&j, quirk) || !fprintf(stderr, "  missing %s for %s\n", quirk, in));
		else
			CHECK_EQ_INT(j.nquirks, 0);
	}
	mf_jsonfix_free(&j);
}

int main(void)
{
	struct mf_jsonfix j;
	cJSON *v, *e;

	one("{\"id\":1}", 8, "{\"id\":1}", NULL);
	one("{\"id\": 1, \"method\": \"x\"}\0", 26, "{\"id\":1,\"method\":\"x\"}", "trailing_nul");
	one("{\"id\": 123456}\0k", 16, "{\"id\":123456}", "junk_after_nul");
	one("{\"id\":2,\"result\":,\"exe_time\":0}", 31, "{\"id\":2,\"exe_time\":0}",
	    "broken_json:result_empty");
	one("{\"a\":1,,\"otu_stat\":[1]}", 23, "{\"a\":1,\"otu_stat\":[1]}", "broken_json:otu_stat");
	/* cJSON reads a leading-zero number by itself: no repair needed */
	one("{\"value\":00}", 12, "{\"value\":0}", NULL);
	one("{\"a\":1,,\"b\":2}", 14, "{\"a\":1,\"b\":2}", "broken_json:double_comma");
	one("{\"v\":[,]}", 9, "{\"v\":[null,null]}", "broken_json:empty_pair");
	/* cJSON itself tolerates raw control bytes inside strings (kept, then
	 * escaped on output); a DEL after the object needs the removal pass */
	one("{\"a\":\"x\x01y\"}", 11, "{\"a\":\"x\\u0001y\"}", NULL);
	one("{\"a\":1}\x7f", 8, "{\"a\":1}", "control_chars");
	/* valid UTF-8 passes untouched */
	one("{\"name\":\"\xe5\xae\xa2\xe5\x8e\x85\"}", 17, "{\"name\":\"\xe5\xae\xa2\xe5\x8e\x85\"}", NULL);

	/* two objects back to back, a brace inside a string must not split */
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"{\"id\":1,\"s\":\"}{\"}{\"id\":2}", 25,
	    65536, &j), 0);
	CHECK_EQ_INT(j.nparts, 2);
	CHECK(has_quirk(&j, "concatenated"));
	CHECK_EQ_STR(printed(j.parts[1]), "{\"id\":2}");
	mf_jsonfix_free(&j);

	/* bytes after the JSON without a NUL before them (a stale buffer) */
	one("{\"result\":[\"on\"],\"id\":8}\n\x01\x02junk", 31, "{\"result\":[\"on\"],\"id\":8}",
	    "junk_after_json");
	one("{\"id\":3,\"result\":0}\xff\xfe{\"i", 25, "{\"id\":3,\"result\":0}", "junk_after_json");
	one("{\"id\":2,\"result\":,\"exe_time\":0}garbage", 38, "{\"id\":2,\"exe_time\":0}",
	    "junk_after_json");
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"{\"a\":1}{\"b\":2}}x", 17, 65536, &j), 0);
	CHECK_EQ_INT(j.nparts, 2);
	CHECK(has_quirk(&j, "concatenated") && has_quirk(&j, "junk_after_json"));
	mf_jsonfix_free(&j);
	/* bytes that are not UTF-8 are kept (and noted); valid UTF-8 is no quirk */
	one("{\"name\":\"K\xfc" "che\"}", 16, "{\"name\":\"K\xfc" "che\"}", "non_utf8");
	/* a value cut short is not "junk after JSON": nothing complete */
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"{\"id\":1,\"result\":[", 19, 65536, &j),
	    MF_ERR_FORMAT);
	mf_jsonfix_free(&j);

	/* nothing parses */
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"\x8f\x01garbage", 9, 65536, &j),
	    MF_ERR_FORMAT);
	CHECK_EQ_INT(j.nparts, 0);
	mf_jsonfix_free(&j);
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"{}", 2, 1, &j), MF_ERR_LIMIT);
	CHECK_EQ_INT(mf_jsonfix_parse((const uint8_t *)"", 0, 10, &j), MF_ERR_FORMAT);

	/* nested JSON strings (section 7.6) */
	v = cJSON_Parse("{\"device_log\":\"[12629,[\\\"event.motion\\\",[]]]\",\"n\":\"{x\"}");
	e = mf_json_expand_strings(v, 16);
	CHECK_EQ_STR(printed(e), "{\"device_log\":[12629,[\"event.motion\",[]]],\"n\":\"{x\"}");
	cJSON_Delete(e);
	cJSON_Delete(v);

	v = cJSON_Parse("{\"result\":{\"token\":\"00112233445566778899aabbccddeeff\","
	    "\"ap\":{\"ssid\":\"home\",\"passwd\":\"hunter22\"}}}");
	mf_json_redact_secrets(v, 16);
	CHECK_EQ_STR(printed(v),
	    "{\"result\":{\"token\":\"[redacted:32]\",\"ap\":{\"ssid\":\"home\",\"passwd\":\"[redacted:8]\"}}}");
	cJSON_Delete(v);
	return TEST_DONE();
}
