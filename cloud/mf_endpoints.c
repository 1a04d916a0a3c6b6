/*
 * mf_endpoints.c - the Mi cloud endpoint table and the record walkers that
 * turn decoded replies into events (see mf_endpoints.h).
 *
 * Reference: ../shared/reference/micloud.md section 9 (paths, request data,
 * forensic fields of replies); ../shared/reference/phone-artifacts.md
 * section 4 (device_log nesting, shared with the phone's device logs):
 *
 *   result: [ {"uid","did","type":"prop","key":"device_log","time":<stored>,
 *              "value":"[\"[1730766461,[\\\"event.open\\\",[]]]\"]"} ]
 *   value (string) -> JSON array of strings; each string -> [<event time>, [<name>, <args>...]]
 *
 * Field names follow the phone parsers (docs/EVENTS.md) so that a device,
 * home or device event from the cloud lines up with the same from a phone.
 */
#include "mf_endpoints.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_cloud_int.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define SCENE_APP "/appgateway/miot/appsceneservice/AppSceneService/"

const struct mf_endpoint mf_endpoints[] = {
	/* homes, rooms, members, invitations */
	{ "/v2/homeroom/gethome", MF_EP_HOMES, "homes", MF_EP_ACQUIRE,
	  "{\"fg\":true,\"fetch_share\":true,\"fetch_share_dev\":true,\"limit\":300,\"app_ver\":7}" },
	{ "/v2/homeroom/gethome_merged", MF_EP_HOMES, "homes", MF_EP_ACQUIRE,
	  "{\"fg\":true,\"fetch_share\":true,\"fetch_share_dev\":true,\"limit\":300,\"app_ver\":7,"
	  "\"fetch_cariot\":true,\"plat_form\":0}" },
	{ "/v2/user/get_device_cnt", MF_EP_HOME_SHARES, "device_count", MF_EP_ACQUIRE,
	  "{\"fetch_own\":true,\"fetch_share\":true}" },
	{ "/v2/homeroom/member_list", MF_EP_MEMBERS, "home_members", MF_EP_ACQUIRE, NULL },
	{ "/v2/homeroom/invite_history", MF_EP_INVITES, "invitations", MF_EP_ACQUIRE,
	  "{\"fetch_sended\":true,\"fetch_received\":true}" },
	{ "/home/profile", MF_EP_PROFILE, "profile", MF_EP_ACQUIRE, NULL },
	/* devices */
	{ "/home/device_list", MF_EP_DEVICES, "devices", MF_EP_ACQUIRE,
	  "{\"getVirtualModel\":true,\"getHuamiDevices\":1,\"get_split_device\":false,"
	  "\"support_smart_home\":true}" },
	{ "/v2/home/home_device_list", MF_EP_DEVICES, "home_devices", MF_EP_ACQUIRE, NULL },
	{ "/v2/home/device_list_page", MF_EP_DEVICES, "devices", MF_EP_ACQUIRE, NULL },
	/* seen in client traffic (not in the acquisition plan) */
	{ "/v2/home/device_list", MF_EP_DEVICES, "devices", 0, NULL },
	{ "/home/device_list_page", MF_EP_DEVICES, "devices", 0, NULL },
	{ "/home/home_device_list", MF_EP_DEVICES, "home_devices", 0, NULL },
	{ "/v2/device/blt_get_beaconkey", MF_EP_BEACONKEY, "ble_beaconkey", MF_EP_ACQUIRE, NULL },
	/* histories */
	{ "/device/get_opt_log", MF_EP_OPT_LOG, "device_operation_log", MF_EP_ACQUIRE, NULL },
	{ "/user/get_user_device_data", MF_EP_DEVICE_DATA, "device_data", MF_EP_ACQUIRE, NULL },
	{ "/v2/user/get_user_device_log", MF_EP_DEVICE_DATA, "device_log", MF_EP_ACQUIRE, NULL },
	{ "/v2/user/get_device_data_raw", MF_EP_DEVICE_DATA, "device_data_raw", MF_EP_ACQUIRE, NULL },
	{ "/v2/user/statistics", MF_EP_STATISTICS, "statistics", MF_EP_ACQUIRE, NULL },
	{ "/miotspec/prop/get", MF_EP_PROPS, "props", MF_EP_ACQUIRE, NULL },
	/* scenes */
	{ "/scene/history", MF_EP_SCENE_HISTORY, "scene_history", MF_EP_ACQUIRE, NULL },
	{ SCENE_APP "GetSceneList", MF_EP_SCENES, "scenes", MF_EP_ACQUIRE, NULL },
	{ "/scene/list", MF_EP_SCENES, "scenes", 0, NULL },
	/* shares */
	{ "/share/device_share_list", MF_EP_SHARES, "device_shares", MF_EP_ACQUIRE, "{}" },
	{ "/share/get_share_user", MF_EP_SHARES, "share_users", MF_EP_ACQUIRE, NULL },
	{ "/share/share_history_query", MF_EP_SHARES, "share_history", MF_EP_ACQUIRE, NULL },
	{ "/share/receive_share_list", MF_EP_SHARES, "received_shares", MF_EP_ACQUIRE, NULL },
	/* messages */
	{ "/v2/message/v2/typelist", MF_EP_MESSAGES, "message_types", MF_EP_ACQUIRE, "{}" },
	{ "/v2/message/v2/list", MF_EP_MESSAGES, "messages", MF_EP_ACQUIRE, NULL },
	{ "/v2/message/v2/check_new_msg", MF_EP_OTHER, "check_new_msg", MF_EP_ACQUIRE, NULL },
	/* files and cameras (camera hosts sign the full path) */
	{ "/home/getmapfileurl", MF_EP_FILE_URL, "map_file_url", MF_EP_ACQUIRE, NULL },
	{ "/v2/home/get_interim_file_url", MF_EP_FILE_URL, "file_url", MF_EP_ACQUIRE, NULL },
	{ "/common/app/get/eventlist", MF_EP_CAMERA_EVENTS, "camera_events",
	  MF_EP_ACQUIRE | MF_EP_CAMERA, NULL },
	{ "/miot/camera/app/v1/alarm/playlist/limit", MF_EP_CAMERA_EVENTS, "camera_alarms",
	  MF_EP_ACQUIRE | MF_EP_CAMERA, NULL },
	/* acting on the home or the devices: seen in traffic, never called */
	{ "/home/rpc/", MF_EP_RPC, "rpc", MF_EP_ACTS | MF_EP_PREFIX, NULL },
	{ "/miotspec/prop/set", MF_EP_PROP_SET, "prop_set", MF_EP_ACTS, NULL },
	{ "/miotspec/action", MF_EP_ACTION, "action", MF_EP_ACTS, NULL },
	{ "/scene/start", MF_EP_SCENE_RUN, "scene_start", MF_EP_ACTS, NULL },
	{ SCENE_APP "RunScene", MF_EP_SCENE_RUN, "run_scene", MF_EP_ACTS, NULL },
	{ SCENE_APP "NewRunScene", MF_EP_SCENE_RUN, "run_scene", MF_EP_ACTS, NULL },
	{ "/scene/edit", MF_EP_OTHER, "scene_edit", MF_EP_ACTS, NULL },
	{ "/scene/delete", MF_EP_OTHER, "scene_delete", MF_EP_ACTS, NULL },
	{ SCENE_APP "EditScene", MF_EP_OTHER, "scene_edit", MF_EP_ACTS, NULL },
	{ SCENE_APP "DeleteScene", MF_EP_OTHER, "scene_delete", MF_EP_ACTS, NULL },
	{ NULL, MF_EP_OTHER, NULL, 0, NULL }
};

