/*
 * mf_miio_held.c - miIO frames held for a token that comes later (see
 * mf_miio_held.h).
 *
 * A held frame is a copy of the datagram (or of one frame of an "ott" TCP
 * stream) with what mf_pkt said about it: addresses, ports, VLANs, the
 * stream's flow, which side is the device, and the frame's number, time and
 * input (inputs outlive the decoder).  A FIFO list: retries and the final
 * flush go in the order the frames were seen.  Each frame remembers how
 * many store entries were already tried on it; the store only grows
 * (mf_tokens.h), so a retry tests the entries added since, with the
 * checksum:
 *
 *     MD5(frame[0..15] || token || frame[32..]) == frame[16..31]
 */
#include "mf_miio_held.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_frame.h"
#include "mf_miio.h"
#include "mf_proto.h"
#include "mf_stream.h"
#include "mf_time.h"
#include "mf_tokens.h"

#define MIIO_HDR 32

struct held {
	struct held *next;
	void *owner;                  /* the miIO state that saw it; NULL once freed */
	struct mf_frame f;            /* number, time, input, link type; no data */
	struct mf_pkt p;              /* frame -> &f, payload -> data, flow -> &fl */
	struct mf_flow fl;
	size_t tried;                 /* store entries [0, tried) do not open it */
	size_t bytes;                 /* what it counts against lim.miio_held_mem_max */
	uint8_t data[];
};

struct mf_miio_held {
	struct held *head, *tail;
	size_t n, bytes;
	size_t seen;                  /* store size at the last look */
	unsigned users;               /* begin/end nesting */
	int busy;                     /* 1: a retry is running (no re-entry); 2: the
	                                 final flush, nothing is held any more */
	unsigned refused : 1;         /* a frame was turned away since the queue had room */
	void *orphans;                /* miIO state for frames whose own state is gone */
	EVP_MD_CTX *md;
	EVP_MD *md5;
};

static void account(struct mf_ctx *ctx, const struct mf_miio_held *q)
{
	ctx->st.miio_held = q ? q->n : 0;
	ctx->st.miio_held_bytes = q ? q->bytes : 0;
}

static size_t held_cost(const struct mf_pkt *p)
{
	return sizeof(struct held) + p->len;
}

