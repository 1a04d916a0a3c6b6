/*
 * mf_micloud.h - the Xiaomi Mi cloud API codec: request signing and
 * verification, RC4 payloads, response decoding, the account/STS login
 * flow's secrets, and the decoding of one HTTP exchange into events.
 *
 * Reference: ../shared/reference/micloud.md (section numbers below refer to
 * it).  Users: decode/'s HTTP/1.1 and HTTP/2 layers (mf_micloud_exchange)
 * and the cloud acquisition client (the lower-level functions).
 *
 *   _nonce       = b64( 8 random bytes || BE32(minute of the server clock) )   (16 chars)
 *   signed_nonce = b64( SHA256( b64d(ssecurity) || b64d(_nonce) ) )          (44 chars)
 *   legacy:  signature  = b64( HMAC-SHA256(b64d(sn), path&sn&_nonce&k=v...) )
 *   RC4:     K = b64d(sn); RC4-drop-1024(K);
 *            rc4_hash__ = b64( SHA1(METHOD&path&k=v...&sn) ) over the plaintexts,
 *            every value E = b64(RC4 ^ value) (one continuing keystream in
 *            the app, a fresh one per value in most scripts),
 *            signature  = b64( SHA1(METHOD&path&k=E...&sn) ) over the ciphertexts
 *   response: '{' -> plain JSON; else b64d -> fresh RC4-drop-1024(K) -> [gunzip] -> JSON
 *
 * Conventions: functions return 0 (or a count) or a negative MF_ERR_*;
 * strings passed in are borrowed for the call; everything a function fills
 * in is owned by the caller and released with the matching *_free().
 * Nothing here keeps global state.
 */
#ifndef MF_MICLOUD_H
#define MF_MICLOUD_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "mf_endpoints.h"

struct mf_ctx;
struct mf_buf;

/* ---------------------------------------------------------------- hosts */

enum mf_micloud_host {
	MF_MICLOUD_HOST_NONE = 0,  /* not a Xiaomi cloud host */
	MF_MICLOUD_HOST_API,       /* [<cc>.][core.|pv-..]api.io.mi.com, api.mijia.tech, core.api.mijia.tech, ... */
	MF_MICLOUD_HOST_CAMERA,    /* business.smartcamera., processor.smartcamera., connect.camera., camera. prefixes: full path signed */
	MF_MICLOUD_HOST_ACCOUNT,   /* account.xiaomi.com, *.account.xiaomi.com (long polls, open.) */
	MF_MICLOUD_HOST_STS,       /* sts.api.io.mi.com, sts.api.mijia.tech */
	MF_MICLOUD_HOST_OTHER      /* other Xiaomi hosts (*.mi.com, *.xiaomi.com, *.xiaomi.net, *.mijia.tech) */
};

/* Classifies a Host / :authority / SNI value (case-insensitive, ":port"
 * and a trailing dot ignored).  Returns an mf_micloud_host; non-zero means
 * "hand this exchange to mf_micloud_exchange". */
int mf_micloud_is_host(const char *host);

/* ---------------------------------------------------------------- forms */

/* One form field, percent-decoded; key and val are NUL-terminated and owned
 * by the form (val may hold NUL bytes: use val_len). */
struct mf_micloud_kv {
	char *key;
	char *val;
	size_t val_len;
};

#define MF_MICLOUD_FORM_MAX 64  /* fields per form; more is MF_ERR_LIMIT */

struct mf_micloud_form {
	struct mf_micloud_kv *kv;
	size_t n, alloc;
};

void mf_micloud_form_init(struct mf_micloud_form *f);
void mf_micloud_form_free(struct mf_micloud_form *f);  /* also resets to empty */
/* Parses application/x-www-form-urlencoded text (a body or a URL query) and
 * appends its fields: split on '&', each name and value percent-decoded
 * exactly once, '+' read as a space (base64 users map it back, see
 * mf_micloud_b64_field).  Empty segments are skipped.  Returns the number
 * of fields added (>= 0), MF_ERR_LIMIT past MF_MICLOUD_FORM_MAX fields,
 * MF_ERR_NOMEM. */
int mf_micloud_form_parse(struct mf_micloud_form *f, const char *s, size_t n);
/* Appends a copy of key / val (val_len bytes).  0, MF_ERR_LIMIT, MF_ERR_NOMEM. */
int mf_micloud_form_add(struct mf_micloud_form *f, const char *key, const char *val,
                        size_t val_len);
