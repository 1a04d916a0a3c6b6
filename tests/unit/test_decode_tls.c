/*
 * test_decode_tls.c - TLS key schedule, record ciphers and the TLS stream
 * consumer (decode/mf_tls.c, decode/mf_tlscrypto.c).
 *
 * 1. KATs: TLS 1.2 PRF (SHA-256 / SHA-384), HKDF-Expand-Label with the
 *    RFC 8448 section 3 secrets.
 * 2. RFC 8448 section 3 "Simple 1-RTT Handshake" replayed record by record
 *    through mf_proto_tls (whole records, byte by byte, odd chunks), then
 *    the same with a tampered record, without keys, without handshake
 *    secrets, with a KeyUpdate, a gap, a truncated and an invalid stream.
 * 3. TLS 1.2 sessions built here (records sealed with EVP directly, not
 *    with mf_tlscrypto) for AES-GCM, ChaCha20-Poly1305, AES-CBC with
 *    SHA1/SHA256/SHA384 MACs, MAC-then-encrypt and encrypt-then-MAC.
 * The inner consumer is a fake that keeps the plaintext it is given.
 */
#include "mf_tls.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_http.h"
#include "mf_keylog.h"
#include "mf_test.h"
#include "mf_tlscrypto.h"

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h) / 2;

	if (n > cap || mf_hex_decode(h, 2 * n, out, n))
		return 0;
	return n;
}

struct sink {
	char *lines[512];
	int n;
};

static int collect(void *arg, struct mf_event *ev)
{
	struct sink *s = arg;
	struct mf_buf b;

	mf_buf_init(&b, 1u << 20);
	if (mf_event_to_json(ev, &b) == 0 && s->n < 512)
		s->lines[s->n++] = strdup(mf_buf_cstr(&b));
	mf_buf_free(&b);
	mf_event_free(ev);
	return 0;
}

/* lines holding every one of the (NULL-terminated) substrings */
static int count_lines(const struct sink *s, ...)
{
	int i, c = 0;

	for (i = 0; i < s->n; i++) {
		va_list ap;
		const char *w;
		int ok = 1;

		va_start(ap, s);
		while ((w = va_arg(ap, const char *)))
			if (!strstr(s->lines[i], w))
				ok = 0;
		va_end(ap);
		c += ok;
	}
	return c;
}

static void dump(const struct sink *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		fprintf(stderr, "    %s\n", s->lines[i]);
}

/* the fake inner consumer */
struct fake {
	struct mf_buf got[2];
	int closed, gaps, tls, opaque;
	char alpn[32], sni[64], name[16];
};

static struct fake *fakes[64];
static int nfakes;

static void *fake_open(struct mf_ctx *ctx, const struct mf_flow *fl, const char *name)
{
	struct fake *f = calloc(1, sizeof(*f));

	mf_buf_init(&f->got[0], 1u << 24);
	mf_buf_init(&f->got[1], 1u << 24);
	f->tls = fl->tls;
	f->opaque = fl->opaque;
	snprintf(f->alpn, sizeof(f->alpn), "%s", fl->alpn ? fl->alpn : "");
	snprintf(f->sni, sizeof(f->sni), "%s", fl->sni ? fl->sni : "");
	snprintf(f->name, sizeof(f->name), "%s", name);
	fakes[nfakes++] = f;
	return f;
}

static void *fake_open1(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	return fake_open(ctx, fl, "h1");
}

static void *fake_open2(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	return fake_open(ctx, fl, "h2");
}

static int fake_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                     const struct mf_frame *f)
{
	struct fake *k = st;

	return mf_buf_add(&k->got[dir], p, n);
}

static void fake_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                     const struct mf_frame *f)
{
	((struct fake *)st)->gaps++;
}

static int fake_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	((struct fake *)st)->closed++;
	return 0;
}

static const struct mf_stream_proto fake_h1 = {
	"fake-h1", { 0 }, NULL, fake_open1, fake_data, fake_gap, fake_close, NULL
};
static const struct mf_stream_proto fake_h2 = {
	"fake-h2", { 0 }, NULL, fake_open2, fake_data, fake_gap, fake_close, NULL
};

static void fakes_free(void)
{
	int i;

	for (i = 0; i < nfakes; i++) {
		mf_buf_free(&fakes[i]->got[0]);
		mf_buf_free(&fakes[i]->got[1]);
		free(fakes[i]);
	}
	nfakes = 0;
}

/* one TLS stream driven through mf_proto_tls */
struct sess {
	struct mf_ctx ctx;
	struct sink sink;
	struct mf_input in;
	struct mf_flow fl;
	struct mf_frame f;
	void *st;
	size_t chunk;           /* bytes per data() call, 0 = as given */
	struct fake *inner;     /* set at close */
};

static void sess_open(struct sess *s, struct mf_keylog *kl, size_t chunk)
{
	memset(s, 0, sizeof(*s));
	mf_ctx_init(&s->ctx);
	s->ctx.emit = collect;
	s->ctx.emit_arg = &s->sink;
	s->ctx.keylog = kl;
	s->in.name = "unit.pcap";
	s->in.path = "unit.pcap";
	s->in.source = "pcap";
	s->fl.input = &s->in;
	s->fl.addr_len = 4;
	s->fl.cli[0] = 10, s->fl.cli[3] = 2;
	s->fl.srv[0] = 10, s->fl.srv[3] = 1;
	s->fl.cport = 50000;
	s->fl.sport = 443;
	s->fl.stream_no = 3;
	snprintf(s->fl.community_id, sizeof(s->fl.community_id), "1:test");
	s->f.input = &s->in;
	s->f.ts_ns = 1600000000000000000LL;
	s->chunk = chunk;
	nfakes = 0;
	s->st = mf_tls_open_with(&s->ctx, &s->fl, &fake_h1, &fake_h2);
}

static void feed(struct sess *s, int dir, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = s->chunk && s->chunk < n ? s->chunk : n;

		s->f.number++;
		s->f.ts_ns += 1000000;
		CHECK_EQ_INT(mf_proto_tls.data(s->st, &s->ctx, dir, p, k, &s->f), 0);
		p += k;
		n -= k;
	}
}

static void feed_hex(struct sess *s, int dir, const char *h)
{
	uint8_t buf[4096];
	size_t n = unhex(h, buf, sizeof(buf));

	CHECK(n > 0);
	feed(s, dir, buf, n);
}

