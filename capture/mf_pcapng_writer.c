/*
 * mf_pcapng_writer.c - see mf_pcapng_writer.h.
 *
 * Reference: draft-ietf-opsawg-pcapng (sections 4.1 SHB, 4.2 IDB, 4.3 EPB,
 * 4.6 ISB, 4.7 DSB).  Every block:
 *
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |  header + body + 4
 *   /                          Block Body                           /  padded to 4
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * Options: code u16, length u16, value padded to 4; opt_endofopt (0, 0)
 * ends the list.  Times in EPB/ISB are one u64 split high/low, here in
 * nanoseconds (if_tsresol 9).
 */
#include "mf_pcapng_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_time.h"

#define BUF_SIZE (1u << 20)
#define RESERVE_CHUNK (4u << 20)  /* disk space claimed ahead (fallocate) */
#define SLACK 512u                /* kept free for the closing ISB */
#define BLOCK_MAX (64u << 20)     /* a DSB larger than this is refused */

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BT_DSB 0x0000000Au

struct mf_pcapng_writer {
	int fd;
	int err;                    /* errno of the failed write, sticky */
	int full;                   /* no space for another block (ENOSPC) */
	int noprealloc;             /* the file system has no fallocate */
	uint64_t reserved;          /* bytes claimed with fallocate */
	uint8_t *buf;
	size_t len;
	struct mf_sha256_ctx *sha;
	/* on disk */
	struct mf_pcapng_wstat disk;
	/* in buf, not yet on disk */
	uint64_t pend_packets, pend_blocks;
	int64_t pend_first, pend_last;
	uint64_t blocks;            /* written + buffered */
};

/* ---- little-endian block building into a caller's scratch ---------- */

struct blk {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct blk *b, const void *v, size_t n)
{
	if (n <= b->cap - b->len)
		memcpy(b->p + b->len, v, n);
	b->len += n;     /* an overflow is caught by the caller's size check */
}

static void put16(struct blk *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static void put32(struct blk *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, x, 4);
}

static void put64(struct blk *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void pad4(struct blk *b)
{
	static const uint8_t z[4];

	put(b, z, (4 - (b->len & 3)) & 3);
}

static void opt(struct blk *b, uint16_t code, const void *v, size_t n)
{
	put16(b, code);
	put16(b, (uint16_t)n);
	put(b, v, n);
	pad4(b);
}

static void opt_str(struct blk *b, uint16_t code, const char *s)
{
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	if (n > 0xfff0)
		n = 0xfff0;
	opt(b, code, s, n);
}

static void opt64(struct blk *b, uint16_t code, uint64_t v)
{
	if (v == UINT64_MAX)
		return;
	put16(b, code);
	put16(b, 8);
	put64(b, v);
}

static void opt_ts(struct blk *b, uint16_t code, int64_t ns)
{
	if (ns == MF_TIME_NONE || ns < 0)
		return;
	put16(b, code);
	put16(b, 8);
	put32(b, (uint32_t)((uint64_t)ns >> 32));
	put32(b, (uint32_t)(uint64_t)ns);
}

/* Starts a block: type and a length placeholder. */
static void blk_begin(struct blk *b, uint32_t type)
{
	b->len = 0;
	put32(b, type);
	put32(b, 0);
}

/* Ends a block: trailing length, patched into the header. */
static size_t blk_end(struct blk *b)
{
	size_t total = b->len + 4;

	put32(b, (uint32_t)total);
	if (b->len <= b->cap) {
		b->p[4] = (uint8_t)total;
		b->p[5] = (uint8_t)(total >> 8);
		b->p[6] = (uint8_t)(total >> 16);
		b->p[7] = (uint8_t)(total >> 24);
	}
	return b->len;
}

/* ---- writing ---------------------------------------------------------- */

/* Writes p[0..n) at the end of the file.  On failure the file is cut back
 * to what was complete before, and the writer refuses further writes. */
static int commit(struct mf_pcapng_writer *w, const uint8_t *p, size_t n)
{
	size_t off = 0;

	if (w->err)
		return MF_ERR_IO;
	while (off < n) {
		ssize_t r = write(w->fd, p + off, n - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			w->err = r < 0 ? errno : EIO;
			if (ftruncate(w->fd, (off_t)w->disk.size) == 0)
				(void)lseek(w->fd, (off_t)w->disk.size, SEEK_SET);
			return MF_ERR_IO;
		}
		off += (size_t)r;
	}
	mf_sha256_update(w->sha, p, n);
	w->disk.size += n;
	return 0;
}

int mf_pcapng_writer_flush(struct mf_pcapng_writer *w)
{
	int rc;

	if (!w)
		return 0;
	if (w->len == 0)
		return w->err ? MF_ERR_IO : 0;
	rc = commit(w, w->buf, w->len);
	if (rc == 0) {
		w->disk.packets += w->pend_packets;
		w->disk.blocks += w->pend_blocks;
		if (w->pend_packets) {
			if (w->disk.first_ns == MF_TIME_NONE)
				w->disk.first_ns = w->pend_first;
			w->disk.last_ns = w->pend_last;
		}
	}
	w->len = 0;
	w->pend_packets = w->pend_blocks = 0;
	w->pend_first = w->pend_last = MF_TIME_NONE;
	return rc;
}

/* Claims disk space for the file to reach `total` bytes (plus the closing
 * ISB) before a block is accepted, so that a full disk refuses the block
 * that does not fit instead of failing a later write of blocks already
 * accepted (and already decoded by the caller). */
static int reserve(struct mf_pcapng_writer *w, uint64_t total)
{
	uint64_t need = total + SLACK, len;

	if (w->noprealloc || need <= w->reserved)
		return 0;
	len = need - w->reserved;
	if (len < RESERVE_CHUNK)
		len = RESERVE_CHUNK;
	if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)w->reserved, (off_t)len) == 0) {
		w->reserved += len;
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL || errno == ENODEV) {
		w->noprealloc = 1;
		return 0;
	}
	if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) {
		/* the last bit of space: exactly what this block needs */
		len = need - w->reserved;
		if (fallocate(w->fd, FALLOC_FL_KEEP_SIZE, (off_t)w->reserved, (off_t)len) == 0) {
			w->reserved += len;
			return 0;
		}
	}
	w->full = errno ? errno : ENOSPC;
	return MF_ERR_IO;
}

