/*
 * test_parsers_phone.c - layout discovery (folder, archives, adb backup),
 * SQLite WAL handling on a private copy, encrypted .ab, archives inside
 * archives and their caps (depth, count, bytes decoded), and determinism
 * on the synthetic extraction (tests/data/phone; run from tests/).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
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
		    !strcmp(a, "plugin") || !strcmp(a, "yeelight") || !strcmp(a, "archive")))) {
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
	/* the nested variants wrap these same files: same events */
	static const char *forms[] = { "data/phone/extraction.tar.gz", "data/phone/extraction.zip",
	    "data/phone/adb-backup.tar", "data/phone/adb-backup.ab",
	    "data/phone-variants/nest_zip.zip", "data/phone-variants/nest_tar_ab.tar",
	    "data/phone-variants/nest_folder" };
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

/* ---- archives inside archives ---- */

struct memb {
	const char *name;
	const void *data;
	size_t len;
};

/* Writes a zip (or a tar, gzip-compressed when gz) of the members into
 * buf; returns its length (0 on failure).  zip 2: members stored, their
 * sizes after the data (a data descriptor, as streaming writers do). */
static size_t make_archive(int zip, int gz, const struct memb *m, size_t n, uint8_t *buf,
                           size_t cap)
{
	struct archive *a = archive_write_new();
	size_t used = 0, i;
	int ok;

	ok = (zip ? archive_write_set_format_zip(a) : archive_write_set_format_pax_restricted(a)) ==
	    ARCHIVE_OK && (zip != 2 || archive_write_zip_set_compression_store(a) == ARCHIVE_OK) &&
	    (!gz || archive_write_add_filter_gzip(a) == ARCHIVE_OK) &&
	    archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK;
	for (i = 0; ok && i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, m[i].name);
		if (zip != 2)
			archive_entry_set_size(e, (la_int64_t)m[i].len);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_mtime(e, 1714550400, 0);
		ok = archive_write_header(a, e) == ARCHIVE_OK &&
		    archive_write_data(a, m[i].data, m[i].len) == (la_ssize_t)m[i].len;
		archive_entry_free(e);
	}
	ok = ok && archive_write_close(a) == ARCHIVE_OK;
	archive_write_free(a);
	return ok ? used : 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok;
}

/* mf_phone_scan with options o: the JSON lines (malloc'd), *problems set */
static char *scan_opts(const char *path, const struct mf_phone_opts *o, unsigned *problems)
{
	struct mf_ctx ctx;
	struct mf_buf out;
	struct mf_phone_summary sum;
	char eb[MF_ERRBUF_SIZE] = "", *r;

	mf_ctx_init(&ctx);
	mf_buf_init(&out, 64u << 20);
	ctx.emit = to_buf;
	ctx.emit_arg = &out;
	memset(&sum, 0, sizeof(sum));
	if (mf_phone_scan(&ctx, path, o, NULL, NULL, &sum, eb) != 0) {
		mf_buf_free(&out);
		return NULL;
	}
	*problems = sum.problems;
	r = strdup(mf_buf_cstr(&out) ? mf_buf_cstr(&out) : "");
	mf_buf_free(&out);
	return r;
}

static void test_sniff(void)
{
	static const uint8_t zip[] = "PK\3\4\24\0", gz[] = "\x1f\x8b\x08\0",
	    ab[] = "ANDROID BACKUP\n5\n1\nnone\nxx", sz[] = "7z\xBC\xAF\x27\x1C\0\4",
	    text[] = "<?xml version='1.0'?>", bz[] = "BZh91AY&SY\0";
	uint8_t tar[512];

	memset(tar, 0, sizeof(tar));
	memcpy(tar + 257, "ustar\0" "00", 8);
	CHECK_EQ_INT(mf_extract_sniff(zip, sizeof(zip) - 1), MF_XS_ZIP);
	CHECK_EQ_INT(mf_extract_sniff(gz, sizeof(gz) - 1), MF_XS_GZIP);
	CHECK_EQ_INT(mf_extract_sniff(ab, sizeof(ab) - 1), MF_XS_AB);
	CHECK_EQ_INT(mf_extract_sniff(sz, sizeof(sz) - 1), MF_XS_7Z);
	CHECK_EQ_INT(mf_extract_sniff(bz, sizeof(bz) - 1), MF_XS_BZIP2);
	CHECK_EQ_INT(mf_extract_sniff(tar, sizeof(tar)), MF_XS_TAR);
	CHECK_EQ_INT(mf_extract_sniff(tar, 200), MF_XS_NONE);        /* too short to tell */
	CHECK_EQ_INT(mf_extract_sniff(text, sizeof(text) - 1), MF_XS_NONE);
	CHECK_EQ_INT(mf_extract_sniff(ab, 14), MF_XS_NONE);          /* header cut */
	CHECK(mf_extract_is_package("system/app/MiHome/base.APK"));
	CHECK(mf_extract_is_package("x.jar"));
	CHECK(!mf_extract_is_package("userdata.tar"));
	CHECK(!mf_extract_is_package(".apk"));
}

