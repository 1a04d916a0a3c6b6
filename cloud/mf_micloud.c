/*
 * mf_micloud.c - the Mi cloud API codec (see mf_micloud.h).
 *
 * Reference: ../shared/reference/micloud.md: section 4 (nonce, signed
 * nonce), 5 (legacy HMAC-SHA256 signature), 6 (RC4 mode, both keystream
 * variants, responses), 8 (decoder algorithm), 10 (secrets on the wire).
 * Sources behind it: Squachen/micloud miutils.py, PiotrMachowski
 * token_extractor.py, MicoLauncher SmartHomeRc4Api.java / RC4DropCoder.java,
 * the ioBroker.mihome-vacuum test vectors (section 7).
 *
 * Request form (RC4 mode), as the app sends it (POST body or URL query):
 *
 *   data=<b64 RC4(json)>&rc4_hash__=<b64 RC4(b64 SHA1)>&signature=<b64 SHA1>
 *        &_nonce=<b64 12 bytes>&ssecurity=<b64 16 bytes, in clear>
 *
 *   _nonce:  | 8 random bytes | BE32 minute (server clock) |
 */
#include "mf_micloud.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include "mf_buf.h"
#include "mf_cloud_int.h"
#include "mf_codec.h"
#include "mf_ctx.h"
#include "mf_cur.h"
#include "mf_err.h"
#include "mf_event.h"
#include "mf_rc4.h"
#include "mf_time.h"
#include "mf_tokens.h"

/* Internal scratch buffers (signing messages); inputs are capped by callers. */
#define SCRATCH_CAP ((size_t)64 << 20)

/* ================================================================ hosts */

static int host_is(const char *h, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	if (n == m)
		return memcmp(h, suffix, n) == 0;
	return n > m && h[n - m - 1] == '.' && memcmp(h + n - m, suffix, m) == 0;
}

int mf_micloud_is_host(const char *host)
{
	char h[256];
	size_t n = 0;

	if (!host || host[0] == '[')
		return MF_MICLOUD_HOST_NONE;
	while (host[n] && host[n] != ':' && host[n] != '/' && n < sizeof(h) - 1) {
		h[n] = (char)tolower((unsigned char)host[n]);
		n++;
	}
	if (host[n] && host[n] != ':' && host[n] != '/')
		return MF_MICLOUD_HOST_NONE;   /* longer than any DNS name */
	while (n > 0 && h[n - 1] == '.')
		n--;
	h[n] = '\0';
	if (n == 0)
		return MF_MICLOUD_HOST_NONE;
	if (host_is(h, n, "sts.api.io.mi.com") || host_is(h, n, "sts.api.mijia.tech"))
		return MF_MICLOUD_HOST_STS;
	if (host_is(h, n, "account.xiaomi.com"))
		return MF_MICLOUD_HOST_ACCOUNT;
	if (host_is(h, n, "api.io.mi.com") || host_is(h, n, "api.mijia.tech")) {
		if (strstr(h, "smartcamera.") || strstr(h, "connect.camera.") ||
		    strncmp(h, "camera.", 7) == 0 || strstr(h, ".camera."))
			return MF_MICLOUD_HOST_CAMERA;
		return MF_MICLOUD_HOST_API;
	}
	if (host_is(h, n, "mi.com") || host_is(h, n, "xiaomi.com") || host_is(h, n, "xiaomi.net") ||
	    host_is(h, n, "mijia.tech") || host_is(h, n, "mi-img.com"))
		return MF_MICLOUD_HOST_OTHER;
	return MF_MICLOUD_HOST_NONE;
}

/* ================================================================ forms */

void mf_micloud_form_init(struct mf_micloud_form *f)
{
	memset(f, 0, sizeof(*f));
}

void mf_micloud_form_free(struct mf_micloud_form *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->kv[i].key);
		free(f->kv[i].val);
	}
	free(f->kv);
	memset(f, 0, sizeof(*f));
}

static int form_push(struct mf_micloud_form *f, char *key, char *val, size_t val_len)
{
	if (f->n >= MF_MICLOUD_FORM_MAX) {
		free(key);
		free(val);
		return MF_ERR_LIMIT;
	}
	if (f->n == f->alloc) {
		size_t na = f->alloc ? f->alloc * 2 : 8;
		struct mf_micloud_kv *nk = realloc(f->kv, na * sizeof(*nk));

		if (!nk) {
			free(key);
			free(val);
			return MF_ERR_NOMEM;
		}
		f->kv = nk;
		f->alloc = na;
	}
	f->kv[f->n].key = key;
	f->kv[f->n].val = val;
	f->kv[f->n].val_len = val_len;
	f->n++;
	return 0;
}

static char *memdup0(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int mf_micloud_form_add(struct mf_micloud_form *f, const char *key, const char *val,
                        size_t val_len)
{
	char *k, *v;

	if (f->n >= MF_MICLOUD_FORM_MAX)
		return MF_ERR_LIMIT;
	k = memdup0(key, strlen(key));
	v = memdup0(val, val_len);
	if (!k || !v) {
		free(k);
		free(v);
		return MF_ERR_NOMEM;
	}
	return form_push(f, k, v, val_len);
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

/* Percent-decodes exactly once; '+' becomes ' '; a '%' not followed by two
 * hex digits is kept literally. */
static char *pct_decode(const char *s, size_t n, size_t *outlen)
{
	char *o = malloc(n + 1);
	size_t i, k = 0;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && n - i >= 3 && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			o[k++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			o[k++] = ' ';
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

int mf_micloud_form_parse(struct mf_micloud_form *f, const char *s, size_t n)
{
	size_t i = 0;
	int added = 0, rc;

	while (i < n) {
		size_t j = i, eq;
		char *k, *v;
		size_t klen, vlen;

		while (j < n && s[j] != '&')
			j++;
		if (j > i) {
			eq = i;
			while (eq < j && s[eq] != '=')
				eq++;
			k = pct_decode(s + i, eq - i, &klen);
			v = eq < j ? pct_decode(s + eq + 1, j - eq - 1, &vlen) : memdup0("", 0);
			if (eq >= j)
				vlen = 0;
			if (!k || !v) {
				free(k);
				free(v);
				return MF_ERR_NOMEM;
			}
			if ((rc = form_push(f, k, v, vlen)) != 0)
				return rc;
			added++;
		}
		i = j + 1;
	}
	return added;
}

const struct mf_micloud_kv *mf_micloud_form_get(const struct mf_micloud_form *f, const char *key)
{
	size_t i;

	for (i = 0; f && i < f->n; i++)
		if (strcmp(f->kv[i].key, key) == 0)
			return &f->kv[i];
	return NULL;
}

static int pct_encode(struct mf_buf *out, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			rc = mf_buf_addc(out, c);
		} else {
			char e[3] = { '%', hx[c >> 4], hx[c & 15] };

			rc = mf_buf_add(out, e, 3);
		}
	}
	return rc;
}

int mf_micloud_form_encode(const struct mf_micloud_form *f, struct mf_buf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < f->n && rc == 0; i++) {
		if (i)
			rc = mf_buf_addc(out, '&');
		if (rc == 0)
			rc = pct_encode(out, f->kv[i].key, strlen(f->kv[i].key));
		if (rc == 0)
			rc = mf_buf_addc(out, '=');
		if (rc == 0)
			rc = pct_encode(out, f->kv[i].val, f->kv[i].val_len);
	}
	return rc;
}

/* ============================================================ primitives */

static int is_control_key(const char *k)
{
	return strcmp(k, "signature") == 0 || strcmp(k, "_nonce") == 0 ||
	    strcmp(k, "nonce") == 0 || strcmp(k, "ssecurity") == 0;
}

/* Indices of the signed fields, sorted by key (stable insertion sort). */
static size_t signed_fields(const struct mf_micloud_form *f, unsigned flags,
                            size_t idx[MF_MICLOUD_FORM_MAX])
{
	size_t i, n = 0;

	for (i = 0; i < f->n && n < MF_MICLOUD_FORM_MAX; i++) {
		const char *k = f->kv[i].key;
		size_t j;

		if (is_control_key(k))
			continue;
		if ((flags & MF_MICLOUD_SKIP_RC4HASH) && strcmp(k, "rc4_hash__") == 0)
			continue;
		j = n++;
		while (j > 0 && strcmp(f->kv[idx[j - 1]].key, k) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return n;
}

/* Base64 decoding of a form value: ' ' read back as '+' (an unencoded '+'
 * turned into a space by form decoding), whitespace at the ends ignored. */
static int b64d_field(const char *s, size_t n, struct mf_buf *out)
{
	char stack[128] = { 0 }, *tmp = n <= sizeof(stack) ? stack : malloc(n);
	size_t i, k = 0;
	int rc;

	if (!tmp)
		return MF_ERR_NOMEM;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == '\t'))
		n--;
	i = 0;
	while (i < n && (s[i] == '\r' || s[i] == '\n' || s[i] == '\t'))
		i++;
	for (; i < n; i++)
		tmp[k++] = s[i] == ' ' ? '+' : s[i];
	rc = mf_b64_decode(tmp, k, out);
	if (tmp != stack)
		free(tmp);
	return rc < 0 ? rc : 0;
}

/* Base64 decoding of a response body: line breaks tolerated, but not
 * spaces (a body is not form-encoded: a space means text, not a '+'). */
static int b64d_body(const char *s, size_t n, struct mf_buf *out)
{
	int rc;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == '\t'))
		n--;
	if (memchr(s, ' ', n) || memchr(s, '\t', n))
		return MF_ERR_FORMAT;
	rc = mf_b64_decode(s, n, out);
	return rc < 0 ? rc : 0;
}

/* Base64 of n bytes into a fixed string. */
static int b64_str(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	struct mf_buf b;
	int rc;

	mf_buf_init(&b, outsz - 1);
	rc = mf_b64_encode(in, n, &b);
	if (rc >= 0) {
		memcpy(out, b.data ? (const char *)b.data : "", b.len);
		out[b.len] = '\0';
		rc = 0;
	}
	mf_buf_free(&b);
	return rc;
}

/* A copy of s with ' ' mapped back to '+' (base64 text as it was signed). */
static char *b64_text(const char *s, size_t n)
{
	char *o = memdup0(s, n);
	size_t i;

	for (i = 0; o && i < n; i++)
		if (o[i] == ' ')
			o[i] = '+';
	return o;
}

int mf_micloud_nonce_make(const uint8_t rnd[8], int64_t now_ms, char out[MF_MICLOUD_NONCE_LEN])
{
	uint8_t b[12];

	if (now_ms < 0 || now_ms / 60000 > (int64_t)UINT32_MAX)
		return MF_ERR_ARG;
	memcpy(b, rnd, 8);
	mf_put_be32(b + 8, (uint32_t)(now_ms / 60000));
	return b64_str(b, 12, out, MF_MICLOUD_NONCE_LEN);
}

