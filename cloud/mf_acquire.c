/*
 * mf_acquire.c - the read-only cloud acquisition (see mf_acquire.h).
 *
 * Layers, bottom up: the gate (mf_acq_allowed), one signed RC4 call
 * (mf_api_call), one evidence-keeping call with retries, refresh and resume
 * (call()), the plan (region_run()), the folder and its manifest.
 *
 * manifest.json is written so that it is valid JSON after every exchange
 * and cheap to extend:
 *
 *   {"format":"miforensics-cloud-acquisition/1",...,"requests":[      <- line 1: header
 *   {"seq":1,...},                                                     <- one line per exchange
 *   {"seq":2,...}
 *   ],"runs":[...],"summary":{...},"log":"acquisition.log"}            <- the tail
 *
 * An exchange is appended by writing ",\n<entry>\n<tail>" over the old
 * tail.  --resume reads the lines back (a line cut by a crash is dropped),
 * rewrites the file once and goes on appending.
 */
#include "mf_acquire.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "mf_cloud_int.h"
#include "mf_codec.h"
#include "mf_endpoints.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_file.h"
#include "mf_micloud.h"
#include "mf_time.h"

#define SCENE_APP "/appgateway/miot/appsceneservice/AppSceneService/"
#define REPLY_MAX (32u << 20)
#define MANIFEST_MAX (1u << 30)
#define DAY_S 86400LL
#define WINDOW_DAYS 90
#define MAX_REGIONS 16
#define MAX_DELAY_MS 60000u

/* =========================================================== the gate */

/* Query endpoints the acquisition may call: nothing else can be sent. */
static const char *const allow_list[] = {
	"/v2/homeroom/gethome",
	"/v2/homeroom/gethome_merged",
	"/v2/user/get_device_cnt",
	"/v2/homeroom/member_list",
	"/v2/homeroom/invite_history",
	"/home/profile",
	"/home/device_list",
	"/v2/home/home_device_list",
	"/v2/home/device_list_page",
	"/v2/device/blt_get_beaconkey",
	"/device/get_opt_log",
	"/user/get_user_device_data",
	"/v2/user/get_user_device_log",
	"/v2/user/get_device_data_raw",
	"/v2/user/statistics",
	"/scene/history",
	SCENE_APP "GetSceneList",
	"/share/device_share_list",
	"/share/get_share_user",
	"/share/share_history_query",
	"/share/receive_share_list",
	"/v2/message/v2/typelist",
	"/v2/message/v2/list",
	"/v2/message/v2/check_new_msg",
	"/miotspec/prop/get",
	/* camera host (MF_EP_CAMERA: GET, full path signed) */
	"/common/app/get/eventlist",
	"/miot/camera/app/v1/alarm/playlist/limit",
	NULL
};

int mf_acq_allowed(const char *path, const char *data_json)
{
	const struct mf_endpoint *ep;
	const char *p;
	cJSON *d;
	size_t i;
	int ok = 0;

	if (!path)
		return 0;
	if (strncmp(path, "/app/", 5) == 0)
		path += 4;
	/* plain paths only: no query, fragment, escapes, dots, doubled slashes */
	for (p = path; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '/' || *p == '_'))
			return 0;
	if (path[0] != '/' || strstr(path, "//"))
		return 0;
	for (i = 0; allow_list[i]; i++)
		if (strcmp(path, allow_list[i]) == 0)
			break;
	if (!allow_list[i])
		return 0;
	/* and the shared endpoint table must agree that it only reads */
	ep = mf_endpoint_find(path);
	if (!ep || !(ep->flags & MF_EP_ACQUIRE) || (ep->flags & MF_EP_ACTS) ||
	    ep->carries == MF_EP_RPC || ep->carries == MF_EP_PROP_SET ||
	    ep->carries == MF_EP_ACTION || ep->carries == MF_EP_SCENE_RUN)
		return 0;
	/* the data must be one JSON object that asks only to read */
	d = cJSON_Parse(data_json ? data_json : "{}");
	if (cJSON_IsObject(d)) {
		const cJSON *v;

		ok = 1;
		if (strcmp(path, "/scene/history") == 0) {
			v = cJSON_GetObjectItemCaseSensitive(d, "command");
			ok = cJSON_IsString(v) && strcmp(v->valuestring, "history") == 0;
		} else if (strcmp(path, "/miotspec/prop/get") == 0) {
			/* datasource 1 or 2 wakes the device: only the cache (3) */
			v = cJSON_GetObjectItemCaseSensitive(d, "datasource");
			ok = cJSON_IsNumber(v) && v->valuedouble == 3;
		} else if (strcmp(path, "/share/share_history_query") == 0) {
			v = cJSON_GetObjectItemCaseSensitive(d, "command");
			ok = !v || (cJSON_IsString(v) && strncmp(v->valuestring, "query", 5) == 0);
		} else if (strcmp(path, "/v2/message/v2/list") == 0) {
			/* the app asks with force_read:true, which marks the messages
			 * read on the server: only an explicit false may be sent */
			v = cJSON_GetObjectItemCaseSensitive(d, "force_read");
			ok = cJSON_IsFalse(v);
		} else if (ep->flags & MF_EP_CAMERA) {
			/* one camera's list: a did is needed */
			v = cJSON_GetObjectItemCaseSensitive(d, "did");
			ok = cJSON_IsString(v) && v->valuestring[0];
		}
		/* nothing that names a method to run or values to set */
		if (cJSON_GetObjectItemCaseSensitive(d, "method") ||
		    cJSON_GetObjectItemCaseSensitive(d, "action") ||
		    cJSON_GetObjectItemCaseSensitive(d, "value"))
			ok = 0;
	}
	cJSON_Delete(d);
	return ok;
}

const char *const mf_acq_regions[] = { "cn", "de", "us", "ru", "tw", "sg", "in", "i2", NULL };

static int region_known(const char *r)
{
	size_t i;

	for (i = 0; mf_acq_regions[i]; i++)
		if (strcmp(r, mf_acq_regions[i]) == 0)
			return 1;
	return 0;
}

int mf_acq_is_camera(const char *path)
{
	const struct mf_endpoint *ep = mf_endpoint_find(path);

	return ep && (ep->flags & MF_EP_CAMERA);
}

int mf_acq_api_url(const char *region, const char *path, char *out, size_t outlen)
{
	const char *pre = "", *app = "/app";
	int n;

	if (!region || !region_known(region) || !path || path[0] != '/')
		return MF_ERR_ARG;
	if (strncmp(path, "/app/", 5) == 0)
		path += 4;
	if (mf_acq_is_camera(path)) {
		pre = "business.smartcamera.";
		app = "";
	}
	if (strcmp(region, "cn") == 0)
		n = snprintf(out, outlen, "https://%sapi.io.mi.com%s%s", pre, app, path);
	else
		n = snprintf(out, outlen, "https://%s.%sapi.io.mi.com%s%s", region, pre, app, path);
	return n > 0 && (size_t)n < outlen ? 0 : MF_ERR_ARG;
}

int mf_acq_camera_model(const char *model, int *doorbell)
{
	int bell = model && strstr(model, ".cateye.") != NULL;

	if (doorbell)
		*doorbell = bell;
	return model && (bell || strstr(model, ".camera.") != NULL);
}

/* ======================================================= one API call */

struct mf_api {
	struct mf_http *h;
	struct mf_session *s;
};

void mf_api_result_init(struct mf_api_result *r)
{
	memset(r, 0, sizeof(*r));
	mf_buf_init(&r->body_sent, 4u << 20);
	mf_http_resp_init(&r->resp, REPLY_MAX);
	mf_buf_init(&r->plain, REPLY_MAX);
}

static void result_reset(struct mf_api_result *r)
{
	r->url[0] = r->nonce[0] = r->request_id[0] = r->method[0] = '\0';
	mf_buf_reset(&r->body_sent);
	mf_http_resp_reset(&r->resp);
	mf_buf_reset(&r->plain);
	r->how = 0;
	r->reason = NULL;
	cJSON_Delete(r->reply);
	r->reply = NULL;
}

void mf_api_result_free(struct mf_api_result *r)
{
	mf_buf_free(&r->body_sent);
	mf_http_resp_free(&r->resp);
	mf_buf_free(&r->plain);
	cJSON_Delete(r->reply);
	r->reply = NULL;
}

int mf_api_new(const struct mf_http_opts *ho, struct mf_session *s, struct mf_api **out,
               char *errbuf)
{
	struct mf_api *a = calloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	if (!a)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	if ((rc = mf_http_new(ho, &a->h, errbuf)) != 0) {
		free(a);
		return rc;
	}
	a->s = s;
	*out = a;
	return 0;
}

void mf_api_free(struct mf_api *a)
{
	if (!a)
		return;
	mf_http_free(a->h);
	free(a);
}

struct mf_http *mf_api_http(struct mf_api *a)
{
	return a->h;
}

unsigned long mf_api_sent(const struct mf_api *a)
{
	return a ? mf_http_sent(a->h) : 0;
}

static int form_text(const struct mf_micloud_form *f, struct mf_buf *b)
{
	int rc = mf_micloud_form_encode(f, b);

	return rc ? rc : mf_buf_addc(b, '\0') ? MF_ERR_NOMEM : (b->len--, 0);
}

int mf_api_call(struct mf_api *a, const char *region, const char *path, const char *data_json,
                struct mf_api_result *res, char *errbuf)
{
	struct mf_micloud_form plain, enc;
	struct mf_buf body, cookie, url;
	const char *spath;
	char cc[8];
	uint8_t rnd[8];
	size_t i;
	int rc, camera;
	const char *hdrs[] = {
		"MIOT-ENCRYPT-ALGORITHM: ENCRYPT-RC4",
		"Accept-Encoding: identity",
		"X-XIAOMI-PROTOCAL-FLAG-CLI: PROTOCAL-HTTP2",
		"MIOT-ACCEPT-ENCODING: GZIP",
		"Content-Type: application/x-www-form-urlencoded",   /* POST only */
		NULL
	};

