/* mf_correlate.c - per-device offset estimation and matching; see .h. */
#include "mf_correlate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"
#include "mf_store.h"
#include "mf_time.h"

#define MAX_SHIFT_NS (14LL * 3600 * MF_NS_PER_S)

struct item {
	size_t idx;     /* store index */
	uint32_t did, event;
	int64_t ts;
	uint8_t src;
	uint8_t used;
	uint16_t input;
};

static int by_did_event_ts(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->did != y->did)
		return x->did < y->did ? -1 : 1;
	if (x->event != y->event)
		return x->event < y->event ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : (x > y);
}

/* First index in t[0..n) with ts >= v (t sorted by ts). */
static size_t lower(const struct item *t, size_t n, int64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].ts < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A device's events split per (event name) into phone and other lists. */
struct run {
	struct item *p, *t;   /* sorted by ts, same event name */
	size_t np, nt;
};

/* Phone events used to seek the offset: every stride-th of each run.  The
 * search costs (phone events)^2 x (traffic events): a log of thousands of
 * events must not take hours; ~32 spread over the log find the same mode. */
#define SEEK_PHONE_MAX 32

static size_t count_matches(const struct run *runs, size_t nr, int64_t d, int64_t tol,
                            size_t stride)
{
	size_t r, i, c = 0;

	for (r = 0; r < nr; r++)
		for (i = 0; i < runs[r].np; i += stride) {
			int64_t want = runs[r].p[i].ts + d;
			size_t k = lower(runs[r].t, runs[r].nt, want - tol);

			if (k < runs[r].nt && runs[r].t[k].ts <= want + tol)
				c++;
		}
	return c;
}

/* What one pairing of the phone with another source found. */
struct pairing {
	uint64_t matched;
	int has_offset;
	double offset_s, spread_s;
};

static int correlate_device(struct mf_store *st, struct run *runs, size_t nr,
                            struct pairing *dv, struct mf_corr *c, int64_t tol)
{
	size_t r, i, j, best_n = 0, nd = 0, cap = 0, np = 0, stride;
	int64_t best = 0, *deltas = NULL;
	int have = 0;

	for (r = 0; r < nr; r++)
		np += runs[r].np;
	stride = np > SEEK_PHONE_MAX ? (np + SEEK_PHONE_MAX - 1) / SEEK_PHONE_MAX : 1;
	/* mode seeking: every candidate difference, keep the best count */
	for (r = 0; r < nr; r++)
		for (i = 0; i < runs[r].np; i += stride)
			for (j = lower(runs[r].t, runs[r].nt, runs[r].p[i].ts - MAX_SHIFT_NS);
			    j < runs[r].nt; j++) {
				int64_t d = runs[r].t[j].ts - runs[r].p[i].ts;
				size_t n;

				if (d > MAX_SHIFT_NS)
					break;
				n = count_matches(runs, nr, d, tol, stride);
				if (n > best_n || (n == best_n && have && llabs(d) < llabs(best))) {
					best_n = n;
					best = d;
					have = 1;
				}
			}
	if (!have || best_n == 0)
		return 0;
	/* one-to-one matching around the estimate, nearest first */
	for (r = 0; r < nr; r++) {
		for (i = 0; i < runs[r].np; i++) {
			struct item *pi = &runs[r].p[i];
			int64_t want = pi->ts + best;
			size_t k = lower(runs[r].t, runs[r].nt, want - tol), pick = (size_t)-1;
			int64_t pick_d = INT64_MAX;

			for (; k < runs[r].nt && runs[r].t[k].ts <= want + tol; k++) {
				int64_t dd = llabs(runs[r].t[k].ts - want);

				if (!runs[r].t[k].used && dd < pick_d) {
					pick = k;
					pick_d = dd;
				}
			}
			if (pick == (size_t)-1)
				continue;
			runs[r].t[pick].used = 1;
			pi->used = 1;
			if (nd == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				int64_t *nd2 = realloc(deltas, ncap * sizeof(*nd2));

				if (!nd2) {
					free(deltas);
					return MF_ERR_NOMEM;
				}
				deltas = nd2;
				cap = ncap;
			}
			deltas[nd++] = runs[r].t[pick].ts - pi->ts;
			{
				struct mf_ent *ep = mf_store_ent(st, pi->idx);
				struct mf_ent *et = mf_store_ent(st, runs[r].t[pick].idx);
				int64_t dms = (runs[r].t[pick].ts - pi->ts) / 1000000;

				/* a phone event matched in traffic and in the cloud is one
				 * group across the three sources */
				if (!ep->group) {
					c->groups++;
					ep->group = c->groups;
					ep->delta_ms = (int32_t)(dms > INT32_MAX ? INT32_MAX
					    : dms < INT32_MIN ? INT32_MIN : dms);
				}
				et->group = ep->group;
				et->delta_ms = (int32_t)(dms > INT32_MAX ? INT32_MAX
				    : dms < INT32_MIN ? INT32_MIN : dms);
				ep->matched_src |= (uint8_t)(1u << et->src);
				et->matched_src |= (uint8_t)(1u << ep->src);
			}
			dv->matched++;
		}
	}
	if (nd) {
		int64_t med;
		double spread = 0;

		qsort(deltas, nd, sizeof(*deltas), cmp_i64);
		med = nd % 2 ? deltas[nd / 2] : deltas[nd / 2 - 1] / 2 + deltas[nd / 2] / 2;
		for (i = 0; i < nd; i++) {
			double s = fabs((double)(deltas[i] - med) / 1e9);

			if (s > spread)
				spread = s;
		}
		dv->has_offset = 1;
		dv->offset_s = (double)med / 1e9;
		dv->spread_s = spread;
	}
	free(deltas);
	return 0;
}

