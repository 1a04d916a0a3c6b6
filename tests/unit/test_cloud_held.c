/*
 * Mi cloud calls held for a key that comes later (cloud/mf_micloud_held.h):
 * a call no known ssecurity opens waits; a request that proves its own key
 * or a login reply that reveals one opens it, and it comes out then with
 * its own time, evidence and reply; what no key opens is reported at the
 * end as before; the caps (calls, bytes) report the calls they turn away;
 * begin/end nest; drop frees; without a queue nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_micloud.h"
#include "mf_micloud_held.h"
#include "mf_rc4.h"
#include "mf_time.h"
#include "mf_tokens.h"
#include "mf_test.h"

#define KA "AQEBAQEBAQEBAQEBAQEBAQ=="   /* revealed by a request */
#define KB "AgICAgICAgICAgICAgICAg=="   /* revealed by a login reply */
#define KX "BwcHBwcHBwcHBwcHBwcHBw=="   /* never revealed */
#define T0 (1700000000LL * MF_NS_PER_S)

/* ------------------------------------------------------------ harness */

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

	if (getenv("HELD_DUMP"))
		for (i = 0; i < nev; i++) {
			char *t = cJSON_PrintUnformatted(evs[i]->body);

			fprintf(stderr, "%s %lld %s\n", evs[i]->kind, (long long)evs[i]->ts_ns, t);
			free(t);
		}

	for (i = 0; i < nev; i++)
		mf_event_free(evs[i]);
	nev = 0;
}

static const cJSON *jget(const struct mf_event *ev, const char *path)
{
	const cJSON *v = ev->body;
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

	return cJSON_IsString(v) ? v->valuestring : (cJSON_IsRaw(v) ? v->valuestring : NULL);
}

static double jnum(const struct mf_event *ev, const char *path)
{
	const cJSON *v = jget(ev, path);

	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsRaw(v) && v->valuestring)
		return strtod(v->valuestring, NULL);
	return -1;
}

static int count(const char *kind, const char *event)
{
	int i, n = 0;

	for (i = 0; i < nev; i++)
		n += strcmp(evs[i]->kind, kind) == 0 &&
		    (!event || (jstr(evs[i], "event") && strcmp(jstr(evs[i], "event"), event) == 0));
	return n;
}

/* The index of the nth event of kind (and event name, when given), or -1. */
static int find(const char *kind, const char *event, int nth)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, kind) == 0 &&
		    (!event || (jstr(evs[i], "event") && strcmp(jstr(evs[i], "event"), event) == 0)) &&
		    nth-- == 0)
			return i;
	return -1;
}

static int find_anomaly(const char *reason)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, "anomaly") == 0 && jstr(evs[i], "reason") &&
		    strcmp(jstr(evs[i], "reason"), reason) == 0)
			return i;
	return -1;
}

static cJSON *evidence(int frame)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "file", "t.pcapng");
	cJSON_AddNumberToObject(e, "frame", frame);
	cJSON_AddNumberToObject(e, "tcp_stream", frame / 10);
	return e;
}

static void init_ctx(struct mf_ctx *ctx)
{
	mf_ctx_init(ctx);
	ctx->emit = sink;
	ctx->tokens = mf_tokens_new();
}

/* One RC4 call as the app sends it: data encrypted with ss, nonce from
 * rnd (8 bytes) at T0 + minute, reply {"code":0,...,"result":result}
 * encrypted for it; with_ss puts ss in the form. */
struct call {
	char *body, *resp;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	int64_t ts;
	cJSON *ev;
};

