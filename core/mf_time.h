/*
 * mf_time.h - timestamps.  Every time inside the program is int64
 * nanoseconds since the Unix epoch, UTC; MF_TIME_NONE marks "unknown".
 */
#ifndef MF_TIME_H
#define MF_TIME_H

#include <stdint.h>

#define MF_TIME_NONE INT64_MIN
#define MF_NS_PER_S 1000000000LL

/* "2021-03-29T14:04:34.123Z" (milliseconds, truncated toward -inf). */
void mf_time_iso(int64_t ns, char out[32]);
/* "1617026674.123456" (microseconds, truncated toward -inf). */
void mf_time_epoch(int64_t ns, char out[32]);
/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.frac][Z|+hh:mm]"; 0 or MF_ERR_FORMAT. */
int mf_time_parse_iso(const char *s, int64_t *ns);
/* Days-from-civil without libc time zones (deterministic, thread safe). */
int64_t mf_time_from_civil(int y, unsigned m, unsigned d);

#endif
