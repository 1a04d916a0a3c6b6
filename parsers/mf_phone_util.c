/* mf_phone_util.c - shared state and event helpers of the phone layer; see
 * mf_phone_int.h. */
#include "mf_phone_int.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_models.h"
#include "mf_time.h"
#include "mf_tokens.h"

void ph_init(struct mf_phone *ph, struct mf_ctx *ctx, int64_t ref_ns)
{
	memset(ph, 0, sizeof(*ph));
	ph->ctx = ctx;
	/* no usable reference: 2100-01-01 still tells seconds from ms */
	ph->ref_ns = ref_ns > 0 ? ref_ns : 4102444800LL * MF_NS_PER_S;
	ph->json_depth_max = ctx && ctx->lim.json_depth_max ? (int)ctx->lim.json_depth_max : 64;
}

static void dev_free(struct ph_dev *d)
{
	free(d->did);
	free(d->model);
	free(d->name);
	free(d->ip);
	free(d->mac);
	free(d->parent);
	free(d->room_id);
	free(d->room);
	free(d->home_id);
}

void ph_free(struct mf_phone *ph)
{
	size_t i;

	for (i = 0; i < ph->ndev; i++)
		dev_free(&ph->dev[i]);
	free(ph->dev);
	for (i = 0; i < ph->nuid; i++) {
		free(ph->uid[i].uid);
		cJSON_Delete(ph->uid[i].found_in);
	}
	free(ph->uid);
	for (i = 0; i < ph->nplugin; i++) {
		free(ph->plugin_model[i]);
		free(ph->plugin_pid[i]);
	}
	free(ph->plugin_model);
	free(ph->plugin_pid);
	ph->dev = NULL;
	ph->uid = NULL;
	ph->ndev = ph->nuid = ph->nplugin = 0;
}

struct mf_event *ph_event(struct mf_phone *ph, int64_t ts_ns, const char *artifact,
                          const char *kind)
{
	struct mf_event *ev = mf_event_new(ts_ns, "phone", NULL, kind);

	(void)ph;
	if (ev)
		ev->artifact = artifact;
	return ev;
}

cJSON *ph_evidence(const struct mf_phone *ph, const char *key)
{
	cJSON *o = mf_json_obj();

	mf_json_str(o, "file", ph->file ? ph->file : "");
	if (ph->sha256 && ph->sha256[0])
		mf_json_str(o, "sha256", ph->sha256);
	if (key)
		mf_json_str(o, "key", key);
	return o;
}

int ph_emit(struct mf_phone *ph, struct mf_event *ev)
{
	if (!ev)
		return MF_ERR_NOMEM;
	if (!ph->ctx) {
		mf_event_free(ev);
		return 0;
	}
	return mf_emit(ph->ctx, ev) == MF_ERR_NOMEM ? MF_ERR_NOMEM : 0;
}

int ph_anomaly(struct mf_phone *ph, const char *key, int problem, const char *reason,
               const char *fmt, ...)
{
	struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "file", "anomaly");
	char detail[768];
	va_list ap;

	detail[0] = '\0';
	if (fmt) {
		va_start(ap, fmt);
		/* cut to the buffer: whole characters only (keys can be Chinese) */
		if (vsnprintf(detail, sizeof(detail), fmt, ap) >= (int)sizeof(detail))
			detail[mf_utf8_prefix(detail, strlen(detail))] = '\0';
		va_end(ap);
	}
	if (problem) {
		ph->nproblems++;
		if (ph->problem) {
			char line[1200];

			snprintf(line, sizeof(line), "%s%s%s: %s%s%s", ph->file ? ph->file : "",
			    key ? " key " : "", key ? key : "", reason, detail[0] ? ": " : "",
			    detail);
			ph->problem(ph->problem_arg, line);
		}
	}
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "severity", problem ? "error" : "warning");
	if (detail[0])
		mf_event_str(ev, "detail", detail);
	mf_event_add(ev, "evidence", ph_evidence(ph, key));
	return ph_emit(ph, ev);
}

