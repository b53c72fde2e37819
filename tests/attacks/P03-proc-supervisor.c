/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P03: read the supervisor (airlock itself) through /proc/<pid>: environ, mem, maps, its fds,
 * its cwd and root links, its exe; attach to it (ptrace, process_vm_readv, pidfd_getfd); write
 * its /proc knobs (oom_score_adj...). All must be denied. Its cmdline is world-readable by
 * design and printed, so the driver can check it holds nothing secret. Positive control: the
 * same files of our own process read fine. Some /proc files check access at read(), not at
 * open(), so a read is only a leak when it returns data. Listing /proc/SUP/fd needs no more
 * than the uid (the fd numbers, not what they are): it is reported, not counted.
 *
 *	P03-proc-supervisor SUPERVISOR_PID HOME
 */
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <dirent.h>

#include "attack.h"

/* Open and read path (or list it, for a directory): a leak only if data comes back. */
static void must_not_get(const char *what, const char *path)
{
	char buf[256];
	int fd;
	int e = try_openat(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
	if (e) {
		printf("held %s: %s\n", what, ename(e));
		return;
	}
	size_t len = strlen(path);
	if (len >= 4 && strcmp(path + len - 4, "/mem") == 0) {
		/* mem checks at open (PTRACE_MODE_ATTACH); offset 0 would read as EIO anyway */
		attack_leak("%s: opened", what);
		close(fd);
		return;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *d = fdopendir(fd);
		struct dirent *de;
		int n = 0;
		errno = 0;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.')
				n++;
		if (n > 0)
			attack_leak("%s: listed %d entries", what, n);
		else
			printf("held %s: opened, listing gives %s\n", what, ename(errno));
		if (d)
			closedir(d);
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		attack_leak("%s: read %zd bytes", what, n);
		fputs("  read: ", stdout);
		print_escaped(buf, (size_t)n);
		putchar('\n');
	} else {
		printf("held %s: opened, read gives %s\n", what, n < 0 ? ename(errno) : "nothing");
	}
	close(fd);
}

static void print_file(const char *label, const char *path)
{
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("%s: %s\n", label, ename(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	printf("%s: ", label);
	if (n > 0)
		print_escaped(buf, (size_t)n);
	putchar('\n');
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P03-proc-supervisor SUPERVISOR_PID HOME");
	int sup = atoi(argv[1]);
	const char *home = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);
	static const char *const readable_own[] = { "environ", "maps", "auxv",	  "stack",
						    "syscall", "io",   "fdinfo/0" };
	static const char *const files[] = { "environ",	    "mem",    "maps",	  "smaps",
					     "auxv",	    "stack",  "syscall",  "pagemap",
					     "io",	    "exe",    "fdinfo/0", "fdinfo/1",
					     "personality", "ns/mnt", "ns/user",  "map_files" };
	static const char *const writable[] = { "oom_score_adj", "oom_adj",    "coredump_filter",
						"timerslack_ns", "clear_refs", "mem",
						"attr/current" };

	if (sup <= 1)
		attack_usage("P03-proc-supervisor SUPERVISOR_PID HOME");
	check_supervisor_pid(sup);

	for (size_t i = 0; i < sizeof(readable_own) / sizeof(readable_own[0]); i++)
		must_read(pathf("own /proc/self/%s", readable_own[i]),
			  pathf("/proc/self/%s", readable_own[i]));

	print_file("supervisor cmdline", pathf("/proc/%d/cmdline", sup));

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		must_not_get(pathf("read /proc/SUP/%s", files[i]),
			     pathf("/proc/%d/%s", sup, files[i]));
	must_not_get("read /proc/SUP/task/SUP/environ",
		     pathf("/proc/%d/task/%d/environ", sup, sup));
	must_not_get("read /proc/SUP/task/SUP/mem", pathf("/proc/%d/task/%d/mem", sup, sup));
	must_not_get("list /proc/SUP/cwd", pathf("/proc/%d/cwd", sup));
	must_not_get("list /proc/SUP/root", pathf("/proc/%d/root", sup));
	must_not_get("read /proc/SUP/root + secret", pathf("/proc/%d/root%s", sup, secret));
	must_not_get("read /proc/SUP/cwd/a.txt", pathf("/proc/%d/cwd/a.txt", sup));
	DIR *fdd = opendir(pathf("/proc/%d/fd", sup));
	if (fdd) {
		attack_note(
			"/proc/SUP/fd can be listed (fd numbers only; needs the uid, not ptrace)");
		closedir(fdd);
	}
	for (int n = 0; n < 64; n++) {
		int fd;
		int e = try_openat(AT_FDCWD, pathf("/proc/%d/fd/%d", sup, n),
				   O_RDONLY | O_NONBLOCK | O_NOCTTY, &fd);
		if (e == ENOENT)
			continue;
		must_fail(pathf("re-open /proc/SUP/fd/%d", n), e);
		if (fd >= 0) {
			struct stat st;
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
				dump_fd(fd);
			close(fd);
		}
		must_fail(pathf("readlink /proc/SUP/fd/%d", n),
			  readlink(pathf("/proc/%d/fd/%d", sup, n), (char[PATH_MAX]){ 0 },
				   PATH_MAX) < 0
				  ? errno
				  : 0);
	}
	for (size_t i = 0; i < sizeof(writable) / sizeof(writable[0]); i++)
		must_fail(pathf("open /proc/SUP/%s for writing", writable[i]),
			  try_open(pathf("/proc/%d/%s", sup, writable[i]), O_WRONLY));
	/* Root's kernel knobs: opening for writing must already fail (nothing is written). */
	must_fail("open /proc/sys/kernel/core_pattern for writing",
		  try_open("/proc/sys/kernel/core_pattern", O_WRONLY));
	must_fail("open /sys/kernel/uevent_helper for writing",
		  try_open("/sys/kernel/uevent_helper", O_WRONLY));

	/* Memory and fds of the supervisor through syscalls. EFAULT/EIO would mean the access
	 * check passed. */
	char byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)0x10000, 1 };
	ssize_t r = process_vm_readv(sup, &local, 1, &remote, 1, 0);
	must_fail_with("process_vm_readv(SUP)", r < 0 ? errno : 0, EPERM, EACCES, ENOSYS, 0);
	long pr = ptrace(PTRACE_SEIZE, sup, NULL, NULL);
	must_fail_with("ptrace(PTRACE_SEIZE, SUP)", pr < 0 ? errno : 0, EPERM, EACCES, ENOSYS, 0);
	int pidfd = (int)syscall(SYS_pidfd_open, sup, 0);
	if (pidfd < 0) {
		printf("pidfd_open(SUP): %s\n", ename(errno));
	} else {
		for (int n = 0; n < 16; n++) {
			int got = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
			if (got < 0 && errno == EBADF)
				continue;
			must_fail_with(pathf("pidfd_getfd(SUP, %d)", n), got < 0 ? errno : 0, EPERM,
				       EACCES, ENOSYS, 0);
			if (got >= 0)
				close(got);
		}
		close(pidfd);
	}
	return attack_finish();
}
