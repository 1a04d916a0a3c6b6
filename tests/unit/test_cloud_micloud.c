/*
 * The Mi cloud codec against ../shared/reference/micloud.md: every vector
 * of section 7 reproduced exactly (nonce, signed nonce, rc4_hash__, both
 * keystream variants, signatures, legacy HMAC, responses plain and gzip),
 * then whole exchanges through mf_micloud_exchange: variant detection,
 * ssecurity from the request / the context / a login, anomalies for every
 * failure, redaction of the login flow's secrets.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_micloud.h"
#include "mf_rc4.h"
#include "mf_time.h"
#include "mf_tokens.h"
#include "mf_test.h"

#define SS "AQEBAQEBAQEBAQEBAQEBAQ=="
#define NONCE "AAECAwQFBgcBsFUV"
#define SN "cpjbFUb//hR2sAgYryNz/jjsqNrczR7MZlCwjyhHe8o="
#define PATH "/home/getmapfileurl"
#define DATA "{\"obj_name\":\"synthetic-map\"}"
#define RESP "{\"code\":0,\"message\":\"ok\",\"result\":{\"list\":[]}}"
#define RESP_RC4 "Lg6GnAwP6aKMHLi6sYGI6d6+p+9p761v4h/0kSMMVE1VtKo+wxPq/8c6eTJGgg=="
#define RESP_GZ "Sqft82hqy5i+MzGBnjy0wexptwUaSotg4HPK8+Lsyori+kWW/fHS+K+UjsWujbgMxrJvfjK2j4tsnygRg0yr"

/* ------------------------------------------------------------ harness */

#define MAXEV 256
static struct mf_event *evs[MAXEV];
static int nev;

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf line;

	(void)arg;
	/* written as every sink writes it: wire bytes that are not UTF-8 are
	 * escaped then (mf_event_to_json), in the event as well */
	mf_buf_init(&line, 1u << 20);
	(void)mf_event_to_json(ev, &line);
	mf_buf_free(&line);
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

/* "a.b.c" inside an event body */
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

static const struct mf_event *find_secret(const char *type)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, "session") == 0 && jstr(evs[i], "secret_type") &&
		    strcmp(jstr(evs[i], "secret_type"), type) == 0)
			return evs[i];
	return NULL;
}

static void init_ctx(struct mf_ctx *ctx)
{
	mf_ctx_init(ctx);
	ctx->emit = sink;
	ctx->tokens = mf_tokens_new();
}

/* An RC4-mode request body for DATA on path with key ss, as a client would send it. */
static char *make_body_ss(const char *ss, const char *method, const char *sign_path,
                          const char *data, int variant, int with_ss);

static char *make_body(const char *method, const char *sign_path, const char *data, int variant,
                       int with_ss)
{
	return make_body_ss(SS, method, sign_path, data, variant, with_ss);
}

static char *make_body_ss(const char *ss, const char *method, const char *sign_path,
                          const char *data, int variant, int with_ss)
{
	struct mf_micloud_form plain, out;
	struct mf_buf b;
	char *s;

	mf_micloud_form_init(&plain);
	mf_micloud_form_init(&out);
	mf_micloud_form_add(&plain, "data", data, strlen(data));
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params(method, sign_path, ss, NONCE, &plain, variant, &out), 0);
	if (!with_ss) {
		/* drop the ssecurity field (last) */
		out.n--;
		free(out.kv[out.n].key);
		free(out.kv[out.n].val);
	}
	mf_buf_init(&b, 1 << 20);
	mf_micloud_form_encode(&out, &b);
	s = strdup(mf_buf_cstr(&b));
	mf_buf_free(&b);
	mf_micloud_form_free(&plain);
	mf_micloud_form_free(&out);
	return s;
}

/* base64(fresh RC4-drop-1024(K) ^ plaintext) */
static char *rc4_b64(const uint8_t *p, size_t n)
{
	struct mf_buf kb, out;
	struct mf_rc4 r;
	uint8_t *c = malloc(n + 1);
	char *s;

	mf_buf_init(&kb, 64);
	mf_b64_decode(SN, strlen(SN), &kb);
	mf_rc4_init_drop1024(&r, kb.data, kb.len);
	mf_rc4_xor(&r, p, c, n);
	mf_buf_init(&out, 1 << 20);
	mf_b64_encode(c, n, &out);
	s = strdup(mf_buf_cstr(&out));
	mf_buf_free(&kb);
	mf_buf_free(&out);
	free(c);
	return s;
}

static cJSON *evidence(int frame)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "file", "t.pcapng");
	cJSON_AddNumberToObject(e, "frame", frame);
	cJSON_AddNumberToObject(e, "tcp_stream", 3);
	return e;
}

/* ------------------------------------------------------ section 7 vectors */

