/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The client SDK; the interface is documented in include/airlock/airlock-client.h, the protocol
 * in docs/protocol.md. Depends on proto.c, libc and pthreads only: it is built into the small
 * library that sandboxed programs link, and must stay that small.
 *
 * State is per process by nature (a process has one connection): one private connection, the pid
 * that made it, and the next request id, all under client_lock. The last failure's message is
 * per thread.
 *
 * Invariant: a reply is only ever read by the process that sent the request. The shared socket
 * is written to (CONNECT) but never read from: every process of the session holds it, so a reply
 * on it could reach anyone. Replies come on the process's private socketpair, whose other end
 * only the supervisor holds. After fork() the child still holds its parent's private end, so a
 * connection is used only by the pid that made it; any other pid closes its copy and connects
 * anew. Test: tests/unit/test-proto.c (client_fork_*).
 */
#include "airlock/airlock-client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "cleanup.h"
#include "proto.h"

#define CLIENT_MESSAGE_MAX 1024

static pthread_mutex_t client_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t client_once = PTHREAD_ONCE_INIT;
static int client_init_error;
static int client_conn = -EBADF; /* the private connection */
static pid_t client_pid;         /* the process that made client_conn */
static uint32_t client_next_id;

static __thread int client_last_error;                        /* positive errno */
static __thread char client_last_message[CLIENT_MESSAGE_MAX]; /* "" if none was sent */
static __thread char client_errbuf[256];

/*
 * fork() copies the lock in whatever state it is; if another thread held it at that moment, it
 * would stay held forever in the child, where that thread does not exist. The child has one
 * thread and touches nothing under the lock before this runs, so it starts from a fresh lock; the
 * stale connection is recognised by its pid (client_connection()).
 */
static void client_atfork_child(void)
{
	pthread_mutex_init(&client_lock, NULL);
}

static void client_init(void)
{
	client_init_error = -pthread_atfork(NULL, NULL, client_atfork_child);
}

/* The shared socket's fd from the environment, or -ENOTCONN. */
static int shared_socket(void)
{
	const char *e = secure_getenv(PROTO_SOCKET_ENV);
	int fd = 0, domain = -1, type = -1;
	socklen_t l1 = sizeof(domain), l2 = sizeof(type);

	if (!e || !*e)
		return -ENOTCONN;
	for (; *e; e++) {
		if (*e < '0' || *e > '9' || fd > (INT32_MAX - 9) / 10)
			return -ENOTCONN;
		fd = fd * 10 + (*e - '0');
	}
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l1) < 0 || domain != AF_UNIX ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) < 0 || type != SOCK_SEQPACKET)
		return -ENOTCONN;
	return fd;
}

/* Forget the connection. The fd is unpublished before it is closed, so a fork() in between
 * never leaves the child a number that could by then name another file. */
static void client_drop(void)
{
	int fd = client_conn;

	client_conn = -EBADF;
	safe_close(fd);
}

/* This process's private connection, made on first use. Called with client_lock held. */
static int client_connection(void)
{
	_cleanup_close_ int ours = -EBADF, theirs = -EBADF;
	struct proto_msg m = { .type = PROTO_CONNECT };
	pid_t pid = getpid();
	int shared, pair[2], r;

	if (client_conn >= 0 && client_pid == pid)
		return client_conn;
	/* Our parent's connection, inherited through fork(): its replies are not ours. */
	client_drop();

	shared = shared_socket();
	if (shared < 0)
		return shared;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return negative_errno();
	ours = pair[0];
	theirs = pair[1];
	/* The supervisor now holds theirs; our copy closes on return, so that the supervisor
	 * going away shows on ours as the end of the stream. */
	r = proto_send(shared, &m, theirs);
	if (r < 0)
		return r;
	client_pid = pid;
	client_next_id = 0;
	client_conn = TAKE_FD(ours);
	return client_conn;
}

static void client_set_failure(int error, const char *message)
{
	size_t n = 0;

	client_last_error = error;
	if (message) {
		n = strnlen(message, sizeof(client_last_message) - 1);
		/* Cut on a character boundary: back off continuation bytes of a split one. */
		if (message[n] != '\0')
			while (n > 0 && ((unsigned char)message[n] & 0xc0) == 0x80)
				n--;
		memcpy(client_last_message, message, n);
	}
	client_last_message[n] = '\0';
}

/* Record a failure that the supervisor did not explain; returns r. */
static int client_fail(int r)
{
	client_set_failure(-r, NULL);
	return r;
}

/* Does value fit the request that was answered? */
static bool reply_value_valid(uint16_t type, uint32_t value)
{
	switch (type) {
	case PROTO_OPEN:
		return value == 0;
	case PROTO_QUERY:
		return value <= PROTO_QUERY_ASK;
	case PROTO_REDEEM:
		return (value & ~PROTO_ACCESS_ALL) == 0;
	}
	return false;
}

