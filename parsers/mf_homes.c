/*
 * mf_homes.c - the app's own shared_prefs files: homes and rooms, the
 * current home, environment readings, the plugin registry, the Yeelight
 * device list, and a generic reader for every other prefs file.
 *
 * Reference: ../shared/reference/phone-artifacts.md section 3 (decompiled
 * Mi Home 5.6.60 HomeManager.java, Home.java; fservida mi_home.py):
 *
 *   home_room_manager_sp_.xml        home_room_content = {"homelist":[
 *     {"id":"..","name":"..","uid":<owner>,"create_time":<s>,"shareflag":0,
 *      "address":..,"latitude":..,"longitude":..,"dids":[..],
 *      "roomlist":[{"id":"..","name":"..","parentid":<home>,
 *                   "create_time":"<s as string>","dids":[..]}]}]}
 *   home_room_manager_sp_<MD5(uid)>.xml   home_location<homeId> = {"latitude",..}
 *   home_room_transfer_state.xml     homeid, homeid_server
 *   home_env_info.xml                env_data = {"description_list":[{"did",
 *                                      "details":[{"prop","timestamp","description"}]}]}
 *   plugin_device_list_pref.xml      <string name="<model>">{.."pid"..}</string>
 *   miot.xml (Yeelight app)          <set name="deviceList"> JSON objects with
 *                                      token, localip, mac, model, name, did
 */
#include "mf_phone_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_time.h"

#define GENERIC_VALUE_MAX (64u << 10)

static int64_t json_time(struct mf_phone *ph, const cJSON *o, const char *key,
                         const char **unit)
{
	double t;

	if (unit)
		*unit = "s";
	if (!ph_num(cJSON_GetObjectItemCaseSensitive(o, key), &t))
		return MF_TIME_NONE;
	return ph_time(ph, t, unit);
}

static cJSON *idx_evidence(struct mf_phone *ph, const char *key, const char *n1, long i1,
                           const char *n2, long i2)
{
	cJSON *e = ph_evidence(ph, key);

	if (n1)
		mf_json_num(e, n1, (double)i1);
	if (n2)
		mf_json_num(e, n2, (double)i2);
	return e;
}

/* did lists hold strings or numbers */
static void dids_each(struct mf_phone *ph, const cJSON *dids, const char *room_id,
                      const char *room, const char *home_id)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, dids) {
		char tmp[32];
		const char *s = cJSON_IsString(d) ? d->valuestring :
		    cJSON_IsNumber(d) ? (snprintf(tmp, sizeof(tmp), "%.0f", d->valuedouble), tmp) :
		    NULL;
		struct ph_dev *dev = s ? ph_dev_get(ph, s, 1) : NULL;

		if (!dev)
			continue;
		if (room_id && !dev->room_id) {
			dev->room_id = strdup(room_id);
			dev->room = room ? strdup(room) : NULL;
		}
		if (home_id && !dev->home_id)
			dev->home_id = strdup(home_id);
	}
}

static int one_room(struct mf_phone *ph, const char *key, const cJSON *r, const char *home_id,
                    const char *home_name, long hi, long ri)
{
	char t1[32], t2[32];
	const char *id = ph_str(r, "id", t1, sizeof(t1));
	const char *name = ph_str(r, "name", t2, sizeof(t2));
	const char *unit;
	int64_t ts = json_time(ph, r, "create_time", &unit);
	struct mf_event *ev = ph_event(ph, ts, "room", "room");

	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "room_id", id);
	mf_event_str(ev, "name", name);
	mf_event_str(ev, "home_id", home_id);
	mf_event_str(ev, "home_name", home_name);
	ph_copy(ev, r, "parentid", NULL);
	ph_copy(ev, r, "shareflag", NULL);
	ph_copy(ev, r, "dids", NULL);
	ph_copy(ev, r, "bssid", NULL);
	ph_copy(ev, r, "icon", NULL);
	if (ts != MF_TIME_NONE)
		mf_event_str(ev, "ts_meaning", "room creation");
	if (ts != MF_TIME_NONE && strcmp(unit, "s") != 0)
		mf_event_str(ev, "ts_unit", unit);
	mf_event_add(ev, "evidence", idx_evidence(ph, key, "home", hi, "room", ri));
	dids_each(ph, cJSON_GetObjectItemCaseSensitive(r, "dids"), id, name, home_id);
	return ph_emit(ph, ev);
}

