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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

struct pending_connect {
	struct supervisor *s;
	uint64_t id;
	int sfd;
	int keep;   /* an fd the address names (/proc/self/fd/N), closed when done */
	bool retry; /* a Unix connect to a full backlog: try again until it fits */
	struct sockaddr_storage addr;
	socklen_t len;
};

/* Connect without blocking on the requester's blocking socket: O_NONBLOCK for our own call
 * only (the requester waits in connect() meanwhile). */
static int connect_once(int sfd, const struct sockaddr *sa, socklen_t len, bool blocking)
{
	int fl = fcntl(sfd, F_GETFL);
	if (blocking && fl >= 0)
		fcntl(sfd, F_SETFL, fl | O_NONBLOCK);
	int r = connect(sfd, sa, len), e = errno;
	if (blocking && fl >= 0)
		fcntl(sfd, F_SETFL, fl);
	return r == 0 ? 0 : -e;
}

/* A blocking connect still under way: wait for it off the workers, or until the session ends. */
static void *connect_main(void *arg)
{
	struct pending_connect *p = arg;
	struct supervisor *s = p->s;
	int err = EINTR;
	for (;;) {
		struct pollfd pf[2] = { { p->sfd, POLLOUT, 0 }, { s->cancel_fd, POLLIN, 0 } };
		int k = poll(p->retry ? pf + 1 : pf, p->retry ? 1 : 2, p->retry ? 20 : -1);
		if (k < 0 && errno == EINTR)
			continue;
		if (pf[1].revents)
			break; /* the session ended */
		if (p->retry) {
			int r = connect_once(p->sfd, (struct sockaddr *)&p->addr, p->len, true);
			if (r == -EAGAIN)
				continue;
			err = -r;
			break;
		}
		if (pf[0].revents) {
			socklen_t l = sizeof(err);
			if (getsockopt(p->sfd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
				err = errno;
			break;
		}
	}
	if (err)
		notify_fail(s->listener, p->id, err);
	else
		notify_return(s->listener, p->id, 0);
	close(p->sfd);
	safe_close(p->keep);
	free(p);
	atomic_fetch_sub(&s->pending, 1);
	return NULL;
}

/* Connect the requester's socket sfd (taken) as a blocking or non-blocking connect() would,
 * never holding a worker: what cannot finish now finishes on a thread of its own. keep (taken,
 * may be -1) is an fd the address refers to, kept open until then. */
static void perform_connect(struct call *c, int sfd, const struct sockaddr *sa, socklen_t len,
			    int keep)
{
	int fl = fcntl(sfd, F_GETFL);
	bool blocking = fl >= 0 && !(fl & O_NONBLOCK);
	int r = connect_once(sfd, sa, len, blocking);
	if (r == 0 || !blocking || (r != -EINPROGRESS && r != -EAGAIN)) {
		close(sfd);
		safe_close(keep);
		if (r == 0)
			notify_return(c->fd, c->req->id, 0);
		else
			answer_error(c, -r);
		return;
	}
	struct pending_connect *p = calloc(1, sizeof(*p));
	pthread_t t;
	pthread_attr_t at;
	if (!p || atomic_fetch_add(&c->s->pending, 1) >= SUPERVISOR_MAX_PENDING) {
		if (p)
			atomic_fetch_sub(&c->s->pending, 1);
		free(p);
		close(sfd);
		safe_close(keep);
		return answer_error(c, EAGAIN);
	}
	*p = (struct pending_connect){ .s = c->s, .id = c->req->id, .sfd = sfd, .keep = keep,
				       .retry = r == -EAGAIN, .len = len };
	memcpy(&p->addr, sa, len);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, connect_main, p) != 0) {
		close(p->sfd);
		safe_close(p->keep);
		free(p);
		atomic_fetch_sub(&c->s->pending, 1);
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

