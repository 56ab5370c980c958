/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: the keeper, a child of collect that writes the pages in flight
 * (out of the kernel, not yet in the file) if collect is killed. See
 * keeper.c.
 */
#ifndef BOOTRACE_KEEPER_H
#define BOOTRACE_KEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct br_keeper_note;

struct br_keeper {
	struct br_keeper_note *note;	/* shared with the child */
	pid_t pid;			/* 0: no keeper */
	int lifeline;			/* our end: closed, the child looks at the note */
};

#define BR_KEEPER_INIT { .note = NULL, .pid = 0, .lifeline = -1 }

/*
 * Memory the keeper sees as collect writes it (MAP_SHARED), for the pages
 * read(2) between two writes; NULL if it cannot be had.
 */
void *br_keeper_shared_alloc(size_t size);
void br_keeper_shared_free(void *mem, size_t size);

/*
 * Fork the keeper before the first read. @file_fd: the trace being
 * written (not O_APPEND); @pipe_fd: the read end of the splice pipe, or
 * -1; @batch: from br_keeper_shared_alloc(), or NULL; @lock_dirfd: the new
 * collection's directory, which the keeper holds a shared flock(2) on for
 * as long as it lives (the next collect's recovery waits for it), or -1;
 * @path: the file's name, for what the keeper says. Without a keeper
 * (fork failed) collect goes on as before: 0 or -errno.
 */
int br_keeper_start(struct br_keeper *k, int file_fd, int pipe_fd, const void *batch,
		    int lock_dirfd, const char *path);

/* Pages in the batch from its start, which goes at @offset in the file. */
void br_keeper_batch(struct br_keeper *k, int cpu, unsigned long long offset, size_t len);
/* Pages on their way through the pipe to @offset; @pipe_in: bytes spliced in, -1 not yet known. */
void br_keeper_pipe(struct br_keeper *k, int cpu, unsigned long long offset, long long pipe_in);
/* Nothing in flight. */
void br_keeper_idle(struct br_keeper *k);
/* Everything is written: the keeper exits without writing; reaped. */
void br_keeper_stop(struct br_keeper *k);

#endif
