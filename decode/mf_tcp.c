/*
 * mf_tcp.c - TCP reassembly: the segments of both directions of a
 * connection become two in-order byte streams for the consumers of the
 * mf_tcp_protos[] table (mf_stream.h).  What it reports: mf_tcp.h.
 *
 * References: RFC 9293 (TCP): 3.1 header format, 3.4 sequence numbers
 * (32-bit, compared modulo 2^32), 3.5/3.6 opening and closing; Wireshark
 * epan/dissectors/packet-tcp.c for the stream index (tcp.stream: a new index
 * at the first packet of a 4-tuple, and at a SYN without ACK whose sequence
 * number differs from its side's "base_seq", which is the SYN's sequence
 * number, else the first sequence number seen minus 1, else the peer's first
 * acknowledgment minus 1); Suricata src/stream-tcp-reassemble.c for the
 * memcap and the "first copy wins" policy on overlaps.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Options (Data Offset - 5 words)     |   payload ...
 *
 * Data Offset counts 32-bit words (5..15); the payload is what the IP
 * length leaves after the header.  Checksums are not verified (captures on
 * the sending host carry whatever the offloading NIC had not filled in).
 *
 * Model.  Each direction numbers its bytes with a 64-bit stream offset: 0 is
 * the byte after the SYN, or the first byte seen when the SYN was not
 * captured.  A sequence number becomes an offset through its signed 32-bit
 * distance from the next expected byte, so wrap-around needs nothing
 * special.  A segment is then
 *   - in order (starts at the next expected byte): handed to the consumer
 *     straight from the frame, no copy (the bulk path);
 *   - ahead: copied into the direction's sorted list of segments, bounded by
 *     tcp_stream_max, MF_TCP_SEGS_MAX and tcp_mem_max (over all streams;
 *     the least recently active streams holding data are flushed first);
 *     when it does not fit, the direction is flushed up to it: what is held
 *     is delivered, the holes are reported as gaps, and the segment goes on
 *     in order;
 *   - behind: already delivered (a retransmission).  Delivered bytes are not
 *     kept, so it is compared with a fingerprint of the last FP_RING
 *     deliveries (FP_SAMPLES bytes each): a best-effort check.  Overlaps with
 *     held segments are compared byte for byte.  The first copy always wins.
 * A hole is skipped (reported as a gap) as soon as the peer acknowledges
 * bytes beyond it (they were sent and received, the capture missed them),
 * when a cap forces it, and when the stream ends.  Bytes cut by the
 * snapshot length are a gap at once.
 *
 * Life cycle: a 4-tuple is remembered from its first packet until it is idle
 * for tcp_idle_ns, evicted by tcp_streams_max, or the input ends; its stream
 * ends (consumer closed) at FIN from both sides (once the bytes before them
 * are in), RST, idle timeout, eviction, a SYN starting a new stream on it,
 * or the end of input.  Packets after the end join the ended stream (as in
 * tshark) and are ignored.  A header we cannot use (invalid, or cut by the
 * snapshot length) still numbers its stream when its first 16 bytes are
 * there, as in tshark.  The consumer is chosen at the first payload byte
 * (streams without payload open none): the first table entry listing the
 * server port, else the first whose probe() accepts the first client bytes
 * (up to MF_TCP_PROBE_MAX are held, or fewer when the server speaks first),
 * else the built-in "data" consumer below.  A consumer without gap() ends
 * (MF_END_EVICTED) at the first gap and the built-in one takes the rest
 * ("after_protocol").  One difference from tshark's numbering remains: a
 * 4-tuple silent for tcp_idle_ns (or evicted) is forgotten, and a new
 * number is given if it speaks again.
 */
#include "mf_tcp.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_http.h"
#include "mf_ip.h"
#include "mf_miio.h"
#include "mf_proto.h"
#include "mf_time.h"
#include "mf_tls.h"

/*
 * The TCP protocol table: a stream goes to the first entry whose ports[]
 * holds its server port, else to the first whose probe() accepts the first
 * client bytes, else to the built-in "data" consumer.  Adding a protocol is
 * one line here (its header included above), e.g. `&mf_proto_tls,`.
 */
const struct mf_stream_proto *const mf_tcp_protos[] = {
	&mf_proto_tls,                  /* ports 443, 8443; a ClientHello anywhere */
	&mf_proto_miio_tcp,             /* port 80 starting "21 31" (the ott link), else HTTP/1.x */
	&mf_proto_http1,                /* ports 80, 8080 */
	&mf_proto_http2,                /* cleartext HTTP/2: the client preface */
	NULL
};

#define FP_RING 8                /* deliveries remembered per direction */
#define FP_SAMPLES 8             /* bytes sampled from each */
#define CLAIMED_MAX (1u << 30)   /* a longer claimed payload is not believed */
#define BUCKETS_MIN 64u
#define BUCKETS_MAX (1u << 20)

#define WHY_SNAP "cut by the capture's snapshot length"
#define WHY_ACK "not in the capture, though the peer acknowledged them"
#define WHY_END "still missing when the stream ended"
#define WHY_FIN "sent before the FIN but not in the capture"
#define WHY_MEM "skipped to free out-of-order memory (tcp_mem_max) for other streams"

enum { C_OPEN, C_CLOSED };

/* Out-of-order bytes held for one direction: [off, off+len) captured, then
 * `lost` bytes cut by the snapshot length.  Extents never overlap. */
struct seg {
	struct seg *prev, *next;
	uint64_t off;
	uint64_t frame;          /* the frame that carried them */
	uint32_t len, lost;
	uint8_t data[];
};

#define SEG_OVERHEAD (sizeof(struct seg))

/* A delivered chunk, remembered to judge retransmissions of it. */
struct fp {
	uint64_t off, frame;
	uint32_t len;
	uint8_t s[FP_SAMPLES];
};

struct half {
	struct seg *head, *tail;  /* held segments, by offset */
	uint64_t next_off;        /* offset of the next byte expected */
	uint64_t fin_off;         /* offset of the FIN (with fin) */
	uint64_t bytes;           /* delivered */
	size_t buffered;          /* bytes held at head..tail */
	uint32_t nsegs;
	uint32_t seq0;            /* sequence number of offset 0 */
	uint32_t base_seq;        /* tshark's base_seq (stream numbering only) */
	uint8_t started, base_set, fin, done;
	uint8_t fp_next;
	uint32_t ngaps, nconflicts;            /* reported one by one */
	uint64_t xgaps, xgap_bytes, xconflicts; /* beyond MF_TCP_REPORT_MAX */
	struct fp fp[FP_RING];
};

