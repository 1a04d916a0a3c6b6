/*
 * fuzz_scene.c - a scene cache value (the cloud /scene/list reply).
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
	ph.file = "scene.xml";
	ph_dev_set(ph_dev_get(&ph, "42688810", 1), "chuangmi.plug.m1", "Plug", NULL, NULL, NULL);
	mf_scene_json(&ph, "scene_list", (const char *)data, size, "123456789");
	ph_free(&ph);
	return 0;
}
