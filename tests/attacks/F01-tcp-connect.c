/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F01: with --net off, reach a TCP port on 127.0.0.1 that the driver listens on: with a new
 * IPv4 socket, with an IPv6 socket to ::ffff:127.0.0.1, and (mode "stdin") with an unconnected
 * TCP socket the driver passed as fd 0, which tests Landlock's connect rule on its own because
 * no socket(2) is needed. The driver checks that its listener saw no connection. Run with
 * --net on, the program connects: that is the positive control.
 *
 *	F01-tcp-connect PORT [stdin]
 */
#include "net.h"

static void attempt(const char *what, int fd, const struct sockaddr *sa, socklen_t len)
{
	int e = connect(fd, sa, len) < 0 ? errno : 0;
	must_fail(what, e);
	if (e == 0 && write(fd, "F01\n", 4) < 0)
		printf("  write: %s\n", ename(errno));
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "stdin") != 0))
		attack_usage("F01-tcp-connect PORT [stdin]");
	int port = parse_port(argv[1]);
	struct sockaddr_in a4 = loop4(port);
	struct sockaddr_in6 a6 = loop4mapped(port);

	if (argc == 3) {
		attempt("connect(fd 0 = inherited TCP socket, 127.0.0.1:PORT)", 0,
			(struct sockaddr *)&a4, sizeof(a4));
		return attack_finish();
	}
	int fd = must_not_socket("socket(AF_INET, SOCK_STREAM, 0)", AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		attempt("connect(127.0.0.1:PORT)", fd, (struct sockaddr *)&a4, sizeof(a4));
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)", AF_INET, SOCK_STREAM,
			     IPPROTO_TCP);
	if (fd >= 0)
		close(fd);
	fd = must_not_socket("socket(AF_INET6, SOCK_STREAM, 0)", AF_INET6, SOCK_STREAM, 0);
	if (fd >= 0) {
		attempt("connect([::ffff:127.0.0.1]:PORT)", fd, (struct sockaddr *)&a6, sizeof(a6));
		close(fd);
	}
	return attack_finish();
}
