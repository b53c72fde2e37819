/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libairlock from a host program: run a command in a sandbox and grant it a file mid-run, from
 * another thread; revoke; the static sandbox refuses grants.
 */
#include <pthread.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "airlock/airlock.h"
#include "e2e.h"

static struct e2e_fixture f;

struct runner {
	struct airlock_sandbox *sb;
	const char *script;
	int status, r;
};

static void *run_thread(void *arg)
{
	struct runner *rn = arg;
	const char *argv[] = { "sh", "-c", rn->script, NULL };
	struct airlock_run_opts o = { .size = sizeof(o), .argv = argv };
	rn->r = airlock_sandbox_run(rn->sb, &o, &rn->status);
	return NULL;
}

static struct airlock_sandbox *new_sandbox(uint32_t flags)
{
	struct airlock_policy *p = NULL;
	struct airlock_sandbox *sb = NULL;
	struct airlock_diag d;
	ASSERT_EQ(0, airlock_policy_new(&p));
	ASSERT_EQ(0, airlock_policy_load_profile(p, "default", &d));
	int r = airlock_sandbox_new(p, flags, &sb);
	if (r < 0)
		FAIL("sandbox: %s", airlock_policy_strerror(p));
	airlock_policy_free(p);
	return sb;
}

TEST(host_grants_a_file_mid_run)
{
	e2e_fixture_setup(&f);
	struct airlock_sandbox *sb = new_sandbox(0);
	/* The command says it runs, then retries until the note is readable: the grant must
	 * reach a process that is already running, and the cat it execs each time. */
	struct runner rn = {
		.sb = sb,
		.script = "touch started; until cat \"$HOME/notes/n.txt\" > out.txt 2>/dev/null; do "
			  "sleep 0.01; done",
	};
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rn));
	for (int i = 0; i < 2000 && access("started", F_OK) != 0; i++)
		usleep(5000);
	ASSERT_EQ(0, access("started", F_OK));
	char out[64];
	/* Not readable yet: the loop is running against a denial. */
	ASSERT_FALSE(e2e_read_file("out.txt", out, sizeof(out)) == 0 && strcmp(out, "note\n") == 0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, rn.r);
	ASSERT_EQ(0, rn.status);
	ASSERT_EQ(0, e2e_read_file("out.txt", out, sizeof(out)));
	ASSERT_STREQ("note\n", out);
	airlock_sandbox_free(sb);
}

TEST(revoked_and_refused_grants)
{
	e2e_fixture_setup(&f);
	/* Granted, then revoked before the run: denied. */
	struct airlock_sandbox *sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(1, airlock_sandbox_revoke(sb, e2e_path("%s/notes", f.home)));
	struct runner rn = { .sb = sb, .script = "cat \"$HOME/notes/n.txt\" > out.txt 2>/dev/null" };
	run_thread(&rn);
	ASSERT_EQ(0, rn.r);
	ASSERT_NE(0, rn.status);
	airlock_sandbox_free(sb);
	/* A grant never reaches a deny rule. */
	sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, f.home, AIRLOCK_ACCESS_READ, 0));
	rn = (struct runner){ .sb = sb, .script = "cat \"$HOME/.ssh/id_rsa\" > out.txt 2>/dev/null; "
						 "cat \"$HOME/notes/n.txt\" >> out.txt" };
	run_thread(&rn);
	char out[256];
	ASSERT_EQ(0, e2e_read_file("out.txt", out, sizeof(out)));
	ASSERT_STREQ("note\n", out);
	airlock_sandbox_free(sb);
	/* Without a supervisor there is nothing to grant with; bad arguments are refused. */
	sb = new_sandbox(AIRLOCK_SANDBOX_STATIC);
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	airlock_sandbox_free(sb);
	sb = new_sandbox(0);
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, "relative", AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, f.home, 0, 0));
	ASSERT_EQ(-ENOENT, airlock_sandbox_grant(sb, e2e_path("%s/nope", f.home), AIRLOCK_ACCESS_READ, 0));
	airlock_sandbox_free(sb);
}

/* ---- the approver callback, events, kill, envp and stdio, tokens, grants query ---- */

struct host {
	struct airlock_sandbox *sb;
	int answer;
	atomic_int asked;
	char path[PATH_MAX];
	pthread_t answerer;
	uint64_t id;
};

static void *answer_later(void *arg)
{
	struct host *h = arg;
	usleep(1000); /* not on the callback's thread, and after it returned */
	ASSERT_EQ(0, airlock_sandbox_answer(h->sb, h->id, h->answer));
	/* Answered once: a second answer finds nothing. */
	ASSERT_EQ(-ENOENT, airlock_sandbox_answer(h->sb, h->id, h->answer));
	return NULL;
}

