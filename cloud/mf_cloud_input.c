/*
 * mf_cloud_input.c - reading an acquisition folder back into events (see
 * mf_cloud_input.h; the writer is mf_acquire.c).
 *
 * manifest.json: line 1 the header ending in "requests":[, one entry per
 * line, then the tail ],"runs":...  A whole-document parse is tried first
 * (a manifest that was re-indented still reads); when it fails (an
 * acquisition interrupted while writing), the lines are read one by one and
 * a cut line ends the list.
 */
#include "mf_cloud_input.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "mf_cloud_int.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_endpoints.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_file.h"
#include "mf_time.h"

#define MANIFEST_MAX (1u << 30)
#define REPLY_MAX (64u << 20)
#define ENTRIES_MAX 4000000u

/* ------------------------------------------------------------ dedupe */

struct seen {
	uint64_t *v;
	size_t n, cap;       /* cap: power of two, 0 = empty */
};

static int seen_has(const struct seen *s, uint64_t h)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = h & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return 1;
	return 0;
}

static int seen_add(struct seen *s, uint64_t h)
{
	size_t i;

	if (!h)
		h = 1;
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 1024, k;
		uint64_t *nv = calloc(nc, sizeof(*nv));

		if (!nv)
			return MF_ERR_NOMEM;
		for (k = 0; k < s->cap; k++)
			if (s->v[k]) {
				for (i = s->v[k] & (nc - 1); nv[i]; i = (i + 1) & (nc - 1))
					;
				nv[i] = s->v[k];
			}
		free(s->v);
		s->v = nv;
		s->cap = nc;
	}
	for (i = h & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return 0;
	s->v[i] = h;
	s->n++;
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct rd {
	struct mf_ctx *ctx;
	mf_emit_fn emit;          /* the caller's sink */
	void *emit_arg;
	struct seen prev, cur;    /* records of earlier replies / this reply */
	struct mf_cloud_input_summary *sum;
	mf_cloud_problem_fn problem;
	void *parg;
	const char *name;
	char namebuf[256];
	mf_cloud_fetch_fn fetch;
	void *farg;
	cJSON *evidence;          /* of the reply being read */
	char origin[160];
	int64_t ts;
};

/* The filtering sink: a record already seen in an earlier reply (pages that
 * overlap by a second) is dropped; anomalies always pass. */
static int rd_emit(void *arg, struct mf_event *ev)
{
	struct rd *r = arg;
	const cJSON *it;
	uint64_t h = 1469598103934665603ULL;

	if (ev->kind && strcmp(ev->kind, "anomaly") != 0) {
		h = fnv(h, ev->kind, strlen(ev->kind) + 1);
		h = fnv(h, &ev->ts_ns, sizeof(ev->ts_ns));
		for (it = ev->body ? ev->body->child : NULL; it; it = it->next) {
			char *t;

			if (!it->string || strcmp(it->string, "evidence") == 0)
				continue;
			h = fnv(h, it->string, strlen(it->string) + 1);
			t = cJSON_PrintUnformatted(it);
			if (t) {
				h = fnv(h, t, strlen(t) + 1);
				free(t);
			}
		}
		if (seen_has(&r->prev, h)) {
			r->sum->duplicates++;
			mf_event_free(ev);
			/* mf_emit counted it already: take it back */
			if (r->ctx->st.events)
				r->ctx->st.events--;
			return 0;
		}
		if (seen_add(&r->cur, h) != 0) {
			mf_event_free(ev);
			return MF_ERR_NOMEM;
		}
		r->sum->records++;
	}
	return r->emit ? r->emit(r->emit_arg, ev) : (mf_event_free(ev), 0);
}

static int merge_cur(struct rd *r)
{
	size_t i;

	for (i = 0; i < r->cur.cap; i++)
		if (r->cur.v[i] && seen_add(&r->prev, r->cur.v[i]) != 0)
			return MF_ERR_NOMEM;
	memset(r->cur.v, 0, r->cur.cap * sizeof(*r->cur.v));
	r->cur.n = 0;
	return 0;
}

/* ----------------------------------------------------------- problems */

static int problem(struct rd *r, const char *reason, const char *severity, const cJSON *entry,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int problem(struct rd *r, const char *reason, const char *severity, const cJSON *entry,
                   const char *fmt, ...)
{
	struct mf_cloud_origin o;
	char detail[512];
	cJSON *m = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	r->sum->problems++;
	if (!strncmp(reason, "evidence_", 9))
		r->sum->integrity++;
	if (r->problem) {
		char line[700];

		snprintf(line, sizeof(line), "%s: %s", r->name, detail);
		r->problem(r->parg, line);
	}
	memset(&o, 0, sizeof(o));
	o.source = "cloud";
	o.ts_ns = r->ts;
	o.evidence = r->evidence;
	if (entry) {
		static const char *const keys[] = { "seq", "region", "endpoint", "url", "status",
			"http_status", "code", "message", "error", "reason", NULL };
		size_t i;

		m = cJSON_CreateObject();
		for (i = 0; m && keys[i]; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, keys[i]);

			if (v && (cJSON_IsString(v) || cJSON_IsNumber(v)))
				cJSON_AddItemToObject(m, keys[i], cJSON_Duplicate(v, 0));
		}
	}
	return mf_cloud_anomaly(r->ctx, &o, r->ts, reason, severity, m, "%s", detail);
}

/* ------------------------------------------------------------- files */

struct disk {
	const char *dir;
	char name[256];
};

/* "responses/<name>" with a plain name only. */
static int rel_ok(const char *rel)
{
	const char *p;

	if (strncmp(rel, "responses/", 10) != 0 || !rel[10] || strlen(rel) > 200)
		return 0;
	for (p = rel + 10; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return strstr(rel, "..") == NULL;
}

static int disk_fetch(void *arg, const char *rel, char **buf, size_t *len)
{
	const struct disk *d = arg;
	char path[4096], eb[MF_ERRBUF_SIZE];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->dir, rel) >= sizeof(path))
		return MF_ERR_ARG;
	return mf_read_small_file(path, REPLY_MAX, buf, len, eb);
}

