/* HTTP/1.1 stream consumer: keep-alive, pipelining, chunked + trailers,
 * Content-Encoding, HEAD/204/304, 1xx, bodies until close, caps, gaps,
 * malformed input; each script fed in pieces and byte by byte. */
#include <zlib.h>

#include "mf_codec.h"

#include "test_decode_http_util.h"

#define C2S MF_DIR_C2S
#define S2C MF_DIR_S2C

static struct mf_ctx ctx;

static size_t gz(const char *text, int wbits, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static void test_head_parser(void)
{
	struct mf_http_msg m;
	const char *why;
	const char *req = "\r\nGET /a?b=1 HTTP/1.1\r\nHost: example.org\r\nX-Fold: one\r\n two\r\n\r\nrest";
	ssize_t r;

	mf_http_msg_init(&m, &ctx);
	r = mf_http1_parse_head(req, strlen(req), 1, &m, &why);
	CHECK_EQ_INT(r, (ssize_t)(strlen(req) - 4));
	CHECK_EQ_STR(m.method, "GET");
	CHECK_EQ_STR(m.target, "/a?b=1");
	CHECK_EQ_STR(mf_http_msg_get(&m, "HOST"), "example.org");
	CHECK_EQ_STR(mf_http_msg_get(&m, "x-fold"), "one two");
	mf_http_msg_free(&m);

	/* need more: every proper prefix */
	{
		size_t k;
		int again = 1;

		for (k = 0; k < strlen(req) - 4; k++) {
			mf_http_msg_init(&m, &ctx);
			if (mf_http1_parse_head(req, k, 1, &m, &why) != MF_ERR_AGAIN)
				again = 0;
			mf_http_msg_free(&m);
		}
		CHECK(again);
	}
	mf_http_msg_init(&m, &ctx);
	CHECK_EQ_INT(mf_http1_parse_head("GET /x HTTP/1.1\nA: b\n\n", 22, 1, &m, &why), 22);
	mf_http_msg_free(&m);

	mf_http_msg_init(&m, &ctx);
	CHECK_EQ_INT(mf_http1_parse_head("GET  /x HTTP/1.1\r\n\r\n", 20, 1, &m, &why), MF_ERR_FORMAT);
	CHECK_EQ_STR(why, "http_bad_request_line");
	mf_http_msg_free(&m);

	mf_http_msg_init(&m, &ctx);
	CHECK_EQ_INT(mf_http1_parse_head("HTTP/1.1 200 OK\r\nbad header\r\n\r\n", 31, 0, &m, &why),
	    MF_ERR_FORMAT);
	CHECK_EQ_STR(why, "http_bad_header");
	mf_http_msg_free(&m);

	mf_http_msg_init(&m, &ctx);
	CHECK_EQ_INT(mf_http1_parse_head("HTTP/1.1 204\r\n\r\n", 16, 0, &m, &why), 16);
	CHECK_EQ_INT(m.status, 204);
	mf_http_msg_free(&m);

	mf_http_msg_init(&m, &ctx);
	CHECK_EQ_INT(mf_http1_parse_head("HTTP/1.1 20x OK\r\n\r\n", 19, 0, &m, &why), MF_ERR_FORMAT);
	CHECK_EQ_STR(why, "http_bad_status_line");
	mf_http_msg_free(&m);
}

static void test_keepalive(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	sc_str(&sc, C2S, "GET /one HTTP/1.1\r\nHost: Example.org:8080\r\nUser-Agent: t/1\r\n\r\n", 4);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhel", 6);
	sc_str(&sc, S2C, "lo", 7);
	sc_str(&sc, C2S, "POST /two HTTP/1.1\r\nHost: example.org\r\nContent-Length: 3\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n\r\na=b", 9);
	sc_str(&sc, S2C, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 10);
	sc_str(&sc, C2S, "GET /three HTTP/1.0\r\n\r\n", 12);
	sc_str(&sc, S2C, "HTTP/1.0 200 OK\r\n\r\nuntil close", 13);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 3);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_STR(e->protocol, "http");
		CHECK_EQ_STR(S(e, "http.method"), "GET");
		CHECK_EQ_STR(S(e, "http.host"), "example.org");
		CHECK_EQ_STR(S(e, "http.path"), "/one");
		CHECK_EQ_INT(N(e, "http.status"), 200);
		CHECK_EQ_STR(S(e, "http.reason"), "OK");
		CHECK_EQ_STR(S(e, "http.user_agent"), "t/1");
		CHECK_EQ_STR(S(e, "http.response_content_type"), "text/plain");
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), 5);
		CHECK_EQ_STR(S(e, "http.response_preview"), "hello");
		CHECK_EQ_INT(N(e, "evidence.frame"), 4);
		CHECK_EQ_INT(N(e, "evidence.response_frame"), 7);
		CHECK_EQ_INT(N(e, "evidence.tcp_stream"), 7);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 1);
		CHECK_EQ_STR(S(e, "evidence.file"), "t.pcap");
		CHECK_EQ_INT(e->ts_ns, 1700000000000000000LL + 4000000LL);
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "POST");
		CHECK_EQ_INT(N(e, "http.status"), 201);
		CHECK_EQ_INT(N(e, "http.request_body_bytes"), 3);
		CHECK_EQ_STR(S(e, "http.request_preview"), "a=b");
		CHECK_EQ_INT(N(e, "evidence.http_request"), 2);
		CHECK_EQ_INT(N(e, "evidence.frame"), 9);
	}
	e = nth("data", 2);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/three");
		CHECK_EQ_STR(S(e, "http.response_preview"), "until close");
		CHECK_EQ_INT(B(e, "http.answered"), -1);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 3);
		CHECK(at(e, "http.host") == NULL);
	}
	sc_free(&sc);
}

