/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PB: the path tricks of the P series where the path lies under a directory the approver
 * grants (NOTES, "ask" rw, every request inside it allowed for the session, every request
 * outside it denied), so the supervisor, not the floor, resolves and performs the call.
 * The driver plants, inside NOTES:
 *	l -> SECRET, ld -> HOME/.ssh, dang -> HOME/outside-new (dangling, outside NOTES),
 *	dang2 -> HOME/.ssh/new (dangling, into the secrets), dangin -> NOTES/inside-new (dangling,
 *	inside: the positive control), key: a hardlink of SECRET made before the start.
 * Every attempt must fail, the secret is never read, and nothing is created outside NOTES.
 *
 * usage: PB-brokered-paths brokered HOME NOTES SECRET
 *	  PB-brokered-paths semantics NOTES
 *	  PB-brokered-paths floor-hardlink KEY
 *	semantics: the errno the kernel gives, under NOTES too: open()'s mode ignored without
 *	O_CREAT, ELOOP for O_NOFOLLOW on a symlink, EEXIST for O_CREAT | O_EXCL on one.
 *	floor-hardlink: KEY is a hardlink of the secret made before the start in the project (the
 *	floor). The supervisor refuses open(KEY); O_PATH (which Landlock does not check) and a
 *	re-open through /proc/self/fd must be refused as well.
 * Run bare, the secret is read: exit 1.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include "attack.h"

static void reopen_via_proc(const char *what, int fd, const char *rest, int flags)
{
	must_not_read_at(what, AT_FDCWD, pathf("/proc/self/fd/%d%s", fd, rest), flags);
}

static int floor_hardlink(const char *key)
{
	must_not_read("open KEY (a hardlink of the secret in the project)", key);
	int op = open(key, O_PATH | O_CLOEXEC);
	if (op < 0) {
		printf("held open(KEY, O_PATH): %s\n", ename(errno));
	} else {
		printf("note: open(KEY, O_PATH) works (Landlock does not check O_PATH)\n");
		reopen_via_proc("re-open of KEY's O_PATH fd through /proc/self/fd", op, "", 0);
		close(op);
	}
	return attack_finish();
}

