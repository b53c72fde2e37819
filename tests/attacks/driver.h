/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The attack driver's machinery (tests/attacks/test-attacks.c is its only user): building
 * `airlock run` and bare command lines for the attack programs, running them with chosen
 * stdin and inherited fds, snapshots of everything outside the project, and the
 * held / positive-control checks every test makes.
 */
#pragma once

#include <dirent.h>
#include <ftw.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "e2e.h"

static struct e2e_fixture f;
static struct e2e_result r;

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define HOME_PROJ L("@HOME@", "@PROJ@")
#define NET_OFF L("--net", "off")
#define NET_ON L("--net", "on")

/* ---- Commands -------------------------------------------------------------------------- */

static const char *attack_dir(void)
{
	static char dir[PATH_MAX];
	if (!dir[0]) {
		ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
		if (n <= 0)
			FAIL("readlink /proc/self/exe: %m");
		dir[n] = '\0';
		*strrchr(dir, '/') = '\0';
	}
	return dir;
}

static const char *helpers_dir(void)
{
	const char *d = getenv("AIRLOCK_TEST_HELPERS");
	if (!d)
		FAIL("AIRLOCK_TEST_HELPERS is not set (run through meson test)");
	return d;
}

struct cmd {
	const char *v[128];
	int n;
};

/* Append s; the tokens @HOME@ and @PROJ@ become the fixture's paths. @SUP@ is replaced in the
 * child just before exec: by airlock's pid when airlock runs the program (airlock is the
 * supervisor), by the test's pid when the program runs bare (the test is then its parent). */
static void add(struct cmd *c, const char *s)
{
	if (c->n >= 126)
		FAIL("command too long");
	if (strcmp(s, "@HOME@") == 0)
		s = f.home;
	else if (strcmp(s, "@PROJ@") == 0)
		s = f.proj;
	c->v[c->n++] = strdup(s);
	c->v[c->n] = NULL;
}

static void addv(struct cmd *c, const char *const *list)
{
	for (; list && *list; list++)
		add(c, *list);
}

/* Which sandbox the current test drives (see the top of this file). */
static bool mode_static;

struct spawn;
static int run_cmd(struct e2e_result *res, const struct spawn *s, struct cmd *c);

/* Whether this airlock knows --static (then plain `airlock run` is supervised). */
static bool has_static_flag(void)
{
	static int known = -1;
	if (known < 0) {
		struct e2e_result *probe = calloc(1, sizeof(*probe));
		struct cmd c = { .n = 0 };
		add(&c, e2e_airlock_bin());
		addv(&c, L("run", "--static", "--dry-run", "--", "true"));
		known = run_cmd(probe, NULL, &c) == 0;
		free(probe);
	}
	return known;
}

static void add_mode(struct cmd *c)
{
	if (mode_static && has_static_flag())
		add(c, "--static");
}

static struct cmd airlock_cmd(const char *prog, const char *const *opts, const char *const *args)
{
	struct cmd c = { .n = 0 };
	add(&c, e2e_airlock_bin());
	add(&c, "run");
	add_mode(&c);
	add(&c, "-x");
	add(&c, attack_dir());
	add(&c, "-x");
	add(&c, helpers_dir());
	addv(&c, opts);
	add(&c, "--");
	add(&c, e2e_path("%s/%s", attack_dir(), prog));
	addv(&c, args);
	return c;
}

static struct cmd bare_cmd(const char *prog, const char *const *args)
{
	struct cmd c = { .n = 0 };
	add(&c, e2e_path("%s/%s", attack_dir(), prog));
	addv(&c, args);
	return c;
}

/* In a child about to exec c: resolve @SUP@. */
static void child_resolve_sup(struct cmd *c, bool airlock)
{
	static char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)(airlock ? getpid() : getppid()));
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->v[i], "@SUP@") == 0)
			c->v[i] = pid;
}

/* The harness reads a SKIP reason from a pipe until every writer is gone: a command that
 * outlives a timed-out test must not hold it. */
static void close_harness_fd(void)
{
	if (harness_report_fd >= 0)
		close(harness_report_fd);
}

struct spawn {
	int in_fd;	 /* stdin of the command; -1: /dev/null */
	const int *keep; /* fds (> 2) the command inherits, not close-on-exec */
	int n_keep;
};

