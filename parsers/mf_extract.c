/*
 * mf_extract.c - locating the app's files in a folder or archive; see
 * mf_extract.h.
 *
 * Layouts recognised (phone-artifacts.md "Base directory"; Android
 * BackupManager / `adb backup` format, AOSP BackupManagerService):
 *
 *   <anything>/<root>/shared_prefs/<name>.xml[.bak]
 *   <anything>/<root>/databases/<name>[-wal|-shm|-journal]
 *   <anything>/<root>/files/plugin/.../config.xml[.bak]
 *   <anything>/apps/<pkg>/sp/<name>.xml[.bak] | db/<name> | f/plugin/...   (adb backup tar)
 *
 * "<name>.xml.bak" is Android's SharedPreferences backup (see
 * mf_extract_prefs_base): read like the file it backs up.
 *   <anything>/<uid>_mihome.sqlite                                  (iOS Documents/)
 *   <anything>/SmartHome/logs/plug_DeviceManager/<file>    (shared storage, old versions)
 *
 *   .ab file:  "ANDROID BACKUP\n" <version>\n <compressed 0|1>\n <encryption>\n
 *              then a tar, zlib-deflated when compressed is 1.  Only
 *              "none" encryption can be read.
 *
 * Archives inside the input (docs/EVENTS.md "Archives inside the input"):
 * a member (or a folder's file) that is not an app file, or is an unknown
 * file of an app folder, is recognised by its first PEEK bytes
 * (mf_extract_sniff):
 *
 *   zip   "PK\3\4" (or "PK\7\10PK\3\4", split)   tar   "ustar" at offset 257
 *   cpio  "070701" / "070702" / "070707"          gzip  1f 8b 08
 *   .ab / MIUI .bak (as above)                    7z, RAR, bzip2, xz, zstd (named only)
 *
 * and opened as a nested archive: libarchive reads it through rd_read,
 * which takes the bytes from the member being read in the archive holding
 * it (archive_read_data), so nothing is unpacked.  Inside an archive the
 * stream may be gzip-compressed only (zip members carry their own
 * compression): every byte decoded at every level, gzip filter output
 * included (archive_filter_bytes, looked at in the read callback, since a
 * skip can expand a callback's bytes ~1000-fold), counts against a byte
 * cap; depth and count are capped too.  Pass 1 lists every level, pass 2
 * streams again only the nested archives that hold app files.  Names
 * chain with '!': "<member>!<member in it>!...".
 */
#include "mf_extract.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "mf_codec.h"
#include "mf_err.h"
#include "mf_time.h"

#define DEPTH_MAX 64
#define CHUNK (64u << 10)

/* ---- small helpers ---- */

