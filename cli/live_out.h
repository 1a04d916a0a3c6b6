/*
 * live_out.h - the event lines of `live`, written by a thread of their own.
 *
 * The capture loop must never wait for whoever reads the events (a pipe
 * into a slow program, a terminal, a reader that pauses): while it waits,
 * the kernel drops packets, and those are lost from the evidence for good.
 * So the loop only copies each line into a buffer (live_out_line) and a
 * writer thread writes them out, in order, as fast as the reader takes
 * them.  When the reader falls more than the buffer behind, whole lines are
 * dropped and counted (never packets: `analyze` on the evidence folder gives
 * every event again).
 */
#ifndef MF_LIVE_OUT_H
#define MF_LIVE_OUT_H

#include <stddef.h>
#include <stdint.h>

struct live_out;

/* fd is written to (not closed); cap: the most bytes held for the reader.
 * NULL on allocation failure. */
struct live_out *live_out_new(int fd, size_t cap);
/* Starts the writer thread (after the last fork / change of identity).
 * Returns 0, or an errno. */
int live_out_start(struct live_out *o);
/* Queues one complete line (with its newline); dropped when the buffer is
 * full or writing has failed.  Never blocks on the reader. */
void live_out_line(struct live_out *o, const char *line, size_t len);
/* Wakes the writer for what was queued. */
void live_out_flush(struct live_out *o);
/* Lines dropped (buffer full) so far, their bytes, and the errno of a
 * failed write (0: none). */
void live_out_stats(struct live_out *o, uint64_t *dropped_lines, uint64_t *dropped_bytes,
                    int *write_errno);
/* Writes what is queued (waiting while the reader makes progress, at most
 * stall_ms without any), stops the thread and frees.  Returns the bytes
 * that could not be written. */
size_t live_out_close(struct live_out *o, int stall_ms);

#endif