/* May a new block of n bytes be accepted? */
static int accept_block(struct mf_pcapng_writer *w, size_t n)
{
	if (w->err || w->full)
		return MF_ERR_IO;
	return reserve(w, w->disk.size + w->len + n);
}

/* Room for n more bytes in buf (flushing first when needed). */
static int room(struct mf_pcapng_writer *w, size_t n)
{
	if (w->err)
		return MF_ERR_IO;
	if (n > BUF_SIZE - w->len)
		return mf_pcapng_writer_flush(w);
	return 0;
}

/* A block built outside buf (large, rare): goes straight to the file. */
static int write_block(struct mf_pcapng_writer *w, const struct blk *b)
{
	int rc;

	if (b->len <= BUF_SIZE) {
		if ((rc = room(w, b->len)) != 0)
			return rc;
		memcpy(w->buf + w->len, b->p, b->len);
		w->len += b->len;
		w->pend_blocks++;
		w->blocks++;
		return 0;
	}
	if ((rc = mf_pcapng_writer_flush(w)) != 0)
		return rc;
	if ((rc = commit(w, b->p, b->len)) != 0)
		return rc;
	w->disk.blocks++;
	w->blocks++;
	return 0;
}

int mf_pcapng_writer_open(const char *path, const char *appl, const char *comment,
                          const struct mf_pcapng_if *ifc, struct mf_pcapng_writer **out,
                          char *errbuf)
{
	struct mf_pcapng_writer *w;
	uint8_t scratch[8192];
	struct blk b = { scratch, 0, sizeof(scratch) };
	int rc;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->buf = malloc(BUF_SIZE)) || !(w->sha = mf_sha256_new())) {
		if (w) {
			free(w->buf);
			free(w);
		}
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	w->disk.first_ns = w->disk.last_ns = MF_TIME_NONE;
	w->pend_first = w->pend_last = MF_TIME_NONE;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		rc = errno;
		mf_sha256_free(w->sha);
		free(w->buf);
		free(w);
		errno = rc;
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", path, strerror(rc));
	}
	/* SHB: byte-order magic, version 1.0, section length unknown (-1) */
	blk_begin(&b, BT_SHB);
	put32(&b, 0x1A2B3C4Du);
	put16(&b, 1);
	put16(&b, 0);
	put64(&b, UINT64_MAX);
	opt_str(&b, 1, comment);           /* opt_comment */
	opt_str(&b, 4, appl);              /* shb_userappl */
	put32(&b, 0);                      /* opt_endofopt */
	blk_end(&b);
	rc = b.len <= b.cap ? write_block(w, &b) : MF_ERR_ARG;
	/* IDB */
	if (rc == 0) {
		uint8_t res = 9;                   /* 10^-9 s */

		blk_begin(&b, BT_IDB);
		put16(&b, (uint16_t)ifc->linktype);
		put16(&b, 0);
		put32(&b, ifc->snaplen);
		opt_str(&b, 2, ifc->name);         /* if_name */
		opt_str(&b, 3, ifc->description);  /* if_description */
		opt(&b, 9, &res, 1);               /* if_tsresol */
		if (ifc->filter) {                 /* if_filter: type 0 = libpcap string */
			size_t n = strlen(ifc->filter);

			if (n > 4000)
				n = 4000;
			put16(&b, 11);
			put16(&b, (uint16_t)(n + 1));
			put(&b, "", 1);
			put(&b, ifc->filter, n);
			pad4(&b);
		}
		put32(&b, 0);
		blk_end(&b);
		rc = b.len <= b.cap ? write_block(w, &b) : MF_ERR_ARG;
	}
	if (rc == 0)
		rc = mf_pcapng_writer_flush(w);
	if (rc != 0) {
		int e = w->err ? w->err : EINVAL;

		close(w->fd);
		unlink(path);
		mf_sha256_free(w->sha);
		free(w->buf);
		free(w);
		errno = e;
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", path, strerror(e));
	}
	*out = w;
	return 0;
}

