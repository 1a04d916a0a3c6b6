/*
 * fuzz_micloud.c - the Mi cloud codec: one HTTP exchange through
 * mf_micloud_exchange, the same response bytes through the endpoint record
 * walkers, and the lower-level decoders.
 *
 * The exchange goes through a queue of calls held for a later key
 * (mf_micloud_held.h): a login reply revealing the fixed key follows it, so
 * a held call is replayed, and the end of input replays what is left.
 *
 * Input: byte 0 = flags, then up to five parts separated by the 4 bytes
 * "\x00MF|":  request body | response body | path[?query] | Set-Cookie |
 * extension-pragma.
 *   flags bits 0-2: host (API, camera, account, STS, other, none, ...)
 *         bit 3: no response   bit 4: ctx->ssecurity known   bit 5: show_secrets
 *         bit 6: MIOT-CONTENT-ENCODING GZIP   bit 7: method GET
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_endpoints.h"
#include "mf_event.h"
#include "mf_micloud.h"
#include "mf_micloud_held.h"
#include "mf_tokens.h"

#define NPARTS 5

static const char *const hosts[8] = {
	"de.api.io.mi.com", "business.smartcamera.api.io.mi.com", "account.xiaomi.com",
	"sts.api.io.mi.com", "data.mistat.xiaomi.com", NULL, "api.mijia.tech", "example.org"
};

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf b;

	(void)arg;
	mf_buf_init(&b, 1 << 24);
	mf_event_to_json(ev, &b);   /* every event must serialise */
	mf_buf_free(&b);
	mf_event_free(ev);
	return 0;
}

static char *dupz(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[4] = { 0, 'M', 'F', '|' };
	const uint8_t *part[NPARTS] = { NULL };
	size_t plen[NPARTS] = { 0 }, i, k = 0, start = 1;
	struct mf_micloud_req rq;
	struct mf_micloud_resp rs;
	struct mf_ctx ctx;
	char *path, *cookie, *pragma;
	unsigned flags;
	cJSON *evd;

	if (size < 1)
		return 0;
	flags = data[0];
	for (i = 1; i + 4 <= size && k < NPARTS - 1; i++) {
		if (memcmp(data + i, sep, 4) == 0) {
			part[k] = data + start;
			plen[k] = i - start;
			k++;
			start = i + 4;
			i += 3;
		}
	}
	part[k] = data + start;
	plen[k] = size - start;

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();
	ctx.lim.http_body_max = 1 << 16;
	ctx.lim.plaintext_max = 1 << 12;
	ctx.lim.json_depth_max = 32;
	ctx.show_secrets = (flags >> 5) & 1;
	if (flags & 0x10)
		memcpy(ctx.ssecurity, "AQEBAQEBAQEBAQEBAQEBAQ==", 25);

	path = dupz(part[2] ? part[2] : (const uint8_t *)"", plen[2]);
	cookie = dupz(part[3] ? part[3] : (const uint8_t *)"", plen[3]);
	pragma = dupz(part[4] ? part[4] : (const uint8_t *)"", plen[4]);
	evd = cJSON_CreateObject();
	if (!path || !cookie || !pragma || !evd || !ctx.tokens)
		goto out;
	cJSON_AddStringToObject(evd, "file", "fuzz.pcap");
	cJSON_AddNumberToObject(evd, "frame", 1);

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.host = hosts[flags & 7];
	rq.path = path[0] ? path : "/app/home/device_list";
	rq.method = (flags & 0x80) ? "GET" : "POST";
	rq.body = part[0];
	rq.body_len = plen[0];
	rq.cookie = cookie;
	rq.encrypt_alg = "ENCRYPT-RC4";
	rs.status = 200;
	rs.body = part[1];
	rs.body_len = plen[1];
	rs.set_cookie_joined = cookie;
	rs.extension_pragma = pragma;
	rs.miot_content_encoding = (flags & 0x40) ? "GZIP" : NULL;
	mf_micloud_held_begin(&ctx);
	mf_micloud_exchange(&ctx, &rq, (flags & 8) ? NULL : &rs, 1700000000LL * 1000000000LL, evd);
	{
		/* a later login reveals the key: held calls are tried with it */
		static const char login[] = "&&&START&&&{\"code\":0,\"ssecurity\":"
		    "\"AQEBAQEBAQEBAQEBAQEBAQ==\",\"userId\":1}";
		struct mf_micloud_req lq;
		struct mf_micloud_resp ls;

		memset(&lq, 0, sizeof(lq));
		memset(&ls, 0, sizeof(ls));
		lq.host = "account.xiaomi.com";
		lq.path = "/pass/serviceLogin?sid=xiaomiio&_json=true";
		lq.method = "GET";
		ls.status = 200;
		ls.body = (const uint8_t *)login;
		ls.body_len = sizeof(login) - 1;
		mf_micloud_exchange(&ctx, &lq, &ls, 1700000060LL * 1000000000LL, evd);
	}
	mf_micloud_held_end(&ctx);

	/* the response bytes as a reply of one endpoint (no crypto in the way) */
	if (part[1]) {
		cJSON *reply = cJSON_ParseWithLength((const char *)part[1], plen[1]);
		cJSON *req = part[0] ? cJSON_ParseWithLength((const char *)part[0], plen[0]) : NULL;
		size_t n = 0;

		while (mf_endpoints[n].path)
			n++;
		if (reply) {
			struct mf_cloud_origin o;

			memset(&o, 0, sizeof(o));
			o.source = "pcap";
			o.protocol = "micloud-http";
			o.evidence = evd;
			o.path = path;
			mf_endpoint_records(&ctx, &mf_endpoints[flags % n], req, reply, &o);
		}
		cJSON_Delete(reply);
		cJSON_Delete(req);
	}
	/* lower level */
	{
		struct mf_micloud_form f;
		struct mf_micloud_rc4_req r;
		struct mf_buf out;
		int64_t ms;

		mf_micloud_form_init(&f);
		mf_micloud_form_parse(&f, (const char *)part[0], part[0] ? plen[0] : 0);
		/* out is initialised even on failure */
		(void)mf_micloud_rc4_decrypt_params("POST", path, "AQEBAQEBAQEBAQEBAQEBAQ==", &f,
		    1 << 16, &r, NULL);
		mf_micloud_rc4_req_free(&r);
		mf_micloud_form_free(&f);
		mf_micloud_nonce_time(pragma, &ms);
		mf_buf_init(&out, 1 << 16);
		mf_micloud_decrypt_response(cookie, pragma, part[1], part[1] ? plen[1] : 0,
		    (flags >> 6) & 1, 1 << 16, &out, NULL, NULL);
		mf_buf_free(&out);
		mf_micloud_is_host(path);
	}
out:
	cJSON_Delete(evd);
	free(path);
	free(cookie);
	free(pragma);
	mf_tokens_free(ctx.tokens);
	return 0;
}
