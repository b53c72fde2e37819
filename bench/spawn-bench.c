/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn-bench: time fork + exec + wait of a command, many times.
 *
 *   spawn-bench [--runs N] [--warmup W] [--label NAME]... -- CMD [ARGS...] [--- CMD2 [ARGS...]]...
 *
 * Each run forks, execs CMD with stdin, stdout and stderr on /dev/null, and waits for it; the wall
 * time from just before fork() to just after waitpid() is taken with CLOCK_MONOTONIC.  Several
 * commands may be given, separated by "---"; they are then run round-robin (warm-ups too), so
 * slow drift of the machine (frequency, page cache, other load) spreads evenly over all of them
 * and their ratios come from one run.
 *
 * For every command one machine-readable line is printed on stdout:
 *
 *   spawn-bench label=NAME runs=N fails=K median_us=X p10_us=X p90_us=X mean_us=X min_us=X max_us=X
 *
 * Percentiles are linearly interpolated between order statistics.  A run "fails" when the command
 * does not exit with status 0; failed runs are still timed.  Exit status: 0 if every run of every
 * command succeeded, 1 if any failed, 2 on a usage or system error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16

struct cmd {
	char **argv;
	const char *label;
	double *us;
	long fails;
	int last_status;
};

static void usage(FILE *f)
{
	fputs("usage: spawn-bench [--runs N] [--warmup W] [--label NAME]... "
	      "-- CMD [ARGS...] [--- CMD2 [ARGS...]]...\n", f);
}

static long parse_count(const char *opt, const char *s, long min)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min) {
		fprintf(stderr, "spawn-bench: bad value for %s: '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One fork/exec/wait; returns the elapsed µs, stores the wait status. */
static double run_once(char **argv, int devnull, int *status)
{
	double t0 = now_us();
	pid_t pid = fork();
	if (pid < 0) {
		perror("spawn-bench: fork");
		exit(2);
	}
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			perror("spawn-bench: waitpid");
			exit(2);
		}
	}
	double t1 = now_us();
	*status = st;
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Linearly interpolated percentile of a sorted array. */
static double pct(const double *v, long n, double p)
{
	if (n == 1)
		return v[0];
	double pos = p * (double)(n - 1);
	long lo = (long)pos;
	if (lo >= n - 1)
		return v[n - 1];
	double frac = pos - (double)lo;
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

int main(int argc, char **argv)
{
	long runs = 100, warmup = 5;
	const char *labels[MAX_CMDS];
	int nlabels = 0;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--runs") == 0 && i + 1 < argc) {
			runs = parse_count(a, argv[++i], 1);
		} else if (strcmp(a, "--warmup") == 0 && i + 1 < argc) {
			warmup = parse_count(a, argv[++i], 0);
		} else if (strcmp(a, "--label") == 0 && i + 1 < argc) {
			if (nlabels == MAX_CMDS) {
				fprintf(stderr, "spawn-bench: at most %d labels\n", MAX_CMDS);
				return 2;
			}
			labels[nlabels++] = argv[++i];
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "spawn-bench: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}

	/* Split the rest at "---" into commands (argv is ours to NULL-terminate in place). */
	struct cmd cmds[MAX_CMDS];
	int ncmds = 0;
	while (i < argc) {
		if (ncmds == MAX_CMDS) {
			fprintf(stderr, "spawn-bench: at most %d commands\n", MAX_CMDS);
			return 2;
		}
		int start = i;
		while (i < argc && strcmp(argv[i], "---") != 0)
			i++;
		if (i == start) {
			fprintf(stderr, "spawn-bench: empty command\n");
			return 2;
		}
		struct cmd *c = &cmds[ncmds];
		memset(c, 0, sizeof(*c));
		c->argv = &argv[start];
		c->label = ncmds < nlabels ? labels[ncmds] : argv[start];
		c->us = calloc((size_t)runs, sizeof(double));
		if (!c->us) {
			perror("spawn-bench: calloc");
			return 2;
		}
		ncmds++;
		if (i < argc) {
			argv[i] = NULL; /* the "---" */
			i++;
			if (i == argc) {
				fprintf(stderr, "spawn-bench: empty command after ---\n");
				return 2;
			}
		}
	}

	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("spawn-bench: /dev/null");
		return 2;
	}

	for (long r = 0; r < warmup; r++)
		for (int c = 0; c < ncmds; c++) {
			int st;
			run_once(cmds[c].argv, devnull, &st);
		}

	for (long r = 0; r < runs; r++)
		for (int c = 0; c < ncmds; c++) {
			int st;
			cmds[c].us[r] = run_once(cmds[c].argv, devnull, &st);
			if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
				cmds[c].fails++;
				cmds[c].last_status = st;
			}
		}

	int rc = 0;
	for (int c = 0; c < ncmds; c++) {
		struct cmd *cm = &cmds[c];
		double sum = 0;
		for (long r = 0; r < runs; r++)
			sum += cm->us[r];
		qsort(cm->us, (size_t)runs, sizeof(double), cmp_double);
		printf("spawn-bench label=%s runs=%ld fails=%ld median_us=%.1f p10_us=%.1f p90_us=%.1f "
		       "mean_us=%.1f min_us=%.1f max_us=%.1f\n",
		       cm->label, runs, cm->fails, pct(cm->us, runs, 0.5), pct(cm->us, runs, 0.1),
		       pct(cm->us, runs, 0.9), sum / (double)runs, cm->us[0], cm->us[runs - 1]);
		if (cm->fails) {
			int st = cm->last_status;
			if (WIFEXITED(st))
				fprintf(stderr, "spawn-bench: %s: %ld/%ld runs failed (last: exit %d)\n",
					cm->label, cm->fails, runs, WEXITSTATUS(st));
			else
				fprintf(stderr, "spawn-bench: %s: %ld/%ld runs failed (last: signal %d)\n",
					cm->label, cm->fails, runs, WTERMSIG(st));
			rc = 1;
		}
		free(cm->us);
	}
	fflush(stdout);
	return rc;
}