static void test_pipelining(void)
{
	struct script sc = { .n = 0 };
	int i;

	sc_str(&sc, C2S, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET /c HTTP/1.1\r\nHost: h\r\n\r\n", 3);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
	    "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
	    "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nC\r\n0\r\n\r\n", 5);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 3);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	for (i = 0; i < 3; i++) {
		const struct mf_event *e = nth("data", i);
		static const char *const paths[] = { "/a", "/b", "/c" };

		if (!e)
			continue;
		CHECK_EQ_STR(S(e, "http.path"), paths[i]);
		CHECK_EQ_INT(N(e, "evidence.http_request"), i + 1);
	}
	if (nev == 3) {
		CHECK_EQ_STR(S(nth("data", 0), "http.response_preview"), "A");
		CHECK_EQ_INT(N(nth("data", 1), "http.response_body_bytes"), 0);
		CHECK_EQ_INT(N(nth("data", 2), "http.status"), 404);
		CHECK_EQ_STR(S(nth("data", 2), "http.response_preview"), "C");
	}
	sc_free(&sc);
}

static void test_chunked_gzip(void)
{
	struct script sc = { .n = 0 };
	const char *text = "{\"code\":0,\"message\":\"ok\",\"result\":{\"list\":[1,2,3,4,5,6,7,8,9]}}";
	uint8_t z[512], msg[1024];
	size_t zn = gz(text, 31, z, sizeof(z)), half = zn / 2, m = 0;
	const struct mf_event *e;

	sc_str(&sc, C2S, "GET /g HTTP/1.1\r\nHost: gz.example\r\nAccept-Encoding: gzip\r\n\r\n", 1);
	m += (size_t)snprintf((char *)msg, sizeof(msg),
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\n"
	    "Transfer-Encoding: gzip, chunked\r\nTrailer: X-Sum\r\n\r\n%zx;ext=1\r\n", half);
	memcpy(msg + m, z, half);
	m += half;
	m += (size_t)snprintf((char *)msg + m, sizeof(msg) - m, "\r\n%zX\r\n", zn - half);
	memcpy(msg + m, z + half, zn - half);
	m += zn - half;
	m += (size_t)snprintf((char *)msg + m, sizeof(msg) - m, "\r\n0\r\nX-Sum: 42\r\n\r\n");
	sc_add(&sc, S2C, msg, m, 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 1);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), (long long)zn);
		CHECK_EQ_INT(N(e, "http.response_body_decoded_bytes"), (long long)strlen(text));
		CHECK_EQ_STR(S(e, "http.response_content_encoding"), "gzip");
		CHECK_EQ_STR(S(e, "http.response_preview"), text);
	}
	sc_free(&sc);

	/* deflate: zlib wrapper, then raw deflate as some servers send it */
	{
		int w;

		for (w = 0; w < 2; w++) {
			int wb = w == 0 ? 15 : -15;

			zn = gz(text, wb, z, sizeof(z));
			m = (size_t)snprintf((char *)msg, sizeof(msg), "HTTP/1.1 200 OK\r\n"
			    "Content-Encoding: deflate\r\nContent-Length: %zu\r\n\r\n", zn);
			memcpy(msg + m, z, zn);
			m += zn;
			sc_str(&sc, C2S, "GET /d HTTP/1.1\r\nHost: d\r\n\r\n", 1);
			sc_add(&sc, S2C, msg, m, 2);
			run_both(&mf_proto_http1, &ctx, &sc, NULL);
			e = nth("data", 0);
			CHECK(e != NULL);
			if (e)
				CHECK_EQ_STR(S(e, "http.response_preview"), text);
			sc_free(&sc);
		}
	}

	/* a corrupt gzip body is an anomaly; the raw bytes are still shown */
	sc_str(&sc, C2S, "GET /x HTTP/1.1\r\nHost: d\r\n\r\n", 1);
	{
		static const char bad[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
		    "Content-Length: 12\r\n\r\n\x1f\x8b\x08\x00garbage!";

		sc_add(&sc, S2C, bad, sizeof(bad) - 1, 2);
	}
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_bad_content_encoding") != NULL);
	CHECK_EQ_INT(count_kind("data"), 1);
	sc_free(&sc);
}

