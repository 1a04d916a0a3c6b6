/*
 * mf_http_common.c - what HTTP/1.1 (mf_http1.c) and HTTP/2 (mf_http2.c)
 * share: message fields and capped bodies, Content-Encoding, the end of an
 * exchange (Mi cloud codec or a generic event), anomalies, and the "data"
 * record for bytes that could not be parsed.  See mf_http.h.
 *
 * References: RFC 9110 (HTTP semantics: fields, Content-Encoding section
 * 8.4, Host / :authority section 7.2), RFC 1950/1951/1952 (zlib, deflate,
 * gzip), RFC 7932 (brotli, "br", with libbrotlidec when built with it); ../shared/reference/micloud.md sections 2, 3, 8, 10.
 *
 * Forensic rules applied here: every exchange becomes an event (a Mi cloud
 * call through the codec, anything else as protocol "http" kind "data"), a
 * body past ctx->lim.http_body_max is cut and reported, never silently, and
 * a connection's unparsable remainder is still reported with a preview.
 */
#include "mf_http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>
#ifdef MF_HAVE_BROTLI
#include <brotli/decode.h>
#endif

#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_time.h"

#include "mf_micloud.h"

#define CODINGS_MAX 4

/* ---- connection ---- */

void mf_http_conn_init(struct mf_http_conn *c, struct mf_ctx *ctx, const struct mf_flow *fl,
                       const char *version)
{
	int d;

	memset(c, 0, sizeof(*c));
	c->ctx = ctx;
	if (fl) {
		c->flow = *fl;
		if (fl->sni)
			snprintf(c->sni, sizeof(c->sni), "%s", fl->sni);
		if (fl->tunnel) {
			c->tun = *fl->tunnel;
			c->tun.target[sizeof(c->tun.target) - 1] = '\0';
		}
		c->input = fl->input;
	}
	/* pointers into the opener's state are not kept */
	c->flow.sni = c->sni[0] ? c->sni : NULL;
	c->flow.tunnel = fl && fl->tunnel ? &c->tun : NULL;
	c->flow.alpn = NULL;
	c->version = version;
	for (d = 0; d < 2; d++)
		mf_buf_init(&c->raw[d].preview, MF_HTTP_PREVIEW);
	c->now.ts_ns = MF_TIME_NONE;
}

void mf_http_conn_free(struct mf_http_conn *c)
{
	mf_buf_free(&c->raw[0].preview);
	mf_buf_free(&c->raw[1].preview);
}

void mf_http_conn_at(struct mf_http_conn *c, const struct mf_frame *f)
{
	if (!f)
		return;
	c->now.frame = f->number;
	c->now.ts_ns = f->ts_ns;
	if (!c->input)
		c->input = f->input;
}

/* ---- messages ---- */

void mf_http_msg_init(struct mf_http_msg *m, const struct mf_ctx *ctx)
{
	memset(m, 0, sizeof(*m));
	mf_buf_init(&m->body, ctx->lim.http_body_max);
	m->first.ts_ns = m->last.ts_ns = MF_TIME_NONE;
}

void mf_http_msg_free(struct mf_http_msg *m)
{
	size_t i;

	for (i = 0; i < m->nf; i++) {
		free(m->f[i].name);
		free(m->f[i].value);
	}
	free(m->f);
	free(m->method);
	free(m->target);
	free(m->scheme);
	free(m->authority);
	free(m->reason);
	mf_buf_free(&m->body);
	m->f = NULL;
	m->nf = m->f_alloc = 0;
	m->method = m->target = m->scheme = m->authority = m->reason = NULL;
}

void mf_http_msg_touch(struct mf_http_msg *m, const struct mf_http_conn *c)
{
	if (m->first.frame == 0 && m->first.ts_ns == MF_TIME_NONE)
		m->first = c->now;
	m->last = c->now;
}

void mf_http_msg_adopt(struct mf_http_msg *dst, struct mf_http_msg *src)
{
	struct mf_buf body = dst->body;
	struct mf_http_at first = dst->first, last = dst->last;
	int interim[MF_HTTP_INTERIM_MAX], ninterim = dst->ninterim;
	uint64_t body_len = dst->body_len, missing = dst->body_missing;
	unsigned truncated = dst->truncated;

	memcpy(interim, dst->interim, sizeof(interim));
	dst->body.data = NULL;
	mf_http_msg_free(dst);
	*dst = *src;
	dst->body = body;
	dst->first = first;
	dst->last = last;
	memcpy(dst->interim, interim, sizeof(interim));
	dst->ninterim = ninterim;
	dst->body_len = body_len;
	dst->body_missing = missing;
	dst->truncated = truncated;
	dst->head_done = 1;
	/* src keeps only its (empty) body */
	body = src->body;
	memset(src, 0, sizeof(*src));
	src->body = body;
	src->first.ts_ns = src->last.ts_ns = MF_TIME_NONE;
}

