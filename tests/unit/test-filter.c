/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline tests of the static seccomp filter: build it for several option sets, run the
 * exported BPF in tests/helpers/bpf-sim.h over (arch, nr, args) and compare the action with
 * what the rules in src/filter.c promise. Syscall numbers come from the kernel headers, not
 * from libseccomp, so a wrong name resolution shows up here too.
 */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/sched.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "bpf-sim.h"
#include "cleanup.h"
#include <sys/resource.h>

#include "filter.h"
#include "harness.h"

#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS
#define ERRNO(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))
#define X32_BIT UINT32_C(0x40000000)
#define HI(v) ((uint64_t)(v) << 32) /* garbage in the high half of a register */

/* Newer than the installed kernel headers: numbers from the 6.18 x86_64 table. */
#define NR_fchmodat2 452
#define NR_setxattrat 463
#define NR_removexattrat 466
#define NR_open_tree_attr 467
#define NR_file_setattr 469

struct sim_case {
	const char *what;
	uint32_t nr;
	uint64_t args[6];
	uint32_t want;
};

#define CASE(nr, want, ...) { #nr "(" #__VA_ARGS__ ")", (nr), { __VA_ARGS__ }, (want) }

static const struct filter_opts opts_default = { .unix_sockets = true };

static void build(const struct filter_opts *opts, struct sock_fprog *prog)
{
	ASSERT_EQ(0, filter_build(opts, prog));
	ASSERT_TRUE(prog->filter != NULL);
	ASSERT_GT(prog->len, 0);
}

static uint32_t sim_arch(const struct sock_fprog *prog, uint32_t arch, uint32_t nr,
			 const uint64_t args[6])
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch, .instruction_pointer = 0x401000 };
	uint32_t action = 0xdeadbeef;

	for (int i = 0; i < 6; i++)
		d.args[i] = args[i];
	ASSERT_EQ(0, bpf_sim_run(prog, &d, &action));
	return action;
}

static uint32_t sim(const struct sock_fprog *prog, uint32_t nr, const uint64_t args[6])
{
	return sim_arch(prog, AUDIT_ARCH_X86_64, nr, args);
}

static uint32_t sim2(const struct sock_fprog *prog, uint32_t nr, uint64_t a0, uint64_t a1)
{
	return sim(prog, nr, (const uint64_t[6]){ a0, a1 });
}

static void run_cases(const struct filter_opts *opts, const struct sim_case *c, size_t n)
{
	struct sock_fprog prog;

	build(opts, &prog);
	for (size_t i = 0; i < n; i++) {
		uint32_t got = sim(&prog, c[i].nr, c[i].args);
		if (got != c[i].want)
			TH_FAIL_(0, "%s [net_off=%d unix=%d meta=%d]: action 0x%08x, want 0x%08x",
				 c[i].what, opts->net_off, opts->unix_sockets, opts->path_metadata,
				 got, c[i].want);
	}
	filter_prog_done(&prog);
}

/* Every combination of the options. */
static struct filter_opts opts_combo(unsigned int i)
{
	return (struct filter_opts){
		.net_off = i & 1,
		.unix_sockets = i & 2,
		.path_metadata = i & 4,
	};
}

#define FOR_EACH_OPTS(o) \
	for (unsigned int _i = 0; _i < 8; _i++) \
		for (struct filter_opts o = opts_combo(_i), *_once = &o; _once; _once = NULL)

/* Deterministic xorshift, so a failure reproduces. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The simulator itself: known instructions compute, anything else is refused. */
TEST(bpf_sim_self_check)
{
	const struct sock_filter ok[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x100),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 3),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x1000, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1), /* nr odd */
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_RET | BPF_A, 0), /* nr even: 0x100 | (nr & 0xff) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]) + 4),
		BPF_STMT(BPF_RET | BPF_A, 0), /* nr > 0x1000: high half of args[1] */
	};
	const struct sock_filter bad[][2] = {
		{ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 1), BPF_STMT(BPF_RET | BPF_K, 0) },
		{ BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_IMM, 0) }, /* no return */
		{ BPF_STMT(0xffff, 0), BPF_STMT(BPF_RET | BPF_K, 0) },
	};
	struct sock_fprog prog = { ELEMENTSOF(ok), (struct sock_filter *)ok };
	struct seccomp_data d = { .nr = 0x42, .args[1] = HI(0xabcd) };
	uint32_t action;

	ASSERT_EQ(0, bpf_sim_run(&prog, &d, &action));
	ASSERT_EQ(0x142, action);
	d.nr = 0x43;
	ASSERT_EQ(0, bpf_sim_run(&prog, &d, &action));
	ASSERT_EQ(ERRNO(1), action);
	d.nr = 0x2000;
	ASSERT_EQ(0, bpf_sim_run(&prog, &d, &action));
	ASSERT_EQ(0xabcd, action);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		prog = (struct sock_fprog){ 2, (struct sock_filter *)bad[i] };
		EXPECT_EQ(-EINVAL, bpf_sim_run(&prog, &d, &action));
	}
}

