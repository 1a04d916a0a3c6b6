/*
 * mf_models.c - the model and event tables (data, not code); see
 * mf_models.h.  Sources: phone-artifacts.md section 5 (the security bundle),
 * python-miio gateway/devices/subdevices.yaml, lumi-lan.md.  Add a line to
 * teach the program a model; nothing else changes.
 */
#include "mf_models.h"

#include <string.h>

static const struct mf_model_info models[] = {
	/* Zigbee sensors (Lumi / Aqara) */
	{ "lumi.sensor_motion.v1", "motion", "Mi Motion Sensor (v1)" },
	{ "lumi.sensor_motion.v2", "motion", "Mi Motion Sensor RTCGQ01LM" },
	{ "lumi.sensor_motion.aq2", "motion", "Aqara Motion Sensor RTCGQ11LM" },
	{ "lumi.motion.agl04", "motion", "Aqara Motion Sensor P1" },
	{ "lumi.sensor_magnet.v1", "magnet", "Mi Door/Window Sensor (v1)" },
	{ "lumi.sensor_magnet.v2", "magnet", "Mi Door/Window Sensor MCCGQ01LM" },
	{ "lumi.sensor_magnet.aq2", "magnet", "Aqara Door/Window Sensor MCCGQ11LM" },
	{ "lumi.sensor_switch.v1", "switch", "Mi Wireless Switch (v1)" },
	{ "lumi.sensor_switch.v2", "switch", "Mi Wireless Switch WXKG01LM" },
	{ "lumi.sensor_switch.aq2", "switch", "Aqara Wireless Mini Switch WXKG11LM" },
	{ "lumi.sensor_switch.aq3", "switch", "Aqara Wireless Mini Switch WXKG12LM" },
	{ "lumi.remote.b1acn01", "switch", "Aqara Wireless Mini Switch" },
	{ "lumi.sensor_86sw1", "switch", "Aqara Wireless Wall Switch (single)" },
	{ "lumi.sensor_86sw2", "switch", "Aqara Wireless Wall Switch (double)" },
	{ "lumi.sensor_ht.v1", "weather", "Mi Temperature/Humidity Sensor WSDCGQ01LM" },
	{ "lumi.sensor_ht", "weather", "Mi Temperature/Humidity Sensor" },
	{ "lumi.weather.v1", "weather", "Aqara Temperature/Humidity Sensor WSDCGQ11LM" },
	{ "lumi.weather", "weather", "Aqara Temperature/Humidity Sensor" },
	{ "lumi.sensor_wleak.aq1", "leak", "Aqara Water Leak Sensor SJCGQ11LM" },
	{ "lumi.vibration.aq1", "vibration", "Aqara Vibration Sensor DJT11LM" },
	{ "lumi.sensor_cube.v1", "cube", "Mi Cube MFKZQ01LM" },
	{ "lumi.sensor_cube.aqgl01", "cube", "Aqara Cube" },
	{ "lumi.sensor_smoke", "smoke", "Mijia Honeywell Smoke Detector" },
	{ "lumi.sensor_natgas", "gas", "Mijia Honeywell Gas Detector" },
	{ "lumi.plug", "plug", "Mi Smart Plug (Zigbee)" },
	{ "lumi.plug.v1", "plug", "Mi Smart Plug (Zigbee)" },
	{ "lumi.ctrl_86plug.v1", "plug", "Aqara Wall Outlet" },
	{ "lumi.ctrl_ln1.aq1", "wall_switch", "Aqara Wall Switch (single, neutral)" },
	{ "lumi.ctrl_ln2.aq1", "wall_switch", "Aqara Wall Switch (double, neutral)" },
	{ "lumi.curtain", "curtain", "Aqara Curtain Motor" },
	/* gateways / hubs */
	{ "lumi.gateway.v2", "gateway", "Mi Smart Home Gateway 2" },
	{ "lumi.gateway.v3", "gateway", "Mi Control Hub DGNWG02LM" },
	{ "lumi.gateway.mieu01", "gateway", "Mi Smart Home Hub (EU)" },
	{ "lumi.gateway.mgl03", "gateway", "Mi Smart Home Hub 2 / Gateway 3" },
	{ "lumi.gateway.aqhm01", "gateway", "Aqara Hub" },
	{ "lumi.acpartner.", "gateway", "Aqara Air Conditioning Companion" },
	{ "lumi.gateway.", "gateway", "" },
	/* Wi-Fi devices */
	{ "chuangmi.plug.m1", "plug", "Mi Smart Plug (Wi-Fi)" },
	{ "chuangmi.plug.", "plug", "" },
	{ "cuco.plug.", "plug", "" },
	{ "zimi.powerstrip.", "plug", "Mi Power Strip" },
	{ "qmi.powerstrip.", "plug", "Mi Power Strip" },
	{ "chuangmi.camera.", "camera", "Mi Home Security Camera" },
	{ "isa.camera.", "camera", "Xiaomi camera" },
	{ "mijia.camera.", "camera", "Mijia camera" },
	{ "yeelink.light.", "bulb", "Yeelight" },
	{ "yeelink.bhf_light.", "bulb", "Yeelight bath heater light" },
	{ "philips.light.", "bulb", "Philips Zhirui light" },
	{ "rockrobo.vacuum.", "vacuum", "Mi Robot Vacuum" },
	{ "roborock.vacuum.", "vacuum", "Roborock vacuum" },
	{ "dreame.vacuum.", "vacuum", "Dreame vacuum" },
	{ "viomi.vacuum.", "vacuum", "Viomi vacuum" },
	{ "ijai.vacuum.", "vacuum", "Mi Robot Vacuum-Mop" },
	{ "zhimi.airpurifier.", "air_purifier", "Mi Air Purifier" },
	{ "zhimi.humidifier.", "humidifier", "Mi Humidifier" },
	{ "zhimi.fan.", "fan", "Mi Smart Fan" },
	{ "dmaker.fan.", "fan", "Mi Smart Fan" },
	{ "xiaomi.wifispeaker.", "speaker", "Xiao AI speaker" },
	{ "xiaomi.router.", "router", "Xiaomi router" },
	{ "miaomiaoce.sensor_ht.", "weather", "Mijia BLE Temperature/Humidity" },
	{ "cgllc.sensor_ht.", "weather", "Qingping Temperature/Humidity" },
	{ "lumi.lock.", "lock", "Aqara smart lock" },
	{ "loock.lock.", "lock", "Loock smart lock" },
	{ "lumi.sensor_", "sensor", "" },
	{ "lumi.", "zigbee", "" },
};

