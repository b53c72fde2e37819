/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * airlock's own directories: the user's profiles (config), the audit trail (state), and the
 * sessions' control sockets (runtime). No policy, grant or token can expose them to a sandbox:
 * the policy compiler adds a deny rule for each that nothing overrides (policy.c).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* $XDG_CONFIG_HOME/airlock, $XDG_STATE_HOME/airlock (each with the XDG default under $HOME),
 * and $XDG_RUNTIME_DIR/airlock, or /tmp/airlock-<euid> without a runtime dir. Returns 0,
 * -ENOENT (no absolute HOME for the default) or -ENAMETOOLONG. Nothing is created. */
int dirs_config(char *buf, size_t size);
int dirs_state(char *buf, size_t size);
int dirs_runtime(char *buf, size_t size);

/* All three, normalised, and, when running as root, other users' session directories that exist
 * (/tmp/airlock-<uid>, /run/user/<uid>/airlock: a root-run sandbox would pass their
 * permissions). Never an empty list. Free with strv_free(). */
int dirs_protected(char ***ret);

/* Open the directory path (creating it 0700 with its parents if create), and refuse it
 * (-EPERM) unless it is a real directory, not a symlink, owned by the effective user, and not
 * writable by group or others: someone else's directory in /tmp must not receive our sockets.
 * Returns an O_RDONLY|O_DIRECTORY fd, or -errno. */
int dirs_open_private(const char *path, bool create);
