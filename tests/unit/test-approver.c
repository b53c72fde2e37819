/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The external-command approver, against real shell scripts: answers, timeouts, crashes,
 * garbage, size limits, strict parsing, widening, non-UTF-8 round trips, and an approver that
 * never reads its stdin. Scripts live in a fresh directory named by $T (inherited).
 */
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "airlock/airlock.h"
#include "approver.h"
#include "grants.h"
#include "harness.h"

static char dir[64];

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
	snprintf(dir, sizeof(dir), "%s/airlock-approver-XXXXXX", test_tmpdir());
	ASSERT_TRUE(mkdtemp(dir));
	ASSERT_EQ(0, setenv("T", dir, 1));
	/* A test that crashes an approver must not leave core files behind. */
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
}

static char *file_in_dir(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static char *read_file(const char *name)
{
	FILE *f = fopen(file_in_dir(name), "r");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static struct approval_request request(const char *path)
{
	return (struct approval_request){
		.id = 7,
		.pid = 4242,
		.cmdline = "cat /x",
		.operation = "open",
		.path = path,
		.access = AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE,
		.session = "s3ss10n",
		.group = NULL,
	};
}

/* Write body as an executable script and run it as the approver (exec'd: it is the leader). */
static int ask(const char *body, unsigned timeout_ms, const struct approval_request *rq,
	       struct approval_answer *a)
{
	char *path = file_in_dir("approve.sh");
	FILE *f = fopen(path, "w");
	ASSERT_TRUE(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, chmod(path, 0700));
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "exec '%s'", path);
	memset(a, 0x5a, sizeof(*a)); /* must be filled in whatever happens */
	return approver_cmd_ask(cmd, timeout_ms, rq, a);
}

/* Nothing that could drive a terminal: no C0 controls, no DEL, no C1 in UTF-8 form. */
static void expect_clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0))
			FAIL("raw control byte 0x%02x in \"%s\"", *p, s);
}

static void expect_deny(const struct approval_answer *a, const char *reason)
{
	EXPECT_FALSE(a->allow);
	EXPECT_CONTAINS(a->reason, reason);
	expect_clean(a->reason);
}

TEST(allow_once)
{
	setup();
	struct approval_request rq = request("/home/u/notes.txt");
	struct approval_answer a;
	ASSERT_EQ(0, ask("cat > \"$T/req.json\"\n"
			 "echo '{\"decision\": \"allow\", \"scope\": \"once\"}'",
			 5000, &rq, &a));
	ASSERT_TRUE(a.allow);
	EXPECT_EQ(GRANT_ONCE, a.scope);
	EXPECT_STREQ("/home/u/notes.txt", a.path);
	EXPECT_FALSE(a.subtree);
	EXPECT_EQ(0u, a.ttl_s);

	/* What the approver got: one line of JSON with every field. */
	const char *req = read_file("req.json");
	ASSERT_TRUE(req);
	EXPECT_EQ('\n', req[strlen(req) - 1]);
	EXPECT_TRUE(strchr(req, '\n') == req + strlen(req) - 1);
	json_error_t err;
	json_t *o = json_loads(req, 0, &err);
	ASSERT_TRUE(o);
	EXPECT_EQ(7, json_integer_value(json_object_get(o, "id")));
	EXPECT_EQ(4242, json_integer_value(json_object_get(o, "pid")));
	EXPECT_STREQ("cat /x", json_string_value(json_object_get(o, "cmdline")));
	EXPECT_STREQ("open", json_string_value(json_object_get(o, "operation")));
	EXPECT_STREQ("/home/u/notes.txt", json_string_value(json_object_get(o, "path")));
	EXPECT_STREQ("rw", json_string_value(json_object_get(o, "access")));
	EXPECT_STREQ("s3ss10n", json_string_value(json_object_get(o, "session")));
	EXPECT_TRUE(json_is_null(json_object_get(o, "group")));
	EXPECT_FALSE(json_object_get(o, "path_escaped"));
	json_decref(o);
	cleanup();
}

