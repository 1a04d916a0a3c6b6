/*
 * mf_evidence.c - rotating pcapng evidence files and their manifest; see
 * mf_evidence.h.
 */
#include "mf_evidence.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mf_buf.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_time.h"

#define KEYS_MAX (8u << 20)        /* key log text repeated in each new file */
#define DSB_TLS_KEYLOG 0x544c534bu /* "TLSK" */
#define MANIFEST "manifest.json"
#define MANIFEST_FORMAT "miforensics-live-evidence/1"
#define RESERVE ".manifest.reserve"
#define RESERVE_MIN (256 << 10)

enum { F_OPEN = 1, F_CLOSED, F_DELETED };

struct efile {
	unsigned seq;
	char *path, *name;
	struct mf_input in;
	int state;
	int64_t opened_ns, closed_ns, deleted_ns;
	const char *close_reason;   /* static */
	char *error;
	struct mf_pcapng_wstat st;
	struct mf_evidence_counters base, end;
	unsigned key_blocks;
};

struct mf_evidence {
	char *dir, *prefix, *appl;
	uint64_t rotate_bytes;
	int64_t rotate_ns;
	unsigned max_files;
	cJSON *capture, *log;
	int64_t started_ns, ended_ns;
	const char *status;         /* static */
	char *reason;
	struct mf_pcapng_if ifc;    /* strings owned */
	int have_if;
	struct efile **files;
	size_t nfiles, files_cap;
	unsigned on_disk;
	struct efile *cur;
	struct mf_pcapng_writer *w;
	struct mf_evidence_counters cnt, last_close;
	struct mf_buf keys;         /* every key log line so far (capped) */
	size_t open_keys_len;       /* bytes of keys in the current file's first DSB */
	uint64_t open_keys_block;
	unsigned keys_capped : 1;
	unsigned reserve_gone : 1;
	off_t reserved;             /* bytes held by RESERVE */
	int err;
	uint64_t packets_closed, bytes_closed;
};

/* "2024-05-01T09:00:01.150000000Z" */
static void iso_ns(int64_t ns, char out[64])
{
	int64_t s = ns / MF_NS_PER_S, frac = ns % MF_NS_PER_S;
	time_t t;
	struct tm tm;

	if (frac < 0) {
		frac += MF_NS_PER_S;
		s--;
	}
	t = (time_t)s;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, 64, "?");
		return;
	}
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
}

static void json_time(cJSON *o, const char *key, int64_t ns)
{
	char b[64];

	if (ns == MF_TIME_NONE) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	iso_ns(ns, b);
	mf_json_str(o, key, b);
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int mf_write_atomic(const char *dir, const char *name, const void *buf, size_t len,
                    char *errbuf)
{
	char tmp[4096], dst[4096];
	const uint8_t *p = buf;
	size_t off = 0;
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name) >= sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= sizeof(dst))
		return mf_seterr(errbuf, MF_ERR_IO, "%s: path too long", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) != 0)
		goto fail;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);    /* the rename itself made durable */
		close(fd);
	}
	return 0;
fail:
	e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	mf_seterr(errbuf, MF_ERR_IO, "%s: %s", dst, strerror(e));
	errno = e;
	return MF_ERR_IO;
}

/* ---- manifest ---------------------------------------------------------- */

static cJSON *file_json(const struct efile *f)
{
	cJSON *o = mf_json_obj(), *d;

	mf_json_u64(o, "seq", f->seq);
	mf_json_str(o, "file", f->name);
	mf_json_str(o, "state", f->state == F_OPEN ? "open" : f->state == F_CLOSED ? "closed"
	    : "deleted");
	json_time(o, "opened", f->opened_ns);
	if (f->state == F_OPEN)
		return o;
	json_time(o, "closed", f->closed_ns);
	mf_json_str(o, "close_reason", f->close_reason);
	if (f->state == F_DELETED)
		json_time(o, "deleted", f->deleted_ns);
	mf_json_u64(o, "size", f->st.size);
	mf_json_str(o, "sha256", f->st.sha256);
	mf_json_u64(o, "packets", f->st.packets);
	json_time(o, "first_packet", f->st.first_ns);
	json_time(o, "last_packet", f->st.last_ns);
	if (f->st.first_ns != MF_TIME_NONE) {
		mf_json_u64(o, "first_packet_ns", (uint64_t)f->st.first_ns);
		mf_json_u64(o, "last_packet_ns", (uint64_t)f->st.last_ns);
	}
	d = mf_json_obj();
	mf_json_u64(d, "received", f->end.recv - f->base.recv);
	mf_json_u64(d, "kernel", f->end.kernel_drops - f->base.kernel_drops);
	mf_json_u64(d, "interface", f->end.if_drops - f->base.if_drops);
	cJSON_AddItemToObject(o, "capture_counters", d);
	if (f->key_blocks)
		mf_json_u64(o, "tls_key_blocks", f->key_blocks);
	if (f->error)
		mf_json_str(o, "error", f->error);
	return o;
}

