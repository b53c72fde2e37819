/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * E06: leave the user's terminal in a bad state: raw mode, no echo, a different interrupt
 * character and window size, exclusive mode (TIOCEXCL), a different line discipline, dropping
 * and stealing the controlling terminal (TIOCNOTTY, TIOCSCTTY with force), and vhangup(), on
 * every terminal among fds 0-2 and /dev/tty. The program does not judge: the driver checks that
 * the outer terminal's termios, window size, line discipline and exclusive flag are what they
 * were, and that airlock exited normally. Opening the user's terminal by name must fail.
 *
 *	E06-terminal-state OUTER_TTY_PATH|-
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "attack.h"

#ifndef N_NULL
#define N_NULL 27
#endif

static void mess_up(const char *what, int fd)
{
	struct termios t;
	struct winsize ws = { .ws_row = 3, .ws_col = 7 };
	int ldisc = N_NULL;

	if (tcgetattr(fd, &t) < 0) {
		printf("%s: not a terminal (%s)\n", what, ename(errno));
		return;
	}
	cfmakeraw(&t);
	t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG);
	t.c_cc[VINTR] = 'q';
	t.c_cc[VMIN] = 0;
	cfsetspeed(&t, B50);
	printf("%s: tcsetattr raw: %s\n", what, ename(tcsetattr(fd, TCSANOW, &t) < 0 ? errno : 0));
	printf("%s: TIOCSWINSZ 3x7: %s\n", what, ename(ioctl(fd, TIOCSWINSZ, &ws) < 0 ? errno : 0));
	printf("%s: TIOCEXCL: %s\n", what, ename(ioctl(fd, TIOCEXCL) < 0 ? errno : 0));
	printf("%s: TIOCSETD N_NULL: %s\n", what,
	       ename(ioctl(fd, TIOCSETD, &ldisc) < 0 ? errno : 0));
	printf("%s: TIOCSCTTY force: %s\n", what, ename(ioctl(fd, TIOCSCTTY, 1) < 0 ? errno : 0));
}

int main(int argc, char **argv)
{
	if (argc != 2)
		attack_usage("E06-terminal-state OUTER_TTY_PATH|-");
	const char *outer = argv[1];

	signal(SIGHUP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	if (strcmp(outer, "-") != 0) {
		int fd;
		int e = try_openat(AT_FDCWD, outer, O_RDWR | O_NOCTTY | O_NONBLOCK, &fd);
		must_fail("open the user's terminal by name", e);
		if (fd >= 0) {
			mess_up("user's terminal by name", fd);
			close(fd);
		}
	}
	int tty;
	if (try_openat(AT_FDCWD, "/dev/tty", O_RDWR | O_NOCTTY, &tty) == 0) {
		mess_up("/dev/tty", tty);
		close(tty);
	} else {
		printf("open(/dev/tty): %s\n", ename(errno));
	}
	for (int fd = 2; fd >= 0; fd--)
		mess_up(pathf("fd %d", fd), fd);
	printf("TIOCNOTTY on fd 0: %s\n", ename(ioctl(0, TIOCNOTTY) < 0 ? errno : 0));
	printf("TIOCSCTTY force on fd 1: %s\n", ename(ioctl(1, TIOCSCTTY, 1) < 0 ? errno : 0));
	int ret = attack_finish();
	fflush(stdout);
	/* Last: hang up our controlling terminal (root only); output after this is lost. */
	printf("vhangup: %s\n", ename(vhangup() < 0 ? errno : 0));
	fflush(stdout);
	return ret;
}
