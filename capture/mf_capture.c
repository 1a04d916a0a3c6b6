/*
 * mf_capture.c - the capture reader handle: content detection, classic
 * pcap through libpcap, pcapng through mf_pcapng.c; see mf_capture.h.
 *
 * Reference: draft-ietf-opsawg-pcap (classic format), pcap-savefile(5),
 * pcap-linktype(7).  Classic pcap file header (either byte order, told by
 * the magic):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |  magic a1b2c3d4 (us) / a1b23c4d (ns) / a1b2cd34 (Kuznetzov)   |
 *   +-------------------------------+-------------------------------+
 *   |        major (2)              |        minor (4)              |
 *   +-------------------------------+-------------------------------+
 *   |                  thiszone (unused), sigfigs                   |  8 bytes
 *   +---------------------------------------------------------------+
 *   |                           snaplen                             |
 *   +-----+---------------------------------------------------------+
 *   | FCS |                  link type (LINKTYPE_*, 26 bits)        |  offset 20
 *   +-----+---------------------------------------------------------+
 *   then records: ts sec u32, ts us/ns u32, caplen u32, wirelen u32, data
 *
 * Detection (first bytes of the possibly inflated stream):
 *   1f 8b                       gzip, look again inside
 *   d4c3b2a1 4d3cb2a1 34cdb2a1  pcap little-endian (us, ns, Kuznetzov)
 *   a1b2c3d4 a1b23c4d a1b2cd34  pcap big-endian
 *   0a0d0d0a                    pcapng
 *
 * libpcap reads from a FILE* made with fopencookie() over mf_src, so gzip,
 * memory and hashing are the same for both formats.  The FILE is unbuffered:
 * every fread goes straight to the source (which buffers itself), so the
 * source position is exactly libpcap's position (mf_cap_offset).
 */
#include "mf_capture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mf_cap_int.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_pcapng.h"
#include "mf_source.h"
#include "mf_time.h"

struct mf_cap {
	struct mf_ctx *ctx;             /* borrowed, may be NULL */
	struct mf_input *in;            /* borrowed */
	struct mf_src *src;             /* owned */
	int format;
	mf_cap_secret_fn secret_fn;
	void *secret_arg;
	uint64_t offset;

	/* classic pcap */
	pcap_t *pcap;
	FILE *fp;               /* libpcap's stream over src (owned by pcap) */
	uint32_t linktype;
	unsigned rec_hdr;               /* record header size: 16, Kuznetzov 24 */
	uint64_t packets;
	int ck_err;                     /* source error seen inside libpcap's fread */
	char ck_msg[MF_ERRBUF_SIZE];

	struct mf_pcapng *ng;

	int end;                        /* sticky result once reading stopped */
	char endmsg[MF_ERRBUF_SIZE];
	uint64_t anomalies, suppressed;
};

int mf_cap_anomaly(struct mf_cap *c, int64_t ts_ns, uint64_t frame_no, uint64_t block_no,
                   uint64_t offset, const char *reason, const char *fmt, ...)
{
	struct mf_event *ev;
	char detail[512];
	va_list ap;
	cJSON *o;

	if (!c->ctx)
		return 0;
	if (c->anomalies >= MF_CAP_ANOM_MAX) {
		c->suppressed++;
		return 0;
	}
	c->anomalies++;
	ev = mf_event_new(ts_ns, c->in && c->in->source ? c->in->source : "pcap", "capture",
	    "anomaly");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "reason", reason);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	mf_event_str(ev, "detail", detail);
	o = mf_json_obj();
	if (o) {
		mf_json_str(o, "file", c->in->name);
		if (frame_no)
			mf_json_u64(o, "frame", frame_no);
		if (block_no)
			mf_json_u64(o, "block", block_no);
		mf_json_u64(o, "offset", offset);
	}
	mf_event_add(ev, "evidence", o);
	return mf_emit(c->ctx, ev);
}

void mf_cap_secret(struct mf_cap *c, uint32_t secrets_type, const uint8_t *data, size_t len,
                   uint64_t block_no)
{
	if (c->secret_fn)
		c->secret_fn(c->secret_arg, secrets_type, data, len, c->in, block_no);
}

/* ---- libpcap over the source ---------------------------------------- */

static ssize_t ck_read(void *cookie, char *buf, size_t size)
{
	struct mf_cap *c = cookie;
	size_t got;
	int rc;

	if (c->ck_err) {
		errno = EIO;
		return -1;
	}
	rc = mf_src_read(c->src, buf, size, &got, c->ck_msg);
	if (rc) {
		/* Deliver what came before the error; the next call fails. */
		c->ck_err = rc;
		if (got)
			return (ssize_t)got;
		errno = EIO;
		return -1;
	}
	return (ssize_t)got;
}

