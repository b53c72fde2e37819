/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * airlock run, end to end: real programs in real sandboxes on a fixture $HOME. Every allowed
 * case has a denied twin, and the canary secret never shows up in anything a sandbox prints.
 */
#include <pty.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "e2e.h"

static struct e2e_fixture f;
static struct e2e_result r;

static void setup(void)
{
	e2e_fixture_setup(&f);
}

/* Run "sh -c SCRIPT" under airlock with extra options; returns the exit status. */
#define run_sh(script, ...) e2e_airlock(&r, "run", ##__VA_ARGS__, "--", "sh", "-c", script)

static void no_canary(void)
{
	ASSERT_NOT_CONTAINS(r.out, f.canary);
	ASSERT_NOT_CONTAINS(r.err, f.canary);
}

TEST(project_read_write_and_secret_denied)
{
	setup();
	ASSERT_EQ(0, run_sh("cat a.txt && echo new > b.txt && cat b.txt"));
	ASSERT_STREQ("hello\nnew\n", r.out);
	/* The twin: the secret, by absolute path and through $HOME. */
	ASSERT_NE(0, run_sh("cat \"$HOME/.ssh/id_rsa\""));
	ASSERT_CONTAINS(r.err, "Permission denied");
	no_canary();
	ASSERT_NE(0, e2e_airlock(&r, "run", "--", "cat", f.secret));
	no_canary();
}

TEST(home_outside_project_is_not_granted)
{
	setup();
	ASSERT_NE(0, run_sh("cat \"$HOME/notes/n.txt\""));
	ASSERT_CONTAINS(r.err, "Permission denied");
	ASSERT_NE(0, run_sh("echo evil >> \"$HOME/.bashrc\""));
	char buf[256];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/.bashrc", f.home), buf, sizeof(buf)));
	ASSERT_STREQ("# bashrc\n", buf);
	/* The allowed twin: with --read the note is readable, but still not writable. */
	ASSERT_EQ(0, run_sh("cat \"$HOME/notes/n.txt\"", "--read", e2e_path("%s/notes", f.home)));
	ASSERT_STREQ("note\n", r.out);
	ASSERT_NE(0, run_sh("echo x > \"$HOME/notes/n.txt\"", "--read", e2e_path("%s/notes", f.home)));
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/notes/n.txt", f.home), buf, sizeof(buf)));
	ASSERT_STREQ("note\n", buf);
	/* --write grants both. */
	ASSERT_EQ(0, run_sh("echo x >> \"$HOME/notes/n.txt\"", "--write", e2e_path("%s/notes", f.home)));
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/notes/n.txt", f.home), buf, sizeof(buf)));
	ASSERT_STREQ("note\nx\n", buf);
}

/* --read ~ with the default profile's deny of ~/.ssh: carved, not refused (the static floor
 * says what that costs; supervised, the supervisor covers the carved directories). */
TEST(deny_inside_allow_home)
{
	setup();
	ASSERT_EQ(0, run_sh("cat \"$HOME/notes/n.txt\"; cat \"$HOME/.ssh/id_rsa\"; true", "--read", f.home));
	ASSERT_STREQ("note\n", r.out);
	no_canary();
	ASSERT_EQ(0, run_sh("cat \"$HOME/notes/n.txt\"; cat \"$HOME/.ssh/id_rsa\"; true", "--static", "--read", f.home));
	ASSERT_STREQ("note\n", r.out);
	ASSERT_CONTAINS(r.err, "Permission denied");
	ASSERT_CONTAINS(r.err, "deny inside allow");
	no_canary();
	/* A hardlink made beforehand inside the readable tree is the same object... Landlock
	 * decides on the path, so a pre-existing hardlink is a known gap, covered by the
	 * supervisor's deny-inode set; here the link is made by the sandbox and must fail. */
	ASSERT_NE(0, run_sh("ln \"$HOME/.ssh/id_rsa\" ./key && cat ./key"));
	no_canary();
}

