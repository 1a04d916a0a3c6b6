/*
 * mf_extract.h - finding the app's files inside whatever holds them: a
 * folder, a tar / tar.gz / zip (any libarchive tar or zip flavour), an
 * `adb backup` tar (apps/<pkg>/{sp,db,f}/...) or .ab file, or one bare
 * database / prefs file.  App folders are found by content (the relative
 * paths under an app root), whatever the outer folder names are.
 *
 * Archives are streamed twice (names first, then the wanted members);
 * nothing is unpacked except SQLite files, which are copied with their
 * -wal/-shm/-journal into a private mkdtemp folder removed by
 * mf_extract_free().
 *
 * Archives inside the input (a zip holding userdata.tar, a tar holding an
 * .ab, a folder holding a zip) are opened too, recognised by their first
 * bytes, and streamed inside the stream of the archive holding them (never
 * unpacked).  A file inside one is named by the chain of members leading to
 * it, joined by '!': "export/userdata.tar!data/data/com.xiaomi.smarthome/
 * shared_prefs/x.xml" (the first link is the path inside the input, as for
 * any member).  Nesting depth, the number of nested archives and the bytes
 * decoded out of them are capped (mf_extract_limits); each nested archive
 * and what happened to it is in x->nests.
 */
#ifndef MF_EXTRACT_H
#define MF_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

enum mf_xrole {
	MF_XR_PREFS = 1,      /* <root>/shared_prefs/<name>.xml */
	MF_XR_PLUGIN_CONFIG,  /* <root>/files/plugin/.../config.xml */
	MF_XR_DB,             /* <root>/databases/<name> */
	MF_XR_DB_AUX,         /* <name>-wal, -shm, -journal */
	MF_XR_IOS_DB,         /* <uid>_mihome.sqlite */
	MF_XR_PLUGIN_OTHER,   /* other files/plugin/ files: listed, not read */
	MF_XR_OTHER,          /* any other file of the app folder: reported, not read */
	MF_XR_DEVLIST_LOG     /* <shared storage>/SmartHome/logs/plug_DeviceManager/<file> */
};

enum mf_xroot_kind { MF_XK_MIHOME = 1, MF_XK_YEELIGHT, MF_XK_IOS };

struct mf_xfile {
	char *path;         /* path inside the input (archive member / relative to the folder's parent) */
	char *rel;          /* Android layout below the root: shared_prefs/x.xml, databases/x, files/... */
	size_t root;
	int role;
	uint64_t size;
	int64_t mtime_ns;   /* MF_TIME_NONE when unknown */
	/* filled by the read pass */
	uint8_t *data;      /* prefs/config content, owned */
	size_t len;
	char *disk;         /* private copy of a database file */
	char sha256[65];    /* of the bytes read ("" when not read) */
	int read_state;     /* 0 not read, 1 read, -1 failed, -2 over the size cap */
	char read_error[160];
	unsigned dup;       /* more members with the same path (the last one wins) */
	long nest;          /* index in x->nests of the archive holding it, -1: the input */
};

struct mf_xroot {
	char *prefix;       /* "" or ".../" before shared_prefs/, databases/, files/ */
	char *name;         /* the root folder's own name ("com.xiaomi.smarthome") */
	int kind;
	int adb;            /* adb backup layout */
	int shared;         /* the app's folder in shared storage (SmartHome/) */
	int64_t newest_ns;  /* newest mtime of the files found under it */
	size_t nfiles;
	long nest;          /* index in x->nests of the archive holding it, -1: the input */
};

/* What became of an archive found inside the input. */
enum mf_xnest_state {
	MF_XN_OPENED = 1,   /* read to its end */
	MF_XN_DAMAGED,      /* could not be read (to its end): detail says why */
	MF_XN_ENCRYPTED,    /* an adb backup with encryption other than "none": not read */
	MF_XN_UNSUPPORTED,  /* 7-Zip, RAR, or bzip2/xz/zstd compression inside an archive: not opened */
	MF_XN_DEPTH,        /* nested deeper than nest_depth_max: not opened */
	MF_XN_BYTES         /* the byte cap was reached while reading it (cut) or before (not opened) */
};

