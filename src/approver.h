/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Approvers answer "ask" decisions. This one is an external program (--approve-cmd): it gets
 * one JSON object on stdin and prints one JSON object on stdout. A slow, crashing or garbled
 * approver means deny, with the reason. The program runs outside the sandbox, as the user.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct approval_request {
	uint64_t id;
	pid_t pid;
	const char *cmdline;   /* of the requesting process, NUL-separated args joined by ' ' */
	const char *operation; /* "open", "mkdir", "unlink", "rename", ... */
	const char *path;      /* the resolved object (canonical), as bytes */
	uint32_t access;       /* AIRLOCK_ACCESS_* */
	const char *session;   /* session id */
	const char *group;     /* deny/ask group of the deciding rule, or NULL */
};

struct approval_answer {
	bool allow;
	uint32_t scope;      /* GRANT_ONCE or GRANT_SESSION */
	char path[4096];     /* what to grant: the request's path, or a wider subtree that contains it */
	bool subtree;        /* the answer named a path: it is granted with everything beneath */
	uint64_t ttl_s;      /* 0: no expiry */
	char reason[256];    /* why it was denied (timeout, crash, bad answer, the approver's no) */
};

/*
 * Run cmd (through /bin/sh -c) with the request as JSON on stdin:
 *   {"id": 7, "pid": 4242, "cmdline": "cat /x", "operation": "open", "path": "/x",
 *    "access": "r", "session": "7f3a...", "group": null}
 * Paths and command lines that are not valid UTF-8 are sent with invalid bytes as "\\xNN" and
 * "path_escaped": true. It must print one JSON object (at most 64 KiB) and exit 0:
 *   {"decision": "allow"|"deny", "scope": "once"|"session", "path": "/wider", "ttl_s": 600}
 * "scope" defaults to "once", "path" to the request's path; a "path" that does not contain the
 * request's path, unknown keys or values, or anything else wrong means deny.
 * timeout_ms bounds the whole exchange; on timeout the approver is killed (its process group).
 * Always fills *ret (allow == false with a reason on any failure); returns 0, or -errno when the
 * approver could not be run at all (then too *ret says deny).
 */
int approver_cmd_ask(const char *cmd, unsigned timeout_ms, const struct approval_request *rq,
		     struct approval_answer *ret);

/* The same, but it gives up (deny, approver killed) as soon as cancel_fd becomes readable:
 * the supervisor's way to end pending approvals when the session ends. */
int approver_cmd_ask_cancellable(const char *cmd, unsigned timeout_ms,
				 const struct approval_request *rq, int cancel_fd,
				 struct approval_answer *ret);