/* --deny inside the writable project. */
TEST(deny_inside_allow_project)
{
	setup();
	e2e_write_file(e2e_path("%s/.env", f.proj), "TOKEN=secret-in-project\n", 0600);
	e2e_mkdir(e2e_path("%s/src", f.proj), 0755);
	ASSERT_EQ(0, run_sh("cat a.txt; cat .env; echo y > src/new.c && cat src/new.c; true",
			    "--deny", e2e_path("%s/.env", f.proj)));
	ASSERT_STREQ("hello\ny\n", r.out);
	ASSERT_NOT_CONTAINS(r.out, "secret-in-project");
	/* The documented cost of the static floor: no new entries directly in the carved project
	 * directory (the supervised twin is in test-supervisor.c). */
	ASSERT_NE(0, run_sh("echo z > c.txt", "--static", "--deny", e2e_path("%s/.env", f.proj)));
	ASSERT_NE(0, run_sh("rm .env", "--deny", e2e_path("%s/.env", f.proj)));
	ASSERT_EQ(0, access(e2e_path("%s/.env", f.proj), F_OK));
	/* Twin: without --deny the same file is readable. */
	ASSERT_EQ(0, run_sh("cat .env"));
	ASSERT_CONTAINS(r.out, "secret-in-project");
}

TEST(exit_status_contract)
{
	setup();
	ASSERT_EQ(3, run_sh("exit 3"));
	ASSERT_EQ(128 + SIGTERM, run_sh("kill -TERM $$"));
	ASSERT_EQ(127, e2e_airlock(&r, "run", "--", "no-such-command-airlock"));
	ASSERT_CONTAINS(r.err, "command not found");
	e2e_write_file(e2e_path("%s/noexec.sh", f.proj), "#!/bin/sh\necho hi\n", 0644);
	ASSERT_EQ(126, e2e_airlock(&r, "run", "--", "./noexec.sh"));
	/* Executable on disk, but the policy grants no exec there: 126 and the reason. */
	e2e_write_file(e2e_path("%s/notes/tool.sh", f.home), "#!/bin/sh\necho ran\n", 0755);
	ASSERT_EQ(126, e2e_airlock(&r, "run", "--read", e2e_path("%s/notes", f.home), "--",
				   e2e_path("%s/notes/tool.sh", f.home)));
	ASSERT_CONTAINS(r.err, "denied by the policy");
	ASSERT_NOT_CONTAINS(r.out, "ran");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--exec", e2e_path("%s/notes", f.home), "--",
				 e2e_path("%s/notes/tool.sh", f.home)));
	ASSERT_STREQ("ran\n", r.out);
	/* airlock's own failures: 125 with one line saying why. */
	ASSERT_EQ(125, e2e_airlock(&r, "run", "--bogus", "true"));
	ASSERT_CONTAINS(r.err, "unknown option --bogus");
	ASSERT_EQ(125, e2e_airlock(&r, "run", "--read", "/nonexistent/x", "--", "true"));
	ASSERT_CONTAINS(r.err, "/nonexistent/x");
	ASSERT_EQ(125, e2e_airlock(&r, "run", "-p", "no-such-profile", "--", "true"));
	ASSERT_CONTAINS(r.err, "no profile named");
}

TEST(bad_profile_file_line_column)
{
	setup();
	e2e_write_file(e2e_path("%s/p.json", f.proj),
		       "{\n  \"extends\": \"default\",\n  \"filesystem\": [\n    { \"path\": \"/x\", \"allow\": \"rwq\" }\n  ]\n}\n", 0644);
	ASSERT_EQ(125, e2e_airlock(&r, "run", "-p", "./p.json", "--", "true"));
	ASSERT_CONTAINS(r.err, "p.json:4:30:");
	ASSERT_CONTAINS(r.err, "access letters");
	ASSERT_EQ(125, e2e_airlock(&r, "profile", "check", "./p.json"));
	ASSERT_CONTAINS(r.err, "p.json:4:30:");
	ASSERT_EQ(0, e2e_airlock(&r, "profile", "check", "default", "strict"));
}

TEST(session_tmpdir_private_and_removed)
{
	setup();
	ASSERT_EQ(0, run_sh("echo \"$TMPDIR\"; echo t > \"$TMPDIR/f\" && cat \"$TMPDIR/f\""));
	char dir[PATH_MAX];
	ASSERT_EQ(1, sscanf(r.out, "%4095s", dir));
	ASSERT_CONTAINS(r.out, "\nt\n");
	ASSERT_CONTAINS(dir, "airlock-");
	struct stat st;
	ASSERT_NE(0, stat(dir, &st)); /* gone */
	/* And /tmp itself is not granted. */
	ASSERT_NE(0, run_sh("echo x > /tmp/airlock-e2e-should-not-exist"));
	ASSERT_NE(0, access("/tmp/airlock-e2e-should-not-exist", F_OK));
}