struct mf_xnest {
	char *path;         /* the chain: "<member>" or "<member>!<member>..." */
	long parent;        /* index of the archive holding it, -1: the input (or the folder) */
	int depth;          /* 1: a member of the input or a file of the folder input */
	int state;          /* enum mf_xnest_state */
	int opened;         /* its members were listed (states OPENED, DAMAGED after a start, BYTES) */
	char format[48];    /* "zip", "tar + gzip", "adb-backup tar", ... */
	char detail[200];   /* why it was not opened or where it ended ("" when OPENED) */
	uint64_t size;      /* the member's size as listed (0 unknown) */
	uint64_t entries;   /* members seen */
	size_t app_files;   /* app files found in it, at any depth (set with the roots) */
	unsigned dup;       /* more members with the same path */
};

struct mf_extract {
	const char *path;
	char format[48];    /* "folder", "tar", "tar.gz", "zip", "adb-backup", "file" */
	int is_dir;
	uint64_t size;      /* bytes of the input file (0 for a folder) */
	char sha256[65];    /* of the input file ("" for a folder) */
	int64_t mtime_ns;
	uint64_t entries;   /* members / files seen */
	struct mf_xroot *roots;
	size_t nroots;
	struct mf_xfile *files;     /* sorted by path */
	size_t nfiles, afiles;
	char tmpdir[4096];  /* "" until a database needed a copy */
	int adb_encrypted;  /* .ab with encryption != none */
	char ab_header[128];
	/* problems met while reading (one line each) */
	char **problems;
	size_t nproblems;
	int truncated;      /* the archive ended early / could not be read to the end */
	int bare;           /* one database or prefs file given directly */
	/* archives inside the input, in the order met */
	struct mf_xnest *nests;
	size_t nnests, anests;
	uint64_t nest_packages;  /* zip-based packages not opened (.apk, .jar, ...) */
	uint64_t nest_dropped;   /* archives found after nest_max: neither opened nor listed */
	uint64_t nest_budget;    /* the byte cap that applied (the last one, when several) */
};

struct mf_extract_limits {
	size_t file_max;
	uint64_t db_max;
	size_t mem_max;
	size_t entries_max;
	const char *tmpdir;
	/* archives inside the input: 0 = not opened at all */
	int nest_depth_max;        /* 1: only archives directly in the input */
	size_t nest_max;           /* nested archives listed */
	/* bytes decoded out of nested archives (every level counted) per
	 * outermost archive file: nest_bytes_min + nest_bytes_ratio x its size */
	uint64_t nest_bytes_min;
	unsigned nest_bytes_ratio;
};

/* Scans path.  Returns 0 (problems inside are in x->problems) or
 * MF_ERR_IO / MF_ERR_FORMAT / MF_ERR_UNSUPPORTED with errbuf; *out is set
 * whenever it is not NULL and must be freed. */
int mf_extract_open(const char *path, const struct mf_extract_limits *lim,
                    struct mf_extract **out, char *errbuf);
void mf_extract_free(struct mf_extract *x);

/* The kind of container b (the first n bytes of a file) starts like:
 * MF_XS_NONE, or one of the others (exposed for tests). */
enum { MF_XS_NONE = 0, MF_XS_ZIP, MF_XS_TAR, MF_XS_CPIO, MF_XS_GZIP, MF_XS_AB, MF_XS_7Z,
       MF_XS_RAR, MF_XS_BZIP2, MF_XS_XZ, MF_XS_ZSTD };
int mf_extract_sniff(const uint8_t *b, size_t n);

/* 1 when a file name is a zip-based package that holds a program or a
 * document, not a phone's folders (.apk, .jar, .docx, ...): not opened. */
int mf_extract_is_package(const char *name);

/* The file of root with relative path rel, or NULL. */
struct mf_xfile *mf_extract_find(struct mf_extract *x, size_t root, const char *rel);

/* The base name of rel as the app knows it: Android's SharedPreferences
 * backup "<name>.xml.bak" (SharedPreferencesImpl: the old file renamed
 * while a new one is written, removed once the write succeeded) is
 * "<name>.xml".  *backup (may be NULL) is 1 for a backup.  buf holds the
 * result (at least 256 bytes; longer names are cut). */
const char *mf_extract_prefs_base(const char *rel, char *buf, size_t n, int *backup);

/* Classifies one member path (exposed for tests): fills prefix length,
 * rel (malloc'd) and role; returns 0 when the path is not an app file. */
int mf_extract_classify(const char *path, size_t *prefix_len, char **rel, int *role,
                        int *adb);

#endif