TEST(build_rejects_bad_arguments)
{
	struct sock_fprog prog = { 0 };

	ASSERT_EQ(-EINVAL, filter_build(NULL, &prog));
	ASSERT_EQ(-EINVAL, filter_build(&opts_default, NULL));
	filter_prog_done(&prog);
	filter_prog_done(NULL);
	FOR_EACH_OPTS(o) {
		build(&o, &prog);
		ASSERT_LE(prog.len, BPF_MAXINSNS);
		filter_prog_done(&prog);
		ASSERT_TRUE(prog.filter == NULL);
		ASSERT_EQ(0, prog.len);
	}
}

TEST(foreign_arch_killed)
{
	static const uint32_t archs[] = { AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0,
					  0xffffffff, AUDIT_ARCH_X86_64 ^ 0x80000000 };
	static const uint32_t i386_nrs[] = { 5 /* open */, 8 /* creat */, 295 /* openat */,
					     342 /* open_by_handle_at */, 437 /* openat2 */, 0,
					     0xffffffff };

	FOR_EACH_OPTS(o) {
		struct sock_fprog prog;
		build(&o, &prog);
		for (size_t a = 0; a < ELEMENTSOF(archs); a++)
			for (size_t n = 0; n < ELEMENTSOF(i386_nrs); n++)
				EXPECT_EQ(KILL, sim_arch(&prog, archs[a], i386_nrs[n],
							 (const uint64_t[6]){ 0 }));
		filter_prog_done(&prog);
	}
}

TEST(x32_killed)
{
	FOR_EACH_OPTS(o) {
		struct sock_fprog prog;
		build(&o, &prog);
		EXPECT_EQ(KILL, sim2(&prog, X32_BIT | SYS_openat, (uint64_t)AT_FDCWD, 0));
		EXPECT_EQ(KILL, sim2(&prog, X32_BIT | SYS_read, 0, 0));
		EXPECT_EQ(KILL, sim2(&prog, X32_BIT | 512, 0, 0)); /* x32 rt_sigaction */
		EXPECT_EQ(KILL, sim2(&prog, X32_BIT | SYS_io_uring_setup, 0, 0));
		EXPECT_EQ(KILL, sim2(&prog, X32_BIT | SYS_chmod, 0, 0));
		EXPECT_EQ(KILL, sim2(&prog, 0x7fffffff, 0, 0));
		EXPECT_EQ(KILL, sim2(&prog, 0xfffffffe, 0, 0));
		/* libseccomp lets nr -1 through (tracers use it to skip a call); the kernel
		 * answers ENOSYS. Whatever it does, it is not an x32 call. */
		uint32_t minus_one = sim2(&prog, 0xffffffff, 0, 0);
		EXPECT_TRUE(minus_one == ALLOW || minus_one == KILL);
		filter_prog_done(&prog);
	}
}

