/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared bits of the attack programs (tests/attacks/<id>-<name>.c).
 *
 * An attack program runs inside a sandbox, tries one class of attack, prints one line per
 * attempt and exits with:
 *	0   the sandbox held (every attempt was denied, every positive control worked)
 *	1   the attack succeeded somewhere (a leak: "LEAK" lines say where)
 *	2   bad usage
 *	3   inconclusive: a positive control failed or a denial came with the wrong errno
 *	77  the attack cannot apply here (the reason is printed)
 * Anything read through a successful attack is printed (escaped), so the driver also finds the
 * canary in the output. Run bare (without airlock), most programs exit 1: that is the positive
 * control that proves they can detect what they look for.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTACK_HELD 0
#define ATTACK_LEAK 1
#define ATTACK_USAGE 2
#define ATTACK_INCONCLUSIVE 3
#define ATTACK_NOT_APPLICABLE 77

static int attack_leaks, attack_bad;

static inline const char *ename(int e)
{
	static char buf[16];
	if (e == 0)
		return "ok";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E#%d", e);
	return buf;
}

/* Print up to len bytes with everything but printable ASCII as \xNN. */
static inline void print_escaped(const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
}

static inline void attack_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void attack_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("note: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

/* An attempt that must fail: err is 0 if it succeeded, else its errno. */
static inline void must_fail(const char *what, int err)
{
	if (err == 0) {
		printf("LEAK %s: succeeded\n", what);
		attack_leaks++;
	} else {
		printf("held %s: %s\n", what, ename(err));
	}
	fflush(stdout);
}

/* An attempt that must fail with one of the listed errnos (0-terminated). A different errno is
 * not a leak but the wrong answer. */
static inline void must_fail_with(const char *what, int err, ...)
{
	va_list ap;
	int want;
	bool match = false;

	if (err == 0) {
		must_fail(what, err);
		return;
	}
	va_start(ap, err);
	while ((want = va_arg(ap, int)) != 0)
		if (want == err)
			match = true;
	va_end(ap);
	if (match) {
		printf("held %s: %s\n", what, ename(err));
	} else {
		printf("WRONG %s: %s is not the expected errno\n", what, ename(err));
		attack_bad++;
	}
	fflush(stdout);
}

/* A positive control: err must be 0. */
static inline void control(const char *what, int err)
{
	if (err == 0) {
		printf("control %s: ok\n", what);
	} else {
		printf("CONTROL FAILED %s: %s\n", what, ename(err));
		attack_bad++;
	}
	fflush(stdout);
}

/* Something that must have an exact result (errno, or 0). */
static inline void must_be(const char *what, int err, int want)
{
	if (err == want) {
		printf("as expected %s: %s\n", what, ename(err));
	} else if (err == 0) {
		must_fail(what, err);
	} else {
		printf("WRONG %s: %s, expected %s\n", what, ename(err), ename(want));
		attack_bad++;
	}
	fflush(stdout);
}

static inline void attack_leak(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void attack_leak(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("LEAK ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	attack_leaks++;
}

static inline int attack_finish(void)
{
	fflush(stdout);
	if (attack_leaks) {
		printf("result: %d leak(s)\n", attack_leaks);
		return ATTACK_LEAK;
	}
	if (attack_bad) {
		printf("result: inconclusive (%d control(s) failed or wrong errno)\n", attack_bad);
		return ATTACK_INCONCLUSIVE;
	}
	printf("result: held\n");
	return ATTACK_HELD;
}

static inline _Noreturn void attack_not_applicable(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline _Noreturn void attack_not_applicable(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("not applicable: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(ATTACK_NOT_APPLICABLE);
}

static inline _Noreturn void attack_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(ATTACK_USAGE);
}

/* printf into one of a ring of path buffers (valid for the next 15 calls). */
/* A ring of 16 buffers: not for concurrent threads. */
/* The one fd a supervised session gives every process on purpose: the SDK channel, named by
 * AIRLOCK_SOCKET_FD, an AF_UNIX SOCK_SEQPACKET socket (docs/protocol.md). Anything else
 * beyond 0-2 is a leak. */
static inline bool is_sdk_fd(int fd)
{
	const char *v = getenv("AIRLOCK_SOCKET_FD");
	int type = 0, domain = 0;
	socklen_t len = sizeof(int);
	if (!v || atoi(v) != fd || fd < 3)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET)
		return false;
	len = sizeof(int);
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_UNIX;
}

static inline const char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *pathf(const char *fmt, ...)
{
	static char buf[16][PATH_MAX + 64];
	static unsigned slot;
	char *b = buf[slot++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, PATH_MAX + 64, fmt, ap);
	va_end(ap);
	return b;
}

/* open(2) as 0-or-errno; *ret_fd receives the fd (or -1). */
static inline int try_openat(int dirfd, const char *path, int flags, int *ret_fd)
{
	int fd = openat(dirfd, path, flags | O_CLOEXEC, 0644);
	int e = fd < 0 ? errno : 0;
	if (ret_fd)
		*ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	return e;
}

static inline int try_open(const char *path, int flags)
{
	return try_openat(AT_FDCWD, path, flags, NULL);
}

/* Read through an fd and print what came (escaped) on a "  read:" line; for a successful attack
 * this puts the stolen bytes in front of the driver. */
static inline void dump_fd(int fd)
{
	char buf[128];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		printf("  read: %s\n", ename(errno));
		return;
	}
	fputs("  read: ", stdout);
	print_escaped(buf, (size_t)n);
	putchar('\n');
	fflush(stdout);
}

/* Try to open and read path; must fail. On success the content is printed and it is a leak. */
static inline void must_not_read_at(const char *what, int dirfd, const char *path, int flags)
{
	int fd;
	int e = try_openat(dirfd, path, flags | O_RDONLY | O_NOCTTY | O_NONBLOCK, &fd);
	must_fail(what, e);
	if (fd >= 0) {
		dump_fd(fd);
		close(fd);
	}
}

static inline void must_not_read(const char *what, const char *path)
{
	must_not_read_at(what, AT_FDCWD, path, 0);
}

/* Read path; must succeed (a positive control). */
static inline void must_read(const char *what, const char *path)
{
	control(what, try_open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK));
}

static inline bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The parent of the sandboxed program is normally airlock itself; say so if not. */
static inline void check_supervisor_pid(pid_t sup)
{
	char buf[64] = "";
	FILE *f = fopen(pathf("/proc/%d/comm", (int)sup), "re");
	if (!f)
		attack_not_applicable("supervisor pid %d: no /proc entry (%s)", (int)sup,
				      ename(errno));
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	attack_note("supervisor pid %d (%s), my parent %d, me %d", (int)sup, buf, (int)getppid(),
		    (int)getpid());
}
