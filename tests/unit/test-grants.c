/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime grant table: matching, specificity, scopes, expiry, revocation, cap, merge, threads. */
#include <pthread.h>
#include <sched.h>

#include "airlock/airlock.h"
#include "grants.h"
#include "harness.h"

#define R AIRLOCK_ACCESS_READ
#define W AIRLOCK_ACCESS_WRITE
#define X AIRLOCK_ACCESS_EXEC

static struct grant_table *new_table(size_t cap)
{
	struct grant_table *t = NULL;
	ASSERT_EQ(0, grant_table_new(cap, &t));
	ASSERT_TRUE(t);
	return t;
}

static uint64_t add(struct grant_table *t, const char *path, bool subtree, uint32_t access,
		    uint32_t scope)
{
	uint64_t id = 0;
	int r = grant_add(t, path, subtree, access, scope, 0, "test", &id);
	if (r < 0)
		FAIL("grant_add(%s): %d", path, r);
	return id;
}

struct match_case {
	const char *grant;
	bool subtree;
	uint32_t grant_access;
	const char *path;
	uint32_t access;
	bool want;
};

static const struct match_case match_cases[] = {
	/* file grants cover exactly their path */
	{ "/a/f", false, R, "/a/f", R, true },
	{ "/a/f", false, R, "/a/f/g", R, false },
	{ "/a/f", false, R, "/a", R, false },
	{ "/a/f", false, R, "/a/fg", R, false },
	/* subtree grants cover the path and beneath, component-wise */
	{ "/a", true, R, "/a", R, true },
	{ "/a", true, R, "/a/b", R, true },
	{ "/a", true, R, "/a/b/c/d", R, true },
	{ "/a", true, R, "/ab", R, false },
	{ "/a", true, R, "/ab/c", R, false },
	{ "/a", true, R, "/", R, false },
	{ "/a/b", true, R, "/a", R, false },
	{ "/", true, R, "/anything/at/all", R, true },
	{ "/", true, R, "/", R, true },
	{ "/", false, R, "/", R, true },
	{ "/", false, R, "/a", R, false },
	/* every requested bit must be held */
	{ "/a", true, R, "/a/b", W, false },
	{ "/a", true, R, "/a/b", R | W, false },
	{ "/a", true, R | W, "/a/b", R | W, true },
	{ "/a", true, R | W, "/a/b", W, true },
	{ "/a", true, R | W, "/a/b", X, false },
	{ "/a/f", false, R | W | X, "/a/f", X, true },
	/* a request for nothing consumes nothing and is not "covered" */
	{ "/a", true, R, "/a/b", 0, false },
	/* non-absolute requests never match */
	{ "/", true, R, "a/b", R, false },
	{ "/", true, R, "", R, false },
};

TEST(match_table)
{
	for (size_t i = 0; i < ELEMENTSOF(match_cases); i++) {
		const struct match_case *c = &match_cases[i];
		struct grant_table *t = new_table(16);
		uint64_t id = add(t, c->grant, c->subtree, c->grant_access, GRANT_SESSION);
		uint64_t got = 0;
		bool ok = grant_check(t, c->path, c->access, &got);
		if (ok != c->want)
			FAIL("case %zu: grant %s%s access %u, check %s access %u: got %d", i,
			     c->grant, c->subtree ? "/**" : "", c->grant_access, c->path, c->access,
			     ok);
		if (ok)
			EXPECT_EQ(id, got);
		grant_table_free(t);
	}
}