char *mf_evidence_manifest_text(struct mf_evidence *ev, int64_t now_ns)
{
	cJSON *m = mf_json_obj(), *a, *t;
	uint64_t packets = ev->packets_closed, bytes = ev->bytes_closed;
	unsigned deleted = 0;
	size_t i;
	char *s;

	if (!m)
		return NULL;
	mf_json_str(m, "format", MANIFEST_FORMAT);
	mf_json_str(m, "tool", ev->appl);
	mf_json_str(m, "status", ev->status);
	if (ev->reason)
		mf_json_str(m, "reason", ev->reason);
	json_time(m, "started", ev->started_ns);
	json_time(m, "ended", ev->ended_ns);
	json_time(m, "written", now_ns);
	if (ev->capture)
		cJSON_AddItemToObject(m, "capture", cJSON_Duplicate(ev->capture, 1));
	if (ev->w) {
		packets += mf_pcapng_writer_packets(ev->w);
		bytes += mf_pcapng_writer_size(ev->w);
	}
	for (i = 0; i < ev->nfiles; i++)
		deleted += ev->files[i]->state == F_DELETED;
	t = mf_json_obj();
	mf_json_u64(t, "files", ev->nfiles);
	mf_json_u64(t, "files_deleted", deleted);
	mf_json_u64(t, "packets", packets);
	mf_json_u64(t, "bytes", bytes);
	mf_json_u64(t, "received", ev->cnt.recv);
	mf_json_u64(t, "kernel_drops", ev->cnt.kernel_drops);
	mf_json_u64(t, "interface_drops", ev->cnt.if_drops);
	cJSON_AddItemToObject(m, "totals", t);
	if (ev->keys_capped)
		mf_json_bool(m, "tls_keys_not_repeated", 1);
	a = cJSON_CreateArray();
	for (i = 0; i < ev->nfiles; i++)
		cJSON_AddItemToArray(a, file_json(ev->files[i]));
	cJSON_AddItemToObject(m, "files", a);
	cJSON_AddItemToObject(m, "log", cJSON_Duplicate(ev->log, 1));
	s = cJSON_Print(m);
	cJSON_Delete(m);
	return s;
}

/* Disk space kept aside (a preallocated hidden file) so that the manifest
 * can still be written when the evidence filled the disk: given back on
 * ENOSPC, then the write is tried again.  Grows with the manifest. */
static void reserve_space(struct mf_evidence *ev, size_t manifest_len)
{
	char p[4096];
	off_t want = (off_t)(2 * manifest_len + RESERVE_MIN);
	int fd;

	if (ev->reserve_gone || want <= ev->reserved)
		return;
	snprintf(p, sizeof(p), "%s/%s", ev->dir, RESERVE);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (fallocate(fd, 0, 0, want) == 0 || posix_fallocate(fd, 0, want) == 0)
		ev->reserved = want;
	close(fd);
}

static void release_space(struct mf_evidence *ev)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", ev->dir, RESERVE);
	unlink(p);
	ev->reserved = 0;
}

static int write_manifest(struct mf_evidence *ev, int64_t now_ns, char *errbuf)
{
	char *s = mf_evidence_manifest_text(ev, now_ns);
	size_t n;
	int rc;

	if (!s)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	n = strlen(s);
	s[n] = '\n';    /* replaces the NUL: written with its length */
	rc = mf_write_atomic(ev->dir, MANIFEST, s, n + 1, errbuf);
	if (rc && (errno == ENOSPC || errno == EDQUOT) && ev->reserved) {
		release_space(ev);
		ev->reserve_gone = 1;    /* the disk is full: no new reserve */
		rc = mf_write_atomic(ev->dir, MANIFEST, s, n + 1, errbuf);
	}
	if (rc == 0)
		reserve_space(ev, n + 1);
	free(s);
	return rc;
}

/* ---- life cycle -------------------------------------------------------- */

