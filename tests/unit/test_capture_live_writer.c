/*
 * test_capture_live_writer.c - the pcapng writer and the evidence folder
 * of `live` (capture/mf_pcapng_writer.h, capture/mf_evidence.h), read back
 * through our own reader (mf_cap_open_mem): exact bytes, lengths and ns
 * timestamps, frame numbers, the DSB and its block number, the SHA-256
 * against the bytes on disk, a file cut short by a size limit (RLIMIT_FSIZE;
 * a real full disk is tests/live/disk_full.sh) that still reads to a clean
 * end, rotation,
 * max-files deletion and the manifest.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "mf_capture.h"
#include "mf_codec.h"
#include "mf_err.h"
#include "mf_evidence.h"
#include "mf_frame.h"
#include "mf_pcapng_writer.h"
#include "mf_test.h"
#include "mf_time.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)n + 1);
		if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
			free(b);
			b = NULL;
		}
		if (b) {
			b[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return b;
}

static void sha_hex(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	mf_sha256(p, n, d);
	mf_hex_encode(d, 32, out);
}

struct secret_seen {
	uint32_t type;
	char data[256];
	size_t len;
	uint64_t block_no;
	int n;
};

static void on_secret(void *arg, uint32_t type, const uint8_t *data, size_t len,
                      const struct mf_input *in, uint64_t block_no)
{
	struct secret_seen *s = arg;

	s->type = type;
	s->len = len < sizeof(s->data) ? len : sizeof(s->data);
	memcpy(s->data, data, s->len);
	s->block_no = block_no;
	s->n++;
}

/* Reads a pcapng from memory: frame count, and the end code. */
static int count_frames(const char *buf, size_t len, uint64_t *n, int64_t *last_ts)
{
	char eb[MF_ERRBUF_SIZE];
	struct mf_input in;
	struct mf_cap *c = NULL;
	struct mf_frame f;
	int rc;

	memset(&in, 0, sizeof(in));
	in.name = "mem";
	*n = 0;
	rc = mf_cap_open_mem(NULL, (const uint8_t *)buf, len, &in, &c, eb);
	if (rc)
		return rc;
	while ((rc = mf_cap_next(c, &f, eb)) == 0) {
		(*n)++;
		if (last_ts)
			*last_ts = f.ts_ns;
	}
	mf_cap_close(c);
	return rc;
}

static void test_roundtrip(const char *dir)
{
	static const uint8_t p1[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };
	uint8_t big[1500];
	struct mf_pcapng_if ifc = { 1, 262144, "br0", NULL, "udp port 54321" };
	struct mf_pcapng_writer *w = NULL, *w2 = NULL;
	struct mf_pcapng_wstat st;
	struct mf_pcapng_isb isb;
	struct secret_seen sec;
	char path[512], eb[MF_ERRBUF_SIZE], hex[65];
	const char *keys = "CLIENT_RANDOM 00 11\n";
	uint64_t block = 0;
	size_t len, i;
	char *buf;
	int rc;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	snprintf(path, sizeof(path), "%s/a.pcapng", dir);
	rc = mf_pcapng_writer_open(path, "miforensics test", "a comment", &ifc, &w, eb);
	CHECK_EQ_INT(rc, 0);
	if (rc)
		return;
	/* O_EXCL: evidence is never overwritten */
	CHECK_EQ_INT(mf_pcapng_writer_open(path, "x", NULL, &ifc, &w2, eb), MF_ERR_IO);
	CHECK_EQ_INT(mf_pcapng_write_packet(w, 1714557601150000001LL, p1, 5, 60), 0);
	CHECK_EQ_INT(mf_pcapng_write_packet(w, 1714557601150000002LL, p1, 0, 0), 0);
	CHECK_EQ_INT(mf_pcapng_write_dsb(w, 0x544c534bu, keys, strlen(keys), &block), 0);
	CHECK_EQ_INT(block, 5);      /* SHB, IDB, EPB, EPB, DSB */
	CHECK_EQ_INT(mf_pcapng_write_packet(w, 1714557602999999999LL, big, 1500, 1514), 0);
	CHECK_EQ_INT(mf_pcapng_writer_packets(w), 3);
	isb.start_ns = 1714557601000000000LL;
	isb.end_ns = 1714557603000000000LL;
	isb.ifrecv = 3;
	isb.ifdrop = 0;
	isb.osdrop = 1;
	isb.usrdeliv = UINT64_MAX;
	CHECK_EQ_INT(mf_pcapng_write_isb(w, &isb), 0);
	rc = mf_pcapng_writer_close(w, &st, eb);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(st.packets, 3);
	CHECK_EQ_INT(st.blocks, 7);
	CHECK_EQ_INT(st.first_ns, 1714557601150000001LL);
	CHECK_EQ_INT(st.last_ns, 1714557602999999999LL);

	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK_EQ_INT(len, st.size);
	sha_hex(buf, len, hex);
	CHECK_EQ_STR(st.sha256, hex);
	{
		struct mf_input in;
		struct mf_cap *c = NULL;
		struct mf_frame f;

		memset(&in, 0, sizeof(in));
		memset(&sec, 0, sizeof(sec));
		in.name = "a.pcapng";
		CHECK_EQ_INT(mf_cap_open_mem(NULL, (const uint8_t *)buf, len, &in, &c, eb), 0);
		if (c) {
			mf_cap_set_secret_cb(c, on_secret, &sec);
			CHECK_EQ_INT(mf_cap_format(c), MF_CAP_PCAPNG);
			CHECK_EQ_INT(mf_cap_next(c, &f, eb), 0);
			CHECK_EQ_INT(f.number, 1);
			CHECK_EQ_INT(f.caplen, 5);
			CHECK_EQ_INT(f.wirelen, 60);
			CHECK_EQ_INT(f.linktype, 1);
			CHECK_EQ_INT(f.ts_ns, 1714557601150000001LL);
			CHECK_MEM(f.data, p1, 5);
			CHECK_EQ_INT(mf_cap_next(c, &f, eb), 0);
			CHECK_EQ_INT(f.number, 2);
			CHECK_EQ_INT(f.caplen, 0);
			CHECK_EQ_INT(mf_cap_next(c, &f, eb), 0);
			CHECK_EQ_INT(f.number, 3);
			CHECK_EQ_INT(f.caplen, 1500);
			CHECK_EQ_INT(f.wirelen, 1514);
			CHECK_EQ_INT(f.ts_ns, 1714557602999999999LL);
			CHECK_MEM(f.data, big, 1500);
			CHECK_EQ_INT(mf_cap_next(c, &f, eb), MF_ERR_EOF);
			CHECK_EQ_INT(sec.n, 1);
			CHECK_EQ_INT(sec.type, 0x544c534bu);
			CHECK_EQ_INT(sec.block_no, block);
			CHECK_EQ_INT(sec.len, strlen(keys));
			CHECK_MEM(sec.data, keys, strlen(keys));
			mf_cap_close(c);
		}
	}
	free(buf);
}

