/*
 * mf_html.c - report.html: one self-contained page (inline CSS and SVG, no
 * script, no network fetch) with the case summary, the devices, a timeline
 * chart per device (one lane per source), the correlation table, and the
 * anomalies and warnings.
 */
#include "mf_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mf_codec.h"
#include "mf_correlate.h"
#include "mf_err.h"
#include "mf_registry.h"
#include "mf_store.h"
#include "mf_time.h"

#define ANOMALY_ROWS 500
#define CHART_W 900
#define LANE_H 18

static void esc(FILE *o, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '&': fputs("&amp;", o); break;
		case '"': fputs("&quot;", o); break;
		default: fputc(*s, o);
		}
	}
}

static const char *gs(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The --tz zone's broken-down time of ns and its milliseconds; 0, or -1
 * without a zone or a time. */
static int local_tm(const struct mf_report *r, int64_t ns, struct tm *tm, int *ms)
{
	int64_t sec;
	time_t t;

	if (!r->tz_name || !r->tz_name[0] || ns == MF_TIME_NONE)
		return -1;
	sec = ns / MF_NS_PER_S;
	*ms = (int)((ns % MF_NS_PER_S) / 1000000);
	if (*ms < 0) {
		*ms += 1000;
		sec--;
	}
	t = (time_t)sec;
	return localtime_r(&t, tm) ? 0 : -1;
}

/* "2024-05-01 19:00:01.250 CST (UTC+08:00)" in the --tz zone, or "". */
static void local_time(const struct mf_report *r, int64_t ns, char *out, size_t n)
{
	struct tm tm;
	int ms;
	char a[32], z[16], off[8];

	out[0] = '\0';
	if (local_tm(r, ns, &tm, &ms) != 0)
		return;
	strftime(a, sizeof(a), "%Y-%m-%d %H:%M:%S", &tm);
	strftime(z, sizeof(z), "%Z", &tm);
	strftime(off, sizeof(off), "%z", &tm);          /* +0800 */
	snprintf(out, n, "%s.%03d %s (UTC%.3s:%.2s)", a, ms, z, off, off + 3);
}

/* "19:00:01 CST" for an axis tick. */
static void local_tick(const struct mf_report *r, int64_t ns, char *out, size_t n)
{
	struct tm tm;
	int ms;

	out[0] = '\0';
	if (local_tm(r, ns, &tm, &ms) == 0)
		strftime(out, n, "%H:%M:%S %Z", &tm);
}

static int has_tz(const struct mf_report *r)
{
	return r->tz_name && r->tz_name[0];
}

static const char *const srcname[] = { "pcap", "live", "cloud", "phone", "other" };
static const char *const srccol[] = { "#1f77b4", "#17becf", "#2ca02c", "#ff7f0e", "#7f7f7f" };

struct mark {
	uint32_t did, event;
	int64_t ts;
	uint8_t src, matched;
};

static int by_did_ts(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;

	if (x->did != y->did)
		return x->did < y->did ? -1 : 1;
	return x->ts < y->ts ? -1 : (x->ts > y->ts);
}

static int64_t offset_ns(const struct mf_report *r, uint32_t did)
{
	size_t i;

	for (i = 0; r->corr && i < r->corr->ndev; i++)
		if (r->corr->dev[i].did == did && r->corr->dev[i].has_offset)
			return (int64_t)(r->corr->dev[i].offset_s * 1e9);
	return 0;
}

static void chart(FILE *o, const struct mf_report *r)
{
	size_t n = mf_store_count(r->st), i, nm = 0, a, b;
	uint32_t k_ev = mf_store_intern(r->st, "device_event");
	struct mark *m = malloc((n ? n : 1) * sizeof(*m));
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	char iso[32];

	if (!m)
		return;
	for (i = 0; i < n; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		int64_t shift = 0;

		if (e->kind != k_ev || !e->did || e->ts_ns == MF_TIME_NONE)
			continue;
		/* the phone lane is drawn on the capture's clock: shifted by the
		 * device's estimated offset, so matched events line up */
		if (e->src == MF_SRC_PHONE)
			shift = offset_ns(r, e->did);
		m[nm].did = e->did;
		m[nm].event = e->event;
		m[nm].ts = e->ts_ns + shift;
		m[nm].src = e->src;
		m[nm].matched = e->group != 0;
		if (m[nm].ts < t0)
			t0 = m[nm].ts;
		if (m[nm].ts > t1)
			t1 = m[nm].ts;
		nm++;
	}
	fputs("<h2 id=\"timeline\">Device timelines</h2>\n", o);
	if (!nm) {
		fputs("<p>No device events.</p>\n", o);
		free(m);
		return;
	}
	qsort(m, nm, sizeof(*m), by_did_ts);
	if (t1 == t0)
		t1 = t0 + MF_NS_PER_S;
	mf_time_iso(t0, iso);
	fprintf(o, "<p class=\"axis\">From ");
	esc(o, iso);
	mf_time_iso(t1, iso);
	fprintf(o, " to ");
	esc(o, iso);
	fputs(" (UTC)", o);
	if (has_tz(r)) {
		char l0[64], l1[64];

		local_time(r, t0, l0, sizeof(l0));
		local_time(r, t1, l1, sizeof(l1));
		fputs("; local (", o);
		esc(o, r->tz_name);
		fputs(") ", o);
		esc(o, l0);
		fputs(" to ", o);
		esc(o, l1);
		fputs(", the second line of the axis", o);
	}
	fputs(". Each source has its own lane; a ring marks an event matched in another "
	    "source.</p>\n<p class=\"legend\">", o);
	for (i = 0; i < 4; i++)
		fprintf(o, "<span style=\"color:%s\">&#9632; %s</span> ", srccol[i], srcname[i]);
	fputs("</p>\n", o);
	for (a = 0; a < nm; a = b) {
		const struct mf_device *d = mf_registry_find(r->reg, m[a].did);
		unsigned lanes = 0, lane_of[5] = { 0 }, nl = 0, k;

		for (b = a; b < nm && m[b].did == m[a].did; b++)
			lanes |= 1u << m[b].src;
		for (k = 0; k < 5; k++)
			if (lanes & (1u << k))
				lane_of[k] = nl++;
		fputs("<div class=\"dev\"><h3>", o);
		esc(o, mf_store_str(r->st, m[a].did));
		if (d && d->name[0]) {
			fputs(" &mdash; ", o);
			esc(o, d->name);
		}
		if (d && (d->model[0] || d->lan_model[0])) {
			fputs(" <small>", o);
			esc(o, d->model[0] ? d->model : d->lan_model);
			fputs("</small>", o);
		}
		fprintf(o, "</h3>\n<svg width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" "
		    "xmlns=\"http://www.w3.org/2000/svg\">\n", CHART_W + 60,
		    nl * LANE_H + (has_tz(r) ? 32 : 20), CHART_W + 60,
		    nl * LANE_H + (has_tz(r) ? 32 : 20));
		for (k = 0; k < 5; k++)
			if (lanes & (1u << k))
				fprintf(o, "<text x=\"0\" y=\"%u\" class=\"lane\">%s</text>"
				    "<line x1=\"55\" x2=\"%d\" y1=\"%u\" y2=\"%u\" class=\"grid\"/>\n",
				    lane_of[k] * LANE_H + 13, srcname[k], CHART_W + 58,
				    lane_of[k] * LANE_H + 9, lane_of[k] * LANE_H + 9);
		/* time axis: five ticks with HH:MM:SS (UTC) */
		for (k = 0; k <= 4; k++) {
			double x = 58 + CHART_W * k / 4.0;
			int64_t t = t0 + (t1 - t0) / 4 * k;

			mf_time_iso(t, iso);
			fprintf(o, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%u\" class=\"tick\"/>"
			    "<text x=\"%.1f\" y=\"%u\" class=\"axis\" text-anchor=\"%s\">%.8s</text>\n",
			    x, x, nl * LANE_H + 2, x, nl * LANE_H + 14,
			    k == 0 ? "start" : k == 4 ? "end" : "middle", iso + 11);
			if (has_tz(r)) {
				char lt[64];

				local_tick(r, t, lt, sizeof(lt));
				/* "HH:MM:SS ZONE" under the UTC tick */
				fprintf(o, "<text x=\"%.1f\" y=\"%u\" class=\"axis local\" "
				    "text-anchor=\"%s\">", x, nl * LANE_H + 26,
				    k == 0 ? "start" : k == 4 ? "end" : "middle");
				esc(o, lt);
				fputs("</text>\n", o);
			}
		}
		if (lanes & (1u << MF_SRC_PHONE) && offset_ns(r, m[a].did))
			fprintf(o, "<text x=\"%d\" y=\"%u\" class=\"note\" text-anchor=\"end\">"
			    "phone shifted by %.3f s</text>\n", CHART_W + 58,
			    lane_of[MF_SRC_PHONE] * LANE_H + 20,
			    (double)offset_ns(r, m[a].did) / 1e9);
		for (i = a; i < b; i++) {
			double x = 58 + (double)(m[i].ts - t0) / (double)(t1 - t0) * CHART_W;
			unsigned y = lane_of[m[i].src] * LANE_H + 9;

			mf_time_iso(m[i].ts, iso);
			fprintf(o, "<circle cx=\"%.1f\" cy=\"%u\" r=\"%s\" fill=\"%s\"%s><title>", x, y,
			    m[i].matched ? "5" : "3.5", srccol[m[i].src],
			    m[i].matched ? " stroke=\"#000\" stroke-width=\"1.2\"" : "");
			esc(o, iso);
			if (has_tz(r)) {
				char lt[64];

				local_time(r, m[i].ts, lt, sizeof(lt));
				fputs(" / ", o);
				esc(o, lt);
			}
			fputc(' ', o);
			esc(o, mf_store_str(r->st, m[i].event));
			fprintf(o, " (%s)</title></circle>\n", srcname[m[i].src]);
		}
		fputs("</svg></div>\n", o);
	}
	free(m);
}

static void th(FILE *o, const char *const *cols)
{
	fputs("<tr>", o);
	for (; *cols; cols++)
		fprintf(o, "<th>%s</th>", *cols);
	fputs("</tr>\n", o);
}

static void td(FILE *o, const char *s)
{
	fputs("<td>", o);
	esc(o, s);
	fputs("</td>", o);
}

static void tdn(FILE *o, uint64_t v, int flag)
{
	fprintf(o, "<td class=\"n%s\">%" PRIu64 "</td>", flag && v ? " flag" : "", v);
}

/* Commands sent to devices (miIO requests, Lumi writes): who did what when. */
static void commands(FILE *o, const struct mf_report *r)
{
	size_t i, n = mf_store_count(r->st), shown = 0;
	uint32_t k_cmd = mf_store_intern(r->st, "command");

	fputs("<h2 id=\"commands\">Commands</h2>\n<table>\n", o);
	if (has_tz(r))
		th(o, (const char *const[]){ "time (UTC)", "local", "protocol", "from", "device",
		    "command", "parameters", "answer / check", NULL });
	else
		th(o, (const char *const[]){ "time (UTC)", "protocol", "from", "device", "command",
		    "parameters", "answer / check", NULL });
	for (i = 0; i < n && shown < ANOMALY_ROWS; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		const cJSON *net, *mi, *lu;
		cJSON *ev;
		char *vs, dev[256], ans[64] = "";

		if (e->kind != k_cmd)
			continue;
		ev = mf_report_event(r, i);
		if (!ev)
			continue;
		net = cJSON_GetObjectItemCaseSensitive(ev, "net");
		mi = cJSON_GetObjectItemCaseSensitive(ev, "miio");
		lu = cJSON_GetObjectItemCaseSensitive(ev, "lumi");
		vs = cJSON_GetObjectItemCaseSensitive(ev, "value") ?
		    cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ev, "value")) : NULL;
		snprintf(dev, sizeof(dev), "%s%s%s%s", gs(ev, "did") ? gs(ev, "did") : "",
		    gs(ev, "device_name") ? " (" : "", gs(ev, "device_name") ? gs(ev, "device_name") : "",
		    gs(ev, "device_name") ? ")" : "");
		mf_utf8_cut(dev);
		if (mi && cJSON_GetObjectItemCaseSensitive(mi, "answered"))
			snprintf(ans, sizeof(ans), "%s",
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mi, "answered")) ? "answered"
			    : "no answer");
		if (lu && gs(lu, "key_check"))
			snprintf(ans, sizeof(ans), "write key %s", gs(lu, "key_check"));
		fputs("<tr>", o);
		td(o, gs(ev, "ts"));
		if (has_tz(r)) {
			char lt[64];

			local_time(r, e->ts_ns, lt, sizeof(lt));
			td(o, lt);
		}
		td(o, gs(ev, "protocol"));
		td(o, net ? gs(net, "src") : "");
		td(o, dev);
		td(o, gs(ev, "event"));
		fputs("<td><code>", o);
		esc(o, vs);
		fputs("</code></td>", o);
		td(o, ans);
		fputs("</tr>\n", o);
		free(vs);
		cJSON_Delete(ev);
		shown++;
	}
	fputs("</table>\n", o);
}