static int home_content(struct mf_phone *ph, const char *key, const cJSON *root)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "homelist"), *h;
	long hi = 0;
	int rc = 0;

	if (!cJSON_IsArray(list) && cJSON_IsArray(root))
		list = root;
	/* the cloud reply itself, {"result":{"homelist":[..]}} */
	if (!cJSON_IsArray(list) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root,
	    "result")))
		list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root,
		    "result"), "homelist");
	if (!cJSON_IsArray(list))
		return ph_anomaly(ph, key, 1, "homes_unrecognised", "no \"homelist\" array");
	cJSON_ArrayForEach(h, list) {
		char t1[32], t2[32], t3[32];
		const char *id = ph_str(h, "id", t1, sizeof(t1));
		const char *name = ph_str(h, "name", t2, sizeof(t2));
		const char *uid = ph_str(h, "uid", t3, sizeof(t3));
		const cJSON *rooms = cJSON_GetObjectItemCaseSensitive(h, "roomlist"), *r;
		const cJSON *sf = cJSON_GetObjectItemCaseSensitive(h, "shareflag");
		int owned = !sf || (cJSON_IsNumber(sf) && sf->valuedouble == 0) ||
		    (cJSON_IsString(sf) && strcmp(sf->valuestring, "0") == 0);
		const char *unit;
		int64_t ts = json_time(ph, h, "create_time", &unit);
		struct mf_event *ev = ph_event(ph, ts, "home", "home");
		cJSON *raw;
		long ri = 0;

		if (!ev)
			return MF_ERR_NOMEM;
		mf_event_str(ev, "home_id", id);
		mf_event_str(ev, "name", name);
		mf_event_str(ev, "uid", uid);
		mf_event_bool(ev, "owned", owned);
		ph_copy(ev, h, "shareflag", NULL);
		ph_copy(ev, h, "permit_level", NULL);
		ph_copy(ev, h, "status", NULL);
		ph_copy(ev, h, "address", NULL);
		ph_copy(ev, h, "latitude", NULL);
		ph_copy(ev, h, "longitude", NULL);
		ph_copy(ev, h, "city_id", NULL);
		ph_copy(ev, h, "bssid", NULL);
		ph_copy(ev, h, "desc", NULL);
		ph_copy(ev, h, "dids", NULL);
		mf_event_num(ev, "rooms", cJSON_IsArray(rooms) ? cJSON_GetArraySize(rooms) : 0);
		if (ts != MF_TIME_NONE)
			mf_event_str(ev, "ts_meaning", "home creation");
		if (ts != MF_TIME_NONE && strcmp(unit, "s") != 0)
			mf_event_str(ev, "ts_unit", unit);
		mf_event_add(ev, "evidence", idx_evidence(ph, key, "home", hi, NULL, 0));
		raw = cJSON_Duplicate(h, 1);
		if (raw)
			cJSON_DeleteItemFromObjectCaseSensitive(raw, "roomlist");
		mf_event_add(ev, "raw", raw);
		if (uid) {
			struct ph_uid *u = ph_uid_add(ph, uid, owned ?
			    "home_room_content: owner of an own home" :
			    "home_room_content: owner of a shared home");

			if (u && owned) {
				u->owner = 1;
				if (ts != MF_TIME_NONE && (u->first_home_ns == MF_TIME_NONE ||
				    ts < u->first_home_ns))
					u->first_home_ns = ts;
			}
		}
		dids_each(ph, cJSON_GetObjectItemCaseSensitive(h, "dids"), NULL, NULL, id);
		rc = ph_emit(ph, ev);
		cJSON_ArrayForEach(r, rooms) {
			if (rc)
				break;
			rc = one_room(ph, key, r, id, name, hi, ri++);
		}
		if (rc)
			return rc;
		hi++;
	}
	return 0;
}

