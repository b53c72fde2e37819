/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * open-loop: cost of open()+close() per file, measured inside the current process.
 *
 *   open-loop [--passes P] DIR
 *
 * Collects the regular files under DIR (recursively, names only, before timing starts), then makes
 * P passes over the list, each calling openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC) and close() on
 * every file.  The first pass is a warm-up (dentry cache; under a supervisor, the first approval
 * of an "ask" directory) and not counted.  Run it bare and under a sandbox to get the per-open
 * overhead of the sandbox (Landlock's path walk, a seccomp filter, a supervisor round trip).
 *
 * Two kinds of figures, both in µs per open+close:
 *  - per pass: each pass is timed as a whole with CLOCK_MONOTONIC and divided by the number of
 *    files (median_us, p10_us, p90_us, min_us are over the P passes): the throughput figure;
 *  - per operation: every open+close is timed on its own (two clock_gettime() calls, vDSO, about
 *    20 ns each with the TSC clocksource; the same in every variant, so it cancels in a delta),
 *    and op_p50_us, op_p90_us, op_p99_us, op_max_us are over all N*P timed operations: the
 *    latency distribution, where a supervisor's occasional slow answer (a cross-CPU wake-up, a
 *    preemption) shows in p99 while the pass figure averages it away.
 *
 * Output, one machine-readable line on stdout:
 *
 *   open-loop files=N passes=P fails=K median_us=X p10_us=X p90_us=X min_us=X
 *             op_p50_us=X op_p90_us=X op_p99_us=X op_max_us=X
 *
 * (on one line).  Exit status 0, or 1 if any open failed, 2 on a usage or system error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char **paths;
static size_t npaths, cap;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (npaths == cap) {
		cap = cap ? cap * 2 : 1024;
		char **n = realloc(paths, cap * sizeof(*paths));
		if (!n)
			return -1;
		paths = n;
	}
	paths[npaths] = strdup(path);
	if (!paths[npaths])
		return -1;
	npaths++;
	return 0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Linearly interpolated percentile of a sorted float array. */
static double pctf(const float *v, size_t n, double p)
{
	if (n == 1)
		return v[0];
	double pos = p * (double)(n - 1);
	size_t lo = (size_t)pos;
	if (lo >= n - 1)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo);
}

static double pct(const double *v, long n, double p)
{
	if (n == 1)
		return v[0];
	double pos = p * (double)(n - 1);
	long lo = (long)pos;
	if (lo >= n - 1)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * (pos - (double)lo);
}

int main(int argc, char **argv)
{
	long passes = 10;
	int i = 1;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
			char *end;
			passes = strtol(argv[++i], &end, 10);
			if (*end || passes < 1) {
				fprintf(stderr, "open-loop: bad --passes\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			break;
		}
	}
	if (i != argc - 1) {
		fputs("usage: open-loop [--passes P] DIR\n", stderr);
		return 2;
	}
	if (nftw(argv[i], collect, 32, FTW_PHYS) != 0) {
		fprintf(stderr, "open-loop: walking %s: %s\n", argv[i], strerror(errno));
		return 2;
	}
	if (npaths == 0) {
		fprintf(stderr, "open-loop: no regular files under %s\n", argv[i]);
		return 2;
	}

	double *per = calloc((size_t)passes, sizeof(double));
	size_t nops = npaths * (size_t)passes;
	float *op = malloc(nops * sizeof(float)); /* every timed open+close, µs */
	if (!per || !op) {
		fputs("open-loop: out of memory\n", stderr);
		return 2;
	}
	size_t k_op = 0;
	long fails = 0;
	int first_errno = 0;
	for (long p = -1; p < passes; p++) { /* pass -1 is the warm-up */
		double t0 = now_us();
		for (size_t k = 0; k < npaths; k++) {
			double o0 = now_us();
			int fd = openat(AT_FDCWD, paths[k], O_RDONLY | O_CLOEXEC);
			int err = errno;
			if (fd >= 0)
				close(fd);
			double o1 = now_us();
			if (p < 0)
				continue;
			op[k_op++] = (float)(o1 - o0);
			if (fd < 0) {
				fails++;
				if (!first_errno)
					first_errno = err;
			}
		}
		double t1 = now_us();
		if (p >= 0)
			per[p] = (t1 - t0) / (double)npaths;
	}
	qsort(per, (size_t)passes, sizeof(double), cmp_double);
	qsort(op, k_op, sizeof(float), cmp_float);
	printf("open-loop files=%zu passes=%ld fails=%ld median_us=%.3f p10_us=%.3f p90_us=%.3f "
	       "min_us=%.3f op_p50_us=%.3f op_p90_us=%.3f op_p99_us=%.3f op_max_us=%.3f\n",
	       npaths, passes, fails, pct(per, passes, 0.5), pct(per, passes, 0.1),
	       pct(per, passes, 0.9), per[0], pctf(op, k_op, 0.5), pctf(op, k_op, 0.9),
	       pctf(op, k_op, 0.99), op[k_op - 1]);
	if (fails) {
		fprintf(stderr, "open-loop: %ld opens failed (first: %s)\n", fails, strerror(first_errno));
		return 1;
	}
	return 0;
}
