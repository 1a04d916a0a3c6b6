/*
 * mf_miio_held.h - miIO frames held for a device token that comes later in
 * the input.
 *
 * A frame is opened by the token whose MD5 checksum it carries
 * (../shared/reference/miio.md section 4).  Tokens join the store during a
 * capture (decode/mf_miio.c learns them from hello replies, miIO.info
 * replies and _otc.info uplinks; cloud/ from a Mi cloud device list seen in
 * HTTPS), so frames of a device may come before the token that opens them.
 * While a queue is open (between mf_miio_held_begin and mf_miio_held_end)
 * the miIO decoder keeps a copy of every frame with a payload that no known
 * token opens (the one that would be the anomaly no_token or
 * checksum_mismatch) instead of reporting it.  Each time the token store
 * grows, every held frame is tested against the new tokens only (the
 * checksum is the oracle: one MD5 per frame and new token); the frames a new
 * token opens are decoded then, in the order they were seen, through the
 * miIO state that saw them (or, for a TCP "ott" connection that has ended,
 * a state of the queue's own), so requests and responses pair as usual;
 * their events keep their own capture time, frame, evidence and "net", and
 * carry miio.token_wait "opened_later" (miio.token_origin says where the
 * token came from).  At the end the frames still held are tried once more
 * and reported as before (no_token / checksum_mismatch, with their own time
 * and frame) plus miio.token_wait "never_opened".  So a held frame comes out
 * of the sink when its token appears or at the end, not in capture order
 * (analyze sorts by time).
 *
 * Bounded by ctx->lim.miio_held_max (frames) and lim.miio_held_mem_max
 * (bytes kept): a frame that does not fit is reported at once, with
 * miio.token_wait "not_held", and the first such frame after the queue had
 * room also gives one held_frames_full anomaly.  Without an open queue
 * (unit tests of the state alone, the fuzz harnesses) every frame is
 * reported at once, as it always was.  Deterministic: frames are retried and
 * emitted in the order they were seen.
 */
#ifndef MF_MIIO_HELD_H
#define MF_MIIO_HELD_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;
struct mf_pkt;

/* Opens ctx's queue (or joins the one already open: begin/end nest).
 * Returns 0 or MF_ERR_NOMEM (then frames are reported at once). */
int mf_miio_held_begin(struct mf_ctx *ctx);

/* The token store grew since the last look: the held frames a new token
 * opens are decoded and emitted now.  Cheap when it did not grow.  Returns
 * 0 or MF_ERR_NOMEM. */
int mf_miio_held_check(struct mf_ctx *ctx);

/* End of input for one begin: the last end tries every held frame once more
 * with the tokens known now, reports the rest (no_token / checksum_mismatch,
 * token_wait "never_opened") and closes the queue.  Returns 0 or
 * MF_ERR_NOMEM. */
int mf_miio_held_end(struct mf_ctx *ctx);

/* Capture time is now_ns: frames held longer than lim.held_wait_ns are
 * reported as at the end (token_wait "never_opened"), oldest first.
 * Returns 0 or MF_ERR_NOMEM. */
int mf_miio_held_expire(struct mf_ctx *ctx, int64_t now_ns);

/* Leaves one begin without emitting; the last one closes the queue and
 * frees what it held, unreported: for error paths only (a decoder freed
 * without mf_decoder_finish).  Safe without a queue. */
void mf_miio_held_drop(struct mf_ctx *ctx);

/* Frames held now (0 without a queue). */
size_t mf_miio_held_count(const struct mf_ctx *ctx);

/* ---- for decode/mf_miio.c ---- */

/* Holds a copy of p, seen by the miIO state `owner`, which no token of
 * [0, tried) opens.  Returns 0 (held), MF_ERR_LIMIT (no queue, or the caps
 * are reached: report it now; *first_refusal = 1 for the first refusal
 * since the queue last had room), or MF_ERR_NOMEM. */
int mf_miio_held_add(struct mf_ctx *ctx, void *owner, const struct mf_pkt *p, size_t tried,
                     int *first_refusal);

/* The miIO state `owner` is freed: the frames it held are decoded by the
 * queue's own state when their token comes. */
void mf_miio_held_forget(struct mf_ctx *ctx, const void *owner);

#endif
