/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P02: re-open every fd number through /proc/self/fd/N. Only the program's own fds may re-open;
 * nothing airlock holds (or was handed by airlock's caller) may be reachable this way. The driver
 * starts airlock with an fd of the secret and of ~/.ssh inherited (not close-on-exec); airlock
 * must not pass them on.
 *
 *	P02-proc-self-fd HOME PROJ
 */
#include <sys/resource.h>

#include "attack.h"

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P02-proc-self-fd HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	struct stat secret_st, ssh_st, st;
	struct rlimit rl;
	int fd, maxfd = 1024;

	/* stat is not restricted by Landlock: it tells us what the secret looks like. */
	if (stat(pathf("%s/.ssh/id_rsa", home), &secret_st) < 0 ||
	    stat(pathf("%s/.ssh", home), &ssh_st) < 0)
		attack_not_applicable("cannot stat the secret: %s", ename(errno));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)maxfd)
		maxfd = (int)rl.rlim_cur;

	/* Scan first, before this program opens anything itself. */
	int reopened = 0;
	for (int n = 0; n < maxfd; n++) {
		int e = try_openat(AT_FDCWD, pathf("/proc/self/fd/%d", n),
				   O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
		if (e == ENOENT)
			continue;
		if (is_sdk_fd(n)) {
			printf("fd %d: the session's SDK socket (AIRLOCK_SOCKET_FD)\n", n);
			continue;
		}
		if (e) {
			printf("fd %d: exists, re-open %s\n", n, ename(e));
			if (n > 2)
				attack_leak("fd %d is open in the sandbox (only 0-2 may be)", n);
			continue;
		}
		reopened++;
		if (fstat(fd, &st) == 0 &&
		    (same_inode(&st, &secret_st) || same_inode(&st, &ssh_st))) {
			attack_leak("fd %d re-opens the secret or ~/.ssh", n);
			dump_fd(fd);
		} else if (n > 2) {
			attack_leak("fd %d is open in the sandbox and re-opens (mode %o)", n,
				    (unsigned)st.st_mode);
			if (S_ISREG(st.st_mode))
				dump_fd(fd);
		} else {
			printf("fd %d: own standard fd, re-opens (mode %o)\n", n,
			       (unsigned)st.st_mode);
		}
		close(fd);
	}
	attack_note("%d fd(s) re-opened", reopened);

	/* Positive control: a file of our own re-opens through /proc/self/fd. */
	if (try_openat(AT_FDCWD, pathf("%s/a.txt", proj), O_RDONLY, &fd) == 0) {
		must_read("own fd re-opens via /proc/self/fd", pathf("/proc/self/fd/%d", fd));
		close(fd);
	} else {
		control("open project file", errno);
	}
	return attack_finish();
}