TEST(bad_arguments)
{
	struct grant_table *t = new_table(16);
	uint64_t id;
	const char *bad[] = { "", "a", "a/b", "/a/", "//a", "/a//b", "/a/./b", "/a/..", "/a/../b",
			      "/.", NULL };
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (grant_add(t, bad[i], true, R, GRANT_SESSION, 0, NULL, &id) != -EINVAL)
			FAIL("grant_add(\"%s\") accepted", bad[i] ? bad[i] : "(null)");
	EXPECT_EQ(-EINVAL, grant_add(t, "/a", true, 0, GRANT_SESSION, 0, NULL, &id));
	EXPECT_EQ(-EINVAL, grant_add(t, "/a", true, 1u << 7, GRANT_SESSION, 0, NULL, &id));
	EXPECT_EQ(-EINVAL, grant_add(t, "/a", true, R, 0, 0, NULL, &id));
	EXPECT_EQ(-EINVAL, grant_add(t, "/a", true, R, GRANT_ONCE | GRANT_SESSION, 0, NULL, &id));
	char longp[5000];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	EXPECT_EQ(-ENAMETOOLONG, grant_add(t, longp, true, R, GRANT_SESSION, 0, NULL, &id));
	EXPECT_EQ(0u, grant_count(t));
	EXPECT_EQ(-EINVAL, grant_revoke_path(t, "rel"));
	EXPECT_EQ(-EINVAL, grant_table_new(0, &t));
	grant_table_free(t);
	grant_table_free(NULL);
}

TEST(most_specific_wins_and_is_consumed)
{
	struct grant_table *t = new_table(16);
	uint64_t wide = add(t, "/a", true, R, GRANT_SESSION);
	uint64_t mid = add(t, "/a/b", true, R, GRANT_ONCE);
	uint64_t file = add(t, "/a/b/c", false, R, GRANT_ONCE);
	uint64_t id = 0;

	ASSERT_TRUE(grant_check(t, "/a/b/c", R, &id));
	EXPECT_EQ(file, id); /* the file grant, the most specific */
	ASSERT_TRUE(grant_check(t, "/a/b/c", R, &id));
	EXPECT_EQ(mid, id); /* file grant consumed: next the /a/b subtree */
	ASSERT_TRUE(grant_check(t, "/a/b/c", R, &id));
	EXPECT_EQ(wide, id); /* then the session grant, which stays */
	ASSERT_TRUE(grant_check(t, "/a/b/c", R, &id));
	EXPECT_EQ(wide, id);
	EXPECT_EQ(1u, grant_count(t));

	/* A more specific grant that lacks the access does not shadow a wider one that has it. */
	uint64_t ro = add(t, "/a/x", false, R, GRANT_ONCE);
	uint64_t rw = add(t, "/a", true, W, GRANT_SESSION);
	EXPECT_EQ(wide, rw); /* merged into the /a session grant */
	ASSERT_TRUE(grant_check(t, "/a/x", W, &id));
	EXPECT_EQ(wide, id);
	ASSERT_TRUE(grant_check(t, "/a/x", R, &id));
	EXPECT_EQ(ro, id);

	/* At the same path: file beats subtree, session beats once (a standing grant does not
	 * burn a one-shot grant). */
	uint64_t s_once = add(t, "/q", true, R, GRANT_ONCE);
	uint64_t s_sess = add(t, "/q", true, R, GRANT_SESSION);
	ASSERT_TRUE(grant_check(t, "/q", R, &id));
	EXPECT_EQ(s_sess, id);
	uint64_t f_once = add(t, "/q", false, R, GRANT_ONCE);
	ASSERT_TRUE(grant_check(t, "/q", R, &id));
	EXPECT_EQ(f_once, id);
	ASSERT_TRUE(grant_check(t, "/q/r", R, &id));
	EXPECT_EQ(s_sess, id);
	EXPECT_EQ(0, grant_revoke(t, s_sess));
	ASSERT_TRUE(grant_check(t, "/q/r", R, &id));
	EXPECT_EQ(s_once, id);
	EXPECT_FALSE(grant_check(t, "/q/r", R, &id));
	grant_table_free(t);
}

