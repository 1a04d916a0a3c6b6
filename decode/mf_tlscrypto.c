/*
 * mf_tlscrypto.c - TLS key schedule and record ciphers; see mf_tlscrypto.h.
 *
 * References: RFC 5246 (PRF, key block, CBC records), RFC 5288 (AES-GCM),
 * RFC 7905 (ChaCha20-Poly1305), RFC 7366 (encrypt-then-MAC), RFC 8446
 * sections 5.2-5.3 and 7.1-7.3 (TLS 1.3 records, HKDF-Expand-Label, KeyUpdate);
 * ../shared/reference/tls-keylog.md.
 *
 * Record layouts this file decrypts (fragment = the bytes after the 5-byte
 * record header):
 *
 *   TLS 1.2 GCM     explicit_nonce(8) | ciphertext | tag(16)
 *                   nonce = salt(4) | explicit_nonce;  AAD = seq | type | version | plen
 *   TLS 1.2 ChaCha  ciphertext | tag(16);  nonce = iv(12) ^ (0^4 | seq);  AAD as GCM
 *   TLS 1.2 CBC     IV(16) | E(plaintext | MAC | padding | pad_len)           MAC-then-encrypt
 *                   IV(16) | E(plaintext | padding | pad_len) | MAC          encrypt-then-MAC
 *   TLS 1.3         E(content | type | zeros) | tag(16);  nonce = iv ^ seq;  AAD = header
 */
#include "mf_tlscrypto.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "mf_err.h"

#define S12(id, name, kind, klen, ivlen, prf, mac) { id, name, 0, kind, klen, ivlen, prf, mac }
#define GCM12(id, name, klen, prf) S12(id, name, MF_TLS_GCM, klen, 4, prf, 0)
#define CHA12(id, name) S12(id, name, MF_TLS_CHACHA, 32, 12, MF_TLS_SHA256, 0)
#define CBC12(id, name, klen, prf, mac) S12(id, name, MF_TLS_CBC, klen, 16, prf, mac)
#define NOPE(id, name) S12(id, name, MF_TLS_UNSUPPORTED, 0, 0, MF_TLS_SHA256, 0)

