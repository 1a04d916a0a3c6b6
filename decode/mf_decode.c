/*
 * mf_decode.c - frames in, UDP datagrams out to the protocol table; see
 * mf_decode.h.  Link (mf_link.c) -> IPv4/IPv6 (mf_ip.c) -> fragments
 * (mf_ipfrag.c) -> UDP (here) -> each matching mf_udp_proto; TCP segments
 * go to the reassembler (mf_tcp.c) and its stream consumers.
 *
 * Reference: RFC 768 (UDP), RFC 2675 section 4 (UDP length 0 in an IPv6
 * jumbogram).
 *
 *  0      7 8     15 16    23 24    31
 * +--------+--------+--------+--------+
 * |   source port   |    dest port    |
 * +--------+--------+--------+--------+
 * |     length      |    checksum     |   length = 8 + data bytes
 * +--------+--------+--------+--------+
 * |  data ...                         |
 *
 * The checksum is not verified: captures taken on the sending host carry
 * whatever the offloading NIC had not yet filled in.
 *
 * Anomaly policy (so that bad input is never silent but a capture never
 * floods): a header that is invalid is reported for every packet; a frame
 * that is complete but shorter than its headers say is reported; a frame
 * merely cut by the capture's snapshot length is normal for traffic we do
 * not decode, so it is reported only for datagrams a protocol takes, and
 * otherwise noted once per input ("snaplen_short").
 */
#include "mf_decode_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_ip.h"
#include "mf_ipfrag.h"
#include "mf_keylog.h"
#include "mf_link.h"
#include "mf_micloud_held.h"
#include "mf_miio_held.h"
#include "mf_tcp.h"
#include "mf_time.h"

#define NOTES_MAX 32
#define NOTE_SNAPLEN 0xffffffffu   /* note key beside the link types */
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

/* Something said once per (input, code): unknown link types, snaplen. */
struct note {
	const struct mf_input *in;
	uint32_t code;
};

struct mf_decoder {
	struct mf_ctx *ctx;
	const struct mf_udp_proto *const *protos;
	void **state;                   /* one per protocol */
	size_t nprotos;
	struct mf_ipfrag *frag;
	struct mf_tcp *tcp;
	int64_t last_tick;
	int ticking;                    /* last_tick is set */
	size_t keys_seen;               /* key store size the consumers last saw */
	unsigned cloud_held : 1;        /* joined ctx's queue of Mi cloud calls waiting
	                                   for a key (left at finish) */
	unsigned miio_held : 1;         /* joined ctx's queue of miIO frames waiting
	                                   for a token (left at finish) */
	struct note notes[NOTES_MAX];
	unsigned nnotes, note_next;
};

/* One packet on its way down. */
struct walk {
	const struct mf_frame *f;
	const struct mf_l2 *l2;
	unsigned snapcut : 1;       /* bytes may be missing because of the snaplen */
	unsigned trunc_noted : 1;   /* its truncation was already reported */
	unsigned reassembled : 1;
};

