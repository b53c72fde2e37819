/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SYMLINK_HOPS 40

static int openat2_path(int base, const char *path, uint64_t flags)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | flags,
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, base, path, &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

int resolve_base(pid_t tid, int dirfd, const char *path, int *ret_fd)
{
	char proc[64];
	int fd;

	if (path[0] == '/') {
		/* The sandbox cannot chroot or enter namespaces (seccomp), so its root is ours. */
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret_fd = fd;
		return 0;
	}
	if (dirfd == AT_FDCWD)
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", (int)tid);
	else if (dirfd < 0)
		return -EBADF;
	else
		snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", (int)tid, dirfd);
	/* This follows the magic link on purpose: it names the thread's own cwd or fd. */
	fd = open(proc, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && dirfd != AT_FDCWD ? -EBADF : -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return -ENOTDIR;
	}
	*ret_fd = fd;
	return 0;
}

static bool on_procfs(int fd)
{
	struct statfs sfs;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int fd_path(int fd, char *buf, size_t size)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, size - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	if (buf[0] != '/')
		return -ENOENT; /* not reachable from our root (or a deleted directory) */
	return 0;
}

void target_done(struct target *t)
{
	t->dir = safe_close(t->dir);
}

int resolve_target(int base, const char *path, bool follow, struct target *t)
{
	char cur[PATH_MAX], link[PATH_MAX];
	_cleanup_close_ int owned_base = -EBADF;
	int r;

	*t = (struct target){ .dir = -EBADF };
	if (!*path)
		return -ENOENT;
	if (strlen(path) >= sizeof(cur))
		return -ENAMETOOLONG;
	strcpy(cur, path);

	for (int hops = 0;; hops++) {
		size_t len = strlen(cur);
		bool trailing = len > 1 && cur[len - 1] == '/';
		while (len > 1 && cur[len - 1] == '/')
			cur[--len] = '\0';
		char *slash = strrchr(cur, '/');
		const char *leaf = slash ? slash + 1 : cur;

		if (!strcmp(cur, "/") || !strcmp(leaf, ".") || !strcmp(leaf, "..")) {
			/* The path names a directory itself: hold it. The object is that directory,
			 * with no name of its own here (leaf ""), whatever an earlier hop left. */
			int fd = openat2_path(base, cur, O_DIRECTORY);
			if (fd < 0)
				return fd;
			t->dir = safe_close(t->dir);
			t->dir = fd;
			t->leaf[0] = '\0';
			if (on_procfs(fd))
				return RESOLVE_PROC;
			if (fstat(fd, &t->st) < 0)
				return -errno;
			t->exists = true;
			return fd_path(fd, t->path, sizeof(t->path));
		}
		if (strlen(leaf) > NAME_MAX)
			return -ENAMETOOLONG;

		int dfd;
		if (!slash)
			dfd = openat2_path(base, ".", O_DIRECTORY);
		else if (slash == cur)
			dfd = openat2_path(base, "/", O_DIRECTORY);
		else {
			*slash = '\0';
			dfd = openat2_path(base, cur, O_DIRECTORY);
			*slash = '/';
		}
		if (dfd < 0)
			return dfd;
		t->dir = safe_close(t->dir);
		t->dir = dfd;
		if (on_procfs(dfd))
			return RESOLVE_PROC;
		strcpy(t->leaf, leaf);

		if (fstatat(dfd, leaf, &t->st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return -errno;
			t->exists = false;
		} else if (S_ISLNK(t->st.st_mode) && trailing && !follow) {
			/* unlink("link/"), rename("link/", ...): the kernel does not follow here. */
			return -ENOTDIR;
		} else if (S_ISLNK(t->st.st_mode) && follow) {
			if (hops >= MAX_SYMLINK_HOPS)
				return -ELOOP;
			ssize_t n = readlinkat(dfd, leaf, link, sizeof(link) - 1);
			if (n < 0)
				return -errno;
			link[n] = '\0';
			if (!n)
				return -ENOENT;
			if ((size_t)n + (trailing ? 1 : 0) >= sizeof(cur))
				return -ENAMETOOLONG;
			/* Go on from the directory holding the link (or the root). */
			owned_base = safe_close(owned_base);
			owned_base = link[0] == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)
						    : fcntl(dfd, F_DUPFD_CLOEXEC, 3);
			if (owned_base < 0)
				return -errno;
			base = owned_base;
			memcpy(cur, link, (size_t)n);
			if (trailing)
				cur[n++] = '/';
			cur[n] = '\0';
			continue;
		} else {
			t->exists = true;
			if (trailing && !S_ISDIR(t->st.st_mode))
				return -ENOTDIR;
		}

		char dir[PATH_MAX];
		r = fd_path(dfd, dir, sizeof(dir));
		if (r < 0)
			return r;
		size_t dl = strcmp(dir, "/") ? strlen(dir) : 0, ll = strlen(leaf);
		if (dl + 1 + ll >= sizeof(t->path))
			return -ENAMETOOLONG;
		memcpy(t->path, dir, dl);
		t->path[dl] = '/';
		memcpy(t->path + dl + 1, leaf, ll + 1);
		return 0;
	}
}