static void call_make(struct call *c, const char *host, const char *path, const char *ss,
                      const char *data, const char *result, uint8_t rnd0, int with_ss, int frame)
{
	struct mf_micloud_form plain, out;
	struct mf_buf b, kb, rb;
	struct mf_rc4 r;
	uint8_t rnd[8];
	char nonce[MF_MICLOUD_NONCE_LEN], sn[MF_MICLOUD_SN_LEN], reply[1024];
	size_t rlen;
	int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < 8; i++)
		rnd[i] = (uint8_t)(rnd0 + i);
	c->ts = T0 + (int64_t)frame * MF_NS_PER_S;
	mf_micloud_nonce_make(rnd, c->ts / 1000000, nonce);
	mf_micloud_form_init(&plain);
	mf_micloud_form_init(&out);
	mf_micloud_form_add(&plain, "data", data, strlen(data));
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params("POST", path + 4, ss, nonce, &plain,
	    MF_MICLOUD_RC4_CONTINUE, &out), 0);
	if (!with_ss) {
		out.n--;   /* ssecurity is the last field */
		free(out.kv[out.n].key);
		free(out.kv[out.n].val);
	}
	mf_buf_init(&b, 1 << 20);
	mf_micloud_form_encode(&out, &b);
	c->body = strdup(mf_buf_cstr(&b));
	mf_buf_free(&b);
	mf_micloud_form_free(&plain);
	mf_micloud_form_free(&out);

	snprintf(reply, sizeof(reply), "{\"code\":0,\"message\":\"ok\",\"result\":%s}", result);
	mf_micloud_signed_nonce(ss, nonce, sn);
	mf_buf_init(&kb, 64);
	mf_b64_decode(sn, strlen(sn), &kb);
	mf_rc4_init_drop1024(&r, kb.data, kb.len);
	rlen = strlen(reply);
	mf_rc4_xor(&r, (const uint8_t *)reply, (uint8_t *)reply, rlen);
	mf_buf_init(&rb, 1 << 20);
	mf_b64_encode((const uint8_t *)reply, rlen, &rb);
	c->resp = strdup(mf_buf_cstr(&rb));
	mf_buf_free(&kb);
	mf_buf_free(&rb);

	c->rq.host = host;
	c->rq.path = path;
	c->rq.method = "POST";
	c->rq.body = (const uint8_t *)c->body;
	c->rq.body_len = strlen(c->body);
	c->rq.content_type = "application/x-www-form-urlencoded";
	c->rq.cookie = "userId=1234567; serviceToken=st-0001";
	c->rq.encrypt_alg = "ENCRYPT-RC4";
	c->rs.status = 200;
	c->rs.body = (const uint8_t *)c->resp;
	c->rs.body_len = strlen(c->resp);
	c->rs.ts_ns = c->ts + 100000000;
	c->ev = evidence(frame);
}

static void call_free(struct call *c)
{
	free(c->body);
	free(c->resp);
	cJSON_Delete(c->ev);
}

static int send_call(struct mf_ctx *ctx, struct call *c)
{
	return mf_micloud_exchange(ctx, &c->rq, &c->rs, c->ts, c->ev);
}

/* serviceLogin for sid whose reply reveals ss */
static int send_login(struct mf_ctx *ctx, const char *ss, int frame)
{
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	char reply[512];
	cJSON *ev = evidence(frame);
	int rc;

	snprintf(reply, sizeof(reply), "&&&START&&&{\"code\":0,\"sid\":\"miotstore\","
	    "\"ssecurity\":\"%s\",\"userId\":1234567,\"passToken\":\"V1:pt\"}", ss);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "account.xiaomi.com";
	rq.path = "/pass/serviceLogin?sid=miotstore&_json=true";
	rq.method = "GET";
	rs.status = 200;
	rs.body = (const uint8_t *)reply;
	rs.body_len = strlen(reply);
	cJSON_AddNumberToObject(ev, "response_frame", frame + 1);
	rc = mf_micloud_exchange(ctx, &rq, &rs, T0 + (int64_t)frame * MF_NS_PER_S, ev);
	cJSON_Delete(ev);
	return rc;
}

#define DEVLIST "{\"list\":[{\"did\":\"42688810\",\"model\":\"chuangmi.plug.m1\"," \
	"\"name\":\"Lab plug\",\"token\":\"00112233445566778899aabbccddeeff\"}]}"
#define HISTORY "[{\"did\":\"42688810\",\"type\":\"prop\",\"key\":\"power\"," \
	"\"value\":\"[\\\"on\\\"]\",\"time\":1699990100}]"

/* ------------------------------------------------------------ tests */

/* Calls before their keys: a request revealing A opens the A calls, a login
 * revealing B the B call; an X call stays and is reported at the end. */
