/*
 * The miIO decoder against the published vectors of miio.md (sections 3,
 * 4, 6): every frame decrypts exactly, the negative vectors each raise their
 * own anomaly, request/response pairing, token learning, and the encoder
 * round trip (P1 re-encrypted reproduces P1 byte for byte).
 */
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_miio.h"
#include "mf_miio_held.h"
#include "mf_tokens.h"
#include "mf_test.h"

#define MAXEV 64

static struct mf_event *evs[MAXEV];
static int nev;

static int sink(void *arg, struct mf_event *ev)
{
	(void)arg;
	if (nev < MAXEV)
		evs[nev++] = ev;
	else
		mf_event_free(ev);
	return 0;
}

static void clear(void)
{
	int i;

	for (i = 0; i < nev; i++)
		mf_event_free(evs[i]);
	nev = 0;
}

static const char *str(const struct mf_event *ev, const char *path)
{
	const cJSON *o = ev->body;
	char key[64];
	const char *p = path, *dot;

	while ((dot = strchr(p, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		p = dot + 1;
	}
	o = cJSON_GetObjectItemCaseSensitive(o, p);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static double num(const struct mf_event *ev, const char *path)
{
	const cJSON *o = ev->body;
	char key[64];
	const char *p = path, *dot;

	while ((dot = strchr(p, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - p), p);
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		p = dot + 1;
	}
	o = cJSON_GetObjectItemCaseSensitive(o, p);
	if (cJSON_IsNumber(o))
		return o->valuedouble;
	if (cJSON_IsRaw(o))
		return strtod(o->valuestring, NULL);
	return -1;
}

static char *json_of(const cJSON *v)
{
	static char buf[1024];
	char *p = cJSON_PrintUnformatted(v);

	snprintf(buf, sizeof(buf), "%s", p ? p : "(null)");
	free(p);
	return buf;
}

struct rig {
	struct mf_ctx ctx;
	void *st;
	struct mf_input in;
	uint64_t frame_no;
};

static void rig_init(struct rig *r)
{
	mf_ctx_init(&r->ctx);
	r->ctx.emit = sink;
	r->ctx.tokens = mf_tokens_new();
	r->st = mf_proto_miio.state_new(&r->ctx);
	memset(&r->in, 0, sizeof(r->in));
	r->in.name = "vectors";
	r->in.source = "pcap";
	r->frame_no = 0;
}

static void rig_free(struct rig *r)
{
	mf_proto_miio.tick(r->st, &r->ctx, INT64_MAX, 1);
	mf_proto_miio.state_free(r->st);
	mf_tokens_free(r->ctx.tokens);
	clear();
}

/* End of capture: pending requests settle, held lines come out. */
static void flush(struct rig *r)
{
	mf_proto_miio.tick(r->st, &r->ctx, INT64_MAX / 2, 1);
}

static const uint8_t dev[4] = { 192, 0, 2, 10 }, cli[4] = { 192, 0, 2, 1 };

/* Feeds one hex frame from src:sport to dst:dport. */
static void feed_at(struct rig *r, const char *hex, const uint8_t src[4], uint16_t sport,
                    const uint8_t dst[4], uint16_t dport, int64_t ts)
{
	static uint8_t buf[2048];
	size_t n = strlen(hex) / 2;
	struct mf_frame f;
	struct mf_pkt p;

	CHECK_EQ_INT(mf_hex_decode(hex, n * 2, buf, n), 0);
	memset(&f, 0, sizeof(f));
	f.data = buf;
	f.caplen = f.wirelen = (uint32_t)n;
	f.ts_ns = ts;
	f.number = ++r->frame_no;
	f.input = &r->in;
	memset(&p, 0, sizeof(p));
	p.frame = &f;
	p.ipver = 4;
	p.addr_len = 4;
	memcpy(p.src, src, 4);
	memcpy(p.dst, dst, 4);
	p.sport = sport;
	p.dport = dport;
	p.ipproto = 17;
	p.payload = buf;
	p.len = n;
	p.claimed_len = n;
	CHECK_EQ_INT(mf_proto_miio.decode(r->st, &r->ctx, &p), 0);
}

/* Feeds one hex frame; to_device selects the direction. */
static void feed(struct rig *r, const char *hex, int to_device, int64_t ts)
{
	if (to_device)
		feed_at(r, hex, cli, 50000, dev, 54321, ts);
	else
		feed_at(r, hex, dev, 54321, cli, 50000, ts);
}

#define T0 1600000000000000000LL
#define S 1000000000LL

static const char *eip[] = {
	"2131005000000000047bd1b55f53ee9bf0a2b109a80c902f0b55e5250e58f2cc95b21c4012d699586153e51f42d68c2ccdbb07b14326761acbe820ce8786ff4da71ff844841f7aee0c2b10c844b45245",
	"2131009000000000047bd1b5002feede54a30263b7b2015db6bdc3e7d5bf6853b952275b1e1fd9ed283c5ad34120d6982ccee490f5774502ee2833ecf7c8c178c01cb9250ee22edc72296cb393a9815dcb4c69e968271a25004626ead4c7abdd0332ddbccc48749ff1ddfe765439a06f6084ebdcca2ae9caeb2e755daaa5f3161cee3147f75a0f6ba4a127f89eb75eaa",
	"2131005000000000047bd1b5002feedece53f7b9e63ae50c3fc22fac87cc3ee7053510f79d4e36f4ff504d8da4391c467b067c3d5a777aca3ed402f9009821176bc6bffeb40994d5e6889e48836d54a6",
	"2131006000000000047bd1b5002feee7106d8a634882f4bafc8b8a2681b8314eae1c63b7536cc3329f54668849a278897790b94fe65f5effc0d332eb2f10e4e709ce88217b477bc9b56afaf48e9dd38e9c1f77ed444ae71e96c03a88a151a8c5",
	"2131004000000000047bd1b5002feee7e3697b20842094f6132854dcde69f3059115aa3c9b13ca32129ce4b02b2dbdd9ab107a52bde2821fd7a642ad47598527",
	"2131006000000000047bd1b5002feeecd526f789bd5f6309d54da10e150e583470dade107aea785a733025d970048d018f50166b851b22edcfae5bb8e8994b3e1f7f6799d4667efef67ab371a4fbbe6b5e1fa2252a605da3e82b2e4693ca2c0f",
	"2131004000000000047bd1b5002feeec77c05d0bfa755624dc61d65b5a7de7fe9115aa3c9b13ca32129ce4b02b2dbdd93c71b6cb99f0a2e9a12e2558124ba9d0",
	"2131008000000000047bd1b5002feeefc15580d0ce026d1ca125662ae96e50d508c5bcac739f16daa9b251e7c114318f2255ba8d655f6bf57a841b028797229bdce38a9b27756ec1bc4624c0066fd6f3453d0484e88aad434d44a2278b1e3b125a1653c55f816eed9758be3bdb16a39f05c5a6b3cb19e57cbf2c7cea804123f2",
	"2131005000000000047bd1b5002feeef12500f47c724baaf8e7600bffd837701053510f79d4e36f4ff504d8da4391c4620051270d7c1fb142f1bd3968a92997c2717c809fb1605db6db2a9227b49bde3",
	"2131009000000000047bd1b5002feef3aad3c9950d72802aba392cf27f40245d91c188c2e3657a17374b5befc36b9f59dd6e1dc0493abd2046ee0ad26bac0443e21af255927d332075a4e92582f96132a475b877e1ab5f1d5139afd9fd8a4f3d4029cce8ed80911577fae0cbe55c9ac95c007ec9097f5b63190375f4b0433893e5a85d4d7674ab3b4420cb344816e533",
	"2131005000000000047bd1b5002feef4ebce1f825f30f4c8e0e5c6e06122f908053510f79d4e36f4ff504d8da4391c466d7b9560e6b73c7d21f14a8e36e4b31fe0b865fa91b4818a2a1264932896bf17",
};

static const char *plain[] = {
	"{\"method\":\"miIO.info\",\"params\":[],\"id\":1}",
	"{\"id\":1,\"method\":\"get_prop\",\"params\":[\"power\",\"usb_state\",\"aqi\",\"battery\",\"time_state\",\"night_state\"]}",
	"{\"result\":[\"on\",\"on\",4,100,\"off\",\"on\"],\"id\":1}",
	"{\"id\":2,\"method\":\"set_time_state\",\"params\":[\"on\"]}",
	"{\"result\":[\"ok\"],\"id\":2}",
	"{\"id\":3,\"method\":\"set_time_state\",\"params\":[\"off\"]}",
	"{\"result\":[\"ok\"],\"id\":3}",
	"{\"id\":4,\"method\":\"get_prop\",\"params\":[\"night_state\",\"night_beg_time\",\"night_end_time\"]}",
	"{\"result\":[\"on\",72000,32400],\"id\":4}",
	"{\"id\":5,\"method\":\"get_prop\",\"params\":[\"power\",\"usb_state\",\"aqi\",\"battery\",\"time_state\",\"night_state\"]}",
	"{\"result\":[\"on\",\"on\",3,100,\"off\",\"on\"],\"id\":5}",
};
static const int pads[] = { 7, 10, 2, 14, 8, 13, 8, 9, 12, 10, 2 };

static void eip_vectors(void)
{
	struct rig r;
	uint8_t tok[16];
	int i;

	rig_init(&r);
	mf_hex_decode("9c3b2d1da5beceee2808a3d3653b485d", 32, tok, 16);
	mf_tokens_add(r.ctx.tokens, tok, "75223477", "tokens.txt:1", MF_TOK_HEX32, NULL);
	for (i = 0; i < 11; i++)
		feed(&r, eip[i], i == 0 || i % 2 == 1, T0 + i * S);
	/* D1 (miIO.info) waits for an answer that never comes; the lines after
	 * it do not wait for it (each request only for its own answer) */
	CHECK_EQ_INT(nev, 10);
	mf_proto_miio.tick(r.st, &r.ctx, T0 + 100 * S, 1);
	CHECK_EQ_INT(nev, 12);
	/* D1 comes out when it is settled (by the end of the capture): move it
	 * first again, so that evs[i] is plain[i] */
	if (nev == 12) {
		struct mf_event *d1 = evs[10];

		memmove(evs + 1, evs, 10 * sizeof(*evs));
		evs[0] = d1;
	}
	for (i = 0; i < 11 && i < nev; i++) {
		cJSON *want = cJSON_Parse(plain[i]);

		CHECK_EQ_STR(str(evs[i], "did"), "75223477");
		CHECK_EQ_STR(str(evs[i], "miio.checksum"), "valid");
		CHECK_EQ_INT(num(evs[i], "miio.padding"), pads[i]);
		CHECK_EQ_STR(json_of(cJSON_GetObjectItemCaseSensitive(evs[i]->body, "raw")),
		    json_of(want));
		CHECK_EQ_STR(str(evs[i], "miio.token_origin"), "tokens.txt:1");
		CHECK_EQ_STR(evs[i]->kind, (i == 0 || i % 2 == 1) ? "command" : "response");
		cJSON_Delete(want);
	}
	CHECK_EQ_STR(str(evs[0], "event"), "miIO.info");
	CHECK_EQ_STR(str(evs[0], "miio.stamp_kind"), "unix");
	CHECK_EQ_STR(str(evs[0], "miio.stamp_time"), "2020-09-05T20:01:31.000Z");
	CHECK_EQ_STR(str(evs[1], "miio.stamp_kind"), "uptime");
	CHECK_EQ_INT(num(evs[1], "miio.stamp"), 3141342);
	/* P2 answers P1 (id 1 is also D1's: the newest matching request wins) */
	CHECK_EQ_STR(str(evs[2], "event"), "get_prop");
	CHECK_EQ_INT(num(evs[2], "miio.request_frame"), 2);
	CHECK_EQ_INT(num(evs[2], "miio.rtt_ms"), 1000);
	CHECK_EQ_STR(json_of(cJSON_GetObjectItemCaseSensitive(evs[2]->body, "value")),
	    "[\"on\",\"on\",4,100,\"off\",\"on\"]");
	CHECK_EQ_STR(str(evs[4], "event"), "set_time_state");
	CHECK_EQ_STR(str(evs[2], "miio.direction"), "from_device");
	CHECK_EQ_STR(str(evs[1], "miio.direction"), "to_device");
	/* requests say which frame answered them */
	CHECK_EQ_INT(num(evs[1], "miio.response_frame"), 3);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(evs[1]->body, "miio"), "answered")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(evs[0]->body, "miio"), "answered")));
	/* D1 (miIO.info) was never answered */
	if (nev == 12) {
		CHECK_EQ_STR(evs[11]->kind, "anomaly");
		CHECK_EQ_STR(str(evs[11], "reason"), "unanswered");
		CHECK_EQ_STR(str(evs[11], "event"), "miIO.info");
		CHECK_EQ_INT(num(evs[11], "miio.request_frame"), 1);
	}
	rig_free(&r);
}

