/*
 * mf_micloud_held.c - Mi cloud calls held for a key that comes later
 * (see mf_micloud_held.h).
 *
 * A held call is a deep copy of what mf_micloud_exchange was given (request
 * and response fields, bodies, the flow's "net" and the evidence), replayed
 * through mf_micloud_exchange_x, so a call opened late gives exactly the
 * events it would have given had its key been known at once, plus
 * micloud.key_wait / key_evidence.  A FIFO list: retries and the final
 * flush go in the order the calls were seen.
 */
#include "mf_micloud_held.h"

#include <stdlib.h>
#include <string.h>

#include "mf_cloud_int.h"
#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_micloud.h"
#include "mf_time.h"

/* the strings of an exchange, copied */
enum {
	S_HOST, S_PATH, S_METHOD, S_QUERY, S_CTYPE, S_COOKIE, S_ALG, S_UA, S_RQ_ENC, S_SOURCE,
	S_RS_CTYPE, S_MIOT_ENC, S_SETC, S_PRAGMA, S_LOCATION, S_RS_ENC, S_COUNT
};

struct held {
	struct held *next;
	struct mf_micloud_req rq;     /* pointers into the copies below */
	struct mf_micloud_resp rs;
	int has_rs;
	int64_t ts;
	cJSON *evidence, *net;
	uint8_t *rq_body, *rs_body;
	char *s[S_COUNT];
	size_t bytes;                 /* what it counts against lim.cloud_held_mem_max */
};

struct mf_micloud_held {
	struct held *head, *tail;
	size_t n, bytes;
	unsigned users;               /* begin/end nesting */
};

static size_t str_cost(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static size_t json_cost(const cJSON *j)
{
	size_t n = 0;

	for (; j; j = j->next) {
		n += sizeof(*j) + str_cost(j->string) + str_cost(j->valuestring);
		n += json_cost(j->child);
	}
	return n;
}

static size_t held_cost(const struct mf_micloud_req *rq, const struct mf_micloud_resp *rs,
                        const cJSON *evidence)
{
	size_t n = sizeof(struct held) + (rq->body ? rq->body_len : 0);

	n += str_cost(rq->host) + str_cost(rq->path) + str_cost(rq->method) +
	    str_cost(rq->query) + str_cost(rq->content_type) + str_cost(rq->cookie) +
	    str_cost(rq->encrypt_alg) + str_cost(rq->user_agent) +
	    str_cost(rq->encoding_unsupported) + str_cost(rq->source);
	if (rq->net)
		n += sizeof(cJSON) + json_cost(rq->net->child);
	if (evidence)
		n += sizeof(cJSON) + json_cost(evidence->child);
	if (rs)
		n += (rs->body ? rs->body_len : 0) + str_cost(rs->content_type) +
		    str_cost(rs->miot_content_encoding) + str_cost(rs->set_cookie_joined) +
		    str_cost(rs->extension_pragma) + str_cost(rs->location) +
		    str_cost(rs->encoding_unsupported);
	return n;
}

static void held_free(struct held *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < S_COUNT; i++)
		free(h->s[i]);
	free(h->rq_body);
	free(h->rs_body);
	cJSON_Delete(h->evidence);
	cJSON_Delete(h->net);
	free(h);
}

/* A copy of s in h->s[k] (NULL stays NULL); 0 or MF_ERR_NOMEM. */
static int keep_str(struct held *h, int k, const char *s, const char **dst)
{
	*dst = NULL;
	if (!s)
		return 0;
	if (!(h->s[k] = strdup(s)))
		return MF_ERR_NOMEM;
	*dst = h->s[k];
	return 0;
}

static int keep_bytes(uint8_t **own, const uint8_t *p, size_t n, const uint8_t **dst)
{
	*dst = NULL;
	if (!p)
		return 0;
	if (!(*own = malloc(n ? n : 1)))
		return MF_ERR_NOMEM;
	if (n)
		memcpy(*own, p, n);
	*dst = *own;
	return 0;
}