static void problem(struct mf_extract *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct mf_extract *x, const char *fmt, ...)
{
	char line[600];
	char **nv;
	va_list ap;

	if (x->nproblems >= 1000)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	nv = realloc(x->problems, (x->nproblems + 1) * sizeof(*nv));
	if (!nv)
		return;
	x->problems = nv;
	x->problems[x->nproblems] = strdup(line);
	if (x->problems[x->nproblems])
		x->nproblems++;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *aux_suffix(const char *name)
{
	static const char *sfx[] = { "-wal", "-shm", "-journal" };
	size_t i;

	for (i = 0; i < 3; i++)
		if (ends_with(name, sfx[i]) && strlen(name) > strlen(sfx[i]))
			return sfx[i];
	return NULL;
}

/* <name>.xml or its SharedPreferences backup <name>.xml.bak */
static int prefs_name(const char *base)
{
	return ends_with(base, ".xml") || (ends_with(base, ".xml.bak") && strlen(base) > 8);
}

static int config_name(const char *base)
{
	return strcmp(base, "config.xml") == 0 || strcmp(base, "config.xml.bak") == 0;
}

const char *mf_extract_prefs_base(const char *rel, char *buf, size_t n, int *backup)
{
	const char *b = strrchr(rel, '/');
	size_t l;

	b = b ? b + 1 : rel;
	l = strlen(b);
	if (backup)
		*backup = 0;
	if (l > 8 && strcmp(b + l - 8, ".xml.bak") == 0) {
		if (backup)
			*backup = 1;
		l -= 4;
	}
	snprintf(buf, n, "%.*s", (int)l, b);
	return buf;
}

static int ios_db_name(const char *base)
{
	size_t i = 0;

	while (isdigit((unsigned char)base[i]))
		i++;
	return i > 0 && strncmp(base + i, "_mihome.sqlite", 14) == 0 &&
	    (base[i + 14] == '\0' || aux_suffix(base + i + 14) == base + i + 14);
}

/* Normalises an archive member name: no leading "./" or "/", no "//". */
static char *norm_path(const char *p)
{
	size_t n = strlen(p), o = 0, i = 0;
	char *r = malloc(n + 1);

	if (!r)
		return NULL;
	while (i < n) {
		if (p[i] == '/') {
			i++;
			continue;
		}
		if (p[i] == '.' && (p[i + 1] == '/' || p[i + 1] == '\0')) {
			i++;
			continue;
		}
		while (i < n && p[i] != '/')
			r[o++] = p[i++];
		if (i < n)
			r[o++] = '/';
	}
	while (o && r[o - 1] == '/')
		o--;
	r[o] = '\0';
	return r;
}

/* A plugin's config.xml in a folder given without its parents
 * (<input>/.../rn/<pluginId>/data/<did>/data/config.xml, e.g. the rn/ or
 * plugin/ folder exported alone): placed under files/plugin/install/rn/,
 * the root being what precedes rn/.  Only outside an app folder (inside
 * one, files/plugin/ is where plugins are). */
static int plugin_part(const char *path, const char **comp, const size_t *clen, size_t n,
                       const char *base, size_t *prefix_len, char **rel, int *role)
{
	char buf[4096];
	size_t i, k;

	if (!config_name(base))
		return 0;
	for (i = 0; i + 2 < n; i++) {
		if (clen[i] != 2 || memcmp(comp[i], "rn", 2) != 0 || clen[i + 1] == 0)
			continue;
		for (k = 0; k < clen[i + 1] && comp[i + 1][k] >= '0' && comp[i + 1][k] <= '9'; k++)
			;
		if (k == clen[i + 1])
			break;
	}
	if (i + 2 >= n)
		return 0;
	*prefix_len = (size_t)(comp[i] - path);
	snprintf(buf, sizeof(buf), "files/plugin/install/%s", comp[i]);
	*role = MF_XR_PLUGIN_CONFIG;
	*rel = strdup(buf);
	return *rel != NULL;
}

int mf_extract_classify(const char *path, size_t *prefix_len, char **rel, int *role, int *adb)
{
	const char *comp[DEPTH_MAX + 1];
	size_t clen[DEPTH_MAX + 1], n = 0, i;
	const char *p = path, *base;
	char buf[4096];

	*rel = NULL;
	*adb = 0;
	while (*p && n <= DEPTH_MAX) {
		const char *s = strchr(p, '/');

		comp[n] = p;
		clen[n] = s ? (size_t)(s - p) : strlen(p);
		n++;
		if (!s)
			break;
		p = s + 1;
	}
	if (n == 0 || n > DEPTH_MAX)
		return 0;
	base = comp[n - 1];
#define IS(k, lit) (clen[k] == sizeof(lit) - 1 && memcmp(comp[k], lit, clen[k]) == 0)
	/* adb backup: apps/<pkg>/{sp,db,f}/... */
	for (i = 0; i + 3 < n; i++) {
		if (!IS(i, "apps"))
			continue;
		if (IS(i + 2, "sp") && i + 3 == n - 1 && prefs_name(base)) {
			snprintf(buf, sizeof(buf), "shared_prefs/%s", base);
			*role = MF_XR_PREFS;
		} else if (IS(i + 2, "db") && i + 3 == n - 1) {
			snprintf(buf, sizeof(buf), "databases/%s", base);
			*role = aux_suffix(base) ? MF_XR_DB_AUX : MF_XR_DB;
		} else if (IS(i + 2, "f") && i + 4 < n && IS(i + 3, "plugin")) {
			snprintf(buf, sizeof(buf), "files/%s", comp[i + 3]);
			*role = config_name(base) ? MF_XR_PLUGIN_CONFIG : MF_XR_PLUGIN_OTHER;
		} else {
			continue;
		}
		*prefix_len = (size_t)(comp[i + 2] - path);
		*adb = 1;
		*rel = strdup(buf);
		return *rel != NULL;
	}
	/* the app's folder in shared storage (/sdcard/SmartHome/; FAT-style
	 * storage ignores case) */
	i = n >= 4 ? n - 4 : 0;
	if (n >= 4 && clen[i] == 9 && strncasecmp(comp[i], "SmartHome", 9) == 0 &&
	    clen[i + 1] == 4 && strncasecmp(comp[i + 1], "logs", 4) == 0 &&
	    clen[i + 2] == 18 && strncasecmp(comp[i + 2], "plug_DeviceManager", 18) == 0) {
		*prefix_len = (size_t)(comp[i + 1] - path);
		snprintf(buf, sizeof(buf), "logs/plug_DeviceManager/%s", base);
		*role = MF_XR_DEVLIST_LOG;
		*rel = strdup(buf);
		return *rel != NULL;
	}
	if (n >= 2 && IS(n - 2, "shared_prefs") && prefs_name(base)) {
		*prefix_len = (size_t)(comp[n - 2] - path);
		snprintf(buf, sizeof(buf), "shared_prefs/%s", base);
		*role = MF_XR_PREFS;
	} else if (n >= 2 && IS(n - 2, "databases")) {
		*prefix_len = (size_t)(comp[n - 2] - path);
		snprintf(buf, sizeof(buf), "databases/%s", base);
		*role = aux_suffix(base) ? MF_XR_DB_AUX : MF_XR_DB;
	} else if (ios_db_name(base)) {
		*prefix_len = (size_t)(base - path);
		snprintf(buf, sizeof(buf), "ios/%s", base);
		*role = aux_suffix(base) ? MF_XR_DB_AUX : MF_XR_IOS_DB;
	} else {
		for (i = 0; i + 2 < n; i++)
			if (IS(i, "files") && IS(i + 1, "plugin"))
				break;
		if (i + 2 >= n) {
			/* any other file inside the app's folder: not parsed, but
			 * reported (unknown files are findings, not noise to drop) */
			for (i = 0; i + 1 < n; i++)
				if (IS(i, "com.xiaomi.smarthome"))
					break;
			if (i + 1 >= n)
				return plugin_part(path, comp, clen, n, base, prefix_len, rel, role);
			*prefix_len = (size_t)(comp[i + 1] - path);
			snprintf(buf, sizeof(buf), "%s", comp[i + 1]);
			*role = MF_XR_OTHER;
			*rel = strdup(buf);
			return *rel != NULL;
		}
		*prefix_len = (size_t)(comp[i] - path);
		snprintf(buf, sizeof(buf), "%s", comp[i]);
		*role = config_name(base) ? MF_XR_PLUGIN_CONFIG : MF_XR_PLUGIN_OTHER;
	}
#undef IS
	*rel = strdup(buf);
	return *rel != NULL;
}

/* ---- the file list ---- */

/* inner as named from the input: "<chain of nest>!<inner>" inside a nested
 * archive, inner itself otherwise (malloc'd). */
static char *chain_path(const struct mf_extract *x, long nest, const char *inner)
{
	const char *c = nest >= 0 ? x->nests[nest].path : "";
	size_t a = strlen(c), b = strlen(inner);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	if (nest >= 0) {
		memcpy(p, c, a);
		p[a++] = '!';
	}
	memcpy(p + a, inner, b + 1);
	return p;
}

/* Adds inner (a path in the input, or in nested archive nest) when it is an
 * app file.  Returns 1 when added, 0 when not an app file, or MF_ERR_NOMEM /
 * MF_ERR_LIMIT. */
static int add_file(struct mf_extract *x, long nest, const char *inner, uint64_t size,
                    int64_t mtime, size_t entries_max)
{
	size_t plen;
	char *rel;
	int role, adb;
	struct mf_xfile *f;

	if (!mf_extract_classify(inner, &plen, &rel, &role, &adb))
		return 0;
	if (x->nfiles >= entries_max) {
		free(rel);
		return MF_ERR_LIMIT;
	}
	if (x->nfiles == x->afiles) {
		size_t na = x->afiles ? x->afiles * 2 : 256;
		struct mf_xfile *nv = realloc(x->files, na * sizeof(*nv));

		if (!nv) {
			free(rel);
			return MF_ERR_NOMEM;
		}
		x->files = nv;
		x->afiles = na;
	}
	f = &x->files[x->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = chain_path(x, nest, inner);
	f->rel = rel;
	f->role = role;
	f->size = size;
	f->mtime_ns = mtime;
	f->nest = nest;
	if (nest >= 0)
		plen += strlen(x->nests[nest].path) + 1;
	/* the root index is set once every file is known; park the prefix
	 * length and layout in the fields the read pass fills later */
	f->root = plen;
	f->read_state = adb;
	if (!f->path) {
		free(rel);
		return MF_ERR_NOMEM;
	}
	x->nfiles++;
	return 1;
}

static int cmp_file(const void *a, const void *b)
{
	const struct mf_xfile *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int cmp_root(const void *a, const void *b)
{
	const struct mf_xroot *x = a, *y = b;

	return strcmp(x->prefix, y->prefix);
}

static void file_free(struct mf_xfile *f)
{
	free(f->path);
	free(f->rel);
	free(f->data);
	free(f->disk);
}

static int signature(const struct mf_xfile *f)
{
	char rb[300];
	const char *r = f->rel;

	if (f->role == MF_XR_PREFS) {
		char b[256];

		/* a backup signs like the file it backs up */
		snprintf(rb, sizeof(rb), "shared_prefs/%s", mf_extract_prefs_base(r, b, sizeof(b),
		    NULL));
		r = rb;
	}

	if (f->role == MF_XR_IOS_DB)
		return MF_XK_IOS;
	if (f->role == MF_XR_DEVLIST_LOG)
		return MF_XK_MIHOME;
	if (f->role == MF_XR_PLUGIN_CONFIG && strncmp(r, "files/plugin/install/rn/", 24) == 0)
		return MF_XK_MIHOME;
	if (strncmp(r, "shared_prefs/home_room_manager_sp_", 34) == 0 ||
	    strcmp(r, "shared_prefs/home_room_transfer_state.xml") == 0 ||
	    strcmp(r, "shared_prefs/home_env_info.xml") == 0 ||
	    strcmp(r, "shared_prefs/plugin_device_list_pref.xml") == 0 ||
	    (strncmp(r, "shared_prefs/", 13) == 0 && ends_with(r, "scene_list_cache.xml")) ||
	    strcmp(r, "databases/miio.db") == 0 || strcmp(r, "databases/miio2.db") == 0)
		return MF_XK_MIHOME;
	if (strcmp(r, "shared_prefs/miot.xml") == 0)
		return MF_XK_YEELIGHT;
	return 0;
}

/* Groups files by root prefix, keeps the roots that are Mi Home (or
 * Yeelight / iOS Mi Home) app data, drops the rest. */
static int make_roots(struct mf_extract *x, const char *input_name)
{
	size_t i, k, keep = 0;

	for (i = 0; i < x->nfiles; i++) {
		struct mf_xfile *f = &x->files[i];
		size_t plen = f->root;
		struct mf_xroot *r = NULL;

		for (k = 0; k < x->nroots; k++)
			if (strlen(x->roots[k].prefix) == plen &&
			    strncmp(x->roots[k].prefix, f->path, plen) == 0) {
				r = &x->roots[k];
				break;
			}
		if (!r) {
			struct mf_xroot *nv = realloc(x->roots, (x->nroots + 1) * sizeof(*nv));
			const char *nm, *e;

			if (!nv)
				return MF_ERR_NOMEM;
			x->roots = nv;
			r = &x->roots[x->nroots];
			memset(r, 0, sizeof(*r));
			r->prefix = malloc(plen + 1);
			if (!r->prefix)
				return MF_ERR_NOMEM;
			memcpy(r->prefix, f->path, plen);
			r->prefix[plen] = '\0';
			r->adb = f->read_state;
			r->newest_ns = MF_TIME_NONE;
			r->nest = f->nest;
			/* the root's own name: last component of the prefix (inside
			 * a nested archive: of the part after its chain, else the
			 * archive's own name) */
			{
				const char *lo = r->prefix;

				if (f->nest >= 0)
					lo += strlen(x->nests[f->nest].path) + 1;
				e = r->prefix + plen;
				if (e > lo && e[-1] == '/')
					e--;
				if (e == lo && f->nest >= 0) {
					lo = r->prefix;
					e = lo + strlen(x->nests[f->nest].path);
				}
				nm = e;
				while (nm > lo && nm[-1] != '/' && !(f->nest >= 0 &&
				    lo == r->prefix && nm[-1] == '!'))
					nm--;
			}
			if (e > nm) {
				r->name = malloc((size_t)(e - nm) + 1);
				if (r->name) {
					memcpy(r->name, nm, (size_t)(e - nm));
					r->name[e - nm] = '\0';
				}
			} else {
				r->name = strdup(input_name);
			}
			if (!r->name)
				return MF_ERR_NOMEM;
			k = x->nroots++;
		}
		f->root = k;
		/* an adb backup's root: whichever file says so (its _manifest
		 * comes first and is not under sp/, db/ or f/) */
		if (f->read_state)
			r->adb = 1;
		f->read_state = 0;
		if (f->role == MF_XR_DEVLIST_LOG)
			r->shared = 1;
		{
			int sig = signature(f);

			if (sig == MF_XK_MIHOME || (sig && !r->kind))
				r->kind = sig;
		}
	}
	for (k = 0; k < x->nroots; k++) {
		struct mf_xroot *r = &x->roots[k];

		if (!r->kind && x->bare)
			r->kind = MF_XK_MIHOME;
		if (!r->kind && (strcmp(r->name, "com.xiaomi.smarthome") == 0 ||
		    strstr(r->name, "smarthome")))
			r->kind = MF_XK_MIHOME;
		if (!r->kind && strstr(r->name, "yeelight"))
			r->kind = MF_XK_YEELIGHT;
	}
	/* drop files of other apps, then their roots */
	for (i = 0; i < x->nfiles; i++) {
		struct mf_xfile *f = &x->files[i];
		struct mf_xroot *r = &x->roots[f->root];

		if (!r->kind) {
			file_free(f);
			continue;
		}
		if (f->mtime_ns != MF_TIME_NONE && (r->newest_ns == MF_TIME_NONE ||
		    f->mtime_ns > r->newest_ns))
			r->newest_ns = f->mtime_ns;
		x->files[keep++] = *f;
	}
	x->nfiles = keep;
	/* roots in prefix order: the same extraction as a folder, tar or zip
	 * gives the same output; old index -> new index through map */
	{
		size_t *map = malloc((x->nroots ? x->nroots : 1) * sizeof(*map)), nk = 0;

		if (!map)
			return MF_ERR_NOMEM;
		for (i = 0; i < x->nroots; i++)
			x->roots[i].nfiles = i;      /* old index, parked */
		if (x->nroots)
			qsort(x->roots, x->nroots, sizeof(*x->roots), cmp_root);
		for (i = 0; i < x->nroots; i++) {
			if (!x->roots[i].kind) {
				free(x->roots[i].prefix);
				free(x->roots[i].name);
				continue;
			}
			map[x->roots[i].nfiles] = nk;
			x->roots[nk] = x->roots[i];
			x->roots[nk].nfiles = 0;
			nk++;
		}
		x->nroots = nk;
		for (i = 0; i < x->nfiles; i++) {
			x->files[i].root = map[x->files[i].root];
			x->roots[x->files[i].root].nfiles++;
		}
		free(map);
	}
	if (x->nfiles)      /* qsort(NULL, 0) is undefined */
		qsort(x->files, x->nfiles, sizeof(*x->files), cmp_file);
	/* duplicates (a tar may hold a path twice; the last member wins) */
	for (i = 1, keep = x->nfiles ? 1 : 0; i < x->nfiles; i++) {
		if (strcmp(x->files[i].path, x->files[keep - 1].path) == 0) {
			x->files[keep - 1].dup++;
			x->files[keep - 1].size = x->files[i].size;
			x->files[keep - 1].mtime_ns = x->files[i].mtime_ns;
			file_free(&x->files[i]);
			continue;
		}
		x->files[keep++] = x->files[i];
	}
	x->nfiles = keep;
	/* which nested archives hold app files (pass 2 opens only those) */
	for (i = 0; i < x->nfiles; i++) {
		long n;

		for (n = x->files[i].nest; n >= 0; n = x->nests[n].parent)
			x->nests[n].app_files++;
	}
	return 0;
}

static struct mf_xfile *find_path(struct mf_extract *x, const char *path)
{
	struct mf_xfile key;

	key.path = (char *)path;
	return x->nfiles ? bsearch(&key, x->files, x->nfiles, sizeof(*x->files), cmp_file) : NULL;
}

struct mf_xfile *mf_extract_find(struct mf_extract *x, size_t root, const char *rel)
{
	size_t i;

	for (i = 0; i < x->nfiles; i++)
		if (x->files[i].root == root && strcmp(x->files[i].rel, rel) == 0)
			return &x->files[i];
	return NULL;
}

/* ---- reading one member's bytes (memory or private copy) ---- */

struct sink {
	struct mf_extract *x;
	const struct mf_extract_limits *lim;
	struct mf_xfile *f;
	struct mf_sha256_ctx *h;
	uint8_t *mem;
	size_t len, alloc;
	int fd;
	uint64_t total;
	int over;
	size_t *mem_used;
};

static int make_tmpdir(struct mf_extract *x, const struct mf_extract_limits *lim)
{
	const char *base = lim->tmpdir ? lim->tmpdir : getenv("TMPDIR");

	if (x->tmpdir[0])
		return 0;
	if (!base || !*base)
		base = "/tmp";
	snprintf(x->tmpdir, sizeof(x->tmpdir), "%s/miforensics-phone.XXXXXX", base);
	if (!mkdtemp(x->tmpdir)) {
		x->tmpdir[0] = '\0';
		return -1;
	}
	return 0;
}

/* The private copy's name: "<k>.db" plus the member's -wal/-shm/-journal,
 * k the index of the main database file (so SQLite finds its WAL). */
static int disk_name(struct mf_extract *x, struct mf_xfile *f, char *out, size_t outlen)
{
	const char *sfx = f->role == MF_XR_DB_AUX ? aux_suffix(f->rel) : NULL;
	size_t k = (size_t)(f - x->files);

	if (sfx) {
		char mainrel[4096];
		struct mf_xfile *m;

		snprintf(mainrel, sizeof(mainrel), "%.*s", (int)(strlen(f->rel) - strlen(sfx)),
		    f->rel);
		m = mf_extract_find(x, f->root, mainrel);
		if (!m)
			return -1;     /* a WAL without its database: nothing to open */
		k = (size_t)(m - x->files);
	}
	snprintf(out, outlen, "%s/%zu.db%s", x->tmpdir, k, sfx ? sfx : "");
	return 0;
}

static int sink_begin(struct sink *s, struct mf_extract *x, const struct mf_extract_limits *lim,
                      struct mf_xfile *f, size_t *mem_used)
{
	memset(s, 0, sizeof(*s));
	s->x = x;
	s->lim = lim;
	s->f = f;
	s->fd = -1;
	s->mem_used = mem_used;
	s->h = mf_sha256_new();
	if (!s->h)
		return MF_ERR_NOMEM;
	/* a member read again (duplicate): the last one wins */
	if (f->data) {
		*mem_used -= f->len;
		free(f->data);
		f->data = NULL;
		f->len = 0;
	}
	if (f->role == MF_XR_DB || f->role == MF_XR_DB_AUX || f->role == MF_XR_IOS_DB) {
		char p[4200];

		if (make_tmpdir(x, lim) != 0) {
			snprintf(f->read_error, sizeof(f->read_error),
			    "cannot create a private folder for the database copy: %s",
			    strerror(errno));
			return MF_ERR_IO;
		}
		if (disk_name(x, f, p, sizeof(p)) != 0)
			return 0;      /* hashed only */
		free(f->disk);
		f->disk = strdup(p);
		s->fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (!f->disk || s->fd < 0) {
			snprintf(f->read_error, sizeof(f->read_error),
			    "cannot write the private copy: %s", strerror(errno));
			return MF_ERR_IO;
		}
	}
	return 0;
}

static int sink_add(struct sink *s, const void *p, size_t n)
{
	if (n == 0)     /* a streamed zip member may hand an empty block, p NULL */
		return 0;
	mf_sha256_update(s->h, p, n);
	s->total += n;
	if (s->over)
		return 0;
	if (s->fd >= 0) {
		const uint8_t *b = p;

		if (s->total > s->lim->db_max) {
			s->over = 1;
			return 0;
		}
		while (n) {
			ssize_t w = write(s->fd, b, n);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				snprintf(s->f->read_error, sizeof(s->f->read_error),
				    "writing the private copy failed: %s", strerror(errno));
				return MF_ERR_IO;
			}
			b += w;
			n -= (size_t)w;
		}
		return 0;
	}
	if (s->f->role != MF_XR_PREFS && s->f->role != MF_XR_PLUGIN_CONFIG &&
	    s->f->role != MF_XR_DEVLIST_LOG)
		return 0;
	if (s->len + n > s->lim->file_max || *s->mem_used + s->len + n > s->lim->mem_max) {
		s->over = 1;
		free(s->mem);
		s->mem = NULL;
		s->len = s->alloc = 0;
		return 0;
	}
	if (s->len + n > s->alloc) {
		size_t na = s->alloc ? s->alloc : 4096;
		uint8_t *nm;

		while (na < s->len + n)
			na *= 2;
		nm = realloc(s->mem, na);
		if (!nm)
			return MF_ERR_NOMEM;
		s->mem = nm;
		s->alloc = na;
	}
	memcpy(s->mem + s->len, p, n);
	s->len += n;
	return 0;
}

static void sink_end(struct sink *s, int rc)
{
	struct mf_xfile *f = s->f;

	if (s->h) {
		mf_sha256_final_hex(s->h, f->sha256);
		mf_sha256_free(s->h);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (rc != 0) {
		f->read_state = -1;
		if (!f->read_error[0])
			snprintf(f->read_error, sizeof(f->read_error), "read failed");
		free(s->mem);
		if (f->disk)
			unlink(f->disk);
		free(f->disk);
		f->disk = NULL;
		return;
	}
	f->size = s->total;
	if (s->over) {
		f->read_state = -2;
		snprintf(f->read_error, sizeof(f->read_error),
		    "%" PRIu64 " bytes: over the size cap; hashed, not parsed", (uint64_t)s->total);
		free(s->mem);
		if (f->disk)
			unlink(f->disk);
		free(f->disk);
		f->disk = NULL;
		return;
	}
	f->read_state = 1;
	f->data = s->mem;
	f->len = s->len;
	*s->mem_used += s->len;
	if (f->data == NULL && (f->role == MF_XR_PREFS || f->role == MF_XR_PLUGIN_CONFIG ||
	    f->role == MF_XR_DEVLIST_LOG)) {
		f->data = malloc(1);   /* an empty file is still a file */
		f->len = 0;
	}
}

/* ---- archives: the input and the archives inside it ---- */

#define PEEK 4096           /* first bytes of a member looked at (a MIUI header fits) */
#define WALK_STOPPED 2      /* arch_walk: stopped on purpose (entries_max), not damaged */

/* One pass over the input.  Pass 1 lists the app files and opens every
 * archive found inside; pass 2 reads the wanted members, opening again
 * only the nested archives that hold some. */
struct nref;

struct nwalk {
	struct mf_extract *x;
	const struct mf_extract_limits *lim;
	int pass;
	size_t mem_used;        /* XML held in memory (pass 2) */
	uint64_t budget, used;  /* bytes decoded out of nested archives, per outermost file */
	int over;               /* the byte cap was reached: no more nested archives opened */
	int stop;               /* entries_max reached: listing stopped */
	int rc;                 /* MF_ERR_NOMEM: stop everything */
	struct nref *order;     /* pass 2: x->nests sorted by path */
};

/* The bytes of an archive: a file (fd), or the member of another archive
 * being read (parent; its first bytes already taken into peek), with an
 * .ab / MIUI header skipped (ppos starts after it) and its zlib stream
 * inflated. */
struct rd {
	struct nwalk *w;
	int fd;
	struct archive *parent;
	uint8_t *peek;
	size_t plen, ppos;
	int inflate, zinit, zend;
	z_stream z;
	int counted;            /* a nested archive: its bytes count against the cap */
	uint64_t given, accounted;
	int over;
	char err[160];
	uint8_t in[CHUNK], out[CHUNK];
};

static ssize_t raw_read(struct rd *r, uint8_t *buf, size_t n)
{
	ssize_t k;

	if (r->ppos < r->plen) {
		k = (ssize_t)(r->plen - r->ppos < n ? r->plen - r->ppos : n);
		memcpy(buf, r->peek + r->ppos, (size_t)k);
		r->ppos += (size_t)k;
		return k;
	}
	if (r->fd >= 0) {
		do
			k = read(r->fd, buf, n);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			snprintf(r->err, sizeof(r->err), "read: %s", strerror(errno));
		return k;
	}
	k = archive_read_data(r->parent, buf, n);
	if (k < 0) {
		snprintf(r->err, sizeof(r->err), "%s", archive_error_string(r->parent) ?
		    archive_error_string(r->parent) : "read error");
		return -1;
	}
	return k;
}

/* Counts what a nested archive decoded: the larger of the bytes handed to
 * libarchive and the bytes its decompression filter produced (a gzip
 * filter can expand a callback's bytes about 1000-fold while skipping). */
static int account(struct rd *r, struct archive *a, size_t k)
{
	struct nwalk *w = r->w;
	la_int64_t dec = archive_filter_bytes(a, 0);
	uint64_t cur;

	r->given += k;
	cur = r->given;
	if (dec > 0 && (uint64_t)dec > cur)
		cur = (uint64_t)dec;
	if (cur > r->accounted) {
		w->used += cur - r->accounted;
		r->accounted = cur;
	}
	if (w->used <= w->budget)
		return 0;
	r->over = 1;
	w->over = 1;
	snprintf(r->err, sizeof(r->err), "the cap of %" PRIu64 " bytes decoded out of nested "
	    "archives was reached", w->budget);
	return -1;
}

static la_ssize_t rd_read(struct archive *a, void *cd, const void **buf)
{
	struct rd *r = cd;
	ssize_t k = 0;

	*buf = r->out;
	if (r->over) {
		k = -1;
	} else if (!r->inflate) {
		k = raw_read(r, r->out, sizeof(r->out));
	} else if (!r->zend) {
		r->z.next_out = r->out;
		r->z.avail_out = sizeof(r->out);
		while (r->z.avail_out == sizeof(r->out)) {
			int zr;

			if (r->z.avail_in == 0) {
				ssize_t n = raw_read(r, r->in, sizeof(r->in));

				if (n == 0)   /* the deflate stream ended early */
					snprintf(r->err, sizeof(r->err),
					    "compressed backup ends early");
				if (n <= 0) {
					k = -1;
					break;
				}
				r->z.next_in = r->in;
				r->z.avail_in = (uInt)n;
			}
			zr = inflate(&r->z, Z_NO_FLUSH);
			if (zr == Z_STREAM_END) {
				r->zend = 1;
				break;
			}
			if (zr != Z_OK && zr != Z_BUF_ERROR) {
				snprintf(r->err, sizeof(r->err), "zlib: %s", r->z.msg ? r->z.msg :
				    "error");
				k = -1;
				break;
			}
		}
		if (k == 0)
			k = (ssize_t)(sizeof(r->out) - r->z.avail_out);
	}
	if (k >= 0 && r->counted && account(r, a, (size_t)k) != 0)
		k = -1;
	if (k < 0) {
		archive_set_error(a, EIO, "%s", r->err[0] ? r->err : "read error");
		return -1;
	}
	return k;
}

static int rd_close(struct archive *a, void *cd)
{
	(void)a;
	(void)cd;
	return ARCHIVE_OK;
}

static void rd_free(struct rd *r)
{
	if (!r)
		return;
	if (r->zinit)
		inflateEnd(&r->z);
	if (r->fd >= 0)
		close(r->fd);
	free(r->peek);
	free(r);
}

/* Parses an .ab header from its first n bytes.  Returns 1 for an .ab
 * (sets *data_off, *compressed, *encrypted, hdr), 0 when not.
 *
 * A MIUI backup (the .bak files of MIUI's own backup app, one per app) is
 * an .ab behind a header of its own, "MIUI BACKUP\n<version>\n<package>\n
 * <label>\n..." (the layout community extractors strip; not in the
 * reference): the .ab header is looked for in its first 4 KiB. */
static int ab_parse(const uint8_t *in, size_t n, size_t *data_off, int *compressed,
                    int *encrypted, char *hdr, size_t hdrlen)
{
	char b[PEEK + 1], miui[160] = "";
	char *line[4], *p;
	int i;

	if (n > PEEK)
		n = PEEK;
	if (n < 15)
		return 0;
	memcpy(b, in, n);
	b[n] = '\0';
	p = b;
	if (memcmp(b, "MIUI BACKUP\n", 12) == 0) {
		char *pkg = strchr(b + 12, '\n'), *e;

		p = memmem(b, n, "\nANDROID BACKUP\n", 16);
		if (!p)
			return 0;
		p++;
		/* the package line names the app the backup is of */
		if (pkg && pkg < p && (e = memchr(pkg + 1, '\n', (size_t)(p - pkg - 1))) != NULL)
			snprintf(miui, sizeof(miui), "MIUI backup of %.*s, ", (int)(e - pkg - 1),
			    pkg + 1);
		else
			snprintf(miui, sizeof(miui), "MIUI backup, ");
	}
	if ((size_t)(b + n - p) < 15 || memcmp(p, "ANDROID BACKUP\n", 15) != 0)
		return 0;
	for (i = 0; i < 4; i++) {
		char *e = strchr(p, '\n');

		if (!e)
			return 0;
		*e = '\0';
		line[i] = p;
		p = e + 1;
	}
	*compressed = strcmp(line[2], "1") == 0;
	*encrypted = strcmp(line[3], "none") != 0;
	*data_off = (size_t)(p - b);
	snprintf(hdr, hdrlen, "%sversion %.16s, compressed %.8s, encryption %.32s", miui, line[1],
	    line[2], line[3]);
	return 1;
}

/* The same for the file at fd. */
static int ab_header(int fd, off_t *data_off, int *compressed, int *encrypted, char *hdr,
                     size_t hdrlen)
{
	uint8_t b[PEEK];
	ssize_t n = pread(fd, b, sizeof(b), 0);
	size_t off;

	if (n <= 0 || !ab_parse(b, (size_t)n, &off, compressed, encrypted, hdr, hdrlen))
		return 0;
	*data_off = (off_t)off;
	return 1;
}

int mf_extract_sniff(const uint8_t *b, size_t n)
{
	size_t off;
	int c, e;
	char h[128];

	if (n >= 4 && memcmp(b, "PK\3\4", 4) == 0)
		return MF_XS_ZIP;
	if (n >= 8 && memcmp(b, "PK\7\10PK\3\4", 8) == 0)   /* split-archive marker */
		return MF_XS_ZIP;
	if (n >= 262 && memcmp(b + 257, "ustar", 5) == 0)
		return MF_XS_TAR;
	if (n >= 6 && (memcmp(b, "070701", 6) == 0 || memcmp(b, "070702", 6) == 0 ||
	    memcmp(b, "070707", 6) == 0))
		return MF_XS_CPIO;
	if (n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
		return MF_XS_GZIP;
	if (n >= 12 && (memcmp(b, "ANDROID BACKUP\n", n < 15 ? n : 15) == 0 ||
	    memcmp(b, "MIUI BACKUP\n", 12) == 0))
		return ab_parse(b, n, &off, &c, &e, h, sizeof(h)) ? MF_XS_AB : MF_XS_NONE;
	if (n >= 6 && memcmp(b, "7z\xBC\xAF\x27\x1C", 6) == 0)
		return MF_XS_7Z;
	if (n >= 6 && memcmp(b, "Rar!\x1A\x07", 6) == 0)
		return MF_XS_RAR;
	if (n >= 10 && memcmp(b, "BZh", 3) == 0 && b[3] >= '1' && b[3] <= '9' &&
	    memcmp(b + 4, "1AY&SY", 6) == 0)
		return MF_XS_BZIP2;
	if (n >= 6 && memcmp(b, "\xFD" "7zXZ", 6) == 0)
		return MF_XS_XZ;
	if (n >= 4 && memcmp(b, "\x28\xB5\x2F\xFD", 4) == 0)
		return MF_XS_ZSTD;
	return MF_XS_NONE;
}

int mf_extract_is_package(const char *name)
{
	/* zip containers of a program or a document: Android and Java packages,
	 * OpenDocument / Office Open XML, e-books, map layers */
	static const char *sfx[] = { ".apk", ".apks", ".apkm", ".xapk", ".apex", ".capex", ".dm",
	    ".jar", ".aar", ".war", ".obb", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp",
	    ".epub", ".kmz", ".ipa" };
	size_t i, l = strlen(name);

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t k = strlen(sfx[i]);

		if (l > k && strcasecmp(name + l - k, sfx[i]) == 0)
			return 1;
	}
	return 0;
}

static const char *sniff_name(int sig)
{
	switch (sig) {
	case MF_XS_7Z: return "7-Zip archive (needs random access)";
	case MF_XS_RAR: return "RAR archive: not read";
	case MF_XS_BZIP2: return "bzip2-compressed";
	case MF_XS_XZ: return "xz-compressed";
	case MF_XS_ZSTD: return "zstd-compressed";
	default: return "archive";
	}
}

/* A reader for the input or a file of a folder input (every filter, 7-Zip
 * too: the file can be read at random), or for an archive inside another
 * one (streamed: uncompressed or gzip only, so that what a skip decodes
 * stays bounded by the byte cap; zip members carry their own compression). */
static struct archive *new_reader(int nested)
{
	struct archive *a = archive_read_new();

	if (!a)
		return NULL;
	if (nested) {
		archive_read_support_filter_gzip(a);
	} else {
		archive_read_support_filter_all(a);
		archive_read_support_format_7zip(a);
	}
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_cpio(a);
	return a;
}

static const char *entry_name(struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);

	return p ? p : archive_entry_pathname_utf8(e);
}

/* x->format or a nest's format, from the first header read */
static void set_format(struct archive *a, char *out, size_t outlen, const char *ab)
{
	const char *fn = archive_format_name(a);
	int fc = archive_filter_count(a);
	size_t l;

	snprintf(out, outlen, "%s%s", ab, fn ? fn : "archive");
	if (fc > 1 && archive_filter_name(a, 0) && strcmp(archive_filter_name(a, 0), "none") != 0) {
		l = strlen(out);
		snprintf(out + l, outlen - l, " + %s", archive_filter_name(a, 0));
	}
}

static void limit_hit(struct nwalk *w)
{
	if (!w->stop)
		problem(w->x, "%s: more than %zu app files; the rest is ignored", w->x->path,
		    w->lim->entries_max);
	w->stop = 1;
}

static long nest_add(struct nwalk *w, long parent, const char *name, uint64_t size)
{
	struct mf_extract *x = w->x;
	struct mf_xnest *n;

	if (x->nnests >= w->lim->nest_max) {
		x->nest_dropped++;
		return -1;
	}
	if (x->nnests == x->anests) {
		size_t na = x->anests ? x->anests * 2 : 16;
		struct mf_xnest *nv = realloc(x->nests, na * sizeof(*nv));

		if (!nv) {
			w->rc = MF_ERR_NOMEM;
			return -1;
		}
		x->nests = nv;
		x->anests = na;
	}
	n = &x->nests[x->nnests];
	memset(n, 0, sizeof(*n));
	n->path = parent >= 0 ? chain_path(x, parent, name) : strdup(name);
	if (!n->path) {
		w->rc = MF_ERR_NOMEM;
		return -1;
	}
	n->parent = parent;
	n->depth = parent >= 0 ? x->nests[parent].depth + 1 : 1;
	n->size = size;
	return (long)x->nnests++;
}

struct nref {
	const char *path;
	size_t i;
};

static int cmp_nref(const void *a, const void *b)
{
	const struct nref *p = a, *q = b;
	int c = strcmp(p->path, q->path);

	return c ? c : (p->i < q->i ? -1 : p->i > q->i);
}

/* Pass 2: the nested archive at chain path (parent, name) that holds app
 * files, or -1. */
static long nest_lookup(struct nwalk *w, long parent, const char *name)
{
	struct mf_extract *x = w->x;
	char *p = chain_path(x, parent, name);
	size_t lo = 0, hi = x->nnests, m;
	long found = -1;

	if (!p) {
		w->rc = MF_ERR_NOMEM;
		return -1;
	}
	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (strcmp(w->order[m].path, p) < 0)
			lo = m + 1;
		else
			hi = m;
	}
	for (; lo < x->nnests && strcmp(w->order[lo].path, p) == 0; lo++)
		if (x->nests[w->order[lo].i].app_files > 0) {
			found = (long)w->order[lo].i;
			break;
		}
	free(p);
	return found;
}

static int arch_walk(struct nwalk *w, struct archive *a, long nest);

static void set_budget(struct nwalk *w, uint64_t size)
{
	const struct mf_extract_limits *lim = w->lim;
	uint64_t b = lim->nest_bytes_ratio && size > UINT64_MAX / lim->nest_bytes_ratio ?
	    UINT64_MAX : size * lim->nest_bytes_ratio;

	b = b > UINT64_MAX - lim->nest_bytes_min ? UINT64_MAX : b + lim->nest_bytes_min;
	w->budget = b;
	w->used = 0;
	w->over = 0;
	w->x->nest_budget = b;
}

/* Opens nested archive k whose first bytes are pk (owned), from the file
 * disk (a file of a folder input) or from the current member of parent,
 * and walks it.  Pass 1 records what became of it in x->nests[k]. */
static void nest_open(struct nwalk *w, long k, const char *disk, struct archive *parent,
                      uint8_t *pk, size_t pn, int sig)
{
	struct mf_extract *x = w->x;
	int depth = x->nests[k].depth, st, comp = 0, enc = 0, pass1 = w->pass == 1;
	struct rd *r = NULL;
	struct archive *a = NULL;
	size_t off = 0;
	char hdr[128] = "", ab[24] = "";
	const char *why = NULL;

#define NSTATE(s, ...) do { if (pass1) { x->nests[k].state = (s); \
	snprintf(x->nests[k].detail, sizeof(x->nests[k].detail), __VA_ARGS__); } } while (0)
	if (sig == MF_XS_RAR) {
		NSTATE(MF_XN_UNSUPPORTED, "%s; extract it and give its files as an input",
		    sniff_name(sig));
		goto out;
	}
	if (parent && (sig == MF_XS_7Z || sig == MF_XS_BZIP2 || sig == MF_XS_XZ ||
	    sig == MF_XS_ZSTD)) {
		NSTATE(MF_XN_UNSUPPORTED, "%s: not opened inside another archive; extract it "
		    "and give it as an input", sniff_name(sig));
		goto out;
	}
	if (depth > w->lim->nest_depth_max) {
		NSTATE(MF_XN_DEPTH, "nested %d deep, over the cap of %d: not opened", depth,
		    w->lim->nest_depth_max);
		goto out;
	}
	if (disk)
		set_budget(w, x->nests[k].size);
	else if (w->over) {
		NSTATE(MF_XN_BYTES, "not opened: the cap of %" PRIu64 " bytes decoded out of "
		    "nested archives was reached before it", w->budget);
		goto out;
	}
	if (sig == MF_XS_AB) {
		ab_parse(pk, pn, &off, &comp, &enc, hdr, sizeof(hdr));
		snprintf(ab, sizeof(ab), strncmp(hdr, "MIUI", 4) == 0 ? "miui-backup " :
		    "adb-backup ");
		if (enc) {
			NSTATE(MF_XN_ENCRYPTED, "adb backup is encrypted (%s); only unencrypted "
			    "backups can be read", hdr);
			goto out;
		}
	}
	a = new_reader(parent != NULL);
	if (!a) {
		w->rc = MF_ERR_NOMEM;
		goto out;
	}
	if (disk && sig != MF_XS_AB) {
		st = archive_read_open_filename(a, disk, CHUNK);
	} else {
		r = calloc(1, sizeof(*r));
		if (!r) {
			w->rc = MF_ERR_NOMEM;
			goto out;
		}
		r->w = w;
		r->fd = -1;
		r->parent = parent;
		r->peek = pk;
		pk = NULL;
		r->plen = pn;
		r->ppos = off;
		r->counted = parent != NULL;
		if (disk) {
			r->fd = open(disk, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (r->fd < 0 || lseek(r->fd, (off_t)pn, SEEK_SET) < 0) {
				NSTATE(MF_XN_DAMAGED, "cannot open: %s", strerror(errno));
				goto out;
			}
		}
		if (comp) {
			if (inflateInit(&r->z) != Z_OK) {
				w->rc = MF_ERR_NOMEM;
				goto out;
			}
			r->zinit = 1;
			r->inflate = 1;
		}
		st = archive_read_open(a, r, NULL, rd_read, rd_close);
	}
	if (pass1)
		snprintf(x->nests[k].format, sizeof(x->nests[k].format), "%s", ab);
	st = st == ARCHIVE_OK ? arch_walk(w, a, k) : st;
	if (w->rc || !pass1)
		goto out;
	x->nests[k].opened = x->nests[k].entries > 0;
	if (st == ARCHIVE_EOF || st == WALK_STOPPED) {
		x->nests[k].state = MF_XN_OPENED;
	} else if (r && r->over) {
		NSTATE(MF_XN_BYTES, "cut after %" PRIu64 " members: %s", x->nests[k].entries,
		    r->err);
	} else if (x->nests[k].entries == 0 && (sig == MF_XS_GZIP || sig == MF_XS_BZIP2 ||
	    sig == MF_XS_XZ || sig == MF_XS_ZSTD) && (size_t)k + 1 == x->nnests) {
		/* compressed, but no archive inside (a .gz log): a file like any other */
		free(x->nests[k].path);
		x->nnests--;
	} else {
		why = archive_error_string(a);
		if (x->nests[k].entries == 0)
			NSTATE(MF_XN_DAMAGED, "not readable as an archive: %s", why ? why : "?");
		else
			NSTATE(MF_XN_DAMAGED, "damaged or truncated after %" PRIu64 " members: %s",
			    x->nests[k].entries, why ? why : "?");
	}
out:
#undef NSTATE
	if (a)
		archive_read_free(a);
	rd_free(r);
	free(pk);
}

