/*
 * mf_cap_int.h - capture/ internals shared by mf_capture.c (the reader
 * handle) and mf_pcapng.c (the block parser).  Not a public header.
 */
#ifndef MF_CAP_INT_H
#define MF_CAP_INT_H

#include <stddef.h>
#include <stdint.h>

struct mf_cap;

/* Emits {"kind":"anomaly","reason":REASON,"detail":...,"evidence":{"file",
 * "frame" (when frame_no != 0), "block" (when block_no != 0), "offset"}}
 * through the reader's context.  At most MF_CAP_ANOM_MAX per input: a
 * hostile file of tiny odd blocks must not become millions of events; the
 * rest are counted and reported once at close.  Returns 0 or MF_ERR_NOMEM. */
#define MF_CAP_ANOM_MAX 1000
int mf_cap_anomaly(struct mf_cap *c, int64_t ts_ns, uint64_t frame_no, uint64_t block_no,
                   uint64_t offset, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Hands a Decryption Secrets Block's payload to the secret callback, if any. */
void mf_cap_secret(struct mf_cap *c, uint32_t secrets_type, const uint8_t *data, size_t len,
                   uint64_t block_no);

#endif