int mf_micloud_nonce_time(const char *nonce_b64, int64_t *ms_out)
{
	struct mf_buf b;
	int rc;

	if (!nonce_b64)
		return MF_ERR_FORMAT;
	mf_buf_init(&b, 64);
	rc = b64d_field(nonce_b64, strlen(nonce_b64), &b);
	if (rc == 0 && b.len != 12)
		rc = MF_ERR_FORMAT;
	if (rc == 0)
		*ms_out = (int64_t)mf_be32(b.data + 8) * 60000;
	mf_buf_free(&b);
	return rc == 0 ? 0 : MF_ERR_FORMAT;
}

int mf_micloud_signed_nonce(const char *ssecurity_b64, const char *nonce_b64,
                            char out[MF_MICLOUD_SN_LEN])
{
	struct mf_buf b;
	uint8_t h[32];
	size_t sslen;
	int rc;

	if (!ssecurity_b64 || !nonce_b64)
		return MF_ERR_FORMAT;
	mf_buf_init(&b, 1024);
	rc = b64d_field(ssecurity_b64, strlen(ssecurity_b64), &b);
	sslen = b.len;
	if (rc == 0)
		rc = b64d_field(nonce_b64, strlen(nonce_b64), &b);
	if (rc == 0 && (sslen == 0 || b.len == sslen))
		rc = MF_ERR_FORMAT;
	if (rc == 0) {
		mf_sha256(b.data, b.len, h);
		rc = b64_str(h, 32, out, MF_MICLOUD_SN_LEN);
	}
	mf_buf_free(&b);
	return rc == MF_ERR_NOMEM ? rc : (rc ? MF_ERR_FORMAT : 0);
}

/* "k=v" items of the signed fields appended to msg, each preceded by '&'. */
static int add_items(struct mf_buf *msg, const struct mf_micloud_form *f, unsigned flags,
                     int *count)
{
	size_t idx[MF_MICLOUD_FORM_MAX], n, i;
	int rc = 0;

	n = signed_fields(f, flags, idx);
	for (i = 0; i < n && rc == 0; i++) {
		const struct mf_micloud_kv *kv = &f->kv[idx[i]];

		rc = mf_buf_addc(msg, '&');
		if (rc == 0)
			rc = mf_buf_addstr(msg, kv->key);
		if (rc == 0)
			rc = mf_buf_addc(msg, '=');
		if (rc == 0)
			rc = mf_buf_add(msg, kv->val, kv->val_len);
	}
	*count = (int)n;
	return rc;
}

int mf_micloud_legacy_signature(const char *path, const char *signed_nonce, const char *nonce,
                                const struct mf_micloud_form *params,
                                char out[MF_MICLOUD_SIG_LEN])
{
	struct mf_buf msg, key;
	uint8_t mac[32];
	unsigned int maclen = 0;
	int rc, count = 0;

	mf_buf_init(&msg, SCRATCH_CAP);
	mf_buf_init(&key, 256);
	rc = b64d_field(signed_nonce, strlen(signed_nonce), &key);
	if (rc == 0 && key.len == 0)
		rc = MF_ERR_FORMAT;
	if (rc == 0)
		rc = mf_buf_printf(&msg, "%s&%s&%s", path, signed_nonce, nonce);
	if (rc == 0 && params)
		rc = add_items(&msg, params, 0, &count);
	if (rc == 0 && count == 0)
		rc = mf_buf_addstr(&msg, "&data=");
	if (rc == 0 && !HMAC(EVP_sha256(), key.data, (int)key.len, msg.data, msg.len, mac, &maclen))
		rc = MF_ERR_CRYPTO;
	if (rc == 0)
		rc = b64_str(mac, maclen, out, MF_MICLOUD_SIG_LEN);
	mf_buf_free(&msg);
	mf_buf_free(&key);
	return rc;
}

int mf_micloud_sha1_signature(const char *method, const char *path,
                              const struct mf_micloud_form *params, const char *signed_nonce,
                              unsigned flags, char out[MF_MICLOUD_SIG_LEN])
{
	struct mf_buf msg;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t i;
	int rc = 0, count;

	mf_buf_init(&msg, SCRATCH_CAP);
	for (i = 0; method && method[i] && rc == 0; i++)
		rc = mf_buf_addc(&msg, (uint8_t)toupper((unsigned char)method[i]));
	if (rc == 0)
		rc = mf_buf_printf(&msg, "&%s", path);
	if (rc == 0 && params)
		rc = add_items(&msg, params, flags, &count);
	if (rc == 0)
		rc = mf_buf_printf(&msg, "&%s", signed_nonce);
	if (rc == 0 && EVP_Digest(msg.data, msg.len, md, &mdlen, EVP_sha1(), NULL) != 1)
		rc = MF_ERR_CRYPTO;
	if (rc == 0)
		rc = b64_str(md, mdlen, out, MF_MICLOUD_SIG_LEN);
	mf_buf_free(&msg);
	return rc;
}

const char *mf_micloud_variant_name(int variant)
{
	switch (variant) {
	case MF_MICLOUD_RC4_CONTINUE:
		return "app";
	case MF_MICLOUD_RC4_FRESH:
		return "fresh";
	default:
		return "unknown";
	}
}

/* K = b64d(signed nonce): the 32-byte RC4 key. */
static int rc4_key(const char *ssecurity, const char *nonce, char sn[MF_MICLOUD_SN_LEN],
                   uint8_t key[32])
{
	struct mf_buf b;
	int rc;

	if ((rc = mf_micloud_signed_nonce(ssecurity, nonce, sn)) != 0)
		return rc;
	mf_buf_init(&b, 64);
	rc = mf_b64_decode(sn, strlen(sn), &b);
	if (rc == 32)
		memcpy(key, b.data, 32);
	mf_buf_free(&b);
	return rc == 32 ? 0 : MF_ERR_FORMAT;
}

int mf_micloud_rc4_encrypt_params(const char *method, const char *path, const char *ssecurity,
                                  const char *nonce, const struct mf_micloud_form *plain,
                                  int variant, struct mf_micloud_form *out)
{
	struct mf_micloud_form p, enc;
	size_t idx[MF_MICLOUD_FORM_MAX], n, i;
	char sn[MF_MICLOUD_SN_LEN], h[MF_MICLOUD_SIG_LEN], sig[MF_MICLOUD_SIG_LEN];
	uint8_t key[32];
	struct mf_rc4 rc4;
	struct mf_buf ct, b64;
	int rc;

	if ((rc = rc4_key(ssecurity, nonce, sn, key)) != 0)
		return rc;
	mf_micloud_form_init(&p);
	mf_micloud_form_init(&enc);
	mf_buf_init(&ct, SCRATCH_CAP);
	mf_buf_init(&b64, SCRATCH_CAP);
	for (i = 0; i < plain->n && rc == 0; i++)
		if (!is_control_key(plain->kv[i].key) && strcmp(plain->kv[i].key, "rc4_hash__"))
			rc = mf_micloud_form_add(&p, plain->kv[i].key, plain->kv[i].val,
			    plain->kv[i].val_len);
	if (rc == 0)
		rc = mf_micloud_sha1_signature(method, path, &p, sn, MF_MICLOUD_SKIP_RC4HASH, h);
	if (rc == 0)
		rc = mf_micloud_form_add(&p, "rc4_hash__", h, strlen(h));
	n = signed_fields(&p, 0, idx);
	mf_rc4_init_drop1024(&rc4, key, 32);
	for (i = 0; i < n && rc == 0; i++) {
		const struct mf_micloud_kv *kv = &p.kv[idx[i]];

		if (variant == MF_MICLOUD_RC4_FRESH)
			mf_rc4_init_drop1024(&rc4, key, 32);
		mf_buf_reset(&ct);
		mf_buf_reset(&b64);
		if ((rc = mf_buf_reserve(&ct, kv->val_len + 1)) != 0)
			break;
		mf_rc4_xor(&rc4, (const uint8_t *)kv->val, ct.data, kv->val_len);
		ct.len = kv->val_len;
		if ((rc = mf_b64_encode(ct.data, ct.len, &b64)) < 0)
			break;
		rc = mf_micloud_form_add(&enc, kv->key, b64.data ? (const char *)b64.data : "",
		    b64.len);
	}
	if (rc == 0)
		rc = mf_micloud_sha1_signature(method, path, &enc, sn, 0, sig);
	for (i = 0; i < enc.n && rc == 0; i++)
		rc = mf_micloud_form_add(out, enc.kv[i].key, enc.kv[i].val, enc.kv[i].val_len);
	if (rc == 0)
		rc = mf_micloud_form_add(out, "signature", sig, strlen(sig));
	if (rc == 0)
		rc = mf_micloud_form_add(out, "_nonce", nonce, strlen(nonce));
	if (rc == 0)
		rc = mf_micloud_form_add(out, "ssecurity", ssecurity, strlen(ssecurity));
	mf_micloud_form_free(&p);
	mf_micloud_form_free(&enc);
	mf_buf_free(&ct);
	mf_buf_free(&b64);
	return rc < 0 ? rc : 0;
}

void mf_micloud_rc4_req_free(struct mf_micloud_rc4_req *r)
{
	mf_micloud_form_free(&r->plain);
}

/* Valid UTF-8 without control characters other than TAB/CR/LF: what any
 * real parameter decrypts to, and what a wrong key almost never gives. */
