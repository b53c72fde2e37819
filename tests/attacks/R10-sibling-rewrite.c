/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R10: R01 with the writer in another process. Child C loops open(buf) on GOOD (granted);
 * its parent, a sibling in the same sandbox, tries to rewrite C's buffer to SECRET (same
 * length) with process_vm_writev(2), ptrace(PTRACE_POKEDATA) and a write to /proc/C/mem.
 * The filter refuses the first two (EPERM) and Landlock the third (/proc is read-only); if one
 * of them works anyway, the parent flips C's buffer with it and C must still never open the
 * secret (the same outcome as R01).
 *
 * usage: R10-sibling-rewrite GOOD SECRET [SECONDS]
 * Run bare, process_vm_writev works and C reads the secret: exit 1.
 */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "attack.h"

static char buf[PATH_MAX];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int child_main(const struct stat *secret_st, double seconds)
{
	unsigned long opened = 0, denied = 0;
	double end = now_s() + seconds;
	while (now_s() < end) {
		int fd = open(buf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0) {
			denied++;
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && same_inode(&st, secret_st)) {
			attack_leak("child: opened the secret after a sibling rewrote its buffer");
			dump_fd(fd);
			close(fd);
			return 1;
		}
		opened++;
		close(fd);
	}
	printf("child: %lu opens, %lu failed\n", opened, denied);
	return opened ? 0 : 3;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("R10-sibling-rewrite GOOD SECRET [SECONDS]");
	const char *good = argv[1], *secret = argv[2];
	double seconds = argc > 3 ? atof(argv[3]) : 1.5;
	size_t len = strlen(good) + 1;
	if (strlen(secret) + 1 != len)
		attack_usage("GOOD and SECRET must have the same length");
	struct stat secret_st;
	if (stat(secret, &secret_st) < 0)
		attack_not_applicable("stat %s: %s", secret, ename(errno));
	/* Positive control (and the first approval, if one is needed). */
	control("open GOOD", try_open(good, O_RDONLY));
	memcpy(buf, good, len);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(child_main(&secret_st, seconds));

	/* The three ways to write another process's memory. */
	struct iovec local = { (void *)secret, len }, remote = { buf, len };
	ssize_t n = process_vm_writev(c, &local, 1, &remote, 1, 0);
	int vm_err = n < 0 ? errno : 0;
	must_be("process_vm_writev into the sibling", vm_err, EPERM);

	int pt_err = 0;
	if (ptrace(PTRACE_SEIZE, c, NULL, NULL) < 0)
		pt_err = errno;
	must_be("ptrace(PTRACE_SEIZE) of the sibling", pt_err, EPERM);
	if (!pt_err) {
		/* Not used to write (it would stop the child); let it go again. */
		kill(c, SIGSTOP);
		waitpid(c, NULL, __WALL);
		ptrace(PTRACE_DETACH, c, NULL, NULL);
		kill(c, SIGCONT);
	}

	int mem = open(pathf("/proc/%d/mem", (int)c), O_RDWR | O_CLOEXEC);
	int mem_err = mem < 0 ? errno : 0;
	must_fail_with("open /proc/<sibling>/mem for writing", mem_err, EACCES, EPERM, 0);

	/* Whatever works, use it: C must hold anyway. */
	unsigned long flips = 0;
	if (!vm_err || mem >= 0) {
		struct iovec good_iov = { (void *)good, len };
		double end = now_s() + seconds;
		for (;;) {
			siginfo_t si = { 0 };
			if (now_s() >= end ||
			    waitid(P_PID, (id_t)c, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid)
				break;
			if (!vm_err) {
				process_vm_writev(c, &local, 1, &remote, 1, 0);
				process_vm_writev(c, &good_iov, 1, &remote, 1, 0);
			} else {
				/* Failures are expected (Landlock refuses /proc/<pid>/mem). */
				if (pwrite(mem, secret, len, (off_t)(uintptr_t)buf) < 0 ||
				    pwrite(mem, good, len, (off_t)(uintptr_t)buf) < 0)
					errno = 0;
			}
			flips++;
		}
		attack_note("rewrote the sibling's buffer %lu times", flips);
	}
	if (mem >= 0)
		close(mem);

	int st;
	waitpid(c, &st, 0);
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (code == 1)
		attack_leaks++;
	else if (code != 0) {
		printf("WRONG child exited %d\n", code);
		attack_bad++;
	}
	return attack_finish();
}
