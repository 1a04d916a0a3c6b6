/* The Lumi gateway LAN decoder: v1 and v2 shapes, event naming, heartbeats,
 * write keys (lumi-lan.md section 4 vector), anomalies. */
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_lumi.h"
#include "mf_test.h"

#define MAXEV 32
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
	while (nev > 0)
		mf_event_free(evs[--nev]);
}

static const cJSON *get(const struct mf_event *ev, const char *a, const char *b)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ev->body, a);

	return b ? cJSON_GetObjectItemCaseSensitive(o, b) : o;
}

static const char *gs(const struct mf_event *ev, const char *a, const char *b)
{
	const cJSON *o = get(ev, a, b);

	return cJSON_IsString(o) ? o->valuestring : NULL;
}

static char *js(const cJSON *v)
{
	static char buf[512];
	char *p = cJSON_PrintUnformatted(v);

	snprintf(buf, sizeof(buf), "%s", p ? p : "(null)");
	free(p);
	return buf;
}

static void feed(struct mf_ctx *ctx, void *st, const char *json, uint16_t sport, uint16_t dport,
                 int mcast)
{
	static struct mf_input in = { .name = "lumi", .source = "pcap" };
	static uint64_t no;
	struct mf_frame f;
	struct mf_pkt p;
	static const uint8_t gw[4] = { 192, 0, 2, 30 }, cl[4] = { 192, 0, 2, 1 },
	    mc[4] = { 224, 0, 0, 50 };

	memset(&f, 0, sizeof(f));
	f.ts_ns = 1714557600000000000LL;
	f.number = ++no;
	f.input = &in;
	memset(&p, 0, sizeof(p));
	p.frame = &f;
	p.ipver = 4;
	p.addr_len = 4;
	memcpy(p.src, sport == 9898 || sport == 4321 ? gw : cl, 4);
	memcpy(p.dst, mcast ? mc : (sport == 9898 ? cl : gw), 4);
	p.sport = sport;
	p.dport = dport;
	p.ipproto = 17;
	p.payload = (const uint8_t *)json;
	p.len = p.claimed_len = strlen(json);
	CHECK_EQ_INT(mf_proto_lumi.decode(st, ctx, &p), 0);
}