	result_reset(res);
	/* the gate comes first: a refused call never reaches the network */
	if (!mf_acq_allowed(path, data_json))
		return mf_seterr(errbuf, MF_ERR_ARG, "refused: %s is not a read-only query endpoint "
		    "of the acquisition", path ? path : "(null)");
	if (mf_acq_api_url(region, path, res->url, sizeof(res->url)) != 0)
		return mf_seterr(errbuf, MF_ERR_ARG, "unknown region '%s'", region ? region : "");
	if (!a->s->ssecurity[0] || !a->s->service_token[0])
		return mf_seterr(errbuf, MF_ERR_FORMAT, "the session has no ssecurity/serviceToken");
	/* API hosts: POST, the path signed without "/app", fields in the body;
	 * camera hosts: GET, the full path signed, fields in the query */
	spath = strncmp(path, "/app/", 5) == 0 ? path + 4 : path;
	camera = mf_acq_is_camera(spath);
	snprintf(res->method, sizeof(res->method), "%s", camera ? "GET" : "POST");
	if (camera)
		hdrs[4] = NULL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "no random bytes for the nonce");
	if (mf_micloud_nonce_make(rnd, mf_login_now_ms(), res->nonce) != 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "clock out of range");
	mf_micloud_form_init(&plain);
	mf_micloud_form_init(&enc);
	mf_buf_init(&body, 4u << 20);
	mf_buf_init(&cookie, 16u << 10);
	rc = mf_micloud_form_add(&plain, "data", data_json ? data_json : "{}",
	    strlen(data_json ? data_json : "{}"));
	if (rc == 0)
		rc = mf_micloud_rc4_encrypt_params(res->method, spath, a->s->ssecurity, res->nonce,
		    &plain, MF_MICLOUD_RC4_CONTINUE, &enc);
	if (rc == 0)
		rc = form_text(&enc, &body);
	/* what the manifest shows: the same form, ssecurity redacted */
	for (i = 0; rc == 0 && i < enc.n; i++)
		if (strcmp(enc.kv[i].key, "ssecurity") == 0) {
			free(enc.kv[i].val);
			enc.kv[i].val = strdup("[redacted]");
			enc.kv[i].val_len = enc.kv[i].val ? 10 : 0;
			if (!enc.kv[i].val)
				rc = MF_ERR_NOMEM;
		}
	if (rc == 0)
		rc = form_text(&enc, &res->body_sent);
	snprintf(cc, sizeof(cc), "%s", region);
	for (i = 0; cc[i]; i++)
		cc[i] = (char)toupper((unsigned char)cc[i]);
	if (rc == 0)
		rc = mf_buf_printf(&cookie, "userId=%s; %s%s%sserviceToken=%s; "
		    "yetAnotherServiceToken=%s; locale=en_GB; timezone=GMT%%2B00%%3A00; "
		    "timezone_id=UTC; is_daylight=0; dst_offset=0; channel=MI_APP_STORE; "
		    "countryCode=%s", a->s->user_id, a->s->cuser_id[0] ? "cUserId=" : "",
		    a->s->cuser_id, a->s->cuser_id[0] ? "; " : "", a->s->service_token,
		    a->s->service_token, cc);
	mf_micloud_form_free(&plain);
	mf_micloud_form_free(&enc);
	if (rc) {
		mf_buf_free(&body);
		mf_buf_free(&cookie);
		return mf_seterr(errbuf, MF_ERR_FORMAT, "the request could not be built (%s)",
		    mf_strerror(rc));
	}
	/* the URL in the manifest (res->url) never carries the query: it holds
	 * ssecurity in clear; "sent" shows it redacted */
	mf_buf_init(&url, 8u << 20);
	if (!camera)
		rc = mf_http_request(a->h, "POST", res->url, hdrs, mf_buf_cstr(&cookie), body.data,
		    body.len, &res->resp);
	else if (mf_buf_printf(&url, "%s?%.*s", res->url, (int)body.len, (const char *)body.data)
	    != 0)
		rc = MF_ERR_NOMEM;     /* nothing was sent */
	else
		rc = mf_http_request(a->h, "GET", mf_buf_cstr(&url), hdrs, mf_buf_cstr(&cookie), NULL,
		    0, &res->resp);
	explicit_bzero(cookie.data, cookie.len);
	if (body.data)
		explicit_bzero(body.data, body.len);
	if (url.data)
		explicit_bzero(url.data, url.len);
	mf_buf_free(&url);
	mf_buf_free(&body);
	mf_buf_free(&cookie);
	if (rc == MF_ERR_NOMEM)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "the request could not be built (out of memory)");
	if (rc == MF_ERR_LIMIT) {
		res->reason = "body_too_large";
		return 0;
	}
	if (rc)
		return mf_seterr(errbuf, rc, "%s", res->resp.errmsg);
	if (!mf_http_header(&res->resp, "Request-Id", res->request_id, sizeof(res->request_id)))
		mf_http_header(&res->resp, "X-Request-Id", res->request_id, sizeof(res->request_id));
	/* decode: plain JSON (errors), else base64 + RC4 [+ gzip] */
	{
		const uint8_t *b = res->resp.body.data;
		size_t n = res->resp.body.len, k = 0;
		char enc_hdr[32];
		const char *why = NULL;

		while (k < n && isspace(b[k]))
			k++;
		if (k == n) {
			res->reason = "empty_body";
			return 0;
		}
		if (res->resp.status != 200 && b[k] != '{' && b[k] != '[') {
			res->reason = "not_decoded_http_error";
			return 0;
		}
		rc = mf_micloud_decrypt_response(a->s->ssecurity, res->nonce, b, n,
		    mf_http_header(&res->resp, "MIOT-CONTENT-ENCODING", enc_hdr, sizeof(enc_hdr)) &&
		    strcasecmp(enc_hdr, "GZIP") == 0, REPLY_MAX, &res->plain, &res->how, &res->reason);
		if (rc) {
			if (!res->reason)
				res->reason = "undecodable";
			mf_buf_reset(&res->plain);
			return 0;
		}
		res->reply = mf_cloud_json_parse((const char *)res->plain.data, res->plain.len, 64,
		    &why);
		if (!cJSON_IsObject(res->reply)) {
			cJSON_Delete(res->reply);
			res->reply = NULL;
			res->reason = (res->how & MF_MICLOUD_RESP_RC4) && why &&
			    strcmp(why, "json_unparsable") == 0 ? "rc4_not_json" : why ? why : "not_object";
		}
	}
	return 0;
}

/* ======================================================= the acquisition */

enum { C_OK, C_APIERR, C_FAIL, C_ABORT };

struct prior {
	char key[33];
	int final;           /* 1 ok, 2 api_error, 0 to be asked again */
	char *decoded;       /* relative path of the decoded reply, or NULL */
	char sha[65];
};

struct home {
	char id[32], owner[32];
	int shared;
};

struct dev {
	char did[96], model[128], owner[32], pid[16];
};

struct acq {
	const struct mf_acq_opts *o;
	struct mf_acq_summary *sum;
	char *errbuf;
	struct mf_session s;
	struct mf_api *api;
	struct mf_api_result res;
	char dir[3072];
	FILE *log;
	/* manifest */
	int man_fd;
	off_t tail_off;
	unsigned long nentries;
	cJSON *header;
	cJSON *runs;         /* previous runs + this one (last) */
	cJSON *run;          /* borrowed from runs */
	unsigned long seq;   /* next sequence number */
	/* resume */
	struct prior *pv;
	size_t np;
	/* window */
	int64_t now_s, since_s;
	char regions[MAX_REGIONS][8];
	int nregions;
	cJSON *with_data, *without_data;
	int aborted;
	int finished;
	int64_t last_ms;
	/* progress */
	struct mf_acq_progress pg;
	/* per region */
	struct home *homes;
	size_t nhomes;
	struct dev *devs;
	size_t ndevs;
	int camera_down;     /* the region's camera host did not answer */
};

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void now_iso(char out[32])
{
	mf_time_iso(mf_login_now_ms() * 1000000, out);
}

