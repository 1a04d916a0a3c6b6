/*
 * mf_ip.h - IPv4 and IPv6 headers (with the IPv6 extension-header chain):
 * from the network-layer bytes to the transport payload.  Stateless; the
 * caller (mf_decode.c) decides what becomes an anomaly.  Private to decode/.
 */
#ifndef MF_IP_H
#define MF_IP_H

#include <stddef.h>
#include <stdint.h>

enum mf_ip_status {
	MF_IP_OK = 0,
	MF_IP_SHORT,   /* the captured bytes end inside a header */
	MF_IP_BAD      /* a header is invalid; reason/detail in struct mf_ip_err */
};

struct mf_ip_err {
	const char *reason;   /* static anomaly name */
	char detail[96];
};

struct mf_ip {
	uint8_t ver;          /* 4 or 6 */
	uint8_t addr_len;     /* 4 or 16 */
	uint8_t proto;        /* transport protocol (IPv6: after the extension headers) */
	uint8_t src[16], dst[16];
	const uint8_t *pl;    /* transport bytes captured (Ethernet padding trimmed) */
	size_t pl_len;        /* bytes present at pl */
	size_t pl_claimed;    /* transport length per the IP header (>= pl_len) */
	/* A fragment (not an atomic one): pl is this fragment's data. */
	uint8_t frag, frag_more;
	uint32_t frag_off;    /* bytes */
	uint32_t frag_id;
};

/* Both return enum mf_ip_status; *ip is valid for MF_IP_OK. */
int mf_ipv4_parse(const uint8_t *p, size_t len, struct mf_ip *ip, struct mf_ip_err *err);
int mf_ipv6_parse(const uint8_t *p, size_t len, struct mf_ip *ip, struct mf_ip_err *err);

/* Continues the IPv6 extension-header chain over a reassembled fragmentable
 * part (first header `nh`); another fragment header there is invalid.  ip's
 * addresses are kept, pl/proto replaced. */
int mf_ipv6_chain(uint8_t nh, const uint8_t *p, size_t len, size_t claimed, struct mf_ip *ip,
                  struct mf_ip_err *err);

#endif
