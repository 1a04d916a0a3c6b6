/*
 * mf_tls.c - TLS over TCP: records, handshake, decryption from the key log,
 * plaintext to HTTP/1.1 or HTTP/2.  See mf_tls.h.
 *
 * References: RFC 5246 (TLS 1.2), RFC 8446 (TLS 1.3), RFC 7366, RFC 7301
 * (ALPN), RFC 6066 (SNI), ../shared/reference/tls-keylog.md.
 *
 * Record (both versions; the 1.3 protected form is always 23 03 03):
 *
 *   +------+---------+---------+------------------------------+
 *   | type | version | length  | fragment (length bytes,      |
 *   | 1    | 2       | 2       | at most 2^14 + 2048)         |
 *   +------+---------+---------+------------------------------+
 *   type: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
 *
 * Handshake message (inside type 22 records, or TLS 1.3 protected ones; may
 * span records):  msg_type(1) length(3) body.  ClientHello body:
 * legacy_version(2) random(32) session_id<0..32> cipher_suites<2..2^16-2>
 * compression<1..255> extensions<0..2^16-1>; ServerHello: legacy_version(2)
 * random(32) session_id<0..32> cipher_suite(2) compression(1) extensions.
 *
 * Key epochs per direction:
 *   TLS 1.2  plaintext until that side's ChangeCipherSpec, then the key
 *            block keys (seq 0); a later (encrypted) CCS = renegotiation.
 *   TLS 1.3  plaintext -> [client early data] -> handshake keys (server:
 *            right after ServerHello; client: once the ServerHello is seen)
 *            -> application keys after that side's Finished -> one more
 *            generation per KeyUpdate.  Plaintext CCS records are skipped.
 *   When a TLS 1.3 record fails with the current keys, the next epoch's keys
 *   are tried (a missed Finished/KeyUpdate/EndOfEarlyData, or a missing
 *   handshake secret, does not lose the rest of the stream).
 *
 * The record sequence number advances on every record of an epoch, also one
 * that fails to authenticate (the sender used that number), except for
 * client early data nobody can read (Wireshark's rule; tls-keylog.md 4).
 */
#include "mf_tls.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_frame.h"
#include "mf_http.h"
#include "mf_keylog.h"
#include "mf_proto.h"
#include "mf_tlscrypto.h"

#define REC_HDR 5
#define HS_KEEP_MAX 65536       /* handshake messages parsed up to this size */
#define HELD_MAX (256u << 10)  /* records kept per direction until a key arrives */
#define BAD_REPORT_MAX 8        /* tls_bad_record_mac events per direction; then counted */
#define TEXT_MAX 256            /* SNI, ALPN (escaped) */
#define ALPN_OFFER_MAX 8
#define OUT_SIZE (MF_TLS_FRAG_MAX + 64)

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APP = 23, CT_HEARTBEAT = 24 };
enum {
	HS_HELLO_REQUEST = 0, HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_END_OF_EARLY_DATA = 5,
	HS_ENCRYPTED_EXTENSIONS = 8, HS_FINISHED = 20, HS_KEY_UPDATE = 24
};
enum {
	EXT_SNI = 0, EXT_ALPN = 16, EXT_ETM = 22, EXT_PSK = 41, EXT_EARLY_DATA = 42,
	EXT_SUPPORTED_VERSIONS = 43
};
enum epoch { EP_PLAIN = 0, EP_EARLY, EP_HS, EP_APP };
enum { SW_NONE = 0, SW_CCS12, SW_EARLY, SW_HS, SW_APP, SW_UPDATE };

/* SHA-256("HelloRetryRequest"): the ServerHello.random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c
};

/* Handshake message reassembly of one direction. */
struct hs_asm {
	uint8_t hdr[4];
	uint8_t hdr_have;
	uint8_t keep;               /* body kept for parsing */
	uint32_t len, have;
	struct mf_buf body;
};

struct tdir {
	struct mf_tls_dec dec;      /* keys of the current epoch */
	struct mf_buf rec;          /* a record that spans data() calls */
	struct hs_asm hs;
	uint8_t epoch;              /* enum epoch; EP_APP for protected TLS 1.2 */
	uint8_t is13;               /* records follow the TLS 1.3 rules */
	uint8_t nokey;              /* protected, but no usable secret */
	uint8_t sw;                 /* key change after the current record */
	uint8_t dead;               /* out of sync (invalid record, gap): no more parsing */
	uint32_t generation;        /* TLS 1.3 key updates applied */
	uint64_t nokey_seq;         /* records of this epoch passed without a key */
	/* records kept while no key is known (a live key log may bring it):
	 * [u32 len][u64 frame][i64 ts][5 header][fragment] ..., capped */
	struct mf_buf held;
	uint64_t held_first_seq;
	uint32_t held_n;
	uint8_t held_overflow;
	size_t kl_seen;             /* key log size when the key was missed */
	uint64_t offset;            /* stream bytes consumed in records */
	uint64_t records, prot_records, undecrypted, bad, app_records;
	uint64_t plaintext_bytes, ciphertext_bytes, gap_bytes;
	int alert_level, alert_desc;    /* last alert, -1 = none */
};

struct tls_state {
	struct mf_ctx *ctx;
	struct mf_flow fl;          /* the TCP flow (copy) */
	struct mf_tunnel tun;       /* fl.tunnel points here: the CONNECT tunnel, if any */
	struct mf_flow ifl;         /* the flow the inner consumer sees (tls = 1) */
	const struct mf_stream_proto *h1, *h2, *inner;
	void *inner_st;
	uint8_t inner_done;         /* no (more) inner consumer */
	struct tdir d[2];
	struct mf_tls_dec trial;    /* next-epoch keys being tried */
	uint8_t *out;               /* plaintext of the current record (OUT_SIZE) */
	/* handshake */
	uint8_t client_random[32], server_random[32], first_random[32];
	uint8_t ch_sid[32], ch_sid_len;
	uint8_t have_ch, have_sh, have_first, hrr, offered13, early_offered, early_accepted;
	uint8_t etm, resumed, kb_ok;
	uint16_t version, suite_id;
	const struct mf_tls_suite *suite;
	uint8_t kb[2 * (48 + 32 + 16)];
	uint32_t server_hellos;
	char sni[TEXT_MAX], alpn[TEXT_MAX];
	char offered[ALPN_OFFER_MAX][64];
	unsigned noffered;
	/* findings */
	uint8_t no_secret_told, unsupported_told, malformed_told, keyed;
	char missing[200];          /* labels not in the key log, comma-separated */
	char origin[256];           /* where the first secret came from */
	uint64_t key_updates[2];
	uint64_t first_frame, last_frame;
	int64_t first_ts, last_ts;
	uint8_t have_frame;
	uint8_t replaying;          /* decrypting kept records: no double counting */
	uint8_t retrying;           /* looking for a late key of the same epoch */
	uint8_t ended;              /* the TCP stream ended; kept for a late key */
	int end_how;                /* enum mf_stream_end */
	size_t trunc[2];            /* bytes of a record the stream ended inside */
};

static const char *const dir_names[2] = { "client_to_server", "server_to_client" };

static void held_drop(struct tls_state *st, struct tdir *d);
struct tls_state;
struct held_it;
static int replay_held(struct tls_state *st, int dir, uint64_t seq_now);
static int replay_merged(struct tls_state *st, uint64_t seq_now[2]);

