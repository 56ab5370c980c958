/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The keeper: pages out of the kernel reach the file even when collect is
 * killed.
 *
 * Reading trace_pipe_raw consumes the kernel's only copy. Between that
 * read and the write into the file the pages are in collect's batch (up
 * to 256 KiB read(2) between two writes) or in its pipe (up to 1 MiB
 * spliced in, not yet spliced out), and a SIGKILL there would drop them.
 * So collect forks a child first thing, before it opens anything of the
 * instance (a child that ever held the instance's files, even closed
 * again at once, kept a 7.1+ backup from removing itself: measured), and
 * hands it the file and the pipe's read end over a socket once they
 * exist. The child shares the batch (MAP_SHARED) and is told in a shared
 * note what is in flight and where in the file it belongs. It waits on
 * the socket, whose other end only collect holds. When collect is done
 * it says so in the note first, and the child exits without writing;
 * when collect dies, the child finds the note saying what was in flight,
 * writes it where collect would have, syncs, and exits. The next
 * collect's recovery then finds whole pages up to there.
 *
 * The keeper holds a shared flock(2) on the new collection's directory
 * while it lives; recovery takes it exclusively before touching the
 * directory, so it never reads a file the keeper is still writing.
 *
 * What it cannot help: a SIGKILL of its cgroup too (it sits in a process
 * group of its own, so a kill of collect's group spares it), or power
 * lost before its fsync.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
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

static void *shared_alloc(size_t size)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

static void shared_free(void *mem, size_t size)
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
	if (!k->armed)
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
	if (!k->armed)
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
	if (k->armed)
		set_state(k, KEEP_IDLE);
}

/* ------------------------------------------------------------------ */
/* The child                                                           */
/* ------------------------------------------------------------------ */

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
			if (n > 0) {
				unsigned long long done = 0;
				int ret = br_write_full(fd, buf, n, offset, &done);

				if (ret)
					return ret;
			}
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

/*
 * One message from collect: two bytes saying whether a pipe and a
 * directory to lock come after the file, the file's name, and the
 * descriptors themselves (file, [pipe], [directory]).
 */
static int receive_fds(int sock, int *file_fd, int *pipe_fd, int *dir_fd, char *path,
		       size_t path_len)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} control;
	char text[PATH_MAX + 2];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf, .msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c;
	int fds[3], nr, i = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 2)
		return -1;
	text[n] = '\0';
	snprintf(path, path_len, "%s", text + 2);
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	nr = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (nr != 1 + (text[0] == '1') + (text[1] == '1'))
		return -1;
	memcpy(fds, CMSG_DATA(c), nr * sizeof(int));
	*file_fd = fds[i++];
	*pipe_fd = text[0] == '1' ? fds[i++] : -1;
	*dir_fd = text[1] == '1' ? fds[i++] : -1;
	return 0;
}

static void __attribute__((noreturn))
keeper_main(int sock, const char *batch, const struct br_keeper_note *note)
{
	int keep[] = { STDERR_FILENO, sock };
	int file_fd, pipe_fd, dir_fd, lock_fd = -1;
	unsigned long long offset, len = 0;
	char path[PATH_MAX], c;
	long long pipe_in;
	sigset_t all;
	int state, ret = 0, left = 0;

	/* Only SIGKILL ends it; and not with collect's process group. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setpgid(0, 0);
	close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
	/* Nothing handed over: collect ended (or died) before reading. */
	if (receive_fds(sock, &file_fd, &pipe_fd, &dir_fd, path, sizeof(path)))
		_exit(0);
	/* A description of its own, locked shared: the next collect's recovery waits for it. */
	if (dir_fd >= 0) {
		lock_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lock_fd >= 0 && flock(lock_fd, LOCK_SH | LOCK_NB) < 0)
			close(lock_fd);
		close(dir_fd);
	}
	while (write(sock, "r", 1) < 0 && errno == EINTR)
		;
	while (read(sock, &c, 1) < 0 && errno == EINTR)
		;
	state = __atomic_load_n(&note->state, __ATOMIC_ACQUIRE);
	offset = note->offset;
	if (state == KEEP_BATCH && batch) {
		unsigned long long done = 0;

		len = note->batch_len;
		ret = br_write_full(file_fd, batch, len, offset, &done);
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

int br_keeper_start(struct br_keeper *k, size_t batch_size)
{
	int sock[2];
	pid_t pid;

	*k = (struct br_keeper)BR_KEEPER_INIT;
	k->note = shared_alloc(sizeof(*k->note));
	if (!k->note)
		return -ENOMEM;
	memset(k->note, 0, sizeof(*k->note));
	k->batch = shared_alloc(batch_size);
	if (k->batch)
		k->batch_size = batch_size;
	/* Both ways: the keeper says it holds the files; collect's end closing is its cue. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock) < 0)
		goto fail;
	pid = fork();
	if (pid == 0) {
		close(sock[1]);
		keeper_main(sock[0], k->batch, k->note);
	}
	close(sock[0]);
	if (pid < 0) {
		close(sock[1]);
		goto fail;
	}
	k->pid = pid;
	k->sock = sock[1];
	return 0;
fail:
	shared_free(k->batch, k->batch_size);
	shared_free(k->note, sizeof(*k->note));
	*k = (struct br_keeper)BR_KEEPER_INIT;
	return -errno;
}

int br_keeper_arm(struct br_keeper *k, int file_fd, int pipe_fd, int lock_dirfd, const char *path)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} control;
	char text[PATH_MAX + 2], ready;
	int fds[3], nr = 0;
	struct iovec iov = { .iov_base = text };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
	};
	struct cmsghdr *c;
	ssize_t n;

	if (!k->pid)
		return -ESRCH;
	iov.iov_len = snprintf(text, sizeof(text), "%c%c%s", pipe_fd >= 0 ? '1' : '0',
			       lock_dirfd >= 0 ? '1' : '0', path);
	if (iov.iov_len >= sizeof(text))
		iov.iov_len = sizeof(text) - 1;
	fds[nr++] = file_fd;
	if (pipe_fd >= 0)
		fds[nr++] = pipe_fd;
	if (lock_dirfd >= 0)
		fds[nr++] = lock_dirfd;
	msg.msg_controllen = CMSG_SPACE(nr * sizeof(int));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nr * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nr * sizeof(int));
	do
		n = sendmsg(k->sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	/* Armed once it holds them: a kill right after the first read finds it ready. */
	if (n > 0)
		do
			n = read(k->sock, &ready, 1);
		while (n < 0 && errno == EINTR);
	if (n <= 0) {
		br_keeper_stop(k);
		return -EIO;
	}
	k->armed = true;
	return 0;
}

void br_keeper_stop(struct br_keeper *k)
{
	if (k->pid) {
		set_state(k, KEEP_DONE);
		close(k->sock);
		while (waitpid(k->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	shared_free(k->batch, k->batch_size);
	shared_free(k->note, sizeof(*k->note));
	*k = (struct br_keeper)BR_KEEPER_INIT;
}
