/*
 * mf_phone.c - one phone extraction, end to end; see mf_phone.h.
 *
 * Order matters only where one artifact names things for another, and is
 * fixed so that the output is deterministic:
 *   plugin registry (model <- plugin id) -> homes/rooms (did -> room, owner
 *   uid) -> databases (did -> model/name, tokens, more uids) -> files named
 *   by MD5(uid), current home, environment, Yeelight list -> scene caches
 *   (uid recovered from the name) -> device logs (named devices) -> every
 *   other prefs file -> accounts.
 * Times: the unit-detection reference is the newest modification time of
 * the app files found under the root (else the input's own mtime); never
 * the clock of the machine running the tool.  A reference before 2014 is
 * not one: zip members without a time carry the DOS epoch 1980-01-01 and
 * some tar writers store 0, and against such a reference every seconds
 * value of the app (2014 or later) would be read as milliseconds.
 */
#include "mf_phone.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_extract.h"
#include "mf_phone_int.h"
#include "mf_prefs.h"
#include "mf_time.h"

void mf_phone_opts_default(struct mf_phone_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->file_max = 64u << 20;
	o->db_max = 4ULL << 30;
	o->mem_max = 1024u << 20;
	o->entries_max = 2000000;
	o->json_depth_max = 64;
	o->nest_depth_max = 3;
	o->nest_max = 10000;
	o->nest_bytes_min = 1ULL << 30;
	o->nest_bytes_ratio = 64;
}

static const char *role_name(int role)
{
	switch (role) {
	case MF_XR_PREFS: return "shared_prefs";
	case MF_XR_PLUGIN_CONFIG: return "plugin_config";
	case MF_XR_DB: return "database";
	case MF_XR_DB_AUX: return "database_aux";
	case MF_XR_IOS_DB: return "ios_database";
	case MF_XR_OTHER: return "other";
	case MF_XR_DEVLIST_LOG: return "device_list_log";
	default: return "plugin_file";
	}
}

static const char *kind_name(int k)
{
	return k == MF_XK_MIHOME ? "mihome" : k == MF_XK_YEELIGHT ? "yeelight" : "ios-mihome";
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void set_file(struct mf_phone *ph, const struct mf_xfile *f)
{
	ph->file = f->path;
	ph->sha256 = f->sha256;
}

/* Parses a prefs file; a damaged one is an anomaly and what was read
 * before the damage is still returned (0: go on with p). */
static int load_prefs(struct mf_phone *ph, const struct mf_xfile *f, struct mf_prefs *p)
{
	char eb[MF_ERRBUF_SIZE] = "";
	int rc;

	set_file(ph, f);
	rc = mf_prefs_parse(f->data, f->len, NULL, p, eb);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc)
		ph_anomaly(ph, NULL, 1, rc == MF_ERR_LIMIT ? "limit_reached" : "xml_damaged",
		    "%s%s", eb, p->n ? " (entries before the damage are reported)" : "");
	if (p->truncated_values)
		ph_anomaly(ph, NULL, 0, "value_truncated", "a value longer than the cap was cut");
	if (p->nul_replaced)
		ph_anomaly(ph, NULL, 0, "value_nul_replaced", "%zu NUL characters (written "
		    "\"&#0;\" by Android) are shown as U+FFFD", p->nul_replaced);
	return 0;
}

/* A SharedPreferences backup (<name>.xml.bak) is read like <name>.xml and
 * said: it exists only when a write did not finish, and Android then
 * reads it instead of <name>.xml (SharedPreferencesImpl.loadFromDisk). */
static int backup_note(struct mf_phone *ph, const struct mf_xfile *f)
{
	char b[256];
	int bak;

	mf_extract_prefs_base(f->rel, b, sizeof(b), &bak);
	if (!bak)
		return 0;
	return ph_anomaly(ph, NULL, 0, "prefs_backup", "Android's backup of %s: a write of "
	    "that file did not finish, and the app reads this backup instead of it; read "
	    "here like that file", b);
}