int mf_pcapng_write_packet(struct mf_pcapng_writer *w, int64_t ts_ns, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen)
{
	size_t padded = ((size_t)caplen + 3) & ~(size_t)3;
	size_t total = 28 + padded + 4;
	uint64_t t = ts_ns < 0 ? 0 : (uint64_t)ts_ns;
	struct blk b;
	int rc;

	if (total > BUF_SIZE)
		return MF_ERR_ARG;
	if ((rc = accept_block(w, total)) != 0 || (rc = room(w, total)) != 0)
		return rc;
	b.p = w->buf + w->len;
	b.cap = BUF_SIZE - w->len;
	blk_begin(&b, BT_EPB);
	put32(&b, 0);                       /* interface 0 */
	put32(&b, (uint32_t)(t >> 32));
	put32(&b, (uint32_t)t);
	put32(&b, caplen);
	put32(&b, wirelen);
	put(&b, data, caplen);
	pad4(&b);
	blk_end(&b);
	w->len += b.len;
	w->pend_blocks++;
	w->blocks++;
	if (w->pend_packets++ == 0)
		w->pend_first = ts_ns;
	w->pend_last = ts_ns;
	return 0;
}

int mf_pcapng_write_dsb(struct mf_pcapng_writer *w, uint32_t secrets_type, const void *data,
                        size_t len, uint64_t *block_no)
{
	struct blk b;
	int rc;

	if (len > BLOCK_MAX)
		return MF_ERR_ARG;
	if ((rc = accept_block(w, 8 + 8 + len + 3 + 4)) != 0)
		return rc;
	b.cap = 8 + 8 + len + 3 + 4 + 4;
	b.p = malloc(b.cap);
	if (!b.p)
		return MF_ERR_NOMEM;
	blk_begin(&b, BT_DSB);
	put32(&b, secrets_type);
	put32(&b, (uint32_t)len);
	put(&b, data, len);
	pad4(&b);
	blk_end(&b);
	rc = write_block(w, &b);
	free(b.p);
	if (rc == 0 && block_no)
		*block_no = w->blocks;
	return rc;
}

int mf_pcapng_write_isb(struct mf_pcapng_writer *w, const struct mf_pcapng_isb *s)
{
	uint8_t scratch[256];
	struct blk b = { scratch, 0, sizeof(scratch) };
	uint64_t t = s->end_ns == MF_TIME_NONE || s->end_ns < 0 ? 0 : (uint64_t)s->end_ns;

	blk_begin(&b, BT_ISB);
	put32(&b, 0);
	put32(&b, (uint32_t)(t >> 32));
	put32(&b, (uint32_t)t);
	opt_ts(&b, 2, s->start_ns);        /* isb_starttime */
	opt_ts(&b, 3, s->end_ns);          /* isb_endtime */
	opt64(&b, 4, s->ifrecv);           /* isb_ifrecv */
	opt64(&b, 5, s->ifdrop);           /* isb_ifdrop */
	opt64(&b, 7, s->osdrop);           /* isb_osdrop */
	opt64(&b, 8, s->usrdeliv);         /* isb_usrdeliv */
	put32(&b, 0);
	blk_end(&b);
	return write_block(w, &b);
}

uint64_t mf_pcapng_writer_size(const struct mf_pcapng_writer *w)
{
	return w->disk.size + w->len;
}

uint64_t mf_pcapng_writer_packets(const struct mf_pcapng_writer *w)
{
	return w->disk.packets + w->pend_packets;
}

int mf_pcapng_writer_errno(const struct mf_pcapng_writer *w)
{
	return !w ? 0 : w->err ? w->err : w->full;
}

int mf_pcapng_writer_close(struct mf_pcapng_writer *w, struct mf_pcapng_wstat *st,
                           char *errbuf)
{
	int rc = 0;

	if (!w)
		return 0;
	if (mf_pcapng_writer_flush(w) != 0)
		rc = MF_ERR_IO;
	/* give back the space claimed ahead and not used */
	if (w->reserved > w->disk.size &&
	    fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)w->disk.size,
	    (off_t)(w->reserved - w->disk.size)) != 0 &&
	    ftruncate(w->fd, (off_t)w->disk.size) != 0 && !w->err) {
		w->err = errno;
		rc = MF_ERR_IO;
	}
	if (w->full && !rc)
		rc = MF_ERR_IO;
	if (fsync(w->fd) != 0 && errno != EINVAL && !w->err) {
		w->err = errno;
		rc = MF_ERR_IO;
	}
	if (close(w->fd) != 0 && !w->err) {
		w->err = errno;
		rc = MF_ERR_IO;
	}
	mf_sha256_final_hex(w->sha, w->disk.sha256);
	if (rc)
		mf_seterr(errbuf, MF_ERR_IO, "%s", strerror(w->err ? w->err : w->full ? w->full
		    : EIO));
	if (st)
		*st = w->disk;
	mf_sha256_free(w->sha);
	free(w->buf);
	free(w);
	return rc;
}
