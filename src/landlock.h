/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Landlock: ABI probe, best-effort masks, ruleset build. The ruleset is built in the parent
 * (it opens paths and allocates); the child only calls ll_restrict_self() before exec.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

struct ll_abi {
	int abi;        /* 0: Landlock unavailable */
	int errata;     /* bitmask of fixed issues (ABI >= 7), else 0 */
	uint64_t fs;    /* filesystem rights this kernel handles */
	uint64_t net;   /* network rights this kernel handles */
	uint64_t scope; /* scopes this kernel handles */
	int unavailable_errno; /* why abi is 0: ENOSYS (not built), EOPNOTSUPP (disabled at boot) */
};

int ll_probe(struct ll_abi *ret);

/* Landlock rights for airlock access bits on a directory or a file. */
uint64_t ll_fs_rights(uint32_t access, bool list_only, bool is_dir);

/* What we lose on this kernel compared with the newest ABI we know, for people; each line one
 * missing feature with its compensation. NULL-terminated, malloc'd. */
int ll_degradations(const struct ll_abi *abi, bool network_off, char ***ret);

/* Build the ruleset for a compiled policy. *ret_fd is the ruleset fd (CLOEXEC).
 * Paths that vanished since compile are skipped (fewer grants, never more). */
int ll_build(const struct ll_abi *abi, const struct compiled_policy *c, int *ret_fd,
	     char **reterr_path);

/* Add one path rule to a ruleset built by ll_build() (before the child restricts itself). */
int ll_add_path(const struct ll_abi *abi, int ruleset_fd, const char *path, uint32_t access);

/* In the child: restrict the calling thread (no_new_privs must be set). Raw syscall. */
int ll_restrict_self(int ruleset_fd, const struct ll_abi *abi);

#define LL_ABI_KNOWN 7