TEST(environment_filtered)
{
	setup();
	setenv("LD_AIRLOCK_PROBE", "1", 1);
	setenv("NODE_OPTIONS", "--require /nonexistent", 1);
	setenv("PLAIN_VAR", "plain", 1);
	ASSERT_EQ(0, run_sh("echo \"[$LD_AIRLOCK_PROBE][$NODE_OPTIONS][$PLAIN_VAR][$AIRLOCK][$MINE]\"",
			    "--env", "MINE=x$HOME"));
	ASSERT_STREQ("[][][plain][1][x$HOME]\n", r.out);
	ASSERT_EQ(0, run_sh("echo \"[$LD_AIRLOCK_PROBE]\"", "--env", "LD_AIRLOCK_PROBE"));
	ASSERT_STREQ("[1]\n", r.out);
	unsetenv("LD_AIRLOCK_PROBE");
	unsetenv("NODE_OPTIONS");
}

TEST(real_programs_git_python_cc)
{
	setup();
	ASSERT_EQ(0, run_sh("git init -q . && git -c user.email=a@b -c user.name=t add a.txt && "
			    "git -c user.email=a@b -c user.name=t commit -qm m && git log --oneline | wc -l"));
	ASSERT_STREQ("1\n", r.out);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--", "/usr/bin/python3", "-c",
				 "import os; print(open('a.txt').read().strip(), os.listdir('.').count('a.txt'))"));
	ASSERT_STREQ("hello 1\n", r.out);
	ASSERT_NE(0, e2e_airlock(&r, "run", "--", "/usr/bin/python3", "-c",
				 "import os; print(open(os.environ['HOME'] + '/.ssh/id_rsa').read())"));
	ASSERT_CONTAINS(r.err, "PermissionError");
	no_canary();
	e2e_write_file(e2e_path("%s/hello.c", f.proj),
		       "#include <stdio.h>\nint main(void) { puts(\"compiled\"); return 0; }\n", 0644);
	if (access("/usr/bin/cc", X_OK) != 0)
		SKIP("no C compiler on this machine");
	ASSERT_EQ(0, run_sh("cc -o hello hello.c && ./hello"));
	ASSERT_STREQ("compiled\n", r.out);
	ASSERT_EQ(0, run_sh("ls"));
	ASSERT_CONTAINS(r.out, "hello.c");
}

TEST(network_off_and_on)
{
	setup();
	const char *py = "import socket\ntry:\n socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
			 " print('created')\nexcept OSError as e:\n print('denied', e.errno)\n";
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--net", "off", "--", "/usr/bin/python3", "-c", py));
	ASSERT_STREQ("denied 13\n", r.out);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--net", "on", "--", "/usr/bin/python3", "-c", py));
	ASSERT_STREQ("created\n", r.out);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-p", "strict", "--", "/usr/bin/python3", "-c", py));
	ASSERT_STREQ("denied 13\n", r.out);
}

TEST(strict_profile_project_read_only)
{
	setup();
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-p", "strict", "--", "cat", "a.txt"));
	ASSERT_STREQ("hello\n", r.out);
	ASSERT_NE(0, e2e_airlock(&r, "run", "-p", "strict", "--", "sh", "-c", "echo x > a.txt"));
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/a.txt", f.proj), buf, sizeof(buf)));
	ASSERT_STREQ("hello\n", buf);
}