/* The stream ends; returns close()'s MF_STREAM_LINGER when the session
 * waits for a key (s->st stays valid until resume() returns 0). */
static int sess_end(struct sess *s)
{
	int rc = mf_proto_tls.close(s->st, &s->ctx, MF_END_FIN, &s->f);

	s->inner = nfakes ? fakes[0] : NULL;
	return rc;
}

/* The stream ends and no key comes after it. */
static void sess_close(struct sess *s)
{
	if (sess_end(s) == MF_STREAM_LINGER) {
		size_t before = s->ctx.st.events;

		/* no more keys: resume() changes nothing until the final call */
		CHECK_EQ_INT(mf_proto_tls.resume(s->st, &s->ctx, 0), MF_STREAM_LINGER);
		CHECK(s->ctx.st.events == before);
		CHECK_EQ_INT(mf_proto_tls.resume(s->st, &s->ctx, 1), 0);
	}
	s->inner = nfakes ? fakes[0] : NULL;
}

static void sess_free(struct sess *s)
{
	int i;

	for (i = 0; i < s->sink.n; i++)
		free(s->sink.lines[i]);
	fakes_free();
}

static int anomalies(const struct sess *s)
{
	return count_lines(&s->sink, "\"kind\":\"anomaly\"", NULL);
}

/* ---- 1. KATs ---- */

static void test_prf(void)
{
	uint8_t s[16], seed[16], out[148], want[148];

	/* the widely used TLS 1.2 PRF vectors ("test label"), checked with an
	 * independent HMAC implementation (Python hmac) */
	unhex("9bbe436ba940f017b17652849a71db35", s, 16);
	unhex("a0ba9f936cda311827a6f796ffd5198c", seed, 16);
	unhex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9"
	    "c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa4"
	    "8082d122ee42c5a72e5a5110fff70187347b66", want, 100);
	CHECK_EQ_INT(mf_tls12_prf(MF_TLS_SHA256, s, 16, "test label", seed, 16, out, 100), 0);
	CHECK_MEM(out, want, 100);
	unhex("b80b733d6ceefcdc71566ea48e5567df", s, 16);
	unhex("cd665cf6a8447dd6ff8b27555edb7465", seed, 16);
	unhex("7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe3"
	    "4f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d4"
	    "16d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e5"
	    "2655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f", want, 148);
	CHECK_EQ_INT(mf_tls12_prf(MF_TLS_SHA384, s, 16, "test label", seed, 16, out, 148), 0);
	CHECK_MEM(out, want, 148);
}

/* RFC 8448 section 3 (tls-keylog.md section 7) */
#define RFC_CR "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
#define RFC_SHTS "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"
#define RFC_CHTS "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"
#define RFC_CATS "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"
#define RFC_SATS "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"

static void test_hkdf_label(void)
{
	static const struct {
		const char *secret, *key, *iv;
	} v[] = {
		{ RFC_SHTS, "3fce516009c21727d0f2e4e86ee403bc", "5d313eb2671276ee13000b30" },
		{ RFC_CHTS, "dbfaa693d1762c5b666af5d950258d01", "5bd3c71b836e0b76bb73265f" },
		{ RFC_SATS, "9f02283b6c9c07efc26bb9f2ac92e356", "cf782b88dd83549aadf1e984" },
		{ RFC_CATS, "17422dda596ed5d9acd890e3c63f5051", "5b78923dee08579033e523d9" },
	};
	const struct mf_tls_suite *s = mf_tls_suite_find(0x1301);
	uint8_t sec[32], key[16], iv[12], wk[16], wiv[12];
	size_t i;

	CHECK(s && s->tls13 && s->key_len == 16);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(v[i].secret, sec, 32);
		unhex(v[i].key, wk, 16);
		unhex(v[i].iv, wiv, 12);
		CHECK_EQ_INT(mf_tls13_traffic_keys(s, sec, 32, key, iv), 0);
		CHECK_MEM(key, wk, 16);
		CHECK_MEM(iv, wiv, 12);
	}
	CHECK_EQ_INT(mf_tls13_traffic_keys(s, sec, 48, key, iv), MF_ERR_ARG);
	CHECK(mf_tls_suite_find(0x1302)->prf == MF_TLS_SHA384);
	CHECK(mf_tls_suite_find(0xC013)->mac == MF_TLS_SHA1);
	CHECK(mf_tls_suite_find(0x1234) == NULL);
}

/* ---- 2. RFC 8448 section 3 through the stream consumer ---- */

static const char rfc_ch[] =
    "16030100c4010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
    "000006130113031302010000910000000b0009000006736572766572ff01000100000a0014001200"
    "1d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d2"
    "3d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e04030503"
    "0603020308040805080604010501060102010402050206020202002d00020101001c00024001";
static const char rfc_sh[] =
    "160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3"
    "e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833d"
    "f1dd69b1b04e751f0f002b00020304";
static const char rfc_server_flight[] =
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40a"
    "a2b8ea73f848a7ca07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f5261"
    "34aadc7fc78c4b729df828b5ecf7b13bd9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183e"
    "f3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2e"
    "d65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd610928d809810e4b7ed1a"
    "8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8"
    "9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63"
    "d3e688611ea5e22f4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26"
    "f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b659622245317b49eeda0c6258f1"
    "00d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e1b7a6c7178af36879018e3f252107f24"
    "3d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7c"
    "ca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe"
    "5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8af"
    "e67f76913fa388cb5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614"
    "636c0b9b68c19ed2e31c0b3b66763038ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f"
    "60f0504de93b5b845e275592c12335ee340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5"
    "d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e750edc53370d2b";
static const char rfc_client_fin[] =
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac"
    "98fc46deb384bd1caeacab6867d726c40546";
static const char rfc_ticket[] =
    "17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3"
    "d11d63c758db289a015940252f55713e061dc13e078891a38efbcf5753ad8ef170ad3c7353d16d9d"
    "a773b9ca7f2b9fa1b6c0d4a3d03f75e09c30ba1e62972ac46f75f7b981be63439b2999ce13064615"
    "139891d5e4c5b406f16e3fc181a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c8651"
    "9d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74bc2697687e248746"
    "d6df353005f3bce18696129c8153556b3b6c6779b37bf15985684f";
static const char rfc_client_app[] =
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b39"
    "5bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4";
static const char rfc_server_app[] =
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6df"
    "fc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d";
