/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G04: a brokered open into a full fd table. We fill our table up to RLIMIT_NOFILE (set low),
 * then open GRANTED (approved for the session, so the supervisor opens it and injects the
 * fd) ROUNDS times: each must fail with EMFILE, and our table must not grow. Then we free one
 * slot and the open works. The driver counts airlock's own fds between READY and DONE: the
 * supervisor must close its copy every time.
 *
 * Handshake with the driver (files it polls for and creates; every wait is bounded):
 *	we create READY, wait for GO; run the rounds; create DONE, wait for END.
 *
 * usage: G04-fd-exhaustion GRANTED READY GO DONE END [ROUNDS]
 * Run bare: EMFILE as well, exit 0.
 */
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#include "attack.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	else
		attack_note("create %s: %s", path, ename(errno));
}

static bool wait_for(const char *path, double seconds)
{
	double end = now_s() + seconds;
	struct stat st;
	while (now_s() < end) {
		if (stat(path, &st) == 0)
			return true;
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Open fds, counted by fcntl (no fd of its own needed). */
static int count_fds(int limit)
{
	int n = 0;
	for (int fd = 0; fd < limit; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int main(int argc, char **argv)
{
	if (argc < 6)
		attack_usage("G04-fd-exhaustion GRANTED READY GO DONE END [ROUNDS]");
	const char *granted = argv[1], *ready = argv[2], *go = argv[3], *done = argv[4], *end = argv[5];
	int rounds = argc > 6 ? atoi(argv[6]) : 20;
	const int limit = 64;

	control("open GRANTED (approved for the session)", try_open(granted, O_RDONLY));
	struct rlimit rl = { limit, limit };
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		attack_not_applicable("setrlimit(RLIMIT_NOFILE): %s", ename(errno));

	/* The handshake files are opened now, while there is room; keep their names. */
	touch(ready);
	if (!wait_for(go, 10))
		attack_note("no GO from the driver; going on");

	int filled = 0;
	while (dup(0) >= 0)
		filled++;
	int e = errno;
	must_be("dup() until the table is full", e, EMFILE);
	int before = count_fds(limit);

	int emfile = 0;
	for (int i = 0; i < rounds; i++) {
		int fd = open(granted, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			printf("WRONG round %d: open returned fd %d in a full table\n", i, fd);
			attack_bad++;
			close(fd);
		} else if (errno == EMFILE) {
			emfile++;
		} else {
			printf("WRONG round %d: open failed with %s, expected EMFILE\n", i, ename(errno));
			attack_bad++;
		}
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
		fd = (int)syscall(SYS_openat2, AT_FDCWD, granted, &how, sizeof(how));
		if (fd >= 0) {
			printf("WRONG round %d: openat2 returned fd %d in a full table\n", i, fd);
			attack_bad++;
			close(fd);
		} else if (errno != EMFILE) {
			printf("WRONG round %d: openat2 failed with %s, expected EMFILE\n", i, ename(errno));
			attack_bad++;
		}
	}
	int after = count_fds(limit);
	attack_note("%d fds filled; %d of %d opens said EMFILE; table %d -> %d", filled, emfile, rounds,
		    before, after);
	if (after != before) {
		printf("WRONG our fd table changed: %d -> %d\n", before, after);
		attack_bad++;
	}
	/* One free slot: the grant works again. */
	for (int fd = limit - 1; fd > 2; fd--)
		if (fcntl(fd, F_GETFD) >= 0) {
			close(fd);
			break;
		}
	control("open GRANTED with a free slot", try_open(granted, O_RDONLY));
	/* Make room for the handshake. */
	for (int fd = 3; fd < 3 + 8; fd++)
		close(fd);
	touch(done);
	if (!wait_for(end, 10))
		attack_note("no END from the driver");
	return attack_finish();
}
