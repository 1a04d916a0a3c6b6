/*
 * test_parsers_phone.c - layout discovery (folder, archives, adb backup),
 * SQLite WAL handling on a private copy, encrypted .ab, and determinism
 * on the synthetic extraction (tests/data/phone; run from tests/).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mf_buf.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_extract.h"
#include "mf_phone.h"
#include "mf_phone_int.h"
#include "mf_test.h"

static int to_buf(void *arg, struct mf_event *ev)
{
	struct mf_buf *b = arg;

	mf_event_to_json(ev, b);
	mf_buf_addc(b, '\n');
	mf_event_free(ev);
	return 0;
}

static void test_classify(void)
{
	static const struct {
		const char *path, *rel;
		int role, adb;
		size_t prefix;
	} cases[] = {
		{ "data/data/com.xiaomi.smarthome/shared_prefs/a.xml", "shared_prefs/a.xml",
		  MF_XR_PREFS, 0, 31 },
		{ "Dump/x/databases/miio2.db-wal", "databases/miio2.db-wal", MF_XR_DB_AUX, 0, 7 },
		{ "databases/miio.db", "databases/miio.db", MF_XR_DB, 0, 0 },
		{ "r/files/plugin/install/rn/1/data/lumi.1/data/config.xml",
		  "files/plugin/install/rn/1/data/lumi.1/data/config.xml", MF_XR_PLUGIN_CONFIG, 0, 2 },
		{ "r/files/plugin/install/rn/1/10/project.json", "files/plugin/install/rn/1/10/project.json",
		  MF_XR_PLUGIN_OTHER, 0, 2 },
		{ "apps/com.xiaomi.smarthome/sp/b.xml", "shared_prefs/b.xml", MF_XR_PREFS, 1, 26 },
		/* the app's folder in shared storage (old versions' device-list log) */
		{ "sdcard/SmartHome/logs/plug_DeviceManager/2018-03-02.txt",
		  "logs/plug_DeviceManager/2018-03-02.txt", MF_XR_DEVLIST_LOG, 0, 17 },
		/* a plugin folder given without its files/plugin/ parents */
		{ "rn/1003472/data/lumi.1/data/config.xml",
		  "files/plugin/install/rn/1003472/data/lumi.1/data/config.xml", MF_XR_PLUGIN_CONFIG, 0,
		  0 },
		{ "plugin/install/rn/7/data/config.xml", "files/plugin/install/rn/7/data/config.xml",
		  MF_XR_PLUGIN_CONFIG, 0, 15 },
		/* Android's SharedPreferences backups */
		{ "d/com.xiaomi.smarthome/shared_prefs/a.xml.bak", "shared_prefs/a.xml.bak",
		  MF_XR_PREFS, 0, 23 },
		{ "apps/com.xiaomi.smarthome/sp/b.xml.bak", "shared_prefs/b.xml.bak", MF_XR_PREFS, 1, 26 },
		{ "r/files/plugin/install/rn/1/data/lumi.1/data/config.xml.bak",
		  "files/plugin/install/rn/1/data/lumi.1/data/config.xml.bak", MF_XR_PLUGIN_CONFIG, 0, 2 },
		{ "apps/com.xiaomi.smarthome/db/miio2.db", "databases/miio2.db", MF_XR_DB, 1, 26 },
		{ "apps/com.xiaomi.smarthome/f/plugin/install/rn/1/data/config.xml",
		  "files/plugin/install/rn/1/data/config.xml", MF_XR_PLUGIN_CONFIG, 1, 26 },
		{ "AppDomain-com.xiaomi.mihome/Documents/123_mihome.sqlite", "ios/123_mihome.sqlite",
		  MF_XR_IOS_DB, 0, 38 },
	};
	size_t i, pl;
	char *rel;
	int role, adb;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = mf_extract_classify(cases[i].path, &pl, &rel, &role, &adb);

		CHECK(ok);
		if (!ok)
			continue;
		CHECK_EQ_STR(rel, cases[i].rel);
		CHECK_EQ_INT(role, cases[i].role);
		CHECK_EQ_INT(adb, cases[i].adb);
		CHECK_EQ_INT(pl, cases[i].prefix);
		free(rel);
	}
	CHECK(!mf_extract_classify("data/data/x/cache/a.xml", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("shared_prefs/sub/a.xml", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("apps/x/sp/a.txt", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("x/shared_prefs/.xml.bak", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("sdcard/SmartHome/logs/other/a.txt", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("rn/abc/data/config.xml", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("rn/1003472/data/x.json", &pl, &rel, &role, &adb));
	CHECK(!mf_extract_classify("SmartHome/logs/plug_DeviceManager/d/a.txt", &pl, &rel, &role,
	    &adb));
	{
		char b[256];
		int bak = -1;

		CHECK_EQ_STR(mf_extract_prefs_base("shared_prefs/x.xml.bak", b, sizeof(b), &bak),
		    "x.xml");
		CHECK_EQ_INT(bak, 1);
		CHECK_EQ_STR(mf_extract_prefs_base("shared_prefs/x.xml", b, sizeof(b), &bak), "x.xml");
		CHECK_EQ_INT(bak, 0);
	}
}

static int run_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
	char buf[8192];
	size_t n;

	if (!a || !b) {
		if (a)
			fclose(a);
		if (b)
			fclose(b);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		fwrite(buf, 1, n, b);
	fclose(a);
	return fclose(b);
}

/* A WAL-mode miio2.db whose WAL (never checkpointed: the files are copied
 * while the writer is still open) inserts, updates and deletes rows. */
static void test_wal(void)
{
	char dir[] = "/tmp/mf_test_wal.XXXXXX", p[512], q[600], app[256];
	struct mf_buf out;
	struct mf_ctx ctx;
	struct mf_phone_summary sum;
	char eb[MF_ERRBUF_SIZE] = "";
	sqlite3 *db;
	const char *o;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/w.db", dir);
	CHECK_EQ_INT(sqlite3_open(p, &db), SQLITE_OK);
	run_sql(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
	    "CREATE TABLE devicerecord(id INTEGER PRIMARY KEY, did TEXT, model TEXT, name TEXT,"
	    " localIP TEXT, token TEXT, userId TEXT);"
	    "INSERT INTO devicerecord VALUES(1,'42','chuangmi.plug.m1','Plug','10.0.0.2',"
	    "'509cd46147f2c367da006fda76a48f5f','123456789');"
	    "INSERT INTO devicerecord VALUES(2,'77','chuangmi.plug.v3','Old','','','123456789');"
	    "PRAGMA wal_checkpoint(TRUNCATE);"
	    "INSERT INTO devicerecord VALUES(3,'lumi.5','lumi.sensor_wleak.aq1','Leak','','','');"
	    "UPDATE devicerecord SET name='Heater' WHERE id=1;"
	    "DELETE FROM devicerecord WHERE id=2;");
	/* the app folder: <dir>/app/databases/miio2.db + -wal */
	snprintf(app, sizeof(app), "%s/com.xiaomi.smarthome", dir);
	mkdir(app, 0700);
	snprintf(q, sizeof(q), "%s/databases", app);
	mkdir(q, 0700);
	snprintf(q, sizeof(q), "%s/databases/miio2.db", app);
	CHECK_EQ_INT(copy_file(p, q), 0);
	snprintf(p, sizeof(p), "%s/w.db-wal", dir);
	snprintf(q, sizeof(q), "%s/databases/miio2.db-wal", app);
	CHECK_EQ_INT(copy_file(p, q), 0);
	sqlite3_close(db);

	mf_ctx_init(&ctx);
	mf_buf_init(&out, 16u << 20);
	ctx.emit = to_buf;
	ctx.emit_arg = &out;
	CHECK_EQ_INT(mf_phone_scan(&ctx, app, NULL, NULL, NULL, &sum, eb), 0);
	CHECK_EQ_INT(sum.problems, 0);
	o = mf_buf_cstr(&out);
	CHECK(o && strstr(o, "\"did\":\"lumi.5\"") && strstr(o, "\"wal_state\":\"wal_only\""));
	CHECK(o && strstr(o, "\"device_name\":\"Heater\"") &&
	    strstr(o, "\"wal_state\":\"wal_modified\""));
	CHECK(o && strstr(o, "\"did\":\"77\"") && strstr(o, "\"wal_state\":\"deleted_in_wal\""));
	CHECK(o && strstr(o, "\"kind\":\"token\""));
	CHECK(o && !strstr(o, "509cd46147f2c367da006fda76a48f5f"));   /* redacted */
	CHECK(o && strstr(o, "\"uid\":\"123456789\""));
	/* the evidence is untouched: no -shm was created beside it */
	snprintf(q, sizeof(q), "%s/databases/miio2.db-shm", app);
	CHECK(access(q, F_OK) != 0);
	mf_buf_free(&out);
	/* the private copies are gone */
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		CHECK_EQ_INT(system(cmd), 0);
	}
}

static void test_ab_encrypted(void)
{
	char path[] = "/tmp/mf_test_ab.XXXXXX";
	int fd = mkstemp(path);
	static const char hdr[] = "ANDROID BACKUP\n5\n1\nAES-256\nAAAA\n";
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_phone_summary sum;
	char eb[MF_ERRBUF_SIZE] = "";

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, hdr, sizeof(hdr) - 1), (long long)(sizeof(hdr) - 1));
	close(fd);
	mf_ctx_init(&ctx);
	mf_buf_init(&out, 1u << 20);
	ctx.emit = to_buf;
	ctx.emit_arg = &out;
	CHECK_EQ_INT(mf_phone_scan(&ctx, path, NULL, NULL, NULL, &sum, eb), 0);
	CHECK_EQ_INT(sum.problems, 1);
	CHECK(strstr(mf_buf_cstr(&out), "\"reason\":\"adb_backup_encrypted\"") != NULL);
	mf_buf_free(&out);
	unlink(path);
	/* not an extraction at all */
	mf_ctx_init(&ctx);
	CHECK_EQ_INT(mf_phone_scan(&ctx, "unit/test_parsers_phone.c", NULL, NULL, NULL, &sum, eb),
	    MF_ERR_FORMAT);
	CHECK_EQ_INT(mf_phone_scan(&ctx, "/nonexistent/x", NULL, NULL, NULL, &sum, eb), MF_ERR_IO);
}

/* Output without what legitimately differs between forms: the input line,
 * the app/file listing and the paths/hashes in evidence. */
static char *scan(const char *path, int strip)
{
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_phone_summary sum;
	char eb[MF_ERRBUF_SIZE] = "", *r, *line, *save = NULL;
	struct mf_buf keep;

	mf_ctx_init(&ctx);
	mf_buf_init(&out, 64u << 20);
	ctx.emit = to_buf;
	ctx.emit_arg = &out;
	if (mf_phone_scan(&ctx, path, NULL, NULL, NULL, &sum, eb) != 0) {
		mf_buf_free(&out);
		return NULL;
	}
	if (!strip) {
		r = strdup(mf_buf_cstr(&out) ? mf_buf_cstr(&out) : "");
		mf_buf_free(&out);
		return r;
	}
	mf_buf_init(&keep, 64u << 20);
	for (line = strtok_r((char *)mf_buf_cstr(&out), "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line), *e;
		char *s;
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(j, "artifact"));

		if (!j || (a && (!strcmp(a, "input") || !strcmp(a, "app") || !strcmp(a, "file") ||
		    !strcmp(a, "plugin") || !strcmp(a, "yeelight")))) {
			cJSON_Delete(j);
			continue;
		}
		e = cJSON_GetObjectItem(j, "evidence");
		cJSON_DeleteItemFromObject(e, "file");
		cJSON_DeleteItemFromObject(e, "sha256");
		cJSON_DeleteItemFromObject(j, "detail");
		s = cJSON_PrintUnformatted(j);
		mf_buf_addstr(&keep, s);
		mf_buf_addc(&keep, '\n');
		free(s);
		cJSON_Delete(j);
	}
	r = strdup(mf_buf_cstr(&keep) ? mf_buf_cstr(&keep) : "");
	mf_buf_free(&keep);
	mf_buf_free(&out);
	return r;
}

static void test_determinism(void)
{
	static const char *forms[] = { "data/phone/extraction.tar.gz", "data/phone/extraction.zip",
	    "data/phone/adb-backup.tar", "data/phone/adb-backup.ab" };
	char *a, *b, *base;
	size_t i;

	if (access("data/phone/fs", F_OK) != 0) {
		printf("skip: tests/data/phone missing\n");
		return;
	}
	a = scan("data/phone/extraction.tar.gz", 0);
	b = scan("data/phone/extraction.tar.gz", 0);
	CHECK(a && b && strcmp(a, b) == 0);      /* two runs, identical output */
	CHECK(a && strlen(a) > 10000);
	free(a);
	free(b);
	base = scan("data/phone/fs", 1);
	CHECK(base && strstr(base, "\"kind\":\"device_event\""));
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *f = scan(forms[i], 1);

		CHECK(f && base && strcmp(f, base) == 0);
		if (f && base && strcmp(f, base) != 0)
			fprintf(stderr, "%s differs from fs/\n", forms[i]);
		free(f);
	}
	free(base);
}

int main(void)
{
	setenv("TZ", "UTC0", 1);
	test_classify();
	test_wal();
	test_ab_encrypted();
	test_determinism();
	return TEST_DONE();
}
