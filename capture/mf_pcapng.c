/*
 * mf_pcapng.c - streaming pcapng block reader; see mf_pcapng.h.
 *
 * Reference: IETF draft-ietf-opsawg-pcapng ("PCAP Now Generic (pcapng)
 * Capture File Format"), sections 3-4; libpcap sf-pcapng.c for behaviour
 * other readers agree on.  Why not libpcap: it refuses files whose
 * interfaces have different link types and silently skips Decryption
 * Secrets Blocks (tls-keylog.md section 6).
 *
 * Every block (integers in the byte order of its section):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |  >= 12, % 4 == 0
 *   +---------------------------------------------------------------+
 *   /                          Block Body                           /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |  == the first one
 *   +---------------------------------------------------------------+
 *
 * Bodies used here (options are code u16, length u16, value padded to 4):
 *   SHB 0x0A0D0D0A  byte-order magic 0x1A2B3C4D, major u16 (=1), minor u16,
 *                   section length i64, options.  Starts a section: byte
 *                   order and interface list are per section.
 *   IDB 1           link type u16, reserved u16, snaplen u32, options
 *                   (if_tsresol 9: 1 byte, bit 7 clear = 10^-n s units,
 *                   set = 2^-n; default 10^-6.  if_tsoffset 14: i64 s).
 *   EPB 6           interface id u32, timestamp high u32, low u32,
 *                   captured len u32, original len u32, data (padded), opts
 *   SPB 3           original len u32, data: min(original, snaplen of
 *                   interface 0, what the block holds); no timestamp
 *   PB  2           (obsolete) interface id u16, drops u16, then as EPB
 *   DSB 0x0A        secrets type u32, secrets length u32, data (padded),
 *                   options
 *   NRB 4, ISB 5, journal 9, custom 0xBAD/0x40000BAD, local-use types
 *   (bit 31) are skipped; other types are skipped with an anomaly.
 *
 * Damage to the block framing (length fields) or to SHB/IDB, whose meaning
 * every later packet depends on, ends reading with MF_ERR_FORMAT.  Damage
 * inside a packet or DSB whose framing is intact is an anomaly and the
 * record is skipped: the next block is still found reliably.
 */
#include "mf_pcapng.h"

#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_cap_int.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_frame.h"
#include "mf_source.h"
#include "mf_time.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB  0x00000002u
#define BT_SPB 0x00000003u
#define BT_NRB 0x00000004u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BT_SJE 0x00000009u
#define BT_DSB 0x0000000Au
#define BT_CB_COPY   0x00000BADu
#define BT_CB_NOCOPY 0x40000BADu

#define OPT_ENDOFOPT   0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

/* Each IDB costs >= 20 file bytes; this only bounds memory. */
#define NG_MAX_IFACES 65536u
/* Block bodies are read in steps so a length field that lies about a
 * short file does not allocate its full claim up front. */
#define NG_READ_STEP (1u << 20)

struct ng_if {
	uint32_t linktype;
	uint32_t snaplen;
	int pow2;           /* if_tsresol: 2^-exp instead of 10^-exp */
	unsigned exp;
	int64_t offset_s;   /* if_tsoffset */
};

struct mf_pcapng {
	struct mf_cap *cap;
	struct mf_src *src;
	int be;                 /* byte order of the current section */
	struct ng_if *ifs;
	size_t nifs, aifs;
	int ifs_full_noted;
	struct mf_buf blk;      /* everything after type+length, trailer included */
	uint32_t type;
	uint64_t block_no;      /* 1-based over the whole input */
	uint64_t blk_off;
	uint64_t packets;
};

static uint16_t rd16(const struct mf_pcapng *ng, struct mf_cur *c)
{
	return ng->be ? mf_cur_be16(c) : mf_cur_le16(c);
}

static uint32_t rd32(const struct mf_pcapng *ng, struct mf_cur *c)
{
	return ng->be ? mf_cur_be32(c) : mf_cur_le32(c);
}

static uint32_t get32(const struct mf_pcapng *ng, const uint8_t *p)
{
	return ng->be ? mf_be32(p) : mf_le32(p);
}

/* Reads the next block into ng->blk.  Returns 0, MF_ERR_EOF (clean end,
 * between blocks), MF_ERR_TRUNC, MF_ERR_FORMAT, MF_ERR_IO, MF_ERR_NOMEM. */
