/*
 * Mi cloud endpoint records (cloud/mf_endpoints.c): the table lookup, and
 * each reply shape of ../shared/reference/micloud.md section 9 turned into
 * events: devices (+ tokens added to the store, bound to the did, origin
 * "cloud: frame N"), homes and rooms, shares, scenes, scene history, the
 * triple-nested device_log of /user/get_user_device_data
 * (phone-artifacts.md section 4), props, camera events (ms), commands.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_cloud_int.h"
#include "mf_endpoints.h"
#include "mf_micloud.h"
#include "mf_time.h"
#include "mf_tokens.h"
#include "mf_test.h"

#define SS "AQEBAQEBAQEBAQEBAQEBAQ=="
#define NONCE "AAECAwQFBgcBsFUV"

#define MAXEV 256
static struct mf_event *evs[MAXEV];
static int nev;

static int sink(void *arg, struct mf_event *ev)
{
	(void)arg;
	if (nev < MAXEV)
		evs[nev++] = ev;
	else
		mf_event_free(ev);
	return 0;
}

static void clear(void)
{
	int i;

	for (i = 0; i < nev; i++)
		mf_event_free(evs[i]);
	nev = 0;
}

static const cJSON *jget(const struct mf_event *ev, const char *path)
{
	const cJSON *v = ev ? ev->body : NULL;
	char key[64];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		v = cJSON_GetObjectItemCaseSensitive(v, key);
		path += n + (path[n] == '.');
	}
	return v;
}

static const char *jstr(const struct mf_event *ev, const char *path)
{
	const cJSON *v = jget(ev, path);

	return (cJSON_IsString(v) || cJSON_IsRaw(v)) ? v->valuestring : NULL;
}

#define CHECK_FIELD(ev, path, want) CHECK_EQ_STR(jstr((ev), (path)), (want))

static int count_kind(const char *kind)
{
	int i, n = 0;

	for (i = 0; i < nev; i++)
		n += strcmp(evs[i]->kind, kind) == 0;
	return n;
}

static const struct mf_event *find_kind(const char *kind, int nth)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, kind) == 0 && nth-- == 0)
			return evs[i];
	return NULL;
}

static const struct mf_event *find_anomaly(const char *reason)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, "anomaly") == 0 && jstr(evs[i], "reason") &&
		    strcmp(jstr(evs[i], "reason"), reason) == 0)
			return evs[i];
	return NULL;
}

static int records(struct mf_ctx *ctx, const char *path, const char *req, const char *reply)
{
	const struct mf_endpoint *ep = mf_endpoint_find(path);
	struct mf_cloud_origin o;
	cJSON *rq = req ? cJSON_Parse(req) : NULL, *rp = reply ? cJSON_Parse(reply) : NULL;
	cJSON *evd = cJSON_CreateObject();
	int rc;

	CHECK(ep != NULL);
	CHECK(!reply || rp != NULL);
	cJSON_AddStringToObject(evd, "file", "t.pcap");
	cJSON_AddNumberToObject(evd, "frame", 9);
	memset(&o, 0, sizeof(o));
	o.source = "pcap";
	o.protocol = "micloud-http";
	o.ts_ns = 1700000000LL * MF_NS_PER_S;
	o.frame = 9;
	o.evidence = evd;
	o.path = path;
	rc = ep ? mf_endpoint_records(ctx, ep, rq, rp, &o) : -100;
	cJSON_Delete(rq);
	cJSON_Delete(rp);
	cJSON_Delete(evd);
	return rc;
}

static void test_find(void)
{
	const struct mf_endpoint *e;

	e = mf_endpoint_find("/app/home/device_list?x=1");
	CHECK(e && e->carries == MF_EP_DEVICES && (e->flags & MF_EP_ACQUIRE));
	e = mf_endpoint_find("/v2/homeroom/gethome");
	CHECK(e && e->carries == MF_EP_HOMES && e->request != NULL);
	e = mf_endpoint_find("/app/home/rpc/42688810");
	CHECK(e && e->carries == MF_EP_RPC && (e->flags & MF_EP_ACTS));
	CHECK(mf_endpoint_find("/home/rpc/") == NULL);
	CHECK(mf_endpoint_find("/nothing") == NULL);
	CHECK(mf_endpoint_find(NULL) == NULL);
	e = mf_endpoint_find("/common/app/get/eventlist");
	CHECK(e && e->carries == MF_EP_CAMERA_EVENTS);
	e = mf_endpoint_find("/app/appgateway/miot/appsceneservice/AppSceneService/RunScene");
	CHECK(e && (e->flags & MF_EP_ACTS));
	/* device lists seen in client traffic, not in the acquisition plan */
	e = mf_endpoint_find("/app/home/home_device_list");
	CHECK(e && e->carries == MF_EP_DEVICES && !(e->flags & MF_EP_ACQUIRE));
	e = mf_endpoint_find("/app/v2/home/device_list");
	CHECK(e && e->carries == MF_EP_DEVICES && !(e->flags & MF_EP_ACQUIRE));
	e = mf_endpoint_find("/home/device_list_page");
	CHECK(e && e->carries == MF_EP_DEVICES && !(e->flags & MF_EP_ACQUIRE));
	/* acquisition never calls an acting endpoint */
	for (e = mf_endpoints; e->path; e++)
		CHECK(!((e->flags & MF_EP_ACTS) && (e->flags & MF_EP_ACQUIRE)));
}