TEST(only_std_fds_reach_the_command)
{
	setup();
	/* An fd airlock inherits from its caller must not reach the sandbox. */
	int fd = open(f.proj, O_RDONLY | O_DIRECTORY); /* not CLOEXEC on purpose */
	ASSERT_GE(fd, 3);
	ASSERT_EQ(0, run_sh("ls /proc/self/fd; echo sdk=${AIRLOCK_SOCKET_FD:-none}"));
	close(fd);
	/* ls itself opens one fd for the directory it lists; the session's SDK socket is the
	 * one other fd a supervised command gets, by design. */
	char *sdk = strstr(r.out, "sdk=");
	ASSERT_TRUE(sdk != NULL);
	*sdk = '\0';
	sdk[4 + strcspn(sdk + 4, "\n")] = '\0';
	int n = 0;
	for (char *p = strtok(r.out, "\n"); p; p = strtok(NULL, "\n"))
		if (strcmp(p, sdk + 4) != 0 || !strcmp(sdk + 4, "none"))
			n++;
	ASSERT_LE(n, 4);
}

TEST(leftover_processes_are_killed)
{
	setup();
	ASSERT_EQ(0, run_sh("sleep 300 & echo $! > bg.pid; setsid sleep 301 & echo $! >> bg.pid; exit 0"));
	char buf[128];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/bg.pid", f.proj), buf, sizeof(buf)));
	int a = 0, b = 0;
	ASSERT_EQ(2, sscanf(buf, "%d %d", &a, &b));
	ASSERT_NE(0, kill(a, 0));
	ASSERT_NE(0, kill(b, 0));
}

TEST(signals_are_forwarded)
{
	setup();
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp(e2e_airlock_bin(), e2e_airlock_bin(), "run", "--", "sh", "-c",
		       "trap 'exit 7' TERM; touch started; while :; do sleep 0.05; done", NULL);
		_exit(99);
	}
	/* Bounded wait for the sandbox to be running, then ask it to stop. */
	for (int i = 0; i < 2000 && access(e2e_path("%s/started", f.proj), F_OK) != 0; i++)
		usleep(5000);
	ASSERT_EQ(0, access(e2e_path("%s/started", f.proj), F_OK));
	ASSERT_EQ(0, kill(pid, SIGTERM));
	int st;
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(7, WEXITSTATUS(st));
}

TEST(dry_run_runs_nothing)
{
	setup();
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--dry-run", "--deny", e2e_path("%s/a.txt", f.proj), "--",
				 "sh", "-c", "touch ran"));
	ASSERT_NE(0, access(e2e_path("%s/ran", f.proj), F_OK));
	ASSERT_CONTAINS(r.out, "profiles: built-in profile 'default'");
	ASSERT_CONTAINS(r.out, f.proj);
	ASSERT_CONTAINS(r.out, ".ssh");
	ASSERT_CONTAINS(r.out, "carved");
	ASSERT_CONTAINS(r.out, "command: sh -c touch ran");
}

TEST(why_explains)
{
	setup();
	ASSERT_EQ(0, e2e_airlock(&r, "why", f.secret, "a.txt", "/usr/bin/env"));
	ASSERT_CONTAINS(r.out, "read   denied by deny rule on");
	ASSERT_CONTAINS(r.out, "[secrets] from built-in profile 'default'");
	ASSERT_CONTAINS(r.out, "write  allowed by allow rule on");
	ASSERT_CONTAINS(r.out, "exec   allowed by allow rule on /bin (/usr/bin) from");
	ASSERT_EQ(0, e2e_airlock(&r, "why", "--read", f.home, e2e_path("%s/notes/n.txt", f.home)));
	ASSERT_CONTAINS(r.out, "read   allowed by allow rule on");
	ASSERT_CONTAINS(r.out, "from --read");
}

TEST(doctor_and_profiles)
{
	setup();
	ASSERT_EQ(0, e2e_airlock(&r, "doctor"));
	ASSERT_CONTAINS(r.out, "Landlock: ABI");
	ASSERT_CONTAINS(r.out, "seccomp: available");
	ASSERT_EQ(0, e2e_airlock(&r, "profile", "list"));
	ASSERT_CONTAINS(r.out, "default");
	ASSERT_CONTAINS(r.out, "strict");
	ASSERT_EQ(0, e2e_airlock(&r, "profile", "show", "strict"));
	ASSERT_CONTAINS(r.out, "\"extends\": \"default\"");
	ASSERT_EQ(0, e2e_airlock(&r, "--help"));
	ASSERT_CONTAINS(r.out, "airlock run");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--help"));
	ASSERT_CONTAINS(r.out, "--profile");
	ASSERT_EQ(125, e2e_airlock(&r, "frobnicate"));
	ASSERT_CONTAINS(r.err, "unknown command");
}

