/* mf_event.c - event envelope and its JSON writer; see mf_event.h. */
#include "mf_event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_err.h"
#include "mf_frame.h"
#include "mf_time.h"

struct mf_event *mf_event_new(int64_t ts_ns, const char *source, const char *protocol,
                              const char *kind)
{
	struct mf_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		return NULL;
	ev->body = cJSON_CreateObject();
	if (!ev->body) {
		free(ev);
		return NULL;
	}
	ev->ts_ns = ts_ns;
	ev->logged_ns = MF_TIME_NONE;
	ev->source = source;
	ev->protocol = protocol;
	ev->kind = kind;
	return ev;
}

void mf_event_free(struct mf_event *ev)
{
	if (!ev)
		return;
	cJSON_Delete(ev->body);
	free(ev);
}

int mf_event_add(struct mf_event *ev, const char *key, cJSON *item)
{
	if (!item)
		return 0;
	if (!cJSON_AddItemToObject(ev->body, key, item)) {
		cJSON_Delete(item);
		return MF_ERR_NOMEM;
	}
	return 0;
}

int mf_event_str(struct mf_event *ev, const char *key, const char *val)
{
	return val ? mf_event_add(ev, key, cJSON_CreateString(val)) : 0;
}

/* Debian's cJSON 1.7.15 prints every number with "%1.15g" and checks it
 * back with sscanf; integers as raw text are exact and far cheaper. */
cJSON *mf_json_number(double v)
{
	char tmp[32];

	/* range first: casting an out-of-range double is undefined */
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
		snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
		return cJSON_CreateRaw(tmp);
	}
	return cJSON_CreateNumber(v);
}

void mf_json_intify(cJSON *v, int depth_max)
{
	cJSON *it;

	if (!v || depth_max <= 0)
		return;
	for (it = v->child; it; it = it->next) {
		if (cJSON_IsNumber(it)) {
			double d = it->valuedouble;

			if (d > -9007199254740992.0 && d < 9007199254740992.0 &&
			    d == (double)(long long)d) {
				char tmp[32];

				snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
				it->type = cJSON_Raw;
				it->valuestring = strdup(tmp);
				if (!it->valuestring) {   /* keep it a number then */
					it->type = cJSON_Number;
				}
			}
		} else {
			mf_json_intify(it, depth_max - 1);
		}
	}
}

int mf_event_num(struct mf_event *ev, const char *key, double val)
{
	return mf_event_add(ev, key, mf_json_number(val));
}

int mf_event_bool(struct mf_event *ev, const char *key, int val)
{
	return mf_event_add(ev, key, cJSON_CreateBool(val));
}

cJSON *mf_json_obj(void)
{
	return cJSON_CreateObject();
}

void mf_json_str(cJSON *o, const char *key, const char *val)
{
	if (o && val)
		cJSON_AddItemToObject(o, key, cJSON_CreateString(val));
}

void mf_json_num(cJSON *o, const char *key, double val)
{
	if (o)
		cJSON_AddItemToObject(o, key, mf_json_number(val));
}

void mf_json_u64(cJSON *o, const char *key, uint64_t val)
{
	char tmp[24];

	if (!o)
		return;
	snprintf(tmp, sizeof(tmp), "%" PRIu64, val);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(tmp));
}

void mf_json_bool(cJSON *o, const char *key, int val)
{
	if (o)
		cJSON_AddItemToObject(o, key, cJSON_CreateBool(val));
}

int mf_event_frame_evidence(struct mf_event *ev, const struct mf_frame *f)
{
	cJSON *o = mf_json_obj();

	if (!o)
		return MF_ERR_NOMEM;
	if (f->input) {
		mf_json_str(o, "file", f->input->name);
		if (f->input->sha256[0])
			mf_json_str(o, "sha256", f->input->sha256);
	}
	mf_json_u64(o, "frame", f->number);
	return mf_event_add(ev, "evidence", o);
}

static int add_json_string(struct mf_buf *out, const char *s)
{
	cJSON *tmp = cJSON_CreateString(s);
	char *p;
	int rc;

	if (!tmp)
		return MF_ERR_NOMEM;
	p = cJSON_PrintUnformatted(tmp);
	cJSON_Delete(tmp);
	if (!p)
		return MF_ERR_NOMEM;
	rc = mf_buf_addstr(out, p);
	free(p);
	return rc;
}

