/*
 * mf_source.c - raw file/memory bytes (hashed as read) and optional gzip
 * inflation; see mf_source.h.
 *
 * Reference: RFC 1952 (gzip), zlib manual (inflateInit2 with 16+MAX_WBITS
 * accepts only the gzip wrapper; a gzip file may hold several members one
 * after the other, gzip(1) decodes them all and ignores trailing garbage).
 *
 *   gzip member:  1f 8b | CM=8 | FLG | MTIME(4) | XFL | OS | [extra fields]
 *                 | deflate data | CRC32(4) | ISIZE(4)
 */
#define ZLIB_CONST
#include "mf_source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "mf_codec.h"
#include "mf_err.h"

#define SRC_IBUF (64u * 1024u)
#define SRC_OBUF (64u * 1024u)

struct mf_src {
	/* raw layer */
	int fd;                     /* -1 for memory */
	const uint8_t *mem;
	size_t mem_len, mem_pos;
	uint8_t *ibuf;              /* file reads land here; NULL for memory */
	const uint8_t *in;          /* raw bytes hashed but not yet used */
	size_t in_len;
	int raw_eof, raw_err;
	uint64_t raw_read;
	struct mf_sha256_ctx *sha;

	/* gzip */
	int gz, z_live, z_between;  /* z_between: the last member ended */
	uint64_t members;           /* complete members so far */
	int garbage;
	z_stream z;

	/* logical layer */
	uint8_t *obuf;
	size_t o_pos, o_len;
	int eof;
	uint64_t pos;
	int err;                    /* sticky */
	char errmsg[MF_ERRBUF_SIZE];
};

static int fail(struct mf_src *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct mf_src *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	s->err = err;
	return err;
}

static struct mf_src *src_new(char *errbuf)
{
	struct mf_src *s = calloc(1, sizeof(*s));

	if (!s) {
		mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->obuf = malloc(SRC_OBUF);
	s->sha = mf_sha256_new();
	if (!s->obuf || !s->sha) {
		mf_src_close(s, NULL, NULL);
		mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return s;
}

int mf_src_open_file(const char *path, struct mf_src **out, char *errbuf)
{
	struct mf_src *s;
	struct stat st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
	/* A folder is a valid input of another kind (phone extraction), not a
	 * broken capture. */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not a pcap/pcapng capture (a directory)",
		    path);
	}
	s = src_new(errbuf);
	if (!s) {
		close(fd);
		return MF_ERR_NOMEM;
	}
	s->fd = fd;
	s->ibuf = malloc(SRC_IBUF);
	if (!s->ibuf) {
		mf_src_close(s, NULL, NULL);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	*out = s;
	return 0;
}

int mf_src_open_mem(const uint8_t *buf, size_t len, struct mf_src **out, char *errbuf)
{
	struct mf_src *s;

	*out = NULL;
	s = src_new(errbuf);
	if (!s)
		return MF_ERR_NOMEM;
	s->mem = buf;
	s->mem_len = buf ? len : 0;
	*out = s;
	return 0;
}

/* Next raw chunk into in/in_len (which must be empty); sets raw_eof at the
 * end.  The chunk is hashed here and only here. */
static int raw_more(struct mf_src *s)
{
	if (s->raw_err)
		return s->raw_err;
	if (s->raw_eof)
		return 0;
	if (s->fd < 0) {
		size_t n = s->mem_len - s->mem_pos;

		if (n == 0) {
			s->raw_eof = 1;
			return 0;
		}
		if (n > SRC_IBUF)
			n = SRC_IBUF;
		s->in = s->mem + s->mem_pos;
		s->in_len = n;
		s->mem_pos += n;
	} else {
		ssize_t r;

		do
			r = read(s->fd, s->ibuf, SRC_IBUF);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			s->raw_err = MF_ERR_IO;
			return fail(s, MF_ERR_IO, "read: %s", strerror(errno));
		}
		if (r == 0) {
			s->raw_eof = 1;
			return 0;
		}
		s->in = s->ibuf;
		s->in_len = (size_t)r;
	}
	mf_sha256_update(s->sha, s->in, s->in_len);
	s->raw_read += s->in_len;
	return 0;
}

int mf_src_detect_gzip(struct mf_src *s, char *errbuf)
{
	int rc;

	/* One raw chunk is enough: it holds the whole file or >= 2 bytes. */
	rc = raw_more(s);
	if (rc)
		return mf_seterr(errbuf, rc, "%s", s->errmsg);
	if (s->in_len < 2 || s->in[0] != 0x1f || s->in[1] != 0x8b)
		return 0;
	memset(&s->z, 0, sizeof(s->z));
	rc = inflateInit2(&s->z, 16 + MAX_WBITS);
	if (rc != Z_OK)
		return mf_seterr(errbuf, rc == Z_MEM_ERROR ? MF_ERR_NOMEM : MF_ERR_IO,
		    "inflateInit2 failed (%d)", rc);
	s->z_live = 1;
	s->gz = 1;
	/* From now on raw bytes are handed to zlib as soon as they arrive. */
	s->z.next_in = s->in;
	s->z.avail_in = (uInt)s->in_len;
	s->in_len = 0;
	return 0;
}

int mf_src_compressed(const struct mf_src *s)
{
	return s->gz;
}

/* Inflates into obuf[o_len..] until at least one byte came out, the stream
 * ended, or an error. */
