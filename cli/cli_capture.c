/*
 * cli_capture.c - one capture through capture/ and decode/ into ctx's sink,
 * shared by `packets` and `analyze`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mf_capture.h"
#include "mf_decode.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_keylog.h"
#include "mf_time.h"

static void capture_problem(struct mf_ctx *ctx, struct mf_cap *cap, struct mf_input *in,
                            int rc, const char *msg, int64_t ts)
{
	struct mf_event *ev = mf_event_new(ts, in->source ? in->source : "pcap", "capture",
	    "anomaly");

	if (ev) {
		cJSON *e = mf_json_obj();

		mf_event_str(ev, "reason", rc == MF_ERR_TRUNC ? "capture_truncated"
		    : "capture_damaged");
		mf_event_str(ev, "detail", msg);
		mf_json_str(e, "file", in->name);
		if (cap)
			mf_json_u64(e, "offset", mf_cap_offset(cap));
		mf_event_add(ev, "evidence", e);
		mf_emit(ctx, ev);
	}
	cli_warn("%s: %s", in->path, msg);
}

/* pcapng Decryption Secrets Blocks: TLS key logs join the store at once,
 * so the records after them decrypt (libpcap would skip these blocks). */
static void on_secret(void *arg, uint32_t type, const uint8_t *data, size_t len,
                      const struct mf_input *in, uint64_t block_no)
{
	struct mf_ctx *ctx = arg;
	char origin[300];

	if (type != 0x544c534bu || !ctx->keylog)   /* "TLSK" */
		return;
	snprintf(origin, sizeof(origin), "%s: pcapng DSB block %llu", in ? in->name : "?",
	    (unsigned long long)block_no);
	mf_keylog_add_mem(ctx->keylog, (const char *)data, len, origin, NULL);
}

int cli_run_capture(struct mf_ctx *ctx, struct mf_input *in, int quiet, int captures_only)
{
	char eb[MF_ERRBUF_SIZE] = "";
	struct mf_cap *cap = NULL;
	struct mf_decoder *dec;
	struct mf_frame f;
	int64_t last = MF_TIME_NONE;
	uint64_t frames0 = ctx->st.frames, miio0 = ctx->st.miio_frames;
	uint64_t dec0 = ctx->st.miio_decrypted, an0 = ctx->st.anomalies;
	int rc, bad = 0, tty = !quiet && isatty(2);

	rc = mf_cap_open_file(ctx, in->path, in, &cap, eb);
	if (rc == MF_ERR_FORMAT && !captures_only)
		return MF_ERR_FORMAT;    /* not a capture: the caller tries other readers */
	if (rc != 0) {
		cli_warn("%s: %s", in->path, eb[0] ? eb : mf_strerror(rc));
		return 1;
	}
	mf_cap_set_secret_cb(cap, on_secret, ctx);
	/* only a pcapng can bring keys later (a DSB after the traffic) */
	ctx->keys_may_come = mf_cap_format(cap) == MF_CAP_PCAPNG;
	dec = mf_decoder_new(ctx);
	if (!dec) {
		mf_cap_close(cap);
		cli_warn("out of memory");
		return 1;
	}
	while ((rc = mf_cap_next(cap, &f, eb)) == 0) {
		if (f.ts_ns != MF_TIME_NONE)
			last = f.ts_ns;
		/* progress on a terminal: every 64k frames */
		if (tty && (f.number & 0xffff) == 0)
			fprintf(stderr, "\r%s: %.1f MB read, %" PRIu64 " events", in->name,
			    mf_cap_bytes_read(cap) / 1e6, ctx->st.events);
		if (mf_decode_frame(dec, &f) == MF_ERR_NOMEM) {
			rc = MF_ERR_NOMEM;
			snprintf(eb, sizeof(eb), "out of memory");
			break;
		}
	}
	if (rc != MF_ERR_EOF) {
		capture_problem(ctx, cap, in, rc, eb[0] ? eb : mf_strerror(rc), last);
		bad = 1;
	}
	if (tty)
		fputc('\r', stderr);
	mf_decoder_finish(dec, last);
	mf_decoder_free(dec);
	mf_cap_close(cap);
	if (!quiet)
		fprintf(stderr, "%s: sha256 %s, %" PRIu64 " bytes, %" PRIu64 " frames, %" PRIu64
		    " miIO frames (%" PRIu64 " decrypted), %" PRIu64 " anomalies\n", in->path,
		    in->sha256, in->size, ctx->st.frames - frames0, ctx->st.miio_frames - miio0,
		    ctx->st.miio_decrypted - dec0, ctx->st.anomalies - an0);
	return bad;
}


/* `tokens` on a capture: only the token findings, with the fields the
 * tokens listing prints at the top level. */
struct tok_adapt {
	mf_emit_fn emit;
	void *arg;
};

static int tok_adapt_emit(void *arg, struct mf_event *ev)
{
	struct tok_adapt *a = arg;
	const cJSON *mi, *net, *v;

	if (!ev->kind || strcmp(ev->kind, "token") != 0) {
		mf_event_free(ev);
		return 0;
	}
	mi = cJSON_GetObjectItemCaseSensitive(ev->body, "miio");
	net = cJSON_GetObjectItemCaseSensitive(ev->body, "net");
	v = cJSON_GetObjectItemCaseSensitive(mi, "found_in");
	if (cJSON_IsString(v) && !cJSON_GetObjectItemCaseSensitive(ev->body, "found_in")) {
		char where[128];

		snprintf(where, sizeof(where), "traffic: %s", v->valuestring);
		mf_event_str(ev, "found_in", where);
	}
	/* a miIO token finding comes from the device's side of the exchange;
	 * a cloud one from the phone's API call, whose address is not the
	 * device's */
	v = cJSON_GetObjectItemCaseSensitive(net, "src");
	if (cJSON_IsString(v) && !cJSON_GetObjectItemCaseSensitive(ev->body, "ip") &&
	    ev->protocol && strncmp(ev->protocol, "miio", 4) == 0)
		mf_event_str(ev, "ip", v->valuestring);
	return a->emit(a->arg, ev);
}

int cli_tokens_from_capture(const char *path, struct mf_ctx *ctx, const struct cli_opts *o)
{
	struct tok_adapt a = { ctx->emit, ctx->emit_arg };
	struct mf_input in;
	const char *slash = strrchr(path, '/');
	int rc;

	memset(&in, 0, sizeof(in));
	in.path = path;
	in.name = slash ? slash + 1 : path;
	in.source = "pcap";
	ctx->emit = tok_adapt_emit;
	ctx->emit_arg = &a;
	rc = cli_run_capture(ctx, &in, 1, 1);
	ctx->emit = a.emit;
	ctx->emit_arg = a.arg;
	(void)o;
	return rc ? MF_EXIT_INPUT : 0;
}
