/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P07: symlink loops and long chains in the project: a self-loop, a two-link cycle and a chain
 * of 41 links must fail with ELOOP and return (the driver's timeout catches a hang); a chain of
 * 40 links (the kernel's limit) to a project file works, and the same chain ending at the
 * secret is denied.
 *
 *	P07-symlink-loops HOME PROJ
 */
#include "attack.h"

static void plant(const char *target, const char *link)
{
	unlink(link);
	if (symlink(target, link) < 0)
		control(pathf("symlink %s", link), errno);
}

/* links p07-<tag>-0 -> p07-<tag>-1 -> ... -> p07-<tag>-(n-1) -> target */
static void chain(const char *tag, int n, const char *target)
{
	char link[64], next[64];
	for (int i = 0; i < n; i++) {
		snprintf(link, sizeof(link), "p07-%s-%d", tag, i);
		snprintf(next, sizeof(next), "p07-%s-%d", tag, i + 1);
		plant(i == n - 1 ? target : next, link);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P07-symlink-loops HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	(void)proj;

	plant("p07-self", "p07-self");
	plant("p07-b", "p07-a");
	plant("p07-a", "p07-b");
	must_be("open(self-loop)", try_open("p07-self", O_RDONLY), ELOOP);
	must_be("open(two-link cycle)", try_open("p07-a", O_RDONLY), ELOOP);
	must_be("open(self-loop, O_CREAT)", try_open("p07-self", O_WRONLY | O_CREAT), ELOOP);
	must_be("open(self-loop/x)", try_open("p07-self/x", O_RDONLY), ELOOP);

	chain("ok40", 40, "a.txt");
	must_read("chain of 40 links to a project file", "p07-ok40-0");
	chain("long41", 41, "a.txt");
	must_be("chain of 41 links", try_open("p07-long41-0", O_RDONLY), ELOOP);
	chain("sec40", 40, pathf("%s/.ssh/id_rsa", home));
	must_not_read("chain of 40 links to the secret", "p07-sec40-0");
	chain("sec41", 41, pathf("%s/.ssh/id_rsa", home));
	must_be("chain of 41 links to the secret", try_open("p07-sec41-0", O_RDONLY), ELOOP);
	return attack_finish();
}
