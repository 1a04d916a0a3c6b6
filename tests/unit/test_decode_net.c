/*
 * test_decode_net.c - link types, VLANs, IPv4/IPv6, extension headers,
 * fragment reassembly and its caps, truncation policy, UDP dispatch and
 * ticks, Community ID.  Frames are built by hand; events are captured with
 * a test sink; dispatch goes to a table of fake protocols
 * (mf_decoder_new_table) so this test does not depend on the real ones.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_decode_int.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_proto.h"
#include "mf_test.h"

#define S 1000000000LL
#define T0 (1617026674LL * S)

/* ---- fake protocols ----------------------------------------------------- */

struct rec {
	int calls, ticks, finals, states, frees;
	int64_t last_tick;
	struct mf_pkt last;
	uint64_t frame_no;
	uint8_t payload[70000];
	size_t plen;
};

static struct rec fake_rec, probe_rec;

static void *fake_new(struct mf_ctx *ctx)
{
	(void)ctx;
	fake_rec.states++;
	return &fake_rec;
}

static void *probe_new(struct mf_ctx *ctx)
{
	(void)ctx;
	probe_rec.states++;
	return &probe_rec;
}

static void rec_free(void *st)
{
	((struct rec *)st)->frees++;
}

static int rec_decode(void *st, struct mf_ctx *ctx, const struct mf_pkt *p)
{
	struct rec *r = st;

	(void)ctx;
	r->calls++;
	r->last = *p;
	r->frame_no = p->frame->number;
	r->plen = p->len < sizeof(r->payload) ? p->len : sizeof(r->payload);
	if (r->plen)
		memcpy(r->payload, p->payload, r->plen);
	return 0;
}

static void rec_tick(void *st, struct mf_ctx *ctx, int64_t now, int final)
{
	struct rec *r = st;

	(void)ctx;
	if (final)
		r->finals++;
	else
		r->ticks++;
	r->last_tick = now;
}

static int probe_fn(const struct mf_pkt *p)
{
	return p->len >= 4 && memcmp(p->payload, "PRB!", 4) == 0;
}

static const struct mf_udp_proto fake_proto = {
	.name = "fake", .ports = { 54321, 0 }, .probe = NULL, .state_new = fake_new,
	.state_free = rec_free, .decode = rec_decode, .tick = rec_tick,
};

static const struct mf_udp_proto probe_proto = {
	.name = "probed", .ports = { 0 }, .probe = probe_fn, .state_new = probe_new,
	.state_free = rec_free, .decode = rec_decode, .tick = NULL,
};

static const struct mf_udp_proto *const fake_table[] = { &fake_proto, &probe_proto, NULL };

/* ---- sink and environment ----------------------------------------------- */

#define MAXEV 512

struct env {
	struct mf_ctx ctx;
	struct mf_event *ev[MAXEV];
	size_t nev;
	struct mf_decoder *d;
	struct mf_input in, in2;
	uint64_t fno;
};

static int sink(void *arg, struct mf_event *ev)
{
	struct env *e = arg;

	if (e->nev < MAXEV)
		e->ev[e->nev++] = ev;
	else
		mf_event_free(ev);
	return 0;
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	memset(&fake_rec, 0, sizeof(fake_rec));
	memset(&probe_rec, 0, sizeof(probe_rec));
	mf_ctx_init(&e->ctx);
	e->ctx.emit = sink;
	e->ctx.emit_arg = e;
	e->in.name = "t.pcap";
	e->in.source = "pcap";
	e->in2.name = "u.pcap";
	e->in2.source = "pcap";
}

static void env_start(struct env *e)
{
	e->d = mf_decoder_new_table(&e->ctx, fake_table);
	CHECK(e->d != NULL);
	CHECK_EQ_INT(fake_rec.states, 1);
	CHECK_EQ_INT(probe_rec.states, 1);
}

static void env_done(struct env *e)
{
	size_t i;

	mf_decoder_free(e->d);
	for (i = 0; i < e->nev; i++)
		mf_event_free(e->ev[i]);
	e->nev = 0;
}

static const char *ev_reason(const struct mf_event *ev)
{
	cJSON *r = cJSON_GetObjectItemCaseSensitive(ev->body, "reason");

	return cJSON_IsString(r) ? r->valuestring : "";
}

static size_t nreason(const struct env *e, const char *reason)
{
	size_t i, n = 0;

	for (i = 0; i < e->nev; i++)
		if (strcmp(e->ev[i]->kind, "anomaly") == 0 && strcmp(ev_reason(e->ev[i]), reason) == 0)
			n++;
	return n;
}

static const struct mf_event *find_reason(const struct env *e, const char *reason)
{
	size_t i;

	for (i = 0; i < e->nev; i++)
		if (strcmp(ev_reason(e->ev[i]), reason) == 0)
			return e->ev[i];
	return NULL;
}

static int feed_in(struct env *e, const struct mf_input *in, uint32_t lt, const uint8_t *b,
                   size_t n, uint32_t wirelen, int64_t ts)
{
	struct mf_frame f;

	memset(&f, 0, sizeof(f));
	f.data = b;
	f.caplen = (uint32_t)n;
	f.wirelen = wirelen ? wirelen : (uint32_t)n;
	f.ts_ns = ts;
	f.linktype = lt;
	f.number = ++e->fno;
	f.input = in;
	return mf_decode_frame(e->d, &f);
}

static int feed(struct env *e, uint32_t lt, const uint8_t *b, size_t n)
{
	return feed_in(e, &e->in, lt, b, n, 0, T0 + (int64_t)e->fno * 1000);
}

/* ---- packet builders ---------------------------------------------------- */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void addr(const char *s, uint8_t *out, int v6)
{
	CHECK(inet_pton(v6 ? AF_INET6 : AF_INET, s, out) == 1);
}

