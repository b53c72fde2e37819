/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "Always" answers: what always_save() writes, what it refuses, and that the rules it writes
 * ("exact") name the object they were given for in later runs, never what a symlink planted
 * since then points at.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "airlock/airlock.h"
#include "harness.h"
#include "policy.h"
#include "profile.h"
#include "ttyapprove.h"
#include "util.h"

static char root[256], file[600], home[400], target[600];

static void setup(void)
{
	snprintf(root, sizeof(root), "%s/airlock-always-XXXXXX", test_tmpdir());
	ASSERT_TRUE(mkdtemp(root));
	snprintf(home, sizeof(home), "%s/home", root);
	ASSERT_EQ(0, mkdir(home, 0755));
	snprintf(target, sizeof(target), "%s/foo", home);
	close(open(target, O_WRONLY | O_CREAT, 0644));
	snprintf(file, sizeof(file), "%s/config/airlock/always.json", root);
}

static void read_all(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

TEST(saves_an_existing_file_exactly)
{
	setup();
	char *rule = NULL, text[4096];
	struct stat st;
	ASSERT_EQ(0, always_save(file, target, AIRLOCK_ACCESS_READ, &rule));
	ASSERT_TRUE(rule && strstr(rule, "\"exact\": true"));
	free(rule);
	read_all(file, text, sizeof(text));
	ASSERT_TRUE(strstr(text, target) && strstr(text, "\"exact\": true") && strstr(text, "\"allow\": \"r\""));
	ASSERT_EQ(0, stat(file, &st));
	ASSERT_EQ(0600, st.st_mode & 0777);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/config/airlock", root);
	ASSERT_EQ(0, stat(dir, &st));
	ASSERT_EQ(0700, st.st_mode & 0777);
	/* A second answer adds to the file. */
	ASSERT_EQ(0, always_save(file, home, AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE, NULL));
	read_all(file, text, sizeof(text));
	ASSERT_TRUE(strstr(text, "\"allow\": \"rw\"") != NULL);
}

TEST(refuses_what_it_cannot_name_exactly)
{
	setup();
	char p[600], link[600];
	snprintf(p, sizeof(p), "%s/missing", home);
	ASSERT_EQ(-EINVAL, always_save(file, p, AIRLOCK_ACCESS_READ, NULL)); /* not there yet */
	snprintf(link, sizeof(link), "%s/link", home);
	ASSERT_EQ(0, symlink(target, link));
	ASSERT_EQ(-EINVAL, always_save(file, link, AIRLOCK_ACCESS_READ, NULL)); /* a symlink */
	snprintf(p, sizeof(p), "%s/link/../foo", home);
	ASSERT_EQ(-EINVAL, always_save(file, p, AIRLOCK_ACCESS_READ, NULL));
	const char *names[] = { "esc\033]0;x\007", "dollar$HOME", "star*", "bidi\xe2\x80\xae", "c1\xc2\x9b" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", home, names[i]);
		close(open(p, O_WRONLY | O_CREAT, 0644));
		ASSERT_EQ(-EINVAL, always_save(file, p, AIRLOCK_ACCESS_READ, NULL));
	}
	ASSERT_EQ(-EINVAL, always_save(file, target, 0, NULL));
	ASSERT_EQ(-1, access(file, F_OK)); /* nothing was written */
	/* A file the user broke is left alone. */
	ASSERT_EQ(0, always_save(file, target, AIRLOCK_ACCESS_READ, NULL));
	int fd = open(file, O_WRONLY | O_TRUNC);
	ASSERT_EQ(9, write(fd, "not json\n", 9));
	close(fd);
	ASSERT_EQ(-EBADMSG, always_save(file, target, AIRLOCK_ACCESS_READ, NULL));
	char text[64];
	read_all(file, text, sizeof(text));
	ASSERT_STREQ("not json\n", text);
}

static uint32_t allowed(const char *profile_file, const char *path, char **notices)
{
	struct airlock_policy p = { 0 };
	struct airlock_diag d;
	struct policy_vars vars = { .home = home, .cwd = root, .tmpdir = "/tmp" };
	struct compiled_policy *c = NULL;
	ASSERT_EQ(0, profile_load(&p, profile_file, &d));
	ASSERT_EQ(0, policy_compile(&p, &vars, &c));
	uint32_t a = 0;
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
		uint32_t effect;
		if (policy_decide(c, path, bit, &effect) && effect == AIRLOCK_EFFECT_ALLOW)
			a |= bit;
	}
	*notices = c->notices && c->notices[0] ? strdup(c->notices[0]) : NULL;
	compiled_policy_free(c);
	policy_done(&p);
	return a;
}

TEST(exact_rules_hold_only_for_their_object)
{
	setup();
	char *notice = NULL, bashrc[600];
	snprintf(bashrc, sizeof(bashrc), "%s/.bashrc", home);
	close(open(bashrc, O_WRONLY | O_CREAT, 0644));
	ASSERT_EQ(0, always_save(file, target, AIRLOCK_ACCESS_WRITE, NULL));
	ASSERT_EQ(AIRLOCK_ACCESS_WRITE, allowed(file, target, &notice));
	ASSERT_TRUE(notice == NULL);
	/* The sandbox had write access to foo: it puts a symlink to $HOME in its place. */
	ASSERT_EQ(0, unlink(target));
	ASSERT_EQ(0, symlink(home, target));
	ASSERT_EQ(0u, allowed(file, bashrc, &notice));
	ASSERT_EQ(0u, allowed(file, home, &notice));
	ASSERT_TRUE(notice && strstr(notice, "no longer what was allowed"));
	free(notice);
	/* And a profile may not use variables or patterns in an exact rule. */
	char prof[600];
	snprintf(prof, sizeof(prof), "%s/p.json", root);
	int fd = open(prof, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	const char *bad = "{\"filesystem\": [{\"path\": \"$HOME/x\", \"allow\": \"r\", \"exact\": true}]}";
	ASSERT_EQ((ssize_t)strlen(bad), write(fd, bad, strlen(bad)));
	close(fd);
	struct airlock_policy p = { 0 };
	struct airlock_diag d;
	ASSERT_EQ(-EINVAL, profile_load(&p, prof, &d));
	ASSERT_TRUE(strstr(d.message, "exact") != NULL);
	policy_done(&p);
}

HARNESS_MAIN
