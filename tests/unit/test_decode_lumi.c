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

	/* every model row of lumi-lan.md section 5, v1 and v2 */
	{
		static const struct {
			const char *json, *event, *value, *key, *channel;
		} rows[] = {
			/* wall remotes: clicks per channel, both channels */
			{ "{\"cmd\":\"report\",\"model\":\"86sw2\",\"sid\":\"158d0000000001\",\"data\":\"{\\\"channel_1\\\":\\\"long_click_press\\\"}\"}",
			  "event.long_click_press", "[]", "channel_1", "1" },
			{ "{\"cmd\":\"report\",\"model\":\"86sw2\",\"sid\":\"158d0000000001\",\"data\":\"{\\\"dual_channel\\\":\\\"double_both_click\\\"}\"}",
			  "event.double_both_click", "[]", "dual_channel", "\"both\"" },
			{ "{\"cmd\":\"report\",\"model\":\"sensor_86sw2.aq1\",\"sid\":\"158d0000000001\",\"params\":[{\"button_1\":\"long_click_press\"}]}",
			  "event.long_click_press", "[]", "button_1", "1" },
			{ "{\"cmd\":\"report\",\"model\":\"remote.b286acn01\",\"sid\":\"158d0000000001\",\"params\":[{\"dual_channel\":\"long_both_click\"}]}",
			  "event.long_both_click", "[]", "dual_channel", "\"both\"" },
			/* buttons */
			{ "{\"cmd\":\"report\",\"model\":\"sensor_switch.aq3\",\"sid\":\"158d0000000002\",\"params\":[{\"button_0\":\"shake\"}]}",
			  "event.shake", "[]", "button_0", "0" },
			{ "{\"cmd\":\"report\",\"model\":\"sensor_switch.aq2\",\"sid\":\"158d0000000002\",\"data\":\"{\\\"status\\\":\\\"long_click\\\"}\"}",
			  "event.long_click", "[]", "status", NULL },
			/* cube: v1 status and rotate with a decimal comma, v2 */
			{ "{\"cmd\":\"report\",\"model\":\"cube\",\"sid\":\"158d0000000003\",\"data\":\"{\\\"status\\\":\\\"flip90\\\"}\"}",
			  "event.flip90", "[]", "status", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"cube\",\"sid\":\"158d0000000003\",\"data\":\"{\\\"rotate\\\":\\\"-90,5\\\"}\"}",
			  "event.rotate", "[-90.5]", "rotate", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"sensor_cube.aqgl01\",\"sid\":\"158d0000000003\",\"params\":[{\"rotate_degree\":-90},{\"detect_time\":500}]}",
			  "event.rotate", "[-90]", "rotate_degree", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"sensor_cube.aqgl01\",\"sid\":\"158d0000000003\",\"params\":[{\"cube_status\":\"shake_air\"}]}",
			  "event.shake_air", "[]", "cube_status", NULL },
			/* leak, smoke, gas */
			{ "{\"cmd\":\"report\",\"model\":\"sensor_wleak.aq1\",\"sid\":\"158d0000000004\",\"params\":[{\"wleak_status\":\"normal\"}]}",
			  "event.no_leak", "[]", "wleak_status", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"smoke\",\"sid\":\"158d0000000005\",\"data\":\"{\\\"alarm\\\":\\\"1\\\"}\"}",
			  "event.alarm", "[1]", "alarm", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"natgas\",\"sid\":\"158d0000000006\",\"params\":[{\"alarm\":0},{\"density\":0}]}",
			  "event.alarm", "[0]", "alarm", NULL },
			/* vibration */
			{ "{\"cmd\":\"report\",\"model\":\"vibration\",\"sid\":\"158d000000000a\",\"data\":\"{\\\"final_tilt_angle\\\":\\\"30\\\"}\"}",
			  "event.final_tilt_angle", "[30]", "final_tilt_angle", NULL },
			{ "{\"cmd\":\"report\",\"model\":\"vibration\",\"sid\":\"158d000000000a\",\"data\":\"{\\\"coordination\\\":\\\"1,2,3\\\"}\"}",
			  "event.coordination", "[\"1,2,3\"]", "coordination", NULL },
			/* motion v1 with a long no_motion and lux */
			{ "{\"cmd\":\"report\",\"model\":\"sensor_motion.aq2\",\"sid\":\"158d000000000b\",\"data\":\"{\\\"no_motion\\\":\\\"1800\\\",\\\"lux\\\":\\\"10\\\"}\"}",
			  "event.no_motion", "[1800]", "no_motion", NULL },
		};
		size_t i;

		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			feed(&ctx, st, rows[i].json, 9898, 9898, 1);
			CHECK_EQ_INT(nev, 1);
			if (nev != 1) {
				clear();
				continue;
			}
			CHECK_EQ_STR(evs[0]->kind, "device_event");
			CHECK_EQ_STR(gs(evs[0], "event", NULL), rows[i].event);
			CHECK_EQ_STR(js(get(evs[0], "value", NULL)), rows[i].value);
			CHECK_EQ_STR(gs(evs[0], "lumi", "key"), rows[i].key);
			CHECK_EQ_STR(js(get(evs[0], "lumi", "channel")),
			    rows[i].channel ? rows[i].channel : "(null)");
			clear();
		}
	}
	/* the other pairs of an event's datagram ride along */
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"sensor_motion.aq2\",\"sid\":\"158d000000000b\","
	    "\"params\":[{\"motion_status\":\"motion\"},{\"lux\":12}]}", 9898, 9898, 1);
	CHECK_EQ_STR(js(get(evs[0], "lumi", "values")), "{\"motion_status\":\"motion\",\"lux\":12}");
	clear();
	/* readings in their units: hundredths for temperature and humidity */
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"sensor_ht\",\"sid\":\"158d0000000007\","
	    "\"data\":\"{\\\"temperature\\\":\\\"-150\\\",\\\"humidity\\\":\\\"6678\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	CHECK_EQ_STR(js(get(evs[0], "scaled", NULL)), "{\"temperature_c\":-1.5,\"humidity_pct\":66.78}");
	clear();
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"weather.v1\",\"sid\":\"158d0000000007\","
	    "\"params\":[{\"temperature\":2333},{\"pressure\":100310},{\"battery_voltage\":3005}]}", 9898, 9898, 1);
	CHECK_EQ_STR(js(get(evs[0], "scaled", NULL)),
	    "{\"temperature_c\":23.33,\"pressure_pa\":100310,\"voltage_mv\":3005}");
	clear();
	/* plug and wall switch states are properties, not clicks */
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"ctrl_neutral2\",\"sid\":\"158d0000000009\","
	    "\"data\":\"{\\\"channel_0\\\":\\\"on\\\",\\\"channel_1\\\":\\\"off\\\"}\"}", 9898, 9898, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	clear();
	feed(&ctx, st, "{\"cmd\":\"report\",\"model\":\"plug\",\"sid\":\"158d0000000008\","
	    "\"params\":[{\"status\":\"on\"},{\"load_power\":3.2}]}", 9898, 9898, 1);
	CHECK_EQ_STR(evs[0]->kind, "property");
	clear();
	/* iam (v1 proto_version, v2 "protocal") and discovery_rsp: the
	 * message's own members are its value */
	feed(&ctx, st, "{\"cmd\":\"iam\",\"port\":\"9898\",\"sid\":\"34ce0088db36\",\"model\":\"gateway\","
	    "\"proto_version\":\"1.1.2\",\"ip\":\"192.0.2.30\"}", 4321, 50001, 0);
	CHECK_EQ_STR(js(get(evs[0], "value", NULL)),
	    "{\"port\":\"9898\",\"proto_version\":\"1.1.2\",\"ip\":\"192.0.2.30\"}");
	clear();
	feed(&ctx, st, "{\"cmd\":\"discovery_rsp\",\"sid\":\"34ce0088db36\",\"token\":\"abcdefabcdefabcd\","
	    "\"dev_list\":[{\"sid\":\"158d0000f1a750\",\"model\":\"plug\"}]}", 9898, 50000, 0);
	CHECK_EQ_STR(js(get(evs[0], "value", "dev_list")), "[{\"sid\":\"158d0000f1a750\",\"model\":\"plug\"}]");
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
