/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D05: signals that do not go through kill(2): pidfd_send_signal on a pidfd of the supervisor
 * or of a process outside the sandbox (the driver's sentinel), tgkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, and pidfd_getfd. Signal 0 is tried first; only if that is refused are the
 * real signals tried. Positive control: the same calls reach a child of our own.
 *
 *	D05-pidfd-signal SUPERVISOR_PID SENTINEL_PID
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "attack.h"

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int sys_pidfd_send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? errno : 0;
}

static int sys_sigqueue(pid_t pid, int sig, bool thread)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	long r = thread ? syscall(SYS_rt_tgsigqueueinfo, pid, pid, sig, &info)
			: syscall(SYS_rt_sigqueueinfo, pid, sig, &info);
	return r < 0 ? errno : 0;
}

static void attack(const char *name, pid_t pid)
{
	int pidfd = sys_pidfd_open(pid);
	if (pidfd < 0)
		printf("pidfd_open(%s): %s\n", name, ename(errno));
	else
		attack_note("pidfd_open(%s) works (it needs no permission)", name);

	int e0 = pidfd >= 0 ? sys_pidfd_send_signal(pidfd, 0) : EBADF;
	int e1 = syscall(SYS_tgkill, pid, pid, 0) < 0 ? errno : 0;
	int e2 = sys_sigqueue(pid, 0, false);
	int e3 = sys_sigqueue(pid, 0, true);
	if (pidfd >= 0)
		must_fail_with(pathf("pidfd_send_signal(%s, 0)", name), e0, EPERM, 0);
	must_fail_with(pathf("tgkill(%s, 0)", name), e1, EPERM, 0);
	must_fail_with(pathf("rt_sigqueueinfo(%s, 0)", name), e2, EPERM, 0);
	must_fail_with(pathf("rt_tgsigqueueinfo(%s, 0)", name), e3, EPERM, 0);
	if (pidfd >= 0) {
		long got = syscall(SYS_pidfd_getfd, pidfd, 0, 0);
		must_fail_with(pathf("pidfd_getfd(%s, 0)", name), got < 0 ? errno : 0, EPERM,
			       EACCES, ENOSYS, 0);
		if (got >= 0)
			close((int)got);
	}
	if (e0 == 0 || e1 == 0 || e2 == 0 || e3 == 0) {
		if (pidfd >= 0)
			close(pidfd);
		return; /* reachable: no real signals */
	}
	if (pidfd >= 0)
		must_fail_with(pathf("pidfd_send_signal(%s, SIGKILL)", name),
			       sys_pidfd_send_signal(pidfd, SIGKILL), EPERM, 0);
	must_fail_with(pathf("tgkill(%s, SIGKILL)", name),
		       syscall(SYS_tgkill, pid, pid, SIGKILL) < 0 ? errno : 0, EPERM, 0);
	must_fail_with(pathf("rt_sigqueueinfo(%s, SIGTERM)", name),
		       sys_sigqueue(pid, SIGTERM, false), EPERM, 0);
	if (pidfd >= 0)
		close(pidfd);
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) <= 1 || atoi(argv[2]) <= 1)
		attack_usage("D05-pidfd-signal SUPERVISOR_PID SENTINEL_PID");
	pid_t sup = atoi(argv[1]), sentinel = atoi(argv[2]);
	int status;

	check_supervisor_pid(sup);
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	int pidfd = sys_pidfd_open(child);
	control("pidfd_open(own child)", pidfd < 0 ? errno : 0);
	control("tgkill(own child, 0)", syscall(SYS_tgkill, child, child, 0) < 0 ? errno : 0);
	control("rt_sigqueueinfo(own child, 0)", sys_sigqueue(child, 0, false));
	control("pidfd_send_signal(own child, SIGKILL)", sys_pidfd_send_signal(pidfd, SIGKILL));
	waitpid(child, &status, 0);
	close(pidfd);

	attack("SUP", sup);
	attack("sentinel", sentinel);
	return attack_finish();
}
