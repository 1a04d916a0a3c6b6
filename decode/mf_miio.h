/* mf_miio.h - the miIO decoder's table entry (see mf_miio.c). */
#ifndef MF_MIIO_H
#define MF_MIIO_H

#include "mf_proto.h"

extern const struct mf_udp_proto mf_proto_miio;

#endif
