/*
 * mf_registry.h - one device registry joining what every source says about
 * a device: the phone's devicerecord (did, model, name, MAC, IP, parent,
 * room), miIO traffic (did, the device's IP), Lumi LAN (sid -> lumi.<sid>,
 * LAN model), and later the cloud device list.  Keyed by the did string as
 * the app and cloud write it (decimal for Wi-Fi devices, lumi.<sid> for
 * Zigbee children).
 */
#ifndef MF_REGISTRY_H
#define MF_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct mf_store;

#define MF_REG_SOURCES 5      /* enum mf_src_rank */
#define MF_REG_IPS 8          /* addresses kept per device */

struct mf_device {
	uint32_t did;             /* interned in the store */
	/* names as the app shows them (the app keeps them short; a longer one
	 * is cut at a character boundary) */
	char model[64], name[256], room[256], home[256], mac[24], ip[46], parent[48];
	char lan_model[48];       /* the Lumi LAN protocol's short model */
	/* every address a source gave (ip is the first): a phone record and
	 * the traffic may disagree (DHCP), which an examiner wants to see */
	char ips[MF_REG_IPS][46];
	uint8_t ip_src[MF_REG_IPS]; /* enum mf_src_rank */
	uint8_t nips;
	uint64_t events[MF_REG_SOURCES];    /* events seen per source */
	unsigned from_phone : 1, from_traffic : 1, from_cloud : 1;
	unsigned traffic_read : 1;
	unsigned alias : 1;       /* joined into canon (same MAC): not listed */
	uint32_t canon;           /* the did this one is known as */
};

struct mf_registry;

/* Builds the registry from every event in the store (reads them back). */
struct mf_registry *mf_registry_build(struct mf_store *st);
void mf_registry_free(struct mf_registry *r);

size_t mf_registry_count(const struct mf_registry *r);
const struct mf_device *mf_registry_get(const struct mf_registry *r, size_t i);
/* Rewrites the store's entries of aliased devices (a LAN id whose MAC is a
 * phone-recorded device) to the canonical did, keeping the original in
 * mf_ent.orig_did.  Call before correlating. */
void mf_registry_canonicalize(struct mf_registry *r, struct mf_store *st);

/* By interned did; NULL when unknown. */
const struct mf_device *mf_registry_find(const struct mf_registry *r, uint32_t did);

/* Adds model / device_name / room to an event object that lacks them,
 * right after its "did" (output order stays stable).  did: the event's
 * interned did (mf_ent.did). */
void mf_registry_name_event(const struct mf_registry *r, uint32_t did, cJSON *obj);

/* JSON array of the devices (for case.json), in did order. */
cJSON *mf_registry_json(const struct mf_registry *r, const struct mf_store *st);

#endif
