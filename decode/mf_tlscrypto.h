/*
 * mf_tlscrypto.h - TLS 1.2/1.3 key schedule and record decryption through
 * OpenSSL EVP (../shared/reference/tls-keylog.md sections 3-5).
 *
 *   TLS 1.2  key_block = PRF(master_secret, "key expansion", server_random || client_random)
 *            -> client MAC key, server MAC key, client key, server key, client IV, server IV
 *   TLS 1.3  key = HKDF-Expand-Label(secret, "key", "", key_len)
 *            iv  = HKDF-Expand-Label(secret, "iv",  "", 12)
 *            next generation: HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)
 *
 * One `struct mf_tls_dec` per direction holds one cached EVP cipher context
 * (and for CBC suites one HMAC context): a new epoch sets the key once, each
 * record only sets its IV/nonce.  No allocation per record.
 */
#ifndef MF_TLSCRYPTO_H
#define MF_TLSCRYPTO_H

#include <stddef.h>
#include <stdint.h>

enum mf_tls_kind {
	MF_TLS_UNSUPPORTED = 0,  /* known name, no decryption */
	MF_TLS_GCM,              /* AES-GCM (RFC 5288 / RFC 8446) */
	MF_TLS_CHACHA,           /* ChaCha20-Poly1305 (RFC 7905 / RFC 8446) */
	MF_TLS_CBC               /* AES-CBC + HMAC (RFC 5246, RFC 7366 encrypt-then-MAC) */
};

enum mf_tls_hash { MF_TLS_SHA1 = 1, MF_TLS_SHA256, MF_TLS_SHA384 };

struct mf_tls_suite {
	uint16_t id;
	const char *name;        /* IANA name */
	uint8_t tls13;           /* a TLS 1.3 suite */
	uint8_t kind;            /* enum mf_tls_kind */
	uint8_t key_len;         /* 16 or 32 */
	uint8_t fixed_iv_len;    /* from the key block: GCM 4, ChaCha 12, CBC 16; TLS 1.3: 12 */
	uint8_t prf;             /* PRF / HKDF hash: MF_TLS_SHA256 or MF_TLS_SHA384 */
	uint8_t mac;             /* CBC record MAC hash (enum mf_tls_hash), else 0 */
};

/* Largest TLSCiphertext.fragment (RFC 5246 6.2.3: 2^14 + 2048). */
#define MF_TLS_FRAG_MAX (16384 + 2048)
#define MF_TLS_SECRET_MAX 48
#define MF_TLS_TAG 16

/* The suite with this IANA id, or NULL when not in the table. */
const struct mf_tls_suite *mf_tls_suite_find(uint16_t id);

/* Hash output length of an enum mf_tls_hash (20, 32, 48). */
size_t mf_tls_hash_len(int hash);

/* TLS 1.2 PRF (RFC 5246 section 5) with SHA-256 or SHA-384.
 * Returns 0 or MF_ERR_CRYPTO. */
int mf_tls12_prf(int hash, const uint8_t *secret, size_t slen, const char *label,
                 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen);

/* HKDF-Expand-Label (RFC 8446 section 7.1); label without "tls13 ".
 * Returns 0 or MF_ERR_CRYPTO (also for outlen > 255 or a long label). */
int mf_tls13_expand_label(int hash, const uint8_t *secret, size_t slen, const char *label,
                          const uint8_t *context, size_t ctxlen, uint8_t *out, size_t outlen);

/* One direction's record protection. */
struct mf_tls_dec {
	void *cipher;            /* EVP_CIPHER_CTX, kept across epochs */
	void *mac;               /* EVP_MAC_CTX (CBC suites) */
	const struct mf_tls_suite *suite;
	uint64_t seq;            /* next record's sequence number; the caller advances it */
	uint8_t iv[16];          /* GCM salt (4), ChaCha/TLS 1.3 IV (12) */
	uint8_t secret[MF_TLS_SECRET_MAX];   /* TLS 1.3 traffic secret of this epoch */
	uint8_t secret_len;
	uint8_t tls13;
	uint8_t etm;             /* TLS 1.2 CBC encrypt-then-MAC */
	uint8_t keyed;           /* a key is installed */
};

/* Releases the contexts and zeroes *d (which can then be keyed again). */
void mf_tls_dec_free(struct mf_tls_dec *d);

/* TLS 1.2: installs key/iv (and mac_key for CBC) for a new epoch, seq = 0.
 * Returns 0, MF_ERR_NOMEM or MF_ERR_UNSUPPORTED / MF_ERR_CRYPTO. */
int mf_tls12_dec_key(struct mf_tls_dec *d, const struct mf_tls_suite *s, const uint8_t *key,
                     const uint8_t *iv, const uint8_t *mac_key, int etm);

/* TLS 1.2: the key block of a suite, split for one side (client = 1 for
 * the client's write keys).  out_* point into kb (>= 2*(mac+key+iv) bytes). */
int mf_tls12_key_block(const struct mf_tls_suite *s, const uint8_t *master, size_t mlen,
                       const uint8_t client_random[32], const uint8_t server_random[32],
                       uint8_t *kb, size_t kbsize);
size_t mf_tls12_key_block_len(const struct mf_tls_suite *s);
/* Offsets of one side's MAC key, key and IV within the key block. */
void mf_tls12_key_block_split(const struct mf_tls_suite *s, const uint8_t *kb, int client,
                              const uint8_t **mac_key, const uint8_t **key, const uint8_t **iv);

/* TLS 1.3: installs the epoch of a traffic secret (key and iv derived),
 * seq = 0.  Returns 0, MF_ERR_NOMEM, MF_ERR_ARG (wrong secret length),
 * MF_ERR_CRYPTO. */
int mf_tls13_dec_key(struct mf_tls_dec *d, const struct mf_tls_suite *s, const uint8_t *secret,
                     size_t slen);
/* TLS 1.3 KeyUpdate: the next generation of the installed secret. */
int mf_tls13_dec_update(struct mf_tls_dec *d);
/* The key and IV a TLS 1.3 secret gives (tests; key_len from the suite). */
int mf_tls13_traffic_keys(const struct mf_tls_suite *s, const uint8_t *secret, size_t slen,
                          uint8_t *key, uint8_t iv[12]);

/* Decrypts and authenticates one record with the installed key and d->seq
 * (not advanced here).  hdr: the 5 header bytes; frag/n: the fragment;
 * out: room for n bytes (may equal frag: in place).  *ptype gets the content
 * type (TLS 1.3: the inner type; TLS 1.2: hdr[0]); *pout the start of the
 * plaintext inside out.  Returns the plaintext length (>= 0),
 * MF_ERR_CRYPTO when the record does not authenticate (tag, MAC or padding),
 * MF_ERR_FORMAT when its length cannot hold a record of this suite. */
long mf_tls_dec_record(struct mf_tls_dec *d, const uint8_t hdr[5], const uint8_t *frag, size_t n,
                       uint8_t *out, uint8_t **pout, uint8_t *ptype);

#endif
