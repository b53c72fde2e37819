/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe: a multi-call "try one syscall" helper run inside sandboxes (bubblewrap's try-syscall).
 *
 * Every subcommand makes one attempt and prints one line: "ok" (sometimes followed by data) or
 * the errno name ("EACCES", "ENOENT", ...), and exits 0. Bad usage exits 2. Data read from
 * files or sockets is printed escaped: printable ASCII as is, other bytes (and '\') as \xNN.
 *
 *	probe open PATH [FLAGS]         FLAGS letters: r w a(O_APPEND) c(O_CREAT) t(O_TRUNC)
 *	                                x(O_EXCL) n(O_NOFOLLOW) d(O_DIRECTORY) p(O_PATH); default r
 *	probe read PATH                 "ok <first 64 bytes>"
 *	probe write PATH DATA           O_WRONLY|O_CREAT|O_TRUNC, mode 0644
 *	probe append PATH DATA          O_WRONLY|O_APPEND (no create)
 *	probe stat PATH                 "ok <octal mode> <size>" (lstat)
 *	probe ls DIR                    "ok <name> <name> ..." (in readdir order)
 *	probe readlink PATH             "ok <target>"
 *	probe mkdir PATH | rmdir PATH | unlink PATH
 *	probe rename A B | exchange A B (RENAME_EXCHANGE) | link A B | symlink TARGET LINK
 *	probe mkfifo PATH
 *	probe chmod PATH MODE | chown PATH UID GID | truncate PATH LEN | utime PATH
 *	probe utime-old PATH SECS | utimes-old PATH SECS   utime(2) / utimes(2): both times SECS
 *	probe setxattr PATH NAME VALUE [FLAGS]   FLAGS: c(XATTR_CREATE) r(XATTR_REPLACE) or a number
 *	probe lsetxattr PATH NAME VALUE | removexattr PATH NAME | lremovexattr PATH NAME
 *	probe getxattr PATH NAME        "ok <value>" (not trapped: to check what was written)
 *	probe bigxattr PATH NAME SIZE   setxattr of SIZE bytes of 'x'
 *	probe exec PATH [ARGS...]       fork + execv, output discarded; "ok" if the exec happened
 *	probe run PATH [ARGS...]        execv in place (prints only on failure)
 *	probe chdir-open DIR PATH       chdir(DIR) then open(PATH, O_RDONLY)
 *	probe connect-unix PATH         SOCK_STREAM; PATH "@name" is abstract
 *	probe sendto-unix PATH DATA     SOCK_DGRAM
 *	probe connect-tcp ADDR PORT     ADDR numeric IPv4 or IPv6
 *	probe sendto-udp ADDR PORT DATA
 *	probe bind-tcp ADDR PORT        bind + listen
 *	probe socket FAMILY TYPE PROTO  names (unix inet inet6 netlink packet vsock alg; stream
 *	                                dgram raw seqpacket; tcp udp icmp mptcp sctp) or numbers
 *	probe socketpair                socketpair(AF_UNIX, SOCK_STREAM)
 *	probe tiocsti FD [CHAR]         ioctl(FD, TIOCSTI, CHAR)
 *	probe kill PID SIG
 *	probe fds                       "ok <fd> <fd> ..." for open fds above 2
 *	probe env NAME                  "ok <value>" or ENOENT when unset
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>
#include <utime.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static const char *ename(int e)
{
	static char buf[16];
	const char *n = e ? strerrorname_np(e) : "ok";
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E#%d", e);
	return buf;
}

static void print_escaped(const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
}

/* Print the result line for a call that returned r (negative means errno is set). */
static int report(long r)
{
	puts(r < 0 ? ename(errno) : "ok");
	return 0;
}

static _Noreturn void usage(void)
{
	fputs("usage: probe SUBCOMMAND ARGS... (see tests/helpers/probe.c)\n", stderr);
	exit(2);
}

static long parse_long(const char *s, int base)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, base);
	if (errno || end == s || *end)
		usage();
	return v;
}

