/*
 * mf_cloudhttp.c - libcurl client for the cloud login and acquisition
 * (see mf_cloudhttp.h).
 */
#include "mf_cloudhttp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "mf_err.h"

#define DEFAULT_BODY_MAX (64u << 20)
#define HEADERS_MAX (256u << 10)

struct mf_http {
	CURL *c;
	char connect_to[300];      /* "::HOST:PORT" or "" */
	char *ca_file;
	char *ua;
	long timeout_s, connect_timeout_s;
	size_t body_max;
	unsigned long sent;
	char curl_err[CURL_ERROR_SIZE];
};

const char *mf_http_default_ua(void)
{
	/* the scripts' app-like form (micloud.md section 3) */
	return "Android-7.1.1-1.0.0-ONEPLUS A3010-136-MIFORENSICSACQUIRE APP/xiaomi.smarthome "
	    "APPV/62830";
}

void mf_http_resp_init(struct mf_http_resp *r, size_t body_max)
{
	memset(r, 0, sizeof(*r));
	mf_buf_init(&r->body, body_max ? body_max : DEFAULT_BODY_MAX);
	mf_buf_init(&r->headers, HEADERS_MAX);
}

void mf_http_resp_reset(struct mf_http_resp *r)
{
	mf_buf_reset(&r->body);
	mf_buf_reset(&r->headers);
	r->status = 0;
	r->http_version[0] = '\0';
	r->remote[0] = '\0';
	r->curl_code = 0;
	r->too_large = 0;
	r->errmsg[0] = '\0';
}

void mf_http_resp_free(struct mf_http_resp *r)
{
	mf_buf_free(&r->body);
	mf_buf_free(&r->headers);
}

static int global_done;

void mf_http_url_host(const char *url, char *out, size_t outlen)
{
	const char *p, *e;
	size_t n;

	out[0] = '\0';
	if (!url || strncasecmp(url, "https://", 8) != 0)
		return;
	p = url + 8;
	e = p + strcspn(p, "/?#");
	{
		const char *at = memchr(p, '@', (size_t)(e - p));

		if (at)
			return;          /* userinfo: never */
	}
	n = (size_t)(e - p);
	if (n && p[0] != '[') {
		const char *colon = memchr(p, ':', n);

		if (colon)
			n = (size_t)(colon - p);
	}
	if (n >= outlen)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

int mf_http_new(const struct mf_http_opts *o, struct mf_http **out, char *errbuf)
{
	struct mf_http *h;

	*out = NULL;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return mf_seterr(errbuf, MF_ERR_NOMEM, "libcurl could not initialise");
		global_done = 1;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	if (o && o->base_url && o->base_url[0]) {
		const char *p = o->base_url;
		char hostport[256];
		size_t n;

		if (strncasecmp(p, "https://", 8) != 0) {
			free(h);
			return mf_seterr(errbuf, MF_ERR_ARG, "--base-url must be https://HOST[:PORT]");
		}
		p += 8;
		n = strcspn(p, "/?#");
		if (n == 0 || n >= sizeof(hostport) || strchr(p + n, '?')) {
			free(h);
			return mf_seterr(errbuf, MF_ERR_ARG, "--base-url must be https://HOST[:PORT]");
		}
		memcpy(hostport, p, n);
		hostport[n] = '\0';
		if (strchr(hostport, '@')) {
			free(h);
			return mf_seterr(errbuf, MF_ERR_ARG, "--base-url: no user name in the URL");
		}
		/* "::HOST:PORT" = any host, any port -> HOST:PORT */
		{
			const char *rb = strrchr(hostport, ']');
			const char *portsep = strrchr(rb ? rb : hostport, ':');

			snprintf(h->connect_to, sizeof(h->connect_to), "::%s%s", hostport,
			    portsep ? "" : ":443");
		}
	}
	if (o && o->ca_file && !(h->ca_file = strdup(o->ca_file))) {
		free(h);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	}
	h->ua = strdup(o && o->user_agent ? o->user_agent : mf_http_default_ua());
	h->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : 60;
	h->connect_timeout_s = o && o->connect_timeout_s > 0 ? o->connect_timeout_s : 20;
	h->body_max = o && o->body_max ? o->body_max : DEFAULT_BODY_MAX;
	h->c = curl_easy_init();
	if (!h->c || !h->ua) {
		mf_http_free(h);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "libcurl: no easy handle");
	}
	/* the cookie engine on, nothing read from disk: a cookie line starts it
	 * (and "ALL" empties it).  Not CURLOPT_COOKIEFILE "": libcurl 7.88
	 * loses (leaks) that pending file list at curl_easy_reset.  The engine
	 * survives the reset done before every request. */
	if (curl_easy_setopt(h->c, CURLOPT_COOKIELIST,
	    "Set-Cookie: mf_engine=1; domain=engine.invalid") != CURLE_OK ||
	    curl_easy_setopt(h->c, CURLOPT_COOKIELIST, "ALL") != CURLE_OK) {
		mf_http_free(h);
		return mf_seterr(errbuf, MF_ERR_NOMEM, "libcurl: no cookie engine");
	}
	*out = h;
	return 0;
}

