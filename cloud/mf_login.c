/*
 * mf_login.c - Xiaomi account login and the session file (see mf_login.h;
 * ../shared/reference/micloud.md section 1).
 */
#include "mf_login.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "mf_buf.h"
#include "mf_codec.h"
#include "mf_err.h"
#include "mf_file.h"
#include "mf_micloud.h"
#include "mf_time.h"

#define ACCOUNT "https://account.xiaomi.com"
#define STS_CALLBACK "https://sts.api.io.mi.com/sts"
#define QS_ENC "%3Fsid%3Dxiaomiio%26_json%3Dtrue"
#define SDK_VERSION "accountsdk-18.8.15"
#define SESSION_MAX (64u << 10)
#define MAX_HOPS 10
#define CAPTCHA_ROUNDS 3

int64_t mf_login_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------ session */

static void jstr(const cJSON *o, const char *k, char *out, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v))
		snprintf(out, n, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(out, n, "%.0f", v->valuedouble);
}

static int64_t jtime(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	int64_t ns;

	if (cJSON_IsString(v) && mf_time_parse_iso(v->valuestring, &ns) == 0)
		return ns / 1000000;
	return 0;
}

int mf_session_load(const char *path, struct mf_session *s, char *errbuf)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	const cJSON *fmt;
	cJSON *j;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = mf_read_small_file(path, SESSION_MAX, &buf, &len, errbuf)) != 0)
		return rc;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		s->loose_mode = 1;
	j = cJSON_ParseWithLength(buf, len);
	free(buf);
	fmt = cJSON_GetObjectItemCaseSensitive(j, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, MF_SESSION_FORMAT) != 0) {
		cJSON_Delete(j);
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not a miforensics cloud session file",
		    path);
	}
	jstr(j, "user", s->user, sizeof(s->user));
	jstr(j, "userId", s->user_id, sizeof(s->user_id));
	jstr(j, "cUserId", s->cuser_id, sizeof(s->cuser_id));
	jstr(j, "ssecurity", s->ssecurity, sizeof(s->ssecurity));
	jstr(j, "serviceToken", s->service_token, sizeof(s->service_token));
	jstr(j, "passToken", s->pass_token, sizeof(s->pass_token));
	jstr(j, "region", s->region, sizeof(s->region));
	jstr(j, "deviceId", s->device_id, sizeof(s->device_id));
	jstr(j, "method", s->method, sizeof(s->method));
	s->created_ms = jtime(j, "created");
	s->refreshed_ms = jtime(j, "refreshed");
	cJSON_Delete(j);
	if (!s->user_id[0] || ((!s->ssecurity[0] || !s->service_token[0]) && !s->pass_token[0]))
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: the session holds no usable tokens",
		    path);
	return 0;
}

