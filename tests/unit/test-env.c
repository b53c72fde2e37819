/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The child's environment: injection variables stripped, profile allow/deny/keep/set. */
#include "env.h"
#include "harness.h"
#include "util.h"

static const char *get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static char *host[] = {
	"PATH=/usr/bin:/bin", "HOME=/h", "LD_PRELOAD=/evil.so", "LD_LIBRARY_PATH=/l",
	"BASH_ENV=/x", "NODE_OPTIONS=--require /x", "PYTHONSTARTUP=/x", "PERL5OPT=-Mx",
	"BASH_FUNC_f%%=() { :; }", "AWS_SECRET_ACCESS_KEY=k", "TMPDIR=/host-tmp", "LANG=C.UTF-8",
	"GLIBC_TUNABLES=x", NULL,
};

TEST(injection_variables_are_stripped)
{
	struct airlock_policy p = { 0 };
	struct policy_vars v = { .home = "/h", .cwd = "/c", .tmpdir = "/session" };
	char **env = NULL, **dropped = NULL;
	ASSERT_EQ(0, env_build(&p, &v, host, &env, &dropped));
	ASSERT_STREQ("/usr/bin:/bin", get(env, "PATH"));
	ASSERT_STREQ("C.UTF-8", get(env, "LANG"));
	ASSERT_STREQ("/session", get(env, "TMPDIR"));
	ASSERT_STREQ("1", get(env, "AIRLOCK"));
	const char *gone[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "NODE_OPTIONS",
			       "PYTHONSTARTUP", "PERL5OPT", "BASH_FUNC_f%%", "GLIBC_TUNABLES" };
	for (size_t i = 0; i < ELEMENTSOF(gone); i++) {
		if (get(env, gone[i]))
			FAIL("%s was passed", gone[i]);
		ASSERT_TRUE(strv_contains(dropped, gone[i]));
	}
	/* Not an injection variable: passed unless a profile denies it. */
	ASSERT_STREQ("k", get(env, "AWS_SECRET_ACCESS_KEY"));
	strv_free(env);
	strv_free(dropped);
}

TEST(profile_allow_deny_keep_set_and_cli)
{
	struct airlock_policy p = { 0 };
	struct policy_vars v = { .home = "/h", .cwd = "/c", .tmpdir = "/session" };
	ASSERT_EQ(0, strv_push(&p.env.deny, "AWS_*"));
	ASSERT_EQ(0, strv_push(&p.env.keep, "LD_LIBRARY_PATH"));
	ASSERT_EQ(0, strv_push(&p.env.set, "EDITOR=$HOME/bin/ed"));
	ASSERT_EQ(0, strv_push(&p.env.pass, "LD_PRELOAD"));
	ASSERT_EQ(0, strv_push(&p.env.literal, "RAW=$HOME"));
	char **env = NULL;
	ASSERT_EQ(0, env_build(&p, &v, host, &env, NULL));
	ASSERT_FALSE(get(env, "AWS_SECRET_ACCESS_KEY"));
	ASSERT_STREQ("/l", get(env, "LD_LIBRARY_PATH"));
	ASSERT_STREQ("/evil.so", get(env, "LD_PRELOAD"));
	ASSERT_STREQ("/h/bin/ed", get(env, "EDITOR"));
	ASSERT_STREQ("$HOME", get(env, "RAW")); /* command-line values are not expanded */
	ASSERT_FALSE(get(env, "BASH_ENV"));
	strv_free(env);
	policy_done(&p);

	/* An allow list passes only what it names. */
	struct airlock_policy q = { 0 };
	ASSERT_EQ(0, strv_push(&q.env.allow, "PATH"));
	ASSERT_EQ(0, strv_push(&q.env.allow, "LANG"));
	ASSERT_EQ(0, env_build(&q, &v, host, &env, NULL));
	ASSERT_STREQ("/usr/bin:/bin", get(env, "PATH"));
	ASSERT_FALSE(get(env, "HOME"));
	ASSERT_STREQ("/session", get(env, "TMPDIR"));
	strv_free(env);
	policy_done(&q);
}

HARNESS_MAIN