static int read_block(struct mf_pcapng *ng, char *errbuf)
{
	uint8_t hdr[8];
	uint32_t len, trailer;
	size_t got, left;
	int rc;

	ng->blk_off = mf_src_pos(ng->src);
	rc = mf_src_read(ng->src, hdr, sizeof(hdr), &got, errbuf);
	if (rc)
		return rc;
	if (got == 0)
		return mf_seterr(errbuf, MF_ERR_EOF, "end of capture");
	if (got < sizeof(hdr))
		return mf_seterr(errbuf, MF_ERR_TRUNC,
		    "file ends inside the header of the block at offset %llu",
		    (unsigned long long)ng->blk_off);
	mf_buf_reset(&ng->blk);

	/* 0x0A0D0D0A reads the same in both orders; the byte-order magic
	 * that follows tells how to read the length, and everything after. */
	if (mf_be32(hdr) == BT_SHB) {
		uint8_t bom[4];

		rc = mf_src_read(ng->src, bom, sizeof(bom), &got, errbuf);
		if (rc)
			return rc;
		if (got < sizeof(bom))
			return mf_seterr(errbuf, MF_ERR_TRUNC,
			    "file ends inside the section header at offset %llu",
			    (unsigned long long)ng->blk_off);
		if (mf_be32(bom) == 0x1A2B3C4Du)
			ng->be = 1;
		else if (mf_le32(bom) == 0x1A2B3C4Du)
			ng->be = 0;
		else
			return mf_seterr(errbuf, MF_ERR_FORMAT,
			    "section header at offset %llu: bad byte-order magic %02x%02x%02x%02x",
			    (unsigned long long)ng->blk_off, bom[0], bom[1], bom[2], bom[3]);
		rc = mf_buf_add(&ng->blk, bom, sizeof(bom));
		if (rc)
			return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	ng->type = get32(ng, hdr);
	len = get32(ng, hdr + 4);
	if (len < 12 || len % 4 != 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "block at offset %llu (type 0x%08x): total length %u is %s",
		    (unsigned long long)ng->blk_off, ng->type, len,
		    len < 12 ? "below 12" : "not a multiple of 4");
	if (len > MF_PCAPNG_BLOCK_MAX)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "block at offset %llu (type 0x%08x): total length %u exceeds the %u-byte limit",
		    (unsigned long long)ng->blk_off, ng->type, len, MF_PCAPNG_BLOCK_MAX);

	left = (size_t)len - 8 - ng->blk.len;
	while (left > 0) {
		size_t step = left < NG_READ_STEP ? left : NG_READ_STEP;

		rc = mf_buf_reserve(&ng->blk, step);
		if (rc)
			return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory (block of %u bytes)", len);
		rc = mf_src_read(ng->src, ng->blk.data + ng->blk.len, step, &got, errbuf);
		ng->blk.len += got;
		if (rc)
			return rc;
		if (got < step)
			return mf_seterr(errbuf, MF_ERR_TRUNC,
			    "file ends inside the block at offset %llu (type 0x%08x, %zu of %u bytes)",
			    (unsigned long long)ng->blk_off, ng->type, ng->blk.len + 8, len);
		left -= step;
	}
	trailer = get32(ng, ng->blk.data + ng->blk.len - 4);
	if (trailer != len)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "block at offset %llu (type 0x%08x): trailing length %u differs from %u",
		    (unsigned long long)ng->blk_off, ng->type, trailer, len);
	ng->block_no++;
	return 0;
}

static int on_shb(struct mf_pcapng *ng, struct mf_cur *c, char *errbuf)
{
	uint16_t major, minor;

	mf_cur_skip(c, 4);              /* byte-order magic, already used */
	major = rd16(ng, c);
	minor = rd16(ng, c);
	mf_cur_skip(c, 8);              /* section length: may be -1, unused */
	if (!mf_cur_ok(c))
		return mf_seterr(errbuf, MF_ERR_FORMAT, "section header at offset %llu too short",
		    (unsigned long long)ng->blk_off);
	if (major != 1)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "section header at offset %llu: unsupported pcapng version %u.%u",
		    (unsigned long long)ng->blk_off, major, minor);
	/* Interface ids are per section. */
	ng->nifs = 0;
	ng->ifs_full_noted = 0;
	return 0;
}

static void bad_option(struct mf_pcapng *ng, const char *what)
{
	mf_cap_anomaly(ng->cap, MF_TIME_NONE, 0, ng->block_no, ng->blk_off, "pcapng_bad_option",
	    "block type 0x%08x: %s", ng->type, what);
}

