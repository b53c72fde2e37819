/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libairlock: run untrusted programs under a kernel-enforced policy.
 *
 * A policy is built from profiles (JSON, layered with "extends") and explicit rules; a sandbox
 * compiles it into a Landlock floor and a seccomp filter and runs a command under them.
 *
 * Conventions: every fallible function returns 0 (or a non-negative value) on success and a
 * negative errno on failure. Handles are opaque. Strings passed in are copied unless said
 * otherwise; strings handed out with "ret_" are malloc'd and the caller frees them.
 * Nothing here prints: messages go to the log callback. No global state: one process may hold
 * many policies and sandboxes. A handle is not safe to use from two threads at once.
 */
#ifndef AIRLOCK_AIRLOCK_H
#define AIRLOCK_AIRLOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(AIRLOCK_BUILDING_LIBRARY)
#define AIRLOCK_API __attribute__((visibility("default")))
#else
#define AIRLOCK_API
#endif

/* Access rights of a rule; a bitmask. WRITE covers create, remove, rename, truncate inside. */
#define AIRLOCK_ACCESS_READ (1u << 0)
#define AIRLOCK_ACCESS_WRITE (1u << 1)
#define AIRLOCK_ACCESS_EXEC (1u << 2)
#define AIRLOCK_ACCESS_ALL (AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE | AIRLOCK_ACCESS_EXEC)

/* Effect of a rule. ASK is decided at runtime by the supervisor; without one it denies. */
#define AIRLOCK_EFFECT_ALLOW 0u
#define AIRLOCK_EFFECT_DENY 1u
#define AIRLOCK_EFFECT_ASK 2u

/* Network modes. */
#define AIRLOCK_NET_OFF 0u
#define AIRLOCK_NET_ON 1u

/* Log levels, as syslog's. */
#define AIRLOCK_LOG_ERR 3
#define AIRLOCK_LOG_WARNING 4
#define AIRLOCK_LOG_NOTICE 5
#define AIRLOCK_LOG_INFO 6
#define AIRLOCK_LOG_DEBUG 7

typedef void (*airlock_log_fn)(int level, const char *message, void *userdata);

/* Where a profile was found wrong. file is empty when the error has no source text. */
struct airlock_diag {
	uint32_t line;   /* 1-based; 0 if unknown */
	uint32_t column; /* 1-based; 0 if unknown */
	char file[1024];
	char message[1024];
};

struct airlock_policy;
struct airlock_sandbox;

/* ---- Policies ---------------------------------------------------------------------------- */

/* Create an empty policy: nothing is allowed, network on, environment passed through (minus the
 * loader and interpreter injection variables). Errors: -ENOMEM. */
AIRLOCK_API int airlock_policy_new(struct airlock_policy **ret_policy);

/* NULL-safe; returns NULL. */
AIRLOCK_API struct airlock_policy *airlock_policy_free(struct airlock_policy *policy);

/* Messages (notices about the policy) go to fn; userdata is borrowed. NULL silences them. */
AIRLOCK_API void airlock_policy_set_log(struct airlock_policy *policy, airlock_log_fn fn,
					void *userdata);

/* Layer a profile on top of what the policy holds: a built-in or user profile NAME, or a FILE
 * path (anything containing '/' or ending in ".json"). Later layers win over earlier ones.
 * On error the policy is unchanged and diag (if not NULL) says where and why.
 * Errors: -ENOENT (no such profile), -EINVAL (malformed), -ELOOP (extends cycle), -EFBIG, -ENOMEM. */
AIRLOCK_API int airlock_policy_load_profile(struct airlock_policy *policy, const char *name_or_file,
					    struct airlock_diag *diag);

/* Add a rule as the topmost layer. path may use the profile variables ($HOME, $CWD, ...) and
 * must be absolute once expanded; origin names where it came from ("--read"), may be NULL.
 * A rule added here must name an existing path when the policy is compiled.
 * Errors: -EINVAL (bad access, effect or path), -ENOMEM. */
AIRLOCK_API int airlock_policy_add_rule(struct airlock_policy *policy, const char *path,
					uint32_t access, uint32_t effect, const char *origin);

/* AIRLOCK_NET_ON or AIRLOCK_NET_OFF. Errors: -EINVAL. */
AIRLOCK_API int airlock_policy_set_network(struct airlock_policy *policy, uint32_t mode);

