/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * winch: a stand-in for a full-screen program, run inside sandboxes on a terminal.
 *
 * It prints "size ROWSxCOLS" (its terminal's size, from stdout) once at start and again on
 * every SIGWINCH, which is what a full-screen program redraws on. Each line read from stdin
 * names a file to open (a leading "~/" means $HOME); it prints "open PATH: ok" or
 * "open PATH: <strerror>". It exits 0 at the end of input.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void print_size(void)
{
	struct winsize ws = { 0 };
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		say("size ?: %s\n", strerror(errno));
	else
		say("size %ux%u\n", ws.ws_row, ws.ws_col);
}

static void open_line(const char *line)
{
	char path[4096];
	const char *home = getenv("HOME");
	if (strncmp(line, "~/", 2) == 0 && home)
		snprintf(path, sizeof(path), "%s/%s", home, line + 2);
	else
		snprintf(path, sizeof(path), "%s", line);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	say("open %s: %s\n", path, fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	sigset_t mask;
	char buf[4096];
	size_t used = 0;

	/* Blocked before the first size line: a resize after it is never missed. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		perror("sigprocmask");
		return 1;
	}
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		perror("signalfd");
		return 1;
	}
	print_size();

	for (;;) {
		struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				print_size();
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		ssize_t n = read(STDIN_FILENO, buf + used, sizeof(buf) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		used += (size_t)n;
		buf[used] = '\0';
		char *nl;
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (buf[0])
				open_line(buf);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof(buf) - 1)
			used = 0; /* a line too long to be a path: dropped */
	}
}
