/*
 * fuzz_phone.c - a phone extraction as one file (parsers/mf_extract.c: tar,
 * tar.gz, zip, adb backup, MIUI backup, nested archives up to the depth cap,
 * then every app file's parser), with small caps so a bomb ends quickly.
 * The bytes go to a private temporary file: the reader takes a path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mf_ctx.h"
#include "mf_err.h"
#include "mf_phone.h"

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_phone_opts o;
	struct mf_phone_summary sum;
	struct mf_ctx ctx;
	char eb[MF_ERRBUF_SIZE];
	FILE *f;

	if (!path[0]) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/fuzz_phone.XXXXXX");
		if ((fd = mkstemp(path)) < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	if (!(f = fopen(path, "wb")))
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	mf_ctx_init(&ctx);                     /* no sink: events are freed */
	mf_phone_opts_default(&o);
	o.nest_bytes_min = 1u << 20;
	o.nest_bytes_ratio = 4;
	memset(&sum, 0, sizeof(sum));
	(void)mf_phone_scan(&ctx, path, &o, NULL, NULL, &sum, eb);
	return 0;
}
