/*
 * fuzz_devlog.c - one device-log value (Log_Normal JSON with strings
 * holding JSON), the same bytes as an ht_stat value and as a shared-storage
 * device-list log (free text with JSON in it).
 */
#include <stdint.h>
#include <stdlib.h>

#include "mf_ctx.h"
#include "mf_phone_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_ctx ctx;
	struct mf_phone ph;

	mf_ctx_init(&ctx);
	ph_init(&ph, &ctx, 1714636800LL * 1000000000LL);
	ph.file = "config.xml";
	ph_dev_set(ph_dev_get(&ph, "lumi.158d0002c81f93", 1), "lumi.sensor_magnet.aq2", "Door",
	    NULL, NULL, NULL);
	mf_devlog_key(&ph, "Log_Normal", (const char *)data, size, "lumi.158d0002c81f93", NULL);
	mf_htstat_key(&ph, "x_ht_stat", (const char *)data, size, "lumi.1", "lumi.weather.v1");
	mf_tokenlog_file(&ph, (const char *)data, size);
	ph_free(&ph);
	return 0;
}
