/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy model: rules layered from profiles and flags (struct airlock_policy), and the
 * compiled form a sandbox enforces (struct compiled_policy).
 *
 * Decision rule, per access bit (read, write, exec): among the rules whose path is the
 * requested path or one of its ancestors and that mention the bit, the deepest wins. For the
 * same path, a later layer overrides an earlier one; inside one layer deny beats allow beats
 * ask. Nothing matching means not granted.
 *
 * Compiling expands variables, resolves symlinks (rules bind to objects), expands globs, and
 * merges the layers. It touches the filesystem (stat, realpath, glob) but makes no sandboxing
 * syscalls, so it is unit-tested on ordinary directories.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "airlock/airlock.h"

#define POLICY_MAX_RULES 4096

struct raw_rule {
	char *path;     /* as written, variables not yet expanded */
	uint32_t access; /* AIRLOCK_ACCESS_* */
	uint32_t effect; /* AIRLOCK_EFFECT_* */
	char *origin;   /* "FILE:LINE:COL" or "--read" */
	char *group;    /* optional label shown in explanations ("secrets") */
	bool required;  /* must exist when compiled (rules from flags) */
	bool exact;     /* only while the path names itself: no symlink on the way, it exists
			 * (answers "always"); otherwise left out with a notice */
	unsigned layer;
};

struct env_policy {
	char **allow;  /* fnmatch patterns; NULL means every variable */
	char **deny;   /* fnmatch patterns */
	char **keep;   /* names kept despite the injection filter */
	char **set;    /* "NAME=VALUE", VALUE may use profile variables */
	char **pass;   /* names passed from the host whatever the rules say (--env NAME) */
	char **literal; /* "NAME=VALUE" from the caller, applied last, never expanded */
};

enum tristate { UNSET = -1, OFF = 0, ON = 1 };

struct airlock_policy {
	struct raw_rule *rules;
	size_t n_rules;
	unsigned n_layers;
	int network;       /* enum tristate; UNSET means on */
	int unix_sockets;  /* enum tristate; UNSET means off */
	int path_metadata; /* enum tristate; UNSET means off */
	struct env_policy env;
	char **vars;     /* "NAME=VALUE" overrides of profile variables */
	char **profiles; /* what was loaded, for display */
	airlock_log_fn log;
	void *log_userdata;
	char errmsg[1024];
};

/* Record an error message on the policy (for airlock_policy_strerror) and return r. */
int policy_error(struct airlock_policy *p, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void policy_log(const struct airlock_policy *p, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Append a rule to the policy in layer. Copies every string. */
int policy_append_rule(struct airlock_policy *p, const struct raw_rule *r);
/* Start a new layer; returns its number. */
unsigned policy_new_layer(struct airlock_policy *p);
void policy_done(struct airlock_policy *p);

/* Is this a variable a profile may use? (name without '$') */
bool policy_var_known(const char *name, size_t len);
/* Check the variables in s; on error returns -EINVAL and sets *ret_bad to the offset. */
int policy_check_vars(const char *s, size_t *ret_bad);

/* ---- compiled form ---- */

struct crule {
	char *path;  /* canonical: symlinks resolved where the path exists */
	char *shown; /* after variable expansion, before symlink resolution */
	uint32_t allow, deny, ask; /* disjoint access masks */
	char *origin[3];           /* per access bit: the rule that set it (owned: the compiled
				    * policy outlives the one it was compiled from) */
	char *group;               /* owned */
	bool exists, is_dir;
};

/* One Landlock path rule of the floor. */
struct floor_rule {
	char *path;
	uint32_t access;  /* AIRLOCK_ACCESS_*: granted on path and everything beneath */
	bool list_only;   /* a carved directory: may be listed (READ_DIR) besides access */
	bool is_dir;
};

struct compiled_policy {
	struct crule *rules;
	size_t n_rules;
	struct floor_rule *floor;
	size_t n_floor;
	char **carved;   /* directories whose listing is granted but whose entries are granted one by one */
	char **notices;  /* things the user should know about this policy */
	bool network;
	bool unix_sockets;
	bool path_metadata;
	bool has_ask;
};

struct policy_vars {
	const char *home, *cwd, *tmpdir;
	const char *xdg_config, *xdg_data, *xdg_cache, *xdg_state, *xdg_runtime;
};

/* Fill vars from the host environment and p's overrides. Strings stay owned by p/environ or
 * by the buffers in storage. */
int policy_vars_init(const struct airlock_policy *p, const char *tmpdir,
		     struct policy_vars *vars, char ***storage);

/* Expand variables of s; -EINVAL with a message in *ret_err (malloc'd) on failure. */
int policy_expand(const char *s, const struct policy_vars *vars, char **ret, char **ret_err);

/* Compile p. On failure returns -errno and puts the reason in p->errmsg. */
int policy_compile(struct airlock_policy *p, const struct policy_vars *vars,
		   struct compiled_policy **ret);
struct compiled_policy *compiled_policy_free(struct compiled_policy *c);

/* Canonicalise a query path like rule paths are (symlinks resolved in the existing prefix). */
int policy_canonicalize(const char *path, char **ret);

/* The rule deciding bit (one AIRLOCK_ACCESS_* bit) on canonical path; NULL = nothing grants. */
const struct crule *policy_decide(const struct compiled_policy *c, const char *path,
				  uint32_t bit, uint32_t *ret_effect);

/* Does the floor grant bit on path (a canonical path)? */
bool floor_grants(const struct compiled_policy *c, const char *path, uint32_t bit);

/* Allow access on path (existing, canonical) in the floor of an already compiled policy, as the
 * rule origin says: for objects that exist only once the session runs (its terminal). */
int policy_add_floor(struct compiled_policy *c, const char *path, uint32_t access,
		     const char *origin);

/* Compute the Landlock floor (c->floor, c->carved): the allow rules, carved around every deny or
 * ask rule beneath them. Reads directories. */
int policy_plan_floor(struct compiled_policy *c);

/* Access bit index 0..2 from a single AIRLOCK_ACCESS_* bit. */
static inline int access_index(uint32_t bit)
{
	return bit == AIRLOCK_ACCESS_READ ? 0 : bit == AIRLOCK_ACCESS_WRITE ? 1 : 2;
}
/* "rwx"-style rendering into buf (4 bytes). */
const char *access_string(uint32_t access, char buf[static 4]);
/* Parse "r", "rw", "rx", "rwx", "read", "write", "exec". Returns 0 or -EINVAL. */
int access_parse(const char *s, uint32_t *ret);
