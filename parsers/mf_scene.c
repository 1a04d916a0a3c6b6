/*
 * mf_scene.c - the scene (automation) caches and the account id hidden in
 * their file names.
 *
 * Reference: ../shared/reference/phone-artifacts.md section 3 (Mi Home
 * 5.6.60 SceneManager.java, PluginRecommendSceneManager.java):
 *
 *   shared_prefs/<MD5(uid)>scene_list_cache.xml        key scene_list
 *   shared_prefs/<MD5(uid)>lite_scene_list_cache.xml   key lite_scene_list
 *     MD5 = upper-case hex of the decimal Mi account id
 *     ("123456789" -> 25F9E794323B453885F5181F1B624D0B)
 *   scene_list = {"0":{scene},"1":{scene},..}   (the cloud /scene/list reply;
 *                 a list is accepted too)
 *   scene = {"us_id","name","type","status","uid","create_time","authed":[dids],
 *            "setting":{"enable","enable_push",
 *                       "launch":{"attr":[{"did","key","name","value",..}],"express"},
 *                       "timespan":{"from":{"hour","min"},"to":{..},"wday":[..]},
 *                       "action_list":[{"name","type","payload":{"did","command","value"}}]}}
 *
 * The uid is recovered by hashing every candidate uid the other artifacts
 * gave (home owners, devicerecord.userId/ownerId, shares); no brute force.
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

int mf_scene_is_cache_name(const char *base, char md5[33])
{
	size_t k;

	for (k = 0; k < 32; k++)
		if (!isxdigit((unsigned char)base[k]))
			return 0;
	if (strcmp(base + 32, "scene_list_cache.xml") != 0 &&
	    strcmp(base + 32, "lite_scene_list_cache.xml") != 0)
		return 0;
	if (md5) {
		memcpy(md5, base, 32);
		md5[32] = '\0';
	}
	return 1;
}

static int truthy(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return strcmp(v->valuestring, "1") == 0 || strcmp(v->valuestring, "true") == 0;
	return -1;
}

/* Copies of trigger/action entries with the device named. */
static cJSON *named_list(struct mf_phone *ph, const cJSON *list)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *it;

	cJSON_ArrayForEach(it, list) {
		cJSON *c = mf_json_expand(it, ph->json_depth_max);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "payload");
		char tmp[32];
		const char *did = ph_str(c, "did", tmp, sizeof(tmp));
		struct ph_dev *d;

		if (!did && p)
			did = ph_str(p, "did", tmp, sizeof(tmp));
		d = did ? ph_dev_get(ph, did, 0) : NULL;
		if (c && d && d->name && !cJSON_GetObjectItemCaseSensitive(c, "device_name"))
			cJSON_AddStringToObject(c, "device_name", d->name);
		if (c && d && d->model && !cJSON_GetObjectItemCaseSensitive(c, "model"))
			cJSON_AddStringToObject(c, "model", d->model);
		if (c)
			cJSON_AddItemToArray(out, c);
	}
	return out;
}

static int one_scene(struct mf_phone *ph, const char *key, const cJSON *sc0, const char *idx,
                     const char *uid)
{
	cJSON *sc = mf_json_expand(sc0, ph->json_depth_max);
	const cJSON *set, *launch;
	char t1[32], t2[32], t3[32];
	const char *unit = "s";
	struct mf_event *ev;
	int64_t ts = MF_TIME_NONE;
	double t;
	int en;

	if (!cJSON_IsObject(sc)) {
		cJSON_Delete(sc);
		return ph_anomaly(ph, key, 0, "scene_unrecognised", "scene %s is not an object",
		    idx);
	}
	if (ph_num(cJSON_GetObjectItemCaseSensitive(sc, "create_time"), &t))
		ts = ph_time(ph, t, &unit);
	ev = ph_event(ph, ts, "scene", "scene");
	if (!ev) {
		cJSON_Delete(sc);
		return MF_ERR_NOMEM;
	}
	set = cJSON_GetObjectItemCaseSensitive(sc, "setting");
	if (!cJSON_IsObject(set))
		set = sc;     /* lite scenes keep enable / action_list at the top */
	launch = cJSON_GetObjectItemCaseSensitive(set, "launch");
	mf_event_str(ev, "scene_id", ph_str(sc, "us_id", t1, sizeof(t1)));
	mf_event_str(ev, "name", ph_str(sc, "name", t2, sizeof(t2)));
	mf_event_str(ev, "list", key);
	ph_copy(ev, sc, "type", NULL);
	ph_copy(ev, sc, "status", NULL);
	en = truthy(cJSON_GetObjectItemCaseSensitive(set, "enable"));
	if (en >= 0)
		mf_event_bool(ev, "enabled", en);
	{
		const char *cu = ph_str(sc, "uid", t3, sizeof(t3));

		mf_event_str(ev, "uid", cu ? cu : uid);
		if (cu)
			ph_uid_add(ph, cu, "scene creator (scene cache)");
	}
	if (uid)
		mf_event_str(ev, "account_uid", uid);
	ph_copy(ev, sc, "authed", NULL);
	mf_event_add(ev, "triggers", named_list(ph, cJSON_GetObjectItemCaseSensitive(launch,
	    "attr")));
	ph_copy(ev, launch, "express", NULL);
	mf_event_add(ev, "actions", named_list(ph, cJSON_GetObjectItemCaseSensitive(set,
	    "action_list")));
	ph_copy(ev, set, "timespan", NULL);
	if (ts != MF_TIME_NONE) {
		mf_event_str(ev, "ts_meaning", "scene creation");
		if (strcmp(unit, "s") != 0)
			mf_event_str(ev, "ts_unit", unit);
	}
	{
		cJSON *e = ph_evidence(ph, key);

		mf_json_str(e, "scene", idx);
		mf_event_add(ev, "evidence", e);
	}
	mf_event_add(ev, "raw", sc);
	return ph_emit(ph, ev);
}

