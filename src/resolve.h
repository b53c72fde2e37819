/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Resolving a path the way the requesting thread would, into an object the supervisor holds:
 * the containing directory as an O_PATH fd plus the last component, never a string that the
 * sandbox could change afterwards.
 *
 * Invariant: a path chosen by the sandbox is resolved against the *requesting thread's* cwd,
 * dirfd or root (its /proc/<tid>/cwd or /proc/<tid>/fd/N, opened while its notification is
 * pending and checked with ID_VALID after), with RESOLVE_NO_MAGICLINKS, and symlinks in the
 * last component are followed by reading them ourselves; every later operation is relative to
 * the directory fd with a single component and RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS.
 * A resolution that reaches procfs stops (RESOLVE_PROC): /proc/self would name the supervisor.
 * Tests: tests/attacks (P01-P11), tests/e2e/test-supervisor.c.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Returned (as a positive value) when resolution reached procfs: the caller must not act. */
#define RESOLVE_PROC 1

struct target {
	int dir;              /* O_PATH fd of the containing directory (or of the object itself
			       * when leaf is empty) */
	char leaf[NAME_MAX + 1]; /* the last component; "" when the path names dir itself */
	char path[PATH_MAX];  /* canonical absolute path of the object (dir path + "/" + leaf) */
	bool exists;
	struct stat st;       /* the object's, when exists (not following a final symlink when
			       * the caller asked not to follow) */
};

/* The directory relative paths start from: dirfd of thread tid, or its cwd (AT_FDCWD), or the
 * root for absolute paths. Returns an O_PATH fd, or -EBADF / -ENOTDIR like the kernel. */
int resolve_base(pid_t tid, int dirfd, const char *path, int *ret_fd);

/* Resolve path from base. follow: follow a symlink in the last component (a trailing '/'
 * always does). Returns 0, RESOLVE_PROC, or -errno as the kernel would say it (ENOENT for a
 * missing directory, ENOTDIR, ELOOP, ENAMETOOLONG). t->dir is owned by the caller on 0. */
int resolve_target(int base, const char *path, bool follow, struct target *t);

void target_done(struct target *t);
