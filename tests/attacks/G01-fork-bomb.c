/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G01: a (bounded) fork bomb. RLIMIT_NPROC is set to what this uid runs now plus CAP (the
 * kernel does not apply it to root, so a shared counter also stops at CAP processes); every
 * bomb process forks until either limit says no, then waits. At its peak, we use the
 * supervisor: FLOOR (CONTINUE) and GRANTED (brokered) opens must all work. Then we exit and
 * leave the bomb behind: airlock must kill and reap all of it (the driver looks for any
 * process with TOKEN in its command line afterwards).
 *
 * usage: G01-fork-bomb FLOOR GRANTED TOKEN [CAP]
 * Run bare: everything works, exit 0 (the driver kills the bomb itself).
 */
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "attack.h"

struct shared {
	atomic_int forked, failed;
	int last_errno;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Processes of our real uid now (a scan of /proc; approximate, which is fine). */
static long count_uid_procs(void)
{
	DIR *d = opendir("/proc");
	long n = 0;
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		if (stat(pathf("/proc/%s", e->d_name), &st) == 0 && st.st_uid == getuid())
			n++;
	}
	closedir(d);
	return n;
}

static _Noreturn void bomb(struct shared *sh, int cap)
{
	alarm(30); /* whatever happens, nothing of ours lives on for long */
	for (;;) {
		if (atomic_fetch_add(&sh->forked, 1) >= cap) {
			atomic_fetch_sub(&sh->forked, 1);
			break;
		}
		pid_t p = fork();
		if (p == 0) {
			alarm(30);
			continue;
		}
		if (p < 0) {
			atomic_fetch_sub(&sh->forked, 1);
			atomic_fetch_add(&sh->failed, 1);
			sh->last_errno = errno;
			break;
		}
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc < 4)
		attack_usage("G01-fork-bomb FLOOR GRANTED TOKEN [CAP]");
	const char *floor_file = argv[1], *granted = argv[2];
	int cap = argc > 4 ? atoi(argv[4]) : 200;

	control("open GRANTED before the bomb (and have it approved)", try_open(granted, O_RDONLY));

	long now = count_uid_procs();
	if (getuid() != 0 && now >= 0) {
		struct rlimit rl = { (rlim_t)(now + cap), (rlim_t)(now + cap) };
		if (setrlimit(RLIMIT_NPROC, &rl) < 0)
			attack_note("setrlimit(RLIMIT_NPROC): %s", ename(errno));
		else
			attack_note("RLIMIT_NPROC = %ld (%ld processes of uid %d now + %d)", now + cap, now,
				    (int)getuid(), cap);
	}

	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				 -1, 0);
	if (sh == MAP_FAILED)
		attack_not_applicable("mmap: %s", ename(errno));
	fflush(stdout);
	pid_t b = fork();
	if (b == 0)
		bomb(sh, cap);
	double t0 = now_s();
	while (now_s() < t0 + 5 && atomic_load(&sh->forked) < cap && atomic_load(&sh->failed) == 0) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	attack_note("bomb: %d processes in %.2f s, %d forks refused (%s)", atomic_load(&sh->forked),
		    now_s() - t0, atomic_load(&sh->failed), ename(sh->last_errno));

	/* At the peak, the supervisor still answers. */
	double worst = 0;
	int floor_bad = 0, granted_bad = 0, floor_err = 0, granted_err = 0;
	for (int i = 0; i < 100; i++) {
		double s = now_s();
		int e = try_open(floor_file, O_RDONLY);
		if (e) {
			floor_bad++;
			floor_err = e;
		}
		e = try_open(granted, O_RDONLY);
		if (e) {
			granted_bad++;
			granted_err = e;
		}
		if (now_s() - s > worst)
			worst = now_s() - s;
	}
	control("100 FLOOR opens during the bomb", floor_bad ? floor_err : 0);
	control("100 GRANTED opens during the bomb", granted_bad ? granted_err : 0);
	attack_note("slowest pair of opens: %.1f ms", worst * 1000);
	printf("leaving the bomb behind\n");
	return attack_finish();
}
