/*
 * cmd_live.c - `miforensics live -i IFACE -w DIR`: live sniffing (e.g. on a
 * smart-home bridge).  Packets go first into rotating pcapng evidence files
 * (capture/mf_evidence.h), then through the same decoders as `packets` and
 * `analyze`; events are written as JSON lines as they happen.
 *
 * One decoder per evidence file, created with the file and finished when it
 * closes: every event names a frame of the file it came from, and reading
 * the files offline (`analyze DIR`, or `packets` on each file in order with
 * the same tokens) gives the same events.  TLS key log lines that arrive
 * while capturing go into the current file as Decryption Secrets Blocks,
 * and each new file starts with all of them, so the offline reading learns
 * each key at the same point.
 *
 * Faults: SIGINT/SIGTERM drain what the kernel holds, close the file and
 * write the final manifest; an interface that goes down or away closes the
 * file and is re-opened once it is back (a new file); a full disk closes
 * the file at its last complete packet and ends the run (exit 1): an event
 * is only ever printed for a packet that is in the evidence.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <libgen.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "live_out.h"
#include "mf_decode.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_evidence.h"
#include "mf_file.h"
#include "mf_frame.h"
#include "mf_keylog.h"
#include "mf_live.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define BATCH 1024                       /* packets per pcap_dispatch */
#define BATCH_NS (50 * 1000 * 1000LL)    /* then timers get a turn */
#define TICK_MARGIN_NS (200 * 1000 * 1000LL)
/* A miIO request line waits this long (wall clock after its capture) for
 * its answer, to name the answer's frame; then it is written as it is:
 * events come out within ~100 ms (issue 7), also behind requests nobody
 * answers (an uplink to a cloud that is not reachable). */
#define HOLD_NS (50 * 1000 * 1000LL)
#define KEYLOGS_MAX 16
#define KEYLOG_CHUNK (64u << 10)
#define KEYLOG_LINE_MAX (64u << 10)      /* a partial line longer than this is dropped */
#define OUT_BUFFER (64u << 20)           /* event lines held for a slow reader */
#define OUT_STALL_MS 5000                /* at the end: wait for a reader this long */

/* Set by the signal handlers: the only state outside struct live. */
static volatile sig_atomic_t g_signal, g_status;

static void on_signal(int sig)
{
	g_signal = sig;
}

/* SIGUSR1 (tcpdump prints its counts on it): a status line, also when
 * stderr is not a terminal, instead of the default action (the end of the
 * process, with the file not closed and the manifest left "running"). */
static void on_status(int sig)
{
	(void)sig;
	g_status = 1;
}

/* A key log file that may grow (the phone appending secrets). */
struct keyfollow {
	const char *path;
	const char *base;
	char *dir;
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off;
	struct mf_buf partial;    /* an incomplete last line */
	unsigned bad;
	unsigned warned_missing : 1, warned_bad : 1, warned_reopen : 1;
	unsigned stream : 1;      /* a pipe or FIFO (-k <(adb shell ...)): read as it comes */
};

struct live {
	const struct cli_opts *o;
	struct mf_ctx ctx;
	struct live_out *out;                /* event lines (live_out.h) */
	int out_fd;
	struct mf_buf line;
	uint64_t out_dropped;                /* lines dropped for a slow reader (told) */
	struct mf_live_opts lo;
	struct mf_live *cap;
	struct mf_evidence *ev;
	struct mf_decoder *dec;
	struct mf_evidence_counters base;    /* from capture handles closed before */
	struct mf_evidence_counters cnt;     /* cumulative */
	int64_t now;                         /* wall clock, refreshed per batch */
	int64_t last_ts;                     /* last packet time in the current file */
	int64_t release_at;                  /* when held event lines are due */
	uint64_t packets, bytes;
	int stop_io;                         /* evidence could not be written: stop */
	char io_err[MF_ERRBUF_SIZE];
	struct keyfollow kf[KEYLOGS_MAX];
	int nkf;
	int ino_fd;
	int down;                            /* the interface is away */
	int64_t next_retry;
	int tty;
	int bad;
	int out_warned, nomem_warned;
	size_t status_len;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MF_NS_PER_S + ts.tv_nsec;
}

