/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libairlock from a host program: run a command in a sandbox and grant it a file mid-run, from
 * another thread; revoke; the static sandbox refuses grants.
 */
#include <pthread.h>

#include "airlock/airlock.h"
#include "e2e.h"

static struct e2e_fixture f;

struct runner {
	struct airlock_sandbox *sb;
	const char *script;
	int status, r;
};

static void *run_thread(void *arg)
{
	struct runner *rn = arg;
	const char *argv[] = { "sh", "-c", rn->script, NULL };
	struct airlock_run_opts o = { .size = sizeof(o), .argv = argv };
	rn->r = airlock_sandbox_run(rn->sb, &o, &rn->status);
	return NULL;
}

static struct airlock_sandbox *new_sandbox(uint32_t flags)
{
	struct airlock_policy *p = NULL;
	struct airlock_sandbox *sb = NULL;
	struct airlock_diag d;
	ASSERT_EQ(0, airlock_policy_new(&p));
	ASSERT_EQ(0, airlock_policy_load_profile(p, "default", &d));
	int r = airlock_sandbox_new(p, flags, &sb);
	if (r < 0)
		FAIL("sandbox: %s", airlock_policy_strerror(p));
	airlock_policy_free(p);
	return sb;
}

TEST(host_grants_a_file_mid_run)
{
	e2e_fixture_setup(&f);
	struct airlock_sandbox *sb = new_sandbox(0);
	/* The command says it runs, then retries until the note is readable: the grant must
	 * reach a process that is already running, and the cat it execs each time. */
	struct runner rn = {
		.sb = sb,
		.script = "touch started; until cat \"$HOME/notes/n.txt\" > out.txt 2>/dev/null; do "
			  "sleep 0.01; done",
	};
	pthread_t t;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &rn));
	for (int i = 0; i < 2000 && access("started", F_OK) != 0; i++)
		usleep(5000);
	ASSERT_EQ(0, access("started", F_OK));
	char out[64];
	/* Not readable yet: the loop is running against a denial. */
	ASSERT_FALSE(e2e_read_file("out.txt", out, sizeof(out)) == 0 && strcmp(out, "note\n") == 0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(0, rn.r);
	ASSERT_EQ(0, rn.status);
	ASSERT_EQ(0, e2e_read_file("out.txt", out, sizeof(out)));
	ASSERT_STREQ("note\n", out);
	airlock_sandbox_free(sb);
}

TEST(revoked_and_refused_grants)
{
	e2e_fixture_setup(&f);
	/* Granted, then revoked before the run: denied. */
	struct airlock_sandbox *sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(1, airlock_sandbox_revoke(sb, e2e_path("%s/notes", f.home)));
	struct runner rn = { .sb = sb, .script = "cat \"$HOME/notes/n.txt\" > out.txt 2>/dev/null" };
	run_thread(&rn);
	ASSERT_EQ(0, rn.r);
	ASSERT_NE(0, rn.status);
	airlock_sandbox_free(sb);
	/* A grant never reaches a deny rule. */
	sb = new_sandbox(0);
	ASSERT_EQ(0, airlock_sandbox_grant(sb, f.home, AIRLOCK_ACCESS_READ, 0));
	rn = (struct runner){ .sb = sb, .script = "cat \"$HOME/.ssh/id_rsa\" > out.txt 2>/dev/null; "
						 "cat \"$HOME/notes/n.txt\" >> out.txt" };
	run_thread(&rn);
	char out[256];
	ASSERT_EQ(0, e2e_read_file("out.txt", out, sizeof(out)));
	ASSERT_STREQ("note\n", out);
	airlock_sandbox_free(sb);
	/* Without a supervisor there is nothing to grant with; bad arguments are refused. */
	sb = new_sandbox(AIRLOCK_SANDBOX_STATIC);
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, e2e_path("%s/notes", f.home), AIRLOCK_ACCESS_READ, 0));
	airlock_sandbox_free(sb);
	sb = new_sandbox(0);
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, "relative", AIRLOCK_ACCESS_READ, 0));
	ASSERT_EQ(-EINVAL, airlock_sandbox_grant(sb, f.home, 0, 0));
	ASSERT_EQ(-ENOENT, airlock_sandbox_grant(sb, e2e_path("%s/nope", f.home), AIRLOCK_ACCESS_READ, 0));
	airlock_sandbox_free(sb);
}

HARNESS_MAIN
