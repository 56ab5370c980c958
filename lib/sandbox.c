/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A child process for the libraries that parse trace.dat files. bootrace
 * checks a file's structure itself first (tracedat-check.c), but
 * libtracecmd and libtraceevent parse more than bootrace can check (event
 * formats, records), and a crash or an endless loop in them must become a
 * message and exit status 2, not a signal or a hang. The child gets an
 * address-space and a CPU-time limit, no core dumps, dies with its parent
 * and is killed when it overstays; it sends back what it found, encoded,
 * through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sandbox.h"

/* What the child may send back: a report of 100000 lines per CPU fits. */
#define SANDBOX_MAX_RESULT (1ULL << 30)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

static void put(struct br_wire *w, const void *p, size_t len)
{
	if (w->failed)
		return;
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		unsigned char *grown;

		while (cap < w->len + len)
			cap *= 2;
		grown = realloc(w->data, cap);
		if (!grown) {
			w->failed = true;
			return;
		}
		w->data = grown;
		w->cap = cap;
	}
	memcpy(w->data + w->len, p, len);
	w->len += len;
}

static bool get(struct br_wire *w, void *p, size_t len)
{
	if (w->failed || len > w->len - w->pos) {
		w->failed = true;
		return false;
	}
	memcpy(p, w->data + w->pos, len);
	w->pos += len;
	return true;
}

void br_wire_u64(struct br_wire *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

void br_wire_str(struct br_wire *w, const char *s)
{
	/* Length + 1, so that 0 stands for NULL. */
	br_wire_u64(w, s ? strlen(s) + 1 : 0);
	if (s)
		put(w, s, strlen(s));
}

uint64_t br_wire_get_u64(struct br_wire *w)
{
	uint64_t v = 0;

	get(w, &v, sizeof(v));
	return v;
}

char *br_wire_get_str(struct br_wire *w)
{
	uint64_t n = br_wire_get_u64(w);
	char *s;

	if (!n || w->failed)
		return NULL;
	if (n - 1 > w->len - w->pos) {
		w->failed = true;
		return NULL;
	}
	s = malloc(n);
	if (!s) {
		w->failed = true;
		return NULL;
	}
	get(w, s, n - 1);
	s[n - 1] = '\0';
	return s;
}

void br_wire_get_strbuf(struct br_wire *w, char *buf, size_t size)
{
	char *s = br_wire_get_str(w);

	snprintf(buf, size, "%s", s ? s : "");
	free(s);
}

void br_wire_free(struct br_wire *w)
{
	free(w->data);
	memset(w, 0, sizeof(*w));
}

/* ------------------------------------------------------------------ */
/* The child                                                           */
/* ------------------------------------------------------------------ */

void br_sandbox_limits_for(unsigned long long file_size, struct br_sandbox_limits *lim)
{
	/*
	 * libtracecmd maps the data it reads (and retries with smaller
	 * maps); the rest is event formats, symbols and bootrace's own
	 * tables. The CPU limit only stops a file that makes the readers
	 * loop: an honest file must never meet it, on an emulated guest
	 * either (a 2 MiB zstd file of 33,000 events took more than 5 s
	 * under TCG) and a version 7 file holds up to ~30 times its size.
	 * So a minute, and a second more for every 256 KiB.
	 */
	lim->memory = (1ULL << 30) + 2 * file_size;
	lim->seconds = 60 + file_size / (256ULL << 10);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

static void set_limit(int resource, rlim_t value)
{
	struct rlimit lim;

	/* Lower only: the hard limit we were given stays the ceiling. */
	if (getrlimit(resource, &lim))
		return;
	if (lim.rlim_max != RLIM_INFINITY && value > lim.rlim_max)
		value = lim.rlim_max;
	lim.rlim_cur = value;
	setrlimit(resource, &lim);
}

static _Noreturn void child(int out_fd, const struct br_sandbox_limits *lim,
			    int (*fn)(struct br_wire *, char *, size_t, void *), void *data)
{
	struct br_wire w = { 0 }, head = { 0 };
	char why[512] = "";
	int devnull, ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	set_limit(RLIMIT_CORE, 0);
	set_limit(RLIMIT_CPU, lim->seconds);
#ifndef UNDER_ASAN
	/* AddressSanitizer reserves terabytes of address space for itself. */
	if (lim->memory)
		set_limit(RLIMIT_AS, lim->memory);
#endif
	/* The libraries print notes on stdout; it is the parent's output. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, STDOUT_FILENO);
	ret = fn(&w, why, sizeof(why), data);
	if (!ret && w.failed)
		ret = -ENOMEM;
	br_wire_u64(&head, (uint64_t)(int64_t)ret);
	br_wire_str(&head, why);
	if (head.failed || write_all(out_fd, head.data, head.len) ||
	    (!ret && write_all(out_fd, w.data, w.len)))
		_exit(3);
	/* No atexit handlers: they are the parent's (and its stdio buffers). */
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The parent                                                          */
/* ------------------------------------------------------------------ */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Everything the child writes, until it closes the pipe or the time is up. */
static int receive(int fd, struct br_wire *in, long long deadline)
{
	unsigned char buf[65536];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		if (in->len + n > SANDBOX_MAX_RESULT)
			return -E2BIG;
		put(in, buf, n);
		if (in->failed)
			return -ENOMEM;
	}
}

static int judge_exit(int status, const struct br_sandbox_limits *lim, char *why,
		      size_t why_len)
{
	int sig;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) {
		snprintf(why, why_len, "the reader failed (exit status %d)", WEXITSTATUS(status));
		return -EIO;
	}
	sig = WTERMSIG(status);
	if (sig == SIGXCPU) {
		snprintf(why, why_len, "reading it took more than %u s of CPU", lim->seconds);
		return -ETIMEDOUT;
	}
	snprintf(why, why_len, "the reader crashed (signal %d, %s)", sig, strsignal(sig));
	return -EFAULT;
}

int br_sandbox_run(const struct br_sandbox_limits *lim,
		   int (*fn)(struct br_wire *out, char *why, size_t why_len, void *data),
		   void *data, struct br_wire *result, char *why, size_t why_len)
{
	struct br_wire in = { 0 };
	int pipefd[2], status = 0, ret;
	long long deadline;
	pid_t pid;

	memset(result, 0, sizeof(*result));
	why[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, why_len, "cannot start the reader: %s", strerror(errno));
		return -errno;
	}
	/* Nothing of ours buffered may be written twice by the child. */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		snprintf(why, why_len, "cannot start the reader: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return ret;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(pipefd[1], lim, fn, data);
	}
	close(pipefd[1]);
	deadline = now_ms() + 2000LL * lim->seconds;
	ret = receive(pipefd[0], &in, deadline);
	close(pipefd[0]);
	if (ret)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret == -ETIMEDOUT) {
		snprintf(why, why_len, "reading it did not finish in %u s", 2 * lim->seconds);
	} else if (ret) {
		snprintf(why, why_len, "cannot receive what the reader found: %s", strerror(-ret));
	} else {
		ret = judge_exit(status, lim, why, why_len);
		if (!ret) {
			ret = (int)(int64_t)br_wire_get_u64(&in);
			br_wire_get_strbuf(&in, why, why_len);
			if (in.failed) {
				snprintf(why, why_len, "the reader sent nothing it could have found");
				ret = -EIO;
			}
		}
	}
	if (ret) {
		br_wire_free(&in);
		return ret;
	}
	/* The caller decodes what follows the status. */
	*result = in;
	return 0;
}
