/* cli_common.c - shared CLI helpers; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include <zlib.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_keylog.h"
#include "mf_tokens.h"

void cli_warn(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line per problem (CONTRACT.md), whatever a library put in it */
	for (p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "miforensics: %s\n", msg);
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

/* Long options without a short form (values past any character). */
enum {
	OPT_TZ = 0x100, OPT_ROTATE_MB, OPT_ROTATE_S, OPT_MAX_FILES, OPT_EVENTS, OPT_IMMEDIATE
};

/* A non-negative decimal count; with suffix, K/M/G (powers of 1024) may
 * follow.  0 or -1. */
static int parse_count(const char *s, int suffix, long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || v > (1ULL << 50))
		return -1;
	if (suffix && *end) {
		int shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20
		    : *end == 'g' || *end == 'G' ? 30 : -1;

		if (shift < 0 || end[1])
			return -1;
		v <<= shift;
		end++;
	}
	if (*end)
		return -1;
	*out = (long long)v;
	return 0;
}

/* Long options of `cloud login` / `cloud acquire` (CLI_O_CLOUD). */
enum {
	OPT_SESSION = 0x200, OPT_PASSWORD_STDIN, OPT_QR, OPT_REFRESH, OPT_REGION, OPT_BASE_URL,
	OPT_CA_FILE, OPT_RESUME, OPT_SINCE, OPT_DELAY_MS, OPT_RETRY_MS, OPT_RETRIES
};

