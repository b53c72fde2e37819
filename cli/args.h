/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command-line parsing for airlock, apart from main.c so it can be unit tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cli_rule {
	const char *path;
	uint32_t access; /* AIRLOCK_ACCESS_* */
	uint32_t effect; /* AIRLOCK_EFFECT_* */
	const char *flag; /* "--read" etc, for messages */
};

struct policy_args {
	const char *profiles[32];
	size_t n_profiles;
	struct cli_rule rules[256];
	size_t n_rules;
	int net;           /* -1 unset, 0 off, 1 on */
	int unix_sockets;  /* -1 unset, 0 deny, 1 allow */
	int path_metadata; /* -1 unset, 0 deny, 1 allow */
	const char *env[256];
	size_t n_env;
};

struct run_args {
	struct policy_args policy;
	bool dry_run, strict_kernel, no_pty, no_prompt, quiet, help, version, static_mode;
	const char *approve_cmd;
	uint32_t approve_timeout_ms;
	const char *audit;
	const char *report_json;
	int verbose;
	const char *cwd;
	char **command; /* points into argv */
	char **paths;   /* why: the paths to explain (into argv) */
};

enum cli_command { CMD_NONE, CMD_RUN, CMD_WHY, CMD_DOCTOR, CMD_PROFILE, CMD_HELP, CMD_VERSION };

/* Parse the options of "run" (or "why": paths instead of a command). argv[0] is the subcommand.
 * Returns 0, or -EINVAL with a message in err. */
int args_parse_run(int argc, char **argv, bool why, struct run_args *ret, char *err, size_t errlen);

/* Parse "--ask PATH[:r|rw|rx|...]". */
int args_parse_ask(const char *arg, struct cli_rule *ret);

enum cli_command args_command(const char *word);