/* Whether the sandbox may create AF_UNIX sockets with socket(2) (socketpair(2) always works).
 * Off by default: on Landlock ABI < 9 pathname connects are not mediated by the kernel, and a
 * session bus or agent socket is a way out of any sandbox. Errors: -EINVAL. */
AIRLOCK_API int airlock_policy_set_unix_sockets(struct airlock_policy *policy, int allow);

/* Whether chmod, chown, xattr and utimes calls that name a path may run (their fd-based forms
 * always may). Off by default: Landlock does not restrict them, so outside the writable tree
 * they could change metadata of any file the user owns. Errors: -EINVAL. */
AIRLOCK_API int airlock_policy_set_path_metadata(struct airlock_policy *policy, int allow);

/* Environment: value != NULL sets NAME=value; value == NULL passes NAME through from the
 * host's environment even if a profile or the injection filter would drop it.
 * Errors: -EINVAL (bad name), -ENOMEM. */
AIRLOCK_API int airlock_policy_set_env(struct airlock_policy *policy, const char *name,
				       const char *value);

/* Set a profile variable ($CWD, $HOME, ...) to something else than the host's value. */
AIRLOCK_API int airlock_policy_set_var(struct airlock_policy *policy, const char *name,
				       const char *value);

/* The effective policy as text, for people: what is allowed, denied, carved, and what the
 * running kernel enforces. *ret_text is malloc'd. Errors: -ENOMEM, compile errors as below. */
AIRLOCK_API int airlock_policy_format(struct airlock_policy *policy, char **ret_text);

/* Explain which rule decides each access to path, and whether the kernel floor enforces it.
 * *ret_text is malloc'd. Errors: -EINVAL, -ENOMEM. */
AIRLOCK_API int airlock_policy_explain(struct airlock_policy *policy, const char *path,
				       char **ret_text);

/* The last error message of a policy call, or "" if none; owned by the policy. */
AIRLOCK_API const char *airlock_policy_strerror(const struct airlock_policy *policy);

/* Layer the answers "always" given at earlier prompts ($XDG_CONFIG_HOME/airlock/always.json)
 * over what is loaded so far; nothing happens when there is none. Errors as for
 * airlock_policy_load_profile(). */
AIRLOCK_API int airlock_policy_load_always(struct airlock_policy *policy, struct airlock_diag *diag);

/* ---- Profiles ---------------------------------------------------------------------------- */

/* Names of the built-in and user profiles, NULL-terminated, "name\tsource\tdescription".
 * Free with airlock_strv_free(). */
AIRLOCK_API int airlock_profile_list(char ***ret_list);

/* The JSON text of a profile by name or file. */
AIRLOCK_API int airlock_profile_read(const char *name_or_file, char **ret_json, char **ret_source);

/* Check a profile (and what it extends) without using it. */
AIRLOCK_API int airlock_profile_check(const char *name_or_file, struct airlock_diag *diag);

AIRLOCK_API void airlock_strv_free(char **strv);

/* ---- Sandboxes --------------------------------------------------------------------------- */

/* Refuse to run when the kernel cannot enforce a right the policy handles, instead of
 * degrading with a notice. */
#define AIRLOCK_SANDBOX_STRICT_KERNEL (1u << 0)
/* No supervisor: the Landlock floor and the static seccomp filter only. No per-operation
 * cost, no runtime grants; "ask" rules deny. */
#define AIRLOCK_SANDBOX_STATIC (1u << 1)

/* Compile policy into a sandbox: creates the session's private temporary directory (the
 * child's TMPDIR, removed by airlock_sandbox_free), resolves every rule, carves the floor.
 * The policy is borrowed only during the call. Errors: -EINVAL (the policy does not compile:
 * a rule's path is missing, malformed, ...), -EOPNOTSUPP (the kernel lacks a required
 * feature), -ENOMEM; the message is in airlock_policy_strerror(policy). */
AIRLOCK_API int airlock_sandbox_new(struct airlock_policy *policy, uint32_t flags,
				    struct airlock_sandbox **ret_sandbox);

/* The approver for "ask" rules: a program run through /bin/sh -c with the request as JSON on
 * stdin, answering JSON on stdout (docs/approver.md); timeout_ms 0 means 60 s. Without one,
 * "ask" means deny. Copies cmd. Errors: -EINVAL (static sandbox, or already running), -ENOMEM. */
