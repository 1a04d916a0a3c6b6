/*
 * mf_miio.c - the miIO binary protocol (UDP 54321; same framing on the
 * device-to-cloud link, UDP 8053).
 *
 * Reference: ../shared/reference/miio.md; OpenMiHome mihome-binary-protocol
 * doc/PROTOCOL.md (two errata: the checksum field holds the token while
 * hashing, not zeros; iv = MD5(key || token)); python-miio miio/protocol.py.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |         magic 0x2131          |  length = 32 + payload bytes  |  0
 * +-------------------------------+-------------------------------+
 * |  unknown: 0, FFFFFFFF in hello (upper half of a 64-bit DID)   |  4
 * +---------------------------------------------------------------+
 * |  device id                                                    |  8
 * +---------------------------------------------------------------+
 * |  stamp (uptime or Unix seconds)                               | 12
 * +---------------------------------------------------------------+
 * |  checksum: MD5(frame with these 16 bytes set to the token);   | 16
 * |  hello: 16 x FF; hello reply: token, or FF/00 when hidden     |
 * +---------------------------------------------------------------+
 * |  payload: AES-128-CBC(key=MD5(token), iv=MD5(key||token),     | 32
 * |           PKCS#7(JSON)), a multiple of 16 bytes               |
 * +---------------------------------------------------------------+
 *
 * The token for a frame is chosen by DID (--tokens), then by the device's
 * IP, then by trying every known token against the checksum: the MD5 is the
 * oracle, padding never is.  Tokens that the traffic reveals (hello replies,
 * miIO.info / _otc.info results) join the store for the rest of the capture;
 * a frame that no known token opens waits for one learned later
 * (mf_miio_held.h) and is decoded again through mf_miio_replay().
 */
#include "mf_miio.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_http.h"
#include "mf_json.h"
#include "mf_jsonfix.h"
#include "mf_miio_held.h"
#include "mf_stream.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define MIIO_PORT 54321
#define MIIO_OT_PORT 8053
#define MIIO_HDR 32
#define DID_CACHE 4096          /* did -> token index, power of two */
#define UPTIME_MAX 1000000000u  /* stamps below: uptime (section 8) */
#define PREVIEW_MAX 256

struct miio_hdr {
	uint16_t magic, len;
	uint32_t unk, did, stamp;
	uint64_t did64;
	uint8_t md5[16];
};

struct pend {
	uint32_t did;
	uint8_t peer[16];       /* the requester: the answer goes back to it */
	uint8_t peer_len;
	uint16_t peer_port;
	int64_t id;
	uint64_t frame;
	int64_t ts_ns;
	uint64_t qseq;          /* the request's line in the output queue */
	int32_t next;           /* hash chain (ring index), -1 ends */
	const struct mf_input *input;   /* outlives the decoder */
	char method[64];
	unsigned answered : 1;
	unsigned used : 1;
	unsigned push : 1;      /* device -> subscriber: often never acknowledged */
};

/* The token that last opened a frame of a device on one link: the LAN
 * (54321) and the cloud link (8053, ott) use different keys (miio.md
 * section 11), so each has its own slot. */
struct did_slot {
	uint32_t did;
	int idx;                /* token index, or -1 = none matched */
	size_t ntokens;         /* store size when a miss was recorded */
	unsigned used : 1;
	unsigned cloud : 1;     /* the cloud link's slot */
	unsigned bound : 1;     /* a token is bound to this DID or IP */
};

/* Output queue of the requests held until their answer (or the timeout),
 * so that the request line can say which frame answered it.  Only the
 * request waits: every other line (and a request once settled) is written
 * at once, so a request nobody answers does not hold back the lines after
 * it (in `live`, a device event behind an unanswered uplink would otherwise
 * come out 5 s late).  A slot whose line was written is NULL until the
 * head passes it; slots keep their sequence numbers (q_get). */
struct outq {
	struct mf_event *ev;
	unsigned pending : 1;
};

struct miio_state {
	struct mf_ctx *ctx;
	struct outq *q;
	size_t qhead, qn;
	uint64_t qbase;         /* sequence number of q[qhead] */
	EVP_MD_CTX *md;
	EVP_MD *md5;
	uint8_t *plain;
	size_t plain_cap;
	struct pend *pend;      /* ring of requests awaiting an answer */
	size_t npend, pend_cap, pend_head;
	int32_t *bucket;        /* (did, id) hash -> first ring index, -1 empty */
	size_t nbucket;         /* power of two */
	struct did_slot cache[DID_CACHE];
	struct mf_buf scratch;
	int replay;             /* REPLAY_*: a held frame decoded again */
	/* miio.token_wait of the frame being decoded ("opened_later",
	 * "never_opened", "not_held"), NULL for a frame decoded at once */
	const char *token_wait;
};

enum { REPLAY_NONE, REPLAY_RETRY, REPLAY_FINAL };

/* ---- helpers ---- */

