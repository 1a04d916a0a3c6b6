/*
 * test_decode_tcp.c - TCP reassembly (decode/mf_tcp.c) with hand-built
 * segments: in order, out of order, retransmissions, conflicting overlaps,
 * gaps (acknowledged, at the end, cut by the snapshot length), consumers
 * without gap(), SYN/FIN/RST and stream numbering, sequence wrap-around,
 * the caps (per direction, memory, streams) and their eviction, idle
 * timeout, mid-stream starts, probe() dispatch, the built-in "data" records;
 * then whole frames (IPv4, IPv6, IPv4 fragments) through the decoder.
 *
 * Most tests drive mf_tcp_segment() over a table of fake consumers that
 * record what they are given; the decoder tests use the real table with
 * ports and bytes no real consumer takes.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_decode_int.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_stream.h"
#include "mf_tcp.h"
#include "mf_test.h"

#define S 1000000000LL
#define T0 (1617026674LL * S)
#define F MF_TCP_FIN
#define SY MF_TCP_SYN
#define R MF_TCP_RST
#define A MF_TCP_ACK

/* ---- fake consumers ------------------------------------------------------ */

struct fst {
	const struct mf_flow *fl;
	uint64_t stream_no;
	uint16_t cport, sport;
	const char *proto;
	uint8_t data[2][16384];   /* bytes as delivered, '|' where a gap was */
	size_t n[2];
	uint64_t gaps[2];
	uint64_t first_frame[2], last_frame[2];
	int closed, how, close_null_frame;
};

#define NFS 64
static struct fst fs[NFS];
static int nfs;
static size_t probe_calls, probe_last_n;

static void *f_open_as(const char *proto, const struct mf_flow *fl)
{
	struct fst *x;

	if (nfs >= NFS)
		return NULL;
	x = &fs[nfs++];
	memset(x, 0, sizeof(*x));
	x->fl = fl;
	x->stream_no = fl->stream_no;
	x->cport = fl->cport;
	x->sport = fl->sport;
	x->proto = proto;
	return x;
}

static void *f_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	(void)ctx;
	return f_open_as("fake", fl);
}

static void *ng_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	(void)ctx;
	return f_open_as("nogap", fl);
}

static void *pr_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	(void)ctx;
	return f_open_as("probed", fl);
}

static int f_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                  const struct mf_frame *f)
{
	struct fst *x = st;

	(void)ctx;
	if (x->n[dir] + n <= sizeof(x->data[dir])) {
		memcpy(x->data[dir] + x->n[dir], p, n);
		x->n[dir] += n;
	}
	if (!x->first_frame[dir])
		x->first_frame[dir] = f->number;
	x->last_frame[dir] = f->number;
	return 0;
}

static void f_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                  const struct mf_frame *f)
{
	struct fst *x = st;

	(void)ctx;
	(void)f;
	x->gaps[dir] += missing;
	if (x->n[dir] < sizeof(x->data[dir]))
		x->data[dir][x->n[dir]++] = '|';
}

static int f_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct fst *x = st;

	(void)ctx;
	x->closed++;
	x->how = how;
	x->close_null_frame = f == NULL;
	return 0;
}

static int f_probe(const uint8_t *p, size_t n)
{
	probe_calls++;
	probe_last_n = n;
	return n >= 4 && memcmp(p, "PRB!", 4) == 0;
}

static const struct mf_stream_proto fake = {
	.name = "fake", .ports = { 7777, 0 }, .open = f_open, .data = f_data, .gap = f_gap,
	.close = f_close,
};
static const struct mf_stream_proto nogap = {
	.name = "nogap", .ports = { 7778, 0 }, .open = ng_open, .data = f_data, .gap = NULL,
	.close = f_close,
};
static const struct mf_stream_proto probed = {
	.name = "probed", .ports = { 0 }, .probe = f_probe, .open = pr_open, .data = f_data,
	.gap = f_gap, .close = f_close,
};
/* A consumer that outlives its stream (as TLS waiting for a key): close()
 * lingers, resume() finishes once its stream is released or on final. */
static int released[NFS], resumed[NFS], finals[NFS];

static int w_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	f_close(st, ctx, how, f);
	return MF_STREAM_LINGER;
}

static int w_resume(void *st, struct mf_ctx *ctx, int final)
{
	int i = (int)((struct fst *)st - fs);

	(void)ctx;
	resumed[i]++;
	if (final)
		finals[i]++;
	return final || released[i] ? 0 : MF_STREAM_LINGER;
}

static const struct mf_stream_proto waiter = {
	.name = "waiter", .ports = { 7779, 0 }, .open = f_open, .data = f_data, .gap = f_gap,
	.close = w_close, .resume = w_resume,
};
static const struct mf_stream_proto *const fake_table[] = { &fake, &nogap, &probed, &waiter,
	NULL };
static const struct mf_stream_proto *const empty_table[] = { NULL };

/* ---- environment ---------------------------------------------------------- */

#define MAXEV 256

struct env {
	struct mf_ctx ctx;
	struct mf_event *ev[MAXEV];
	size_t nev;
	struct mf_tcp *t;
	struct mf_decoder *d;
	struct mf_input in;
	uint64_t fno;
	int64_t now;
};

/* A connection as the tests see it: client and server endpoints. */
struct tf {
	uint8_t al;
	uint8_t c[16], s[16];
	uint16_t cp, sp;
};

static int sink(void *arg, struct mf_event *ev)
{
	struct env *e = arg;

	if (e->nev < MAXEV)
		e->ev[e->nev++] = ev;
	else
		mf_event_free(ev);
	return 0;
}

static void env_init(struct env *e, const struct mf_stream_proto *const *table)
{
	memset(e, 0, sizeof(*e));
	memset(fs, 0, sizeof(fs));
	nfs = 0;
	probe_calls = probe_last_n = 0;
	mf_ctx_init(&e->ctx);
	e->ctx.emit = sink;
	e->ctx.emit_arg = e;
	e->in.name = "t.pcap";
	e->in.source = "pcap";
	e->now = T0;
	if (table) {
		e->t = mf_tcp_new(&e->ctx, table);
		CHECK(e->t != NULL);
	}
}