AIRLOCK_API int airlock_sandbox_set_approver_cmd(struct airlock_sandbox *sandbox, const char *cmd,
						 uint32_t timeout_ms);

/* How long any approver (the terminal prompt, the command, the host's callback, `airlock
 * approve`) has for one request before it is denied; 0 means 60 s. Errors: -EINVAL (static
 * sandbox, or already running). */
AIRLOCK_API int airlock_sandbox_set_approve_timeout(struct airlock_sandbox *sandbox,
						     uint32_t timeout_ms);

/* Write the audit trail (JSON Lines, one object per decision beyond the floor) to path,
 * created 0600 or appended to. Errors: -EINVAL, -ENOMEM; opening fails at run time. */
AIRLOCK_API int airlock_sandbox_set_audit_file(struct airlock_sandbox *sandbox, const char *path);

/* Grant access (AIRLOCK_ACCESS_*) to path, and everything beneath it if it is a directory, for
 * the rest of the session or for ttl_s seconds (0: no expiry). Every process of the session
 * gets it, across exec; deny rules still win. Thread-safe: may be called while
 * airlock_sandbox_run() runs in another thread. The path is resolved now (symlinks followed).
 * Errors: -EINVAL (no supervisor, bad path or access), -ENOENT, -ENOSPC (grant table full),
 * -ENOMEM. */
AIRLOCK_API int airlock_sandbox_grant(struct airlock_sandbox *sandbox, const char *path,
				      uint32_t access, uint64_t ttl_s);

/* Revoke the grants on path and beneath it. Thread-safe. Returns how many were revoked. Access
 * already obtained (an open fd) is not taken back. Errors: -EINVAL, -ENOENT. */
AIRLOCK_API int airlock_sandbox_revoke(struct airlock_sandbox *sandbox, const char *path);

/* Mint a capability token for path (resolved now; the token is bound to that file's identity,
 * so a file put in its place later redeems nothing) with access (AIRLOCK_ACCESS_*), valid for
 * ttl_s seconds (0: the whole session) and uses redemptions (0: unlimited). A process of the
 * session redeems it through the SDK (airlock_client_redeem(), or `airlock token redeem`); that
 * adds a grant every process of the session sees, across exec. The token is useless outside
 * this session. *ret_token is malloc'd text (the caller frees it; do not log it: it is a
 * secret until it expires). Thread-safe. Errors: -EINVAL (no supervisor, bad argument),
 * -ENOENT, -EPERM (a deny rule withholds the access), -ENOSPC (too many live tokens), -ENOMEM. */
AIRLOCK_API int airlock_sandbox_mint_token(struct airlock_sandbox *sandbox, const char *path,
					   uint32_t access, uint64_t ttl_s, uint32_t uses,
					   char **ret_token);

/* Revoke a token minted by this sandbox: it redeems nothing from now on (grants it already
 * gave stay until revoked with airlock_sandbox_revoke()). Thread-safe. Errors: -EINVAL (not a
 * token of this session), -ENOENT. */
AIRLOCK_API int airlock_sandbox_revoke_token(struct airlock_sandbox *sandbox, const char *token);

/* A request an "ask" rule puts to the host's approver. Strings are borrowed for the call. */
struct airlock_request {
	uint64_t id;           /* for airlock_sandbox_answer() */
	int32_t pid;           /* the requesting process */
	const char *comm;      /* its command name */
	const char *cmdline;   /* its command line, arguments joined by spaces (bytes as they are) */
	const char *operation; /* "open", "mkdir", "unlink", "rename", "sdk-open", ... */
	const char *path;      /* the resolved object, absolute (bytes as they are) */
	uint32_t access;       /* AIRLOCK_ACCESS_* */
};

#define AIRLOCK_ANSWER_DENY 0
#define AIRLOCK_ANSWER_ONCE 1      /* this request only */
#define AIRLOCK_ANSWER_SESSION 2   /* this object, for the rest of the session */
#define AIRLOCK_ANSWER_DIRECTORY 3 /* its directory and everything beneath, for the session */

