/*
 * mf_proto.h - what an application protocol decoder sees, and the one
 * table it registers in (mf_proto.c).  Adding a protocol = one file defining
 * a `const struct mf_udp_proto mf_proto_<name>` + one line in that table.
 */
#ifndef MF_PROTO_H
#define MF_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;
struct mf_frame;
struct mf_event;
struct mf_flow;

enum mf_dev_side { MF_DEV_UNKNOWN = 0, MF_DEV_IS_SRC, MF_DEV_IS_DST };

/* A UDP datagram, after link/IP/UDP decoding (and IP reassembly). */
struct mf_pkt {
	const struct mf_frame *frame; /* the frame that completed it */
	uint8_t ipver;                /* 4 or 6 */
	uint8_t addr_len;             /* 4 or 16 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t ipproto;              /* 17 for UDP */
	const uint8_t *payload;       /* valid only during the decode call */
	size_t len;                   /* bytes present at payload */
	size_t claimed_len;           /* UDP length field - 8 (may exceed len) */
	unsigned reassembled : 1;     /* built from IP fragments */
	uint16_t vlan[2];             /* 802.1Q / QinQ ids, outer first */
	uint8_t nvlan;
	/* A message read from a TCP stream (miIO's "ott" cloud link): its flow
	 * and direction give "net"; dev says which side is the device when the
	 * transport knows (the client of the ott link).  NULL / 0 for UDP. */
	const struct mf_flow *flow;
	int flow_dir;
	enum mf_dev_side dev;
};

struct mf_udp_proto {
	const char *name;             /* output "protocol" value */
	uint16_t ports[4];            /* either side; 0 terminates */
	/* Content test for traffic on other ports; NULL = ports only. */
	int (*probe)(const struct mf_pkt *p);
	void *(*state_new)(struct mf_ctx *ctx);
	void (*state_free)(void *state);
	/* Returns 0 or MF_ERR_NOMEM. Emits events through ctx. */
	int (*decode)(void *state, struct mf_ctx *ctx, const struct mf_pkt *p);
	/* Capture time moved on (called at most once per capture second) and at
	 * the end (final = 1): expire pending state. May be NULL. */
	void (*tick)(void *state, struct mf_ctx *ctx, int64_t now_ns, int final);
	/* Live capture: lines held back for later frames (a request waiting
	 * for its answer) captured before before_ns are written now, as they
	 * are.  Returns the capture time of the oldest line still held, or
	 * MF_TIME_NONE.  May be NULL. */
	int64_t (*release)(void *state, struct mf_ctx *ctx, int64_t before_ns);
};

/* NULL-terminated table of UDP protocols, defined in mf_proto.c. */
extern const struct mf_udp_proto *const mf_udp_protos[];

/* "192.168.1.2" / "fe80::1" */
void mf_addr_str(const uint8_t *addr, uint8_t len, char out[46]);

/* Adds the "net" object {"src","sport","dst","dport","vlan"?,"community_id"}
 * to ev. Returns 0 or MF_ERR_NOMEM. */
int mf_pkt_add_net(struct mf_event *ev, const struct mf_pkt *p);

/* Community ID v1 (seed 0) of the UDP/TCP flow ("1:...=") */
void mf_community_id(const struct mf_pkt *p, char out[40]);

#endif
