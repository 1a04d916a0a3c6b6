/* HTTP/2 stream consumer: frames, HPACK with the dynamic table (blocks made
 * by nghttp2's deflater), CONTINUATION, PADDED/PRIORITY, SETTINGS header
 * table size both ways, RST_STREAM, PUSH_PROMISE, trailers, interleaved
 * streams, gaps and malformed frames; each script fed in pieces and byte
 * by byte. */
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "test_decode_http_util.h"

#define C2S MF_DIR_C2S
#define S2C MF_DIR_S2C

enum { DATA = 0, HEADERS = 1, PRIORITY = 2, RST = 3, SETTINGS = 4, PUSH = 5, PING = 6,
       GOAWAY = 7, WINDOW = 8, CONT = 9 };
#define ES 0x1
#define ACK 0x1
#define EH 0x4
#define PADDED 0x8
#define PRIO 0x20

static struct mf_ctx ctx;
static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static size_t frame(uint8_t *out, int type, int flags, uint32_t sid, const void *p, size_t n)
{
	out[0] = (uint8_t)(n >> 16);
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	out[3] = (uint8_t)type;
	out[4] = (uint8_t)flags;
	out[5] = (uint8_t)(sid >> 24);
	out[6] = (uint8_t)(sid >> 16);
	out[7] = (uint8_t)(sid >> 8);
	out[8] = (uint8_t)sid;
	if (n)
		memcpy(out + 9, p, n);
	return 9 + n;
}

static void add_frame(struct script *sc, int dir, int type, int flags, uint32_t sid,
                      const void *p, size_t n, uint64_t fr)
{
	uint8_t *b = malloc(9 + n);
	size_t k = frame(b, type, flags, sid, p, n);

	sc_add(sc, dir, b, k, fr);
	free(b);
}

/* HPACK-encodes NULL-terminated name, value pairs. */
static size_t hpack(nghttp2_hd_deflater *d, uint8_t *out, size_t cap, const char *const *kv)
{
	nghttp2_nv nv[32];
	size_t n = 0;
	ssize_t r;

	for (; kv[0]; kv += 2, n++) {
		nv[n].name = (uint8_t *)(uintptr_t)kv[0];
		nv[n].namelen = strlen(kv[0]);
		nv[n].value = (uint8_t *)(uintptr_t)kv[1];
		nv[n].valuelen = strlen(kv[1]);
		nv[n].flags = NGHTTP2_NV_FLAG_NONE;
	}
	r = nghttp2_hd_deflate_hd(d, out, cap, nv, n);
	CHECK(r > 0);
	return r > 0 ? (size_t)r : 0;
}

static void add_headers(struct script *sc, nghttp2_hd_deflater *d, int dir, int flags,
                        uint32_t sid, const char *const *kv, uint64_t fr)
{
	uint8_t blk[4096];
	size_t n = hpack(d, blk, sizeof(blk), kv);

	add_frame(sc, dir, HEADERS, flags | EH, sid, blk, n, fr);
}

static void start(struct script *sc)
{
	static const uint8_t none[1];

	sc_add(sc, C2S, preface, 24, 1);
	add_frame(sc, C2S, SETTINGS, 0, 0, none, 0, 1);
	add_frame(sc, S2C, SETTINGS, 0, 0, none, 0, 2);
	add_frame(sc, S2C, SETTINGS, ACK, 0, none, 0, 2);
	add_frame(sc, C2S, SETTINGS, ACK, 0, none, 0, 3);
}

static const char *const get_req[] = { ":method", "GET", ":scheme", "https", ":authority",
	"API.example.com:443", ":path", "/v1/items?x=1", "user-agent", "test/2", "x-custom",
	"a fairly long custom header value that goes into the dynamic table", NULL };