/* Reads up to PEEK bytes of the current member of a (malloc'd into *out). */
static size_t peek_member(struct archive *a, uint8_t **out)
{
	uint8_t *b = malloc(PEEK);
	size_t got = 0;

	*out = b;
	while (b && got < PEEK) {
		la_ssize_t k = archive_read_data(a, b + got, PEEK - got);

		if (k <= 0)
			break;
		got += (size_t)k;
	}
	return got;
}

/* A member of archive a that is not an app file, or one of an app folder's
 * unknown files (a folder named after the package may hold the archive of
 * it): opened when it is an archive (pass 1), or when it is one that holds
 * app files (pass 2).  Plugin files (bundles) are not looked into. */
static void nest_member(struct nwalk *w, struct archive *a, long nest, const char *np,
                        struct archive_entry *e)
{
	struct mf_extract *x = w->x;
	const char *base = strrchr(np, '/') ? strrchr(np, '/') + 1 : np;
	uint8_t *pk;
	size_t pn;
	int sig;
	long k = -1;

	if (w->lim->nest_depth_max <= 0 || (w->pass == 2 && x->nnests == 0))
		return;
	if (w->pass == 2) {
		k = nest_lookup(w, nest, np);
		if (k < 0)
			return;
	} else if (mf_extract_is_package(base)) {
		x->nest_packages++;
		return;
	} else if (archive_entry_size_is_set(e) && archive_entry_size(e) < 4) {
		return;
	}
	pn = peek_member(a, &pk);
	if (!pk) {
		w->rc = MF_ERR_NOMEM;
		return;
	}
	sig = mf_extract_sniff(pk, pn);
	if (sig == MF_XS_NONE) {
		free(pk);
		return;
	}
	if (w->pass == 1)
		k = nest_add(w, nest, np, archive_entry_size_is_set(e) ?
		    (uint64_t)archive_entry_size(e) : 0);
	if (k < 0) {
		free(pk);
		return;
	}
	nest_open(w, k, NULL, a, pk, pn, sig);
}

