/*
 * The timeline layer: the spilled store keeps every event and sorts it
 * deterministically; the registry joins device identities; correlation
 * finds a per-device clock offset (including a local-time shift of hours),
 * matches one to one and flags phone events missing from a running capture.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mf_codec.h"
#include "mf_correlate.h"
#include "mf_event.h"
#include "mf_registry.h"
#include "mf_report.h"
#include "mf_store.h"
#include "mf_time.h"
#include "mf_test.h"

#define S 1000000000LL
#define T0 (1714557600LL * S)     /* 2024-05-01T10:00:00Z */

static void add(struct mf_store *st, int64_t ts, const char *src, const char *kind,
                const char *did, const char *ev)
{
	struct mf_event *e = mf_event_new(ts, src, strcmp(src, "phone") ? "lumi-lan" : NULL, kind);

	if (!strcmp(src, "phone"))
		e->artifact = "device-log";
	if (did)
		mf_event_str(e, "did", did);
	if (ev)
		mf_event_str(e, "event", ev);
	CHECK_EQ_INT(mf_store_add(st, e), 0);
}

static const struct mf_corr_dev *dev(const struct mf_corr *c, struct mf_store *st,
                                     const char *did)
{
	size_t i;

	for (i = 0; i < c->ndev; i++)
		if (!strcmp(mf_store_str(st, c->dev[i].did), did))
			return &c->dev[i];
	return NULL;
}

/* Every writer's output is valid UTF-8 */
static int file_utf8(int (*fn)(const struct mf_report *, FILE *), const struct mf_report *r)
{
	FILE *f = tmpfile();
	char *buf;
	long n;
	int ok;

	CHECK_EQ_INT(fn(r, f), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	ok = buf && mf_utf8_valid((const uint8_t *)buf, (size_t)n);
	free(buf);
	fclose(f);
	return ok;
}

/* A device named with 400 bytes of Chinese (longer than the registry keeps,
 * than a CSV message or a TLN host holds): cut at a character boundary
 * everywhere, every file stays valid UTF-8. */
static void long_names(void)
{
	struct mf_store *st = mf_store_new();
	struct mf_registry *reg;
	struct mf_corr c;
	struct mf_report r;
	struct mf_event *e;
	char name[500] = "x";
	int k;

	for (k = 0; k < 133; k++)
		strcat(name, "\xe9\x97\xa8");     /* U+95E8, 3 bytes: x + 399 bytes */
	e = mf_event_new(MF_TIME_NONE, "phone", NULL, "device");
	e->artifact = "device";
	mf_event_str(e, "did", "lumi.158d0001a2b3c4");
	mf_event_str(e, "model", "lumi.sensor_motion.v2");
	mf_event_str(e, "name", name);
	mf_store_add(st, e);
	add(st, T0, "pcap", "device_event", "lumi.158d0001a2b3c4", "event.motion");
	add(st, T0 + S, "phone", "device_event", "lumi.158d0001a2b3c4", "event.motion");
	mf_store_sort(st);
	reg = mf_registry_build(st);
	CHECK_EQ_INT(mf_correlate(st, 3.0, &c), 0);
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.reg = reg;
	r.corr = &c;
	CHECK(file_utf8(mf_report_jsonl, &r));
	CHECK(file_utf8(mf_report_csv, &r));
	CHECK(file_utf8(mf_report_tln, &r));
	CHECK(file_utf8(mf_report_html, &r));
	CHECK(file_utf8(mf_report_case, &r));
	mf_corr_free(&c);
	mf_registry_free(reg);
	mf_store_free(st);
}

/* Two phones (inputs 1 and 2) hold the same sensor log; the traffic (input
 * 3) saw each event once.  The second phone's records repeat the first's:
 * they join its groups and are not "only on the phone while capturing".
 * Two clicks in the same second of one log stay two events. */
static void two_phones(void)
{
	struct mf_store *st = mf_store_new();
	struct mf_corr c;
	size_t i, grouped = 0;
	int k, in;

	for (in = 1; in <= 2; in++) {
		mf_store_set_input(st, (unsigned)in);
		for (k = 0; k < 10; k++)
			add(st, T0 + (int64_t)k * 60 * S, "phone", "device_event", "lumi.2",
			    "event.motion");
		add(st, T0 + 900 * S, "phone", "device_event", "lumi.2", "event.click");
		add(st, T0 + 900 * S, "phone", "device_event", "lumi.2", "event.click");
	}
	mf_store_set_input(st, 3);
	for (k = 0; k < 10; k++)
		add(st, T0 + (int64_t)k * 60 * S + S / 2, "pcap", "device_event", "lumi.2",
		    "event.motion");
	add(st, T0 + 900 * S + S / 2, "pcap", "device_event", "lumi.2", "event.click");
	add(st, T0 + 900 * S + S / 2, "pcap", "device_event", "lumi.2", "event.click");
	mf_store_sort(st);
	CHECK_EQ_INT(mf_correlate(st, 3.0, &c), 0);
	CHECK_EQ_INT(c.ndev, 1);
	if (c.ndev) {
		CHECK_EQ_INT(c.dev[0].phone, 12);
		CHECK_EQ_INT(c.dev[0].phone_repeated, 12);
		CHECK_EQ_INT(c.dev[0].matched, 12);
		CHECK_EQ_INT(c.dev[0].only_phone, 0);
		CHECK_EQ_INT(c.dev[0].only_phone_in_capture, 0);
	}
	for (i = 0; i < mf_store_count(st); i++)
		grouped += mf_store_ent(st, i)->group != 0;
	CHECK_EQ_INT(grouped, 36);
	mf_corr_free(&c);
	mf_store_free(st);
}

/* A phone log of 2000 events against 20000 reports of the same sensor:
 * the offset search samples the log (it was quadratic in the log and took
 * minutes); every phone event is still matched. */
static void long_log(void)
{
	struct mf_store *st = mf_store_new();
	struct mf_corr c;
	clock_t t0;
	int k;

	for (k = 0; k < 20000; k++)
		add(st, T0 + (int64_t)k * 5 * S + 800000000LL, "pcap", "device_event", "lumi.1",
		    "event.motion");
	for (k = 0; k < 2000; k++)
		add(st, T0 + (int64_t)(18000 + k) * 5 * S, "phone", "device_event", "lumi.1",
		    "event.motion");
	mf_store_sort(st);
	t0 = clock();
	CHECK_EQ_INT(mf_correlate(st, 3.0, &c), 0);
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 30);
	CHECK_EQ_INT(c.ndev, 1);
	if (c.ndev) {
		CHECK_EQ_INT(c.dev[0].matched, 2000);
		CHECK(c.dev[0].has_offset && c.dev[0].offset_s > 0.79 && c.dev[0].offset_s < 0.81);
	}
	mf_corr_free(&c);
	mf_store_free(st);
}

