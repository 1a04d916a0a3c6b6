/*
 * cmd_analyze.c - `miforensics analyze INPUT... [-o DIR]`: every input
 * decoded (captures, phone extractions), events merged into one store,
 * the device registry built, phone logs correlated with traffic, and the
 * report folder written (or the timeline streamed to stdout).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "mf_codec.h"
#include "mf_correlate.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_registry.h"
#include "mf_report.h"
#include "mf_store.h"
#include "mf_keylog.h"
#include "mf_time.h"
#include "mf_tokens.h"
#ifdef HAVE_MF_PARSERS
#include "mf_phone.h"
#endif
#ifdef HAVE_MF_CLOUD
#include "mf_cloud_input.h"
#endif

#define CORR_TOLERANCE_S 3.0

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics analyze [options] INPUT...\n\n"
	    "Decodes every input - captures (pcap/pcapng, also .gz) and Mi Home phone\n"
	    "extractions (folder, .tar, .tar.gz, .zip, adb backup, also nested in one\n"
	    "another), and folders written by `cloud acquire` (read first: their device\n"
	    "tokens decrypt the captures) - merges\n"
	    "the events into one timeline, cross-validates the phone's device logs against\n"
	    "the traffic and\n"
	    "writes the report folder (events.jsonl, timeline.csv, report.html, case.json).\n"
	    "Inputs are recognised by content; the captures inside a folder given as an\n"
	    "input are read too. The report does not depend on the order of the inputs;\n"
	    "one named twice is read once.\n\n"
	    "options:\n"
	    "  -o, --out DIR        write the report folder (created if missing; refused when\n"
	    "                       it holds a report, or is inside an input folder)\n"
	    "      --format F       without -o: jsonl (default), csv or tln to stdout\n"
	    "  -t, --tokens FILE    device tokens: lines '<did-or-ip> <token>' or a JSON list\n"
	    "      --token TOKEN    a token to try on every device (repeatable)\n"
	    "  -k, --keylog FILE    TLS key log (SSLKEYLOGFILE); pcapng-embedded keys are used too\n"
	    "      --ssecurity B64  Mi cloud session secret, when the capture does not carry it\n"
	    "      --lumi-password P  the Lumi gateway LAN password: checks write keys\n"
	    "      --tz ZONE        zone for local times in report.html (data stay UTC)\n"
	    "      --show-secrets   do not redact tokens and passwords\n"
	    "  -q, --quiet          no progress or summary on stderr\n"
	    "  -h, --help           this text\n");
}

#ifdef HAVE_MF_PARSERS
static void phone_problem(void *arg, const char *msg)
{
	const char *path = arg;

	cli_warn("%s: %s", path, msg);
}
#endif

#ifdef HAVE_MF_CLOUD
static void cloud_problem(void *arg, const char *msg)
{
	(void)arg;
	cli_warn("%s", msg);
}

/* A folder written by `cloud acquire`.  Returns 0 or 1 (unfinished, or
 * stored files missing / altered). */
static int run_cloud(struct mf_ctx *ctx, struct mf_input *in, struct mf_report_input *ri,
                     int quiet, cJSON *warnings)
{
	struct mf_cloud_input_summary sum;
	char eb[MF_ERRBUF_SIZE] = "", w[600];
	int rc;

	ri->type = "cloud-acquisition";
	rc = mf_cloud_input_scan(ctx, in->path, in->name, cloud_problem, NULL, &sum, eb);
	ri->size = sum.size;
	memcpy(ri->sha256, sum.sha256, sizeof(ri->sha256));
	if (rc) {
		cli_warn("%s: %s", in->path, eb[0] ? eb : mf_strerror(rc));
		ri->status = 1;
		return 1;
	}
	if (strcmp(sum.status, "complete") != 0 || sum.integrity) {
		snprintf(w, sizeof(w), "%s: cloud acquisition %s%s", in->name, sum.status,
		    sum.integrity ? ", with stored files missing or altered" : "");
		cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
		ri->status = 1;
	}
	if (!quiet)
		fprintf(stderr, "%s: cloud acquisition (%s), %lu requests, %lu replies, %lu records, "
		    "%lu problem(s)\n", in->path, sum.status, sum.entries, sum.replies, sum.records,
		    sum.problems);
	return ri->status;
}
#endif

