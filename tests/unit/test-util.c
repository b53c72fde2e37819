/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "harness.h"
#include "jsonloc.h"
#include "util.h"

TEST(path_normalize_table)
{
	static const struct {
		const char *in, *out;
		int r;
	} cases[] = {
		{ "/", "/", 0 }, { "//", "/", 0 }, { "/a//b/", "/a/b", 0 }, { "/a/./b/.", "/a/b", 0 },
		{ "/a/../b", NULL, -EINVAL }, { "a/b", NULL, -EINVAL }, { "", NULL, -EINVAL },
		{ "/..", NULL, -EINVAL }, { "/a/..b", "/a/..b", 0 }, { "/.a", "/.a", 0 },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *out = NULL;
		EXPECT_EQ(cases[i].r, path_normalize(cases[i].in, &out));
		if (cases[i].out)
			EXPECT_STREQ(cases[i].out, out);
		free(out);
	}
	char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	char *out = NULL;
	ASSERT_EQ(-ENAMETOOLONG, path_normalize(big, &out));
}

TEST(path_is_beneath_table)
{
	EXPECT_TRUE(path_is_beneath("/a/b", "/a"));
	EXPECT_TRUE(path_is_beneath("/a", "/a"));
	EXPECT_TRUE(path_is_beneath("/a", "/"));
	EXPECT_FALSE(path_is_beneath("/ab", "/a"));
	EXPECT_FALSE(path_is_beneath("/a", "/a/b"));
	EXPECT_EQ(0u, path_depth("/"));
	EXPECT_EQ(2u, path_depth("/a/b"));
}

TEST(escaping_neutralises_terminal_tricks)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain/path", "plain/path" },
		{ "a\x1b[31mb", "a\\e[31mb" },
		{ "cr\rlf\n", "cr\\rlf\\n" },
		{ "bidi\xe2\x80\xae" "txt", "bidi\\u202etxt" },  /* U+202E RIGHT-TO-LEFT OVERRIDE */
		{ "bad\xff\xfe", "bad\\xff\\xfe" },               /* not UTF-8 */
		{ "over\xc0\xaf", "over\\xc0\\xaf" },             /* overlong '/' */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },                  /* valid UTF-8 stays */
		{ "back\\slash", "back\\\\slash" },
		{ "c1\xc2\x9b", "c1\\u009b" },                     /* C1 CSI */
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct strbuf b = { 0 };
		sb_append_escaped(&b, cases[i].in);
		char *s = NULL;
		ASSERT_EQ(0, sb_take(&b, &s));
		EXPECT_STREQ(cases[i].out, s);
		free(s);
	}
}

TEST(jsonloc_finds_values)
{
	const char *t = "{\n  \"a\": [1, {\"b\": \"x\"}],\n  \"c\": {\"d\": true}\n}\n";
	struct jsonloc_step p1[] = { { "a", 0 }, { NULL, 1 }, { "b", 0 } };
	unsigned line, col;
	ASSERT_EQ(0, jsonloc_find(t, strlen(t), p1, 3, &line, &col));
	EXPECT_EQ(2u, line);
	EXPECT_EQ(18u, col);
	struct jsonloc_step p2[] = { { "c", 0 }, { "d", 0 } };
	ASSERT_EQ(0, jsonloc_find(t, strlen(t), p2, 2, &line, &col));
	EXPECT_EQ(3u, line);
	EXPECT_EQ(14u, col);
	/* A missing key locates its container. */
	struct jsonloc_step p3[] = { { "c", 0 }, { "zz", 0 } };
	ASSERT_EQ(0, jsonloc_find(t, strlen(t), p3, 2, &line, &col));
	EXPECT_EQ(3u, line);
	EXPECT_EQ(8u, col);
	ASSERT_EQ(-ENOENT, jsonloc_find("   ", 3, p3, 2, &line, &col));
}

TEST(duration_parse)
{
	uint64_t s;
	ASSERT_EQ(0, parse_duration("10m", &s));
	ASSERT_EQ(600u, s);
	ASSERT_EQ(0, parse_duration("2h", &s));
	ASSERT_EQ(7200u, s);
	ASSERT_EQ(-EINVAL, parse_duration("-1", &s));
	ASSERT_EQ(-EINVAL, parse_duration("5y", &s));
	ASSERT_EQ(-EINVAL, parse_duration("", &s));
}

HARNESS_MAIN
