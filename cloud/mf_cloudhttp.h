/*
 * mf_cloudhttp.h - the HTTPS client of `cloud login` and `cloud acquire`:
 * one libcurl easy handle reused for every request (connections, TLS
 * sessions and the cookie engine survive between requests), HTTP/2 where
 * the server offers it, TLS verification always on, HTTPS only, no
 * automatic redirects (the login flow reads every hop's headers).
 *
 * Testing: `base_url` sends every connection to one server (a local
 * stand-in) through CURLOPT_CONNECT_TO, while URLs, Host, SNI, certificate
 * name checks and cookie domains stay Xiaomi's; `ca_file` replaces the
 * system CA store (the stand-in's self-signed certificate).
 *
 * Nothing here prints; errors go to errbuf / the response's errmsg.
 */
#ifndef MF_CLOUDHTTP_H
#define MF_CLOUDHTTP_H

#include <stddef.h>
#include <stdint.h>

#include "mf_buf.h"

struct mf_http;

struct mf_http_opts {
	const char *ca_file;       /* CA bundle replacing the system store, or NULL */
	const char *base_url;      /* "https://HOST[:PORT]": connect every request there, or NULL */
	long timeout_s;            /* one request, 0 = 60 */
	long connect_timeout_s;    /* 0 = 20 */
	size_t body_max;           /* response body cap, 0 = 64 MiB */
	const char *user_agent;    /* NULL = the app-like default (mf_http_default_ua) */
};

/* One response (or the failure to get one). */
struct mf_http_resp {
	long status;               /* HTTP status, 0 when no response */
	struct mf_buf body;        /* as received (we ask for Accept-Encoding: identity) */
	struct mf_buf headers;     /* the final response's header lines, "Name: value\n" */
	char http_version[8];      /* "1.1", "2", ... */
	char remote[64];           /* "IP:port" actually connected to */
	int curl_code;             /* CURLcode, 0 = a response arrived */
	int too_large;             /* body hit body_max (body truncated; curl_code != 0) */
	char errmsg[256];          /* network failure text */
};

void mf_http_resp_init(struct mf_http_resp *r, size_t body_max);
void mf_http_resp_reset(struct mf_http_resp *r);
void mf_http_resp_free(struct mf_http_resp *r);

/* The User-Agent sent unless opts.user_agent says otherwise (an app-like
 * Android string, micloud.md section 3). */
const char *mf_http_default_ua(void);

/* Creates the client (curl_global_init on first use).  Returns 0,
 * MF_ERR_ARG (base_url not https://host[:port]), MF_ERR_NOMEM. */
int mf_http_new(const struct mf_http_opts *o, struct mf_http **out, char *errbuf);
void mf_http_free(struct mf_http *h);

/* Adds a cookie to the engine: "Set-Cookie: name=value; domain=.x; path=/"
 * form.  0 or MF_ERR_IO. */
int mf_http_set_cookie(struct mf_http *h, const char *name, const char *value,
                       const char *domain);
/* The value of cookie `name` whose domain ends with `domain_suffix`
 * (NULL = any), the most recently set one.  1 found, 0 not. */
int mf_http_get_cookie(struct mf_http *h, const char *name, const char *domain_suffix,
                       char *out, size_t outlen);

/* One request.  method "GET" or "POST"; url must be https://; headers a
 * NULL-terminated list of "Name: value" (may be NULL); cookie an explicit
 * Cookie header value sent besides the engine's (may be NULL); body for
 * POST (may be NULL).  Returns 0 when a response arrived (any status),
 * MF_ERR_IO on a network failure (r->errmsg, r->curl_code), MF_ERR_LIMIT
 * when the body passed the cap, MF_ERR_ARG for a refused URL. */
int mf_http_request(struct mf_http *h, const char *method, const char *url,
                    const char *const *headers, const char *cookie, const void *body,
                    size_t body_len, struct mf_http_resp *r);

/* First value of a response header (case-insensitive name), trimmed;
 * NULL when absent.  Returned text lives in out. */
const char *mf_http_header(const struct mf_http_resp *r, const char *name, char *out,
                           size_t outlen);
/* Every Set-Cookie value of the response joined with "\n" into out. */
void mf_http_set_cookies(const struct mf_http_resp *r, struct mf_buf *out);
/* A cookie's value from the response's Set-Cookie headers.  1 found. */
int mf_http_resp_cookie(const struct mf_http_resp *r, const char *name, char *out,
                        size_t outlen);

/* Requests sent so far (attempts that reached curl). */
unsigned long mf_http_sent(const struct mf_http *h);

/* Host part of an https:// URL into out ("" when not such a URL). */
void mf_http_url_host(const char *url, char *out, size_t outlen);

#endif
