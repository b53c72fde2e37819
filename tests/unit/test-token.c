/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capability tokens: text form, MAC, session binding, expiry, uses, revocation, access, cap,
 * redaction, strict parsing and concurrent redemption. */
#include <pthread.h>
#include <sodium.h>
#include <sys/sysmacros.h>

#include "airlock/airlock.h"
#include "harness.h"
#include "token.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define R AIRLOCK_ACCESS_READ
#define W AIRLOCK_ACCESS_WRITE
#define X AIRLOCK_ACCESS_EXEC

/* Offsets in the text form: "alk1_" id(16) "_" mac(43). */
#define ID_AT 5
#define MAC_AT 22
#define MAC_CHARS 43

static const uint8_t session_a[TOKEN_SESSION_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8,
							  9, 10, 11, 12, 13, 14, 15, 16 };
static const uint8_t session_b[TOKEN_SESSION_ID_LEN] = { 0xa0, 0xa1, 0xa2 };

static struct token_table *new_table(const uint8_t *sid, size_t cap)
{
	struct token_table *t = NULL;
	ASSERT_EQ(0, token_table_new(sid, cap, &t));
	ASSERT_TRUE(t);
	return t;
}

static uint64_t mint(struct token_table *t, const char *path, uint32_t access, uint64_t ttl_ns,
		     uint32_t uses, char text[TOKEN_TEXT_LEN + 1])
{
	uint64_t id = 0;
	int r = token_mint(t, path, makedev(8, 1), 4242, access, ttl_ns, uses, text, &id);
	if (r < 0)
		FAIL("token_mint(%s): %d", path, r);
	return id;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint32_t uses_of(struct token_table *t, uint64_t id)
{
	struct token_info *v = NULL;
	size_t n = 0;
	ASSERT_EQ(0, token_list(t, &v, &n));
	uint32_t uses = UINT32_MAX;
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			uses = v[i].uses;
	free(v);
	return uses;
}

TEST(table_new_arguments)
{
	struct token_table *t = NULL;
	EXPECT_EQ(-EINVAL, token_table_new(NULL, 8, &t));
	EXPECT_EQ(-EINVAL, token_table_new(session_a, 0, &t));
	EXPECT_EQ(-EINVAL, token_table_new(session_a, 8, NULL));
	EXPECT_TRUE(t == NULL);
	EXPECT_TRUE(token_table_free(NULL) == NULL);
}

TEST(round_trip)
{
	struct token_table *t = new_table(session_a, 16);
	char text[TOKEN_TEXT_LEN + 1];
	uint64_t id = 0;
	dev_t dev = makedev(259, 7);
	ino_t ino = (ino_t)0xfedcba9876543210ull;
	ASSERT_EQ(0, token_mint(t, "/home/u/data.csv", dev, ino, R | W, 0, 0, text, &id));
	ASSERT_NE(0, id);
	ASSERT_EQ(TOKEN_TEXT_LEN, strlen(text));
	ASSERT_EQ(0, strncmp(text, "alk1_", 5));
	ASSERT_EQ('_', text[MAC_AT - 1]);
	char idhex[17];
	snprintf(idhex, sizeof(idhex), "%016" PRIx64, id);
	ASSERT_EQ(0, memcmp(text + ID_AT, idhex, 16));
	for (size_t i = MAC_AT; i < TOKEN_TEXT_LEN; i++) {
		char c = text[i];
		ASSERT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_');
	}
	uint64_t parsed = 0;
	ASSERT_EQ(0, token_parse_id(text, &parsed));
	ASSERT_EQ(id, parsed);

	struct token_info info;
	ASSERT_EQ(0, token_redeem(t, text, 0, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_STREQ("/home/u/data.csv", info.path);
	EXPECT_TRUE(info.dev == dev);
	EXPECT_TRUE(info.ino == ino);
	EXPECT_EQ(R | W, info.access);
	EXPECT_EQ(0, info.expires_ns);
	EXPECT_EQ(0, info.uses_max);
	EXPECT_EQ(1, info.uses);
	/* unlimited: redeems again */
	ASSERT_EQ(0, token_redeem(t, text, R, &info));
	EXPECT_EQ(2, info.uses);
	EXPECT_EQ(R, info.access);
	/* NULL info is allowed */
	ASSERT_EQ(0, token_redeem(t, text, 0, NULL));

	/* two mints of the same object: distinct ids and texts */
	char text2[TOKEN_TEXT_LEN + 1];
	uint64_t id2 = mint(t, "/home/u/data.csv", R | W, 0, 0, text2);
	EXPECT_NE(id, id2);
	ASSERT_STRNE(text, text2);
	token_table_free(t);
}

TEST(long_path_round_trip)
{
	struct token_table *t = new_table(session_a, 4);
	char path[TOKEN_PATH_MAX + 1];
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[TOKEN_PATH_MAX - 1] = '\0'; /* 4095 chars: the longest accepted */
	char text[TOKEN_TEXT_LEN + 1];
	mint(t, path, R, 0, 0, text);
	struct token_info info;
	ASSERT_EQ(0, token_redeem(t, text, R, &info));
	ASSERT_STREQ(path, info.path);
	path[TOKEN_PATH_MAX - 1] = 'p';
	path[TOKEN_PATH_MAX] = '\0'; /* 4096 */
	EXPECT_EQ(-ENAMETOOLONG, token_mint(t, path, 1, 1, R, 0, 0, text, NULL));
	token_table_free(t);
}

TEST(mint_validation)
{
	struct token_table *t = new_table(session_a, 4);
	char text[TOKEN_TEXT_LEN + 1] = "untouched";
	uint64_t id = 77;
	static const char *const bad_paths[] = {
		"", "relative", "./x", "/a//b", "/a/./b", "/a/../b", "/a/", "/a/.",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad_paths); i++)
		EXPECT_EQ(-EINVAL, token_mint(t, bad_paths[i], 1, 1, R, 0, 0, text, &id));
	EXPECT_EQ(-EINVAL, token_mint(t, NULL, 1, 1, R, 0, 0, text, &id));
	EXPECT_EQ(-EINVAL, token_mint(t, "/a", 1, 1, 0, 0, 0, text, &id));
	EXPECT_EQ(-EINVAL, token_mint(t, "/a", 1, 1, 8, 0, 0, text, &id));
	EXPECT_EQ(-EINVAL, token_mint(t, "/a", 1, 1, R | 0x100, 0, 0, text, &id));
	EXPECT_EQ(-EINVAL, token_mint(t, "/a", 1, 1, R, 0, 0, NULL, &id));
	EXPECT_EQ(-EINVAL, token_mint(NULL, "/a", 1, 1, R, 0, 0, text, &id));
	/* failures leave the outputs alone */
	EXPECT_STREQ("untouched", text);
	EXPECT_EQ(77, id);
	/* "/" and every access combination are fine; ret_id may be NULL */
	EXPECT_EQ(0, token_mint(t, "/", 1, 1, R | W | X, 0, 0, text, NULL));
	EXPECT_EQ(0, token_parse_id(text, NULL));
	token_table_free(t);
}

/* Replace the MAC part of text with the base64url of mac. */
static void set_mac(char *text, const uint8_t mac[32])
{
	char b64[MAC_CHARS + 1];
	sodium_bin2base64(b64, sizeof(b64), mac, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	memcpy(text + MAC_AT, b64, MAC_CHARS);
}

TEST(forged_mac)
{
	ASSERT_GE(sodium_init(), 0);
	struct token_table *t = new_table(session_a, 16);
	char text[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1], forged[TOKEN_TEXT_LEN + 1];
	uint64_t id = mint(t, "/srv/a", R, 0, 0, text);
	mint(t, "/srv/b", R, 0, 0, other);

	/* random MACs, syntactically perfect */
	for (int i = 0; i < 256; i++) {
		uint8_t mac[32];
		randombytes_buf(mac, sizeof(mac));
		memcpy(forged, text, sizeof(forged));
		set_mac(forged, mac);
		ASSERT_EQ(0, token_parse_id(forged, NULL));
		ASSERT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));
	}
	/* all-zero and all-ones MACs */
	uint8_t fixed[32];
	memset(fixed, 0, sizeof(fixed));
	memcpy(forged, text, sizeof(forged));
	set_mac(forged, fixed);
	EXPECT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));
	memset(fixed, 0xff, sizeof(fixed));
	set_mac(forged, fixed);
	EXPECT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));
	/* a genuine MAC of another token under this id, and vice versa */
	memcpy(forged, text, sizeof(forged));
	memcpy(forged + MAC_AT, other + MAC_AT, MAC_CHARS);
	EXPECT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));
	memcpy(forged, other, sizeof(forged));
	memcpy(forged + MAC_AT, text + MAC_AT, MAC_CHARS);
	EXPECT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));
	/* an unknown id with this token's MAC: the same error as a wrong MAC */
	memcpy(forged, text, sizeof(forged));
	memcpy(forged + ID_AT, forged[ID_AT] == '0' ? "1" : "0", 1);
	EXPECT_EQ(-EPERM, token_redeem(t, forged, 0, NULL));

	/* none of it consumed or harmed the genuine token */
	EXPECT_EQ(0, uses_of(t, id));
	EXPECT_EQ(0, token_redeem(t, text, 0, NULL));
	token_table_free(t);
}