void mf_http_free(struct mf_http *h)
{
	if (!h)
		return;
	if (h->c)
		curl_easy_cleanup(h->c);
	free(h->ca_file);
	free(h->ua);
	free(h);
}

unsigned long mf_http_sent(const struct mf_http *h)
{
	return h ? h->sent : 0;
}

int mf_http_set_cookie(struct mf_http *h, const char *name, const char *value,
                       const char *domain)
{
	char line[4096];
	int n;

	/* Netscape format: domain, include-subdomains, path, secure, expiry, name, value */
	n = snprintf(line, sizeof(line), "%s\tTRUE\t/\tFALSE\t0\t%s\t%s", domain, name, value);
	if (n < 0 || (size_t)n >= sizeof(line) || strpbrk(value, "\t\r\n"))
		return MF_ERR_ARG;
	return curl_easy_setopt(h->c, CURLOPT_COOKIELIST, line) == CURLE_OK ? 0 : MF_ERR_IO;
}

int mf_http_get_cookie(struct mf_http *h, const char *name, const char *domain_suffix,
                       char *out, size_t outlen)
{
	struct curl_slist *list = NULL, *it;
	int found = 0;

	if (curl_easy_getinfo(h->c, CURLINFO_COOKIELIST, &list) != CURLE_OK)
		return 0;
	for (it = list; it; it = it->next) {
		/* domain \t flag \t path \t secure \t expiry \t name \t value */
		char *f[7];
		char *line = strdup(it->data), *p;
		int k = 0;

		if (!line)
			break;
		p = line;
		while (k < 7 && p) {
			f[k++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k == 7 && strcmp(f[5], name) == 0) {
			const char *d = f[0];
			size_t dl, sl;

			if (strncmp(d, "#HttpOnly_", 10) == 0)
				d += 10;
			dl = strlen(d);
			sl = domain_suffix ? strlen(domain_suffix) : 0;
			if (!domain_suffix || (dl >= sl && strcasecmp(d + dl - sl, domain_suffix) == 0)) {
				snprintf(out, outlen, "%s", f[6]);
				found = 1;
			}
		}
		free(line);
	}
	curl_slist_free_all(list);
	return found;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct mf_http_resp *r = arg;
	size_t len = sz * n;

	if (mf_buf_add(&r->body, p, len) != 0) {
		r->too_large = 1;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct mf_http_resp *r = arg;
	size_t len = sz * n;

	/* a new status line (100-continue, a proxy): keep only the last response */
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		mf_buf_reset(&r->headers);
		return len;
	}
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	if (len) {
		if (mf_buf_add(&r->headers, p, len) != 0 || mf_buf_addc(&r->headers, '\n') != 0)
			return 0;
	}
	return sz * n;
}

int mf_http_request(struct mf_http *h, const char *method, const char *url,
                    const char *const *headers, const char *cookie, const void *body,
                    size_t body_len, struct mf_http_resp *r)
{
	struct curl_slist *hl = NULL, *ct = NULL;
	char host[256];
	CURLcode cc;
	long ver = 0;
	char *ip = NULL;
	long port = 0;
	size_t i;
	int post = strcmp(method, "POST") == 0;

	mf_http_resp_reset(r);
	mf_http_url_host(url, host, sizeof(host));
	if (!host[0]) {
		snprintf(r->errmsg, sizeof(r->errmsg), "refused URL (https:// only)");
		return MF_ERR_ARG;
	}
	if (!post && strcmp(method, "GET") != 0) {
		snprintf(r->errmsg, sizeof(r->errmsg), "refused method %s", method);
		return MF_ERR_ARG;
	}
	curl_easy_reset(h->c);   /* keeps connections, TLS sessions and cookies */
	curl_easy_setopt(h->c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h->c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(h->c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
	curl_easy_setopt(h->c, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	curl_easy_setopt(h->c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		curl_easy_setopt(h->c, CURLOPT_CAINFO, h->ca_file);
	if (h->connect_to[0]) {
		ct = curl_slist_append(NULL, h->connect_to);
		curl_easy_setopt(h->c, CURLOPT_CONNECT_TO, ct);
	}
	curl_easy_setopt(h->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->c, CURLOPT_TIMEOUT, h->timeout_s);
	curl_easy_setopt(h->c, CURLOPT_CONNECTTIMEOUT, h->connect_timeout_s);
	curl_easy_setopt(h->c, CURLOPT_USERAGENT, h->ua);
	if (cookie && cookie[0])
		curl_easy_setopt(h->c, CURLOPT_COOKIE, cookie);
	curl_easy_setopt(h->c, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->c, CURLOPT_HEADERDATA, r);
	for (i = 0; headers && headers[i]; i++) {
		struct curl_slist *n2 = curl_slist_append(hl, headers[i]);

		if (!n2) {
			curl_slist_free_all(hl);
			curl_slist_free_all(ct);
			return MF_ERR_NOMEM;
		}
		hl = n2;
	}
	/* no "Expect: 100-continue" round trip */
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hl);
	if (post) {
		curl_easy_setopt(h->c, CURLOPT_POST, 1L);
		curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h->c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
	} else {
		curl_easy_setopt(h->c, CURLOPT_HTTPGET, 1L);
	}
	h->curl_err[0] = '\0';
	h->sent++;
	cc = curl_easy_perform(h->c);
	r->curl_code = (int)cc;
	curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h->c, CURLINFO_HTTP_VERSION, &ver);
	snprintf(r->http_version, sizeof(r->http_version), "%s",
	    ver == CURL_HTTP_VERSION_2_0 ? "2" : ver == CURL_HTTP_VERSION_1_0 ? "1.0" :
	    ver == CURL_HTTP_VERSION_1_1 ? "1.1" : ver == CURL_HTTP_VERSION_3 ? "3" : "");
	if (curl_easy_getinfo(h->c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip && ip[0]) {
		curl_easy_getinfo(h->c, CURLINFO_PRIMARY_PORT, &port);
		snprintf(r->remote, sizeof(r->remote), "%s:%ld", ip, port);
	}
	curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->c, CURLOPT_CONNECT_TO, NULL);
	curl_slist_free_all(hl);
	curl_slist_free_all(ct);
	if (cc != CURLE_OK) {
		snprintf(r->errmsg, sizeof(r->errmsg), "%s", h->curl_err[0] ? h->curl_err :
		    curl_easy_strerror(cc));
		if (r->too_large)
			return MF_ERR_LIMIT;
		r->status = 0;
		return MF_ERR_IO;
	}
	return 0;
}

const char *mf_http_header(const struct mf_http_resp *r, const char *name, char *out,
                           size_t outlen)
{
	const char *p = r->headers.data ? (const char *)r->headers.data : "";
	const char *end = p + r->headers.len;
	size_t nl = strlen(name);

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (!e)
			e = end;
		if ((size_t)(e - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			size_t n;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			n = (size_t)(e - v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
		p = e + 1;
	}
	return NULL;
}

void mf_http_set_cookies(const struct mf_http_resp *r, struct mf_buf *out)
{
	const char *p = r->headers.data ? (const char *)r->headers.data : "";
	const char *end = p + r->headers.len;
	int first = 1;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (!e)
			e = end;
		if ((size_t)(e - p) > 11 && strncasecmp(p, "set-cookie:", 11) == 0) {
			const char *v = p + 11;

			while (v < e && *v == ' ')
				v++;
			if (!first)
				mf_buf_addc(out, '\n');
			mf_buf_add(out, v, (size_t)(e - v));
			first = 0;
		}
		p = e + 1;
	}
}

int mf_http_resp_cookie(const struct mf_http_resp *r, const char *name, char *out,
                        size_t outlen)
{
	const char *p = r->headers.data ? (const char *)r->headers.data : "";
	const char *end = p + r->headers.len;
	size_t nl = strlen(name);
	int found = 0;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));

		if (!e)
			e = end;
		if ((size_t)(e - p) > 11 && strncasecmp(p, "set-cookie:", 11) == 0) {
			const char *v = p + 11;

			while (v < e && *v == ' ')
				v++;
			if ((size_t)(e - v) > nl && v[nl] == '=' && strncmp(v, name, nl) == 0) {
				const char *val = v + nl + 1;
				size_t n = strcspn(val, ";\n");

				if (val + n > e)
					n = (size_t)(e - val);
				/* an empty or "EXPIRED" value deletes the cookie: skip it */
				if (n && !(n == 7 && strncmp(val, "EXPIRED", 7) == 0)) {
					if (n >= outlen)
						n = outlen - 1;
					memcpy(out, val, n);
					out[n] = '\0';
					found = 1;
				}
			}
		}
		p = e + 1;
	}
	return found;
}
