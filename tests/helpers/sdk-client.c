/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A program that uses the client SDK, run inside sandboxes by the tests:
 *   sdk-client redeem-open TOKEN PATH   redeem, then a plain open() of PATH in this process
 *   sdk-client redeem-exec TOKEN CMD..  redeem, then exec CMD (which opens what it likes)
 *   sdk-client redeem-append TOKEN PATH redeem, then append a line to PATH with a plain open()
 *   sdk-client connect PATH             connect a SOCK_SEQPACKET socket to PATH: "ok" or the errno
 *   sdk-client create PATH              create PATH through the supervisor (O_EXCL, mode 0666 less
 *                                       the umask), write a line to it
 *   sdk-client open PATH                open PATH through the supervisor, print it
 *   sdk-client query PATH r|w|x         print allowed / denied / ask
 *   sdk-client available                exit 0 in a session, 3 outside
 *   sdk-client hostile                  the H series: malformed and hostile messages on the SDK
 *                                       socket; after each the supervisor must still answer
 * Prints "error: <text>" and exits 1 on a refusal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "airlock/airlock-client.h"
#include "proto.h"

static int cat_fd(int fd)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0 ? 1 : 0;
}

static int refused(const char *what, int r)
{
	printf("error: %s: %s\n", what, airlock_client_strerror(r));
	return 1;
}

/* A private connection made by hand: the raw material of the hostile cases. */
static int raw_connect(int shared)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	struct proto_msg m = { .type = PROTO_CONNECT, .id = 1 };
	if (proto_send(shared, &m, sv[1]) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	close(sv[1]);
	return sv[0];
}

static void header(unsigned char *b, uint32_t magic, uint16_t version, uint16_t type, uint32_t id,
		   uint32_t len)
{
	memcpy(b, &magic, 4);
	memcpy(b + 4, &version, 2);
	memcpy(b + 6, &type, 2);
	memcpy(b + 8, &id, 4);
	memcpy(b + 12, &len, 4);
}

/* Does the supervisor still answer a fresh client? */
static int healthy(const char *after)
{
	int r = airlock_client_query("/usr/bin", AIRLOCK_CLIENT_READ);
	if (r != AIRLOCK_CLIENT_ALLOWED) {
		printf("unhealthy after %s: %s\n", after, r < 0 ? airlock_client_strerror(r) : "wrong answer");
		return 1;
	}
	return 0;
}

/* Send raw bytes (and fds) on sock; then on a private connection, expect it closed. */
static void send_raw(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	struct iovec iov = { (void *)buf, len };
	char cbuf[CMSG_SPACE(sizeof(int) * 4)] = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	sendmsg(sock, &mh, MSG_NOSIGNAL);
}

/* The connection must be dropped by the supervisor: a read sees the end. */
static int expect_dropped(int conn, const char *what)
{
	char b[64];
	struct timeval tv = { 5, 0 };
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssize_t n = recv(conn, b, sizeof(b), 0);
	close(conn);
	if (n != 0) {
		printf("%s: the connection was not dropped (%zd)\n", what, n);
		return 1;
	}
	return 0;
}

