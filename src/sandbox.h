/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session: the compiled policy, the kernel objects built from it, and the child it runs. */
#pragma once

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <linux/filter.h>

#include "airlock/airlock.h"
#include "landlock.h"
#include "policy.h"
#include "supervisor.h"

struct airlock_sandbox {
	struct compiled_policy *policy;
	struct ll_abi abi;
	int ruleset_fd;
	struct sock_fprog prog;
	char **envp;
	char tmpdir[PATH_MAX]; /* empty once removed */
	uint32_t flags;
	bool supervised;       /* a seccomp listener and the supervisor (not --static) */
	bool supervisor_ready; /* sup was initialised */
	struct supervisor sup;
	struct control *control; /* the control channel while the command runs */
	void (*event_fn)(const char *json_line, void *userdata); /* the host's audit events */
	void *event_data;
	atomic_int child;        /* the command's pid while it runs, else 0 */
	/* The supervisor's messages, held while a prompt owns the terminal (they would break
	 * it), then passed on in order. */
	pthread_mutex_t log_lock;
	bool log_held;
	char **held;
	unsigned held_dropped;
	char *audit_path;
	bool ran;
	airlock_log_fn log;
	void *log_userdata;
	char errmsg[1024];
};

int sandbox_error(struct airlock_sandbox *sb, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void sandbox_log(const struct airlock_sandbox *sb, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The supervisor's log: to sb->log, or held while sandbox_hold_log(sb, true). */
void sandbox_gated_log(int level, const char *msg, void *userdata);
void sandbox_hold_log(struct airlock_sandbox *sb, bool hold);

int sandbox_new(struct airlock_policy *p, uint32_t flags, struct airlock_sandbox **ret);
struct airlock_sandbox *sandbox_free(struct airlock_sandbox *sb);

/* spawn.c */
int sandbox_run(struct airlock_sandbox *sb, const struct airlock_run_opts *o, int *ret_status);

/* Remove a directory tree without following symlinks (the sandbox wrote into it). */
int rm_rf_at(int dirfd, const char *name);
