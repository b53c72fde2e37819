/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P04: chdir into a denied directory (Landlock does not restrict chdir), then open relative
 * names there: "id_rsa", "./id_rsa", opendir("."), and the same through fchdir on an O_PATH fd.
 *
 *	P04-chdir-relative HOME PROJ
 */
#include "attack.h"

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P04-chdir-relative HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *ssh = pathf("%s/.ssh", home);

	control("chdir(PROJ)", chdir(proj) < 0 ? errno : 0);
	must_read("open(\"a.txt\") in PROJ", "a.txt");

	if (chdir(ssh) < 0)
		attack_note("chdir(~/.ssh) refused: %s", ename(errno));
	else
		attack_note("chdir(~/.ssh) allowed (Landlock does not restrict chdir)");
	must_not_read("open(\"id_rsa\") after chdir", "id_rsa");
	must_not_read("open(\"./id_rsa\") after chdir", "./id_rsa");
	must_not_read("open(\"../.ssh/id_rsa\") after chdir", "../.ssh/id_rsa");
	must_fail("opendir(\".\") after chdir", try_open(".", O_RDONLY | O_DIRECTORY));

	int dfd = open(ssh, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (chdir("/") == 0 && fchdir(dfd) == 0)
			must_not_read("open(\"id_rsa\") after fchdir(O_PATH ~/.ssh)", "id_rsa");
		must_not_read_at("openat(O_PATH ~/.ssh, \"id_rsa\")", dfd, "id_rsa", 0);
		close(dfd);
	} else {
		attack_note("open(~/.ssh, O_PATH): %s", ename(errno));
	}
	return attack_finish();
}
