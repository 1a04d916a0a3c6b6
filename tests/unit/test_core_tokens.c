/* Token parsing in every accepted form, token files, AES-CBC of the store. */
#include <stdint.h>
#include <string.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_tokens.h"
#include "mf_test.h"

static void forms(void)
{
	uint8_t t[16], want[16];
	char eb[MF_ERRBUF_SIZE], hex[33];
	int form = 0;

	CHECK_EQ_INT(mf_token_parse("9c3b2d1da5beceee2808a3d3653b485d", 32, t, &form, eb), 0);
	CHECK_EQ_INT(form, MF_TOK_HEX32);
	mf_hex_decode("9c3b2d1da5beceee2808a3d3653b485d", 32, want, 16);
	CHECK_MEM(t, want, 16);
	/* miio.md section 12: the iOS ZTOKEN vector */
	CHECK_EQ_INT(mf_token_parse("16a935db276e19b1c7bef0739f2deb7d3aca43c5e26a3c6445351cb2fb8495ea"
	    "0143db63ee66b0cdff9f69917680151e", 96, t, &form, eb), 0);
	CHECK_EQ_INT(form, MF_TOK_IOS96);
	mf_hex_encode(t, 16, hex);
	CHECK_EQ_STR(hex, "4a447a41467058496746505541597033");
	/* 16 ASCII characters are the raw bytes */
	CHECK_EQ_INT(mf_token_parse("JDzAFpXIgFPUAYp3", 16, t, &form, eb), 0);
	CHECK_EQ_INT(form, MF_TOK_ASCII16);
	CHECK_MEM(t, "JDzAFpXIgFPUAYp3", 16);
	CHECK_EQ_INT(mf_token_parse("9c3b2d1d", 8, t, &form, eb), MF_ERR_FORMAT);
	CHECK(strstr(eb, "8 characters") != NULL);
	/* 32 characters that are not hex are no token form at all */
	CHECK_EQ_INT(mf_token_parse("zz3b2d1da5beceee2808a3d3653b485d", 32, t, &form, eb),
	    MF_ERR_FORMAT);
	/* a 96-hex string that does not decrypt to a hex token */
	CHECK(mf_token_parse("00000000000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000", 96, t, &form, eb) != 0);
}

static void derive_and_crypt(void)
{
	struct mf_tokens *ts = mf_tokens_new();
	uint8_t tok[16], key[16], iv[16], pt[32], ct[32], back[32];
	char eb[MF_ERRBUF_SIZE];
	int i;

	mf_hex_decode("9c3b2d1da5beceee2808a3d3653b485d", 32, tok, 16);
	i = mf_tokens_add(ts, tok, "0x047bd1b5", "test", MF_TOK_HEX32, eb);
	CHECK_EQ_INT(i, 0);
	mf_hex_decode("5bd1b6d9525ef5220600414d08e035f7", 32, key, 16);
	mf_hex_decode("0a513932aa181a684da8566cf8d62125", 32, iv, 16);
	CHECK_MEM(mf_tokens_get(ts, 0)->key, key, 16);
	CHECK_MEM(mf_tokens_get(ts, 0)->iv, iv, 16);
	CHECK_EQ_INT(mf_tokens_find_did(ts, 0x047bd1b5), 0);
	CHECK_EQ_INT(mf_tokens_find_did(ts, 1), -1);
	/* same token + binding merges */
	CHECK_EQ_INT(mf_tokens_add(ts, tok, "75223477", "again", MF_TOK_HEX32, eb), 0);
	CHECK_EQ_INT(mf_tokens_count(ts), 1);
	CHECK_EQ_INT(mf_tokens_add(ts, tok, "192.168.1.5", "ip", MF_TOK_HEX32, eb), 1);
	{
		uint8_t ip[4] = { 192, 168, 1, 5 };

		CHECK_EQ_INT(mf_tokens_find_ip(ts, ip, 4), 1);
	}
	CHECK(mf_tokens_add(ts, tok, "kitchen", "bad", MF_TOK_HEX32, eb) < 0);
	memset(pt, 'A', sizeof(pt));
	CHECK_EQ_INT(mf_tokens_encrypt(ts, 0, pt, 32, ct), 0);
	CHECK(memcmp(ct, pt, 32) != 0);
	/* twice: the cached context must restart from the fixed IV each time */
	CHECK_EQ_INT(mf_tokens_decrypt(ts, 0, ct, 32, back), 0);
	CHECK_MEM(back, pt, 32);
	CHECK_EQ_INT(mf_tokens_decrypt(ts, 0, ct, 32, back), 0);
	CHECK_MEM(back, pt, 32);
	CHECK_EQ_INT(mf_tokens_decrypt(ts, 0, ct, 31, back), MF_ERR_ARG);
	mf_tokens_free(ts);
}

