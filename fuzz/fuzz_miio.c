/*
 * fuzz_miio.c - the miIO decoder.  First input byte chooses the mode:
 *   even: the rest is a raw UDP payload on port 54321 (header, hello,
 *         lengths, checksum paths); with bit 1 set the token is learned
 *         only after the first copy, which waits for it in the held queue
 *         (mf_miio_held.h) and is replayed;
 *   odd:  the rest is a plaintext that the harness pads, encrypts and
 *         frames with a known token, so the fuzzer reaches the padding,
 *         JSON-quirk, pairing and token-learning code behind the checksum.
 * Byte 1 (odd mode) picks direction and DID.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_cur.h"
#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_miio.h"
#include "mf_miio_held.h"
#include "mf_tokens.h"

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf *b = arg;

	mf_buf_reset(b);
	mf_event_to_json(ev, b);         /* exercise the writer too */
	mf_event_free(ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t tok[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 10 };
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_input in = { .name = "fuzz", .source = "pcap" };
	struct mf_frame f;
	struct mf_pkt p;
	uint8_t *frame = NULL;
	size_t n;
	void *st;
	int to_dev = 1, late = !(data[0] & 1) && (data[0] & 2);

	if (size < 1 || size > 70000)
		return 0;
	mf_ctx_init(&ctx);
	mf_buf_init(&out, 1u << 22);
	ctx.emit = sink;
	ctx.emit_arg = &out;
	ctx.tokens = mf_tokens_new();
	if (!late)
		mf_tokens_add(ctx.tokens, tok, "0x00112233", "fuzz", MF_TOK_HEX32, NULL);
	mf_miio_held_begin(&ctx);
	st = mf_proto_miio.state_new(&ctx);
	if (data[0] & 1) {
		size_t plen = size > 2 ? size - 2 : 0, padded = (plen / 16 + 1) * 16, i;
		uint8_t md[16];

		to_dev = size > 1 ? data[1] & 1 : 1;
		n = 32 + padded;
		frame = malloc(n);
		memset(frame, 0, 32);
		frame[0] = 0x21;
		frame[1] = 0x31;
		mf_put_be16(frame + 2, (uint16_t)n);
		mf_put_be32(frame + 8, (size > 1 && (data[1] & 2)) ? 0x00abcdef : 0x00112233);
		mf_put_be32(frame + 12, 400953);
		if (plen)
			memcpy(frame + 32, data + 2, plen);
		for (i = plen; i < padded; i++)
			frame[32 + i] = (uint8_t)(padded - plen);
		mf_tokens_encrypt(ctx.tokens, 0, frame + 32, padded, frame + 32);
		memcpy(frame + 16, tok, 16);
		mf_md5(frame, n, md);
		memcpy(frame + 16, md, 16);
	} else {
		n = size - 1;
		frame = malloc(n ? n : 1);
		if (n)
			memcpy(frame, data + 1, n);
	}
	memset(&f, 0, sizeof(f));
	f.data = frame;
	f.caplen = f.wirelen = (uint32_t)n;
	f.ts_ns = 1600000000000000000LL;
	f.number = 1;
	f.input = &in;
	memset(&p, 0, sizeof(p));
	p.frame = &f;
	p.ipver = 4;
	p.addr_len = 4;
	memcpy(p.src, to_dev ? a : b, 4);
	memcpy(p.dst, to_dev ? b : a, 4);
	p.sport = to_dev ? 50000 : 54321;
	p.dport = to_dev ? 54321 : 50000;
	p.ipproto = 17;
	p.payload = frame;
	p.len = n;
	p.claimed_len = n;
	/* twice: the second pass meets the pairing and token state of the first */
	mf_proto_miio.decode(st, &ctx, &p);
	if (late) {
		mf_tokens_add(ctx.tokens, tok, "0x00112233", "fuzz", MF_TOK_HEX32, NULL);
		mf_miio_held_check(&ctx);
	}
	f.number = 2;
	f.ts_ns += 1000000000LL;
	mf_proto_miio.decode(st, &ctx, &p);
	mf_miio_held_end(&ctx);     /* what no token opened: reported */
	mf_proto_miio.tick(st, &ctx, f.ts_ns + 10000000000LL, 1);
	mf_proto_miio.state_free(st);
	mf_tokens_free(ctx.tokens);
	mf_buf_free(&out);
	free(frame);
	return 0;
}