int64_t ph_time(const struct mf_phone *ph, double v, const char **unit)
{
	static const char *units[] = { "s", "ms", "us", "ns" };
	double lim;
	int u = 0;

	if (unit)
		*unit = "s";
	if (!(v > 0) || !isfinite(v))
		return MF_TIME_NONE;
	/* past the reference + 1 day a seconds value is implausible: it is a
	 * finer unit (phone-artifacts.md section 4) */
	lim = (double)(ph->ref_ns / MF_NS_PER_S) + 86400.0;
	while (v > lim && u < 3) {
		v /= 1000.0;
		u++;
	}
	if (unit)
		*unit = units[u];
	if (v > 9.2e9)
		return MF_TIME_NONE;
	/* round to the microsecond: doubles carry no more for epochs */
	return (int64_t)llround(v * 1e6) * 1000;
}

int ph_num(const cJSON *v, double *out)
{
	char *end;

	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 1;
	}
	/* strings holding numbers, and raw numbers (mf_json_number) */
	if ((cJSON_IsString(v) || cJSON_IsRaw(v)) && v->valuestring && v->valuestring[0]) {
		double d = strtod(v->valuestring, &end);

		while (*end == ' ')
			end++;
		if (!*end && isfinite(d)) {
			*out = d;
			return 1;
		}
	}
	return 0;
}