/* ---- small helpers ---- */

static void text_copy(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 5 < cap; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			dst[o++] = (char)p[i];
		} else {
			snprintf(dst + o, cap - o, "\\x%02x", p[i]);
			o += 4;
		}
	}
	dst[o] = '\0';
}

static const char *version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return NULL;
	}
}

static const char *alert_name(int d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return NULL;
	}
}

static const char *end_name(int how)
{
	switch (how) {
	case MF_END_FIN: return "fin";
	case MF_END_RST: return "rst";
	case MF_END_TIMEOUT: return "timeout";
	case MF_END_EVICTED: return "evicted";
	case MF_END_EOF: return "eof";
	default: return "unknown";
	}
}

static const char *label_name(int label)
{
	switch (label) {
	case MF_KL_CLIENT_RANDOM: return "CLIENT_RANDOM";
	case MF_KL_CLIENT_HS_TRAFFIC: return "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
	case MF_KL_SERVER_HS_TRAFFIC: return "SERVER_HANDSHAKE_TRAFFIC_SECRET";
	case MF_KL_CLIENT_TRAFFIC_0: return "CLIENT_TRAFFIC_SECRET_0";
	case MF_KL_SERVER_TRAFFIC_0: return "SERVER_TRAFFIC_SECRET_0";
	case MF_KL_EARLY_TRAFFIC: return "CLIENT_EARLY_TRAFFIC_SECRET";
	default: return "?";
	}
}

static const char *source_of(const struct tls_state *st)
{
	return st->fl.input && st->fl.input->source ? st->fl.input->source : "pcap";
}

static void note_frame(struct tls_state *st, const struct mf_frame *f)
{
	if (!f)
		return;
	if (!st->have_frame) {
		st->first_frame = f->number;
		st->first_ts = f->ts_ns;
		st->have_frame = 1;
	}
	st->last_frame = f->number;
	st->last_ts = f->ts_ns;
}

/* evidence: file, sha256, frame, [last_frame], tcp_stream */
static int add_evidence(struct mf_event *ev, const struct tls_state *st, uint64_t frame,
                        int with_last)
{
	cJSON *o = mf_json_obj();
	const struct mf_input *in = st->fl.input;

	if (!o)
		return MF_ERR_NOMEM;
	if (in) {
		mf_json_str(o, "file", in->name);
		if (in->sha256[0])
			mf_json_str(o, "sha256", in->sha256);
	}
	mf_json_u64(o, "frame", frame);
	if (with_last && st->have_frame)
		mf_json_u64(o, "last_frame", st->last_frame);
	mf_json_u64(o, "tcp_stream", st->fl.stream_no);
	if (st->fl.tunnel)
		mf_json_str(o, "tunnel", st->fl.tunnel->target);
	return mf_event_add(ev, "evidence", o);
}

/* tls.tunnel of a session inside an HTTP CONNECT tunnel: the proxy (the
 * TCP server), the CONNECT target, the proxy's answer. */
static cJSON *tunnel_json(const struct tls_state *st)
{
	const struct mf_tunnel *tu = st->fl.tunnel;
	char a[46], proxy[64];
	cJSON *o = mf_json_obj();

	if (!o)
		return NULL;
	if (st->fl.addr_len == 4 || st->fl.addr_len == 16) {
		mf_addr_str(st->fl.srv, st->fl.addr_len, a);
		snprintf(proxy, sizeof(proxy), st->fl.addr_len == 16 ? "[%s]:%u" : "%s:%u", a,
		    (unsigned)st->fl.sport);
		mf_json_str(o, "proxy", proxy);
	}
	mf_json_str(o, "target", tu->target);
	if (tu->status)
		mf_json_num(o, "status", tu->status);
	if (tu->request)
		mf_json_u64(o, "http_request", tu->request);
	return o;
}

/* An anomaly about direction dir (-1: the session) at frame f (NULL: the
 * stream's last frame); record_no >= 1 names the direction's record. */
static int anomaly(struct tls_state *st, int dir, const struct mf_frame *f, const char *reason,
                   uint64_t record_no, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int anomaly(struct tls_state *st, int dir, const struct mf_frame *f, const char *reason,
                   uint64_t record_no, const char *fmt, ...)
{
	struct mf_event *ev = mf_event_new(f ? f->ts_ns : st->last_ts, source_of(st), "tls",
	    "anomaly");
	char detail[512], hex[65];
	cJSON *t;
	va_list ap;

	if (!ev)
		return MF_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	mf_event_str(ev, "reason", reason);
	mf_event_str(ev, "detail", detail);
	mf_flow_add_net(ev, &st->fl, dir == MF_DIR_S2C ? MF_DIR_S2C : MF_DIR_C2S);
	t = mf_json_obj();
	if (t) {
		if (dir == MF_DIR_C2S || dir == MF_DIR_S2C) {
			mf_json_str(t, "direction", dir_names[dir]);
			if (record_no) {
				mf_json_u64(t, "record", record_no);
				mf_json_u64(t, "seq", st->d[dir].dec.seq);
			}
		}
		if (st->have_ch) {
			mf_hex_encode(st->client_random, 32, hex);
			mf_json_str(t, "client_random", hex);
		}
		if (st->sni[0])
			mf_json_str(t, "sni", st->sni);
		mf_event_add(ev, "tls", t);
	}
	add_evidence(ev, st, f ? f->number : st->last_frame, 0);
	return mf_emit(st->ctx, ev);
}

/* ---- secrets ---- */

static void note_missing(struct tls_state *st, int label)
{
	const char *n = label_name(label);
	size_t l = strlen(st->missing);

	if (strstr(st->missing, n))
		return;
	snprintf(st->missing + l, sizeof(st->missing) - l, "%s%s", l ? "," : "", n);
}

/* The secret for label, or NULL.  quiet: a trial, not a need. */
static const uint8_t *find_secret(struct tls_state *st, int label, size_t want, size_t *len,
                                  int quiet)
{
	const uint8_t *s = NULL;
	const char *origin = NULL;

	if (st->ctx->keylog && st->have_ch)
		s = mf_keylog_find(st->ctx->keylog, label, st->client_random, len, &origin);
	if (s && want && *len != want)
		s = NULL;
	if (!s) {
		if (!quiet)
			note_missing(st, label);
		return NULL;
	}
	if (!st->origin[0] && origin)
		snprintf(st->origin, sizeof(st->origin), "%s", origin);
	return s;
}

static int no_secret(struct tls_state *st, int dir, const struct mf_frame *f, int label)
{
	char hex[65];

	if (st->no_secret_told)
		return 0;
	st->no_secret_told = 1;
	if (!st->have_ch)
		return anomaly(st, dir, f, "tls_no_secret", 0,
		    "the ClientHello was not captured (stream picked up after the handshake): no key "
		    "can be looked up");
	mf_hex_encode(st->client_random, 32, hex);
	if (!st->ctx->keylog || mf_keylog_count(st->ctx->keylog) == 0)
		return anomaly(st, dir, f, "tls_no_secret", 0,
		    "no key log given (--keylog or a pcapng DSB); client random %s", hex);
	return anomaly(st, dir, f, "tls_no_secret", 0, "no %s for client random %s in the key log",
	    label_name(label), hex);
}

static int unsupported(struct tls_state *st, int dir, const struct mf_frame *f)
{
	if (st->unsupported_told)
		return 0;
	st->unsupported_told = 1;
	if (st->version && st->version < 0x0303)
		return anomaly(st, dir, f, "tls_unsupported", 0, "%s records are not decrypted",
		    version_name(st->version) ? version_name(st->version) : "pre-TLS 1.2");
	return anomaly(st, dir, f, "tls_unsupported", 0,
	    "cipher suite 0x%04x (%s) is not decrypted", st->suite_id,
	    st->suite ? st->suite->name : "unknown");
}

static int suite_ok(const struct tls_state *st, int tls13)
{
	return st->suite && st->suite->kind != MF_TLS_UNSUPPORTED && st->suite->tls13 == tls13 &&
	    (tls13 || st->version == 0x0303);
}

/* TLS 1.2: direction dir sent ChangeCipherSpec: its next record is seq 0
 * under the key block of the current handshake. */
static int start12(struct tls_state *st, int dir, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	const uint8_t *mk, *key, *iv, *ms;
	size_t mlen = 0;
	int rc;

	if (!st->retrying)
		held_drop(st, d);       /* a new epoch: kept records were the old one's */
	d->epoch = EP_APP;
	d->is13 = 0;
	d->nokey = 1;
	d->dec.keyed = 0;
	d->nokey_seq = 0;
	d->kl_seen = st->ctx->keylog ? mf_keylog_count(st->ctx->keylog) : 0;
	if (!st->have_sh)
		return 0;
	if (!suite_ok(st, 0))
		return unsupported(st, dir, f);
	if (!st->kb_ok) {
		ms = find_secret(st, MF_KL_CLIENT_RANDOM, 48, &mlen, 0);
		if (!ms)
			return no_secret(st, dir, f, MF_KL_CLIENT_RANDOM);
		if (mf_tls12_key_block(st->suite, ms, mlen, st->client_random, st->server_random,
		    st->kb, sizeof(st->kb)))
			return 0;
		st->kb_ok = 1;
	}
	mf_tls12_key_block_split(st->suite, st->kb, dir == MF_DIR_C2S, &mk, &key, &iv);
	rc = mf_tls12_dec_key(&d->dec, st->suite, key, iv, mk, st->etm);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc == 0) {
		d->nokey = 0;
		st->keyed = 1;
	}
	return 0;
}