static void env_done(struct env *e)
{
	size_t i;

	mf_tcp_free(e->t);
	mf_decoder_free(e->d);
	for (i = 0; i < e->nev; i++)
		mf_event_free(e->ev[i]);
	e->nev = 0;
}

static struct tf flow4(uint16_t cp, uint16_t sp)
{
	struct tf t;

	memset(&t, 0, sizeof(t));
	t.al = 4;
	t.c[0] = 10, t.c[3] = 1;
	t.s[0] = 10, t.s[3] = 2;
	t.cp = cp;
	t.sp = sp;
	return t;
}

/* One segment of flow fl, from the client when c2s. */
static int segc(struct env *e, const struct tf *fl, int c2s, uint32_t seq, uint32_t ack,
                uint8_t flags, const void *data, size_t len, size_t claimed)
{
	struct mf_tcp_seg s;
	struct mf_frame f;

	memset(&s, 0, sizeof(s));
	s.addr_len = fl->al;
	s.src = c2s ? fl->c : fl->s;
	s.dst = c2s ? fl->s : fl->c;
	s.sport = c2s ? fl->cp : fl->sp;
	s.dport = c2s ? fl->sp : fl->cp;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.data = data;
	s.len = len;
	s.claimed = claimed;
	memset(&f, 0, sizeof(f));
	f.number = ++e->fno;
	e->now += S / 1000;
	f.ts_ns = e->now;
	f.input = &e->in;
	f.linktype = 1;
	return mf_tcp_segment(e->t, &f, &s);
}

static int seg(struct env *e, const struct tf *fl, int c2s, uint32_t seq, uint32_t ack,
               uint8_t flags, const char *data)
{
	size_t n = data ? strlen(data) : 0;

	return segc(e, fl, c2s, seq, ack, flags, data, n, n);
}

/* SYN, SYN-ACK, ACK with initial sequence numbers ci (client), si. */
static void handshake(struct env *e, const struct tf *fl, uint32_t ci, uint32_t si)
{
	CHECK_EQ_INT(seg(e, fl, 1, ci, 0, SY, NULL), 0);
	CHECK_EQ_INT(seg(e, fl, 0, si, ci + 1, SY | A, NULL), 0);
	CHECK_EQ_INT(seg(e, fl, 1, ci + 1, si + 1, A, NULL), 0);
}

static const char *str_of(const struct mf_event *ev, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(ev->body, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* A number of a (possibly nested "a.b") member, -1 when absent. */
static double num_of(const struct mf_event *ev, const char *key)
{
	char k[64], *dot;
	cJSON *o = ev->body, *v;

	snprintf(k, sizeof(k), "%s", key);
	dot = strchr(k, '.');
	if (dot) {
		*dot = 0;
		o = cJSON_GetObjectItemCaseSensitive(o, k);
		key = dot + 1;
	} else {
		key = k;
	}
	v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsRaw(v))
		return strtod(v->valuestring, NULL);
	return -1;
}

static size_t nreason(const struct env *e, const char *reason)
{
	size_t i, n = 0;

	for (i = 0; i < e->nev; i++)
		if (strcmp(e->ev[i]->kind, "anomaly") == 0 && strcmp(str_of(e->ev[i], "reason"), reason) == 0)
			n++;
	return n;
}

static const struct mf_event *find_reason(const struct env *e, const char *reason, size_t nth)
{
	size_t i;

	for (i = 0; i < e->nev; i++)
		if (strcmp(str_of(e->ev[i], "reason"), reason) == 0 && nth-- == 0)
			return e->ev[i];
	return NULL;
}

static const struct mf_event *find_data(const struct env *e, uint64_t stream, const char *dir)
{
	size_t i;

	for (i = 0; i < e->nev; i++)
		if (strcmp(e->ev[i]->kind, "data") == 0 && num_of(e->ev[i], "net.tcp_stream") == (double)stream &&
		    strcmp(str_of(e->ev[i], "direction"), dir) == 0)
			return e->ev[i];
	return NULL;
}

static size_t nkind(const struct env *e, const char *kind)
{
	size_t i, n = 0;

	for (i = 0; i < e->nev; i++)
		n += strcmp(e->ev[i]->kind, kind) == 0;
	return n;
}

#define CHECK_DATA(x, dir, s) do { \
	CHECK_EQ_INT((x)->n[dir], strlen(s)); \
	CHECK((x)->n[dir] == strlen(s) && memcmp((x)->data[dir], (s), strlen(s)) == 0); \
} while (0)

/* ---- tests ------------------------------------------------------------------ */

static void test_in_order(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 1000, 5000);
	CHECK_EQ_INT(nfs, 0);                     /* opened at the first byte */
	seg(&e, &fl, 1, 1001, 5001, A, "hello ");
	CHECK_EQ_INT(nfs, 1);
	CHECK_EQ_STR(fs[0].proto, "fake");        /* by server port */
	CHECK_EQ_INT(fs[0].stream_no, 0);
	CHECK_EQ_INT(fs[0].cport, 40000);
	CHECK_EQ_INT(fs[0].sport, 7777);
	CHECK_EQ_INT(fs[0].fl->addr_len, 4);
	CHECK(strncmp(fs[0].fl->community_id, "1:", 2) == 0);
	seg(&e, &fl, 1, 1007, 5001, A, "world");
	seg(&e, &fl, 0, 5001, 1012, A, "HELLO");
	seg(&e, &fl, 0, 5006, 1012, A, " WORLD");
	CHECK_DATA(&fs[0], MF_DIR_C2S, "hello world");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "HELLO WORLD");
	CHECK_EQ_INT(fs[0].first_frame[MF_DIR_C2S], 4);
	CHECK_EQ_INT(fs[0].last_frame[MF_DIR_S2C], 7);
	/* FIN from the server, then the client: closed at the second */
	seg(&e, &fl, 0, 5012, 1012, F | A, NULL);
	CHECK_EQ_INT(fs[0].closed, 0);
	seg(&e, &fl, 1, 1012, 5013, F | A, NULL);
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_FIN);
	CHECK_EQ_INT(fs[0].close_null_frame, 0);
	/* the last ACK and a late retransmission join the ended stream */
	seg(&e, &fl, 0, 5013, 1013, A, NULL);
	seg(&e, &fl, 1, 1007, 5013, A, "world");
	CHECK_EQ_INT(nfs, 1);
	CHECK_EQ_INT(mf_tcp_count(e.t), 1);
	CHECK_EQ_INT(e.ctx.st.tcp_streams, 1);
	CHECK_EQ_INT(e.nev, 0);
	CHECK_EQ_INT(mf_tcp_finish(e.t), 0);
	CHECK_EQ_INT(mf_tcp_count(e.t), 0);
	CHECK_EQ_INT(fs[0].closed, 1);            /* not closed twice */
	env_done(&e);
}