static int is_all(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void did_str(uint32_t did, char out[16])
{
	snprintf(out, 16, "%" PRIu32, did);
}

static int probe(const struct mf_pkt *p)
{
	return p->len >= MIIO_HDR && p->payload[0] == 0x21 && p->payload[1] == 0x31 &&
	    mf_be16(p->payload + 2) == p->len;
}

static void *state_new(struct mf_ctx *ctx)
{
	struct miio_state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = ctx;
	s->md = EVP_MD_CTX_new();
	s->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	s->plain_cap = 65536;
	s->plain = malloc(s->plain_cap);
	s->pend_cap = ctx->lim.pair_max ? ctx->lim.pair_max : 1024;
	s->pend = calloc(s->pend_cap, sizeof(*s->pend));
	s->q = calloc(s->pend_cap, sizeof(*s->q));
	for (s->nbucket = 64; s->nbucket < s->pend_cap; s->nbucket *= 2)
		;
	s->bucket = malloc(s->nbucket * sizeof(*s->bucket));
	if (s->bucket)
		memset(s->bucket, 0xff, s->nbucket * sizeof(*s->bucket));  /* all -1 */
	mf_buf_init(&s->scratch, 1u << 20);
	if (!s->md || !s->md5 || !s->plain || !s->pend || !s->q || !s->bucket) {
		free(s->q);
		free(s->bucket);
		EVP_MD_CTX_free(s->md);
		EVP_MD_free(s->md5);
		free(s->plain);
		free(s->pend);
		free(s);
		return NULL;
	}
	return s;
}

static void state_free(void *st)
{
	struct miio_state *s = st;

	if (!s)
		return;
	mf_miio_held_forget(s->ctx, s);   /* its held frames outlive it */
	EVP_MD_CTX_free(s->md);
	EVP_MD_free(s->md5);
	free(s->plain);
	free(s->pend);
	while (s->qn) {         /* only after an error: tick(final) drains */
		mf_event_free(s->q[s->qhead].ev);
		s->qhead = (s->qhead + 1) % s->pend_cap;
		s->qn--;
	}
	free(s->q);
	free(s->bucket);
	mf_buf_free(&s->scratch);
	free(s);
}

/* Drops the written slots at the head; force: the head's line is written
 * as it is (the queue is full, or the input ended). */
static int q_drain(struct miio_state *s, int force)
{
	int rc = 0, r;

	while (s->qn && (force || !s->q[s->qhead].pending)) {
		if (s->q[s->qhead].ev) {
			r = mf_emit(s->ctx, s->q[s->qhead].ev);
			if (r && !rc)
				rc = r;
			s->q[s->qhead].ev = NULL;
			force = 0;
		}
		s->q[s->qhead].pending = 0;
		s->qhead = (s->qhead + 1) % s->pend_cap;
		s->qbase++;
		s->qn--;
	}
	return rc;
}

/* Writes ev (owned) at once, or holds it when pending (a request awaiting
 * its answer); *seq: the held line's sequence number, for q_settle. */
static int q_push(struct miio_state *s, struct mf_event *ev, int pending, uint64_t *seq)
{
	int rc = 0;

	if (!pending)
		return mf_emit(s->ctx, ev);
	if (s->qn == s->pend_cap)
		rc = q_drain(s, 1);      /* full: the oldest goes out unannotated */
	s->q[(s->qhead + s->qn) % s->pend_cap].ev = ev;
	s->q[(s->qhead + s->qn) % s->pend_cap].pending = 1;
	if (seq)
		*seq = s->qbase + s->qn;
	s->qn++;
	return rc;
}

/* The held request line of seq, or NULL once it was written. */
static struct outq *q_get(struct miio_state *s, uint64_t seq)
{
	if (seq < s->qbase || seq >= s->qbase + s->qn)
		return NULL;
	return &s->q[(s->qhead + (seq - s->qbase)) % s->pend_cap];
}

/* Settles a held request: answered by frame (0 = not answered); its line
 * is written now. */
static int q_settle(struct miio_state *s, uint64_t seq, uint64_t frame, uint64_t retried_as)
{
	struct outq *o = q_get(s, seq);
	cJSON *mo;
	int rc;

	if (!o || !o->pending || !o->ev)
		return 0;
	mo = cJSON_GetObjectItemCaseSensitive(o->ev->body, "miio");
	if (mo) {
		if (frame)
			mf_json_u64(mo, "response_frame", frame);
		if (retried_as)
			mf_json_u64(mo, "retransmitted_as", retried_as);
		mf_json_bool(mo, "answered", frame != 0);
	}
	o->pending = 0;
	rc = mf_emit(s->ctx, o->ev);
	o->ev = NULL;
	q_drain(s, 0);
	return rc;
}

/* MD5(frame[0..15] || token || frame[32..]) == frame[16..31] ? */
static int checksum_ok(struct miio_state *s, const uint8_t *frame, size_t len,
                       const uint8_t token[16])
{
	uint8_t d[16];
	unsigned int dl = 16;

	if (EVP_DigestInit_ex(s->md, s->md5, NULL) != 1 ||
	    EVP_DigestUpdate(s->md, frame, 16) != 1 ||
	    EVP_DigestUpdate(s->md, token, 16) != 1 ||
	    (len > MIIO_HDR && EVP_DigestUpdate(s->md, frame + MIIO_HDR, len - MIIO_HDR) != 1) ||
	    EVP_DigestFinal_ex(s->md, d, &dl) != 1)
		return 0;
	return memcmp(d, frame + 16, 16) == 0;
}

static struct did_slot *cache_slot(struct miio_state *s, uint32_t did, unsigned cloud)
{
	size_t h = (size_t)((did * 2654435761u) ^ cloud) & (DID_CACHE - 1), i;

	for (i = 0; i < DID_CACHE; i++) {
		struct did_slot *sl = &s->cache[(h + i) & (DID_CACHE - 1)];

		if (!sl->used || (sl->did == did && sl->cloud == cloud))
			return sl;
	}
	return NULL;            /* full: no caching, still correct */
}

/* Finds the token whose checksum matches.  Order: cached, bound to the DID,
 * bound to the device IP, every other token.  Returns the index or -1. */
static int find_token(struct miio_state *s, const struct mf_pkt *p, const struct miio_hdr *h,
                      const uint8_t *dev_ip, int *how, int *bound)
{
	struct mf_tokens *t = s->ctx->tokens;
	size_t n = mf_tokens_count(t), i;
	unsigned cloud = p->flow || p->sport == MIIO_OT_PORT || p->dport == MIIO_OT_PORT;
	struct did_slot *sl = cache_slot(s, h->did, cloud);
	int idx, trial = 1;

	*how = 0;
	*bound = 0;
	if (!n)
		return -1;
	if (sl && sl->used) {
		if (sl->idx >= 0 && checksum_ok(s, p->payload, p->len,
		    mf_tokens_get(t, (size_t)sl->idx)->token))
			return sl->idx;
		/* nothing new to try by trial since the last miss on this link;
		 * the tokens bound to the device are still tried (a few), as a
		 * reset device's new token opens its later frames */
		if (sl->idx < 0 && sl->ntokens == n)
			trial = 0;
	}
	idx = -1;
	for (i = 0; i < n && idx < 0; i++) {
		const struct mf_token *tk = mf_tokens_get(t, i);

		/* a 64-bit id's upper half is in bytes 4..7 (0 from older code) */
		if (tk->has_did && tk->did == h->did &&
		    (!tk->did_hi || !h->unk || tk->did_hi == h->unk)) {
			*bound = 1;
			if (checksum_ok(s, p->payload, p->len, tk->token))
				idx = (int)i;
		}
	}
	for (i = 0; i < n && idx < 0 && dev_ip; i++) {
		const struct mf_token *tk = mf_tokens_get(t, i);

		if (tk->ip_len == p->addr_len && memcmp(tk->ip, dev_ip, p->addr_len) == 0) {
			*bound = 1;
			if (checksum_ok(s, p->payload, p->len, tk->token))
				idx = (int)i;
		}
	}
	for (i = 0; trial && i < n && idx < 0; i++) {
		const struct mf_token *tk = mf_tokens_get(t, i);

		if (checksum_ok(s, p->payload, p->len, tk->token)) {
			idx = (int)i;
			*how = 1;       /* by trial */
		}
	}
	/* One altered frame must not hide a device's token: a miss only
	 * replaces a slot that never matched. */
	if (sl && (idx >= 0 || !sl->used || sl->idx < 0)) {
		sl->used = 1;
		sl->did = h->did;
		sl->cloud = cloud;
		sl->idx = idx;
		sl->ntokens = n;
		sl->bound = *bound;
	}
	if (idx >= 0)
		mf_tokens_set_confirmed(t, (size_t)idx);
	return idx;
}

static const char *kind_of_request(const char *method, int from_device)
{
	if (strcmp(method, "properties_changed") == 0)
		return "property";
	if (strcmp(method, "props") == 0 || strcmp(method, "event_occured") == 0 ||
	    strncmp(method, "event.", 6) == 0)
		return "device_event";
	if (from_device && strncmp(method, "_", 1) == 0)
		return "device_event"; /* _otc.*, _async.*, _sync.* uplinks */
	return "command";
}

static cJSON *miio_obj(const struct miio_hdr *h, const struct mf_pkt *p, const char *direction,
                       int64_t ts_ns)
{
	cJSON *o = mf_json_obj();
	char t[32];

	if (!o)
		return NULL;
	if (direction)
		mf_json_str(o, "direction", direction);
	mf_json_num(o, "length", h->len);
	if (h->unk && h->unk != 0xffffffffu)
		mf_json_u64(o, "did64", h->did64);
	mf_json_u64(o, "stamp", h->stamp);
	/* a pcapng Simple Packet Block has no time: no derived times then */
	if (h->stamp != 0 && h->stamp != 0xffffffffu && ts_ns != MF_TIME_NONE) {
		if (h->stamp < UPTIME_MAX) {
			mf_json_str(o, "stamp_kind", "uptime");
			mf_time_iso(ts_ns - (int64_t)h->stamp * MF_NS_PER_S, t);
			mf_json_str(o, "device_boot", t);
		} else {
			mf_json_str(o, "stamp_kind", "unix");
			mf_time_iso((int64_t)h->stamp * MF_NS_PER_S, t);
			mf_json_str(o, "stamp_time", t);
			mf_json_num(o, "clock_skew_s",
			    (double)((int64_t)h->stamp - ts_ns / MF_NS_PER_S));
		}
	}
	(void)p;
	return o;
}

static struct mf_event *new_event(const struct mf_pkt *p, const char *protocol, const char *kind)
{
	return mf_event_new(p->frame->ts_ns, p->frame->input ? p->frame->input->source : "pcap",
	    protocol, kind);
}

/* Appends net, miio, evidence and raw (each may be NULL), then emits. */
static int finish_q(struct miio_state *s, struct mf_event *ev, const struct mf_pkt *p,
                    cJSON *mo, cJSON *raw, int pending, uint64_t *seq)
{
	if (!ev) {
		cJSON_Delete(mo);
		cJSON_Delete(raw);
		return MF_ERR_NOMEM;
	}
	if (s->token_wait && mo)
		mf_json_str(mo, "token_wait", s->token_wait);
	mf_pkt_add_net(ev, p);
	mf_event_add(ev, "miio", mo);
	mf_event_frame_evidence(ev, p->frame);
	mf_event_add(ev, "raw", raw);
	return q_push(s, ev, pending, seq);
}

static int finish_raw(struct miio_state *s, struct mf_event *ev, const struct mf_pkt *p,
                      cJSON *mo, cJSON *raw)
{
	return finish_q(s, ev, p, mo, raw, 0, NULL);
}

static int finish(struct miio_state *s, struct mf_event *ev, const struct mf_pkt *p, cJSON *mo)
{
	return finish_raw(s, ev, p, mo, NULL);
}

static int anomaly(struct miio_state *s, const struct mf_pkt *p, const struct miio_hdr *h,
                   const char *direction, const char *reason, const char *detail)
{
	struct mf_event *ev = new_event(p, "miio", "anomaly");
	char ds[16];

	if (!ev)
		return MF_ERR_NOMEM;
	if (h && h->magic == 0x2131 && h->did != 0xffffffffu) {
		did_str(h->did, ds);
		mf_event_str(ev, "did", ds);
	}
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "detail", detail);
	return finish(s, ev, p, h ? miio_obj(h, p, direction, p->frame->ts_ns) : NULL);
}

