/*
 * test_decode_http_util.h - what the HTTP/1.1 and HTTP/2 unit tests share:
 * a sink collecting events, a fake flow, and a script of (direction, bytes,
 * frame) steps fed to a stream consumer either piece by piece or one byte
 * at a time, so both feeds can be compared.
 */
#ifndef TEST_DECODE_HTTP_UTIL_H
#define TEST_DECODE_HTTP_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_http.h"
#include "mf_stream.h"
#include "mf_test.h"

#define MAXEV 64
static struct mf_event *evs[MAXEV];
static int nev;

static int sink(void *arg, struct mf_event *ev)
{
	(void)arg;
	if (nev < MAXEV)
		evs[nev++] = ev;
	else
		mf_event_free(ev);
	return 0;
}

static void clear(void)
{
	while (nev > 0)
		mf_event_free(evs[--nev]);
}

/* Dotted path into an event's body ("http.status"); "kind"/"protocol" are
 * envelope fields and handled by the callers. */
static const cJSON *at(const struct mf_event *ev, const char *dotted)
{
	const cJSON *o = ev->body;
	char key[64];

	while (o && *dotted) {
		size_t n = strcspn(dotted, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, dotted, n);
		key[n] = '\0';
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		dotted += n;
		if (*dotted == '.')
			dotted++;
	}
	return o;
}

static const char *S(const struct mf_event *ev, const char *dotted)
{
	const cJSON *o = at(ev, dotted);

	return cJSON_IsString(o) ? o->valuestring : NULL;
}

/* Numbers may be raw text (mf_json_number / mf_json_u64). */
static long long N(const struct mf_event *ev, const char *dotted)
{
	const cJSON *o = at(ev, dotted);

	if (cJSON_IsRaw(o))
		return strtoll(o->valuestring, NULL, 10);
	if (cJSON_IsNumber(o))
		return (long long)o->valuedouble;
	return -999;
}

static int B(const struct mf_event *ev, const char *dotted)
{
	const cJSON *o = at(ev, dotted);

	return cJSON_IsTrue(o) ? 1 : cJSON_IsFalse(o) ? 0 : -1;
}

/* The n-th event of a kind ("data", "anomaly"), or NULL. */
static const struct mf_event *nth(const char *kind, int n)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, kind) == 0 && n-- == 0)
			return evs[i];
	return NULL;
}

static int count_kind(const char *kind)
{
	int i, k = 0;

	for (i = 0; i < nev; i++)
		k += strcmp(evs[i]->kind, kind) == 0;
	return k;
}

/* The anomaly with that reason, or NULL. */
static const struct mf_event *anomaly(const char *reason)
{
	int i;

	for (i = 0; i < nev; i++) {
		const char *r;

		if (strcmp(evs[i]->kind, "anomaly") != 0)
			continue;
		r = S(evs[i], "reason");
		if (r && strcmp(r, reason) == 0)
			return evs[i];
	}
	return NULL;
}

struct step {
	int dir;                /* MF_DIR_C2S / MF_DIR_S2C; -1 = gap of len bytes */
	const uint8_t *p;
	size_t len;
	uint64_t frame;
	int gap_dir;
};

struct script {
	struct step s[64];
	int n;
	/* owned copies of the bytes */
	uint8_t *own[64];
};

static void sc_add(struct script *sc, int dir, const void *p, size_t len, uint64_t frame)
{
	uint8_t *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	sc->own[sc->n] = c;
	sc->s[sc->n].dir = dir;
	sc->s[sc->n].p = c;
	sc->s[sc->n].len = len;
	sc->s[sc->n].frame = frame;
	sc->n++;
}

static void sc_str(struct script *sc, int dir, const char *s, uint64_t frame)
{
	sc_add(sc, dir, s, strlen(s), frame);
}

