/*
 * mf_devlog.c - per-device plugin storage (config.xml) and the sensor event
 * logs inside it.
 *
 * Reference: ../shared/reference/phone-artifacts.md section 4; the keys are
 * chosen by each device plugin, so recognition is by name fragment
 * (fservida/autopsy_plugins mi_home.py does the same):
 *
 *   files/plugin/install/rn/<pluginId>/data/<did>/data/config.xml
 *   <string name="..Log_Normal..">                          (level 1: JSON)
 *     {"value":[{"did":"lumi.158d..","time":<logged>,"type":"prop",
 *                "value":"[\"[<ts>,[\\\"event.motion\\\",[]]]\", ...]"}]}
 *                       (level 2: a JSON array of strings, each level 3:
 *                        [<event time>, [<event name>, <args>...]])
 *   <string name="<did>_ht_stat..">
 *     {"time":<logged>,"value":"[{\"time\":..,\"temperature\":..,\"humidity\":..}]"}
 *
 * The outer time is when the record was stored, the inner one when the
 * event happened; units are detected against the extraction's reference
 * time.  A constant offset between the two that is a whole number of half
 * hours is the local-time epoch caveat: reported, never silently fixed.
 * Every other key is kept as a data event; a gateway's keys are recognised
 * by the miIO method names (python-miio gateway/alarm.py) and flagged as an
 * unverified format.
 */
#include "mf_phone_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_models.h"
#include "mf_time.h"

#define DEVLOG_ITEMS_MAX 100000      /* events from one key */
#define SHIFT_STEP_S 1800            /* time zones are whole half hours */
#define SHIFT_TOL_S 300              /* "within a few minutes" */
#define PREVIEW_MAX 512

struct pend {
	struct mf_event *ev;
	int64_t ts, logged;
};

struct plist {
	struct pend *v;
	size_t n, alloc;
};

static int plist_add(struct plist *l, struct mf_event *ev, int64_t ts, int64_t logged)
{
	if (l->n >= DEVLOG_ITEMS_MAX) {
		mf_event_free(ev);
		return MF_ERR_LIMIT;
	}
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 32;
		struct pend *nv = realloc(l->v, na * sizeof(*nv));

		if (!nv) {
			mf_event_free(ev);
			return MF_ERR_NOMEM;
		}
		l->v = nv;
		l->alloc = na;
	}
	l->v[l->n].ev = ev;
	l->v[l->n].ts = ts;
	l->v[l->n].logged = logged;
	l->n++;
	return 0;
}

