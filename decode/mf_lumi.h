/* mf_lumi.h - the Lumi gateway LAN decoder's table entry (see mf_lumi.c). */
#ifndef MF_LUMI_H
#define MF_LUMI_H

#include "mf_proto.h"

extern const struct mf_udp_proto mf_proto_lumi;

/* Write key for a LAN password and heartbeat token (16 ASCII chars each):
 * 32 upper-case hex chars + NUL.  Returns 0 or -1. */
int mf_lumi_write_key(const char *password, const char *token, char out[33]);

#endif
