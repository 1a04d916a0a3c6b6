/*
 * mf_cloud_int.h - cloud/'s private helpers shared by mf_micloud.c and
 * mf_endpoints.c (event building, JSON with depth caps, redaction).
 * Not part of the public API.
 */
#ifndef MF_CLOUD_INT_H
#define MF_CLOUD_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_endpoints.h"

struct mf_ctx;
struct mf_event;
struct mf_micloud_req;
struct mf_micloud_resp;

/* A new event with the origin's source/protocol (mapped to static strings).
 * NULL on allocation failure. */
struct mf_event *mf_cloud_event(const struct mf_cloud_origin *o, int64_t ts_ns, const char *kind);
/* Appends "net", "evidence" (copies) and then `raw` (taken, may be NULL)
 * and emits.  Frees ev on failure.  Returns the sink's result or MF_ERR_NOMEM. */
int mf_cloud_emit(struct mf_ctx *ctx, const struct mf_cloud_origin *o, struct mf_event *ev,
                  cJSON *raw);
/* An anomaly {"reason","severity","detail", extra (taken, may be NULL) under
 * "micloud"}; severity "error" or "warning". */
int mf_cloud_anomaly(struct mf_ctx *ctx, const struct mf_cloud_origin *o, int64_t ts_ns,
                     const char *reason, const char *severity, cJSON *extra,
                     const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Nesting depth of JSON text (brackets outside strings) exceeds max? */
int mf_cloud_json_too_deep(const char *s, size_t n, size_t max);
/* Parses n bytes as one JSON document (trailing whitespace allowed) after a
 * depth check.  NULL when not JSON, too deep, or out of memory; *why (may
 * be NULL) gets "json_too_deep" or "json_unparsable". */
cJSON *mf_cloud_json_parse(const char *s, size_t n, size_t depth_max, const char **why);
/* Deep copy for output: strings holding JSON ('{' / '[' first) expanded,
 * secrets redacted (unless show_secrets), integers made exact. */
cJSON *mf_cloud_json_out(const struct mf_ctx *ctx, const cJSON *v, size_t depth_max);
/* Is an object key a secret? (token, ssecurity, passToken, serviceToken, ...) */
int mf_cloud_is_secret_key(const char *key);
/* Redacts secret-bearing keys in place (no-op with show_secrets). */
void mf_cloud_redact_json(const struct mf_ctx *ctx, cJSON *v, size_t depth_max);

/* String of a JSON member (string, or a number printed exactly) into out;
 * returns out, or NULL when absent/other type. */
const char *mf_cloud_json_text(const cJSON *obj, const char *key, char *out, size_t outlen);
/* Numeric member (number or numeric string); 1 when found. */
int mf_cloud_json_num(const cJSON *obj, const char *key, double *out);
/* Seconds (or ms, auto: > 1e11 treated as ms) to ns; MF_TIME_NONE for <= 0. */
int64_t mf_cloud_epoch_ns(double v, int force_ms);

/* Remembers a device's model from a device list (ctx->cloud_models; empty
 * or over-long values ignored, a did seen again updated). */
void mf_cloud_model_note(struct mf_ctx *ctx, const char *did, const char *model);
/* The model remembered for did, or NULL. */
const char *mf_cloud_model_of(const struct mf_ctx *ctx, const char *did);

/* ---- calls held for a key that may come later (mf_micloud_held.c) ---- */

#define MF_MICLOUD_X_MAY_HOLD 0x1u  /* an RC4 call no known key opens is not reported:
                                       the call returns MF_MICLOUD_HELD instead */
#define MF_MICLOUD_X_REPLAY 0x2u    /* a held call: micloud.key_wait says how it ended,
                                       its key is not made the latest */
#define MF_MICLOUD_X_FULL 0x4u      /* the queue is full: an unopened call says so
                                       (held_calls_full) */
#define MF_MICLOUD_HELD 1           /* > 0: not an error */

/* mf_micloud_exchange's work with those flags; key_evidence (may be NULL):
 * the exchange that revealed the key a replay is tried for.  Returns what
 * mf_micloud_exchange returns, or MF_MICLOUD_HELD (nothing emitted, no
 * state changed). */
int mf_micloud_exchange_x(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                          const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence,
                          unsigned flags, const cJSON *key_evidence);
/* Would a copy of this exchange fit the queue (lim.cloud_held_max,
 * lim.cloud_held_mem_max)?  0 also when there is no queue. */
int mf_micloud_held_fits(const struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                         const struct mf_micloud_resp *rs, const cJSON *evidence);
/* Keeps a deep copy of the exchange at the queue's end.  0 or MF_ERR_NOMEM. */
int mf_micloud_held_add(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                        const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence);
/* A new key is known: every held call is tried again, in capture order;
 * those it opens are emitted (micloud.key_wait "opened_later") and leave
 * the queue.  0 or MF_ERR_NOMEM. */
int mf_micloud_held_retry(struct mf_ctx *ctx, const cJSON *key_evidence);

#endif
