/*
 * mf_phone.h - the phone parser layer's entry point: one Mi Home Android
 * app extraction (the app folder com.xiaomi.smarthome itself, a folder or
 * archive holding it anywhere inside, an `adb backup` tar or .ab file, a
 * Yeelight app folder, an iOS Mi Home sqlite) turned into events
 * (../shared/reference/phone-artifacts.md, docs/EVENTS.md "Phone").
 *
 * Evidence is opened read-only; SQLite databases are copied with their
 * -wal/-journal into a private mkdtemp folder that is removed afterwards.
 */
#ifndef MF_PHONE_H
#define MF_PHONE_H

#include <stddef.h>
#include <stdint.h>

struct mf_ctx;

struct mf_phone_opts {
	size_t file_max;      /* bytes of one XML file held in memory */
	uint64_t db_max;      /* bytes of one database (or its WAL) copied */
	size_t mem_max;       /* bytes of XML held at once, all files */
	size_t entries_max;   /* archive/folder entries remembered */
	int json_depth_max;
	/* archives inside the input (a zip holding userdata.tar, ...) */
	int nest_depth_max;   /* levels opened (0: none) */
	size_t nest_max;      /* nested archives listed */
	uint64_t nest_bytes_min;    /* bytes decoded out of nested archives: at least this, */
	unsigned nest_bytes_ratio;  /* or this many times the size of the file holding them */
	const char *tmpdir;   /* parent of the private copies (NULL: $TMPDIR, /tmp) */
	const char *name;     /* the input's name in evidence (NULL: basename) */
	int no_app_ok;        /* the input holds other evidence (captures): no app
	                       * data in it is not a problem */
};

void mf_phone_opts_default(struct mf_phone_opts *o);

/* Called once per problem that makes the input bad or incomplete (a
 * damaged file, an unreadable archive member, an encrypted backup): one
 * line, no newline.  The same problem is also an anomaly event. */
typedef void (*mf_phone_problem_fn)(void *arg, const char *msg);

struct mf_phone_summary {
	unsigned roots;         /* app folders found */
	unsigned files;         /* evidence files parsed */
	unsigned problems;      /* calls of the problem callback */
	uint64_t events;
};

/* Scans path and emits events through ctx.  Returns 0 when the input could
 * be read (problems inside it are counted in sum->problems), or
 * MF_ERR_IO / MF_ERR_FORMAT / MF_ERR_UNSUPPORTED / MF_ERR_NOMEM with the
 * reason in errbuf when nothing could be read at all. */
int mf_phone_scan(struct mf_ctx *ctx, const char *path, const struct mf_phone_opts *o,
                  mf_phone_problem_fn problem, void *arg, struct mf_phone_summary *sum,
                  char *errbuf);

#endif
