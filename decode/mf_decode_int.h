/*
 * mf_decode_int.h - decode/'s private entry points (libpcap pcap-int.h
 * style): not part of the public API, used by mf_proto.c and unit tests.
 */
#ifndef MF_DECODE_INT_H
#define MF_DECODE_INT_H

#include "mf_decode.h"
#include "mf_proto.h"

/* mf_decoder_new() over an explicit NULL-terminated protocol table, which
 * must outlive the decoder.  Unit tests pass a table of fakes; the real
 * table lives in mf_proto.c so that such tests link without it. */
struct mf_decoder *mf_decoder_new_table(struct mf_ctx *ctx,
                                        const struct mf_udp_proto *const *table);

#endif
