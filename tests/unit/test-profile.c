/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profiles: parsing, layering, and precise errors (file, line, column) for bad input. */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"
#include "policy.h"
#include "profile.h"
#include "util.h"

static char tmpdir[256];

static void setup_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/airlock-unit-XXXXXX", test_tmpdir());
	if (!mkdtemp(tmpdir))
		FAIL("mkdtemp: %m");
	/* User profiles are looked up here; keep the real user's out of the tests. */
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	setenv("HOME", tmpdir, 1);
}

static const char *write_profile(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ((ssize_t)strlen(text), write(fd, text, strlen(text)));
	close(fd);
	return path;
}

static struct airlock_policy *new_policy(void)
{
	struct airlock_policy *p = calloc(1, sizeof(*p));
	ASSERT_TRUE(p);
	p->network = p->unix_sockets = p->path_metadata = UNSET;
	return p;
}

static void free_policy(struct airlock_policy *p)
{
	policy_done(p);
	free(p);
}

TEST(builtin_profiles_load)
{
	setup_dir();
	for (const struct builtin_profile *b = builtin_profiles; b->name; b++) {
		struct airlock_policy *p = new_policy();
		struct airlock_diag d;
		int r = profile_load(p, b->name, &d);
		if (r < 0)
			FAIL("%s: %s:%u:%u: %s", b->name, d.file, d.line, d.column, d.message);
		ASSERT_GT(p->n_rules, 0);
		free_policy(p);
	}
}

TEST(strict_extends_default_and_wins)
{
	setup_dir();
	struct airlock_policy *p = new_policy();
	struct airlock_diag d;
	ASSERT_EQ(0, profile_load(p, "strict", &d));
	ASSERT_EQ(OFF, p->network);
	/* The parent's rules come first, in a lower layer. */
	ASSERT_GE(p->n_layers, 2);
	unsigned last_layer = p->rules[p->n_rules - 1].layer;
	ASSERT_GT(last_layer, p->rules[0].layer);
	free_policy(p);
}

struct bad_case {
	const char *text;
	unsigned line, column;
	const char *message;
};

/* Each malformed profile: the error names the place and the problem, and nothing is loaded. */
static const struct bad_case bad_cases[] = {
	{ "{\n  \"filesystem\": [\n    { \"path\": \"/usr\", \"alow\": \"r\" }\n  ]\n}\n", 3, 31, "unknown key \"alow\"" },
	{ "{\n  \"network\": \"maybe\"\n}\n", 2, 14, "\"network\" must be \"on\" or \"off\"" },
	{ "{\n  \"filesystem\": [ { \"path\": \"relative/x\", \"allow\": \"r\" } ]\n}\n", 2, 29, "must be absolute" },
	{ "{\n  \"filesystem\": [ { \"path\": \"$NOPE/x\", \"allow\": \"r\" } ]\n}\n", 2, 29, "unknown variable" },
	{ "{\n  \"filesystem\": [ { \"path\": \"/x\", \"allow\": \"rwz\" } ]\n}\n", 2, 44, "access letters" },
	{ "{\n  \"filesystem\": [ { \"path\": \"/x\", \"allow\": \"r\", \"deny\": \"w\" } ]\n}\n", 2, 19, "exactly one of" },
	{ "{\n  \"filesystem\": [ { \"allow\": \"r\" } ]\n}\n", 2, 19, "has no \"path\"" },
	{ "{\n  \"filesystem\": { \"path\": \"/x\" }\n}\n", 2, 17, "must be an array" },
	{ "{\n  \"network\": \"on\",\n  \"network\": \"off\"\n}\n", 3, 11, "duplicate" },
	{ "{\n  \"filesystem\": [\n    { \"path\": \"/x\", \"allow\": \"r\" },\n  ]\n}\n", 4, 3, "" },
	{ "[]\n", 1, 1, "must be a JSON object" },
	{ "{\n  \"extends\": \"no-such-profile\"\n}\n", 2, 14, "no profile named 'no-such-profile'" },
	{ "{\n  \"environment\": { \"set\": { \"A\": 1 } }\n}\n", 2, 34, "must be a string" },
	{ "{\n  \"filesystem\": [ { \"path\": \"/a/../b\", \"allow\": \"r\" } ]\n}\n", 0, 0, "" },
	{ "{\n  \"filesystem\": [ { \"path\": \"/a\\u0000b\", \"allow\": \"r\" } ]\n}\n", 2, 0, "u0000" },
	{ "{ \"description\": \"\xff\xfe\" }\n", 1, 0, "decode byte 0xff" },
};

