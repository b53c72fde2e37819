/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The static seccomp filter (see filter.h).
 *
 * Invariants. Tests: tests/unit/test-filter.c runs the exported BPF in a simulator over
 * (arch, nr, args) tables; tests/unit/test-filter-live.c makes the same calls on the kernel.
 *
 * 1. Architecture first. The filter knows the native ABI (x86_64) only and libseccomp emits the
 *    arch test as its first instructions: any other audit arch is KILL_PROCESS (BADARCH). That
 *    is i386 through `int $0x80`, where every number means another syscall (open is 5, not 2).
 *    x32 calls arrive as AUDIT_ARCH_X86_64 with nr | 0x40000000: when the filter has no x32
 *    arch, libseccomp (2.5.4, checked on the exported program, not assumed) sends every
 *    nr >= 0x40000000 to the BADARCH action too, before any rule, except nr == -1, which
 *    tracers use to skip a call and which the kernel answers with ENOSYS.
 *    Tests: foreign_arch_killed, x32_killed; live: x32_openat_killed, i386_int80_killed.
 * 2. Arguments the kernel reads as int or unsigned int are compared on their low 32 bits only.
 *    The upper half of the register is garbage the kernel ignores, so a 64-bit equality is
 *    bypassed by setting bit 32 (CVE-2019-10063: TIOCSTI | 1 << 32 in flatpak). libseccomp 2.5
 *    has no 32-bit comparison: SCMP_A1_32() only truncates the datum and still requires the
 *    high word to match (and SCMP_CMP_GT fires on any high bit). We therefore only use
 *    SCMP_CMP_MASKED_EQ with a mask whose high half is zero: libseccomp still emits the
 *    high-word test, as (hi & 0) == 0, which always holds. Ranges are built out of such masks
 *    (rule_low32_at_least()). Pointers (utimensat's path) are compared on all 64 bits.
 * 3. The default is ALLOW; this filter only denies, the notify filter and Landlock do the rest.
 *    For one syscall, rules never overlap with different actions, so libseccomp's undocumented
 *    precedence between matching rules never decides an outcome.
 * 4. What each group stops:
 *    - io_uring: its operations (IORING_OP_OPENAT, OP_CONNECT, ...) never pass through seccomp
 *      and would bypass the supervisor; ENOSYS, so programs fall back to plain syscalls.
 *      clone3: its flags live in memory BPF cannot read; ENOSYS makes glibc fall back to clone,
 *      whose namespace flags we can see and deny.
 *    - escapes and kernel attack surface: file handles (open_by_handle_at, "shocker"), keyrings
 *      (shared per uid; CVE-2024-42318 dropped the Landlock domain), bpf, perf, userfaultfd
 *      (stalls supervisor reads), fanotify, namespaces and every mount API (Landlock does not
 *      stop chroot), ptrace and process_vm_writev (rewrite another thread's arguments after the
 *      supervisor read them), modules, kexec, swap, reboot, acct, quotactl, vhangup.
 *    - personality flags that weaken ASLR or NX; the 0xffffffff query stays allowed.
 *    - terminal injection through the inherited tty: TIOCSTI, TIOCLINUX, TIOCSETD.
 *    - prctl(PR_SET_DUMPABLE, 0) reports success and does nothing: otherwise a rootless
 *      supervisor can no longer read the child's memory and has to deny every trapped call.
 *    - path-based chmod, chown, xattr and utime changes, which Landlock ABI 7 does not check,
 *      unless the profile opts in (path_metadata). Forms that take a path and AT_EMPTY_PATH
 *      (fchownat, fchmodat2, utimensat with "", *xattrat) accept an O_PATH fd, so they go
 *      with the path forms. The fd-based forms (fchmod, fchown, fsetxattr, fremovexattr,
 *      utimensat(fd, NULL, ...)) stay allowed: they need an fd opened for reading or writing,
 *      which Landlock or the supervisor granted; an O_PATH fd gets EBADF from the kernel.
 *      Accepted limit: a file the sandbox may open, even read-only, can have its metadata
 *      changed through that fd (the kernel's owner checks still apply).
 *    - sockets: Landlock restricts TCP only (erratum 1: not MPTCP/SCTP/UDP/raw). Families
 *      other than INET and INET6 (and UNIX when the profile allows it) are EACCES; with the
 *      network off only UNIX. TCP Fast Open (MSG_FASTOPEN, TCP_FASTOPEN_CONNECT) connects
 *      without connect() and bypasses Landlock's TCP connect rule on 6.18: denied with the
 *      network off. socketpair() is allowed for stream and seqpacket pairs (the SDK channel,
 *      pipes-by-socket), datagram pairs only with unix_sockets.
 * 5. A syscall this libseccomp does not know is added by number when we know its number on
 *    this arch, and skipped otherwise: the filter never fails to build because of it.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "filter.h"

/* Syscalls newer than libseccomp 2.5.4, by number. Since Linux 5.1 new syscalls share one
 * number on every arch but alpha; we only build for x86_64, where these were checked against
 * arch/x86/entry/syscalls/syscall_64.tbl (6.18). */
#if defined(__x86_64__)
#define NEW_NR(n) (n)
#else
#define NEW_NR(n) 0
#endif

struct sysref {
	const char *name;
	int fallback_nr; /* used when libseccomp does not know name; 0: none */
};

#define SYS(name) { #name, 0 }
#define SYS_NEW(name, nr) { #name, NEW_NR(nr) }

/* Low 32 bits of argument arg equal v, whatever the high bits (invariant 2). */
#define LOW32_EQ(arg, v) SCMP_CMP64((arg), SCMP_CMP_MASKED_EQ, UINT32_C(0xffffffff), (uint32_t)(v))
/* (low 32 bits of argument arg) & mask == v. */
#define LOW32_MASKED(arg, mask, v) \
	SCMP_CMP64((arg), SCMP_CMP_MASKED_EQ, (uint32_t)(mask), (uint32_t)(v))

static const struct sysref deny_enosys[] = {
	SYS(io_uring_setup),
	SYS(io_uring_enter),
	SYS(io_uring_register),
	SYS(clone3),
};

static const struct sysref deny_eperm[] = {
	SYS(open_by_handle_at),
	SYS(name_to_handle_at),
	SYS(keyctl),
	SYS(add_key),
	SYS(request_key),
	SYS(bpf),
	SYS(perf_event_open),
	SYS(userfaultfd),
	SYS(fanotify_init),
	SYS(mount),
	SYS(umount2),
	SYS(fsopen),
	SYS(fsconfig),
	SYS(fsmount),
	SYS(fspick),
	SYS(open_tree),
	SYS_NEW(open_tree_attr, 467), /* open_tree with mount attributes (6.15) */
	SYS(move_mount),
	SYS(mount_setattr),
	SYS(pivot_root),
	SYS(chroot),
	SYS(unshare),
	SYS(setns),
	SYS(ptrace),
	SYS(process_vm_writev),
	SYS(kexec_load),
	SYS(kexec_file_load),
	SYS(init_module),
	SYS(finit_module),
	SYS(delete_module),
	SYS(swapon),
	SYS(swapoff),
	SYS(reboot),
	SYS(acct),
	SYS(quotactl),
	SYS(lookup_dcookie),
	SYS(vhangup),
};

/* Path-based metadata changes Landlock does not see (utimensat is conditional, see below). */
static const struct sysref path_metadata[] = {
	SYS(chmod),
	SYS(fchmodat),
	SYS_NEW(fchmodat2, 452),
	SYS(chown),
	SYS(lchown),
	SYS(fchownat),
	SYS(setxattr),
	SYS(lsetxattr),
	SYS(removexattr),
	SYS(lremovexattr),
	SYS_NEW(setxattrat, 463),
	SYS_NEW(removexattrat, 466),
	SYS_NEW(file_setattr, 469), /* FS_IOC_FSSETXATTR by path (6.17) */
	SYS(utime),
	SYS(utimes),
	SYS(futimesat),
};

/*
 * Trapped for the supervisor in supervised mode: every call that names a path and creates,
 * opens, removes, renames or changes something. Never the stat family (glibc's fstat is
 * newfstatat(fd, ""), trapping it triples the cost of git status). The supervisor answers
 * CONTINUE only for calls that Landlock checks (open..truncate), where the kernel's own check
 * is the floor; the metadata calls Landlock does not check are always performed by it.
 */
static const struct sysref notified[] = {
	SYS(open),
	SYS(creat),
	SYS(openat),
	SYS(openat2),
	SYS(mkdir),
	SYS(mkdirat),
	SYS(mknod),
	SYS(mknodat),
	SYS(unlink),
	SYS(unlinkat),
	SYS(rmdir),
	SYS(rename),
	SYS(renameat),
	SYS(renameat2),
	SYS(link),
	SYS(linkat),
	SYS(symlink),
	SYS(symlinkat),
	SYS(truncate),
	SYS(chmod),
	SYS(fchmodat),
	SYS_NEW(fchmodat2, 452),
	SYS(chown),
	SYS(lchown),
	SYS(fchownat),
};

/* With Unix sockets mediated: where a socket connects or binds is decided by the supervisor,
 * which performs the call itself (CONTINUE would let another thread swap the fd or the address
 * after the check). */
static const struct sysref socket_calls[] = {
	SYS(connect),
	SYS(bind),
};

/* Path metadata calls the supervisor does not perform: refused in supervised mode. These
 * (6.13+, unused by libc) get ENOTSUP, which programs take as "this filesystem has none". */
static const struct sysref unsupervised_xattr[] = {
	SYS_NEW(setxattrat, 463),
	SYS_NEW(removexattrat, 466),
	SYS_NEW(file_setattr, 469),
};
/* The legacy time calls, which always name a path, and the path forms of the xattr calls:
 * performed by the supervisor (like utimensat and chmod). */
static const struct sysref performed_calls[] = {
	SYS(utime),
	SYS(utimes),
	SYS(setxattr),
	SYS(lsetxattr),
	SYS(removexattr),
	SYS(lremovexattr),
};

static const uint32_t clone_ns_flags[] = {
	CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
	CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWTIME,
};

static const uint32_t personality_flags[] = {
	READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT, MMAP_PAGE_ZERO, ADDR_LIMIT_32BIT,
	ADDR_LIMIT_3GB, SHORT_INODE, WHOLE_SECONDS, STICKY_TIMEOUTS,
};

static const uint32_t tty_ioctls[] = { TIOCSTI, TIOCLINUX, TIOCSETD };

static void filter_ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* The syscall number on the native arch, or < 0 when it has none (skip the rule). */
static int sysref_resolve(const struct sysref *ref)
{
	int nr = seccomp_syscall_resolve_name(ref->name);

	if (nr == __NR_SCMP_ERROR && ref->fallback_nr > 0)
		nr = ref->fallback_nr;
	/* __NR_SCMP_ERROR, or one of libseccomp's negative pseudo-numbers for syscalls that do
	 * not exist on this arch (it would emit them as an impossible 32-bit number). */
	return nr;
}

static int rule(scmp_filter_ctx ctx, uint32_t action, const struct sysref *ref, unsigned int n,
		const struct scmp_arg_cmp *cmp)
{
	int nr = sysref_resolve(ref);

	if (nr < 0)
		return 0;
	return seccomp_rule_add_exact_array(ctx, action, nr, n, cmp);
}

static int rule1(scmp_filter_ctx ctx, uint32_t action, const char *name, struct scmp_arg_cmp c)
{
	return rule(ctx, action, &(const struct sysref){ name, 0 }, 1, &c);
}

static int rule_each(scmp_filter_ctx ctx, uint32_t action, const struct sysref *refs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = rule(ctx, action, &refs[i], 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Match when the low 32 bits of argument arg are >= min, whatever the high bits: libseccomp's
 * SCMP_CMP_GE/GT also test the high word (invariant 2). [min, 2^32) is split into aligned
 * power-of-two blocks, each one masked comparison on the low word: for min = 11 that is 11,
 * 12-15, 16-31, 32-63, ..., 2^31-(2^32-1), i.e. 30 rules.
 */
static int rule_low32_at_least(scmp_filter_ctx ctx, uint32_t action, const char *name,
			       unsigned int arg, uint32_t min)
{
	const uint64_t end = UINT64_C(1) << 32;

	if (min == 0)
		return rule(ctx, action, &(const struct sysref){ name, 0 }, 0, NULL);
	for (uint64_t v = min; v < end;) {
		uint64_t size = v & -v; /* largest aligned block starting at v; v + size <= end */
		int r = rule1(ctx, action, name, LOW32_MASKED(arg, ~(size - 1), v));
		if (r < 0)
			return r;
		v += size;
	}
	return 0;
}

/*
 * personality(2): deny when the low 32 bits have any flag of personality_flags set, except
 * 0xffffffff, the query, which changes nothing. A rule may test an argument once, so there is
 * no "!= 0xffffffff": each rule is a cube "flag F set and bit b clear", and their union is
 * exactly { x : x & FLAGS && x != 0xffffffff }:
 *  (a) flag[i] set and flag[i + 1 mod n] clear, for each i: some flags set but not all
 *      (walking the cycle from a set flag, some set flag is followed by a clear one);
 *  (b) flag[0] set and b clear, for each bit b that is no flag: all flags set, another bit clear.
 * No cube holds 0xffffffff (each needs a clear bit) or a value without flags. That is 32 rules,
 * the minimum: each 0xffffffff ^ (1 << b) needs a cube of its own.
 */
static int add_personality_rules(scmp_filter_ctx ctx)
{
	const size_t n = ELEMENTSOF(personality_flags);
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	uint32_t all = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		all |= personality_flags[i];
	for (size_t i = 0; i < n; i++) {
		uint32_t f = personality_flags[i], g = personality_flags[(i + 1) % n];
		r = rule1(ctx, eperm, "personality", LOW32_MASKED(0, f | g, f));
		if (r < 0)
			return r;
	}
	for (unsigned int b = 0; b < 32; b++) {
		uint32_t bit = UINT32_C(1) << b, f = personality_flags[0];
		if (all & bit)
			continue;
		r = rule1(ctx, eperm, "personality", LOW32_MASKED(0, f | bit, f));
		if (r < 0)
			return r;
	}
	return 0;
}

/* socket(domain, ...): domain is an int. */
static int add_socket_family_rules(scmp_filter_ctx ctx, const struct filter_opts *opts)
{
	const uint32_t eacces = SCMP_ACT_ERRNO(EACCES);
	int r;

	bool unix_ok = opts->unix_sockets || opts->unix_mediated;

	if (opts->unix_mediated && !opts->unix_sockets) {
		/* A datagram socket could sendto() any path, and sendmsg's address is in memory
		 * we cannot see: only connection-mode Unix sockets, whose connect() is trapped. */
		r = rule(ctx, eacces, &(const struct sysref){ "socket", 0 }, 2,
			 (const struct scmp_arg_cmp[]){ LOW32_EQ(0, AF_UNIX),
							LOW32_MASKED(1, 0xf, SOCK_DGRAM) });
		if (r < 0)
			return r;
	}
	if (opts->net_off) {
		if (!unix_ok)
			return rule_low32_at_least(ctx, eacces, "socket", 0, 0);
		r = rule1(ctx, eacces, "socket", LOW32_EQ(0, AF_UNSPEC));
		if (r < 0)
			return r;
		return rule_low32_at_least(ctx, eacces, "socket", 0, AF_UNIX + 1);
	}

	/* Families below AF_INET6 one by one, then everything above it. */
	for (uint32_t family = AF_UNSPEC; family < AF_INET6; family++) {
		if (family == AF_INET || (family == AF_UNIX && unix_ok))
			continue;
		r = rule1(ctx, eacces, "socket", LOW32_EQ(0, family));
		if (r < 0)
			return r;
	}
	return rule_low32_at_least(ctx, eacces, "socket", 0, AF_INET6 + 1);
}

static int add_socket_rules(scmp_filter_ctx ctx, const struct filter_opts *opts)
{
	const uint32_t eacces = SCMP_ACT_ERRNO(EACCES);
	int r;

	r = add_socket_family_rules(ctx, opts);
	if (r < 0)
		return r;
	/*
	 * An unbound datagram socket from socketpair() can still sendto() or connect() a pathname
	 * address (/dev/log, the journal, any datagram service), which is what denying
	 * socket(AF_UNIX) is for; stream and seqpacket pairs are connected already (EISCONN).
	 * type is an int: its low 4 bits are the type, the rest SOCK_NONBLOCK/SOCK_CLOEXEC.
	 * Test: tests/attacks F06 (datagram via socketpair).
	 */
	if (!opts->unix_sockets) {
		r = rule1(ctx, eacces, "socketpair", LOW32_MASKED(1, 0xf, SOCK_DGRAM));
		if (r < 0)
			return r;
	}
	if (!opts->net_off)
		return 0;

	/* TCP Fast Open. flags: sendto arg3, sendmsg arg2, sendmmsg arg3 (unsigned int). */
	r = rule1(ctx, eacces, "sendto", LOW32_MASKED(3, MSG_FASTOPEN, MSG_FASTOPEN));
	if (r < 0)
		return r;
	r = rule1(ctx, eacces, "sendmsg", LOW32_MASKED(2, MSG_FASTOPEN, MSG_FASTOPEN));
	if (r < 0)
		return r;
	r = rule1(ctx, eacces, "sendmmsg", LOW32_MASKED(3, MSG_FASTOPEN, MSG_FASTOPEN));
	if (r < 0)
		return r;
	/* setsockopt(fd, level, optname, ...): level and optname are ints. */
	return rule(ctx, eacces, &(const struct sysref){ "setsockopt", 0 }, 2,
		    (const struct scmp_arg_cmp[]){ LOW32_EQ(1, IPPROTO_TCP),
						   LOW32_EQ(2, TCP_FASTOPEN_CONNECT) });
}

static int add_rules(scmp_filter_ctx ctx, const struct filter_opts *opts)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int r;

	r = rule_each(ctx, SCMP_ACT_ERRNO(ENOSYS), deny_enosys, ELEMENTSOF(deny_enosys));
	if (r < 0)
		return r;
	r = rule_each(ctx, eperm, deny_eperm, ELEMENTSOF(deny_eperm));
	if (r < 0)
		return r;

	/* clone(flags, ...): flags is unsigned long but the kernel keeps its low 32 bits. */
	for (size_t i = 0; i < ELEMENTSOF(clone_ns_flags); i++) {
		uint32_t f = clone_ns_flags[i];
		r = rule1(ctx, eperm, "clone", LOW32_MASKED(0, f, f));
		if (r < 0)
			return r;
	}

	/* Resource limits of another process: Landlock's scopes do not cover prlimit, and a
	 * sandbox could starve the session's reaper or airlock itself of file descriptors
	 * (RLIMIT_NOFILE 0: the reaper could no longer list what it must kill at the end). Its
	 * own limits (pid 0, glibc's setrlimit and prlimit) stay its own. */
	r = rule1(ctx, eperm, "prlimit64", SCMP_CMP64(.arg = 0, .op = SCMP_CMP_NE, .datum_a = 0));
	if (r < 0)
		return r;

	r = add_personality_rules(ctx);
	if (r < 0)
		return r;

	for (size_t i = 0; i < ELEMENTSOF(tty_ioctls); i++) {
		r = rule1(ctx, eperm, "ioctl", LOW32_EQ(1, tty_ioctls[i]));
		if (r < 0)
			return r;
	}

	/* option is an int; arg2 is an unsigned long the kernel compares on 64 bits, but faking
	 * success for a call it would reject with EINVAL is harmless, so both use 32 bits. */
	r = rule(ctx, SCMP_ACT_ERRNO(0), &(const struct sysref){ "prctl", 0 }, 2,
		 (const struct scmp_arg_cmp[]){ LOW32_EQ(0, PR_SET_DUMPABLE), LOW32_EQ(1, 0) });
	if (r < 0)
		return r;

	if (opts->notify) {
		r = rule_each(ctx, SCMP_ACT_NOTIFY, notified, ELEMENTSOF(notified));
		if (r < 0)
			return r;
		r = rule_each(ctx, SCMP_ACT_ERRNO(ENOTSUP), unsupervised_xattr,
			      ELEMENTSOF(unsupervised_xattr));
		if (r < 0)
			return r;
		r = rule_each(ctx, SCMP_ACT_NOTIFY, performed_calls, ELEMENTSOF(performed_calls));
		if (r < 0)
			return r;
		/* utimensat and futimesat with a NULL path act on the dirfd itself: the fd form. */
		r = rule1(ctx, SCMP_ACT_NOTIFY, "utimensat",
			  SCMP_CMP64(.arg = 1, .op = SCMP_CMP_NE, .datum_a = 0));
		if (r < 0)
			return r;
		r = rule1(ctx, SCMP_ACT_NOTIFY, "futimesat",
			  SCMP_CMP64(.arg = 1, .op = SCMP_CMP_NE, .datum_a = 0));
		if (r < 0)
			return r;
		if (opts->unix_mediated) {
			r = rule_each(ctx, SCMP_ACT_NOTIFY, socket_calls, ELEMENTSOF(socket_calls));
			if (r < 0)
				return r;
		}
	} else if (!opts->path_metadata) {
		r = rule_each(ctx, eperm, path_metadata, ELEMENTSOF(path_metadata));
		if (r < 0)
			return r;
		/* utimensat(dirfd, path, times, flags): a NULL path means "dirfd itself". */
		r = rule1(ctx, eperm, "utimensat",
			  SCMP_CMP64(.arg = 1, .op = SCMP_CMP_NE, .datum_a = 0));
		if (r < 0)
			return r;
	}

	if (opts->protect_pid > 0) {
		/* Without Landlock's signal scope (ABI < 6) the sandbox could signal airlock
		 * itself, or every process of the user with kill(-1). The pid is fixed for the
		 * session (airlock outlives the sandbox), so this is no pid-reuse race; other
		 * processes of the user stay reachable by pid, which doctor says. */
		static const struct {
			const char *name;
			unsigned int arg;
		} by_pid[] = {
			{ "kill", 0 }, { "tkill", 0 }, { "tgkill", 0 }, { "rt_sigqueueinfo", 0 },
			{ "rt_tgsigqueueinfo", 0 }, { "pidfd_open", 0 },
		};
		/* The session's reaper too (src/reaper.c), whose pid is not known yet: a
		 * placeholder, set by filter_set_reaper_pid() in the reaper before the fork. */
		for (size_t i = 0; i < ELEMENTSOF(by_pid); i++) {
			r = rule1(ctx, eperm, by_pid[i].name,
				  LOW32_EQ(by_pid[i].arg, (uint32_t)opts->protect_pid));
			if (r >= 0)
				r = rule1(ctx, eperm, by_pid[i].name,
					  LOW32_EQ(by_pid[i].arg, FILTER_REAPER_PID_PLACEHOLDER));
			if (r < 0)
				return r;
		}
		r = rule1(ctx, eperm, "kill", LOW32_EQ(0, UINT32_MAX));
		/* The reaper's process group (it has one of its own): kill(-reaper). */
		if (r >= 0)
			r = rule1(ctx, eperm, "kill", LOW32_EQ(0, (uint32_t)-(int32_t)FILTER_REAPER_PID_PLACEHOLDER));
		if (r < 0)
			return r;
	}

	return add_socket_rules(ctx, opts);
}

/* seccomp_export_bpf() only writes to an fd: go through a memfd and read the program back. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *ret_prog)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ struct sock_filter *insns = NULL;
	struct stat st;
	size_t size, done = 0;
	int r;

	fd = memfd_create("airlock-filter", MFD_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0)
		return -EIO;
	size = (size_t)st.st_size;
	if (size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;

	insns = malloc(size);
	if (!insns)
		return -ENOMEM;
	while (done < size) {
		ssize_t k = pread(fd, (char *)insns + done, size - done, (off_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			return -EIO;
		done += (size_t)k;
	}

	*ret_prog = (struct sock_fprog){
		.len = (unsigned short)(size / sizeof(struct sock_filter)),
		.filter = TAKE_PTR(insns),
	};
	return 0;
}

int filter_compile(const struct filter_opts *opts, struct sock_fprog *ret_prog)
{
	_cleanup_(filter_ctx_releasep) scmp_filter_ctx ctx = NULL;
	int r;

	if (!opts || !ret_prog)
		return -EINVAL;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* Native arch only: i386 and (see invariant 1) x32 calls take this action. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		return r;
	/* The child sets no_new_privs itself; we only export. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r < 0)
		return r;
	/* Binary search over syscall numbers instead of a linear list. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return r;

	r = add_rules(ctx, opts);
	if (r < 0)
		return r;
	return export_prog(ctx, ret_prog);
}

/* Generated at build time by tools/filter-gen.c (which itself links an empty table). */
extern const struct filter_prebuilt filter_prebuilt[];

unsigned filter_opts_key(const struct filter_opts *o)
{
	return (unsigned)o->net_off | (unsigned)o->unix_sockets << 1 | (unsigned)o->path_metadata << 2 |
	       (unsigned)o->notify << 3 | (unsigned)o->unix_mediated << 4;
}

int filter_build(const struct filter_opts *opts, struct sock_fprog *ret_prog)
{
	if (!opts || !ret_prog)
		return -EINVAL;
	/* The program depends only on these switches (and on the pid to protect, which only
	 * kernels without Landlock's signal scope need): use the one compiled at build time,
	 * which saves libseccomp's work at every start. */
	if (opts->protect_pid == 0) {
		unsigned key = filter_opts_key(opts);
		for (const struct filter_prebuilt *f = filter_prebuilt; f->insns; f++) {
			if (f->key != key)
				continue;
			struct sock_filter *copy = malloc(f->len * sizeof(*copy));
			if (!copy)
				return -ENOMEM;
			memcpy(copy, f->insns, f->len * sizeof(*copy));
			*ret_prog = (struct sock_fprog){ .len = f->len, .filter = copy };
			return 0;
		}
	}
	return filter_compile(opts, ret_prog);
}

void filter_prog_done(struct sock_fprog *prog)
{
	if (!prog)
		return;
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

unsigned filter_set_reaper_pid(struct sock_fprog *prog, pid_t pid)
{
	unsigned n = 0;
	for (unsigned short i = 0; prog && i < prog->len; i++) {
		struct sock_filter *insn = &prog->filter[i];
		if (insn->code != (BPF_JMP | BPF_JEQ | BPF_K))
			continue;
		if (insn->k == FILTER_REAPER_PID_PLACEHOLDER) {
			insn->k = (uint32_t)pid;
			n++;
		} else if (insn->k == (uint32_t)-(int32_t)FILTER_REAPER_PID_PLACEHOLDER) {
			insn->k = (uint32_t)-pid; /* its process group */
			n++;
		}
	}
	return n;
}

int filter_install(const struct sock_fprog *prog, unsigned int flags)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);

	return r < 0 ? negative_errno() : (int)r;
}
