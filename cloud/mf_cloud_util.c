/*
 * mf_cloud_util.c - event building, bounded JSON parsing and redaction for
 * cloud/ (see mf_cloud_int.h).
 */
#include "mf_cloud_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_json.h"
#include "mf_event.h"
#include "mf_time.h"

static const char *static_source(const char *s)
{
	if (s && strcmp(s, "live") == 0)
		return "live";
	if (s && strcmp(s, "cloud") == 0)
		return "cloud";
	return "pcap";
}

struct mf_event *mf_cloud_event(const struct mf_cloud_origin *o, int64_t ts_ns, const char *kind)
{
	const char *proto = NULL, *src = static_source(o ? o->source : NULL);
	struct mf_event *ev;

	if (o && o->protocol)
		proto = strcmp(o->protocol, "micloud-http") == 0 ? "micloud-http" : "micloud";
	ev = mf_event_new(ts_ns, src, proto, kind);
	/* a record read back from a `cloud acquire` folder: no wire protocol;
	 * like a phone record it names what it was stored in */
	if (ev && !proto && strcmp(src, "cloud") == 0)
		ev->artifact = "cloud-reply";
	return ev;
}

int mf_cloud_emit(struct mf_ctx *ctx, const struct mf_cloud_origin *o, struct mf_event *ev,
                  cJSON *raw)
{
	int rc = 0;

	if (!ev) {
		cJSON_Delete(raw);
		return MF_ERR_NOMEM;
	}
	/* bytes from the wire that are not UTF-8 are escaped when the event
	 * is written (mf_event_to_json), like every other event's */
	if (o && o->net) {
		cJSON *n = cJSON_Duplicate(o->net, 1);

		rc = n ? mf_event_add(ev, "net", n) : MF_ERR_NOMEM;
	}
	if (rc == 0 && o && o->evidence) {
		cJSON *e = cJSON_Duplicate(o->evidence, 1);

		rc = e ? mf_event_add(ev, "evidence", e) : MF_ERR_NOMEM;
	}
	if (rc == 0 && raw) {
		rc = mf_event_add(ev, "raw", raw);
		raw = NULL;
	}
	cJSON_Delete(raw);
	if (rc != 0) {
		mf_event_free(ev);
		return rc;
	}
	return mf_emit(ctx, ev);
}

int mf_cloud_anomaly(struct mf_ctx *ctx, const struct mf_cloud_origin *o, int64_t ts_ns,
                     const char *reason, const char *severity, cJSON *extra,
                     const char *fmt, ...)
{
	struct mf_event *ev = mf_cloud_event(o, ts_ns, "anomaly");
	char detail[512];
	va_list ap;

	if (!ev) {
		cJSON_Delete(extra);
		return MF_ERR_NOMEM;
	}
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "severity", severity ? severity : "error");
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		mf_event_str(ev, "detail", detail);
	}
	if (extra && mf_event_add(ev, "micloud", extra) != 0) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	return mf_cloud_emit(ctx, o, ev, NULL);
}

int mf_cloud_json_too_deep(const char *s, size_t n, size_t max)
{
	size_t i, depth = 0;
	int in_str = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return 1;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

cJSON *mf_cloud_json_parse(const char *s, size_t n, size_t depth_max, const char **why)
{
	const char *end = NULL;
	cJSON *v;
	size_t used;

	if (why)
		*why = "json_unparsable";
	if (!s || n == 0)
		return NULL;
	if (mf_cloud_json_too_deep(s, n, depth_max ? depth_max : 64)) {
		if (why)
			*why = "json_too_deep";
		return NULL;
	}
	v = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (!v)
		return NULL;
	used = end ? (size_t)(end - s) : n;
	while (used < n && (s[used] == ' ' || s[used] == '\t' || s[used] == '\r' ||
	                    s[used] == '\n' || s[used] == '\0'))
		used++;
	if (used != n) {
		cJSON_Delete(v);
		return NULL;
	}
	return v;
}

static const char *const secret_keys[] = {
	"token", "ssecurity", "psecurity", "passtoken", "servicetoken", "yetanotherservicetoken",
	"password", "passwd", "pwd", "wifi_passwd", "psk", "beaconkey", "bindkey", "beacon_key",
	"cloud_key", "token_enc", "hash", "userkey", NULL
};

int mf_cloud_is_secret_key(const char *key)
{
	size_t i;

	for (i = 0; key && secret_keys[i]; i++)
		if (strcasecmp(key, secret_keys[i]) == 0)
			return 1;
	return 0;
}

void mf_cloud_redact_json(const struct mf_ctx *ctx, cJSON *v, size_t depth_max)
{
	cJSON *it;

	if (!v || depth_max == 0 || (ctx && ctx->show_secrets))
		return;
	for (it = v->child; it; it = it->next) {
		if (it->string && cJSON_IsString(it) && mf_cloud_is_secret_key(it->string)) {
			char mark[96];

			if (!it->valuestring[0])
				continue;
			mf_redact(ctx, it->valuestring, mark, sizeof(mark));
			cJSON_SetValuestring(it, mark);
		} else if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
			mf_cloud_redact_json(ctx, it, depth_max - 1);
		}
	}
}

