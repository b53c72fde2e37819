/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P08: create files outside the project through dangling symlinks planted inside it:
 * open(O_CREAT) through "x -> ~/.bashrc.new" and "y -> ~/.ssh/authorized_keys" must be denied
 * and create nothing. Positive control: a dangling link to a new project file creates it.
 *
 *	P08-dangling-create HOME PROJ
 */
#include "attack.h"

static void plant(const char *target, const char *link)
{
	unlink(link);
	if (symlink(target, link) < 0)
		control(pathf("symlink %s", link), errno);
}

static void must_not_exist(const char *what, const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		attack_leak("%s: %s was created", what, path);
	else
		printf("held %s: nothing created (%s)\n", what, ename(errno));
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P08-dangling-create HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *out1 = pathf("%s/.bashrc.new", home);
	const char *out2 = pathf("%s/.ssh/authorized_keys", home);
	const char *out3 = pathf("%s/notes/new.txt", home);

	plant(pathf("%s/p08-created.txt", proj), "p08-ok");
	control("O_CREAT through a dangling link to a project file",
		try_open("p08-ok", O_WRONLY | O_CREAT));

	plant(out1, "p08-x");
	plant(out2, "p08-y");
	plant("../home/notes/new.txt", "p08-z");
	must_fail("O_CREAT|O_WRONLY through p08-x -> ~/.bashrc.new",
		  try_open("p08-x", O_WRONLY | O_CREAT));
	must_fail("O_CREAT|O_TRUNC|O_RDWR through p08-y -> ~/.ssh/authorized_keys",
		  try_open("p08-y", O_RDWR | O_CREAT | O_TRUNC));
	must_fail("O_CREAT|O_WRONLY through relative p08-z -> ../home/notes/new.txt",
		  try_open("p08-z", O_WRONLY | O_CREAT));
	must_fail("creat() through p08-x", creat("p08-x", 0600) < 0 ? errno : 0);
	must_be("O_CREAT|O_EXCL on a dangling link (kernel: EEXIST)",
		try_open("p08-x", O_WRONLY | O_CREAT | O_EXCL), EEXIST);
	must_not_exist("~/.bashrc.new", out1);
	must_not_exist("~/.ssh/authorized_keys", out2);
	must_not_exist("~/notes/new.txt", out3);
	return attack_finish();
}
