/*
 * test_parsers_prefs.c - SharedPreferences XML (every element type,
 * escaping, damage, limits) and the lenient JSON helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"
#include "mf_prefs.h"
#include "mf_test.h"

static const char *xml =
    "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
    "<map>\n"
    "    <string name=\"json\">{&quot;a&quot;:[1,2],&quot;s&quot;:&quot;x&lt;y&quot;}</string>\n"
    "    <string name=\"html\">{&amp;quot;k&amp;quot;:&amp;quot;v&amp;quot;}</string>\n"
    "    <string name=\"plain\">hello &amp; bye</string>\n"
    "    <string name=\"empty\"></string>\n"
    "    <long name=\"l\" value=\"1714636800123\" />\n"
    "    <long name=\"big\" value=\"9223372036854775807\" />\n"
    "    <int name=\"i\" value=\"-5\" />\n"
    "    <boolean name=\"b\" value=\"true\" />\n"
    "    <float name=\"f\" value=\"1.5\" />\n"
    "    <null name=\"n\" />\n"
    "    <set name=\"s\">\n"
    "        <string>{&amp;quot;did&amp;quot;:&amp;quot;1&amp;quot;}</string>\n"
    "        <string>two</string>\n"
    "    </set>\n"
    "    <string name=\"utf\">客厅 M&#252;nchen</string>\n"
    "</map>\n";

static const struct mf_pref *find(const struct mf_prefs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

static void test_types(void)
{
	struct mf_prefs p;
	char eb[MF_ERRBUF_SIZE] = "";
	const struct mf_pref *e;
	cJSON *j;
	char *s;

	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)xml, strlen(xml), NULL, &p, eb), 0);
	CHECK_EQ_INT(p.n, 12);
	CHECK(p.root_is_map);
	e = find(&p, "json");
	CHECK(e && e->type == MF_PREF_STRING);
	CHECK_EQ_STR(e ? e->value : NULL, "{\"a\":[1,2],\"s\":\"x<y\"}");
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK(cJSON_IsObject(j));
	CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "a")), 2);
	cJSON_Delete(j);
	/* escaped twice: HTML-unescape once and retry */
	e = find(&p, "html");
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "k")), "v");
	cJSON_Delete(j);
	e = find(&p, "plain");
	CHECK_EQ_STR(e ? e->value : NULL, "hello & bye");
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK(cJSON_IsString(j));
	cJSON_Delete(j);
	e = find(&p, "empty");
	CHECK(e && e->value && e->value_len == 0);
	e = find(&p, "l");
	CHECK(e && e->type == MF_PREF_LONG);
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK(cJSON_IsNumber(j) && j->valuedouble == 1714636800123.0);
	cJSON_Delete(j);
	/* a long past 2^53 stays exact */
	e = find(&p, "big");
	j = e ? mf_pref_to_json(e, 16) : NULL;
	s = j ? cJSON_PrintUnformatted(j) : NULL;
	CHECK_EQ_STR(s, "9223372036854775807");
	free(s);
	cJSON_Delete(j);
	e = find(&p, "i");
	CHECK(e && e->type == MF_PREF_INT && strcmp(e->value, "-5") == 0);
	e = find(&p, "b");
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK(cJSON_IsTrue(j));
	cJSON_Delete(j);
	e = find(&p, "f");
	CHECK(e && e->type == MF_PREF_FLOAT);
	e = find(&p, "n");
	CHECK(e && e->type == MF_PREF_NULL);
	e = find(&p, "s");
	CHECK(e && e->type == MF_PREF_SET && e->nset == 2);
	j = e ? mf_pref_to_json(e, 16) : NULL;
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "did")),
	    "1");
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetArrayItem(j, 1)), "two");
	cJSON_Delete(j);
	e = find(&p, "utf");
	CHECK_EQ_STR(e ? e->value : NULL, "客厅 München");
	mf_prefs_free(&p);
}

static void test_damage(void)
{
	static const char cut[] = "<map><string name=\"a\">one</string><string name=\"b\">tw";
	static const char doctype[] = "<?xml version='1.0'?><!DOCTYPE map [<!ENTITY x \"y\">]>"
	    "<map><string name=\"a\">&x;</string></map>";
	static const char notmap[] = "<set><string>a</string></set>";
	struct mf_prefs p;
	struct mf_prefs_limits lim;
	char eb[MF_ERRBUF_SIZE] = "", deep[2000];
	size_t i, o = 0;

	/* a cut file keeps what precedes the damage, the open entry included */
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)cut, strlen(cut), NULL, &p, eb),
	    MF_ERR_FORMAT);
	CHECK(strstr(eb, "XML error") != NULL);
	CHECK_EQ_INT(p.n, 2);
	CHECK_EQ_STR(p.n == 2 ? p.v[1].value : NULL, "tw");
	mf_prefs_free(&p);
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)doctype, strlen(doctype), NULL, &p, eb),
	    MF_ERR_FORMAT);
	CHECK(strstr(eb, "DOCTYPE") != NULL);
	mf_prefs_free(&p);
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)notmap, strlen(notmap), NULL, &p, eb),
	    MF_ERR_FORMAT);
	mf_prefs_free(&p);
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)"ABX\0xx", 6, NULL, &p, eb), MF_ERR_FORMAT);
	CHECK(strstr(eb, "ABX") != NULL);
	mf_prefs_free(&p);
	/* depth and value caps */
	o += (size_t)snprintf(deep + o, sizeof(deep) - o, "<map>");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(deep + o, sizeof(deep) - o, "<a>");
	mf_prefs_limits_default(&lim);
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)deep, o, &lim, &p, eb), MF_ERR_LIMIT);
	CHECK(p.limit_hit);
	mf_prefs_free(&p);
	lim.value_max = 4;
	{
		static const char v[] = "<map><string name=\"a\">123456789</string></map>";

		CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)v, sizeof(v) - 1, &lim, &p, eb), 0);
	}
	CHECK(p.truncated_values);
	CHECK_EQ_STR(p.n ? p.v[0].value : NULL, "1234");
	mf_prefs_free(&p);
}

