/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * connect() and bind(), trapped when Unix sockets are mediated (filter.c "socket_calls"): the
 * supervisor performs them on the requester's own socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "broker.h"
#include "cleanup.h"
#include "notify.h"


/* The requester's socket, as our own fd (the same open file description). */
static int get_socket(pid_t tid, int fd)
{
	/* PIDFD_THREAD (O_EXCL, 6.9): the thread's own fd table, even after unshare(FILES). */
	int pidfd = (int)syscall(SYS_pidfd_open, tid, O_EXCL);
	if (pidfd < 0)
		pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pidfd < 0)
		return -errno;
	int sfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int e = errno;
	close(pidfd);
	return sfd < 0 ? -e : sfd;
}

/*
 * Connects happen on threads of their own, never on a worker: a connect may block as long as
 * the peer likes (a full backlog, a black-holed address), and the requester's socket mode is
 * its own to change at any time, so even a "non-blocking" one may block. Each thread holds
 * what it needs (a dup of the listener, the socket, the address) and nothing of the
 * supervisor but a counted reference to the pool, so the session may end while it waits.
 */
struct connect_pool {
	atomic_int refs;
	atomic_int active;
};

int connect_pool_new(struct connect_pool **ret)
{
	struct connect_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	*ret = p;
	return 0;
}

void connect_pool_unref(struct connect_pool *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		free(p);
}

struct pending_connect {
	struct connect_pool *pool;
	int listener;
	uint64_t id;
	int sfd;
	int keep; /* an fd the address names (/proc/self/fd/N), closed when done */
	struct sockaddr_storage addr;
	socklen_t len;
};

/* How long one wait of a blocking Unix connect lasts before we check the request again. */
#define CONNECT_SLICE_US 250000

/*
 * connect(), for the requester. A blocking connect to a Unix socket whose listener does not
 * accept waits for as long as the listener pleases, even after the requester and its session
 * are gone (the thread holds a reference to the socket, not the requester). So it waits in
 * slices: the socket's send timeout (SO_SNDTIMEO, which bounds a Unix connect) is set to one
 * slice, and between slices the request must still pend. The requester's own send timeout is
 * honoured (EAGAIN once it has passed, as its connect would say) and restored afterwards.
 * Non-blocking sockets and other families go straight through (a TCP connect is bounded by
 * the kernel's retries). Returns 0 or -errno.
 */