static int readable(const struct mf_xfile *f)
{
	return f->read_state == 1 && (f->data || f->disk);
}

static int do_prefs(struct mf_phone *ph, struct mf_xfile *f, int how)
{
	struct mf_prefs p;
	int rc;

	if (!readable(f))
		return 0;
	rc = load_prefs(ph, f, &p);
	if (rc == 0)
		rc = backup_note(ph, f);
	if (rc == 0) {
		char bb[256];
		const char *b = mf_extract_prefs_base(f->rel, bb, sizeof(bb), NULL);

		if (how == 1)
			rc = mf_scene_prefs(ph, b, &p);
		else if (how == 2)
			rc = mf_generic_prefs(ph, "prefs", &p, 0, NULL);
		else
			rc = mf_homes_prefs(ph, b, &p);
	}
	mf_prefs_free(&p);
	return rc;
}

/* files/plugin/install/rn/<pluginId>/data/<did>/data/config.xml */
static int do_config(struct mf_phone *ph, struct mf_xfile *f)
{
	char buf[1024], *comp[16];
	const char *pid = NULL, *did = NULL;
	struct mf_prefs p;
	size_t n = 0;
	char *s;
	int rc;

	if (!readable(f))
		return 0;
	snprintf(buf, sizeof(buf), "%s", f->rel);
	s = buf;
	while (s && n < 16) {
		char *e = strchr(s, '/');

		comp[n++] = s;
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	if (n >= 6 && strcmp(comp[2], "install") == 0)
		pid = comp[4];
	if (n == 9 && strcmp(comp[5], "data") == 0 && strcmp(comp[7], "data") == 0)
		did = comp[6];
	rc = load_prefs(ph, f, &p);
	if (rc == 0)
		rc = backup_note(ph, f);
	if (rc == 0)
		rc = mf_devlog_config(ph, &p, did, pid);
	mf_prefs_free(&p);
	return rc;
}

static int known_db(const char *rel)
{
	return strcmp(rel, "databases/miio.db") == 0 || strcmp(rel, "databases/miio2.db") == 0 ||
	    strncmp(rel, "ios/", 4) == 0;
}

static int do_db(struct mf_phone *ph, struct mf_extract *x, struct mf_xfile *f)
{
	char aux[4200];
	struct mf_xfile *w, *j;

	if (!readable(f))
		return 0;
	set_file(ph, f);
	snprintf(aux, sizeof(aux), "%s-wal", f->rel);
	w = mf_extract_find(x, f->root, aux);
	snprintf(aux, sizeof(aux), "%s-journal", f->rel);
	j = mf_extract_find(x, f->root, aux);
	if (!known_db(f->rel)) {
		/* an unknown file in databases/ need not be SQLite */
		FILE *fp = fopen(f->disk, "rb");
		char m[16];
		int ok = fp && fread(m, 1, 16, fp) == 16 && memcmp(m, "SQLite format 3", 16) == 0;

		if (fp)
			fclose(fp);
		if (!ok)   /* listed as a file; said, not dropped */
			return ph_anomaly(ph, NULL, 0, "db_not_sqlite",
			    "%s is in databases/ but is not an SQLite database; not read", f->rel);
	}
	return mf_phonedb_file(ph, f->disk, base_of(f->rel), w && readable(w) && w->size > 0,
	    j && readable(j) && j->size > 0);
}

static int file_event(struct mf_phone *ph, const struct mf_xfile *f)
{
	struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "file", "data");
	cJSON *e;

	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "path", f->path);
	mf_event_str(ev, "rel", f->rel);
	mf_event_str(ev, "role", role_name(f->role));
	mf_json_u64(ev->body, "size", f->size);
	if (f->sha256[0])
		mf_event_str(ev, "sha256", f->sha256);
	if (f->mtime_ns != MF_TIME_NONE) {
		char t[32];

		mf_time_iso(f->mtime_ns, t);
		mf_event_str(ev, "mtime", t);
	}
	if (f->dup)
		mf_event_num(ev, "duplicate_members", (double)f->dup);
	e = mf_json_obj();
	mf_json_str(e, "file", f->path);
	mf_event_add(ev, "evidence", e);
	return ph_emit(ph, ev);
}