int main(void)
{
	struct mf_store *st = mf_store_new();
	struct mf_registry *reg;
	struct mf_corr c;
	struct mf_report r;
	const struct mf_corr_dev *d;
	struct mf_event *e;
	cJSON *o;
	size_t i;
	int k;

	/* motion sensor: 10 phone events; traffic sees them 0.8 s later, plus
	 * 30 more (the phone keeps only the newest), and one phone event at
	 * 10:30 has no traffic counterpart while the capture ran */
	for (k = 0; k < 10; k++) {
		add(st, T0 + (600 + k * 120) * S, "phone", "device_event", "lumi.158d0001a2b3c4",
		    k % 2 ? "event.no_motion" : "event.motion");
		add(st, T0 + (600 + k * 120) * S + 800000000LL, "pcap", "device_event",
		    "lumi.158d0001a2b3c4", k % 2 ? "event.no_motion" : "event.motion");
	}
	for (k = 0; k < 30; k++)
		add(st, T0 + (3600 + k * 60) * S + 500000000LL, "pcap", "device_event",
		    "lumi.158d0001a2b3c4", "event.motion");
	add(st, T0 + 1810 * S, "phone", "device_event", "lumi.158d0001a2b3c4", "event.motion");
	/* switch whose device log is in local time (UTC+2): traffic = phone - 2 h */
	for (k = 0; k < 8; k++) {
		add(st, T0 + (900 + k * 200) * S + 7200 * S, "phone", "device_event",
		    "lumi.158d0000aaaaaa", "event.click");
		add(st, T0 + (900 + k * 200) * S + 300000000LL, "pcap", "device_event",
		    "lumi.158d0000aaaaaa", "event.click");
	}
	/* the cloud's history holds the first 5 motion events at their exact
	 * time (the cloud stores what the phone shows) */
	for (k = 0; k < 5; k++)
		add(st, T0 + (600 + k * 120) * S, "cloud", "device_event", "lumi.158d0001a2b3c4",
		    k % 2 ? "event.no_motion" : "event.motion");
	/* identity: a phone device record names the sensor */
	e = mf_event_new(MF_TIME_NONE, "phone", NULL, "device");
	e->artifact = "device";
	mf_event_str(e, "did", "lumi.158d0001a2b3c4");
	mf_event_str(e, "model", "lumi.sensor_motion.v2");
	mf_event_str(e, "name", "Hall motion");
	mf_store_add(st, e);

	/* a Wi-Fi plug: the phone's record says .5, the traffic comes from .7 */
	e = mf_event_new(MF_TIME_NONE, "phone", NULL, "device");
	e->artifact = "device";
	mf_event_str(e, "did", "75223477");
	mf_event_str(e, "model", "chuangmi.plug.m1");
	mf_event_str(e, "ip", "192.168.1.5");
	mf_store_add(st, e);
	e = mf_event_new(T0 + 5 * S, "pcap", "miio", "response");
	mf_event_str(e, "did", "75223477");
	{
		cJSON *net = cJSON_CreateObject(), *mi = cJSON_CreateObject();

		cJSON_AddStringToObject(net, "src", "192.168.1.7");
		cJSON_AddStringToObject(net, "dst", "192.168.1.2");
		cJSON_AddStringToObject(mi, "direction", "from_device");
		mf_event_add(e, "net", net);
		mf_event_add(e, "miio", mi);
	}
	mf_store_add(st, e);

	mf_store_sort(st);
	CHECK_EQ_INT(mf_store_count(st), 10 + 10 + 30 + 1 + 16 + 5 + 1 + 2);
	for (i = 1; i < mf_store_count(st); i++)
		CHECK(mf_store_ent(st, i - 1)->ts_ns <= mf_store_ent(st, i)->ts_ns);

	reg = mf_registry_build(st);
	CHECK(mf_registry_count(reg) == 3);
	{
		cJSON *devs = mf_registry_json(reg, st);
		char *js = cJSON_PrintUnformatted(devs);

		/* both addresses, with who said which; ip is the first */
		CHECK(js && strstr(js, "\"did\":\"75223477\",\"model\":\"chuangmi.plug.m1\","
		    "\"ip\":\"192.168.1.5\",\"ips\":[{\"ip\":\"192.168.1.5\",\"source\":\"phone\"},"
		    "{\"ip\":\"192.168.1.7\",\"source\":\"pcap\"}]") != NULL);
		free(js);
		cJSON_Delete(devs);
	}
	CHECK_EQ_INT(mf_correlate(st, 3.0, &c), 0);
	d = dev(&c, st, "lumi.158d0001a2b3c4");
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ_INT(d->phone, 11);
		CHECK_EQ_INT(d->traffic, 40);
		CHECK_EQ_INT(d->matched, 10);
		CHECK_EQ_INT(d->only_phone, 1);
		CHECK_EQ_INT(d->only_phone_in_capture, 1);
		CHECK_EQ_INT(d->only_traffic, 30);
		CHECK(d->has_offset && d->offset_s > 0.79 && d->offset_s < 0.81);
		CHECK_EQ_INT(d->cloud, 5);
		CHECK_EQ_INT(d->cloud_matched, 5);
		CHECK(d->has_cloud_offset && d->cloud_offset_s == 0);
	}
	d = dev(&c, st, "lumi.158d0000aaaaaa");
	CHECK(d != NULL);
	if (d) {
		CHECK_EQ_INT(d->matched, 8);
		CHECK(d->has_offset && d->offset_s > -7199.8 && d->offset_s < -7199.6);
	}
	CHECK_EQ_INT(c.groups, 18);

	/* the written event carries the registry name and the correlation */
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.reg = reg;
	r.corr = &c;
	for (i = 0; i < mf_store_count(st); i++) {
		const struct mf_ent *en = mf_store_ent(st, i);

		if (en->src == MF_SRC_PHONE && en->group)
			break;
	}
	o = mf_report_event(&r, i);
	CHECK(o != NULL);
	if (o) {
		const cJSON *cor = cJSON_GetObjectItemCaseSensitive(o, "correlation");
		char *s = cJSON_PrintUnformatted(o);

		CHECK(strstr(s, "\"did\":\"lumi.158d0001a2b3c4\",\"model\":\"lumi.sensor_motion.v2\","
		    "\"device_name\":\"Hall motion\"") != NULL);
		CHECK(cor != NULL);
		/* the first phone event is in traffic and in the cloud: one group */
		CHECK(strstr(s, "\"sources\":[\"pcap\",\"cloud\",\"phone\"]") != NULL);
		CHECK(strstr(s, "\"delta_s\":0.8") != NULL);
		CHECK(strstr(s, "\"ts_epoch\":1714558200.000000") != NULL);
		free(s);
		cJSON_Delete(o);
	}
	{
		FILE *f = tmpfile();
		char buf[256];

		CHECK_EQ_INT(mf_report_csv(&r, f), 0);
		rewind(f);
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strncmp(buf, "message,timestamp,datetime,timestamp_desc,", 42) == 0);
		CHECK(strstr(buf, ",correlation_group,community_id,event_id\n") != NULL);
		/* every event has its row: one without a time too (sorted first) */
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strstr(buf, ",0,1970-01-01T00:00:00.000+00:00,Not a time,phone,device,device,"
		    "lumi.158d0001a2b3c4,") != NULL);
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strstr(buf, "Not a time,phone,device,device,75223477,chuangmi.plug.m1,") != NULL);
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strstr(buf, "2024-05-01T10:00:05.000+00:00,Packet captured,pcap,miio,response,"
		    "75223477,chuangmi.plug.m1,") != NULL);
		/* at 10:10:00 the cloud's record sorts before the phone's */
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strstr(buf, "2024-05-01T10:10:00.000+00:00,Cloud record") != NULL);
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		CHECK(strstr(buf, "2024-05-01T10:10:00.000+00:00,Event occurred (device log)") != NULL);
		fclose(f);
		f = tmpfile();
		CHECK_EQ_INT(mf_report_html(&r, f), 0);
		CHECK(ftell(f) > 1000);
		fclose(f);
	}
	mf_corr_free(&c);
	mf_registry_free(reg);
	mf_store_free(st);
	long_names();
	long_log();
	two_phones();
	return TEST_DONE();
}
