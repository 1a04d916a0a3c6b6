/*
 * test_micloud_latekey.c - tests/data/cloud/latekey.pcap (real peers: curl,
 * the stand-in, nghttpx; make_cloud_variants.sh --set latekey) through the
 * whole decoder with the caps of ctx->lim made small: the Mi cloud calls
 * seen before their ssecurity wait (cloud/mf_micloud_held.h) as far as the
 * caps allow; those turned away are reported at once (held_calls_full and
 * their no_ssecurity); the end of input reports what no key opened; a
 * decoder freed without finish leaks nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "mf_capture.h"
#include "mf_ctx.h"
#include "mf_decode.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_keylog.h"
#include "mf_micloud_held.h"
#include "mf_test.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define PCAP "data/cloud/latekey.pcap"
#define KEYS "data/cloud/latekey.keys"

struct tally {
	int opened_later, never_opened, full, no_ss, wrong_ss, tokens, data;
};

static struct tally tl;

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int sink(void *arg, struct mf_event *ev)
{
	const char *kw = str_at(ev->body, "micloud", "key_wait");
	const char *reason = str_at(ev->body, "reason", NULL);

	(void)arg;
	if (ev->protocol && strcmp(ev->protocol, "micloud-http") == 0) {
		if (kw && strcmp(kw, "opened_later") == 0)
			tl.opened_later++;
		if (kw && strcmp(kw, "never_opened") == 0)
			tl.never_opened++;
		if (reason && strcmp(reason, "held_calls_full") == 0)
			tl.full++;
		if (reason && strcmp(reason, "no_ssecurity") == 0)
			tl.no_ss++;
		if (reason && strcmp(reason, "wrong_ssecurity") == 0)
			tl.wrong_ss++;
		tl.tokens += strcmp(ev->kind, "token") == 0;
		tl.data += strcmp(ev->kind, "data") == 0 && str_at(ev->body, "micloud", "mode");
	}
	mf_event_free(ev);
	return 0;
}

/* The capture through a decoder; finish: call mf_decoder_finish.  Returns
 * the calls held just before the end. */
static int64_t quiet_ns;         /* > 0: the clock moves on after the last frame */
static int never_before_end;

static size_t run(size_t held_max, size_t held_mem_max, int finish)
{
	char eb[MF_ERRBUF_SIZE] = "";
	struct mf_input in = { 0 };
	struct mf_cap *cap = NULL;
	struct mf_decoder *d;
	struct mf_ctx ctx;
	struct mf_frame f;
	int64_t last = MF_TIME_NONE;
	size_t held;

	memset(&tl, 0, sizeof(tl));
	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();
	ctx.keylog = mf_keylog_new();
	ctx.lim.cloud_held_max = held_max;
	ctx.lim.cloud_held_mem_max = held_mem_max;
	ctx.lim.held_wait_ns = quiet_ns > 0 ? MF_LIVE_HELD_WAIT_NS : 0;
	CHECK(mf_keylog_load_file(ctx.keylog, KEYS, NULL, eb) > 0);
	in.path = PCAP;
	in.name = "latekey.pcap";
	in.source = "pcap";
	CHECK_EQ_INT(mf_cap_open_file(&ctx, PCAP, &in, &cap, eb), 0);
	d = mf_decoder_new(&ctx);
	CHECK(d != NULL);
	if (!cap || !d)
		return 0;
	while (mf_cap_next(cap, &f, eb) == 0) {
		last = f.ts_ns;
		CHECK_EQ_INT(mf_decode_frame(d, &f), 0);
	}
	if (quiet_ns > 0) {
		mf_decoder_tick(d, last + quiet_ns / 2);
		mf_decoder_tick(d, last + quiet_ns);
	}
	never_before_end = tl.never_opened;
	held = mf_micloud_held_count(&ctx);
	if (finish)
		mf_decoder_finish(d, last);
	mf_decoder_free(d);
	CHECK(ctx.micloud_held == NULL);
	CHECK_EQ_INT(ctx.st.cloud_held, 0);
	CHECK_EQ_INT(ctx.st.cloud_held_bytes, 0);
	mf_cap_close(cap);
	mf_keylog_free(ctx.keylog);
	mf_tokens_free(ctx.tokens);
	return held;
}

int main(void)
{
	size_t held;

	/* default caps: the four early calls wait; two open with the request
	 * that reveals A, one with the login that reveals B, one never */
	held = run(4096, 64u << 20, 1);
	CHECK_EQ_INT(held, 1);
	CHECK_EQ_INT(tl.opened_later, 3);
	CHECK_EQ_INT(tl.never_opened, 1);
	CHECK_EQ_INT(tl.wrong_ss, 1);
	CHECK_EQ_INT(tl.no_ss, 0);
	CHECK_EQ_INT(tl.full, 0);
	CHECK_EQ_INT(tl.tokens, 1);
	CHECK_EQ_INT(tl.data, 6);

	/* room for one call: the other three early calls are reported at once,
	 * each with held_calls_full and no_ssecurity (no key known yet) */
	held = run(1, 64u << 20, 1);
	CHECK_EQ_INT(tl.full, 3);
	CHECK_EQ_INT(tl.no_ss, 3);
	CHECK_EQ_INT(tl.opened_later + tl.never_opened, 1);
	CHECK_EQ_INT(tl.data, 6);

	/* room for no call by bytes: all four at once */
	held = run(4096, 256, 1);
	CHECK_EQ_INT(held, 0);
	CHECK_EQ_INT(tl.full, 4);
	CHECK_EQ_INT(tl.no_ss, 4);
	CHECK_EQ_INT(tl.opened_later + tl.never_opened, 0);
	CHECK_EQ_INT(tl.tokens, 0);
	CHECK_EQ_INT(tl.data, 6);

	/* a quiet live capture: the call no key opens is reported 60 s
	 * (lim.held_wait_ns = MF_LIVE_HELD_WAIT_NS) after it was seen, not when
	 * the file ends */
	quiet_ns = 61LL * 1000000000LL;
	held = run(4096, 64u << 20, 1);
	CHECK_EQ_INT(held, 0);
	CHECK_EQ_INT(never_before_end, 1);
	CHECK_EQ_INT(tl.opened_later, 3);
	quiet_ns = 0;

	/* a decoder freed without finish: what it held is freed (ASan) */
	held = run(4096, 64u << 20, 0);
	CHECK_EQ_INT(held, 1);
	CHECK_EQ_INT(tl.never_opened, 0);
	return TEST_DONE();
}
