/*
 * test_capture_reader.c - capture/ against the fixtures made by
 * tests/data/capture/make.py (run from tests/, as ctest does): frame
 * numbers, exact ns timestamps, link types, lengths, bytes, pcapng secrets,
 * anomalies, the end codes (EOF / TRUNC / FORMAT), and the SHA-256 against
 * SHA256SUMS (written by make.py, checkable with sha256sum -c).  Every file
 * is read twice: from its path and from memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mf_capture.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_test.h"
#include "mf_time.h"

#define DIR "data/capture/"

struct xf {                     /* expected frame */
	uint64_t number;
	int64_t ts_ns;
	uint32_t caplen, wirelen, linktype, ifindex;
	uint8_t seed;           /* make.py payload(): byte i = seed + 7 i */
};

struct xsecret {
	uint32_t type;
	const char *data;
	uint64_t block_no;
};

struct expect {
	const char *file;
	int open_rc;            /* 0, or what mf_cap_open_* must return */
	int format, compressed;
	const struct xf *frames;
	size_t nframes;
	int end_rc;             /* what mf_cap_next returns after the frames */
	const struct xsecret *secrets;
	size_t nsecrets;
	const char *anomalies;  /* reasons emitted, space separated, in order */
	int frames_at_least;    /* only check a prefix of frames (gzip cuts) */
};

/* ---- collectors ------------------------------------------------------- */

struct seen {
	char anomalies[512];
	struct { uint32_t type; char data[256]; size_t len; uint64_t block_no; } sec[8];
	size_t nsec;
};

static int on_event(void *arg, struct mf_event *ev)
{
	struct seen *s = arg;
	cJSON *r = cJSON_GetObjectItemCaseSensitive(ev->body, "reason");

	if (ev->kind && strcmp(ev->kind, "anomaly") == 0 && cJSON_IsString(r)) {
		size_t n = strlen(s->anomalies);

		snprintf(s->anomalies + n, sizeof(s->anomalies) - n, "%s%s", n ? " " : "",
		    r->valuestring);
	}
	mf_event_free(ev);
	return 0;
}

static void on_secret(void *arg, uint32_t type, const uint8_t *data, size_t len,
                      const struct mf_input *in, uint64_t block_no)
{
	struct seen *s = arg;

	if (s->nsec < 8 && len < sizeof(s->sec[0].data)) {
		s->sec[s->nsec].type = type;
		memcpy(s->sec[s->nsec].data, data, len);
		s->sec[s->nsec].len = len;
		s->sec[s->nsec].block_no = block_no;
		s->nsec++;
	}
	CHECK(in != NULL);
}

/* ---- helpers ---------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
			*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* The digest make.py recorded for name (as sha256sum prints it). */
static int expected_sha(const char *name, char out[65])
{
	FILE *f = fopen(DIR "SHA256SUMS", "r");
	char line[512];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strlen(line) > 66 && strcmp(line + 66, name) == 0) {
			memcpy(out, line, 64);
			out[64] = '\0';
			found = 1;
		}
	}
	fclose(f);
	return found;
}

static int payload_ok(const struct mf_frame *f, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < f->caplen; i++)
		if (f->data[i] != (uint8_t)(seed + 7 * i))
			return 0;
	return 1;
}

