/*
 * mf_keylog.c - TLS key log store; see mf_keylog.h.
 * Lines: `LABEL <64 hex client_random> <hex secret>`, '#' comments, CRLF
 * accepted, the last duplicate wins (tls-keylog.md section 1).
 */
#include "mf_keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_file.h"

#define KL_FILE_MAX (256u << 20)
#define KL_SECRET_MAX 64

struct kl_ent {
	uint8_t random[32];
	uint8_t secret[KL_SECRET_MAX];
	uint8_t len;
	uint8_t label;
	uint16_t origin;      /* index into origins */
	int32_t next;         /* hash chain */
};

struct mf_keylog {
	struct kl_ent *v;
	size_t n, alloc;
	int32_t *bucket;
	size_t nbucket;
	char **origins;
	size_t norigins;
};

static const struct {
	const char *name;
	int label;
} labels[] = {
	{ "CLIENT_RANDOM", MF_KL_CLIENT_RANDOM },
	{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", MF_KL_CLIENT_HS_TRAFFIC },
	{ "SERVER_HANDSHAKE_TRAFFIC_SECRET", MF_KL_SERVER_HS_TRAFFIC },
	{ "CLIENT_TRAFFIC_SECRET_0", MF_KL_CLIENT_TRAFFIC_0 },
	{ "SERVER_TRAFFIC_SECRET_0", MF_KL_SERVER_TRAFFIC_0 },
	{ "EXPORTER_SECRET", MF_KL_EXPORTER },
	{ "CLIENT_EARLY_TRAFFIC_SECRET", MF_KL_EARLY_TRAFFIC },
};

struct mf_keylog *mf_keylog_new(void)
{
	struct mf_keylog *kl = calloc(1, sizeof(*kl));

	if (!kl)
		return NULL;
	kl->nbucket = 1024;
	kl->bucket = malloc(kl->nbucket * sizeof(*kl->bucket));
	if (!kl->bucket) {
		free(kl);
		return NULL;
	}
	memset(kl->bucket, 0xff, kl->nbucket * sizeof(*kl->bucket));
	return kl;
}

void mf_keylog_free(struct mf_keylog *kl)
{
	size_t i;

	if (!kl)
		return;
	for (i = 0; i < kl->norigins; i++)
		free(kl->origins[i]);
	free(kl->origins);
	free(kl->v);
	free(kl->bucket);
	free(kl);
}

static size_t hash(const struct mf_keylog *kl, int label, const uint8_t r[32])
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)label;
	int i;

	for (i = 0; i < 32; i++)
		h = (h ^ r[i]) * 1099511628211ULL;
	return (size_t)h & (kl->nbucket - 1);
}

static int rehash(struct mf_keylog *kl)
{
	size_t nb = kl->nbucket * 2, i;
	int32_t *b = malloc(nb * sizeof(*b));

	if (!b)
		return MF_ERR_NOMEM;
	memset(b, 0xff, nb * sizeof(*b));
	free(kl->bucket);
	kl->bucket = b;
	kl->nbucket = nb;
	for (i = 0; i < kl->n; i++) {
		size_t h = hash(kl, kl->v[i].label, kl->v[i].random);

		kl->v[i].next = kl->bucket[h];
		kl->bucket[h] = (int32_t)i;
	}
	return 0;
}

static struct kl_ent *lookup(const struct mf_keylog *kl, int label, const uint8_t r[32])
{
	int32_t i;

	for (i = kl->bucket[hash(kl, label, r)]; i >= 0; i = kl->v[i].next)
		if (kl->v[i].label == label && memcmp(kl->v[i].random, r, 32) == 0)
			return &kl->v[i];
	return NULL;
}

static int add(struct mf_keylog *kl, int label, const uint8_t r[32], const uint8_t *sec,
               size_t len, uint16_t origin)
{
	struct kl_ent *e = lookup(kl, label, r);
	size_t h;

	if (!e) {
		if (kl->n >= 0x7fffffff)
			return MF_ERR_LIMIT;
		if (kl->n == kl->alloc) {
			size_t na = kl->alloc ? kl->alloc * 2 : 64;
			struct kl_ent *nv = realloc(kl->v, na * sizeof(*nv));

			if (!nv)
				return MF_ERR_NOMEM;
			kl->v = nv;
			kl->alloc = na;
		}
		e = &kl->v[kl->n];
		memset(e, 0, sizeof(*e));
		memcpy(e->random, r, 32);
		e->label = (uint8_t)label;
		h = hash(kl, label, r);
		e->next = kl->bucket[h];
		kl->bucket[h] = (int32_t)kl->n;
		kl->n++;
		if (kl->n * 2 > kl->nbucket && rehash(kl) != 0)
			return MF_ERR_NOMEM;
		e = lookup(kl, label, r);
	}
	memcpy(e->secret, sec, len);     /* duplicates: the last one wins */
	e->len = (uint8_t)len;
	e->origin = origin;
	return 0;
}

