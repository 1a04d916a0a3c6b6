/*
 * test_miio_latetoken.c - tests/data/cloud/miiolate.pcap (real peers:
 * python-miio, simulated devices and cloud, curl and the Mi cloud stand-in;
 * make_cloud_variants.sh --set miiolate) through the whole decoder: the
 * miIO frames seen before the token that opens them wait
 * (decode/mf_miio_held.h) and come out when a hello reply, a miIO.info reply
 * or a Mi cloud device list reveals it, after the event that revealed it;
 * with the caps of ctx->lim made small, the frames turned away are reported
 * at once (held_frames_full once, miio.token_wait "not_held"); the end of
 * input reports what no token opened; a decoder freed without finish leaks
 * nothing.  And tests/data/variants/ott.pcap: frames of a TCP "ott"
 * connection that ended before their key came are decoded by the queue's
 * own state, with their stream's "net".
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
#include "mf_miio_held.h"
#include "mf_test.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define PCAP "data/cloud/miiolate.pcap"
#define KEYS "data/cloud/miiolate.keys"
#define TOKENS "data/cloud/miiolate_tokens.txt"
#define OTT "data/variants/ott.pcap"

#define DID_P "351108710"
#define DID_Q "262849117"
#define DID_R "173562028"
#define DID_S "94417306"

struct tally {
	int opened_later, never_opened, not_held, full, no_token, mismatch, unanswered;
	int tokens, decoded, n;
	/* output order: the first opened-late event of each device, and the
	 * token event that opened it */
	int first_late[3], token_at[3];
	int late_with_net, late_with_stream, paired;
	uint64_t st_opened_late, st_never_opened, st_not_held;   /* ctx->st */
};

static struct tally tl;

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = at(o, a, b);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

static int dev_no(const char *did)
{
	return is(did, DID_P) ? 0 : is(did, DID_Q) ? 1 : is(did, DID_R) ? 2 : -1;
}

static int sink(void *arg, struct mf_event *ev)
{
	const char *tw = str_at(ev->body, "miio", "token_wait");
	const char *reason = str_at(ev->body, "reason", NULL);
	const char *did = str_at(ev->body, "did", NULL);
	int k = dev_no(did);

	(void)arg;
	tl.n++;
	if (is(ev->kind, "token") && k >= 0 && tl.token_at[k] < 0)
		tl.token_at[k] = tl.n;
	if (ev->protocol && strncmp(ev->protocol, "miio", 4) == 0) {
		if (is(tw, "opened_later")) {
			tl.opened_later++;
			if (k >= 0 && tl.first_late[k] < 0)
				tl.first_late[k] = tl.n;
			tl.late_with_net += at(ev->body, "net", "src") != NULL;
			tl.late_with_stream += at(ev->body, "net", "tcp_stream") != NULL;
			tl.paired += at(ev->body, "miio", "request_frame") != NULL;
		}
		tl.never_opened += is(tw, "never_opened");
		tl.not_held += is(tw, "not_held");
		tl.full += is(reason, "held_frames_full");
		tl.no_token += is(reason, "no_token");
		tl.mismatch += is(reason, "checksum_mismatch");
		tl.unanswered += is(reason, "unanswered");
		tl.decoded += is(str_at(ev->body, "miio", "checksum"), "valid");
		tl.tokens += is(ev->kind, "token");
	}
	mf_event_free(ev);
	return 0;
}

struct run_opts {
	const char *pcap;
	int keys;                       /* load the key log */
	int tokens;                     /* load Q's cloud key */
	size_t held_max, held_mem_max;
	int finish;                     /* call mf_decoder_finish */
	const char *late_token;         /* "<did> <token>" added just before the end */
	int64_t tick_ns;                /* > 0: the clock moves on by this after the
	                                   last frame (a quiet live capture) */
};

static int never_before_end;            /* never_opened events seen before finish */

/* The capture through a decoder.  Returns the frames held just before the
 * end. */
static size_t run(const struct run_opts *o)
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
	memset(tl.first_late, 0xff, sizeof(tl.first_late));
	memset(tl.token_at, 0xff, sizeof(tl.token_at));
	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();
	ctx.keylog = mf_keylog_new();
	ctx.lim.miio_held_max = o->held_max;
	ctx.lim.miio_held_mem_max = o->held_mem_max;
	ctx.lim.held_wait_ns = o->tick_ns > 0 ? MF_LIVE_HELD_WAIT_NS : 0;
	if (o->keys)
		CHECK(mf_keylog_load_file(ctx.keylog, KEYS, NULL, eb) > 0);
	if (o->tokens)
		CHECK_EQ_INT(mf_tokens_load_file(ctx.tokens, TOKENS, NULL, eb), 0);
	in.path = o->pcap;
	in.name = "capture.pcap";
	in.source = "pcap";
	CHECK_EQ_INT(mf_cap_open_file(&ctx, o->pcap, &in, &cap, eb), 0);
	d = mf_decoder_new(&ctx);
	CHECK(d != NULL);
	CHECK(ctx.miio_held != NULL);
	if (!cap || !d)
		return 0;
	while (mf_cap_next(cap, &f, eb) == 0) {
		last = f.ts_ns;
		CHECK_EQ_INT(mf_decode_frame(d, &f), 0);
	}
	if (o->tick_ns > 0) {
		mf_decoder_tick(d, last + o->tick_ns / 2);
		mf_decoder_tick(d, last + o->tick_ns);
	}
	never_before_end = tl.never_opened;
	held = mf_miio_held_count(&ctx);
	CHECK_EQ_INT(ctx.st.miio_held, held);
	if (o->late_token)
		CHECK_EQ_INT(mf_tokens_load_mem(ctx.tokens, o->late_token, strlen(o->late_token),
		    "late.txt", NULL, eb), 0);
	if (o->finish)
		mf_decoder_finish(d, last);
	mf_decoder_free(d);
	CHECK(ctx.miio_held == NULL);
	CHECK_EQ_INT(ctx.st.miio_held, 0);
	CHECK_EQ_INT(ctx.st.miio_held_bytes, 0);
	tl.st_opened_late = ctx.st.miio_opened_late;
	tl.st_never_opened = ctx.st.miio_never_opened;
	tl.st_not_held = ctx.st.miio_not_held;
	mf_cap_close(cap);
	mf_keylog_free(ctx.keylog);
	mf_tokens_free(ctx.tokens);
	return held;
}