static void test_out_of_order(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	seg(&e, &fl, 1, 101, 901, A, "x");
	seg(&e, &fl, 0, 911, 102, A, "CCCCC");    /* 3rd */
	seg(&e, &fl, 0, 906, 102, A, "BBBBB");    /* 2nd */
	CHECK_EQ_INT(fs[0].n[MF_DIR_S2C], 0);
	CHECK_EQ_INT(e.ctx.st.tcp_ooo_segs, 2);
	CHECK_EQ_INT(e.ctx.st.tcp_buffered, 10);
	CHECK(mf_tcp_mem(e.t) > 10);
	seg(&e, &fl, 0, 901, 102, A, "AAAAA");    /* 1st: all three go */
	CHECK_DATA(&fs[0], MF_DIR_S2C, "AAAAABBBBBCCCCC");
	CHECK_EQ_INT(e.ctx.st.tcp_buffered, 0);
	CHECK_EQ_INT(mf_tcp_mem(e.t), 0);
	CHECK_EQ_INT(e.ctx.st.tcp_buffered_peak, 10);
	/* a segment overlapping a held one and filling past it */
	seg(&e, &fl, 0, 921, 102, A, "EEEEE");
	seg(&e, &fl, 0, 916, 102, A, "DDDDDEEEEEFFF");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "AAAAABBBBBCCCCCDDDDDEEEEEFFF");
	/* two held pieces with a hole between, then one segment over all */
	seg(&e, &fl, 0, 931, 102, A, "H");
	seg(&e, &fl, 0, 935, 102, A, "J");
	seg(&e, &fl, 0, 929, 102, A, "GGHHIIJKK");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "AAAAABBBBBCCCCCDDDDDEEEEEFFFGGHHIIJKK");
	CHECK_EQ_INT(e.nev, 0);
	CHECK_EQ_INT(mf_tcp_mem(e.t), 0);
	env_done(&e);
}

static void test_retransmit_same(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	seg(&e, &fl, 0, 901, 101, A, "abcdefgh");
	seg(&e, &fl, 0, 901, 101, A, "abcdefgh");     /* delivered: same bytes */
	seg(&e, &fl, 0, 905, 101, A, "efghijkl");     /* half old, half new */
	seg(&e, &fl, 0, 921, 101, A, "uvw");          /* held */
	seg(&e, &fl, 0, 921, 101, A, "uvw");          /* held: same bytes */
	seg(&e, &fl, 0, 913, 101, A, "mnopqrst");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "abcdefghijklmnopqrstuvw");
	CHECK_EQ_INT(e.ctx.st.tcp_dup_segs, 2);
	/* a keep-alive probe: one junk byte just before the next */
	seg(&e, &fl, 0, 923, 101, A, "\x00");
	seg(&e, &fl, 0, 923, 101, A, NULL);
	CHECK_EQ_INT(e.ctx.st.tcp_conflicts, 0);
	CHECK_EQ_INT(e.nev, 0);
	env_done(&e);
}

static void test_overlap_conflict(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);
	const struct mf_event *ev;

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	/* held first copy vs a different second one */
	seg(&e, &fl, 0, 911, 101, A, "ORIGINAL");
	seg(&e, &fl, 0, 911, 101, A, "ORIGXNAL");
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), 1);
	ev = find_reason(&e, "tcp_overlap_conflict", 0);
	CHECK(ev && strstr(str_of(ev, "detail"), "1 of 8 bytes differ from the copy held from frame 4"));
	CHECK(ev && strstr(str_of(ev, "detail"), "stream offset 10 (seq 911)"));
	CHECK(ev && num_of(ev, "net.sport") == 7777);          /* server to client */
	CHECK(ev && num_of(ev, "net.tcp_stream") == 0);
	CHECK(ev && num_of(ev, "evidence.frame") == 5);
	CHECK(ev && num_of(ev, "evidence.tcp_stream") == 0);
	CHECK_EQ_STR(ev ? ev->protocol : NULL, "tcp");
	/* the in-order segment overlapping the held one: first copy wins */
	seg(&e, &fl, 0, 901, 101, A, "0123456789oRIG");
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), 2);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "0123456789ORIGINAL");
	/* a retransmission of delivered bytes with other content */
	seg(&e, &fl, 0, 901, 101, A, "ABCDEFGHIJ");
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), 3);
	ev = find_reason(&e, "tcp_overlap_conflict", 2);
	CHECK(ev && strstr(str_of(ev, "detail"), "a retransmission server to client at stream "
	    "offset 0"));
	CHECK(ev && strstr(str_of(ev, "detail"), "sampled"));
	CHECK_DATA(&fs[0], MF_DIR_S2C, "0123456789ORIGINAL");
	CHECK_EQ_INT(e.ctx.st.tcp_conflicts, 3);
	/* more than MF_TCP_REPORT_MAX: one summary at the end */
	{
		int i;

		for (i = 0; i < 10; i++)
			seg(&e, &fl, 0, 901, 101, A, "zzzzzzzzzz");
	}
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), MF_TCP_REPORT_MAX);
	mf_tcp_finish(e.t);
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), MF_TCP_REPORT_MAX + 1);
	ev = find_reason(&e, "tcp_overlap_conflict", MF_TCP_REPORT_MAX);
	CHECK(ev && strstr(str_of(ev, "detail"), "5 more conflicting overlaps"));
	env_done(&e);
}

