/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P11: file names with terminal escapes (ESC, CSI, C1), CR, LF, bidi overrides and bytes that
 * are not UTF-8. Inside the project they must work exactly like any name (create, write, read
 * back, list, rename, unlink); outside it they must be denied like any name. The driver checks
 * separately (E05) that airlock's own output escapes such names.
 *
 *	P11-control-char-names HOME PROJ
 */
#include <dirent.h>

#include "attack.h"

static const char *const names[] = {
	"p11-esc-\x1b[31mred\x1b[0m",
	"p11-cr-\rfake",
	"p11-lf-\nfake",
	"p11-bidi-\xe2\x80\xaetxt.exe",
	"p11-isolate-\xe2\x81\xa6x\xe2\x81\xa9",
	"p11-nonutf8-\xff\xfe\x80",
	"p11-c1-\xc2\x9b"
	"31m",
	"p11-rawc1-\x9b[31m",
	"p11-bel-\x07-del-\x7f",
};

static bool listed(const char *name)
{
	DIR *d = opendir(".");
	struct dirent *de;
	bool found = false;
	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, name) == 0)
			found = true;
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P11-control-char-names HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	char buf[64];

	if (chdir(proj) < 0)
		attack_not_applicable("chdir PROJ: %s", ename(errno));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *n = names[i];
		char label[32], renamed[128];
		int fd;
		snprintf(label, sizeof(label), "name #%zu", i);
		printf("%s is ", label);
		print_escaped(n, strlen(n));
		putchar('\n');

		int e = try_openat(AT_FDCWD, n, O_RDWR | O_CREAT | O_TRUNC, &fd);
		control(pathf("%s: create in PROJ", label), e);
		if (fd >= 0) {
			control(pathf("%s: write", label), write(fd, "data\n", 5) == 5 ? 0 : EIO);
			close(fd);
		}
		e = try_openat(AT_FDCWD, n, O_RDONLY, &fd);
		control(pathf("%s: open for reading", label), e);
		if (fd >= 0) {
			ssize_t r = read(fd, buf, sizeof(buf));
			control(pathf("%s: content reads back", label),
				r == 5 && memcmp(buf, "data\n", 5) == 0 ? 0 : EIO);
			close(fd);
		}
		control(pathf("%s: listed by readdir", label), listed(n) ? 0 : ENOENT);
		snprintf(renamed, sizeof(renamed), "%s.renamed", n);
		control(pathf("%s: rename", label), rename(n, renamed) < 0 ? errno : 0);
		control(pathf("%s: unlink", label), unlink(renamed) < 0 ? errno : 0);

		must_fail(pathf("%s: create in HOME", label),
			  try_open(pathf("%s/%s", home, n), O_WRONLY | O_CREAT));
		must_fail(pathf("%s: create in ~/.ssh", label),
			  try_open(pathf("%s/.ssh/%s", home, n), O_WRONLY | O_CREAT));
	}
	return attack_finish();
}