static const struct mf_tls_suite suites[] = {
	/* TLS 1.3 */
	{ 0x1301, "TLS_AES_128_GCM_SHA256", 1, MF_TLS_GCM, 16, 12, MF_TLS_SHA256, 0 },
	{ 0x1302, "TLS_AES_256_GCM_SHA384", 1, MF_TLS_GCM, 32, 12, MF_TLS_SHA384, 0 },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256", 1, MF_TLS_CHACHA, 32, 12, MF_TLS_SHA256, 0 },
	{ 0x1304, "TLS_AES_128_CCM_SHA256", 1, MF_TLS_UNSUPPORTED, 16, 12, MF_TLS_SHA256, 0 },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256", 1, MF_TLS_UNSUPPORTED, 16, 12, MF_TLS_SHA256, 0 },
	/* TLS 1.2 AEAD */
	GCM12(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16, MF_TLS_SHA256),
	GCM12(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32, MF_TLS_SHA384),
	GCM12(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, MF_TLS_SHA256),
	GCM12(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, MF_TLS_SHA384),
	GCM12(0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", 16, MF_TLS_SHA256),
	GCM12(0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", 32, MF_TLS_SHA384),
	GCM12(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, MF_TLS_SHA256),
	GCM12(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, MF_TLS_SHA384),
	GCM12(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, MF_TLS_SHA256),
	GCM12(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, MF_TLS_SHA384),
	CHA12(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
	CHA12(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
	CHA12(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
	CHA12(0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
	CHA12(0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
	/* TLS 1.2 CBC (TLS 1.1+ record format: explicit IV) */
	CBC12(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", 16, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", 32, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", 16, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", 32, MF_TLS_SHA384, MF_TLS_SHA384),
	CBC12(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, MF_TLS_SHA256, MF_TLS_SHA1),
	CBC12(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, MF_TLS_SHA384, MF_TLS_SHA384),
	CBC12(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, MF_TLS_SHA256, MF_TLS_SHA256),
	CBC12(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, MF_TLS_SHA384, MF_TLS_SHA384),
	/* named only */
	NOPE(0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
	NOPE(0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
	NOPE(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
	NOPE(0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
	NOPE(0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
	NOPE(0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8"),
	NOPE(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
	NOPE(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"),
};

const struct mf_tls_suite *mf_tls_suite_find(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

size_t mf_tls_hash_len(int hash)
{
	switch (hash) {
	case MF_TLS_SHA1: return 20;
	case MF_TLS_SHA256: return 32;
	case MF_TLS_SHA384: return 48;
	default: return 0;
	}
}

static const char *hash_name(int hash)
{
	switch (hash) {
	case MF_TLS_SHA1: return "SHA1";
	case MF_TLS_SHA384: return "SHA384";
	default: return "SHA256";
	}
}

/* ---- key schedule ---- */

static int kdf_run(const char *alg, OSSL_PARAM *params, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, alg, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int ok = kctx && EVP_KDF_derive(kctx, out, outlen, params) > 0;

	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : MF_ERR_CRYPTO;
}

int mf_tls12_prf(int hash, const uint8_t *secret, size_t slen, const char *label,
                 const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	uint8_t ls[256];
	size_t llen = strlen(label);
	OSSL_PARAM p[4];

	if (llen + seedlen > sizeof(ls))
		return MF_ERR_CRYPTO;
	memcpy(ls, label, llen);
	memcpy(ls + llen, seed, seedlen);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)hash_name(hash), 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, ls, llen + seedlen);
	p[3] = OSSL_PARAM_construct_end();
	return kdf_run("TLS1-PRF", p, out, outlen);
}

int mf_tls13_expand_label(int hash, const uint8_t *secret, size_t slen, const char *label,
                          const uint8_t *context, size_t ctxlen, uint8_t *out, size_t outlen)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t llen = strlen(label), n = 0;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM p[5];

	if (outlen > 255 * 48 || llen + 6 > 255 || ctxlen > 255)
		return MF_ERR_CRYPTO;
	info[n++] = (uint8_t)(outlen >> 8);
	info[n++] = (uint8_t)outlen;
	info[n++] = (uint8_t)(llen + 6);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, llen);
	n += llen;
	info[n++] = (uint8_t)ctxlen;
	if (ctxlen)
		memcpy(info + n, context, ctxlen);
	n += ctxlen;
	p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)hash_name(hash), 0);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	p[4] = OSSL_PARAM_construct_end();
	return kdf_run("HKDF", p, out, outlen);
}

size_t mf_tls12_key_block_len(const struct mf_tls_suite *s)
{
	return 2 * (mf_tls_hash_len(s->mac) + s->key_len + s->fixed_iv_len);
}

int mf_tls12_key_block(const struct mf_tls_suite *s, const uint8_t *master, size_t mlen,
                       const uint8_t client_random[32], const uint8_t server_random[32],
                       uint8_t *kb, size_t kbsize)
{
	uint8_t seed[64];
	size_t need = mf_tls12_key_block_len(s);

	if (need > kbsize || s->kind == MF_TLS_UNSUPPORTED || s->tls13)
		return MF_ERR_UNSUPPORTED;
	memcpy(seed, server_random, 32);     /* server random first */
	memcpy(seed + 32, client_random, 32);
	return mf_tls12_prf(s->prf, master, mlen, "key expansion", seed, sizeof(seed), kb, need);
}

void mf_tls12_key_block_split(const struct mf_tls_suite *s, const uint8_t *kb, int client,
                              const uint8_t **mac_key, const uint8_t **key, const uint8_t **iv)
{
	size_t m = mf_tls_hash_len(s->mac), k = s->key_len, v = s->fixed_iv_len;
	size_t side = client ? 0 : 1;

	*mac_key = kb + side * m;
	*key = kb + 2 * m + side * k;
	*iv = kb + 2 * m + 2 * k + side * v;
}

int mf_tls13_traffic_keys(const struct mf_tls_suite *s, const uint8_t *secret, size_t slen,
                          uint8_t *key, uint8_t iv[12])
{
	if (!s->tls13 || slen != mf_tls_hash_len(s->prf))
		return MF_ERR_ARG;
	if (mf_tls13_expand_label(s->prf, secret, slen, "key", NULL, 0, key, s->key_len) ||
	    mf_tls13_expand_label(s->prf, secret, slen, "iv", NULL, 0, iv, 12))
		return MF_ERR_CRYPTO;
	return 0;
}

/* ---- record protection ---- */

void mf_tls_dec_free(struct mf_tls_dec *d)
{
	EVP_CIPHER_CTX_free(d->cipher);
	EVP_MAC_CTX_free(d->mac);
	OPENSSL_cleanse(d, sizeof(*d));
}

static const EVP_CIPHER *cipher_of(const struct mf_tls_suite *s)
{
	switch (s->kind) {
	case MF_TLS_GCM: return s->key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	case MF_TLS_CHACHA: return EVP_chacha20_poly1305();
	case MF_TLS_CBC: return s->key_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	default: return NULL;
	}
}

static int set_cipher(struct mf_tls_dec *d, const struct mf_tls_suite *s, const uint8_t *key)
{
	const EVP_CIPHER *c = cipher_of(s);

	if (!c)
		return MF_ERR_UNSUPPORTED;
	if (!d->cipher && !(d->cipher = EVP_CIPHER_CTX_new()))
		return MF_ERR_NOMEM;
	d->keyed = 0;
	if (EVP_CipherInit_ex(d->cipher, c, NULL, key, NULL, 0) <= 0)
		return MF_ERR_CRYPTO;
	if (s->kind == MF_TLS_CBC)
		EVP_CIPHER_CTX_set_padding(d->cipher, 0);
	d->suite = s;
	d->seq = 0;
	return 0;
}

int mf_tls12_dec_key(struct mf_tls_dec *d, const struct mf_tls_suite *s, const uint8_t *key,
                     const uint8_t *iv, const uint8_t *mac_key, int etm)
{
	int rc = set_cipher(d, s, key);

	if (rc)
		return rc;
	memcpy(d->iv, iv, s->fixed_iv_len);
	d->tls13 = 0;
	d->etm = s->kind == MF_TLS_CBC && etm;
	d->secret_len = 0;
	if (s->kind == MF_TLS_CBC) {
		OSSL_PARAM p[2];

		if (!d->mac) {
			EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);

			d->mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
			EVP_MAC_free(mac);
			if (!d->mac)
				return MF_ERR_NOMEM;
		}
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
		    (char *)hash_name(s->mac), 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(d->mac, mac_key, mf_tls_hash_len(s->mac), p) <= 0)
			return MF_ERR_CRYPTO;
	}
	d->keyed = 1;
	return 0;
}

int mf_tls13_dec_key(struct mf_tls_dec *d, const struct mf_tls_suite *s, const uint8_t *secret,
                     size_t slen)
{
	uint8_t key[32], iv[12];
	int rc = mf_tls13_traffic_keys(s, secret, slen, key, iv);

	if (rc == 0)
		rc = set_cipher(d, s, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc)
		return rc;
	memcpy(d->iv, iv, 12);
	if (d->secret != secret)
		memmove(d->secret, secret, slen);
	d->secret_len = (uint8_t)slen;
	d->tls13 = 1;
	d->etm = 0;
	d->keyed = 1;
	return 0;
}

int mf_tls13_dec_update(struct mf_tls_dec *d)
{
	uint8_t next[MF_TLS_SECRET_MAX];
	int rc;

	if (!d->keyed || !d->tls13)
		return MF_ERR_ARG;
	rc = mf_tls13_expand_label(d->suite->prf, d->secret, d->secret_len, "traffic upd", NULL,
	    0, next, d->secret_len);
	if (rc == 0)
		rc = mf_tls13_dec_key(d, d->suite, next, d->secret_len);
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

static void seq_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
	int i;

	memcpy(nonce, iv, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
}

static void put_seq_hdr(uint8_t *a, uint64_t seq, const uint8_t hdr[5], size_t len)
{
	int i;

	for (i = 0; i < 8; i++)
		a[i] = (uint8_t)(seq >> (56 - 8 * i));
	a[8] = hdr[0];
	a[9] = hdr[1];
	a[10] = hdr[2];
	a[11] = (uint8_t)(len >> 8);
	a[12] = (uint8_t)len;
}

/* AEAD open: nonce set, AAD, ciphertext -> out, tag check. */
static int aead_open(EVP_CIPHER_CTX *c, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, const uint8_t *tag)
{
	int l = 0, l2 = 0;

	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, nonce, -1) <= 0 ||
	    EVP_CipherUpdate(c, NULL, &l, aad, (int)aadlen) <= 0 ||
	    (n && EVP_CipherUpdate(c, out, &l, in, (int)n) <= 0) ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, MF_TLS_TAG, (void *)tag) <= 0 ||
	    EVP_CipherFinal_ex(c, out + l, &l2) <= 0)
		return MF_ERR_CRYPTO;
	return 0;
}

static int mac_check(struct mf_tls_dec *d, const uint8_t hdr[5], size_t len, const uint8_t *p,
                     const uint8_t *want)
{
	uint8_t pre[13], got[64];
	size_t m = mf_tls_hash_len(d->suite->mac), gl = 0;

	put_seq_hdr(pre, d->seq, hdr, len);
	if (EVP_MAC_init(d->mac, NULL, 0, NULL) <= 0 || EVP_MAC_update(d->mac, pre, 13) <= 0 ||
	    EVP_MAC_update(d->mac, p, len) <= 0 || EVP_MAC_final(d->mac, got, &gl, sizeof(got)) <= 0 ||
	    gl != m)
		return MF_ERR_CRYPTO;
	return CRYPTO_memcmp(got, want, m) == 0 ? 0 : MF_ERR_CRYPTO;
}

static long cbc_open(struct mf_tls_dec *d, const uint8_t hdr[5], const uint8_t *frag, size_t n,
                     uint8_t *out, uint8_t **pout)
{
	size_t m = mf_tls_hash_len(d->suite->mac), clen, pad, i, plen;
	uint8_t *p = out + 16;
	int l = 0;

	if (d->etm) {
		if (n < 32 + m || (n - m) % 16)
			return MF_ERR_FORMAT;
		clen = n - m - 16;
		if (mac_check(d, hdr, n - m, frag, frag + n - m))
			return MF_ERR_CRYPTO;
	} else {
		if (n < 32 || (n - 16) % 16 || n - 16 < m + 1)
			return MF_ERR_FORMAT;
		clen = n - 16;
	}
	if (EVP_CipherInit_ex(d->cipher, NULL, NULL, NULL, frag, -1) <= 0 ||
	    EVP_CipherUpdate(d->cipher, p, &l, frag + 16, (int)clen) <= 0 || (size_t)l != clen)
		return MF_ERR_CRYPTO;
	pad = p[clen - 1];
	if (pad + 1 > clen)
		return MF_ERR_CRYPTO;
	for (i = clen - 1 - pad; i < clen - 1; i++)
		if (p[i] != pad)
			return MF_ERR_CRYPTO;
	plen = clen - pad - 1;
	if (!d->etm) {
		if (plen < m)
			return MF_ERR_CRYPTO;
		plen -= m;
		if (mac_check(d, hdr, plen, p, p + plen))
			return MF_ERR_CRYPTO;
	}
	*pout = p;
	return (long)plen;
}

long mf_tls_dec_record(struct mf_tls_dec *d, const uint8_t hdr[5], const uint8_t *frag, size_t n,
                       uint8_t *out, uint8_t **pout, uint8_t *ptype)
{
	const struct mf_tls_suite *s = d->suite;
	uint8_t nonce[12], aad[13];
	size_t plen;

	if (!d->keyed || n > MF_TLS_FRAG_MAX)
		return MF_ERR_FORMAT;
	*ptype = hdr[0];
	if (d->tls13) {
		uint8_t *p = out;

		if (n < MF_TLS_TAG + 1)
			return MF_ERR_FORMAT;
		plen = n - MF_TLS_TAG;
		seq_nonce(d->iv, d->seq, nonce);
		if (aead_open(d->cipher, nonce, hdr, 5, frag, plen, p, frag + plen))
			return MF_ERR_CRYPTO;
		while (plen > 0 && p[plen - 1] == 0)
			plen--;
		if (plen == 0)
			return MF_ERR_FORMAT;   /* authenticated, but no content type */
		*ptype = p[--plen];
		*pout = p;
		return (long)plen;
	}
	switch (s->kind) {
	case MF_TLS_GCM:
		if (n < 8 + MF_TLS_TAG)
			return MF_ERR_FORMAT;
		plen = n - 8 - MF_TLS_TAG;
		memcpy(nonce, d->iv, 4);
		memcpy(nonce + 4, frag, 8);     /* the explicit nonce as sent */
		put_seq_hdr(aad, d->seq, hdr, plen);
		if (aead_open(d->cipher, nonce, aad, 13, frag + 8, plen, out + 8, frag + 8 + plen))
			return MF_ERR_CRYPTO;
		*pout = out + 8;
		return (long)plen;
	case MF_TLS_CHACHA:
		if (n < MF_TLS_TAG)
			return MF_ERR_FORMAT;
		plen = n - MF_TLS_TAG;
		seq_nonce(d->iv, d->seq, nonce);
		put_seq_hdr(aad, d->seq, hdr, plen);
		if (aead_open(d->cipher, nonce, aad, 13, frag, plen, out, frag + plen))
			return MF_ERR_CRYPTO;
		*pout = out;
		return (long)plen;
	case MF_TLS_CBC:
		return cbc_open(d, hdr, frag, n, out, pout);
	default:
		return MF_ERR_FORMAT;
	}
}
