/*
 * mf_http1.c - HTTP/1.0 and HTTP/1.1 over one TCP connection (or the
 * plaintext inside TLS): a stream consumer (mf_stream.h) that turns both
 * directions into request/response exchanges (mf_http_common.c).
 *
 * References: RFC 9112 (message syntax: section 3 request line, 4 status
 * line, 5 fields, 6.3 message body length, 7.1 chunked coding and trailer
 * section), RFC 9110 section 15.2 (1xx), 9.3.6 (CONNECT); picohttpparser
 * (h2o) for the parse-a-complete-head / need-more / error contract.
 *
 *   request  = method SP request-target SP HTTP/x.y CRLF *(field CRLF) CRLF [body]
 *   response = HTTP/x.y SP 3DIGIT [SP reason] CRLF *(field CRLF) CRLF [body]
 *   chunked  = *(hex-size [;ext] CRLF data CRLF) "0" CRLF *(trailer CRLF) CRLF
 *
 * Response body length (RFC 9112 section 6.3), first rule that applies:
 *   answer to HEAD, 1xx, 204, 304           -> none
 *   2xx answer to CONNECT                   -> the connection is a tunnel (below)
 *   101                                     -> the connection leaves HTTP
 *   Transfer-Encoding ending in chunked     -> chunked
 *   other Transfer-Encoding                 -> until the connection closes
 *   Content-Length                          -> that many bytes
 *   otherwise                               -> until the connection closes
 * Requests: chunked, Content-Length, else no body.
 *
 * Each direction is a small state machine fed in-order bytes in pieces of
 * any size (one byte at a time gives the same result as one piece).  A head
 * is collected line by line into a capped buffer (MF_HTTP_HEAD_MAX) and
 * parsed when its empty line arrives.  Responses are paired with requests
 * first in, first out (pipelining included); 1xx responses are remembered
 * on the exchange they precede.  A malformed head, chunk or field is an
 * anomaly, and that direction's remaining bytes become one "data" record.
 *
 * CONNECT tunnels (RFC 9110 section 9.3.6; a client behind an explicit
 * proxy).  Once a CONNECT request is complete, the client's further bytes
 * belong to the tunnel it asked for: they are held (TUNNEL_HOLD_MAX per
 * direction) until the proxy's final answer.
 *
 *   client: CONNECT host:port HTTP/1.1 ... CRLF CRLF | tunnel bytes ...
 *   proxy:                HTTP/1.1 200 ... CRLF CRLF | tunnel bytes ...
 *
 *   2xx                 the tunnel opens; when the client's first tunnel
 *                       bytes are a TLS handshake record, both directions go
 *                       to a TLS consumer (mf_proto_tls) whose flow is this
 *                       connection's with flow.tunnel set; else they are
 *                       "data" records (http.unparsed "tunnel"), as before
 *   other final status  refused: the connection stays HTTP (a 407 is often
 *                       followed by a CONNECT with credentials); bytes the
 *                       client already sent are data ("tunnel_refused")
 *   none (stream end, a gap, too many bytes held)
 *                       the client's bytes are judged alone (TLS, else data
 *                       "tunnel_unanswered"); the TLS session says no status
 *
 * The TLS consumer belongs to this connection: it is closed when the
 * connection ends, and when it lingers for a late key (mf_stream.h) this
 * consumer lingers with it (h1_resume) and frees everything else.
 */
#include "mf_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_frame.h"
#include "mf_tls.h"

#define CHUNK_LINE_MAX 1024
#define QUEUE_MAX 1024          /* exchanges awaiting emission per connection */
#define TUNNEL_HOLD_MAX (64u * 1024)  /* tunnel bytes held per direction before the
                                         tunnel's content is known */
#define TUNNEL_SNIFF 6          /* client bytes that show a TLS ClientHello record */

enum h1_state {
	S_HEAD,         /* collecting a start line + fields */
	S_BODY_LEN,     /* Content-Length body: remain bytes */
	S_CHUNK_SIZE,   /* collecting a chunk-size line */
	S_CHUNK_DATA,   /* remain bytes of chunk data */
	S_CHUNK_CRLF,   /* the CRLF after chunk data */
	S_TRAILER,      /* collecting the trailer section */
	S_BODY_CLOSE,   /* response body until the connection ends */
	S_TUNNEL,       /* bytes of the CONNECT tunnel (h->tun) */
	S_RAW           /* not parsed any more (mf_http_raw_*) */
};

enum tun_state {
	T_WAIT,         /* CONNECT sent, no final answer yet */
	T_OPEN,         /* 2xx: the tunnel's content is not known yet */
	T_TLS           /* both directions go to the TLS consumer */
};

/* A CONNECT tunnel of the connection (at most one: after it the
 * connection's bytes are the tunnel's). */
struct h1_tunnel {
	struct mf_tunnel info;
	struct mf_flow fl;          /* what the tunnel's consumer sees (fl.tunnel = &info) */
	enum tun_state state;
	struct mf_buf hold[2];      /* bytes before the content was known */
	struct mf_http_at hold_at[2];   /* frame of each one's first byte */
	struct mf_http_at start;    /* the 2xx answer */
	void *tls;                  /* the TLS consumer's state (T_TLS), owned */
};

struct h1_dir {
	enum h1_state state;
	struct mf_buf line;         /* head / chunk line / trailer being collected */
	size_t line_start;          /* offset of the current line in `line` */
	uint64_t remain;
	struct mf_http_at head_at;  /* frame of the head's first byte */
	struct mf_http_exchange *x; /* whose message is being read (not owned) */
	unsigned saw_cr : 1;        /* S_CHUNK_CRLF */
	unsigned closed : 1;
};