static void plist_free(struct plist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		mf_event_free(l->v[i].ev);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The time-zone rule: at least two records with both times, the median
 * logged-minus-event offset rounds to a non-zero multiple of 30 min, and
 * every record lies within 5 min of that multiple.  Returns the apparent
 * UTC offset of the event times in seconds (0: none; event time minus the
 * multiple) and the measured logged-minus-event median in *median. */
static long detect_shift(const struct plist *l, double *median, size_t *used)
{
	double *d;
	size_t i, n = 0;
	long k;

	*median = 0;
	*used = 0;
	d = malloc((l->n ? l->n : 1) * sizeof(*d));
	if (!d)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->v[i].ts != MF_TIME_NONE && l->v[i].logged != MF_TIME_NONE)
			d[n++] = (double)(l->v[i].logged - l->v[i].ts) / 1e9;
	*used = n;
	if (n < 2) {
		free(d);
		return 0;
	}
	qsort(d, n, sizeof(*d), cmp_dbl);
	*median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
	k = lround(*median / SHIFT_STEP_S);
	if (k == 0 || labs(k) > 28) {      /* beyond +-14 h is not a time zone */
		free(d);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (fabs(d[i] - (double)k * SHIFT_STEP_S) > SHIFT_TOL_S) {
			free(d);
			return 0;
		}
	free(d);
	/* positive when the event clock runs ahead, as a local-time epoch
	 * east of UTC does: the zone's UTC offset */
	return -k * SHIFT_STEP_S;
}

/* Emits the pending events of one key, with the shift check first. */
static int flush(struct mf_phone *ph, const char *key, struct plist *l, const char *artifact)
{
	double median;
	size_t used, i;
	long shift = detect_shift(l, &median, &used);
	int rc = 0;

	if (shift) {
		struct mf_event *an = ph_event(ph, MF_TIME_NONE, artifact, "anomaly");

		if (!an)
			return MF_ERR_NOMEM;
		mf_event_str(an, "reason", "timezone_shift_suspected");
		mf_event_str(an, "severity", "warning");
		{
			char detail[256];

			snprintf(detail, sizeof(detail),
			    "logged time minus event time is %.0f s (median of %zu records), a "
			    "whole %+.1f h within %d s: the event times look like local-time "
			    "epochs of a UTC%+.1f h zone; ts is left as stored, ts_corrected = "
			    "ts - tz_shift_s", median, used, -(double)shift / 3600.0, SHIFT_TOL_S,
			    (double)shift / 3600.0);
			mf_event_str(an, "detail", detail);
		}
		mf_event_add(an, "offset_s", ph_number(round(median * 1000.0) / 1000.0));
		mf_event_num(an, "shift_s", (double)shift);
		mf_event_num(an, "records", (double)used);
		mf_event_add(an, "evidence", ph_evidence(ph, key));
		rc = ph_emit(ph, an);
	}
	for (i = 0; i < l->n; i++) {
		struct mf_event *ev = l->v[i].ev;

		l->v[i].ev = NULL;
		if (rc) {
			mf_event_free(ev);
			continue;
		}
		if (shift && l->v[i].ts != MF_TIME_NONE) {
			char t[32];

			mf_time_iso(l->v[i].ts - (int64_t)shift * MF_NS_PER_S, t);
			mf_event_num(ev, "tz_shift_s", (double)shift);
			mf_event_str(ev, "ts_corrected", t);
		}
		rc = ph_emit(ph, ev);
	}
	return rc;
}

static void preview(const char *s, size_t n, char *out, size_t outlen)
{
	size_t k = n < outlen - 4 ? n : mf_utf8_prefix(s, outlen - 4);

	memcpy(out, s, k);
	out[k] = '\0';
	if (k < n)
		memcpy(out + k, "...", 4);
}

/* A record's or reading's time: "time", or "timestamp" (the name the
 * environment cache and some plugins use); NULL when neither. */
static const cJSON *rec_time(const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");

	return t ? t : cJSON_GetObjectItemCaseSensitive(o, "timestamp");
}

/* Item evidence {file, sha256, key, record, item}. */
static cJSON *item_evidence(struct mf_phone *ph, const char *key, long rec, long item)
{
	cJSON *e = ph_evidence(ph, key);

	if (rec >= 0)
		mf_json_num(e, "record", (double)rec);
	if (item >= 0)
		mf_json_num(e, "item", (double)item);
	return e;
}

/* One level-3 item: [<ts>, [<name>, <args>...]] (or [<name>, ...] alone). */
static int one_item(struct mf_phone *ph, const char *key, const cJSON *item, const char *did,
                    const char *model_hint, int64_t logged, const char *logged_unit,
                    const char *log_type, long rec, long idx, struct plist *out)
{
	const cJSON *evarr = NULL, *name;
	cJSON *expanded = NULL, *val = NULL, *it;
	const char *ts_unit = "s", *ename, *canon, *kind = "device_event", *meaning;
	const struct mf_model_info *mi;
	struct mf_event *ev;
	int64_t ts = MF_TIME_NONE;
	double t;
	int n, k, ts_from_logged = 0;
	char *rawtxt;

	if (cJSON_IsArray(item) && cJSON_GetArraySize(item) >= 2 &&
	    ph_num(cJSON_GetArrayItem(item, 0), &t)) {
		ts = ph_time(ph, t, &ts_unit);
		evarr = cJSON_GetArrayItem(item, 1);
		if (cJSON_IsString(evarr)) {
			expanded = mf_json_lenient(evarr->valuestring, strlen(evarr->valuestring),
			    ph->json_depth_max, NULL);
			evarr = expanded;
		}
	} else if (cJSON_IsArray(item) && cJSON_IsString(cJSON_GetArrayItem(item, 0))) {
		evarr = item;
		ts = logged;
		ts_from_logged = 1;
	}
	name = cJSON_IsArray(evarr) ? cJSON_GetArrayItem(evarr, 0) : NULL;
	if (!cJSON_IsString(name)) {
		char pv[PREVIEW_MAX];

		rawtxt = cJSON_PrintUnformatted(item);
		preview(rawtxt ? rawtxt : "", rawtxt ? strlen(rawtxt) : 0, pv, sizeof(pv));
		free(rawtxt);
		cJSON_Delete(expanded);
		/* kept: the anomaly carries the item itself */
		return ph_anomaly(ph, key, 0, "devlog_item_unrecognised",
		    "record %ld item %ld: %s", rec, idx, pv);
	}
	ename = name->valuestring;
	canon = mf_event_canonical(ename);
	if (strncmp(ename, "prop.", 5) == 0)
		kind = "property";
	ev = ph_event(ph, ts, "device-log", kind);
	if (!ev) {
		cJSON_Delete(expanded);
		return MF_ERR_NOMEM;
	}
	ev->logged_ns = logged;
	ph_dev_fields(ph, ev, did, model_hint);
	if (kind[0] == 'p') {
		mf_event_str(ev, "prop", ename + 5);
	} else {
		mf_event_str(ev, "event", canon ? canon : ename);
		if (canon)
			mf_event_str(ev, "event_raw", ename);
	}
	/* value: the single argument, or the list of arguments */
	n = cJSON_GetArraySize(evarr);
	if (n == 2) {
		val = mf_json_expand(cJSON_GetArrayItem(evarr, 1), ph->json_depth_max);
	} else {
		val = cJSON_CreateArray();
		for (k = 1; val && k < n; k++)
			cJSON_AddItemToArray(val, mf_json_expand(cJSON_GetArrayItem(evarr, k),
			    ph->json_depth_max));
	}
	mf_event_add(ev, "value", val);
	{
		struct ph_dev *d = ph_dev_get(ph, did, 0);

		mi = mf_model_find(d && d->model ? d->model : model_hint);
	}
	meaning = mf_event_meaning(mi ? mi->type : mf_type_from_event(canon ? canon : ename),
	    canon ? canon : ename);
	if (meaning)
		mf_event_str(ev, "meaning", meaning);
	if (log_type)
		mf_event_str(ev, "log_type", log_type);
	if (ts_from_logged)
		mf_event_bool(ev, "ts_is_logged", 1);
	if (strcmp(ts_unit, "s") != 0)
		mf_event_str(ev, "ts_unit", ts_unit);
	if (logged != MF_TIME_NONE && strcmp(logged_unit, "s") != 0)
		mf_event_str(ev, "logged_unit", logged_unit);
	mf_event_add(ev, "evidence", item_evidence(ph, key, rec, idx));
	it = cJSON_Duplicate(item, 1);
	mf_event_add(ev, "raw", it);
	cJSON_Delete(expanded);
	return plist_add(out, ev, ts, logged);
}

/* What can still be read from a damaged log: with every backslash gone
 * the nesting levels look alike, so "did", "time" and [<ts>,["<name>"
 * items are found by scanning.  A name cut by the damage is kept as a
 * fragment.  Returns a JSON list (empty when nothing is found). */
static cJSON *salvage(const char *text, size_t n)
{
	cJSON *out = cJSON_CreateArray();
	char *t = malloc(n + 1), did[64] = "";
	double logged = 0;
	size_t i, m = 0;

	if (!t || !out) {
		free(t);
		return out;
	}
	for (i = 0; i < n; i++)
		if (text[i] != '\\')
			t[m++] = text[i];
	t[m] = '\0';
	for (i = 0; i < m && cJSON_GetArraySize(out) < 1000; i++) {
		if (strncmp(t + i, "\"did\":\"", 7) == 0) {
			size_t k = 0;

			i += 7;
			while (i < m && t[i] != '"' && k < sizeof(did) - 1)
				did[k++] = t[i++];
			did[mf_utf8_prefix(did, k)] = '\0';
		} else if (strncmp(t + i, "\"time\":", 7) == 0) {
			logged = strtod(t + i + 7, NULL);
		} else if (t[i] == '[' && i + 1 < m && t[i + 1] >= '0' && t[i + 1] <= '9') {
			char *e;
			double ts = strtod(t + i + 1, &e);
			size_t k = 0;
			char name[64];
			cJSON *o;

			if (strncmp(e, ",[\"", 3) != 0)
				continue;
			e += 3;
			while (*e && *e != '"' && k < sizeof(name) - 1)
				name[k++] = *e++;
			name[mf_utf8_prefix(name, k)] = '\0';
			o = mf_json_obj();
			if (did[0])
				mf_json_str(o, "did", did);
			if (logged > 0)
				cJSON_AddItemToObject(o, "time", ph_number(logged));
			cJSON_AddItemToObject(o, "event_time", ph_number(ts));
			mf_json_str(o, *e == '"' ? "event" : "event_fragment", name);
			cJSON_AddItemToArray(out, o);
		}
	}
	free(t);
	return out;
}

static int item_named(const cJSON *item, int depth_max, int strict);

/* Records of the cloud's event and property history name the event in
 * "key" and keep only its arguments in "value" (miot-plugin-sdk
 * getDeviceData: {"did","type":"event","key":"motion","time","value":"[]"};
 * phone-artifacts.md section 4 names the same API); a plugin that caches
 * them keeps that shape.  For such a record an item [<type>.<key>, <args>..]
 * is made; NULL when the value names its own events or there is no key
 * ("device_log" is the key of the nested logs, not an event). */
static cJSON *keyed_item(const cJSON *r, const cJSON *v, const char *type, int depth_max)
{
	char tmp[64], name[160];
	const char *k = ph_str(r, "key", tmp, sizeof(tmp));
	const cJSON *c;
	cJSON *it;

	if (!k || !*k || strcmp(k, "device_log") == 0)
		return NULL;
	if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 && (item_named(v, depth_max, 0) ||
	    item_named(cJSON_GetArrayItem(v, 0), depth_max, 0)))
		return NULL;
	if (strchr(k, '.'))
		snprintf(name, sizeof(name), "%s", k);
	else
		snprintf(name, sizeof(name), "%s.%s", type && strcmp(type, "prop") == 0 ? "prop" :
		    "event", k);
	it = cJSON_CreateArray();
	if (!it)
		return NULL;
	cJSON_AddItemToArray(it, cJSON_CreateString(name));
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(c, v)
			cJSON_AddItemToArray(it, cJSON_Duplicate(c, 1));
	} else if (v) {
		cJSON_AddItemToArray(it, cJSON_Duplicate(v, 1));
	}
	return it;
}

