/*
 * mf_rc4.c - RC4 keystream (see mf_rc4.h).  The textbook algorithm:
 * key-scheduling (KSA) then the pseudo-random generation (PRGA).
 */
#include "mf_rc4.h"

void mf_rc4_init(struct mf_rc4 *r, const uint8_t *key, size_t keylen)
{
	static const uint8_t zero = 0;
	unsigned i, j = 0;

	if (!key || keylen == 0) {
		key = &zero;
		keylen = 1;
	}
	if (keylen > 256)
		keylen = 256;
	for (i = 0; i < 256; i++)
		r->s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		uint8_t t = r->s[i];

		j = (j + t + key[i % keylen]) & 0xff;
		r->s[i] = r->s[j];
		r->s[j] = t;
	}
	r->i = 0;
	r->j = 0;
}

static inline uint8_t next_byte(struct mf_rc4 *r)
{
	uint8_t ti, tj;

	r->i = (uint8_t)(r->i + 1);
	ti = r->s[r->i];
	r->j = (uint8_t)(r->j + ti);
	tj = r->s[r->j];
	r->s[r->i] = tj;
	r->s[r->j] = ti;
	return r->s[(uint8_t)(ti + tj)];
}

void mf_rc4_skip(struct mf_rc4 *r, size_t n)
{
	while (n--)
		(void)next_byte(r);
}

void mf_rc4_xor(struct mf_rc4 *r, const uint8_t *in, uint8_t *out, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		out[k] = in[k] ^ next_byte(r);
}

void mf_rc4_init_drop1024(struct mf_rc4 *r, const uint8_t *key, size_t keylen)
{
	mf_rc4_init(r, key, keylen);
	mf_rc4_skip(r, 1024);
}