int mf_evidence_new(const struct mf_evidence_opts *o, struct mf_evidence **out, char *errbuf)
{
	struct mf_evidence *ev;
	struct stat st;
	char p[4096];
	int rc;

	*out = NULL;
	if (mkdir(o->dir, 0750) != 0 && errno != EEXIST)
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", o->dir, strerror(errno));
	if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return mf_seterr(errbuf, MF_ERR_IO, "%s: not a folder", o->dir);
	snprintf(p, sizeof(p), "%s/%s", o->dir, MANIFEST);
	if (access(p, F_OK) == 0)
		return mf_seterr(errbuf, MF_ERR_ARG, "%s already holds a live capture (%s); "
		    "choose another folder", o->dir, MANIFEST);
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	ev->dir = xstrdup(o->dir);
	ev->prefix = xstrdup(o->prefix ? o->prefix : "live");
	ev->appl = xstrdup(o->appl ? o->appl : "miforensics");
	ev->rotate_bytes = o->rotate_bytes;
	ev->rotate_ns = o->rotate_ns;
	ev->max_files = o->max_files;
	ev->capture = o->capture ? cJSON_Duplicate(o->capture, 1) : NULL;
	ev->log = cJSON_CreateArray();
	ev->started_ns = o->now_ns;
	ev->ended_ns = MF_TIME_NONE;
	ev->status = "running";
	mf_buf_init(&ev->keys, KEYS_MAX);
	if (!ev->dir || !ev->prefix || !ev->appl || !ev->log || (o->capture && !ev->capture)) {
		mf_evidence_free(ev);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	rc = write_manifest(ev, o->now_ns, errbuf);
	if (rc) {
		mf_evidence_free(ev);
		return rc;
	}
	*out = ev;
	return 0;
}

static void free_if(struct mf_pcapng_if *i)
{
	free((char *)i->name);
	free((char *)i->description);
	free((char *)i->filter);
	memset(i, 0, sizeof(*i));
}

int mf_evidence_set_if(struct mf_evidence *ev, const struct mf_pcapng_if *ifc)
{
	free_if(&ev->ifc);
	ev->ifc.linktype = ifc->linktype;
	ev->ifc.snaplen = ifc->snaplen;
	ev->ifc.name = xstrdup(ifc->name);
	ev->ifc.description = xstrdup(ifc->description);
	ev->ifc.filter = xstrdup(ifc->filter);
	ev->have_if = 1;
	return (ifc->name && !ev->ifc.name) || (ifc->filter && !ev->ifc.filter) ? MF_ERR_NOMEM : 0;
}

void mf_evidence_set_counters(struct mf_evidence *ev, const struct mf_evidence_counters *c)
{
	ev->cnt = *c;
}

/* Deletes the oldest closed files so that one more fits under max_files. */
static void make_room(struct mf_evidence *ev, int64_t now_ns)
{
	size_t i;

	if (!ev->max_files)
		return;
	for (i = 0; i < ev->nfiles && ev->on_disk + 1 > ev->max_files; i++) {
		struct efile *f = ev->files[i];

		if (f->state != F_CLOSED)
			continue;
		if (unlink(f->path) != 0 && errno != ENOENT) {
			char d[512];
			cJSON *o = mf_json_obj();

			snprintf(d, sizeof(d), "%s: could not delete: %s", f->name, strerror(errno));
			json_time(o, "ts", now_ns);
			mf_json_str(o, "event", "delete_failed");
			mf_json_str(o, "detail", d);
			cJSON_AddItemToArray(ev->log, o);
			continue;
		}
		f->state = F_DELETED;
		f->deleted_ns = now_ns;
		ev->on_disk--;
	}
}

static int open_file(struct mf_evidence *ev, int64_t first_ts, int64_t now_ns, char *errbuf)
{
	struct efile *f, **nf;
	char stamp[32], name[256], comment[512];
	int64_t t = first_ts != MF_TIME_NONE ? first_ts : now_ns;
	time_t secs = (time_t)(t / MF_NS_PER_S);
	struct tm tm;
	int rc;

	if (!ev->have_if)
		return mf_seterr(errbuf, MF_ERR_ARG, "no interface");
	if (ev->nfiles == ev->files_cap) {
		size_t n = ev->files_cap ? ev->files_cap * 2 : 16;

		nf = realloc(ev->files, n * sizeof(*nf));
		if (!nf)
			return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
		ev->files = nf;
		ev->files_cap = n;
	}
	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, sizeof(name), "%s-%06zu-%s.pcapng", ev->prefix, ev->nfiles + 1, stamp);
	f = calloc(1, sizeof(*f));
	if (!f)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	f->seq = (unsigned)ev->nfiles + 1;
	f->name = strdup(name);
	f->path = malloc(strlen(ev->dir) + strlen(name) + 2);
	if (f->path)
		snprintf(f->path, strlen(ev->dir) + strlen(name) + 2, "%s/%s", ev->dir, name);
	if (!f->name || !f->path) {
		free(f->name);
		free(f->path);
		free(f);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	make_room(ev, now_ns);
	snprintf(comment, sizeof(comment), "miforensics live capture on %s, file %u",
	    ev->ifc.name ? ev->ifc.name : "?", f->seq);
	rc = mf_pcapng_writer_open(f->path, ev->appl, comment, &ev->ifc, &ev->w, errbuf);
	if (rc) {
		ev->err = errno;
		free(f->name);
		free(f->path);
		free(f);
		return rc;
	}
	f->in.path = f->path;
	f->in.name = f->name;
	f->in.source = "live";
	f->in.index = (int)f->seq - 1;
	f->state = F_OPEN;
	f->opened_ns = now_ns;
	f->closed_ns = f->deleted_ns = MF_TIME_NONE;
	f->base = ev->last_close;
	ev->files[ev->nfiles++] = f;
	ev->cur = f;
	ev->on_disk++;
	ev->open_keys_len = 0;
	if (ev->keys.len) {
		rc = mf_pcapng_write_dsb(ev->w, DSB_TLS_KEYLOG, ev->keys.data, ev->keys.len,
		    &ev->open_keys_block);
		if (rc) {
			ev->err = mf_pcapng_writer_errno(ev->w);
			return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", f->name,
			    strerror(ev->err ? ev->err : EIO));
		}
		ev->open_keys_len = ev->keys.len;
		f->key_blocks++;
	}
	return write_manifest(ev, now_ns, errbuf);
}

