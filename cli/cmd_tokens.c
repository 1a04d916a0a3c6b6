/*
 * cmd_tokens.c - `miforensics tokens PATH...`: every device token found,
 * with where it was found, as lines of the --tokens file format
 * ("<did-or-ip> <token>  # model name source") or JSON lines.
 *
 * Inputs are dispatched by content: captures (pcap, pcapng, gzip of
 * either) go to cli_tokens_from_capture(); everything else is read as a
 * phone extraction.  Tokens are printed in clear: that is what the command
 * is for (its --help says so).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "cli.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_phone.h"
#include "mf_keylog.h"
#include "mf_tokens.h"
#ifdef HAVE_MF_CLOUD
#include "mf_cloud_input.h"
#endif

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics tokens [options] PATH...\n\n"
	    "Lists every device token found in phone extractions (the same inputs as\n"
	    "`miforensics phone`: Mi Home miio2.db devicerecord, Yeelight miot.xml, iOS\n"
	    "ZDEVICE) and captures, with where each was found.\n\n"
	    "THE TOKENS ARE PRINTED IN CLEAR: they are what this command is for. Keep the\n"
	    "output as carefully as the evidence.\n\n"
	    "The default output is a tokens file for --tokens:\n"
	    "    <did-or-ip> <token>  # model \"name\" source\n"
	    "(a token whose device has neither a numeric did nor an IP is written alone,\n"
	    "to be tried on every device).\n\n"
	    "options:\n"
	    "      --format tokens|jsonl  the tokens file (default) or one JSON line per token\n"
	    "      --tmpdir DIR     where the private database copies go (default $TMPDIR)\n"
	    "  -k, --keylog FILE    TLS key log: cloud device lists in captured HTTPS hold tokens\n"
	    "      --ssecurity B64  Mi cloud session secret, when the capture does not carry it\n"
	    "  -q, --quiet          no per-input line on stderr\n"
	    "  -h, --help           this text\n");
}

/* Placeholder until the capture side provides it: the lead replaces this
 * weak definition with a real one in another file. */
__attribute__((weak)) int cli_tokens_from_capture(const char *path, struct mf_ctx *ctx,
                                                  const struct cli_opts *o)
{
	(void)ctx;
	(void)o;
	cli_warn("%s: captures: not yet supported by `tokens`", path);
	return MF_EXIT_INPUT;
}


struct tok_sink {
	FILE *out;
	int jsonl;
	struct cli_jsonl_sink js;
	size_t count;
	int failed;
};

