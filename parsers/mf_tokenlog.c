/*
 * mf_tokenlog.c - the device lists that old app versions wrote to shared
 * storage, LAN tokens included.
 *
 * Reference: ../shared/reference/phone-artifacts.md section 1 ([reported]:
 * shaarkys/com.xiaomi-miio issue #80; the community's token recipe is "open
 * the newest file, search for token"):
 *
 *   <shared storage>/SmartHome/logs/plug_DeviceManager/<yyyy-MM-dd>.txt
 *     free text; the cloud's device_list replies are logged in it as JSON:
 *     ...{"did":"42688810","token":"509c..","localip":"192.168.31.61",
 *         "name":"..","model":"chuangmi.plug.m1","mac":"04:CF:.."}...
 *
 * The line format is not documented, so only the JSON is relied on: at
 * every '{' a JSON value is parsed (cJSON stops at its end; strings holding
 * JSON are expanded), and every object in it with a "did" and a "model" or
 * "token" is a device.  Text that is not JSON costs one failed parse per
 * '{', bounded by SCAN_WORK (bytes looked at per byte of the file).  The
 * same device is logged at every refresh: one event per distinct (did,
 * model, name, ip, mac, token), with how often it was seen and where first.
 */
#include "mf_phone_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_json.h"
#include "mf_time.h"

#define SCAN_WORK 64             /* parse work per byte, at most */
#define DEVS_MAX 100000          /* distinct devices kept from one file */
#define WALK_DEPTH 32

struct tl_dev {
	char *key;                   /* the distinct tuple, printed */
	cJSON *obj;                  /* the first object seen */
	size_t seen, offset;
};

struct tl {
	struct tl_dev *v;
	size_t n, alloc;
	int full;
};

static const char *first_str(const cJSON *o, const char *const *names, char *tmp, size_t n)
{
	size_t i;

	for (i = 0; names[i]; i++) {
		const char *s = ph_str(o, names[i], tmp, n);

		if (s && *s)
			return s;
	}
	return NULL;
}

static const char *const K_IP[] = { "localip", "localIP", "local_ip", "ip", NULL };
static const char *const K_NAME[] = { "name", NULL };
static const char *const K_MODEL[] = { "model", NULL };
static const char *const K_MAC[] = { "mac", NULL };
static const char *const K_TOKEN[] = { "token", NULL };

static int add_dev(struct tl *l, const cJSON *o, size_t off)
{
	char t[6][64], *key;
	const char *v[6];
	cJSON *k;
	size_t i;

	v[0] = ph_str(o, "did", t[0], sizeof(t[0]));
	v[1] = first_str(o, K_MODEL, t[1], sizeof(t[1]));
	v[2] = first_str(o, K_NAME, t[2], sizeof(t[2]));
	v[3] = first_str(o, K_IP, t[3], sizeof(t[3]));
	v[4] = first_str(o, K_MAC, t[4], sizeof(t[4]));
	v[5] = first_str(o, K_TOKEN, t[5], sizeof(t[5]));
	k = cJSON_CreateArray();
	if (!k)
		return MF_ERR_NOMEM;
	for (i = 0; i < 6; i++)
		cJSON_AddItemToArray(k, cJSON_CreateString(v[i] ? v[i] : ""));
	key = cJSON_PrintUnformatted(k);
	cJSON_Delete(k);
	if (!key)
		return MF_ERR_NOMEM;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0) {
			l->v[i].seen++;
			free(key);
			return 0;
		}
	if (l->n >= DEVS_MAX) {
		l->full = 1;
		free(key);
		return 0;
	}
	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 16;
		struct tl_dev *nv = realloc(l->v, na * sizeof(*nv));

		if (!nv) {
			free(key);
			return MF_ERR_NOMEM;
		}
		l->v = nv;
		l->alloc = na;
	}
	l->v[l->n].key = key;
	l->v[l->n].obj = cJSON_Duplicate(o, 1);
	l->v[l->n].seen = 1;
	l->v[l->n].offset = off;
	if (!l->v[l->n].obj) {
		free(key);
		return MF_ERR_NOMEM;
	}
	l->n++;
	return 0;
}

/* Every object under v with a "did" and a "model" or "token". */
static int walk(struct tl *l, const cJSON *v, size_t off, int depth)
{
	const cJSON *c;
	int rc;

	if (depth > WALK_DEPTH || !(cJSON_IsObject(v) || cJSON_IsArray(v)))
		return 0;
	if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "did") &&
	    (cJSON_GetObjectItemCaseSensitive(v, "model") ||
	    cJSON_GetObjectItemCaseSensitive(v, "token")))
		return add_dev(l, v, off);
	cJSON_ArrayForEach(c, v)
		if ((rc = walk(l, c, off, depth + 1)) != 0)
			return rc;
	return 0;
}

