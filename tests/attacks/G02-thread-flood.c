/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G02: N threads open as fast as they can for a while: nonexistent names in the project and
 * in $HOME (ENOENT), a floor file (opens), the secret (EACCES) and a file under "ask" with no
 * approver (EACCES). Under that load every call is answered, each with the right result: no
 * allow outside the policy, no spurious error. (The driver watches airlock's memory.)
 *
 * usage: G02-thread-flood PROJ HOME SECRET ASKED [SECONDS] [N]
 * Run bare, the secret and ASKED open: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "attack.h"

static const char *proj, *home, *secret, *asked;
static double end;
static atomic_ulong calls;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct res {
	unsigned long n, wrong;
	char first_wrong[256];
};

static void wrong(struct res *r, const char *what, int err, int want)
{
	if (r->wrong++ == 0)
		snprintf(r->first_wrong, sizeof(r->first_wrong), "%s: %s, expected %s", what,
			 ename(err), ename(want));
}

static void *worker(void *arg)
{
	struct res *r = arg;
	long tid = syscall(SYS_gettid);
	char p1[PATH_MAX], p2[PATH_MAX], fl[PATH_MAX];
	snprintf(fl, sizeof(fl), "%s/a.txt", proj);
	for (unsigned long i = 0; now_s() < end; i++) {
		snprintf(p1, sizeof(p1), "%s/nope-%ld-%lu", proj, tid, i);
		snprintf(p2, sizeof(p2), "%s/nope-%ld-%lu/x", home, tid, i);
		int e;
		if ((e = try_open(p1, O_RDONLY)) != ENOENT)
			wrong(r, "nonexistent in the project", e, ENOENT);
		if ((e = try_open(p2, O_RDONLY)) != ENOENT)
			wrong(r, "nonexistent in $HOME", e, ENOENT);
		if ((e = try_open(fl, O_RDONLY)) != 0)
			wrong(r, "the floor file", e, 0);
		if ((e = try_open(secret, O_RDONLY)) == 0) {
			attack_leak("the secret opened under load");
			break;
		} else if (e != EACCES) {
			wrong(r, "the secret", e, EACCES);
		}
		if ((e = try_open(asked, O_RDONLY)) == 0) {
			attack_leak("the file under \"ask\" opened without an approver, under load");
			break;
		} else if (e != EACCES) {
			wrong(r, "the file under \"ask\"", e, EACCES);
		}
		r->n += 5;
	}
	atomic_fetch_add(&calls, r->n);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		attack_usage("G02-thread-flood PROJ HOME SECRET ASKED [SECONDS] [N]");
	proj = argv[1];
	home = argv[2];
	secret = argv[3];
	asked = argv[4];
	double seconds = argc > 5 ? atof(argv[5]) : 2;
	int n = argc > 6 ? atoi(argv[6]) : 32;
	if (n < 1 || n > 256)
		attack_usage("N: 1..256");

	pthread_t t[256];
	struct res r[256];
	memset(r, 0, sizeof(r));
	end = now_s() + seconds;
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, &r[i]);
	unsigned long bad = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		bad += r[i].wrong;
		if (r[i].wrong)
			printf("WRONG thread %d: %lu wrong results, first: %s\n", i, r[i].wrong,
			       r[i].first_wrong);
	}
	double took = now_s() - t0;
	attack_note("%d threads, %lu calls answered in %.2f s (%.0f/s), %lu wrong", n,
		    (unsigned long)atomic_load(&calls), took, (double)atomic_load(&calls) / took, bad);
	if (bad)
		attack_bad++;
	control("calls were answered", atomic_load(&calls) ? 0 : ENOENT);
	return attack_finish();
}