/* Older kernels, simulated by capping the ABI airlock uses: it degrades, says so, and still
 * keeps the secret; --strict-kernel refuses; no Landlock at all refuses. */
TEST(degraded_kernel_paths)
{
	setup();
	/* airlock itself (the reaper, $PPID, and its process group) is out of the sandbox's
	 * reach: by Landlock's signal scope on this kernel, by the seccomp filter when the scope
	 * is missing (ABI < 6). */
	const char *sig = "kill -0 $PPID 2>/dev/null && echo reachable || echo protected;"
			  "g=$(cut -d' ' -f5 /proc/$PPID/stat);"
			  "kill -0 -$g 2>/dev/null && echo group-reachable || echo group-protected;"
			  "kill -0 -1 2>/dev/null; echo all=$?";
	ASSERT_EQ(0, run_sh(sig));
	ASSERT_CONTAINS(r.out, "protected");
	setenv("AIRLOCK_LANDLOCK_ABI_MAX", "5", 1);
	ASSERT_EQ(0, run_sh(sig));
	ASSERT_STREQ("protected\ngroup-protected\nall=1\n", r.out);
	setenv("AIRLOCK_LANDLOCK_ABI_MAX", "3", 1);
	ASSERT_NE(0, run_sh("cat \"$HOME/.ssh/id_rsa\""));
	no_canary();
	ASSERT_CONTAINS(r.err, "ABI < 6");
	ASSERT_EQ(0, run_sh("cat a.txt"));
	ASSERT_EQ(125, run_sh("true", "--strict-kernel"));
	ASSERT_CONTAINS(r.err, "--strict-kernel");
	setenv("AIRLOCK_LANDLOCK_ABI_MAX", "0", 1);
	ASSERT_EQ(125, run_sh("true"));
	ASSERT_CONTAINS(r.err, "no Landlock");
	unsetenv("AIRLOCK_LANDLOCK_ABI_MAX");
	ASSERT_EQ(0, run_sh("true", "--strict-kernel"));
}