static void test_late_keys(void)
{
	struct mf_ctx ctx;
	struct call c1, c2, c3, reveal, cx, after;
	int i, j;

	init_ctx(&ctx);
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	call_make(&c1, "de.api.io.mi.com", "/app/home/device_list", KA, "{\"getVirtualModel\":true}",
	    DEVLIST, 0x10, 0, 11);
	call_make(&c2, "de.api.io.mi.com", "/app/user/get_user_device_data", KA,
	    "{\"did\":\"42688810\",\"key\":\"power\",\"type\":\"prop\"}", HISTORY, 0x20, 0, 12);
	call_make(&c3, "de.api.io.mi.com", "/app/v2/message/v2/check_new_msg", KB,
	    "{\"begin_at\":1699990000}", "{\"new_msg\":true}", 0x30, 0, 13);
	call_make(&cx, "de.api.io.mi.com", "/app/v2/homeroom/gethome", KX, "{\"fg\":true}",
	    "{\"homelist\":[]}", 0x40, 0, 14);
	call_make(&reveal, "de.api.io.mi.com", "/app/miotspec/prop/get", KA,
	    "{\"params\":[{\"did\":\"42688810\",\"siid\":2,\"piid\":1}]}", "[]", 0x50, 1, 21);
	call_make(&after, "de.api.io.mi.com", "/app/home/profile", KA, "{\"id\":\"1234567\"}",
	    "{\"nickname\":\"n\"}", 0x60, 0, 41);

	/* no key yet: every call waits, nothing is said */
	CHECK_EQ_INT(send_call(&ctx, &c1), 0);
	CHECK_EQ_INT(send_call(&ctx, &c2), 0);
	CHECK_EQ_INT(send_call(&ctx, &c3), 0);
	CHECK_EQ_INT(send_call(&ctx, &cx), 0);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 4);
	CHECK_EQ_INT(ctx.st.cloud_held, 4);
	CHECK(ctx.st.cloud_held_bytes > strlen(c1.body) + strlen(c1.resp));

	/* a request proves A: it, its session finding, then c1 and c2 (in the
	 * order seen) with their own times, frames and replies */
	CHECK_EQ_INT(send_call(&ctx, &reveal), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 2);
	i = find("data", "/miotspec/prop/get", 0);
	CHECK(i == 0);
	CHECK(i >= 0 && jget(evs[i], "micloud.key_wait") == NULL);
	CHECK(find("session", NULL, 0) > 0);
	i = find("data", "/home/device_list", 0);
	j = find("data", "/user/get_user_device_data", 0);
	CHECK(i > find("session", NULL, 0) && j > i);
	if (i >= 0) {
		CHECK_EQ_STR(jstr(evs[i], "micloud.key_wait"), "opened_later");
		CHECK_EQ_STR(jstr(evs[i], "micloud.signature"), "valid");
		CHECK_EQ_STR(jstr(evs[i], "micloud.ssecurity_from"), "context");
		CHECK(jnum(evs[i], "evidence.frame") == 11);
		CHECK(jnum(evs[i], "micloud.key_evidence.frame") == 21);
		CHECK(evs[i]->ts_ns == c1.ts);
		CHECK(cJSON_GetArraySize(jget(evs[i], "result.list")) == 1);
	}
	/* the device list's records: the token joins the store, at the reply's time */
	i = find("token", NULL, 0);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK(evs[i]->ts_ns == c1.rs.ts_ns);
		CHECK(jnum(evs[i], "evidence.frame") == 11);
	}
	/* the history's record keeps its own time */
	i = find("property", NULL, 0);
	CHECK(i >= 0 && evs[i]->ts_ns == 1699990100LL * MF_NS_PER_S);
	CHECK(find_anomaly("no_ssecurity") < 0 && find_anomaly("wrong_ssecurity") < 0);
	CHECK_EQ_STR(ctx.ssecurity, KA);
	CHECK_EQ_INT(ctx.st.cloud_opened_late, 2);
	clear();

	/* a call after the key: at once, not marked */
	CHECK_EQ_INT(send_call(&ctx, &after), 0);
	i = find("data", "/home/profile", 0);
	CHECK(i >= 0 && jget(evs[i], "micloud.key_wait") == NULL);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 2);
	clear();

	/* a login reveals B: the B call comes out; the latest key is B (the
	 * held call's key is not made the latest: it was used back then) */
	CHECK_EQ_INT(send_login(&ctx, KB, 31), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 1);
	i = find("data", "/v2/message/v2/check_new_msg", 0);
	CHECK(i > find("account", NULL, 0));
	if (i >= 0) {
		CHECK_EQ_STR(jstr(evs[i], "micloud.key_wait"), "opened_later");
		CHECK(jnum(evs[i], "micloud.key_evidence.response_frame") == 32);
		CHECK(jnum(evs[i], "evidence.frame") == 13);
		CHECK(evs[i]->ts_ns == c3.ts);
		CHECK(cJSON_IsTrue(jget(evs[i], "result.new_msg")));
	}
	CHECK_EQ_STR(ctx.ssecurity, KB);
	CHECK_EQ_STR(ctx.ssecurity_old[0], KA);
	clear();

	/* the same login again: no new key, no retry */
	CHECK_EQ_INT(send_login(&ctx, KB, 35), 0);
	CHECK_EQ_INT(count("data", NULL), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 1);
	clear();

	/* the end: the X call as before (its data event and wrong_ssecurity),
	 * marked never_opened, with its own time and frame */
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK(ctx.micloud_held == NULL);
	i = find("data", "/v2/homeroom/gethome", 0);
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_STR(jstr(evs[i], "micloud.key_wait"), "never_opened");
		CHECK_EQ_STR(jstr(evs[i], "micloud.signature"), "unchecked");
		CHECK(jget(evs[i], "micloud.key_evidence") == NULL);
		CHECK(jnum(evs[i], "evidence.frame") == 14);
		CHECK(evs[i]->ts_ns == cx.ts);
	}
	i = find_anomaly("wrong_ssecurity");
	CHECK(i >= 0 && evs[i]->ts_ns == cx.ts && jnum(evs[i], "evidence.frame") == 14);
	CHECK_EQ_INT(count("anomaly", NULL), 1);
	CHECK_EQ_INT(ctx.st.cloud_never_opened, 1);
	CHECK_EQ_INT(ctx.st.cloud_held, 0);
	CHECK_EQ_INT(ctx.st.cloud_held_bytes, 0);
	clear();

	/* no queue now: an unopened call is reported at once */
	CHECK_EQ_INT(send_call(&ctx, &cx), 0);
	CHECK(find_anomaly("wrong_ssecurity") >= 0);
	CHECK(find("data", NULL, 0) >= 0 && jget(evs[find("data", NULL, 0)], "micloud.key_wait") == NULL);
	clear();

	call_free(&c1);
	call_free(&c2);
	call_free(&c3);
	call_free(&cx);
	call_free(&reveal);
	call_free(&after);
	mf_tokens_free(ctx.tokens);
}