static int label13(int dir, int epoch)
{
	switch (epoch) {
	case EP_EARLY: return MF_KL_EARLY_TRAFFIC;
	case EP_HS: return dir == MF_DIR_C2S ? MF_KL_CLIENT_HS_TRAFFIC : MF_KL_SERVER_HS_TRAFFIC;
	default: return dir == MF_DIR_C2S ? MF_KL_CLIENT_TRAFFIC_0 : MF_KL_SERVER_TRAFFIC_0;
	}
}

/* TLS 1.3: direction dir enters epoch (generation 0 of its secret). */
static int key13(struct tls_state *st, int dir, int epoch, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	const uint8_t *s;
	size_t slen = 0;
	int rc, label = label13(dir, epoch);

	if (!st->retrying)
		held_drop(st, d);
	d->epoch = (uint8_t)epoch;
	d->is13 = 1;
	d->nokey = 1;
	d->dec.keyed = 0;
	d->generation = 0;
	d->nokey_seq = 0;
	d->kl_seen = st->ctx->keylog ? mf_keylog_count(st->ctx->keylog) : 0;
	if (!suite_ok(st, 1)) {
		if (st->have_sh)
			return unsupported(st, dir, f);
		/* 0-RTT data comes before the ServerHello names the suite (it is
		 * the resumed session's): not decrypted; the client's handshake
		 * keys are tried on its records once the ServerHello is seen */
		return 0;
	}
	s = find_secret(st, label, mf_tls_hash_len(st->suite->prf), &slen, 0);
	if (!s)
		return no_secret(st, dir, f, label);
	rc = mf_tls13_dec_key(&d->dec, st->suite, s, slen);
	if (rc == MF_ERR_NOMEM)
		return rc;
	if (rc == 0) {
		d->nokey = 0;
		st->keyed = 1;
	}
	return 0;
}

/* TLS 1.3: tries the keys of the epoch after dir's current one on a record
 * the current keys did not open.  On success they become current. */
static long trial_next(struct tls_state *st, int dir, const uint8_t *hdr, const uint8_t *frag,
                       size_t len, uint8_t **pt, uint8_t *type)
{
	struct tdir *d = &st->d[dir];
	struct mf_tls_dec tmp;
	const uint8_t *s = NULL;
	size_t slen = 0;
	int next = d->epoch + 1;
	long n;

	if (!suite_ok(st, 1))
		return MF_ERR_CRYPTO;
	if (d->epoch == EP_EARLY || d->epoch == EP_HS) {
		s = find_secret(st, label13(dir, next), mf_tls_hash_len(st->suite->prf), &slen, 1);
		if (!s || mf_tls13_dec_key(&st->trial, st->suite, s, slen))
			return MF_ERR_CRYPTO;
	} else if (d->epoch == EP_APP && !d->nokey) {
		next = EP_APP;
		if (mf_tls13_dec_key(&st->trial, st->suite, d->dec.secret, d->dec.secret_len) ||
		    mf_tls13_dec_update(&st->trial))
			return MF_ERR_CRYPTO;
	} else {
		return MF_ERR_CRYPTO;
	}
	n = mf_tls_dec_record(&st->trial, hdr, frag, len, st->out, pt, type);
	if (n < 0)
		return n;
	tmp = d->dec;
	d->dec = st->trial;
	st->trial = tmp;
	if (d->epoch == EP_APP && next == EP_APP) {
		d->generation++;
		st->key_updates[dir]++;
	} else {
		d->generation = 0;
	}
	d->epoch = (uint8_t)next;
	d->nokey = 0;
	st->keyed = 1;
	return n;
}

/* ---- handshake ---- */

static int malformed(struct tls_state *st, int dir, const struct mf_frame *f, const char *what)
{
	if (st->malformed_told)
		return 0;
	st->malformed_told = 1;
	return anomaly(st, dir, f, "tls_malformed_handshake", 0, "%s does not parse", what);
}

/* ALPN extension body: protocol_name_list<2..2^16-1> of opaque<1..2^8-1>.
 * offer: every name into st->offered; else the first into chosen. */
static void parse_alpn_list(struct tls_state *st, struct mf_cur *e, int offer, char *chosen,
                            size_t cap)
{
	struct mf_cur l = mf_cur_sub(e, mf_cur_be16(e), NULL);

	while (mf_cur_left(&l) > 0) {
		uint8_t n = mf_cur_u8(&l);
		const uint8_t *p = mf_cur_bytes(&l, n);

		if (!p)
			break;
		if (!offer) {
			text_copy(chosen, cap, p, n);
			break;
		}
		if (st->noffered < ALPN_OFFER_MAX)
			text_copy(st->offered[st->noffered++], sizeof(st->offered[0]), p, n);
	}
}