static void test_gaps(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777), ng = flow4(40001, 7778);
	const struct mf_event *ev, *d;

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	seg(&e, &fl, 0, 901, 101, A, "aaaa");
	seg(&e, &fl, 0, 911, 101, A, "cccc");          /* 905..910 never captured */
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 0);
	/* the client acknowledges past the hole: skip it now */
	seg(&e, &fl, 1, 101, 915, A, NULL);
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 6);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "aaaa|cccc");
	CHECK_EQ_INT(nreason(&e, "tcp_gap"), 1);
	ev = find_reason(&e, "tcp_gap", 0);
	CHECK(ev && strcmp(str_of(ev, "detail"), "6 bytes server to client missing at stream "
	    "offset 4 (seq 905): not in the capture, though the peer acknowledged them") == 0);
	CHECK_EQ_INT(e.ctx.st.tcp_gaps, 1);
	CHECK_EQ_INT(e.ctx.st.tcp_gap_bytes, 6);
	/* a hole still open at the end of input */
	seg(&e, &fl, 0, 925, 101, A, "eeee");
	mf_tcp_finish(e.t);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "aaaa|cccc|eeee");
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 16);
	CHECK_EQ_INT(fs[0].how, MF_END_EOF);
	CHECK_EQ_INT(fs[0].close_null_frame, 1);
	ev = find_reason(&e, "tcp_gap", 1);
	CHECK(ev && strstr(str_of(ev, "detail"), "10 bytes server to client missing at stream "
	    "offset 14 (seq 915): still missing when the stream ended"));
	env_done(&e);

	/* bytes before a FIN that never came */
	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	seg(&e, &fl, 1, 101, 901, A, "req");
	seg(&e, &fl, 1, 110, 901, F | A, NULL);        /* 104..109 missing */
	seg(&e, &fl, 0, 901, 111, F | A, "resp");
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_FIN);
	CHECK_DATA(&fs[0], MF_DIR_C2S, "req|");
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_C2S], 6);
	env_done(&e);

	/* a consumer without gap() ends there; the rest becomes data records */
	env_init(&e, fake_table);
	handshake(&e, &ng, 100, 900);
	seg(&e, &ng, 1, 101, 901, A, "GETX");
	seg(&e, &ng, 0, 901, 105, A, "part1");
	seg(&e, &ng, 0, 916, 105, A, "part3");
	seg(&e, &ng, 1, 105, 921, A, "more");          /* acks past the hole */
	CHECK_EQ_INT(nfs, 1);
	CHECK_EQ_STR(fs[0].proto, "nogap");
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_EVICTED);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "part1");
	CHECK_DATA(&fs[0], MF_DIR_C2S, "GETXmore");
	seg(&e, &ng, 1, 109, 921, A, "tail");
	mf_tcp_finish(e.t);
	d = find_data(&e, 0, "server_to_client");
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ_STR(d->protocol, "tcp");
		CHECK(num_of(d, "bytes") == 5);
		CHECK(num_of(d, "gap_bytes") == 10);
		CHECK_EQ_STR(str_of(d, "preview"), "part3");
		CHECK_EQ_STR(str_of(d, "after_protocol"), "nogap");
		CHECK_EQ_STR(str_of(d, "end"), "eof");
	}
	d = find_data(&e, 0, "client_to_server");
	CHECK(d && num_of(d, "bytes") == 4 && strcmp(str_of(d, "preview"), "tail") == 0);
	env_done(&e);
}

static void test_snaplen(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	/* in order: 3 of 8 bytes captured, the rest is a gap at once */
	segc(&e, &fl, 0, 901, 101, A, "abc", 3, 8);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "abc|");
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 5);
	/* out of order, cut too: held with its lost tail */
	segc(&e, &fl, 0, 919, 101, A, "xy", 2, 6);
	segc(&e, &fl, 0, 909, 101, A, "0123456789", 10, 10);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "abc|0123456789xy|");
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 9);
	CHECK_EQ_INT(nreason(&e, "tcp_gap"), 2);
	CHECK(strstr(str_of(find_reason(&e, "tcp_gap", 0), "detail"), "snapshot length") != NULL);
	seg(&e, &fl, 0, 925, 101, A, "next");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "abc|0123456789xy|next");
	env_done(&e);
}

static void test_syn_fin_rst(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 100, 900);
	/* a retransmitted SYN (same ISN) is not a new stream */
	seg(&e, &fl, 1, 100, 0, SY, NULL);
	seg(&e, &fl, 1, 101, 901, A, "one");
	seg(&e, &fl, 0, 901, 104, R | A, NULL);
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_RST);
	/* after the reset: ignored, same stream */
	seg(&e, &fl, 1, 104, 901, A, "late");
	CHECK_EQ_INT(nfs, 1);
	/* a SYN with a new ISN on the same 4-tuple: stream 1 */
	handshake(&e, &fl, 7000, 9000);
	seg(&e, &fl, 1, 7001, 9001, A, "two");
	CHECK_EQ_INT(nfs, 2);
	CHECK_EQ_INT(fs[1].stream_no, 1);
	CHECK_DATA(&fs[1], MF_DIR_C2S, "two");
	/* a new SYN while stream 1 is still open ends it (port reuse) */
	seg(&e, &fl, 1, 12345, 0, SY, NULL);
	CHECK_EQ_INT(fs[1].closed, 1);
	CHECK_EQ_INT(fs[1].how, MF_END_EVICTED);
	seg(&e, &fl, 1, 12346, 0, A, "three");
	CHECK_EQ_INT(nfs, 3);
	CHECK_EQ_INT(fs[2].stream_no, 2);
	CHECK_EQ_INT(e.ctx.st.tcp_streams, 3);
	CHECK_EQ_INT(mf_tcp_count(e.t), 1);
	/* another 4-tuple: stream 3; a SYN-ACK first makes its receiver the client */
	{
		struct tf g = flow4(40002, 7777);

		seg(&e, &g, 0, 500, 301, SY | A, NULL);
		seg(&e, &g, 0, 501, 301, A, "srv");
		CHECK_EQ_INT(nfs, 4);
		CHECK_EQ_INT(fs[3].stream_no, 3);
		CHECK_EQ_INT(fs[3].cport, 40002);
		CHECK_DATA(&fs[3], MF_DIR_S2C, "srv");
	}
	/* FIN first from the client with data still held from the server */
	{
		struct tf h = flow4(40003, 7777);

		handshake(&e, &h, 10, 20);
		seg(&e, &h, 1, 11, 21, F | A, "bye");
		seg(&e, &h, 0, 24, 15, F | A, "def");   /* "abc" not yet there */
		CHECK_EQ_INT(fs[4].closed, 0);
		seg(&e, &h, 0, 21, 15, A, "abc");
		CHECK_EQ_INT(fs[4].closed, 1);
		CHECK_EQ_INT(fs[4].how, MF_END_FIN);
		CHECK_DATA(&fs[4], MF_DIR_S2C, "abcdef");
		/* nothing after the FIN is delivered */
		CHECK_DATA(&fs[4], MF_DIR_C2S, "bye");
	}
	CHECK_EQ_INT(e.nev, 0);
	env_done(&e);
}