TEST(once_consumed_session_kept)
{
	struct grant_table *t = new_table(16);
	uint64_t once = add(t, "/o", false, R | W, GRANT_ONCE);
	add(t, "/s", false, R, GRANT_SESSION);
	/* A failed check (missing bit) does not consume. */
	EXPECT_FALSE(grant_check(t, "/o", X, NULL));
	EXPECT_FALSE(grant_check(t, "/o/sub", R, NULL));
	uint64_t id = 0;
	ASSERT_TRUE(grant_check(t, "/o", R | W, &id));
	EXPECT_EQ(once, id);
	EXPECT_FALSE(grant_check(t, "/o", R, NULL));
	for (int i = 0; i < 100; i++)
		ASSERT_TRUE(grant_check(t, "/s", R, NULL));
	struct grant_info *v = NULL;
	size_t n = 0;
	ASSERT_EQ(0, grant_list(t, &v, &n));
	ASSERT_EQ(1u, n);
	EXPECT_STREQ("/s", v[0].path);
	EXPECT_EQ(100u, v[0].uses);
	EXPECT_EQ(GRANT_SESSION, v[0].scope);
	EXPECT_STREQ("test", v[0].origin);
	free(v);
	grant_table_free(t);
}

TEST(expiry)
{
	struct grant_table *t = new_table(16);
	uint64_t id;
	uint64_t t0 = grant_now_ns();
	ASSERT_EQ(0, grant_add(t, "/e", true, R, GRANT_SESSION, 2000000 /* 2 ms */, "t", &id));
	ASSERT_EQ(0, grant_add(t, "/keep", true, R, GRANT_SESSION, 0, "t", NULL));
	ASSERT_EQ(0, grant_add(t, "/long", true, R, GRANT_SESSION, 3600ull * 1000000000, "t",
			       NULL));
	bool first = grant_check(t, "/e/x", R, NULL);
	if (grant_now_ns() - t0 < 2000000)
		EXPECT_TRUE(first);
	/* Bounded wait: at most 1 s of polling for a 2 ms ttl. */
	while (grant_now_ns() - t0 < 2000000 + 1000000)
		;
	EXPECT_FALSE(grant_check(t, "/e/x", R, NULL));
	EXPECT_EQ(2u, grant_count(t)); /* dropped on the way */
	EXPECT_TRUE(grant_check(t, "/keep/x", R, NULL));
	EXPECT_TRUE(grant_check(t, "/long", R, NULL));

	/* Merging keeps the later expiry; "never" is the latest. */
	uint64_t a, b;
	ASSERT_EQ(0, grant_add(t, "/m", false, R, GRANT_SESSION, 1000000000, "t", &a));
	ASSERT_EQ(0, grant_add(t, "/m", false, W, GRANT_SESSION, 2000000 /* shorter */, "t", &b));
	EXPECT_EQ(a, b);
	ASSERT_EQ(0, grant_add(t, "/m", false, W, GRANT_SESSION, 0, "t", &b));
	EXPECT_EQ(a, b);
	struct grant_info *v;
	size_t n;
	ASSERT_EQ(0, grant_list(t, &v, &n));
	bool seen = false;
	for (size_t i = 0; i < n; i++)
		if (v[i].id == a) {
			seen = true;
			EXPECT_EQ(0u, v[i].expires_ns);
			EXPECT_EQ(R | W, v[i].access);
		}
	EXPECT_TRUE(seen);
	free(v);

	/* An expired grant is not a merge target, and the cap is checked after purging. */
	struct grant_table *c = new_table(1);
	uint64_t e1, e2;
	t0 = grant_now_ns();
	ASSERT_EQ(0, grant_add(c, "/z", false, R, GRANT_SESSION, 1000000, "t", &e1));
	EXPECT_EQ(-ENOSPC, grant_add(c, "/y", false, R, GRANT_SESSION, 0, "t", NULL));
	while (grant_now_ns() - t0 < 2000000)
		;
	ASSERT_EQ(0, grant_add(c, "/z", false, R, GRANT_SESSION, 0, "t", &e2));
	EXPECT_NE(e1, e2);
	EXPECT_EQ(1u, grant_count(c));
	grant_table_free(c);
	grant_table_free(t);
}