static int client_hello(struct tls_state *st, struct mf_cur *c, const struct mf_frame *f)
{
	const uint8_t *random, *sid;
	uint8_t sidlen;
	struct mf_cur x;
	int early = 0;

	mf_cur_be16(c);
	random = mf_cur_bytes(c, 32);
	sidlen = mf_cur_u8(c);
	sid = mf_cur_bytes(c, sidlen);
	mf_cur_skip(c, mf_cur_be16(c));         /* cipher_suites */
	mf_cur_skip(c, mf_cur_u8(c));           /* compression methods */
	if (!mf_cur_ok(c) || sidlen > 32)
		return malformed(st, MF_DIR_C2S, f, "ClientHello");
	if (st->have_sh && !st->hrr)
		st->noffered = 0;                   /* renegotiation: a new handshake */
	memcpy(st->client_random, random, 32);
	memcpy(st->ch_sid, sid, sidlen);
	st->ch_sid_len = sidlen;
	st->have_ch = 1;
	if (!st->have_first) {
		memcpy(st->first_random, random, 32);
		st->have_first = 1;
	}
	if (mf_cur_left(c) < 2)
		return 0;                           /* no extensions */
	x = mf_cur_sub(c, mf_cur_be16(c), NULL);
	while (mf_cur_left(&x) >= 4) {
		uint16_t type = mf_cur_be16(&x);
		struct mf_cur e = mf_cur_sub(&x, mf_cur_be16(&x), NULL);

		switch (type) {
		case EXT_SNI: {
			struct mf_cur l = mf_cur_sub(&e, mf_cur_be16(&e), NULL);

			while (mf_cur_left(&l) >= 3) {
				uint8_t nt = mf_cur_u8(&l);
				uint16_t nl = mf_cur_be16(&l);
				const uint8_t *p = mf_cur_bytes(&l, nl);

				if (p && nt == 0) {
					text_copy(st->sni, sizeof(st->sni), p, nl);
					break;
				}
			}
			break;
		}
		case EXT_ALPN:
			if (st->noffered == 0)
				parse_alpn_list(st, &e, 1, NULL, 0);
			break;
		case EXT_SUPPORTED_VERSIONS: {
			struct mf_cur l = mf_cur_sub(&e, mf_cur_u8(&e), NULL);

			while (mf_cur_left(&l) >= 2)
				if (mf_cur_be16(&l) == 0x0304)
					st->offered13 = 1;
			break;
		}
		case EXT_EARLY_DATA:
			early = 1;
			break;
		default:
			break;
		}
	}
	/* 0-RTT: the client's next protected records are early data (not after
	 * a HelloRetryRequest, where it is not allowed) */
	if (early && st->offered13 && !st->hrr && st->d[MF_DIR_C2S].epoch == EP_PLAIN) {
		st->early_offered = 1;
		st->d[MF_DIR_C2S].sw = SW_EARLY;
	}
	return 0;
}

static int server_hello(struct tls_state *st, struct mf_cur *c, const struct mf_frame *f)
{
	uint16_t legacy, suite, version;
	const uint8_t *random, *sid;
	uint8_t sidlen, etm = 0, psk = 0;
	char alpn[TEXT_MAX] = "";
	struct mf_cur x;

	legacy = mf_cur_be16(c);
	random = mf_cur_bytes(c, 32);
	sidlen = mf_cur_u8(c);
	sid = mf_cur_bytes(c, sidlen);
	suite = mf_cur_be16(c);
	mf_cur_u8(c);
	if (!mf_cur_ok(c) || sidlen > 32)
		return malformed(st, MF_DIR_S2C, f, "ServerHello");
	version = legacy;
	if (mf_cur_left(c) >= 2) {
		x = mf_cur_sub(c, mf_cur_be16(c), NULL);
		while (mf_cur_left(&x) >= 4) {
			uint16_t type = mf_cur_be16(&x);
			struct mf_cur e = mf_cur_sub(&x, mf_cur_be16(&x), NULL);

			if (type == EXT_SUPPORTED_VERSIONS && mf_cur_left(&e) >= 2) {
				version = mf_cur_be16(&e);
			} else if (type == EXT_ALPN) {
				parse_alpn_list(st, &e, 0, alpn, sizeof(alpn));
			} else if (type == EXT_ETM) {
				etm = 1;
			} else if (type == EXT_PSK) {
				psk = 1;
			}
		}
	}
	st->version = version;
	st->suite_id = suite;
	st->suite = mf_tls_suite_find(suite);
	if (memcmp(random, hrr_random, 32) == 0) {
		st->hrr = 1;                        /* a second ClientHello follows */
		return 0;
	}
	memcpy(st->server_random, random, 32);
	if (alpn[0])
		memcpy(st->alpn, alpn, sizeof(alpn));
	st->etm = etm;
	st->kb_ok = 0;
	st->have_sh = 1;
	st->server_hellos++;
	if (version == 0x0304) {
		struct tdir *cd = &st->d[MF_DIR_C2S];

		st->resumed = psk;
		st->d[MF_DIR_S2C].sw = SW_HS;
		st->d[MF_DIR_S2C].is13 = 1;
		cd->is13 = 1;
		/* the client's next protected records use its handshake keys;
		 * with early data in flight they come after it (trial) */
		if (cd->epoch != EP_EARLY || st->hrr)
			return key13(st, MF_DIR_C2S, EP_HS, f);
		return 0;
	}
	st->resumed = sidlen > 0 && sidlen == st->ch_sid_len && memcmp(sid, st->ch_sid, sidlen) == 0;
	return 0;
}

static void encrypted_extensions(struct tls_state *st, struct mf_cur *c)
{
	struct mf_cur x = mf_cur_sub(c, mf_cur_be16(c), NULL);

	while (mf_cur_left(&x) >= 4) {
		uint16_t type = mf_cur_be16(&x);
		struct mf_cur e = mf_cur_sub(&x, mf_cur_be16(&x), NULL);

		if (type == EXT_ALPN)
			parse_alpn_list(st, &e, 0, st->alpn, sizeof(st->alpn));
		else if (type == EXT_EARLY_DATA)
			st->early_accepted = 1;
	}
}

static int handshake_msg(struct tls_state *st, int dir, uint8_t type, const uint8_t *body,
                         size_t len, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	struct mf_cur c;

	mf_cur_init(&c, body, len);
	switch (type) {
	case HS_CLIENT_HELLO:
		if (dir == MF_DIR_C2S)
			return client_hello(st, &c, f);
		break;
	case HS_SERVER_HELLO:
		if (dir == MF_DIR_S2C)
			return server_hello(st, &c, f);
		break;
	case HS_ENCRYPTED_EXTENSIONS:
		if (dir == MF_DIR_S2C)
			encrypted_extensions(st, &c);
		break;
	case HS_FINISHED:
		if (d->is13 && d->epoch == EP_HS)
			d->sw = SW_APP;
		break;
	case HS_END_OF_EARLY_DATA:
		if (dir == MF_DIR_C2S && d->epoch == EP_EARLY)
			d->sw = SW_HS;
		break;
	case HS_KEY_UPDATE:
		if (d->is13 && d->epoch == EP_APP)
			d->sw = SW_UPDATE;
		break;
	default:
		break;
	}
	return 0;
}

static int keep_type(uint8_t t)
{
	return t == HS_CLIENT_HELLO || t == HS_SERVER_HELLO || t == HS_ENCRYPTED_EXTENSIONS ||
	    t == HS_FINISHED || t == HS_END_OF_EARLY_DATA || t == HS_KEY_UPDATE;
}

