/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rule resolution and floor compilation (carving), on real directory trees. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "policy.h"
#include "util.h"

#define R AIRLOCK_ACCESS_READ
#define W AIRLOCK_ACCESS_WRITE
#define X AIRLOCK_ACCESS_EXEC

static char root[256];

static void mk(const char *rel, bool dir)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (dir)
		ASSERT_EQ(0, mkdir(p, 0755));
	else
		close(open(p, O_WRONLY | O_CREAT, 0644));
}

/* root/home/{.ssh/id_rsa, docs/d, proj/{.env, src/main.c}, link -> .ssh} */
static void tree(void)
{
	snprintf(root, sizeof(root), "%s/airlock-policy-XXXXXX", test_tmpdir());
	ASSERT_TRUE(mkdtemp(root));
	mk("home", true);
	mk("home/.ssh", true);
	mk("home/.ssh/id_rsa", false);
	mk("home/docs", true);
	mk("home/docs/d", false);
	mk("home/proj", true);
	mk("home/proj/.env", false);
	mk("home/proj/src", true);
	mk("home/proj/src/main.c", false);
	char l[512], t[512];
	snprintf(l, sizeof(l), "%s/home/link", root);
	snprintf(t, sizeof(t), "%s/home/.ssh", root);
	ASSERT_EQ(0, symlink(t, l));
}

struct rule_spec {
	const char *path; /* relative to root, or absolute */
	uint32_t access, effect;
	unsigned layer;
};

static struct compiled_policy *compile(const struct rule_spec *rules, size_t n)
{
	struct airlock_policy p = { .network = UNSET, .unix_sockets = UNSET, .path_metadata = UNSET };
	for (size_t i = 0; i < n; i++) {
		char path[512];
		if (rules[i].path[0] == '/' || rules[i].path[0] == '$')
			snprintf(path, sizeof(path), "%s", rules[i].path);
		else
			snprintf(path, sizeof(path), "%s/%s", root, rules[i].path);
		struct raw_rule r = { .path = path, .access = rules[i].access, .effect = rules[i].effect,
				      .origin = (char *)"test", .layer = rules[i].layer };
		ASSERT_EQ(0, policy_append_rule(&p, &r));
		if (rules[i].layer >= p.n_layers)
			p.n_layers = rules[i].layer + 1;
	}
	struct policy_vars v = { .home = "/nonexistent-home", .cwd = root, .tmpdir = "/tmp" };
	struct compiled_policy *c = NULL;
	int r = policy_compile(&p, &v, &c);
	if (r < 0)
		FAIL("compile: %s", p.errmsg);
	policy_done(&p);
	return c;
}

static const char *at(const char *rel)
{
	static char buf[4][512];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, 512, "%s/%s", root, rel);
	return b;
}

static uint32_t decide(const struct compiled_policy *c, const char *rel, uint32_t bit)
{
	uint32_t e = 99;
	if (!policy_decide(c, at(rel), bit, &e))
		return 99;
	return e;
}

TEST(most_specific_rule_wins)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home", R | W, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/.ssh", R | W | X, AIRLOCK_EFFECT_DENY, 0 },
		{ "home/.ssh/id_rsa", R, AIRLOCK_EFFECT_ALLOW, 0 },
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_EQ(AIRLOCK_EFFECT_ALLOW, decide(c, "home/docs/d", R));
	ASSERT_EQ(AIRLOCK_EFFECT_DENY, decide(c, "home/.ssh/config", R));
	ASSERT_EQ(AIRLOCK_EFFECT_ALLOW, decide(c, "home/.ssh/id_rsa", R));
	ASSERT_EQ(AIRLOCK_EFFECT_DENY, decide(c, "home/.ssh/id_rsa", W));
	ASSERT_EQ(99, decide(c, "home/docs/d", X)); /* nothing grants exec */
	/* Through a symlink the object decides: home/link resolves to home/.ssh. */
	char *canon = NULL;
	ASSERT_EQ(0, policy_canonicalize(at("home/link/id_rsa"), &canon));
	ASSERT_STREQ(at("home/.ssh/id_rsa"), canon);
	free(canon);
	compiled_policy_free(c);
}

