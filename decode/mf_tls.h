/*
 * mf_tls.h - TLS 1.2/1.3 over a reassembled TCP stream: record layer,
 * handshake (SNI, ALPN, version, suite), decryption with secrets from the
 * key log (ctx->keylog, by client random), plaintext handed to an inner
 * stream consumer chosen by ALPN ("h2" -> HTTP/2, else HTTP/1.1).
 *
 * Reference: ../shared/reference/tls-keylog.md; key schedule and record
 * ciphers in mf_tlscrypto.h.  Output: one "tls" "session" event per stream
 * at its end, anomalies tls_* (docs/EVENTS.md).
 */
#ifndef MF_TLS_H
#define MF_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "mf_stream.h"

/* Ports 443, 8443, and any stream whose first client bytes are a TLS
 * handshake record (16 03 0x, ClientHello); also opened by HTTP/1.x for a
 * CONNECT tunnel (flow.tunnel set: reported in tls.tunnel). */
extern const struct mf_stream_proto mf_proto_tls;

/* mf_proto_tls.probe */
int mf_tls_probe(const uint8_t *p, size_t n);

/* mf_proto_tls.open with explicit inner consumers (either may be NULL:
 * plaintext is then counted, not parsed).  Unit tests pass their own; the
 * table entry uses mf_proto_http1 / mf_proto_http2.  The returned state is
 * driven through mf_proto_tls.data / gap / close. */
void *mf_tls_open_with(struct mf_ctx *ctx, const struct mf_flow *fl,
                       const struct mf_stream_proto *http1, const struct mf_stream_proto *http2);

#endif
