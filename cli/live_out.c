/*
 * live_out.c - see live_out.h.  A byte ring between the capture loop and
 * one writer thread, under one mutex; the writer takes the longest
 * contiguous run, writes it without the lock, then gives the space back.
 */
#include "live_out.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct live_out {
	int fd;
	uint8_t *ring;
	size_t cap, head, len;       /* bytes [head, head+len) mod cap are queued */
	pthread_mutex_t mu;
	pthread_cond_t more;         /* to the writer: data, or stop */
	pthread_cond_t less;         /* to the closer: the writer made progress */
	pthread_t thread;
	int started, stop, err;
	uint64_t written, dropped_lines, dropped_bytes;
};

struct live_out *live_out_new(int fd, size_t cap)
{
	struct live_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->ring = malloc(cap);
	if (!o->ring) {
		free(o);
		return NULL;
	}
	o->fd = fd;
	o->cap = cap;
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->more, NULL);
	pthread_cond_init(&o->less, NULL);
	return o;
}

static void *writer(void *arg)
{
	struct live_out *o = arg;
	int old;

	/* cancelled (by live_out_close, a reader that takes nothing) only while
	 * blocked in write(), never holding the lock */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	pthread_mutex_lock(&o->mu);
	for (;;) {
		size_t n;
		ssize_t w;
		int e;

		while (!o->len && !o->stop)
			pthread_cond_wait(&o->more, &o->mu);
		if (!o->len)
			break;          /* stop, and everything is out */
		n = o->cap - o->head < o->len ? o->cap - o->head : o->len;
		pthread_mutex_unlock(&o->mu);
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		w = write(o->fd, o->ring + o->head, n);
		e = errno;
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
		pthread_mutex_lock(&o->mu);
		if (w < 0 && e == EINTR)
			continue;
		if (w <= 0) {
			/* the reader is gone (EPIPE) or the disk failed: what is
			 * queued and what comes is dropped */
			o->err = w < 0 ? e : EIO;
			o->len = 0;
			o->head = 0;
		} else {
			o->head = (o->head + (size_t)w) % o->cap;
			o->len -= (size_t)w;
			o->written += (uint64_t)w;
		}
		pthread_cond_broadcast(&o->less);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int live_out_start(struct live_out *o)
{
	int rc = pthread_create(&o->thread, NULL, writer, o);

	if (rc == 0)
		o->started = 1;
	return rc;
}

void live_out_line(struct live_out *o, const char *line, size_t len)
{
	size_t tail, first;

	pthread_mutex_lock(&o->mu);
	if (o->err) {
		pthread_mutex_unlock(&o->mu);
		return;
	}
	if (len > o->cap - o->len) {
		o->dropped_lines++;
		o->dropped_bytes += len;
		pthread_mutex_unlock(&o->mu);
		return;
	}
	tail = (o->head + o->len) % o->cap;
	first = o->cap - tail < len ? o->cap - tail : len;
	memcpy(o->ring + tail, line, first);
	memcpy(o->ring, line + first, len - first);
	o->len += len;
	pthread_mutex_unlock(&o->mu);
}

void live_out_flush(struct live_out *o)
{
	pthread_mutex_lock(&o->mu);
	if (o->len)
		pthread_cond_signal(&o->more);
	pthread_mutex_unlock(&o->mu);
}

void live_out_stats(struct live_out *o, uint64_t *dropped_lines, uint64_t *dropped_bytes,
                    int *write_errno)
{
	pthread_mutex_lock(&o->mu);
	*dropped_lines = o->dropped_lines;
	*dropped_bytes = o->dropped_bytes;
	*write_errno = o->err;
	pthread_mutex_unlock(&o->mu);
}

/* Without a thread (it could not start): written here, blocking. */
static void write_inline(struct live_out *o)
{
	while (o->len && !o->err) {
		size_t n = o->cap - o->head < o->len ? o->cap - o->head : o->len;
		ssize_t w = write(o->fd, o->ring + o->head, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = w < 0 ? errno : EIO;
			break;
		}
		o->head = (o->head + (size_t)w) % o->cap;
		o->len -= (size_t)w;
	}
}

size_t live_out_close(struct live_out *o, int stall_ms)
{
	size_t left;

	if (!o)
		return 0;
	if (!o->started) {
		write_inline(o);
	} else {
		pthread_mutex_lock(&o->mu);
		o->stop = 1;
		pthread_cond_signal(&o->more);
		while (o->len && !o->err) {
			uint64_t before = o->written;
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += stall_ms / 1000;
			until.tv_nsec += (long)(stall_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			while (o->len && !o->err && o->written == before)
				if (pthread_cond_timedwait(&o->less, &o->mu, &until) == ETIMEDOUT)
					break;
			if (o->len && !o->err && o->written == before)
				break;      /* the reader took nothing for stall_ms */
		}
		left = o->len;
		pthread_mutex_unlock(&o->mu);
		if (left)
			pthread_cancel(o->thread);   /* blocked in write(): a cancellation point */
		pthread_join(o->thread, NULL);
	}
	left = o->len;
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->more);
	pthread_cond_destroy(&o->less);
	free(o->ring);
	free(o);
	return left;
}