int main(void)
{
	struct mf_ctx ctx;
	void *st;
	char key[33];

	/* published vector */
	CHECK_EQ_INT(mf_lumi_write_key("0987654321qwerty", "1234567890abcdef", key), 0);
	CHECK_EQ_STR(key, "3EB43E37C20AFF4C5872CC0D04D81314");
	CHECK(mf_lumi_write_key("short", "1234567890abcdef", key) != 0);

	mf_ctx_init(&ctx);
	ctx.emit = sink;
	st = mf_proto_lumi.state_new(&ctx);

	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"magnet\",\"sid\":\"158d000065a271\","
	    "\"short_id\":25719,\"data\":\"{\\\"status\\\":\\\"open\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(evs[0]->kind, "device_event");
	CHECK_EQ_STR(evs[0]->protocol, "lumi-lan");
	CHECK_EQ_STR(gs(evs[0], "event", NULL), "event.open");
	CHECK_EQ_STR(gs(evs[0], "did", NULL), "lumi.158d000065a271");
	CHECK_EQ_STR(gs(evs[0], "model", NULL), "magnet");
	CHECK_EQ_STR(js(get(evs[0], "lumi", "proto")), "1");
	clear();

	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"sensor_motion.aq2\",\"sid\":\"158d0001a2b3c4\","
	    "\"params\":[{\"motion_status\":\"motion\"},{\"lux\":12}]}", 9898, 9898, 1);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(gs(evs[0], "event", NULL), "event.motion");
	CHECK_EQ_STR(js(get(evs[0], "lumi", "proto")), "2");
	clear();

	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"motion\",\"sid\":\"158d0001a2b3c4\","
	    "\"data\":\"{\\\"no_motion\\\":\\\"120\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "event", NULL), "event.no_motion");
	CHECK_EQ_STR(js(get(evs[0], "value", NULL)), "[120]");
	clear();

	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"switch\",\"sid\":\"158d0000aaaaaa\","
	    "\"data\":\"{\\\"status\\\":\\\"double_click\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "event", NULL), "event.double_click");
	clear();

	/* temperature report: a property, no event */
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"sensor_ht\",\"sid\":\"158d0000bbbbbb\","
	    "\"data\":\"{\\\"temperature\\\":\\\"2333\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	CHECK_EQ_STR(js(get(evs[0], "value", NULL)), "{\"temperature\":\"2333\"}");
	clear();

	/* a motion heartbeat is only a property (stale status firmware bug) */
	feed(&ctx, st, "{\"cmd\":\"heartbeat\",\"model\":\"motion\",\"sid\":\"158d0001a2b3c4\","
	    "\"data\":\"{\\\"status\\\":\\\"motion\\\",\\\"voltage\\\":3005}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	clear();

	/* gateway heartbeat token, then a write whose key it checks */
	snprintf(ctx.lumi_password, sizeof(ctx.lumi_password), "0987654321qwerty");
	feed(&ctx, st, "{\"cmd\":\"heartbeat\",\"model\":\"gateway\",\"sid\":\"34ce0088db36\","
	    "\"short_id\":0,\"token\":\"1234567890abcdef\",\"data\":\"{\\\"ip\\\":\\\"192.0.2.30\\\"}\"}",
	    9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "lumi", "gateway_token"), "1234567890abcdef");
	clear();
	feed(&ctx, st, "{\"cmd\":\"write\",\"model\":\"ctrl_neutral1\",\"sid\":\"158d0000cccccc\","
	    "\"key\":\"3eb43e37c20aff4c5872cc0d04d81314\",\"params\":[{\"channel_0\":\"off\"}]}",
	    50000, 9898, 0);
	CHECK_EQ_STR(evs[0]->kind, "command");
	CHECK_EQ_STR(gs(evs[0], "event", NULL), "write");
	CHECK_EQ_STR(gs(evs[0], "lumi", "key_check"), "valid");
	CHECK(strstr(js(evs[0]->body), "3eb43e37") == NULL);   /* redacted */
	clear();
	feed(&ctx, st, "{\"cmd\":\"write\",\"model\":\"plug\",\"sid\":\"158d0000dddddd\","
	    "\"data\":\"{\\\"status\\\":\\\"on\\\",\\\"key\\\":\\\"00000000000000000000000000000000\\\"}\"}",
	    50000, 9898, 0);
	CHECK_EQ_STR(gs(evs[0], "lumi", "key_check"), "mismatch");
	CHECK(strstr(js(evs[0]->body), "00000000000000000000000000000000") == NULL);
	clear();

	/* a second gateway's heartbeat does not change the first one's
	 * challenge: the write to 192.0.2.30 is still checked against its token */
	{
		struct mf_frame f2;
		struct mf_pkt p2;
		static struct mf_input in2 = { .name = "lumi", .source = "pcap" };
		static const char hb2[] = "{\"cmd\":\"heartbeat\",\"model\":\"gateway\","
		    "\"sid\":\"34ce00aaaaaa\",\"short_id\":0,\"token\":\"ffffffffffffffff\","
		    "\"data\":\"{\\\"ip\\\":\\\"192.0.2.31\\\"}\"}";
		static const uint8_t gw2[4] = { 192, 0, 2, 31 }, mc[4] = { 224, 0, 0, 50 };

		memset(&f2, 0, sizeof(f2));
		f2.number = 999;
		f2.input = &in2;
		memset(&p2, 0, sizeof(p2));
		p2.frame = &f2;
		p2.ipver = 4;
		p2.addr_len = 4;
		memcpy(p2.src, gw2, 4);
		memcpy(p2.dst, mc, 4);
		p2.sport = p2.dport = 9898;
		p2.payload = (const uint8_t *)hb2;
		p2.len = p2.claimed_len = strlen(hb2);
		CHECK_EQ_INT(mf_proto_lumi.decode(st, &ctx, &p2), 0);
		clear();
		feed(&ctx, st, "{\"cmd\":\"write\",\"model\":\"ctrl_neutral1\",\"sid\":\"158d0000cccccc\","
		    "\"key\":\"3eb43e37c20aff4c5872cc0d04d81314\",\"params\":[{\"channel_0\":\"on\"}]}",
		    50000, 9898, 0);
		CHECK_EQ_STR(gs(evs[0], "lumi", "key_check"), "valid");
		clear();
	}

	feed(&ctx, st, "{\"cmd\":\"iam\",\"ip\":\"192.0.2.30\",\"port\":\"9898\",\"model\":\"gateway\","
	    "\"sid\":\"34ce0088db36\"}", 4321, 4321, 0);
	CHECK_EQ_STR(evs[0]->kind, "response");
	clear();

	/* damage: not JSON, no cmd, data that is not JSON */
	feed(&ctx, st, "{\"cmd\":\"report\",", 9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "reason", NULL), "json_unparsable");
	clear();
	feed(&ctx, st, "{\"model\":\"x\"}", 9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "reason", NULL), "lumi_no_cmd");
	clear();
	feed(&ctx, st, "{\"cmd\":\"report\",\"sid\":\"1\",\"data\":\"{broken\"}", 9898, 9898, 1);
	CHECK_EQ_STR(gs(evs[0], "reason", NULL), "lumi_bad_data");
	clear();

	/* a data string that holds a list (get_id_list_ack shape) on a report:
	 * no pairs to name events from, a property, no crash */
	feed(&ctx, st, "{\"cmd\":\"report\",\"sid\":\"34ce0088db36\","
	    "\"data\":\"[\\\"158d0000000001\\\"]\"}", 9898, 9898, 1);
	CHECK_EQ_INT(nev, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	CHECK_EQ_STR(js(get(evs[0], "value", NULL)), "[\"158d0000000001\"]");
	clear();
	feed(&ctx, st, "{\"cmd\":\"write\",\"sid\":\"34ce0088db36\",\"data\":\"[1,2]\"}",
	    50000, 9898, 0);
	CHECK_EQ_STR(evs[0]->kind, "command");
	clear();

	/* a datagram with a trailing NUL and a byte that is not UTF-8 */
	{
		static const char nul_latin1[] = "{\"cmd\":\"report\",\"model\":\"magnet\","
		    "\"sid\":\"158d0000000c\",\"data\":\"{\\\"status\\\":\\\"open\\\","
		    "\\\"name\\\":\\\"caf\xe9\\\"}\"}";

		feed(&ctx, st, nul_latin1, 9898, 9898, 1);
		CHECK_EQ_STR(gs(evs[0], "event", NULL), "event.open");
		CHECK_EQ_STR(js(get(evs[0], "lumi", "quirks")), "[\"non_utf8\"]");
		clear();
	}

	mf_proto_lumi.state_free(st);
	return TEST_DONE();
}
