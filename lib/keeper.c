/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeper: pages out of the kernel reach the file even when collect is
 * killed.
 *
 * Reading trace_pipe_raw consumes the kernel's only copy. Between that
 * read and the write into the file the pages are in collect's batch (up
 * to 256 KiB read(2) between two writes) or in its pipe (up to 1 MiB
 * spliced in, not yet spliced out), and a SIGKILL there would drop them.
 * So before the first read collect forks a child that shares the batch
 * (MAP_SHARED), holds the pipe's read end and the file, and is told in a
 * shared note what is in flight and where in the file it belongs. The
 * child waits on a lifeline pipe whose other end only collect holds. When
 * collect is done it says so in the note first, and the child exits
 * without writing; when collect dies, the child finds the note saying
 * what was in flight, writes it where collect would have, syncs, and
 * exits. The next collect's recovery then finds whole pages up to there.
 *
 * The keeper holds a shared flock(2) on the new collection's directory
 * while it lives; recovery takes it exclusively before touching the
 * directory, so it never reads a file the keeper is still writing.
 *
 * What it cannot help: a SIGKILL of the whole process group or cgroup
 * (it sits in a process group of its own), or power lost before its
 * fsync.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"

enum keeper_state {
	KEEP_IDLE,		/* nothing in flight */
	KEEP_BATCH,		/* batch_len bytes of the batch go at offset */
	KEEP_PIPE,		/* what is left in the pipe goes at offset + (pipe_in - left) */
	KEEP_DONE,		/* collect wrote everything: exit */
};

struct br_keeper_note {
	int state;
	int cpu;
	unsigned long long offset;
	long long pipe_in;
	unsigned long long batch_len;
};

void *br_keeper_shared_alloc(size_t size)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

void br_keeper_shared_free(void *mem, size_t size)
{
	if (mem)
		munmap(mem, size);
}

/*
 * The fields first, the state last: the child reads them only once
 * collect is gone, but the compiler must not sink a store past the read(2)
 * or splice(2) that follows.
 */
static void set_state(struct br_keeper *k, int state)
{
	__atomic_store_n(&k->note->state, state, __ATOMIC_RELEASE);
}

void br_keeper_batch(struct br_keeper *k, int cpu, unsigned long long offset, size_t len)
{
	if (!k->pid)
		return;
	if (__atomic_load_n(&k->note->state, __ATOMIC_RELAXED) != KEEP_BATCH ||
	    k->note->cpu != cpu || k->note->offset != offset) {
		/* Moving to other pages: nothing of the old note may be taken for them. */
		set_state(k, KEEP_IDLE);
		__atomic_store_n(&k->note->cpu, cpu, __ATOMIC_RELAXED);
		__atomic_store_n(&k->note->offset, offset, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&k->note->batch_len, (unsigned long long)len, __ATOMIC_RELAXED);
	set_state(k, KEEP_BATCH);
}

void br_keeper_pipe(struct br_keeper *k, int cpu, unsigned long long offset, long long pipe_in)
{
	if (!k->pid)
		return;
	if (pipe_in < 0) {
		set_state(k, KEEP_IDLE);
		__atomic_store_n(&k->note->cpu, cpu, __ATOMIC_RELAXED);
		__atomic_store_n(&k->note->offset, offset, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&k->note->pipe_in, pipe_in, __ATOMIC_RELAXED);
	set_state(k, KEEP_PIPE);
}

void br_keeper_idle(struct br_keeper *k)
{
	if (k->pid)
		set_state(k, KEEP_IDLE);
}

/* ------------------------------------------------------------------ */
/* The child                                                           */
/* ------------------------------------------------------------------ */

static int pwrite_full(int fd, const char *buf, size_t len, unsigned long long offset)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
		offset += n;
	}
	return 0;
}

