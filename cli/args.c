/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "args.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "airlock/airlock.h"
#include "util.h"

enum {
	OPT_DENY = 0x100,
	OPT_ASK,
	OPT_NET,
	OPT_UNIX,
	OPT_META,
	OPT_ENV,
	OPT_DRY_RUN,
	OPT_STRICT_KERNEL,
	OPT_NO_PTY,
	OPT_NO_PROMPT,
	OPT_VERSION,
	OPT_STATIC,
	OPT_APPROVE_CMD,
	OPT_APPROVE_TIMEOUT,
	OPT_AUDIT,
	OPT_REPORT_JSON,
};

static const struct option run_options[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "exec", required_argument, NULL, 'x' },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "ask", required_argument, NULL, OPT_ASK },
	{ "net", required_argument, NULL, OPT_NET },
	{ "unix-sockets", required_argument, NULL, OPT_UNIX },
	{ "path-metadata", required_argument, NULL, OPT_META },
	{ "env", required_argument, NULL, OPT_ENV },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "strict-kernel", no_argument, NULL, OPT_STRICT_KERNEL },
	{ "no-pty", no_argument, NULL, OPT_NO_PTY },
	{ "no-prompt", no_argument, NULL, OPT_NO_PROMPT },
	{ "cwd", required_argument, NULL, 'C' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "static", no_argument, NULL, OPT_STATIC },
	{ "approve-cmd", required_argument, NULL, OPT_APPROVE_CMD },
	{ "approve-timeout", required_argument, NULL, OPT_APPROVE_TIMEOUT },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "report-json", required_argument, NULL, OPT_REPORT_JSON },
	{ NULL, 0, NULL, 0 },
};

static int choice(const char *arg, const char *on, const char *off, int *ret)
{
	if (!strcmp(arg, on))
		*ret = 1;
	else if (!strcmp(arg, off))
		*ret = 0;
	else
		return -EINVAL;
	return 0;
}

int args_parse_ask(const char *arg, struct cli_rule *ret)
{
	static const struct {
		const char *suffix;
		uint32_t access;
	} suffixes[] = {
		{ ":r", AIRLOCK_ACCESS_READ },
		{ ":rw", AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE },
		{ ":rx", AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC },
		{ ":rwx", AIRLOCK_ACCESS_ALL },
		{ ":w", AIRLOCK_ACCESS_WRITE },
		{ ":x", AIRLOCK_ACCESS_EXEC },
	};
	size_t n = strlen(arg);
	*ret = (struct cli_rule){ .path = arg, .access = AIRLOCK_ACCESS_READ,
				  .effect = AIRLOCK_EFFECT_ASK, .flag = "--ask" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i].suffix);
		if (n > k && strcmp(arg + n - k, suffixes[i].suffix) == 0) {
			ret->access = suffixes[i].access;
			/* The path is the caller's string up to the suffix; keep argv intact by
			 * pointing at a copy the caller owns: we cut in place (argv is ours). */
			((char *)arg)[n - k] = '\0';
			return 0;
		}
	}
	return 0;
}

