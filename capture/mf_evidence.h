/*
 * mf_evidence.h - a folder of rotating pcapng evidence files written by a
 * live capture, with DIR/manifest.json describing them.
 *
 *   DIR/live-000001-20240501T090001Z.pcapng   sequence number, UTC time of
 *   DIR/live-000002-20240501T100001Z.pcapng   the file's first packet
 *   DIR/manifest.json
 *
 * A file is opened on the first packet after the previous one closed (no
 * empty files), closed when it reaches the size or age limit, when the
 * interface goes away, or at the end; closing writes an Interface
 * Statistics Block, fsyncs, and enters the file's size, SHA-256, first and
 * last packet time, packet count and the kernel/interface drops during it
 * in the manifest.  Beyond max_files the oldest files are deleted and stay
 * in the manifest as "deleted" with their hash.  The manifest is rewritten
 * atomically (temporary file, fsync, rename, fsync of the folder) whenever
 * a file opens or closes, on every log note, and at the end.
 *
 * TLS key log lines given to mf_evidence_keys() are written into the
 * current file as a Decryption Secrets Block, and every new file starts
 * with one holding all the lines so far (up to a cap), so that each file
 * decrypts on its own and an offline reading learns each key at the point
 * the live run did.
 */
#ifndef MF_EVIDENCE_H
#define MF_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_pcapng_writer.h"

struct mf_frame;
struct mf_input;
struct mf_evidence;

struct mf_evidence_opts {
	const char *dir;
	const char *prefix;        /* file name prefix; NULL: "live" */
	uint64_t rotate_bytes;     /* 0: no size limit */
	int64_t rotate_ns;         /* 0: no age limit */
	unsigned max_files;        /* 0: keep every file */
	const char *appl;          /* shb_userappl */
	const cJSON *capture;      /* copied to the manifest's "capture" (may be NULL) */
	int64_t now_ns;            /* start time */
};

/* Capture counters, cumulative since the start of the run. */
struct mf_evidence_counters {
	uint64_t recv, kernel_drops, if_drops;
};

/* Creates dir if needed (mode 0750) and writes the first manifest
 * (status "running").  A folder that already holds a manifest.json is
 * refused (MF_ERR_ARG): evidence is never overwritten or mixed.  Returns 0,
 * MF_ERR_ARG, MF_ERR_IO, MF_ERR_NOMEM; reason in errbuf. */
int mf_evidence_new(const struct mf_evidence_opts *o, struct mf_evidence **out, char *errbuf);

/* The interface the next file describes (copied). */
int mf_evidence_set_if(struct mf_evidence *ev, const struct mf_pcapng_if *ifc);

/* Latest counters (cumulative); the per-file drops are differences. */
void mf_evidence_set_counters(struct mf_evidence *ev, const struct mf_evidence_counters *c);

/* Writes one frame, opening a file first when none is open (*opened = 1
 * then).  *in and *number get the evidence file (an input that stays valid
 * until mf_evidence_free) and the frame's number in it.  Returns 0, or
 * MF_ERR_IO when the file could not be created or written (errno kept in
 * mf_evidence_errno; reason in errbuf): the file is cut back to its last
 * complete block and the caller should close it. */
int mf_evidence_write(struct mf_evidence *ev, const struct mf_frame *f, int64_t now_ns,
                      int *opened, const struct mf_input **in, uint64_t *number, char *errbuf);

/* After opening: the key log lines the new file starts with, and their
 * origin as an offline reader names it ("FILE: pcapng DSB block N").
 * Returns 1 and fills the view (valid until the next call), or 0 when the
 * file holds none. */
int mf_evidence_opening_keys(struct mf_evidence *ev, const char **text, size_t *len,
                             char *origin, size_t origin_len);

/* New key log lines (complete lines).  Written into the current file when
 * one is open (returns 1, origin filled as above) and remembered for the
 * next files; 0 when no file is open (they go into the next one);
 * negative on error. */
int mf_evidence_keys(struct mf_evidence *ev, const char *text, size_t len, char *origin,
                     size_t origin_len);

/* Is there an open file that reached its size (returns 1) or age
 * (returns 2) limit?  0 otherwise. */
int mf_evidence_should_rotate(const struct mf_evidence *ev, int64_t now_ns);
int mf_evidence_file_open(const struct mf_evidence *ev);

/* Hands buffered blocks to the kernel.  0 or MF_ERR_IO. */
int mf_evidence_flush(struct mf_evidence *ev);

/* Closes the current file (if any): ISB, fsync, hash, manifest.  reason:
 * "size", "time", "interface_down", "stop", "write_error" ...  Returns 0, or
 * MF_ERR_IO when the file or the manifest could not be completed (reason
 * in errbuf; what could be recorded is). */
int mf_evidence_close(struct mf_evidence *ev, const char *reason, int64_t now_ns,
                      char *errbuf);

/* A line in the manifest's "log" (interface down/up, disk full, signal),
 * and a manifest rewrite. */
int mf_evidence_note(struct mf_evidence *ev, int64_t now_ns, const char *event,
                     const char *detail, char *errbuf);

/* Closes the current file and writes the final manifest with status
 * ("stopped", "disk_full", "failed") and why.  Returns 0 or MF_ERR_IO. */
int mf_evidence_finish(struct mf_evidence *ev, int64_t now_ns, const char *status,
                       const char *reason, char *errbuf);

/* The manifest as it would be written now (caller frees), for printing it
 * when the disk refuses it. */
char *mf_evidence_manifest_text(struct mf_evidence *ev, int64_t now_ns);

int mf_evidence_errno(const struct mf_evidence *ev);

/* Totals so far: packets and bytes written (incl. buffered), files made. */
void mf_evidence_totals(const struct mf_evidence *ev, uint64_t *packets, uint64_t *bytes,
                        unsigned *files);

void mf_evidence_free(struct mf_evidence *ev);

/* Writes buf to dir/name atomically (name.tmp, fsync, rename, fsync dir).
 * 0 or MF_ERR_IO (errbuf). */
int mf_write_atomic(const char *dir, const char *name, const void *buf, size_t len,
                    char *errbuf);

#endif
