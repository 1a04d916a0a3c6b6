/*
 * mf_tokens.c - device token store; see mf_tokens.h.
 *
 * Key derivation (../shared/reference/miio.md section 5):
 *     key = MD5(token)      iv = MD5(key || token)
 * iOS ZTOKEN (section 12): 96 hex chars = AES-128-ECB(zero key) of the
 * 32-char hex token plus one PKCS#7 block.
 */
#include "mf_tokens.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_file.h"

#define MF_TOKENS_MAX 65536
#define MF_TOKENS_FILE_MAX (16u << 20)

struct entry {
	struct mf_token pub;
	EVP_CIPHER_CTX *dec;
	EVP_CIPHER_CTX *enc;
};

struct mf_tokens {
	struct entry *v;
	size_t n, alloc;
};

struct mf_tokens *mf_tokens_new(void)
{
	return calloc(1, sizeof(struct mf_tokens));
}

void mf_tokens_free(struct mf_tokens *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		EVP_CIPHER_CTX_free(t->v[i].dec);
		EVP_CIPHER_CTX_free(t->v[i].enc);
	}
	free(t->v);
	free(t);
}

static int ios_decrypt(const char *s, uint8_t out[16], char *errbuf)
{
	uint8_t ct[48], pt[48 + 16];
	static const uint8_t zero[16];
	EVP_CIPHER_CTX *c;
	int n1 = 0, n2 = 0, ok;

	if (mf_hex_decode(s, 96, ct, 48) != 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "96-char token is not hex");
	c = EVP_CIPHER_CTX_new();
	if (!c)
		return MF_ERR_NOMEM;
	ok = EVP_DecryptInit_ex(c, EVP_aes_128_ecb(), NULL, zero, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_DecryptUpdate(c, pt, &n1, ct, 48) == 1 &&
	    EVP_DecryptFinal_ex(c, pt + n1, &n2) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok || n1 + n2 != 48)
		return mf_seterr(errbuf, MF_ERR_CRYPTO, "iOS token decryption failed");
	/* 32 hex characters then a full PKCS#7 block of 0x10 */
	if (mf_hex_decode((const char *)pt, 32, out, 16) != 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT,
		    "96-char token does not decrypt to a hex token (not an iOS ZTOKEN?)");
	return 0;
}

int mf_token_parse(const char *s, size_t n, uint8_t out[16], int *form, char *errbuf)
{
	size_t i;

	if (n == 32 && mf_is_hex(s, 32)) {
		if (form)
			*form = MF_TOK_HEX32;
		return mf_hex_decode(s, 32, out, 16);
	}
	if (n == 96 && mf_is_hex(s, 96)) {
		if (form)
			*form = MF_TOK_IOS96;
		return ios_decrypt(s, out, errbuf);
	}
	if (n == 16) {
		for (i = 0; i < 16; i++)
			if (s[i] < 0x21 || s[i] > 0x7e)
				return mf_seterr(errbuf, MF_ERR_FORMAT,
				    "16-char token has a non-printable character");
		if (form)
			*form = MF_TOK_ASCII16;
		memcpy(out, s, 16);
		return 0;
	}
	return mf_seterr(errbuf, MF_ERR_FORMAT,
	    "token must be 32 hex, 96 hex (iOS) or 16 ASCII characters, got %zu characters", n);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

static int parse_selector(const char *sel, struct mf_token *e, char *errbuf)
{
	uint8_t a[16];
	uint64_t did;

	if (!sel || !*sel)
		return 0;
	if (inet_pton(AF_INET, sel, a) == 1) {
		memcpy(e->ip, a, 4);
		e->ip_len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, sel, a) == 1) {
		memcpy(e->ip, a, 16);
		e->ip_len = 16;
		return 0;
	}
	if (parse_u64(sel, &did) == 0) {
		/* newer devices have ids above 2^32: the header carries the
		 * upper half in bytes 4..7 (miio.md section 2) */
		e->did = (uint32_t)did;
		e->did_hi = (uint32_t)(did >> 32);
		e->has_did = 1;
		return 0;
	}
	return mf_seterr(errbuf, MF_ERR_FORMAT,
	    "'%s' is neither a device id (a number) nor an IP address", sel);
}