/* A file of a folder input that is not an app file, or an unknown file of
 * an app folder (pass 1). */
static void nest_file(struct nwalk *w, const char *disk, const char *rel, uint64_t size)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	uint8_t *pk;
	ssize_t pn;
	int fd, sig;
	long k;

	if (w->lim->nest_depth_max <= 0 || size < 4)
		return;
	if (mf_extract_is_package(base)) {
		w->x->nest_packages++;
		return;
	}
	pk = malloc(PEEK);
	if (!pk) {
		w->rc = MF_ERR_NOMEM;
		return;
	}
	fd = open(disk, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	pn = fd >= 0 ? pread(fd, pk, PEEK, 0) : -1;
	if (fd >= 0)
		close(fd);
	sig = pn > 0 ? mf_extract_sniff(pk, (size_t)pn) : MF_XS_NONE;
	if (sig == MF_XS_NONE || (k = nest_add(w, -1, rel, size)) < 0) {
		free(pk);
		return;
	}
	nest_open(w, k, disk, NULL, pk, (size_t)pn, sig);
}

/* Reads the current member of a into file f (pass 2). */
static void read_member(struct nwalk *w, struct archive *a, struct mf_xfile *f)
{
	struct mf_extract *x = w->x;
	struct sink s;
	int rc;

	f->read_error[0] = '\0';
	rc = sink_begin(&s, x, w->lim, f, &w->mem_used);
	if (rc == 0) {
		for (;;) {
			const void *buf;
			size_t len;
			la_int64_t off;
			int dr = archive_read_data_block(a, &buf, &len, &off);

			if (dr == ARCHIVE_EOF)
				break;
			if (dr != ARCHIVE_OK && dr != ARCHIVE_WARN) {
				snprintf(f->read_error, sizeof(f->read_error), "%s",
				    archive_error_string(a) ? archive_error_string(a) :
				    "read error");
				rc = MF_ERR_IO;
				break;
			}
			/* sparse members: the holes are zeros */
			if ((uint64_t)off > s.total) {
				static const uint8_t z[4096];
				uint64_t gap = (uint64_t)off - s.total;

				while (gap && rc == 0) {
					size_t k = gap > sizeof(z) ? sizeof(z) : (size_t)gap;

					rc = sink_add(&s, z, k);
					gap -= k;
				}
			}
			if (rc == 0)
				rc = sink_add(&s, buf, len);
			if (rc)
				break;
		}
	}
	sink_end(&s, rc);
	if (rc == MF_ERR_NOMEM)
		w->rc = rc;
	else if (rc)
		problem(x, "%s: %s", f->path, f->read_error);
}