static int is_text(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = p[i];
		size_t need;
		uint32_t cp;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
				return 0;
			if (c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* Decrypts the sorted ciphertext form `enc` into `plain`: one keystream
 * (continue) or a fresh one per value. */
static int rc4_decrypt_form(const struct mf_micloud_form *enc, const uint8_t key[32], int fresh,
                            size_t cap, struct mf_micloud_form *plain, char *errbuf)
{
	struct mf_rc4 rc4;
	struct mf_buf b;
	size_t i;
	int rc = 0;

	mf_buf_init(&b, cap);
	mf_rc4_init_drop1024(&rc4, key, 32);
	for (i = 0; i < enc->n && rc == 0; i++) {
		const struct mf_micloud_kv *kv = &enc->kv[i];

		if (fresh)
			mf_rc4_init_drop1024(&rc4, key, 32);
		mf_buf_reset(&b);
		rc = b64d_field(kv->val, kv->val_len, &b);
		if (rc == MF_ERR_FORMAT) {
			mf_seterr(errbuf, rc, "field '%s' is not base64", kv->key);
			break;
		}
		if (rc == MF_ERR_LIMIT) {
			mf_seterr(errbuf, rc, "field '%s' is larger than %zu bytes", kv->key, cap);
			break;
		}
		if (rc)
			break;
		if (b.len)
			mf_rc4_xor(&rc4, b.data, b.data, b.len);
		rc = mf_micloud_form_add(plain, kv->key, b.data ? (const char *)b.data : "", b.len);
	}
	mf_buf_free(&b);
	return rc;
}

/* Does the decrypted rc4_hash__ equal the one recomputed from the other
 * plaintexts?  Tries the given path forms; *which gets the one that matched. */
static int rc4_hash_matches(const char *method, const char *const paths[2],
                            const struct mf_micloud_form *plain, const char *sn, int *which)
{
	const struct mf_micloud_kv *h = mf_micloud_form_get(plain, "rc4_hash__");
	char want[MF_MICLOUD_SIG_LEN];
	int k;

	if (!h)
		return 0;
	for (k = 0; k < 2; k++) {
		if (!paths[k])
			continue;
		if (mf_micloud_sha1_signature(method, paths[k], plain, sn, MF_MICLOUD_SKIP_RC4HASH,
		    want) != 0)
			return 0;
		if (strlen(want) == h->val_len && memcmp(want, h->val, h->val_len) == 0) {
			*which = k;
			return 1;
		}
	}
	return 0;
}

static const char *strip_app(const char *path)
{
	if (strncmp(path, "/app/", 5) == 0)
		return path + 4;
	return path;
}

int mf_micloud_rc4_decrypt_params(const char *method, const char *path, const char *ssecurity,
                                  const struct mf_micloud_form *form, size_t cap,
                                  struct mf_micloud_rc4_req *out, char *errbuf)
{
	const struct mf_micloud_kv *nk, *sk;
	struct mf_micloud_form enc, fresh;
	size_t idx[MF_MICLOUD_FORM_MAX], n, i;
	const char *paths[2];
	char *nonce = NULL, want[MF_MICLOUD_SIG_LEN];
	uint8_t key[32];
	int rc = 0, which = 0;

	memset(out, 0, sizeof(*out));
	mf_micloud_form_init(&out->plain);
	out->signature_ok = -1;
	out->rc4_hash_ok = -1;
	mf_micloud_form_init(&enc);
	mf_micloud_form_init(&fresh);
	if (!method)
		method = "POST";
	if (!path)
		path = "";
	paths[0] = strip_app(path);
	paths[1] = strcmp(paths[0], path) ? path : NULL;

	nk = mf_micloud_form_get(form, "_nonce");
	if (!nk)
		nk = mf_micloud_form_get(form, "nonce");
	if (!nk)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "no _nonce field");
	if (!ssecurity || !ssecurity[0])
		return mf_seterr(errbuf, MF_ERR_FORMAT, "no ssecurity");
	if (!(nonce = b64_text(nk->val, nk->val_len)))
		return MF_ERR_NOMEM;
	rc = rc4_key(ssecurity, nonce, out->signed_nonce, key);
	free(nonce);
	if (rc == MF_ERR_FORMAT)
		return mf_seterr(errbuf, rc, "ssecurity or _nonce is not base64");
	if (rc)
		return rc;

	/* the ciphertexts as signed: sorted, '+' restored */
	n = signed_fields(form, 0, idx);
	for (i = 0; i < n && rc == 0; i++) {
		const struct mf_micloud_kv *kv = &form->kv[idx[i]];
		char *t = b64_text(kv->val, kv->val_len);

		rc = t ? mf_micloud_form_add(&enc, kv->key, t, kv->val_len) : MF_ERR_NOMEM;
		free(t);
	}
	if (rc)
		goto done;

	if ((sk = mf_micloud_form_get(form, "signature")) != NULL) {
		char *sig = b64_text(sk->val, sk->val_len);
		int k;

		if (!sig) {
			rc = MF_ERR_NOMEM;
			goto done;
		}
		out->signature_ok = 0;
		for (k = 0; k < 2 && rc == 0; k++) {
			if (!paths[k])
				continue;
			rc = mf_micloud_sha1_signature(method, paths[k], &enc, out->signed_nonce, 0, want);
			if (rc == 0 && strcmp(want, sig) == 0) {
				out->signature_ok = 1;
				out->path_full = k == 1;
				break;
			}
		}
		free(sig);
		if (rc)
			goto done;
	}
	if (out->signature_ok == 1 && out->path_full)
		paths[0] = NULL;
	else if (out->signature_ok == 1)
		paths[1] = NULL;

	if ((rc = rc4_decrypt_form(&enc, key, 0, cap, &out->plain, errbuf)) != 0)
		goto done;
	if (mf_micloud_form_get(&out->plain, "rc4_hash__")) {
		out->rc4_hash_ok = 0;
		if (rc4_hash_matches(method, paths, &out->plain, out->signed_nonce, &which)) {
			out->rc4_hash_ok = 1;
			out->variant = MF_MICLOUD_RC4_CONTINUE;
		} else {
			if ((rc = rc4_decrypt_form(&enc, key, 1, cap, &fresh, errbuf)) != 0)
				goto done;
			if (rc4_hash_matches(method, paths, &fresh, out->signed_nonce, &which)) {
				out->rc4_hash_ok = 1;
				out->variant = MF_MICLOUD_RC4_FRESH;
				mf_micloud_form_free(&out->plain);
				out->plain = fresh;
				mf_micloud_form_init(&fresh);
			}
		}
		if (out->rc4_hash_ok == 1)
			out->path_full = which == 1;
	}
	out->values_text = 1;
	for (i = 0; i < out->plain.n; i++)
		if (!is_text((const uint8_t *)out->plain.kv[i].val, out->plain.kv[i].val_len))
			out->values_text = 0;
done:
	mf_micloud_form_free(&enc);
	mf_micloud_form_free(&fresh);
	return rc;
}

/* ============================================================ responses */

static int gunzip(const uint8_t *in, size_t n, size_t cap, struct mf_buf *out)
{
	z_stream z;
	size_t start = out->len;
	int zr, rc = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK)
		return MF_ERR_NOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
	do {
		size_t room = 16384;

		if (out->len - start >= cap) {
			rc = MF_ERR_LIMIT;
			break;
		}
		if (room > cap - (out->len - start))
			room = cap - (out->len - start);
		if ((rc = mf_buf_reserve(out, room)) != 0)
			break;
		z.next_out = out->data + out->len;
		z.avail_out = (uInt)room;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len += room - z.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK) {
			rc = zr == Z_MEM_ERROR ? MF_ERR_NOMEM : MF_ERR_FORMAT;
			break;
		}
		if (z.avail_in == 0 && z.avail_out != 0) {
			rc = MF_ERR_TRUNC;   /* stream ends before its end marker */
			break;
		}
	} while (1);
	inflateEnd(&z);
	return rc;
}

int mf_micloud_decrypt_response(const char *ssecurity, const char *nonce, const uint8_t *body,
                                size_t n, int gzip_hint, size_t cap, struct mf_buf *out,
                                unsigned *how, const char **reason)
{
	char sn[MF_MICLOUD_SN_LEN];
	uint8_t key[32];
	struct mf_buf ct;
	struct mf_rc4 rc4;
	size_t i = 0;
	int rc;

	(void)gzip_hint;   /* the gzip magic decides: a hint without it means a wrong key */
	if (how)
		*how = 0;
	if (reason)
		*reason = NULL;
	if (!body)
		n = 0;
	while (i < n && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (n - i > cap) {
		if (reason)
			*reason = "body_too_large";
		return MF_ERR_LIMIT;
	}
	if (i < n && (body[i] == '{' || body[i] == '[')) {
		if (how)
			*how = MF_MICLOUD_RESP_PLAIN;
		rc = mf_buf_add(out, body + i, n - i);
		if (rc == MF_ERR_LIMIT && reason)
			*reason = "body_too_large";
		return rc;
	}
	if (!ssecurity || !ssecurity[0] || !nonce || !nonce[0]) {
		if (reason)
			*reason = "no_ssecurity";
		return MF_ERR_ARG;
	}
	if ((rc = rc4_key(ssecurity, nonce, sn, key)) != 0) {
		if (reason)
			*reason = "no_ssecurity";
		return rc == MF_ERR_NOMEM ? rc : MF_ERR_ARG;
	}
	mf_buf_init(&ct, cap);
	rc = b64d_body((const char *)body + i, n - i, &ct);
	if (rc == 0 && ct.len == 0)
		rc = MF_ERR_FORMAT;
	if (rc) {
		if (reason)
			*reason = rc == MF_ERR_LIMIT ? "body_too_large" : "bad_base64";
		mf_buf_free(&ct);
		return rc;
	}
	mf_rc4_init_drop1024(&rc4, key, 32);
	mf_rc4_xor(&rc4, ct.data, ct.data, ct.len);
	if (how)
		*how = MF_MICLOUD_RESP_RC4;
	if (ct.len >= 2 && ct.data[0] == 0x1f && ct.data[1] == 0x8b) {
		if (how)
			*how |= MF_MICLOUD_RESP_GZIP;
		rc = gunzip(ct.data, ct.len, cap, out);
		if (rc && reason)
			*reason = rc == MF_ERR_LIMIT ? "body_too_large" : "gzip_error";
		if (rc == MF_ERR_TRUNC)
			rc = MF_ERR_FORMAT;
	} else {
		rc = mf_buf_add(out, ct.data, ct.len);
		if (rc == MF_ERR_LIMIT && reason)
			*reason = "body_too_large";
	}
	mf_buf_free(&ct);
	return rc;
}

/* ============================================================= exchange */

#define MAX_NOTES 8
#define MAX_SECRETS 12
#define RAW_VALUE_MAX 4096   /* ciphertext kept per raw field */
#define PREVIEW_MAX 200

struct note {
	const char *reason, *severity;
	char detail[256];
};

struct secret {
	const char *type;        /* "ssecurity", "passToken", ... (static) */
	const char *found_in;    /* static */
	char *val;               /* owned */
};

struct xch {
	struct mf_ctx *ctx;
	const struct mf_micloud_req *rq;
	const struct mf_micloud_resp *rs;
	int64_t ts, rts;
	struct mf_cloud_origin o;
	int host;
	const char *method;
	char *path, *query;      /* owned: path without the query, the query */
	const char *hostname;    /* rq->host, else the authority of an absolute-form target */
	char abs_host[256];
	const char *spath;       /* path as signed: without "/app" (API hosts) */
	size_t cap, depth;
	struct mf_micloud_form F;
	cJSON *req_json;         /* a JSON request body, owned */
	char token_origin[64];
	struct note notes[MAX_NOTES];
	size_t nnotes;
	struct secret sec[MAX_SECRETS];
	size_t nsec;
	unsigned flags;          /* MF_MICLOUD_X_* (calls held for a later key) */
	const cJSON *key_evidence; /* a replay: the exchange that revealed the new key */
};

static void note(struct xch *x, const char *reason, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(struct xch *x, const char *reason, const char *severity, const char *fmt, ...)
{
	struct note *n;
	va_list ap;
	size_t i;

	for (i = 0; i < x->nnotes; i++)
		if (strcmp(x->notes[i].reason, reason) == 0)
			return;
	if (x->nnotes >= MAX_NOTES)
		return;
	n = &x->notes[x->nnotes++];
	n->reason = reason;
	n->severity = severity;
	va_start(ap, fmt);
	vsnprintf(n->detail, sizeof(n->detail), fmt, ap);
	va_end(ap);
}

static cJSON *mc_base(const struct xch *x)
{
	cJSON *m = cJSON_CreateObject();

	if (!m)
		return NULL;
	if (x->hostname)
		mf_json_str(m, "host", x->hostname);
	mf_json_str(m, "method", x->method);
	mf_json_str(m, "path", x->path);
	return m;
}

static int emit_notes(struct xch *x)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < x->nnotes && rc == 0; i++) {
		cJSON *m = mc_base(x);

		if (!m)
			return MF_ERR_NOMEM;
		rc = mf_cloud_anomaly(x->ctx, &x->o, x->ts, x->notes[i].reason, x->notes[i].severity,
		    m, "%s", x->notes[i].detail);
	}
	return rc;
}

