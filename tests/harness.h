/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small kselftest-like harness: tests register themselves with TEST(name), each runs in its
 * own forked child (sandboxes are irreversible) under a timeout, and results are printed as TAP.
 *
 *	TEST(open_denied) {
 *		ASSERT_EQ(EACCES, try_open(...));
 *	}
 *	HARNESS_MAIN
 *
 * ASSERT_* end the test on failure, EXPECT_* record it and go on, SKIP(fmt, ...) ends the test
 * as skipped with a reason. Helpers used by tests return 0 or a positive errno.
 * Running a test binary with an argument runs only the tests whose name contains it.
 */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ELEMENTSOF
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define HARNESS_MAX_TESTS 512
#define HARNESS_SKIP_STATUS 77
#define HARNESS_DEFAULT_TIMEOUT 120

struct harness_test {
	const char *name;
	void (*fn)(void);
	unsigned timeout_s;
};

static struct harness_test harness_tests[HARNESS_MAX_TESTS];
static unsigned harness_ntests;
static int harness_failed_expect;
static int harness_report_fd = -1;

/* Where tests make their scratch directories: the runner's private directory (removed when the
 * run ends), else /tmp. */
static inline const char *test_tmpdir(void)
{
	const char *t = getenv("AIRLOCK_TEST_TMP");
	return t && t[0] == '/' ? t : "/tmp";
}

static inline void harness_register(const char *name, void (*fn)(void), unsigned timeout_s)
{
	if (harness_ntests >= HARNESS_MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		abort();
	}
	harness_tests[harness_ntests++] = (struct harness_test){ name, fn, timeout_s };
}