static void tl_free(struct tl *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].key);
		cJSON_Delete(l->v[i].obj);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static cJSON *off_evidence(struct mf_phone *ph, size_t off)
{
	cJSON *e = ph_evidence(ph, NULL);

	mf_json_u64(e, "offset", off);
	return e;
}

static int emit_dev(struct mf_phone *ph, const struct tl_dev *t)
{
	char tmp[6][64], where[160];
	const cJSON *o = t->obj;
	const char *did = ph_str(o, "did", tmp[0], 64);
	const char *model = first_str(o, K_MODEL, tmp[1], 64);
	const char *name = first_str(o, K_NAME, tmp[2], 64);
	const char *ip = first_str(o, K_IP, tmp[3], 64);
	const char *mac = first_str(o, K_MAC, tmp[4], 64);
	const char *tok = first_str(o, K_TOKEN, tmp[5], 64);
	struct ph_dev *d = ph_dev_get(ph, did, 1);
	struct mf_event *ev;
	cJSON *raw;
	int rc;

	ph_dev_set(d, model, name, ip, mac, NULL);
	if (d)
		d->from_record = 1;
	ev = ph_event(ph, MF_TIME_NONE, "device-list-log", "device");
	if (!ev)
		return MF_ERR_NOMEM;
	ph_dev_fields(ph, ev, did, model);
	if (!d || !d->name)
		mf_event_str(ev, "device_name", name);
	mf_event_str(ev, "ip", ip);
	mf_event_str(ev, "mac", mac);
	mf_event_bool(ev, "has_token", tok != NULL);
	mf_event_num(ev, "seen", (double)t->seen);
	mf_event_add(ev, "evidence", off_evidence(ph, t->offset));
	raw = cJSON_Duplicate(o, 1);
	if (raw && !(ph->ctx && ph->ctx->show_secrets))
		mf_json_redact_secrets(raw, WALK_DEPTH);
	mf_event_add(ev, "raw", raw);
	rc = ph_emit(ph, ev);
	if (rc == 0 && tok) {
		const char *b = ph->file ? strrchr(ph->file, '/') : NULL;

		snprintf(where, sizeof(where), "SmartHome/logs/plug_DeviceManager/%s",
		    b ? b + 1 : ph->file ? ph->file : "");
		rc = ph_token(ph, "device-list-log", did, ip, tok, where,
		    off_evidence(ph, t->offset));
	}
	return rc;
}

int mf_tokenlog_file(struct mf_phone *ph, const char *text, size_t n)
{
	struct tl l = { 0 };
	size_t i = 0, objects = 0;
	uint64_t work = 0, budget = (uint64_t)n * SCAN_WORK + (1u << 20);
	int rc = 0, cut = 0;

	while (i < n && rc == 0) {
		const char *p = memchr(text + i, '{', n - i), *end = NULL;
		cJSON *j, *x;

		if (!p)
			break;
		i = (size_t)(p - text);
		if (work > budget) {
			cut = 1;
			break;
		}
		j = cJSON_ParseWithLengthOpts(p, n - i, &end, 0);
		if (!j || !end || end <= p) {
			const char *e = cJSON_GetErrorPtr();

			work += e && e > p && e <= text + n ? (uint64_t)(e - p) : 1;
			cJSON_Delete(j);
			i++;
			continue;
		}
		work += (uint64_t)(end - p);
		objects++;
		x = mf_json_expand(j, ph->json_depth_max);
		cJSON_Delete(j);
		if (!x) {
			rc = MF_ERR_NOMEM;
			break;
		}
		rc = walk(&l, x, i, 0);
		cJSON_Delete(x);
		i = (size_t)(end - text);
	}
	if (rc == 0 && cut)
		rc = ph_anomaly(ph, NULL, 1, "limit_reached", "the text holds too much that "
		    "looks like JSON but is not; scanning stopped at byte %zu of %zu", i, n);
	if (rc == 0 && l.full)
		rc = ph_anomaly(ph, NULL, 1, "limit_reached", "more than %d distinct devices; "
		    "the rest is not reported", DEVS_MAX);
	if (rc == 0 && l.n == 0)
		rc = ph_anomaly(ph, NULL, 0, "devlist_log_empty", "no device (a JSON object with "
		    "\"did\" and \"model\" or \"token\") in %zu JSON values of the text", objects);
	for (i = 0; i < l.n && rc != MF_ERR_NOMEM; i++)
		rc = emit_dev(ph, &l.v[i]);
	tl_free(&l);
	return rc == MF_ERR_NOMEM ? rc : 0;
}
