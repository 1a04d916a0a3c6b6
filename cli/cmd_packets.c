/*
 * cmd_packets.c - `miforensics packets CAPTURE...`: one JSON line per
 * decoded application message, in capture order (a dissector listing).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mf_capture.h"
#include "mf_decode.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_time.h"
#include "mf_tokens.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics packets [options] CAPTURE...\n\n"
	    "Decodes miIO traffic in pcap/pcapng captures (also .gz) and prints one\n"
	    "JSON line per message (schema: CONTRACT.md). Undecodable messages are\n"
	    "listed as anomalies with their reason.\n\n"
	    "options:\n"
	    "  -t, --tokens FILE    device tokens: lines '<did-or-ip> <token>' or a JSON list\n"
	    "      --token TOKEN    a token to try on every device (repeatable)\n"
	    "      --show-secrets   print tokens and passwords instead of redacting them\n"
	    "      --format jsonl   output format (jsonl only for this command)\n"
	    "  -q, --quiet          no summary on stderr\n"
	    "  -h, --help           this text\n");
}

/* Parses the options every capture command shares.  Returns 0, or the exit
 * code to use. */
static int parse(int argc, char **argv, struct cli_opts *o)
{
	static const struct option lo[] = {
		{ "tokens", required_argument, NULL, 't' },
		{ "token", required_argument, NULL, 'T' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->format = "jsonl";
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:qh", lo, NULL)) != -1) {
		switch (c) {
		case 't':
			if (o->ntokens_files == 16) {
				cli_warn("too many --tokens files");
				return MF_EXIT_USAGE;
			}
			o->tokens_files[o->ntokens_files++] = optarg;
			break;
		case 'T':
			if (o->ntokens == 64) {
				cli_warn("too many --token values");
				return MF_EXIT_USAGE;
			}
			o->tokens[o->ntokens++] = optarg;
			break;
		case 'S':
			o->show_secrets = 1;
			break;
		case 'F':
			o->format = optarg;
			if (strcmp(optarg, "jsonl") != 0) {
				cli_warn("packets writes jsonl only");
				return MF_EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			help(stdout);
			return -1;
		default:
			help(stderr);
			return MF_EXIT_USAGE;
		}
	}
	o->inputs = argv + optind;
	o->ninputs = argc - optind;
	if (o->ninputs == 0) {
		cli_warn("packets: no capture given");
		help(stderr);
		return MF_EXIT_USAGE;
	}
	return 0;
}

static void capture_problem(struct mf_ctx *ctx, struct mf_cap *cap, struct mf_input *in,
                            int rc, const char *msg, int64_t ts)
{
	struct mf_event *ev = mf_event_new(ts, "pcap", NULL, "anomaly");

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

/* Decodes one capture; returns 1 when it was bad or incomplete. */
static int run_capture(struct mf_ctx *ctx, struct mf_input *in, int quiet)
{
	char eb[MF_ERRBUF_SIZE] = "";
	struct mf_cap *cap = NULL;
	struct mf_decoder *dec;
	struct mf_frame f;
	int64_t last = MF_TIME_NONE;
	uint64_t frames0 = ctx->st.frames, miio0 = ctx->st.miio_frames;
	uint64_t dec0 = ctx->st.miio_decrypted, an0 = ctx->st.anomalies;
	int rc, bad = 0;

	rc = mf_cap_open_file(ctx, in->path, in, &cap, eb);
	if (rc != 0) {
		cli_warn("%s: %s", in->path, eb[0] ? eb : mf_strerror(rc));
		return 1;
	}
	dec = mf_decoder_new(ctx);
	if (!dec) {
		mf_cap_close(cap);
		cli_warn("out of memory");
		return 1;
	}
	while ((rc = mf_cap_next(cap, &f, eb)) == 0) {
		last = f.ts_ns;
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

int cmd_packets(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct cli_opts o;
	struct cli_jsonl_sink sink;
	struct mf_ctx ctx;
	struct mf_input *ins;
	int i, rc, bad = 0;

	rc = parse(argc, argv, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	mf_ctx_init(&ctx);
	ctx.show_secrets = o.show_secrets;
	if (cli_load_tokens(&ctx, &o))
		bad = 1;
	cli_jsonl_init(&sink, stdout);
	ctx.emit = cli_jsonl_emit;
	ctx.emit_arg = &sink;
	ins = calloc((size_t)o.ninputs, sizeof(*ins));
	if (!ins) {
		cli_warn("out of memory");
		return MF_EXIT_INPUT;
	}
	for (i = 0; i < o.ninputs; i++) {
		const char *slash = strrchr(o.inputs[i], '/');

		ins[i].path = o.inputs[i];
		ins[i].name = slash ? slash + 1 : o.inputs[i];
		ins[i].source = "pcap";
		ins[i].index = i;
		bad |= run_capture(&ctx, &ins[i], o.quiet);
	}
	if (fflush(stdout) != 0 || sink.failed) {
		cli_warn("writing the output failed");
		bad = 1;
	}
	cli_jsonl_free(&sink);
	mf_tokens_free(ctx.tokens);
	free(ins);
	return bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
