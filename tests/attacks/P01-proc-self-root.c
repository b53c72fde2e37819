/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P01: reach a denied file through /proc magic links to "/" and to directories: the sandboxed
 * process must not read $HOME/.ssh/id_rsa through /proc/self/root, /proc/thread-self/root,
 * /proc/<pid>/root, /proc/self/task/<tid>/root, /proc/self/cwd or /proc/self/fd/<dirfd>.
 * (A supervisor that resolved these in its own context would hand out its own view.)
 *
 *	P01-proc-self-root HOME PROJ      (PROJ is the working directory; HOME and PROJ siblings)
 */
#include "attack.h"

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P01-proc-self-root HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);
	int self = getpid(), tid = gettid();

	must_read("/proc/self/root + project file", pathf("/proc/self/root%s/a.txt", proj));
	must_read("/proc/self/cwd/a.txt", "/proc/self/cwd/a.txt");

	must_not_read("plain open of the secret", secret);
	must_not_read("/proc/self/root + secret", pathf("/proc/self/root%s", secret));
	must_not_read("/proc/thread-self/root + secret", pathf("/proc/thread-self/root%s", secret));
	must_not_read("/proc/<pid>/root + secret", pathf("/proc/%d/root%s", self, secret));
	must_not_read("/proc/self/task/<tid>/root + secret",
		      pathf("/proc/self/task/%d/root%s", tid, secret));
	must_not_read("/proc/self/root/proc/self/root + secret",
		      pathf("/proc/self/root/proc/self/root%s", secret));
	must_not_read("/proc/self/cwd/../home/.ssh/id_rsa", "/proc/self/cwd/../home/.ssh/id_rsa");
	must_not_read("/proc/1/root + secret", pathf("/proc/1/root%s", secret));
	must_not_read("/dev/fd/../root-less walk: /proc/self/fd/../root + secret",
		      pathf("/proc/self/fd/../root%s", secret));

	int dfd = open(proj, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		control("open project O_PATH", errno);
	} else {
		must_read("/proc/self/fd/<projfd>/a.txt", pathf("/proc/self/fd/%d/a.txt", dfd));
		must_not_read("/proc/self/fd/<projfd>/../home/.ssh/id_rsa",
			      pathf("/proc/self/fd/%d/../home/.ssh/id_rsa", dfd));
		close(dfd);
	}
	must_fail("opendir /proc/self/root + ~/.ssh",
		  try_open(pathf("/proc/self/root%s/.ssh", home), O_RDONLY | O_DIRECTORY));
	return attack_finish();
}