static void on_request(const struct airlock_request *rq, void *userdata)
{
	struct host *h = userdata;
	snprintf(h->path, sizeof(h->path), "%s", rq->path);
	h->id = rq->id;
	if (atomic_fetch_add(&h->asked, 1) == 0)
		pthread_create(&h->answerer, NULL, answer_later, h);
	else
		airlock_sandbox_answer(h->sb, rq->id, AIRLOCK_ANSWER_DENY);
}

static void run_with_approver(int answer, const char *script, struct host *h, struct runner *rn)
{
	e2e_fixture_setup(&f);
	*h = (struct host){ .answer = answer };
	h->sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_set_approver(h->sb, on_request, h));
	*rn = (struct runner){ .sb = h->sb, .script = script };
	run_thread(rn);
	if (atomic_load(&h->asked))
		pthread_join(h->answerer, NULL);
}

TEST(approver_callback_answers_later_from_another_thread)
{
	struct host h;
	struct runner rn;
	run_with_approver(AIRLOCK_ANSWER_SESSION, "cat \"$HOME/notes/n.txt\"; cat \"$HOME/notes/n.txt\" > out.txt", &h, &rn);
	ASSERT_EQ(0, rn.r);
	ASSERT_EQ(0, rn.status);
	ASSERT_EQ(1, atomic_load(&h.asked)); /* the session answer covers the second cat */
	ASSERT_STREQ(e2e_path("%s/notes/n.txt", f.home), h.path);
	char out[64];
	ASSERT_EQ(0, e2e_read_file("out.txt", out, sizeof(out)));
	ASSERT_STREQ("note\n", out);
	airlock_sandbox_free(h.sb);
}

TEST(approver_callback_denies)
{
	struct host h;
	struct runner rn;
	run_with_approver(AIRLOCK_ANSWER_DENY, "cat \"$HOME/notes/n.txt\"", &h, &rn);
	ASSERT_EQ(0, rn.r);
	ASSERT_NE(0, rn.status);
	ASSERT_EQ(1, atomic_load(&h.asked));
	/* A secret never reaches the approver: a deny rule decides it first. */
	struct host h2;
	run_with_approver(AIRLOCK_ANSWER_SESSION, "cat \"$HOME/.ssh/id_rsa\"", &h2, &rn);
	ASSERT_NE(0, rn.status);
	ASSERT_EQ(0, atomic_load(&h2.asked));
	airlock_sandbox_free(h.sb);
	airlock_sandbox_free(h2.sb);
}

static void silent(const struct airlock_request *rq, void *userdata)
{
	(void)rq;
	atomic_fetch_add((atomic_int *)userdata, 1);
}

TEST(unanswered_requests_time_out)
{
	e2e_fixture_setup(&f);
	atomic_int asked = 0;
	struct airlock_sandbox *sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_set_approver_cmd(sb, "false", 300)); /* only its timeout */
	ASSERT_EQ(0, airlock_sandbox_set_approver(sb, silent, &asked));
	struct runner rn = { .sb = sb, .script = "cat \"$HOME/notes/n.txt\"" };
	run_thread(&rn);
	ASSERT_EQ(0, rn.r);
	ASSERT_NE(0, rn.status);
	ASSERT_EQ(1, atomic_load(&asked));
	airlock_sandbox_free(sb);
}

struct events {
	pthread_mutex_t lock;
	char seen[65536];
	size_t n;
};

static void on_event(const char *line, void *userdata)
{
	struct events *e = userdata;
	pthread_mutex_lock(&e->lock);
	size_t len = strlen(line);
	if (e->n + len + 2 < sizeof(e->seen)) {
		memcpy(e->seen + e->n, line, len);
		e->n += len;
		e->seen[e->n++] = '\n';
		e->seen[e->n] = '\0';
	}
	pthread_mutex_unlock(&e->lock);
}