static void logmsg(struct acq *a, int warn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logmsg(struct acq *a, int warn, const char *fmt, ...)
{
	char msg[1024], t[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (a->log) {
		now_iso(t);
		fprintf(a->log, "%s %s %s\n", t, warn ? "WARN" : "info", msg);
		fflush(a->log);
	}
	if (warn && a->o->say)
		a->o->say(a->o->arg, msg);
}

static void progress(struct acq *a)
{
	if (a->o->progress) {
		a->pg.requests = a->sum->exchanges;
		a->o->progress(a->o->arg, &a->pg);
	}
}

static void sha_hex(const void *p, size_t n, char out[65])
{
	uint8_t h[32];

	mf_sha256(p, n, h);
	mf_hex_encode(h, 32, out);
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int pwrite_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;

	while (n) {
		ssize_t w = pwrite(fd, c, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* A new evidence file (never overwrites).  0 or -1 (errno). */
static int new_file(struct acq *a, const char *rel, const void *p, size_t n)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", a->dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, p, n) != 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* --------------------------------------------------------- manifest */

static char *tail_text(struct acq *a)
{
	cJSON *t = cJSON_CreateObject(), *s = cJSON_CreateObject();
	char *txt, *out = NULL;
	size_t n;

	if (!t || !s) {
		cJSON_Delete(t);
		cJSON_Delete(s);
		return NULL;
	}
	cJSON_AddItemReferenceToObject(t, "runs", a->runs);
	cJSON_AddStringToObject(s, "status", a->aborted ? "interrupted" : !a->finished ?
	    "running" : a->sum->incomplete ? "incomplete" : "complete");
	cJSON_AddNumberToObject(s, "entries", (double)a->nentries);
	cJSON_AddItemReferenceToObject(s, "regions_with_data", a->with_data);
	cJSON_AddItemReferenceToObject(s, "regions_without_data", a->without_data);
	cJSON_AddItemToObject(t, "summary", s);
	cJSON_AddStringToObject(t, "log", "acquisition.log");
	txt = cJSON_PrintUnformatted(t);
	cJSON_Delete(t);
	if (!txt)
		return NULL;
	/* {"runs":...} -> ],"runs":...}\n */
	n = strlen(txt);
	out = malloc(n + 4);
	if (out) {
		out[0] = ']';
		out[1] = ',';
		memcpy(out + 2, txt + 1, n - 1);
		out[n + 1] = '\n';
		out[n + 2] = '\0';
	}
	free(txt);
	return out;
}

static void run_update(struct acq *a, const char *status)
{
	char t[32];

	cJSON_DeleteItemFromObjectCaseSensitive(a->run, "status");
	cJSON_AddStringToObject(a->run, "status", status);
	cJSON_DeleteItemFromObjectCaseSensitive(a->run, "exchanges");
	cJSON_AddNumberToObject(a->run, "exchanges", (double)a->sum->exchanges);
	cJSON_DeleteItemFromObjectCaseSensitive(a->run, "reused");
	cJSON_AddNumberToObject(a->run, "reused", (double)a->sum->reused);
	if (strcmp(status, "running") != 0) {
		now_iso(t);
		cJSON_DeleteItemFromObjectCaseSensitive(a->run, "finished");
		cJSON_AddStringToObject(a->run, "finished", t);
	}
}

static int man_write_tail(struct acq *a, const char *pre, size_t prelen)
{
	char *tail;
	size_t tl;
	int rc = 0;

	tail = tail_text(a);
	if (!tail)
		return MF_ERR_NOMEM;
	tl = strlen(tail);
	if ((prelen && pwrite_all(a->man_fd, pre, prelen, a->tail_off) != 0) ||
	    pwrite_all(a->man_fd, "\n", 1, a->tail_off + (off_t)prelen) != 0 ||
	    pwrite_all(a->man_fd, tail, tl, a->tail_off + (off_t)prelen + 1) != 0 ||
	    ftruncate(a->man_fd, a->tail_off + (off_t)prelen + 1 + (off_t)tl) != 0)
		rc = MF_ERR_IO;
	free(tail);
	if (rc == 0)
		a->tail_off += (off_t)prelen;
	return rc;
}

/* Appends one entry (taken). */
static int man_append(struct acq *a, cJSON *entry)
{
	char *txt = cJSON_PrintUnformatted(entry);
	struct mf_buf b;
	int rc;

	cJSON_Delete(entry);
	if (!txt)
		return MF_ERR_NOMEM;
	mf_buf_init(&b, (size_t)-1);
	rc = mf_buf_printf(&b, "%s\n%s", a->nentries ? "," : "", txt);
	free(txt);
	if (rc == 0)
		rc = man_write_tail(a, (const char *)b.data, b.len);
	mf_buf_free(&b);
	if (rc == 0)
		a->nentries++;
	else
		logmsg(a, 1, "manifest.json: writing failed (%s)", strerror(errno));
	return rc;
}

/* Writes the whole manifest (header, given entry lines, tail) to a new
 * file and renames it into place; keeps it open for appending. */
static int man_rewrite(struct acq *a, const struct mf_buf *entries, unsigned long nentries)
{
	char tmp[4096], path[4096];
	char *hdr = cJSON_PrintUnformatted(a->header);
	size_t hl;
	int fd, rc = 0;

	if (!hdr)
		return MF_ERR_NOMEM;
	/* {"format":...} -> {"format":...,"requests":[ */
	hl = strlen(hdr);
	snprintf(path, sizeof(path), "%s/manifest.json", a->dir);
	snprintf(tmp, sizeof(tmp), "%s/.manifest.json.XXXXXX", a->dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(hdr);
		return mf_seterr(a->errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
	}
	fchmod(fd, 0600);
	if (write_all(fd, hdr, hl - 1) != 0 || write_all(fd, ",\"requests\":[", 13) != 0 ||
	    (entries->len && write_all(fd, entries->data, entries->len) != 0))
		rc = MF_ERR_IO;
	free(hdr);
	if (rc == 0) {
		struct stat st;

		a->man_fd = fd;
		a->nentries = nentries;
		if (fstat(fd, &st) != 0)
			rc = MF_ERR_IO;
		else
			a->tail_off = st.st_size;
		if (rc == 0)
			rc = man_write_tail(a, NULL, 0);
	}
	if (rc == 0 && (fsync(fd) != 0 || rename(tmp, path) != 0))
		rc = MF_ERR_IO;
	if (rc) {
		mf_seterr(a->errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
		close(fd);
		a->man_fd = -1;
		unlink(tmp);
	}
	return rc;
}

/* ----------------------------------------------------- resume: reading */

static struct prior *prior_find(struct acq *a, const char *key)
{
	size_t i;

	/* newest entry wins: search from the end */
	for (i = a->np; i-- > 0;)
		if (strcmp(a->pv[i].key, key) == 0)
			return &a->pv[i];
	return NULL;
}

static int prior_add(struct acq *a, const cJSON *e)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "request_key");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(e, "status");
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(e, "decoded");
	const cJSON *df = cJSON_GetObjectItemCaseSensitive(dec, "file");
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(dec, "sha256");
	struct prior *p;

	if (!cJSON_IsString(k) || strlen(k->valuestring) != 32 || !cJSON_IsString(st))
		return 0;
	if (a->np % 256 == 0) {
		struct prior *n = realloc(a->pv, (a->np + 256) * sizeof(*n));

		if (!n)
			return MF_ERR_NOMEM;
		a->pv = n;
	}
	p = &a->pv[a->np++];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", k->valuestring);
	p->final = strcmp(st->valuestring, "ok") == 0 ? 1 :
	    strcmp(st->valuestring, "api_error") == 0 ? 2 : 0;
	if (p->final && cJSON_IsString(df) && cJSON_IsString(ds) &&
	    strncmp(df->valuestring, "responses/", 10) == 0 && !strstr(df->valuestring, "..")) {
		p->decoded = strdup(df->valuestring);
		snprintf(p->sha, sizeof(p->sha), "%s", ds->valuestring);
	}
	if (p->final && !p->decoded)
		p->final = 0;
	return 0;
}

static unsigned long max_file_seq(const char *dir)
{
	char path[4096];
	unsigned long m = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/responses", dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long v;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		v = strtoul(de->d_name, &end, 10);
		if (*end == '-' && v > m)
			m = v;
	}
	closedir(d);
	return m;
}

/* Reads an earlier manifest: header, entry lines (kept verbatim), runs. */
static int man_load(struct acq *a, struct mf_buf *entries, unsigned long *nentries)
{
	char path[4096], eb[MF_ERRBUF_SIZE];
	char *buf = NULL, *p, *line, *end;
	size_t len;
	unsigned long maxseq = 0;
	int rc, first = 1, closed = 0;

	snprintf(path, sizeof(path), "%s/manifest.json", a->dir);
	if ((rc = mf_read_small_file(path, MANIFEST_MAX, &buf, &len, eb)) != 0)
		return mf_seterr(a->errbuf, MF_ERR_ARG, "--resume: %s", eb);
	*nentries = 0;
	for (p = buf; p < buf + len; p = end + 1) {
		end = memchr(p, '\n', (size_t)(buf + len - p));
		if (!end)
			end = buf + len;
		*end = '\0';
		line = p;
		if (first) {
			/* {"format":...,"requests":[ */
			size_t n = strlen(line);
			const cJSON *fmt;

			first = 0;
			if (n < 13 || strcmp(line + n - 13, ",\"requests\":[") != 0)
				break;
			line[n - 13] = '}';
			line[n - 12] = '\0';
			a->header = cJSON_Parse(line);
			fmt = cJSON_GetObjectItemCaseSensitive(a->header, "format");
			if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, MF_ACQ_FORMAT) != 0) {
				cJSON_Delete(a->header);
				a->header = NULL;
				break;
			}
			continue;
		}
		if (line[0] == '{') {
			size_t n = strlen(line);
			cJSON *e;
			const cJSON *sq;

			if (n && line[n - 1] == ',')
				line[--n] = '\0';
			e = cJSON_Parse(line);
			if (!e) {
				logmsg(a, 1, "manifest.json: an entry cut short by the interruption is "
				    "ignored (its exchange is asked again)");
				break;
			}
			sq = cJSON_GetObjectItemCaseSensitive(e, "seq");
			if (cJSON_IsNumber(sq) && sq->valuedouble > (double)maxseq)
				maxseq = (unsigned long)sq->valuedouble;
			rc = prior_add(a, e);
			cJSON_Delete(e);
			if (rc == 0)
				rc = mf_buf_printf(entries, "%s\n%s", *nentries ? "," : "", line);
			if (rc) {
				free(buf);
				return mf_seterr(a->errbuf, MF_ERR_NOMEM, "out of memory");
			}
			(*nentries)++;
			continue;
		}
		if (line[0] == ']') {
			/* ],"runs":[...],... -> {"runs":[...],...} */
			cJSON *t;

			line[0] = ' ';
			line[1] = '{';
			t = cJSON_Parse(line + 1);
			if (t) {
				cJSON *r = cJSON_DetachItemFromObjectCaseSensitive(t, "runs");

				if (cJSON_IsArray(r)) {
					cJSON_Delete(a->runs);
					a->runs = r;
				} else {
					cJSON_Delete(r);
				}
				cJSON_Delete(t);
			}
			closed = 1;
			break;
		}
		if (line[0])
			break;
	}
	free(buf);
	if (!a->header)
		return mf_seterr(a->errbuf, MF_ERR_ARG, "--resume: %s is not a manifest of `cloud "
		    "acquire`", path);
	if (!closed)
		logmsg(a, 1, "manifest.json: the previous run ended without closing it; %lu "
		    "entries recovered", *nentries);
	a->seq = maxseq + 1;
	{
		unsigned long fm = max_file_seq(a->dir);

		if (fm >= a->seq)
			a->seq = fm + 1;
	}
	return 0;
}

/* -------------------------------------------------------- the folder */

static int dir_empty(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int empty = 1;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

static int open_folder(struct acq *a)
{
	char path[4096];
	struct stat st;
	int fd;

	if (strlen(a->o->out_dir) >= sizeof(a->dir) - 64)
		return mf_seterr(a->errbuf, MF_ERR_ARG, "-o: path too long");
	snprintf(a->dir, sizeof(a->dir), "%s", a->o->out_dir);
	snprintf(path, sizeof(path), "%s/manifest.json", a->dir);
	if (a->o->resume) {
		if (stat(path, &st) != 0)
			return mf_seterr(a->errbuf, MF_ERR_ARG, "--resume: %s has no manifest.json",
			    a->dir);
	} else if (stat(a->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return mf_seterr(a->errbuf, MF_ERR_ARG, "%s: not a folder", a->dir);
		if (stat(path, &st) == 0)
			return mf_seterr(a->errbuf, MF_ERR_ARG, "%s already holds an acquisition: use "
			    "--resume to continue it, or another folder", a->dir);
		if (dir_empty(a->dir) != 1)
			return mf_seterr(a->errbuf, MF_ERR_ARG, "%s is not empty: choose a new or empty "
			    "folder", a->dir);
	} else if (mkdir(a->dir, 0700) != 0) {
		return mf_seterr(a->errbuf, MF_ERR_IO, "%s: %s", a->dir, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/responses", a->dir);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return mf_seterr(a->errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/acquisition.log", a->dir);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || !(a->log = fdopen(fd, "a"))) {
		if (fd >= 0)
			close(fd);
		return mf_seterr(a->errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* ------------------------------------------------- one evidence call */

static const char *classify(const struct mf_api_result *r, long *code, char *msg, size_t msgn)
{
	long st = r->resp.status;
	const cJSON *c, *m;

	*code = 0;
	msg[0] = '\0';
	if (r->reply) {
		c = cJSON_GetObjectItemCaseSensitive(r->reply, "code");
		m = cJSON_GetObjectItemCaseSensitive(r->reply, "message");
		if (cJSON_IsNumber(c))
			*code = (long)c->valuedouble;
		else if (cJSON_IsString(c))
			*code = strtol(c->valuestring, NULL, 10);
		if (cJSON_IsString(m))
			snprintf(msg, msgn, "%s", m->valuestring);
	}
	if (st == 401 || st == 403)
		return "auth_error";
	if (st == 429 || st >= 500)
		return "http_error";
	if (st >= 300 && st < 400)
		return "redirect";
	if (r->reply) {
		if (strcasestr(msg, "auth err") || strcasestr(msg, "invalid signature") ||
		    strcasestr(msg, "SERVICETOKEN_EXPIRED") || strcasestr(msg, "token expired") ||
		    ((*code == 2 || *code == 3) && st == 200 &&
		    !cJSON_GetObjectItemCaseSensitive(r->reply, "result")))
			return "auth_error";
		if (strcasestr(msg, "throttle"))
			return "throttled";
		if (st != 200)
			return "http_error";
		return *code == 0 ? "ok" : "api_error";
	}
	if (st != 200)
		return "http_error";
	return "malformed";
}

/* Short name of the endpoint for file names. */
static const char *ep_name(const char *path)
{
	const struct mf_endpoint *ep = mf_endpoint_find(path);

	return ep && ep->name ? ep->name : "call";
}

/* Writes the files and the manifest entry of one exchange. */
static void record(struct acq *a, const char *region, const char *path, const char *data,
                   const char *key, unsigned attempt, int net_rc, const char *net_err,
                   const char *status, long code, const char *msg)
{
	struct mf_api_result *r = &a->res;
	char base[160], rel[200], t[32], sha[65];
	unsigned long seq = a->seq++;
	cJSON *e = cJSON_CreateObject(), *o;

	if (!e)
		return;
	snprintf(base, sizeof(base), "responses/%06lu-%s-%s", seq, region, ep_name(path));
	now_iso(t);
	mf_json_u64(e, "seq", seq);
	cJSON_AddNumberToObject(e, "run", (double)cJSON_GetArraySize(a->runs));
	cJSON_AddStringToObject(e, "request_key", key);
	cJSON_AddStringToObject(e, "time", t);
	cJSON_AddStringToObject(e, "region", region);
	cJSON_AddStringToObject(e, "endpoint", ep_name(path));
	cJSON_AddStringToObject(e, "method", r->method[0] ? r->method : "POST");
	cJSON_AddStringToObject(e, "url", r->url);
	cJSON_AddStringToObject(e, "path", path);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "data", cJSON_CreateRaw(data));
	cJSON_AddItemToObject(e, "params", o);
	cJSON_AddStringToObject(e, "sent", mf_buf_cstr(&r->body_sent) ? mf_buf_cstr(&r->body_sent) :
	    "");
	cJSON_AddStringToObject(e, "nonce", r->nonce);
	cJSON_AddStringToObject(e, "rc4_variant", "app");
	cJSON_AddNumberToObject(e, "attempt", attempt);
	if (net_rc == 0) {
		cJSON_AddNumberToObject(e, "http_status", (double)r->resp.status);
		if (r->resp.http_version[0])
			cJSON_AddStringToObject(e, "http_version", r->resp.http_version);
		if (r->resp.remote[0])
			cJSON_AddStringToObject(e, "remote", r->resp.remote);
		if (r->request_id[0])
			cJSON_AddStringToObject(e, "request_id", r->request_id);
	}
	cJSON_AddStringToObject(e, "status", status);
	if (net_err && net_err[0])
		cJSON_AddStringToObject(e, "error", net_err);
	if (r->reply) {
		cJSON_AddNumberToObject(e, "code", (double)code);
		if (msg[0])
			cJSON_AddStringToObject(e, "message", msg);
	}
	if (net_rc == 0) {
		cJSON_AddStringToObject(e, "decode", r->reply ? ((r->how & MF_MICLOUD_RESP_RC4) ?
		    ((r->how & MF_MICLOUD_RESP_GZIP) ? "rc4+gzip" : "rc4") : "plain") : "failed");
		if (!r->reply && r->reason)
			cJSON_AddStringToObject(e, "reason", r->reason);
		snprintf(rel, sizeof(rel), "%s.raw", base);
		if (new_file(a, rel, r->resp.body.data, r->resp.body.len) == 0) {
			o = cJSON_CreateObject();
			sha_hex(r->resp.body.data, r->resp.body.len, sha);
			cJSON_AddStringToObject(o, "file", rel);
			cJSON_AddNumberToObject(o, "size", (double)r->resp.body.len);
			cJSON_AddStringToObject(o, "sha256", sha);
			cJSON_AddItemToObject(e, "raw", o);
		} else {
			logmsg(a, 1, "%s: %s", rel, strerror(errno));
			a->sum->incomplete = 1;
		}
		if (r->reply) {
			snprintf(rel, sizeof(rel), "%s.json", base);
			if (new_file(a, rel, r->plain.data, r->plain.len) == 0) {
				o = cJSON_CreateObject();
				sha_hex(r->plain.data, r->plain.len, sha);
				cJSON_AddStringToObject(o, "file", rel);
				cJSON_AddNumberToObject(o, "size", (double)r->plain.len);
				cJSON_AddStringToObject(o, "sha256", sha);
				cJSON_AddItemToObject(e, "decoded", o);
			} else {
				logmsg(a, 1, "%s: %s", rel, strerror(errno));
				a->sum->incomplete = 1;
			}
		}
	}
	a->sum->exchanges++;
	man_append(a, e);
}

static void backoff(struct acq *a, unsigned attempt)
{
	unsigned ms = a->o->retry_ms;
	unsigned k;

	for (k = 1; k < attempt && ms < MAX_DELAY_MS; k++)
		ms *= 2;
	if (ms > MAX_DELAY_MS)
		ms = MAX_DELAY_MS;
	if (ms)
		sleep_ms(ms);
}

static void pace(struct acq *a)
{
	int64_t now = mf_login_now_ms();

	if (a->last_ms && a->o->delay_ms && now - a->last_ms < (int64_t)a->o->delay_ms)
		sleep_ms((unsigned)(a->o->delay_ms - (unsigned)(now - a->last_ms)));
	a->last_ms = mf_login_now_ms();
}

static int refresh(struct acq *a)
{
	char eb[MF_ERRBUF_SIZE] = "";
	int rc;

	logmsg(a, 0, "the cloud refused the session (expired serviceToken?): renewing it "
	    "through the passToken");
	rc = mf_login_refresh(mf_api_http(a->api), &a->s, eb);
	if (rc) {
		logmsg(a, 1, "session refresh failed: %s", eb);
		mf_seterr(a->errbuf, MF_ERR_IO, "the session expired and could not be renewed (%s); "
		    "log in again with `miforensics cloud login`, then continue with --resume", eb);
		return rc;
	}
	a->sum->refreshes++;
	if (mf_session_save(a->o->session_path, &a->s, eb) != 0)
		logmsg(a, 1, "the renewed session could not be saved: %s", eb);
	else
		logmsg(a, 0, "session renewed and saved to %s", a->o->session_path);
	return 0;
}

/* Reads back a stored reply (resume). */
static cJSON *stored_reply(struct acq *a, const struct prior *p)
{
	char path[4096], eb[MF_ERRBUF_SIZE], sha[65];
	char *buf = NULL;
	size_t len = 0;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/%s", a->dir, p->decoded);
	if (mf_read_small_file(path, REPLY_MAX, &buf, &len, eb) != 0)
		return NULL;
	sha_hex(buf, len, sha);
	if (strcmp(sha, p->sha) != 0) {
		logmsg(a, 1, "%s: SHA-256 differs from the manifest; asking again", p->decoded);
		free(buf);
		return NULL;
	}
	j = mf_cloud_json_parse(buf, len, 64, NULL);
	free(buf);
	return j;
}

static void region_redirect(struct acq *a, const char *region)
{
	char loc[1024], host[256];
	int i;

	if (!mf_http_header(&a->res.resp, "Location", loc, sizeof(loc)))
		return;
	mf_http_url_host(loc, host, sizeof(host));
	logmsg(a, 1, "%s: the cloud redirects to %s", region, loc);
	for (i = 0; mf_acq_regions[i]; i++) {
		char want[64];
		int k, have = 0;

		if (strcmp(mf_acq_regions[i], "cn") == 0)
			snprintf(want, sizeof(want), "api.io.mi.com");
		else
			snprintf(want, sizeof(want), "%s.api.io.mi.com", mf_acq_regions[i]);
		if (strcasecmp(host, want) != 0)
			continue;
		for (k = 0; k < a->nregions; k++)
			have |= strcmp(a->regions[k], mf_acq_regions[i]) == 0;
		if (!have && a->nregions < MAX_REGIONS) {
			snprintf(a->regions[a->nregions++], sizeof(a->regions[0]), "%s",
			    mf_acq_regions[i]);
			logmsg(a, 0, "region %s added to the plan (redirect)", mf_acq_regions[i]);
		}
	}
}

/* One call with evidence, retries, refresh and resume.  *out receives the
 * reply (C_OK, C_APIERR; caller frees). */
static int call(struct acq *a, const char *region, const char *path, const cJSON *data,
                cJSON **out)
{
	char *dt = NULL, key[65], eb[MF_ERRBUF_SIZE], msg[256];
	struct mf_buf kb;
	struct prior *p;
	unsigned attempt;
	int refreshed = 0, ret = C_FAIL;

	*out = NULL;
	if (a->aborted)
		return C_ABORT;
	dt = cJSON_PrintUnformatted(data);
	if (!dt)
		return C_FAIL;
	mf_buf_init(&kb, (size_t)-1);
	mf_buf_printf(&kb, "%s\n%s\n%s", region, path, dt);
	sha_hex(kb.data, kb.len, key);
	key[32] = '\0';
	mf_buf_free(&kb);
	p = prior_find(a, key);
	if (p && p->final) {
		cJSON *j = stored_reply(a, p);

		if (j) {
			a->sum->reused++;
			*out = j;
			free(dt);
			return p->final == 1 ? C_OK : C_APIERR;
		}
	}
	if (!mf_acq_allowed(path, dt)) {
		logmsg(a, 1, "refused (not a read-only query): %s %s", path, dt);
		a->sum->failed++;
		free(dt);
		return C_FAIL;
	}
	for (attempt = 1;; attempt++) {
		const char *status;
		long code = 0;
		int rc;

		pace(a);
		progress(a);
		eb[0] = '\0';
		rc = mf_api_call(a->api, region, path, dt, &a->res, eb);
		if (rc == MF_ERR_ARG || rc == MF_ERR_FORMAT) {
			logmsg(a, 1, "%s %s: %s", region, path, eb);
			a->sum->failed++;
			a->sum->incomplete = 1;
			ret = C_FAIL;
			break;
		}
		if (rc) {
			msg[0] = '\0';
			record(a, region, path, dt, key, attempt, rc, eb, "network_error", 0, msg);
			if (attempt <= a->o->retries) {
				logmsg(a, 0, "%s %s: network failure (%s); retry %u", region, path, eb,
				    attempt);
				backoff(a, attempt);
				continue;
			}
			if (mf_acq_is_camera(path)) {
				/* the camera host alone may be out of reach (no such host
				 * in this region): reported, the rest goes on; if the
				 * network itself is gone, the next API call stops */
				logmsg(a, 1, "%s %s: the camera host is out of reach (%s) after %u "
				    "attempt(s); camera lists of region %s skipped", region, path, eb,
				    attempt, region);
				a->camera_down = 1;
				a->sum->failed++;
				a->sum->incomplete = 1;
				ret = C_FAIL;
				break;
			}
			logmsg(a, 1, "%s %s: network failure (%s) after %u attempts: stopping", region,
			    path, eb, attempt);
			mf_seterr(a->errbuf, MF_ERR_IO, "network failure (%s): the acquisition is "
			    "interrupted; run the same command with --resume to continue", eb);
			a->aborted = 1;
			ret = C_ABORT;
			break;
		}
		status = classify(&a->res, &code, msg, sizeof(msg));
		record(a, region, path, dt, key, attempt, 0, NULL, status, code, msg);
		if (!strcmp(status, "ok") || !strcmp(status, "api_error")) {
			*out = a->res.reply;
			a->res.reply = NULL;
			if (!strcmp(status, "ok")) {
				a->sum->ok++;
				ret = C_OK;
			} else {
				a->sum->api_errors++;
				logmsg(a, 0, "%s %s: the cloud answered code %ld%s%s", region, path, code,
				    msg[0] ? ": " : "", msg);
				ret = C_APIERR;
			}
			break;
		}
		if (!strcmp(status, "http_error") || !strcmp(status, "throttled")) {
			long st = a->res.resp.status;

			if ((st == 429 || st >= 500 || !strcmp(status, "throttled")) &&
			    attempt <= a->o->retries) {
				logmsg(a, 0, "%s %s: %s (HTTP %ld); retry %u after a pause", region, path,
				    status, st, attempt);
				backoff(a, attempt);
				continue;
			}
			logmsg(a, 1, "%s %s: HTTP %ld%s, given up after %u attempt(s)", region, path, st,
			    !strcmp(status, "throttled") ? " (throttled)" : "", attempt);
			a->sum->failed++;
			a->sum->incomplete = 1;
			ret = C_FAIL;
			break;
		}
		if (!strcmp(status, "auth_error")) {
			if (!refreshed) {
				refreshed = 1;
				if (refresh(a) == 0)
					continue;
			} else {
				mf_seterr(a->errbuf, MF_ERR_IO, "the cloud refuses the session even after "
				    "renewing it (HTTP %ld, code %ld%s%s); log in again with `miforensics "
				    "cloud login`, then continue with --resume", a->res.resp.status, code,
				    msg[0] ? ": " : "", msg);
				logmsg(a, 1, "%s", a->errbuf);
			}
			a->aborted = 1;
			ret = C_ABORT;
			break;
		}
		if (!strcmp(status, "redirect")) {
			region_redirect(a, region);
			ret = C_FAIL;
			break;
		}
		/* malformed: stored raw, reported, the acquisition goes on */
		logmsg(a, 1, "%s %s: the reply does not decode (%s); kept raw as received", region,
		    path, a->res.reason ? a->res.reason : "?");
		a->sum->malformed++;
		a->sum->incomplete = 1;
		ret = C_FAIL;
		break;
	}
	free(dt);
	return ret;
}

/* ------------------------------------------------------- reply helpers */

/* "result" of an API host's reply, "data" of a camera host's. */
static const cJSON *result_of(const cJSON *reply)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(reply, "result");

	return r ? r : cJSON_GetObjectItemCaseSensitive(reply, "data");
}

static const cJSON *list_of(const cJSON *res, const char *const *names)
{
	const cJSON *it;
	size_t i;

	if (cJSON_IsArray(res))
		return res;
	for (i = 0; names && names[i]; i++)
		if (cJSON_IsArray(it = cJSON_GetObjectItemCaseSensitive(res, names[i])))
			return it;
	return NULL;
}

static const char *text_of(const cJSON *o, const char *k, char *out, size_t n)
{
	out[0] = '\0';
	if (!cJSON_IsObject(o) || !mf_cloud_json_text(o, k, out, n))
		out[0] = '\0';
	return out;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* An id as the app sends it: a number when numeric, else a string. */
static void add_id(cJSON *o, const char *k, const char *v)
{
	if (all_digits(v) && strlen(v) < 19)
		cJSON_AddItemToObject(o, k, cJSON_CreateRaw(v));
	else
		cJSON_AddStringToObject(o, k, v);
}

static void add_int(cJSON *o, const char *k, int64_t v)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", (long long)v);
	cJSON_AddItemToObject(o, k, cJSON_CreateRaw(t));
}

/* The oldest record time of a page, in seconds (ms: in milliseconds), or -1. */
static int64_t oldest_time(const cJSON *list, int ms)
{
	static const char *const keys[] = { "time", "ctime", "create_time", "createTime",
		"timestamp", NULL };
	const cJSON *it;
	int64_t m = INT64_MAX;

	cJSON_ArrayForEach(it, list) {
		size_t i;

		for (i = 0; keys[i]; i++) {
			double v;

			if (mf_cloud_json_num(it, keys[i], &v) && v > 0 && v < 9.0e15) {
				int64_t t = (int64_t)v;

				if (t > 100000000000LL) {
					if (!ms)
						t /= 1000;      /* milliseconds */
				} else if (ms) {
					t *= 1000;          /* seconds */
				}
				if (t < m)
					m = t;
				break;
			}
		}
	}
	return m == INT64_MAX ? -1 : m;
}

/* ------------------------------------------------------------- plan */

static void add_home(struct acq *a, const cJSON *h, int shared)
{
	char id[32], owner[32];
	size_t i;
	struct home *n;

	text_of(h, "id", id, sizeof(id));
	text_of(h, "uid", owner, sizeof(owner));
	if (!id[0])
		return;
	for (i = 0; i < a->nhomes; i++)
		if (strcmp(a->homes[i].id, id) == 0)
			return;
	n = realloc(a->homes, (a->nhomes + 1) * sizeof(*n));
	if (!n)
		return;
	a->homes = n;
	snprintf(n[a->nhomes].id, sizeof(n->id), "%s", id);
	snprintf(n[a->nhomes].owner, sizeof(n->owner), "%s", owner[0] ? owner : a->s.user_id);
	n[a->nhomes].shared = shared;
	a->nhomes++;
}

static void add_devs(struct acq *a, const cJSON *list)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, list) {
		char did[96];
		size_t i;
		struct dev *n;

		text_of(d, "did", did, sizeof(did));
		if (!did[0])
			continue;
		for (i = 0; i < a->ndevs; i++)
			if (strcmp(a->devs[i].did, did) == 0)
				break;
		if (i < a->ndevs)
			continue;
		n = realloc(a->devs, (a->ndevs + 1) * sizeof(*n));
		if (!n)
			return;
		a->devs = n;
		memset(&n[a->ndevs], 0, sizeof(*n));
		snprintf(n[a->ndevs].did, sizeof(n->did), "%s", did);
		text_of(d, "model", n[a->ndevs].model, sizeof(n->model));
		text_of(d, "uid", n[a->ndevs].owner, sizeof(n->owner));
		text_of(d, "pid", n[a->ndevs].pid, sizeof(n->pid));
		a->ndevs++;
	}
}

static void phase(struct acq *a, const char *region, const char *ph, unsigned done,
                  unsigned total)
{
	a->pg.region = region;
	a->pg.phase = ph;
	a->pg.done = done;
	a->pg.total = total;
	progress(a);
}

/* A single call whose reply is only stored. */
static int simple(struct acq *a, const char *region, const char *path, cJSON *data)
{
	cJSON *r = NULL;
	int rc = call(a, region, path, data, &r);

	cJSON_Delete(data);
	cJSON_Delete(r);
	return rc;
}

#define PT_INCLUSIVE 0x1u       /* the moving key is inclusive (time_end, endTime) */
#define PT_FIRST_WITHOUT 0x2u    /* the first page is asked without the key */
#define PT_MS 0x4u               /* the key and the records' times are milliseconds */

/* Paging by a time that moves back: inclusive keys (time_end, endTime)
 * step to the oldest record's time (pages overlap by that second or
 * millisecond; the reader drops the repeated records), exclusive keys
 * (timestamp, time) to it.  The first page ends at the acquisition's
 * reference time (the same on --resume); paging stops at an empty page,
 * one without progress, a camera reply's "isContinue":false, or a page
 * reaching back past the window's start. */
static int page_time(struct acq *a, const char *region, const char *path, const cJSON *base,
                     const char *move_key, unsigned flags)
{
	static const char *const names[] = { "list", "history", "messages", "thirdPartPlayUnits",
		"playUnits", "data", "result", "records", NULL };
	unsigned maxp = a->o->max_pages ? a->o->max_pages : 500, page;
	int ms = (flags & PT_MS) != 0, first_without = (flags & PT_FIRST_WITHOUT) != 0;
	int64_t te = ms ? a->now_s * 1000 + 999 : a->now_s;
	int64_t since = ms ? a->since_s * 1000 : a->since_s;
	int rc = C_OK;

	for (page = 0; page < maxp; page++) {
		cJSON *d = cJSON_Duplicate(base, 1), *r = NULL;
		const cJSON *res, *list;
		int64_t old;
		int more;

		if (!d)
			return C_FAIL;
		if (!(first_without && page == 0))
			add_int(d, move_key, te);
		rc = call(a, region, path, d, &r);
		cJSON_Delete(d);
		if (rc != C_OK) {
			cJSON_Delete(r);
			return rc;
		}
		res = result_of(r);
		list = list_of(res, names);
		more = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(res, "isContinue"));
		if (!list || cJSON_GetArraySize(list) == 0) {
			cJSON_Delete(r);
			break;
		}
		old = oldest_time(list, ms);
		cJSON_Delete(r);
		if (old < 0)
			break;
		if (flags & PT_INCLUSIVE) {
			if (old < te)
				te = old;
			else
				te = te - 1;   /* a page of one instant: step past it */
		} else {
			if (!(first_without && page == 0) && old >= te)
				break;         /* no progress */
			te = old;
		}
		if (!more || te < since)
			break;
	}
	if (page == maxp)
		logmsg(a, 1, "%s %s: stopped after %u pages", region, path, maxp);
	return rc;
}

static int homes_and_devices(struct acq *a, const char *region, int *homes_ok, int *devs_ok,
                             unsigned *nh, unsigned *nd)
{
	static const char *const dnames[] = { "list", "device_info", NULL };
	cJSON *d, *r = NULL;
	char start[64] = "";
	unsigned page;
	int rc;

	*homes_ok = *devs_ok = 0;
	*nh = *nd = 0;
	for (page = 0; page < 100; page++) {
		const cJSON *res, *hl, *sl, *h, *more;

		d = cJSON_CreateObject();
		cJSON_AddBoolToObject(d, "fg", 1);
		cJSON_AddBoolToObject(d, "fetch_share", 1);
		cJSON_AddBoolToObject(d, "fetch_share_dev", 1);
		add_int(d, "limit", 300);
		add_int(d, "app_ver", 7);
		if (start[0])
			add_id(d, "start_id", start);
		rc = call(a, region, "/v2/homeroom/gethome", d, &r);
		cJSON_Delete(d);
		if (rc == C_ABORT)
			return rc;
		if (rc != C_OK) {
			cJSON_Delete(r);
			break;
		}
		*homes_ok = 1;
		res = result_of(r);
		hl = cJSON_GetObjectItemCaseSensitive(res, "homelist");
		sl = cJSON_GetObjectItemCaseSensitive(res, "share_home_list");
		cJSON_ArrayForEach(h, hl) {
			add_home(a, h, 0);
			(*nh)++;
		}
		cJSON_ArrayForEach(h, sl) {
			add_home(a, h, 1);
			(*nh)++;
		}
		more = cJSON_GetObjectItemCaseSensitive(res, "has_more");
		text_of(res, "max_id", start, sizeof(start));
		cJSON_Delete(r);
		r = NULL;
		if (!cJSON_IsTrue(more) || !start[0])
			break;
	}
	d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "getVirtualModel", 1);
	add_int(d, "getHuamiDevices", 1);
	cJSON_AddBoolToObject(d, "get_split_device", 0);
	cJSON_AddBoolToObject(d, "support_smart_home", 1);
	rc = call(a, region, "/home/device_list", d, &r);
	cJSON_Delete(d);
	if (rc == C_ABORT)
		return rc;
	if (rc == C_OK) {
		const cJSON *l = list_of(result_of(r), dnames);

		*devs_ok = 1;
		*nd = (unsigned)cJSON_GetArraySize(l);
		add_devs(a, l);
	}
	cJSON_Delete(r);
	return C_OK;
}

static int devices_per_home(struct acq *a, const char *region)
{
	static const char *const dnames[] = { "device_info", "list", NULL };
	size_t i;

	for (i = 0; i < a->nhomes && !a->aborted; i++) {
		char start[128] = "";
		unsigned page;

		phase(a, region, "devices", (unsigned)i, (unsigned)a->nhomes);
		for (page = 0; page < 200; page++) {
			cJSON *d = cJSON_CreateObject(), *r = NULL;
			const cJSON *res, *more;
			int rc;

			add_id(d, "home_owner", a->homes[i].owner);
			add_id(d, "home_id", a->homes[i].id);
			add_int(d, "limit", 200);
			cJSON_AddStringToObject(d, "start_did", start);
			cJSON_AddBoolToObject(d, "get_split_device", 1);
			cJSON_AddBoolToObject(d, "support_smart_home", 1);
			rc = call(a, region, "/v2/home/home_device_list", d, &r);
			cJSON_Delete(d);
			if (rc != C_OK) {
				cJSON_Delete(r);
				if (rc == C_ABORT)
					return rc;
				break;
			}
			res = result_of(r);
			add_devs(a, list_of(res, dnames));
			more = cJSON_GetObjectItemCaseSensitive(res, "has_more");
			text_of(res, "max_did", start, sizeof(start));
			cJSON_Delete(r);
			if (!cJSON_IsTrue(more) || !start[0])
				break;
		}
	}
	return a->aborted ? C_ABORT : C_OK;
}

static int people_and_shares(struct acq *a, const char *region)
{
	size_t i;
	cJSON *d;

	phase(a, region, "shares", 0, 1);
	for (i = 0; i < a->nhomes && !a->aborted; i++) {
		d = cJSON_CreateObject();
		add_id(d, "home_owner", a->homes[i].owner);
		add_id(d, "home_id", a->homes[i].id);
		simple(a, region, "/v2/homeroom/member_list", d);
	}
	d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "fetch_sended", 1);
	cJSON_AddBoolToObject(d, "fetch_received", 1);
	simple(a, region, "/v2/homeroom/invite_history", d);
	simple(a, region, "/share/device_share_list", cJSON_CreateObject());
	d = cJSON_CreateObject();
	add_id(d, "userid", a->s.user_id);
	simple(a, region, "/share/receive_share_list", d);
	d = cJSON_CreateObject();
	add_id(d, "sender", a->s.user_id);
	cJSON_AddStringToObject(d, "command", "querybysender");
	simple(a, region, "/share/share_history_query", d);
	for (i = 0; i < a->ndevs && !a->aborted; i++) {
		if (strcmp(a->devs[i].owner, a->s.user_id) != 0)
			continue;   /* who a device is shared with: its owner's question */
		d = cJSON_CreateObject();
		add_id(d, "pid", a->devs[i].pid[0] ? a->devs[i].pid : "0");
		cJSON_AddStringToObject(d, "did", a->devs[i].did);
		simple(a, region, "/share/get_share_user", d);
	}
	return a->aborted ? C_ABORT : C_OK;
}

