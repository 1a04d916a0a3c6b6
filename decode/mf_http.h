/*
 * mf_http.h - HTTP/1.1 and HTTP/2 stream consumers (mf_stream.h) and what
 * the two parsers share (mf_http_common.c).
 *
 *   mf_tcp (plaintext, ports 80/8080) --+
 *   mf_tls (ALPN "h2" -> http2, else) --+--> mf_proto_http1 | mf_proto_http2
 *                                              |  messages (head, body)
 *                                              v
 *                         mf_http_common.c: pairing, de-chunked body with a
 *                         cap, Content-Encoding inflate, then one exchange
 *                           |-- Mi cloud host --> cloud codec (mf_micloud.h)
 *                           `-- any other host --> protocol "http", kind "data"
 *
 * Only the two `struct mf_stream_proto` are public; the rest of this header
 * is the private contract between mf_http1.c, mf_http2.c and
 * mf_http_common.c (and their unit tests).
 */
#ifndef MF_HTTP_H
#define MF_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mf_buf.h"
#include "mf_stream.h"

extern const struct mf_stream_proto mf_proto_http1;   /* ports 80, 8080; "GET " ... */
extern const struct mf_stream_proto mf_proto_http2;   /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */

/* ---- shared by the two parsers ---- */

#define MF_HTTP_HEAD_MAX (64u * 1024)   /* bytes of one message head (or trailer block) */
#define MF_HTTP_FIELDS_MAX 256          /* header fields kept per message */
#define MF_HTTP_PREVIEW 96              /* body bytes shown in a generic event */
#define MF_HTTP_INTERIM_MAX 4           /* 1xx statuses remembered per response */
#define MF_HTTP_CONN_BODIES 4           /* bodies held at once per connection, in http_body_max */

struct mf_http_field {
	char *name;                 /* as sent (HTTP/2: lower case) */
	char *value;
	unsigned trailer : 1;       /* from a trailer section */
};

/* Where and when a message was seen. */
struct mf_http_at {
	uint64_t frame;             /* 0 = never */
	int64_t ts_ns;
};

/* One request or response. */
struct mf_http_msg {
	char *method;               /* request: method (HTTP/2 :method) */
	char *target;               /* request: request-target (:path) */
	char *scheme, *authority;   /* HTTP/2 pseudo-headers */
	int status;                 /* response: final status, 0 = none yet */
	char *reason;
	int interim[MF_HTTP_INTERIM_MAX];   /* response: 1xx seen before the final one */
	int ninterim;
	struct mf_http_field *f;
	size_t nf, f_alloc, f_bytes;
	struct mf_buf body;         /* de-chunked, still content-encoded, capped */
	uint64_t body_len;          /* body bytes announced/seen (beyond the cap too) */
	uint64_t body_missing;      /* bytes lost in capture gaps */
	struct mf_http_at first, last;  /* first and last byte */
	unsigned head_done : 1;
	unsigned complete : 1;      /* the message ended as its framing says */
	unsigned truncated : 1;     /* body cap hit (http_body_too_large) */
	unsigned fields_dropped : 1;
	unsigned chunked : 1;
	unsigned until_close : 1;   /* response body delimited by the connection's end */
};

/* A request with its response. */
struct mf_http_exchange {
	struct mf_http_msg req, resp;
	uint64_t number;            /* 1-based request number in the connection */
	uint32_t stream_id;         /* HTTP/2 stream, 0 for HTTP/1.x */
	uint32_t reset_code;        /* HTTP/2 RST_STREAM error code */
	unsigned has_req : 1;       /* a request head was seen */
	unsigned has_resp : 1;      /* a response head was seen */
	unsigned reset : 1;
	unsigned pushed : 1;        /* HTTP/2 server push (PUSH_PROMISE) */
	struct mf_http_exchange *next;
};

/* Per-direction remainder nobody could parse: reported once at close as a
 * "data" record instead of being dropped. */
struct mf_http_raw {
	uint64_t bytes, missing;
	struct mf_buf preview;
	struct mf_http_at at;
	const char *reason;         /* static */
	unsigned on : 1;
};

/* What both parsers keep per connection. */
struct mf_http_conn {
	struct mf_ctx *ctx;
	struct mf_flow flow;        /* copy of the flow given to open() */
	char sni[256];
	struct mf_tunnel tun;       /* flow.tunnel points here when the flow had one */
	const char *version;        /* "1.1" or "2" */
	uint64_t nreq;              /* requests numbered so far */
	size_t body_mem;            /* body bytes held by unfinished exchanges */
	struct mf_http_raw raw[2];
	struct mf_http_at now;      /* the frame currently being consumed */
	const struct mf_input *input;
};

void mf_http_conn_init(struct mf_http_conn *c, struct mf_ctx *ctx, const struct mf_flow *fl,
                       const char *version);
void mf_http_conn_free(struct mf_http_conn *c);
/* Records f (may be NULL) as the frame whose bytes are being consumed. */
void mf_http_conn_at(struct mf_http_conn *c, const struct mf_frame *f);