/* A secret found in the exchange; duplicates (same type and value) merged. */
static int add_secret(struct xch *x, const char *type, const char *val, size_t n,
                      const char *found_in)
{
	size_t i;

	if (!val || n == 0)
		return 0;
	for (i = 0; i < x->nsec; i++)
		if (strcmp(x->sec[i].type, type) == 0 && strlen(x->sec[i].val) == n &&
		    memcmp(x->sec[i].val, val, n) == 0)
			return 0;
	if (x->nsec >= MAX_SECRETS)
		return 0;
	if (!(x->sec[x->nsec].val = memdup0(val, n)))
		return MF_ERR_NOMEM;
	x->sec[x->nsec].type = type;
	x->sec[x->nsec].found_in = found_in;
	x->nsec++;
	return 0;
}

/* Value of cookie `name` in a Cookie header or joined Set-Cookie values.
 * Skips empty and deletion values ("EXPIRED", "deleted"). */
static int cookie_get(const char *hay, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = hay;

	if (!hay)
		return 0;
	while ((p = strstr(p, name)) != NULL) {
		const char *v, *e;
		size_t n;

		if ((p == hay || strchr(" ;,\n\r\t", p[-1])) && p[nl] == '=') {
			v = p + nl + 1;
			e = v;
			while (*e && !strchr(";,\r\n \t", *e))
				e++;
			n = (size_t)(e - v);
			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (n > 0 && n < outsz && !(n == 7 && strncasecmp(v, "EXPIRED", 7) == 0) &&
			    !(n == 7 && strncasecmp(v, "deleted", 7) == 0)) {
				memcpy(out, v, n);
				out[n] = '\0';
				return 1;
			}
		}
		p += nl;
	}
	return 0;
}

static int is_rc4_alg(const char *a)
{
	return a && strcasestr(a, "RC4") != NULL;
}

static cJSON *form_to_json(const struct xch *x, const struct mf_micloud_form *f, int skip_ctl)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < f->n; i++) {
		const struct mf_micloud_kv *kv = &f->kv[i];
		cJSON *v = NULL;
		char mark[96];

		if (skip_ctl && is_control_key(kv->key))
			continue;
		if (cJSON_GetObjectItemCaseSensitive(o, kv->key))
			continue;
		if (mf_cloud_is_secret_key(kv->key) && !x->ctx->show_secrets) {
			mf_redact(x->ctx, kv->val, mark, sizeof(mark));
			v = cJSON_CreateString(mark);
		} else if (kv->val_len && (kv->val[0] == '{' || kv->val[0] == '[')) {
			cJSON *p = mf_cloud_json_parse(kv->val, kv->val_len, x->depth, NULL);

			if (p) {
				v = mf_cloud_json_out(x->ctx, p, x->depth);
				cJSON_Delete(p);
			}
		}
		if (!v) {
			struct mf_buf b;

			mf_buf_init(&b, RAW_VALUE_MAX * 4 + 16);
			if (is_text((const uint8_t *)kv->val, kv->val_len) && kv->val_len <= RAW_VALUE_MAX) {
				v = cJSON_CreateString(kv->val);
			} else {
				mf_escape_bytes((const uint8_t *)kv->val, kv->val_len, RAW_VALUE_MAX, &b);
				v = cJSON_CreateString(mf_buf_cstr(&b) ? mf_buf_cstr(&b) : "");
			}
			mf_buf_free(&b);
		}
		if (v)
			cJSON_AddItemToObject(o, kv->key, v);
	}
	return o;
}

/* The request's fields as received (ciphertexts), for "raw". */
static cJSON *raw_fields(const struct xch *x)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < x->F.n; i++) {
		const struct mf_micloud_kv *kv = &x->F.kv[i];
		char mark[96];
		struct mf_buf b;

		if (cJSON_GetObjectItemCaseSensitive(o, kv->key))
			continue;
		if (mf_cloud_is_secret_key(kv->key)) {
			mf_redact(x->ctx, kv->val, mark, sizeof(mark));
			mf_json_str(o, kv->key, mark);
			continue;
		}
		mf_buf_init(&b, RAW_VALUE_MAX * 4 + 16);
		mf_escape_bytes((const uint8_t *)kv->val, kv->val_len, RAW_VALUE_MAX, &b);
		mf_json_str(o, kv->key, mf_buf_cstr(&b) ? mf_buf_cstr(&b) : "");
		mf_buf_free(&b);
	}
	return o;
}

static void add_preview(cJSON *m, const char *key, const uint8_t *p, size_t n)
{
	struct mf_buf b;

	if (!p || n == 0)
		return;
	mf_buf_init(&b, PREVIEW_MAX * 4 + 16);
	if (mf_escape_bytes(p, n, PREVIEW_MAX, &b) == 0 && mf_buf_cstr(&b))
		mf_json_str(m, key, mf_buf_cstr(&b));
	mf_buf_free(&b);
}

static void add_time(cJSON *m, const char *key, int64_t ns)
{
	char iso[32];

	if (ns == MF_TIME_NONE)
		return;
	mf_time_iso(ns, iso);
	mf_json_str(m, key, iso);
}

/* Response fields shared by every kind of exchange. */
static void add_response_meta(const struct xch *x, cJSON *m)
{
	if (!x->rs) {
		mf_json_bool(m, "answered", 0);
		return;
	}
	mf_json_num(m, "status", x->rs->status);
	if (x->rs->content_type)
		mf_json_str(m, "response_content_type", x->rs->content_type);
	if (x->rs->ts_ns > 0 && x->ts != MF_TIME_NONE)
		mf_json_num(m, "rtt_ms", (double)((x->rs->ts_ns - x->ts) / 1000000));
	if (x->rs->body_truncated)
		mf_json_bool(m, "response_truncated", 1);
}

/* The plaintext starts (after white space) like JSON: what a right key
 * gives; a wrong key, or a body that was never RC4, gives other bytes. */
static int json_start(const struct mf_buf *pt)
{
	size_t i = 0;

	while (i < pt->len && strchr(" \t\r\n", pt->data[i]) && pt->data[i])
		i++;
	return i < pt->len && (pt->data[i] == '{' || pt->data[i] == '[');
}

/* Decodes the response plaintext into JSON (reply); notes failures. */
static cJSON *parse_reply(struct xch *x, const struct mf_buf *pt, unsigned how, cJSON *m)
{
	const char *why = NULL;
	cJSON *reply;

	if (pt->len == 0)
		return NULL;
	reply = mf_cloud_json_parse((const char *)pt->data, pt->len, x->depth, &why);
	if (reply)
		return reply;
	add_preview(m, "response_preview", pt->data, pt->len);
	if (how & MF_MICLOUD_RESP_RC4)
		note(x, "rc4_not_json", "error", "the response decrypted with the request's key is "
		    "not JSON%s (wrong ssecurity, or not an RC4 body)",
		    strcmp(why, "json_too_deep") == 0 ? " (nested too deep)" : "");
	else
		note(x, why, "error", "the response body is not valid JSON (%zu bytes)", pt->len);
	return NULL;
}

static void add_reply_fields(const struct xch *x, cJSON *m, const cJSON *reply)
{
	char tmp[256];

	if (!reply || !cJSON_IsObject(reply))
		return;
	if (mf_cloud_json_text(reply, "code", tmp, sizeof(tmp)))
		mf_json_str(m, "code", tmp);
	if (mf_cloud_json_text(reply, "message", tmp, sizeof(tmp)) ||
	    mf_cloud_json_text(reply, "msg", tmp, sizeof(tmp)) ||
	    mf_cloud_json_text(reply, "description", tmp, sizeof(tmp)))
		mf_json_str(m, "message", tmp);
	(void)x;
}

static int reply_ok(const cJSON *reply)
{
	double code = 0;

	if (!reply || !cJSON_IsObject(reply))
		return 0;
	if (mf_cloud_json_num(reply, "code", &code) && code != 0)
		return 0;
	return 1;
}

/* "result" (API hosts) or "data" (camera hosts) of a reply. */
static const cJSON *reply_result(const cJSON *reply)
{
	const cJSON *r;

	if (!reply || !cJSON_IsObject(reply))
		return reply;
	if ((r = cJSON_GetObjectItemCaseSensitive(reply, "result")) != NULL)
		return r;
	if ((r = cJSON_GetObjectItemCaseSensitive(reply, "data")) != NULL)
		return r;
	return NULL;
}

/* ---- the session keys known so far: ctx->ssecurity (the latest), then
 * ctx->ssecurity_old (newest first).  A capture may hold several: a
 * re-login, serviceLogin for another sid (miotstore), another account, and
 * the examiner's --ssecurity must survive a login seen in the capture. */

static int key_known(const struct mf_ctx *ctx, const char *ss)
{
	size_t i;

	if (!ss || !ss[0])
		return 0;
	if (strcmp(ctx->ssecurity, ss) == 0)
		return 1;
	for (i = 0; i < MF_SSECURITY_OLD; i++)
		if (ctx->ssecurity_old[i][0] && strcmp(ctx->ssecurity_old[i], ss) == 0)
			return 1;
	return 0;
}

/* ss becomes the latest key; the one it replaces moves to the front of the
 * history (the oldest beyond MF_SSECURITY_OLD is forgotten). */
static void key_use(struct mf_ctx *ctx, const char *ss)
{
	char prev[sizeof(ctx->ssecurity)];
	size_t i, j;

	if (!ss || !ss[0] || strlen(ss) >= sizeof(ctx->ssecurity) ||
	    strcmp(ctx->ssecurity, ss) == 0)
		return;
	if (!key_known(ctx, ss))
		ctx->ssecurity_gen++;   /* a new key: calls held for one are retried */
	snprintf(prev, sizeof(prev), "%s", ctx->ssecurity);
	for (i = j = 0; i < MF_SSECURITY_OLD; i++) {
		if (!ctx->ssecurity_old[i][0] || strcmp(ctx->ssecurity_old[i], ss) == 0)
			continue;
		if (i != j)
			memcpy(ctx->ssecurity_old[j], ctx->ssecurity_old[i], sizeof(ctx->ssecurity_old[j]));
		j++;
	}
	for (; j < MF_SSECURITY_OLD; j++)
		ctx->ssecurity_old[j][0] = '\0';
	if (prev[0]) {
		memmove(ctx->ssecurity_old[1], ctx->ssecurity_old[0],
		    sizeof(ctx->ssecurity_old[0]) * (MF_SSECURITY_OLD - 1));
		snprintf(ctx->ssecurity_old[0], sizeof(ctx->ssecurity_old[0]), "%s", prev);
	}
	snprintf(ctx->ssecurity, sizeof(ctx->ssecurity), "%s", ss);
}

