/*
 * mf_err.h - error codes shared by every layer.
 *
 * Functions return 0 on success or one of these negative codes; a human
 * readable reason goes into a caller supplied errbuf of MF_ERRBUF_SIZE
 * (libpcap's PCAP_ERRBUF_SIZE convention).  Library code never prints.
 */
#ifndef MF_ERR_H
#define MF_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define MF_ERRBUF_SIZE 256

enum {
	MF_OK = 0,
	MF_ERR_NOMEM = -1,     /* allocation failed or a cap was reached */
	MF_ERR_IO = -2,        /* read/write/open failed */
	MF_ERR_FORMAT = -3,    /* input is complete but invalid */
	MF_ERR_TRUNC = -4,     /* input ended early */
	MF_ERR_UNSUPPORTED = -5, /* valid, but not something we handle */
	MF_ERR_ARG = -6,       /* bad argument from the caller / user */
	MF_ERR_CRYPTO = -7,    /* a cryptographic operation failed */
	MF_ERR_AGAIN = -8,     /* need more input (incremental parsers) */
	MF_ERR_LIMIT = -9,     /* a configured cap was hit */
	MF_ERR_EOF = -10       /* clean end of input */
};

/* Short stable name of an error code ("nomem", "io", ...). */
const char *mf_strerror(int err);

/* snprintf into errbuf when errbuf is not NULL; returns err for chaining. */
int mf_seterr(char *errbuf, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
