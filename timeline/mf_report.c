/* mf_report.c - report folder writers; see mf_report.h. */
#include "mf_report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mf_codec.h"
#include "mf_correlate.h"
#include "mf_err.h"
#include "mf_registry.h"
#include "mf_store.h"
#include "mf_time.h"

/* A capture's hash is known only once it has been read: the evidence of
 * its events gets it here, after "file" (CONTRACT.md's example). */
static void evidence_sha256(const struct mf_report *r, cJSON *o)
{
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evidence"), *f, *h;
	size_t i;

	f = cJSON_GetObjectItemCaseSensitive(ev, "file");
	if (!cJSON_IsString(f) || cJSON_GetObjectItemCaseSensitive(ev, "sha256"))
		return;
	for (i = 0; i < r->ninputs; i++) {
		const struct mf_report_input *in = &r->inputs[i];

		if (in->duplicate_of || !in->name || !in->sha256[0] ||
		    strcmp(in->name, f->valuestring) != 0)
			continue;
		h = cJSON_CreateString(in->sha256);
		if (!h)
			return;
		/* insert after "file" */
		h->string = strdup("sha256");
		if (!h->string) {
			cJSON_Delete(h);
			return;
		}
		h->next = f->next;
		h->prev = f;
		if (f->next)
			f->next->prev = h;
		else
			ev->child->prev = h;
		f->next = h;
		return;
	}
}

/* A phone or cloud record's evidence names a file inside its input: the
 * input it was read from is added ("input"), so that two extractions are
 * told apart, unless the file already starts with the input's name. */
static void evidence_input(const struct mf_report *r, const struct mf_ent *e, cJSON *o)
{
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evidence"), *f;
	const char *name;
	size_t l;

	if (!e->input || e->input > r->ninputs || !cJSON_IsObject(ev) ||
	    cJSON_GetObjectItemCaseSensitive(ev, "input"))
		return;
	name = r->inputs[e->input - 1].name;
	f = cJSON_GetObjectItemCaseSensitive(ev, "file");
	if (!name || !cJSON_IsString(f))
		return;
	l = strlen(name);
	if (!strncmp(f->valuestring, name, l) &&
	    (f->valuestring[l] == '\0' || f->valuestring[l] == '/' || f->valuestring[l] == '!'))
		return;
	cJSON_AddStringToObject(ev, "input", name);
}

cJSON *mf_report_event(const struct mf_report *r, size_t i)
{
	const struct mf_ent *e = mf_store_ent(r->st, i);
	cJSON *o = mf_store_load(r->st, i), *c;

	if (!o)
		return NULL;
	/* ts_epoch goes back exactly (a double would round it) */
	if (e->ts_ns != MF_TIME_NONE) {
		char ep[32];

		mf_time_epoch(e->ts_ns, ep);
		cJSON_ReplaceItemInObjectCaseSensitive(o, "ts_epoch", cJSON_CreateRaw(ep));
	}
	if (e->orig_did) {
		/* joined by the registry: the canonical did, the LAN one kept */
		cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "did");

		if (cJSON_IsString(d)) {
			cJSON_AddItemToObject(o, "lan_did", cJSON_CreateString(d->valuestring));
			cJSON_SetValuestring(d, mf_store_str(r->st, e->did));
		}
	}
	if (e->src == MF_SRC_PCAP || e->src == MF_SRC_LIVE)
		evidence_sha256(r, o);
	else
		evidence_input(r, e, o);
	if (r->reg && e->did)
		mf_registry_name_event(r->reg, e->did, o);
	c = mf_corr_event_json(r->st, i);
	if (c)
		cJSON_AddItemToObject(o, "correlation", c);
	return o;
}

static int put(FILE *out, const char *s)
{
	return fputs(s, out) < 0 ? MF_ERR_IO : 0;
}

int mf_report_jsonl(const struct mf_report *r, FILE *out)
{
	size_t i, n = mf_store_count(r->st);
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		cJSON *o = mf_report_event(r, i);
		char *s;

		if (!o)
			return MF_ERR_IO;
		s = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!s)
			return MF_ERR_NOMEM;
		rc = put(out, s);
		if (rc == 0)
			rc = put(out, "\n");
		free(s);
	}
	return rc;
}