static int set_str(char **dst, const char *s)
{
	char *n;

	if (!s || !*s)
		return 0;
	if (*dst && strcmp(*dst, s) == 0)
		return 0;
	n = strdup(s);
	if (!n)
		return MF_ERR_NOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

struct ph_dev *ph_dev_get(struct mf_phone *ph, const char *did, int create)
{
	struct ph_dev *d;
	size_t i;

	if (!did || !*did)
		return NULL;
	for (i = 0; i < ph->ndev; i++)
		if (strcmp(ph->dev[i].did, did) == 0)
			return &ph->dev[i];
	if (!create || ph->ndev >= 1000000)
		return NULL;
	if (ph->ndev == ph->adev) {
		size_t na = ph->adev ? ph->adev * 2 : 64;
		struct ph_dev *nv = realloc(ph->dev, na * sizeof(*nv));

		if (!nv)
			return NULL;
		ph->dev = nv;
		ph->adev = na;
	}
	d = &ph->dev[ph->ndev];
	memset(d, 0, sizeof(*d));
	d->did = strdup(did);
	if (!d->did)
		return NULL;
	ph->ndev++;
	return d;
}

void ph_dev_set(struct ph_dev *d, const char *model, const char *name, const char *ip,
                const char *mac, const char *parent)
{
	if (!d)
		return;
	set_str(&d->model, model);
	set_str(&d->name, name);
	set_str(&d->ip, ip);
	set_str(&d->mac, mac);
	set_str(&d->parent, parent);
}

void ph_dev_fields(struct mf_phone *ph, struct mf_event *ev, const char *did,
                   const char *model_hint)
{
	struct ph_dev *d = ph_dev_get(ph, did, 0);
	const char *model = d && d->model ? d->model : model_hint;
	const struct mf_model_info *mi = mf_model_find(model);

	mf_event_str(ev, "did", did);
	mf_event_str(ev, "model", model);
	if (d && d->name)
		mf_event_str(ev, "device_name", d->name);
	if (mi)
		mf_event_str(ev, "device_type", mi->type);
	if (d && d->room)
		mf_event_str(ev, "room", d->room);
}

struct ph_uid *ph_uid_add(struct mf_phone *ph, const char *uid, const char *found_in)
{
	struct ph_uid *u = NULL;
	const cJSON *it;
	size_t i;

	if (!uid || !*uid || strlen(uid) > 24)
		return NULL;
	for (i = 0; uid[i]; i++)
		if (!isdigit((unsigned char)uid[i]))
			return NULL;     /* Mi account ids are decimal */
	for (i = 0; i < ph->nuid; i++)
		if (strcmp(ph->uid[i].uid, uid) == 0) {
			u = &ph->uid[i];
			break;
		}
	if (!u) {
		if (ph->nuid == ph->auid) {
			size_t na = ph->auid ? ph->auid * 2 : 16;
			struct ph_uid *nv = realloc(ph->uid, na * sizeof(*nv));

			if (!nv)
				return NULL;
			ph->uid = nv;
			ph->auid = na;
		}
		u = &ph->uid[ph->nuid];
		memset(u, 0, sizeof(*u));
		u->uid = strdup(uid);
		u->found_in = cJSON_CreateArray();
		u->first_home_ns = MF_TIME_NONE;
		if (!u->uid || !u->found_in) {
			free(u->uid);
			cJSON_Delete(u->found_in);
			return NULL;
		}
		ph->nuid++;
	}
	if (found_in) {
		cJSON_ArrayForEach(it, u->found_in)
			if (strcmp(it->valuestring, found_in) == 0)
				return u;
		if (cJSON_GetArraySize(u->found_in) < 64)
			cJSON_AddItemToArray(u->found_in, cJSON_CreateString(found_in));
	}
	return u;
}

const char *ph_uid_by_md5(const struct mf_phone *ph, const char *md5hex)
{
	size_t i;

	for (i = 0; i < ph->nuid; i++) {
		uint8_t h[16];
		char hex[33];
		size_t k;

		mf_md5(ph->uid[i].uid, strlen(ph->uid[i].uid), h);
		mf_hex_encode(h, 16, hex);
		for (k = 0; k < 32; k++)
			hex[k] = (char)toupper((unsigned char)hex[k]);
		if (strncasecmp(hex, md5hex, 32) == 0)
			return ph->uid[i].uid;
	}
	return NULL;
}

void ph_plugin_add(struct mf_phone *ph, const char *model, const char *pid)
{
	char **nm, **np;

	if (!model || !pid || ph->nplugin >= 100000)
		return;
	nm = realloc(ph->plugin_model, (ph->nplugin + 1) * sizeof(*nm));
	if (!nm)
		return;
	ph->plugin_model = nm;
	np = realloc(ph->plugin_pid, (ph->nplugin + 1) * sizeof(*np));
	if (!np)
		return;
	ph->plugin_pid = np;
	nm[ph->nplugin] = strdup(model);
	np[ph->nplugin] = strdup(pid);
	if (!nm[ph->nplugin] || !np[ph->nplugin]) {
		free(nm[ph->nplugin]);
		free(np[ph->nplugin]);
		return;
	}
	ph->nplugin++;
}

const char *ph_plugin_model(const struct mf_phone *ph, const char *pid)
{
	const char *found = NULL;
	size_t i;

	/* only an unambiguous plugin id names a model */
	for (i = 0; pid && i < ph->nplugin; i++)
		if (strcmp(ph->plugin_pid[i], pid) == 0) {
			if (found && strcmp(found, ph->plugin_model[i]) != 0)
				return NULL;
			found = ph->plugin_model[i];
		}
	return found;
}

const char *ph_str(const cJSON *o, const char *key, char *tmp, size_t tmplen)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d == floor(d) && fabs(d) < 1e17)
			snprintf(tmp, tmplen, "%.0f", d);
		else
			snprintf(tmp, tmplen, "%.17g", d);
		return tmp;
	}
	return NULL;
}

void ph_copy(struct mf_event *ev, const cJSON *o, const char *key, const char *as)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	if (v)
		mf_event_add(ev, as ? as : key, cJSON_Duplicate(v, 1));
}