TEST(bit_flips)
{
	struct token_table *t = new_table(session_a, 16);
	char text[TOKEN_TEXT_LEN + 1], flipped[TOKEN_TEXT_LEN + 1];
	uint64_t id = mint(t, "/srv/data", R | W, 0, 0, text);
	unsigned einval = 0, eperm = 0;
	for (size_t pos = 0; pos < TOKEN_TEXT_LEN; pos++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(flipped, text, sizeof(flipped));
			flipped[pos] = (char)(flipped[pos] ^ (1 << bit));
			int r = token_redeem(t, flipped, 0, NULL);
			if (r != -EINVAL && r != -EPERM)
				FAIL("flip of bit %d at %zu: %d", bit, pos, r);
			einval += r == -EINVAL;
			eperm += r == -EPERM;
			/* nor may a flipped text revoke the token */
			r = token_revoke_text(t, flipped);
			if (r != -EINVAL && r != -EPERM)
				FAIL("revoke with bit %d at %zu flipped: %d", bit, pos, r);
		}
	}
	/* both layers were exercised: syntax and MAC */
	ASSERT_GT(einval, 0);
	ASSERT_GT(eperm, 0);
	EXPECT_EQ(TOKEN_TEXT_LEN * 8, einval + eperm);
	EXPECT_EQ(0, uses_of(t, id));
	EXPECT_EQ(0, token_redeem(t, text, 0, NULL));
	token_table_free(t);
}

