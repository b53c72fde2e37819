/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens and the control channel, end to end, with the real airlock binary:
 *
 *   | sequence                                          | airlock must |
 *   | fork -> sandbox -> redeem(token) -> open(file)    | work         |   row 1 (sdk-client)
 *   | fork -> sandbox -> redeem(token) -> exec -> open  | work         |   row 2 (sdk-client, cat)
 *   | fork -> sandbox -> exec -> redeem(token) -> open  | work         |   row 3 (airlock token
 *                                                                          redeem, then cat)
 * Each row with its negative controls: no token, a token of another session, expired, used up,
 * revoked, tampered, for another object, for a weaker access. Tokens are minted from outside
 * with `airlock token mint` (the control channel) while the session runs, and handed over in a
 * file of the project.
 *
 * The H and I (token) series of ../shared/research/security.md, and where each is tested:
 *   H01-H06  zero-length, bad lengths, truncated headers, paths without or with embedded NUL,
 *            unknown types and versions, wrong fds: sdk_protocol_hostile_clients (here, against
 *            the real supervisor, with its fd count compared) and test-proto decode_rejects_malformed,
 *            recv_fd_accounting
 *   H07      credentials in a message: refused (test-proto recv_refuses_credentials); identity is
 *            SO_PEERCRED of the connection, never a claim in a message
 *   H08      MSG_CTRUNC: test-proto recv_fd_accounting (64 fds)
 *   H09      slow peers: SEQPACKET messages arrive whole, so a slow sender holds only its own
 *            connection thread (64 at most); a client that never reads loses its connection
 *            (sdk_protocol_hostile_clients)
 *   H10      10^5 requests on one connection: sdk_protocol_hostile_clients
 *   H11      on behalf of another pid: there is no such field; the supervisor acts for the
 *            connection's peer credentials (sdk.c)
 *   H12      libFuzzer on the decoder and on token parsing: fuzz/, scripts/fuzz (15 s in the
 *            test command, longer on demand)
 *   T01/T02  forged MACs, one-bit flips of every character: test-token forged_mac, bit_flips;
 *            rowN_tampered here
 *   T03      replay of a one-use token: test-token uses; rowN_used_up here
 *   T04      a token of another session: test-token other_table; rowN_token_of_another_session
 *   T05      expired: test-token expiry; rowN_expired. Expiry is on CLOCK_BOOTTIME, which a
 *            wall-clock change does not move (not tested by changing the clock of the machine)
 *   T08      timing of the MAC comparison: bench/token-timing (Welch's t-test; a measurement,
 *            not a test)
 *   T09      a token travels where its holder puts it (airlock token redeem takes it as an
 *            argument, as the command line contract asks): inside the session, other processes
 *            could read it, but they have the grant it gives anyway; outside, it is useless
 *   T10      encodings and trailing bytes: test-token malformed, noncanonical_base64
 *   T11      issuance flood: at most 1024 live tokens per session (test-token cap_and_prune)
 */
#include <dirent.h>
#include <libgen.h>
#include <signal.h>
#include <sys/wait.h>

#include "e2e.h"
#include "tmux.h"

static struct e2e_fixture f;
static char bindir[PATH_MAX], helpers[PATH_MAX], notes[PATH_MAX];

struct session {
	pid_t pid;
	int out, err;
	char id[33];
	struct e2e_result r;
};