static void test_wrap(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777);

	env_init(&e, fake_table);
	handshake(&e, &fl, 0xfffffff8u, 0xfffffffau);
	seg(&e, &fl, 1, 0xfffffff9u, 0xfffffffbu, A, "0123");
	seg(&e, &fl, 1, 0xfffffffdu, 0xfffffffbu, A, "4567");   /* crosses 2^32 */
	seg(&e, &fl, 1, 0x00000001u, 0xfffffffbu, A, "89");
	/* server: out of order across the wrap */
	seg(&e, &fl, 0, 0x00000003u, 0x3, A, "DEF");
	seg(&e, &fl, 0, 0xfffffffbu, 0x3, A, "ABCDEFGH");            /* up to 0x02 */
	CHECK_DATA(&fs[0], MF_DIR_C2S, "0123456789");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "ABCDEFGHDEF");
	CHECK_EQ_INT(nreason(&e, "tcp_overlap_conflict"), 0);
	/* a retransmission from before the wrap is recognised as old */
	seg(&e, &fl, 1, 0xfffffff9u, 0x6, A, "0123");
	CHECK_DATA(&fs[0], MF_DIR_C2S, "0123456789");
	CHECK_EQ_INT(e.nev, 0);
	env_done(&e);
}

static void test_mid_stream(void)
{
	struct env e;
	struct tf fl = flow4(40000, 7777), lo = flow4(5000, 2000);

	env_init(&e, fake_table);
	/* first seen: the server's data (the table lists 7777) */
	seg(&e, &fl, 0, 123456, 99, A, "middle ");
	seg(&e, &fl, 1, 99, 123463, A, "ack+data");
	seg(&e, &fl, 0, 123463, 107, A, "of it");
	CHECK_EQ_INT(nfs, 1);
	CHECK_EQ_INT(fs[0].cport, 40000);
	CHECK_EQ_INT(fs[0].sport, 7777);
	CHECK_DATA(&fs[0], MF_DIR_S2C, "middle of it");
	CHECK_DATA(&fs[0], MF_DIR_C2S, "ack+data");
	/* bytes from before the first one seen are old */
	seg(&e, &fl, 0, 123400, 107, A, "0123456789");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "middle of it");
	/* neither port in the table: the lower port is the server's, even
	 * when the first packet comes from it */
	seg(&e, &lo, 0, 1, 1, A, "from 2000");
	CHECK_EQ_INT(nfs, 1);            /* the built-in consumer took it */
	mf_tcp_finish(e.t);
	{
		const struct mf_event *d = find_data(&e, 1, "server_to_client");

		CHECK(d && num_of(d, "net.sport") == 2000 && num_of(d, "net.dport") == 5000);
		CHECK(d && num_of(d, "bytes") == 9);
	}
	env_done(&e);
}

static void test_probe(void)
{
	struct env e;
	struct tf a = flow4(40000, 9000), b = flow4(40001, 9000), c = flow4(40002, 9000);
	char big[101];

	env_init(&e, fake_table);
	/* a few client bytes wait; the server's first bytes decide */
	handshake(&e, &a, 10, 20);
	seg(&e, &a, 1, 11, 21, A, "PRB!");
	seg(&e, &a, 1, 15, 21, A, "xy");
	CHECK_EQ_INT(nfs, 0);
	CHECK_EQ_INT(probe_calls, 0);
	seg(&e, &a, 0, 21, 17, A, "answer");
	CHECK_EQ_INT(probe_calls, 1);
	CHECK_EQ_INT(probe_last_n, 6);
	CHECK_EQ_INT(nfs, 1);
	CHECK_EQ_STR(fs[0].proto, "probed");
	CHECK_DATA(&fs[0], MF_DIR_C2S, "PRB!xy");
	CHECK_DATA(&fs[0], MF_DIR_S2C, "answer");
	CHECK_EQ_INT(fs[0].first_frame[MF_DIR_C2S], 5);   /* the last frame that added to them */
	/* 64 client bytes decide without the server */
	handshake(&e, &b, 10, 20);
	memset(big, 'q', 100);
	memcpy(big, "PRB!", 4);
	big[100] = 0;
	seg(&e, &b, 1, 11, 21, A, big);
	CHECK_EQ_INT(probe_last_n, MF_TCP_PROBE_MAX);
	CHECK_EQ_INT(nfs, 2);
	CHECK_DATA(&fs[1], MF_DIR_C2S, big);
	/* not accepted: the built-in consumer, which emits data records */
	handshake(&e, &c, 10, 20);
	seg(&e, &c, 1, 11, 21, A, "nope\\\x01\x7f");
	CHECK_EQ_INT(nfs, 2);
	mf_tcp_finish(e.t);
	{
		const struct mf_event *d = find_data(&e, 2, "client_to_server");

		CHECK(d != NULL);
		if (d) {
			CHECK_EQ_STR(str_of(d, "preview"), "nope\\\\\\x01\\x7f");
			CHECK(num_of(d, "bytes") == 7);
			CHECK_EQ_STR(str_of(d, "end"), "eof");
			CHECK(num_of(d, "evidence.frame") == 11);      /* its SYN */
			CHECK(num_of(d, "evidence.last_frame") == 14);
			CHECK(num_of(d, "evidence.tcp_stream") == 2);
			CHECK(num_of(d, "net.dport") == 9000);
			CHECK(cJSON_GetObjectItemCaseSensitive(d->body, "gap_bytes") == NULL);
		}
		CHECK(find_data(&e, 2, "server_to_client") == NULL);   /* nothing sent */
		CHECK_EQ_INT(nkind(&e, "data"), 1);
	}
	env_done(&e);
}

