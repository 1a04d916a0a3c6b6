/*
 * cmd_cloud.c - `miforensics cloud login` and `miforensics cloud acquire`:
 * the terminal side of cloud/mf_login.c and cloud/mf_acquire.c (prompts,
 * the progress bar, messages, exit codes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "mf_err.h"
#include "mf_time.h"
#ifdef HAVE_MF_CLOUDACQ
#include "mf_acquire.h"
#include "mf_login.h"
#endif

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics cloud login --user USER --session FILE [options]\n"
	    "       miforensics cloud login --session FILE --refresh\n"
	    "       miforensics cloud acquire --session FILE -o DIR [options]\n\n"
	    "Read-only acquisition of what the Xiaomi cloud keeps about an account, with the\n"
	    "account holder's consent or legal authority.\n\n"
	    "login   Xiaomi account login (password with captcha and two-factor steps asked\n"
	    "        on the terminal, or --qr), or renewal of a saved session through its\n"
	    "        passToken.  Writes FILE (mode 0600): userId, ssecurity, serviceToken,\n"
	    "        passToken, region.  Keep it like the evidence: it opens the account.\n"
	    "        Two-factor codes are sent once: failed attempts lock two-factor for ~24 h\n"
	    "        and sign the account out everywhere, including the owner's phone.\n"
	    "acquire Homes, rooms, devices (tokens, IPs, MACs, Wi-Fi), shares, members,\n"
	    "        invitations, scenes and their run history, messages (never marked\n"
	    "        read), each device's event and property history and the event lists\n"
	    "        of cameras (~90 days), in every region holding data, into the\n"
	    "        evidence folder DIR: manifest.json (every request: time, URL, parameters\n"
	    "        with secrets redacted, HTTP status, SHA-256 of the stored files),\n"
	    "        acquisition.log, responses/ (raw bodies and decoded replies).  Only\n"
	    "        query endpoints can be sent.  DIR is an input of `analyze` and `tokens`.\n\n"
	    "login options:\n"
	    "      --user USER        e-mail, phone number or numeric Xiaomi id\n"
	    "      --session FILE     the session file to write (or renew)\n"
	    "      --password-stdin   read the password from the first line of stdin (later\n"
	    "                         lines answer the captcha / two-factor questions)\n"
	    "      --qr               QR-code login: prints a link to confirm on the owner's\n"
	    "                         phone (no password, usually no captcha or two-factor)\n"
	    "      --refresh          renew FILE's serviceToken through its passToken (the\n"
	    "                         default when FILE exists and no other method is given)\n"
	    "      --region R         the account's region, tried first by acquire\n"
	    "acquire options:\n"
	    "      --session FILE     a session from `cloud login` (renewed in place if expired)\n"
	    "  -o, --out DIR          evidence folder (new or empty)\n"
	    "      --resume           continue an interrupted acquisition in DIR\n"
	    "      --region R|all     regions to search: cn de us ru tw sg in i2 (comma list)\n"
	    "                         or all (default)\n"
	    "      --since DATE       history from DATE (YYYY-MM-DD or ISO 8601 UTC); default\n"
	    "                         90 days back, all the cloud keeps\n"
	    "      --delay-ms N       pause between requests (default 200; be gentle)\n"
	    "      --retries N        retries after rate limiting, 5xx or network failure\n"
	    "                         (default 4, exponential backoff)\n"
	    "      --retry-ms N       first backoff (default 1000; login --qr: poll pause)\n"
	    "  -q, --quiet            no progress bar or summary\n"
	    "testing:\n"
	    "      --base-url URL     send every request to this https server (a stand-in);\n"
	    "                         URLs, Host, TLS names and cookies stay Xiaomi's\n"
	    "      --ca-file F        trust this CA bundle instead of the system's\n"
	    "  -h, --help             this text\n");
}

#ifndef HAVE_MF_CLOUDACQ
int cmd_cloud(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_warn("cloud: this build has no libcurl (cloud login / acquire are not available)");
	return MF_EXIT_USAGE;
}
#else

/* ------------------------------------------------------------ terminal */

