/*
 * mf_capture.h - offline capture reading: pcap (us and ns, either byte
 * order, via libpcap) and pcapng (own streaming block reader: several
 * interfaces with their own link types and timestamp resolutions, and the
 * Decryption Secrets Blocks libpcap skips), each optionally gzip-compressed
 * (zlib, streamed, no temporary copy).  Recognised by content, not name.
 *
 * Reading streams: memory does not grow with the file.  The raw file bytes
 * are SHA-256 hashed as they are read; mf_cap_close() stores the digest and
 * size in the mf_input.
 */
#ifndef MF_CAPTURE_H
#define MF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;
struct mf_frame;
struct mf_input;
struct mf_cap;

enum mf_cap_format { MF_CAP_PCAP = 1, MF_CAP_PCAPNG };

/* pcapng Decryption Secrets Block (type 0x544c534b = TLS key log, ...).
 * data is borrowed for the call.  block_no is the 1-based index of the DSB
 * among all blocks of the input (the first SHB is block 1). */
typedef void (*mf_cap_secret_fn)(void *arg, uint32_t secrets_type, const uint8_t *data,
                                 size_t len, const struct mf_input *in, uint64_t block_no);

/* Opens a capture file read-only.  in is filled by the caller (path, name,
 * index) and must outlive the reader.  Returns 0, or MF_ERR_IO,
 * MF_ERR_FORMAT (not a capture), MF_ERR_NOMEM; reason in errbuf.
 * Also MF_ERR_TRUNC: recognised as a capture (or gzip) but it ends inside
 * its file/section header; MF_ERR_FORMAT for a directory, and for a
 * damaged first section header.  ctx may be NULL (no statistics, no
 * anomalies). */
int mf_cap_open_file(struct mf_ctx *ctx, const char *path, struct mf_input *in,
                     struct mf_cap **out, char *errbuf);
/* Same from memory (fuzzing, tests); buf must outlive the reader. */
int mf_cap_open_mem(struct mf_ctx *ctx, const uint8_t *buf, size_t len,
                    struct mf_input *in, struct mf_cap **out, char *errbuf);

void mf_cap_set_secret_cb(struct mf_cap *c, mf_cap_secret_fn fn, void *arg);

/* Next frame.  Returns 0 (f filled, input set; bytes valid until the next
 * call; ts_ns is MF_TIME_NONE for a pcapng Simple Packet Block, which has
 * no timestamp; number counts packet records, skipped ones included),
 * MF_ERR_EOF at a clean end, MF_ERR_TRUNC when the file ends inside a record
 * or block, MF_ERR_FORMAT for a damaged record (reason in errbuf; reading
 * stops: a damaged length field leaves nothing trustworthy to resync on),
 * MF_ERR_IO, MF_ERR_NOMEM.  Skipped/odd blocks are emitted as anomalies
 * through ctx, not returned (reasons: pcapng_unknown_interface,
 * pcapng_caplen_exceeds_block, pcapng_block_too_short, pcapng_dsb_length,
 * pcapng_bad_option, pcapng_unknown_block, pcapng_too_many_interfaces,
 * pcap_record_cut, gzip_trailing_garbage, capture_anomalies_suppressed).
 * Once it returned non-zero it returns the same code again. */
int mf_cap_next(struct mf_cap *c, struct mf_frame *f, char *errbuf);

int mf_cap_format(const struct mf_cap *c);
int mf_cap_compressed(const struct mf_cap *c);
/* Byte offset in the (decompressed) stream of the record last returned. */
uint64_t mf_cap_offset(const struct mf_cap *c);
/* Compressed/raw bytes consumed so far (progress reporting). */
uint64_t mf_cap_bytes_read(const struct mf_cap *c);

/* Reads the rest of the file for the hash, stores sha256/size in the input
 * (sha256 stays "" if the file could not be read to its end), frees
 * everything.  Also after an error from mf_cap_next.  c may be NULL. */
void mf_cap_close(struct mf_cap *c);

#endif
