/*
 * mf_file.h - reading a small evidence-side text file (tokens, key logs)
 * whole, read-only, with a size cap.
 */
#ifndef MF_FILE_H
#define MF_FILE_H

#include <stddef.h>

/* Reads path (O_RDONLY) into a malloc'd buffer (NUL-terminated, caller
 * frees).  Returns 0, MF_ERR_IO, MF_ERR_LIMIT (bigger than cap) or
 * MF_ERR_NOMEM; reason in errbuf. */
int mf_read_small_file(const char *path, size_t cap, char **buf, size_t *len, char *errbuf);

/* The last path component ("a/b/c.txt" -> "c.txt"). */
const char *mf_basename(const char *path);

#endif