int mf_evidence_write(struct mf_evidence *ev, const struct mf_frame *f, int64_t now_ns,
                      int *opened, const struct mf_input **in, uint64_t *number, char *errbuf)
{
	int rc;

	*opened = 0;
	if (!ev->w) {
		rc = open_file(ev, f->ts_ns, now_ns, errbuf);
		if (!ev->w)
			return rc ? rc : MF_ERR_IO;
		*opened = 1;
		/* a manifest that could not be rewritten is not a reason to lose
		 * packets: the next rewrite catches up */
	}
	rc = mf_pcapng_write_packet(ev->w, f->ts_ns, f->data, f->caplen, f->wirelen);
	if (rc) {
		ev->err = mf_pcapng_writer_errno(ev->w);
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", ev->cur->name,
		    strerror(ev->err ? ev->err : EIO));
	}
	*in = &ev->cur->in;
	*number = mf_pcapng_writer_packets(ev->w);
	return 0;
}

static void key_origin(const struct mf_evidence *ev, uint64_t block, char *origin, size_t n)
{
	/* as cli_capture.c names a DSB found while reading a file */
	snprintf(origin, n, "%s: pcapng DSB block %llu", ev->cur->name, (unsigned long long)block);
}

int mf_evidence_opening_keys(struct mf_evidence *ev, const char **text, size_t *len,
                             char *origin, size_t origin_len)
{
	if (!ev->w || !ev->open_keys_len)
		return 0;
	*text = (const char *)ev->keys.data;
	*len = ev->open_keys_len;
	key_origin(ev, ev->open_keys_block, origin, origin_len);
	return 1;
}

int mf_evidence_keys(struct mf_evidence *ev, const char *text, size_t len, char *origin,
                     size_t origin_len)
{
	uint64_t block;
	int rc;

	if (!ev->keys_capped && mf_buf_add(&ev->keys, text, len) != 0)
		ev->keys_capped = 1;
	if (!ev->w)
		return 0;
	rc = mf_pcapng_write_dsb(ev->w, DSB_TLS_KEYLOG, text, len, &block);
	if (rc) {
		ev->err = mf_pcapng_writer_errno(ev->w);
		return rc;
	}
	ev->cur->key_blocks++;
	key_origin(ev, block, origin, origin_len);
	return 1;
}

int mf_evidence_file_open(const struct mf_evidence *ev)
{
	return ev->w != NULL;
}

