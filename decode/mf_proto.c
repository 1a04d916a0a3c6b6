/*
 * mf_proto.c - the UDP protocol table (mf_proto.h).  Adding a protocol:
 * define `const struct mf_udp_proto mf_proto_<name>` in its own file,
 * declare it in its header, list it here.
 *
 * mf_decoder_new() lives here, beside the table, rather than in
 * mf_decode.c: unit tests build decoders over tables of fakes
 * (mf_decoder_new_table) and then link without the real protocols.
 */
#include "mf_proto.h"

#include <stddef.h>

#include "mf_decode_int.h"
#include "mf_lumi.h"
#include "mf_miio.h"

const struct mf_udp_proto *const mf_udp_protos[] = {
	&mf_proto_miio,
	&mf_proto_lumi,
	NULL
};

struct mf_decoder *mf_decoder_new(struct mf_ctx *ctx)
{
	return mf_decoder_new_table(ctx, mf_udp_protos);
}
