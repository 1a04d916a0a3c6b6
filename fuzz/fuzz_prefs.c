/*
 * fuzz_prefs.c - SharedPreferences XML (expat) and the conversion of every
 * entry to JSON, then the generic, homes and scene readers on the result.
 */
#include <stdint.h>
#include <stdlib.h>

#include "mf_ctx.h"
#include "mf_phone_int.h"
#include "mf_prefs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mf_prefs_limits lim;
	struct mf_prefs p;
	struct mf_ctx ctx;
	struct mf_phone ph;
	size_t i;

	mf_prefs_limits_default(&lim);
	lim.value_max = 1u << 16;
	lim.total_max = 1u << 20;
	mf_prefs_parse(data, size, &lim, &p, NULL);
	for (i = 0; i < p.n; i++)
		cJSON_Delete(mf_pref_to_json(&p.v[i], 32));
	mf_ctx_init(&ctx);            /* no sink: events are freed */
	ph_init(&ph, &ctx, 1714636800LL * 1000000000LL);
	ph.file = "fuzz.xml";
	mf_homes_prefs(&ph, "home_room_manager_sp_.xml", &p);
	mf_homes_prefs(&ph, "miot.xml", &p);
	mf_scene_prefs(&ph, "25F9E794323B453885F5181F1B624D0Bscene_list_cache.xml", &p);
	mf_devlog_config(&ph, &p, "lumi.158d0001", "1003472");
	ph_free(&ph);
	mf_prefs_free(&p);
	return 0;
}
