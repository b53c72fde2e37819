/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The static seccomp filter on the running kernel. Each test (already a forked child) makes
 * its control calls first, then sets no_new_privs, installs the filter and repeats them.
 * Arguments are chosen so that an unfiltered call fails harmlessly (bad fd, NULL pointer,
 * missing path: bubblewrap's try-syscall trick), which tells "the filter said no" apart from
 * "the kernel said no". Calls that end the process (x32, int $0x80) run in a grandchild.
 */
#include <fcntl.h>
#include <pthread.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "filter.h"
#include "harness.h"

#define X32_BIT 0x40000000L
#define HI(v) ((long)((unsigned long)(v) << 32))
#define NOPATH "/nonexistent-airlock-test"

/* Newer than the installed kernel headers: numbers from the 6.18 x86_64 table. */
#define NR_fchmodat2 452
#define NR_setxattrat 463
#define NR_removexattrat 466
#define NR_open_tree_attr 467
#define NR_file_setattr 469

static const struct filter_opts opts_default = { .unix_sockets = true };

static void install(const struct filter_opts *opts)
{
	struct sock_fprog prog;

	ASSERT_EQ(0, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	ASSERT_EQ(0, filter_build(opts, &prog));
	ASSERT_EQ(0, filter_install(&prog, 0));
	filter_prog_done(&prog);
}

/* 0 if the raw syscall succeeded, else its errno. */
static int try_sys(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	errno = 0;
	long r = syscall(nr, a0, a1, a2, a3, a4, a5);
	return r < 0 ? errno : 0;
}

/* Same for a call that returns an fd on success (closed here). */
static int try_fd(long nr, long a0, long a1, long a2, long a3)
{
	errno = 0;
	long r = syscall(nr, a0, a1, a2, a3);
	if (r < 0)
		return errno;
	close((int)r);
	return 0;
}

struct live_case {
	const char *what;
	long nr;
	long args[6];
	int want;	  /* errno once the filter is installed */
	bool passthrough; /* the filter lets it through: the kernel's own answer, want */
	int control;	  /* errno before the filter */
};

/* A denial, and a call the filter must let through to the kernel. */
#define LIVE(nr, want, ...) { #nr "(" #__VA_ARGS__ ")", (nr), { __VA_ARGS__ }, (want), false, -1 }
#define PASS(nr, want, ...) { #nr "(" #__VA_ARGS__ ")", (nr), { __VA_ARGS__ }, (want), true, -1 }

static const char *errname(int e)
{
	const char *s = e > 0 ? strerrorname_np(e) : NULL;
	return s ? s : e == 0 ? "success" : "?";
}

/* Controls first (no filter yet), then the same calls filtered. For a denial, a control that
 * already gives the filter's errno proves nothing: as root it must differ (unprivileged, some
 * calls are EPERM for the kernel too). */
static void run_live(const struct filter_opts *opts, struct live_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const long *a = c[i].args;
		c[i].control = try_sys(c[i].nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	install(opts);
	for (size_t i = 0; i < n; i++) {
		const long *a = c[i].args;
		int got = try_sys(c[i].nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (got != c[i].want)
			TH_FAIL_(0, "%s: %s, want %s (control: %s)", c[i].what, errname(got),
				 errname(c[i].want), errname(c[i].control));
		else if (c[i].passthrough && c[i].control != got)
			TH_FAIL_(0, "%s: %s, but the kernel alone said %s", c[i].what,
				 errname(got), errname(c[i].control));
		else if (!c[i].passthrough && c[i].control == got && geteuid() == 0)
			TH_FAIL_(0, "%s: the control already gives %s", c[i].what, errname(got));
	}
}

/* Run fn in a grandchild with its own filter; returns its wait status. No core dumps. */
static int in_grandchild(void (*fn)(void), bool filtered)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		prctl(PR_SET_DUMPABLE, 0); /* before the filter, which would fake it */
		if (filtered)
			install(&opts_default);
		fn();
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	return status;
}

static void expect_sigsys(int status, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		TH_FAIL_(0, "%s: status 0x%x, want killed by SIGSYS", what, status);
}

static void x32_openat(void)
{
	syscall(X32_BIT | SYS_openat, AT_FDCWD, "/", O_RDONLY);
}

/* S02 */
TEST(x32_openat_killed)
{
	int status = in_grandchild(x32_openat, false);
	/* Control: without the filter the call returns (ENOSYS without CONFIG_X86_X32_ABI). */
	ASSERT_TRUE(WIFEXITED(status));
	expect_sigsys(in_grandchild(x32_openat, true), "x32 openat");
}

static long int80(long nr, long a0)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a0) : "memory", "r8", "r9", "r10",
			 "r11");
	return r;
}