int args_parse_run(int argc, char **argv, bool why, struct run_args *a, char *err, size_t errlen)
{
	struct policy_args *pa = &a->policy;
	int c;

	memset(a, 0, sizeof(*a));
	pa->net = pa->unix_sockets = pa->path_metadata = -1;
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so the command's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+:p:r:w:x:C:vqh", run_options, NULL)) != -1) {
		struct cli_rule *rule = NULL;
		if (pa->n_rules < sizeof(pa->rules) / sizeof(pa->rules[0]))
			rule = &pa->rules[pa->n_rules];
		switch (c) {
		case 'p':
			if (pa->n_profiles >= sizeof(pa->profiles) / sizeof(pa->profiles[0])) {
				snprintf(err, errlen, "too many --profile options");
				return -EINVAL;
			}
			pa->profiles[pa->n_profiles++] = optarg;
			break;
		case 'r':
		case 'w':
		case 'x':
		case OPT_DENY:
		case OPT_ASK:
			if (!rule) {
				snprintf(err, errlen, "too many path options (at most %zu)",
					 sizeof(pa->rules) / sizeof(pa->rules[0]));
				return -EINVAL;
			}
			if (!*optarg) {
				snprintf(err, errlen, "%s needs a path", argv[optind - 1]);
				return -EINVAL;
			}
			if (c == OPT_ASK) {
				args_parse_ask(optarg, rule);
			} else {
				*rule = (struct cli_rule){
					.path = optarg,
					.effect = c == OPT_DENY ? AIRLOCK_EFFECT_DENY : AIRLOCK_EFFECT_ALLOW,
					.access = c == 'r' ? AIRLOCK_ACCESS_READ
						  : c == 'w' ? AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE
						  : c == 'x' ? AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC
							     : AIRLOCK_ACCESS_ALL,
					.flag = c == 'r' ? "--read" : c == 'w' ? "--write"
						: c == 'x' ? "--exec" : "--deny",
				};
			}
			pa->n_rules++;
			break;
		case OPT_NET:
			if (choice(optarg, "on", "off", &pa->net) < 0) {
				snprintf(err, errlen, "--net takes \"on\" or \"off\", not \"%s\"", optarg);
				return -EINVAL;
			}
			break;
		case OPT_UNIX:
			if (choice(optarg, "allow", "deny", &pa->unix_sockets) < 0) {
				snprintf(err, errlen, "--unix-sockets takes \"allow\" or \"deny\"");
				return -EINVAL;
			}
			break;
		case OPT_META:
			if (choice(optarg, "allow", "deny", &pa->path_metadata) < 0) {
				snprintf(err, errlen, "--path-metadata takes \"allow\" or \"deny\"");
				return -EINVAL;
			}
			break;
		case OPT_ENV:
			if (!*optarg || *optarg == '=') {
				snprintf(err, errlen, "--env takes NAME or NAME=VALUE");
				return -EINVAL;
			}
			if (pa->n_env >= sizeof(pa->env) / sizeof(pa->env[0])) {
				snprintf(err, errlen, "too many --env options");
				return -EINVAL;
			}
			pa->env[pa->n_env++] = optarg;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_STRICT_KERNEL:
			a->strict_kernel = true;
			break;
		case OPT_NO_PROMPT:
			a->no_prompt = true;
			break;
		case OPT_NO_PTY:
			a->no_pty = true;
			break;
		case OPT_STATIC:
			a->static_mode = true;
			break;
		case OPT_APPROVE_CMD:
			if (!*optarg) {
				snprintf(err, errlen, "--approve-cmd needs a command");
				return -EINVAL;
			}
			a->approve_cmd = optarg;
			break;
		case OPT_APPROVE_TIMEOUT: {
			uint64_t secs;
			if (parse_duration(optarg, &secs) < 0 || secs == 0 || secs > 86400) {
				snprintf(err, errlen, "--approve-timeout takes a duration like 30s, 5m (at most 1d)");
				return -EINVAL;
			}
			a->approve_timeout_ms = (uint32_t)(secs * 1000);
			break;
		}
		case OPT_REPORT_JSON:
			if (!*optarg) {
				snprintf(err, errlen, "--report-json needs a file");
				return -EINVAL;
			}
			a->report_json = optarg;
			break;
		case OPT_AUDIT:
			if (!*optarg) {
				snprintf(err, errlen, "--audit needs a file");
				return -EINVAL;
			}
			a->audit = optarg;
			break;
		case 'C':
			a->cwd = optarg;
			break;
		case 'v':
			a->verbose++;
			break;
		case 'q':
			a->quiet = true;
			break;
		case 'h':
			a->help = true;
			return 0;
		case OPT_VERSION:
			a->version = true;
			return 0;
		case ':':
			snprintf(err, errlen, "option %s needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option -%c", optopt);
			else
				snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (a->static_mode && (a->approve_cmd || a->audit)) {
		snprintf(err, errlen, "--static has no supervisor: --approve-cmd and --audit need one");
		return -EINVAL;
	}
	if (why) {
		a->paths = argv + optind;
		if (optind >= argc) {
			snprintf(err, errlen, "which path? usage: airlock why [OPTIONS] PATH...");
			return -EINVAL;
		}
		return 0;
	}
	if (optind >= argc) {
		if (a->dry_run)
			return 0;
		snprintf(err, errlen, "no command given; usage: airlock run [OPTIONS] [--] COMMAND [ARGS...]");
		return -EINVAL;
	}
	a->command = argv + optind;
	return 0;
}

enum cli_command args_command(const char *w)
{
	if (!strcmp(w, "run"))
		return CMD_RUN;
	if (!strcmp(w, "why"))
		return CMD_WHY;
	if (!strcmp(w, "doctor"))
		return CMD_DOCTOR;
	if (!strcmp(w, "profile") || !strcmp(w, "profiles"))
		return CMD_PROFILE;
	if (!strcmp(w, "help") || !strcmp(w, "--help") || !strcmp(w, "-h"))
		return CMD_HELP;
	if (!strcmp(w, "--version") || !strcmp(w, "version"))
		return CMD_VERSION;
	return CMD_NONE;
}