/* Files of the app folder no parser knows: one anomaly listing them (not
 * one per file: an app folder can hold thousands of cache files). */
static int unknown_files(struct mf_phone *ph, const struct mf_extract *x, size_t root,
                         const char *pfx)
{
	cJSON *list = cJSON_CreateArray();
	struct mf_event *ev;
	size_t i, n = 0;
	uint64_t bytes = 0;

	for (i = 0; i < x->nfiles; i++) {
		const struct mf_xfile *f = &x->files[i];

		if (f->root != root || f->role != MF_XR_OTHER)
			continue;
		bytes += f->size;
		if (n++ < 1000)
			cJSON_AddItemToArray(list, cJSON_CreateString(f->rel));
	}
	if (!n) {
		cJSON_Delete(list);
		return 0;
	}
	ev = ph_event(ph, MF_TIME_NONE, "file", "anomaly");
	if (!ev) {
		cJSON_Delete(list);
		return MF_ERR_NOMEM;
	}
	mf_event_str(ev, "reason", "unknown_files");
	mf_event_str(ev, "severity", "info");
	mf_event_str(ev, "detail", "files of the app folder that no parser knows: listed, not read");
	mf_event_num(ev, "files", (double)n);
	mf_event_num(ev, "bytes", (double)bytes);
	mf_event_add(ev, "list", list);
	{
		cJSON *e = mf_json_obj();

		mf_json_str(e, "file", pfx);
		mf_event_add(ev, "evidence", e);
	}
	return ph_emit(ph, ev);
}

static int accounts(struct mf_phone *ph)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < ph->nuid && rc == 0; i++) {
		struct ph_uid *u = &ph->uid[i];
		struct mf_event *ev = ph_event(ph, u->first_home_ns, "account", "account");

		if (!ev)
			return MF_ERR_NOMEM;
		mf_event_str(ev, "uid", u->uid);
		mf_event_bool(ev, "app_user", u->owner);
		if (u->first_home_ns != MF_TIME_NONE)
			mf_event_str(ev, "ts_meaning", "earliest creation of an own home "
			    "(approximates the account's first use of the app)");
		mf_event_add(ev, "found_in", cJSON_Duplicate(u->found_in, 1));
		mf_event_add(ev, "evidence", ph_evidence(ph, NULL));
		rc = ph_emit(ph, ev);
	}
	return rc;
}

static int plugin_files(struct mf_phone *ph, struct mf_extract *x, size_t root, const char *pfx)
{
	cJSON *list = cJSON_CreateArray();
	struct mf_event *ev;
	size_t i, n = 0;

	for (i = 0; i < x->nfiles; i++) {
		const struct mf_xfile *f = &x->files[i];

		if (f->root != root || f->role != MF_XR_PLUGIN_OTHER)
			continue;
		if (n++ < 1000)
			cJSON_AddItemToArray(list, cJSON_CreateString(f->rel));
	}
	if (!n) {
		cJSON_Delete(list);
		return 0;
	}
	ev = ph_event(ph, MF_TIME_NONE, "plugin", "data");
	if (!ev) {
		cJSON_Delete(list);
		return MF_ERR_NOMEM;
	}
	mf_event_str(ev, "what", "plugin files not parsed (bundles, images)");
	mf_event_num(ev, "files", (double)n);
	mf_event_add(ev, "list", list);
	{
		cJSON *e = mf_json_obj();

		mf_json_str(e, "file", pfx);
		mf_event_add(ev, "evidence", e);
	}
	return ph_emit(ph, ev);
}