static void i386_getpid(void)
{
	if (int80(20 /* i386 getpid */, 0) != getpid())
		_exit(3);
}

static void i386_chmod(void)
{
	int80(15 /* i386 chmod */, 0);
}

/* S01: the i386 table through int $0x80 from a 64-bit process. */
TEST(i386_int80_killed)
{
	int status = in_grandchild(i386_getpid, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		SKIP("int $0x80 does not reach the i386 table (ia32 emulation off)");
	expect_sigsys(in_grandchild(i386_getpid, true), "int80 getpid");
	expect_sigsys(in_grandchild(i386_chmod, true), "int80 chmod");
}

/* S03, S10: ENOSYS makes programs fall back. */
TEST(enosys_io_uring_clone3)
{
	struct live_case c[] = {
		LIVE(SYS_io_uring_setup, ENOSYS, 1, 0),
		LIVE(SYS_io_uring_enter, ENOSYS, -1, 0, 0, 0, 0, 0),
		LIVE(SYS_io_uring_register, ENOSYS, -1, 0, 0, 0),
		LIVE(SYS_clone3, ENOSYS, 0, 0),
	};
	run_live(&opts_default, c, ELEMENTSOF(c));
}

static void *thread_fn(void *arg)
{
	return arg;
}

/* Positive control for clone3 → ENOSYS: glibc falls back to clone for threads and fork. */
TEST(threads_and_fork_still_work)
{
	pthread_t t;
	void *ret = NULL;
	int status;

	install(&opts_default);
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, (void *)0x42));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_TRUE(ret == (void *)0x42);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(7);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

