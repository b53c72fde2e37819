/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F09: serve on the network with --net off: bind a TCP socket to 127.0.0.1 (a fixed-free
 * ephemeral port, IPv4 and IPv6) and listen; listen on an unbound socket (auto-bind); and, in
 * mode "stdin", bind the unbound TCP socket the driver passed as fd 0, which tests Landlock's
 * bind rule on its own. With --net on the bind works: the positive control.
 *
 *	F09-tcp-listen [stdin]
 */
#include "net.h"

static void bind_listen(const char *what, int fd, const struct sockaddr *sa, socklen_t len)
{
	int e = bind(fd, sa, len) < 0 ? errno : 0;
	if (e == 0)
		e = listen(fd, 1) < 0 ? errno : 0;
	must_fail(what, e);
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "stdin") != 0))
		attack_usage("F09-tcp-listen [stdin]");
	struct sockaddr_in a4 = loop4(0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	if (argc == 2) {
		bind_listen("bind(fd 0 = inherited TCP socket, 127.0.0.1:0) + listen", 0,
			    (struct sockaddr *)&a4, sizeof(a4));
		return attack_finish();
	}
	int fd = must_not_socket("socket(AF_INET, SOCK_STREAM)", AF_INET, SOCK_STREAM, 0);
	if (fd >= 0) {
		bind_listen("bind(127.0.0.1:0) + listen", fd, (struct sockaddr *)&a4, sizeof(a4));
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET6, SOCK_STREAM)", AF_INET6, SOCK_STREAM, 0);
	if (fd >= 0) {
		bind_listen("bind([::1]:0) + listen", fd, (struct sockaddr *)&a6, sizeof(a6));
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_STREAM) for listen without bind", AF_INET,
			     SOCK_STREAM, 0);
	if (fd >= 0) {
		must_fail("listen() without bind (auto-bind)", listen(fd, 1) < 0 ? errno : 0);
		close(fd);
	}
	return attack_finish();
}
