/*
 * test_tls_replay.c - every TLS fixture capture (tests/data/tls/CASES, made
 * by tests/fixtures/make_tls_captures.sh) through the capture reader, link/IP
 * decoding, TCP reassembly (mf_tcp) and mf_tls, with a fake inner consumer
 * that keeps the plaintext: it must equal the payload files byte for byte,
 * in both directions, for every cipher suite (tshark agreed when the
 * fixtures were made).  Keys from NAME.keys, or from the pcapng DSB.
 *
 * Each case runs twice: with the keys known from the start, and with the
 * keys given only after the whole capture went by (the sessions ended and
 * lingered: mf_tcp_resume must open them byte-exact).
 */
#include "mf_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_capture.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_ip.h"
#include "mf_keylog.h"
#include "mf_link.h"
#include "mf_tcp.h"
#include "mf_test.h"

#define DIR_ "data/tls/"

struct keep {
	struct mf_buf got[2];
	int opened, closed;
};

static struct keep kept;
static int sessions, decrypted_sessions;

static void *keep_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	kept.opened++;
	return &kept;
}

static int keep_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                     const struct mf_frame *f)
{
	return mf_buf_add(&kept.got[dir], p, n);
}

static int keep_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	kept.closed++;
	return 0;
}

static const struct mf_stream_proto keep_proto = {
	"keep", { 0 }, NULL, keep_open, keep_data, NULL, keep_close, NULL
};

static struct mf_buf later;     /* key log text held back until the end */
static int late_mode;

/* mf_proto_tls with the fake inner consumer */
static void *tls_open_keep(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	return mf_tls_open_with(ctx, fl, &keep_proto, &keep_proto);
}

static struct mf_stream_proto tls_keep;

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf b;

	mf_buf_init(&b, 1u << 20);
	if (mf_event_to_json(ev, &b) == 0) {
		const char *s = mf_buf_cstr(&b);

		if (strstr(s, "\"kind\":\"session\"")) {
			sessions++;
			if (strstr(s, "\"decrypted\":true"))
				decrypted_sessions++;
		} else if (strstr(s, "\"kind\":\"anomaly\"")) {
			fprintf(stderr, "  %s: %s\n", (const char *)arg, s);
		}
	}
	mf_buf_free(&b);
	mf_event_free(ev);
	return 0;
}

static void on_secret(void *arg, uint32_t type, const uint8_t *data, size_t len,
                      const struct mf_input *in, uint64_t block_no)
{
	struct mf_ctx *ctx = arg;

	if (type != 0x544c534bu)
		return;
	if (late_mode)
		mf_buf_add(&later, data, len);
	else
		mf_keylog_add_mem(ctx->keylog, (const char *)data, len, "dsb", NULL);
}

static int read_file(const char *path, struct mf_buf *b)
{
	FILE *f = fopen(path, "rb");
	uint8_t tmp[4096];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		mf_buf_add(b, tmp, n);
	fclose(f);
	return 0;
}

static void replay(const char *name, const char *file, const char *c2s, const char *s2c,
                   int late)
{
	const struct mf_stream_proto *table[] = { &tls_keep, NULL };
	char path[256], eb[MF_ERRBUF_SIZE];
	struct mf_buf want[2];
	struct mf_input in = { 0 };
	struct mf_cap *cap = NULL;
	struct mf_ctx ctx;
	struct mf_tcp *t;
	struct mf_frame f;
	int i;

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.emit_arg = (void *)name;
	ctx.keylog = mf_keylog_new();
	snprintf(path, sizeof(path), DIR_ "%s.keys", name);
	late_mode = late;
	mf_buf_init(&later, 1u << 20);
	if (late)
		read_file(path, &later);
	else
		mf_keylog_load_file(ctx.keylog, path, NULL, eb);  /* none for the DSB case */
	for (i = 0; i < 2; i++) {
		mf_buf_init(&kept.got[i], 1u << 24);
		mf_buf_init(&want[i], 1u << 24);
	}
	kept.opened = kept.closed = 0;
	sessions = decrypted_sessions = 0;
	snprintf(path, sizeof(path), DIR_ "%s", c2s);
	CHECK_EQ_INT(read_file(path, &want[0]), 0);
	snprintf(path, sizeof(path), DIR_ "%s", s2c);
	CHECK_EQ_INT(read_file(path, &want[1]), 0);
	snprintf(path, sizeof(path), DIR_ "%s", file);
	in.path = path;
	in.name = file;
	in.source = "pcap";
	CHECK_EQ_INT(mf_cap_open_file(&ctx, path, &in, &cap, eb), 0);
	t = mf_tcp_new(&ctx, table);
	if (!cap || !t)
		return;
	mf_cap_set_secret_cb(cap, on_secret, &ctx);
	while (mf_cap_next(cap, &f, eb) == 0) {
		struct mf_l2 l2;
		struct mf_ip ip;
		struct mf_ip_err err;

		if (mf_link_parse(f.linktype, f.data, f.caplen, &l2) != MF_LINK_OK)
			continue;
		if ((l2.ipver == 4 ? mf_ipv4_parse(l2.l3, l2.l3len, &ip, &err)
		    : mf_ipv6_parse(l2.l3, l2.l3len, &ip, &err)) != MF_IP_OK || ip.proto != 6)
			continue;
		CHECK_EQ_INT(mf_tcp_packet(t, &f, &ip), 0);
	}
	if (late) {
		size_t waiting = mf_tcp_lingering(t);

		CHECK(later.len > 0);
		CHECK_EQ_INT(sessions, 0);      /* none said "not decrypted" yet */
		mf_keylog_add_mem(ctx.keylog, (const char *)later.data, later.len, "later", NULL);
		mf_tcp_resume(t, 0);
		CHECK(mf_tcp_lingering(t) == 0);
		CHECK_EQ_INT(sessions, (int)waiting);
	}
	mf_buf_free(&later);
	mf_tcp_finish(t);
	mf_tcp_free(t);
	mf_cap_close(cap);
	CHECK_EQ_INT(sessions, 1);
	CHECK_EQ_INT(decrypted_sessions, 1);
	CHECK_EQ_INT(kept.opened, 1);
	CHECK_EQ_INT(kept.closed, 1);
	for (i = 0; i < 2; i++) {
		int same = kept.got[i].len == want[i].len &&
		    memcmp(kept.got[i].data, want[i].data, want[i].len) == 0;

		if (!same)
			fprintf(stderr, "%s: direction %d: %zu bytes, want %zu\n", name, i,
			    kept.got[i].len, want[i].len);
		CHECK(same);
		mf_buf_free(&kept.got[i]);
		mf_buf_free(&want[i]);
	}
	mf_keylog_free(ctx.keylog);
	printf("%-22s byte-exact%s\n", name, late ? " (keys after the capture)" : "");
}

int main(void)
{
	FILE *f = fopen(DIR_ "CASES", "r");
	char line[512];
	int n = 0;

	tls_keep = mf_proto_tls;
	tls_keep.open = tls_open_keep;
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		char *w[6], *save = NULL;
		int k = 0;

		if (line[0] == '#')
			continue;
		for (w[0] = strtok_r(line, " \t\r\n", &save); w[k] && k < 5;)
			w[++k] = strtok_r(NULL, " \t\r\n", &save);
		if (k != 5 || !w[5])
			continue;
		/* NAME FILE SUITE VERSION C2S S2C */
		replay(w[0], w[1], w[4], w[5], 0);
		replay(w[0], w[1], w[4], w[5], 1);
		n++;
	}
	if (f)
		fclose(f);
	CHECK(n >= 15);
	return TEST_DONE();
}