int mf_http_msg_add_trailers(struct mf_http_msg *dst, const struct mf_http_msg *src)
{
	size_t i;
	int rc;

	for (i = 0; i < src->nf; i++) {
		rc = mf_http_msg_field(dst, src->f[i].name, strlen(src->f[i].name), src->f[i].value,
		    strlen(src->f[i].value), 1);
		if (rc)
			return rc;
	}
	if (src->fields_dropped)
		dst->fields_dropped = 1;
	return 0;
}

char *mf_http_strndup(const char *s, size_t n)
{
	char *r = malloc(n + 1);

	if (!r)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

int mf_http_msg_field(struct mf_http_msg *m, const char *name, size_t nlen, const char *value,
                      size_t vlen, int trailer)
{
	struct mf_http_field *nf;
	char *n, *v;

	if (m->nf >= MF_HTTP_FIELDS_MAX || nlen + vlen > MF_HTTP_HEAD_MAX ||
	    m->f_bytes > MF_HTTP_HEAD_MAX - (nlen + vlen)) {
		m->fields_dropped = 1;
		return 0;
	}
	if (m->nf == m->f_alloc) {
		size_t na = m->f_alloc ? m->f_alloc * 2 : 16;

		nf = realloc(m->f, na * sizeof(*nf));
		if (!nf)
			return MF_ERR_NOMEM;
		m->f = nf;
		m->f_alloc = na;
	}
	n = mf_http_strndup(name, nlen);
	v = mf_http_strndup(value, vlen);
	if (!n || !v) {
		free(n);
		free(v);
		return MF_ERR_NOMEM;
	}
	m->f[m->nf].name = n;
	m->f[m->nf].value = v;
	m->f[m->nf].trailer = trailer ? 1 : 0;
	m->nf++;
	m->f_bytes += nlen + vlen;
	return 0;
}

const char *mf_http_msg_get(const struct mf_http_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nf; i++)
		if (strcasecmp(m->f[i].name, name) == 0)
			return m->f[i].value;
	return NULL;
}

int mf_http_msg_join(const struct mf_http_msg *m, const char *name, const char *sep,
                     struct mf_buf *out)
{
	size_t i;
	int n = 0;

	mf_buf_reset(out);
	for (i = 0; i < m->nf; i++) {
		if (strcasecmp(m->f[i].name, name) != 0)
			continue;
		if (n++ > 0)
			mf_buf_addstr(out, sep);
		mf_buf_addstr(out, m->f[i].value);
	}
	if (!mf_buf_cstr(out))
		return 0;
	return n;
}

int mf_http_msg_body(struct mf_http_conn *c, struct mf_http_msg *m, int dir,
                     const uint8_t *p, size_t n)
{
	size_t room = m->body.cap - m->body.len, conn_cap, conn_room;
	int rc;

	conn_cap = c->ctx->lim.http_body_max > SIZE_MAX / MF_HTTP_CONN_BODIES ? SIZE_MAX
	    : c->ctx->lim.http_body_max * MF_HTTP_CONN_BODIES;
	conn_room = c->body_mem < conn_cap ? conn_cap - c->body_mem : 0;
	/* and one cap over every connection: memory stays bounded however many
	 * uploads are open at once */
	if (c->ctx->st.http_body_bytes >= c->ctx->lim.http_mem_max)
		conn_room = 0;
	else if (conn_room > c->ctx->lim.http_mem_max - c->ctx->st.http_body_bytes)
		conn_room = c->ctx->lim.http_mem_max - c->ctx->st.http_body_bytes;
	m->body_len += n;
	if (n > room || n > conn_room) {
		int conn_full = conn_room < room;

		if (conn_full)
			room = conn_room;
		if (room > 0) {
			if ((rc = mf_buf_add(&m->body, p, room)) != 0)
				return rc == MF_ERR_LIMIT ? 0 : rc;
			c->body_mem += room;
			c->ctx->st.http_body_bytes += room;
		}
		if (!m->truncated) {
			m->truncated = 1;
			if (conn_full)
				return mf_http_anomaly(c, dir, "http_body_too_large",
				    "%s body cut: the connection's unfinished bodies hold %zu bytes",
				    dir == MF_DIR_C2S ? "request" : "response", c->body_mem);
			return mf_http_anomaly(c, dir, "http_body_too_large",
			    "%s body longer than %zu bytes: the rest is counted, not kept",
			    dir == MF_DIR_C2S ? "request" : "response", m->body.cap);
		}
		return 0;
	}
	rc = mf_buf_add(&m->body, p, n);
	if (rc == 0) {
		c->body_mem += n;
		c->ctx->st.http_body_bytes += n;
	}
	return rc == MF_ERR_LIMIT ? 0 : rc;
}

