/*
 * mf_ipfrag.c - IP fragment reassembly; see mf_ipfrag.h.
 *
 * Reference: RFC 791 section 3.2 and RFC 815 (hole tracking), RFC 8200
 * section 4.5 (IPv6: key includes the Identification, next header of the
 * fragment header = first header of the fragmentable part), RFC 5722 /
 * RFC 3128 (overlaps are how evasion and tiny-fragment attacks work, so a
 * conflicting overlap is a finding, not something to merge quietly).
 *
 * A queue is keyed on (version, src, dst, id, proto) and holds:
 *
 *   buf     0 ........................................ alloc  (grows)
 *   have    [0,1480) [2960,4440)        bytes we captured and copied
 *   claim   [0,1480) [1480,2960) ...    ranges the IP headers announced
 *   total   end of the datagram, known once the last fragment (MF=0) came
 *
 * `claim` decides completeness; `have` only differs from it when the
 * capture's snapshot length cut a fragment, and then the reassembled
 * datagram is delivered truncated at the first gap (like any other cut
 * packet) instead of waiting forever.  First copy wins.
 *
 * Pending queues sit in an age list (oldest first) for timeouts and cap
 * eviction.  A completed queue is kept a while (DONE_MAX, timeout) so that a
 * capture that saw a datagram twice (SPAN ports, bridges) does not open a
 * new queue for the copy that can never complete; a fragment whose bytes
 * differ from it is a new datagram reusing the id and starts over.
 */
#include "mf_ipfrag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_frame.h"
#include "mf_proto.h"
#include "mf_time.h"

#define IV_MAX 256      /* separate pieces per queue; more is a hole flood */
#define DONE_MAX 64     /* completed datagrams remembered for duplicates */
#define BUF_MIN 2048

struct iv {
	uint32_t s, e;      /* [s, e) */
};

struct ivs {
	struct iv *v;
	uint32_t n, alloc;
};

struct fq {
	struct fq *hnext;           /* hash chain */
	struct fq *prev, *next;     /* pending (age) or done list */
	struct mf_frag_key key;
	uint32_t hash;
	int64_t t0;                 /* first fragment; completion for done queues */
	struct mf_frame ev;         /* first fragment's frame, without bytes */
	uint8_t *buf;
	uint32_t alloc;
	struct ivs have, claim;
	int64_t total;              /* -1 until the last fragment */
	uint32_t nfrags;
	unsigned done : 1, overlap_noted : 1, incons_noted : 1;
	size_t mem;                 /* bytes accounted to this queue */
};

struct qlist {
	struct fq *head, *tail;     /* head = oldest */
	size_t n;
};

struct mf_ipfrag {
	struct mf_ctx *ctx;
	struct fq **tab;
	size_t mask;
	struct qlist pending, done;
	size_t mem;
};

/* ---- small helpers ---------------------------------------------------- */

static const char *src_of(const struct mf_frame *f)
{
	return f && f->input && f->input->source ? f->input->source : "pcap";
}

static int expired(int64_t t0, int64_t now, int64_t timeout)
{
	if (timeout <= 0 || now == MF_TIME_NONE || now < t0)
		return 0;
	return (uint64_t)now - (uint64_t)t0 > (uint64_t)timeout;
}

static uint32_t key_hash(const struct mf_frag_key *k)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	uint8_t i;

	h = (h ^ k->ipver) * 16777619u;
	h = (h ^ k->proto) * 16777619u;
	for (i = 0; i < k->addr_len; i++) {
		h = (h ^ k->src[i]) * 16777619u;
		h = (h ^ k->dst[i]) * 16777619u;
	}
	for (i = 0; i < 4; i++)
		h = (h ^ ((k->id >> (8 * i)) & 0xff)) * 16777619u;
	return h ^ (h >> 15);
}

static int key_eq(const struct mf_frag_key *a, const struct mf_frag_key *b)
{
	return a->ipver == b->ipver && a->proto == b->proto && a->addr_len == b->addr_len &&
	    a->id == b->id && memcmp(a->src, b->src, a->addr_len) == 0 &&
	    memcmp(a->dst, b->dst, a->addr_len) == 0;
}