/* Streams the open archive a (the input when nest is -1, else
 * x->nests[nest]) to its end.  Returns ARCHIVE_EOF when it was read to its
 * end, WALK_STOPPED, or the libarchive status it stopped with. */
static int arch_walk(struct nwalk *w, struct archive *a, long nest)
{
	struct mf_extract *x = w->x;
	struct archive_entry *e;
	uint64_t seen = 0;
	int r;

	for (;;) {
		const char *name;
		char *np;

		if (w->rc)
			return ARCHIVE_FATAL;
		if (w->stop && w->pass == 1)
			return WALK_STOPPED;
		r = archive_read_next_header(a, &e);
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return r;
		if (w->pass == 1) {
			if (seen == 0 && nest < 0)
				set_format(a, x->format, sizeof(x->format), "");
			else if (seen == 0) {
				char ab[sizeof(x->nests[nest].format)];

				snprintf(ab, sizeof(ab), "%s", x->nests[nest].format);
				set_format(a, x->nests[nest].format,
				    sizeof(x->nests[nest].format), ab);
			}
			if (nest < 0)
				x->entries++;
			else
				x->nests[nest].entries++;
		}
		seen++;
		name = entry_name(e);
		if (!name || archive_entry_filetype(e) != AE_IFREG)
			continue;
		np = norm_path(name);
		if (!np) {
			w->rc = MF_ERR_NOMEM;
			continue;
		}
		if (w->pass == 1) {
			int64_t mt = MF_TIME_NONE;
			int rc;

			if (archive_entry_mtime_is_set(e))
				mt = (int64_t)archive_entry_mtime(e) * MF_NS_PER_S +
				    archive_entry_mtime_nsec(e);
			rc = add_file(x, nest, np, archive_entry_size_is_set(e) ?
			    (uint64_t)archive_entry_size(e) : 0, mt, w->lim->entries_max);
			if (rc == MF_ERR_LIMIT)
				limit_hit(w);
			else if (rc < 0)
				w->rc = rc;
			else if (rc == 0 || x->files[x->nfiles - 1].role == MF_XR_OTHER)
				nest_member(w, a, nest, np, e);
		} else {
			char *full = chain_path(x, nest, np);
			struct mf_xfile *f = full ? find_path(x, full) : NULL;

			if (!full)
				w->rc = MF_ERR_NOMEM;
			else if (!f || f->role == MF_XR_OTHER)
				nest_member(w, a, nest, np, e);
			else if (f->role != MF_XR_PLUGIN_OTHER)
				read_member(w, a, f);
			free(full);
		}
		free(np);
	}
}

