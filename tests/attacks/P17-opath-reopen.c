/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P17: O_PATH opens are not checked by Landlock, so a sandboxed process can hold an O_PATH fd of
 * the secret. Turning it into a readable fd must be impossible: re-open through
 * /proc/self/fd/N, openat(fd, ""), openat2, linkat(AT_EMPTY_PATH) or linkat through the magic
 * link into the project, name_to_handle_at + open_by_handle_at, fchdir into ~/.ssh. Positive
 * control: an O_PATH fd of a project file re-opens through /proc/self/fd.
 *
 *	P17-opath-reopen HOME PROJ
 */
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "attack.h"

static void check_landed(const char *path)
{
	int fd;
	if (try_openat(AT_FDCWD, path, O_RDONLY | O_NONBLOCK, &fd) == 0) {
		attack_leak("%s exists in the project", path);
		dump_fd(fd);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P17-opath-reopen HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);
	int fd, pfd, dfd;

	if (chdir(proj) < 0)
		attack_not_applicable("chdir PROJ: %s", ename(errno));
	if (try_openat(AT_FDCWD, "a.txt", O_PATH, &pfd) == 0) {
		must_read("re-open O_PATH project file via /proc/self/fd",
			  pathf("/proc/self/fd/%d", pfd));
		close(pfd);
	} else {
		control("open(a.txt, O_PATH)", errno);
	}

	int e = try_openat(AT_FDCWD, secret, O_PATH, &fd);
	if (e)
		attack_not_applicable("open(secret, O_PATH) failed (%s): nothing to re-open",
				      ename(e));
	attack_note("open(secret, O_PATH) works (Landlock does not check O_PATH)");

	char byte;
	must_fail("read() on the O_PATH fd", read(fd, &byte, 1) < 0 ? errno : 0);
	must_not_read("re-open via /proc/self/fd/N", pathf("/proc/self/fd/%d", fd));
	must_not_read("re-open via /dev/fd/N", pathf("/dev/fd/%d", fd));
	must_not_read("re-open via /proc/self/fd/N, O_NOFOLLOW-free /proc/thread-self",
		      pathf("/proc/thread-self/fd/%d", fd));
	must_not_read_at("openat(fd, \"\")", fd, "", 0);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long r = syscall(SYS_openat2, fd, "", &how, sizeof(how));
	must_fail("openat2(fd, \"\")", r < 0 ? errno : 0);
	if (r >= 0) {
		dump_fd((int)r);
		close((int)r);
	}
	must_fail("linkat(fd, \"\", PROJ/p17-a, AT_EMPTY_PATH)",
		  linkat(fd, "", AT_FDCWD, "p17-a", AT_EMPTY_PATH) < 0 ? errno : 0);
	check_landed("p17-a");
	must_fail("linkat(/proc/self/fd/N, PROJ/p17-b, AT_SYMLINK_FOLLOW)",
		  linkat(AT_FDCWD, pathf("/proc/self/fd/%d", fd), AT_FDCWD, "p17-b",
			 AT_SYMLINK_FOLLOW) < 0
			  ? errno
			  : 0);
	check_landed("p17-b");

	/* Handles: as root (CAP_DAC_READ_SEARCH) open_by_handle_at would open by inode. */
	struct {
		struct file_handle fh;
		unsigned char data[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, secret, &h.fh, &mount_id, 0) == 0) {
		attack_note("name_to_handle_at(secret) allowed");
		int mfd = open(proj, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int hfd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
		must_fail("open_by_handle_at(secret's handle)", hfd < 0 ? errno : 0);
		if (hfd >= 0) {
			dump_fd(hfd);
			close(hfd);
		}
		close(mfd);
	} else {
		printf("held name_to_handle_at(secret): %s\n", ename(errno));
	}

	/* fchdir into ~/.ssh through an O_PATH fd, then a relative open. */
	if (try_openat(AT_FDCWD, pathf("%s/.ssh", home), O_PATH | O_DIRECTORY, &dfd) == 0) {
		if (fchdir(dfd) == 0)
			must_not_read("open(\"id_rsa\") after fchdir(O_PATH ~/.ssh)", "id_rsa");
		must_not_read_at("openat(O_PATH ~/.ssh, \"id_rsa\")", dfd, "id_rsa", 0);
		close(dfd);
	}
	close(fd);
	return attack_finish();
}