/* S04, S09, S10, S11, S12 */
TEST(eperm_group)
{
	struct live_case c[] = {
		LIVE(SYS_open_by_handle_at, EPERM, -1, 0, O_RDONLY),
		LIVE(SYS_name_to_handle_at, EPERM, AT_FDCWD, 0, 0, 0, 0),
		LIVE(SYS_keyctl, EPERM, 0xdead, 0, 0, 0, 0),
		LIVE(SYS_add_key, EPERM, 0, 0, 0, 0, 0),
		LIVE(SYS_request_key, EPERM, 0, 0, 0, 0),
		LIVE(SYS_bpf, EPERM, -1, 0, 0),
		LIVE(SYS_perf_event_open, EPERM, 0, 0, -1, -1, 0),
		LIVE(SYS_userfaultfd, EPERM, ~0L),
		LIVE(SYS_fanotify_init, EPERM, ~0L, 0),
		LIVE(SYS_mount, EPERM, (long)"none", (long)NOPATH, (long)"tmpfs", 0, 0),
		LIVE(SYS_umount2, EPERM, (long)NOPATH, 0),
		LIVE(SYS_fsopen, EPERM, 0, 0),
		LIVE(SYS_fsconfig, EPERM, -1, 0, 0, 0, 0),
		LIVE(SYS_fsmount, EPERM, -1, 0, 0),
		LIVE(SYS_fspick, EPERM, -1, 0, 0),
		LIVE(SYS_open_tree, EPERM, -1, 0, 0),
		LIVE(NR_open_tree_attr, EPERM, -1, 0, 0, 0, 0),
		LIVE(SYS_move_mount, EPERM, -1, 0, -1, 0, 0),
		LIVE(SYS_mount_setattr, EPERM, -1, 0, 0, 0, 0),
		LIVE(SYS_pivot_root, EPERM, 0, 0),
		LIVE(SYS_chroot, EPERM, (long)NOPATH),
		LIVE(SYS_unshare, EPERM, 1 /* invalid flag: EINVAL unfiltered */),
		LIVE(SYS_setns, EPERM, -1, 0),
		LIVE(SYS_ptrace, EPERM, 0x7fffffff, -1, 0, 0),
		LIVE(SYS_process_vm_writev, EPERM, 0, 0, 0, 0, 0, 1 /* flags: EINVAL */),
		LIVE(SYS_kexec_load, EPERM, 0, 0, 0, ~0L),
		LIVE(SYS_kexec_file_load, EPERM, -1, -1, 0, 0, ~0L),
		LIVE(SYS_init_module, EPERM, 0, 0, 0),
		LIVE(SYS_finit_module, EPERM, -1, 0, 0),
		LIVE(SYS_delete_module, EPERM, 0, 0),
		LIVE(SYS_swapon, EPERM, 0, 0),
		LIVE(SYS_swapoff, EPERM, 0),
		LIVE(SYS_reboot, EPERM, 0, 0, 0, 0 /* bad magic: EINVAL unfiltered */),
		LIVE(SYS_acct, EPERM, (long)NOPATH),
		LIVE(SYS_quotactl, EPERM, 0, 0, 0, 0),
		LIVE(SYS_lookup_dcookie, EPERM, 0, 0, 0),
		/* clone: CLONE_NEWUSER | CLONE_FS is EINVAL for the kernel, EPERM for us. */
		LIVE(SYS_clone, EPERM, CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0),
		LIVE(SYS_clone, EPERM, HI(1) | CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0),
		LIVE(SYS_clone, EPERM, CLONE_NEWNS | CLONE_FS, 0, 0, 0, 0),
		PASS(SYS_clone, EINVAL, CLONE_SIGHAND, 0, 0, 0, 0), /* no CLONE_VM: EINVAL */
	};
	run_live(&opts_default, c, ELEMENTSOF(c));
	ASSERT_EQ(EPERM, try_sys(SYS_unshare, CLONE_NEWUSER, 0, 0, 0, 0, 0));
	ASSERT_EQ(EPERM, try_sys(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS, 0, 0, 0, 0, 0));
}

/* S13 */
TEST(personality)
{
	install(&opts_default);
	int cur = personality(0xffffffff);
	ASSERT_GE(cur, 0);
	ASSERT_EQ(EPERM, try_sys(SYS_personality, READ_IMPLIES_EXEC, 0, 0, 0, 0, 0));
	ASSERT_EQ(EPERM, try_sys(SYS_personality, ADDR_NO_RANDOMIZE, 0, 0, 0, 0, 0));
	ASSERT_EQ(EPERM, try_sys(SYS_personality, READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE, 0, 0, 0,
				 0, 0));
	ASSERT_EQ(EPERM, try_sys(SYS_personality, HI(1) | READ_IMPLIES_EXEC, 0, 0, 0, 0, 0));
	ASSERT_EQ(EPERM, try_sys(SYS_personality, 0xfffffffeL, 0, 0, 0, 0, 0));
	/* The query, with and without garbage above bit 31, and setting the current persona. */
	ASSERT_EQ(cur, syscall(SYS_personality, 0xffffffffL));
	ASSERT_EQ(cur, syscall(SYS_personality, HI(0xffffffff) | 0xffffffffL));
	if ((cur & ~PER_MASK) == 0) /* no flags set already (setarch -R would) */
		ASSERT_EQ(cur, personality((unsigned long)cur));
	ASSERT_EQ(cur, personality(0xffffffff));
}

static int tiocsti(int fd, long request_hi)
{
	char ch = '\n';
	return try_sys(SYS_ioctl, fd, request_hi | TIOCSTI, (long)&ch, 0, 0, 0);
}