/* Held to the end with no key at all: no_ssecurity, once per call, in the
 * order seen; the same events as without a queue, plus key_wait. */
static void test_never(void)
{
	struct mf_ctx ctx;
	struct call a, b;
	int i;

	init_ctx(&ctx);
	call_make(&a, "api.io.mi.com", "/app/home/device_list", KA, "{}", "{\"list\":[]}", 1, 0, 5);
	call_make(&b, "api.io.mi.com", "/app/home/profile", KA, "{}", "{}", 2, 0, 6);
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	CHECK_EQ_INT(send_call(&ctx, &a), 0);
	CHECK_EQ_INT(send_call(&ctx, &b), 0);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK_EQ_INT(count("anomaly", NULL), 2);
	i = find("data", NULL, 0);
	CHECK(i >= 0 && strcmp(jstr(evs[i], "event"), "/home/device_list") == 0);
	CHECK(i >= 0 && strcmp(jstr(evs[i], "micloud.key_wait"), "never_opened") == 0);
	i = find("data", NULL, 1);
	CHECK(i >= 0 && strcmp(jstr(evs[i], "event"), "/home/profile") == 0);
	i = find_anomaly("no_ssecurity");
	CHECK(i >= 0 && jstr(evs[i], "detail") && strstr(jstr(evs[i], "detail"), "end of the input"));
	clear();

	/* nesting: the inner end emits nothing, the outer one does */
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	CHECK_EQ_INT(send_call(&ctx, &a), 0);
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 1);
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK_EQ_INT(count("data", NULL), 1);
	CHECK_EQ_INT(count("anomaly", NULL), 1);
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);   /* no queue: nothing */
	clear();

	/* drop (a decoder freed without finish): freed, nothing said */
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	CHECK_EQ_INT(send_call(&ctx, &a), 0);
	CHECK_EQ_INT(send_call(&ctx, &b), 0);
	mf_micloud_held_drop(&ctx);
	CHECK(ctx.micloud_held == NULL);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(ctx.st.cloud_held, 0);
	mf_micloud_held_drop(&ctx);

	call_free(&a);
	call_free(&b);
	mf_tokens_free(ctx.tokens);
}