/* Handshake bytes of one direction, in order; messages may span records. */
static int hs_feed(struct tls_state *st, int dir, const uint8_t *p, size_t n,
                   const struct mf_frame *f)
{
	struct hs_asm *h = &st->d[dir].hs;
	size_t take;
	int rc;

	while (n > 0) {
		if (h->hdr_have < 4) {
			take = 4u - h->hdr_have;
			if (take > n)
				take = n;
			memcpy(h->hdr + h->hdr_have, p, take);
			h->hdr_have = (uint8_t)(h->hdr_have + take);
			p += take;
			n -= take;
			if (h->hdr_have < 4)
				break;
			h->len = mf_be32(h->hdr) & 0xffffffu;
			h->have = 0;
			h->keep = keep_type(h->hdr[0]) && h->len <= HS_KEEP_MAX;
			mf_buf_reset(&h->body);
		}
		take = h->len - h->have;
		if (take > n)
			take = n;
		if (h->keep && take && mf_buf_add(&h->body, p, take) == MF_ERR_NOMEM)
			return MF_ERR_NOMEM;
		h->have += (uint32_t)take;
		p += take;
		n -= take;
		if (h->have == h->len) {
			h->hdr_have = 0;
			if (h->keep) {
				rc = handshake_msg(st, dir, h->hdr[0], h->body.data, h->len, f);
				if (rc)
					return rc;
			}
		}
	}
	return 0;
}

/* ---- records ---- */

/* Ends the inner consumer now.  One that would wait for something after
 * its stream (an HTTP CONNECT tunnel holding a TLS session of its own) is
 * told the wait is over: this session's end is the end of its bytes. */
static void inner_close(struct tls_state *st, int how, const struct mf_frame *f)
{
	if (st->inner->close(st->inner_st, st->ctx, how, f) == MF_STREAM_LINGER &&
	    st->inner->resume)
		(void)st->inner->resume(st->inner_st, st->ctx, 1);
	st->inner_done = 1;
}

static int feed_inner(struct tls_state *st, int dir, const uint8_t *p, size_t n,
                      const struct mf_frame *f)
{
	const struct mf_stream_proto *pr;

	if (st->inner_done || n == 0)
		return 0;
	if (!st->inner) {
		int opaque = 0;

		if (st->alpn[0])
			pr = strcmp(st->alpn, "h2") == 0 ? st->h2 : st->h1;
		else if (dir == MF_DIR_C2S && n >= 14 && memcmp(p, "PRI * HTTP/2.0", 14) == 0)
			pr = st->h2;
		else {
			pr = st->h1;
			/* no ALPN: HTTP only if it starts like HTTP (a request line
			 * from the client, a status line from the server) */
			if (dir == MF_DIR_C2S && n >= 8)
				opaque = !mf_proto_http1.probe(p, n);
			else if (dir == MF_DIR_S2C && n >= 5)
				opaque = memcmp(p, "HTTP/", 5) != 0;
		}
		if (!pr || !pr->open || !pr->data) {
			st->inner_done = 1;
			return 0;
		}
		st->ifl = st->fl;
		st->ifl.tls = 1;
		st->ifl.opaque = (unsigned)opaque;
		st->ifl.alpn = st->alpn[0] ? st->alpn : NULL;
		st->ifl.sni = st->sni[0] ? st->sni : NULL;
		st->inner_st = pr->open(st->ctx, &st->ifl);
		if (!st->inner_st) {
			st->inner_done = 1;
			return MF_ERR_NOMEM;
		}
		st->inner = pr;
	}
	return st->inner->data(st->inner_st, st->ctx, dir, p, n, f);
}

static int apply_switch(struct tls_state *st, int dir, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	int sw = d->sw;

	d->sw = SW_NONE;
	switch (sw) {
	case SW_CCS12:
		return start12(st, dir, f);
	case SW_EARLY:
		return key13(st, dir, EP_EARLY, f);
	case SW_HS:
		return key13(st, dir, EP_HS, f);
	case SW_APP:
		return key13(st, dir, EP_APP, f);
	case SW_UPDATE:
		d->generation++;
		st->key_updates[dir]++;
		if (!d->nokey && mf_tls13_dec_update(&d->dec))
			d->nokey = 1;
		return 0;
	default:
		return 0;
	}
}

/* The content of a record (plaintext, or decrypted when prot). */
static int content(struct tls_state *st, int dir, uint8_t type, const uint8_t *p, size_t n,
                   int prot, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];

	switch (type) {
	case CT_HANDSHAKE:
		return hs_feed(st, dir, p, n, f);
	case CT_ALERT:
		if (n >= 2) {
			d->alert_level = p[0];
			d->alert_desc = p[1];
		}
		return 0;
	case CT_CCS:
		/* TLS 1.3: middlebox compatibility, skipped; TLS 1.2: new keys
		 * after this record (encrypted: renegotiation) */
		if (!d->is13 && st->version != 0x0304 &&
		    !(dir == MF_DIR_C2S && !st->have_sh && st->offered13))
			d->sw = SW_CCS12;
		return 0;
	case CT_APP:
		if (!prot)
			return 0;
		d->app_records++;
		d->plaintext_bytes += n;
		return feed_inner(st, dir, p, n, f);
	default:
		return 0;
	}
}

/* A live key log grew since dir's key was missed: look again, and continue
 * the epoch at the sequence number it reached without a key.  Returns 1
 * when the key is now there (*seq: where the live records are), else 0, or
 * MF_ERR_NOMEM. */
static int find_late_key(struct tls_state *st, int dir, const struct mf_frame *f, uint64_t *seq)
{
	struct tdir *d = &st->d[dir];
	int rc;

	*seq = d->nokey_seq;
	if (!st->have_ch || !st->ctx->keylog || d->epoch == EP_PLAIN ||
	    mf_keylog_count(st->ctx->keylog) == d->kl_seen)
		return 0;
	st->retrying = 1;
	rc = d->is13 ? key13(st, dir, d->epoch, f) : start12(st, dir, f);
	st->retrying = 0;
	if (rc == 0 && !d->nokey) {
		d->dec.seq = *seq;
		return 1;
	}
	d->nokey_seq = *seq;
	return rc;
}

static int retry_key(struct tls_state *st, int dir, const struct mf_frame *f)
{
	uint64_t seq;
	int rc = find_late_key(st, dir, f, &seq);

	if (rc == 1 && st->d[dir].held_n)
		return replay_held(st, dir, seq);
	return rc < 0 ? rc : 0;
}

static int record(struct tls_state *st, int dir, const uint8_t *hdr, const uint8_t *frag,
                  size_t len, const struct mf_frame *f);

/* Keeps a record that arrived before its key (capped per direction). */
static void hold(struct tls_state *st, int dir, const uint8_t *hdr, const uint8_t *frag,
                 size_t len, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	uint8_t meta[4 + 8 + 8];
	uint64_t fr = f ? f->number : 0;
	int64_t ts = f ? f->ts_ns : 0;
	int i;

	if (d->held_overflow || d->epoch == EP_EARLY)
		return;
	if (d->held_n == 0) {
		mf_buf_init(&d->held, HELD_MAX);
		d->held_first_seq = d->nokey_seq;
	}
	mf_put_be32(meta, (uint32_t)len);
	for (i = 0; i < 8; i++) {
		meta[4 + i] = (uint8_t)(fr >> (56 - 8 * i));
		meta[12 + i] = (uint8_t)((uint64_t)ts >> (56 - 8 * i));
	}
	if (st->ctx->st.tls_held_bytes + sizeof(meta) + REC_HDR + len > st->ctx->lim.tls_held_max ||
	    mf_buf_reserve(&d->held, sizeof(meta) + REC_HDR + len) != 0) {
		d->held_overflow = 1;   /* the earliest records stay, the rest cannot wait */
		return;
	}
	st->ctx->st.tls_held_bytes += sizeof(meta) + REC_HDR + len;
	mf_buf_add(&d->held, meta, sizeof(meta));
	mf_buf_add(&d->held, hdr, REC_HDR);
	mf_buf_add(&d->held, frag, len);
	d->held_n++;
}