static const char *DEVICES =
    "{\"code\":0,\"message\":\"ok\",\"result\":{\"list\":["
    "{\"did\":\"42688810\",\"token\":\"509cd46147f2c367da006fda76a48f5f\",\"name\":\"Plug\","
    "\"model\":\"chuangmi.plug.m1\",\"localip\":\"192.168.1.20\",\"mac\":\"02:00:5E:10:00:0B\","
    "\"ssid\":\"Home\",\"bssid\":\"AA:BB:CC:DD:EE:FF\",\"parent_id\":\"\",\"parent_model\":\"\","
    "\"uid\":1234567,\"isOnline\":true,\"rssi\":-50,\"pid\":\"0\",\"shareFlag\":0,"
    "\"permitLevel\":16,\"latitude\":\"0.0\",\"extra\":{\"fw_version\":\"1.4.1_176\"}},"
    "{\"did\":\"lumi.158d0001a2b3c4\",\"token\":\"\",\"name\":\"Hall motion\","
    "\"model\":\"lumi.sensor_motion.v2\",\"parent_id\":\"12345678\","
    "\"parent_model\":\"lumi.gateway.v3\"}]}}";

static void test_devices(void)
{
	struct mf_ctx ctx;
	const struct mf_event *ev;
	const struct mf_token *t;
	uint8_t tok[16];
	int idx;

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();

	CHECK_EQ_INT(records(&ctx, "/app/home/device_list", "{\"getVirtualModel\":true}", DEVICES), 3);
	CHECK_EQ_INT(count_kind("device"), 2);
	CHECK_EQ_INT(count_kind("token"), 1);
	ev = find_kind("device", 0);
	CHECK_FIELD(ev, "did", "42688810");
	CHECK_FIELD(ev, "model", "chuangmi.plug.m1");
	CHECK_FIELD(ev, "device_name", "Plug");
	CHECK_FIELD(ev, "ip", "192.168.1.20");
	CHECK_FIELD(ev, "mac", "02:00:5E:10:00:0B");
	CHECK_FIELD(ev, "owner_id", "1234567");
	CHECK_FIELD(ev, "version", "1.4.1_176");
	CHECK(cJSON_IsTrue(jget(ev, "has_token")));
	CHECK(jget(ev, "parent_did") == NULL);
	CHECK(strstr(jstr(ev, "raw.token"), "redacted") != NULL);
	CHECK_FIELD(ev, "evidence.file", "t.pcap");
	CHECK_EQ_STR(ev->source, "pcap");
	CHECK_EQ_STR(ev->protocol, "micloud-http");
	ev = find_kind("device", 1);
	CHECK_FIELD(ev, "parent_did", "12345678");
	CHECK_FIELD(ev, "parent_model", "lumi.gateway.v3");
	CHECK(cJSON_IsFalse(jget(ev, "has_token")));
	ev = find_kind("token", 0);
	CHECK_FIELD(ev, "did", "42688810");
	CHECK_FIELD(ev, "token_form", "hex32");
	CHECK(strstr(jstr(ev, "token"), "redacted") != NULL);
	CHECK(strstr(jstr(ev, "token"), "509c") != NULL);
	CHECK(cJSON_IsTrue(jget(ev, "micloud.added")));
	CHECK(cJSON_IsFalse(jget(ev, "micloud.already_known")));
	/* in the store, bound to the did */
	CHECK_EQ_INT(mf_tokens_count(ctx.tokens), 1);
	idx = mf_tokens_find_did(ctx.tokens, 42688810u);
	CHECK(idx >= 0);
	t = idx >= 0 ? mf_tokens_get(ctx.tokens, (size_t)idx) : NULL;
	CHECK(t && strcmp(t->origin, "cloud: frame 9") == 0);
	CHECK_EQ_INT(mf_token_parse("509cd46147f2c367da006fda76a48f5f", 32, tok, NULL, NULL), 0);
	CHECK(t && memcmp(t->token, tok, 16) == 0);
	clear();
	/* again: already known, merged */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", NULL, DEVICES), 3);
	ev = find_kind("token", 0);
	CHECK(cJSON_IsTrue(jget(ev, "micloud.already_known")));
	CHECK_EQ_INT(mf_tokens_count(ctx.tokens), 1);
	clear();
	/* show_secrets */
	ctx.show_secrets = 1;
	CHECK_EQ_INT(records(&ctx, "/home/device_list", NULL, DEVICES), 3);
	CHECK_FIELD(find_kind("token", 0), "token", "509cd46147f2c367da006fda76a48f5f");
	clear();
	ctx.show_secrets = 0;
	/* a token of a device with neither a numeric did nor an IP: reported, not stored */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", NULL,
	    "{\"code\":0,\"result\":{\"list\":[{\"did\":\"blt.3.x\",\"localip\":\"\","
	    "\"token\":\"ffeeddccbbaa99887766554433221100\"}]}}"), 2);
	ev = find_kind("token", 0);
	CHECK_FIELD(ev, "did", "blt.3.x");
	CHECK(jget(ev, "ip") == NULL);
	CHECK(cJSON_IsFalse(jget(ev, "micloud.added")));
	CHECK_EQ_INT(mf_tokens_count(ctx.tokens), 1);
	clear();
	/* home_device_list shape and its home id from the request */
	CHECK_EQ_INT(records(&ctx, "/v2/home/home_device_list", "{\"home_id\":100001}",
	    "{\"code\":0,\"result\":{\"device_info\":[{\"did\":\"1\",\"model\":\"m\"}],\"max_did\":\"1\",\"has_more\":false}}"), 1);
	CHECK_FIELD(find_kind("device", 0), "home_id", "100001");
	clear();
	/* an error reply: nothing */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", NULL, "{\"code\":-8,\"message\":\"bad\"}"), 0);
	CHECK_EQ_INT(nev, 0);
	/* an unexpected shape */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", NULL, "{\"code\":0,\"result\":{\"foo\":1}}"), 0);
	CHECK(find_anomaly("reply_unrecognised") != NULL);
	clear();
	mf_tokens_free(ctx.tokens);
}