/* Run c with stdout and stderr captured into res. */
static int run_cmd(struct e2e_result *res, const struct spawn *s, struct cmd *c)
{
	int out[2], err[2];
	bool airlock = strcmp(c->v[0], e2e_airlock_bin()) == 0;

	memset(res, 0, sizeof(*res));
	fflush(stdout);
	fflush(stderr);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		FAIL("pipe: %m");
	pid_t pid = fork();
	if (pid < 0)
		FAIL("fork: %m");
	if (pid == 0) {
		int in = s && s->in_fd >= 0 ? s->in_fd : open("/dev/null", O_RDONLY);
		if (dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(127);
		for (int i = 0; s && i < s->n_keep; i++)
			fcntl(s->keep[i], F_SETFD, 0);
		close_harness_fd();
		child_resolve_sup(c, airlock);
		execv(c->v[0], (char *const *)c->v);
		fprintf(stderr, "exec %s: %m\n", c->v[0]);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	return e2e_collect(res, pid, out[0], err[0]);
}

/* Print captured output as TAP diagnostics, one "# label| " line per line. */
static void show(const char *label, const char *text)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		printf("# %s| %.*s\n", label, len, p);
		p += len + (nl ? 1 : 0);
	}
	fflush(stdout);
}

static void show_result(const char *label, const struct e2e_result *res)
{
	printf("# %s: exit %d\n", label, res->status);
	show(label, res->out);
	show(label, res->err);
}

/* ---- What must not change -------------------------------------------------------------- */

static uint64_t fnv1a(int fd)
{
	uint64_t h = 1469598103934665603ull;
	unsigned char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 1099511628211ull;
	return h;
}

static void snap_entry(FILE *out, int dfd, const char *name, const char *rel)
{
	struct stat st;
	char full[PATH_MAX * 2], xattrs[1024];

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		fprintf(out, "%s: %s\n", rel, strerror(errno));
		return;
	}
	fprintf(out,
		"%s mode=%o uid=%u gid=%u nlink=%lu size=%lld mtime=%lld.%09ld ctime=%lld.%09ld",
		rel, (unsigned)st.st_mode, (unsigned)st.st_uid, (unsigned)st.st_gid,
		(unsigned long)st.st_nlink, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	snprintf(full, sizeof(full), "%s/%s", f.root, rel);
	ssize_t xl = llistxattr(full, xattrs, sizeof(xattrs) - 1);
	for (ssize_t i = 0; i < xl; i += (ssize_t)strlen(xattrs + i) + 1)
		fprintf(out, " xattr=%s", xattrs + i);
	if (S_ISREG(st.st_mode)) {
		int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd >= 0) {
			fprintf(out, " content=%016llx", (unsigned long long)fnv1a(fd));
			close(fd);
		}
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(out, " -> %s", target);
	}
	fputc('\n', out);
}

