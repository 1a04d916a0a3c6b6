/*
 * mf_store.h - the event list of an analysis, bounded in memory.
 *
 * Events arrive from every source in any order.  Each is serialised to one
 * JSON line in an unlinked temporary file; memory keeps only a small index
 * entry (time, sequence, file offset, and the interned fields correlation
 * and the registry need).  Sorting sorts the index; writers read the lines
 * back in order.  Memory is 56 bytes per event (the index; up to twice that
 * while it grows) whatever the event size.
 */
#ifndef MF_STORE_H
#define MF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct mf_event;

/* Source ranks double as the stable secondary sort key. */
enum mf_src_rank { MF_SRC_PCAP = 0, MF_SRC_LIVE, MF_SRC_CLOUD, MF_SRC_PHONE, MF_SRC_OTHER };

struct mf_ent {
	int64_t ts_ns;          /* MF_TIME_NONE sorts first */
	uint64_t off;           /* in the spill file; grows with arrival, so it is
	                         * also the arrival order */
	uint32_t len;
	uint32_t did;           /* interned, 0 = none */
	uint32_t event;         /* interned event name, 0 = none */
	uint32_t kind;          /* interned */
	uint32_t artifact;      /* interned phone artifact ("device-log"), 0 = none */
	uint32_t orig_did;      /* before the registry joined aliases, 0 = same */
	uint32_t group;         /* correlation group, 0 = none */
	int32_t delta_ms;       /* correlation delta (this - phone), ms */
	uint8_t src;            /* enum mf_src_rank */
	uint8_t matched_src;    /* bitmask of the sources it was matched with */
	uint16_t input;         /* mf_store_set_input's value when it arrived */
};

struct mf_store;

/* Returns NULL when the temporary file cannot be made (errno set). */
struct mf_store *mf_store_new(void);
void mf_store_free(struct mf_store *s);

/* Takes ownership of ev (freed here).  Returns 0 or MF_ERR_NOMEM/IO. */
int mf_store_add(struct mf_store *s, struct mf_event *ev);
/* mf_emit_fn-compatible sink around mf_store_add. */
int mf_store_emit(void *arg, struct mf_event *ev);

/* Which input the events added from now on come from (0 = none given):
 * correlation tells the same record read from two inputs (two phones) from
 * two records of one. */
void mf_store_set_input(struct mf_store *s, unsigned input);

/* Sorts by (ts, source rank, arrival): deterministic for the same inputs. */
void mf_store_sort(struct mf_store *s);

size_t mf_store_count(const struct mf_store *s);
struct mf_ent *mf_store_ent(struct mf_store *s, size_t i);
/* Parses entry i's line back (caller frees).  NULL on error. */
cJSON *mf_store_load(struct mf_store *s, size_t i);

/* String interning (ids from 1). */
uint32_t mf_store_intern(struct mf_store *s, const char *str);
const char *mf_store_str(const struct mf_store *s, uint32_t id);

#endif