TEST(allow_session_with_wider_path)
{
	setup();
	struct approval_request rq = request("/home/u/proj/src/main.c");
	struct approval_answer a;
	ASSERT_EQ(0, ask("read -r line\n"
			 "echo '{\"decision\":\"allow\",\"scope\":\"session\",\"path\":\"/home//u/proj/\","
			 "\"ttl_s\":600,\"reason\":\"project dir\"}'",
			 5000, &rq, &a));
	ASSERT_TRUE(a.allow);
	EXPECT_EQ(GRANT_SESSION, a.scope);
	EXPECT_STREQ("/home/u/proj", a.path); /* normalised */
	EXPECT_TRUE(a.subtree);
	EXPECT_EQ(600u, a.ttl_s);
	EXPECT_STREQ("project dir", a.reason);

	/* A path named in the answer is granted with everything beneath it, even the request's
	 * own (approver.h); no "path": the request's path alone. "/" contains everything. */
	ASSERT_EQ(0, ask("echo '{\"decision\":\"allow\",\"path\":\"/home/u/proj/src/main.c\"}'",
			 5000, &rq, &a));
	ASSERT_TRUE(a.allow);
	EXPECT_TRUE(a.subtree);
	EXPECT_STREQ("/home/u/proj/src/main.c", a.path);
	ASSERT_EQ(0, ask("echo '{\"decision\":\"allow\",\"path\":\"/\",\"ttl_s\":2592000}'", 5000,
			 &rq, &a));
	ASSERT_TRUE(a.allow);
	EXPECT_TRUE(a.subtree);
	EXPECT_STREQ("/", a.path);
	EXPECT_EQ(2592000u, a.ttl_s);
	cleanup();
}

TEST(deny)
{
	setup();
	struct approval_request rq = request("/home/u/.ssh/id_ed25519");
	struct approval_answer a;
	ASSERT_EQ(0, ask("echo '{\"decision\":\"deny\"}'", 5000, &rq, &a));
	expect_deny(&a, "approver denied");
	/* The approver's reason is shown escaped: no escape sequence reaches a terminal. */
	ASSERT_EQ(0, ask("cat <<'EOF'\n"
			 "{\"decision\":\"deny\",\"reason\":\"no \\u001b[2J\\u202e way\\n\"}\n"
			 "EOF",
			 5000, &rq, &a));
	expect_deny(&a, "approver denied: no \\e[2J\\u202e way\\n");
	cleanup();
}

static bool group_gone(pid_t pgid)
{
	/* We are a subreaper: orphans of the killed group are ours to reap, or kill(-pgid, 0)
	 * would still find them as zombies. */
	for (int i = 0; i < 2000; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return true;
		usleep(1000);
	}
	return false;
}

TEST(timeout_kills_the_process_group)
{
	setup();
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	struct approval_request rq = request("/x");
	struct approval_answer a;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, ask("cut -d' ' -f5 /proc/$$/stat > \"$T/pgid.tmp\"\n"
			 "mv \"$T/pgid.tmp\" \"$T/pgid\"\n"
			 "sleep 30 &\n"
			 "sleep 30",
			 200, &rq, &a));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	expect_deny(&a, "approver timed out after 200 ms");
	EXPECT_GE(ms, 200);
	EXPECT_LE(ms, 3000);
	const char *pg = read_file("pgid");
	ASSERT_TRUE(pg);
	pid_t pgid = (pid_t)atoi(pg);
	ASSERT_GT(pgid, 1);
	EXPECT_NE(getpgrp(), pgid); /* its own group, not ours */
	EXPECT_TRUE(group_gone(pgid));
	cleanup();
}

TEST(finished_approver_leaves_nothing_behind)
{
	setup();
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	struct approval_request rq = request("/x");
	struct approval_answer a;
	/* A background job that keeps stdout open must not turn a good answer into a timeout. */
	ASSERT_EQ(0, ask("cut -d' ' -f5 /proc/$$/stat > \"$T/pgid\"\n"
			 "sleep 30 &\n"
			 "echo '{\"decision\":\"allow\"}'",
			 5000, &rq, &a));
	EXPECT_TRUE(a.allow);
	const char *pg = read_file("pgid");
	ASSERT_TRUE(pg);
	EXPECT_TRUE(group_gone((pid_t)atoi(pg)));
	cleanup();
}

