/*
 * mf_pcapng.h - streaming pcapng block reader (private to capture/; the
 * public API is mf_capture.h).  One block is held in memory at a time.
 */
#ifndef MF_PCAPNG_H
#define MF_PCAPNG_H

#include <stdint.h>

struct mf_cap;
struct mf_frame;
struct mf_src;
struct mf_pcapng;

/* Largest block accepted (total length); a bigger one is MF_ERR_FORMAT. */
#define MF_PCAPNG_BLOCK_MAX (64u * 1024u * 1024u)

/* Reads and checks the first Section Header Block.  src and owner are
 * borrowed.  Returns 0, or MF_ERR_FORMAT, MF_ERR_TRUNC, MF_ERR_IO,
 * MF_ERR_NOMEM; reason in errbuf. */
int mf_pcapng_open(struct mf_cap *owner, struct mf_src *src, struct mf_pcapng **out,
                   char *errbuf);

/* Next packet (EPB, SPB or obsolete PB).  Fills every field of f but input;
 * f->data points into the reader's block buffer, valid until the next call.
 * *offset gets the block's offset in the decompressed stream.  Returns 0,
 * MF_ERR_EOF, MF_ERR_TRUNC, MF_ERR_FORMAT, MF_ERR_IO, MF_ERR_NOMEM. */
int mf_pcapng_next(struct mf_pcapng *ng, struct mf_frame *f, uint64_t *offset, char *errbuf);

void mf_pcapng_free(struct mf_pcapng *ng);

#endif