static const char rfc_client_alert[] = "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";
static const char rfc_server_alert[] = "1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9";

static struct mf_keylog *rfc_keylog(int hs, int app)
{
	struct mf_keylog *kl = mf_keylog_new();
	char buf[1024];
	int n = 0;

	n += snprintf(buf + n, sizeof(buf) - n, "# RFC 8448 section 3\n");
	if (hs)
		n += snprintf(buf + n, sizeof(buf) - n,
		    "SERVER_HANDSHAKE_TRAFFIC_SECRET " RFC_CR " " RFC_SHTS "\n"
		    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " RFC_CR " " RFC_CHTS "\n");
	if (app)
		n += snprintf(buf + n, sizeof(buf) - n,
		    "CLIENT_TRAFFIC_SECRET_0 " RFC_CR " " RFC_CATS "\n"
		    "SERVER_TRAFFIC_SECRET_0 " RFC_CR " " RFC_SATS "\n");
	mf_keylog_add_mem(kl, buf, (size_t)n, "rfc8448.keys", NULL);
	return kl;
}

static void rfc_handshake(struct sess *s)
{
	feed_hex(s, MF_DIR_C2S, rfc_ch);
	feed_hex(s, MF_DIR_S2C, rfc_sh);
	feed_hex(s, MF_DIR_S2C, rfc_server_flight);
	feed_hex(s, MF_DIR_C2S, rfc_client_fin);
	feed_hex(s, MF_DIR_S2C, rfc_ticket);
}

static int is_0_to_49(const struct mf_buf *b, size_t off)
{
	size_t i;

	if (b->len < off + 50)
		return 0;
	for (i = 0; i < 50; i++)
		if (b->data[off + i] != i)
			return 0;
	return 1;
}

static void test_rfc8448(size_t chunk)
{
	struct mf_keylog *kl = rfc_keylog(1, 1);
	struct sess s;

	sess_open(&s, kl, chunk);
	rfc_handshake(&s);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	feed_hex(&s, MF_DIR_C2S, rfc_client_alert);
	feed_hex(&s, MF_DIR_S2C, rfc_server_alert);
	sess_close(&s);
	CHECK(s.inner != NULL);
	if (s.inner) {
		CHECK_EQ_INT(s.inner->got[0].len, 50);
		CHECK_EQ_INT(s.inner->got[1].len, 50);
		CHECK(is_0_to_49(&s.inner->got[0], 0));
		CHECK(is_0_to_49(&s.inner->got[1], 0));
		CHECK_EQ_STR(s.inner->name, "h1");       /* no ALPN: HTTP/1.1 */
		CHECK_EQ_STR(s.inner->sni, "server");
		CHECK_EQ_INT(s.inner->tls, 1);
		/* bytes 0..49 are not a request line: shown as data, not parsed */
		CHECK_EQ_INT(s.inner->opaque, 1);
		CHECK_EQ_INT(s.inner->closed, 1);
	}
	CHECK_EQ_INT(anomalies(&s), 0);
	CHECK_EQ_INT(count_lines(&s.sink, "\"protocol\":\"tls\"", "\"kind\":\"session\"",
	    "\"version\":\"TLS 1.3\"", "\"suite\":{\"id\":\"0x1301\",\"name\":\"TLS_AES_128_GCM_SHA256\"}",
	    "\"sni\":\"server\"", "\"client_random\":\"" RFC_CR "\"", "\"decrypted\":true",
	    "\"plaintext_bytes\":{\"client_to_server\":50,\"server_to_client\":50}", "\"records\":{\"client_to_server\":4,\"server_to_client\":5}",
	    "\"alerts\":{\"client_to_server\":\"close_notify\",\"server_to_client\":\"close_notify\"}",
	    "\"keylog\":\"rfc8448.keys\"", "\"end\":\"fin\"", "\"tcp_stream\":3", NULL), 1);
	if (mf_t_fail)
		dump(&s.sink);
	sess_free(&s);
	mf_keylog_free(kl);
}

/* all records of each direction in one call (several records per segment) */
static void test_rfc8448_batched(void)
{
	struct mf_keylog *kl = rfc_keylog(1, 1);
	struct sess s;
	char buf[8192];

	sess_open(&s, kl, 0);
	feed_hex(&s, MF_DIR_C2S, rfc_ch);
	snprintf(buf, sizeof(buf), "%s%s%s", rfc_sh, rfc_server_flight, rfc_ticket);
	feed_hex(&s, MF_DIR_S2C, buf);
	snprintf(buf, sizeof(buf), "%s%s%s", rfc_client_fin, rfc_client_app, rfc_client_alert);
	feed_hex(&s, MF_DIR_C2S, buf);
	snprintf(buf, sizeof(buf), "%s%s", rfc_server_app, rfc_server_alert);
	feed_hex(&s, MF_DIR_S2C, buf);
	sess_close(&s);
	CHECK(s.inner && is_0_to_49(&s.inner->got[0], 0) && is_0_to_49(&s.inner->got[1], 0));
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":true", NULL), 1);
	CHECK_EQ_INT(anomalies(&s), 0);
	sess_free(&s);
	mf_keylog_free(kl);
}

static void test_rfc8448_tampered(void)
{
	struct mf_keylog *kl = rfc_keylog(1, 1);
	uint8_t rec[128];
	size_t n = unhex(rfc_client_app, rec, sizeof(rec));
	struct sess s;

	rec[20] ^= 0x40;
	sess_open(&s, kl, 0);
	rfc_handshake(&s);
	feed(&s, MF_DIR_C2S, rec, n);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	feed_hex(&s, MF_DIR_C2S, rfc_client_alert);     /* seq 1 still opens */
	feed_hex(&s, MF_DIR_S2C, rfc_server_alert);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_bad_record_mac\"",
	    "\"direction\":\"client_to_server\"", "\"record\":3", "\"seq\":0", "\"frame\":", NULL), 1);
	CHECK_EQ_INT(anomalies(&s), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":false",
	    "\"bad_records\":{\"client_to_server\":1,\"server_to_client\":0}", "\"plaintext_bytes\":{\"client_to_server\":0,\"server_to_client\":50}",
	    "\"alerts\":{\"client_to_server\":\"close_notify\",\"server_to_client\":\"close_notify\"}", NULL), 1);
	CHECK(s.inner && s.inner->got[0].len == 0 && is_0_to_49(&s.inner->got[1], 0));
	sess_free(&s);
	mf_keylog_free(kl);
}