static int scenes(struct acq *a, const char *region)
{
	size_t i;

	for (i = 0; i < a->nhomes && !a->aborted; i++) {
		cJSON *d;

		phase(a, region, "scenes", (unsigned)i, (unsigned)a->nhomes);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "home_id", a->homes[i].id);
		simple(a, region, SCENE_APP "GetSceneList", d);
		d = cJSON_CreateObject();
		add_id(d, "home_id", a->homes[i].id);
		add_id(d, "uid", a->s.user_id);
		add_id(d, "owner_uid", a->homes[i].owner);
		cJSON_AddStringToObject(d, "command", "history");
		add_int(d, "limit", 50);
		page_time(a, region, "/scene/history", d, "timestamp", PT_FIRST_WITHOUT);
		cJSON_Delete(d);
	}
	return a->aborted ? C_ABORT : C_OK;
}

#define MSG_LIMIT 50
#define MSG_TYPES_MAX 32
#define MSG_TYPE_DEVICE 6    /* device messages: asked per did (micloud.md section 9) */

/* Messages: the type list (the newest message of each type), then each
 * type's list paged back by `timestamp` (seconds, exclusive), the device
 * messages (type 6) per device with its did.  force_read is always sent
 * false: the app's true marks the messages read on the server. */
static int messages(struct acq *a, const char *region)
{
	static const char *const names[] = { "messages", "list", NULL };
	int types[MSG_TYPES_MAX], ntypes = 0, k;
	cJSON *d, *r = NULL;
	const cJSON *it;
	size_t i;
	int rc;

	phase(a, region, "messages", 0, (unsigned)a->ndevs + 1);
	d = cJSON_CreateObject();
	rc = call(a, region, "/v2/message/v2/typelist", d, &r);
	cJSON_Delete(d);
	if (rc == C_ABORT)
		return rc;
	if (rc == C_OK)
		cJSON_ArrayForEach(it, list_of(result_of(r), names)) {
			double t;
			int dup = 0;

			if (!mf_cloud_json_num(it, "type", &t) || t < 0 || t > 1e6 ||
			    (int)t == MSG_TYPE_DEVICE)
				continue;
			for (k = 0; k < ntypes; k++)
				dup |= types[k] == (int)t;
			if (!dup && ntypes < MSG_TYPES_MAX)
				types[ntypes++] = (int)t;
		}
	cJSON_Delete(r);
	for (k = 0; k < ntypes && !a->aborted; k++) {
		d = cJSON_CreateObject();
		add_int(d, "type", types[k]);
		add_int(d, "limit", MSG_LIMIT);
		cJSON_AddBoolToObject(d, "force_read", 0);
		page_time(a, region, "/v2/message/v2/list", d, "timestamp", 0);
		cJSON_Delete(d);
	}
	for (i = 0; i < a->ndevs && !a->aborted; i++) {
		phase(a, region, "messages", (unsigned)i + 1, (unsigned)a->ndevs + 1);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", a->devs[i].did);
		add_int(d, "type", MSG_TYPE_DEVICE);
		add_int(d, "limit", MSG_LIMIT);
		cJSON_AddBoolToObject(d, "force_read", 0);
		page_time(a, region, "/v2/message/v2/list", d, "timestamp", 0);
		cJSON_Delete(d);
	}
	return a->aborted ? C_ABORT : C_OK;
}