void mf_http_msg_init(struct mf_http_msg *m, const struct mf_ctx *ctx);
void mf_http_msg_free(struct mf_http_msg *m);
/* Marks bytes of m seen at the connection's current frame. */
void mf_http_msg_touch(struct mf_http_msg *m, const struct mf_http_conn *c);
/* Adds a field (copies; lengths explicit).  Past MF_HTTP_FIELDS_MAX or
 * MF_HTTP_HEAD_MAX bytes the field is dropped and fields_dropped set.
 * Returns 0 or MF_ERR_NOMEM. */
int mf_http_msg_field(struct mf_http_msg *m, const char *name, size_t nlen, const char *value,
                      size_t vlen, int trailer);
/* First field named name (case-insensitive), or NULL. */
const char *mf_http_msg_get(const struct mf_http_msg *m, const char *name);
/* All fields named name joined with sep into out (NUL-terminated); returns
 * the number of fields found. */
int mf_http_msg_join(const struct mf_http_msg *m, const char *name, const char *sep,
                     struct mf_buf *out);
/* Appends body bytes; past ctx->lim.http_body_max (or when the
 * connection's unfinished bodies together hold MF_HTTP_CONN_BODIES times
 * that) the rest is only counted, the message is marked truncated and one
 * http_body_too_large anomaly is emitted.  Returns 0 or MF_ERR_NOMEM. */
int mf_http_msg_body(struct mf_http_conn *c, struct mf_http_msg *m, int dir,
                     const uint8_t *p, size_t n);
/* Moves the head of src (start line, pseudo-headers, fields) into dst,
 * replacing dst's; dst keeps its body, interim statuses and times. */
void mf_http_msg_adopt(struct mf_http_msg *dst, struct mf_http_msg *src);
/* Appends src's fields to dst as trailers.  Returns 0 or MF_ERR_NOMEM. */
int mf_http_msg_add_trailers(struct mf_http_msg *dst, const struct mf_http_msg *src);
/* strdup of n bytes; NULL on allocation failure. */
char *mf_http_strndup(const char *s, size_t n);

struct mf_http_exchange *mf_http_exchange_new(struct mf_http_conn *c);
void mf_http_exchange_free(struct mf_http_exchange *x);
/* One finished (or abandoned) exchange: bodies decoded, then handed to the
 * Mi cloud codec or emitted as a generic "http" "data" event; its bodies no
 * longer count against the connection.  Does not free x.  Returns 0 or
 * MF_ERR_NOMEM. */
int mf_http_exchange_done(struct mf_http_conn *c, struct mf_http_exchange *x);

/* An anomaly about this connection (protocol "http") at the current frame,
 * with "net" and evidence.tcp_stream.  Returns 0 or MF_ERR_NOMEM. */
int mf_http_anomaly(struct mf_http_conn *c, int dir, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Direction dir stops being parsed: from now on its bytes are counted (and
 * the first MF_HTTP_PREVIEW kept) for one "data" record at close. */
void mf_http_raw_start(struct mf_http_conn *c, int dir, const char *reason);
int mf_http_raw_add(struct mf_http_conn *c, int dir, const uint8_t *p, size_t n);
/* Emits the "data" records of directions in raw mode (at close). */
int mf_http_raw_flush(struct mf_http_conn *c);

/* Undoes a Content-Encoding list ("gzip", "deflate", "x-gzip", "identity", and
 * "br" when built with libbrotlidec (MF_HAVE_BROTLI),
 * comma-separated, applied right to left) into out (cap = out->cap).
 * Returns 0 (decoded), MF_ERR_UNSUPPORTED (an unknown coding: out empty),
 * MF_ERR_FORMAT (corrupt stream: out holds what inflated), MF_ERR_LIMIT
 * (output reached the cap: out holds the first cap bytes), MF_ERR_NOMEM. */
int mf_http_decode_body(const char *encoding, const uint8_t *in, size_t n, struct mf_buf *out);

/* Host of an exchange: Host / :authority without port, lower case, else
 * the TLS SNI, else the host of the CONNECT tunnel the connection is in;
 * "" when none.  out has outlen bytes. */
void mf_http_exchange_host(const struct mf_http_conn *c, const struct mf_http_exchange *x,
                           char *out, size_t outlen);

/* ---- HTTP/1.x head parser (mf_http1.c), picohttpparser style ---- */

/* Parses one message head at buf: optional empty lines, the request line
 * (request != 0) or status line, header fields, the empty line.  Fills m
 * (method/target or status/reason, fields).  Returns the bytes consumed
 * (> 0), MF_ERR_AGAIN when buf ends before the head does, MF_ERR_FORMAT
 * (*why: "http_bad_request_line", "http_bad_status_line" or
 * "http_bad_header"; m partly filled), or MF_ERR_NOMEM. */
ssize_t mf_http1_parse_head(const char *buf, size_t len, int request, struct mf_http_msg *m,
                            const char **why);

#endif