const struct mf_endpoint *mf_endpoint_find(const char *path)
{
	const struct mf_endpoint *e;
	size_t n;

	if (!path)
		return NULL;
	if (strncmp(path, "/app/", 5) == 0)
		path += 4;
	n = strcspn(path, "?#");
	while (n > 1 && path[n - 1] == '/')
		n--;
	for (e = mf_endpoints; e->path; e++) {
		size_t m = strlen(e->path);

		if (e->flags & MF_EP_PREFIX) {
			if (n > m && strncmp(path, e->path, m) == 0)
				return e;
		} else if (n == m && strncmp(path, e->path, m) == 0) {
			return e;
		}
	}
	return NULL;
}

/* A reply of a path the table does not know, shaped like a device list. */
static const struct mf_endpoint devices_by_shape = {
	NULL, MF_EP_DEVICES, "devices_by_shape", 0, NULL
};

const struct mf_endpoint *mf_endpoint_guess(const cJSON *reply)
{
	static const char *const names[] = { "list", "device_info", "devices", NULL };
	const cJSON *res, *list, *d;
	double code;
	size_t i;
	int n = 0;

	if (!cJSON_IsObject(reply) || (mf_cloud_json_num(reply, "code", &code) && code != 0))
		return NULL;
	res = cJSON_GetObjectItemCaseSensitive(reply, "result");
	if (!cJSON_IsObject(res))
		return NULL;
	for (i = 0; names[i]; i++) {
		list = cJSON_GetObjectItemCaseSensitive(res, names[i]);
		if (!cJSON_IsArray(list))
			continue;
		/* every element a device: did, model and a token field */
		cJSON_ArrayForEach(d, list) {
			if (!cJSON_IsObject(d) ||
			    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d, "model")) ||
			    !cJSON_GetObjectItemCaseSensitive(d, "did") ||
			    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(d, "token")))
				return NULL;
			n++;
		}
		return n ? &devices_by_shape : NULL;
	}
	return NULL;
}

/* ------------------------------------------------------------- helpers */

struct rec {
	struct mf_ctx *ctx;
	const struct mf_endpoint *ep;
	const struct mf_cloud_origin *o;
	const cJSON *req;        /* request data or NULL */
	size_t depth;
	int count;               /* events emitted */
	int item_anomalies;      /* capped per reply */
};

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* A member's text (string or exact number). */
static const char *txt(const cJSON *o, const char *k, char *buf, size_t n)
{
	return cJSON_IsObject(o) ? mf_cloud_json_text(o, k, buf, n) : NULL;
}

/* Copies member `from` (redacted, expanded, exact) as `to`. */
static void copy(struct rec *r, struct mf_event *ev, const cJSON *o, const char *from,
                 const char *to)
{
	const cJSON *it = get(o, from);

	if (!it || cJSON_IsNull(it))
		return;
	mf_event_add(ev, to ? to : from, mf_cloud_json_out(r->ctx, it, r->depth));
}

static void copy_text(struct mf_event *ev, const cJSON *o, const char *from, const char *to)
{
	char t[256];

	if (txt(o, from, t, sizeof(t)) && t[0])   /* "" means unknown */
		mf_event_str(ev, to ? to : from, t);
}

static int64_t time_of(const cJSON *o, const char *k, int ms)
{
	double v;

	if (!mf_cloud_json_num(o, k, &v))
		return MF_TIME_NONE;
	return mf_cloud_epoch_ns(v, ms);
}

/* "did", then the model a device list of this run named for it (records
 * that name only the did: histories, properties, commands). */
static void set_did(struct rec *r, struct mf_event *ev, const char *did)
{
	const char *model = mf_cloud_model_of(r->ctx, did);

	mf_event_str(ev, "did", did && did[0] ? did : NULL);
	if (model && !cJSON_GetObjectItemCaseSensitive(ev->body, "model"))
		mf_event_str(ev, "model", model);
}

static struct mf_event *rec_event(struct rec *r, int64_t ts, const char *kind)
{
	struct mf_event *ev = mf_cloud_event(r->o, ts == MF_TIME_NONE ? r->o->ts_ns : ts, kind);

	return ev;
}

/* Adds "micloud":{"endpoint","record"...} and raw, and emits. */
static int rec_emit(struct rec *r, struct mf_event *ev, const char *record, cJSON *extra,
                    const cJSON *raw_item)
{
	cJSON *m = extra ? extra : cJSON_CreateObject();
	int rc;

	if (!ev) {
		cJSON_Delete(m);
		return MF_ERR_NOMEM;
	}
	if (m) {
		mf_json_str(m, "endpoint", r->ep->name);
		if (record)
			mf_json_str(m, "record", record);
		mf_event_add(ev, "micloud", m);
	}
	rc = mf_cloud_emit(r->ctx, r->o, ev,
	    raw_item ? mf_cloud_json_out(r->ctx, raw_item, r->depth) : NULL);
	if (rc == 0)
		r->count++;
	return rc;
}

static int unrecognised(struct rec *r, const char *what)
{
	cJSON *m = cJSON_CreateObject();

	if (m)
		mf_json_str(m, "endpoint", r->ep->name);
	return mf_cloud_anomaly(r->ctx, r->o, r->o->ts_ns, "reply_unrecognised", "warning", m,
	    "%s", what);
}

