/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The JSON Lines audit log: fields, escaping, threads, drops, flush on close, open errors; the
 * per-session trail (its directory, rotation under a size cap, pruning), the live listener and
 * the file-less audit object.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
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
	snprintf(dir, sizeof(dir), "%s/airlock-audit-XXXXXX", test_tmpdir());
	ASSERT_TRUE(mkdtemp(dir));
	snprintf(logpath, sizeof(logpath), "%s/audit.jsonl", dir);
}

/* A file's lines (without their '\n'); a last line without '\n' fails the test. */
static char **read_lines_of(const char *path, size_t *ret_n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		FAIL("%s: %m", path);
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

/* The log's lines. */
static char **read_lines(size_t *ret_n)
{
	return read_lines_of(logpath, ret_n);
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

/* ---- The per-session trail ------------------------------------------------------------- */

#define SID "s-42_ab"

/* snprintf() into a path buffer; a path that does not fit fails the test. */
static const char *pathf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		FAIL("path too long: %s", buf);
	return buf;
}

static void log_pid(struct audit *a, int pid)
{
	char path[64];
	pathf(path, sizeof(path), "/work/file-%05d", pid);
	audit_log(a, &(struct audit_event){ .pid = pid, .comm = "cat", .operation = "open",
					    .path = path, .access = AIRLOCK_ACCESS_READ,
					    .result = "allow", .by = "grant", .latency_us = 5 });
}

static long long file_size(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* "<d>/<SID>.jsonl" (n 0) or "<d>/<SID>.<n>.jsonl", as audit.h names them. */
static const char *trail_file(char *buf, size_t size, const char *d, unsigned n)
{
	if (n == 0)
		pathf(buf, size, "%s/" SID ".jsonl", d);
	else
		pathf(buf, size, "%s/" SID ".%u.jsonl", d, n);
	return buf;
}

/* Entries in a directory, "." and ".." aside. */
static unsigned dir_entries(const char *d)
{
	DIR *dd = opendir(d);
	if (!dd)
		FAIL("opendir %s: %m", d);
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dd);
	return n;
}

/* Collects what a listener is given (only ever called from the one writer thread; read after
 * audit_close(), which joins it). */
struct collector {
	char **lines;
	size_t n;
};

static void collect(const char *line, size_t len, void *userdata)
{
	struct collector *c = userdata;
	if (strlen(line) != len)
		FAIL("listener: len %zu for a line of %zu bytes", len, strlen(line));
	if (len == 0 || line[len - 1] == '\n')
		FAIL("listener: bad line \"%s\"", line);
	c->lines = realloc(c->lines, (c->n + 1) * sizeof(*c->lines));
	ASSERT_TRUE(c->lines);
	c->lines[c->n++] = strdup(line);
}

static int pid_of(const char *line)
{
	json_t *o = parse(line);
	json_t *p = json_object_get(o, "pid");
	if (!json_is_integer(p))
		FAIL("no pid in: %s", line);
	int pid = (int)json_integer_value(p);
	json_decref(o);
	return pid;
}

TEST(dir_for_user_follows_xdg)
{
	char buf[PATH_MAX];
	setenv("HOME", "/home/u", 1);
	setenv("XDG_STATE_HOME", "/x/state", 1);
	ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
	EXPECT_STREQ("/x/state/airlock/audit", buf);
	setenv("XDG_STATE_HOME", "/x/state//", 1);
	ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
	EXPECT_STREQ("/x/state/airlock/audit", buf);

	/* Relative or empty XDG_STATE_HOME is invalid (XDG spec) and ignored: HOME's default. */
	const char *ignored[] = { "rel/state", "./state", "", NULL };
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++) {
		if (ignored[i])
			setenv("XDG_STATE_HOME", ignored[i], 1);
		else
			unsetenv("XDG_STATE_HOME");
		ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
		EXPECT_STREQ("/home/u/.local/state/airlock/audit", buf);
	}
	setenv("HOME", "/", 1);
	ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
	EXPECT_STREQ("/.local/state/airlock/audit", buf);

	/* No usable HOME: only an absolute XDG_STATE_HOME will do. */
	const char *bad_home[] = { "home/u", "", NULL };
	for (size_t i = 0; i < ELEMENTSOF(bad_home); i++) {
		if (bad_home[i])
			setenv("HOME", bad_home[i], 1);
		else
			unsetenv("HOME");
		setenv("XDG_STATE_HOME", "relative", 1);
		strcpy(buf, "untouched");
		EXPECT_EQ(-ENOENT, audit_dir_for_user(buf, sizeof(buf)));
		unsetenv("XDG_STATE_HOME");
		EXPECT_EQ(-ENOENT, audit_dir_for_user(buf, sizeof(buf)));
		setenv("XDG_STATE_HOME", "/s", 1);
		ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
		EXPECT_STREQ("/s/airlock/audit", buf);
	}

	/* Buffer sizes: exactly enough, one short. */
	const size_t need = strlen("/s/airlock/audit") + 1;
	EXPECT_EQ(0, audit_dir_for_user(buf, need));
	EXPECT_EQ(-ERANGE, audit_dir_for_user(buf, need - 1));
	EXPECT_EQ(-EINVAL, audit_dir_for_user(buf, 0));
	EXPECT_EQ(-EINVAL, audit_dir_for_user(NULL, 10));
}

