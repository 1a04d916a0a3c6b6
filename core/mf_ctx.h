/*
 * mf_ctx.h - the context passed through every layer (tcpdump's ndo):
 * the output sink, the secrets store, caps, statistics, options.
 * Nothing in the libraries keeps global state.
 */
#ifndef MF_CTX_H
#define MF_CTX_H

#include <stddef.h>
#include <stdint.h>

struct mf_event;
struct mf_frame;
struct mf_tokens;
struct mf_keylog;
struct mf_micloud_held;
struct mf_miio_held;

/* The sink takes ownership of ev (it must free it or keep it). */
typedef int (*mf_emit_fn)(void *arg, struct mf_event *ev);

struct mf_limits {
	size_t frag_mem_max;      /* bytes held in IP fragment queues, all flows */
	size_t frag_queues_max;   /* concurrent fragment queues */
	int64_t frag_timeout_ns;  /* a queue older than this is dropped (anomaly) */
	size_t pair_max;          /* miIO requests awaiting an answer */
	int64_t pair_timeout_ns;  /* no answer after this: unanswered */
	size_t plaintext_max;     /* decrypted payload kept for JSON parsing */
	size_t json_depth_max;
	size_t tcp_stream_max;    /* bytes buffered out of order per direction */
	size_t tcp_mem_max;       /* all streams; the oldest idle are flushed first */
	size_t tcp_streams_max;   /* concurrent streams */
	int64_t tcp_idle_ns;      /* a stream idle this long is closed (timeout) */
	size_t tcp_linger_max;    /* ended streams whose consumer waits for a key */
	int64_t tcp_linger_ns;    /* ... and for how long (capture time) */
	size_t http_body_max;     /* one HTTP body after de-chunking/inflating */
	size_t tls_held_max;      /* TLS records kept for late keys, all sessions */
	size_t http_mem_max;      /* unfinished HTTP bodies, all connections */
	size_t cloud_held_max;    /* Mi cloud calls held for a key that may come later */
	size_t cloud_held_mem_max; /* ... and the bytes they keep (requests, replies) */
	size_t miio_held_max;     /* miIO frames held for a token that may come later */
	size_t miio_held_mem_max; /* ... and the bytes they keep (frames, addresses) */
	int64_t held_wait_ns;     /* a miIO frame / Mi cloud call waits at most this long
	                             (capture time) for a token or key learned later;
	                             0: until the end of the input.  A live run (and
	                             analyze of its folder) uses MF_LIVE_HELD_WAIT_NS */
};

struct mf_stats {
	uint64_t frames, bytes;         /* read by capture/ */
	uint64_t decoded_frames;        /* seen by decode/ (also live frames) */
	uint64_t link_unknown, ipv4, ipv6, ip_invalid, frags, frag_reassembled, frag_dropped;
	uint64_t udp, tcp, other_ip;
	uint64_t miio_frames, miio_decrypted, miio_no_token;
	/* TCP reassembly (decode/mf_tcp.c): streams numbered, segments that were
	 * duplicates or buffered out of order, gaps skipped, conflicting
	 * overlaps, streams evicted by tcp_streams_max; bytes held out of order
	 * now and at most (data only; tcp_mem_max also counts overhead). */
	uint64_t tcp_streams, tcp_dup_segs, tcp_ooo_segs, tcp_gaps, tcp_gap_bytes;
	uint64_t tcp_conflicts, tcp_evicted, tcp_buffered, tcp_buffered_peak;
	uint64_t events, anomalies;
	uint64_t tls_held_bytes;        /* records kept now for keys that may come */
	uint64_t http_body_bytes;       /* HTTP body bytes held now */
	/* Mi cloud calls no known ssecurity opened, held for a later key
	 * (cloud/mf_micloud_held.c): now, opened later, never opened */
	uint64_t cloud_held, cloud_held_bytes, cloud_opened_late, cloud_never_opened;
	/* miIO frames no known token opened, held for a token learned later
	 * (decode/mf_miio_held.c): now, opened later, never opened, turned
	 * away by the caps */
	uint64_t miio_held, miio_held_bytes, miio_opened_late, miio_never_opened;
	uint64_t miio_not_held;
};

