/* cli_common.c - shared CLI helpers; see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"
#include "mf_event.h"
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