TEST(dir_for_user_does_not_create)
{
	setup();
	char buf[PATH_MAX];
	setenv("XDG_STATE_HOME", dir, 1);
	ASSERT_EQ(0, audit_dir_for_user(buf, sizeof(buf)));
	EXPECT_EQ(0u, dir_entries(dir));
	/* What it names is what audit_open_session() then creates. */
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(buf, SID, 0, 0, &a));
	audit_close(a);
	char p[PATH_MAX];
	EXPECT_GE(file_size(trail_file(p, sizeof(p), buf, 0)), 0);
	cleanup();
}

TEST(session_dir_created_0700_with_parents)
{
	setup();
	umask(022);
	char d[PATH_MAX], p[PATH_MAX];
	pathf(d, sizeof(d), "%s/state/airlock/audit", dir);
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(d, SID, 0, 0, &a));
	log_pid(a, 1);
	audit_close(a);

	const char *made[] = { "state", "state/airlock", "state/airlock/audit" };
	for (size_t i = 0; i < ELEMENTSOF(made); i++) {
		struct stat st;
		pathf(p, sizeof(p), "%s/%s", dir, made[i]);
		ASSERT_EQ(0, lstat(p, &st));
		EXPECT_TRUE(S_ISDIR(st.st_mode));
		if ((st.st_mode & 07777) != 0700)
			FAIL("%s: mode %04o, not 0700", made[i], st.st_mode & 07777);
	}
	struct stat st;
	ASSERT_EQ(0, lstat(trail_file(p, sizeof(p), d, 0), &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0600u, st.st_mode & 07777);
	size_t n;
	char **lines = read_lines_of(p, &n);
	ASSERT_EQ(1u, n);
	json_t *o = parse(lines[0]);
	EXPECT_STREQ(SID, json_string_value(json_object_get(o, "session")));
	EXPECT_EQ(1, json_integer_value(json_object_get(o, "pid")));
	EXPECT_STREQ("/work/file-00001", json_string_value(json_object_get(o, "path")));
	EXPECT_EQ(11u, json_object_size(o)); /* the 10 of every line, and the session */
	json_decref(o);
	free_lines(lines, n);

	/* A restrictive umask does not leave the trail directory unusable. */
	umask(0277);
	pathf(d, sizeof(d), "%s/other", dir);
	ASSERT_EQ(0, audit_open_session(d, SID, 0, 0, &a));
	audit_close(a);
	ASSERT_EQ(0, lstat(d, &st));
	EXPECT_EQ(0700u, st.st_mode & 07777);
	cleanup();
}

TEST(session_dir_writable_by_others_refused)
{
	setup();
	umask(022);
	char d[PATH_MAX];
	pathf(d, sizeof(d), "%s/audit", dir);
	ASSERT_EQ(0, mkdir(d, 0700));
	const mode_t refused[] = { 0770, 0730, 0702, 0777, 01777 };
	struct audit *a = (void *)1;
	for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
		ASSERT_EQ(0, chmod(d, refused[i]));
		int r = audit_open_session(d, SID, 0, 0, &a);
		if (r != -EPERM)
			FAIL("mode %04o: %d, not -EPERM", refused[i], r);
		EXPECT_TRUE(a == (void *)1);
		EXPECT_EQ(0u, dir_entries(d)); /* nothing was created in it */
	}
	/* Positive controls: ours and writable by us alone, even if others may read. */
	const mode_t accepted[] = { 0700, 0755 };
	for (size_t i = 0; i < ELEMENTSOF(accepted); i++) {
		ASSERT_EQ(0, chmod(d, accepted[i]));
		ASSERT_EQ(0, audit_open_session(d, SID, 0, 0, &a));
		audit_close(a);
	}
	cleanup();
}

