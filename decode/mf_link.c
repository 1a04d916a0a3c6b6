/*
 * mf_link.c - link-layer headers; see mf_link.h.
 *
 * Reference: pcap-linktype(7) / https://www.tcpdump.org/linktypes.html and
 * the per-type pages (LINKTYPE_LINUX_SLL.html, LINKTYPE_LINUX_SLL2.html,
 * LINKTYPE_NULL.html); IEEE 802.1Q (C-tag 0x8100), 802.1ad (S-tag 0x88a8),
 * pre-standard QinQ 0x9100; RFC 1042 (LLC/SNAP).
 *
 * Ethernet (1)                      802.1Q / 802.1ad tag (repeatable)
 * +--------+--------+------+        +-------------+--------------+------+
 * | dst(6) | src(6) | type |        | TPID 0x8100 | PCP3 DEI1    | type |
 * +--------+--------+------+        | 0x88a8 ...  | VID12        |      |
 *                                   +-------------+--------------+------+
 * Linux cooked v1 (113), 16 bytes
 * +----------+---------+----------+-------------+----------+
 * | pkttype2 | hatype2 | addrlen2 | addr(8)     | proto 2  |  proto = EtherType
 * +----------+---------+----------+-------------+----------+
 * Linux cooked v2 (276), 20 bytes
 * +---------+--------+---------+---------+---------+---------+---------+
 * | proto 2 | rsvd 2 | ifidx 4 | hatype2 | pkttype1| addrlen1| addr(8) |
 * +---------+--------+---------+---------+---------+---------+---------+
 * BSD NULL (0) / OpenBSD LOOP (108): 4-byte address family, host byte order
 * of the capturing machine (NULL) or big-endian (LOOP); AF_INET = 2,
 * AF_INET6 = 24 (NetBSD/OpenBSD/BSD/OS), 28 (FreeBSD/DragonFly), 30 (Darwin).
 * Raw IP (101, 12, 14): version nibble decides; 228 IPv4, 229 IPv6 only.
 */
#include "mf_link.h"

#include "mf_cur.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_8021Q 0x8100
#define ETH_8021AD 0x88a8
#define ETH_QINQ_OLD 0x9100

int mf_link_supported(uint32_t linktype)
{
	switch (linktype) {
	case MF_LINKTYPE_NULL:
	case MF_LINKTYPE_ETHERNET:
	case MF_LINKTYPE_DLT_RAW1:
	case MF_LINKTYPE_DLT_RAW2:
	case MF_LINKTYPE_RAW:
	case MF_LINKTYPE_LOOP:
	case MF_LINKTYPE_LINUX_SLL:
	case MF_LINKTYPE_IPV4:
	case MF_LINKTYPE_IPV6:
	case MF_LINKTYPE_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

static int set_l3(struct mf_l2 *out, struct mf_cur *c, uint8_t ipver)
{
	out->l3 = c->pos;
	out->l3len = mf_cur_left(c);
	out->ipver = ipver;
	return MF_LINK_OK;
}

/* EtherType (already read) followed by VLAN tags and the payload at c.
 * Shared by Ethernet and both cooked headers: libpcap re-inserts the tag the
 * kernel stripped right where the EtherType was, in SLL frames too. */
static int ethertype(struct mf_l2 *out, struct mf_cur *c, uint16_t type)
{
	while (type == ETH_8021Q || type == ETH_8021AD || type == ETH_QINQ_OLD) {
		const uint8_t *t = mf_cur_bytes(c, 4);

		if (!t)
			return MF_LINK_TRUNC;
		if (out->nvlan < 2)
			out->vlan[out->nvlan++] = mf_be16(t) & 0x0fff;
		type = mf_be16(t + 2);
	}
	if (type == ETH_IPV4)
		return set_l3(out, c, 4);
	if (type == ETH_IPV6)
		return set_l3(out, c, 6);
	if (type < 0x0600) {
		/* 802.3 length field: only LLC/SNAP (AA AA 03, OUI 0) carries an
		 * EtherType; other LLC payloads are not IP. */
		const uint8_t *s = mf_cur_bytes(c, 8);

		if (!s)
			return MF_LINK_TRUNC;
		if (s[0] != 0xaa || s[1] != 0xaa || s[2] != 0x03 || s[3] || s[4] || s[5])
			return MF_LINK_NOT_IP;
		type = mf_be16(s + 6);
		if (type == ETH_IPV4)
			return set_l3(out, c, 4);
		if (type == ETH_IPV6)
			return set_l3(out, c, 6);
	}
	return MF_LINK_NOT_IP;
}

static int bsd_af(struct mf_l2 *out, struct mf_cur *c, uint32_t af)
{
	switch (af) {
	case 2:
		return set_l3(out, c, 4);
	case 24:
	case 28:
	case 30:
		return set_l3(out, c, 6);
	default:
		return MF_LINK_NOT_IP;
	}
}

static int raw_ip(struct mf_l2 *out, struct mf_cur *c)
{
	uint8_t v;

	if (!mf_cur_has(c, 1))
		return MF_LINK_TRUNC;
	v = c->pos[0] >> 4;
	if (v == 4 || v == 6)
		return set_l3(out, c, v);
	return MF_LINK_BAD_VERSION;
}

int mf_link_parse(uint32_t linktype, const uint8_t *data, size_t caplen, struct mf_l2 *out)
{
	struct mf_cur c;
	const uint8_t *h;
	uint32_t af;

	mf_cur_init(&c, data, caplen);
	out->nvlan = 0;
	out->l3 = NULL;
	out->l3len = 0;
	out->ipver = 0;

	switch (linktype) {
	case MF_LINKTYPE_ETHERNET:
		if (!(h = mf_cur_bytes(&c, 14)))
			return MF_LINK_TRUNC;
		return ethertype(out, &c, mf_be16(h + 12));
	case MF_LINKTYPE_LINUX_SLL:
		if (!(h = mf_cur_bytes(&c, 16)))
			return MF_LINK_TRUNC;
		return ethertype(out, &c, mf_be16(h + 14));
	case MF_LINKTYPE_LINUX_SLL2:
		if (!(h = mf_cur_bytes(&c, 20)))
			return MF_LINK_TRUNC;
		return ethertype(out, &c, mf_be16(h));
	case MF_LINKTYPE_NULL:
		if (!(h = mf_cur_bytes(&c, 4)))
			return MF_LINK_TRUNC;
		/* Written in the capturing host's order, which the file does not
		 * record: an AF value is small, so the non-zero half tells. */
		af = mf_le32(h);
		if (af > 0xffff)
			af = mf_be32(h);
		return bsd_af(out, &c, af);
	case MF_LINKTYPE_LOOP:
		if (!(h = mf_cur_bytes(&c, 4)))
			return MF_LINK_TRUNC;
		return bsd_af(out, &c, mf_be32(h));
	case MF_LINKTYPE_RAW:
	case MF_LINKTYPE_DLT_RAW1:
	case MF_LINKTYPE_DLT_RAW2:
		return raw_ip(out, &c);
	case MF_LINKTYPE_IPV4:
		return set_l3(out, &c, 4);
	case MF_LINKTYPE_IPV6:
		return set_l3(out, &c, 6);
	default:
		return MF_LINK_UNKNOWN;
	}
}