static void help(FILE *f)
{
	fprintf(f,
	    "usage: miforensics live -i IFACE -w DIR [options]\n\n"
	    "Captures live traffic (e.g. on a bridge in front of a smart home) into rotating\n"
	    "pcapng evidence files in DIR, each hashed into DIR/manifest.json when it closes,\n"
	    "and prints the decoded miIO / Lumi LAN / Mi cloud events as JSON lines as they\n"
	    "happen. `miforensics analyze DIR` later gives the same events from the files.\n"
	    "Stop with Ctrl-C, SIGTERM or SIGHUP: nothing captured is lost. SIGUSR1 prints\n"
	    "the status line (packets, MB, events, drops) on stderr, as on a terminal.\n\n"
	    "options:\n"
	    "  -i, --interface IFACE  interface to capture on (a bridge, a mirror port, 'any')\n"
	    "  -w, --write DIR        evidence folder (created; must not hold a capture already)\n"
	    "  -t, --tokens FILE      device tokens: lines '<did-or-ip> <token>' or a JSON list\n"
	    "      --token TOKEN      a token to try on every device (repeatable)\n"
	    "  -k, --keylog FILE      TLS key log (SSLKEYLOGFILE); re-read as it grows\n"
	    "      --ssecurity B64    Mi cloud session secret\n"
	    "      --lumi-password P  the Lumi gateway LAN password (16 chars)\n"
	    "      --rotate-mb N      start a new file after N MB (10^6 bytes)\n"
	    "      --rotate-s N       start a new file after N seconds\n"
	    "      --max-files N      keep at most N files; the oldest are deleted (their hash\n"
	    "                         stays in the manifest)\n"
	    "  -B, --buffer-size N    kernel capture buffer in bytes (K/M/G suffix; default 64M)\n"
	    "  -f, --filter EXPR      BPF filter replacing the default (miIO 54321, Lumi\n"
	    "                         4321/9898, cloud 80/443/8053, fragments, VLANs)\n"
	    "  -s, --snaplen N        bytes kept per packet (default 262144)\n"
	    "  -p, --no-promiscuous-mode  do not put the interface into promiscuous mode\n"
	    "      --immediate        hand each packet over at once (libpcap immediate mode)\n"
	    "                         instead of within 10 ms; costs CPU, and with a large\n"
	    "                         snap length the kernel ring holds few packets\n"
	    "  -Z, --user USER        drop root for USER after opening the interface (keeps\n"
	    "                         only CAP_NET_RAW, to re-open it after it went down)\n"
	    "      --events FILE      append events to FILE instead of stdout (the capture\n"
	    "                         never waits for their reader: up to 64 MiB are held)\n"
	    "      --show-secrets     print tokens and passwords instead of redacting them\n"
	    "  -q, --quiet            no status line or summary on stderr\n"
	    "  -h, --help             this text\n\n"
	    "Exit status: 0 stopped by a signal, 1 evidence could not be written (disk full)\n"
	    "or an input was bad, 2 usage error.\n");
}

/* ---- output ------------------------------------------------------------ */

