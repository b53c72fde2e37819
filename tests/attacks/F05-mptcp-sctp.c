/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F05: stream protocols that are not TCP to Landlock (erratum 1: its TCP rights no longer cover
 * them): MPTCP, which falls back to plain TCP against the driver's ordinary listener, and SCTP.
 * With --net off the sockets must not be created; if one is, it connects to the driver's port
 * on 127.0.0.1. With --net on MPTCP connects: the positive control.
 *
 *	F05-mptcp-sctp PORT
 */
#include "net.h"

static void attempt(const char *what, int family, int type, int proto, const struct sockaddr *sa,
		    socklen_t len)
{
	int fd = must_not_socket(what, family, type, proto);
	if (fd < 0)
		return;
	int e = connect(fd, sa, len) < 0 ? errno : 0;
	printf("  connect to the driver's port: %s\n", ename(e));
	if (e == 0 && write(fd, "F05\n", 4) < 0)
		printf("  write: %s\n", ename(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		attack_usage("F05-mptcp-sctp PORT");
	int port = parse_port(argv[1]);
	struct sockaddr_in a4 = loop4(port);
	struct sockaddr_in6 a6 = loop4mapped(port);

	attempt("socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)", AF_INET, SOCK_STREAM, IPPROTO_MPTCP,
		(struct sockaddr *)&a4, sizeof(a4));
	attempt("socket(AF_INET6, SOCK_STREAM, IPPROTO_MPTCP)", AF_INET6, SOCK_STREAM,
		IPPROTO_MPTCP, (struct sockaddr *)&a6, sizeof(a6));
	attempt("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)", AF_INET, SOCK_STREAM, IPPROTO_SCTP,
		(struct sockaddr *)&a4, sizeof(a4));
	attempt("socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP)", AF_INET, SOCK_SEQPACKET,
		IPPROTO_SCTP, (struct sockaddr *)&a4, sizeof(a4));
	return attack_finish();
}