/* IPv4 header + l4; flags_off is the raw 16-bit field. */
static size_t ip4(uint8_t *b, const char *src, const char *dst, uint8_t proto, uint16_t id,
                  uint16_t flags_off, const uint8_t *l4, size_t n)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	put16(b + 2, (unsigned)(20 + n));
	put16(b + 4, id);
	put16(b + 6, flags_off);
	b[8] = 64;
	b[9] = proto;
	addr(src, b + 12, 0);
	addr(dst, b + 16, 0);
	memcpy(b + 20, l4, n);
	return 20 + n;
}

static size_t udph(uint8_t *b, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	put16(b, sp);
	put16(b + 2, dp);
	put16(b + 4, (unsigned)(8 + n));
	put16(b + 6, 0);
	memcpy(b + 8, pl, n);
	return 8 + n;
}

static size_t udp4(uint8_t *b, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	uint8_t l4[2048];
	size_t k = udph(l4, sp, dp, pl, n);

	return ip4(b, "192.168.1.10", "192.168.1.20", 17, 1, 0x4000, l4, k);
}

static size_t ip6(uint8_t *b, const char *src, const char *dst, uint8_t nh, const uint8_t *rest,
                  size_t n)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (unsigned)n);
	b[6] = nh;
	b[7] = 64;
	addr(src, b + 8, 1);
	addr(dst, b + 24, 1);
	memcpy(b + 40, rest, n);
	return 40 + n;
}

static size_t udp6(uint8_t *b, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	uint8_t l4[2048];
	size_t k = udph(l4, sp, dp, pl, n);

	return ip6(b, "fe80::1", "fe80::2", 17, l4, k);
}

/* Ethernet with optional tags: tpid[i]/vid[i]. */
static size_t eth(uint8_t *b, const uint16_t *tpid, const uint16_t *vid, int ntags,
                  uint16_t type, const uint8_t *l3, size_t n)
{
	size_t k = 12;
	int i;

	memset(b, 0, 12);
	b[0] = 0x02;
	b[6] = 0x04;
	for (i = 0; i < ntags; i++) {
		put16(b + k, tpid[i]);
		put16(b + k + 2, vid[i]);
		k += 4;
	}
	put16(b + k, type);
	k += 2;
	memcpy(b + k, l3, n);
	return k + n;
}

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* ---- tests ------------------------------------------------------------- */

static void expect_hello(int calls_before, const char *what)
{
	if (fake_rec.calls != calls_before + 1)
		fprintf(stderr, "link case %s: not dispatched\n", what);
	CHECK_EQ_INT(fake_rec.calls, calls_before + 1);
	CHECK_EQ_INT(fake_rec.plen, 5);
	CHECK_MEM(fake_rec.payload, "hello", 5);
	CHECK_EQ_INT(fake_rec.last.dport, 54321);
	CHECK_EQ_INT(fake_rec.last.sport, 40000);
	CHECK_EQ_INT(fake_rec.last.claimed_len, 5);
	CHECK_EQ_INT(fake_rec.last.reassembled, 0);
}