static void token_hex(const struct mf_ctx *ctx, const uint8_t tok[16], char *out, size_t n)
{
	char hex[33];

	mf_hex_encode(tok, 16, hex);
	mf_redact(ctx, hex, out, n);
}

/* A token found in the traffic: a finding of its own, and a key for later. */
static int learn_token(struct miio_state *s, const struct mf_pkt *p, uint32_t did,
                       const uint8_t tok[16], const char *where, const char *protocol)
{
	struct mf_event *ev;
	char origin[160], ds[16], shown[64];
	int idx, known = mf_tokens_find_token(s->ctx->tokens, tok) >= 0;

	snprintf(origin, sizeof(origin), "learned: %s frame %" PRIu64, where, p->frame->number);
	did_str(did, ds);
	idx = s->ctx->tokens ? mf_tokens_add(s->ctx->tokens, tok, ds, origin, MF_TOK_HEX32, NULL)
	    : -1;
	ev = new_event(p, protocol, "token");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "did", ds);
	token_hex(s->ctx, tok, shown, sizeof(shown));
	mf_event_str(ev, "token", shown);
	mf_pkt_add_net(ev, p);
	{
		cJSON *mo = mf_json_obj();

		mf_json_str(mo, "found_in", where);
		mf_json_bool(mo, "already_known", known);
		if (idx >= 0)
			mf_json_str(mo, "token_origin",
			    mf_tokens_get(s->ctx->tokens, (size_t)idx)->origin);
		if (s->token_wait)
			mf_json_str(mo, "token_wait", s->token_wait);
		mf_event_add(ev, "miio", mo);
	}
	mf_event_frame_evidence(ev, p->frame);
	return q_push(s, ev, 0, NULL);
}

/* ---- 32-byte frames (section 3) ---- */

/* Also the longer hellos of the cloud link (section 11): the first 12
 * bytes of a hello and a tail, which the server mirrors back. */
static int decode_short(struct miio_state *s, const struct mf_pkt *p, const struct miio_hdr *h)
{
	const uint8_t *f = p->payload;
	const char *type;
	struct mf_event *ev;
	cJSON *mo;
	char ds[16];
	int rc;
	/* the cloud link: the side on 8053 is Xiaomi's server */
	int ot = p->dev || (p->sport == MIIO_OT_PORT) != (p->dport == MIIO_OT_PORT);
	int from_dev = p->dev ? p->dev == MF_DEV_IS_SRC : ot ? p->dport == MIIO_OT_PORT :
	    p->sport == MIIO_PORT && p->dport != MIIO_PORT;
	int to_dev = p->dev ? p->dev == MF_DEV_IS_DST : ot ? p->sport == MIIO_OT_PORT :
	    p->dport == MIIO_PORT && p->sport != MIIO_PORT;

	if (is_all(f + 4, 28, 0xff))
		type = "hello";
	else if (is_all(f + 4, 12, 0xff) && memcmp(f + 16, "MDID", 4) == 0)
		type = "mdid_probe";
	else if (memcmp(f + 16, "MSUB", 4) == 0 && memcmp(f + 24, "PUB", 3) == 0)
		type = "msub_reply";
	else if (is_all(f + 4, 8, 0xff) && is_all(f + 12, 20, 0))
		type = "cloud_client_hello";
	else if (is_all(f + 4, 8, 0xff) && is_all(f + 16, 16, 0))
		type = "cloud_server_hello";
	else if (is_all(f + 4, 12, 0xff))
		type = "invalid_hello";
	else if (ot && from_dev && h->stamp == 0)
		type = "time_sync";     /* a device asking the server for the time */
	else if (ot)
		type = "keepalive";     /* device -> server, and the server's echo */
	else if (from_dev || p->sport == MIIO_PORT)
		type = "hello_reply";
	else
		type = "keepalive";
	ev = new_event(p, "miio-hello", strcmp(type, "invalid_hello") == 0 ? "anomaly"
	    : "handshake");
	if (!ev)
		return MF_ERR_NOMEM;
	if (strcmp(type, "hello") && strncmp(type, "cloud", 5) && strcmp(type, "mdid_probe") &&
	    strcmp(type, "invalid_hello")) {
		did_str(h->did, ds);
		mf_event_str(ev, "did", ds);
	}
	if (strcmp(type, "invalid_hello") == 0)
		mf_event_str(ev, "reason", "invalid_hello");
	mo = miio_obj(h, p, from_dev ? "from_device" : (to_dev ? "to_device" : NULL),
	    p->frame->ts_ns);
	mf_json_str(mo, "type", type);
	if (p->len > MIIO_HDR) {
		char hex[2 * 64 + 1];
		size_t n = p->len - MIIO_HDR < 64 ? p->len - MIIO_HDR : 64;

		mf_hex_encode(f + MIIO_HDR, n, hex);
		mf_json_u64(mo, "tail_bytes", p->len - MIIO_HDR);
		mf_json_str(mo, "tail", hex);
	}
	if (strcmp(type, "hello_reply") == 0) {
		int hidden = is_all(f + 16, 16, 0xff) || is_all(f + 16, 16, 0);

		mf_json_bool(mo, "token_revealed", !hidden);
	} else if (strcmp(type, "mdid_probe") == 0) {
		char hex[17];

		mf_hex_encode(f + 20, 8, hex);
		mf_json_str(mo, "virtual_did", hex);
	} else if (strcmp(type, "msub_reply") == 0) {
		mf_json_u64(mo, "subscribe_ts", mf_be32(f + 20));
		mf_json_num(mo, "sub_type", f[27]);
		mf_json_bool(mo, "wildcard", f[28] == 0xfe);
	}
	rc = finish(s, ev, p, mo);
	if (rc == 0 && strcmp(type, "hello_reply") == 0 && !is_all(f + 16, 16, 0xff) &&
	    !is_all(f + 16, 16, 0))
		rc = learn_token(s, p, h->did, f + 16, "hello reply", "miio-hello");
	return rc;
}