/* A Mi cloud host answering with Content-Encoding br (a plain JSON reply of
 * the legacy API) is decoded before the cloud codec sees it; a coding not
 * supported is said once, not passed on as a failed RC4 reply. */
static void test_cloud_content_encoding(void)
{
	static const char br[] = "\x0b\x0c\x80\x7b\x22\x63\x6f\x64\x65\x22\x3a\x30"
	    "\x2c\x22\x6d\x65\x73\x73\x61\x67\x65\x22\x3a\x22\x6f\x6b\x22\x7d\x03";
	const char *req = "POST /app/v2/message/v2/check_new_msg HTTP/1.1\r\n"
	    "Host: de.api.io.mi.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Accept-Encoding: gzip, br\r\nContent-Length: 29\r\n\r\n"
	    "data=%7B%22begin_at%22%3A1%7D";
	struct script sc = { .n = 0 };
	const char *codings[2] = { "br", "zstd" };
	int k;

	for (k = 0; k < 2; k++) {
		uint8_t msg[512];
		size_t m;
		const struct mf_event *e = NULL;
		int i;

		m = (size_t)snprintf((char *)msg, sizeof(msg), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nContent-Encoding: %s\r\n"
		    "Content-Length: %zu\r\n\r\n", codings[k], sizeof(br) - 1);
		memcpy(msg + m, br, sizeof(br) - 1);
		m += sizeof(br) - 1;
		sc_str(&sc, C2S, req, 1);
		sc_add(&sc, S2C, msg, m, 2);
		run_both(&mf_proto_http1, &ctx, &sc, NULL);
		for (i = 0; i < nev; i++)
			if (strcmp(evs[i]->kind, "data") == 0 && evs[i]->protocol &&
			    strcmp(evs[i]->protocol, "micloud-http") == 0)
				e = evs[i];
		CHECK(e != NULL);
		if (e && k == 0) {
#ifdef MF_HAVE_BROTLI
			CHECK_EQ_STR(S(e, "micloud.response"), "plain");
			CHECK_EQ_STR(S(e, "micloud.code"), "0");
			CHECK_EQ_STR(S(e, "micloud.message"), "ok");
			CHECK_EQ_INT(count_kind("anomaly"), 0);
#endif
		} else if (e) {
			const struct mf_event *a = anomaly("content_encoding_unsupported");

			CHECK(a != NULL);
			CHECK(a && strcmp(a->protocol, "micloud-http") == 0);
			CHECK_EQ_INT(count_kind("anomaly"), 1);
			CHECK(S(e, "micloud.response") == NULL);
			CHECK(S(e, "micloud.response_preview") != NULL);
		}
		sc_free(&sc);
	}
}

/* The API's signed form sent to an IP address (no Xiaomi name in Host or
 * SNI) still goes to the cloud codec. */
static void test_cloud_by_form(void)
{
	const char *req = "POST /app/v2/message/v2/check_new_msg HTTP/1.1\r\n"
	    "Host: 203.0.113.7\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 70\r\n\r\n"
	    "signature=abc%3D&_nonce=AAECAwQFBgcBsFUV&data=%7B%22begin_at%22%3A1%7D";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"code\":0}";
	struct script sc = { .n = 0 };
	const struct mf_event *e = NULL;
	int i;

	sc_str(&sc, C2S, req, 1);
	sc_str(&sc, S2C, resp, 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->kind, "data") == 0 && evs[i]->protocol &&
		    strcmp(evs[i]->protocol, "micloud-http") == 0)
			e = evs[i];
	CHECK(e != NULL);
	CHECK(e && S(e, "micloud.mode") && strcmp(S(e, "micloud.mode"), "legacy") == 0);
	CHECK(e && S(e, "event") && strcmp(S(e, "event"), "/v2/message/v2/check_new_msg") == 0);
	sc_free(&sc);
	/* an ordinary form to an ordinary host stays generic HTTP */
	sc_str(&sc, C2S, "POST /login HTTP/1.1\r\nHost: 203.0.113.7\r\nContent-Length: 7\r\n\r\n"
	    "a=1&b=2", 1);
	sc_str(&sc, S2C, resp, 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(nth("data", 0) && strcmp(nth("data", 0)->protocol, "http") == 0);
	sc_free(&sc);
}

static void test_no_body_and_interim(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	sc_str(&sc, C2S, "PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	    "Content-Length: 4\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 100 Continue\r\n\r\n", 2);
	sc_str(&sc, C2S, "data", 3);
	sc_str(&sc, S2C, "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", 4);
	sc_str(&sc, C2S, "GET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: x\r\n\r\n", 5);
	sc_str(&sc, S2C, "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 6);
	sc_str(&sc, C2S, "GET /n HTTP/1.1\r\nHost: h\r\n\r\n", 7);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 8);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 3);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.status"), 204);
		CHECK(cJSON_GetArraySize(at(e, "http.interim")) == 1);
		CHECK_EQ_INT(N(e, "http.request_body_bytes"), 4);
		CHECK_EQ_INT(N(e, "evidence.frame"), 3);
	}
	e = nth("data", 2);
	if (e)
		CHECK_EQ_STR(S(e, "http.response_preview"), "ok");
	sc_free(&sc);
}

