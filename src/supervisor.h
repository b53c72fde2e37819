/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor: worker threads that answer the sandbox's seccomp notifications. For each
 * trapped call it resolves the object, then: the Landlock floor grants it -> CONTINUE (the
 * kernel checks again, on whatever the memory says by then); the policy or a grant allows it ->
 * the supervisor performs the call itself on the resolved object and hands back the result;
 * an "ask" rule -> the approver decides (off the worker, so nothing else waits); otherwise the
 * call fails with EACCES.
 */
#pragma once

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "airlock/airlock.h"
#include "policy.h"

#define SUPERVISOR_WORKERS 2
#define SUPERVISOR_MAX_PENDING 64 /* requests waiting for an approver; beyond: denied */

struct grant_table;
struct token_table;
struct sdk_server;
struct approval_request;
struct approval_answer;
struct audit;
struct connect_pool;

/* sockets.c: the threads that perform connects (they may outlive the supervisor). */
int connect_pool_new(struct connect_pool **ret);
void connect_pool_unref(struct connect_pool *pool);

#define SUPERVISOR_MAX_DENIALS 1000

struct denial {
	char *path;
	uint32_t access;
	char by[16];
};

struct deny_inode {
	dev_t dev;
	ino_t ino;
	uint32_t access; /* the access bits deny rules withhold from it */
};

/* A request waiting for the person at the terminal (the relay answers it: ttyapprove.c). */
struct tty_item {
	uint64_t id;
	pid_t pid;
	char op[16];
	char path[PATH_MAX];
	char cmdline[1024];
	char comm[32];
	char rule_group[64];         /* of the rule that asks, "" if none */
	uint32_t access;
	bool taken, done;
	bool host;                   /* given to the host's approver callback */
	uint64_t group;              /* counted into the prompt of item <group> ("and N more") */
	struct approval_answer *ans; /* the waiting thread's */
	struct tty_item *next;
};

#define TTY_MAX_PENDING 16 /* requests waiting for the person; beyond: denied, said once */

struct tty_approver {
	bool ready;          /* lock, cond, wake_fd and tag are set up (supervisor_init) */
	bool terminal;       /* the relay prompts on the real terminal */
	atomic_uint remote;  /* `airlock approve` clients attached through the control channel */
	int wake_fd;         /* eventfd the relay polls: a request was queued */
	char tag[5];         /* marks prompts as airlock's; the sandbox never sees it */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tty_item *head;
	unsigned n;
	bool flood_told;
	char *always_file;   /* where "always" answers are saved (NULL: not offered) */
	uint64_t next_id;
	void (*host_fn)(const struct airlock_request *rq, void *userdata); /* the host's approver */
	void *host_data;
};

struct supervisor {
	int listener;
	const struct compiled_policy *policy; /* borrowed from the sandbox */
	struct grant_table *grants;
	struct token_table *tokens;
	struct sdk_server *sdk;               /* the SDK channel, when the session has one */
	struct audit *audit;                  /* NULL: no audit trail */
	char *approve_cmd;                    /* NULL: "ask" means deny */
	struct tty_approver tty;              /* the person at the terminal, when enabled */
	unsigned approve_timeout_ms;
	char session[33];
	bool careful;                         /* a denied object has another name (hardlink, bind
					       * mount) where the floor reaches: opens are never
					       * continued, always checked on the object */
	char **alias_from, **alias_to;        /* rule paths as written -> as resolved (/bin ->
					       * /usr/bin), for the lexical fast path */
	struct deny_inode *deny_inodes;       /* sorted, for bsearch */
	size_t n_deny_inodes;
	pthread_t workers[SUPERVISOR_WORKERS];
	unsigned n_workers;
	atomic_int pending;                   /* approvals in flight */
	int cancel_fd;                        /* eventfd: readable once the session ends */
	int root_fd;                          /* O_PATH of "/": the sandbox's root is ours */
	struct connect_pool *connects;
	atomic_bool stopping;
	pthread_mutex_t lock;                 /* for the notices below */
	char **told;                          /* paths the user was already told about */
	struct denial *denials;               /* what was denied, for the exit report */
	size_t n_denials;
	airlock_log_fn log;
	void *log_userdata;
	/* counters, for --verbose and tests */
	atomic_ulong n_continued, n_brokered, n_denied, n_asked;
};