static int same_binding(const struct mf_token *a, const struct mf_token *b)
{
	return memcmp(a->token, b->token, 16) == 0 && a->has_did == b->has_did &&
	    (!a->has_did || (a->did == b->did && a->did_hi == b->did_hi)) && a->ip_len == b->ip_len &&
	    memcmp(a->ip, b->ip, a->ip_len) == 0;
}

int mf_tokens_add(struct mf_tokens *t, const uint8_t token[16], const char *selector,
                  const char *origin, int form, char *errbuf)
{
	struct entry e;
	uint8_t kt[32];
	size_t i;
	int rc;

	memset(&e, 0, sizeof(e));
	memcpy(e.pub.token, token, 16);
	e.pub.form = form;
	snprintf(e.pub.origin, sizeof(e.pub.origin), "%s", origin ? origin : "");
	if ((rc = parse_selector(selector, &e.pub, errbuf)) != 0)
		return rc;
	for (i = 0; i < t->n; i++)
		if (same_binding(&t->v[i].pub, &e.pub))
			return (int)i;
	if (t->n >= MF_TOKENS_MAX)
		return mf_seterr(errbuf, MF_ERR_LIMIT, "more than %d tokens", MF_TOKENS_MAX);
	mf_md5(token, 16, e.pub.key);
	memcpy(kt, e.pub.key, 16);
	memcpy(kt + 16, token, 16);
	mf_md5(kt, 32, e.pub.iv);
	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 16;
		struct entry *nv = realloc(t->v, na * sizeof(*nv));

		if (!nv)
			return MF_ERR_NOMEM;
		t->v = nv;
		t->alloc = na;
	}
	t->v[t->n] = e;
	return (int)t->n++;
}

void mf_tokens_bind_did(struct mf_tokens *t, size_t idx, uint32_t did)
{
	if (idx < t->n) {
		t->v[idx].pub.did = did;
		t->v[idx].pub.has_did = 1;
	}
}

size_t mf_tokens_count(const struct mf_tokens *t)
{
	return t ? t->n : 0;
}

const struct mf_token *mf_tokens_get(const struct mf_tokens *t, size_t idx)
{
	return idx < t->n ? &t->v[idx].pub : NULL;
}

void mf_tokens_set_confirmed(struct mf_tokens *t, size_t idx)
{
	if (idx < t->n)
		t->v[idx].pub.confirmed = 1;
}

int mf_tokens_find_did(const struct mf_tokens *t, uint32_t did)
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (t->v[i].pub.has_did && t->v[i].pub.did == did)
			return (int)i;
	return -1;
}

int mf_tokens_find_ip(const struct mf_tokens *t, const uint8_t *ip, size_t ip_len)
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (t->v[i].pub.ip_len == ip_len && memcmp(t->v[i].pub.ip, ip, ip_len) == 0)
			return (int)i;
	return -1;
}

int mf_tokens_find_token(const struct mf_tokens *t, const uint8_t token[16])
{
	size_t i;

	for (i = 0; t && i < t->n; i++)
		if (memcmp(t->v[i].pub.token, token, 16) == 0)
			return (int)i;
	return -1;
}

static int aes_cbc(struct mf_tokens *t, size_t idx, const uint8_t *in, size_t n, uint8_t *out,
                 int enc)
{
	struct entry *e;
	EVP_CIPHER_CTX **cp;
	int o1 = 0;

	if (idx >= t->n || n % 16 || n > 0x7fffffff)
		return MF_ERR_ARG;
	e = &t->v[idx];
	cp = enc ? &e->enc : &e->dec;
	if (!*cp) {
		*cp = EVP_CIPHER_CTX_new();
		if (!*cp)
			return MF_ERR_NOMEM;
		if (EVP_CipherInit_ex(*cp, EVP_aes_128_cbc(), NULL, e->pub.key, e->pub.iv,
		    enc) != 1 || EVP_CIPHER_CTX_set_padding(*cp, 0) != 1)
			return MF_ERR_CRYPTO;
	} else if (EVP_CipherInit_ex(*cp, NULL, NULL, NULL, e->pub.iv, enc) != 1) {
		/* re-arm with the fixed IV; the key schedule is kept */
		return MF_ERR_CRYPTO;
	}
	if (n == 0)
		return 0;
	if (EVP_CipherUpdate(*cp, out, &o1, in, (int)n) != 1 || (size_t)o1 != n)
		return MF_ERR_CRYPTO;
	return 0;
}

