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

#endif