int mf_session_save(const char *path, const struct mf_session *s, char *errbuf)
{
	char tmp[4096], t[32];
	cJSON *j = cJSON_CreateObject();
	char *txt = NULL;
	size_t n, off = 0;
	int fd = -1, rc = MF_ERR_IO;

	if (!j)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	cJSON_AddStringToObject(j, "format", MF_SESSION_FORMAT);
	cJSON_AddStringToObject(j, "note", "secret: whoever holds this file can read the account's "
	    "cloud data; keep it like the evidence and delete it when the case is closed");
	cJSON_AddStringToObject(j, "user", s->user);
	cJSON_AddStringToObject(j, "userId", s->user_id);
	if (s->cuser_id[0])
		cJSON_AddStringToObject(j, "cUserId", s->cuser_id);
	cJSON_AddStringToObject(j, "ssecurity", s->ssecurity);
	cJSON_AddStringToObject(j, "serviceToken", s->service_token);
	cJSON_AddStringToObject(j, "passToken", s->pass_token);
	cJSON_AddStringToObject(j, "region", s->region);
	cJSON_AddStringToObject(j, "deviceId", s->device_id);
	cJSON_AddStringToObject(j, "method", s->method);
	if (s->created_ms) {
		mf_time_iso(s->created_ms * 1000000, t);
		cJSON_AddStringToObject(j, "created", t);
	}
	if (s->refreshed_ms) {
		mf_time_iso(s->refreshed_ms * 1000000, t);
		cJSON_AddStringToObject(j, "refreshed", t);
	}
	txt = cJSON_Print(j);
	cJSON_Delete(j);
	if (!txt)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		free(txt);
		return mf_seterr(errbuf, MF_ERR_IO, "%s: path too long", path);
	}
	/* mkstemp: O_CREAT|O_EXCL, mode 0600 */
	fd = mkstemp(tmp);
	if (fd < 0) {
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
		free(txt);
		return MF_ERR_IO;
	}
	if (fchmod(fd, 0600) != 0) {
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	n = strlen(txt);
	while (off < n) {
		ssize_t w = write(fd, txt + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		mf_seterr(errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	explicit_bzero(txt, strlen(txt));
	free(txt);
	return rc;
}

/* ---------------------------------------------------------- the flow */

struct lg {
	struct mf_http *h;
	struct mf_session *s;
	const struct mf_login_opts *o;
	const struct mf_login_io *io;
	char *errbuf;
	struct mf_http_resp r;
	char nonce[64];
};

static void say(struct lg *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct lg *g, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!g->io || !g->io->say)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->io->say(g->io->arg, msg);
}

/* Only Xiaomi's own hosts are followed (the stand-in answers with them). */
static int host_ok(const char *url)
{
	char host[256];
	size_t n;

	mf_http_url_host(url, host, sizeof(host));
	n = strlen(host);
	if (!n)
		return 0;
	return (n > 11 && strcasecmp(host + n - 11, ".xiaomi.com") == 0) ||
	    (n > 7 && strcasecmp(host + n - 7, ".mi.com") == 0);
}

static int net_fail(struct lg *g, const char *what, int rc)
{
	if (rc == MF_ERR_ARG)
		return mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: refused URL", what);
	return mf_seterr(g->errbuf, MF_ERR_IO, "%s: %s", what, g->r.errmsg);
}

/* GET/POST on the account host; the reply as JSON ("&&&START&&&" stripped)
 * or NULL (errbuf set). */
static cJSON *account_call(struct lg *g, const char *method, const char *url,
                           const char *body, const char *what)
{
	static const char *const form_hdr[] = {
		"Content-Type: application/x-www-form-urlencoded", "Accept: */*", NULL
	};
	const char *p;
	size_t n;
	cJSON *j;
	int rc;

	if (!host_ok(url)) {
		mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: not a Xiaomi URL: %.200s", what, url);
		return NULL;
	}
	rc = mf_http_request(g->h, method, url, body ? form_hdr : NULL, NULL, body,
	    body ? strlen(body) : 0, &g->r);
	if (rc) {
		net_fail(g, what, rc);
		return NULL;
	}
	p = g->r.body.data ? (const char *)g->r.body.data : "";
	n = g->r.body.len;
	if (n >= 11 && memcmp(p, "&&&START&&&", 11) == 0) {
		p += 11;
		n -= 11;
	}
	j = cJSON_ParseWithLength(p, n);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: unexpected reply (HTTP %ld, %zu bytes)",
		    what, g->r.status, g->r.body.len);
		return NULL;
	}
	return j;
}

static long jcode(const cJSON *j)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");

	if (cJSON_IsNumber(c))
		return (long)c->valuedouble;
	if (cJSON_IsString(c))
		return strtol(c->valuestring, NULL, 10);
	return -1;
}

static const char *jdesc(const cJSON *j)
{
	static const char *const keys[] = { "desc", "description", "tips", "message", NULL };
	size_t i;

	for (i = 0; keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);

		if (cJSON_IsString(v) && v->valuestring[0])
			return v->valuestring;
	}
	return "";
}

static int has_str(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsString(v) && v->valuestring[0];
}

static void set_cookies(struct lg *g, int with_pass)
{
	static const char *const domains[] = { ".mi.com", ".xiaomi.com", NULL };
	size_t i;

	for (i = 0; domains[i]; i++) {
		mf_http_set_cookie(g->h, "sdkVersion", SDK_VERSION, domains[i]);
		mf_http_set_cookie(g->h, "deviceId", g->s->device_id, domains[i]);
	}
	if (with_pass) {
		mf_http_set_cookie(g->h, "userId", g->s->user_id, ".xiaomi.com");
		mf_http_set_cookie(g->h, "passToken", g->s->pass_token, ".xiaomi.com");
	}
}

