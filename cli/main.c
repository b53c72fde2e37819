/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The airlock command: parses arguments and calls libairlock (only its public API). */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "airlock/airlock.h"
#include "args.h"
#include "session.h"

#define EXIT_AIRLOCK 125

static int arg_verbose;
static bool arg_quiet;

static const char usage_main[] =
	"Usage: airlock COMMAND [OPTIONS]\n"
	"\n"
	"Run a program in a sandbox: the kernel (Landlock and seccomp) enforces a policy on the\n"
	"program and on everything it runs.\n"
	"\n"
	"Commands:\n"
	"  run [OPTIONS] [--] COMMAND [ARGS...]   run COMMAND in a sandbox\n"
	"  why [OPTIONS] PATH...                  which rule decides access to PATH, and why\n"
	"  doctor                                 what this kernel supports, what airlock does about it\n"
	"  profile list                           the built-in and your own profiles\n"
	"  profile show NAME|FILE                 print a profile\n"
	"  profile check NAME|FILE...             validate profiles (and what they extend)\n"
	"  ps [--json]                            running sessions\n"
	"  grant SESSION PATH --read|--write|--exec [--for DURATION]\n"
	"                                         give a running session access to PATH\n"
	"  revoke SESSION PATH                    take it back\n"
	"  token mint SESSION PATH --read ...     a token that grants PATH when redeemed\n"
	"  token redeem TOKEN                     (inside a session) redeem a token\n"
	"  log -f SESSION                         a session's decisions as they happen\n"
	"  approve SESSION                        answer a session's requests from this terminal\n"
	"  help [COMMAND]                         this text, or a command's\n"
	"\n"
	"Examples:\n"
	"  airlock run -- claude                  default profile: this directory read-write, the\n"
	"                                         system read-only, secrets in $HOME denied\n"
	"  airlock run -r ~/datasets -w ./out --net off -- python3 train.py\n"
	"  airlock run -p strict -- make          no network, this directory read-only\n"
	"  airlock run --dry-run -- sh            print the effective policy, run nothing\n"
	"  airlock why ~/.ssh/id_rsa\n"
	"\n"
	"Exit status of run: the command's own; 128+N if it died of signal N; 125 if airlock\n"
	"failed; 126 if the command cannot be executed; 127 if it was not found.\n"
	"See 'airlock help run' for every option.\n";

static const char usage_run[] =
	"Usage: airlock run [OPTIONS] [--] COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND in a sandbox. Without -p, the 'default' profile applies: the current\n"
	"directory read-write, the system read-only, a private TMPDIR, secrets in $HOME\n"
	"(~/.ssh, ~/.gnupg, cloud credentials, ...) denied, the rest of $HOME not granted.\n"
	"\n"
	"Policy:\n"
	"  -p, --profile NAME|FILE  use a profile instead of 'default' (repeatable: later ones\n"
	"                           layer over earlier ones). 'airlock profile list' shows them.\n"
	"  -r, --read PATH          allow reading PATH (a file, or a directory and all below it)\n"
	"  -w, --write PATH         allow reading and writing PATH (create, remove, rename inside)\n"
	"  -x, --exec PATH          allow reading and executing PATH\n"
	"      --deny PATH          deny all access to PATH, even inside an allowed directory\n"
	"      --ask PATH[:r|rw|rx] ask the approver at runtime before granting access to PATH\n"
	"      --net on|off         network access (off: no sockets but Unix ones; default on)\n"
	"      --unix-sockets allow|deny\n"
	"                           whether socket(AF_UNIX) works (default deny: the kernel cannot\n"
	"                           yet mediate which socket files are reached, and a session bus\n"
	"                           or agent socket leads out of any sandbox)\n"
	"      --path-metadata allow|deny\n"
	"                           chmod/chown/xattr/utimes naming a path. Landlock cannot restrict\n"
	"                           them; the default profile allows them (git, pip and npm need\n"
	"                           chmod), the strict profile denies them. fchmod and friends on\n"
	"                           open files always work.\n"
	"      --env NAME[=VALUE]   set NAME, or pass NAME from this environment even if the\n"
	"                           policy would drop it (LD_PRELOAD and similar are dropped)\n"
	"      --strict-kernel      refuse to run if the kernel cannot enforce every right airlock\n"
	"                           handles, instead of degrading with a warning\n"
	"Paths may use $HOME, $CWD, $TMPDIR, $XDG_CONFIG_HOME, ... and ~. A path given here must\n"
	"exist. The most specific rule wins; for the same path the later option wins.\n"
	"\n"
	"Supervision (runtime grants that survive exec, for this command and all it runs):\n"
	"      --approve-cmd CMD    who answers \"ask\": CMD runs (sh -c) with a JSON request on stdin\n"
	"                           and prints a JSON answer (docs/approver.md); without it, on a\n"
	"                           terminal you are asked (once, session, directory, always, no),\n"
	"                           elsewhere \"ask\" means deny\n"
	"      --approve-timeout D  deny when the approver takes longer than D (default 60s)\n"
	"      --audit FILE         append one JSON line per decision beyond the floor to FILE\n"
	"      --report-json FILE   write what was denied (and how to allow it) to FILE as JSON;\n"
	"                           the same summary goes to stderr at exit unless --quiet\n"
	"      --static             no supervisor: only the kernel floor and the static filter; no\n"
	"                           per-operation cost, no runtime grants, \"ask\" means deny\n"
	"\n"
	"Running:\n"
	"  -C, --cwd DIR            run the command in DIR ($CWD is still the current directory)\n"
	"      --no-pty             never give the command its own terminal\n"
	"      --no-prompt          on a terminal, do not ask the person at it (\"ask\" means deny\n"
	"                           unless --approve-cmd answers)\n"
	"      --dry-run            print the effective policy and exit without running anything\n"
	"  -v, --verbose            say more (repeat for even more)\n"
	"  -q, --quiet              only errors\n"
	"  -h, --help               this text\n"
	"\n"
	"When stdin is a terminal, COMMAND runs on a terminal of its own that airlock relays, so it\n"
	"cannot inject input into yours. Everything COMMAND leaves running is killed when it exits.\n";

