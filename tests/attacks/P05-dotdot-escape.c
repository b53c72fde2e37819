/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P05: walk out of the project with ".." from a project dirfd or the working directory:
 * openat(projfd, "../home/.ssh/id_rsa"), many ".." past "/", and openat2 with the resolve
 * flags that are meant to contain a walk (RESOLVE_BENEATH must say EXDEV; RESOLVE_IN_ROOT
 * must stay inside).
 *
 *	P05-dotdot-escape HOME PROJ       (HOME and PROJ are siblings)
 */
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "attack.h"

static int try_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .mode = 0, .resolve = resolve };
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	if (fd < 0)
		return errno;
	printf("  openat2 returned an fd; contents follow\n");
	dump_fd(fd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P05-dotdot-escape HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	char deep[PATH_MAX] = "";
	const char *secret = pathf("%s/.ssh/id_rsa", home);

	int pfd = open(proj, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		attack_not_applicable("open PROJ: %s", ename(errno));
	must_read("open(\"../proj/a.txt\") from the working directory",
		  pathf("../%s/a.txt", strrchr(proj, '/') + 1));
	control("openat(projfd, \"a.txt\")", try_openat(pfd, "a.txt", O_RDONLY, NULL));

	must_not_read_at("openat(projfd, \"../home/.ssh/id_rsa\")", pfd, "../home/.ssh/id_rsa", 0);
	must_not_read("open(\"../home/.ssh/id_rsa\") from the working directory",
		      "../home/.ssh/id_rsa");
	for (int i = 0; i < 40; i++)
		strcat(deep, "../");
	must_not_read_at("openat(projfd, \"../../...(40x)/<secret>\")", pfd,
			 pathf("%s%s", deep, secret + 1), 0);
	must_not_read_at("openat(projfd, \"<secret>\") (absolute ignores dirfd)", pfd, secret, 0);
	must_fail("openat(projfd, \"../home/.ssh\", O_DIRECTORY)",
		  try_openat(pfd, "../home/.ssh", O_RDONLY | O_DIRECTORY, NULL));
	must_fail("openat(projfd, \"..\", O_DIRECTORY) then list",
		  try_openat(pfd, "..", O_RDONLY | O_DIRECTORY, NULL));

	control("openat2(projfd, \"a.txt\", RESOLVE_BENEATH)",
		try_openat2(pfd, "a.txt", O_RDONLY, RESOLVE_BENEATH));
	must_be("openat2(projfd, \"../home/.ssh/id_rsa\", RESOLVE_BENEATH)",
		try_openat2(pfd, "../home/.ssh/id_rsa", O_RDONLY, RESOLVE_BENEATH), EXDEV);
	must_be("openat2(projfd, \"/../home/.ssh/id_rsa\", RESOLVE_IN_ROOT)",
		try_openat2(pfd, "/../home/.ssh/id_rsa", O_RDONLY, RESOLVE_IN_ROOT), ENOENT);
	must_fail("openat2(projfd, \"../home/.ssh/id_rsa\", 0)",
		  try_openat2(pfd, "../home/.ssh/id_rsa", O_RDONLY, 0));
	must_fail("openat2(AT_FDCWD, \"/proc/self/cwd/../home/.ssh/id_rsa\", 0)",
		  try_openat2(AT_FDCWD, "/proc/self/cwd/../home/.ssh/id_rsa", O_RDONLY, 0));
	close(pfd);
	return attack_finish();
}