cJSON *mf_cloud_json_out(const struct mf_ctx *ctx, const cJSON *v, size_t depth_max)
{
	cJSON *c;

	if (!v)
		return NULL;
	if (depth_max == 0)
		depth_max = 64;
	c = mf_json_expand_strings(v, (int)depth_max);
	if (!c)
		return NULL;
	mf_cloud_redact_json(ctx, c, depth_max + 1);
	if (cJSON_IsNumber(c)) {
		cJSON *w = cJSON_CreateArray();    /* intify works on children */

		if (w) {
			cJSON_AddItemToArray(w, c);
			mf_json_intify(w, 2);
			c = cJSON_DetachItemFromArray(w, 0);
			cJSON_Delete(w);
		}
	} else {
		mf_json_intify(c, (int)depth_max + 1);
	}
	return c;
}

const char *mf_cloud_json_text(const cJSON *obj, const char *key, char *out, size_t outlen)
{
	const cJSON *it = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	if (!it || outlen == 0)
		return NULL;
	if (cJSON_IsString(it) && it->valuestring) {
		snprintf(out, outlen, "%s", it->valuestring);
		return out;
	}
	if (cJSON_IsRaw(it) && it->valuestring) {
		snprintf(out, outlen, "%s", it->valuestring);
		return out;
	}
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;

		if (d == floor(d) && fabs(d) < 9007199254740992.0)
			snprintf(out, outlen, "%lld", (long long)d);
		else
			snprintf(out, outlen, "%.17g", d);
		return out;
	}
	return NULL;
}

int mf_cloud_json_num(const cJSON *obj, const char *key, double *out)
{
	const cJSON *it = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	char *end;
	double d;

	if (!it)
		return 0;
	if (cJSON_IsNumber(it)) {
		*out = it->valuedouble;
		return 1;
	}
	if ((cJSON_IsString(it) || cJSON_IsRaw(it)) && it->valuestring && it->valuestring[0]) {
		d = strtod(it->valuestring, &end);
		if (*end == '\0' && isfinite(d)) {
			*out = d;
			return 1;
		}
	}
	return 0;
}

int64_t mf_cloud_epoch_ns(double v, int force_ms)
{
	if (!(v > 0) || !isfinite(v))
		return MF_TIME_NONE;
	if (force_ms)
		v /= 1000.0;
	while (v > 1e11)     /* ms, us, ns written where seconds were expected */
		v /= 1000.0;
	if (v >= 9.0e9)      /* past 2255: not a time (and would overflow int64 ns) */
		return MF_TIME_NONE;
	return (int64_t)llround(v * 1e3) * 1000000LL;
}

void mf_cloud_model_note(struct mf_ctx *ctx, const char *did, const char *model)
{
	struct mf_cloud_model *m = NULL;
	size_t i;

	if (!ctx || !did || !model || !did[0] || !model[0] ||
	    strlen(did) >= sizeof(m->did) || strlen(model) >= sizeof(m->model))
		return;
	for (i = 0; i < MF_CLOUD_MODELS && !m; i++)
		if (strcmp(ctx->cloud_models[i].did, did) == 0)
			m = &ctx->cloud_models[i];
	if (!m) {
		m = &ctx->cloud_models[ctx->cloud_models_next % MF_CLOUD_MODELS];
		ctx->cloud_models_next = (ctx->cloud_models_next + 1) % MF_CLOUD_MODELS;
		snprintf(m->did, sizeof(m->did), "%s", did);
	}
	snprintf(m->model, sizeof(m->model), "%s", model);
}

const char *mf_cloud_model_of(const struct mf_ctx *ctx, const char *did)
{
	size_t i;

	if (!ctx || !did || !did[0])
		return NULL;
	for (i = 0; i < MF_CLOUD_MODELS; i++)
		if (ctx->cloud_models[i].did[0] && strcmp(ctx->cloud_models[i].did, did) == 0)
			return ctx->cloud_models[i].model;
	return NULL;
}
