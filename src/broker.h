/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The broker's internals, shared by broker.c (paths) and sockets.c (connect, bind). */
#pragma once

#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"
#include "supervisor.h"

#define R AIRLOCK_ACCESS_READ
#define W AIRLOCK_ACCESS_WRITE

/* The open(2) flags the broker knows how to honour. */
#define OPEN_KNOWN_FLAGS                                                                     \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |  \
	 O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC |    \
	 O_PATH | O_TMPFILE | FASYNC)

enum op_kind {
	OP_OPEN,
	OP_MKDIR,
	OP_MKNOD,
	OP_UNLINK,
	OP_RENAME,
	OP_LINK,
	OP_SYMLINK,
	OP_TRUNCATE,
	OP_CHMOD,
	OP_CHOWN,
	OP_UTIMENS,
	OP_SETXATTR,
	OP_RMXATTR,
	OP_CONNECT,
	OP_BIND,
};

struct call {
	struct supervisor *s;
	const struct seccomp_notif *req;
	int fd; /* the listener */
	pid_t tid;
	enum op_kind kind;
	const char *name;
	int asks;
	const struct approval *approved;
	struct timespec start;
};

/* The kernel's int argument i: its low 32 bits. */
int arg_int(const struct seccomp_notif *req, int i);
void answer_continue(struct call *c);
void answer_error(struct call *c, int err);
/* Refuse: answer err, count, audit, and tell the user once. */
void deny(struct call *c, const char *path, uint32_t access, const char *by, int err);
/* Done beyond the floor: count and audit. */
void performed(struct call *c, const char *path, uint32_t access, const char *by);
/* Decide for a resolved object (see broker.c); landlock: whether the kernel checks the call. */
enum verdict judge(struct call *c, const struct target *t, uint32_t access, bool landlock,
		   const char **by);
#include "identity.h"
/* openat2 of t's leaf in its directory, never following anything. Returns an fd or -errno. */
int openat2_leaf(const struct target *t, uint64_t flags, uint64_t mode);

/* Open t's object for the sandbox with its flags and mode (O_TRUNC applied after the checks):
 * never a device, FIFO or socket; a file it creates gets the requester's (tid) umask and ids
 * (which must be expect_uid unless that is (uid_t)-1);
 * what was opened must still be t's object and not a denied inode. Returns an fd, or -errno;
 * *ret_refused names why ("not-a-file", "changed") when the refusal is a policy decision. */
int broker_open_target(struct supervisor *s, const struct target *t, uint64_t flags, uint64_t mode,
		       uint32_t access, pid_t tid, uid_t expect_uid, const char **ret_refused);

/* sockets.c */
void do_socket(struct call *c);