/* First field named key, or NULL. */
const struct mf_micloud_kv *mf_micloud_form_get(const struct mf_micloud_form *f,
                                                const char *key);
/* Writes "k=v&k=v" percent-encoding everything but RFC 3986 unreserved
 * characters (so '+', '/', '=' of base64 become %2B, %2F, %3D).
 * 0, MF_ERR_LIMIT (out's cap), MF_ERR_NOMEM. */
int mf_micloud_form_encode(const struct mf_micloud_form *f, struct mf_buf *out);

/* ---------------------------------------------------------- primitives */

#define MF_MICLOUD_NONCE_LEN 17  /* 16 base64 chars + NUL */
#define MF_MICLOUD_SN_LEN 48     /* signed nonce: 44 base64 chars + NUL */
#define MF_MICLOUD_SIG_LEN 48    /* a signature / rc4_hash__: at most 44 chars + NUL */

/* Builds a _nonce from 8 random bytes and the (server-corrected) clock in
 * ms (section 4).  0 or MF_ERR_ARG (negative time). */
int mf_micloud_nonce_make(const uint8_t rnd[8], int64_t now_ms,
                          char out[MF_MICLOUD_NONCE_LEN]);
/* The time the client built a request: bytes 8..11 of the decoded _nonce
 * (big-endian minute count) times 60000 ms.  Accepts base64 with or without
 * padding ('+' or ' ').  0, or MF_ERR_FORMAT (not base64 / not 12 bytes). */
int mf_micloud_nonce_time(const char *nonce_b64, int64_t *ms_out);
/* signed_nonce = b64(SHA256(b64d(ssecurity) || b64d(nonce))).
 * 0, or MF_ERR_FORMAT (either input not base64, or empty). */
int mf_micloud_signed_nonce(const char *ssecurity_b64, const char *nonce_b64,
                            char out[MF_MICLOUD_SN_LEN]);

/* Which keys take part in signing: every field except "signature",
 * "_nonce", "nonce" and "ssecurity", sorted by key (byte order); with
 * MF_MICLOUD_SKIP_RC4HASH also without "rc4_hash__". */
#define MF_MICLOUD_SKIP_RC4HASH 0x1u

/* Legacy mode (section 5): b64(HMAC-SHA256(key = b64d(sn),
 * "path&sn&nonce&k=v..." or "...&data=" when there is no field)).
 * path: without "/app".  0, MF_ERR_FORMAT (sn not base64), MF_ERR_NOMEM. */
int mf_micloud_legacy_signature(const char *path, const char *signed_nonce, const char *nonce,
                                const struct mf_micloud_form *params,
                                char out[MF_MICLOUD_SIG_LEN]);
/* RC4 mode SHA-1 signature (section 6): b64(SHA1("METHOD&path&k=v...&sn")).
 * Over the plaintexts with MF_MICLOUD_SKIP_RC4HASH it is rc4_hash__; over
 * the ciphertexts (rc4_hash__ included) it is `signature`.  method is
 * upper-cased.  0 or MF_ERR_NOMEM. */
int mf_micloud_sha1_signature(const char *method, const char *path,
                              const struct mf_micloud_form *params, const char *signed_nonce,
                              unsigned flags, char out[MF_MICLOUD_SIG_LEN]);

/* The two keystream variants (section 6). */
enum mf_micloud_variant {
	MF_MICLOUD_RC4_UNKNOWN = 0,  /* rc4_hash__ matched neither / was absent */
	MF_MICLOUD_RC4_CONTINUE,     /* one keystream over all values in key order: the app */
	MF_MICLOUD_RC4_FRESH         /* a fresh drop-1024 keystream per value: most scripts */
};
/* "app" / "fresh" / "unknown" (stable output names). */
const char *mf_micloud_variant_name(int variant);

/* Builds an RC4-mode request (section 6) for the acquisition client and the
 * tests: from the plaintext fields `plain` (normally just "data"), writes to
 * `out` (appended, caller-initialised) the encrypted fields in key order
 * (rc4_hash__ added), then "signature", "_nonce", "ssecurity" (the send
 * order).  path: as signed (without "/app" for API hosts).
 * 0, MF_ERR_FORMAT (ssecurity/nonce not base64), MF_ERR_LIMIT, MF_ERR_NOMEM. */