TEST(same_path_later_layer_wins_same_layer_deny_wins)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home/docs", R, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/docs", R, AIRLOCK_EFFECT_DENY, 0 },  /* same layer: deny beats allow */
		{ "home/proj", R, AIRLOCK_EFFECT_DENY, 0 },
		{ "home/proj", R, AIRLOCK_EFFECT_ALLOW, 1 }, /* later layer overrides */
		{ "home/.ssh", R, AIRLOCK_EFFECT_ASK, 0 },
		{ "home/.ssh", W, AIRLOCK_EFFECT_ASK, 0 },
		{ "home/.ssh", W, AIRLOCK_EFFECT_ALLOW, 0 }, /* same layer: allow beats ask */
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_EQ(AIRLOCK_EFFECT_DENY, decide(c, "home/docs/d", R));
	ASSERT_EQ(AIRLOCK_EFFECT_ALLOW, decide(c, "home/proj/.env", R));
	ASSERT_EQ(AIRLOCK_EFFECT_ASK, decide(c, "home/.ssh/id_rsa", R));
	ASSERT_EQ(AIRLOCK_EFFECT_ALLOW, decide(c, "home/.ssh/id_rsa", W));
	ASSERT_TRUE(c->has_ask);
	compiled_policy_free(c);
}

/* The carve: allow home, deny home/.ssh. The floor must never grant anything on .ssh or on an
 * ancestor of it that reaches it, and must grant every other entry. */
TEST(floor_carve_deny_inside_allow)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home", R | W, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/.ssh", R | W | X, AIRLOCK_EFFECT_DENY, 0 },
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_FALSE(floor_grants(c, at("home/.ssh/id_rsa"), R));
	ASSERT_FALSE(floor_grants(c, at("home/.ssh/id_rsa"), W));
	ASSERT_FALSE(floor_grants(c, at("home/.ssh"), W));
	ASSERT_TRUE(floor_grants(c, at("home/docs/d"), R));
	ASSERT_TRUE(floor_grants(c, at("home/docs/d"), W));
	ASSERT_TRUE(floor_grants(c, at("home/proj/src/main.c"), W));
	/* New entries directly in home are not granted (the cost of carving). */
	ASSERT_FALSE(floor_grants(c, at("home/newfile"), R));
	/* home itself is listable, and carved. */
	bool listed = false;
	for (size_t i = 0; i < c->n_floor; i++) {
		if (strcmp(c->floor[i].path, at("home")) == 0) {
			listed = c->floor[i].list_only;
			ASSERT_EQ(0, c->floor[i].access & (R | W));
		}
		/* No floor rule at or above the denied directory grants r or w. */
		if (path_is_beneath(at("home/.ssh"), c->floor[i].path))
			ASSERT_EQ(0, c->floor[i].access & (R | W));
	}
	ASSERT_TRUE(listed);
	ASSERT_TRUE(strv_contains(c->carved, at("home")));
	/* The symlink is not granted as an entry: its target is decided on its own path. */
	for (size_t i = 0; i < c->n_floor; i++)
		ASSERT_STRNE(at("home/link"), c->floor[i].path);
	compiled_policy_free(c);
}

TEST(floor_carve_nested_and_partial_bits)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home", R | W | X, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/proj/.env", R | W, AIRLOCK_EFFECT_DENY, 0 },     /* two levels down */
		{ "home/docs", W, AIRLOCK_EFFECT_DENY, 0 },             /* only write withheld */
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_FALSE(floor_grants(c, at("home/proj/.env"), R));
	ASSERT_TRUE(floor_grants(c, at("home/proj/src/main.c"), R));
	ASSERT_TRUE(floor_grants(c, at("home/proj/src/main.c"), W));
	ASSERT_TRUE(floor_grants(c, at("home/docs/d"), R));
	ASSERT_FALSE(floor_grants(c, at("home/docs/d"), W));
	/* Exec is withheld nowhere: home keeps it as a whole, for new files too. */
	ASSERT_TRUE(floor_grants(c, at("home/newfile"), X));
	ASSERT_TRUE(floor_grants(c, at("home/proj/.env"), X));
	/* Read is withheld on the way to .env: new files in home and home/proj are not
	 * readable, while a sibling subtree is granted whole, new files included. */
	ASSERT_FALSE(floor_grants(c, at("home/proj/newfile"), R));
	ASSERT_FALSE(floor_grants(c, at("home/newfile2"), R));
	ASSERT_TRUE(floor_grants(c, at("home/docs/newfile"), R));
	ASSERT_TRUE(strv_contains(c->carved, at("home/proj")));
	compiled_policy_free(c);
}