static void test_vectors(void)
{
	static const uint8_t rnd[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	char nonce[MF_MICLOUD_NONCE_LEN], sn[MF_MICLOUD_SN_LEN], h[MF_MICLOUD_SIG_LEN];
	char iso[32];
	struct mf_micloud_form p, out;
	const struct mf_micloud_kv *kv;
	struct mf_buf kb, b;
	struct mf_rc4 r;
	uint8_t ks[16], zero[64] = { 0 };
	char hex[33];
	int64_t ms;

	CHECK_EQ_INT(mf_micloud_nonce_make(rnd, 1700000000000LL, nonce), 0);
	CHECK_EQ_STR(nonce, NONCE);
	CHECK_EQ_INT(mf_micloud_nonce_time(NONCE, &ms), 0);
	CHECK_EQ_INT(ms / 60000, 28333333);
	mf_time_iso(ms * 1000000, iso);
	CHECK_EQ_STR(iso, "2023-11-14T22:13:00.000Z");
	CHECK_EQ_INT(mf_micloud_nonce_time("AAECAwQFBgc=", &ms), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_micloud_nonce_time("!!!", &ms), MF_ERR_FORMAT);

	CHECK_EQ_INT(mf_micloud_signed_nonce(SS, NONCE, sn), 0);
	CHECK_EQ_STR(sn, SN);
	CHECK_EQ_INT(mf_micloud_signed_nonce("", NONCE, sn), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_micloud_signed_nonce("not*base64", NONCE, sn), MF_ERR_FORMAT);

	/* rc4_hash__ plaintext */
	mf_micloud_form_init(&p);
	mf_micloud_form_add(&p, "data", DATA, strlen(DATA));
	CHECK_EQ_INT(mf_micloud_sha1_signature("post", PATH, &p, SN, MF_MICLOUD_SKIP_RC4HASH, h), 0);
	CHECK_EQ_STR(h, "A8gwUO8rQZNJw949YdZdceeIpwQ=");

	/* keystream bytes 1024..1039 and a fresh RC4 of a payload */
	mf_buf_init(&kb, 64);
	CHECK_EQ_INT(mf_b64_decode(SN, strlen(SN), &kb), 32);
	mf_rc4_init_drop1024(&r, kb.data, kb.len);
	mf_rc4_xor(&r, zero, ks, 16);
	mf_hex_encode(ks, 16, hex);
	CHECK_EQ_STR(hex, "552ce5f3686acb98bc309ad7d4f2fb88");
	{
		char *e = rc4_b64((const uint8_t *)"synthetic-cloud-payload", 23);

		CHECK_EQ_STR(e, "JlWLhwAPv/HfHfm7u4efpcm6/Lkk4aI=");
		free(e);
	}

	/* continuing keystream (the app) */
	mf_micloud_form_init(&out);
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params("POST", PATH, SS, NONCE, &p,
	    MF_MICLOUD_RC4_CONTINUE, &out), 0);
	CHECK_EQ_INT(out.n, 5);
	CHECK_EQ_STR(out.kv[0].key, "data");
	CHECK_EQ_STR(out.kv[0].val, "Lg6KkQI1pfnRVbjt9oGC5s2z4KEi4+sgr02kiQ==");
	CHECK_EQ_STR(out.kv[1].key, "rc4_hash__");
	CHECK_EQ_STR(out.kv[1].val, "EUFfTiLB6W7+INfBkjkWVmKb0OMko35bL+ze0A==");
	CHECK_EQ_STR(out.kv[2].key, "signature");
	CHECK_EQ_STR(out.kv[2].val, "vvvCRTG/gZS2M3r0KCdNRySTyU8=");
	CHECK_EQ_STR(out.kv[3].key, "_nonce");
	CHECK_EQ_STR(out.kv[3].val, NONCE);
	CHECK_EQ_STR(out.kv[4].key, "ssecurity");
	CHECK_EQ_STR(out.kv[4].val, SS);
	mf_buf_init(&b, 4096);
	CHECK_EQ_INT(mf_micloud_form_encode(&out, &b), 0);
	CHECK(strstr(mf_buf_cstr(&b), "data=Lg6KkQI1pfnRVbjt9oGC5s2z4KEi4%2Bsgr02kiQ%3D%3D&") != NULL);
	mf_buf_free(&b);
	mf_micloud_form_free(&out);

	/* fresh keystream per value (scripts) */
	mf_micloud_form_init(&out);
	CHECK_EQ_INT(mf_micloud_rc4_encrypt_params("POST", PATH, SS, NONCE, &p,
	    MF_MICLOUD_RC4_FRESH, &out), 0);
	CHECK_EQ_STR(out.kv[0].val, "Lg6KkQI1pfnRVbjt9oGC5s2z4KEi4+sgr02kiQ==");
	CHECK_EQ_STR(out.kv[1].val, "FBSChD0l8+rtatSdo8vPseC/37Eo5aMEvkrXyQ==");
	CHECK_EQ_STR(out.kv[2].val, "psylq3AgOIoYxqMKzitvilnu2Ek=");
	mf_micloud_form_free(&out);

	/* legacy HMAC-SHA256 */
	CHECK_EQ_INT(mf_micloud_legacy_signature(PATH, SN, NONCE, &p, h), 0);
	CHECK_EQ_STR(h, "J9hKGvwDLpysH5JFhMRTb5t0b0OrngEWP1XXRzFy4Dw=");
	/* control fields are not signed */
	mf_micloud_form_add(&p, "signature", "x", 1);
	mf_micloud_form_add(&p, "_nonce", NONCE, 16);
	CHECK_EQ_INT(mf_micloud_legacy_signature(PATH, SN, NONCE, &p, h), 0);
	CHECK_EQ_STR(h, "J9hKGvwDLpysH5JFhMRTb5t0b0OrngEWP1XXRzFy4Dw=");
	mf_micloud_form_free(&p);

	/* responses: plain RC4 and gzip-first */
	{
		struct mf_buf o;
		unsigned how;
		const char *why;

		mf_buf_init(&o, 1 << 20);
		CHECK_EQ_INT(mf_micloud_decrypt_response(SS, NONCE, (const uint8_t *)RESP_RC4,
		    strlen(RESP_RC4), 0, 1 << 20, &o, &how, &why), 0);
		CHECK_EQ_STR(mf_buf_cstr(&o), RESP);
		CHECK_EQ_INT(how, MF_MICLOUD_RESP_RC4);
		mf_buf_reset(&o);
		CHECK_EQ_INT(mf_micloud_decrypt_response(SS, NONCE, (const uint8_t *)RESP_GZ,
		    strlen(RESP_GZ), 1, 1 << 20, &o, &how, &why), 0);
		CHECK_EQ_STR(mf_buf_cstr(&o), RESP);
		CHECK_EQ_INT(how, MF_MICLOUD_RESP_RC4 | MF_MICLOUD_RESP_GZIP);
		mf_buf_reset(&o);
		CHECK_EQ_INT(mf_micloud_decrypt_response(NULL, NULL, (const uint8_t *)" " RESP,
		    strlen(RESP) + 1, 0, 1 << 20, &o, &how, &why), 0);
		CHECK_EQ_STR(mf_buf_cstr(&o), RESP);
		CHECK_EQ_INT(how, MF_MICLOUD_RESP_PLAIN);
		mf_buf_reset(&o);
		CHECK(mf_micloud_decrypt_response(SS, NONCE, (const uint8_t *)"<html>", 6, 0,
		    1 << 20, &o, &how, &why) == MF_ERR_FORMAT);
		CHECK_EQ_STR(why, "bad_base64");
		CHECK(mf_micloud_decrypt_response(NULL, NONCE, (const uint8_t *)RESP_RC4,
		    strlen(RESP_RC4), 0, 1 << 20, &o, &how, &why) == MF_ERR_ARG);
		CHECK_EQ_STR(why, "no_ssecurity");
		CHECK(mf_micloud_decrypt_response(SS, NONCE, (const uint8_t *)RESP_RC4,
		    strlen(RESP_RC4), 0, 10, &o, &how, &why) == MF_ERR_LIMIT);
		CHECK_EQ_STR(why, "body_too_large");
		/* gzip magic with a broken stream */
		{
			static const uint8_t bad[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff };
			char *e = rc4_b64(bad, sizeof(bad));

			mf_buf_reset(&o);
			CHECK(mf_micloud_decrypt_response(SS, NONCE, (const uint8_t *)e, strlen(e), 1,
			    1 << 20, &o, &how, &why) == MF_ERR_FORMAT);
			CHECK_EQ_STR(why, "gzip_error");
			free(e);
		}
		mf_buf_free(&o);
	}
	mf_buf_free(&kb);

	/* decrypt_params tells the variants apart */
	{
		const char *variants[2] = { "app", "fresh" };
		int v;

		for (v = 0; v < 2; v++) {
			struct mf_micloud_form f;
			struct mf_micloud_rc4_req rr;
			char *body = make_body("POST", PATH, DATA, v ? MF_MICLOUD_RC4_FRESH :
			    MF_MICLOUD_RC4_CONTINUE, 1);
			char err[MF_ERRBUF_SIZE];

			mf_micloud_form_init(&f);
			CHECK_EQ_INT(mf_micloud_form_parse(&f, body, strlen(body)), 5);
			CHECK_EQ_INT(mf_micloud_rc4_decrypt_params("POST", "/app" PATH, SS, &f, 1 << 20,
			    &rr, err), 0);
			CHECK_EQ_STR(mf_micloud_variant_name(rr.variant), variants[v]);
			CHECK_EQ_INT(rr.signature_ok, 1);
			CHECK_EQ_INT(rr.rc4_hash_ok, 1);
			CHECK_EQ_INT(rr.path_full, 0);
			CHECK_EQ_INT(rr.values_text, 1);
			kv = mf_micloud_form_get(&rr.plain, "data");
			CHECK(kv && strcmp(kv->val, DATA) == 0);
			kv = mf_micloud_form_get(&rr.plain, "rc4_hash__");
			CHECK(kv && strcmp(kv->val, "A8gwUO8rQZNJw949YdZdceeIpwQ=") == 0);
			mf_micloud_rc4_req_free(&rr);
			/* a wrong key: nothing verifies, binary plaintext */
			CHECK_EQ_INT(mf_micloud_rc4_decrypt_params("POST", "/app" PATH,
			    "AgICAgICAgICAgICAgICAg==", &f, 1 << 20, &rr, err), 0);
			CHECK_EQ_INT(rr.signature_ok, 0);
			CHECK_EQ_INT(rr.rc4_hash_ok, 0);
			CHECK_EQ_INT(rr.variant, MF_MICLOUD_RC4_UNKNOWN);
			mf_micloud_rc4_req_free(&rr);
			mf_micloud_form_free(&f);
			free(body);
		}
	}
}

