/*
 * mf_net.c - network helpers shared by the protocol decoders (declared in
 * mf_proto.h): address text, the "net" object of an event, Community ID.
 *
 * Reference: Community ID v1, https://github.com/corelight/community-id-spec
 * (../shared/reference/timeline-formats.md section 4):
 *
 *   "1:" + base64(SHA1( seed(2) | addr_a | addr_b | proto(1) | 0x00 |
 *                       port_a(2) | port_b(2) ))
 *
 * big-endian integers; (addr_a, port_a) is the smaller endpoint, addresses
 * compared byte-wise first, so both directions of a flow share one id.
 * ICMP/ICMPv6 put the type and the counterpart type (or code) in the port
 * slots; protocols without ports omit both port fields.
 */
#include "mf_proto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_stream.h"

#define CID_SEED 0

void mf_addr_str(const uint8_t *addr, uint8_t len, char out[46])
{
	if ((len != 4 && len != 16) ||
	    !inet_ntop(len == 4 ? AF_INET : AF_INET6, addr, out, 46))
		snprintf(out, 46, "?");
}

/* ICMP / ICMPv6 request-reply pairs: type -> counterpart, or -1. */
static int icmp_peer(uint8_t proto, uint8_t type)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 10, 9 }, { 17, 18 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 130, 131 }, { 133, 134 }, { 135, 136 },
	                                 { 139, 140 }, { 144, 145 } };
	const uint8_t (*t)[2] = proto == 1 ? v4 : v6;
	size_t i, n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (i = 0; i < n; i++) {
		if (t[i][0] == type)
			return t[i][1];
		if (t[i][1] == type)
			return t[i][0];
	}
	return -1;
}

/* For ICMP (1) / ICMPv6 (58) p->sport carries the type, p->dport the code. */
void mf_community_id(const struct mf_pkt *p, char out[40])
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], md[EVP_MAX_MD_SIZE];
	const uint8_t *a = p->src, *b = p->dst;
	uint16_t pa = p->sport, pb = p->dport;
	unsigned mdlen = 0;
	size_t n = 0, al = p->addr_len == 16 ? 16 : 4;
	int ports = 1, one_way = 0, cmp;

	switch (p->ipproto) {
	case 6:
	case 17:
	case 132:
		break;
	case 1:
	case 58: {
		int peer = icmp_peer(p->ipproto, (uint8_t)p->sport);

		if (peer >= 0)
			pb = (uint16_t)peer;
		else
			one_way = 1;   /* port_b = code, no reordering */
		break;
	}
	default:
		ports = 0;
		break;
	}
	cmp = memcmp(a, b, al);
	if (!one_way && (cmp > 0 || (cmp == 0 && pa > pb))) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	mf_put_be16(buf, CID_SEED);
	n = 2;
	memcpy(buf + n, a, al);
	n += al;
	memcpy(buf + n, b, al);
	n += al;
	buf[n++] = p->ipproto;
	buf[n++] = 0;
	if (ports) {
		mf_put_be16(buf + n, pa);
		mf_put_be16(buf + n + 2, pb);
		n += 4;
	}
	memcpy(out, "1:", 2);
	if (EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20) {
		snprintf(out, 40, "1:?");
		return;
	}
	EVP_EncodeBlock((unsigned char *)out + 2, md, 20);   /* 28 chars + NUL */
}

int mf_pkt_add_net(struct mf_event *ev, const struct mf_pkt *p)
{
	cJSON *o, *v;
	char s[46], d[46], cid[40];
	uint8_t i;

	if (p->flow)
		return mf_flow_add_net(ev, p->flow, p->flow_dir);   /* + tcp_stream */
	if (!(o = cJSON_CreateObject()))
		return MF_ERR_NOMEM;
	mf_addr_str(p->src, p->addr_len, s);
	mf_addr_str(p->dst, p->addr_len, d);
	mf_community_id(p, cid);
	if (!cJSON_AddStringToObject(o, "src", s) ||
	    !cJSON_AddNumberToObject(o, "sport", p->sport) ||
	    !cJSON_AddStringToObject(o, "dst", d) ||
	    !cJSON_AddNumberToObject(o, "dport", p->dport))
		goto nomem;
	if (p->nvlan) {
		if (!(v = cJSON_AddArrayToObject(o, "vlan")))
			goto nomem;
		for (i = 0; i < p->nvlan && i < 2; i++) {
			cJSON *n = cJSON_CreateNumber(p->vlan[i]);

			if (!n || !cJSON_AddItemToArray(v, n)) {
				cJSON_Delete(n);
				goto nomem;
			}
		}
	}
	if (!cJSON_AddStringToObject(o, "community_id", cid))
		goto nomem;
	return mf_event_add(ev, "net", o);
nomem:
	cJSON_Delete(o);
	return MF_ERR_NOMEM;
}
