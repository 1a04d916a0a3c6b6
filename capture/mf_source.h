/*
 * mf_source.h - the byte source both capture readers pull from (private to
 * capture/).
 *
 *   raw layer:     file descriptor (O_RDONLY|O_CLOEXEC) or caller memory;
 *                  every raw byte is SHA-256 hashed and counted exactly once,
 *                  in file order, as it is read
 *   logical layer: the raw bytes as they are, or inflated (zlib, gzip
 *                  wrapper, several concatenated members) when the raw
 *                  stream starts with 1f 8b
 *
 * Memory is two fixed buffers whatever the file size.  Errors are sticky:
 * once a read failed, every later read fails the same way.
 */
#ifndef MF_SOURCE_H
#define MF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct mf_src;

/* Returns 0, or MF_ERR_IO, MF_ERR_NOMEM; reason in errbuf. */
int mf_src_open_file(const char *path, struct mf_src **out, char *errbuf);
/* buf is borrowed and must outlive the source. */
int mf_src_open_mem(const uint8_t *buf, size_t len, struct mf_src **out, char *errbuf);

/* Looks at the first raw bytes and switches to inflating when they are a
 * gzip header.  Call once, before any read.  Returns 0, MF_ERR_IO,
 * MF_ERR_NOMEM. */
int mf_src_detect_gzip(struct mf_src *s, char *errbuf);
int mf_src_compressed(const struct mf_src *s);

/* Up to want (<= MF_SRC_PEEK_MAX) next logical bytes without consuming them.
 * p and got describe them; got < want only at the end of the stream.
 * Returns 0 or an error as for mf_src_read. */
#define MF_SRC_PEEK_MAX 64
int mf_src_peek(struct mf_src *s, size_t want, const uint8_t **p, size_t *got, char *errbuf);

/* Reads up to n logical bytes into dst; stops early only at the end of the
 * stream or on error.  *got says how many were stored (also on error).
 * Returns 0 (a short *got then means a clean end), or MF_ERR_IO,
 * MF_ERR_TRUNC (gzip member cut short), MF_ERR_FORMAT (corrupt gzip data),
 * MF_ERR_NOMEM. */
int mf_src_read(struct mf_src *s, void *dst, size_t n, size_t *got, char *errbuf);

/* Logical bytes consumed so far (offset in the decompressed stream). */
uint64_t mf_src_pos(const struct mf_src *s);
/* Raw bytes read from the file so far. */
uint64_t mf_src_raw_read(const struct mf_src *s);
/* 1 when non-gzip bytes followed the last complete gzip member (gzip(1)
 * ignores them with a warning; we stop there too, but say so). */
int mf_src_trailing_garbage(const struct mf_src *s);

/* Reads the rest of the raw file into the hash, writes the hex digest of the
 * whole file (empty string if the file could not be read to its end) and
 * its size, and frees the source.  s may be NULL. */
void mf_src_close(struct mf_src *s, char sha256_hex[65], uint64_t *size);

#endif