int mf_tokens_decrypt(struct mf_tokens *t, size_t idx, const uint8_t *in, size_t n,
                      uint8_t *out)
{
	return aes_cbc(t, idx, in, n, out, 0);
}

int mf_tokens_encrypt(struct mf_tokens *t, size_t idx, const uint8_t *in, size_t n,
                      uint8_t *out)
{
	return aes_cbc(t, idx, in, n, out, 1);
}

/* ---- token files ---- */

struct jwalk {
	struct mf_tokens *t;
	const char *name;
	unsigned *bad;
	int added;
};

/* 1 when s names a device: a device id or an IP address. */
static int is_selector(const char *s)
{
	struct mf_token e;

	memset(&e, 0, sizeof(e));
	return s && *s && parse_selector(s, &e, NULL) == 0;
}

/* One device object: token plus did / IP (or the key it is listed under). */
static void jw_device(struct jwalk *w, const cJSON *d, const char *key, const char *origin)
{
	static const char *const ipkeys[] = { "localip", "ip", "localIP", "host", NULL };
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(d, "token");
	const cJSON *did = cJSON_GetObjectItemCaseSensitive(d, "did");
	const cJSON *ip = NULL;
	char didbuf[32];
	const char *sel = NULL;
	uint8_t raw[16];
	int form, rc, i;

	for (i = 0; ipkeys[i] && !(cJSON_IsString(ip) && ip->valuestring[0]); i++)
		ip = cJSON_GetObjectItemCaseSensitive(d, ipkeys[i]);
	if (!(cJSON_IsString(ip) && is_selector(ip->valuestring)))
		ip = NULL;
	if (!cJSON_IsString(tok) || !tok->valuestring[0])
		return;         /* devices without a token are normal (BLE, sub-devices) */
	if (mf_token_parse(tok->valuestring, strlen(tok->valuestring), raw, &form, NULL) != 0) {
		if (w->bad)
			(*w->bad)++;
		return;
	}
	if (cJSON_IsString(did)) {
		sel = did->valuestring;
	} else if (cJSON_IsNumber(did) && did->valuedouble >= 0) {
		snprintf(didbuf, sizeof(didbuf), "%.0f", did->valuedouble);
		sel = didbuf;
	} else if (is_selector(key)) {
		sel = key;      /* {"<did>": {"token": ...}} */
	}
	/* a non-numeric did (lumi.xxx, blt.xxx) cannot bind: use the IP */
	rc = sel ? mf_tokens_add(w->t, raw, sel, origin, form, NULL) : -1;
	if (rc < 0 && ip)
		rc = mf_tokens_add(w->t, raw, ip->valuestring, origin, form, NULL);
	else if (rc >= 0 && ip)
		mf_tokens_add(w->t, raw, ip->valuestring, origin, form, NULL);
	if (rc < 0)
		rc = mf_tokens_add(w->t, raw, NULL, origin, form, NULL);
	if (rc >= 0)
		w->added++;
	else if (w->bad)
		(*w->bad)++;
}

/* Walks any JSON shape for tokens.  origin: "<file>#<index>" for list
 * members (the device's place in the list), "<file>:<key>" for map members. */
