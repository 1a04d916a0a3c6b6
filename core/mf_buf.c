/* mf_buf.c - capped growable buffer; see mf_buf.h. */
#include "mf_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"

void mf_buf_init(struct mf_buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void mf_buf_free(struct mf_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void mf_buf_reset(struct mf_buf *b)
{
	b->len = 0;
}

int mf_buf_reserve(struct mf_buf *b, size_t n)
{
	size_t need, na;
	uint8_t *nd;

	if (n > b->cap || b->len > b->cap - n)
		return MF_ERR_LIMIT;
	need = b->len + n + 1;          /* +1 keeps room for mf_buf_cstr's NUL */
	if (need <= b->alloc)
		return 0;
	na = b->alloc ? b->alloc : 64;
	while (na < need)
		na = na > SIZE_MAX / 2 ? need : na * 2;
	nd = realloc(b->data, na);
	if (!nd)
		return MF_ERR_NOMEM;
	b->data = nd;
	b->alloc = na;
	return 0;
}

int mf_buf_add(struct mf_buf *b, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = mf_buf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int mf_buf_addc(struct mf_buf *b, uint8_t c)
{
	return mf_buf_add(b, &c, 1);
}

int mf_buf_addstr(struct mf_buf *b, const char *s)
{
	return mf_buf_add(b, s, strlen(s));
}

int mf_buf_printf(struct mf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MF_ERR_FORMAT;
	rc = mf_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *mf_buf_cstr(struct mf_buf *b)
{
	if (mf_buf_reserve(b, 0) != 0 && b->alloc <= b->len)
		return NULL;
	if (!b->data && mf_buf_reserve(b, 0) != 0)
		return NULL;
	if (!b->data)
		return "";
	b->data[b->len] = '\0';
	return (const char *)b->data;
}
