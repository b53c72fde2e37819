/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F04: raw and ICMP sockets (ping tunnels, crafted packets): SOCK_RAW for ICMP, ICMPv6 and
 * IPPROTO_RAW, and unprivileged ICMP "ping" sockets, must not be created with --net off. The
 * kernel already refuses some of them to a user without CAP_NET_RAW or outside
 * net.ipv4.ping_group_range; as root the filter is all there is. If a socket is created, one
 * echo request goes to 127.0.0.1.
 *
 *	F04-raw-icmp
 */
#include <netinet/ip_icmp.h>

#include "net.h"

static void ping(int fd)
{
	struct icmphdr h = { .type = ICMP_ECHO, .un.echo.id = htons(0xa1), .un.echo.sequence = 1 };
	struct sockaddr_in a = loop4(0);
	ssize_t r = sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&a, sizeof(a));
	printf("  echo request to 127.0.0.1: %s\n", ename(r < 0 ? errno : 0));
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		attack_usage("F04-raw-icmp");
	int fd = must_not_socket("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)", AF_INET, SOCK_RAW,
				 IPPROTO_ICMP);
	if (fd >= 0) {
		ping(fd);
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) (ping socket)", AF_INET,
			     SOCK_DGRAM, IPPROTO_ICMP);
	if (fd >= 0) {
		ping(fd);
		close(fd);
	}
	fd = must_not_socket("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)", AF_INET, SOCK_RAW,
			     IPPROTO_RAW);
	if (fd >= 0)
		close(fd);
	fd = must_not_socket("socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6)", AF_INET6, SOCK_RAW,
			     IPPROTO_ICMPV6);
	if (fd >= 0)
		close(fd);
	fd = must_not_socket("socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6) (ping6 socket)",
			     AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (fd >= 0)
		close(fd);
	fd = must_not_socket("socket(AF_INET, SOCK_PACKET, 0)", AF_INET, SOCK_PACKET, 0);
	if (fd >= 0)
		close(fd);
	return attack_finish();
}