static void test_raw_records(void)
{
	struct env e;
	struct tf fl = flow4(40000, 8000);
	char big[200];
	const struct mf_event *d;

	env_init(&e, empty_table);
	handshake(&e, &fl, 10, 20);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	seg(&e, &fl, 0, 21, 11, A, big);
	seg(&e, &fl, 1, 11, 220, A, "hi");
	seg(&e, &fl, 0, 220, 13, F | A, NULL);
	seg(&e, &fl, 1, 13, 221, F | A, NULL);
	CHECK_EQ_INT(nkind(&e, "data"), 2);
	d = find_data(&e, 0, "server_to_client");
	CHECK(d != NULL);
	if (d) {
		char want[80];

		memset(want, 'a', 64);
		memcpy(want + 64, "...", 4);
		CHECK_EQ_STR(str_of(d, "preview"), want);
		CHECK(num_of(d, "bytes") == 199);
		CHECK_EQ_STR(str_of(d, "end"), "fin");
		CHECK_EQ_STR(d->source, "pcap");
		CHECK_EQ_STR(d->kind, "data");
		CHECK(d->ts_ns == T0 + S / 1000);              /* the stream's first frame */
		CHECK(num_of(d, "net.sport") == 8000);
		CHECK(num_of(d, "evidence.frame") == 1);
		CHECK(num_of(d, "evidence.last_frame") == 4);
	}
	d = find_data(&e, 0, "client_to_server");
	CHECK(d && strcmp(str_of(d, "preview"), "hi") == 0 && num_of(d, "net.dport") == 8000);
	env_done(&e);
}

static void test_caps(void)
{
	struct env e;
	struct tf a = flow4(40000, 7777), b = flow4(40001, 7777), c = flow4(40002, 7777);
	int i;

	/* per direction: the held bytes are given up for the new segment */
	env_init(&e, fake_table);
	e.ctx.lim.tcp_stream_max = 10;
	handshake(&e, &a, 10, 20);
	seg(&e, &a, 0, 31, 11, A, "cccccc");    /* hole 21..30 */
	seg(&e, &a, 0, 37, 11, A, "dddd");      /* 10 held */
	CHECK_EQ_INT(fs[0].n[MF_DIR_S2C], 0);
	seg(&e, &a, 0, 45, 11, A, "ff");        /* does not fit */
	CHECK_DATA(&fs[0], MF_DIR_S2C, "|ccccccdddd|ff");
	CHECK_EQ_INT(fs[0].gaps[MF_DIR_S2C], 14);
	CHECK(strstr(str_of(find_reason(&e, "tcp_gap", 0), "detail"), "tcp_stream_max") != NULL);
	CHECK_EQ_INT(mf_tcp_mem(e.t), 0);
	env_done(&e);

	/* all streams: the least recently active other stream is flushed */
	env_init(&e, fake_table);
	handshake(&e, &a, 10, 20);
	handshake(&e, &b, 10, 20);
	seg(&e, &a, 0, 31, 11, A, "AAAA");      /* held, a is older */
	{
		/* room for a, b and the big one only once a is gone */
		size_t ov = mf_tcp_mem(e.t) - 4;

		e.ctx.lim.tcp_mem_max = (4 + ov) + (259 + ov) + 10;
	}
	seg(&e, &b, 0, 31, 11, A, "BBBB");      /* held */
	CHECK_EQ_INT(e.ctx.st.tcp_buffered, 8);
	{
		char big[260];

		memset(big, 'C', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		seg(&e, &b, 0, 41, 11, A, big);     /* needs room: a goes */
	}
	CHECK_DATA(&fs[0], MF_DIR_S2C, "|AAAA");
	CHECK_EQ_INT(fs[1].n[MF_DIR_S2C], 0);  /* b still waits */
	CHECK(strstr(str_of(find_reason(&e, "tcp_gap", 0), "detail"), "tcp_mem_max") != NULL);
	CHECK(mf_tcp_mem(e.t) <= e.ctx.lim.tcp_mem_max);
	/* no other stream left to flush: b gives up its own hole */
	{
		char big[300];

		memset(big, 'D', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		seg(&e, &b, 0, 600, 11, A, big);
	}
	CHECK_EQ_INT(fs[1].gaps[MF_DIR_S2C] > 0, 1);
	CHECK(fs[1].n[MF_DIR_S2C] > 259 + 299);
	CHECK(mf_tcp_mem(e.t) <= e.ctx.lim.tcp_mem_max);
	env_done(&e);

	/* segments per direction */
	env_init(&e, fake_table);
	handshake(&e, &a, 10, 20);
	for (i = 0; i < MF_TCP_SEGS_MAX + 1; i++)
		segc(&e, &a, 0, 100 + 2 * (uint32_t)i, 11, A, "s", 1, 1);
	/* every held byte after a hole, then the new one after its hole */
	CHECK_EQ_INT(fs[0].n[MF_DIR_S2C], 2 * MF_TCP_SEGS_MAX + 2);
	CHECK(strstr(str_of(find_reason(&e, "tcp_gap", 0), "detail"), "MF_TCP_SEGS_MAX") != NULL);
	env_done(&e);

	/* streams: the least recently active one is evicted */
	env_init(&e, fake_table);
	e.ctx.lim.tcp_streams_max = 2;
	handshake(&e, &a, 10, 20);
	seg(&e, &a, 1, 11, 21, A, "a");
	handshake(&e, &b, 10, 20);              /* no payload */
	seg(&e, &a, 1, 12, 21, A, "b");         /* a is now the most recent */
	handshake(&e, &c, 10, 20);              /* evicts b: silently */
	CHECK_EQ_INT(mf_tcp_count(e.t), 2);
	CHECK_EQ_INT(nreason(&e, "tcp_stream_evicted"), 0);
	seg(&e, &c, 1, 11, 21, A, "c");
	seg(&e, &b, 1, 11, 21, A, "b again");   /* new stream 3, evicts a */
	CHECK_EQ_INT(nreason(&e, "tcp_stream_evicted"), 1);
	CHECK_EQ_INT(e.ctx.st.tcp_evicted, 1);
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_EVICTED);
	CHECK_DATA(&fs[0], MF_DIR_C2S, "ab");
	CHECK_EQ_INT(nfs, 3);
	CHECK_EQ_INT(fs[2].stream_no, 3);
	CHECK_EQ_INT(fs[2].how, 0);
	env_done(&e);
}

static void test_idle(void)
{
	struct env e;
	struct tf a = flow4(40000, 7777), b = flow4(40001, 7777);

	env_init(&e, fake_table);
	e.ctx.lim.tcp_idle_ns = 10 * S;
	handshake(&e, &a, 10, 20);
	seg(&e, &a, 1, 11, 21, A, "x");
	e.now += 5 * S;
	handshake(&e, &b, 10, 20);
	seg(&e, &b, 1, 11, 21, A, "y");
	CHECK_EQ_INT(mf_tcp_expire(e.t, e.now + 6 * S), 0);   /* a idle 11 s */
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(fs[0].how, MF_END_TIMEOUT);
	CHECK_EQ_INT(fs[1].closed, 0);
	CHECK_EQ_INT(mf_tcp_count(e.t), 1);
	/* a forgotten 4-tuple comes back as a new stream */
	e.now += 6 * S;
	seg(&e, &a, 1, 12, 21, A, "z");
	CHECK_EQ_INT(nfs, 3);
	CHECK_EQ_INT(fs[2].stream_no, 2);
	/* time going back does not expire anything */
	CHECK_EQ_INT(mf_tcp_expire(e.t, T0 - 100 * S), 0);
	CHECK_EQ_INT(mf_tcp_count(e.t), 2);
	env_done(&e);
	CHECK_EQ_INT(fs[1].closed, 1);        /* mf_tcp_free closes, silently */
}

/* Consumers that linger after their stream: kept until released, capped
 * (oldest finish first), timed out, finished at the end. */
static void test_linger(void)
{
	struct env e;
	struct tf a = flow4(41000, 7779), b = flow4(41001, 7779), c = flow4(41002, 7779),
	    d = flow4(41003, 7779);

	memset(released, 0, sizeof(released));
	memset(resumed, 0, sizeof(resumed));
	memset(finals, 0, sizeof(finals));
	env_init(&e, fake_table);
	e.ctx.lim.tcp_linger_max = 2;
	e.ctx.lim.tcp_linger_ns = 60 * S;
	handshake(&e, &a, 10, 20);
	seg(&e, &a, 1, 11, 21, A, "a");
	seg(&e, &a, 1, 12, 21, R, NULL);
	CHECK_EQ_INT(fs[0].closed, 1);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 1);
	handshake(&e, &b, 10, 20);
	seg(&e, &b, 1, 11, 21, A, "b");
	seg(&e, &b, 1, 12, 21, R, NULL);
	handshake(&e, &c, 10, 20);
	seg(&e, &c, 1, 11, 21, A, "c");
	seg(&e, &c, 1, 12, 21, R, NULL);
	/* the cap: the oldest (a) finished to make room */
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 2);
	CHECK_EQ_INT(finals[0], 1);
	CHECK_EQ_INT(finals[1] + finals[2], 0);
	/* a look that finds nothing new keeps them; a released one goes */
	mf_tcp_resume(e.t, 0);
	CHECK_EQ_INT(resumed[1], 1);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 2);
	released[2] = 1;
	mf_tcp_resume(e.t, 0);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 1);
	CHECK_EQ_INT(finals[2], 0);
	/* the time-out, in capture time */
	CHECK_EQ_INT(mf_tcp_expire(e.t, e.now + 30 * S), 0);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 1);
	CHECK_EQ_INT(mf_tcp_expire(e.t, e.now + 61 * S), 0);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 0);
	CHECK_EQ_INT(finals[1], 1);
	/* the end of input finishes those still waiting */
	e.now += 62 * S;
	handshake(&e, &d, 10, 20);
	seg(&e, &d, 1, 11, 21, A, "d");
	seg(&e, &d, 1, 12, 21, R, NULL);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 1);
	CHECK_EQ_INT(mf_tcp_finish(e.t), 0);
	CHECK_EQ_INT(mf_tcp_lingering(e.t), 0);
	CHECK_EQ_INT(finals[3], 1);
	env_done(&e);
}