static int connect_for(const struct pending_connect *p)
{
	const struct sockaddr *sa = (const struct sockaddr *)&p->addr;
	struct timeval own = { 0 };
	socklen_t ol = sizeof(own);
	int fl = fcntl(p->sfd, F_GETFL);
	bool sliced = p->addr.ss_family == AF_UNIX && fl >= 0 && !(fl & O_NONBLOCK) &&
		      getsockopt(p->sfd, SOL_SOCKET, SO_SNDTIMEO, &own, &ol) == 0;
	uint64_t own_us = (uint64_t)own.tv_sec * 1000000 + (uint64_t)own.tv_usec, waited = 0;
	uint64_t slice = own_us && own_us < CONNECT_SLICE_US ? own_us : CONNECT_SLICE_US;
	struct timeval tv = { (time_t)(slice / 1000000), (suseconds_t)(slice % 1000000) };
	sliced = sliced && setsockopt(p->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
	int r;
	for (;;) {
		r = connect(p->sfd, sa, p->len) < 0 ? -errno : 0;
		if (!sliced || r != -EAGAIN)
			break;
		waited += slice;
		if ((own_us && waited >= own_us) || notify_id_valid(p->listener, p->id) < 0)
			break;
	}
	if (sliced)
		(void)setsockopt(p->sfd, SOL_SOCKET, SO_SNDTIMEO, &own, sizeof(own));
	return r;
}

static void *connect_main(void *arg)
{
	struct pending_connect *p = arg;
	pthread_setname_np(pthread_self(), "airlock-connect"); /* in /proc: see test-api */
	int r = connect_for(p);
	if (r < 0)
		notify_fail(p->listener, p->id, -r);
	else
		notify_return(p->listener, p->id, 0);
	close(p->sfd);
	close(p->listener);
	safe_close(p->keep);
	atomic_fetch_sub(&p->pool->active, 1);
	connect_pool_unref(p->pool);
	free(p);
	return NULL;
}

/* Connect the requester's socket sfd (taken) as its own connect() would, on a thread of its
 * own. keep (taken, may be -1) is an fd the address refers to, kept open until then. */
static void perform_connect(struct call *c, int sfd, const struct sockaddr *sa, socklen_t len,
			    int keep)
{
	struct connect_pool *pool = c->s->connects;
	struct pending_connect *p = calloc(1, sizeof(*p));
	int listener = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	pthread_t t;
	pthread_attr_t at;

	if (!p || listener < 0 || atomic_fetch_add(&pool->active, 1) >= SUPERVISOR_MAX_PENDING) {
		if (p && listener >= 0)
			atomic_fetch_sub(&pool->active, 1);
		free(p);
		safe_close(listener);
		close(sfd);
		safe_close(keep);
		return answer_error(c, EAGAIN); /* overload denies */
	}
	atomic_fetch_add(&pool->refs, 1);
	*p = (struct pending_connect){ .pool = pool, .listener = listener, .id = c->req->id,
				       .sfd = sfd, .keep = keep, .len = len };
	memcpy(&p->addr, sa, len);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	if (pthread_create(&t, &at, connect_main, p) != 0) {
		close(p->sfd);
		close(p->listener);
		safe_close(p->keep);
		atomic_fetch_sub(&pool->active, 1);
		connect_pool_unref(pool);
		free(p);
		answer_error(c, EAGAIN);
	}
	pthread_attr_destroy(&at);
}

/*
 * connect/bind, trapped when Unix sockets are mediated. The supervisor performs the call on the
 * requester's own socket (pidfd_getfd) with the address it read once: AF_UNIX pathnames by
 * policy, resolved like any path and reached through the resolved directory (never the string
 * again); abstract names refused (Landlock's scope would refuse those outside the sandbox, and
 * our connect would not be scoped); TCP only when the network is on (our connect would not be
 * checked by Landlock's TCP rules). Test: tests/e2e/test-supervisor.c (unix_sockets_by_policy).
 */
void do_socket(struct call *c)
{
	const struct seccomp_notif *req = c->req;
	struct sockaddr_storage ss;
	uint32_t len = (uint32_t)req->data.args[2];
	_cleanup_close_ int sfd = -EBADF;

	if (len > sizeof(ss) || len < sizeof(sa_family_t))
		return answer_error(c, EINVAL);
	memset(&ss, 0, sizeof(ss));
	if (mem_read(c->tid, req->data.args[1], &ss, len) < 0)
		return answer_error(c, EFAULT);
	sfd = get_socket(c->tid, arg_int(req, 0));
	if (sfd < 0)
		return answer_error(c, sfd == -EBADF ? EBADF : EACCES);
	if (notify_id_valid(c->fd, req->id) < 0)
		return;
	int domain;
	socklen_t dl = sizeof(domain);
	if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0)
		return answer_error(c, errno == ENOTSOCK ? ENOTSOCK : EBADF);

	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	if (domain == AF_INET || domain == AF_INET6) {
		if (!c->s->policy->network)
			return deny(c, "(network)", W, "rule", EACCES);
		if (c->kind == OP_BIND)
			return bind(sfd, sa, len) < 0 ? answer_error(c, errno) : (void)notify_return(c->fd, req->id, 0);
		return perform_connect(c, TAKE_FD(sfd), sa, len, -1);
	}
	if (domain != AF_UNIX || ss.ss_family != AF_UNIX)
		return answer_error(c, domain == AF_UNIX ? EINVAL : EACCES);

	/* The kernel refuses longer Unix addresses (EINVAL): so do we, before copying. */
	if (len > sizeof(struct sockaddr_un))
		return answer_error(c, EINVAL);
	const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
	size_t plen = len - offsetof(struct sockaddr_un, sun_path);
	if (len <= offsetof(struct sockaddr_un, sun_path) || un->sun_path[0] == '\0') {
		/* Unnamed (autobind) or abstract: a bind is harmless, a connect is refused. */
		if (c->kind == OP_BIND)
			return bind(sfd, sa, len) < 0 ? answer_error(c, errno) : (void)notify_return(c->fd, req->id, 0);
		return deny(c, "(abstract unix socket)", W, "rule", EPERM);
	}
	char path[sizeof(un->sun_path) + 1];
	if (plen > sizeof(un->sun_path))
		return answer_error(c, EINVAL);
	memcpy(path, un->sun_path, plen);
	path[plen] = '\0';

	_cleanup_close_ int base = -EBADF;
	struct target t = { .dir = -EBADF };
	int r = resolve_base(c->tid, AT_FDCWD, path, &base);
	if (r == 0)
		r = resolve_target(base, path, c->kind == OP_CONNECT, &t);
	if (r != 0) {
		target_done(&t);
		return answer_error(c, r == RESOLVE_PROC ? EACCES : -r);
	}
	if (c->kind == OP_CONNECT && (!t.exists || !S_ISSOCK(t.st.st_mode))) {
		target_done(&t);
		return answer_error(c, t.exists ? ECONNREFUSED : ENOENT);
	}
	if (c->kind == OP_BIND && t.exists) {
		target_done(&t);
		return answer_error(c, EADDRINUSE);
	}
	const char *by;
	if (judge(c, &t, W, false, &by) != VERDICT_PERFORM) {
		target_done(&t);
		return;
	}
	/* Reach the object we judged, never its name again: a connect goes through an O_PATH fd
	 * of the socket file, checked to be the same inode (a symlink swapped in after the
	 * check is not followed, a different socket is refused); a bind creates the name in the
	 * directory we resolved (bind never follows or replaces what is there). */
	struct sockaddr_un via = { .sun_family = AF_UNIX };
	_cleanup_close_ int obj = -EBADF;
	if (c->kind == OP_CONNECT) {
		struct stat st;
		obj = openat2_leaf(&t, O_PATH, 0);
		if (obj < 0 || fstat(obj, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    st.st_dev != t.st.st_dev || st.st_ino != t.st.st_ino) {
			target_done(&t);
			return deny(c, t.path, W, "changed", EACCES);
		}
		snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d", obj);
	} else if (snprintf(via.sun_path, sizeof(via.sun_path), "/proc/self/fd/%d/%s", t.dir,
			    t.leaf) >= (int)sizeof(via.sun_path)) {
		target_done(&t);
		return answer_error(c, ENAMETOOLONG);
	}
	if (c->kind == OP_CONNECT) {
		performed(c, t.path, W, by);
		target_done(&t);
		return perform_connect(c, TAKE_FD(sfd), (struct sockaddr *)&via, sizeof(via), TAKE_FD(obj));
	}
	uid_t uid;
	gid_t gid;
	take_on_identity(c->tid, &uid, &gid);
	r = bind(sfd, (struct sockaddr *)&via, sizeof(via));
	int e = errno;
	drop_identity();
	if (r < 0)
		answer_error(c, e);
	else if (notify_return(c->fd, req->id, 0) == 0)
		performed(c, t.path, W, by);
	target_done(&t);
}