#define MAX_CANDS (2 + MF_SSECURITY_OLD)

/* The keys to try on a request: its own ssecurity field first, then every
 * known one.  Returns how many (pointers into ssreq and ctx). */
static size_t key_candidates(const struct mf_ctx *ctx, const char *ssreq,
                             const char *cands[MAX_CANDS], const char *from[MAX_CANDS])
{
	size_t n = 0, i;

	if (ssreq && ssreq[0]) {
		cands[n] = ssreq;
		from[n++] = "request";
	}
	if (ctx->ssecurity[0] && !(ssreq && strcmp(ctx->ssecurity, ssreq) == 0)) {
		cands[n] = ctx->ssecurity;
		from[n++] = "context";
	}
	for (i = 0; i < MF_SSECURITY_OLD && n < MAX_CANDS; i++) {
		const char *k = ctx->ssecurity_old[i];

		if (!k[0] || (ssreq && strcmp(k, ssreq) == 0))
			continue;
		cands[n] = k;
		from[n++] = "context";
	}
	return n;
}

static int session_events(struct xch *x, const char *uid, const char *cuid)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < x->nsec && rc == 0; i++) {
		struct mf_event *ev = mf_cloud_event(&x->o, x->ts, "session");
		char shown[160];
		cJSON *m;

		if (!ev)
			return MF_ERR_NOMEM;
		mf_event_str(ev, "uid", uid);
		mf_event_str(ev, "secret_type", x->sec[i].type);
		mf_redact(x->ctx, x->sec[i].val, shown, sizeof(shown));
		mf_event_str(ev, "secret", shown);
		mf_event_str(ev, "found_in", x->sec[i].found_in);
		if (strcmp(x->sec[i].type, "ssecurity") == 0)
			mf_event_bool(ev, "already_known", key_known(x->ctx, x->sec[i].val));
		if ((m = mc_base(x)) != NULL) {
			if (cuid)
				mf_json_str(m, "cuid", cuid);
			mf_event_add(ev, "micloud", m);
		}
		rc = mf_cloud_emit(x->ctx, &x->o, ev, NULL);
	}
	/* a revealed ssecurity decrypts what follows (the ones known before too) */
	for (i = 0; i < x->nsec; i++)
		if (strcmp(x->sec[i].type, "ssecurity") == 0)
			key_use(x->ctx, x->sec[i].val);
	return rc;
}

/* What the User-Agent says about the client (micloud.md section 3): the Mi
 * Home app ("...-SmartHome-<channel>-..." on Android, the passport SDK on
 * iOS), a script (the fixed strings of the public token extractors and
 * cloud libraries, HTTP libraries' defaults), or NULL when it does not tell. */
static const char *ua_kind(const char *ua)
{
	static const char *const libs[] = { "python-requests/", "Python-urllib/", "python-httpx/",
		"aiohttp/", "curl/", "Wget/", "Go-http-client/", "node-fetch", "axios/", "undici",
		"okhttp/", "Dart/", "Java/", "libcurl", NULL };
	size_t i, n;

	if (!ua || !ua[0])
		return NULL;
	if (strstr(ua, "-SmartHome-") || (strstr(ua, "APP/com.xiaomi.mihome") &&
	    (strstr(ua, "iosPassportSDK") || strstr(ua, " iOS/"))))
		return "app";
	/* PiotrMachowski's extractor and its forks: a fixed phone and APPV 62830 */
	if (strncmp(ua, "Android-7.1.1-1.0.0-ONEPLUS A3010-136-", 38) == 0)
		return "script";
	/* hass-xiaomi-miot and others: 18 letters, '-', 13 characters */
	for (n = 0; ua[n] && isalpha((unsigned char)ua[n]); n++)
		;
	if (n == 18 && ua[n] == '-') {
		for (i = n + 1; ua[i] && isalnum((unsigned char)ua[i]); i++)
			;
		if (i - n - 1 == 13 && strncmp(ua + i, " APP/com.xiaomi.mihome APPV/", 28) == 0)
			return "script";
	}
	for (i = 0; libs[i]; i++)
		if (strncasecmp(ua, libs[i], strlen(libs[i])) == 0)
			return "script";
	return NULL;
}

static void add_user_agent(cJSON *m, const char *ua)
{
	const char *k = ua_kind(ua);

	if (!ua)
		return;
	mf_json_str(m, "user_agent", ua);
	if (k)
		mf_json_str(m, "user_agent_kind", k);
}

/* ------------------------------------------------------------ API hosts */

enum { MODE_PLAIN, MODE_LEGACY, MODE_RC4 };

static const char *const mode_names[] = { "plain", "legacy", "rc4" };

