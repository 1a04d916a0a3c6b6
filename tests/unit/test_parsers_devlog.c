/*
 * test_parsers_devlog.c - device logs (nesting, units, the time-zone
 * shift), ht_stat readings, scene uid recovery, the model table.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_models.h"
#include "mf_phone_int.h"
#include "mf_test.h"
#include "mf_time.h"

#define REF_NS (1714636800LL * MF_NS_PER_S)   /* 2024-05-02T08:00:00Z */

struct got {
	cJSON *ev[256];
	size_t n;
};

static int keep(void *arg, struct mf_event *ev)
{
	struct got *g = arg;
	struct mf_buf b;

	mf_buf_init(&b, 1u << 20);
	if (g->n < 256 && mf_event_to_json(ev, &b) == 0)
		g->ev[g->n++] = cJSON_Parse(mf_buf_cstr(&b));
	mf_buf_free(&b);
	mf_event_free(ev);
	return 0;
}

static void reset(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		cJSON_Delete(g->ev[i]);
	g->n = 0;
}

static const char *gs(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double gn(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* builds {"value":[{"did":D,"time":T,"type":"prop","value":"[\"[ts,[\\\"name\\\",[]]]\"]"},..]} */
static char *log_json(const char *did, const long long *logged, const long long *ts,
                      const char **names, int n)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "value");
	char *s;
	int i;

	for (i = 0; i < n; i++) {
		cJSON *r = cJSON_CreateObject(), *lvl2 = cJSON_CreateArray();
		char inner[128], *l2;

		snprintf(inner, sizeof(inner), "[%lld,[\"%s\",[]]]", ts[i], names[i]);
		cJSON_AddItemToArray(lvl2, cJSON_CreateString(inner));
		l2 = cJSON_PrintUnformatted(lvl2);
		cJSON_AddStringToObject(r, "did", did);
		cJSON_AddNumberToObject(r, "time", (double)logged[i]);
		cJSON_AddStringToObject(r, "type", "prop");
		cJSON_AddStringToObject(r, "value", l2);
		cJSON_AddItemToArray(arr, r);
		free(l2);
		cJSON_Delete(lvl2);
	}
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static void test_nesting_and_units(struct mf_ctx *ctx, struct got *g)
{
	/* the reference's synthetic record (phone-artifacts.md section 4) */
	static const char ref[] = "{\"value\":[{\"did\":\"lumi.158d0001xxxxxx\",\"time\":1612345678,"
	    "\"type\":\"prop\",\"value\":\"[\\\"[1612345600,[\\\\\\\"event.motion\\\\\\\",[]]]\\\"]\"}]}";
	static const long long logged_ms[] = { 1714557726713LL, 1714557752100LL };
	static const long long ts[] = { 1714557725, 1714557751 };
	static const char *names[] = { "open", "event.close" };
	struct mf_phone ph;
	char *j;

	ph_init(&ph, ctx, REF_NS);
	ph.file = "config.xml";
	CHECK_EQ_INT(mf_devlog_key(&ph, "k_Log_Normal", ref, strlen(ref), NULL, NULL), 0);
	CHECK_EQ_INT(g->n, 1);
	CHECK_EQ_STR(gs(g->ev[0], "event"), "event.motion");
	CHECK_EQ_STR(gs(g->ev[0], "ts"), "2021-02-03T09:46:40.000Z");
	CHECK_EQ_STR(gs(g->ev[0], "logged_ts"), "2021-02-03T09:47:58.000Z");
	CHECK_EQ_STR(gs(g->ev[0], "did"), "lumi.158d0001xxxxxx");
	CHECK_EQ_STR(gs(g->ev[0], "kind"), "device_event");
	CHECK_EQ_STR(gs(g->ev[0], "meaning"), "motion detected");
	reset(g);
	/* outer time in milliseconds; a short name made canonical; a model
	 * from the registry */
	ph_dev_set(ph_dev_get(&ph, "lumi.1", 1), "lumi.sensor_magnet.aq2", "Door", NULL, NULL, NULL);
	j = log_json("lumi.1", logged_ms, ts, names, 2);
	CHECK_EQ_INT(mf_devlog_key(&ph, "Log_Normal", j, strlen(j), NULL, NULL), 0);
	free(j);
	CHECK_EQ_INT(g->n, 2);
	CHECK_EQ_STR(gs(g->ev[0], "event"), "event.open");
	CHECK_EQ_STR(gs(g->ev[0], "event_raw"), "open");
	CHECK_EQ_STR(gs(g->ev[0], "logged_ts"), "2024-05-01T10:02:06.713Z");
	CHECK_EQ_STR(gs(g->ev[0], "logged_unit"), "ms");
	CHECK_EQ_STR(gs(g->ev[0], "device_name"), "Door");
	CHECK_EQ_STR(gs(g->ev[0], "device_type"), "magnet");
	CHECK_EQ_STR(gs(g->ev[1], "meaning"), "closed");
	CHECK(cJSON_GetObjectItem(g->ev[0], "tz_shift_s") == NULL);
	reset(g);
	/* damaged: an error anomaly and the salvaged pieces */
	CHECK_EQ_INT(mf_devlog_key(&ph, "k", ref, 120, "lumi.x", NULL), 0);
	CHECK_EQ_INT(g->n, 2);
	CHECK_EQ_STR(gs(g->ev[0], "reason"), "devlog_unparsable");
	CHECK_EQ_STR(gs(g->ev[0], "severity"), "error");
	CHECK_EQ_INT(ph.nproblems, 1);
	CHECK(cJSON_IsArray(cJSON_GetObjectItem(g->ev[1], "salvaged")));
	reset(g);
	ph_free(&ph);
}

/* Records naming their event in "key" (the cloud's history shape), and a
 * record with a key whose value names its own events (the key is not the
 * event then); empty values. */
static void test_keyed(struct mf_ctx *ctx, struct got *g)
{
	static const char keyed[] = "{\"value\":["
	    "{\"did\":\"lumi.2\",\"type\":\"event\",\"key\":\"motion\",\"time\":1714557725,"
	    "\"value\":\"[]\"},"
	    "{\"did\":\"lumi.2\",\"type\":\"prop\",\"key\":\"illumination\",\"time\":1714557726,"
	    "\"value\":\"[\\\"120\\\"]\"},"
	    "{\"did\":\"lumi.2\",\"type\":\"prop\",\"key\":\"device_log\",\"time\":1714557800,"
	    "\"value\":\"[\\\"[1714557799,[\\\\\\\"open\\\\\\\",[]]]\\\"]\"},"
	    "{\"did\":\"lumi.2\",\"key\":\"sensor\",\"time\":1714557900,"
	    "\"value\":\"[\\\"[1714557899,[\\\\\\\"close\\\\\\\",[]]]\\\"]\"}]}";
	struct mf_phone ph;

	ph_init(&ph, ctx, REF_NS);
	ph.file = "config.xml";
	CHECK_EQ_INT(mf_devlog_key(&ph, "Log_Normal", keyed, strlen(keyed), NULL, NULL), 0);
	CHECK_EQ_INT(g->n, 4);
	CHECK_EQ_STR(g->n > 0 ? gs(g->ev[0], "event") : NULL, "event.motion");
	CHECK_EQ_STR(g->n > 0 ? gs(g->ev[0], "ts") : NULL, "2024-05-01T10:02:05.000Z");
	CHECK(g->n > 0 && cJSON_IsTrue(cJSON_GetObjectItem(g->ev[0], "ts_is_logged")));
	CHECK_EQ_STR(g->n > 1 ? gs(g->ev[1], "prop") : NULL, "illumination");
	CHECK_EQ_STR(g->n > 1 ? gs(g->ev[1], "value") : NULL, "120");
	/* the value's own names win over the key */
	CHECK_EQ_STR(g->n > 2 ? gs(g->ev[2], "event") : NULL, "event.open");
	CHECK_EQ_STR(g->n > 2 ? gs(g->ev[2], "ts") : NULL, "2024-05-01T10:03:19.000Z");
	CHECK_EQ_STR(g->n > 3 ? gs(g->ev[3], "event") : NULL, "event.close");
	reset(g);
	/* cleared: an info note, no problem */
	CHECK_EQ_INT(mf_devlog_key(&ph, "Log_Normal", "null", 4, "lumi.2", NULL), 0);
	CHECK_EQ_INT(mf_devlog_key(&ph, "Log_Normal", "", 0, "lumi.2", NULL), 0);
	CHECK_EQ_INT(mf_devlog_key(&ph, "Log_Normal", "{\"value\":\"\"}", 12, "lumi.2", NULL), 0);
	CHECK_EQ_INT(g->n, 3);
	CHECK_EQ_STR(g->n > 0 ? gs(g->ev[0], "reason") : NULL, "value_empty");
	CHECK_EQ_STR(g->n > 0 ? gs(g->ev[0], "severity") : NULL, "info");
	CHECK_EQ_INT(ph.nproblems, 0);
	reset(g);
	ph_free(&ph);
}

static void test_units(struct mf_ctx *ctx)
{
	struct mf_phone ph;
	const char *u;

	ph_init(&ph, ctx, REF_NS);
	CHECK_EQ_INT(ph_time(&ph, 1714557725.0, &u), 1714557725LL * MF_NS_PER_S);
	CHECK_EQ_STR(u, "s");
	CHECK_EQ_INT(ph_time(&ph, 1714557725123.0, &u), 1714557725123LL * 1000000);
	CHECK_EQ_STR(u, "ms");
	CHECK_EQ_INT(ph_time(&ph, 1714557725123456.0, &u), 1714557725123456LL * 1000);
	CHECK_EQ_STR(u, "us");
	ph_time(&ph, 1714557725123456789.0, &u);
	CHECK_EQ_STR(u, "ns");
	/* one day past the reference is still seconds; two is not */
	ph_time(&ph, 1714636800.0 + 86000, &u);
	CHECK_EQ_STR(u, "s");
	CHECK_EQ_INT(ph_time(&ph, 0, &u), MF_TIME_NONE);
	CHECK_EQ_INT(ph_time(&ph, -5, &u), MF_TIME_NONE);
	ph_free(&ph);
}

static void test_shift(struct mf_ctx *ctx, struct got *g)
{
	long long logged[20], ts[20];
	const char *names[20];
	struct mf_phone ph;
	char *j;
	int i;

	ph_init(&ph, ctx, REF_NS);
	/* event times are local epochs of UTC+2: 7200 s ahead, delays 1..5 s */
	for (i = 0; i < 20; i++) {
		logged[i] = 1714558000 + i * 100 + (i % 5) + 1;
		ts[i] = 1714558000 + i * 100 + 7200;
		names[i] = "event.click";
	}
	j = log_json("lumi.2", logged, ts, names, 20);
	CHECK_EQ_INT(mf_devlog_key(&ph, "deviceLog_Log_Normal_v2", j, strlen(j), NULL, NULL), 0);
	free(j);
	CHECK_EQ_INT(g->n, 21);
	CHECK_EQ_STR(gs(g->ev[0], "reason"), "timezone_shift_suspected");
	CHECK_EQ_STR(gs(g->ev[0], "severity"), "warning");
	CHECK(gn(g->ev[0], "shift_s") == 7200);
	CHECK(gn(g->ev[0], "offset_s") == -7197);
	CHECK(gn(g->ev[1], "tz_shift_s") == 7200);
	CHECK_EQ_STR(gs(g->ev[1], "ts"), "2024-05-01T12:06:40.000Z");        /* as stored */
	CHECK_EQ_STR(gs(g->ev[1], "ts_corrected"), "2024-05-01T10:06:40.000Z");
	CHECK_EQ_INT(ph.nproblems, 0);
	reset(g);
	/* ordinary delays, and a spread too wide for one zone: no shift */
	for (i = 0; i < 20; i++)
		ts[i] = logged[i] - 3 - (i == 7 ? 2000 : 0) + (i == 3 ? 7200 : 0);
	j = log_json("lumi.2", logged, ts, names, 20);
	mf_devlog_key(&ph, "Log_Normal", j, strlen(j), NULL, NULL);
	free(j);
	CHECK_EQ_INT(g->n, 20);
	CHECK(cJSON_GetObjectItem(g->ev[0], "tz_shift_s") == NULL);
	reset(g);
	/* a half-hour zone (UTC+5:30), logged behind by 2 min */
	for (i = 0; i < 3; i++)
		ts[i] = logged[i] - 120 + 19800;
	j = log_json("lumi.2", logged, ts, names, 3);
	mf_devlog_key(&ph, "Log_Normal", j, strlen(j), NULL, NULL);
	free(j);
	CHECK_EQ_STR(g->n ? gs(g->ev[0], "reason") : NULL, "timezone_shift_suspected");
	CHECK(g->n && gn(g->ev[0], "shift_s") == 19800);
	reset(g);
	ph_free(&ph);
}

static void test_ht(struct mf_ctx *ctx, struct got *g)
{
	static const char ht[] = "{\"time\":1714564815,\"value\":\"[{\\\"time\\\":1714557600,"
	    "\\\"temperature\\\":\\\"2312\\\",\\\"humidity\\\":\\\"5480\\\"}]\"}";
	struct mf_phone ph;
	const cJSON *sc;

	ph_init(&ph, ctx, REF_NS);
	CHECK_EQ_INT(mf_htstat_key(&ph, "x_ht_stat", ht, strlen(ht), "lumi.3",
	    "lumi.weather.v1"), 0);
	CHECK_EQ_INT(g->n, 1);
	CHECK_EQ_STR(gs(g->ev[0], "kind"), "property");
	CHECK_EQ_STR(gs(g->ev[0], "ts"), "2024-05-01T10:00:00.000Z");
	CHECK_EQ_STR(gs(g->ev[0], "logged_ts"), "2024-05-01T12:00:15.000Z");
	CHECK_EQ_STR(gs(g->ev[0], "device_type"), "weather");
	sc = cJSON_GetObjectItem(g->ev[0], "scaled");
	CHECK(gn(sc, "temperature_c") == 23.12);
	CHECK(gn(sc, "humidity_pct") == 54.8);
	reset(g);
	ph_free(&ph);
}

static void test_scene_uid(struct mf_ctx *ctx, struct got *g)
{
	static const char sl[] = "{\"0\":{\"us_id\":\"11\",\"name\":\"Door light\",\"create_time\":1700041000,"
	    "\"setting\":{\"enable\":\"1\",\"launch\":{\"attr\":[{\"did\":\"lumi.9\",\"key\":"
	    "\"event.lumi.sensor_magnet.aq2.open\"}]},\"action_list\":[{\"payload\":{\"did\":\"42\","
	    "\"command\":\"set_power\",\"value\":\"on\"}}]}}}";
	struct mf_phone ph;
	char md5[33];

	ph_init(&ph, ctx, REF_NS);
	CHECK(mf_scene_is_cache_name("25F9E794323B453885F5181F1B624D0Bscene_list_cache.xml", md5));
	CHECK_EQ_STR(md5, "25F9E794323B453885F5181F1B624D0B");
	CHECK(mf_scene_is_cache_name("25F9E794323B453885F5181F1B624D0Blite_scene_list_cache.xml",
	    NULL));
	CHECK(!mf_scene_is_cache_name("25F9E794323B453885F5181F1B624D0Xscene_list_cache.xml", NULL));
	CHECK(!mf_scene_is_cache_name("short", NULL));
	CHECK(ph_uid_by_md5(&ph, md5) == NULL);
	ph_uid_add(&ph, "987", "test");
	ph_uid_add(&ph, "123456789", "home owner");
	CHECK(ph_uid_add(&ph, "not-a-uid", "x") == NULL);
	CHECK_EQ_STR(ph_uid_by_md5(&ph, md5), "123456789");
	CHECK_EQ_STR(ph_uid_by_md5(&ph, "25f9e794323b453885f5181f1b624d0b"), "123456789");
	ph_dev_set(ph_dev_get(&ph, "42", 1), "chuangmi.plug.m1", "Plug", NULL, NULL, NULL);
	CHECK_EQ_INT(mf_scene_json(&ph, "scene_list", sl, strlen(sl), "123456789"), 0);
	CHECK_EQ_INT(g->n, 1);
	CHECK_EQ_STR(gs(g->ev[0], "scene_id"), "11");
	CHECK_EQ_STR(gs(g->ev[0], "account_uid"), "123456789");
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(g->ev[0], "enabled")));
	CHECK_EQ_STR(gs(g->ev[0], "ts"), "2023-11-15T09:36:40.000Z");
	CHECK_EQ_STR(gs(cJSON_GetArrayItem(cJSON_GetObjectItem(g->ev[0], "actions"), 0),
	    "device_name"), "Plug");
	reset(g);
	CHECK_EQ_INT(mf_scene_json(&ph, "scene_list", "{\"0\":", 5, NULL), 0);
	CHECK_EQ_STR(g->n ? gs(g->ev[0], "reason") : NULL, "scene_unparsable");
	reset(g);
	ph_free(&ph);
}

