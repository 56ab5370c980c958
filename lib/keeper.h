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
	char *batch;			/* shared: the pages read(2) between two writes */
	size_t batch_size;
	pid_t pid;			/* 0: no keeper */
	int sock;			/* our end: closed, the child looks at the note */
	bool armed;			/* it holds the file: notes count */
};

#define BR_KEEPER_INIT { .note = NULL, .batch = NULL, .batch_size = 0, .pid = 0, .sock = -1, .armed = false }

/*
 * Fork the keeper, before anything of the instance is opened, with a
 * shared batch of @batch_size bytes (k->batch, NULL if none). Without a
 * keeper (fork failed) collect goes on as before: 0 or -errno.
 */
int br_keeper_start(struct br_keeper *k, size_t batch_size);
/*
 * Before the first read: hand the keeper @file_fd (the trace being
 * written, not O_APPEND), @pipe_fd (the read end of the splice pipe, or
 * -1) and @lock_dirfd (the new collection's directory, which it holds a
 * shared flock(2) on for as long as it lives, so that the next collect's
 * recovery waits for it; or -1), and @path for what it says. Waits until
 * it holds them. 0, or -errno and the keeper is gone.
 */
int br_keeper_arm(struct br_keeper *k, int file_fd, int pipe_fd, int lock_dirfd, const char *path);

/* Pages in the batch from its start, which goes at @offset in the file. */
void br_keeper_batch(struct br_keeper *k, int cpu, unsigned long long offset, size_t len);
/* Pages on their way through the pipe to @offset; @pipe_in: bytes spliced in, -1 not yet known. */
void br_keeper_pipe(struct br_keeper *k, int cpu, unsigned long long offset, long long pipe_in);
/* Nothing in flight. */
void br_keeper_idle(struct br_keeper *k);
/* Everything is written (or nothing was read): the keeper exits without writing; reaped. */
void br_keeper_stop(struct br_keeper *k);

#endif