int mf_devlog_key(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *did_hint, const char *model_hint)
{
	cJSON *root, *recs;
	const cJSON *r;
	struct plist pl = { 0 };
	long ri = 0;
	int rc = 0;

	if (ph_json_empty(text, n))
		return ph_empty_note(ph, key, "the device log holds no records (empty or null)");
	root = mf_json_lenient(text, n, ph->json_depth_max, NULL);
	if (!root) {
		char pv[PREVIEW_MAX];
		struct mf_event *an;

		preview(text, n, pv, sizeof(pv));
		rc = ph_anomaly(ph, key, 1, "devlog_unparsable",
		    "device log value is not JSON (%zu bytes); what could be read is in "
		    "the next event", n);
		/* the salvaged pieces, as a data event that names the damage */
		an = ph_event(ph, MF_TIME_NONE, "device-log", "data");
		if (!an)
			return MF_ERR_NOMEM;
		ph_dev_fields(ph, an, did_hint, model_hint);
		mf_event_str(an, "what", "salvaged from a damaged device log");
		mf_event_add(an, "salvaged", salvage(text, n));
		mf_event_str(an, "preview", pv);
		mf_event_add(an, "evidence", ph_evidence(ph, key));
		return rc ? rc : ph_emit(ph, an);
	}
	recs = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "value");
	if ((cJSON_IsString(recs) && ph_json_empty(recs->valuestring,
	    strlen(recs->valuestring))) || cJSON_IsNull(recs)) {
		cJSON_Delete(root);
		return ph_empty_note(ph, key, "the device log holds no records (empty value list)");
	}
	if (cJSON_IsString(recs)) {
		cJSON *p = mf_json_lenient(recs->valuestring, strlen(recs->valuestring),
		    ph->json_depth_max, NULL);

		if (p) {
			cJSON_ReplaceItemInObjectCaseSensitive(root, "value", p);
			recs = p;
		}
	}
	if (!cJSON_IsArray(recs)) {
		cJSON_Delete(root);
		return ph_anomaly(ph, key, 1, "devlog_unrecognised",
		    "no record list (\"value\":[...]) in the device log");
	}
	cJSON_ArrayForEach(r, recs) {
		char dtmp[32], ttmp[32];
		const char *did = ph_str(r, "did", dtmp, sizeof(dtmp));
		const char *type = ph_str(r, "type", ttmp, sizeof(ttmp));
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
		cJSON *parsed = NULL, *keyed;
		const char *lunit = "s";
		int64_t logged = MF_TIME_NONE;
		double t;
		long ii = 0;

		if (!did || !*did)
			did = did_hint;
		if (ph_num(rec_time(r), &t))
			logged = ph_time(ph, t, &lunit);
		if (cJSON_IsString(v)) {
			parsed = mf_json_lenient(v->valuestring, strlen(v->valuestring),
			    ph->json_depth_max, NULL);
			/* a plain argument ("1", "open") of a keyed record stays a string */
			if (!parsed && !ph_json_empty(v->valuestring, strlen(v->valuestring)))
				parsed = cJSON_CreateString(v->valuestring);
			v = parsed;
		}
		keyed = keyed_item(r, v, type, ph->json_depth_max);
		if (keyed) {
			rc = one_item(ph, key, keyed, did, model_hint, logged, lunit, type, ri, -1,
			    &pl);
			cJSON_Delete(keyed);
		} else if (!v || cJSON_IsString(v)) {
			rc = ph_anomaly(ph, key, 0, "devlog_record_unrecognised",
			    "record %ld has no parsable value", ri);
		} else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 &&
		    !ph_num(cJSON_GetArrayItem(v, 0), &t) &&
		    !cJSON_IsString(cJSON_GetArrayItem(v, 0))) {
			/* a list of items ([[ts,[..]], ...]) */
			const cJSON *it;

			cJSON_ArrayForEach(it, v) {
				rc = one_item(ph, key, it, did, model_hint, logged, lunit, type, ri,
				    ii++, &pl);
				if (rc == MF_ERR_NOMEM || rc == MF_ERR_LIMIT)
					break;
			}
		} else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 &&
		    cJSON_IsString(cJSON_GetArrayItem(v, 0)) &&
		    strncmp(cJSON_GetArrayItem(v, 0)->valuestring, "[", 1) == 0) {
			/* the usual level 2: a list of strings, each a level-3 item */
			const cJSON *it;

			cJSON_ArrayForEach(it, v) {
				cJSON *p = cJSON_IsString(it) ? mf_json_lenient(it->valuestring,
				    strlen(it->valuestring), ph->json_depth_max, NULL) : NULL;

				rc = one_item(ph, key, p ? p : it, did, model_hint, logged, lunit,
				    type, ri, ii++, &pl);
				cJSON_Delete(p);
				if (rc == MF_ERR_NOMEM || rc == MF_ERR_LIMIT)
					break;
			}
		} else {
			/* a single item: [ts, [name, ..]] or [name, ..] */
			rc = one_item(ph, key, v, did, model_hint, logged, lunit, type, ri, -1, &pl);
		}
		cJSON_Delete(parsed);
		ri++;
		if (rc == MF_ERR_NOMEM)
			break;
		if (rc == MF_ERR_LIMIT) {
			rc = ph_anomaly(ph, key, 1, "limit_reached",
			    "more than %d events in one device log; the rest is not read",
			    DEVLOG_ITEMS_MAX);
			break;
		}
	}
	cJSON_Delete(root);
	if (rc == MF_ERR_NOMEM) {
		plist_free(&pl);
		return rc;
	}
	rc = flush(ph, key, &pl, "device-log");
	plist_free(&pl);
	return rc;
}