TEST(session_dir_owned_by_another_user_refused)
{
	if (geteuid() != 0)
		SKIP("giving a directory to another user (chown to 65534) needs root");
	setup();
	char d[PATH_MAX];
	pathf(d, sizeof(d), "%s/audit", dir);
	ASSERT_EQ(0, mkdir(d, 0700));
	ASSERT_EQ(0, chown(d, 65534, 65534));
	struct audit *a = (void *)1;
	EXPECT_EQ(-EPERM, audit_open_session(d, SID, 0, 0, &a));
	EXPECT_TRUE(a == (void *)1);
	EXPECT_EQ(0u, dir_entries(d));
	/* Positive control: the same directory, given back. */
	ASSERT_EQ(0, chown(d, geteuid(), getegid()));
	ASSERT_EQ(0, audit_open_session(d, SID, 0, 0, &a));
	audit_close(a);
	cleanup();
}

TEST(session_dir_symlink_refused)
{
	setup();
	char target[PATH_MAX], link[PATH_MAX], p[PATH_MAX];
	pathf(target, sizeof(target), "%s/elsewhere", dir);
	pathf(link, sizeof(link), "%s/audit", dir);
	ASSERT_EQ(0, mkdir(target, 0700));
	ASSERT_EQ(0, symlink(target, link));
	struct audit *a = (void *)1;
	EXPECT_EQ(-ELOOP, audit_open_session(link, SID, 0, 0, &a));
	EXPECT_EQ(-ELOOP, audit_open_session(strcat(strcpy(p, link), "/"), SID, 0, 0, &a));
	EXPECT_TRUE(a == (void *)1);
	EXPECT_EQ(0u, dir_entries(target));

	/* A dangling one: its target is not created either. */
	pathf(link, sizeof(link), "%s/dangling", dir);
	pathf(target, sizeof(target), "%s/nowhere", dir);
	ASSERT_EQ(0, symlink(target, link));
	EXPECT_EQ(-ELOOP, audit_open_session(link, SID, 0, 0, &a));
	EXPECT_EQ(-1, access(target, F_OK));

	/* Not a directory at all. */
	pathf(p, sizeof(p), "%s/file", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(-ENOTDIR, audit_open_session(p, SID, 0, 0, &a));
	strcat(p, "/sub");
	EXPECT_EQ(-ENOTDIR, audit_open_session(p, SID, 0, 0, &a));
	EXPECT_TRUE(a == (void *)1);

	/* A symlink planted at the session file's name is not followed. */
	pathf(p, sizeof(p), "%s/d", dir);
	ASSERT_EQ(0, mkdir(p, 0700));
	ASSERT_EQ(0, symlink(logpath, trail_file(link, sizeof(link), p, 0)));
	EXPECT_EQ(-ELOOP, audit_open_session(p, SID, 0, 0, &a));
	EXPECT_EQ(-1, access(logpath, F_OK));
	cleanup();
}

TEST(session_arguments_checked)
{
	setup();
	char longid[AUDIT_SESSION_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	const char *bad[] = { "", ".", "..", "../x", "a/b", "a.b", "a b", "a\n", "\xc3\xa9",
			      longid };
	struct audit *a = (void *)1;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		EXPECT_EQ(-EINVAL, audit_open_session(dir, bad[i], 0, 0, &a));
	EXPECT_EQ(-EINVAL, audit_open_session(dir, NULL, 0, 0, &a));
	EXPECT_EQ(-EINVAL, audit_open_session(NULL, SID, 0, 0, &a));
	EXPECT_EQ(-EINVAL, audit_open_session("", SID, 0, 0, &a));
	EXPECT_EQ(-EINVAL, audit_open_session(dir, SID, 0, AUDIT_SESSION_KEEP_MAX + 1, &a));
	EXPECT_EQ(-EINVAL, audit_open_null(NULL));
	EXPECT_TRUE(a == (void *)1);
	EXPECT_EQ(0u, dir_entries(dir));

	/* The longest id, and the most old files, are fine. */
	longid[AUDIT_SESSION_ID_MAX] = '\0';
	ASSERT_EQ(0, audit_open_session(dir, longid, 0, AUDIT_SESSION_KEEP_MAX, &a));
	audit_close(a);
	cleanup();
}

/*
 * Check one session's set of files after a run that logged pids 1..last, with cap max and at
 * most keep old files: each file within the cap and rotated only when the next line would not
 * fit, every line a JSON object of this session, and the lines, oldest file first, exactly
 * the pids (kept_from)..last, each once and in order. Returns how many old files there are.
 */
static unsigned check_trail(const char *d, uint64_t max, unsigned keep, int last,
			    int *ret_kept_from, struct collector *seen)
{
	char p[PATH_MAX];
	unsigned old = 0;
	while (file_size(trail_file(p, sizeof(p), d, old + 1)) >= 0)
		old++;
	if (old > keep)
		FAIL("%u old files, at most %u expected", old, keep);
	EXPECT_EQ(-1, file_size(trail_file(p, sizeof(p), d, keep + 1)));
	pathf(p, sizeof(p), "%s/" SID ".new.jsonl", d);
	EXPECT_EQ(-1, file_size(p));
	EXPECT_EQ(old + 1, dir_entries(d)); /* nothing else was left there */

	int expect = -1, first = -1;
	long long prev_size = -1;
	for (unsigned f = old + 1; f-- > 0;) {
		long long size = file_size(trail_file(p, sizeof(p), d, f));
		if (size < 0 || (uint64_t)size > max)
			FAIL("%s: %lld bytes, the cap is %llu", p, size, (unsigned long long)max);
		size_t n;
		char **lines = read_lines_of(p, &n);
		if (n == 0)
			FAIL("%s is empty", p);
		/* The older file was rotated because this one's first line did not fit. */
		if (prev_size >= 0 && (uint64_t)prev_size + strlen(lines[0]) + 1 <= max)
			FAIL("rotated at %lld bytes though a %zu-byte line would fit under %llu",
			     prev_size, strlen(lines[0]) + 1, (unsigned long long)max);
		prev_size = size;
		for (size_t i = 0; i < n; i++) {
			json_t *o = parse(lines[i]);
			EXPECT_STREQ(SID, json_string_value(json_object_get(o, "session")));
			json_decref(o);
			int pid = pid_of(lines[i]);
			if (first < 0)
				first = expect = pid;
			if (pid != expect)
				FAIL("%s line %zu: pid %d where %d was due (lost or duplicated)", p,
				     i + 1, pid, expect);
			expect++;
			/* The listener saw this very line, as the pid-th one. */
			if (seen && (pid < 1 || (size_t)pid > seen->n ||
				     strcmp(seen->lines[pid - 1], lines[i]) != 0))
				FAIL("the listener's line %d differs from the file's: %s", pid,
				     lines[i]);
		}
		free_lines(lines, n);
	}
	EXPECT_EQ(last, expect - 1);
	*ret_kept_from = first;
	return old;
}

TEST(rotation_caps_files_and_keeps_the_newest)
{
	enum { EVENTS = 300, MAX = 2000, KEEP = 2 };
	setup();
	struct collector seen = { 0 };
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(dir, SID, MAX, KEEP, &a));
	audit_set_listener(a, collect, &seen);
	for (int pid = 1; pid <= EVENTS; pid++)
		log_pid(a, pid);
	audit_close(a);

	int from;
	unsigned old = check_trail(dir, MAX, KEEP, EVENTS, &from, &seen);
	EXPECT_EQ((unsigned)KEEP, old);
	EXPECT_GE(from, 2); /* the oldest lines went with the oldest files */
	printf("# %d events of ~%zu bytes: the newest %d kept in %u files of at most %d bytes\n",
	       EVENTS, strlen(seen.lines[0]) + 1, EVENTS - from + 1, old + 1, MAX);

	/* The listener saw every line once, in order, whatever was rotated away. */
	ASSERT_EQ((size_t)EVENTS, seen.n);
	for (size_t i = 0; i < seen.n; i++)
		if (pid_of(seen.lines[i]) != (int)i + 1)
			FAIL("listener line %zu: pid %d", i, pid_of(seen.lines[i]));
	free_lines(seen.lines, seen.n);
	cleanup();
}

TEST(rotation_loses_and_duplicates_nothing)
{
	enum { EVENTS = 300, MAX = 2000 };
	setup();
	struct audit *a = NULL;
	/* Enough old files that none is removed: every event must be somewhere, once. */
	ASSERT_EQ(0, audit_open_session(dir, SID, MAX, AUDIT_SESSION_KEEP_MAX, &a));
	for (int pid = 1; pid <= EVENTS; pid++)
		log_pid(a, pid);
	audit_close(a);
	int from;
	unsigned old = check_trail(dir, MAX, AUDIT_SESSION_KEEP_MAX, EVENTS, &from, NULL);
	EXPECT_EQ(1, from);
	EXPECT_GE(old, 10u);

	/* Reopened, the session goes on in the same files, under the same cap. */
	ASSERT_EQ(0, audit_open_session(dir, SID, MAX, AUDIT_SESSION_KEEP_MAX, &a));
	for (int pid = EVENTS + 1; pid <= 2 * EVENTS; pid++)
		log_pid(a, pid);
	audit_close(a);
	EXPECT_GE(check_trail(dir, MAX, AUDIT_SESSION_KEEP_MAX, 2 * EVENTS, &from, NULL), old + 1);
	EXPECT_EQ(1, from);
	cleanup();
}

TEST(rotation_defaults)
{
	setup();
	char p[PATH_MAX];
	struct audit *a = NULL;
	/* keep 0: three old files. */
	ASSERT_EQ(0, audit_open_session(dir, SID, 2000, 0, &a));
	for (int pid = 1; pid <= 300; pid++)
		log_pid(a, pid);
	audit_close(a);
	int from;
	EXPECT_EQ(3u, check_trail(dir, 2000, 3, 300, &from, NULL));
	cleanup();

	/* max_bytes 0: 8 MiB. A file one byte short of it takes no more lines; ... */
	setup();
	const long long cap = 8ll << 20;
	int fd = open(trail_file(p, sizeof(p), dir, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, cap - 1));
	close(fd);
	ASSERT_EQ(0, audit_open_session(dir, SID, 0, 0, &a));
	log_pid(a, 1);
	audit_close(a);
	EXPECT_EQ(cap - 1, file_size(trail_file(p, sizeof(p), dir, 1)));
	size_t n;
	char **lines = read_lines_of(trail_file(p, sizeof(p), dir, 0), &n);
	ASSERT_EQ(1u, n);
	EXPECT_EQ(1, pid_of(lines[0]));
	free_lines(lines, n);
	cleanup();

	/* ... one 4 KiB short of it appends. */
	setup();
	fd = open(trail_file(p, sizeof(p), dir, 0), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, cap - 4096));
	close(fd);
	ASSERT_EQ(0, audit_open_session(dir, SID, 0, 0, &a));
	log_pid(a, 1);
	audit_close(a);
	EXPECT_EQ(-1, file_size(trail_file(p, sizeof(p), dir, 1)));
	long long size = file_size(trail_file(p, sizeof(p), dir, 0));
	EXPECT_GE(size, cap - 4096 + 1);
	EXPECT_LE(size, cap);
	cleanup();
}

