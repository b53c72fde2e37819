/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P14: move things across the project boundary: rename ~/.ssh or the secret into the project,
 * rename project entries out into $HOME, RENAME_EXCHANGE a project entry with one outside, and
 * hard-link the secret (or ~/.bashrc) into the project. All must fail (EXDEV or EACCES) and leave
 * nothing behind; if a link or rename does land in the project, its content is printed.
 * Positive controls: the same operations inside the project work.
 *
 *	P14-rename-across HOME PROJ
 */
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
		attack_usage("P14-rename-across HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);
	const char *ssh = pathf("%s/.ssh", home);
	const char *bashrc = pathf("%s/.bashrc", home);
	if (chdir(proj) < 0)
		attack_not_applicable("chdir PROJ: %s", ename(errno));
	/* Controls inside the project. */
	control("create p14-a", try_open("p14-a", O_WRONLY | O_CREAT));
	control("mkdir p14-d", mkdir("p14-d", 0755) < 0 ? errno : 0);
	control("rename p14-a -> p14-d/a", rename("p14-a", "p14-d/a") < 0 ? errno : 0);
	control("link p14-d/a -> p14-b", link("p14-d/a", "p14-b") < 0 ? errno : 0);
	control("RENAME_EXCHANGE p14-b <-> p14-d/a",
		renameat2(AT_FDCWD, "p14-b", AT_FDCWD, "p14-d/a", RENAME_EXCHANGE) < 0 ? errno : 0);

	/* In. */
	must_fail_with("rename(~/.ssh, PROJ/p14-s)", rename(ssh, "p14-s") < 0 ? errno : 0, EXDEV,
		       EACCES, EPERM, 0);
	check_landed("p14-s/id_rsa");
	must_fail_with("rename(secret, PROJ/p14-k)", rename(secret, "p14-k") < 0 ? errno : 0, EXDEV,
		       EACCES, EPERM, 0);
	check_landed("p14-k");
	must_fail_with("link(secret, PROJ/p14-l)", link(secret, "p14-l") < 0 ? errno : 0, EXDEV,
		       EACCES, EPERM, 0);
	check_landed("p14-l");
	must_fail_with("link(~/.bashrc, PROJ/p14-bashrc)",
		       link(bashrc, "p14-bashrc") < 0 ? errno : 0, EXDEV, EACCES, EPERM, 0);
	if (symlink(secret, "p14-sym") == 0) {
		must_fail_with("linkat(PROJ/p14-sym -> secret, PROJ/p14-l2, AT_SYMLINK_FOLLOW)",
			       linkat(AT_FDCWD, "p14-sym", AT_FDCWD, "p14-l2", AT_SYMLINK_FOLLOW) <
					       0
				       ? errno
				       : 0,
			       EXDEV, EACCES, EPERM, 0);
		check_landed("p14-l2");
	}

	struct stat b_before, b_after;
	if (stat("p14-b", &b_before) < 0)
		control("stat p14-b", errno);

	/* Out. */
	must_fail_with("rename(PROJ/p14-b, ~/p14-out)",
		       rename("p14-b", pathf("%s/p14-out", home)) < 0 ? errno : 0, EXDEV, EACCES,
		       EPERM, 0);
	must_fail_with("rename(PROJ/p14-b, ~/.bashrc) (replace)",
		       rename("p14-b", bashrc) < 0 ? errno : 0, EXDEV, EACCES, EPERM, 0);
	must_fail_with("rename(PROJ/p14-d, ~/.ssh/p14-d)",
		       rename("p14-d", pathf("%s/p14-d", ssh)) < 0 ? errno : 0, EXDEV, EACCES,
		       EPERM, 0);
	must_fail_with("link(PROJ/p14-b, ~/p14-out)",
		       link("p14-b", pathf("%s/p14-out", home)) < 0 ? errno : 0, EXDEV, EACCES,
		       EPERM, 0);
	must_fail_with("rename(PROJ, ~/p14-proj)",
		       rename(proj, pathf("%s/p14-proj", home)) < 0 ? errno : 0, EXDEV, EACCES,
		       EPERM, 0);

	/* Exchange. */
	must_fail_with("RENAME_EXCHANGE PROJ/p14-b <-> ~/.bashrc",
		       renameat2(AT_FDCWD, "p14-b", AT_FDCWD, bashrc, RENAME_EXCHANGE) < 0 ? errno
											   : 0,
		       EXDEV, EACCES, EPERM, 0);
	if (stat("p14-b", &b_after) < 0 || !same_inode(&b_before, &b_after))
		attack_leak("PROJ/p14-b was replaced (%s)", ename(errno));
	must_fail_with("RENAME_EXCHANGE PROJ/p14-b <-> secret",
		       renameat2(AT_FDCWD, "p14-b", AT_FDCWD, secret, RENAME_EXCHANGE) < 0 ? errno
											   : 0,
		       EXDEV, EACCES, EPERM, 0);
	must_fail_with("RENAME_EXCHANGE PROJ/p14-d <-> ~/.ssh",
		       renameat2(AT_FDCWD, "p14-d", AT_FDCWD, ssh, RENAME_EXCHANGE) < 0 ? errno : 0,
		       EXDEV, EACCES, EPERM, 0);
	check_landed("p14-d/id_rsa");
	must_fail_with("RENAME_NOREPLACE secret -> PROJ/p14-n",
		       renameat2(AT_FDCWD, secret, AT_FDCWD, "p14-n", RENAME_NOREPLACE) < 0 ? errno
											    : 0,
		       EXDEV, EACCES, EPERM, 0);
	check_landed("p14-n");
	return attack_finish();
}