/* ---- temperature / humidity history ---- */

static int ht_object(struct mf_phone *ph, const char *key, const cJSON *o, const char *did,
                     const char *model_hint, int64_t logged, const char *lunit, long rec,
                     long idx, struct plist *pl)
{
	struct mf_event *ev;
	cJSON *vals;
	const cJSON *m;
	const char *tunit = "s";
	int64_t ts = MF_TIME_NONE;
	double t;

	if (!cJSON_IsObject(o))
		return ph_anomaly(ph, key, 0, "ht_item_unrecognised", "record %ld item %ld is "
		    "not an object", rec, idx);
	if (ph_num(rec_time(o), &t))
		ts = ph_time(ph, t, &tunit);
	vals = mf_json_obj();
	cJSON_ArrayForEach(m, o) {
		double d;

		if (m == rec_time(o))
			continue;
		/* readings are kept as stored (strings become numbers); the
		 * plugin's scale is not applied (LAN values are hundredths) */
		if (ph_num(m, &d))
			cJSON_AddItemToObject(vals, m->string, ph_number(d));
		else
			cJSON_AddItemToObject(vals, m->string, cJSON_Duplicate(m, 1));
	}
	ev = ph_event(ph, ts, "device-log", "property");
	if (!ev) {
		cJSON_Delete(vals);
		return MF_ERR_NOMEM;
	}
	ev->logged_ns = logged;
	ph_dev_fields(ph, ev, did, model_hint);
	mf_event_str(ev, "event", "ht_stat");
	{
		/* integer temperature / humidity beyond 100 are hundredths, as on
		 * the Lumi LAN protocol (an inference: the plugin's scale) */
		double tv = 0, hv = 0;
		int st = ph_num(cJSON_GetObjectItemCaseSensitive(vals, "temperature"), &tv) &&
		    fabs(tv) >= 100 && tv == floor(tv);
		int sh = ph_num(cJSON_GetObjectItemCaseSensitive(vals, "humidity"), &hv) &&
		    hv >= 100 && hv == floor(hv);

		if (st || sh) {
			cJSON *sc = mf_json_obj();

			if (st)
				cJSON_AddItemToObject(sc, "temperature_c", ph_number(tv / 100.0));
			if (sh)
				cJSON_AddItemToObject(sc, "humidity_pct", ph_number(hv / 100.0));
			mf_json_str(sc, "assumed", "hundredths, as on the Lumi LAN protocol");
			mf_event_add(ev, "scaled", sc);
		}
	}
	mf_event_add(ev, "value", vals);
	if (strcmp(tunit, "s") != 0)
		mf_event_str(ev, "ts_unit", tunit);
	if (logged != MF_TIME_NONE && strcmp(lunit, "s") != 0)
		mf_event_str(ev, "logged_unit", lunit);
	mf_event_add(ev, "evidence", item_evidence(ph, key, rec, idx));
	mf_event_add(ev, "raw", cJSON_Duplicate(o, 1));
	return plist_add(pl, ev, ts, logged);
}