static const char usage_why[] =
	"Usage: airlock why [POLICY OPTIONS] PATH...\n"
	"\n"
	"For each PATH, say which rule allows or denies reading, writing and executing it, where\n"
	"that rule comes from, and whether the kernel floor enforces the answer. Takes the policy\n"
	"options of 'airlock run' (-p, -r, -w, -x, --deny, ...), so you can try a policy first.\n";

static const char usage_profile[] =
	"Usage: airlock profile list\n"
	"       airlock profile show NAME|FILE\n"
	"       airlock profile check NAME|FILE...\n"
	"\n"
	"Profiles are JSON (see docs/profiles.md). Your own live in\n"
	"$XDG_CONFIG_HOME/airlock/profiles/NAME.json (~/.config/airlock/profiles) and take\n"
	"precedence over built-in ones of the same name; a FILE is any name containing '/' or\n"
	"ending in .json.\n";

static void log_to_stderr(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level >= AIRLOCK_LOG_INFO && arg_verbose < (level - AIRLOCK_LOG_NOTICE))
		return;
	if (arg_quiet && level > AIRLOCK_LOG_ERR)
		return;
	const char *tag = level <= AIRLOCK_LOG_ERR ? "error: " : level == AIRLOCK_LOG_WARNING ? "warning: "
			  : level == AIRLOCK_LOG_NOTICE ? "notice: " : "";
	/* While the command runs, the terminal is raw: a line must return to the margin itself. */
	static int tty = -1;
	if (tty < 0)
		tty = isatty(2);
	fprintf(stderr, "airlock: %s%s%s", tag, msg, tty ? "\r\n" : "\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("airlock: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_AIRLOCK;
}

static void print_diag(const struct airlock_diag *d)
{
	if (d->file[0] && d->line)
		fprintf(stderr, "airlock: %s:%u:%u: %s\n", d->file, d->line, d->column, d->message);
	else if (d->file[0])
		fprintf(stderr, "airlock: %s: %s\n", d->file, d->message);
	else
		fprintf(stderr, "airlock: %s\n", d->message);
}