TEST(events_tokens_grants_envp_stdio)
{
	e2e_fixture_setup(&f);
	struct events ev = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct airlock_policy *p = NULL;
	struct airlock_sandbox *sb = NULL;
	struct airlock_diag d;
	ASSERT_EQ(0, airlock_policy_new(&p));
	ASSERT_EQ(0, airlock_policy_load_profile(p, "default", &d));
	ASSERT_EQ(0, airlock_policy_add_rule(p, getenv("AIRLOCK_TEST_HELPERS"),
					     AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC,
					     AIRLOCK_EFFECT_ALLOW, "test"));
	if (airlock_sandbox_new(p, 0, &sb) < 0)
		FAIL("sandbox: %s", airlock_policy_strerror(p));
	airlock_policy_free(p);
	ASSERT_EQ(0, airlock_sandbox_set_event_callback(sb, on_event, &ev));
	/* A token minted before the run, handed over in the environment we give. */
	char *tok = NULL;
	ASSERT_EQ(0, airlock_sandbox_mint_token(sb, e2e_path("%s/notes/n.txt", f.home),
						AIRLOCK_ACCESS_READ, 600, 1, &tok));
	ASSERT_EQ(-EPERM, airlock_sandbox_mint_token(sb, f.secret, AIRLOCK_ACCESS_READ, 0, 0, &tok) < 0
				  ? -EPERM : 0);
	char *grants = NULL;
	ASSERT_EQ(0, airlock_sandbox_grants(sb, &grants));
	ASSERT_TRUE(strstr(grants, "\"tokens\"") && strstr(grants, "n.txt"));
	ASSERT_TRUE(strstr(grants, tok + 22) == NULL); /* never the token's secret part */
	free(grants);

	char tokenv[128], bin[PATH_MAX];
	snprintf(tokenv, sizeof(tokenv), "TOKEN=%s", tok);
	snprintf(bin, sizeof(bin), "%s", e2e_airlock_bin());
	int out[2];
	ASSERT_EQ(0, pipe(out));
	int devnull = open("/dev/null", O_RDWR);
	/* The command's own environment (LD_PRELOAD is dropped) and its stdio from us. */
	const char *envp[] = { "PATH=/usr/bin:/bin", tokenv, "MARK=from-host", "LD_PRELOAD=/x.so", NULL };
	char script[PATH_MAX * 2];
	snprintf(script, sizeof(script),
		 "echo \"mark=$MARK preload=${LD_PRELOAD:-none} airlock=$AIRLOCK\"; "
		 "\"%s/sdk-client\" redeem-exec \"$TOKEN\" cat \"$HOME/notes/n.txt\"",
		 getenv("AIRLOCK_TEST_HELPERS"));
	const char *argv[] = { "sh", "-c", script, NULL };
	struct airlock_run_opts o = {
		.size = sizeof(o), .argv = argv, .envp = envp, .flags = AIRLOCK_RUN_STDIO,
		.stdio = { devnull, out[1], out[1] },
	};
	/* HOME is not in envp: give it, as a host would. */
	char home[PATH_MAX + 8];
	snprintf(home, sizeof(home), "HOME=%s", f.home);
	const char *envp2[] = { envp[0], envp[1], envp[2], envp[3], home, NULL };
	o.envp = envp2;
	int status = -1;
	ASSERT_EQ(0, airlock_sandbox_run(sb, &o, &status));
	close(out[1]);
	char buf[4096] = "";
	ssize_t n = read(out[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(out[0]);
	close(devnull);
	ASSERT_EQ(0, status);
	ASSERT_STREQ("mark=from-host preload=none airlock=1\nnote\n", buf);
	/* The redemption was an event; the token's text never was. */
	pthread_mutex_lock(&ev.lock);
	ASSERT_TRUE(strstr(ev.seen, "\"op\":\"redeem\"") != NULL);
	ASSERT_TRUE(strstr(ev.seen, tok + 22) == NULL);
	pthread_mutex_unlock(&ev.lock);
	free(tok);
	(void)bin;
	airlock_sandbox_free(sb);
}

TEST(kill_ends_the_command)
{
	e2e_fixture_setup(&f);
	struct airlock_sandbox *sb = new_sandbox(0);
	ASSERT_EQ(-ESRCH, airlock_sandbox_kill(sb, SIGTERM));
	struct runner rn = { .sb = sb, .script = "touch started; sleep 300" };
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rn));
	for (int i = 0; i < 2000 && access("started", F_OK) != 0; i++)
		usleep(5000);
	ASSERT_EQ(0, airlock_sandbox_kill(sb, SIGTERM));
	pthread_join(t, NULL);
	ASSERT_EQ(0, rn.r);
	ASSERT_EQ(128 + SIGTERM, rn.status);
	ASSERT_EQ(-ESRCH, airlock_sandbox_kill(sb, SIGTERM));
	airlock_sandbox_free(sb);
}

/*
 * One host, two sessions at once: the end of one (which kills what it left behind) never
 * touches the other's processes, nor the host's own children. Here session B's command has
 * an orphan still at work when session A ends on the host's main thread, and the host has a
 * child of its own.
 */
