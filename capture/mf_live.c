/*
 * mf_live.c - live capture through libpcap; see mf_live.h.
 *
 * pcap_create + options + pcap_activate (the only way to choose the
 * delivery mode, the buffer size and nanosecond timestamps), then
 * non-blocking pcap_dispatch() whenever the caller's poll() says the
 * descriptor is ready.
 *
 * An interface taken down: Linux sets ENETDOWN on the packet socket (poll
 * reports POLLERR) but keeps it bound, and it delivers again once the
 * interface is up; libpcap does not notice.  mf_live_check() reads that
 * error and IFF_UP, so the caller can close the evidence file at the gap
 * and re-open.  A removed interface (ENODEV) and libpcap's own errors
 * (PCAP_ERROR_IFACE_NOT_UP, "went down") become MF_ERR_AGAIN as well.
 */
#include "mf_live.h"

#include <errno.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mf_err.h"
#include "mf_frame.h"
#include "mf_time.h"

/* The default filter without the VLAN clauses, for link types on which
 * libpcap has no "vlan" (Linux cooked capture, raw IP). */
#define FILTER_PLAIN                                                                  \
	"port 54321 or port 4321 or port 9898 or port 80 or port 443 or port 8053 or "   \
	"(ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)"

struct mf_live {
	pcap_t *p;
	uint32_t linktype;
	int snaplen;
	int nano;             /* timestamps in ns (else us) */
	char *ifname;
	char *filter;
	/* during dispatch */
	mf_live_fn fn;
	void *arg;
	int stop;
	/* pcap_stats counters are 32-bit and wrap: widened here */
	uint32_t raw_recv, raw_drop, raw_ifdrop;
	struct mf_live_stats st;
};

int mf_live_iface_up(const char *ifname)
{
	struct ifreq ifr;
	int s, rc;

	if (!ifname || strlen(ifname) >= sizeof(ifr.ifr_name))
		return -1;
	if (strcmp(ifname, "any") == 0)
		return 1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		rc = (errno == ENODEV || errno == ENXIO) ? 0 : -1;
	else
		rc = (ifr.ifr_flags & IFF_UP) ? 1 : 0;
	close(s);
	return rc;
}