static void test_models(void)
{
	const struct mf_model_info *m = mf_model_find("lumi.sensor_motion.v2");

	CHECK(m && strcmp(m->type, "motion") == 0);
	m = mf_model_find("chuangmi.camera.ipc019");
	CHECK(m && strcmp(m->type, "camera") == 0);
	m = mf_model_find("lumi.sensor_ht.v2");
	CHECK(m && strcmp(m->type, "weather") == 0);
	m = mf_model_find("roborock.vacuum.s5");
	CHECK(m && strcmp(m->type, "vacuum") == 0);
	CHECK(mf_model_find("acme.thing.v1") == NULL);
	CHECK(mf_model_find("lumiX") == NULL);
	CHECK_EQ_STR(mf_event_meaning("gateway", "arming_on"), "alarm armed");
	CHECK_EQ_STR(mf_event_meaning("magnet", "event.no_close"), "left open");
	CHECK(mf_event_meaning(NULL, "event.unknown") == NULL);
	CHECK_EQ_STR(mf_event_canonical("motion"), "event.motion");
	CHECK(mf_event_canonical("event.motion") == NULL);
	CHECK_EQ_STR(mf_type_from_event("event.double_click"), "switch");
}

int main(void)
{
	struct mf_ctx ctx;
	struct got g = { { 0 }, 0 };

	mf_ctx_init(&ctx);
	ctx.emit = keep;
	ctx.emit_arg = &g;
	test_nesting_and_units(&ctx, &g);
	test_keyed(&ctx, &g);
	test_units(&ctx);
	test_shift(&ctx, &g);
	test_ht(&ctx, &g);
	test_scene_uid(&ctx, &g);
	test_models();
	reset(&g);
	return TEST_DONE();
}