/* The list of records in a result: the result itself when an array, else
 * the first of `names` that is an array, else the first array member (one
 * level down too). */
static const cJSON *find_list(const cJSON *res, const char *const *names)
{
	const cJSON *it, *sub;
	size_t i;

	if (cJSON_IsArray(res))
		return res;
	if (!cJSON_IsObject(res))
		return NULL;
	for (i = 0; names && names[i]; i++)
		if (cJSON_IsArray(it = get(res, names[i])))
			return it;
	cJSON_ArrayForEach(it, res)
		if (cJSON_IsArray(it))
			return it;
	cJSON_ArrayForEach(it, res)
		if (cJSON_IsObject(it))
			cJSON_ArrayForEach(sub, it)
				if (cJSON_IsArray(sub))
					return sub;
	return NULL;
}

static const char *origin_text(const struct rec *r, char *buf, size_t n)
{
	if (r->o->token_origin)
		return r->o->token_origin;
	if (r->o->frame)
		snprintf(buf, n, "cloud: frame %llu", (unsigned long long)r->o->frame);
	else
		snprintf(buf, n, "cloud");
	return buf;
}

static int is_u32(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0' && v <= UINT32_MAX;
}

static int is_ip(const char *s)
{
	unsigned char a[16];

	return s && (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1);
}

/* ------------------------------------------------------------- devices */

static int device_token(struct rec *r, const cJSON *d, const char *did, const char *model,
                        const char *name, const char *ip)
{
	const cJSON *tk = get(d, "token");
	char err[MF_ERRBUF_SIZE], shown[160], ob[64];
	const char *form_name = "invalid", *sel = NULL;
	uint8_t tok[16];
	int form = 0, idx = -1, known = 0;
	struct mf_event *ev;
	cJSON *m;

	if (!cJSON_IsString(tk) || !tk->valuestring[0])
		return 0;
	if (strlen(tk->valuestring) == 24 && mf_is_hex(tk->valuestring, 24)) {
		/* the 12-byte token of a Bluetooth device (did blt.*): no miIO key */
		form_name = "ble24";
	} else if (mf_token_parse(tk->valuestring, strlen(tk->valuestring), tok, &form, err) == 0) {
		form_name = form == MF_TOK_IOS96 ? "ios96" : form == MF_TOK_ASCII16 ? "ascii16" : "hex32";
		if (is_u32(did))
			sel = did;
		else if (is_ip(ip))
			sel = ip;
		if (r->ctx->tokens) {
			known = mf_tokens_find_token(r->ctx->tokens, tok) >= 0;
			if (sel) {
				int added = mf_tokens_add(r->ctx->tokens, tok, sel,
				    origin_text(r, ob, sizeof(ob)), form, NULL);

				if (added == MF_ERR_NOMEM)
					return MF_ERR_NOMEM;
				idx = added;   /* MF_ERR_LIMIT (store full): reported as not added */
			}
		}
	}
	ev = rec_event(r, MF_TIME_NONE, "token");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "did", did);
	mf_event_str(ev, "model", model);
	mf_event_str(ev, "device_name", name);
	mf_event_str(ev, "ip", ip);
	mf_redact(r->ctx, tk->valuestring, shown, sizeof(shown));
	mf_event_str(ev, "token", shown);
	mf_event_str(ev, "token_form", form_name);
	mf_event_str(ev, "found_in", "cloud device list");
	m = cJSON_CreateObject();
	if (m) {
		mf_json_bool(m, "already_known", known);
		mf_json_bool(m, "added", idx >= 0);
		if (idx >= 0)
			mf_json_str(m, "token_origin", origin_text(r, ob, sizeof(ob)));
	}
	return rec_emit(r, ev, "device", m, NULL);
}

static int walk_devices(struct rec *r, const cJSON *res)
{
	static const char *const names[] = { "list", "device_info", "devices", NULL };
	const cJSON *list = find_list(res, names), *d;
	char home_id[64];
	int rc = 0;

	if (!list)
		return unrecognised(r, "no device list in the reply");
	if (!txt(r->req, "home_id", home_id, sizeof(home_id)))
		home_id[0] = '\0';
	cJSON_ArrayForEach(d, list) {
		char did[64], model[128], name[256], ip[64];
		const char *pdid, *pmodel, *mdl, *nm, *lip;
		const cJSON *extra = get(d, "extra"), *tk = get(d, "token");
		struct mf_event *ev;
		cJSON *raw;

		if (!cJSON_IsObject(d))
			continue;
		if (!txt(d, "did", did, sizeof(did)))
			did[0] = '\0';
		mdl = txt(d, "model", model, sizeof(model));
		nm = txt(d, "name", name, sizeof(name));
		lip = txt(d, "localip", ip, sizeof(ip));
		if (lip && !lip[0])
			lip = NULL;
		mf_cloud_model_note(r->ctx, did, mdl);
		ev = rec_event(r, MF_TIME_NONE, "device");
		if (!ev)
			return MF_ERR_NOMEM;
		mf_event_str(ev, "did", did[0] ? did : NULL);
		mf_event_str(ev, "model", mdl);
		mf_event_str(ev, "device_name", nm);
		mf_event_str(ev, "ip", lip);
		copy_text(ev, d, "mac", NULL);
		copy_text(ev, d, "ssid", NULL);
		copy_text(ev, d, "bssid", NULL);
		copy(r, ev, d, "latitude", NULL);
		copy(r, ev, d, "longitude", NULL);
		{
			char t[64], t2[128];

			pdid = txt(d, "parent_id", t, sizeof(t));
			pmodel = txt(d, "parent_model", t2, sizeof(t2));
			if (pdid && pdid[0])
				mf_event_str(ev, "parent_did", pdid);
			if (pmodel && pmodel[0])
				mf_event_str(ev, "parent_model", pmodel);
		}
		copy_text(ev, d, "uid", "owner_id");
		copy(r, ev, d, "isOnline", "is_online");
		copy(r, ev, d, "rssi", NULL);
		copy(r, ev, d, "pid", NULL);
		copy(r, ev, d, "shareFlag", "shareflag");
		copy(r, ev, d, "permitLevel", "permit_level");
		copy_text(ev, extra, "fw_version", "version");
		if (home_id[0])
			mf_event_str(ev, "home_id", home_id);
		mf_event_bool(ev, "has_token", cJSON_IsString(tk) && tk->valuestring[0]);
		raw = cJSON_Duplicate(d, 1);
		rc = rec_emit(r, ev, "device", NULL, raw);
		cJSON_Delete(raw);
		if (rc == 0)
			rc = device_token(r, d, did, mdl, nm, lip);
		if (rc)
			return rc;
	}
	return rc;
}

