/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D02: kill(-1, SIGKILL), "every process I may signal". Inside the sandbox that must mean only
 * the sandbox's own processes. Because a failure here would kill the test runner (and, as root,
 * the machine), the real call is made only after every process outside our session answered
 * kill(pid, 0) with EPERM: a sentinel started by the driver, the supervisor, init, and every
 * other pid in /proc. Positive control: a process of our own is killed by kill(-1).
 * The driver checks that the sentinel and airlock survived.
 *
 *	D02-kill-all SUPERVISOR_PID SENTINEL_PID
 */
#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>

#include "attack.h"

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[1]) <= 1 || atoi(argv[2]) <= 1)
		attack_usage("D02-kill-all SUPERVISOR_PID SENTINEL_PID");
	pid_t sup = atoi(argv[1]), sentinel = atoi(argv[2]);
	pid_t mysid = getsid(0);
	int status, scanned = 0;

	check_supervisor_pid(sup);
	must_fail_with("kill(sentinel, 0)", kill(sentinel, 0) < 0 ? errno : 0, EPERM, 0);
	must_fail_with("kill(SUP, 0)", kill(sup, 0) < 0 ? errno : 0, EPERM, 0);
	must_fail_with("kill(1, 0)", kill(1, 0) < 0 ? errno : 0, EPERM, ESRCH, 0);

	DIR *d = opendir("/proc");
	struct dirent *de;
	if (!d)
		attack_not_applicable("opendir /proc: %s", ename(errno));
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		pid_t sid = getsid(pid);
		if (sid < 0 || sid == mysid)
			continue;
		scanned++;
		if (kill(pid, 0) == 0) {
			attack_leak("pid %d (session %d, outside ours) accepts signals", (int)pid,
				    (int)sid);
		}
	}
	closedir(d);
	attack_note("%d processes outside our session checked", scanned);
	if (attack_leaks) {
		printf("not calling kill(-1, SIGKILL): processes outside the sandbox are "
		       "reachable\n");
		return attack_finish();
	}

	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	int r = kill(-1, SIGKILL);
	printf("kill(-1, SIGKILL): %s\n", ename(r < 0 ? errno : 0));
	if (waitpid(child, &status, 0) != child)
		control("waitpid(own child)", errno);
	control("kill(-1) killed our own process",
		WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : ESRCH);
	return attack_finish();
}