static void test_homes_shares_scenes(void)
{
	struct mf_ctx ctx;
	const struct mf_event *ev;

	mf_ctx_init(&ctx);
	ctx.emit = sink;

	CHECK_EQ_INT(records(&ctx, "/v2/homeroom/gethome", NULL,
	    "{\"code\":0,\"result\":{\"homelist\":[{\"id\":\"100001\",\"name\":\"Home\",\"uid\":1234567,"
	    "\"create_time\":1617000000,\"address\":\"Street 1\",\"latitude\":1.5,\"longitude\":2.5,"
	    "\"shareflag\":0,\"dids\":[\"42688810\"],\"roomlist\":[{\"id\":\"200001\",\"name\":\"Hall\","
	    "\"parentid\":\"100001\",\"dids\":[\"lumi.158d0001a2b3c4\"],\"create_time\":1617000100}]}],"
	    "\"share_home_list\":[{\"id\":\"100002\",\"name\":\"Parents\",\"uid\":7654321}]}}"), 3);
	ev = find_kind("home", 0);
	CHECK_FIELD(ev, "home_id", "100001");
	CHECK_FIELD(ev, "name", "Home");
	CHECK_FIELD(ev, "uid", "1234567");
	CHECK_FIELD(ev, "address", "Street 1");
	CHECK(cJSON_IsFalse(jget(ev, "shared")));
	CHECK(ev && ev->ts_ns == 1617000000LL * MF_NS_PER_S);
	CHECK(jget(ev, "raw.roomlist") == NULL);
	ev = find_kind("room", 0);
	CHECK_FIELD(ev, "room_id", "200001");
	CHECK_FIELD(ev, "home_name", "Home");
	CHECK(ev && ev->ts_ns == 1617000100LL * MF_NS_PER_S);
	CHECK(cJSON_IsArray(jget(ev, "dids")));
	ev = find_kind("home", 1);
	CHECK_FIELD(ev, "home_id", "100002");
	CHECK(cJSON_IsTrue(jget(ev, "shared")));
	CHECK(ev && ev->ts_ns == 1700000000LL * MF_NS_PER_S);   /* no own time: observation */
	clear();

	CHECK_EQ_INT(records(&ctx, "/v2/user/get_device_cnt", NULL,
	    "{\"code\":0,\"result\":{\"share\":{\"share_family\":[{\"home_id\":1,\"home_owner\":2}]}}}"), 1);
	ev = find_kind("share", 0);
	CHECK_FIELD(ev, "home_id", "1");
	CHECK_FIELD(ev, "micloud.record", "share_family");
	clear();

	CHECK_EQ_INT(records(&ctx, "/share/device_share_list", "{}",
	    "{\"code\":0,\"result\":{\"list\":[{\"userid\":7654321,\"nickname\":\"bob\",\"did\":\"42688810\",\"ctime\":1617000400}]}}"), 1);
	ev = find_kind("share", 0);
	CHECK_FIELD(ev, "nickname", "bob");
	CHECK_FIELD(ev, "userid", "7654321");
	CHECK(ev && ev->ts_ns == 1617000400LL * MF_NS_PER_S);
	clear();

	CHECK_EQ_INT(records(&ctx,
	    "/app/appgateway/miot/appsceneservice/AppSceneService/GetSceneList", "{\"home_id\":\"100001\"}",
	    "{\"code\":0,\"result\":{\"scene_info_list\":[{\"scene_id\":\"400001\",\"name\":\"Leave\","
	    "\"type\":0,\"enable\":true,\"uid\":\"1234567\",\"home_id\":\"100001\",\"create_time\":1617000300,"
	    "\"trigger\":{\"src\":\"user\"},\"action_list\":[{\"did\":\"42688810\"}]}]}}"), 1);
	ev = find_kind("scene", 0);
	CHECK_FIELD(ev, "scene_id", "400001");
	CHECK_FIELD(ev, "name", "Leave");
	CHECK_FIELD(ev, "triggers.src", "user");
	CHECK_FIELD(ev, "micloud.record", "definition");
	CHECK(cJSON_IsTrue(jget(ev, "enabled")));
	clear();

	CHECK_EQ_INT(records(&ctx, "/scene/history", "{\"home_id\":100001,\"command\":\"history\",\"limit\":15}",
	    "{\"code\":0,\"result\":{\"history\":[{\"from\":\"timer\",\"homeId\":100001,\"name\":\"Night\","
	    "\"sceneType\":2,\"time\":1617000200,\"userSceneId\":\"300001\",\"msg\":[{\"targetDesc\":\"x\"}]}]}}"), 1);
	ev = find_kind("scene", 0);
	CHECK_FIELD(ev, "scene_id", "300001");
	CHECK_FIELD(ev, "home_id", "100001");
	CHECK_FIELD(ev, "from", "timer");
	CHECK_FIELD(ev, "micloud.record", "history");
	CHECK(ev && ev->ts_ns == 1617000200LL * MF_NS_PER_S);
	clear();

	CHECK_EQ_INT(records(&ctx, "/home/profile", "{\"id\":\"1234567\"}",
	    "{\"code\":0,\"result\":{\"userid\":1234567,\"nickname\":\"alice\",\"userName\":\"a\",\"icon\":\"u\"}}"), 1);
	ev = find_kind("account", 0);
	CHECK_FIELD(ev, "uid", "1234567");
	CHECK_FIELD(ev, "nickname", "alice");
	clear();

	CHECK_EQ_INT(records(&ctx, "/v2/message/v2/list", "{\"type\":6}",
	    "{\"code\":0,\"result\":{\"messages\":[{\"msg_id\":5,\"title\":\"Share\",\"content\":\"bob shared\",\"ctime\":1617000600}]}}"), 1);
	ev = find_kind("data", 0);
	CHECK_FIELD(ev, "title", "Share");
	CHECK_FIELD(ev, "micloud.record", "message");
	CHECK(ev && ev->ts_ns == 1617000600LL * MF_NS_PER_S);
	clear();
	/* a device message whose did is a number: the did is text all the same */
	CHECK_EQ_INT(records(&ctx, "/v2/message/v2/list", "{\"did\":\"42688810\",\"type\":6}",
	    "{\"code\":0,\"result\":{\"messages\":[{\"msg_id\":6,\"did\":42688810,\"type\":6,"
	    "\"title\":\"Plug\",\"content\":\"turned off\",\"ctime\":1617000700}]}}"), 1);
	ev = find_kind("data", 0);
	CHECK_FIELD(ev, "did", "42688810");
	CHECK_FIELD(ev, "content", "turned off");
	clear();
}