static int open_flags(const char *letters)
{
	int acc = -1, flags = 0;
	for (const char *p = letters; *p; p++) {
		switch (*p) {
		case 'r': acc = acc == O_WRONLY ? O_RDWR : (acc < 0 ? O_RDONLY : acc); break;
		case 'w': acc = acc == O_RDONLY ? O_RDWR : O_WRONLY; break;
		case 'a': flags |= O_APPEND; break;
		case 'c': flags |= O_CREAT; break;
		case 't': flags |= O_TRUNC; break;
		case 'x': flags |= O_EXCL; break;
		case 'n': flags |= O_NOFOLLOW; break;
		case 'd': flags |= O_DIRECTORY; break;
		case 'p': flags |= O_PATH; break;
		default: usage();
		}
	}
	if (acc < 0)
		acc = O_RDONLY;
	return acc | flags | O_CLOEXEC | O_NOCTTY;
}

static struct {
	const char *name;
	int value;
} const names[] = {
	{ "unix", AF_UNIX },
	{ "inet", AF_INET },
	{ "inet6", AF_INET6 },
	{ "netlink", AF_NETLINK },
	{ "packet", AF_PACKET },
	{ "vsock", AF_VSOCK },
	{ "alg", AF_ALG },
	{ "stream", SOCK_STREAM },
	{ "dgram", SOCK_DGRAM },
	{ "raw", SOCK_RAW },
	{ "seqpacket", SOCK_SEQPACKET },
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP },
	{ "mptcp", IPPROTO_MPTCP },
	{ "sctp", IPPROTO_SCTP },
};

static int parse_name(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].value;
	return (int)parse_long(s, 0);
}

static socklen_t unix_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len >= sizeof(sa->sun_path))
		usage();
	memcpy(sa->sun_path, path, len);
	if (path[0] == '@') {
		sa->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (socklen_t)sizeof(*sa);
}

static socklen_t inet_addr_of(const char *addr, const char *port, struct sockaddr_storage *ss)
{
	long p = parse_long(port, 10);
	memset(ss, 0, sizeof(*ss));
	if (p < 0 || p > 65535)
		usage();
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)p);
		return sizeof(*in);
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		return sizeof(*in6);
	}
	usage();
}

static int cmd_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return report(-1);
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return report(-1);
	}
	close(fd);
	fputs("ok ", stdout);
	print_escaped(buf, (size_t)n);
	putchar('\n');
	return 0;
}

static int cmd_write(const char *path, const char *data, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return report(-1);
	size_t len = strlen(data);
	ssize_t n = write(fd, data, len);
	int e = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? e : EIO;
		return report(-1);
	}
	return report(0);
}

static int cmd_ls(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	if (!d)
		return report(-1);
	fputs("ok", stdout);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		putchar(' ');
		print_escaped(de->d_name, strlen(de->d_name));
	}
	putchar('\n');
	closedir(d);
	return 0;
}

