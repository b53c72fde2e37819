/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SDK channel's server (docs/protocol.md). The shared socket only accepts CONNECTs; each
 * client process then has a private connection served by its own thread, so a request that
 * waits for a person holds up nobody else. Everything a client sends is hostile: a message that
 * does not decode costs the client its connection, never the supervisor an fd or its health.
 */
#include "sdk.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "approver.h"
#include "broker.h"
#include "cleanup.h"
#include "grants.h"
#include "proto.h"
#include "resolve.h"
#include "token.h"
#include "util.h"

struct sdk_conn {
	struct sdk_server *srv;
	int fd;
	pid_t pid;     /* who made the connection (SO_PEERCRED at CONNECT) */
	uid_t uid;
	gid_t gid;
	pthread_t thread;
	atomic_bool done;
};

struct sdk_server {
	struct supervisor *s;
	int sock;
	pthread_t acceptor;
	bool started;
	struct sdk_conn *conns[SDK_MAX_CONNS];
	atomic_ulong n_refused; /* connections refused at the cap, malformed messages */
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* What a person would be asked: the same approvers as for trapped calls, on this thread. */
static int sdk_ask(struct sdk_conn *k, const char *op, const char *path, uint32_t access,
		   char *msg, size_t msgsz)
{
	struct supervisor *s = k->srv->s;
	struct approval_answer ans;
	struct approval_request rq = {
		.pid = k->pid, .cmdline = "", .operation = op, .path = path, .access = access,
		.session = s->session,
	};
	if (!supervisor_consult(s, &rq, &ans)) {
		snprintf(msg, msgsz, "%s needs approval and no approver is set", path);
		return -EACCES;
	}
	if (!ans.allow) {
		snprintf(msg, msgsz, "the approver said no%s%s", ans.reason[0] ? ": " : "", ans.reason);
		return -EACCES;
	}
	if (ans.scope == GRANT_SESSION) {
		int r = grant_add(s->grants, ans.path, ans.subtree, access, GRANT_SESSION,
				  ans.ttl_s * UINT64_C(1000000000), "approver", NULL);
		if (r < 0) {
			snprintf(msg, msgsz, "grant table: %s", strerror(-r));
			return -EACCES;
		}
	}
	return 0;
}

/* Would the supervisor allow access to t? 0 (allowed), -EACCES (denied; msg says why), or 1
 * (an approver must be asked). */
static int sdk_judge(struct sdk_conn *k, const struct target *t, uint32_t access, const char **by,
		     char *msg, size_t msgsz)
{
	struct supervisor *s = k->srv->s;
	enum verdict v = supervisor_decide(s, t->path, access, false, by);
	if (t->exists && v != VERDICT_DENY && supervisor_denied_inode(s, &t->st, access)) {
		*by = "deny-inode";
		v = VERDICT_DENY;
	}
	/* A root-run sandbox keeps CAP_SETUID: a client that changed identity is not served. */
	if (v != VERDICT_DENY && geteuid() == 0 && (k->uid != geteuid() || k->gid != getegid())) {
		*by = "identity";
		v = VERDICT_DENY;
	}
	switch (v) {
	case VERDICT_DENY:
		snprintf(msg, msgsz, "denied by %s", *by);
		return -EACCES;
	case VERDICT_ASK:
		return 1;
	default:
		return 0;
	}
}

static uint32_t open_access(uint64_t flags, bool exists)
{
	uint32_t a = (flags & O_ACCMODE) == O_RDONLY ? R : (flags & O_ACCMODE) == O_WRONLY ? W : R | W;
	if (flags & O_TRUNC)
		a |= W;
	if (!exists)
		a |= W;
	return a;
}

static int sdk_open(struct sdk_conn *k, const struct proto_msg *m, int *ret_fd, char *msg, size_t msgsz)
{
	struct supervisor *s = k->srv->s;
	uint64_t flags = m->flags & OPEN_KNOWN_FLAGS;
	uint64_t start = now_us();
	const char *by = "error";
	struct target t = { .dir = -EBADF };
	int r;

	if ((flags & O_PATH) || (flags & O_TMPFILE) == O_TMPFILE) {
		snprintf(msg, msgsz, "O_PATH and O_TMPFILE opens are not served over the SDK");
		return -EINVAL;
	}
	uint64_t mode = (flags & O_CREAT) ? (m->mode & 07777 & ~(uint32_t)(S_ISUID | S_ISGID)) : 0;
	size_t plen = strlen(m->path);
	if ((flags & O_CREAT) && m->path[plen - 1] == '/')
		return -EISDIR;
	bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
	r = resolve_target(s->root_fd, m->path, follow, &t);
	if (r == RESOLVE_PROC) {
		snprintf(msg, msgsz, "paths through /proc are not served over the SDK");
		r = -EACCES;
		goto out;
	}
	if (r < 0)
		goto out;
	if (t.exists && S_ISLNK(t.st.st_mode)) {
		r = (flags & O_CREAT) && (flags & O_EXCL) ? -EEXIST : -ELOOP;
		goto out;
	}
	if (!t.exists && !(flags & O_CREAT)) {
		r = -ENOENT;
		goto out;
	}
	if (t.exists && (flags & O_CREAT) && (flags & O_EXCL)) {
		r = -EEXIST;
		goto out;
	}
	uint32_t access = open_access(flags, t.exists);
	r = sdk_judge(k, &t, access, &by, msg, msgsz);
	if (r == 1) {
		by = "approver";
		r = sdk_ask(k, "open", t.path, access, msg, msgsz);
	}
	if (r < 0)
		goto out;
	const char *refused = NULL;
	int fd = broker_open_target(s, &t, flags, mode, access, k->pid, k->uid, &refused);
	if (fd < 0) {
		r = fd;
		if (refused) {
			by = refused;
			snprintf(msg, msgsz, "refused: %s", refused);
		}
		goto out;
	}
	*ret_fd = fd;
	r = 0;
out:
	if (t.path[0])
		supervisor_audit(s, k->pid, "sdk-open", t.path, open_access(flags, t.exists), r == 0, by,
				 r < 0 ? -r : 0, now_us() - start);
	target_done(&t);
	return r;
}

static int sdk_query(struct sdk_conn *k, const struct proto_msg *m, uint32_t *ret_value, char *msg,
		     size_t msgsz)
{
	struct target t = { .dir = -EBADF };
	const char *by;
	int r = resolve_target(k->srv->s->root_fd, m->path, true, &t);
	if (r == RESOLVE_PROC)
		r = -EACCES;
	if (r < 0) {
		target_done(&t);
		return r;
	}
	r = sdk_judge(k, &t, m->access, &by, msg, msgsz);
	*ret_value = r == 0 ? PROTO_QUERY_ALLOWED : r == 1 ? PROTO_QUERY_ASK : PROTO_QUERY_DENIED;
	target_done(&t);
	return 0;
}

static int sdk_redeem(struct sdk_conn *k, const struct proto_msg *m, uint32_t *ret_value, char *msg,
		      size_t msgsz)
{
	struct supervisor *s = k->srv->s;
	struct token_info info;
	char shown[TOKEN_REDACTED_SIZE];
	uint64_t start = now_us();

	token_redact(m->token, shown);
	int r = token_redeem(s->tokens, m->token, 0, &info);
	if (r < 0) {
		const char *why = r == -EKEYREVOKED ? "it was revoked" :
				  r == -EKEYEXPIRED ? "it has expired" :
				  r == -EUSERS	  ? "it was used up" :
				  r == -EINVAL	  ? "it is not a token" :
						    "it is not a token of this session";
		snprintf(msg, msgsz, "token %s: %s", shown, why);
		supervisor_audit(s, k->pid, "redeem", shown, 0, false, "token", EACCES, now_us() - start);
		return -EACCES;
	}
	/* Bound to the object: the file it was minted for, not whatever has its name now. */
	struct target t = { .dir = -EBADF };
	r = resolve_target(s->root_fd, info.path, false, &t);
	if (r != 0 || !t.exists || t.st.st_dev != info.dev || t.st.st_ino != info.ino) {
		target_done(&t);
		snprintf(msg, msgsz, "token %s: %s is no longer the file it was minted for", shown,
			 info.path);
		supervisor_audit(s, k->pid, "redeem", info.path, info.access, false, "token", EACCES,
				 now_us() - start);
		return -EACCES;
	}
	bool dir = S_ISDIR(t.st.st_mode);
	target_done(&t);
	uint64_t ttl = 0;
	if (info.expires_ns) {
		uint64_t now = grant_now_ns();
		ttl = info.expires_ns > now ? info.expires_ns - now : 1;
	}
	r = grant_add(s->grants, info.path, dir, info.access, GRANT_SESSION, ttl, "token", NULL);
	if (r < 0) {
		snprintf(msg, msgsz, "grant table: %s", strerror(-r));
		return r == -ENOSPC ? -ENOSPC : -EACCES;
	}
	supervisor_audit(s, k->pid, "redeem", info.path, info.access, true, "token", 0, now_us() - start);
	snprintf(msg, msgsz, "%s", info.path);
	*ret_value = info.access;
	return 0;
}

static void *conn_main(void *arg)
{
	struct sdk_conn *k = arg;
	struct supervisor *s = k->srv->s;
	_cleanup_free_ char *buf = malloc(PROTO_MAX_MSG);

	/* Its own fs context: creating a file takes on the requester's umask. */
	unshare(CLONE_FS);
	while (buf && !atomic_load(&s->stopping)) {
		if (poll_or_cancel(k->fd, POLLIN, s->cancel_fd, -1) < 0)
			break;
		struct proto_msg m;
		int r = proto_recv(k->fd, buf, PROTO_MAX_MSG, &m, NULL, MSG_DONTWAIT);
		if (r == -EAGAIN)
			continue;
		if (r < 0 || (m.type != PROTO_OPEN && m.type != PROTO_REDEEM && m.type != PROTO_QUERY)) {
			if (r != -ECONNRESET)
				atomic_fetch_add(&k->srv->n_refused, 1);
			break; /* a malformed message costs the sender its connection */
		}
		char msg[PATH_MAX + 256] = "";
		uint32_t value = 0;
		int fd = -EBADF;
		switch (m.type) {
		case PROTO_OPEN: r = sdk_open(k, &m, &fd, msg, sizeof(msg)); break;
		case PROTO_QUERY: r = sdk_query(k, &m, &value, msg, sizeof(msg)); break;
		default: r = sdk_redeem(k, &m, &value, msg, sizeof(msg)); break;
		}
		/* The reply's message is UTF-8 by contract: paths that are not go unnamed. */
		if (!utf8_valid(msg))
			snprintf(msg, sizeof(msg), "%s", r < 0 ? strerror(-r) : "ok");
		struct proto_msg reply = {
			.type = PROTO_RESULT, .id = m.id, .error = r < 0 ? -r : 0, .value = value,
			.message = msg[0] ? msg : NULL,
		};
		r = proto_send(k->fd, &reply, fd);
		safe_close(fd);
		if (r < 0)
			break; /* a client that does not read its replies loses its connection */
	}
	k->fd = safe_close(k->fd);
	atomic_store(&k->done, true);
	return NULL;
}

/* Join connections whose thread ended, freeing their slots. */
static void reap(struct sdk_server *srv, bool all)
{
	for (size_t i = 0; i < SDK_MAX_CONNS; i++) {
		struct sdk_conn *k = srv->conns[i];
		if (!k || (!all && !atomic_load(&k->done)))
			continue;
		pthread_join(k->thread, NULL);
		free(k);
		srv->conns[i] = NULL;
	}
}

static void accept_one(struct sdk_server *srv, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t slot = SDK_MAX_CONNS;

	reap(srv, false);
	for (size_t i = 0; i < SDK_MAX_CONNS && slot == SDK_MAX_CONNS; i++)
		if (!srv->conns[i])
			slot = i;
	if (slot == SDK_MAX_CONNS || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		atomic_fetch_add(&srv->n_refused, 1);
		close(fd);
		return;
	}
	struct sdk_conn *k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return;
	}
	*k = (struct sdk_conn){ .srv = srv, .fd = fd, .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	if (pthread_create(&k->thread, NULL, conn_main, k) != 0) {
		close(fd);
		free(k);
		return;
	}
	srv->conns[slot] = k;
}

static void *acceptor_main(void *arg)
{
	struct sdk_server *srv = arg;
	struct supervisor *s = srv->s;
	char buf[PROTO_HEADER_SIZE + 64];

	while (!atomic_load(&s->stopping)) {
		int ev = poll_or_cancel(srv->sock, POLLIN, s->cancel_fd, -1);
		if (ev < 0)
			break;
		if (ev & (POLLHUP | POLLERR) && !(ev & POLLIN))
			break; /* every process of the session is gone */
		struct proto_msg m;
		int fd = -EBADF;
		int r = proto_recv(srv->sock, buf, sizeof(buf), &m, &fd, MSG_DONTWAIT);
		if (r == -EAGAIN)
			continue;
		if (r == -ECONNRESET)
			break;
		if (r < 0 || m.type != PROTO_CONNECT) {
			/* The shared socket stays: a bad message here only loses itself. */
			safe_close(fd);
			atomic_fetch_add(&srv->n_refused, 1);
			continue;
		}
		accept_one(srv, fd);
	}
	return NULL;
}

int sdk_server_start(struct supervisor *s, int sock, struct sdk_server **ret)
{
	struct sdk_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->s = s;
	srv->sock = sock;
	int r = -pthread_create(&srv->acceptor, NULL, acceptor_main, srv);
	if (r < 0) {
		free(srv);
		return r;
	}
	srv->started = true;
	*ret = srv;
	return 0;
}

struct sdk_server *sdk_server_stop(struct sdk_server *srv)
{
	if (!srv)
		return NULL;
	/* The supervisor's cancel eventfd is readable by now: every thread sees it and ends. */
	if (srv->started)
		pthread_join(srv->acceptor, NULL);
	reap(srv, true);
	safe_close(srv->sock);
	free(srv);
	return NULL;
}

unsigned long sdk_server_refused(const struct sdk_server *srv)
{
	return srv ? atomic_load(&srv->n_refused) : 0;
}