static void test_device_data(void)
{
	struct mf_ctx ctx;
	const struct mf_event *ev;

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	CHECK_EQ_INT(records(&ctx, "/user/get_user_device_data",
	    "{\"did\":\"lumi.158d0001a2b3c4\",\"key\":\"device_log\",\"type\":\"prop\"}",
	    "{\"code\":0,\"message\":\"ok\",\"result\":["
	    "{\"uid\":\"1234567\",\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"prop\",\"key\":\"device_log\","
	    "\"value\":\"[\\\"[1730766461,[\\\\\\\"event.open\\\\\\\",[]]]\\\",\\\"[1730766470,[\\\\\\\"event.close\\\\\\\",[]]]\\\"]\","
	    "\"time\":1730766463},"
	    "{\"uid\":\"1234567\",\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"event\",\"key\":\"motion\","
	    "\"value\":\"[]\",\"time\":1730766500},"
	    "{\"uid\":\"1234567\",\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"prop\",\"key\":\"prop.temperature\","
	    "\"value\":\"[\\\"2550\\\"]\",\"time\":1730766600},"
	    "{\"uid\":\"1234567\",\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"prop\",\"key\":\"device_log\","
	    "\"value\":\"[\\\"garbage\\\"]\",\"time\":1730766700}"
	    "]}"), 4);
	ev = find_kind("device_event", 0);
	CHECK_FIELD(ev, "did", "lumi.158d0001a2b3c4");
	CHECK_FIELD(ev, "event", "event.open");
	CHECK(cJSON_IsArray(jget(ev, "value")) && cJSON_GetArraySize(jget(ev, "value")) == 0);
	CHECK(ev && ev->ts_ns == 1730766461LL * MF_NS_PER_S);
	CHECK(ev && ev->logged_ns == 1730766463LL * MF_NS_PER_S);
	CHECK_EQ_STR(ev ? ev->source : NULL, "pcap");
	CHECK_FIELD(ev, "micloud.key", "device_log");
	CHECK_FIELD(ev, "uid", "1234567");
	ev = find_kind("device_event", 1);
	CHECK_FIELD(ev, "event", "event.close");
	CHECK(ev && ev->ts_ns == 1730766470LL * MF_NS_PER_S);
	ev = find_kind("device_event", 2);
	CHECK_FIELD(ev, "event", "event.motion");
	CHECK_FIELD(ev, "event_raw", "motion");
	CHECK(ev && ev->ts_ns == 1730766500LL * MF_NS_PER_S);
	ev = find_kind("property", 0);
	CHECK_FIELD(ev, "event", "prop.temperature");
	CHECK(cJSON_IsArray(jget(ev, "value")));
	CHECK(find_anomaly("devlog_item_unrecognised") != NULL);
	clear();

	/* statistics and props */
	CHECK_EQ_INT(records(&ctx, "/v2/user/statistics",
	    "{\"did\":\"1\",\"key\":\"power\",\"data_type\":\"stat_hour_v3\"}",
	    "{\"code\":0,\"result\":[{\"value\":\"[12]\",\"time\":1617000000}]}"), 1);
	ev = find_kind("property", 0);
	CHECK_FIELD(ev, "event", "power");
	CHECK_FIELD(ev, "micloud.data_type", "stat_hour_v3");
	clear();
	CHECK_EQ_INT(records(&ctx, "/miotspec/prop/get", "{\"params\":[{\"did\":\"42688810\",\"siid\":2,\"piid\":1}],\"datasource\":3}",
	    "{\"code\":0,\"result\":[{\"did\":\"42688810\",\"siid\":2,\"piid\":1,\"value\":true,\"code\":0}]}"), 1);
	ev = find_kind("property", 0);
	CHECK_FIELD(ev, "event", "prop.2.1");
	CHECK(cJSON_IsTrue(jget(ev, "value")));
	clear();

	/* camera: millisecond times, reply under "data" */
	CHECK_EQ_INT(records(&ctx, "/common/app/get/eventlist", "{\"did\":\"555\",\"model\":\"chuangmi.camera.v1\"}",
	    "{\"code\":0,\"data\":{\"thirdPartPlayUnits\":[{\"createTime\":1617000500123,"
	    "\"eventType\":\"PeopleMotion\",\"fileId\":\"f1\",\"isRead\":false,\"offset\":0}]}}"), 1);
	ev = find_kind("device_event", 0);
	CHECK_FIELD(ev, "did", "555");
	CHECK_FIELD(ev, "event", "PeopleMotion");
	CHECK(ev && ev->ts_ns == 1617000500123LL * 1000000LL);
	clear();
	/* the alarm playlist: no eventType, tags instead; no model in the request */
	CHECK_EQ_INT(records(&ctx, "/miot/camera/app/v1/alarm/playlist/limit",
	    "{\"did\":\"555\",\"beginTime\":1617000000000,\"endTime\":1617000999999}",
	    "{\"code\":0,\"data\":{\"playUnits\":[{\"createTime\":1617000600999,"
	    "\"fileId\":\"f2\",\"imgStoreId\":\"i2\",\"isAlarm\":true,"
	    "\"tags\":[\"Default\",\"PeopleMotion\"]}]}}"), 1);
	ev = find_kind("device_event", 0);
	CHECK_FIELD(ev, "did", "555");
	CHECK_FIELD(ev, "event", "Default,PeopleMotion");
	CHECK_FIELD(ev, "micloud.endpoint", "camera_alarms");
	CHECK(cJSON_IsTrue(jget(ev, "is_alarm")));
	CHECK(jget(ev, "model") == NULL);
	CHECK(ev && ev->ts_ns == 1617000600999LL * 1000000LL);
	clear();

	/* commands seen in traffic */
	CHECK_EQ_INT(records(&ctx, "/app/home/rpc/42688810", "{\"method\":\"set_power\",\"params\":[\"on\"],\"id\":1}",
	    "{\"code\":0,\"result\":[\"ok\"]}"), 1);
	ev = find_kind("command", 0);
	CHECK_FIELD(ev, "did", "42688810");
	CHECK_FIELD(ev, "event", "set_power");
	CHECK(cJSON_IsArray(jget(ev, "value")));
	CHECK(cJSON_IsArray(jget(ev, "result")));
	clear();
	CHECK_EQ_INT(records(&ctx, "/app/home/rpc/42688810", "{\"method\":\"get_prop\",\"params\":[]}",
	    "{\"code\":-2,\"message\":\"device offline\"}"), 1);
	ev = find_kind("command", 0);
	CHECK(cJSON_IsTrue(jget(ev, "error")));
	CHECK_FIELD(ev, "error_code", "-2");
	CHECK_FIELD(ev, "error_message", "device offline");
	clear();
	CHECK_EQ_INT(records(&ctx, "/miotspec/prop/set",
	    "{\"params\":[{\"did\":\"42688810\",\"siid\":2,\"piid\":1,\"value\":false}]}", NULL), 1);
	ev = find_kind("command", 0);
	CHECK_FIELD(ev, "event", "set_properties");
	CHECK_FIELD(ev, "did", "42688810");
	CHECK(jget(ev, "model") == NULL);     /* no device list seen yet */
	clear();

	/* once a device list named the models, records that give only the did
	 * carry the model too (histories, properties, commands, cameras) */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", "{}",
	    "{\"code\":0,\"result\":{\"list\":[{\"did\":\"lumi.158d0001a2b3c4\","
	    "\"model\":\"lumi.sensor_magnet.v2\",\"token\":\"\"},{\"did\":\"42688810\","
	    "\"model\":\"chuangmi.plug.m1\",\"token\":\"\"},{\"did\":\"555\","
	    "\"model\":\"chuangmi.camera.ipc019\"}]}}"), 3);
	clear();
	CHECK_EQ_INT(records(&ctx, "/user/get_user_device_data", "{\"did\":\"lumi.158d0001a2b3c4\"}",
	    "{\"code\":0,\"result\":[{\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"prop\","
	    "\"key\":\"device_log\",\"value\":\"[\\\"[1730766461,[\\\\\\\"event.open\\\\\\\",[]]]\\\"]\","
	    "\"time\":1730766463},{\"did\":\"lumi.158d0001a2b3c4\",\"type\":\"event\","
	    "\"key\":\"motion\",\"value\":\"[]\",\"time\":1730766500}]}"), 2);
	ev = find_kind("device_event", 0);
	CHECK_FIELD(ev, "did", "lumi.158d0001a2b3c4");
	CHECK_FIELD(ev, "model", "lumi.sensor_magnet.v2");
	CHECK_FIELD(ev, "event", "event.open");
	CHECK(ev && ev->ts_ns == 1730766461LL * MF_NS_PER_S);
	ev = find_kind("device_event", 1);
	CHECK_FIELD(ev, "model", "lumi.sensor_magnet.v2");
	CHECK(ev && ev->ts_ns == 1730766500LL * MF_NS_PER_S);
	clear();
	CHECK_EQ_INT(records(&ctx, "/miotspec/prop/set",
	    "{\"params\":[{\"did\":\"42688810\",\"siid\":2,\"piid\":1,\"value\":false}]}", NULL), 1);
	CHECK_FIELD(find_kind("command", 0), "model", "chuangmi.plug.m1");
	clear();
	CHECK_EQ_INT(records(&ctx, "/common/app/get/eventlist", "{\"did\":\"555\"}",
	    "{\"code\":0,\"data\":{\"thirdPartPlayUnits\":[{\"createTime\":1617000500123,"
	    "\"eventType\":\"PeopleMotion\"}]}}"), 1);
	CHECK_FIELD(find_kind("device_event", 0), "model", "chuangmi.camera.ipc019");
	clear();
	/* a Bluetooth device's 24-hex token: reported as such, not "invalid" */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", "{}",
	    "{\"code\":0,\"result\":{\"list\":[{\"did\":\"blt.3.abcdef\",\"model\":\"xiaomi.x\","
	    "\"token\":\"0123456789abcdef01234567\"}]}}"), 2);
	CHECK_FIELD(find_kind("token", 0), "token_form", "ble24");
	CHECK_FIELD(find_kind("token", 0), "did", "blt.3.abcdef");
	CHECK(cJSON_IsFalse(jget(find_kind("token", 0), "micloud.added")));
	clear();
	/* a result sent as JSON text inside the reply */
	CHECK_EQ_INT(records(&ctx, "/home/device_list", "{}",
	    "{\"code\":0,\"result\":\"{\\\"list\\\":[{\\\"did\\\":\\\"77\\\","
	    "\\\"model\\\":\\\"x.y.z\\\"}]}\"}"), 1);
	CHECK_FIELD(find_kind("device", 0), "did", "77");
	clear();
	/* a device seen again with another model: the newer one */
	mf_cloud_model_note(&ctx, "42688810", "chuangmi.plug.v3");
	CHECK_EQ_STR(mf_cloud_model_of(&ctx, "42688810"), "chuangmi.plug.v3");
	CHECK(mf_cloud_model_of(&ctx, "999") == NULL);
}

