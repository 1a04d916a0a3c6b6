/*
 * mf_lumi.c - the Lumi/Aqara gateway "developer" LAN protocol: plaintext
 * JSON in single UDP datagrams (whois/iam on 4321, everything else on 9898,
 * reports and heartbeats multicast to 224.0.0.50).
 *
 * Reference: ../shared/reference/lumi-lan.md; lumi-openlcoud opencloud-docs
 * gateway-LAN-communication.md (v2), WoodsterDK/lumi-gateway-local-api (v1).
 *
 *   v1: {"cmd":"report","model":"magnet","sid":"158d000065a271",
 *        "short_id":25719,"data":"{\"status\":\"open\"}"}      data = JSON string
 *   v2: {"cmd":"report","model":"sensor_magnet.aq2","sid":"...",
 *        "params":[{"window_status":"open"}]}                  params = [{k:v},...]
 *
 *   write key = HEX(AES-128-CBC(key = LAN password, iv = 17996d093d28ddb3
 *               ba695a2e6f58562e, plaintext = latest gateway heartbeat token))
 *
 * Sensor reports become device_event with Xiaomi's event names
 * ({"status":"motion"} -> event.motion); heartbeats are properties only (a
 * motion heartbeat can carry a stale status).  Both shapes are accepted in
 * one parser: `data` members, else `params` members, in order.
 */
#include "mf_lumi.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_jsonfix.h"

#define LUMI_PORT_MCAST 4321
#define LUMI_PORT 9898
#define LUMI_MAX 65536
#define GW_MAX 64

/* Latest heartbeat token per gateway: the challenge for write keys. */
struct gw {
	char sid[32];
	char token[17];
	uint64_t frame;
	uint8_t ip[16];         /* where its heartbeats come from */
	uint8_t ip_len;
};

struct lumi_state {
	struct mf_ctx *ctx;
	struct gw gw[GW_MAX];
	size_t ngw, next;
	struct mf_buf scratch;
};

/* key : value -> event name; "*" = event.<value>; NULL value = any value
 * (the value is then a duration). Data, not code: a new sensor value is one
 * line. */
struct evmap {
	const char *key, *value, *event;
};

static const struct evmap evmap[] = {
	{ "status", "motion", "event.motion" },
	{ "motion_status", "motion", "event.motion" },
	{ "no_motion", NULL, "event.no_motion" },
	{ "status", "open", "event.open" },
	{ "status", "close", "event.close" },
	{ "window_status", "open", "event.open" },
	{ "window_status", "close", "event.close" },
	{ "no_close", NULL, "event.no_close" },
	{ "status", "leak", "event.leak" },
	{ "status", "no_leak", "event.no_leak" },
	{ "wleak_status", "leak", "event.leak" },
	{ "wleak_status", "no_leak", "event.no_leak" },
	{ "wleak_status", "normal", "event.no_leak" },
	{ "status", "click", "*" },
	{ "status", "double_click", "*" },
	{ "status", "long_click_press", "*" },
	{ "status", "long_click_release", "*" },
	{ "status", "long_click", "*" },
	{ "status", "shake", "*" },
	{ "status", "vibrate", "*" },
	{ "status", "tilt", "*" },
	{ "status", "free_fall", "*" },
	{ "button_0", "click", "*" },
	{ "button_0", "double_click", "*" },
	{ "button_0", "long_click_press", "*" },
	{ "button_0", "long_click_release", "*" },
	{ "button_1", "click", "*" },
	{ "button_1", "double_click", "*" },
	{ "channel_0", "click", "*" },
	{ "channel_0", "double_click", "*" },
	{ "channel_0", "long_click_press", "*" },
	{ "channel_0", "long_click_release", "*" },
	{ "channel_1", "click", "*" },
	{ "channel_1", "double_click", "*" },
	{ "channel_1", "long_click_press", "*" },
	{ "channel_1", "long_click_release", "*" },
	{ "dual_channel", "both_click", "*" },
	{ "dual_channel", "long_both_click", "*" },
	{ "cube_status", NULL, "*" },
};

static int probe(const struct mf_pkt *p)
{
	static const uint8_t mcast[4] = { 224, 0, 0, 50 };
	size_t i;

	if (p->len < 2 || p->payload[0] != '{')
		return 0;
	if (!(p->addr_len == 4 && memcmp(p->dst, mcast, 4) == 0))
		return 0;
	/* multicast to 224.0.0.50 on another port: still needs "cmd" */
	for (i = 0; i + 5 <= p->len && i < 64; i++)
		if (memcmp(p->payload + i, "\"cmd\"", 5) == 0)
			return 1;
	return 0;
}

static void *state_new(struct mf_ctx *ctx)
{
	struct lumi_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = ctx;
	mf_buf_init(&s->scratch, 1u << 20);
	return s;
}