int mf_micloud_rc4_encrypt_params(const char *method, const char *path, const char *ssecurity,
                                  const char *nonce, const struct mf_micloud_form *plain,
                                  int variant, struct mf_micloud_form *out);

/* The decryption of one RC4-mode request. */
struct mf_micloud_rc4_req {
	struct mf_micloud_form plain;   /* decrypted fields in key order, rc4_hash__ included (owned) */
	int variant;                    /* enum mf_micloud_variant */
	int signature_ok;               /* 1 valid, 0 invalid, -1 no signature field */
	int rc4_hash_ok;                /* 1 reproduced, 0 not, -1 no rc4_hash__ field */
	int path_full;                  /* 1: signed over the path as given (camera hosts); 0: without "/app" */
	int values_text;                /* 1: every decrypted value is valid UTF-8 text (a wrong key gives binary) */
	char signed_nonce[MF_MICLOUD_SN_LEN];
};
void mf_micloud_rc4_req_free(struct mf_micloud_rc4_req *r);
/* Decrypts the RC4-mode fields of `form` (as received: percent-decoded, the
 * base64 values possibly with ' ' for '+') with ssecurity and the form's
 * _nonce (or nonce); verifies the signature over the ciphertexts (path
 * tried without "/app", then as given) and rc4_hash__ by both keystream
 * variants.  Every decrypted value is capped at `cap` bytes.  `out` is
 * initialised here; free it with mf_micloud_rc4_req_free() even on error.
 * Returns 0 (read the flags: a wrong ssecurity decrypts to garbage with
 * signature_ok == 0 and rc4_hash_ok == 0), MF_ERR_FORMAT (no _nonce,
 * ssecurity or nonce or a value not base64; reason in errbuf),
 * MF_ERR_LIMIT (a value over cap), MF_ERR_NOMEM. */
int mf_micloud_rc4_decrypt_params(const char *method, const char *path, const char *ssecurity,
                                  const struct mf_micloud_form *form, size_t cap,
                                  struct mf_micloud_rc4_req *out, char *errbuf);

/* How a response body was decoded (bit set). */
#define MF_MICLOUD_RESP_PLAIN 0x1u  /* body was JSON as received (starts with '{' or '[') */
#define MF_MICLOUD_RESP_RC4 0x2u    /* base64 + RC4 */
#define MF_MICLOUD_RESP_GZIP 0x4u   /* inner gzip (MIOT-CONTENT-ENCODING or 1f 8b) */

/* Decodes a response body (section 6): leading whitespace skipped; '{' or
 * '[' first -> copied as is (PLAIN); else base64-decoded, fresh
 * RC4-drop-1024 with K = b64d(signed_nonce(ssecurity, nonce)), gunzipped
 * when the plaintext starts 1f 8b (gzip_hint, i.e. MIOT-CONTENT-ENCODING:
 * GZIP, is informative only: a hint without the magic means a wrong key,
 * which the caller's JSON check reports).  Appends the plaintext to `out`
 * (caller-initialised, its own cap applies too) and at most `cap` bytes.
 * *how (may be NULL) receives MF_MICLOUD_RESP_* bits; *reason (may be NULL)
 * a stable anomaly name on failure: "bad_base64", "gzip_error",
 * "body_too_large", "no_ssecurity".  Whether the result is JSON is for the
 * caller to check (a wrong key gives binary: "rc4_not_json").
 * Returns 0, MF_ERR_FORMAT, MF_ERR_LIMIT, MF_ERR_ARG (ssecurity or nonce
 * missing/invalid), MF_ERR_NOMEM. */
int mf_micloud_decrypt_response(const char *ssecurity, const char *nonce, const uint8_t *body,
                                size_t n, int gzip_hint, size_t cap, struct mf_buf *out,
                                unsigned *how, const char **reason);

/* ------------------------------------------------------------ exchange */

/* One Mi cloud HTTP exchange as the HTTP layer sees it: bodies already
 * de-chunked and with HTTP Content-Encoding undone (the inner
 * MIOT-CONTENT-ENCODING gzip is ours).  Every pointer is borrowed for the
 * call and may be NULL when absent; zero-initialise and fill what you have. */