/* ---- whole frames through the decoder ------------------------------------- */

static const struct mf_udp_proto *const no_udp[] = { NULL };

static size_t tcp_hdr(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack,
                      uint8_t flags, const char *data)
{
	size_t n = data ? strlen(data) : 0;

	memset(p, 0, 20);
	p[0] = (uint8_t)(sp >> 8), p[1] = (uint8_t)sp;
	p[2] = (uint8_t)(dp >> 8), p[3] = (uint8_t)dp;
	p[4] = (uint8_t)(seq >> 24), p[5] = (uint8_t)(seq >> 16), p[6] = (uint8_t)(seq >> 8);
	p[7] = (uint8_t)seq;
	p[8] = (uint8_t)(ack >> 24), p[9] = (uint8_t)(ack >> 16), p[10] = (uint8_t)(ack >> 8);
	p[11] = (uint8_t)ack;
	p[12] = 0x50;
	p[13] = flags;
	p[14] = 0xff;
	if (n)
		memcpy(p + 20, data, n);
	return 20 + n;
}

static int feed_raw(struct env *e, const uint8_t *b, size_t n)
{
	struct mf_frame f;

	memset(&f, 0, sizeof(f));
	f.data = b;
	f.caplen = (uint32_t)n;
	f.wirelen = (uint32_t)n;
	e->now += S / 1000;
	f.ts_ns = e->now;
	f.linktype = 101;   /* LINKTYPE_RAW */
	f.number = ++e->fno;
	f.input = &e->in;
	return mf_decode_frame(e->d, &f);
}