/* ---- exchanges ---- */

struct mf_http_exchange *mf_http_exchange_new(struct mf_http_conn *c)
{
	struct mf_http_exchange *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	mf_http_msg_init(&x->req, c->ctx);
	mf_http_msg_init(&x->resp, c->ctx);
	return x;
}

void mf_http_exchange_free(struct mf_http_exchange *x)
{
	if (!x)
		return;
	mf_http_msg_free(&x->req);
	mf_http_msg_free(&x->resp);
	free(x);
}

/* Is a CONNECT request (RFC 9110 section 9.3.6): the exchange opens a
 * tunnel, it is no API call whatever its host. */
static int is_connect(const struct mf_http_exchange *x)
{
	return x->has_req && x->req.method && strcasecmp(x->req.method, "CONNECT") == 0;
}

/* The host part of "host:port", "[v6]:port" or "host" (lower case, no
 * trailing dots) into out. */
static void host_part(const char *h, char *out, size_t outlen)
{
	size_t n, i;

	if (!h || outlen == 0) {
		if (outlen)
			out[0] = '\0';
		return;
	}
	while (*h == ' ' || *h == '\t')
		h++;
	if (*h == '[') {                /* [v6]:port */
		const char *e = strchr(h, ']');

		n = e ? (size_t)(e - h) + 1 : strlen(h);
	} else {
		n = strcspn(h, ": \t");
	}
	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)h[i]);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
}

void mf_http_exchange_host(const struct mf_http_conn *c, const struct mf_http_exchange *x,
                           char *out, size_t outlen)
{
	const char *h = x->req.authority;

	if ((!h || !*h) && is_connect(x))
		h = x->req.target;          /* HTTP/1.x authority-form: host:port */
	if (!h || !*h)
		h = mf_http_msg_get(&x->req, "host");
	if (!h || !*h)
		h = c->flow.sni;
	if ((!h || !*h) && c->flow.tunnel)
		h = c->flow.tunnel->target;
	host_part(h, out, outlen);
}

/* ---- Content-Encoding ---- */

#ifdef MF_HAVE_BROTLI
/* Brotli (RFC 7932), Content-Encoding "br": into out up to its cap.
 * 0, MF_ERR_LIMIT (cap reached), MF_ERR_FORMAT (corrupt or cut), MF_ERR_NOMEM. */
static int unbrotli(const uint8_t *in, size_t n, struct mf_buf *out)
{
	BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	const uint8_t *next_in = in;
	size_t avail_in = n;
	int rc = 0;

	if (!st)
		return MF_ERR_NOMEM;
	mf_buf_reset(out);
	for (;;) {
		BrotliDecoderResult r;
		size_t room, avail_out;
		uint8_t *next_out;

		if (out->len >= out->cap) {
			rc = MF_ERR_LIMIT;
			break;
		}
		room = out->cap - out->len;
		if (room > 65536)
			room = 65536;
		if ((rc = mf_buf_reserve(out, room)) != 0)
			break;
		next_out = out->data + out->len;
		avail_out = room;
		r = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, NULL);
		out->len += room - avail_out;
		if (r == BROTLI_DECODER_RESULT_SUCCESS)
			break;
		if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
			continue;
		rc = MF_ERR_FORMAT;     /* an error, or the input ended inside the stream */
		break;
	}
	BrotliDecoderDestroyInstance(st);
	return rc;
}
#endif

static int coding_known(const char *coding)
{
	return strcasecmp(coding, "gzip") == 0 || strcasecmp(coding, "x-gzip") == 0 ||
	    strcasecmp(coding, "deflate") == 0
#ifdef MF_HAVE_BROTLI
	    || strcasecmp(coding, "br") == 0
#endif
	    ;
}

