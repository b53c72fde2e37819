/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's option parsing: the contract of issue "airlock run". */
#include "airlock/airlock.h"
#include "args.h"
#include "harness.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(v) ((int)(sizeof(v) / sizeof(char *)) - 1)

static int parse(char **argv, struct run_args *a, char *err)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return args_parse_run(argc, argv, false, a, err, 256);
}

TEST(run_options)
{
	struct run_args a;
	char err[256];
	char r1[] = "/data", w1[] = "./out";
	/* argv must outlive the parse: the results point into it. */
	char **argv = ARGV("run", "-p", "strict", "--profile", "x.json", "-r", r1, "--write", w1,
			   "-x", "/opt/t", "--deny", "/s", "--net", "off", "--env", "A=1", "--env", "B",
			   "--dry-run", "-v", "-v", "--", "python3", "-c", "print(1)");
	ASSERT_EQ(0, parse(argv, &a, err));
	ASSERT_EQ(2u, a.policy.n_profiles);
	ASSERT_STREQ("x.json", a.policy.profiles[1]);
	ASSERT_EQ(4u, a.policy.n_rules);
	ASSERT_EQ(AIRLOCK_ACCESS_READ, a.policy.rules[0].access);
	ASSERT_EQ(AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE, a.policy.rules[1].access);
	ASSERT_EQ(AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC, a.policy.rules[2].access);
	ASSERT_EQ(AIRLOCK_EFFECT_DENY, a.policy.rules[3].effect);
	ASSERT_EQ(0, a.policy.net);
	ASSERT_EQ(2u, a.policy.n_env);
	ASSERT_TRUE(a.dry_run);
	ASSERT_EQ(2, a.verbose);
	ASSERT_STREQ("python3", a.command[0]);
	ASSERT_STREQ("-c", a.command[1]);
}

TEST(command_options_are_the_commands)
{
	struct run_args a;
	char err[256];
	/* Without "--", parsing stops at the command: its -r is its own. */
	char **argv = ARGV("run", "-w", "/x", "ls", "-r", "-p");
	ASSERT_EQ(0, parse(argv, &a, err));
	ASSERT_STREQ("ls", a.command[0]);
	ASSERT_STREQ("-r", a.command[1]);
	ASSERT_EQ(1u, a.policy.n_rules);
}

TEST(ask_suffixes)
{
	struct cli_rule r;
	char a1[] = "/d:rw", a2[] = "/d", a3[] = "/weird:name:rx";
	args_parse_ask(a1, &r);
	ASSERT_STREQ("/d", r.path);
	ASSERT_EQ(AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE, r.access);
	ASSERT_EQ(AIRLOCK_EFFECT_ASK, r.effect);
	args_parse_ask(a2, &r);
	ASSERT_EQ(AIRLOCK_ACCESS_READ, r.access);
	args_parse_ask(a3, &r);
	ASSERT_STREQ("/weird:name", r.path);
	ASSERT_EQ(AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC, r.access);
}

TEST(bad_options_say_what)
{
	static const struct {
		char *argv[6];
		const char *msg;
	} cases[] = {
		{ { "run", "--net", "maybe", "true" }, "--net takes" },
		{ { "run", "--bogus", "true" }, "unknown option --bogus" },
		{ { "run", "-Z", "true" }, "unknown option -Z" },
		{ { "run", "-r" }, "needs an argument" },
		{ { "run" }, "no command given" },
		{ { "run", "--env", "=x", "true" }, "--env takes" },
		{ { "run", "-r", "", "true" }, "needs a path" },
		{ { "run", "--unix-sockets", "yes", "true" }, "--unix-sockets takes" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct run_args a;
		char err[256] = "";
		if (parse((char **)cases[i].argv, &a, err) != -EINVAL)
			FAIL("case %zu accepted", i);
		if (!strstr(err, cases[i].msg))
			FAIL("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].msg);
	}
}

TEST(why_takes_paths_and_help)
{
	struct run_args a;
	char err[256];
	char **no_path = ARGV("why", "-r", "/x"), **one_path = ARGV("why", "-r", "/x", "/p");
	ASSERT_EQ(-EINVAL, args_parse_run(3, no_path, true, &a, err, sizeof(err)));
	ASSERT_CONTAINS(err, "which path?");
	ASSERT_EQ(0, args_parse_run(4, one_path, true, &a, err, sizeof(err)));
	ASSERT_STREQ("/p", a.paths[0]);
	char **help = ARGV("run", "--help");
	ASSERT_EQ(0, parse(help, &a, err));
	ASSERT_TRUE(a.help);
	ASSERT_EQ(CMD_RUN, args_command("run"));
	ASSERT_EQ(CMD_NONE, args_command("rum"));
}

HARNESS_MAIN