static const char *next_field(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *start;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	start = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*n = (size_t)(s - start);
	*p = s;
	return *n ? start : NULL;
}

int mf_keylog_add_mem(struct mf_keylog *kl, const char *buf, size_t len, const char *origin,
                      unsigned *bad)
{
	size_t i = 0, k;
	int added = 0;
	uint16_t oi;
	char **no;

	if (kl->norigins >= 65535)
		return MF_ERR_LIMIT;
	no = realloc(kl->origins, (kl->norigins + 1) * sizeof(*no));
	if (!no)
		return MF_ERR_NOMEM;
	kl->origins = no;
	kl->origins[kl->norigins] = strdup(origin ? origin : "");
	if (!kl->origins[kl->norigins])
		return MF_ERR_NOMEM;
	oi = (uint16_t)kl->norigins++;
	while (i < len) {
		const char *ls = buf + i, *le, *p, *f1, *f2, *f3;
		size_t n1, n2, n3, dummy;
		uint8_t r[32], sec[KL_SECRET_MAX];
		int label = 0;

		while (i < len && buf[i] != '\n')
			i++;
		le = buf + i;
		i++;
		if (le > ls && le[-1] == '\r')
			le--;
		p = ls;
		f1 = next_field(&p, le, &n1);
		if (!f1 || *f1 == '#')
			continue;
		f2 = next_field(&p, le, &n2);
		f3 = next_field(&p, le, &n3);
		for (k = 0; k < sizeof(labels) / sizeof(labels[0]); k++)
			if (strlen(labels[k].name) == n1 && memcmp(labels[k].name, f1, n1) == 0)
				label = labels[k].label;
		if (label == 0) {
			/* a well-formed line with a label we do not use (RSA,
			 * PMS_CLIENT_RANDOM, EARLY_EXPORTER_SECRET, the
			 * *_TRAFFIC_SECRET_N that OpenSSL writes after a KeyUpdate -
			 * later generations are derived from _0): skipped, not bad */
			int upper = 1;
			size_t q;

			for (q = 0; q < n1; q++)
				if (!((f1[q] >= 'A' && f1[q] <= 'Z') || (f1[q] >= '0' && f1[q] <= '9') ||
				    f1[q] == '_'))
					upper = 0;
			if (!upper || !f2 || !f3 || !mf_is_hex(f2, n2) || !mf_is_hex(f3, n3)) {
				if (bad)
					(*bad)++;
			}
			continue;
		}
		if (!f2 || !f3 || next_field(&p, le, &dummy) || n2 != 64 || n3 % 2 ||
		    n3 / 2 > KL_SECRET_MAX || n3 == 0 ||
		    mf_hex_decode(f2, 64, r, 32) != 0 || mf_hex_decode(f3, n3, sec, n3 / 2) != 0 ||
		    (label == MF_KL_CLIENT_RANDOM && n3 != 96)) {
			if (bad)
				(*bad)++;
			continue;
		}
		if (add(kl, label, r, sec, n3 / 2, oi) != 0)
			return MF_ERR_NOMEM;
		added++;
	}
	return added;
}

int mf_keylog_load_file(struct mf_keylog *kl, const char *path, unsigned *bad, char *errbuf)
{
	char *buf;
	size_t len;
	int rc = mf_read_small_file(path, KL_FILE_MAX, &buf, &len, errbuf);

	if (rc == MF_ERR_LIMIT)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not a key log (size)", path);
	if (rc)
		return rc;
	rc = mf_keylog_add_mem(kl, buf, len, mf_basename(path), bad);
	free(buf);
	if (rc == 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: no TLS secret in it", path);
	return rc;
}

const uint8_t *mf_keylog_find(const struct mf_keylog *kl, int label,
                              const uint8_t client_random[32], size_t *len,
                              const char **origin)
{
	const struct kl_ent *e;

	if (!kl)
		return NULL;
	e = lookup(kl, label, client_random);
	if (!e)
		return NULL;
	if (len)
		*len = e->len;
	if (origin)
		*origin = kl->origins[e->origin];
	return e->secret;
}

size_t mf_keylog_count(const struct mf_keylog *kl)
{
	return kl ? kl->n : 0;
}
