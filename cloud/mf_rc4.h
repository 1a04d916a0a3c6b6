/*
 * mf_rc4.h - RC4 (ARCFOUR) stream cipher, written here because OpenSSL 3
 * keeps RC4 in its legacy provider.  Used only to read and write Mi cloud
 * payloads (../shared/reference/micloud.md section 6: RC4-drop-1024 keyed
 * with the 32-byte signed nonce).  Not a security primitive.
 *
 * State is a plain struct (no allocation); copy it to fork a keystream.
 */
#ifndef MF_RC4_H
#define MF_RC4_H

#include <stddef.h>
#include <stdint.h>

struct mf_rc4 {
	uint8_t s[256];
	uint8_t i, j;
};

/* Standard key schedule.  keylen must be 1..256; a longer key uses its
 * first 256 bytes, an empty key is treated as one zero byte. */
void mf_rc4_init(struct mf_rc4 *r, const uint8_t *key, size_t keylen);
/* Discards n keystream bytes. */
void mf_rc4_skip(struct mf_rc4 *r, size_t n);
/* out[k] = in[k] XOR keystream; in == out allowed. */
void mf_rc4_xor(struct mf_rc4 *r, const uint8_t *in, uint8_t *out, size_t n);
/* mf_rc4_init + discard the first 1024 bytes (the Mi cloud "RC4-drop-1024"). */
void mf_rc4_init_drop1024(struct mf_rc4 *r, const uint8_t *key, size_t keylen);

#endif
