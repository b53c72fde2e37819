/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R07: a storm of SIGUSR1 at a thread blocked in a brokered open that waits for an approver.
 * Each round, a thread calls open(DIR/r07-<mode>-<i>, O_CREAT | O_EXCL | O_WRONLY) on a name that
 * does not exist (the approver allows it after a while) and the main thread pthread_kill()s it
 * with SIGUSR1 until the call returns. Afterwards:
 *	- an fd: the file exists and is that fd's object (created once, by this call);
 *	- EEXIST: wrong, nobody else created it (a duplicate create: the call was restarted
 *	  after the supervisor had created the file for its first notification);
 *	- EINTR (no SA_RESTART only): the file must not exist;
 *	- the call returns within a bound (no hang), and /proc/self/fd counts the same fds
 *	  before and after (no fd leaked into the process).
 *
 * usage: R07-signal-storm DIR restart|norestart [ROUNDS]
 * Run bare, the opens succeed at once: exit 0 (there is nothing to leak; the driver only
 * checks the bare run works).
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

static atomic_ulong handled;
static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

struct round {
	const char *path;
	int fd, err;
	atomic_bool done;
};

static void *creator(void *arg)
{
	struct round *r = arg;
	r->fd = open(r->path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	r->err = r->fd < 0 ? errno : 0;
	atomic_store(&r->done, true);
	return NULL;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", "..", and the DIR's own fd */
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("R07-signal-storm DIR restart|norestart [ROUNDS]");
	const char *dir = argv[1];
	bool restart = strcmp(argv[2], "restart") == 0;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;

	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	int fds_before = count_fds();
	for (int i = 0; i < rounds; i++) {
		struct round r = { .path = pathf("%s/r07-%s-%d", dir, argv[2], i), .fd = -1 };
		struct stat st;
		if (lstat(r.path, &st) == 0)
			attack_not_applicable("%s exists already", r.path);
		pthread_t t;
		pthread_create(&t, NULL, creator, &r);
		unsigned long sent = 0;
		double end = now_s() + 10;
		while (!atomic_load(&r.done) && now_s() < end) {
			pthread_kill(t, SIGUSR1);
			sent++;
		}
		if (!atomic_load(&r.done)) {
			printf("WRONG round %d: open() still blocked after 10 s of signals\n", i);
			attack_bad++;
			fflush(stdout);
			return attack_finish(); /* the thread is stuck; leave it */
		}
		pthread_join(t, NULL);
		bool exists = lstat(r.path, &st) == 0;
		attack_note("round %d: %lu signals sent, open: %s, file %s", i, sent,
			    r.fd >= 0 ? "fd" : ename(r.err), exists ? "exists" : "absent");
		if (r.fd >= 0) {
			struct stat fst;
			if (fstat(r.fd, &fst) < 0 || !exists || !same_inode(&fst, &st)) {
				printf("WRONG round %d: the fd is not the created file\n", i);
				attack_bad++;
			}
			close(r.fd);
		} else if (r.err == EEXIST) {
			printf("WRONG round %d: EEXIST for a name nobody else created (a duplicate "
			       "create: the call ran twice)\n", i);
			attack_bad++;
		} else if (r.err == EINTR && !restart) {
			if (exists) {
				printf("WRONG round %d: EINTR, yet the file was created\n", i);
				attack_bad++;
			}
		} else {
			printf("WRONG round %d: open failed with %s\n", i, ename(r.err));
			attack_bad++;
		}
		fflush(stdout);
	}
	int fds_after = count_fds();
	attack_note("%lu signals handled; fds before %d, after %d", (unsigned long)atomic_load(&handled),
		    fds_before, fds_after);
	if (fds_after != fds_before) {
		printf("WRONG fd count changed: %d -> %d (an fd was injected and lost)\n", fds_before,
		       fds_after);
		attack_bad++;
	}
	return attack_finish();
}