struct term {
	int bar;            /* a progress bar is on screen */
};

static void clear_bar(struct term *t)
{
	if (t && t->bar) {
		fputs("\r\033[K", stderr);
		t->bar = 0;
	}
}

static void say(void *arg, const char *msg)
{
	clear_bar(arg);
	fprintf(stderr, "miforensics: %s\n", msg);
}

static int read_line(char *out, size_t n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len = getline(&line, &cap, stdin);

	if (len <= 0) {
		free(line);
		return -1;
	}
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	snprintf(out, n, "%s", line);
	explicit_bzero(line, cap);
	free(line);
	return 0;
}

static int prompt(void *arg, const char *q, int secret, char *out, size_t n)
{
	struct termios old, quiet;
	int tty = isatty(0), restore = 0, rc;

	clear_bar(arg);
	fputs(q, stderr);
	fflush(stderr);
	if (secret && tty && tcgetattr(0, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		restore = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
	}
	rc = read_line(out, n);
	if (restore) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	} else if (!tty) {
		fputc('\n', stderr);
	}
	return rc;
}

static void draw(void *arg, const struct mf_acq_progress *p)
{
	struct term *t = arg;
	char bar[31];
	unsigned k, fill = p->total ? (unsigned)((unsigned long long)p->done * 30 / p->total) : 0;

	for (k = 0; k < 30; k++)
		bar[k] = k < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K%-2s %-8s %4u/%-4u [%s] %lu requests", p->region ? p->region : "",
	    p->phase ? p->phase : "", p->done, p->total, bar, p->requests);
	fflush(stderr);
	t->bar = 1;
}

/* "YYYY-MM-DD" or ISO 8601 -> seconds. */
static int parse_date(const char *s, int64_t *out)
{
	char buf[64];
	int64_t ns;

	if (strlen(s) == 10)
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	if (mf_time_parse_iso(buf, &ns) != 0)
		return -1;
	*out = ns / MF_NS_PER_S;
	return 0;
}

static void http_opts(const struct cli_opts *o, struct mf_http_opts *h)
{
	memset(h, 0, sizeof(*h));
	h->base_url = o->base_url;
	h->ca_file = o->ca_file;
}

/* The folder of a file path ("." when none). */
static void dir_of(const char *path, char *out, size_t n)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, n, ".");
	else if (slash == path)
		snprintf(out, n, "/");
	else
		snprintf(out, n, "%.*s", (int)(slash - path), path);
}

/* -------------------------------------------------------------- login */