/* Stage of a file in the fixed order (see the top comment); 0: skip. */
static int stage_of(const struct mf_xfile *f)
{
	char bb[256], md5[33];
	const char *r = f->rel, *b = mf_extract_prefs_base(r, bb, sizeof(bb), NULL);

	switch (f->role) {
	case MF_XR_PREFS:
		if (strcmp(b, "plugin_device_list_pref.xml") == 0)
			return 1;
		if (strcmp(b, "home_room_manager_sp_.xml") == 0)
			return 2;
		if (strncmp(b, "home_room_manager_sp_", 21) == 0 ||
		    strcmp(b, "home_room_transfer_state.xml") == 0 ||
		    strcmp(b, "home_env_info.xml") == 0 || strcmp(b, "miot.xml") == 0)
			return 6;
		if (mf_scene_is_cache_name(b, md5))
			return 7;
		return 9;
	case MF_XR_DB:
		if (strcmp(r, "databases/miio2.db") == 0)
			return 3;
		if (strcmp(r, "databases/miio.db") == 0)
			return 4;
		return 5;
	case MF_XR_IOS_DB:
	case MF_XR_DEVLIST_LOG:
		return 3;
	case MF_XR_PLUGIN_CONFIG:
		return 8;
	default:
		return 0;
	}
}

/* The Android user an app folder belongs to, from its path: .../user/<n>/
 * or .../user_de/<n>/ before the package folder (0 the owner, 10+ other
 * users or work profiles, 999 MIUI's "Dual apps"), .../data/data/ = 0;
 * -1 when the path does not say. */
static long android_user(const char *prefix, const char *name)
{
	size_t pl = strlen(prefix), nl = strlen(name), e;
	const char *p;
	char *end;
	long u;

	/* prefix = ".../<parent>/<name>/" */
	if (pl < nl + 2 || strncmp(prefix + pl - nl - 1, name, nl) != 0)
		return -1;
	e = pl - nl - 1;           /* end of ".../<parent>/" */
	if (e < 2)
		return -1;         /* the input is the app folder itself */
	if (e >= 10 && strncmp(prefix + e - 10, "data/data/", 10) == 0 &&
	    (e == 10 || prefix[e - 11] == '/' || prefix[e - 11] == '!'))
		return 0;
	p = prefix + e - 1;        /* the '/' before <name> */
	while (p > prefix && p[-1] != '/')
		p--;
	if (*p < '0' || *p > '9')
		return -1;
	u = strtol(p, &end, 10);
	if (*end != '/' || p - prefix < 5 || (strncmp(p - 5, "user/", 5) != 0 &&
	    (p - prefix < 8 || strncmp(p - 8, "user_de/", 8) != 0)))
		return -1;
	return u;
}

/* Does root b hold the same files (relative path, size, SHA-256) as root
 * a?  A tree that holds the app folder twice (/data/data/<pkg> and
 * /data/user/0/<pkg>, one a symbolic link on the phone that a copy
 * followed) would otherwise report everything twice. */
static int same_root(const struct mf_extract *x, size_t a, size_t b)
{
	size_t i = 0, k = 0;

	if (x->roots[a].nfiles != x->roots[b].nfiles || x->roots[a].kind != x->roots[b].kind ||
	    x->roots[a].adb != x->roots[b].adb)
		return 0;
	for (;;) {
		const struct mf_xfile *f, *g;

		while (i < x->nfiles && x->files[i].root != a)
			i++;
		while (k < x->nfiles && x->files[k].root != b)
			k++;
		if (i == x->nfiles || k == x->nfiles)
			return i == x->nfiles && k == x->nfiles;
		f = &x->files[i++];
		g = &x->files[k++];
		if (strcmp(f->rel, g->rel) != 0 || f->size != g->size ||
		    strcmp(f->sha256, g->sha256) != 0 || f->read_state != g->read_state)
			return 0;
	}
}

/* 2014-01-01: no Mi Home artifact is older (see the top comment) */
#define REF_FLOOR_NS (1388534400LL * MF_NS_PER_S)