/* Envelope names are the program's own identifiers: no escaping needed,
 * but refuse anything that would need it rather than write broken JSON. */
static int add_ident(struct mf_buf *out, const char *key, const char *v)
{
	const char *p;

	for (p = v; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) {
			int rc = mf_buf_printf(out, ",\"%s\":", key);

			return rc ? rc : add_json_string(out, v);
		}
	return mf_buf_printf(out, ",\"%s\":\"%s\"", key, v);
}

/* A copy of s for output: s itself when it is UTF-8, else its escaped form
 * (mf_utf8_escape) in cJSON's allocator; NULL = keep s (or no memory). */
static char *utf8_fixed(const char *s)
{
	struct mf_buf b;
	char *r = NULL;
	size_t n = strlen(s);

	if (mf_utf8_valid((const uint8_t *)s, n))
		return NULL;
	mf_buf_init(&b, 4 * n + 16);
	if (mf_utf8_escape((const uint8_t *)s, n, &b) == 0 && mf_buf_cstr(&b) &&
	    (r = cJSON_malloc(b.len + 1)) != NULL)
		memcpy(r, b.data, b.len + 1);
	mf_buf_free(&b);
	return r;
}

/* Strings from the wire (device plaintext, Lumi datagrams, HTTP bodies) may
 * hold bytes that are not UTF-8; a JSON line must not: such values and keys
 * are written escaped, their valid characters unchanged. */
static void utf8_sanitize(cJSON *v, int depth)
{
	cJSON *it;
	char *f;

	for (it = v ? v->child : NULL; it && depth > 0; it = it->next) {
		if (it->string && !(it->type & cJSON_StringIsConst) &&
		    (f = utf8_fixed(it->string)) != NULL) {
			cJSON_free(it->string);
			it->string = f;
		}
		if (cJSON_IsString(it) && it->valuestring && !(it->type & cJSON_IsReference) &&
		    (f = utf8_fixed(it->valuestring)) != NULL) {
			cJSON_free(it->valuestring);
			it->valuestring = f;
		}
		if (it->child)
			utf8_sanitize(it, depth - 1);
	}
}

int mf_event_to_json(const struct mf_event *ev, struct mf_buf *out)
{
	char t[32], e[32];
	size_t room, start;
	int rc = 0;

	if (ev->ts_ns != MF_TIME_NONE) {
		mf_time_iso(ev->ts_ns, t);
		mf_time_epoch(ev->ts_ns, e);
		rc = mf_buf_printf(out, "{\"ts\":\"%s\",\"ts_epoch\":%s", t, e);
	} else {
		rc = mf_buf_addstr(out, "{\"ts\":null,\"ts_epoch\":null");
	}
	if (rc == 0 && ev->logged_ns != MF_TIME_NONE) {
		mf_time_iso(ev->logged_ns, t);
		rc = mf_buf_printf(out, ",\"logged_ts\":\"%s\"", t);
	}
	if (rc == 0 && ev->source)
		rc = add_ident(out, "source", ev->source);
	if (rc == 0 && ev->protocol)
		rc = add_ident(out, "protocol", ev->protocol);
	if (rc == 0 && ev->artifact)
		rc = add_ident(out, "artifact", ev->artifact);
	if (rc == 0)
		rc = add_ident(out, "kind", ev->kind ? ev->kind : "data");
	if (rc)
		return rc;
	if (!ev->body->child)
		return mf_buf_addc(out, '}');
	utf8_sanitize(ev->body, 256);
	/* print the body straight into the buffer (no intermediate string);
	 * cJSON needs 5 spare bytes, a too small buffer is retried larger */
	for (room = 4096;; room *= 4) {
		if (mf_buf_reserve(out, room) != 0)
			return MF_ERR_LIMIT;
		start = out->len;
		if (cJSON_PrintPreallocated(ev->body, (char *)out->data + start, (int)room, 0))
			break;
		if (room > (16u << 20))
			return MF_ERR_LIMIT;
	}
	/* body is "{...}": turn its "{" into the separating "," */
	out->data[start] = ',';
	out->len = start + strlen((char *)out->data + start);
	return 0;
}