/* --------------------------------------------------------------- hosts */

static void test_hosts(void)
{
	CHECK_EQ_INT(mf_micloud_is_host("api.io.mi.com"), MF_MICLOUD_HOST_API);
	CHECK_EQ_INT(mf_micloud_is_host("DE.api.io.mi.com:443"), MF_MICLOUD_HOST_API);
	CHECK_EQ_INT(mf_micloud_is_host("de.core.api.io.mi.com"), MF_MICLOUD_HOST_API);
	CHECK_EQ_INT(mf_micloud_is_host("api.mijia.tech"), MF_MICLOUD_HOST_API);
	CHECK_EQ_INT(mf_micloud_is_host("business.smartcamera.api.io.mi.com"), MF_MICLOUD_HOST_CAMERA);
	CHECK_EQ_INT(mf_micloud_is_host("app.business.smartcamera.api.mijia.tech"),
	    MF_MICLOUD_HOST_CAMERA);
	CHECK_EQ_INT(mf_micloud_is_host("account.xiaomi.com"), MF_MICLOUD_HOST_ACCOUNT);
	CHECK_EQ_INT(mf_micloud_is_host("c3.lp.account.xiaomi.com."), MF_MICLOUD_HOST_ACCOUNT);
	CHECK_EQ_INT(mf_micloud_is_host("sts.api.io.mi.com"), MF_MICLOUD_HOST_STS);
	CHECK_EQ_INT(mf_micloud_is_host("sts.api.mijia.tech"), MF_MICLOUD_HOST_STS);
	CHECK_EQ_INT(mf_micloud_is_host("data.mistat.xiaomi.com"), MF_MICLOUD_HOST_OTHER);
	CHECK_EQ_INT(mf_micloud_is_host("home.mi.com"), MF_MICLOUD_HOST_OTHER);
	CHECK_EQ_INT(mf_micloud_is_host("evilmi.com"), MF_MICLOUD_HOST_NONE);
	CHECK_EQ_INT(mf_micloud_is_host("api.io.mi.com.evil.net"), MF_MICLOUD_HOST_NONE);
	CHECK_EQ_INT(mf_micloud_is_host(NULL), MF_MICLOUD_HOST_NONE);
	CHECK_EQ_INT(mf_micloud_is_host(""), MF_MICLOUD_HOST_NONE);
}

/* Bytes from the wire that are not UTF-8 (a path, the User-Agent, a
 * cookie, a reply string) never reach the JSON-lines output as such: they
 * are written \xNN, valid UTF-8 around them is kept. */
static int utf8_valid_tree(const cJSON *v)
{
	const cJSON *it;

	for (it = v ? v->child : NULL; it; it = it->next) {
		const char *strs[2] = { it->string, cJSON_IsString(it) ? it->valuestring : NULL };
		int k;

		for (k = 0; k < 2; k++) {
			const unsigned char *p = (const unsigned char *)strs[k];

			while (p && *p) {
				size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
				    (*p & 0xf8) == 0xf0 ? 4 : 0;
				size_t i;

				if (n == 0)
					return 0;
				for (i = 1; i < n; i++)
					if ((p[i] & 0xc0) != 0x80)
						return 0;
				p += n;
			}
		}
		if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && !utf8_valid_tree(it))
			return 0;
	}
	return 1;
}

static void test_not_utf8(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	const struct mf_event *ev;
	int i;

	init_ctx(&ctx);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "de.api.io.mi.com";
	rq.method = "GET";
	rq.path = "/app/home/x\xff?a=1";
	rq.user_agent = "Mi\xffHome \xe5\xb0\x8f\xe7\xb1\xb3 a\\b";
	rq.cookie = "userId=12\xfe" "3";
	rs.status = 200;
	rs.body = (const uint8_t *)"{\"code\":0,\"message\":\"\xc3\x28\",\"result\":{\"k\xff\":1}}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	CHECK(nev > 0);
	for (i = 0; i < nev; i++)
		CHECK(utf8_valid_tree(evs[i]->body));
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.path") && strcmp(jstr(ev, "micloud.path"), "/app/home/x\\xff") == 0);
	CHECK(ev && jstr(ev, "micloud.user_agent") &&
	    strcmp(jstr(ev, "micloud.user_agent"), "Mi\\xffHome \xe5\xb0\x8f\xe7\xb1\xb3 a\\\\b") == 0);
	CHECK(ev && jstr(ev, "uid") && strcmp(jstr(ev, "uid"), "12\\xfe" "3") == 0);
	CHECK(ev && jstr(ev, "micloud.message") && strcmp(jstr(ev, "micloud.message"), "\\xc3(") == 0);
	CHECK(ev && jget(ev, "result.k\\xff") != NULL);
	clear();
	mf_tokens_free(ctx.tokens);
}