static int do_api(struct xch *x)
{
	struct mf_ctx *ctx = x->ctx;
	const struct mf_micloud_resp *rs = x->rs;
	const struct mf_micloud_kv *kv, *nk;
	struct mf_micloud_rc4_req r[MAX_CANDS];
	int have_r[MAX_CANDS] = { 0 }, best = -1, mode, rc = 0, k;
	char ssreq[128] = "", nonce[64] = "", sig[MF_MICLOUD_SIG_LEN], sn[MF_MICLOUD_SN_LEN];
	char ssbuf[sizeof(ctx->ssecurity)] = "";
	const char *ss = NULL, *ss_from = NULL, *sig_state = "absent", *hash_state = NULL;
	const char *cands[MAX_CANDS], *cand_from[MAX_CANDS];
	size_t ncand = 0;
	int key_proven = 0;
	const struct mf_micloud_form *plain = &x->F;
	cJSON *req_data = NULL, *reply = NULL, *m = NULL, *value = NULL;
	struct mf_event *ev = NULL;
	const struct mf_endpoint *ep;
	struct mf_buf pt;
	unsigned how = 0;
	char uid[64] = "", cuid[64] = "", tmp[128];
	int64_t nonce_ms = 0;
	int nonce_ok = 0;

	mf_buf_init(&pt, x->cap);
	memset(r, 0, sizeof(r));

	nk = mf_micloud_form_get(&x->F, "_nonce");
	if (!nk)
		nk = mf_micloud_form_get(&x->F, "nonce");
	if (nk && nk->val_len < sizeof(nonce)) {
		char *t = b64_text(nk->val, nk->val_len);

		if (!t) {
			rc = MF_ERR_NOMEM;
			goto out;
		}
		snprintf(nonce, sizeof(nonce), "%s", t);
		free(t);
		nonce_ok = mf_micloud_nonce_time(nonce, &nonce_ms) == 0;
		if (!nonce_ok)
			note(x, "nonce_invalid", "warning", "_nonce '%s' is not 12 bytes of base64", nonce);
		else if (nonce_ms >= INT64_MAX / 1000000) {
			nonce_ok = 0;   /* a minute count past 2262: not a clock */
			note(x, "nonce_invalid", "warning", "_nonce '%s' holds minute %lld, not a time",
			    nonce, (long long)(nonce_ms / 60000));
		}
	}
	if ((kv = mf_micloud_form_get(&x->F, "ssecurity")) && kv->val_len < sizeof(ssreq)) {
		char *t = b64_text(kv->val, kv->val_len);

		if (!t) {
			rc = MF_ERR_NOMEM;
			goto out;
		}
		snprintf(ssreq, sizeof(ssreq), "%s", t);
		free(t);
	}

	kv = mf_micloud_form_get(&x->F, "data");
	if (mf_micloud_form_get(&x->F, "rc4_hash__") ||
	    (is_rc4_alg(x->rq->encrypt_alg) && nk &&
	     !(kv && kv->val_len && (kv->val[0] == '{' || kv->val[0] == '['))))
		mode = MODE_RC4;   /* the header alone does not make clear JSON data RC4 */
	else if (mf_micloud_form_get(&x->F, "signature") && nk)
		mode = MODE_LEGACY;
	else
		mode = MODE_PLAIN;

	if (mode != MODE_PLAIN)
		ncand = key_candidates(ctx, ssreq, cands, cand_from);
	if (mode == MODE_RC4) {
		char err[MF_ERRBUF_SIZE] = "";
		int fallback = -1, tried = 0, failed = 0;

		for (k = 0; k < (int)ncand; k++) {
			const struct mf_micloud_kv *d;

			rc = mf_micloud_rc4_decrypt_params(x->method, x->path, cands[k], &x->F, x->cap,
			    &r[k], err);
			have_r[k] = 1;
			tried++;
			if (rc == MF_ERR_NOMEM)
				goto out;
			if (rc) {
				failed++;
				rc = 0;
				continue;
			}
			if (r[k].signature_ok == 1 || r[k].rc4_hash_ok == 1) {
				best = k;
				break;
			}
			d = mf_micloud_form_get(&r[k].plain, "data");
			if (fallback < 0 && r[k].values_text && d && d->val_len &&
			    (d->val[0] == '{' || d->val[0] == '['))
				fallback = k;
		}
		if (best < 0 && fallback >= 0)
			best = fallback;
		if (best < 0 && !(tried && failed == tried)) {
			/* no key known so far opens it: one may come later in the input */
			if (x->flags & MF_MICLOUD_X_MAY_HOLD) {
				rc = MF_MICLOUD_HELD;
				goto out;
			}
			if (x->flags & MF_MICLOUD_X_FULL)
				note(x, "held_calls_full", "warning", "%llu call(s) (%llu bytes) already "
				    "wait for a key (caps %zu calls, %zu bytes): this one is not kept for a "
				    "key that may come later", (unsigned long long)ctx->st.cloud_held,
				    (unsigned long long)ctx->st.cloud_held_bytes, ctx->lim.cloud_held_max,
				    ctx->lim.cloud_held_mem_max);
		}
		if (best < 0) {
			if (ncand == 0)
				note(x, "no_ssecurity", "error", "RC4 request without an ssecurity field and "
				    "none known (--ssecurity, or a login in the capture)%s",
				    (x->flags & MF_MICLOUD_X_REPLAY) ? ", up to the end of the input" : "");
			else if (tried && failed == tried)
				note(x, strstr(err, "base64") ? "bad_base64" :
				    strstr(err, "larger") ? "body_too_large" : "bad_request", "error",
				    "%s", err);
			else
				note(x, "wrong_ssecurity", "error", "no known ssecurity (%s%zu from the "
				    "context%s) verifies the signature or decrypts the request to text",
				    ssreq[0] ? "the request's, " : "", ncand - (ssreq[0] ? 1 : 0),
				    (x->flags & MF_MICLOUD_X_REPLAY) ? ", up to the end of the input" : "");
			sig_state = mf_micloud_form_get(&x->F, "signature") ? "unchecked" : "absent";
		} else {
			snprintf(ssbuf, sizeof(ssbuf), "%s", cands[best]);
			ss = ssbuf;
			ss_from = cand_from[best];
			plain = &r[best].plain;
			key_proven = r[best].signature_ok == 1 || r[best].rc4_hash_ok == 1;
			sig_state = r[best].signature_ok == 1 ? "valid" :
			    r[best].signature_ok == 0 ? "invalid" : "absent";
			hash_state = r[best].rc4_hash_ok == 1 ? "valid" :
			    r[best].rc4_hash_ok == 0 ? "invalid" : "absent";
			if (r[best].signature_ok == 0)
				note(x, "bad_signature", r[best].rc4_hash_ok == 1 ? "warning" : "error",
				    "the signature does not verify over the ciphertexts%s",
				    r[best].rc4_hash_ok == 1 ? " (rc4_hash__ does: a client signing in "
				    "another order)" : "");
			if (r[best].rc4_hash_ok == 0)
				note(x, "bad_rc4_hash", "error", "rc4_hash__ matches neither keystream variant");
			if (key_proven && ssreq[0] && strcmp(ss, ssreq) == 0 && !key_known(ctx, ssreq)) {
				/* a new session key proven by the request itself */
				if ((rc = add_secret(x, "ssecurity", ssreq, strlen(ssreq),
				    "request form")) != 0)
					goto out;
				if ((cookie_get(x->rq->cookie, "serviceToken", tmp, sizeof(tmp)) ||
				     cookie_get(x->rq->cookie, "yetAnotherServiceToken", tmp, sizeof(tmp))) &&
				    (rc = add_secret(x, "serviceToken", tmp, strlen(tmp),
				    "request cookie")) != 0)
					goto out;
			}
		}
	} else if (mode == MODE_LEGACY) {
		const struct mf_micloud_kv *sk = mf_micloud_form_get(&x->F, "signature");
		char *given = b64_text(sk->val, sk->val_len);
		size_t tried = 0;

		if (!given) {
			rc = MF_ERR_NOMEM;
			goto out;
		}
		sig_state = "unchecked";
		for (k = 0; k < (int)ncand; k++) {
			if (mf_micloud_signed_nonce(cands[k], nonce, sn) != 0)
				continue;
			if (tried++ == 0) {
				/* reported as the key used when none verifies */
				snprintf(ssbuf, sizeof(ssbuf), "%s", cands[k]);
				ss_from = cand_from[k];
			}
			sig_state = "invalid";
			if ((mf_micloud_legacy_signature(x->spath, sn, nonce, &x->F, sig) == 0 &&
			     strcmp(sig, given) == 0) ||
			    (x->spath != x->path &&
			     mf_micloud_legacy_signature(x->path, sn, nonce, &x->F, sig) == 0 &&
			     strcmp(sig, given) == 0)) {
				sig_state = "valid";
				snprintf(ssbuf, sizeof(ssbuf), "%s", cands[k]);
				ss_from = cand_from[k];
				key_proven = 1;
				break;
			}
		}
		free(given);
		ss = tried ? ssbuf : NULL;
		if (strcmp(sig_state, "invalid") == 0)
			note(x, "bad_signature", "warning", "the legacy HMAC signature does not "
			    "verify with %s", tried == 1 ? (strcmp(ss_from, "request") == 0 ?
			    "the request's ssecurity" : "the known ssecurity") :
			    "any known ssecurity");
	}

	/* the request's data */
	if ((kv = mf_micloud_form_get(plain, "data")) != NULL && kv->val_len) {
		req_data = mf_cloud_json_parse(kv->val, kv->val_len, x->depth, NULL);
		if (req_data)
			value = mf_cloud_json_out(ctx, req_data, x->depth);
		else if (mode != MODE_RC4 || best >= 0)
			value = form_to_json(x, plain, 1);
	} else if (x->req_json) {
		req_data = cJSON_Duplicate(x->req_json, 1);
		value = mf_cloud_json_out(ctx, x->req_json, x->depth);
	} else if (mode != MODE_RC4 || best >= 0) {
		size_t i, nf = 0;

		for (i = 0; i < plain->n; i++)
			nf += !is_control_key(plain->kv[i].key) && strcmp(plain->kv[i].key, "rc4_hash__");
		if (nf)
			value = form_to_json(x, plain, 1);
	}
	if (value && mode == MODE_RC4 && cJSON_IsObject(value))
		cJSON_DeleteItemFromObjectCaseSensitive(value, "rc4_hash__");

	/* the response */
	if (rs && rs->body && rs->body_len && !rs->encoding_unsupported) {
		int drc = mf_micloud_decrypt_response(ss, nonce, rs->body, rs->body_len,
		    rs->miot_content_encoding && strcasestr(rs->miot_content_encoding, "gzip"),
		    x->cap, &pt, &how, NULL);
		const char *reason = NULL;

		if (drc == MF_ERR_NOMEM) {
			rc = drc;
			goto out;
		}
		if (drc) {
			mf_buf_reset(&pt);
			how = 0;
			(void)mf_micloud_decrypt_response(ss, nonce, rs->body, rs->body_len, 0, x->cap,
			    &pt, NULL, &reason);
			mf_buf_reset(&pt);
			if (reason && strcmp(reason, "no_ssecurity") == 0) {
				if (mode == MODE_RC4 && best < 0)
					reason = NULL;   /* already said for the request */
				else if (rs->status >= 300 || mode == MODE_PLAIN)
					reason = NULL;   /* an error page / a non-API body: previewed */
				else if (mode == MODE_LEGACY) {
					/* legacy replies are plain JSON: no key needed to read one */
					note(x, "json_unparsable", "error", "the response body (%zu bytes) is not "
					    "JSON", rs->body_len);
					reason = NULL;
				}
			} else if (reason && strcmp(reason, "bad_base64") == 0 && rs->status >= 300) {
				reason = NULL;
			}
			if (reason)
				note(x, reason, "error", "response body (%zu bytes) could not be decoded: %s",
				    rs->body_len, reason);
		} else if ((how & MF_MICLOUD_RESP_RC4) && rs->status >= 300 && !json_start(&pt)) {
			/* an error status with a text body ("auth err", an HTML page) that
			 * happens to be base64: not an RC4 reply, previewed as sent */
			mf_buf_reset(&pt);
			how = 0;
		}
	}

	/* the exchange event */
	ev = mf_cloud_event(&x->o, x->ts, "data");
	m = mc_base(x);
	if (!ev || !m) {
		rc = MF_ERR_NOMEM;
		goto out;
	}
	ep = mf_endpoint_find(x->path);
	mf_event_str(ev, "event", x->host == MF_MICLOUD_HOST_CAMERA ? x->path : x->spath);
	if (req_data && mf_cloud_json_text(req_data, "did", tmp, sizeof(tmp)) && tmp[0]) {
		mf_event_str(ev, "did", tmp);
		mf_event_str(ev, "model", mf_cloud_model_of(ctx, tmp));
	}
	if (cookie_get(x->rq->cookie, "userId", uid, sizeof(uid)) ||
	    cookie_get(x->rq->cookie, "cUserId", uid, sizeof(uid)))
		mf_event_str(ev, "uid", uid);
	if (value) {
		mf_event_add(ev, "value", value);
		value = NULL;
	}
	if (pt.len) {
		reply = parse_reply(x, &pt, how, m);
		if (reply && pt.len <= ctx->lim.plaintext_max) {
			const cJSON *res = reply_result(reply);

			mf_event_add(ev, "result", mf_cloud_json_out(ctx, res ? res : reply, x->depth));
		} else if (reply) {
			mf_json_bool(m, "result_omitted", 1);
		}
	}
	if (!ep && reply)
		ep = mf_endpoint_guess(reply);   /* a device list on a path not in the table */
	if (ep) {
		mf_json_str(m, "endpoint", ep->name);
		if (ep->flags & MF_EP_ACTS)
			mf_json_bool(m, "acts", 1);
	}
	mf_json_str(m, "mode", mode_names[mode]);
	if (mode == MODE_RC4 && (x->flags & MF_MICLOUD_X_REPLAY)) {
		/* a call held for a key: opened by one that came later, or by none */
		mf_json_str(m, "key_wait", best >= 0 ? "opened_later" : "never_opened");
		if (best >= 0 && x->key_evidence)
			cJSON_AddItemToObject(m, "key_evidence", cJSON_Duplicate(x->key_evidence, 1));
		if (best >= 0)
			ctx->st.cloud_opened_late++;
		else
			ctx->st.cloud_never_opened++;
	}
	if (mode == MODE_RC4 && best >= 0)
		mf_json_str(m, "variant", mf_micloud_variant_name(r[best].variant));
	if (mode == MODE_RC4 && best >= 0 && r[best].variant != MF_MICLOUD_RC4_UNKNOWN)
		mf_json_str(m, "client", r[best].variant == MF_MICLOUD_RC4_CONTINUE ? "app" : "script");
	if (mode != MODE_PLAIN)
		mf_json_str(m, "signature", sig_state);
	if (hash_state)
		mf_json_str(m, "rc4_hash", hash_state);
	if (ss) {
		char shown[160];

		mf_redact(ctx, ss, shown, sizeof(shown));
		mf_json_str(m, "ssecurity", shown);
		mf_json_str(m, "ssecurity_from", ss_from);
	}
	if (ssreq[0])
		mf_json_bool(m, "ssecurity_in_request", 1);
	if (nonce[0]) {
		mf_json_str(m, "nonce", nonce);
		if (nonce_ok) {
			add_time(m, "nonce_time", nonce_ms * 1000000);
			if (x->ts != MF_TIME_NONE) {
				double skew = (double)(nonce_ms - x->ts / 1000000) / 1000.0;

				mf_json_num(m, "nonce_skew_s", skew);
				if (skew > 600 || skew < -660)
					note(x, "nonce_time_skew", "warning", "the client built the request "
					    "%.0f s %s the capture time (clock skew, or a replayed request)",
					    skew < 0 ? -skew : skew, skew < 0 ? "before" : "after");
			}
		}
	}
	if (cookie_get(x->rq->cookie, "cUserId", cuid, sizeof(cuid)))
		mf_json_str(m, "cuid", cuid);
	if (x->rq->encrypt_alg)
		mf_json_str(m, "encrypt_algorithm", x->rq->encrypt_alg);
	add_user_agent(m, x->rq->user_agent);
	add_response_meta(x, m);
	add_reply_fields(x, m, reply);
	if (how) {
		mf_json_str(m, "response", (how & MF_MICLOUD_RESP_PLAIN) ? "plain" :
		    (how & MF_MICLOUD_RESP_GZIP) ? "rc4+gzip" : "rc4");
		mf_json_num(m, "response_bytes", (double)pt.len);
		if (pt.len) {
			uint8_t h[32];
			char hex[65];

			mf_sha256(pt.data, pt.len, h);
			mf_hex_encode(h, 32, hex);
			mf_json_str(m, "response_sha256", hex);
		}
	} else if (rs && rs->body_len) {
		mf_json_num(m, "response_bytes", (double)rs->body_len);
		if (!pt.len)
			add_preview(m, "response_preview", rs->body, rs->body_len);
	}
	if (mf_event_add(ev, "micloud", m) != 0) {
		m = NULL;
		rc = MF_ERR_NOMEM;
		goto out;
	}
	m = NULL;
	rc = mf_cloud_emit(ctx, &x->o, ev, mode == MODE_PLAIN && !x->F.n ? NULL : raw_fields(x));
	ev = NULL;
	if (rc == 0)
		rc = emit_notes(x);
	if (rc == 0)
		rc = session_events(x, uid[0] ? uid : NULL, cuid[0] ? cuid : NULL);
	if (rc == 0 && key_proven && !(x->flags & MF_MICLOUD_X_REPLAY))
		key_use(ctx, ss);       /* the key in use: tried first from now on (a held
		                           call's key is not: it was used back then) */
	if (rc == 0 && ep && (reply_ok(reply) || req_data)) {
		struct mf_cloud_origin ro = x->o;

		/* an error reply gives no records, but a command was still sent */
		ro.ts_ns = x->rts;
		k = mf_endpoint_records(ctx, ep, req_data, reply, &ro);
		if (k < 0)
			rc = k;
	}
out:
	for (k = 0; k < MAX_CANDS; k++)
		if (have_r[k])
			mf_micloud_rc4_req_free(&r[k]);
	mf_event_free(ev);
	cJSON_Delete(m);
	cJSON_Delete(value);
	cJSON_Delete(req_data);
	cJSON_Delete(reply);
	mf_buf_free(&pt);
	return rc;
}