static void test_links(void)
{
	struct env e;
	uint8_t v4[256], v6[256], fr[512];
	size_t n4, n6, n;
	int c;
	static const uint32_t af6[] = { 24, 28, 30 };
	unsigned i;

	env_init(&e);
	env_start(&e);
	n4 = udp4(v4, 40000, 54321, "hello", 5);
	n6 = udp6(v6, 40000, 54321, "hello", 5);

	c = fake_rec.calls;
	n = eth(fr, NULL, NULL, 0, 0x0800, v4, n4);
	CHECK_EQ_INT(feed(&e, 1, fr, n), 0);
	expect_hello(c, "ethernet v4");
	CHECK_EQ_INT(fake_rec.last.ipver, 4);
	CHECK_EQ_INT(fake_rec.last.addr_len, 4);
	CHECK_MEM(fake_rec.last.src, "\xc0\xa8\x01\x0a", 4);
	CHECK_MEM(fake_rec.last.dst, "\xc0\xa8\x01\x14", 4);
	CHECK_EQ_INT(fake_rec.last.nvlan, 0);
	CHECK_EQ_INT(fake_rec.frame_no, e.fno);

	c = fake_rec.calls;
	n = eth(fr, NULL, NULL, 0, 0x86dd, v6, n6);
	feed(&e, 1, fr, n);
	expect_hello(c, "ethernet v6");
	CHECK_EQ_INT(fake_rec.last.ipver, 6);
	CHECK_EQ_INT(fake_rec.last.addr_len, 16);

	/* LLC/SNAP: 802.3 length, AA AA 03 00 00 00, EtherType */
	c = fake_rec.calls;
	memset(fr, 0, 12);
	put16(fr + 12, (unsigned)(8 + n4));
	memcpy(fr + 14, "\xaa\xaa\x03\x00\x00\x00\x08\x00", 8);
	memcpy(fr + 22, v4, n4);
	feed(&e, 1, fr, 22 + n4);
	expect_hello(c, "snap");

	/* Linux SLL: pkttype, hatype, addrlen, addr[8], protocol */
	c = fake_rec.calls;
	memset(fr, 0, 16);
	put16(fr + 2, 1);
	put16(fr + 4, 6);
	put16(fr + 14, 0x0800);
	memcpy(fr + 16, v4, n4);
	feed(&e, 113, fr, 16 + n4);
	expect_hello(c, "sll");
	c = fake_rec.calls;
	put16(fr + 14, 0x86dd);
	memcpy(fr + 16, v6, n6);
	feed(&e, 113, fr, 16 + n6);
	expect_hello(c, "sll v6");

	/* Linux SLL with a VLAN tag re-inserted by libpcap */
	c = fake_rec.calls;
	put16(fr + 14, 0x8100);
	put16(fr + 16, 0x2000 | 42);
	put16(fr + 18, 0x0800);
	memcpy(fr + 20, v4, n4);
	feed(&e, 113, fr, 20 + n4);
	expect_hello(c, "sll vlan");
	CHECK_EQ_INT(fake_rec.last.nvlan, 1);
	CHECK_EQ_INT(fake_rec.last.vlan[0], 42);

	/* Linux SLL2: protocol first, 20 bytes */
	c = fake_rec.calls;
	memset(fr, 0, 20);
	put16(fr, 0x0800);
	fr[7] = 3;
	put16(fr + 8, 1);
	fr[11] = 6;
	memcpy(fr + 20, v4, n4);
	feed(&e, 276, fr, 20 + n4);
	expect_hello(c, "sll2");

	/* BSD NULL: AF in either byte order */
	c = fake_rec.calls;
	memcpy(fr, "\x02\x00\x00\x00", 4);
	memcpy(fr + 4, v4, n4);
	feed(&e, 0, fr, 4 + n4);
	expect_hello(c, "null le");
	c = fake_rec.calls;
	memcpy(fr, "\x00\x00\x00\x02", 4);
	feed(&e, 0, fr, 4 + n4);
	expect_hello(c, "null be");
	for (i = 0; i < 3; i++) {
		c = fake_rec.calls;
		memset(fr, 0, 4);
		fr[0] = (uint8_t)af6[i];
		memcpy(fr + 4, v6, n6);
		feed(&e, 0, fr, 4 + n6);
		expect_hello(c, "null v6");
		c = fake_rec.calls;
		memset(fr, 0, 4);
		fr[3] = (uint8_t)af6[i];
		feed(&e, 108, fr, 4 + n6);
		expect_hello(c, "loop v6");
	}
	/* LOOP is big-endian only: a little-endian AF is not IP */
	c = fake_rec.calls;
	memcpy(fr, "\x02\x00\x00\x00", 4);
	memcpy(fr + 4, v4, n4);
	feed(&e, 108, fr, 4 + n4);
	CHECK_EQ_INT(fake_rec.calls, c);
	c = fake_rec.calls;
	memcpy(fr, "\x00\x00\x00\x02", 4);
	feed(&e, 108, fr, 4 + n4);
	expect_hello(c, "loop v4");

	/* Raw IP family */
	c = fake_rec.calls;
	feed(&e, 101, v4, n4);
	expect_hello(c, "raw v4");
	c = fake_rec.calls;
	feed(&e, 101, v6, n6);
	expect_hello(c, "raw v6");
	c = fake_rec.calls;
	feed(&e, 12, v4, n4);
	expect_hello(c, "dlt12");
	c = fake_rec.calls;
	feed(&e, 14, v6, n6);
	expect_hello(c, "dlt14");
	c = fake_rec.calls;
	feed(&e, 228, v4, n4);
	expect_hello(c, "ipv4");
	c = fake_rec.calls;
	feed(&e, 229, v6, n6);
	expect_hello(c, "ipv6");

	/* ARP is not ours: nothing, quietly */
	c = fake_rec.calls;
	n = eth(fr, NULL, NULL, 0, 0x0806, v4, 28);
	feed(&e, 1, fr, n);
	CHECK_EQ_INT(fake_rec.calls, c);

	CHECK_EQ_INT(e.nev, 0);
	CHECK(mf_decode_linktype_supported(1) && mf_decode_linktype_supported(276) &&
	    mf_decode_linktype_supported(0) && !mf_decode_linktype_supported(147));
	env_done(&e);
}

static void test_vlan(void)
{
	struct env e;
	uint8_t v4[256], fr[512];
	size_t n4, n;
	static const uint16_t t1[] = { 0x8100 }, v1[] = { 0x6000 | 100 };
	static const uint16_t t2[] = { 0x88a8, 0x8100 }, v2[] = { 200, 300 };
	static const uint16_t t3[] = { 0x9100, 0x8100 }, v3[] = { 7, 4095 };
	static const uint16_t t4[] = { 0x88a8, 0x8100, 0x8100 }, v4t[] = { 10, 20, 30 };
	struct mf_event *ev;
	char *js;

	env_init(&e);
	env_start(&e);
	n4 = udp4(v4, 40000, 54321, "hello", 5);

	n = eth(fr, t1, v1, 1, 0x0800, v4, n4);
	feed(&e, 1, fr, n);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.last.nvlan, 1);
	CHECK_EQ_INT(fake_rec.last.vlan[0], 100);

	n = eth(fr, t2, v2, 2, 0x0800, v4, n4);
	feed(&e, 1, fr, n);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(fake_rec.last.nvlan, 2);
	CHECK_EQ_INT(fake_rec.last.vlan[0], 200);
	CHECK_EQ_INT(fake_rec.last.vlan[1], 300);

	ev = mf_event_new(T0, "pcap", "fake", "data");
	CHECK_EQ_INT(mf_pkt_add_net(ev, &fake_rec.last), 0);
	js = cJSON_PrintUnformatted(ev->body);
	CHECK_EQ_STR(js, "{\"net\":{\"src\":\"192.168.1.10\",\"sport\":40000,\"dst\":"
	    "\"192.168.1.20\",\"dport\":54321,\"vlan\":[200,300],\"community_id\":"
	    "\"1:rHERVhgiXSZA/wlaQAC2wV26K/M=\"}}");
	free(js);
	mf_event_free(ev);

	n = eth(fr, t3, v3, 2, 0x0800, v4, n4);
	feed(&e, 1, fr, n);
	CHECK_EQ_INT(fake_rec.calls, 3);
	CHECK_EQ_INT(fake_rec.last.vlan[0], 7);
	CHECK_EQ_INT(fake_rec.last.vlan[1], 4095);

	/* three tags: the outer two are recorded, the packet still decodes */
	n = eth(fr, t4, v4t, 3, 0x0800, v4, n4);
	feed(&e, 1, fr, n);
	CHECK_EQ_INT(fake_rec.calls, 4);
	CHECK_EQ_INT(fake_rec.last.nvlan, 2);
	CHECK_EQ_INT(fake_rec.last.vlan[0], 10);
	CHECK_EQ_INT(fake_rec.last.vlan[1], 20);

	/* tag cut short in a complete frame */
	n = eth(fr, t1, v1, 1, 0x0800, v4, 0);
	feed(&e, 1, fr, 16);
	CHECK_EQ_INT(nreason(&e, "link_truncated"), 1);
	env_done(&e);
}

