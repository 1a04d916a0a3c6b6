/*
 * fuzz_capture.c - libFuzzer target for capture/: content detection, gzip,
 * classic pcap through libpcap, the pcapng block reader.  Opens the input
 * with mf_cap_open_mem, reads every frame (touching each byte so ASan sees
 * over-reads), takes the secrets, closes (which hashes the rest).
 */
#include <stddef.h>
#include <stdint.h>

#include "mf_capture.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"

static volatile uint8_t sink;

static int on_event(void *arg, struct mf_event *ev)
{
	mf_event_free(ev);
	return 0;
}

static void on_secret(void *arg, uint32_t type, const uint8_t *data, size_t len,
                      const struct mf_input *in, uint64_t block_no)
{
	if (len)
		sink ^= data[0] ^ data[len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_input in = { .name = "fuzz", .source = "pcap" };
	char err[MF_ERRBUF_SIZE];
	struct mf_frame f;
	struct mf_ctx ctx;
	struct mf_cap *c;
	uint32_t i;

	mf_ctx_init(&ctx);
	ctx.emit = on_event;
	if (mf_cap_open_mem(&ctx, data, size, &in, &c, err) != 0)
		return 0;
	mf_cap_set_secret_cb(c, on_secret, NULL);
	while (mf_cap_next(c, &f, err) == 0)
		for (i = 0; i < f.caplen; i++)
			sink ^= f.data[i];
	mf_cap_close(c);
	return 0;
}