struct h1 {
	struct mf_http_conn c;
	struct h1_dir d[2];
	struct mf_http_exchange *qhead, *qtail;  /* FIFO, owned, not yet emitted */
	size_t nq;
	void *h2;                   /* HTTP/2 with prior knowledge on an HTTP/1 port */
	struct h1_tunnel *tun;      /* owned */
	unsigned lingering : 1;     /* closed; only tun->tls is left, waiting for a key */
};

/* ---- character classes (RFC 9110 section 5.6.2) ---- */

static int is_tchar(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
		return 1;
	return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

/* "HTTP/" DIGIT "." DIGIT */
static int is_version(const char *p, size_t n)
{
	return n == 8 && memcmp(p, "HTTP/", 5) == 0 && is_digit((unsigned char)p[5]) &&
	    p[6] == '.' && is_digit((unsigned char)p[7]);
}

/* ---- head parser ---- */

/* Next line of buf[off..len): *ll = length without CR LF; returns the
 * offset after the LF, or 0 when no LF.  A CR elsewhere than before the LF
 * makes *bad_cr 1. */
static size_t next_line(const char *buf, size_t len, size_t off, size_t *ll, int *bad_cr)
{
	const char *lf = memchr(buf + off, '\n', len - off);
	size_t e;

	if (!lf)
		return 0;
	e = (size_t)(lf - buf);
	*ll = e - off;
	if (*ll > 0 && buf[e - 1] == '\r')
		(*ll)--;
	*bad_cr = memchr(buf + off, '\r', *ll) != NULL;
	return e + 1;
}

static int parse_request_line(const char *s, size_t n, struct mf_http_msg *m)
{
	const char *sp1, *sp2;
	size_t i;

	sp1 = memchr(s, ' ', n);
	if (!sp1 || sp1 == s || sp1 - s > 32)
		return MF_ERR_FORMAT;
	for (i = 0; i < (size_t)(sp1 - s); i++)
		if (!is_tchar((unsigned char)s[i]))
			return MF_ERR_FORMAT;
	sp2 = s + n;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	if (sp2 - 1 <= sp1 + 0 || !is_version(sp2, (size_t)(s + n - sp2)))
		return MF_ERR_FORMAT;
	/* request-target: visible characters (obs-text tolerated) */
	for (i = (size_t)(sp1 + 1 - s); i < (size_t)(sp2 - 1 - s); i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return MF_ERR_FORMAT;
	if (sp2 - 1 == sp1 + 1)
		return MF_ERR_FORMAT;   /* empty target */
	m->method = mf_http_strndup(s, (size_t)(sp1 - s));
	m->target = mf_http_strndup(sp1 + 1, (size_t)(sp2 - 1 - (sp1 + 1)));
	if (!m->method || !m->target)
		return MF_ERR_NOMEM;
	return 0;
}

static int parse_status_line(const char *s, size_t n, struct mf_http_msg *m)
{
	size_t i;

	if (n < 12 || !is_version(s, 8) || s[8] != ' ' || !is_digit((unsigned char)s[9]) ||
	    !is_digit((unsigned char)s[10]) || !is_digit((unsigned char)s[11]))
		return MF_ERR_FORMAT;
	if (n > 12 && s[12] != ' ')
		return MF_ERR_FORMAT;
	for (i = 13; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return MF_ERR_FORMAT;
	m->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (m->status < 100)
		return MF_ERR_FORMAT;
	m->reason = mf_http_strndup(n > 13 ? s + 13 : "", n > 13 ? n - 13 : 0);
	return m->reason ? 0 : MF_ERR_NOMEM;
}

/* One field line "name: value" (OWS trimmed); a line starting with SP/HT
 * continues the previous field (obs-fold, joined with one SP). */
static int parse_field_line(const char *s, size_t n, struct mf_http_msg *m, int trailer)
{
	const char *colon;
	size_t nl, i;
	const char *v;
	size_t vl;

	if (s[0] == ' ' || s[0] == '\t') {
		struct mf_http_field *f;
		char *nv;
		size_t ol;

		if (m->fields_dropped)
			return 0;       /* it may continue a field that was not kept */
		if (m->nf == 0)
			return MF_ERR_FORMAT;
		while (n > 0 && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		f = &m->f[m->nf - 1];
		ol = strlen(f->value);
		if (n > MF_HTTP_HEAD_MAX || m->f_bytes > MF_HTTP_HEAD_MAX - n)
			return 0;
		nv = realloc(f->value, ol + 1 + n + 1);
		if (!nv)
			return MF_ERR_NOMEM;
		nv[ol] = ' ';
		memcpy(nv + ol + 1, s, n);
		nv[ol + 1 + n] = '\0';
		f->value = nv;
		m->f_bytes += n + 1;
		return 0;
	}
	colon = memchr(s, ':', n);
	if (!colon || colon == s)
		return MF_ERR_FORMAT;
	nl = (size_t)(colon - s);
	for (i = 0; i < nl; i++)
		if (!is_tchar((unsigned char)s[i]))
			return MF_ERR_FORMAT;
	v = colon + 1;
	vl = n - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	for (i = 0; i < vl; i++)
		if (v[i] == '\0')
			return MF_ERR_FORMAT;
	return mf_http_msg_field(m, s, nl, v, vl, trailer);
}

/* Fields up to the empty line; returns consumed, MF_ERR_AGAIN, or errors. */
static ssize_t parse_fields(const char *buf, size_t len, size_t off, struct mf_http_msg *m,
                            int trailer)
{
	for (;;) {
		size_t ll, nx;
		int bad_cr, rc;

		nx = next_line(buf, len, off, &ll, &bad_cr);
		if (nx == 0)
			return MF_ERR_AGAIN;
		if (ll == 0)
			return (ssize_t)nx;
		if (bad_cr)
			return MF_ERR_FORMAT;
		rc = parse_field_line(buf + off, ll, m, trailer);
		if (rc)
			return rc;
		off = nx;
	}
}

ssize_t mf_http1_parse_head(const char *buf, size_t len, int request, struct mf_http_msg *m,
                            const char **why)
{
	size_t off = 0, ll, nx;
	int bad_cr, rc;
	ssize_t r;

	*why = NULL;
	for (;;) {                  /* empty lines before the start line */
		nx = next_line(buf, len, off, &ll, &bad_cr);
		if (nx == 0)
			return MF_ERR_AGAIN;
		if (ll > 0)
			break;
		off = nx;
	}
	/* the whole head must be there before anything is filled in */
	for (r = (ssize_t)nx;;) {
		size_t l2, n2;
		int b2;

		n2 = next_line(buf, len, (size_t)r, &l2, &b2);
		if (n2 == 0)
			return MF_ERR_AGAIN;
		r = (ssize_t)n2;
		if (l2 == 0)
			break;
	}
	*why = request ? "http_bad_request_line" : "http_bad_status_line";
	if (bad_cr)
		return MF_ERR_FORMAT;
	rc = request ? parse_request_line(buf + off, ll, m) : parse_status_line(buf + off, ll, m);
	if (rc)
		return rc;
	*why = "http_bad_header";
	r = parse_fields(buf, len, nx, m, 0);
	if (r < 0)
		return r == MF_ERR_AGAIN ? MF_ERR_FORMAT : r;
	*why = NULL;
	m->head_done = 1;
	return r;
}

/* ---- connection state ---- */

static int emit_ready(struct h1 *h, int all);

static void queue_add(struct h1 *h, struct mf_http_exchange *x)
{
	if (h->qtail)
		h->qtail->next = x;
	else
		h->qhead = x;
	h->qtail = x;
	h->nq++;
}

static const char *dir_name(int dir)
{
	return dir == MF_DIR_C2S ? "request" : "response";
}

/* Direction dir goes raw: what was collected of a head goes first. */
static void go_raw(struct h1 *h, int dir, const char *reason)
{
	struct h1_dir *d = &h->d[dir];

	if (d->state == S_RAW)
		return;
	mf_http_raw_start(&h->c, dir, reason);
	if (d->line.len)
		mf_http_raw_add(&h->c, dir, d->line.data, d->line.len);
	mf_buf_reset(&d->line);
	d->line_start = 0;
	d->state = S_RAW;
	d->x = NULL;
}

static int fail(struct h1 *h, int dir, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An anomaly, then dir goes raw. */
static int fail(struct h1 *h, int dir, const char *reason, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	rc = mf_http_anomaly(&h->c, dir, reason, "%s", detail);
	go_raw(h, dir, "parse_error");
	return rc;
}

static int tunnel_wait(struct h1 *h, struct mf_http_exchange *x);

/* The message being read in dir is complete. */
static int msg_complete(struct h1 *h, int dir)
{
	struct h1_dir *d = &h->d[dir];
	struct mf_http_exchange *x = d->x;
	int rc;

	if (x) {
		struct mf_http_msg *m = dir == MF_DIR_C2S ? &x->req : &x->resp;

		m->complete = 1;
		mf_http_msg_touch(m, &h->c);
	}
	d->x = NULL;
	d->state = S_HEAD;
	mf_buf_reset(&d->line);
	d->line_start = 0;
	if (dir == MF_DIR_C2S && x && !x->has_resp && !h->tun && x->req.method &&
	    strcasecmp(x->req.method, "CONNECT") == 0 && (rc = tunnel_wait(h, x)) != 0)
		return rc;
	return emit_ready(h, 0);
}

/* Content-Length: digits, or a list of equal values; -1 invalid. */
static int64_t content_length(const struct mf_http_msg *m)
{
	int64_t v = -2;
	size_t i;

	for (i = 0; i < m->nf; i++) {
		const char *s = m->f[i].value;

		if (m->f[i].trailer || strcasecmp(m->f[i].name, "content-length") != 0)
			continue;
		while (*s) {
			int64_t x = 0;
			int nd = 0;

			while (*s == ' ' || *s == '\t' || *s == ',')
				s++;
			if (!*s)
				break;
			while (is_digit((unsigned char)*s)) {
				if (++nd > 18)
					return -1;
				x = x * 10 + (*s++ - '0');
			}
			if (nd == 0 || (*s && *s != ',' && *s != ' ' && *s != '\t'))
				return -1;
			if (v >= 0 && v != x)
				return -1;
			v = x;
		}
	}
	return v;
}

/* Transfer-Encoding: 0 none, 1 ends in chunked, 2 something else. */
static int transfer_encoding(const struct mf_http_msg *m)
{
	const char *last = NULL;
	size_t i;

	for (i = 0; i < m->nf; i++) {
		const char *s = m->f[i].value, *c, *l = NULL;

		if (m->f[i].trailer || strcasecmp(m->f[i].name, "transfer-encoding") != 0)
			continue;
		for (c = s; *c; c++)
			if (*c != ' ' && *c != '\t' && *c != ',')
				l = c;
		if (!l)
			continue;       /* only separators: the earlier field's last coding stands */
		/* find the start of the last coding (within this field's value) */
		while (l > s && l[-1] != ',' && l[-1] != ' ' && l[-1] != '\t')
			l--;
		last = l;
	}
	if (!last)
		return 0;
	return strncasecmp(last, "chunked", 7) == 0 &&
	    (last[7] == '\0' || last[7] == ' ' || last[7] == '\t' || last[7] == ';') ? 1 : 2;
}

/* ---- CONNECT tunnels ---- */

static void tunnel_free(struct h1_tunnel *t)
{
	if (!t)
		return;
	mf_buf_free(&t->hold[0]);
	mf_buf_free(&t->hold[1]);
	free(t);
}

/* The CONNECT request x is complete and unanswered: the client's next
 * bytes are the tunnel's, held until the answer. */
static int tunnel_wait(struct h1 *h, struct mf_http_exchange *x)
{
	struct h1_tunnel *t = calloc(1, sizeof(*t));
	struct mf_buf e;
	size_t n;
	int d;

	if (!t)
		return MF_ERR_NOMEM;
	mf_buf_init(&e, 4 * sizeof(t->info.target));
	if (x->req.target && mf_escape_bytes((const uint8_t *)x->req.target,
	    strlen(x->req.target), sizeof(t->info.target) - 4, &e) == 0) {
		n = e.len < sizeof(t->info.target) - 1 ? e.len : sizeof(t->info.target) - 1;
		memcpy(t->info.target, e.data, n);
	}
	mf_buf_free(&e);
	t->info.request = x->number;
	t->fl = h->c.flow;
	t->fl.sni = NULL;
	t->fl.alpn = NULL;
	t->fl.tls = 0;
	t->fl.opaque = 0;
	t->fl.tunnel = &t->info;
	for (d = 0; d < 2; d++)
		mf_buf_init(&t->hold[d], TUNNEL_HOLD_MAX);
	t->state = T_WAIT;
	h->tun = t;
	h->d[MF_DIR_C2S].state = S_TUNNEL;
	return 0;
}

/* The frame of a held byte, for the consumer it is finally given to. */
static void held_frame(const struct h1 *h, const struct mf_http_at *at, struct mf_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->number = at->frame;
	f->ts_ns = at->ts_ns;
	f->input = h->c.input;
}

/* The tunnel's content is known: TLS when the client's first bytes are a
 * handshake record, else data.  force: judge whatever is held (the stream
 * ended, a gap, the hold is full, no answer).  Returns 0 (also when it
 * cannot tell yet) or MF_ERR_NOMEM. */
static int tunnel_decide(struct h1 *h, int force)
{
	struct h1_tunnel *t = h->tun;
	const struct mf_buf *c = &t->hold[MF_DIR_C2S];
	struct mf_frame f;
	int d, rc = 0;

	if (t->state == T_TLS || (!force && (t->state == T_WAIT || c->len < TUNNEL_SNIFF)))
		return 0;
	if (c->len >= 3 && mf_tls_probe(c->data, c->len) == 1) {
		t->tls = mf_proto_tls.open(h->c.ctx, &t->fl);
		if (!t->tls)
			return MF_ERR_NOMEM;
		t->state = T_TLS;
		for (d = 0; d < 2 && rc == 0; d++) {
			if (t->hold[d].len == 0)
				continue;
			held_frame(h, &t->hold_at[d], &f);
			rc = mf_proto_tls.data(t->tls, h->c.ctx, d, t->hold[d].data, t->hold[d].len,
			    &f);
			mf_buf_free(&t->hold[d]);
		}
		return rc;
	}
	/* not TLS: the directions in the tunnel are data, as they always were */
	for (d = 0; d < 2; d++) {
		if (h->d[d].state != S_TUNNEL)
			continue;
		h->d[d].state = S_HEAD;
		go_raw(h, d, t->state == T_OPEN ? "tunnel" : "tunnel_unanswered");
		if (t->state == T_OPEN)
			h->c.raw[d].at = t->start;
		else if (t->hold[d].len)
			h->c.raw[d].at = t->hold_at[d];
		if (t->hold[d].len)
			mf_http_raw_add(&h->c, d, t->hold[d].data, t->hold[d].len);
	}
	tunnel_free(t);
	h->tun = NULL;
	return 0;
}

/* A 2xx answered the CONNECT: the proxy's next bytes are the tunnel's. */
static int tunnel_open(struct h1 *h, int status)
{
	struct h1_tunnel *t = h->tun;

	h->d[MF_DIR_S2C].state = S_TUNNEL;
	if (t->state != T_WAIT)
		return 0;           /* judged before the answer came (status not known to it) */
	t->info.status = status;
	t->state = T_OPEN;
	t->start = h->c.now;
	return tunnel_decide(h, 0);
}

/* Another final status answered the CONNECT: no tunnel.  The connection
 * stays HTTP; what the client sent meanwhile was meant for the tunnel. */
static void tunnel_refused(struct h1 *h)
{
	struct h1_tunnel *t = h->tun;
	struct h1_dir *d = &h->d[MF_DIR_C2S];

	h->tun = NULL;
	d->state = S_HEAD;
	if (t->hold[MF_DIR_C2S].len) {
		go_raw(h, MF_DIR_C2S, "tunnel_refused");
		h->c.raw[MF_DIR_C2S].at = t->hold_at[MF_DIR_C2S];
		mf_http_raw_add(&h->c, MF_DIR_C2S, t->hold[MF_DIR_C2S].data,
		    t->hold[MF_DIR_C2S].len);
	}
	tunnel_free(t);
}

/* Bytes of a direction in S_TUNNEL; returns n or MF_ERR_NOMEM. */
static ssize_t tunnel_data(struct h1 *h, int dir, const uint8_t *p, size_t n,
                           const struct mf_frame *f)
{
	struct h1_tunnel *t = h->tun;
	int rc;

	if (!t) {                   /* cannot happen: a tunnel state without a tunnel */
		go_raw(h, dir, "tunnel");
		mf_http_raw_add(&h->c, dir, p, n);
		return (ssize_t)n;
	}
	if (t->state != T_TLS) {
		if (t->hold[dir].len + n > TUNNEL_HOLD_MAX) {
			/* held long enough: judged on what is there */
			if ((rc = tunnel_decide(h, 1)) != 0)
				return rc;
			return h->d[dir].state == S_TUNNEL ? tunnel_data(h, dir, p, n, f) : 0;
		}
		if (t->hold[dir].len == 0)
			t->hold_at[dir] = h->c.now;
		if (mf_buf_add(&t->hold[dir], p, n))
			return MF_ERR_NOMEM;
		rc = tunnel_decide(h, 0);
		return rc ? rc : (ssize_t)n;
	}
	rc = mf_proto_tls.data(t->tls, h->c.ctx, dir, p, n, f);
	return rc ? rc : (ssize_t)n;
}

/* A gap in a direction in S_TUNNEL. */
static void tunnel_gap(struct h1 *h, int dir, uint64_t missing, const struct mf_frame *f)
{
	if (h->tun && h->tun->state != T_TLS)
		(void)tunnel_decide(h, 1);
	if (h->tun && h->tun->state == T_TLS) {
		if (h->d[dir].state == S_TUNNEL)
			mf_proto_tls.gap(h->tun->tls, h->c.ctx, dir, missing, f);
		return;
	}
	if (h->d[dir].state != S_RAW)
		go_raw(h, dir, "gap");
	h->c.raw[dir].missing += missing;
}

/* A complete head in dir: start the message. */
static int head_done(struct h1 *h, int dir, struct mf_http_msg *tmp)
{
	struct h1_dir *d = &h->d[dir];
	struct mf_http_exchange *x = NULL;
	struct mf_http_msg *m;
	int te = transfer_encoding(tmp), rc;
	int64_t cl = content_length(tmp);

	if (dir == MF_DIR_C2S) {
		if (h->nq >= QUEUE_MAX) {
			/* a client that never gets answers: make room, oldest first */
			struct mf_http_exchange *o = h->qhead;

			if (o == h->d[MF_DIR_S2C].x) {
				mf_http_msg_free(tmp);
				return fail(h, dir, "http_pipeline_overflow",
				    "more than %s requests await an answer", "1024");
			}
			rc = mf_http_anomaly(&h->c, dir, "http_pipeline_overflow",
			    "more than %d requests await an answer: request %llu reported unanswered",
			    QUEUE_MAX, (unsigned long long)o->number);
			h->qhead = o->next;
			if (!h->qhead)
				h->qtail = NULL;
			h->nq--;
			if (rc == 0)
				rc = mf_http_exchange_done(&h->c, o);
			mf_http_exchange_free(o);
			if (rc) {
				mf_http_msg_free(tmp);
				return rc;
			}
		}
		x = mf_http_exchange_new(&h->c);
		if (!x) {
			mf_http_msg_free(tmp);
			return MF_ERR_NOMEM;
		}
		x->has_req = 1;
		x->number = ++h->c.nreq;
		tmp->body = x->req.body;        /* keep the capped, empty body */
		x->req = *tmp;
		queue_add(h, x);
		m = &x->req;
	} else {
		for (x = h->qhead; x && x->has_resp; x = x->next)
			;
		if (tmp->status >= 100 && tmp->status < 200 && tmp->status != 101) {
			/* interim: remembered on the exchange it precedes */
			if (x && x->resp.ninterim < MF_HTTP_INTERIM_MAX)
				x->resp.interim[x->resp.ninterim++] = tmp->status;
			mf_http_msg_free(tmp);
			mf_buf_reset(&d->line);
			d->line_start = 0;
			return 0;
		}
		if (!x) {               /* an answer to no request we saw */
			x = mf_http_exchange_new(&h->c);
			if (!x) {
				mf_http_msg_free(tmp);
				return MF_ERR_NOMEM;
			}
			x->number = ++h->c.nreq;
			queue_add(h, x);
		}
		x->has_resp = 1;
		memcpy(tmp->interim, x->resp.interim, sizeof(tmp->interim));
		tmp->ninterim = x->resp.ninterim;
		tmp->body = x->resp.body;
		x->resp = *tmp;
		m = &x->resp;
	}
	memset(tmp, 0, sizeof(*tmp));
	m->first = d->head_at;
	m->last = h->c.now;
	d->x = x;
	mf_buf_reset(&d->line);
	d->line_start = 0;

	if (dir == MF_DIR_S2C) {
		const char *method = x->has_req ? x->req.method : NULL;
		int st = m->status;

		if (h->tun && h->tun->info.request == x->number) {
			/* the answer to the CONNECT the client's bytes wait on */
			if (st / 100 == 2) {
				rc = msg_complete(h, dir);
				return rc ? rc : tunnel_open(h, st);
			}
			if (h->tun->state == T_WAIT)
				tunnel_refused(h);
		}
		if (st == 101 || (method && strcasecmp(method, "CONNECT") == 0 && st / 100 == 2)) {
			/* the connection leaves HTTP: both sides reported as data */
			rc = msg_complete(h, dir);
			if (h->d[MF_DIR_C2S].x == NULL && h->d[MF_DIR_C2S].state == S_HEAD &&
			    h->d[MF_DIR_C2S].line.len == 0)
				go_raw(h, MF_DIR_C2S, st == 101 ? "upgraded" : "tunnel");
			go_raw(h, dir, st == 101 ? "upgraded" : "tunnel");
			return rc ? rc : emit_ready(h, 0);
		}
		if ((method && strcasecmp(method, "HEAD") == 0) || st == 204 || st == 304)
			return msg_complete(h, dir);
	}
	if (te == 1) {
		m->chunked = 1;
		d->state = S_CHUNK_SIZE;
		return 0;
	}
	if (te == 2) {
		if (dir == MF_DIR_C2S)
			return fail(h, dir, "http_bad_header", "%s with a Transfer-Encoding not "
			    "ending in chunked", "request");
		m->until_close = 1;
		d->state = S_BODY_CLOSE;
		return 0;
	}
	if (cl == -1)
		return fail(h, dir, "http_bad_header", "%s with an invalid Content-Length",
		    dir_name(dir));
	if (cl >= 0) {
		d->remain = (uint64_t)cl;
		if (cl == 0)
			return msg_complete(h, dir);
		d->state = S_BODY_LEN;
		return 0;
	}
	if (dir == MF_DIR_C2S)
		return msg_complete(h, dir);
	m->until_close = 1;
	d->state = S_BODY_CLOSE;
	return 0;
}

/* Collects up to the next LF into d->line; returns bytes taken.  *eol is
 * set when a line ended; *over when cap would be passed (nothing taken). */
static size_t take_line(struct h1_dir *d, const uint8_t *p, size_t n, size_t cap, int *eol,
                        int *over, int *nomem)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n;
	int rc;

	*eol = lf != NULL;
	*over = 0;
	*nomem = 0;
	if (d->line.len + take > cap) {
		*over = 1;
		return 0;
	}
	rc = mf_buf_add(&d->line, p, take);
	if (rc) {
		if (rc == MF_ERR_LIMIT)
			*over = 1;
		else
			*nomem = 1;
		return 0;
	}
	return take;
}

/* Length of the line ending at the end of d->line, without CR LF. */
static size_t last_line_len(const struct h1_dir *d)
{
	size_t n = d->line.len - d->line_start;

	if (n > 0 && d->line.data[d->line.len - 1] == '\n')
		n--;
	if (n > 0 && d->line.data[d->line_start + n - 1] == '\r')
		n--;
	return n;
}

/* "PRI * HTTP/2.0" opening the connection: the client speaks HTTP/2 with
 * prior knowledge (RFC 9113 section 3.3) on a port the table gave to
 * HTTP/1; everything is handed to the HTTP/2 consumer from here on. */
static ssize_t to_http2(struct h1 *h, size_t took)
{
	struct h1_dir *d = &h->d[MF_DIR_C2S];
	struct mf_frame f;
	int rc;

	h->h2 = mf_proto_http2.open(h->c.ctx, &h->c.flow);
	if (!h->h2)
		return MF_ERR_NOMEM;
	memset(&f, 0, sizeof(f));
	f.number = h->c.now.frame;
	f.ts_ns = h->c.now.ts_ns;
	f.input = h->c.input;
	rc = mf_proto_http2.data(h->h2, h->c.ctx, MF_DIR_C2S, d->line.data, d->line.len, &f);
	mf_buf_reset(&d->line);
	d->line_start = 0;
	return rc ? rc : (ssize_t)took;
}

static ssize_t step_head(struct h1 *h, int dir, const uint8_t *p, size_t n)
{
	struct h1_dir *d = &h->d[dir];
	struct mf_http_msg tmp;
	const char *why;
	size_t took;
	int eol, over, nomem, rc;
	ssize_t r;

	if (d->line.len == 0)
		d->head_at = h->c.now;
	took = take_line(d, p, n, MF_HTTP_HEAD_MAX, &eol, &over, &nomem);
	if (nomem)
		return MF_ERR_NOMEM;
	if (over) {
		rc = fail(h, dir, "http_header_too_large", "%s head longer than the cap",
		    dir_name(dir));
		return rc ? rc : 0;
	}
	if (!eol)
		return (ssize_t)took;
	if (last_line_len(d) != 0) {
		/* early check: the start line decides quickly whether this is HTTP */
		if (d->line_start == 0) {
			const char *s = (const char *)d->line.data;
			size_t ll = last_line_len(d);
			int bad;

			mf_http_msg_init(&tmp, h->c.ctx);
			bad = dir == MF_DIR_C2S ? parse_request_line(s, ll, &tmp)
			                        : parse_status_line(s, ll, &tmp);
			mf_http_msg_free(&tmp);
			if (bad == MF_ERR_NOMEM)
				return bad;
			if (!bad && dir == MF_DIR_C2S && h->c.nreq == 0 && !h->qhead &&
			    ll == 14 && memcmp(s, "PRI * HTTP/2.0", 14) == 0)
				return to_http2(h, took);
			if (bad || memchr(s, '\r', ll)) {
				rc = fail(h, dir, dir == MF_DIR_C2S ? "http_bad_request_line"
				    : "http_bad_status_line", "%s does not start like HTTP/1.x",
				    dir_name(dir));
				return rc ? rc : (ssize_t)took;
			}
		}
		d->line_start = d->line.len;
		return (ssize_t)took;
	}
	if (d->line_start == 0) {       /* empty line between messages */
		mf_buf_reset(&d->line);
		return (ssize_t)took;
	}
	mf_http_msg_init(&tmp, h->c.ctx);
	r = mf_http1_parse_head((const char *)d->line.data, d->line.len, dir == MF_DIR_C2S, &tmp,
	    &why);
	if (r < 0) {
		mf_http_msg_free(&tmp);
		if (r == MF_ERR_NOMEM)
			return r;
		rc = fail(h, dir, why ? why : "http_bad_header", "malformed %s head",
		    dir_name(dir));
		return rc ? rc : (ssize_t)took;
	}
	rc = head_done(h, dir, &tmp);
	mf_http_msg_free(&tmp);
	return rc ? rc : (ssize_t)took;
}

/* Chunk-size line: hex [ws] [; ext] */
static int chunk_size(const uint8_t *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0, nd = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < n; i++) {
		unsigned ch = s[i], dv;

		if (ch >= '0' && ch <= '9')
			dv = ch - '0';
		else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
			dv = (ch | 0x20) - 'a' + 10;
		else
			break;
		if (v >> 56)
			return MF_ERR_FORMAT;
		v = v << 4 | dv;
		nd++;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (nd == 0 || (i < n && s[i] != ';'))
		return MF_ERR_FORMAT;
	*out = v;
	return 0;
}

static ssize_t step_chunk_size(struct h1 *h, int dir, const uint8_t *p, size_t n)
{
	struct h1_dir *d = &h->d[dir];
	size_t took;
	int eol, over, nomem, rc;
	uint64_t v;

	took = take_line(d, p, n, CHUNK_LINE_MAX, &eol, &over, &nomem);
	if (nomem)
		return MF_ERR_NOMEM;
	if (over) {
		rc = fail(h, dir, "http_bad_chunk", "%s chunk-size line too long", dir_name(dir));
		return rc ? rc : 0;
	}
	if (!eol)
		return (ssize_t)took;
	if (chunk_size(d->line.data, last_line_len(d), &v) != 0) {
		rc = fail(h, dir, "http_bad_chunk", "%s chunk-size line is not hex", dir_name(dir));
		return rc ? rc : (ssize_t)took;
	}
	mf_buf_reset(&d->line);
	d->line_start = 0;
	if (v == 0) {
		d->state = S_TRAILER;
	} else {
		d->remain = v;
		d->state = S_CHUNK_DATA;
	}
	return (ssize_t)took;
}

static ssize_t step_trailer(struct h1 *h, int dir, const uint8_t *p, size_t n)
{
	struct h1_dir *d = &h->d[dir];
	struct mf_http_msg *m;
	size_t took;
	int eol, over, nomem, rc;
	ssize_t r;

	took = take_line(d, p, n, MF_HTTP_HEAD_MAX, &eol, &over, &nomem);
	if (nomem)
		return MF_ERR_NOMEM;
	if (over) {
		rc = fail(h, dir, "http_header_too_large", "%s trailer section too long",
		    dir_name(dir));
		return rc ? rc : 0;
	}
	if (!eol)
		return (ssize_t)took;
	if (last_line_len(d) != 0) {
		d->line_start = d->line.len;
		return (ssize_t)took;
	}
	m = d->x ? (dir == MF_DIR_C2S ? &d->x->req : &d->x->resp) : NULL;
	if (m && d->line.len > 0) {
		r = parse_fields((const char *)d->line.data, d->line.len, 0, m, 1);
		if (r == MF_ERR_NOMEM)
			return r;
		if (r < 0) {
			rc = fail(h, dir, "http_bad_header", "malformed %s trailer", dir_name(dir));
			return rc ? rc : (ssize_t)took;
		}
	}
	rc = msg_complete(h, dir);
	return rc ? rc : (ssize_t)took;
}

static struct mf_http_msg *cur_msg(struct h1 *h, int dir)
{
	struct mf_http_exchange *x = h->d[dir].x;

	if (!x)
		return NULL;
	return dir == MF_DIR_C2S ? &x->req : &x->resp;
}

static ssize_t step_body(struct h1 *h, int dir, const uint8_t *p, size_t n)
{
	struct h1_dir *d = &h->d[dir];
	struct mf_http_msg *m = cur_msg(h, dir);
	size_t take = n;
	int rc = 0;

	if (d->state != S_BODY_CLOSE && d->remain < take)
		take = (size_t)d->remain;
	if (m) {
		rc = mf_http_msg_body(&h->c, m, dir, p, take);
		mf_http_msg_touch(m, &h->c);
		if (rc)
			return rc;
	}
	if (d->state == S_BODY_CLOSE)
		return (ssize_t)take;
	d->remain -= take;
	if (d->remain == 0) {
		if (d->state == S_CHUNK_DATA) {
			d->state = S_CHUNK_CRLF;
			d->saw_cr = 0;
		} else {
			rc = msg_complete(h, dir);
		}
	}
	return rc ? rc : (ssize_t)take;
}

static ssize_t step_chunk_crlf(struct h1 *h, int dir, const uint8_t *p, size_t n)
{
	struct h1_dir *d = &h->d[dir];
	int rc;

	(void)n;
	if (p[0] == '\r' && !d->saw_cr) {
		d->saw_cr = 1;
		return 1;
	}
	if (p[0] == '\n') {
		d->state = S_CHUNK_SIZE;
		return 1;
	}
	rc = fail(h, dir, "http_bad_chunk", "%s chunk data not followed by CRLF", dir_name(dir));
	return rc ? rc : 0;
}

/* ---- emission ---- */

/* Emits finished exchanges from the queue head; all = at close. */
static int emit_ready(struct h1 *h, int all)
{
	int rc = 0;

	while (h->qhead && rc == 0) {
		struct mf_http_exchange *x = h->qhead;
		int req_done = !x->has_req || x->req.complete || h->d[MF_DIR_C2S].state == S_RAW ||
		    h->d[MF_DIR_C2S].closed;
		int resp_done = x->resp.complete || h->d[MF_DIR_S2C].state == S_RAW ||
		    h->d[MF_DIR_S2C].closed;

		if (!all && (!req_done || !resp_done))
			break;
		if (!all && (x == h->d[0].x || x == h->d[1].x))
			break;
		h->qhead = x->next;
		if (!h->qhead)
			h->qtail = NULL;
		h->nq--;
		if (x == h->d[0].x)
			h->d[0].x = NULL;
		if (x == h->d[1].x)
			h->d[1].x = NULL;
		rc = mf_http_exchange_done(&h->c, x);
		mf_http_exchange_free(x);
	}
	return rc;
}

/* ---- stream consumer ---- */

static int h1_probe(const uint8_t *p, size_t n)
{
	size_t i;

	if (n >= 4 && memcmp(p, "PRI ", 4) == 0)
		return 0;               /* the HTTP/2 preface */
	for (i = 0; i < n && i < 20; i++) {
		if (p[i] == ' ')
			return i >= 3 && i + 1 < n ? p[i + 1] != ' ' : i >= 3;
		if (p[i] < 'A' || p[i] > 'Z')
			return 0;
	}
	return 0;
}

static void *h1_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	struct h1 *h = calloc(1, sizeof(*h));
	int d;

	if (!h)
		return NULL;
	mf_http_conn_init(&h->c, ctx, fl, "1.1");
	for (d = 0; d < 2; d++) {
		mf_buf_init(&h->d[d].line, MF_HTTP_HEAD_MAX);
		if (fl->opaque)
			go_raw(h, d, "not_http");   /* shown, not parsed: no anomaly */
	}
	return h;
}

static int h1_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                   const struct mf_frame *f)
{
	struct h1 *h = st;
	struct h1_dir *d;

	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return 0;
	d = &h->d[dir];
	mf_http_conn_at(&h->c, f);
	while (n > 0) {
		ssize_t r;

		if (h->h2)
			return mf_proto_http2.data(h->h2, ctx, dir, p, n, f);
		switch (d->state) {
		case S_HEAD:
			r = step_head(h, dir, p, n);
			break;
		case S_BODY_LEN:
		case S_CHUNK_DATA:
		case S_BODY_CLOSE:
			r = step_body(h, dir, p, n);
			break;
		case S_CHUNK_SIZE:
			r = step_chunk_size(h, dir, p, n);
			break;
		case S_CHUNK_CRLF:
			r = step_chunk_crlf(h, dir, p, n);
			break;
		case S_TRAILER:
			r = step_trailer(h, dir, p, n);
			break;
		case S_TUNNEL:
			r = tunnel_data(h, dir, p, n, f);
			break;
		default:
			mf_http_raw_add(&h->c, dir, p, n);
			r = (ssize_t)n;
			break;
		}
		if (r < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void h1_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                   const struct mf_frame *f)
{
	struct h1 *h = st;
	struct h1_dir *d;
	struct mf_http_msg *m;

	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return;
	if (h->h2) {
		mf_proto_http2.gap(h->h2, ctx, dir, missing, f);
		return;
	}
	d = &h->d[dir];
	mf_http_conn_at(&h->c, f);
	m = cur_msg(h, dir);
	switch (d->state) {
	case S_BODY_LEN:
	case S_CHUNK_DATA:
		if (missing <= d->remain) {
			if (m) {
				m->body_missing += missing;
				m->body_len += missing;
			}
			d->remain -= missing;
			if (d->remain == 0) {
				if (d->state == S_CHUNK_DATA) {
					d->state = S_CHUNK_CRLF;
					d->saw_cr = 0;
				} else {
					(void)msg_complete(h, dir);
				}
			}
			return;
		}
		break;
	case S_BODY_CLOSE:
		if (m) {
			m->body_missing += missing;
			m->body_len += missing;
		}
		return;
	case S_RAW:
		h->c.raw[dir].missing += missing;
		return;
	case S_TUNNEL:
		tunnel_gap(h, dir, missing, f);
		return;
	default:
		break;
	}
	/* framing lost: the rest of this direction is reported as data */
	go_raw(h, dir, "gap");
	h->c.raw[dir].missing += missing;
	(void)emit_ready(h, 0);
}

static int h1_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct h1 *h = st;
	int dir, linger = 0;

	if (h->h2)
		(void)mf_proto_http2.close(h->h2, ctx, how, f);
	mf_http_conn_at(&h->c, f);
	/* the tunnel first: its session ends with the connection */
	if (h->tun && h->tun->state != T_TLS)
		(void)tunnel_decide(h, 1);
	if (h->tun && h->tun->state == T_TLS)
		linger = mf_proto_tls.close(h->tun->tls, ctx, how, f) == MF_STREAM_LINGER;
	for (dir = 0; dir < 2; dir++) {
		struct h1_dir *d = &h->d[dir];

		if (d->state == S_BODY_CLOSE) {
			struct mf_http_msg *m = cur_msg(h, dir);

			if (m) {
				m->complete = 1;
				d->x = NULL;
			}
			d->state = S_HEAD;
		} else if (d->state == S_HEAD && d->line.len > 0) {
			/* a head that never ended */
			go_raw(h, dir, "incomplete");
		}
		d->closed = 1;
	}
	(void)emit_ready(h, 1);
	(void)mf_http_raw_flush(&h->c);
	for (dir = 0; dir < 2; dir++)
		mf_buf_free(&h->d[dir].line);
	mf_http_conn_free(&h->c);
	if (linger) {
		/* the tunnel's TLS session waits for its key: only it is kept */
		h->lingering = 1;
		return MF_STREAM_LINGER;
	}
	tunnel_free(h->tun);
	free(h);
	return 0;
}

/* A closed connection whose tunnel's TLS session waits for a late key. */
static int h1_resume(void *st, struct mf_ctx *ctx, int final)
{
	struct h1 *h = st;

	if (h->lingering && h->tun && h->tun->tls &&
	    mf_proto_tls.resume(h->tun->tls, ctx, final) == MF_STREAM_LINGER)
		return MF_STREAM_LINGER;
	tunnel_free(h->tun);
	free(h);
	return 0;
}

const struct mf_stream_proto mf_proto_http1 = {
	.name = "http",
	.ports = { 80, 8080, 0 },
	.probe = h1_probe,
	.open = h1_open,
	.data = h1_data,
	.gap = h1_gap,
	.close = h1_close,
	.resume = h1_resume,
};
