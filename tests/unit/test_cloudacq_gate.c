/*
 * The read-only gate of `cloud acquire` (cloud/mf_acquire.c): every
 * endpoint that acts on the home or a device - everything mf_endpoints[]
 * marks MF_EP_ACTS, and spellings meant to slip past a string match - is
 * refused, and mf_api_call() refuses it before anything reaches the network
 * (the HTTP client's request counter does not move, while an allowed call
 * is attempted).  Also: the session file's mode, and the acquisition-folder
 * reader on hostile manifests (file names outside responses/, missing
 * files, a cut manifest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mf_acquire.h"
#include "mf_cloud_input.h"
#include "mf_ctx.h"
#include "mf_endpoints.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_login.h"
#include "mf_test.h"

static int nev, nanom;
static char reasons[1024];

static int sink(void *arg, struct mf_event *ev)
{
	(void)arg;
	nev++;
	if (strcmp(ev->kind, "anomaly") == 0) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(ev->body, "reason");

		nanom++;
		if (cJSON_IsString(r)) {
			size_t l = strlen(reasons);

			snprintf(reasons + l, sizeof(reasons) - l, "%s ", r->valuestring);
		}
	}
	mf_event_free(ev);
	return 0;
}

static void gate(void)
{
	static const char *const acting[] = {
		"/home/rpc/42688810", "/app/home/rpc/42688810", "/home/rpc/", "/miotspec/prop/set",
		"/app/miotspec/prop/set", "/miotspec/action", "/scene/start", "/scene/edit",
		"/scene/delete",
		"/appgateway/miot/appsceneservice/AppSceneService/RunScene",
		"/appgateway/miot/appsceneservice/AppSceneService/NewRunScene",
		"/appgateway/miot/appsceneservice/AppSceneService/EditScene",
		"/appgateway/miot/appsceneservice/AppSceneService/DeleteScene",
		/* spellings */
		"/v2/homeroom/gethome/../../home/rpc/1", "/v2/homeroom/gethome?x=/home/rpc/1",
		"/v2/homeroom/gethome#x", "//v2/homeroom/gethome", "/V2/HOMEROOM/GETHOME",
		"/home/rpc%2F1", "/home/device_list/", "/home/device_list ", "home/device_list",
		"/app//home/device_list", "", "/", "/unknown/query",
		/* camera host: only the two lists; settings, video and spellings refused */
		"/miot/camera/app/v1/put/motionDetectionSwitch", "/miot/camera/app/v1/put/pushSwitch",
		"/common/app/m3u8", "/miot/camera/app/v1/img", "/common/app/get/eventlist/../m3u8",
		"/common/app/get/eventlist?x=1", "/COMMON/APP/GET/EVENTLIST",
		"/miot/camera/app/v1/alarm/playlist", NULL
	};
	const struct mf_endpoint *e;
	size_t i;

	for (i = 0; acting[i]; i++) {
		int ok = mf_acq_allowed(acting[i], "{}");

		if (ok)
			fprintf(stderr, "allowed: %s\n", acting[i]);
		CHECK(!ok);
	}
	CHECK(!mf_acq_allowed(NULL, "{}"));
	/* every endpoint the shared table marks as acting is refused */
	for (e = mf_endpoints; e->path; e++) {
		if (e->flags & MF_EP_ACTS) {
			CHECK(!mf_acq_allowed(e->path, "{}"));
		} else if (e->flags & MF_EP_ACQUIRE) {
			/* and the read-only ones are what the gate lets through */
			int ok = mf_acq_allowed(e->path, strcmp(e->path, "/scene/history") == 0 ?
			    "{\"command\":\"history\"}" : strcmp(e->path, "/miotspec/prop/get") == 0 ?
			    "{\"params\":[],\"datasource\":3}" : strcmp(e->path,
			    "/v2/message/v2/list") == 0 ? "{\"type\":6,\"force_read\":false}" :
			    (e->flags & MF_EP_CAMERA) ? "{\"did\":\"1\"}" : "{}");

			/* the file-URL endpoints are in the table, not on the
			 * allow-list (not part of the plan) */
			if (!ok && strstr(e->path, "file") == NULL)
				fprintf(stderr, "read-only endpoint refused: %s\n", e->path);
			CHECK(ok || strstr(e->path, "file") != NULL);
		}
	}
	CHECK(mf_acq_allowed("/v2/homeroom/gethome", "{\"fg\":true}"));
	CHECK(mf_acq_allowed("/app/home/device_list", NULL));
	CHECK(mf_acq_allowed("/user/get_user_device_data",
	    "{\"did\":\"1\",\"key\":\"device_log\",\"type\":\"prop\"}"));
	/* data that asks to act */
	CHECK(mf_acq_allowed("/scene/history", "{\"command\":\"history\"}"));
	CHECK(!mf_acq_allowed("/scene/history", "{\"command\":\"delete\"}"));
	CHECK(!mf_acq_allowed("/scene/history", "{}"));
	CHECK(mf_acq_allowed("/miotspec/prop/get", "{\"params\":[],\"datasource\":3}"));
	CHECK(!mf_acq_allowed("/miotspec/prop/get", "{\"params\":[],\"datasource\":1}"));
	CHECK(!mf_acq_allowed("/miotspec/prop/get", "{\"params\":[],\"datasource\":2}"));
	CHECK(!mf_acq_allowed("/miotspec/prop/get", "{\"params\":[]}"));
	CHECK(!mf_acq_allowed("/home/device_list", "{\"method\":\"set_power\"}"));
	CHECK(!mf_acq_allowed("/home/device_list", "[1]"));
	CHECK(!mf_acq_allowed("/home/device_list", "not json"));
	/* messages: never marked read (the app's force_read:true) */
	CHECK(mf_acq_allowed("/v2/message/v2/typelist", "{}"));
	CHECK(mf_acq_allowed("/v2/message/v2/list",
	    "{\"did\":\"42688810\",\"type\":6,\"timestamp\":1,\"limit\":50,\"force_read\":false}"));
	CHECK(!mf_acq_allowed("/v2/message/v2/list",
	    "{\"type\":6,\"timestamp\":1,\"limit\":50,\"force_read\":true}"));
	CHECK(!mf_acq_allowed("/v2/message/v2/list", "{\"type\":6,\"timestamp\":1,\"limit\":50}"));
	CHECK(!mf_acq_allowed("/v2/message/v2/list", "{\"type\":6,\"force_read\":0}"));
	/* camera lists: one camera's (a did), read-only */
	CHECK(mf_acq_allowed("/common/app/get/eventlist",
	    "{\"did\":\"351254720\",\"model\":\"chuangmi.camera.ipc019\",\"beginTime\":1,"
	    "\"endTime\":2,\"limit\":50}"));
	CHECK(mf_acq_allowed("/miot/camera/app/v1/alarm/playlist/limit",
	    "{\"did\":\"351254720\",\"beginTime\":1,\"endTime\":2,\"limit\":50}"));
	CHECK(!mf_acq_allowed("/common/app/get/eventlist", "{}"));
	CHECK(!mf_acq_allowed("/common/app/get/eventlist", "{\"did\":351254720}"));
	CHECK(!mf_acq_allowed("/common/app/get/eventlist",
	    "{\"did\":\"351254720\",\"method\":\"delete\"}"));
	CHECK(mf_acq_is_camera("/common/app/get/eventlist"));
	CHECK(mf_acq_is_camera("/miot/camera/app/v1/alarm/playlist/limit"));
	CHECK(!mf_acq_is_camera("/home/device_list"));
	CHECK(!mf_acq_is_camera("/miot/camera/app/v1/put/pushSwitch"));
}

