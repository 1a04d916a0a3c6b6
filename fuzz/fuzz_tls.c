/*
 * fuzz_tls.c - the TLS stream consumer (decode/mf_tls.c) with its real inner
 * consumers (HTTP/1.1, HTTP/2), fed a two-direction stream:
 *
 *   flags (1 byte) | len (2 bytes, big-endian) | len bytes
 *
 * flags bit 0: 0 client->server, 1 server->client; bit 7: a capture gap of
 * `len` bytes in that direction (no bytes follow); bit 6: the bytes are key
 * log text (added to this input's key log, so seeds made from the fixture
 * captures reach every decryption path).  A short last record takes what is
 * left.  Each record is its own frame.  Seeds: fuzz/corpus/fuzz_tls/, made by
 * tests/fixtures/tls_fuzz_corpus.py.
 */
#include <stdint.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_frame.h"
#include "mf_keylog.h"
#include "mf_stream.h"
#include "mf_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, srv[4] = { 192, 0, 2, 2 };
	struct mf_input in = { .path = "fuzz", .name = "fuzz", .source = "pcap" };
	struct mf_ctx ctx;
	struct mf_flow fl;
	struct mf_frame f;
	void *st;

	mf_ctx_init(&ctx);
	ctx.keylog = mf_keylog_new();
	if (!ctx.keylog)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.input = &in;
	fl.addr_len = 4;
	memcpy(fl.cli, cli, 4);
	memcpy(fl.srv, srv, 4);
	fl.cport = 40000;
	fl.sport = 443;
	memset(&f, 0, sizeof(f));
	f.input = &in;
	st = mf_proto_tls.open(&ctx, &fl);
	if (!st) {
		mf_keylog_free(ctx.keylog);
		return 0;
	}
	while (size >= 3) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		int dir = flags & 1;

		data += 3;
		size -= 3;
		f.number++;
		f.ts_ns += 1000;
		if (flags & 0x80) {
			mf_proto_tls.gap(st, &ctx, dir, len, &f);
			continue;
		}
		if (len > size)
			len = size;
		if (flags & 0x40)
			mf_keylog_add_mem(ctx.keylog, (const char *)data, len, "fuzz", NULL);
		else
			mf_proto_tls.data(st, &ctx, dir, data, len, &f);
		data += len;
		size -= len;
	}
	if (mf_proto_tls.close(st, &ctx, MF_END_EOF, NULL) == MF_STREAM_LINGER)
		mf_proto_tls.resume(st, &ctx, 1);
	mf_keylog_free(ctx.keylog);
	return 0;
}