/* The host answers "ask" rules: fn is called on a thread of the supervisor's that is not one
 * of its notification workers (the sandbox's other calls go on meanwhile), once per request;
 * it may answer at once or later, from any thread, with airlock_sandbox_answer(). A request
 * not answered within the approver timeout (airlock_sandbox_set_approver_cmd()'s, 60 s by
 * default) is denied. Takes precedence over the terminal prompt and the approver command.
 * Set it before airlock_sandbox_run(). Errors: -EINVAL (static sandbox, or running). */
AIRLOCK_API int airlock_sandbox_set_approver(struct airlock_sandbox *sandbox,
					     void (*fn)(const struct airlock_request *request,
							void *userdata),
					     void *userdata);

/* Answer a request given to the approver callback. Thread-safe. Errors: -ENOENT (no such
 * request waits: answered, timed out, or the session ended), -EINVAL. */
AIRLOCK_API int airlock_sandbox_answer(struct airlock_sandbox *sandbox, uint64_t request_id,
				       int answer);

/* Receive the audit trail's events as they happen: fn gets each line (one JSON object; see
 * airlock_session_follow()) on the trail's writer thread; it must not block for long. Set it
 * before airlock_sandbox_run(). Errors: -EINVAL. */
AIRLOCK_API int airlock_sandbox_set_event_callback(struct airlock_sandbox *sandbox,
						   void (*fn)(const char *json_line, void *userdata),
						   void *userdata);

/* Send signal sig to every process of the running command (its process group, and the job
 * in the foreground of its terminal). Thread-safe. Errors: -ESRCH (nothing runs), -EINVAL. */
AIRLOCK_API int airlock_sandbox_kill(struct airlock_sandbox *sandbox, int sig);

/* The session's live grants and tokens as JSON: {"grants": [{"id", "path", "subtree",
 * "access", "origin", "uses"}...], "tokens": [{"id", "path", "access", "uses", "uses_left"}...]}
 * (tokens by id, never their text). *ret_json is malloc'd. Thread-safe. Errors: -EINVAL
 * (no supervisor), -ENOMEM. */
AIRLOCK_API int airlock_sandbox_grants(struct airlock_sandbox *sandbox, char **ret_json);

/* Kills what still runs, removes the session directory. NULL-safe; returns NULL. */
AIRLOCK_API struct airlock_sandbox *airlock_sandbox_free(struct airlock_sandbox *sandbox);

/* Run attached to a terminal when stdin is one (the child gets a pty owned by airlock). */
#define AIRLOCK_RUN_PTY_AUTO (1u << 0)
/* With a pty and no approver command: "ask" rules ask the person at the terminal. The prompt
 * takes the terminal over while the command's output is held back and its input is not read;
 * it is marked with a per-session tag (announced at start through the log callback) that the
 * sandbox cannot know. "Always" answers are saved in $XDG_CONFIG_HOME/airlock/always.json,
 * which airlock_policy_load_always() loads. */
#define AIRLOCK_RUN_PROMPT (1u << 1)
/* airlock_run_opts.stdio holds the command's standard fds. */
#define AIRLOCK_RUN_STDIO (1u << 2)

struct airlock_run_opts {
	uint64_t size;             /* sizeof(struct airlock_run_opts); a larger size with a non-zero
				      unknown tail fails with -E2BIG */
	const char *const *argv;   /* argv[0] is looked up in the child's PATH */
	const char *cwd;           /* NULL: the caller's working directory */
	uint32_t flags;            /* AIRLOCK_RUN_* */
	uint32_t n_keep_fds;       /* fds besides 0-2 that the child keeps (borrowed) */
	const int32_t *keep_fds;
	const char *const *envp;   /* NULL: the environment the policy built from the host's. Else
				      this one ("NAME=VALUE", borrowed), minus the loader and
				      interpreter injection variables (LD_*, BASH_ENV, ...), with
				      TMPDIR, AIRLOCK and AIRLOCK_SOCKET_FD set by airlock */
	int32_t stdio[3];          /* with AIRLOCK_RUN_STDIO: the command's fds 0, 1, 2 (borrowed;
				      the same fd may appear more than once); no pty then */
};

