/*
 * mf_ip.c - IPv4 / IPv6 headers; see mf_ip.h.
 *
 * Reference: RFC 791 (IPv4), RFC 8200 (IPv6, extension headers, fragment
 * header), RFC 6946 (atomic fragments are not fragments), RFC 2675 (payload
 * length 0 = jumbogram).
 *
 * IPv4                                        IPv6
 *  0       4       8               16      31  0     4         12             31
 * +-------+-------+---------------+---------+ +-----+---------+---------------+
 * |ver=4  | IHL   | DSCP/ECN      | total   | |ver=6| class   | flow label    |
 * +-------+-------+---------------+ length  | +-----+---------+---+-----+-----+
 * | identification| flags|frag off (x8)     | | payload length    | nh  | hop |
 * +---------------+------+------------------+ +-------------------+-----+-----+
 * | TTL   | proto | header checksum         | | source address (16)           |
 * +-------+-------+-------------------------+ +-------------------------------+
 * | source address                          | | destination address (16)      |
 * | destination address                     | +-------------------------------+
 * | options (IHL > 5)                       |
 * +-----------------------------------------+
 * IPv6 extension headers walked: hop-by-hop (0), routing (43), destination
 * options (60): | nh | len (8-byte units beyond the first 8) | ... |;
 * fragment (44), 8 bytes: | nh | rsvd | offset(13) rsvd(2) M(1) | id(32) |.
 * Anything else ends the chain and is the transport protocol.
 */
#include "mf_ip.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mf_cur.h"

#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS 60

static int bad(struct mf_ip_err *err, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(struct mf_ip_err *err, const char *reason, const char *fmt, ...)
{
	va_list ap;

	err->reason = reason;
	va_start(ap, fmt);
	vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
	va_end(ap);
	return MF_IP_BAD;
}

int mf_ipv4_parse(const uint8_t *p, size_t len, struct mf_ip *ip, struct mf_ip_err *err)
{
	unsigned ihl, tot, fo;

	if (len < 1)
		return MF_IP_SHORT;
	if (p[0] >> 4 != 4)
		return bad(err, "ipv4_bad_header", "version %u", p[0] >> 4);
	ihl = (p[0] & 15u) * 4;
	if (ihl < 20)
		return bad(err, "ipv4_bad_header", "header length %u < 20", ihl);
	if (len < 20)
		return MF_IP_SHORT;
	tot = mf_be16(p + 2);
	/* 0 is what a sender's TSO/GSO leaves in packets captured on that host:
	 * the length is unknown, not wrong (Wireshark treats it the same way). */
	if (tot == 0)
		tot = len > 0xffff ? 0xffff : (unsigned)len;
	if (tot < ihl)
		return bad(err, "ipv4_bad_header", "total length %u < header length %u", tot, ihl);
	if (len < ihl)
		return MF_IP_SHORT;
	if (len > tot)
		len = tot;  /* Ethernet padding or a trailer */

	ip->ver = 4;
	ip->addr_len = 4;
	ip->proto = p[9];
	memcpy(ip->src, p + 12, 4);
	memcpy(ip->dst, p + 16, 4);
	ip->pl = p + ihl;
	ip->pl_len = len - ihl;
	ip->pl_claimed = tot - ihl;
	fo = mf_be16(p + 6);
	ip->frag_off = (fo & 0x1fffu) * 8;
	ip->frag_more = (fo & 0x2000u) != 0;
	ip->frag = ip->frag_off != 0 || ip->frag_more;
	ip->frag_id = mf_be16(p + 4);
	return MF_IP_OK;
}

/* Walks extension headers from c (captured bytes, already trimmed to the
 * claimed length `claimed`). */
static int chain(uint8_t nh, struct mf_cur *c, size_t claimed, struct mf_ip *ip,
                 struct mf_ip_err *err, int allow_frag)
{
	for (;;) {
		size_t hlen, left = mf_cur_left(c);
		const uint8_t *h;

		switch (nh) {
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
			if (claimed < 2)
				return bad(err, "ipv6_bad_header",
				    "extension header %u runs past the payload length", nh);
			if (left < 2)
				return MF_IP_SHORT;
			hlen = ((size_t)c->pos[1] + 1) * 8;
			break;
		case IP6_FRAGMENT:
			if (!allow_frag)
				return bad(err, "ipv6_bad_header",
				    "fragment header inside a reassembled packet");
			hlen = 8;
			break;
		default:
			ip->proto = nh;
			ip->pl = c->pos;
			ip->pl_len = left;
			ip->pl_claimed = claimed;
			return MF_IP_OK;
		}
		if (hlen > claimed)
			return bad(err, "ipv6_bad_header",
			    "extension header %u of %zu bytes runs past the payload length", nh,
			    hlen);
		if (!(h = mf_cur_bytes(c, hlen)))
			return MF_IP_SHORT;
		claimed -= hlen;
		if (nh == IP6_FRAGMENT) {
			unsigned off = mf_be16(h + 2) & 0xfff8u, more = h[3] & 1u;

			nh = h[0];
			if (off == 0 && !more)
				continue;  /* atomic fragment: a whole packet (RFC 6946) */
			allow_frag = 0;
			ip->frag = 1;
			ip->frag_off = off;
			ip->frag_more = (uint8_t)more;
			ip->frag_id = mf_be32(h + 4);
			ip->proto = nh;
			ip->pl = c->pos;
			ip->pl_len = mf_cur_left(c);
			ip->pl_claimed = claimed;
			return MF_IP_OK;
		}
		nh = h[0];
	}
}

int mf_ipv6_parse(const uint8_t *p, size_t len, struct mf_ip *ip, struct mf_ip_err *err)
{
	struct mf_cur c;
	size_t claimed;

	if (len < 1)
		return MF_IP_SHORT;
	if (p[0] >> 4 != 6)
		return bad(err, "ipv6_bad_header", "version %u", p[0] >> 4);
	if (len < 40)
		return MF_IP_SHORT;
	claimed = mf_be16(p + 4);
	/* 0: a jumbogram (RFC 2675) or a GSO super-packet; either way the
	 * captured bytes are all we know. */
	if (claimed == 0)
		claimed = len - 40;
	if (len - 40 > claimed)
		len = 40 + claimed;  /* Ethernet padding */

	ip->ver = 6;
	ip->addr_len = 16;
	memcpy(ip->src, p + 8, 16);
	memcpy(ip->dst, p + 24, 16);
	ip->frag = 0;
	ip->frag_more = 0;
	ip->frag_off = 0;
	ip->frag_id = 0;
	mf_cur_init(&c, p + 40, len - 40);
	return chain(p[6], &c, claimed, ip, err, 1);
}

int mf_ipv6_chain(uint8_t nh, const uint8_t *p, size_t len, size_t claimed, struct mf_ip *ip,
                  struct mf_ip_err *err)
{
	struct mf_cur c;

	if (len > claimed)
		len = claimed;
	mf_cur_init(&c, p, len);
	ip->frag = 0;
	ip->frag_more = 0;
	ip->frag_off = 0;
	return chain(nh, &c, claimed, ip, err, 0);
}