/* Token sources first: the device tokens of a cloud acquisition or a phone
 * extraction must be in ctx->tokens before the captures are decoded.
 * Returns the order (caller frees) or NULL. */
static int *input_order(char **inputs, int n)
{
	int *ord = malloc(((size_t)n + 1) * sizeof(*ord)), i, k = 0, pass;
	char *first = calloc((size_t)n + 1, 1);

	if (!ord || !first) {
		free(ord);
		free(first);
		return NULL;
	}
	/* each input classified once: a pipe (/dev/stdin) cannot be read twice,
	 * so anything that is neither a file nor a folder goes with the captures
	 * (its reader then sees it from its first byte) */
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(inputs[i], &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
#ifdef HAVE_MF_CLOUD
		first[i] = mf_cloud_input_is(inputs[i]) || !cli_is_capture(inputs[i]);
#else
		first[i] = !cli_is_capture(inputs[i]);
#endif
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (first[i] == (pass == 0))
				ord[k++] = i;
	free(first);
	return ord;
}

/* Inputs are read in the order of their paths (byte order; token sources
 * still first, see input_order), whatever order they were named in: the
 * report then depends only on the inputs.  Stable, so a live folder's files
 * keep their order. */
static void sort_inputs(struct cli_inputs *x)
{
	int i, j;

	for (i = 1; i < x->n; i++) {
		char *in = x->inputs[i], *h = x->sha256[i];
		const char *src = x->source[i];
		unsigned c = x->captures[i];

		for (j = i; j > 0 && strcmp(x->inputs[j - 1], in) > 0; j--) {
			x->inputs[j] = x->inputs[j - 1];
			x->source[j] = x->source[j - 1];
			x->sha256[j] = x->sha256[j - 1];
			x->captures[j] = x->captures[j - 1];
		}
		x->inputs[j] = in;
		x->source[j] = src;
		x->sha256[j] = h;
		x->captures[j] = c;
	}
}

/* An input named twice (the same path, a link to it, or a copy with the
 * same content) is analysed once: its events would otherwise be doubled
 * and the phone's logs matched against themselves.  Marks the later ones
 * (duplicate_of) and says so in the warnings.  Same size: compared by
 * SHA-256 (computed here, kept in ris). */
static void find_duplicates(char **inputs, int n, struct mf_report_input *ris, cJSON *warnings)
{
	struct stat *st = calloc((size_t)n + 1, sizeof(*st));
	char *ok = calloc((size_t)n + 1, 1);
	int i, j;

	if (!st || !ok)
		goto out;
	for (i = 0; i < n; i++)
		ok[i] = stat(inputs[i], &st[i]) == 0;
	for (i = 0; i < n; i++) {
		const char *how = NULL;

		for (j = 0; ok[i] && j < i && !how; j++) {
			if (!ok[j] || ris[j].duplicate_of)
				continue;
			if (st[i].st_dev == st[j].st_dev && st[i].st_ino == st[j].st_ino) {
				how = "the same file";
			} else if (S_ISREG(st[i].st_mode) && S_ISREG(st[j].st_mode) &&
			    st[i].st_size == st[j].st_size) {
				if (!ris[j].sha256[0])
					cli_sha256_file(inputs[j], &ris[j].size, ris[j].sha256);
				if (!ris[i].sha256[0])
					cli_sha256_file(inputs[i], &ris[i].size, ris[i].sha256);
				if (ris[i].sha256[0] && !strcmp(ris[i].sha256, ris[j].sha256))
					how = "the same content (SHA-256)";
			}
			if (how) {
				char w[700];

				ris[i].duplicate_of = inputs[j];
				snprintf(w, sizeof(w), "%s: %s as %s, analysed once", inputs[i], how,
				    inputs[j]);
				cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			}
		}
	}
out:
	free(st);
	free(ok);
}

/* Evidence names an input by its file name; two inputs with the same name
 * in different folders are named by their path instead. */
static const char *input_name(char **inputs, int n, int i, const struct mf_report_input *ris)
{
	const char *slash = strrchr(inputs[i], '/'), *name;
	int j;

	name = slash && slash[1] ? slash + 1 : inputs[i];
	for (j = 0; j < n; j++) {
		const char *s2 = strrchr(inputs[j], '/'), *n2;

		if (j == i || ris[j].duplicate_of)
			continue;
		n2 = s2 && s2[1] ? s2 + 1 : inputs[j];
		if (!strcmp(name, n2))
			return inputs[i];
	}
	return name;
}

/* An input that could not be read at all is an event too (nothing is
 * dropped silently): source "input", kind anomaly, no time. */
static void input_anomaly(struct mf_ctx *ctx, const struct mf_report_input *ri,
                          const char *reason, const char *detail)
{
	struct mf_event *ev = mf_event_new(MF_TIME_NONE, "input", NULL, "anomaly");
	cJSON *e;

	if (!ev)
		return;
	ev->artifact = "input";
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "detail", detail);
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "file", ri->name ? ri->name : ri->path);
	cJSON_AddStringToObject(e, "path", ri->path);
	if (ri->sha256[0])
		cJSON_AddStringToObject(e, "sha256", ri->sha256);
	mf_event_add(ev, "evidence", e);
	mf_emit(ctx, ev);
}