/* The User-Agent tells the app from scripts (micloud.md section 3). */
static void test_user_agents(void)
{
	static const struct {
		const char *ua, *kind;   /* kind NULL: not told */
	} t[] = {
		{ "Android-15-11.0.701-Xiaomi-24031PN0DC-ABCDE-0123456789abcdef0123456789abcdef01234567-"
		  "CN-0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef-SmartHome-"
		  "MI_APP_STORE-0123456789abcdef0123456789abcdef01234567|0123456789abcdef0123456789abcdef"
		  "01234567|0123456789abcdef-64", "app" },
		{ "APP/com.xiaomi.mihome APPV/6.0.103 iosPassportSDK/3.9.0 iOS/14.4 miHSTS", "app" },
		{ "Android-7.1.1-1.0.0-ONEPLUS A3010-136-ABCDEFGHIJKLM APP/xiaomi.smarthome APPV/62830",
		  "script" },
		{ "abcdefghijklmnopqr-ABCDEFGHIJ123 APP/com.xiaomi.mihome APPV/10.5.201", "script" },
		{ "python-requests/2.31.0", "script" },
		{ "Go-http-client/2.0", "script" },
		{ "okhttp/4.12.0", "script" },
		{ "Mozilla/5.0 (Linux; Android 14)", NULL },
		{ "abcdefghijklmnopqr-ABC APP/com.xiaomi.mihome APPV/10.5.201", NULL },
	};
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	size_t i;

	init_ctx(&ctx);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct mf_event *ev;

		memset(&rq, 0, sizeof(rq));
		rq.host = i % 2 ? "account.xiaomi.com" : "de.api.io.mi.com";
		rq.method = "GET";
		rq.path = i % 2 ? "/pass/serviceLogin?sid=xiaomiio" : "/app/home/profile";
		rq.user_agent = t[i].ua;
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, NULL, MF_TIME_NONE, NULL), 0);
		ev = find_kind(i % 2 ? "account" : "data", 0);
		CHECK(ev && jstr(ev, "micloud.user_agent") && strcmp(jstr(ev, "micloud.user_agent"),
		    t[i].ua) == 0);
		if (t[i].kind)
			CHECK(ev && jstr(ev, "micloud.user_agent_kind") &&
			    strcmp(jstr(ev, "micloud.user_agent_kind"), t[i].kind) == 0);
		else
			CHECK(ev && jget(ev, "micloud.user_agent_kind") == NULL);
		clear();
	}
	mf_tokens_free(ctx.tokens);
}

static void test_forms(void)
{
	struct mf_micloud_form f;
	const struct mf_micloud_kv *kv;
	int i, rc = 0;
	char big[2048];

	mf_micloud_form_init(&f);
	CHECK_EQ_INT(mf_micloud_form_parse(&f, "a=1%2B2&b=x+y&&c&d=%zz%4", 24), 4);
	kv = mf_micloud_form_get(&f, "a");
	CHECK(kv && strcmp(kv->val, "1+2") == 0);
	kv = mf_micloud_form_get(&f, "b");
	CHECK(kv && strcmp(kv->val, "x y") == 0);
	kv = mf_micloud_form_get(&f, "c");
	CHECK(kv && kv->val_len == 0);
	kv = mf_micloud_form_get(&f, "d");
	CHECK(kv && strcmp(kv->val, "%zz%4") == 0);
	mf_micloud_form_free(&f);
	/* %00 decodes to a NUL kept in val_len */
	CHECK_EQ_INT(mf_micloud_form_parse(&f, "k=a%00b", 7), 1);
	CHECK_EQ_INT(f.kv[0].val_len, 3);
	mf_micloud_form_free(&f);
	/* field cap */
	big[0] = '\0';
	for (i = 0; i < 70; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "k%d=v&", i);
	rc = mf_micloud_form_parse(&f, big, strlen(big));
	CHECK_EQ_INT(rc, MF_ERR_LIMIT);
	CHECK_EQ_INT(f.n, MF_MICLOUD_FORM_MAX);
	mf_micloud_form_free(&f);
}

/* ------------------------------------------------------------ exchanges */