/* ---- request/response pairing (section 9) ---- */

static size_t pend_hash(const struct miio_state *s, uint32_t did, int64_t id)
{
	uint64_t h = ((uint64_t)did << 32) ^ (uint64_t)id;

	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 40) & (s->nbucket - 1);
}

/* pport 0 matches any port.  Newest first: chains are pushed at the head,
 * and a retransmitted id is most likely the latest one. */
static struct pend *pend_find(struct miio_state *s, uint32_t did, const uint8_t *peer,
                              uint8_t plen, uint16_t pport, int64_t id)
{
	int32_t i;

	for (i = s->bucket[pend_hash(s, did, id)]; i >= 0; i = s->pend[i].next) {
		struct pend *q = &s->pend[i];

		if (q->used && q->did == did && q->id == id && q->peer_len == plen &&
		    (pport == 0 || q->peer_port == pport) && memcmp(q->peer, peer, plen) == 0)
			return q;
	}
	return NULL;
}

/* Unlinks ring slot i from its hash chain. */
static void pend_unlink(struct miio_state *s, size_t i)
{
	int32_t *pp = &s->bucket[pend_hash(s, s->pend[i].did, s->pend[i].id)];

	while (*pp >= 0 && (size_t)*pp != i)
		pp = &s->pend[*pp].next;
	if (*pp >= 0)
		*pp = s->pend[i].next;
}

/* Pops the oldest pending request; reports it when nobody answered. */
static int pop_head(struct miio_state *s)
{
	struct pend *q = &s->pend[s->pend_head];
	int rc = 0, r;

	if (q->used && !q->answered)
		rc = q_settle(s, q->qseq, 0, 0);
	if (q->used && !q->answered && !q->push) {
		struct mf_event *ev = mf_event_new(q->ts_ns == MF_TIME_NONE ? MF_TIME_NONE
		    : q->ts_ns + s->ctx->lim.pair_timeout_ns,
		    q->input && q->input->source ? q->input->source : "pcap", "miio", "anomaly");
		char ds[16], det[160];
		cJSON *mo;

		if (!ev)
			return MF_ERR_NOMEM;
		mo = mf_json_obj();
		did_str(q->did, ds);
		mf_event_str(ev, "did", ds);
		mf_event_str(ev, "event", q->method);
		mf_event_str(ev, "reason", "unanswered");
		snprintf(det, sizeof(det), "request id %" PRId64 " (%s) got no answer within %llds",
		    q->id, q->method, (long long)(s->ctx->lim.pair_timeout_ns / MF_NS_PER_S));
		mf_event_str(ev, "detail", det);
		mf_json_num(mo, "id", (double)q->id);
		mf_json_u64(mo, "request_frame", q->frame);
		mf_event_add(ev, "miio", mo);
		{
			/* the evidence is the request nobody answered */
			struct mf_frame f;

			memset(&f, 0, sizeof(f));
			f.number = q->frame;
			f.input = q->input;
			mf_event_frame_evidence(ev, &f);
		}
		r = q_push(s, ev, 0, NULL);
		if (r && !rc)
			rc = r;
	}
	q->used = 0;
	pend_unlink(s, s->pend_head);
	s->pend_head = (s->pend_head + 1) % s->pend_cap;
	s->npend--;
	return rc;
}

/* Requests older than the timeout (all of them when final) are done. */
static int expire(struct miio_state *s, int64_t now_ns, int all)
{
	int rc = 0;

	while (s->npend && rc == 0) {
		const struct pend *q = &s->pend[s->pend_head];

		if (!all && q->used && (q->ts_ns == MF_TIME_NONE || now_ns == MF_TIME_NONE ||
		    now_ns - q->ts_ns < s->ctx->lim.pair_timeout_ns))
			break;
		rc = pop_head(s);
	}
	return rc;
}

static void pend_add(struct miio_state *s, const struct mf_pkt *p, uint32_t did,
                     const uint8_t *requester, uint16_t rport, int64_t id, const char *method)
{
	struct pend *q;

	if (s->npend == s->pend_cap)
		pop_head(s);      /* window full: the oldest is declared unanswered */
	q = &s->pend[(s->pend_head + s->npend) % s->pend_cap];
	memset(q, 0, sizeof(*q));
	{
		size_t slot = (s->pend_head + s->npend) % s->pend_cap;
		size_t b = pend_hash(s, did, id);

		q->next = s->bucket[b];
		s->bucket[b] = (int32_t)slot;
	}
	q->used = 1;
	q->did = did;
	memcpy(q->peer, requester, p->addr_len);
	q->peer_len = p->addr_len;
	q->peer_port = rport;
	q->id = id;
	q->frame = p->frame->number;
	q->ts_ns = p->frame->ts_ns;
	q->input = p->frame->input;
	snprintf(q->method, sizeof(q->method), "%s", method);
	s->npend++;
}

/* ---- one decrypted JSON message ---- */