static void test_malformed(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	/* a good exchange, then a request line that is not HTTP */
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 2);
	sc_str(&sc, C2S, "\x16\x03\x01 binary junk\r\nmore", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 2);
	e = anomaly("http_bad_request_line");
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_INT(N(e, "evidence.frame"), 3);
		CHECK_EQ_INT(N(e, "evidence.tcp_stream"), 7);
		CHECK_EQ_STR(S(e, "net.src"), "192.0.2.10");
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "parse_error");
		CHECK_EQ_INT(N(e, "http.bytes"), 21);
		CHECK_EQ_STR(S(e, "http.direction"), "request");
		CHECK_EQ_STR(S(e, "http.preview"), "\\x16\\x03\\x01 binary junk\\x0d\\x0amore");
	}
	sc_free(&sc);

	/* a field line without a colon */
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost h\r\n\r\n", 1);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_bad_header") != NULL);
	CHECK_EQ_INT(count_kind("data"), 1);
	sc_free(&sc);

	/* a bad chunk size */
	sc_str(&sc, C2S, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_bad_chunk") != NULL);
	/* the request whose body broke, and the unparsed remainder */
	CHECK_EQ_INT(count_kind("data"), 2);
	sc_free(&sc);

	/* conflicting Content-Length values */
	sc_str(&sc, C2S, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 1);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_bad_header") != NULL);
	sc_free(&sc);

	/* a bad status line */
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\n\r\n", 1);
	sc_str(&sc, S2C, "SSH-2.0-OpenSSH\r\n", 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_bad_status_line") != NULL);
	e = nth("data", 0);
	if (e)
		CHECK_EQ_INT(B(e, "http.answered"), 0);
	sc_free(&sc);

	/* a head that never ends */
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost: h\r\n", 1);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	e = nth("data", 0);
	CHECK(e != NULL);
	if (e)
		CHECK_EQ_STR(S(e, "http.unparsed"), "incomplete");
	sc_free(&sc);
}

static void test_caps(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;
	uint8_t z[512], msg[1024];
	char big[400];
	size_t zn, m;

	ctx.lim.http_body_max = 16;
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
	    "0123456789abcdef0123456789abcdef01234567", 2);
	sc_str(&sc, C2S, "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	e = anomaly("http_body_too_large");
	CHECK(e != NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 1);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), 40);
		CHECK_EQ_INT(B(e, "http.response_body_truncated"), 1);
		CHECK_EQ_STR(S(e, "http.response_preview"), "0123456789abcdef");
	}
	/* the second request still parsed */
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/2");
		CHECK_EQ_INT(B(e, "http.answered"), 0);
	}
	sc_free(&sc);

	/* the connection's unfinished bodies together: 4 x http_body_max */
	{
		int i;

		for (i = 0; i < 5; i++)
			sc_str(&sc, C2S, "POST /p HTTP/1.1\r\nContent-Length: 15\r\n\r\n"
			    "fifteen bytes!!", 1 + (uint64_t)i);
		run_both(&mf_proto_http1, &ctx, &sc, NULL);
		CHECK_EQ_INT(count_kind("data"), 5);
		CHECK_EQ_INT(count_kind("anomaly"), 1);
		e = nth("data", 4);
		if (e) {
			CHECK_EQ_INT(N(e, "http.request_body_bytes"), 15);
			CHECK_EQ_INT(B(e, "http.request_body_truncated"), 1);
			CHECK_EQ_STR(S(e, "http.request_preview"), "fift");
		}
		e = nth("data", 3);
		if (e)
			CHECK_EQ_INT(B(e, "http.request_body_truncated"), -1);
		sc_free(&sc);
	}

	/* a small gzip body that inflates past the cap */
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	zn = gz(big, 31, z, sizeof(z));
	m = (size_t)snprintf((char *)msg, sizeof(msg),
	    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", zn);
	memcpy(msg + m, z, zn);
	m += zn;
	ctx.lim.http_body_max = 64;
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	sc_add(&sc, S2C, msg, m, 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("http_body_too_large") != NULL);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.response_body_decoded_bytes"), 64);
		CHECK_EQ_INT(B(e, "http.response_body_truncated"), 1);
	}
	sc_free(&sc);
	ctx.lim.http_body_max = 16u << 20;
}