int mf_htstat_key(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *did_hint, const char *model_hint)
{
	cJSON *root;
	const cJSON *r;
	struct plist pl = { 0 };
	long ri = 0;
	int rc = 0;

	if (ph_json_empty(text, n))
		return ph_empty_note(ph, key, "the readings key holds nothing (empty or null)");
	root = mf_json_lenient(text, n, ph->json_depth_max, NULL);
	if (!root) {
		char pv[PREVIEW_MAX];

		preview(text, n, pv, sizeof(pv));
		return ph_anomaly(ph, key, 1, "ht_unparsable", "not JSON: %s", pv);
	}
	/* one record {"time","value"} or a list of them */
	if (cJSON_IsObject(root)) {
		cJSON *arr = cJSON_CreateArray();

		cJSON_AddItemToArray(arr, root);
		root = arr;
	}
	cJSON_ArrayForEach(r, root) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "value");
		cJSON *parsed = NULL;
		const char *lunit = "s";
		int64_t logged = MF_TIME_NONE;
		char dtmp[32];
		const char *did = ph_str(r, "did", dtmp, sizeof(dtmp));
		double t;
		long ii = 0;

		if (!did)
			did = did_hint;
		if (ph_num(rec_time(r), &t))
			logged = ph_time(ph, t, &lunit);
		if (cJSON_IsString(v)) {
			parsed = mf_json_lenient(v->valuestring, strlen(v->valuestring),
			    ph->json_depth_max, NULL);
			v = parsed;
		}
		if (!v && cJSON_IsObject(r) && cJSON_GetObjectItemCaseSensitive(r, "temperature"))
			v = r;     /* a reading stored flat */
		if (cJSON_IsArray(v)) {
			const cJSON *o;

			cJSON_ArrayForEach(o, v) {
				rc = ht_object(ph, key, o, did, model_hint, logged, lunit, ri, ii++, &pl);
				if (rc)
					break;
			}
		} else if (cJSON_IsObject(v)) {
			rc = ht_object(ph, key, v, did, model_hint, logged, lunit, ri, -1, &pl);
		} else {
			rc = ph_anomaly(ph, key, 0, "ht_record_unrecognised",
			    "record %ld has no reading list", ri);
		}
		cJSON_Delete(parsed);
		ri++;
		if (rc == MF_ERR_NOMEM)
			break;
		if (rc == MF_ERR_LIMIT) {
			rc = ph_anomaly(ph, key, 1, "limit_reached",
			    "more than %d readings in one key", DEVLOG_ITEMS_MAX);
			break;
		}
	}
	cJSON_Delete(root);
	if (rc == MF_ERR_NOMEM) {
		plist_free(&pl);
		return rc;
	}
	rc = flush(ph, key, &pl, "device-log");
	plist_free(&pl);
	return rc;
}