static int ck_close(void *cookie)
{
	return 0;   /* the source belongs to the mf_cap, not to the FILE */
}

/* libpcap reports errors as text only; a short read inside a record is the
 * "truncated dump file; ..." family. */
static int pcap_err_code(const struct mf_cap *c, const char *msg)
{
	if (c->ck_err)
		return c->ck_err;
	return strstr(msg, "truncated") ? MF_ERR_TRUNC : MF_ERR_FORMAT;
}

static int lp_open(struct mf_cap *c, char *errbuf)
{
	cookie_io_functions_t fns = { .read = ck_read, .write = NULL, .seek = NULL,
	                              .close = ck_close };
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *fp;

	fp = fopencookie(c, "r", fns);
	if (!fp)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "fopencookie failed");
	/* A real stdio buffer: unbuffered, every fread of libpcap became
	 * several cookie calls and reading cost 40% of the run.  The consumed
	 * position is still exact: see logical_pos(). */
	setvbuf(fp, NULL, _IOFBF, 1 << 18);
	c->fp = fp;
	c->pcap = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!c->pcap) {
		fclose(fp);     /* on failure libpcap leaves the FILE to us */
		if (c->ck_err)
			return mf_seterr(errbuf, c->ck_err, "%s", c->ck_msg);
		return mf_seterr(errbuf, pcap_err_code(c, perr), "pcap: %s", perr);
	}
	return 0;
}

/* Logical bytes libpcap has consumed: what the source delivered minus what
 * still sits unread in the FILE buffer (glibc's read pointers). */
static uint64_t logical_pos(const struct mf_cap *c)
{
	uint64_t pos = mf_src_pos(c->src);

	if (c->fp && c->fp->_IO_read_end >= c->fp->_IO_read_ptr)
		pos -= (uint64_t)(c->fp->_IO_read_end - c->fp->_IO_read_ptr);
	return pos;
}

static int lp_next(struct mf_cap *c, struct mf_frame *f, char *errbuf)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	c->offset = logical_pos(c);
	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 1) {
		uint64_t used = logical_pos(c) - c->offset;

		c->packets++;
		/* libpcap silently cuts a record longer than the file's snaplen
		 * to the snaplen; the bytes it consumed tell. */
		if (used > (uint64_t)c->rec_hdr + h->caplen)
			mf_cap_anomaly(c, (int64_t)(uint32_t)h->ts.tv_sec * MF_NS_PER_S +
			    (int64_t)h->ts.tv_usec, c->packets, 0, c->offset, "pcap_record_cut",
			    "record holds %llu captured bytes, libpcap kept the snaplen %u",
			    (unsigned long long)(used - c->rec_hdr), h->caplen);
		memset(f, 0, sizeof(*f));
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		/* The file's seconds are u32; libpcap hands them over signed.
		 * With NANO precision tv_usec holds nanoseconds. */
		f->ts_ns = (int64_t)(uint32_t)h->ts.tv_sec * MF_NS_PER_S + (int64_t)h->ts.tv_usec;
		f->linktype = c->linktype;
		f->ifindex = 0;
		f->number = c->packets;
		return 0;
	}
	if (c->ck_err)
		return mf_seterr(errbuf, c->ck_err, "after frame %llu: %s",
		    (unsigned long long)c->packets, c->ck_msg);
	if (rc == PCAP_ERROR_BREAK)     /* savefile: no more packets */
		return mf_seterr(errbuf, MF_ERR_EOF, "end of capture");
	return mf_seterr(errbuf, pcap_err_code(c, pcap_geterr(c->pcap)), "after frame %llu: %s",
	    (unsigned long long)c->packets, pcap_geterr(c->pcap));
}

/* ---- detection and the public API ------------------------------------- */