static void test_rfc8448_nokeys(int with_app_secrets)
{
	struct mf_keylog *kl = with_app_secrets ? rfc_keylog(0, 1) : NULL;
	struct sess s;

	sess_open(&s, kl, 0);
	rfc_handshake(&s);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	feed_hex(&s, MF_DIR_C2S, rfc_client_alert);
	feed_hex(&s, MF_DIR_S2C, rfc_server_alert);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_no_secret\"", RFC_CR, NULL), 1);
	CHECK_EQ_INT(anomalies(&s), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":false",
	    "\"version\":\"TLS 1.3\"", "\"sni\":\"server\"", "\"missing_secrets\":[", NULL), 1);
	if (with_app_secrets) {
		/* the handshake stays unread; application data opens with the
		 * traffic secrets (next-epoch trial) */
		CHECK(s.inner && is_0_to_49(&s.inner->got[0], 0) && is_0_to_49(&s.inner->got[1], 0));
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"",
		    "\"plaintext_bytes\":{\"client_to_server\":50,\"server_to_client\":50}",
		    "\"missing_secrets\":[\"CLIENT_HANDSHAKE_TRAFFIC_SECRET\","
		    "\"SERVER_HANDSHAKE_TRAFFIC_SECRET\"]", NULL), 1);
	} else {
		CHECK(s.inner == NULL);                 /* nothing flows when not decrypted */
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"",
		    "\"plaintext_bytes\":{\"client_to_server\":0,\"server_to_client\":0}",
		    "\"undecrypted_records\":{\"client_to_server\":3,\"server_to_client\":4}", NULL), 1);
	}
	sess_free(&s);
	mf_keylog_free(kl);
}

/* The whole session went by, and ended, before any of its secrets were in
 * the key log (a live key log read later, a DSB at the end of a pcapng):
 * the session waits (close() lingers) and decrypts in full on resume(). */
static void test_rfc8448_key_after_end(void)
{
	struct mf_keylog *kl = rfc_keylog(0, 0), *all = rfc_keylog(1, 1);
	const uint8_t *sec;
	size_t len;
	const char *origin;
	char line[512], hex[129];
	struct sess s;
	static const int labels[4] = {
		MF_KL_CLIENT_HS_TRAFFIC, MF_KL_SERVER_HS_TRAFFIC, MF_KL_CLIENT_TRAFFIC_0,
		MF_KL_SERVER_TRAFFIC_0
	};
	static const char *const names[4] = {
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"
	};
	uint8_t cr[32];
	int i;

	sess_open(&s, kl, 0);
	rfc_handshake(&s);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	feed_hex(&s, MF_DIR_C2S, rfc_client_alert);
	feed_hex(&s, MF_DIR_S2C, rfc_server_alert);
	CHECK_EQ_INT(sess_end(&s), MF_STREAM_LINGER);
	CHECK(s.inner == NULL);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", NULL), 0);
	/* one secret is not enough to finish */
	CHECK_EQ_INT(unhex(RFC_CR, cr, sizeof(cr)), 32);
	for (i = 0; i < 4; i++) {
		sec = mf_keylog_find(all, labels[i], cr, &len, &origin);
		CHECK(sec != NULL);
		if (!sec)
			break;
		mf_hex_encode(sec, len, hex);
		snprintf(line, sizeof(line), "%s %s %s\n", names[i], RFC_CR, hex);
		mf_keylog_add_mem(kl, line, strlen(line), "later.keys", NULL);
		CHECK_EQ_INT(mf_proto_tls.resume(s.st, &s.ctx, 0), i < 3 ? MF_STREAM_LINGER : 0);
	}
	s.inner = nfakes ? fakes[0] : NULL;
	CHECK(s.inner && is_0_to_49(&s.inner->got[0], 0) && is_0_to_49(&s.inner->got[1], 0));
	CHECK(s.inner && s.inner->closed == 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":true",
	    "\"plaintext_bytes\":{\"client_to_server\":50,\"server_to_client\":50}",
	    "\"end\":\"fin\"", NULL), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"undecrypted_records\"", NULL), 0);
	CHECK(s.ctx.st.tls_held_bytes == 0);
	if (mf_t_fail)
		dump(&s.sink);
	sess_free(&s);
	mf_keylog_free(kl);
	mf_keylog_free(all);
}

/* The RFC 8448 session inside an HTTP CONNECT tunnel (mf_proto_http1 hands
 * the tunnel to mf_proto_tls, whose plaintext goes to the real HTTP
 * consumers).  late: the secrets come after the connection ended: the
 * HTTP/1 consumer lingers with the tunnel's session and finishes it on
 * resume(). */
