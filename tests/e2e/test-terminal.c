/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * airlock run on a real terminal (tmux): an interactive bash in the sandbox is a normal shell
 * with job control, and the user's terminal is exactly as it was afterwards.
 */
#include <sys/stat.h>

#include "e2e.h"
#include "tmux.h"

static struct e2e_fixture f;
static char sock[PATH_MAX];

#define tmux(...) tmux_run(sock, __VA_ARGS__)
#define expect_screen(text) tmux_expect(sock, text)

static void wait_file(const char *path)
{
	for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
		usleep(10000);
	ASSERT_EQ(0, access(path, F_OK));
}

TEST(interactive_bash_with_job_control)
{
	if (!tmux_available())
		SKIP("tmux is not installed (scripts/deps.sh test installs it)");
	e2e_fixture_setup(&f);
	snprintf(sock, sizeof(sock), "%s/tmux.sock", f.root);
	tmux_prepare();

	/* The outer shell records the terminal's modes before and after airlock. */
	char *script = NULL;
	ASSERT_LT(0, asprintf(&script,
			      "stty -a > '%s/before'\n'%s' run -- bash --norc --noprofile -i\n"
			      "echo $? > '%s/status'\nstty -a > '%s/after'\nsleep 60\n",
			      f.root, e2e_airlock_bin(), f.root, f.root));
	e2e_write_file(e2e_path("%s/outer.sh", f.root), script, 0755);
	free(script);
	ASSERT_EQ(0, tmux("new-session -d -x 100 -y 30 'sh %s/outer.sh'", f.root));

	expect_screen("bash-");
	tmux("send-keys \"PS1='AIRPROMPT> '\" Enter");
	expect_screen("AIRPROMPT> ");
	tmux("send-keys 'echo in-sandbox=$AIRLOCK' Enter");
	expect_screen("in-sandbox=1");

	/* Background job, listed, brought to the foreground, interrupted with ^C. */
	tmux("send-keys 'sleep 300 &' Enter");
	tmux("send-keys 'jobs' Enter");
	expect_screen("Running");
	tmux("send-keys 'fg' Enter");
	expect_screen("sleep 300\n");
	tmux("send-keys C-c");
	tmux("send-keys 'echo after-interrupt' Enter");
	expect_screen("\nafter-interrupt");

	/* ^Z stops the foreground job inside the sandbox, not airlock. */
	tmux("send-keys 'sleep 301' Enter");
	usleep(100000);
	tmux("send-keys C-z");
	expect_screen("Stopped");
	tmux("send-keys 'kill -9 %%1; echo killed-job' Enter");
	expect_screen("\nkilled-job");

	/* Its terminal is a pty of airlock's; TIOCSTI cannot reach ours. */
	tmux("send-keys 'tty' Enter");
	expect_screen("/dev/pts/");

	tmux("send-keys 'exit 3' Enter");
	wait_file(e2e_path("%s/status", f.root));
	wait_file(e2e_path("%s/after", f.root));
	usleep(50000);
	char st[32], before[4096], after[4096];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/status", f.root), st, sizeof(st)));
	ASSERT_STREQ("3\n", st);
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/before", f.root), before, sizeof(before)));
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/after", f.root), after, sizeof(after)));
	ASSERT_STREQ(before, after);
	tmux("kill-server");
}

HARNESS_MAIN
