/*
 * mf_codec.h - hex, base64, JSON-safe escaping of raw bytes, hashing
 * wrappers (OpenSSL EVP) used across layers.
 */
#ifndef MF_CODEC_H
#define MF_CODEC_H

#include <stddef.h>
#include <stdint.h>

struct mf_buf;

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void mf_hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2*outlen hex chars (either case); returns 0 or MF_ERR_FORMAT. */
int mf_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen);
int mf_is_hex(const char *s, size_t n);

/* Standard base64 (RFC 4648, with padding). mf_b64_decode accepts missing
 * padding and the URL alphabet; returns bytes written or MF_ERR_FORMAT. */
int mf_b64_encode(const uint8_t *in, size_t n, struct mf_buf *out);
int mf_b64_decode(const char *in, size_t n, struct mf_buf *out);

/* Printable escape of arbitrary bytes: ASCII printable as is, '\\' doubled,
 * others as \xNN; at most max_in input bytes (then "..."). */
int mf_escape_bytes(const uint8_t *in, size_t n, size_t max_in, struct mf_buf *out);

/* 1 when the n bytes are valid UTF-8 (RFC 3629: no overlongs, surrogates
 * or code points above U+10FFFF), else 0. */
int mf_utf8_valid(const uint8_t *s, size_t n);
/* Appends s with its valid UTF-8 sequences as they are, '\\' doubled and
 * every byte that is not part of a valid sequence as \xNN. */
int mf_utf8_escape(const uint8_t *s, size_t n, struct mf_buf *out);
/* Cuts a NUL-terminated string that a size-limited copy (snprintf) may have
 * ended inside a UTF-8 sequence back to the last whole character. */
void mf_utf8_cut(char *s);

void mf_md5(const void *a, size_t alen, uint8_t out[16]);
void mf_sha256(const void *a, size_t alen, uint8_t out[32]);

/* Incremental SHA-256 (opaque OpenSSL EVP context). */
struct mf_sha256_ctx;
struct mf_sha256_ctx *mf_sha256_new(void);
void mf_sha256_update(struct mf_sha256_ctx *h, const void *p, size_t n);
/* Writes the 64-char hex digest + NUL; the context can be freed after. */
void mf_sha256_final_hex(struct mf_sha256_ctx *h, char out[65]);
void mf_sha256_free(struct mf_sha256_ctx *h);

#endif