static void files(void)
{
	static const char txt[] =
	    "# living room\n"
	    "75223477 9c3b2d1da5beceee2808a3d3653b485d\n"
	    "192.168.1.20\t00112233445566778899aabbccddeeff   # plug\n"
	    "\n"
	    "0x1e240=JDzAFpXIgFPUAYp3\r\n"
	    "ffeeddccbbaa99887766554433221100\n"
	    "kitchen 00112233445566778899aabbccddeeff\n"
	    "1 2 3\n";
	static const char js[] =
	    "[{\"did\":\"123\",\"token\":\"00112233445566778899aabbccddeeff\",\"localip\":\"10.0.0.9\"},"
	    " {\"did\":\"lumi.158d0001\",\"token\":\"\"},"
	    " {\"did\":\"blt.3.abc\",\"token\":\"ffeeddccbbaa99887766554433221100\"}]";
	struct mf_tokens *ts = mf_tokens_new();
	char eb[MF_ERRBUF_SIZE] = "";
	unsigned bad = 0;

	CHECK_EQ_INT(mf_tokens_load_mem(ts, txt, sizeof(txt) - 1, "tokens.txt", &bad, eb), 0);
	CHECK_EQ_INT(bad, 2);
	CHECK(strstr(eb, "tokens.txt:7") != NULL);
	CHECK_EQ_INT(mf_tokens_count(ts), 4);
	CHECK_EQ_INT(mf_tokens_find_did(ts, 75223477), 0);
	CHECK_EQ_STR(mf_tokens_get(ts, 0)->origin, "tokens.txt:2");
	CHECK_EQ_INT(mf_tokens_find_did(ts, 123456), 2);
	CHECK(!mf_tokens_get(ts, 3)->has_did && mf_tokens_get(ts, 3)->ip_len == 0);
	mf_tokens_free(ts);

	ts = mf_tokens_new();
	bad = 0;
	CHECK_EQ_INT(mf_tokens_load_mem(ts, js, sizeof(js) - 1, "devices.json", &bad, eb), 0);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(mf_tokens_find_did(ts, 123), 0);
	{
		uint8_t ip[4] = { 10, 0, 0, 9 };

		CHECK(mf_tokens_find_ip(ts, ip, 4) >= 0);
	}
	CHECK_EQ_INT(mf_tokens_count(ts), 3);   /* did 123, its IP, the BLE one unbound */
	mf_tokens_free(ts);

	/* JSON token lists as they come: a cloud reply, Home Assistant config
	 * entries (host + token one level down), {"<did>": "<token>"} and
	 * {"<did>": {"token": ...}} maps, a device id above 2^32 */
	{
		static const char cloud[] =
		    "{\"code\":0,\"message\":\"ok\",\"result\":{\"list\":["
		    "{\"did\":\"42688810\",\"token\":\"509cd46147f2c367da006fda76a48f5f\",\"localip\":\"192.0.2.61\"},"
		    "{\"did\":\"lumi.158d0001\",\"token\":\"\",\"parent_id\":\"57204186\"},"
		    "{\"did\":\"5366837442\",\"token\":\"00112233445566778899aabbccddeeff\"}]}}";
		static const char ha[] =
		    "{\"version\":1,\"data\":{\"entries\":[{\"domain\":\"xiaomi_miio\",\"data\":"
		    "{\"host\":\"192.0.2.83\",\"token\":\"9e67861590481ca0cdf82d46bb04d8c4\","
		    "\"model\":\"roborock.vacuum.s5\",\"mac\":\"50:ec:50:9d:4b:07\"}}]}}";
		static const char map[] =
		    "{\"116314746\":\"9e67861590481ca0cdf82d46bb04d8c4\",\"192.0.2.7\":\"JDzAFpXIgFPUAYp3\","
		    "\"26189361\":{\"token\":\"f8f02eb62e9e1722b311a18e5afdf6a5\",\"name\":\"purifier\"}}";
		uint8_t ip[4] = { 192, 0, 2, 83 }, ip7[4] = { 192, 0, 2, 7 };
		int i;

		ts = mf_tokens_new();
		bad = 0;
		CHECK_EQ_INT(mf_tokens_load_mem(ts, cloud, sizeof(cloud) - 1, "cloud.json", &bad, eb), 0);
		CHECK_EQ_INT(bad, 0);
		CHECK_EQ_INT(mf_tokens_find_did(ts, 42688810), 0);
		CHECK_EQ_STR(mf_tokens_get(ts, 0)->origin, "cloud.json#0");
		i = mf_tokens_find_did(ts, (uint32_t)5366837442ULL);
		CHECK(i >= 0);
		if (i >= 0)
			CHECK_EQ_INT(mf_tokens_get(ts, (size_t)i)->did_hi, 1);
		mf_tokens_free(ts);

		ts = mf_tokens_new();
		CHECK_EQ_INT(mf_tokens_load_mem(ts, ha, sizeof(ha) - 1, "core.config_entries", &bad, eb), 0);
		CHECK_EQ_INT(mf_tokens_count(ts), 1);
		CHECK_EQ_INT(mf_tokens_find_ip(ts, ip, 4), 0);
		mf_tokens_free(ts);

		ts = mf_tokens_new();
		CHECK_EQ_INT(mf_tokens_load_mem(ts, map, sizeof(map) - 1, "map.json", &bad, eb), 0);
		CHECK_EQ_INT(mf_tokens_count(ts), 3);
		CHECK_EQ_INT(mf_tokens_find_did(ts, 116314746), 0);
		CHECK_EQ_STR(mf_tokens_get(ts, 0)->origin, "map.json:116314746");
		CHECK_EQ_INT(mf_tokens_find_ip(ts, ip7, 4), 1);
		CHECK_EQ_INT(mf_tokens_find_did(ts, 26189361), 2);
		mf_tokens_free(ts);
	}
	/* the printout of Xiaomi-cloud-tokens-extractor, pasted as it is */
	{
		static const char xt[] =
		    "Logging in...\nLogged in.\n\nDevices found for server \"de\":\n"
		    "   ---------\n"
		    "   NAME:  Plug\n"
		    "   ID:    42688810\n"
		    "   IP:    192.0.2.61\n"
		    "   TOKEN: 509cd46147f2c367da006fda76a48f5f\n"
		    "   MODEL: chuangmi.plug.m1\n"
		    "   ---------\n"
		    "   NAME:  Motion\n"
		    "   ID:    lumi.158d00036ce62c\n"
		    "   TOKEN: \n"
		    "   MODEL: lumi.sensor_motion.v2\n"
		    "   ---------\n"
		    "   NAME:  Vacuum\n"
		    "   ID:    116314746\n"
		    "   MAC:   50:EC:50:9D:4B:07\n"
		    "   IP:    192.0.2.83\n"
		    "   TOKEN: 9e67861590481ca0cdf82d46bb04d8c4\r\n"
		    "   ---------\n\nPress ENTER to finish\n";
		uint8_t ip[4] = { 192, 0, 2, 83 };

		ts = mf_tokens_new();
		bad = 0;
		CHECK_EQ_INT(mf_tokens_load_mem(ts, xt, sizeof(xt) - 1, "tokens.txt", &bad, eb), 0);
		CHECK_EQ_INT(bad, 0);
		CHECK_EQ_INT(mf_tokens_find_did(ts, 42688810), 0);
		CHECK_EQ_STR(mf_tokens_get(ts, 0)->origin, "tokens.txt:9");
		CHECK(mf_tokens_find_did(ts, 116314746) >= 0);
		CHECK(mf_tokens_find_ip(ts, ip, 4) >= 0);
		CHECK_EQ_INT(mf_tokens_count(ts), 4);   /* two devices, by id and by IP */
		mf_tokens_free(ts);
	}
	/* a text line with a 64-bit device id */
	ts = mf_tokens_new();
	CHECK_EQ_INT(mf_tokens_load_mem(ts, "5366837442 00112233445566778899aabbccddeeff\n", 44,
	    "t.txt", NULL, eb), 0);
	CHECK_EQ_INT(mf_tokens_count(ts), 1);
	mf_tokens_free(ts);

	ts = mf_tokens_new();
	CHECK_EQ_INT(mf_tokens_load_mem(ts, "# nothing\n", 10, "empty", NULL, eb), MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_tokens_load_file(ts, "/nonexistent/tokens", NULL, eb), MF_ERR_IO);
	mf_tokens_free(ts);
}

int main(void)
{
	forms();
	derive_and_crypt();
	files();
	return TEST_DONE();
}