/* What the kernel answers, the supervisor answers, under the granted directory too. */
static int semantics(const char *notes)
{
	const char *n_txt = pathf("%s/n.txt", notes);
	must_read("open NOTES/n.txt", n_txt);
	/* The kernel ignores open()'s mode without O_CREAT or O_TMPFILE; Go's os.OpenFile and
	 * raw syscalls pass one anyway. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, n_txt, O_RDONLY | O_CLOEXEC, 0644);
	control("openat(NOTES/n.txt, O_RDONLY, mode 0644)", fd < 0 ? errno : 0);
	if (fd >= 0)
		close(fd);
	fd = (int)syscall(SYS_open, n_txt, O_RDONLY | O_CLOEXEC, 0x5a5a5a5a);
	control("open(NOTES/n.txt, O_RDONLY, garbage mode)", fd < 0 ? errno : 0);
	if (fd >= 0)
		close(fd);
	/* A symlink as the last component, not followed. */
	must_be("open(NOTES/l, O_NOFOLLOW) (l -> SECRET)", try_open(pathf("%s/l", notes), O_RDONLY | O_NOFOLLOW),
		ELOOP);
	must_be("open(NOTES/dangin, O_NOFOLLOW) (dangling, inside)",
		try_open(pathf("%s/dangin", notes), O_RDONLY | O_NOFOLLOW), ELOOP);
	must_be("open(NOTES/dang, O_CREAT | O_EXCL) (dangling)",
		try_open(pathf("%s/dang", notes), O_CREAT | O_EXCL | O_WRONLY), EEXIST);
	must_be("open(NOTES/dangin, O_CREAT | O_EXCL) (dangling, inside)",
		try_open(pathf("%s/dangin", notes), O_CREAT | O_EXCL | O_WRONLY), EEXIST);
	return attack_finish();
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "floor-hardlink"))
		return floor_hardlink(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "semantics"))
		return semantics(argv[2]);
	if (argc < 5 || strcmp(argv[1], "brokered"))
		attack_usage("PB-brokered-paths brokered HOME NOTES SECRET | semantics NOTES | floor-hardlink KEY");
	const char *home = argv[2], *notes = argv[3], *secret = argv[4];
	const char *n_txt = pathf("%s/n.txt", notes);

	/* Positive controls: the grant works, by path, by dirfd and by creating. */
	must_read("open NOTES/n.txt", n_txt);
	int d = open(notes, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	control("open NOTES as a directory", d < 0 ? errno : 0);
	if (d >= 0)
		control("openat(NOTES fd, \"n.txt\")", try_openat(d, "n.txt", O_RDONLY, NULL));

	/* Symlinks out of the granted directory. */
	must_not_read("open NOTES/l (-> SECRET)", pathf("%s/l", notes));
	must_not_read("open NOTES/ld/id_rsa (ld -> ~/.ssh)", pathf("%s/ld/id_rsa", notes));
	must_not_read("open NOTES/ld/../.ssh/id_rsa", pathf("%s/ld/../.ssh/id_rsa", notes));
	must_fail("open NOTES/l with O_NOFOLLOW", try_open(pathf("%s/l", notes), O_RDONLY | O_NOFOLLOW));
	must_not_read_at("open NOTES/l O_RDWR", AT_FDCWD, pathf("%s/l", notes), O_RDWR);

	/* ".." out of a granted directory fd. */
	if (d >= 0) {
		must_not_read_at("openat(NOTES fd, \"../.ssh/id_rsa\")", d, "../.ssh/id_rsa", 0);
		must_not_read_at("openat(NOTES fd, \"l\")", d, "l", 0);
		must_not_read_at("openat(NOTES fd, \"ld/id_rsa\")", d, "ld/id_rsa", 0);
		int up = openat(d, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up >= 0) {
			must_not_read_at("openat(openat(NOTES fd, \"..\"), \".ssh/id_rsa\")", up,
					 ".ssh/id_rsa", 0);
			close(up);
		} else {
			printf("held openat(NOTES fd, \"..\"): %s\n", ename(errno));
		}
		int op = openat(d, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (op >= 0) {
			must_not_read_at("openat(O_PATH of NOTES/.., \".ssh/id_rsa\")", op, ".ssh/id_rsa", 0);
			reopen_via_proc("/proc/self/fd/<O_PATH of HOME>/.ssh/id_rsa", op, "/.ssh/id_rsa", 0);
			close(op);
		}
	}

	/* /proc/self/root and /proc/self/fd/N of the granted directory. */
	must_not_read("open /proc/self/root + SECRET", pathf("/proc/self/root%s", secret));
	must_not_read("open /proc/thread-self/root + NOTES/l", pathf("/proc/thread-self/root%s/l", notes));
	if (d >= 0) {
		reopen_via_proc("/proc/self/fd/<NOTES>/../.ssh/id_rsa", d, "/../.ssh/id_rsa", 0);
		reopen_via_proc("/proc/self/fd/<NOTES>/l", d, "/l", 0);
		reopen_via_proc("/proc/self/fd/<NOTES>/ld/id_rsa", d, "/ld/id_rsa", 0);
	}

	/* A hardlink of the secret inside the granted directory, made before the start. */
	must_not_read("open NOTES/key (a hardlink of SECRET)", pathf("%s/key", notes));
	int kp = open(pathf("%s/key", notes), O_PATH | O_CLOEXEC);
	if (kp >= 0) {
		reopen_via_proc("re-open of NOTES/key's O_PATH fd through /proc/self/fd", kp, "", 0);
		close(kp);
	}

	/* Dangling symlinks and O_CREAT: nothing outside NOTES is created. */
	int fd;
	must_fail("open(NOTES/dang -> HOME/outside-new, O_CREAT)",
		  try_openat(AT_FDCWD, pathf("%s/dang", notes), O_CREAT | O_WRONLY, &fd));
	if (fd >= 0)
		close(fd);
	must_fail("open(NOTES/dang2 -> HOME/.ssh/new, O_CREAT)",
		  try_openat(AT_FDCWD, pathf("%s/dang2", notes), O_CREAT | O_WRONLY, &fd));
	if (fd >= 0)
		close(fd);
	must_fail("open(NOTES/dang, O_CREAT | O_EXCL)",
		  try_open(pathf("%s/dang", notes), O_CREAT | O_EXCL | O_WRONLY));
	control("open(NOTES/dangin -> NOTES/inside-new, O_CREAT)",
		try_open(pathf("%s/dangin", notes), O_CREAT | O_WRONLY));
	struct stat st;
	control("NOTES/inside-new was created", stat(pathf("%s/inside-new", notes), &st) < 0 ? errno : 0);
	must_fail("HOME/outside-new exists", stat(pathf("%s/outside-new", home), &st) < 0 ? errno : 0);
	must_fail("HOME/.ssh/new exists", stat(pathf("%s/.ssh/new", home), &st) < 0 ? errno : 0);

	/* Mutations through the symlinks, and bringing the secret into NOTES. */
	must_fail("mkdir NOTES/ld/newdir", mkdir(pathf("%s/ld/newdir", notes), 0755) < 0 ? errno : 0);
	must_fail("unlink NOTES/ld/id_rsa", unlink(pathf("%s/ld/id_rsa", notes)) < 0 ? errno : 0);
	must_fail("truncate NOTES/l (-> SECRET)", truncate(pathf("%s/l", notes), 0) < 0 ? errno : 0);
	must_fail("chmod NOTES/l (-> SECRET) 0666", chmod(pathf("%s/l", notes), 0666) < 0 ? errno : 0);
	must_fail("link SECRET NOTES/k2", link(secret, pathf("%s/k2", notes)) < 0 ? errno : 0);
	must_fail("rename SECRET NOTES/moved", rename(secret, pathf("%s/moved", notes)) < 0 ? errno : 0);
	must_fail("rename NOTES/ld/id_rsa NOTES/moved2",
		  rename(pathf("%s/ld/id_rsa", notes), pathf("%s/moved2", notes)) < 0 ? errno : 0);
	if (symlink(secret, pathf("%s/s2", notes)) == 0)
		must_not_read("open NOTES/s2 (a new symlink -> SECRET)", pathf("%s/s2", notes));
	else
		printf("note: symlink NOTES/s2: %s\n", ename(errno));
	if (d >= 0)
		close(d);
	return attack_finish();
}