/* One input: a capture, else a phone extraction.  Returns 0 or 1 (bad). */
static int run_input(struct mf_ctx *ctx, struct mf_input *in, struct mf_report_input *ri,
                     int quiet, cJSON *warnings, unsigned captures_in)
{
	struct stat st;
	int rc;

	ri->path = in->path;
	ri->name = in->name;
	if (stat(in->path, &st) != 0) {
		int e = errno;

		cli_warn("%s: %s", in->path, strerror(e));
		ri->type = "missing";
		ri->status = 1;
		input_anomaly(ctx, ri, "input_unreadable", strerror(e));
		return 1;
	}
#ifdef HAVE_MF_CLOUD
	if (S_ISDIR(st.st_mode) && mf_cloud_input_is(in->path))
		return run_cloud(ctx, in, ri, quiet, warnings);
#endif
	if (!S_ISDIR(st.st_mode)) {
		/* a file, or a pipe / device (read once, as a capture) */
		rc = cli_run_capture(ctx, in, quiet, 0);
		if (rc >= 0) {
			ri->type = "capture";
			ri->size = in->size;
			memcpy(ri->sha256, in->sha256, sizeof(ri->sha256));
			ri->status = rc;
			return rc;
		}
		if (!S_ISREG(st.st_mode)) {
			/* its first bytes are gone: nothing else can read it */
			cli_warn("%s: not a capture (a pipe or device is read as a capture only; "
			    "give an extraction as a file or folder)", in->path);
			ri->type = "unrecognised";
			ri->status = 1;
			input_anomaly(ctx, ri, "input_unrecognised",
			    "a pipe or device that holds no capture");
			return 1;
		}
	}
#ifdef HAVE_MF_PARSERS
	{
		struct mf_phone_opts po;
		struct mf_phone_summary sum;
		char eb[MF_ERRBUF_SIZE] = "";

		mf_phone_opts_default(&po);
		po.name = in->name;
		/* a case folder of captures: they are inputs of their own */
		po.no_app_ok = captures_in > 0;
		memset(&sum, 0, sizeof(sum));
		ri->type = S_ISDIR(st.st_mode) ? "phone-folder" : "phone-archive";
		if (S_ISREG(st.st_mode) && !ri->sha256[0])
			cli_sha256_file(in->path, &ri->size, ri->sha256);
		else if (S_ISDIR(st.st_mode) &&
		    cli_sha256_tree(in->path, &ri->size, &ri->files, ri->sha256) != 0)
			cli_warn("%s: some files in the folder could not be read for its SHA-256",
			    in->path);
		rc = mf_phone_scan(ctx, in->path, &po, phone_problem, (void *)in->path, &sum, eb);
		if (rc != 0) {
			cli_warn("%s: %s", in->path, eb[0] ? eb : "not a capture or a phone extraction");
			ri->type = "unrecognised";
			ri->status = 1;
			input_anomaly(ctx, ri, "input_unrecognised",
			    "not a capture, a phone extraction or a cloud acquisition");
			return 1;
		}
		if (sum.problems) {
			char w[512];

			snprintf(w, sizeof(w), "%s: %u problem(s) while reading the phone extraction",
			    in->name, sum.problems);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			ri->status = 1;
		}
		if (S_ISDIR(st.st_mode) && sum.roots == 0 && captures_in)
			ri->type = "folder";
		if (!quiet)
			fprintf(stderr, "%s: %s, %u app folder(s), %u files, %" PRIu64
			    " events%s\n", in->path, sum.roots || !captures_in ? "phone extraction"
			    : "folder", sum.roots, sum.files, sum.events,
			    captures_in ? "; its captures are read as inputs of their own" : "");
		return ri->status;
	}
#else
	(void)warnings;
	cli_warn("%s: not a capture (phone extractions are not supported in this build)",
	    in->path);
	ri->type = "unrecognised";
	ri->status = 1;
	input_anomaly(ctx, ri, "input_unrecognised", "not a capture");
	return 1;
#endif
}

