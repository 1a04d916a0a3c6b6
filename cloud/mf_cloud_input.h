/*
 * mf_cloud_input.h - a folder written by `miforensics cloud acquire` as an
 * input of `analyze` and `tokens` (see mf_acquire.h for the layout).
 *
 * Every reply the manifest lists as answered is read back, checked against
 * the SHA-256 recorded at acquisition time, and turned into events by the
 * shared endpoint walkers (mf_endpoint_records): source "cloud", no
 * protocol, evidence {"file":"<folder>/responses/...json","sha256",
 * "request_id","seq"}.  Device tokens join ctx->tokens (bound to the did,
 * or the IP for non-numeric dids) so that captures decoded afterwards are
 * decrypted with them.  Failed, malformed and refused calls, hash
 * mismatches, missing files and an unfinished acquisition become anomaly
 * events.  Records repeated by overlapping history pages are dropped.
 *
 * Everything read is evidence from disk: bounded (file caps, JSON depth),
 * file names taken from the manifest must be "responses/<plain name>".
 */
#ifndef MF_CLOUD_INPUT_H
#define MF_CLOUD_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;

#define MF_CLOUD_INPUT_FORMAT "miforensics-cloud-acquisition/1"

struct mf_cloud_input_summary {
	unsigned long entries;      /* exchanges listed in the manifest */
	unsigned long replies;      /* replies turned into events */
	unsigned long records;      /* record events from the endpoint walkers */
	unsigned long duplicates;   /* records dropped as repeated by overlapping pages */
	unsigned long problems;     /* anomalies reported */
	unsigned long integrity;    /* of which: stored files missing or not matching their SHA-256 */
	char status[16];            /* the manifest's summary.status ("complete", ...) */
	char sha256[65];            /* of manifest.json */
	uint64_t size;              /* manifest.json bytes */
};

/* Called with one line per problem (for stderr). */
typedef void (*mf_cloud_problem_fn)(void *arg, const char *msg);

/* 1 when path is a folder holding a manifest.json of `cloud acquire`, else 0. */
int mf_cloud_input_is(const char *path);

/* Reads the folder.  name: how the folder is shown in evidence (its base
 * name); NULL = path.  Returns 0 (problems are events, counted in
 * sum->problems), MF_ERR_FORMAT (not an acquisition folder; errbuf),
 * MF_ERR_IO, MF_ERR_NOMEM. */
int mf_cloud_input_scan(struct mf_ctx *ctx, const char *path, const char *name,
                        mf_cloud_problem_fn problem, void *arg,
                        struct mf_cloud_input_summary *sum, char *errbuf);

/* The same over memory: the manifest text and a function that returns a
 * stored file by its relative name (malloc'd buffer the reader frees;
 * 0, or < 0 when absent).  For the fuzzer and tests. */
typedef int (*mf_cloud_fetch_fn)(void *arg, const char *rel, char **buf, size_t *len);
int mf_cloud_input_scan_mem(struct mf_ctx *ctx, const char *manifest, size_t len,
                            const char *name, mf_cloud_fetch_fn fetch, void *farg,
                            mf_cloud_problem_fn problem, void *arg,
                            struct mf_cloud_input_summary *sum, char *errbuf);

#endif