TEST(other_table)
{
	struct token_table *a = new_table(session_a, 16);
	struct token_table *b = new_table(session_b, 16);
	struct token_table *c = new_table(session_a, 16); /* same session id, another key */
	char ta[TOKEN_TEXT_LEN + 1], tc[TOKEN_TEXT_LEN + 1], graft[TOKEN_TEXT_LEN + 1];
	mint(a, "/srv/x", R, 0, 0, ta);
	mint(c, "/srv/x", R, 0, 0, tc);
	EXPECT_EQ(-EPERM, token_redeem(b, ta, 0, NULL));
	EXPECT_EQ(-EPERM, token_redeem(c, ta, 0, NULL));
	EXPECT_EQ(-EPERM, token_redeem(a, tc, 0, NULL));
	EXPECT_EQ(-EPERM, token_revoke_text(c, ta));
	/* c's id (known to c) with a's MAC for the same object: the key decides */
	memcpy(graft, tc, sizeof(graft));
	memcpy(graft + MAC_AT, ta + MAC_AT, MAC_CHARS);
	EXPECT_EQ(-EPERM, token_redeem(c, graft, 0, NULL));
	EXPECT_EQ(0, token_redeem(a, ta, 0, NULL));
	EXPECT_EQ(0, token_redeem(c, tc, 0, NULL));
	token_table_free(a);
	token_table_free(b);
	token_table_free(c);
}

TEST(expiry)
{
	struct token_table *t = new_table(session_a, 16);
	char once[TOKEN_TEXT_LEN + 1], never[TOKEN_TEXT_LEN + 1], later[TOKEN_TEXT_LEN + 1];
	char huge[TOKEN_TEXT_LEN + 1];
	mint(t, "/srv/short", R, 1, 0, once);
	mint(t, "/srv/never", R, 0, 0, never);
	mint(t, "/srv/later", R, 3600ull * 1000000000ull, 0, later);
	mint(t, "/srv/huge", R, UINT64_MAX, 0, huge);
	sleep_ms(5);
	EXPECT_EQ(-EKEYEXPIRED, token_redeem(t, once, 0, NULL));
	struct token_info info;
	ASSERT_EQ(0, token_redeem(t, never, 0, &info));
	EXPECT_EQ(0, info.expires_ns);
	ASSERT_EQ(0, token_redeem(t, later, 0, &info));
	EXPECT_NE(0, info.expires_ns);
	ASSERT_EQ(0, token_redeem(t, huge, 0, &info));
	EXPECT_TRUE(info.expires_ns == UINT64_MAX); /* saturated, not wrapped */
	token_table_free(t);
}