static void encoder_roundtrip(void)
{
	struct mf_tokens *t = mf_tokens_new();
	uint8_t tok[16], frame[144], want[144], pt[112], md[16], tmp[144];
	size_t n = strlen(plain[1]), pad = 112 - n;

	mf_hex_decode("9c3b2d1da5beceee2808a3d3653b485d", 32, tok, 16);
	mf_tokens_add(t, tok, NULL, "t", MF_TOK_HEX32, NULL);
	mf_hex_decode(eip[1], 288, want, 144);
	memcpy(pt, plain[1], n);
	memset(pt + n, (int)pad, pad);
	memcpy(frame, want, 16);                 /* header: magic, len, did, stamp */
	CHECK_EQ_INT(mf_tokens_encrypt(t, 0, pt, 112, frame + 32), 0);
	memcpy(tmp, frame, 16);
	memcpy(tmp + 16, tok, 16);
	memcpy(tmp + 32, frame + 32, 112);
	mf_md5(tmp, 144, md);
	memcpy(frame + 16, md, 16);
	CHECK_MEM(frame, want, 144);
	mf_tokens_free(t);
}

static void synthetic_and_negative(void)
{
	struct rig r;
	uint8_t tok[16];

	rig_init(&r);
	mf_hex_decode("00112233445566778899aabbccddeeff", 32, tok, 16);
	mf_tokens_add(r.ctx.tokens, tok, NULL, "--token", MF_TOK_HEX32, NULL);
	/* "Sample Packet": a valid frame whose plaintext is not JSON */
	feed(&r, "21310040000000000011223300061e39b0cbb8837ed9a65a70165f2b7b4102722b487e7eed802b7df35c224caab8d216e43262c38b9cc073782c148668387d9e", 1, T0);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(str(evs[0], "reason"), "json_unparsable");
	CHECK(strstr(str(evs[0], "detail"), "123456789@ABCDEFGHI") != NULL);
	CHECK_EQ_STR(str(evs[0], "did"), "1122867");
	clear();
	/* JS codec vector: JSON + NUL, a whole block of padding; found by trial */
	feed(&r, "21310060000000000001e2406553f100f377ed8d1d79ac3f690f336b80b05a00bd6a2ee30f2a04a15abd54fee183e08783e8d9106f7f0105e5f301d0562da617999f41033b4dd710a0b199fc64159dcd4fd9ec1bbd03994b6f0a9cc35fdafd72", 1, T0);
	flush(&r);
	CHECK_EQ_INT(nev, 2);   /* the request, then its unanswered anomaly */
	CHECK_EQ_STR(evs[0]->kind, "command");
	CHECK_EQ_STR(str(evs[0], "event"), "get_properties");
	CHECK_EQ_STR(str(evs[0], "did"), "123456");
	CHECK_EQ_INT(num(evs[0], "miio.padding"), 16);
	CHECK_EQ_STR(json_of(cJSON_GetObjectItemCaseSensitive(evs[0]->body, "miio")
	    ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(evs[0]->body,
	    "miio"), "quirks") : NULL), "[\"trailing_nul\"]");
	CHECK_EQ_STR(str(evs[0], "miio.token_origin"), "--token");
	clear();
	/* the four negative vectors, with the token now bound to their DID */
	mf_tokens_add(r.ctx.tokens, tok, "0x00112233", "bound", MF_TOK_HEX32, NULL);
	feed(&r, "22310033000000000011223300061e390000000000000000000000000000000031323334353637383940414243444546474849", 1, T0);
	feed(&r, "21310032000000000011223300061e390000000000000000000000000000000031323334353637383940414243444546474849", 1, T0);
	feed(&r, "21310033000000000011223300061e3900749e5336e40d00b92fe648d67cef1031323334353637383940414243444546474849", 1, T0);
	feed(&r, "2131003f000000000011223300061e3996cf4e5b0b47cbe29244b3f4b899bbe32b487e7eed802b7df35c224caab8d216e43262c38b9cc073782c148668387d", 1, T0);
	CHECK_EQ_INT(nev, 4);
	if (nev == 4) {
		CHECK_EQ_STR(str(evs[0], "reason"), "bad_magic");
		CHECK_EQ_STR(str(evs[1], "reason"), "length_mismatch");
		CHECK_EQ_STR(str(evs[2], "reason"), "checksum_mismatch");
		CHECK_EQ_STR(str(evs[3], "reason"), "payload_not_block_aligned");
		CHECK(strstr(str(evs[3], "detail"), "checksum valid") != NULL);
	}
	clear();
	/* a block-aligned frame with a wrong checksum and a bound token */
	mf_tokens_add(r.ctx.tokens, tok, "0x047bd1b5", "bound", MF_TOK_HEX32, NULL);
	feed(&r, eip[2], 0, T0);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(str(evs[0], "reason"), "checksum_mismatch");
	clear();
	rig_free(&r);
}