static void test_gaps_and_close(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	/* a hole inside a Content-Length body keeps the framing */
	sc_str(&sc, C2S, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 2);
	sc_gap(&sc, S2C, 4, 3);
	sc_str(&sc, S2C, "hij", 4);
	sc_str(&sc, C2S, "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", 5);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 6);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 2);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.response_body_bytes"), 10);
		CHECK_EQ_INT(N(e, "http.response_body_missing"), 4);
		CHECK_EQ_STR(S(e, "http.response_preview"), "abchij");
	}
	sc_free(&sc);

	/* a gap in a head: the rest of that side is data */
	sc_str(&sc, C2S, "GET / HT", 1);
	sc_gap(&sc, C2S, 100, 2);
	sc_str(&sc, C2S, "more bytes", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	e = nth("data", 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "gap");
		CHECK_EQ_INT(N(e, "http.missing"), 100);
		CHECK_EQ_INT(N(e, "http.bytes"), 18);
	}
	sc_free(&sc);

	/* a request never answered, a response nobody asked for */
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 1);
	sc_str(&sc, C2S, "DELETE /z HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab", 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("data"), 2);
	e = nth("data", 0);
	if (e) {
		CHECK_EQ_INT(B(e, "http.request_seen"), 0);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 1);
		CHECK_EQ_INT(N(e, "evidence.frame"), 1);
	}
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "DELETE");
		CHECK_EQ_INT(B(e, "http.answered"), 0);
		CHECK_EQ_INT(B(e, "http.request_complete"), 0);
	}
	sc_free(&sc);

	/* an upgrade: both sides leave HTTP */
	sc_str(&sc, C2S, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi", 2);
	sc_str(&sc, C2S, "\x81\x82XXXXab", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_kind("data"), 3);
	e = nth("data", 0);
	if (e)
		CHECK_EQ_INT(N(e, "http.status"), 101);
	e = nth("data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "upgraded");
		CHECK_EQ_INT(N(e, "http.bytes"), 8);
	}
	sc_free(&sc);
}

static void test_not_utf8(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	sc_str(&sc, C2S, "GET /caf\xc3\xa9/\xff HTTP/1.1\r\nHost: h\r\nUser-Agent: \xe2\x82\xac ok\r\n\r\n", 1);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	e = nth("data", 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "http.path"), "/caf\\xc3\\xa9/\\xff");
		CHECK_EQ_STR(S(e, "http.user_agent"), "\xe2\x82\xac ok");
	}
	sc_free(&sc);
}

static void test_probe(void)
{
	CHECK(mf_proto_http1.probe((const uint8_t *)"GET / HTTP/1.1", 14));
	CHECK(mf_proto_http1.probe((const uint8_t *)"OPTIONS * HTTP/1.1", 18));
	CHECK(!mf_proto_http1.probe((const uint8_t *)"PRI * HTTP/2.0", 14));
	CHECK(!mf_proto_http1.probe((const uint8_t *)"\x21\x31\x00\x20", 4));
	CHECK(!mf_proto_http1.probe((const uint8_t *)"get / HTTP/1.1", 14));
	CHECK(!mf_proto_http1.probe((const uint8_t *)"GE", 2));
	CHECK_EQ_INT(mf_proto_http1.ports[0], 80);
	CHECK_EQ_INT(mf_proto_http1.ports[1], 8080);
}

