/*
 * cmd_phone.c - `miforensics phone PATH...`: a Mi Home app extraction
 * (folder, tar/tar.gz/zip, adb backup) as JSON lines, or, on a terminal, a
 * readable summary (account, homes/rooms, devices, scenes, events per
 * device).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_phone.h"
#include "mf_time.h"
#include "mf_tokens.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics phone [options] PATH...\n\n"
	    "Reads a Mi Home Android app extraction: the app folder com.xiaomi.smarthome\n"
	    "itself, a folder or archive (.tar, .tar.gz, .zip) holding it anywhere inside,\n"
	    "an `adb backup` tar or unencrypted .ab file (also inside a MIUI backup .bak),\n"
	    "a Yeelight app folder, or one database / prefs file. Archives inside the\n"
	    "input (a zip holding userdata.tar, a tar holding an .ab, ...) are opened too,\n"
	    "up to 3 levels; paths inside them read outer!inner. Prints the account,\n"
	    "homes, rooms, devices, tokens, shares, scenes and device logs as JSON lines\n"
	    "(schema: CONTRACT.md, docs/EVENTS.md). On a terminal a readable summary is\n"
	    "printed instead.\n"
	    "Evidence is opened read-only; databases are read from a private copy.\n\n"
	    "options:\n"
	    "      --format jsonl|summary  force JSON lines (default when not a terminal)\n"
	    "                              or the summary\n"
	    "      --show-secrets   print tokens instead of redacting them\n"
	    "      --tmpdir DIR     where the private database copies go (default $TMPDIR)\n"
	    "  -q, --quiet          no per-input line on stderr\n"
	    "  -h, --help           this text\n");
}

struct keep_sink {
	struct mf_event **v;
	size_t n, alloc;
	int failed;
};

static int keep_emit(void *arg, struct mf_event *ev)
{
	struct keep_sink *k = arg;

	if (k->n == k->alloc) {
		size_t na = k->alloc ? k->alloc * 2 : 1024;
		struct mf_event **nv = realloc(k->v, na * sizeof(*nv));

		if (!nv) {
			k->failed = 1;
			mf_event_free(ev);
			return MF_ERR_NOMEM;
		}
		k->v = nv;
		k->alloc = na;
	}
	k->v[k->n++] = ev;
	return 0;
}

static void problem_line(void *arg, const char *msg)
{
	cli_warn("%s: %s", (const char *)arg, msg);
}

/* ---- the terminal summary ---- */

