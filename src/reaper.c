/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The session's reaper: the one process between airlock and the sandbox.
 *
 *	airlock (supervisor) ── reaper ── command ── everything it starts
 *
 * The reaper is a child subreaper, so every process of the sandbox stays its descendant
 * whatever it does (double forks, setsid, its parents dying): orphans are reparented to it,
 * not to init. When its socket to airlock reaches end of file, because airlock asked for the
 * end of the session or because airlock died (even of SIGKILL: the kernel closes the socket),
 * it kills every descendant and exits. So the sandbox never outlives its supervisor, and one
 * host's sessions never touch each other's processes or the host's own children.
 *
 * It stays outside the sandbox (no Landlock domain), so with Landlock's signal scope (ABI 6)
 * nothing in the sandbox can signal it. On older kernels a sandboxed process of the same user
 * could kill it; the command then dies too (its PR_SET_PDEATHSIG), and the rest of the tree
 * loses this guarantee, as it would if it could kill airlock itself.
 *
 * It is a fork of the host, possibly of a multithreaded one, and never execs: it uses system
 * calls only (no allocation, no stdio, no locks), and starts the command with clone().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdint.h>

#include "reaper.h"

static void tell(int sock, int32_t kind, int32_t value)
{
	struct reaper_msg m = { kind, value };
	ssize_t n;
	do
		n = send(sock, &m, sizeof(m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
}

/* "/proc/self/task/<tid>/children" without stdio. */
static void children_path(char *buf, size_t cap)
{
	static const char head[] = "/proc/self/task/", tail[] = "/children";
	char digits[16];
	int n = 0;
	for (unsigned v = (unsigned)getpid(); n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t len = 0;
	if (sizeof(head) + (size_t)n + sizeof(tail) > cap) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (n)
		buf[len++] = digits[--n];
	memcpy(buf + len, tail, sizeof(tail));
}

/* Our children (a single-threaded process: all of them are the main thread's). */
static size_t list_children(pid_t *out, size_t cap)
{
	char path[64], buf[4096];
	size_t n = 0;
	children_path(path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (const char *p = buf; *p && n < cap;) {
		while (*p == ' ' || *p == '\n')
			p++;
		if (*p < '0' || *p > '9')
			break;
		long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		out[n++] = (pid_t)v;
	}
	return n;
}

/*
 * Kill and reap every descendant. A killed process's children are reparented to us, so each
 * round takes the next generation; a process sent SIGKILL can no longer fork, so this ends.
 */
static void kill_all(pid_t command, int *status, bool *have_status)
{
	kill(-command, SIGKILL); /* the command's group, in one go */
	for (;;) {
		pid_t pids[512];
		size_t n = list_children(pids, sizeof(pids) / sizeof(pids[0]));
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		for (size_t i = 0; i < n; i++) {
			int st;
			pid_t w;
			do
				w = waitpid(pids[i], &st, 0);
			while (w < 0 && errno == EINTR);
			if (w == command && !*have_status) {
				*status = st;
				*have_status = true;
			}
		}
	}
	/* Anything listed nowhere (the children file can lag an exit): reap without waiting. */
	for (int st; waitpid(-1, &st, WNOHANG) > 0;)
		;
}

/*
 * rm -rf of (parent, name), for the session's TMPDIR once airlock is gone (it removes it itself
 * otherwise): system calls only, a symlink is unlinked and never entered, one filesystem's
 * worth of care is not needed (nothing is mounted there). Depth is bounded (the stack is the
 * host thread's); what lies deeper stays.
 */
static void remove_tree(int parent, const char *name, unsigned depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			unlinkat(parent, name, 0);
		return;
	}
	char buf[1024];
	long n;
	/* Unlinking while reading a directory is fine on Linux: nothing is returned twice. */
	while (depth < 32 && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64_head {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + off);
			off += de->reclen;
			if (strcmp(de->name, ".") && strcmp(de->name, ".."))
				remove_tree(fd, de->name, depth + 1);
		}
	}
	close(fd);
	unlinkat(parent, name, AT_REMOVEDIR);
}

static _Noreturn void fail(int sock, int err)
{
	tell(sock, REAPER_FORK_FAILED, err);
	_exit(1);
}

struct start_args {
	void (*start)(void *);
	void *arg;
	int sfd, sock;
};

static int command_main(void *p)
{
	const struct start_args *sa = p;
	/* Ours, not the command's (close-on-exec would do, but not on an early failure). */
	close(sa->sfd);
	close(sa->sock);
	sa->start(sa->arg); /* does not return */
	_exit(127);
}

_Noreturn void reaper_main(int sock, const char *tmpdir, void (*start)(void *), void *arg)
{
	pid_t airlock = getppid();
	sigset_t all;
	int status = 0;
	bool have_status = false;

	/* No handler of the host's ever runs here; SIGCHLD is read from a signalfd. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_NAME, "airlock-reaper");
	/* A process group of its own: a signal to airlock's group (the terminal's job control, or
	 * a sandbox on a kernel without Landlock's signal scope) never stops or kills it. */
	setpgid(0, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fail(sock, errno);
	}
	/* An inherited SIG_IGN (or SA_NOCLDWAIT) would have the kernel reap our children behind
	 * our back, without a SIGCHLD: the command's status would never come. */
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigaction(SIGCHLD, &dfl, NULL);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fail(sock, errno);
	}

	/*
	 * The command shares our memory until it execs (or fails), as with vfork: no second
	 * copy of the host's page tables. We are suspended meanwhile, and it runs on a stack of
	 * its own; it only reads our memory and the fds it inherits (which it closes at exec).
	 */
	struct start_args sa = { start, arg, sfd, sock };
	size_t stack_size = 256 * 1024;
	void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
			   -1, 0);
	if (stack == MAP_FAILED) {
		fail(sock, errno);
	}
	pid_t command = clone(command_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &sa);
	if (command < 0) {
		fail(sock, errno);
	}
	munmap(stack, stack_size);
	tell(sock, REAPER_PID, command);

	/* Hold nothing of the session's but the socket: the pty, the report pipe and the
	 * listener's socket must close when the command closes them. */
	int keep = fcntl(sock, F_DUPFD_CLOEXEC, 3);
	int keep_sfd = fcntl(sfd, F_DUPFD_CLOEXEC, keep + 1);
	if (keep < 0 || keep_sfd < 0) {
		kill_all(command, &status, &have_status);
		_exit(1);
	}
	syscall(SYS_close_range, 0U, (unsigned)keep - 1, 0U);
	syscall(SYS_close_range, (unsigned)keep + 1, (unsigned)keep_sfd - 1, 0U);
	syscall(SYS_close_range, (unsigned)keep_sfd + 1, ~0U, 0U);
	sock = keep;
	sfd = keep_sfd;

	for (;;) {
		struct pollfd p[2] = { { sock, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			/* The command's status, but the command stays a zombie until the end: its
			 * pid and process group cannot be recycled while airlock may still signal
			 * them (and kill_all() kills the group). Orphans are reaped as they go. */
			siginfo_t ci = { 0 };
			if (!have_status && waitid(P_PID, (id_t)command, &ci, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    ci.si_pid == command) {
				status = ci.si_code == CLD_EXITED ? (ci.si_status & 0xff) << 8
					 : (ci.si_status & 0x7f) | (ci.si_code == CLD_DUMPED ? 0x80 : 0);
				have_status = true;
				tell(sock, REAPER_STATUS, status);
			}
			pid_t kids[512];
			size_t nk = list_children(kids, sizeof(kids) / sizeof(kids[0]));
			for (size_t i = 0; i < nk; i++)
				if (kids[i] != command)
					waitpid(kids[i], NULL, WNOHANG);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			char c;
			ssize_t n = recv(sock, &c, 1, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				break; /* the end of the session, or airlock is gone */
		}
	}
	bool had = have_status;
	kill_all(command, &status, &have_status);
	if (!had && have_status)
		tell(sock, REAPER_STATUS, status);
	/* airlock died (we were reparented): nobody else will remove the session's TMPDIR. */
	if (getppid() != airlock && tmpdir && tmpdir[0] == '/')
		remove_tree(AT_FDCWD, tmpdir, 0);
	_exit(0);
}