static void new_device_id(struct mf_session *s)
{
	uint8_t r[16];
	size_t i;

	if (s->device_id[0])
		return;
	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 7, sizeof(r));
	for (i = 0; i < 16; i++)
		s->device_id[i] = (char)('a' + r[i] % 26);
	s->device_id[16] = '\0';
}

/* Takes userId, cUserId, ssecurity, passToken, nonce from a login reply. */
static void take_reply(struct lg *g, const cJSON *j)
{
	jstr(j, "userId", g->s->user_id, sizeof(g->s->user_id));
	jstr(j, "cUserId", g->s->cuser_id, sizeof(g->s->cuser_id));
	jstr(j, "ssecurity", g->s->ssecurity, sizeof(g->s->ssecurity));
	jstr(j, "passToken", g->s->pass_token, sizeof(g->s->pass_token));
	jstr(j, "nonce", g->nonce, sizeof(g->nonce));
}

/* The secrets a hop carries: extension-pragma, Set-Cookie. */
static void take_hop(struct lg *g)
{
	char v[4096];

	if (mf_http_header(&g->r, "extension-pragma", v, sizeof(v))) {
		cJSON *e = cJSON_Parse(v);

		if (e) {
			jstr(e, "ssecurity", g->s->ssecurity, sizeof(g->s->ssecurity));
			jstr(e, "nonce", g->nonce, sizeof(g->nonce));
			cJSON_Delete(e);
		}
	}
	mf_http_resp_cookie(&g->r, "serviceToken", g->s->service_token,
	    sizeof(g->s->service_token));
	mf_http_resp_cookie(&g->r, "passToken", g->s->pass_token, sizeof(g->s->pass_token));
	mf_http_resp_cookie(&g->r, "userId", g->s->user_id, sizeof(g->s->user_id));
	mf_http_resp_cookie(&g->r, "cUserId", g->s->cuser_id, sizeof(g->s->cuser_id));
}

/* "Location" of a hop made absolute (relative to the current URL's origin). */
static int next_url(const char *cur, const char *loc, char *out, size_t n)
{
	if (strncasecmp(loc, "https://", 8) == 0) {
		snprintf(out, n, "%s", loc);
		return 0;
	}
	if (loc[0] == '/' && loc[1] != '/') {
		const char *p = cur + 8;
		size_t hl = strcspn(p, "/?#");

		if ((size_t)snprintf(out, n, "%.*s%s", (int)(8 + hl), cur, loc) >= n)
			return -1;
		return 0;
	}
	return -1;
}

/* GET url and every redirect after it, reading each hop, until a final
 * answer; ends with a serviceToken when the chain reaches STS. */
static int follow(struct lg *g, const char *url0, const char *what)
{
	char url[4096], loc[4096];
	int hop, rc;

	snprintf(url, sizeof(url), "%s", url0);
	for (hop = 0; hop < MAX_HOPS; hop++) {
		if (!host_ok(url))
			return mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: redirected to a host that is "
			    "not Xiaomi's: %.200s", what, url);
		rc = mf_http_request(g->h, "GET", url, NULL, NULL, NULL, 0, &g->r);
		if (rc)
			return net_fail(g, what, rc);
		take_hop(g);
		if (g->r.status >= 300 && g->r.status < 400 &&
		    mf_http_header(&g->r, "Location", loc, sizeof(loc))) {
			char nu[4096];

			if (next_url(url, loc, nu, sizeof(nu)) != 0)
				return mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: odd redirect", what);
			snprintf(url, sizeof(url), "%s", nu);
			continue;
		}
		if (g->r.status != 200)
			return mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: HTTP %ld", what, g->r.status);
		break;
	}
	if (hop == MAX_HOPS)
		return mf_seterr(g->errbuf, MF_ERR_FORMAT, "%s: too many redirects", what);
	if (!g->s->service_token[0])
		mf_http_get_cookie(g->h, "serviceToken", NULL, g->s->service_token,
		    sizeof(g->s->service_token));
	if (!g->s->user_id[0])
		mf_http_get_cookie(g->h, "userId", NULL, g->s->user_id, sizeof(g->s->user_id));
	return 0;
}