static void say(struct live *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One event line into the writer's buffer: the capture never waits for
 * the reader of the events. */
static int emit_line(void *arg, struct mf_event *ev)
{
	struct live *L = arg;
	int rc;

	mf_buf_reset(&L->line);
	rc = mf_event_to_json(ev, &L->line);
	if (rc == 0)
		rc = mf_buf_addc(&L->line, '\n');
	if (rc == 0)
		live_out_line(L->out, (const char *)L->line.data, L->line.len);
	mf_event_free(ev);
	return rc;
}

static void flush_events(struct live *L)
{
	uint64_t lines, bytes;
	int err;

	live_out_flush(L->out);
	live_out_stats(L->out, &lines, &bytes, &err);
	if (err && !L->out_warned) {
		say(L, "writing the events failed (%s); capturing goes on", strerror(err));
		L->out_warned = 1;
	}
	if (lines && !L->out_dropped)
		say(L, "the reader of the events falls behind by more than %u MiB: event lines "
		    "are dropped (counted in the manifest), never packets; `analyze` on the "
		    "evidence folder gives every event", OUT_BUFFER >> 20);
	L->out_dropped = lines;
}

/* Held lines (a miIO request awaiting its answer) older than HOLD_NS are
 * written; release_at: when the next held line is due. */
static void release_held(struct live *L)
{
	int64_t oldest;

	L->release_at = MF_TIME_NONE;
	if (!L->dec)
		return;
	oldest = mf_decoder_release(L->dec, L->now - HOLD_NS);
	if (oldest != MF_TIME_NONE)
		L->release_at = oldest > L->now ? L->now + HOLD_NS : oldest + HOLD_NS;
}

/* final: the last one; asked: SIGUSR1, printed on any stderr. */
static void status_line(struct live *L, int final, int asked)
{
	uint64_t packets, bytes;
	unsigned files;
	char line[256];
	int n;

	if (!L->tty && !asked)
		return;
	mf_evidence_totals(L->ev, &packets, &bytes, &files);
	n = snprintf(line, sizeof(line), "%s: %" PRIu64 " packets, %.1f MB, %" PRIu64
	    " events, drops %" PRIu64 " kernel / %" PRIu64 " interface, %u file%s%s",
	    L->o->iface, packets, bytes / 1e6, L->ctx.st.events, L->cnt.kernel_drops,
	    L->cnt.if_drops, files, files == 1 ? "" : "s", L->down ? " [interface down]" : "");
	if (n < 0)
		return;
	if (!L->tty) {
		fprintf(stderr, "%s\n", line);
		return;
	}
	fprintf(stderr, "\r%s", line);
	while ((size_t)n < L->status_len) {
		fputc(' ', stderr);
		n++;
	}
	L->status_len = (size_t)n;
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Messages on stderr do not run into the status line. */
static void say(struct live *L, const char *fmt, ...)
{
	va_list ap;

	if (L->tty && L->status_len) {
		fputc('\n', stderr);
		L->status_len = 0;
	}
	fputs("miforensics: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- capture counters ---------------------------------------------------- */

static void update_counters(struct live *L)
{
	struct mf_live_stats s;

	memset(&s, 0, sizeof(s));
	if (L->cap)
		mf_live_stats(L->cap, &s);
	L->cnt.recv = L->base.recv + s.recv;
	L->cnt.kernel_drops = L->base.kernel_drops + s.kernel_drops;
	L->cnt.if_drops = L->base.if_drops + s.if_drops;
	mf_evidence_set_counters(L->ev, &L->cnt);
}

/* ---- files ------------------------------------------------------------- */

/* Ends the current file: its decoder first (pending events name it). */
static void close_file(struct live *L, const char *reason)
{
	char eb[MF_ERRBUF_SIZE] = "";

	if (L->dec) {
		mf_decoder_finish(L->dec, L->last_ts);
		mf_decoder_free(L->dec);
		L->dec = NULL;
	}
	flush_events(L);
	if (!mf_evidence_file_open(L->ev))
		return;
	update_counters(L);
	if (mf_evidence_close(L->ev, reason, L->now, eb) != 0) {
		if (!L->stop_io)     /* else said once, at the end */
			say(L, "%s: %s", L->o->write_dir, eb);
		L->bad = 1;
	}
}

static void file_opened(struct live *L)
{
	char origin[300];
	const char *text;
	size_t len;

	L->dec = mf_decoder_new(&L->ctx);
	if (!L->dec && !L->nomem_warned) {
		say(L, "out of memory: this file is recorded but not decoded");
		L->nomem_warned = 1;
		L->bad = 1;
	}
	L->last_ts = MF_TIME_NONE;
	if (mf_evidence_opening_keys(L->ev, &text, &len, origin, sizeof(origin)))
		mf_keylog_add_mem(L->ctx.keylog, text, len, origin, NULL);
}

static int on_frame(void *arg, const struct mf_frame *f)
{
	struct live *L = arg;
	const struct mf_input *in = NULL;
	struct mf_frame fr;
	uint64_t number = 0;
	int opened = 0, r;

	if (L->stop_io)
		return 1;
	if ((r = mf_evidence_should_rotate(L->ev, L->now)) != 0)
		close_file(L, r == 1 ? "size" : "time");
	if (mf_evidence_write(L->ev, f, L->now, &opened, &in, &number, L->io_err) != 0) {
		L->stop_io = 1;
		return 1;
	}
	if (opened)
		file_opened(L);
	fr = *f;
	fr.input = in;
	fr.number = number;
	L->packets++;
	L->bytes += f->caplen;
	if (f->ts_ns != MF_TIME_NONE)
		L->last_ts = f->ts_ns;
	if (L->dec && mf_decode_frame(L->dec, &fr) == MF_ERR_NOMEM && !L->nomem_warned) {
		say(L, "out of memory while decoding; the capture goes on");
		L->nomem_warned = 1;
		L->bad = 1;
	}
	return 0;
}

/* ---- key logs ------------------------------------------------------------ */

/* Complete key log lines: into the evidence, then into the store. */
static void keys_arrived(struct live *L, struct keyfollow *k, const char *text, size_t len)
{
	char origin[300];
	unsigned bad = 0;
	int rc;

	rc = mf_evidence_keys(L->ev, text, len, origin, sizeof(origin));
	if (rc == 0)
		return;   /* no file open: the next file starts with them */
	if (rc < 0) {
		/* the evidence cannot take them (full disk): the run ends, the
		 * keys still serve the packets decoded until then */
		snprintf(origin, sizeof(origin), "%s", k->base);
		if (!L->stop_io) {
			L->stop_io = 1;
			snprintf(L->io_err, sizeof(L->io_err), "writing key log lines: %s",
			    strerror(mf_evidence_errno(L->ev) ? mf_evidence_errno(L->ev) : EIO));
		}
	}
	mf_keylog_add_mem(L->ctx.keylog, text, len, origin, &bad);
	k->bad += bad;
	if (bad && !k->warned_bad) {
		say(L, "keylog: %s: some lines are not key log lines", k->path);
		k->warned_bad = 1;
	}
}

static void keyfollow_read(struct live *L, struct keyfollow *k)
{
	char buf[KEYLOG_CHUNK];
	ssize_t n;

	while ((n = k->stream ? read(k->fd, buf, sizeof(buf))
	    : pread(k->fd, buf, sizeof(buf), k->off)) > 0) {
		size_t i, last = SIZE_MAX;

		k->off += n;
		for (i = (size_t)n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				last = i;
				break;
			}
		if (last == SIZE_MAX) {
			if (mf_buf_add(&k->partial, buf, (size_t)n) != 0)
				mf_buf_reset(&k->partial);   /* a "line" of 64 KB is no key */
			continue;
		}
		if (k->partial.len) {
			/* the line begun in the last chunk ends at the first newline
			 * of this one; only that line joins it (the whole chunk would
			 * not fit the line buffer, and its keys would be lost) */
			size_t first = (size_t)((const char *)memchr(buf, '\n', last) - buf) + 1;

			if (mf_buf_add(&k->partial, buf, first) == 0)
				keys_arrived(L, k, (const char *)k->partial.data, k->partial.len);
			mf_buf_reset(&k->partial);
			if (last > first)
				keys_arrived(L, k, buf + first, last - first);
		} else {
			keys_arrived(L, k, buf, last);
		}
		if ((size_t)n > last && mf_buf_add(&k->partial, buf + last, (size_t)n - last) != 0)
			mf_buf_reset(&k->partial);
	}
	/* a pipe's writer closed it: its last line is complete */
	if (n == 0 && k->stream && k->partial.len) {
		if (mf_buf_addc(&k->partial, '\n') == 0)
			keys_arrived(L, k, (const char *)k->partial.data, k->partial.len);
		mf_buf_reset(&k->partial);
	}
}

/* Reads what was appended since last time; a replaced or truncated file
 * is read again from its start (a duplicate secret changes nothing). */
static void keyfollow_poll(struct live *L, struct keyfollow *k)
{
	struct stat st;

	if (k->stream) {
		keyfollow_read(L, k);   /* non-blocking: what the writer sent */
		return;
	}
	if (stat(k->path, &st) != 0) {
		if (k->fd < 0 && !k->warned_missing) {
			say(L, "keylog: %s: %s; watching for it", k->path, strerror(errno));
			k->warned_missing = 1;
		}
		if (k->fd >= 0)
			keyfollow_read(L, k);   /* renamed away: its last lines */
		return;
	}
	if (k->fd >= 0 && (st.st_ino != k->ino || st.st_dev != k->dev)) {
		keyfollow_read(L, k);
		close(k->fd);
		k->fd = -1;
	}
	if (k->fd < 0) {
		/* non-blocking: opening a FIFO without a writer must not wait */
		int fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		struct stat fst;

		if (fd < 0) {
			if (!k->warned_reopen)
				say(L, "keylog: %s: %s", k->path, strerror(errno));
			k->warned_reopen = 1;
			return;
		}
		k->fd = fd;
		k->dev = st.st_dev;
		k->ino = st.st_ino;
		k->off = 0;
		k->stream = fstat(fd, &fst) == 0 && !S_ISREG(fst.st_mode);
		mf_buf_reset(&k->partial);
	} else if (st.st_size < k->off) {
		k->off = 0;       /* truncated and rewritten */
		mf_buf_reset(&k->partial);
	}
	keyfollow_read(L, k);
}

static void keylogs_poll(struct live *L)
{
	int i;

	for (i = 0; i < L->nkf; i++)
		keyfollow_poll(L, &L->kf[i]);
}

/* The end of the run: what the key logs hold now, with a last line that
 * has no newline yet taken as complete. */
static void keylogs_final(struct live *L)
{
	int i;

	keylogs_poll(L);
	for (i = 0; i < L->nkf; i++) {
		struct keyfollow *k = &L->kf[i];

		if (k->partial.len && mf_buf_addc(&k->partial, '\n') == 0)
			keys_arrived(L, k, (const char *)k->partial.data, k->partial.len);
		mf_buf_reset(&k->partial);
	}
}

static void keylogs_setup(struct live *L)
{
	int i;

	L->ino_fd = L->o->nkeylogs ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	for (i = 0; i < L->o->nkeylogs && i < KEYLOGS_MAX; i++) {
		struct keyfollow *k = &L->kf[L->nkf++];
		const char *slash;

		k->path = L->o->keylog_files[i];
		k->base = mf_basename(k->path);
		k->fd = -1;
		mf_buf_init(&k->partial, KEYLOG_LINE_MAX);
		slash = strrchr(k->path, '/');
		k->dir = slash ? strndup(k->path, (size_t)(slash - k->path) + (slash == k->path))
		    : strdup(".");
		/* the folder, not the file: it may not exist yet, or be replaced */
		if (L->ino_fd >= 0 && k->dir)
			inotify_add_watch(L->ino_fd, k->dir, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE |
			    IN_MOVED_TO);
	}
	keylogs_poll(L);
}

static void keylogs_free(struct live *L)
{
	int i;

	for (i = 0; i < L->nkf; i++) {
		if (L->kf[i].fd >= 0)
			close(L->kf[i].fd);
		mf_buf_free(&L->kf[i].partial);
		free(L->kf[i].dir);
	}
	if (L->ino_fd >= 0)
		close(L->ino_fd);
}

static void inotify_drain(struct live *L)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(L->ino_fd, buf, sizeof(buf)) > 0)
		;
	keylogs_poll(L);
}

/* ---- the interface --------------------------------------------------------- */

static void set_interface(struct live *L)
{
	struct mf_pcapng_if ifc;

	memset(&ifc, 0, sizeof(ifc));
	ifc.linktype = mf_live_linktype(L->cap);
	ifc.snaplen = (uint32_t)mf_live_snaplen(L->cap);
	ifc.name = L->o->iface;
	ifc.filter = mf_live_filter(L->cap);
	mf_evidence_set_if(L->ev, &ifc);
}

static void interface_down(struct live *L, const char *why)
{
	say(L, "%s: %s; the file is closed, waiting for the interface to come back",
	    L->o->iface, why);
	close_file(L, "interface_down");
	update_counters(L);
	L->base = L->cnt;
	mf_live_close(L->cap);
	L->cap = NULL;
	L->down = 1;
	L->next_retry = L->now + MF_NS_PER_S;
	mf_evidence_note(L->ev, L->now, "interface_down", why, NULL);
}

static void try_reopen(struct live *L)
{
	char eb[MF_ERRBUF_SIZE] = "", wb[MF_ERRBUF_SIZE] = "";
	int rc;

	L->next_retry = L->now + MF_NS_PER_S;
	rc = mf_live_open(&L->lo, &L->cap, eb, wb);
	if (rc == MF_ERR_AGAIN)
		return;
	if (rc != 0) {
		if (L->down == 1)
			say(L, "%s: re-opening failed: %s; still trying", L->o->iface, eb);
		L->down = 2;
		return;
	}
	L->down = 0;
	set_interface(L);
	say(L, "%s: back; capturing into a new file", L->o->iface);
	mf_evidence_note(L->ev, L->now, "interface_up", wb[0] ? wb : NULL, NULL);
}

/* Everything waiting; MF_ERR_AGAIN when the interface went away. */
static void run_batch(struct live *L)
{
	char eb[MF_ERRBUF_SIZE] = "";
	int64_t start = L->now;
	int n;

	do {
		n = mf_live_dispatch(L->cap, BATCH, on_frame, L, eb);
		L->now = now_ns();
		if (n < 0) {
			interface_down(L, eb[0] ? eb : "read error");
			return;
		}
	} while (n == BATCH && !L->stop_io && !g_signal && L->now - start < BATCH_NS);
}

/* After a stop signal: what the kernel holds, and what is still on its way
 * (a short grace period without packets ends it; 2 s at most). */
static void drain(struct live *L)
{
	int64_t until = L->now + 2 * MF_NS_PER_S;
	int quiet = 0;

	while (L->cap && !L->stop_io && L->now < until && quiet < 2) {
		struct pollfd p = { mf_live_fd(L->cap), POLLIN, 0 };
		int r = poll(&p, 1, 50);

		L->now = now_ns();
		if (r <= 0) {
			quiet++;
			continue;
		}
		quiet = 0;
		run_batch(L);
		if (mf_evidence_flush(L->ev) != 0 && !L->stop_io) {
			L->stop_io = 1;
			snprintf(L->io_err, sizeof(L->io_err), "%s", strerror(mf_evidence_errno(L->ev)));
		}
	}
}

/* ---- privileges ------------------------------------------------------------ */

/* tcpdump's droproot(), keeping CAP_NET_RAW so that the interface can be
 * re-opened after it went down. */
static int drop_root(const char *user, uid_t uid, gid_t gid, int *kept_raw)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	*kept_raw = 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
		cli_warn("-Z: cannot keep CAP_NET_RAW (%s)", strerror(errno));
	if (initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) {
		cli_warn("-Z %s: setgroups: %s", user, strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		cli_warn("-Z %s: %s", user, strerror(errno));
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	d[CAP_TO_INDEX(CAP_NET_RAW)].permitted = CAP_TO_MASK(CAP_NET_RAW);
	d[CAP_TO_INDEX(CAP_NET_RAW)].effective = CAP_TO_MASK(CAP_NET_RAW);
	*kept_raw = syscall(SYS_capset, &h, d) == 0;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		cli_warn("-Z %s: root could be regained; stopping", user);
		return -1;
	}
	return 0;
}

/* Can user reach dir (search every folder above it)?  Asked before the
 * folder is made, by a child process with the user's identity: once root
 * is dropped, a folder it cannot reach could not be removed again.
 * Returns 0, or the errno of the check. */
static int user_reaches(const char *dir, const char *user, uid_t uid, gid_t gid)
{
	char *copy = strdup(dir);
	const char *parent;
	int status;
	pid_t pid;

	if (!copy)
		return ENOMEM;
	parent = dirname(copy);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if ((initgroups(user, gid) != 0 && setgroups(1, &gid) != 0) ||
		    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
			_exit(0);    /* not checkable here: drop_root will tell */
		_exit(access(parent, X_OK) == 0 ? 0 : (errno & 0x7f ? errno & 0x7f : EACCES));
	}
	free(copy);
	if (pid < 0)
		return 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

/* ---- the manifest's "capture" object --------------------------------------- */

static cJSON *capture_json(const struct live *L, const char *user)
{
	const struct cli_opts *o = L->o;
	cJSON *j = mf_json_obj(), *a;
	char host[256] = "";
	int i;

	mf_json_str(j, "interface", o->iface);
	mf_json_str(j, "filter", mf_live_filter(L->cap));
	mf_json_bool(j, "default_filter", o->filter == NULL);
	mf_json_u64(j, "snaplen", (uint64_t)mf_live_snaplen(L->cap));
	mf_json_u64(j, "linktype", mf_live_linktype(L->cap));
	mf_json_u64(j, "buffer_bytes", (uint64_t)(L->lo.buffer_bytes > 0 ? L->lo.buffer_bytes
	    : 64LL << 20));
	mf_json_bool(j, "promiscuous", L->lo.promisc);
	mf_json_str(j, "delivery", L->lo.immediate ? "immediate" : "blocks, 10 ms");
	mf_json_u64(j, "rotate_mb", (uint64_t)o->rotate_mb);
	mf_json_u64(j, "rotate_s", (uint64_t)o->rotate_s);
	mf_json_u64(j, "max_files", (uint64_t)o->max_files);
	if (user)
		mf_json_str(j, "user", user);
	if (gethostname(host, sizeof(host) - 1) == 0)
		mf_json_str(j, "hostname", host);
	a = cJSON_CreateArray();
	for (i = 0; i < o->ntokens_files; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(o->tokens_files[i]));
	cJSON_AddItemToObject(j, "tokens_files", a);
	mf_json_u64(j, "tokens_given", (uint64_t)o->ntokens);
	a = cJSON_CreateArray();
	for (i = 0; i < o->nkeylogs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(o->keylog_files[i]));
	cJSON_AddItemToObject(j, "keylog_files", a);
	mf_json_bool(j, "lumi_password_given", o->lumi_password != NULL);
	mf_json_bool(j, "ssecurity_given", o->ssecurity != NULL);
	if (o->events_file)
		mf_json_str(j, "events_file", o->events_file);
	return j;
}

/* ---- the command ------------------------------------------------------------ */

/* What a run that could not start holds. */
static int early_end(struct live *L, int status)
{
	keylogs_free(L);
	mf_evidence_free(L->ev);
	mf_live_close(L->cap);
	live_out_close(L->out, 0);
	mf_buf_free(&L->line);
	if (L->o->events_file && L->out_fd >= 0)
		close(L->out_fd);
	mf_tokens_free(L->ctx.tokens);
	mf_keylog_free(L->ctx.keylog);
	return status;
}

static void second_tick(struct live *L)
{
	char eb[MF_ERRBUF_SIZE] = "";
	int r;

	if (L->cap && mf_live_check(L->cap, eb) != 0)
		interface_down(L, eb);
	if (L->down && L->now >= L->next_retry)
		try_reopen(L);
	update_counters(L);
	if ((r = mf_evidence_should_rotate(L->ev, L->now)) != 0)
		close_file(L, r == 1 ? "size" : "time");
	keylogs_poll(L);
	/* quiet network: time-outs (unanswered requests) still fire */
	if (L->dec)
		mf_decoder_tick(L->dec, L->now - TICK_MARGIN_NS);
	flush_events(L);
	status_line(L, 0, 0);
}

int cmd_live(int argc, char **argv)
{
	struct cli_opts o;
	struct live L;
	struct mf_evidence_opts eo;
	struct passwd *pw = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	sigset_t block, orig;
	struct sigaction sa;
	char eb[MF_ERRBUF_SIZE] = "", wb[MF_ERRBUF_SIZE] = "";
	const char *status, *why;
	char reason[MF_ERRBUF_SIZE + 64];
	cJSON *capj;
	int64_t next_sec;
	int rc, kept_raw = 0;

	rc = cli_parse(argc, argv, CLI_O_TOKENS | CLI_O_SECRETS | CLI_O_QUIET | CLI_O_LUMI |
	    CLI_O_KEYLOG | CLI_O_LIVE, "jsonl", 0, help, &o);
	if (rc)
		return rc < 0 ? MF_EXIT_OK : rc;
	if (!o.iface || !o.write_dir || o.ninputs) {
		cli_warn("live: %s", o.ninputs ? "no inputs are taken (did you mean -i or -w?)"
		    : "-i IFACE and -w DIR are needed");
		help(stderr);
		return MF_EXIT_USAGE;
	}
	if (o.nkeylogs > KEYLOGS_MAX) {
		cli_warn("live: at most %d --keylog files", KEYLOGS_MAX);
		return MF_EXIT_USAGE;
	}
	if (o.user) {
		pw = getpwnam(o.user);
		if (!pw) {
			cli_warn("-Z %s: no such user", o.user);
			return MF_EXIT_USAGE;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (geteuid() != 0) {
			cli_warn("-Z %s: only root can change user", o.user);
			return MF_EXIT_USAGE;
		}
	}

	/* from here on a stop signal is taken at the capture loop's ppoll (or
	 * the drain after it): one that comes while the folder is being made
	 * still ends the run cleanly */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;   /* no SA_RESTART: ppoll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_status;
	sigaction(SIGUSR1, &sa, NULL);
	sigdelset(&orig, SIGUSR1);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGHUP);

	memset(&L, 0, sizeof(L));
	L.o = &o;
	L.out_fd = -1;
	mf_buf_init(&L.line, 64u << 20);
	L.release_at = MF_TIME_NONE;
	L.ino_fd = -1;
	L.now = now_ns();
	L.tty = !o.quiet && isatty(2);
	mf_ctx_init(&L.ctx);
	L.ctx.show_secrets = o.show_secrets;
	L.ctx.keys_may_come = o.nkeylogs > 0;   /* else no key can come later */
	L.ctx.lim.held_wait_ns = MF_LIVE_HELD_WAIT_NS;
	if (o.lumi_password)
		snprintf(L.ctx.lumi_password, sizeof(L.ctx.lumi_password), "%s", o.lumi_password);
	if (o.ssecurity) {
		if (strlen(o.ssecurity) >= sizeof(L.ctx.ssecurity)) {
			cli_warn("--ssecurity: too long");
			return MF_EXIT_USAGE;
		}
		snprintf(L.ctx.ssecurity, sizeof(L.ctx.ssecurity), "%s", o.ssecurity);
	}
	if (cli_load_tokens(&L.ctx, &o))
		L.bad = 1;
	L.ctx.keylog = mf_keylog_new();
	if (!L.ctx.keylog) {
		cli_warn("out of memory");
		return early_end(&L, MF_EXIT_INPUT);
	}

	/* the interface first: a wrong name or filter fails before any folder
	 * is made */
	L.lo.ifname = o.iface;
	L.lo.filter = o.filter;
	L.lo.snaplen = o.snaplen;
	L.lo.buffer_bytes = o.buffer_bytes;
	L.lo.promisc = !o.no_promisc;
	L.lo.immediate = o.immediate;
	rc = mf_live_open(&L.lo, &L.cap, eb, wb);
	if (rc != 0) {
		cli_warn("%s", eb);
		mf_tokens_free(L.ctx.tokens);
		mf_keylog_free(L.ctx.keylog);
		return rc == MF_ERR_ARG ? MF_EXIT_USAGE : MF_EXIT_INPUT;
	}
	if (wb[0])
		cli_warn("%s", wb);

	if (o.events_file) {
		/* appends, never truncates */
		L.out_fd = open(o.events_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
		if (L.out_fd < 0) {
			cli_warn("--events %s: %s", o.events_file, strerror(errno));
			return early_end(&L, MF_EXIT_INPUT);
		}
	} else {
		L.out_fd = 1;
	}
	L.out = live_out_new(L.out_fd, OUT_BUFFER);
	if (!L.out) {
		cli_warn("out of memory");
		return early_end(&L, MF_EXIT_INPUT);
	}
	L.ctx.emit = emit_line;
	L.ctx.emit_arg = &L;

	memset(&eo, 0, sizeof(eo));
	eo.dir = o.write_dir;
	eo.prefix = "live";
	eo.rotate_bytes = (uint64_t)o.rotate_mb * 1000000u;
	eo.rotate_ns = o.rotate_s * MF_NS_PER_S;
	eo.max_files = (unsigned)o.max_files;
	eo.appl = "miforensics " MF_VERSION;
	eo.now_ns = L.now;
	if (o.user && (rc = user_reaches(o.write_dir, o.user, uid, gid)) != 0) {
		cli_warn("-Z %s: %s cannot be reached by %s (%s; every folder above it must be "
		    "searchable by that user)", o.user, o.write_dir, o.user, strerror(rc));
		return early_end(&L, MF_EXIT_INPUT);
	}
	capj = capture_json(&L, o.user);
	eo.capture = capj;
	rc = mf_evidence_new(&eo, &L.ev, eb);
	cJSON_Delete(capj);
	if (rc != 0) {
		cli_warn("%s", eb);
		return early_end(&L, rc == MF_ERR_ARG ? MF_EXIT_USAGE : MF_EXIT_INPUT);
	}
	set_interface(&L);
	keylogs_setup(&L);

	if (o.user) {
		char mp[4096];

		/* the folder (and the first manifest) belong to the user now */
		snprintf(mp, sizeof(mp), "%s/.manifest.reserve", o.write_dir);
		if (chown(mp, uid, gid) != 0 && errno != ENOENT)
			L.bad = 1;
		snprintf(mp, sizeof(mp), "%s/manifest.json", o.write_dir);
		if (chown(o.write_dir, uid, gid) != 0 || chown(mp, uid, gid) != 0) {
			cli_warn("-Z %s: %s: %s", o.user, o.write_dir, strerror(errno));
			L.bad = 1;
		}
		if (drop_root(o.user, uid, gid, &kept_raw) != 0) {
			mf_evidence_finish(L.ev, now_ns(), "failed", "could not drop privileges", NULL);
			return early_end(&L, MF_EXIT_INPUT);
		}
		if (!kept_raw)
			cli_warn("-Z %s: CAP_NET_RAW not kept: the interface cannot be re-opened "
			    "if it goes down", o.user);
		if (access(o.write_dir, W_OK | X_OK) != 0) {
			cli_warn("-Z %s: %s is not writable for %s (%s; every folder above it must "
			    "be searchable by that user)", o.user, o.write_dir, o.user, strerror(errno));
			return early_end(&L, MF_EXIT_INPUT);
		}
	}


	/* after the last fork and change of identity */
	if ((rc = live_out_start(L.out)) != 0) {
		cli_warn("cannot start the event writer (%s): events are written in the "
		    "capture loop", strerror(rc));
		L.bad = 1;
	}
	if (!o.quiet)
		say(&L, "live: capturing on %s into %s/ (filter: %s)", o.iface, o.write_dir,
		    o.filter ? o.filter : "default");

	next_sec = L.now + MF_NS_PER_S;
	while (!g_signal && !L.stop_io) {
		struct pollfd pfd[2];
		struct timespec to;
		int64_t wait = next_sec - L.now;
		nfds_t n = 0;
		int cap_i = -1, ino_i = -1, r;

		if (L.release_at != MF_TIME_NONE && L.release_at - L.now < wait)
			wait = L.release_at - L.now;
		if (wait < 0)
			wait = 0;
		to.tv_sec = (time_t)(wait / MF_NS_PER_S);
		to.tv_nsec = (long)(wait % MF_NS_PER_S);
		if (L.cap) {
			pfd[n].fd = mf_live_fd(L.cap);
			pfd[n].events = POLLIN;
			cap_i = (int)n++;
		}
		if (L.ino_fd >= 0) {
			pfd[n].fd = L.ino_fd;
			pfd[n].events = POLLIN;
			ino_i = (int)n++;
		}
		r = ppoll(pfd, n, &to, &orig);
		L.now = now_ns();
		if (r < 0 && errno != EINTR) {
			say(&L, "poll: %s", strerror(errno));
			L.bad = 1;
			break;
		}
		if (r > 0 && ino_i >= 0 && pfd[ino_i].revents)
			inotify_drain(&L);
		if (r > 0 && cap_i >= 0 && (pfd[cap_i].revents & (POLLERR | POLLHUP | POLLNVAL)) &&
		    L.cap && mf_live_check(L.cap, eb) != 0) {
			run_batch(&L);      /* what arrived before it went down */
			if (L.cap)
				interface_down(&L, eb);
		} else if (r > 0 && cap_i >= 0 && pfd[cap_i].revents && L.cap) {
			run_batch(&L);
			if (mf_evidence_flush(L.ev) != 0 && !L.stop_io) {
				L.stop_io = 1;
				snprintf(L.io_err, sizeof(L.io_err), "%s",
				    strerror(mf_evidence_errno(L.ev)));
			}
			release_held(&L);
			flush_events(&L);
		} else if (L.release_at != MF_TIME_NONE && L.now >= L.release_at) {
			release_held(&L);
			flush_events(&L);
		}
		if (g_status) {
			g_status = 0;
			update_counters(&L);
			status_line(&L, 0, 1);
		}
		if (L.now >= next_sec) {
			second_tick(&L);
			next_sec = L.now + MF_NS_PER_S;
		}
	}

	/* the end: nothing captured may be lost */
	if (g_signal && !L.stop_io)
		drain(&L);
	L.now = now_ns();
	if (!L.stop_io)
		keylogs_final(&L);
	close_file(&L, L.stop_io ? "write_error" : "stop");
	update_counters(&L);
	if (L.stop_io) {
		int e = mf_evidence_errno(L.ev);

		status = e == ENOSPC || e == EDQUOT ? "disk_full" : "write_error";
		snprintf(reason, sizeof(reason), "evidence could not be written: %s", L.io_err);
		why = reason;
		say(&L, "evidence writing stopped: %s; the last file ends at its last complete "
		    "packet, the run stops", L.io_err);
		L.bad = 1;
	} else if (g_signal) {
		status = "stopped";
		snprintf(reason, sizeof(reason), "signal %s", sigabbrev_np(g_signal) ?
		    sigabbrev_np(g_signal) : "?");
		why = reason;
	} else {
		status = "failed";
		why = "capture loop failed";
	}
	flush_events(&L);
	if (L.out_dropped) {
		uint64_t lines, bytes;
		int err;
		char d[200];

		live_out_stats(L.out, &lines, &bytes, &err);
		snprintf(d, sizeof(d), "%" PRIu64 " event lines (%" PRIu64 " bytes) were not "
		    "written: their reader fell behind; `analyze` on this folder gives them",
		    lines, bytes);
		mf_evidence_note(L.ev, L.now, "events_dropped", d, NULL);
	}
	if (mf_evidence_finish(L.ev, L.now, status, why, eb) != 0) {
		char *m = mf_evidence_manifest_text(L.ev, L.now);

		say(&L, "%s/manifest.json could not be written (%s); it follows here:",
		    o.write_dir, eb);
		if (m)
			fprintf(stderr, "%s\n", m);
		free(m);
		L.bad = 1;
	}
	/* the manifest is final: now the reader of the events may take its time
	 * (while it takes lines; OUT_STALL_MS without one ends the wait) */
	{
		size_t left = live_out_close(L.out, OUT_STALL_MS);

		L.out = NULL;
		if (left)
			say(&L, "the reader of the events took nothing for %d s: %zu bytes of event "
			    "lines were not written", OUT_STALL_MS / 1000, left);
	}
	if (!o.quiet) {
		uint64_t packets, bytes;
		unsigned files;

		status_line(&L, 1, 0);
		mf_evidence_totals(L.ev, &packets, &bytes, &files);
		fprintf(stderr, "%s: %" PRIu64 " packets, %" PRIu64 " bytes in %u file%s, %" PRIu64
		    " events; drops: %" PRIu64 " kernel, %" PRIu64 " interface; manifest %s/"
		    "manifest.json (%s)\n", o.iface, packets, bytes, files, files == 1 ? "" : "s",
		    L.ctx.st.events, L.cnt.kernel_drops, L.cnt.if_drops, o.write_dir, status);
	}
	keylogs_free(&L);
	mf_live_close(L.cap);
	mf_evidence_free(L.ev);
	mf_buf_free(&L.line);
	if (o.events_file && L.out_fd >= 0)
		close(L.out_fd);
	mf_tokens_free(L.ctx.tokens);
	mf_keylog_free(L.ctx.keylog);
	return L.bad ? MF_EXIT_INPUT : MF_EXIT_OK;
}