int ph_token(struct mf_phone *ph, const char *artifact, const char *did, const char *ip,
             const char *token, const char *found_in, cJSON *evidence)
{
	static const char *forms[] = { "", "hex32", "ios96", "ascii16" };
	struct mf_event *ev;
	char red[96], eb[MF_ERRBUF_SIZE];
	uint8_t raw[16];
	int form = 0, ok;
	size_t n = token ? strlen(token) : 0;

	if (!n) {
		cJSON_Delete(evidence);
		return 0;
	}
	ok = mf_token_parse(token, n, raw, &form, eb) == 0;
	ev = ph_event(ph, MF_TIME_NONE, artifact, "token");
	if (!ev) {
		cJSON_Delete(evidence);
		return MF_ERR_NOMEM;
	}
	ph_dev_fields(ph, ev, did, NULL);
	if (ip && *ip)
		mf_event_str(ev, "ip", ip);
	mf_redact(ph->ctx, token, red, sizeof(red));
	mf_event_str(ev, "token", red);
	if (ok && form == MF_TOK_IOS96) {
		char hex[33];

		/* the usable form of an iOS token is its decryption */
		mf_hex_encode(raw, 16, hex);
		mf_redact(ph->ctx, hex, red, sizeof(red));
		mf_event_str(ev, "token_hex", red);
	}
	mf_event_str(ev, "token_form", ok ? forms[form] : "invalid");
	if (!ok)
		mf_event_str(ev, "token_error", eb);
	mf_event_str(ev, "found_in", found_in);
	mf_event_add(ev, "evidence", evidence);
	if (ok && ph->ctx && ph->ctx->tokens) {
		char origin[160];
		int idx = -1;

		snprintf(origin, sizeof(origin), "phone: %s", found_in ? found_in : "");
		if (did && *did)
			idx = mf_tokens_add(ph->ctx->tokens, raw, did, origin, form, NULL);
		if (ip && *ip)
			idx = mf_tokens_add(ph->ctx->tokens, raw, ip, origin, form, NULL) >= 0 ?
			    0 : idx;
		if (idx < 0)
			mf_tokens_add(ph->ctx->tokens, raw, NULL, origin, form, NULL);
	}
	return ph_emit(ph, ev);
}

int ph_json_damaged(struct mf_phone *ph, const struct mf_pref *e, int known)
{
	const char *v = e->value;
	size_t i = 0;
	cJSON *j;

	if (e->type != MF_PREF_STRING || !v)
		return 0;
	while (i < e->value_len && (v[i] == ' ' || v[i] == '\n' || v[i] == '\t' || v[i] == '\r'))
		i++;
	if (e->value_len - i < 2)
		return 0;
	if (!((v[i] == '{' && v[i + 1] == '"') || (v[i] == '[' && (v[i + 1] == '{' ||
	    v[i + 1] == '"' || v[i + 1] == '[' || v[i + 1] == ']' ||
	    (v[i + 1] >= '0' && v[i + 1] <= '9')))))
		return 0;
	j = mf_json_lenient(v, e->value_len, ph->json_depth_max, NULL);
	if (j) {
		cJSON_Delete(j);
		return 0;
	}
	if (known)
		ph_anomaly(ph, e->name, 1, "json_value_damaged",
		    "the value starts as JSON but does not parse (%zu bytes; cut or altered); "
		    "kept as a string", e->value_len);
	else
		ph_anomaly(ph, e->name, 0, "json_value_unparsable",
		    "the value starts as JSON but does not parse (%zu bytes; cut, or text "
		    "that is not JSON); kept as a string", e->value_len);
	return 1;
}

int ph_json_empty(const char *s, size_t n)
{
	size_t i = 0, e = n;

	if (!s)
		return 1;
	while (i < e && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' ||
	    s[e - 1] == '\n'))
		e--;
	n = e - i;
	s += i;
	return n == 0 || (n == 4 && memcmp(s, "null", 4) == 0) ||
	    (n == 2 && (memcmp(s, "{}", 2) == 0 || memcmp(s, "[]", 2) == 0 ||
	    memcmp(s, "\"\"", 2) == 0));
}

int ph_empty_note(struct mf_phone *ph, const char *key, const char *what)
{
	struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "file", "anomaly");

	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", "value_empty");
	mf_event_str(ev, "severity", "info");
	mf_event_str(ev, "detail", what);
	mf_event_add(ev, "evidence", ph_evidence(ph, key));
	return ph_emit(ph, ev);
}

cJSON *ph_number(double v)
{
	if (isfinite(v) && v > -9007199254740992.0 && v < 9007199254740992.0)
		return mf_json_number(v);
	return cJSON_CreateNumber(v);
}