/* Android's FastXmlSerializer writes control characters as "&#N;", which
 * XML 1.0 forbids; its own reader accepts them, and so must we. */
static void test_android_ctrl(void)
{
	static const char x[] =
	    "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
	    "<map>\n"
	    "    <string name=\"k&#1;\">a&#1;b&#10;c&#x1f;d&#0;e&#9;</string>\n"
	    "    <set name=\"s\"><string>&#27;[0m</string></set>\n"
	    "    <string name=\"after\">{&quot;homelist&quot;:[]}</string>\n"
	    "</map>\n";
	/* a file already holding the markers' bytes is left as it was */
	static const char clash[] = "<map><string name=\"a\">\xf4\x8f\xbc\x81&#1;</string></map>";
	struct mf_prefs p;
	char eb[MF_ERRBUF_SIZE] = "";
	const struct mf_pref *e;

	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)x, sizeof(x) - 1, NULL, &p, eb), 0);
	CHECK_EQ_INT(p.n, 3);
	e = find(&p, "k\001");
	CHECK(e != NULL);
	CHECK(e && e->value_len == 12 && memcmp(e->value, "a\001b\nc\037d\xef\xbf\xbd" "e\t", 12) == 0);
	e = find(&p, "s");
	CHECK_EQ_STR(e && e->nset == 1 ? e->set[0] : NULL, "\033[0m");
	e = find(&p, "after");
	CHECK_EQ_STR(e ? e->value : NULL, "{\"homelist\":[]}");
	CHECK_EQ_INT(p.ctrl_refs, 5);
	CHECK_EQ_INT(p.nul_replaced, 1);
	mf_prefs_free(&p);
	CHECK_EQ_INT(mf_prefs_parse((const uint8_t *)clash, sizeof(clash) - 1, NULL, &p, eb),
	    MF_ERR_FORMAT);
	mf_prefs_free(&p);
}

static void test_json(void)
{
	char out[64];
	cJSON *j, *x, *inner;
	int how = -1;
	const char *nested = "{\"value\":\"[\\\"[1612345600,[\\\\\\\"event.motion\\\\\\\",[]]]\\\"]\"}";

	CHECK_EQ_INT(mf_html_unescape("&quot;a&amp;b&#39;&#x4e2d;&bogus;", 33, out), 15);
	CHECK_EQ_STR(out, "\"a&b'中&bogus;");
	j = mf_json_lenient("{&quot;k&quot;:1}", 17, 8, &how);
	CHECK(cJSON_IsObject(j) && how == 1);
	cJSON_Delete(j);
	CHECK(mf_json_lenient("not json", 8, 8, NULL) == NULL);
	/* a lone surrogate reference is not turned into bytes */
	CHECK_EQ_INT(mf_html_unescape("&#xD83D;", 8, out), 8);
	/* byte caps cut whole characters only */
	CHECK_EQ_INT(mf_utf8_prefix("ab", 2), 2);
	CHECK_EQ_INT(mf_utf8_prefix("a\xe5\xae\xa2", 4), 4);   /* a客 */
	CHECK_EQ_INT(mf_utf8_prefix("a\xe5\xae\xa2", 3), 1);
	CHECK_EQ_INT(mf_utf8_prefix("a\xe5\xae\xa2", 2), 1);
	CHECK_EQ_INT(mf_utf8_prefix("\xf0\x9f\x8f\xa0", 3), 0);
	CHECK_EQ_INT(mf_utf8_prefix("\xf0\x9f\x8f\xa0", 4), 4);
	CHECK_EQ_INT(mf_utf8_prefix("\xc3\xbc", 1), 0);
	CHECK_EQ_INT(mf_utf8_prefix("\x80\x80", 2), 2);   /* not UTF-8 to begin with */
	CHECK(mf_json_lenient("[[[[1]]]]", 9, 3, NULL) == NULL);   /* deeper than allowed */
	/* the device-log nesting: strings holding JSON, three levels */
	j = mf_json_lenient(nested, strlen(nested), 16, NULL);
	CHECK(j != NULL);
	x = mf_json_expand(j, 16);
	inner = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(x, "value"), 0), 1);
	CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetArrayItem(inner, 0)), "event.motion");
	CHECK_EQ_INT(mf_json_depth(x), 5);
	cJSON_Delete(x);
	cJSON_Delete(j);
}

int main(void)
{
	test_types();
	test_damage();
	test_android_ctrl();
	test_json();
	return TEST_DONE();
}
