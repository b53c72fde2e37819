/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The broker's internals, shared by broker.c (paths) and sockets.c (connect, bind). */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "resolve.h"
#include "supervisor.h"

#define R AIRLOCK_ACCESS_READ
#define W AIRLOCK_ACCESS_WRITE

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
/* Take on the requester's umask and file-system ids in this thread, and drop them again. */
void take_on_identity(pid_t tid, uid_t *ret_uid, gid_t *ret_gid);
void drop_identity(void);
/* openat2 of t's leaf in its directory, never following anything. Returns an fd or -errno. */
int openat2_leaf(const struct target *t, uint64_t flags, uint64_t mode);

/* sockets.c */
void do_socket(struct call *c);
