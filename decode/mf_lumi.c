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

/* Report key : value -> event name (lumi-lan.md section 5).  A key ending
 * in '*' matches that prefix followed by a channel number (button_0,
 * channel_1); values NULL = any value; event "*" = event.<value>.  arg says
 * what the event's value list holds: nothing, the value as a number
 * (seconds without motion, alarm level, angle; "-90,5" is -90.5), or the
 * value as sent.  Data, not code: a new sensor value is one line. */
enum arg { ARG_NONE, ARG_NUM, ARG_RAW };

struct evmap {
	const char *key;
	const char *const *values;
	const char *event;
	enum arg arg;
};

/* button actions: switches, wall remotes per channel, aq3 shake */
static const char *const v_click[] = { "click", "double_click", "triple_click",
	"quadruple_click", "long_click_press", "long_click_release", "long_click", "both_click",
	"double_both_click", "long_both_click", "shake", NULL };
static const char *const v_cube[] = { "flip90", "flip180", "move", "tap_twice", "shake_air",
	"swing", "alert", "free_fall", "rotate", NULL };
static const char *const v_vibration[] = { "vibrate", "tilt", "free_fall", NULL };
static const char *const v_motion[] = { "motion", NULL };
static const char *const v_open[] = { "open", NULL };
static const char *const v_close[] = { "close", NULL };
static const char *const v_leak[] = { "leak", NULL };
static const char *const v_no_leak[] = { "no_leak", "normal", NULL };

static const struct evmap evmap[] = {
	{ "status", v_motion, "event.motion", ARG_NONE },
	{ "motion_status", v_motion, "event.motion", ARG_NONE },
	{ "no_motion", NULL, "event.no_motion", ARG_NUM },
	{ "status", v_open, "event.open", ARG_NONE },
	{ "status", v_close, "event.close", ARG_NONE },
	{ "window_status", v_open, "event.open", ARG_NONE },
	{ "window_status", v_close, "event.close", ARG_NONE },
	{ "no_close", NULL, "event.no_close", ARG_NUM },
	{ "status", v_leak, "event.leak", ARG_NONE },
	{ "status", v_no_leak, "event.no_leak", ARG_NONE },
	{ "wleak_status", v_leak, "event.leak", ARG_NONE },
	{ "wleak_status", v_no_leak, "event.no_leak", ARG_NONE },
	{ "status", v_click, "*", ARG_NONE },
	{ "button_*", v_click, "*", ARG_NONE },
	{ "channel_*", v_click, "*", ARG_NONE },
	{ "dual_channel", v_click, "*", ARG_NONE },
	{ "status", v_cube, "*", ARG_NONE },
	{ "cube_status", NULL, "*", ARG_NONE },
	{ "rotate", NULL, "event.rotate", ARG_NUM },
	{ "rotate_degree", NULL, "event.rotate", ARG_NUM },
	{ "status", v_vibration, "*", ARG_NONE },
	{ "vibration_status", v_vibration, "*", ARG_NONE },
	{ "final_tilt_angle", NULL, "event.final_tilt_angle", ARG_NUM },
	{ "coordination", NULL, "event.coordination", ARG_RAW },
	{ "bed_activity", NULL, "event.bed_activity", ARG_NUM },
	{ "alarm", NULL, "event.alarm", ARG_NUM },   /* smoke, natgas: 0 = no alarm */
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

/* A key matches "button_*" when it is "button_" and digits; *chan is then
 * the channel number (-1 for keys without one). */
static int key_match(const char *pat, const char *key, int *chan)
{
	size_t n = strlen(pat);
	const char *d;

	*chan = -1;
	if (n && pat[n - 1] == '*') {
		if (strncmp(pat, key, n - 1) != 0 || !key[n - 1])
			return 0;
		for (d = key + n - 1; *d; d++)
			if (*d < '0' || *d > '9')
				return 0;
		*chan = atoi(key + n - 1);
		return 1;
	}
	return strcmp(pat, key) == 0;
}

static int in_list(const char *const *l, const char *v)
{
	for (; *l; l++)
		if (strcmp(*l, v) == 0)
			return 1;
	return 0;
}

/* The event a report pair stands for, or NULL; *m = its map line. */
static const char *event_of(const char *key, const cJSON *v, char *buf, size_t n,
                            const struct evmap **m, int *chan)
{
	size_t i;
	const char *sv = cJSON_IsString(v) ? v->valuestring : NULL;

	if (!key)
		return NULL;
	for (i = 0; i < sizeof(evmap) / sizeof(evmap[0]); i++) {
		if (!key_match(evmap[i].key, key, chan))
			continue;
		if (evmap[i].values && (!sv || !in_list(evmap[i].values, sv)))
			continue;
		if (!evmap[i].values && !sv && !cJSON_IsNumber(v))
			continue;       /* a duration or level is a string or a number */
		*m = &evmap[i];
		if (strcmp(evmap[i].event, "*") != 0)
			return evmap[i].event;
		if (!sv || !*sv || strlen(sv) > 48)
			return NULL;
		snprintf(buf, n, "event.%s", sv);
		return buf;
	}
	return NULL;
}

/* A value sent as a number or as text ("120", "-90,5" with a decimal comma,
 * "3.20") as a JSON number; anything else as it was sent. */
static cJSON *num_of(const cJSON *v)
{
	char tmp[64], *end;
	double d;
	size_t i;

	if (cJSON_IsNumber(v))
		return cJSON_CreateNumber(v->valuedouble);
	if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) >= sizeof(tmp))
		return cJSON_Duplicate(v, 1);
	snprintf(tmp, sizeof(tmp), "%s", v->valuestring);
	for (i = 0; tmp[i]; i++)
		if (tmp[i] == ',')
			tmp[i] = '.';
	d = strtod(tmp, &end);
	if (*end || end == tmp || d != d)
		return cJSON_Duplicate(v, 1);
	return cJSON_CreateNumber(d);
}

