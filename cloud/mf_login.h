/*
 * mf_login.h - the Xiaomi account login of `miforensics cloud login`, and
 * the session file it writes (../shared/reference/micloud.md section 1):
 *
 *   password:  GET  /pass/serviceLogin?sid=xiaomiio&_json=true  -> _sign (code 70016)
 *              POST /pass/serviceLoginAuth2  hash=MD5(password) upper-case hex, _sign, ...
 *                -> code 87001 + captchaUrl: GET the image (cookie ick), ask, resend with captCode
 *                -> notificationUrl: two-factor (identity/list, send{Phone|Email}Ticket,
 *                   verify{Phone|Email} with the code) then the hops to STS
 *                -> code 0: ssecurity, passToken, userId, location
 *              GET location (hop by hop, extension-pragma read) -> cookie serviceToken
 *   QR:        GET /longPolling/loginUrl -> loginUrl, lp; GET lp until it answers -> as above
 *   refresh:   cookies userId + passToken, GET serviceLogin -> code 0 -> STS
 *
 * Every account reply starts "&&&START&&&" (stripped).  Each failed
 * two-factor attempt is a change to the account (repeated failures lock
 * two-factor for ~24 h and sign the owner out everywhere): codes are sent
 * once, never retried automatically.
 *
 * The library never prints: questions and messages go through mf_login_io.
 */
#ifndef MF_LOGIN_H
#define MF_LOGIN_H

#include <stdint.h>

#include "mf_cloudhttp.h"

#define MF_SESSION_FORMAT "miforensics-cloud-session/1"

struct mf_session {
	char user[256];            /* the login name given (for the record) */
	char user_id[32];          /* numeric userId */
	char cuser_id[128];        /* cUserId (newer builds' cookie), "" unknown */
	char ssecurity[128];       /* base64 */
	char service_token[2048];
	char pass_token[2048];
	char region[8];            /* preferred region ("" = try all) */
	char device_id[32];        /* deviceId cookie used at login, reused for refreshes */
	char method[16];           /* "password", "qr", "refresh" */
	int64_t created_ms, refreshed_ms;
	int loose_mode;            /* load: the file is readable by group/others */
};

/* Reads a session file (JSON, format MF_SESSION_FORMAT).  Returns 0,
 * MF_ERR_IO, MF_ERR_FORMAT (reason in errbuf). */
int mf_session_load(const char *path, struct mf_session *s, char *errbuf);
/* Writes the session: a new file in the same folder created with
 * mkstemp (O_CREAT|O_EXCL, mode 0600, fchmod 0600 again before writing),
 * fsync'ed, then renamed over path.  Returns 0 or MF_ERR_IO. */
int mf_session_save(const char *path, const struct mf_session *s, char *errbuf);

/* The terminal, as seen by the login flow. */
struct mf_login_io {
	/* Asks `question`; writes the answer (no newline) to out.  secret: do
	 * not echo.  Returns 0, or < 0 when no answer can be had. */
	int (*prompt)(void *arg, const char *question, int secret, char *out, size_t outlen);
	/* One line of information for the examiner. */
	void (*say)(void *arg, const char *msg);
	void *arg;
};

struct mf_login_opts {
	const char *user;          /* e-mail, phone or numeric id (password flow) */
	const char *password;      /* NULL: asked through io->prompt */
	const char *captcha_dir;   /* where captcha images are saved ("." when NULL) */
	const char *region;        /* recorded in the session, may be NULL */
	long qr_timeout_s;         /* QR: give up after this (0 = what the server says, max 600) */
	unsigned poll_ms;          /* QR: pause between long polls that come back empty (0 = 2000) */
};

/* Password login (with captcha and two-factor steps).  Fills s (zeroed
 * here).  Returns 0; MF_ERR_ARG (credentials refused, code wrong: the
 * reason, with Xiaomi's code, in errbuf); MF_ERR_IO (network);
 * MF_ERR_FORMAT (an unexpected reply); MF_ERR_UNSUPPORTED (no answer to a
 * question). */
int mf_login_password(struct mf_http *h, const struct mf_login_opts *o,
                      const struct mf_login_io *io, struct mf_session *s, char *errbuf);
/* QR-code login: prints (io->say) the login URL and the QR image URL,
 * then long-polls until the account holder confirms or the time is up. */
int mf_login_qr(struct mf_http *h, const struct mf_login_opts *o, const struct mf_login_io *io,
                struct mf_session *s, char *errbuf);
/* New ssecurity + serviceToken from the session's userId + passToken
 * (no password).  Updates s (refreshed_ms, maybe a new passToken).
 * Returns 0, MF_ERR_ARG (the passToken no longer works), MF_ERR_IO,
 * MF_ERR_FORMAT. */
int mf_login_refresh(struct mf_http *h, struct mf_session *s, char *errbuf);

/* Milliseconds since the epoch (the wall clock). */
int64_t mf_login_now_ms(void);

#endif
