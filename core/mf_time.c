/* mf_time.c - UTC formatting without localtime/gmtime (STYLE.md 15). */
#include "mf_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_err.h"

/* Howard Hinnant's civil-from-days / days-from-civil algorithms. */
int64_t mf_time_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y += *m <= 2;
}

static void split(int64_t ns, int64_t *sec, int64_t *frac)
{
	*sec = ns / MF_NS_PER_S;
	*frac = ns % MF_NS_PER_S;
	if (*frac < 0) {
		*frac += MF_NS_PER_S;
		*sec -= 1;
	}
}

void mf_time_iso(int64_t ns, char out[32])
{
	int64_t sec, frac, days, rem, y;
	unsigned m, d;

	if (ns == MF_TIME_NONE) {
		snprintf(out, 32, "%s", "");
		return;
	}
	split(ns, &sec, &frac);
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)  /* keep the fixed-width format; such times are garbage */
		y = y < 0 ? 0 : 9999;
	snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)y, m % 100, d % 100,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
	    (int)(frac / 1000000));
}

void mf_time_epoch(int64_t ns, char out[32])
{
	int64_t sec, frac;

	split(ns, &sec, &frac);
	snprintf(out, 32, "%lld.%06lld", (long long)sec, (long long)(frac / 1000));
}

static int num(const char **p, int digits, long *v)
{
	int i;

	*v = 0;
	for (i = 0; i < digits; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	return 0;
}

int mf_time_parse_iso(const char *s, int64_t *ns)
{
	long y, mo, d, h, mi, se, off = 0;
	int64_t frac = 0, scale = 100000000;
	const char *p = s;

	if (num(&p, 4, &y) || *p++ != '-' || num(&p, 2, &mo) || *p++ != '-' ||
	    num(&p, 2, &d) || (*p != 'T' && *p != ' '))
		return MF_ERR_FORMAT;
	p++;
	if (num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi) || *p++ != ':' ||
	    num(&p, 2, &se))
		return MF_ERR_FORMAT;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return MF_ERR_FORMAT;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			frac += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		long oh, om;
		int sign = *p == '-' ? -1 : 1;

		p++;
		if (num(&p, 2, &oh))
			return MF_ERR_FORMAT;
		if (*p == ':')
			p++;
		if (num(&p, 2, &om))
			return MF_ERR_FORMAT;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		return MF_ERR_FORMAT;
	*ns = ((mf_time_from_civil((int)y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
	    mi * 60 + se - off) * MF_NS_PER_S) + frac;
	return 0;
}