/* Build the policy from the options. Returns 0 or an exit status. */
static int build_policy(const struct policy_args *pa, struct airlock_policy **ret)
{
	struct airlock_policy *p = NULL;
	struct airlock_diag diag;
	int r = airlock_policy_new(&p);
	if (r < 0)
		return fail("%s", strerror(-r));
	airlock_policy_set_log(p, log_to_stderr, NULL);

	if (pa->n_profiles == 0 && (r = airlock_policy_load_profile(p, "default", &diag)) < 0) {
		print_diag(&diag);
		airlock_policy_free(p);
		return EXIT_AIRLOCK;
	}
	for (size_t i = 0; i < pa->n_profiles; i++) {
		r = airlock_policy_load_profile(p, pa->profiles[i], &diag);
		if (r < 0) {
			print_diag(&diag);
			airlock_policy_free(p);
			return EXIT_AIRLOCK;
		}
	}
	/* What the person answered "always" at earlier prompts, under the flags of this run. */
	if ((r = airlock_policy_load_always(p, &diag)) < 0) {
		print_diag(&diag);
		airlock_policy_free(p);
		return EXIT_AIRLOCK;
	}
	for (size_t i = 0; i < pa->n_rules; i++) {
		const struct cli_rule *cr = &pa->rules[i];
		char *path = NULL;
		/* Relative paths mean relative to here, as in any command. */
		if (cr->path[0] != '/' && cr->path[0] != '$' && cr->path[0] != '~') {
			char cwd[4096];
			if (!getcwd(cwd, sizeof(cwd)) || asprintf(&path, "%s/%s", cwd, cr->path) < 0) {
				airlock_policy_free(p);
				return fail("cannot resolve %s: %s", cr->path, strerror(errno));
			}
		}
		r = airlock_policy_add_rule(p, path ? path : cr->path, cr->access, cr->effect, cr->flag);
		free(path);
		if (r < 0) {
			fprintf(stderr, "airlock: %s %s: %s\n", cr->flag, cr->path,
				*airlock_policy_strerror(p) ? airlock_policy_strerror(p) : strerror(-r));
			airlock_policy_free(p);
			return EXIT_AIRLOCK;
		}
	}
	if (pa->net >= 0)
		airlock_policy_set_network(p, pa->net ? AIRLOCK_NET_ON : AIRLOCK_NET_OFF);
	if (pa->unix_sockets >= 0)
		airlock_policy_set_unix_sockets(p, pa->unix_sockets);
	if (pa->path_metadata >= 0)
		airlock_policy_set_path_metadata(p, pa->path_metadata);
	for (size_t i = 0; i < pa->n_env; i++) {
		char *eq = strchr(pa->env[i], '=');
		char name[256];
		size_t n = eq ? (size_t)(eq - pa->env[i]) : strlen(pa->env[i]);
		if (n >= sizeof(name)) {
			airlock_policy_free(p);
			return fail("--env %s: name too long", pa->env[i]);
		}
		memcpy(name, pa->env[i], n);
		name[n] = '\0';
		if ((r = airlock_policy_set_env(p, name, eq ? eq + 1 : NULL)) < 0) {
			airlock_policy_free(p);
			return fail("--env %s: %s", pa->env[i], strerror(-r));
		}
	}
	*ret = p;
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct run_args a;
	char err[512];
	int r, status = EXIT_AIRLOCK;

	if (args_parse_run(argc, argv, false, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "airlock run: %s\nTry 'airlock help run'.\n", err);
		return EXIT_AIRLOCK;
	}
	if (a.help) {
		fputs(usage_run, stdout);
		return 0;
	}
	if (a.version) {
		printf("airlock %s\n", airlock_version());
		return 0;
	}
	arg_verbose = a.verbose;
	arg_quiet = a.quiet;

	struct airlock_policy *p = NULL;
	if ((r = build_policy(&a.policy, &p)) != 0)
		return r;

	if (a.dry_run) {
		char *text = NULL;
		r = airlock_policy_format(p, &text);
		if (r < 0) {
			fprintf(stderr, "airlock: %s\n", *airlock_policy_strerror(p) ? airlock_policy_strerror(p)
										     : strerror(-r));
			airlock_policy_free(p);
			return EXIT_AIRLOCK;
		}
		fputs(text, stdout);
		if (a.command) {
			printf("\ncommand:");
			for (char **c = a.command; *c; c++)
				printf(" %s", *c);
			printf("\n");
		}
		free(text);
		airlock_policy_free(p);
		return 0;
	}

	struct airlock_sandbox *sb = NULL;
	r = airlock_sandbox_new(p, (a.strict_kernel ? AIRLOCK_SANDBOX_STRICT_KERNEL : 0) |
				       (a.static_mode ? AIRLOCK_SANDBOX_STATIC : 0), &sb);
	if (r < 0) {
		fprintf(stderr, "airlock: %s\n", *airlock_policy_strerror(p) ? airlock_policy_strerror(p)
									     : strerror(-r));
		airlock_policy_free(p);
		return EXIT_AIRLOCK;
	}
	airlock_policy_free(p);
	/* -EINVAL: the sandbox has no supervisor (this kernel cannot supervise; said above). */
	if (a.approve_timeout_ms)
		airlock_sandbox_set_approve_timeout(sb, a.approve_timeout_ms); /* -EINVAL: --static */
	if (a.approve_cmd && (r = airlock_sandbox_set_approver_cmd(sb, a.approve_cmd, a.approve_timeout_ms)) < 0) {
		if (r != -EINVAL) {
			airlock_sandbox_free(sb);
			return fail("--approve-cmd: %s", strerror(-r));
		}
		if (!a.quiet)
			fprintf(stderr, "airlock: warning: no supervisor: --approve-cmd is not used\n");
	}
	if (a.audit && (r = airlock_sandbox_set_audit_file(sb, a.audit)) < 0) {
		if (r != -EINVAL) {
			airlock_sandbox_free(sb);
			return fail("--audit: %s", strerror(-r));
		}
		if (!a.quiet)
			fprintf(stderr, "airlock: warning: no supervisor: --audit is not written\n");
	}

	struct airlock_run_opts opts = {
		.size = sizeof(opts),
		.argv = (const char *const *)a.command,
		.cwd = a.cwd,
		.flags = a.no_pty ? 0 : AIRLOCK_RUN_PTY_AUTO | (a.no_prompt ? 0 : AIRLOCK_RUN_PROMPT),
	};
	r = airlock_sandbox_run(sb, &opts, &status);
	if (r < 0) {
		fprintf(stderr, "airlock: %s\n", *airlock_sandbox_strerror(sb) ? airlock_sandbox_strerror(sb)
									       : strerror(-r));
		status = r == -ENOENT ? 127 : (r == -EACCES || r == -ENOEXEC) ? 126 : EXIT_AIRLOCK;
	} else {
		/* The exit report: what was denied, and how to allow it next time. */
		char *text = NULL, *json = NULL;
		if (airlock_sandbox_report(sb, &text, &json) == 0) {
			if (text && !a.quiet)
				fputs(text, stderr);
			if (a.report_json) {
				FILE *f = fopen(a.report_json, "we");
				if (!f || fputs(json, f) < 0 || fclose(f) != 0)
					fprintf(stderr, "airlock: --report-json %s: %s\n", a.report_json,
						strerror(errno));
			}
		}
		free(text);
		free(json);
	}
	airlock_sandbox_free(sb);
	return status;
}