TEST(bad_profiles_are_rejected_with_location)
{
	setup_dir();
	for (size_t i = 0; i < ELEMENTSOF(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		const char *path = write_profile("bad.json", c->text);
		struct airlock_policy *p = new_policy();
		struct airlock_diag d;
		int r = profile_load(p, path, &d);
		if (i == 13) {
			/* ".." is refused when the policy compiles, not when it parses. */
			ASSERT_EQ(0, r);
			free_policy(p);
			continue;
		}
		if (r >= 0)
			FAIL("case %zu: accepted:\n%s", i, c->text);
		EXPECT_EQ(0, p->n_rules);
		EXPECT_STREQ(path, d.file);
		if (c->line && d.line != c->line)
			TH_FAIL_(0, "case %zu: line %u, expected %u (%s)", i, d.line, c->line, d.message);
		if (c->column && d.column != c->column)
			TH_FAIL_(0, "case %zu: column %u, expected %u (%s)", i, d.column, c->column, d.message);
		if (!strstr(d.message, c->message))
			TH_FAIL_(0, "case %zu: message \"%s\" lacks \"%s\"", i, d.message, c->message);
		free_policy(p);
	}
}

TEST(extends_cycle_is_an_error)
{
	setup_dir();
	write_profile("a.json", "{ \"extends\": \"b.json\" }\n");
	const char *b = write_profile("b.json", "{ \"extends\": \"a.json\" }\n");
	struct airlock_policy *p = new_policy();
	struct airlock_diag d;
	ASSERT_EQ(-ELOOP, profile_load(p, b, &d));
	ASSERT_CONTAINS(d.message, "cycle");
	ASSERT_EQ(0, p->n_rules);
	free_policy(p);
}

TEST(failed_load_leaves_policy_unchanged)
{
	setup_dir();
	struct airlock_policy *p = new_policy();
	struct airlock_diag d;
	ASSERT_EQ(0, profile_load(p, "default", &d));
	size_t before = p->n_rules;
	unsigned layers = p->n_layers;
	/* The first rule is fine, the second is not: neither may land. */
	const char *f = write_profile("half.json",
		"{ \"network\": \"off\", \"filesystem\": [ { \"path\": \"/\", \"allow\": \"rwx\" },"
		" { \"path\": \"/x\", \"allow\": \"q\" } ] }\n");
	ASSERT_GT(0, profile_load(p, f, &d));
	ASSERT_EQ(before, p->n_rules);
	ASSERT_EQ(layers, p->n_layers);
	ASSERT_EQ(ON, p->network);
	free_policy(p);
}

TEST(user_profile_shadows_builtin)
{
	setup_dir();
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/airlock", tmpdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/airlock/profiles", tmpdir);
	mkdir(dir, 0755);
	write_profile("airlock/profiles/strict.json", "{ \"description\": \"mine\", \"network\": \"on\" }\n");
	struct airlock_policy *p = new_policy();
	struct airlock_diag d;
	ASSERT_EQ(0, profile_load(p, "strict", &d));
	ASSERT_EQ(ON, p->network);
	ASSERT_EQ(0, p->n_rules);
	free_policy(p);
}

TEST(huge_and_odd_inputs)
{
	setup_dir();
	struct airlock_policy *p = new_policy();
	struct airlock_diag d;
	/* Larger than the cap: refused before parsing. */
	char path[512];
	snprintf(path, sizeof(path), "%s/huge.json", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, PROFILE_MAX_SIZE + 1));
	close(fd);
	ASSERT_EQ(-EFBIG, profile_load(p, path, &d));
	/* A directory, a missing file, a bad name. */
	ASSERT_GT(0, profile_load(p, tmpdir, &d));
	ASSERT_EQ(-ENOENT, profile_load(p, "/nonexistent/x.json", &d));
	ASSERT_EQ(-EINVAL, profile_load(p, "bad name!", &d));
	ASSERT_EQ(0, p->n_rules);
	free_policy(p);
}

TEST(list_has_builtins_and_user_profiles)
{
	setup_dir();
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/airlock", tmpdir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/airlock/profiles", tmpdir);
	mkdir(dir, 0755);
	write_profile("airlock/profiles/mine.json", "{ \"description\": \"my \\u001b[31mred\" }\n");
	char **list = NULL;
	ASSERT_EQ(0, profile_list(&list));
	bool def = false, mine = false;
	for (char **l = list; *l; l++) {
		def |= strncmp(*l, "default\tbuilt-in\t", 17) == 0;
		if (strncmp(*l, "mine\t", 5) == 0) {
			mine = true;
			/* Descriptions are escaped: no raw ESC reaches a terminal. */
			ASSERT_NOT_CONTAINS(*l, "\x1b");
			ASSERT_CONTAINS(*l, "\\e[31mred");
		}
	}
	ASSERT_TRUE(def);
	ASSERT_TRUE(mine);
	strv_free(list);
}

HARNESS_MAIN
