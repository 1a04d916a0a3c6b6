/*
 * mf_test.h - a minimal unit-test harness: CHECK macros that count, and a
 * closing "N passed, N failed" line that ctest's log readers understand.
 */
#ifndef MF_TEST_H
#define MF_TEST_H

#include <stdio.h>
#include <string.h>

static int mf_t_pass, mf_t_fail;

#define CHECK(cond) do { \
	if (cond) mf_t_pass++; \
	else { mf_t_fail++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_EQ_INT(a, b) do { \
	long long mf_a = (long long)(a), mf_b = (long long)(b); \
	if (mf_a == mf_b) mf_t_pass++; \
	else { mf_t_fail++; fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, mf_a, mf_b); } \
} while (0)

#define CHECK_EQ_STR(a, b) do { \
	const char *mf_a = (a), *mf_b = (b); \
	if (mf_a && mf_b && strcmp(mf_a, mf_b) == 0) mf_t_pass++; \
	else { mf_t_fail++; fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, mf_a ? mf_a : "(null)", mf_b ? mf_b : "(null)"); } \
} while (0)

#define CHECK_MEM(a, b, n) do { \
	if (memcmp((a), (b), (n)) == 0) mf_t_pass++; \
	else { mf_t_fail++; fprintf(stderr, "%s:%d: memory %s differs from %s\n", __FILE__, __LINE__, #a, #b); } \
} while (0)

#define TEST_DONE() (printf("%d passed, %d failed\n", mf_t_pass, mf_t_fail), mf_t_fail ? 1 : 0)

#endif
