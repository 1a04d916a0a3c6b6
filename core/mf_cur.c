/* mf_cur.c - bounded byte cursor; see mf_cur.h. */
#include "mf_cur.h"

#include <string.h>

#include "mf_err.h"

const uint8_t *mf_cur_bytes(struct mf_cur *c, size_t n)
{
	const uint8_t *p;

	if (!mf_cur_has(c, n)) {
		c->flags |= MF_CUR_TRUNC;
		c->pos = c->end;
		return NULL;
	}
	p = c->pos;
	if (n)
		c->pos += n;    /* pos may be NULL for an empty buffer: no NULL + 0 */
	return p;
}

int mf_cur_skip(struct mf_cur *c, size_t n)
{
	return mf_cur_bytes(c, n) ? 0 : (n == 0 ? 0 : MF_ERR_TRUNC);
}

int mf_cur_copy(struct mf_cur *c, void *dst, size_t n)
{
	const uint8_t *p = mf_cur_bytes(c, n);

	if (!p) {
		if (n)
			memset(dst, 0, n);
		return n ? MF_ERR_TRUNC : 0;
	}
	if (n)
		memcpy(dst, p, n);
	return 0;
}

uint8_t mf_cur_u8(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 1);
	return p ? p[0] : 0;
}

uint16_t mf_cur_be16(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 2);
	return p ? mf_be16(p) : 0;
}

uint32_t mf_cur_be24(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 3);
	return p ? ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2] : 0;
}

uint32_t mf_cur_be32(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 4);
	return p ? mf_be32(p) : 0;
}

uint64_t mf_cur_be64(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 8);
	return p ? ((uint64_t)mf_be32(p) << 32) | mf_be32(p + 4) : 0;
}

uint16_t mf_cur_le16(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 2);
	return p ? mf_le16(p) : 0;
}

uint32_t mf_cur_le32(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 4);
	return p ? mf_le32(p) : 0;
}

uint64_t mf_cur_le64(struct mf_cur *c)
{
	const uint8_t *p = mf_cur_bytes(c, 8);
	return p ? ((uint64_t)mf_le32(p + 4) << 32) | mf_le32(p) : 0;
}

struct mf_cur mf_cur_sub(struct mf_cur *c, size_t n, int *short_out)
{
	struct mf_cur sub;
	size_t left = mf_cur_left(c);

	if (short_out)
		*short_out = n > left;
	if (n > left)
		n = left;
	sub.pos = c->pos;
	sub.end = c->pos + n;
	sub.flags = 0;
	c->pos += n;
	return sub;
}

int mf_cur_peek(const struct mf_cur *c, size_t off, void *dst, size_t n)
{
	size_t left = mf_cur_left(c);

	if (off > left || n > left - off)
		return 0;
	memcpy(dst, c->pos + off, n);
	return 1;
}