static void test_tunnel(int late, size_t chunk)
{
	struct mf_keylog *kl = rfc_keylog(!late, !late), *all = rfc_keylog(1, 1);
	static const char connect[] = "CONNECT server:443 HTTP/1.1\r\nHost: server:443\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	const char *recs[][2] = {
		{ "c", rfc_ch }, { "s", rfc_sh }, { "s", rfc_server_flight }, { "c", rfc_client_fin },
		{ "s", rfc_ticket }, { "c", rfc_client_app }, { "s", rfc_server_app },
		{ "c", rfc_client_alert }, { "s", rfc_server_alert }
	};
	struct sess s;
	void *h;
	size_t i;
	int rc;

	sess_open(&s, kl, chunk);
	mf_proto_tls.close(s.st, &s.ctx, MF_END_FIN, NULL);     /* not used: a bare session */
	s.sink.n = 0;
	s.fl.sport = 3128;
	h = mf_proto_http1.open(&s.ctx, &s.fl);
	CHECK(h != NULL);
	if (!h)
		return;
	s.f.number = 1;
	CHECK_EQ_INT(mf_proto_http1.data(h, &s.ctx, MF_DIR_C2S, (const uint8_t *)connect,
	    strlen(connect), &s.f), 0);
	s.f.number = 2;
	CHECK_EQ_INT(mf_proto_http1.data(h, &s.ctx, MF_DIR_S2C, (const uint8_t *)ok, strlen(ok),
	    &s.f), 0);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		uint8_t buf[4096];
		size_t n = unhex(recs[i][1], buf, sizeof(buf)), off = 0;
		int dir = recs[i][0][0] == 'c' ? MF_DIR_C2S : MF_DIR_S2C;

		while (off < n) {
			size_t k = chunk && chunk < n - off ? chunk : n - off;

			s.f.number++;
			CHECK_EQ_INT(mf_proto_http1.data(h, &s.ctx, dir, buf + off, k, &s.f), 0);
			off += k;
		}
	}
	rc = mf_proto_http1.close(h, &s.ctx, MF_END_FIN, &s.f);
	CHECK_EQ_INT(rc, late ? MF_STREAM_LINGER : 0);
	if (late) {
		char line[1024];
		int n = 0;

		/* the CONNECT is out; the session waits for its secrets */
		CHECK_EQ_INT(count_lines(&s.sink, "\"method\":\"CONNECT\"", NULL), 1);
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", NULL), 0);
		CHECK_EQ_INT(mf_proto_http1.resume(h, &s.ctx, 0), MF_STREAM_LINGER);
		n += snprintf(line + n, sizeof(line) - n,
		    "SERVER_HANDSHAKE_TRAFFIC_SECRET " RFC_CR " " RFC_SHTS "\n"
		    "CLIENT_HANDSHAKE_TRAFFIC_SECRET " RFC_CR " " RFC_CHTS "\n"
		    "CLIENT_TRAFFIC_SECRET_0 " RFC_CR " " RFC_CATS "\n"
		    "SERVER_TRAFFIC_SECRET_0 " RFC_CR " " RFC_SATS "\n");
		mf_keylog_add_mem(kl, line, (size_t)n, "later.keys", NULL);
		CHECK_EQ_INT(mf_proto_http1.resume(h, &s.ctx, 0), 0);
	}
	CHECK_EQ_INT(count_lines(&s.sink, "\"protocol\":\"http\"", "\"method\":\"CONNECT\"",
	    "\"authority\":\"server:443\"", "\"status\":200", NULL), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"protocol\":\"tls\"", "\"kind\":\"session\"",
	    "\"sni\":\"server\"", "\"decrypted\":true",
	    "\"plaintext_bytes\":{\"client_to_server\":50,\"server_to_client\":50}",
	    "\"tunnel\":{\"proxy\":\"10.0.0.1:3128\",\"target\":\"server:443\",\"status\":200,"
	    "\"http_request\":1}", "\"tunnel\":\"server:443\"", "\"tcp_stream\":3", NULL), 1);
	/* the plaintext (bytes 0..49, not HTTP) as TLS data records, in the tunnel */
	CHECK_EQ_INT(count_lines(&s.sink, "\"protocol\":\"tls\"", "\"kind\":\"data\"",
	    "\"unparsed\":\"not_http\"", "\"bytes\":50", "\"tunnel\":\"server:443\"", NULL), 2);
	CHECK_EQ_INT(count_lines(&s.sink, "\"unparsed\":\"tunnel\"", NULL), 0);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"anomaly\"", NULL), late ? 1 : 0);
	CHECK(s.ctx.st.tls_held_bytes == 0);
	if (mf_t_fail || getenv("DUMP"))
		dump(&s.sink);
	s.st = NULL;
	sess_free(&s);
	mf_keylog_free(kl);
	mf_keylog_free(all);
}

/* TLS 1.3 record sealed here with EVP (AES-128-GCM) */
static size_t seal13(const uint8_t key[16], const uint8_t iv[12], uint64_t seq, uint8_t type,
                     const void *content, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int l, i;

	memcpy(nonce, iv, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
	out[0] = 23, out[1] = 3, out[2] = 3;
	mf_put_be16(out + 3, (uint16_t)(n + 1 + 16));
	memcpy(out + 5, content, n);
	out[5 + n] = type;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce);
	EVP_EncryptUpdate(c, NULL, &l, out, 5);
	EVP_EncryptUpdate(c, out + 5, &l, out + 5, (int)n + 1);
	EVP_EncryptFinal_ex(c, out + 5 + n + 1, &l);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + 5 + n + 1);
	EVP_CIPHER_CTX_free(c);
	return 5 + n + 1 + 16;
}

static void test_keyupdate(int corrupt_keyupdate)
{
	struct mf_keylog *kl = rfc_keylog(1, 1);
	const struct mf_tls_suite *su = mf_tls_suite_find(0x1301);
	static const uint8_t ku[] = { 24, 0, 0, 1, 1 };  /* KeyUpdate(update_requested) */
	static const char msg[] = "after the update";
	uint8_t sec[32], next[32], key[16], iv[12], rec[256];
	size_t n;
	struct sess s;

	unhex(RFC_CATS, sec, 32);
	sess_open(&s, kl, 0);
	rfc_handshake(&s);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);               /* generation 0, seq 0 */
	mf_tls13_traffic_keys(su, sec, 32, key, iv);
	n = seal13(key, iv, 1, 22, ku, sizeof(ku), rec);        /* seq 1 */
	if (corrupt_keyupdate)
		rec[8] ^= 1;
	feed(&s, MF_DIR_C2S, rec, n);
	mf_tls13_expand_label(MF_TLS_SHA256, sec, 32, "traffic upd", NULL, 0, next, 32);
	mf_tls13_traffic_keys(su, next, 32, key, iv);
	n = seal13(key, iv, 0, 23, msg, strlen(msg), rec);      /* generation 1, seq 0 */
	feed(&s, MF_DIR_C2S, rec, n);
	n = seal13(key, iv, 1, 23, msg, strlen(msg), rec);      /* seq 1 */
	feed(&s, MF_DIR_C2S, rec, n);
	sess_close(&s);
	CHECK(s.inner && s.inner->got[0].len == 50 + 2 * strlen(msg));
	if (s.inner && s.inner->got[0].len == 50 + 2 * strlen(msg)) {
		CHECK(is_0_to_49(&s.inner->got[0], 0));
		CHECK(memcmp(s.inner->got[0].data + 50, msg, strlen(msg)) == 0);
		CHECK(memcmp(s.inner->got[0].data + 50 + strlen(msg), msg, strlen(msg)) == 0);
	}
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"",
	    "\"key_updates\":{\"client_to_server\":1,\"server_to_client\":0}", NULL), 1);
	CHECK_EQ_INT(anomalies(&s), corrupt_keyupdate ? 1 : 0);
	if (corrupt_keyupdate)
		CHECK_EQ_INT(count_lines(&s.sink, "tls_bad_record_mac", "\"record\":4", NULL), 1);
	sess_free(&s);
	mf_keylog_free(kl);
}