/* Case summary: what the timeline holds, from the store's entries. */
static void summary(FILE *o, const struct mf_report *r)
{
	size_t i, n = mf_store_count(r->st), ndev = 0, nan = 0, ntimed = 0;
	uint64_t bysrc[5] = { 0 };
	uint32_t k_an = mf_store_intern(r->st, "anomaly");
	int64_t t0 = INT64_MAX, t1 = INT64_MIN;
	char a[64], b[64], buf[200];

	for (i = 0; i < n; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);

		bysrc[e->src < 5 ? e->src : 4]++;
		if (e->kind == k_an)
			nan++;
		if (e->ts_ns != MF_TIME_NONE) {
			ntimed++;
			if (e->ts_ns < t0)
				t0 = e->ts_ns;
			if (e->ts_ns > t1)
				t1 = e->ts_ns;
		}
	}
	for (i = 0; i < mf_registry_count(r->reg); i++)
		if (!mf_registry_get(r->reg, i)->alias)
			ndev++;
	fputs("<h2 id=\"summary\">Case summary</h2>\n<table>\n", o);
	snprintf(buf, sizeof(buf), "%zu", r->ninputs);
	fputs("<tr><th>inputs</th>", o);
	td(o, buf);
	fputs("</tr>\n<tr><th>events</th>", o);
	snprintf(buf, sizeof(buf), "%zu: pcap %" PRIu64 ", live %" PRIu64 ", phone %" PRIu64
	    ", cloud %" PRIu64 ", other %" PRIu64 "; %zu without a time of their own", n,
	    bysrc[MF_SRC_PCAP], bysrc[MF_SRC_LIVE], bysrc[MF_SRC_PHONE], bysrc[MF_SRC_CLOUD],
	    bysrc[MF_SRC_OTHER], n - ntimed);
	td(o, buf);
	fputs("</tr>\n<tr><th>time span (UTC)</th>", o);
	if (ntimed) {
		mf_time_iso(t0, a);
		mf_time_iso(t1, b);
		snprintf(buf, sizeof(buf), "%s to %s", a, b);
	} else {
		snprintf(buf, sizeof(buf), "-");
	}
	td(o, buf);
	fputs("</tr>\n", o);
	if (has_tz(r) && ntimed) {
		local_time(r, t0, a, sizeof(a));
		local_time(r, t1, b, sizeof(b));
		snprintf(buf, sizeof(buf), "%s to %s", a, b);
		fputs("<tr><th>time span (", o);
		esc(o, r->tz_name);
		fputs(")</th>", o);
		td(o, buf);
		fputs("</tr>\n", o);
	}
	snprintf(buf, sizeof(buf), "%zu", ndev);
	fputs("<tr><th>devices</th>", o);
	td(o, buf);
	snprintf(buf, sizeof(buf), "%u", r->corr ? r->corr->groups : 0);
	fputs("</tr>\n<tr><th>correlated pairs</th>", o);
	td(o, buf);
	snprintf(buf, sizeof(buf), "%zu", nan);
	fputs("</tr>\n<tr><th>anomalies</th>", o);
	td(o, buf);
	snprintf(buf, sizeof(buf), "%d", r->warnings ? cJSON_GetArraySize(r->warnings) : 0);
	fputs("</tr>\n<tr><th>warnings</th>", o);
	td(o, buf);
	fputs("</tr>\n</table>\n", o);
}

