/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F08: socket families beyond IP and Unix, which Landlock does not cover: netlink (routing,
 * uevents, audit, sock_diag), packet sockets, vsock (the VM host), AF_ALG, Bluetooth, XDP, and
 * more. With --net off none may be created, also with the family's or type's upper 32 bits set.
 * Some are refused by the kernel anyway (missing support, missing CAP_NET_RAW); run bare, at
 * least netlink works, which is the positive control.
 *
 *	F08-other-families
 */
#include <linux/netlink.h>
#include <sys/syscall.h>

#include "net.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef AF_SMC
#define AF_SMC 43
#endif

static void attempt(const char *what, long family, long type, int proto)
{
	long fd = syscall(SYS_socket, family, type | SOCK_CLOEXEC, proto);
	must_fail(what, fd < 0 ? errno : 0);
	if (fd >= 0)
		close((int)fd);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		attack_usage("F08-other-families");
	attempt("AF_NETLINK NETLINK_ROUTE", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	attempt("AF_NETLINK NETLINK_ROUTE (SOCK_DGRAM)", AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	attempt("AF_NETLINK NETLINK_KOBJECT_UEVENT", AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT);
	attempt("AF_NETLINK NETLINK_AUDIT", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
	attempt("AF_NETLINK NETLINK_SOCK_DIAG", AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
	attempt("AF_NETLINK NETLINK_GENERIC", AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	attempt("AF_NETLINK|1<<32 NETLINK_ROUTE", AF_NETLINK | (1l << 32), SOCK_RAW, NETLINK_ROUTE);
	attempt("AF_NETLINK, SOCK_RAW|1<<32", AF_NETLINK, SOCK_RAW | (1l << 32), NETLINK_ROUTE);
	attempt("AF_PACKET SOCK_RAW", AF_PACKET, SOCK_RAW, 0);
	attempt("AF_PACKET SOCK_DGRAM", AF_PACKET, SOCK_DGRAM, 0);
	attempt("AF_VSOCK SOCK_STREAM", AF_VSOCK, SOCK_STREAM, 0);
	attempt("AF_VSOCK SOCK_DGRAM", AF_VSOCK, SOCK_DGRAM, 0);
	attempt("AF_ALG SOCK_SEQPACKET", AF_ALG, SOCK_SEQPACKET, 0);
	attempt("AF_BLUETOOTH SOCK_RAW", AF_BLUETOOTH, SOCK_RAW, 0);
	attempt("AF_XDP SOCK_RAW", AF_XDP, SOCK_RAW, 0);
	attempt("AF_KEY SOCK_RAW", AF_KEY, SOCK_RAW, 2);
	attempt("AF_TIPC SOCK_RDM", AF_TIPC, SOCK_RDM, 0);
	attempt("AF_RDS SOCK_SEQPACKET", AF_RDS, SOCK_SEQPACKET, 0);
	attempt("AF_CAN SOCK_RAW", AF_CAN, SOCK_RAW, 1);
	attempt("AF_SMC SOCK_STREAM", AF_SMC, SOCK_STREAM, 0);
	attempt("AF_QIPCRTR SOCK_DGRAM", AF_QIPCRTR, SOCK_DGRAM, 0);
	attempt("AF_IEEE802154 SOCK_RAW", AF_IEEE802154, SOCK_RAW, 0);
	return attack_finish();
}