static void state_free(void *st)
{
	struct lumi_state *s = st;

	if (!s)
		return;
	mf_buf_free(&s->scratch);
	free(s);
}

static const char *sget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The key/value pairs of a message, v1 or v2, as one object (owned). */
static cJSON *pairs_of(const cJSON *msg, int *version, int *bad_data)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(msg, "data");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	cJSON *out = NULL;

	*version = 0;
	*bad_data = 0;
	if (cJSON_IsString(data)) {
		struct mf_jsonfix jf;

		*version = 1;
		if (mf_jsonfix_parse((const uint8_t *)data->valuestring, strlen(data->valuestring),
		    LUMI_MAX, &jf) == 0) {
			out = cJSON_Duplicate(jf.parts[0], 1);
			mf_jsonfix_free(&jf);
		} else {
			*bad_data = 1;
		}
	} else if (cJSON_IsObject(data)) {
		*version = 1;
		out = cJSON_Duplicate(data, 1);
	} else if (cJSON_IsArray(params)) {
		const cJSON *it, *kv;

		*version = 2;
		out = cJSON_CreateObject();
		for (it = params->child; it && out; it = it->next)
			for (kv = cJSON_IsObject(it) ? it->child : NULL; kv; kv = kv->next)
				cJSON_AddItemToObject(out, kv->string, cJSON_Duplicate(kv, 1));
	}
	return out;
}

static const char *event_of(const char *key, const cJSON *v, char *buf, size_t n)
{
	size_t i;
	const char *sv = cJSON_IsString(v) ? v->valuestring : NULL;

	for (i = 0; i < sizeof(evmap) / sizeof(evmap[0]); i++) {
		if (strcmp(evmap[i].key, key) != 0)
			continue;
		if (evmap[i].value && (!sv || strcmp(evmap[i].value, sv) != 0))
			continue;
		if (strcmp(evmap[i].event, "*") != 0)
			return evmap[i].event;
		if (!sv)
			return NULL;
		snprintf(buf, n, "event.%s", sv);
		return buf;
	}
	return NULL;
}

static struct gw *gw_find(struct lumi_state *s, const char *sid, int create)
{
	size_t i;

	for (i = 0; i < s->ngw; i++)
		if (strcmp(s->gw[i].sid, sid) == 0)
			return &s->gw[i];
	if (!create)
		return NULL;
	if (s->ngw < GW_MAX)
		i = s->ngw++;
	else
		i = s->next++ % GW_MAX;
	memset(&s->gw[i], 0, sizeof(s->gw[i]));
	snprintf(s->gw[i].sid, sizeof(s->gw[i].sid), "%s", sid);
	return &s->gw[i];
}

/* Expected write key for password + token, upper-case hex (section 4). */
static int write_key(const char *password, const char *token, char out[33])
{
	static const uint8_t iv[16] = { 0x17, 0x99, 0x6d, 0x09, 0x3d, 0x28, 0xdd, 0xb3,
	                                0xba, 0x69, 0x5a, 0x2e, 0x6f, 0x58, 0x56, 0x2e };
	EVP_CIPHER_CTX *c;
	uint8_t ct[16];
	int n = 0, ok, i;

	if (strlen(password) != 16 || strlen(token) != 16)
		return -1;
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return -1;
	ok = EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, (const uint8_t *)password, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_EncryptUpdate(c, ct, &n, (const uint8_t *)token, 16) == 1 && n == 16;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -1;
	mf_hex_encode(ct, 16, out);
	for (i = 0; i < 32; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
	return 0;
}

int mf_lumi_write_key(const char *password, const char *token, char out[33])
{
	return write_key(password, token, out);
}

static int anomaly(struct lumi_state *s, const struct mf_pkt *p, const char *reason,
                   const char *detail)
{
	struct mf_event *ev = mf_event_new(p->frame->ts_ns,
	    p->frame->input ? p->frame->input->source : "pcap", "lumi-lan", "anomaly");

	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "detail", detail);
	mf_pkt_add_net(ev, p);
	mf_event_frame_evidence(ev, p->frame);
	return mf_emit(s->ctx, ev);
}

static struct mf_event *base_event(const struct mf_pkt *p, const char *kind, const cJSON *msg,
                                   const char *cmd)
{
	struct mf_event *ev = mf_event_new(p->frame->ts_ns,
	    p->frame->input ? p->frame->input->source : "pcap", "lumi-lan", kind);
	const char *sid = sget(msg, "sid"), *model = sget(msg, "model");
	char did[48];

	if (!ev)
		return NULL;
	if (sid && *sid) {
		/* the cloud and the app name a Zigbee child lumi.<sid> */
		snprintf(did, sizeof(did), "lumi.%s", sid);
		mf_event_str(ev, "did", did);
	}
	mf_event_str(ev, "model", model);
	/* a gateway's sid is its MAC: the registry joins it with the phone's
	 * record of the gateway through it */
	if (sid && model && (strstr(model, "gateway") || strstr(model, "acpartner")) &&
	    strlen(sid) == 12 && mf_is_hex(sid, 12)) {
		char mac[18];
		int i;

		for (i = 0; i < 6; i++)
			snprintf(mac + i * 3, 4, "%c%c%s", tolower((unsigned char)sid[2 * i]),
			    tolower((unsigned char)sid[2 * i + 1]), i < 5 ? ":" : "");
		mf_event_str(ev, "mac", mac);
	}
	(void)cmd;
	return ev;
}

