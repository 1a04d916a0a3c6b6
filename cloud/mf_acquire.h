/*
 * mf_acquire.h - `miforensics cloud acquire`: a read-only pull of what the
 * Xiaomi cloud keeps about an account into an evidence folder
 * (../shared/reference/micloud.md sections 2, 3, 6, 9, 11).
 *
 * Every API call is `POST https://[<cc>.]api.io.mi.com/app<path>` in RC4
 * mode (signed and encrypted with the shared codec, mf_micloud.h), cookies
 * and headers as the app sends them; camera lists are `GET
 * https://[<cc>.]business.smartcamera.api.io.mi.com<path>?<RC4 fields>`
 * with the full path signed.  The calls go through one gate,
 * mf_acq_allowed(): a fixed allow-list of query endpoints.  Anything else
 * (device RPC, property set, actions, scene runs, edits) is refused in code
 * before a byte is sent.
 *
 * Evidence folder (-o DIR, created 0700; files 0600):
 *   manifest.json      format "miforensics-cloud-acquisition/1": account,
 *                      reference time, window, then one line per HTTP
 *                      exchange in "requests" (time, URL, parameters with
 *                      secrets redacted, HTTP status, Request-Id, SHA-256 of
 *                      the stored files, status), then "runs" and "summary".
 *                      Appended after every exchange, valid JSON throughout.
 *   acquisition.log    what happened, line by line (UTC)
 *   responses/NNNNNN-<region>-<endpoint>.raw    body as received
 *   responses/NNNNNN-<region>-<endpoint>.json   decoded reply (when it decodes)
 *
 * Plan, per region (cn de us ru tw sg in i2, or --region): homes (paged)
 * and the device list decide whether the region holds data; then device
 * count, profile, devices per home (paged by start_did), members,
 * invitations, shares given and received, share users of owned devices,
 * scene lists and scene run history (paged by timestamp), messages (the
 * type list, each type's list, each device's messages; paged by timestamp,
 * never marked read), per device its device_log data, event/property log
 * and operation log (paged by moving the end of the time window back) and
 * BLE beacon keys, and last the camera event lists and alarm playlists of
 * camera models (paged by moving endTime, in ms, back).
 *
 * Failures as users meet them: an expired session is refreshed once through
 * the passToken (session file rewritten) and the call repeated; 429, 5xx
 * and "sds throttle" are retried with exponential backoff; a network
 * failure is retried, then the acquisition stops as "interrupted" and
 * `--resume` continues it: calls the manifest shows as answered are not
 * sent again (their stored replies are read back), the time window is the
 * first run's.  A reply that does not decode is kept raw, reported and
 * skipped.
 */
#ifndef MF_ACQUIRE_H
#define MF_ACQUIRE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_buf.h"
#include "mf_cloudhttp.h"
#include "mf_login.h"

#define MF_ACQ_FORMAT "miforensics-cloud-acquisition/1"

/* ------------------------------------------------------ the read-only gate */

/* 1 when the acquisition may send an API call to `path` (with or without
 * "/app", no query) with request data `data_json` (may be NULL): the path
 * is on the allow-list, is a known read-only endpoint of mf_endpoints[]
 * (MF_EP_ACQUIRE, not MF_EP_ACTS), and the data asks for nothing that
 * wakes or drives a device.  0 otherwise. */
int mf_acq_allowed(const char *path, const char *data_json);

/* Regions the cloud serves ("cn" first); NULL-terminated. */
extern const char *const mf_acq_regions[];
/* "https://[<cc>.]api.io.mi.com/app" + path into out; for a camera-host
 * endpoint (mf_acq_is_camera) "https://[<cc>.]business.smartcamera.api.io.mi.com"
 * + path (no "/app", micloud.md section 2).  0, or MF_ERR_ARG (unknown
 * region, path not starting with '/'). */
int mf_acq_api_url(const char *region, const char *path, char *out, size_t outlen);
/* 1 when path is served by the camera host (MF_EP_CAMERA in mf_endpoints[]):
 * GET with the RC4 fields in the query, the full path signed. */
