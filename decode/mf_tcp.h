/*
 * mf_tcp.h - TCP segments in, in-order byte streams out to the consumers of
 * the mf_tcp_protos[] table (mf_stream.h).  Private to decode/: the decoder
 * (mf_decode.c) hands it every TCP segment; unit tests and fuzz_tcp drive
 * mf_tcp_segment() directly with a table of their own.
 *
 * Bounded by ctx->lim: tcp_stream_max (out-of-order bytes per direction),
 * tcp_mem_max (all of them, plus a per-segment overhead), tcp_streams_max
 * (4-tuples remembered, open or recently closed; about 1.4 KiB each with the
 * built-in consumer's state), tcp_idle_ns.  Streams are numbered as
 * Wireshark's tcp.stream (see mf_tcp.c), including packets whose header is
 * unusable but shows ports and flags.
 *
 * What it reports itself (protocol "tcp"; all but tcp_bad_header with "net"
 * and evidence.tcp_stream):
 *   tcp_bad_header         data offset < 5, or a header longer than the IP payload
 *   tcp_gap                bytes of one direction that were never captured and
 *                          were skipped (detail: how many, where, why); after
 *                          MF_TCP_REPORT_MAX per direction one summary at close
 *   tcp_overlap_conflict   a retransmitted or overlapping segment whose bytes
 *                          differ from the first copy (the first copy is kept)
 *   tcp_stream_evicted     tcp_streams_max reached: the least recently active
 *                          stream that carried payload was closed early
 * and, through the built-in consumer, one kind "data" record per direction
 * of every stream no table entry took.
 */
#ifndef MF_TCP_H
#define MF_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "mf_stream.h"

struct mf_ctx;
struct mf_frame;
struct mf_ip;
struct mf_tcp;

/* TCP header flags (RFC 9293 section 3.1), as in mf_tcp_seg.flags. */
#define MF_TCP_FIN 0x01
#define MF_TCP_SYN 0x02
#define MF_TCP_RST 0x04
#define MF_TCP_PSH 0x08
#define MF_TCP_ACK 0x10
#define MF_TCP_URG 0x20

#define MF_TCP_PROBE_MAX 64     /* client bytes held for probe() */
#define MF_TCP_PREVIEW 64       /* bytes shown in a "data" record's preview */
#define MF_TCP_SEGS_MAX 4096    /* out-of-order segments held per direction */
#define MF_TCP_REPORT_MAX 8     /* gaps / conflicts reported one by one per direction */

/* mf_tcp_packet(): the captured bytes end inside the TCP header. */
#define MF_TCP_SHORT 1

/* One segment, header already parsed (mf_tcp_packet does it from IP). */
struct mf_tcp_seg {
	uint8_t addr_len;           /* 4 or 16 */
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;              /* MF_TCP_* */
	const uint8_t *data;        /* payload bytes captured; borrowed for the call */
	size_t len;                 /* bytes at data */
	size_t claimed;             /* payload length per the IP header (>= len); the
	                               rest was cut by the snapshot length */
};

/* table: NULL-terminated, must outlive the reassembler (normally
 * mf_tcp_protos).  Returns NULL on allocation failure. */
struct mf_tcp *mf_tcp_new(struct mf_ctx *ctx, const struct mf_stream_proto *const *table);
/* Frees everything; streams still open are closed (MF_END_EOF) with the
 * context's sink detached, so nothing is emitted: call mf_tcp_finish first. */
void mf_tcp_free(struct mf_tcp *t);

/* One TCP packet: ip->pl holds the TCP header and payload.  Returns 0,
 * MF_ERR_NOMEM, or MF_TCP_SHORT (the capture ends inside the header: the
 * caller decides whether that is worth a note). */
int mf_tcp_packet(struct mf_tcp *t, const struct mf_frame *f, const struct mf_ip *ip);
/* One parsed segment seen in frame f.  Returns 0 or MF_ERR_NOMEM. */
int mf_tcp_segment(struct mf_tcp *t, const struct mf_frame *f, const struct mf_tcp_seg *s);

/* Capture time moved to now_ns: streams idle longer than tcp_idle_ns end
 * (MF_END_TIMEOUT) and are forgotten. */
int mf_tcp_expire(struct mf_tcp *t, int64_t now_ns);
/* End of input: every open stream ends (MF_END_EOF), in stream order, then
 * the lingering consumers finish. */
int mf_tcp_finish(struct mf_tcp *t);

/* New secrets may be there (the key store grew): consumers that outlived
 * their stream look again (mf_stream_proto.resume); final: they finish.
 * Lingering consumers are bounded by lim.tcp_linger_max (the oldest finish
 * first) and lim.tcp_linger_ns of capture time (mf_tcp_expire). */
void mf_tcp_resume(struct mf_tcp *t, int final);
/* For tests: consumers lingering now. */
size_t mf_tcp_lingering(const struct mf_tcp *t);

/* For tests: 4-tuples held (open or closed), bytes held out of order
 * (with the per-segment overhead counted against tcp_mem_max). */
size_t mf_tcp_count(const struct mf_tcp *t);
size_t mf_tcp_mem(const struct mf_tcp *t);

#endif