static void run(const struct expect *x, int from_mem)
{
	char path[256], err[MF_ERRBUF_SIZE] = "", sha[65];
	struct mf_input in = { .name = x->file, .index = 1 };
	struct mf_frame f;
	struct mf_ctx ctx;
	struct mf_cap *c = NULL;
	struct seen seen;
	uint8_t *mem = NULL;
	size_t memlen = 0, i;
	uint64_t bytes = 0;
	int rc;

	snprintf(path, sizeof(path), DIR "%s", x->file);
	in.path = path;
	memset(&seen, 0, sizeof(seen));
	mf_ctx_init(&ctx);
	ctx.emit = on_event;
	ctx.emit_arg = &seen;
	mem = slurp(path, &memlen);
	CHECK(mem != NULL);
	if (from_mem)
		rc = mf_cap_open_mem(&ctx, mem, memlen, &in, &c, err);
	else
		rc = mf_cap_open_file(&ctx, path, &in, &c, err);
	if (rc != x->open_rc)
		fprintf(stderr, "%s (%s): open: %s\n", x->file, from_mem ? "mem" : "file", err);
	CHECK_EQ_INT(rc, x->open_rc);
	if (rc) {
		CHECK(c == NULL);
		CHECK(err[0] != '\0');
		free(mem);
		return;
	}
	mf_cap_set_secret_cb(c, on_secret, &seen);
	CHECK_EQ_INT(mf_cap_format(c), x->format);
	CHECK_EQ_INT(mf_cap_compressed(c), x->compressed);

	for (i = 0; (rc = mf_cap_next(c, &f, err)) == 0; i++) {
		if (i >= x->nframes) {
			fprintf(stderr, "%s: unexpected frame %llu\n", x->file,
			    (unsigned long long)f.number);
			CHECK(0);
			continue;
		}
		CHECK_EQ_INT(f.number, x->frames[i].number);
		CHECK_EQ_INT(f.ts_ns, x->frames[i].ts_ns);
		CHECK_EQ_INT(f.caplen, x->frames[i].caplen);
		CHECK_EQ_INT(f.wirelen, x->frames[i].wirelen);
		CHECK_EQ_INT(f.linktype, x->frames[i].linktype);
		CHECK_EQ_INT(f.ifindex, x->frames[i].ifindex);
		CHECK(payload_ok(&f, x->frames[i].seed));
		CHECK(f.input == &in);
		bytes += f.caplen;
	}
	if (rc != x->end_rc)
		fprintf(stderr, "%s (%s): end: %s\n", x->file, from_mem ? "mem" : "file", err);
	CHECK_EQ_INT(rc, x->end_rc);
	CHECK(err[0] != '\0');
	if (x->frames_at_least)
		CHECK(i >= (size_t)x->frames_at_least && i <= x->nframes);
	else
		CHECK_EQ_INT(i, x->nframes);
	/* The stop is sticky. */
	CHECK_EQ_INT(mf_cap_next(c, &f, err), x->end_rc);
	CHECK_EQ_INT(ctx.st.frames, i);
	CHECK_EQ_INT(ctx.st.bytes, bytes);
	CHECK(mf_cap_bytes_read(c) > 0 && mf_cap_bytes_read(c) <= memlen);

	CHECK_EQ_INT(seen.nsec, x->nsecrets);
	for (i = 0; i < seen.nsec && i < x->nsecrets; i++) {
		CHECK_EQ_INT(seen.sec[i].type, x->secrets[i].type);
		CHECK_EQ_INT(seen.sec[i].len, strlen(x->secrets[i].data));
		CHECK_MEM(seen.sec[i].data, x->secrets[i].data, seen.sec[i].len);
		CHECK_EQ_INT(seen.sec[i].block_no, x->secrets[i].block_no);
	}
	CHECK_EQ_STR(seen.anomalies, x->anomalies ? x->anomalies : "");

	mf_cap_close(c);
	CHECK(expected_sha(x->file, sha));
	CHECK_EQ_STR(in.sha256, sha);
	CHECK_EQ_INT(in.size, memlen);
	free(mem);
}

/* ---- expectations (values from make.py; timestamps cross-checked with
 * tshark -e frame.time_epoch) ------------------------------------------- */

static const struct xf f_us_le[] = {
	{ 1, 1617026674123456000LL, 60, 60, 1, 0, 1 },
	{ 2, 1617026675000001000LL, 42, 42, 1, 0, 2 },
	{ 3, 1617026676999999000LL, 64, 1514, 1, 0, 3 },
};
static const struct xf f_snapcut[] = {
	{ 1, 1617026674000001000LL, 64, 100, 1, 0, 6 },    /* 100 bytes in the file */
	{ 2, 1617026674000002000LL, 10, 10, 1, 0, 7 },
};
static const struct xf f_ns_be[] = {
	{ 1, 1617026674123456789LL, 28, 28, 101, 0, 4 },
	{ 2, 1617026674999999999LL, 20, 40, 101, 0, 5 },
};
/* if0 Ethernet us; if1 IPV4 ns + if_tsoffset 3600; if2 RAW 2^-20 s. */
static const struct xf f_two_if[] = {
	{ 1, 1617026674123456000LL, 60, 60, 1, 0, 10 },
	{ 2, 1617030274123456789LL, 33, 40, 228, 1, 11 },
	{ 3, 1617026674500000953LL, 20, 20, 101, 2, 12 },
	{ 4, MF_TIME_NONE, 64, 100, 1, 0, 13 },            /* SPB, if0 snaplen 64 */
	{ 5, 1617030280000000001LL, 24, 24, 228, 1, 14 },  /* obsolete PB */
	/* 6: EPB on interface 7, skipped with an anomaly */
	{ 7, 1617026690000000000LL, 61, 61, 1, 0, 16 },
};
static const struct xf f_be[] = {
	{ 1, 1617026674123000000LL, 50, 50, 1, 0, 20 },    /* BE section, ms */
	{ 2, 1617026675999000000LL, 51, 51, 1, 0, 21 },
	{ 3, 1617026700000001000LL, 52, 52, 228, 0, 22 },  /* LE section */
};
static const struct xf f_dsb[] = {
	{ 1, 1617026674000000000LL, 60, 60, 1, 0, 30 },
	{ 2, 1617026674500000000LL, 60, 60, 1, 0, 31 },
};
#define KEYLOG "CLIENT_RANDOM " \
	"0102030405060708091011121314151617181920212223242526272829303132 " \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" \
	"202122232425262728292a2b2c2d2e2f\n"