static void test_unknown_link(void)
{
	struct env e;
	uint8_t fr[64] = { 0 };

	env_init(&e);
	env_start(&e);
	feed(&e, 147, fr, sizeof(fr));
	feed(&e, 147, fr, sizeof(fr));
	feed(&e, 147, fr, sizeof(fr));
	CHECK_EQ_INT(nreason(&e, "link_unknown"), 1);
	CHECK_EQ_INT(e.ctx.st.link_unknown, 3);
	feed(&e, 148, fr, sizeof(fr));
	CHECK_EQ_INT(nreason(&e, "link_unknown"), 2);
	feed_in(&e, &e.in2, 147, fr, sizeof(fr), 0, T0);
	CHECK_EQ_INT(nreason(&e, "link_unknown"), 3);
	CHECK_EQ_INT(e.ctx.st.link_unknown, 5);
	CHECK_EQ_INT(e.ctx.st.decoded_frames, 5);
	env_done(&e);
}

static void test_ipv6_ext(void)
{
	struct env e;
	uint8_t rest[512], pkt[600], l4[64];
	size_t n, k;

	env_init(&e);
	env_start(&e);
	k = udph(l4, 40000, 54321, "hello", 5);

	/* hop-by-hop (8) -> routing (16) -> destination options (8) -> UDP */
	memset(rest, 0, sizeof(rest));
	rest[0] = 43;
	rest[1] = 0;
	rest[2] = 1;     /* PadN */
	rest[3] = 4;
	rest[8] = 60;
	rest[9] = 1;
	rest[24] = 17;
	rest[25] = 0;
	memcpy(rest + 32, l4, k);
	n = ip6(pkt, "2001:db8::1", "2001:db8::2", 0, rest, 32 + k);
	feed(&e, 229, pkt, n);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.plen, 5);
	CHECK_MEM(fake_rec.payload, "hello", 5);

	/* atomic fragment (offset 0, M 0) is a whole packet */
	memset(rest, 0, 8);
	rest[0] = 17;
	put16(rest + 2, 0);
	memcpy(rest + 4, "\x00\x00\x12\x34", 4);
	memcpy(rest + 8, l4, k);
	n = ip6(pkt, "2001:db8::1", "2001:db8::2", 44, rest, 8 + k);
	feed(&e, 229, pkt, n);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(fake_rec.last.reassembled, 0);
	CHECK_EQ_INT(e.ctx.st.frags, 0);

	/* AH (51) is not walked: other_ip, quietly */
	memset(rest, 0, 16);
	rest[0] = 17;
	rest[1] = 2;
	n = ip6(pkt, "2001:db8::1", "2001:db8::2", 51, rest, 24);
	feed(&e, 229, pkt, n);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(e.ctx.st.other_ip, 1);

	/* destination options longer than the payload length: invalid */
	memset(rest, 0, 16);
	rest[0] = 17;
	rest[1] = 4;     /* 40 bytes */
	n = ip6(pkt, "2001:db8::1", "2001:db8::2", 60, rest, 16);
	feed(&e, 229, pkt, n);
	CHECK_EQ_INT(nreason(&e, "ipv6_bad_header"), 1);

	/* version 4 on the IPv6 link */
	pkt[0] = 0x40;
	feed(&e, 229, pkt, n);
	CHECK_EQ_INT(nreason(&e, "ipv6_bad_header"), 2);
	CHECK_EQ_INT(e.ctx.st.ip_invalid, 2);
	CHECK_EQ_INT(e.ctx.st.ipv6, 5);
	env_done(&e);
}

/* Splits l4 into IPv4 fragments of `step` bytes and feeds them in `order`. */
static void feed_v4_frags(struct env *e, const uint8_t *l4, size_t n, size_t step, uint16_t id,
                          const int *order, int nfr)
{
	uint8_t pkt[2048];
	int i;

	for (i = 0; i < nfr; i++) {
		size_t off = (size_t)order[i] * step, len = n - off < step ? n - off : step;
		int more = off + len < n;
		size_t k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, id,
		    (uint16_t)((more ? 0x2000 : 0) | (off / 8)), l4 + off, len);

		feed(e, 101, pkt, k);
	}
}