/* An allowed call reaches the network (here: nothing listens), a control
 * endpoint never does. */
static void no_network_for_control(void)
{
	struct mf_http_opts ho;
	struct mf_session s;
	struct mf_api *api = NULL;
	struct mf_api_result r;
	char eb[MF_ERRBUF_SIZE];
	static const char *const acting[] = {
		"/home/rpc/42688810", "/miotspec/prop/set", "/miotspec/action", "/scene/start",
		"/appgateway/miot/appsceneservice/AppSceneService/RunScene", NULL
	};
	size_t i;
	int rc;

	memset(&ho, 0, sizeof(ho));
	ho.base_url = "https://127.0.0.1:9";   /* discard port: nothing answers */
	ho.connect_timeout_s = 2;
	ho.timeout_s = 2;
	memset(&s, 0, sizeof(s));
	snprintf(s.user_id, sizeof(s.user_id), "%s", "1234567890");
	snprintf(s.ssecurity, sizeof(s.ssecurity), "%s", "AQEBAQEBAQEBAQEBAQEBAQ==");
	snprintf(s.service_token, sizeof(s.service_token), "%s", "ST-test");
	CHECK_EQ_INT(mf_api_new(&ho, &s, &api, eb), 0);
	if (!api)
		return;
	mf_api_result_init(&r);
	for (i = 0; acting[i]; i++) {
		rc = mf_api_call(api, "de", acting[i], "{\"did\":\"42688810\",\"method\":\"set_power\","
		    "\"params\":[\"on\"]}", &r, eb);
		CHECK_EQ_INT(rc, MF_ERR_ARG);
		CHECK(strstr(eb, "refused") != NULL);
	}
	rc = mf_api_call(api, "de", "/miotspec/prop/get", "{\"params\":[{\"did\":\"1\",\"siid\":2,"
	    "\"piid\":1}],\"datasource\":1}", &r, eb);
	CHECK_EQ_INT(rc, MF_ERR_ARG);
	CHECK_EQ_INT(mf_api_sent(api), 0);
	/* an allowed query is attempted (and fails: nobody listens) */
	rc = mf_api_call(api, "de", "/v2/homeroom/gethome", "{\"fg\":true}", &r, eb);
	CHECK_EQ_INT(rc, MF_ERR_IO);
	CHECK_EQ_INT(mf_api_sent(api), 1);
	CHECK_EQ_STR(r.url, "https://de.api.io.mi.com/app/v2/homeroom/gethome");
	CHECK(strstr((const char *)r.body_sent.data, "ssecurity=%5Bredacted%5D") != NULL);
	CHECK(strstr((const char *)r.body_sent.data, "signature=") != NULL);
	CHECK_EQ_INT(mf_api_call(api, "xx", "/v2/homeroom/gethome", "{}", &r, eb), MF_ERR_ARG);
	/* a camera list: GET to the camera host, the URL without its query */
	rc = mf_api_call(api, "de", "/common/app/get/eventlist", "{\"did\":\"351254720\","
	    "\"model\":\"chuangmi.camera.ipc019\",\"beginTime\":1,\"endTime\":2,\"limit\":50}",
	    &r, eb);
	CHECK_EQ_INT(rc, MF_ERR_IO);
	CHECK_EQ_INT(mf_api_sent(api), 2);
	CHECK_EQ_STR(r.method, "GET");
	CHECK_EQ_STR(r.url, "https://de.business.smartcamera.api.io.mi.com/common/app/get/eventlist");
	CHECK(strstr((const char *)r.body_sent.data, "ssecurity=%5Bredacted%5D") != NULL);
	CHECK(strstr((const char *)r.body_sent.data, "rc4_hash__=") != NULL);
	/* a camera-host setting is refused before the network */
	CHECK_EQ_INT(mf_api_call(api, "de", "/miot/camera/app/v1/put/motionDetectionSwitch",
	    "{\"did\":\"351254720\",\"open\":false}", &r, eb), MF_ERR_ARG);
	CHECK_EQ_INT(mf_api_sent(api), 2);
	mf_api_result_free(&r);
	mf_api_free(api);
}

