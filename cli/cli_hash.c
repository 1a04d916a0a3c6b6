/*
 * cli_hash.c - SHA-256 of an input file, and of an input folder as a
 * reproducible listing (see cli.h, cli_sha256_tree).
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mf_codec.h"

#define TREE_DEPTH_MAX 64

int cli_sha256_file(const char *path, uint64_t *size, char hex[65])
{
	struct mf_sha256_ctx *h;
	uint8_t buf[1 << 16];
	ssize_t n;
	uint64_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), err = 0;

	hex[0] = '\0';
	if (fd < 0)
		return -1;
	h = mf_sha256_new();
	if (!h) {
		close(fd);
		return -1;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -1;
		if (n <= 0)
			break;
		mf_sha256_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	if (!err) {
		mf_sha256_final_hex(h, hex);
		if (size)
			*size = total;
	}
	mf_sha256_free(h);
	return err;
}

struct tree {
	char **rel;
	size_t n, alloc;
	int err;
};

static void tree_add(struct tree *t, const char *rel)
{
	char *s;

	if (t->n == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 256;
		char **nr = realloc(t->rel, na * sizeof(*nr));

		if (!nr) {
			t->err = 1;
			return;
		}
		t->rel = nr;
		t->alloc = na;
	}
	s = strdup(rel);
	if (!s) {
		t->err = 1;
		return;
	}
	t->rel[t->n++] = s;
}

/* Regular files under root/rel (symbolic links are not followed). */
static void tree_walk(struct tree *t, const char *root, const char *rel, int depth)
{
	char path[8192], sub[8192];
	DIR *d;
	struct dirent *de;

	if (depth > TREE_DEPTH_MAX) {
		t->err = 1;
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	d = opendir(path);
	if (!d) {
		t->err = 1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= sizeof(sub) ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", root, sub) >= sizeof(path)) {
			t->err = 1;
			continue;
		}
		if (lstat(path, &st) != 0) {
			t->err = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode))
			tree_walk(t, root, sub, depth + 1);
		else if (S_ISREG(st.st_mode))
			tree_add(t, sub);
	}
	closedir(d);
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The line sha256sum(1) prints for a file: names holding a backslash or a
 * newline are escaped and the line starts with a backslash. */
static void listing_line(struct mf_sha256_ctx *h, const char *hex, const char *rel)
{
	int esc = strpbrk(rel, "\\\n") != NULL;
	const char *p;

	if (esc)
		mf_sha256_update(h, "\\", 1);
	mf_sha256_update(h, hex, 64);
	mf_sha256_update(h, "  ", 2);
	for (p = rel; *p; p++) {
		if (esc && *p == '\\')
			mf_sha256_update(h, "\\\\", 2);
		else if (esc && *p == '\n')
			mf_sha256_update(h, "\\n", 2);
		else
			mf_sha256_update(h, p, 1);
	}
	mf_sha256_update(h, "\n", 1);
}

int cli_tree_files(const char *dir, char ***rel, size_t *n)
{
	struct tree t = { NULL, 0, 0, 0 };

	tree_walk(&t, dir, ".", 0);
	if (t.n > 1)
		qsort(t.rel, t.n, sizeof(*t.rel), by_bytes);
	*rel = t.rel;
	*n = t.n;
	return t.err ? 1 : 0;
}

void cli_tree_files_free(char **rel, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rel[i]);
	free(rel);
}

int cli_sha256_tree(const char *dir, uint64_t *size, uint64_t *files, char hex[65])
{
	struct tree t = { NULL, 0, 0, 0 };
	struct mf_sha256_ctx *h;
	uint64_t total = 0;
	size_t i;
	int err = 0;

	hex[0] = '\0';
	*size = 0;
	*files = 0;
	tree_walk(&t, dir, ".", 0);
	if (t.n > 1)
		qsort(t.rel, t.n, sizeof(*t.rel), by_bytes);
	h = mf_sha256_new();
	for (i = 0; h && i < t.n; i++) {
		char path[8192], fh[65];
		uint64_t fs = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, t.rel[i]);
		if (cli_sha256_file(path, &fs, fh) != 0) {
			err = 1;
			continue;
		}
		total += fs;
		listing_line(h, fh, t.rel[i]);
	}
	if (h) {
		mf_sha256_final_hex(h, hex);
		mf_sha256_free(h);
	} else {
		err = 1;
	}
	for (i = 0; i < t.n; i++)
		free(t.rel[i]);
	*files = t.n;
	*size = total;
	free(t.rel);
	return err || t.err ? 1 : 0;
}