static struct held *held_copy(const struct mf_micloud_req *rq, const struct mf_micloud_resp *rs,
                              int64_t ts, const cJSON *evidence)
{
	struct held *h = calloc(1, sizeof(*h));
	int rc = 0;

	if (!h)
		return NULL;
	h->rq = *rq;
	h->ts = ts;
	rc |= keep_str(h, S_HOST, rq->host, &h->rq.host);
	rc |= keep_str(h, S_PATH, rq->path, &h->rq.path);
	rc |= keep_str(h, S_METHOD, rq->method, &h->rq.method);
	rc |= keep_str(h, S_QUERY, rq->query, &h->rq.query);
	rc |= keep_str(h, S_CTYPE, rq->content_type, &h->rq.content_type);
	rc |= keep_str(h, S_COOKIE, rq->cookie, &h->rq.cookie);
	rc |= keep_str(h, S_ALG, rq->encrypt_alg, &h->rq.encrypt_alg);
	rc |= keep_str(h, S_UA, rq->user_agent, &h->rq.user_agent);
	rc |= keep_str(h, S_RQ_ENC, rq->encoding_unsupported, &h->rq.encoding_unsupported);
	rc |= keep_str(h, S_SOURCE, rq->source, &h->rq.source);
	rc |= keep_bytes(&h->rq_body, rq->body, rq->body_len, &h->rq.body);
	h->rq.net = NULL;
	if (rq->net && !(h->net = cJSON_Duplicate(rq->net, 1)))
		rc |= MF_ERR_NOMEM;
	h->rq.net = h->net;
	if (evidence && !(h->evidence = cJSON_Duplicate(evidence, 1)))
		rc |= MF_ERR_NOMEM;
	if (rs) {
		h->has_rs = 1;
		h->rs = *rs;
		rc |= keep_str(h, S_RS_CTYPE, rs->content_type, &h->rs.content_type);
		rc |= keep_str(h, S_MIOT_ENC, rs->miot_content_encoding, &h->rs.miot_content_encoding);
		rc |= keep_str(h, S_SETC, rs->set_cookie_joined, &h->rs.set_cookie_joined);
		rc |= keep_str(h, S_PRAGMA, rs->extension_pragma, &h->rs.extension_pragma);
		rc |= keep_str(h, S_LOCATION, rs->location, &h->rs.location);
		rc |= keep_str(h, S_RS_ENC, rs->encoding_unsupported, &h->rs.encoding_unsupported);
		rc |= keep_bytes(&h->rs_body, rs->body, rs->body_len, &h->rs.body);
	}
	if (rc) {
		held_free(h);
		return NULL;
	}
	h->bytes = held_cost(rq, rs, evidence);
	return h;
}

static void account(struct mf_ctx *ctx, const struct mf_micloud_held *q)
{
	ctx->st.cloud_held = q ? q->n : 0;
	ctx->st.cloud_held_bytes = q ? q->bytes : 0;
}

/* Takes h out of the list (prev: the call before it, or NULL). */
static void unlink_held(struct mf_micloud_held *q, struct held *prev, struct held *h)
{
	if (prev)
		prev->next = h->next;
	else
		q->head = h->next;
	if (q->tail == h)
		q->tail = prev;
	q->n--;
	q->bytes -= h->bytes;
	h->next = NULL;
}

