/*
 * cli.h - what the sub-commands share: option parsing of the common
 * options (CONTRACT.md), the secrets store setup, the event sinks.
 * The CLI wires inputs to layers and sets exit codes; nothing else.
 */
#ifndef MF_CLI_H
#define MF_CLI_H

#include <stdio.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_frame.h"

/* Exit codes (CONTRACT.md). */
#define MF_EXIT_OK 0
#define MF_EXIT_INPUT 1
#define MF_EXIT_USAGE 2

struct cli_opts {
	const char *tokens_files[16];
	int ntokens_files;
	const char *tokens[64];
	int ntokens;
	const char *keylog_files[16];
	int nkeylogs;
	const char *ssecurity;
	const char *format;      /* jsonl (default), csv, tln */
	int format_given;        /* --format was on the command line */
	const char *tmpdir;      /* --tmpdir: parent of private database copies */
	const char *out_dir;     /* -o */
	const char *tz;          /* --tz */
	const char *lumi_password;
	int show_secrets;
	int quiet;
	char **inputs;
	int ninputs;
};

/* Sink writing one JSON line per event to a FILE. */
struct cli_jsonl_sink {
	FILE *out;
	struct mf_buf line;
	int failed;
};

void cli_jsonl_init(struct cli_jsonl_sink *s, FILE *out);
int cli_jsonl_emit(void *arg, struct mf_event *ev);
void cli_jsonl_free(struct cli_jsonl_sink *s);

/* Options a command accepts (cli_parse). */
enum {
	CLI_O_TOKENS = 1u << 0,  /* -t/--tokens, --token */
	CLI_O_SECRETS = 1u << 1, /* --show-secrets */
	CLI_O_FORMAT = 1u << 2,  /* --format */
	CLI_O_OUT = 1u << 3,     /* -o/--out */
	CLI_O_TZ = 1u << 4,      /* --tz */
	CLI_O_QUIET = 1u << 5,   /* -q */
	CLI_O_LUMI = 1u << 6,    /* --lumi-password */
	CLI_O_KEYLOG = 1u << 7,  /* -k/--keylog, --ssecurity */
	CLI_O_TMPDIR = 1u << 8   /* --tmpdir */
};

/* Parses argv (argv[0] is the command name).  formats: the --format values
 * allowed, comma separated.  need_inputs: at least one positional.  Returns
 * 0, -1 after --help (exit 0), or MF_EXIT_USAGE. */
int cli_parse(int argc, char **argv, unsigned allowed, const char *formats, int need_inputs,
              void (*help)(FILE *), struct cli_opts *o);

/* Loads --keylog files into ctx->keylog (created here) and --ssecurity.
 * Problems are printed to stderr; returns the number of problems. */
int cli_load_keylogs(struct mf_ctx *ctx, const struct cli_opts *o);

/* Loads --tokens files and --token values into ctx->tokens (created here).
 * Problems are printed to stderr; returns the number of problems. */
int cli_load_tokens(struct mf_ctx *ctx, const struct cli_opts *o);

/* Prints "miforensics: " + message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Decodes one capture into ctx (in: path/name/source/index filled; sha256
 * and size are set at the end).  Returns 0, or 1 when it was bad or
 * incomplete (reason on stderr and as an anomaly event).  When
 * captures_only is 0 and the file is not a capture at all, returns
 * MF_ERR_FORMAT (negative) and prints nothing: the caller tries its other
 * readers. */
int cli_run_capture(struct mf_ctx *ctx, struct mf_input *in, int quiet, int captures_only);

int cmd_packets(int argc, char **argv);
int cmd_phone(int argc, char **argv);
int cmd_tokens(int argc, char **argv);

/* `tokens` on a capture: emits one kind:"token" event per token found
 * (fields did, ip, model, device_name, token, found_in, evidence) through
 * ctx (ctx->show_secrets is set); returns 0, or MF_EXIT_INPUT when the
 * capture was bad.  cmd_tokens.c holds a weak placeholder. */
int cli_tokens_from_capture(const char *path, struct mf_ctx *ctx, const struct cli_opts *o);
int cmd_analyze(int argc, char **argv);

#endif
