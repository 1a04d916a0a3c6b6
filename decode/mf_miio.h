/* mf_miio.h - the miIO decoder's table entries (see mf_miio.c). */
#ifndef MF_MIIO_H
#define MF_MIIO_H

#include "mf_proto.h"

extern const struct mf_udp_proto mf_proto_miio;
/* The same frames on a TCP stream (the "ott" cloud link, port 80; a port-80
 * stream that is not miIO goes on to HTTP/1.x). */
struct mf_stream_proto;
extern const struct mf_stream_proto mf_proto_miio_tcp;

/* For decode/mf_miio_held.c: decodes a held frame again through the miIO
 * state st that saw it (or the queue's own), with its own time and
 * evidence; the events get miio.token_wait.  final: the end of input, a
 * frame no token opens is reported (no_token / checksum_mismatch).
 * Returns 0, MF_MIIO_STILL_HELD (not final, and no token opens it after
 * all: keep holding it), or MF_ERR_NOMEM. */
#define MF_MIIO_STILL_HELD 1
struct mf_ctx;
int mf_miio_replay(void *st, struct mf_ctx *ctx, const struct mf_pkt *p, int final);

#endif