int mf_miio_held_begin(struct mf_ctx *ctx)
{
	struct mf_miio_held *q = ctx->miio_held;

	if (q) {
		q->users++;
		return 0;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return MF_ERR_NOMEM;
	q->md = EVP_MD_CTX_new();
	q->md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	if (!q->md || !q->md5) {
		EVP_MD_CTX_free(q->md);
		EVP_MD_free(q->md5);
		free(q);
		return MF_ERR_NOMEM;
	}
	q->users = 1;
	q->seen = mf_tokens_count(ctx->tokens);
	ctx->miio_held = q;
	account(ctx, q);
	return 0;
}

int mf_miio_held_add(struct mf_ctx *ctx, void *owner, const struct mf_pkt *p, size_t tried,
                     int *first_refusal)
{
	struct mf_miio_held *q = ctx->miio_held;
	size_t cost = held_cost(p);
	struct held *h;

	*first_refusal = 0;
	if (!q || q->busy == 2)
		return MF_ERR_LIMIT;
	if (q->n >= ctx->lim.miio_held_max || cost > ctx->lim.miio_held_mem_max ||
	    q->bytes > ctx->lim.miio_held_mem_max - cost) {
		*first_refusal = !q->refused;
		q->refused = 1;
		ctx->st.miio_not_held++;
		return MF_ERR_LIMIT;
	}
	if (!(h = malloc(sizeof(*h) + (p->len ? p->len : 1))))
		return MF_ERR_NOMEM;
	memset(h, 0, sizeof(*h));
	h->owner = owner;
	h->f = *p->frame;
	h->f.data = NULL;
	h->f.caplen = 0;
	h->p = *p;
	memcpy(h->data, p->payload, p->len);
	h->p.payload = h->data;
	h->p.frame = &h->f;
	if (p->flow) {
		h->fl = *p->flow;
		/* what "net" does not use, and may not outlive the stream */
		h->fl.alpn = NULL;
		h->fl.sni = NULL;
		h->fl.tunnel = NULL;
		h->p.flow = &h->fl;
	}
	h->tried = tried;
	h->bytes = cost;
	if (q->tail)
		q->tail->next = h;
	else
		q->head = h;
	q->tail = h;
	q->n++;
	q->bytes += cost;
	account(ctx, q);
	return 0;
}

void mf_miio_held_forget(struct mf_ctx *ctx, const void *owner)
{
	struct mf_miio_held *q = ctx ? ctx->miio_held : NULL;
	struct held *h;

	for (h = q ? q->head : NULL; h; h = h->next)
		if (h->owner == owner)
			h->owner = NULL;
}

/* Takes h out of the list (prev: the frame before it, or NULL). */
static void unlink_held(struct mf_miio_held *q, struct held *prev, struct held *h)
{
	if (prev)
		prev->next = h->next;
	else
		q->head = h->next;
	if (q->tail == h)
		q->tail = prev;
	q->n--;
	q->bytes -= h->bytes;
	q->refused = 0;         /* room again: the next refusal is reported */
	h->next = NULL;
}

/* Does a store entry in [h->tried, n) match h's checksum? */
static int opens(struct mf_miio_held *q, const struct mf_tokens *t, const struct held *h,
                 size_t n)
{
	const uint8_t *fr = h->data;
	size_t len = h->p.len, i;
	uint8_t d[16];
	unsigned int dl;

	if (len < MIIO_HDR)
		return 0;
	for (i = h->tried; i < n; i++) {
		const struct mf_token *tk = mf_tokens_get(t, i);

		dl = sizeof(d);
		if (!tk || EVP_DigestInit_ex(q->md, q->md5, NULL) != 1 ||
		    EVP_DigestUpdate(q->md, fr, 16) != 1 ||
		    EVP_DigestUpdate(q->md, tk->token, 16) != 1 ||
		    (len > MIIO_HDR &&
		     EVP_DigestUpdate(q->md, fr + MIIO_HDR, len - MIIO_HDR) != 1) ||
		    EVP_DigestFinal_ex(q->md, d, &dl) != 1)
			continue;
		if (memcmp(d, fr + 16, 16) == 0)
			return 1;
	}
	return 0;
}

/* The state a frame is decoded by: its own, else the queue's (made when
 * first needed). */
static void *target(struct mf_ctx *ctx, struct mf_miio_held *q, const struct held *h)
{
	if (h->owner)
		return h->owner;
	if (!q->orphans)
		q->orphans = mf_proto_miio.state_new(ctx);
	return q->orphans;
}

/* The queue's own state has no live traffic that could answer a request
 * or follow a response: what it decoded is settled now. */
static void settle_orphans(struct mf_ctx *ctx, struct mf_miio_held *q)
{
	if (q->orphans)
		mf_proto_miio.tick(q->orphans, ctx, INT64_MAX / 2, 1);
}

static void held_free(struct held *h)
{
	free(h);
}

/* One pass per store growth, repeated while the frames opened reveal more
 * tokens (a late miIO.info reply names another device's token).  final:
 * decode every frame (the end of input), opened or not. */
static int retry(struct mf_ctx *ctx, struct mf_miio_held *q, int final)
{
	size_t n;
	int rc = 0;

	do {
		struct held *h = q->head, *prev = NULL, *next;

		q->seen = mf_tokens_count(ctx->tokens);
		for (; h && rc == 0; h = next) {
			void *st;
			int r;

			next = h->next;
			n = mf_tokens_count(ctx->tokens);
			if (!final && !opens(q, ctx->tokens, h, n)) {
				h->tried = n;
				prev = h;
				continue;
			}
			if (!(st = target(ctx, q, h))) {
				rc = MF_ERR_NOMEM;
				break;
			}
			r = mf_miio_replay(st, ctx, &h->p, final);
			if (r == MF_MIIO_STILL_HELD) {
				/* the decoder's own choice found nothing after all */
				h->tried = n;
				prev = h;
				continue;
			}
			if (r < 0)
				rc = r;
			unlink_held(q, prev, h);
			held_free(h);
		}
		account(ctx, q);
		settle_orphans(ctx, q);
	} while (rc == 0 && !final && q->head && mf_tokens_count(ctx->tokens) != q->seen);
	return rc;
}

int mf_miio_held_check(struct mf_ctx *ctx)
{
	struct mf_miio_held *q = ctx ? ctx->miio_held : NULL;
	int rc;

	if (!q || q->busy || mf_tokens_count(ctx->tokens) == q->seen)
		return 0;
	q->busy = 1;
	rc = retry(ctx, q, 0);
	q->busy = 0;
	return rc;
}

int mf_miio_held_expire(struct mf_ctx *ctx, int64_t now_ns)
{
	struct mf_miio_held *q = ctx ? ctx->miio_held : NULL;
	int64_t wait = ctx ? ctx->lim.held_wait_ns : 0;
	struct held *h;
	int rc = 0;

	if (!q || q->busy || wait <= 0 || now_ns == MF_TIME_NONE)
		return 0;
	q->busy = 1;
	/* held in the order seen: the oldest are at the head */
	while (rc == 0 && (h = q->head) != NULL && h->f.ts_ns != MF_TIME_NONE &&
	    now_ns > h->f.ts_ns && (uint64_t)now_ns - (uint64_t)h->f.ts_ns > (uint64_t)wait) {
		void *st = target(ctx, q, h);

		if (!st) {
			rc = MF_ERR_NOMEM;
			break;
		}
		unlink_held(q, NULL, h);
		rc = mf_miio_replay(st, ctx, &h->p, 1);
		held_free(h);
	}
	account(ctx, q);
	settle_orphans(ctx, q);
	q->busy = 0;
	return rc < 0 ? rc : 0;
}

static void queue_free(struct mf_ctx *ctx, struct mf_miio_held *q)
{
	struct held *h;

	while ((h = q->head) != NULL) {
		q->head = h->next;
		held_free(h);
	}
	if (q->orphans)
		mf_proto_miio.state_free(q->orphans);
	EVP_MD_CTX_free(q->md);
	EVP_MD_free(q->md5);
	free(q);
	account(ctx, NULL);
}

int mf_miio_held_end(struct mf_ctx *ctx)
{
	struct mf_miio_held *q = ctx ? ctx->miio_held : NULL;
	int rc, r;

	if (!q)
		return 0;
	if (q->users > 1) {
		q->users--;
		return 0;
	}
	/* what a new token opens first (it may reveal more), then the rest,
	 * each as it would have been reported at once; busy == 2: nothing is
	 * held any more */
	q->busy = 1;
	rc = q->seen != mf_tokens_count(ctx->tokens) ? retry(ctx, q, 0) : 0;
	q->busy = 2;
	r = retry(ctx, q, 1);
	if (r && !rc)
		rc = r;
	ctx->miio_held = NULL;
	queue_free(ctx, q);
	return rc;
}

void mf_miio_held_drop(struct mf_ctx *ctx)
{
	struct mf_miio_held *q = ctx ? ctx->miio_held : NULL;

	if (!q)
		return;
	if (q->users > 1) {
		q->users--;
		return;
	}
	ctx->miio_held = NULL;
	queue_free(ctx, q);
}

size_t mf_miio_held_count(const struct mf_ctx *ctx)
{
	return ctx && ctx->miio_held ? ctx->miio_held->n : 0;
}