static void describe(const struct fq *q, char *out, size_t n)
{
	char s[46], d[46];

	mf_addr_str(q->key.src, q->key.addr_len, s);
	mf_addr_str(q->key.dst, q->key.addr_len, d);
	snprintf(out, n, "%s -> %s IPv%u id %" PRIu32 " proto %u", s, d, q->key.ipver,
	    q->key.id, q->key.proto);
}

static void list_add(struct qlist *l, struct fq *q)
{
	q->next = NULL;
	q->prev = l->tail;
	if (l->tail)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	l->n++;
}

static void list_del(struct qlist *l, struct fq *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		l->head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	else
		l->tail = q->prev;
	q->prev = q->next = NULL;
	l->n--;
}

static size_t q_mem(const struct fq *q)
{
	return sizeof(*q) + q->alloc + ((size_t)q->have.alloc + q->claim.alloc) * sizeof(struct iv);
}

static void account(struct mf_ipfrag *fq, struct fq *q)
{
	fq->mem -= q->mem;
	q->mem = q_mem(q);
	fq->mem += q->mem;
}

static void q_free(struct mf_ipfrag *fq, struct fq *q)
{
	struct fq **pp = &fq->tab[q->hash & fq->mask];

	while (*pp && *pp != q)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = q->hnext;
	list_del(q->done ? &fq->done : &fq->pending, q);
	fq->mem -= q->mem;
	free(q->buf);
	free(q->have.v);
	free(q->claim.v);
	free(q);
}

static uint64_t covered(const struct ivs *l)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < l->n; i++)
		n += l->v[i].e - l->v[i].s;
	return n;
}

/* Reports a pending queue that will never complete, then frees it. */
static void q_lost(struct mf_ipfrag *fq, struct fq *q, const char *reason, const char *why)
{
	char desc[160], tot[24] = "unknown";

	describe(q, desc, sizeof(desc));
	if (q->total >= 0)
		snprintf(tot, sizeof(tot), "%" PRId64, q->total);
	fq->ctx->st.frag_dropped++;
	mf_anomaly_frame(fq->ctx, &q->ev, src_of(&q->ev), "ip", reason,
	    "%s: %s; %" PRIu32 " fragment(s), %" PRIu64 " of %s bytes", desc, why, q->nfrags,
	    covered(&q->claim), tot);
	q_free(fq, q);
}

/* Makes room for `need` more bytes under frag_mem_max, evicting remembered
 * datagrams first, then the oldest pending queues other than `keep`.
 * Returns 0, or -1 when even that is not enough. */
static int make_room(struct mf_ipfrag *fq, size_t need, const struct fq *keep)
{
	size_t cap = fq->ctx->lim.frag_mem_max;
	char why[96];

	while (fq->mem + need > cap) {
		if (fq->done.head) {
			q_free(fq, fq->done.head);
			continue;
		}
		if (!fq->pending.head || (fq->pending.head == keep && !keep->next))
			return -1;
		snprintf(why, sizeof(why), "evicted: fragment memory cap of %zu bytes reached", cap);
		q_lost(fq, fq->pending.head == keep ? keep->next : fq->pending.head,
		    "ip_frag_dropped", why);
	}
	return 0;
}

/* Merges [s, e) into the sorted, disjoint list.  0, MF_ERR_LIMIT or NOMEM. */
static int ivs_add(struct ivs *l, uint32_t s, uint32_t e)
{
	uint32_t i = 0, j;

	if (s >= e)
		return 0;
	while (i < l->n && l->v[i].e < s)
		i++;
	j = i;
	while (j < l->n && l->v[j].s <= e)
		j++;
	if (i == j) {   /* no neighbour touched: insert */
		if (l->n == l->alloc) {
			uint32_t na = l->alloc ? l->alloc * 2 : 4;
			struct iv *nv;

			if (l->n >= IV_MAX)
				return MF_ERR_LIMIT;
			if (na > IV_MAX)
				na = IV_MAX;
			nv = realloc(l->v, na * sizeof(*nv));
			if (!nv)
				return MF_ERR_NOMEM;
			l->v = nv;
			l->alloc = na;
		}
		memmove(l->v + i + 1, l->v + i, (l->n - i) * sizeof(*l->v));
		l->v[i].s = s;
		l->v[i].e = e;
		l->n++;
		return 0;
	}
	if (l->v[i].s < s)
		s = l->v[i].s;
	if (l->v[j - 1].e > e)
		e = l->v[j - 1].e;
	l->v[i].s = s;
	l->v[i].e = e;
	memmove(l->v + i + 1, l->v + j, (l->n - j) * sizeof(*l->v));
	l->n -= j - i - 1;
	return 0;
}

