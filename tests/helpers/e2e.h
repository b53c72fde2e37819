/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * End-to-end helpers: a fixture tree on disk and a way to run the real airlock binary on it.
 *
 * The fixture is a fresh directory holding:
 *	home/                  the $HOME airlock sees (HOME is set to it)
 *	home/.ssh/id_rsa       a random canary that must never be read from inside a sandbox
 *	home/.bashrc           a file outside the project that must never change
 *	home/notes/n.txt       a file outside the project, grantable with --read
 *	proj/                  the project: the working directory of every run ($CWD)
 *	proj/a.txt             "hello\n"
 * Tests run as whoever runs the suite (root, and again as an unprivileged user).
 */
#pragma once

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "harness.h"

struct e2e_fixture {
	char root[PATH_MAX / 2];
	char home[PATH_MAX];
	char proj[PATH_MAX];
	char secret[PATH_MAX]; /* home/.ssh/id_rsa */
	char canary[65];       /* its content: 64 hex characters */
};

struct e2e_result {
	int status; /* exit code, or 128+N for signal N */
	char out[65536];
	char err[65536];
};

static inline const char *e2e_airlock_bin(void)
{
	const char *p = getenv("AIRLOCK_BIN");
	return p ? p : "airlock";
}

/* Path of a test helper program built in tests/helpers or tests/attacks. */
static inline const char *e2e_helper(const char *name)
{
	static char buf[8][PATH_MAX];
	static unsigned slot;
	const char *dir = getenv("AIRLOCK_TEST_HELPERS");
	char *b = buf[slot++ % 8];
	snprintf(b, PATH_MAX, "%s/%s", dir ? dir : ".", name);
	return b;
}

static inline void e2e_write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		FAIL("create %s: %m", path);
	size_t len = strlen(content);
	if (write(fd, content, len) != (ssize_t)len)
		FAIL("write %s: %m", path);
	close(fd);
}

static inline void e2e_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		FAIL("mkdir %s: %m", path);
}

/* printf into a fresh path buffer (one of a small ring, valid until reused 16 calls later). */
static inline const char *e2e_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *e2e_path(const char *fmt, ...)
{
	static char buf[16][PATH_MAX];
	static unsigned slot;
	char *b = buf[slot++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, PATH_MAX, fmt, ap);
	va_end(ap);
	return b;
}

static inline void e2e_fixture_setup(struct e2e_fixture *f)
{
	const char *base = getenv("AIRLOCK_TEST_TMP");
	unsigned char rnd[32];

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s/airlock-e2e-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(f->root))
		FAIL("mkdtemp %s: %m", f->root);
	snprintf(f->home, sizeof(f->home), "%s/home", f->root);
	snprintf(f->proj, sizeof(f->proj), "%s/proj", f->root);
	snprintf(f->secret, sizeof(f->secret), "%s/home/.ssh/id_rsa", f->root);
	e2e_mkdir(f->home, 0755);
	e2e_mkdir(e2e_path("%s/.ssh", f->home), 0700);
	e2e_mkdir(e2e_path("%s/notes", f->home), 0755);
	e2e_mkdir(f->proj, 0755);
	/* A user's XDG directories, with airlock's own already there (as after a first run), so
	 * that a run changes nothing outside the project but airlock's state. */
	e2e_mkdir(e2e_path("%s/.config", f->home), 0755);
	e2e_mkdir(e2e_path("%s/.config/airlock", f->home), 0700);
	e2e_mkdir(e2e_path("%s/.local", f->home), 0755);
	e2e_mkdir(e2e_path("%s/.local/state", f->home), 0755);
	e2e_mkdir(e2e_path("%s/.local/state/airlock", f->home), 0700);
	e2e_mkdir(e2e_path("%s/.local/state/airlock/audit", f->home), 0700);

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		FAIL("getrandom: %m");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(f->canary + 2 * i, 3, "%02x", rnd[i]);
	e2e_write_file(f->secret, f->canary, 0600);
	e2e_write_file(e2e_path("%s/.bashrc", f->home), "# bashrc\n", 0644);
	e2e_write_file(e2e_path("%s/notes/n.txt", f->home), "note\n", 0644);
	e2e_write_file(e2e_path("%s/a.txt", f->proj), "hello\n", 0644);

	/* Runs see the fixture as their world: HOME, cwd, and XDG dirs that do not point at
	 * the real user's configuration. */
	setenv("HOME", f->home, 1);
	setenv("XDG_CONFIG_HOME", e2e_path("%s/.config", f->home), 1);
	setenv("XDG_STATE_HOME", e2e_path("%s/.local/state", f->home), 1);
	unsetenv("XDG_RUNTIME_DIR");
	if (chdir(f->proj) < 0)
		FAIL("chdir %s: %m", f->proj);
}

static inline void e2e_drain(int fds[2], char *bufs[2], size_t caps[2])
{
	size_t used[2] = { 0, 0 };
	struct pollfd p[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
	int open_fds = 2;

	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			FAIL("poll: %m");
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char tmp[4096];
			ssize_t n = read(p[i].fd, tmp, sizeof(tmp));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
				continue;
			}
			size_t room = caps[i] - 1 - used[i];
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(bufs[i] + used[i], tmp, take);
			used[i] += take;
		}
	}
	bufs[0][used[0]] = '\0';
	bufs[1][used[1]] = '\0';
}

/* Read a child's stdout and stderr (the read ends; both closed) into r, then reap it: the exit
 * status as a shell would report it. */
static inline int e2e_collect(struct e2e_result *r, pid_t pid, int out_fd, int err_fd)
{
	int fds[2] = { out_fd, err_fd }, status;
	char *bufs[2] = { r->out, r->err };
	size_t caps[2] = { sizeof(r->out), sizeof(r->err) };
	e2e_drain(fds, bufs, caps);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			FAIL("waitpid: %m");
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r->status;
}

/* Run a program with argv (NULL-terminated), stdin from /dev/null, capturing stdout and stderr.
 * Returns the exit status as a shell would report it. */
static inline int e2e_exec(struct e2e_result *r, const char *const *argv)
{
	int out[2], err[2];

	memset(r, 0, sizeof(*r));
	fflush(stdout);
	fflush(stderr);
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		FAIL("pipe: %m");
	pid_t pid = fork();
	if (pid < 0)
		FAIL("fork: %m");
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	return e2e_collect(r, pid, out[0], err[0]);
}

/* Run the airlock binary with the given arguments (NULL-terminated list after "airlock"). */
#define e2e_airlock(r, ...)                                                        \
	e2e_exec((r), (const char *const[]){ e2e_airlock_bin(), __VA_ARGS__, NULL })

/* Run airlock, and fail the test with its stderr if it did not exit with want. */
#define e2e_airlock_expect(r, want, ...)                                           \
	do {                                                                       \
		int _st = e2e_airlock((r), __VA_ARGS__);                           \
		if (_st != (want))                                                 \
			FAIL("airlock exited %d, expected %d\nstdout: %s\nstderr: %s", \
			     _st, (want), (r)->out, (r)->err);                     \
	} while (0)

/* Read a whole small file into buf; returns 0 or errno. */
static inline int e2e_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t n = read(fd, buf, cap - 1);
	int e = n < 0 ? errno : 0;
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return e;
}