TEST(crash_and_exit_status)
{
	setup();
	struct approval_request rq = request("/x");
	struct approval_answer a;
	ASSERT_EQ(0, ask("kill -SEGV $$", 5000, &rq, &a));
	expect_deny(&a, "approver was killed by signal 11 (SIGSEGV)");
	ASSERT_EQ(0, ask("echo '{\"decision\":\"allow\"}'; exit 3", 5000, &rq, &a));
	expect_deny(&a, "approver exited with status 3");
	ASSERT_EQ(0, approver_cmd_ask("/nonexistent/approver", 5000, &rq, &a));
	expect_deny(&a, "approver exited with status 127");
	/* A missing answer with exit 0. */
	ASSERT_EQ(0, ask("exit 0", 5000, &rq, &a));
	expect_deny(&a, "approver printed no answer");
	cleanup();
}

TEST(garbled_output)
{
	setup();
	struct approval_request rq = request("/x");
	struct approval_answer a;
	ASSERT_EQ(0, ask("printf 'yes please \\033[31m\\001\\377'", 5000, &rq, &a));
	expect_deny(&a, "approver answer is not JSON: ");
	ASSERT_EQ(0, ask("printf '{\"decision\":\"allow\"} {\"decision\":\"allow\"}'", 5000, &rq,
			 &a));
	expect_deny(&a, "approver answer is not JSON: ");
	ASSERT_EQ(0, ask("printf '{\"decision\":\"allow\",\"path\":\"/x\\377\"}'", 5000, &rq, &a));
	expect_deny(&a, "approver answer is not JSON: ");
	ASSERT_EQ(0, ask("echo '[\"allow\"]'", 5000, &rq, &a));
	expect_deny(&a, "approver answer is not a JSON object");
	ASSERT_EQ(0, ask("echo '\"allow\"'", 5000, &rq, &a));
	expect_deny(&a, "not");
	cleanup();
}

TEST(huge_output)
{
	setup();
	struct approval_request rq = request("/x");
	struct approval_answer a;
	/* Valid JSON after 100 KB of blanks: still too big. */
	ASSERT_EQ(0, ask("head -c 100000 /dev/zero | tr '\\0' ' '; echo '{\"decision\":\"allow\"}'",
			 5000, &rq, &a));
	expect_deny(&a, "approver answer is larger than 64 KiB");
	/* Endless output ends at the cap, not at the timeout. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, ask("yes '{}'", 20000, &rq, &a));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_deny(&a, "approver answer is larger than 64 KiB");
	EXPECT_LE(t1.tv_sec - t0.tv_sec, 5);
	/* Exactly at the cap is fine. */
	ASSERT_EQ(0, ask("head -c 65516 /dev/zero | tr '\\0' ' '; printf '{\"decision\":\"allow\"}'",
			 5000, &rq, &a));
	EXPECT_TRUE(a.allow);
	cleanup();
}

struct bad_answer {
	const char *json;
	const char *reason;
};

static const struct bad_answer bad_answers[] = {
	{ "{\"decision\":\"allow\",\"extra\":1}", "unknown key \"extra\"" },
	{ "{\"decision\":\"allow\",\"Decision\":\"deny\"}", "unknown key \"Decision\"" },
	{ "{\"decision\":\"allow\",\"\\u001b]0;x\":1}", "unknown key \"\\e]0;x\"" },
	{ "{\"decision\":\"allow\",\"decision\":\"allow\"}", "not JSON: duplicate" },
	{ "{}", "\"decision\" must be" },
	{ "{\"decision\":\"maybe\"}", "\"decision\" must be" },
	{ "{\"decision\":true}", "\"decision\" must be" },
	{ "{\"decision\":\"ALLOW\"}", "\"decision\" must be" },
	{ "{\"decision\":\"allow\",\"scope\":\"always\"}", "\"scope\" must be" },
	{ "{\"decision\":\"allow\",\"scope\":null}", "\"scope\" must be" },
	{ "{\"decision\":\"allow\",\"ttl_s\":-1}", "\"ttl_s\" must be" },
	{ "{\"decision\":\"allow\",\"ttl_s\":1.5}", "\"ttl_s\" must be" },
	{ "{\"decision\":\"allow\",\"ttl_s\":\"60\"}", "\"ttl_s\" must be" },
	{ "{\"decision\":\"allow\",\"ttl_s\":2592001}", "\"ttl_s\" must be" },
	{ "{\"decision\":\"allow\",\"ttl_s\":99999999999999999999}", "not JSON" },
	{ "{\"decision\":\"allow\",\"reason\":5}", "\"reason\" must be a string" },
	{ "{\"decision\":\"allow\",\"path\":\"home/u\"}", "\"path\" must be" },
	{ "{\"decision\":\"allow\",\"path\":\"/home/u/../u\"}", "\"path\" must be" },
	{ "{\"decision\":\"allow\",\"path\":\"\"}", "\"path\" must be" },
	{ "{\"decision\":\"allow\",\"path\":[\"/\"]}", "\"path\" must be" },
	{ "{\"decision\":\"allow\",\"path\":\"/home/u\\u0000/x\"}", "not JSON" },
};

