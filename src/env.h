/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sandboxed program's environment. */
#pragma once

#include <stdbool.h>

#include "policy.h"

/* Variables that make a program load code chosen by whoever sets them (LD_PRELOAD, BASH_ENV,
 * NODE_OPTIONS, ...). They are stripped unless a profile keeps them by exact name. */
bool env_is_injection(const char *name);

/* Build the child's environment from host (NULL-terminated "NAME=VALUE" list) and the policy:
 * the profile's allow list (if any), its deny list, the injection filter, then its "set"
 * entries, then --env; TMPDIR is the session directory. *ret_dropped lists the names removed
 * (for --verbose). Both results are malloc'd strv. */
int env_build(const struct airlock_policy *p, const struct policy_vars *vars, char *const *host,
	      char ***ret_envp, char ***ret_dropped);

/* Replace or append NAME=VALUE in the strv *env. Returns 0 or -ENOMEM. */
int env_put(char ***env, const char *kv);