static void test_ipv4_frags(void)
{
	struct env e;
	static uint8_t pl[3000], l4[3100], pl2[3000], l4b[3100];
	size_t n;
	static const int in_order[] = { 0, 1, 2 }, reverse[] = { 2, 1, 0 }, mixed[] = { 1, 2, 0 };

	env_init(&e);
	env_start(&e);
	pattern(pl, sizeof(pl), 1);
	n = udph(l4, 5555, 54321, pl, sizeof(pl));

	feed_v4_frags(&e, l4, n, 1480, 0x100, in_order, 3);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.last.reassembled, 1);
	CHECK_EQ_INT(fake_rec.plen, sizeof(pl));
	CHECK_EQ_INT(fake_rec.last.claimed_len, sizeof(pl));
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));
	CHECK_EQ_INT(fake_rec.frame_no, e.fno);   /* the last fragment's frame */
	CHECK_EQ_INT(fake_rec.last.sport, 5555);

	feed_v4_frags(&e, l4, n, 1480, 0x101, reverse, 3);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));
	CHECK_EQ_INT(fake_rec.frame_no, e.fno);

	feed_v4_frags(&e, l4, n, 1480, 0x102, mixed, 3);
	CHECK_EQ_INT(fake_rec.calls, 3);
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));

	/* small fragments (8 bytes each), reverse order */
	{
		int ord[400], i, nf = (int)((n + 7) / 8);

		for (i = 0; i < nf; i++)
			ord[i] = nf - 1 - i;
		feed_v4_frags(&e, l4, n, 8, 0x103, ord, nf);
		CHECK_EQ_INT(fake_rec.calls, 4);
		CHECK_MEM(fake_rec.payload, pl, sizeof(pl));
	}
	CHECK_EQ_INT(e.ctx.st.frag_reassembled, 4);

	/* the capture saw datagram 0x100 twice: a copy, not a new queue */
	feed_v4_frags(&e, l4, n, 1480, 0x100, in_order, 3);
	CHECK_EQ_INT(fake_rec.calls, 4);
	/* same id, other content: a new datagram */
	pattern(pl2, sizeof(pl2), 9);
	n = udph(l4b, 5555, 54321, pl2, sizeof(pl2));
	feed_v4_frags(&e, l4b, n, 1480, 0x100, in_order, 3);
	CHECK_EQ_INT(fake_rec.calls, 5);
	CHECK_MEM(fake_rec.payload, pl2, sizeof(pl2));

	/* fragments of other protocols than UDP and TCP (here GRE) are
	 * counted, not held */
	{
		uint8_t pkt[128], gre[40] = { 0 };
		size_t k = ip4(pkt, "10.0.0.1", "10.0.0.2", 47, 9, 0x2000, gre, 40);

		feed(&e, 101, pkt, k);
		CHECK_EQ_INT(e.ctx.st.other_ip, 1);
	}
	mf_decoder_finish(e.d, T0 + 10 * S);
	CHECK_EQ_INT(e.nev, 0);
	env_done(&e);
}

static void test_overlap(void)
{
	struct env e;
	static uint8_t pl[2000], l4[2100], bad[2100];
	uint8_t pkt[2048];
	size_t n, k;

	env_init(&e);
	env_start(&e);
	pattern(pl, sizeof(pl), 3);
	n = udph(l4, 5555, 54321, pl, sizeof(pl));   /* 2008 bytes */

	/* [0,1480) then an identical overlap [1000, 2008): no finding */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x200, 0x2000 | 0, l4, 1480);
	feed(&e, 101, pkt, k);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x200, 1000 / 8, l4 + 1000, n - 1000);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));
	CHECK_EQ_INT(nreason(&e, "ip_frag_overlap"), 0);

	/* conflicting overlap: the first copy wins, and it is a finding */
	memcpy(bad, l4, n);
	memset(bad + 1000, 0xEE, 600);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x201, 0x2000 | 0, l4, 1480);
	feed(&e, 101, pkt, k);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x201, 1000 / 8, bad + 1000, n - 1000);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(nreason(&e, "ip_frag_overlap"), 1);
	CHECK_MEM(fake_rec.payload, pl, 1480 - 8);          /* first copy kept */
	CHECK_MEM(fake_rec.payload + 1472, bad + 1480, 120); /* gap filled from the 2nd */

	/* two last fragments disagreeing on the end */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x202, 1480 / 8, l4 + 1480, n - 1480);
	feed(&e, 101, pkt, k);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x202, 1480 / 8, l4 + 1480, n - 1480 - 16);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_inconsistent"), 1);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x202, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 3);
	CHECK_EQ_INT(fake_rec.plen, sizeof(pl));

	/* a non-last fragment of odd length */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x203, 0x2000, l4, 101);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_bad_length"), 1);

	/* past 65535 */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 0x204, 8191, l4, 100);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_oversize"), 1);

	mf_decoder_finish(e.d, T0 + S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 1);   /* 0x203 */
	env_done(&e);
}

static size_t ip6_frag(uint8_t *b, uint8_t nh, uint32_t id, uint32_t off, int more,
                       const uint8_t *data, size_t n)
{
	uint8_t rest[2048];

	rest[0] = nh;
	rest[1] = 0;
	put16(rest + 2, (unsigned)(off | (more ? 1 : 0)));
	rest[4] = (uint8_t)(id >> 24);
	rest[5] = (uint8_t)(id >> 16);
	rest[6] = (uint8_t)(id >> 8);
	rest[7] = (uint8_t)id;
	memcpy(rest + 8, data, n);
	return ip6(b, "fd00::10", "fd00::20", 44, rest, 8 + n);
}

