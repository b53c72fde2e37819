/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F06: pathname Unix sockets are not mediated by Landlock before ABI 9, and the session bus,
 * systemd --user, ssh-agent, docker.sock and X11 all live on one; connecting to them is a way out
 * of any sandbox. The driver listens on such sockets inside the fixture (outside the project).
 * With the default --unix-sockets deny, no connect or send may reach them: via socket(AF_UNIX)
 * of every type, with the family's upper 32 bits set, and via a socketpair(2) datagram socket
 * re-targeted with sendto/connect (airlock denies datagram socketpairs unless Unix sockets are
 * allowed; stream and seqpacket pairs are connected). The driver checks that its
 * sockets saw nothing. With --unix-sockets allow the stream connect works: the positive
 * control. Only connections and sends count; creating a socket is not a leak by itself.
 *
 *	F06-unix-pathname STREAM_PATH DGRAM_PATH SEQPACKET_PATH socket|socketpair
 *	  socket: the socket(2) routes; socketpair: the socketpair(2) routes
 */
#include <sys/syscall.h>

#include "net.h"

static void try_connect(const char *what, int fd, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sockaddr(path, &sa);
	must_fail(what, connect(fd, (struct sockaddr *)&sa, len) < 0 ? errno : 0);
}

static void try_sendto(const char *what, int fd, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = unix_sockaddr(path, &sa);
	must_fail(what, sendto(fd, "F06\n", 4, 0, (struct sockaddr *)&sa, len) < 0 ? errno : 0);
}

static int new_socket(const char *what, long family, int type)
{
	int fd = (int)syscall(SYS_socket, family, type | SOCK_CLOEXEC, 0);
	printf("%s: %s\n", what, fd < 0 ? ename(errno) : "created");
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[4], "socket") != 0 && strcmp(argv[4], "socketpair") != 0))
		attack_usage("F06-unix-pathname STREAM_PATH DGRAM_PATH SEQPACKET_PATH "
			     "socket|socketpair");
	const char *stream = argv[1], *dgram = argv[2], *seqpacket = argv[3];
	int fd, sv[2];

	if (strcmp(argv[4], "socketpair") == 0)
		goto socketpairs;

	if ((fd = new_socket("socket(AF_UNIX, SOCK_STREAM)", AF_UNIX, SOCK_STREAM)) >= 0) {
		try_connect("connect(stream socket)", fd, stream);
		close(fd);
	}
	if ((fd = new_socket("socket(AF_UNIX|1<<32, SOCK_STREAM)", AF_UNIX | (1l << 32),
			     SOCK_STREAM)) >= 0) {
		try_connect("connect(stream socket, family with high bits)", fd, stream);
		close(fd);
	}
	if ((fd = new_socket("socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK)", AF_UNIX,
			     SOCK_STREAM | SOCK_NONBLOCK)) >= 0) {
		try_connect("connect(non-blocking stream socket)", fd, stream);
		close(fd);
	}
	if ((fd = new_socket("socket(AF_LOCAL, SOCK_SEQPACKET)", AF_LOCAL, SOCK_SEQPACKET)) >= 0) {
		try_connect("connect(seqpacket socket)", fd, seqpacket);
		close(fd);
	}
	if ((fd = new_socket("socket(AF_UNIX, SOCK_DGRAM)", AF_UNIX, SOCK_DGRAM)) >= 0) {
		try_sendto("sendto(dgram socket)", fd, dgram);
		try_connect("connect(dgram socket)", fd, dgram);
		close(fd);
	}
	return attack_finish();

socketpairs:
	sv[0] = sv[1] = -1;
	/* airlock denies datagram socketpairs unless Unix sockets are allowed: then the attack
	 * stops here; otherwise the sends below must fail on their own. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		printf("held socketpair(AF_UNIX, SOCK_DGRAM): %s\n", ename(errno));
	if (sv[0] >= 0) {
		try_sendto("sendto(socketpair dgram socket -> DGRAM_PATH)", sv[0], dgram);
		try_connect("connect(socketpair dgram socket -> DGRAM_PATH)", sv[0], dgram);
		close(sv[0]);
		close(sv[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		struct sockaddr_un sa;
		socklen_t len = unix_sockaddr(stream, &sa);
		int e = connect(sv[0], (struct sockaddr *)&sa, len) < 0 ? errno : 0;
		printf("connect(socketpair stream socket): %s (EISCONN: already connected)\n",
		       ename(e));
		if (e == 0)
			attack_leak("a connected socketpair socket re-connected to STREAM_PATH");
		close(sv[0]);
		close(sv[1]);
	}
	return attack_finish();
}