static const char *bs(const struct mf_event *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev->body, key);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static int numeric(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Names can hold anything: keep the comment on one line. */
static void put_clean(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((*s == '\n' || *s == '\r' || *s == '"') ? ' ' : *s, f);
}

static int tok_emit(void *arg, struct mf_event *ev)
{
	struct tok_sink *s = arg;
	const char *tok, *did, *ip, *sel;
	const cJSON *e, *file;

	if (strcmp(ev->kind, "token") != 0) {
		mf_event_free(ev);
		return 0;
	}
	s->count++;
	if (s->jsonl)
		return cli_jsonl_emit(&s->js, ev);
	tok = bs(ev, "token_hex") ? bs(ev, "token_hex") : bs(ev, "token");
	did = bs(ev, "did");
	ip = bs(ev, "ip");
	sel = numeric(did) ? did : ip;
	/* a BLE beacon key (cloud) is no miIO token: listed as a comment */
	if (bs(ev, "token_form") && strcmp(bs(ev, "token_form"), "ble_beaconkey") == 0) {
		fputs("# BLE beacon key: ", s->out);
		sel = NULL;
	}
	e = cJSON_GetObjectItemCaseSensitive(ev->body, "evidence");
	file = cJSON_GetObjectItemCaseSensitive(e, "file");
	if (sel)
		fprintf(s->out, "%s %s  #", sel, tok ? tok : "");
	else
		fprintf(s->out, "%s  #", tok ? tok : "");
	if (did && did != sel)
		fprintf(s->out, " did %s", did);
	fprintf(s->out, " %s \"", bs(ev, "model") ? bs(ev, "model") : "-");
	put_clean(s->out, bs(ev, "device_name"));
	fprintf(s->out, "\" %s", bs(ev, "found_in") ? bs(ev, "found_in") : "");
	if (cJSON_IsString(file)) {
		fputs(" (", s->out);
		put_clean(s->out, file->valuestring);
		fputc(')', s->out);
	}
	if (bs(ev, "token_form") && strcmp(bs(ev, "token_form"), "invalid") == 0)
		fputs(" INVALID TOKEN", s->out);
	fputc('\n', s->out);
	if (ferror(s->out))
		s->failed = 1;
	mf_event_free(ev);
	return 0;
}

static void problem_line(void *arg, const char *msg)
{
	cli_warn("%s: %s", (const char *)arg, msg);
}

int cmd_tokens(int argc, char **argv)
{
	struct cli_opts o;
	struct tok_sink ts;
	struct mf_phone_opts po;
	struct mf_ctx ctx;
	const char *tmpdir;
	int rc0, i, bad = 0;

	memset(&ts, 0, sizeof(ts));
	rc0 = cli_parse(argc, argv, CLI_O_FORMAT | CLI_O_TMPDIR | CLI_O_QUIET | CLI_O_KEYLOG,
	    "tokens,jsonl", 1, help, &o);
	if (rc0)
		return rc0 < 0 ? MF_EXIT_OK : rc0;
	ts.jsonl = strcmp(o.format, "jsonl") == 0;
	tmpdir = o.tmpdir;
	o.show_secrets = 1;
	setenv("TZ", "UTC0", 1);
	mf_ctx_init(&ctx);
	ctx.show_secrets = 1;
	ctx.tokens = mf_tokens_new();
	/* TLS secrets (--keylog, and the ones a pcapng carries) open the cloud
	 * traffic whose device lists hold tokens */
	if (cli_load_keylogs(&ctx, &o))
		bad = 1;
	ts.out = stdout;
	if (ts.jsonl)
		cli_jsonl_init(&ts.js, stdout);
	ctx.emit = tok_emit;
	ctx.emit_arg = &ts;
	mf_phone_opts_default(&po);
	po.tmpdir = tmpdir;
	if (!ts.jsonl)
		printf("# miforensics tokens: device tokens IN CLEAR, format "
		    "'<did-or-ip> <token>  # model \"name\" source'\n");
	for (i = 0; i < o.ninputs; i++) {
		struct mf_phone_summary sum;
		char eb[MF_ERRBUF_SIZE] = "";
		size_t before = ts.count;
		int rc;

#ifdef HAVE_MF_CLOUD
		if (mf_cloud_input_is(o.inputs[i])) {
			struct mf_cloud_input_summary cs;

			rc = mf_cloud_input_scan(&ctx, o.inputs[i], NULL, problem_line, o.inputs[i],
			    &cs, eb);
			if (rc || cs.integrity || strcmp(cs.status, "complete") != 0) {
				if (rc)
					cli_warn("%s: %s", o.inputs[i], eb[0] ? eb : mf_strerror(rc));
				bad = 1;
			}
			if (!o.quiet && rc == 0)
				fprintf(stderr, "%s: %zu token(s) from a cloud acquisition (%s)\n",
				    o.inputs[i], ts.count - before, cs.status);
			continue;
		}
#endif
		if (cli_is_capture(o.inputs[i])) {
			if (cli_tokens_from_capture(o.inputs[i], &ctx, &o) != 0)
				bad = 1;
			continue;
		}
		rc = mf_phone_scan(&ctx, o.inputs[i], &po, problem_line, o.inputs[i], &sum, eb);
		if (rc) {
			cli_warn("%s: %s", o.inputs[i], eb[0] ? eb : mf_strerror(rc));
			bad = 1;
			continue;
		}
		if (sum.problems)
			bad = 1;
		if (!o.quiet)
			fprintf(stderr, "%s: %zu token(s), %u problem(s)\n", o.inputs[i],
			    ts.count - before, sum.problems);
	}
	if (fflush(stdout) != 0 || ts.failed || (ts.jsonl && ts.js.failed)) {
		cli_warn("writing the output failed");
		bad = 1;
	}
	if (ts.jsonl)
		cli_jsonl_free(&ts.js);
	mf_tokens_free(ctx.tokens);
	mf_keylog_free(ctx.keylog);
	return bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