static void test_ipv6_frags(void)
{
	struct env e;
	static uint8_t pl[2500], l4[2600], part[2700];
	uint8_t pkt[2048];
	size_t n, k;

	env_init(&e);
	env_start(&e);
	pattern(pl, sizeof(pl), 5);
	n = udph(l4, 54321, 6000, pl, sizeof(pl));   /* 2508 */

	k = ip6_frag(pkt, 17, 0xdeadbeef, 1232, 0, l4 + 1232, n - 1232);
	feed(&e, 229, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 0);
	k = ip6_frag(pkt, 17, 0xdeadbeef, 0, 1, l4, 1232);
	feed(&e, 229, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.last.reassembled, 1);
	CHECK_EQ_INT(fake_rec.last.ipver, 6);
	CHECK_EQ_INT(fake_rec.plen, sizeof(pl));
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));

	/* destination options inside the fragmentable part, before UDP */
	memset(part, 0, 8);
	part[0] = 17;
	memcpy(part + 8, l4, n);
	k = ip6_frag(pkt, 60, 7, 0, 1, part, 1200);
	feed(&e, 229, pkt, k);
	k = ip6_frag(pkt, 60, 7, 1200, 0, part + 1200, n + 8 - 1200);
	feed(&e, 229, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(fake_rec.plen, sizeof(pl));
	CHECK_MEM(fake_rec.payload, pl, sizeof(pl));

	/* a fragment header inside the reassembled part is invalid */
	memset(part, 0, 16);
	part[0] = 17;
	k = ip6_frag(pkt, 44, 8, 0, 1, part, 16);
	feed(&e, 229, pkt, k);
	k = ip6_frag(pkt, 44, 8, 16, 0, part, 16);
	feed(&e, 229, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ipv6_bad_header"), 1);
	CHECK_EQ_INT(e.ctx.st.frag_reassembled, 3);
	env_done(&e);
}

static void test_frag_limits(void)
{
	struct env e;
	static uint8_t l4[3100];
	uint8_t pkt[2048], hello[256];
	size_t k, hn;
	const struct mf_event *ev;

	/* timeout: expired on the next tick, without another fragment */
	env_init(&e);
	e.ctx.lim.frag_timeout_ns = 2 * S;
	env_start(&e);
	pattern(l4, sizeof(l4), 2);
	hn = udp4(hello, 40000, 9999, "x", 1);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 0x2000, l4, 1480);
	feed_in(&e, &e.in, 101, pkt, k, 0, T0);
	feed_in(&e, &e.in, 101, hello, hn, 0, T0 + S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 0);
	feed_in(&e, &e.in, 101, hello, hn, 0, T0 + 3 * S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 1);
	ev = find_reason(&e, "ip_frag_incomplete");
	CHECK(ev && ev->ts_ns == T0);   /* evidence: the first fragment */
	CHECK_EQ_INT(e.ctx.st.frag_dropped, 1);
	mf_decoder_finish(e.d, T0 + 4 * S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 1);
	env_done(&e);

	/* queue cap: the oldest goes */
	env_init(&e);
	e.ctx.lim.frag_queues_max = 2;
	env_start(&e);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 2, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 0);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 3, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 1);
	/* id 1 is gone: its last fragment opens a new queue (dropping id 2) */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 1480 / 8, l4 + 1480, 100);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 0);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 2);
	mf_decoder_finish(e.d, T0 + S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 2);
	CHECK_EQ_INT(e.ctx.st.frag_dropped, 4);
	env_done(&e);

	/* memory cap */
	env_init(&e);
	e.ctx.lim.frag_mem_max = 6000;
	env_start(&e);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 0x2000 | 1480 / 8, l4 + 1480, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 0);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 2, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 1);
	/* a datagram that alone needs more than the cap */
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 2, 0x2000 | 5920 / 8, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 2);
	mf_decoder_finish(e.d, T0 + S);
	CHECK_EQ_INT(nreason(&e, "ip_frag_incomplete"), 0);
	env_done(&e);

	/* no queues allowed at all: each fragment is reported, none held */
	env_init(&e);
	e.ctx.lim.frag_queues_max = 0;
	env_start(&e);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 1, 0x2000, l4, 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 1);
	env_done(&e);

	/* a hole flood: hundreds of separate pieces */
	env_init(&e);
	env_start(&e);
	{
		unsigned i;

		for (i = 0; i < 300; i++) {
			k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 9, (uint16_t)(0x2000 | (i * 2)), l4, 8);
			feed(&e, 101, pkt, k);
		}
	}
	CHECK_EQ_INT(nreason(&e, "ip_frag_dropped"), 1);
	ev = find_reason(&e, "ip_frag_dropped");
	CHECK(ev && strstr(cJSON_GetObjectItemCaseSensitive(ev->body, "detail")->valuestring,
	    "separate pieces") != NULL);
	env_done(&e);

	/* a fragment cut by the snaplen: the datagram still completes, truncated */
	env_init(&e);
	env_start(&e);
	{
		static uint8_t body[2000];

		pattern(body, sizeof(body), 4);
		k = udph(l4, 5555, 54321, body, sizeof(body));
	}
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 5, 0x2000, l4, 1480);
	feed_in(&e, &e.in, 101, pkt, 200, (uint32_t)k, T0);
	CHECK_EQ_INT(e.nev, 0);
	k = ip4(pkt, "10.0.0.1", "10.0.0.2", 17, 5, 1480 / 8, l4 + 1480, 2008 - 1480);
	feed(&e, 101, pkt, k);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.last.len, 180 - 8);
	CHECK_EQ_INT(fake_rec.last.claimed_len, 2000);
	CHECK_EQ_INT(nreason(&e, "udp_truncated"), 1);
	env_done(&e);
}