static const struct sim_case always_cases[] = {
	CASE(SYS_openat, ALLOW, (uint64_t)AT_FDCWD, 0x1000, O_RDONLY),
	CASE(SYS_open, ALLOW, 0x1000, O_RDWR),
	CASE(SYS_read, ALLOW, 0),
	CASE(SYS_execve, ALLOW, 0x1000, 0x2000, 0x3000),
	CASE(SYS_newfstatat, ALLOW, 3, 0x1000),
	CASE(SYS_process_vm_readv, ALLOW, 1),
	CASE(SYS_fchmod, ALLOW, 3, 0777),
	CASE(SYS_fchown, ALLOW, 3, 0, 0),
	CASE(SYS_fsetxattr, ALLOW, 3, 0x1000),
	CASE(SYS_fremovexattr, ALLOW, 3, 0x1000),
	CASE(SYS_utimensat, ALLOW, 3, 0, 0, 0),
	CASE(SYS_socketpair, ALLOW, AF_UNIX, SOCK_STREAM),
	CASE(SYS_socketpair, ALLOW, AF_NETLINK, SOCK_RAW),
	CASE(SYS_socketpair, ALLOW, AF_INET, SOCK_STREAM),

	CASE(SYS_io_uring_setup, ERRNO(ENOSYS), 8, 0x1000),
	CASE(SYS_io_uring_enter, ERRNO(ENOSYS), 3),
	CASE(SYS_io_uring_register, ERRNO(ENOSYS), 3),
	CASE(SYS_clone3, ERRNO(ENOSYS), 0x1000, 88),

	CASE(SYS_open_by_handle_at, ERRNO(EPERM), 3, 0x1000, O_RDONLY),
	CASE(SYS_name_to_handle_at, ERRNO(EPERM), (uint64_t)AT_FDCWD, 0x1000),
	CASE(SYS_keyctl, ERRNO(EPERM), 18 /* KEYCTL_SESSION_TO_PARENT */),
	CASE(SYS_add_key, ERRNO(EPERM), 0),
	CASE(SYS_request_key, ERRNO(EPERM), 0),
	CASE(SYS_bpf, ERRNO(EPERM), 0),
	CASE(SYS_perf_event_open, ERRNO(EPERM), 0x1000),
	CASE(SYS_userfaultfd, ERRNO(EPERM), 0),
	CASE(SYS_fanotify_init, ERRNO(EPERM), 0),
	CASE(SYS_mount, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(SYS_umount2, ERRNO(EPERM), 0x1000),
	CASE(SYS_fsopen, ERRNO(EPERM), 0x1000),
	CASE(SYS_fsconfig, ERRNO(EPERM), 3),
	CASE(SYS_fsmount, ERRNO(EPERM), 3),
	CASE(SYS_fspick, ERRNO(EPERM), 3),
	CASE(SYS_open_tree, ERRNO(EPERM), 3, 0x1000, 1 /* OPEN_TREE_CLONE */),
	CASE(NR_open_tree_attr, ERRNO(EPERM), 3, 0x1000, 1),
	CASE(SYS_move_mount, ERRNO(EPERM), 3),
	CASE(SYS_mount_setattr, ERRNO(EPERM), 3),
	CASE(SYS_pivot_root, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(SYS_chroot, ERRNO(EPERM), 0x1000),
	CASE(SYS_unshare, ERRNO(EPERM), CLONE_NEWUSER | CLONE_NEWNS),
	CASE(SYS_unshare, ERRNO(EPERM), CLONE_FILES),
	CASE(SYS_setns, ERRNO(EPERM), 3, 0),
	CASE(SYS_ptrace, ERRNO(EPERM), 16 /* PTRACE_ATTACH */, 1),
	CASE(SYS_process_vm_writev, ERRNO(EPERM), 1),
	CASE(SYS_kexec_load, ERRNO(EPERM), 0),
	CASE(SYS_kexec_file_load, ERRNO(EPERM), 3),
	CASE(SYS_init_module, ERRNO(EPERM), 0),
	CASE(SYS_finit_module, ERRNO(EPERM), 3),
	CASE(SYS_delete_module, ERRNO(EPERM), 0x1000),
	CASE(SYS_swapon, ERRNO(EPERM), 0x1000),
	CASE(SYS_swapoff, ERRNO(EPERM), 0x1000),
	CASE(SYS_reboot, ERRNO(EPERM), 0xfee1dead, 0x28121969),
	CASE(SYS_acct, ERRNO(EPERM), 0x1000),
	CASE(SYS_quotactl, ERRNO(EPERM), 0),
	CASE(SYS_lookup_dcookie, ERRNO(EPERM), 0),
	CASE(SYS_vhangup, ERRNO(EPERM), 0),

	/* clone: namespace flags, one by one and with garbage above bit 31. */
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWUSER | SIGCHLD),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWNS),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWCGROUP),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWUTS),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWIPC),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWPID),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWNET),
	CASE(SYS_clone, ERRNO(EPERM), CLONE_NEWTIME),
	CASE(SYS_clone, ERRNO(EPERM), HI(0xffffffff) | CLONE_NEWUSER),
	CASE(SYS_clone, ERRNO(EPERM), 0xffffffff),
	CASE(SYS_clone, ALLOW, SIGCHLD | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID), /* fork */
	CASE(SYS_clone, ALLOW, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				       CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
				       CLONE_CHILD_CLEARTID), /* pthread_create */
	CASE(SYS_clone, ALLOW, CLONE_VM | CLONE_VFORK | SIGCHLD), /* posix_spawn */
	CASE(SYS_clone, ALLOW, HI(CLONE_NEWUSER | CLONE_NEWNS) | SIGCHLD), /* kernel drops it */

	/* ioctl request (arg1) is an unsigned int: CVE-2019-10063. */
	CASE(SYS_ioctl, ERRNO(EPERM), 0, TIOCSTI, 0x1000),
	CASE(SYS_ioctl, ERRNO(EPERM), 0, HI(1) | TIOCSTI, 0x1000),
	CASE(SYS_ioctl, ERRNO(EPERM), 1, HI(0xffffffff) | TIOCSTI),
	CASE(SYS_ioctl, ERRNO(EPERM), 0, TIOCLINUX),
	CASE(SYS_ioctl, ERRNO(EPERM), 0, HI(0x80000000) | TIOCLINUX),
	CASE(SYS_ioctl, ERRNO(EPERM), 0, TIOCSETD),
	CASE(SYS_ioctl, ALLOW, 0, TCGETS),
	CASE(SYS_ioctl, ALLOW, 0, TIOCGWINSZ),
	CASE(SYS_ioctl, ALLOW, 0, FIONREAD),
	CASE(SYS_ioctl, ALLOW, 0, TIOCSTI + 1),
	CASE(SYS_ioctl, ALLOW, TIOCSTI, TCGETS), /* the request is arg1, not arg0 */

	/* prctl(PR_SET_DUMPABLE, 0) reports success and does nothing. */
	CASE(SYS_prctl, ERRNO(0), PR_SET_DUMPABLE, 0),
	CASE(SYS_prctl, ERRNO(0), PR_SET_DUMPABLE, HI(1)),
	CASE(SYS_prctl, ERRNO(0), HI(1) | PR_SET_DUMPABLE, 0),
	CASE(SYS_prctl, ALLOW, PR_SET_DUMPABLE, 1),
	CASE(SYS_prctl, ALLOW, PR_GET_DUMPABLE, 0),
	CASE(SYS_prctl, ALLOW, PR_SET_NAME, 0),
	CASE(SYS_prctl, ALLOW, PR_SET_NO_NEW_PRIVS, 1),

	/* personality: flags denied, the query and plain personas allowed. */
	CASE(SYS_personality, ALLOW, 0xffffffff),
	CASE(SYS_personality, ALLOW, HI(0xffffffff) | 0xffffffff),
	CASE(SYS_personality, ALLOW, HI(1) | 0xffffffff),
	CASE(SYS_personality, ALLOW, PER_LINUX),
	CASE(SYS_personality, ALLOW, PER_LINUX32),
	CASE(SYS_personality, ALLOW, UNAME26),
	CASE(SYS_personality, ALLOW, HI(READ_IMPLIES_EXEC)),
	CASE(SYS_personality, ERRNO(EPERM), READ_IMPLIES_EXEC),
	CASE(SYS_personality, ERRNO(EPERM), ADDR_NO_RANDOMIZE),
	CASE(SYS_personality, ERRNO(EPERM), READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE),
	CASE(SYS_personality, ERRNO(EPERM), HI(1) | ADDR_NO_RANDOMIZE),
	CASE(SYS_personality, ERRNO(EPERM), PER_LINUX32 | ADDR_LIMIT_32BIT),
	CASE(SYS_personality, ERRNO(EPERM), 0xfffffffe),
	CASE(SYS_personality, ERRNO(EPERM), 0x7fffffff),
};

