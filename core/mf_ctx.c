/* mf_ctx.c - context defaults, emission and anomalies; see mf_ctx.h. */
#include "mf_ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"

void mf_ctx_init(struct mf_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->lim.frag_mem_max = 16u << 20;
	ctx->lim.frag_queues_max = 4096;
	ctx->lim.frag_timeout_ns = 30LL * 1000000000LL;
	ctx->lim.pair_max = 65536;
	ctx->lim.pair_timeout_ns = 5LL * 1000000000LL;
	ctx->lim.plaintext_max = 65536;
	ctx->lim.json_depth_max = 64;
	ctx->lim.tcp_stream_max = 4u << 20;
	ctx->lim.tcp_mem_max = 64u << 20;
	ctx->lim.tcp_streams_max = 65536;
	ctx->lim.tcp_idle_ns = 600LL * 1000000000LL;
	ctx->keys_may_come = 1;
	ctx->lim.tcp_linger_max = 1024;
	ctx->lim.tcp_linger_ns = 300LL * 1000000000LL;
	ctx->lim.http_body_max = 16u << 20;
	ctx->lim.tls_held_max = 32u << 20;
	ctx->lim.http_mem_max = 64u << 20;
	ctx->lim.cloud_held_max = 4096;
	ctx->lim.cloud_held_mem_max = 64u << 20;
	ctx->lim.miio_held_max = 16384;
	ctx->lim.miio_held_mem_max = 16u << 20;
	ctx->lim.held_wait_ns = 0;      /* offline: until the end of the input */
}

int mf_emit(struct mf_ctx *ctx, struct mf_event *ev)
{
	if (!ev)
		return MF_ERR_NOMEM;
	ev->seq = ctx->seq++;
	ctx->st.events++;
	if (ev->kind && strcmp(ev->kind, "anomaly") == 0)
		ctx->st.anomalies++;
	if (!ctx->emit) {
		mf_event_free(ev);
		return 0;
	}
	return ctx->emit(ctx->emit_arg, ev);
}

int mf_anomaly_frame(struct mf_ctx *ctx, const struct mf_frame *f, const char *source,
                     const char *protocol, const char *reason, const char *fmt, ...)
{
	struct mf_event *ev;
	char detail[512];
	va_list ap;

	ev = mf_event_new(f ? f->ts_ns : INT64_MIN, source ? source : "pcap", protocol,
	    "anomaly");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", reason);
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		mf_event_str(ev, "detail", detail);
	}
	if (f)
		mf_event_frame_evidence(ev, f);
	return mf_emit(ctx, ev);
}

void mf_redact(const struct mf_ctx *ctx, const char *secret, char *out, size_t outlen)
{
	size_t n = strlen(secret);

	if (ctx && ctx->show_secrets) {
		snprintf(out, outlen, "%s", secret);
		return;
	}
	if (n <= 8)
		snprintf(out, outlen, "[redacted:%zu]", n);
	else
		snprintf(out, outlen, "%.4s…[redacted:%zu]", secret, n);
}