static int login(int argc, char **argv)
{
	struct cli_opts o;
	struct mf_http_opts ho;
	struct mf_login_opts lo;
	struct mf_login_io io;
	struct mf_session s;
	struct mf_http *h = NULL;
	struct term t = { 0 };
	struct stat st;
	char eb[MF_ERRBUF_SIZE] = "", pw[512] = "", cdir[4096];
	int rc, exists, refresh;

	rc = cli_parse(argc, argv, CLI_O_CLOUD | CLI_O_QUIET, "text", 0, help, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	if (!o.session || o.ninputs || o.resume || o.since || o.out_dir) {
		cli_warn("cloud login: --session FILE is needed (and no -o/--resume/--since/inputs)");
		help(stderr);
		return MF_EXIT_USAGE;
	}
	if (o.qr + o.password_stdin + o.refresh > 1) {
		cli_warn("cloud login: choose one of --password-stdin, --qr, --refresh");
		return MF_EXIT_USAGE;
	}
	exists = stat(o.session, &st) == 0;
	refresh = o.refresh || (exists && !o.qr && !o.password_stdin && !o.user);
	if (!refresh && !o.qr && !o.user) {
		cli_warn("cloud login: --user USER is needed for a password login (or use --qr)");
		return MF_EXIT_USAGE;
	}
	if (o.region) {
		size_t i, ok = 0;

		for (i = 0; mf_acq_regions[i]; i++)
			ok |= strcmp(o.region, mf_acq_regions[i]) == 0;
		if (!ok) {
			cli_warn("--region: unknown region '%s' (cn de us ru tw sg in i2)", o.region);
			return MF_EXIT_USAGE;
		}
	}
	/* the session file's folder must exist (made 0700) and be writable
	 * before the login: a login that cannot be saved is lost, and a
	 * two-factor attempt spent on it changes the evidence */
	{
		char sdir[4096];
		struct stat ds;

		dir_of(o.session, sdir, sizeof(sdir));
		if (stat(sdir, &ds) != 0 && mkdir(sdir, 0700) != 0) {
			cli_warn("cloud login: cannot make %s: %s", sdir, strerror(errno));
			return MF_EXIT_USAGE;
		}
		if (access(sdir, W_OK) != 0) {
			cli_warn("cloud login: %s is not writable: the session could not be saved", sdir);
			return MF_EXIT_USAGE;
		}
	}
	http_opts(&o, &ho);
	if ((rc = mf_http_new(&ho, &h, eb)) != 0) {
		cli_warn("cloud login: %s", eb);
		return rc == MF_ERR_ARG ? MF_EXIT_USAGE : MF_EXIT_INPUT;
	}
	memset(&lo, 0, sizeof(lo));
	lo.user = o.user;
	lo.region = o.region;
	dir_of(o.session, cdir, sizeof(cdir));
	lo.captcha_dir = cdir;
	if (o.retry_ms >= 0)   /* the pause between QR long polls */
		lo.poll_ms = o.retry_ms > 0 ? (unsigned)o.retry_ms : 1;
	io.prompt = prompt;
	io.say = say;
	io.arg = &t;
	if (refresh) {
		if ((rc = mf_session_load(o.session, &s, eb)) == 0) {
			if (s.loose_mode)
				cli_warn("%s is readable by others: it holds the account's keys", o.session);
			if (o.region)
				snprintf(s.region, sizeof(s.region), "%s", o.region);
			rc = mf_login_refresh(h, &s, eb);
		}
	} else if (o.qr) {
		rc = mf_login_qr(h, &lo, &io, &s, eb);
	} else {
		if (o.password_stdin) {
			if (read_line(pw, sizeof(pw)) != 0 || !pw[0]) {
				cli_warn("cloud login: --password-stdin: no password on stdin");
				mf_http_free(h);
				return MF_EXIT_USAGE;
			}
			lo.password = pw;
		} else if (!isatty(0)) {
			cli_warn("cloud login: no terminal to ask the password on: use --password-stdin "
			    "or --qr");
			mf_http_free(h);
			return MF_EXIT_USAGE;
		}
		rc = mf_login_password(h, &lo, &io, &s, eb);
		explicit_bzero(pw, sizeof(pw));
	}
	mf_http_free(h);
	if (rc) {
		cli_warn("cloud login: %s", eb);
		explicit_bzero(&s, sizeof(s));
		return MF_EXIT_INPUT;
	}
	rc = mf_session_save(o.session, &s, eb);
	if (rc) {
		cli_warn("cloud login: %s", eb);
		explicit_bzero(&s, sizeof(s));
		return MF_EXIT_INPUT;
	}
	if (!o.quiet)
		fprintf(stderr, "miforensics: %s userId %s; session saved to %s (mode 0600)\n",
		    refresh ? "session renewed for" : "logged in as", s.user_id, o.session);
	explicit_bzero(&s, sizeof(s));
	return MF_EXIT_OK;
}

/* ------------------------------------------------------------ acquire */

/* "all", or a comma list of known regions (any case): checked before the
 * evidence folder is made, so that a typo leaves nothing behind. */
static int regions_ok(const char *spec)
{
	char buf[256], *p, *save = NULL;
	size_t i, n = 0;

	if (strcasecmp(spec, "all") == 0)
		return 1;
	if (strlen(spec) >= sizeof(buf))
		return 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save), n++) {
		int ok = 0;

		for (i = 0; mf_acq_regions[i]; i++)
			ok |= strcasecmp(p, mf_acq_regions[i]) == 0;
		if (!ok)
			return 0;
	}
	return n > 0;
}