static size_t v6pkt(uint8_t *b, int c2s, uint16_t cp, uint32_t seq, uint32_t ack,
                    uint8_t flags, const char *data)
{
	static const uint8_t c[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t s[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	size_t n;

	memset(b, 0, 40);
	b[0] = 0x60;
	b[6] = 6;
	b[7] = 64;
	memcpy(b + 8, c2s ? c : s, 16);
	memcpy(b + 24, c2s ? s : c, 16);
	n = tcp_hdr(b + 40, c2s ? cp : 7000, c2s ? 7000 : cp, seq, ack, flags, data);
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	return 40 + n;
}

static size_t v4pkt(uint8_t *b, const uint8_t *l4, size_t n, uint16_t id, uint16_t frag)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + n) >> 8), b[3] = (uint8_t)(20 + n);
	b[4] = (uint8_t)(id >> 8), b[5] = (uint8_t)id;
	b[6] = (uint8_t)(frag >> 8), b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = 6;
	b[12] = 192, b[13] = 168, b[15] = 10;
	b[16] = 192, b[17] = 168, b[19] = 20;
	memcpy(b + 20, l4, n);
	return 20 + n;
}

static void test_decoder_frames(void)
{
	struct env e;
	uint8_t b[2048], l4[1600];
	const struct mf_event *d;
	size_t n;
	int i;

	env_init(&e, NULL);
	e.d = mf_decoder_new_table(&e.ctx, no_udp);
	CHECK(e.d != NULL);
	/* IPv6: handshake, data both ways, out of order, FIN both ways */
	n = v6pkt(b, 1, 50000, 10, 0, SY, NULL);
	feed_raw(&e, b, n);
	n = v6pkt(b, 0, 50000, 20, 11, SY | A, NULL);
	feed_raw(&e, b, n);
	n = v6pkt(b, 1, 50000, 11, 21, A, "hello\x01");
	feed_raw(&e, b, n);
	n = v6pkt(b, 0, 50000, 26, 17, A, "world");
	feed_raw(&e, b, n);
	n = v6pkt(b, 0, 50000, 21, 17, A, "12345");
	feed_raw(&e, b, n);
	n = v6pkt(b, 0, 50000, 31, 17, F | A, NULL);
	feed_raw(&e, b, n);
	n = v6pkt(b, 1, 50000, 17, 32, F | A, NULL);
	feed_raw(&e, b, n);
	CHECK_EQ_INT(e.ctx.st.tcp, 7);
	CHECK_EQ_INT(nkind(&e, "data"), 2);
	d = find_data(&e, 0, "server_to_client");
	CHECK(d != NULL);
	if (d) {
		cJSON *net = cJSON_GetObjectItemCaseSensitive(d->body, "net");

		CHECK(num_of(d, "bytes") == 10);
		CHECK_EQ_STR(str_of(d, "preview"), "12345world");
		CHECK_EQ_STR(cJSON_GetObjectItemCaseSensitive(net, "src")->valuestring, "2001:db8::2");
		CHECK_EQ_STR(cJSON_GetObjectItemCaseSensitive(net, "dst")->valuestring, "2001:db8::1");
		CHECK(num_of(d, "net.sport") == 7000);
		CHECK(num_of(d, "net.tcp_stream") == 0);
		CHECK(num_of(d, "evidence.frame") == 1);
		CHECK(num_of(d, "evidence.last_frame") == 5);
		CHECK_EQ_STR(str_of(d, "end"), "fin");
	}
	d = find_data(&e, 0, "client_to_server");
	CHECK(d && strcmp(str_of(d, "preview"), "hello\\x01") == 0);

	/* IPv4: a segment in three fragments (reverse order), then bad headers */
	n = tcp_hdr(l4, 50001, 7001, 1, 0, A, NULL);
	for (i = 0; i < 1200; i++)
		l4[n + (size_t)i] = (uint8_t)('a' + i % 26);
	n += 1200;
	for (i = 2; i >= 0; i--) {
		size_t off = (size_t)i * 408, len = i == 2 ? n - off : 408;
		uint8_t frag[600];

		memcpy(frag, l4 + off, len);
		feed_raw(&e, b, v4pkt(b, frag, len, 0x77, (uint16_t)((i < 2 ? 0x2000 : 0) | (off / 8))));
	}
	CHECK_EQ_INT(e.ctx.st.frag_reassembled, 1);
	n = tcp_hdr(l4, 1, 2, 0, 0, A, NULL);
	l4[12] = 0x40;                      /* data offset 4 */
	feed_raw(&e, b, v4pkt(b, l4, n, 1, 0));
	l4[12] = 0xf0;                      /* 60 bytes in a 20-byte payload */
	feed_raw(&e, b, v4pkt(b, l4, n, 2, 0));
	feed_raw(&e, b, v4pkt(b, l4, 12, 3, 0));
	CHECK_EQ_INT(nreason(&e, "tcp_bad_header"), 3);
	/* cut inside the TCP header by the snapshot length: one note */
	{
		struct mf_frame f;

		n = v4pkt(b, l4, 20, 4, 0);
		memset(&f, 0, sizeof(f));
		f.data = b;
		f.caplen = 30;
		f.wirelen = (uint32_t)n;
		f.linktype = 101;
		f.number = ++e.fno;
		f.input = &e.in;
		f.ts_ns = e.now;
		CHECK_EQ_INT(mf_decode_frame(e.d, &f), 0);
		CHECK_EQ_INT(mf_decode_frame(e.d, &f), 0);
		CHECK_EQ_INT(nreason(&e, "snaplen_short"), 1);
	}
	mf_decoder_finish(e.d, e.now);
	d = find_data(&e, 1, "client_to_server");
	CHECK(d && num_of(d, "bytes") == 1200);
	CHECK(d && strncmp(str_of(d, "preview"), "abcdefghijklmnopqrstuvwxyzab", 28) == 0);
	CHECK(d && strcmp(str_of(d, "end"), "eof") == 0);
	/* an unusable header with its first 16 bytes still numbers a stream,
	 * as in tshark: 1 -> 2 twice is stream 2 */
	CHECK_EQ_INT(e.ctx.st.tcp_streams, 3);
	env_done(&e);
}

int main(void)
{
	test_in_order();
	test_out_of_order();
	test_retransmit_same();
	test_overlap_conflict();
	test_gaps();
	test_snaplen();
	test_syn_fin_rst();
	test_wrap();
	test_mid_stream();
	test_probe();
	test_raw_records();
	test_caps();
	test_idle();
	test_linger();
	test_decoder_frames();
	return TEST_DONE();
}