TEST(pty_when_stdin_is_a_terminal)
{
	setup();
	int master, slave;
	if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
		SKIP("no pty available: %m");
	struct termios before, after;
	ASSERT_EQ(0, tcgetattr(slave, &before));
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		execlp(e2e_airlock_bin(), e2e_airlock_bin(), "run", "--", "sh", "-c",
		       "test -t 0 && echo IS-A-TTY; tty", NULL);
		_exit(99);
	}
	close(slave);
	char out[4096] = "";
	size_t used = 0;
	for (;;) {
		ssize_t n = read(master, out + used, sizeof(out) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
	int st;
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_CONTAINS(out, "IS-A-TTY");
	/* The command's terminal is a pty of airlock's, not ours. */
	char ours[64];
	ASSERT_EQ(0, ptsname_r(master, ours, sizeof(ours)));
	ASSERT_NOT_CONTAINS(out, ours);
	/* Our terminal's modes are exactly as before (airlock put it in raw mode meanwhile). */
	int again = open(ours, O_RDWR | O_NOCTTY);
	ASSERT_GE(again, 0);
	ASSERT_EQ(0, tcgetattr(again, &after));
	ASSERT_EQ(before.c_lflag, after.c_lflag);
	ASSERT_EQ(before.c_iflag, after.c_iflag);
	ASSERT_EQ(before.c_oflag, after.c_oflag);
	close(again);
	close(master);
}

/* Is pid a live process (not gone, not a zombie)? */
static bool alive(pid_t pid)
{
	char buf[512];
	if (e2e_read_file(e2e_path("/proc/%d/stat", (int)pid), buf, sizeof(buf)))
		return false;
	const char *close_paren = strrchr(buf, ')');
	return close_paren && close_paren[1] && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

/*
 * airlock killed with SIGKILL (nothing it can clean up after): nothing of the sandbox
 * outlives it, whatever the sandbox did to leave the tree: a background job, a job in its own
 * session (setsid), a double fork whose parent is gone, all still running when airlock dies.
 * Static and supervised. Without the session's reaper the last three survive (the command
 * itself dies of PR_SET_PDEATHSIG). The session's TMPDIR is removed too.
 */
TEST(sigkill_of_airlock_leaves_nothing_behind)
{
	setup();
	const char *script =
		"echo \"$TMPDIR\" > tmpdir; mkdir -p \"$TMPDIR/d/e\"; echo x > \"$TMPDIR/d/e/f\";"
		"ln -s \"$PWD\" \"$TMPDIR/d/project\";"
		"sleep 300 & echo $! >> pids;"
		"(setsid sleep 301 & echo $! >> pids);"
		"sh -c 'sleep 302 & echo $! >> pids';"
		"echo $$ >> pids; exec sleep 303";
	const char *modes[] = { "static", "supervised" }, *opts[] = { "--static", "--quiet" };
	for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
		unlink("pids");
		fflush(stdout);
		pid_t a = fork();
		ASSERT_LE(0, a);
		if (a == 0) {
			int devnull = open("/dev/null", O_RDWR);
			dup2(devnull, 0);
			dup2(devnull, 1);
			execl(e2e_airlock_bin(), "airlock", "run", opts[m], "--",
			      "sh", "-c", script, (char *)NULL);
			_exit(127);
		}
		pid_t pids[4] = { 0 };
		size_t n = 0;
		for (int i = 0; i < 1000 && n < 4; i++) {
			char buf[256] = "";
			e2e_read_file("pids", buf, sizeof(buf));
			n = 0;
			for (char *p = buf, *end; n < 4 && *p; p = end) {
				long v = strtol(p, &end, 10);
				if (end == p)
					break;
				pids[n++] = (pid_t)v;
				while (*end == '\n')
					end++;
			}
			if (n < 4)
				usleep(10000);
		}
		if (n < 4) {
			int st = 0;
			bool ended = waitpid(a, &st, WNOHANG) == a;
			if (!ended) {
				kill(a, SIGKILL);
				waitpid(a, NULL, 0);
			}
			FAIL("%s: the sandbox never wrote its four pids (airlock %s, status 0x%x)", modes[m],
			     ended ? "had exited" : "was still running", st);
		}
		usleep(50000); /* the last one (sh) is exec'ing sleep */
		for (size_t i = 0; i < 4; i++)
			if (!alive(pids[i]))
				FAIL("%s: process %d is not running before airlock is killed", modes[m],
				     (int)pids[i]);
		ASSERT_EQ(0, kill(a, SIGKILL));
		ASSERT_EQ(a, waitpid(a, NULL, 0));
		int left = 4;
		for (int i = 0; i < 1000 && left; i++) {
			left = 0;
			for (size_t k = 0; k < 4; k++)
				left += alive(pids[k]);
			if (left)
				usleep(10000);
		}
		for (size_t k = 0; k < 4 && left; k++)
			if (alive(pids[k])) {
				printf("# %s: process %d outlived airlock\n", modes[m], (int)pids[k]);
				kill(pids[k], SIGKILL);
			}
		if (left)
			FAIL("%s: %d sandboxed processes outlived airlock's SIGKILL", modes[m], left);
		/* Its TMPDIR goes too (the reaper removes it), without following what it holds. */
		char tmpdir[PATH_MAX] = "";
		ASSERT_EQ(0, e2e_read_file("tmpdir", tmpdir, sizeof(tmpdir)));
		tmpdir[strcspn(tmpdir, "\n")] = '\0';
		ASSERT_EQ('/', tmpdir[0]);
		for (int i = 0; i < 500 && access(tmpdir, F_OK) == 0; i++)
			usleep(10000);
		if (access(tmpdir, F_OK) == 0)
			FAIL("%s: the session's TMPDIR %s outlived airlock's SIGKILL", modes[m], tmpdir);
		ASSERT_EQ(0, access("pids", F_OK)); /* the project, behind a symlink in it, is intact */
	}
}

/*
 * Started with SIGCHLD ignored (SIG_IGN survives exec: a parent may leave it so): the kernel
 * would reap the command and the approvers before airlock could read their status. airlock
 * still reports the command's own exit status, and an approver's answer still counts.
 */
TEST(inherited_sigchld_ignore)
{
	setup();
	const char *approver = e2e_path("%s/allow.sh", f.root);
	e2e_write_file(approver, "#!/bin/sh\ncat >/dev/null\n"
		       "echo '{\"decision\": \"allow\", \"scope\": \"session\"}'\n", 0755);
	const char *notes = e2e_path("%s/notes", f.home), *note = e2e_path("%s/notes/n.txt", f.home);
	for (int supervised = 0; supervised < 2; supervised++) {
		int out[2];
		ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
		fflush(stdout);
		pid_t a = fork();
		ASSERT_LE(0, a);
		if (a == 0) {
			signal(SIGCHLD, SIG_IGN);
			dup2(out[1], 1);
			if (supervised)
				execl(e2e_airlock_bin(), "airlock", "run", "--quiet", "--ask", notes,
				      "--approve-cmd", approver, "--", "sh", "-c", e2e_path("cat '%s'; exit 3", note),
				      (char *)NULL);
			else
				execl(e2e_airlock_bin(), "airlock", "run", "--static", "--", "sh", "-c", "exit 3",
				      (char *)NULL);
			_exit(127);
		}
		close(out[1]);
		int st = -1;
		pid_t w = 0;
		for (int i = 0; i < 2000 && (w = waitpid(a, &st, WNOHANG)) == 0; i++)
			usleep(10000);
		if (w == 0) {
			kill(a, SIGKILL);
			waitpid(a, NULL, 0);
			close(out[0]);
			FAIL("%s: airlock did not end within 20 s", supervised ? "supervised" : "static");
		}
		char buf[256] = "";
		ssize_t n = read(out[0], buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(out[0]);
		ASSERT_TRUE(WIFEXITED(st));
		ASSERT_EQ(3, WEXITSTATUS(st));
		if (supervised)
			ASSERT_STREQ("note\n", buf);
	}
}

/*
 * Reaching the processes outside the sandbox by their resource limits (Landlock's scopes do not
 * cover prlimit): the reaper (the command's parent) and airlock (the reaper's) are out of
 * reach, so the reaper still finds and kills a daemon at the end; the sandbox's own limits are
 * its own. (With the reaper's RLIMIT_NOFILE at 0 it could not list its children, and such a
 * daemon escaped the final kill.)
 */
TEST(resource_limits_of_the_supervising_processes_are_out_of_reach)
{
	setup();
	const char *py =
		"import resource, os, time\n"
		"pp = os.getppid()\n"
		"gp = int(open('/proc/%d/stat' % pp).read().rsplit(')', 1)[1].split()[1])\n"
		"for pid in (pp, gp):\n"
		"    try:\n"
		"        resource.prlimit(pid, resource.RLIMIT_NOFILE, (0, 0)); print('changed')\n"
		"    except OSError as e:\n"
		"        print(e.errno)\n"
		"resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
		"print(resource.prlimit(0, resource.RLIMIT_NOFILE))\n"
		"if os.fork() == 0:\n"
		"    os.setsid()\n"
		"    if os.fork() == 0:\n"
		"        open('daemon.tmp', 'w').write(str(os.getpid())); os.rename('daemon.tmp', 'daemon.pid')\n"
		"        os.execv('/bin/sleep', ['sleep', '300'])\n"
		"    os._exit(0)\n"
		"os.wait()\n"
		"while not os.path.exists('daemon.pid'): time.sleep(0.01)\n";
	const char *modes[] = { "--static", "--quiet" };
	for (size_t m = 0; m < ELEMENTSOF(modes); m++) {
		unlink("daemon.pid");
		ASSERT_EQ(0, e2e_airlock(&r, "run", modes[m], "--", "/usr/bin/python3", "-c", py));
		ASSERT_STREQ("1\n1\n(64, 64)\n", r.out);
		char buf[32] = "";
		ASSERT_EQ(0, e2e_read_file("daemon.pid", buf, sizeof(buf)));
		pid_t d = (pid_t)atoi(buf);
		ASSERT_LT(1, d);
		for (int i = 0; i < 200 && alive(d); i++)
			usleep(10000);
		if (alive(d)) {
			kill(d, SIGKILL);
			FAIL("%s: the sandbox's daemon %d outlived its session", modes[m], (int)d);
		}
	}
}

HARNESS_MAIN