TEST(rotation_line_longer_than_the_cap)
{
	setup();
	char p[PATH_MAX], reason[600];
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(dir, SID, 300, 2, &a));
	log_pid(a, 1);
	audit_log(a, &(struct audit_event){ .pid = 2, .operation = "open", .path = "/big",
					    .result = "deny", .by = "rule", .reason = reason });
	log_pid(a, 3);
	audit_close(a);
	/* Lines are never split: the long one is alone in a file of its own. */
	const int want[] = { 3, 2, 1 };
	for (unsigned f = 0; f < 3; f++) {
		size_t n;
		char **lines = read_lines_of(trail_file(p, sizeof(p), dir, f), &n);
		ASSERT_EQ(1u, n);
		EXPECT_EQ(want[f], pid_of(lines[0]));
		if (f != 1)
			EXPECT_LE(file_size(p), 300);
		free_lines(lines, n);
	}
	EXPECT_GE(file_size(trail_file(p, sizeof(p), dir, 1)), 601);
	cleanup();
}

TEST(session_line_on_drops)
{
	setup();
	char p[PATH_MAX];
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(dir, SID, 0, 0, &a));
	audit_hold(a, true);
	for (int pid = 1; pid <= 5000; pid++) /* the default queue is 4096 */
		log_pid(a, pid);
	audit_close(a);
	size_t n;
	char **lines = read_lines_of(trail_file(p, sizeof(p), dir, 0), &n);
	ASSERT_EQ(4097u, n);
	json_t *o = parse(lines[n - 1]);
	EXPECT_STREQ(SID, json_string_value(json_object_get(o, "session")));
	EXPECT_EQ(5000 - 4096, json_integer_value(json_object_get(o, "dropped")));
	EXPECT_EQ(3u, json_object_size(o));
	json_decref(o);
	free_lines(lines, n);
	cleanup();
}