/* The end of every path: location -> STS -> serviceToken; checks the result. */
static int finish(struct lg *g, const char *location, const char *method)
{
	int rc;

	if (location && location[0]) {
		g->s->service_token[0] = '\0';
		if ((rc = follow(g, location, "service token (STS)")) != 0)
			return rc;
	}
	if (!g->s->ssecurity[0] && g->s->pass_token[0] && g->s->user_id[0]) {
		/* some flows give only cookies: mint the pair with the passToken */
		cJSON *j;

		set_cookies(g, 1);
		j = account_call(g, "GET", ACCOUNT "/pass/serviceLogin?sid=xiaomiio&_json=true", NULL,
		    "serviceLogin");
		if (!j)
			return MF_ERR_FORMAT;
		if (jcode(j) == 0 && has_str(j, "ssecurity")) {
			char loc[4096] = "";

			take_reply(g, j);
			jstr(j, "location", loc, sizeof(loc));
			cJSON_Delete(j);
			g->s->service_token[0] = '\0';
			if (loc[0] && (rc = follow(g, loc, "service token (STS)")) != 0)
				return rc;
		} else {
			cJSON_Delete(j);
		}
	}
	if (!g->s->user_id[0] || !g->s->ssecurity[0] || !g->s->service_token[0])
		return mf_seterr(g->errbuf, MF_ERR_FORMAT, "the login ended without %s",
		    !g->s->user_id[0] ? "a userId" : !g->s->ssecurity[0] ? "an ssecurity" :
		    "a serviceToken");
	snprintf(g->s->method, sizeof(g->s->method), "%s", method);
	if (!g->s->created_ms)
		g->s->created_ms = mf_login_now_ms();
	return 0;
}

static int ask(struct lg *g, const char *q, int secret, char *out, size_t n)
{
	if (!g->io || !g->io->prompt || g->io->prompt(g->io->arg, q, secret, out, n) != 0 ||
	    !out[0])
		return mf_seterr(g->errbuf, MF_ERR_UNSUPPORTED, "no answer to \"%s\"", q);
	return 0;
}