static int env_data(struct mf_phone *ph, const char *key, const cJSON *root)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "description_list"), *d;
	long di = 0;
	int rc = 0;

	if (!cJSON_IsArray(list))
		return ph_anomaly(ph, key, 1, "env_unrecognised", "no \"description_list\" array");
	cJSON_ArrayForEach(d, list) {
		char tmp[32];
		const char *did = ph_str(d, "did", tmp, sizeof(tmp));
		const cJSON *det = cJSON_GetObjectItemCaseSensitive(d, "details"), *x;
		long xi = 0;

		cJSON_ArrayForEach(x, det) {
			const char *unit;
			int64_t ts = json_time(ph, x, "timestamp", &unit);
			struct mf_event *ev = ph_event(ph, ts, "env", "property");
			const cJSON *m;

			if (!ev)
				return MF_ERR_NOMEM;
			ph_dev_fields(ph, ev, did, NULL);
			ph_copy(ev, x, "prop", NULL);
			ph_copy(ev, x, "value", NULL);
			ph_copy(ev, x, "description", NULL);
			cJSON_ArrayForEach(m, x)
				if (strcmp(m->string, "prop") && strcmp(m->string, "value") &&
				    strcmp(m->string, "description") && strcmp(m->string, "timestamp") &&
				    strcmp(m->string, "did"))
					mf_event_add(ev, m->string, cJSON_Duplicate(m, 1));
			if (ts != MF_TIME_NONE && strcmp(unit, "s") != 0)
				mf_event_str(ev, "ts_unit", unit);
			mf_event_str(ev, "ts_meaning", "last reading shown on the home page");
			mf_event_add(ev, "evidence", idx_evidence(ph, key, "device", di, "detail",
			    xi++));
			if ((rc = ph_emit(ph, ev)) != 0)
				return rc;
		}
		di++;
	}
	return 0;
}

static int yeelight_list(struct mf_phone *ph, const struct mf_pref *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < e->nset && rc == 0; i++) {
		cJSON *o = mf_json_lenient(e->set[i], strlen(e->set[i]), ph->json_depth_max, NULL);
		char t1[32], t2[32], t3[32], t4[32], t5[32], t6[48];
		const char *did, *model, *name, *ip, *mac, *tok;
		struct mf_event *ev;
		struct ph_dev *d;

		if (!cJSON_IsObject(o)) {
			cJSON_Delete(o);
			rc = ph_anomaly(ph, e->name, 1, "yeelight_entry_unparsable",
			    "deviceList member %zu is not a JSON object", i);
			continue;
		}
		did = ph_str(o, "did", t1, sizeof(t1));
		model = ph_str(o, "model", t2, sizeof(t2));
		name = ph_str(o, "name", t3, sizeof(t3));
		ip = ph_str(o, "localip", t4, sizeof(t4));
		if (!ip)
			ip = ph_str(o, "localIP", t4, sizeof(t4));
		mac = ph_str(o, "mac", t5, sizeof(t5));
		tok = ph_str(o, "token", t6, sizeof(t6));
		d = did ? ph_dev_get(ph, did, 1) : NULL;
		ph_dev_set(d, model, name, ip, mac, NULL);
		if (d)
			d->from_record = 1;
		ev = ph_event(ph, MF_TIME_NONE, "yeelight", "device");
		if (!ev) {
			cJSON_Delete(o);
			return MF_ERR_NOMEM;
		}
		ph_dev_fields(ph, ev, did, model);
		if (!d)
			mf_event_str(ev, "device_name", name);
		mf_event_str(ev, "ip", ip);
		mf_event_str(ev, "mac", mac);
		mf_event_bool(ev, "has_token", tok && *tok);
		mf_event_add(ev, "evidence", idx_evidence(ph, e->name, "member", (long)i, NULL, 0));
		{
			cJSON *raw = cJSON_Duplicate(o, 1);
			cJSON *t = raw ? cJSON_GetObjectItemCaseSensitive(raw, "token") : NULL;

			/* the copy is redacted: tok still points into o */
			if (cJSON_IsString(t) && (!ph->ctx || !ph->ctx->show_secrets))
				cJSON_SetValuestring(t, "[redacted]");
			mf_event_add(ev, "raw", raw);
		}
		rc = ph_emit(ph, ev);
		if (rc == 0 && tok && *tok)
			rc = ph_token(ph, "yeelight", did, ip, tok, "Yeelight miot.xml deviceList",
			    idx_evidence(ph, e->name, "member", (long)i, NULL, 0));
		cJSON_Delete(o);
	}
	return rc == MF_ERR_NOMEM ? rc : 0;
}