/* One coding into out; in and out distinct. */
static int inflate_one(const char *coding, const uint8_t *in, size_t n, struct mf_buf *out)
{
	z_stream z;
	int zrc, wbits, rc = 0, tried_raw = 0;
	size_t done_in = 0;

#ifdef MF_HAVE_BROTLI
	if (strcasecmp(coding, "br") == 0)
		return unbrotli(in, n, out);
#endif
	if (strcasecmp(coding, "gzip") == 0 || strcasecmp(coding, "x-gzip") == 0)
		wbits = 15 + 32;        /* gzip or zlib, detected */
	else if (strcasecmp(coding, "deflate") == 0)
		wbits = 15;             /* zlib; raw deflate tried when that fails */
	else
		return MF_ERR_UNSUPPORTED;
again:
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, wbits) != Z_OK)
		return MF_ERR_NOMEM;
	mf_buf_reset(out);
	done_in = 0;
	for (;;) {
		size_t room, step_in;

		if (out->len >= out->cap) {
			rc = MF_ERR_LIMIT;
			break;
		}
		room = out->cap - out->len;
		if (room > 65536)
			room = 65536;
		if ((rc = mf_buf_reserve(out, room)) != 0)
			break;
		step_in = n - done_in;
		if (step_in > (1u << 30))
			step_in = 1u << 30;
		z.next_in = (Bytef *)(uintptr_t)(in + done_in);
		z.avail_in = (uInt)step_in;
		z.next_out = out->data + out->len;
		z.avail_out = (uInt)room;
		zrc = inflate(&z, Z_NO_FLUSH);
		out->len += room - z.avail_out;
		done_in += step_in - z.avail_in;
		if (zrc == Z_STREAM_END) {
			/* a gzip body may hold several members */
			if (wbits == 15 + 32 && done_in < n && in[done_in] == 0x1f) {
				inflateReset(&z);
				continue;
			}
			break;
		}
		if (zrc == Z_DATA_ERROR && wbits == 15 && !tried_raw && out->len == 0) {
			inflateEnd(&z);
			wbits = -15;
			tried_raw = 1;
			goto again;
		}
		if (zrc == Z_MEM_ERROR) {
			rc = MF_ERR_NOMEM;
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = MF_ERR_FORMAT;
			break;
		}
		if (z.avail_out != 0 && done_in >= n) {
			rc = MF_ERR_FORMAT; /* input ended inside the stream */
			break;
		}
		if (zrc == Z_BUF_ERROR && z.avail_out != 0) {
			rc = MF_ERR_FORMAT;
			break;
		}
	}
	inflateEnd(&z);
	return rc;
}

int mf_http_decode_body(const char *encoding, const uint8_t *in, size_t n, struct mf_buf *out)
{
	char list[CODINGS_MAX][16];
	int nc = 0, i, rc = 0;
	const char *s = encoding;
	struct mf_buf bufs[2];
	const uint8_t *src;
	size_t sn;
	int k = 0;

	while (s && *s) {
		size_t len;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		len = strcspn(s, " \t,;");
		if (len == 0)
			break;
		if (len >= sizeof(list[0]) || nc == CODINGS_MAX)
			return MF_ERR_UNSUPPORTED;
		memcpy(list[nc], s, len);
		list[nc][len] = '\0';
		s += len;
		if (*s == ';')          /* parameters are not used by any coding */
			s += strcspn(s, ",");
		if (strcasecmp(list[nc], "identity") != 0)
			nc++;
	}
	for (i = 0; i < nc; i++)
		if (!coding_known(list[i]))
			return MF_ERR_UNSUPPORTED;
	mf_buf_reset(out);
	if (nc == 0)
		return mf_buf_add(out, in, n);
	/* out and tmp take turns as source and destination */
	bufs[0] = *out;
	mf_buf_init(&bufs[1], out->cap);
	src = in;
	sn = n;
	for (i = nc - 1; i >= 0; i--) {
		rc = inflate_one(list[i], src, sn, &bufs[k]);
		if (rc != 0)
			break;
		src = bufs[k].data;
		sn = bufs[k].len;
		k ^= 1;
	}
	if (rc == 0)
		k ^= 1;                 /* the last one written */
	*out = bufs[k];
	mf_buf_free(&bufs[k ^ 1]);
	return rc;
}

/* The body as an application sees it.  dec is filled when an encoding was
 * undone; *view / *vlen point at the result (dec, or the raw body). */
struct body_view {
	struct mf_buf dec;
	const uint8_t *p;
	size_t n;
	const char *encoding;       /* Content-Encoding, or NULL */
	int status;                 /* 0, or what mf_http_decode_body said */
};

static int body_view(struct mf_http_conn *c, struct mf_http_msg *m, int dir, struct body_view *v,
                     struct mf_buf *scratch)
{
	int rc;