/* ---- the whole config.xml ---- */

/* Gateway vocabulary: the miIO methods' names (python-miio gateway). */
static const char *gateway_name(const char *key)
{
	static const char *names[] = {
		"arming_time", "arm_wait_time", "alarm_time_len", "en_alarm_light",
		"alarming_volume", "arming_log", "alarm_log", "arming", "guard", "alarm",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasestr(key, names[i]))
			return names[i];
	return NULL;
}

/* A gateway's alert or arming history: one event per entry. */
static int gateway_log(struct mf_phone *ph, const char *key, const cJSON *list,
                       const char *gw_did, const char *gw_model, int alarm)
{
	const cJSON *it;
	long i = 0;
	int rc = 0;

	cJSON_ArrayForEach(it, list) {
		char t1[64], t2[64], t3[64];
		const char *did = alarm ? ph_str(it, "did", t1, sizeof(t1)) : NULL;
		const char *ev_name = alarm ? ph_str(it, "event", t2, sizeof(t2)) : NULL;
		const char *val = alarm ? NULL : ph_str(it, "value", t3, sizeof(t3));
		const char *unit = "s", *meaning;
		int64_t ts = MF_TIME_NONE;
		struct mf_event *ev;
		cJSON *evd;
		double t;
		char arm[40];

		if (ph_num(cJSON_GetObjectItemCaseSensitive(it, "time"), &t))
			ts = ph_time(ph, t, &unit);
		ev = ph_event(ph, ts, "gateway", "device_event");
		if (!ev)
			return MF_ERR_NOMEM;
		if (alarm && did) {
			char m[64];
			const char *mh = ph_str(it, "model", m, sizeof(m));

			ph_dev_fields(ph, ev, did, mh);
			mf_event_str(ev, "event", ev_name);
			meaning = mf_event_meaning(NULL, ev_name);
			if (meaning)
				mf_event_str(ev, "meaning", meaning);
			mf_event_bool(ev, "alarm", 1);
			mf_event_str(ev, "gateway_did", gw_did);
		} else {
			ph_dev_fields(ph, ev, gw_did, gw_model);
			mf_event_str(ev, "event", alarm ? (ev_name ? ev_name : "alarm") : "arming");
			if (val) {
				mf_event_str(ev, "value", val);
				snprintf(arm, sizeof(arm), "arming_%.20s", val);
				meaning = mf_event_meaning("gateway", arm);
				if (meaning)
					mf_event_str(ev, "meaning", meaning);
			}
		}
		if (strcmp(unit, "s") != 0)
			mf_event_str(ev, "ts_unit", unit);
		mf_event_str(ev, "format", "unverified");
		evd = ph_evidence(ph, key);
		mf_json_num(evd, "item", (double)i++);
		mf_event_add(ev, "evidence", evd);
		mf_event_add(ev, "raw", cJSON_Duplicate(it, 1));
		if ((rc = ph_emit(ph, ev)) != 0)
			return rc;
	}
	return 0;
}