static int one_root(struct mf_ctx *ctx, struct mf_extract *x, size_t root,
                    mf_phone_problem_fn problem, void *arg, struct mf_phone_summary *sum,
                    int json_depth)
{
	struct mf_xroot *r = &x->roots[root];
	long user = android_user(r->prefix, r->name);
	size_t dup = root;
	int64_t ref = MF_TIME_NONE;
	const char *ref_from = NULL;
	struct mf_phone ph;
	struct mf_event *ev;
	size_t i;
	int stage, rc = 0;

	if (r->newest_ns != MF_TIME_NONE && r->newest_ns >= REF_FLOOR_NS) {
		ref = r->newest_ns;
		ref_from = "newest modification time of the app files";
	} else if (x->mtime_ns != MF_TIME_NONE && x->mtime_ns >= REF_FLOOR_NS) {
		ref = x->mtime_ns;
		ref_from = r->newest_ns != MF_TIME_NONE ? "the input's modification time (the "
		    "app files' times are before 2014: not real)" : "the input's modification time";
	}
	ph_init(&ph, ctx, ref == MF_TIME_NONE ? 0 : ref);
	ph.json_depth_max = json_depth;
	ph.problem = problem;
	ph.problem_arg = arg;
	ev = ph_event(&ph, MF_TIME_NONE, "app", "data");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "app_root", r->prefix[0] ? r->prefix : "./");
	mf_event_str(ev, "name", r->name);
	mf_event_str(ev, "app", kind_name(r->kind));
	mf_event_str(ev, "layout", r->adb ? "adb-backup" : r->kind == MF_XK_IOS ? "ios" :
	    r->shared ? "shared-storage" : "android");
	mf_event_num(ev, "files", (double)r->nfiles);
	if (r->nest >= 0)
		mf_event_str(ev, "archive", x->nests[r->nest].path);
	if (user >= 0)
		mf_event_num(ev, "android_user", (double)user);
	for (i = 0; i < root && dup == root; i++)
		if (same_root(x, i, root))
			dup = i;
	if (dup != root)
		mf_event_str(ev, "same_as", x->roots[dup].prefix[0] ? x->roots[dup].prefix : "./");
	if (ref != MF_TIME_NONE) {
		char t[32];

		mf_time_iso(ref, t);
		mf_event_str(ev, "time_reference", t);
		mf_event_str(ev, "time_reference_from", ref_from);
	}
	if (r->newest_ns != MF_TIME_NONE && r->newest_ns < REF_FLOOR_NS) {
		char t[32];

		mf_time_iso(r->newest_ns, t);
		mf_event_str(ev, "time_reference_ignored", t);
	}
	{
		cJSON *e = mf_json_obj();

		mf_json_str(e, "file", r->prefix[0] ? r->prefix : "./");
		mf_event_add(ev, "evidence", e);
	}
	rc = ph_emit(&ph, ev);
	for (i = 0; i < x->nfiles && rc == 0; i++) {
		struct mf_xfile *f = &x->files[i];

		if (f->root != root || f->role == MF_XR_PLUGIN_OTHER || f->role == MF_XR_OTHER)
			continue;
		rc = file_event(&ph, f);
		if (rc == 0 && f->read_state < 0) {
			set_file(&ph, f);
			rc = ph_anomaly(&ph, NULL, 1, f->read_state == -2 ? "file_too_large" :
			    "file_unreadable", "%s", f->read_error);
		}
		if (rc == 0 && readable(f) && f->role != MF_XR_DB_AUX)
			sum->files++;
	}
	if (rc == 0 && dup != root) {
		/* the same bytes as an app folder already read: said, not read twice */
		ph.file = r->prefix[0] ? r->prefix : "./";
		ph.sha256 = NULL;
		rc = ph_anomaly(&ph, NULL, 0, "duplicate_app_root", "every file of this app folder "
		    "is byte for byte a file of %s (the same folder reached by two paths, e.g. "
		    "/data/data and /data/user/0): its events are not repeated",
		    x->roots[dup].prefix[0] ? x->roots[dup].prefix : "./");
		sum->problems += ph.nproblems;
		ph_free(&ph);
		return rc;
	}
	for (stage = 1; stage <= 9 && rc == 0; stage++) {
		for (i = 0; i < x->nfiles && rc == 0; i++) {
			struct mf_xfile *f = &x->files[i];

			if (f->root != root || stage_of(f) != stage)
				continue;
			if (f->role == MF_XR_DB || f->role == MF_XR_IOS_DB)
				rc = do_db(&ph, x, f);
			else if (f->role == MF_XR_DEVLIST_LOG) {
				if (readable(f)) {
					set_file(&ph, f);
					rc = mf_tokenlog_file(&ph, (const char *)f->data, f->len);
				}
			}
			else if (f->role == MF_XR_PLUGIN_CONFIG)
				rc = do_config(&ph, f);
			else
				rc = do_prefs(&ph, f, stage == 7 ? 1 : stage == 9 ? 2 : 0);
		}
	}
	ph.file = r->prefix[0] ? r->prefix : "./";
	ph.sha256 = NULL;
	if (rc == 0)
		rc = plugin_files(&ph, x, root, ph.file);
	if (rc == 0)
		rc = unknown_files(&ph, x, root, ph.file);
	if (rc == 0)
		rc = accounts(&ph);
	sum->problems += ph.nproblems;
	ph_free(&ph);
	return rc;
}