static int hostile(void)
{
	const char *env = getenv("AIRLOCK_SOCKET_FD");
	int shared = env ? atoi(env) : -1, bad = 0, pipefd[2];
	unsigned char b[PROTO_MAX_MSG + 64];

	if (shared < 0 || pipe(pipefd) < 0)
		return printf("not in a session\n"), 1;
	bad |= healthy("start");

	/* H01..H05 on the shared socket: each loses only itself. */
	send_raw(shared, "", 0, NULL, 0);
	bad |= healthy("H01 zero-length datagram");
	header(b, PROTO_MAGIC, 1, PROTO_CONNECT, 1, 100);
	send_raw(shared, b, 16, NULL, 0);
	bad |= healthy("H02 length larger than the payload");
	send_raw(shared, b, 5, NULL, 0);
	bad |= healthy("H03 truncated header");
	header(b, PROTO_MAGIC, 9, PROTO_CONNECT, 1, 0);
	send_raw(shared, b, 16, pipefd, 1);
	bad |= healthy("H05 unknown version, with an fd");
	header(b, PROTO_MAGIC, 1, 77, 1, 0);
	send_raw(shared, b, 16, NULL, 0);
	bad |= healthy("H05 unknown type");
	/* CONNECT with a pipe instead of a socket, with two fds, with none. */
	header(b, PROTO_MAGIC, 1, PROTO_CONNECT, 1, 0);
	send_raw(shared, b, 16, pipefd, 1);
	int two[2] = { pipefd[0], pipefd[1] };
	send_raw(shared, b, 16, two, 2);
	send_raw(shared, b, 16, NULL, 0);
	bad |= healthy("H06 CONNECT with wrong fds");
	/* A datagram larger than any message. */
	memset(b, 'A', sizeof(b));
	send_raw(shared, b, sizeof(b), NULL, 0);
	bad |= healthy("H02 oversized datagram");

	/* H04 and friends on a private connection: the sender loses its connection. */
	struct {
		const char *name;
		uint16_t type;
		const char *payload;
		size_t len;
	} cases[] = {
		{ "H04 path without NUL", PROTO_OPEN, "\0\0\0\0\0\0\0\0/etc/hostname", 21 },
		{ "H04 embedded NUL", PROTO_OPEN, "\0\0\0\0\0\0\0\0/etc\0/../x\0", 19 },
		{ "H05 unknown type on a connection", 99, "", 0 },
		{ "CONNECT on a connection", PROTO_CONNECT, "", 0 },
		{ "RESULT from a client", PROTO_RESULT, "\0\0\0\0\0\0\0\0", 8 },
		{ "QUERY with bad access", PROTO_QUERY, "\x10\0\0\0/etc\0", 9 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int conn = raw_connect(shared);
		if (conn < 0)
			return printf("cannot connect\n"), 1;
		header(b, PROTO_MAGIC, 1, cases[i].type, 7, (uint32_t)cases[i].len);
		memcpy(b + 16, cases[i].payload, cases[i].len);
		send_raw(conn, b, 16 + cases[i].len, NULL, 0);
		bad |= expect_dropped(conn, cases[i].name);
		bad |= healthy(cases[i].name);
	}
	/* A stray fd on a request. */
	int conn = raw_connect(shared);
	struct proto_msg q = { .type = PROTO_QUERY, .id = 3, .access = PROTO_ACCESS_READ, .path = "/usr" };
	size_t len;
	proto_encode(&q, b, sizeof(b), &len);
	send_raw(conn, b, len, pipefd, 1);
	bad |= expect_dropped(conn, "stray fd on a QUERY");
	bad |= healthy("stray fd");

	/* H10: a burst of requests on one connection, every one answered. */
	for (int i = 0; i < 100000; i++) {
		int r = airlock_client_query("/usr/bin", AIRLOCK_CLIENT_READ);
		if (r != AIRLOCK_CLIENT_ALLOWED) {
			printf("H10 request %d: %d\n", i, r);
			bad = 1;
			break;
		}
	}
	/* A flood of connections beyond the cap: refused, and the supervisor recovers. */
	int conns[200];
	for (int i = 0; i < 200; i++)
		conns[i] = raw_connect(shared);
	for (int i = 0; i < 200; i++)
		if (conns[i] >= 0)
			close(conns[i]);
	usleep(200000);
	bad |= healthy("a flood of connections");
	/* A client that never reads its replies. */
	conn = raw_connect(shared);
	for (int i = 0; i < 2000; i++)
		if (send(conn, b, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
	close(conn);
	bad |= healthy("a client that does not read");
	close(pipefd[0]);
	close(pipefd[1]);
	if (!bad)
		printf("healthy\n");
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *cmd = argv[1];
	if (!strcmp(cmd, "available"))
		return airlock_client_available() ? 0 : 3;
	if (!strcmp(cmd, "hostile"))
		return hostile();
	if (!strcmp(cmd, "redeem-open") && argc == 4) {
		int r = airlock_client_redeem(argv[2]);
		if (r < 0)
			return refused("redeem", r);
		int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return printf("error: open %s: %s\n", argv[3], strerror(errno)), 1;
		return cat_fd(fd);
	}
	if (!strcmp(cmd, "redeem-exec") && argc >= 4) {
		int r = airlock_client_redeem(argv[2]);
		if (r < 0)
			return refused("redeem", r);
		fflush(stdout);
		execvp(argv[3], argv + 3);
		return printf("error: exec %s: %s\n", argv[3], strerror(errno)), 1;
	}
	if (!strcmp(cmd, "redeem-append") && argc == 4) {
		int r = airlock_client_redeem(argv[2]);
		if (r < 0)
			return refused("redeem", r);
		int fd = open(argv[3], O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd < 0)
			return printf("error: open %s: %s\n", argv[3], strerror(errno)), 1;
		int ok = write(fd, "appended\n", 9) == 9;
		close(fd);
		return ok ? 0 : 1;
	}
	if (!strcmp(cmd, "connect") && argc == 3) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return printf("%s\n", strerrorname_np(errno)), 0;
		return printf("ok\n"), 0;
	}
	if (!strcmp(cmd, "create") && argc == 3) {
		int fd = airlock_client_open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd < 0)
			return refused("create", fd);
		int ok = write(fd, "created\n", 8) == 8;
		close(fd);
		return ok ? 0 : 1;
	}
	if (!strcmp(cmd, "open") && argc == 3) {
		int fd = airlock_client_open(argv[2], O_RDONLY, 0);
		if (fd < 0)
			return refused("open", fd);
		return cat_fd(fd);
	}
	if (!strcmp(cmd, "query") && argc == 4) {
		unsigned a = argv[3][0] == 'w' ? AIRLOCK_CLIENT_WRITE : argv[3][0] == 'x' ? AIRLOCK_CLIENT_EXEC
											     : AIRLOCK_CLIENT_READ;
		int r = airlock_client_query(argv[2], a);
		if (r < 0)
			return refused("query", r);
		printf("%s\n", r == AIRLOCK_CLIENT_ALLOWED ? "allowed" : r == AIRLOCK_CLIENT_ASK ? "ask" : "denied");
		return 0;
	}
	return 2;
}
