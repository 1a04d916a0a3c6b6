/*
 * mf_cur.h - the bounded byte cursor through which every parser reads
 * untrusted bytes (tcpdump GET_BE_U_2 / libpcap block_cursor style).
 *
 * A read past the end returns 0 / NULL and sets the sticky MF_CUR_TRUNC flag,
 * so a parser reads a whole structure and checks mf_cur_ok() once.
 * Lengths are compared by subtraction, never by pointer arithmetic past end.
 */
#ifndef MF_CUR_H
#define MF_CUR_H

#include <stddef.h>
#include <stdint.h>

#define MF_CUR_TRUNC 0x1u

struct mf_cur {
	const uint8_t *pos;
	const uint8_t *end;
	unsigned flags;
};

static inline void mf_cur_init(struct mf_cur *c, const void *buf, size_t len)
{
	c->pos = (const uint8_t *)buf;
	c->end = buf ? c->pos + len : c->pos;   /* no arithmetic on NULL (UB) */
	c->flags = 0;
}

static inline size_t mf_cur_left(const struct mf_cur *c)
{
	return (size_t)(c->end - c->pos);
}

static inline int mf_cur_ok(const struct mf_cur *c)
{
	return (c->flags & MF_CUR_TRUNC) == 0;
}

static inline int mf_cur_has(const struct mf_cur *c, size_t n)
{
	return n <= mf_cur_left(c);
}

/* Consumes n bytes and returns a pointer to them, or NULL (and TRUNC) when
 * fewer than n remain; on failure the cursor moves to the end. */
const uint8_t *mf_cur_bytes(struct mf_cur *c, size_t n);
int mf_cur_skip(struct mf_cur *c, size_t n);     /* 0 or MF_ERR_TRUNC */
int mf_cur_copy(struct mf_cur *c, void *dst, size_t n);

uint8_t mf_cur_u8(struct mf_cur *c);
uint16_t mf_cur_be16(struct mf_cur *c);
uint32_t mf_cur_be24(struct mf_cur *c);
uint32_t mf_cur_be32(struct mf_cur *c);
uint64_t mf_cur_be64(struct mf_cur *c);
uint16_t mf_cur_le16(struct mf_cur *c);
uint32_t mf_cur_le32(struct mf_cur *c);
uint64_t mf_cur_le64(struct mf_cur *c);

/* Child cursor over the next n bytes, clamped to what is left (the claimed
 * length may exceed the captured bytes: STYLE.md section 4).  The parent
 * advances past what the child covers.  *short_out (if not NULL) is set to 1
 * when the clamp happened. */
struct mf_cur mf_cur_sub(struct mf_cur *c, size_t n, int *short_out);

/* Peek without consuming; returns 0 when not enough bytes. */
int mf_cur_peek(const struct mf_cur *c, size_t off, void *dst, size_t n);

/* Byte-order helpers for already bounds-checked memory. */
static inline uint16_t mf_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t mf_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint16_t mf_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t mf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void mf_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void mf_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