TEST(uses)
{
	struct token_table *t = new_table(session_a, 16);
	char one[TOKEN_TEXT_LEN + 1], three[TOKEN_TEXT_LEN + 1], many[TOKEN_TEXT_LEN + 1];
	mint(t, "/srv/one", R, 0, 1, one);
	mint(t, "/srv/three", R, 0, 3, three);
	mint(t, "/srv/many", R, 0, 0, many);
	struct token_info info;
	ASSERT_EQ(0, token_redeem(t, one, 0, &info));
	EXPECT_EQ(1, info.uses_max);
	EXPECT_EQ(0, info.uses_left);
	EXPECT_EQ(1, info.uses);
	EXPECT_EQ(-EUSERS, token_redeem(t, one, 0, NULL));
	for (uint32_t i = 0; i < 3; i++) {
		ASSERT_EQ(0, token_redeem(t, three, 0, &info));
		EXPECT_EQ(2 - i, info.uses_left);
	}
	EXPECT_EQ(-EUSERS, token_redeem(t, three, 0, NULL));
	for (int i = 0; i < 1000; i++)
		ASSERT_EQ(0, token_redeem(t, many, 0, NULL));
	ASSERT_EQ(0, token_redeem(t, many, 0, &info));
	EXPECT_EQ(1001, info.uses);
	EXPECT_EQ(0, info.uses_max);
	token_table_free(t);
}

TEST(revoke)
{
	struct token_table *t = new_table(session_a, 16);
	char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1], c[TOKEN_TEXT_LEN + 1];
	uint64_t ida = mint(t, "/srv/a", R, 0, 0, a);
	mint(t, "/srv/b", R, 0, 0, b);
	mint(t, "/srv/c", R, 0, 0, c);
	ASSERT_EQ(0, token_redeem(t, a, 0, NULL));

	ASSERT_EQ(0, token_revoke(t, ida));
	EXPECT_EQ(-EKEYREVOKED, token_redeem(t, a, 0, NULL));
	EXPECT_EQ(0, token_revoke(t, ida)); /* idempotent */
	EXPECT_EQ(-ENOENT, token_revoke(t, ida ^ 1));
	EXPECT_EQ(-EINVAL, token_revoke(NULL, ida));

	/* by text: a forged or malformed one revokes nothing */
	char forged[TOKEN_TEXT_LEN + 1];
	memcpy(forged, b, sizeof(forged));
	memcpy(forged + MAC_AT, c + MAC_AT, MAC_CHARS);
	EXPECT_EQ(-EPERM, token_revoke_text(t, forged));
	EXPECT_EQ(-EINVAL, token_revoke_text(t, "alk1_"));
	EXPECT_EQ(-EINVAL, token_revoke_text(t, NULL));
	EXPECT_EQ(0, token_redeem(t, b, 0, NULL));
	ASSERT_EQ(0, token_revoke_text(t, b));
	EXPECT_EQ(-EKEYREVOKED, token_redeem(t, b, 0, NULL));
	EXPECT_EQ(0, token_revoke_text(t, b));

	/* revocation wins over expiry and use count in the reported cause */
	char d[TOKEN_TEXT_LEN + 1];
	uint64_t idd = mint(t, "/srv/d", R, 1, 1, d);
	sleep_ms(5);
	ASSERT_EQ(0, token_revoke(t, idd));
	EXPECT_EQ(-EKEYREVOKED, token_redeem(t, d, 0, NULL));

	EXPECT_EQ(0, token_redeem(t, c, 0, NULL));
	token_table_free(t);
}

