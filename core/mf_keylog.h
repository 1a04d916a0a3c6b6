/*
 * mf_keylog.h - TLS secrets from NSS key logs (SSLKEYLOGFILE, RFC 9850)
 * and pcapng Decryption Secrets Blocks, looked up by client random.
 * (../shared/reference/tls-keylog.md section 1.)
 *
 *   CLIENT_RANDOM <64 hex client_random> <96 hex master secret>      TLS 1.2
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET / SERVER_HANDSHAKE_TRAFFIC_SECRET
 *   CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0 / EXPORTER_SECRET ...
 *
 * The store can grow while a capture is read (a live key log, a DSB in the
 * middle of a pcapng); lookups see what was added so far.
 */
#ifndef MF_KEYLOG_H
#define MF_KEYLOG_H

#include <stddef.h>
#include <stdint.h>

enum mf_keylog_label {
	MF_KL_CLIENT_RANDOM = 1,      /* TLS 1.2 master secret (48 bytes) */
	MF_KL_CLIENT_HS_TRAFFIC,      /* TLS 1.3 secrets (hash length) */
	MF_KL_SERVER_HS_TRAFFIC,
	MF_KL_CLIENT_TRAFFIC_0,
	MF_KL_SERVER_TRAFFIC_0,
	MF_KL_EXPORTER,
	MF_KL_EARLY_TRAFFIC,
	MF_KL_LABELS
};

struct mf_keylog;

struct mf_keylog *mf_keylog_new(void);
void mf_keylog_free(struct mf_keylog *kl);

/* Adds every line of a key log held in memory (a file's content or a DSB
 * payload).  origin names the source in findings ("keys.log", "pcapng DSB
 * block 3").  Bad lines are counted in *bad (may be NULL).  Returns the
 * number of secrets added (>= 0) or MF_ERR_NOMEM. */
int mf_keylog_add_mem(struct mf_keylog *kl, const char *buf, size_t len, const char *origin,
                      unsigned *bad);
/* Reads a key log file.  Returns secrets added (>= 0), MF_ERR_IO or
 * MF_ERR_FORMAT (nothing usable), with the reason in errbuf. */
int mf_keylog_load_file(struct mf_keylog *kl, const char *path, unsigned *bad, char *errbuf);

/* The secret for (label, client_random); NULL when unknown.  *len gets its
 * length, *origin (may be NULL) where it came from. */
const uint8_t *mf_keylog_find(const struct mf_keylog *kl, int label,
                              const uint8_t client_random[32], size_t *len,
                              const char **origin);

size_t mf_keylog_count(const struct mf_keylog *kl);

#endif