static void hellos(void)
{
	struct rig r;

	rig_init(&r);
	feed(&r, "21310020ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1, T0);
	feed(&r, "21310020000000000011223300061e3900000000000000000000000000000000", 0, T0);
	feed(&r, "21310020000000000011223300061e3900112233445566778899aabbccddeeff", 0, T0);
	feed(&r, "21310020ffffffffffffffffffffffffbdffffffffffffffffffffffffffffff", 1, T0);
	CHECK_EQ_INT(nev, 5);
	if (nev == 5) {
		CHECK_EQ_STR(evs[0]->kind, "handshake");
		CHECK_EQ_STR(evs[0]->protocol, "miio-hello");
		CHECK_EQ_STR(str(evs[0], "miio.type"), "hello");
		CHECK_EQ_STR(str(evs[1], "miio.type"), "hello_reply");
		CHECK(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(evs[1]->body, "miio"), "token_revealed")));
		CHECK_EQ_STR(str(evs[1], "did"), "1122867");
		CHECK_EQ_STR(str(evs[2], "miio.type"), "hello_reply");
		CHECK_EQ_STR(evs[3]->kind, "token");
		CHECK_EQ_STR(str(evs[3], "token"), "0011…[redacted:32]");
		CHECK_EQ_STR(str(evs[3], "miio.found_in"), "hello reply");
		CHECK_EQ_STR(evs[4]->kind, "anomaly");
		CHECK_EQ_STR(str(evs[4], "reason"), "invalid_hello");
	}
	clear();
	/* the leaked token now decrypts that device's traffic */
	CHECK_EQ_INT(mf_tokens_find_did(r.ctx.tokens, 0x00112233), 0);
	feed(&r, "21310040000000000011223300061e39b0cbb8837ed9a65a70165f2b7b4102722b487e7eed802b7df35c224caab8d216e43262c38b9cc073782c148668387d9e", 1, T0);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(str(evs[0], "reason"), "json_unparsable");   /* decrypted: not no_token */
	rig_free(&r);
}


