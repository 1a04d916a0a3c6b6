/*
 * mf_phonedb.c - the app's SQLite databases, read from a private copy.
 *
 * Reference: ../shared/reference/phone-artifacts.md section 2 (Mi Home
 * 5.6.60 MiioDBHelper.java, DeviceRecord.java, ShareUserRecord.java;
 * python-miio extract_tokens.py), miio.md section 12 (iOS ZDEVICE):
 *
 *   databases/miio2.db   devicerecord(did, model, name, mac, localIP, token,
 *                        parentId, parentModel, ownerId, userId, ...)
 *   databases/miio.db    shareuserrecord(userId, nickName, email, phone,
 *                        shareTime [s], ...), familyrecord(...),
 *                        messagerecord(msgId, senderUserId, title, content,
 *                        receiveTime, ...)
 *   <uid>_mihome.sqlite  ZDEVICE(ZDID, ZMODEL, ZNAME, ZLOCALIP, ZMAC, ZTOKEN [96 hex])
 *
 * Columns are read by name (they vary by app version).  The caller copied
 * the database with its -wal / -journal into a private folder; it is opened
 * read-only (SQLite may create a -shm beside the copy), and only when a hot
 * journal makes that impossible is the copy opened read-write.
 *
 * WAL method: rows are read twice, once from the main file alone (the copy
 * opened with immutable=1, which ignores the WAL) and once with the WAL
 * applied.  A row only in the second view is "wal_only", a row that differs
 * "wal_modified", a row only in the first "deleted_in_wal" (still in the
 * main file, deleted by a transaction the WAL holds).  All are reported.
 */
#include "mf_phone_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_time.h"

#define ROWS_MAX 2000000       /* rows read from one table */
#define BLOB_SHOWN 256

struct row {
	int64_t rowid;
	cJSON *obj;
	char *text;    /* printed obj, for comparing the two views */
	int matched;
};

struct rows {
	struct row *v;
	size_t n, alloc;
	int truncated;    /* ROWS_MAX hit */
	char err[256];    /* a read error part-way ("database disk image is malformed") */
};

static void rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		cJSON_Delete(r->v[i].obj);
		free(r->v[i].text);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k, len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 :
		    (c >> 3) == 30 ? 4 : 0;

		if (!len || n - i < len || c == 0)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

static cJSON *column_json(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER: {
		sqlite3_int64 v = sqlite3_column_int64(st, i);
		char tmp[32];

		if (v > 9007199254740992LL || v < -9007199254740992LL) {
			snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
			return cJSON_CreateRaw(tmp);
		}
		return cJSON_CreateNumber((double)v);
	}
	case SQLITE_FLOAT:
		return cJSON_CreateNumber(sqlite3_column_double(st, i));
	case SQLITE_TEXT: {
		const unsigned char *t = sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);

		if (t && valid_utf8(t, n))
			return cJSON_CreateString((const char *)t);
		{
			struct mf_buf b;
			cJSON *o;

			mf_buf_init(&b, 1u << 20);
			mf_escape_bytes(t, n, 65536, &b);
			o = mf_json_obj();
			mf_json_str(o, "text_escaped", mf_buf_cstr(&b) ? mf_buf_cstr(&b) : "");
			mf_buf_free(&b);
			return o;
		}
	}
	case SQLITE_BLOB: {
		const uint8_t *p = sqlite3_column_blob(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i), k = n < BLOB_SHOWN ? n : BLOB_SHOWN;
		char hex[2 * BLOB_SHOWN + 1];
		cJSON *o = mf_json_obj();

		mf_hex_encode(p ? p : (const uint8_t *)"", p ? k : 0, hex);
		mf_json_num(o, "blob_len", (double)n);
		mf_json_str(o, "blob_hex", hex);
		return o;
	}
	default:
		return cJSON_CreateNull();
	}
}

