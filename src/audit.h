/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit trail: one JSON object per line for every decision of the supervisor. Writing
 * never blocks a decision: events go into a bounded in-memory queue that a writer thread
 * drains; when the queue is full, events are dropped and counted, and the next written line
 * says how many ("dropped": N).
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct audit_event {
	pid_t pid;
	const char *comm;      /* the requester's command name, or NULL */
	const char *operation; /* "open", "mkdir", ... */
	const char *path;      /* resolved object, bytes */
	uint32_t access;       /* AIRLOCK_ACCESS_* */
	const char *result;    /* "allow" or "deny" */
	const char *by;        /* "floor", "rule", "grant", "token", "person", "approver", "overload", "error" */
	const char *reason;    /* optional detail */
	int error;             /* errno returned to the program on deny, 0 on allow */
	uint64_t latency_us;
};

struct audit;

/* Open (create, append) path with mode 0600. Returns 0, or -errno. */
int audit_open(const char *path, struct audit **ret);
/* Flush what is queued, stop the writer, close. NULL-safe; returns NULL. */
struct audit *audit_close(struct audit *a);
/* Queue one event (copies its strings; never blocks on I/O). Thread-safe. NULL a is a no-op.
 * Each line: {"time": "2026-11-26T18:03:48.123456Z", "pid": 42, "comm": "cat", "op": "open",
 * "path": "/x", "access": "r", "result": "allow", "by": "grant", "errno": 0, "latency_us": 12}
 * (+ "reason", "dropped" when set). Strings that are not valid UTF-8 are written with invalid
 * bytes as \\xNN (valid JSON, never raw control characters). */
void audit_log(struct audit *a, const struct audit_event *e);