static int cap_open(struct mf_ctx *ctx, struct mf_src *src, struct mf_input *in,
                    struct mf_cap **out, char *errbuf)
{
	static const uint8_t ng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };
	const uint8_t *p;
	size_t got;
	uint32_t le, be;
	struct mf_cap *c;
	int rc, pcap_le = 0, pcap_be = 0;

	*out = NULL;
	in->sha256[0] = '\0';
	in->size = 0;
	if (!in->source)
		in->source = "pcap";
	c = calloc(1, sizeof(*c));
	if (!c) {
		mf_src_close(src, NULL, NULL);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	c->ctx = ctx;
	c->in = in;
	c->src = src;

	rc = mf_src_detect_gzip(src, errbuf);
	if (rc)
		goto fail;
	rc = mf_src_peek(src, 24, &p, &got, errbuf);
	if (rc && got < 4)
		goto fail;      /* otherwise the sticky error returns on reading */
	rc = 0;
	if (got >= 4) {
		le = mf_le32(p);
		be = mf_be32(p);
		pcap_le = le == 0xa1b2c3d4u || le == 0xa1b23c4du || le == 0xa1b2cd34u;
		pcap_be = be == 0xa1b2c3d4u || be == 0xa1b23c4du || be == 0xa1b2cd34u;
	}
	if (pcap_le || pcap_be) {
		c->format = MF_CAP_PCAP;
		c->rec_hdr = (pcap_le ? le : be) == 0xa1b2cd34u ? 24 : 16;
		/* The header holds the LINKTYPE_ value itself; libpcap would give
		 * the DLT_ it maps to (RAW 101 -> DLT_RAW 12 or 14, ...). */
		if (got >= 24)
			c->linktype = (pcap_le ? mf_le32(p + 20) : mf_be32(p + 20)) & 0x03FFFFFFu;
		rc = lp_open(c, errbuf);
	} else if (got >= 4 && memcmp(p, ng_magic, 4) == 0) {
		c->format = MF_CAP_PCAPNG;
		rc = mf_pcapng_open(c, src, &c->ng, errbuf);
	} else {
		rc = mf_seterr(errbuf, MF_ERR_FORMAT, "not a pcap/pcapng capture%s",
		    mf_src_compressed(src) ? " (gzip-compressed)" : "");
	}
	if (rc)
		goto fail;
	*out = c;
	return 0;
fail:
	if (c->pcap)
		pcap_close(c->pcap);
	mf_pcapng_free(c->ng);
	mf_src_close(src, NULL, NULL);
	free(c);
	return rc;
}

int mf_cap_open_file(struct mf_ctx *ctx, const char *path, struct mf_input *in,
                     struct mf_cap **out, char *errbuf)
{
	struct mf_src *src;
	int rc;

	*out = NULL;
	rc = mf_src_open_file(path, &src, errbuf);
	if (rc)
		return rc;
	return cap_open(ctx, src, in, out, errbuf);
}

int mf_cap_open_mem(struct mf_ctx *ctx, const uint8_t *buf, size_t len,
                    struct mf_input *in, struct mf_cap **out, char *errbuf)
{
	struct mf_src *src;
	int rc;

	*out = NULL;
	rc = mf_src_open_mem(buf, len, &src, errbuf);
	if (rc)
		return rc;
	return cap_open(ctx, src, in, out, errbuf);
}

void mf_cap_set_secret_cb(struct mf_cap *c, mf_cap_secret_fn fn, void *arg)
{
	c->secret_fn = fn;
	c->secret_arg = arg;
}

int mf_cap_next(struct mf_cap *c, struct mf_frame *f, char *errbuf)
{
	char msg[MF_ERRBUF_SIZE] = "";
	int rc;

	if (c->end)
		return mf_seterr(errbuf, c->end, "%s", c->endmsg);
	if (c->format == MF_CAP_PCAP)
		rc = lp_next(c, f, msg);
	else
		rc = mf_pcapng_next(c->ng, f, &c->offset, msg);
	if (rc == 0) {
		f->input = c->in;
		if (c->ctx) {
			c->ctx->st.frames++;
			c->ctx->st.bytes += f->caplen;
		}
		return 0;
	}
	if (rc == MF_ERR_EOF && mf_src_trailing_garbage(c->src))
		mf_cap_anomaly(c, MF_TIME_NONE, 0, 0, mf_src_pos(c->src), "gzip_trailing_garbage",
		    "bytes after the last gzip member are not gzip data; ignored");
	/* Nothing after a stop can be trusted: later calls repeat it. */
	c->end = rc;
	snprintf(c->endmsg, sizeof(c->endmsg), "%s", msg);
	return mf_seterr(errbuf, rc, "%s", msg);
}

int mf_cap_format(const struct mf_cap *c)
{
	return c->format;
}

int mf_cap_compressed(const struct mf_cap *c)
{
	return mf_src_compressed(c->src);
}

uint64_t mf_cap_offset(const struct mf_cap *c)
{
	return c->offset;
}

uint64_t mf_cap_bytes_read(const struct mf_cap *c)
{
	return mf_src_raw_read(c->src);
}

void mf_cap_close(struct mf_cap *c)
{
	if (!c)
		return;
	if (c->suppressed) {
		uint64_t n = c->suppressed;

		c->suppressed = 0;
		c->anomalies = 0;   /* let this one summary through */
		mf_cap_anomaly(c, MF_TIME_NONE, 0, 0, mf_src_pos(c->src),
		    "capture_anomalies_suppressed",
		    "%llu further capture anomalies in this file were not reported",
		    (unsigned long long)n);
	}
	if (c->pcap)
		pcap_close(c->pcap);        /* fcloses the cookie FILE */
	mf_pcapng_free(c->ng);
	mf_src_close(c->src, c->in->sha256, &c->in->size);
	free(c);
}