/* Camera event lists of the camera models (mf_acq_camera_model) on the
 * region's camera host: the event list and the alarm playlist, paged back
 * by endTime (milliseconds, inclusive) over the history window. */
static int cameras(struct acq *a, const char *region)
{
	size_t i, n = 0, done = 0;
	char rg[8];

	for (i = 0; i < a->ndevs; i++)
		n += (size_t)mf_acq_camera_model(a->devs[i].model, NULL);
	if (!n)
		return C_OK;
	snprintf(rg, sizeof(rg), "%s", region);
	for (i = 0; rg[i]; i++)
		rg[i] = (char)toupper((unsigned char)rg[i]);
	for (i = 0; i < a->ndevs && !a->aborted && !a->camera_down; i++) {
		int bell;
		cJSON *d;

		if (!mf_acq_camera_model(a->devs[i].model, &bell))
			continue;
		phase(a, region, "cameras", (unsigned)done++, (unsigned)n);
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", a->devs[i].did);
		cJSON_AddStringToObject(d, "model", a->devs[i].model);
		cJSON_AddBoolToObject(d, "doorBell", bell);
		cJSON_AddStringToObject(d, "eventType", "Default");
		cJSON_AddBoolToObject(d, "needMerge", 1);
		cJSON_AddStringToObject(d, "sortType", "DESC");
		cJSON_AddStringToObject(d, "region", rg);
		cJSON_AddStringToObject(d, "language", "en_US");
		add_int(d, "beginTime", a->since_s * 1000);
		add_int(d, "limit", 50);
		page_time(a, region, "/common/app/get/eventlist", d, "endTime", PT_INCLUSIVE | PT_MS);
		cJSON_Delete(d);
		if (a->aborted || a->camera_down)
			break;
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", a->devs[i].did);
		cJSON_AddStringToObject(d, "region", rg);
		cJSON_AddStringToObject(d, "language", "en_US");
		add_int(d, "beginTime", a->since_s * 1000);
		add_int(d, "limit", 50);
		page_time(a, region, "/miot/camera/app/v1/alarm/playlist/limit", d, "endTime",
		    PT_INCLUSIVE | PT_MS);
		cJSON_Delete(d);
	}
	if (!a->aborted)
		phase(a, region, "cameras", (unsigned)n, (unsigned)n);
	return a->aborted ? C_ABORT : C_OK;
}