static void test_truncation(void)
{
	struct env e;
	uint8_t v4[256], fr[512], pl[100];
	size_t n4, n;
	const struct mf_event *ev;

	env_init(&e);
	env_start(&e);
	memset(pl, 'a', sizeof(pl));

	/* link header cut in a complete frame vs by the snaplen */
	memset(fr, 0, sizeof(fr));
	feed(&e, 1, fr, 10);
	CHECK_EQ_INT(nreason(&e, "link_truncated"), 1);
	feed_in(&e, &e.in, 1, fr, 10, 100, T0);
	feed_in(&e, &e.in, 113, fr, 10, 100, T0);
	CHECK_EQ_INT(nreason(&e, "link_truncated"), 1);
	CHECK_EQ_INT(nreason(&e, "snaplen_short"), 1);

	/* invalid IPv4 headers */
	n4 = udp4(v4, 40000, 9999, pl, 10);
	v4[0] = 0x55;
	feed(&e, 228, v4, n4);
	v4[0] = 0x44;
	feed(&e, 228, v4, n4);
	v4[0] = 0x45;
	put16(v4 + 2, 12);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "ipv4_bad_header"), 3);
	CHECK_EQ_INT(e.ctx.st.ip_invalid, 3);

	/* raw link, neither 4 nor 6 */
	v4[0] = 0x75;
	feed(&e, 101, v4, n4);
	CHECK_EQ_INT(nreason(&e, "ip_bad_version"), 1);

	/* complete frame, shorter than the IPv4 header / total length says */
	n4 = udp4(v4, 40000, 9999, pl, 10);
	feed(&e, 228, v4, 12);
	CHECK_EQ_INT(nreason(&e, "ipv4_truncated"), 1);
	put16(v4 + 2, (unsigned)(n4 + 50));
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "ipv4_truncated"), 2);

	/* snaplen-cut UDP: silent for other ports, reported for ours */
	n4 = udp4(v4, 40000, 9999, pl, 100);
	feed_in(&e, &e.in, 228, v4, 60, (uint32_t)n4, T0);
	CHECK_EQ_INT(fake_rec.calls, 0);
	n4 = udp4(v4, 40000, 54321, pl, 100);
	feed_in(&e, &e.in, 228, v4, 60, (uint32_t)n4, T0);
	CHECK_EQ_INT(fake_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.last.len, 60 - 28);
	CHECK_EQ_INT(fake_rec.last.claimed_len, 100);
	CHECK_EQ_INT(nreason(&e, "udp_truncated"), 1);
	ev = find_reason(&e, "udp_truncated");
	CHECK(ev && ev->protocol && strcmp(ev->protocol, "fake") == 0);
	if (ev) {
		cJSON *net = cJSON_GetObjectItemCaseSensitive(ev->body, "net");
		cJSON *dp = cJSON_GetObjectItemCaseSensitive(net, "dport");
		cJSON *evi = cJSON_GetObjectItemCaseSensitive(ev->body, "evidence");

		CHECK(cJSON_IsNumber(dp) && dp->valueint == 54321);
		CHECK(cJSON_IsObject(evi));
	}
	/* cut inside the UDP header: ports readable, ours */
	feed_in(&e, &e.in, 228, v4, 24, (uint32_t)n4, T0);
	CHECK_EQ_INT(nreason(&e, "udp_truncated"), 2);
	CHECK_EQ_INT(fake_rec.calls, 1);
	n4 = udp4(v4, 40000, 9999, pl, 100);
	feed_in(&e, &e.in, 228, v4, 24, (uint32_t)n4, T0);
	feed_in(&e, &e.in, 228, v4, 10, (uint32_t)n4, T0);
	CHECK_EQ_INT(nreason(&e, "udp_truncated"), 2);
	CHECK_EQ_INT(nreason(&e, "snaplen_short"), 1);

	/* UDP lengths */
	n4 = udp4(v4, 40000, 9999, pl, 10);
	put16(v4 + 24, 4);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "udp_bad_length"), 1);
	put16(v4 + 24, 80);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "udp_bad_length"), 2);
	n4 = ip4(v4, "1.2.3.4", "5.6.7.8", 17, 1, 0, pl, 5);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "udp_bad_length"), 3);
	/* ours with a UDP length shorter than the IP payload */
	n4 = udp4(v4, 40000, 54321, pl, 10);
	put16(v4 + 24, 8 + 6);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(nreason(&e, "udp_trailing_data"), 1);
	CHECK_EQ_INT(fake_rec.calls, 2);
	CHECK_EQ_INT(fake_rec.last.len, 6);

	/* Ethernet padding is trimmed, silently */
	n4 = udp4(v4, 40000, 54321, "hello", 5);
	memset(fr, 0, sizeof(fr));
	n = eth(fr, NULL, NULL, 0, 0x0800, v4, n4);
	CHECK(n < 60);
	memset(fr + n, 0xff, 64 - n);
	n = e.nev;
	feed(&e, 1, fr, 64);
	CHECK_EQ_INT(fake_rec.calls, 3);
	CHECK_EQ_INT(fake_rec.last.len, 5);
	CHECK_EQ_INT(e.nev, n);

	/* TSO: total length 0 means "unknown", not wrong */
	put16(v4 + 2, 0);
	feed(&e, 228, v4, n4);
	CHECK_EQ_INT(fake_rec.calls, 4);
	CHECK_EQ_INT(e.nev, n);

	/* IPv6: complete frame cut inside the header, or shorter than claimed */
	n = udp6(fr, 40000, 9999, pl, 10);
	feed(&e, 229, fr, 30);
	CHECK_EQ_INT(nreason(&e, "ipv6_truncated"), 1);
	put16(fr + 4, 200);
	feed(&e, 229, fr, n);
	CHECK_EQ_INT(nreason(&e, "ipv6_truncated"), 2);
	/* the same cut by the snaplen: silent (port 9999) */
	feed_in(&e, &e.in, 229, fr, 30, 300, T0);
	feed_in(&e, &e.in, 229, fr, n, 300, T0);
	CHECK_EQ_INT(nreason(&e, "ipv6_truncated"), 2);
	env_done(&e);
}

