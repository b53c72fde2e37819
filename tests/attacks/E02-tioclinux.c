/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * E02: TIOCLINUX selection and paste (flatpak CVE-2023-28100, snapd CVE-2023-1523): set a
 * selection and paste it into a virtual console's input. The filter must refuse TIOCLINUX
 * (EPERM) on any fd, including with the upper 32 bits of the command set, so the answer is EPERM
 * even where the kernel would say ENOTTY (fd is not a VT); the VTs themselves must not open.
 * Safety: on a real virtual console (which the program may reach when run bare, as root) only
 * the read-only subcode TIOCL_GETSHIFTSTATE is used, never a paste.
 *
 *	E02-tioclinux
 */
#include <linux/major.h>
#include <linux/tiocl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#include "attack.h"

/* A virtual console, or the console (which may be one): never paste into those. */
static bool is_console(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
	return (maj == TTY_MAJOR && min < 64) || maj == TTYAUX_MAJOR || maj == VCS_MAJOR;
}

static void tioclinux(const char *what, int fd, unsigned long cmd)
{
	struct {
		char subcode;
		struct tiocl_selection sel;
	} __attribute__((packed)) setsel = { TIOCL_SETSEL, { 1, 1, 10, 1, TIOCL_SELCHAR } };
	char paste = TIOCL_PASTESEL, shift = TIOCL_GETSHIFTSTATE;
	long r;

	if (is_console(fd)) {
		r = syscall(SYS_ioctl, fd, cmd, &shift);
		must_fail_with(pathf("%s TIOCL_GETSHIFTSTATE (console: no paste)", what),
			       r < 0 ? errno : 0, EPERM, EACCES, 0);
		return;
	}
	r = syscall(SYS_ioctl, fd, cmd, &setsel);
	must_fail_with(pathf("%s TIOCL_SETSEL", what), r < 0 ? errno : 0, EPERM, EACCES, 0);
	r = syscall(SYS_ioctl, fd, cmd, &paste);
	must_fail_with(pathf("%s TIOCL_PASTESEL", what), r < 0 ? errno : 0, EPERM, EACCES, 0);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		attack_usage("E02-tioclinux");
	for (int fd = 0; fd <= 2; fd++) {
		tioclinux(pathf("TIOCLINUX on fd %d", fd), fd, TIOCLINUX);
		tioclinux(pathf("TIOCLINUX|1<<32 on fd %d", fd), fd, TIOCLINUX | (1ul << 32));
	}
	static const char *const vts[] = { "/dev/tty0", "/dev/tty1", "/dev/console", "/dev/vcsa" };
	for (size_t i = 0; i < sizeof(vts) / sizeof(vts[0]); i++) {
		int fd;
		int e = try_openat(AT_FDCWD, vts[i], O_RDWR | O_NOCTTY | O_NONBLOCK, &fd);
		if (e == ENOENT || e == ENXIO || e == ENODEV) {
			printf("%s: %s (not present)\n", vts[i], ename(e));
			continue;
		}
		must_fail(pathf("open %s", vts[i]), e);
		if (fd >= 0) {
			tioclinux(vts[i], fd, TIOCLINUX);
			close(fd);
		}
	}
	return attack_finish();
}
