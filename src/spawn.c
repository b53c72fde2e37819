/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Launch: fork the session's reaper (src/reaper.c), which forks the command; set the command
 * up, exec; then relay the terminal, forward signals, and end the session through the reaper,
 * which kills whatever the command left behind (and does so too if airlock dies).
 *
 * Child order, and why:
 *   1. signals back to defaults, own session (setsid): the sandbox gets its own process group
 *      and session, so kill(0), killpg and the terminal's job control never reach airlock.
 *   2. PR_SET_PDEATHSIG(SIGKILL), then check that the parent (the reaper) did not die before
 *      it took effect: if the reaper dies, the command dies (fail closed).
 *   3. the pty slave as controlling terminal and stdio, cwd.
 *   4. no_new_privs (required by both below, and it neutralises setuid binaries), then
 *      Landlock, then seccomp: the filter goes last so it never has to allow the calls that
 *      set up the sandbox itself.
 *   5. every fd but 0-2 and the declared ones marked close-on-exec, exec.
 * Nothing between fork and exec allocates or uses stdio: a failure writes {step, errno} to a
 * close-on-exec pipe and _exit()s; an empty read on the parent's side means exec succeeded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/seccomp.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "audit.h"
#include "filter.h"
#include "notify.h"
#include "control.h"
#include "dirs.h"
#include "env.h"
#include "ptyrelay.h"
#include "reaper.h"
#include "sdk.h"
#include "ttyapprove.h"
#include "sandbox.h"
#include "util.h"

enum child_step {
	STEP_SIGNALS,
	STEP_SETSID,
	STEP_PDEATHSIG,
	STEP_TTY,
	STEP_CHDIR,
	STEP_NNP,
	STEP_LANDLOCK,
	STEP_SECCOMP,
	STEP_LISTENER,
	STEP_FDS,
	STEP_EXEC,
};

static const char *const step_names[] = {
	[STEP_SIGNALS] = "reset signal handling",
	[STEP_SETSID] = "start a new session",
	[STEP_PDEATHSIG] = "tie the sandbox's life to airlock's",
	[STEP_TTY] = "attach the terminal",
	[STEP_CHDIR] = "change to the working directory",
	[STEP_NNP] = "set no_new_privs",
	[STEP_LANDLOCK] = "apply the Landlock ruleset",
	[STEP_SECCOMP] = "install the seccomp filter",
	[STEP_LISTENER] = "hand the seccomp listener to the supervisor",
	[STEP_FDS] = "close inherited file descriptors",
	[STEP_EXEC] = "execute",
};

struct child_report {
	int32_t step;
	int32_t err;
};

struct child_args {
	const struct airlock_sandbox *sb;
	const struct pty *pty;
	const char *path;
	char *const *argv;
	const char *cwd;
	const struct airlock_run_opts *opts;
	pid_t parent;
	int report_fd;
	int listener_sock; /* supervised: where the listener goes, else -1 */
	int sdk_sock;      /* supervised: the SDK channel's child end, kept across exec, else -1 */
	char *const *envp;
	sigset_t mask;
};

/* Send fd over sock with SCM_RIGHTS. No allocation: safe between fork and exec. */
static int send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	memset(u.buf, 0, sizeof(u.buf));
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* Receive the listener; -EPIPE when the child went away without sending one. */
static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -EPIPE;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)) || (m.msg_flags & MSG_CTRUNC))
		return -EBADMSG;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static _Noreturn void child_fail(const struct child_args *a, enum child_step step, int err)
{
	struct child_report rep = { step, err < 0 ? -err : err };
	ssize_t n = write(a->report_fd, &rep, sizeof(rep));
	(void)n;
	_exit(127);
}

/*
 * A sandbox run by root must not keep root's powers over the rest of the system: with
 * CAP_SYS_PTRACE it could read airlock's /proc files despite Landlock, with CAP_SYS_ADMIN,
 * CAP_NET_ADMIN, CAP_SYS_MODULE and friends reach the kernel. It keeps only what file
 * ownership needs (a root agent in a container still owns its files); Landlock confines where
 * those apply. For other users this changes nothing: they hold no capabilities.
 * Test: tests/attacks P03 (run as root).
 */
