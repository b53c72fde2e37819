/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Does thread tid act with our file-system ids and groups? (Read from /proc; the caller checks
 * afterwards that tid is still its requester.) */
bool identity_is_ours(pid_t tid);

/* Take on the requester's umask and file-system ids in this thread (which must have its own
 * fs context: unshare(CLONE_FS)), and drop them again. */
void take_on_identity(pid_t tid, uid_t *ret_uid, gid_t *ret_gid);
void drop_identity(void);