/* A write refused by the file size limit (as a full disk would) leaves a
 * file that reads to a clean end and whose counters and hash describe it. */
static void test_full(const char *dir)
{
	struct mf_pcapng_if ifc = { 1, 65535, "veth0", NULL, NULL };
	struct mf_pcapng_writer *w = NULL;
	struct mf_pcapng_wstat st;
	struct rlimit old, lim;
	char path[512], eb[MF_ERRBUF_SIZE], hex[65];
	uint8_t pkt[1000];
	uint64_t n = 0, accepted = 0;
	int64_t last = 0;
	size_t len;
	char *buf;
	int i, rc = 0;

	memset(pkt, 0x5a, sizeof(pkt));
	snprintf(path, sizeof(path), "%s/full.pcapng", dir);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 300000;
	if (setrlimit(RLIMIT_FSIZE, &lim) != 0) {
		printf("skip: setrlimit: %s\n", strerror(errno));
		return;
	}
	CHECK_EQ_INT(mf_pcapng_writer_open(path, "t", NULL, &ifc, &w, eb), 0);
	for (i = 0; w && i < 2000; i++) {
		rc = mf_pcapng_write_packet(w, 1000000000LL * 1700000000 + i, pkt, sizeof(pkt),
		    sizeof(pkt));
		if (rc)
			break;
		accepted++;
		if (i % 50 == 0 && (rc = mf_pcapng_writer_flush(w)) != 0)
			break;
	}
	CHECK_EQ_INT(rc, MF_ERR_IO);
	CHECK_EQ_INT(mf_pcapng_writer_errno(w), EFBIG);
	CHECK(mf_pcapng_writer_close(w, &st, eb) == MF_ERR_IO);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(st.size <= 300000);
	CHECK(st.packets > 100);
	/* RLIMIT_FSIZE does not limit fallocate(KEEP_SIZE), so here the write
	 * itself fails and the file is cut back to its last complete block (a
	 * real full disk refuses the reservation instead: tests/live/) */
	CHECK(st.packets <= accepted);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK_EQ_INT(len, st.size);
	sha_hex(buf, len, hex);
	CHECK_EQ_STR(st.sha256, hex);
	CHECK_EQ_INT(count_frames(buf, len, &n, &last), MF_ERR_EOF);
	CHECK_EQ_INT(n, st.packets);
	CHECK_EQ_INT(last, st.last_ns);
	free(buf);
}

