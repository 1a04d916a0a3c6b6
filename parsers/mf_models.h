/*
 * mf_models.h - what the program knows about Xiaomi/Aqara/Yeelight models:
 * the device type and the meaning of each event name
 * (../shared/reference/phone-artifacts.md section 5, lumi-lan.md).
 * The knowledge is data (the tables in mf_models.c); a model or event that
 * is not in them passes through unnamed.
 */
#ifndef MF_MODELS_H
#define MF_MODELS_H

struct mf_model_info {
	const char *model;    /* exact model, or a prefix ending in '.' */
	const char *type;     /* "motion", "magnet", "switch", "gateway", ... */
	const char *product;  /* marketing name, "" when unknown */
};

/* Exact match first, then the longest prefix entry.  NULL when unknown. */
const struct mf_model_info *mf_model_find(const char *model);

/* Meaning of an event for a device type ("motion detected"), or NULL. */
const char *mf_event_meaning(const char *type, const char *event);

/* Xiaomi's full event name for a short or LAN form ("motion" ->
 * "event.motion", "open" -> "event.open"); NULL when name is already full
 * or unknown. */
const char *mf_event_canonical(const char *name);

/* Device type guessed from the events it reports (a log of a device whose
 * model is unknown): "motion" for event.motion, ...; NULL when unknown. */
const char *mf_type_from_event(const char *event);

#endif
