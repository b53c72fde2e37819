/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runtime grants: what the supervisor may do beyond the Landlock floor, decided by an approver
 * (or, later, a token or the control channel). Pure logic plus a mutex: no syscalls beyond
 * clock_gettime(CLOCK_BOOTTIME), so expiry is immune to wall-clock changes and counts suspend.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRANT_ONCE 1u    /* one use, then gone */
#define GRANT_SESSION 2u /* until the session ends, revocation or expiry */

#define GRANT_TABLE_DEFAULT_CAP 10000

struct grant_info {
	uint64_t id;
	char path[4096];   /* canonical absolute path */
	bool subtree;      /* path and everything beneath it */
	uint32_t access;   /* AIRLOCK_ACCESS_* */
	uint32_t scope;    /* GRANT_ONCE or GRANT_SESSION */
	uint64_t expires_ns; /* CLOCK_BOOTTIME; 0: never */
	uint32_t uses;     /* how often it was used */
	char origin[64];   /* "approver", "token", "control", ... */
};

struct grant_table;

/* cap: the most live grants; beyond it grant_add() fails with -ENOSPC (the request is then
 * denied, never allowed). Returns 0 or -ENOMEM/-EINVAL. */
int grant_table_new(size_t cap, struct grant_table **ret);
struct grant_table *grant_table_free(struct grant_table *t);

/* Add a grant. path must be absolute and normalised (no "//", "/./", "..", trailing "/").
 * access non-zero; ttl_ns 0 for no expiry. A grant identical in (path, subtree, scope) to a live
 * one merges into it (access ORed, the later expiry kept) and returns its id.
 * Returns 0 and *ret_id, or -EINVAL, -ENOSPC (at the cap), -ENOMEM. Thread-safe. */
int grant_add(struct grant_table *t, const char *path, bool subtree, uint32_t access,
	      uint32_t scope, uint64_t ttl_ns, const char *origin, uint64_t *ret_id);

/* Does a live grant cover every bit of access on path (canonical)? Expired grants are dropped
 * on the way; a GRANT_ONCE grant that matches is consumed. The most specific matching grant is
 * the one used (and consumed). Returns true and *ret_id (may be NULL). Thread-safe. */
bool grant_check(struct grant_table *t, const char *path, uint32_t access, uint64_t *ret_id);

/* Revoke by id (-ENOENT if none), or every grant on exactly path or beneath it (returns how
 * many were removed). Thread-safe. */
int grant_revoke(struct grant_table *t, uint64_t id);
int grant_revoke_path(struct grant_table *t, const char *path);

/* Snapshot of the live grants, malloc'd array (caller frees). Thread-safe. */
int grant_list(struct grant_table *t, struct grant_info **ret, size_t *ret_n);
size_t grant_count(struct grant_table *t);

/* For tests: the clock grants use (CLOCK_BOOTTIME, ns). */
uint64_t grant_now_ns(void);
