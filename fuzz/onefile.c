/*
 * onefile.c - replays files (or every file of a folder) through a fuzz
 * target's LLVMFuzzerTestOneInput, so corpora run in ctest without libFuzzer
 * (libpcap testprogs/fuzz/onefile.c, Suricata onefile.c).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		perror(path);
		return 1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return 1;
	}
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int i, fails = 0, count = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			char **names = NULL;
			size_t nn = 0, k;

			if (!d)
				return 1;
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				names = realloc(names, (nn + 1) * sizeof(*names));
				names[nn++] = strdup(de->d_name);
			}
			closedir(d);
			qsort(names, nn, sizeof(*names), cmp);
			for (k = 0; k < nn; k++) {
				char p[4096];

				snprintf(p, sizeof(p), "%s/%s", argv[i], names[k]);
				fails += run_file(p);
				count++;
				free(names[k]);
			}
			free(names);
		} else {
			fails += run_file(argv[i]);
			count++;
		}
	}
	printf("replayed %d inputs, %d unreadable\n", count, fails);
	return fails ? 1 : (count ? 0 : 1);
}
