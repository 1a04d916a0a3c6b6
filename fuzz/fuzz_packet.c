/*
 * fuzz_packet.c - the whole packet path: link -> IP (+fragments) -> UDP ->
 * the real protocol table.
 *
 * Input:  byte 0     link type, index into `links` (modulo)
 *         then frames, each  | len: u16 BE, top bit = "cut by the snaplen" |
 *                            | len & 0x7fff bytes                          |
 *         (a last frame without a complete prefix takes the rest)
 * Frames are 0.7 s apart so that ticks and the (lowered) fragment timeout
 * fire; fragment and pairing caps are lowered too, so eviction paths are
 * reached.  Each
 * frame is copied into a buffer of exactly its length, so ASan sees any
 * read past its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_decode.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_tokens.h"

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf *b = arg;

	mf_buf_reset(b);
	mf_event_to_json(ev, b);     /* exercises the "net" object too */
	mf_event_free(ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t links[] = { 1, 113, 276, 0, 108, 101, 228, 229, 12, 14, 147 };
	static const uint8_t tok[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	struct mf_input in = { .name = "fuzz", .source = "pcap" };
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_decoder *d;
	struct mf_frame f;
	size_t pos = 1;
	uint64_t no = 0;

	if (size < 1 || size > 1u << 20)
		return 0;
	mf_ctx_init(&ctx);
	ctx.lim.frag_queues_max = 4;
	ctx.lim.frag_mem_max = 48 * 1024;
	ctx.lim.frag_timeout_ns = 2000000000LL;
	ctx.lim.pair_max = 16;        /* small: reaches eviction, and setup stays cheap */
	mf_buf_init(&out, 1u << 22);
	ctx.emit = sink;
	ctx.emit_arg = &out;
	ctx.tokens = mf_tokens_new();
	if (ctx.tokens)
		mf_tokens_add(ctx.tokens, tok, "0x00112233", "fuzz", MF_TOK_HEX32, NULL);
	d = mf_decoder_new(&ctx);
	if (!d)
		goto out;

	while (pos < size) {
		size_t n = size - pos, cut = 0;
		uint8_t *frame;

		if (n >= 2) {
			size_t want = ((size_t)(data[pos] & 0x7f) << 8) | data[pos + 1];

			cut = data[pos] & 0x80;
			pos += 2;
			n = size - pos;
			if (want < n)
				n = want;
		}
		frame = malloc(n ? n : 1);
		if (!frame)
			break;
		if (n)
			memcpy(frame, data + pos, n);
		pos += n;
		memset(&f, 0, sizeof(f));
		f.data = frame;
		f.caplen = (uint32_t)n;
		f.wirelen = (uint32_t)n + (cut ? 100 : 0);
		f.ts_ns = 1600000000000000000LL + (int64_t)no * 700000000LL;
		f.linktype = links[data[0] % (sizeof(links) / sizeof(links[0]))];
		f.number = ++no;
		f.input = &in;
		mf_decode_frame(d, &f);
		free(frame);
	}
	mf_decoder_finish(d, 1600000000000000000LL + (int64_t)no * 700000000LL);
	mf_decoder_free(d);
out:
	mf_tokens_free(ctx.tokens);
	mf_buf_free(&out);
	return 0;
}