static uint32_t build_hi;   /* bytes 4..7: the upper half of a 64-bit device id */

/* Builds a valid frame for token index ti of r's store around plaintext
 * (PKCS#7 added unless raw_pad), returns its hex in a static buffer. */
static const char *build(struct rig *r, size_t ti, uint32_t did, uint32_t stamp,
                         const char *json, int bad_pad)
{
	static char hex[4200];
	uint8_t fr[2048], md[16];
	size_t n = strlen(json), padded = (n / 16 + 1) * 16, i;
	const struct mf_token *tk = mf_tokens_get(r->ctx.tokens, ti);

	memset(fr, 0, 32);
	fr[0] = 0x21;
	fr[1] = 0x31;
	fr[2] = (uint8_t)((32 + padded) >> 8);
	fr[3] = (uint8_t)(32 + padded);
	fr[4] = (uint8_t)(build_hi >> 24); fr[5] = (uint8_t)(build_hi >> 16);
	fr[6] = (uint8_t)(build_hi >> 8); fr[7] = (uint8_t)build_hi;
	fr[8] = (uint8_t)(did >> 24); fr[9] = (uint8_t)(did >> 16);
	fr[10] = (uint8_t)(did >> 8); fr[11] = (uint8_t)did;
	fr[12] = (uint8_t)(stamp >> 24); fr[13] = (uint8_t)(stamp >> 16);
	fr[14] = (uint8_t)(stamp >> 8); fr[15] = (uint8_t)stamp;
	memcpy(fr + 32, json, n);
	for (i = n; i < padded; i++)
		fr[32 + i] = (uint8_t)(padded - n);
	if (bad_pad)
		fr[32 + padded - 1] = 0x42;
	mf_tokens_encrypt(r->ctx.tokens, ti, fr + 32, padded, fr + 32);
	memcpy(fr + 16, tk->token, 16);
	mf_md5(fr, 32 + padded, md);
	memcpy(fr + 16, md, 16);
	mf_hex_encode(fr, 32 + padded, hex);
	return hex;
}

static int find_reason(const char *reason)
{
	int i, k = 0;

	for (i = 0; i < nev; i++)
		if (str(evs[i], "reason") && strcmp(str(evs[i], "reason"), reason) == 0)
			k++;
	return k;
}