static void urls(void)
{
	char u[256];

	CHECK_EQ_INT(mf_acq_api_url("cn", "/home/device_list", u, sizeof(u)), 0);
	CHECK_EQ_STR(u, "https://api.io.mi.com/app/home/device_list");
	CHECK_EQ_INT(mf_acq_api_url("sg", "/app/home/device_list", u, sizeof(u)), 0);
	CHECK_EQ_STR(u, "https://sg.api.io.mi.com/app/home/device_list");
	CHECK_EQ_INT(mf_acq_api_url("evil.example", "/x", u, sizeof(u)), MF_ERR_ARG);
	/* camera host: host + path, no /app, region-prefixed outside China */
	CHECK_EQ_INT(mf_acq_api_url("cn", "/common/app/get/eventlist", u, sizeof(u)), 0);
	CHECK_EQ_STR(u, "https://business.smartcamera.api.io.mi.com/common/app/get/eventlist");
	CHECK_EQ_INT(mf_acq_api_url("sg", "/miot/camera/app/v1/alarm/playlist/limit", u, sizeof(u)),
	    0);
	CHECK_EQ_STR(u, "https://sg.business.smartcamera.api.io.mi.com/miot/camera/app/v1/alarm/"
	    "playlist/limit");
}

static void camera_models(void)
{
	int bell = -1;

	CHECK(mf_acq_camera_model("chuangmi.camera.ipc019", &bell) && bell == 0);
	CHECK(mf_acq_camera_model("isa.camera.hlc6", &bell) && bell == 0);
	CHECK(mf_acq_camera_model("mijia.camera.v3", NULL));
	CHECK(mf_acq_camera_model("madv.cateye.miowlv2", &bell) && bell == 1);
	CHECK(!mf_acq_camera_model("chuangmi.plug.m1", &bell) && bell == 0);
	CHECK(!mf_acq_camera_model("lumi.sensor_motion.v2", NULL));
	CHECK(!mf_acq_camera_model("camera", NULL));
	CHECK(!mf_acq_camera_model("", NULL));
	CHECK(!mf_acq_camera_model(NULL, NULL));
}

