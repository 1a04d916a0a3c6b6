/*
 * mf_endpoints.h - what the Mi cloud API endpoints carry, as DATA
 * (../shared/reference/micloud.md section 9), and the one function that
 * turns a decoded reply of such an endpoint into events.
 *
 * Shared by the traffic decoder (mf_micloud_exchange, source "pcap"/"live",
 * protocol "micloud-http") and the acquisition client (source "cloud").
 * Adding an endpoint is one table line in mf_endpoints.c (plus, for a new
 * shape of reply, one record walker there).
 */
#ifndef MF_ENDPOINTS_H
#define MF_ENDPOINTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct mf_ctx;

/* What a reply carries; decides which record walker runs. */
enum mf_ep_carries {
	MF_EP_OTHER = 0,      /* nothing turned into records (the exchange event only) */
	MF_EP_DEVICES,        /* result.list[] / result.device_info[]: device (+ token) */
	MF_EP_HOMES,          /* result.homelist[] (+ share_home_list[]): home, room */
	MF_EP_HOME_SHARES,    /* get_device_cnt: result.share.share_family[]: share */
	MF_EP_MEMBERS,        /* home members: share */
	MF_EP_INVITES,        /* invitation history: share */
	MF_EP_SHARES,         /* device shares / share users / share history: share */
	MF_EP_PROFILE,        /* user profile: account */
	MF_EP_SCENES,         /* scene definitions: scene */
	MF_EP_SCENE_HISTORY,  /* scene runs: scene (record "history") */
	MF_EP_DEVICE_DATA,    /* [{did,type,key,value,time}]: device_event / property */
	MF_EP_OPT_LOG,        /* device operation history: data per record */
	MF_EP_STATISTICS,     /* [{value,time}]: property */
	MF_EP_PROPS,          /* miotspec/prop/get: property */
	MF_EP_MESSAGES,       /* message list: data per message */
	MF_EP_FILE_URL,       /* map / file download URL: data */
	MF_EP_CAMERA_EVENTS,  /* camera event lists (millisecond times): device_event */
	MF_EP_BEACONKEY,      /* BLE bind key: token */
	MF_EP_RPC,            /* /home/rpc/<did>: a miIO command relayed to a device: command */
	MF_EP_PROP_SET,       /* miotspec/prop/set: command */
	MF_EP_ACTION,         /* miotspec/action: command */
	MF_EP_SCENE_RUN       /* RunScene / scene start: command */
};

#define MF_EP_ACTS 0x1u     /* acts on the home or a device: acquisition never calls it */
#define MF_EP_ACQUIRE 0x2u  /* part of the acquisition plan (read-only) */
#define MF_EP_PREFIX 0x4u   /* `path` matches as a prefix (e.g. "/home/rpc/") */
#define MF_EP_CAMERA 0x8u   /* served by the camera host,
                               [<cc>.]business.smartcamera.api.io.mi.com: URL = host +
                               path (no "/app"), GET with the RC4 fields in the query,
                               the full path signed, reply {"code","data"} */

struct mf_endpoint {
	const char *path;      /* without the "/app" prefix, e.g. "/v2/homeroom/gethome" */
	enum mf_ep_carries carries;
	const char *name;      /* stable short name, the event field micloud.endpoint */
	unsigned flags;        /* MF_EP_* */
	const char *request;   /* typical request `data` (JSON) for acquisition, or NULL */
};

/* The table, terminated by an entry with path == NULL. */
extern const struct mf_endpoint mf_endpoints[];

/* Finds the endpoint of a request path.  Accepts the path with or without
 * the leading "/app", with or without a "?query" (ignored), and a camera
 * host's full path.  Returns a table entry (static) or NULL. */
const struct mf_endpoint *mf_endpoint_find(const char *path);

/* For a path the table does not know: an endpoint that walks the reply as
 * a device list (name "devices_by_shape") when the reply is a success whose
 * result.list / device_info / devices holds only objects with did, model
 * and token; else NULL.  Tokens are too valuable to miss on a new path. */
const struct mf_endpoint *mf_endpoint_guess(const cJSON *reply);

/* Where records come from; everything here is borrowed for the call. */
struct mf_cloud_origin {
	const char *source;        /* "pcap", "live", "cloud"; NULL = "pcap" */
	const char *protocol;      /* "micloud-http" for traffic, NULL for acquisition */
	int64_t ts_ns;             /* observation time (reply capture/acquisition time), or MF_TIME_NONE */
	uint64_t frame;            /* frame that completed the reply: token origin "cloud: frame N"; 0 unknown */
	const char *token_origin;  /* token origin text when not NULL (overrides the frame form) */
	const cJSON *evidence;     /* duplicated into every event as "evidence"; may be NULL */
	const cJSON *net;          /* duplicated as "net"; may be NULL */
	const char *path;          /* the request path, for endpoints with a parameter in it
	                              (/home/rpc/<did>); may be NULL */
};

/*
 * Turns one decoded reply into events emitted through ctx:
 *   req_data  the request's decoded `data` parameter (object), or NULL;
 *   reply     the whole reply {"code":0,"message":"ok","result":...} (camera
 *             hosts: {"code":0,"data":...}), or NULL; not modified.
 * Device tokens found are added to ctx->tokens (when not NULL) bound to the
 * device id (or, for a non-numeric did, its IP) with origin "cloud: frame N"
 * (o->token_origin when set), and reported as redacted `token` events.
 * Secrets in every event are redacted unless ctx->show_secrets.  A reply of
 * an unexpected shape gives one anomaly `reply_unrecognised`; an error reply
 * (code != 0) or none gives no records, except for the acting endpoints
 * (MF_EP_RPC, _PROP_SET, _ACTION, _SCENE_RUN) whose `command` events come
 * from the request (with error_code when the cloud refused).
 * Returns the number of record events emitted (>= 0), MF_ERR_NOMEM, or
 * MF_ERR_ARG (ctx or ep NULL).
 */
int mf_endpoint_records(struct mf_ctx *ctx, const struct mf_endpoint *ep, const cJSON *req_data,
                        const cJSON *reply, const struct mf_cloud_origin *o);

#endif