/* Reads a file the manifest names and checks its hash: returns the bytes
 * (caller frees) or NULL; *state: 0 ok, 1 missing, 2 hash differs. */
static char *get_file(struct rd *r, const cJSON *fobj, size_t *len, int *state)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(fobj, "file");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(fobj, "sha256");
	char *buf = NULL;
	char sha[65];
	uint8_t d[32];

	*state = 1;
	*len = 0;
	if (!cJSON_IsString(f) || !rel_ok(f->valuestring))
		return NULL;
	if (r->fetch(r->farg, f->valuestring, &buf, len) != 0 || !buf)
		return NULL;
	mf_sha256(buf, *len, d);
	mf_hex_encode(d, 32, sha);
	*state = cJSON_IsString(h) && strcmp(h->valuestring, sha) == 0 ? 0 : 2;
	return buf;
}

/* -------------------------------------------------------- one entry */

static const char *estr(const cJSON *e, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int do_entry(struct rd *r, const cJSON *e, int superseded)
{
	const char *status = estr(e, "status"), *path = estr(e, "path"), *t = estr(e, "time");
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(e, "decoded");
	const cJSON *raw = cJSON_GetObjectItemCaseSensitive(e, "raw");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(e, "params");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(e, "seq");
	const struct mf_endpoint *ep;
	struct mf_cloud_origin o;
	char *buf = NULL, file[512];
	size_t len;
	int st, rc = 0;
	cJSON *reply;
	unsigned long sq = cJSON_IsNumber(seq) && seq->valuedouble >= 0 ?
	    (unsigned long)seq->valuedouble : 0;

	r->ts = MF_TIME_NONE;
	if (t)
		mf_time_parse_iso(t, &r->ts);
	cJSON_Delete(r->evidence);
	r->evidence = cJSON_CreateObject();
	if (!r->evidence)
		return MF_ERR_NOMEM;
	{
		const cJSON *fo = cJSON_IsObject(dec) ? dec : raw;
		const char *f = estr(fo, "file"), *h = estr(fo, "sha256"), *rid = estr(e, "request_id");

		if (f && rel_ok(f)) {
			snprintf(file, sizeof(file), "%s/%s", r->name, f);
			mf_json_str(r->evidence, "file", file);
		} else {
			snprintf(file, sizeof(file), "%s/manifest.json", r->name);
			mf_json_str(r->evidence, "file", file);
		}
		if (h)
			mf_json_str(r->evidence, "sha256", h);
		if (rid)
			mf_json_str(r->evidence, "request_id", rid);
		mf_json_u64(r->evidence, "seq", sq);
	}
	if (!status || !path)
		return problem(r, "cloud_manifest_entry", "warning", e, "manifest entry %lu is "
		    "incomplete", sq);
	/* the raw body is evidence too: check it is what was received */
	if (cJSON_IsObject(raw)) {
		char *rb = get_file(r, raw, &len, &st);

		free(rb);
		if (st == 1)
			rc = problem(r, "evidence_file_missing", "error", e, "request %lu: the raw "
			    "reply file is missing", sq);
		else if (st == 2)
			rc = problem(r, "evidence_hash_mismatch", "error", e, "request %lu: the raw "
			    "reply file differs from its SHA-256 in the manifest", sq);
		if (rc)
			return rc;
	}
	if (strcmp(status, "ok") != 0 && strcmp(status, "api_error") != 0) {
		if (superseded)
			return 0;   /* the same call was asked again later: its last attempt speaks */
		if (strcmp(status, "malformed") == 0)
			return problem(r, "cloud_reply_malformed", "warning", e, "request %lu (%s): the "
			    "reply does not decode (%s); kept raw", sq, path,
			    estr(e, "reason") ? estr(e, "reason") : "?");
		return problem(r, "cloud_request_failed", "warning", e, "request %lu (%s): %s",
		    sq, path, status);
	}
	if (strcmp(status, "api_error") == 0) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");

		return problem(r, "cloud_api_error", "warning", e, "request %lu (%s): the cloud "
		    "answered code %.0f%s%s", sq, path, cJSON_IsNumber(c) ? c->valuedouble : -1.0,
		    estr(e, "message") ? ": " : "", estr(e, "message") ? estr(e, "message") : "");
	}
	buf = get_file(r, dec, &len, &st);
	if (st == 1) {
		free(buf);
		return problem(r, "evidence_file_missing", "error", e, "request %lu: the decoded "
		    "reply file is missing", sq);
	}
	if (st == 2 && (rc = problem(r, "evidence_hash_mismatch", "error", e, "request %lu: "
	    "the decoded reply differs from its SHA-256 in the manifest (read anyway)", sq)) != 0) {
		free(buf);
		return rc;
	}
	reply = mf_cloud_json_parse(buf, len, r->ctx->lim.json_depth_max ?
	    r->ctx->lim.json_depth_max : 64, NULL);
	free(buf);
	if (!cJSON_IsObject(reply)) {
		cJSON_Delete(reply);
		return problem(r, "cloud_reply_malformed", "warning", e, "request %lu: the decoded "
		    "reply is not a JSON object", sq);
	}
	ep = mf_endpoint_find(path);
	if (!ep) {
		cJSON_Delete(reply);
		return problem(r, "cloud_endpoint_unknown", "warning", e, "request %lu: unknown "
		    "endpoint %s", sq, path);
	}
	memset(&o, 0, sizeof(o));
	o.source = "cloud";
	o.ts_ns = r->ts;
	snprintf(r->origin, sizeof(r->origin), "cloud acquisition: %s #%lu", r->name, sq);
	o.token_origin = r->origin;
	o.evidence = r->evidence;
	o.path = path;
	rc = mf_endpoint_records(r->ctx, ep, cJSON_GetObjectItemCaseSensitive(params, "data"),
	    reply, &o);
	cJSON_Delete(reply);
	r->sum->replies++;
	if (rc >= 0)
		rc = merge_cur(r);
	return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------- manifest */

struct keyidx {
	const char *key;
	int idx;
};

static int by_key(const void *a, const void *b)
{
	const struct keyidx *x = a, *y = b;
	int c;

	if (!x->key || !y->key)
		c = (x->key != NULL) - (y->key != NULL);
	else
		c = strcmp(x->key, y->key);
	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The manifest as one document, or rebuilt from its lines. */
static cJSON *load_manifest(const char *txt, size_t len, int *repaired)
{
	cJSON *m = cJSON_ParseWithLength(txt, len), *reqs;
	const char *p = txt, *end = txt + len, *nl;
	char *line;
	int first = 1;

	*repaired = 0;
	if (cJSON_IsObject(m) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(m, "requests")))
		return m;
	cJSON_Delete(m);
	m = NULL;
	reqs = NULL;
	while (p < end) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line = malloc(n + 2);
		if (!line)
			break;
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (nl ? 1 : 0);
		if (first) {
			first = 0;
			if (n < 13 || strcmp(line + n - 13, ",\"requests\":[") != 0) {
				free(line);
				break;
			}
			line[n - 13] = '}';
			line[n - 12] = '\0';
			m = cJSON_Parse(line);
			free(line);
			if (!cJSON_IsObject(m))
				break;
			reqs = cJSON_AddArrayToObject(m, "requests");
			*repaired = 1;
			continue;
		}
		if (line[0] == '{') {
			cJSON *e;

			if (n && line[n - 1] == ',')
				line[n - 1] = '\0';
			e = cJSON_Parse(line);
			free(line);
			if (!e || cJSON_GetArraySize(reqs) >= (int)ENTRIES_MAX) {
				cJSON_Delete(e);
				break;
			}
			cJSON_AddItemToArray(reqs, e);
			continue;
		}
		free(line);
		break;
	}
	if (!cJSON_IsObject(m)) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

int mf_cloud_input_scan_mem(struct mf_ctx *ctx, const char *manifest, size_t len,
                            const char *name, mf_cloud_fetch_fn fetch, void *farg,
                            mf_cloud_problem_fn problem_fn, void *parg,
                            struct mf_cloud_input_summary *sum, char *errbuf)
{
	struct mf_cloud_input_summary dummy;
	const cJSON *fmt, *reqs, *e, *summ, *st;
	struct rd r;
	cJSON *m;
	int repaired, rc = 0;
	struct keyidx *keys = NULL;
	char *later = NULL;
	int i, n;
	uint8_t d[32];

	if (!sum)
		sum = &dummy;
	memset(sum, 0, sizeof(*sum));
	if (!ctx || !manifest)
		return mf_seterr(errbuf, MF_ERR_ARG, "no manifest");
	mf_sha256(manifest, len, d);
	mf_hex_encode(d, 32, sum->sha256);
	sum->size = len;
	if (mf_cloud_json_too_deep(manifest, len, 64))
		return mf_seterr(errbuf, MF_ERR_FORMAT, "manifest.json nests too deep");
	m = load_manifest(manifest, len, &repaired);
	fmt = cJSON_GetObjectItemCaseSensitive(m, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, MF_CLOUD_INPUT_FORMAT) != 0) {
		cJSON_Delete(m);
		return mf_seterr(errbuf, MF_ERR_FORMAT, "not a manifest of `cloud acquire`");
	}
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.emit = ctx->emit;
	r.emit_arg = ctx->emit_arg;
	r.sum = sum;
	r.problem = problem_fn;
	r.parg = parg;
	{
		size_t nl;

		snprintf(r.namebuf, sizeof(r.namebuf), "%s", name && name[0] ? name : "cloud");
		nl = strlen(r.namebuf);
		while (nl > 1 && r.namebuf[nl - 1] == '/')
			r.namebuf[--nl] = '\0';
		r.name = r.namebuf;
	}
	r.fetch = fetch;
	r.farg = farg;
	r.ts = MF_TIME_NONE;
	ctx->emit = rd_emit;
	ctx->emit_arg = &r;
	reqs = cJSON_GetObjectItemCaseSensitive(m, "requests");
	summ = cJSON_GetObjectItemCaseSensitive(m, "summary");
	st = cJSON_GetObjectItemCaseSensitive(summ, "status");
	snprintf(sum->status, sizeof(sum->status), "%s", cJSON_IsString(st) ? st->valuestring :
	    "unfinished");
	n = cJSON_GetArraySize(reqs);
	sum->entries = (unsigned long)n;
	/* the evidence of the acquisition itself */
	{
		const cJSON *acc = cJSON_GetObjectItemCaseSensitive(m, "account");
		const cJSON *runs = cJSON_GetObjectItemCaseSensitive(m, "runs"), *run0;
		struct mf_cloud_origin o;
		struct mf_event *ev;
		char file[512];
		int64_t ts = MF_TIME_NONE;

		run0 = cJSON_GetArrayItem(runs, 0);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(run0, "started")))
			mf_time_parse_iso(cJSON_GetObjectItemCaseSensitive(run0, "started")->valuestring,
			    &ts);
		cJSON_Delete(r.evidence);
		r.evidence = cJSON_CreateObject();
		snprintf(file, sizeof(file), "%s/manifest.json", r.name);
		mf_json_str(r.evidence, "file", file);
		mf_json_str(r.evidence, "sha256", sum->sha256);
		memset(&o, 0, sizeof(o));
		o.source = "cloud";
		o.ts_ns = ts;
		o.evidence = r.evidence;
		ev = mf_cloud_event(&o, ts, "session");
		if (!ev) {
			rc = MF_ERR_NOMEM;
			goto out;
		}
		mf_event_str(ev, "event", "cloud_acquisition");
		mf_event_str(ev, "uid", cJSON_IsString(cJSON_GetObjectItemCaseSensitive(acc, "userId")) ?
		    cJSON_GetObjectItemCaseSensitive(acc, "userId")->valuestring : NULL);
		mf_event_str(ev, "status", sum->status);
		mf_event_num(ev, "requests", n);
		{
			cJSON *x = cJSON_CreateObject();
			static const char *const hk[] = { "tool", "reference_time", "since", "regions",
				"server_override", NULL };
			size_t k;

			for (k = 0; x && hk[k]; k++) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, hk[k]);

				if (v)
					cJSON_AddItemToObject(x, hk[k], cJSON_Duplicate(v, 1));
			}
			if (x && summ) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(summ, "regions_with_data");

				if (v)
					cJSON_AddItemToObject(x, "regions_with_data", cJSON_Duplicate(v, 1));
			}
			if (x && runs)
				cJSON_AddNumberToObject(x, "runs", cJSON_GetArraySize(runs));
			mf_event_add(ev, "acquisition", x);
		}
		if ((rc = mf_cloud_emit(ctx, &o, ev, NULL)) != 0)
			goto out;
		r.ts = ts;
		if (repaired || strcmp(sum->status, "complete") != 0) {
			rc = problem(&r, "acquisition_incomplete", "warning", NULL, "the acquisition is "
			    "%s%s: continue it with `cloud acquire --resume`", repaired ?
			    "unfinished (its manifest was not closed)" : sum->status,
			    repaired ? "" : "");
			if (rc)
				goto out;
		}
	}
	/* which calls were asked again later (a retry, a resumed run): sort
	 * (key, index) pairs; an entry followed by one with its key is superseded */
	keys = calloc((size_t)n + 1, sizeof(*keys));
	later = calloc((size_t)n + 1, 1);
	if ((!keys || !later) && n) {
		rc = MF_ERR_NOMEM;
		goto out;
	}
	i = 0;
	cJSON_ArrayForEach(e, reqs) {
		keys[i].key = estr(e, "request_key");
		keys[i].idx = i;
		i++;
	}
	qsort(keys, (size_t)n, sizeof(*keys), by_key);
	for (i = 0; i + 1 < n; i++)
		if (keys[i].key && keys[i + 1].key && strcmp(keys[i].key, keys[i + 1].key) == 0)
			later[keys[i].idx] = 1;
	i = 0;
	cJSON_ArrayForEach(e, reqs) {
		if (cJSON_IsObject(e) && (rc = do_entry(&r, e, later[i])) != 0)
			break;
		i++;
	}
