/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P09: spellings of the secret's path ("//", "/./", "..", trailing "/", ".." past "/") must all
 * be denied; malformed paths must give the kernel's own errno (ENAMETOOLONG, ENOENT, ENOTDIR)
 * and never a grant. Positive controls: the same spellings of a project file open, and a path
 * of exactly 4095 bytes opens.
 *
 *	P09-path-normalisation HOME PROJ
 */
#include "attack.h"

/* Replace every '/' of path with rep. */
static const char *respell(const char *path, const char *rep)
{
	static char buf[4][PATH_MAX];
	static unsigned slot;
	char *b = buf[slot++ % 4];
	size_t o = 0;
	for (const char *p = path; *p && o + strlen(rep) + 2 < PATH_MAX; p++) {
		if (*p == '/') {
			memcpy(b + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			b[o++] = *p;
		}
	}
	b[o] = '\0';
	return b;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P09-path-normalisation HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *secret = pathf("%s/.ssh/id_rsa", home);
	const char *file = pathf("%s/a.txt", proj);
	static char longpath[PATH_MAX + 16];

	must_read("project file with // separators", respell(file, "//"));
	must_read("project file with /./ separators", respell(file, "/./"));
	must_read("project file with /../../../.. prefix", pathf("/../../../..%s", file));
	must_read("project file via ../proj", pathf("%s/../proj/a.txt", proj));

	must_not_read("secret with // separators", respell(secret, "//"));
	must_not_read("secret with /./ separators", respell(secret, "/./"));
	must_not_read("secret with /../../../.. prefix", pathf("/../../../..%s", secret));
	must_not_read("secret via PROJ/../home", pathf("%s/../home/.ssh/id_rsa", proj));
	must_not_read("secret via ~/notes/../.ssh", pathf("%s/notes/../.ssh/id_rsa", home));
	must_not_read("secret via ~/.ssh/../.ssh", pathf("%s/.ssh/../.ssh/./id_rsa", home));
	must_be("secret with a trailing /", try_open(pathf("%s/", secret), O_RDONLY), ENOTDIR);
	must_be("secret with a trailing /.", try_open(pathf("%s/.", secret), O_RDONLY), ENOTDIR);

	/* Malformed paths inside the project: the kernel's errno, exactly. */
	must_be("a.txt/ (file with trailing slash)", try_open("a.txt/", O_RDONLY), ENOTDIR);
	must_be("missing/../a.txt", try_open("missing/../a.txt", O_RDONLY), ENOENT);
	must_be("a.txt/../a.txt", try_open("a.txt/../a.txt", O_RDONLY), ENOTDIR);
	must_be("empty path", try_open("", O_RDONLY), ENOENT);
	memset(longpath, 'n', 256);
	longpath[256] = '\0';
	must_be("256-byte name", try_open(longpath, O_RDONLY | O_CREAT), ENAMETOOLONG);
	memset(longpath, 'n', 255);
	longpath[255] = '\0';
	control("255-byte name is created", try_open(longpath, O_RDONLY | O_CREAT));
	unlink(longpath);

	/* PROJ/././.../a.txt of exactly 4095 bytes works; 4096 bytes is ENAMETOOLONG. */
	size_t base = strlen(proj) + 1, tail = strlen("a.txt");
	if (base + tail + 2 > 4095)
		attack_not_applicable("PROJ path too long for the 4095-byte case");
	size_t pad = 4095 - base - tail; /* bytes of "./" padding, must be even */
	const char *dir = proj;
	char alt[32] = "";
	if (pad % 2) { /* use "//" once to fix the parity */
		strcpy(alt, "/");
		pad--;
	}
	snprintf(longpath, sizeof(longpath), "%s/%s", dir, alt);
	for (size_t i = 0; i < pad / 2; i++)
		strcat(longpath, "./");
	strcat(longpath, "a.txt");
	if (strlen(longpath) != 4095)
		attack_not_applicable("could not build a 4095-byte path (%zu)", strlen(longpath));
	must_read("4095-byte path to a project file", longpath);
	memmove(longpath + 2, longpath, strlen(longpath) + 1);
	memcpy(longpath, "//", 2);
	must_be("4097-byte path", try_open(longpath, O_RDONLY), ENAMETOOLONG);
	memmove(longpath, longpath + 1, strlen(longpath));
	must_be("4096-byte path (no room for the NUL)", try_open(longpath, O_RDONLY), ENAMETOOLONG);

	return attack_finish();
}
