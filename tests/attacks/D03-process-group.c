/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * D03: group and session signals. The sandboxed program must be in its own session and process
 * group, apart from the supervisor, so kill(0, ...) reaches only the sandbox and
 * killpg(pgid of SUP, ...) is refused. Positive control: kill(0, SIGTERM) kills our own child
 * (we ignore SIGTERM ourselves).
 *
 *	D03-process-group SUPERVISOR_PID
 */
#include <signal.h>
#include <sys/wait.h>

#include "attack.h"

static void try_group(const char *what, pid_t pgrp)
{
	int e = kill(-pgrp, 0) < 0 ? errno : 0;
	must_fail_with(pathf("%s, signal 0", what), e, EPERM, ESRCH, 0);
	if (e == 0)
		return; /* reachable: no real signal */
	must_fail_with(pathf("%s, SIGTERM", what), killpg(pgrp, SIGTERM) < 0 ? errno : 0, EPERM,
		       ESRCH, 0);
	must_fail_with(pathf("%s, SIGKILL", what), killpg(pgrp, SIGKILL) < 0 ? errno : 0, EPERM,
		       ESRCH, 0);
}

int main(int argc, char **argv)
{
	if (argc != 2 || atoi(argv[1]) <= 1)
		attack_usage("D03-process-group SUPERVISOR_PID");
	pid_t sup = atoi(argv[1]);
	int status;

	check_supervisor_pid(sup);
	pid_t sup_pgid = getpgid(sup), sup_sid = getsid(sup);
	printf("me: pid %d pgid %d sid %d; supervisor: pgid %d sid %d\n", (int)getpid(),
	       (int)getpgid(0), (int)getsid(0), (int)sup_pgid, (int)sup_sid);
	if (sup_pgid == getpgid(0))
		attack_leak("the supervisor is in our process group");
	else
		printf("held supervisor not in our process group\n");
	if (sup_sid == getsid(0))
		attack_leak("the supervisor is in our session");
	else
		printf("held supervisor not in our session\n");
	if (attack_leaks) {
		/* kill(0, ...) would now reach the supervisor: that is the leak, do not send. */
		printf("not calling kill(0, SIGTERM): the supervisor shares our group or "
		       "session\n");
		return attack_finish();
	}

	pid_t child = fork(); /* SIGTERM is SIG_DFL in the child from the start */
	if (child == 0) {
		for (;;)
			pause();
	}
	signal(SIGTERM, SIG_IGN);
	control("kill(0, SIGTERM) (our own group)", kill(0, SIGTERM) < 0 ? errno : 0);
	waitpid(child, &status, 0);
	control("kill(0, SIGTERM) reached our own child",
		WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : ESRCH);

	if (sup_pgid > 1)
		try_group("killpg(pgid of SUP)", sup_pgid);
	if (sup_sid > 1 && sup_sid != sup_pgid)
		try_group("killpg(sid of SUP)", sup_sid);
	if (getppid() > 1 && getpgid(getppid()) != sup_pgid && getpgid(getppid()) != getpgid(0))
		try_group("killpg(pgid of our parent)", getpgid(getppid()));
	return attack_finish();
}
