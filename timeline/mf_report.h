/*
 * mf_report.h - the report folder writers (CONTRACT.md, "The report
 * folder"): events.jsonl, timeline.csv (Timesketch), TLN, case.json and a
 * self-contained report.html.  All read the sorted store; output depends
 * only on the inputs (no clock, no host name, no random ids).
 */
#ifndef MF_REPORT_H
#define MF_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct mf_store;
struct mf_registry;
struct mf_corr;

struct mf_report_input {
	const char *path;
	const char *name;
	const char *type;          /* "capture", "phone", "cloud" */
	uint64_t size;             /* a folder: of all its files */
	uint64_t files;            /* a folder: how many files its sha256 covers */
	char sha256[65];           /* a folder: see cli_sha256_tree */
	int status;                /* 0 ok, 1 bad or incomplete */
	const char *duplicate_of;  /* the same file or content as this earlier input:
	                            * not analysed again */
};

struct mf_report {
	struct mf_store *st;
	const struct mf_registry *reg;
	const struct mf_corr *corr;
	const struct mf_report_input *inputs;
	size_t ninputs;
	cJSON *options;            /* borrowed; secrets already redacted */
	cJSON *warnings;           /* borrowed array of strings */
	int tz_offset_min;         /* for local times shown in report.html */
	const char *tz_name;
};

/* Each returns 0 or MF_ERR_IO / MF_ERR_NOMEM. */
int mf_report_jsonl(const struct mf_report *r, FILE *out);
int mf_report_csv(const struct mf_report *r, FILE *out);
int mf_report_tln(const struct mf_report *r, FILE *out);
int mf_report_case(const struct mf_report *r, FILE *out);
int mf_report_html(const struct mf_report *r, FILE *out);

/* The event object of store entry i as written to events.jsonl (exact
 * ts_epoch, registry names, correlation).  Caller frees. */
cJSON *mf_report_event(const struct mf_report *r, size_t i);

#endif