struct conn {
	struct conn *hnext;               /* hash chain */
	struct conn *prev, *next;         /* all, least recently active first */
	struct conn *bprev, *bnext;       /* those holding out-of-order bytes, same order */
	struct mf_flow fl;                /* stable while the stream is open */
	struct half h[2];                 /* MF_DIR_C2S, MF_DIR_S2C */
	const struct mf_stream_proto *pr; /* the consumer, NULL until chosen */
	const struct mf_stream_proto *port_pr; /* the entry listing the server port */
	void *st;
	const char *after;                /* a consumer that gave up at a gap */
	struct mf_frame first, last;      /* copies without data */
	struct mf_frame probe_f;          /* the last frame that added to probe[] */
	int64_t last_ts;
	uint32_t hash;
	uint8_t state, in_blist, nprobe;
	uint8_t probe[MF_TCP_PROBE_MAX];
};

struct mf_tcp {
	struct mf_ctx *ctx;
	const struct mf_stream_proto *const *table;
	int probing;                      /* some entry has a probe() */
	struct conn **buckets;
	uint32_t mask;
	struct conn *head, *tail;         /* LRU */
	struct conn *bhead, *btail;       /* LRU of those holding bytes */
	struct conn *cache;               /* the last one looked up */
	size_t count;
	size_t mem;                       /* held bytes + SEG_OVERHEAD per segment */
	uint64_t next_stream;
	struct linger *lhead, *ltail;     /* ended, consumer still waiting; oldest first */
	size_t nlinger;
};

/* A consumer whose stream ended but which waits for a key (mf_stream.h). */
struct linger {
	const struct mf_stream_proto *pr;
	void *st;
	int64_t since;                    /* capture time of the stream's end */
	struct linger *next;
};

static const struct mf_stream_proto raw_proto;
static void linger_end(struct mf_tcp *t, struct linger *l, struct linger *prev);

/* ---- small helpers ------------------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint32_t seq_at(const struct half *h, uint64_t off)
{
	return h->seq0 + (uint32_t)off;
}

/* The offset of sequence number seq: its signed 32-bit distance from the
 * next expected byte.  Negative: before the first byte of the stream. */
static int64_t off_of(const struct half *h, uint32_t seq)
{
	return (int64_t)h->next_off + (int32_t)(seq - seq_at(h, h->next_off));
}

static uint64_t seg_end(const struct seg *s)
{
	return s->off + s->len + s->lost;
}

static void frame_keep(struct mf_frame *dst, const struct mf_frame *f)
{
	*dst = *f;
	dst->data = NULL;
	dst->caplen = 0;
}

static const char *source_of(const struct conn *c)
{
	return c->fl.input && c->fl.input->source ? c->fl.input->source : "pcap";
}

static const char *dir_name(int dir)
{
	return dir == MF_DIR_S2C ? "server to client" : "client to server";
}

static const char *end_name(int how)
{
	switch (how) {
	case MF_END_FIN: return "fin";
	case MF_END_RST: return "rst";
	case MF_END_TIMEOUT: return "timeout";
	case MF_END_EVICTED: return "evicted";
	default: return "eof";
	}
}

/* evidence {file, sha256?, frame, last_frame?, tcp_stream} */
static int add_evidence(struct mf_event *ev, const struct mf_frame *f, uint64_t last,
                        uint64_t stream)
{
	cJSON *e;

	if (mf_event_frame_evidence(ev, f) != 0 ||
	    !(e = cJSON_GetObjectItemCaseSensitive(ev->body, "evidence")))
		return MF_ERR_NOMEM;
	if (last)
		mf_json_u64(e, "last_frame", last);
	mf_json_u64(e, "tcp_stream", stream);
	return 0;
}

static int anomaly(struct mf_tcp *t, const struct conn *c, int dir, const struct mf_frame *f,
                   const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int anomaly(struct mf_tcp *t, const struct conn *c, int dir, const struct mf_frame *f,
                   const char *reason, const char *fmt, ...)
{
	struct mf_event *ev;
	char detail[320];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ev = mf_event_new(f->ts_ns, source_of(c), "tcp", "anomaly");
	if (!ev)
		return MF_ERR_NOMEM;
	if (mf_event_str(ev, "reason", reason) || mf_event_str(ev, "detail", detail) ||
	    mf_flow_add_net(ev, &c->fl, dir) || add_evidence(ev, f, 0, c->fl.stream_no)) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	rc = mf_emit(t->ctx, ev);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

/* ---- the built-in consumer: one "data" record per direction ------------- */

struct raw {
	const struct mf_flow *fl;
	const char *after;
	struct mf_frame first;
	uint64_t bytes[2], gaps[2], last[2];
	uint8_t npre[2];
	uint8_t pre[2][MF_TCP_PREVIEW];
};

static const struct conn *conn_of(const struct mf_flow *fl)
{
	return (const struct conn *)(const void *)((const char *)fl - offsetof(struct conn, fl));
}

/* Only ever opened by this file, on a conn's own flow. */
static void *raw_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	const struct conn *c = conn_of(fl);
	struct raw *r = calloc(1, sizeof(*r));

	(void)ctx;
	if (!r)
		return NULL;
	r->fl = fl;
	r->after = c->after;
	r->first = c->first;
	return r;
}

static int raw_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                    const struct mf_frame *f)
{
	struct raw *r = st;
	size_t k;

	(void)ctx;
	dir &= 1;
	if (r->npre[dir] < MF_TCP_PREVIEW) {
		k = MF_TCP_PREVIEW - r->npre[dir];
		if (k > n)
			k = n;
		memcpy(r->pre[dir] + r->npre[dir], p, k);
		r->npre[dir] = (uint8_t)(r->npre[dir] + k);
	}
	r->bytes[dir] += n;
	r->last[dir] = f->number;
	return 0;
}

static void raw_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                    const struct mf_frame *f)
{
	struct raw *r = st;

	(void)ctx;
	dir &= 1;
	r->gaps[dir] += missing;
	if (f && f->number > r->last[dir])
		r->last[dir] = f->number;
}

static int raw_record(struct raw *r, struct mf_ctx *ctx, int dir, int how)
{
	const struct conn *c = conn_of(r->fl);
	struct mf_event *ev;
	struct mf_buf pre;
	size_t n = r->npre[dir];
	int rc = MF_ERR_NOMEM;

	ev = mf_event_new(r->first.ts_ns, source_of(c), "tcp", "data");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_buf_init(&pre, 4 * MF_TCP_PREVIEW + 8);
	/* "..." when more bytes followed the preview */
	if (mf_escape_bytes(r->pre[dir], r->bytes[dir] > n ? n + 1 : n, n, &pre) != 0 ||
	    !mf_buf_cstr(&pre))
		goto out;
	if (mf_event_str(ev, "direction", dir ? "server_to_client" : "client_to_server"))
		goto out;
	mf_json_u64(ev->body, "bytes", r->bytes[dir]);
	if (mf_event_str(ev, "preview", mf_buf_cstr(&pre)))
		goto out;
	if (r->gaps[dir])
		mf_json_u64(ev->body, "gap_bytes", r->gaps[dir]);
	if (mf_event_str(ev, "end", end_name(how)) ||
	    (r->after && mf_event_str(ev, "after_protocol", r->after)) ||
	    mf_flow_add_net(ev, r->fl, dir) ||
	    add_evidence(ev, &r->first, r->last[dir], r->fl->stream_no))
		goto out;
	mf_buf_free(&pre);
	rc = mf_emit(ctx, ev);
	return rc == MF_ERR_NOMEM ? rc : 0;
out:
	mf_buf_free(&pre);
	mf_event_free(ev);
	return rc;
}