#define TEST_TIMEOUT(name, secs)                                                   \
	static void test_##name(void);                                             \
	__attribute__((constructor)) static void register_##name(void)             \
	{                                                                          \
		harness_register(#name, test_##name, secs);                        \
	}                                                                          \
	static void test_##name(void)

#define TEST(name) TEST_TIMEOUT(name, HARNESS_DEFAULT_TIMEOUT)

static inline void harness_diag(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void harness_diag(const char *file, int line, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One diagnostic line per message; embedded newlines get their own "# ". */
	printf("# %s:%d: ", file, line);
	for (const char *p = buf; *p; p++) {
		putchar(*p);
		if (*p == '\n' && p[1])
			fputs("#   ", stdout);
	}
	putchar('\n');
	fflush(stdout);
}

#define TH_FAIL_(fatal, ...)                                                       \
	do {                                                                       \
		harness_diag(__FILE__, __LINE__, __VA_ARGS__);                     \
		if (fatal)                                                         \
			_exit(1);                                                  \
		harness_failed_expect = 1;                                         \
	} while (0)

#define TH_CMP_(fatal, a, op, b)                                                   \
	do {                                                                       \
		intmax_t _a = (intmax_t)(a), _b = (intmax_t)(b);                   \
		if (!(_a op _b))                                                   \
			TH_FAIL_(fatal, "expected %s %s %s (%jd %s %jd)", #a, #op, #b, \
				 _a, #op, _b);                                     \
	} while (0)

#define ASSERT_EQ(a, b) TH_CMP_(1, a, ==, b)
#define ASSERT_NE(a, b) TH_CMP_(1, a, !=, b)
#define ASSERT_LT(a, b) TH_CMP_(1, a, <, b)
#define ASSERT_LE(a, b) TH_CMP_(1, a, <=, b)
#define ASSERT_GT(a, b) TH_CMP_(1, a, >, b)
#define ASSERT_GE(a, b) TH_CMP_(1, a, >=, b)
#define EXPECT_EQ(a, b) TH_CMP_(0, a, ==, b)
#define EXPECT_NE(a, b) TH_CMP_(0, a, !=, b)
#define EXPECT_GE(a, b) TH_CMP_(0, a, >=, b)
#define EXPECT_LE(a, b) TH_CMP_(0, a, <=, b)
#define ASSERT_TRUE(c) TH_CMP_(1, !!(c), ==, 1)
#define ASSERT_FALSE(c) TH_CMP_(1, !!(c), ==, 0)
#define EXPECT_TRUE(c) TH_CMP_(0, !!(c), ==, 1)
#define EXPECT_FALSE(c) TH_CMP_(0, !!(c), ==, 0)

#define TH_STR_(fatal, a, b, want)                                                 \
	do {                                                                       \
		const char *_a = (a), *_b = (b);                                   \
		if ((_a && _b && strcmp(_a, _b) == 0) != (want))                   \
			TH_FAIL_(fatal, "expected %s %s %s (\"%s\" vs \"%s\")", #a,   \
				 (want) ? "==" : "!=", #b, _a ? _a : "(null)",      \
				 _b ? _b : "(null)");                              \
	} while (0)
#define ASSERT_STREQ(a, b) TH_STR_(1, a, b, 1)
#define ASSERT_STRNE(a, b) TH_STR_(1, a, b, 0)
#define EXPECT_STREQ(a, b) TH_STR_(0, a, b, 1)

#define TH_CONTAINS_(fatal, hay, needle, want)                                     \
	do {                                                                       \
		const char *_h = (hay), *_n = (needle);                            \
		if ((_h && strstr(_h, _n) != NULL) != (want))                      \
			TH_FAIL_(fatal, "expected %s %s \"%s\"; it was:\n%s", #hay,   \
				 (want) ? "to contain" : "not to contain", _n,     \
				 _h ? _h : "(null)");                              \
	} while (0)
#define ASSERT_CONTAINS(h, n) TH_CONTAINS_(1, h, n, 1)
#define ASSERT_NOT_CONTAINS(h, n) TH_CONTAINS_(1, h, n, 0)
#define EXPECT_CONTAINS(h, n) TH_CONTAINS_(0, h, n, 1)
#define EXPECT_NOT_CONTAINS(h, n) TH_CONTAINS_(0, h, n, 0)

#define FAIL(...) TH_FAIL_(1, __VA_ARGS__)

/* End the current test as skipped; the reason is printed on the TAP line. */
#define SKIP(...)                                                                  \
	do {                                                                       \
		char _r[512];                                                      \
		snprintf(_r, sizeof(_r), __VA_ARGS__);                             \
		if (harness_report_fd >= 0 && write(harness_report_fd, _r, strlen(_r)) < 0) \
			_exit(2);                                                  \
		_exit(HARNESS_SKIP_STATUS);                                        \
	} while (0)

static inline void harness_reap_orphans(void)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	for (int round = 0; round < 100; round++) {
		FILE *f = fopen(path, "re");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		if (n == 0)
			return;
		for (char *p = buf, *end; *p; p = end) {
			long pid = strtol(p, &end, 10);
			if (end == p)
				break;
			kill((pid_t)pid, SIGKILL);
			waitpid((pid_t)pid, NULL, 0);
		}
	}
}

static inline int harness_run_one(const struct harness_test *t, unsigned n)
{
	int pipefd[2];
	char reason[512] = "";
	int status = 0;

	fflush(stdout);
	fflush(stderr);
	if (pipe(pipefd) < 0) {
		perror("pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		harness_report_fd = pipefd[1];
		setpgid(0, 0);
		alarm(t->timeout_s);
		t->fn();
		fflush(stdout);
		_exit(harness_failed_expect ? 1 : 0);
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Whatever the test left behind goes with it: its process group, and every orphan it
	 * made (we are their subreaper), even in a group or session of its own, so that none
	 * keeps our pipes open or outlives the suite. */
	kill(-pid, SIGKILL);
	harness_reap_orphans();
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	ssize_t len = read(pipefd[0], reason, sizeof(reason) - 1);
	if (len > 0)
		reason[len] = '\0';
	close(pipefd[0]);

	if (WIFEXITED(status) && WEXITSTATUS(status) == HARNESS_SKIP_STATUS) {
		printf("ok %u - %s # SKIP %s\n", n, t->name, reason);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok %u - %s\n", n, t->name);
		return 0;
	}
	if (WIFSIGNALED(status))
		printf("# %s: killed by signal %d%s\n", t->name, WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	printf("not ok %u - %s\n", n, t->name);
	return 1;
}

static inline int harness_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned selected = 0, n = 0;
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (unsigned i = 0; i < harness_ntests; i++)
		if (!filter || strstr(harness_tests[i].name, filter))
			selected++;
	printf("1..%u\n", selected);
	for (unsigned i = 0; i < harness_ntests; i++) {
		if (filter && !strstr(harness_tests[i].name, filter))
			continue;
		failed |= harness_run_one(&harness_tests[i], ++n);
	}
	return failed ? 1 : 0;
}

#define HARNESS_MAIN                                                               \
	int main(int argc, char **argv)                                            \
	{                                                                          \
		return harness_main(argc, argv);                                   \
	}
