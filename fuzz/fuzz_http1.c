/* fuzz_http1.c - the HTTP/1.1 stream consumer on both directions of one
 * connection (encoding: fuzz_http_stream.h). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_http_stream.h"
#include "mf_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_http_stream(&mf_proto_http1, data, size, NULL, 0);
	return 0;
}