static void test_decode_body(void)
{
	struct mf_buf out;
	uint8_t z[256], zz[512];
	size_t zn, zzn;

	mf_buf_init(&out, 1024);
	CHECK_EQ_INT(mf_http_decode_body("identity", (const uint8_t *)"abc", 3, &out), 0);
	CHECK_EQ_INT(out.len, 3);
	CHECK_EQ_INT(mf_http_decode_body("zstd", (const uint8_t *)"abc", 3, &out), MF_ERR_UNSUPPORTED);
	CHECK_EQ_INT(mf_http_decode_body("compress, gzip", (const uint8_t *)"abc", 3, &out),
	    MF_ERR_UNSUPPORTED);
	{
		/* brotli (RFC 7932): python3 -c 'import brotli; brotli.compress(...)' */
		static const uint8_t br[] = "\x0b\x0c\x80\x7b\x22\x63\x6f\x64\x65\x22\x3a\x30"
		    "\x2c\x22\x6d\x65\x73\x73\x61\x67\x65\x22\x3a\x22\x6f\x6b\x22\x7d\x03";
		static const uint8_t br5000[] = "\x1b\x87\x13\xf8\x25\x82\xe2\xb1\x40\x20\x68"
		    "\x01\x00";   /* 5000 x 'A' */
#ifdef MF_HAVE_BROTLI
		CHECK_EQ_INT(mf_http_decode_body("br", br, sizeof(br) - 1, &out), 0);
		CHECK_EQ_INT(out.len, 25);
		CHECK_MEM(out.data, "{\"code\":0,\"message\":\"ok\"}", 25);
		CHECK_EQ_INT(mf_http_decode_body("BR", br, sizeof(br) - 1, &out), 0);
		/* cut short, corrupt, past the cap (1024) */
		CHECK_EQ_INT(mf_http_decode_body("br", br, sizeof(br) - 3, &out), MF_ERR_FORMAT);
		CHECK_EQ_INT(mf_http_decode_body("br", (const uint8_t *)"abc", 3, &out), MF_ERR_FORMAT);
		CHECK_EQ_INT(mf_http_decode_body("br", br5000, sizeof(br5000) - 1, &out), MF_ERR_LIMIT);
		CHECK_EQ_INT(out.len, 1024);
#else
		CHECK_EQ_INT(mf_http_decode_body("br", br, sizeof(br) - 1, &out), MF_ERR_UNSUPPORTED);
		(void)br5000;
#endif
	}
	/* two codings, applied right to left: deflate(gzip(text)) */
	zn = gz("layered", 31, z, sizeof(z));
	{
		z_stream s;

		memset(&s, 0, sizeof(s));
		deflateInit2(&s, 9, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
		s.next_in = z;
		s.avail_in = (uInt)zn;
		s.next_out = zz;
		s.avail_out = sizeof(zz);
		deflate(&s, Z_FINISH);
		zzn = sizeof(zz) - s.avail_out;
		deflateEnd(&s);
	}
	CHECK_EQ_INT(mf_http_decode_body("gzip, deflate", zz, zzn, &out), 0);
	CHECK_EQ_INT(out.len, 7);
	CHECK_MEM(out.data, "layered", 7);
	/* two gzip members */
	memcpy(zz, z, zn);
	memcpy(zz + zn, z, zn);
	CHECK_EQ_INT(mf_http_decode_body("x-gzip", zz, 2 * zn, &out), 0);
	CHECK_EQ_INT(out.len, 14);
	/* cut short */
	CHECK_EQ_INT(mf_http_decode_body("gzip", z, zn - 6, &out), MF_ERR_FORMAT);
	mf_buf_free(&out);
}

/* ---- CONNECT tunnels ---- */

/* RFC 8448 section 3's ClientHello record (SNI "server") and the first
 * bytes of its ServerHello record: a TLS session without keys. */
static const char tun_ch[] =
    "16030100c4010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
    "000006130113031302010000910000000b0009000006736572766572ff01000100000a0014001200"
    "1d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d2"
    "3d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e04030503"
    "0603020308040805080604010501060102010402050206020202002d00020101001c00024001";
static const char tun_sh[] =
    "160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3"
    "e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833d"
    "f1dd69b1b04e751f0f002b00020304";

static void sc_hex(struct script *sc, int dir, const char *hex, uint64_t frame)
{
	uint8_t b[1024];
	size_t n = strlen(hex) / 2;

	CHECK(n <= sizeof(b) && mf_hex_decode(hex, 2 * n, b, n) == 0);
	sc_add(sc, dir, b, n, frame);
}

static const struct mf_event *nth_proto(const char *protocol, const char *kind, int n)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strcmp(evs[i]->protocol, protocol) == 0 && strcmp(evs[i]->kind, kind) == 0 &&
		    n-- == 0)
			return evs[i];
	return NULL;
}

static int count_proto(const char *protocol, const char *kind)
{
	int i, k = 0;

	for (i = 0; i < nev; i++)
		k += strcmp(evs[i]->protocol, protocol) == 0 && strcmp(evs[i]->kind, kind) == 0;
	return k;
}

#define CONNECT_REQ "CONNECT server:443 HTTP/1.1\r\nHost: server:443\r\nUser-Agent: t/1\r\n\r\n"

