/* mf_err.c - error names and errbuf helper. */
#include "mf_err.h"

#include <stdio.h>

const char *mf_strerror(int err)
{
	switch (err) {
	case MF_OK: return "ok";
	case MF_ERR_NOMEM: return "nomem";
	case MF_ERR_IO: return "io";
	case MF_ERR_FORMAT: return "format";
	case MF_ERR_TRUNC: return "truncated";
	case MF_ERR_UNSUPPORTED: return "unsupported";
	case MF_ERR_ARG: return "argument";
	case MF_ERR_CRYPTO: return "crypto";
	case MF_ERR_AGAIN: return "again";
	case MF_ERR_LIMIT: return "limit";
	case MF_ERR_EOF: return "eof";
	}
	return "unknown";
}

int mf_seterr(char *errbuf, int err, const char *fmt, ...)
{
	va_list ap;

	if (errbuf) {
		va_start(ap, fmt);
		vsnprintf(errbuf, MF_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
	}
	return err;
}