static void jw(struct jwalk *w, const cJSON *v, const char *key, const char *origin, int depth)
{
	const cJSON *it;
	char o[160];
	int k = 0;

	if (depth > 32)
		return;
	if (cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "token")) {
		jw_device(w, v, key, origin);
		return;
	}
	for (it = v->child; it; it = it->next, k++) {
		if (cJSON_IsArray(v))
			snprintf(o, sizeof(o), "%s#%d", w->name, k);
		else
			snprintf(o, sizeof(o), "%s:%s", w->name, it->string ? it->string : "");
		if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
			jw(w, it, cJSON_IsObject(v) ? it->string : NULL,
			    cJSON_IsArray(v) || !origin ? o : origin, depth + 1);
		} else if (cJSON_IsObject(v) && cJSON_IsString(it) && is_selector(it->string)) {
			/* {"<did-or-ip>": "<token>"} */
			uint8_t raw[16];
			int form;

			if (mf_token_parse(it->valuestring, strlen(it->valuestring), raw, &form,
			    NULL) != 0 || mf_tokens_add(w->t, raw, it->string, o, form, NULL) < 0) {
				if (w->bad)
					(*w->bad)++;
			} else {
				w->added++;
			}
		}
	}
}

static int load_json(struct mf_tokens *t, const char *buf, size_t len, const char *name,
                     unsigned *bad, char *errbuf)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	struct jwalk w = { t, name, bad, 0 };

	if (!root)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not valid JSON", name);
	jw(&w, root, NULL, NULL, 0);
	cJSON_Delete(root);
	return w.added ? 0 : mf_seterr(errbuf, MF_ERR_FORMAT, "%s: no usable token", name);
}