/* The caps: a call that does not fit is reported at once, decoded as far
 * as the keys allow, with held_calls_full. */
static void test_caps(void)
{
	struct mf_ctx ctx;
	struct call a, b, reveal;
	int i;

	init_ctx(&ctx);
	ctx.lim.cloud_held_max = 1;
	call_make(&a, "api.io.mi.com", "/app/home/device_list", KA, "{}", "{\"list\":[]}", 1, 0, 5);
	call_make(&b, "api.io.mi.com", "/app/home/profile", KA, "{}", "{}", 2, 0, 6);
	call_make(&reveal, "api.io.mi.com", "/app/home/profile", KA, "{\"x\":1}", "{}", 3, 1, 7);
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	CHECK_EQ_INT(send_call(&ctx, &a), 0);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(send_call(&ctx, &b), 0);
	CHECK(find_anomaly("no_ssecurity") >= 0);
	i = find_anomaly("held_calls_full");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ_STR(jstr(evs[i], "severity"), "warning");
		CHECK(jnum(evs[i], "evidence.frame") == 6);
		CHECK(strstr(jstr(evs[i], "detail"), "1 call(s)") != NULL);
	}
	i = find("data", NULL, 0);
	CHECK(i >= 0 && jget(evs[i], "micloud.key_wait") == NULL);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 1);
	clear();
	/* the one held still opens with the key */
	CHECK_EQ_INT(send_call(&ctx, &reveal), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	i = find("data", "/home/device_list", 0);
	CHECK(i >= 0 && jstr(evs[i], "micloud.key_wait") &&
	    strcmp(jstr(evs[i], "micloud.key_wait"), "opened_later") == 0);
	CHECK_EQ_INT(count("anomaly", NULL), 0);
	clear();
	/* a call that fits by number but not by bytes; with a key known now, a
	 * call it opens at once is decoded, no anomaly */
	ctx.lim.cloud_held_max = 100;
	ctx.lim.cloud_held_mem_max = 64;
	CHECK_EQ_INT(send_call(&ctx, &a), 0);
	CHECK_EQ_INT(count("anomaly", NULL), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	clear();
	ctx.ssecurity[0] = '\0';
	memset(ctx.ssecurity_old, 0, sizeof(ctx.ssecurity_old));
	CHECK_EQ_INT(send_call(&ctx, &b), 0);
	CHECK(find_anomaly("held_calls_full") >= 0);
	CHECK(find_anomaly("no_ssecurity") >= 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	clear();
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK_EQ_INT(nev, 0);

	call_free(&a);
	call_free(&b);
	call_free(&reveal);
	mf_tokens_free(ctx.tokens);
}

/* What is not held: a legacy call (its data is clear: decoded at once, the
 * HMAC unchecked), an RC4 call no key could open (a field not base64), a
 * call that is not RC4. */
static void test_not_held(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	const char *legacy = "signature=J9hKGvwDLpysH5JFhMRTb5t0b0OrngEWP1XXRzFy4Dw%3D"
	    "&_nonce=AAECAwQFBgcBsFUV&data=%7B%22obj_name%22%3A%22synthetic-map%22%7D";
	const char *broken = "data=%%%25&rc4_hash__=abc&signature=x&_nonce=AAECAwQFBgcBsFUV";
	int i;

	init_ctx(&ctx);
	CHECK_EQ_INT(mf_micloud_held_begin(&ctx), 0);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "api.io.mi.com";
	rq.path = "/app/home/getmapfileurl";
	rq.body = (const uint8_t *)legacy;
	rq.body_len = strlen(legacy);
	rs.status = 200;
	rs.body = (const uint8_t *)"{\"code\":0,\"result\":{\"url\":\"https://x/m\"}}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, T0, NULL), 0);
	i = find("data", NULL, 0);
	CHECK(i >= 0 && strcmp(jstr(evs[i], "micloud.mode"), "legacy") == 0);
	CHECK(i >= 0 && strcmp(jstr(evs[i], "micloud.signature"), "unchecked") == 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	clear();

	snprintf(ctx.ssecurity, sizeof(ctx.ssecurity), "%s", KA);
	rq.body = (const uint8_t *)broken;
	rq.body_len = strlen(broken);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, T0, NULL), 0);
	CHECK(find_anomaly("bad_base64") >= 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	clear();

	rq.body = (const uint8_t *)"a=1&b=2";
	rq.body_len = 7;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, T0, NULL), 0);
	CHECK_EQ_INT(count("data", "/home/getmapfileurl"), 1);
	CHECK_EQ_INT(count("anomaly", NULL), 0);
	CHECK_EQ_INT(mf_micloud_held_count(&ctx), 0);
	clear();
	CHECK_EQ_INT(mf_micloud_held_end(&ctx), 0);
	CHECK_EQ_INT(nev, 0);
	mf_tokens_free(ctx.tokens);
}