int mf_report_html(const struct mf_report *r, FILE *o)
{
	size_t i, n = mf_store_count(r->st), shown = 0;
	uint32_t k_an = mf_store_intern(r->st, "anomaly");
	char buf[64], loc[64];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<title>miforensics report</title>\n<style>\n"
	    "body{font:14px/1.4 system-ui,\"Noto Sans\",\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\","
	    "\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:24px;color:#222}\n"
	    "table{border-collapse:collapse;margin:8px 0 20px}\n"
	    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}\n"
	    "th{background:#f2f2f2}td.n{text-align:right}td.flag{background:#fdd;font-weight:bold}\n"
	    ".dev{margin:6px 0 14px}.dev h3{font-size:14px;margin:4px 0}\n"
	    ".lane{font-size:11px;fill:#555}.grid{stroke:#ddd}.tick{stroke:#eee}\n"
	    ".axis{font-size:10px;fill:#777}.note{font-size:10px;fill:#b35}\n"
	    "code{font-size:12px;word-break:break-all}small{color:#666}\n"
	    "</style></head><body>\n<h1>miforensics report</h1>\n", o);
	fprintf(o, "<p>miforensics %s &mdash; %zu events. Times are UTC", MF_VERSION, n);
	if (has_tz(r)) {
		fputs("; local times in ", o);
		esc(o, r->tz_name);      /* given on the command line: text like any other */
	}
	fputs(".</p>\n", o);
	fputs("<p><a href=\"#summary\">Summary</a> &middot; <a href=\"#inputs\">Inputs</a> &middot; <a href=\"#devices\">Devices</a> &middot; "
	    "<a href=\"#timeline\">Timelines</a> &middot; <a href=\"#correlation\">Correlation</a>"
	    " &middot; <a href=\"#commands\">Commands</a> &middot; <a href=\"#anomalies\">Anomalies</a></p>\n", o);

	summary(o, r);

	fputs("<h2 id=\"inputs\">Inputs</h2>\n<table>\n", o);
	th(o, (const char *const[]){ "path", "type", "size", "SHA-256", "status", NULL });
	for (i = 0; i < r->ninputs; i++) {
		fputs("<tr>", o);
		td(o, r->inputs[i].path);
		td(o, r->inputs[i].type);
		tdn(o, r->inputs[i].size, 0);
		fputs("<td><code>", o);
		esc(o, r->inputs[i].sha256);
		fputs("</code></td>", o);
		if (r->inputs[i].duplicate_of) {
			fputs("<td>duplicate of ", o);
			esc(o, r->inputs[i].duplicate_of);
			fputs("</td>", o);
		} else {
			td(o, r->inputs[i].status ? "incomplete" : "ok");
		}
		fputs("</tr>\n", o);
	}
	fputs("</table>\n", o);

	fputs("<h2 id=\"devices\">Devices</h2>\n<table>\n", o);
	th(o, (const char *const[]){ "did", "model", "name", "room", "IP", "MAC", "pcap", "phone",
	    "cloud", NULL });
	for (i = 0; i < mf_registry_count(r->reg); i++) {
		const struct mf_device *d = mf_registry_get(r->reg, i);

		if (d->alias)
			continue;
		fputs("<tr>", o);
		td(o, mf_store_str(r->st, d->did));
		td(o, d->model[0] ? d->model : d->lan_model);
		td(o, d->name);
		td(o, d->room);
		td(o, d->ip);
		td(o, d->mac);
		tdn(o, d->events[MF_SRC_PCAP] + d->events[MF_SRC_LIVE], 0);
		tdn(o, d->events[MF_SRC_PHONE], 0);
		tdn(o, d->events[MF_SRC_CLOUD], 0);
		fputs("</tr>\n", o);
	}
	fputs("</table>\n", o);

	chart(o, r);

	fputs("<h2 id=\"correlation\">Correlation</h2>\n", o);
	if (r->corr) {
		fprintf(o, "<p>Phone device-log events matched with traffic events of the same "
		    "device and event name within %.1f s after the per-device clock offset. "
		    "<b>Only on phone while capturing</b> is a capture gap or an altered log.</p>"
		    "\n<table>\n", r->corr->tolerance_s);
		th(o, (const char *const[]){ "did", "name", "phone", "traffic", "cloud", "matched",
		    "only traffic", "only phone", "only on phone while capturing", "offset (s)",
		    "matched in cloud", NULL });
		for (i = 0; i < r->corr->ndev; i++) {
			const struct mf_corr_dev *c = &r->corr->dev[i];
			const struct mf_device *d = mf_registry_find(r->reg, c->did);

			fputs("<tr>", o);
			td(o, mf_store_str(r->st, c->did));
			td(o, d ? d->name : "");
			tdn(o, c->phone, 0);
			tdn(o, c->traffic, 0);
			tdn(o, c->cloud, 0);
			tdn(o, c->matched, 0);
			tdn(o, c->only_traffic, 0);
			tdn(o, c->only_phone, 0);
			tdn(o, c->only_phone_in_capture, 1);
			if (c->has_offset)
				snprintf(buf, sizeof(buf), "%.3f", c->offset_s);
			else
				snprintf(buf, sizeof(buf), "-");
			td(o, buf);
			tdn(o, c->cloud_matched, 0);
			fputs("</tr>\n", o);
		}
		fputs("</table>\n", o);
	}

	commands(o, r);

	fputs("<h2 id=\"anomalies\">Anomalies and warnings</h2>\n", o);
	if (r->warnings && cJSON_GetArraySize(r->warnings)) {
		const cJSON *w;

		fputs("<ul>\n", o);
		cJSON_ArrayForEach(w, r->warnings) {
			fputs("<li>", o);
			esc(o, cJSON_IsString(w) ? w->valuestring : "");
			fputs("</li>\n", o);
		}
		fputs("</ul>\n", o);
	}
	fputs("<table>\n", o);
	th(o, (const char *const[]){ "time (UTC)", "local", "source", "reason", "detail",
	    "evidence", NULL });
	for (i = 0; i < n && shown < ANOMALY_ROWS; i++) {
		const struct mf_ent *e = mf_store_ent(r->st, i);
		cJSON *ev;
		const cJSON *evd;
		char *es;

		if (e->kind != k_an)
			continue;
		ev = mf_report_event(r, i);
		if (!ev)
			continue;
		evd = cJSON_GetObjectItemCaseSensitive(ev, "evidence");
		es = evd ? cJSON_PrintUnformatted(evd) : NULL;
		local_time(r, e->ts_ns, loc, sizeof(loc));
		fputs("<tr>", o);
		td(o, gs(ev, "ts"));
		td(o, loc);
		td(o, gs(ev, "protocol") ? gs(ev, "protocol") : gs(ev, "source"));
		td(o, gs(ev, "reason"));
		td(o, gs(ev, "detail"));
		fputs("<td><code>", o);
		esc(o, es);
		fputs("</code></td></tr>\n", o);
		free(es);
		cJSON_Delete(ev);
		shown++;
	}
	fputs("</table>\n", o);
	if (shown == ANOMALY_ROWS)
		fputs("<p>Only the first anomalies are listed; events.jsonl has all of them.</p>\n", o);
	fputs("</body></html>\n", o);
	return ferror(o) ? MF_ERR_IO : 0;
}