/* In a new session with a pty of our own as controlling terminal: never the real terminal. */
static void tiocsti_body(void)
{
	int master, slave;

	ASSERT_GE(setsid(), 0);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(master, 0);
	ASSERT_EQ(0, unlockpt(master));
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(slave, 0);
	ASSERT_EQ(0, ioctl(slave, TIOCSCTTY, 0));
	/* Controls: plain and with bit 32 set, the kernel injects (legacy_tiocsti=1 or root);
	 * otherwise it refuses with EIO, which is still not EPERM. */
	int control = tiocsti(slave, 0), control_hi = tiocsti(slave, HI(1));
	EXPECT_NE(EPERM, control);
	EXPECT_EQ(control, control_hi);
	install(&opts_default);
	EXPECT_EQ(EPERM, tiocsti(slave, 0));
	EXPECT_EQ(EPERM, tiocsti(slave, HI(1)));
	EXPECT_EQ(EPERM, tiocsti(slave, HI(0xffffffff)));
	EXPECT_EQ(EPERM, try_sys(SYS_ioctl, slave, TIOCLINUX, 0, 0, 0, 0));
	EXPECT_EQ(EPERM, try_sys(SYS_ioctl, slave, TIOCSETD, 0, 0, 0, 0));
	struct winsize ws;
	EXPECT_EQ(0, ioctl(slave, TIOCGWINSZ, &ws)); /* other tty ioctls still work */
	_exit(harness_failed_expect);
}

/* S14 */
TEST(tiocsti)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0)
		tiocsti_body();
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* S06 / V4 */
TEST(dumpable_zero_is_faked)
{
	if (prctl(PR_GET_DUMPABLE) != 1)
		SKIP("process is not dumpable to begin with");
	install(&opts_default);
	ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 0));
	ASSERT_EQ(1, prctl(PR_GET_DUMPABLE));
	ASSERT_EQ(0, syscall(SYS_prctl, HI(1) | PR_SET_DUMPABLE, 0L));
	ASSERT_EQ(1, prctl(PR_GET_DUMPABLE));
	ASSERT_EQ(0, prctl(PR_SET_DUMPABLE, 1));
	ASSERT_EQ(1, prctl(PR_GET_DUMPABLE));
	ASSERT_EQ(EINVAL, try_sys(SYS_prctl, PR_SET_DUMPABLE, 2, 0, 0, 0, 0));
}

static int try_socket(long family, int type, int protocol)
{
	return try_fd(SYS_socket, family, type, protocol, 0);
}