TEST(rules_for_every_option_set)
{
	FOR_EACH_OPTS(o)
		run_cases(&o, always_cases, ELEMENTSOF(always_cases));
}

TEST(personality_sweep)
{
	const uint32_t flags = READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT |
			       MMAP_PAGE_ZERO | ADDR_LIMIT_32BIT | ADDR_LIMIT_3GB | SHORT_INODE |
			       WHOLE_SECONDS | STICKY_TIMEOUTS;
	struct sock_fprog prog;
	uint64_t seed = 0x9e3779b97f4a7c15;
	unsigned int bad = 0;

	build(&opts_default, &prog);
	for (unsigned int i = 0; i < 200000; i++) {
		uint64_t r = rng_next(&seed);
		uint32_t lo;
		if (i < 32)
			lo = 0xffffffff ^ (UINT32_C(1) << i); /* one bit clear */
		else if (i < 64)
			lo = UINT32_C(1) << (i - 32); /* one bit set */
		else if (i < 64 + 32 * 32)
			lo = (UINT32_C(1) << ((i - 64) / 32)) | (UINT32_C(1) << ((i - 64) % 32));
		else if (i & 1)
			lo = (uint32_t)r | flags; /* mostly ones */
		else
			lo = (uint32_t)r;
		uint64_t arg = (r & HI(0xffffffff)) | lo; /* garbage high half */
		uint32_t want = (lo & flags) && lo != 0xffffffff ? ERRNO(EPERM) : ALLOW;
		uint32_t got = sim2(&prog, SYS_personality, arg, 0);
		if (got != want && bad++ < 10)
			TH_FAIL_(0, "personality(0x%016" PRIx64 "): 0x%08x, want 0x%08x", arg, got,
				 want);
	}
	EXPECT_EQ(0, bad);
	filter_prog_done(&prog);
}

/* What socket(family) must do under opts, from the kernel's view of family (an int). */
static uint32_t socket_want(const struct filter_opts *o, uint32_t family)
{
	bool ok;

	if (o->net_off)
		ok = family == AF_UNIX && o->unix_sockets;
	else
		ok = family == AF_INET || family == AF_INET6 ||
		     (family == AF_UNIX && o->unix_sockets);
	return ok ? ALLOW : ERRNO(EACCES);
}

TEST(socket_families_every_option_set)
{
	static const uint64_t hi[] = { 0, HI(1), HI(0x80000000), HI(0xffffffff) };
	static const uint32_t extra[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0x10001, 0x10002,
					  0x1000a, 0x102, 0x10a };
	uint64_t seed = 42;

	FOR_EACH_OPTS(o) {
		struct sock_fprog prog;
		build(&o, &prog);
		for (size_t h = 0; h < ELEMENTSOF(hi); h++) {
			for (uint32_t f = 0; f < 64 + ELEMENTSOF(extra); f++) {
				uint32_t family = f < 64 ? f : extra[f - 64];
				uint64_t arg = hi[h] | family;
				uint32_t got = sim2(&prog, SYS_socket, arg, SOCK_STREAM);
				if (got != socket_want(&o, family))
					TH_FAIL_(0, "net_off=%d unix=%d: socket(0x%" PRIx64
						 "): 0x%08x", o.net_off, o.unix_sockets, arg, got);
			}
		}
		for (unsigned int i = 0; i < 20000; i++) {
			uint64_t r = rng_next(&seed);
			uint32_t family = (uint32_t)r;
			if (i & 1)
				family &= 0xff; /* near the real families */
			uint32_t got = sim2(&prog, SYS_socket, (r & HI(0xffffffff)) | family,
					    SOCK_DGRAM);
			if (got != socket_want(&o, family))
				TH_FAIL_(0, "net_off=%d unix=%d: socket(0x%" PRIx64 "): 0x%08x",
					 o.net_off, o.unix_sockets, r, got);
		}
		/* socketpair is never restricted; the type and protocol do not matter. */
		EXPECT_EQ(ALLOW, sim2(&prog, SYS_socketpair, AF_UNIX, SOCK_SEQPACKET));
		EXPECT_EQ(ALLOW, sim2(&prog, SYS_socketpair, AF_NETLINK, SOCK_RAW));
		filter_prog_done(&prog);
	}
}