static int raw_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct raw *r = st;
	int dir;

	(void)f;
	for (dir = 0; dir < 2; dir++)
		if (r->bytes[dir] || r->gaps[dir])
			raw_record(r, ctx, dir, how);
	free(r);
	return 0;
}

static const struct mf_stream_proto raw_proto = {
	.name = "tcp", .ports = { 0 }, .probe = NULL, .open = raw_open, .data = raw_data,
	.gap = raw_gap, .close = raw_close,
};

/* ---- the consumer of a stream ------------------------------------------- */

static int choose(struct mf_tcp *t, struct conn *c)
{
	const struct mf_stream_proto *pr = c->port_pr;
	size_t i;
	int rc = 0;

	for (i = 0; !pr && c->nprobe && t->table[i]; i++)
		if (t->table[i]->probe && t->table[i]->probe(c->probe, c->nprobe) == 1)
			pr = t->table[i];
	if (!pr)
		pr = &raw_proto;
	if (!(c->st = pr->open(t->ctx, &c->fl)))
		return MF_ERR_NOMEM;
	c->pr = pr;
	if (c->nprobe) {
		rc = pr->data(c->st, t->ctx, MF_DIR_C2S, c->probe, c->nprobe, &c->probe_f);
		c->nprobe = 0;
	}
	return rc == MF_ERR_NOMEM ? rc : 0;
}

static unsigned sample_pos(uint32_t len, unsigned k)
{
	return len > 1 ? (unsigned)(((uint64_t)(len - 1) * k) / (FP_SAMPLES - 1)) : 0;
}

static void fp_record(struct half *h, const uint8_t *p, size_t n, uint64_t frame)
{
	struct fp *e = &h->fp[h->fp_next];
	unsigned k;

	h->fp_next = (uint8_t)((h->fp_next + 1) % FP_RING);
	e->off = h->next_off;
	e->frame = frame;
	e->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	for (k = 0; k < FP_SAMPLES; k++)
		e->s[k] = p[sample_pos(e->len, k)];
}

/* n >= 1 in-order bytes of one direction to its consumer (choosing it first;
 * the first client bytes wait in probe[] while a probe() may want them). */