TEST(access_subset)
{
	struct token_table *t = new_table(session_a, 16);
	char r1[TOKEN_TEXT_LEN + 1], rw[TOKEN_TEXT_LEN + 1], rwx[TOKEN_TEXT_LEN + 1];
	mint(t, "/srv/r", R, 0, 1, r1);
	mint(t, "/srv/rw", R | W, 0, 0, rw);
	mint(t, "/srv/rwx", R | W | X, 0, 0, rwx);
	struct token_info info;

	/* read cannot become write, and asking does not burn the single use */
	EXPECT_EQ(-EACCES, token_redeem(t, r1, W, NULL));
	EXPECT_EQ(-EACCES, token_redeem(t, r1, R | W, NULL));
	EXPECT_EQ(-EACCES, token_redeem(t, r1, X, NULL));
	EXPECT_EQ(-EINVAL, token_redeem(t, r1, R | 8, NULL));
	ASSERT_EQ(0, token_redeem(t, r1, 0, &info));
	EXPECT_EQ(R, info.access);
	EXPECT_EQ(1, info.uses);

	ASSERT_EQ(0, token_redeem(t, rw, R, &info));
	EXPECT_EQ(R, info.access);
	ASSERT_EQ(0, token_redeem(t, rw, W, &info));
	EXPECT_EQ(W, info.access);
	ASSERT_EQ(0, token_redeem(t, rw, 0, &info));
	EXPECT_EQ(R | W, info.access);
	EXPECT_EQ(-EACCES, token_redeem(t, rw, X, NULL));
	EXPECT_EQ(-EACCES, token_redeem(t, rw, R | X, NULL));
	ASSERT_EQ(0, token_redeem(t, rwx, X, &info));
	EXPECT_EQ(X, info.access);
	token_table_free(t);
}

/* Syntax errors are -EINVAL from the parser and from redeem, before any table lookup. */
static void expect_malformed(struct token_table *t, const char *s, const char *what)
{
	uint64_t id = 99;
	int r1 = token_parse_id(s, &id);
	int r2 = token_redeem(t, s, 0, NULL);
	if (r1 != -EINVAL || r2 != -EINVAL || id != 99)
		FAIL("%s: parse %d, redeem %d (want %d)", what, r1, r2, -EINVAL);
}

TEST(malformed)
{
	struct token_table *t = new_table(session_a, 16);
	char ok[TOKEN_TEXT_LEN + 1];
	uint64_t id = mint(t, "/srv/m", R, 0, 0, ok);
	char s[256];

	expect_malformed(t, NULL, "NULL");
	expect_malformed(t, "", "empty");
	expect_malformed(t, "alk1_", "prefix only");
	snprintf(s, sizeof(s), "%.*s", TOKEN_TEXT_LEN - 1, ok);
	expect_malformed(t, s, "one short");
	snprintf(s, sizeof(s), "%.*s", MAC_AT, ok);
	expect_malformed(t, s, "head only");
	snprintf(s, sizeof(s), "%sA", ok);
	expect_malformed(t, s, "one long");
	snprintf(s, sizeof(s), "%s\n", ok);
	expect_malformed(t, s, "trailing newline");
	snprintf(s, sizeof(s), "%s ", ok);
	expect_malformed(t, s, "trailing space");
	snprintf(s, sizeof(s), " %s", ok);
	expect_malformed(t, s, "leading space");
	snprintf(s, sizeof(s), "%s=", ok);
	expect_malformed(t, s, "'=' padding appended");
	snprintf(s, sizeof(s), "%s", ok);
	s[TOKEN_TEXT_LEN - 1] = '=';
	expect_malformed(t, s, "'=' padding in place");

	/* prefix and separators */
	static const char *const prefixes[] = { "ALK1_", "alk2_", "alk1-", "alk0_", "blk1_" };
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		snprintf(s, sizeof(s), "%s", ok);
		memcpy(s, prefixes[i], 5);
		expect_malformed(t, s, prefixes[i]);
	}
	static const char seps[] = { '-', '.', ':', 'a', '=' };
	for (size_t i = 0; i < ELEMENTSOF(seps); i++) {
		snprintf(s, sizeof(s), "%s", ok);
		s[MAC_AT - 1] = seps[i];
		expect_malformed(t, s, "separator");
	}

	/* uppercase hex in the id: not canonical, even though it names the same number */
	char upper[TOKEN_TEXT_LEN + 1];
	for (int tries = 0;; tries++) {
		ASSERT_LT(tries, 100);
		mint(t, "/srv/upper", R, 0, 0, upper);
		bool changed = false;
		for (size_t i = ID_AT; i < ID_AT + 16; i++)
			if (upper[i] >= 'a' && upper[i] <= 'f') {
				upper[i] = (char)(upper[i] - 'a' + 'A');
				changed = true;
			}
		if (changed)
			break;
	}
	expect_malformed(t, upper, "uppercase hex");
	snprintf(s, sizeof(s), "%s", ok);
	s[ID_AT] = 'g';
	expect_malformed(t, s, "non-hex id");
	snprintf(s, sizeof(s), "%s", ok);
	s[ID_AT + 3] = 'x';
	expect_malformed(t, s, "non-hex id");

	/* standard base64 characters, and bytes outside ASCII (an overlong '/', a 2-byte 'é',
	 * raw 0x80 and 0xff) at the right total length */
	static const char *const subs[] = { "+", "/", "\x80", "\xff", "\xc0\xaf", "\xc3\xa9", "\t" };
	for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
		for (size_t at = 0; at < TOKEN_TEXT_LEN; at += 7) {
			snprintf(s, sizeof(s), "%s", ok);
			size_t n = strlen(subs[i]);
			if (at + n > TOKEN_TEXT_LEN)
				continue;
			memcpy(s + at, subs[i], n);
			expect_malformed(t, s, "substituted bytes");
		}
	}

	/* an embedded NUL ends the string early: the length check catches it */
	char nul[TOKEN_TEXT_LEN + 1];
	memcpy(nul, ok, sizeof(nul));
	nul[30] = '\0';
	expect_malformed(t, nul, "embedded NUL");
	nul[30] = ok[30];
	nul[TOKEN_TEXT_LEN - 1] = '\0';
	expect_malformed(t, nul, "NUL in last position");

	/* the genuine one still parses and redeems */
	uint64_t got = 0;
	EXPECT_EQ(0, token_parse_id(ok, &got));
	EXPECT_EQ(id, got);
	EXPECT_EQ(0, token_redeem(t, ok, 0, NULL));
	token_table_free(t);
}