static void session_mode(void)
{
	char dir[] = "/tmp/mfgateXXXXXX", path[256], eb[MF_ERRBUF_SIZE];
	struct mf_session s, t;
	struct stat st;
	mode_t old;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/s.json", dir);
	memset(&s, 0, sizeof(s));
	snprintf(s.user_id, sizeof(s.user_id), "%s", "1234567890");
	snprintf(s.ssecurity, sizeof(s.ssecurity), "%s", "AQEBAQEBAQEBAQEBAQEBAQ==");
	snprintf(s.service_token, sizeof(s.service_token), "%s", "ST");
	snprintf(s.pass_token, sizeof(s.pass_token), "%s", "PT");
	old = umask(0);
	CHECK_EQ_INT(mf_session_save(path, &s, eb), 0);
	umask(old);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_EQ_INT(mf_session_load(path, &t, eb), 0);
	CHECK_EQ_STR(t.pass_token, "PT");
	CHECK(!t.loose_mode);
	chmod(path, 0644);
	CHECK_EQ_INT(mf_session_load(path, &t, eb), 0);
	CHECK(t.loose_mode);
	unlink(path);
	rmdir(dir);
}

/* The reader: files by name from a table. */
struct files {
	const char *name[4];
	const char *data[4];
	int fetched_bad;
};

static int fetch(void *arg, const char *rel, char **buf, size_t *len)
{
	struct files *f = arg;
	size_t i;

	if (strstr(rel, "..") || strncmp(rel, "responses/", 10) != 0)
		f->fetched_bad = 1;
	for (i = 0; i < 4 && f->name[i]; i++)
		if (strcmp(f->name[i], rel) == 0) {
			*len = strlen(f->data[i]);
			*buf = strdup(f->data[i]);
			return *buf ? 0 : MF_ERR_NOMEM;
		}
	return MF_ERR_IO;
}