struct mf_micloud_req {
	const char *host;          /* Host / :authority (port allowed), else the TLS SNI */
	const char *path;          /* request-target path as sent (percent-encoded); a "?query" in it is split off when `query` is NULL */
	const char *method;        /* "POST", "GET", ... (NULL = "POST") */
	const char *query;         /* URL query without '?' */
	const uint8_t *body;
	size_t body_len;
	const char *content_type;
	const char *cookie;        /* all Cookie fields joined with "; " (HTTP/2 splits them) */
	const char *encrypt_alg;   /* MIOT-ENCRYPT-ALGORITHM */
	const char *user_agent;    /* User-Agent (client fingerprint) */
	int body_truncated;        /* 1: the HTTP layer cut the body (cap, gap): decoding is attempted, an anomaly says so */
	const char *encoding_unsupported; /* a Content-Encoding the HTTP layer could not undo (body as sent): not read, an anomaly says so */
	const char *source;        /* "pcap" or "live" (NULL = "pcap") */
	const cJSON *net;          /* flow object duplicated into every event as "net", or NULL */
};

struct mf_micloud_resp {
	int status;                /* HTTP status */
	const uint8_t *body;
	size_t body_len;
	const char *content_type;
	const char *miot_content_encoding; /* MIOT-CONTENT-ENCODING ("GZIP") */
	const char *set_cookie_joined;     /* every Set-Cookie value, joined with "\n" (", " tolerated) */
	const char *extension_pragma;      /* extension-pragma (login flow) */
	const char *location;              /* Location (login redirects) */
	int body_truncated;
	const char *encoding_unsupported; /* as in mf_micloud_req: the body is previewed, not decoded */
	int64_t ts_ns;             /* capture time of the response's last frame; <= 0 = unknown */
};

/*
 * Decodes one exchange into events emitted through ctx, protocol
 * "micloud-http", source rq->source:
 *   - API hosts: one `data` event per call (event = path without "/app",
 *     decoded request parameters as `value`, the reply's result, the nonce
 *     time, mode, keystream variant, verification results; docs/EVENTS.md
 *     "Mi cloud"), then the endpoint's records (mf_endpoint_records: device,
 *     token, home, room, share, scene, device_event, property, command ...);
 *   - account/STS hosts: `account` and `session` findings for the login
 *     flow's secrets (ssecurity, passToken, serviceToken, password hash),
 *     redacted unless ctx->show_secrets; a revealed ssecurity is stored in
 *     ctx->ssecurity for the following requests;
 *   - other Xiaomi hosts: one `data` event (path, status, sizes).
 * RC4 requests are decrypted with the request's own `ssecurity` field or
 * ctx->ssecurity, whichever the signature (or rc4_hash__) proves; a new
 * proven request ssecurity replaces ctx->ssecurity and is reported once.
 * Undecodable input becomes anomaly events (no_ssecurity, wrong_ssecurity,
 * bad_signature, bad_rc4_hash, bad_base64, rc4_not_json, gzip_error,
 * json_unparsable, body_truncated, body_too_large, ...), never silence.
 * While ctx->micloud_held is open (mf_micloud_held.h: the decoder opens it
 * for one input), an RC4 call no known key opens is kept instead and comes
 * out when a later exchange reveals its key, or at the end with its
 * anomaly; an exchange that reveals a new key is followed by the held
 * calls it opens.
 *   rs        the paired response, or NULL (request without response);
 *   ts_ns     capture time of the request (its last frame), or MF_TIME_NONE;
 *   evidence  caller-built object ({"file","frame","tcp_stream","http_request"
 *             or "http2_stream"}), duplicated into every event, may be NULL;
 *             its "frame" names the token origin "cloud: frame N".
 * Bounded by ctx->lim.http_body_max (bodies, plaintexts) and
 * ctx->lim.json_depth_max (JSON nesting).
 * Returns 0, MF_ERR_NOMEM (the only fatal outcome; the sink's error is
 * passed through), or MF_ERR_ARG when ctx or rq is NULL.
 */
int mf_micloud_exchange(struct mf_ctx *ctx, const struct mf_micloud_req *rq,
                        const struct mf_micloud_resp *rs, int64_t ts_ns, const cJSON *evidence);

#endif