/* The named cases of the attack battery (F03-F08), on top of the sweep above. */
TEST(socket_named_cases)
{
	const uint32_t eacces = ERRNO(EACCES);
	const struct filter_opts off = { .net_off = true, .unix_sockets = true };
	const struct filter_opts off_nounix = { .net_off = true };
	const struct filter_opts on_nounix = { 0 };
	const struct sim_case net_on[] = {
		CASE(SYS_socket, ALLOW, AF_INET, SOCK_STREAM, 0),
		CASE(SYS_socket, ALLOW, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP),
		CASE(SYS_socket, ALLOW, AF_INET, SOCK_DGRAM, 0),
		CASE(SYS_socket, ALLOW, AF_UNIX, SOCK_STREAM, 0),
		CASE(SYS_socket, eacces, AF_NETLINK, SOCK_RAW, 0),
		CASE(SYS_socket, eacces, AF_PACKET, SOCK_RAW, 0),
		CASE(SYS_socket, eacces, AF_VSOCK, SOCK_STREAM, 0),
		CASE(SYS_socket, eacces, AF_ALG, SOCK_SEQPACKET, 0),
		CASE(SYS_socket, eacces, AF_BLUETOOTH, SOCK_RAW, 0),
		CASE(SYS_socket, eacces, AF_KEY, SOCK_RAW, 2),
		CASE(SYS_socket, eacces, AF_UNSPEC, SOCK_STREAM, 0),
		CASE(SYS_socket, eacces, HI(1) | AF_NETLINK, SOCK_RAW, 0),
		CASE(SYS_socket, eacces, HI(1) | AF_UNSPEC, SOCK_RAW, 0),
		CASE(SYS_socket, ALLOW, HI(1) | AF_INET, SOCK_STREAM, 0),
		CASE(SYS_sendto, ALLOW, 3, 0x1000, 1, MSG_FASTOPEN, 0x2000, 16),
		CASE(SYS_setsockopt, ALLOW, 3, IPPROTO_TCP, TCP_FASTOPEN_CONNECT),
	};
	const struct sim_case net_off[] = {
		CASE(SYS_socket, eacces, AF_INET, SOCK_DGRAM, 0),			/* F03 */
		CASE(SYS_socket, eacces, AF_INET, SOCK_RAW, IPPROTO_ICMP),		/* F04 */
		CASE(SYS_socket, eacces, AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
		CASE(SYS_socket, eacces, AF_INET, SOCK_STREAM, IPPROTO_MPTCP),	/* F05 */
		CASE(SYS_socket, eacces, AF_INET6, SOCK_STREAM, IPPROTO_SCTP),
		CASE(SYS_socket, eacces, AF_INET, SOCK_STREAM, 0),
		CASE(SYS_socket, eacces, HI(1) | AF_INET6, SOCK_STREAM, 0),
		CASE(SYS_socket, ALLOW, AF_UNIX, SOCK_STREAM, 0),
		CASE(SYS_socket, ALLOW, HI(1) | AF_UNIX, SOCK_DGRAM, 0),
		CASE(SYS_socketpair, ALLOW, AF_UNIX, SOCK_STREAM),
		/* TCP Fast Open (F02): flags are unsigned int. */
		CASE(SYS_sendto, eacces, 3, 0x1000, 1, MSG_FASTOPEN, 0x2000, 16),
		CASE(SYS_sendto, eacces, 3, 0x1000, 1, MSG_FASTOPEN | MSG_DONTWAIT | MSG_NOSIGNAL),
		CASE(SYS_sendto, eacces, 3, 0x1000, 1, HI(1) | MSG_FASTOPEN),
		CASE(SYS_sendto, ALLOW, 3, 0x1000, 1, HI(MSG_FASTOPEN)),
		CASE(SYS_sendto, ALLOW, 3, 0x1000, 1, MSG_NOSIGNAL, 0x2000, 16),
		CASE(SYS_sendto, ALLOW, 3, 0x1000, MSG_FASTOPEN, 0), /* len, not flags */
		CASE(SYS_sendmsg, eacces, 3, 0x1000, MSG_FASTOPEN),
		CASE(SYS_sendmsg, eacces, 3, 0x1000, HI(7) | MSG_FASTOPEN | MSG_DONTWAIT),
		CASE(SYS_sendmsg, ALLOW, 3, 0x1000, MSG_DONTWAIT),
		CASE(SYS_sendmmsg, eacces, 3, 0x1000, 2, MSG_FASTOPEN),
		CASE(SYS_sendmmsg, ALLOW, 3, 0x1000, 2, 0),
		CASE(SYS_setsockopt, eacces, 3, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 0x1000, 4),
		CASE(SYS_setsockopt, eacces, 3, HI(1) | SOL_TCP, HI(1) | TCP_FASTOPEN_CONNECT),
		CASE(SYS_setsockopt, ALLOW, 3, IPPROTO_TCP, TCP_NODELAY, 0x1000, 4),
		CASE(SYS_setsockopt, ALLOW, 3, SOL_SOCKET, TCP_FASTOPEN_CONNECT),
		CASE(SYS_setsockopt, ALLOW, 3, IPPROTO_TCP, TCP_FASTOPEN), /* server side */
	};
	const struct sim_case no_unix[] = {
		CASE(SYS_socket, eacces, AF_UNIX, SOCK_STREAM, 0),		/* F07 */
		CASE(SYS_socket, eacces, HI(1) | AF_UNIX, SOCK_STREAM, 0),
		CASE(SYS_socketpair, ALLOW, AF_UNIX, SOCK_STREAM, 0),
	};

	run_cases(&opts_default, net_on, ELEMENTSOF(net_on));
	run_cases(&off, net_off, ELEMENTSOF(net_off));
	run_cases(&on_nounix, no_unix, ELEMENTSOF(no_unix));
	run_cases(&off_nounix, no_unix, ELEMENTSOF(no_unix));
}

static const struct sim_case path_metadata_cases[] = {
	CASE(SYS_chmod, ERRNO(EPERM), 0x1000, 0777),
	CASE(SYS_fchmodat, ERRNO(EPERM), (uint64_t)AT_FDCWD, 0x1000, 0777),
	CASE(NR_fchmodat2, ERRNO(EPERM), 3, 0x1000, 0777, AT_EMPTY_PATH),
	CASE(SYS_chown, ERRNO(EPERM), 0x1000, 0, 0),
	CASE(SYS_lchown, ERRNO(EPERM), 0x1000, 0, 0),
	CASE(SYS_fchownat, ERRNO(EPERM), 3, 0x1000, 0, 0, AT_EMPTY_PATH),
	CASE(SYS_setxattr, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(SYS_lsetxattr, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(SYS_removexattr, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(SYS_lremovexattr, ERRNO(EPERM), 0x1000, 0x2000),
	CASE(NR_setxattrat, ERRNO(EPERM), 3, 0x1000, AT_EMPTY_PATH),
	CASE(NR_removexattrat, ERRNO(EPERM), 3, 0x1000, AT_EMPTY_PATH),
	CASE(NR_file_setattr, ERRNO(EPERM), 3, 0x1000),
	CASE(SYS_utime, ERRNO(EPERM), 0x1000, 0),
	CASE(SYS_utimes, ERRNO(EPERM), 0x1000, 0),
	CASE(SYS_futimesat, ERRNO(EPERM), 3, 0x1000),
	CASE(SYS_utimensat, ERRNO(EPERM), (uint64_t)AT_FDCWD, 0x1000, 0, 0),
	CASE(SYS_utimensat, ERRNO(EPERM), 3, 0x1000, 0, AT_EMPTY_PATH),
	CASE(SYS_utimensat, ERRNO(EPERM), 3, HI(1), 0, 0), /* a pointer: all 64 bits */
	CASE(SYS_utimensat, ERRNO(EPERM), 3, 1),
};

TEST(path_metadata_denied_by_default)
{
	const struct sim_case fd_forms[] = {
		CASE(SYS_fchmod, ALLOW, 3, 0777),
		CASE(SYS_fchown, ALLOW, 3, 0, 0),
		CASE(SYS_fsetxattr, ALLOW, 3, 0x1000, 0x2000, 1, 0),
		CASE(SYS_fremovexattr, ALLOW, 3, 0x1000),
		CASE(SYS_utimensat, ALLOW, 3, 0, 0x1000, 0),
		CASE(SYS_utimensat, ALLOW, (uint64_t)AT_FDCWD, 0, 0, 0), /* kernel: EFAULT */
		CASE(SYS_getxattr, ALLOW, 0x1000, 0x2000),
		CASE(SYS_newfstatat, ALLOW, (uint64_t)AT_FDCWD, 0x1000, 0x2000, 0),
	};

	FOR_EACH_OPTS(o) {
		if (o.path_metadata)
			continue;
		run_cases(&o, path_metadata_cases, ELEMENTSOF(path_metadata_cases));
		run_cases(&o, fd_forms, ELEMENTSOF(fd_forms));
	}
}

TEST(path_metadata_opt_in)
{
	struct sim_case allowed[ELEMENTSOF(path_metadata_cases)];

	for (size_t i = 0; i < ELEMENTSOF(allowed); i++) {
		allowed[i] = path_metadata_cases[i];
		allowed[i].want = ALLOW;
	}
	FOR_EACH_OPTS(o) {
		if (o.path_metadata)
			run_cases(&o, allowed, ELEMENTSOF(allowed));
	}
}

/*
 * Nothing else is touched: with all arguments zero, every x86_64 syscall number is allowed
 * except exactly the ones this list names. Catches a rule that lands on the wrong number.
 */
TEST(zero_args_sweep)
{
	static const struct {
		uint32_t nr;
		uint32_t want;
	} denied[] = {
		{ SYS_io_uring_setup, ERRNO(ENOSYS) }, { SYS_io_uring_enter, ERRNO(ENOSYS) },
		{ SYS_io_uring_register, ERRNO(ENOSYS) }, { SYS_clone3, ERRNO(ENOSYS) },
		{ SYS_open_by_handle_at, ERRNO(EPERM) }, { SYS_name_to_handle_at, ERRNO(EPERM) },
		{ SYS_keyctl, ERRNO(EPERM) }, { SYS_add_key, ERRNO(EPERM) },
		{ SYS_request_key, ERRNO(EPERM) }, { SYS_bpf, ERRNO(EPERM) },
		{ SYS_perf_event_open, ERRNO(EPERM) }, { SYS_userfaultfd, ERRNO(EPERM) },
		{ SYS_fanotify_init, ERRNO(EPERM) }, { SYS_mount, ERRNO(EPERM) },
		{ SYS_umount2, ERRNO(EPERM) }, { SYS_fsopen, ERRNO(EPERM) },
		{ SYS_fsconfig, ERRNO(EPERM) }, { SYS_fsmount, ERRNO(EPERM) },
		{ SYS_fspick, ERRNO(EPERM) }, { SYS_open_tree, ERRNO(EPERM) },
		{ NR_open_tree_attr, ERRNO(EPERM) }, { SYS_move_mount, ERRNO(EPERM) },
		{ SYS_mount_setattr, ERRNO(EPERM) }, { SYS_pivot_root, ERRNO(EPERM) },
		{ SYS_chroot, ERRNO(EPERM) }, { SYS_unshare, ERRNO(EPERM) },
		{ SYS_setns, ERRNO(EPERM) }, { SYS_ptrace, ERRNO(EPERM) },
		{ SYS_process_vm_writev, ERRNO(EPERM) }, { SYS_kexec_load, ERRNO(EPERM) },
		{ SYS_kexec_file_load, ERRNO(EPERM) }, { SYS_init_module, ERRNO(EPERM) },
		{ SYS_finit_module, ERRNO(EPERM) }, { SYS_delete_module, ERRNO(EPERM) },
		{ SYS_swapon, ERRNO(EPERM) }, { SYS_swapoff, ERRNO(EPERM) },
		{ SYS_reboot, ERRNO(EPERM) }, { SYS_acct, ERRNO(EPERM) },
		{ SYS_quotactl, ERRNO(EPERM) }, { SYS_lookup_dcookie, ERRNO(EPERM) },
		{ SYS_vhangup, ERRNO(EPERM) },
		/* path metadata (path_metadata = false); utimensat(0, NULL) is the fd form */
		{ SYS_chmod, ERRNO(EPERM) }, { SYS_fchmodat, ERRNO(EPERM) },
		{ NR_fchmodat2, ERRNO(EPERM) }, { SYS_chown, ERRNO(EPERM) },
		{ SYS_lchown, ERRNO(EPERM) }, { SYS_fchownat, ERRNO(EPERM) },
		{ SYS_setxattr, ERRNO(EPERM) }, { SYS_lsetxattr, ERRNO(EPERM) },
		{ SYS_removexattr, ERRNO(EPERM) }, { SYS_lremovexattr, ERRNO(EPERM) },
		{ NR_setxattrat, ERRNO(EPERM) }, { NR_removexattrat, ERRNO(EPERM) },
		{ NR_file_setattr, ERRNO(EPERM) }, { SYS_utime, ERRNO(EPERM) },
		{ SYS_utimes, ERRNO(EPERM) }, { SYS_futimesat, ERRNO(EPERM) },
		/* socket(AF_UNSPEC) */
		{ SYS_socket, ERRNO(EACCES) },
	};
	struct sock_fprog prog;

	build(&opts_default, &prog);
	for (uint32_t nr = 0; nr < 1024; nr++) {
		uint32_t want = ALLOW;
		for (size_t i = 0; i < ELEMENTSOF(denied); i++)
			if (denied[i].nr == nr)
				want = denied[i].want;
		uint32_t got = sim(&prog, nr, (const uint64_t[6]){ 0 });
		if (got != want)
			TH_FAIL_(0, "syscall %u, zero args: 0x%08x, want 0x%08x", nr, got, want);
	}
	filter_prog_done(&prog);
}


/* Supervised: the path forms of the time and xattr calls go to the supervisor (it performs
 * them), the fd forms (a NULL path) stay the kernel's; the *xattrat calls (6.13+) are refused
 * as unsupported. */
TEST(supervised_times_and_xattrs)
{
	const uint32_t notify = SECCOMP_RET_USER_NOTIF;
	const struct sim_case cases[] = {
		CASE(SYS_utime, notify, 0x1000, 0),
		CASE(SYS_utimes, notify, 0x1000, 0),
		CASE(SYS_futimesat, notify, 3, 0x1000, 0),
		CASE(SYS_futimesat, ALLOW, 3, 0, 0),
		CASE(SYS_futimesat, notify, 3, HI(1), 0), /* a pointer: all 64 bits */
		CASE(SYS_utimensat, notify, (uint64_t)AT_FDCWD, 0x1000, 0, 0),
		CASE(SYS_utimensat, ALLOW, 3, 0, 0, 0),
		CASE(SYS_setxattr, notify, 0x1000, 0x2000),
		CASE(SYS_lsetxattr, notify, 0x1000, 0x2000),
		CASE(SYS_removexattr, notify, 0x1000, 0x2000),
		CASE(SYS_lremovexattr, notify, 0x1000, 0x2000),
		CASE(463 /* setxattrat */, ERRNO(ENOTSUP), 3, 0x1000),
		CASE(466 /* removexattrat */, ERRNO(ENOTSUP), 3, 0x1000),
		CASE(SYS_fsetxattr, ALLOW, 3, 0x1000, 0x2000, 1, 0),
		CASE(SYS_fremovexattr, ALLOW, 3, 0x1000),
	};
	struct filter_opts o = { .notify = true };
	run_cases(&o, cases, ELEMENTSOF(cases));
}

/* The programs compiled at build time are exactly what libseccomp makes of the same switches
 * now; a pid to protect is never prebuilt. */
/* Without the signal scope: airlock and the session's reaper (its pid set after the build,
 * in the reaper) are out of reach; other pids are not; kill(-1) is refused. */
TEST(protected_pids_airlock_and_reaper)
{
	struct filter_opts o = { .unix_sockets = true, .notify = true, .protect_pid = 4242 };
	struct sock_fprog prog;
	build(&o, &prog);
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_kill, 4242, SIGKILL));
	EXPECT_EQ(ALLOW, sim2(&prog, SYS_kill, 4343, SIGKILL)); /* not set yet */
	EXPECT_LE(1u, filter_set_reaper_pid(&prog, 4343)); /* libseccomp shares equal blocks */
	EXPECT_EQ(0u, filter_set_reaper_pid(&prog, 4444)); /* set once */
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_kill, 4343, SIGKILL));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_tgkill, 4343, 4343));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_tkill, 4343, SIGKILL));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_rt_sigqueueinfo, 4343, SIGKILL));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_rt_tgsigqueueinfo, 4343, 4343));
	EXPECT_EQ(ALLOW, sim2(&prog, SYS_tgkill, 4444, 4444));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_pidfd_open, 4343, 0));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_kill, 4242, 0));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_kill, (uint32_t)-1, SIGKILL));
	EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_kill, (uint32_t)-4343, SIGSTOP)); /* its group */
	EXPECT_EQ(ALLOW, sim2(&prog, SYS_kill, (uint32_t)-4444, SIGSTOP));
	EXPECT_EQ(ALLOW, sim2(&prog, SYS_kill, 4444, SIGKILL));
	filter_prog_done(&prog);

	struct filter_opts scoped = { .unix_sockets = true, .notify = true };
	build(&scoped, &prog);
	EXPECT_EQ(0u, filter_set_reaper_pid(&prog, 4343)); /* the kernel's scope does it */
	filter_prog_done(&prog);
}