static int nest_order(struct nwalk *w)
{
	struct mf_extract *x = w->x;
	size_t i;

	free(w->order);
	w->order = malloc((x->nnests ? x->nnests : 1) * sizeof(*w->order));
	if (!w->order)
		return MF_ERR_NOMEM;
	for (i = 0; i < x->nnests; i++) {
		w->order[i].path = x->nests[i].path;
		w->order[i].i = i;
	}
	if (x->nnests)
		qsort(w->order, x->nnests, sizeof(*w->order), cmp_nref);
	return 0;
}

/* ---- folders ---- */

struct walk {
	struct mf_extract *x;
	struct nwalk *nw;
	int err;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_dir(struct walk *w, const char *dir, const char *rel, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, i;

	if (depth > DEPTH_MAX || w->err || w->nw->stop || w->nw->rc)
		return;
	d = opendir(dir);
	if (!d) {
		problem(w->x, "%s: cannot open folder: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char **nv;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		nv = realloc(names, (n + 1) * sizeof(*nv));
		if (!nv)
			break;
		names = nv;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	/* sorted: the output must not depend on the file system's order */
	if (n)      /* qsort(NULL, 0) is undefined */
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		char full[4096], r[4096];
		struct stat st;

		snprintf(full, sizeof(full), "%s/%s", dir, names[i]);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		if (!w->err && !w->nw->stop && !w->nw->rc && lstat(full, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				walk_dir(w, full, r, depth + 1);
			} else if (S_ISREG(st.st_mode)) {
				int rc;

				w->x->entries++;
				rc = add_file(w->x, -1, r, (uint64_t)st.st_size,
				    (int64_t)st.st_mtim.tv_sec * MF_NS_PER_S + st.st_mtim.tv_nsec,
				    w->nw->lim->entries_max);
				if (rc == MF_ERR_LIMIT)
					limit_hit(w->nw);
				else if (rc < 0)
					w->err = rc;
				else if (rc == 0 || w->x->files[w->x->nfiles - 1].role ==
				    MF_XR_OTHER)
					nest_file(w->nw, full, r, (uint64_t)st.st_size);
			}
		}
		free(names[i]);
	}
	free(names);
}

static int read_fd_into(struct sink *s, int fd)
{
	uint8_t buf[CHUNK];

	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		int rc;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(s->f->read_error, sizeof(s->f->read_error), "read: %s",
			    strerror(errno));
			return MF_ERR_IO;
		}
		if (r == 0)
			return 0;
		if ((rc = sink_add(s, buf, (size_t)r)) != 0)
			return rc;
	}
}