/* Do the captured bytes of fr agree with what q already has?  Sets *first
 * to the first differing offset. */
static int same_bytes(const struct fq *q, uint32_t s, const uint8_t *data, uint32_t len,
                      uint32_t *first)
{
	uint32_t e = s + len, k;

	for (k = 0; k < q->have.n; k++) {
		uint32_t a = q->have.v[k].s > s ? q->have.v[k].s : s;
		uint32_t b = q->have.v[k].e < e ? q->have.v[k].e : e;
		uint32_t x;

		if (a >= b)
			continue;
		if (memcmp(q->buf + a, data + (a - s), b - a) == 0)
			continue;
		for (x = a; x < b && q->buf[x] == data[x - s]; x++)
			;
		*first = x;
		return 0;
	}
	return 1;
}

/* Copies only the parts of [s, s+len) that q does not have yet. */
static void copy_gaps(struct fq *q, uint32_t s, const uint8_t *data, uint32_t len)
{
	uint32_t e = s + len, pos = s, k;

	for (k = 0; k < q->have.n && pos < e; k++) {
		const struct iv *v = &q->have.v[k];

		if (v->e <= pos)
			continue;
		if (v->s >= e)
			break;
		if (v->s > pos)
			memcpy(q->buf + pos, data + (pos - s), v->s - pos);
		pos = v->e;
	}
	if (pos < e)
		memcpy(q->buf + pos, data + (pos - s), e - pos);
}

/* ---- public ----------------------------------------------------------- */

struct mf_ipfrag *mf_ipfrag_new(struct mf_ctx *ctx)
{
	struct mf_ipfrag *fq = calloc(1, sizeof(*fq));
	size_t nb = 64, want = ctx->lim.frag_queues_max + DONE_MAX;

	if (!fq)
		return NULL;
	while (nb < want && nb < 65536)
		nb <<= 1;
	fq->tab = calloc(nb, sizeof(*fq->tab));
	if (!fq->tab) {
		free(fq);
		return NULL;
	}
	fq->mask = nb - 1;
	fq->ctx = ctx;
	return fq;
}

void mf_ipfrag_free(struct mf_ipfrag *fq)
{
	if (!fq)
		return;
	while (fq->pending.head)
		q_free(fq, fq->pending.head);
	while (fq->done.head)
		q_free(fq, fq->done.head);
	free(fq->tab);
	free(fq);
}

size_t mf_ipfrag_pending(const struct mf_ipfrag *fq)
{
	return fq->pending.n;
}

size_t mf_ipfrag_mem(const struct mf_ipfrag *fq)
{
	return fq->mem;
}

void mf_ipfrag_expire(struct mf_ipfrag *fq, int64_t now_ns)
{
	int64_t to = fq->ctx->lim.frag_timeout_ns;
	char why[64];

	while (fq->pending.head && expired(fq->pending.head->t0, now_ns, to)) {
		snprintf(why, sizeof(why), "timed out after %" PRId64 " s", (int64_t)(to / MF_NS_PER_S));
		q_lost(fq, fq->pending.head, "ip_frag_incomplete", why);
	}
	while (fq->done.head && expired(fq->done.head->t0, now_ns, to))
		q_free(fq, fq->done.head);
}

