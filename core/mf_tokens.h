/*
 * mf_tokens.h - the secrets store for miIO device tokens (and cloud keys).
 *
 * Token forms accepted (../shared/reference/miio.md section 12): 32 hex
 * chars, 96 hex chars (iOS ZTOKEN, AES-128-ECB under a zero key), 16 ASCII
 * characters used as raw bytes.  Each entry remembers where it came from and
 * what it is bound to (device id, IP); key/IV and one cached AES-CBC context
 * per token are derived once.
 */
#ifndef MF_TOKENS_H
#define MF_TOKENS_H

#include <stddef.h>
#include <stdint.h>

enum mf_token_form { MF_TOK_HEX32 = 1, MF_TOK_IOS96, MF_TOK_ASCII16 };

struct mf_token {
	uint8_t token[16];
	uint8_t key[16];        /* MD5(token) */
	uint8_t iv[16];         /* MD5(key || token) */
	char origin[160];       /* "tokens.txt:3", "--token", "learned: frame 12 (miIO.info)" */
	uint32_t did;           /* bound device id when has_did (its low 32 bits) */
	uint32_t did_hi;        /* upper half of a 64-bit device id, else 0 */
	uint8_t ip[16];         /* bound address when ip_len (4 or 16) */
	uint8_t ip_len;
	unsigned has_did : 1;
	unsigned learned : 1;   /* found inside the evidence */
	unsigned confirmed : 1; /* an MD5 checksum proved it at least once */
	int form;
};

struct mf_tokens;

struct mf_tokens *mf_tokens_new(void);
void mf_tokens_free(struct mf_tokens *t);

/* Parses one token in any accepted form.  Returns 0, or MF_ERR_FORMAT with a
 * reason in errbuf.  *form (may be NULL) receives the mf_token_form. */
int mf_token_parse(const char *s, size_t n, uint8_t out[16], int *form, char *errbuf);

/* Adds a token.  selector: NULL/"" (try on every device), a device id
 * (decimal or 0x-hex, up to 64 bits: bytes 4..11 of the header), or an
 * IPv4/IPv6 address.  An identical token+binding
 * is merged.  Returns the entry index (>= 0) or a negative MF_ERR_*. */
int mf_tokens_add(struct mf_tokens *t, const uint8_t token[16], const char *selector,
                  const char *origin, int form, char *errbuf);
/* Binds an existing entry to a device id (learning from traffic). */
void mf_tokens_bind_did(struct mf_tokens *t, size_t idx, uint32_t did);

/* Loads "<did-or-ip> <token>" lines (# comments, blank lines; a line with
 * only a token is a try-everywhere token) or JSON: every object with a
 * "token" member, at any depth (a device list, {"devices":[...]}, a cloud
 * reply {"result":{"list":[...]}}, Home Assistant config entries), bound by
 * its did, else localip/ip/localIP/host, else the key it sits under; and
 * {"<did-or-ip>": "<token>"} maps; or Xiaomi-cloud-tokens-extractor's
 * printout (blocks of "ID:", "IP:", "TOKEN:" lines).  Bad lines
 * are reported through errbuf and counted in *bad (may be NULL); the rest
 * load.  Returns 0, MF_ERR_IO, or MF_ERR_FORMAT when nothing usable. */
int mf_tokens_load_file(struct mf_tokens *t, const char *path, unsigned *bad, char *errbuf);
int mf_tokens_load_mem(struct mf_tokens *t, const char *buf, size_t len, const char *name,
                       unsigned *bad, char *errbuf);

/* Entries are only ever appended (never removed or reordered): an index
 * stays valid for the store's life, and a count that grew is how a decoder
 * notices new tokens (decode/mf_miio_held.c retries the frames it holds
 * with entries [count it saw, count now) only). */
size_t mf_tokens_count(const struct mf_tokens *t);
const struct mf_token *mf_tokens_get(const struct mf_tokens *t, size_t idx);
void mf_tokens_set_confirmed(struct mf_tokens *t, size_t idx);

/* Index of the first entry bound to did / ip, or -1. */
int mf_tokens_find_did(const struct mf_tokens *t, uint32_t did);
int mf_tokens_find_ip(const struct mf_tokens *t, const uint8_t *ip, size_t ip_len);
int mf_tokens_find_token(const struct mf_tokens *t, const uint8_t token[16]);

/* AES-128-CBC decrypt/encrypt of n bytes (n % 16 == 0, no padding handling)
 * with entry idx's key and IV through its cached EVP context.
 * Returns 0 or MF_ERR_CRYPTO / MF_ERR_ARG. */
int mf_tokens_decrypt(struct mf_tokens *t, size_t idx, const uint8_t *in, size_t n,
                      uint8_t *out);
int mf_tokens_encrypt(struct mf_tokens *t, size_t idx, const uint8_t *in, size_t n,
                      uint8_t *out);

#endif
