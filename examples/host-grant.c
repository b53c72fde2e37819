/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * host-grant: a host program that embeds libairlock, through <airlock/airlock.h> only.
 *
 *	host-grant FILE -- COMMAND [ARG...]
 *
 * Runs COMMAND in a sandbox built from the "default" profile: the current directory
 * read-write, the system read-only, the rest of $HOME behind "ask" (with no approver: denied).
 * While COMMAND runs, this program mints a one-use token that grants reading FILE and writes
 * it, followed by a newline, to COMMAND's fd 3 (a pipe). COMMAND redeems the token with the
 * client SDK (see client-redeem.c) and can then open FILE like any other file.
 *
 * Build: cc host-grant.c $(pkg-config --cflags --libs airlock) -o host-grant
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <airlock/airlock.h>

#define TOKEN_FD 3

struct run {
	struct airlock_sandbox *sandbox;
	const char *const *argv;
	int r;      /* what airlock_sandbox_run() returned */
	int status; /* the command's exit status */
};

static void *run_thread(void *arg)
{
	struct run *run = arg;
	const int32_t keep[] = { TOKEN_FD };
	struct airlock_run_opts opts = {
		.size = sizeof(opts),
		.argv = run->argv,
		.flags = AIRLOCK_RUN_PTY_AUTO, /* on a terminal, the command gets its own */
		.n_keep_fds = 1,               /* everything else above fd 2 is closed */
		.keep_fds = keep,
	};

	run->r = airlock_sandbox_run(run->sandbox, &opts, &run->status);
	return NULL;
}

static void log_to_stderr(int level, const char *message, void *userdata)
{
	(void)userdata;
	if (level <= AIRLOCK_LOG_NOTICE)
		fprintf(stderr, "host-grant: %s\n", message);
}

/* A pipe whose read end is fd 3, for the command; returns the write end, or -1. Both ends are
 * close-on-exec: the sandbox hands fd 3 on because it is in keep_fds, nothing else inherits. */
static int token_pipe(void)
{
	int p[2], w;

	if (pipe(p) < 0)
		return -1;
	/* Move the write end above fd 3 first, so that dup2() cannot replace it. */
	w = fcntl(p[1], F_DUPFD_CLOEXEC, TOKEN_FD + 1);
	close(p[1]);
	if (w >= 0 && p[0] != TOKEN_FD && dup2(p[0], TOKEN_FD) < 0) {
		close(w);
		w = -1;
	}
	if (p[0] != TOKEN_FD)
		close(p[0]);
	if (w >= 0 && fcntl(TOKEN_FD, F_SETFD, FD_CLOEXEC) < 0) {
		close(w);
		w = -1;
	}
	return w;
}

int main(int argc, char **argv)
{
	struct airlock_policy *policy = NULL;
	struct airlock_sandbox *sandbox = NULL;
	struct airlock_diag diag;
	struct run run = { .argv = (const char *const *)argv + 3 };
	char *file = NULL, *token = NULL, *report = NULL;
	pthread_t thread;
	sigset_t sigs;
	int token_w, r, status = 125;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "Usage: host-grant FILE -- COMMAND [ARG...]\n"
				"Runs COMMAND under the default profile and, while it runs, writes a token\n"
				"that grants reading FILE to COMMAND's fd 3 (then end of file).\n");
		return 2;
	}
	/* The host API takes absolute paths. */
	file = realpath(argv[1], NULL);
	if (!file) {
		fprintf(stderr, "host-grant: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* First, before anything else opens fds: dup2() onto fd 3 replaces what is there. */
	token_w = token_pipe();
	if (token_w < 0) {
		fprintf(stderr, "host-grant: pipe: %s\n", strerror(errno));
		free(file);
		return 1;
	}
	/* airlock_sandbox_run() takes these in its own thread and forwards them to the command.
	 * Blocked here too, before the thread starts (it inherits the mask), so that a ^C does not
	 * land in this thread and kill the host instead. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	r = airlock_policy_new(&policy);
	if (r < 0) {
		fprintf(stderr, "host-grant: %s\n", strerror(-r));
		goto out;
	}
	airlock_policy_set_log(policy, log_to_stderr, NULL);
	r = airlock_policy_load_profile(policy, "default", &diag);
	if (r < 0) {
		fprintf(stderr, "host-grant: the default profile: %s\n", diag.message);
		goto out;
	}
	r = airlock_sandbox_new(policy, 0, &sandbox);
	if (r < 0) {
		fprintf(stderr, "host-grant: %s\n", *airlock_policy_strerror(policy)
							    ? airlock_policy_strerror(policy)
							    : strerror(-r));
		goto out;
	}
	policy = airlock_policy_free(policy); /* the sandbox keeps what it needs */

	run.sandbox = sandbox;
	r = pthread_create(&thread, NULL, run_thread, &run);
	if (r != 0) {
		fprintf(stderr, "host-grant: pthread_create: %s\n", strerror(r));
		goto out;
	}

	/* The command is starting or running now. Minting is thread-safe: a token for reading
	 * FILE, bound to that file, good for one redemption within 60 seconds. */
	r = airlock_sandbox_mint_token(sandbox, file, AIRLOCK_ACCESS_READ, 60, 1, &token);
	if (r < 0)
		fprintf(stderr, "host-grant: cannot mint a token for %s: %s\n", file,
			r == -EPERM ? "a deny rule withholds it" : strerror(-r));
	else if (write(token_w, token, strlen(token)) < 0 || write(token_w, "\n", 1) < 0)
		fprintf(stderr, "host-grant: cannot hand the token over: %s\n", strerror(errno));
	free(token); /* a secret until it is used or expires: never logged */
	close(token_w); /* the command sees the end of file after the token, or at once */
	token_w = -1;

	pthread_join(thread, NULL);
	if (run.r < 0) {
		fprintf(stderr, "host-grant: %s: %s\n", argv[3], *airlock_sandbox_strerror(sandbox)
								 ? airlock_sandbox_strerror(sandbox)
								 : strerror(-run.r));
		status = run.r == -ENOENT ? 127 : run.r == -EACCES || run.r == -ENOEXEC ? 126 : 125;
	} else {
		/* What the supervisor denied, and how to allow it: for people. */
		if (airlock_sandbox_report(sandbox, &report, NULL) == 0 && report)
			fputs(report, stderr);
		status = run.status;
	}
out:
	if (token_w >= 0)
		close(token_w);
	close(TOKEN_FD);
	free(report);
	airlock_sandbox_free(sandbox);
	airlock_policy_free(policy);
	free(file);
	return status;
}
