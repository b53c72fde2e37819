/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D06: right after exec, the sandboxed program must hold fds 0, 1 and 2 only: no seccomp
 * listener, no Landlock ruleset or anchor fds, no socket of airlock's, and nothing airlock
 * itself inherited from its caller (the driver leaves an fd of the secret open, not
 * close-on-exec, when it starts airlock). Every other open fd is described, and read if it is a
 * regular file.
 *
 *	D06-inherited-fds
 */
#include <sys/resource.h>

#include "attack.h"

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		attack_usage("D06-inherited-fds");
	struct rlimit rl;
	int max = 65536;
	/* fcntl() opens nothing: the scan sees the fd table exactly as exec left it. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max)
		max = (int)rl.rlim_cur;
	static int found[64];
	int nfound = 0;
	for (int fd = 3; fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && nfound < 64) {
			if (is_sdk_fd(fd))
				printf("fd %d: the session's SDK socket (AIRLOCK_SOCKET_FD)\n", fd);
			else
				found[nfound++] = fd;
		}

	for (int fd = 0; fd <= 2; fd++)
		printf("fd %d: %s\n", fd, fcntl(fd, F_GETFD) >= 0 ? "open" : "closed");
	for (int i = 0; i < nfound; i++) {
		char target[PATH_MAX];
		struct stat st;
		ssize_t n =
			readlink(pathf("/proc/self/fd/%d", found[i]), target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fstat(found[i], &st);
		attack_leak("fd %d is open after exec: mode %o, %s", found[i], (unsigned)st.st_mode,
			    target);
		if (S_ISREG(st.st_mode))
			dump_fd(found[i]);
	}
	printf("%d unexpected fd(s)\n", nfound);
	return attack_finish();
}
