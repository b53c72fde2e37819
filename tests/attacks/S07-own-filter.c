/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * S07: the sandbox installs seccomp filters of its own (no_new_privs is set, so it may).
 *	- a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER: EBUSY, one listener per chain (it
 *	  would otherwise answer its own notifications);
 *	- an allow-everything filter: changes nothing (the secret stays refused, GRANTED works);
 *	- ERRNO(EPERM) on openat: only restricts. openat() of GRANTED and SECRET get EPERM,
 *	  while open(2) (not in that filter) still reaches the supervisor: GRANTED opens,
 *	  SECRET does not.
 *
 * usage: S07-own-filter GRANTED SECRET
 * Run bare, the listener is created and SECRET opens: exit 1.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "attack.h"

static int install(struct sock_filter *insns, unsigned short n, unsigned int flags)
{
	struct sock_fprog prog = { n, insns };
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r < 0)
		return -errno;
	return (int)r;
}

static int sys_open(const char *path)
{
	int fd = (int)syscall(SYS_open, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int sys_openat(const char *path)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("S07-own-filter GRANTED SECRET");
	const char *granted = argv[1], *secret = argv[2];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		attack_not_applicable("no_new_privs: %s", ename(errno));
	control("open GRANTED before any filter of ours", sys_open(granted));

	struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	int r = install(allow, 1, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	if (r >= 0) {
		printf("LEAK a second listener was created (fd %d): this process could answer its "
		       "own trapped calls\n", r);
		attack_leaks++;
		close(r);
	} else {
		must_be("seccomp(NEW_LISTENER) inside the sandbox", -r, EBUSY);
	}

	r = install(allow, 1, 0);
	control("install an allow-everything filter", r < 0 ? -r : 0);
	control("open GRANTED under it", sys_open(granted));
	must_fail("open SECRET under it", sys_open(secret));

	struct sock_filter deny_openat[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	r = install(deny_openat, 4, 0);
	control("install ERRNO(EPERM) for openat", r < 0 ? -r : 0);
	must_be("openat GRANTED under it (our filter restricts)", sys_openat(granted), EPERM);
	must_be("openat SECRET under it", sys_openat(secret), EPERM);
	control("open(2) GRANTED under it (the supervisor still serves)", sys_open(granted));
	must_fail("open(2) SECRET under it", sys_open(secret));
	return attack_finish();
}
