/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * S06: a sandboxed process makes itself non-dumpable, which would stop a rootless supervisor
 * from reading its memory (process_vm_readv, /proc/<tid>/cwd) and so from serving it. The
 * filter turns prctl(PR_SET_DUMPABLE, 0) into a no-op that reports success, so a brokered
 * open still works, and the secret is still refused (never CONTINUEd on a read error).
 *
 * usage: S06-nondumpable prctl GRANTED SECRET
 *	  S06-nondumpable exec GRANTED SECRET
 *	prctl: PR_SET_DUMPABLE(0), then open GRANTED (must work; from a second thread too) and
 *	SECRET (must fail).
 *	exec: the same opens in a process exec'd from a binary it cannot read (mode 0111): the
 *	kernel makes such a process non-dumpable itself, no prctl involved. GRANTED is only
 *	reported (a rootless supervisor cannot read this process's memory at all); SECRET must
 *	fail.
 * Run bare, SECRET opens: exit 1.
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "attack.h"

static const char *granted;
static int thread_err;

static void *opener(void *arg)
{
	(void)arg;
	thread_err = try_open(granted, O_RDONLY);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		attack_usage("S06-nondumpable prctl|exec GRANTED SECRET");
	bool exec_mode = strcmp(argv[1], "exec") == 0;
	granted = argv[2];
	const char *secret = argv[3];

	if (!exec_mode) {
		int r = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		control("prctl(PR_SET_DUMPABLE, 0) reports success", r < 0 ? errno : 0);
	}
	int d = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	attack_note("PR_GET_DUMPABLE says %d%s", d,
		    exec_mode ? " (after exec of an unreadable binary)"
			      : d ? " (the filter neutralised the prctl)" : "");

	int e = try_open(granted, O_RDONLY);
	if (exec_mode && e && d == 0) {
		attack_note("GRANTED: %s: the supervisor cannot read a non-dumpable process's memory "
			    "(it is not root): fail-closed", ename(e));
	} else {
		control("open GRANTED (brokered)", e);
		pthread_t t;
		pthread_create(&t, NULL, opener, NULL);
		pthread_join(t, NULL);
		control("open GRANTED from another thread", thread_err);
	}
	must_not_read("open SECRET", secret);
	must_not_read_at("openat(AT_FDCWD, SECRET, O_RDWR)", AT_FDCWD, secret, O_RDWR);
	return attack_finish();
}
