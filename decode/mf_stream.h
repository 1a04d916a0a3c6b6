/*
 * mf_stream.h - byte-stream consumers: what TCP reassembly (mf_tcp.c)
 * hands reassembled data to, and what TLS hands its plaintext to.  The same
 * interface at both levels: TLS is a stream consumer that feeds another
 * (HTTP/1.1 or HTTP/2, chosen by ALPN or content).
 *
 *   frames -> mf_tcp (reassembly) -> mf_tcp_protos[] table
 *                                       |-- tls  -> http1 | http2 -> cloud codec
 *                                       |-- http1 (port 80, plaintext)
 *                                       |     `-- CONNECT 2xx tunnel -> tls -> ...
 *                                       |-- miio-tcp (ott link, port 80 "21 31")
 *                                       `-- (none: one "data" record per direction)
 *
 * Adding a TCP protocol is one file defining a `struct mf_stream_proto` and
 * one line in the mf_tcp_protos[] table (mf_tcp.c).
 */
#ifndef MF_STREAM_H
#define MF_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;
struct mf_frame;
struct mf_input;
struct mf_event;

/* An HTTP CONNECT tunnel (RFC 9110 section 9.3.6) that a stream's bytes
 * travel in: set by HTTP/1.x (mf_http1.c) for the consumer it hands the
 * tunnel to.  Consumers that keep it copy it (it lives in the opener). */
struct mf_tunnel {
	char target[256];          /* the CONNECT's request-target, "host:port" (escaped) */
	int status;                /* the proxy's final answer (2xx), 0 = not captured */
	uint64_t request;          /* the CONNECT's 1-based request number on the connection */
};

/* One TCP connection (or the plaintext inside one) as consumers see it. */
struct mf_flow {
	const struct mf_input *input;
	uint64_t stream_no;        /* 0-based TCP stream index in the input (= tshark tcp.stream) */
	uint8_t addr_len;          /* 4 or 16 */
	uint8_t cli[16], srv[16];  /* client = the SYN sender (else the lower port's peer) */
	uint16_t cport, sport;
	char community_id[40];
	const char *alpn;          /* set by TLS for its inner consumer ("h2", "http/1.1"), or NULL */
	const char *sni;           /* set by TLS, or NULL */
	const struct mf_tunnel *tunnel;  /* the bytes are inside this CONNECT tunnel (the
	                              flow's addresses are the client's and the
	                              proxy's), or NULL */
	unsigned tls : 1;          /* the bytes are TLS plaintext */
	unsigned opaque : 1;       /* TLS plaintext that is not HTTP (no ALPN, no
	                              request or status line): kept as one data
	                              record per direction, not parsed */
};

enum mf_stream_dir { MF_DIR_C2S = 0, MF_DIR_S2C = 1 };
enum mf_stream_end { MF_END_FIN = 1, MF_END_RST, MF_END_TIMEOUT, MF_END_EVICTED, MF_END_EOF };

struct mf_stream_proto {
	const char *name;
	uint16_t ports[4];         /* server side port; 0 terminates */
	/* Content test on the first client->server bytes (up to 64); NULL =
	 * ports only.  Returns 1 when the stream is ours. */
	int (*probe)(const uint8_t *p, size_t n);
	/* A new stream.  Returns state (owned by the consumer until close), or
	 * NULL on allocation failure. */
	void *(*open)(struct mf_ctx *ctx, const struct mf_flow *fl);
	/* In-order bytes of one direction.  f: the frame that completed them
	 * (evidence).  Returns 0 or MF_ERR_NOMEM. */
	int (*data)(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
	            const struct mf_frame *f);
	/* `missing` bytes of one direction were never captured (a gap the
	 * reassembler skipped).  May be NULL: the stream is then closed. */
	void (*gap)(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
	            const struct mf_frame *f);
	/* End of the stream.  f may be NULL (end of input).  Returns 0 once st
	 * is freed, or MF_STREAM_LINGER: the consumer still waits for something
	 * that can come after the stream ended (a TLS key appended to a live key
	 * log, or a pcapng DSB further on) and keeps st; the reassembler then
	 * calls resume() until it returns 0. */
	int (*close)(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f);
	/* Optional (required when close can linger): new keys may be there.
	 * final: the wait is over (end of input, linger time-out, too many
	 * lingering): finish now.  Returns 0 once st is freed, else
	 * MF_STREAM_LINGER. */
	int (*resume)(void *st, struct mf_ctx *ctx, int final);
};

#define MF_STREAM_LINGER 1

/* NULL-terminated table of TCP protocols (mf_tcp.c). */
extern const struct mf_stream_proto *const mf_tcp_protos[];

/* Adds the "net" object of a flow ({"src":cli,"sport","dst":srv,"dport",
 * "community_id","tcp_stream"}) for events about a stream; dir picks which
 * side is src. */
int mf_flow_add_net(struct mf_event *ev, const struct mf_flow *fl, int dir);

#endif