static void touch_aged(const char *path, int days, bool nofollow)
{
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= (time_t)days * 24 * 60 * 60;
	t[1] = t[0];
	if (utimensat(AT_FDCWD, path, t, nofollow ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		FAIL("utimensat %s: %m", path);
}

static void make_aged_file(const char *d, const char *name, int days)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/%s", d, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, "{}\n", 3) != 3)
		FAIL("%s: %m", p);
	close(fd);
	touch_aged(p, days, false);
}

static bool exists_in(const char *d, const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	pathf(p, sizeof(p), "%s/%s", d, name);
	return lstat(p, &st) == 0;
}

TEST(session_open_prunes_old_trails)
{
	setup();
	char d[PATH_MAX], p[PATH_MAX], outside[PATH_MAX];
	pathf(d, sizeof(d), "%s/audit", dir);
	ASSERT_EQ(0, mkdir(d, 0700));
	make_aged_file(d, "old.jsonl", 31);
	make_aged_file(d, "old.3.jsonl", 45);
	make_aged_file(d, "recent.jsonl", 29);
	make_aged_file(d, "old.txt", 31);
	make_aged_file(d, "old.jsonl.bak", 31);
	make_aged_file(d, SID ".jsonl", 60); /* this session, resumed: never removed */
	pathf(p, sizeof(p), "%s/olddir.jsonl", d);
	ASSERT_EQ(0, mkdir(p, 0700));
	touch_aged(p, 31, false);
	/* A symlink, old itself and to an old file: neither goes. */
	make_aged_file(dir, "outside.jsonl", 31);
	pathf(outside, sizeof(outside), "%s/outside.jsonl", dir);
	pathf(p, sizeof(p), "%s/link.jsonl", d);
	ASSERT_EQ(0, symlink(outside, p));
	touch_aged(p, 31, true);

	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_session(d, SID, 0, 0, &a));
	log_pid(a, 7);
	audit_close(a);

	EXPECT_FALSE(exists_in(d, "old.jsonl"));
	EXPECT_FALSE(exists_in(d, "old.3.jsonl"));
	EXPECT_TRUE(exists_in(d, "recent.jsonl"));
	EXPECT_TRUE(exists_in(d, "old.txt"));
	EXPECT_TRUE(exists_in(d, "old.jsonl.bak"));
	EXPECT_TRUE(exists_in(d, "olddir.jsonl"));
	EXPECT_TRUE(exists_in(d, "link.jsonl"));
	EXPECT_TRUE(exists_in(dir, "outside.jsonl"));
	size_t n;
	char **lines = read_lines_of(trail_file(p, sizeof(p), d, 0), &n);
	ASSERT_EQ(2u, n); /* what was there, and the new line */
	EXPECT_STREQ("{}", lines[0]);
	EXPECT_EQ(7, pid_of(lines[1]));
	free_lines(lines, n);
	cleanup();
}