/* An anomaly about the input as a whole, or about the archive file in it
 * (nested); severity "error" is a problem (callback, exit status 1).  list
 * (owned) may be NULL. */
static void input_anomaly(struct mf_ctx *ctx, const char *file, int nested, const char *reason,
                          const char *severity, const char *msg, cJSON *list, uint64_t count,
                          mf_phone_problem_fn problem, void *arg, struct mf_phone_summary *sum)
{
	struct mf_event *ev = mf_event_new(MF_TIME_NONE, "phone", NULL, "anomaly");

	if (ev) {
		cJSON *e = mf_json_obj();

		ev->artifact = "input";
		mf_event_str(ev, "reason", reason);
		mf_event_str(ev, "severity", severity);
		mf_event_str(ev, "detail", msg);
		if (list) {
			mf_json_u64(ev->body, "archives", count);
			mf_event_add(ev, "list", list);
			list = NULL;
		}
		mf_json_str(e, "file", file);
		mf_event_add(ev, "evidence", e);
		mf_emit(ctx, ev);
	}
	cJSON_Delete(list);
	if (strcmp(severity, "error") != 0)
		return;
	sum->problems++;
	if (problem) {
		char line[800];

		/* about one archive in the input: said which */
		snprintf(line, sizeof(line), "%s%s%s", nested ? file : "", nested ? ": " : "", msg);
		problem(arg, line);
	}
}

static void input_problem(struct mf_ctx *ctx, const char *name, const char *reason,
                          const char *msg, mf_phone_problem_fn problem, void *arg,
                          struct mf_phone_summary *sum)
{
	input_anomaly(ctx, name, 0, reason, "error", msg, NULL, 0, problem, arg, sum);
}

static const char *nest_state(int s)
{
	switch (s) {
	case MF_XN_OPENED: return "opened";
	case MF_XN_DAMAGED: return "damaged";
	case MF_XN_BYTES: return "cut";
	default: return "not_opened";
	}
}

/* Archives found inside the input (see mf_extract.h and docs/EVENTS.md
 * "Archives inside the input"): one event per archive that held app
 * data, one anomaly per archive that could not be read, one listing the
 * archives opened without app data, and one per cap reached. */
static void nest_report(struct mf_ctx *ctx, const struct mf_extract *x, const char *name,
                        int depth_max, mf_phone_problem_fn problem, void *arg,
                        struct mf_phone_summary *sum)
{
	cJSON *without = cJSON_CreateArray(), *deep = cJSON_CreateArray(),
	    *bytes = cJSON_CreateArray();
	uint64_t nwithout = 0, ndeep = 0, nbytes = 0;
	char msg[600];
	size_t i;