void mf_ipfrag_finish(struct mf_ipfrag *fq)
{
	while (fq->pending.head)
		q_lost(fq, fq->pending.head, "ip_frag_incomplete", "still incomplete at end of input");
	while (fq->done.head)
		q_free(fq, fq->done.head);
}

static struct fq *lookup(struct mf_ipfrag *fq, const struct mf_frag_key *k, uint32_t h)
{
	struct fq *q;

	for (q = fq->tab[h & fq->mask]; q; q = q->hnext)
		if (q->hash == h && key_eq(&q->key, k))
			return q;
	return NULL;
}

/* A copy of a datagram we already reassembled? */
static int is_duplicate(const struct fq *q, const struct mf_frag *fr)
{
	uint32_t first;
	uint64_t end = (uint64_t)fr->off + fr->claimed;
	size_t len = fr->len < fr->claimed ? fr->len : fr->claimed;

	if (end > (uint64_t)q->total || (!fr->more && end != (uint64_t)q->total))
		return 0;
	return same_bytes(q, fr->off, fr->data, (uint32_t)len, &first);
}

static struct fq *q_new(struct mf_ipfrag *fq, const struct mf_frame *f,
                        const struct mf_frag *fr, uint32_t h, int *nomem)
{
	struct mf_ctx *ctx = fq->ctx;
	struct fq *q;
	char why[96];

	*nomem = 0;
	while (fq->pending.n && fq->pending.n >= ctx->lim.frag_queues_max) {
		snprintf(why, sizeof(why), "evicted: cap of %zu fragment queues reached",
		    ctx->lim.frag_queues_max);
		q_lost(fq, fq->pending.head, "ip_frag_dropped", why);
	}
	if (ctx->lim.frag_queues_max == 0 || make_room(fq, sizeof(*q), NULL) != 0) {
		ctx->st.frag_dropped++;
		mf_anomaly_frame(ctx, f, src_of(f), "ip", "ip_frag_dropped",
		    "fragment not reassembled: frag_queues_max %zu, frag_mem_max %zu bytes",
		    ctx->lim.frag_queues_max, ctx->lim.frag_mem_max);
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		*nomem = 1;
		return NULL;
	}
	q->key = fr->key;
	q->hash = h;
	q->t0 = f->ts_ns;
	q->ev = *f;
	q->ev.data = NULL;
	q->ev.caplen = 0;
	q->total = -1;
	q->hnext = fq->tab[h & fq->mask];
	fq->tab[h & fq->mask] = q;
	list_add(&fq->pending, q);
	account(fq, q);
	return q;
}

static void inconsistent(struct mf_ipfrag *fq, struct fq *q, const struct mf_frame *f,
                         const char *what, uint64_t a, uint64_t b)
{
	char desc[160];

	if (q->incons_noted)
		return;
	q->incons_noted = 1;
	describe(q, desc, sizeof(desc));
	mf_anomaly_frame(fq->ctx, f, src_of(f), "ip", "ip_frag_inconsistent",
	    "%s: %s (%" PRIu64 " vs %" PRIu64 "); fragment ignored", desc, what, a, b);
}

int mf_ipfrag_add(struct mf_ipfrag *fq, const struct mf_frame *f, const struct mf_frag *fr,
                  struct mf_frag_out *out)
{
	struct mf_ctx *ctx = fq->ctx;
	uint64_t end = (uint64_t)fr->off + fr->claimed;
	size_t len = fr->len < fr->claimed ? fr->len : fr->claimed;
	uint32_t h, first;
	struct fq *q;
	int nomem, rc;
	char desc[160];

	ctx->st.frags++;
	mf_ipfrag_expire(fq, f->ts_ns);
	h = key_hash(&fr->key);
	q = lookup(fq, &fr->key, h);