/* Run a command in the sandbox and wait for it, relaying the terminal and forwarding SIGINT,
 * SIGTERM, SIGHUP and SIGWINCH. Every process the command leaves behind is killed when it
 * exits. On success *ret_status is the command's exit status (0-255), or 128+N if it died of
 * signal N. Errors: -ENOENT (command not found), -EACCES / -ENOEXEC (not executable, or denied
 * by the policy), -ECHILD (the sandbox could not be set up in the child), -EALREADY (this
 * sandbox already ran), -E2BIG (unknown non-zero tail of opts), -EINVAL, -ENOMEM; the message
 * is in airlock_sandbox_strerror(). A sandbox runs one command. */
AIRLOCK_API int airlock_sandbox_run(struct airlock_sandbox *sandbox,
				    const struct airlock_run_opts *opts, int *ret_status);

/* After a run: what the supervisor denied beyond the floor, each path once with its access and
 * the flag that would allow it next time. *ret_text is for people (or NULL when nothing was
 * denied); *ret_json is a JSON array (at least "[]"). Both malloc'd; either pointer may be
 * NULL. A --static sandbox has no supervisor and reports nothing. Errors: -EINVAL, -ENOMEM. */
AIRLOCK_API int airlock_sandbox_report(struct airlock_sandbox *sandbox, char **ret_text,
				       char **ret_json);

/* The last error message, or "" if none; owned by the sandbox. */
AIRLOCK_API const char *airlock_sandbox_strerror(const struct airlock_sandbox *sandbox);

/* The session's private temporary directory (borrowed). */
AIRLOCK_API const char *airlock_sandbox_tmpdir(const struct airlock_sandbox *sandbox);

/* ---- Running sessions: the control channel -------------------------------------------- */

/* This user's running sessions, as a JSON array of objects {"id", "pid", "command": [argv],
 * "cwd", "started" (Unix time), "pending" (requests waiting for an answer now), "approvers"
 * (`airlock approve` clients attached)}. Sessions that ended without cleaning up are removed on the
 * way. *ret_json is malloc'd. Errors: -ENOMEM, -EPERM (the runtime directory is not private). */
AIRLOCK_API int airlock_sessions_list(char **ret_json);

/* Send one request to the running session whose id starts with id_prefix (a unique prefix,
 * like a git hash). request_json is an object with "op":
 *   {"op": "status"}                                         grants, tokens, pending approvals
 *   {"op": "grant", "path": P, "access": "r"|"rw"|"rx"|..., "ttl_s": N}
 *   {"op": "revoke", "path": P}                              -> {"revoked": N}
 *   {"op": "mint", "path": P, "access": A, "ttl_s": N, "uses": N}   -> {"token": T}
 *   {"op": "revoke-token", "token": T}
 * Paths are absolute. Only the session's user can reach it (0700 runtime directory, peer uid,
 * the session secret). *ret_reply_json ({"ok": true, ...}) is malloc'd. On -EPERM the session
 * refused and *ret_error (malloc'd) says why; other errors: -EINVAL (bad request or prefix),
 * -ENOENT (no such session), -EEXIST (ambiguous prefix), -ETIMEDOUT, -errno. */
AIRLOCK_API int airlock_session_control(const char *id_prefix, const char *request_json,
					char **ret_reply_json, char **ret_error);

/* Follow the running session's decisions as they happen: fn gets each audit line (one JSON
 * object: time, session, pid, comm, op, path, access, result, by, errno, latency_us) on this
 * thread, and once NULL first, when following has begun; returns 0 when the session ends.
 * Errors as airlock_session_control(). */
AIRLOCK_API int airlock_session_follow(const char *id_prefix,
				       void (*fn)(const char *json_line, void *userdata),
				       void *userdata, char **ret_error);

/* Answer the running session's "ask" requests from this terminal (in_fd must be one; it is
 * put in raw mode and restored): each is shown as the session's own prompt would (once,
 * session, directory, no). While an approver is attached, requests wait for it instead of
 * being denied. Returns 0 when the session ends or the person presses q, Ctrl-C or Ctrl-D.
 * Errors: -ENOTTY (in_fd is not a terminal), the others as airlock_session_control(). */
AIRLOCK_API int airlock_session_approve(const char *id_prefix, int in_fd, int out_fd,
					char **ret_error);

/* ---- The kernel -------------------------------------------------------------------------- */

/* What this kernel supports and what airlock does about it, for people; *ret_text is malloc'd. */
AIRLOCK_API int airlock_doctor(char **ret_text);

AIRLOCK_API const char *airlock_version(void);

#ifdef __cplusplus
}
#endif
#endif