static void test_exchange_rc4(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	const struct mf_event *ev;
	char *body = make_body("POST", PATH, DATA, MF_MICLOUD_RC4_CONTINUE, 1);
	cJSON *evd = evidence(42);
	int64_t ts = 1700000005LL * MF_NS_PER_S;

	init_ctx(&ctx);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "de.api.io.mi.com";
	rq.path = "/app" PATH;
	rq.method = "POST";
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rq.content_type = "application/x-www-form-urlencoded";
	rq.cookie = "userId=1234567; serviceToken=abcdefghijklmnopqrstuvwxyz; locale=zh_CN";
	rq.encrypt_alg = "ENCRYPT-RC4";
	rq.user_agent = "Android-7.1.1-1.0.0-ONEPLUS A3010-136-X APP/xiaomi.smarthome APPV/62830";
	rs.status = 200;
	rs.body = (const uint8_t *)RESP_RC4;
	rs.body_len = strlen(RESP_RC4);
	rs.ts_ns = ts + 250000000;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev != NULL);
	if (ev) {
		CHECK_EQ_STR(ev->protocol, "micloud-http");
		CHECK_EQ_STR(ev->source, "pcap");
		CHECK_EQ_STR(jstr(ev, "event"), PATH);
		CHECK_EQ_STR(jstr(ev, "uid"), "1234567");
		CHECK_EQ_STR(jstr(ev, "value.obj_name"), "synthetic-map");
		CHECK(cJSON_IsArray(jget(ev, "result.list")));
		CHECK_EQ_STR(jstr(ev, "micloud.mode"), "rc4");
		CHECK_EQ_STR(jstr(ev, "micloud.variant"), "app");
		CHECK_EQ_STR(jstr(ev, "micloud.client"), "app");
		CHECK_EQ_STR(jstr(ev, "micloud.signature"), "valid");
		CHECK_EQ_STR(jstr(ev, "micloud.rc4_hash"), "valid");
		CHECK_EQ_STR(jstr(ev, "micloud.ssecurity_from"), "request");
		CHECK(strstr(jstr(ev, "micloud.ssecurity"), "redacted") != NULL);
		CHECK_EQ_STR(jstr(ev, "micloud.nonce"), NONCE);
		CHECK_EQ_STR(jstr(ev, "micloud.nonce_time"), "2023-11-14T22:13:00.000Z");
		CHECK_EQ_STR(jstr(ev, "micloud.endpoint"), "map_file_url");
		CHECK_EQ_STR(jstr(ev, "micloud.response"), "rc4");
		CHECK_EQ_STR(jstr(ev, "micloud.code"), "0");
		CHECK_EQ_STR(jstr(ev, "micloud.message"), "ok");
		CHECK_EQ_STR(jstr(ev, "evidence.file"), "t.pcapng");
		CHECK_EQ_STR(jstr(ev, "raw.data"), "Lg6KkQI1pfnRVbjt9oGC5s2z4KEi4+sgr02kiQ==");
		CHECK(strstr(jstr(ev, "raw.ssecurity"), "redacted") != NULL);
		CHECK_EQ_STR(jstr(ev, "micloud.nonce_skew_s"), "-25");
		CHECK_EQ_STR(jstr(ev, "micloud.rtt_ms"), "250");
	}
	/* the new ssecurity, proven by the signature, is reported once */
	ev = find_secret("ssecurity");
	CHECK(ev != NULL);
	if (ev) {
		CHECK_EQ_STR(jstr(ev, "found_in"), "request form");
		CHECK(strstr(jstr(ev, "secret"), "redacted") != NULL);
	}
	CHECK(find_secret("serviceToken") != NULL);
	CHECK_EQ_STR(ctx.ssecurity, SS);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	/* the same again: no new finding */
	clear();
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK_EQ_INT(count_kind("session"), 0);
	CHECK_EQ_INT(count_kind("data"), 1);
	clear();

	/* the response gzip-first, MIOT-CONTENT-ENCODING */
	rs.body = (const uint8_t *)RESP_GZ;
	rs.body_len = strlen(RESP_GZ);
	rs.miot_content_encoding = "GZIP";
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.response") && strcmp(jstr(ev, "micloud.response"), "rc4+gzip") == 0);
	CHECK(ev && cJSON_IsArray(jget(ev, "result.list")));
	clear();

	/* request without response */
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, NULL, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && cJSON_IsFalse(jget(ev, "micloud.answered")));
	clear();

	/* ssecurity not in the request: taken from the context */
	free(body);
	body = make_body("POST", PATH, DATA, MF_MICLOUD_RC4_FRESH, 0);
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rs.body = (const uint8_t *)RESP_RC4;
	rs.body_len = strlen(RESP_RC4);
	rs.miot_content_encoding = NULL;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.variant"), "fresh") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.client"), "script") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.ssecurity_from"), "context") == 0);
	CHECK(ev && cJSON_IsArray(jget(ev, "result.list")));
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();

	/* a wrong context key, no request key */
	snprintf(ctx.ssecurity, sizeof(ctx.ssecurity), "AgICAgICAgICAgICAgICAg==");
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK(find_anomaly("wrong_ssecurity") != NULL);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "unchecked") == 0);
	CHECK(ev && strcmp(jstr(ev, "raw.data"), "Lg6KkQI1pfnRVbjt9oGC5s2z4KEi4+sgr02kiQ==") == 0);
	clear();

	/* no key at all */
	ctx.ssecurity[0] = '\0';
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK(find_anomaly("no_ssecurity") != NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 1);   /* not repeated for the response */
	clear();

	/* a tampered signature: decrypted, flagged */
	free(body);
	body = make_body("POST", PATH, DATA, MF_MICLOUD_RC4_CONTINUE, 1);
	{
		char *s = strstr(body, "signature=");

		s[10] = s[10] == 'A' ? 'B' : 'A';
	}
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_anomaly("bad_signature");
	CHECK(ev && strcmp(jstr(ev, "severity"), "warning") == 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "invalid") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.rc4_hash"), "valid") == 0);
	CHECK(ev && jstr(ev, "value.obj_name") != NULL);
	clear();

	/* response failures */
	free(body);
	body = make_body("POST", PATH, DATA, MF_MICLOUD_RC4_CONTINUE, 1);
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rs.body = (const uint8_t *)"%%%notbase64%%%";
	rs.body_len = 15;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK(find_anomaly("bad_base64") != NULL);
	clear();
	{
		char *e = rc4_b64((const uint8_t *)"\x01\x02garbage", 9);

		rs.body = (const uint8_t *)e;
		rs.body_len = strlen(e);
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
		CHECK(find_anomaly("rc4_not_json") != NULL);
		clear();
		free(e);
	}
	{
		static const uint8_t bad[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff };
		char *e = rc4_b64(bad, sizeof(bad));

		rs.body = (const uint8_t *)e;
		rs.body_len = strlen(e);
		rs.miot_content_encoding = "GZIP";
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
		CHECK(find_anomaly("gzip_error") != NULL);
		clear();
		free(e);
		rs.miot_content_encoding = NULL;
	}
	/* plain JSON errors come back unencrypted */
	rs.body = (const uint8_t *)"{\"code\":3,\"message\":\"auth err\"}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.response"), "plain") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.code"), "3") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.message"), "auth err") == 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();
	/* an HTML error page is previewed, not an anomaly */
	rs.status = 502;
	rs.body = (const uint8_t *)"<html>Bad gateway</html>";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.response_preview") != NULL);
	clear();
	/* an error status with a text body that happens to be base64 once a
	 * space is read as '+' ("auth err"): not an RC4 reply, previewed */
	rs.status = 401;
	rs.body = (const uint8_t *)"auth err";
	rs.body_len = 8;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.response_preview") &&
	    strcmp(jstr(ev, "micloud.response_preview"), "auth err") == 0);
	CHECK(ev && jget(ev, "micloud.response") == NULL);
	clear();
	/* the same with status 200: a body that is not base64 (a space) */
	rs.status = 200;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	CHECK(find_anomaly("bad_base64") != NULL);
	CHECK(find_anomaly("rc4_not_json") == NULL);
	clear();
	/* JSON nested past the cap */
	{
		char deep[300];
		int i;

		for (i = 0; i < 100; i++)
			deep[i] = '[';
		for (i = 100; i < 200; i++)
			deep[i] = ']';
		deep[200] = '\0';
		rs.status = 200;
		rs.body = (const uint8_t *)deep;
		rs.body_len = 200;
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
		CHECK(find_anomaly("json_too_deep") != NULL);
		clear();
	}

	/* unencoded '+' in the form read as ' ' still decodes; query instead of body */
	{
		char *q = strdup(body), *p;

		for (p = q; (p = strstr(p, "%2B")) != NULL;) {
			*p = '+';
			memmove(p + 1, p + 3, strlen(p + 3) + 1);
		}
		rq.body = NULL;
		rq.body_len = 0;
		rq.query = q;
		rs.body = (const uint8_t *)RESP_RC4;
		rs.body_len = strlen(RESP_RC4);
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
		ev = find_kind("data", 0);
		CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
		CHECK(ev && strcmp(jstr(ev, "micloud.variant"), "app") == 0);
		CHECK_EQ_INT(count_kind("anomaly"), 0);
		clear();
		free(q);
		rq.query = NULL;
	}

	/* a client posting the form as a string under another Content-Type */
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rq.content_type = "text/plain; charset=utf-8";
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	CHECK(ev && jstr(ev, "value.obj_name") != NULL);
	clear();
	rq.content_type = "application/x-www-form-urlencoded";

	/* an absolute-form target (a request to an HTTP proxy), no Host field */
	rq.host = NULL;
	rq.path = "http://de.api.io.mi.com:80/app" PATH;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "event") && strcmp(jstr(ev, "event"), PATH) == 0);
	CHECK(ev && jstr(ev, "micloud.path") && strcmp(jstr(ev, "micloud.path"), "/app" PATH) == 0);
	CHECK(ev && jstr(ev, "micloud.host") && strcmp(jstr(ev, "micloud.host"),
	    "de.api.io.mi.com:80") == 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	CHECK(ev && jstr(ev, "micloud.endpoint") && strcmp(jstr(ev, "micloud.endpoint"),
	    "map_file_url") == 0);
	clear();
	rq.path = "https://de.api.io.mi.com?x=1";
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts, evd), 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.path") && strcmp(jstr(ev, "micloud.path"), "/") == 0);
	clear();
	rq.host = "de.api.io.mi.com";
	rq.path = "/app" PATH;

	/* a nonce far from the capture time */
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, ts + 3600 * MF_NS_PER_S, evd), 0);
	ev = find_anomaly("nonce_time_skew");
	CHECK(ev && strcmp(jstr(ev, "severity"), "warning") == 0);
	clear();

	free(body);
	cJSON_Delete(evd);
	mf_tokens_free(ctx.tokens);
}