/* What is left in the pipe, into the file at @offset. */
static int pipe_to_file(int pipe_fd, int fd, size_t left, unsigned long long offset)
{
	char buf[16384];

	while (left) {
		loff_t off = offset;
		ssize_t n = splice(pipe_fd, NULL, fd, &off, left, SPLICE_F_MOVE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL) {
			/* A file system that takes no splice: copied. */
			n = read(pipe_fd, buf, left < sizeof(buf) ? left : sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n > 0 && pwrite_full(fd, buf, n, offset))
				return -errno;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		left -= n;
		offset += n;
	}
	return 0;
}

/* Only what the keeper needs stays open: no lock of collect's, no tracefs file. */
static void close_all_but(int *keep, int n)
{
	int lo = 0;

	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		if (keep[i] < 0)
			continue;
		if (keep[i] > lo)
			close_range(lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

static void __attribute__((noreturn))
keeper_main(int lifeline, int file_fd, int pipe_fd, int lock_fd, const char *batch,
	    const struct br_keeper_note *note, const char *path)
{
	int keep[] = { STDERR_FILENO, lifeline, file_fd, pipe_fd, lock_fd };
	unsigned long long offset, len = 0;
	long long pipe_in;
	sigset_t all;
	int state, ret = 0, left = 0;
	char c;

	/* Only SIGKILL ends it; and not with collect's process group. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setpgid(0, 0);
	close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
	while (read(lifeline, &c, 1) < 0 && errno == EINTR)
		;
	state = __atomic_load_n(&note->state, __ATOMIC_ACQUIRE);
	offset = note->offset;
	if (state == KEEP_BATCH && batch) {
		len = note->batch_len;
		ret = pwrite_full(file_fd, batch, len, offset);
	} else if (state == KEEP_PIPE && pipe_fd >= 0 && !ioctl(pipe_fd, FIONREAD, &left) && left > 0) {
		pipe_in = note->pipe_in;
		/* Spliced out already: pipe_in - left; not yet known: nothing went out. */
		if (pipe_in >= left)
			offset += pipe_in - left;
		len = left;
		ret = pipe_to_file(pipe_fd, file_fd, left, offset);
	}
	if (!len)
		_exit(0);
	if (!ret && fsync(file_fd) < 0)
		ret = -errno;
	if (ret)
		dprintf(STDERR_FILENO,
			"bootrace: collect ended with %llu bytes read from CPU %d not yet in %s, and writing them there failed: %s\n",
			len, note->cpu, path, strerror(-ret));
	else
		dprintf(STDERR_FILENO,
			"bootrace: collect ended with %llu bytes read from CPU %d not yet in %s: written there; the next collect finishes the file\n",
			len, note->cpu, path);
	_exit(ret ? 1 : 0);
}

int br_keeper_start(struct br_keeper *k, int file_fd, int pipe_fd, const void *batch,
		    int lock_dirfd, const char *path)
{
	int lifeline[2], lock_fd = -1;
	pid_t pid;

	k->pid = 0;
	k->lifeline = -1;
	k->note = br_keeper_shared_alloc(sizeof(*k->note));
	if (!k->note)
		return -ENOMEM;
	memset(k->note, 0, sizeof(*k->note));
	if (pipe2(lifeline, O_CLOEXEC) < 0)
		goto fail;
	if (lock_dirfd >= 0) {
		/* A description of its own: the keeper's lock is not collect's. */
		lock_fd = openat(lock_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lock_fd >= 0 && flock(lock_fd, LOCK_SH | LOCK_NB) < 0) {
			close(lock_fd);
			lock_fd = -1;
		}
	}
	pid = fork();
	if (pid == 0) {
		close(lifeline[1]);
		keeper_main(lifeline[0], file_fd, pipe_fd, lock_fd, batch, k->note, path);
	}
	if (lock_fd >= 0)
		close(lock_fd);
	close(lifeline[0]);
	if (pid < 0) {
		close(lifeline[1]);
		goto fail;
	}
	k->pid = pid;
	k->lifeline = lifeline[1];
	return 0;
fail:
	br_keeper_shared_free(k->note, sizeof(*k->note));
	k->note = NULL;
	return -errno;
}

void br_keeper_stop(struct br_keeper *k)
{
	if (k->pid) {
		set_state(k, KEEP_DONE);
		close(k->lifeline);
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	br_keeper_shared_free(k->note, sizeof(*k->note));
	k->note = NULL;
	k->pid = 0;
	k->lifeline = -1;
}