static void test_dispatch_tick(void)
{
	struct env e;
	uint8_t v4[256], pkt[256], tcp[20] = { 0 };
	size_t n;

	env_init(&e);
	env_start(&e);
	n = udp4(v4, 54321, 40000, "hello", 5);   /* source port matches too */
	feed_in(&e, &e.in, 228, v4, n, 0, T0);
	feed_in(&e, &e.in, 228, v4, n, 0, T0 + S / 2);
	CHECK_EQ_INT(fake_rec.ticks, 0);
	feed_in(&e, &e.in, 228, v4, n, 0, T0 + 12 * S / 10);
	CHECK_EQ_INT(fake_rec.ticks, 1);
	CHECK_EQ_INT(fake_rec.last_tick, T0 + 12 * S / 10);
	feed_in(&e, &e.in, 228, v4, n, 0, T0 + 13 * S / 10);
	CHECK_EQ_INT(fake_rec.ticks, 1);
	feed_in(&e, &e.in, 228, v4, n, 0, T0 + 3 * S);
	CHECK_EQ_INT(fake_rec.ticks, 2);
	/* time going back far restarts the clock; no tick, no crash */
	feed_in(&e, &e.in, 228, v4, n, 0, T0 - 100 * S);
	feed_in(&e, &e.in, 228, v4, n, 0, T0 - 99 * S + 1);
	CHECK_EQ_INT(fake_rec.ticks, 3);
	feed_in(&e, &e.in, 228, v4, n, 0, INT64_MAX);
	feed_in(&e, &e.in, 228, v4, n, 0, INT64_MIN + 1);
	CHECK_EQ_INT(fake_rec.calls, 9);

	/* probe: any port, content decides */
	n = udp4(v4, 7000, 7001, "PRB!data", 8);
	feed(&e, 228, v4, n);
	CHECK_EQ_INT(probe_rec.calls, 1);
	CHECK_EQ_INT(fake_rec.calls, 9);
	n = udp4(v4, 7000, 7001, "nope", 4);
	feed(&e, 228, v4, n);
	CHECK_EQ_INT(probe_rec.calls, 1);

	/* TCP goes to the reassembler (test_decode_tcp.c; a zeroed header is
	 * invalid), others are counted, not decoded */
	n = ip4(pkt, "10.0.0.1", "10.0.0.2", 6, 1, 0x4000, tcp, sizeof(tcp));
	feed(&e, 228, pkt, n);
	n = ip4(pkt, "10.0.0.1", "10.0.0.2", 1, 1, 0x4000, tcp, 8);
	feed(&e, 228, pkt, n);
	CHECK_EQ_INT(e.ctx.st.tcp, 1);
	CHECK_EQ_INT(e.ctx.st.other_ip, 1);
	CHECK_EQ_INT(e.ctx.st.udp, 11);
	CHECK_EQ_INT(e.nev, 1);
	CHECK_EQ_INT(nreason(&e, "tcp_bad_header"), 1);

	mf_decoder_finish(e.d, T0 + 5 * S);
	CHECK_EQ_INT(fake_rec.finals, 1);
	CHECK_EQ_INT(fake_rec.last_tick, T0 + 5 * S);
	mf_decoder_free(e.d);
	e.d = NULL;
	CHECK_EQ_INT(fake_rec.frees, 1);
	CHECK_EQ_INT(probe_rec.frees, 1);
	env_done(&e);
}

static void cid_case(uint8_t proto, const char *src, uint16_t sp, const char *dst, uint16_t dp,
                     const char *want)
{
	struct mf_pkt p;
	char out[40];
	int v6 = strchr(src, ':') != NULL;

	memset(&p, 0, sizeof(p));
	p.ipver = v6 ? 6 : 4;
	p.addr_len = v6 ? 16 : 4;
	addr(src, p.src, v6);
	addr(dst, p.dst, v6);
	p.sport = sp;
	p.dport = dp;
	p.ipproto = proto;
	mf_community_id(&p, out);
	CHECK_EQ_STR(out, want);
}

static void test_community_id(void)
{
	char s[46];
	uint8_t a[16];

	/* timeline-formats.md section 4 */
	cid_case(6, "127.0.0.1", 1234, "10.0.0.1", 80, "1:mgRgpIZSu0KHDp/QrtcWZpkJpMU=");
	cid_case(6, "10.0.0.1", 10, "10.0.0.2", 20, "1:9j2Dzwrw7T9E+IZi4b4IVT66HBI=");
	cid_case(17, "192.168.1.42", 4242, "8.8.8.8", 53, "1:vTdrngJjlP5eZ9mw9JtnKyn99KM=");
	cid_case(17, "8.8.8.8", 53, "192.168.1.42", 4242, "1:vTdrngJjlP5eZ9mw9JtnKyn99KM=");
	/* IPv6, computed with an independent Python implementation of the spec */
	cid_case(17, "fe80::1", 54321, "ff02::1", 54321, "1:E2VBU6a2R9nB1dk1g62K55MpE0k=");
	cid_case(17, "fe80::2", 4321, "fe80::1", 9898, "1:hK4ZB6pH8izaHv8kxnS6I+Q1OCQ=");
	cid_case(17, "fe80::1", 9898, "fe80::2", 4321, "1:hK4ZB6pH8izaHv8kxnS6I+Q1OCQ=");
	/* ICMP (sport = type, dport = code): echo request and reply share an
	 * id; an unpaired type is one-way.  Also a protocol without ports. */
	cid_case(1, "192.168.0.89", 8, "192.168.0.1", 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	cid_case(1, "192.168.0.1", 0, "192.168.0.89", 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	cid_case(1, "192.168.0.89", 3, "192.168.0.1", 1, "1:LXCfhMUFbYXe+CEMrQuZCbiLY3o=");
	cid_case(58, "fe80::200:86ff:fe05:80da", 135, "fe80::260:97ff:fe07:69ea", 0,
	    "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
	cid_case(47, "10.0.0.2", 0, "10.0.0.1", 0, "1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=");

	addr("192.168.1.2", a, 0);
	mf_addr_str(a, 4, s);
	CHECK_EQ_STR(s, "192.168.1.2");
	addr("fe80::1", a, 1);
	mf_addr_str(a, 16, s);
	CHECK_EQ_STR(s, "fe80::1");
	mf_addr_str(a, 7, s);
	CHECK_EQ_STR(s, "?");
}

int main(void)
{
	test_links();
	test_vlan();
	test_unknown_link();
	test_ipv6_ext();
	test_ipv4_frags();
	test_overlap();
	test_ipv6_frags();
	test_frag_limits();
	test_truncation();
	test_dispatch_tick();
	test_community_id();
	return TEST_DONE();
}