static void held_drop(struct tls_state *st, struct tdir *d)
{
	st->ctx->st.tls_held_bytes -= d->held.len <= st->ctx->st.tls_held_bytes ? d->held.len
	    : st->ctx->st.tls_held_bytes;
	mf_buf_free(&d->held);
	d->held_n = 0;
	d->held_overflow = 0;
}

/* The records kept for one direction, taken out of it to be replayed. */
struct held_it {
	struct mf_buf b;
	struct mf_cur c;
	uint32_t n;                 /* records left */
	int dir, overflow;
	uint64_t seq_now;           /* where the live records are */
};

static void held_take(struct tls_state *st, int dir, uint64_t seq_now, struct held_it *it)
{
	struct tdir *d = &st->d[dir];

	it->b = d->held;
	it->n = d->held_n;
	it->dir = dir;
	it->overflow = d->held_overflow;
	it->seq_now = seq_now;
	d->held.data = NULL;
	held_drop(st, d);           /* releases the accounting; it->b keeps the bytes */
	d->dec.seq = d->held_first_seq;
	mf_cur_init(&it->c, it->b.data, it->b.len);
}

/* Frame number of the next kept record, UINT64_MAX when none. */
static uint64_t held_peek(const struct held_it *it)
{
	struct mf_cur c = it->c;

	if (!it->n)
		return UINT64_MAX;
	(void)mf_cur_be32(&c);
	return mf_cur_ok(&c) ? mf_cur_be64(&c) : UINT64_MAX;
}