static void test_nested_caps(void)
{
	static const char prefs[] = "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n"
	    "<map><string name=\"home_room_content\">{&quot;homelist&quot;:[{&quot;id&quot;:"
	    "&quot;77&quot;,&quot;name&quot;:&quot;h&quot;,&quot;uid&quot;:5,&quot;create_time"
	    "&quot;:1700000000,&quot;roomlist&quot;:[]}]}</string></map>\n";
	static const char enc_ab[] = "ANDROID BACKUP\n5\n1\nAES-256\n0011\n2233\n";
	static const char fake7z[] = "7z\xBC\xAF\x27\x1C\0\4 not really";
	static const char badzip[] = "PK\3\4 this is no zip at all, only its first bytes";
	const char *home = "data/data/com.xiaomi.smarthome/shared_prefs/home_room_manager_sp_.xml";
	size_t zlen = 8u << 20, cap = 16u << 20, tl, ol;
	uint8_t *zeros = calloc(1, zlen), *tgz = malloc(cap), *outer = malloc(cap);
	char dir[] = "/tmp/mf_test_nest.XXXXXX", p1[256], p2[256];
	struct mf_phone_opts o;
	unsigned probs = 0;
	char *out;

	CHECK(zeros && tgz && outer && mkdtemp(dir) != NULL);
	if (!zeros || !tgz || !outer) {
		free(zeros);
		free(tgz);
		free(outer);
		return;
	}
	/* outer.zip: inner.tar.gz (8 MiB of zeros, then the app's homes file),
	 * then second.tar.gz (the same) */
	{
		struct memb in[] = { { "zeros.bin", zeros, zlen }, { home, prefs, sizeof(prefs) - 1 } };

		tl = make_archive(0, 1, in, 2, tgz, cap);
		CHECK(tl > 0 && tl < 64u << 10);    /* the zeros compress well */
	}
	{
		struct memb out_m[] = { { "export/inner.tar.gz", tgz, tl },
		    { "export/second.tar.gz", tgz, tl } };

		ol = make_archive(1, 0, out_m, 2, outer, cap);
		CHECK(ol > 0);
	}
	snprintf(p1, sizeof(p1), "%s/outer.zip", dir);
	CHECK(write_file(p1, outer, ol));
	/* default caps: both read, the same home twice (two app roots) */
	mf_phone_opts_default(&o);
	out = scan_opts(p1, &o, &probs);
	CHECK(out && strstr(out, "\"app_root\":\"export/inner.tar.gz!data/data/"
	    "com.xiaomi.smarthome/\""));
	CHECK(out && strstr(out, "\"kind\":\"home\""));
	CHECK(out && !strstr(out, "nested_bytes_limit"));
	CHECK_EQ_INT(probs, 0);
	free(out);
	/* a 1 MiB cap on the bytes decoded: the skip over the zeros (inside the
	 * gzip filter: a few KiB handed to libarchive) reaches it; the inner
	 * archive is cut before the homes file, the second is not opened */
	o.nest_bytes_min = 1u << 20;
	o.nest_bytes_ratio = 0;
	out = scan_opts(p1, &o, &probs);
	CHECK(out && strstr(out, "\"reason\":\"nested_bytes_limit\""));
	CHECK(out && strstr(out, "\"list\":[\"export/inner.tar.gz\",\"export/second.tar.gz\"]"));
	CHECK(out && strstr(out, "\"reason\":\"no_app_data\""));
	CHECK(out && !strstr(out, "\"kind\":\"home\""));
	CHECK_EQ_INT(probs, 2);
	free(out);
	/* the count cap: one nested archive listed, the other counted */
	mf_phone_opts_default(&o);
	o.nest_max = 1;
	out = scan_opts(p1, &o, &probs);
	CHECK(out && strstr(out, "\"reason\":\"nested_count_limit\""));
	CHECK(out && strstr(out, "\"kind\":\"home\""));
	CHECK_EQ_INT(probs, 1);
	free(out);
	/* nesting off: the zip alone holds no app data */
	o.nest_max = 10;
	o.nest_depth_max = 0;
	out = scan_opts(p1, &o, &probs);
	CHECK(out && strstr(out, "\"reason\":\"no_app_data\"") && !strstr(out, "nested_"));
	free(out);
	/* a zip written by a streaming tool (stored, sizes after the data),
	 * inside a tar: streamed too */
	{
		struct memb in[] = { { home, prefs, sizeof(prefs) - 1 } };
		uint8_t *z = malloc(64u << 10);
		size_t zl = z ? make_archive(2, 0, in, 1, z, 64u << 10) : 0;
		struct memb out_m[] = { { "sdcard/app.zip", z, zl } };

		CHECK(zl > 30 && (z[6] & 8));      /* general purpose flag: data descriptor */
		ol = make_archive(0, 0, out_m, 1, outer, cap);
		CHECK(ol > 0);
		snprintf(p2, sizeof(p2), "%s/streamed.tar", dir);
		CHECK(write_file(p2, outer, ol));
		mf_phone_opts_default(&o);
		out = scan_opts(p2, &o, &probs);
		CHECK(out && strstr(out, "\"app_root\":\"sdcard/app.zip!data/data/"
		    "com.xiaomi.smarthome/\""));
		CHECK(out && strstr(out, "\"kind\":\"home\""));
		CHECK_EQ_INT(probs, 0);
		free(out);
		free(z);
		unlink(p2);
	}
	/* the depth bomb: found at depth 5 once the cap allows it */
	mf_phone_opts_default(&o);
	o.nest_depth_max = 5;
	out = scan_opts("data/phone-variants/nest_bomb.zip", &o, &probs);
	CHECK(out && strstr(out, "\"app_root\":\"layer1.zip!layer2.zip!layer3.zip!layer4.zip!"
	    "layer5.zip!data/data/com.xiaomi.smarthome/\""));
	CHECK(out && strstr(out, "\"kind\":\"device_event\""));
	CHECK_EQ_INT(probs, 0);
	free(out);
	/* archives that cannot be read: an encrypted .ab (error), a 7-Zip
	 * inside an archive (warning), a damaged zip (warning), beside the app
	 * and beside a folder named after the package that holds its tar.gz */
	{
		struct memb m[] = { { "backup/com.xiaomi.smarthome.ab", enc_ab, sizeof(enc_ab) - 1 },
		    { "dl/photos.7z", fake7z, sizeof(fake7z) - 1 },
		    { "dl/broken.zip", badzip, sizeof(badzip) - 1 },
		    { home, prefs, sizeof(prefs) - 1 },
		    { "Export/com.xiaomi.smarthome/data.tar.gz", tgz, tl } };

		ol = make_archive(0, 0, m, 5, outer, cap);
		CHECK(ol > 0);
	}
	snprintf(p2, sizeof(p2), "%s/odd.tar", dir);
	CHECK(write_file(p2, outer, ol));
	mf_phone_opts_default(&o);
	out = scan_opts(p2, &o, &probs);
	CHECK(out && strstr(out, "\"reason\":\"adb_backup_encrypted\",\"severity\":\"error\""));
	CHECK(out && strstr(out, "\"evidence\":{\"file\":\"backup/com.xiaomi.smarthome.ab\"}"));
	CHECK(out && strstr(out, "\"reason\":\"nested_archive_not_opened\",\"severity\":"
	    "\"warning\",\"detail\":\"7-Zip"));
	CHECK(out && strstr(out, "\"reason\":\"nested_archive_damaged\",\"severity\":"
	    "\"warning\""));
	CHECK(out && strstr(out, "\"kind\":\"home\""));
	/* an archive in a folder named after the package: an unknown file of
	 * that folder, and opened */
	CHECK(out && strstr(out, "\"app_root\":\"Export/com.xiaomi.smarthome/data.tar.gz!data/"
	    "data/com.xiaomi.smarthome/\""));
	CHECK(out && strstr(out, "\"reason\":\"unknown_files\""));
	CHECK_EQ_INT(probs, 1);
	free(out);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
	free(zeros);
	free(tgz);
	free(outer);
}

int main(void)
{
	setenv("TZ", "UTC0", 1);
	test_classify();
	test_wal();
	test_ab_encrypted();
	test_sniff();
	test_nested_caps();
	test_determinism();
	return TEST_DONE();
}
