/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * F02: TCP Fast Open connects without connect(2), and Landlock's TCP connect rule misses it on
 * this kernel (landlock-lsm/linux#41): sendto/sendmsg/sendmmsg with MSG_FASTOPEN (also with the
 * upper 32 bits of flags set) and setsockopt(TCP_FASTOPEN_CONNECT) + connect + write, to a
 * port the driver listens on. With --net off all must be refused; mode "stdin" uses an
 * unconnected TCP socket the driver passed as fd 0, so only the filter's MSG_FASTOPEN rule
 * stands between the sandbox and the port. The driver checks that its listener saw no
 * connection. With --net on the data arrives: the positive control.
 *
 *	F02-tcp-fastopen PORT [stdin]
 */
#include <sys/syscall.h>

#include "net.h"

static const char data[] = "F02-FASTOPEN\n";

static int tfo_sendto(int fd, const struct sockaddr_in *a, unsigned long flags)
{
	long r = syscall(SYS_sendto, fd, data, sizeof(data) - 1, flags, a, sizeof(*a));
	return r < 0 ? errno : 0;
}

static int tfo_sendmsg(int fd, const struct sockaddr_in *a, bool mmsg)
{
	struct iovec iov = { (void *)data, sizeof(data) - 1 };
	struct mmsghdr mh = { .msg_hdr = { .msg_name = (void *)a,
					   .msg_namelen = sizeof(*a),
					   .msg_iov = &iov,
					   .msg_iovlen = 1 } };
	long r = mmsg ? sendmmsg(fd, &mh, 1, MSG_FASTOPEN) : sendmsg(fd, &mh.msg_hdr, MSG_FASTOPEN);
	return r < 0 ? errno : 0;
}

/* One attempt on a fresh socket (or on fd 0 in stdin mode, where the first success ends it). */
static bool next_socket(bool use_stdin, int *fd)
{
	if (use_stdin) {
		*fd = 0;
		return true;
	}
	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*fd < 0) {
		printf("held socket(AF_INET, SOCK_STREAM): %s\n", ename(errno));
		return false;
	}
	return true;
}

static void done(bool use_stdin, int fd)
{
	if (!use_stdin)
		close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "stdin") != 0))
		attack_usage("F02-tcp-fastopen PORT [stdin]");
	int port = parse_port(argv[1]);
	bool use_stdin = argc == 3;
	struct sockaddr_in a = loop4(port);
	int fd, one = 1;

	if (next_socket(use_stdin, &fd)) {
		must_fail("sendto(MSG_FASTOPEN, 127.0.0.1:PORT)", tfo_sendto(fd, &a, MSG_FASTOPEN));
		done(use_stdin, fd);
	}
	if (next_socket(use_stdin, &fd)) {
		must_fail("sendto(MSG_FASTOPEN|1<<32, 127.0.0.1:PORT)",
			  tfo_sendto(fd, &a, MSG_FASTOPEN | (1ul << 32)));
		done(use_stdin, fd);
	}
	if (next_socket(use_stdin, &fd)) {
		must_fail("sendmsg(MSG_FASTOPEN)", tfo_sendmsg(fd, &a, false));
		done(use_stdin, fd);
	}
	if (next_socket(use_stdin, &fd)) {
		must_fail("sendmmsg(MSG_FASTOPEN)", tfo_sendmsg(fd, &a, true));
		done(use_stdin, fd);
	}
	if (next_socket(use_stdin, &fd)) {
		int e = setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)) < 0
				? errno
				: 0;
		printf("setsockopt(TCP_FASTOPEN_CONNECT): %s\n", ename(e));
		e = connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ? errno : 0;
		if (e == 0)
			e = write(fd, data, sizeof(data) - 1) < 0 ? errno : 0;
		must_fail("TCP_FASTOPEN_CONNECT + connect + write", e);
		done(use_stdin, fd);
	}
	return attack_finish();
}