/* Splits on blanks, ',', ';' and '=' (did=token lines are common). */
static char *next_field(char **p)
{
	char *s = *p, *start;

	while (*s && strchr(" \t,;=", *s))
		s++;
	if (!*s)
		return NULL;
	start = s;
	while (*s && !strchr(" \t,;=", *s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return start;
}

/* ---- the printout of Xiaomi-cloud-tokens-extractor ----
 *
 *    Devices found for server "de" @ home "...":
 *       ---------
 *       NAME:     Plug
 *       ID:       42688810
 *       MAC:      04:CF:8C:..
 *       IP:       192.168.1.5
 *       TOKEN:    509cd46147f2c367da006fda76a48f5f
 *       MODEL:    chuangmi.plug.m1
 *       ---------
 *
 * One block per device; other lines are the tool's chatter. */

struct xblock {
	char id[48], ip[48], token[112];
	size_t token_line;
};

static void xflush(struct mf_tokens *t, struct xblock *b, const char *name, int *added,
                   int *nbad)
{
	char origin[160];
	uint8_t raw[16];
	int form, rc = -1;

	if (b->token[0]) {
		snprintf(origin, sizeof(origin), "%s:%zu", name, b->token_line);
		if (mf_token_parse(b->token, strlen(b->token), raw, &form, NULL) != 0) {
			(*nbad)++;
		} else {
			if (is_selector(b->id))
				rc = mf_tokens_add(t, raw, b->id, origin, form, NULL);
			if (is_selector(b->ip))
				rc = mf_tokens_add(t, raw, b->ip, origin, form, NULL) >= 0 ? 0 : rc;
			if (rc < 0)
				rc = mf_tokens_add(t, raw, NULL, origin, form, NULL);
			if (rc >= 0)
				(*added)++;
			else
				(*nbad)++;
		}
	}
	memset(b, 0, sizeof(*b));
}

/* The value of "   KEY:   value" (trimmed) when the line has that key. */
static const char *xfield(const char *line, const char *key)
{
	size_t n = strlen(key);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

static int is_extractor(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t s = i;

		while (i < len && buf[i] != '\n')
			i++;
		while (s < i && (buf[s] == ' ' || buf[s] == '\t'))
			s++;
		if (i - s >= 6 && memcmp(buf + s, "TOKEN:", 6) == 0)
			return 1;
		i++;
	}
	return 0;
}

static int load_extractor(struct mf_tokens *t, const char *buf, size_t len, const char *name,
                          unsigned *bad, char *errbuf)
{
	struct xblock b;
	size_t i = 0, lineno = 0;
	int added = 0, nbad = 0;

	memset(&b, 0, sizeof(b));
	while (i < len) {
		size_t s = i, e;
		char line[512];
		const char *v;

		while (i < len && buf[i] != '\n')
			i++;
		e = i++;
		lineno++;
		while (e > s && isspace((unsigned char)buf[e - 1]))
			e--;
		if (e - s >= sizeof(line))
			continue;
		memcpy(line, buf + s, e - s);
		line[e - s] = '\0';
		if (strstr(line, "---") || (xfield(line, "NAME") && (b.token[0] || b.id[0]))) {
			xflush(t, &b, name, &added, &nbad);
			if (!strstr(line, "---"))
				continue;   /* NAME of the next block: read below */
		}
		if ((v = xfield(line, "ID")) != NULL)
			snprintf(b.id, sizeof(b.id), "%s", v);
		else if ((v = xfield(line, "IP")) != NULL)
			snprintf(b.ip, sizeof(b.ip), "%s", v);
		else if ((v = xfield(line, "TOKEN")) != NULL) {
			snprintf(b.token, sizeof(b.token), "%s", v);
			b.token_line = lineno;
		}
	}
	xflush(t, &b, name, &added, &nbad);
	if (bad)
		*bad += (unsigned)nbad;
	return added ? 0 : mf_seterr(errbuf, MF_ERR_FORMAT, "%s: no usable token", name);
}

int mf_tokens_load_mem(struct mf_tokens *t, const char *buf, size_t len, const char *name,
                       unsigned *bad, char *errbuf)
{
	size_t i = 0, lineno = 0;
	int added = 0, nbad = 0;
	char firsterr[MF_ERRBUF_SIZE * 2 + 64] = "";

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i < len && (buf[i] == '[' || buf[i] == '{'))
		return load_json(t, buf, len, name, bad, errbuf);
	if (is_extractor(buf, len))
		return load_extractor(t, buf, len, name, bad, errbuf);
	i = 0;
	while (i < len) {
		size_t s = i, e;
		char line[512], *f1, *f2, *f3, *save;
		char origin[160], eb[MF_ERRBUF_SIZE];
		uint8_t raw[16];
		int form, rc;

		while (i < len && buf[i] != '\n')
			i++;
		e = i++;
		lineno++;
		if (e > s && buf[e - 1] == '\r')
			e--;
		if (e - s >= sizeof(line)) {
			nbad++;
			if (!firsterr[0])
				snprintf(firsterr, sizeof(firsterr), "%s:%zu: line too long", name, lineno);
			continue;
		}
		memcpy(line, buf + s, e - s);
		line[e - s] = '\0';
		if ((f1 = strchr(line, '#')) != NULL)
			*f1 = '\0';
		save = line;
		f1 = next_field(&save);
		if (!f1)
			continue;
		f2 = next_field(&save);
		f3 = f2 ? next_field(&save) : NULL;
		snprintf(origin, sizeof(origin), "%s:%zu", name, lineno);
		if (f3) {
			rc = MF_ERR_FORMAT;
			snprintf(eb, sizeof(eb), "more than two fields");
		} else {
			const char *tok = f2 ? f2 : f1;

			rc = mf_token_parse(tok, strlen(tok), raw, &form, eb);
			if (rc == 0)
				rc = mf_tokens_add(t, raw, f2 ? f1 : NULL, origin, form, eb);
		}
		if (rc < 0) {
			nbad++;
			if (!firsterr[0])
				snprintf(firsterr, sizeof(firsterr), "%s:%zu: %s", name, lineno, eb);
		} else {
			added++;
		}
	}
	if (bad)
		*bad += (unsigned)nbad;
	if (firsterr[0])
		mf_seterr(errbuf, MF_ERR_FORMAT, "%s", firsterr);
	if (!added)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s",
		    firsterr[0] ? firsterr : "no token in the tokens file");
	return 0;
}

int mf_tokens_load_file(struct mf_tokens *t, const char *path, unsigned *bad, char *errbuf)
{
	char *buf;
	size_t len;
	int rc = mf_read_small_file(path, MF_TOKENS_FILE_MAX, &buf, &len, errbuf);

	if (rc == MF_ERR_LIMIT)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not a tokens file (size)", path);
	if (rc)
		return rc;
	rc = mf_tokens_load_mem(t, buf, len, mf_basename(path), bad, errbuf);
	free(buf);
	return rc;
}