static void pairing_and_findings(void)
{
	struct rig r;
	uint8_t tok[16];
	const uint32_t did = 0x0001e240;

	rig_init(&r);
	mf_hex_decode("00112233445566778899aabbccddeeff", 32, tok, 16);
	mf_tokens_add(r.ctx.tokens, tok, "123456", "tokens.txt:1", MF_TOK_HEX32, NULL);
	feed(&r, build(&r, 0, did, 100, "{\"id\":7,\"method\":\"set_power\",\"params\":[\"on\"]}", 0), 1, T0);
	feed(&r, build(&r, 0, did, 101, "{\"id\":7,\"method\":\"set_power\",\"params\":[\"on\"]}", 0), 1, T0 + S);
	feed(&r, build(&r, 0, did, 102, "{\"id\":7,\"result\":[\"ok\"]}", 0), 0, T0 + S + S / 10);
	feed(&r, build(&r, 0, did, 102, "{\"id\":7,\"result\":[\"ok\"]}", 0), 0, T0 + S + S / 5);
	CHECK_EQ_INT(nev, 5);
	if (nev == 5) {
		CHECK_EQ_INT(num(evs[1], "miio.retransmit_of"), 1);
		CHECK_EQ_INT(num(evs[2], "miio.request_frame"), 2);
		CHECK_EQ_INT(num(evs[2], "miio.rtt_ms"), 100);
		CHECK_EQ_STR(str(evs[2], "event"), "set_power");
		CHECK_EQ_STR(str(evs[4], "reason"), "duplicate_response");
	}
	clear();
	/* an unanswered request is reported once its 5 s have passed */
	feed(&r, build(&r, 0, did, 110, "{\"id\":8,\"method\":\"get_prop\",\"params\":[\"power\"]}", 0), 1, T0 + 10 * S);
	mf_proto_miio.tick(r.st, &r.ctx, T0 + 12 * S, 0);
	CHECK_EQ_INT(find_reason("unanswered"), 0);
	mf_proto_miio.tick(r.st, &r.ctx, T0 + 16 * S, 0);
	CHECK_EQ_INT(find_reason("unanswered"), 1);
	clear();
	/* device pushes */
	feed(&r, build(&r, 0, did, 120, "{\"id\":9,\"method\":\"properties_changed\",\"params\":[{\"did\":\"123456\",\"siid\":2,\"piid\":1,\"value\":true}]}", 0), 0, T0 + 20 * S);
	feed(&r, build(&r, 0, did, 121, "{\"id\":10,\"method\":\"event_occured\",\"params\":{\"did\":\"123456\",\"siid\":3,\"eiid\":1,\"arguments\":[]}}", 0), 0, T0 + 21 * S);
	feed(&r, build(&r, 0, did, 122, "{\"id\":11,\"method\":\"props\",\"params\":{\"device_log\":\"[12629,[\\\"event.motion\\\",[]]]\"}}", 0), 0, T0 + 22 * S);
	flush(&r);   /* pushes wait for an acknowledgement; none is an anomaly */
	CHECK_EQ_INT(nev, 3);
	if (nev == 3) {
		CHECK_EQ_STR(evs[0]->kind, "property");
		CHECK_EQ_STR(evs[1]->kind, "device_event");
		CHECK_EQ_STR(evs[2]->kind, "device_event");
		/* nested JSON strings are expanded in value, kept verbatim in raw */
		CHECK_EQ_STR(json_of(cJSON_GetObjectItemCaseSensitive(evs[2]->body, "value")),
		    "{\"device_log\":[12629,[\"event.motion\",[]]]}");
	}
	clear();
	/* a gateway uplink about a Zigbee child is the child's event */
	feed(&r, build(&r, 0, did, 123, "{\"id\":480,\"sid\":\"lumi.158d00036ce62c\",\"model\":\"lumi.sensor_motion.v2\",\"method\":\"props\",\"params\":{\"device_log\":\"[1617026674,[\\\"event.motion\\\",[]]]\"}}", 0), 0, T0 + 23 * S);
	flush(&r);
	CHECK_EQ_INT(nev, 1);
	if (nev == 1) {
		CHECK_EQ_STR(evs[0]->kind, "device_event");
		CHECK_EQ_STR(str(evs[0], "did"), "lumi.158d00036ce62c");
		CHECK_EQ_STR(str(evs[0], "gateway_did"), "123456");
		CHECK_EQ_STR(str(evs[0], "model"), "lumi.sensor_motion.v2");
		CHECK_EQ_STR(str(evs[0], "event"), "event.motion");
		CHECK_EQ_INT(num(evs[0], "miio.device_log_time"), 1617026674);
	}
	clear();
	/* secrets: Wi-Fi password and the Lumi LAN key are redacted */
	feed(&r, build(&r, 0, did, 130, "{\"id\":12,\"method\":\"miIO.config_router\",\"params\":{\"ssid\":\"home\",\"passwd\":\"hunter22\",\"uid\":1234}}", 0), 1, T0 + 30 * S);
	feed(&r, build(&r, 0, did, 131, "{\"id\":13,\"method\":\"get_lumi_dpf_aes_key\",\"params\":[]}", 0), 1, T0 + 31 * S);
	feed(&r, build(&r, 0, did, 131, "{\"id\":13,\"result\":[\"0987654321qwerty\"]}", 0), 0, T0 + 31 * S);
	flush(&r);
	CHECK_EQ_INT(nev, 4);   /* config_router was never answered */
	CHECK_EQ_STR(r.ctx.lumi_password, "0987654321qwerty");
	/* get_lumi_dpf_aes_key and its answer come out first; config_router
	 * once it is settled, at the end */
	if (nev == 4) {
		CHECK_EQ_STR(str(evs[0], "event"), "get_lumi_dpf_aes_key");
		CHECK_EQ_STR(str(evs[2], "event"), "miIO.config_router");
		CHECK_EQ_STR(str(evs[3], "reason"), "unanswered");
	}
	if (nev == 4) {
		char *line;
		struct mf_buf b;

		mf_buf_init(&b, 1 << 20);
		mf_event_to_json(evs[2], &b);
		line = (char *)mf_buf_cstr(&b);
		CHECK(strstr(line, "hunter22") == NULL);
		CHECK(strstr(line, "\"ssid\":\"home\"") != NULL);
		mf_buf_reset(&b);
		mf_event_to_json(evs[1], &b);
		line = (char *)mf_buf_cstr(&b);
		CHECK(strstr(line, "0987654321qwerty") == NULL);
		mf_buf_free(&b);
	}
	clear();
	/* miIO.info reveals a (new) token: learned and reported */
	feed(&r, build(&r, 0, did, 140, "{\"id\":14,\"method\":\"miIO.info\",\"params\":[]}", 0), 1, T0 + 40 * S);
	feed(&r, build(&r, 0, did, 140, "{\"id\":14,\"result\":{\"model\":\"chuangmi.plug.m1\",\"token\":\"ffeeddccbbaa99887766554433221100\"}}", 0), 0, T0 + 40 * S);
	CHECK_EQ_INT(nev, 3);
	if (nev == 3) {
		CHECK_EQ_STR(evs[2]->kind, "token");
		CHECK_EQ_STR(str(evs[2], "miio.found_in"), "miIO.info reply");
		CHECK(strstr(json_of(evs[1]->body), "ffeeddcc") == NULL);
	}
	CHECK_EQ_INT(mf_tokens_count(r.ctx.tokens), 2);
	clear();
	/* valid checksum, broken padding: a finding, plaintext shown */
	feed(&r, build(&r, 0, did, 150, "{\"id\":15,\"method\":\"x\"}", 1), 1, T0 + 50 * S);
	CHECK_EQ_INT(find_reason("bad_padding"), 1);
	clear();
	rig_free(&r);
}