	mf_buf_init(&v->dec, c->ctx->lim.http_body_max);
	v->p = m->body.data;
	v->n = m->body.len;
	v->status = 0;
	v->encoding = NULL;
	if (mf_http_msg_join(m, "content-encoding", ", ", scratch) > 0)
		v->encoding = mf_buf_cstr(scratch);
	if (!v->encoding || m->body.len == 0)
		return 0;
	rc = mf_http_decode_body(v->encoding, m->body.data, m->body.len, &v->dec);
	v->status = rc;
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc == MF_ERR_UNSUPPORTED)
		return 0;               /* shown as it was sent */
	if (rc == MF_ERR_LIMIT) {
		rc = mf_http_anomaly(c, dir, "http_body_too_large",
		    "%s body inflates past %zu bytes (%s): the rest is not kept",
		    dir == MF_DIR_C2S ? "request" : "response", v->dec.cap, v->encoding);
	} else if (rc == MF_ERR_FORMAT) {
		/* a body cut by the cap or a gap cannot inflate to its end */
		if (!m->truncated && !m->body_missing && m->complete)
			rc = mf_http_anomaly(c, dir, "http_bad_content_encoding",
			    "%s body does not inflate as %s (%zu of %zu bytes decoded)",
			    dir == MF_DIR_C2S ? "request" : "response", v->encoding, v->dec.len,
			    m->body.len);
		else
			rc = 0;
	}
	v->p = v->dec.data;
	v->n = v->dec.len;
	return rc;
}

/* ---- events ---- */

/* A string taken from the wire: as is when it is UTF-8 (cJSON escapes
 * control characters), else escaped like a preview. */
static void json_text(cJSON *o, const char *key, const char *s)
{
	struct mf_buf b;

	if (!s)
		return;
	if (mf_utf8_valid((const uint8_t *)s, strlen(s))) {
		mf_json_str(o, key, s);
		return;
	}
	mf_buf_init(&b, 4 * MF_HTTP_HEAD_MAX);
	if (mf_escape_bytes((const uint8_t *)s, strlen(s), MF_HTTP_HEAD_MAX, &b) == 0 &&
	    mf_buf_cstr(&b))
		mf_json_str(o, key, (const char *)b.data);
	mf_buf_free(&b);
}

static const char *src_of(const struct mf_http_conn *c)
{
	return c->input && c->input->source ? c->input->source : "pcap";
}

static void add_net(struct mf_event *ev, const struct mf_http_conn *c, int dir)
{
	if (c->flow.addr_len == 4 || c->flow.addr_len == 16)
		mf_flow_add_net(ev, &c->flow, dir);
}

static cJSON *evidence_at(const struct mf_http_conn *c, uint64_t frame)
{
	cJSON *o = mf_json_obj();

	if (!o)
		return NULL;
	if (c->input && c->input->name)
		mf_json_str(o, "file", c->input->name);
	if (frame)
		mf_json_u64(o, "frame", frame);
	mf_json_u64(o, "tcp_stream", c->flow.stream_no);
	if (c->flow.tunnel)
		json_text(o, "tunnel", c->flow.tunnel->target);
	return o;
}

/* evidence of an exchange: the request's last frame, the response's, the
 * TCP stream and the request's number in the connection. */
static cJSON *exchange_evidence(const struct mf_http_conn *c, const struct mf_http_exchange *x)
{
	uint64_t fr = x->has_req ? x->req.last.frame : x->resp.first.frame;
	cJSON *o = evidence_at(c, fr);

	if (!o)
		return NULL;
	if (x->has_resp && x->resp.last.frame)
		mf_json_u64(o, "response_frame", x->resp.last.frame);
	mf_json_u64(o, "http_request", x->number);
	if (x->stream_id)
		mf_json_u64(o, "http2_stream", x->stream_id);
	return o;
}

int mf_http_anomaly(struct mf_http_conn *c, int dir, const char *reason, const char *fmt, ...)
{
	struct mf_event *ev;
	char detail[512];
	va_list ap;
	cJSON *h;

	ev = mf_event_new(c->now.ts_ns, src_of(c), "http", "anomaly");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", reason);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		mf_event_str(ev, "detail", detail);
	}
	h = mf_json_obj();
	if (h) {
		mf_json_str(h, "version", c->version);
		mf_json_str(h, "direction", dir == MF_DIR_C2S ? "request" : "response");
		if (c->flow.tls)
			mf_json_bool(h, "tls", 1);
		if (c->flow.sni)
			json_text(h, "sni", c->flow.sni);
		mf_event_add(ev, "http", h);
	}
	add_net(ev, c, dir);
	mf_event_add(ev, "evidence", evidence_at(c, c->now.frame));
	return mf_emit(c->ctx, ev);
}