/* Readings in their units (section 5): temperature and humidity are sent
 * in hundredths ("2333" = 23.33 C, "6678" = 66.78 %), pressure in Pa,
 * battery voltage in mV.  NULL when the pairs hold none. */
static cJSON *scaled_of(const cJSON *pairs)
{
	static const struct {
		const char *key, *out;
		double div;
	} sc[] = {
		{ "temperature", "temperature_c", 100 },
		{ "humidity", "humidity_pct", 100 },
		{ "pressure", "pressure_pa", 1 },
		{ "voltage", "voltage_mv", 1 },
		{ "battery_voltage", "voltage_mv", 1 },
	};
	cJSON *o = NULL;
	size_t i;

	if (!cJSON_IsObject(pairs))
		return NULL;
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(pairs, sc[i].key);
		cJSON *nv;
		double d;

		if (!v || (o && cJSON_GetObjectItemCaseSensitive(o, sc[i].out)))
			continue;
		nv = num_of(v);
		if (!cJSON_IsNumber(nv)) {
			cJSON_Delete(nv);
			continue;
		}
		d = nv->valuedouble;
		/* a value already written with a decimal point is in units */
		if (sc[i].div != 1 && !(cJSON_IsString(v) && strchr(v->valuestring, '.')))
			d /= sc[i].div;
		cJSON_Delete(nv);
		if (!o && !(o = cJSON_CreateObject()))
			return NULL;
		cJSON_AddItemToObject(o, sc[i].out, cJSON_CreateNumber(d));
	}
	return o;
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

/* A message without data or params (iam, discovery_rsp): its own members
 * but the envelope ones are its value (ip, port, proto_version, dev_list);
 * NULL when there are none. */
static cJSON *extras_of(const cJSON *msg)
{
	static const char *const envelope[] = { "cmd", "model", "sid", "short_id", "token", "key",
		NULL };
	const cJSON *it;
	cJSON *o = NULL;

	for (it = msg->child; it; it = it->next) {
		if (!it->string || in_list(envelope, it->string))
			continue;
		if (!o && !(o = cJSON_CreateObject()))
			return NULL;
		cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	}
	return o;
}

static int decode_msg(struct lumi_state *s, const struct mf_pkt *p, const cJSON *msg,
                      const struct mf_jsonfix *jf)
{
	const char *cmd = sget(msg, "cmd"), *sid = sget(msg, "sid"), *kind;
	const char *token = sget(msg, "token");
	cJSON *pairs, *lo, *scaled;
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
	scaled = scaled_of(pairs);
	/* a sensor report: one device_event per event pair (a data string
	 * holding a list or a scalar has no pairs) */
	if (rc == 0 && strcmp(cmd, "report") == 0 && cJSON_IsObject(pairs)) {
		for (kv = pairs->child; kv && rc == 0; kv = kv->next) {
			const struct evmap *m = NULL;
			int chan = -1;
			const char *name = event_of(kv->string, kv, evbuf, sizeof(evbuf), &m, &chan);
			cJSON *elo, *arr;

			if (!name)
				continue;
			ev = base_event(p, "device_event", msg, cmd);
			if (!ev) {
				rc = MF_ERR_NOMEM;
				break;
			}
			mf_event_str(ev, "event", name);
			/* the value list: seconds, level, angle as numbers */
			arr = cJSON_CreateArray();
			if (m->arg == ARG_NUM)
				cJSON_AddItemToArray(arr, num_of(kv));
			else if (m->arg == ARG_RAW)
				cJSON_AddItemToArray(arr, cJSON_Duplicate(kv, 1));
			mf_event_add(ev, "value", arr);
			if (scaled)
				mf_event_add(ev, "scaled", cJSON_Duplicate(scaled, 1));
			elo = cJSON_Duplicate(lo, 1);
			/* which pair made the event, the button's channel, and every
			 * pair of the datagram (lux, battery... ride along) */
			mf_json_str(elo, "key", kv->string);
			if (chan >= 0)
				mf_json_num(elo, "channel", chan);
			else if (strcmp(kv->string, "dual_channel") == 0)
				mf_json_str(elo, "channel", "both");
			cJSON_AddItemToObject(elo, "values", cJSON_Duplicate(pairs, 1));
			rc = finish(s, ev, p, elo, msg);
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
			else
				mf_event_add(ev, "value", extras_of(msg));
			if (scaled)
				mf_event_add(ev, "scaled", cJSON_Duplicate(scaled, 1));
			rc = finish(s, ev, p, lo, msg);
			lo = NULL;
		}
	}
	cJSON_Delete(scaled);
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