TEST(strict_answers_table)
{
	setup();
	struct approval_request rq = request("/home/u/x");
	struct approval_answer a;
	for (size_t i = 0; i < ELEMENTSOF(bad_answers); i++) {
		char body[512];
		snprintf(body, sizeof(body), "cat <<'EOF'\n%s\nEOF", bad_answers[i].json);
		ASSERT_EQ(0, ask(body, 5000, &rq, &a));
		if (a.allow || !strstr(a.reason, bad_answers[i].reason))
			FAIL("answer %s: allow=%d reason \"%s\", wanted \"%s\"", bad_answers[i].json,
			     a.allow, a.reason, bad_answers[i].reason);
		expect_clean(a.reason);
	}
	cleanup();
}

TEST(widening_to_unrelated_path)
{
	setup();
	struct approval_request rq = request("/home/u/x");
	struct approval_answer a;
	const char *paths[] = { "/etc", "/home/u/xy", "/home/u/x/deeper", "/home/v" };
	for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
		char body[256];
		snprintf(body, sizeof(body), "echo '{\"decision\":\"allow\",\"path\":\"%s\"}'",
			 paths[i]);
		ASSERT_EQ(0, ask(body, 5000, &rq, &a));
		expect_deny(&a, "approver widened the grant to an unrelated path");
	}
	ASSERT_EQ(0, ask("echo '{\"decision\":\"allow\",\"path\":\"/home/u\"}'", 5000, &rq, &a));
	EXPECT_TRUE(a.allow);
	EXPECT_TRUE(a.subtree);
	cleanup();
}

TEST(non_utf8_path_round_trip)
{
	setup();
	/* Invalid bytes, a backslash and a control character. */
	const char *raw = "/tmp/a\xff\\b\x01" "c\xc3";
	struct approval_request rq = request(raw);
	rq.cmdline = "cat \xfe";
	struct approval_answer a;
	ASSERT_EQ(0, ask("cat > \"$T/req.json\"\n"
			 "cat <<'EOF'\n"
			 "{\"decision\":\"allow\",\"path\":\"/tmp/a\\\\xff\\\\\\\\b\\u0001c\\\\xc3\"}\n"
			 "EOF",
			 5000, &rq, &a));
	ASSERT_TRUE(a.allow);
	EXPECT_STREQ(raw, a.path); /* the approver's echo decodes to the original bytes */

	json_error_t err;
	json_t *o = json_load_file(file_in_dir("req.json"), 0, &err);
	if (!o)
		FAIL("request is not valid JSON: %s", err.text);
	EXPECT_STREQ("/tmp/a\\xff\\\\b\x01" "c\\xc3", json_string_value(json_object_get(o, "path")));
	EXPECT_TRUE(json_is_true(json_object_get(o, "path_escaped")));
	EXPECT_STREQ("cat \\xfe", json_string_value(json_object_get(o, "cmdline")));
	EXPECT_TRUE(json_is_true(json_object_get(o, "cmdline_escaped")));
	json_decref(o);

	/* The parent directory, escaped: a subtree grant. A bad escape: deny. */
	ASSERT_EQ(0, ask("echo '{\"decision\":\"allow\",\"path\":\"/tmp\"}'", 5000, &rq, &a));
	EXPECT_TRUE(a.allow);
	EXPECT_TRUE(a.subtree);
	ASSERT_EQ(0, ask("cat <<'EOF'\n{\"decision\":\"allow\",\"path\":\"/tmp/a\\\\q\"}\nEOF", 5000,
			 &rq, &a));
	expect_deny(&a, "\"path\" must be");
	ASSERT_EQ(0, ask("cat <<'EOF'\n{\"decision\":\"allow\",\"path\":\"/tmp/a\\\\x00\"}\nEOF",
			 5000, &rq, &a));
	expect_deny(&a, "\"path\" must be");

	/* Without escaping in the request, a backslash in the answer is literal. */
	struct approval_request plain = request("/tmp/a\\xff");
	ASSERT_EQ(0, ask("cat <<'EOF'\n{\"decision\":\"allow\",\"path\":\"/tmp/a\\\\xff\"}\nEOF",
			 5000, &plain, &a));
	EXPECT_TRUE(a.allow);
	EXPECT_STREQ("/tmp/a\\xff", a.path);
	cleanup();
}

