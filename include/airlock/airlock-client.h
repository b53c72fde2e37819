/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * airlock client SDK: what a program running inside an airlock session uses to ask the
 * supervisor for access at runtime. Tiny and dependency-free (libc and pthreads).
 *
 * Session: the supervisor hands every process of the session one inherited socket, its fd number
 * in the environment variable AIRLOCK_SOCKET_FD. That fd is deliberately not close-on-exec: it
 * must stay open across exec for the programs a session runs to reach the supervisor. The SDK
 * never closes it and never changes its flags; a program that closes it (or execs with it
 * closed) leaves the session's SDK channel for itself and its descendants. The variable is read
 * with secure_getenv(), so a setuid program ignores it.
 *
 * Connections: on first use each process makes its own private connection to the supervisor
 * (and, after fork(), the child makes a new one on its first call: a connection belongs to the
 * process that made it). Calls are thread-safe; they are synchronous and serialised per process:
 * one request at a time, and a request the supervisor parks for a person to approve holds up the
 * other threads' requests until it is answered.
 *
 * Errors: every function returns a negative errno on failure. Common to all:
 *   -ENOTCONN    not in a session: AIRLOCK_SOCKET_FD unset, not a decimal number, or not an open
 *                AF_UNIX SOCK_SEQPACKET socket;
 *   -ECONNRESET, -EPIPE  the supervisor is gone (never SIGPIPE);
 *   -EBADMSG, -EPROTO    the supervisor's reply was malformed (the connection is dropped and the
 *                next call makes a new one);
 *   -EINVAL      an argument is invalid (NULL, bad access bits, bad token text);
 *   anything else  the supervisor's answer (EACCES, ENOENT, ...), or -ENOMEM/-EMFILE locally.
 * airlock_client_strerror() turns any of them into text.
 *
 * Pointers passed in are borrowed for the duration of the call; nothing is retained.
 */
#ifndef AIRLOCK_AIRLOCK_CLIENT_H
#define AIRLOCK_AIRLOCK_CLIENT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(AIRLOCK_BUILDING_CLIENT)
#define AIRLOCK_CLIENT_API __attribute__((visibility("default")))
#else
#define AIRLOCK_CLIENT_API
#endif

/* Access bits for airlock_client_query(); the same values as AIRLOCK_ACCESS_*. */
#define AIRLOCK_CLIENT_READ 1u
#define AIRLOCK_CLIENT_WRITE 2u
#define AIRLOCK_CLIENT_EXEC 4u

/* Answers of airlock_client_query(). */
enum {
	AIRLOCK_CLIENT_ALLOWED = 0, /* the access would be allowed now */
	AIRLOCK_CLIENT_DENIED = 1,  /* it would be denied */
	AIRLOCK_CLIENT_ASK = 2,     /* it would be put to a person */
};

/* 1 if this process is in an airlock session (AIRLOCK_SOCKET_FD names an open AF_UNIX
 * SOCK_SEQPACKET socket), 0 if not. Does not contact the supervisor. */
AIRLOCK_CLIENT_API int airlock_client_available(void);

/* Ask the supervisor to open path with open(2)'s flags and mode (mode is used with O_CREAT or
 * O_TMPFILE; only its 07777 bits are sent). A relative path is resolved against this process's
 * current directory (getcwd) before it is sent. May block while a person decides.
 * Returns a new fd, which the caller owns and closes; it is close-on-exec only if flags held
 * O_CLOEXEC. Or -errno: the supervisor's refusal (-EACCES, -ENOENT, ...), -ENAMETOOLONG (the
 * absolute path is 4096 bytes or more), -ENOENT (empty path), or a common error above. */
AIRLOCK_CLIENT_API int airlock_client_open(const char *path, int flags, mode_t mode);

/* Redeem a grant token (text handed out by the person or host running the session: printable
 * ASCII, 1 to 255 characters). Returns 0 once the access it names is granted, or -errno
 * (-EINVAL for text that cannot be a token, the supervisor's refusal, a common error). */
AIRLOCK_CLIENT_API int airlock_client_redeem(const char *token);

/* What would happen to access (AIRLOCK_CLIENT_READ|WRITE|EXEC, non-zero) on path, without doing
 * it and without asking anyone. Relative paths as in airlock_client_open().
 * Returns AIRLOCK_CLIENT_ALLOWED, _DENIED or _ASK, or -errno. */
AIRLOCK_CLIENT_API int airlock_client_query(const char *path, unsigned access);

/* Text for a negative errno returned by this SDK: for -ENOTCONN, "not in an airlock session
 * (AIRLOCK_SOCKET_FD is not set)"; if err is the code of this thread's last failure and the
 * supervisor explained it, the supervisor's message; otherwise strerror's text. The string is
 * borrowed: valid until this thread's next call into the SDK. Never NULL. */
AIRLOCK_CLIENT_API const char *airlock_client_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