	for (i = 0; i < x->nnests; i++) {
		const struct mf_xnest *n = &x->nests[i];

		if (n->app_files > 0) {
			struct mf_event *ev = mf_event_new(MF_TIME_NONE, "phone", NULL, "data");
			cJSON *e = mf_json_obj();

			if (ev) {
				ev->artifact = "archive";
				mf_event_str(ev, "path", n->path);
				mf_event_str(ev, "format", n->format);
				mf_event_num(ev, "depth", n->depth);
				mf_event_str(ev, "state", nest_state(n->state));
				if (n->size)
					mf_json_u64(ev->body, "size", n->size);
				mf_json_u64(ev->body, "entries", n->entries);
				mf_json_u64(ev->body, "app_files", n->app_files);
				if (n->parent >= 0)
					mf_event_str(ev, "in", x->nests[n->parent].path);
				mf_json_str(e, "file", n->path);
				mf_event_add(ev, "evidence", e);
				mf_emit(ctx, ev);
			} else {
				cJSON_Delete(e);
			}
		}
		switch (n->state) {
		case MF_XN_OPENED:
			if (n->app_files == 0 && nwithout++ < 1000)
				cJSON_AddItemToArray(without, cJSON_CreateString(n->path));
			break;
		case MF_XN_DAMAGED:
			/* an error when it held app data (some may be missing), else
			 * a warning: whatever it held was not app data so far */
			input_anomaly(ctx, n->path, 1, "nested_archive_damaged", n->app_files ?
			    "error" : "warning", n->detail, NULL, 0, problem, arg, sum);
			break;
		case MF_XN_ENCRYPTED:
			input_anomaly(ctx, n->path, 1, "adb_backup_encrypted", "error", n->detail, NULL, 0,
			    problem, arg, sum);
			break;
		case MF_XN_UNSUPPORTED:
			input_anomaly(ctx, n->path, 1, "nested_archive_not_opened", "warning", n->detail,
			    NULL, 0, problem, arg, sum);
			break;
		case MF_XN_DEPTH:
			if (ndeep++ < 1000)
				cJSON_AddItemToArray(deep, cJSON_CreateString(n->path));
			break;
		case MF_XN_BYTES:
			if (nbytes++ < 1000)
				cJSON_AddItemToArray(bytes, cJSON_CreateString(n->path));
			break;
		default:
			break;
		}
	}
	if (nwithout) {
		input_anomaly(ctx, name, 0, "nested_archives_without_app_data", "info", "archives inside "
		    "the input that were opened and hold no Mi Home app data: listed, nothing in "
		    "them is reported", without, nwithout, problem, arg, sum);
		without = NULL;
	}
	if (ndeep) {
		snprintf(msg, sizeof(msg), "%" PRIu64 " archive(s) nested more than %d deep were "
		    "not opened (a nesting bomb, or an extraction wrapped once too often: extract "
		    "the outer layer and give the rest as an input)", ndeep, depth_max);
		input_anomaly(ctx, name, 0, "nested_depth_limit", "error", msg, deep, ndeep, problem,
		    arg, sum);
		deep = NULL;
	}
	if (nbytes) {
		snprintf(msg, sizeof(msg), "the bytes decoded out of nested archives reached the cap "
		    "of %" PRIu64 " (a decompression bomb, or a very large archive inside another): "
		    "%" PRIu64 " archive(s) cut or not opened", x->nest_budget, nbytes);
		input_anomaly(ctx, name, 0, "nested_bytes_limit", "error", msg, bytes, nbytes, problem,
		    arg, sum);
		bytes = NULL;
	}
	if (x->nest_dropped) {
		snprintf(msg, sizeof(msg), "more than %zu archives inside the input: %" PRIu64
		    " more were neither opened nor listed", x->nnests, x->nest_dropped);
		input_anomaly(ctx, name, 0, "nested_count_limit", "error", msg, NULL, 0, problem, arg,
		    sum);
	}
	cJSON_Delete(without);
	cJSON_Delete(deep);
	cJSON_Delete(bytes);
}