static void test_exchange_legacy(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	const struct mf_event *ev;
	char body[512];

	init_ctx(&ctx);
	snprintf(ctx.ssecurity, sizeof(ctx.ssecurity), "%s", SS);
	snprintf(body, sizeof(body), "signature=%s&_nonce=%s&data=%s",
	    "J9hKGvwDLpysH5JFhMRTb5t0b0OrngEWP1XXRzFy4Dw%3D", NONCE,
	    "%7B%22obj_name%22%3A%22synthetic-map%22%7D");
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "api.io.mi.com";
	rq.path = "/app/home/getmapfileurl";
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rs.status = 200;
	rs.body = (const uint8_t *)"{\"code\":0,\"message\":\"ok\",\"result\":{\"url\":\"https://x/m\"}}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("data", 0);
	CHECK(ev != NULL);
	if (ev) {
		CHECK_EQ_STR(jstr(ev, "micloud.mode"), "legacy");
		CHECK_EQ_STR(jstr(ev, "micloud.signature"), "valid");
		CHECK_EQ_STR(jstr(ev, "value.obj_name"), "synthetic-map");
		CHECK_EQ_STR(jstr(ev, "result.url"), "https://x/m");
	}
	/* the file URL record */
	ev = find_kind("data", 1);
	CHECK(ev && jstr(ev, "url") && strcmp(jstr(ev, "url"), "https://x/m") == 0);
	CHECK(ev && jstr(ev, "obj_name") && strcmp(jstr(ev, "obj_name"), "synthetic-map") == 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();
	/* a legacy call that also carries the RC4 header stays legacy */
	rq.encrypt_alg = "ENCRYPT-RC4";
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.mode"), "legacy") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	clear();
	rq.encrypt_alg = NULL;
	/* a legacy reply that is not JSON needs no key to be called so */
	{
		char saved[sizeof(ctx.ssecurity)];

		memcpy(saved, ctx.ssecurity, sizeof(saved));
		ctx.ssecurity[0] = '\0';
		rs.body = (const uint8_t *)"\x1b\x22\x00\xf8" "binary";
		rs.body_len = 10;
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
		CHECK(find_anomaly("json_unparsable") != NULL);
		CHECK(find_anomaly("no_ssecurity") == NULL);
		ev = find_kind("data", 0);
		CHECK(ev && jstr(ev, "micloud.response_preview") != NULL);
		clear();
		memcpy(ctx.ssecurity, saved, sizeof(saved));
		rs.body = (const uint8_t *)"{\"code\":0,\"message\":\"ok\",\"result\":{\"url\":\"https://x/m\"}}";
		rs.body_len = strlen((const char *)rs.body);
	}
	/* with another key the HMAC fails (warning) */
	snprintf(ctx.ssecurity, sizeof(ctx.ssecurity), "AgICAgICAgICAgICAgICAg==");
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "invalid") == 0);
	CHECK(find_anomaly("bad_signature") != NULL);
	clear();
	mf_tokens_free(ctx.tokens);
}

