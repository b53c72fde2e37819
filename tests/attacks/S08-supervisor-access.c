/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * S08 (and D07 with other pids): the sandbox reaches into a process outside it: the
 * supervisor (airlock itself), or another session's airlock and sandboxed child.
 *	- ptrace(PTRACE_SEIZE), then PTRACE_ATTACH only if SEIZE failed (ATTACH would stop a
 *	  target we could reach): EPERM;
 *	- process_vm_readv() of an address in its stack: EPERM (the permission check comes
 *	  before the address is looked at, so EFAULT would mean we were allowed);
 *	- pidfd_open() then pidfd_getfd() of fds 0-15: EPERM (or pidfd_open refused);
 *	- kill(pid, 0): EPERM;
 *	- /proc/<pid>/{fd/,fdinfo/,environ,mem,cwd/,root/}: EACCES (or another refusal);
 *	- and our own fd table holds nothing but 0-2 (no channel to anyone's supervisor).
 *
 * usage: S08-supervisor-access PID...
 * Run bare against the test runner (our parent), the signal and the reads work: exit 1.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "attack.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* An address in pid's stack from /proc/pid/maps if we can read it, else a likely one. */
static uintptr_t some_address(pid_t pid)
{
	FILE *f = fopen(pathf("/proc/%d/maps", (int)pid), "re");
	char line[512];
	uintptr_t a = 0x400000;
	if (!f)
		return a;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo;
		if (strstr(line, "[stack]") && sscanf(line, "%lx-", &lo) == 1)
			a = (uintptr_t)lo;
	}
	fclose(f);
	return a;
}

static void reach(pid_t pid)
{
	char what[512];
	printf("target %d\n", (int)pid);

	int e = ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ? errno : 0;
	snprintf(what, sizeof(what), "ptrace(PTRACE_SEIZE, %d)", (int)pid);
	must_fail_with(what, e, EPERM, 0);
	if (e) {
		e = ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0 ? errno : 0;
		snprintf(what, sizeof(what), "ptrace(PTRACE_ATTACH, %d)", (int)pid);
		must_fail_with(what, e, EPERM, 0);
	}
	/* A seized tracee is released when we exit. */

	char buf[16];
	struct iovec local = { buf, sizeof(buf) };
	struct iovec remote = { (void *)some_address(pid), sizeof(buf) };
	e = process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 ? errno : 0;
	snprintf(what, sizeof(what), "process_vm_readv(%d)", (int)pid);
	must_fail_with(what, e == EFAULT ? 0 : e, EPERM, 0);

	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0) {
		snprintf(what, sizeof(what), "pidfd_open(%d)", (int)pid);
		must_fail_with(what, errno, EPERM, 0);
	} else {
		int got = 0, last = 0;
		for (int fd = 0; fd < 16; fd++) {
			int g = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
			if (g >= 0) {
				got++;
				close(g);
			} else if (errno != EBADF) {
				last = errno;
			}
		}
		snprintf(what, sizeof(what), "pidfd_getfd(pidfd(%d), 0..15)", (int)pid);
		must_fail_with(what, got ? 0 : last, EPERM, 0);
		close(pfd);
	}

	e = kill(pid, 0) < 0 ? errno : 0;
	snprintf(what, sizeof(what), "kill(%d, 0)", (int)pid);
	must_fail_with(what, e, EPERM, 0);

	/* The fd directory: its numbers may be listed by the same uid (P03 says so too), but no
	 * entry may be followed or read. */
	DIR *fdd = opendir(pathf("/proc/%d/fd", (int)pid));
	if (fdd) {
		struct dirent *de;
		int n = 0;
		while ((de = readdir(fdd))) {
			if (de->d_name[0] == '.')
				continue;
			n++;
			char link[PATH_MAX];
			snprintf(what, sizeof(what), "readlink /proc/%d/fd/%s", (int)pid, de->d_name);
			e = readlink(pathf("/proc/%d/fd/%s", (int)pid, de->d_name), link, sizeof(link)) < 0
				    ? errno : 0;
			must_fail_with(what, e, EACCES, EPERM, ENOENT, 0);
			snprintf(what, sizeof(what), "open /proc/%d/fd/%s", (int)pid, de->d_name);
			e = try_open(pathf("/proc/%d/fd/%s", (int)pid, de->d_name), O_RDONLY | O_NONBLOCK);
			must_fail_with(what, e, EACCES, EPERM, ENOENT, ENXIO, 0);
		}
		closedir(fdd);
		attack_note("/proc/%d/fd lists %d fd numbers (the same uid may; nothing more)", (int)pid, n);
	} else {
		printf("held list /proc/%d/fd: %s\n", (int)pid, ename(errno));
	}

	static const char *const files[] = { "fdinfo", "environ", "mem", "cwd/", "root/" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *p = pathf("/proc/%d/%s", (int)pid, files[i]);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		e = fd < 0 ? errno : 0;
		if (fd >= 0) {
			/* mem opens for a tracer only; a read says whether we are one. */
			if (!strcmp(files[i], "mem")) {
				char c;
				if (pread(fd, &c, 1, (off_t)some_address(pid)) < 0 && errno != EIO)
					e = errno;
			}
			close(fd);
		}
		snprintf(what, sizeof(what), "open %s", p);
		must_fail_with(what, e, EACCES, EPERM, ENOENT, 0);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2)
		attack_usage("S08-supervisor-access PID...");
	for (int i = 1; i < argc; i++)
		reach((pid_t)atoi(argv[i]));

	/* Our own fds: 0, 1, 2 only. */
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		int self = dirfd(d);
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name);
			if (e->d_name[0] == '.' || fd <= 2 || fd == self || is_sdk_fd(fd))
				continue;
			char link[256];
			ssize_t n = readlink(pathf("/proc/self/fd/%d", fd), link, sizeof(link) - 1);
			link[n > 0 ? n : 0] = '\0';
			attack_leak("inherited fd %d -> %s", fd, link);
		}
		closedir(d);
	}
	return attack_finish();
}
