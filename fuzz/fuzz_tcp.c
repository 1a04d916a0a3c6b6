/*
 * fuzz_tcp.c - TCP reassembly (decode/mf_tcp.c) from a sequence of
 * segments, straight into mf_tcp_segment(): the stream consumers of the
 * real table (TLS, HTTP) or, by the first byte, the built-in "data" one.
 *
 * Input:  byte 0   options: bit 0 small caps (2 KiB per direction, 6 KiB in
 *                  all, 3 streams), bit 1 the empty table (built-in
 *                  consumer only), bit 2 no idle timeout
 *         then segments, each
 *           | f: u8 | seq: u32 BE | [ack: u32 BE] | len: u16 BE | len bytes |
 *           f: bit 0 FIN, 1 SYN, 2 RST, 3 ACK (the ack field is present),
 *              4 from the server, 5-6 which of four connections (443, 80,
 *              IPv6 7000, 8000), 7 cut (claimed = len + 100)
 *         (a last segment takes what is left).
 * Frames are 0.3 s apart, the idle timeout is 2 s (expiry is called at every
 * segment).  Each payload is copied into a buffer of exactly its length,
 * so ASan sees any read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_stream.h"
#include "mf_tcp.h"

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
	static const struct mf_stream_proto *const none[] = { NULL };
	static const uint16_t sports[4] = { 443, 80, 7000, 8000 };
	static const uint8_t c4[4] = { 10, 0, 0, 1 }, s4[4] = { 10, 0, 0, 2 };
	static const uint8_t c6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct mf_input in = { .name = "fuzz", .source = "pcap" };
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_tcp *t;
	size_t pos = 1;
	uint64_t no = 0;
	int64_t ts = 1600000000000000000LL;

	if (size < 1 || size > 1u << 20)
		return 0;
	mf_ctx_init(&ctx);
	if (data[0] & 1) {
		ctx.lim.tcp_stream_max = 2048;
		ctx.lim.tcp_mem_max = 6144;
		ctx.lim.tcp_streams_max = 3;
	}
	ctx.lim.tcp_idle_ns = data[0] & 4 ? 0 : 2000000000LL;
	mf_buf_init(&out, 1u << 22);
	ctx.emit = sink;
	ctx.emit_arg = &out;
	t = mf_tcp_new(&ctx, data[0] & 2 ? none : mf_tcp_protos);
	if (!t)
		goto out;

	while (pos + 7 <= size) {
		struct mf_tcp_seg s;
		struct mf_frame f;
		uint8_t fl = data[pos];
		int k = (fl >> 5) & 3, srv = (fl >> 4) & 1;
		size_t n;
		uint8_t *pl;

		memset(&s, 0, sizeof(s));
		s.flags = (uint8_t)((fl & 1 ? MF_TCP_FIN : 0) | (fl & 2 ? MF_TCP_SYN : 0) |
		    (fl & 4 ? MF_TCP_RST : 0) | (fl & 8 ? MF_TCP_ACK : 0));
		s.seq = (uint32_t)data[pos + 1] << 24 | (uint32_t)data[pos + 2] << 16 |
		    (uint32_t)data[pos + 3] << 8 | data[pos + 4];
		pos += 5;
		if ((fl & 8) && pos + 4 <= size) {
			s.ack = (uint32_t)data[pos] << 24 | (uint32_t)data[pos + 1] << 16 |
			    (uint32_t)data[pos + 2] << 8 | data[pos + 3];
			pos += 4;
		}
		n = size - pos;
		if (n >= 2) {
			size_t want = (size_t)data[pos] << 8 | data[pos + 1];

			pos += 2;
			n = size - pos;
			if (want < n)
				n = want;
		}
		pl = malloc(n ? n : 1);
		if (!pl)
			break;
		if (n)
			memcpy(pl, data + pos, n);
		pos += n;
		s.addr_len = k == 2 ? 16 : 4;
		s.src = k == 2 ? (srv ? s6 : c6) : (srv ? s4 : c4);
		s.dst = k == 2 ? (srv ? c6 : s6) : (srv ? c4 : s4);
		s.sport = srv ? sports[k] : (uint16_t)(40000 + k);
		s.dport = srv ? (uint16_t)(40000 + k) : sports[k];
		s.data = pl;
		s.len = n;
		s.claimed = n + (fl & 0x80 ? 100 : 0);
		memset(&f, 0, sizeof(f));
		f.number = ++no;
		f.ts_ns = ts;
		f.linktype = 1;
		f.input = &in;
		mf_tcp_segment(t, &f, &s);
		free(pl);
		ts += 300000000LL;
		mf_tcp_expire(t, ts);
	}
	mf_tcp_finish(t);
	mf_tcp_free(t);
out:
	mf_buf_free(&out);
	return 0;
}
