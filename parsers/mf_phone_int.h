/*
 * mf_phone_int.h - private to parsers/ (and its tests and fuzz targets):
 * the per-scan state every artifact parser shares, and small helpers to
 * build phone events.  Not a public interface.
 */
#ifndef MF_PHONE_INT_H
#define MF_PHONE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_prefs.h"

struct mf_ctx;
struct mf_event;

/* What is known about one device, from any artifact. */
struct ph_dev {
	char *did, *model, *name, *ip, *mac, *parent;
	char *room_id, *room, *home_id;
	int from_record;        /* seen in a device list (devicerecord, ZDEVICE, miot.xml) */
};

struct ph_uid {
	char *uid;
	cJSON *found_in;        /* array of strings: where the uid was seen */
	int64_t first_home_ns;  /* earliest own-home creation, MF_TIME_NONE */
	int owner;              /* owns a home (shareflag 0) */
};

struct mf_phone {
	struct mf_ctx *ctx;
	int64_t ref_ns;          /* unit detection reference (never "now") */
	int json_depth_max;
	/* the evidence file being parsed */
	const char *file;        /* path inside the input */
	const char *sha256;      /* of that file, or NULL */
	/* knowledge shared between artifacts */
	struct ph_dev *dev;
	size_t ndev, adev;
	struct ph_uid *uid;
	size_t nuid, auid;
	char **plugin_model, **plugin_pid;   /* plugin_device_list_pref.xml */
	size_t nplugin;
	/* problems (damaged/unreadable files) */
	void (*problem)(void *arg, const char *msg);
	void *problem_arg;
	unsigned nproblems;
};

void ph_init(struct mf_phone *ph, struct mf_ctx *ctx, int64_t ref_ns);
void ph_free(struct mf_phone *ph);

/* A phone event with source "phone".  NULL on allocation failure. */
struct mf_event *ph_event(struct mf_phone *ph, int64_t ts_ns, const char *artifact,
                          const char *kind);
/* {"file":..,"sha256":..} for the current file, with "key" when key. */
cJSON *ph_evidence(const struct mf_phone *ph, const char *key);
int ph_emit(struct mf_phone *ph, struct mf_event *ev);

/* An anomaly about the current file; problem != 0 makes the input count as
 * bad or incomplete (and calls the problem callback). */
int ph_anomaly(struct mf_phone *ph, const char *key, int problem, const char *reason,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Unit detection for an epoch number: divided by 1000 while it lies past
 * ref + 1 day (s, ms, us, ns).  *unit (may be NULL) receives "s", "ms",
 * "us" or "ns".  Returns MF_TIME_NONE for values that are not positive. */
int64_t ph_time(const struct mf_phone *ph, double v, const char **unit);
/* A JSON number for a value read from the evidence (any double: the core
 * integer shortcut is only used where it is exact). */
cJSON *ph_number(double v);
/* A number, or a string holding one, as a double; 0 when neither. */
int ph_num(const cJSON *v, double *out);

/* Device registry. ph_dev_get creates when create; strings are copied;
 * NULL fields leave existing values.  did may not be NULL. */
struct ph_dev *ph_dev_get(struct mf_phone *ph, const char *did, int create);
void ph_dev_set(struct ph_dev *d, const char *model, const char *name, const char *ip,
                const char *mac, const char *parent);
/* Adds did, model, device_name, device_type (and room) to ev.  model_hint
 * is used when the registry does not know the model. */
void ph_dev_fields(struct mf_phone *ph, struct mf_event *ev, const char *did,
                   const char *model_hint);

/* Account candidates. */
struct ph_uid *ph_uid_add(struct mf_phone *ph, const char *uid, const char *found_in);
/* Finds the uid whose upper-case MD5 hex is md5hex (32 chars). */
const char *ph_uid_by_md5(const struct mf_phone *ph, const char *md5hex);

void ph_plugin_add(struct mf_phone *ph, const char *model, const char *pid);
const char *ph_plugin_model(const struct mf_phone *ph, const char *pid);

/* String of a JSON member: strings as is, numbers printed exactly
 * ("%.17g" without exponent for integers); NULL when absent/other. */
const char *ph_str(const cJSON *o, const char *key, char *tmp, size_t tmplen);
/* Copy of a member into ev (cJSON_Duplicate), if present. */
void ph_copy(struct mf_event *ev, const cJSON *o, const char *key, const char *as);

/* A token found in the extraction: a kind:"token" event (redacted unless
 * show_secrets) and, when ctx->tokens exists, an entry of the secrets
 * store bound to the did (numeric) or ip.  Takes evidence. */
int ph_token(struct mf_phone *ph, const char *artifact, const char *did, const char *ip,
             const char *token, const char *found_in, cJSON *evidence);

/* A string value that starts like JSON ({" or [ followed by {, ", [, a
 * digit or ]) but does not parse: a damaged value.  Raises the anomaly and
 * returns 1; else 0.  known: the file is the app's own (an error: the
 * file is damaged); otherwise (another SDK's prefs, which may hold text
 * such as "[2024-05-01]" or org.json's lenient syntax) a warning,
 * json_value_unparsable. */
int ph_json_damaged(struct mf_phone *ph, const struct mf_pref *e, int known);

/* A value that holds nothing: empty or blank, or the JSON null, {}, [] or
 * "" (a key the app or a plugin cleared; not damage). */
int ph_json_empty(const char *s, size_t n);
/* Says (an info anomaly, reason "value_empty") that key holds nothing. */
int ph_empty_note(struct mf_phone *ph, const char *key, const char *what);

/* Artifact parsers (mf_homes.c, mf_devlog.c, mf_scene.c, mf_phonedb.c).
 * Each reads the current file (ph->file) and emits events; they return 0
 * or MF_ERR_NOMEM only (damage is an anomaly, not an error). */
int mf_homes_prefs(struct mf_phone *ph, const char *base, const struct mf_prefs *p);
int mf_generic_prefs(struct mf_phone *ph, const char *artifact, const struct mf_prefs *p,
                     size_t skip_mask_n, const unsigned char *skip);
int mf_devlog_config(struct mf_phone *ph, const struct mf_prefs *p, const char *did_hint,
                     const char *plugin_id);
int mf_devlog_key(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *did_hint, const char *model_hint);
int mf_htstat_key(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *did_hint, const char *model_hint);
int mf_scene_prefs(struct mf_phone *ph, const char *base, const struct mf_prefs *p);
int mf_scene_json(struct mf_phone *ph, const char *key, const char *text, size_t n,
                  const char *uid);
int mf_phonedb_file(struct mf_phone *ph, const char *disk_path, const char *base,
                    int has_wal, int has_journal);
int mf_tokenlog_file(struct mf_phone *ph, const char *text, size_t n);

/* Is base a file name the phone layer reads (for archive scanning). */
int mf_scene_is_cache_name(const char *base, char md5[33]);

#endif
