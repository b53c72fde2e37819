/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G03/G05: N requests that need an approver, all at once (one thread each, released
 * together), with an approver that takes its time and allows. At most MAX wait for approvers
 * at a time; the rest are denied at once with EACCES (overload denies, never allows), and
 * every call returns: the approved ones with an fd of their own file, the others EACCES.
 *
 * usage: G03-approval-flood DIR N MAX
 *	DIR/g<K> for K < N exist, each holding "g<K>\n".
 * Run bare, all N open at once: more than MAX, exit 3.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

static const char *dir;
static atomic_int ready;
static int n;

struct req {
	int k, err;
	bool right;
	double took;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *one(void *arg)
{
	struct req *q = arg;
	char path[PATH_MAX], want[32], got[32] = "";
	snprintf(path, sizeof(path), "%s/g%d", dir, q->k);
	snprintf(want, sizeof(want), "g%d\n", q->k);
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < n)
		;
	double t0 = now_s();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	q->took = now_s() - t0;
	q->err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		ssize_t r = read(fd, got, sizeof(got) - 1);
		got[r > 0 ? r : 0] = '\0';
		q->right = strcmp(got, want) == 0;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		attack_usage("G03-approval-flood DIR N MAX");
	dir = argv[1];
	n = atoi(argv[2]);
	int max = atoi(argv[3]);
	if (n < 1 || n > 1000)
		attack_usage("N: 1..1000");

	pthread_t *t = calloc((size_t)n, sizeof(*t));
	struct req *q = calloc((size_t)n, sizeof(*q));
	double t0 = now_s();
	for (int k = 0; k < n; k++) {
		q[k].k = k;
		if (pthread_create(&t[k], NULL, one, &q[k]) != 0)
			attack_not_applicable("pthread_create %d: %s", k, ename(errno));
	}
	int opened = 0, denied = 0, other = 0, other_err = 0, mixed = 0;
	double slowest_denial = 0;
	for (int k = 0; k < n; k++) {
		pthread_join(t[k], NULL);
		if (q[k].err == 0) {
			opened++;
			if (!q[k].right)
				mixed++;
		} else if (q[k].err == EACCES) {
			denied++;
			if (q[k].took > slowest_denial)
				slowest_denial = q[k].took;
		} else {
			other++;
			other_err = q[k].err;
		}
	}
	attack_note("%d requests in %.2f s: %d approved and opened, %d denied (slowest denial %.2f s), "
		    "%d other (%s)",
		    n, now_s() - t0, opened, denied, slowest_denial, other, ename(other_err));
	printf("opened %d\n", opened);
	if (opened > max) {
		printf("WRONG %d requests were approved, more than the %d that may wait for approvers "
		       "at once (all were sent together; the approver takes its time)\n", opened, max);
		attack_bad++;
	}
	if (mixed) {
		printf("WRONG %d fds were of another request's file\n", mixed);
		attack_bad++;
	}
	if (other) {
		printf("WRONG %d requests failed with %s, not EACCES\n", other, ename(other_err));
		attack_bad++;
	}
	control("some requests were approved", opened ? 0 : ENOENT);
	if (n > max)
		control("the overflow was denied", denied ? 0 : ENOENT);
	return attack_finish();
}
