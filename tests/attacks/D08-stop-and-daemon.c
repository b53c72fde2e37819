/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D08: a sandboxed process stops itself with a request pending, and a double-forked daemon
 * detaches (setsid) to outlive the command.
 *	- child S: one thread opens SLOW (its approver takes a while), the main thread waits
 *	  until that thread is inside open() and SIGSTOPs the whole process;
 *	- meanwhile, a sibling request is served: FAST (approved at once) and FLOOR open;
 *	- a daemon (fork, setsid, fork) writes its pid to PIDFILE and sleeps;
 *	- we exit leaving S stopped and the daemon running: airlock must return promptly and
 *	  kill both (the driver checks PIDFILE's pid is gone).
 *
 * usage: D08-stop-and-daemon SLOW FAST FLOOR PIDFILE
 * Run bare: everything works, exit 0 (the driver kills the leftovers itself).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "attack.h"

static const char *slow;
static pid_t opener_tid;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *slow_open(void *arg)
{
	(void)arg;
	opener_tid = (pid_t)syscall(SYS_gettid);
	int fd = open(slow, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	for (;;)
		pause();
	return NULL;
}

/* Is thread tid of this process inside open()/openat() now? */
static bool in_open(pid_t tid)
{
	char b[128] = "";
	int fd = open(pathf("/proc/self/task/%d/syscall", (int)tid), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	b[n > 0 ? n : 0] = '\0';
	long nr = atol(b);
	return n > 0 && (nr == SYS_openat || nr == SYS_open);
}

int main(int argc, char **argv)
{
	if (argc < 5)
		attack_usage("D08-stop-and-daemon SLOW FAST FLOOR PIDFILE");
	slow = argv[1];
	const char *fast = argv[2], *floor_file = argv[3], *pidfile = argv[4];

	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		alarm(30);
		pthread_t t;
		pthread_create(&t, NULL, slow_open, NULL);
		double end = now_s() + 3;
		while (now_s() < end && !(opener_tid && in_open(opener_tid)))
			;
		kill(getpid(), SIGSTOP);
		for (;;)
			pause();
	}
	int st;
	double t0 = now_s();
	pid_t w = waitpid(s, &st, WUNTRACED);
	if (w == s && WIFSTOPPED(st))
		attack_note("child %d stopped itself %.3f s in, its open() pending", (int)s, now_s() - t0);
	else
		attack_note("child %d did not stop (status 0x%x)", (int)s, st);

	/* The supervisor is not blocked by it. */
	t0 = now_s();
	control("open FAST (approved at once) while the stopped child's request pends",
		try_open(fast, O_RDONLY));
	control("open FLOOR", try_open(floor_file, O_RDONLY));
	attack_note("served in %.3f s", now_s() - t0);

	/* A daemon: double fork, own session. */
	int p[2];
	if (pipe(p) < 0)
		attack_not_applicable("pipe: %s", ename(errno));
	fflush(stdout);
	pid_t m = fork();
	if (m == 0) {
		if (fork() == 0) {
			setsid();
			char b[32];
			int n = snprintf(b, sizeof(b), "%d\n", (int)getpid());
			int fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (fd >= 0) {
				if (write(fd, b, (size_t)n) < 0)
					_exit(1);
				close(fd);
			}
			close(p[0]);
			close(p[1]); /* tells the parent the pid file is there */
			for (int i = 0; i < 60; i++)
				sleep(1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	char c;
	if (read(p[0], &c, 1) < 0)
		attack_note("pipe: %s", ename(errno));
	close(p[0]);
	waitpid(m, NULL, 0);
	struct stat pst;
	control("the daemon wrote its pid file", stat(pidfile, &pst) < 0 ? errno : 0);
	printf("leaving child %d stopped and the daemon running\n", (int)s);
	return attack_finish();
}