static int cmd_exec(char **argv)
{
	int p[2];
	int err = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return report(-1);
	pid_t pid = fork();
	if (pid < 0)
		return report(-1);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		err = errno;
		if (write(p[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read(p[0], &err, sizeof(err));
	close(p[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(err)) {
		errno = err;
		return report(-1);
	}
	return report(0);
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	if (!d)
		return report(-1);
	fputs("ok", stdout);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd > 2 && fd != dirfd(d))
			printf(" %d", fd);
	}
	putchar('\n');
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	char **a = argv + 2;
	int n = argc - 2;

#define NEED(k)                                                                                    \
	do {                                                                                       \
		if (n != (k))                                                                      \
			usage();                                                                   \
	} while (0)

	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(cmd, "open") == 0) {
		if (n != 1 && n != 2)
			usage();
		int fd = open(a[0], open_flags(n == 2 ? a[1] : "r"), 0644);
		if (fd >= 0)
			close(fd);
		return report(fd);
	}
	if (strcmp(cmd, "read") == 0) {
		NEED(1);
		return cmd_read(a[0]);
	}
	if (strcmp(cmd, "write") == 0) {
		NEED(2);
		return cmd_write(a[0], a[1], O_WRONLY | O_CREAT | O_TRUNC);
	}
	if (strcmp(cmd, "append") == 0) {
		NEED(2);
		return cmd_write(a[0], a[1], O_WRONLY | O_APPEND);
	}
	if (strcmp(cmd, "stat") == 0) {
		struct stat st;
		NEED(1);
		if (lstat(a[0], &st) < 0)
			return report(-1);
		printf("ok %o %lld\n", (unsigned)st.st_mode, (long long)st.st_size);
		return 0;
	}
	if (strcmp(cmd, "ls") == 0) {
		NEED(1);
		return cmd_ls(a[0]);
	}
	if (strcmp(cmd, "readlink") == 0) {
		char buf[4096];
		NEED(1);
		ssize_t len = readlink(a[0], buf, sizeof(buf));
		if (len < 0)
			return report(-1);
		fputs("ok ", stdout);
		print_escaped(buf, (size_t)len);
		putchar('\n');
		return 0;
	}
	if (strcmp(cmd, "mkdir") == 0) {
		NEED(1);
		return report(mkdir(a[0], 0755));
	}
	if (strcmp(cmd, "rmdir") == 0) {
		NEED(1);
		return report(rmdir(a[0]));
	}
	if (strcmp(cmd, "unlink") == 0) {
		NEED(1);
		return report(unlink(a[0]));
	}
	if (strcmp(cmd, "rename") == 0) {
		NEED(2);
		return report(rename(a[0], a[1]));
	}
	if (strcmp(cmd, "exchange") == 0) {
		NEED(2);
		return report(renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1], RENAME_EXCHANGE));
	}
	if (strcmp(cmd, "link") == 0) {
		NEED(2);
		return report(link(a[0], a[1]));
	}
	if (strcmp(cmd, "symlink") == 0) {
		NEED(2);
		return report(symlink(a[0], a[1]));
	}
	if (strcmp(cmd, "mkfifo") == 0) {
		NEED(1);
		return report(mkfifo(a[0], 0644));
	}
	if (strcmp(cmd, "chmod") == 0) {
		NEED(2);
		return report(chmod(a[0], (mode_t)parse_long(a[1], 8)));
	}
	if (strcmp(cmd, "chown") == 0) {
		NEED(3);
		return report(
			chown(a[0], (uid_t)parse_long(a[1], 10), (gid_t)parse_long(a[2], 10)));
	}
	if (strcmp(cmd, "truncate") == 0) {
		NEED(2);
		return report(truncate(a[0], (off_t)parse_long(a[1], 10)));
	}
	if (strcmp(cmd, "utime") == 0) {
		NEED(1);
		return report(utimensat(AT_FDCWD, a[0], NULL, 0));
	}
	if (strcmp(cmd, "utime-old") == 0) {
		NEED(2);
		struct utimbuf ub = { parse_long(a[1], 10), parse_long(a[1], 10) };
		return report((int)syscall(SYS_utime, a[0], &ub));
	}
	if (strcmp(cmd, "utimes-old") == 0) {
		NEED(2);
		struct timeval tv[2] = { { parse_long(a[1], 10), 500000 }, { parse_long(a[1], 10), 500000 } };
		return report((int)syscall(SYS_utimes, a[0], tv));
	}
	if (strcmp(cmd, "setxattr") == 0 || strcmp(cmd, "lsetxattr") == 0) {
		if (n != 3 && n != 4)
			usage();
		int fl = 0;
		if (n > 3)
			fl = !strcmp(a[3], "c") ? XATTR_CREATE : !strcmp(a[3], "r") ? XATTR_REPLACE
										 : (int)parse_long(a[3], 0);
		return report(cmd[0] == 'l' ? lsetxattr(a[0], a[1], a[2], strlen(a[2]), fl)
					    : setxattr(a[0], a[1], a[2], strlen(a[2]), fl));
	}
	if (strcmp(cmd, "removexattr") == 0 || strcmp(cmd, "lremovexattr") == 0) {
		NEED(2);
		return report(cmd[0] == 'l' ? lremovexattr(a[0], a[1]) : removexattr(a[0], a[1]));
	}
	if (strcmp(cmd, "getxattr") == 0) {
		NEED(2);
		char v[256];
		ssize_t len = getxattr(a[0], a[1], v, sizeof(v) - 1);
		if (len < 0)
			return report(-1);
		v[len] = '\0';
		printf("ok %s\n", v);
		return 0;
	}
	if (strcmp(cmd, "bigxattr") == 0) {
		NEED(3);
		size_t size = (size_t)parse_long(a[2], 10);
		char *v = malloc(size ? size : 1);
		if (!v)
			return report(-1);
		memset(v, 'x', size);
		int r = setxattr(a[0], a[1], v, size, 0);
		free(v);
		return report(r);
	}
	if (strcmp(cmd, "exec") == 0) {
		if (n < 1)
			usage();
		return cmd_exec(a);
	}
	if (strcmp(cmd, "run") == 0) {
		if (n < 1)
			usage();
		execv(a[0], a);
		return report(-1);
	}
	if (strcmp(cmd, "chdir-open") == 0) {
		NEED(2);
		if (chdir(a[0]) < 0)
			return report(-1);
		int fd = open(a[1], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd >= 0)
			close(fd);
		return report(fd);
	}
	if (strcmp(cmd, "connect-unix") == 0 || strcmp(cmd, "sendto-unix") == 0) {
		struct sockaddr_un sa;
		bool dgram = cmd[0] == 's';
		NEED(dgram ? 2 : 1);
		socklen_t len = unix_addr(a[0], &sa);
		int fd = socket(AF_UNIX, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return report(-1);
		long r = dgram ? sendto(fd, a[1], strlen(a[1]), 0, (struct sockaddr *)&sa, len)
			       : connect(fd, (struct sockaddr *)&sa, len);
		int e = errno;
		close(fd);
		errno = e;
		return report(r);
	}
	if (strcmp(cmd, "connect-tcp") == 0 || strcmp(cmd, "sendto-udp") == 0 ||
	    strcmp(cmd, "bind-tcp") == 0) {
		struct sockaddr_storage ss;
		bool udp = cmd[0] == 's';
		NEED(udp ? 3 : 2);
		socklen_t len = inet_addr_of(a[0], a[1], &ss);
		int fd = socket(ss.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return report(-1);
		long r;
		if (udp)
			r = sendto(fd, a[2], strlen(a[2]), 0, (struct sockaddr *)&ss, len);
		else if (cmd[0] == 'c')
			r = connect(fd, (struct sockaddr *)&ss, len);
		else
			r = bind(fd, (struct sockaddr *)&ss, len) < 0 ? -1 : listen(fd, 1);
		int e = errno;
		close(fd);
		errno = e;
		return report(r);
	}
	if (strcmp(cmd, "socket") == 0) {
		NEED(3);
		int fd =
			socket(parse_name(a[0]), parse_name(a[1]) | SOCK_CLOEXEC, parse_name(a[2]));
		if (fd >= 0)
			close(fd);
		return report(fd);
	}
	if (strcmp(cmd, "socketpair") == 0) {
		int sv[2];
		NEED(0);
		int r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		if (r == 0) {
			close(sv[0]);
			close(sv[1]);
		}
		return report(r);
	}
	if (strcmp(cmd, "tiocsti") == 0) {
		if (n != 1 && n != 2)
			usage();
		char c = n == 2 ? a[1][0] : '#';
		return report(ioctl((int)parse_long(a[0], 10), TIOCSTI, &c));
	}
	if (strcmp(cmd, "kill") == 0) {
		NEED(2);
		return report(kill((pid_t)parse_long(a[0], 10), (int)parse_long(a[1], 10)));
	}
	if (strcmp(cmd, "fds") == 0) {
		NEED(0);
		return cmd_fds();
	}
	if (strcmp(cmd, "env") == 0) {
		NEED(1);
		const char *v = getenv(a[0]);
		if (!v) {
			errno = ENOENT;
			return report(-1);
		}
		fputs("ok ", stdout);
		print_escaped(v, strlen(v));
		putchar('\n');
		return 0;
	}
	usage();
}