int mf_correlate(struct mf_store *st, double tolerance_s, struct mf_corr *out)
{
	size_t n = mf_store_count(st), i, ni = 0, a, b;
	uint32_t k_ev = mf_store_intern(st, "device_event");
	uint32_t k_log = mf_store_intern(st, "device-log");
	struct item *items;
	int64_t tol = (int64_t)(tolerance_s * 1e9);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->capture_first = out->capture_last = MF_TIME_NONE;
	out->tolerance_s = tolerance_s;
	items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return MF_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		struct mf_ent *e = mf_store_ent(st, i);

		if ((e->src == MF_SRC_PCAP || e->src == MF_SRC_LIVE) && e->ts_ns != MF_TIME_NONE) {
			if (out->capture_first == MF_TIME_NONE || e->ts_ns < out->capture_first)
				out->capture_first = e->ts_ns;
			if (out->capture_last == MF_TIME_NONE || e->ts_ns > out->capture_last)
				out->capture_last = e->ts_ns;
		}
		if (e->kind != k_ev || !e->did || !e->event || e->ts_ns == MF_TIME_NONE)
			continue;
		/* the phone side is the sensors' own logs; a gateway's alarm log
		 * repeats some of them and must not take their partners */
		if (e->src == MF_SRC_PHONE && e->artifact != k_log)
			continue;
		items[ni].idx = i;
		items[ni].did = e->did;
		items[ni].event = e->event;
		items[ni].ts = e->ts_ns;
		items[ni].src = e->src;
		items[ni].input = e->input;
		ni++;
	}
	qsort(items, ni, sizeof(*items), by_did_event_ts);
	/* one device at a time */
	for (a = 0; a < ni && rc == 0; a = b) {
		struct mf_corr_dev dv;
		struct run runs[64];
		size_t nr = 0, e0, e1, k;
		struct item *ph, *tr, *cl;
		size_t nph = 0, ntr = 0, ncl = 0;
		struct run cruns[64];
		size_t ncr = 0;
		struct pairing pt, pc;
		size_t *rep = NULL, nrep = 0;     /* pairs: repeat, its first */

		for (b = a; b < ni && items[b].did == items[a].did; b++)
			;
		memset(&dv, 0, sizeof(dv));
		dv.did = items[a].did;
		ph = malloc((b - a) * sizeof(*ph));
		tr = malloc((b - a) * sizeof(*tr));
		cl = malloc((b - a) * sizeof(*cl));
		rep = malloc((b - a) * 2 * sizeof(*rep));
		if (!ph || !tr || !cl || !rep) {
			free(ph);
			free(tr);
			free(cl);
			free(rep);
			rc = MF_ERR_NOMEM;
			break;
		}
		memset(&pt, 0, sizeof(pt));
		memset(&pc, 0, sizeof(pc));
		/* per event name: phone list and traffic list (both ts-sorted) */
		for (e0 = a; e0 < b; e0 = e1) {
			size_t p0 = nph, t0 = ntr, c0 = ncl;

			for (e1 = e0; e1 < b && items[e1].event == items[e0].event; e1++) {
				if (items[e1].src == MF_SRC_PHONE) {
					size_t q;
					int same = 0;

					/* the same record (time, name) from another input:
					 * one event seen twice, not two */
					for (q = nph; q > p0 && ph[q - 1].ts == items[e1].ts; q--)
						if (ph[q - 1].input != items[e1].input) {
							same = 1;
							break;
						}
					if (same) {
						rep[2 * nrep] = items[e1].idx;
						rep[2 * nrep + 1] = ph[q - 1].idx;
						nrep++;
						dv.phone_repeated++;
						continue;
					}
					ph[nph++] = items[e1];
					dv.phone++;
				} else if (items[e1].src == MF_SRC_CLOUD) {
					cl[ncl++] = items[e1];
					dv.cloud++;
				} else {
					tr[ntr++] = items[e1];
					dv.traffic++;
				}
			}
			if (nph > p0 && ntr > t0 && nr < 64) {
				runs[nr].p = ph + p0;
				runs[nr].np = nph - p0;
				runs[nr].t = tr + t0;
				runs[nr].nt = ntr - t0;
				nr++;
			}
			if (nph > p0 && ncl > c0 && ncr < 64) {
				cruns[ncr].p = ph + p0;
				cruns[ncr].np = nph - p0;
				cruns[ncr].t = cl + c0;
				cruns[ncr].nt = ncl - c0;
				ncr++;
			}
		}
		if (nr)
			rc = correlate_device(st, runs, nr, &pt, out, tol);
		dv.matched = pt.matched;
		dv.has_offset = pt.has_offset;
		dv.offset_s = pt.offset_s;
		dv.spread_s = pt.spread_s;
		dv.only_phone = dv.phone - dv.matched;
		dv.only_traffic = dv.traffic - dv.matched;
		/* a missing counterpart only means something for an event name the
		 * capture carries for this device */
		for (k = 0; k < nph; k++) {
			int64_t t = ph[k].ts + (dv.has_offset ? (int64_t)(dv.offset_s * 1e9) : 0);
			size_t r2;
			int carried = 0;

			for (r2 = 0; r2 < nr; r2++)
				if (runs[r2].p[0].event == ph[k].event)
					carried = 1;
			if (!ph[k].used && carried && out->capture_first != MF_TIME_NONE &&
			    t >= out->capture_first && t <= out->capture_last)
				dv.only_phone_in_capture++;
		}
		/* then the cloud's history against the same phone log */
		if (rc == 0 && ncr) {
			for (k = 0; k < nph; k++)
				ph[k].used = 0;
			rc = correlate_device(st, cruns, ncr, &pc, out, tol);
			dv.cloud_matched = pc.matched;
			dv.has_cloud_offset = pc.has_offset;
			dv.cloud_offset_s = pc.offset_s;
		}
		/* a repeat shares its first's correlation */
		for (k = 0; k < nrep; k++) {
			struct mf_ent *er = mf_store_ent(st, rep[2 * k]);
			const struct mf_ent *ef = mf_store_ent(st, rep[2 * k + 1]);

			er->group = ef->group;
			er->delta_ms = ef->delta_ms;
			er->matched_src = ef->matched_src;
		}
		free(ph);
		free(tr);
		free(cl);
		free(rep);
		if (dv.phone || dv.traffic || dv.cloud) {
			struct mf_corr_dev *nv = realloc(out->dev, (out->ndev + 1) * sizeof(*nv));

			if (!nv) {
				rc = MF_ERR_NOMEM;
				break;
			}
			out->dev = nv;
			out->dev[out->ndev++] = dv;
		}
	}
	free(items);
	/* every member of a group lists every source of the group */
	if (rc == 0 && out->groups) {
		uint8_t *mask = calloc(out->groups + 1, 1);

		if (!mask)
			return MF_ERR_NOMEM;
		for (i = 0; i < n; i++) {
			const struct mf_ent *e = mf_store_ent(st, i);

			if (e->group)
				mask[e->group] |= (uint8_t)(e->matched_src | (1u << e->src));
		}
		for (i = 0; i < n; i++) {
			struct mf_ent *e = mf_store_ent(st, i);

			if (e->group)
				e->matched_src = mask[e->group];
		}
		free(mask);
	}
	return rc;
}