TEST(floor_allow_beneath_deny)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home/.ssh", R | W | X, AIRLOCK_EFFECT_DENY, 0 },
		{ "home/.ssh/id_rsa", R, AIRLOCK_EFFECT_ALLOW, 0 },
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_TRUE(floor_grants(c, at("home/.ssh/id_rsa"), R));
	ASSERT_FALSE(floor_grants(c, at("home/.ssh/id_rsa"), W));
	ASSERT_FALSE(floor_grants(c, at("home/.ssh/other"), R));
	compiled_policy_free(c);
}

TEST(no_carve_when_deny_is_elsewhere)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home/proj", R | W, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/.ssh", R | W | X, AIRLOCK_EFFECT_DENY, 0 },
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_EQ(1, c->n_floor);
	ASSERT_STREQ(at("home/proj"), c->floor[0].path);
	ASSERT_FALSE(c->carved);
	ASSERT_TRUE(floor_grants(c, at("home/proj/new"), W));
	compiled_policy_free(c);
}

TEST(variables_and_errors)
{
	tree();
	struct policy_vars v = { .home = "/h", .cwd = "/c", .tmpdir = "/t", .xdg_config = "/h/.config" };
	char *out = NULL, *err = NULL;
	ASSERT_EQ(0, policy_expand("$HOME/x/${CWD}/$TMPDIR", &v, &out, &err));
	ASSERT_STREQ("/h/x//c//t", out);
	free(out);
	ASSERT_EQ(0, policy_expand("~/a", &v, &out, &err));
	ASSERT_STREQ("/h/a", out);
	free(out);
	ASSERT_EQ(-ENXIO, policy_expand("$XDG_RUNTIME_DIR/bus", &v, &out, &err));
	free(err);
	ASSERT_EQ(-EINVAL, policy_expand("$NOPE", &v, &out, &err));
	free(err);
	size_t bad;
	ASSERT_EQ(-EINVAL, policy_check_vars("/a/$HOMEX", &bad));
	ASSERT_EQ(3u, bad);
	ASSERT_EQ(0, policy_check_vars("/a/${HOME}/b", &bad));

	/* Relative after expansion, and "..", are refused with the rule's origin. */
	struct airlock_policy p = { .network = UNSET };
	struct raw_rule r = { .path = (char *)"/a/../b", .access = R, .origin = (char *)"here:1:2" };
	ASSERT_EQ(0, policy_append_rule(&p, &r));
	struct compiled_policy *c = NULL;
	ASSERT_EQ(-EINVAL, policy_compile(&p, &v, &c));
	ASSERT_CONTAINS(p.errmsg, "here:1:2");
	ASSERT_CONTAINS(p.errmsg, "..");
	policy_done(&p);

	/* A required path that does not exist. */
	struct airlock_policy q = { .network = UNSET };
	struct raw_rule r2 = { .path = (char *)"/nonexistent/airlock", .access = R, .origin = (char *)"--read",
			       .required = true };
	ASSERT_EQ(0, policy_append_rule(&q, &r2));
	ASSERT_EQ(-ENOENT, policy_compile(&q, &v, &c));
	ASSERT_CONTAINS(q.errmsg, "--read");
	policy_done(&q);
}

TEST(globs_expand_to_existing_entries)
{
	tree();
	const struct rule_spec rules[] = {
		{ "home", R, AIRLOCK_EFFECT_ALLOW, 0 },
		{ "home/proj/.e*", R, AIRLOCK_EFFECT_DENY, 0 },
	};
	struct compiled_policy *c = compile(rules, ELEMENTSOF(rules));
	ASSERT_EQ(AIRLOCK_EFFECT_DENY, decide(c, "home/proj/.env", R));
	ASSERT_FALSE(floor_grants(c, at("home/proj/.env"), R));
	ASSERT_TRUE(floor_grants(c, at("home/proj/src/main.c"), R));
	compiled_policy_free(c);
}

TEST(access_parse_table)
{
	static const struct {
		const char *s;
		int r;
		uint32_t a;
	} cases[] = {
		{ "r", 0, R }, { "rw", 0, R | W }, { "rx", 0, R | X }, { "rwx", 0, R | W | X },
		{ "xr", 0, R | X }, { "read", 0, R }, { "write", 0, W }, { "exec", 0, X },
		{ "", -EINVAL, 0 }, { "rr", -EINVAL, 0 }, { "q", -EINVAL, 0 }, { "RW", -EINVAL, 0 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint32_t a = 0;
		EXPECT_EQ(cases[i].r, access_parse(cases[i].s, &a));
		if (cases[i].r == 0)
			EXPECT_EQ(cases[i].a, a);
	}
}

HARNESS_MAIN
