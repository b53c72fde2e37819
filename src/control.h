/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control channel of a running session (server side: control.c; client side:
 * airlock_session_* in api.c). Files in airlock's runtime directory (dirs_runtime()):
 *   <id>.sock  SOCK_SEQPACKET, 0600: one JSON request per connection, one JSON reply
 *   <id>.json  0600: {"id", "pid", "command": [...], "cwd", "started", "secret"}
 * Requests: {"secret": "<from the info file>", "op": "status" | "grant" | "revoke" | "mint" |
 * "revoke-token", "path": ..., "access": "r"|"rw"|"rx"..., "ttl_s": N, "uses": N, "token": ...}.
 * Replies: {"ok": true, ...} or {"ok": false, "error": "..."}.
 */
#pragma once

#include <jansson.h>

struct airlock_sandbox;
struct control;

/* Create the socket and the info file and serve them until the supervisor's cancel eventfd
 * fires. argv and cwd describe the session for `airlock ps`. */
int control_start(struct airlock_sandbox *sb, const char *const *argv, const char *cwd,
		  struct control **ret);
/* An audit line for the session's followers (`airlock log -f`); from the trail's listener. */
void control_audit_line(struct control *c, const char *line, size_t len);
/* The session's grants and tokens: {"grants": [...], "tokens": [...]}. */
json_t *control_grants_json(struct airlock_sandbox *sb);
/* After the cancel eventfd fired: join, remove both files. NULL-safe; returns NULL. */
struct control *control_stop(struct control *c);

/* The running sessions of this user: a JSON array of their info objects without the secret.
 * Sessions that ended without cleaning up are removed on the way. */
int control_list(json_t **ret);

/* Send req (an object; "secret" is added) to the one running session whose id starts with
 * prefix. On success *ret_reply is the reply ("ok": true). Errors: -EINVAL (bad prefix),
 * -ENOENT (no such session), -EEXIST (ambiguous prefix), -EPERM (the session refused: the
 * reason is in *ret_error, malloc'd), -ETIMEDOUT, -errno. */
int control_request(const char *prefix, json_t *req, json_t **ret_reply, char **ret_error);

/* `airlock log -f`: call fn with each audit line (JSON) of the session as it is written, until
 * the session ends (returns 0). Errors as control_request(). */
int control_follow(const char *prefix, void (*fn)(const char *line, void *userdata), void *userdata,
		   char **ret_error);

/* `airlock approve`: answer the session's requests on this terminal (in_fd/out_fd, raw mode
 * expected) until the session ends or q / Ctrl-C / Ctrl-D is pressed (returns 0). */
int control_approve(const char *prefix, int in_fd, int out_fd, char **ret_error);