static void add_preview(cJSON *o, const char *key, const uint8_t *p, size_t n)
{
	struct mf_buf b;

	if (n == 0)
		return;
	mf_buf_init(&b, 8 * MF_HTTP_PREVIEW);
	if (mf_escape_bytes(p, n, MF_HTTP_PREVIEW, &b) == 0 && mf_buf_cstr(&b))
		mf_json_str(o, key, (const char *)b.data);
	mf_buf_free(&b);
}

/* request_* / response_* fields of a generic event. */
static void add_msg_fields(cJSON *h, const char *pre, const struct mf_http_msg *m,
                           const struct body_view *v)
{
	char key[64];
	const char *ct = mf_http_msg_get(m, "content-type");

#define K(s) (snprintf(key, sizeof(key), "%s%s", pre, s), key)
	if (ct)
		json_text(h, K("content_type"), ct);
	mf_json_u64(h, K("body_bytes"), m->body_len);
	if (v->encoding) {
		json_text(h, K("content_encoding"), v->encoding);
		if (v->status == 0 || v->status == MF_ERR_LIMIT || v->status == MF_ERR_FORMAT)
			mf_json_u64(h, K("body_decoded_bytes"), v->n);
		else
			mf_json_bool(h, K("body_decoded"), 0);
	}
	if (m->truncated || v->status == MF_ERR_LIMIT)
		mf_json_bool(h, K("body_truncated"), 1);
	if (m->body_missing)
		mf_json_u64(h, K("body_missing"), m->body_missing);
	if (m->fields_dropped)
		mf_json_bool(h, K("fields_dropped"), 1);
	if (m->head_done && !m->complete)
		mf_json_bool(h, K("complete"), 0);
	add_preview(h, K("preview"), v->p, v->n);
#undef K
}

static const char *h2_error_name(uint32_t code)
{
	static const char *const names[] = {
		"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
		"SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM",
		"CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
		"INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"
	};

	return code < sizeof(names) / sizeof(names[0]) ? names[code] : NULL;
}

static int generic_event(struct mf_http_conn *c, struct mf_http_exchange *x, const char *host,
                         const struct body_view *rq, const struct body_view *rs)
{
	int64_t ts = x->has_req ? x->req.last.ts_ns : x->resp.first.ts_ns;
	struct mf_event *ev = mf_event_new(ts, src_of(c), "http", "data");
	cJSON *h;
	const char *ua;

	if (!ev)
		return MF_ERR_NOMEM;
	h = mf_json_obj();
	if (!h) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	mf_json_str(h, "version", c->version);
	if (x->has_req) {
		json_text(h, "method", x->req.method);
		if (host[0])
			json_text(h, "host", host);
		if (is_connect(x))
			json_text(h, "authority", x->req.authority ? x->req.authority : x->req.target);
		json_text(h, "path", x->req.target);
	} else if (host[0]) {
		json_text(h, "host", host);
	}
	if (x->has_resp && x->resp.status) {
		mf_json_num(h, "status", x->resp.status);
		if (x->resp.reason && x->resp.reason[0])
			json_text(h, "reason", x->resp.reason);
	}
	if (x->resp.ninterim > 0) {
		cJSON *a = cJSON_CreateArray();
		int i;

		for (i = 0; a && i < x->resp.ninterim; i++)
			cJSON_AddItemToArray(a, mf_json_number(x->resp.interim[i]));
		if (a)
			cJSON_AddItemToObject(h, "interim", a);
	}
	if (x->has_req) {
		if ((ua = mf_http_msg_get(&x->req, "user-agent")) != NULL)
			json_text(h, "user_agent", ua);
		add_msg_fields(h, "request_", &x->req, rq);
	}
	if (x->has_resp)
		add_msg_fields(h, "response_", &x->resp, rs);
	if (!x->has_resp || !x->resp.head_done)
		mf_json_bool(h, "answered", 0);
	if (!x->has_req)
		mf_json_bool(h, "request_seen", 0);
	if (x->stream_id)
		mf_json_u64(h, "stream_id", x->stream_id);
	if (x->pushed)
		mf_json_bool(h, "pushed", 1);
	if (x->reset) {
		const char *en = h2_error_name(x->reset_code);

		if (en)
			mf_json_str(h, "reset", en);
		else
			mf_json_u64(h, "reset", x->reset_code);
	}
	if (c->flow.tls)
		mf_json_bool(h, "tls", 1);
	if (c->flow.sni)
		json_text(h, "sni", c->flow.sni);
	mf_event_add(ev, "http", h);
	add_net(ev, c, MF_DIR_C2S);
	mf_event_add(ev, "evidence", exchange_evidence(c, x));
	return mf_emit(c->ctx, ev);
}

