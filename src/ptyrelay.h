/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The child's terminal: when stdin is a terminal (and we are in its foreground), the child runs
 * on a pty that airlock owns and relays. Injection into the user's terminal (TIOCSTI) then only
 * reaches the sandbox's own input, and airlock keeps the real terminal to itself.
 */
#pragma once

#include <stdbool.h>
#include <termios.h>

struct pty {
	int master, slave;   /* -1 when not in use */
	int in_fd, out_fd;   /* the real terminal: read input from, write output to */
	bool on_tty[3];      /* which of the child's fds 0-2 get the slave */
	bool raw;            /* the real terminal is in raw mode and must be restored */
	char name[128];      /* the slave's path, /dev/pts/N */
	struct termios saved;
};

/* Open a pty if stdin is a terminal we own the foreground of; else leave p unused (master -1).
 * Copies the terminal's modes and window size to the pty. */
int pty_open(struct pty *p);
/* Put the real terminal in raw mode (saved for pty_restore). */
int pty_make_raw(struct pty *p);
/* Restore the real terminal exactly as it was; safe to call more than once. */
void pty_restore(struct pty *p);
/* Copy the real terminal's window size to the pty (the kernel sends SIGWINCH inside). */
void pty_sync_winsize(struct pty *p);
/* In the child, after setsid(): make the slave the controlling terminal and stdio.
 * Async-signal-safe. Returns 0 or -errno. */
int pty_child_attach(const struct pty *p);
void pty_close(struct pty *p);