static int b64url_value(char c)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = strchr(alphabet, c);
	return p && c ? (int)(p - alphabet) : -1;
}

TEST(noncanonical_base64)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct token_table *t = new_table(session_a, 16);
	char ok[TOKEN_TEXT_LEN + 1], s[TOKEN_TEXT_LEN + 1];
	mint(t, "/srv/b64", R, 0, 0, ok);
	/* 43 chars carry 258 bits for 256: the last char's two low bits must be zero */
	int v = b64url_value(ok[TOKEN_TEXT_LEN - 1]);
	ASSERT_GE(v, 0);
	ASSERT_EQ(0, v & 3);
	for (int low = 1; low < 4; low++) {
		memcpy(s, ok, sizeof(s));
		s[TOKEN_TEXT_LEN - 1] = alphabet[v | low];
		expect_malformed(t, s, "non-zero unused bits");
	}
	EXPECT_EQ(0, token_redeem(t, ok, 0, NULL));
	token_table_free(t);
}

TEST(cap_and_prune)
{
	struct token_table *t = new_table(session_a, 3);
	char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1], c[TOKEN_TEXT_LEN + 1];
	char d[TOKEN_TEXT_LEN + 1], e[TOKEN_TEXT_LEN + 1], f[TOKEN_TEXT_LEN + 1];
	char x[TOKEN_TEXT_LEN + 1] = "untouched";
	uint64_t ida = mint(t, "/srv/a", R, 0, 0, a);
	mint(t, "/srv/b", R, 0, 1, b);
	uint64_t idc = mint(t, "/srv/c", R, 0, 0, c);

	/* full of live tokens: refuse, evict nothing */
	EXPECT_EQ(-ENOSPC, token_mint(t, "/srv/x", 1, 1, R, 0, 0, x, NULL));
	EXPECT_STREQ("untouched", x);
	EXPECT_EQ(0, token_redeem(t, a, 0, NULL));
	EXPECT_EQ(0, token_redeem(t, c, 0, NULL));

	/* a used-up record makes room; once pruned it is just unknown */
	ASSERT_EQ(0, token_redeem(t, b, 0, NULL));
	EXPECT_EQ(-EUSERS, token_redeem(t, b, 0, NULL));
	uint64_t idd = mint(t, "/srv/d", R, 0, 0, d);
	EXPECT_EQ(-EPERM, token_redeem(t, b, 0, NULL));
	EXPECT_EQ(-ENOSPC, token_mint(t, "/srv/x", 1, 1, R, 0, 0, x, NULL));

	/* so does a revoked one */
	ASSERT_EQ(0, token_revoke(t, idc));
	uint64_t ide = mint(t, "/srv/e", R, 0, 0, e);
	EXPECT_EQ(-EPERM, token_redeem(t, c, 0, NULL));
	EXPECT_EQ(-ENOENT, token_revoke(t, idc));

	/* and an expired one */
	ASSERT_EQ(0, token_revoke(t, ide));
	uint64_t idf = mint(t, "/srv/f", R, 1, 0, f); /* takes e's place */
	sleep_ms(5);
	EXPECT_EQ(-EKEYEXPIRED, token_redeem(t, f, 0, NULL));
	ASSERT_EQ(0, token_mint(t, "/srv/x", 1, 1, R, 0, 0, x, NULL));
	EXPECT_EQ(-EPERM, token_redeem(t, f, 0, NULL));
	EXPECT_EQ(-ENOENT, token_revoke(t, idf));

	/* the live ones survived every pruning, in mint order */
	struct token_info *v = NULL;
	size_t n = 0;
	ASSERT_EQ(0, token_list(t, &v, &n));
	ASSERT_EQ(3, n);
	EXPECT_EQ(ida, v[0].id);
	EXPECT_EQ(idd, v[1].id);
	EXPECT_STREQ("/srv/x", v[2].path);
	free(v);
	EXPECT_EQ(0, token_redeem(t, a, 0, NULL));
	EXPECT_EQ(0, token_redeem(t, d, 0, NULL));
	EXPECT_EQ(0, token_redeem(t, x, 0, NULL));
	token_table_free(t);
}