static const struct xsecret s_dsb[] = {
	{ 0x544C534Bu, KEYLOG, 2 },
	{ 0x57474B4Cu, "wg-key", 5 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define TWO_IF_AN "pcapng_unknown_interface pcapng_unknown_block"

static const struct expect cases[] = {
	{ "pcap_us_le.pcap", 0, MF_CAP_PCAP, 0, f_us_le, N(f_us_le), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "pcap_us_le.pcap.gz", 0, MF_CAP_PCAP, 1, f_us_le, N(f_us_le), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "pcap_snapcut.pcap", 0, MF_CAP_PCAP, 0, f_snapcut, N(f_snapcut), MF_ERR_EOF, NULL, 0,
	  "pcap_record_cut", 0 },
	{ "pcap_ns_be.pcap", 0, MF_CAP_PCAP, 0, f_ns_be, N(f_ns_be), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "pcap_ns_be.pcap.gz", 0, MF_CAP_PCAP, 1, f_ns_be, N(f_ns_be), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "ng_two_if.pcapng", 0, MF_CAP_PCAPNG, 0, f_two_if, N(f_two_if), MF_ERR_EOF, NULL, 0,
	  TWO_IF_AN, 0 },
	{ "ng_two_if.pcapng.gz", 0, MF_CAP_PCAPNG, 1, f_two_if, N(f_two_if), MF_ERR_EOF, NULL, 0,
	  TWO_IF_AN, 0 },
	{ "ng_two_if.multi.gz", 0, MF_CAP_PCAPNG, 1, f_two_if, N(f_two_if), MF_ERR_EOF, NULL, 0,
	  TWO_IF_AN, 0 },
	{ "ng_be.pcapng", 0, MF_CAP_PCAPNG, 0, f_be, N(f_be), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "ng_be.pcapng.gz", 0, MF_CAP_PCAPNG, 1, f_be, N(f_be), MF_ERR_EOF, NULL, 0, NULL, 0 },
	{ "ng_dsb.pcapng", 0, MF_CAP_PCAPNG, 0, f_dsb, N(f_dsb), MF_ERR_EOF, s_dsb, 2, NULL, 0 },
	{ "ng_dsb.pcapng.gz", 0, MF_CAP_PCAPNG, 1, f_dsb, N(f_dsb), MF_ERR_EOF, s_dsb, 2, NULL, 0 },
	{ "pcap_us_le.garbage.gz", 0, MF_CAP_PCAP, 1, f_us_le, N(f_us_le), MF_ERR_EOF, NULL, 0,
	  "gzip_trailing_garbage", 0 },
	{ "pcap_badcrc.pcap.gz", 0, MF_CAP_PCAP, 1, f_us_le, N(f_us_le), MF_ERR_FORMAT, NULL, 0,
	  NULL, 0 },
	{ "trunc.pcap", 0, MF_CAP_PCAP, 0, f_us_le, 2, MF_ERR_TRUNC, NULL, 0, NULL, 0 },
	{ "trunc.pcapng", 0, MF_CAP_PCAPNG, 0, f_two_if, 2, MF_ERR_TRUNC, NULL, 0, NULL, 0 },
	/* Cut in the middle of the deflate data: whatever was inflated before
	 * the cut is read, then TRUNC. */
	{ "trunc.pcapng.gz", 0, MF_CAP_PCAPNG, 1, f_two_if, N(f_two_if), MF_ERR_TRUNC, NULL, 0,
	  NULL, 1 },
	{ "badlen.pcapng", 0, MF_CAP_PCAPNG, 0, f_dsb, 1, MF_ERR_FORMAT, s_dsb, 2, NULL, 0 },
	{ "badlen4.pcapng", 0, MF_CAP_PCAPNG, 0, f_dsb, 0, MF_ERR_FORMAT, s_dsb, 1, NULL, 0 },
	{ "notcap.txt", MF_ERR_FORMAT, 0, 0, NULL, 0, 0, NULL, 0, NULL, 0 },
	{ "notcap.txt.gz", MF_ERR_FORMAT, 0, 0, NULL, 0, 0, NULL, 0, NULL, 0 },
};

/* Every prefix of a good file: open fails only as FORMAT (under 4 bytes:
 * not recognisable) or TRUNC; reading ends in EOF or TRUNC, never FORMAT,
 * and yields a prefix of the full file's frames. */
static void prefixes(const char *name, size_t full_frames)
{
	char path[256], err[MF_ERRBUF_SIZE];
	uint8_t *mem;
	size_t len, cut;
	int bad = 0;

	snprintf(path, sizeof(path), DIR "%s", name);
	mem = slurp(path, &len);
	CHECK(mem != NULL);
	for (cut = 0; mem && cut <= len; cut++) {
		struct mf_input in = { .name = name };
		struct mf_ctx ctx;
		struct mf_cap *c;
		struct mf_frame f;
		size_t n = 0;
		int rc;

		mf_ctx_init(&ctx);
		rc = mf_cap_open_mem(&ctx, mem, cut, &in, &c, err);
		if (rc) {
			if (!(rc == MF_ERR_TRUNC || (rc == MF_ERR_FORMAT && cut < 4)))
				bad++, fprintf(stderr, "%s[:%zu]: open %d %s\n", name, cut, rc, err);
			continue;
		}
		while ((rc = mf_cap_next(c, &f, err)) == 0)
			n++;
		if (!(rc == MF_ERR_EOF || rc == MF_ERR_TRUNC) || n > full_frames ||
		    (cut == len && (rc != MF_ERR_EOF || n != full_frames)))
			bad++, fprintf(stderr, "%s[:%zu]: %zu frames, end %d %s\n", name, cut, n, rc, err);
		mf_cap_close(c);
		if (cut == len)
			CHECK(in.sha256[0] != '\0');
	}
	CHECK_EQ_INT(bad, 0);
	free(mem);
}

static void misc(void)
{
	char err[MF_ERRBUF_SIZE];
	struct mf_input in = { .name = "x" };
	struct mf_cap *c = (struct mf_cap *)1;
	struct mf_frame f;
	struct mf_ctx ctx;
	uint8_t *mem;
	size_t len;

	mf_ctx_init(&ctx);
	CHECK_EQ_INT(mf_cap_open_file(&ctx, DIR "does-not-exist.pcap", &in, &c, err), MF_ERR_IO);
	CHECK(c == NULL);
	CHECK_EQ_INT(mf_cap_open_file(&ctx, DIR, &in, &c, err), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_cap_open_mem(&ctx, NULL, 0, &in, &c, err), MF_ERR_FORMAT);
	CHECK(strstr(err, "not a pcap/pcapng capture") != NULL);

	/* Offsets of records in the (decompressed) stream; no context at all. */
	mem = slurp(DIR "pcap_us_le.pcap.gz", &len);
	CHECK_EQ_INT(mf_cap_open_mem(NULL, mem, len, &in, &c, err), 0);
	CHECK_EQ_INT(mf_cap_next(c, &f, err), 0);
	CHECK_EQ_INT(mf_cap_offset(c), 24);
	CHECK_EQ_INT(mf_cap_next(c, &f, err), 0);
	CHECK_EQ_INT(mf_cap_offset(c), 24 + 16 + 60);
	mf_cap_close(c);        /* closing early still hashes the whole file */
	{
		char sha[65];

		CHECK(expected_sha("pcap_us_le.pcap.gz", sha));
		CHECK_EQ_STR(in.sha256, sha);
		CHECK_EQ_INT(in.size, len);
	}
	free(mem);

	/* pcapng: frame 1 is the EPB after SHB (56), IDB (32), IDB (44), NRB (16). */
	mem = slurp(DIR "ng_two_if.pcapng", &len);
	CHECK_EQ_INT(mf_cap_open_mem(NULL, mem, len, &in, &c, err), 0);
	CHECK_EQ_INT(mf_cap_next(c, &f, err), 0);
	CHECK_EQ_INT(mf_cap_offset(c), 56 + 32 + 44 + 16);
	mf_cap_close(c);
	free(mem);
}

int main(void)
{
	size_t i;

	for (i = 0; i < N(cases); i++) {
		run(&cases[i], 0);
		run(&cases[i], 1);
	}
	prefixes("pcap_us_le.pcap", 3);
	prefixes("pcap_ns_be.pcap.gz", 2);
	prefixes("ng_two_if.pcapng", 6);
	prefixes("ng_dsb.pcapng.gz", 2);
	prefixes("ng_two_if.multi.gz", 6);
	misc();
	return TEST_DONE();
}
