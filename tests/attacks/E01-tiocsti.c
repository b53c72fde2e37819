/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * E01: push characters into a terminal's input queue with TIOCSTI (bubblewrap CVE-2017-5226,
 * flatpak CVE-2019-10063): on fds 0, 1, 2, on /dev/tty, with the command's upper 32 bits set
 * (a 64-bit compare in the filter would miss it), and on the user's own terminal opened by
 * name. Every TIOCSTI must be refused by the filter (EPERM), whatever the kernel would have
 * said; the user's terminal must not open. The driver checks that nothing arrived in its pty's
 * input queue and that its termios did not change.
 *
 *	E01-tiocsti OUTER_TTY_PATH|-
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>

#include "attack.h"

static const char payload[] = "echo E01-INJECTED\n";

/* One TIOCSTI; when it works, push the rest of the payload so the driver sees a whole line. */
static void sti(const char *what, int fd, unsigned long cmd)
{
	long r = syscall(SYS_ioctl, fd, cmd, &payload[0]);
	int e = r < 0 ? errno : 0;
	must_fail_with(what, e, EPERM, EACCES, 0);
	if (e == 0)
		for (const char *p = payload + 1; *p; p++)
			syscall(SYS_ioctl, fd, cmd, p);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		attack_usage("E01-tiocsti OUTER_TTY_PATH|-");
	const char *outer = argv[1];
	const unsigned long hi = 1ul << 32;

	for (int fd = 0; fd <= 2; fd++) {
		printf("fd %d is %sa terminal\n", fd, isatty(fd) ? "" : "not ");
		sti(pathf("TIOCSTI on fd %d", fd), fd, TIOCSTI);
		sti(pathf("TIOCSTI|1<<32 on fd %d", fd), fd, TIOCSTI | hi);
	}
	int tty;
	int e = try_openat(AT_FDCWD, "/dev/tty", O_RDWR | O_NOCTTY, &tty);
	if (e) {
		printf("open(/dev/tty): %s\n", ename(e));
	} else {
		sti("TIOCSTI on /dev/tty", tty, TIOCSTI);
		sti("TIOCSTI|1<<32 on /dev/tty", tty, TIOCSTI | hi);
		close(tty);
	}
	if (strcmp(outer, "-") != 0) {
		int fd;
		e = try_openat(AT_FDCWD, outer, O_RDWR | O_NOCTTY | O_NONBLOCK, &fd);
		must_fail("open the user's terminal by name", e);
		if (fd >= 0) {
			sti("TIOCSTI on the user's terminal", fd, TIOCSTI);
			close(fd);
		}
	}
	return attack_finish();
}
