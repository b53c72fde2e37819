/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D01: signal the supervisor (airlock itself, our parent): kill(SUP, 0) must already be EPERM
 * (Landlock's signal scope); only then are SIGSTOP, SIGCONT, SIGTERM and SIGKILL tried, each of
 * which must be EPERM too. The driver checks that airlock exited normally with our status.
 * Positive control: signalling a process of our own (inside the sandbox) works.
 *
 *	D01-signal-supervisor SUPERVISOR_PID
 */
#include <signal.h>
#include <sys/wait.h>

#include "attack.h"

int main(int argc, char **argv)
{
	if (argc != 2 || atoi(argv[1]) <= 1)
		attack_usage("D01-signal-supervisor SUPERVISOR_PID");
	pid_t sup = atoi(argv[1]);
	int status;

	check_supervisor_pid(sup);
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	control("kill(own child, 0)", kill(child, 0) < 0 ? errno : 0);
	control("kill(own child, SIGKILL)", kill(child, SIGKILL) < 0 ? errno : 0);
	waitpid(child, &status, 0);

	int e = kill(sup, 0) < 0 ? errno : 0;
	must_fail_with("kill(SUP, 0)", e, EPERM, 0);
	if (e == 0)
		return attack_finish(); /* not sending real signals to a reachable supervisor */

	e = kill(sup, SIGSTOP) < 0 ? errno : 0;
	must_fail_with("kill(SUP, SIGSTOP)", e, EPERM, 0);
	if (e == 0)
		kill(sup, SIGCONT);
	must_fail_with("kill(SUP, SIGCONT)", kill(sup, SIGCONT) < 0 ? errno : 0, EPERM, 0);
	must_fail_with("kill(SUP, SIGTERM)", kill(sup, SIGTERM) < 0 ? errno : 0, EPERM, 0);
	must_fail_with("kill(SUP, SIGINT)", kill(sup, SIGINT) < 0 ? errno : 0, EPERM, 0);
	must_fail_with("kill(SUP, SIGKILL)", kill(sup, SIGKILL) < 0 ? errno : 0, EPERM, 0);
	if (getppid() != sup) {
		pid_t pp = getppid();
		must_fail_with("kill(getppid(), 0)", kill(pp, 0) < 0 ? errno : 0, EPERM, 0);
	}
	return attack_finish();
}
