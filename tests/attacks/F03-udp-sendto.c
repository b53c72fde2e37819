/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F03: UDP is not covered by Landlock at all, so DNS-style exfiltration must be stopped at
 * socket(2) when the network is off: sendto a UDP port on 127.0.0.1 that the driver bound
 * (never an external address), from IPv4 and IPv6 sockets, with sendto, connect+send and
 * sendmsg. The driver checks that nothing arrived. With --net on it arrives: the positive
 * control.
 *
 *	F03-udp-sendto PORT
 */
#include "net.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		attack_usage("F03-udp-sendto PORT");
	int port = parse_port(argv[1]);
	struct sockaddr_in a4 = loop4(port);
	struct sockaddr_in6 a6 = loop4mapped(port);

	int fd = must_not_socket("socket(AF_INET, SOCK_DGRAM, 0)", AF_INET, SOCK_DGRAM, 0);
	if (fd >= 0) {
		must_fail("sendto(127.0.0.1:PORT)",
			  sendto(fd, "F03-udp\n", 8, 0, (struct sockaddr *)&a4, sizeof(a4)) < 0
				  ? errno
				  : 0);
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", AF_INET, SOCK_DGRAM,
			     IPPROTO_UDP);
	if (fd >= 0) {
		int e = connect(fd, (struct sockaddr *)&a4, sizeof(a4)) < 0 ? errno : 0;
		if (e == 0)
			e = send(fd, "F03-udp-connected\n", 18, 0) < 0 ? errno : 0;
		must_fail("connect + send(127.0.0.1:PORT)", e);
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET6, SOCK_DGRAM, 0)", AF_INET6, SOCK_DGRAM, 0);
	if (fd >= 0) {
		must_fail("sendto([::ffff:127.0.0.1]:PORT)",
			  sendto(fd, "F03-udp6\n", 9, 0, (struct sockaddr *)&a6, sizeof(a6)) < 0
				  ? errno
				  : 0);
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE)", AF_INET, SOCK_DGRAM,
			     IPPROTO_UDPLITE);
	if (fd >= 0)
		close(fd);
	return attack_finish();
}
