/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Races, reliability and denial of service against the supervisor (../shared/research/
 * security.md section 5, B, C S06-S08, D D07-D08, G; and the P series again where the path lies
 * under a directory an approver granted, so that the supervisor resolves it instead of the
 * floor). Each test runs an attack program (tests/attacks/R*, S*, D*, G*, PB*) inside a
 * supervised `airlock run` on a fresh fixture (tests/helpers/e2e.h) and requires:
 *	- the program's exit status 0 (held; 1 is a leak, 3 a failed control or a wrong result);
 *	- the canary of home/.ssh/id_rsa in neither stdout nor stderr;
 *	- nothing outside the project changed, but home/notes (the directory the approvers
 *	  grant, where some tests create files) and the approver's own log;
 * plus, per test, what only the driver can see (airlock's fds and memory, leftover processes,
 * the approver's log) and a positive control (the program run bare reports the attack).
 *
 * Races are bounded (a fixed time of about a second each, or a fixed number of rounds) and
 * never rely on sleeping for correctness: waits are for files or processes, with a bound.
 * Approvers are shell scripts that log each request (one JSON line) to asked.log.
 *
 * Not here: R06/R09 (no terminal prompt yet: R11 checks the binding of answers with the
 * approver command instead), R10 needs no program of its own for ptrace (the filter refuses
 * it, R10 says so), G05 is G03 with the supervisor's fd count, G08 (OOM) is not testable
 * without cgroups. D07 reuses S08's program against another session's airlock and child.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <pthread.h>
#include <stdatomic.h>

#pragma GCC diagnostic ignored "-Wunused-function"
#include "driver.h"

/* printf into a fresh allocation (never freed: e2e_path()'s ring of 16 is too short here). */
static char *sp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sp(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/* The directory the approvers grant: home/notes. */
#define NOTES sp("%s/notes", f.home)

static char approver[PATH_MAX], asked[PATH_MAX];

/* ---- Approvers ------------------------------------------------------------------------- */

#define ALLOW_ONCE "echo '{\"decision\": \"allow\", \"scope\": \"once\"}'"
#define ALLOW_SESSION "echo '{\"decision\": \"allow\", \"scope\": \"session\"}'"
#define DENY "echo '{\"decision\": \"deny\"}'"

/* An approver script: it logs the request to asked.log, sets $path, $pid and $access from it,
 * then runs body (shell), which prints the answer. */
static void make_approver(const char *body)
{
	snprintf(asked, sizeof(asked), "%s/asked.log", f.root);
	snprintf(approver, sizeof(approver), "%s/approver.sh", f.root);
	char *script = NULL;
	ASSERT_LT(0, asprintf(&script,
			      "#!/bin/sh\n"
			      "req=$(cat)\n"
			      "printf '%%s\\n' \"$req\" >> '%s'\n"
			      "path=$(printf '%%s' \"$req\" | sed -n 's/.*\"path\": *\"\\([^\"]*\\)\".*/\\1/p')\n"
			      "access=$(printf '%%s' \"$req\" | sed -n 's/.*\"access\": *\"\\([^\"]*\\)\".*/\\1/p')\n"
			      "%s\n",
			      asked, body));
	e2e_write_file(approver, script, 0755);
	e2e_write_file(asked, "", 0644);
	free(script);
}

/* Requests logged by the approver; with needle, only those lines containing it. */
static int n_asked(const char *needle)
{
	static char buf[1 << 20];
	int fd = open(asked, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	int count = 0;
	for (char *p = buf; *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!needle || strstr(p, needle))
			count++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return count;
}

/* An answer granting dir (and beneath) for the session. */
static const char *allow_dir(const char *dir)
{
	return sp("echo '{\"decision\": \"allow\", \"scope\": \"session\", \"path\": \"%s\"}'", dir);
}

/* --ask DIR[:access] --approve-cmd approver */
#define ASK(dir) "--ask", (dir), "--approve-cmd", approver

/* ---- Fixture helpers ------------------------------------------------------------------- */

/* dir/aaa...a of exactly the length of f.secret, holding content. */
static const char *same_length_file(const char *dir, char fill, const char *content)
{
	size_t want = strlen(f.secret), dl = strlen(dir);
	if (want < dl + 2)
		FAIL("%s is too long for a name as long as %s", dir, f.secret);
	char *p = malloc(want + 1);
	memcpy(p, dir, dl);
	p[dl] = '/';
	memset(p + dl + 1, fill, want - dl - 1);
	p[want] = '\0';
	if (content)
		e2e_write_file(p, content, 0644);
	return p;
}

static void symlink_or_fail(const char *target, const char *link)
{
	if (symlink(target, link) < 0)
		FAIL("symlink %s -> %s: %m", link, target);
}

/* ---- Running with fewer things that must not change ------------------------------------ */

/* Lines of a snapshot without those about the approvers' playground and log. */
static char *filter_snapshot(const char *s)
{
	static const char *const ignored[] = { "home/notes", "asked.log" };
	char *out = malloc(strlen(s) + 1), *o = out;
	for (const char *p = s; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		bool skip = false;
		for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
			if (!strncmp(p, ignored[i], strlen(ignored[i])))
				skip = true;
		if (!skip) {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = '\0';
	return out;
}

static int run_sandboxed(const char *prog, const char *const *opts, const char *const *args)
{
	struct cmd c = airlock_cmd(prog, opts, args);
	char *before = filter_snapshot(snapshot());
	run_cmd(&r, NULL, &c);
	char *after = filter_snapshot(snapshot());
	show_result("sandboxed", &r);
	EXPECT_NOT_CONTAINS(r.out, f.canary);
	EXPECT_NOT_CONTAINS(r.err, f.canary);
	expect_unchanged(before, after);
	free(before);
	free(after);
	return r.status;
}

static void held(const char *prog, const char *const *opts, const char *const *args)
{
	int st = run_sandboxed(prog, opts, args);
	if (st == 77) {
		remove_fixture();
		SKIP("%s: %s", prog, na_reason(r.out));
	}
	if (st != 0)
		FAIL("%s under airlock exited %d (%s)", prog, st, status_meaning(st));
}

/* ---- airlock in the background --------------------------------------------------------- */

struct bg {
	pid_t pid;
	int pidfd, out, err;
};

static void bg_start(struct bg *b, struct cmd *c)
{
	b->out = memfd_create("out", MFD_CLOEXEC);
	b->err = memfd_create("err", MFD_CLOEXEC);
	if (b->out < 0 || b->err < 0)
		FAIL("memfd_create: %m");
	fflush(stdout);
	b->pid = fork();
	if (b->pid < 0)
		FAIL("fork: %m");
	if (b->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		if (dup2(in, 0) < 0 || dup2(b->out, 1) < 0 || dup2(b->err, 2) < 0)
			_exit(127);
		close_harness_fd();
		child_resolve_sup(c, true);
		execv(c->v[0], (char *const *)c->v);
		_exit(127);
	}
	b->pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0);
	if (b->pidfd < 0)
		FAIL("pidfd_open: %m");
}

static bool bg_running(const struct bg *b)
{
	struct pollfd p = { b->pidfd, POLLIN, 0 };
	return poll(&p, 1, 0) == 0;
}

static void read_memfd(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Wait (at most timeout_ms) for airlock; its output goes to r. Returns false on a timeout
 * (airlock is then killed). */
static bool bg_wait(struct bg *b, int timeout_ms)
{
	struct pollfd p = { b->pidfd, POLLIN, 0 };
	bool done = poll(&p, 1, timeout_ms) > 0;
	int status;
	if (!done)
		kill(b->pid, SIGKILL);
	while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(b->pidfd);
	memset(&r, 0, sizeof(r));
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_memfd(b->out, r.out, sizeof(r.out));
	read_memfd(b->err, r.err, sizeof(r.err));
	return done;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* Wait for path to exist while b runs (bounded). */
static bool wait_file(const struct bg *b, const char *path, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;
	while (monotonic_ms() < end) {
		if (access(path, F_OK) == 0)
			return true;
		if (b && !bg_running(b))
			return false;
		pause_ms(2);
	}
	return false;
}

/* Number of fds of pid, or -errno when /proc does not tell us. */
static int count_fds_of(pid_t pid)
{
	DIR *d = opendir(e2e_path("/proc/%d/fd", (int)pid));
	if (!d)
		return -errno;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static long vmrss_kib(pid_t pid)
{
	char buf[4096];
	if (e2e_read_file(e2e_path("/proc/%d/status", (int)pid), buf, sizeof(buf)) != 0)
		return -1;
	const char *p = strstr(buf, "VmRSS:");
	return p ? atol(p + 6) : -1;
}

/* Pids of processes whose command line contains token. */
static int find_by_cmdline(const char *token, pid_t *out, int cap)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *e;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < cap) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char buf[8192];
		int fd = open(e2e_path("/proc/%s/cmdline", e->d_name), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (ssize_t i = 0; i < len; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[len] = '\0';
		if (strstr(buf, token))
			out[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* A process's state letter from /proc/pid/stat ('\0' when it is gone). */
static char proc_state(pid_t pid)
{
	char buf[1024];
	if (e2e_read_file(e2e_path("/proc/%d/stat", (int)pid), buf, sizeof(buf)) != 0)
		return '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] && p[2] ? p[2] : '?';
}

static const char *random_token(void)
{
	unsigned char rnd[8];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		FAIL("getrandom: %m");
	return sp("tok%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
			rnd[5], rnd[6], rnd[7]);
}

/* ---- B. Races ---------------------------------------------------------------------------- */

/* The floor: the supervisor answers CONTINUE for GOOD, and the kernel decides again on
 * whatever the buffer says when it runs. */
TEST(R01_path_swap_floor)
{
	setup();
	const char *good = same_length_file(f.proj, 'a', "good\n");
	held("R01-path-swap", NULL, L(good, f.secret));
	control_bare("R01-path-swap", L(good, f.secret), true);
	teardown();
}

/* A file granted by an approver: the supervisor opens it itself, on what it read once. */
TEST(R01_path_swap_granted)
{
	setup();
	make_approver(ALLOW_SESSION);
	const char *good = same_length_file(NOTES, 'a', "good\n");
	held("R01-path-swap", L(ASK(NOTES)), L(good, f.secret));
	printf("# the approver was asked %d time(s)\n", n_asked(NULL));
	ASSERT_LE(1, n_asked(good));
	control_bare("R01-path-swap", L(good, f.secret), true);
	teardown();
}

/* A hardlink of the secret in the project, made before the start: the supervisor refuses it
 * by inode (the floor alone would allow it), so the race is against that check. */
TEST(R01_path_swap_to_hardlink_in_floor)
{
	setup();
	const char *good = same_length_file(f.proj, 'a', "good\n");
	const char *key = same_length_file(f.proj, 'k', NULL);
	if (link(f.secret, key) < 0)
		FAIL("link %s %s: %m", f.secret, key);
	held("R01-path-swap", NULL, L(good, key));
	control_bare("R01-path-swap", L(good, key), true);
	teardown();
}

/* Read-only grant, flags flipping between O_RDONLY and O_RDWR | O_TRUNC. */
TEST(R02_open_how_flags_swap)
{
	setup();
	make_approver("case \"$access\" in r) " ALLOW_SESSION ";; *) " DENY ";; esac");
	const char *file = sp("%s/r02.txt", NOTES);
	e2e_write_file(file, "read-only content\n", 0644);
	held("R02-openhow-swap", L(ASK(sp("%s:rw", NOTES))), L(file));
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(file, buf, sizeof(buf)));
	ASSERT_STREQ("read-only content\n", buf);
	printf("# %d read request(s), %d write request(s) reached the approver\n",
	       n_asked("\"access\":\"r\""), n_asked("\"access\":\"rw\""));
	control_bare("R02-openhow-swap", L(file), false);
	teardown();
}

/*
 * R03/R04: the approver grants writes in NOTES for the session at once (so that the sandbox
 * can rename there, performed by the supervisor), and takes 0.3 s over each read, which it
 * allows once. (Not -w NOTES with an "ask" rule on the file: renaming an entry whose rules
 * differ from its new name's gets EXDEV, as under Landlock's REFER.)
 */
static void exchange_approver(void)
{
	make_approver(sp("case \"$access\" in *w*) %s;; *) sleep 0.3; " ALLOW_ONCE ";; esac",
			 allow_dir(NOTES)));
}

/* The requested file and a symlink to the secret trade places while the approver thinks. */
TEST(R03_exchange_file_while_approval_pending)
{
	setup();
	exchange_approver();
	const char *a = sp("%s/a", NOTES), *l = sp("%s/l", NOTES);
	e2e_write_file(a, "original\n", 0644);
	symlink_or_fail(f.secret, l);
	held("R03-rename-exchange", L(ASK(NOTES)), L(a, l, a, f.secret, "1.2"));
	printf("# %d read request(s) reached the approver\n", n_asked("\"access\":\"r\""));
	ASSERT_LE(1, n_asked("\"access\":\"r\""));
	control_bare("R03-rename-exchange", L(a, l, a, f.secret, "1.2"), true);
	teardown();
}

/* R04: the same on an intermediate directory: NOTES/d <-> NOTES/s -> ~/.ssh. */
TEST(R04_exchange_directory_while_approval_pending)
{
	setup();
	exchange_approver();
	const char *d = sp("%s/d", NOTES), *s = sp("%s/s", NOTES);
	e2e_mkdir(d, 0755);
	e2e_write_file(sp("%s/id_rsa", d), "decoy\n", 0644);
	symlink_or_fail(sp("%s/.ssh", f.home), s);
	const char *open_path = sp("%s/id_rsa", d);
	held("R03-rename-exchange", L(ASK(NOTES)), L(d, s, open_path, f.secret, "1.2"));
	printf("# %d read request(s) reached the approver\n", n_asked("\"access\":\"r\""));
	ASSERT_LE(1, n_asked("\"access\":\"r\""));
	control_bare("R03-rename-exchange", L(d, s, open_path, f.secret, "1.2"), true);
	teardown();
}

TEST(R05_chdir_race_floor)
{
	setup();
	e2e_write_file(sp("%s/id_rsa", f.proj), "decoy\n", 0644);
	const char *ssh = sp("%s/.ssh", f.home);
	held("R05-chdir-race", NULL, L(f.proj, ssh, "id_rsa"));
	control_bare("R05-chdir-race", L(f.proj, ssh, "id_rsa"), true);
	teardown();
}

TEST(R05_chdir_race_granted)
{
	setup();
	make_approver(allow_dir(NOTES));
	e2e_write_file(sp("%s/id_rsa", NOTES), "decoy\n", 0644);
	const char *ssh = sp("%s/.ssh", f.home);
	held("R05-chdir-race", L(ASK(NOTES)), L(NOTES, ssh, "id_rsa"));
	control_bare("R05-chdir-race", L(NOTES, ssh, "id_rsa"), true);
	teardown();
}

static void signal_storm(const char *mode)
{
	setup();
	make_approver("sleep 0.15; " ALLOW_ONCE);
	held("R07-signal-storm", L(ASK(sp("%s:rw", NOTES))), L(NOTES, mode, "3"));
	for (int i = 0; i < 3; i++)
		printf("# r07-%s-%d: %s; %d request(s) for it reached the approver\n", mode, i,
		       access(sp("%s/r07-%s-%d", NOTES, mode, i), F_OK) == 0 ? "created" : "absent",
		       n_asked(sp("r07-%s-%d\"", mode, i)));
	/* No bare control: outside a sandbox the opens never block, there is nothing to see. */
	teardown();
}

TEST(R07_signal_storm_sa_restart)
{
	signal_storm("restart");
}

TEST(R07_signal_storm_no_sa_restart)
{
	signal_storm("norestart");
}

TEST(R08_requester_killed_then_pid_reused)
{
	setup();
	const char *asked_flag = sp("%s/r08-asked", f.proj), *go = sp("%s/r08-go", f.proj);
	char body[2 * PATH_MAX + 512];
	snprintf(body, sizeof(body),
		 "case \"$path\" in\n"
		 "*/r08-victim)\n"
		 "  if [ -e '%s' ]; then " DENY "; exit 0; fi\n"
		 "  : > '%s'\n"
		 "  i=0; while [ ! -e '%s' ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done\n"
		 "  " ALLOW_ONCE ";;\n"
		 "*) " ALLOW_ONCE ";;\n"
		 "esac",
		 asked_flag, asked_flag, go);
	make_approver(body);
	const char *victim = sp("%s/r08-victim", NOTES), *ctl = sp("%s/r08-control", NOTES);
	e2e_write_file(victim, "victim\n", 0644);
	e2e_write_file(ctl, "control\n", 0644);
	held("R08-pid-reuse", L(ASK(NOTES)), L(victim, ctl, asked_flag, go, "3"));
	printf("# requests for the victim file: %d\n", n_asked("r08-victim"));
	unlink(asked_flag);
	unlink(go);
	control_bare("R08-pid-reuse", L(victim, ctl, asked_flag, go, "3"), false);
	teardown();
}

TEST(R10_sibling_rewrites_blocked_buffer)
{
	setup();
	make_approver(ALLOW_SESSION);
	const char *good = same_length_file(NOTES, 'a', "good\n");
	held("R10-sibling-rewrite", L(ASK(NOTES)), L(good, f.secret, "1.2"));
	control_bare("R10-sibling-rewrite", L(good, f.secret, "1.2"), true);
	teardown();
}

TEST(R11_answers_bound_to_their_requests)
{
	setup();
	const int n = 16;
	const char *asked_flag = sp("%s/r11-asked-v", f.proj);
	for (int k = 0; k < n; k++)
		e2e_write_file(sp("%s/b%d", NOTES, k), sp("b%d\n", k), 0644);
	e2e_write_file(sp("%s/v", NOTES), "v\n", 0644);
	e2e_write_file(sp("%s/w", NOTES), "w\n", 0644);
	char body[PATH_MAX + 1024];
	snprintf(body, sizeof(body),
		 "case \"$path\" in\n"
		 "*/b*) k=${path##*/b}; sleep 0.$(( (k * 7) %% 3 ))\n"
		 "  if [ $((k %% 2)) -eq 0 ]; then " ALLOW_ONCE "; else " DENY "; fi;;\n"
		 "*/v) if [ -e '%s' ]; then " DENY "; else : > '%s'; sleep 0.3; " ALLOW_ONCE "; fi;;\n"
		 "*) " DENY ";;\n"
		 "esac",
		 asked_flag, asked_flag);
	make_approver(body);
	held("R11-approval-binding", L(ASK(NOTES)), L(NOTES, asked_flag, "16"));
	/* Each flood request was asked about once: no answer went to, or was asked again by,
	 * another request. */
	for (int k = 0; k < n; k++)
		EXPECT_EQ(1, n_asked(sp("/notes/b%d\"", k)));
	printf("# requests for v: %d, for w: %d\n", n_asked("/notes/v\""), n_asked("/notes/w\""));
	unlink(asked_flag);
	control_bare("R11-approval-binding", L(NOTES, asked_flag, "16"), false);
	teardown();
}

static int unix_listener(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(a.sun_path))
		FAIL("socket path too long: %s", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0)
		FAIL("unix socket %s: %m", path);
	return fd;
}

/* Accepts (and closes) every connection to two listeners until told to stop, counting them:
 * a full backlog must not be what stops the sandbox's connects. */
struct drain {
	int fd[2];
	atomic_int n[2];
	atomic_bool stop;
	pthread_t t;
};

static void *drain_main(void *arg)
{
	struct drain *d = arg;
	while (!atomic_load(&d->stop)) {
		struct pollfd p[2] = { { d->fd[0], POLLIN, 0 }, { d->fd[1], POLLIN, 0 } };
		if (poll(p, 2, 20) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int c;
			while ((c = accept4(d->fd[i], NULL, NULL, SOCK_CLOEXEC)) >= 0) {
				close(c);
				atomic_fetch_add(&d->n[i], 1);
			}
		}
	}
	return NULL;
}

static void drain_start(struct drain *d)
{
	atomic_store(&d->stop, false);
	atomic_store(&d->n[0], 0);
	atomic_store(&d->n[1], 0);
	if (pthread_create(&d->t, NULL, drain_main, d) != 0)
		FAIL("pthread_create");
}

static void drain_stop(struct drain *d)
{
	atomic_store(&d->stop, true);
	pthread_join(d->t, NULL);
}

TEST(R12_unix_sockaddr_and_socket_name_races)
{
	setup();
	const char *dir = sp("%s/run", f.root);
	e2e_mkdir(dir, 0700);
	const char *bus = sp("%s/bus", dir), *ok = sp("%s/ok.sock", f.proj);
	const char *lnk = sp("%s/l.sock", f.proj);
	struct drain d = { .fd = { unix_listener(ok), unix_listener(bus) } };
	symlink_or_fail(bus, lnk);
	drain_start(&d);
	held("R12-sockaddr-flip", NULL, L(ok, bus, lnk, "0.6"));
	drain_stop(&d);
	printf("# connections accepted: %d on OK, %d on BUS\n", atomic_load(&d.n[0]),
	       atomic_load(&d.n[1]));
	EXPECT_EQ(0, atomic_load(&d.n[1]));
	TH_CMP_(0, 0, <, atomic_load(&d.n[0]));
	drain_start(&d);
	control_bare("R12-sockaddr-flip", L(ok, bus, lnk, "0.1"), false);
	drain_stop(&d);
	ASSERT_LT(0, atomic_load(&d.n[1]));
	teardown();
}

/* ---- C. Syscall bypasses ----------------------------------------------------------------- */

TEST(S06_set_dumpable_0_then_brokered_open)
{
	setup();
	make_approver(allow_dir(NOTES));
	const char *granted = sp("%s/n.txt", NOTES);
	held("S06-nondumpable", L(ASK(NOTES)), L("prctl", granted, f.secret));
	control_bare("S06-nondumpable", L("prctl", granted, f.secret), true);
	teardown();
}

/* The kernel itself makes a process non-dumpable when it execs a binary it cannot read. */
TEST(S06_exec_of_unreadable_binary_then_brokered_open)
{
	setup();
	make_approver(allow_dir(NOTES));
	const char *granted = sp("%s/n.txt", NOTES);
	const char *copy = sp("%s/s06-unreadable", f.proj);
	int in = open(sp("%s/S06-nondumpable", attack_dir()), O_RDONLY | O_CLOEXEC);
	int out = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (in < 0 || out < 0)
		FAIL("copy S06-nondumpable: %m");
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			FAIL("write %s: %m", copy);
	close(in);
	close(out);
	ASSERT_EQ(0, chmod(copy, 0111));

	struct cmd c = { .n = 0 };
	add(&c, e2e_airlock_bin());
	addv(&c, L("run", "-x", attack_dir(), ASK(NOTES), "--", copy, "exec", granted, f.secret));
	char *before = filter_snapshot(snapshot());
	run_cmd(&r, NULL, &c);
	char *after = filter_snapshot(snapshot());
	show_result("sandboxed", &r);
	EXPECT_NOT_CONTAINS(r.out, f.canary);
	expect_unchanged(before, after);
	if (r.status != 0)
		FAIL("S06 exec under airlock exited %d (%s)", r.status, status_meaning(r.status));
	if (strstr(r.out, "fail-closed"))
		printf("# as uid %d the brokered open is refused (EACCES): the supervisor cannot "
		       "read the memory of a process the kernel made non-dumpable; airlock says "
		       "nothing about it\n", (int)geteuid());
	teardown();
}

TEST(S07_own_seccomp_filters)
{
	setup();
	make_approver(allow_dir(NOTES));
	const char *granted = sp("%s/n.txt", NOTES);
	held("S07-own-filter", L(ASK(NOTES)), L(granted, f.secret));
	control_bare("S07-own-filter", L(granted, f.secret), false);
	teardown();
}

TEST(S08_ptrace_read_getfd_supervisor)
{
	setup();
	held("S08-supervisor-access", NULL, L("@SUP@"));
	control_bare("S08-supervisor-access", L("@SUP@"), false);
	teardown();
}

/* ---- D. Process attacks on the supervisor ------------------------------------------------ */

/* The sandboxed child of airlock pid sup (its child running comm), or 0. */
/* The parent of pid, from /proc (0 when gone), and whether its command name starts with comm. */
static pid_t parent_of(const char *pid, const char *comm, bool *named)
{
	char buf[1024];
	if (e2e_read_file(e2e_path("/proc/%s/stat", pid), buf, sizeof(buf)))
		return 0;
	const char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
	int ppid = 0;
	if (!open_paren || !close_paren || sscanf(close_paren + 2, "%*c %d", &ppid) != 1)
		return 0;
	if (named)
		*named = comm && !strncmp(open_paren + 1, comm, strlen(comm));
	return (pid_t)ppid;
}

/* The sandboxed command comm of the session whose airlock is sup: a child of the session's
 * reaper, airlock's child. */
static pid_t command_of(pid_t sup, const char *comm, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;
	while (monotonic_ms() < end) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			bool named = false;
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			pid_t ppid = parent_of(e->d_name, comm, &named);
			if (!named || ppid <= 0 || parent_of(e2e_path("%d", (int)ppid), NULL, NULL) != sup)
				continue;
			pid_t pid = (pid_t)atoi(e->d_name);
			closedir(d);
			return pid;
		}
		if (d)
			closedir(d);
		pause_ms(5);
	}
	return 0;
}

TEST(D07_other_session_cannot_reach_this_one)
{
	setup();
	struct cmd ca = { .n = 0 };
	add(&ca, e2e_airlock_bin());
	addv(&ca, L("run", "--", "sleep", "20"));
	struct bg a;
	bg_start(&a, &ca);
	pid_t child = command_of(a.pid, "sleep", 5000);
	if (!child) {
		bg_wait(&a, 0);
		show_result("session A", &r);
		FAIL("session A's sandboxed sleep did not show up");
	}
	const char *pa = sp("%d", (int)a.pid), *pc = sp("%d", (int)child);
	printf("# session A: airlock %s, its sandboxed child %s\n", pa, pc);
	held("S08-supervisor-access", NULL, L(pa, pc));
	control_bare("S08-supervisor-access", L(pa, pc), false);
	EXPECT_TRUE(bg_running(&a));
	kill(a.pid, SIGTERM);
	if (!bg_wait(&a, 5000))
		TH_FAIL_(0, "session A did not end within 5 s of SIGTERM");
	teardown();
}

TEST(D08_stopped_child_and_double_forked_daemon)
{
	setup();
	make_approver("case \"$path\" in */slow) sleep 0.3;; esac; " ALLOW_ONCE);
	const char *slow = sp("%s/slow", NOTES), *fast = sp("%s/fast", NOTES);
	const char *pidfile = sp("%s/d08.pid", f.proj), *floor_file = sp("%s/a.txt", f.proj);
	e2e_write_file(slow, "slow\n", 0644);
	e2e_write_file(fast, "fast\n", 0644);
	int64_t t0 = monotonic_ms();
	held("D08-stop-and-daemon", L(ASK(NOTES)), L(slow, fast, floor_file, pidfile));
	int64_t took = monotonic_ms() - t0;
	printf("# airlock returned after %lld ms\n", (long long)took);
	EXPECT_LE(took, 10000);
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(pidfile, buf, sizeof(buf)));
	pid_t daemon = (pid_t)atoi(buf);
	ASSERT_LT(1, daemon);
	char st = proc_state(daemon);
	if (st && st != 'Z') {
		char cmd[256] = "";
		e2e_read_file(sp("/proc/%d/cmdline", (int)daemon), cmd, sizeof(cmd));
		if (strstr(cmd, "D08")) {
			kill(daemon, SIGKILL);
			TH_FAIL_(0, "the daemon %d outlived airlock (state %c)", (int)daemon, st);
		}
	}
	const char *stopped = strstr(r.out, "leaving child ");
	if (stopped) {
		pid_t s = (pid_t)atoi(stopped + strlen("leaving child "));
		char cmd[256] = "";
		if (proc_state(s) && e2e_read_file(sp("/proc/%d/cmdline", (int)s), cmd, sizeof(cmd)) == 0 &&
		    strstr(cmd, "D08")) {
			kill(s, SIGKILL);
			TH_FAIL_(0, "the stopped child %d outlived airlock", (int)s);
		}
	}
	teardown();
}

/* ---- G. Resources and DoS ---------------------------------------------------------------- */

TEST(G01_fork_bomb)
{
	setup();
	make_approver(allow_dir(NOTES));
	const char *token = random_token();
	const char *floor_file = sp("%s/a.txt", f.proj), *granted = sp("%s/n.txt", NOTES);
	int64_t t0 = monotonic_ms();
	held("G01-fork-bomb", L(ASK(NOTES)), L(floor_file, granted, token, "200"));
	printf("# airlock returned after %lld ms\n", (long long)(monotonic_ms() - t0));
	pid_t left[512];
	int n = find_by_cmdline(token, left, 512);
	for (int i = 0; i < n; i++)
		kill(left[i], SIGKILL);
	EXPECT_EQ(0, n);
	teardown();
}

TEST(G02_thread_flood_memory_bounded)
{
	setup();
	struct cmd c = airlock_cmd("G02-thread-flood", NULL,
				   L(f.proj, f.home, f.secret, sp("%s/n.txt", NOTES), "2", "32"));
	struct bg b;
	bg_start(&b, &c);
	long max_rss = -1;
	while (bg_running(&b)) {
		long kib = vmrss_kib(b.pid);
		if (kib > max_rss)
			max_rss = kib;
		pause_ms(20);
	}
	ASSERT_TRUE(bg_wait(&b, 30000));
	show_result("sandboxed", &r);
	EXPECT_NOT_CONTAINS(r.out, f.canary);
	if (r.status != 0)
		FAIL("G02-thread-flood under airlock exited %d (%s)", r.status, status_meaning(r.status));
	printf("# airlock VmRSS: at most %ld KiB\n", max_rss);
	ASSERT_LT(0, max_rss);
	/* AddressSanitizer's shadow memory and quarantine of freed blocks inflate RSS several
	 * times over; the bound that matters is the plain build's. */
#if defined(__SANITIZE_ADDRESS__)
	TH_CMP_(0, max_rss, <, 512 * 1024);
#else
	TH_CMP_(0, max_rss, <, 64 * 1024);
#endif
	control_bare("G02-thread-flood",
		     L(f.proj, f.home, f.secret, sp("%s/n.txt", NOTES), "0.2", "4"), false);
	teardown();
}

TEST(G03_G05_approval_flood)
{
	setup();
	const int n = 200;
	for (int k = 0; k < n; k++)
		e2e_write_file(sp("%s/g%d", NOTES, k), sp("g%d\n", k), 0644);
	make_approver("sleep 0.5; " ALLOW_ONCE);
	struct cmd c = airlock_cmd("G03-approval-flood", L(ASK(NOTES)), L(NOTES, "200", "64"));
	struct bg b;
	int64_t t0 = monotonic_ms();
	bg_start(&b, &c);
	/* Only root can count them: airlock makes itself non-dumpable once it supervises. */
	int max_fds = -1, fd_err = 0;
	while (bg_running(&b)) {
		int k = count_fds_of(b.pid);
		if (k > max_fds)
			max_fds = k;
		if (k < 0 && k != -ENOENT)
			fd_err = -k;
		pause_ms(10);
	}
	if (fd_err)
		max_fds = -1;
	ASSERT_TRUE(bg_wait(&b, 30000));
	show_result("sandboxed", &r);
	printf("# airlock returned after %lld ms\n", (long long)(monotonic_ms() - t0));
	if (r.status != 0)
		FAIL("G03-approval-flood under airlock exited %d (%s)", r.status, status_meaning(r.status));
	const char *o = strstr(r.out, "opened ");
	ASSERT_TRUE(o != NULL);
	int opened = atoi(o + strlen("opened "));
	printf("# %d approved; the approver was asked %d time(s)\n", opened, n_asked(NULL));
	/* The approver allows everything: what it was asked is what opened. */
	EXPECT_EQ(opened, n_asked(NULL));
	if (max_fds >= 0) {
		printf("# airlock held at most %d fds\n", max_fds);
		TH_CMP_(0, max_fds, <, 1024);
	} else {
		printf("# airlock's fds not counted: /proc/%d/fd: %s (airlock makes itself "
		       "non-dumpable; only root can look)\n", (int)b.pid, strerror(fd_err));
	}
	teardown();
}

TEST(G04_fd_table_full_then_approved_open)
{
	setup();
	make_approver(allow_dir(NOTES));
	const char *ready = sp("%s/g04-ready", f.proj), *go = sp("%s/g04-go", f.proj);
	const char *done = sp("%s/g04-done", f.proj), *end = sp("%s/g04-end", f.proj);
	struct cmd c = airlock_cmd("G04-fd-exhaustion", L(ASK(NOTES)),
				   L(sp("%s/n.txt", NOTES), ready, go, done, end, "20"));
	struct bg b;
	bg_start(&b, &c);
	bool ok = wait_file(&b, ready, 10000);
	int before = count_fds_of(b.pid);
	e2e_write_file(go, "", 0644);
	ok = ok && wait_file(&b, done, 10000);
	int after = count_fds_of(b.pid);
	for (int64_t until = monotonic_ms() + 1000; after != before && monotonic_ms() < until; pause_ms(10))
		after = count_fds_of(b.pid);
	e2e_write_file(end, "", 0644);
	ASSERT_TRUE(bg_wait(&b, 10000));
	show_result("sandboxed", &r);
	if (!ok)
		FAIL("the handshake with G04-fd-exhaustion did not complete");
	if (r.status != 0)
		FAIL("G04-fd-exhaustion under airlock exited %d (%s)", r.status, status_meaning(r.status));
	if (before < 0) {
		printf("# airlock's own fds not compared: /proc/%d/fd: %s (airlock makes itself "
		       "non-dumpable; only root can look)\n", (int)b.pid, strerror(-before));
	} else {
		printf("# airlock's fds: %d before the rounds, %d after\n", before, after);
		EXPECT_EQ(before, after);
	}
	teardown();
}

/* "Never blocks on one request": connects waiting for room in a full backlog must not take
 * the workers away from every other call. */
TEST(G06_unix_connect_to_full_backlog_leaves_supervisor_free)
{
	setup();
	const char *sock = sp("%s/g06.sock", f.proj), *floor_file = sp("%s/a.txt", f.proj);
	int64_t t0 = monotonic_ms();
	held("G06-unix-backlog", NULL, L(sock, floor_file, "4"));
	printf("# airlock returned after %lld ms\n", (long long)(monotonic_ms() - t0));
	control_bare_s("G06-unix-backlog", L(sock, floor_file, "4"), NULL, 0, false);
	teardown();
}

TEST(G07_long_paths_many_components)
{
	setup();
	make_approver(allow_dir(NOTES));
	held("G07-long-paths", L(ASK(NOTES)), L(f.proj, f.home, "2"));
	control_bare("G07-long-paths", L(f.proj, f.home, "0.2"), true);
	teardown();
}

TEST(G09_audit_file_on_full_filesystem)
{
	setup();
	if (geteuid() != 0) {
		remove_fixture();
		SKIP("a full filesystem for the audit file needs a tiny tmpfs, which needs root");
	}
	char mnt[PATH_MAX];
	snprintf(mnt, sizeof(mnt), "%s-full", f.root);
	e2e_mkdir(mnt, 0755);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=16k") < 0) {
		rmdir(mnt);
		remove_fixture();
		SKIP("mount tmpfs: %s", strerror(errno));
	}
	int fill = open(sp("%s/fill", mnt), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	char zeros[4096] = { 0 };
	while (fill >= 0 && write(fill, zeros, sizeof(zeros)) > 0)
		;
	int e = errno;
	if (fill >= 0)
		close(fill);
	printf("# %s filled up (%s)\n", mnt, strerror(e));
	make_approver(allow_dir(NOTES));
	const char *audit = sp("%s/audit.jsonl", mnt);
	held("G07-long-paths", L(ASK(NOTES), "--audit", audit), L(f.proj, f.home, "1"));
	struct stat st;
	if (stat(audit, &st) == 0)
		printf("# the audit file holds %lld bytes\n", (long long)st.st_size);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	teardown();
}

/* ---- A. Path tricks under a granted directory -------------------------------------------- */

TEST(PB_path_tricks_under_granted_directory)
{
	setup();
	const char *notes = NOTES;
	char body[2 * PATH_MAX + 256];
	snprintf(body, sizeof(body), "case \"$path\" in '%s'|'%s'/*) " ALLOW_SESSION ";; *) " DENY ";; esac",
		 notes, notes);
	make_approver(body);
	symlink_or_fail(f.secret, sp("%s/l", notes));
	symlink_or_fail(sp("%s/.ssh", f.home), sp("%s/ld", notes));
	symlink_or_fail(sp("%s/outside-new", f.home), sp("%s/dang", notes));
	symlink_or_fail(sp("%s/.ssh/new", f.home), sp("%s/dang2", notes));
	symlink_or_fail(sp("%s/inside-new", notes), sp("%s/dangin", notes));
	if (link(f.secret, sp("%s/key", notes)) < 0)
		FAIL("link: %m");
	held("PB-brokered-paths", L(ASK(sp("%s:rw", notes))), L("brokered", f.home, notes, f.secret));
	ASSERT_NE(0, access(sp("%s/outside-new", f.home), F_OK));
	ASSERT_NE(0, access(sp("%s/.ssh/new", f.home), F_OK));
	control_bare("PB-brokered-paths", L("brokered", f.home, notes, f.secret), true);
	teardown();
}

/* Exact semantics on the same planted names (the kernel's errno, not EACCES or EINVAL). */
TEST(PB_errno_and_mode_parity_under_granted_directory)
{
	setup();
	const char *notes = NOTES;
	char body[2 * PATH_MAX + 256];
	snprintf(body, sizeof(body), "case \"$path\" in '%s'|'%s'/*) " ALLOW_SESSION ";; *) " DENY ";; esac",
		 notes, notes);
	make_approver(body);
	symlink_or_fail(f.secret, sp("%s/l", notes));
	symlink_or_fail(sp("%s/outside-new", f.home), sp("%s/dang", notes));
	symlink_or_fail(sp("%s/inside-new", notes), sp("%s/dangin", notes));
	held("PB-brokered-paths", L(ASK(sp("%s:rw", notes))), L("semantics", notes));
	/* Bare, the same program must pass: these are the kernel's answers. */
	control_bare_s("PB-brokered-paths", L("semantics", notes), NULL, 0, false);
	teardown();
}

/* A hardlink of the secret in the project (the floor), made before the start. */
TEST(PB_hardlink_in_floor_opath_reopen)
{
	setup();
	const char *key = sp("%s/key", f.proj);
	if (link(f.secret, key) < 0)
		FAIL("link: %m");
	held("PB-brokered-paths", NULL, L("floor-hardlink", key));
	control_bare("PB-brokered-paths", L("floor-hardlink", key), true);
	teardown();
}

HARNESS_MAIN