static void test_stream_problems(void)
{
	struct mf_keylog *kl = rfc_keylog(1, 1);
	uint8_t buf[512];
	size_t n;
	struct sess s;

	/* not TLS at all */
	sess_open(&s, kl, 0);
	feed(&s, MF_DIR_C2S, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18);
	feed(&s, MF_DIR_C2S, (const uint8_t *)"more", 4);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_invalid_record\"", "client_to_server", NULL), 1);
	CHECK_EQ_INT(anomalies(&s), 1);
	sess_free(&s);

	/* length over the maximum: invalid, not a huge buffer */
	sess_open(&s, kl, 0);
	feed(&s, MF_DIR_C2S, (const uint8_t *)"\x16\x03\x01\xff\xff", 5);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_invalid_record\"", "2^14", NULL), 1);
	sess_free(&s);

	/* the capture ends inside the ServerHello record */
	sess_open(&s, kl, 0);
	feed_hex(&s, MF_DIR_C2S, rfc_ch);
	n = unhex(rfc_sh, buf, sizeof(buf));
	feed(&s, MF_DIR_S2C, buf, n - 10);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_truncated\"", "85 of 95", NULL), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"handshake\":\"incomplete\"",
	    "\"truncated_bytes\":{\"client_to_server\":0,\"server_to_client\":85}", NULL), 1);
	sess_free(&s);

	/* a gap: this direction stops, the other goes on */
	sess_open(&s, kl, 0);
	rfc_handshake(&s);
	mf_proto_tls.gap(s.st, &s.ctx, MF_DIR_C2S, 1000, &s.f);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_desync\"", "1000", NULL), 1);
	CHECK(s.inner && s.inner->got[0].len == 0 && is_0_to_49(&s.inner->got[1], 0));
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":false",
	    "\"gap_bytes\":{\"client_to_server\":1000,\"server_to_client\":0}", NULL), 1);
	sess_free(&s);

	/* picked up after the handshake */
	sess_open(&s, kl, 0);
	feed_hex(&s, MF_DIR_C2S, rfc_client_app);
	feed_hex(&s, MF_DIR_S2C, rfc_server_app);
	sess_close(&s);
	CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_no_secret\"", "not captured", NULL), 1);
	CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"handshake\":\"not_captured\"",
	    "\"decrypted\":false", NULL), 1);
	sess_free(&s);

	/* nothing at all: no session event */
	sess_open(&s, kl, 0);
	sess_close(&s);
	CHECK_EQ_INT(s.sink.n, 0);
	sess_free(&s);
	mf_keylog_free(kl);
}

static void test_probe(void)
{
	CHECK(mf_tls_probe((const uint8_t *)"\x16\x03\x01\x00\xc4\x01", 6));
	CHECK(mf_tls_probe((const uint8_t *)"\x16\x03\x03", 3));
	CHECK(!mf_tls_probe((const uint8_t *)"\x16\x03\x01\x00\xc4\x02", 6));
	CHECK(!mf_tls_probe((const uint8_t *)"\x17\x03\x03\x00\x10\x00", 6));
	CHECK(!mf_tls_probe((const uint8_t *)"GET / HTTP/1.1", 14));
	CHECK(!mf_tls_probe((const uint8_t *)"\x16", 1));
	CHECK(mf_proto_tls.ports[0] == 443 && mf_proto_tls.ports[1] == 8443);
}

/* ---- 3. TLS 1.2 sessions sealed here ---- */

struct t12 {
	const struct mf_tls_suite *su;
	int etm;
	uint8_t kb[192];
	uint64_t seq[2];
};

static size_t seal12(struct t12 *t, int dir, uint8_t type, const void *pt, size_t n, uint8_t *out)
{
	const struct mf_tls_suite *su = t->su;
	const uint8_t *mk, *key, *iv;
	uint64_t seq = t->seq[dir]++;
	uint8_t aad[13], nonce[12], *frag = out + 5;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t flen = 0, m = mf_tls_hash_len(su->mac);
	const char *md = su->mac == MF_TLS_SHA1 ? "SHA1" : su->mac == MF_TLS_SHA256 ? "SHA256"
	    : "SHA384";
	int l, i;

	mf_tls12_key_block_split(su, t->kb, dir == MF_DIR_C2S, &mk, &key, &iv);
	for (i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type, aad[9] = 3, aad[10] = 3;
	out[0] = type, out[1] = 3, out[2] = 3;
	if (su->kind == MF_TLS_GCM || su->kind == MF_TLS_CHACHA) {
		uint8_t *ct;

		mf_put_be16(aad + 11, (uint16_t)n);
		if (su->kind == MF_TLS_GCM) {
			memcpy(nonce, iv, 4);
			memcpy(nonce + 4, aad, 8);      /* explicit nonce = seq, as OpenSSL */
			memcpy(frag, aad, 8);
			ct = frag + 8;
			EVP_EncryptInit_ex(c, su->key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(),
			    NULL, key, nonce);
		} else {
			memcpy(nonce, iv, 12);
			for (i = 0; i < 8; i++)
				nonce[4 + i] ^= aad[i];
			ct = frag;
			EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce);
		}
		EVP_EncryptUpdate(c, NULL, &l, aad, 13);
		EVP_EncryptUpdate(c, ct, &l, pt, (int)n);
		EVP_EncryptFinal_ex(c, ct + n, &l);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, ct + n);
		flen = (size_t)(ct - frag) + n + 16;
	} else {
		uint8_t buf[20000], mac[64];
		size_t bl = 0, ml = 0, pad;

		for (i = 0; i < 16; i++)
			frag[i] = (uint8_t)(0xa0 + i + seq);        /* record IV */
		memcpy(buf, pt, n);
		bl = n;
		if (!t->etm) {
			uint8_t mbuf[20000];

			mf_put_be16(aad + 11, (uint16_t)n);
			memcpy(mbuf, aad, 13);
			memcpy(mbuf + 13, pt, n);
			EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, mk, m, mbuf, 13 + n, mac, sizeof(mac), &ml);
			memcpy(buf + bl, mac, m);
			bl += m;
		}
		pad = 15 - bl % 16 + 16;                /* some extra padding: 17..32 bytes */
		memset(buf + bl, (int)pad, pad + 1);
		bl += pad + 1;
		EVP_EncryptInit_ex(c, su->key_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(),
		    NULL, key, frag);
		EVP_CIPHER_CTX_set_padding(c, 0);
		EVP_EncryptUpdate(c, frag + 16, &l, buf, (int)bl);
		flen = 16 + bl;
		if (t->etm) {
			uint8_t mbuf[20000];

			mf_put_be16(aad + 11, (uint16_t)flen);
			memcpy(mbuf, aad, 13);
			memcpy(mbuf + 13, frag, flen);
			EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, mk, m, mbuf, 13 + flen, mac, sizeof(mac),
			    &ml);
			memcpy(frag + flen, mac, m);
			flen += m;
		}
	}
	EVP_CIPHER_CTX_free(c);
	mf_put_be16(out + 3, (uint16_t)flen);
	return 5 + flen;
}