static void snap_dir(FILE *out, int dfd, const char *rel)
{
	struct dirent **list;
	int n = scandirat(dfd, ".", &list, NULL, alphasort);
	if (n < 0) {
		fprintf(out, "%s/: %s\n", rel, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char sub[PATH_MAX];
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", name);
		/* The project is the writable tree; airlock's own state is airlock's business. */
		if (strcmp(sub, "proj") == 0 || strcmp(sub, "home/.local/state/airlock") == 0 ||
		    strcmp(sub, "home/.config/airlock") == 0)
			continue;
		snap_entry(out, dfd, name, sub);
		int sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd >= 0) {
			snap_dir(out, sfd, sub);
			close(sfd);
		}
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static char *snapshot(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int dfd = open(f.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!out || dfd < 0)
		FAIL("snapshot of %s: %m", f.root);
	snap_entry(out, AT_FDCWD, f.root, ".");
	snap_dir(out, dfd, "");
	close(dfd);
	fclose(out);
	return buf;
}

/* Report (as an expectation failure) every line of a that is not in b. */
static bool diff_lines(const char *label, const char *a, const char *b)
{
	bool same = true;
	for (const char *p = a; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool found = false;
		for (const char *q = b; *q;) {
			const char *qn = strchr(q, '\n');
			size_t ql = qn ? (size_t)(qn - q) : strlen(q);
			if (ql == len && memcmp(p, q, len) == 0) {
				found = true;
				break;
			}
			q += ql + (qn ? 1 : 0);
		}
		if (!found) {
			printf("# %s %.*s\n", label, (int)len, p);
			same = false;
		}
		p += len + (nl ? 1 : 0);
	}
	return same;
}

static void expect_unchanged(const char *before, const char *after)
{
	if (strcmp(before, after) == 0)
		return;
	printf("# outside the project, something changed:\n");
	diff_lines("before:", before, after);
	diff_lines("after: ", after, before);
	TH_FAIL_(0, "files outside the project changed (see above)");
}

/* ---- Running attacks ------------------------------------------------------------------- */

static void setup(void)
{
	e2e_fixture_setup(&f);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_fixture(void)
{
	if (!f.root[0] || chdir("/") < 0)
		return;
	chmod(e2e_path("%s/.ssh", f.home), 0700); /* a bare P20 control may have changed it */
	nftw(f.root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove the fixture after a test that passed; a failed test leaves it behind for a look. */
static void teardown(void)
{
	if (!harness_failed_expect)
		remove_fixture();
}

/* One attack, two tests: NAME__static and NAME__supervised. */
#define ATTACK_TEST(name)                                                                          \
	static void attack_##name(void);                                                           \
	TEST(name##__static)                                                                       \
	{                                                                                          \
		mode_static = true;                                                                \
		attack_##name();                                                                   \
	}                                                                                          \
	TEST(name##__supervised)                                                                   \
	{                                                                                          \
		mode_static = false;                                                               \
		if (!has_static_flag())                                                            \
			SKIP("this airlock has no supervisor (no --static option)");               \
		attack_##name();                                                                   \
	}                                                                                          \
	static void attack_##name(void)

/* The "not applicable: ..." reason an attack printed, for SKIP. */
static const char *na_reason(const char *out)
{
	static char buf[400];
	const char *p = strstr(out, "not applicable: ");
	if (!p)
		return "(no reason printed)";
	p += strlen("not applicable: ");
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* Run prog under airlock with opts; check the canary and the files outside the project;
 * return the program's exit status (through airlock). */
static int sandboxed(const char *prog, const char *const *opts, const char *const *args,
		     const struct spawn *s)
{
	struct cmd c = airlock_cmd(prog, opts, args);
	char *before = snapshot();
	run_cmd(&r, s, &c);
	char *after = snapshot();
	show_result("sandboxed", &r);
	EXPECT_NOT_CONTAINS(r.out, f.canary);
	EXPECT_NOT_CONTAINS(r.err, f.canary);
	expect_unchanged(before, after);
	free(before);
	free(after);
	return r.status;
}

static const char *status_meaning(int status)
{
	switch (status) {
	case 0: return "held";
	case 1: return "LEAK: the attack succeeded";
	case 2: return "bad usage";
	case 3: return "a positive control failed or an errno was wrong";
	case 77: return "not applicable";
	case 125: return "airlock failed";
	case 126: return "airlock: not executable";
	case 127: return "airlock: not found";
	default: return status > 128 ? "killed by a signal" : "?";
	}
}

/* The sandbox must hold: exit 0. */
static void expect_held_s(const char *prog, const char *const *opts, const char *const *args,
			  const struct spawn *s)
{
	int st = sandboxed(prog, opts, args, s);
	if (st == 77) {
		remove_fixture();
		SKIP("%s: %s", prog, na_reason(r.out));
	}
	if (st != 0)
		FAIL("%s under airlock exited %d (%s)", prog, st, status_meaning(st));
}

static void expect_held(const char *prog, const char *const *opts, const char *const *args)
{
	expect_held_s(prog, opts, args, NULL);
}

/* Positive control: without airlock the attack must work (exit 1); if canary is set, what it
 * stole must be in its output. */
static void control_bare_s(const char *prog, const char *const *args, const struct spawn *s,
			   int want, bool stole_canary)
{
	struct cmd c = bare_cmd(prog, args);
	run_cmd(&r, s, &c);
	if (r.status != want) {
		show_result("control", &r);
		FAIL("positive control: %s without airlock exited %d (%s), expected %d", prog,
		     r.status, status_meaning(r.status), want);
	}
	if (stole_canary && !strstr(r.out, f.canary)) {
		show_result("control", &r);
		FAIL("positive control: %s without airlock did not print the canary", prog);
	}
	printf("# control: without airlock, %s exits %d (%s)\n", prog, r.status,
	       status_meaning(r.status));
}

static void control_bare(const char *prog, const char *const *args, bool stole_canary)
{
	control_bare_s(prog, args, NULL, 1, stole_canary);
}

/* Positive control under airlock with looser options: must leak (exit 1). */
static void control_airlock_s(const char *prog, const char *const *opts, const char *const *args,
			      const struct spawn *s)
{
	struct cmd c = airlock_cmd(prog, opts, args);
	run_cmd(&r, s, &c);
	if (r.status != 1) {
		show_result("control", &r);
		FAIL("positive control: %s under airlock %s exited %d (%s), expected 1", prog,
		     opts && opts[0] ? opts[0] : "", r.status, status_meaning(r.status));
	}
	printf("# control: under airlock with the looser option, %s exits 1\n", prog);
}

static void control_airlock(const char *prog, const char *const *opts, const char *const *args)
{
	control_airlock_s(prog, opts, args, NULL);
}

/* fds of the secret and of ~/.ssh, open without close-on-exec. */
static void open_secret_fds(int fds[2])
{
	fds[0] = open(f.secret, O_RDONLY);
	fds[1] = open(e2e_path("%s/.ssh", f.home), O_RDONLY | O_DIRECTORY);
	if (fds[0] < 0 || fds[1] < 0)
		FAIL("open secret: %m");
}

static pid_t start_sentinel(void)
{
	pid_t pid = fork();
	if (pid < 0)
		FAIL("fork: %m");
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void expect_alive(pid_t pid, const char *what)
{
	int status;
	pid_t w = waitpid(pid, &status, WNOHANG);
	if (w == pid)
		TH_FAIL_(0, "%s died (status 0x%x)", what, status);
	else
		printf("# %s is alive\n", what);
}
