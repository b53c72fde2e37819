/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON Lines audit log: fields, escaping, threads, drops, flush on close, open errors. */
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

#include "airlock/airlock.h"
#include "audit.h"
#include "harness.h"

/* Test hooks, defined in src/audit.c. */
int audit_open_queue(const char *path, size_t queue_cap, struct audit **ret);
void audit_hold(struct audit *a, bool hold);

static char dir[64];
static char logpath[128];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(p);
	return 0;
}

static void cleanup(void)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/airlock-audit-XXXXXX");
	ASSERT_TRUE(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
}

/* The log's lines (without their '\n'); a last line without '\n' fails the test. */
static char **read_lines(size_t *ret_n)
{
	FILE *f = fopen(logpath, "r");
	ASSERT_TRUE(f);
	char **v = NULL;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			FAIL("unterminated last line: %s", line);
		line[len - 1] = '\0';
		v = realloc(v, (n + 1) * sizeof(*v));
		ASSERT_TRUE(v);
		v[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	*ret_n = n;
	return v;
}

static void free_lines(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static json_t *parse(const char *line)
{
	json_error_t err;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (!o || !json_is_object(o))
		FAIL("not a JSON object: %s (%s)", line, err.text);
	return o;
}

/* No raw control byte (C0 but the newline we stripped, DEL, C1 as UTF-8) in a line. */
static void expect_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			FAIL("raw control byte 0x%02x in: %s", *p, s);
}

static void expect_time(const char *t)
{
	/* 2026-11-26T18:03:48.123456Z, within a minute of now. */
	ASSERT_TRUE(t);
	ASSERT_EQ(27u, strlen(t));
	struct tm tm = { 0 };
	const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	ASSERT_TRUE(rest);
	ASSERT_EQ('.', rest[0]);
	for (int i = 1; i <= 6; i++)
		ASSERT_TRUE(rest[i] >= '0' && rest[i] <= '9');
	ASSERT_STREQ("Z", rest + 7);
	time_t when = timegm(&tm);
	EXPECT_LE(labs((long)(time(NULL) - when)), 60);
}

TEST(fields)
{
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open(logpath, &a));
	audit_log(a, &(struct audit_event){
		.pid = 4242, .comm = "cat", .operation = "open", .path = "/home/u/x",
		.access = AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE, .result = "allow", .by = "grant",
		.error = 0, .latency_us = 12 });
	audit_log(a, &(struct audit_event){
		.pid = 7, .comm = NULL, .operation = "unlink", .path = "/etc/passwd",
		.access = AIRLOCK_ACCESS_WRITE, .result = "deny", .by = "rule",
		.reason = "secret \"x\"", .error = EACCES, .latency_us = 3 });
	a = audit_close(a);
	ASSERT_TRUE(a == NULL);

	struct stat st;
	ASSERT_EQ(0, stat(logpath, &st));
	EXPECT_EQ(0600u, st.st_mode & 07777);

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ(2u, n);
	json_t *o = parse(lines[0]);
	expect_time(json_string_value(json_object_get(o, "time")));
	EXPECT_EQ(4242, json_integer_value(json_object_get(o, "pid")));
	EXPECT_STREQ("cat", json_string_value(json_object_get(o, "comm")));
	EXPECT_STREQ("open", json_string_value(json_object_get(o, "op")));
	EXPECT_STREQ("/home/u/x", json_string_value(json_object_get(o, "path")));
	EXPECT_STREQ("rw", json_string_value(json_object_get(o, "access")));
	EXPECT_STREQ("allow", json_string_value(json_object_get(o, "result")));
	EXPECT_STREQ("grant", json_string_value(json_object_get(o, "by")));
	EXPECT_TRUE(json_is_integer(json_object_get(o, "errno")));
	EXPECT_EQ(0, json_integer_value(json_object_get(o, "errno")));
	EXPECT_EQ(12, json_integer_value(json_object_get(o, "latency_us")));
	EXPECT_FALSE(json_object_get(o, "reason"));
	EXPECT_FALSE(json_object_get(o, "dropped"));
	EXPECT_FALSE(json_object_get(o, "path_escaped"));
	EXPECT_EQ(10u, json_object_size(o));
	json_decref(o);

	o = parse(lines[1]);
	EXPECT_TRUE(json_is_null(json_object_get(o, "comm")));
	EXPECT_STREQ("w", json_string_value(json_object_get(o, "access")));
	EXPECT_EQ(EACCES, json_integer_value(json_object_get(o, "errno")));
	EXPECT_STREQ("secret \"x\"", json_string_value(json_object_get(o, "reason")));
	json_decref(o);
	free_lines(lines, n);

	/* Appends to what is there. */
	ASSERT_EQ(0, audit_open(logpath, &a));
	audit_log(a, &(struct audit_event){ .pid = 1, .operation = "open", .path = "/",
					    .result = "allow", .by = "floor" });
	audit_close(a);
	lines = read_lines(&n);
	EXPECT_EQ(3u, n);
	free_lines(lines, n);
	cleanup();
}