/* F03, F04, F05; and TCP Fast Open (F02) with a bad fd as the control. */
TEST(net_off)
{
	const struct filter_opts off = { .net_off = true, .unix_sockets = true };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct mmsghdr mm = { 0 };
	int one = 1;
	struct live_case c[] = {
		LIVE(SYS_sendto, EACCES, -1, (long)"x", 1, MSG_FASTOPEN, (long)&sin, sizeof(sin)),
		LIVE(SYS_sendto, EACCES, -1, (long)"x", 1, HI(1) | MSG_FASTOPEN | MSG_NOSIGNAL,
		     (long)&sin, sizeof(sin)),
		LIVE(SYS_sendmsg, EACCES, -1, (long)&mm.msg_hdr, MSG_FASTOPEN),
		LIVE(SYS_sendmmsg, EACCES, -1, (long)&mm, 1, MSG_FASTOPEN),
		LIVE(SYS_setsockopt, EACCES, -1, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, (long)&one,
		     sizeof(one)),
		/* positive controls: the same calls without Fast Open reach the kernel */
		PASS(SYS_sendto, EBADF, -1, (long)"x", 1, MSG_NOSIGNAL, (long)&sin, sizeof(sin)),
		PASS(SYS_sendmsg, EBADF, -1, (long)&mm.msg_hdr, 0),
		PASS(SYS_sendmmsg, EBADF, -1, (long)&mm, 1, MSG_DONTWAIT),
		PASS(SYS_setsockopt, EBADF, -1, IPPROTO_TCP, TCP_NODELAY, (long)&one, sizeof(one)),
	};
	int udp = try_socket(AF_INET, SOCK_DGRAM, 0);
	int tcp = try_socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_EQ(0, udp); /* control */
	ASSERT_EQ(0, tcp);
	run_live(&off, c, ELEMENTSOF(c));
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_DGRAM, 0));			/* F03 */
	EXPECT_EQ(EACCES, try_socket(AF_INET6, SOCK_DGRAM, 0));
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));		/* F04 */
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP));	/* F05 */
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP));
	EXPECT_EQ(EACCES, try_socket(AF_INET, SOCK_STREAM, 0));
	EXPECT_EQ(EACCES, try_socket(AF_INET6, SOCK_STREAM, 0));
	EXPECT_EQ(EACCES, try_socket(HI(1) | AF_INET, SOCK_STREAM, 0));
	EXPECT_EQ(EACCES, try_socket(AF_NETLINK, SOCK_RAW, 0));
	EXPECT_EQ(0, try_socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

/* F07 */
TEST(unix_sockets_off)
{
	const struct filter_opts variants[] = { { .net_off = false }, { .net_off = true } };

	for (size_t i = 0; i < ELEMENTSOF(variants); i++) {
		int status;
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			int sv[2];
			ASSERT_EQ(0, try_socket(AF_UNIX, SOCK_STREAM, 0)); /* control */
			install(&variants[i]);
			EXPECT_EQ(EACCES, try_socket(AF_UNIX, SOCK_STREAM, 0));
			EXPECT_EQ(EACCES, try_socket(AF_UNIX, SOCK_DGRAM, 0));
			EXPECT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
			EXPECT_EQ(1, write(sv[0], "x", 1));
			_exit(harness_failed_expect);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
}

/* F08, and the positive control: TCP and UDP with the network on. */
TEST(net_on_families)
{
	static const long denied[] = { AF_NETLINK, AF_PACKET, AF_VSOCK, AF_ALG, AF_BLUETOOTH,
				       AF_KEY, AF_UNSPEC, AF_APPLETALK, HI(1) | AF_NETLINK };
	int control[ELEMENTSOF(denied)];

	for (size_t i = 0; i < ELEMENTSOF(denied); i++)
		control[i] = try_socket(denied[i], SOCK_RAW, 0);
	install(&opts_default);
	for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
		int got = try_socket(denied[i], SOCK_RAW, 0);
		if (got != EACCES)
			TH_FAIL_(0, "socket(0x%lx): %s (control %s)", denied[i], errname(got),
				 errname(control[i]));
	}
	ASSERT_EQ(0, try_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ASSERT_EQ(0, try_socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	ASSERT_EQ(0, try_socket(HI(1) | AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ASSERT_EQ(0, try_socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int v6 = try_socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(v6 == 0 || v6 == EAFNOSUPPORT);
	/* Fast Open is Landlock's business when the network is on. */
	struct sockaddr_in sin = { .sin_family = AF_INET };
	ASSERT_EQ(EBADF, try_sys(SYS_sendto, -1, (long)"x", 1, MSG_FASTOPEN, (long)&sin,
				 sizeof(sin)));
}

static struct live_case *path_metadata_cases(size_t *n)
{
	static struct live_case c[] = {
		LIVE(SYS_chmod, EPERM, (long)NOPATH, 0),
		LIVE(SYS_fchmodat, EPERM, AT_FDCWD, (long)NOPATH, 0),
		LIVE(NR_fchmodat2, EPERM, AT_FDCWD, (long)NOPATH, 0, 0),
		LIVE(SYS_chown, EPERM, (long)NOPATH, -1, -1),
		LIVE(SYS_lchown, EPERM, (long)NOPATH, -1, -1),
		LIVE(SYS_fchownat, EPERM, AT_FDCWD, (long)NOPATH, -1, -1, 0),
		LIVE(SYS_setxattr, EPERM, (long)NOPATH, (long)"user.x", (long)"v", 1, 0),
		LIVE(SYS_lsetxattr, EPERM, (long)NOPATH, (long)"user.x", (long)"v", 1, 0),
		LIVE(SYS_removexattr, EPERM, (long)NOPATH, (long)"user.x"),
		LIVE(SYS_lremovexattr, EPERM, (long)NOPATH, (long)"user.x"),
		LIVE(NR_setxattrat, EPERM, AT_FDCWD, (long)NOPATH, 0, (long)"user.x", 0, 0),
		LIVE(NR_removexattrat, EPERM, AT_FDCWD, (long)NOPATH, 0, (long)"user.x"),
		LIVE(NR_file_setattr, EPERM, AT_FDCWD, (long)NOPATH, 0, 0, 0),
		LIVE(SYS_utime, EPERM, (long)NOPATH, 0),
		LIVE(SYS_utimes, EPERM, (long)NOPATH, 0),
		LIVE(SYS_futimesat, EPERM, AT_FDCWD, (long)NOPATH, 0),
		LIVE(SYS_utimensat, EPERM, AT_FDCWD, (long)NOPATH, 0, 0),
		/* the fd forms reach the kernel */
		PASS(SYS_fchmod, EBADF, -1, 0),
		PASS(SYS_fchown, EBADF, -1, -1, -1),
		PASS(SYS_fsetxattr, EBADF, -1, (long)"user.x", (long)"v", 1, 0),
		PASS(SYS_fremovexattr, EBADF, -1, (long)"user.x"),
		PASS(SYS_utimensat, EBADF, -1, 0, 0, 0),
	};
	*n = ELEMENTSOF(c);
	return c;
}

TEST(path_metadata_denied)
{
	size_t n;
	struct live_case *c = path_metadata_cases(&n);

	run_live(&opts_default, c, n);
}

TEST(path_metadata_opt_in)
{
	const struct filter_opts meta = { .unix_sockets = true, .path_metadata = true };
	size_t n;
	struct live_case *c = path_metadata_cases(&n);

	for (size_t i = 0; i < n; i++)
		c[i].control = try_sys(c[i].nr, c[i].args[0], c[i].args[1], c[i].args[2],
				       c[i].args[3], c[i].args[4], c[i].args[5]);
	install(&meta);
	for (size_t i = 0; i < n; i++) {
		const long *a = c[i].args;
		int got = try_sys(c[i].nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (got != c[i].control || got == EPERM)
			TH_FAIL_(0, "%s: %s, want the kernel's %s", c[i].what, errname(got),
				 errname(c[i].control));
	}
	ASSERT_EQ(ENOENT, try_sys(SYS_chmod, (long)NOPATH, 0, 0, 0, 0, 0));
}

/* An fd opened for real still has its metadata changed (positive control for fd forms). */
TEST(fd_metadata_works)
{
	char path[] = "/tmp/airlock-filter-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);
	struct stat st;

	ASSERT_GE(fd, 0);
	install(&opts_default);
	EXPECT_EQ(0, fchmod(fd, 0640));
	EXPECT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(0, futimens(fd, NULL));
	EXPECT_EQ(EPERM, try_sys(SYS_chmod, (long)path, 0600, 0, 0, 0, 0));
	_cleanup_close_ int opath = open(path, O_PATH | O_CLOEXEC);
	ASSERT_GE(opath, 0);
	EXPECT_EQ(EBADF, try_sys(SYS_fchmod, opath, 0600, 0, 0, 0, 0)); /* kernel: O_PATH */
	EXPECT_EQ(EPERM, try_sys(NR_fchmodat2, opath, (long)"", 0600, AT_EMPTY_PATH, 0, 0));
	EXPECT_EQ(EPERM, try_sys(SYS_utimensat, opath, (long)"", 0, AT_EMPTY_PATH, 0, 0));
	EXPECT_EQ(0, unlink(path));
}

HARNESS_MAIN