static int write_file(const char *dir, const char *name, const struct mf_report *r,
                      int (*fn)(const struct mf_report *, FILE *))
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wx");   /* never overwrite */
	if (!f) {
		cli_warn("%s: %s", path, strerror(errno));
		return 1;
	}
	rc = fn(r, f);
	if (fclose(f) != 0 || rc != 0) {
		cli_warn("%s: writing failed", path);
		return 1;
	}
	return 0;
}

static int make_out_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		static const char *names[] = { "events.jsonl", "timeline.csv", "report.html",
		                               "case.json", NULL };
		char p[4096];
		size_t i;

		for (i = 0; names[i]; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			if (access(p, F_OK) == 0) {
				cli_warn("%s: a report is already there; choose another folder", dir);
				return -1;
			}
		}
		return 0;
	}
	cli_warn("%s: %s", dir, strerror(errno));
	return -1;
}

/* The report folder must not be (in) an input folder: evidence is never
 * written to.  Returns 0 or -1 (said on stderr). */
static int out_outside_inputs(const char *dir, char **inputs, int n)
{
	char out[PATH_MAX], tmp[PATH_MAX], in[PATH_MAX], *sl;
	const char *name, *parent;
	size_t l;
	int i;

	if (!realpath(dir, out)) {
		/* not there yet: its parent resolved, plus its own name */
		snprintf(tmp, sizeof(tmp), "%s", dir);
		l = strlen(tmp);
		while (l > 1 && tmp[l - 1] == '/')
			tmp[--l] = '\0';
		sl = strrchr(tmp, '/');
		if (!sl) {
			parent = ".";
			name = tmp;
		} else if (sl == tmp) {
			parent = "/";
			name = sl + 1;
		} else {
			*sl = '\0';
			parent = tmp;
			name = sl + 1;
		}
		if (!realpath(parent, in))
			return 0;       /* mkdir will say why */
		if ((size_t)snprintf(out, sizeof(out), "%s/%s", strcmp(in, "/") ? in : "", name) >=
		    sizeof(out))
			return 0;
	}
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(inputs[i], &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(inputs[i], in))
			continue;
		l = strlen(in);
		if (!strncmp(out, in, l) && (out[l] == '\0' || out[l] == '/' || l == 1)) {
			cli_warn("%s: the report folder would be inside the input %s; evidence is "
			    "never written to", dir, inputs[i]);
			return -1;
		}
	}
	return 0;
}

static cJSON *options_json(const struct cli_opts *o)
{
	cJSON *j = cJSON_CreateObject(), *a = cJSON_CreateArray();
	int i;

	for (i = 0; i < o->ntokens_files; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(o->tokens_files[i]));
	cJSON_AddItemToObject(j, "tokens_files", a);
	cJSON_AddNumberToObject(j, "tokens_given", o->ntokens);
	cJSON_AddBoolToObject(j, "lumi_password_given", o->lumi_password != NULL);
	cJSON_AddBoolToObject(j, "ssecurity_given", o->ssecurity != NULL);
	a = cJSON_CreateArray();
	for (i = 0; i < o->nkeylogs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(o->keylog_files[i]));
	cJSON_AddItemToObject(j, "keylog_files", a);
	cJSON_AddBoolToObject(j, "show_secrets", o->show_secrets);
	if (o->tz)
		cJSON_AddStringToObject(j, "tz", o->tz);
	cJSON_AddNumberToObject(j, "correlation_tolerance_s", CORR_TOLERANCE_S);
	return j;
}