static int raw_key(struct mf_phone *ph, const struct mf_pref *e, const char *artifact,
                   const char *did, const char *model_hint, int gateway)
{
	struct mf_event *ev;
	cJSON *v;
	const char *g = gateway ? gateway_name(e->name) : NULL;
	int64_t ts = MF_TIME_NONE;
	int rc;

	ph_json_damaged(ph, e, 1);
	v = mf_pref_to_json(e, ph->json_depth_max);
	ev = ph_event(ph, MF_TIME_NONE, artifact, "data");
	if (!ev) {
		cJSON_Delete(v);
		return MF_ERR_NOMEM;
	}
	if (g && cJSON_IsString(v)) {
		double d;

		/* recognised settings are numbers stored as strings */
		if (ph_num(v, &d)) {
			cJSON_Delete(v);
			v = cJSON_CreateNumber(d);
		}
	}
	if (g && strcmp(g, "arming_time") == 0) {
		double t;

		/* the last change of the arming state, Unix seconds */
		if (ph_num(v, &t) && (ts = ph_time(ph, t, NULL)) != MF_TIME_NONE)
			ev->ts_ns = ts;
	}
	if (did)
		ph_dev_fields(ph, ev, did, model_hint);
	mf_event_str(ev, "key", e->name);
	mf_event_str(ev, "pref_type", mf_pref_type_name(e->type));
	if (v && (cJSON_IsObject(v) || cJSON_IsArray(v))) {
		cJSON *x = mf_json_expand(v, ph->json_depth_max);

		cJSON_Delete(v);
		v = x;
	}
	mf_event_add(ev, "value", v);
	if (gateway) {
		mf_event_str(ev, "recognised", g ? g : "");
		if (!g)
			cJSON_DeleteItemFromObjectCaseSensitive(ev->body, "recognised");
		mf_event_str(ev, "format", "unverified");
	}
	mf_event_add(ev, "evidence", ph_evidence(ph, e->name));
	v = g && (strcmp(g, "arming_log") == 0 || strcmp(g, "alarm_log") == 0) &&
	    cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ev->body, "value")) ?
	    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(ev->body, "value"), 1) : NULL;
	rc = ph_emit(ph, ev);
	if (rc == 0 && v) {
		struct ph_dev *d = ph_dev_get(ph, did, 0);

		rc = gateway_log(ph, e->name, v, did, d && d->model ? d->model : model_hint,
		    strcmp(g, "alarm_log") == 0);
	}
	cJSON_Delete(v);
	return rc;
}

/* Is s an event name?  strict: "event.<x>" or "prop.<x>"; otherwise any
 * word that starts with a letter (short names such as "open" are made
 * canonical later), which an argument such as "60" is not. */
