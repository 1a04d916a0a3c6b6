/* mf_miio.h - the miIO decoder's table entries (see mf_miio.c). */
#ifndef MF_MIIO_H
#define MF_MIIO_H

#include "mf_proto.h"

extern const struct mf_udp_proto mf_proto_miio;
/* The same frames on a TCP stream (the "ott" cloud link, port 80; a port-80
 * stream that is not miIO goes on to HTTP/1.x). */
struct mf_stream_proto;
extern const struct mf_stream_proto mf_proto_miio_tcp;

#endif
