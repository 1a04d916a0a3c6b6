/* fuzz_lumi.c - the Lumi gateway LAN decoder on one datagram (port 9898). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_lumi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_ctx ctx;
	struct mf_input in = { .name = "fuzz", .source = "pcap" };
	struct mf_frame f;
	struct mf_pkt p;
	static const uint8_t a[4] = { 192, 0, 2, 1 }, m[4] = { 224, 0, 0, 50 };
	void *st;

	mf_ctx_init(&ctx);
	snprintf(ctx.lumi_password, sizeof(ctx.lumi_password), "0987654321qwerty");
	st = mf_proto_lumi.state_new(&ctx);
	memset(&f, 0, sizeof(f));
	f.number = 1;
	f.input = &in;
	memset(&p, 0, sizeof(p));
	p.frame = &f;
	p.ipver = 4;
	p.addr_len = 4;
	memcpy(p.src, a, 4);
	memcpy(p.dst, m, 4);
	p.sport = p.dport = 9898;
	p.ipproto = 17;
	p.payload = data;
	p.len = p.claimed_len = size;
	mf_proto_lumi.decode(st, &ctx, &p);
	mf_proto_lumi.decode(st, &ctx, &p);
	mf_proto_lumi.state_free(st);
	return 0;
}