/* Set up (no threads yet): grant table, deny-inode set from the policy's deny rules. */
int supervisor_init(struct supervisor *s, const struct compiled_policy *policy, airlock_log_fn log,
		    void *log_userdata);
/* Take ownership of listener and start the workers. */
int supervisor_start(struct supervisor *s, int listener);
/* After the sandbox is gone: wait for the workers (they stop at POLLHUP), answer nothing more. */
void supervisor_stop(struct supervisor *s);
void supervisor_done(struct supervisor *s);

/* An approval being answered: what the approver allowed for this one request. */
struct approval {
	const char *path;  /* the object the approver was asked about */
	uint32_t access;
	bool once;         /* not in the grant table: good for this request only */
};

/* broker.c: handle one notification (the worker's buffer). asks: how many approvals it may
 * still start (a rename may need one for each end); 0 means an "ask" is a deny. approved: the
 * approval this request was re-handled for, or NULL. */
struct seccomp_notif;
void broker_handle(struct supervisor *s, const struct seccomp_notif *req, int asks,
		   const struct approval *approved);

/* supervisor.c, for broker.c */
enum verdict {
	VERDICT_CONTINUE, /* the floor decides */
	VERDICT_PERFORM,  /* allowed beyond the floor: the supervisor performs it */
	VERDICT_DENY,
	VERDICT_ASK,      /* an approver must decide first */
};
enum verdict supervisor_decide(struct supervisor *s, const char *path, uint32_t access,
			       bool floor_ok, const char **ret_by);
/* Start an approval for req (copied); the approval thread answers it. Returns false when it
 * could not be started (overload, no approver): the caller denies. */
bool supervisor_ask(struct supervisor *s, const struct seccomp_notif *req, int asks,
		    const char *op, const char *path, uint32_t access);
/* Ask the person at the terminal (the relay shows the prompt; ttyapprove.c) for "ask"
 * decisions: s->tty.tag is printed at start so that prompts can be told from imitations.
 * always_file: where "always" answers are saved (NULL: the choice is not offered). */
int supervisor_enable_prompt(struct supervisor *s, const char *always_file);
/* Does anybody answer the queue (the terminal, or an attached `airlock approve`)? */
bool supervisor_queue_answered(struct supervisor *s);
/* The host's answer to item id (AIRLOCK_ANSWER_*): 0 or -ENOENT. */
int supervisor_host_answer(struct supervisor *s, uint64_t id, int answer);
/* An item taken but not answered (its answerer went away): back to the queue. */
void supervisor_prompt_release(struct supervisor *s, struct tty_item *it);
/* Relay side: take the next request nobody is answering yet (NULL: none); *ret_more counts
 * the other waiting requests that a directory answer would also settle: same operation, in the
 * same directory (not deeper), asking for no more access than the one shown. Only those (not
 * what arrives later) get the directory answer. */
struct tty_item *supervisor_prompt_next(struct supervisor *s, unsigned *ret_more);
/* Relay side: answer it (and, for a directory answer, its waiting siblings: dir != NULL). */
void supervisor_prompt_answer(struct supervisor *s, struct tty_item *it,
			      const struct approval_answer *ans, const char *dir);

/* Ask whoever answers "ask" (the approver command) about rq, on this thread; returns false
 * (and a deny in *ans) when there is nobody to ask. */
bool supervisor_consult(struct supervisor *s, const struct approval_request *rq,
			struct approval_answer *ans);
/* Does a deny rule withhold any of access from this object, whatever its name? */
bool supervisor_denied_inode(const struct supervisor *s, const struct stat *st, uint32_t access);
void supervisor_audit(struct supervisor *s, pid_t pid, const char *op, const char *path,
		      uint32_t access, bool allowed, const char *by, int err, uint64_t latency_us);
/* The same with a reason (the approver's, or why none answered; NULL for none). */
void supervisor_audit_why(struct supervisor *s, pid_t pid, const char *op, const char *path,
			  uint32_t access, bool allowed, const char *by, const char *reason, int err,
			  uint64_t latency_us);
/* The exit report: what was denied beyond the floor, with the flag that would allow each,
 * as text for people and as JSON. Both malloc'd (NULL when nothing was denied). */
int supervisor_report(struct supervisor *s, char **ret_text, char **ret_json);

/* Tell the user once per path why something was denied and how to allow it. */
void supervisor_tell_denied(struct supervisor *s, const char *op, const char *path,
			    uint32_t access, const char *by);