static const char *s_of(const struct mf_event *ev, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ev->body, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int is(const struct mf_event *ev, const char *kind, const char *artifact)
{
	return strcmp(ev->kind, kind) == 0 && (!artifact || (ev->artifact &&
	    strcmp(ev->artifact, artifact) == 0));
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void day(int64_t ns, char out[32])
{
	if (ns == MF_TIME_NONE) {
		snprintf(out, 32, "-");
		return;
	}
	mf_time_iso(ns, out);
	out[19] = 'Z';
	out[20] = '\0';
}

struct devcount {
	const char *did;
	const char *name;
	size_t n;
	int64_t first, last;
};

static void summary(FILE *o, struct mf_event **v, size_t n)
{
	struct devcount *dc = calloc(n ? n : 1, sizeof(*dc));
	size_t i, k, ndc = 0, anomalies = 0, errors = 0;
	char t[32];

	for (i = 0; i < n; i++)
		if (is(v[i], "data", "input"))
			fprintf(o, "input   %s (%s)%s%s\n", or_dash(s_of(v[i], "path")),
			    or_dash(s_of(v[i], "format")), s_of(v[i], "sha256") ? " sha256 " : "",
			    s_of(v[i], "sha256") ? s_of(v[i], "sha256") : "");
	for (i = 0; i < n; i++)
		if (is(v[i], "data", "app")) {
			fprintf(o, "app     %s [%s, %s]", or_dash(s_of(v[i], "app_root")),
			    or_dash(s_of(v[i], "app")), or_dash(s_of(v[i], "layout")));
			if (s_of(v[i], "time_reference"))
				fprintf(o, ", time reference %s", s_of(v[i], "time_reference"));
			fputc('\n', o);
		}
	fprintf(o, "\nACCOUNTS\n");
	for (i = 0; i < n; i++)
		if (is(v[i], "account", NULL)) {
			const cJSON *fi = cJSON_GetObjectItemCaseSensitive(v[i]->body, "found_in");
			const cJSON *a = cJSON_GetObjectItemCaseSensitive(v[i]->body, "app_user");

			day(v[i]->ts_ns, t);
			fprintf(o, "  %-12s %s first home %s; %d source(s)%s%s\n",
			    or_dash(s_of(v[i], "uid")), cJSON_IsTrue(a) ? "app user " : "other    ",
			    t, cJSON_GetArraySize(fi), cJSON_GetArraySize(fi) ? ", e.g. " : "",
			    cJSON_GetArraySize(fi) ? cJSON_GetArrayItem(fi, 0)->valuestring : "");
		}
	fprintf(o, "\nHOMES AND ROOMS\n");
	for (i = 0; i < n; i++) {
		if (is(v[i], "home", "home")) {
			day(v[i]->ts_ns, t);
			fprintf(o, "  home %-20s id %-12s owner %-12s created %s%s\n",
			    or_dash(s_of(v[i], "name")), or_dash(s_of(v[i], "home_id")),
			    or_dash(s_of(v[i], "uid")), t,
			    cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(v[i]->body, "owned")) ?
			    " (shared with this account)" : "");
		} else if (is(v[i], "room", NULL)) {
			const cJSON *d = cJSON_GetObjectItemCaseSensitive(v[i]->body, "dids");

			day(v[i]->ts_ns, t);
			fprintf(o, "    room %-18s id %-12s created %s, %d device(s)\n",
			    or_dash(s_of(v[i], "name")), or_dash(s_of(v[i], "room_id")), t,
			    cJSON_GetArraySize(d));
		}
	}
	fprintf(o, "\nDEVICES\n  %-22s %-26s %-20s %-14s %-15s %s\n", "did", "model", "name",
	    "room", "ip", "token");
	for (i = 0; i < n; i++)
		if (is(v[i], "device", NULL)) {
			const cJSON *ht = cJSON_GetObjectItemCaseSensitive(v[i]->body, "has_token");
			const char *w = s_of(v[i], "wal_state");

			fprintf(o, "  %-22s %-26s %-20s %-14s %-15s %s%s%s\n", or_dash(s_of(v[i], "did")),
			    or_dash(s_of(v[i], "model")), or_dash(s_of(v[i], "device_name")),
			    or_dash(s_of(v[i], "room")), or_dash(s_of(v[i], "ip")),
			    cJSON_IsTrue(ht) ? "yes" : "no", w ? "  " : "", w ? w : "");
		}
	fprintf(o, "\nSHARES\n");
	for (i = 0; i < n; i++)
		if (is(v[i], "share", NULL)) {
			day(v[i]->ts_ns, t);
			fprintf(o, "  %-8s user %-12s %-20s %-28s %s\n", v[i]->artifact,
			    or_dash(s_of(v[i], "t_user_id") ? s_of(v[i], "t_user_id") :
			    s_of(v[i], "user_id")), or_dash(s_of(v[i], "nickname")),
			    or_dash(s_of(v[i], "email")), t);
		}
	fprintf(o, "\nSCENES\n");
	for (i = 0; i < n; i++)
		if (is(v[i], "scene", NULL)) {
			const cJSON *en = cJSON_GetObjectItemCaseSensitive(v[i]->body, "enabled");
			const cJSON *tr = cJSON_GetObjectItemCaseSensitive(v[i]->body, "triggers");
			const cJSON *ac = cJSON_GetObjectItemCaseSensitive(v[i]->body, "actions");

			fprintf(o, "  %-12s %-28s %-8s %d trigger(s), %d action(s), account %s\n",
			    or_dash(s_of(v[i], "scene_id")), or_dash(s_of(v[i], "name")),
			    cJSON_IsTrue(en) ? "enabled" : cJSON_IsFalse(en) ? "disabled" : "-",
			    cJSON_GetArraySize(tr), cJSON_GetArraySize(ac),
			    or_dash(s_of(v[i], "account_uid")));
		}
	for (i = 0; i < n; i++) {
		const char *did;

		if (strcmp(v[i]->kind, "anomaly") == 0) {
			anomalies++;
			if (s_of(v[i], "severity") && strcmp(s_of(v[i], "severity"), "error") == 0)
				errors++;
		}
		if (!v[i]->artifact || strcmp(v[i]->artifact, "device-log") != 0 ||
		    (strcmp(v[i]->kind, "device_event") != 0 &&
		    strcmp(v[i]->kind, "property") != 0) || !(did = s_of(v[i], "did")))
			continue;
		for (k = 0; k < ndc; k++)
			if (strcmp(dc[k].did, did) == 0)
				break;
		if (k == ndc) {
			dc[ndc].did = did;
			dc[ndc].name = s_of(v[i], "device_name");
			dc[ndc].first = dc[ndc].last = MF_TIME_NONE;
			ndc++;
		}
		dc[k].n++;
		if (v[i]->ts_ns != MF_TIME_NONE) {
			if (dc[k].first == MF_TIME_NONE || v[i]->ts_ns < dc[k].first)
				dc[k].first = v[i]->ts_ns;
			if (dc[k].last == MF_TIME_NONE || v[i]->ts_ns > dc[k].last)
				dc[k].last = v[i]->ts_ns;
		}
	}
	fprintf(o, "\nDEVICE LOGS (cached on the phone; only the most recent events)\n");
	for (k = 0; k < ndc; k++) {
		char t2[32];

		day(dc[k].first, t);
		day(dc[k].last, t2);
		fprintf(o, "  %-22s %-20s %4zu record(s)  %s .. %s\n", dc[k].did,
		    or_dash(dc[k].name), dc[k].n, t, t2);
	}
	fprintf(o, "\nANOMALIES: %zu (%zu errors)\n", anomalies, errors);
	for (i = 0; i < n; i++)
		if (strcmp(v[i]->kind, "anomaly") == 0) {
			const cJSON *e = cJSON_GetObjectItemCaseSensitive(v[i]->body, "evidence");
			const cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "file");

			fprintf(o, "  %-8s %-28s %s%s%s\n", or_dash(s_of(v[i], "severity")),
			    or_dash(s_of(v[i], "reason")), cJSON_IsString(f) ? f->valuestring : "",
			    s_of(v[i], "detail") ? ": " : "", s_of(v[i], "detail") ?
			    s_of(v[i], "detail") : "");
		}
	fprintf(o, "\n%zu events; `--format jsonl` prints them all.\n", n);
	free(dc);
}