static int acquire(int argc, char **argv)
{
	struct cli_opts o;
	struct mf_acq_opts ao;
	struct mf_acq_summary sum;
	struct term t = { 0 };
	char eb[MF_ERRBUF_SIZE] = "";
	int rc;

	rc = cli_parse(argc, argv, CLI_O_CLOUD | CLI_O_OUT | CLI_O_QUIET, "text", 0, help, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	if (!o.session || !o.out_dir || o.ninputs || o.qr || o.password_stdin || o.refresh) {
		cli_warn("cloud acquire: --session FILE and -o DIR are needed (login options belong "
		    "to `cloud login`)");
		help(stderr);
		return MF_EXIT_USAGE;
	}
	if (o.region && !regions_ok(o.region)) {
		cli_warn("--region: '%s' is not 'all' or a list of cn de us ru tw sg in i2", o.region);
		return MF_EXIT_USAGE;
	}
	memset(&ao, 0, sizeof(ao));
	ao.session_path = o.session;
	ao.out_dir = o.out_dir;
	ao.resume = o.resume;
	ao.regions = o.region;
	if (o.since && parse_date(o.since, &ao.since_s) != 0) {
		cli_warn("--since: '%s' is not a date (YYYY-MM-DD or ISO 8601)", o.since);
		return MF_EXIT_USAGE;
	}
	if (o.since && o.resume)
		cli_warn("--resume keeps the first run's time window; --since is ignored");
	http_opts(&o, &ao.http);
	ao.delay_ms = o.delay_ms >= 0 ? (unsigned)o.delay_ms : 200;
	ao.retry_ms = o.retry_ms >= 0 ? (unsigned)o.retry_ms : 1000;
	ao.retries = o.retries >= 0 ? (unsigned)o.retries : 4;
	ao.say = say;
	ao.arg = &t;
	if (!o.quiet && isatty(2))
		ao.progress = draw;
	rc = mf_acquire(&ao, &sum, eb);
	clear_bar(&t);
	if (rc && !sum.interrupted) {
		cli_warn("cloud acquire: %s", eb);
		return rc == MF_ERR_ARG ? MF_EXIT_USAGE : MF_EXIT_INPUT;
	}
	if (!o.quiet)
		fprintf(stderr, "miforensics: %s: %lu request(s) (%lu ok, %lu API error(s), %lu "
		    "failed, %lu malformed, %lu reused), %u session renewal(s); regions with data: "
		    "%s; evidence in %s/\n", sum.interrupted ? "interrupted" : sum.incomplete ?
		    "finished, incomplete" : "finished", sum.exchanges, sum.ok, sum.api_errors,
		    sum.failed, sum.malformed, sum.reused, sum.refreshes,
		    sum.regions_found[0] ? sum.regions_found : "none", o.out_dir);
	if (sum.interrupted) {
		cli_warn("cloud acquire: %s", eb);
		return MF_EXIT_INPUT;
	}
	return sum.incomplete ? MF_EXIT_INPUT : MF_EXIT_OK;
}

int cmd_cloud(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return MF_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		help(stdout);
		return MF_EXIT_OK;
	}
	if (strcmp(argv[1], "login") == 0)
		return login(argc - 1, argv + 1);
	if (strcmp(argv[1], "acquire") == 0)
		return acquire(argc - 1, argv + 1);
	cli_warn("cloud: unknown sub-command '%s' (login, acquire)", argv[1]);
	help(stderr);
	return MF_EXIT_USAGE;
}
#endif