static int cloud_exchange(struct mf_http_conn *c, struct mf_http_exchange *x, const char *host,
                          const struct body_view *rq, const struct body_view *rs);

/* Does a request to a host not named as Xiaomi's (an IP address, a proxy's
 * name) carry the Mi cloud API's signed form (micloud.md sections 5, 6),
 * in its body or URL query? */
static int micloud_form(const struct mf_http_exchange *x, const struct body_view *rq)
{
	const char *t = x->req.target ? strchr(x->req.target, '?') : NULL;
	int k;

	for (k = 0; k < 2; k++) {
		const void *p = k ? (const void *)t : (const void *)rq->p;
		size_t n = k ? (t ? strlen(t) : 0) : rq->n;

		if (!p || n == 0)
			continue;
		if (memmem(p, n, "rc4_hash__=", 11) ||
		    (memmem(p, n, "_nonce=", 7) && memmem(p, n, "signature=", 10)))
			return 1;
	}
	return 0;
}

int mf_http_exchange_done(struct mf_http_conn *c, struct mf_http_exchange *x)
{
	struct body_view rq, rs;
	struct mf_buf s1, s2;
	char host[256];
	int rc = 0, rc2;
	size_t held;

	held = x->req.body.len + x->resp.body.len;
	c->body_mem = c->body_mem > held ? c->body_mem - held : 0;
	c->ctx->st.http_body_bytes = c->ctx->st.http_body_bytes > held ?
	    c->ctx->st.http_body_bytes - held : 0;
	mf_http_exchange_host(c, x, host, sizeof(host));
	mf_buf_init(&s1, MF_HTTP_HEAD_MAX);
	mf_buf_init(&s2, MF_HTTP_HEAD_MAX);
	/* both views are set up before the first failure can return */
	rc = body_view(c, &x->req, MF_DIR_C2S, &rq, &s1);
	rc2 = body_view(c, &x->resp, MF_DIR_S2C, &rs, &s2);
	if (rc == 0)
		rc = rc2;
	if (rc == 0) {
		char th[256];

		host_part(c->flow.tunnel ? c->flow.tunnel->target : NULL, th, sizeof(th));
		if (x->has_req && !is_connect(x) && ((host[0] && mf_micloud_is_host(host)) ||
		                   (c->flow.sni && mf_micloud_is_host(c->flow.sni)) ||
		                   (th[0] && mf_micloud_is_host(th)) || micloud_form(x, &rq)))
			rc = cloud_exchange(c, x, host, &rq, &rs);
		else
			rc = generic_event(c, x, host, &rq, &rs);
	}
	mf_buf_free(&rq.dec);
	mf_buf_free(&rs.dec);
	mf_buf_free(&s1);
	mf_buf_free(&s2);
	return rc;
}

/* The "net" object of the flow, built once per exchange for the codec. */
static cJSON *flow_net(const struct mf_http_conn *c)
{
	struct mf_event *tmp;
	cJSON *net = NULL;

	if (c->flow.addr_len != 4 && c->flow.addr_len != 16)
		return NULL;
	tmp = mf_event_new(MF_TIME_NONE, "pcap", NULL, "data");
	if (!tmp)
		return NULL;
	if (mf_flow_add_net(tmp, &c->flow, MF_DIR_C2S) == 0)
		net = cJSON_DetachItemFromObjectCaseSensitive(tmp->body, "net");
	mf_event_free(tmp);
	return net;
}