TEST(list)
{
	struct token_table *t = new_table(session_a, 16);
	struct token_info *v = (struct token_info *)1;
	size_t n = 99;
	ASSERT_EQ(0, token_list(t, &v, &n));
	EXPECT_EQ(0, n);
	EXPECT_TRUE(v == NULL);
	EXPECT_EQ(-EINVAL, token_list(t, NULL, &n));

	char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1], c[TOKEN_TEXT_LEN + 1];
	char d[TOKEN_TEXT_LEN + 1], e[TOKEN_TEXT_LEN + 1];
	uint64_t ida = mint(t, "/srv/a", R | X, 0, 2, a);
	uint64_t idb = mint(t, "/srv/b", R, 0, 0, b);
	mint(t, "/srv/c", R, 0, 1, c);
	uint64_t idd = mint(t, "/srv/d", W, 0, 0, d);
	mint(t, "/srv/e", R, 1, 0, e);
	ASSERT_EQ(0, token_redeem(t, a, R, NULL));
	ASSERT_EQ(0, token_redeem(t, c, 0, NULL)); /* used up */
	ASSERT_EQ(0, token_revoke(t, idd));         /* revoked */
	sleep_ms(5);                                /* e expired */

	ASSERT_EQ(0, token_list(t, &v, &n));
	ASSERT_EQ(2, n);
	EXPECT_EQ(ida, v[0].id);
	EXPECT_STREQ("/srv/a", v[0].path);
	EXPECT_EQ(R | X, v[0].access); /* the token's access, not the last redemption's */
	EXPECT_EQ(2, v[0].uses_max);
	EXPECT_EQ(1, v[0].uses_left);
	EXPECT_EQ(1, v[0].uses);
	EXPECT_TRUE(v[0].dev == makedev(8, 1));
	EXPECT_TRUE(v[0].ino == 4242);
	EXPECT_EQ(idb, v[1].id);
	EXPECT_EQ(0, v[1].uses);
	free(v);
	token_table_free(t);
}

TEST(redact)
{
	struct token_table *t = new_table(session_a, 16);
	char text[TOKEN_TEXT_LEN + 1], out[TOKEN_REDACTED_SIZE];
	for (int i = 0; i < 64; i++) {
		mint(t, "/srv/r", R, 0, 0, text);
		token_redact(text, out);
		char want[TOKEN_REDACTED_SIZE];
		snprintf(want, sizeof(want), "%.*s\xe2\x80\xa6", MAC_AT, text);
		ASSERT_STREQ(want, out);
		/* no piece of the MAC: not even its first four characters */
		char piece[5];
		memcpy(piece, text + MAC_AT, 4);
		piece[4] = '\0';
		ASSERT_NOT_CONTAINS(out, piece);
		ASSERT_EQ(0, token_revoke_text(t, text)); /* keep the table small */
	}
	static const char *const bad[] = {
		"", "alk1_", "alk1_0123", "ALK1_0123456789abcdef_AAAA", "alk1_0123456789ABCDEF_x",
		"alk1_0123456789abcdef-AAAA", "secret-looking garbage",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		token_redact(bad[i], out);
		EXPECT_STREQ("(malformed token)", out);
	}
	token_redact(NULL, out);
	EXPECT_STREQ("(malformed token)", out);
	/* a well-formed head with a bad tail still shows only the head */
	token_redact("alk1_0123456789abcdef_not-the-mac-but-hidden-anyway\n", out);
	EXPECT_STREQ("alk1_0123456789abcdef_\xe2\x80\xa6", out);
	token_table_free(t);
}