static int cmd_why(int argc, char **argv)
{
	struct run_args a;
	char err[512];
	int r, ret = 0;

	if (args_parse_run(argc, argv, true, &a, err, sizeof(err)) < 0) {
		if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
			fputs(usage_why, stdout);
			return 0;
		}
		fprintf(stderr, "airlock why: %s\nTry 'airlock help why'.\n", err);
		return EXIT_AIRLOCK;
	}
	if (a.help) {
		fputs(usage_why, stdout);
		return 0;
	}
	arg_verbose = a.verbose;
	arg_quiet = true;
	struct airlock_policy *p = NULL;
	if ((r = build_policy(&a.policy, &p)) != 0)
		return r;
	for (char **path = a.paths; *path; path++) {
		char *text = NULL;
		r = airlock_policy_explain(p, *path, &text);
		if (r < 0) {
			fprintf(stderr, "airlock: %s: %s\n", *path,
				*airlock_policy_strerror(p) ? airlock_policy_strerror(p) : strerror(-r));
			ret = EXIT_AIRLOCK;
			continue;
		}
		fputs(text, stdout);
		free(text);
	}
	airlock_policy_free(p);
	return ret;
}

static int cmd_doctor(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: airlock doctor\n\nWhat this kernel supports and what airlock does about it.\n");
		return 0;
	}
	if (argc > 1)
		return fail("doctor takes no arguments (got %s)", argv[1]);
	char *text = NULL;
	int r = airlock_doctor(&text);
	if (r < 0)
		return fail("doctor: %s", strerror(-r));
	fputs(text, stdout);
	free(text);
	return 0;
}