static int quote_ident(const char *name, char *out, size_t outlen)
{
	size_t o = 0, i;

	if (outlen < 3)
		return -1;
	out[o++] = '"';
	for (i = 0; name[i]; i++) {
		if (o + 3 >= outlen)
			return -1;
		if (name[i] == '"')
			out[o++] = '"';
		out[o++] = name[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return 0;
}

/* Reads every row of table (rowid first when it has one). */
static int read_rows(sqlite3 *db, const char *table, struct rows *out)
{
	char q[600], id[300];
	sqlite3_stmt *st = NULL;
	int rc, with_rowid = 1;

	memset(out, 0, sizeof(*out));
	if (quote_ident(table, id, sizeof(id)) != 0)
		return MF_ERR_FORMAT;
	snprintf(q, sizeof(q), "SELECT rowid, * FROM %s", id);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
		snprintf(q, sizeof(q), "SELECT NULL, * FROM %s", id);   /* WITHOUT ROWID */
		with_rowid = 0;
		if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			snprintf(out->err, sizeof(out->err), "%s", sqlite3_errmsg(db));
			return MF_ERR_FORMAT;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int i, nc = sqlite3_column_count(st);
		struct row *r;

		if (out->n >= ROWS_MAX) {
			out->truncated = 1;
			break;
		}
		if (out->n == out->alloc) {
			size_t na = out->alloc ? out->alloc * 2 : 64;
			struct row *nv = realloc(out->v, na * sizeof(*nv));

			if (!nv) {
				sqlite3_finalize(st);
				return MF_ERR_NOMEM;
			}
			out->v = nv;
			out->alloc = na;
		}
		r = &out->v[out->n];
		memset(r, 0, sizeof(*r));
		r->rowid = with_rowid ? sqlite3_column_int64(st, 0) : (int64_t)out->n;
		r->obj = cJSON_CreateObject();
		for (i = 1; r->obj && i < nc; i++) {
			const char *cn = sqlite3_column_name(st, i);

			cJSON_AddItemToObject(r->obj, cn ? cn : "?", column_json(st, i));
		}
		r->text = r->obj ? cJSON_PrintUnformatted(r->obj) : NULL;
		if (!r->text) {
			cJSON_Delete(r->obj);
			sqlite3_finalize(st);
			return MF_ERR_NOMEM;
		}
		out->n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		snprintf(out->err, sizeof(out->err), "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return 0;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

static struct row *find_row(struct rows *r, int64_t rowid)
{
	struct row key;

	key.rowid = rowid;
	return r->n ? bsearch(&key, r->v, r->n, sizeof(*r->v), cmp_row) : NULL;
}

/* ---- per-table handlers ---- */

typedef int (*row_fn)(struct mf_phone *ph, const char *table, const struct row *r,
                      const char *wal);

static const char *col(const cJSON *row, const char *name, char *tmp, size_t n)
{
	/* cJSON_GetObjectItem is case-insensitive: column spelling varies */
	const cJSON *v = cJSON_GetObjectItem(row, name);
	const char *s;

	if (!v || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsRaw(v)) {
		snprintf(tmp, n, "%s", v->valuestring);
		return tmp;
	}
	s = ph_str(row, v->string, tmp, n);
	return s && *s ? s : NULL;
}

static void col_copy(struct mf_event *ev, const cJSON *row, const char *name, const char *as)
{
	const cJSON *v = cJSON_GetObjectItem(row, name);

	if (v && !cJSON_IsNull(v) && !(cJSON_IsString(v) && !v->valuestring[0]))
		mf_event_add(ev, as, cJSON_Duplicate(v, 1));
}

static cJSON *row_evidence(struct mf_phone *ph, const char *table, const struct row *r)
{
	cJSON *e = ph_evidence(ph, NULL);

	mf_json_str(e, "table", table);
	mf_json_num(e, "row", (double)r->rowid);
	return e;
}

static void add_wal(struct mf_event *ev, const char *wal)
{
	if (wal)
		mf_event_str(ev, "wal_state", wal);
}

static cJSON *raw_redacted(struct mf_phone *ph, const cJSON *row, const char *tokcol)
{
	cJSON *raw = cJSON_Duplicate(row, 1);
	cJSON *t = raw ? cJSON_GetObjectItem(raw, tokcol) : NULL;

	if (t && cJSON_IsString(t) && t->valuestring[0] && !(ph->ctx && ph->ctx->show_secrets)) {
		char red[96];

		mf_redact(ph->ctx, t->valuestring, red, sizeof(red));
		cJSON_SetValuestring(t, red);
	}
	return raw;
}

static int device_row(struct mf_phone *ph, const char *table, const struct row *r,
                      const char *wal, int ios)
{
	char t[8][64];
	const cJSON *row = r->obj;
	const char *did = col(row, ios ? "ZDID" : "did", t[0], 64);
	const char *model = col(row, ios ? "ZMODEL" : "model", t[1], 64);
	const char *name = col(row, ios ? "ZNAME" : "name", t[2], 64);
	const char *ip = col(row, ios ? "ZLOCALIP" : "localIP", t[3], 64);
	const char *mac = col(row, ios ? "ZMAC" : "mac", t[4], 64);
	const char *parent = col(row, ios ? "ZPARENTID" : "parentId", t[5], 64);
	const char *tok = col(row, ios ? "ZTOKEN" : "token", t[6], 64);
	const char *user = col(row, "userId", t[7], 64);
	struct ph_dev *d = did ? ph_dev_get(ph, did, 1) : NULL;
	struct mf_event *ev;
	int rc;

	if (wal && strcmp(wal, "deleted_in_wal") == 0) {
		d = NULL;      /* a deleted row does not name the device */
	} else if (d) {
		ph_dev_set(d, model, name, ip, mac, parent);
		d->from_record = 1;
	}
	if (user) {
		struct ph_uid *u = ph_uid_add(ph, user, "devicerecord.userId");

		if (u)
			u->owner = 1;
	}
	if (!ios && col(row, "ownerId", t[7], 64))
		ph_uid_add(ph, t[7], "devicerecord.ownerId");
	ev = ph_event(ph, MF_TIME_NONE, "device", "device");
	if (!ev)
		return MF_ERR_NOMEM;
	ph_dev_fields(ph, ev, did, model);
	if (!d || !d->name)
		mf_event_str(ev, "device_name", name);
	if (ip)
		mf_event_str(ev, "ip", ip);
	if (mac)
		mf_event_str(ev, "mac", mac);
	if (parent && strcmp(parent, "0") != 0)
		mf_event_str(ev, "parent_did", parent);
	if (!ios) {
		col_copy(ev, row, "parentModel", "parent_model");
		col_copy(ev, row, "ownerId", "owner_id");
		col_copy(ev, row, "ownerName", "owner_name");
		col_copy(ev, row, "userId", "user_id");
		col_copy(ev, row, "permitLevel", "permit_level");
		col_copy(ev, row, "pid", "pid");
		col_copy(ev, row, "ssid", "ssid");
		col_copy(ev, row, "bssid", "bssid");
		col_copy(ev, row, "latitude", "latitude");
		col_copy(ev, row, "longitude", "longitude");
		col_copy(ev, row, "isOnline", "is_online");
		col_copy(ev, row, "rssi", "rssi");
		col_copy(ev, row, "version", "version");
		col_copy(ev, row, "specUrn", "spec_urn");
	}
	if (d && d->home_id)
		mf_event_str(ev, "home_id", d->home_id);
	mf_event_bool(ev, "has_token", tok != NULL);
	add_wal(ev, wal);
	mf_event_add(ev, "evidence", row_evidence(ph, table, r));
	mf_event_add(ev, "raw", raw_redacted(ph, row, ios ? "ZTOKEN" : "token"));
	rc = ph_emit(ph, ev);
	if (rc == 0 && tok) {
		char where[96];

		snprintf(where, sizeof(where), "%s %s%s%s", ph->file ? strrchr(ph->file, '/') ?
		    strrchr(ph->file, '/') + 1 : ph->file : "", table, wal ? " " : "",
		    wal ? wal : "");
		rc = ph_token(ph, "device", did, ip, tok, where, row_evidence(ph, table, r));
	}
	return rc;
}

static int devicerecord_row(struct mf_phone *ph, const char *table, const struct row *r,
                            const char *wal)
{
	return device_row(ph, table, r, wal, 0);
}

static int zdevice_row(struct mf_phone *ph, const char *table, const struct row *r,
                       const char *wal)
{
	return device_row(ph, table, r, wal, 1);
}

static int64_t col_time(struct mf_phone *ph, const cJSON *row, const char *name,
                        const char **unit)
{
	double t;

	*unit = "s";
	if (!ph_num(cJSON_GetObjectItem(row, name), &t) || t <= 0)
		return MF_TIME_NONE;
	return ph_time(ph, t, unit);
}

static int share_row(struct mf_phone *ph, const char *table, const struct row *r,
                     const char *wal)
{
	const cJSON *row = r->obj;
	const char *unit;
	int64_t ts = col_time(ph, row, "shareTime", &unit);
	struct mf_event *ev = ph_event(ph, ts, "share", "share");
	char tmp[64];
	const char *uid = col(row, "userId", tmp, sizeof(tmp));

	if (!ev)
		return MF_ERR_NOMEM;
	if (uid)
		ph_uid_add(ph, uid, "shareuserrecord.userId");
	mf_event_str(ev, "user_id", uid);
	col_copy(ev, row, "nickName", "nickname");
	col_copy(ev, row, "email", "email");
	col_copy(ev, row, "phone", "phone");
	col_copy(ev, row, "url", "avatar_url");
	col_copy(ev, row, "birth", "birth");
	col_copy(ev, row, "sex", "sex");
	if (ts != MF_TIME_NONE) {
		mf_event_str(ev, "ts_meaning", "share time");
		if (strcmp(unit, "s") != 0)
			mf_event_str(ev, "ts_unit", unit);
	}
	add_wal(ev, wal);
	mf_event_add(ev, "evidence", row_evidence(ph, table, r));
	mf_event_add(ev, "raw", cJSON_Duplicate(row, 1));
	return ph_emit(ph, ev);
}

static int family_row(struct mf_phone *ph, const char *table, const struct row *r,
                      const char *wal)
{
	const cJSON *row = r->obj;
	struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "family", "share");
	char tmp[64];
	const char *uid = col(row, "userId", tmp, sizeof(tmp));

	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "user_id", uid);
	col_copy(ev, row, "tUserId", "t_user_id");
	col_copy(ev, row, "nickName", "nickname");
	col_copy(ev, row, "relationship", "relationship");
	col_copy(ev, row, "relation_id", "relation_id");
	col_copy(ev, row, "shareDeviceCount", "share_device_count");
	col_copy(ev, row, "status", "status");
	add_wal(ev, wal);
	mf_event_add(ev, "evidence", row_evidence(ph, table, r));
	mf_event_add(ev, "raw", cJSON_Duplicate(row, 1));
	return ph_emit(ph, ev);
}

static int message_row(struct mf_phone *ph, const char *table, const struct row *r,
                       const char *wal)
{
	const cJSON *row = r->obj;
	const char *unit;
	int64_t ts = col_time(ph, row, "receiveTime", &unit);
	struct mf_event *ev = ph_event(ph, ts, "message", "data");
	const cJSON *params = cJSON_GetObjectItem(row, "params");

	if (!ev)
		return MF_ERR_NOMEM;
	col_copy(ev, row, "msgId", "msg_id");
	col_copy(ev, row, "messageType", "message_type");
	col_copy(ev, row, "userId", "user_id");
	col_copy(ev, row, "senderUserId", "sender_user_id");
	col_copy(ev, row, "homeId", "home_id");
	col_copy(ev, row, "homeOwner", "home_owner");
	col_copy(ev, row, "title", "title");
	col_copy(ev, row, "content", "content");
	if (cJSON_IsString(params) && params->valuestring[0])
		mf_event_add(ev, "params", mf_json_expand(params, ph->json_depth_max));
	col_copy(ev, row, "is_read", "is_read");
	col_copy(ev, row, "status", "status");
	col_copy(ev, row, "result", "result");
	if (ts != MF_TIME_NONE) {
		mf_event_str(ev, "ts_meaning", "message received (unit not confirmed)");
		mf_event_str(ev, "ts_unit", unit);
	}
	add_wal(ev, wal);
	mf_event_add(ev, "evidence", row_evidence(ph, table, r));
	mf_event_add(ev, "raw", cJSON_Duplicate(row, 1));
	return ph_emit(ph, ev);
}

static const struct {
	const char *table;
	row_fn fn;
} handlers[] = {
	{ "devicerecord", devicerecord_row },
	{ "ZDEVICE", zdevice_row },
	{ "shareuserrecord", share_row },
	{ "familyrecord", family_row },
	{ "messagerecord", message_row },
};

static row_fn handler_of(const char *table)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcasecmp(handlers[i].table, table) == 0)
			return handlers[i].fn;
	return NULL;
}