/* The same calls give the same events whether held or not (but for the
 * key_wait / key_evidence marks): what a late key opens is what --ssecurity
 * would have opened. */
static void test_same_as_known(void)
{
	struct mf_ctx c1, c2;
	struct call a, reveal;
	char *x[2] = { NULL, NULL };
	int k;

	call_make(&a, "de.api.io.mi.com", "/app/home/device_list", KA, "{\"getVirtualModel\":true}",
	    DEVLIST, 0x10, 0, 11);
	call_make(&reveal, "de.api.io.mi.com", "/app/miotspec/prop/get", KA, "{}", "[]", 0x50, 1, 21);
	for (k = 0; k < 2; k++) {
		struct mf_ctx *ctx = k ? &c2 : &c1;
		int i;

		init_ctx(ctx);
		if (k == 0) {
			snprintf(ctx->ssecurity, sizeof(ctx->ssecurity), "%s", KA);
			CHECK_EQ_INT(send_call(ctx, &a), 0);
		} else {
			CHECK_EQ_INT(mf_micloud_held_begin(ctx), 0);
			CHECK_EQ_INT(send_call(ctx, &a), 0);
			CHECK_EQ_INT(send_call(ctx, &reveal), 0);
			CHECK_EQ_INT(mf_micloud_held_end(ctx), 0);
		}
		i = find("data", "/home/device_list", 0);
		CHECK(i >= 0);
		if (i >= 0) {
			cJSON *m = cJSON_GetObjectItemCaseSensitive(evs[i]->body, "micloud");

			cJSON_DeleteItemFromObjectCaseSensitive(m, "key_wait");
			cJSON_DeleteItemFromObjectCaseSensitive(m, "key_evidence");
			x[k] = cJSON_PrintUnformatted(evs[i]->body);
		}
		CHECK_EQ_INT(count("token", NULL), 1);
		CHECK_EQ_INT(count("device", NULL), 1);
		clear();
		mf_tokens_free(ctx->tokens);
	}
	CHECK(x[0] && x[1] && strcmp(x[0], x[1]) == 0);
	free(x[0]);
	free(x[1]);
	call_free(&a);
	call_free(&reveal);
}

int main(void)
{
	test_late_keys();
	test_never();
	test_caps();
	test_not_held();
	test_same_as_known();
	clear();
	return TEST_DONE();
}