static int set_filter(struct mf_live *l, const char *expr, char *errbuf)
{
	struct bpf_program prog;

	if (pcap_compile(l->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return mf_seterr(errbuf, MF_ERR_ARG, "filter '%s': %s", expr, pcap_geterr(l->p));
	if (pcap_setfilter(l->p, &prog) != 0) {
		pcap_freecode(&prog);
		return mf_seterr(errbuf, MF_ERR_IO, "setting the filter: %s", pcap_geterr(l->p));
	}
	pcap_freecode(&prog);
	free(l->filter);
	l->filter = strdup(expr);
	return l->filter ? 0 : mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
}

int mf_live_open(const struct mf_live_opts *o, struct mf_live **out, char *errbuf,
                 char *warnbuf)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct mf_live *l;
	long long bufsz = o->buffer_bytes > 0 ? o->buffer_bytes : 64LL << 20;
	int rc, up;

	*out = NULL;
	if (warnbuf)
		warnbuf[0] = '\0';
	up = mf_live_iface_up(o->ifname);
	if (up == 0)
		return mf_seterr(errbuf, MF_ERR_AGAIN, "%s: no such interface, or it is down",
		    o->ifname);
	l = calloc(1, sizeof(*l));
	if (!l)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	l->ifname = strdup(o->ifname);
	l->p = l->ifname ? pcap_create(o->ifname, eb) : NULL;
	if (!l->p) {
		free(l->ifname);
		free(l);
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", o->ifname, eb);
	}
	l->snaplen = o->snaplen > 0 ? o->snaplen : 262144;
	if (bufsz > 0x7fffffffLL)
		bufsz = 0x7fffffffLL;
	pcap_set_snaplen(l->p, l->snaplen);
	pcap_set_promisc(l->p, o->promisc ? 1 : 0);
	if (o->immediate) {
		pcap_set_immediate_mode(l->p, 1);
		pcap_set_timeout(l->p, 100);
	} else {
		/* TPACKET_V3: packets packed in blocks, a block handed over when
		 * full or after latency_ms */
		pcap_set_timeout(l->p, o->latency_ms > 0 ? o->latency_ms : 10);
	}
	pcap_set_buffer_size(l->p, (int)bufsz);
	l->nano = pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
	rc = pcap_activate(l->p);
	if (rc < 0) {
		int ret = MF_ERR_IO;

		if (rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_IFACE_NOT_UP)
			ret = MF_ERR_AGAIN;
		mf_seterr(errbuf, ret, "%s: %s", o->ifname,
		    rc == PCAP_ERROR_PERM_DENIED ? "permission denied (root or CAP_NET_RAW needed)"
		    : pcap_geterr(l->p)[0] ? pcap_geterr(l->p) : pcap_statustostr(rc));
		pcap_close(l->p);
		free(l->ifname);
		free(l);
		return ret;
	}
	if (rc > 0 && warnbuf)   /* e.g. PCAP_WARNING_PROMISC_NOTSUP */
		snprintf(warnbuf, MF_ERRBUF_SIZE, "%s: %s", o->ifname,
		    pcap_geterr(l->p)[0] ? pcap_geterr(l->p) : pcap_statustostr(rc));
	if (l->nano)
		l->nano = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
	/* DLT_ values equal the LINKTYPE_ values written in files, but for the
	 * few that differ between platforms (pcap-linktype(7)) */
	rc = pcap_datalink(l->p);
	l->linktype = rc == DLT_RAW ? 101u : (uint32_t)rc;   /* LINKTYPE_RAW */
	l->snaplen = pcap_snapshot(l->p);
	if (!o->filter) {
		rc = set_filter(l, MF_LIVE_DEFAULT_FILTER, errbuf);
		if (rc == MF_ERR_ARG)
			rc = set_filter(l, FILTER_PLAIN, errbuf);
	} else {
		rc = set_filter(l, o->filter, errbuf);
	}
	if (rc == 0 && pcap_setnonblock(l->p, 1, eb) != 0)
		rc = mf_seterr(errbuf, MF_ERR_IO, "%s: %s", o->ifname, eb);
	if (rc == 0 && pcap_get_selectable_fd(l->p) < 0)
		rc = mf_seterr(errbuf, MF_ERR_IO, "%s: no selectable descriptor", o->ifname);
	if (rc) {
		mf_live_close(l);
		return rc;
	}
	*out = l;
	return 0;
}

int mf_live_fd(const struct mf_live *l)
{
	return pcap_get_selectable_fd(l->p);
}

uint32_t mf_live_linktype(const struct mf_live *l)
{
	return l->linktype;
}

int mf_live_snaplen(const struct mf_live *l)
{
	return l->snaplen;
}

const char *mf_live_filter(const struct mf_live *l)
{
	return l->filter ? l->filter : "";
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct mf_live *l = (struct mf_live *)user;
	struct mf_frame f;

	if (l->stop)
		return;
	memset(&f, 0, sizeof(f));
	f.data = bytes;
	f.caplen = h->caplen;
	f.wirelen = h->len;
	f.ts_ns = (int64_t)h->ts.tv_sec * MF_NS_PER_S +
	    (int64_t)h->ts.tv_usec * (l->nano ? 1 : 1000);
	f.linktype = l->linktype;
	if (l->fn(l->arg, &f)) {
		l->stop = 1;
		pcap_breakloop(l->p);
	}
}

static int went_away(const char *msg)
{
	return strstr(msg, "went down") || strstr(msg, "Network is down") ||
	    strstr(msg, "No such device") || strstr(msg, "No such device or address") ||
	    strstr(msg, "not up");
}

int mf_live_dispatch(struct mf_live *l, int max, mf_live_fn fn, void *arg, char *errbuf)
{
	int n;

	l->fn = fn;
	l->arg = arg;
	l->stop = 0;
	n = pcap_dispatch(l->p, max > 0 ? max : -1, on_packet, (u_char *)l);
	if (n >= 0)
		return n;
	if (n == PCAP_ERROR_BREAK)
		return 0;
	if (n == PCAP_ERROR_IFACE_NOT_UP || n == PCAP_ERROR_NO_SUCH_DEVICE ||
	    went_away(pcap_geterr(l->p)) ||
	    (n == PCAP_ERROR && (errno == ENETDOWN || errno == ENXIO || errno == ENODEV)))
		return mf_seterr(errbuf, MF_ERR_AGAIN, "%s", pcap_geterr(l->p)[0] ?
		    pcap_geterr(l->p) : "the interface went down");
	return mf_seterr(errbuf, MF_ERR_IO, "%s", pcap_geterr(l->p));
}

int mf_live_check(struct mf_live *l, char *errbuf)
{
	int fd = pcap_get_selectable_fd(l->p), err = 0, up;
	socklen_t len = sizeof(err);

	if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0 &&
	    (err == ENETDOWN || err == ENODEV || err == ENXIO))
		return mf_seterr(errbuf, MF_ERR_AGAIN, "%s", err == ENETDOWN ?
		    "the interface went down" : "the interface went away");
	up = mf_live_iface_up(l->ifname);
	if (up == 0)
		return mf_seterr(errbuf, MF_ERR_AGAIN, "the interface is down or gone");
	return 0;
}

int mf_live_stats(struct mf_live *l, struct mf_live_stats *st)
{
	struct pcap_stat ps;

	if (pcap_stats(l->p, &ps) != 0) {
		*st = l->st;
		return MF_ERR_IO;
	}
	l->st.recv += (uint32_t)(ps.ps_recv - l->raw_recv);
	l->st.kernel_drops += (uint32_t)(ps.ps_drop - l->raw_drop);
	l->st.if_drops += (uint32_t)(ps.ps_ifdrop - l->raw_ifdrop);
	l->raw_recv = ps.ps_recv;
	l->raw_drop = ps.ps_drop;
	l->raw_ifdrop = ps.ps_ifdrop;
	*st = l->st;
	return 0;
}

void mf_live_close(struct mf_live *l)
{
	if (!l)
		return;
	if (l->p)
		pcap_close(l->p);
	free(l->filter);
	free(l->ifname);
	free(l);
}