static void test_basic_and_dynamic_table(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	const char *resp[] = { ":status", "200", "content-type", "application/json",
		"x-request-id", "r-0001-abcdef", NULL };
	uint8_t b1[1024], b2[1024];
	size_t n1, n2;
	int i;
	const struct mf_event *e;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	start(&sc);
	for (i = 0; i < 3; i++) {
		uint32_t sid = 1 + 2 * (uint32_t)i;
		char body[16];

		add_headers(&sc, dc, C2S, ES, sid, get_req, 10 + (uint64_t)i * 10);
		add_headers(&sc, ds, S2C, 0, sid, resp, 11 + (uint64_t)i * 10);
		snprintf(body, sizeof(body), "{\"n\":%d}", i);
		add_frame(&sc, S2C, DATA, ES, sid, body, strlen(body), 12 + (uint64_t)i * 10);
	}
	/* the dynamic table at work: a repeated block is much smaller */
	n1 = hpack(dc, b1, sizeof(b1), get_req);
	n2 = hpack(dc, b2, sizeof(b2), get_req);
	CHECK(n2 <= n1 && n2 < 20);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("data"), 3);
	for (i = 0; i < 3; i++) {
		char body[16];

		e = nth("data", i);
		if (!e)
			continue;
		snprintf(body, sizeof(body), "{\"n\":%d}", i);
		CHECK_EQ_STR(S(e, "http.version"), "2");
		CHECK_EQ_STR(S(e, "http.method"), "GET");
		CHECK_EQ_STR(S(e, "http.host"), "api.example.com");
		CHECK_EQ_STR(S(e, "http.path"), "/v1/items?x=1");
		CHECK_EQ_STR(S(e, "http.user_agent"), "test/2");
		CHECK_EQ_INT(N(e, "http.status"), 200);
		CHECK_EQ_STR(S(e, "http.response_content_type"), "application/json");
		CHECK_EQ_STR(S(e, "http.response_preview"), body);
		CHECK_EQ_INT(N(e, "http.stream_id"), 1 + 2 * i);
		CHECK_EQ_INT(N(e, "evidence.http2_stream"), 1 + 2 * i);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 1 + i);
		CHECK_EQ_INT(N(e, "evidence.frame"), 10 + i * 10);
		CHECK_EQ_INT(N(e, "evidence.response_frame"), 12 + i * 10);
		CHECK_EQ_INT(N(e, "evidence.tcp_stream"), 7);
	}
	/* the same on an HTTP/1 port: prior knowledge, handed over to HTTP/2 */
	{
		char *a = dump(), *b;

		run_both(&mf_proto_http1, &ctx, &sc, NULL);
		b = dump();
		CHECK_EQ_STR(b, a);
		free(a);
		free(b);
	}
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	sc_free(&sc);
}

static void test_continuation_padding_interleave(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	uint8_t blk[4096], fr[4200];
	size_t n, k, a, b;
	const char *big[] = { ":method", "POST", ":scheme", "https", ":authority", "h2.example",
		":path", "/upload", "content-type", "text/plain", "cookie", "a=1", "cookie", "b=2",
		"x-big", "0123456789012345678901234567890123456789012345678901234567890123456789",
		NULL };
	const char *resp[] = { ":status", "200", NULL };
	const char *resp3[] = { ":status", "202", NULL };
	const char *req3[] = { ":method", "GET", ":scheme", "https", ":authority", "h2.example",
		":path", "/three", NULL };
	const struct mf_event *e;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	start(&sc);
	/* stream 1: HEADERS (PADDED|PRIORITY, no END_HEADERS) + 2 CONTINUATION */
	n = hpack(dc, blk, sizeof(blk), big);
	a = n / 3;
	b = 2 * n / 3;
	k = 0;
	fr[k++] = 4;                            /* pad length */
	memcpy(fr + k, "\x80\x00\x00\x03\x10", 5);    /* exclusive dep on 3, weight */
	k += 5;
	memcpy(fr + k, blk, a);
	k += a;
	memset(fr + k, 0, 4);
	k += 4;
	add_frame(&sc, C2S, HEADERS, PADDED | PRIO, 1, fr, k, 10);
	add_frame(&sc, C2S, CONT, 0, 1, blk + a, b - a, 11);
	add_frame(&sc, C2S, CONT, EH, 1, blk + b, n - b, 12);
	/* stream 3 opens while stream 1's body is still coming */
	add_headers(&sc, dc, C2S, ES, 3, req3, 13);
	/* padded DATA ends stream 1's request */
	k = 0;
	fr[k++] = 3;
	memcpy(fr + k, "body", 4);
	k += 4;
	memset(fr + k, 0, 3);
	k += 3;
	add_frame(&sc, C2S, DATA, PADDED | ES, 1, fr, k, 14);
	add_headers(&sc, ds, S2C, 0, 3, resp3, 15);
	add_headers(&sc, ds, S2C, 0, 1, resp, 16);
	add_frame(&sc, S2C, DATA, 0, 3, "thr", 3, 17);
	add_frame(&sc, S2C, DATA, ES, 1, "one", 3, 18);
	add_frame(&sc, S2C, DATA, ES, 3, "ee", 2, 19);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("data"), 2);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/upload");
		CHECK_EQ_STR(S(e, "http.method"), "POST");
		CHECK_EQ_STR(S(e, "http.request_preview"), "body");
		CHECK_EQ_STR(S(e, "http.request_content_type"), "text/plain");
		CHECK_EQ_STR(S(e, "http.response_preview"), "one");
		CHECK_EQ_INT(N(e, "evidence.frame"), 14);
		CHECK_EQ_INT(N(e, "evidence.response_frame"), 18);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 1);
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/three");
		CHECK_EQ_INT(N(e, "http.status"), 202);
		CHECK_EQ_STR(S(e, "http.response_preview"), "three");
		CHECK_EQ_INT(N(e, "evidence.http_request"), 2);
	}
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	sc_free(&sc);
}

