/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P06: symlinks planted in the project that point at the secret or its directory. Following
 * them must be denied (EACCES); with O_NOFOLLOW the kernel answers ELOOP. Relative and
 * absolute targets, a link to the directory and a link to a link. Positive control: a link to
 * a project file opens.
 *
 *	P06-symlink-out HOME PROJ
 */
#include "attack.h"

static void plant(const char *target, const char *link)
{
	unlink(link);
	if (symlink(target, link) < 0)
		control(pathf("symlink %s", link), errno);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P06-symlink-out HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);

	plant(pathf("%s/a.txt", proj), "p06-ok");
	must_read("link to a project file", "p06-ok");

	plant(secret, "p06-abs");
	plant("../home/.ssh/id_rsa", "p06-rel");
	plant(pathf("%s/.ssh", home), "p06-dir");
	plant("p06-abs", "p06-chain");
	plant(pathf("/proc/self/root%s", secret), "p06-proc");

	must_not_read("open(link -> secret, absolute)", "p06-abs");
	must_not_read("open(link -> secret, relative)", "p06-rel");
	must_not_read("open(link -> ~/.ssh + \"/id_rsa\")", "p06-dir/id_rsa");
	must_not_read("open(link -> link -> secret)", "p06-chain");
	must_not_read("open(link -> /proc/self/root/secret)", "p06-proc");
	must_fail("opendir(link -> ~/.ssh)", try_open("p06-dir", O_RDONLY | O_DIRECTORY));
	must_be("open(link -> secret, O_NOFOLLOW)", try_open("p06-abs", O_RDONLY | O_NOFOLLOW),
		ELOOP);
	must_fail("open(link -> secret, O_RDWR)", try_open("p06-abs", O_RDWR));
	must_fail("open(link -> secret, O_WRONLY|O_APPEND)",
		  try_open("p06-abs", O_WRONLY | O_APPEND));
	return attack_finish();
}