#define MF_SSECURITY_OLD 8   /* earlier ssecurity values kept in mf_ctx */
#define MF_CLOUD_MODELS 256  /* did -> model pairs kept from Mi cloud device lists */

struct mf_cloud_model {
	char did[48];
	char model[64];
};

/* live: what no token or key opens is reported within a minute, not when
 * the evidence file ends; `analyze` of a live folder waits the same */
#define MF_LIVE_HELD_WAIT_NS (60LL * 1000000000LL)

struct mf_ctx {
	mf_emit_fn emit;
	void *emit_arg;
	struct mf_tokens *tokens;   /* secrets store, owned by the caller */
	struct mf_keylog *keylog;   /* TLS secrets (key log, pcapng DSB), or NULL */
	char ssecurity[128];        /* Mi cloud session secret (base64), "" unknown: the
	                               latest one (--ssecurity, or learned from the traffic) */
	/* earlier Mi cloud session secrets, newest first ("" = free): one
	 * capture may hold several sessions (a re-login, another sid such as
	 * miotstore, another account), and --ssecurity must survive a login
	 * seen in the capture; cloud/ tries them all (mf_micloud.c) */
	char ssecurity_old[MF_SSECURITY_OLD][128];
	/* bumped by cloud/ whenever a session secret joins the ones above
	 * (not when a known one is used again): held calls are retried then */
	uint64_t ssecurity_gen;
	/* Mi cloud calls waiting for an ssecurity that may come later in the
	 * input (cloud/mf_micloud_held.h); NULL when nobody will flush them
	 * (then such a call is reported at once as undecodable) */
	struct mf_micloud_held *micloud_held;
	/* miIO frames waiting for a token that may come later in the input
	 * (decode/mf_miio_held.h); NULL when nobody will flush them (then such
	 * a frame is reported at once as no_token / checksum_mismatch) */
	struct mf_miio_held *miio_held;
	/* did -> model from the Mi cloud device lists seen so far (cloud/), so
	 * that later records naming only a did (device histories, properties,
	 * commands) carry the model too; a ring, the oldest pair replaced */
	struct mf_cloud_model cloud_models[MF_CLOUD_MODELS];
	unsigned cloud_models_next;
	struct mf_limits lim;
	struct mf_stats st;
	unsigned show_secrets : 1;
	/* the key store may still grow (a pcapng may hold a DSB further on, a
	 * live key log is re-read): TLS sessions then keep their undecrypted
	 * records after they end, for a key to come (set by mf_ctx_init) */
	unsigned keys_may_come : 1;
	char lumi_password[17];     /* Lumi gateway LAN password, "" when unknown */
	uint64_t seq;               /* next event sequence number */
};

void mf_ctx_init(struct mf_ctx *ctx);

/* Hands ev to the sink (counts it, stamps seq); frees it when no sink.
 * Returns the sink's result. */
int mf_emit(struct mf_ctx *ctx, struct mf_event *ev);

/* Builds and emits an anomaly event for a captured frame:
 * {"kind":"anomaly","reason":REASON,"detail":"...","evidence":{...}}.
 * protocol may be NULL (capture/link level).  Returns 0 or MF_ERR_NOMEM. */
int mf_anomaly_frame(struct mf_ctx *ctx, const struct mf_frame *f, const char *source,
                     const char *protocol, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Redacts a secret for reports unless show_secrets: keeps a short prefix so
 * two different secrets remain distinguishable ("9c3b…(32)"). */
void mf_redact(const struct mf_ctx *ctx, const char *secret, char *out, size_t outlen);

#endif
