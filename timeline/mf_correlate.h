/*
 * mf_correlate.h - cross-validation of device events between sources.
 *
 * Each phone device-log event is matched with the traffic events, and
 * separately with the cloud history, of the same device and event name; a
 * phone event found in both is one group across the three sources.  The clock offset between the
 * sources is estimated per device, not assumed: the offset that lets the
 * most events match within the tolerance (mode seeking over all candidate
 * differences up to +-14 h, which covers a device log kept in local time),
 * refined to the median of the matched differences.  Matching is then
 * one-to-one, nearest first.
 */
#ifndef MF_CORRELATE_H
#define MF_CORRELATE_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct mf_store;

struct mf_corr_dev {
	uint32_t did;              /* interned */
	uint64_t phone, traffic, cloud;
	uint64_t phone_repeated;   /* the same log record read from another input
	                            * (a second phone, a second copy): not counted
	                            * in phone, it joins the first one's group */
	uint64_t matched;          /* phone events with a traffic/cloud partner */
	uint64_t only_traffic;     /* expected: the phone keeps ~20 per device */
	uint64_t only_phone;       /* a capture gap, or a log that was altered */
	uint64_t only_phone_in_capture; /* ...while the capture was running: flag */
	int has_offset;
	double offset_s;           /* traffic time - phone time */
	double spread_s;           /* max |delta - offset| of the matches */
	uint64_t cloud_matched;    /* phone events also found in the cloud history */
	int has_cloud_offset;
	double cloud_offset_s;     /* cloud time - phone time */
};

struct mf_corr {
	struct mf_corr_dev *dev;
	size_t ndev;
	uint32_t groups;
	int64_t capture_first, capture_last;   /* MF_TIME_NONE when no traffic */
	double tolerance_s;
};

/* Runs over the store (entries get group / delta / matched_src set).
 * Returns 0 or MF_ERR_NOMEM. */
int mf_correlate(struct mf_store *st, double tolerance_s, struct mf_corr *out);
void mf_corr_free(struct mf_corr *c);

/* {"tolerance_s":..,"groups":N,"devices":[{did, phone, traffic, ...}]} */
cJSON *mf_corr_json(const struct mf_corr *c, const struct mf_store *st);

/* The "correlation" object for entry i, or NULL when unmatched. */
cJSON *mf_corr_event_json(const struct mf_store *st, size_t i);

#endif
