/* Cursor, buffer, hex/base64, time: the core every parser stands on. */
#include <stdint.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_time.h"
#include "mf_test.h"

static void cursor(void)
{
	static const uint8_t b[] = { 0x21, 0x31, 0x00, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct mf_cur c, sub;
	uint8_t tmp[4];
	int sh;

	mf_cur_init(&c, b, sizeof(b));
	CHECK_EQ_INT(mf_cur_be16(&c), 0x2131);
	CHECK_EQ_INT(mf_cur_be16(&c), 0x20);
	CHECK_EQ_INT(mf_cur_le32(&c), 0x04030201);
	CHECK(mf_cur_ok(&c));
	CHECK_EQ_INT(mf_cur_left(&c), 5);
	CHECK(mf_cur_peek(&c, 1, tmp, 2) && tmp[0] == 6 && tmp[1] == 7);
	CHECK(!mf_cur_peek(&c, 4, tmp, 2));
	sub = mf_cur_sub(&c, 100, &sh);      /* claims more than captured */
	CHECK(sh);
	CHECK_EQ_INT(mf_cur_left(&sub), 5);
	CHECK_EQ_INT(mf_cur_left(&c), 0);
	CHECK_EQ_INT(mf_cur_be64(&sub), 0);  /* 8 > 5: truncated, returns 0 */
	CHECK(!mf_cur_ok(&sub));
	CHECK_EQ_INT(mf_cur_u8(&sub), 0);    /* sticky: stays at end */
	CHECK(mf_cur_bytes(&c, 0) != NULL || mf_cur_left(&c) == 0);
	mf_cur_init(&c, b, 4);
	CHECK_EQ_INT(mf_cur_skip(&c, 5), MF_ERR_TRUNC);
	CHECK(!mf_cur_ok(&c));
	mf_cur_init(&c, b, 8);
	CHECK_EQ_INT(mf_cur_be64(&c), 0x2131002001020304ULL);
	mf_cur_init(&c, b, 3);
	CHECK_EQ_INT(mf_cur_be24(&c), 0x213100);
	/* huge n must not wrap around the pointer */
	mf_cur_init(&c, b, sizeof(b));
	CHECK(mf_cur_bytes(&c, SIZE_MAX) == NULL);
}

static void buffer(void)
{
	struct mf_buf b;

	mf_buf_init(&b, 10);
	CHECK_EQ_INT(mf_buf_addstr(&b, "hello"), 0);
	CHECK_EQ_INT(mf_buf_printf(&b, "%d", 1234), 0);
	CHECK_EQ_STR(mf_buf_cstr(&b), "hello1234");
	CHECK_EQ_INT(mf_buf_addstr(&b, "xy"), MF_ERR_LIMIT);  /* cap 10 */
	CHECK_EQ_INT(b.len, 9);
	CHECK_EQ_INT(mf_buf_addc(&b, 'z'), 0);
	CHECK_EQ_INT(mf_buf_addc(&b, 'z'), MF_ERR_LIMIT);
	mf_buf_free(&b);
}

static void codecs(void)
{
	uint8_t raw[16], d[32];
	char hex[65];
	struct mf_buf b;

	CHECK_EQ_INT(mf_hex_decode("00112233445566778899AABBccddeeff", 32, raw, 16), 0);
	mf_hex_encode(raw, 16, hex);
	CHECK_EQ_STR(hex, "00112233445566778899aabbccddeeff");
	CHECK_EQ_INT(mf_hex_decode("0g", 2, raw, 1), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_hex_decode("001", 3, raw, 1), MF_ERR_FORMAT);

	mf_buf_init(&b, 1024);
	mf_b64_encode((const uint8_t *)"foobar", 6, &b);
	CHECK_EQ_STR(mf_buf_cstr(&b), "Zm9vYmFy");
	mf_buf_reset(&b);
	mf_b64_encode((const uint8_t *)"fo", 2, &b);
	CHECK_EQ_STR(mf_buf_cstr(&b), "Zm8=");
	mf_buf_reset(&b);
	CHECK_EQ_INT(mf_b64_decode("Zm9vYg==", 8, &b), 4);
	CHECK(b.len == 4 && memcmp(b.data, "foob", 4) == 0);
	mf_buf_reset(&b);
	CHECK_EQ_INT(mf_b64_decode("Zm9vYg", 6, &b), 4);     /* padding optional */
	mf_buf_reset(&b);
	CHECK_EQ_INT(mf_b64_decode("Zm9v!g==", 8, &b), MF_ERR_FORMAT);
	mf_buf_reset(&b);
	mf_escape_bytes((const uint8_t *)"a\\b\x01\xff", 5, 100, &b);
	CHECK_EQ_STR(mf_buf_cstr(&b), "a\\\\b\\x01\\xff");
	mf_buf_reset(&b);
	mf_escape_bytes((const uint8_t *)"abcdef", 6, 3, &b);
	CHECK_EQ_STR(mf_buf_cstr(&b), "abc...");
	mf_buf_reset(&b);
	/* UTF-8: valid sequences kept, stray bytes escaped */
	CHECK(mf_utf8_valid((const uint8_t *)"K\xc3\xbc" "che \xe6\x97\xa5", 10));
	CHECK(!mf_utf8_valid((const uint8_t *)"K\xfc" "che", 5));
	CHECK(!mf_utf8_valid((const uint8_t *)"\xc0\xaf", 2));          /* overlong */
	CHECK(!mf_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));      /* surrogate */
	CHECK(!mf_utf8_valid((const uint8_t *)"\xe6\x97", 2));          /* cut short */
	{
		/* a snprintf copy cut inside a character is cut back to a whole one */
		char c1[] = "ab\xe6\x97", c2[] = "ab\xe6\x97\xa5", c3[] = "\xf0\x9f\x98",
		    c4[] = "x\xc3", c5[] = "plain";

		mf_utf8_cut(c1);
		mf_utf8_cut(c2);
		mf_utf8_cut(c3);
		mf_utf8_cut(c4);
		mf_utf8_cut(c5);
		CHECK(!strcmp(c1, "ab"));
		CHECK(!strcmp(c2, "ab\xe6\x97\xa5"));
		CHECK(!strcmp(c3, ""));
		CHECK(!strcmp(c4, "x"));
		CHECK(!strcmp(c5, "plain"));
	}
	mf_utf8_escape((const uint8_t *)"K\xfc" "che\\ \xe6\x97\xa5\xe6", 11, &b);
	CHECK_EQ_STR(mf_buf_cstr(&b), "K\\xfcche\\\\ \xe6\x97\xa5\\xe6");
	mf_buf_free(&b);

	/* MD5("") and SHA-256("abc") known answers */
	mf_md5("", 0, d);
	mf_hex_encode(d, 16, hex);
	CHECK_EQ_STR(hex, "d41d8cd98f00b204e9800998ecf8427e");
	mf_sha256("abc", 3, d);
	mf_hex_encode(d, 32, hex);
	CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	{
		struct mf_sha256_ctx *h = mf_sha256_new();

		mf_sha256_update(h, "a", 1);
		mf_sha256_update(h, "bc", 2);
		mf_sha256_final_hex(h, hex);
		mf_sha256_free(h);
		CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	}
}