static int on_idb(struct mf_pcapng *ng, struct mf_cur *c, char *errbuf)
{
	struct ng_if ifc = { .pow2 = 0, .exp = 6, .offset_s = 0 };

	ifc.linktype = rd16(ng, c);
	mf_cur_skip(c, 2);
	ifc.snaplen = rd32(ng, c);
	if (!mf_cur_ok(c))
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "interface description at offset %llu too short",
		    (unsigned long long)ng->blk_off);

	while (mf_cur_left(c) >= 4) {
		uint16_t code = rd16(ng, c), olen = rd16(ng, c);
		struct mf_cur v;
		int is_short = 0;
		size_t pad;

		if (code == OPT_ENDOFOPT)
			break;
		v = mf_cur_sub(c, olen, &is_short);
		if (is_short) {
			bad_option(ng, "option runs past the end of the block");
			break;
		}
		pad = (size_t)(4 - olen % 4) % 4;
		/* Writers that drop the last option's padding are tolerated. */
		mf_cur_skip(c, pad < mf_cur_left(c) ? pad : mf_cur_left(c));
		if (code == OPT_IF_TSRESOL) {
			uint8_t r = mf_cur_u8(&v);

			if (olen != 1) {
				bad_option(ng, "if_tsresol length is not 1");
				continue;
			}
			ifc.pow2 = (r & 0x80) != 0;
			ifc.exp = r & 0x7f;
		} else if (code == OPT_IF_TSOFFSET) {
			if (olen != 8) {
				bad_option(ng, "if_tsoffset length is not 8");
				continue;
			}
			ifc.offset_s = (int64_t)(ng->be ? mf_cur_be64(&v) : mf_cur_le64(&v));
		}
	}

	if (ng->nifs >= NG_MAX_IFACES) {
		if (!ng->ifs_full_noted)
			mf_cap_anomaly(ng->cap, MF_TIME_NONE, 0, ng->block_no, ng->blk_off,
			    "pcapng_too_many_interfaces",
			    "more than %u interfaces in one section; the rest are ignored",
			    NG_MAX_IFACES);
		ng->ifs_full_noted = 1;
		return 0;
	}
	if (ng->nifs == ng->aifs) {
		size_t na = ng->aifs ? ng->aifs * 2 : 4;
		struct ng_if *ni = realloc(ng->ifs, na * sizeof(*ni));

		if (!ni)
			return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
		ng->ifs = ni;
		ng->aifs = na;
	}
	ng->ifs[ng->nifs++] = ifc;
	return 0;
}

/* Timestamp units -> ns since the epoch.  128-bit intermediates: ts * 1e9
 * < 2^94, so every resolution the 7-bit exponent can express is exact up to
 * the final division, and nothing overflows before the clamp. */
static int64_t ng_ts_ns(const struct ng_if *ifc, uint64_t ts)
{
	unsigned __int128 ns;
	__int128 v;

	if (ifc->pow2) {
		ns = ((unsigned __int128)ts * 1000000000u) >> ifc->exp;
	} else if (ifc->exp <= 9) {
		uint64_t mul = 1;
		unsigned i;

		for (i = ifc->exp; i < 9; i++)
			mul *= 10;
		ns = (unsigned __int128)ts * mul;
	} else if (ifc->exp - 9 >= 20) {
		ns = 0;                 /* 10^20 > any u64: always below 1 ns */
	} else {
		uint64_t div = 1;
		unsigned i;

		for (i = 9; i < ifc->exp; i++)
			div *= 10;
		ns = ts / div;
	}
	v = (__int128)ns + (__int128)ifc->offset_s * 1000000000;
	if (v > INT64_MAX)
		return INT64_MAX;
	if (v <= INT64_MIN)         /* INT64_MIN is MF_TIME_NONE */
		return INT64_MIN + 1;
	return (int64_t)v;
}

/* Returns 1 with f filled, 0 when the packet was skipped (anomaly). */
static int on_packet(struct mf_pcapng *ng, struct mf_cur *c, struct mf_frame *f)
{
	uint32_t if_id = 0, caplen, wirelen, hi = 0, lo = 0;
	const struct ng_if *ifc;
	const uint8_t *data;
	int has_ts = 1;

	ng->packets++;
	if (ng->type == BT_EPB) {
		if_id = rd32(ng, c);
		hi = rd32(ng, c);
		lo = rd32(ng, c);
		caplen = rd32(ng, c);
		wirelen = rd32(ng, c);
	} else if (ng->type == BT_PB) {
		if_id = rd16(ng, c);
		mf_cur_skip(c, 2);      /* drops count */
		hi = rd32(ng, c);
		lo = rd32(ng, c);
		caplen = rd32(ng, c);
		wirelen = rd32(ng, c);
	} else {                        /* SPB */
		wirelen = rd32(ng, c);
		caplen = wirelen;
		has_ts = 0;
	}
	if (!mf_cur_ok(c)) {
		mf_cap_anomaly(ng->cap, MF_TIME_NONE, ng->packets, ng->block_no, ng->blk_off,
		    "pcapng_block_too_short", "packet block type 0x%08x too short for its fields",
		    ng->type);
		return 0;
	}
	if (if_id >= ng->nifs) {
		mf_cap_anomaly(ng->cap, MF_TIME_NONE, ng->packets, ng->block_no, ng->blk_off,
		    "pcapng_unknown_interface",
		    "packet refers to interface %u; the section defines %zu", if_id, ng->nifs);
		return 0;
	}
	ifc = &ng->ifs[if_id];
	if (ng->type == BT_SPB) {
		/* The captured length is implied: the block holds
		 * min(original length, snaplen) bytes plus padding. */
		if (caplen > mf_cur_left(c))
			caplen = (uint32_t)mf_cur_left(c);
		if (ifc->snaplen != 0 && caplen > ifc->snaplen)
			caplen = ifc->snaplen;
	}
	data = mf_cur_bytes(c, caplen);
	if (!data) {
		mf_cap_anomaly(ng->cap, MF_TIME_NONE, ng->packets, ng->block_no, ng->blk_off,
		    "pcapng_caplen_exceeds_block",
		    "captured length %u is larger than the block", caplen);
		return 0;
	}
	memset(f, 0, sizeof(*f));
	f->data = data;
	f->caplen = caplen;
	f->wirelen = wirelen;
	f->ts_ns = has_ts ? ng_ts_ns(ifc, ((uint64_t)hi << 32) | lo) : MF_TIME_NONE;
	f->linktype = ifc->linktype;
	f->ifindex = if_id;
	f->number = ng->packets;
	return 1;
}