static int is_name(const char *s, int strict)
{
	if (strict)
		return strncmp(s, "event.", 6) == 0 || strncmp(s, "prop.", 5) == 0;
	return (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
}

/* Does a device-log item, [ts, [name, ..]], [name, ..] or a string holding
 * one of these, name an event (is_name)? */
static int item_named(const cJSON *item, int depth_max, int strict)
{
	cJSON *p = NULL;
	const cJSON *a = item, *n;
	int ok;

	if (cJSON_IsString(item)) {
		const char *s = item->valuestring;

		if (s[0] != '[')
			return is_name(s, strict);
		a = p = mf_json_lenient(s, strlen(s), depth_max, NULL);
	}
	n = cJSON_GetArrayItem(a, 0);
	if (cJSON_IsNumber(n) || (cJSON_IsString(n) && n->valuestring[0] >= '0' &&
	    n->valuestring[0] <= '9')) {
		n = cJSON_GetArrayItem(a, 1);
		if (cJSON_IsArray(n))
			n = cJSON_GetArrayItem(n, 0);
	}
	ok = cJSON_IsString(n) && is_name(n->valuestring, strict);
	cJSON_Delete(p);
	return ok;
}

/* The shape of a value whatever its key's name (key names are the
 * plugins' own choice, phone-artifacts.md section 4): 1 a device log
 * (records {"time"|"timestamp", "value"} whose first item names an
 * "event." or "prop."), 2 readings (records whose value lists objects with
 * a temperature or humidity), 0 neither. */
static int value_shape(const struct mf_phone *ph, const struct mf_pref *e)
{
	cJSON *j, *pv = NULL;
	const cJSON *recs, *r, *v, *first;
	int shape = 0;

	if (e->type != MF_PREF_STRING || e->value_len < 2 || (e->value[0] != '{' &&
	    e->value[0] != '[' && e->value[0] != '&'))
		return 0;
	j = mf_json_lenient(e->value, e->value_len, ph->json_depth_max, NULL);
	recs = cJSON_IsArray(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "value");
	r = cJSON_IsArray(recs) ? cJSON_GetArrayItem(recs, 0) : cJSON_IsObject(j) ? j : NULL;
	if (cJSON_IsObject(r) && rec_time(r)) {
		v = cJSON_GetObjectItemCaseSensitive(r, "value");
		if (cJSON_IsString(v))
			v = pv = mf_json_lenient(v->valuestring, strlen(v->valuestring),
			    ph->json_depth_max, NULL);
		first = cJSON_GetArrayItem(v, 0);
		if (cJSON_IsObject(first) && (cJSON_GetObjectItemCaseSensitive(first,
		    "temperature") || cJSON_GetObjectItemCaseSensitive(first, "humidity")))
			shape = 2;
		else if (recs && cJSON_IsArray(v) && (cJSON_IsNumber(first) ? item_named(v,
		    ph->json_depth_max, 1) : item_named(first, ph->json_depth_max, 1)))
			shape = 1;
	}
	cJSON_Delete(pv);
	cJSON_Delete(j);
	return shape;
}

int mf_devlog_config(struct mf_phone *ph, const struct mf_prefs *p, const char *did_hint,
                     const char *plugin_id)
{
	const char *model_hint = ph_plugin_model(ph, plugin_id);
	struct ph_dev *d = ph_dev_get(ph, did_hint, 0);
	const struct mf_model_info *mi = mf_model_find(d && d->model ? d->model : model_hint);
	int gateway = mi && strcmp(mi->type, "gateway") == 0;
	size_t i;
	int rc = 0, shape;

	/* a config.xml with arming keys is a gateway's, whatever the model */
	for (i = 0; !gateway && i < p->n; i++)
		if (strcasestr(p->v[i].name, "arming"))
			gateway = 1;
	for (i = 0; i < p->n && rc != MF_ERR_NOMEM; i++) {
		const struct mf_pref *e = &p->v[i];

		if (e->type == MF_PREF_STRING && strstr(e->name, "Log_Normal"))
			rc = mf_devlog_key(ph, e->name, e->value, e->value_len, did_hint, model_hint);
		else if (e->type == MF_PREF_STRING && strstr(e->name, "ht_stat"))
			rc = mf_htstat_key(ph, e->name, e->value, e->value_len, did_hint, model_hint);
		else if (!(gateway && gateway_name(e->name)) && (shape = value_shape(ph, e)) != 0) {
			rc = ph_anomaly(ph, e->name, 0, "log_key_by_shape", "the key's name holds "
			    "no %s, but its value has the shape of %s: read as such",
			    shape == 1 ? "Log_Normal" : "ht_stat",
			    shape == 1 ? "a device log" : "temperature/humidity readings");
			if (rc != MF_ERR_NOMEM)
				rc = (shape == 1 ? mf_devlog_key : mf_htstat_key)(ph, e->name, e->value,
				    e->value_len, did_hint, model_hint);
		} else
			rc = raw_key(ph, e, gateway ? "gateway" : "plugin-storage", did_hint,
			    model_hint, gateway);
	}
	return rc == MF_ERR_NOMEM ? rc : 0;
}