static int finish(struct lumi_state *s, struct mf_event *ev, const struct mf_pkt *p,
                  cJSON *lo, const cJSON *msg)
{
	cJSON *raw = cJSON_Duplicate(msg, 1);

	if (raw && !s->ctx->show_secrets) {
		/* a v2 write key; a v1 key sits inside the data string: redact it
		 * by replacing data with the (already redacted) pairs */
		cJSON *k = cJSON_GetObjectItemCaseSensitive(raw, "key");
		cJSON *d = cJSON_GetObjectItemCaseSensitive(raw, "data");

		if (cJSON_IsString(k))
			cJSON_SetValuestring(k, "[redacted]");
		if (cJSON_IsString(d) && strstr(d->valuestring, "\"key\""))
			cJSON_SetValuestring(d, "[redacted: holds a write key]");
	}
	mf_pkt_add_net(ev, p);
	mf_event_add(ev, "lumi", lo);
	mf_event_frame_evidence(ev, p->frame);
	mf_event_add(ev, "raw", raw);
	return mf_emit(s->ctx, ev);
}

static const char *kind_of_cmd(const char *cmd)
{
	if (strcmp(cmd, "report") == 0)
		return "device_event";
	if (strcmp(cmd, "heartbeat") == 0)
		return "property";
	if (strstr(cmd, "_ack") || strstr(cmd, "_rsp") || strcmp(cmd, "iam") == 0 ||
	    strcmp(cmd, "server_ack") == 0)
		return "response";
	return "command";
}