static void on_dsb(struct mf_pcapng *ng, struct mf_cur *c)
{
	uint32_t stype = rd32(ng, c), slen = rd32(ng, c);
	const uint8_t *data;

	if (!mf_cur_ok(c)) {
		mf_cap_anomaly(ng->cap, MF_TIME_NONE, 0, ng->block_no, ng->blk_off,
		    "pcapng_block_too_short", "decryption secrets block too short");
		return;
	}
	data = mf_cur_bytes(c, slen);
	if (!data) {
		mf_cap_anomaly(ng->cap, MF_TIME_NONE, 0, ng->block_no, ng->blk_off,
		    "pcapng_dsb_length",
		    "secrets length %u is larger than the block; secrets ignored", slen);
		return;
	}
	mf_cap_secret(ng->cap, stype, data, slen, ng->block_no);
}

int mf_pcapng_open(struct mf_cap *owner, struct mf_src *src, struct mf_pcapng **out,
                   char *errbuf)
{
	struct mf_pcapng *ng;
	struct mf_cur c;
	int rc;

	*out = NULL;
	ng = calloc(1, sizeof(*ng));
	if (!ng)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	ng->cap = owner;
	ng->src = src;
	mf_buf_init(&ng->blk, MF_PCAPNG_BLOCK_MAX);
	rc = read_block(ng, errbuf);
	if (rc == MF_ERR_EOF)
		rc = mf_seterr(errbuf, MF_ERR_TRUNC, "empty pcapng file");
	if (rc == 0 && ng->type != BT_SHB)
		rc = mf_seterr(errbuf, MF_ERR_FORMAT, "pcapng file does not start with a section header");
	if (rc == 0) {
		mf_cur_init(&c, ng->blk.data, ng->blk.len - 4);
		rc = on_shb(ng, &c, errbuf);
	}
	if (rc) {
		mf_pcapng_free(ng);
		return rc;
	}
	*out = ng;
	return 0;
}

int mf_pcapng_next(struct mf_pcapng *ng, struct mf_frame *f, uint64_t *offset, char *errbuf)
{
	struct mf_cur c;
	int rc;

	for (;;) {
		rc = read_block(ng, errbuf);
		if (rc)
			return rc;
		mf_cur_init(&c, ng->blk.data, ng->blk.len - 4);
		switch (ng->type) {
		case BT_SHB:
			rc = on_shb(ng, &c, errbuf);
			if (rc)
				return rc;
			break;
		case BT_IDB:
			rc = on_idb(ng, &c, errbuf);
			if (rc)
				return rc;
			break;
		case BT_EPB:
		case BT_SPB:
		case BT_PB:
			if (on_packet(ng, &c, f)) {
				*offset = ng->blk_off;
				return 0;
			}
			break;
		case BT_DSB:
			on_dsb(ng, &c);
			break;
		case BT_NRB:
		case BT_ISB:
		case BT_SJE:
		case BT_CB_COPY:
		case BT_CB_NOCOPY:
			break;
		default:
			if (!(ng->type & 0x80000000u))
				mf_cap_anomaly(ng->cap, MF_TIME_NONE, 0, ng->block_no, ng->blk_off,
				    "pcapng_unknown_block", "block type 0x%08x skipped", ng->type);
			break;
		}
	}
}

void mf_pcapng_free(struct mf_pcapng *ng)
{
	if (!ng)
		return;
	mf_buf_free(&ng->blk);
	free(ng->ifs);
	free(ng);
}