/* Requests a device sends (cloud uplinks on 8053, LAN pushes to a
 * subscriber) are answered by the other side: the answer names the request. */
static void device_requests_answered(void)
{
	struct rig r;
	uint8_t tok[16];
	const uint32_t did = 0x0001e240;
	static const uint8_t ot[4] = { 192, 0, 2, 200 };

	rig_init(&r);
	memcpy(tok, "AbCdEfGh12345678", 16);         /* a cloud key: 16 ASCII bytes */
	mf_tokens_add(r.ctx.tokens, tok, "123456", "tokens.txt:1", MF_TOK_ASCII16, NULL);
	feed_at(&r, build(&r, 0, did, 400, "{\"id\":100,\"method\":\"_otc.info\",\"params\":{\"model\":\"chuangmi.plug.m1\"}}", 0),
	    dev, 40000, ot, 8053, T0);
	feed_at(&r, build(&r, 0, did, 1600000000, "{\"id\":100,\"result\":{\"otc_list\":[]}}", 0),
	    ot, 8053, dev, 40000, T0 + S / 10);
	feed_at(&r, build(&r, 0, did, 401, "{\"id\":101,\"method\":\"event.motion\",\"sid\":\"lumi.158d00036ce62c\",\"params\":[]}", 0),
	    dev, 40000, ot, 8053, T0 + S);
	feed_at(&r, build(&r, 0, did, 1600000001, "{\"id\":101,\"result\":\"ok\"}", 0),
	    ot, 8053, dev, 40000, T0 + S + S / 10);
	/* LAN: a push to a subscriber, acknowledged */
	feed_at(&r, build(&r, 0, did, 402, "{\"id\":102,\"method\":\"properties_changed\",\"params\":[{\"siid\":2,\"piid\":1,\"value\":true}]}", 0),
	    dev, 54321, cli, 54322, T0 + 2 * S);
	feed_at(&r, build(&r, 0, did, 402, "{\"id\":102,\"result\":0}", 0),
	    cli, 54322, dev, 54321, T0 + 2 * S + S / 10);
	flush(&r);
	CHECK_EQ_INT(nev, 6);
	if (nev == 6) {
		CHECK_EQ_STR(evs[0]->kind, "device_event");
		CHECK_EQ_STR(str(evs[0], "miio.direction"), "from_device");
		CHECK_EQ_INT(num(evs[0], "miio.response_frame"), 2);
		CHECK_EQ_STR(evs[1]->kind, "response");
		CHECK_EQ_STR(str(evs[1], "event"), "_otc.info");
		CHECK_EQ_STR(str(evs[1], "miio.direction"), "to_device");
		CHECK_EQ_INT(num(evs[1], "miio.request_frame"), 1);
		CHECK_EQ_STR(str(evs[2], "did"), "lumi.158d00036ce62c");
		CHECK_EQ_INT(num(evs[2], "miio.response_frame"), 4);
		CHECK_EQ_STR(str(evs[3], "event"), "event.motion");
		CHECK_EQ_STR(str(evs[3], "did"), "123456");
		CHECK_EQ_STR(evs[4]->kind, "property");
		CHECK_EQ_INT(num(evs[4], "miio.response_frame"), 6);
		CHECK_EQ_STR(str(evs[5], "event"), "properties_changed");
		CHECK_EQ_INT(num(evs[5], "miio.request_frame"), 5);
	}
	CHECK_EQ_INT(find_reason("duplicate_response"), 0);
	rig_free(&r);
}

/* 32-byte frames of the cloud link (sections 3, 8, 11): hellos, a long
 * client hello with a tail, keep-alives and a stamp-0 time-sync request. */
