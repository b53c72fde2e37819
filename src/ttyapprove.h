/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The person at the terminal answers "ask" decisions: the relay's side (ttyapprove.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "supervisor.h"

/* Show the waiting requests one by one on the real terminal (in_fd/out_fd, raw) and answer
 * them. Call it from the relay when s->tty.wake_fd is readable, while the child's output is
 * held back and no input is read for it. Returns whether anything was shown (full-screen
 * programs then need a redraw). */
bool tty_approve_pending(struct supervisor *s, int in_fd, int out_fd, unsigned timeout_ms);

/* Add {"path": path, "allow": "<access>"} to the profile file (created 0600 in a 0700
 * directory if missing; rewritten atomically). *ret_rule (malloc'd, may be NULL) shows the
 * rule. Errors: -EINVAL (a path a profile cannot name exactly: not UTF-8, or with $ * ? [ ~),
 * -EBADMSG (the file exists but is not a profile with a "filesystem" list: left alone), -errno. */
int always_save(const char *file, const char *path, uint32_t access, char **ret_rule);

/* Does file not exist (and nothing else is wrong with looking it up)? */
bool access_ok_missing(const char *file);
