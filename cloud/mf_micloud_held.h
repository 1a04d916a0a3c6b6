/*
 * mf_micloud_held.h - Mi cloud calls held for a session key that comes
 * later in the input.
 *
 * An RC4 call is opened by the ssecurity that signed it (micloud.md
 * sections 6, 8).  A capture that starts mid-session, or holds several
 * accounts, may show calls before the request or login reply that reveals
 * their key.  While a queue is open (between mf_micloud_held_begin and
 * mf_micloud_held_end), mf_micloud_exchange keeps a copy of every RC4 call
 * that no known key opens instead of reporting it as undecodable; each time
 * the traffic reveals a new ssecurity the held calls are tried again, and
 * those it opens are emitted then, with their own capture time and
 * evidence (micloud.key_wait "opened_later", micloud.key_evidence = the
 * exchange that revealed the key).  At the end the rest are emitted as
 * before: a `data` event and the `no_ssecurity` / `wrong_ssecurity`
 * anomaly (micloud.key_wait "never_opened").  So a held call comes out of
 * the sink when its key appears or at the end, not in capture order (the
 * analyze report sorts by time).
 *
 * Bounded by ctx->lim.cloud_held_max (calls) and lim.cloud_held_mem_max
 * (bytes kept: request and reply bodies, headers, evidence): a call that
 * does not fit is reported at once, with the anomaly `held_calls_full`.
 * Without an open queue (unit tests, the fuzz harness) every call is
 * reported at once, as it always was.  Deterministic: held calls are
 * retried and emitted in the order they were seen.
 */
#ifndef MF_MICLOUD_HELD_H
#define MF_MICLOUD_HELD_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;

/* Opens ctx's queue (or joins the one already open: begin/end nest).
 * Returns 0 or MF_ERR_NOMEM (then calls are reported at once). */
int mf_micloud_held_begin(struct mf_ctx *ctx);

/* End of input for one begin: the last end tries every held call once more
 * with the keys known now, emits them (opened, or with their anomaly) and
 * closes the queue.  Returns 0 or MF_ERR_NOMEM (the sink's error). */
int mf_micloud_held_end(struct mf_ctx *ctx);

/* Capture time is now_ns: calls held longer than lim.held_wait_ns are
 * reported as at the end, oldest first.  Returns 0 or MF_ERR_NOMEM. */
int mf_micloud_held_expire(struct mf_ctx *ctx, int64_t now_ns);

/* Leaves one begin without emitting; the last one closes the queue and
 * frees what it held, unreported: for error paths only (a decoder freed
 * without mf_decoder_finish).  Safe without a queue. */
void mf_micloud_held_drop(struct mf_ctx *ctx);

/* Calls held now (0 without a queue). */
size_t mf_micloud_held_count(const struct mf_ctx *ctx);

#endif