	if (end > MF_FRAG_MAX) {
		char s[46], d[46];

		mf_addr_str(fr->key.src, fr->key.addr_len, s);
		mf_addr_str(fr->key.dst, fr->key.addr_len, d);
		return mf_anomaly_frame(ctx, f, src_of(f), "ip", "ip_frag_oversize",
		    "%s -> %s id %" PRIu32 ": fragment at offset %" PRIu32 " of %zu bytes "
		    "ends past %u; ignored", s, d, fr->key.id, fr->off, fr->claimed,
		    MF_FRAG_MAX) == MF_ERR_NOMEM ? MF_ERR_NOMEM : 0;
	}
	if (q && q->done) {
		if (is_duplicate(q, fr))
			return 0;
		q_free(fq, q);   /* same id, other bytes: a new datagram */
		q = NULL;
	}
	if (!q && !(q = q_new(fq, f, fr, h, &nomem)))
		return nomem ? MF_ERR_NOMEM : 0;
	q->nfrags++;

	if (fr->more && fr->claimed % 8) {
		describe(q, desc, sizeof(desc));
		mf_anomaly_frame(ctx, f, src_of(f), "ip", "ip_frag_bad_length",
		    "%s: fragment at offset %" PRIu32 " has %zu bytes, not a multiple of 8",
		    desc, fr->off, fr->claimed);
	}
	/* Where the datagram ends: the first last-fragment decides. */
	if (!fr->more) {
		uint64_t reach = q->claim.n ? q->claim.v[q->claim.n - 1].e : 0;

		if (q->total >= 0 && (uint64_t)q->total != end) {
			inconsistent(fq, q, f, "last fragments disagree on the length",
			    (uint64_t)q->total, end);
			return 0;
		}
		if (reach > end) {
			inconsistent(fq, q, f, "last fragment ends before data already seen",
			    end, reach);
			return 0;
		}
		q->total = (int64_t)end;
	} else if (q->total >= 0 && end > (uint64_t)q->total) {
		inconsistent(fq, q, f, "fragment reaches past the datagram end", end,
		    (uint64_t)q->total);
		return 0;
	}

	if (len) {
		uint32_t s = fr->off, e = (uint32_t)(fr->off + len);
		uint8_t *nb;

		if (e > q->alloc) {
			uint32_t na = q->alloc * 2;

			if (na < BUF_MIN)
				na = BUF_MIN;
			if (na > MF_FRAG_MAX)
				na = MF_FRAG_MAX;
			if (na < e)
				na = e;
			if (make_room(fq, na - q->alloc, q) != 0) {
				q_lost(fq, q, "ip_frag_dropped",
				    "datagram alone exceeds the fragment memory cap");
				return 0;
			}
			nb = realloc(q->buf, na);
			if (!nb)
				return MF_ERR_NOMEM;
			q->buf = nb;
			q->alloc = na;
		}
		if (!same_bytes(q, s, fr->data, (uint32_t)len, &first) && !q->overlap_noted) {
			q->overlap_noted = 1;
			describe(q, desc, sizeof(desc));
			mf_anomaly_frame(ctx, f, src_of(f), "ip", "ip_frag_overlap",
			    "%s: fragment at offset %" PRIu32 " (%zu bytes) differs from an "
			    "earlier one from byte %" PRIu32 "; the first copy is kept",
			    desc, fr->off, len, first);
		}
		copy_gaps(q, s, fr->data, (uint32_t)len);
		rc = ivs_add(&q->have, s, e);
		if (rc == 0)
			rc = ivs_add(&q->claim, s, (uint32_t)end);
	} else {
		rc = ivs_add(&q->claim, fr->off, (uint32_t)end);
	}
	account(fq, q);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc != 0) {
		q_lost(fq, q, "ip_frag_dropped", "too many separate pieces");
		return 0;
	}

	if (q->total < 0 || q->claim.n != 1 || q->claim.v[0].s != 0 ||
	    q->claim.v[0].e != (uint64_t)q->total)
		return 0;

	/* Complete. */
	ctx->st.frag_reassembled++;
	out->data = q->buf;
	out->len = q->have.n && q->have.v[0].s == 0 ? q->have.v[0].e : 0;
	out->claimed = (size_t)q->total;
	list_del(&fq->pending, q);
	q->done = 1;
	q->t0 = f->ts_ns;
	list_add(&fq->done, q);
	if (fq->done.n > DONE_MAX)
		q_free(fq, fq->done.head);
	return 1;
}