static const uint64_t kept_caps = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |
				  (1ULL << CAP_DAC_READ_SEARCH) | (1ULL << CAP_FOWNER) |
				  (1ULL << CAP_FSETID) | (1ULL << CAP_SETGID) | (1ULL << CAP_SETUID) |
				  (1ULL << CAP_NET_BIND_SERVICE);

static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	for (int cap = 0; cap < 64; cap++)
		if (!(kept_caps & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL && errno != EPERM)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t keep = (uint32_t)(kept_caps >> (32 * i));
		d[i].effective &= keep;
		d[i].permitted &= keep;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

static _Noreturn void child_main(const struct child_args *a)
{
	int r;

	for (int sig = 1; sig < _NSIG; sig++) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigaction(sig, &sa, NULL); /* fails harmlessly for SIGKILL, SIGSTOP, glibc's own */
	}
	if (sigprocmask(SIG_SETMASK, &a->mask, NULL) < 0)
		child_fail(a, STEP_SIGNALS, errno);
	if (setsid() < 0)
		child_fail(a, STEP_SETSID, errno);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(a, STEP_PDEATHSIG, errno);
	if (getppid() != a->parent)
		_exit(127); /* airlock is already gone; nobody to report to */
	if ((r = pty_child_attach(a->pty)) < 0)
		child_fail(a, STEP_TTY, r);
	if (a->opts->flags & AIRLOCK_RUN_STDIO) {
		/* Out of the way first, so that {1, 0, 2} and the like come out right. */
		int high[3];
		for (int i = 0; i < 3; i++)
			if ((high[i] = fcntl(a->opts->stdio[i], F_DUPFD_CLOEXEC, 10)) < 0)
				child_fail(a, STEP_FDS, errno);
		for (int i = 0; i < 3; i++)
			if (dup2(high[i], i) < 0)
				child_fail(a, STEP_FDS, errno);
	}
	if (a->cwd && chdir(a->cwd) < 0)
		child_fail(a, STEP_CHDIR, errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(a, STEP_NNP, errno);
	if ((r = drop_capabilities()) < 0)
		child_fail(a, STEP_NNP, r);
	if ((r = ll_restrict_self(a->sb->ruleset_fd, &a->sb->abi)) < 0)
		child_fail(a, STEP_LANDLOCK, r);
	if (a->listener_sock >= 0) {
		/* One filter, one listener. WAIT_KILLABLE_RECV (5.19): once the supervisor has a
		 * request, only a fatal signal interrupts the caller, so timer signals cannot
		 * restart it in a loop; older kernels get the plain listener. */
		int listener = filter_install(&a->sb->prog, SECCOMP_FILTER_FLAG_NEW_LISTENER |
								    AIRLOCK_FILTER_FLAG_WAIT_KILLABLE_RECV);
		if (listener == -EINVAL)
			listener = filter_install(&a->sb->prog, SECCOMP_FILTER_FLAG_NEW_LISTENER);
		if (listener < 0)
			child_fail(a, STEP_SECCOMP, listener);
		/* sendmsg is not trapped, so handing the listener over cannot wait on itself. */
		if ((r = send_fd(a->listener_sock, listener)) < 0)
			child_fail(a, STEP_LISTENER, r);
		close(listener);
		close(a->listener_sock);
	} else if ((r = filter_install(&a->sb->prog, 0)) < 0) {
		child_fail(a, STEP_SECCOMP, r);
	}
	/* Everything above fd 2 goes at exec (the report pipe too, which is how the parent
	 * learns exec succeeded), except what the caller declared. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(a, STEP_FDS, errno);
	for (uint32_t i = 0; i < a->opts->n_keep_fds; i++)
		if (fcntl(a->opts->keep_fds[i], F_SETFD, 0) < 0)
			child_fail(a, STEP_FDS, errno);
	if (a->sdk_sock >= 0 && fcntl(a->sdk_sock, F_SETFD, 0) < 0)
		child_fail(a, STEP_FDS, errno);
	execve(a->path, a->argv, a->envp);
	child_fail(a, STEP_EXEC, errno);
}

/* PATH lookup with the child's PATH, done before fork so that errors are precise.
 * Returns 0, -ENOENT or -EACCES (found but not executable). */
static int find_command(const struct airlock_sandbox *sb, const char *cmd, char **ret)
{
	if (strchr(cmd, '/')) {
		*ret = strdup(cmd);
		return *ret ? 0 : -ENOMEM;
	}
	const char *path = "/usr/local/bin:/usr/bin:/bin";
	for (char **e = sb->envp; e && *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	int r = -ENOENT;
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *cand = path_join(*dir ? dir : ".", cmd);
		struct stat st;
		if (!cand)
			return -ENOMEM;
		if (stat(cand, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (access(cand, X_OK) < 0) {
			r = -EACCES;
			continue;
		}
		*ret = TAKE_PTR(cand);
		return 0;
	}
	return r;
}

static void child_start(void *arg)
{
	child_main(arg);
}

/* One message from the reaper: 1, 0 at end of file, or -errno. */
static int reaper_read(int fd, struct reaper_msg *m)
{
	ssize_t n;
	do
		n = recv(fd, m, sizeof(*m), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	return n == sizeof(*m) ? 1 : -EBADMSG;
}

/* Read one message; true once the command's wait status is known (*status set). A reaper
 * that is gone without a word took the command with it (PR_SET_PDEATHSIG): SIGKILL. */
static bool reaper_status(int fd, int *status)
{
	struct reaper_msg m;
	int r = reaper_read(fd, &m);
	if (r > 0 && m.kind != REAPER_STATUS)
		return false;
	*status = r > 0 ? m.value : SIGKILL;
	return true;
}

/* End the session: the reaper kills everything left of the sandbox, reports the command's
 * status if it has not yet (*have false), and exits; we reap it. */
static void reaper_end(int fd, pid_t reaper, bool *have, int *status)
{
	shutdown(fd, SHUT_WR);
	while (!*have)
		*have = reaper_status(fd, status);
	while (waitpid(reaper, NULL, 0) < 0 && errno == EINTR)
		;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 125;
}

static void describe_exec_failure(struct airlock_sandbox *sb, const char *path, int err)
{
	struct strbuf b = { 0 };
	sb_append_escaped(&b, path);
	const char *p = b.s ? b.s : "";
	if (err == EACCES && !floor_grants(sb->policy, path, AIRLOCK_ACCESS_EXEC)) {
		sandbox_error(sb, -EACCES,
			      "cannot execute %s: denied by the policy (no exec rule covers it; "
			      "allow it with -x DIR)", p);
	} else if (err == ENOENT) {
		sandbox_error(sb, -ENOENT, "cannot execute %s: %s (or its interpreter is missing)", p,
			      strerror(err));
	} else {
		sandbox_error(sb, -err, "cannot execute %s: %s", p, strerror(err));
	}
	sb_done(&b);
}

/* The trail's live lines: to the host's callback and to `airlock log -f`. */
static void audit_line(const char *line, size_t len, void *userdata)
{
	struct airlock_sandbox *sb = userdata;
	if (sb->event_fn)
		sb->event_fn(line, sb->event_data);
	if (sb->control)
		control_audit_line(sb->control, line, len);
}

int sandbox_run(struct airlock_sandbox *sb, const struct airlock_run_opts *o, int *ret_status)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_strv_free_ char **own_env = NULL;
	_cleanup_free_ char *trail = NULL;
	_cleanup_close_ int sfd = -EBADF, rd = -EBADF, wr = -EBADF, lparent = -EBADF, lchild = -EBADF,
			    reaper_fd = -EBADF, sdk_parent = -EBADF, sdk_child = -EBADF;
	struct pty pty = { .master = -1, .slave = -1 };
	sigset_t block, old;
	int r, status = 0;

	if (sb->ran)
		return sandbox_error(sb, -EALREADY, "this sandbox already ran a command");
	sb->ran = true;
	if (sb->supervised && sb->audit_path && !sb->sup.audit) {
		r = audit_open(sb->audit_path, &sb->sup.audit);
		if (r < 0)
			return sandbox_error(sb, r, "cannot open the audit file %s: %s", sb->audit_path,
					     strerror(-r));
	}
	if (sb->supervised && !sb->sup.audit) {
		/* Every session keeps a trail: $XDG_STATE_HOME/airlock/audit/<session>.jsonl,
		 * size-capped and rotated. Without one, the session still runs. */
		char dir[PATH_MAX];
		r = audit_dir_for_user(dir, sizeof(dir));
		if (r == 0)
			r = audit_open_session(dir, sb->sup.session, 0, 0, &sb->sup.audit);
		if (r == 0)
			trail = path_join(dir, sb->sup.session);
		if (r < 0) {
			sandbox_log(sb, AIRLOCK_LOG_WARNING, "no audit trail for this session: %s",
				    strerror(-r));
			audit_open_null(&sb->sup.audit); /* `airlock log -f` still works */
		}
	}

	r = find_command(sb, o->argv[0], &path);
	if (r < 0) {
		struct strbuf b = { 0 };
		sb_append_escaped(&b, o->argv[0]);
		sandbox_error(sb, r, r == -ENOENT ? "%s: command not found" : "%s: %s",
			      b.s ? b.s : "", strerror(-r));
		sb_done(&b);
		return r;
	}
	if ((o->flags & AIRLOCK_RUN_PTY_AUTO) && !(o->flags & AIRLOCK_RUN_STDIO) && (r = pty_open(&pty)) < 0)
		return sandbox_error(sb, r, "cannot allocate a pty: %s", strerror(-r));
	if (pty.master >= 0) {
		/* Its own terminal, by name too (/dev/tty is granted by the profiles); no other
		 * terminal of the user's is. */
		r = ll_add_path(&sb->abi, sb->ruleset_fd, pty.name, AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE);
		if (r == 0)
			r = policy_add_floor(sb->policy, pty.name, AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE,
					     "the session's terminal");
		if (r < 0) {
			pty_close(&pty);
			return sandbox_error(sb, r, "cannot grant the session's terminal: %s", strerror(-r));
		}
	}

	sigemptyset(&block);
	int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		sigaddset(&block, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0) {
		r = sandbox_error(sb, negative_errno(), "sigprocmask: %m");
		goto out;
	}
	sfd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		r = sandbox_error(sb, negative_errno(), "signalfd: %m");
		goto out_mask;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = sandbox_error(sb, negative_errno(), "pipe: %m");
		goto out_mask;
	}
	rd = pfd[0];
	wr = pfd[1];
	int rsock[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rsock) < 0) {
		r = sandbox_error(sb, negative_errno(), "socketpair: %m");
		goto out_mask;
	}
	reaper_fd = rsock[0];
	int lsock[2] = { -1, -1 };
	if (sb->supervised && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, lsock) < 0) {
		r = sandbox_error(sb, negative_errno(), "socketpair: %m");
		goto out_mask;
	}
	lparent = lsock[0];
	lchild = lsock[1];
	if (sb->supervised) {
		/* The SDK channel: every process of the session inherits the child end. */
		int k[2];
		char kv[64];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, k) < 0) {
			r = sandbox_error(sb, negative_errno(), "socketpair: %m");
			goto out_mask;
		}
		sdk_parent = k[0];
		sdk_child = k[1];
		snprintf(kv, sizeof(kv), "AIRLOCK_SOCKET_FD=%d", sdk_child);
		if ((r = env_put(&sb->envp, kv)) < 0) {
			sandbox_error(sb, r, "out of memory");
			goto out_mask;
		}
	}

	/* The host's own environment for the command: its choice, minus what injects code. */
	r = 0;
	if (o->envp) {
		for (size_t i = 0; o->envp[i] && r >= 0; i++) {
			const char *e = o->envp[i];
			size_t n = strcspn(e, "=");
			_cleanup_free_ char *name = strndup(e, n);
			if (!name || !e[n]) {
				r = name ? 0 : -ENOMEM;
				continue;
			}
			if (env_is_injection(name) || !strcmp(name, "TMPDIR") || !strcmp(name, "AIRLOCK") ||
			    !strcmp(name, "AIRLOCK_SOCKET_FD"))
				continue;
			r = env_put(&own_env, e);
		}
		for (char **e = sb->envp; e && *e && r >= 0; e++)
			if (!strncmp(*e, "TMPDIR=", 7) || !strncmp(*e, "AIRLOCK=", 8) ||
			    !strncmp(*e, "AIRLOCK_SOCKET_FD=", 18))
				r = env_put(&own_env, *e);
		if (r < 0) {
			r = sandbox_error(sb, r, "out of memory");
			goto out_mask;
		}
	}
	r = 0;
	struct child_args args = {
		.sb = sb, .pty = &pty, .path = path, .argv = (char *const *)o->argv,
		.cwd = o->cwd, .opts = o, .parent = getpid(), .report_fd = wr, .mask = old,
		.listener_sock = lchild, .sdk_sock = sdk_child, .envp = own_env ? own_env : sb->envp,
	};
	fflush(NULL);
	pid_t reaper = fork();
	if (reaper < 0) {
		close(rsock[1]);
		r = sandbox_error(sb, negative_errno(), "fork: %m");
		goto out_mask;
	}
	if (reaper == 0) {
		args.parent = getpid();
		filter_set_reaper_pid(&sb->prog, args.parent); /* kernels without the signal scope */
		reaper_main(rsock[1], sb->tmpdir, child_start, &args);
	}
	close(rsock[1]);
	struct reaper_msg msg;
	r = reaper_read(reaper_fd, &msg);
	if (r <= 0 || msg.kind != REAPER_PID) {
		int err = r < 0 ? -r : r == 0 ? EPIPE : msg.kind == REAPER_FORK_FAILED ? msg.value : EBADMSG;
		while (waitpid(reaper, NULL, 0) < 0 && errno == EINTR)
			;
		r = sandbox_error(sb, -err, "fork: %s", strerror(err));
		goto out_mask;
	}
	pid_t pid = msg.value;
	bool child_done = false;
	atomic_store(&sb->child, pid);

	wr = safe_close(wr);
	pty.slave = safe_close(pty.slave);
	lchild = safe_close(lchild);
	sdk_child = safe_close(sdk_child);

	if (sb->supervised) {
		/* The child sends the listener before it execs; an empty read means it failed
		 * first, and the report below says why. */
		int listener = recv_fd(lparent);
		if (listener >= 0) {
			r = supervisor_start(&sb->sup, listener);
			if (r < 0) {
				close(listener);
				kill(pid, SIGKILL);
				reaper_end(reaper_fd, reaper, &child_done, &status);
				r = sandbox_error(sb, -ECHILD, "cannot start the supervisor: %s", strerror(-r));
				goto out_mask;
			}
			r = sdk_server_start(&sb->sup, sdk_parent, &sb->sup.sdk);
			if (r < 0)
				sandbox_log(sb, AIRLOCK_LOG_WARNING, "the SDK channel is not served: %s",
					    strerror(-r));
			else
				sdk_parent = -EBADF; /* the server's now */
		}
	}

	struct child_report rep;
	ssize_t n;
	do
		n = read(rd, &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(rep)) {
		reaper_end(reaper_fd, reaper, &child_done, &status);
		if (sb->supervised)
			supervisor_stop(&sb->sup);
		if (rep.step == STEP_EXEC)
			describe_exec_failure(sb, path, rep.err);
		else if (rep.step == STEP_SECCOMP && rep.err == EBUSY)
			sandbox_error(sb, -ECHILD, "cannot supervise: another seccomp listener is already "
				      "in place (is airlock running inside a sandbox that supervises system "
				      "calls?); run with --static for the floor without a supervisor");
		else
			sandbox_error(sb, -ECHILD, "cannot %s: %s",
				      step_names[rep.step >= 0 && rep.step <= STEP_EXEC ? rep.step : STEP_EXEC],
				      strerror(rep.err));
		r = rep.step == STEP_EXEC ? -rep.err : -ECHILD;
		goto out_mask;
	}

	if (sb->supervised && (o->flags & AIRLOCK_RUN_PROMPT) && !sb->sup.approve_cmd &&
	    pty.master >= 0 && pty.in_fd >= 0 && pty.out_fd >= 0) {
		char dir[PATH_MAX];
		_cleanup_free_ char *always = dirs_config(dir, sizeof(dir)) == 0 ? path_join(dir, "always.json") : NULL;
		r = supervisor_enable_prompt(&sb->sup, always);
		if (r < 0)
			sandbox_log(sb, AIRLOCK_LOG_WARNING, "no terminal prompt: %s", strerror(-r));
		else
			sandbox_log(sb, AIRLOCK_LOG_NOTICE, "requests to approve appear here, marked "
				    "\u27e6%s\u27e7 (nothing else can show that mark)", sb->sup.tty.tag);
	}
	if (sb->supervised) {
		r = control_start(sb, o->argv, o->cwd, &sb->control);
		if (r < 0)
			sandbox_log(sb, AIRLOCK_LOG_WARNING, "no control channel for this session "
				    "(airlock ps, grant, token): %s", strerror(-r));
	}
	if (sb->sup.audit)
		audit_set_listener(sb->sup.audit, audit_line, sb);
	if (pty.master >= 0) {
		pty_make_raw(&pty);
		fcntl(pty.master, F_SETFL, fcntl(pty.master, F_GETFL) | O_NONBLOCK);
	}

	bool master_open = pty.master >= 0, input_open = pty.master >= 0 && pty.in_fd >= 0;
	/* The command's end comes from the reaper (its parent), as a message. */
	while (!child_done || master_open) {
		struct pollfd p[5] = {
			{ sfd, POLLIN, 0 },
			{ master_open ? pty.master : -1, POLLIN, 0 },
			{ input_open ? pty.in_fd : -1, POLLIN, 0 },
			{ child_done ? -1 : reaper_fd, POLLIN, 0 },
			{ sb->sup.tty.terminal && !child_done ? sb->sup.tty.wake_fd : -1, POLLIN, 0 },
		};
		/* Once the command is gone, drain what it wrote, but never wait on it. */
		int timeout = child_done ? 0 : -1;
		int k = poll(p, 5, timeout);
		if (k < 0 && errno != EINTR)
			break;
		if (k == 0 && child_done)
			break;
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
			child_done = reaper_status(reaper_fd, &status);

		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGWINCH:
					pty_sync_winsize(&pty);
					break;
				case SIGINT:
				case SIGTERM:
				case SIGHUP:
				case SIGQUIT:
					/* To the sandbox's own process group, and on a pty to the
					 * job in its foreground (a shell's job control). */
					kill(-pid, (int)si.ssi_signo);
					if (pty.master >= 0) {
						pid_t fg = tcgetpgrp(pty.master);
						if (fg > 0 && fg != pid)
							kill(-fg, (int)si.ssi_signo);
					}
					break;
				default:
					break; /* SIGTSTP/SIGTTIN/SIGTTOU/SIGPIPE: ours to ignore */
				}
			}
		}
		/* A request for the person at the terminal: the prompt owns the terminal until it
		 * is answered (the child's output waits in the pty, its input is not read). */
		bool prompted = false;
		if (p[4].revents & POLLIN) {
			sandbox_hold_log(sb, true);
			prompted = tty_approve_pending(&sb->sup, pty.in_fd, pty.out_fd,
						       sb->sup.approve_timeout_ms);
			sandbox_hold_log(sb, false);
		}
		if (prompted) {
			/* Full-screen programs redraw on a size change: make one. */
			struct winsize ws, w2;
			if (ioctl(pty.master, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1) {
				w2 = ws;
				w2.ws_row--;
				ioctl(pty.master, TIOCSWINSZ, &w2);
				ioctl(pty.master, TIOCSWINSZ, &ws);
			}
			continue;
		}
		if (master_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[16384];
			ssize_t m = read(pty.master, buf, sizeof(buf));
			if (m > 0 && pty.out_fd >= 0)
				fd_write_all(pty.out_fd, buf, (size_t)m);
			else if (m == 0 || (errno != EAGAIN && errno != EINTR))
				master_open = false; /* EIO: every holder of the slave is gone */
		}
		if (input_open && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[4096];
			ssize_t m = read(pty.in_fd, buf, sizeof(buf));
			if (m > 0)
				fd_write_all(pty.master, buf, (size_t)m);
			else if (m == 0 || (errno != EAGAIN && errno != EINTR))
				input_open = false;
		}
	}
	atomic_store(&sb->child, 0);
	reaper_end(reaper_fd, reaper, &child_done, &status);
	if (sb->supervised)
		supervisor_stop(&sb->sup);
	/* The trail's last lines, to the file and to whoever follows it, before the control
	 * channel (and its followers) goes. */
	sb->sup.audit = audit_close(sb->sup.audit);
	if (trail) {
		/* A session that decided nothing beyond the floor leaves no empty trail behind. */
		struct stat st;
		_cleanup_free_ char *file = NULL;
		if (asprintf(&file, "%s.jsonl", trail) >= 0 && lstat(file, &st) == 0 &&
		    S_ISREG(st.st_mode) && st.st_size == 0)
			unlink(file);
	}
	sb->control = control_stop(sb->control);
	*ret_status = status_code(status);
	r = 0;
out_mask:
	atomic_store(&sb->child, 0);
	pty_close(&pty);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
out:
	pty_close(&pty);
	return r;
}