static int held_step(struct tls_state *st, struct held_it *it)
{
	uint32_t len = mf_cur_be32(&it->c);
	uint64_t fr = mf_cur_be64(&it->c);
	int64_t ts = (int64_t)mf_cur_be64(&it->c);
	const uint8_t *hdr = mf_cur_bytes(&it->c, REC_HDR);
	const uint8_t *frag = mf_cur_bytes(&it->c, len);
	struct mf_frame f;
	int rc;

	it->n--;
	if (!mf_cur_ok(&it->c)) {
		it->n = 0;
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.number = fr;
	f.ts_ns = ts;
	f.input = st->fl.input;
	st->replaying = 1;
	st->d[it->dir].undecrypted--;
	rc = record(st, it->dir, hdr, frag, len, &f);
	st->replaying = 0;
	return rc;
}

static int held_done(struct tls_state *st, struct held_it *it, int rc)
{
	struct tdir *d = &st->d[it->dir];

	mf_buf_free(&it->b);
	if (it->overflow) {
		d->dec.seq = it->seq_now;   /* records past the cap were not kept */
		if (rc == 0)
			rc = anomaly(st, it->dir, NULL, "tls_held_overflow", 0,
			    "%s: more records arrived before the key than could be kept; "
			    "only the first were decrypted late", dir_names[it->dir]);
	}
	return rc;
}

/* The key arrived: the kept records are decrypted first, in order, at the
 * sequence numbers they had; then the stream goes on where it was. */
static int replay_held(struct tls_state *st, int dir, uint64_t seq_now)
{
	struct held_it it;
	int rc = 0;

	held_take(st, dir, seq_now, &it);
	while (it.n && rc == 0)
		rc = held_step(st, &it);
	return held_done(st, &it, rc);
}

/* Both directions' keys arrived together (a session that ended before
 * them): the kept records are replayed in capture order, as one side can
 * depend on the other (a TLS 1.2 renegotiation's new keys need the server's
 * new random). */
static int replay_merged(struct tls_state *st, uint64_t seq_now[2])
{
	struct held_it it[2];
	int rc = 0, r, i;

	held_take(st, MF_DIR_C2S, seq_now[0], &it[0]);
	held_take(st, MF_DIR_S2C, seq_now[1], &it[1]);
	while (rc == 0 && (it[0].n || it[1].n)) {
		i = held_peek(&it[1]) < held_peek(&it[0]) ? 1 : 0;
		if (!it[i].n)
			i ^= 1;
		rc = held_step(st, &it[i]);
	}
	r = held_done(st, &it[0], rc);
	return held_done(st, &it[1], r);
}

static int record(struct tls_state *st, int dir, const uint8_t *hdr, const uint8_t *frag,
                  size_t len, const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	uint8_t type = hdr[0], itype = 0;
	uint8_t *pt = NULL;
	long n;
	int rc;

	if (!st->replaying)
		d->records++;
	if (d->epoch == EP_PLAIN || (d->is13 && type != CT_APP)) {
		if (type == CT_APP && d->epoch == EP_PLAIN) {
			/* application data with no handshake before it */
			d->epoch = EP_APP;
			d->nokey = 1;
			if (!st->have_ch) {
				rc = no_secret(st, dir, f, MF_KL_CLIENT_RANDOM);
				if (rc)
					return rc;
			}
		} else {
			rc = content(st, dir, type, frag, len, 0, f);
			if (rc == 0)
				rc = apply_switch(st, dir, f);
			return rc;
		}
	}
	if (!st->replaying) {
		d->prot_records++;
		if (type == CT_APP)
			d->ciphertext_bytes += len;
	}
	if (d->nokey && (rc = retry_key(st, dir, f)) != 0)
		return rc;
	if (d->nokey && !d->is13) {
		hold(st, dir, hdr, frag, len, f);
		d->undecrypted++;
		d->nokey_seq++;
		return 0;
	}
	if (!st->out && !(st->out = malloc(OUT_SIZE)))
		return MF_ERR_NOMEM;
	n = d->nokey ? MF_ERR_CRYPTO : mf_tls_dec_record(&d->dec, hdr, frag, len, st->out, &pt, &itype);
	if (n < 0 && d->is13)
		n = trial_next(st, dir, hdr, frag, len, &pt, &itype);
	if (n < 0) {
		d->undecrypted++;
		if (d->nokey && d->epoch != EP_EARLY) {
			hold(st, dir, hdr, frag, len, f);
			d->nokey_seq++;
		}
		if (d->nokey || d->epoch == EP_EARLY)
			return 0;               /* no key, or early data nobody can read */
		d->bad++;
		if (type == CT_HANDSHAKE || d->is13) {
			d->hs.hdr_have = 0;     /* a handshake message may have lost a part */
			mf_buf_reset(&d->hs.body);
		}
		rc = 0;
		if (d->bad <= BAD_REPORT_MAX)
			rc = anomaly(st, dir, f, n == MF_ERR_CRYPTO ? "tls_bad_record_mac" :
			    "tls_bad_record_length", d->records,
			    "%s record %" PRIu64 " (%zu bytes, seq %" PRIu64 ") does not authenticate%s",
			    dir_names[dir], d->records, len, d->dec.seq,
			    d->bad == BAD_REPORT_MAX ? "; further bad records are only counted" : "");
		d->dec.seq++;
		return rc;
	}
	d->dec.seq++;
	rc = content(st, dir, itype, pt, (size_t)n, 1, f);
	if (rc == 0)
		rc = apply_switch(st, dir, f);
	return rc;
}

static int header_ok(const uint8_t *h)
{
	return h[0] >= CT_CCS && h[0] <= CT_HEARTBEAT && h[1] == 3 && h[2] <= 4 &&
	    mf_be16(h + 3) <= MF_TLS_FRAG_MAX;
}

static int invalid(struct tls_state *st, int dir, const uint8_t *h, size_t have,
                   const struct mf_frame *f)
{
	struct tdir *d = &st->d[dir];
	char hex[11];

	d->dead = 1;
	mf_buf_reset(&d->rec);
	mf_hex_encode(h, have < 5 ? have : 5, hex);
	return anomaly(st, dir, f, "tls_invalid_record", 0,
	    "%s bytes at stream offset %" PRIu64 " are not a TLS record (header %s)%s",
	    dir_names[dir], d->offset, hex,
	    mf_be16(h + 3) > MF_TLS_FRAG_MAX && h[1] == 3 ? ": length over 2^14+2048" : "");
}

/* ---- the stream consumer ---- */

int mf_tls_probe(const uint8_t *p, size_t n)
{
	if (n < 3 || p[0] != CT_HANDSHAKE || p[1] != 3 || p[2] > 4)
		return 0;
	return n < 6 || p[5] == HS_CLIENT_HELLO;
}

void *mf_tls_open_with(struct mf_ctx *ctx, const struct mf_flow *fl,
                       const struct mf_stream_proto *http1, const struct mf_stream_proto *http2)
{
	struct tls_state *st = calloc(1, sizeof(*st));
	int i;

	if (!st)
		return NULL;
	st->ctx = ctx;
	st->fl = *fl;
	st->fl.alpn = NULL;
	st->fl.sni = NULL;
	if (fl->tunnel) {
		st->tun = *fl->tunnel;
		st->tun.target[sizeof(st->tun.target) - 1] = '\0';
		st->fl.tunnel = &st->tun;
	}
	st->h1 = http1;
	st->h2 = http2;
	for (i = 0; i < 2; i++) {
		mf_buf_init(&st->d[i].rec, REC_HDR + MF_TLS_FRAG_MAX);
		mf_buf_init(&st->d[i].hs.body, HS_KEEP_MAX);
		st->d[i].alert_level = st->d[i].alert_desc = -1;
	}
	return st;
}

static void *tls_open(struct mf_ctx *ctx, const struct mf_flow *fl)
{
	return mf_tls_open_with(ctx, fl, &mf_proto_http1, &mf_proto_http2);
}

static int tls_data(void *vst, struct mf_ctx *ctx, int dir, const uint8_t *p, size_t n,
                    const struct mf_frame *f)
{
	struct tls_state *st = vst;
	struct tdir *d;
	size_t take, need;
	int rc;

	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return 0;
	d = &st->d[dir];
	note_frame(st, f);
	while (n > 0 && !d->dead) {
		if (d->rec.len == 0 && n >= REC_HDR) {
			/* fast path: the whole record is in this chunk */
			if (!header_ok(p))
				return invalid(st, dir, p, n, f);
			need = REC_HDR + mf_be16(p + 3);
			if (n >= need) {
				rc = record(st, dir, p, p + REC_HDR, need - REC_HDR, f);
				d->offset += need;
				p += need;
				n -= need;
				if (rc)
					return rc;
				continue;
			}
		}
		if (d->rec.len < REC_HDR) {
			take = REC_HDR - d->rec.len;
			if (take > n)
				take = n;
			if (mf_buf_add(&d->rec, p, take))
				return MF_ERR_NOMEM;
			p += take;
			n -= take;
			if (d->rec.len < REC_HDR)
				break;
			if (!header_ok(d->rec.data))
				return invalid(st, dir, d->rec.data, REC_HDR, f);
		}
		need = REC_HDR + mf_be16(d->rec.data + 3);
		take = need - d->rec.len;
		if (take > n)
			take = n;
		if (take && mf_buf_add(&d->rec, p, take))
			return MF_ERR_NOMEM;
		p += take;
		n -= take;
		if (d->rec.len < need)
			break;
		rc = record(st, dir, d->rec.data, d->rec.data + REC_HDR, need - REC_HDR, f);
		d->offset += need;
		mf_buf_reset(&d->rec);
		if (rc)
			return rc;
	}
	return 0;
}

static void tls_gap(void *vst, struct mf_ctx *ctx, int dir, uint64_t missing,
                    const struct mf_frame *f)
{
	struct tls_state *st = vst;
	struct tdir *d;

	if (dir != MF_DIR_C2S && dir != MF_DIR_S2C)
		return;
	d = &st->d[dir];
	note_frame(st, f);
	d->gap_bytes += missing;
	if (!d->dead) {
		d->dead = 1;
		anomaly(st, dir, f, "tls_desync", 0,
		    "%" PRIu64 " %s bytes were not captured after stream offset %" PRIu64
		    ": the rest of this direction is not parsed", missing, dir_names[dir],
		    d->offset + d->rec.len);
	}
	mf_buf_reset(&d->rec);
	if (st->inner && !st->inner_done) {
		if (st->inner->gap) {
			st->inner->gap(st->inner_st, ctx, dir, missing, f);
		} else {
			inner_close(st, MF_END_EOF, f);
			st->inner = NULL;
			st->inner_st = NULL;
			st->inner_done = 1;
		}
	}
}

static cJSON *per_dir(uint64_t c2s, uint64_t s2c)
{
	cJSON *o = mf_json_obj();

	mf_json_u64(o, dir_names[MF_DIR_C2S], c2s);
	mf_json_u64(o, dir_names[MF_DIR_S2C], s2c);
	return o;
}

static int session_event(struct tls_state *st, int how)
{
	struct mf_event *ev = mf_event_new(st->have_frame ? st->first_ts : INT64_MIN, source_of(st),
	    "tls", "session");
	const struct tdir *c = &st->d[MF_DIR_C2S], *s = &st->d[MF_DIR_S2C];
	char hex[65], id[8];
	cJSON *t, *o;
	unsigned i;
	int dec, k;

	if (!ev)
		return MF_ERR_NOMEM;
	mf_flow_add_net(ev, &st->fl, MF_DIR_C2S);
	t = mf_json_obj();
	if (!t) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	if (st->have_sh && version_name(st->version))
		mf_json_str(t, "version", version_name(st->version));
	if (st->have_sh || st->hrr) {
		o = mf_json_obj();
		snprintf(id, sizeof(id), "0x%04x", st->suite_id);
		mf_json_str(o, "id", id);
		mf_json_str(o, "name", st->suite ? st->suite->name : "unknown");
		cJSON_AddItemToObject(t, "suite", o);
	}
	if (st->sni[0])
		mf_json_str(t, "sni", st->sni);
	if (st->alpn[0])
		mf_json_str(t, "alpn", st->alpn);
	if (st->noffered) {
		o = cJSON_CreateArray();
		for (i = 0; i < st->noffered; i++)
			cJSON_AddItemToArray(o, cJSON_CreateString(st->offered[i]));
		cJSON_AddItemToObject(t, "alpn_offered", o);
	}
	if (st->have_first) {
		mf_hex_encode(st->first_random, 32, hex);
		mf_json_str(t, "client_random", hex);
	}
	/* a key that came late (a live key log) still counts once every record
	 * it opened authenticated: missing_secrets keeps the history */
	dec = st->keyed && !c->undecrypted && !s->undecrypted && !c->dead &&
	    !s->dead && (c->prot_records || s->prot_records);
	mf_json_bool(t, "decrypted", dec);
	cJSON_AddItemToObject(t, "plaintext_bytes", per_dir(c->plaintext_bytes, s->plaintext_bytes));
	cJSON_AddItemToObject(t, "records", per_dir(c->records, s->records));
	cJSON_AddItemToObject(t, "ciphertext_bytes",
	    per_dir(c->ciphertext_bytes, s->ciphertext_bytes));
	if (c->undecrypted || s->undecrypted)
		cJSON_AddItemToObject(t, "undecrypted_records",
		    per_dir(c->undecrypted, s->undecrypted));
	if (c->bad || s->bad)
		cJSON_AddItemToObject(t, "bad_records", per_dir(c->bad, s->bad));
	if (st->version == 0x0304)
		cJSON_AddItemToObject(t, "key_updates",
		    per_dir(st->key_updates[0], st->key_updates[1]));
	mf_json_str(t, "handshake", st->have_sh ? "complete" : st->have_ch ? "incomplete"
	    : "not_captured");
	if (st->have_sh)
		mf_json_bool(t, "resumed", st->resumed);
	if (st->suite && st->suite->kind == MF_TLS_CBC)
		mf_json_bool(t, "encrypt_then_mac", st->etm);
	if (st->early_offered)
		mf_json_str(t, "early_data", st->early_accepted ? "accepted" : "rejected");
	if (st->hrr)
		mf_json_bool(t, "hello_retry", 1);
	if (st->server_hellos > 1)
		mf_json_u64(t, "renegotiations", st->server_hellos - 1);
	if (st->missing[0]) {
		char m[sizeof(st->missing)], *save = NULL, *tok;

		o = cJSON_CreateArray();
		memcpy(m, st->missing, sizeof(m));
		for (tok = strtok_r(m, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			cJSON_AddItemToArray(o, cJSON_CreateString(tok));
		cJSON_AddItemToObject(t, "missing_secrets", o);
	}
	if (st->origin[0])
		mf_json_str(t, "keylog", st->origin);
	o = NULL;
	for (k = 0; k < 2; k++) {
		const struct tdir *d = &st->d[k];

		if (d->alert_desc >= 0) {
			char a[48];
			const char *nm = alert_name(d->alert_desc);

			if (!o)
				o = mf_json_obj();
			if (nm)
				snprintf(a, sizeof(a), "%s%s", d->alert_level == 2 ? "fatal:" : "", nm);
			else
				snprintf(a, sizeof(a), "%d/%d", d->alert_level, d->alert_desc);
			mf_json_str(o, dir_names[k], a);
		}
	}
	if (o)
		cJSON_AddItemToObject(t, "alerts", o);
	if (c->gap_bytes || s->gap_bytes)
		cJSON_AddItemToObject(t, "gap_bytes", per_dir(c->gap_bytes, s->gap_bytes));
	if (st->trunc[0] || st->trunc[1])
		cJSON_AddItemToObject(t, "truncated_bytes", per_dir(st->trunc[0], st->trunc[1]));
	mf_json_str(t, "end", end_name(how));
	if (st->fl.tunnel && (o = tunnel_json(st)) != NULL)
		cJSON_AddItemToObject(t, "tunnel", o);
	mf_event_add(ev, "tls", t);
	add_evidence(ev, st, st->first_frame, 1);
	return mf_emit(st->ctx, ev);
}

/* Records kept for a key that is still missing: the session can wait for
 * it after its stream ended. */
static int waiting(const struct tls_state *st)
{
	return st->ctx->keylog && st->ctx->keys_may_come && ((st->d[0].nokey && st->d[0].held_n) ||
	    (st->d[1].nokey && st->d[1].held_n));
}

static void retry_all(struct tls_state *st, const struct mf_frame *f)
{
	uint64_t seq[2] = { 0, 0 };
	int got[2] = { 0, 0 }, i;

	for (i = 0; i < 2; i++)
		if (st->d[i].nokey && st->d[i].held_n)
			got[i] = find_late_key(st, i, f, &seq[i]) == 1;
	if (got[0] && got[1])
		(void)replay_merged(st, seq);
	else
		for (i = 0; i < 2; i++)
			if (got[i] && st->d[i].held_n)
				(void)replay_held(st, i, seq[i]);
}

/* The end: the inner consumer closes, the session event goes out. */
static void finish(struct tls_state *st)
{
	int i;

	if (st->inner && !st->inner_done)
		inner_close(st, st->end_how, NULL);
	if (st->d[0].offset || st->d[1].offset || st->trunc[0] || st->trunc[1])
		session_event(st, st->end_how);
	for (i = 0; i < 2; i++) {
		mf_tls_dec_free(&st->d[i].dec);
		mf_buf_free(&st->d[i].rec);
		mf_buf_free(&st->d[i].hs.body);
		held_drop(st, &st->d[i]);
	}
	mf_tls_dec_free(&st->trial);
	free(st->out);
	OPENSSL_cleanse(st->kb, sizeof(st->kb));
	free(st);
}

static int tls_close(void *vst, struct mf_ctx *ctx, int how, const struct mf_frame *f)
{
	struct tls_state *st = vst;
	int i;

	if (!st)
		return 0;
	/* a key that arrived after the session's last record still opens the
	 * records that were kept for it */
	retry_all(st, f);
	for (i = 0; i < 2; i++) {
		struct tdir *d = &st->d[i];

		st->trunc[i] = d->rec.len;
		if (d->rec.len && !d->dead)
			anomaly(st, i, f, "tls_truncated", 0,
			    "the %s stream ended inside a record: %zu of %u bytes", dir_names[i],
			    d->rec.len, d->rec.len >= REC_HDR ? (unsigned)(REC_HDR + mf_be16(d->rec.data + 3)) : 0u);
	}
	st->ended = 1;
	st->end_how = how;
	if (st->inner && !st->inner_done && !waiting(st)) {
		/* closed here, with the frame that ended the stream */
		inner_close(st, how, f);
	}
	if (!waiting(st)) {
		finish(st);
		return 0;
	}
	/* the key may still come (a live key log, a later DSB): wait for it
	 * with the kept records only */
	for (i = 0; i < 2; i++)
		mf_buf_free(&st->d[i].rec);     /* the partial record never ends */
	free(st->out);
	st->out = NULL;
	return MF_STREAM_LINGER;
}

static int tls_resume(void *vst, struct mf_ctx *ctx, int final)
{
	struct tls_state *st = vst;

	(void)ctx;
	retry_all(st, NULL);
	if (waiting(st) && !final)
		return MF_STREAM_LINGER;
	finish(st);
	return 0;
}

const struct mf_stream_proto mf_proto_tls = {
	.name = "tls",
	.ports = { 443, 8443, 0 },
	.probe = mf_tls_probe,
	.open = tls_open,
	.data = tls_data,
	.gap = tls_gap,
	.close = tls_close,
	.resume = tls_resume,
};