static int deliver(struct mf_tcp *t, struct conn *c, int dir, const uint8_t *p, size_t n,
                   const struct mf_frame *f)
{
	struct half *h = &c->h[dir];
	int rc;

	fp_record(h, p, n, f->number);
	h->next_off += n;
	h->bytes += n;
	if (!c->pr) {
		if (dir == MF_DIR_C2S && !c->port_pr && t->probing) {
			size_t k = MF_TCP_PROBE_MAX - c->nprobe;

			if (k > n)
				k = n;
			memcpy(c->probe + c->nprobe, p, k);
			c->nprobe = (uint8_t)(c->nprobe + k);
			p += k;
			n -= k;
			frame_keep(&c->probe_f, f);
			if (c->nprobe < MF_TCP_PROBE_MAX)
				return 0;
		}
		if ((rc = choose(t, c)) != 0 || n == 0)
			return rc;
	}
	rc = c->pr->data(c->st, t->ctx, dir, p, n, f);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

/* Skips n bytes of one direction: reported (the first MF_TCP_REPORT_MAX one
 * by one), then the consumer's gap(); a consumer without one ends here and
 * the rest of the stream is shown as data. */
/* ---- consumers that outlive their stream ------------------------------- */

/* Closes a consumer; one that lingers (mf_stream.h) is kept, oldest first,
 * at most lim.tcp_linger_max of them. */
static void end_consumer(struct mf_tcp *t, const struct mf_stream_proto *pr, void *st, int how,
                         const struct mf_frame *f, int64_t now)
{
	struct linger *l;

	if (pr->close(st, t->ctx, how, f) != MF_STREAM_LINGER)
		return;
	if (!pr->resume)
		return;                 /* a consumer that cannot be resumed leaked: table bug */
	if (!(l = calloc(1, sizeof(*l)))) {
		pr->resume(st, t->ctx, 1);
		return;
	}
	l->pr = pr;
	l->st = st;
	l->since = now;
	if (t->ltail)
		t->ltail->next = l;
	else
		t->lhead = l;
	t->ltail = l;
	t->nlinger++;
	while (t->nlinger > t->ctx->lim.tcp_linger_max && t->lhead)
		linger_end(t, t->lhead, NULL);
}

/* Takes l out of the list (prev: the one before it, or NULL). */
static void linger_unlink(struct mf_tcp *t, struct linger *l, struct linger *prev)
{
	if (prev)
		prev->next = l->next;
	else
		t->lhead = l->next;
	if (t->ltail == l)
		t->ltail = prev;
	t->nlinger--;
}

/* Finishes the lingering consumer l. */
static void linger_end(struct mf_tcp *t, struct linger *l, struct linger *prev)
{
	linger_unlink(t, l, prev);
	(void)l->pr->resume(l->st, t->ctx, 1);
	free(l);
}

void mf_tcp_resume(struct mf_tcp *t, int final)
{
	struct linger *l, *prev = NULL, *next;

	for (l = t->lhead; l; l = next) {
		next = l->next;
		if (final) {
			linger_end(t, l, prev);   /* unlinks the head each time */
			continue;
		}
		if (l->pr->resume(l->st, t->ctx, 0) == MF_STREAM_LINGER) {
			prev = l;
			continue;
		}
		linger_unlink(t, l, prev);   /* it finished: st is freed */
		free(l);
	}
}

size_t mf_tcp_lingering(const struct mf_tcp *t)
{
	return t->nlinger;
}

static int gap(struct mf_tcp *t, struct conn *c, int dir, uint64_t n, const struct mf_frame *f,
               const char *why)
{
	struct half *h = &c->h[dir];
	uint64_t at = h->next_off;
	int rc = 0;

	if (n == 0)
		return 0;
	t->ctx->st.tcp_gaps++;
	t->ctx->st.tcp_gap_bytes += n;
	h->next_off += n;
	if (h->ngaps < MF_TCP_REPORT_MAX) {
		h->ngaps++;
		rc = anomaly(t, c, dir, f, "tcp_gap",
		    "%llu bytes %s missing at stream offset %llu (seq %u): %s", (unsigned long long)n,
		    dir_name(dir), (unsigned long long)at, seq_at(h, at), why);
		if (rc)
			return rc;
	} else {
		h->xgaps++;
		h->xgap_bytes += n;
	}
	if (!c->pr && (rc = choose(t, c)) != 0)
		return rc;
	if (!c->pr->gap) {
		end_consumer(t, c->pr, c->st, MF_END_EVICTED, f, f->ts_ns);
		c->after = c->pr->name;
		c->pr = NULL;
		if (!(c->st = raw_proto.open(t->ctx, &c->fl)))
			return MF_ERR_NOMEM;
		c->pr = &raw_proto;
	}
	c->pr->gap(c->st, t->ctx, dir, n, f);
	return 0;
}

/* what: "N of M bytes differ from the copy held from frame F" or the like */
static int conflict(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                    const char *kind, uint64_t off, const char *what)
{
	struct half *h = &c->h[dir];

	t->ctx->st.tcp_conflicts++;
	if (h->nconflicts >= MF_TCP_REPORT_MAX) {
		h->xconflicts++;
		return 0;
	}
	h->nconflicts++;
	return anomaly(t, c, dir, f, "tcp_overlap_conflict",
	    "%s %s at stream offset %llu (seq %u): %s; the first copy is kept", kind,
	    dir_name(dir), (unsigned long long)off, seq_at(h, off), what);
}

/* ---- held segments ------------------------------------------------------ */

static void blist_append(struct mf_tcp *t, struct conn *c)
{
	c->bprev = t->btail;
	c->bnext = NULL;
	if (t->btail)
		t->btail->bnext = c;
	else
		t->bhead = c;
	t->btail = c;
	c->in_blist = 1;
}

static void blist_remove(struct mf_tcp *t, struct conn *c)
{
	if (c->bprev)
		c->bprev->bnext = c->bnext;
	else
		t->bhead = c->bnext;
	if (c->bnext)
		c->bnext->bprev = c->bprev;
	else
		t->btail = c->bprev;
	c->bprev = c->bnext = NULL;
	c->in_blist = 0;
}

/* c belongs to the list of streams holding bytes exactly when it does. */
static void blist_update(struct mf_tcp *t, struct conn *c)
{
	int want = c->h[0].head || c->h[1].head;

	if (want && !c->in_blist)
		blist_append(t, c);
	else if (!want && c->in_blist)
		blist_remove(t, c);
}

static void seg_account(struct mf_tcp *t, struct half *h, const struct seg *s, int add)
{
	struct mf_stats *st = &t->ctx->st;

	if (add) {
		h->buffered += s->len;
		h->nsegs++;
		t->mem += s->len + SEG_OVERHEAD;
		st->tcp_buffered += s->len;
		if (st->tcp_buffered > st->tcp_buffered_peak)
			st->tcp_buffered_peak = st->tcp_buffered;
	} else {
		h->buffered -= s->len;
		h->nsegs--;
		t->mem -= s->len + SEG_OVERHEAD;
		st->tcp_buffered -= s->len;
	}
}

/* Delivers the first held segment, which starts at next_off. */
static int deliver_head(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f)
{
	struct half *h = &c->h[dir];
	struct seg *s = h->head;
	int rc = 0;

	h->head = s->next;
	if (h->head)
		h->head->prev = NULL;
	else
		h->tail = NULL;
	seg_account(t, h, s, 0);
	if (s->len)
		rc = deliver(t, c, dir, s->data, s->len, f);
	if (rc == 0 && s->lost)
		rc = gap(t, c, dir, s->lost, f, WHY_SNAP);
	free(s);
	return rc;
}

static int drain(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f)
{
	struct half *h = &c->h[dir];
	int rc = 0;

	while (rc == 0 && h->head && h->head->off == h->next_off)
		rc = deliver_head(t, c, dir, f);
	return rc;
}

/* Everything below target: held bytes delivered, holes reported as gaps. */
static int flush_to(struct mf_tcp *t, struct conn *c, int dir, uint64_t target,
                    const struct mf_frame *f, const char *why)
{
	struct half *h = &c->h[dir];
	int rc = 0;

	while (rc == 0 && h->head && h->head->off < target) {
		if (h->head->off > h->next_off)
			rc = gap(t, c, dir, h->head->off - h->next_off, f, why);
		if (rc == 0)
			rc = deliver_head(t, c, dir, f);
	}
	if (rc == 0 && h->next_off < target)
		rc = gap(t, c, dir, target - h->next_off, f, why);
	return rc;
}

static int flush_all(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                     const char *why)
{
	struct half *h = &c->h[dir];

	return h->tail ? flush_to(t, c, dir, seg_end(h->tail), f, why) : 0;
}

/* Frees out-of-order memory by flushing the least recently active other
 * streams until `need` more bytes fit under tcp_mem_max. */
static int make_room(struct mf_tcp *t, const struct conn *keep, size_t need)
{
	struct conn *o, *next;
	int rc;

	for (o = t->bhead; o && t->mem + need > t->ctx->lim.tcp_mem_max; o = next) {
		next = o->bnext;
		if (o == keep)
			continue;
		if ((rc = flush_all(t, o, MF_DIR_C2S, &o->last, WHY_MEM)) != 0 ||
		    (rc = flush_all(t, o, MF_DIR_S2C, &o->last, WHY_MEM)) != 0)
			return rc;
		blist_update(t, o);
	}
	return 0;
}

/* Room for a piece of n bytes?  0 yes, 1 no (*why says which cap), or an error. */
static int room(struct mf_tcp *t, struct conn *c, struct half *h, size_t n, const char **why)
{
	const struct mf_limits *lim = &t->ctx->lim;
	int rc;

	if (h->nsegs >= MF_TCP_SEGS_MAX) {
		*why = "out-of-order segments of this direction at their cap (MF_TCP_SEGS_MAX)";
		return 1;
	}
	if (n > lim->tcp_stream_max || h->buffered > lim->tcp_stream_max - n) {
		*why = "out-of-order bytes of this direction at their cap (tcp_stream_max)";
		return 1;
	}
	if (t->mem + n + SEG_OVERHEAD > lim->tcp_mem_max) {
		if ((rc = make_room(t, c, n + SEG_OVERHEAD)) != 0)
			return rc;
		if (t->mem + n + SEG_OVERHEAD > lim->tcp_mem_max) {
			*why = "out-of-order memory of all streams at its cap (tcp_mem_max)";
			return 1;
		}
	}
	return 0;
}

/* Compares the captured bytes [lo, hi) of a new segment (starting at off)
 * with held segment s; a difference is a conflict (s is kept). */
static int compare_held(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                        const struct seg *s, uint64_t off, const uint8_t *p, uint64_t lo,
                        uint64_t hi)
{
	uint64_t i, diff = 0;
	char what[128];

	hi = min_u64(hi, s->off + s->len);
	if (lo >= hi || memcmp(p + (lo - off), s->data + (lo - s->off), hi - lo) == 0)
		return 0;
	for (i = lo; i < hi; i++)
		diff += p[i - off] != s->data[i - s->off];
	snprintf(what, sizeof(what), "%llu of %llu bytes differ from the copy held from frame %llu",
	    (unsigned long long)diff, (unsigned long long)(hi - lo), (unsigned long long)s->frame);
	return conflict(t, c, dir, f, "an overlapping segment", lo, what);
}

/* A segment starting at the next expected byte: its bytes go straight to the
 * consumer, except where a held segment was there first. */
static int in_order(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                    const uint8_t *p, size_t len, size_t claimed)
{
	struct half *h = &c->h[dir];
	uint64_t start = h->next_off, cap_end = start + len, end = start + claimed;
	int rc = 0;

	while (rc == 0 && h->next_off < end) {
		struct seg *s = h->head;
		uint64_t pos = h->next_off, lim, upto;

		if (s && s->off <= pos) {
			rc = compare_held(t, c, dir, f, s, start, p, pos, min_u64(cap_end, end));
			if (rc == 0)
				rc = deliver_head(t, c, dir, f);
			continue;
		}
		lim = s && s->off < end ? s->off : end;
		upto = min_u64(lim, cap_end);
		if (pos < upto)
			rc = deliver(t, c, dir, p + (pos - start), (size_t)(upto - pos), f);
		if (rc == 0 && h->next_off < lim)
			rc = gap(t, c, dir, lim - h->next_off, f, WHY_SNAP);
	}
	return rc ? rc : drain(t, c, dir, f);
}

/* A segment beyond the next expected byte: its new parts are held.
 * Returns 0, 1 when a cap left no room (*why), or an error. */
static int ahead(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                 uint64_t off, const uint8_t *p, size_t len, size_t claimed, const char **why)
{
	struct half *h = &c->h[dir];
	uint64_t pos = off, cap_end = off + len, end = off + claimed;
	struct seg *n = h->tail, *s;
	int rc, added = 0;

	/* n: the first held segment ending after off (NULL: none, append),
	 * looked for from the nearer end */
	if (!n || seg_end(n) <= off) {
		n = NULL;
	} else if (off <= h->head->off || off - h->head->off < seg_end(n) - off) {
		n = h->head;
		while (seg_end(n) <= off)
			n = n->next;
	} else {
		while (n->prev && seg_end(n->prev) > off)
			n = n->prev;
	}
	while (pos < end) {
		uint64_t lim, dlen;

		if (n && n->off <= pos) {
			if ((rc = compare_held(t, c, dir, f, n, off, p, pos, min_u64(cap_end, end))) != 0)
				return rc;
			pos = min_u64(seg_end(n), end);
			n = n->next;
			continue;
		}
		lim = n && n->off < end ? n->off : end;
		dlen = pos < cap_end ? min_u64(lim, cap_end) - pos : 0;
		if ((rc = room(t, c, h, (size_t)dlen, why)) != 0)
			return rc;
		if (!(s = malloc(sizeof(*s) + (size_t)dlen)))
			return MF_ERR_NOMEM;
		s->off = pos;
		s->frame = f->number;
		s->len = (uint32_t)dlen;
		s->lost = (uint32_t)(lim - pos - dlen);
		if (dlen)
			memcpy(s->data, p + (pos - off), (size_t)dlen);
		/* insert before n, or append */
		s->next = n;
		s->prev = n ? n->prev : h->tail;
		if (s->prev)
			s->prev->next = s;
		else
			h->head = s;
		if (n)
			n->prev = s;
		else
			h->tail = s;
		seg_account(t, h, s, 1);
		added = 1;
		pos = lim;
	}
	if (added)
		t->ctx->st.tcp_ooo_segs++;
	else
		t->ctx->st.tcp_dup_segs++;
	blist_update(t, c);
	return 0;
}

/* Payload of one segment: seq is the sequence number of its first byte. */
static int seg_data(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f,
                    uint32_t seq, const uint8_t *p, size_t len, size_t claimed)
{
	struct half *h = &c->h[dir];
	int64_t off = off_of(h, seq), end = off + (int64_t)claimed;
	const char *why = NULL;
	int rc, again = 0;

	if (h->fin && end > (int64_t)h->fin_off) {
		/* nothing is sent after a FIN */
		if (off >= (int64_t)h->fin_off)
			return 0;
		claimed = (size_t)((int64_t)h->fin_off - off);
		if (len > claimed)
			len = claimed;
		end = (int64_t)h->fin_off;
	}
retry:
	if (off < (int64_t)h->next_off) {
		/* behind: compare what was delivered (a keep-alive probe, one
		 * byte just before the next, carries junk: not compared) */
		int64_t lo = off < 0 ? 0 : off;
		int64_t hi = off + (int64_t)len < (int64_t)h->next_off ? off + (int64_t)len
		                                                          : (int64_t)h->next_off;
		int keepalive = claimed <= 1 && off + 1 == (int64_t)h->next_off;
		unsigned i, k;

		for (i = 0; !keepalive && lo < hi && i < FP_RING; i++) {
			const struct fp *e = &h->fp[i];

			for (k = 0; k < FP_SAMPLES && e->len; k++) {
				int64_t at = (int64_t)(e->off + sample_pos(e->len, k));

				if (at >= lo && at < hi && p[at - off] != e->s[k]) {
					char what[128];

					snprintf(what, sizeof(what), "%lld bytes differ from the copy "
					    "delivered from frame %llu (compared on sampled bytes)",
					    (long long)(hi - lo), (unsigned long long)e->frame);
					if ((rc = conflict(t, c, dir, f, "a retransmission", (uint64_t)lo,
					    what)) != 0)
						return rc;
					i = FP_RING;
					break;
				}
			}
		}
		if (end <= (int64_t)h->next_off) {
			t->ctx->st.tcp_dup_segs++;
			return 0;
		}
		{
			uint64_t skip = (uint64_t)((int64_t)h->next_off - off);
			size_t dskip = skip < len ? (size_t)skip : len;

			p += dskip;
			len -= dskip;
			claimed -= (size_t)skip;
			off = (int64_t)h->next_off;
		}
	}
	if (off == (int64_t)h->next_off)
		return in_order(t, c, dir, f, p, len, claimed);
	rc = ahead(t, c, dir, f, (uint64_t)off, p, len, claimed, &why);
	if (rc <= 0 || again)
		return rc < 0 ? rc : 0;
	/* no room: give up waiting for the bytes before it */
	if ((rc = flush_to(t, c, dir, (uint64_t)off, f, why)) != 0)
		return rc;
	again = 1;
	goto retry;
}

/* ---- streams ------------------------------------------------------------ */

static uint32_t ep_hash(const uint8_t *a, uint8_t al, uint16_t port)
{
	uint32_t h = 2166136261u;
	uint8_t i;

	for (i = 0; i < al; i++)
		h = (h ^ a[i]) * 16777619u;
	h = (h ^ (port & 0xffu)) * 16777619u;
	return (h ^ (uint32_t)(port >> 8)) * 16777619u;
}

static uint32_t tuple_hash(const struct mf_tcp_seg *s)
{
	uint32_t x = ep_hash(s->src, s->addr_len, s->sport) + ep_hash(s->dst, s->addr_len, s->dport);

	x ^= x >> 16;
	x *= 0x7feb352du;
	return x ^ (x >> 15);
}

static int match(const struct conn *c, const struct mf_tcp_seg *s, int *dir)
{
	const struct mf_flow *fl = &c->fl;

	if (fl->addr_len != s->addr_len)
		return 0;
	if (s->sport == fl->cport && s->dport == fl->sport &&
	    memcmp(s->src, fl->cli, fl->addr_len) == 0 && memcmp(s->dst, fl->srv, fl->addr_len) == 0) {
		*dir = MF_DIR_C2S;
		return 1;
	}
	if (s->sport == fl->sport && s->dport == fl->cport &&
	    memcmp(s->src, fl->srv, fl->addr_len) == 0 && memcmp(s->dst, fl->cli, fl->addr_len) == 0) {
		*dir = MF_DIR_S2C;
		return 1;
	}
	return 0;
}

static const struct mf_stream_proto *port_proto(const struct mf_tcp *t, uint16_t port)
{
	size_t i, k;

	for (i = 0; t->table[i]; i++)
		for (k = 0; k < sizeof(t->table[i]->ports) / sizeof(t->table[i]->ports[0]) &&
		     t->table[i]->ports[k]; k++)
			if (t->table[i]->ports[k] == port)
				return t->table[i];
	return NULL;
}

/* A new stream on c (fresh or reused): the client is the SYN's sender, the
 * SYN-ACK's receiver, else the peer of a port in the table, else of the
 * lower port. */
static void conn_init(struct mf_tcp *t, struct conn *c, const struct mf_frame *f,
                      const struct mf_tcp_seg *s)
{
	struct mf_flow *fl = &c->fl;
	struct mf_pkt pk;
	int src_is_client;
	uint8_t al = s->addr_len;

	if ((s->flags & (MF_TCP_SYN | MF_TCP_ACK)) == MF_TCP_SYN)
		src_is_client = 1;
	else if ((s->flags & (MF_TCP_SYN | MF_TCP_ACK)) == (MF_TCP_SYN | MF_TCP_ACK))
		src_is_client = 0;
	else if (!port_proto(t, s->sport) != !port_proto(t, s->dport))
		src_is_client = port_proto(t, s->dport) != NULL;
	else if (s->sport != s->dport)
		src_is_client = s->dport < s->sport;
	else
		src_is_client = 1;

	memset(c->h, 0, sizeof(c->h));
	memset(fl, 0, sizeof(*fl));
	fl->input = f->input;
	fl->stream_no = t->next_stream++;
	fl->addr_len = al;
	memcpy(fl->cli, src_is_client ? s->src : s->dst, al);
	memcpy(fl->srv, src_is_client ? s->dst : s->src, al);
	fl->cport = src_is_client ? s->sport : s->dport;
	fl->sport = src_is_client ? s->dport : s->sport;
	memset(&pk, 0, sizeof(pk));
	pk.addr_len = al;
	memcpy(pk.src, fl->cli, al);
	memcpy(pk.dst, fl->srv, al);
	pk.sport = fl->cport;
	pk.dport = fl->sport;
	pk.ipproto = 6;
	mf_community_id(&pk, fl->community_id);
	c->pr = NULL;
	c->st = NULL;
	c->port_pr = port_proto(t, fl->sport);
	c->after = NULL;
	c->nprobe = 0;
	c->state = C_OPEN;
	frame_keep(&c->first, f);
	frame_keep(&c->last, f);
	c->last_ts = f->ts_ns;
	t->ctx->st.tcp_streams++;
}

static void seg_free_all(struct mf_tcp *t, struct conn *c)
{
	int dir;

	for (dir = 0; dir < 2; dir++) {
		struct half *h = &c->h[dir];
		struct seg *s;

		while ((s = h->head)) {
			h->head = s->next;
			seg_account(t, h, s, 0);
			free(s);
		}
		h->tail = NULL;
	}
	blist_update(t, c);
}

static int summary(struct mf_tcp *t, struct conn *c, int dir, const struct mf_frame *f)
{
	struct half *h = &c->h[dir];
	int rc = 0;

	if (h->xgaps)
		rc = anomaly(t, c, dir, f, "tcp_gap",
		    "%llu more gaps %s (%llu bytes in all), not reported one by one",
		    (unsigned long long)h->xgaps, dir_name(dir), (unsigned long long)h->xgap_bytes);
	if (rc == 0 && h->xconflicts)
		rc = anomaly(t, c, dir, f, "tcp_overlap_conflict",
		    "%llu more conflicting overlaps %s, not reported one by one",
		    (unsigned long long)h->xconflicts, dir_name(dir));
	return rc;
}

/* Ends the stream of c: what is held is delivered (holes as gaps), the
 * consumer is closed.  f: the frame that ended it, NULL at the end of input. */
static int conn_end(struct mf_tcp *t, struct conn *c, int how, const struct mf_frame *f)
{
	const struct mf_frame *ef = f ? f : &c->last;
	int dir, rc = 0, r;

	if (c->state != C_OPEN)
		return 0;
	for (dir = 0; dir < 2 && rc == 0; dir++) {
		struct half *h = &c->h[dir];

		rc = flush_all(t, c, dir, ef, WHY_END);
		if (rc == 0 && h->fin && h->next_off < h->fin_off)
			rc = gap(t, c, dir, h->fin_off - h->next_off, ef, WHY_FIN);
	}
	if (rc == 0 && !c->pr && c->nprobe)
		rc = choose(t, c);
	c->state = C_CLOSED;
	if (c->pr) {
		end_consumer(t, c->pr, c->st, how, f, ef->ts_ns);
		c->pr = NULL;
		c->st = NULL;
	}
	for (dir = 0; dir < 2; dir++)
		if ((r = summary(t, c, dir, ef)) != 0 && rc == 0)
			rc = r;
	seg_free_all(t, c);
	return rc;
}

static void lru_unlink(struct mf_tcp *t, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_append(struct mf_tcp *t, struct conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

/* Removes an ended c from every list and frees it. */
static void forget(struct mf_tcp *t, struct conn *c)
{
	struct conn **pp = &t->buckets[c->hash & t->mask];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(t, c);
	seg_free_all(t, c);
	if (t->cache == c)
		t->cache = NULL;
	t->count--;
	free(c);
}

static int evict(struct mf_tcp *t, struct conn *c)
{
	int rc = 0, r;

	if (c->state == C_OPEN &&
	    (c->h[0].bytes || c->h[1].bytes || c->h[0].head || c->h[1].head || c->nprobe)) {
		t->ctx->st.tcp_evicted++;
		rc = anomaly(t, c, MF_DIR_C2S, &c->last, "tcp_stream_evicted",
		    "%zu TCP streams held (tcp_streams_max): the least recently active one ends "
		    "early", t->count);
	}
	r = conn_end(t, c, MF_END_EVICTED, &c->last);
	forget(t, c);
	return rc ? rc : r;
}

static int conn_new(struct mf_tcp *t, const struct mf_frame *f, const struct mf_tcp_seg *s,
                    uint32_t hash, struct conn **out)
{
	size_t max = t->ctx->lim.tcp_streams_max ? t->ctx->lim.tcp_streams_max : 1;
	struct conn *c;
	int rc;

	*out = NULL;
	while (t->count >= max && t->head)
		if ((rc = evict(t, t->head)) != 0)
			return rc;
	if (!(c = calloc(1, sizeof(*c))))
		return MF_ERR_NOMEM;
	conn_init(t, c, f, s);
	c->hash = hash;
	c->hnext = t->buckets[hash & t->mask];
	t->buckets[hash & t->mask] = c;
	lru_append(t, c);
	t->count++;
	*out = c;
	return 0;
}

static void touch(struct mf_tcp *t, struct conn *c, const struct mf_frame *f)
{
	frame_keep(&c->last, f);
	if (f->ts_ns != MF_TIME_NONE)
		c->last_ts = f->ts_ns;
	if (t->tail != c) {
		lru_unlink(t, c);
		lru_append(t, c);
	}
	if (c->in_blist && t->btail != c) {
		blist_remove(t, c);
		blist_append(t, c);
	}
}

/* The peer acknowledged bytes of direction r beyond a hole: the capture
 * missed them, skip them now rather than wait. */
static int ack_flush(struct mf_tcp *t, struct conn *c, int rdir, uint32_t ack,
                     const struct mf_frame *f)
{
	struct half *r = &c->h[rdir];
	int64_t a = off_of(r, ack);
	uint64_t lim = r->tail ? seg_end(r->tail) : r->next_off;
	int rc;

	if (r->fin && r->fin_off > lim)
		lim = r->fin_off;
	if (a <= (int64_t)r->next_off || lim <= r->next_off)
		return 0;
	if ((rc = flush_to(t, c, rdir, min_u64((uint64_t)a, lim), f, WHY_ACK)) != 0)
		return rc;
	return drain(t, c, rdir, f);
}

/* number_only: a header we cannot use (invalid, or cut before its end)
 * still gets its stream number, as in tshark, and nothing else. */
static int segment(struct mf_tcp *t, const struct mf_frame *f, const struct mf_tcp_seg *s,
                   int number_only)
{
	struct conn *c = NULL;
	struct half *h, *r;
	size_t len = s->len, claimed = s->claimed;
	int dir = MF_DIR_C2S, rc = 0, syn = (s->flags & MF_TCP_SYN) != 0;
	int ack = (s->flags & MF_TCP_ACK) != 0;
	uint32_t hash = 0, dseq;

	if (s->addr_len != 4 && s->addr_len != 16)
		return 0;
	if (len > CLAIMED_MAX)
		len = CLAIMED_MAX;
	if (claimed < len || claimed > CLAIMED_MAX)
		claimed = len;

	if (!(t->cache && match(t->cache, s, &dir))) {
		hash = tuple_hash(s);
		for (c = t->buckets[hash & t->mask]; c; c = c->hnext)
			if (c->hash == hash && match(c, s, &dir))
				break;
		if (!c) {
			if ((rc = conn_new(t, f, s, hash, &c)) != 0)
				return rc;
			match(c, s, &dir);
		}
		t->cache = c;
	} else {
		c = t->cache;
	}
	if (syn && !ack && c->h[dir].base_set && s->seq != c->h[dir].base_seq) {
		/* a SYN with another initial sequence number: a new stream on
		 * the same 4-tuple (tshark's "TCP port numbers reused") */
		rc = conn_end(t, c, MF_END_EVICTED, f);
		conn_init(t, c, f, s);
		match(c, s, &dir);
		if (rc)
			return rc;
	}
	touch(t, c, f);
	if (number_only)
		return 0;
	h = &c->h[dir];
	r = &c->h[!dir];
	if (!h->base_set) {
		h->base_seq = syn ? s->seq : s->seq - 1;
		h->base_set = 1;
	}
	if (ack && !r->base_set) {
		r->base_seq = s->ack - 1;
		r->base_set = 1;
	}
	if (c->state != C_OPEN)
		return 0;
	if (s->flags & MF_TCP_RST)
		return conn_end(t, c, MF_END_RST, f);

	dseq = syn ? s->seq + 1 : s->seq;
	if (!h->started) {
		h->started = 1;
		h->seq0 = dseq;
	}
	if (claimed)
		rc = seg_data(t, c, dir, f, dseq, s->data, len, claimed);
	if (rc == 0 && ack && r->started && (r->head || (r->fin && r->next_off < r->fin_off)))
		rc = ack_flush(t, c, !dir, s->ack, f);
	if (rc == 0 && (s->flags & MF_TCP_FIN) && !h->fin) {
		int64_t fo = off_of(h, dseq + (uint32_t)claimed);

		h->fin = 1;
		h->fin_off = fo > (int64_t)h->next_off ? (uint64_t)fo : h->next_off;
	}
	blist_update(t, c);
	if (rc)
		return rc;
	for (dir = 0; dir < 2; dir++)
		if (c->h[dir].fin && c->h[dir].next_off >= c->h[dir].fin_off)
			c->h[dir].done = 1;
	if (c->h[0].done && c->h[1].done)
		return conn_end(t, c, MF_END_FIN, f);
	return 0;
}

int mf_tcp_segment(struct mf_tcp *t, const struct mf_frame *f, const struct mf_tcp_seg *s)
{
	return segment(t, f, s, 0);
}

/* The first 16 bytes of a header (ports to window) are enough for a stream
 * number. */
static int number_only(struct mf_tcp *t, const struct mf_frame *f, const struct mf_ip *ip)
{
	struct mf_tcp_seg s;

	if (ip->pl_len < 16)
		return 0;
	memset(&s, 0, sizeof(s));
	s.addr_len = ip->addr_len;
	s.src = ip->src;
	s.dst = ip->dst;
	s.sport = mf_be16(ip->pl);
	s.dport = mf_be16(ip->pl + 2);
	s.seq = mf_be32(ip->pl + 4);
	s.ack = mf_be32(ip->pl + 8);
	s.flags = (uint8_t)(ip->pl[13] & 0x3f);
	return segment(t, f, &s, 1);
}

static int bad_header(struct mf_tcp *t, const struct mf_frame *f, const struct mf_ip *ip,
                      size_t hlen)
{
	const char *src = f->input && f->input->source ? f->input->source : "pcap";
	char a[46], b[46];
	int rc;

	if ((rc = number_only(t, f, ip)) != 0)
		return rc;
	mf_addr_str(ip->src, ip->addr_len, a);
	mf_addr_str(ip->dst, ip->addr_len, b);
	if (ip->pl_claimed < 20)
		rc = mf_anomaly_frame(t->ctx, f, src, "tcp", "tcp_bad_header",
		    "%s -> %s: an IP payload of %zu bytes cannot hold a TCP header", a, b,
		    ip->pl_claimed);
	else
		rc = mf_anomaly_frame(t->ctx, f, src, "tcp", "tcp_bad_header",
		    "%s:%u -> %s:%u: header of %zu bytes (data offset %zu) in an IP payload of %zu "
		    "bytes", a, mf_be16(ip->pl), b, mf_be16(ip->pl + 2), hlen, hlen / 4,
		    ip->pl_claimed);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

int mf_tcp_packet(struct mf_tcp *t, const struct mf_frame *f, const struct mf_ip *ip)
{
	struct mf_tcp_seg s;
	struct mf_cur cur;
	uint16_t offflags;
	size_t hlen;

	if (ip->pl_claimed < 20)
		return bad_header(t, f, ip, 0);
	if (ip->pl_len < 20)
		return number_only(t, f, ip) ? MF_ERR_NOMEM : MF_TCP_SHORT;
	memset(&s, 0, sizeof(s));
	mf_cur_init(&cur, ip->pl, ip->pl_len);
	s.sport = mf_cur_be16(&cur);
	s.dport = mf_cur_be16(&cur);
	s.seq = mf_cur_be32(&cur);
	s.ack = mf_cur_be32(&cur);
	offflags = mf_cur_be16(&cur);
	hlen = (size_t)(offflags >> 12) * 4;
	s.flags = (uint8_t)(offflags & 0x3f);
	if (hlen < 20 || hlen > ip->pl_claimed)
		return bad_header(t, f, ip, hlen);
	if (hlen > ip->pl_len)
		return number_only(t, f, ip) ? MF_ERR_NOMEM : MF_TCP_SHORT;
	s.addr_len = ip->addr_len;
	s.src = ip->src;
	s.dst = ip->dst;
	s.data = ip->pl + hlen;
	s.len = ip->pl_len - hlen;
	s.claimed = ip->pl_claimed - hlen;
	return mf_tcp_segment(t, f, &s);
}

int mf_tcp_expire(struct mf_tcp *t, int64_t now)
{
	int64_t idle = t->ctx->lim.tcp_idle_ns;
	struct conn *c;
	int rc = 0, r;

	if (now == MF_TIME_NONE)
		return 0;
	/* a key that has not come within tcp_linger_ns will not come */
	while (t->lhead && t->lhead->since != MF_TIME_NONE && now >= t->lhead->since &&
	    (uint64_t)now - (uint64_t)t->lhead->since > (uint64_t)t->ctx->lim.tcp_linger_ns)
		linger_end(t, t->lhead, NULL);
	if (idle <= 0)
		return 0;
	while ((c = t->head) != NULL) {
		if (c->last_ts == MF_TIME_NONE || now < c->last_ts ||
		    (uint64_t)now - (uint64_t)c->last_ts <= (uint64_t)idle)
			break;
		if ((r = conn_end(t, c, MF_END_TIMEOUT, &c->last)) != 0 && rc == 0)
			rc = r;
		forget(t, c);
	}
	return rc;
}

static int by_stream(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	return x->fl.stream_no < y->fl.stream_no ? -1 : x->fl.stream_no > y->fl.stream_no;
}

int mf_tcp_finish(struct mf_tcp *t)
{
	struct conn **v, *c;
	size_t n = 0, i;
	int rc = 0, r;

	/* in stream order, for a readable output; LRU order if that cannot
	 * be allocated */
	v = t->count ? malloc(t->count * sizeof(*v)) : NULL;
	if (v) {
		for (c = t->head; c; c = c->next)
			v[n++] = c;
		qsort(v, n, sizeof(*v), by_stream);
		for (i = 0; i < n; i++)
			if ((r = conn_end(t, v[i], MF_END_EOF, NULL)) != 0 && rc == 0)
				rc = r;
		free(v);
	}
	while ((c = t->head) != NULL) {
		if ((r = conn_end(t, c, MF_END_EOF, NULL)) != 0 && rc == 0)
			rc = r;
		forget(t, c);
	}
	mf_tcp_resume(t, 1);
	return rc;
}

struct mf_tcp *mf_tcp_new(struct mf_ctx *ctx, const struct mf_stream_proto *const *table)
{
	struct mf_tcp *t = calloc(1, sizeof(*t));
	size_t want = ctx->lim.tcp_streams_max / 2, i;
	uint32_t nb = BUCKETS_MIN;

	if (!t)
		return NULL;
	while (nb < want && nb < BUCKETS_MAX)
		nb <<= 1;
	t->ctx = ctx;
	t->table = table;
	for (i = 0; table[i]; i++)
		if (table[i]->probe)
			t->probing = 1;
	t->mask = nb - 1;
	if (!(t->buckets = calloc(nb, sizeof(*t->buckets)))) {
		free(t);
		return NULL;
	}
	return t;
}

void mf_tcp_free(struct mf_tcp *t)
{
	mf_emit_fn emit;

	if (!t)
		return;
	emit = t->ctx->emit;
	t->ctx->emit = NULL;     /* consumers' last words are dropped */
	while (t->head) {
		conn_end(t, t->head, MF_END_EOF, NULL);
		forget(t, t->head);
	}
	mf_tcp_resume(t, 1);
	t->ctx->emit = emit;
	free(t->buckets);
	free(t);
}

size_t mf_tcp_count(const struct mf_tcp *t)
{
	return t->count;
}

size_t mf_tcp_mem(const struct mf_tcp *t)
{
	return t->mem;
}

/* ---- mf_stream.h ---------------------------------------------------------- */

int mf_flow_add_net(struct mf_event *ev, const struct mf_flow *fl, int dir)
{
	cJSON *o = cJSON_CreateObject(), *n;
	char s[46], d[46];
	int s2c = dir == MF_DIR_S2C;

	if (!o)
		return MF_ERR_NOMEM;
	mf_addr_str(s2c ? fl->srv : fl->cli, fl->addr_len, s);
	mf_addr_str(s2c ? fl->cli : fl->srv, fl->addr_len, d);
	if (!cJSON_AddStringToObject(o, "src", s) ||
	    !cJSON_AddNumberToObject(o, "sport", s2c ? fl->sport : fl->cport) ||
	    !cJSON_AddStringToObject(o, "dst", d) ||
	    !cJSON_AddNumberToObject(o, "dport", s2c ? fl->cport : fl->sport) ||
	    !cJSON_AddStringToObject(o, "community_id", fl->community_id))
		goto nomem;
	if (!(n = mf_json_number((double)fl->stream_no)))
		goto nomem;
	if (!cJSON_AddItemToObject(o, "tcp_stream", n)) {
		cJSON_Delete(n);
		goto nomem;
	}
	return mf_event_add(ev, "net", o);
nomem:
	cJSON_Delete(o);
	return MF_ERR_NOMEM;
}