int mf_micloud_held_begin(struct mf_ctx *ctx)
{
	struct mf_micloud_held *q = ctx->micloud_held;

	if (q) {
		q->users++;
		return 0;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return MF_ERR_NOMEM;
	q->users = 1;
	ctx->micloud_held = q;
	account(ctx, q);
	return 0;
}

int mf_micloud_held_fits(const struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                         const struct mf_micloud_resp *rs, const cJSON *evidence)
{
	const struct mf_micloud_held *q = ctx->micloud_held;
	size_t cost;

	if (!q || q->n >= ctx->lim.cloud_held_max)
		return 0;
	cost = held_cost(rq, rs, evidence);
	return cost <= ctx->lim.cloud_held_mem_max &&
	    q->bytes <= ctx->lim.cloud_held_mem_max - cost;
}

int mf_micloud_held_add(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                        const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence)
{
	struct mf_micloud_held *q = ctx->micloud_held;
	struct held *h;

	if (!q)
		return MF_ERR_ARG;
	if (!(h = held_copy(rq, rs, ts_ns, evidence)))
		return MF_ERR_NOMEM;
	if (q->tail)
		q->tail->next = h;
	else
		q->head = h;
	q->tail = h;
	q->n++;
	q->bytes += h->bytes;
	account(ctx, q);
	return 0;
}

int mf_micloud_held_retry(struct mf_ctx *ctx, const cJSON *key_evidence)
{
	struct mf_micloud_held *q = ctx->micloud_held;
	uint64_t gen;
	int rc = 0;

	if (!q)
		return 0;
	do {
		struct held *h = q->head, *prev = NULL, *next;

		gen = ctx->ssecurity_gen;
		for (; h && rc == 0; h = next) {
			next = h->next;
			rc = mf_micloud_exchange_x(ctx, &h->rq, h->has_rs ? &h->rs : NULL, h->ts,
			    h->evidence, MF_MICLOUD_X_MAY_HOLD | MF_MICLOUD_X_REPLAY, key_evidence);
			if (rc == MF_MICLOUD_HELD) {
				rc = 0;
				prev = h;
				continue;
			}
			unlink_held(q, prev, h);
			held_free(h);
		}
		account(ctx, q);
		/* a call opened now cannot reveal another key (it had none that
		 * worked), but should one, the rest is tried with it too */
	} while (rc == 0 && q->head && ctx->ssecurity_gen != gen);
	return rc;
}

/* The oldest held call leaves the queue and is reported as it stands
 * (not held again: no MF_MICLOUD_X_MAY_HOLD). */
static int report_head(struct mf_ctx *ctx, struct mf_micloud_held *q)
{
	struct held *h = q->head;
	int r;

	unlink_held(q, NULL, h);
	account(ctx, q);
	r = mf_micloud_exchange_x(ctx, &h->rq, h->has_rs ? &h->rs : NULL, h->ts, h->evidence,
	    MF_MICLOUD_X_REPLAY, NULL);
	held_free(h);
	return r;
}

int mf_micloud_held_end(struct mf_ctx *ctx)
{
	struct mf_micloud_held *q = ctx->micloud_held;
	struct held *h;
	int rc = 0;

	if (!q)
		return 0;
	if (q->users > 1) {
		q->users--;
		return 0;
	}
	/* detached first: what the last pass emits is final, nothing is held */
	ctx->micloud_held = NULL;
	while ((h = q->head) != NULL) {
		int r = report_head(ctx, q);

		if (r < 0 && rc == 0)
			rc = r;
	}
	free(q);
	account(ctx, NULL);
	return rc;
}

int mf_micloud_held_expire(struct mf_ctx *ctx, int64_t now_ns)
{
	struct mf_micloud_held *q = ctx ? ctx->micloud_held : NULL;
	int64_t wait = ctx ? ctx->lim.held_wait_ns : 0;
	struct held *h;
	int rc = 0;

	if (!q || wait <= 0 || now_ns == MF_TIME_NONE)
		return 0;
	/* held in the order seen: the oldest are at the head; a reported call
	 * is not held again (no MF_MICLOUD_X_MAY_HOLD) */
	while ((h = q->head) != NULL && h->ts != MF_TIME_NONE && now_ns > h->ts &&
	    (uint64_t)now_ns - (uint64_t)h->ts > (uint64_t)wait) {
		int r = report_head(ctx, q);

		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}

void mf_micloud_held_drop(struct mf_ctx *ctx)
{
	struct mf_micloud_held *q = ctx ? ctx->micloud_held : NULL;
	struct held *h;

	if (!q)
		return;
	if (q->users > 1) {
		q->users--;
		return;
	}
	while ((h = q->head) != NULL) {
		q->head = h->next;
		held_free(h);
	}
	free(q);
	ctx->micloud_held = NULL;
	account(ctx, NULL);
}

size_t mf_micloud_held_count(const struct mf_ctx *ctx)
{
	return ctx && ctx->micloud_held ? ctx->micloud_held->n : 0;
}
