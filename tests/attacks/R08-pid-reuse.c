/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R08: the requester dies while its approval is pending, and its pid comes back.
 *
 *  1. Child C opens FILE; the approver (outside) sees the request, creates ASKED and waits for
 *     GO before it answers "allow, once"; any later request for FILE it denies.
 *  2. We SIGKILL C and reap it, then cycle pids (thread creations, reading ns_last_pid) until a
 *     new child D gets C's pid (bounded: a few seconds; the pid space is shared with the host,
 *     so another process may take it first).
 *  3. We create GO: the supervisor now handles an approved request whose tid is D's. D's fd
 *     table must never receive FILE (checked through /proc/D/fd for a while).
 *  4. The supervisor keeps serving: FILE2 (approved at once) opens.
 *  5. The approval answered C's request, which is gone: it must not be spent by another
 *     request. We open FILE ourselves for a while; the approver denies every such request, so
 *     any fd is an approval applied to a request it was not given.
 *
 * usage: R08-pid-reuse FILE FILE2 ASKED GO [SECONDS]
 * Run bare, nothing blocks and FILE opens: exit 1.
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "attack.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void *nothing(void *arg)
{
	return arg;
}

static long read_last_pid(int fd)
{
	char b[32];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	return atol(b);
}

/* Fork until a child gets pid `want`; returns it (a child that waits to be killed), or -1. */
static pid_t recycle(pid_t want, double seconds)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		attack_note("ns_last_pid: %s: pid reuse not attempted", ename(errno));
		return -1;
	}
	double end = now_s() + seconds;
	unsigned long spent = 0;
	while (now_s() < end) {
		long last = read_last_pid(fd);
		if (last < 0)
			break;
		/* Far from it: cheap thread creations. Close: forks, since a pid in use just
		 * before want can make the counter jump over want-1. */
		if (last >= want || want - last > 64) {
			pthread_t t;
			if (pthread_create(&t, NULL, nothing, NULL) == 0) {
				pthread_join(t, NULL);
				spent++;
			}
			continue;
		}
		pid_t d = fork();
		if (d == 0) {
			alarm(10);
			for (;;)
				pause();
		}
		if (d == want) {
			attack_note("pid %d reused by a new child after %lu thread creations", (int)d,
				    spent);
			close(fd);
			return d;
		}
		kill(d, SIGKILL);
		waitpid(d, NULL, 0);
		spent++;
	}
	close(fd);
	attack_note("pid %d was not reused within %.1f s (%lu pids spent; other processes share "
		    "the pid space)", (int)want, seconds, spent);
	return -1;
}

/* Does process pid hold an fd on the object st? */
static bool holds(pid_t pid, const struct stat *st)
{
	DIR *d = opendir(pathf("/proc/%d/fd", (int)pid));
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat fst;
		if (e->d_name[0] == '.')
			continue;
		if (stat(pathf("/proc/%d/fd/%s", (int)pid, e->d_name), &fst) == 0 && same_inode(&fst, st))
			found = true;
	}
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		attack_usage("R08-pid-reuse FILE FILE2 ASKED GO [SECONDS]");
	const char *file = argv[1], *file2 = argv[2], *asked = argv[3], *go = argv[4];
	double seconds = argc > 5 ? atof(argv[5]) : 3;
	struct stat file_st;
	if (stat(file, &file_st) < 0)
		attack_not_applicable("stat %s: %s", file, ename(errno));

	pid_t c = fork();
	if (c == 0) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		printf("child: open returned %s\n", fd >= 0 ? "an fd" : ename(errno));
		_exit(0);
	}
	/* Wait until the approver has C's request (or C is done: no supervisor). */
	bool pending = false;
	double end = now_s() + 5;
	while (now_s() < end) {
		struct stat st;
		if (stat(asked, &st) == 0) {
			pending = true;
			break;
		}
		if (waitpid(c, NULL, WNOHANG) == c) {
			c = -1;
			break;
		}
		pause_ms(2);
	}
	pid_t d = -1;
	if (pending) {
		attack_note("child %d waits for its approval; killing it", (int)c);
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		d = recycle(c, seconds);
	} else {
		attack_note("the open did not wait for an approver (no supervisor?)");
		if (c > 0) {
			kill(c, SIGKILL);
			waitpid(c, NULL, 0);
		}
	}

	/* Let the approver answer; the supervisor must not serve D. */
	int gfd = open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (gfd >= 0)
		close(gfd);
	if (d > 0) {
		end = now_s() + 1.0;
		while (now_s() < end && !attack_leaks) {
			if (holds(d, &file_st))
				attack_leak("the recycled pid %d received an fd of FILE", (int)d);
			pause_ms(10);
		}
		kill(d, SIGKILL);
		waitpid(d, NULL, 0);
	}

	/* The supervisor keeps serving. */
	control("FILE2 (approved at once) opens after all this", try_open(file2, O_RDONLY));

	/* The approval was for C's request; nobody else may spend it. */
	end = now_s() + 1.0;
	unsigned long tries = 0;
	while (now_s() < end) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		tries++;
		if (fd >= 0) {
			attack_leak("pid %d opened FILE with the approval given for the dead pid %d's "
				    "request (the approver denied every request of ours)",
				    (int)getpid(), (int)c);
			close(fd);
			break;
		}
		if (errno != EACCES) {
			printf("WRONG open FILE afterwards: %s\n", ename(errno));
			attack_bad++;
			break;
		}
	}
	if (!attack_leaks)
		attack_note("%lu later opens of FILE, all denied", tries);
	return attack_finish();
}
