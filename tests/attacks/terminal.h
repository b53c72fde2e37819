/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Terminal cases of the attack driver: a pty plays the user's terminal, a small "shell" owns
 * it as controlling terminal and runs airlock as a foreground job, and afterwards the
 * terminal's modes, size, line discipline, exclusive flag, input queue and ownership are
 * compared with what they were.
 */
#pragma once

#include <sys/ioctl.h>
#include <termios.h>

#include "driver.h"

struct term_state {
	struct termios t;
	struct winsize ws;
	int excl;
	int ldisc;
};

/* Returns false if the state cannot be read (a line discipline without termios, ...). */
static bool term_get(int fd, struct term_state *s)
{
	memset(s, 0, sizeof(*s));
	if (tcgetattr(fd, &s->t) < 0 || ioctl(fd, TIOCGWINSZ, &s->ws) < 0 ||
	    ioctl(fd, TIOCGETD, &s->ldisc) < 0 || ioctl(fd, TIOCGEXCL, &s->excl) < 0) {
		printf("# terminal state unreadable: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static bool term_same(const struct term_state *a, const struct term_state *b)
{
	bool same = true;
#define CMP(field, fmt)                                                                            \
	if (a->field != b->field) {                                                                \
		printf("# terminal " #field " was " fmt ", is " fmt "\n", a->field, b->field);     \
		same = false;                                                                      \
	}
	CMP(t.c_iflag, "%#o")
	CMP(t.c_oflag, "%#o")
	CMP(t.c_cflag, "%#o")
	CMP(t.c_lflag, "%#o")
	CMP(ws.ws_row, "%u")
	CMP(ws.ws_col, "%u")
	CMP(excl, "%d")
	CMP(ldisc, "%d")
#undef CMP
	if (cfgetispeed(&a->t) != cfgetispeed(&b->t) || cfgetospeed(&a->t) != cfgetospeed(&b->t)) {
		printf("# terminal speed changed\n");
		same = false;
	}
	if (memcmp(a->t.c_cc, b->t.c_cc, sizeof(a->t.c_cc)) != 0) {
		printf("# terminal control characters (c_cc) changed\n");
		same = false;
	}
	return same;
}

/* Everything waiting in the terminal's input queue (what a shell would read next). */
static size_t term_pending_input(int slave, char *buf, size_t cap)
{
	struct termios t;
	size_t got = 0;
	if (tcgetattr(slave, &t) < 0)
		FAIL("tcgetattr: %m");
	t.c_lflag &= ~(tcflag_t)ICANON; /* partial lines become readable too */
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(slave, TCSANOW, &t) < 0)
		FAIL("tcsetattr: %m");
	for (;;) {
		ssize_t n = read(slave, buf + got, cap - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return got;
}

struct term {
	int master, slave;
	char name[64];
	struct term_state before;
};

static void term_open(struct term *t)
{
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
	    ptsname_r(t->master, t->name, sizeof(t->name)) != 0)
		FAIL("pty: %m");
	t->slave = open(t->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0)
		FAIL("open %s: %m", t->name);
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	ioctl(t->slave, TIOCSWINSZ, &ws);
	if (!term_get(t->slave, &t->before))
		FAIL("fresh pty: terminal state unreadable");
}

struct term_run {
	int status;	 /* the job's exit status */
	int ctty_kept;	 /* the shell still owns its terminal afterwards */
	char out[65536]; /* what the job wrote on the terminal */
};

/* The pty is the user's terminal: a "shell" (session leader, the pty its controlling
 * terminal) runs c as a foreground job in a process group of its own, as an interactive shell
 * does, waits for it, and takes the terminal back. The job's stdin is the terminal when
 * stdin_tty, else /dev/null; its stdout and stderr are the terminal. */
static void run_on_terminal(struct term_run *tr, struct term *t, bool stdin_tty, struct cmd *c)
{
	int rep[2];
	bool airlock = strcmp(c->v[0], e2e_airlock_bin()) == 0;

	memset(tr, 0, sizeof(*tr));
	tr->status = -1;
	if (pipe2(rep, O_CLOEXEC) < 0)
		FAIL("pipe: %m");
	fflush(stdout);
	pid_t shell = fork();
	if (shell < 0)
		FAIL("fork: %m");
	if (shell == 0) {
		int report[2] = { -1, 0 };
		signal(SIGTTOU, SIG_IGN);
		signal(SIGTTIN, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		if (setsid() < 0 || ioctl(t->slave, TIOCSCTTY, 0) < 0)
			_exit(120);
		pid_t job = fork();
		if (job == 0) {
			setpgid(0, 0);
			tcsetpgrp(t->slave, getpid());
			signal(SIGTTOU, SIG_DFL);
			signal(SIGTTIN, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			int null = open("/dev/null", O_RDONLY);
			if (dup2(stdin_tty ? t->slave : null, 0) < 0 || dup2(t->slave, 1) < 0 ||
			    dup2(t->slave, 2) < 0)
				_exit(127);
			close_harness_fd();
			child_resolve_sup(c, airlock);
			execv(c->v[0], (char *const *)c->v);
			_exit(127);
		}
		setpgid(job, job);
		tcsetpgrp(t->slave, job);
		int st;
		while (waitpid(job, &st, 0) < 0 && errno == EINTR)
			;
		report[0] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		report[1] = tcgetsid(t->slave) == getsid(0) && tcsetpgrp(t->slave, getpgrp()) == 0;
		if (write(rep[1], report, sizeof(report)) != sizeof(report))
			_exit(121);
		_exit(0);
	}
	close(rep[1]);

	/* Keep reading the terminal while the shell runs (a full pty would block the job). */
	int pidfd = (int)syscall(SYS_pidfd_open, shell, 0);
	if (pidfd < 0)
		FAIL("pidfd_open: %m");
	size_t used = 0;
	for (;;) {
		struct pollfd p[2] = { { t->master, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			FAIL("poll: %m");
		}
		if (p[0].revents & POLLIN) {
			ssize_t n = read(t->master, tr->out + used, sizeof(tr->out) - 1 - used);
			if (n > 0)
				used += (size_t)n;
		}
		if (p[1].revents & POLLIN)
			break;
	}
	int st;
	while (waitpid(shell, &st, 0) < 0)
		if (errno != EINTR)
			FAIL("waitpid: %m");
	close(pidfd);
	/* What the job wrote before it exited is in the master's buffer by now. */
	fcntl(t->master, F_SETFL, O_NONBLOCK);
	for (;;) {
		ssize_t n = read(t->master, tr->out + used, sizeof(tr->out) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	tr->out[used] = '\0';
	int report[2];
	if (read(rep[0], report, sizeof(report)) != sizeof(report))
		FAIL("the test's shell failed (status 0x%x)", st);
	close(rep[0]);
	tr->status = report[0];
	tr->ctty_kept = report[1];
}

/* The checks after a run on the user's terminal: what the job printed, that the shell kept
 * its terminal, the terminal's state, nothing injected. Returns whether all held. */
static bool term_checks(const struct term_run *tr, struct term *t, const char *label)
{
	struct term_state after;
	char pending[4096];
	bool ok = true;

	printf("# %s: exit %d\n", label, tr->status);
	show(label, tr->out);
	EXPECT_NOT_CONTAINS(tr->out, f.canary);
	if (!tr->ctty_kept) {
		printf("# the shell lost its controlling terminal\n");
		ok = false;
	}
	bool readable = term_get(t->slave, &after);
	if (!readable || !term_same(&t->before, &after))
		ok = false;
	if (readable && term_pending_input(t->slave, pending, sizeof(pending)) > 0) {
		printf("# injected into the terminal's input: %s\n", pending);
		ok = false;
	}
	return ok;
}

static void term_close(struct term *t)
{
	close(t->master);
	close(t->slave);
}

static struct term_run tr;

/* One terminal test: the attack under airlock must hold and leave the terminal as it was;
 * then the bare control on a fresh terminal must show the effect the checks look for. */
static void terminal_case(const char *prog, bool stdin_tty, bool pass_name, int control_want)
{
	struct term t;
	setup();
	term_open(&t);
	struct cmd c = airlock_cmd(prog, NULL, L(pass_name ? t.name : "-"));
	run_on_terminal(&tr, &t, stdin_tty, &c);
	bool ok = term_checks(&tr, &t, "sandboxed");
	EXPECT_TRUE(ok);
	term_close(&t);
	if (tr.status != 0)
		FAIL("%s under airlock exited %d (%s)", prog, tr.status, status_meaning(tr.status));
	if (!ok)
		FAIL("the user's terminal was changed (see above)");

	term_open(&t);
	c = bare_cmd(prog, L(pass_name ? t.name : "-"));
	run_on_terminal(&tr, &t, stdin_tty, &c);
	ok = term_checks(&tr, &t, "control");
	if (tr.status != control_want || ok)
		FAIL("positive control: %s without airlock exited %d, left the terminal %s; "
		     "expected exit %d and a changed terminal",
		     prog, tr.status, ok ? "unchanged" : "changed", control_want);
	printf("# control: without airlock, %s changes the terminal\n", prog);
	term_close(&t);
}