static int decode_msg(struct lumi_state *s, const struct mf_pkt *p, const cJSON *msg,
                      const struct mf_jsonfix *jf)
{
	const char *cmd = sget(msg, "cmd"), *sid = sget(msg, "sid"), *kind;
	const char *token = sget(msg, "token");
	cJSON *pairs, *lo;
	struct mf_event *ev;
	int version, bad_data, rc = 0, emitted = 0;
	char evbuf[64];
	const cJSON *kv;

	if (!cmd) {
		mf_buf_reset(&s->scratch);
		mf_escape_bytes(p->payload, p->len, 256, &s->scratch);
		return anomaly(s, p, "lumi_no_cmd", mf_buf_cstr(&s->scratch));
	}
	kind = kind_of_cmd(cmd);
	pairs = pairs_of(msg, &version, &bad_data);
	lo = mf_json_obj();
	mf_json_str(lo, "cmd", cmd);
	if (sid)
		mf_json_str(lo, "sid", sid);
	if (version)
		mf_json_num(lo, "proto", version);
	if (jf->nquirks) {
		cJSON *qa = cJSON_CreateArray();
		size_t i;

		for (i = 0; i < jf->nquirks; i++)
			cJSON_AddItemToArray(qa, cJSON_CreateString(jf->quirks[i]));
		cJSON_AddItemToObject(lo, "quirks", qa);
	}
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(msg, "short_id")))
		mf_json_num(lo, "short_id",
		    cJSON_GetObjectItemCaseSensitive(msg, "short_id")->valuedouble);

	/* gateway heartbeat token: the challenge for write keys */
	if (strcmp(cmd, "heartbeat") == 0 || strcmp(cmd, "get_id_list_ack") == 0 ||
	    strcmp(cmd, "discovery_rsp") == 0) {
		if (token && strlen(token) == 16 && sid) {
			struct gw *g = gw_find(s, sid, 1);

			snprintf(g->token, sizeof(g->token), "%s", token);
			g->frame = p->frame->number;
			memcpy(g->ip, p->src, p->addr_len);
			g->ip_len = p->addr_len;
			mf_json_str(lo, "gateway_token", token);
		}
	}
	if (strcmp(cmd, "write") == 0) {
		const char *key = sget(msg, "key");

		if (!key && cJSON_IsObject(pairs))
			key = sget(pairs, "key");
		if (key) {
			struct gw *g = NULL;
			size_t i;

			/* the write goes to a gateway (for itself or a child): its own
			 * newest heartbeat token, found by address; if that gateway was
			 * never heard, the newest token of any */
			{
				struct gw *by_ip = NULL, *newest = NULL;

				for (i = 0; i < s->ngw; i++) {
					if (s->gw[i].ip_len == p->addr_len &&
					    memcmp(s->gw[i].ip, p->dst, p->addr_len) == 0)
						by_ip = &s->gw[i];
					if (!newest || s->gw[i].frame > newest->frame)
						newest = &s->gw[i];
				}
				g = by_ip ? by_ip : newest;
			}
			mf_json_str(lo, "write_key", s->ctx->show_secrets ? key : "[redacted]");
			if (g) {
				mf_json_u64(lo, "challenge_frame", g->frame);
				if (s->ctx->lumi_password[0]) {
					char want[33];

					if (write_key(s->ctx->lumi_password, g->token, want) == 0)
						mf_json_str(lo, "key_check",
						    strcasecmp(want, key) == 0 ? "valid" : "mismatch");
				}
			}
			if (cJSON_IsObject(pairs) && cJSON_GetObjectItemCaseSensitive(pairs, "key"))
				cJSON_ReplaceItemInObjectCaseSensitive(pairs, "key",
				    cJSON_CreateString("[redacted]"));
		}
	}
	if (bad_data) {
		mf_buf_reset(&s->scratch);
		mf_escape_bytes(p->payload, p->len, 256, &s->scratch);
		rc = anomaly(s, p, "lumi_bad_data", mf_buf_cstr(&s->scratch));
	}
	/* a sensor report: one device_event per event pair (a data string
	 * holding a list or a scalar has no pairs) */
	if (rc == 0 && strcmp(cmd, "report") == 0 && cJSON_IsObject(pairs)) {
		for (kv = pairs->child; kv && rc == 0; kv = kv->next) {
			const char *name = event_of(kv->string, kv, evbuf, sizeof(evbuf));

			if (!name)
				continue;
			ev = base_event(p, "device_event", msg, cmd);
			if (!ev) {
				rc = MF_ERR_NOMEM;
				break;
			}
			mf_event_str(ev, "event", name);
			/* no_motion / no_close carry the seconds as the value */
			if (!strcmp(kv->string, "no_motion") || !strcmp(kv->string, "no_close")) {
				cJSON *arr = cJSON_CreateArray();
				const char *sv = cJSON_IsString(kv) ? kv->valuestring : NULL;

				if (sv)
					cJSON_AddItemToArray(arr, cJSON_CreateNumber(strtod(sv, NULL)));
				else if (cJSON_IsNumber(kv))
					cJSON_AddItemToArray(arr, cJSON_CreateNumber(kv->valuedouble));
				mf_event_add(ev, "value", arr);
			} else {
				mf_event_add(ev, "value", cJSON_CreateArray());
			}
			rc = finish(s, ev, p, cJSON_Duplicate(lo, 1), msg);
			emitted++;
		}
	}
	if (strcmp(cmd, "report") == 0 && !emitted)
		kind = "property";   /* a report of values only (temperature...) */
	if (rc == 0 && !emitted) {
		ev = base_event(p, kind, msg, cmd);
		if (!ev) {
			rc = MF_ERR_NOMEM;
		} else {
			mf_event_str(ev, "event", cmd);
			if (pairs)
				mf_event_add(ev, "value", cJSON_Duplicate(pairs, 1));
			rc = finish(s, ev, p, lo, msg);
			lo = NULL;
		}
	}
	cJSON_Delete(lo);
	cJSON_Delete(pairs);
	return rc;
}

static int decode(void *st, struct mf_ctx *ctx, const struct mf_pkt *p)
{
	struct lumi_state *s = st;
	struct mf_jsonfix jf;
	size_t i;
	int rc;

	(void)ctx;
	if (p->len == 0 || p->claimed_len > p->len)
		return anomaly(s, p, "truncated", "datagram not fully captured");
	rc = mf_jsonfix_parse(p->payload, p->len, LUMI_MAX, &jf);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc != 0 || !cJSON_IsObject(jf.parts[0])) {
		mf_jsonfix_free(&jf);
		mf_buf_reset(&s->scratch);
		mf_escape_bytes(p->payload, p->len, 256, &s->scratch);
		return anomaly(s, p, "json_unparsable", mf_buf_cstr(&s->scratch));
	}
	for (i = 0, rc = 0; i < jf.nparts && rc == 0; i++)
		if (cJSON_IsObject(jf.parts[i]))
			rc = decode_msg(s, p, jf.parts[i], &jf);
	mf_jsonfix_free(&jf);
	return rc;
}

const struct mf_udp_proto mf_proto_lumi = {
	.name = "lumi-lan",
	.ports = { LUMI_PORT, LUMI_PORT_MCAST, 0 },
	.probe = probe,
	.state_new = state_new,
	.state_free = state_free,
	.decode = decode,
	.tick = NULL,
};