/* The whole path: an RC4 device list in a capture adds the token. */
static void test_exchange_devices(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	struct mf_micloud_form plain, out;
	struct mf_buf body, ct, resp;
	const struct mf_token *t;
	cJSON *evd = cJSON_CreateObject();
	char sn[MF_MICLOUD_SN_LEN];
	int idx;

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();
	mf_micloud_form_init(&plain);
	mf_micloud_form_init(&out);
	mf_micloud_form_add(&plain, "data", "{\"getVirtualModel\":true}", 24);
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params("POST", "/home/device_list", SS, NONCE, &plain,
	    MF_MICLOUD_RC4_CONTINUE, &out), 0);
	mf_buf_init(&body, 1 << 20);
	mf_micloud_form_encode(&out, &body);
	/* the reply: RC4 fresh, base64 (encrypting is decrypting) */
	mf_buf_init(&ct, 1 << 20);
	{
		struct mf_micloud_form rf, ro;
		const struct mf_micloud_kv *kv;

		/* reuse the request encoder: a fresh-variant "data" is exactly the reply cipher */
		mf_micloud_form_init(&rf);
		mf_micloud_form_init(&ro);
		mf_micloud_form_add(&rf, "data", DEVICES, strlen(DEVICES));
		mf_micloud_rc4_encrypt_params("POST", "/x", SS, NONCE, &rf, MF_MICLOUD_RC4_FRESH, &ro);
		kv = mf_micloud_form_get(&ro, "data");
		mf_buf_add(&ct, kv->val, kv->val_len);
		mf_micloud_form_free(&rf);
		mf_micloud_form_free(&ro);
	}
	CHECK_EQ_INT(mf_micloud_signed_nonce(SS, NONCE, sn), 0);
	mf_buf_init(&resp, 1 << 20);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "sg.api.io.mi.com";
	rq.path = "/app/home/device_list";
	rq.body = body.data;
	rq.body_len = body.len;
	rq.content_type = "application/x-www-form-urlencoded";
	rs.status = 200;
	rs.body = ct.data;
	rs.body_len = ct.len;
	cJSON_AddStringToObject(evd, "file", "cap.pcapng");
	cJSON_AddNumberToObject(evd, "frame", 77);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, 1700000000LL * MF_NS_PER_S, evd), 0);
	CHECK_EQ_INT(count_kind("device"), 2);
	CHECK_EQ_INT(count_kind("token"), 1);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_FIELD(find_kind("data", 0), "micloud.endpoint", "devices");
	/* the exchange event's copy of the reply is redacted too */
	{
		const cJSON *l = jget(find_kind("data", 0), "result.list");
		const cJSON *tk = l ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "token") : NULL;

		CHECK(cJSON_IsString(tk) && strstr(tk->valuestring, "redacted") != NULL);
	}
	idx = mf_tokens_find_did(ctx.tokens, 42688810u);
	t = idx >= 0 ? mf_tokens_get(ctx.tokens, (size_t)idx) : NULL;
	CHECK(t && strcmp(t->origin, "cloud: frame 77") == 0);
	clear();

	/* the same reply on a path the table does not know: still a device list */
	mf_micloud_form_free(&out);
	mf_micloud_form_init(&out);
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params("POST", "/v3/home/new_device_list", SS, NONCE,
	    &plain, MF_MICLOUD_RC4_CONTINUE, &out), 0);
	mf_buf_reset(&body);
	mf_micloud_form_encode(&out, &body);
	rq.path = "/app/v3/home/new_device_list";
	rq.body = body.data;
	rq.body_len = body.len;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, 1700000000LL * MF_NS_PER_S, evd), 0);
	CHECK_FIELD(find_kind("data", 0), "micloud.endpoint", "devices_by_shape");
	CHECK_FIELD(find_kind("data", 0), "micloud.signature", "valid");
	CHECK_EQ_INT(count_kind("device"), 2);
	CHECK_EQ_INT(count_kind("token"), 1);
	CHECK_FIELD(find_kind("token", 0), "did", "42688810");
	CHECK_FIELD(find_kind("token", 0), "model", "chuangmi.plug.m1");
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();
	/* what is not a device list is left alone */
	{
		cJSON *r1 = cJSON_Parse("{\"code\":0,\"result\":{\"list\":[{\"did\":\"1\","
		    "\"model\":\"a.b.c\",\"token\":\"x\"},{\"msg_id\":2}]}}");
		cJSON *r2 = cJSON_Parse("{\"code\":-1,\"result\":{\"list\":[{\"did\":\"1\","
		    "\"model\":\"a.b.c\",\"token\":\"x\"}]}}");
		cJSON *r3 = cJSON_Parse("{\"code\":0,\"result\":{\"list\":[]}}");
		cJSON *r4 = cJSON_Parse(DEVICES);

		CHECK(mf_endpoint_guess(r1) == NULL);
		CHECK(mf_endpoint_guess(r2) == NULL);
		CHECK(mf_endpoint_guess(r3) == NULL);
		CHECK(mf_endpoint_guess(r4) && mf_endpoint_guess(r4)->carries == MF_EP_DEVICES);
		CHECK(mf_endpoint_guess(NULL) == NULL);
		cJSON_Delete(r1);
		cJSON_Delete(r2);
		cJSON_Delete(r3);
		cJSON_Delete(r4);
	}
	mf_micloud_form_free(&plain);
	mf_micloud_form_free(&out);
	mf_buf_free(&body);
	mf_buf_free(&ct);
	mf_buf_free(&resp);
	cJSON_Delete(evd);
	mf_tokens_free(ctx.tokens);
}

int main(void)
{
	test_find();
	test_devices();
	test_homes_shares_scenes();
	test_device_data();
	test_exchange_devices();
	return TEST_DONE();
}
