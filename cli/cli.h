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
	/* live (CLI_O_LIVE) */
	const char *iface;        /* -i */
	const char *write_dir;    /* -w */
	const char *filter;       /* -f (NULL: the default filter) */
	const char *user;         /* -Z */
	const char *events_file;  /* --events */
	long long buffer_bytes;   /* -B, 0 = default */
	long long rotate_mb;      /* --rotate-mb, 0 = none */
	long long rotate_s;       /* --rotate-s, 0 = none */
	long long max_files;      /* --max-files, 0 = keep all */
	int snaplen;              /* -s, 0 = default */
	int no_promisc;           /* -p */
	int immediate;            /* --immediate */
	/* cloud (CLI_O_CLOUD); --user is shared with live's -Z/--user */
	const char *session;      /* --session FILE */
	const char *region;       /* --region R|all */
	const char *base_url;     /* --base-url URL (testing) */
	const char *ca_file;      /* --ca-file F (testing) */
	const char *since;        /* --since DATE */
	int password_stdin;       /* --password-stdin */
	int qr;                   /* --qr */
	int refresh;              /* --refresh */
	int resume;               /* --resume */
	long long delay_ms;       /* --delay-ms, -1 = default */
	long long retry_ms;       /* --retry-ms, -1 = default */
	long long retries;        /* --retries, -1 = default */
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
	CLI_O_TMPDIR = 1u << 8,  /* --tmpdir */
	CLI_O_LIVE = 1u << 9,    /* -i -w -f -s -B -Z -p --rotate-mb --rotate-s
	                          * --max-files --events --immediate */
	CLI_O_CLOUD = 1u << 10   /* --user --session --password-stdin --qr --refresh
	                          * --region --base-url --ca-file --resume --since
	                          * --delay-ms --retry-ms --retries */
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

/* pcap/pcapng magic, or gzip whose content starts with one (a .tar.gz
 * extraction is gzip too). */
int cli_is_capture(const char *path);

int cmd_packets(int argc, char **argv);
int cmd_phone(int argc, char **argv);
int cmd_tokens(int argc, char **argv);

/* `tokens` on a capture: emits one kind:"token" event per token found
 * (fields did, ip, model, device_name, token, found_in, evidence) through
 * ctx (ctx->show_secrets is set); returns 0, or MF_EXIT_INPUT when the
 * capture was bad.  cmd_tokens.c holds a weak placeholder. */
int cli_tokens_from_capture(const char *path, struct mf_ctx *ctx, const struct cli_opts *o);
int cmd_analyze(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_cloud(int argc, char **argv);

/* Inputs with every folder written by `live` (it holds a manifest.json in
 * the live format) replaced by its evidence files still on disk, in capture
 * order.  For those, source is "live" and sha256 the hash the manifest
 * recorded ("" while a file was still open); NULL for other inputs. */
struct cli_inputs {
	char **inputs;
	const char **source;
	char **sha256;
	unsigned *captures;      /* a folder: captures found in it (added as inputs) */
	int n;
	char **owned;            /* strings allocated here */
	int nowned;
};

/* A `live` folder stands for its evidence files; any other folder (but a
 * `cloud acquire` one) stays an input, and the captures found anywhere in
 * it (by content) are added after it as inputs of their own (a case folder
 * holding captures beside an extraction).
 * Returns 0, or the number of live folders whose manifest was unreadable
 * (reason on stderr; such a folder is passed on unchanged). */
int cli_expand_inputs(char **inputs, int n, struct cli_inputs *out);
void cli_inputs_free(struct cli_inputs *x);

/* SHA-256 (hex) and size of a file.  Returns 0, or -1 (not readable). */
int cli_sha256_file(const char *path, uint64_t *size, char hex[65]);
/* SHA-256 of a folder: of the listing sha256sum(1) prints for its regular
 * files (symbolic links not followed), sorted by path as bytes, i.e.
 *   cd DIR && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum
 * plus the total size and number of files.  Returns 0, or 1 when a file or
 * folder could not be read (the hash then covers what could). */
int cli_sha256_tree(const char *dir, uint64_t *size, uint64_t *files, char hex[65]);
/* The regular files under dir ("./a/b", sorted as bytes, links not
 * followed).  Returns 0, or 1 when something could not be read (the list
 * holds the rest).  Free with cli_tree_files_free. */
int cli_tree_files(const char *dir, char ***rel, size_t *n);
void cli_tree_files_free(char **rel, size_t n);

#endif