int cmd_phone(int argc, char **argv)
{
	static char obuf[1 << 20];
	struct cli_opts o;
	struct cli_jsonl_sink js;
	struct keep_sink ks = { 0 };
	struct mf_phone_opts po;
	struct mf_ctx ctx;
	const char *tmpdir;
	int prc, i, bad = 0, use_summary = -1;

	prc = cli_parse(argc, argv, CLI_O_SECRETS | CLI_O_FORMAT | CLI_O_TMPDIR | CLI_O_QUIET,
	    "jsonl,summary", 1, help, &o);
	if (prc)
		return prc < 0 ? MF_EXIT_OK : prc;
	tmpdir = o.tmpdir;
	if (o.format_given)
		use_summary = strcmp(o.format, "summary") == 0;
	if (use_summary < 0)
		use_summary = isatty(STDOUT_FILENO);
	/* zip members carry local DOS times: read them as UTC so that the
	 * output does not depend on the machine's zone */
	setenv("TZ", "UTC0", 1);
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	mf_ctx_init(&ctx);
	ctx.show_secrets = o.show_secrets;
	ctx.tokens = mf_tokens_new();
	if (use_summary) {
		ctx.emit = keep_emit;
		ctx.emit_arg = &ks;
	} else {
		cli_jsonl_init(&js, stdout);
		ctx.emit = cli_jsonl_emit;
		ctx.emit_arg = &js;
	}
	mf_phone_opts_default(&po);
	po.tmpdir = tmpdir;
	for (i = 0; i < o.ninputs; i++) {
		struct mf_phone_summary sum;
		char eb[MF_ERRBUF_SIZE] = "";
		int rc = mf_phone_scan(&ctx, o.inputs[i], &po, problem_line, o.inputs[i], &sum, eb);

		if (rc) {
			cli_warn("%s: %s", o.inputs[i], eb[0] ? eb : mf_strerror(rc));
			bad = 1;
			continue;
		}
		if (sum.problems)
			bad = 1;
		if (!o.quiet)
			fprintf(stderr, "%s: %u app folder(s), %u file(s) parsed, %" PRIu64
			    " events, %u problem(s)\n", o.inputs[i], sum.roots, sum.files, sum.events,
			    sum.problems);
	}
	if (use_summary) {
		size_t k;

		summary(stdout, ks.v, ks.n);
		for (k = 0; k < ks.n; k++)
			mf_event_free(ks.v[k]);
		free(ks.v);
		if (ks.failed) {
			cli_warn("out of memory");
			bad = 1;
		}
	}
	if (fflush(stdout) != 0 || (!use_summary && js.failed)) {
		cli_warn("writing the output failed");
		bad = 1;
	}
	if (!use_summary)
		cli_jsonl_free(&js);
	mf_tokens_free(ctx.tokens);
	return bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