/* A table nobody parses: one data event with its columns and row count. */
static int table_summary(struct mf_phone *ph, const char *table, const struct rows *rw,
                         size_t wal_only, size_t wal_mod, size_t deleted)
{
	struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "database", "data");
	cJSON *cols = cJSON_CreateArray(), *e;
	const cJSON *c;

	if (!ev) {
		cJSON_Delete(cols);
		return MF_ERR_NOMEM;
	}
	if (rw->n)
		cJSON_ArrayForEach(c, rw->v[0].obj)
			cJSON_AddItemToArray(cols, cJSON_CreateString(c->string));
	mf_event_str(ev, "table", table);
	mf_event_num(ev, "rows", (double)rw->n);
	mf_event_add(ev, "columns", cols);
	if (wal_only || wal_mod || deleted) {
		mf_event_num(ev, "rows_wal_only", (double)wal_only);
		mf_event_num(ev, "rows_wal_modified", (double)wal_mod);
		mf_event_num(ev, "rows_deleted_in_wal", (double)deleted);
	}
	e = ph_evidence(ph, NULL);
	mf_json_str(e, "table", table);
	mf_event_add(ev, "evidence", e);
	return ph_emit(ph, ev);
}

static int open_db(const char *path, int immutable, int rw, sqlite3 **db)
{
	char uri[4200];
	int flags = (rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_URI;

	/* the copy's path is ours (mkdtemp + fixed names): no URI escaping needed */
	snprintf(uri, sizeof(uri), "file:%s%s", path, immutable ? "?immutable=1" : "");
	if (sqlite3_open_v2(uri, db, flags, NULL) != SQLITE_OK) {
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 0);
	return 0;
}

static int probe(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Table names in a stable order. */
static int list_tables(sqlite3 *db, char ***names, size_t *n)
{
	sqlite3_stmt *st;

	*names = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' "
	    "ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && *n < 10000) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		char **nv = realloc(*names, (*n + 1) * sizeof(*nv));

		if (!nv || !s)
			break;
		*names = nv;
		(*names)[*n] = strdup(s);
		if ((*names)[*n])
			(*n)++;
	}
	sqlite3_finalize(st);
	return 0;
}

static void integrity(struct mf_phone *ph, sqlite3 *db)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(5)", -1, &st, NULL) != SQLITE_OK) {
		ph_anomaly(ph, NULL, 1, "db_damaged", "quick_check cannot run: %s",
		    sqlite3_errmsg(db));
		return;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		if (s && strcmp(s, "ok") != 0)
			ph_anomaly(ph, NULL, 1, "db_damaged", "integrity check: %s", s);
	} else {
		ph_anomaly(ph, NULL, 1, "db_damaged", "integrity check failed: %s",
		    sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
}

static int one_table(struct mf_phone *ph, sqlite3 *db, sqlite3 *mainonly, const char *table)
{
	struct rows now, before;
	row_fn fn = handler_of(table);
	size_t i, wal_only = 0, wal_mod = 0, deleted = 0;
	int rc;

	memset(&before, 0, sizeof(before));
	rc = read_rows(db, table, &now);
	if (rc == MF_ERR_NOMEM) {
		rows_free(&now);
		return rc;
	}
	if (now.err[0])
		ph_anomaly(ph, table, 1, "db_table_unreadable", "table %s: %s (%zu rows read)",
		    table, now.err, now.n);
	if (now.truncated)
		ph_anomaly(ph, table, 1, "limit_reached", "table %s: more than %d rows", table,
		    ROWS_MAX);
	if (now.n)
		qsort(now.v, now.n, sizeof(*now.v), cmp_row);
	if (mainonly) {
		if (read_rows(mainonly, table, &before) == MF_ERR_NOMEM) {
			rows_free(&now);
			rows_free(&before);
			return MF_ERR_NOMEM;
		}
		if (before.n)
			qsort(before.v, before.n, sizeof(*before.v), cmp_row);
	}
	rc = 0;
	for (i = 0; i < now.n && rc != MF_ERR_NOMEM; i++) {
		const char *wal = NULL;

		if (mainonly) {
			struct row *b = find_row(&before, now.v[i].rowid);

			if (!b) {
				wal = "wal_only";
				wal_only++;
			} else {
				b->matched = 1;
				if (strcmp(b->text, now.v[i].text) != 0) {
					wal = "wal_modified";
					wal_mod++;
				}
			}
		}
		if (fn)
			rc = fn(ph, table, &now.v[i], wal);
	}
	for (i = 0; i < before.n && rc != MF_ERR_NOMEM; i++) {
		if (before.v[i].matched)
			continue;
		deleted++;
		if (fn)
			rc = fn(ph, table, &before.v[i], "deleted_in_wal");
	}
	if (rc != MF_ERR_NOMEM && !fn)
		rc = table_summary(ph, table, &now, wal_only, wal_mod, deleted);
	rows_free(&now);
	rows_free(&before);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

int mf_phonedb_file(struct mf_phone *ph, const char *disk_path, const char *base,
                    int has_wal, int has_journal)
{
	sqlite3 *db = NULL, *mainonly = NULL;
	char err[256] = "", **tables = NULL;
	size_t nt = 0, i;
	int rc = 0, rw = 0;
	FILE *f;
	char magic[16];

	(void)base;
	f = fopen(disk_path, "rb");
	if (!f || fread(magic, 1, 16, f) != 16 || memcmp(magic, "SQLite format 3", 16) != 0) {
		if (f)
			fclose(f);
		return ph_anomaly(ph, NULL, 1, "db_not_sqlite",
		    "not an SQLite 3 database (bad header)");
	}
	fclose(f);
	/* the main file alone first, while nothing has touched the copy */
	if (has_wal && (open_db(disk_path, 1, 0, &mainonly) != 0 ||
	    probe(mainonly, err, sizeof(err)) != 0)) {
		ph_anomaly(ph, NULL, 0, "db_wal_compare_failed",
		    "the main file alone cannot be read (%s); WAL rows are not told apart", err);
		sqlite3_close(mainonly);
		mainonly = NULL;
	}
	if (open_db(disk_path, 0, 0, &db) != 0 || probe(db, err, sizeof(err)) != 0) {
		/* a hot journal needs a rollback that only a writer can do: on
		 * our private copy that is safe */
		sqlite3_close(db);
		db = NULL;
		if (open_db(disk_path, 0, 1, &db) == 0 && probe(db, err, sizeof(err)) == 0) {
			rw = 1;
		} else {
			sqlite3_close(db);
			sqlite3_close(mainonly);
			return ph_anomaly(ph, NULL, 1, "db_damaged", "cannot read the database: %s",
			    err[0] ? err : "open failed");
		}
	}
	integrity(ph, db);
	if (list_tables(db, &tables, &nt) != 0)
		ph_anomaly(ph, NULL, 1, "db_damaged", "cannot list tables: %s",
		    sqlite3_errmsg(db));
	{
		struct mf_event *ev = ph_event(ph, MF_TIME_NONE, "database", "data");

		if (ev) {
			cJSON *tl = cJSON_CreateArray();

			for (i = 0; i < nt; i++)
				cJSON_AddItemToArray(tl, cJSON_CreateString(tables[i]));
			mf_event_add(ev, "tables", tl);
			mf_event_bool(ev, "wal_present", has_wal);
			mf_event_bool(ev, "journal_present", has_journal);
			mf_event_str(ev, "opened", rw ? "read-write private copy (hot journal rolled "
			    "back)" : "read-only private copy");
			mf_event_add(ev, "evidence", ph_evidence(ph, NULL));
			rc = ph_emit(ph, ev);
		} else {
			rc = MF_ERR_NOMEM;
		}
	}
	for (i = 0; i < nt && rc != MF_ERR_NOMEM; i++) {
		if (strcmp(tables[i], "android_metadata") == 0 ||
		    strcmp(tables[i], "sqlite_sequence") == 0 ||
		    strncmp(tables[i], "sqlite_", 7) == 0)
			continue;
		rc = one_table(ph, db, mainonly, tables[i]);
	}
	for (i = 0; i < nt; i++)
		free(tables[i]);
	free(tables);
	sqlite3_close(db);
	sqlite3_close(mainonly);
	return rc == MF_ERR_NOMEM ? rc : 0;
}