/* path of a member of a folder input: base folder's parent + member */
static int folder_read(struct nwalk *w, const char *parent)
{
	struct mf_extract *x = w->x;
	const char *sep = parent[strlen(parent) - 1] == '/' ? "" : "/";
	size_t i;

	for (i = 0; i < x->nfiles; i++) {
		struct mf_xfile *f = &x->files[i];
		struct sink s;
		char full[8192];
		int fd, rc;

		if (f->role == MF_XR_PLUGIN_OTHER || f->role == MF_XR_OTHER || f->nest >= 0)
			continue;
		snprintf(full, sizeof(full), "%s%s%s", parent, sep, f->path);
		rc = sink_begin(&s, x, w->lim, f, &w->mem_used);
		if (rc == MF_ERR_NOMEM) {
			sink_end(&s, rc);
			return rc;
		}
		if (rc == 0) {
			fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0) {
				snprintf(f->read_error, sizeof(f->read_error), "open: %s",
				    strerror(errno));
				rc = MF_ERR_IO;
			} else {
				rc = read_fd_into(&s, fd);
				close(fd);
			}
		}
		sink_end(&s, rc);
		if (rc == MF_ERR_NOMEM)
			return rc;
		if (rc)
			problem(x, "%s: %s", f->path, f->read_error);
	}
	/* the folder's archives that hold app files, read again */
	for (i = 0; i < x->nnests && w->rc == 0; i++) {
		struct mf_xnest *n = &x->nests[i];
		char full[8192];
		uint8_t *pk;
		ssize_t pn;
		int fd, sig;

		if (n->parent >= 0 || n->app_files == 0)
			continue;
		snprintf(full, sizeof(full), "%s%s%s", parent, sep, n->path);
		pk = malloc(PEEK);
		if (!pk)
			return MF_ERR_NOMEM;
		fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		pn = fd >= 0 ? pread(fd, pk, PEEK, 0) : -1;
		if (fd >= 0)
			close(fd);
		sig = pn > 0 ? mf_extract_sniff(pk, (size_t)pn) : MF_XS_NONE;
		if (sig == MF_XS_NONE) {
			free(pk);
			problem(x, "%s: cannot be read again", n->path);
			continue;
		}
		nest_open(w, (long)i, full, NULL, pk, (size_t)pn, sig);
	}
	return w->rc;
}

/* After the read pass: an app file that was listed but not met again (an
 * archive read differently the second time) is said, not dropped. */
static void not_reached(struct mf_extract *x)
{
	size_t i;

	for (i = 0; i < x->nfiles; i++) {
		struct mf_xfile *f = &x->files[i];

		if (f->role == MF_XR_PLUGIN_OTHER || f->role == MF_XR_OTHER || f->read_state != 0)
			continue;
		f->read_state = -1;
		snprintf(f->read_error, sizeof(f->read_error), "listed, but not reached when the "
		    "archive was read again");
	}
}

/* The input archive (or adb backup) at x->path, one pass. */
static int input_walk(struct nwalk *w, int is_ab, char *errbuf)
{
	struct mf_extract *x = w->x;
	struct archive *a = new_reader(0);
	struct rd *r = NULL;
	int st;

	if (!a)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	set_budget(w, x->size);
	if (is_ab) {
		off_t off;
		int comp, enc;
		char hdr[128];

		r = calloc(1, sizeof(*r));
		if (!r) {
			archive_read_free(a);
			return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
		}
		r->w = w;
		r->fd = open(x->path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0 || !ab_header(r->fd, &off, &comp, &enc, hdr, sizeof(hdr)) ||
		    lseek(r->fd, off, SEEK_SET) < 0) {
			rd_free(r);
			archive_read_free(a);
			return mf_seterr(errbuf, MF_ERR_IO, "%s: cannot reopen", x->path);
		}
		if (comp) {
			if (inflateInit(&r->z) != Z_OK) {
				rd_free(r);
				archive_read_free(a);
				return mf_seterr(errbuf, MF_ERR_NOMEM, "zlib init failed");
			}
			r->zinit = 1;
			r->inflate = 1;
		}
		if (archive_read_open(a, r, NULL, rd_read, rd_close) != ARCHIVE_OK) {
			mf_seterr(errbuf, MF_ERR_FORMAT, "%s: the backup holds no readable tar: %s",
			    x->path, archive_error_string(a) ? archive_error_string(a) : "?");
			archive_read_free(a);
			rd_free(r);
			return MF_ERR_FORMAT;
		}
	} else if (archive_read_open_filename(a, x->path, CHUNK) != ARCHIVE_OK) {
		mf_seterr(errbuf, MF_ERR_FORMAT, "%s", archive_error_string(a) ?
		    archive_error_string(a) : "not an archive");
		archive_read_free(a);
		return MF_ERR_FORMAT;
	}
	st = arch_walk(w, a, -1);
	if (w->rc == 0 && w->pass == 1 && st != ARCHIVE_EOF && st != WALK_STOPPED) {
		if (x->entries == 0) {
			mf_seterr(errbuf, MF_ERR_FORMAT, "%s", archive_error_string(a) ?
			    archive_error_string(a) : "not an archive");
			archive_read_free(a);
			rd_free(r);
			return MF_ERR_FORMAT;
		}
		x->truncated = 1;
		problem(x, "%s: archive damaged or truncated after %" PRIu64 " members: %s",
		    x->path, x->entries, archive_error_string(a) ? archive_error_string(a) : "?");
	}
	archive_read_free(a);
	rd_free(r);
	return w->rc ? mf_seterr(errbuf, w->rc, "out of memory") : 0;
}

/* ---- the input as a whole ---- */

static int hash_input(struct mf_extract *x, char *errbuf)
{
	int fd = open(x->path, O_RDONLY | O_CLOEXEC);
	struct mf_sha256_ctx *h;
	uint8_t *buf;
	struct stat st;

	if (fd < 0)
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", x->path, strerror(errno));
	if (fstat(fd, &st) == 0)
		x->mtime_ns = (int64_t)st.st_mtim.tv_sec * MF_NS_PER_S + st.st_mtim.tv_nsec;
	h = mf_sha256_new();
	buf = malloc(CHUNK);
	if (!h || !buf) {
		close(fd);
		free(buf);
		mf_sha256_free(h);
		return MF_ERR_NOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(buf);
			mf_sha256_free(h);
			return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", x->path, strerror(e));
		}
		if (r == 0)
			break;
		mf_sha256_update(h, buf, (size_t)r);
		x->size += (uint64_t)r;
	}
	mf_sha256_final_hex(h, x->sha256);
	mf_sha256_free(h);
	free(buf);
	close(fd);
	return 0;
}

/* The n-th path component of p counted from the end (0 = the base name),
 * as a pointer and length; 0 when p has fewer. */
static int comp_from_end(const char *p, int nth, const char **c, size_t *len)
{
	const char *e = p + strlen(p), *b;

	for (;;) {
		b = e;
		while (b > p && b[-1] != '/')
			b--;
		if (nth-- == 0)
			break;
		if (b == p)
			return 0;
		e = b - 1;
	}
	*c = b;
	*len = (size_t)(e - b);
	return *len > 0;
}

/* Where a file given alone sits in the app's layout, from its own path:
 * a plugin's .../<pluginId>/data/<did>/data/config.xml keeps its plugin id
 * and did (the device log then names its device), a device-list log stays
 * under SmartHome/logs/plug_DeviceManager/; 0 when the path says nothing. */
static int bare_layout(const char *path, const char *base, char *out, size_t outlen)
{
	const char *c[5];
	size_t l[5];
	int i, ok = 1;

	for (i = 1; i <= 4; i++)
		ok = ok && comp_from_end(path, i, &c[i], &l[i]);
	if (config_name(base)) {
		if (ok && l[1] == 4 && memcmp(c[1], "data", 4) == 0 && l[3] == 4 &&
		    memcmp(c[3], "data", 4) == 0)
			snprintf(out, outlen, "files/plugin/install/rn/%.*s/data/%.*s/data/%s",
			    (int)l[4], c[4], (int)l[2], c[2], base);
		else
			snprintf(out, outlen, "files/plugin/%s", base);
		return 1;
	}
	if (comp_from_end(path, 1, &c[1], &l[1]) && l[1] == 18 &&
	    strncasecmp(c[1], "plug_DeviceManager", 18) == 0) {
		snprintf(out, outlen, "SmartHome/logs/plug_DeviceManager/%s", base);
		return 1;
	}
	return 0;
}