int cmd_analyze(int argc, char **argv)
{
	struct cli_opts o;
	struct mf_ctx ctx;
	struct mf_store *st;
	struct mf_registry *reg = NULL;
	struct mf_corr corr;
	struct mf_report rep;
	struct mf_input *ins;
	struct mf_report_input *ris;
	cJSON *warnings, *opts;
	struct cli_inputs xin;
	int i, j, rc, bad = 0, *order;
	size_t k;

	rc = cli_parse(argc, argv, CLI_O_TOKENS | CLI_O_SECRETS | CLI_O_FORMAT | CLI_O_OUT |
	    CLI_O_TZ | CLI_O_QUIET | CLI_O_LUMI | CLI_O_KEYLOG, "jsonl,csv,tln", 1, help, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	if (o.out_dir && (out_outside_inputs(o.out_dir, o.inputs, o.ninputs) != 0 ||
	    make_out_dir(o.out_dir) != 0))
		return MF_EXIT_USAGE;
	/* "case/app/" is the folder "case/app": the same name in evidence */
	for (i = 0; i < o.ninputs; i++) {
		size_t l = strlen(o.inputs[i]);

		while (l > 1 && o.inputs[i][l - 1] == '/')
			o.inputs[i][--l] = '\0';
	}
	/* a `live` evidence folder stands for its files, in capture order */
	if (cli_expand_inputs(o.inputs, o.ninputs, &xin))
		bad = 1;
	sort_inputs(&xin);
	o.inputs = xin.inputs;
	o.ninputs = xin.n;
	if (o.tz) {
		setenv("TZ", o.tz, 1);
		tzset();
	}
	mf_ctx_init(&ctx);
	ctx.show_secrets = o.show_secrets;
	if (o.lumi_password)
		snprintf(ctx.lumi_password, sizeof(ctx.lumi_password), "%s", o.lumi_password);
	warnings = cJSON_CreateArray();
	if (cli_load_tokens(&ctx, &o)) {
		cJSON_AddItemToArray(warnings, cJSON_CreateString("the tokens file had problems"));
		bad = 1;
	}
	if (cli_load_keylogs(&ctx, &o)) {
		cJSON_AddItemToArray(warnings, cJSON_CreateString("the key log had problems"));
		bad = 1;
	}
	st = mf_store_new();
	ins = calloc((size_t)o.ninputs + 1, sizeof(*ins));
	ris = calloc((size_t)o.ninputs + 1, sizeof(*ris));
	if (!st || !ins || !ris) {
		cli_warn("out of memory or no temporary file");
		return MF_EXIT_INPUT;
	}
	ctx.emit = mf_store_emit;
	ctx.emit_arg = st;
	find_duplicates(o.inputs, o.ninputs, ris, warnings);
	order = input_order(o.inputs, o.ninputs);
	for (j = 0; order && j < o.ninputs; j++) {
		i = order[j];
		ins[i].path = o.inputs[i];
		ins[i].name = input_name(o.inputs, o.ninputs, i, ris);
		ins[i].source = xin.source[i] ? xin.source[i] : "pcap";
		ins[i].index = i;
		if (ris[i].duplicate_of) {
			ris[i].path = ins[i].path;
			ris[i].name = ins[i].name;
			continue;
		}
		mf_store_set_input(st, (unsigned)i + 1);
		/* a live folder's files are decoded as live decoded them */
		ctx.lim.held_wait_ns = strcmp(ins[i].source, "live") == 0 ? MF_LIVE_HELD_WAIT_NS : 0;
		if (run_input(&ctx, &ins[i], &ris[i], o.quiet, warnings, xin.captures[i])) {
			char w[600];

			snprintf(w, sizeof(w), "%s: bad or incomplete input", ins[i].path);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			bad = 1;
		}
		if (xin.sha256[i] && xin.sha256[i][0] && ris[i].sha256[0] &&
		    strcmp(ris[i].sha256, xin.sha256[i]) != 0) {
			char w[600];

			snprintf(w, sizeof(w), "%s: SHA-256 differs from the live manifest (the file "
			    "changed after it was captured)", ins[i].path);
			cli_warn("%s", w);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			bad = 1;
		}
	}
	/* a duplicate is described as the input it repeats */
	for (i = 0; i < o.ninputs; i++)
		for (j = 0; ris[i].duplicate_of && j < o.ninputs; j++)
			if (!ris[j].duplicate_of && ris[j].path == ris[i].duplicate_of) {
				ris[i].type = ris[j].type;
				ris[i].files = ris[j].files;
				if (!ris[i].sha256[0]) {
					ris[i].size = ris[j].size;
					memcpy(ris[i].sha256, ris[j].sha256, sizeof(ris[i].sha256));
				}
			}
	mf_store_sort(st);
	reg = mf_registry_build(st);
	if (reg)
		mf_registry_canonicalize(reg, st);
	memset(&corr, 0, sizeof(corr));
	if (mf_correlate(st, CORR_TOLERANCE_S, &corr) != 0)
		cli_warn("correlation ran out of memory");
	for (k = 0; k < corr.ndev; k++) {
		/* a whole number of half hours between a device's phone log and the
		 * traffic: the log keeps local time (phone-artifacts.md section 4) */
		if (corr.dev[k].has_offset && (corr.dev[k].offset_s > 1700 ||
		    corr.dev[k].offset_s < -1700)) {
			double off = corr.dev[k].offset_s;
			long half = lround(off / 1800.0);

			if (fabs(off - half * 1800.0) <= 120.0) {
				char w[320];
				long zone = -half * 30;    /* phone = traffic - offset */

				snprintf(w, sizeof(w), "device %s: its phone log is %.1f s off the "
				    "traffic, a whole number of half hours: the log keeps local time "
				    "(UTC%+ld:%02ld); its times are reported as stored, not corrected",
				    mf_store_str(st, corr.dev[k].did), -off, zone / 60,
				    labs(zone % 60));
				cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
			}
		}
		if (corr.dev[k].only_phone_in_capture) {
			char w[256];

			snprintf(w, sizeof(w), "device %s: %" PRIu64 " phone log event(s) while the "
			    "capture was running have no traffic counterpart (capture gap or "
			    "altered log)", mf_store_str(st, corr.dev[k].did),
			    corr.dev[k].only_phone_in_capture);
			cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
		}
	}
	opts = options_json(&o);
	memset(&rep, 0, sizeof(rep));
	rep.st = st;
	rep.reg = reg;
	rep.corr = &corr;
	rep.inputs = ris;
	rep.ninputs = (size_t)o.ninputs;
	rep.options = opts;
	rep.warnings = warnings;
	rep.tz_name = o.tz;
	if (o.out_dir) {
		bad |= write_file(o.out_dir, "events.jsonl", &rep, mf_report_jsonl);
		bad |= write_file(o.out_dir, "timeline.csv", &rep, mf_report_csv);
		bad |= write_file(o.out_dir, "report.html", &rep, mf_report_html);
		bad |= write_file(o.out_dir, "case.json", &rep, mf_report_case);
	} else {
		if (!strcmp(o.format, "csv"))
			rc = mf_report_csv(&rep, stdout);
		else if (!strcmp(o.format, "tln"))
			rc = mf_report_tln(&rep, stdout);
		else
			rc = mf_report_jsonl(&rep, stdout);
		if (rc != 0 || fflush(stdout) != 0) {
			cli_warn("writing the output failed");
			bad = 1;
		}
	}
	if (!o.quiet) {
		fprintf(stderr, "%zu events, %zu devices, %u correlated pairs", mf_store_count(st),
		    mf_registry_count(reg), corr.groups);
		if (o.out_dir)
			fprintf(stderr, "; report in %s/", o.out_dir);
		fputc('\n', stderr);
	}
	cJSON_Delete(opts);
	cJSON_Delete(warnings);
	mf_corr_free(&corr);
	mf_registry_free(reg);
	mf_store_free(st);
	mf_tokens_free(ctx.tokens);
	mf_keylog_free(ctx.keylog);
	free(ins);
	free(ris);
	free(order);
	cli_inputs_free(&xin);
	return bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
