/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The external-command approver; the interface and the wire format are documented in
 * approver.h. Additions to the request beyond the header's example: "path_escaped": true and
 * "cmdline_escaped": true when that string was not valid UTF-8. Escaping is then reversible:
 * each invalid byte is written as the four characters \xNN and each backslash as \\, and an
 * answer's "path" is read back with the same rule, so an approver can echo the path it got.
 *
 * The supervisor is multithreaded, so the approver is started with posix_spawn (glibc uses
 * CLONE_VM|CLONE_VFORK: nothing runs between fork and exec in our address space), in its own
 * process group, with a clean signal mask and default dispositions, stdin and stdout on pipes,
 * stderr inherited, and every other descriptor closed. On return, nothing of its process
 * group survives: it is SIGKILLed (a no-op for an approver that is done) before the leader is
 * reaped; the unreaped leader pins the group id, so the kill cannot hit a recycled group.
 * Accepted limit: a descendant that leaves the group (setsid, setpgid) escapes the kill.
 *
 * The caller must not reap children with waitpid(-1, ...) or ignore SIGCHLD (SIG_IGN makes the
 * kernel reap them): both would take the exit status from us, and we would deny.
 */
#include "approver.h"
#include "jsonutil.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "grants.h"
#include "policy.h"
#include "util.h"

extern char **environ;

#define ANSWER_MAX (64 * 1024)
#define TTL_MAX_S (30ull * 24 * 3600)


/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid (as in util.c). */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	return utf8_decode(s, &cp);
}