static int emit_message(struct miio_state *s, const struct mf_pkt *p, const struct miio_hdr *h,
                        const cJSON *msg, const struct mf_jsonfix *jf, size_t part,
                        size_t pad, int tidx, int by_trial)
{
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	const cJSON *idj = cJSON_GetObjectItemCaseSensitive(msg, "id");
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(msg, "result");
	const cJSON *error = cJSON_GetObjectItemCaseSensitive(msg, "error");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	/* LAN: the side on 54321 is the device.  Cloud link (8053): that side
	 * is Xiaomi's server and the device is the client. */
	int dport_dev = p->dev ? p->dev == MF_DEV_IS_DST :
	    p->dport == MIIO_PORT || p->sport == MIIO_OT_PORT;
	int sport_dev = p->dev ? p->dev == MF_DEV_IS_SRC :
	    p->sport == MIIO_PORT || p->dport == MIIO_OT_PORT;
	/* a reply whose broken "result" had to be removed still answers its id */
	int is_req = cJSON_IsString(method);
	int is_resp = !is_req && (result || error || cJSON_IsNumber(idj));
	const uint8_t *requester;
	uint16_t rport;
	const char *direction, *kind;
	struct mf_event *ev;
	struct pend *q = NULL;
	cJSON *mo, *raw, *val = NULL, *qa;
	char ds[16], shown[64];
	int64_t id = cJSON_IsNumber(idj) ? (int64_t)idj->valuedouble : -1;
	size_t i;
	int rc, dup = 0, from_dev, lan_key;
	uint64_t seq = 0;
	char log_event[64] = "";
	cJSON *log_ts = NULL;       /* the device_log's own time, kept raw */

	/* Direction: the side on the miIO port is the device; when both are
	 * (device to device), a request goes to the device and a reply comes
	 * from it. */
	if (sport_dev && !dport_dev)
		from_dev = 1;
	else if (dport_dev && !sport_dev)
		from_dev = 0;
	else
		from_dev = !is_req;
	direction = from_dev ? "from_device" : "to_device";
	/* A request is answered to where it came from, whichever side that is:
	 * a client's command, or a device's push or cloud uplink (_otc.info,
	 * props, event.*), which the subscriber or the server acknowledges. */
	requester = p->src;
	rport = p->sport;

	if (is_req) {
		kind = kind_of_request(method->valuestring, from_dev);
	} else if (is_resp) {
		kind = "response";
		/* the requester is whoever this response goes to */
		q = pend_find(s, h->did, p->dst, p->addr_len, p->dport, id);
		if (q && q->answered)
			dup = 1;
	} else {
		kind = "data";
	}
	/* A gateway's uplink about a Zigbee child names the child in "sid"
	 * (miio.md section 10): the event is the child's, via the gateway.
	 * A props "device_log" [ts,["event.x",args]] is that child's event. */
	{
		const cJSON *sid = cJSON_GetObjectItemCaseSensitive(msg, "sid");
		const cJSON *model = cJSON_GetObjectItemCaseSensitive(msg, "model");
		const cJSON *dl = cJSON_IsObject(params) ?
		    cJSON_GetObjectItemCaseSensitive(params, "device_log") : NULL;

		if (is_req && cJSON_IsString(dl) && strcmp(method->valuestring, "props") == 0) {
			cJSON *arr = mf_json_parse_exact(dl->valuestring, strlen(dl->valuestring));
			const cJSON *inner = cJSON_IsArray(arr) ? cJSON_GetArrayItem(arr, 1) : NULL;
			const cJSON *name = cJSON_IsArray(inner) ? cJSON_GetArrayItem(inner, 0) : NULL;

			if (cJSON_IsString(name) && strncmp(name->valuestring, "event.", 6) == 0) {
				snprintf(log_event, sizeof(log_event), "%s", name->valuestring);
				log_ts = cJSON_GetArrayItem(arr, 0);
				log_ts = log_ts ? cJSON_Duplicate(log_ts, 0) : NULL;
				kind = "device_event";
			}
			cJSON_Delete(arr);
		}
		ev = new_event(p, "miio", kind);
		if (!ev) {
			cJSON_Delete(log_ts);
			return MF_ERR_NOMEM;
		}
		did_str(h->did, ds);
		if (is_req && cJSON_IsString(sid) && sid->valuestring[0]) {
			mf_event_str(ev, "did", sid->valuestring);
			if (cJSON_IsString(model))
				mf_event_str(ev, "model", model->valuestring);
			mf_event_str(ev, "gateway_did", ds);
		} else {
			mf_event_str(ev, "did", ds);
		}
	}
	if (log_event[0])
		mf_event_str(ev, "event", log_event);
	else if (is_req)
		mf_event_str(ev, "event", method->valuestring);
	else if (q)
		mf_event_str(ev, "event", q->method);
	if (is_req && params)
		val = mf_json_expand_strings(params, (int)s->ctx->lim.json_depth_max);
	else if (is_resp)
		val = mf_json_expand_strings(result ? result : error, (int)s->ctx->lim.json_depth_max);
	lan_key = !s->ctx->show_secrets && ((q && strcmp(q->method, "get_lumi_dpf_aes_key") == 0) ||
	    (is_req && strcmp(method->valuestring, "set_lumi_dpf_aes_key") == 0));
	if (val && lan_key) {
		/* the Lumi LAN password travels as a bare string */
		cJSON_Delete(val);
		val = cJSON_CreateString("[redacted]");
	}
	if (val) {
		if (!s->ctx->show_secrets)
			mf_json_redact_secrets(val, (int)s->ctx->lim.json_depth_max);
		mf_json_intify(val, (int)s->ctx->lim.json_depth_max);
		mf_event_add(ev, "value", val);
	}
	if (is_resp && error)
		mf_event_bool(ev, "error", 1);

	mo = miio_obj(h, p, direction, p->frame->ts_ns);
	if (id >= 0)
		mf_json_num(mo, "id", (double)id);
	if (log_ts)
		cJSON_AddItemToObject(mo, "device_log_time", log_ts);  /* raw: may be uptime */
	mf_json_str(mo, "checksum", "valid");
	token_hex(s->ctx, mf_tokens_get(s->ctx->tokens, (size_t)tidx)->token, shown,
	    sizeof(shown));
	mf_json_str(mo, "token", shown);
	mf_json_str(mo, "token_origin", mf_tokens_get(s->ctx->tokens, (size_t)tidx)->origin);
	if (by_trial)
		mf_json_bool(mo, "token_by_trial", 1);
	mf_json_num(mo, "padding", (double)pad);
	if (jf->nquirks) {
		qa = cJSON_CreateArray();
		for (i = 0; i < jf->nquirks; i++)
			cJSON_AddItemToArray(qa, cJSON_CreateString(jf->quirks[i]));
		cJSON_AddItemToObject(mo, "quirks", qa);
	}
	if (jf->nparts > 1) {
		mf_json_num(mo, "part", (double)part + 1);
		mf_json_num(mo, "parts", (double)jf->nparts);
	}
	if (is_resp && q) {
		mf_json_u64(mo, "request_frame", q->frame);
		if (p->frame->ts_ns != MF_TIME_NONE && q->ts_ns != MF_TIME_NONE)
			mf_json_num(mo, "rtt_ms", (double)((p->frame->ts_ns - q->ts_ns) / 1000000));
	}
	if (is_req && id >= 0) {
		/* clients retry from a new socket: the port may change, the id not */
		struct pend *prev = pend_find(s, h->did, requester, p->addr_len, 0, id);

		if (prev && !prev->answered && strcmp(prev->method, method->valuestring) == 0) {
			mf_json_u64(mo, "retransmit_of", prev->frame);
			(void)q_settle(s, prev->qseq, 0, p->frame->number);
			prev->used = 0;  /* the new copy takes over the wait */
		}
	}
	raw = cJSON_Duplicate(msg, 1);
	if (raw && !s->ctx->show_secrets) {
		mf_json_redact_secrets(raw, (int)s->ctx->lim.json_depth_max);
		if (lan_key) {
			cJSON_DeleteItemFromObjectCaseSensitive(raw, is_req ? "params" : "result");
			cJSON_AddStringToObject(raw, is_req ? "params" : "result", "[redacted]");
		}
	}
	mf_json_intify(raw, (int)s->ctx->lim.json_depth_max);
	/* the request's line first: it is written when settled */
	if (q && !dup && (rc = q_settle(s, q->qseq, p->frame->number, 0)) != 0) {
		mf_event_free(ev);
		cJSON_Delete(mo);
		cJSON_Delete(raw);
		return rc;
	}
	rc = finish_q(s, ev, p, mo, raw, is_req && id >= 0, &seq);
	if (rc)
		return rc;

	if (is_req && id >= 0) {
		struct pend *np;

		pend_add(s, p, h->did, requester, rport, id, method->valuestring);
		np = &s->pend[(s->pend_head + s->npend - 1) % s->pend_cap];
		np->push = (unsigned)from_dev;
		np->qseq = seq;
	}
	if (q) {
		if (dup) {
			char det[128];

			snprintf(det, sizeof(det), "second answer to request id %" PRId64
			    " of frame %" PRIu64, id, q->frame);
			rc = anomaly(s, p, h, direction, "duplicate_response", det);
		}
		q->answered = 1;
	}
	/* the Lumi LAN password, for checking LAN write keys */
	if (rc == 0 && is_resp && q && strcmp(q->method, "get_lumi_dpf_aes_key") == 0) {
		const cJSON *k = cJSON_IsArray(result) ? result->child : result;

		if (cJSON_IsString(k) && strlen(k->valuestring) == 16)
			snprintf(s->ctx->lumi_password, sizeof(s->ctx->lumi_password), "%s",
			    k->valuestring);
	}
	/* tokens carried in the clear inside messages */
	if (rc == 0 && is_resp && cJSON_IsObject(result) && q &&
	    (strcmp(q->method, "miIO.info") == 0)) {
		const cJSON *tk = cJSON_GetObjectItemCaseSensitive(result, "token");
		uint8_t raw16[16];

		if (cJSON_IsString(tk) && mf_token_parse(tk->valuestring, strlen(tk->valuestring),
		    raw16, NULL, NULL) == 0)
			rc = learn_token(s, p, h->did, raw16, "miIO.info reply", "miio");
	}
	if (rc == 0 && is_req && strcmp(method->valuestring, "_otc.info") == 0 &&
	    cJSON_IsObject(params)) {
		const cJSON *tk = cJSON_GetObjectItemCaseSensitive(params, "token");
		uint8_t raw16[16];

		if (cJSON_IsString(tk) && mf_token_parse(tk->valuestring, strlen(tk->valuestring),
		    raw16, NULL, NULL) == 0)
			rc = learn_token(s, p, h->did, raw16, "_otc.info uplink", "miio");
	}
	return rc;
}