/* Resource limits: its own (pid 0) only, whatever the switches; never another process's. */
TEST(prlimit_of_others_refused)
{
	FOR_EACH_OPTS(o) {
		struct sock_fprog prog;
		build(&o, &prog);
		EXPECT_EQ(ALLOW, sim2(&prog, SYS_prlimit64, 0, RLIMIT_NOFILE));
		EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_prlimit64, 4242, RLIMIT_NOFILE));
		EXPECT_EQ(ERRNO(EPERM), sim2(&prog, SYS_prlimit64, UINT64_C(1) << 32, RLIMIT_NOFILE));
		EXPECT_EQ(ALLOW, sim2(&prog, SYS_setrlimit, RLIMIT_NOFILE, 0x1000));
		filter_prog_done(&prog);
	}
}

TEST(prebuilt_programs_match_a_fresh_compile)
{
	for (unsigned key = 0; key < 32; key++) {
		struct filter_opts o = {
			.net_off = key & 1, .unix_sockets = key & 2, .path_metadata = key & 4,
			.notify = key & 8, .unix_mediated = key & 16,
		};
		struct sock_fprog a, b;
		ASSERT_EQ(0, filter_build(&o, &a));
		ASSERT_EQ(0, filter_compile(&o, &b));
		ASSERT_EQ(a.len, b.len);
		ASSERT_EQ(0, memcmp(a.filter, b.filter, a.len * sizeof(*a.filter)));
		filter_prog_done(&a);
		filter_prog_done(&b);
	}
	struct filter_opts p = { .protect_pid = 4242 }, q = { 0 };
	struct sock_fprog a, b;
	ASSERT_EQ(0, filter_build(&p, &a));
	ASSERT_EQ(0, filter_build(&q, &b));
	ASSERT_FALSE(a.len == b.len && !memcmp(a.filter, b.filter, a.len * sizeof(*a.filter)));
	filter_prog_done(&a);
	filter_prog_done(&b);
}

HARNESS_MAIN
