/*
 * mf_event.h - the one event envelope every source produces
 * (../shared/design/CONTRACT.md, "One event").
 *
 * Fixed envelope fields live in the struct; everything else goes into `body`,
 * a cJSON object whose insertion order is the output order (producers add
 * did, model, device_name, event, value, then protocol objects, evidence,
 * raw).  Output is deterministic: no field depends on the run.
 */
#ifndef MF_EVENT_H
#define MF_EVENT_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct mf_buf;
struct mf_frame;

struct mf_event {
	int64_t ts_ns;        /* event time, MF_TIME_NONE when unknown */
	int64_t logged_ns;    /* when the app stored it (phone), or MF_TIME_NONE */
	const char *source;   /* static: "pcap", "live", "phone", "cloud" */
	const char *protocol; /* static: "miio", ... (network sources) or NULL */
	const char *artifact; /* static: "device-log", ... (phone) or NULL */
	const char *kind;     /* static: "command", "anomaly", ... */
	cJSON *body;          /* owned */
	uint64_t seq;         /* emission order, tie-breaker for sorting */
};

/* Returns NULL on allocation failure. */
struct mf_event *mf_event_new(int64_t ts_ns, const char *source, const char *protocol,
                              const char *kind);
void mf_event_free(struct mf_event *ev);

/* Body helpers; all ignore a NULL value and return 0 or MF_ERR_NOMEM. */
int mf_event_str(struct mf_event *ev, const char *key, const char *val);
int mf_event_num(struct mf_event *ev, const char *key, double val);
int mf_event_bool(struct mf_event *ev, const char *key, int val);
int mf_event_add(struct mf_event *ev, const char *key, cJSON *item); /* takes item */
/* "evidence":{"file":..,"frame":N} from a captured frame. */
int mf_event_frame_evidence(struct mf_event *ev, const struct mf_frame *f);

/* One JSON line (no newline) appended to out. */
int mf_event_to_json(const struct mf_event *ev, struct mf_buf *out);

/* Helpers to build JSON objects with stable ordering. */
cJSON *mf_json_obj(void);
void mf_json_str(cJSON *o, const char *key, const char *val);
void mf_json_num(cJSON *o, const char *key, double val);
/* Integer written exactly (cJSON doubles lose precision past 2^53). */
void mf_json_u64(cJSON *o, const char *key, uint64_t val);
void mf_json_bool(cJSON *o, const char *key, int val);
/* A number item; integers become raw text (exact, cheap to print). */
cJSON *mf_json_number(double v);
/* Turns the integral numbers of a tree into raw items, in place (values
 * read by cJSON_IsNumber afterwards are raw: use cJSON_IsRaw too). */
void mf_json_intify(cJSON *v, int depth_max);

#endif
