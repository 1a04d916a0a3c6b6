/*
 * mf_frame.h - what capture/ hands to decode/: one link-layer frame.
 * The bytes are borrowed: valid only during the callback.
 */
#ifndef MF_FRAME_H
#define MF_FRAME_H

#include <stdint.h>

/* One evidence input (capture file, live interface, extraction). */
struct mf_input {
	const char *path;   /* as given by the user */
	const char *name;   /* basename, used in evidence fields */
	const char *source; /* "pcap" or "live" */
	int index;          /* position on the command line */
	char sha256[65];    /* hex, filled once the whole input was read */
	uint64_t size;      /* bytes read from the file (compressed size for .gz) */
};

struct mf_frame {
	const uint8_t *data;
	uint32_t caplen;    /* bytes present at data */
	uint32_t wirelen;   /* original length on the wire (>= caplen normally) */
	int64_t ts_ns;      /* capture time, UTC ns */
	uint32_t linktype;  /* LINKTYPE_* (pcap-linktype(7)) */
	uint32_t ifindex;   /* pcapng interface id, 0 for pcap */
	uint64_t number;    /* 1-based frame number within its input */
	const struct mf_input *input;
};

#endif
