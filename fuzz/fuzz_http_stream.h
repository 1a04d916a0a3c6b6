/*
 * fuzz_http_stream.h - the two-direction encoding shared by fuzz_http1 and
 * fuzz_http2 (Suricata's flow-fuzzing idea): after one option byte, records
 *
 *   dir (1 byte) | len (2 bytes, big-endian) | len bytes
 *
 * dir bit 0: 0 client->server, 1 server->client; bit 7: a capture gap of
 * `len` bytes in that direction (no bytes follow).  Option byte bit 0: the
 * flow carries the TLS SNI of a Mi cloud host (exchanges go to the cloud
 * codec), bit 1: a small body cap (http_body_max = 512).  A short last
 * record takes what is left.  Each record is its own frame.
 */
#ifndef FUZZ_HTTP_STREAM_H
#define FUZZ_HTTP_STREAM_H

#include <stdint.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_frame.h"
#include "mf_stream.h"

static void fuzz_http_stream(const struct mf_stream_proto *proto, const uint8_t *data,
                             size_t size, const uint8_t *prefix, size_t prefix_len)
{
	struct mf_ctx ctx;
	struct mf_input in = { .path = "fuzz", .name = "fuzz", .source = "pcap" };
	struct mf_flow fl;
	struct mf_frame f;
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, srv[4] = { 192, 0, 2, 2 };
	uint8_t opt;
	void *st;

	if (size < 1)
		return;
	opt = data[0];
	data++;
	size--;
	mf_ctx_init(&ctx);
	ctx.lim.json_depth_max = 32;
	if (opt & 2)
		ctx.lim.http_body_max = 512;
	memset(&fl, 0, sizeof(fl));
	fl.input = &in;
	fl.addr_len = 4;
	memcpy(fl.cli, cli, 4);
	memcpy(fl.srv, srv, 4);
	fl.cport = 40000;
	fl.sport = 443;
	if (opt & 1) {
		fl.sni = "de.api.io.mi.com";
		fl.tls = 1;
	}
	memset(&f, 0, sizeof(f));
	f.input = &in;
	f.number = 1;
	st = proto->open(&ctx, &fl);
	if (!st)
		return;
	if (prefix_len)
		proto->data(st, &ctx, MF_DIR_C2S, prefix, prefix_len, &f);
	while (size >= 3) {
		int dir = data[0] & 1, gap = (data[0] & 0x80) != 0;
		size_t len = ((size_t)data[1] << 8) | data[2];

		data += 3;
		size -= 3;
		f.number++;
		f.ts_ns += 1000000;
		if (gap) {
			proto->gap(st, &ctx, dir, len, &f);
			continue;
		}
		if (len > size)
			len = size;
		proto->data(st, &ctx, dir, data, len, &f);
		data += len;
		size -= len;
	}
	if (proto->close(st, &ctx, MF_END_FIN, NULL) == MF_STREAM_LINGER && proto->resume)
		proto->resume(st, &ctx, 1);
}

#endif