/* Captcha: GET the image (the server sets cookie ick), save it, ask. */
static int captcha(struct lg *g, const char *curl_path, char *code, size_t n)
{
	char url[4096], ct[128] = "", path[4096], q[4200];
	const char *dir = g->o->captcha_dir ? g->o->captcha_dir : ".";
	const char *ext = "img";
	size_t off = 0;
	int fd, rc;

	if (strncasecmp(curl_path, "https://", 8) == 0)
		snprintf(url, sizeof(url), "%s", curl_path);
	else
		snprintf(url, sizeof(url), ACCOUNT "%s%s", curl_path[0] == '/' ? "" : "/", curl_path);
	if (!host_ok(url))
		return mf_seterr(g->errbuf, MF_ERR_FORMAT, "captcha URL is not Xiaomi's");
	rc = mf_http_request(g->h, "GET", url, NULL, NULL, NULL, 0, &g->r);
	if (rc)
		return net_fail(g, "captcha image", rc);
	if (g->r.status != 200 || g->r.body.len == 0)
		return mf_seterr(g->errbuf, MF_ERR_FORMAT, "captcha image: HTTP %ld", g->r.status);
	mf_http_header(&g->r, "Content-Type", ct, sizeof(ct));
	if (strstr(ct, "png"))
		ext = "png";
	else if (strstr(ct, "jpeg") || strstr(ct, "jpg"))
		ext = "jpg";
	else if (strstr(ct, "gif"))
		ext = "gif";
	snprintf(path, sizeof(path), "%s/captcha-%lld.%s", dir, (long long)mf_login_now_ms(), ext);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return mf_seterr(g->errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
	while (off < g->r.body.len) {
		ssize_t w = write(fd, g->r.body.data + off, g->r.body.len - off);

		if (w <= 0 && errno != EINTR) {
			close(fd);
			return mf_seterr(g->errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
		}
		if (w > 0)
			off += (size_t)w;
	}
	close(fd);
	say(g, "Xiaomi asks for a captcha (code 87001): the image is saved as %s", path);
	snprintf(q, sizeof(q), "Characters shown in %s: ", path);
	return ask(g, q, 0, code, n);
}

/* Two-factor verification through the identity pages. */
static int two_factor(struct lg *g, const char *notification_url)
{
	static const char *const fe = "/fe/service/identity/authStart";
	char url[4096], body[512], code[64], loc[4096] = "";
	const char *kind, *p;
	const cJSON *opts, *it;
	cJSON *j;
	long flag = 0;
	int rc;

	say(g, "Xiaomi asks for two-factor verification. A code will be sent to the account "
	    "holder's phone or e-mail. Every failed attempt counts: repeated failures lock "
	    "two-factor for about 24 hours and sign the account out everywhere, including the "
	    "owner's phone. The code is sent once and never retried automatically.");
	p = strstr(notification_url, fe);
	if (p)
		snprintf(url, sizeof(url), "%.*s/identity/list%s", (int)(p - notification_url),
		    notification_url, p + strlen(fe));
	else
		snprintf(url, sizeof(url), "%s", notification_url);
	j = account_call(g, "GET", url, NULL, "identity list");
	if (!j)
		return MF_ERR_FORMAT;
	{
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "flag");

		if (cJSON_IsNumber(f))
			flag = (long)f->valuedouble;
	}
	opts = cJSON_GetObjectItemCaseSensitive(j, "options");
	if (flag != 4 && flag != 8)
		cJSON_ArrayForEach(it, opts)
			if (cJSON_IsNumber(it) && (it->valueint == 4 || it->valueint == 8)) {
				flag = it->valueint;
				break;
			}
	cJSON_Delete(j);
	if (flag != 4 && flag != 8)
		return mf_seterr(g->errbuf, MF_ERR_UNSUPPORTED, "two-factor: no phone or e-mail "
		    "verification offered for this account");
	kind = flag == 8 ? "Email" : "Phone";
	snprintf(url, sizeof(url), ACCOUNT "/identity/auth/verify%s?_flag=%ld&_json=true&_dc=%lld",
	    kind, flag, (long long)mf_login_now_ms());
	j = account_call(g, "GET", url, NULL, "two-factor start");
	cJSON_Delete(j);
	if (!j)
		return MF_ERR_FORMAT;
	snprintf(url, sizeof(url), ACCOUNT "/identity/auth/send%sTicket?_dc=%lld", kind,
	    (long long)mf_login_now_ms());
	j = account_call(g, "POST", url, "retry=0&icode=&_json=true", "two-factor send code");
	if (!j)
		return MF_ERR_FORMAT;
	if (jcode(j) != 0) {
		rc = mf_seterr(g->errbuf, MF_ERR_ARG, "two-factor: Xiaomi did not send a code "
		    "(code %ld%s%s)", jcode(j), jdesc(j)[0] ? ": " : "", jdesc(j));
		cJSON_Delete(j);
		return rc;
	}
	cJSON_Delete(j);
	say(g, "A verification code was sent by %s.", flag == 8 ? "e-mail" : "SMS");
	if ((rc = ask(g, flag == 8 ? "Code from the e-mail: " : "Code from the SMS: ", 0, code,
	    sizeof(code))) != 0)
		return rc;
	{
		struct mf_micloud_form f;
		struct mf_buf b;

		mf_micloud_form_init(&f);
		mf_buf_init(&b, sizeof(body) - 1);
		snprintf(body, sizeof(body), "%ld", flag);
		mf_micloud_form_add(&f, "_flag", body, strlen(body));
		mf_micloud_form_add(&f, "ticket", code, strlen(code));
		mf_micloud_form_add(&f, "trust", "false", 5);
		mf_micloud_form_add(&f, "_json", "true", 4);
		rc = mf_micloud_form_encode(&f, &b);
		snprintf(body, sizeof(body), "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
		mf_micloud_form_free(&f);
		mf_buf_free(&b);
		if (rc)
			return mf_seterr(g->errbuf, MF_ERR_ARG, "two-factor: code too long");
	}
	snprintf(url, sizeof(url), ACCOUNT "/identity/auth/verify%s?_dc=%lld", kind,
	    (long long)mf_login_now_ms());
	j = account_call(g, "POST", url, body, "two-factor verify");
	if (!j)
		return MF_ERR_FORMAT;
	if (jcode(j) != 0 || !has_str(j, "location")) {
		rc = mf_seterr(g->errbuf, MF_ERR_ARG, "two-factor: the code was refused (code %ld%s%s); "
		    "not retried - each failed attempt counts toward a 24-hour lock", jcode(j),
		    jdesc(j)[0] ? ": " : "", jdesc(j));
		cJSON_Delete(j);
		return rc;
	}
	jstr(j, "location", loc, sizeof(loc));
	cJSON_Delete(j);
	g->s->ssecurity[0] = '\0';
	g->s->service_token[0] = '\0';
	if ((rc = follow(g, loc, "two-factor redirects")) != 0)
		return rc;
	return finish(g, NULL, "password+2fa");
}

static int lg_init(struct lg *g, struct mf_http *h, const struct mf_login_opts *o,
                   const struct mf_login_io *io, struct mf_session *s, char *errbuf)
{
	memset(g, 0, sizeof(*g));
	g->h = h;
	g->s = s;
	g->o = o;
	g->io = io;
	g->errbuf = errbuf;
	mf_http_resp_init(&g->r, 8u << 20);
	return 0;
}

static int lg_done(struct lg *g, int rc)
{
	mf_http_resp_free(&g->r);
	return rc;
}

int mf_login_password(struct mf_http *h, const struct mf_login_opts *o,
                      const struct mf_login_io *io, struct mf_session *s, char *errbuf)
{
	char sign[512] = "", qs[512] = "", cb[512] = "", hash[33], pw[512], capt[64] = "";
	char loc[4096] = "", capurl[2048] = "", note[4096] = "";
	uint8_t md[16];
	struct lg g;
	cJSON *j;
	int rc, rounds = 0;

	memset(s, 0, sizeof(*s));
	lg_init(&g, h, o, io, s, errbuf);
	if (!o->user || !o->user[0])
		return lg_done(&g, mf_seterr(errbuf, MF_ERR_ARG, "no user name (--user)"));
	snprintf(s->user, sizeof(s->user), "%s", o->user);
	if (o->region)
		snprintf(s->region, sizeof(s->region), "%s", o->region);
	new_device_id(s);
	set_cookies(&g, 0);
	j = account_call(&g, "GET", ACCOUNT "/pass/serviceLogin?sid=xiaomiio&_json=true", NULL,
	    "serviceLogin");
	if (!j)
		return lg_done(&g, MF_ERR_FORMAT);
	jstr(j, "_sign", sign, sizeof(sign));
	jstr(j, "qs", qs, sizeof(qs));
	jstr(j, "callback", cb, sizeof(cb));
	cJSON_Delete(j);
	if (o->password) {
		snprintf(pw, sizeof(pw), "%s", o->password);
	} else if ((rc = ask(&g, "Password: ", 1, pw, sizeof(pw))) != 0) {
		return lg_done(&g, rc);
	}
	mf_md5(pw, strlen(pw), md);
	explicit_bzero(pw, sizeof(pw));
	mf_hex_encode(md, 16, hash);
	for (rc = 0; hash[rc]; rc++)
		hash[rc] = (char)(hash[rc] >= 'a' && hash[rc] <= 'f' ? hash[rc] - 32 : hash[rc]);
	for (;;) {
		struct mf_micloud_form f;
		struct mf_buf b;
		long code;

		mf_micloud_form_init(&f);
		mf_buf_init(&b, 64u << 10);
		mf_micloud_form_add(&f, "sid", "xiaomiio", 8);
		mf_micloud_form_add(&f, "hash", hash, 32);
		mf_micloud_form_add(&f, "callback", cb[0] ? cb : STS_CALLBACK,
		    strlen(cb[0] ? cb : STS_CALLBACK));
		mf_micloud_form_add(&f, "qs", qs[0] ? qs : QS_ENC, strlen(qs[0] ? qs : QS_ENC));
		mf_micloud_form_add(&f, "user", o->user, strlen(o->user));
		mf_micloud_form_add(&f, "_sign", sign, strlen(sign));
		mf_micloud_form_add(&f, "_json", "true", 4);
		if (capt[0])
			mf_micloud_form_add(&f, "captCode", capt, strlen(capt));
		rc = mf_micloud_form_encode(&f, &b);
		if (rc == 0)
			rc = mf_buf_addc(&b, '\0');
		mf_micloud_form_free(&f);
		if (rc) {
			mf_buf_free(&b);
			explicit_bzero(hash, sizeof(hash));
			return lg_done(&g, mf_seterr(errbuf, MF_ERR_ARG, "login form too large"));
		}
		j = account_call(&g, "POST", ACCOUNT "/pass/serviceLoginAuth2", (const char *)b.data,
		    "serviceLoginAuth2");
		explicit_bzero(b.data, b.len);
		mf_buf_free(&b);
		if (!j) {
			explicit_bzero(hash, sizeof(hash));
			return lg_done(&g, MF_ERR_FORMAT);
		}
		code = jcode(j);
		capurl[0] = note[0] = '\0';
		jstr(j, "captchaUrl", capurl, sizeof(capurl));
		jstr(j, "notificationUrl", note, sizeof(note));
		if (code == 87001 || capurl[0]) {
			cJSON_Delete(j);
			if (!capurl[0] || ++rounds > CAPTCHA_ROUNDS) {
				explicit_bzero(hash, sizeof(hash));
				return lg_done(&g, mf_seterr(errbuf, MF_ERR_ARG, "captcha (code 87001) %s",
				    capurl[0] ? "refused too often; try again later or use --qr" :
				    "demanded without an image URL"));
			}
			if (rounds > 1)
				say(&g, "The captcha was not accepted; a new one follows.");
			if ((rc = captcha(&g, capurl, capt, sizeof(capt))) != 0) {
				explicit_bzero(hash, sizeof(hash));
				return lg_done(&g, rc);
			}
			continue;
		}
		explicit_bzero(hash, sizeof(hash));
		if (note[0]) {
			cJSON_Delete(j);
			return lg_done(&g, two_factor(&g, note));
		}
		if (code == 0 && has_str(j, "ssecurity")) {
			take_reply(&g, j);
			jstr(j, "location", loc, sizeof(loc));
			cJSON_Delete(j);
			return lg_done(&g, finish(&g, loc, "password"));
		}
		if (code == 70016)
			rc = mf_seterr(errbuf, MF_ERR_ARG, "wrong password, or password login blocked for "
			    "this account (code 70016): check the password, or log in with --qr");
		else if (code == 20003 || code == 70002)
			rc = mf_seterr(errbuf, MF_ERR_ARG, "bad credentials (code %ld)", code);
		else if (code == 81003)
			rc = mf_seterr(errbuf, MF_ERR_ARG, "Xiaomi wants an account verification (code "
			    "81003): log in once in a browser, or use --qr");
		else
			rc = mf_seterr(errbuf, MF_ERR_ARG, "login refused (code %ld%s%s)", code,
			    jdesc(j)[0] ? ": " : "", jdesc(j));
		cJSON_Delete(j);
		return lg_done(&g, rc);
	}
}

int mf_login_qr(struct mf_http *h, const struct mf_login_opts *o, const struct mf_login_io *io,
                struct mf_session *s, char *errbuf)
{
	char url[4096], lp[4096] = "", login_url[4096] = "", qr[4096] = "", loc[4096] = "";
	int64_t deadline;
	long timeout = 0;
	unsigned poll = o->poll_ms ? o->poll_ms : 2000;
	struct lg g;
	cJSON *j;
	int rc;

	memset(s, 0, sizeof(*s));
	lg_init(&g, h, o, io, s, errbuf);
	if (o->user)
		snprintf(s->user, sizeof(s->user), "%s", o->user);
	if (o->region)
		snprintf(s->region, sizeof(s->region), "%s", o->region);
	new_device_id(s);
	set_cookies(&g, 0);
	snprintf(url, sizeof(url), ACCOUNT "/longPolling/loginUrl?_qrsize=480&qs=%s"
	    "&callback=https%%3A%%2F%%2Fsts.api.io.mi.com%%2Fsts&_hasLogo=false&sid=xiaomiio"
	    "&serviceParam=&_locale=en_GB&_dc=%lld", QS_ENC, (long long)mf_login_now_ms());
	j = account_call(&g, "GET", url, NULL, "QR login URL");
	if (!j)
		return lg_done(&g, MF_ERR_FORMAT);
	jstr(j, "lp", lp, sizeof(lp));
	jstr(j, "loginUrl", login_url, sizeof(login_url));
	jstr(j, "qr", qr, sizeof(qr));
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "timeout");

		if (cJSON_IsNumber(t))
			timeout = (long)t->valuedouble;
	}
	cJSON_Delete(j);
	if (!lp[0] || !login_url[0])
		return lg_done(&g, mf_seterr(errbuf, MF_ERR_FORMAT, "QR login: no login URL in the "
		    "reply"));
	if (o->qr_timeout_s > 0 && (timeout <= 0 || o->qr_timeout_s < timeout))
		timeout = o->qr_timeout_s;
	if (timeout <= 0 || timeout > 600)
		timeout = 600;
	say(&g, "Open this link on a device where the account holder is logged in to Mi Home "
	    "(or scan the QR code) and confirm the login:");
	say(&g, "  login URL: %s", login_url);
	if (qr[0])
		say(&g, "  QR image:  %s", qr);
	say(&g, "Waiting up to %ld s for the confirmation...", timeout);
	deadline = mf_login_now_ms() + (int64_t)timeout * 1000;
	while (mf_login_now_ms() < deadline) {
		if (!host_ok(lp))
			return lg_done(&g, mf_seterr(errbuf, MF_ERR_FORMAT, "QR login: odd poll URL"));
		rc = mf_http_request(h, "GET", lp, NULL, NULL, NULL, 0, &g.r);
		if (rc == 0 && g.r.status == 200) {
			const char *p = g.r.body.data ? (const char *)g.r.body.data : "";
			size_t n = g.r.body.len;

			if (n >= 11 && memcmp(p, "&&&START&&&", 11) == 0) {
				p += 11;
				n -= 11;
			}
			j = cJSON_ParseWithLength(p, n);
			if (j && jcode(j) == 0 && has_str(j, "ssecurity")) {
				take_reply(&g, j);
				jstr(j, "location", loc, sizeof(loc));
				cJSON_Delete(j);
				return lg_done(&g, finish(&g, loc, "qr"));
			}
			cJSON_Delete(j);
		} else if (rc != 0 && rc != MF_ERR_IO) {
			return lg_done(&g, net_fail(&g, "QR login poll", rc));
		} else if (rc == MF_ERR_IO && g.r.curl_code != 28 /* CURLE_OPERATION_TIMEDOUT */) {
			return lg_done(&g, net_fail(&g, "QR login poll", rc));
		}
		sleep_ms(poll);
	}
	return lg_done(&g, mf_seterr(errbuf, MF_ERR_ARG, "QR login: not confirmed within %ld s",
	    timeout));
}

