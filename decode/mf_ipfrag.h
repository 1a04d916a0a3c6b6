/*
 * mf_ipfrag.h - IPv4 and IPv6 fragment reassembly, bounded by ctx->lim
 * (frag_mem_max, frag_queues_max, frag_timeout_ns).  Private to decode/.
 *
 * What it reports itself (mf_anomaly_frame, protocol NULL):
 *   ip_frag_overlap       a fragment's bytes differ from an earlier copy
 *                         (the first copy is kept)
 *   ip_frag_inconsistent  fragments disagree on where the datagram ends
 *                         (the later fragment is ignored)
 *   ip_frag_bad_length    a non-last fragment not a multiple of 8 bytes
 *   ip_frag_oversize      a fragment reaching past 65535 bytes (ignored)
 *   ip_frag_dropped       a queue evicted to respect a cap
 *   ip_frag_incomplete    a queue timed out or was pending at the end
 */
#ifndef MF_IPFRAG_H
#define MF_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;
struct mf_frame;
struct mf_ipfrag;

#define MF_FRAG_MAX 65535u  /* largest reassembled payload accepted */

struct mf_frag_key {
	uint8_t ipver;        /* 4 or 6 */
	uint8_t proto;        /* IPv4 protocol / IPv6 fragment header next header */
	uint8_t addr_len;     /* 4 or 16 */
	uint8_t src[16], dst[16];
	uint32_t id;
};

struct mf_frag {
	struct mf_frag_key key;
	uint32_t off;         /* byte offset of this fragment's data */
	int more;             /* more fragments follow */
	const uint8_t *data;  /* captured bytes of the fragment's data */
	size_t len;           /* bytes present at data */
	size_t claimed;       /* the fragment's data length per the IP header */
};

/* A reassembled payload; len < claimed when some fragment was cut short by
 * the capture's snapshot length (the bytes up to the first gap). */
struct mf_frag_out {
	const uint8_t *data;  /* valid until the next call on the reassembler */
	size_t len;
	size_t claimed;
};

/* Returns NULL on allocation failure; ctx must outlive it. */
struct mf_ipfrag *mf_ipfrag_new(struct mf_ctx *ctx);
/* Frees everything silently (call mf_ipfrag_finish first to report). */
void mf_ipfrag_free(struct mf_ipfrag *fq);

/* Adds one fragment seen in frame f.  Returns 1 when it completed a
 * datagram (*out filled), 0 when it was queued, a duplicate or ignored,
 * or MF_ERR_NOMEM. */
int mf_ipfrag_add(struct mf_ipfrag *fq, const struct mf_frame *f, const struct mf_frag *fr,
                  struct mf_frag_out *out);

/* Capture time moved to now_ns: time out old queues. */
void mf_ipfrag_expire(struct mf_ipfrag *fq, int64_t now_ns);
/* End of input: every pending queue becomes ip_frag_incomplete. */
void mf_ipfrag_finish(struct mf_ipfrag *fq);

/* For tests: pending queues and bytes accounted. */
size_t mf_ipfrag_pending(const struct mf_ipfrag *fq);
size_t mf_ipfrag_mem(const struct mf_ipfrag *fq);

#endif
