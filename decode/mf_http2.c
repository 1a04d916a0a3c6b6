/*
 * mf_http2.c - HTTP/2 over one connection (TLS plaintext with ALPN "h2",
 * or cleartext starting with the client preface): a stream consumer
 * (mf_stream.h) that turns streams into request/response exchanges
 * (mf_http_common.c).
 *
 * References: RFC 9113 (HTTP/2: section 3.4 preface, 4.1 frame format, 6
 * frame definitions, 6.5.2 SETTINGS_HEADER_TABLE_SIZE / MAX_FRAME_SIZE,
 * 8.3 pseudo-header fields), RFC 7541 (HPACK; decoded with nghttp2's
 * inflater, nghttp2/nghttp2 lib/includes/nghttp2/nghttp2.h
 * nghttp2_hd_inflate_hd2), Wireshark packet-http2.c for passive decoding
 * of both directions.
 *
 *  +-----------------------------------------------+
 *  |                 Length (24)                   |
 *  +---------------+---------------+---------------+
 *  |   Type (8)    |   Flags (8)   |
 *  +-+-------------+---------------+-------------------------------+
 *  |R|                 Stream Identifier (31)                      |
 *  +=+=============================================================+
 *  |                   Frame Payload (0...)                      ...
 *
 * A passive observer decodes each direction's header blocks with that
 * direction's HPACK inflater (its dynamic table mirrors the sender's
 * encoder).  SETTINGS_HEADER_TABLE_SIZE sent by one side bounds the other
 * side's encoder: a larger value is applied at once, a smaller one when
 * the other side acknowledges the SETTINGS (RFC 9113 section 6.5.3).
 * DATA payloads are streamed into the bodies (never buffered as frames);
 * other frames are collected up to the receiver's SETTINGS_MAX_FRAME_SIZE.
 *
 * A stream becomes one exchange, emitted when the response has ended
 * (END_STREAM) and the request too, or at RST_STREAM, or at close.  A bad
 * frame or an HPACK failure is an anomaly and stops that direction (its
 * HPACK state is lost): the rest becomes one "data" record.
 */
#include "mf_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_frame.h"

#define PREFACE_LEN 24
static const uint8_t preface[PREFACE_LEN + 1] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define FRAME_HDR 9
#define BLOCK_MAX (256u * 1024)         /* one header block with its CONTINUATIONs */
#define STREAMS_MAX 1024                /* open streams kept per connection */
#define DEFAULT_MAX_FRAME 16384u
#define MAX_FRAME_LIMIT 16777215u
#define HPACK_TABLE_LIMIT (1u << 20)    /* dynamic table size we accept to mirror */

enum {
	T_DATA = 0, T_HEADERS = 1, T_PRIORITY = 2, T_RST_STREAM = 3, T_SETTINGS = 4,
	T_PUSH_PROMISE = 5, T_PING = 6, T_GOAWAY = 7, T_WINDOW_UPDATE = 8, T_CONTINUATION = 9
};
#define F_END_STREAM 0x1
#define F_ACK 0x1
#define F_END_HEADERS 0x4
#define F_PADDED 0x8
#define F_PRIORITY 0x20

struct h2_stream {
	uint32_t id;
	struct mf_http_exchange *x;
	unsigned end[2];            /* END_STREAM seen per direction */
	struct h2_stream *next;     /* creation order */
};

struct h2_dir {
	unsigned raw : 1;
	unsigned have_hdr : 1;      /* the current frame's header is complete */
	unsigned pad_pending : 1;   /* DATA: the pad-length byte comes next */
	unsigned in_block : 1;      /* a header block awaits CONTINUATION */
	unsigned block_es : 1;      /* its HEADERS had END_STREAM */
	size_t preface;             /* client preface bytes still expected */
	uint8_t hdr[FRAME_HDR];
	size_t hlen;
	uint32_t flen, fsid, fleft, pad;
	uint8_t ftype, fflags;
	struct mf_buf payload;      /* non-DATA frame being collected */
	struct mf_buf block;        /* header block being assembled */
	uint32_t block_sid, promised;
	uint8_t block_type;
	nghttp2_hd_inflater *inf;   /* decodes header blocks sent this way */
	uint32_t max_frame;         /* largest frame this side may send */
	int64_t pending_hts;        /* table size this side announced, not yet acked, or -1 */
	uint32_t hts;               /* table size limit applied to inf */
};