static void times(void)
{
	char t[32];
	int64_t ns;

	mf_time_iso(1617026674LL * MF_NS_PER_S, t);
	CHECK_EQ_STR(t, "2021-03-29T14:04:34.000Z");
	mf_time_iso(1617026674LL * MF_NS_PER_S + 123456789, t);
	CHECK_EQ_STR(t, "2021-03-29T14:04:34.123Z");
	mf_time_epoch(1617026674LL * MF_NS_PER_S + 123456789, t);
	CHECK_EQ_STR(t, "1617026674.123456");
	mf_time_iso(-1, t);                    /* 1 ns before the epoch */
	CHECK_EQ_STR(t, "1969-12-31T23:59:59.999Z");
	mf_time_iso(0x5f53ee9bLL * MF_NS_PER_S, t);   /* miio.md D1 stamp */
	CHECK_EQ_STR(t, "2020-09-05T20:01:31.000Z");
	mf_time_iso(951782400LL * MF_NS_PER_S, t);    /* leap day 2000 */
	CHECK_EQ_STR(t, "2000-02-29T00:00:00.000Z");
	CHECK_EQ_INT(mf_time_parse_iso("2021-03-29T14:04:34.5Z", &ns), 0);
	CHECK_EQ_INT(ns, 1617026674LL * MF_NS_PER_S + 500000000);
	CHECK_EQ_INT(mf_time_parse_iso("2021-03-29T16:04:34+02:00", &ns), 0);
	CHECK_EQ_INT(ns, 1617026674LL * MF_NS_PER_S);
	CHECK_EQ_INT(mf_time_parse_iso("2021-13-29T16:04:34Z", &ns), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_time_parse_iso("2021-03-29", &ns), MF_ERR_FORMAT);
}

/* Every line written is valid JSON in UTF-8, whatever bytes the wire held. */
static void event_utf8(void)
{
	struct mf_event *ev = mf_event_new(0, "pcap", "miio", "response");
	struct mf_buf b;
	cJSON *v = cJSON_CreateObject();

	cJSON_AddStringToObject(v, "name", "K\xfc" "che");
	cJSON_AddStringToObject(v, "ok", "\xe6\x97\xa5");
	cJSON_AddStringToObject(v, "caf\xe9", "x");
	mf_event_add(ev, "value", v);
	mf_buf_init(&b, 1 << 16);
	CHECK_EQ_INT(mf_event_to_json(ev, &b), 0);
	CHECK(mf_utf8_valid(b.data, b.len));
	CHECK(strstr(mf_buf_cstr(&b),
	    "\"value\":{\"name\":\"K\\\\xfcche\",\"ok\":\"\xe6\x97\xa5\",\"caf\\\\xe9\":\"x\"}") != NULL ||
	    !fprintf(stderr, "  got %s\n", mf_buf_cstr(&b)));
	mf_buf_free(&b);
	mf_event_free(ev);
}

int main(void)
{
	event_utf8();
	cursor();
	buffer();
	codecs();
	times();
	return TEST_DONE();
}