/* --------------------------------------------------------------- homes */

static int walk_homes(struct rec *r, const cJSON *res)
{
	const char *lists[2] = { "homelist", "share_home_list" };
	int rc = 0, k, found = 0;

	for (k = 0; k < 2 && rc == 0; k++) {
		const cJSON *list = get(res, lists[k]), *h;

		if (!cJSON_IsArray(list))
			continue;
		found = 1;
		cJSON_ArrayForEach(h, list) {
			char id[64], name[256], uid[64];
			const cJSON *rooms = get(h, "roomlist"), *rm;
			struct mf_event *ev;
			int64_t ts;
			cJSON *raw;

			if (!cJSON_IsObject(h))
				continue;
			ts = time_of(h, "create_time", 0);
			ev = rec_event(r, ts, "home");
			if (!ev)
				return MF_ERR_NOMEM;
			mf_event_str(ev, "home_id", txt(h, "id", id, sizeof(id)));
			mf_event_str(ev, "name", txt(h, "name", name, sizeof(name)));
			mf_event_str(ev, "uid", txt(h, "uid", uid, sizeof(uid)));
			mf_event_bool(ev, "shared", k == 1);
			copy(r, ev, h, "shareflag", NULL);
			copy(r, ev, h, "permit_level", NULL);
			copy(r, ev, h, "address", NULL);
			copy(r, ev, h, "latitude", NULL);
			copy(r, ev, h, "longitude", NULL);
			copy(r, ev, h, "city_id", NULL);
			copy(r, ev, h, "bssid", NULL);
			copy(r, ev, h, "dids", NULL);
			mf_event_num(ev, "rooms", cJSON_IsArray(rooms) ? cJSON_GetArraySize(rooms) : 0);
			if (ts != MF_TIME_NONE)
				mf_event_str(ev, "ts_meaning", "home creation");
			raw = cJSON_Duplicate(h, 1);
			if (raw)
				cJSON_DeleteItemFromObjectCaseSensitive(raw, "roomlist");
			rc = rec_emit(r, ev, lists[k], NULL, raw);
			cJSON_Delete(raw);
			if (rc)
				return rc;
			cJSON_ArrayForEach(rm, rooms) {
				char rid[64], rname[256];
				int64_t rts;

				if (!cJSON_IsObject(rm))
					continue;
				rts = time_of(rm, "create_time", 0);
				ev = rec_event(r, rts, "room");
				if (!ev)
					return MF_ERR_NOMEM;
				mf_event_str(ev, "room_id", txt(rm, "id", rid, sizeof(rid)));
				mf_event_str(ev, "name", txt(rm, "name", rname, sizeof(rname)));
				mf_event_str(ev, "home_id", txt(h, "id", id, sizeof(id)));
				mf_event_str(ev, "home_name", txt(h, "name", name, sizeof(name)));
				copy_text(ev, rm, "parentid", "parent_id");
				copy(r, ev, rm, "dids", NULL);
				if (rts != MF_TIME_NONE)
					mf_event_str(ev, "ts_meaning", "room creation");
				if ((rc = rec_emit(r, ev, "room", NULL, rm)) != 0)
					return rc;
			}
		}
	}
	if (!found)
		return unrecognised(r, "no homelist in the reply");
	return rc;
}

/* ------------------------------------------------- shares, members, ... */

static const char *const share_fields[] = {
	"userid", "uid", "user_id", "nickname", "nick_name", "did", "home_id", "home_owner",
	"sender", "sender_uid", "receiver", "receiver_uid", "status", "relation", "relationship",
	"permit_level", "share_type", "model", "name", "icon", NULL
};

/* A record's field as is, except a device id: always text, as everywhere
 * else ("did":"42688810" whether the reply wrote a number or a string),
 * and left out when empty (an account message has "did":""). */
static void copy_field(struct rec *r, struct mf_event *ev, const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	if (strcmp(k, "did") == 0 && (cJSON_IsNumber(v) || cJSON_IsString(v)))
		copy_text(ev, o, k, NULL);
	else
		copy(r, ev, o, k, NULL);
}

static int walk_generic(struct rec *r, const cJSON *res, const char *kind, const char *record,
                        const char *const *fields, const char *const *time_keys, int ms)
{
	static const char *const names[] = { "list", "share_family", "members", "member_list",
		"history", "messages", "data", NULL };
	const cJSON *list = find_list(res, names), *it;
	int rc = 0;

	if (!list) {
		if (cJSON_IsObject(res) && res->child) {   /* a single record */
			list = NULL;
		} else if (cJSON_IsObject(res) || cJSON_IsNull(res) || !res) {
			return 0;    /* empty: nothing to report */
		} else {
			return unrecognised(r, "no record list in the reply");
		}
	}
	if (!list) {
		struct mf_event *ev = rec_event(r, MF_TIME_NONE, kind);
		size_t i;

		if (!ev)
			return MF_ERR_NOMEM;
		for (i = 0; fields[i]; i++)
			copy_field(r, ev, res, fields[i]);
		return rec_emit(r, ev, record, NULL, res);
	}
	cJSON_ArrayForEach(it, list) {
		struct mf_event *ev;
		int64_t ts = MF_TIME_NONE;
		size_t i;

		for (i = 0; time_keys && time_keys[i] && ts == MF_TIME_NONE; i++)
			ts = time_of(it, time_keys[i], ms);
		ev = rec_event(r, ts, kind);
		if (!ev)
			return MF_ERR_NOMEM;
		if (cJSON_IsObject(it))
			for (i = 0; fields[i]; i++)
				copy_field(r, ev, it, fields[i]);
		else
			mf_event_add(ev, "value", mf_cloud_json_out(r->ctx, it, r->depth));
		if ((rc = rec_emit(r, ev, record, NULL, it)) != 0)
			return rc;
	}
	return rc;
}

static int walk_home_shares(struct rec *r, const cJSON *res)
{
	static const char *const f[] = { "home_id", "home_owner", "home_name", "uid", NULL };
	const cJSON *share = get(res, "share");
	const cJSON *fam = get(share, "share_family");

	if (!cJSON_IsArray(fam))
		return 0;   /* no shared homes */
	return walk_generic(r, fam, "share", "share_family", f, NULL, 0);
}

