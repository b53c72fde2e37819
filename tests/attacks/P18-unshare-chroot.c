/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P18: change the process's view of the file system: unshare a user namespace (unshare -Ur),
 * a mount namespace, clone/clone3 with namespace flags, setns, and chroot into the project. The
 * namespace calls must be denied. chroot needs CAP_SYS_CHROOT: as an unprivileged user it fails
 * anyway; if root's chroot succeeds, every way back out (a cwd outside the new root, "..")
 * must still be denied the secret.
 *
 *	P18-unshare-chroot HOME PROJ
 */
#include <linux/sched.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "attack.h"

static int try_clone_flags(unsigned long flags)
{
	pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return 0;
}

static int try_clone3_flags(unsigned long long flags)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P18-unshare-chroot HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);

	control("fork (clone without namespace flags)", try_clone_flags(0));
	must_fail("clone(CLONE_NEWUSER)", try_clone_flags(CLONE_NEWUSER));
	must_fail("clone(CLONE_NEWNS)", try_clone_flags(CLONE_NEWNS));
	must_fail("clone3(CLONE_NEWUSER)", try_clone3_flags(CLONE_NEWUSER));
	must_fail("clone3(CLONE_NEWNS|CLONE_NEWPID)", try_clone3_flags(CLONE_NEWNS | CLONE_NEWPID));
	int nsfd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	if (nsfd >= 0) {
		/* Joining one's own namespace is EINVAL from the kernel; a filter says EPERM. */
		int r = setns(nsfd, CLONE_NEWUSER);
		printf("setns(own user ns): %s\n", ename(r < 0 ? errno : 0));
		close(nsfd);
	}
	must_fail("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS) < 0 ? errno : 0);
	must_fail("unshare(CLONE_NEWUSER|CLONE_NEWNS) (unshare -Urm)",
		  unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0);
	must_fail("unshare(CLONE_NEWUSER) (unshare -Ur)", unshare(CLONE_NEWUSER) < 0 ? errno : 0);

	/* chroot into a subdirectory while the cwd stays outside the new root: the classic way
	 * back out is a relative walk from the cwd. */
	if (chdir(proj) < 0)
		attack_not_applicable("chdir PROJ: %s", ename(errno));
	if (mkdir("p18-root", 0755) < 0 && errno != EEXIST)
		control("mkdir PROJ/p18-root", errno);
	int r = chroot("p18-root");
	if (r < 0) {
		printf("held chroot(PROJ/p18-root): %s\n", ename(errno));
	} else {
		attack_note("chroot(PROJ/p18-root) succeeded (euid %d): checking the ways out",
			    (int)geteuid());
		must_read("after chroot: a.txt relative to the old cwd", "a.txt");
		must_not_read("after chroot: ../home/.ssh/id_rsa (cwd outside the root)",
			      "../home/.ssh/id_rsa");
		must_not_read("after chroot: ../../../../.. + secret (cwd outside the root)",
			      pathf("../../../../../../../../..%s", secret));
		must_fail("after chroot: the secret's absolute path resolves inside the new root",
			  try_open(secret, O_RDONLY));
		must_fail("after chroot: /etc/passwd resolves inside the new root",
			  try_open("/etc/passwd", O_RDONLY));
	}
	return attack_finish();
}