TEST(revoke)
{
	struct grant_table *t = new_table(16);
	uint64_t a = add(t, "/r", true, R, GRANT_SESSION);
	add(t, "/r/x", false, R, GRANT_SESSION);
	add(t, "/r/x/y", true, W, GRANT_ONCE);
	add(t, "/rr", true, R, GRANT_SESSION);
	add(t, "/other", true, R, GRANT_SESSION);
	uint64_t o = add(t, "/", true, X, GRANT_SESSION);

	EXPECT_EQ(-ENOENT, grant_revoke(t, 999999));
	EXPECT_EQ(0, grant_revoke(t, o));
	EXPECT_EQ(-ENOENT, grant_revoke(t, o));
	EXPECT_FALSE(grant_check(t, "/any", X, NULL));

	/* A subtree revoke takes the path and beneath it, not /rr, not an ancestor grant. */
	EXPECT_EQ(2, grant_revoke_path(t, "/r/x"));
	EXPECT_TRUE(grant_check(t, "/r/x", R, NULL)); /* still covered by /r */
	EXPECT_FALSE(grant_check(t, "/r/x/y", W, NULL));
	EXPECT_EQ(1, grant_revoke_path(t, "/r"));
	EXPECT_FALSE(grant_check(t, "/r/x", R, NULL));
	EXPECT_TRUE(grant_check(t, "/rr/z", R, NULL));
	EXPECT_EQ(0, grant_revoke_path(t, "/nothing"));
	EXPECT_EQ(-ENOENT, grant_revoke(t, a));
	EXPECT_EQ(2u, grant_count(t));
	EXPECT_EQ(2, grant_revoke_path(t, "/"));
	EXPECT_EQ(0u, grant_count(t));
	grant_table_free(t);
}

TEST(merge)
{
	struct grant_table *t = new_table(4);
	uint64_t a = add(t, "/m", true, R, GRANT_SESSION);
	EXPECT_EQ(a, add(t, "/m", true, W, GRANT_SESSION));
	EXPECT_NE(a, add(t, "/m", false, W, GRANT_SESSION)); /* file vs subtree: distinct */
	EXPECT_NE(a, add(t, "/m", true, W, GRANT_ONCE));     /* scope: distinct */
	EXPECT_EQ(3u, grant_count(t));
	EXPECT_TRUE(grant_check(t, "/m/q", R | W, NULL));
	/* Merging needs no room: works at the cap. */
	add(t, "/n", false, R, GRANT_SESSION);
	EXPECT_EQ(a, add(t, "/m", true, X, GRANT_SESSION));
	EXPECT_EQ(4u, grant_count(t));
	grant_table_free(t);
}

TEST(cap)
{
	struct grant_table *t = new_table(GRANT_TABLE_DEFAULT_CAP);
	char p[64];
	for (int i = 0; i < GRANT_TABLE_DEFAULT_CAP; i++) {
		snprintf(p, sizeof(p), "/cap/%d", i);
		ASSERT_EQ(0, grant_add(t, p, false, R, GRANT_ONCE, 0, "t", NULL));
	}
	EXPECT_EQ(-ENOSPC, grant_add(t, "/cap/new", false, R, GRANT_ONCE, 0, "t", NULL));
	EXPECT_EQ((size_t)GRANT_TABLE_DEFAULT_CAP, grant_count(t));
	EXPECT_TRUE(grant_check(t, "/cap/77", R, NULL)); /* consumed: room for one */
	EXPECT_EQ(0, grant_add(t, "/cap/new", false, R, GRANT_ONCE, 0, "t", NULL));
	EXPECT_EQ(-ENOSPC, grant_add(t, "/cap/new2", false, R, GRANT_ONCE, 0, "t", NULL));
	grant_table_free(t);
}

