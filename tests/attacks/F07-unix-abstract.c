/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F07: abstract Unix sockets (X11's @/tmp/.X11-unix/X0, D-Bus "unix:abstract=" addresses) have
 * no file, so only Landlock's SCOPE_ABSTRACT_UNIX_SOCKET (and the filter's socket(AF_UNIX) rule)
 * keep the sandbox off them. The driver listens on an abstract stream name and binds an
 * abstract datagram name. Connect and send must fail both with the default --unix-sockets deny
 * (no socket) and with --unix-sockets allow (EPERM from the scope), also through a socketpair
 * datagram socket. Only connections and sends count.
 *
 *	F07-unix-abstract @STREAM_NAME @DGRAM_NAME
 */
#include "net.h"

int main(int argc, char **argv)
{
	if (argc != 3 || argv[1][0] != '@' || argv[2][0] != '@')
		attack_usage("F07-unix-abstract @STREAM_NAME @DGRAM_NAME");
	const char *stream = argv[1], *dgram = argv[2];
	struct sockaddr_un sa;
	socklen_t len;
	int fd, sv[2] = { -1, -1 };

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	printf("socket(AF_UNIX, SOCK_STREAM): %s\n", fd < 0 ? ename(errno) : "created");
	if (fd >= 0) {
		len = unix_sockaddr(stream, &sa);
		must_fail_with("connect(abstract stream)",
			       connect(fd, (struct sockaddr *)&sa, len) < 0 ? errno : 0, EPERM, 0);
		close(fd);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	printf("socket(AF_UNIX, SOCK_DGRAM): %s\n", fd < 0 ? ename(errno) : "created");
	if (fd >= 0) {
		len = unix_sockaddr(dgram, &sa);
		must_fail_with("sendto(abstract dgram)",
			       sendto(fd, "F07\n", 4, 0, (struct sockaddr *)&sa, len) < 0 ? errno
											  : 0,
			       EPERM, 0);
		close(fd);
	}
	/* airlock denies datagram socketpairs unless Unix sockets are allowed: then the attack
	 * stops here; otherwise the sends below must fail on their own. */
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		printf("held socketpair(AF_UNIX, SOCK_DGRAM): %s\n", ename(errno));
	if (sv[0] >= 0) {
		len = unix_sockaddr(dgram, &sa);
		must_fail("sendto(socketpair dgram socket -> abstract dgram)",
			  sendto(sv[0], "F07\n", 4, 0, (struct sockaddr *)&sa, len) < 0 ? errno
											: 0);
		must_fail("connect(socketpair dgram socket -> abstract dgram)",
			  connect(sv[0], (struct sockaddr *)&sa, len) < 0 ? errno : 0);
		close(sv[0]);
		close(sv[1]);
	}
	return attack_finish();
}