TEST(escaping)
{
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open(logpath, &a));
	/* Not UTF-8: invalid bytes, an escape sequence, a backslash, DEL, C1 CSI, RLO. */
	const char *bad = "/tmp/\xff\x1b[31m\\x\x7f\xc2\x9b\xe2\x80\xae!\xc3";
	/* Valid UTF-8 with control characters and a backslash. */
	const char *ctl = "/tmp/a\nb\tc\x01\\d\xe2\x80\xa8\xc3\xa9";
	audit_log(a, &(struct audit_event){ .pid = 1, .comm = "ev\x1b]0;il\x07", .operation = "open",
					    .path = bad, .result = "deny", .by = "rule",
					    .reason = "r\xfe\r" });
	audit_log(a, &(struct audit_event){ .pid = 2, .comm = "x", .operation = "open", .path = ctl,
					    .result = "allow", .by = "floor" });
	audit_close(a);

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ(2u, n);
	for (size_t i = 0; i < n; i++)
		expect_clean(lines[i]);

	json_t *o = parse(lines[0]); /* jansson also checks the line is valid UTF-8 */
	EXPECT_STREQ("/tmp/\\xff\x1b[31m\\\\x\x7f\xc2\x9b\xe2\x80\xae!\\xc3",
		     json_string_value(json_object_get(o, "path")));
	EXPECT_TRUE(json_is_true(json_object_get(o, "path_escaped")));
	EXPECT_STREQ("ev\x1b]0;il\x07", json_string_value(json_object_get(o, "comm")));
	EXPECT_STREQ("r\\xfe\r", json_string_value(json_object_get(o, "reason")));
	json_decref(o);

	o = parse(lines[1]);
	EXPECT_STREQ(ctl, json_string_value(json_object_get(o, "path"))); /* exact round trip */
	EXPECT_FALSE(json_object_get(o, "path_escaped"));
	json_decref(o);
	free_lines(lines, n);
	cleanup();
}

struct writer_arg {
	struct audit *a;
	int thread;
	int count;
};

static void *log_thread(void *p)
{
	struct writer_arg *w = p;
	char path[64];
	for (int i = 0; i < w->count; i++) {
		snprintf(path, sizeof(path), "/t%d/e%d", w->thread, i);
		audit_log(w->a, &(struct audit_event){ .pid = w->thread, .comm = "t",
						       .operation = "open", .path = path,
						       .result = "allow", .by = "grant",
						       .latency_us = (uint64_t)i });
	}
	return NULL;
}

static void run_threads(struct audit *a, int threads, int count)
{
	pthread_t th[16];
	struct writer_arg w[16];
	ASSERT_LE(threads, 16);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct writer_arg){ .a = a, .thread = i, .count = count };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, log_thread, &w[i]));
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
}

TEST(threads_all_land)
{
	enum { THREADS = 8, EACH = 1000 };
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_queue(logpath, THREADS * EACH, &a));
	run_threads(a, THREADS, EACH);
	audit_close(a);

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ((size_t)THREADS * EACH, n);
	int next[THREADS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		json_t *o = parse(lines[i]);
		int t = (int)json_integer_value(json_object_get(o, "pid"));
		int seq = (int)json_integer_value(json_object_get(o, "latency_us"));
		ASSERT_TRUE(t >= 0 && t < THREADS);
		/* Each thread's events arrive once each, in its own order. */
		if (seq != next[t])
			FAIL("thread %d: event %d where %d was due", t, seq, next[t]);
		next[t]++;
		EXPECT_FALSE(json_object_get(o, "dropped"));
		json_decref(o);
	}
	free_lines(lines, n);
	cleanup();
}

static uint64_t dropped_of(const char *line)
{
	json_t *o = parse(line);
	uint64_t d = (uint64_t)json_integer_value(json_object_get(o, "dropped"));
	json_decref(o);
	return d;
}

static size_t count_lines(void)
{
	size_t n;
	char **lines = read_lines(&n);
	free_lines(lines, n);
	return n;
}