#define HDR "{\"format\":\"miforensics-cloud-acquisition/1\",\"account\":{\"userId\":\"1\"}," \
	"\"requests\":[\n"
#define REPLY "{\"code\":0,\"message\":\"ok\",\"result\":{\"list\":[{\"did\":\"42688810\"," \
	"\"model\":\"chuangmi.plug.m1\",\"name\":\"Plug\",\"token\":\"509cd46147f2c367da006fda76a48f5f\"}]}}"

static void reader(void)
{
	struct mf_ctx ctx;
	struct mf_cloud_input_summary sum;
	struct files f;
	char eb[MF_ERRBUF_SIZE], m[2048];
	const char *sha = "0000000000000000000000000000000000000000000000000000000000000000";

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	memset(&f, 0, sizeof(f));
	f.name[0] = "responses/000001-de-devices.json";
	f.data[0] = REPLY;
	/* a file name outside responses/ is never opened */
	snprintf(m, sizeof(m), HDR "{\"seq\":1,\"request_key\":\"a\",\"path\":\"/home/device_list\","
	    "\"status\":\"ok\",\"decoded\":{\"file\":\"responses/../../../etc/passwd\","
	    "\"sha256\":\"%s\"}}\n],\"summary\":{\"status\":\"complete\"}}\n", sha);
	nev = nanom = 0;
	reasons[0] = '\0';
	CHECK_EQ_INT(mf_cloud_input_scan_mem(&ctx, m, strlen(m), "acq", fetch, &f, NULL, NULL, &sum,
	    eb), 0);
	CHECK(!f.fetched_bad);
	CHECK(strstr(reasons, "evidence_file_missing") != NULL);
	CHECK_EQ_INT(sum.integrity, 1);
	/* a good entry with a wrong hash: read, and reported */
	snprintf(m, sizeof(m), HDR "{\"seq\":1,\"request_key\":\"a\",\"path\":\"/home/device_list\","
	    "\"status\":\"ok\",\"decoded\":{\"file\":\"responses/000001-de-devices.json\","
	    "\"sha256\":\"%s\"}}\n],\"summary\":{\"status\":\"complete\"}}\n", sha);
	nev = nanom = 0;
	reasons[0] = '\0';
	ctx.tokens = NULL;
	CHECK_EQ_INT(mf_cloud_input_scan_mem(&ctx, m, strlen(m), "acq", fetch, &f, NULL, NULL, &sum,
	    eb), 0);
	CHECK(strstr(reasons, "evidence_hash_mismatch") != NULL);
	CHECK(nev >= 4);   /* session, anomaly, device, token */
	CHECK_EQ_STR(sum.status, "complete");
	/* cut after the first entry line: read, marked unfinished */
	snprintf(m, sizeof(m), HDR "{\"seq\":1,\"request_key\":\"a\",\"path\":\"/home/device_list\","
	    "\"status\":\"ok\",\"decoded\":{\"file\":\"responses/000001-de-devices.json\","
	    "\"sha256\":\"%s\"}},\n{\"seq\":2,\"requ", sha);
	nev = nanom = 0;
	reasons[0] = '\0';
	CHECK_EQ_INT(mf_cloud_input_scan_mem(&ctx, m, strlen(m), "acq", fetch, &f, NULL, NULL, &sum,
	    eb), 0);
	CHECK(strstr(reasons, "acquisition_incomplete") != NULL);
	CHECK_EQ_INT(sum.entries, 1);
	/* not ours */
	CHECK_EQ_INT(mf_cloud_input_scan_mem(&ctx, "{\"format\":\"x\"}", 14, "acq", fetch, &f, NULL,
	    NULL, &sum, eb), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_cloud_input_scan_mem(&ctx, "", 0, "acq", fetch, &f, NULL, NULL, &sum, eb),
	    MF_ERR_FORMAT);
}

int main(void)
{
	gate();
	no_network_for_control();
	urls();
	camera_models();
	session_mode();
	reader();
	return TEST_DONE();
}
