/*
 * cmd_packets.c - `miforensics packets CAPTURE...`: one JSON line per
 * decoded application message, in capture order (a dissector listing).
 */
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
#include "mf_keylog.h"
#include "mf_tokens.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics packets [options] CAPTURE...\n\n"
	    "Decodes miIO, Lumi gateway LAN and Mi cloud HTTP(S) traffic in pcap/pcapng\n"
	    "captures (also .gz) and prints one JSON line per message (schema:\n"
	    "CONTRACT.md), TLS sessions and undecoded TCP data included. Undecodable\n"
	    "messages are listed as anomalies with their reason.\n\n"
	    "options:\n"
	    "  -t, --tokens FILE    device tokens: lines '<did-or-ip> <token>' or a JSON list\n"
	    "      --token TOKEN    a token to try on every device (repeatable)\n"
	    "  -k, --keylog FILE    TLS key log (SSLKEYLOGFILE); pcapng-embedded keys are used too\n"
	    "      --ssecurity B64  Mi cloud session secret, when the capture does not carry it\n"
	    "      --lumi-password P  the Lumi gateway LAN password (16 chars): checks write keys\n"
	    "      --show-secrets   print tokens and passwords instead of redacting them\n"
	    "      --format jsonl   output format (jsonl only for this command)\n"
	    "  -q, --quiet          no summary on stderr\n"
	    "  -h, --help           this text\n");
}

int cmd_packets(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct cli_opts o;
	struct cli_jsonl_sink sink;
	struct mf_ctx ctx;
	struct mf_input *ins;
	int i, rc, bad = 0;

	rc = cli_parse(argc, argv, CLI_O_TOKENS | CLI_O_SECRETS | CLI_O_FORMAT | CLI_O_QUIET |
	    CLI_O_LUMI | CLI_O_KEYLOG, "jsonl", 1, help, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	mf_ctx_init(&ctx);
	ctx.show_secrets = o.show_secrets;
	if (o.lumi_password)
		snprintf(ctx.lumi_password, sizeof(ctx.lumi_password), "%s", o.lumi_password);
	if (cli_load_tokens(&ctx, &o))
		bad = 1;
	if (cli_load_keylogs(&ctx, &o))
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
		bad |= cli_run_capture(&ctx, &ins[i], o.quiet, 1);
	}
	if (fflush(stdout) != 0 || sink.failed) {
		cli_warn("writing the output failed");
		bad = 1;
	}
	cli_jsonl_free(&sink);
	mf_tokens_free(ctx.tokens);
	mf_keylog_free(ctx.keylog);
	free(ins);
	return bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