static void cloud_link_hellos(void)
{
	struct rig r;
	static const uint8_t ot[4] = { 192, 0, 2, 200 };

	rig_init(&r);
	feed_at(&r, "21310020ffffffffffffffff0000000000000000000000000000000000000000",
	    dev, 40000, ot, 8053, T0);
	feed_at(&r, "21310020ffffffffffffffff5f5e100000000000000000000000000000000000",
	    ot, 8053, dev, 40000, T0);
	feed_at(&r, "21310030ffffffffffffffff00000000000000000000000000000000000000000102030405060708090a0b0c0d0e0f10",
	    dev, 40000, ot, 8053, T0);
	feed_at(&r, "2131002000000000000123450000000000000000000000000000000000000000",
	    dev, 40000, ot, 8053, T0);
	feed_at(&r, "2131002000000000000123450000019000000000000000000000000000000000",
	    dev, 40000, ot, 8053, T0);
	feed_at(&r, "2131002000000000000123450000019000000000000000000000000000000000",
	    ot, 8053, dev, 40000, T0);
	CHECK_EQ_INT(nev, 6);
	if (nev == 6) {
		CHECK_EQ_STR(str(evs[0], "miio.type"), "cloud_client_hello");
		CHECK_EQ_STR(str(evs[0], "miio.direction"), "from_device");
		CHECK_EQ_STR(str(evs[1], "miio.type"), "cloud_server_hello");
		CHECK_EQ_STR(str(evs[1], "miio.direction"), "to_device");
		CHECK_EQ_STR(evs[2]->kind, "handshake");
		CHECK_EQ_STR(str(evs[2], "miio.type"), "cloud_client_hello");
		CHECK_EQ_INT(num(evs[2], "miio.tail_bytes"), 16);
		CHECK_EQ_STR(str(evs[2], "miio.tail"), "0102030405060708090a0b0c0d0e0f10");
		CHECK_EQ_STR(str(evs[3], "miio.type"), "time_sync");
		CHECK_EQ_STR(str(evs[3], "did"), "74565");
		CHECK_EQ_STR(str(evs[4], "miio.type"), "keepalive");
		CHECK_EQ_STR(str(evs[4], "miio.direction"), "from_device");
		CHECK_EQ_STR(str(evs[5], "miio.type"), "keepalive");
		CHECK_EQ_STR(str(evs[5], "miio.direction"), "to_device");
	}
	CHECK_EQ_INT(find_reason("no_token"), 0);
	rig_free(&r);
}

/* A device id above 2^32 bound in the tokens file: the token is found by
 * that binding (not by trial), whether bytes 4..7 carry the upper half. */
static void did64_binding(void)
{
	struct rig r;
	uint8_t tok[16], other[16];
	const uint64_t did = 5366837442ULL;

	rig_init(&r);
	memset(other, 0x5a, 16);
	mf_tokens_add(r.ctx.tokens, other, NULL, "--token", MF_TOK_HEX32, NULL);
	mf_hex_decode("00112233445566778899aabbccddeeff", 32, tok, 16);
	CHECK_EQ_INT(mf_tokens_add(r.ctx.tokens, tok, "5366837442", "tokens.txt:1", MF_TOK_HEX32,
	    NULL), 1);
	build_hi = (uint32_t)(did >> 32);
	feed(&r, build(&r, 1, (uint32_t)did, 100, "{\"id\":1,\"method\":\"get_prop\",\"params\":[]}", 0),
	    1, T0);
	build_hi = 0;
	feed(&r, build(&r, 1, (uint32_t)did, 101, "{\"id\":2,\"method\":\"get_prop\",\"params\":[]}", 0),
	    1, T0);
	flush(&r);
	CHECK_EQ_INT(nev, 4);   /* two requests, never answered */
	if (nev == 4) {
		CHECK_EQ_STR(str(evs[0], "miio.token_origin"), "tokens.txt:1");
		CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(evs[0]->body,
		    "miio"), "token_by_trial") == NULL);
		CHECK_EQ_INT(num(evs[0], "miio.did64"), (double)did);
		/* the first request's line, then its unanswered anomaly */
		CHECK_EQ_STR(str(evs[1], "reason"), "unanswered");
		CHECK_EQ_STR(str(evs[2], "miio.token_origin"), "tokens.txt:1");
	}
	rig_free(&r);
}

/* One device, two keys: a miss on one must not hide the other.  The LAN
 * token is unknown, the cloud key (--token, unbound) opens the device's
 * frames on UDP 8053 after its LAN frames missed; and a reset device whose
 * frames with the old token miss is opened again by its new, bound token. */
static void one_device_two_keys(void)
{
	struct rig b, r;
	static const uint8_t ot[4] = { 192, 0, 2, 200 };
	uint8_t lan[16], ckey[16], fresh[16];
	const char *q = "{\"id\":5,\"method\":\"get_prop\",\"params\":[\"power\"]}";
	char f1[4200], f2[4200];

	rig_init(&b);           /* builds frames with every key */
	memset(lan, 0x11, 16);
	memcpy(ckey, "AbCdEfGh12345678", 16);
	memset(fresh, 0x33, 16);
	mf_tokens_add(b.ctx.tokens, lan, NULL, "b", MF_TOK_HEX32, NULL);
	mf_tokens_add(b.ctx.tokens, ckey, NULL, "b", MF_TOK_ASCII16, NULL);
	mf_tokens_add(b.ctx.tokens, fresh, NULL, "b", MF_TOK_HEX32, NULL);

	rig_init(&r);
	mf_tokens_add(r.ctx.tokens, ckey, NULL, "--token", MF_TOK_ASCII16, NULL);
	snprintf(f1, sizeof(f1), "%s", build(&b, 0, 4242, 10, q, 0));
	snprintf(f2, sizeof(f2), "%s", build(&b, 1, 4242, 11, q, 0));
	feed(&r, f1, 1, T0);
	feed(&r, f1, 1, T0 + S);
	feed_at(&r, f2, ot, 8053, dev, 40000, T0 + 2 * S);
	flush(&r);
	CHECK_EQ_INT(find_reason("no_token"), 2);
	CHECK_EQ_INT(nev, 4);   /* + the request's unanswered */
	if (nev == 4) {
		CHECK_EQ_STR(evs[2]->kind, "command");
		CHECK_EQ_STR(str(evs[2], "miio.token_origin"), "--token");
	}
	rig_free(&r);

	rig_init(&r);
	mf_tokens_add(r.ctx.tokens, fresh, "4242", "tokens.txt:1", MF_TOK_HEX32, NULL);
	snprintf(f1, sizeof(f1), "%s", build(&b, 0, 4242, 10, q, 0));
	snprintf(f2, sizeof(f2), "%s", build(&b, 2, 4242, 11, q, 0));
	feed(&r, f1, 1, T0);
	feed(&r, f2, 1, T0 + S);
	flush(&r);
	CHECK_EQ_INT(find_reason("checksum_mismatch"), 1);
	CHECK_EQ_INT(nev, 3);   /* + the request's unanswered */
	if (nev == 3) {
		CHECK_EQ_STR(evs[1]->kind, "command");
		CHECK_EQ_STR(str(evs[1], "miio.token_origin"), "tokens.txt:1");
	}
	rig_free(&r);
	rig_free(&b);
}

