/* mf_codec.c - hex/base64/escaping and hash wrappers; see mf_codec.h. */
#include "mf_codec.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mf_buf.h"
#include "mf_err.h"

static const char hexd[] = "0123456789abcdef";

void mf_hex_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mf_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

int mf_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	size_t i;

	if (inlen != 2 * outlen)
		return MF_ERR_FORMAT;
	for (i = 0; i < outlen; i++) {
		int hi = hexval((unsigned char)in[2 * i]);
		int lo = hexval((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return MF_ERR_FORMAT;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mf_b64_encode(const uint8_t *in, size_t n, struct mf_buf *out)
{
	size_t i;
	char q[4];
	int rc;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = b64[(v >> 6) & 63];
		q[3] = b64[v & 63];
		if ((rc = mf_buf_add(out, q, 4)) != 0)
			return rc;
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);

		q[0] = b64[v >> 18];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = '=';
		if ((rc = mf_buf_add(out, q, 4)) != 0)
			return rc;
	}
	return 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int mf_b64_decode(const char *in, size_t n, struct mf_buf *out)
{
	uint32_t acc = 0;
	int bits = 0, rc;
	size_t i, start = out->len;

	while (n > 0 && (in[n - 1] == '=' || in[n - 1] == '\n' || in[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0) {
			if (in[i] == '\n' || in[i] == '\r')
				continue;
			return MF_ERR_FORMAT;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if ((rc = mf_buf_addc(out, (uint8_t)(acc >> bits))) != 0)
				return rc;
		}
	}
	if (bits >= 6)  /* a single dangling sextet cannot be base64 */
		return MF_ERR_FORMAT;
	return (int)(out->len - start);
}

int mf_escape_bytes(const uint8_t *in, size_t n, size_t max_in, struct mf_buf *out)
{
	size_t i, lim = n < max_in ? n : max_in;
	int rc = 0;

	for (i = 0; i < lim && rc == 0; i++) {
		uint8_t c = in[i];

		if (c == '\\')
			rc = mf_buf_add(out, "\\\\", 2);
		else if (c >= 0x20 && c < 0x7f)
			rc = mf_buf_addc(out, c);
		else
			rc = mf_buf_printf(out, "\\x%02x", c);
	}
	if (rc == 0 && lim < n)
		rc = mf_buf_add(out, "...", 3);
	return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0] does not
 * start one. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint32_t cp, min;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		need = 1, min = 0x80, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		need = 2, min = 0x800, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		need = 3, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (need >= n)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

int mf_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

void mf_utf8_cut(char *s)
{
	size_t n = strlen(s), k = n, need;
	unsigned char c;

	/* back over at most three continuation bytes to the lead byte */
	while (k > 0 && n - k < 3 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0)
		return;
	c = (unsigned char)s[k - 1];
	if (c < 0x80)
		return;
	need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
	if (n - (k - 1) < need)
		s[k - 1] = '\0';
}

int mf_utf8_escape(const uint8_t *s, size_t n, struct mf_buf *out)
{
	size_t i = 0, k;
	int rc = 0;

	while (i < n && rc == 0) {
		k = utf8_seq(s + i, n - i);
		if (k == 0) {
			rc = mf_buf_printf(out, "\\x%02x", s[i]);
			k = 1;
		} else if (s[i] == '\\') {
			rc = mf_buf_add(out, "\\\\", 2);
		} else {
			rc = mf_buf_add(out, s + i, k);
		}
		i += k;
	}
	return rc;
}

void mf_md5(const void *a, size_t alen, uint8_t out[16])
{
	unsigned int len = 16;

	EVP_Digest(a, alen, out, &len, EVP_md5(), NULL);
}

void mf_sha256(const void *a, size_t alen, uint8_t out[32])
{
	unsigned int len = 32;

	EVP_Digest(a, alen, out, &len, EVP_sha256(), NULL);
}

struct mf_sha256_ctx {
	EVP_MD_CTX *md;
};

struct mf_sha256_ctx *mf_sha256_new(void)
{
	struct mf_sha256_ctx *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		free(h);
		return NULL;
	}
	return h;
}

void mf_sha256_update(struct mf_sha256_ctx *h, const void *p, size_t n)
{
	if (h && n)
		EVP_DigestUpdate(h->md, p, n);
}

void mf_sha256_final_hex(struct mf_sha256_ctx *h, char out[65])
{
	uint8_t d[32];
	unsigned int len = 32;

	EVP_DigestFinal_ex(h->md, d, &len);
	mf_hex_encode(d, 32, out);
}

void mf_sha256_free(struct mf_sha256_ctx *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}