/* ---- The listener and the file-less audit object ------------------------------------------ */

TEST(listener_sees_what_the_file_gets)
{
	setup();
	struct collector seen = { 0 };
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open(logpath, &a));
	audit_set_listener(a, collect, &seen);
	for (int pid = 1; pid <= 1000; pid++)
		log_pid(a, pid);
	audit_log(a, &(struct audit_event){ .pid = 1001, .operation = "open",
					    .path = "/tmp/\xff\n", .result = "deny", .by = "rule" });
	audit_close(a);

	size_t n;
	char **lines = read_lines(&n);
	ASSERT_EQ(1001u, n);
	ASSERT_EQ(n, seen.n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(lines[i], seen.lines[i]) != 0)
			FAIL("line %zu: file \"%s\", listener \"%s\"", i, lines[i], seen.lines[i]);
	free_lines(lines, n);
	free_lines(seen.lines, seen.n);
	cleanup();
}

TEST(null_audit_feeds_the_listener_only)
{
	struct collector seen = { 0 };
	struct audit *a = NULL;
	ASSERT_EQ(0, audit_open_null(&a));
	ASSERT_TRUE(a);
	audit_set_listener(a, collect, &seen);
	audit_hold(a, true);
	for (int pid = 1; pid <= 5000; pid++) /* 4096 queued, 904 dropped */
		log_pid(a, pid);
	audit_hold(a, false);
	audit_close(a);
	/* Events 1..4096 in order, then the count of the rest. */
	ASSERT_EQ(4097u, seen.n);
	for (size_t i = 0; i < 4096; i++) {
		json_t *o = parse(seen.lines[i]);
		if (json_integer_value(json_object_get(o, "pid")) != (int)i + 1)
			FAIL("listener line %zu: %s", i, seen.lines[i]);
		EXPECT_FALSE(json_object_get(o, "session"));
		EXPECT_FALSE(json_object_get(o, "dropped"));
		json_decref(o);
	}
	json_t *o = parse(seen.lines[4096]);
	EXPECT_EQ(904, json_integer_value(json_object_get(o, "dropped")));
	json_decref(o);
	free_lines(seen.lines, seen.n);

	/* Without any listener, a null audit object just takes events. */
	ASSERT_EQ(0, audit_open_null(&a));
	for (int pid = 1; pid <= 100; pid++)
		log_pid(a, pid);
	audit_close(a);
	audit_set_listener(NULL, collect, &seen); /* NULL-safe */
}