static int histories(struct acq *a, const char *region)
{
	size_t i;

	for (i = 0; i < a->ndevs && !a->aborted; i++) {
		const char *did = a->devs[i].did;
		cJSON *d;

		phase(a, region, "history", (unsigned)i, (unsigned)a->ndevs);
		/* device_log records (Lumi/Aqara event history) */
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", did);
		cJSON_AddStringToObject(d, "key", "device_log");
		cJSON_AddStringToObject(d, "type", "prop");
		add_int(d, "time_start", a->since_s);
		add_int(d, "limit", 1000);
		cJSON_AddStringToObject(d, "group", "raw");
		page_time(a, region, "/user/get_user_device_data", d, "time_end", PT_INCLUSIVE);
		cJSON_Delete(d);
		/* event and property log */
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", did);
		add_int(d, "limit", 50);
		add_int(d, "time_start", a->since_s);
		page_time(a, region, "/v2/user/get_user_device_log", d, "time_end", PT_INCLUSIVE);
		cJSON_Delete(d);
		/* operation history */
		d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "did", did);
		add_int(d, "limit", 50);
		page_time(a, region, "/device/get_opt_log", d, "time", 0);
		cJSON_Delete(d);
		if (strncmp(did, "blt.", 4) == 0) {
			d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "did", did);
			add_int(d, "pdid", 1);
			simple(a, region, "/v2/device/blt_get_beaconkey", d);
		}
	}
	if (!a->aborted)
		phase(a, region, "history", (unsigned)a->ndevs, (unsigned)a->ndevs);
	return a->aborted ? C_ABORT : C_OK;
}

