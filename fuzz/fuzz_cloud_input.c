/*
 * fuzz_cloud_input.c - the reader of `cloud acquire` folders
 * (cloud/mf_cloud_input.c): manifest.json as found on disk (whole-document
 * and line-by-line recovery), the stored replies it names (hash checks,
 * endpoint record walkers), the duplicate filter.
 *
 * Input: parts separated by the 4 bytes "\x00MF|": the manifest, then the
 * contents served for the files the manifest names, in the order they are
 * asked for (cycling; none: every file is missing).  Byte 0 of the first
 * part is not special: seeds are real manifests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mf_buf.h"
#include "mf_cloud_input.h"
#include "mf_ctx.h"
#include "mf_event.h"
#include "mf_tokens.h"

#define MAXPARTS 16

struct parts {
	const uint8_t *p[MAXPARTS];
	size_t n[MAXPARTS];
	size_t count, next;
};

static int sink(void *arg, struct mf_event *ev)
{
	struct mf_buf b;

	(void)arg;
	mf_buf_init(&b, 1 << 24);
	mf_event_to_json(ev, &b);   /* every event must serialise */
	mf_buf_free(&b);
	mf_event_free(ev);
	return 0;
}

static int fetch(void *arg, const char *rel, char **buf, size_t *len)
{
	struct parts *ps = arg;
	size_t k;

	(void)rel;
	if (ps->count < 2)
		return -1;
	k = 1 + ps->next++ % (ps->count - 1);
	*buf = malloc(ps->n[k] + 1);
	if (!*buf)
		return -1;
	memcpy(*buf, ps->p[k], ps->n[k]);
	(*buf)[ps->n[k]] = '\0';
	*len = ps->n[k];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 0x00, 'M', 'F', '|' };
	struct mf_cloud_input_summary sum;
	struct parts ps;
	struct mf_ctx ctx;
	char eb[256];
	size_t i, start = 0;

	memset(&ps, 0, sizeof(ps));
	for (i = 0; i + 4 <= size && ps.count < MAXPARTS - 1; i++)
		if (memcmp(data + i, sep, 4) == 0) {
			ps.p[ps.count] = data + start;
			ps.n[ps.count++] = i - start;
			start = i + 4;
			i += 3;
		}
	ps.p[ps.count] = data + start;
	ps.n[ps.count++] = size - start;
	mf_ctx_init(&ctx);
	ctx.emit = sink;
	ctx.tokens = mf_tokens_new();
	{
		/* the manifest as a NUL-terminated copy (the reader takes a length) */
		char *m = malloc(ps.n[0] + 1);

		if (m) {
			memcpy(m, ps.p[0], ps.n[0]);
			m[ps.n[0]] = '\0';
			mf_cloud_input_scan_mem(&ctx, m, ps.n[0], "fuzz", fetch, &ps, NULL, NULL, &sum, eb);
			free(m);
		}
	}
	mf_tokens_free(ctx.tokens);
	return 0;
}