struct unset_probe {
	struct audit *a;
	atomic_int calls;
	atomic_bool inside;         /* the first call has begun */
	atomic_bool unset_returned; /* audit_set_listener(a, NULL) has returned */
	atomic_int late;            /* calls, or parts of one, after that */
};

/*
 * The first call stays inside for a while (up to 200 ms, or until it sees the removal
 * return). On a correct implementation the removal cannot return during the call, so this
 * passes whatever the timing; the wait only gives a wrong one time to show.
 */
static void probe_listener(const char *line, size_t len, void *userdata)
{
	struct unset_probe *u = userdata;
	(void)line, (void)len;
	if (atomic_load(&u->unset_returned))
		atomic_fetch_add(&u->late, 1);
	if (atomic_fetch_add(&u->calls, 1) != 0)
		return;
	atomic_store(&u->inside, true);
	for (int i = 0; i < 200 && !atomic_load(&u->unset_returned); i++)
		usleep(1000);
	if (atomic_load(&u->unset_returned))
		atomic_fetch_add(&u->late, 1);
}

static void *remove_listener(void *p)
{
	struct unset_probe *u = p;
	audit_set_listener(u->a, NULL, NULL);
	atomic_store(&u->unset_returned, true);
	return NULL;
}

TEST(listener_removal_waits_for_a_call_in_progress)
{
	struct unset_probe u = { 0 };
	ASSERT_EQ(0, audit_open_null(&u.a));
	audit_set_listener(u.a, probe_listener, &u);
	for (int pid = 1; pid <= 10; pid++)
		log_pid(u.a, pid);
	while (!atomic_load(&u.inside))
		sched_yield(); /* bounded by the test's timeout */
	pthread_t th;
	ASSERT_EQ(0, pthread_create(&th, NULL, remove_listener, &u));
	pthread_join(th, NULL);
	for (int pid = 11; pid <= 20; pid++)
		log_pid(u.a, pid);
	audit_close(u.a);
	EXPECT_EQ(0, atomic_load(&u.late));
	/* The batch in progress (events 1..10 at most) was seen through; nothing after. */
	EXPECT_GE(atomic_load(&u.calls), 1);
	EXPECT_LE(atomic_load(&u.calls), 10);
}

HARNESS_MAIN