static void test_account(void)
{
	struct mf_ctx ctx;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	const struct mf_event *ev;
	const char *form = "sid=xiaomiio&hash=5F4DCC3B5AA765D61D8327DEB882CF99"
	    "&callback=https%3A%2F%2Fsts.api.io.mi.com%2Fsts&qs=%253Fsid%253Dxiaomiio%2526_json%253Dtrue"
	    "&user=examiner%40example.org&_sign=abc&_json=true";
	const char *reply = "&&&START&&&{\"qs\":\"%3Fsid\",\"ssecurity\":\"" SS "\","
	    "\"code\":0,\"passToken\":\"V1:passtokenpasstoken\",\"userId\":1234567,"
	    "\"cUserId\":\"cuid-xyz\",\"nonce\":123456,\"psecurity\":\"PSECURITYPSECURITY\","
	    "\"location\":\"https://sts.api.io.mi.com/sts?d=x&nonce=1&clientSign=y\"}";

	init_ctx(&ctx);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "account.xiaomi.com";
	rq.path = "/pass/serviceLoginAuth2";
	rq.body = (const uint8_t *)form;
	rq.body_len = strlen(form);
	rq.content_type = "application/x-www-form-urlencoded";
	rs.status = 200;
	rs.body = (const uint8_t *)reply;
	rs.body_len = strlen(reply);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, 1700000000LL * MF_NS_PER_S, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev != NULL);
	if (ev) {
		CHECK_EQ_STR(jstr(ev, "uid"), "1234567");
		CHECK_EQ_STR(jstr(ev, "user"), "examiner@example.org");
		CHECK_EQ_STR(jstr(ev, "micloud.step"), "serviceLoginAuth2");
		CHECK_EQ_STR(jstr(ev, "micloud.outcome"), "logged_in");
		CHECK_EQ_STR(jstr(ev, "micloud.cuid"), "cuid-xyz");
		CHECK(strstr(jstr(ev, "value.hash"), "redacted") != NULL);
		CHECK(strstr(jstr(ev, "result.ssecurity"), "redacted") != NULL);
		CHECK(strstr(jstr(ev, "result.passToken"), "redacted") != NULL);
	}
	CHECK(find_secret("password_md5") != NULL);
	CHECK(find_secret("ssecurity") != NULL);
	CHECK(find_secret("passToken") != NULL);
	CHECK(find_secret("psecurity") != NULL);
	ev = find_secret("password_md5");
	CHECK(ev && strstr(jstr(ev, "secret"), "5F4D") && strstr(jstr(ev, "secret"), "redacted"));
	CHECK(ev && strcmp(jstr(ev, "uid"), "1234567") == 0);
	CHECK_EQ_STR(ctx.ssecurity, SS);
	clear();

	/* show_secrets: in clear */
	ctx.show_secrets = 1;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, 1700000000LL * MF_NS_PER_S, NULL), 0);
	ev = find_secret("password_md5");
	CHECK(ev && strcmp(jstr(ev, "secret"), "5F4DCC3B5AA765D61D8327DEB882CF99") == 0);
	ev = find_secret("ssecurity");
	CHECK(ev && cJSON_IsTrue(jget(ev, "already_known")));
	clear();
	ctx.show_secrets = 0;

	/* captcha and wrong password outcomes */
	rs.body = (const uint8_t *)"&&&START&&&{\"code\":87001,\"captchaUrl\":\"/pass/getCode?icodeType=login\"}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.outcome"), "captcha_required") == 0);
	clear();
	rs.body = (const uint8_t *)"&&&START&&&{\"code\":70016,\"_sign\":\"x\"}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.outcome"), "wrong_password") == 0);
	clear();
	rs.body = (const uint8_t *)"&&&START&&&{\"code\":0,\"notificationUrl\":\"https://account.xiaomi.com/fe/service/identity/authStart?x\",\"securityStatus\":16,\"location\":\"\"}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.outcome"), "verification_required") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.security_status"), "16") == 0);
	clear();
	rs.body = (const uint8_t *)"&&&START&&&{\"code\":70016";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	CHECK(find_anomaly("json_unparsable") != NULL);
	clear();

	/* the QR login's long poll on its own host answers with the session */
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "c3.lp.account.xiaomi.com";
	rq.method = "GET";
	rq.path = "/lp/s?d=abc&a=1";
	rs.status = 200;
	rs.body = (const uint8_t *)"&&&START&&&{\"code\":0,\"userId\":1234567,\"ssecurity\":\"" SS "\","
	    "\"passToken\":\"V1:qr\",\"location\":\"https://sts.api.io.mi.com/sts?d=x\"}";
	rs.body_len = strlen((const char *)rs.body);
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.step"), "qr_login") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.outcome"), "logged_in") == 0);
	CHECK(find_secret("ssecurity") != NULL);
	clear();

	/* STS: serviceToken in Set-Cookie, ssecurity in extension-pragma */
	ctx.ssecurity[0] = '\0';
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "sts.api.io.mi.com";
	rq.method = "GET";
	rq.path = "/sts?d=abc&nonce=1&clientSign=xyz";
	rs.status = 200;
	rs.body = (const uint8_t *)"ok";
	rs.body_len = 2;
	rs.set_cookie_joined = "serviceToken=SERVICETOKENVALUE/abc+=; Domain=.io.mi.com; Path=/\n"
	    "yetAnotherServiceToken=SERVICETOKENVALUE/abc+=; Path=/\nuserId=1234567; Path=/";
	rs.extension_pragma = "{\"nonce\":1,\"ssecurity\":\"" SS "\",\"psecurity\":\"P\"}";
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("account", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.step"), "sts") == 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.outcome"), "session_issued") == 0);
	CHECK(ev && strcmp(jstr(ev, "uid"), "1234567") == 0);
	ev = find_secret("serviceToken");
	CHECK(ev && strcmp(jstr(ev, "found_in"), "Set-Cookie") == 0);
	ev = find_secret("ssecurity");
	CHECK(ev && strcmp(jstr(ev, "found_in"), "extension-pragma") == 0);
	CHECK_EQ_STR(ctx.ssecurity, SS);
	clear();

	/* and a following API request without the ssecurity field decodes with it */
	{
		char *body = make_body("POST", PATH, DATA, MF_MICLOUD_RC4_CONTINUE, 0);

		memset(&rq, 0, sizeof(rq));
		memset(&rs, 0, sizeof(rs));
		rq.host = "api.io.mi.com";
		rq.path = "/app" PATH;
		rq.body = (const uint8_t *)body;
		rq.body_len = strlen(body);
		rs.status = 200;
		rs.body = (const uint8_t *)RESP_RC4;
		rs.body_len = strlen(RESP_RC4);
		CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
		ev = find_kind("data", 0);
		CHECK(ev && strcmp(jstr(ev, "micloud.ssecurity_from"), "context") == 0);
		CHECK(ev && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
		CHECK_EQ_INT(count_kind("anomaly"), 0);
		clear();
		free(body);
	}
	/* other Xiaomi host */
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "data.mistat.xiaomi.com";
	rq.path = "/mistats/v3";
	rs.status = 200;
	rs.body = (const uint8_t *)"{\"code\":0}";
	rs.body_len = 10;
	CHECK_EQ_INT(mf_micloud_exchange(&ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	ev = find_kind("data", 0);
	CHECK(ev && strcmp(jstr(ev, "micloud.mode"), "other_host") == 0);
	clear();
	mf_tokens_free(ctx.tokens);
}

/* Several session keys in one capture (micloud.md sections 1, 8, 10): a
 * login for xiaomiio, then serviceLogin for another sid (miotstore) with
 * its own ssecurity; requests without an ssecurity field signed with the
 * first key still decode, legacy HMACs verify with whichever key signed
 * them, and --ssecurity (set before) survives the logins. */
#define SS2 "AgICAgICAgICAgICAgICAg=="
#define SS3 "AwMDAwMDAwMDAwMDAwMDAw=="

static void login_reply(struct mf_ctx *ctx, const char *sid, const char *ss)
{
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	char path[96], body[256];

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	snprintf(path, sizeof(path), "/pass/serviceLogin?sid=%s&_json=true", sid);
	snprintf(body, sizeof(body), "&&&START&&&{\"code\":0,\"sid\":\"%s\",\"ssecurity\":\"%s\","
	    "\"userId\":1234567}", sid, ss);
	rq.host = "account.xiaomi.com";
	rq.method = "GET";
	rq.path = path;
	rs.status = 200;
	rs.body = (const uint8_t *)body;
	rs.body_len = strlen(body);
	CHECK_EQ_INT(mf_micloud_exchange(ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
}

static void rc4_call(struct mf_ctx *ctx, const char *ss, int with_ss)
{
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	char *body = make_body_ss(ss, "POST", PATH, DATA, MF_MICLOUD_RC4_CONTINUE, with_ss);
	struct mf_buf kb, resp;
	char sn[MF_MICLOUD_SN_LEN];
	struct mf_rc4 r;
	uint8_t ct[128];

	/* the reply, encrypted with this call's key */
	CHECK_EQ_INT(mf_micloud_signed_nonce(ss, NONCE, sn), 0);
	mf_buf_init(&kb, 64);
	mf_buf_init(&resp, 4096);
	mf_b64_decode(sn, strlen(sn), &kb);
	mf_rc4_init_drop1024(&r, kb.data, kb.len);
	mf_rc4_xor(&r, (const uint8_t *)RESP, ct, strlen(RESP));
	mf_b64_encode(ct, strlen(RESP), &resp);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "de.api.io.mi.com";
	rq.path = "/app" PATH;
	rq.body = (const uint8_t *)body;
	rq.body_len = strlen(body);
	rq.content_type = "application/x-www-form-urlencoded";
	rq.encrypt_alg = "ENCRYPT-RC4";
	rq.cookie = "cUserId=cu-1; yetAnotherServiceToken=STOKEN-ONLY-YET-ANOTHER";
	rs.status = 200;
	rs.body = resp.data;
	rs.body_len = resp.len;
	CHECK_EQ_INT(mf_micloud_exchange(ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	mf_buf_free(&kb);
	mf_buf_free(&resp);
	free(body);
}

static void legacy_call(struct mf_ctx *ctx, const char *ss)
{
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	struct mf_micloud_form f;
	char sn[MF_MICLOUD_SN_LEN], sig[MF_MICLOUD_SIG_LEN];
	struct mf_buf b;

	mf_micloud_form_init(&f);
	mf_micloud_form_add(&f, "data", DATA, strlen(DATA));
	CHECK_EQ_INT(mf_micloud_signed_nonce(ss, NONCE, sn), 0);
	CHECK_EQ_INT(mf_micloud_legacy_signature(PATH, sn, NONCE, &f, sig), 0);
	mf_micloud_form_add(&f, "signature", sig, strlen(sig));
	mf_micloud_form_add(&f, "_nonce", NONCE, strlen(NONCE));
	mf_buf_init(&b, 4096);
	mf_micloud_form_encode(&f, &b);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = "api.io.mi.com";
	rq.path = "/app" PATH;
	rq.body = b.data;
	rq.body_len = b.len;
	rs.status = 200;
	rs.body = (const uint8_t *)RESP;
	rs.body_len = strlen(RESP);
	CHECK_EQ_INT(mf_micloud_exchange(ctx, &rq, &rs, MF_TIME_NONE, NULL), 0);
	mf_buf_free(&b);
	mf_micloud_form_free(&f);
}

static void test_several_keys(void)
{
	struct mf_ctx ctx;
	const struct mf_event *ev;

	init_ctx(&ctx);
	login_reply(&ctx, "xiaomiio", SS);
	login_reply(&ctx, "miotstore", SS2);
	CHECK_EQ_STR(ctx.ssecurity, SS2);
	CHECK_EQ_STR(ctx.ssecurity_old[0], SS);
	clear();

	/* signed with the xiaomiio key, no ssecurity field */
	rc4_call(&ctx, SS, 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	CHECK(ev && jstr(ev, "micloud.ssecurity_from") &&
	    strcmp(jstr(ev, "micloud.ssecurity_from"), "context") == 0);
	CHECK(ev && cJSON_IsArray(jget(ev, "result.list")));
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("session"), 0);     /* a known key: no new finding */
	CHECK_EQ_STR(ctx.ssecurity, SS);             /* the key in use comes first */
	CHECK_EQ_STR(ctx.ssecurity_old[0], SS2);
	clear();

	/* legacy HMAC with the miotstore key */
	legacy_call(&ctx, SS2);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();
	/* and with a key nobody revealed: invalid, one warning */
	legacy_call(&ctx, SS3);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "invalid") == 0);
	ev = find_anomaly("bad_signature");
	CHECK(ev && strcmp(jstr(ev, "severity"), "warning") == 0);
	CHECK(ev && strstr(jstr(ev, "detail"), "any known ssecurity") != NULL);
	clear();

	/* a new key in a request's own field is reported once, with the
	 * serviceToken of its cookie (here only yetAnotherServiceToken) */
	rc4_call(&ctx, SS3, 1);
	CHECK(find_secret("ssecurity") != NULL);
	ev = find_secret("serviceToken");
	CHECK(ev && strcmp(jstr(ev, "found_in"), "request cookie") == 0);
	clear();
	rc4_call(&ctx, SS, 1);      /* known already */
	CHECK_EQ_INT(count_kind("session"), 0);
	clear();
	/* a login repeating a known key says so */
	login_reply(&ctx, "miotstore", SS2);
	ev = find_secret("ssecurity");
	CHECK(ev && cJSON_IsTrue(jget(ev, "already_known")));
	clear();
	mf_tokens_free(ctx.tokens);

	/* --ssecurity survives a login for another key */
	init_ctx(&ctx);
	snprintf(ctx.ssecurity, sizeof(ctx.ssecurity), "%s", SS3);
	login_reply(&ctx, "xiaomiio", SS);
	clear();
	rc4_call(&ctx, SS3, 0);
	ev = find_kind("data", 0);
	CHECK(ev && jstr(ev, "micloud.signature") && strcmp(jstr(ev, "micloud.signature"), "valid") == 0);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	clear();
	/* more keys than kept: the oldest is forgotten, nothing breaks */
	{
		int i;

		for (i = 0; i < MF_SSECURITY_OLD + 3; i++) {
			char k[32];

			snprintf(k, sizeof(k), "AAAAAAAAAAAAAAAAAAAA%04d", i);
			login_reply(&ctx, "xiaomiio", k);
		}
		clear();
		CHECK(strncmp(ctx.ssecurity, "AAAAAAAAAAAAAAAAAAAA", 20) == 0);
		CHECK(ctx.ssecurity_old[MF_SSECURITY_OLD - 1][0] != '\0');
	}
	mf_tokens_free(ctx.tokens);
}

int main(void)
{
	test_vectors();
	test_hosts();
	test_forms();
	test_exchange_rc4();
	test_exchange_legacy();
	test_account();
	test_several_keys();
	test_not_utf8();
	test_user_agents();
	clear();
	return TEST_DONE();
}
