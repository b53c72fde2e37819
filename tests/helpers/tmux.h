/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Driving a real terminal with tmux: each test runs its own server on a private socket
 * (tmux -S SOCK), types with send-keys and reads the screen with capture-pane. Waits are
 * bounded (tmux_expect fails with the screen it saw); nothing asserts a duration.
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static inline bool tmux_available(void)
{
	return system("command -v tmux >/dev/null 2>&1") == 0;
}

/* tmux runs the commands of its panes with $SHELL, or else the user's login shell, which for
 * accounts like nobody is nologin: name a real shell. And never nest in a tmux of the caller. */
static inline void tmux_prepare(void)
{
	setenv("SHELL", "/bin/sh", 1);
	unsetenv("TMUX");
}

/* Run `tmux -S sock ARGS` (ARGS from fmt); its exit status as system() gives it. */
static inline int tmux_run(const char *sock, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tmux_run(const char *sock, const char *fmt, ...)
{
	char *args = NULL, *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&args, fmt, ap) < 0)
		FAIL("out of memory");
	va_end(ap);
	if (asprintf(&cmd, "tmux -S '%s' %s >/dev/null 2>&1", sock, args) < 0)
		FAIL("out of memory");
	int r = system(cmd);
	free(args);
	free(cmd);
	return r;
}

/* The pane's text with `history` lines of scrollback (a static buffer). */
static inline const char *tmux_capture(const char *sock, unsigned history)
{
	static char screen[65536];
	char cmd[4096 + 128];
	snprintf(cmd, sizeof(cmd), "tmux -S '%s' capture-pane -p -S -%u 2>/dev/null", sock, history);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(screen, 1, sizeof(screen) - 1, p) : 0;
	screen[n] = '\0';
	if (p)
		pclose(p);
	return screen;
}

/* Wait (10 s at most) until the pane shows text; fail with what it shows otherwise. */
static inline void tmux_expect(const char *sock, const char *text)
{
	const char *screen = "";
	for (int i = 0; i < 1000; i++) {
		screen = tmux_capture(sock, 200);
		if (strstr(screen, text))
			return;
		usleep(10000);
	}
	FAIL("the terminal never showed \"%s\"; it shows:\n%s", text, screen);
}