int mf_login_refresh(struct mf_http *h, struct mf_session *s, char *errbuf)
{
	struct mf_login_opts o;
	char loc[4096] = "";
	struct lg g;
	cJSON *j;
	long code;
	int rc;

	memset(&o, 0, sizeof(o));
	lg_init(&g, h, &o, NULL, s, errbuf);
	if (!s->pass_token[0] || !s->user_id[0])
		return lg_done(&g, mf_seterr(errbuf, MF_ERR_ARG, "the session has no passToken: log in "
		    "again with `miforensics cloud login`"));
	new_device_id(s);
	set_cookies(&g, 1);
	j = account_call(&g, "GET", ACCOUNT "/pass/serviceLogin?sid=xiaomiio&_json=true", NULL,
	    "serviceLogin (refresh)");
	if (!j)
		return lg_done(&g, MF_ERR_FORMAT);
	code = jcode(j);
	if (code != 0 || !has_str(j, "ssecurity")) {
		rc = mf_seterr(errbuf, MF_ERR_ARG, "the passToken no longer works (code %ld): log in "
		    "again with `miforensics cloud login`", code);
		cJSON_Delete(j);
		return lg_done(&g, rc);
	}
	take_reply(&g, j);
	jstr(j, "location", loc, sizeof(loc));
	cJSON_Delete(j);
	rc = finish(&g, loc, s->method[0] ? s->method : "refresh");
	if (rc == 0)
		s->refreshed_ms = mf_login_now_ms();
	return lg_done(&g, rc);
}