static int region_run(struct acq *a, const char *region)
{
	int homes_ok, devs_ok, rc;
	unsigned nh, nd;
	cJSON *d;

	free(a->homes);
	free(a->devs);
	a->homes = NULL;
	a->devs = NULL;
	a->nhomes = a->ndevs = 0;
	a->camera_down = 0;
	phase(a, region, "probe", 0, 1);
	rc = homes_and_devices(a, region, &homes_ok, &devs_ok, &nh, &nd);
	if (rc == C_ABORT)
		return rc;
	if (!homes_ok && !devs_ok) {
		logmsg(a, 1, "region %s: neither homes nor devices could be read", region);
		a->sum->incomplete = 1;
		return C_FAIL;
	}
	if (nh == 0 && nd == 0) {
		logmsg(a, 0, "region %s: no homes and no devices (the account keeps nothing here)",
		    region);
		cJSON_AddItemToArray(a->without_data, cJSON_CreateString(region));
		return C_OK;
	}
	logmsg(a, 0, "region %s: %u home(s), %u device(s) in the device list", region, nh, nd);
	cJSON_AddItemToArray(a->with_data, cJSON_CreateString(region));
	a->sum->regions_with_data++;
	{
		size_t l = strlen(a->sum->regions_found);

		snprintf(a->sum->regions_found + l, sizeof(a->sum->regions_found) - l, "%s%s",
		    l ? "," : "", region);
	}
	phase(a, region, "homes", 0, 1);
	d = cJSON_CreateObject();
	cJSON_AddBoolToObject(d, "fetch_own", 1);
	cJSON_AddBoolToObject(d, "fetch_share", 1);
	simple(a, region, "/v2/user/get_device_cnt", d);
	d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "id", a->s.user_id);
	simple(a, region, "/home/profile", d);
	/* the order of micloud.md section 9 */
	if (devices_per_home(a, region) == C_ABORT || people_and_shares(a, region) == C_ABORT ||
	    scenes(a, region) == C_ABORT || messages(a, region) == C_ABORT ||
	    histories(a, region) == C_ABORT || cameras(a, region) == C_ABORT)
		return C_ABORT;
	logmsg(a, 0, "region %s: done (%zu device(s) in all)", region, a->ndevs);
	return C_OK;
}