static void test_tunnel_tls(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 Connection established\r\nContent-Length: 99\r\n\r\n", 2);
	sc_hex(&sc, C2S, tun_ch, 3);
	sc_hex(&sc, S2C, tun_sh, 4);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	/* the one anomaly: no key log (as for a direct session) */
	CHECK_EQ_INT(count_kind("anomaly"), 1);
	e = anomaly("tls_no_secret");
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "evidence.tunnel"), "server:443");
		CHECK_EQ_STR(S(e, "tls.sni"), "server");
	}
	CHECK_EQ_INT(count_proto("http", "data"), 1);   /* no "unparsed" record */
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "CONNECT");
		CHECK_EQ_STR(S(e, "http.authority"), "server:443");
		CHECK_EQ_STR(S(e, "http.host"), "server");
		CHECK_EQ_STR(S(e, "http.path"), "server:443");
		CHECK_EQ_INT(N(e, "http.status"), 200);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 1);
		CHECK(at(e, "evidence.tunnel") == NULL);
	}
	e = nth_proto("tls", "session", 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "tls.sni"), "server");
		CHECK_EQ_STR(S(e, "tls.version"), "TLS 1.3");
		CHECK_EQ_STR(S(e, "tls.handshake"), "complete");
		CHECK_EQ_STR(S(e, "tls.tunnel.proxy"), "198.51.100.20:443");
		CHECK_EQ_STR(S(e, "tls.tunnel.target"), "server:443");
		CHECK_EQ_INT(N(e, "tls.tunnel.status"), 200);
		CHECK_EQ_INT(N(e, "tls.tunnel.http_request"), 1);
		CHECK_EQ_STR(S(e, "evidence.tunnel"), "server:443");
		CHECK_EQ_INT(N(e, "evidence.frame"), 3);
		CHECK_EQ_INT(N(e, "evidence.last_frame"), 4);
		CHECK_EQ_INT(N(e, "evidence.tcp_stream"), 7);
		CHECK_EQ_STR(S(e, "net.src"), "192.0.2.10");
		CHECK_EQ_STR(S(e, "net.dst"), "198.51.100.20");
		CHECK_EQ_INT(N(e, "tls.records.client_to_server"), 1);
		CHECK_EQ_INT(N(e, "tls.records.server_to_client"), 1);
	}
	sc_free(&sc);

	/* the client did not wait for the answer: its ClientHello is held */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_hex(&sc, C2S, tun_ch, 2);
	sc_str(&sc, S2C, "HTTP/1.0 200 OK\r\n\r\n", 3);
	sc_hex(&sc, S2C, tun_sh, 4);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_proto("http", "anomaly"), 0);
	CHECK_EQ_INT(count_proto("http", "data"), 1);
	e = nth_proto("tls", "session", 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "tls.handshake"), "complete");
		CHECK_EQ_INT(N(e, "tls.tunnel.status"), 200);
		CHECK_EQ_INT(N(e, "evidence.frame"), 2);
	}
	sc_free(&sc);

	/* no answer in the capture (one direction lost): judged on the client's bytes */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_hex(&sc, C2S, tun_ch, 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "CONNECT");
		CHECK_EQ_INT(B(e, "http.answered"), 0);
	}
	e = nth_proto("tls", "session", 0);
	CHECK(e != NULL);
	if (e) {
		CHECK_EQ_STR(S(e, "tls.handshake"), "incomplete");
		CHECK_EQ_STR(S(e, "tls.tunnel.target"), "server:443");
		CHECK(at(e, "tls.tunnel.status") == NULL);
	}
	sc_free(&sc);
}

static void test_tunnel_not_tls(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	/* an SSH-like tunnel: data records, as before */
	sc_str(&sc, C2S, "CONNECT 10.0.0.5:22 HTTP/1.1\r\nHost: 10.0.0.5:22\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\n\r\nSSH-2.0-srv\r\n", 2);
	sc_str(&sc, C2S, "SSH-2.0-cli\r\n", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_proto("tls", "session"), 0);
	CHECK_EQ_INT(count_proto("http", "data"), 3);
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "CONNECT");
		CHECK_EQ_STR(S(e, "http.authority"), "10.0.0.5:22");
		CHECK_EQ_STR(S(e, "http.host"), "10.0.0.5");
	}
	e = nth_proto("http", "data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "tunnel");
		CHECK_EQ_STR(S(e, "http.direction"), "request");
		CHECK_EQ_INT(N(e, "http.bytes"), 13);
		CHECK_EQ_INT(N(e, "evidence.frame"), 2);        /* where the tunnel opened */
	}
	e = nth_proto("http", "data", 2);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "tunnel");
		CHECK_EQ_INT(N(e, "http.bytes"), 13);
		CHECK_EQ_STR(S(e, "http.preview"), "SSH-2.0-srv\\x0d\\x0a");
	}
	sc_free(&sc);

	/* a tunnel that carried nothing */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\n\r\n", 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_INT(count_proto("http", "data"), 1);
	sc_free(&sc);
}

static void test_tunnel_refused(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	/* 407, then the same connection asks again with credentials */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic realm=\"p\"\r\nContent-Length: 6\r\n\r\ndenied", 2);
	sc_str(&sc, C2S, "CONNECT server:443 HTTP/1.1\r\nHost: server:443\r\n"
	    "Proxy-Authorization: Basic dTpw\r\n\r\n", 3);
	sc_str(&sc, S2C, "HTTP/1.1 200 Connection established\r\n\r\n", 4);
	sc_hex(&sc, C2S, tun_ch, 5);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_proto("http", "data"), 2);
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.method"), "CONNECT");
		CHECK_EQ_INT(N(e, "http.status"), 407);
		CHECK_EQ_STR(S(e, "http.response_preview"), "denied");
	}
	e = nth_proto("http", "data", 1);
	if (e) {
		CHECK_EQ_INT(N(e, "http.status"), 200);
		CHECK_EQ_INT(N(e, "evidence.http_request"), 2);
	}
	e = nth_proto("tls", "session", 0);
	if (e)
		CHECK_EQ_INT(N(e, "tls.tunnel.http_request"), 2);
	CHECK(e != NULL);
	sc_free(&sc);

	/* 403 and the end: an exchange, nothing else */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(nev, 1);
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "http.status"), 403);
		CHECK_EQ_STR(S(e, "http.authority"), "server:443");
	}
	sc_free(&sc);

	/* the client sent its ClientHello before the refusal: data, not TLS */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_hex(&sc, C2S, tun_ch, 2);
	sc_str(&sc, S2C, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 3);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_kind("anomaly"), 0);
	CHECK_EQ_INT(count_proto("tls", "session"), 0);
	e = nth_proto("http", "data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "tunnel_refused");
		CHECK_EQ_INT(N(e, "http.bytes"), 201);
		CHECK_EQ_INT(N(e, "evidence.frame"), 2);
	}
	sc_free(&sc);
}