/* A JSON string for s; NULL s is null. Invalid UTF-8 is escaped reversibly (see the top). */
static json_t *json_bytes(const char *s, bool *ret_escaped)
{
	if (ret_escaped)
		*ret_escaped = false;
	if (!s)
		return json_null();
	if (utf8_valid(s))
		return json_string(s);
	struct strbuf b = { 0 };
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n == 0) {
			sb_printf(&b, "\\x%02x", *p++);
		} else if (*p == '\\') {
			sb_append(&b, "\\\\");
			p++;
		} else {
			sb_appendn(&b, (const char *)p, n);
			p += n;
		}
	}
	_cleanup_free_ char *e = NULL;
	if (sb_take(&b, &e) < 0)
		return NULL;
	if (ret_escaped)
		*ret_escaped = true;
	return json_string(e);
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The inverse of json_bytes(): \\ and \xNN (NN not 00); any other backslash is an error. */
static int unescape_bytes(const char *s, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(s) + 1);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	while (*s) {
		if (*s != '\\') {
			out[o++] = *s++;
			continue;
		}
		if (s[1] == '\\') {
			out[o++] = '\\';
			s += 2;
			continue;
		}
		int hi, lo;
		if (s[1] != 'x' || (hi = unhex(s[2])) < 0 || (lo = unhex(s[3])) < 0 ||
		    (hi | lo) == 0)
			return -EINVAL;
		out[o++] = (char)(hi << 4 | lo);
		s += 4;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

static int build_request(const struct approval_request *rq, char **ret)
{
	_cleanup_json_ json_t *o = json_object();
	if (!o)
		return -ENOMEM;
	char acc[4];
	access_string(rq->access, acc);
	bool path_escaped, cmd_escaped;
	int r = 0;
	/* JSON numbers are signed (and exact only to 2^53): the id as a non-negative integer. */
	r |= json_object_set_new(o, "id", json_integer((json_int_t)(rq->id & ((UINT64_C(1) << 53) - 1))));
	r |= json_object_set_new(o, "pid", json_integer(rq->pid));
	r |= json_object_set_new(o, "cmdline", json_bytes(rq->cmdline, &cmd_escaped));
	r |= json_object_set_new(o, "operation", json_bytes(rq->operation, NULL));
	r |= json_object_set_new(o, "path", json_bytes(rq->path, &path_escaped));
	r |= json_object_set_new(o, "access", json_string(acc));
	r |= json_object_set_new(o, "session", json_bytes(rq->session, NULL));
	r |= json_object_set_new(o, "group", json_bytes(rq->group, NULL));
	if (path_escaped)
		r |= json_object_set_new(o, "path_escaped", json_true());
	if (cmd_escaped)
		r |= json_object_set_new(o, "cmdline_escaped", json_true());
	if (r != 0)
		return -ENOMEM;
	char *s = json_dumps(o, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	/* One line, so that `read` in a shell approver gets all of it. */
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return -ENOMEM;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*ret = line;
	return 0;
}

/* Copy at most sizeof(ret->reason)-1 bytes, never cutting a UTF-8 sequence in two. */
static void set_reason_str(struct approval_answer *ret, const char *s)
{
	size_t n = strlen(s);
	if (n >= sizeof(ret->reason)) {
		n = sizeof(ret->reason) - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(ret->reason, s, n);
	ret->reason[n] = '\0';
}

/* Our own text; anything that came from the approver goes through sb_append_escaped first. */
static void set_reason(struct approval_answer *ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_reason(struct approval_answer *ret, const char *fmt, ...)
{
	struct strbuf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	set_reason_str(ret, b.oom || !b.s ? "approver: out of memory" : b.s);
	sb_done(&b);
}

/* "prefix" + escaped(untrusted), for text that could rewrite a terminal. */
static void set_reason_untrusted(struct approval_answer *ret, const char *prefix,
				 const char *untrusted)
{
	struct strbuf b = { 0 };
	sb_append(&b, prefix);
	sb_append_escaped(&b, untrusted);
	set_reason_str(ret, b.oom || !b.s ? "approver: out of memory" : b.s);
	sb_done(&b);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Pipe ends at 3 or above, so that the dup2()s onto 0 and 1 in the child cannot collide. */
static int pipe_above_stdio(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return negative_errno();
	for (int i = 0; i < 2; i++) {
		if (fds[i] > 2)
			continue;
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			int r = negative_errno();
			safe_close(fds[0]);
			safe_close(fds[1]);
			return r;
		}
		safe_close(fds[i]);
		fds[i] = fd;
	}
	return 0;
}

static int spawn_sh(const char *cmd, int in_fd, int out_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int r;

	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&at);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -r;
	}
	sigemptyset(&none);
	sigfillset(&all);
	if ((r = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO)) != 0 ||
	    (r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO)) != 0 ||
	    /* Defence in depth: nothing of the supervisor's (listener, sockets) leaks, even
	     * a descriptor someone forgot to open O_CLOEXEC. */
	    (r = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0 ||
	    (r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						       POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (r = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (r = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (r = posix_spawnattr_setsigdefault(&at, &all)) != 0)
		goto out;
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	r = posix_spawn(ret_pid, "/bin/sh", &fa, &at, argv, environ);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

struct exchange {
	pid_t pid;
	int wfd, rfd, pidfd, cancel_fd;
	const char *req;
	size_t req_len, req_off;
	char *buf; /* ANSWER_MAX + 1 bytes */
	size_t len;
	bool eof, exited, overflow, timed_out, cancelled;
};

/* Read what is there. Returns false when the exchange must stop (overflow). */
static bool drain(struct exchange *x)
{
	while (!x->eof) {
		ssize_t n = read(x->rfd, x->buf + x->len, ANSWER_MAX + 1 - x->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return true;
			x->eof = true; /* treat a read error as the end of the answer */
			break;
		}
		if (n == 0) {
			x->eof = true;
			break;
		}
		x->len += (size_t)n;
		if (x->len > ANSWER_MAX) {
			x->overflow = true;
			return false;
		}
	}
	return true;
}

static void feed(struct exchange *x)
{
	while (x->wfd >= 0 && x->req_off < x->req_len) {
		/* SIGPIPE is blocked in this thread (see run_exchange): an approver that does not
		 * read its stdin costs us an EPIPE, not our life. */
		ssize_t n = write(x->wfd, x->req + x->req_off, x->req_len - x->req_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			/* EPIPE: it closed stdin before reading it all. Its answer counts. */
			x->wfd = safe_close(x->wfd);
			return;
		}
		x->req_off += (size_t)n;
	}
	if (x->wfd >= 0)
		x->wfd = safe_close(x->wfd); /* EOF for the approver */
}

static bool leader_exited(struct exchange *x)
{
	siginfo_t si = { 0 };
	/* WNOWAIT: the zombie leader keeps its pid (and so its group id) reserved until the
	 * group has been killed. */
	if (waitid(P_PID, (id_t)x->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD; /* someone else reaped it: nothing left to wait for */
	return si.si_pid != 0;
}

static void run_exchange(struct exchange *x, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	feed(x);
	while (!x->exited) {
		uint64_t now = now_ms();
		if (now >= deadline) {
			x->timed_out = true;
			return;
		}
		uint64_t left = deadline - now;
		struct pollfd p[4];
		nfds_t n = 0;
		int iw = -1, ir = -1, ip = -1, ic = -1;
		if (x->cancel_fd >= 0) {
			ic = (int)n;
			p[n++] = (struct pollfd){ .fd = x->cancel_fd, .events = POLLIN };
		}
		if (x->wfd >= 0) {
			iw = (int)n;
			p[n++] = (struct pollfd){ .fd = x->wfd, .events = POLLOUT };
		}
		if (!x->eof) {
			ir = (int)n;
			p[n++] = (struct pollfd){ .fd = x->rfd, .events = POLLIN };
		}
		if (x->pidfd >= 0) {
			ip = (int)n;
			p[n++] = (struct pollfd){ .fd = x->pidfd, .events = POLLIN };
		} else if (left > 10) {
			left = 10; /* no pidfd (Linux < 5.3): look at the leader every 10 ms */
		}
		int r = poll(p, n, (int)(left > INT32_MAX ? INT32_MAX : left));
		if (r < 0 && errno != EINTR) {
			x->timed_out = true; /* cannot wait properly: give up as on a timeout */
			return;
		}
		if (r <= 0 && x->pidfd >= 0)
			continue;
		if (ic >= 0 && p[ic].revents) {
			x->cancelled = true;
			return;
		}
		if (iw >= 0 && p[iw].revents)
			feed(x);
		if (ir >= 0 && p[ir].revents && !drain(x))
			return;
		if ((ip >= 0 && p[ip].revents) || (x->pidfd < 0 && leader_exited(x))) {
			/* The leader has exited, so everything it wrote is in the pipe: take that,
			 * and do not wait for EOF from descendants that still hold stdout. */
			x->exited = true;
			if (!drain(x))
				return;
		}
	}
}

/*
 * Block SIGPIPE in the calling thread for the exchange; on the way out, consume a SIGPIPE our
 * writes raised (not one that was pending before), then restore the mask. A SIGPIPE raised by
 * write() on a pipe is directed at the writing thread, so nothing else sees it.
 */
struct sigpipe_guard {
	sigset_t old;
	bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		const struct timespec zero = { 0, 0 };
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static void parse_answer(const char *buf, size_t len, const struct approval_request *rq,
			 bool path_escaped, struct approval_answer *ret)
{
	if (len == 0) {
		set_reason(ret, "approver printed no answer");
		return;
	}
	json_error_t err;
	_cleanup_json_ json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!o) {
		set_reason_untrusted(ret, "approver answer is not JSON: ", err.text);
		return;
	}
	if (!json_is_object(o)) {
		set_reason(ret, "approver answer is not a JSON object");
		return;
	}

	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		if (strcmp(key, "decision") && strcmp(key, "scope") && strcmp(key, "path") &&
		    strcmp(key, "ttl_s") && strcmp(key, "reason")) {
			struct strbuf b = { 0 };
			sb_append_escaped(&b, key);
			set_reason(ret, "approver answer has an unknown key \"%.64s\"",
				   b.s ? b.s : "");
			sb_done(&b);
			return;
		}
	}

	v = json_object_get(o, "decision");
	const char *d = json_string_value(v);
	bool allow;
	if (d && !strcmp(d, "allow"))
		allow = true;
	else if (d && !strcmp(d, "deny"))
		allow = false;
	else {
		set_reason(ret, "approver answer: \"decision\" must be \"allow\" or \"deny\"");
		return;
	}

	uint32_t scope = GRANT_ONCE;
	if ((v = json_object_get(o, "scope"))) {
		const char *s = json_string_value(v);
		if (s && !strcmp(s, "once"))
			scope = GRANT_ONCE;
		else if (s && !strcmp(s, "session"))
			scope = GRANT_SESSION;
		else {
			set_reason(ret,
				   "approver answer: \"scope\" must be \"once\" or \"session\"");
			return;
		}
	}

	uint64_t ttl = 0;
	if ((v = json_object_get(o, "ttl_s"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > TTL_MAX_S) {
			set_reason(ret,
				   "approver answer: \"ttl_s\" must be an integer from 0 to %llu",
				   TTL_MAX_S);
			return;
		}
		ttl = (uint64_t)json_integer_value(v);
	}

	const char *reason = NULL;
	if ((v = json_object_get(o, "reason"))) {
		if (!json_is_string(v)) {
			set_reason(ret, "approver answer: \"reason\" must be a string");
			return;
		}
		reason = json_string_value(v);
	}

	_cleanup_free_ char *norm = NULL;
	bool subtree = false;
	if ((v = json_object_get(o, "path"))) {
		const char *p = json_string_value(v);
		_cleanup_free_ char *raw = NULL;
		if (!p || (path_escaped && unescape_bytes(p, &raw) < 0) ||
		    path_normalize(raw ? raw : p, &norm) < 0 ||
		    strlen(norm) >= sizeof(ret->path)) {
			set_reason(ret, "approver answer: \"path\" must be an absolute path");
			return;
		}
		/*
		 * Invariant: an approver can widen a grant only to a directory that contains the
		 * requested object, never move it elsewhere: it answers the question it was asked.
		 * Test: test-approver widening_to_unrelated_path.
		 */
		if (!path_is_beneath(rq->path, norm)) {
			set_reason(ret, "approver widened the grant to an unrelated path");
			return;
		}
		/* A path named in the answer is granted with everything beneath it (for a
		 * file that is the file): an approver asked about a directory and answering
		 * with it means its contents too. */
		subtree = true;
	}

	if (!allow) {
		if (reason)
			set_reason_untrusted(ret, "approver denied: ", reason);
		else
			set_reason(ret, "approver denied");
		return;
	}
	ret->allow = true;
	ret->scope = scope;
	ret->subtree = subtree;
	ret->ttl_s = ttl;
	snprintf(ret->path, sizeof(ret->path), "%s", norm ? norm : rq->path);
	if (reason)
		set_reason_untrusted(ret, "", reason);
	else
		ret->reason[0] = '\0';
}

int approver_cmd_ask(const char *cmd, unsigned timeout_ms, const struct approval_request *rq,
		     struct approval_answer *ret)
{
	return approver_cmd_ask_cancellable(cmd, timeout_ms, rq, -1, ret);
}

int approver_cmd_ask_cancellable(const char *cmd, unsigned timeout_ms,
				 const struct approval_request *rq, int cancel_fd,
				 struct approval_answer *ret)
{
	int r;

	if (!ret)
		return -EINVAL;
	*ret = (struct approval_answer){ .allow = false, .scope = GRANT_ONCE };
	if (!cmd || !rq || !rq->path || rq->path[0] != '/' ||
	    strlen(rq->path) >= sizeof(ret->path) || timeout_ms == 0) {
		set_reason(ret, "approver: invalid request");
		return -EINVAL;
	}

	_cleanup_free_ char *req = NULL;
	r = build_request(rq, &req);
	if (r < 0) {
		set_reason(ret, "approver: cannot build the request: %s", errno_name(-r));
		return r;
	}
	bool path_escaped = !utf8_valid(rq->path);

	_cleanup_free_ char *buf = malloc(ANSWER_MAX + 1);
	if (!buf) {
		set_reason(ret, "approver: out of memory");
		return -ENOMEM;
	}

	int in[2], out[2];
	r = pipe_above_stdio(in);
	if (r < 0) {
		set_reason(ret, "approver could not be started: %s", errno_name(-r));
		return r;
	}
	_cleanup_close_ int in_r = in[0], in_w = in[1];
	r = pipe_above_stdio(out);
	if (r < 0) {
		set_reason(ret, "approver could not be started: %s", errno_name(-r));
		return r;
	}
	_cleanup_close_ int out_r = out[0], out_w = out[1];

	pid_t pid;
	r = spawn_sh(cmd, in_r, out_w, &pid);
	if (r < 0) {
		set_reason(ret, "approver could not be started: %s", errno_name(-r));
		return r;
	}
	in_r = safe_close(in_r);
	out_w = safe_close(out_w);
	/* Non-blocking on our ends: poll() decides, and a full pipe never stalls the deadline. */
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	fcntl(out_r, F_SETFL, O_NONBLOCK);
	_cleanup_close_ int pidfd = pidfd_open(pid, 0);

	struct exchange x = {
		.pid = pid,
		.wfd = TAKE_FD(in_w),
		.rfd = out_r,
		.pidfd = pidfd,
		.cancel_fd = cancel_fd,
		.req = req,
		.req_len = strlen(req),
		.buf = buf,
	};
	struct sigpipe_guard g;
	sigpipe_block(&g);
	run_exchange(&x, timeout_ms);
	x.wfd = safe_close(x.wfd);
	sigpipe_restore(&g);

	/* Whatever is left of the group goes (a timeout, an overflow, stray background jobs);
	 * the leader is not reaped yet, so -pid still names its group. */
	kill(-pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			set_reason(ret, "approver: lost its exit status (%s)", errno_name(errno));
			return 0;
		}
	}

	if (x.cancelled) {
		set_reason(ret, "the session ended before the approver answered");
		return 0;
	}
	if (x.timed_out) {
		set_reason(ret, "approver timed out after %u ms", timeout_ms);
		return 0;
	}
	if (x.overflow) {
		set_reason(ret, "approver answer is larger than %u KiB", ANSWER_MAX / 1024);
		return 0;
	}
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		set_reason(ret, "approver was killed by signal %d (SIG%s)", WTERMSIG(status),
			   name ? name : "?");
		return 0;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		set_reason(ret, "approver exited with status %d", WEXITSTATUS(status));
		return 0;
	}
	parse_answer(buf, x.len, rq, path_escaped, ret);
	return 0;
}