/* ----------------------------------------------------- account and STS */

static const char *account_step(const struct xch *x)
{
	if (x->host == MF_MICLOUD_HOST_STS)
		return "sts";
	if (strstr(x->path, "serviceLoginAuth2"))
		return "serviceLoginAuth2";
	if (strstr(x->path, "serviceLogin"))
		return "serviceLogin";
	if (strstr(x->path, "/longPolling/") ||
	    (x->hostname && strcasestr(x->hostname, "lp.account.xiaomi.com")))
		return "qr_login";      /* the QR code's URL, then its long poll (c3.lp.account...) */
	if (strstr(x->path, "/identity/"))
		return "identity";
	if (strstr(x->path, "/pass/getCode"))
		return "captcha";
	return "other";
}

static int json_secret(struct xch *x, const cJSON *o, const char *key, const char *type,
                       const char *found_in)
{
	const cJSON *it = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;

	if (!cJSON_IsString(it) || !it->valuestring || !it->valuestring[0])
		return 0;
	return add_secret(x, type, it->valuestring, strlen(it->valuestring), found_in);
}

static int do_account(struct xch *x)
{
	struct mf_ctx *ctx = x->ctx;
	const struct mf_micloud_resp *rs = x->rs;
	const struct mf_micloud_kv *kv;
	cJSON *reply = NULL, *pragma = NULL, *m = NULL;
	struct mf_event *ev = NULL;
	const char *step = account_step(x), *outcome = NULL, *why = NULL;
	char uid[64] = "", cuid[64] = "", tmp[512], user[256] = "", sid[64] = "";
	double code = 0;
	int have_code = 0, rc = 0, is_ok_body = 0;

	/* request: the password hash, the login name, cookies of the session */
	if ((kv = mf_micloud_form_get(&x->F, "hash")) != NULL &&
	    (rc = add_secret(x, "password_md5", kv->val, kv->val_len, "request form")) != 0)
		goto out;
	if ((kv = mf_micloud_form_get(&x->F, "user")) != NULL && kv->val_len < sizeof(user))
		snprintf(user, sizeof(user), "%s", kv->val);
	if ((kv = mf_micloud_form_get(&x->F, "sid")) != NULL && kv->val_len < sizeof(sid))
		snprintf(sid, sizeof(sid), "%s", kv->val);
	if (cookie_get(x->rq->cookie, "passToken", tmp, sizeof(tmp)) &&
	    (rc = add_secret(x, "passToken", tmp, strlen(tmp), "request cookie")) != 0)
		goto out;
	if (cookie_get(x->rq->cookie, "serviceToken", tmp, sizeof(tmp)) &&
	    (rc = add_secret(x, "serviceToken", tmp, strlen(tmp), "request cookie")) != 0)
		goto out;
	if (!cookie_get(x->rq->cookie, "userId", uid, sizeof(uid)))
		uid[0] = '\0';
	if (!cookie_get(x->rq->cookie, "cUserId", cuid, sizeof(cuid)))
		cuid[0] = '\0';

	/* response: "&&&START&&&" + JSON, Set-Cookie, extension-pragma */
	if (rs && rs->body && rs->body_len && !rs->encoding_unsupported) {
		const char *b = (const char *)rs->body;
		size_t n = rs->body_len > x->cap ? x->cap : rs->body_len;
		int start = 0;

		while (n && (*b == ' ' || *b == '\r' || *b == '\n' || *b == '\t')) {
			b++;
			n--;
		}
		if (n >= 11 && memcmp(b, "&&&START&&&", 11) == 0) {
			b += 11;
			n -= 11;
			start = 1;
		}
		if (start || (n && (*b == '{' || *b == '['))) {
			reply = mf_cloud_json_parse(b, n, x->depth, &why);
			if (!reply)
				note(x, why, "error", "account reply (%zu bytes) is not valid JSON", n);
		} else if (n >= 2 && strncmp(b, "ok", 2) == 0) {
			is_ok_body = 1;
		}
	}
	if (reply && cJSON_IsObject(reply)) {
		have_code = mf_cloud_json_num(reply, "code", &code);
		if ((rc = json_secret(x, reply, "ssecurity", "ssecurity", "reply")) != 0 ||
		    (rc = json_secret(x, reply, "passToken", "passToken", "reply")) != 0 ||
		    (rc = json_secret(x, reply, "psecurity", "psecurity", "reply")) != 0 ||
		    (rc = json_secret(x, reply, "serviceToken", "serviceToken", "reply")) != 0)
			goto out;
		if (cJSON_GetObjectItemCaseSensitive(reply, "userId"))
			mf_cloud_json_text(reply, "userId", uid, sizeof(uid));
		if (cJSON_GetObjectItemCaseSensitive(reply, "cUserId"))
			mf_cloud_json_text(reply, "cUserId", cuid, sizeof(cuid));
		if (!sid[0])
			mf_cloud_json_text(reply, "sid", sid, sizeof(sid));
	}
	if (rs && rs->set_cookie_joined) {
		const char *sc = rs->set_cookie_joined;

		if (cookie_get(sc, "serviceToken", tmp, sizeof(tmp)) &&
		    (rc = add_secret(x, "serviceToken", tmp, strlen(tmp), "Set-Cookie")) != 0)
			goto out;
		if (cookie_get(sc, "passToken", tmp, sizeof(tmp)) &&
		    (rc = add_secret(x, "passToken", tmp, strlen(tmp), "Set-Cookie")) != 0)
			goto out;
		if (!uid[0])
			cookie_get(sc, "userId", uid, sizeof(uid));
		if (!cuid[0])
			cookie_get(sc, "cUserId", cuid, sizeof(cuid));
	}
	if (rs && rs->extension_pragma && rs->extension_pragma[0]) {
		pragma = mf_cloud_json_parse(rs->extension_pragma, strlen(rs->extension_pragma),
		    x->depth, NULL);
		if ((rc = json_secret(x, pragma, "ssecurity", "ssecurity", "extension-pragma")) != 0 ||
		    (rc = json_secret(x, pragma, "psecurity", "psecurity", "extension-pragma")) != 0)
			goto out;
	}

	/* what the step achieved */
	if (reply && cJSON_IsObject(reply)) {
		const cJSON *cu = cJSON_GetObjectItemCaseSensitive(reply, "captchaUrl");
		const cJSON *nu = cJSON_GetObjectItemCaseSensitive(reply, "notificationUrl");
		int has_ss = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(reply, "ssecurity"));

		if ((cJSON_IsString(cu) && cu->valuestring[0]) || (have_code && code == 87001))
			outcome = "captcha_required";
		else if ((cJSON_IsString(nu) && nu->valuestring[0]) || (have_code && code == 81003))
			outcome = "verification_required";
		else if (has_ss)
			outcome = "logged_in";
		else if (have_code && code == 70016)
			outcome = strcmp(step, "serviceLoginAuth2") == 0 ? "wrong_password" :
			    "login_required";
		else if (have_code && (code == 20003 || code == 70002))
			outcome = "bad_credentials";
		else if (have_code && code == 0)
			outcome = "ok";
		else if (have_code)
			outcome = "error";
	} else if (is_ok_body && x->nsec) {
		outcome = "session_issued";
	}

	ev = mf_cloud_event(&x->o, x->ts, "account");
	m = mc_base(x);
	if (!ev || !m) {
		rc = MF_ERR_NOMEM;
		goto out;
	}
	mf_event_str(ev, "event", x->path);
	if (uid[0])
		mf_event_str(ev, "uid", uid);
	if (user[0])
		mf_event_str(ev, "user", user);
	if (x->F.n)
		mf_event_add(ev, "value", form_to_json(x, &x->F, 0));
	else if (x->req_json)
		mf_event_add(ev, "value", mf_cloud_json_out(ctx, x->req_json, x->depth));
	if (reply)
		mf_event_add(ev, "result", mf_cloud_json_out(ctx, reply, x->depth));
	mf_json_str(m, "step", step);
	if (outcome)
		mf_json_str(m, "outcome", outcome);
	if (sid[0])
		mf_json_str(m, "sid", sid);
	if (cuid[0])
		mf_json_str(m, "cuid", cuid);
	if (reply && cJSON_IsObject(reply)) {
		add_reply_fields(x, m, reply);
		if (mf_cloud_json_text(reply, "captchaUrl", tmp, sizeof(tmp)) && tmp[0])
			mf_json_str(m, "captcha_url", tmp);
		if (mf_cloud_json_text(reply, "notificationUrl", tmp, sizeof(tmp)) && tmp[0])
			mf_json_str(m, "notification_url", tmp);
		if (mf_cloud_json_text(reply, "securityStatus", tmp, sizeof(tmp)))
			mf_json_str(m, "security_status", tmp);
		if (mf_cloud_json_text(reply, "location", tmp, sizeof(tmp)) && tmp[0])
			mf_json_str(m, "location", tmp);
	}
	if (rs && rs->location)
		mf_json_str(m, "redirect", rs->location);
	if (pragma)
		mf_json_bool(m, "extension_pragma", 1);
	add_user_agent(m, x->rq->user_agent);
	add_response_meta(x, m);
	if (mf_event_add(ev, "micloud", m) != 0) {
		m = NULL;
		rc = MF_ERR_NOMEM;
		goto out;
	}
	m = NULL;
	rc = mf_cloud_emit(ctx, &x->o, ev, NULL);
	ev = NULL;
	if (rc == 0)
		rc = emit_notes(x);
	if (rc == 0)
		rc = session_events(x, uid[0] ? uid : NULL, cuid[0] ? cuid : NULL);