int cli_parse(int argc, char **argv, unsigned allowed, const char *formats, int need_inputs,
              void (*help)(FILE *), struct cli_opts *o)
{
	static const struct option lo[] = {
		{ "tokens", required_argument, NULL, 't' },
		{ "token", required_argument, NULL, 'T' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'o' },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "lumi-password", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "keylog", required_argument, NULL, 'k' },
		{ "ssecurity", required_argument, NULL, 'Y' },
		{ "tmpdir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "interface", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "filter", required_argument, NULL, 'f' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "buffer-size", required_argument, NULL, 'B' },
		{ "user", required_argument, NULL, 'Z' },
		{ "no-promiscuous-mode", no_argument, NULL, 'p' },
		{ "rotate-mb", required_argument, NULL, OPT_ROTATE_MB },
		{ "rotate-s", required_argument, NULL, OPT_ROTATE_S },
		{ "max-files", required_argument, NULL, OPT_MAX_FILES },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "immediate", no_argument, NULL, OPT_IMMEDIATE },
		{ "session", required_argument, NULL, OPT_SESSION },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "qr", no_argument, NULL, OPT_QR },
		{ "refresh", no_argument, NULL, OPT_REFRESH },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "base-url", required_argument, NULL, OPT_BASE_URL },
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "delay-ms", required_argument, NULL, OPT_DELAY_MS },
		{ "retry-ms", required_argument, NULL, OPT_RETRY_MS },
		{ "retries", required_argument, NULL, OPT_RETRIES },
		{ NULL, 0, NULL, 0 }
	};
	static const struct { int c; unsigned bit; } need[] = {
		{ OPT_SESSION, CLI_O_CLOUD }, { OPT_PASSWORD_STDIN, CLI_O_CLOUD },
		{ OPT_QR, CLI_O_CLOUD }, { OPT_REFRESH, CLI_O_CLOUD }, { OPT_REGION, CLI_O_CLOUD },
		{ OPT_BASE_URL, CLI_O_CLOUD }, { OPT_CA_FILE, CLI_O_CLOUD },
		{ OPT_RESUME, CLI_O_CLOUD }, { OPT_SINCE, CLI_O_CLOUD },
		{ OPT_DELAY_MS, CLI_O_CLOUD }, { OPT_RETRY_MS, CLI_O_CLOUD },
		{ OPT_RETRIES, CLI_O_CLOUD },
		{ 't', CLI_O_TOKENS }, { 'T', CLI_O_TOKENS }, { 'S', CLI_O_SECRETS },
		{ 'F', CLI_O_FORMAT }, { 'o', CLI_O_OUT }, { OPT_TZ, CLI_O_TZ }, { 'q', CLI_O_QUIET },
		{ 'L', CLI_O_LUMI }, { 'k', CLI_O_KEYLOG }, { 'Y', CLI_O_KEYLOG },
		{ 'D', CLI_O_TMPDIR },
		{ 'i', CLI_O_LIVE }, { 'w', CLI_O_LIVE }, { 'f', CLI_O_LIVE }, { 's', CLI_O_LIVE },
		{ 'B', CLI_O_LIVE }, { 'Z', CLI_O_LIVE | CLI_O_CLOUD }, { 'p', CLI_O_LIVE },
		{ OPT_ROTATE_MB, CLI_O_LIVE }, { OPT_ROTATE_S, CLI_O_LIVE },
		{ OPT_MAX_FILES, CLI_O_LIVE }, { OPT_EVENTS, CLI_O_LIVE },
		{ OPT_IMMEDIATE, CLI_O_LIVE },
	};
	int c;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->delay_ms = o->retry_ms = o->retries = -1;
	{
		/* the default format is the first one listed */
		static char first[16];
		size_t n = strcspn(formats, ",");

		snprintf(first, sizeof(first), "%.*s", (int)(n < 15 ? n : 15), formats);
		o->format = first;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:k:qhi:w:f:s:B:Z:p", lo, NULL)) != -1) {
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
		case OPT_TZ:
			o->tz = optarg;
			/* a zone name must exist: glibc silently falls back to UTC
			 * (keeping the name: "--tz PST" would show UTC labelled PST).
			 * Without a zone file only a POSIX rule with an offset
			 * ("CST-8", "UTC+3") is understood. */
			if (optarg[0] != ':') {
				char zp[512];

				snprintf(zp, sizeof(zp), "/usr/share/zoneinfo/%s", optarg);
				if (!optarg[0] || strstr(optarg, "..") || (access(zp, R_OK) != 0 &&
				    (strchr(optarg, '/') || !strpbrk(optarg, "0123456789")))) {
					cli_warn("--tz: unknown time zone '%s'", optarg);
					return MF_EXIT_USAGE;
				}
			}
			break;
		case 'i':
			o->iface = optarg;
			break;
		case 'w':
			o->write_dir = optarg;
			break;
		case 'f':
			o->filter = optarg;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case 'p':
			o->no_promisc = 1;
			break;
		case OPT_EVENTS:
			o->events_file = optarg;
			break;
		case OPT_IMMEDIATE:
			o->immediate = 1;
			break;
		case 's':
		case 'B':
		case OPT_ROTATE_MB:
		case OPT_ROTATE_S:
		case OPT_MAX_FILES: {
			static const struct {
				int c;
				const char *name;
				long long max;
				int suffix;
			} nums[] = {
				{ 's', "-s/--snaplen", 262144, 0 },
				{ 'B', "-B/--buffer-size", 1LL << 31, 1 },
				{ OPT_ROTATE_MB, "--rotate-mb", 1LL << 40, 0 },
				{ OPT_ROTATE_S, "--rotate-s", 1LL << 32, 0 },   /* x 10^9 ns fits */
				{ OPT_MAX_FILES, "--max-files", 1LL << 30, 0 },
			};
			long long v = 0;

			for (i = 0; i < sizeof(nums) / sizeof(nums[0]) - 1; i++)
				if (nums[i].c == c)
					break;
			if (parse_count(optarg, nums[i].suffix, &v) != 0 || v > nums[i].max ||
			    (c == 's' && v < 64)) {
				cli_warn("%s: '%s' is not a number in range", nums[i].name, optarg);
				return MF_EXIT_USAGE;
			}
			if (c == 's')
				o->snaplen = (int)v;
			else if (c == 'B')
				o->buffer_bytes = v;
			else if (c == OPT_ROTATE_MB)
				o->rotate_mb = v;
			else if (c == OPT_ROTATE_S)
				o->rotate_s = v;
			else
				o->max_files = v;
			break;
		}
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
		case 'Y': {
			/* the session secret is base64 (16 bytes); anything else
			 * would silently open nothing */
			struct mf_buf b;
			int bad;

			mf_buf_init(&b, 4096);
			bad = !optarg[0] || mf_b64_decode(optarg, strlen(optarg), &b) < 0 || b.len == 0;
			mf_buf_free(&b);
			if (bad) {
				cli_warn("--ssecurity: not base64 (the Mi cloud session secret, "
				    "e.g. 'AQIDBAUGBwgJCgsMDQ4PEA==')");
				return MF_EXIT_USAGE;
			}
			o->ssecurity = optarg;
			break;
		}
		case OPT_SESSION:
			o->session = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			o->password_stdin = 1;
			break;
		case OPT_QR:
			o->qr = 1;
			break;
		case OPT_REFRESH:
			o->refresh = 1;
			break;
		case OPT_REGION:
			o->region = optarg;
			break;
		case OPT_BASE_URL:
			o->base_url = optarg;
			break;
		case OPT_CA_FILE:
			o->ca_file = optarg;
			break;
		case OPT_RESUME:
			o->resume = 1;
			break;
		case OPT_SINCE:
			o->since = optarg;
			break;
		case OPT_DELAY_MS:
		case OPT_RETRY_MS:
		case OPT_RETRIES: {
			long long v = 0;

			if (parse_count(optarg, 0, &v) != 0 || v > (c == OPT_RETRIES ? 20 : 600000)) {
				cli_warn("%s: '%s' is not a number in range", c == OPT_RETRIES ?
				    "--retries" : c == OPT_DELAY_MS ? "--delay-ms" : "--retry-ms", optarg);
				return MF_EXIT_USAGE;
			}
			if (c == OPT_DELAY_MS)
				o->delay_ms = v;
			else if (c == OPT_RETRY_MS)
				o->retry_ms = v;
			else
				o->retries = v;
			break;
		}
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

static int pcap_magic(const uint8_t m[4])
{
	static const uint8_t magics[][4] = {
		{ 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 },
		{ 0xa1, 0xb2, 0x3c, 0x4d }, { 0x4d, 0x3c, 0xb2, 0xa1 },
		{ 0x0a, 0x0d, 0x0d, 0x0a },
	};
	size_t i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (memcmp(m, magics[i], 4) == 0)
			return 1;
	return 0;
}

/* A capture: pcap/pcapng magic, or gzip whose content starts with one (a
 * .tar.gz extraction is gzip too). */
int cli_is_capture(const char *path)
{
	uint8_t m[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, m, 4);
	close(fd);
	if (n != 4)
		return 0;
	if (pcap_magic(m))
		return 1;
	if (m[0] == 0x1f && m[1] == 0x8b) {
		gzFile g = gzopen(path, "rb");
		int r;

		if (!g)
			return 0;
		r = gzread(g, m, 4);
		gzclose(g);
		return r == 4 && pcap_magic(m);
	}
	return 0;
}