static int inflate_more(struct mf_src *s)
{
	size_t space = SRC_OBUF - s->o_len;
	size_t produced;
	int ret, rc;

	s->z.next_out = s->obuf + s->o_len;
	s->z.avail_out = (uInt)space;
	for (;;) {
		if (s->z.avail_in == 0) {
			rc = raw_more(s);
			if (rc)
				return rc;
			if (s->raw_eof && s->in_len == 0) {
				if (s->z_between) {
					s->eof = 1;
					return 0;
				}
				return fail(s, MF_ERR_TRUNC, "gzip data ends inside a member"
				    " (after %llu compressed bytes)", (unsigned long long)s->raw_read);
			}
			s->z.next_in = s->in;
			s->z.avail_in = (uInt)s->in_len;
			s->in_len = 0;
		}
		if (s->z_between) {
			if (inflateReset(&s->z) != Z_OK)
				return fail(s, MF_ERR_FORMAT, "inflateReset failed");
			s->z_between = 0;
		}
		ret = inflate(&s->z, Z_NO_FLUSH);
		/* Keep what came out even when an error follows (a bad CRC is
		 * only seen after the data): it is delivered, then the error. */
		produced = space - s->z.avail_out;
		s->o_len += produced;
		space -= produced;
		switch (ret) {
		case Z_STREAM_END:
			s->z_between = 1;
			s->members++;
			break;
		case Z_OK:
		case Z_BUF_ERROR:       /* no progress: needs input, loop fetches it */
			break;
		case Z_MEM_ERROR:
			return fail(s, MF_ERR_NOMEM, "inflate: out of memory");
		case Z_DATA_ERROR:
			/* Bytes after a complete member that do not even form a gzip
			 * header: gzip(1)'s "trailing garbage", not damaged data. */
			if (s->members > 0 && s->z.total_out == 0 && s->z.total_in <= 10) {
				s->garbage = 1;
				s->eof = 1;
				return 0;
			}
			return fail(s, MF_ERR_FORMAT, "gzip data corrupt: %s",
			    s->z.msg ? s->z.msg : "data error");
		default:
			return fail(s, MF_ERR_FORMAT, "inflate failed (%d)", ret);
		}
		if (produced > 0)
			return 0;
	}
}

/* Appends at least one byte to obuf unless at the end; obuf must have room. */
static int fill(struct mf_src *s)
{
	size_t n;
	int rc;

	if (s->err)
		return s->err;
	if (s->eof)
		return 0;
	if (s->o_pos > 0) {
		memmove(s->obuf, s->obuf + s->o_pos, s->o_len - s->o_pos);
		s->o_len -= s->o_pos;
		s->o_pos = 0;
	}
	if (s->gz)
		return inflate_more(s);
	if (s->in_len == 0) {
		rc = raw_more(s);
		if (rc)
			return rc;
		if (s->raw_eof) {
			s->eof = 1;
			return 0;
		}
	}
	n = SRC_OBUF - s->o_len;
	if (n > s->in_len)
		n = s->in_len;
	memcpy(s->obuf + s->o_len, s->in, n);
	s->in += n;
	s->in_len -= n;
	s->o_len += n;
	return 0;
}

int mf_src_peek(struct mf_src *s, size_t want, const uint8_t **p, size_t *got, char *errbuf)
{
	int rc;

	if (want > MF_SRC_PEEK_MAX)
		want = MF_SRC_PEEK_MAX;
	while (s->o_len - s->o_pos < want && !s->eof) {
		size_t before = s->o_len - s->o_pos;

		rc = fill(s);
		if (rc) {
			*p = s->obuf + s->o_pos;
			*got = s->o_len - s->o_pos;
			if (*got >= want) {
				*got = want;
				return 0;
			}
			return mf_seterr(errbuf, rc, "%s", s->errmsg);
		}
		if (s->o_len - s->o_pos == before && !s->eof)
			break;  /* cannot happen: fill made no progress */
	}
	*p = s->obuf + s->o_pos;
	*got = s->o_len - s->o_pos;
	if (*got > want)
		*got = want;
	return 0;
}

int mf_src_read(struct mf_src *s, void *dst, size_t n, size_t *got, char *errbuf)
{
	uint8_t *d = dst;
	size_t done = 0, k;
	int rc = 0;

	while (done < n) {
		if (s->o_pos == s->o_len) {
			if (rc)
				break;
			s->o_pos = s->o_len = 0;
			rc = fill(s);       /* may bring data and an error together */
			if (s->o_len == 0)
				break;
		}
		k = s->o_len - s->o_pos;
		if (k > n - done)
			k = n - done;
		memcpy(d + done, s->obuf + s->o_pos, k);
		s->o_pos += k;
		done += k;
	}
	s->pos += done;
	*got = done;
	/* A request met in full succeeds; a pending error is sticky and comes
	 * back with the next read. */
	if (rc && done < n)
		return mf_seterr(errbuf, rc, "%s", s->errmsg);
	return 0;
}

uint64_t mf_src_pos(const struct mf_src *s)
{
	return s->pos;
}

uint64_t mf_src_raw_read(const struct mf_src *s)
{
	return s->raw_read;
}

int mf_src_trailing_garbage(const struct mf_src *s)
{
	return s->garbage;
}

void mf_src_close(struct mf_src *s, char sha256_hex[65], uint64_t *size)
{
	if (sha256_hex)
		sha256_hex[0] = '\0';
	if (size)
		*size = 0;
	if (!s)
		return;
	if (s->sha) {
		/* The digest is of the file as stored, so read what the parser
		 * did not need (in/in_len and z.avail_in were hashed already). */
		while (!s->raw_eof && !s->raw_err) {
			s->in_len = 0;
			if (raw_more(s))
				break;
		}
		if (sha256_hex && !s->raw_err)
			mf_sha256_final_hex(s->sha, sha256_hex);
		mf_sha256_free(s->sha);
	}
	if (size)
		*size = s->raw_read;
	if (s->z_live)
		inflateEnd(&s->z);
	if (s->fd >= 0)
		close(s->fd);
	free(s->ibuf);
	free(s->obuf);
	free(s);
}