/* With a queue open (as the decoder opens one), frames no token opens wait:
 * a hello reply revealing the token opens them at the next check, with
 * their own frame and time, paired, marked opened_later, after the token
 * event; one no token opens is reported at the end (never_opened). */
static void held_until_hello_reply(void)
{
	struct rig b, r;
	uint8_t tok[16], other[16];
	char rq[4200], rs[4200], un[4200], hello[65];

	rig_init(&b);
	mf_hex_decode("00112233445566778899aabbccddeeff", 32, tok, 16);
	memset(other, 0x77, 16);
	mf_tokens_add(b.ctx.tokens, tok, NULL, "b", MF_TOK_HEX32, NULL);
	mf_tokens_add(b.ctx.tokens, other, NULL, "b", MF_TOK_HEX32, NULL);
	snprintf(rq, sizeof(rq), "%s", build(&b, 0, 0x00112233, 400953,
	    "{\"id\":7,\"method\":\"get_prop\",\"params\":[\"power\"]}", 0));
	snprintf(rs, sizeof(rs), "%s", build(&b, 0, 0x00112233, 400953,
	    "{\"id\":7,\"result\":[\"on\"]}", 0));
	snprintf(un, sizeof(un), "%s", build(&b, 1, 0x00445566, 1, "{\"id\":1,\"result\":0}", 0));
	snprintf(hello, sizeof(hello), "%s",
	    "21310020000000000011223300061e3900112233445566778899aabbccddeeff");

	rig_init(&r);
	CHECK_EQ_INT(mf_miio_held_begin(&r.ctx), 0);
	feed(&r, rq, 1, T0);                    /* frames 1, 2, 3: held */
	feed(&r, rs, 0, T0 + S / 10);
	feed(&r, un, 0, T0 + S / 5);
	CHECK_EQ_INT(nev, 0);
	CHECK_EQ_INT(mf_miio_held_count(&r.ctx), 3);
	CHECK_EQ_INT(mf_miio_held_check(&r.ctx), 0);   /* no new token: nothing */
	CHECK_EQ_INT(nev, 0);
	feed(&r, hello, 0, T0 + S);             /* frame 4 reveals the token */
	CHECK_EQ_INT(nev, 2);                   /* the hello reply and the token */
	CHECK_EQ_INT(mf_miio_held_check(&r.ctx), 0);
	CHECK_EQ_INT(mf_miio_held_count(&r.ctx), 1);
	CHECK_EQ_INT(nev, 4);
	if (nev == 4) {
		CHECK_EQ_STR(evs[1]->kind, "token");
		CHECK_EQ_STR(evs[2]->kind, "command");
		CHECK_EQ_INT(num(evs[2], "evidence.frame"), 1);
		CHECK_EQ_INT(evs[2]->ts_ns, T0);
		CHECK_EQ_STR(str(evs[2], "miio.token_wait"), "opened_later");
		CHECK_EQ_STR(str(evs[2], "miio.token_origin"), "learned: hello reply frame 4");
		CHECK_EQ_INT(num(evs[2], "miio.response_frame"), 2);
		CHECK_EQ_STR(evs[3]->kind, "response");
		CHECK_EQ_INT(num(evs[3], "evidence.frame"), 2);
		CHECK_EQ_INT(num(evs[3], "miio.request_frame"), 1);
		CHECK_EQ_STR(str(evs[3], "miio.token_wait"), "opened_later");
	}
	CHECK_EQ_INT(r.ctx.st.miio_frames, 4);  /* counted once, when seen */
	CHECK_EQ_INT(mf_miio_held_end(&r.ctx), 0);
	CHECK(r.ctx.miio_held == NULL);
	flush(&r);
	CHECK_EQ_INT(nev, 5);
	if (nev == 5) {
		CHECK_EQ_STR(str(evs[4], "reason"), "no_token");
		CHECK_EQ_INT(num(evs[4], "evidence.frame"), 3);
		CHECK_EQ_STR(str(evs[4], "miio.token_wait"), "never_opened");
	}
	CHECK_EQ_INT(r.ctx.st.miio_no_token, 1);
	rig_free(&r);
	rig_free(&b);
}

int main(void)
{
	held_until_hello_reply();
	one_device_two_keys();
	did64_binding();
	cloud_link_hellos();
	device_requests_answered();
	pairing_and_findings();
	eip_vectors();
	encoder_roundtrip();
	synthetic_and_negative();
	hellos();
	return TEST_DONE();
}