int mf_scene_json(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *uid)
{
	cJSON *root;
	const cJSON *list, *sc;
	int rc = 0;
	long i = 0;

	if (ph_json_empty(text, n))
		return 0;      /* no scenes (also "null"): nothing to say */
	root = mf_json_lenient(text, n, ph->json_depth_max, NULL);
	if (!root) {
		return ph_anomaly(ph, key, 1, "scene_unparsable", "scene list is not JSON "
		    "(%zu bytes)", n);
	}
	list = root;
	/* a wrapped reply {"result":{...}} or {"scene_info_list":[..]} */
	if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "result"))
		list = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (cJSON_IsObject(list) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(list,
	    "scene_info_list")))
		list = cJSON_GetObjectItemCaseSensitive(list, "scene_info_list");
	if (cJSON_IsObject(list) && cJSON_GetObjectItemCaseSensitive(list, "us_id"))
		rc = one_scene(ph, key, list, "0", uid);      /* a single scene */
	else if (cJSON_IsObject(list) || cJSON_IsArray(list)) {
		cJSON_ArrayForEach(sc, list) {
			char idx[32];

			if (cJSON_IsObject(list))
				snprintf(idx, sizeof(idx), "%.*s", (int)mf_utf8_prefix(sc->string,
				    strnlen(sc->string, 30)), sc->string);
			else
				snprintf(idx, sizeof(idx), "%ld", i);
			i++;
			rc = one_scene(ph, key, sc, idx, uid);
			if (rc == MF_ERR_NOMEM)
				break;
		}
	} else {
		rc = ph_anomaly(ph, key, 1, "scene_unrecognised", "scene list is neither an "
		    "object nor a list");
	}
	cJSON_Delete(root);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

int mf_scene_prefs(struct mf_phone *ph, const char *base, const struct mf_prefs *p)
{
	unsigned char *done = calloc(p->n ? p->n : 1, 1);
	const char *uid = NULL;
	char md5[33];
	size_t i;
	int rc = 0;

	if (!done)
		return MF_ERR_NOMEM;
	if (mf_scene_is_cache_name(base, md5)) {
		uid = ph_uid_by_md5(ph, md5);
		if (uid) {
			char why[160];
			struct ph_uid *u;

			snprintf(why, sizeof(why), "file name %s (MD5 of the uid)", base);
			u = ph_uid_add(ph, uid, why);
			if (u)
				u->owner = 1;   /* named a file: it used the app */
		} else {
			rc = ph_anomaly(ph, NULL, 0, "uid_not_recovered",
			    "no candidate account id hashes to %s", md5);
		}
	}
	for (i = 0; i < p->n && rc != MF_ERR_NOMEM; i++) {
		const struct mf_pref *e = &p->v[i];

		if (e->type != MF_PREF_STRING)
			continue;
		if (strcmp(e->name, "scene_list") == 0 || strcmp(e->name, "lite_scene_list") == 0 ||
		    strcmp(e->name, "voice_scene_list") == 0 ||
		    strncmp(e->name, "plugin_recommend_scene", 22) == 0) {
			rc = mf_scene_json(ph, e->name, e->value, e->value_len, uid);
			done[i] = 1;
		}
	}
	if (rc != MF_ERR_NOMEM)
		rc = mf_generic_prefs(ph, "scene", p, p->n, done);
	free(done);
	return rc == MF_ERR_NOMEM ? rc : 0;
}