TEST(free_with_live_tokens)
{
	/* Under ASan, LeakSanitizer reports any record or path left behind (checked here: the
	 * harness ends a test with _exit(), which skips the check at exit). */
	struct token_table *t = new_table(session_a, 64);
	char text[TOKEN_TEXT_LEN + 1];
	for (int i = 0; i < 40; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/srv/f%d", i);
		mint(t, path, R, i % 3 ? 0 : 3600ull * 1000000000ull, (uint32_t)(i % 4), text);
	}
	ASSERT_EQ(0, token_redeem(t, text, 0, NULL));
	EXPECT_TRUE(token_table_free(t) == NULL);
#ifdef HAVE_LSAN
	ASSERT_EQ(0, __lsan_do_recoverable_leak_check());
#endif
}

#define RACERS 8

struct race {
	struct token_table *t;
	const char *text;
	pthread_barrier_t *barrier;
	int result;
};

static void *race_redeem(void *arg)
{
	struct race *r = arg;
	pthread_barrier_wait(r->barrier);
	r->result = token_redeem(r->t, r->text, R, NULL);
	return NULL;
}

TEST(concurrent_single_use)
{
	struct token_table *t = new_table(session_a, 16);
	for (int round = 0; round < 200; round++) {
		char text[TOKEN_TEXT_LEN + 1];
		uint64_t id = mint(t, "/srv/once", R, 0, 1, text);
		pthread_barrier_t barrier;
		ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, RACERS));
		pthread_t th[RACERS];
		struct race rc[RACERS];
		for (int i = 0; i < RACERS; i++) {
			rc[i] = (struct race){ .t = t, .text = text, .barrier = &barrier };
			ASSERT_EQ(0, pthread_create(&th[i], NULL, race_redeem, &rc[i]));
		}
		int won = 0;
		for (int i = 0; i < RACERS; i++) {
			ASSERT_EQ(0, pthread_join(th[i], NULL));
			if (rc[i].result == 0)
				won++;
			else
				ASSERT_EQ(-EUSERS, rc[i].result);
		}
		pthread_barrier_destroy(&barrier);
		ASSERT_EQ(1, won);
		ASSERT_EQ(0, token_revoke(t, id));
	}
	token_table_free(t);
}

struct churn {
	struct token_table *t;
	int failures;
};

/* Each thread mints, redeems, lists and revokes its own tokens while the others do the same:
 * the table (growth, pruning) stays consistent under the lock. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	for (int i = 0; i < 300; i++) {
		char text[TOKEN_TEXT_LEN + 1];
		uint64_t id;
		/* at most RACERS tokens are live at once: never -ENOSPC at a cap of 64 */
		int r = token_mint(c->t, "/srv/churn", 1, 1, R | W, 0, 2, text, &id);
		struct token_info info;
		if (r < 0 || token_redeem(c->t, text, W, &info) != 0 || info.id != id ||
		    info.uses_left != 1)
			c->failures++;
		if (i % 2 && token_revoke(c->t, id) != 0)
			c->failures++;
		else if (!(i % 2) && token_redeem(c->t, text, 0, NULL) != 0)
			c->failures++;
		struct token_info *v = NULL;
		size_t n = 0;
		if (token_list(c->t, &v, &n) != 0)
			c->failures++;
		free(v);
	}
	return NULL;
}

TEST(concurrent_churn)
{
	struct token_table *t = new_table(session_a, 64);
	pthread_t th[RACERS];
	struct churn c[RACERS];
	for (int i = 0; i < RACERS; i++) {
		c[i] = (struct churn){ .t = t };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_thread, &c[i]));
	}
	for (int i = 0; i < RACERS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_EQ(0, c[i].failures);
	}
	token_table_free(t);
}

HARNESS_MAIN