/* ------------------------------------------------------------- setup */

static int parse_regions(struct acq *a, const char *spec)
{
	char buf[256], *p, *save = NULL;
	size_t i;

	a->nregions = 0;
	if (!spec || !spec[0] || strcmp(spec, "all") == 0) {
		/* the session's region first */
		if (a->s.region[0] && region_known(a->s.region))
			snprintf(a->regions[a->nregions++], sizeof(a->regions[0]), "%s", a->s.region);
		for (i = 0; mf_acq_regions[i]; i++)
			if (!a->nregions || strcmp(a->regions[0], mf_acq_regions[i]) != 0)
				snprintf(a->regions[a->nregions++], sizeof(a->regions[0]), "%s",
				    mf_acq_regions[i]);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", spec);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int k, dup = 0;

		for (i = 0; p[i]; i++)
			p[i] = (char)tolower((unsigned char)p[i]);
		if (!region_known(p))
			return mf_seterr(a->errbuf, MF_ERR_ARG, "--region: unknown region '%s' (cn de us "
			    "ru tw sg in i2, or all)", p);
		for (k = 0; k < a->nregions; k++)
			dup |= strcmp(a->regions[k], p) == 0;
		if (!dup && a->nregions < MAX_REGIONS)
			snprintf(a->regions[a->nregions++], sizeof(a->regions[0]), "%s", p);
	}
	if (!a->nregions)
		return mf_seterr(a->errbuf, MF_ERR_ARG, "--region: no region given");
	return 0;
}

static cJSON *make_header(struct acq *a)
{
	cJSON *h = cJSON_CreateObject(), *acc = cJSON_CreateObject(), *rg = cJSON_CreateArray();
	char t[32];
	int i;

	cJSON_AddStringToObject(h, "format", MF_ACQ_FORMAT);
	cJSON_AddStringToObject(h, "tool", "miforensics " MF_VERSION);
	cJSON_AddStringToObject(acc, "userId", a->s.user_id);
	if (a->s.user[0])
		cJSON_AddStringToObject(acc, "user", a->s.user);
	cJSON_AddItemToObject(h, "account", acc);
	mf_time_iso(a->now_s * MF_NS_PER_S, t);
	cJSON_AddStringToObject(h, "reference_time", t);
	add_int(h, "reference_epoch", a->now_s);
	mf_time_iso(a->since_s * MF_NS_PER_S, t);
	cJSON_AddStringToObject(h, "since", t);
	add_int(h, "since_epoch", a->since_s);
	for (i = 0; i < a->nregions; i++)
		cJSON_AddItemToArray(rg, cJSON_CreateString(a->regions[i]));
	cJSON_AddItemToObject(h, "regions", rg);
	if (a->o->http.base_url)
		cJSON_AddStringToObject(h, "server_override", a->o->http.base_url);
	cJSON_AddStringToObject(h, "user_agent", a->o->http.user_agent ? a->o->http.user_agent :
	    mf_http_default_ua());
	cJSON_AddStringToObject(h, "note", "read-only acquisition: every request is a query of "
	    "the allow-list; raw files hold the bodies as received, json files the decoded "
	    "replies (device tokens in clear)");
	return h;
}

static void start_run(struct acq *a, int resumed)
{
	cJSON *r = cJSON_CreateObject();
	char t[32];

	now_iso(t);
	cJSON_AddStringToObject(r, "started", t);
	cJSON_AddBoolToObject(r, "resumed", resumed);
	cJSON_AddStringToObject(r, "status", "running");
	cJSON_AddItemToArray(a->runs, r);
	a->run = r;
}

static int64_t header_int(const cJSON *h, const char *k)
{
	double v;

	return mf_cloud_json_num(h, k, &v) ? (int64_t)v : 0;
}

int mf_acquire(const struct mf_acq_opts *o, struct mf_acq_summary *sum, char *errbuf)
{
	struct acq a;
	struct mf_buf entries;
	unsigned long nentries = 0;
	int rc, i;

	memset(sum, 0, sizeof(*sum));
	memset(&a, 0, sizeof(a));
	a.o = o;
	a.sum = sum;
	a.errbuf = errbuf;
	a.man_fd = -1;
	mf_buf_init(&entries, MANIFEST_MAX);
	mf_api_result_init(&a.res);
	a.runs = cJSON_CreateArray();
	a.with_data = cJSON_CreateArray();
	a.without_data = cJSON_CreateArray();
	if (!o->session_path || !o->out_dir) {
		rc = mf_seterr(errbuf, MF_ERR_ARG, "--session and -o are needed");
		goto out;
	}
	if ((rc = mf_session_load(o->session_path, &a.s, errbuf)) != 0)
		goto out;
	if ((rc = open_folder(&a)) != 0)
		goto out;
	if (o->resume) {
		const cJSON *acc, *uid, *rg, *it;

		if ((rc = man_load(&a, &entries, &nentries)) != 0)
			goto out;
		acc = cJSON_GetObjectItemCaseSensitive(a.header, "account");
		uid = cJSON_GetObjectItemCaseSensitive(acc, "userId");
		if (!cJSON_IsString(uid) || strcmp(uid->valuestring, a.s.user_id) != 0) {
			rc = mf_seterr(errbuf, MF_ERR_ARG, "--resume: %s holds the acquisition of "
			    "another account (userId %s)", a.dir, cJSON_IsString(uid) ?
			    uid->valuestring : "?");
			goto out;
		}
		/* the first run's window and regions */
		a.now_s = header_int(a.header, "reference_epoch");
		a.since_s = header_int(a.header, "since_epoch");
		rg = cJSON_GetObjectItemCaseSensitive(a.header, "regions");
		cJSON_ArrayForEach(it, rg)
			if (cJSON_IsString(it) && region_known(it->valuestring) &&
			    a.nregions < MAX_REGIONS)
				snprintf(a.regions[a.nregions++], sizeof(a.regions[0]), "%s",
				    it->valuestring);
		if (!a.now_s || !a.nregions) {
			rc = mf_seterr(errbuf, MF_ERR_ARG, "--resume: the manifest lacks its reference "
			    "time or regions");
			goto out;
		}
		if (o->regions && strcmp(o->regions, "all") != 0)
			logmsg(&a, 1, "--resume keeps the first run's regions; --region is ignored");
		start_run(&a, 1);
		logmsg(&a, 0, "resuming: %lu earlier exchange(s) in the manifest", nentries);
	} else {
		if ((rc = parse_regions(&a, o->regions)) != 0)
			goto out;
		a.now_s = mf_login_now_ms() / 1000;
		a.since_s = o->since_s > 0 ? o->since_s : a.now_s - WINDOW_DAYS * DAY_S;
		a.header = make_header(&a);
		a.seq = 1;
		start_run(&a, 0);
		logmsg(&a, 0, "acquisition of userId %s into %s (history since %lld)", a.s.user_id,
		    a.dir, (long long)a.since_s);
	}
	if ((rc = man_rewrite(&a, &entries, nentries)) != 0)
		goto out;
	mf_buf_free(&entries);
	if ((rc = mf_api_new(&o->http, &a.s, &a.api, errbuf)) != 0)
		goto out;
	if (a.s.loose_mode)
		logmsg(&a, 1, "%s is readable by others: it holds the account's keys (chmod 600 it)",
		    o->session_path);
	if (!a.s.ssecurity[0] || !a.s.service_token[0]) {
		if (refresh(&a) != 0) {
			a.aborted = 1;
			rc = MF_ERR_IO;
			goto finish;
		}
	}
	for (i = 0; i < a.nregions && !a.aborted; i++)
		region_run(&a, a.regions[i]);
	if (!a.aborted && sum->regions_with_data == 0)
		logmsg(&a, 1, "no region holds homes or devices of this account (regions tried: %d)",
		    a.nregions);
finish:
	a.finished = 1;
	run_update(&a, a.aborted ? "interrupted" : sum->incomplete ? "incomplete" : "complete");
	logmsg(&a, 0, "%s: %lu exchange(s), %lu ok, %lu API error(s), %lu failed, %lu malformed, "
	    "%lu reused, %u refresh(es)", a.aborted ? "interrupted" : sum->incomplete ?
	    "finished, incomplete" : "finished", sum->exchanges, sum->ok, sum->api_errors,
	    sum->failed, sum->malformed, sum->reused, sum->refreshes);
	if (a.log) {
		char path[4096], eb[MF_ERRBUF_SIZE], sha[65];
		char *buf = NULL;
		size_t len = 0;

		fflush(a.log);
		snprintf(path, sizeof(path), "%s/acquisition.log", a.dir);
		if (mf_read_small_file(path, 256u << 20, &buf, &len, eb) == 0) {
			sha_hex(buf, len, sha);
			cJSON_AddStringToObject(a.run, "log_sha256_at_end", sha);
			free(buf);
		}
	}
	/* the final tail: status and run details */
	if (a.man_fd >= 0 && (man_write_tail(&a, NULL, 0) != 0 || fsync(a.man_fd) != 0))
		rc = rc ? rc : MF_ERR_IO;
	if (a.aborted) {
		sum->interrupted = 1;
		rc = MF_ERR_IO;
	}
out:
	mf_buf_free(&entries);
	if (a.man_fd >= 0)
		close(a.man_fd);
	if (a.log)
		fclose(a.log);
	mf_api_free(a.api);
	mf_api_result_free(&a.res);
	cJSON_Delete(a.header);
	cJSON_Delete(a.runs);
	cJSON_Delete(a.with_data);
	cJSON_Delete(a.without_data);
	free(a.homes);
	free(a.devs);
	for (i = 0; (size_t)i < a.np; i++)
		free(a.pv[i].decoded);
	free(a.pv);
	explicit_bzero(&a.s, sizeof(a.s));
	return rc;
}