/* A bare database or prefs file given directly. */
static int bare_file(struct mf_extract *x, const struct mf_extract_limits *lim, char *errbuf)
{
	const char *base = strrchr(x->path, '/') ? strrchr(x->path, '/') + 1 : x->path;
	char head[64] = "", path[4200];
	int fd = open(x->path, O_RDONLY | O_CLOEXEC), rc, xml = 0, db = 0, laid;
	ssize_t n = fd >= 0 ? pread(fd, head, sizeof(head) - 1, 0) : -1;
	const char *sfx[] = { "-wal", "-journal" };
	size_t i, k;

	if (fd >= 0)
		close(fd);
	if (n >= 16 && memcmp(head, "SQLite format 3", 16) == 0) {
		db = 1;
	} else if (n > 0) {
		head[n] = '\0';
		for (i = 0; i < (size_t)n && (isspace((unsigned char)head[i]) ||
		    (unsigned char)head[i] >= 0xef); i++)
			;
		xml = head[i] == '<';
	}
	laid = !db && bare_layout(x->path, base, path, sizeof(path));
	if (!db && !xml && !(laid && strncmp(path, "SmartHome/", 10) == 0))
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not a folder, archive, adb backup, "
		    "SQLite database or prefs XML file", x->path);
	snprintf(x->format, sizeof(x->format), db ? "sqlite file" : xml ? "xml file" :
	    "text file");
	x->bare = 1;
	/* present it as <root>/databases/<name> or shared_prefs/<name> (or where
	 * its own path places it): one root */
	if (!laid)
		snprintf(path, sizeof(path), "%s/%s", db ? (ios_db_name(base) ? "Documents" :
		    "databases") : "shared_prefs", base);
	rc = add_file(x, -1, path, x->size, x->mtime_ns, lim->entries_max);
	if (rc < 0)
		return rc;
	if (x->nfiles == 0)
		return mf_seterr(errbuf, MF_ERR_FORMAT, "%s: not recognised", x->path);
	x->entries = 1;
	for (k = 0; db && k < 2; k++) {
		struct stat st;
		char side[4200];

		snprintf(side, sizeof(side), "%s%s", x->path, sfx[k]);
		if (stat(side, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(path, sizeof(path), "%s/%s%s", ios_db_name(base) ? "Documents" :
			    "databases", base, sfx[k]);
			if ((rc = add_file(x, -1, path, (uint64_t)st.st_size,
			    (int64_t)st.st_mtim.tv_sec * MF_NS_PER_S, lim->entries_max)) < 0)
				return rc;
			x->entries++;
		}
	}
	return 0;
}

static int bare_read(struct mf_extract *x, const struct mf_extract_limits *lim)
{
	size_t i, mem_used = 0;
	char dir[4096];
	const char *slash = strrchr(x->path, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - x->path) : 0, x->path);
	for (i = 0; i < x->nfiles; i++) {
		struct mf_xfile *f = &x->files[i];
		const char *b = strrchr(f->path, '/') + 1;
		char full[8400];
		struct sink s;
		int fd, rc;

		snprintf(full, sizeof(full), "%s%s%s", dir, slash ? "/" : "", b);
		rc = sink_begin(&s, x, lim, f, &mem_used);
		if (rc == 0) {
			fd = open(full, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				snprintf(f->read_error, sizeof(f->read_error), "open: %s",
				    strerror(errno));
				rc = MF_ERR_IO;
			} else {
				rc = read_fd_into(&s, fd);
				close(fd);
			}
		}
		sink_end(&s, rc);
		if (rc == MF_ERR_NOMEM)
			return rc;
		if (rc)
			problem(x, "%s: %s", f->path, f->read_error);
	}
	return 0;
}

/* The two passes over a folder input; members are read from parent (the
 * folder's parent, or the folder itself when self). */
static int folder_passes(struct nwalk *w, const char *name, int self, const char *parent,
                         char *errbuf)
{
	struct mf_extract *x = w->x;
	struct walk wk = { x, w, 0 };
	int rc;

	/* member paths start with the folder's own name, so that the app
	 * folder itself (or its shared_prefs/) is recognised */
	walk_dir(&wk, x->path, self ? "" : name, 0);
	rc = wk.err ? wk.err : w->rc;
	if (rc == 0)
		rc = make_roots(x, name);
	if (rc == 0)
		rc = nest_order(w);
	if (rc)
		return mf_seterr(errbuf, rc, "out of memory");
	w->pass = 2;
	w->stop = 0;
	rc = folder_read(w, parent);
	if (rc)
		return mf_seterr(errbuf, rc, "out of memory");
	not_reached(x);
	return 0;
}

int mf_extract_open(const char *path, const struct mf_extract_limits *lim,
                    struct mf_extract **out, char *errbuf)
{
	struct mf_extract *x = calloc(1, sizeof(*x));
	struct nwalk w;
	struct stat st;
	char name[1024];
	int rc;

	*out = x;
	if (!x)
		return mf_seterr(errbuf, MF_ERR_NOMEM, "out of memory");
	x->path = path;
	x->mtime_ns = MF_TIME_NONE;
	memset(&w, 0, sizeof(w));
	w.x = x;
	w.lim = lim;
	w.pass = 1;
	{
		/* the input's own name, for a root that is the input itself */
		size_t l = strlen(path);
		const char *b;

		while (l > 1 && path[l - 1] == '/')
			l--;
		b = path + l;
		while (b > path && b[-1] != '/')
			b--;
		snprintf(name, sizeof(name), "%.*s", (int)(path + l - b), b);
	}
	if (stat(path, &st) != 0)
		return mf_seterr(errbuf, MF_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		char parent[4096];
		int self = strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || !*name ||
		    strcmp(name, "/") == 0;

		x->is_dir = 1;
		x->mtime_ns = (int64_t)st.st_mtim.tv_sec * MF_NS_PER_S + st.st_mtim.tv_nsec;
		snprintf(x->format, sizeof(x->format), "folder");
		/* members are read from the folder's parent (or the folder itself) */
		if (self) {
			snprintf(parent, sizeof(parent), "%s", path);
		} else {
			size_t l = strlen(path);

			while (l > 1 && path[l - 1] == '/')
				l--;
			while (l > 0 && path[l - 1] != '/')
				l--;
			if (l == 0)
				snprintf(parent, sizeof(parent), ".");
			else
				snprintf(parent, sizeof(parent), "%.*s", (int)l, path);
		}
		rc = folder_passes(&w, name, self, parent, errbuf);
		free(w.order);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return mf_seterr(errbuf, MF_ERR_UNSUPPORTED, "%s: not a file or folder", path);
	rc = hash_input(x, errbuf);
	if (rc)
		return rc;
	{
		int fd = open(path, O_RDONLY | O_CLOEXEC), comp = 0, enc = 0, is_ab;
		off_t off;

		is_ab = fd >= 0 && ab_header(fd, &off, &comp, &enc, x->ab_header,
		    sizeof(x->ab_header));
		if (fd >= 0)
			close(fd);
		if (is_ab && enc) {
			x->adb_encrypted = 1;
			snprintf(x->format, sizeof(x->format), "adb-backup");
			problem(x, "%s: adb backup is encrypted (%s); only unencrypted backups "
			    "can be read", path, x->ab_header);
			return 0;
		}
		if (is_ab)
			snprintf(x->format, sizeof(x->format), "adb-backup");
		rc = input_walk(&w, is_ab, errbuf);
		if (rc == MF_ERR_FORMAT && !is_ab) {
			/* not an archive: one database or prefs file */
			free(w.order);
			rc = bare_file(x, lim, errbuf);
			if (rc)
				return rc;
			rc = make_roots(x, name);
			if (rc == 0)
				rc = bare_read(x, lim);
			return rc ? mf_seterr(errbuf, rc, "out of memory") : 0;
		}
		if (rc)
			return rc;
		if (is_ab && !strstr(x->format, "-backup")) {
			char f[sizeof(x->format)];
			int l;

			snprintf(f, sizeof(f), "%s", x->format);
			l = snprintf(x->format, sizeof(x->format), "%s", strncmp(x->ab_header, "MIUI",
			    4) == 0 ? "miui-backup " : "adb-backup ");
			snprintf(x->format + l, sizeof(x->format) - (size_t)l, "%.*s",
			    (int)(sizeof(x->format) - (size_t)l - 1), f);
		}
		/* pass 1 done: roots, then pass 2 */
		rc = make_roots(x, name);
		if (rc == 0)
			rc = nest_order(&w);
		if (rc == 0) {
			w.pass = 2;
			w.stop = 0;
			rc = input_walk(&w, is_ab, errbuf);
			if (rc == 0)
				not_reached(x);
		}
		free(w.order);
		return rc ? mf_seterr(errbuf, rc, "out of memory") : 0;
	}
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char p[4400];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);     /* the private folder holds files only */
	}
	closedir(d);
	rmdir(dir);
}

void mf_extract_free(struct mf_extract *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->nfiles; i++)
		file_free(&x->files[i]);
	free(x->files);
	for (i = 0; i < x->nroots; i++) {
		free(x->roots[i].prefix);
		free(x->roots[i].name);
	}
	free(x->roots);
	for (i = 0; i < x->nproblems; i++)
		free(x->problems[i]);
	free(x->problems);
	for (i = 0; i < x->nnests; i++)
		free(x->nests[i].path);
	free(x->nests);
	if (x->tmpdir[0])
		rm_tree(x->tmpdir);
	free(x);
}