int mf_acq_is_camera(const char *path);
/* 1 when the model's camera event lists are acquired: a ".camera." model
 * (chuangmi.camera.ipc019, isa.camera.hlc6, mijia.camera.v3, ...) or a
 * ".cateye." one (door viewers / video doorbells: *doorbell = 1, sent as
 * the eventlist's doorBell). */
int mf_acq_camera_model(const char *model, int *doorbell);

/* ----------------------------------------------------------- one API call */

struct mf_api;

/* What one call produced. */
struct mf_api_result {
	char url[512];               /* without the query (a camera GET's fields: body_sent) */
	char method[8];              /* "POST" (API hosts) or "GET" (camera hosts) */
	char nonce[32];
	char request_id[128];
	struct mf_buf body_sent;     /* the form as sent, ssecurity redacted */
	struct mf_http_resp resp;    /* status, raw body, headers */
	struct mf_buf plain;         /* decoded reply (when it decoded) */
	unsigned how;                /* MF_MICLOUD_RESP_* */
	const char *reason;          /* why it did not decode (static), or NULL */
	cJSON *reply;                /* parsed decoded reply (object), or NULL */
};
void mf_api_result_init(struct mf_api_result *r);
void mf_api_result_free(struct mf_api_result *r);

/* The session is borrowed (a refresh updates it in place). */
int mf_api_new(const struct mf_http_opts *ho, struct mf_session *s, struct mf_api **out,
               char *errbuf);
void mf_api_free(struct mf_api *a);
struct mf_http *mf_api_http(struct mf_api *a);
/* HTTP requests that reached the network so far. */
unsigned long mf_api_sent(const struct mf_api *a);

/* One RC4-mode call.  Returns 0 when an answer arrived (whatever its
 * status; see res), MF_ERR_ARG when the gate refused it (nothing was sent:
 * mf_api_sent() does not move), MF_ERR_IO on a network failure,
 * MF_ERR_FORMAT when the request could not be built. */
int mf_api_call(struct mf_api *a, const char *region, const char *path, const char *data_json,
                struct mf_api_result *res, char *errbuf);

/* --------------------------------------------------------- the acquisition */

struct mf_acq_progress {
	const char *region;
	const char *phase;           /* "probe", "homes", "devices", "shares", "scenes", "messages",
	                                "history", "cameras" */
	unsigned done, total;        /* within the phase (history: devices) */
	unsigned long requests;      /* HTTP exchanges so far (this run) */
};

struct mf_acq_opts {
	const char *session_path;    /* read; rewritten after a refresh (0600) */
	const char *out_dir;
	int resume;
	const char *regions;         /* "all" (NULL) or a comma list */
	int64_t since_s;             /* start of the history window; 0 = 90 days back */
	struct mf_http_opts http;
	unsigned delay_ms;           /* pause between requests */
	unsigned retry_ms;           /* first backoff (doubles each retry, max 60 s) */
	unsigned retries;            /* extra attempts after a 429/5xx/network failure */
	unsigned max_pages;          /* per paged item, 0 = 500 */
	void (*say)(void *arg, const char *msg);          /* warnings for the examiner */
	void (*progress)(void *arg, const struct mf_acq_progress *p);
	void *arg;
};

struct mf_acq_summary {
	unsigned long exchanges;     /* HTTP exchanges this run (retries included) */
	unsigned long ok, api_errors, failed, malformed, reused;
	unsigned refreshes;
	unsigned regions_with_data;
	int interrupted;             /* stopped early: --resume continues */
	int incomplete;              /* some calls failed for good */
	char regions_found[64];      /* "de,sg" */
};

/* Runs (or resumes) an acquisition.  Returns 0 when it ran to its end
 * (read sum->incomplete), MF_ERR_IO when interrupted (network, session
 * expired beyond refresh: sum->interrupted, reason in errbuf), MF_ERR_ARG
 * (bad options, folder not empty / not an acquisition), MF_ERR_FORMAT
 * (session or manifest unreadable). */
int mf_acquire(const struct mf_acq_opts *o, struct mf_acq_summary *sum, char *errbuf);

#endif