/* handshake record with one message */
static size_t hs_record(uint8_t type, const uint8_t *body, size_t n, uint8_t *out)
{
	out[0] = 22, out[1] = 3, out[2] = 3;
	mf_put_be16(out + 3, (uint16_t)(n + 4));
	out[5] = type;
	out[6] = (uint8_t)(n >> 16), out[7] = (uint8_t)(n >> 8), out[8] = (uint8_t)n;
	memcpy(out + 9, body, n);
	return 9 + n;
}

enum { T12_WRONG = 1, T12_NOALPN = 2, T12_LATE = 4, T12_ENDED = 8 };

/* T12_WRONG: the key log holds another master secret; T12_NOALPN: the
 * server chooses no ALPN and the client sends the HTTP/2 preface (HTTP/2
 * by content); T12_LATE: the key arrives after the Finished records (a live
 * key log): the application data still decrypts at the right seq;
 * T12_ENDED: the key arrives after the stream ended (close() lingers, a
 * resume() with the key decrypts everything). */
static void test_tls12(uint16_t suite, int etm, int flags)
{
	int wrong_secret = flags & T12_WRONG, no_alpn = flags & T12_NOALPN, late = flags & T12_LATE;
	int ended = flags & T12_ENDED;
	const char *req = no_alpn ? "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	    : "GET /app/home/device_list HTTP/1.1\r\nHost: api.io.mi.com\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
	uint8_t cr[32], sr[32], ms[48], body[512], rec[20100], *p;
	char kls[256], hex[97], crh[65], want[128];
	struct mf_keylog *kl = mf_keylog_new();
	struct t12 t;
	struct sess s;
	size_t n, i;
	static const uint8_t fin[16] = { 20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

	memset(&t, 0, sizeof(t));
	t.su = mf_tls_suite_find(suite);
	t.etm = etm;
	CHECK(t.su != NULL);
	if (!t.su)
		return;
	for (i = 0; i < 32; i++)
		cr[i] = (uint8_t)(i * 7 + suite), sr[i] = (uint8_t)(0xff - i);
	for (i = 0; i < 48; i++)
		ms[i] = (uint8_t)(i * 13 + 1);
	CHECK_EQ_INT(mf_tls12_key_block(t.su, ms, 48, cr, sr, t.kb, sizeof(t.kb)), 0);
	mf_hex_encode(cr, 32, crh);
	if (wrong_secret)
		ms[0] ^= 1;
	mf_hex_encode(ms, 48, hex);
	snprintf(kls, sizeof(kls), "CLIENT_RANDOM %s %s\n", crh, hex);
	if (!late && !ended)
		mf_keylog_add_mem(kl, kls, strlen(kls), "t12.keys", NULL);

	sess_open(&s, kl, 5);                           /* 5-byte segments */
	/* ClientHello: SNI, ALPN h2,http/1.1, ETM offer */
	p = body;
	*p++ = 3, *p++ = 3;
	memcpy(p, cr, 32), p += 32;
	*p++ = 0;                                       /* session id */
	*p++ = 0, *p++ = 2, *p++ = (uint8_t)(suite >> 8), *p++ = (uint8_t)suite;
	*p++ = 1, *p++ = 0;
	{
		static const uint8_t ext[] = {
			0, 0, 0, 18, 0, 16, 0, 0, 13, 'a', 'p', 'i', '.', 'i', 'o', '.', 'm', 'i', '.', 'c', 'o', 'm',
			0, 16, 0, 14, 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1',
			0, 22, 0, 0
		};
		mf_put_be16(p, sizeof(ext)), p += 2;
		memcpy(p, ext, sizeof(ext)), p += sizeof(ext);
	}
	n = hs_record(1, body, (size_t)(p - body), rec);
	feed(&s, MF_DIR_C2S, rec, n);
	/* ServerHello + an opaque Certificate message in the same record */
	p = body;
	*p++ = 3, *p++ = 3;
	memcpy(p, sr, 32), p += 32;
	*p++ = 0;
	*p++ = (uint8_t)(suite >> 8), *p++ = (uint8_t)suite;
	*p++ = 0;
	{
		uint8_t ext[32], *e = ext;

		if (!no_alpn)
			*e++ = 0, *e++ = 16, *e++ = 0, *e++ = 5, *e++ = 0, *e++ = 3, *e++ = 2, *e++ = 'h', *e++ = '2';
		if (etm)
			*e++ = 0, *e++ = 22, *e++ = 0, *e++ = 0;
		mf_put_be16(p, (uint16_t)(e - ext)), p += 2;
		memcpy(p, ext, (size_t)(e - ext)), p += e - ext;
	}
	n = hs_record(2, body, (size_t)(p - body), rec);
	{
		/* append a Certificate message (type 11, 300 bytes) to the record */
		size_t add = 4 + 300;

		rec[n] = 11, rec[n + 1] = 0, rec[n + 2] = 0x01, rec[n + 3] = 0x2c;
		memset(rec + n + 4, 0x30, 300);
		n += add;
		mf_put_be16(rec + 3, (uint16_t)(n - 5));
	}
	feed(&s, MF_DIR_S2C, rec, n);
	/* client: CCS, Finished, request; server: CCS, Finished, response */
	feed(&s, MF_DIR_C2S, (const uint8_t *)"\x14\x03\x03\x00\x01\x01", 6);
	n = seal12(&t, MF_DIR_C2S, 22, fin, sizeof(fin), rec);
	feed(&s, MF_DIR_C2S, rec, n);
	feed(&s, MF_DIR_S2C, (const uint8_t *)"\x14\x03\x03\x00\x01\x01", 6);
	n = seal12(&t, MF_DIR_S2C, 22, fin, sizeof(fin), rec);
	feed(&s, MF_DIR_S2C, rec, n);
	if (late)
		mf_keylog_add_mem(kl, kls, strlen(kls), "t12.keys", NULL);
	n = seal12(&t, MF_DIR_C2S, 23, req, strlen(req), rec);
	feed(&s, MF_DIR_C2S, rec, n);
	n = seal12(&t, MF_DIR_S2C, 23, resp, strlen(resp), rec);
	feed(&s, MF_DIR_S2C, rec, n);
	/* a full-size record (16 KiB) */
	{
		static uint8_t big[16384];

		for (i = 0; i < sizeof(big); i++)
			big[i] = (uint8_t)i;
		n = seal12(&t, MF_DIR_S2C, 23, big, sizeof(big), rec);
		s.chunk = 1460;
		feed(&s, MF_DIR_S2C, rec, n);
	}
	n = seal12(&t, MF_DIR_C2S, 21, "\x01\x00", 2, rec);
	feed(&s, MF_DIR_C2S, rec, n);
	if (ended) {
		CHECK_EQ_INT(sess_end(&s), MF_STREAM_LINGER);
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", NULL), 0);
		CHECK(s.ctx.st.tls_held_bytes > 16384);
		CHECK_EQ_INT(mf_proto_tls.resume(s.st, &s.ctx, 0), MF_STREAM_LINGER);
		mf_keylog_add_mem(kl, kls, strlen(kls), "t12.keys", NULL);
		CHECK_EQ_INT(mf_proto_tls.resume(s.st, &s.ctx, 0), 0);
		CHECK(s.ctx.st.tls_held_bytes == 0);
		s.inner = nfakes ? fakes[0] : NULL;
		late = 1;               /* the same outcome as a key that came in time */
	} else {
		sess_close(&s);
	}

	if (wrong_secret) {
		CHECK(s.inner == NULL);
		CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_bad_record_mac\"", NULL), 6);
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":false",
		    "\"bad_records\":{\"client_to_server\":3,\"server_to_client\":3}", NULL), 1);
	} else {
		CHECK(s.inner != NULL);
		if (s.inner) {
			CHECK_EQ_STR(s.inner->name, "h2");      /* ALPN h2, or the preface */
			CHECK_EQ_INT(s.inner->opaque, 0);
			CHECK_EQ_STR(s.inner->alpn, no_alpn ? "" : "h2");
			CHECK_EQ_STR(s.inner->sni, "api.io.mi.com");
			CHECK(s.inner->got[0].len == strlen(req) &&
			    memcmp(s.inner->got[0].data, req, strlen(req)) == 0);
			CHECK(s.inner->got[1].len == strlen(resp) + 16384 &&
			    memcmp(s.inner->got[1].data, resp, strlen(resp)) == 0 &&
			    s.inner->got[1].data[strlen(resp) + 16383] == 0xff);
		}
		CHECK_EQ_INT(anomalies(&s), late ? 1 : 0);
		if (late) {
			CHECK_EQ_INT(count_lines(&s.sink, "\"reason\":\"tls_no_secret\"", NULL), 1);
			/* the records that came before the key were kept and opened
			 * once it arrived: the whole session is decrypted */
			CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"decrypted\":true",
			    NULL), 1);
			CHECK_EQ_INT(count_lines(&s.sink, "\"undecrypted_records\"", NULL), 0);
			goto done;
		}
		snprintf(want, sizeof(want), "\"suite\":{\"id\":\"0x%04x\",\"name\":\"%s\"}", suite,
		    t.su->name);
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", "\"version\":\"TLS 1.2\"", want,
		    "\"decrypted\":true", no_alpn ? "\"alpn_offered\"" : "\"alpn\":\"h2\"",
		    "\"alpn_offered\":[\"h2\",\"http/1.1\"]",
		    "\"alerts\":{\"client_to_server\":\"close_notify\"}", crh, NULL), 1);
		snprintf(want, sizeof(want), "\"plaintext_bytes\":{\"client_to_server\":%zu,\"server_to_client\":%zu}",
		    strlen(req), strlen(resp) + 16384);
		CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"", want, NULL), 1);
		if (t.su->kind == MF_TLS_CBC)
			CHECK_EQ_INT(count_lines(&s.sink, "\"kind\":\"session\"",
			    etm ? "\"encrypt_then_mac\":true" : "\"encrypt_then_mac\":false", NULL), 1);
	}