static void settings_frame(struct script *sc, int dir, uint16_t id, uint32_t v, uint64_t fr)
{
	uint8_t p[6];

	p[0] = (uint8_t)(id >> 8);
	p[1] = (uint8_t)id;
	p[2] = (uint8_t)(v >> 24);
	p[3] = (uint8_t)(v >> 16);
	p[4] = (uint8_t)(v >> 8);
	p[5] = (uint8_t)v;
	add_frame(sc, dir, SETTINGS, 0, 0, p, 6, fr);
}

static void test_table_size_settings(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	const char *resp[] = { ":status", "200", "server", "a-server-name-long-enough-to-index", NULL };
	static const uint8_t none[1];
	int i;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 65536);
	sc_add(&sc, C2S, preface, 24, 1);
	/* the client allows the server a 64 KiB table: the server's encoder
	 * announces it with a size update (larger than the default 4096) */
	settings_frame(&sc, C2S, 0x1, 65536, 1);
	add_frame(&sc, S2C, SETTINGS, 0, 0, none, 0, 2);
	nghttp2_hd_deflate_change_table_size(ds, 65536);
	add_headers(&sc, dc, C2S, ES, 1, get_req, 3);
	/* used before the server's ACK: a larger table is applied at once */
	add_headers(&sc, ds, S2C, ES, 1, resp, 4);
	add_frame(&sc, S2C, SETTINGS, ACK, 0, none, 0, 4);
	/* then shrinks it to 0: applied when the server acknowledges */
	settings_frame(&sc, C2S, 0x1, 0, 5);
	add_frame(&sc, S2C, SETTINGS, ACK, 0, none, 0, 6);
	nghttp2_hd_deflate_change_table_size(ds, 0);
	for (i = 0; i < 2; i++) {
		add_headers(&sc, dc, C2S, ES, 3 + 2 * (uint32_t)i, get_req, 7 + (uint64_t)i * 2);
		add_headers(&sc, ds, S2C, ES, 3 + 2 * (uint32_t)i, resp, 8 + (uint64_t)i * 2);
	}
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("data"), 3);
	for (i = 0; i < 3; i++)
		if (nth("data", i))
			CHECK_EQ_INT(N(nth("data", i), "http.status"), 200);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	sc_free(&sc);
}