TEST(approver_that_never_reads_stdin)
{
	setup();
	/* SIGPIPE at its default (fatal) disposition and not blocked: if a write raised it
	 * unguarded, this test would die of it. */
	signal(SIGPIPE, SIG_DFL);
	sigset_t empty, mask, pending;
	sigemptyset(&empty);
	ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, &empty, NULL));

	/* A request bigger than a pipe buffer, so that our write is still going on when the
	 * approver closes its stdin. */
	static char big[256 * 1024];
	memset(big, 'a', sizeof(big) - 1);
	struct approval_request rq = request("/x");
	rq.cmdline = big;
	struct approval_answer a;
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, ask("exec 0<&-\nsleep 0.05\necho '{\"decision\":\"allow\"}'", 5000, &rq,
				 &a));
		EXPECT_TRUE(a.allow);
		ASSERT_EQ(0, ask("echo '{\"decision\":\"deny\"}'", 5000, &rq, &a));
		expect_deny(&a, "approver denied");
	}
	ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, NULL, &mask));
	EXPECT_FALSE(sigismember(&mask, SIGPIPE)); /* mask restored */
	ASSERT_EQ(0, sigpending(&pending));
	EXPECT_FALSE(sigismember(&pending, SIGPIPE)); /* our SIGPIPE was consumed */
	cleanup();
}

TEST(clean_child_state)
{
	setup();
	/* A descriptor we forgot to make CLOEXEC, a blocked and an ignored signal: none of them
	 * reaches the approver. */
	int fd = open(file_in_dir("marker"), O_WRONLY | O_CREAT, 0600);
	ASSERT_GE(fd, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	signal(SIGINT, SIG_IGN);
	struct approval_request rq = request("/x");
	struct approval_answer a;
	ASSERT_EQ(0, ask("ls -l /proc/$$/fd > \"$T/fds\"\n"
			 "echo \"$$ $(cut -d' ' -f5 /proc/$$/stat)\" > \"$T/ids\"\n"
			 "echo '{\"decision\":\"allow\"}'",
			 5000, &rq, &a));
	EXPECT_TRUE(a.allow);
	const char *fds = read_file("fds");
	ASSERT_TRUE(fds);
	EXPECT_NOT_CONTAINS(fds, "marker");
	/* The signal state as a program the approver runs sees it (the shell itself blocks
	 * signals while it waits for a child, so ask an exec'd process about itself). */
	ASSERT_EQ(0, ask("exec grep -E '^Sig(Blk|Ign)' /proc/self/status > \"$T/sig\"", 5000, &rq,
			 &a));
	const char *sig = read_file("sig");
	ASSERT_TRUE(sig);
	/* glibc's posix_spawn leaves its own internal signals (32, 33) ignored: look at 1-31. */
	unsigned long long blk = 1, ign = 1;
	ASSERT_EQ(2, sscanf(sig, "SigBlk:\t%llx\nSigIgn:\t%llx", &blk, &ign));
	if (blk != 0)
		FAIL("signals blocked in the approver:\n%s", sig);
	EXPECT_EQ(0u, ign & 0x7fffffffull); /* bit n-1 is signal n */
	int pid = 0, pgid = -1;
	ASSERT_EQ(2, sscanf(read_file("ids"), "%d %d", &pid, &pgid));
	EXPECT_EQ(pid, pgid); /* its own process group */
	close(fd);
	cleanup();
}

TEST(bad_arguments)
{
	struct approval_request rq = request("relative");
	struct approval_answer a;
	memset(&a, 0x5a, sizeof(a));
	EXPECT_EQ(-EINVAL, approver_cmd_ask("true", 1000, &rq, &a));
	expect_deny(&a, "invalid request");
	rq.path = "/x";
	EXPECT_EQ(-EINVAL, approver_cmd_ask(NULL, 1000, &rq, &a));
	EXPECT_FALSE(a.allow);
	EXPECT_EQ(-EINVAL, approver_cmd_ask("true", 0, &rq, &a));
	EXPECT_FALSE(a.allow);
}

HARNESS_MAIN