static void test_tunnel_gaps(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	/* a gap inside the tunnel's TLS: TLS reports it */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\n\r\n", 2);
	sc_hex(&sc, C2S, tun_ch, 3);
	sc_gap(&sc, S2C, 500, 4);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK(anomaly("tls_desync") != NULL);
	e = nth_proto("tls", "session", 0);
	if (e) {
		CHECK_EQ_INT(N(e, "tls.gap_bytes.server_to_client"), 500);
		CHECK_EQ_STR(S(e, "evidence.tunnel"), "server:443");
	}
	e = anomaly("tls_desync");
	if (e)
		CHECK_EQ_STR(S(e, "evidence.tunnel"), "server:443");
	sc_free(&sc);

	/* a gap before the tunnel's content is known: judged on what came */
	sc_str(&sc, C2S, CONNECT_REQ, 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 OK\r\n\r\n", 2);
	sc_str(&sc, C2S, "\x16\x03", 3);
	sc_gap(&sc, C2S, 100, 4);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(count_proto("tls", "session"), 0);
	e = nth_proto("http", "data", 1);
	if (e) {
		CHECK_EQ_STR(S(e, "http.unparsed"), "tunnel");
		CHECK_EQ_INT(N(e, "http.bytes"), 2);
		CHECK_EQ_INT(N(e, "http.missing"), 100);
	}
	sc_free(&sc);
}

/* A CONNECT to a Xiaomi host is the tunnel's opening, not a cloud call. */
static void test_tunnel_cloud_host(void)
{
	struct script sc = { .n = 0 };
	const struct mf_event *e;

	sc_str(&sc, C2S, "CONNECT de.api.io.mi.com:443 HTTP/1.1\r\nHost: de.api.io.mi.com:443\r\n\r\n", 1);
	sc_str(&sc, S2C, "HTTP/1.1 200 Connection established\r\n\r\n", 2);
	run_both(&mf_proto_http1, &ctx, &sc, NULL);
	CHECK_EQ_INT(nev, 1);
	e = nth_proto("http", "data", 0);
	if (e) {
		CHECK_EQ_STR(S(e, "http.host"), "de.api.io.mi.com");
		CHECK_EQ_STR(S(e, "http.authority"), "de.api.io.mi.com:443");
	}
	sc_free(&sc);
}

/* Inside a tunnel, with no SNI and no Host field, the CONNECT target names
 * the host (and a Xiaomi one sends the exchange to the cloud codec). */
static void test_tunnel_host_fallback(void)
{
	struct mf_tunnel tu = { .target = "De.Api.io.mi.com:443", .status = 200, .request = 1 };
	struct mf_flow fl;
	struct mf_frame f;
	void *st;
	const struct mf_event *e;
	static const char req[] = "GET /x HTTP/1.0\r\n\r\n", resp[] = "HTTP/1.0 200 OK\r\n\r\nok";

	clear();
	test_flow(&fl, NULL);
	fl.tls = 1;
	fl.tunnel = &tu;
	memset(&f, 0, sizeof(f));
	f.input = &test_input;
	f.number = 5;
	st = mf_proto_http1.open(&ctx, &fl);
	CHECK(st != NULL);
	if (!st)
		return;
	tu.target[0] = 'X';         /* the consumer keeps its own copy */
	CHECK_EQ_INT(mf_proto_http1.data(st, &ctx, C2S, (const uint8_t *)req, strlen(req), &f), 0);
	f.number = 6;
	CHECK_EQ_INT(mf_proto_http1.data(st, &ctx, S2C, (const uint8_t *)resp, strlen(resp), &f), 0);
	CHECK_EQ_INT(mf_proto_http1.close(st, &ctx, MF_END_FIN, NULL), 0);
	CHECK_EQ_INT(count_proto("micloud-http", "data") + count_proto("micloud-http", "anomaly") +
	    count_proto("micloud-http", "account"), nev);
	CHECK(nev >= 1);
	e = nev ? evs[0] : NULL;
	if (e)
		CHECK_EQ_STR(S(e, "evidence.tunnel"), "De.Api.io.mi.com:443");
}

int main(void)
{
	init_ctx(&ctx);
	test_head_parser();
	test_keepalive();
	test_pipelining();
	test_chunked_gzip();
	test_cloud_content_encoding();
	test_cloud_by_form();
	test_no_body_and_interim();
	test_malformed();
	test_caps();
	test_gaps_and_close();
	test_not_utf8();
	test_probe();
	test_decode_body();
	test_tunnel_tls();
	test_tunnel_not_tls();
	test_tunnel_refused();
	test_tunnel_gaps();
	test_tunnel_cloud_host();
	test_tunnel_host_fallback();
	clear();
	return TEST_DONE();
}
