/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit trail: one JSON object per line for every decision of the supervisor. Writing
 * never blocks a decision: events go into a bounded in-memory queue that a writer thread
 * drains; when the queue is full, events are dropped and counted, and the next written line
 * says how many ("dropped": N).
 *
 * Three kinds of audit object, one interface (audit_log, audit_set_listener, audit_close):
 *   audit_open()          one file the user named (--audit FILE), appended to, never rotated;
 *   audit_open_session()  the per-session trail in a private directory (audit_dir_for_user()),
 *                         capped in size and rotated by the writer thread;
 *   audit_open_null()     no file: lines only go to the listener, for a host program that
 *                         wants the events without a trail.
 */
#pragma once

#include <stddef.h>
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

#define AUDIT_SESSION_MAX_BYTES_DEFAULT (8u << 20) /* 8 MiB */
#define AUDIT_SESSION_KEEP_DEFAULT 3u
#define AUDIT_SESSION_KEEP_MAX 1000u
#define AUDIT_SESSION_ID_MAX 128
#define AUDIT_PRUNE_AGE_DAYS 30

/* Open (create, append) path with mode 0600. Returns 0, or -errno. */
int audit_open(const char *path, struct audit **ret);

/*
 * The per-user directory of session trails, "$XDG_STATE_HOME/airlock/audit", into buf. An
 * XDG_STATE_HOME that is unset, empty or relative is ignored (the XDG spec), and the default
 * "$HOME/.local/state" is used. The variables are read with secure_getenv(): in a setuid or
 * otherwise secure-execution process they count as unset. Does not create the directory.
 * Returns 0, or -ENOENT (no usable XDG_STATE_HOME and HOME unset, empty or relative),
 * -ERANGE (buf too small), -EINVAL (buf NULL or size 0).
 */
int audit_dir_for_user(char *buf, size_t size);

/*
 * Open the trail of one session: "<dir>/<session_id>.jsonl" (created 0600, appended to if it
 * exists), and put "session": "<session_id>" in every line.
 *
 * The directory. dir and its missing parents are created with mode 0700. The final component
 * is opened with O_DIRECTORY|O_NOFOLLOW, so a symlink there is refused (-ELOOP), and it must be
 * owned by the effective uid and not writable by group or others (-EPERM otherwise): nobody
 * else may rename, replace or plant files in it. Every later file operation is relative to that
 * directory fd, never to the path again.
 *
 * The cap. max_bytes (0: AUDIT_SESSION_MAX_BYTES_DEFAULT) is the most bytes one file holds: a
 * line that would take the current file past max_bytes goes to a fresh file instead. Lines are
 * never split, so the one exception is a file whose only line is by itself longer than
 * max_bytes. A file found already past the cap (an earlier run with a larger one) is rotated
 * before its first new line. If rotation fails (the fresh file cannot be created), lines keep
 * going to the current file past the cap rather than being lost, and the next batch retries.
 *
 * Rotation happens in the writer thread, never in audit_log(): "<id>.jsonl" becomes
 * "<id>.1.jsonl", "<id>.1.jsonl" becomes "<id>.2.jsonl", ..., up to keep old files
 * (0: AUDIT_SESSION_KEEP_DEFAULT; at most AUDIT_SESSION_KEEP_MAX); the oldest is overwritten.
 * The fresh file is created (as "<id>.new.jsonl") before anything is renamed, so a failure to
 * create it changes nothing.
 *
 * Pruning. The writer thread, before its first line (not on the way to the command's start),
 * removes every regular file in dir whose name ends in ".jsonl" and whose
 * mtime is more than AUDIT_PRUNE_AGE_DAYS days old is removed (best effort: errors are
 * ignored; symlinks and other non-regular files are left alone; the file just opened is
 * never removed).
 *
 * session_id: 1 to AUDIT_SESSION_ID_MAX characters from [A-Za-z0-9_-] (no '.', so one
 * session's file can never be another's rotated file). Copies session_id; dir is used only
 * during the call.
 * Returns 0 and *ret, or -EINVAL (bad arguments), -EPERM (owner or mode of dir), -ELOOP (dir
 * is a symlink), -ENOTDIR (dir or a parent is something else), or another -errno from creating
 * or opening the directory or the file; *ret is untouched on failure.
 */
int audit_open_session(const char *dir, const char *session_id, uint64_t max_bytes, unsigned keep,
		       struct audit **ret);

/* An audit object with no file: every line goes to the listener only (and is discarded while
 * none is set). Returns 0 and *ret, or -EINVAL (ret NULL), -ENOMEM, -EAGAIN (no thread). */
int audit_open_null(struct audit **ret);

/* Flush what is queued, stop the writer, close. The listener sees every line queued before
 * the call, and is never called after it returns. NULL-safe; returns NULL. */
struct audit *audit_close(struct audit *a);

/* Queue one event (copies its strings; never blocks on I/O). Thread-safe. NULL a is a no-op.
 * Each line: {"time": "2026-11-26T18:03:48.123456Z", "pid": 42, "comm": "cat", "op": "open",
 * "path": "/x", "access": "r", "result": "allow", "by": "grant", "errno": 0, "latency_us": 12}
 * (+ "reason", "dropped" when set; + "session" after "time" for audit_open_session()). Strings
 * that are not valid UTF-8 are written with invalid bytes as \\xNN (valid JSON, never raw
 * control characters). */
void audit_log(struct audit *a, const struct audit_event *e);

/*
 * A live view of the trail. fn is called from the writer thread with each line, in order and
 * once each, after the attempt to write it to the file (it is called even when the write
 * failed, for a line the trail then counts as dropped; on audit_open_null() there is no
 * write). line is NUL-terminated, without the newline; len excludes the NUL; it is valid only
 * during the call. fn runs while the writer thread is busy with it, so it must not block for
 * long (the queue fills and events are dropped), and it must not call into this audit object.
 *
 * A listener sees the lines the writer thread formats after it is set, which may include
 * events queued just before. Thread-safe; fn NULL removes the listener. When it returns, the
 * previous listener is not running and is never called again, so its userdata may be freed
 * (the call waits for a listener call in progress to finish). NULL a is a no-op.
 */
void audit_set_listener(struct audit *a, void (*fn)(const char *line, size_t len, void *userdata),
			void *userdata);
