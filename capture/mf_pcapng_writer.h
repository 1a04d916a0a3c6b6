/*
 * mf_pcapng_writer.h - a small pcapng writer for evidence files
 * (draft-ietf-opsawg-pcapng): one Section Header Block, one Interface
 * Description Block with if_tsresol 9 (nanoseconds), then Enhanced Packet
 * Blocks, Decryption Secrets Blocks and a closing Interface Statistics
 * Block.  Little-endian, like the host tools write it.
 *
 * Durability: blocks are buffered and written whole; a write that fails
 * (ENOSPC, EIO) cuts the file back to the last complete block, so what is
 * on disk is always a valid capture and the SHA-256 (computed over the
 * bytes as they are written) describes exactly those bytes.  Closing
 * flushes, fsyncs and closes.  Counters describe what reached the file.
 */
#ifndef MF_PCAPNG_WRITER_H
#define MF_PCAPNG_WRITER_H

#include <stddef.h>
#include <stdint.h>

struct mf_pcapng_writer;

/* The one interface of the file. */
struct mf_pcapng_if {
	uint32_t linktype;        /* LINKTYPE_* */
	uint32_t snaplen;
	const char *name;         /* if_name, or NULL */
	const char *description;  /* if_description, or NULL */
	const char *filter;       /* if_filter (libpcap syntax), or NULL */
};

/* Closing statistics (ISB options isb_ifrecv, isb_ifdrop, isb_osdrop,
 * isb_usrdeliv); a field of UINT64_MAX is left out. */
struct mf_pcapng_isb {
	int64_t start_ns, end_ns;   /* MF_TIME_NONE: left out */
	uint64_t ifrecv, ifdrop, osdrop, usrdeliv;
};

/* What reached the file. */
struct mf_pcapng_wstat {
	uint64_t size;       /* bytes on disk */
	uint64_t packets;    /* EPBs on disk */
	uint64_t blocks;     /* every block on disk, SHB = 1 */
	int64_t first_ns, last_ns;   /* packet times, MF_TIME_NONE before any */
	char sha256[65];     /* hex, set by close */
};

/* Creates path (O_EXCL: never overwrites; mode 0640) and writes SHB + IDB.
 * appl: shb_userappl; comment: an opt_comment in the SHB (may be NULL).
 * Returns 0, MF_ERR_IO (reason in errbuf, errno kept) or MF_ERR_NOMEM. */
int mf_pcapng_writer_open(const char *path, const char *appl, const char *comment,
                          const struct mf_pcapng_if *ifc, struct mf_pcapng_writer **out,
                          char *errbuf);

/* Appends one packet (caplen bytes of data; wirelen as seen on the wire).
 * Returns 0, or MF_ERR_IO once writing failed (mf_pcapng_writer_errno). */
int mf_pcapng_write_packet(struct mf_pcapng_writer *w, int64_t ts_ns, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen);

/* Appends a Decryption Secrets Block (type 0x544c534b: a TLS key log).
 * *block_no (may be NULL) gets its 1-based block index in the file, as
 * readers number it.  Returns 0 or MF_ERR_IO / MF_ERR_ARG (too large). */
int mf_pcapng_write_dsb(struct mf_pcapng_writer *w, uint32_t secrets_type, const void *data,
                        size_t len, uint64_t *block_no);

int mf_pcapng_write_isb(struct mf_pcapng_writer *w, const struct mf_pcapng_isb *s);

/* Hands the buffered blocks to the kernel (no fsync).  0 or MF_ERR_IO. */
int mf_pcapng_writer_flush(struct mf_pcapng_writer *w);

/* Bytes buffered or written so far (the size the file will have). */
uint64_t mf_pcapng_writer_size(const struct mf_pcapng_writer *w);
/* Packets written or buffered. */
uint64_t mf_pcapng_writer_packets(const struct mf_pcapng_writer *w);

/* errno of the failed write (ENOSPC, ...), 0 while all is well. */
int mf_pcapng_writer_errno(const struct mf_pcapng_writer *w);

/* Flushes, fsyncs, closes and frees w; st (may be NULL) gets what is on
 * disk, with its SHA-256.  Returns 0, or MF_ERR_IO when something could not
 * be written (st still describes the valid file on disk; errbuf says why). */
int mf_pcapng_writer_close(struct mf_pcapng_writer *w, struct mf_pcapng_wstat *st,
                           char *errbuf);

#endif