int mf_phone_scan(struct mf_ctx *ctx, const char *path, const struct mf_phone_opts *o,
                  mf_phone_problem_fn problem, void *arg, struct mf_phone_summary *sum,
                  char *errbuf)
{
	struct mf_phone_opts d;
	struct mf_extract_limits lim;
	struct mf_phone_summary dummy;
	struct mf_extract *x = NULL;
	struct mf_event *ev;
	const char *name;
	uint64_t ev0 = ctx->st.events;
	size_t i, nroots = 0;
	int rc;

	if (!o) {
		mf_phone_opts_default(&d);
		o = &d;
	}
	if (!sum)
		sum = &dummy;
	memset(sum, 0, sizeof(*sum));
	name = o->name ? o->name : base_of(path);
	lim.file_max = o->file_max;
	lim.db_max = o->db_max;
	lim.mem_max = o->mem_max;
	lim.entries_max = o->entries_max;
	lim.tmpdir = o->tmpdir;
	lim.nest_depth_max = o->nest_depth_max;
	lim.nest_max = o->nest_max;
	lim.nest_bytes_min = o->nest_bytes_min;
	lim.nest_bytes_ratio = o->nest_bytes_ratio;
	rc = mf_extract_open(path, &lim, &x, errbuf);
	if (rc) {
		mf_extract_free(x);
		return rc;
	}
	ev = mf_event_new(MF_TIME_NONE, "phone", NULL, "data");
	if (!ev) {
		mf_extract_free(x);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	ev->artifact = "input";
	mf_event_str(ev, "path", path);
	mf_event_str(ev, "name", name);
	mf_event_str(ev, "format", x->format);
	if (!x->is_dir) {
		mf_json_u64(ev->body, "size", x->size);
		mf_event_str(ev, "sha256", x->sha256);
	}
	mf_json_u64(ev->body, "entries", x->entries);
	if (x->ab_header[0])
		mf_event_str(ev, "adb_backup", x->ab_header);
	if (x->nnests || x->nest_dropped) {
		uint64_t opened = 0;

		for (i = 0; i < x->nnests; i++)
			opened += x->nests[i].opened;
		mf_json_u64(ev->body, "nested_archives", opened);
	}
	if (x->nest_packages)
		mf_json_u64(ev->body, "packages_not_opened", x->nest_packages);
	for (i = 0; i < x->nroots; i++)
		nroots++;
	mf_event_num(ev, "app_roots", (double)nroots);
	{
		cJSON *e = mf_json_obj();

		mf_json_str(e, "file", name);
		if (!x->is_dir)
			mf_json_str(e, "sha256", x->sha256);
		mf_event_add(ev, "evidence", e);
	}
	mf_emit(ctx, ev);
	for (i = 0; i < x->nproblems; i++)
		input_problem(ctx, name, x->adb_encrypted ? "adb_backup_encrypted" :
		    x->truncated && i == 0 ? "archive_damaged" : "input_problem",
		    x->problems[i], problem, arg, sum);
	nest_report(ctx, x, name, o->nest_depth_max, problem, arg, sum);
	if (!x->adb_encrypted && nroots == 0 && !o->no_app_ok)
		input_problem(ctx, name, "no_app_data", "no Mi Home app data (shared_prefs/, "
		    "databases/, files/plugin/ of com.xiaomi.smarthome) found in the input",
		    problem, arg, sum);
	sum->roots = (unsigned)nroots;
	rc = 0;
	for (i = 0; i < x->nroots && rc == 0; i++)
		rc = one_root(ctx, x, i, problem, arg, sum, o->json_depth_max);
	sum->events = ctx->st.events - ev0;
	mf_extract_free(x);
	if (rc)
		return mf_seterr(errbuf, rc, "out of memory");
	return 0;
}
