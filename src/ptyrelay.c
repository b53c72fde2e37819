/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ptyrelay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"

int pty_open(struct pty *p)
{
	*p = (struct pty){ .master = -1, .slave = -1, .in_fd = 0, .out_fd = -1 };

	/* Whenever any of stdin, stdout, stderr is a terminal: the sandbox must never hold the
	 * user's terminal itself, or it could change its modes, take it as its controlling
	 * terminal, or write to it after we are gone. */
	int tty = -1;
	for (int i = 0; i < 3; i++) {
		p->on_tty[i] = isatty(i);
		if (p->on_tty[i] && tty < 0)
			tty = i;
	}
	if (tty < 0)
		return 0;
	p->in_fd = p->on_tty[0] ? 0 : -1;
	p->out_fd = p->on_tty[1] ? 1 : p->on_tty[2] ? 2 : -1;
	/* In the background of a shell, relaying input would stop us (SIGTTIN): output only. */
	if (p->in_fd >= 0 && tcgetpgrp(0) != getpgrp())
		p->in_fd = -1;

	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return negative_errno();
	if (grantpt(master) < 0 || unlockpt(master) < 0)
		return negative_errno();
	char name[128];
	if (ptsname_r(master, name, sizeof(name)) != 0)
		return negative_errno();
	_cleanup_close_ int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return negative_errno();

	struct termios t;
	if (tcgetattr(tty, &t) == 0)
		tcsetattr(slave, TCSANOW, &t);
	p->master = TAKE_FD(master);
	p->slave = TAKE_FD(slave);
	snprintf(p->name, sizeof(p->name), "%s", name);
	pty_sync_winsize(p);
	return 0;
}

int pty_make_raw(struct pty *p)
{
	if (p->master < 0 || p->raw || p->in_fd < 0)
		return 0;
	if (tcgetattr(p->in_fd, &p->saved) < 0)
		return negative_errno();
	struct termios raw = p->saved;
	cfmakeraw(&raw);
	if (tcsetattr(p->in_fd, TCSANOW, &raw) < 0)
		return negative_errno();
	p->raw = true;
	return 0;
}

void pty_restore(struct pty *p)
{
	if (!p->raw)
		return;
	/* TCSADRAIN: let our last output reach the terminal before the modes change back. */
	tcsetattr(p->in_fd, TCSADRAIN, &p->saved);
	p->raw = false;
}

void pty_sync_winsize(struct pty *p)
{
	struct winsize ws;
	if (p->master < 0)
		return;
	if ((p->in_fd >= 0 && ioctl(p->in_fd, TIOCGWINSZ, &ws) == 0) ||
	    (p->out_fd >= 0 && ioctl(p->out_fd, TIOCGWINSZ, &ws) == 0))
		ioctl(p->master, TIOCSWINSZ, &ws);
}

int pty_child_attach(const struct pty *p)
{
	if (p->slave < 0)
		return 0;
	if (ioctl(p->slave, TIOCSCTTY, 0) < 0)
		return -errno;
	for (int i = 0; i < 3; i++)
		if (p->on_tty[i] && dup2(p->slave, i) < 0)
			return -errno;
	return 0;
}

void pty_close(struct pty *p)
{
	pty_restore(p);
	p->master = safe_close(p->master);
	p->slave = safe_close(p->slave);
}