static void test_control_frames_reset_push_trailers(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	const char *resp[] = { ":status", "200", "content-encoding", "gzip", NULL };
	const char *early[] = { ":status", "103", "link", "</a.css>; rel=preload", NULL };
	const char *trail[] = { "grpc-status", "0", NULL };
	const char *preq[] = { ":method", "GET", ":scheme", "https", ":authority", "h2.example",
		":path", "/pushed.css", NULL };
	const char *presp[] = { ":status", "200", "content-type", "text/css", NULL };
	uint8_t p[64], blk[512], gzb[256];
	const char *text = "gzip inside http/2 gzip inside http/2";
	size_t n, gzn;
	const struct mf_event *e;
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = gzb;
	z.avail_out = sizeof(gzb);
	deflate(&z, Z_FINISH);
	gzn = sizeof(gzb) - z.avail_out;
	deflateEnd(&z);

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	start(&sc);
	memset(p, 0, sizeof(p));
	add_frame(&sc, C2S, PING, 0, 0, p, 8, 4);
	add_frame(&sc, S2C, PING, ACK, 0, p, 8, 5);
	p[3] = 0x10;
	add_frame(&sc, C2S, WINDOW, 0, 0, p, 4, 5);
	add_frame(&sc, C2S, 0x20, 0xff, 9, "unknown", 7, 5);   /* unknown type: ignored */
	add_headers(&sc, dc, C2S, ES, 1, get_req, 6);
	add_frame(&sc, C2S, PRIORITY, 0, 1, "\x00\x00\x00\x00\x10", 5, 6);
	add_headers(&sc, ds, S2C, 0, 1, early, 7);
	/* server push of /pushed.css on stream 2 */
	p[0] = 0; p[1] = 0; p[2] = 0; p[3] = 2;
	n = hpack(ds, blk + 4, sizeof(blk) - 4, preq);
	memcpy(blk, p, 4);
	add_frame(&sc, S2C, PUSH, EH, 1, blk, n + 4, 8);
	add_headers(&sc, ds, S2C, 0, 1, resp, 9);
	add_frame(&sc, S2C, DATA, 0, 1, gzb, gzn, 10);
	add_headers(&sc, ds, S2C, ES, 1, trail, 11);
	add_headers(&sc, ds, S2C, 0, 2, presp, 12);
	add_frame(&sc, S2C, DATA, ES, 2, "a{}", 3, 13);
	/* stream 5 is cancelled by the client */
	add_headers(&sc, dc, C2S, 0, 5, get_req, 14);
	add_frame(&sc, C2S, DATA, 0, 5, "partial", 7, 15);
	memset(p, 0, 4);
	p[3] = 8;                               /* CANCEL */
	add_frame(&sc, C2S, RST, 0, 5, p, 4, 16);
	add_frame(&sc, S2C, DATA, 0, 5, "late", 4, 17);     /* after the reset: dropped */
	memset(p, 0, 8);
	p[3] = 5;
	add_frame(&sc, S2C, GOAWAY, 0, 0, p, 8, 18);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("data"), 3);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.status"), 200);
		CHECK(cJSON_GetArraySize(at(e, "http.interim")) == 1);
		CHECK_EQ_STR(S(e, "http.response_content_encoding"), "gzip");
		CHECK_EQ_STR(S(e, "http.response_preview"), text);
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), (long long)gzn);
		CHECK_EQ_INT(N(e, "evidence.response_frame"), 11);
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/pushed.css");
		CHECK_EQ_INT(B(e, "http.pushed"), 1);
		CHECK_EQ_INT(N(e, "http.stream_id"), 2);
		CHECK_EQ_STR(S(e, "http.response_preview"), "a{}");
		CHECK_EQ_INT(N(e, "evidence.http_request"), 2);
	}
	e = nth("data", 2);
	if (e) {
		CHECK_EQ_INT(N(e, "http.stream_id"), 5);
		CHECK_EQ_STR(S(e, "http.reset"), "CANCEL");
		CHECK_EQ_INT(B(e, "http.answered"), 0);
		CHECK_EQ_STR(S(e, "http.request_preview"), "partial");
	}
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	sc_free(&sc);
}