out:
	mf_event_free(ev);
	cJSON_Delete(m);
	cJSON_Delete(reply);
	cJSON_Delete(pragma);
	return rc;
}

/* ------------------------------------------------- other Xiaomi hosts */

static int do_other(struct xch *x)
{
	const struct mf_micloud_resp *rs = x->rs;
	struct mf_event *ev = mf_cloud_event(&x->o, x->ts, "data");
	cJSON *m = mc_base(x), *reply = NULL;
	int rc;

	if (!ev || !m) {
		mf_event_free(ev);
		cJSON_Delete(m);
		return MF_ERR_NOMEM;
	}
	mf_event_str(ev, "event", x->path);
	if (x->F.n)
		mf_event_add(ev, "value", form_to_json(x, &x->F, 0));
	else if (x->req_json)
		mf_event_add(ev, "value", mf_cloud_json_out(x->ctx, x->req_json, x->depth));
	if (rs && rs->body && rs->body_len) {
		const uint8_t *b = rs->body;
		size_t n = rs->body_len;

		while (n && (*b == ' ' || *b == '\r' || *b == '\n' || *b == '\t')) {
			b++;
			n--;
		}
		if (n && n <= x->ctx->lim.plaintext_max && (*b == '{' || *b == '['))
			reply = mf_cloud_json_parse((const char *)b, n, x->depth, NULL);
		if (reply)
			mf_event_add(ev, "result", mf_cloud_json_out(x->ctx, reply, x->depth));
	}
	mf_json_str(m, "mode", "other_host");
	add_user_agent(m, x->rq->user_agent);
	add_response_meta(x, m);
	add_reply_fields(x, m, reply);
	if (rs && rs->body_len) {
		mf_json_num(m, "response_bytes", (double)rs->body_len);
		if (!reply)
			add_preview(m, "response_preview", rs->body, rs->body_len);
	}
	cJSON_Delete(reply);
	if (mf_event_add(ev, "micloud", m) != 0) {
		mf_event_free(ev);
		return MF_ERR_NOMEM;
	}
	rc = mf_cloud_emit(x->ctx, &x->o, ev, NULL);
	return rc ? rc : emit_notes(x);
}

/* -------------------------------------------------------------- entry */

/* The body starts with, or holds after a '&', one of the API's form fields. */
static int cloud_form_marks(const uint8_t *b, size_t n)
{
	static const char *const keys[] = { "_nonce=", "rc4_hash__=", "signature=", NULL };
	size_t i;

	for (i = 0; keys[i]; i++) {
		size_t kl = strlen(keys[i]);
		const uint8_t *p = b, *end = b + n;

		while ((p = memmem(p, (size_t)(end - p), keys[i], kl)) != NULL) {
			if (p == b || p[-1] == '&')
				return 1;
			p++;
		}
	}
	return 0;
}

int mf_micloud_exchange_x(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                          const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence,
                          unsigned flags, const cJSON *key_evidence)
{
	struct xch x;
	const char *src, *q, *ct;
	const cJSON *fr;
	size_t len, i;
	int rc = 0;

	if (!ctx || !rq)
		return MF_ERR_ARG;
	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	x.rq = rq;
	x.rs = rs;
	x.ts = ts_ns;
	x.rts = rs && rs->ts_ns > 0 ? rs->ts_ns : ts_ns;
	x.cap = ctx->lim.http_body_max ? ctx->lim.http_body_max : (size_t)16 << 20;
	x.depth = ctx->lim.json_depth_max ? ctx->lim.json_depth_max : 64;
	x.method = rq->method && rq->method[0] ? rq->method : "POST";
	x.flags = flags;
	x.key_evidence = key_evidence;
	mf_micloud_form_init(&x.F);

	src = rq->path && rq->path[0] ? rq->path : "/";
	x.hostname = rq->host && rq->host[0] ? rq->host : NULL;
	if (strncasecmp(src, "http://", 7) == 0 || strncasecmp(src, "https://", 8) == 0) {
		/* absolute form (a request to a proxy): the path is what follows
		 * the authority, which names the host when no Host field did */
		const char *a = strstr(src, "://") + 3;
		size_t al = strcspn(a, "/?#");

		snprintf(x.abs_host, sizeof(x.abs_host), "%.*s", (int)(al < 255 ? al : 255), a);
		if (!x.hostname && x.abs_host[0])
			x.hostname = x.abs_host;
		src = a + al;
		if (*src != '/') {
			/* "http://h?q" or "http://h": the path is "/" */
			q = rq->query ? NULL : strchr(src, '?');
			x.path = memdup0("/", 1);
			if (rq->query)
				x.query = memdup0(rq->query, strlen(rq->query));
			else if (q)
				x.query = memdup0(q + 1, strlen(q + 1));
			if (!x.path || (!x.query && (rq->query || q))) {
				rc = MF_ERR_NOMEM;
				goto out;
			}
			goto have_path;
		}
	}
	q = rq->query ? NULL : strchr(src, '?');
	x.path = q ? memdup0(src, (size_t)(q - src)) : memdup0(src, strlen(src));
	if (rq->query)
		x.query = memdup0(rq->query, strlen(rq->query));
	else if (q)
		x.query = memdup0(q + 1, strlen(q + 1));
	if (!x.path || (!x.query && (rq->query || q))) {
		rc = MF_ERR_NOMEM;
		goto out;
	}
have_path:
	x.o.source = rq->source;
	x.o.protocol = "micloud-http";
	x.o.ts_ns = ts_ns;
	x.o.evidence = evidence;
	x.o.net = rq->net;
	x.o.path = x.path;
	fr = evidence ? cJSON_GetObjectItemCaseSensitive(evidence, "frame") : NULL;
	if (fr && (cJSON_IsNumber(fr) || cJSON_IsRaw(fr))) {
		char t[32];

		if (mf_cloud_json_text(evidence, "frame", t, sizeof(t))) {
			snprintf(x.token_origin, sizeof(x.token_origin), "cloud: frame %s", t);
			x.o.token_origin = x.token_origin;
		}
	}
	x.host = mf_micloud_is_host(x.hostname);
	if (x.host == MF_MICLOUD_HOST_NONE && x.abs_host[0])
		x.host = mf_micloud_is_host(x.abs_host);

	/* request fields: body (form or JSON), then the URL query */
	len = rq->body ? rq->body_len : 0;
	if (len > x.cap) {
		note(&x, "body_too_large", "warning", "request body of %zu bytes cut to %zu", len, x.cap);
		len = x.cap;
	}
	if (rq->body_truncated)
		note(&x, "body_truncated", "warning", "the request body was not captured completely");
	if (rq->encoding_unsupported && len) {
		note(&x, "content_encoding_unsupported", "warning", "the request body is encoded as "
		    "'%.64s', a coding not decoded: its fields are not read", rq->encoding_unsupported);
		len = 0;
	}
	if (rs && rs->encoding_unsupported && rs->body_len)
		note(&x, "content_encoding_unsupported", "warning", "the response body is encoded as "
		    "'%.64s', a coding not decoded: previewed as sent", rs->encoding_unsupported);
	for (i = 0; i < len && strchr(" \t\r\n", rq->body[i]); i++)
		;
	ct = rq->content_type;
	if (i < len && (rq->body[i] == '{' || rq->body[i] == '[')) {
		const char *why = NULL;

		x.req_json = mf_cloud_json_parse((const char *)rq->body + i, len - i, x.depth, &why);
		if (!x.req_json)
			note(&x, why, "warning", "request body looks like JSON but does not parse");
	} else if (len && ((ct && strcasestr(ct, "urlencoded")) ||
	                   (!ct && is_text(rq->body, len) && memchr(rq->body, '=', len)) ||
	                   (is_text(rq->body, len) && cloud_form_marks(rq->body, len)))) {
		/* a form also under another Content-Type (text/plain, octet-stream:
		 * clients that post a string) when it carries the API's fields */
		rc = mf_micloud_form_parse(&x.F, (const char *)rq->body, len);
		if (rc == MF_ERR_NOMEM)
			goto out;
		if (rc == MF_ERR_LIMIT)
			note(&x, "too_many_fields", "warning", "more than %d form fields",
			    MF_MICLOUD_FORM_MAX);
		rc = 0;
	}
	if (x.query && x.query[0]) {
		struct mf_micloud_form qf;

		mf_micloud_form_init(&qf);
		rc = mf_micloud_form_parse(&qf, x.query, strlen(x.query));
		if (rc == MF_ERR_LIMIT)
			note(&x, "too_many_fields", "warning", "more than %d query fields",
			    MF_MICLOUD_FORM_MAX);
		for (i = 0; i < qf.n && rc != MF_ERR_NOMEM; i++)
			if (!mf_micloud_form_get(&x.F, qf.kv[i].key))
				rc = mf_micloud_form_add(&x.F, qf.kv[i].key, qf.kv[i].val, qf.kv[i].val_len);
		mf_micloud_form_free(&qf);
		if (rc == MF_ERR_NOMEM)
			goto out;
		rc = 0;
	}
	if (x.host == MF_MICLOUD_HOST_NONE)
		x.host = (mf_micloud_form_get(&x.F, "rc4_hash__") ||
		          mf_micloud_form_get(&x.F, "signature")) ? MF_MICLOUD_HOST_API :
		    MF_MICLOUD_HOST_OTHER;
	x.spath = x.host == MF_MICLOUD_HOST_CAMERA ? x.path : strip_app(x.path);

	switch (x.host) {
	case MF_MICLOUD_HOST_API:
	case MF_MICLOUD_HOST_CAMERA:
		rc = do_api(&x);
		break;
	case MF_MICLOUD_HOST_ACCOUNT:
	case MF_MICLOUD_HOST_STS:
		rc = do_account(&x);
		break;
	default:
		rc = do_other(&x);
		break;
	}
out:
	for (i = 0; i < x.nsec; i++)
		free(x.sec[i].val);
	mf_micloud_form_free(&x.F);
	cJSON_Delete(x.req_json);
	free(x.path);
	free(x.query);
	return rc;
}

int mf_micloud_exchange(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                        const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence)
{
	unsigned flags = 0;
	uint64_t gen;
	int rc;

	if (!ctx || !rq)
		return MF_ERR_ARG;
	gen = ctx->ssecurity_gen;
	if (ctx->micloud_held)
		flags = mf_micloud_held_fits(ctx, rq, rs, evidence) ? MF_MICLOUD_X_MAY_HOLD :
		    MF_MICLOUD_X_FULL;
	rc = mf_micloud_exchange_x(ctx, rq, rs, ts_ns, evidence, flags, NULL);
	if (rc == MF_MICLOUD_HELD)
		rc = mf_micloud_held_add(ctx, rq, rs, ts_ns, evidence);
	/* this exchange revealed a key: the calls held so far are tried with it */
	if (rc == 0 && ctx->micloud_held && ctx->ssecurity_gen != gen)
		rc = mf_micloud_held_retry(ctx, evidence);
	return rc;
}