/* ---- frames with a payload ---- */

static int decode_one(struct miio_state *s, struct mf_ctx *ctx, const struct mf_pkt *p)
{
	struct mf_cur c;
	struct miio_hdr h;
	struct mf_jsonfix jf;
	const uint8_t *dev_ip = NULL;
	const char *direction = NULL;
	char det[PREVIEW_MAX + 128];
	size_t plen, pad, i;
	int tidx, by_trial, bound, rc;

	if (!probe(p) && p->len >= 2 && !(p->payload[0] == 0x21 && p->payload[1] == 0x31)) {
		/* on the miIO port but not miIO at all */
		if (p->len < MIIO_HDR && p->claimed_len <= p->len)
			return anomaly(s, p, NULL, NULL, "truncated",
			    "datagram shorter than the 32-byte miIO header");
		return anomaly(s, p, NULL, NULL, "bad_magic", "first two bytes are not 21 31");
	}
	mf_cur_init(&c, p->payload, p->len);
	h.magic = mf_cur_be16(&c);
	h.len = mf_cur_be16(&c);
	h.unk = mf_cur_be32(&c);
	h.did = mf_cur_be32(&c);
	h.stamp = mf_cur_be32(&c);
	mf_cur_copy(&c, h.md5, 16);
	h.did64 = ((uint64_t)h.unk << 32) | h.did;
	if (!s->replay)
		ctx->st.miio_frames++;  /* once, when it was seen */
	if (!mf_cur_ok(&c))
		return anomaly(s, p, NULL, NULL, "truncated",
		    "datagram shorter than the 32-byte miIO header");
	if (p->dev)
		direction = p->dev == MF_DEV_IS_SRC ? "from_device" : "to_device";
	else if ((p->sport == MIIO_PORT && p->dport != MIIO_PORT) || p->dport == MIIO_OT_PORT)
		direction = "from_device";
	else if ((p->dport == MIIO_PORT && p->sport != MIIO_PORT) || p->sport == MIIO_OT_PORT)
		direction = "to_device";
	if (h.len < MIIO_HDR) {
		snprintf(det, sizeof(det), "header length %u is below 32", h.len);
		return anomaly(s, p, &h, direction, "bad_length", det);
	}
	if (h.len != p->len) {
		/* a datagram cut by the snap length was reported by the UDP layer
		 * (udp_truncated, protocol miio): not twice */
		if (p->claimed_len > p->len && h.len <= p->claimed_len)
			return 0;
		snprintf(det, sizeof(det), "header says %u bytes, datagram has %zu", h.len, p->len);
		return anomaly(s, p, &h, direction, "length_mismatch", det);
	}
	if (h.len == MIIO_HDR || (h.unk == 0xffffffffu && h.did == 0xffffffffu))
		return decode_short(s, p, &h);   /* all-FF DID: a hello, even a long one */
	plen = h.len - MIIO_HDR;
	if (direction && strcmp(direction, "from_device") == 0)
		dev_ip = p->src;
	else if (direction)
		dev_ip = p->dst;
	/* The checksum covers any length, so it is checked first: a misaligned
	 * payload under a valid checksum is a different finding from an altered
	 * frame. */
	tidx = find_token(s, p, &h, dev_ip, &by_trial, &bound);
	if (s->replay == REPLAY_RETRY && tidx < 0)
		return MF_MIIO_STILL_HELD;
	if (s->replay) {
		s->token_wait = tidx >= 0 ? "opened_later" : "never_opened";
		if (tidx >= 0)
			ctx->st.miio_opened_late++;
		else
			ctx->st.miio_never_opened++;
	}
	if (plen % 16 && (tidx >= 0 || !bound)) {
		snprintf(det, sizeof(det), "payload of %zu bytes is not a multiple of 16%s", plen,
		    tidx >= 0 ? " (checksum valid)" : "");
		return anomaly(s, p, &h, direction, "payload_not_block_aligned", det);
	}
	if (tidx < 0 && !s->replay) {
		/* a token learned later in the input may open it: held */
		int first;

		rc = mf_miio_held_add(ctx, s, p, mf_tokens_count(ctx->tokens), &first);
		if (rc != MF_ERR_LIMIT)
			return rc;      /* held (0), or out of memory */
		if (ctx->miio_held) {
			if (first) {
				snprintf(det, sizeof(det), "%zu frames (%zu bytes) already wait for "
				    "a token learned later (caps %zu frames, %zu bytes): this frame "
				    "and the next ones no token opens are reported at once until "
				    "frames leave the queue", mf_miio_held_count(ctx),
				    (size_t)ctx->st.miio_held_bytes, ctx->lim.miio_held_max,
				    ctx->lim.miio_held_mem_max);
				if ((rc = anomaly(s, p, &h, direction, "held_frames_full", det)) != 0)
					return rc;
			}
			s->token_wait = "not_held";
		}
	}
	if (tidx < 0) {
		ctx->st.miio_no_token++;
		if (bound) {
			/* a token is known for this device (given, or learned from the
			 * traffic) but does not match: a wrong token, a reset device,
			 * or an altered frame */
			snprintf(det, sizeof(det), "the token known for this device does not match "
			    "the checksum (%zu tokens tried)", mf_tokens_count(ctx->tokens));
			return anomaly(s, p, &h, direction, "checksum_mismatch", det);
		}
		snprintf(det, sizeof(det), "no known token matches the checksum (%zu tried)",
		    mf_tokens_count(ctx->tokens));
		return anomaly(s, p, &h, direction, "no_token", det);
	}
	if (plen > s->plain_cap)
		return anomaly(s, p, &h, direction, "too_large", "payload above the plaintext cap");
	if (mf_tokens_decrypt(ctx->tokens, (size_t)tidx, p->payload + MIIO_HDR, plen, s->plain) != 0)
		return anomaly(s, p, &h, direction, "decrypt_failed", "AES-CBC failed");
	ctx->st.miio_decrypted++;
	pad = s->plain[plen - 1];
	for (i = 0; pad >= 1 && pad <= 16 && i < pad; i++)
		if (s->plain[plen - 1 - i] != pad)
			break;
	if (pad < 1 || pad > 16 || i != pad) {
		/* the checksum proved the token: a real finding, show the bytes */
		mf_buf_reset(&s->scratch);
		mf_escape_bytes(s->plain, plen, PREVIEW_MAX, &s->scratch);
		snprintf(det, sizeof(det), "PKCS#7 padding invalid; plaintext: %s",
		    mf_buf_cstr(&s->scratch));
		return anomaly(s, p, &h, direction, "bad_padding", det);
	}
	rc = mf_jsonfix_parse(s->plain, plen - pad, ctx->lim.plaintext_max, &jf);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc != 0) {
		mf_buf_reset(&s->scratch);
		mf_escape_bytes(s->plain, plen - pad, PREVIEW_MAX, &s->scratch);
		snprintf(det, sizeof(det), "decrypted but not JSON: %s", mf_buf_cstr(&s->scratch));
		return anomaly(s, p, &h, direction, "json_unparsable", det);
	}
	for (i = 0; i < jf.nparts && rc == 0; i++)
		rc = emit_message(s, p, &h, jf.parts[i], &jf, i, pad, tidx, by_trial);
	mf_jsonfix_free(&jf);
	return rc;
}