/* Send req, read its RESULT. Called with client_lock held. Any failure of the exchange itself
 * drops the connection: what follows on it can no longer be matched to a request. Every
 * failure is recorded for airlock_client_strerror(), with the supervisor's message if any. */
static int client_request_locked(struct proto_msg *req, uint32_t *ret_value, int *ret_fd)
{
	uint8_t buf[PROTO_MAX_MSG];
	_cleanup_close_ int fd = -EBADF;
	struct proto_msg reply;
	bool want_fd;
	int conn, r;

	conn = client_connection();
	if (conn < 0)
		return client_fail(conn);

	req->id = ++client_next_id;
	r = proto_send(conn, req, -1);
	if (r >= 0)
		r = proto_recv(conn, buf, sizeof(buf), &reply, &fd, 0);
	if (r < 0) {
		client_drop();
		return client_fail(r);
	}

	want_fd = req->type == PROTO_OPEN && reply.error == 0;
	if (reply.type != PROTO_RESULT || reply.id != req->id || (fd >= 0) != want_fd ||
	    (reply.error == 0 && !reply_value_valid(req->type, reply.value))) {
		client_drop();
		return client_fail(-EBADMSG);
	}
	if (reply.error != 0) {
		client_set_failure(reply.error, reply.message);
		return -reply.error;
	}

	*ret_value = reply.value;
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;
}

static int client_request(struct proto_msg *req, uint32_t *ret_value, int *ret_fd)
{
	uint8_t scratch[PROTO_MAX_MSG];
	size_t len;
	int r;

	/* Arguments first: a bad one is the caller's mistake, not a reason to touch (or drop)
	 * the connection. */
	r = proto_encode(req, scratch, sizeof(scratch), &len);
	if (r < 0)
		return client_fail(r);

	r = pthread_once(&client_once, client_init);
	if (r != 0)
		return client_fail(-r);
	if (client_init_error < 0)
		return client_fail(client_init_error);

	pthread_mutex_lock(&client_lock);
	r = client_request_locked(req, ret_value, ret_fd);
	pthread_mutex_unlock(&client_lock);
	return r;
}

/* Make path absolute against the current directory, into buf (PROTO_MAX_PATH bytes). */
static int absolute_path(const char *path, char *buf, const char **ret)
{
	size_t cl, pl;

	if (!path)
		return -EINVAL;
	if (!*path)
		return -ENOENT;
	if (path[0] == '/') {
		*ret = path;
		return 0;
	}
	if (!getcwd(buf, PROTO_MAX_PATH))
		return errno == ERANGE ? -ENAMETOOLONG : negative_errno();
	if (buf[0] != '/') /* "(unreachable)/...": the directory is outside our root */
		return -ENOENT;
	cl = strlen(buf);
	if (buf[cl - 1] == '/')
		cl--;
	pl = strnlen(path, PROTO_MAX_PATH);
	if (cl + 1 + pl >= PROTO_MAX_PATH)
		return -ENAMETOOLONG;
	buf[cl] = '/';
	memcpy(buf + cl + 1, path, pl + 1);
	*ret = buf;
	return 0;
}

int airlock_client_available(void)
{
	return shared_socket() >= 0;
}

int airlock_client_open(const char *path, int flags, mode_t mode)
{
	struct proto_msg m = { .type = PROTO_OPEN, .flags = (uint32_t)flags, .mode = mode & 07777 };
	char buf[PROTO_MAX_PATH];
	_cleanup_close_ int fd = -EBADF;
	uint32_t value;
	int r;

	r = absolute_path(path, buf, &m.path);
	if (r < 0)
		return client_fail(r);
	r = client_request(&m, &value, &fd);
	if (r < 0)
		return r;
	/* Received close-on-exec (no window in which an exec elsewhere could inherit it); made
	 * inheritable only when asked. */
	if (!(flags & O_CLOEXEC) && fcntl(fd, F_SETFD, 0) < 0)
		return client_fail(negative_errno());
	return TAKE_FD(fd);
}

int airlock_client_redeem(const char *token)
{
	struct proto_msg m = { .type = PROTO_REDEEM, .token = token };
	uint32_t value;

	return client_request(&m, &value, NULL);
}

int airlock_client_query(const char *path, unsigned access)
{
	struct proto_msg m = { .type = PROTO_QUERY, .access = access };
	char buf[PROTO_MAX_PATH];
	uint32_t value;
	int r;

	if (access == 0 || (access & ~PROTO_ACCESS_ALL))
		return client_fail(-EINVAL);
	r = absolute_path(path, buf, &m.path);
	if (r < 0)
		return client_fail(r);
	r = client_request(&m, &value, NULL);
	if (r < 0)
		return r;
	return (int)value;
}

const char *airlock_client_strerror(int err)
{
	int e = err < 0 ? -err : err;

	if (e == ENOTCONN)
		return "not in an airlock session (AIRLOCK_SOCKET_FD is not set)";
	if (e != 0 && e == client_last_error && client_last_message[0])
		return client_last_message;
	return strerror_r(e, client_errbuf, sizeof(client_errbuf));
}