static int anomaly(struct mf_decoder *d, const struct mf_frame *f, const char *proto,
                   const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int anomaly(struct mf_decoder *d, const struct mf_frame *f, const char *proto,
                   const char *reason, const char *fmt, ...)
{
	char detail[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	rc = mf_anomaly_frame(d->ctx, f, f->input && f->input->source ? f->input->source : "pcap",
	    proto, reason, "%s", detail);
	/* Only running out of memory stops decoding; a sink's other errors are
	 * the sink's to report. */
	return rc == MF_ERR_NOMEM ? rc : 0;
}

/* Like anomaly(), with the datagram's "net" object so that an examiner sees
 * which flow it concerns. */
static int anomaly_pkt(struct mf_decoder *d, const struct mf_pkt *p, const char *proto,
                       const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int anomaly_pkt(struct mf_decoder *d, const struct mf_pkt *p, const char *proto,
                       const char *reason, const char *fmt, ...)
{
	const struct mf_frame *f = p->frame;
	struct mf_event *ev;
	char detail[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ev = mf_event_new(f->ts_ns, f->input && f->input->source ? f->input->source : "pcap",
	    proto, "anomaly");
	if (!ev)
		return MF_ERR_NOMEM;
	if (mf_event_str(ev, "reason", reason) || mf_event_str(ev, "detail", detail) ||
	    mf_pkt_add_net(ev, p) || mf_event_frame_evidence(ev, f)) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	rc = mf_emit(d->ctx, ev);
	return rc == MF_ERR_NOMEM ? rc : 0;
}

/* "192.168.1.2 -> 192.168.1.3" for anomalies below UDP. */
static void flow_str(const struct mf_ip *ip, char *out, size_t n)
{
	char s[46], t[46];

	mf_addr_str(ip->src, ip->addr_len, s);
	mf_addr_str(ip->dst, ip->addr_len, t);
	snprintf(out, n, "%s -> %s", s, t);
}

/* Reports (input, code) the first time only; the ring forgets the oldest
 * pair, which at worst repeats a note. */
static int note_once(struct mf_decoder *d, const struct mf_frame *f, uint32_t code,
                     const char *reason, const char *detail)
{
	unsigned i;

	for (i = 0; i < d->nnotes; i++)
		if (d->notes[i].in == f->input && d->notes[i].code == code)
			return 0;
	d->notes[d->note_next].in = f->input;
	d->notes[d->note_next].code = code;
	d->note_next = (d->note_next + 1) % NOTES_MAX;
	if (d->nnotes < NOTES_MAX)
		d->nnotes++;
	return anomaly(d, f, "link", reason, "%s", detail);
}

static int note_snaplen(struct mf_decoder *d, const struct mf_frame *f)
{
	return note_once(d, f, NOTE_SNAPLEN, "snaplen_short",
	    "frames cut by the capture's snapshot length inside their headers are skipped "
	    "(this is the first; later ones are not reported)");
}

/* ---- construction, time ------------------------------------------------ */

struct mf_decoder *mf_decoder_new_table(struct mf_ctx *ctx,
                                        const struct mf_udp_proto *const *table)
{
	struct mf_decoder *d = calloc(1, sizeof(*d));
	size_t i;

	if (!d)
		return NULL;
	d->ctx = ctx;
	d->protos = table;
	while (table[d->nprotos])
		d->nprotos++;
	d->state = calloc(d->nprotos ? d->nprotos : 1, sizeof(*d->state));
	d->frag = mf_ipfrag_new(ctx);
	d->tcp = mf_tcp_new(ctx, mf_tcp_protos);
	d->keys_seen = mf_keylog_count(ctx->keylog);
	if (!d->state || !d->frag || !d->tcp)
		goto fail;
	/* Mi cloud calls seen before the ssecurity that opens them wait for it
	 * until mf_decoder_finish */
	if (mf_micloud_held_begin(ctx) != 0)
		goto fail;
	d->cloud_held = 1;
	/* miIO frames seen before the token that opens them, likewise */
	if (mf_miio_held_begin(ctx) != 0)
		goto fail;
	d->miio_held = 1;
	for (i = 0; i < d->nprotos; i++) {
		if (!table[i]->state_new)
			continue;
		/* NULL from state_new means it could not allocate. */
		if (!(d->state[i] = table[i]->state_new(ctx)))
			goto fail;
	}
	return d;
fail:
	mf_decoder_free(d);
	return NULL;
}

void mf_decoder_free(struct mf_decoder *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; d->state && i < d->nprotos; i++)
		if (d->state[i] && d->protos[i]->state_free)
			d->protos[i]->state_free(d->state[i]);
	free(d->state);
	mf_ipfrag_free(d->frag);
	mf_tcp_free(d->tcp);
	if (d->cloud_held)
		mf_micloud_held_drop(d->ctx);   /* no finish: like the other pending state */
	if (d->miio_held)
		mf_miio_held_drop(d->ctx);      /* after the states that held frames */
	free(d);
}

static void tick_all(struct mf_decoder *d, int64_t now, int final)
{
	size_t i;

	for (i = 0; i < d->nprotos; i++)
		if (d->protos[i]->tick)
			d->protos[i]->tick(d->state[i], d->ctx, now, final);
}

/* Ticks once per second of capture time.  Unsigned differences: capture
 * times are untrusted and a signed subtraction could overflow. */
static void clock_advance(struct mf_decoder *d, int64_t now)
{
	if (!d->ticking) {
		d->ticking = 1;
		d->last_tick = now;
	} else if (now >= d->last_tick) {
		if ((uint64_t)now - (uint64_t)d->last_tick >= (uint64_t)MF_NS_PER_S) {
			d->last_tick = now;
			mf_ipfrag_expire(d->frag, now);
			mf_tcp_expire(d->tcp, now);
			tick_all(d, now, 0);
			/* frames and calls waiting for a token or key give up in time */
			(void)mf_miio_held_expire(d->ctx, now);
			(void)mf_micloud_held_expire(d->ctx, now);
		}
	} else if ((uint64_t)d->last_tick - (uint64_t)now > (uint64_t)MF_NS_PER_S) {
		d->last_tick = now;   /* the clock went back (merged captures): restart */
	}
}

/* The key store grew (a live key log re-read, a pcapng DSB): TLS sessions
 * that ended before their key came look again. */
static void keys_check(struct mf_decoder *d)
{
	size_t n = mf_keylog_count(d->ctx->keylog);

	if (n != d->keys_seen) {
		d->keys_seen = n;
		mf_tcp_resume(d->tcp, 0);
	}
}

void mf_decoder_tick(struct mf_decoder *d, int64_t now_ns)
{
	keys_check(d);
	(void)mf_miio_held_check(d->ctx);
	clock_advance(d, now_ns);
}

int64_t mf_decoder_release(struct mf_decoder *d, int64_t before_ns)
{
	int64_t oldest = MF_TIME_NONE, t;
	size_t i;

	for (i = 0; i < d->nprotos; i++) {
		if (!d->protos[i]->release)
			continue;
		t = d->protos[i]->release(d->state[i], d->ctx, before_ns);
		if (t != MF_TIME_NONE && (oldest == MF_TIME_NONE || t < oldest))
			oldest = t;
	}
	return oldest;
}

void mf_decoder_finish(struct mf_decoder *d, int64_t now_ns)
{
	mf_ipfrag_finish(d->frag);
	mf_tcp_finish(d->tcp);
	/* after the last exchanges (which may still reveal a key): the Mi cloud
	 * calls no key opened are tried once more and reported */
	if (d->cloud_held) {
		(void)mf_micloud_held_end(d->ctx);
		d->cloud_held = 0;
	}
	/* then the miIO frames no token opened (the last exchanges and calls
	 * may have brought one), before the miIO states settle their pairing */
	if (d->miio_held) {
		(void)mf_miio_held_end(d->ctx);
		d->miio_held = 0;
	}
	tick_all(d, now_ns, 1);
}

int mf_decode_linktype_supported(uint32_t linktype)
{
	return mf_link_supported(linktype);
}

/* ---- UDP and dispatch -------------------------------------------------- */

static int port_match(const struct mf_udp_proto *pr, uint16_t sp, uint16_t dp)
{
	size_t k;

	for (k = 0; k < sizeof(pr->ports) / sizeof(pr->ports[0]) && pr->ports[k]; k++)
		if (sp == pr->ports[k] || dp == pr->ports[k])
			return 1;
	return 0;
}

static const struct mf_udp_proto *any_port_match(const struct mf_decoder *d, uint16_t sp,
                                                 uint16_t dp)
{
	size_t i;

	for (i = 0; i < d->nprotos; i++)
		if (port_match(d->protos[i], sp, dp))
			return d->protos[i];
	return NULL;
}

static int udp(struct mf_decoder *d, struct walk *w, const struct mf_ip *ip)
{
	struct mf_ctx *ctx = d->ctx;
	const struct mf_frame *f = w->f;
	const struct mf_udp_proto *pr;
	struct mf_pkt p;
	size_t ulen, i;
	int rc, announced = 0;
	char fl[100];

	ctx->st.udp++;
	if (ip->pl_claimed < 8) {
		flow_str(ip, fl, sizeof(fl));
		return anomaly(d, f, "udp", "udp_bad_length",
		    "%s: IP payload of %zu bytes cannot hold a UDP header", fl, ip->pl_claimed);
	}
	if (ip->pl_len < 8) {
		/* The capture ends inside the UDP header. */
		if (w->trunc_noted)
			return 0;
		if (ip->pl_len >= 4 &&
		    (pr = any_port_match(d, mf_be16(ip->pl), mf_be16(ip->pl + 2))) != NULL) {
			flow_str(ip, fl, sizeof(fl));
			return anomaly(d, f, pr->name, "udp_truncated",
			    "%s ports %u -> %u: capture ends inside the UDP header (%zu of 8 bytes)",
			    fl, mf_be16(ip->pl), mf_be16(ip->pl + 2), ip->pl_len);
		}
		return note_snaplen(d, f);
	}

	memset(&p, 0, sizeof(p));
	p.frame = f;
	p.ipver = ip->ver;
	p.addr_len = ip->addr_len;
	memcpy(p.src, ip->src, ip->addr_len);
	memcpy(p.dst, ip->dst, ip->addr_len);
	p.sport = mf_be16(ip->pl);
	p.dport = mf_be16(ip->pl + 2);
	p.ipproto = IPPROTO_UDP_;
	p.reassembled = w->reassembled;
	p.nvlan = w->l2->nvlan;
	memcpy(p.vlan, w->l2->vlan, sizeof(p.vlan));

	ulen = mf_be16(ip->pl + 4);
	if (ulen == 0 && ip->ver == 6)
		ulen = ip->pl_claimed;   /* jumbogram: the IP length rules */
	if (ulen < 8)
		return anomaly_pkt(d, &p, "udp", "udp_bad_length", "UDP length %zu < 8", ulen);
	if (ulen > ip->pl_claimed) {
		rc = anomaly_pkt(d, &p, "udp", "udp_bad_length",
		    "UDP length %zu > IP payload of %zu bytes", ulen, ip->pl_claimed);
		if (rc)
			return rc;
		ulen = ip->pl_claimed;
		w->trunc_noted = 1;
	}
	p.payload = ip->pl + 8;
	p.claimed_len = ulen - 8;
	p.len = (ulen < ip->pl_len ? ulen : ip->pl_len) - 8;

	for (i = 0; i < d->nprotos; i++) {
		pr = d->protos[i];
		if (!port_match(pr, p.sport, p.dport) && !(pr->probe && pr->probe(&p)))
			continue;
		if (!announced) {
			announced = 1;
			if (p.len < p.claimed_len && !w->trunc_noted)
				rc = anomaly_pkt(d, &p, pr->name, "udp_truncated",
				    "%zu of %zu UDP payload bytes captured", p.len, p.claimed_len);
			else if (ulen < ip->pl_claimed)
				rc = anomaly_pkt(d, &p, pr->name, "udp_trailing_data",
				    "%zu bytes after the UDP datagram (length %zu) inside the IP payload",
				    ip->pl_claimed - ulen, ulen);
			else
				rc = 0;
			if (rc)
				return rc;
		}
		if ((rc = pr->decode(d->state[i], ctx, &p)) < 0)
			return rc;
	}
	return 0;
}

/* ---- IP ---------------------------------------------------------------- */

static int transport(struct mf_decoder *d, struct walk *w, const struct mf_ip *ip)
{
	switch (ip->proto) {
	case IPPROTO_UDP_:
		return udp(d, w, ip);
	case IPPROTO_TCP_: {
		int rc;

		d->ctx->st.tcp++;
		rc = mf_tcp_packet(d->tcp, w->f, ip);
		if (rc != MF_TCP_SHORT)
			return rc;
		/* the capture ends inside the TCP header (reported by IP when
		 * the packet itself is short) */
		return w->trunc_noted ? 0 : note_snaplen(d, w->f);
	}
	default:
		d->ctx->st.other_ip++;
		return 0;
	}
}

static int ip_problem(struct mf_decoder *d, struct walk *w, int rc, const struct mf_ip_err *err,
                      const char *trunc_reason)
{
	if (rc == MF_IP_BAD) {
		d->ctx->st.ip_invalid++;
		return anomaly(d, w->f, "ip", err->reason, "%s", err->detail);
	}
	if (w->trunc_noted)
		return 0;
	if (w->snapcut)
		return note_snaplen(d, w->f);
	d->ctx->st.ip_invalid++;
	return anomaly(d, w->f, "ip", trunc_reason, "frame of %u bytes ends inside the IP headers",
	    w->f->caplen);
}

/* Fragments worth holding: UDP and TCP are decoded.  IPv6: the
 * fragmentable part may start with routing / destination options before
 * them, and a second fragment header there is worth reporting. */
static int frag_wanted(const struct mf_ip *ip)
{
	if (ip->proto == IPPROTO_UDP_ || ip->proto == IPPROTO_TCP_)
		return 1;
	return ip->ver == 6 && (ip->proto == 43 || ip->proto == 60 || ip->proto == 44);
}

static int fragment(struct mf_decoder *d, struct walk *w, struct mf_ip *ip)
{
	struct mf_frag fr;
	struct mf_frag_out out;
	struct mf_ip_err err;
	int rc;

	if (!frag_wanted(ip))
		return transport(d, w, ip);   /* counted, not decoded */
	memset(&fr.key, 0, sizeof(fr.key));
	fr.key.ipver = ip->ver;
	fr.key.proto = ip->proto;
	fr.key.addr_len = ip->addr_len;
	memcpy(fr.key.src, ip->src, ip->addr_len);
	memcpy(fr.key.dst, ip->dst, ip->addr_len);
	fr.key.id = ip->frag_id;
	fr.off = ip->frag_off;
	fr.more = ip->frag_more;
	fr.data = ip->pl;
	fr.len = ip->pl_len;
	fr.claimed = ip->pl_claimed;
	rc = mf_ipfrag_add(d->frag, w->f, &fr, &out);
	if (rc <= 0)
		return rc;

	w->reassembled = 1;
	/* Missing bytes now come from a fragment cut by the snaplen, reported
	 * (if at all) when it arrived; judge the datagram as a cut one. */
	w->snapcut = out.len < out.claimed;
	w->trunc_noted = 0;
	if (ip->ver == 6) {
		rc = mf_ipv6_chain(ip->proto, out.data, out.len, out.claimed, ip, &err);
		if (rc != MF_IP_OK)
			return ip_problem(d, w, rc, &err, "ipv6_truncated");
	} else {
		ip->pl = out.data;
		ip->pl_len = out.len;
		ip->pl_claimed = out.claimed;
	}
	ip->frag = 0;
	return transport(d, w, ip);
}

/* IPv4 or IPv6 (v = 4 or 6): header, truncation check, then fragments or
 * the transport layer. */
static int ip_layer(struct mf_decoder *d, struct walk *w, int v)
{
	struct mf_ip ip;
	struct mf_ip_err err;
	int rc;

	if (v == 4)
		d->ctx->st.ipv4++;
	else
		d->ctx->st.ipv6++;
	rc = v == 4 ? mf_ipv4_parse(w->l2->l3, w->l2->l3len, &ip, &err) :
	    mf_ipv6_parse(w->l2->l3, w->l2->l3len, &ip, &err);
	if (rc != MF_IP_OK)
		return ip_problem(d, w, rc, &err, v == 4 ? "ipv4_truncated" : "ipv6_truncated");
	if (ip.pl_len < ip.pl_claimed && !w->snapcut) {
		/* Nothing was cut by the capture: the packet is shorter than it says. */
		char fl[100];

		w->trunc_noted = 1;
		d->ctx->st.ip_invalid++;
		flow_str(&ip, fl, sizeof(fl));
		rc = v == 4 ? anomaly(d, w->f, "ip", "ipv4_truncated",
		    "%s proto %u: IPv4 payload of %zu bytes announced, %zu in the frame", fl,
		    ip.proto, ip.pl_claimed, ip.pl_len) :
		    anomaly(d, w->f, "ip", "ipv6_truncated",
		    "%s next header %u: %zu payload bytes announced after the headers, %zu in "
		    "the frame", fl, ip.proto, ip.pl_claimed, ip.pl_len);
		if (rc != 0)
			return rc;
	}
	return ip.frag ? fragment(d, w, &ip) : transport(d, w, &ip);
}

/* ---- frames ------------------------------------------------------------ */

static int link_problem(struct mf_decoder *d, const struct mf_frame *f, int rc)
{
	char detail[128];

	switch (rc) {
	case MF_LINK_UNKNOWN:
		d->ctx->st.link_unknown++;
		snprintf(detail, sizeof(detail),
		    "link type %u is not supported; its frames are skipped (counted)", f->linktype);
		return note_once(d, f, f->linktype, "link_unknown", detail);
	case MF_LINK_TRUNC:
		if (f->caplen < f->wirelen)
			return note_snaplen(d, f);
		return anomaly(d, f, "link", "link_truncated",
		    "frame of %u bytes ends inside the link-layer header (link type %u)", f->caplen,
		    f->linktype);
	case MF_LINK_BAD_VERSION:
		d->ctx->st.ip_invalid++;
		return anomaly(d, f, "ip", "ip_bad_version",
		    "raw IP frame starts with version %u", f->data[0] >> 4);
	default:
		return 0;   /* not IP */
	}
}

int mf_decode_frame(struct mf_decoder *d, const struct mf_frame *f)
{
	struct mf_l2 l2;
	struct walk w;
	int rc;

	d->ctx->st.decoded_frames++;
	keys_check(d);
	if (f->ts_ns != MF_TIME_NONE)
		clock_advance(d, f->ts_ns);
	rc = mf_link_parse(f->linktype, f->data, f->caplen, &l2);
	if (rc != MF_LINK_OK)
		return link_problem(d, f, rc);
	w.f = f;
	w.l2 = &l2;
	w.snapcut = f->caplen < f->wirelen;
	w.trunc_noted = 0;
	w.reassembled = 0;
	rc = ip_layer(d, &w, l2.ipver == 4 ? 4 : 6);
	/* the frame may have revealed a device token (a hello reply, a
	 * miIO.info reply, a Mi cloud device list): the held miIO frames it
	 * opens come out now */
	if (rc != MF_ERR_NOMEM && mf_miio_held_check(d->ctx) == MF_ERR_NOMEM)
		rc = MF_ERR_NOMEM;
	return rc;
}
