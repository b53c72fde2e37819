/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "util.h"

/* Debian 12's uapi headers stop at ABI 2; the values below are the kernel's ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF
#define LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF (1U << 0)
#endif

/* The ABI 6 layout; older kernels take a prefix of it (extensible struct). */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_EXEC LANDLOCK_ACCESS_FS_EXECUTE
#define FS_WRITE                                                                             \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                     \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |                     \
	 LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |                         \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |                       \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM |                       \
	 LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Rights that mean something on a file (the rest only on directories). */
#define FS_FILE_RIGHTS                                                                       \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                        \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

static int ll_create_ruleset(const struct ll_ruleset_attr *attr, size_t size, uint32_t flags)
{
	return (int)syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

int ll_probe(struct ll_abi *ret)
{
	*ret = (struct ll_abi){ 0 };
	int abi = ll_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		ret->unavailable_errno = errno;
		return 0;
	}
	/* AIRLOCK_LANDLOCK_ABI_MAX=N shows (and tests) what airlock does on an older kernel:
	 * it can only ever lower what is enforced, never raise it. */
	const char *cap = secure_getenv("AIRLOCK_LANDLOCK_ABI_MAX");
	if (cap && *cap) {
		char *end;
		long v = strtol(cap, &end, 10);
		if (*end == '\0' && v >= 0 && v < abi) {
			abi = (int)v;
			if (abi == 0) {
				ret->unavailable_errno = ENOSYS;
				return 0;
			}
		}
	}
	ret->abi = abi;
	/* The switch-fallthrough of landlock.rst: start from everything, take away per ABI. */
	ret->fs = FS_READ | FS_EXEC | FS_WRITE;
	ret->net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
	ret->scope = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	if (abi < 6)
		ret->scope = 0;
	if (abi < 5)
		ret->fs &= ~LANDLOCK_ACCESS_FS_IOCTL_DEV;
	if (abi < 4)
		ret->net = 0;
	if (abi < 3)
		ret->fs &= ~LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi < 2)
		ret->fs &= ~LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 7) {
		int e = ll_create_ruleset(NULL, 0, 1U << 1 /* LANDLOCK_CREATE_RULESET_ERRATA */);
		ret->errata = e > 0 ? e : 0;
	}
	return 0;
}

uint64_t ll_fs_rights(uint32_t access, bool list_only, bool is_dir)
{
	uint64_t r = 0;
	if (access & AIRLOCK_ACCESS_READ)
		r |= FS_READ;
	if (access & AIRLOCK_ACCESS_WRITE)
		r |= FS_WRITE;
	if (access & AIRLOCK_ACCESS_EXEC)
		r |= FS_EXEC;
	if (list_only)
		r |= LANDLOCK_ACCESS_FS_READ_DIR;
	if (!is_dir)
		r &= FS_FILE_RIGHTS;
	return r;
}

int ll_degradations(const struct ll_abi *abi, bool network_off, char ***ret)
{
	_cleanup_strv_free_ char **v = NULL;
	int r = 0;
#define ADD(s) do { if (r == 0) r = strv_push(&v, s); } while (0)
	if (abi->abi == 0) {
		ADD("Landlock is not available: no filesystem confinement at all (airlock refuses to run)");
	} else {
		if (abi->abi < 2)
			ADD("ABI < 2, no REFER: every rename or link across directories fails (stricter)");
		if (abi->abi < 3)
			ADD("ABI < 3, no TRUNCATE: truncate(2) on read-only files is not stopped by Landlock");
		if (abi->abi < 4 && network_off)
			ADD("ABI < 4, no TCP rules: --net off relies on the seccomp socket filter alone");
		if (abi->abi < 5)
			ADD("ABI < 5, no IOCTL_DEV: device ioctls are not restricted (TIOCSTI stays denied by seccomp)");
		if (abi->abi < 6)
			ADD("ABI < 6, no scopes: abstract unix sockets rely on the seccomp socket filter; "
			    "seccomp denies signals to airlock and kill(-1), but other processes of "
			    "the user can be signalled by pid");
	}
#undef ADD
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	return 0;
}

int ll_build(const struct ll_abi *abi, const struct compiled_policy *c, int *ret_fd,
	     char **reterr_path)
{
	struct ll_ruleset_attr attr = {
		.handled_access_fs = abi->fs,
		.handled_access_net = c->network ? 0 : abi->net,
		.scoped = abi->scope,
	};
	size_t size = abi->abi >= 6 ? sizeof(attr) : abi->abi >= 4 ? 16 : 8;
	_cleanup_close_ int ruleset = -EBADF;

	if (abi->abi == 0)
		return -EOPNOTSUPP;
	ruleset = ll_create_ruleset(&attr, size, 0);
	if (ruleset < 0)
		return negative_errno();

	for (size_t i = 0; i < c->n_floor; i++) {
		const struct floor_rule *f = &c->floor[i];
		_cleanup_close_ int fd = open(f->path, O_PATH | O_CLOEXEC);
		struct stat st;
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
				continue;
			if (reterr_path)
				*reterr_path = strdup(f->path);
			return negative_errno();
		}
		if (fstat(fd, &st) < 0)
			return negative_errno();
		struct landlock_path_beneath_attr pb = {
			.allowed_access = ll_fs_rights(f->access, f->list_only, S_ISDIR(st.st_mode)) & abi->fs,
			.parent_fd = fd,
		};
		if (!pb.allowed_access)
			continue;
		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			if (reterr_path)
				*reterr_path = strdup(f->path);
			return negative_errno();
		}
	}
	*ret_fd = TAKE_FD(ruleset);
	return 0;
}

int ll_add_path(const struct ll_abi *abi, int ruleset_fd, const char *path, uint32_t access)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return negative_errno();
	struct landlock_path_beneath_attr pb = {
		.allowed_access = ll_fs_rights(access, false, S_ISDIR(st.st_mode)) & abi->fs,
		.parent_fd = fd,
	};
	if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return negative_errno();
	return 0;
}

int ll_restrict_self(int ruleset_fd, const struct ll_abi *abi)
{
	/* Since ABI 7 a launcher can keep the kernel's audit log quiet about its own pre-exec
	 * denials; the program it runs is logged as usual. */
	unsigned flags = abi->abi >= 7 ? LANDLOCK_RESTRICT_SELF_LOG_SAME_EXEC_OFF : 0;
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, flags) < 0)
		return -errno;
	return 0;
}