static int walk_profile(struct rec *r, const cJSON *res)
{
	struct mf_event *ev;

	if (!cJSON_IsObject(res))
		return unrecognised(r, "profile is not an object");
	ev = rec_event(r, MF_TIME_NONE, "account");
	if (!ev)
		return MF_ERR_NOMEM;
	copy_text(ev, res, "userid", "uid");
	copy_text(ev, res, "nickname", NULL);
	copy_text(ev, res, "userName", "user_name");
	copy_text(ev, res, "icon", NULL);
	return rec_emit(r, ev, "profile", NULL, res);
}

/* -------------------------------------------------------------- scenes */

static int walk_scenes(struct rec *r, const cJSON *res)
{
	static const char *const names[] = { "scene_info_list", "list", "scene_list", NULL };
	const cJSON *list = find_list(res, names), *s;
	int rc = 0;

	if (!list && cJSON_IsObject(res)) {
		/* older /scene/list: {"<us_id>": {...}, ...} */
		int objs = 0;

		cJSON_ArrayForEach(s, res)
			objs += cJSON_IsObject(s);
		if (objs)
			list = res;
	}
	if (!list)
		return cJSON_IsObject(res) && !res->child ? 0 :
		    unrecognised(r, "no scene list in the reply");
	cJSON_ArrayForEach(s, list) {
		char id[64], name[256];
		const char *sid;
		struct mf_event *ev;
		int64_t ts;

		if (!cJSON_IsObject(s))
			continue;
		ts = time_of(s, "create_time", 0);
		if (ts == MF_TIME_NONE)
			ts = time_of(s, "ctime", 0);
		ev = rec_event(r, ts, "scene");
		if (!ev)
			return MF_ERR_NOMEM;
		sid = txt(s, "scene_id", id, sizeof(id));
		if (!sid)
			sid = txt(s, "us_id", id, sizeof(id));
		if (!sid)
			sid = txt(s, "id", id, sizeof(id));
		if (!sid && list == res && s->string)
			sid = s->string;
		mf_event_str(ev, "scene_id", sid);
		mf_event_str(ev, "name", txt(s, "name", name, sizeof(name)));
		copy(r, ev, s, "type", NULL);
		copy(r, ev, s, "enable", "enabled");
		copy_text(ev, s, "uid", NULL);
		copy_text(ev, s, "home_id", NULL);
		copy(r, ev, s, "trigger", "triggers");
		copy(r, ev, s, "triggers", NULL);
		copy(r, ev, s, "action_list", "actions");
		copy(r, ev, s, "actions", NULL);
		copy(r, ev, s, "setting", NULL);
		if (ts != MF_TIME_NONE)
			mf_event_str(ev, "ts_meaning", "scene creation");
		if ((rc = rec_emit(r, ev, "definition", NULL, s)) != 0)
			return rc;
	}
	return rc;
}

static int walk_scene_history(struct rec *r, const cJSON *res)
{
	static const char *const names[] = { "history", NULL };
	const cJSON *list = find_list(res, names), *h;
	int rc = 0;

	if (!list)
		return cJSON_IsObject(res) ? 0 : unrecognised(r, "no scene history in the reply");
	cJSON_ArrayForEach(h, list) {
		char name[256];
		struct mf_event *ev;

		if (!cJSON_IsObject(h))
			continue;
		ev = rec_event(r, time_of(h, "time", 0), "scene");
		if (!ev)
			return MF_ERR_NOMEM;
		copy_text(ev, h, "userSceneId", "scene_id");
		mf_event_str(ev, "name", txt(h, "name", name, sizeof(name)));
		copy_text(ev, h, "homeId", "home_id");
		copy(r, ev, h, "sceneType", "scene_type");
		copy(r, ev, h, "from", NULL);
		copy(r, ev, h, "msg", NULL);
		mf_event_str(ev, "ts_meaning", "scene run");
		if ((rc = rec_emit(r, ev, "history", NULL, h)) != 0)
			return rc;
	}
	return rc;
}

/* --------------------------------------------------- device event data */

/* "motion" -> "event.motion" (kept in event_raw); dotted names as they are. */
static void set_event_name(struct mf_event *ev, const char *name)
{
	char canon[160];

	if (strchr(name, '.') || strlen(name) > 120) {
		mf_event_str(ev, "event", name);
		return;
	}
	snprintf(canon, sizeof(canon), "event.%s", name);
	mf_event_str(ev, "event", canon);
	mf_event_str(ev, "event_raw", name);
}

static int item_anomaly(struct rec *r, const char *did, const char *what)
{
	cJSON *m;

	if (r->item_anomalies++ >= 16)
		return 0;
	m = cJSON_CreateObject();
	if (m)
		mf_json_str(m, "endpoint", r->ep->name);
	return mf_cloud_anomaly(r->ctx, r->o, r->o->ts_ns, "devlog_item_unrecognised", "warning", m,
	    "did %s: %s", did ? did : "?", what);
}

/* One inner item [<ts>, [<name>, <args>...]] (or [<name>, <args>...]). */
static int devlog_item(struct rec *r, const cJSON *item, const cJSON *rec, const char *did,
                       int64_t logged)
{
	const cJSON *evarr = NULL, *name;
	cJSON *parsed = NULL, *val = NULL, *m;
	struct mf_event *ev;
	int64_t ts = MF_TIME_NONE;
	double t;
	int n, k, from_logged = 0;

	if (cJSON_IsArray(item) && cJSON_GetArraySize(item) >= 2 &&
	    cJSON_IsNumber(cJSON_GetArrayItem(item, 0))) {
		t = cJSON_GetArrayItem(item, 0)->valuedouble;
		ts = mf_cloud_epoch_ns(t, 0);
		evarr = cJSON_GetArrayItem(item, 1);
		if (cJSON_IsString(evarr)) {
			parsed = mf_cloud_json_parse(evarr->valuestring, strlen(evarr->valuestring),
			    r->depth, NULL);
			evarr = parsed;
		}
	} else if (cJSON_IsArray(item) && cJSON_IsString(cJSON_GetArrayItem(item, 0))) {
		evarr = item;
		ts = logged;
		from_logged = 1;
	}
	name = cJSON_IsArray(evarr) ? cJSON_GetArrayItem(evarr, 0) : NULL;
	if (!cJSON_IsString(name) || !name->valuestring[0]) {
		cJSON_Delete(parsed);
		return item_anomaly(r, did, "device_log item is not [time, [name, args...]]");
	}
	ev = rec_event(r, ts, strncmp(name->valuestring, "prop.", 5) == 0 ? "property" :
	    "device_event");
	if (!ev) {
		cJSON_Delete(parsed);
		return MF_ERR_NOMEM;
	}
	ev->logged_ns = logged;
	set_did(r, ev, did);
	if (strncmp(name->valuestring, "prop.", 5) == 0)
		mf_event_str(ev, "event", name->valuestring);
	else
		set_event_name(ev, name->valuestring);
	n = cJSON_GetArraySize(evarr);
	if (n == 2) {
		val = mf_cloud_json_out(r->ctx, cJSON_GetArrayItem(evarr, 1), r->depth);
	} else {
		val = cJSON_CreateArray();
		for (k = 1; val && k < n; k++)
			cJSON_AddItemToArray(val, mf_cloud_json_out(r->ctx, cJSON_GetArrayItem(evarr, k),
			    r->depth));
	}
	mf_event_add(ev, "value", val);
	copy_text(ev, rec, "uid", NULL);
	if (from_logged)
		mf_event_bool(ev, "ts_is_logged", 1);
	m = cJSON_CreateObject();
	if (m) {
		mf_json_str(m, "key", "device_log");
		if (get(rec, "type") && cJSON_IsString(get(rec, "type")))
			mf_json_str(m, "type", get(rec, "type")->valuestring);
	}
	cJSON_Delete(parsed);
	return rec_emit(r, ev, "device_log", m, item);
}