static const struct {
	const char *type;   /* NULL: any device type */
	const char *event;
	const char *meaning;
} meanings[] = {
	{ NULL, "event.motion", "motion detected" },
	{ NULL, "event.no_motion", "no motion for a while" },
	{ NULL, "event.open", "opened" },
	{ NULL, "event.close", "closed" },
	{ NULL, "event.no_close", "left open" },
	{ NULL, "event.click", "pressed once" },
	{ NULL, "event.double_click", "pressed twice" },
	{ NULL, "event.long_click_press", "long press started" },
	{ NULL, "event.long_click_release", "long press released" },
	{ NULL, "event.both_click", "both buttons pressed" },
	{ NULL, "event.leak", "water leak detected" },
	{ NULL, "event.no_leak", "leak cleared" },
	{ NULL, "event.vibrate", "vibration" },
	{ NULL, "event.tilt", "tilted" },
	{ NULL, "event.free_fall", "free fall" },
	{ NULL, "event.final_tilt_angle", "tilt angle after a tilt" },
	{ NULL, "event.coordination", "coordinates" },
	{ NULL, "event.bed_activity", "bed activity" },
	{ NULL, "event.keepalive", "keep-alive" },
	{ NULL, "event.flip90", "cube flipped 90 degrees" },
	{ NULL, "event.flip180", "cube flipped 180 degrees" },
	{ NULL, "event.shake_air", "cube shaken" },
	{ NULL, "event.tap_twice", "cube tapped twice" },
	{ NULL, "event.move", "cube moved" },
	{ NULL, "event.rotate", "cube rotated" },
	{ NULL, "event.alarm", "alarm" },
	{ NULL, "event.fire_alarm", "smoke alarm" },
	{ NULL, "event.gas_alarm", "gas alarm" },
	{ "gateway", "arming_on", "alarm armed" },
	{ "gateway", "arming_off", "alarm disarmed" },
	{ "gateway", "arming_oning", "alarm arming (waiting)" },
	{ "gateway", "event.alarm", "gateway alarm triggered" },
};

/* short / LAN forms -> full event names (a Lumi LAN {"status":"motion"}) */
static const struct { const char *s, *full; } canon[] = {
	{ "motion", "event.motion" }, { "no_motion", "event.no_motion" },
	{ "open", "event.open" }, { "close", "event.close" }, { "no_close", "event.no_close" },
	{ "click", "event.click" }, { "double_click", "event.double_click" },
	{ "long_click_press", "event.long_click_press" },
	{ "long_click_release", "event.long_click_release" },
	{ "leak", "event.leak" }, { "no_leak", "event.no_leak" },
	{ "vibrate", "event.vibrate" }, { "tilt", "event.tilt" },
	{ "free_fall", "event.free_fall" },
};

static const struct { const char *event, *type; } by_event[] = {
	{ "event.motion", "motion" }, { "event.no_motion", "motion" },
	{ "event.open", "magnet" }, { "event.close", "magnet" }, { "event.no_close", "magnet" },
	{ "event.click", "switch" }, { "event.double_click", "switch" },
	{ "event.long_click_press", "switch" }, { "event.long_click_release", "switch" },
	{ "event.leak", "leak" }, { "event.no_leak", "leak" },
	{ "event.vibrate", "vibration" }, { "event.tilt", "vibration" },
};

const struct mf_model_info *mf_model_find(const char *model)
{
	const struct mf_model_info *best = NULL;
	size_t i, bl = 0;

	if (!model || !*model)
		return NULL;
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i].model, model) == 0)
			return &models[i];
	for (i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		size_t l = strlen(models[i].model);

		if (l > bl && strncmp(models[i].model, model, l) == 0 &&
		    (models[i].model[l - 1] == '.' || models[i].model[l - 1] == '_' ||
		    model[l] == '.')) {
			best = &models[i];
			bl = l;
		}
	}
	return best;
}

const char *mf_event_meaning(const char *type, const char *event)
{
	size_t i;

	if (!event)
		return NULL;
	/* a type-specific meaning wins over the generic one */
	for (i = 0; type && i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (meanings[i].type && strcmp(meanings[i].type, type) == 0 &&
		    strcmp(meanings[i].event, event) == 0)
			return meanings[i].meaning;
	for (i = 0; i < sizeof(meanings) / sizeof(meanings[0]); i++)
		if (!meanings[i].type && strcmp(meanings[i].event, event) == 0)
			return meanings[i].meaning;
	return NULL;
}

const char *mf_event_canonical(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(canon) / sizeof(canon[0]); i++)
		if (strcmp(canon[i].s, name) == 0)
			return canon[i].full;
	return NULL;
}

const char *mf_type_from_event(const char *event)
{
	size_t i;

	for (i = 0; event && i < sizeof(by_event) / sizeof(by_event[0]); i++)
		if (strcmp(by_event[i].event, event) == 0)
			return by_event[i].type;
	return NULL;
}
