/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P20: change metadata of files outside the writable tree. Landlock does not control chmod,
 * chown, xattrs or timestamps, so the filter must: chmod/fchmodat/fchmodat2, chown/lchown/
 * fchownat, setxattr/lsetxattr/removexattr, utimensat/utimes, truncate on the secret and on
 * ~/.bashrc, by path, by /proc/self/fd/N path, and by O_PATH fd with AT_EMPTY_PATH. The driver
 * compares content, mode, owner and times before and after.
 *
 *	P20-metadata HOME PROJ            the path-based attacks
 *	P20-metadata --fd FILE            fd-based attacks on FILE, which the sandbox may read
 *	                                  (but not write): fchmod, fchown, fsetxattr, futimens,
 *	                                  ftruncate on an O_RDONLY fd
 */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <utime.h>

#include "attack.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif

#define E(call) ((call) < 0 ? errno : 0)

static const struct timespec when[2] = { { 12345, 0 }, { 12345, 0 } };

static void attack_path(const char *label, const char *path)
{
	uid_t u = getuid();
	gid_t g = getgid();

	must_fail(pathf("chmod(%s, 0666)", label), E(chmod(path, 0666)));
	must_fail(pathf("fchmodat(%s, 0666)", label), E(fchmodat(AT_FDCWD, path, 0666, 0)));
	must_fail(pathf("fchmodat2(%s, 0666, AT_SYMLINK_NOFOLLOW)", label),
		  E(syscall(SYS_fchmodat2, AT_FDCWD, path, 0666, AT_SYMLINK_NOFOLLOW)));
	must_fail(pathf("chown(%s, own uid)", label), E(chown(path, u, g)));
	must_fail(pathf("lchown(%s, own uid)", label), E(lchown(path, u, g)));
	must_fail(pathf("fchownat(%s, own uid)", label), E(fchownat(AT_FDCWD, path, u, g, 0)));
	must_fail(pathf("setxattr(%s, user.p20)", label), E(setxattr(path, "user.p20", "x", 1, 0)));
	must_fail(pathf("lsetxattr(%s, user.p20)", label),
		  E(lsetxattr(path, "user.p20", "x", 1, 0)));
	int rx = E(removexattr(path, "user.none")); /* ENODATA: the call was allowed */
	must_fail(pathf("removexattr(%s, user.none)", label), rx == ENODATA ? 0 : rx);
	must_fail(pathf("utimensat(%s)", label), E(utimensat(AT_FDCWD, path, when, 0)));
	must_fail(pathf("utimes(%s)", label),
		  E(utimes(path, (struct timeval[2]){ { 12345, 0 }, { 12345, 0 } })));
	must_fail(pathf("utime(%s)", label), E(utime(path, &(struct utimbuf){ 12345, 12345 })));
	must_fail(pathf("truncate(%s, 0)", label), E(truncate(path, 0)));
	must_fail(pathf("open(%s, O_WRONLY|O_TRUNC)", label), try_open(path, O_WRONLY | O_TRUNC));

	int fd;
	if (try_openat(AT_FDCWD, path, O_PATH, &fd) != 0) {
		printf("open(%s, O_PATH): %s\n", label, ename(errno));
		return;
	}
	const char *pfd = pathf("/proc/self/fd/%d", fd);
	must_fail(pathf("chmod(/proc/self/fd/N of %s)", label), E(chmod(pfd, 0666)));
	must_fail(pathf("chown(/proc/self/fd/N of %s)", label), E(chown(pfd, u, g)));
	must_fail(pathf("setxattr(/proc/self/fd/N of %s)", label),
		  E(setxattr(pfd, "user.p20", "x", 1, 0)));
	must_fail(pathf("utimensat(/proc/self/fd/N of %s)", label),
		  E(utimensat(AT_FDCWD, pfd, when, 0)));
	must_fail(pathf("truncate(/proc/self/fd/N of %s)", label), E(truncate(pfd, 0)));
	must_fail(pathf("fchmodat2(O_PATH fd of %s, \"\", AT_EMPTY_PATH)", label),
		  E(syscall(SYS_fchmodat2, fd, "", 0666, AT_EMPTY_PATH)));
	must_fail(pathf("fchownat(O_PATH fd of %s, \"\", AT_EMPTY_PATH)", label),
		  E(fchownat(fd, "", u, g, AT_EMPTY_PATH)));
	must_fail(pathf("utimensat(O_PATH fd of %s, \"\", AT_EMPTY_PATH)", label),
		  E(utimensat(fd, "", when, AT_EMPTY_PATH)));
	must_fail(pathf("utimensat(O_PATH fd of %s, NULL) (futimens)", label),
		  E(syscall(SYS_utimensat, fd, NULL, when, 0)));
	struct {
		uint64_t value;
		uint32_t size, flags;
	} xa = { (uint64_t)(uintptr_t) "x", 1, 0 };
	must_fail(pathf("setxattrat(O_PATH fd of %s, \"\", AT_EMPTY_PATH)", label),
		  E(syscall(SYS_setxattrat, fd, "", AT_EMPTY_PATH, "user.p20", &xa, sizeof(xa))));
	must_fail(pathf("fchmod(O_PATH fd of %s)", label), E(fchmod(fd, 0666)));
	must_fail(pathf("fchown(O_PATH fd of %s)", label), E(fchown(fd, u, g)));
	must_fail(pathf("fsetxattr(O_PATH fd of %s)", label),
		  E(fsetxattr(fd, "user.p20", "x", 1, 0)));
	close(fd);
}

static void attack_fd(const char *path)
{
	int fd;
	int e = try_openat(AT_FDCWD, path, O_RDONLY, &fd);
	control(pathf("open(%s, O_RDONLY)", path), e);
	if (e)
		return;
	must_fail("fchmod(read-only fd, 0666)", E(fchmod(fd, 0666)));
	must_fail("fchown(read-only fd, own uid)", E(fchown(fd, getuid(), getgid())));
	must_fail("fsetxattr(read-only fd, user.p20)", E(fsetxattr(fd, "user.p20", "x", 1, 0)));
	must_fail("futimens(read-only fd)", E(futimens(fd, when)));
	must_fail("ftruncate(read-only fd)", E(ftruncate(fd, 0)));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--fd") == 0) {
		attack_fd(argv[2]);
		return attack_finish();
	}
	if (argc != 3)
		attack_usage("P20-metadata HOME PROJ | P20-metadata --fd FILE");
	const char *home = argv[1], *proj = argv[2];
	struct stat st;

	/* Positive control: the same calls work in the project (writable tree)... if the filter
	 * lets path-based metadata calls through there; fd-based ones must work. */
	int fd;
	if (try_openat(AT_FDCWD, pathf("%s/a.txt", proj), O_RDWR, &fd) == 0) {
		control("fchmod(project file)", E(fchmod(fd, 0644)));
		control("futimens(project file)", E(futimens(fd, NULL)));
		close(fd);
	} else {
		control("open project file O_RDWR", errno);
	}
	if (stat(pathf("%s/.ssh/id_rsa", home), &st) < 0)
		attack_not_applicable("stat secret: %s", ename(errno));
	attack_path("secret", pathf("%s/.ssh/id_rsa", home));
	attack_path("~/.bashrc", pathf("%s/.bashrc", home));
	attack_path("~/.ssh", pathf("%s/.ssh", home));
	return attack_finish();
}
