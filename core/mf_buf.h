/*
 * mf_buf.h - growable byte buffer with a hard cap (curl's dynbuf idea):
 * it refuses to grow past the cap fixed at init, so an attacker-controlled
 * length can never make us allocate without bound.  Owns its memory.
 */
#ifndef MF_BUF_H
#define MF_BUF_H

#include <stddef.h>
#include <stdint.h>

struct mf_buf {
	uint8_t *data;
	size_t len;
	size_t alloc;
	size_t cap;
};

void mf_buf_init(struct mf_buf *b, size_t cap);
void mf_buf_free(struct mf_buf *b);
void mf_buf_reset(struct mf_buf *b);     /* len = 0, memory kept */
/* Returns 0, or MF_ERR_LIMIT past the cap, MF_ERR_NOMEM. */
int mf_buf_add(struct mf_buf *b, const void *p, size_t n);
int mf_buf_addc(struct mf_buf *b, uint8_t c);
int mf_buf_addstr(struct mf_buf *b, const char *s);
int mf_buf_printf(struct mf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mf_buf_reserve(struct mf_buf *b, size_t n);  /* room for n more bytes */
/* NUL-terminated view (not counted in len); NULL on failure. */
const char *mf_buf_cstr(struct mf_buf *b);

#endif