static void sc_gap(struct script *sc, int dir, size_t missing, uint64_t frame)
{
	sc->own[sc->n] = NULL;
	sc->s[sc->n].dir = -1;
	sc->s[sc->n].gap_dir = dir;
	sc->s[sc->n].p = NULL;
	sc->s[sc->n].len = missing;
	sc->s[sc->n].frame = frame;
	sc->n++;
}

static void sc_free(struct script *sc)
{
	int i;

	for (i = 0; i < sc->n; i++)
		free(sc->own[i]);
	sc->n = 0;
}

static struct mf_input test_input = { .path = "t.pcap", .name = "t.pcap", .source = "pcap" };

static void test_flow(struct mf_flow *fl, const char *sni)
{
	static const uint8_t cli[4] = { 192, 0, 2, 10 }, srv[4] = { 198, 51, 100, 20 };

	memset(fl, 0, sizeof(*fl));
	fl->input = &test_input;
	fl->stream_no = 7;
	fl->addr_len = 4;
	memcpy(fl->cli, cli, 4);
	memcpy(fl->srv, srv, 4);
	fl->cport = 50000;
	fl->sport = 443;
	snprintf(fl->community_id, sizeof(fl->community_id), "1:test");
	fl->sni = sni;
	fl->tls = sni != NULL;
}

/* Runs a script through proto; bytewise = 1 feeds one byte per call.
 * Events stay in evs[] (cleared first). */
static void run(const struct mf_stream_proto *proto, struct mf_ctx *ctx, const struct script *sc,
                int bytewise, const char *sni)
{
	struct mf_flow fl;
	struct mf_frame f;
	void *st;
	int i;

	clear();
	test_flow(&fl, sni);
	st = proto->open(ctx, &fl);
	CHECK(st != NULL);
	if (!st)
		return;
	memset(&f, 0, sizeof(f));
	f.input = &test_input;
	for (i = 0; i < sc->n; i++) {
		const struct step *s = &sc->s[i];

		f.number = s->frame;
		f.ts_ns = 1700000000000000000LL + (int64_t)s->frame * 1000000LL;
		if (s->dir < 0) {
			proto->gap(st, ctx, s->gap_dir, s->len, &f);
			continue;
		}
		if (!bytewise) {
			CHECK_EQ_INT(proto->data(st, ctx, s->dir, s->p, s->len, &f), 0);
		} else {
			size_t k;

			for (k = 0; k < s->len; k++)
				CHECK_EQ_INT(proto->data(st, ctx, s->dir, s->p + k, 1, &f), 0);
		}
	}
	if (proto->close(st, ctx, MF_END_FIN, NULL) == MF_STREAM_LINGER && proto->resume)
		proto->resume(st, ctx, 1);
}

/* All events as JSON lines (for comparing two feeds). */
static char *dump(void)
{
	struct mf_buf b;
	int i;

	mf_buf_init(&b, 1u << 24);
	for (i = 0; i < nev; i++) {
		mf_event_to_json(evs[i], &b);
		mf_buf_addc(&b, '\n');
	}
	mf_buf_addc(&b, 0);
	return (char *)b.data;
}

/* Runs the script both ways and checks the outputs are identical; leaves
 * the events of the chunked run in evs[]. */
static void run_both(const struct mf_stream_proto *proto, struct mf_ctx *ctx,
                     const struct script *sc, const char *sni)
{
	char *a, *b;

	run(proto, ctx, sc, 1, sni);
	b = dump();
	run(proto, ctx, sc, 0, sni);
	a = dump();
	if (strcmp(a, b) != 0) {
		mf_t_fail++;
		fprintf(stderr, "chunked and bytewise feeds differ:\n--- chunked\n%s--- bytewise\n%s",
		    a, b);
	} else {
		mf_t_pass++;
	}
	free(a);
	free(b);
}

static void init_ctx(struct mf_ctx *ctx)
{
	mf_ctx_init(ctx);
	ctx->emit = sink;
}

#endif