static const char *gs(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "miio command set_power 75223477 \"Desk plug\"" */
static void message(const cJSON *o, char *buf, size_t n)
{
	const char *proto = gs(o, "protocol") ? gs(o, "protocol") : gs(o, "artifact");
	const char *kind = gs(o, "kind"), *ev = gs(o, "event"), *did = gs(o, "did");
	const char *name = gs(o, "device_name"), *reason = gs(o, "reason");

	/* a record of no device (a home, a room, a scene, a file) by its name */
	if (!name && !did)
		name = gs(o, "name");

	snprintf(buf, n, "%s %s%s%s%s%s%s%s%s%s", proto ? proto : "-", kind ? kind : "",
	    ev ? " " : "", ev ? ev : "", did ? " " : "", did ? did : "",
	    name ? " \"" : "", name ? name : "", name ? "\"" : "",
	    reason ? "" : "");
	if (reason) {
		size_t l = strlen(buf);

		snprintf(buf + l, n - l, " (%s)", reason);
	}
	mf_utf8_cut(buf);   /* a long name is cut, never inside a character */
}

static const char *time_desc(const cJSON *o)
{
	const char *src = gs(o, "source");

	if (!src)
		return "Event time";
	if (!strcmp(src, "pcap") || !strcmp(src, "live"))
		return "Packet captured";
	if (!strcmp(src, "phone"))
		return "Event occurred (device log)";
	if (!strcmp(src, "cloud"))
		return "Cloud record";
	return "Event time";
}

static void csv_field(FILE *out, const char *s, int last)
{
	const char *p;

	if (!s)
		s = "";
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', out);
		for (p = s; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	fputc(last ? '\n' : ',', out);
}

static void csv_row(FILE *out, const cJSON *o, const char *iso, int64_t ns, const char *desc,
                    size_t id)
{
	char msg[512], us[32], frame[24] = "";
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "evidence");
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(ev, "frame");
	const cJSON *corr = cJSON_GetObjectItemCaseSensitive(o, "correlation");
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(o, "value");
	char *vs = val ? cJSON_PrintUnformatted(val) : NULL;
	char dt[40];
	int64_t sec = ns / MF_NS_PER_S, usec = (ns % MF_NS_PER_S) / 1000;

	if (usec < 0) {
		usec += 1000000;
		sec--;
	}
	message(o, msg, sizeof(msg));
	snprintf(us, sizeof(us), "%" PRId64, sec * 1000000 + usec);   /* microseconds */
	/* Timesketch wants an offset: ...Z -> ...+00:00 */
	snprintf(dt, sizeof(dt), "%.23s+00:00", iso);
	if (fr)
		snprintf(frame, sizeof(frame), "%s", cJSON_IsRaw(fr) ? fr->valuestring : "");
	if (cJSON_IsNumber(fr))
		snprintf(frame, sizeof(frame), "%.0f", fr->valuedouble);
	csv_field(out, msg, 0);
	csv_field(out, us, 0);
	csv_field(out, dt, 0);
	csv_field(out, desc, 0);
	csv_field(out, gs(o, "source"), 0);
	csv_field(out, gs(o, "protocol") ? gs(o, "protocol") : gs(o, "artifact"), 0);
	csv_field(out, gs(o, "kind"), 0);
	csv_field(out, gs(o, "did"), 0);
	csv_field(out, gs(o, "model"), 0);
	csv_field(out, gs(o, "device_name"), 0);
	csv_field(out, gs(o, "event"), 0);
	csv_field(out, vs, 0);
	csv_field(out, gs(ev, "file"), 0);
	csv_field(out, frame, 0);
	csv_field(out, gs(ev, "key") ? gs(ev, "key") : gs(ev, "table"), 0);
	csv_field(out, gs(corr, "group"), 0);
	csv_field(out, gs(cJSON_GetObjectItemCaseSensitive(o, "net"), "community_id"), 0);
	/* the event's line in events.jsonl: shared by its two rows */
	snprintf(us, sizeof(us), "%zu", id);
	csv_field(out, us, 1);
	free(vs);
}

int mf_report_csv(const struct mf_report *r, FILE *out)
{
	size_t i, n = mf_store_count(r->st);

	put(out, "message,timestamp,datetime,timestamp_desc,source,protocol,kind,did,model,"
	    "device_name,event,value,evidence_file,evidence_frame,evidence_key,"
	    "correlation_group,community_id,event_id\n");
	for (i = 0; i < n; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		cJSON *o;
		const char *lt;

		o = mf_report_event(r, i);
		if (!o)
			return MF_ERR_IO;
		/* Timesketch needs a time: a record without one (a home, a
		 * device, a token) gets plaso's "Not a time" at 0 */
		if (e->ts_ns == MF_TIME_NONE)
			csv_row(out, o, "1970-01-01T00:00:00.000Z", 0, "Not a time", i + 1);
		else
			csv_row(out, o, gs(o, "ts"), e->ts_ns, time_desc(o), i + 1);
		/* a second row for the time the app stored the record */
		lt = gs(o, "logged_ts");
		if (lt) {
			int64_t lns;

			if (mf_time_parse_iso(lt, &lns) == 0)
				csv_row(out, o, lt, lns, "Logged by app", i + 1);
		}
		cJSON_Delete(o);
	}
	return ferror(out) ? MF_ERR_IO : 0;
}

static void tln_clean(char *s)
{
	for (; *s; s++)
		if (*s == '|' || *s == '\n' || *s == '\r')
			*s = ' ';
}

int mf_report_tln(const struct mf_report *r, FILE *out)
{
	size_t i, n = mf_store_count(r->st);

	for (i = 0; i < n; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		cJSON *o;
		char msg[512], src[16], host[128];
		const char *p, *name, *did;
		size_t k;

		if (e->ts_ns == MF_TIME_NONE)
			continue;
		o = mf_report_event(r, i);
		if (!o)
			return MF_ERR_IO;
		p = gs(o, "protocol") ? gs(o, "protocol") : gs(o, "source");
		if (gs(o, "source") && !strcmp(gs(o, "source"), "phone"))
			p = "phone";
		/* a short tag (timeline-formats.md: PCAP, MIIO, LUMI, MICLOUD,
		 * PHONE): the protocol's first word, upper case */
		for (k = 0; p && p[k] && p[k] != '-' && k < sizeof(src) - 1; k++)
			src[k] = (char)(p[k] >= 'a' && p[k] <= 'z' ? p[k] - 32 : p[k]);
		src[k] = '\0';
		name = gs(o, "device_name");
		did = gs(o, "did");
		/* Host: the device's name or id, else the sender's address */
		snprintf(host, sizeof(host), "%s", name ? name : did ? did :
		    gs(cJSON_GetObjectItemCaseSensitive(o, "net"), "src") ?
		    gs(cJSON_GetObjectItemCaseSensitive(o, "net"), "src") : "");
		message(o, msg, sizeof(msg));
		mf_utf8_cut(host);
		tln_clean(msg);
		tln_clean(host);
		{
			int64_t sec = e->ts_ns / MF_NS_PER_S;

			if (e->ts_ns % MF_NS_PER_S < 0)
				sec--;
			fprintf(out, "%" PRId64 "|%s|%s||%s\n", sec, src, host, msg);
		}
		cJSON_Delete(o);
	}
	return ferror(out) ? MF_ERR_IO : 0;
}

/* ---- case.json ---- */

static void count(cJSON *o, const char *k)
{
	cJSON *v;

	if (!k)
		k = "(none)";
	v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (v)
		cJSON_SetNumberValue(v, v->valuedouble + 1);
	else
		cJSON_AddNumberToObject(o, k, 1);
}

static void sort_object(cJSON *o)
{
	/* insertion sort by key: case.json must not depend on arrival order */
	cJSON *sorted = NULL, *it, *next;

	for (it = o->child; it; it = next) {
		cJSON **pp = &sorted;

		next = it->next;
		while (*pp && strcmp((*pp)->string, it->string) < 0)
			pp = &(*pp)->next;
		it->next = *pp;
		*pp = it;
	}
	/* rebuild prev links (cJSON keeps child->prev = last) */
	o->child = sorted;
	{
		cJSON *prev = NULL;

		for (it = sorted; it; it = it->next) {
			it->prev = prev;
			prev = it;
		}
		if (sorted)
			sorted->prev = prev;
	}
}

static cJSON *strip_envelope(cJSON *o)
{
	static const char *drop[] = { "ts_epoch", "source", "kind", "correlation", NULL };
	size_t i;

	for (i = 0; drop[i]; i++)
		cJSON_DeleteItemFromObjectCaseSensitive(o, drop[i]);
	return o;
}

int mf_report_case(const struct mf_report *r, FILE *out)
{
	cJSON *root = cJSON_CreateObject(), *ins = cJSON_CreateArray();
	cJSON *homes = cJSON_CreateArray(), *rooms = cJSON_CreateArray();
	cJSON *scenes = cJSON_CreateArray(), *accounts = cJSON_CreateArray();
	cJSON *bykind = cJSON_CreateObject(), *bysrc = cJSON_CreateObject();
	cJSON *reasons = cJSON_CreateObject(), *counts = cJSON_CreateObject();
	size_t i, n = mf_store_count(r->st);
	char *s;
	int rc;

	cJSON_AddStringToObject(root, "tool", "miforensics");
	cJSON_AddStringToObject(root, "version", MF_VERSION);
	for (i = 0; i < r->ninputs; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "path", r->inputs[i].path);
		cJSON_AddStringToObject(x, "type", r->inputs[i].type);
		cJSON_AddNumberToObject(x, "size", (double)r->inputs[i].size);
		if (r->inputs[i].files)
			cJSON_AddNumberToObject(x, "files", (double)r->inputs[i].files);
		cJSON_AddStringToObject(x, "sha256", r->inputs[i].sha256);
		cJSON_AddStringToObject(x, "status", r->inputs[i].duplicate_of ? "duplicate"
		    : r->inputs[i].status ? "incomplete" : "ok");
		if (r->inputs[i].duplicate_of)
			cJSON_AddStringToObject(x, "duplicate_of", r->inputs[i].duplicate_of);
		cJSON_AddItemToArray(ins, x);
	}
	cJSON_AddItemToObject(root, "inputs", ins);
	cJSON_AddItemToObject(root, "options",
	    r->options ? cJSON_Duplicate(r->options, 1) : cJSON_CreateObject());
	for (i = 0; i < n; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		const char *kind = mf_store_str(r->st, e->kind);
		cJSON *o = NULL, *dst = NULL;

		count(bykind, kind);
		count(bysrc, (const char *[]){ "pcap", "live", "cloud", "phone", "other" }[e->src]);
		if (!kind)
			continue;
		if (!strcmp(kind, "home"))
			dst = homes;
		else if (!strcmp(kind, "room"))
			dst = rooms;
		else if (!strcmp(kind, "scene"))
			dst = scenes;
		else if (!strcmp(kind, "account"))
			dst = accounts;
		if (dst || !strcmp(kind, "anomaly"))
			o = mf_report_event(r, i);
		if (o && !strcmp(kind, "anomaly")) {
			count(reasons, gs(o, "reason"));
			cJSON_Delete(o);
		} else if (o) {
			cJSON_AddItemToArray(dst, strip_envelope(o));
		}
	}
	sort_object(bykind);
	sort_object(bysrc);
	sort_object(reasons);
	cJSON_AddNumberToObject(counts, "events", (double)n);
	cJSON_AddItemToObject(counts, "by_kind", bykind);
	cJSON_AddItemToObject(counts, "by_source", bysrc);
	cJSON_AddItemToObject(counts, "anomalies_by_reason", reasons);
	cJSON_AddItemToObject(root, "devices", mf_registry_json(r->reg, r->st));
	cJSON_AddItemToObject(root, "accounts", accounts);
	cJSON_AddItemToObject(root, "homes", homes);
	cJSON_AddItemToObject(root, "rooms", rooms);
	cJSON_AddItemToObject(root, "scenes", scenes);
	cJSON_AddItemToObject(root, "counts", counts);
	if (r->corr)
		cJSON_AddItemToObject(root, "correlation", mf_corr_json(r->corr, r->st));
	cJSON_AddItemToObject(root, "warnings",
	    r->warnings ? cJSON_Duplicate(r->warnings, 1) : cJSON_CreateArray());
	s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s)
		return MF_ERR_NOMEM;
	rc = put(out, s);
	if (rc == 0)
		rc = put(out, "\n");
	free(s);
	return rc;
}