TEST(sessions_of_one_host_keep_to_their_own_processes)
{
	e2e_fixture_setup(&f);
	pid_t own = fork();
	ASSERT_LE(0, own);
	if (own == 0) {
		pause();
		_exit(0);
	}
	struct airlock_sandbox *a = new_sandbox(AIRLOCK_SANDBOX_STATIC), *b = new_sandbox(0);
	struct runner rb = {
		.sb = b,
		.script = "(sh -c 'touch b-started; until [ -e a-done ]; do sleep 0.01; done; "
			  "sleep 0.2; echo alive > b-orphan' &); i=0; "
			  "until [ -e b-orphan ] || [ $i -ge 1000 ]; do sleep 0.01; i=$((i+1)); done",
	};
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rb));
	for (int i = 0; i < 2000 && access("b-started", F_OK) != 0; i++)
		usleep(5000);
	ASSERT_EQ(0, access("b-started", F_OK));
	struct runner ra = { .sb = a, .script = "sleep 0.1 & touch a-done" };
	run_thread(&ra);
	ASSERT_EQ(0, ra.r);
	ASSERT_EQ(0, ra.status);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, rb.r);
	ASSERT_EQ(0, rb.status);
	char out[16];
	int st;
	EXPECT_EQ(0, waitpid(own, &st, WNOHANG)); /* still running: not reaped, not killed */
	ASSERT_EQ(0, e2e_read_file("b-orphan", out, sizeof(out)));
	ASSERT_STREQ("alive\n", out);
	kill(own, SIGKILL);
	ASSERT_EQ(own, waitpid(own, &st, 0));
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	airlock_sandbox_free(a);
	airlock_sandbox_free(b);
}

/* Threads of this process named name (from /proc/self/task/N/comm). */
static int threads_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		char comm[32] = "";
		if (e->d_name[0] != '.' &&
		    e2e_read_file(e2e_path("/proc/self/task/%s/comm", e->d_name), comm, sizeof(comm)) == 0 &&
		    !strncmp(comm, name, strlen(name)))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * A sandboxed connect() to a Unix socket whose listener never accepts (its backlog full) is
 * performed on a thread of the host's. It must not outlive the session: once the requester is
 * gone, the thread ends within a slice of its wait. And the slices change nothing for a
 * connect that does get through: one accepted after several slices still connects.
 */
TEST(blocked_connect_ends_with_the_session)
{
	e2e_fixture_setup(&f);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, "s.sock"); /* in the project, the fixture's cwd */
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 0));
	/* Fill the backlog: one connection waits, the next would block. */
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_EQ(0, connect(c1, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(-1, connect(c2, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, threads_named("airlock-connect"));

	const char *py = "touch started; exec /usr/bin/python3 -c 'import socket\n"
			 "s = socket.socket(socket.AF_UNIX)\ns.connect(\"s.sock\")'";
	struct airlock_sandbox *sb = new_sandbox(0);
	struct runner rn = { .sb = sb, .script = py };
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rn));
	int i;
	for (i = 0; i < 2000 && threads_named("airlock-connect") == 0; i++)
		usleep(5000);
	ASSERT_EQ(1, threads_named("airlock-connect"));
	usleep(600000); /* a few slices: it keeps waiting */
	ASSERT_EQ(1, threads_named("airlock-connect"));
	ASSERT_EQ(0, airlock_sandbox_kill(sb, SIGKILL));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(128 + SIGKILL, rn.status);
	for (i = 0; i < 400 && threads_named("airlock-connect") > 0; i++)
		usleep(5000);
	if (threads_named("airlock-connect") > 0)
		FAIL("the connect thread outlived its session by more than 2 s");
	airlock_sandbox_free(sb);

	/* Accepted after a while (the backlog drained after ~0.6 s): connected, as bare. */
	sb = new_sandbox(0);
	rn = (struct runner){ .sb = sb, .script = py };
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rn));
	for (i = 0; i < 2000 && threads_named("airlock-connect") == 0; i++)
		usleep(5000);
	ASSERT_EQ(1, threads_named("airlock-connect"));
	usleep(600000);
	int k = accept4(l, NULL, NULL, SOCK_CLOEXEC); /* c1's: the sandbox's now fits */
	ASSERT_LE(0, k);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, rn.r);
	ASSERT_EQ(0, rn.status);
	airlock_sandbox_free(sb);
	close(k);
	close(c1);
	close(c2);
	close(l);
}

HARNESS_MAIN