static int decode(void *st, struct mf_ctx *ctx, const struct mf_pkt *p)
{
	struct miio_state *s = st;
	int rc;

	s->replay = REPLAY_NONE;
	s->token_wait = NULL;
	rc = decode_one(s, ctx, p);
	s->token_wait = NULL;
	return rc;
}

int mf_miio_replay(void *st, struct mf_ctx *ctx, const struct mf_pkt *p, int final)
{
	struct miio_state *s = st;
	int rc;

	s->replay = final ? REPLAY_FINAL : REPLAY_RETRY;
	s->token_wait = NULL;
	rc = decode_one(s, ctx, p);
	s->replay = REPLAY_NONE;
	s->token_wait = NULL;
	return rc;
}

static void tick(void *st, struct mf_ctx *ctx, int64_t now_ns, int final)
{
	struct miio_state *s = st;

	(void)ctx;
	expire(s, now_ns, final);
	q_drain(s, 0);
	while (final && s->qn)
		q_drain(s, 1);
}

/* Live: the requests held since before before_ns are written now, without
 * waiting for their answer (no response_frame / answered); their answer
 * still names them (request_frame), and the unanswered ones still get
 * their anomaly after the timeout. */
static int64_t release(void *st, struct mf_ctx *ctx, int64_t before_ns)
{
	struct miio_state *s = st;
	int64_t oldest = MF_TIME_NONE;
	size_t i;

	(void)ctx;
	for (i = 0; i < s->qn; i++) {
		struct outq *o = &s->q[(s->qhead + i) % s->pend_cap];

		if (!o->ev || !o->pending)
			continue;
		if (o->ev->ts_ns == MF_TIME_NONE || o->ev->ts_ns < before_ns) {
			(void)mf_emit(s->ctx, o->ev);
			o->ev = NULL;
			o->pending = 0;
		} else if (oldest == MF_TIME_NONE || o->ev->ts_ns < oldest) {
			oldest = o->ev->ts_ns;
		}
	}
	q_drain(s, 0);
	return oldest;
}

const struct mf_udp_proto mf_proto_miio = {
	.name = "miio",
	.ports = { MIIO_PORT, MIIO_OT_PORT, 0 },
	.probe = probe,
	.state_new = state_new,
	.state_free = state_free,
	.decode = decode,
	.tick = tick,
	.release = release,
};

/* ---- the "ott" cloud link: miIO frames back to back on TCP (section 11) ----
 *
 * A device whose miIO.info says "ot":"ott" talks to ott.io.mi.com on TCP
 * port 80 instead of UDP 8053: the same frames, each read as 32 header bytes
 * then length - 32 more.  Roborock vacuums send map uploads on such a
 * connection as a record "ROCKROBO_MAP__\n" + 16 ASCII digits (payload
 * size) + "\n" + payload.  Port 80 is shared with HTTP: the first bytes
 * decide, and a stream that is not miIO goes to the HTTP/1.x consumer
 * unchanged.  Each connection has its own miIO state (request pairing); the
 * token store is the capture's.  The client of the connection is the
 * device. */

#define OTT_PORT 80
#define OTT_ACC_MAX (1u << 17)          /* a frame is at most 64 KiB */
#define ROCKROBO "ROCKROBO_MAP__"
#define ROCKROBO_HDR 32

enum { OTT_UNDECIDED, OTT_MIIO, OTT_HTTP };

struct ott_dir {
	struct mf_buf acc;
	uint64_t skip;                  /* map payload bytes still to pass over */
	uint64_t dropped;               /* bytes passed over while out of step */
	unsigned desync : 1;            /* look for the next plausible frame */
};

struct ott {
	struct mf_ctx *ctx;
	struct mf_flow fl;
	int mode;
	void *inner;                    /* miIO state, or the HTTP/1.x consumer's */
	struct ott_dir d[2];
};

static int ott_is_miio(const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] == 0x21 && (n < 2 || p[1] == 0x31))
		return n < 4 || mf_be16(p + 2) >= MIIO_HDR;
	return n >= 8 && memcmp(p, ROCKROBO, n < sizeof(ROCKROBO) - 1 ? n : sizeof(ROCKROBO) - 1) == 0;
}

/* On ports other than 80: a stream whose client starts with a miIO header. */
static int ott_probe(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 0x21 && p[1] == 0x31 && mf_be16(p + 2) >= MIIO_HDR;
}

static void *ott_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	struct ott *o = calloc(1, sizeof(*o));
	int i;

	if (!o)
		return NULL;
	o->ctx = ctx;
	o->fl = *fl;
	for (i = 0; i < 2; i++)
		mf_buf_init(&o->d[i].acc, OTT_ACC_MAX);
	return o;
}

static void ott_pkt(const struct ott *o, int dir, const uint8_t *b, size_t n,
                    const struct mf_frame *f, struct mf_pkt *p)
{
	int s2c = dir == MF_DIR_S2C;

	memset(p, 0, sizeof(*p));
	p->frame = f;
	p->addr_len = o->fl.addr_len;
	p->ipver = o->fl.addr_len == 16 ? 6 : 4;
	memcpy(p->src, s2c ? o->fl.srv : o->fl.cli, o->fl.addr_len);
	memcpy(p->dst, s2c ? o->fl.cli : o->fl.srv, o->fl.addr_len);
	p->sport = s2c ? o->fl.sport : o->fl.cport;
	p->dport = s2c ? o->fl.cport : o->fl.sport;
	p->ipproto = 6;
	p->payload = b;
	p->len = p->claimed_len = n;
	p->flow = &o->fl;
	p->flow_dir = dir;
	p->dev = s2c ? MF_DEV_IS_DST : MF_DEV_IS_SRC;
}

/* A finding about the byte stream itself (not one frame). */
static int ott_anomaly(struct ott *o, int dir, const struct mf_frame *f, const char *reason,
                       const uint8_t *b, size_t n, const char *what)
{
	struct miio_state *s = o->inner;
	struct mf_pkt p;
	char det[PREVIEW_MAX + 160];

	ott_pkt(o, dir, b, n, f, &p);
	mf_buf_reset(&s->scratch);
	mf_escape_bytes(b, n, 64, &s->scratch);
	snprintf(det, sizeof(det), "%s: %s", what, mf_buf_cstr(&s->scratch));
	return anomaly(s, &p, NULL, dir == MF_DIR_S2C ? "to_device" : "from_device", reason, det);
}

