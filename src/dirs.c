/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* An XDG variable's value, or $HOME/fallback; relative values are invalid (the XDG spec). */
static int xdg_dir(const char *var, const char *fallback, const char *leaf, char *buf, size_t size)
{
	const char *v = getenv(var);
	int n;
	if (v && v[0] == '/')
		n = snprintf(buf, size, "%s/%s", v, leaf);
	else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/')
			return -ENOENT;
		n = snprintf(buf, size, "%s/%s/%s", home, fallback, leaf);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int dirs_config(char *buf, size_t size)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config", "airlock", buf, size);
}

int dirs_state(char *buf, size_t size)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state", "airlock", buf, size);
}

int dirs_runtime(char *buf, size_t size)
{
	const char *v = getenv("XDG_RUNTIME_DIR");
	int n = v && v[0] == '/' ? snprintf(buf, size, "%s/airlock", v)
				 : snprintf(buf, size, "/tmp/airlock-%u", (unsigned)geteuid());
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* /tmp/airlock-<uid> owned by <uid> (session TMPDIRs are /tmp/airlock-XXXXXX: not these),
 * or /run/user/<uid>/airlock. */
static bool is_session_dir(const char *path)
{
	struct stat st;
	unsigned long uid;
	char *end;
	const char *num = !strncmp(path, "/tmp/airlock-", 13) ? path + 13 :
			  !strncmp(path, "/run/user/", 10) ? path + 10 : NULL;
	if (!num || lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	errno = 0;
	uid = strtoul(num, &end, 10);
	if (errno || end == num || (*end != '\0' && strcmp(end, "/airlock") != 0))
		return false;
	return st.st_uid == (uid_t)uid;
}

int dirs_protected(char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	int (*const fns[])(char *, size_t) = { dirs_config, dirs_state, dirs_runtime };
	for (size_t i = 0; i < ELEMENTSOF(fns); i++) {
		char buf[PATH_MAX];
		if (fns[i](buf, sizeof(buf)) < 0)
			continue;
		_cleanup_free_ char *norm = NULL;
		if (path_normalize(buf, &norm) < 0)
			continue;
		int r = strv_push(&v, norm);
		if (r < 0)
			return r;
	}
	/* Other users' sessions too when we are root: a root-run sandbox passes their 0700
	 * directories (nobody else does, so nobody else pays for the look). */
	static const char *const others[] = { "/tmp/airlock-[0-9]*", "/run/user/[0-9]*/airlock" };
	for (size_t i = 0; geteuid() == 0 && i < ELEMENTSOF(others); i++) {
		glob_t g;
		if (glob(others[i], GLOB_NOSORT | GLOB_ONLYDIR, NULL, &g) != 0)
			continue;
		int r = 0;
		for (size_t k = 0; k < g.gl_pathc && r >= 0; k++)
			if (!strv_contains(v, g.gl_pathv[k]) && is_session_dir(g.gl_pathv[k]))
				r = strv_push(&v, g.gl_pathv[k]);
		globfree(&g);
		if (r < 0)
			return r;
	}
	if (!v && strv_push(&v, "/nonexistent/airlock") < 0) /* never NULL: callers iterate */
		return -ENOMEM;
	*ret = TAKE_PTR(v);
	return 0;
}

/* Is fd a directory that only its owner, the current user, can change? */
static int check_private(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

int dirs_open_private(const char *path, bool create)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	/* Walk from "/", one component at a time, never following a symlink in the components
	 * we create (the last one); existing parents are the user's and may be symlinks. */
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	*slash = '\0';
	const char *parent = copy[0] ? copy : "/";
	const char *leaf = slash + 1;
	if (!*leaf)
		return -EINVAL;

	_cleanup_close_ int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0 && errno == ENOENT && create) {
		int r = mkdir_parents(parent, 0700);
		if (r < 0)
			return r;
		pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (pfd < 0)
		return negative_errno();
	if (create && mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : negative_errno();
	int r = check_private(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}