int mf_generic_prefs(struct mf_phone *ph, const char *artifact, const struct mf_prefs *p,
                     size_t skip_n, const unsigned char *skip)
{
	struct mf_event *ev;
	cJSON *keys = mf_json_obj();
	size_t i, kept = 0;
	int truncated = 0;

	for (i = 0; i < p->n; i++) {
		cJSON *v;

		if (i < skip_n && skip[i])
			continue;
		/* a prefs file the tool does not know is not the app's JSON */
		ph_json_damaged(ph, &p->v[i], strcmp(artifact, "prefs") != 0);
		if (p->v[i].value_len > GENERIC_VALUE_MAX && p->v[i].type == MF_PREF_STRING) {
			/* a huge value is kept as its start (whole characters); the
			 * file itself is hashed */
			size_t k = mf_utf8_prefix(p->v[i].value, GENERIC_VALUE_MAX);
			char *cut = malloc(k + 1);

			if (!cut)
				break;
			memcpy(cut, p->v[i].value, k);
			cut[k] = '\0';
			v = cJSON_CreateString(cut);
			free(cut);
			truncated = 1;
		} else {
			v = mf_pref_to_json(&p->v[i], ph->json_depth_max);
		}
		if (cJSON_GetObjectItemCaseSensitive(keys, p->v[i].name))
			cJSON_ReplaceItemInObjectCaseSensitive(keys, p->v[i].name, v);
		else
			cJSON_AddItemToObject(keys, p->v[i].name, v);
		kept++;
	}
	if (!kept) {
		cJSON_Delete(keys);
		return 0;
	}
	ev = ph_event(ph, MF_TIME_NONE, artifact, "data");
	if (!ev) {
		cJSON_Delete(keys);
		return MF_ERR_NOMEM;
	}
	mf_event_num(ev, "entries", (double)kept);
	mf_event_add(ev, "value", keys);
	if (truncated)
		mf_event_bool(ev, "values_truncated", 1);
	mf_event_add(ev, "evidence", ph_evidence(ph, NULL));
	return ph_emit(ph, ev);
}

/* The file name's suffix after prefix when it is 32 hex chars. */
static int md5_suffix(const char *base, const char *prefix, char md5[33])
{
	size_t pl = strlen(prefix), k;

	if (strncmp(base, prefix, pl) != 0)
		return 0;
	for (k = 0; k < 32; k++)
		if (!isxdigit((unsigned char)base[pl + k]))
			return 0;
	if (strcmp(base + pl + 32, ".xml") != 0)
		return 0;
	memcpy(md5, base + pl, 32);
	md5[32] = '\0';
	return 1;
}

/* The account of a home_room_manager_sp_<suffix>.xml: the suffix is the
 * upper-case MD5 of the uid, or (the fallback, phone-artifacts.md section 1)
 * the uid itself. */
