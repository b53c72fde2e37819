/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G06: "never blocks on one request". We listen on a Unix socket in the project with a backlog
 * of 0 and never accept, then N threads connect() to it with blocking sockets: all but the
 * first wait for room in the backlog. The supervisor performs connect() for the sandbox; if it
 * does so on a worker thread, each of these waits takes a worker, and with the workers gone
 * every trapped call of the sandbox hangs. A plain open() of FLOOR must still return within a
 * few seconds.
 *
 * usage: G06-unix-backlog SOCKPATH FLOOR [N]
 * Run bare, the connects wait in our own threads and the open works: exit 0.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "attack.h"

static struct sockaddr_un addr = { .sun_family = AF_UNIX };
static atomic_int in_connect;
static int syscall_fds[64]; /* each connector's /proc/thread-self/syscall, opened before */
static const char *floor_file;
static atomic_int open_result = -1;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *connector(void *arg)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return NULL;
	/* Opened now: once the workers are stuck, an open() would not return. */
	syscall_fds[(intptr_t)arg] = open("/proc/thread-self/syscall", O_RDONLY | O_CLOEXEC);
	atomic_fetch_add(&in_connect, 1);
	connect(s, (struct sockaddr *)&addr, sizeof(addr));
	for (;;)
		pause();
	return NULL;
}

/* Is the thread whose syscall file is fd inside syscall nr now? */
static int in_syscall(int fd, long nr)
{
	char b[128] = "";
	if (fd < 0)
		return 0;
	ssize_t k = pread(fd, b, sizeof(b) - 1, 0);
	b[k > 0 ? k : 0] = '\0';
	return k > 0 && atol(b) == nr;
}

static void *opener(void *arg)
{
	(void)arg;
	atomic_store(&open_result, try_open(floor_file, O_RDONLY));
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("G06-unix-backlog SOCKPATH FLOOR [N]");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", argv[1]);
	floor_file = argv[2];
	int n = argc > 3 ? atoi(argv[3]) : 4;

	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		attack_not_applicable("socket(AF_UNIX): %s", ename(errno));
	unlink(argv[1]);
	if (bind(l, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(l, 0) < 0)
		attack_not_applicable("bind/listen %s: %s", argv[1], ename(errno));

	pthread_t t;
	if (n < 2 || n > 64)
		attack_usage("N: 2..64");
	for (int i = 0; i < n; i++)
		pthread_create(&t, NULL, connector, (void *)(intptr_t)i);
	/* Wait until every thread is inside connect() (its /proc syscall file says so), then a
	 * little more for the supervisor to take the requests: waiting longer can only make
	 * the check below harder to pass. */
	double end = now_s() + 2;
	int inside = 0;
	while (now_s() < end && inside < n) {
		inside = 0;
		for (int i = 0; i < n && atomic_load(&in_connect) == n; i++)
			inside += in_syscall(syscall_fds[i], SYS_connect);
	}
	attack_note("%d of %d threads inside connect()", inside, n);
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);

	double t0 = now_s();
	pthread_create(&t, NULL, opener, NULL);
	end = t0 + 3;
	while (atomic_load(&open_result) < 0 && now_s() < end) {
		struct timespec p = { 0, 5 * 1000 * 1000 };
		nanosleep(&p, NULL);
	}
	int res = atomic_load(&open_result);
	if (res < 0) {
		printf("WRONG open(FLOOR) did not return within 3 s while %d connect()s wait for a full "
		       "backlog: the supervisor is blocked\n", n - 1);
		attack_bad++;
	} else {
		control("open(FLOOR) while connects wait for a full backlog", res);
		attack_note("open returned after %.3f s", now_s() - t0);
	}
	/* Leave without waiting for anything: exit_group kills the waiting threads. */
	int code = attack_finish();
	fflush(stdout);
	_exit(code);
}
