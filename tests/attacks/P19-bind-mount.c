/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P19: mount the secret's directory into the project: in a fresh user+mount namespace
 * (`unshare -Urm; mount --bind ~/.ssh PROJ/m`), directly as root, and with the new mount API
 * (open_tree(OPEN_TREE_CLONE) + openat on the detached tree, fsopen, move_mount). Every step
 * must be denied; if a mount appears, its content is printed and it is removed again.
 *
 *	P19-bind-mount HOME PROJ
 */
#include <linux/mount.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include "attack.h"

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = n < 0 ? errno : 0;
	close(fd);
	return e;
}

static void try_bind(const char *what, const char *src, const char *dst)
{
	int r = mount(src, dst, NULL, MS_BIND, NULL);
	must_fail(what, r < 0 ? errno : 0);
	if (r == 0) {
		must_not_read(pathf("%s: read m/id_rsa", what), pathf("%s/id_rsa", dst));
		umount2(dst, MNT_DETACH);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P19-bind-mount HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	const char *ssh = pathf("%s/.ssh", home);
	const char *m = pathf("%s/p19-m", proj);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	bool in_new_ns = false;

	if (mkdir(m, 0755) < 0 && errno != EEXIST)
		control("mkdir PROJ/p19-m", errno);

	/* 1. unshare -Urm; mount --bind ~/.ssh PROJ/p19-m */
	int r = unshare(CLONE_NEWUSER | CLONE_NEWNS);
	must_fail("unshare(CLONE_NEWUSER|CLONE_NEWNS)", r < 0 ? errno : 0);
	if (r == 0) {
		in_new_ns = true;
		write_file("/proc/self/setgroups", "deny");
		write_file("/proc/self/uid_map", pathf("0 %d 1", (int)uid));
		write_file("/proc/self/gid_map", pathf("0 %d 1", (int)gid));
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
		try_bind("mount --bind ~/.ssh in the new namespace", ssh, m);
	}

	/* 2. Directly, as root in the original namespace (only there it means anything). */
	if (!in_new_ns && uid == 0)
		try_bind("mount --bind ~/.ssh as root", ssh, m);
	else if (!in_new_ns)
		printf("skipped a direct bind mount: not root\n");

	/* 3. The new mount API. */
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, ssh, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	must_fail("open_tree(~/.ssh, OPEN_TREE_CLONE)", tree < 0 ? errno : 0);
	if (tree >= 0) {
		must_not_read_at("openat(detached tree, \"id_rsa\")", tree, "id_rsa", 0);
		r = (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, m, MOVE_MOUNT_F_EMPTY_PATH);
		must_fail("move_mount(tree, PROJ/p19-m)", r < 0 ? errno : 0);
		if (r == 0) {
			must_not_read("read PROJ/p19-m/id_rsa after move_mount",
				      pathf("%s/id_rsa", m));
			umount2(m, MNT_DETACH);
		}
		close(tree);
	}
	int fsfd = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	must_fail("fsopen(\"tmpfs\")", fsfd < 0 ? errno : 0);
	if (fsfd >= 0)
		close(fsfd);
	int pick = (int)syscall(SYS_fspick, AT_FDCWD, proj, FSPICK_CLOEXEC);
	must_fail("fspick(PROJ)", pick < 0 ? errno : 0);
	if (pick >= 0)
		close(pick);
	struct mount_attr attr = { .attr_clr = MOUNT_ATTR_RDONLY };
	r = (int)syscall(SYS_mount_setattr, AT_FDCWD, "/usr", 0, &attr, sizeof(attr));
	printf("mount_setattr(/usr, clear RDONLY): %s\n", ename(r < 0 ? errno : 0));
	return attack_finish();
}