static void test_errors(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc;
	const struct mf_event *e;
	static const uint8_t none[1];
	uint8_t big[20000];

	/* not the preface */
	sc_str(&sc, C2S, "PRI * HTTP/1.1\r\n\r\nxx", 1);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_bad_preface") != NULL);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.bytes"), 20);
		CHECK_EQ_STR(S(e, "http.unparsed"), "parse_error");
		CHECK_EQ_STR(S(e, "http.version"), "2");
	}
	sc_free(&sc);

	/* SETTINGS of 5 bytes; the server side keeps working */
	nghttp2_hd_deflate_new(&dc, 4096);
	sc_add(&sc, C2S, preface, 24, 1);
	add_frame(&sc, C2S, SETTINGS, 0, 0, "\x00\x01\x00\x00\x10", 5, 2);
	add_frame(&sc, C2S, SETTINGS, ACK, 0, none, 0, 3);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	e = anomaly("http2_bad_frame");
	CHECK(e != NULL);
	if (e)
		CHECK_EQ_INT(N(e, "evidence.frame"), 2);
	e = nth("data", 0);
	if (e)
		CHECK_EQ_INT(N(e, "http.bytes"), 14 + 9);
	sc_free(&sc);

	/* a header block that is not HPACK */
	sc_add(&sc, C2S, preface, 24, 1);
	add_frame(&sc, C2S, HEADERS, EH | ES, 1, "\xff\xff\xff\xff\xff\xff\xff", 7, 2);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_hpack_error") != NULL);
	CHECK_EQ_INT(count_kind("data"), 1);
	sc_free(&sc);

	/* CONTINUATION out of the blue; DATA on stream 0; an interrupted block */
	sc_add(&sc, C2S, preface, 24, 1);
	add_frame(&sc, C2S, CONT, EH, 1, "\x82", 1, 2);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_bad_frame") != NULL);
	sc_free(&sc);
	sc_add(&sc, C2S, preface, 24, 1);
	add_frame(&sc, C2S, DATA, 0, 0, "x", 1, 2);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_bad_frame") != NULL);
	sc_free(&sc);
	sc_add(&sc, C2S, preface, 24, 1);
	add_frame(&sc, C2S, HEADERS, 0, 1, "\x82", 1, 2);
	add_frame(&sc, C2S, PING, 0, 0, "12345678", 8, 3);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_bad_frame") != NULL);
	sc_free(&sc);

	/* a frame over SETTINGS_MAX_FRAME_SIZE, then the same once allowed */
	memset(big, 'z', sizeof(big));
	sc_add(&sc, C2S, preface, 24, 1);
	add_headers(&sc, dc, C2S, 0, 1, get_req, 2);
	add_frame(&sc, C2S, DATA, ES, 1, big, sizeof(big), 3);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK(anomaly("http2_bad_frame") != NULL);
	sc_free(&sc);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_new(&dc, 4096);
	sc_add(&sc, C2S, preface, 24, 1);
	settings_frame(&sc, S2C, 0x5, 32768, 2);
	add_headers(&sc, dc, C2S, 0, 1, get_req, 3);
	add_frame(&sc, C2S, DATA, ES, 1, big, sizeof(big), 4);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.request_body_bytes"), (long long)sizeof(big));
		CHECK_EQ_INT(B(e, "http.answered"), 0);
	}
	sc_free(&sc);
	nghttp2_hd_deflate_del(dc);
}

static void test_gap(void)
{
	struct script sc = { .n = 0 };
	nghttp2_hd_deflater *dc, *ds;
	const char *resp[] = { ":status", "200", NULL };
	uint8_t fr[64];
	const struct mf_event *e;

	nghttp2_hd_deflate_new(&dc, 4096);
	nghttp2_hd_deflate_new(&ds, 4096);
	start(&sc);
	add_headers(&sc, dc, C2S, ES, 1, get_req, 4);
	add_headers(&sc, ds, S2C, 0, 1, resp, 5);
	/* a 20-byte DATA frame of which 8 bytes were never captured */
	frame(fr, DATA, ES, 1, "0123456789abcdefghij", 20);
	sc_add(&sc, S2C, fr, 9 + 6, 6);
	sc_gap(&sc, S2C, 8, 7);
	sc_add(&sc, S2C, fr + 9 + 14, 6, 8);
	/* a gap across a frame header: the rest of that side is data */
	add_headers(&sc, dc, C2S, ES, 3, get_req, 9);
	sc_gap(&sc, C2S, 5, 10);
	sc_str(&sc, C2S, "leftover", 11);
	run_both(&mf_proto_http2, &ctx, &sc, NULL);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), 20);
		CHECK_EQ_INT(N(e, "http.response_body_missing"), 8);
		CHECK_EQ_STR(S(e, "http.response_preview"), "012345efghij");
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_INT(N(e, "http.stream_id"), 3);
		CHECK_EQ_INT(B(e, "http.answered"), 0);
	}
	e = nth("data", 2);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "gap");
		CHECK_EQ_INT(N(e, "http.missing"), 5);
		CHECK_EQ_INT(N(e, "http.bytes"), 8);
	}
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	sc_free(&sc);
}

static void test_probe(void)
{
	CHECK(mf_proto_http2.probe((const uint8_t *)preface, 24));
	CHECK(mf_proto_http2.probe((const uint8_t *)preface, 10));
	CHECK(!mf_proto_http2.probe((const uint8_t *)"GET / HTTP/1.1", 14));
	CHECK(!mf_proto_http2.probe((const uint8_t *)"PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n", 24));
}

int main(void)
{
	init_ctx(&ctx);
	test_basic_and_dynamic_table();
	test_continuation_padding_interleave();
	test_table_size_settings();
	test_control_frames_reset_push_trailers();
	test_errors();
	test_gap();
	test_probe();
	clear();
	return TEST_DONE();
}