done:
	if (mf_t_fail)
		dump(&s.sink);
	sess_free(&s);
	mf_keylog_free(kl);
}

int main(void)
{
	test_prf();
	test_hkdf_label();
	test_probe();
	test_rfc8448(0);
	test_rfc8448(1);
	test_rfc8448(7);
	test_rfc8448(1460);
	test_rfc8448_batched();
	test_rfc8448_tampered();
	test_rfc8448_nokeys(0);
	test_rfc8448_nokeys(1);
	test_rfc8448_key_after_end();
	test_tunnel(0, 0);
	test_tunnel(0, 1);
	test_tunnel(1, 0);
	test_tunnel(1, 5);
	test_keyupdate(0);
	test_keyupdate(1);
	test_stream_problems();
	test_tls12(0xC02F, 0, 0);
	test_tls12(0xC030, 0, 0);
	test_tls12(0x009D, 0, 0);
	test_tls12(0xCCA8, 0, 0);
	test_tls12(0xCCA9, 0, 0);
	test_tls12(0xC013, 1, 0);
	test_tls12(0xC013, 0, 0);
	test_tls12(0xC014, 1, 0);
	test_tls12(0xC027, 0, 0);
	test_tls12(0xC027, 1, 0);
	test_tls12(0xC028, 1, 0);
	test_tls12(0xC028, 0, 0);
	test_tls12(0x002F, 0, 0);
	test_tls12(0xC02F, 0, T12_WRONG);
	test_tls12(0xC013, 1, T12_WRONG);
	test_tls12(0xC02F, 0, T12_NOALPN);
	test_tls12(0xC02F, 0, T12_LATE);
	test_tls12(0xC013, 1, T12_LATE);
	test_tls12(0xCCA8, 0, T12_LATE);
	test_tls12(0xC02F, 0, T12_ENDED);
	test_tls12(0xC013, 1, T12_ENDED);
	return TEST_DONE();
}
