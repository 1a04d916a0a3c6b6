/* fuzz_http2.c - the HTTP/2 stream consumer on both directions of one
 * connection (encoding: fuzz_http_stream.h).  The client preface is fed
 * first unless the option byte has bit 2 set, so inputs reach the frames. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_http_stream.h"
#include "mf_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	int raw = size > 0 && (data[0] & 4);

	fuzz_http_stream(&mf_proto_http2, data, size, raw ? NULL : preface, raw ? 0 : 24);
	return 0;
}
