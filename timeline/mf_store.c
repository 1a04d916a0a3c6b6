/* mf_store.c - spilled event list; see mf_store.h. */
#include "mf_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mf_buf.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_time.h"

#define STR_HASH 4096   /* initial buckets, power of two */

struct mf_store {
	FILE *spill;
	uint64_t end;
	struct mf_ent *v;
	size_t n, alloc;
	struct mf_buf line;
	uint16_t input;
	/* interned strings: open addressing over ids */
	char **strs;
	size_t nstr, astr;
	uint32_t *hash;
	size_t hcap;
	char *readbuf;
	size_t readcap;
};

struct mf_store *mf_store_new(void)
{
	struct mf_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->spill = tmpfile();    /* unlinked: nothing is left behind */
	s->hcap = STR_HASH;
	s->hash = calloc(s->hcap, sizeof(*s->hash));
	if (!s->spill || !s->hash) {
		if (s->spill)
			fclose(s->spill);
		free(s->hash);
		free(s);
		return NULL;
	}
	mf_buf_init(&s->line, 64u << 20);
	s->nstr = 1;             /* id 0 = none */
	return s;
}

void mf_store_free(struct mf_store *s)
{
	size_t i;

	if (!s)
		return;
	fclose(s->spill);
	free(s->v);
	for (i = 1; i < s->nstr; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->hash);
	free(s->readbuf);
	mf_buf_free(&s->line);
	free(s);
}

static uint32_t fnv(const char *p)
{
	uint32_t h = 2166136261u;

	while (*p)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

static int rehash(struct mf_store *s)
{
	size_t nc = s->hcap * 2, i;
	uint32_t *nh = calloc(nc, sizeof(*nh));

	if (!nh)
		return MF_ERR_NOMEM;
	for (i = 1; i < s->nstr; i++) {
		size_t k = fnv(s->strs[i]) & (nc - 1);

		while (nh[k])
			k = (k + 1) & (nc - 1);
		nh[k] = (uint32_t)i;
	}
	free(s->hash);
	s->hash = nh;
	s->hcap = nc;
	return 0;
}

uint32_t mf_store_intern(struct mf_store *s, const char *str)
{
	size_t k;

	if (!str || !*str)
		return 0;
	k = fnv(str) & (s->hcap - 1);
	while (s->hash[k]) {
		if (strcmp(s->strs[s->hash[k]], str) == 0)
			return s->hash[k];
		k = (k + 1) & (s->hcap - 1);
	}
	if (s->nstr + 1 > s->astr) {
		size_t na = s->astr ? s->astr * 2 : 256;
		char **ns = realloc(s->strs, na * sizeof(*ns));

		if (!ns)
			return 0;
		s->strs = ns;
		s->astr = na;
	}
	s->strs[s->nstr] = strdup(str);
	if (!s->strs[s->nstr])
		return 0;
	s->hash[k] = (uint32_t)s->nstr;
	s->nstr++;
	if (s->nstr * 2 > s->hcap && rehash(s) != 0)
		return 0;
	return (uint32_t)(s->nstr - 1);
}

const char *mf_store_str(const struct mf_store *s, uint32_t id)
{
	return id && id < s->nstr ? s->strs[id] : NULL;
}

static uint8_t rank(const char *src)
{
	if (!src)
		return MF_SRC_OTHER;
	if (!strcmp(src, "pcap"))
		return MF_SRC_PCAP;
	if (!strcmp(src, "live"))
		return MF_SRC_LIVE;
	if (!strcmp(src, "cloud"))
		return MF_SRC_CLOUD;
	if (!strcmp(src, "phone"))
		return MF_SRC_PHONE;
	return MF_SRC_OTHER;
}

int mf_store_add(struct mf_store *s, struct mf_event *ev)
{
	struct mf_ent *e;
	const cJSON *did, *name;
	int rc;

	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 1024;
		struct mf_ent *nv = realloc(s->v, na * sizeof(*nv));

		if (!nv) {
			mf_event_free(ev);
			return MF_ERR_NOMEM;
		}
		s->v = nv;
		s->alloc = na;
	}
	mf_buf_reset(&s->line);
	rc = mf_event_to_json(ev, &s->line);
	if (rc == 0)
		rc = mf_buf_addc(&s->line, '\n');
	if (rc == 0 && fwrite(s->line.data, 1, s->line.len, s->spill) != s->line.len)
		rc = MF_ERR_IO;
	if (rc) {
		mf_event_free(ev);
		return rc;
	}
	e = &s->v[s->n++];
	memset(e, 0, sizeof(*e));
	e->ts_ns = ev->ts_ns;
	e->off = s->end;
	e->len = (uint32_t)s->line.len;
	e->src = rank(ev->source);
	e->input = s->input;
	e->kind = mf_store_intern(s, ev->kind);
	e->artifact = mf_store_intern(s, ev->artifact);
	did = cJSON_GetObjectItemCaseSensitive(ev->body, "did");
	name = cJSON_GetObjectItemCaseSensitive(ev->body, "event");
	if (cJSON_IsString(did))
		e->did = mf_store_intern(s, did->valuestring);
	if (cJSON_IsString(name))
		e->event = mf_store_intern(s, name->valuestring);
	s->end += s->line.len;
	mf_event_free(ev);
	return 0;
}

void mf_store_set_input(struct mf_store *s, unsigned input)
{
	s->input = (uint16_t)(input > 0xffff ? 0xffff : input);
}

int mf_store_emit(void *arg, struct mf_event *ev)
{
	return mf_store_add(arg, ev);
}

static int cmp(const void *a, const void *b)
{
	const struct mf_ent *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns ? -1 : 1;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->off < y->off ? -1 : (x->off > y->off);
}

void mf_store_sort(struct mf_store *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp);
}

size_t mf_store_count(const struct mf_store *s)
{
	return s->n;
}

struct mf_ent *mf_store_ent(struct mf_store *s, size_t i)
{
	return i < s->n ? &s->v[i] : NULL;
}

cJSON *mf_store_load(struct mf_store *s, size_t i)
{
	const struct mf_ent *e;

	if (i >= s->n)
		return NULL;
	e = &s->v[i];
	if (e->len + 1 > s->readcap) {
		char *nb = realloc(s->readbuf, e->len + 1);

		if (!nb)
			return NULL;
		s->readbuf = nb;
		s->readcap = e->len + 1;
	}
	fflush(s->spill);
	if (pread(fileno(s->spill), s->readbuf, e->len, (off_t)e->off) != (ssize_t)e->len)
		return NULL;
	s->readbuf[e->len] = '\0';
	return cJSON_ParseWithLength(s->readbuf, e->len);
}