static int cmd_profile(int argc, char **argv)
{
	int r;
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_profile, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_AIRLOCK : 0;
	}
	if (!strcmp(argv[1], "list")) {
		char **list = NULL;
		if ((r = airlock_profile_list(&list)) < 0)
			return fail("cannot list profiles: %s", strerror(-r));
		printf("%-16s %-12s %s\n", "NAME", "SOURCE", "DESCRIPTION");
		for (char **l = list; l && *l; l++) {
			char *name = *l, *src = strchr(name, '\t'), *desc = NULL;
			if (src) {
				*src++ = '\0';
				desc = strchr(src, '\t');
				if (desc)
					*desc++ = '\0';
			}
			printf("%-16s %-12s %s\n", name, src ? src : "", desc ? desc : "");
		}
		airlock_strv_free(list);
		return 0;
	}
	if (!strcmp(argv[1], "show")) {
		if (argc != 3)
			return fail("usage: airlock profile show NAME|FILE");
		char *json = NULL, *source = NULL;
		if ((r = airlock_profile_read(argv[2], &json, &source)) < 0)
			return fail("profile %s: %s", argv[2], r == -ENOENT ? "not found (see 'airlock profile list')"
										 : strerror(-r));
		printf("// %s\n%s", source ? source : argv[2], json);
		if (*json && json[strlen(json) - 1] != '\n')
			putchar('\n');
		free(json);
		free(source);
		return 0;
	}
	if (!strcmp(argv[1], "check")) {
		if (argc < 3)
			return fail("usage: airlock profile check NAME|FILE...");
		int ret = 0;
		for (int i = 2; i < argc; i++) {
			struct airlock_diag diag;
			if (airlock_profile_check(argv[i], &diag) < 0) {
				print_diag(&diag);
				ret = EXIT_AIRLOCK;
			} else {
				printf("%s: ok\n", argv[i]);
			}
		}
		return ret;
	}
	return fail("unknown profile command '%s' (list, show, check)", argv[1]);
}

int main(int argc, char **argv)
{
	/* A SIGCHLD ignored by whoever started us (SIG_IGN survives exec) would have the kernel
	 * reap the approvers we run before we read their exit status. */
	signal(SIGCHLD, SIG_DFL);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_AIRLOCK;
	}
	if (!strcmp(argv[1], "ps") || !strcmp(argv[1], "grant") || !strcmp(argv[1], "revoke") ||
	    !strcmp(argv[1], "token") || !strcmp(argv[1], "log") || !strcmp(argv[1], "approve"))
		return cmd_session(argc - 1, argv + 1);
	if (argc > 2 && !strcmp(argv[1], "help") && (!strcmp(argv[2], "ps") || !strcmp(argv[2], "grant") ||
			   !strcmp(argv[2], "revoke") || !strcmp(argv[2], "token") ||
			   !strcmp(argv[2], "log") || !strcmp(argv[2], "approve"))) {
		fputs(usage_session, stdout);
		return 0;
	}
	switch (args_command(argv[1])) {
	case CMD_RUN:
		return cmd_run(argc - 1, argv + 1);
	case CMD_WHY:
		return cmd_why(argc - 1, argv + 1);
	case CMD_DOCTOR:
		return cmd_doctor(argc - 1, argv + 1);
	case CMD_PROFILE:
		return cmd_profile(argc - 1, argv + 1);
	case CMD_VERSION:
		printf("airlock %s\n", airlock_version());
		return 0;
	case CMD_HELP:
		if (argc > 2) {
			switch (args_command(argv[2])) {
			case CMD_RUN: fputs(usage_run, stdout); return 0;
			case CMD_WHY: fputs(usage_why, stdout); return 0;
			case CMD_PROFILE: fputs(usage_profile, stdout); return 0;
			case CMD_DOCTOR: return cmd_doctor(2, (char *[]){ "doctor", "--help", NULL });
			default: break;
			}
		}
		fputs(usage_main, stdout);
		return 0;
	default:
		fprintf(stderr, "airlock: unknown command '%s'\n\n%s", argv[1], usage_main);
		return EXIT_AIRLOCK;
	}
}