int mf_evidence_should_rotate(const struct mf_evidence *ev, int64_t now_ns)
{
	if (!ev->w)
		return 0;
	if (ev->rotate_bytes && mf_pcapng_writer_size(ev->w) >= ev->rotate_bytes)
		return 1;
	return ev->rotate_ns && now_ns - ev->cur->opened_ns >= ev->rotate_ns ? 2 : 0;
}

int mf_evidence_flush(struct mf_evidence *ev)
{
	if (!ev->w)
		return 0;
	if (mf_pcapng_writer_flush(ev->w) != 0) {
		ev->err = mf_pcapng_writer_errno(ev->w);
		return MF_ERR_IO;
	}
	return 0;
}

int mf_evidence_close(struct mf_evidence *ev, const char *reason, int64_t now_ns,
                      char *errbuf)
{
	struct mf_pcapng_isb isb;
	struct efile *f = ev->cur;
	char eb[MF_ERRBUF_SIZE] = "";
	int rc, rc2;

	if (!ev->w)
		return 0;
	isb.start_ns = f->opened_ns;
	isb.end_ns = now_ns;
	isb.ifrecv = ev->cnt.recv - ev->last_close.recv;
	isb.osdrop = ev->cnt.kernel_drops - ev->last_close.kernel_drops;
	isb.ifdrop = ev->cnt.if_drops - ev->last_close.if_drops;
	isb.usrdeliv = mf_pcapng_writer_packets(ev->w);
	if (!mf_pcapng_writer_errno(ev->w))
		(void)mf_pcapng_write_isb(ev->w, &isb);
	rc = mf_pcapng_writer_close(ev->w, &f->st, eb);
	ev->w = NULL;
	ev->cur = NULL;
	if (rc) {
		f->error = strdup(eb);
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", f->name, eb);
	}
	f->state = F_CLOSED;
	f->closed_ns = now_ns;
	f->close_reason = reason;
	f->end = ev->cnt;
	ev->last_close = ev->cnt;
	ev->packets_closed += f->st.packets;
	ev->bytes_closed += f->st.size;
	rc2 = write_manifest(ev, now_ns, rc ? NULL : errbuf);
	return rc ? rc : rc2;
}

int mf_evidence_note(struct mf_evidence *ev, int64_t now_ns, const char *event,
                     const char *detail, char *errbuf)
{
	cJSON *o = mf_json_obj();

	json_time(o, "ts", now_ns);
	mf_json_str(o, "event", event);
	if (detail)
		mf_json_str(o, "detail", detail);
	cJSON_AddItemToArray(ev->log, o);
	return write_manifest(ev, now_ns, errbuf);
}

int mf_evidence_finish(struct mf_evidence *ev, int64_t now_ns, const char *status,
                       const char *reason, char *errbuf)
{
	char eb[MF_ERRBUF_SIZE] = "";
	int rc;

	rc = mf_evidence_close(ev, "stop", now_ns, eb);
	ev->status = status;
	free(ev->reason);
	ev->reason = xstrdup(reason);
	ev->ended_ns = now_ns;
	if (write_manifest(ev, now_ns, errbuf) != 0)
		return MF_ERR_IO;
	if (rc)
		mf_seterr(errbuf, rc, "%s", eb);
	return rc;
}

int mf_evidence_errno(const struct mf_evidence *ev)
{
	return ev->err;
}

void mf_evidence_totals(const struct mf_evidence *ev, uint64_t *packets, uint64_t *bytes,
                        unsigned *files)
{
	*packets = ev->packets_closed + (ev->w ? mf_pcapng_writer_packets(ev->w) : 0);
	*bytes = ev->bytes_closed + (ev->w ? mf_pcapng_writer_size(ev->w) : 0);
	*files = (unsigned)ev->nfiles;
}

void mf_evidence_free(struct mf_evidence *ev)
{
	size_t i;

	if (!ev)
		return;
	if (ev->w)
		mf_pcapng_writer_close(ev->w, NULL, NULL);
	if (ev->reserved)
		release_space(ev);
	for (i = 0; i < ev->nfiles; i++) {
		free(ev->files[i]->path);
		free(ev->files[i]->name);
		free(ev->files[i]->error);
		free(ev->files[i]);
	}
	free(ev->files);
	free_if(&ev->ifc);
	cJSON_Delete(ev->capture);
	cJSON_Delete(ev->log);
	mf_buf_free(&ev->keys);
	free(ev->dir);
	free(ev->prefix);
	free(ev->appl);
	free(ev->reason);
	free(ev);
}
