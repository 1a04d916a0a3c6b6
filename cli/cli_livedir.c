/*
 * cli_livedir.c - a folder written by `live` as an input: its evidence
 * files in the order the manifest lists them (see cli.h, cli_inputs).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mf_err.h"
#include "mf_file.h"
#ifdef HAVE_MF_CLOUD
#include "mf_cloud_input.h"
#endif

#define MANIFEST_MAX (64u << 20)
#define LIVE_FORMAT "miforensics-live-evidence/1"

static int own(struct cli_inputs *x, char *s)
{
	char **no;

	if (!s)
		return -1;
	no = realloc(x->owned, (size_t)(x->nowned + 1) * sizeof(*no));
	if (!no) {
		free(s);
		return -1;
	}
	x->owned = no;
	x->owned[x->nowned++] = s;
	return 0;
}

static int push(struct cli_inputs *x, char *input, const char *source, char *sha256)
{
	char **ni = realloc(x->inputs, (size_t)(x->n + 1) * sizeof(*ni));
	const char **ns;
	char **nh;
	unsigned *nc;

	if (ni)
		x->inputs = ni;
	ns = realloc(x->source, (size_t)(x->n + 1) * sizeof(*ns));
	if (ns)
		x->source = ns;
	nh = realloc(x->sha256, (size_t)(x->n + 1) * sizeof(*nh));
	if (nh)
		x->sha256 = nh;
	nc = realloc(x->captures, (size_t)(x->n + 1) * sizeof(*nc));
	if (nc)
		x->captures = nc;
	if (!ni || !ns || !nh || !nc)
		return -1;
	x->inputs[x->n] = input;
	x->source[x->n] = source;
	x->sha256[x->n] = sha256;
	x->captures[x->n] = 0;
	x->n++;
	return 0;
}

/* The captures anywhere in a folder that is an input, added after it.
 * Returns how many, or -1 (out of memory). */
static int folder_captures(const char *dir, struct cli_inputs *x)
{
	struct stat st;
	char **rel;
	size_t n, i, dl;
	int found = 0;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
#ifdef HAVE_MF_CLOUD
	if (mf_cloud_input_is(dir))
		return 0;
#endif
	cli_tree_files(dir, &rel, &n);
	dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (i = 0; i < n; i++) {
		size_t len = dl + strlen(rel[i]) + 2;
		char *path = malloc(len);

		if (!path) {
			found = -1;
			break;
		}
		snprintf(path, len, "%.*s/%s", (int)dl, dir, rel[i] + 2);   /* "./" off */
		if (!cli_is_capture(path)) {
			free(path);
			continue;
		}
		if (own(x, path) || push(x, path, "pcap", NULL)) {
			found = -1;
			break;
		}
		found++;
	}
	cli_tree_files_free(rel, n);
	return found;
}

/* 1: dir was a live folder and its files were added; 0: not one; -1: its
 * manifest is unreadable. */
static int live_folder(const char *dir, struct cli_inputs *x)
{
	char eb[MF_ERRBUF_SIZE] = "", mp[4096];
	struct stat st;
	const cJSON *files, *f, *fmt;
	cJSON *m;
	char *buf;
	size_t len;

	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(mp, sizeof(mp), "%s/manifest.json", dir);
	if (stat(mp, &st) != 0)
		return 0;
	if (mf_read_small_file(mp, MANIFEST_MAX, &buf, &len, eb) != 0) {
		cli_warn("%s: %s", mp, eb);
		return -1;
	}
	m = cJSON_ParseWithLength(buf, len);
	free(buf);
	fmt = cJSON_GetObjectItemCaseSensitive(m, "format");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, LIVE_FORMAT) != 0) {
		cJSON_Delete(m);
		if (m)
			return 0;     /* some other manifest.json: not ours */
		cli_warn("%s: not valid JSON", mp);
		return -1;
	}
	files = cJSON_GetObjectItemCaseSensitive(m, "files");
	cJSON_ArrayForEach(f, files) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "file");
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(f, "state");
		const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
		char *path, *h;
		size_t n;

		if (!cJSON_IsString(name) || !cJSON_IsString(state) ||
		    strcmp(state->valuestring, "deleted") == 0 || strchr(name->valuestring, '/'))
			continue;
		n = strlen(dir) + strlen(name->valuestring) + 2;
		path = malloc(n);
		if (path) {
			size_t dl = strlen(dir);

			while (dl > 1 && dir[dl - 1] == '/')
				dl--;    /* "evidence/" -> "evidence/live-..." */
			snprintf(path, n, "%.*s/%s", (int)dl, dir, name->valuestring);
		}
		h = strdup(cJSON_IsString(sha) ? sha->valuestring : "");
		if (own(x, path) || own(x, h) || push(x, path, "live", h)) {
			cJSON_Delete(m);
			cli_warn("out of memory");
			return -1;
		}
	}
	cJSON_Delete(m);
	return 1;
}

int cli_expand_inputs(char **inputs, int n, struct cli_inputs *x)
{
	int i, bad = 0, r;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < n; i++) {
		r = live_folder(inputs[i], x);
		if (r < 0)
			bad++;
		if (r <= 0) {
			int k = x->n, c;

			if (push(x, inputs[i], NULL, NULL) != 0 ||
			    (c = folder_captures(inputs[i], x)) < 0) {
				cli_warn("out of memory");
				return bad + 1;
			}
			x->captures[k] = (unsigned)c;
		}
	}
	return bad;
}

void cli_inputs_free(struct cli_inputs *x)
{
	int i;

	for (i = 0; i < x->nowned; i++)
		free(x->owned[i]);
	free(x->owned);
	free(x->inputs);
	free(x->source);
	free(x->sha256);
	free(x->captures);
	memset(x, 0, sizeof(*x));
}
