/*
 * mf_link.h - link-layer headers: from a captured frame to the bytes of its
 * IPv4/IPv6 packet (+ VLAN ids).  Stateless; private to decode/.
 */
#ifndef MF_LINK_H
#define MF_LINK_H

#include <stddef.h>
#include <stdint.h>

/* LINKTYPE_* values (pcap-linktype(7)) we decode. */
#define MF_LINKTYPE_NULL 0
#define MF_LINKTYPE_ETHERNET 1
#define MF_LINKTYPE_DLT_RAW1 12     /* DLT_RAW on most BSDs, written as is */
#define MF_LINKTYPE_DLT_RAW2 14     /* DLT_RAW on OpenBSD */
#define MF_LINKTYPE_RAW 101
#define MF_LINKTYPE_LOOP 108
#define MF_LINKTYPE_LINUX_SLL 113
#define MF_LINKTYPE_IPV4 228
#define MF_LINKTYPE_IPV6 229
#define MF_LINKTYPE_LINUX_SLL2 276

enum mf_link_status {
	MF_LINK_OK = 0,       /* l3 points at an IPv4 or IPv6 packet */
	MF_LINK_NOT_IP,       /* ARP, LLDP, ...: nothing for us */
	MF_LINK_TRUNC,        /* frame ends inside the link header */
	MF_LINK_BAD_VERSION,  /* raw-IP link whose first nibble is neither 4 nor 6 */
	MF_LINK_UNKNOWN       /* link type not supported */
};

struct mf_l2 {
	const uint8_t *l3;    /* network-layer bytes (borrowed from the frame) */
	size_t l3len;         /* captured bytes at l3 */
	uint8_t ipver;        /* 4 or 6 when MF_LINK_OK */
	uint8_t nvlan;        /* VLAN tags recorded (at most 2, outer first) */
	uint16_t vlan[2];
};

/* Parses the link header of `linktype` over caplen bytes into *out.
 * Returns one of enum mf_link_status. */
int mf_link_parse(uint32_t linktype, const uint8_t *data, size_t caplen, struct mf_l2 *out);

int mf_link_supported(uint32_t linktype);

#endif