static void test_evidence(const char *dir)
{
	struct mf_pcapng_if ifc = { 1, 262144, "br0", NULL, "port 54321" };
	struct mf_evidence_opts eo;
	struct mf_evidence *ev = NULL, *ev2 = NULL;
	struct mf_evidence_counters cnt = { 0, 0, 0 };
	char edir[512], eb[MF_ERRBUF_SIZE], mp[600], origin[300];
	uint8_t pkt[400];
	const char *text;
	size_t tlen, len;
	uint64_t total = 0;
	int i, opened, nopened = 0, rc;
	cJSON *m, *files, *f;
	char *buf;

	memset(pkt, 0x11, sizeof(pkt));
	snprintf(edir, sizeof(edir), "%s/evidence", dir);
	memset(&eo, 0, sizeof(eo));
	eo.dir = edir;
	eo.rotate_bytes = 20000;
	eo.max_files = 3;
	eo.appl = "miforensics test";
	eo.now_ns = 1700000000LL * MF_NS_PER_S;
	CHECK_EQ_INT(mf_evidence_new(&eo, &ev, eb), 0);
	if (!ev)
		return;
	CHECK_EQ_INT(mf_evidence_set_if(ev, &ifc), 0);
	/* keys before any file: they open the first file */
	CHECK_EQ_INT(mf_evidence_keys(ev, "CLIENT_RANDOM a b\n", 18, origin, sizeof(origin)), 0);
	for (i = 0; i < 300; i++) {
		struct mf_frame fr;
		const struct mf_input *in = NULL;
		uint64_t num = 0;
		int64_t now = eo.now_ns + (int64_t)i * 1000000;

		memset(&fr, 0, sizeof(fr));
		fr.data = pkt;
		fr.caplen = fr.wirelen = sizeof(pkt);
		fr.ts_ns = now;
		fr.linktype = 1;
		if (mf_evidence_should_rotate(ev, now) == 1) {
			cnt.recv = (uint64_t)i;
			cnt.kernel_drops = (uint64_t)i / 100;
			mf_evidence_set_counters(ev, &cnt);
			CHECK_EQ_INT(mf_evidence_close(ev, "size", now, eb), 0);
		}
		rc = mf_evidence_write(ev, &fr, now, &opened, &in, &num, eb);
		CHECK_EQ_INT(rc, 0);
		if (opened) {
			nopened++;
			CHECK_EQ_INT(num, 1);
			CHECK_EQ_STR(in->source, "live");
			CHECK_EQ_INT(mf_evidence_opening_keys(ev, &text, &tlen, origin,
			    sizeof(origin)), 1);
			CHECK_EQ_INT(tlen, 18);
			CHECK(strstr(origin, ": pcapng DSB block 3") != NULL);
			CHECK(strstr(origin, in->name) == origin);
		}
	}
	CHECK_EQ_INT(mf_evidence_keys(ev, "CLIENT_RANDOM c d\n", 18, origin, sizeof(origin)), 1);
	CHECK_EQ_INT(mf_evidence_finish(ev, eo.now_ns + 400000000LL, "stopped", "signal TERM",
	    eb), 0);
	CHECK(nopened > 3);
	/* a second run into the same folder is refused */
	CHECK_EQ_INT(mf_evidence_new(&eo, &ev2, eb), MF_ERR_ARG);

	snprintf(mp, sizeof(mp), "%s/manifest.json", edir);
	buf = slurp(mp, &len);
	m = buf ? cJSON_Parse(buf) : NULL;
	free(buf);
	CHECK(m != NULL);
	CHECK_EQ_STR(cJSON_GetObjectItem(m, "status")->valuestring, "stopped");
	CHECK_EQ_STR(cJSON_GetObjectItem(m, "format")->valuestring, "miforensics-live-evidence/1");
	files = cJSON_GetObjectItem(m, "files");
	CHECK_EQ_INT(cJSON_GetArraySize(files), nopened);
	i = 0;
	cJSON_ArrayForEach(f, files) {
		const char *state = cJSON_GetObjectItem(f, "state")->valuestring;
		const char *name = cJSON_GetObjectItem(f, "file")->valuestring;
		const char *sha = cJSON_GetObjectItem(f, "sha256")->valuestring;
		double packets = cJSON_GetObjectItem(f, "packets")->valuedouble;
		char p[800], hex[65];
		uint64_t n = 0;
		size_t flen;
		char *fb;

		i++;
		total += (uint64_t)packets;
		snprintf(p, sizeof(p), "%s/%s", edir, name);
		CHECK(strncmp(name, "live-00000", 10) == 0);
		CHECK(strstr(name, "-20231114T221320Z.pcapng") != NULL ||
		    strstr(name, "-20231114T2213") != NULL);
		if (i <= nopened - 3) {
			CHECK_EQ_STR(state, "deleted");
			CHECK(access(p, F_OK) != 0);
			CHECK_EQ_INT(strlen(sha), 64);   /* the hash stays */
			continue;
		}
		CHECK_EQ_STR(state, "closed");
		fb = slurp(p, &flen);
		CHECK(fb != NULL);
		if (!fb)
			continue;
		sha_hex(fb, flen, hex);
		CHECK_EQ_STR(sha, hex);
		CHECK_EQ_INT(flen, (long long)cJSON_GetObjectItem(f, "size")->valuedouble);
		CHECK_EQ_INT(count_frames(fb, flen, &n, NULL), MF_ERR_EOF);
		CHECK_EQ_INT(n, (uint64_t)packets);
		free(fb);
	}
	CHECK_EQ_INT(total, 300);
	CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "totals"), "packets")->valuedouble,
	    300);
	cJSON_Delete(m);
	mf_evidence_free(ev);
}

int main(void)
{
	char tmpl[] = "/tmp/mf-live-writer-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char cmd[600];

	if (!dir) {
		perror("mkdtemp");
		return 1;
	}
	test_roundtrip(dir);
	test_full(dir);
	test_evidence(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return TEST_DONE();
}