TEST(full_queue_drops_are_counted)
{
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_queue(logpath, 4, &a));
	struct audit_event e = { .pid = 1, .operation = "open", .path = "/d", .result = "allow",
				 .by = "floor" };
	audit_hold(a, true);
	for (int i = 0; i < 10; i++)
		audit_log(a, &e); /* 4 queued, 6 dropped */
	audit_hold(a, false);
	/* Bounded wait for the 4 to be written (at most 2 s). */
	for (int i = 0; i < 2000 && count_lines() < 4; i++)
		usleep(1000);
	ASSERT_EQ(4u, count_lines());
	e.path = "/after";
	audit_log(a, &e);
	audit_close(a);

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ(5u, n);
	for (size_t i = 0; i < 4; i++)
		EXPECT_EQ(0u, dropped_of(lines[i]));
	EXPECT_EQ(6u, dropped_of(lines[4]));
	EXPECT_CONTAINS(lines[4], "\"path\":\"/after\"");
	free_lines(lines, n);
	cleanup();
}

TEST(drops_at_the_end_get_their_own_line)
{
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_queue(logpath, 2, &a));
	struct audit_event e = { .pid = 1, .operation = "open", .path = "/d", .result = "allow",
				 .by = "floor" };
	audit_hold(a, true);
	for (int i = 0; i < 5; i++)
		audit_log(a, &e);
	audit_close(a); /* still held: close must release and flush */

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ(3u, n);
	json_t *o = parse(lines[2]);
	expect_time(json_string_value(json_object_get(o, "time")));
	EXPECT_EQ(3, json_integer_value(json_object_get(o, "dropped")));
	EXPECT_EQ(2u, json_object_size(o));
	json_decref(o);
	free_lines(lines, n);
	cleanup();
}

TEST(tiny_queue_threads_every_event_accounted_for)
{
	enum { THREADS = 8, EACH = 1000 };
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_queue(logpath, 4, &a));
	run_threads(a, THREADS, EACH);
	audit_close(a);

	size_t n;
	char **lines = read_lines(&n);
	uint64_t events = 0, dropped = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *o = parse(lines[i]);
		if (json_object_get(o, "path"))
			events++;
		dropped += (uint64_t)json_integer_value(json_object_get(o, "dropped"));
		json_decref(o);
	}
	printf("# queue of 4, %d events from %d threads: %llu written, %llu dropped\n",
	       THREADS * EACH, THREADS, (unsigned long long)events, (unsigned long long)dropped);
	EXPECT_EQ((uint64_t)THREADS * EACH, events + dropped);
	free_lines(lines, n);
	cleanup();
}

TEST(close_flushes)
{
	setup();
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open(logpath, &a));
	struct audit_event e = { .pid = 1, .operation = "open", .path = "/f", .result = "allow",
				 .by = "floor" };
	audit_hold(a, true);
	for (int i = 0; i < 3000; i++)
		audit_log(a, &e);
	EXPECT_EQ(0u, count_lines()); /* nothing written yet */
	audit_close(a);
	EXPECT_EQ(3000u, count_lines());
	/* NULL-safe. */
	EXPECT_TRUE(audit_close(NULL) == NULL);
	audit_log(NULL, &e);
	cleanup();
}

TEST(open_errors)
{
	setup();
	struct audit *a = (void *)1;
	char p[256];
	snprintf(p, sizeof(p), "%s/missing/audit.jsonl", dir);
	EXPECT_EQ(-ENOENT, audit_open(p, &a));
	EXPECT_TRUE(a == (void *)1); /* untouched on failure */

	/* A symlink planted at the name is not followed. */
	snprintf(p, sizeof(p), "%s/link", dir);
	ASSERT_EQ(0, symlink(logpath, p));
	EXPECT_EQ(-ELOOP, audit_open(p, &a));
	EXPECT_EQ(-1, access(logpath, F_OK));

	/* A FIFO neither hangs the open nor is accepted. */
	snprintf(p, sizeof(p), "%s/fifo", dir);
	ASSERT_EQ(0, mkfifo(p, 0600));
	int r = audit_open(p, &a);
	EXPECT_TRUE(r == -ENXIO || r == -EINVAL);

	/* A directory. */
	EXPECT_EQ(-EISDIR, audit_open(dir, &a));
	EXPECT_EQ(-EINVAL, audit_open_queue(logpath, 0, &a));
	cleanup();
}

HARNESS_MAIN