static uint64_t elapsed_ns(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (uint64_t)(b.tv_sec - a->tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec -
	       (uint64_t)a->tv_nsec;
}

/* Checks stay cheap at the cap: a full table of subtree grants, deep request paths. */
TEST(check_cost_at_cap)
{
	struct grant_table *t = new_table(GRANT_TABLE_DEFAULT_CAP);
	char p[256];
	for (int i = 0; i < GRANT_TABLE_DEFAULT_CAP; i++) {
		snprintf(p, sizeof(p), "/home/user/projects/p%d", i);
		ASSERT_EQ(0, grant_add(t, p, true, R, GRANT_SESSION, 0, "t", NULL));
	}
	enum { N = 200000 };
	struct timespec a;
	unsigned hits = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "/home/user/projects/p%d/src/lib/deep/file%d.c",
			 (i * 7919) % (2 * GRANT_TABLE_DEFAULT_CAP), i);
		hits += grant_check(t, p, R, NULL);
	}
	uint64_t ns = elapsed_ns(&a);
	EXPECT_EQ((unsigned)N / 2, hits);
	printf("# grant_check with %d grants: %.0f ns per check (8-component paths, incl. "
	       "snprintf)\n", GRANT_TABLE_DEFAULT_CAP, (double)ns / N);
	/* Generous bound (sanitizers, loaded CI): a linear scan would be far above it. */
	EXPECT_LE(ns / N, 20000u);
	grant_table_free(t);
}

struct race {
	struct grant_table *t;
	int *ready; /* spin start: threads leave within nanoseconds of each other */
	int threads;
	unsigned wins;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	__atomic_add_fetch(r->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(r->ready, __ATOMIC_SEQ_CST) < r->threads)
		sched_yield();
	for (int i = 0; i < 100; i++)
		if (grant_check(r->t, "/race/file", W, NULL))
			r->wins++;
	return NULL;
}

TEST(concurrent_once_consumed_exactly_once)
{
	enum { THREADS = 8, ROUNDS = 1000 };
	struct grant_table *t = new_table(16);
	for (int round = 0; round < ROUNDS; round++) {
		add(t, "/race", true, W, GRANT_ONCE);
		int ready = 0;
		pthread_t th[THREADS];
		struct race r[THREADS];
		for (int i = 0; i < THREADS; i++) {
			r[i] = (struct race){ .t = t, .ready = &ready, .threads = THREADS };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, race_thread, &r[i]));
		}
		unsigned wins = 0;
		for (int i = 0; i < THREADS; i++) {
			pthread_join(th[i], NULL);
			wins += r[i].wins;
		}
		if (wins != 1)
			FAIL("round %d: the once grant was used %u times", round, wins);
		ASSERT_EQ(0u, grant_count(t));
	}
	grant_table_free(t);
}

TEST(list_snapshot)
{
	struct grant_table *t = new_table(16);
	struct grant_info *v = (void *)1;
	size_t n = 99;
	ASSERT_EQ(0, grant_list(t, &v, &n));
	EXPECT_EQ(0u, n);
	free(v);
	uint64_t ids[5];
	const char *paths[] = { "/l/a", "/l/b", "/l/c", "/l/d", "/l/e" };
	for (int i = 0; i < 5; i++)
		ids[i] = add(t, paths[i], i % 2, R, i % 2 ? GRANT_SESSION : GRANT_ONCE);
	EXPECT_EQ(0, grant_revoke(t, ids[1]));
	ASSERT_EQ(0, grant_list(t, &v, &n));
	ASSERT_EQ(4u, n);
	const int want[] = { 0, 2, 3, 4 };
	for (size_t i = 0; i < n; i++) {
		EXPECT_EQ(ids[want[i]], v[i].id); /* ordered by id */
		EXPECT_STREQ(paths[want[i]], v[i].path);
		EXPECT_EQ(want[i] % 2, v[i].subtree);
	}
	free(v);
	grant_table_free(t);
}

HARNESS_MAIN
