/*
 * isolate.h: running work on untrusted input in a child process.
 *
 * Decoding a video means running FFmpeg's demuxers and decoders on bytes anyone with an upload
 * right can choose; a memory-safety bug there (fuzzing found one in Debian 12's MPEG-4 decoder,
 * docs/recognition.md) must not reach the server's memory: its sessions, its database handle,
 * its keys. pk_isolate_run forks, runs the work in the child under a CPU-time, wall-time and
 * memory limit, and takes back only the bytes the work returns. A child that crashes, runs out of
 * time or memory, or writes a malformed answer is a clear error; the parent is untouched.
 */
#ifndef PK_CORE_ISOLATE_H
#define PK_CORE_ISOLATE_H

#include <stddef.h>

#include "core/err.h"

/* The work: fills *out with a malloc'd answer of *out_len bytes (or leaves it NULL) and returns
 * PK_OK or a PK_E* code with a message in err; both the code, the message and the answer come
 * back to the parent. Runs in the child only, single-threaded. */
typedef int (*pk_isolated_fn)(void *arg, char **out, size_t *out_len, pk_err *err);

typedef struct pk_isolate_limits {
    int seconds;         /* wall-clock limit; the child is killed after it (0: 60) */
    size_t memory_bytes; /* address space the child may add to what it inherits (0: 2 GiB) */
} pk_isolate_limits;

/* Runs fn(arg) in a forked child and returns its code, message and answer. what names the work
 * in messages ("video"). Fails with PK_ECORRUPT when the child died of a signal or answered
 * nothing usable, PK_ELIMIT when it ran past the time limit, PK_EIO when no child could be
 * started. OUT: *out (malloc'd, the caller frees; NULL when there is none), *out_len. */
int pk_isolate_run(const char *what, pk_isolated_fn fn, void *arg, const pk_isolate_limits *lim,
                   char **out, size_t *out_len, pk_err *err);

#endif
