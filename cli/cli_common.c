/* cli_common.c - shared CLI helpers; see cli.h. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"
#include "mf_event.h"
#include "mf_keylog.h"
#include "mf_tokens.h"

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("miforensics: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_jsonl_init(struct cli_jsonl_sink *s, FILE *out)
{
	s->out = out;
	s->failed = 0;
	mf_buf_init(&s->line, 64u << 20);
}

int cli_jsonl_emit(void *arg, struct mf_event *ev)
{
	struct cli_jsonl_sink *s = arg;
	int rc;

	mf_buf_reset(&s->line);
	rc = mf_event_to_json(ev, &s->line);
	if (rc == 0)
		rc = mf_buf_addc(&s->line, '\n');
	if (rc == 0 && fwrite(s->line.data, 1, s->line.len, s->out) != s->line.len) {
		s->failed = 1;
		rc = MF_ERR_IO;
	}
	mf_event_free(ev);
	return rc;
}

void cli_jsonl_free(struct cli_jsonl_sink *s)
{
	mf_buf_free(&s->line);
}

int cli_load_tokens(struct mf_ctx *ctx, const struct cli_opts *o)
{
	char eb[MF_ERRBUF_SIZE];
	int i, problems = 0;

	ctx->tokens = mf_tokens_new();
	if (!ctx->tokens) {
		cli_warn("out of memory");
		return 1;
	}
	for (i = 0; i < o->ntokens_files; i++) {
		unsigned bad = 0;
		int rc;

		eb[0] = '\0';
		rc = mf_tokens_load_file(ctx->tokens, o->tokens_files[i], &bad, eb);
		if (rc != 0 || bad) {
			cli_warn("tokens: %s%s", eb[0] ? eb : o->tokens_files[i],
			    bad > 1 ? " (and more bad lines)" : "");
			problems++;
		}
	}
	for (i = 0; i < o->ntokens; i++) {
		uint8_t raw[16];
		int form;

		if (mf_token_parse(o->tokens[i], strlen(o->tokens[i]), raw, &form, eb) != 0 ||
		    mf_tokens_add(ctx->tokens, raw, NULL, "--token", form, eb) < 0) {
			cli_warn("--token: %s", eb);
			problems++;
		}
	}
	return problems;
}

static int format_ok(const char *formats, const char *f)
{
	size_t n = strlen(f);
	const char *p = formats;

	while ((p = strstr(p, f)) != NULL) {
		if ((p == formats || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

int cli_parse(int argc, char **argv, unsigned allowed, const char *formats, int need_inputs,
              void (*help)(FILE *), struct cli_opts *o)
{
	static const struct option lo[] = {
		{ "tokens", required_argument, NULL, 't' },
		{ "token", required_argument, NULL, 'T' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'o' },
		{ "tz", required_argument, NULL, 'Z' },
		{ "lumi-password", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "ssecurity", required_argument, NULL, 'Y' },
		{ "tmpdir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct { int c; unsigned bit; } need[] = {
		{ 't', CLI_O_TOKENS }, { 'T', CLI_O_TOKENS }, { 'S', CLI_O_SECRETS },
		{ 'F', CLI_O_FORMAT }, { 'o', CLI_O_OUT }, { 'Z', CLI_O_TZ }, { 'q', CLI_O_QUIET },
		{ 'L', CLI_O_LUMI }, { 'k', CLI_O_KEYLOG }, { 'Y', CLI_O_KEYLOG },
		{ 'D', CLI_O_TMPDIR },
	};
	int c;
	size_t i;

	memset(o, 0, sizeof(*o));
	{
		/* the default format is the first one listed */
		static char first[16];
		size_t n = strcspn(formats, ",");

		snprintf(first, sizeof(first), "%.*s", (int)(n < 15 ? n : 15), formats);
		o->format = first;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:k:qh", lo, NULL)) != -1) {
		for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
			if (need[i].c == c && !(allowed & need[i].bit)) {
				cli_warn("%s: option not accepted by this command", argv[0]);
				help(stderr);
				return MF_EXIT_USAGE;
			}
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
			if (!format_ok(formats, optarg)) {
				cli_warn("%s: --format takes %s", argv[0], formats);
				return MF_EXIT_USAGE;
			}
			o->format = optarg;
			o->format_given = 1;
			break;
		case 'D':
			o->tmpdir = optarg;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'Z':
			o->tz = optarg;
			break;
		case 'L':
			if (strlen(optarg) != 16) {
				cli_warn("--lumi-password: the gateway LAN password has 16 characters");
				return MF_EXIT_USAGE;
			}
			o->lumi_password = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'k':
			if (o->nkeylogs == 16) {
				cli_warn("too many --keylog files");
				return MF_EXIT_USAGE;
			}
			o->keylog_files[o->nkeylogs++] = optarg;
			break;
		case 'Y':
			o->ssecurity = optarg;
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
	if (need_inputs && o->ninputs == 0) {
		cli_warn("%s: no input given", argv[0]);
		help(stderr);
		return MF_EXIT_USAGE;
	}
	return 0;
}

int cli_load_keylogs(struct mf_ctx *ctx, const struct cli_opts *o)
{
	char eb[MF_ERRBUF_SIZE];
	int i, problems = 0;

	ctx->keylog = mf_keylog_new();
	if (!ctx->keylog) {
		cli_warn("out of memory");
		return 1;
	}
	for (i = 0; i < o->nkeylogs; i++) {
		unsigned bad = 0;
		int rc;

		eb[0] = '\0';
		rc = mf_keylog_load_file(ctx->keylog, o->keylog_files[i], &bad, eb);
		if (rc < 0 || bad) {
			cli_warn("keylog: %s%s", rc < 0 && eb[0] ? eb : o->keylog_files[i],
			    bad ? ": some lines are not key log lines" : "");
			problems++;
		}
	}
	if (o->ssecurity) {
		if (strlen(o->ssecurity) >= sizeof(ctx->ssecurity)) {
			cli_warn("--ssecurity: too long");
			problems++;
		} else {
			snprintf(ctx->ssecurity, sizeof(ctx->ssecurity), "%s", o->ssecurity);
		}
	}
	return problems;
}
