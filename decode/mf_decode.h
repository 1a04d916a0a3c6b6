/*
 * mf_decode.h - the decode layer's public face: frames in, events out
 * (through ctx->emit).  Link layer -> IPv4/IPv6 (+fragment reassembly) ->
 * UDP -> the application protocol table (mf_proto.h).
 *
 * One mf_decoder holds all per-capture state (fragment queues, protocol
 * state such as miIO request pairing); it is bounded by ctx->lim.
 */
#ifndef MF_DECODE_H
#define MF_DECODE_H

#include <stdint.h>

struct mf_ctx;
struct mf_frame;
struct mf_decoder;

/* Returns NULL on allocation failure. ctx must outlive the decoder. */
struct mf_decoder *mf_decoder_new(struct mf_ctx *ctx);
/* Flushes (mf_decoder_finish) is NOT implied; call it first at end of input. */
void mf_decoder_free(struct mf_decoder *d);

/* Decodes one frame; what it finds is emitted, what it cannot decode becomes
 * an anomaly event.  Returns 0, or MF_ERR_NOMEM (the only fatal outcome). */
int mf_decode_frame(struct mf_decoder *d, const struct mf_frame *f);

/* Advances the decoder's clock without a frame (a live capture while no
 * packet arrives), so that time-outs (unanswered miIO requests, fragment
 * queues) fire and the events held behind them come out.  now_ns must not
 * run ahead of frames still to come (a live caller passes the wall clock
 * minus a margin). */
void mf_decoder_tick(struct mf_decoder *d, int64_t now_ns);

/* Live capture: what the decoder holds back for frames still to come (a
 * miIO request waiting for its answer, to name the answer's frame) and was
 * captured before before_ns is written now, without that annotation, so
 * that no event waits long for another.  Returns the capture time of the
 * oldest line still held (call again after it plus the hold), or
 * MF_TIME_NONE when nothing is held. */
int64_t mf_decoder_release(struct mf_decoder *d, int64_t before_ns);

/* End of input: incomplete fragment queues, unanswered requests and other
 * pending state become events.  `now_ns` is the last capture time. */
void mf_decoder_finish(struct mf_decoder *d, int64_t now_ns);

/* Is LINKTYPE_* something we can decode? (for a one-time warning) */
int mf_decode_linktype_supported(uint32_t linktype);

#endif