struct h2 {
	struct mf_http_conn c;
	struct h2_dir d[2];
	struct h2_stream *streams, *last;
	size_t nstreams;
};

static const char *dir_name(int dir)
{
	return dir == MF_DIR_C2S ? "client" : "server";
}

/* ---- streams ---- */

static struct h2_stream *find_stream(struct h2 *h, uint32_t id)
{
	struct h2_stream *s;

	for (s = h->streams; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static int finish_stream(struct h2 *h, struct h2_stream *s)
{
	struct h2_stream **pp;
	int rc;

	for (pp = &h->streams; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (*pp) {
		*pp = s->next;
		h->nstreams--;
	}
	if (h->last == s) {
		struct h2_stream *t;

		h->last = NULL;
		for (t = h->streams; t; t = t->next)
			h->last = t;
	}
	rc = mf_http_exchange_done(&h->c, s->x);
	mf_http_exchange_free(s->x);
	free(s);
	return rc;
}

static int new_stream(struct h2 *h, uint32_t id, struct h2_stream **out)
{
	struct h2_stream *s;
	int rc;

	*out = NULL;
	if (h->nstreams >= STREAMS_MAX) {
		rc = mf_http_anomaly(&h->c, MF_DIR_C2S, "http2_too_many_streams",
		    "more than %d open streams: stream %u reported as it is", STREAMS_MAX,
		    h->streams->id);
		if (rc == 0)
			rc = finish_stream(h, h->streams);
		if (rc)
			return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return MF_ERR_NOMEM;
	s->x = mf_http_exchange_new(&h->c);
	if (!s->x) {
		free(s);
		return MF_ERR_NOMEM;
	}
	s->id = id;
	s->x->stream_id = id;
	s->x->number = ++h->c.nreq;
	if (h->last)
		h->last->next = s;
	else
		h->streams = s;
	h->last = s;
	h->nstreams++;
	*out = s;
	return 0;
}

/* The stream is done when the response ended and the request did too (or
 * was never seen). */
static int maybe_finish(struct h2 *h, struct h2_stream *s)
{
	if (s->end[MF_DIR_S2C] && (s->end[MF_DIR_C2S] || !s->x->has_req))
		return finish_stream(h, s);
	return 0;
}

static struct mf_http_msg *msg_of(struct h2_stream *s, int dir)
{
	return dir == MF_DIR_C2S ? &s->x->req : &s->x->resp;
}

static int end_stream(struct h2 *h, struct h2_stream *s, int dir)
{
	struct mf_http_msg *m = msg_of(s, dir);

	s->end[dir] = 1;
	m->complete = 1;
	mf_http_msg_touch(m, &h->c);
	return maybe_finish(h, s);
}

/* ---- errors ---- */

static void go_raw(struct h2 *h, int dir, const char *reason)
{
	struct h2_dir *d = &h->d[dir];

	if (d->raw)
		return;
	mf_http_raw_start(&h->c, dir, reason);
	/* the frame that failed, as far as it was read */
	if (d->hlen)
		mf_http_raw_add(&h->c, dir, d->hdr, d->hlen);
	if (d->payload.len)
		mf_http_raw_add(&h->c, dir, d->payload.data, d->payload.len);
	mf_buf_free(&d->payload);
	mf_buf_free(&d->block);
	d->raw = 1;
	d->have_hdr = 0;
	d->hlen = 0;
	d->in_block = 0;
}

static int bad_frame(struct h2 *h, int dir, const char *reason, const char *what)
{
	struct h2_dir *d = &h->d[dir];
	int rc = mf_http_anomaly(&h->c, dir, reason,
	    "%s frame type %u, stream %u, %u bytes: %s", dir_name(dir), d->ftype, d->fsid, d->flen,
	    what);

	go_raw(h, dir, "parse_error");
	return rc;
}

/* ---- header blocks ---- */

static int set_pseudo(struct mf_http_msg *m, const uint8_t *name, size_t nl, const uint8_t *v,
                      size_t vl)
{
	char **slot = NULL;

	if (nl == 7 && memcmp(name, ":method", 7) == 0)
		slot = &m->method;
	else if (nl == 5 && memcmp(name, ":path", 5) == 0)
		slot = &m->target;
	else if (nl == 7 && memcmp(name, ":scheme", 7) == 0)
		slot = &m->scheme;
	else if (nl == 10 && memcmp(name, ":authority", 10) == 0)
		slot = &m->authority;
	else if (nl == 7 && memcmp(name, ":status", 7) == 0) {
		if (vl == 3 && v[0] >= '1' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9' &&
		    v[2] >= '0' && v[2] <= '9')
			m->status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
		return 0;
	}
	if (!slot || *slot)
		return 0;               /* unknown or repeated pseudo-header */
	*slot = mf_http_strndup((const char *)v, vl);
	return *slot ? 0 : MF_ERR_NOMEM;
}

/* Inflates d->block into tmp.  Returns 0, MF_ERR_NOMEM, or MF_ERR_FORMAT
 * (HPACK failure: *code holds nghttp2's error). */
static int inflate_block(struct h2_dir *d, struct mf_http_msg *tmp, int *code)
{
	const uint8_t *in = d->block.data;
	size_t left = d->block.len;
	int rc;

	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(d->inf, &nv, &fl, in, left, 1);

		if (r < 0) {
			*code = (int)r;
			return r == NGHTTP2_ERR_NOMEM ? MF_ERR_NOMEM : MF_ERR_FORMAT;
		}
		in += r;
		left -= (size_t)r;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			if (nv.namelen > 0 && nv.name[0] == ':')
				rc = set_pseudo(tmp, nv.name, nv.namelen, nv.value, nv.valuelen);
			else
				rc = mf_http_msg_field(tmp, (const char *)nv.name, nv.namelen,
				    (const char *)nv.value, nv.valuelen, 0);
			if (rc)
				return rc;
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(d->inf);
			return 0;
		}
		if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && left == 0) {
			*code = 0;
			return MF_ERR_FORMAT;
		}
	}
}

/* A complete header block from dir. */
static int block_done(struct h2 *h, int dir)
{
	struct h2_dir *d = &h->d[dir];
	struct mf_http_msg tmp;
	struct h2_stream *s;
	int rc, code = 0;
	uint32_t sid = d->block_type == T_PUSH_PROMISE ? d->promised : d->block_sid;

	d->in_block = 0;
	mf_http_msg_init(&tmp, h->c.ctx);
	rc = inflate_block(d, &tmp, &code);
	mf_buf_reset(&d->block);
	if (rc == MF_ERR_FORMAT) {
		mf_http_msg_free(&tmp);
		rc = mf_http_anomaly(&h->c, dir, "http2_hpack_error",
		    "%s header block on stream %u does not decode (%s)", dir_name(dir), sid,
		    code ? nghttp2_strerror(code) : "block ends inside a field");
		go_raw(h, dir, "hpack_error");
		return rc;
	}
	if (rc) {
		mf_http_msg_free(&tmp);
		return rc;
	}
	s = find_stream(h, sid);
	if (!s) {
		rc = new_stream(h, sid, &s);
		if (rc) {
			mf_http_msg_free(&tmp);
			return rc;
		}
	}
	if (d->block_type == T_PUSH_PROMISE) {
		/* the promised request, sent by the server */
		s->x->pushed = 1;
		s->x->has_req = 1;
		mf_http_msg_adopt(&s->x->req, &tmp);
		mf_http_msg_touch(&s->x->req, &h->c);
		s->x->req.first = s->x->req.last;
		s->end[MF_DIR_C2S] = 1;
		s->x->req.complete = 1;
		mf_http_msg_free(&tmp);
		return 0;
	}
	if (dir == MF_DIR_C2S) {
		struct mf_http_msg *m = &s->x->req;

		if (!s->x->has_req) {
			s->x->has_req = 1;
			mf_http_msg_adopt(m, &tmp);
			m->first = h->c.now;
		} else {
			rc = mf_http_msg_add_trailers(m, &tmp);
		}
		mf_http_msg_touch(m, &h->c);
	} else {
		struct mf_http_msg *m = &s->x->resp;

		if (tmp.status >= 100 && tmp.status < 200 && !m->head_done) {
			if (m->ninterim < MF_HTTP_INTERIM_MAX)
				m->interim[m->ninterim++] = tmp.status;
		} else if (!m->head_done) {
			s->x->has_resp = 1;
			mf_http_msg_adopt(m, &tmp);
			m->first = h->c.now;
		} else {
			rc = mf_http_msg_add_trailers(m, &tmp);
		}
		mf_http_msg_touch(m, &h->c);
	}
	mf_http_msg_free(&tmp);
	if (rc == 0 && d->block_es)
		rc = end_stream(h, s, dir);
	return rc;
}

static int block_add(struct h2 *h, int dir, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &h->d[dir];
	int rc = mf_buf_add(&d->block, p, n);

	if (rc == MF_ERR_LIMIT)
		return bad_frame(h, dir, "http2_bad_frame", "header block larger than the cap");
	return rc;
}

/* ---- frames ---- */

static int settings(struct h2 *h, int dir, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &h->d[dir], *peer = &h->d[dir ^ 1];
	size_t i;

	if (d->fflags & F_ACK) {
		if (n != 0)
			return bad_frame(h, dir, "http2_bad_frame", "SETTINGS ACK with a payload");
		/* the peer's smaller table size takes effect for our encoder now */
		if (peer->pending_hts >= 0 && !d->raw) {
			d->hts = (uint32_t)peer->pending_hts;
			nghttp2_hd_inflate_change_table_size(d->inf, d->hts);
		}
		peer->pending_hts = -1;
		return 0;
	}
	if (n % 6 != 0)
		return bad_frame(h, dir, "http2_bad_frame", "SETTINGS length not a multiple of 6");
	for (i = 0; i < n; i += 6) {
		uint16_t id = mf_be16(p + i);
		uint32_t v = mf_be32(p + i + 2);

		if (id == 0x1) {        /* HEADER_TABLE_SIZE: bounds the peer's encoder */
			if (v > HPACK_TABLE_LIMIT)
				v = HPACK_TABLE_LIMIT;
			if (v >= peer->hts) {
				/* a larger table only allows more: apply at once */
				peer->hts = v;
				if (!peer->raw)
					nghttp2_hd_inflate_change_table_size(peer->inf, v);
			} else {
				d->pending_hts = v;
			}
		} else if (id == 0x5) { /* MAX_FRAME_SIZE: what the peer may send us */
			if (v < DEFAULT_MAX_FRAME || v > MAX_FRAME_LIMIT)
				return bad_frame(h, dir, "http2_bad_frame",
				    "SETTINGS_MAX_FRAME_SIZE out of range");
			peer->max_frame = v;
		}
	}
	return 0;
}

/* A complete non-DATA frame from dir; payload at p. */
static int frame(struct h2 *h, int dir, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &h->d[dir];
	struct h2_stream *s;
	size_t off = 0, pad = 0;
	int rc;

	if (d->in_block && d->ftype != T_CONTINUATION)
		return bad_frame(h, dir, "http2_bad_frame", "a header block was not continued");
	switch (d->ftype) {
	case T_HEADERS:
	case T_PUSH_PROMISE:
		if (d->fsid == 0)
			return bad_frame(h, dir, "http2_bad_frame", "header block on stream 0");
		if (d->ftype == T_PUSH_PROMISE && dir != MF_DIR_S2C)
			return bad_frame(h, dir, "http2_bad_frame", "PUSH_PROMISE from the client");
		if (d->fflags & F_PADDED) {
			if (n < 1)
				return bad_frame(h, dir, "http2_bad_frame", "padded frame too short");
			pad = p[0];
			off = 1;
		}
		if (d->ftype == T_HEADERS && (d->fflags & F_PRIORITY))
			off += 5;
		if (d->ftype == T_PUSH_PROMISE)
			off += 4;
		if (off > n || pad > n - off)
			return bad_frame(h, dir, "http2_bad_frame", "padding longer than the frame");
		d->block_type = d->ftype;
		d->block_sid = d->fsid;
		d->block_es = d->ftype == T_HEADERS && (d->fflags & F_END_STREAM);
		d->promised = d->ftype == T_PUSH_PROMISE ? mf_be32(p + off - 4) & 0x7fffffffu : 0;
		if (d->ftype == T_PUSH_PROMISE && (d->promised == 0 || (d->promised & 1)))
			return bad_frame(h, dir, "http2_bad_frame", "PUSH_PROMISE of an odd stream");
		mf_buf_reset(&d->block);
		rc = block_add(h, dir, p + off, n - off - pad);
		if (rc || d->raw)
			return rc;
		d->in_block = 1;
		if (d->fflags & F_END_HEADERS)
			return block_done(h, dir);
		return 0;
	case T_CONTINUATION:
		if (!d->in_block || d->fsid != d->block_sid)
			return bad_frame(h, dir, "http2_bad_frame", "CONTINUATION without a header block");
		rc = block_add(h, dir, p, n);
		if (rc || d->raw)
			return rc;
		if (d->fflags & F_END_HEADERS)
			return block_done(h, dir);
		return 0;
	case T_PRIORITY:
		if (d->fsid == 0 || n != 5)
			return bad_frame(h, dir, "http2_bad_frame", "PRIORITY malformed");
		return 0;
	case T_RST_STREAM:
		if (d->fsid == 0 || n != 4)
			return bad_frame(h, dir, "http2_bad_frame", "RST_STREAM malformed");
		s = find_stream(h, d->fsid);
		if (!s)
			return 0;
		s->x->reset = 1;
		s->x->reset_code = mf_be32(p);
		mf_http_msg_touch(msg_of(s, dir), &h->c);
		return finish_stream(h, s);
	case T_SETTINGS:
		if (d->fsid != 0)
			return bad_frame(h, dir, "http2_bad_frame", "SETTINGS on a stream");
		return settings(h, dir, p, n);
	case T_PING:
		if (d->fsid != 0 || n != 8)
			return bad_frame(h, dir, "http2_bad_frame", "PING malformed");
		return 0;
	case T_GOAWAY:
		if (d->fsid != 0 || n < 8)
			return bad_frame(h, dir, "http2_bad_frame", "GOAWAY malformed");
		return 0;
	case T_WINDOW_UPDATE:
		if (n != 4)
			return bad_frame(h, dir, "http2_bad_frame", "WINDOW_UPDATE malformed");
		return 0;
	default:
		return 0;               /* unknown types are ignored (RFC 9113 section 4.1) */
	}
}

/* The frame header in d->hdr is complete. */
static int frame_start(struct h2 *h, int dir)
{
	struct h2_dir *d = &h->d[dir];

	d->flen = ((uint32_t)d->hdr[0] << 16) | ((uint32_t)d->hdr[1] << 8) | d->hdr[2];
	d->ftype = d->hdr[3];
	d->fflags = d->hdr[4];
	d->fsid = mf_be32(d->hdr + 5) & 0x7fffffffu;
	d->fleft = d->flen;
	d->have_hdr = 1;
	d->pad_pending = 0;
	d->pad = 0;
	if (d->flen > d->max_frame)
		return bad_frame(h, dir, "http2_bad_frame", "longer than SETTINGS_MAX_FRAME_SIZE");
	if (d->ftype == T_DATA) {
		if (d->fsid == 0)
			return bad_frame(h, dir, "http2_bad_frame", "DATA on stream 0");
		if (d->in_block)
			return bad_frame(h, dir, "http2_bad_frame", "a header block was not continued");
		if (d->fflags & F_PADDED) {
			if (d->flen == 0)
				return bad_frame(h, dir, "http2_bad_frame", "padded frame too short");
			d->pad_pending = 1;
		}
	}
	mf_buf_reset(&d->payload);
	return 0;
}

static int frame_end(struct h2 *h, int dir)
{
	struct h2_dir *d = &h->d[dir];
	int rc = 0;

	if (d->ftype == T_DATA) {
		struct h2_stream *s = find_stream(h, d->fsid);

		if (s && (d->fflags & F_END_STREAM))
			rc = end_stream(h, s, dir);
	} else {
		rc = frame(h, dir, d->payload.data, d->payload.len);
	}
	d->have_hdr = 0;
	d->hlen = 0;
	if (!d->raw)
		mf_buf_reset(&d->payload);
	return rc;
}

/* DATA payload bytes; returns bytes consumed or an error. */
static ssize_t data_bytes(struct h2 *h, int dir, const uint8_t *p, size_t n)
{
	struct h2_dir *d = &h->d[dir];
	struct h2_stream *s;
	size_t take;
	int rc;

	if (d->pad_pending) {
		d->pad = p[0];
		d->pad_pending = 0;
		d->fleft--;
		if (d->pad > d->fleft)
			return bad_frame(h, dir, "http2_bad_frame", "padding longer than the frame");
		return 1;
	}
	if (d->fleft > d->pad) {
		take = d->fleft - d->pad;
		if (take > n)
			take = n;
		s = find_stream(h, d->fsid);
		if (s) {
			struct mf_http_msg *m = msg_of(s, dir);

			rc = mf_http_msg_body(&h->c, m, dir, p, take);
			mf_http_msg_touch(m, &h->c);
			if (rc)
				return rc;
		}
	} else {
		take = d->fleft < n ? d->fleft : n;      /* padding */
	}
	d->fleft -= (uint32_t)take;
	return (ssize_t)take;
}

static int h2_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                   const struct mf_frame *f)
{
	struct h2 *h = st;
	struct h2_dir *d;
	int rc;

	(void)ctx;
	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return 0;
	d = &h->d[dir];
	mf_http_conn_at(&h->c, f);
	while (n > 0) {
		if (d->raw) {
			mf_http_raw_add(&h->c, dir, p, n);
			return 0;
		}
		if (d->preface > 0) {
			size_t off = PREFACE_LEN - d->preface, k = n < d->preface ? n : d->preface;

			if (memcmp(p, preface + off, k) != 0) {
				rc = mf_http_anomaly(&h->c, dir, "http2_bad_preface",
				    "the client does not start with the HTTP/2 preface");
				mf_http_raw_start(&h->c, dir, "parse_error");
				mf_http_raw_add(&h->c, dir, preface, off);
				d->raw = 1;
				if (rc)
					return rc;
				continue;
			}
			d->preface -= k;
			p += k;
			n -= k;
			continue;
		}
		if (!d->have_hdr) {
			size_t k = FRAME_HDR - d->hlen;

			if (k > n)
				k = n;
			memcpy(d->hdr + d->hlen, p, k);
			d->hlen += k;
			p += k;
			n -= k;
			if (d->hlen < FRAME_HDR)
				return 0;
			rc = frame_start(h, dir);
			if (rc)
				return rc;
			if (d->raw)
				continue;
		} else if (d->fleft > 0) {
			if (d->ftype == T_DATA) {
				ssize_t r = data_bytes(h, dir, p, n);

				if (r < 0)
					return (int)r;
				p += r;
				n -= (size_t)r;
			} else {
				size_t k = d->fleft < n ? d->fleft : n;

				rc = mf_buf_add(&d->payload, p, k);
				if (rc)
					return rc == MF_ERR_LIMIT ? bad_frame(h, dir, "http2_bad_frame",
					    "frame larger than the cap") : rc;
				d->fleft -= (uint32_t)k;
				p += k;
				n -= k;
			}
			if (d->raw)
				continue;
		}
		if (d->have_hdr && d->fleft == 0 && !d->pad_pending) {
			rc = frame_end(h, dir);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static void h2_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                   const struct mf_frame *f)
{
	struct h2 *h = st;
	struct h2_dir *d;

	(void)ctx;
	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return;
	d = &h->d[dir];
	mf_http_conn_at(&h->c, f);
	if (!d->raw && d->have_hdr && d->ftype == T_DATA && !d->pad_pending &&
	    missing <= (uint64_t)d->fleft - d->pad) {
		/* inside a DATA payload: the body has a hole, framing survives */
		struct h2_stream *s = find_stream(h, d->fsid);

		if (s) {
			struct mf_http_msg *m = msg_of(s, dir);

			m->body_missing += missing;
			m->body_len += missing;
		}
		d->fleft -= (uint32_t)missing;
		if (d->fleft == 0)
			(void)frame_end(h, dir);
		return;
	}
	go_raw(h, dir, "gap");
	h->c.raw[dir].missing += missing;
}

static int h2_probe(const uint8_t *p, size_t n)
{
	size_t k = n < PREFACE_LEN ? n : PREFACE_LEN;

	return k >= 4 && memcmp(p, preface, k) == 0;
}

static void *h2_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	struct h2 *h = calloc(1, sizeof(*h));
	int dir;

	if (!h)
		return NULL;
	mf_http_conn_init(&h->c, ctx, fl, "2");
	for (dir = 0; dir < 2; dir++) {
		struct h2_dir *d = &h->d[dir];

		mf_buf_init(&d->payload, MAX_FRAME_LIMIT);
		mf_buf_init(&d->block, BLOCK_MAX);
		d->max_frame = DEFAULT_MAX_FRAME;
		d->pending_hts = -1;
		d->hts = 4096;
		if (nghttp2_hd_inflate_new(&d->inf) != 0) {
			if (dir == 1)
				nghttp2_hd_inflate_del(h->d[0].inf);
			mf_http_conn_free(&h->c);
			free(h);
			return NULL;
		}
	}
	h->d[MF_DIR_C2S].preface = PREFACE_LEN;
	return h;
}

static int h2_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct h2 *h = st;
	int dir;

	(void)ctx;
	(void)how;
	mf_http_conn_at(&h->c, f);
	for (dir = 0; dir < 2; dir++) {
		struct h2_dir *d = &h->d[dir];

		if (!d->raw && (d->hlen > 0 || d->in_block))
			go_raw(h, dir, "incomplete");
	}
	while (h->streams)
		if (finish_stream(h, h->streams) == MF_ERR_NOMEM)
			break;
	while (h->streams) {            /* out of memory: free without output */
		struct h2_stream *s = h->streams;

		h->streams = s->next;
		mf_http_exchange_free(s->x);
		free(s);
	}
	(void)mf_http_raw_flush(&h->c);
	for (dir = 0; dir < 2; dir++) {
		mf_buf_free(&h->d[dir].payload);
		mf_buf_free(&h->d[dir].block);
		nghttp2_hd_inflate_del(h->d[dir].inf);
	}
	mf_http_conn_free(&h->c);
	free(h);
	return 0;
}

const struct mf_stream_proto mf_proto_http2 = {
	.name = "http2",
	.ports = { 0 },
	.probe = h2_probe,
	.open = h2_open,
	.data = h2_data,
	.gap = h2_gap,
	.close = h2_close,
};