static int name_uid(struct mf_phone *ph, const char *base)
{
	const char *sfx = base + 21, *uid = NULL;
	char md5[33], why[160], digits[25];
	struct ph_uid *u;
	size_t k = 0;

	if (md5_suffix(base, "home_room_manager_sp_", md5)) {
		uid = ph_uid_by_md5(ph, md5);
		if (!uid)
			return ph_anomaly(ph, NULL, 0, "uid_not_recovered",
			    "no candidate account id hashes to %s", md5);
		snprintf(why, sizeof(why), "file name %s (MD5 of the uid)", base);
	} else {
		while (sfx[k] >= '0' && sfx[k] <= '9')
			k++;
		if (k == 0 || k >= sizeof(digits) || strcmp(sfx + k, ".xml") != 0)
			return 0;
		memcpy(digits, sfx, k);
		digits[k] = '\0';
		uid = digits;
		snprintf(why, sizeof(why), "file name %s (the uid itself)", base);
	}
	/* the app named a file after the account: the account used the app */
	u = ph_uid_add(ph, uid, why);
	if (u)
		u->owner = 1;
	return 0;
}

int mf_homes_prefs(struct mf_phone *ph, const char *base, const struct mf_prefs *p)
{
	unsigned char *done = calloc(p->n ? p->n : 1, 1);
	int homes = strncmp(base, "home_room_manager_sp_", 21) == 0;
	const char *artifact = homes ? "home" : "prefs";
	size_t i;
	int rc = 0;

	if (!done)
		return MF_ERR_NOMEM;
	if (strcmp(base, "home_room_transfer_state.xml") == 0)
		artifact = "home";
	else if (strcmp(base, "home_env_info.xml") == 0)
		artifact = "env";
	else if (strcmp(base, "miot.xml") == 0)
		artifact = "yeelight";
	else if (strcmp(base, "plugin_device_list_pref.xml") == 0)
		artifact = "plugin";
	for (i = 0; i < p->n && rc != MF_ERR_NOMEM; i++) {
		const struct mf_pref *e = &p->v[i];
		cJSON *j;

		if (e->type == MF_PREF_SET && strcmp(e->name, "deviceList") == 0 &&
		    strcmp(base, "miot.xml") == 0) {
			rc = yeelight_list(ph, e);
			done[i] = 1;
			continue;
		}
		if (e->type != MF_PREF_STRING)
			continue;
		if (strcmp(e->name, "home_room_content") == 0 ||
		    strcmp(e->name, "env_data") == 0) {
			j = mf_json_lenient(e->value, e->value_len, ph->json_depth_max, NULL);
			if (ph_json_empty(e->value, e->value_len)) {
				rc = ph_empty_note(ph, e->name, "the key holds nothing (empty or null)");
			} else if (!j) {
				rc = ph_anomaly(ph, e->name, 1, "json_unparsable",
				    "the value is not JSON (%zu bytes)", e->value_len);
			} else if (e->name[0] == 'h') {
				rc = home_content(ph, e->name, j);
			} else {
				rc = env_data(ph, e->name, j);
			}
			cJSON_Delete(j);
			done[i] = 1;
		} else if (strncmp(e->name, "home_location", 13) == 0) {
			struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "home", "data");

			j = mf_json_lenient(e->value, e->value_len, ph->json_depth_max, NULL);
			if (!ev) {
				cJSON_Delete(j);
				rc = MF_ERR_NOMEM;
				break;
			}
			mf_event_str(ev, "home_id", e->name + 13);
			mf_event_str(ev, "key", e->name);
			mf_event_add(ev, "location", j ? j : cJSON_CreateString(e->value));
			mf_event_add(ev, "evidence", ph_evidence(ph, e->name));
			rc = ph_emit(ph, ev);
			done[i] = 1;
		} else if (strcmp(base, "plugin_device_list_pref.xml") == 0) {
			char tmp[32];

			/* model -> plugin id; the entries stay in the generic event */
			j = mf_json_lenient(e->value, e->value_len, ph->json_depth_max, NULL);
			if (cJSON_IsObject(j))
				ph_plugin_add(ph, e->name, ph_str(j, "pid", tmp, sizeof(tmp)));
			cJSON_Delete(j);
		}
	}
	/* after the keys: the file may name its own account's homes */
	if (homes && rc != MF_ERR_NOMEM)
		rc = name_uid(ph, base);
	if (rc != MF_ERR_NOMEM)
		rc = mf_generic_prefs(ph, artifact, p, p->n, done);
	free(done);
	return rc == MF_ERR_NOMEM ? rc : 0;
}