static int walk_device_log_value(struct rec *r, const cJSON *rec, const char *did,
                                 int64_t logged)
{
	const cJSON *v = get(rec, "value"), *s;
	cJSON *outer = NULL;
	int rc = 0;

	if (cJSON_IsString(v)) {
		outer = mf_cloud_json_parse(v->valuestring, strlen(v->valuestring), r->depth, NULL);
		v = outer;
	}
	if (!cJSON_IsArray(v)) {
		cJSON_Delete(outer);
		return item_anomaly(r, did, "device_log value is not a JSON array");
	}
	/* [<ts>, [name, args]] directly, rather than a list of such items */
	if (cJSON_IsNumber(cJSON_GetArrayItem(v, 0))) {
		rc = devlog_item(r, v, rec, did, logged);
		cJSON_Delete(outer);
		return rc;
	}
	cJSON_ArrayForEach(s, v) {
		cJSON *inner = NULL;
		const cJSON *item = s;

		if (cJSON_IsString(s)) {
			inner = mf_cloud_json_parse(s->valuestring, strlen(s->valuestring), r->depth, NULL);
			item = inner;
		}
		if (!item)
			rc = item_anomaly(r, did, "device_log entry is not JSON");
		else
			rc = devlog_item(r, item, rec, did, logged);
		cJSON_Delete(inner);
		if (rc)
			break;
	}
	cJSON_Delete(outer);
	return rc;
}

static int walk_device_data(struct rec *r, const cJSON *res)
{
	static const char *const names[] = { "list", "data", "result", NULL };
	const cJSON *list = find_list(res, names), *it;
	int rc = 0;

	if (!list)
		return cJSON_IsObject(res) && !res->child ? 0 :
		    unrecognised(r, "no record list in the reply");
	cJSON_ArrayForEach(it, list) {
		char did[64], key[160], type[32];
		const char *k, *ty;
		int64_t logged;
		struct mf_event *ev;
		cJSON *m;

		if (!cJSON_IsObject(it)) {
			if ((rc = item_anomaly(r, NULL, "record is not an object")) != 0)
				return rc;
			continue;
		}
		if (!txt(it, "did", did, sizeof(did)) && !txt(r->req, "did", did, sizeof(did)))
			did[0] = '\0';
		k = txt(it, "key", key, sizeof(key));
		ty = txt(it, "type", type, sizeof(type));
		logged = time_of(it, "time", 0);
		if (k && strcmp(k, "device_log") == 0) {
			if ((rc = walk_device_log_value(r, it, did[0] ? did : NULL, logged)) != 0)
				return rc;
			continue;
		}
		if (ty && strcmp(ty, "event") == 0 && k) {
			ev = rec_event(r, logged, "device_event");
			if (!ev)
				return MF_ERR_NOMEM;
			set_did(r, ev, did[0] ? did : NULL);
			set_event_name(ev, k);
		} else if (ty && strcmp(ty, "prop") == 0 && k) {
			ev = rec_event(r, logged, "property");
			if (!ev)
				return MF_ERR_NOMEM;
			set_did(r, ev, did[0] ? did : NULL);
			mf_event_str(ev, "event", k);
		} else {
			ev = rec_event(r, logged, "data");
			if (!ev)
				return MF_ERR_NOMEM;
			set_did(r, ev, did[0] ? did : NULL);
			mf_event_str(ev, "event", k);
		}
		copy(r, ev, it, "value", NULL);
		copy_text(ev, it, "uid", NULL);
		m = cJSON_CreateObject();
		if (m) {
			if (k)
				mf_json_str(m, "key", k);
			if (ty)
				mf_json_str(m, "type", ty);
		}
		if ((rc = rec_emit(r, ev, "device_data", m, it)) != 0)
			return rc;
	}
	return rc;
}

static int walk_statistics(struct rec *r, const cJSON *res)
{
	const cJSON *list = find_list(res, NULL), *it;
	char did[64], key[160], dt[64];
	int rc = 0;

	if (!list)
		return cJSON_IsObject(res) || cJSON_IsNull(res) ? 0 :
		    unrecognised(r, "no statistics list in the reply");
	cJSON_ArrayForEach(it, list) {
		struct mf_event *ev = rec_event(r, time_of(it, "time", 0), "property");
		cJSON *m = cJSON_CreateObject();

		if (!ev) {
			cJSON_Delete(m);
			return MF_ERR_NOMEM;
		}
		set_did(r, ev, txt(r->req, "did", did, sizeof(did)));
		mf_event_str(ev, "event", txt(r->req, "key", key, sizeof(key)));
		copy(r, ev, it, "value", NULL);
		if (m && txt(r->req, "data_type", dt, sizeof(dt)))
			mf_json_str(m, "data_type", dt);
		if ((rc = rec_emit(r, ev, "statistics", m, it)) != 0)
			return rc;
	}
	return rc;
}