void mf_corr_free(struct mf_corr *c)
{
	free(c->dev);
	c->dev = NULL;
	c->ndev = 0;
}

static double ms3(double s)
{
	return round(s * 1000.0) / 1000.0;
}

cJSON *mf_corr_json(const struct mf_corr *c, const struct mf_store *st)
{
	cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	size_t i;

	cJSON_AddNumberToObject(o, "tolerance_s", c->tolerance_s);
	cJSON_AddNumberToObject(o, "groups", c->groups);
	for (i = 0; i < c->ndev; i++) {
		const struct mf_corr_dev *d = &c->dev[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "did", mf_store_str(st, d->did));
		cJSON_AddNumberToObject(x, "phone", (double)d->phone);
		if (d->phone_repeated)
			cJSON_AddNumberToObject(x, "phone_repeated", (double)d->phone_repeated);
		cJSON_AddNumberToObject(x, "traffic", (double)d->traffic);
		cJSON_AddNumberToObject(x, "cloud", (double)d->cloud);
		cJSON_AddNumberToObject(x, "matched", (double)d->matched);
		cJSON_AddNumberToObject(x, "only_traffic", (double)d->only_traffic);
		cJSON_AddNumberToObject(x, "only_phone", (double)d->only_phone);
		cJSON_AddNumberToObject(x, "only_phone_in_capture", (double)d->only_phone_in_capture);
		if (d->has_offset) {
			cJSON_AddNumberToObject(x, "offset_s", ms3(d->offset_s));
			cJSON_AddNumberToObject(x, "spread_s", ms3(d->spread_s));
		}
		if (d->cloud) {
			cJSON_AddNumberToObject(x, "cloud_matched", (double)d->cloud_matched);
			if (d->has_cloud_offset)
				cJSON_AddNumberToObject(x, "cloud_offset_s", ms3(d->cloud_offset_s));
		}
		cJSON_AddItemToArray(arr, x);
	}
	cJSON_AddItemToObject(o, "devices", arr);
	return o;
}

cJSON *mf_corr_event_json(const struct mf_store *st, size_t i)
{
	static const char *names[] = { "pcap", "live", "cloud", "phone", "other" };
	const struct mf_ent *e = mf_store_ent((struct mf_store *)st, i);
	cJSON *o, *src;
	char g[24];
	unsigned mask, k;

	if (!e || !e->group)
		return NULL;
	o = cJSON_CreateObject();
	snprintf(g, sizeof(g), "c%u", e->group);
	cJSON_AddStringToObject(o, "group", g);
	src = cJSON_CreateArray();
	mask = e->matched_src | (1u << e->src);
	for (k = 0; k < 5; k++)
		if (mask & (1u << k))
			cJSON_AddItemToArray(src, cJSON_CreateString(names[k]));
	cJSON_AddItemToObject(o, "sources", src);
	cJSON_AddNumberToObject(o, "delta_s", e->delta_ms / 1000.0);
	return o;
}