int main(void)
{
	struct run_opts o = { PCAP, 1, 1, 16384, 16u << 20, 1, NULL, 0 };
	size_t held;
	int k;

	/* default caps: R's push and its ack (token from R's hello reply), P's
	 * two exchanges (the device list), Q's get_prop and set_power request
	 * (the miIO.info reply on the cloud link) open late; S's two frames
	 * never do */
	held = run(&o);
	CHECK_EQ_INT(held, 2);
	CHECK_EQ_INT(tl.opened_later, 2 + 4 + 3);
	CHECK_EQ_INT(tl.never_opened, 2);
	CHECK_EQ_INT(tl.no_token, 2);
	CHECK_EQ_INT(tl.mismatch + tl.full + tl.not_held + tl.unanswered, 0);
	CHECK_EQ_INT(tl.late_with_net, 9);
	CHECK_EQ_INT(tl.paired, 4);         /* every late response found its request */
	CHECK_EQ_INT(tl.st_opened_late, 9);   /* one event per frame here */
	CHECK_EQ_INT(tl.st_never_opened, 2);
	CHECK_EQ_INT(tl.st_not_held, 0);
	/* `packets` order: each device's late frames right after the token */
	for (k = 0; k < 3; k++) {
		CHECK(tl.token_at[k] > 0);
		CHECK(tl.first_late[k] > tl.token_at[k]);
	}

	/* room for two frames: R's push and ack wait and open; P's and Q's are
	 * turned away (one held_frames_full), reported at once (no_token, and
	 * checksum_mismatch for Q, whose cloud key is bound to it);
	 * once R's frames left, S's two wait again and are never opened */
	o.held_max = 2;
	held = run(&o);
	CHECK_EQ_INT(held, 2);
	CHECK_EQ_INT(tl.full, 1);
	CHECK_EQ_INT(tl.not_held, 4 + 3);
	CHECK_EQ_INT(tl.opened_later, 2);
	CHECK_EQ_INT(tl.never_opened, 2);
	CHECK_EQ_INT(tl.no_token, 4 + 2);
	CHECK_EQ_INT(tl.mismatch, 3);       /* Q's cloud key is bound to Q */
	CHECK_EQ_INT(tl.st_not_held, 7);

	/* room for no frame by bytes: all eleven at once, one held_frames_full */
	o.held_max = 16384;
	o.held_mem_max = 64;
	held = run(&o);
	CHECK_EQ_INT(held, 0);
	CHECK_EQ_INT(tl.full, 1);
	CHECK_EQ_INT(tl.not_held, 11);
	CHECK_EQ_INT(tl.opened_later + tl.never_opened, 0);

	/* without the key log P's token never comes: its six frames (the late
	 * get_prop too) are reported at the end */
	o.held_mem_max = 16u << 20;
	o.keys = 0;
	held = run(&o);
	CHECK_EQ_INT(held, 8);
	CHECK_EQ_INT(tl.opened_later, 2 + 3);
	CHECK_EQ_INT(tl.never_opened, 6 + 2);

	/* a quiet live capture (lim.held_wait_ns = MF_LIVE_HELD_WAIT_NS, 60 s):
	 * 61 s after the last frame the eight frames no token opened are
	 * reported, not kept until the evidence file ends; 40 s is not enough */
	o.tick_ns = 40LL * 1000000000LL;
	held = run(&o);
	CHECK_EQ_INT(held, 8);
	CHECK_EQ_INT(never_before_end, 0);
	o.tick_ns = 61LL * 1000000000LL;
	held = run(&o);
	CHECK_EQ_INT(held, 0);
	CHECK_EQ_INT(never_before_end, 6 + 2);
	CHECK_EQ_INT(tl.never_opened, 6 + 2);
	CHECK_EQ_INT(tl.opened_later, 2 + 3);
	o.tick_ns = 0;

	/* a decoder freed without finish: what it held is freed (ASan) */
	o.keys = 1;
	o.finish = 0;
	held = run(&o);
	CHECK_EQ_INT(held, 2);
	CHECK_EQ_INT(tl.never_opened, 0);

	/* the ott link's frames, no key known while the connection lasts; the
	 * cloud key comes after the TCP stream ended (here: added before the
	 * end of input): the queue's own state decodes them, with the
	 * stream's net, and pairs the server's answers */
	{
		struct run_opts t = { OTT, 0, 0, 16384, 16u << 20, 1,
		                      "42688810 AbCdEfGh12345678\n", 0 };

		held = run(&t);
		CHECK_EQ_INT(held, 6);
		CHECK_EQ_INT(tl.no_token + tl.never_opened, 0);
		/* _otc.info (and the LAN token it carries), props, set_properties
		 * and the three answers */
		CHECK_EQ_INT(tl.opened_later, 7);
		CHECK_EQ_INT(tl.tokens, 1);
		CHECK_EQ_INT(tl.late_with_stream, 7);
		CHECK_EQ_INT(tl.paired, 3);
		CHECK_EQ_INT(tl.unanswered, 0);
	}
	return TEST_DONE();
}