static int walk_props(struct rec *r, const cJSON *res)
{
	const cJSON *list = find_list(res, NULL), *it;
	int rc = 0;

	if (!list)
		return unrecognised(r, "no property list in the reply");
	cJSON_ArrayForEach(it, list) {
		char did[64], s[16], p[16], name[64];
		struct mf_event *ev;

		if (!cJSON_IsObject(it))
			continue;
		ev = rec_event(r, MF_TIME_NONE, "property");
		if (!ev)
			return MF_ERR_NOMEM;
		set_did(r, ev, txt(it, "did", did, sizeof(did)));
		if (txt(it, "siid", s, sizeof(s)) && txt(it, "piid", p, sizeof(p))) {
			snprintf(name, sizeof(name), "prop.%s.%s", s, p);
			mf_event_str(ev, "event", name);
		}
		copy(r, ev, it, "value", NULL);
		copy(r, ev, it, "siid", NULL);
		copy(r, ev, it, "piid", NULL);
		copy(r, ev, it, "code", NULL);
		copy(r, ev, it, "updateTime", "update_time");
		if ((rc = rec_emit(r, ev, "prop_get", NULL, it)) != 0)
			return rc;
	}
	return rc;
}

/* ["Default","PeopleMotion"] -> "Default,PeopleMotion" ("" when none). */
static void join_tags(const cJSON *tags, char *out, size_t n)
{
	const cJSON *t;
	size_t l = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(t, tags) {
		int w;

		if (!cJSON_IsString(t) || !t->valuestring[0])
			continue;
		w = snprintf(out + l, n - l, "%s%s", l ? "," : "", t->valuestring);
		if (w < 0 || (size_t)w >= n - l) {
			out[l] = '\0';
			break;
		}
		l += (size_t)w;
	}
}

static int walk_camera(struct rec *r, const cJSON *res)
{
	static const char *const names[] = { "thirdPartPlayUnits", "playUnits", NULL };
	const cJSON *list = find_list(res, names), *it;
	char did[64], model[128];
	int rc = 0;

	if (!list)
		return cJSON_IsObject(res) ? 0 : unrecognised(r, "no camera event list");
	cJSON_ArrayForEach(it, list) {
		char et[128];
		struct mf_event *ev;

		if (!cJSON_IsObject(it))
			continue;
		ev = rec_event(r, time_of(it, "createTime", 1), "device_event");
		if (!ev)
			return MF_ERR_NOMEM;
		if (!txt(it, "did", did, sizeof(did)) && !txt(r->req, "did", did, sizeof(did)))
			did[0] = '\0';
		mf_event_str(ev, "did", did[0] ? did : NULL);
		if (txt(r->req, "model", model, sizeof(model)) && model[0])
			mf_event_str(ev, "model", model);
		else if (did[0])
			mf_event_str(ev, "model", mf_cloud_model_of(r->ctx, did));
		/* eventlist: eventType; alarm playlist: tags (joined as the app shows them) */
		if (!txt(it, "eventType", et, sizeof(et)) || !et[0])
			join_tags(get(it, "tags"), et, sizeof(et));
		mf_event_str(ev, "event", et[0] ? et : NULL);
		copy(r, ev, it, "fileId", "file_id");
		copy(r, ev, it, "imgStoreId", "img_store_id");
		copy(r, ev, it, "isRead", "is_read");
		copy(r, ev, it, "isAlarm", "is_alarm");
		copy(r, ev, it, "tags", NULL);
		copy(r, ev, it, "offset", NULL);
		mf_event_str(ev, "ts_unit", "ms");
		if ((rc = rec_emit(r, ev, "camera_event", NULL, it)) != 0)
			return rc;
	}
	return rc;
}

static int walk_beaconkey(struct rec *r, const cJSON *res)
{
	const cJSON *bk = get(res, "beaconkey");
	struct mf_event *ev;
	char did[64], shown[160];

	if (!cJSON_IsString(bk) || !bk->valuestring[0])
		return 0;
	ev = rec_event(r, MF_TIME_NONE, "token");
	if (!ev)
		return MF_ERR_NOMEM;
	set_did(r, ev, txt(r->req, "did", did, sizeof(did)));
	mf_redact(r->ctx, bk->valuestring, shown, sizeof(shown));
	mf_event_str(ev, "token", shown);
	mf_event_str(ev, "token_form", "ble_beaconkey");
	mf_event_str(ev, "found_in", "cloud beacon key");
	return rec_emit(r, ev, "beaconkey", NULL, NULL);
}

static int walk_file_url(struct rec *r, const cJSON *res)
{
	struct mf_event *ev;

	if (!cJSON_IsString(get(res, "url")))
		return 0;
	if (!(ev = rec_event(r, MF_TIME_NONE, "data")))
		return MF_ERR_NOMEM;
	copy_text(ev, r->req, "obj_name", NULL);
	copy_text(ev, res, "url", NULL);
	copy(r, ev, res, "expires_time", NULL);
	return rec_emit(r, ev, "file_url", NULL, NULL);
}

/* ---------------------------------------------- commands seen in traffic */

/* A command the cloud refused: "error": true, "error_code", "error_message". */
static void command_error(struct mf_event *ev, const cJSON *reply, const char *code)
{
	char msg[256];

	if (!code[0])
		return;
	mf_event_bool(ev, "error", 1);
	mf_event_str(ev, "error_code", code);
	if (mf_cloud_json_text(reply, "message", msg, sizeof(msg)))
		mf_event_str(ev, "error_message", msg);
}