/* A Xiaomi host: the cloud codec decodes the exchange (micloud.md 8). */
static int cloud_exchange(struct mf_http_conn *c, struct mf_http_exchange *x, const char *host,
                          const struct body_view *rq, const struct body_view *rs)
{
	struct mf_micloud_req q;
	struct mf_micloud_resp r;
	struct mf_buf cookie, setc;
	cJSON *ev, *net;
	int rc;

	memset(&q, 0, sizeof(q));
	memset(&r, 0, sizeof(r));
	mf_buf_init(&cookie, MF_HTTP_HEAD_MAX);
	mf_buf_init(&setc, MF_HTTP_HEAD_MAX);
	q.host = host[0] ? host : c->flow.sni;
	q.path = x->req.target;
	q.method = x->req.method;
	q.body = rq->p;
	q.body_len = rq->n;
	q.content_type = mf_http_msg_get(&x->req, "content-type");
	if (mf_http_msg_join(&x->req, "cookie", "; ", &cookie) > 0)
		q.cookie = mf_buf_cstr(&cookie);
	q.encrypt_alg = mf_http_msg_get(&x->req, "miot-encrypt-algorithm");
	q.user_agent = mf_http_msg_get(&x->req, "user-agent");
	q.body_truncated = x->req.truncated || x->req.body_missing || !x->req.complete ||
	    rq->status == MF_ERR_LIMIT || rq->status == MF_ERR_FORMAT;
	if (rq->status == MF_ERR_UNSUPPORTED)
		q.encoding_unsupported = rq->encoding;
	q.source = src_of(c);
	net = flow_net(c);
	q.net = net;
	if (x->has_resp && x->resp.head_done) {
		r.status = x->resp.status;
		r.body = rs->p;
		r.body_len = rs->n;
		r.content_type = mf_http_msg_get(&x->resp, "content-type");
		r.miot_content_encoding = mf_http_msg_get(&x->resp, "miot-content-encoding");
		if (mf_http_msg_join(&x->resp, "set-cookie", "\n", &setc) > 0)
			r.set_cookie_joined = mf_buf_cstr(&setc);
		r.extension_pragma = mf_http_msg_get(&x->resp, "extension-pragma");
		r.location = mf_http_msg_get(&x->resp, "location");
		r.body_truncated = x->resp.truncated || x->resp.body_missing || !x->resp.complete ||
		    rs->status == MF_ERR_LIMIT || rs->status == MF_ERR_FORMAT;
		r.ts_ns = x->resp.last.ts_ns == MF_TIME_NONE ? 0 : x->resp.last.ts_ns;
		if (rs->status == MF_ERR_UNSUPPORTED)
			r.encoding_unsupported = rs->encoding;
	}
	ev = exchange_evidence(c, x);
	rc = mf_micloud_exchange(c->ctx, &q, x->has_resp && x->resp.head_done ? &r : NULL,
	    x->req.last.ts_ns, ev);
	cJSON_Delete(ev);
	cJSON_Delete(net);
	mf_buf_free(&cookie);
	mf_buf_free(&setc);
	return rc;
}

/* ---- bytes nobody parses ---- */

void mf_http_raw_start(struct mf_http_conn *c, int dir, const char *reason)
{
	struct mf_http_raw *r = &c->raw[dir & 1];

	if (r->on)
		return;
	r->on = 1;
	r->reason = reason;
	r->at = c->now;
}

int mf_http_raw_add(struct mf_http_conn *c, int dir, const uint8_t *p, size_t n)
{
	struct mf_http_raw *r = &c->raw[dir & 1];
	size_t room = r->preview.cap - r->preview.len;

	if (r->at.frame == 0 && n > 0)
		r->at = c->now;
	r->bytes += n;
	if (room > 0 && n > 0)
		(void)mf_buf_add(&r->preview, p, n < room ? n : room);
	return 0;
}

int mf_http_raw_flush(struct mf_http_conn *c)
{
	int d, rc = 0;

	for (d = 0; d < 2 && rc == 0; d++) {
		struct mf_http_raw *r = &c->raw[d];
		struct mf_event *ev;
		cJSON *h;

		if (!r->on || (r->bytes == 0 && r->missing == 0))
			continue;
		/* TLS plaintext that is not HTTP is the TLS session's data */
		ev = mf_event_new(r->at.ts_ns, src_of(c), c->flow.opaque ? "tls" : "http", "data");
		if (!ev)
			return MF_ERR_NOMEM;
		h = mf_json_obj();
		if (h) {
			if (c->flow.opaque) {
				mf_json_str(h, "direction", d == MF_DIR_C2S ? "client_to_server"
				    : "server_to_client");
			} else {
				mf_json_str(h, "version", c->version);
				mf_json_str(h, "direction", d == MF_DIR_C2S ? "request" : "response");
			}
			mf_json_str(h, "unparsed", r->reason);
			mf_json_u64(h, "bytes", r->bytes);
			if (r->missing)
				mf_json_u64(h, "missing", r->missing);
			if (r->preview.len)
				add_preview(h, "preview", r->preview.data, r->preview.len);
			if (c->flow.tls && !c->flow.opaque)
				mf_json_bool(h, "tls", 1);
			if (c->flow.sni)
				json_text(h, "sni", c->flow.sni);
			mf_event_add(ev, c->flow.opaque ? "tls" : "http", h);
		}
		add_net(ev, c, d);
		mf_event_add(ev, "evidence", evidence_at(c, r->at.frame));
		rc = mf_emit(c->ctx, ev);
		r->bytes = r->missing = 0;
	}
	return rc;
}