/* snprintf that fails the test instead of truncating. */
static void fmt(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t size, const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	int n = vsnprintf(buf, size, format, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		FAIL("string too long for its buffer");
}

static void setup(void)
{
	e2e_fixture_setup(&f);
	char bin[PATH_MAX];
	fmt(bin, sizeof(bin), "%s", e2e_airlock_bin());
	fmt(bindir, sizeof(bindir), "%s", dirname(bin));
	fmt(helpers, sizeof(helpers), "%s", e2e_helper(""));
	helpers[strlen(helpers) - 1] = '\0';
	fmt(notes, sizeof(notes), "%s/notes/n.txt", f.home);
	/* Sessions of this test only: a runtime directory of its own. */
	setenv("XDG_RUNTIME_DIR", e2e_path("%s/run", f.root), 1);
	e2e_mkdir(e2e_path("%s/run", f.root), 0700);
}

/* Start `airlock run [extra...] -- sh -c script` in the background. */
static void start(struct session *s, const char *script, const char *extra)
{
	int out[2], err[2];
	memset(s, 0, sizeof(*s));
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		FAIL("pipe: %m");
	fflush(NULL);
	s->pid = fork();
	if (s->pid < 0)
		FAIL("fork: %m");
	if (s->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execl(e2e_airlock_bin(), "airlock", "run", "-x", bindir, "-x", helpers,
		      extra ? extra : "--quiet", "--", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	s->out = out[0];
	s->err = err[0];
}

/* Find the session's id with `airlock ps --json` (it appears once the command runs). */
static void find_id(struct session *s)
{
	struct e2e_result r;
	char want[64];
	fmt(want, sizeof(want), "\"pid\": %d", (int)s->pid);
	for (int i = 0; i < 1000; i++) {
		e2e_airlock_expect(&r, 0, "ps", "--json");
		const char *at = strstr(r.out, want);
		if (at) {
			/* The id is the "id" of the object holding this pid. */
			const char *obj = at;
			while (obj > r.out && *obj != '{')
				obj--;
			const char *id = strstr(obj, "\"id\": \"");
			ASSERT_TRUE(id != NULL);
			fmt(s->id, sizeof(s->id), "%.32s", id + 7);
			return;
		}
		usleep(10000);
	}
	FAIL("session of pid %d never appeared in airlock ps: %s", (int)s->pid, r.out);
}

static int finish(struct session *s)
{
	return e2e_collect(&s->r, s->pid, s->out, s->err);
}

/* Hand a file to the session: written aside, then renamed into place. */
static void put(const char *name, const char *content)
{
	e2e_write_file(e2e_path("%s/%s.tmp", f.proj, name), content, 0644);
	if (rename(e2e_path("%s/%s.tmp", f.proj, name), e2e_path("%s/%s", f.proj, name)) < 0)
		FAIL("rename: %m");
}

static void wait_for(const char *name)
{
	for (int i = 0; i < 1000 && access(e2e_path("%s/%s", f.proj, name), F_OK) != 0; i++)
		usleep(10000);
	ASSERT_EQ(0, access(e2e_path("%s/%s", f.proj, name), F_OK));
}

/* airlock token mint ID PATH ARGS...: the token, without its newline. */
static void mint(const struct session *s, const char *path, const char *a1, const char *a2,
		 const char *a3, char tok[128])
{
	struct e2e_result r;
	e2e_airlock_expect(&r, 0, "token", "mint", s->id, path, a1, a2, a3);
	fmt(tok, 128, "%s", r.out);
	tok[strcspn(tok, "\n")] = '\0';
	ASSERT_EQ(65, (long)strlen(tok));
}

static long ps_field(const struct session *s, const char *field);

/* Wait for the token file, then run cmd with the token in $T; prints exit=N. */
/* An airlock built with AddressSanitizer runs inside the sandbox here, where LeakSanitizer
 * cannot work (it needs ptrace): its leak check is off in there, and only there. */
#define INNER "ASAN_OPTIONS=detect_leaks=0 "

#define WAIT_TOK                                                                                   \
	"i=0; while [ ! -e tok ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "   \
	"T=$(cat tok); "

enum variant { VALID, NONE, OTHER_SESSION, EXPIRED, USED_UP, REVOKED, TAMPERED, OTHER_OBJECT, WEAKER };
static const char *variant_names[] = { "valid", "no token", "other session", "expired", "used up",
				       "revoked", "tampered", "other object", "weaker access" };

static void row_command(int row, bool write, char *buf, size_t size)
{
	const char *A = e2e_airlock_bin();
	if (!write) {
		if (row == 1)
			fmt(buf, size, "'%s/sdk-client' redeem-open \"$T\" '%s'", helpers, notes);
		else if (row == 2)
			fmt(buf, size, "'%s/sdk-client' redeem-exec \"$T\" cat '%s'", helpers, notes);
		else
			fmt(buf, size, "(" INNER "'%s' token redeem \"$T\" && exec cat '%s')", A, notes);
	} else {
		if (row == 1)
			fmt(buf, size, "'%s/sdk-client' redeem-append \"$T\" '%s'", helpers, notes);
		else if (row == 2)
			fmt(buf, size, "'%s/sdk-client' redeem-exec \"$T\" sh -c 'echo x >> %s'",
				 helpers, notes);
		else
			fmt(buf, size, "(" INNER "'%s' token redeem \"$T\" && exec sh -c 'echo x >> %s')", A, notes);
	}
}

static void run_row(int row, enum variant v)
{
	char cmd[PATH_MAX * 3], script[PATH_MAX * 4], tok[128] = "";
	struct session s, other;
	struct e2e_result r;

	unlink(e2e_path("%s/tok", f.proj));
	unlink(e2e_path("%s/used", f.proj));
	unlink(e2e_path("%s/go", f.proj));
	e2e_write_file(notes, "note\n", 0644);
	row_command(row, v == WEAKER, cmd, sizeof(cmd));
	if (v == NONE)
		fmt(script, sizeof(script), "cat '%s'; echo exit=$?", notes);
	else if (v == USED_UP)
		/* The one use is spent first (its grant revoked from outside), then the row. */
		fmt(script, sizeof(script), WAIT_TOK INNER "'%s' token redeem \"$T\" && : > used; "
			 "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
			 "%s; echo exit=$?", e2e_airlock_bin(), cmd);
	else
		fmt(script, sizeof(script), WAIT_TOK "%s; echo exit=$?", cmd);
	start(&s, script, NULL);

	if (v != NONE) {
		find_id(&s);
		struct session *minter = &s;
		if (v == OTHER_SESSION) {
			start(&other, "sleep 30", NULL);
			find_id(&other);
			minter = &other;
		}
		if (v == EXPIRED)
			mint(minter, notes, "--read", "--ttl", "1s", tok);
		else if (v == USED_UP)
			mint(minter, notes, "--read", "--uses", "1", tok);
		else
			mint(minter, notes, "--read", "--uses", "5", tok);
		if (v == REVOKED)
			e2e_airlock_expect(&r, 0, "token", "revoke", s.id, tok);
		if (v == TAMPERED)
			tok[40] = tok[40] == 'A' ? 'B' : 'A';
		if (v == OTHER_OBJECT) {
			/* Same name, another file: the token was for the first one. */
			ASSERT_EQ(0, rename(notes, e2e_path("%s.old", notes)));
			e2e_write_file(notes, "note\n", 0644);
		}
		if (v == EXPIRED) {
			/* Waiting for the boot-time clock to pass the expiry is the point here. */
			usleep(1300000);
		}
		put("tok", tok);
		if (v == USED_UP) {
			wait_for("used");
			e2e_airlock_expect(&r, 0, "revoke", s.id, notes);
			put("go", "");
		}
		if (v == OTHER_SESSION) {
			kill(other.pid, SIGTERM);
			finish(&other);
		}
	}
	int st = finish(&s);
	if (v == OTHER_OBJECT)
		rename(e2e_path("%s.old", notes), notes);

	char what[128];
	fmt(what, sizeof(what), "row %d, %s", row, variant_names[v]);
	if (st != 0)
		FAIL("%s: airlock exited %d\nstdout: %s\nstderr: %s", what, st, s.r.out, s.r.err);
	if (v == VALID) {
		if (!strstr(s.r.out, "note\nexit=0\n"))
			FAIL("%s: the file was not read: %s\nstderr: %s", what, s.r.out, s.r.err);
		return;
	}
	if (strstr(s.r.out, "exit=0\n") || (v != WEAKER && strstr(s.r.out, "note\n")))
		FAIL("%s: allowed: %s\nstderr: %s", what, s.r.out, s.r.err);
	if (!strstr(s.r.out, "exit="))
		FAIL("%s: the command did not run to its end: %s\nstderr: %s", what, s.r.out, s.r.err);
	char content[64];
	ASSERT_EQ(0, e2e_read_file(notes, content, sizeof(content)));
	ASSERT_STREQ("note\n", content);
}

#define ROW_TESTS(n)                                                                               \
	TEST(row##n##_valid) { setup(); run_row(n, VALID); }                                       \
	TEST(row##n##_no_token) { setup(); run_row(n, NONE); }                                     \
	TEST(row##n##_token_of_another_session) { setup(); run_row(n, OTHER_SESSION); }           \
	TEST(row##n##_expired) { setup(); run_row(n, EXPIRED); }                                   \
	TEST(row##n##_used_up) { setup(); run_row(n, USED_UP); }                                   \
	TEST(row##n##_revoked) { setup(); run_row(n, REVOKED); }                                   \
	TEST(row##n##_tampered) { setup(); run_row(n, TAMPERED); }                                 \
	TEST(row##n##_another_object) { setup(); run_row(n, OTHER_OBJECT); }                       \
	TEST(row##n##_weaker_access) { setup(); run_row(n, WEAKER); }

ROW_TESTS(1)
ROW_TESTS(2)
ROW_TESTS(3)

/* A token for a path a deny rule covers is never minted. */
TEST(no_token_for_a_secret)
{
	struct session s;
	struct e2e_result r;
	setup();
	start(&s, "sleep 30", NULL);
	find_id(&s);
	ASSERT_EQ(125, e2e_airlock(&r, "token", "mint", s.id, f.secret, "--read"));
	ASSERT_TRUE(strstr(r.err, "deny rule") != NULL);
	kill(s.pid, SIGTERM);
	finish(&s);
}

/* airlock grant / revoke from outside reach every process of the session, across exec. */
TEST(grant_and_revoke_from_another_terminal)
{
	struct session s;
	struct e2e_result r;
	char script[PATH_MAX * 2];
	setup();
	fmt(script, sizeof(script),
		 "cat '%1$s' || echo denied-before; : > ready; "
		 "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
		 "sh -c \"cat '%1$s'\"; : > read; "
		 "i=0; while [ ! -e go2 ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
		 "cat '%1$s' || echo denied-after", notes);
	start(&s, script, NULL);
	find_id(&s);
	wait_for("ready");
	/* An abbreviated id, like a git hash. */
	char prefix[9];
	fmt(prefix, sizeof(prefix), "%.8s", s.id);
	e2e_airlock_expect(&r, 0, "grant", prefix, e2e_path("%s/notes", f.home), "--read", "--for", "10m");
	put("go", "");
	wait_for("read");
	e2e_airlock_expect(&r, 0, "revoke", prefix, e2e_path("%s/notes", f.home));
	put("go2", "");
	ASSERT_EQ(0, finish(&s));
	ASSERT_TRUE(strstr(s.r.out, "denied-before\nnote\ndenied-after\n") != NULL);
}

TEST(ps_lists_sessions_and_ids_are_checked)
{
	struct session s;
	struct e2e_result r;
	setup();
	e2e_airlock_expect(&r, 0, "ps");
	ASSERT_TRUE(strncmp(r.out, "SESSION", 7) == 0);
	start(&s, "sleep 30", NULL);
	find_id(&s);
	e2e_airlock_expect(&r, 0, "ps");
	const char *line = strchr(r.out, '\n');
	ASSERT_TRUE(line && strncmp(line + 1, s.id, 12) == 0);
	/* Unknown and malformed ids: a clear error, exit 125. */
	ASSERT_EQ(125, e2e_airlock(&r, "grant", "ffffffffffff0", notes, "--read"));
	ASSERT_TRUE(strstr(r.err, "no running session") != NULL);
	ASSERT_EQ(125, e2e_airlock(&r, "grant", "xyz", notes, "--read"));
	ASSERT_TRUE(strstr(r.err, "hexadecimal") != NULL);
	ASSERT_EQ(125, e2e_airlock(&r, "grant", s.id, notes));
	ASSERT_TRUE(strstr(r.err, "--read") != NULL);
	kill(s.pid, SIGTERM);
	finish(&s);
	/* Gone with its session. */
	e2e_airlock_expect(&r, 0, "ps", "--json");
	ASSERT_TRUE(strstr(r.out, s.id) == NULL);
}

/* The control socket and the session's secret sit in airlock's runtime directory, which no
 * sandbox reaches, even when it lies inside the project the sandbox may write. */
TEST(sandbox_cannot_reach_the_control_channel)
{
	struct session s;
	struct e2e_result r;
	char script[PATH_MAX * 4];
	setup();
	const char *run = e2e_path("%s/.run", f.proj);
	e2e_mkdir(run, 0700);
	setenv("XDG_RUNTIME_DIR", run, 1);
	fmt(script, sizeof(script),
		 "for f in %1$s/airlock/*.json; do cat \"$f\" && echo LEAK; done; "
		 "ls %1$s/airlock && echo LEAK-ls; "
		 "for f in %1$s/airlock/*.sock; do '%2$s/sdk-client' connect \"$f\"; done; "
		 "echo x > %1$s/airlock/planted && echo LEAK-write; echo end",
		 run, helpers);
	for (int unix_on = 0; unix_on < 2; unix_on++) {
		start(&s, script, unix_on ? "--unix-sockets=allow" : "--quiet");
		ASSERT_EQ(0, finish(&s));
		if (strstr(s.r.out, "LEAK") || strstr(s.r.out, "secret") || strstr(s.r.out, "\nok\n"))
			FAIL("reached the control channel: %s\nstderr: %s", s.r.out, s.r.err);
		ASSERT_TRUE(strstr(s.r.out, "end\n") != NULL);
	}
	/* Nor can a flag grant it. */
	e2e_write_file(e2e_path("%s/airlock/x", run), "", 0600);
	ASSERT_EQ(125, e2e_airlock(&r, "run", "--read", e2e_path("%s/airlock/x", run), "--", "true"));
	ASSERT_TRUE(strstr(r.err, "airlock's own directory") != NULL);
}

/* The H series: malformed and hostile SDK messages cost the sender its connection; the
 * supervisor stays healthy and keeps no stray fd. */
TEST(sdk_protocol_hostile_clients)
{
	struct session s;
	char script[PATH_MAX * 2];
	setup();
	fmt(script, sizeof(script),
		 ": > ready; i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
		 "'%1$s/sdk-client' hostile; : > done; "
		 "i=0; while [ ! -e end ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done",
		 helpers);
	start(&s, script, NULL);
	wait_for("ready");
	char fddir[64];
	fmt(fddir, sizeof(fddir), "/proc/%d/fd", (int)s.pid);
	int before = 0, after = -1;
	/* airlock makes itself non-dumpable, so only root can count its fds: as another user the
	 * hostile clients still run and the supervisor must stay healthy. */
	DIR *d = opendir(fddir);
	bool counted = d != NULL;
	if (!counted)
		printf("# not comparing the supervisor's fds: cannot read %s (%s)\n", fddir, strerror(errno));
	for (struct dirent *de; d && (de = readdir(d));)
		before++;
	if (d)
		closedir(d);
	put("go", "");
	wait_for("done");
	/* Connection threads close their fds as their clients go: wait (bounded) for it. */
	for (int i = 0; counted && i < 500 && after != before; i++) {
		usleep(10000);
		after = 0;
		d = opendir(fddir);
		for (struct dirent *de; d && (de = readdir(d));)
			after++;
		if (d)
			closedir(d);
	}
	put("end", "");
	ASSERT_EQ(0, finish(&s));
	if (!strstr(s.r.out, "healthy\n") || strstr(s.r.out, "unhealthy"))
		FAIL("hostile clients: %s\nstderr: %s", s.r.out, s.r.err);
	if (counted)
		ASSERT_EQ(before, after);
}

/* airlock log -f: a running session's decisions as they happen; ends with the session. */
TEST(log_follow)
{
	struct session s, log;
	char script[PATH_MAX * 2];
	setup();
	fmt(script, sizeof(script),
	    "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "cat '%s' 2>/dev/null; : > done", notes);
	start(&s, script, NULL);
	find_id(&s);
	/* The follower is an airlock too: reuse start()'s plumbing with its own argv. */
	int out[2], err[2];
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(err, O_CLOEXEC));
	fflush(NULL);
	log.pid = fork();
	if (log.pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execl(e2e_airlock_bin(), "airlock", "log", "-f", "--json", s.id, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* The command starts its work once the follower says it follows. */
	char line[256] = "";
	FILE *ferr = fdopen(err[0], "r");
	ASSERT_TRUE(ferr && fgets(line, sizeof(line), ferr));
	ASSERT_TRUE(strstr(line, "following") != NULL);
	put("go", "");
	wait_for("done");
	ASSERT_EQ(0, finish(&s));
	char buf[65536];
	size_t n = 0;
	ssize_t k;
	while (n < sizeof(buf) - 1 && (k = read(out[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(out[0]);
	fclose(ferr);
	int st;
	ASSERT_EQ(log.pid, waitpid(log.pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (!strstr(buf, notes) || !strstr(buf, "\"result\":\"deny\""))
		FAIL("the follower did not see the denied read: %s", buf);
	/* And the session's trail holds it too. */
	char trail[65536];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/.local/state/airlock/audit/%s.jsonl", f.home, s.id),
				   trail, sizeof(trail)));
	ASSERT_TRUE(strstr(trail, notes) != NULL);
}

#define tmux tmux_run
#define expect_pane tmux_expect

/* airlock approve from another terminal answers a session that has none. */
TEST(approve_from_another_terminal)
{
	struct session s;
	char script[PATH_MAX * 2], sock[PATH_MAX];
	if (!tmux_available())
		SKIP("tmux is not installed (scripts/deps.sh test installs it)");
	setup();
	fmt(sock, sizeof(sock), "%s/tmux.sock", f.root);
	tmux_prepare();
	e2e_write_file(e2e_path("%s/notes/m.txt", f.home), "more\n", 0644);
	fmt(script, sizeof(script),
	    "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "cat '%1$s' || echo denied-n; cat '%1$s'; cat '%2$s/notes/m.txt' || echo denied-m; : > asked; "
	    "i=0; while [ ! -e go2 ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "cat '%2$s/notes/m.txt' || echo denied-alone", notes, f.home);
	start(&s, script, NULL);
	find_id(&s);
	ASSERT_EQ(0, tmux(sock, "new-session -d -x 120 -y 30 '%s approve %.8s; echo approve-ended; sleep 30'",
			  e2e_airlock_bin(), s.id));
	expect_pane(sock, "answering the requests");
	for (int i = 0; i < 1000 && ps_field(&s, "approvers") != 1; i++)
		usleep(10000);
	put("go", "");
	/* n.txt: once (no, then once), m.txt: no. */
	expect_pane(sock, "wants to READ");
	tmux(sock, "send-keys n");
	/* Each answer erases its prompt before the line recording it: a prompt on the screen
	 * after that line is the next one (keys typed before a prompt shows are discarded). */
	expect_pane(sock, "denied READ");
	expect_pane(sock, "wants to READ");
	tmux(sock, "send-keys o");
	expect_pane(sock, "once");
	expect_pane(sock, "wants to READ");
	tmux(sock, "send-keys n");
	wait_for("asked");
	/* The approver leaves: what asks now is denied at once, nothing waits for nobody. */
	tmux(sock, "send-keys q");
	expect_pane(sock, "approve-ended");
	put("go2", "");
	ASSERT_EQ(0, finish(&s));
	tmux(sock, "kill-server");
	if (!strstr(s.r.out, "denied-n\nnote\ndenied-m\ndenied-alone\n"))
		FAIL("answers not honoured: %s\nstderr: %s", s.r.out, s.r.err);
}

/* The SDK's open and query go through the same decisions as a trapped open: the floor, the
 * rules, the grants; a secret stays denied whatever is asked. */
TEST(sdk_open_and_query)
{
	struct session s;
	struct e2e_result r;
	char script[PATH_MAX * 4];
	setup();
	const char *c = e2e_path("%s/sdk-client", helpers);
	fmt(script, sizeof(script),
	    "'%1$s' query /usr/bin r; '%1$s' query '%2$s' r; '%1$s' query '%3$s' r; "
	    "'%1$s' open '%2$s'; '%1$s' open '%3$s'; '%1$s' open a.txt; : > ready; "
	    "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "'%1$s' query '%3$s' r; '%1$s' open '%3$s'; '%1$s' open '%2$s'",
	    c, f.secret, notes);
	start(&s, script, NULL);
	find_id(&s);
	wait_for("ready");
	e2e_airlock_expect(&r, 0, "grant", s.id, notes, "--read");
	put("go", "");
	finish(&s);
	char want[PATH_MAX * 2];
	fmt(want, sizeof(want), "allowed\ndenied\nask\n"
	    "error: open: denied by rule\nerror: open: %s needs approval and no approver is set\n"
	    "hello\nallowed\nnote\nerror: open: denied by rule\n", notes);
	if (strcmp(s.r.out, want) != 0)
		FAIL("got:\n%s\nwanted:\n%s\nstderr: %s", s.r.out, want, s.r.err);
	ASSERT_TRUE(strstr(s.r.out, f.canary) == NULL);
}

/* How many requests of the session wait for an answer (airlock ps --json). */
static long ps_field(const struct session *s, const char *field)
{
	struct e2e_result r;
	char key[64];
	e2e_airlock_expect(&r, 0, "ps", "--json");
	fmt(key, sizeof(key), "\"%s\": ", field);
	const char *at = strstr(r.out, s->id);
	const char *p = at ? strstr(at, key) : NULL;
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

static long pending(const struct session *s)
{
	return ps_field(s, "pending");
}

/* 'd' settles what the prompt showed, nothing more: a write waiting in the same directory is
 * asked on its own (a read's directory answer does not write-enable the directory). */
TEST(directory_answer_settles_only_what_was_shown)
{
	struct session s;
	char script[PATH_MAX * 3], sock[PATH_MAX];
	if (!tmux_available())
		SKIP("tmux is not installed (scripts/deps.sh test installs it)");
	setup();
	fmt(sock, sizeof(sock), "%s/tmux.sock", f.root);
	tmux_prepare();
	const char *d = e2e_path("%s/notes/d", f.home);
	e2e_mkdir(d, 0755);
	e2e_write_file(e2e_path("%s/a", d), "a\n", 0644);
	e2e_write_file(e2e_path("%s/c", d), "c\n", 0644);
	fmt(script, sizeof(script),
	    "i=0; while [ ! -e go0 ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "cat %1$s/a & "
	    "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "(echo W > %1$s/b || echo denied-b) & wait; cat %1$s/c", d);
	start(&s, script, NULL);
	find_id(&s);
	ASSERT_EQ(0, tmux(sock, "new-session -d -x 120 -y 30 '%s approve %s; sleep 30'",
			  e2e_airlock_bin(), s.id));
	expect_pane(sock, "answering the requests");
	for (int i = 0; i < 1000 && ps_field(&s, "approvers") != 1; i++)
		usleep(10000);
	ASSERT_EQ(1, ps_field(&s, "approvers"));
	put("go0", "");
	/* The read is on the screen; then the write comes and waits too. */
	expect_pane(sock, "wants to READ");
	put("go", "");
	for (int i = 0; i < 1000 && pending(&s) < 2; i++)
		usleep(10000);
	ASSERT_EQ(2, pending(&s));
	tmux(sock, "send-keys d");
	expect_pane(sock, "allowed READ under");
	/* The write is asked about on its own. */
	expect_pane(sock, "wants to WRITE");
	tmux(sock, "send-keys n");
	ASSERT_EQ(0, finish(&s));
	tmux(sock, "kill-server");
	if (!strstr(s.r.out, "a\n") || !strstr(s.r.out, "denied-b\n") || !strstr(s.r.out, "c\n"))
		FAIL("unexpected: %s\nstderr: %s", s.r.out, s.r.err);
	ASSERT_EQ(-1, access(e2e_path("%s/b", d), F_OK));
}

/* A file the SDK creates is the client's: its umask, its user; never inside a secret. */
TEST(sdk_create)
{
	struct session s;
	struct e2e_result r;
	char script[PATH_MAX * 4];
	setup();
	const char *c = e2e_path("%s/sdk-client", helpers);
	fmt(script, sizeof(script),
	    "umask 077; '%1$s' create '%2$s/notes/new.txt'; : > ready; "
	    "i=0; while [ ! -e go ]; do i=$((i+1)); [ $i -gt 1000 ] && exit 99; sleep 0.01; done; "
	    "'%1$s' create '%2$s/notes/new.txt'; '%1$s' create '%2$s/notes/new.txt'; "
	    "'%1$s' create '%2$s/.ssh/planted'; true",
	    c, f.home);
	start(&s, script, NULL);
	find_id(&s);
	wait_for("ready");
	e2e_airlock_expect(&r, 0, "grant", s.id, e2e_path("%s/notes", f.home), "--write");
	put("go", "");
	ASSERT_EQ(0, finish(&s));
	char want[PATH_MAX * 2];
	fmt(want, sizeof(want), "error: create: %s/notes/new.txt needs approval and no approver is set\n"
	    "error: create: File exists\nerror: create: denied by rule\n", f.home);
	if (strcmp(s.r.out, want) != 0)
		FAIL("got:\n%s\nwanted:\n%s\nstderr: %s", s.r.out, want, s.r.err);
	struct stat st;
	ASSERT_EQ(0, stat(e2e_path("%s/notes/new.txt", f.home), &st));
	ASSERT_EQ(0600, st.st_mode & 0777);
	ASSERT_EQ(geteuid(), st.st_uid);
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/notes/new.txt", f.home), buf, sizeof(buf)));
	ASSERT_STREQ("created\n", buf);
	ASSERT_EQ(-1, access(e2e_path("%s/.ssh/planted", f.home), F_OK));
}

TEST(sdk_outside_a_session)
{
	struct e2e_result r;
	setup();
	unsetenv("AIRLOCK_SOCKET_FD");
	ASSERT_EQ(3, e2e_exec(&r, (const char *const[]){ e2e_helper("sdk-client"), "available", NULL }));
	ASSERT_EQ(125, e2e_airlock(&r, "token", "redeem", "alk1_0000000000000000_AAAA"));
	ASSERT_TRUE(strstr(r.err, "not in an airlock session") != NULL);
}

HARNESS_MAIN