static int walk_command(struct rec *r, const cJSON *reply)
{
	const cJSON *res = reply ? get(reply, "result") : NULL, *params = get(r->req, "params"), *it;
	char did[64], t[128], code[32];
	struct mf_event *ev;
	double c = 0;
	int rc = 0, failed;

	if (!cJSON_IsObject(r->req))
		return 0;
	failed = mf_cloud_json_num(reply, "code", &c) && c != 0;
	if (!failed || !mf_cloud_json_text(reply, "code", code, sizeof(code)))
		code[0] = '\0';
	switch (r->ep->carries) {
	case MF_EP_RPC: {
		const char *p = r->o->path ? strstr(r->o->path, "/home/rpc/") : NULL;

		ev = rec_event(r, MF_TIME_NONE, "command");
		if (!ev)
			return MF_ERR_NOMEM;
		if (p && p[10])
			snprintf(did, sizeof(did), "%.*s", (int)strcspn(p + 10, "/?"), p + 10);
		else if (!txt(r->req, "did", did, sizeof(did)))
			did[0] = '\0';
		set_did(r, ev, did[0] ? did : NULL);
		mf_event_str(ev, "event", txt(r->req, "method", t, sizeof(t)));
		copy(r, ev, r->req, "params", "value");
		if (res)
			mf_event_add(ev, "result", mf_cloud_json_out(r->ctx, res, r->depth));
		command_error(ev, reply, code);
		return rec_emit(r, ev, "rpc", NULL, r->req);
	}
	case MF_EP_PROP_SET:
	case MF_EP_ACTION:
		if (cJSON_IsObject(params)) {
			ev = rec_event(r, MF_TIME_NONE, "command");
			if (!ev)
				return MF_ERR_NOMEM;
			set_did(r, ev, txt(params, "did", did, sizeof(did)));
			mf_event_str(ev, "event", r->ep->carries == MF_EP_ACTION ? "action" :
			    "set_properties");
			mf_event_add(ev, "value", mf_cloud_json_out(r->ctx, params, r->depth));
			if (res)
				mf_event_add(ev, "result", mf_cloud_json_out(r->ctx, res, r->depth));
			command_error(ev, reply, code);
			return rec_emit(r, ev, r->ep->name, NULL, NULL);
		}
		cJSON_ArrayForEach(it, params) {
			ev = rec_event(r, MF_TIME_NONE, "command");
			if (!ev)
				return MF_ERR_NOMEM;
			set_did(r, ev, txt(it, "did", did, sizeof(did)));
			mf_event_str(ev, "event", r->ep->carries == MF_EP_ACTION ? "action" :
			    "set_properties");
			mf_event_add(ev, "value", mf_cloud_json_out(r->ctx, it, r->depth));
			command_error(ev, reply, code);
			if ((rc = rec_emit(r, ev, r->ep->name, NULL, NULL)) != 0)
				return rc;
		}
		return 0;
	case MF_EP_SCENE_RUN:
		ev = rec_event(r, MF_TIME_NONE, "command");
		if (!ev)
			return MF_ERR_NOMEM;
		mf_event_str(ev, "event", "run_scene");
		if (!txt(r->req, "us_id", t, sizeof(t)) && !txt(r->req, "scene_id", t, sizeof(t)) &&
		    !txt(r->req, "sceneId", t, sizeof(t)))
			t[0] = '\0';
		mf_event_str(ev, "scene_id", t[0] ? t : NULL);
		mf_event_add(ev, "value", mf_cloud_json_out(r->ctx, r->req, r->depth));
		command_error(ev, reply, code);
		return rec_emit(r, ev, "scene_run", NULL, NULL);
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- entry */

int mf_endpoint_records(struct mf_ctx *ctx, const struct mf_endpoint *ep, const cJSON *req_data,
                        const cJSON *reply, const struct mf_cloud_origin *o)
{
	static const char *const msg_fields[] = { "msg_id", "uid", "type", "sender_uid", "did",
		"title", "content", "home_id", "params", "is_read", "is_new", "img_url", "status",
		NULL };
	static const char *const msg_times[] = { "ctime", "time", NULL };
	static const char *const share_times[] = { "ctime", "share_time", "create_time", "time",
		NULL };
	static const char *const opt_fields[] = { "did", "uid", "type", "key", "value", "method",
		"params", "operation", "desc", NULL };
	struct mf_cloud_origin def;
	const cJSON *res;
	cJSON *inner = NULL;
	double code;
	struct rec r;
	int rc = 0;

	if (!ctx || !ep)
		return MF_ERR_ARG;
	if (!o) {
		memset(&def, 0, sizeof(def));
		def.ts_ns = MF_TIME_NONE;
		o = &def;
	}
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.ep = ep;
	r.o = o;
	r.req = cJSON_IsObject(req_data) ? req_data : NULL;
	r.depth = ctx->lim.json_depth_max ? ctx->lim.json_depth_max : 64;

	if (ep->carries == MF_EP_RPC || ep->carries == MF_EP_PROP_SET ||
	    ep->carries == MF_EP_ACTION || ep->carries == MF_EP_SCENE_RUN) {
		rc = walk_command(&r, reply);
		return rc < 0 ? rc : r.count;
	}
	if (!reply || !cJSON_IsObject(reply))
		return 0;
	if (mf_cloud_json_num(reply, "code", &code) && code != 0)
		return 0;
	res = get(reply, "result");
	if (!res)
		res = get(reply, "data");
	if (!res)
		return 0;
	if (cJSON_IsString(res) && (res->valuestring[0] == '{' || res->valuestring[0] == '[')) {
		/* a result sent as JSON text inside the JSON */
		res = inner = mf_cloud_json_parse(res->valuestring, strlen(res->valuestring), r.depth,
		    NULL);
		if (!res)
			return 0;
	}
	switch (ep->carries) {
	case MF_EP_DEVICES:
		rc = walk_devices(&r, res);
		break;
	case MF_EP_HOMES:
		rc = walk_homes(&r, res);
		break;
	case MF_EP_HOME_SHARES:
		rc = walk_home_shares(&r, res);
		break;
	case MF_EP_MEMBERS:
		rc = walk_generic(&r, res, "share", "member", share_fields, share_times, 0);
		break;
	case MF_EP_INVITES:
		rc = walk_generic(&r, res, "share", "invitation", share_fields, share_times, 0);
		break;
	case MF_EP_SHARES:
		rc = walk_generic(&r, res, "share", ep->name, share_fields, share_times, 0);
		break;
	case MF_EP_PROFILE:
		rc = walk_profile(&r, res);
		break;
	case MF_EP_SCENES:
		rc = walk_scenes(&r, res);
		break;
	case MF_EP_SCENE_HISTORY:
		rc = walk_scene_history(&r, res);
		break;
	case MF_EP_DEVICE_DATA:
		rc = walk_device_data(&r, res);
		break;
	case MF_EP_OPT_LOG:
		rc = walk_generic(&r, res, "data", "operation_log", opt_fields, msg_times, 0);
		break;
	case MF_EP_STATISTICS:
		rc = walk_statistics(&r, res);
		break;
	case MF_EP_PROPS:
		rc = walk_props(&r, res);
		break;
	case MF_EP_MESSAGES:
		rc = walk_generic(&r, res, "data", "message", msg_fields, msg_times, 0);
		break;
	case MF_EP_FILE_URL:
		rc = walk_file_url(&r, res);
		break;
	case MF_EP_CAMERA_EVENTS:
		rc = walk_camera(&r, res);
		break;
	case MF_EP_BEACONKEY:
		rc = walk_beaconkey(&r, res);
		break;
	default:
		break;
	}
	cJSON_Delete(inner);
	return rc < 0 ? rc : r.count;
}