/* A map upload record: one data event, its payload passed over. */
static int ott_map(struct ott *o, int dir, const struct mf_frame *f, uint64_t size)
{
	struct miio_state *s = o->inner;
	struct mf_event *ev;
	struct mf_pkt p;
	cJSON *mo;

	ott_pkt(o, dir, o->d[dir].acc.data, ROCKROBO_HDR, f, &p);
	ev = new_event(&p, "miio", "data");
	if (!ev)
		return MF_ERR_NOMEM;
	mf_event_str(ev, "event", "rockrobo_map");
	mo = mf_json_obj();
	mf_json_str(mo, "direction", dir == MF_DIR_S2C ? "to_device" : "from_device");
	mf_json_str(mo, "record", "ROCKROBO_MAP");
	mf_json_u64(mo, "bytes", size);
	return finish(s, ev, &p, mo);
}

/* Frames complete in acc: decoded; out-of-step bytes: skipped to the next
 * plausible header (one anomaly per stretch). */
static int ott_frames(struct ott *o, int dir, const struct mf_frame *f)
{
	struct ott_dir *d = &o->d[dir];
	struct mf_buf *a = &d->acc;
	size_t off = 0, len;
	int rc = 0;

	while (rc == 0) {
		const uint8_t *b = a->data + off;
		size_t n = a->len - off;

		if (d->skip) {
			size_t k = n < d->skip ? n : (size_t)d->skip;

			d->skip -= k;
			off += k;
			if (d->skip)
				break;
			continue;
		}
		if (d->desync) {
			size_t i;

			for (i = 0; i + 4 <= n; i++)
				if (b[i] == 0x21 && b[i + 1] == 0x31 && mf_be16(b + i + 2) >= MIIO_HDR)
					break;
			if (i + 4 > n) {
				/* none yet: keep the last bytes, a header may start there */
				size_t keep = n < 3 ? n : 3;

				d->dropped += n - keep;
				off += n - keep;
				break;
			}
			d->dropped += i;
			off += i;
			d->desync = 0;
			continue;
		}
		if (n < 4)
			break;
		if (memcmp(b, ROCKROBO, n < 14 ? n : 14) == 0) {
			char digits[17];
			char *end;
			unsigned long long size;

			if (n < ROCKROBO_HDR)
				break;
			memcpy(digits, b + 15, 16);
			digits[16] = '\0';
			size = strtoull(digits, &end, 10);
			if (*end || b[14] != '\n' || b[31] != '\n') {
				rc = ott_anomaly(o, dir, f, "ott_desync", b, n,
				    "a ROCKROBO_MAP record header that does not parse");
				d->desync = 1;
				off += 1;
				continue;
			}
			rc = ott_map(o, dir, f, size);
			off += ROCKROBO_HDR;
			d->skip = size;
			continue;
		}
		len = mf_be16(b + 2);
		if (b[0] != 0x21 || b[1] != 0x31 || len < MIIO_HDR) {
			rc = ott_anomaly(o, dir, f, "ott_desync", b, n,
			    "bytes that are not a miIO frame header on the TCP link; skipped to the next header");
			d->desync = 1;
			continue;
		}
		if (n < len)
			break;
		{
			struct mf_pkt p;

			ott_pkt(o, dir, b, len, f, &p);
			rc = mf_proto_miio.decode(o->inner, o->ctx, &p);
		}
		off += len;
	}
	if (off) {
		memmove(a->data, a->data + off, a->len - off);
		a->len -= off;
	}
	if (rc == 0 && f)
		tick(o->inner, o->ctx, f->ts_ns, 0);
	return rc;
}

static int ott_data(void *st, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                    const struct mf_frame *f)
{
	struct ott *o = st;
	struct ott_dir *d = &o->d[dir];

	if (o->mode == OTT_UNDECIDED) {
		if (o->fl.sport == OTT_PORT && !ott_is_miio(p, n)) {
			o->mode = OTT_HTTP;
			if (!(o->inner = mf_proto_http1.open(ctx, &o->fl)))
				return MF_ERR_NOMEM;
		} else {
			o->mode = OTT_MIIO;
			if (!(o->inner = state_new(ctx)))
				return MF_ERR_NOMEM;
		}
	}
	if (o->mode == OTT_HTTP)
		return mf_proto_http1.data(o->inner, ctx, dir, p, n, f);
	if (d->skip) {
		size_t k = n < d->skip ? n : (size_t)d->skip;

		d->skip -= k;
		p += k;
		n -= k;
	}
	if (d->acc.len + n > OTT_ACC_MAX) {
		/* cannot be a frame: more than 64 KiB without a complete one */
		int rc = ott_anomaly(o, dir, f, "ott_desync", d->acc.data, d->acc.len,
		    "no complete miIO frame within 128 KiB");

		mf_buf_reset(&d->acc);
		d->desync = 1;
		if (rc)
			return rc;
		if (n > OTT_ACC_MAX) {
			p += n - OTT_ACC_MAX;
			n = OTT_ACC_MAX;
		}
	}
	if (n && mf_buf_add(&d->acc, p, n) != 0)
		return MF_ERR_NOMEM;
	return ott_frames(o, dir, f);
}

static void ott_gap(void *st, struct mf_ctx *ctx, int dir, uint64_t missing,
                    const struct mf_frame *f)
{
	struct ott *o = st;
	struct ott_dir *d = &o->d[dir];

	if (o->mode == OTT_UNDECIDED) {
		/* nothing seen before the gap: HTTP's rules on port 80 */
		o->mode = o->fl.sport == OTT_PORT ? OTT_HTTP : OTT_MIIO;
		o->inner = o->mode == OTT_HTTP ? mf_proto_http1.open(ctx, &o->fl) : state_new(ctx);
		if (!o->inner)
			return;
	}
	if (o->mode == OTT_HTTP) {
		mf_proto_http1.gap(o->inner, ctx, dir, missing, f);
		return;
	}
	/* the TCP layer reported the gap; the frame it cut is lost */
	if (d->skip > missing) {
		d->skip -= missing;
		return;
	}
	d->skip = 0;
	mf_buf_reset(&d->acc);
	d->desync = 1;
}

static int ott_close(void *st, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct ott *o = st;
	int i;

	(void)how;
	if (o->mode == OTT_HTTP && o->inner)
		(void)mf_proto_http1.close(o->inner, ctx, how, f);
	if (o->mode == OTT_MIIO && o->inner) {
		for (i = 0; i < 2; i++) {
			struct ott_dir *d = &o->d[i];
			char what[96];

			if (d->acc.len && !d->desync && !d->skip && f) {
				snprintf(what, sizeof(what), "the connection ended inside a frame "
				    "(%zu bytes held)", d->acc.len);
				(void)ott_anomaly(o, i, f, "truncated", d->acc.data, d->acc.len, what);
			}
		}
		tick(o->inner, ctx, INT64_MAX / 2, 1);
		state_free(o->inner);
	}
	for (i = 0; i < 2; i++)
		mf_buf_free(&o->d[i].acc);
	free(o);
	return 0;
}

const struct mf_stream_proto mf_proto_miio_tcp = {
	.name = "miio",
	.ports = { OTT_PORT, 0 },
	.probe = ott_probe,
	.open = ott_open,
	.data = ott_data,
	.gap = ott_gap,
	.close = ott_close,
};
