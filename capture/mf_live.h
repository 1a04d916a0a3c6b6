/*
 * mf_live.h - live capture from a network interface through libpcap, the
 * live counterpart of mf_capture.h: a large kernel buffer whose packets
 * are handed over within a bounded latency (10 ms by default, or at once
 * in immediate mode), nanosecond timestamps, a BPF filter, non-blocking
 * reads driven by the caller's poll() so that signals, timers and file
 * rotation are served promptly.
 *
 * Frames are handed to a callback as struct mf_frame with data, lengths,
 * time and link type filled; number and input are left 0/NULL for the
 * caller, who decides which evidence file (and frame number) a packet gets.
 */
#ifndef MF_LIVE_H
#define MF_LIVE_H

#include <stddef.h>
#include <stdint.h>

struct mf_frame;
struct mf_live;

/* The traffic miforensics decodes: miIO (UDP 54321, and 8053 to the
 * cloud), Lumi gateway LAN (UDP 4321/9898), Mi cloud HTTP(S) (TCP 80/443),
 * also inside one or two VLAN tags, plus IPv4/IPv6 fragments (only the
 * first fragment carries ports). */
#define MF_LIVE_DEFAULT_FILTER                                                          \
	"(port 54321 or port 4321 or port 9898 or port 80 or port 443 or port 8053 or "   \
	"(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)) or (vlan and (port 54321 or " \
	"port 4321 or port 9898 or port 80 or port 443 or port 8053 or "                   \
	"(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44) or (vlan and (port 54321 or "   \
	"port 4321 or port 9898 or port 80 or port 443 or port 8053))))"

struct mf_live_opts {
	const char *ifname;
	const char *filter;      /* NULL: MF_LIVE_DEFAULT_FILTER; "" captures everything */
	int snaplen;             /* <= 0: 262144 */
	long long buffer_bytes;  /* kernel buffer; <= 0: 64 MiB */
	int promisc;
	/* Delivery.  Default: the kernel packs packets into blocks of the
	 * buffer (TPACKET_V3) and hands a block over when it is full or
	 * latency_ms (<= 0: 10) after its first packet: few wake-ups, and the
	 * whole buffer holds packets of their real size.  immediate: libpcap's
	 * immediate mode, one wake-up per packet; its ring (TPACKET_V2) has
	 * fixed slots of the snapshot length when the interface offloads
	 * segmentation (veth, most NICs), so a 64 MB buffer holds only a few
	 * hundred packets. */
	int immediate;
	int latency_ms;
};

/* Counters since the handle was opened (pcap_stats): packets that passed
 * the filter, dropped by the kernel because the buffer was full, and
 * dropped by the interface/driver. */
struct mf_live_stats {
	uint64_t recv, kernel_drops, if_drops;
};

/* Opens and activates the interface.  Returns 0; MF_ERR_AGAIN when the
 * interface does not exist or is down (worth retrying later); MF_ERR_ARG
 * for a filter that does not compile; MF_ERR_IO otherwise (permissions,
 * ...); reason in errbuf.  Warnings (promiscuous mode refused, ...) go to
 * warnbuf (may be NULL; "" when none). */
int mf_live_open(const struct mf_live_opts *o, struct mf_live **out, char *errbuf,
                 char *warnbuf);

/* The descriptor to poll() for readability (POLLERR: call dispatch). */
int mf_live_fd(const struct mf_live *l);
uint32_t mf_live_linktype(const struct mf_live *l);
int mf_live_snaplen(const struct mf_live *l);
/* The filter in force ("" = none). */
const char *mf_live_filter(const struct mf_live *l);

/* Returns non-zero to stop the batch early (e.g. the disk is full). */
typedef int (*mf_live_fn)(void *arg, const struct mf_frame *f);

/* Hands over what is waiting, at most max packets (max <= 0: all), without
 * blocking.  Returns the number handed over (>= 0), MF_ERR_AGAIN when the
 * interface went down or away (close and re-open later), MF_ERR_IO for
 * other errors; reason in errbuf. */
int mf_live_dispatch(struct mf_live *l, int max, mf_live_fn fn, void *arg, char *errbuf);

/* Is the interface still there and up?  Reads (and clears) an error the
 * kernel left on the capture socket (ENETDOWN when the interface was taken
 * down, ENODEV when it was removed) and checks IFF_UP: Linux keeps a
 * packet socket bound across down/up, so libpcap alone does not notice.
 * Call it when poll() reports POLLERR and now and then.  Returns 0, or
 * MF_ERR_AGAIN with the reason in errbuf. */
int mf_live_check(struct mf_live *l, char *errbuf);

/* 0, or MF_ERR_IO when the counters cannot be read. */
int mf_live_stats(struct mf_live *l, struct mf_live_stats *st);

/* Is the interface present and up (IFF_UP)?  1, 0, or negative when
 * unknown. */
int mf_live_iface_up(const char *ifname);

void mf_live_close(struct mf_live *l);

#endif