out:
	ctx->emit = r.emit;
	ctx->emit_arg = r.emit_arg;
	free(keys);
	free(later);
	free(r.prev.v);
	free(r.cur.v);
	cJSON_Delete(r.evidence);
	cJSON_Delete(m);
	if (rc == MF_ERR_NOMEM)
		mf_seterr(errbuf, rc, "out of memory");
	return rc;
}

int mf_cloud_input_is(const char *path)
{
	char mp[4096], head[160];
	struct stat st;
	FILE *f;
	size_t n;

	if (!path || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	if ((size_t)snprintf(mp, sizeof(mp), "%s/manifest.json", path) >= sizeof(mp))
		return 0;
	f = fopen(mp, "rb");
	if (!f)
		return 0;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	/* our writer puts the format first; a re-indented manifest has it near the top */
	return strstr(head, "\"" MF_CLOUD_INPUT_FORMAT "\"") != NULL;
}

int mf_cloud_input_scan(struct mf_ctx *ctx, const char *path, const char *name,
                        mf_cloud_problem_fn problem_fn, void *arg,
                        struct mf_cloud_input_summary *sum, char *errbuf)
{
	char mp[4096];
	char *buf = NULL;
	size_t len = 0;
	struct disk d;
	int rc;

	if ((size_t)snprintf(mp, sizeof(mp), "%s/manifest.json", path) >= sizeof(mp))
		return mf_seterr(errbuf, MF_ERR_ARG, "path too long");
	if ((rc = mf_read_small_file(mp, MANIFEST_MAX, &buf, &len, errbuf)) != 0)
		return rc;
	d.dir = path;
	if (!name) {
		/* "case3/cloud/" -> "cloud" */
		char tmp[4096];
		size_t n = strlen(path);

		while (n > 1 && path[n - 1] == '/')
			n--;
		snprintf(tmp, sizeof(tmp), "%.*s", (int)n, path);
		snprintf(d.name, sizeof(d.name), "%s", mf_basename(tmp));
		name = d.name;
	}
	rc = mf_cloud_input_scan_mem(ctx, buf, len, name, disk_fetch,
	    &d, problem_fn, arg, sum, errbuf);
	free(buf);
	return rc;
}
