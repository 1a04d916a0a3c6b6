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

/* Exit codes (CONTRACT.md). */
#define MF_EXIT_OK 0
#define MF_EXIT_INPUT 1
#define MF_EXIT_USAGE 2

struct cli_opts {
	const char *tokens_files[16];
	int ntokens_files;
	const char *tokens[64];
	int ntokens;
	const char *format;      /* jsonl (default), csv, tln */
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

/* Loads --tokens files and --token values into ctx->tokens (created here).
 * Problems are printed to stderr; returns the number of problems. */
int cli_load_tokens(struct mf_ctx *ctx, const struct cli_opts *o);

/* Prints "miforensics: " + message to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_packets(int argc, char **argv);

#endif
