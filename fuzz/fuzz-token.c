/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the token parser and redemption: the text comes from the sandbox, so every
 * byte string must be refused cleanly (no crash, no leak, no out-of-bounds read), and nothing but
 * a genuine minted text may ever redeem.
 *
 * Each input gets a fresh table holding a few minted tokens (live, single-use, revoked, expired,
 * read-only). The first byte picks a mode:
 *	even: the rest is the text itself (as one C string, then each NUL-separated piece of it);
 *	odd:  a minted token is chosen and edited by (position, byte) pairs from the rest, so the
 *	      paths past the MAC check (revoked, expired, used up, access) are reached too.
 * Oracles: a redemption that succeeds must present exactly one of the minted texts, and a text
 * that parses must have the exact length and a redacted form without its MAC.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude -Isrc -Isrc/shared \
 *		fuzz/fuzz-token.c src/token.c src/shared/util.c -lsodium -o /tmp/fuzz-token
 *	/tmp/fuzz-token fuzz/corpus/token -max_total_time=60
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/airlock.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NTOKENS 5
#define MAC_AT 22

static const uint8_t session_id[TOKEN_SESSION_ID_LEN] = "fuzz-session-id";

struct fixture {
	struct token_table *t;
	char text[NTOKENS][TOKEN_TEXT_LEN + 1];
};

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void setup(struct fixture *f)
{
	const uint32_t R = AIRLOCK_ACCESS_READ, W = AIRLOCK_ACCESS_WRITE,
		       X = AIRLOCK_ACCESS_EXEC;
	uint64_t id;
	check(token_table_new(session_id, 8, &f->t) == 0);
	check(token_mint(f->t, "/srv/live", 8, 1, R | W | X, 0, 0, f->text[0], NULL) == 0);
	check(token_mint(f->t, "/srv/once", 8, 2, R | W, 0, 1, f->text[1], NULL) == 0);
	check(token_mint(f->t, "/srv/revoked", 8, 3, R, 0, 0, f->text[2], &id) == 0);
	check(token_revoke(f->t, id) == 0);
	/* 1 ns: expired by the time anything reads the clock again */
	check(token_mint(f->t, "/srv/expired", 8, 4, R, 1, 0, f->text[3], NULL) == 0);
	check(token_mint(f->t, "/", 8, 5, R, 3600ull * 1000000000ull, 3, f->text[4], NULL) == 0);
}

static int is_minted(const struct fixture *f, const char *s)
{
	for (size_t i = 0; i < NTOKENS; i++)
		if (strcmp(s, f->text[i]) == 0)
			return 1;
	return 0;
}

/* One untrusted string through every entry point that takes text. */
static void feed(struct fixture *f, const char *s, uint32_t want)
{
	uint64_t id;
	char red[TOKEN_REDACTED_SIZE];
	struct token_info info;

	int parsed = token_parse_id(s, &id) == 0;
	if (parsed)
		check(strlen(s) == TOKEN_TEXT_LEN);
	token_redact(s, red);
	check(strnlen(red, sizeof(red)) < sizeof(red));
	/* A parsed text shows its head and an ellipsis, nothing of the MAC. */
	if (parsed)
		check(memcmp(red, s, MAC_AT) == 0 && strcmp(red + MAC_AT, "\xe2\x80\xa6") == 0);

	int r = token_redeem(f->t, s, want, &info);
	if (r == 0) {
		check(is_minted(f, s));
		check(want == 0 || info.access == want);
		check(strnlen(info.path, sizeof(info.path)) < sizeof(info.path));
	}
	check(r == 0 || r == -EINVAL || r == -EPERM || r == -EKEYREVOKED || r == -EKEYEXPIRED ||
	      r == -EUSERS || r == -EACCES);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct fixture f = { 0 };
	setup(&f);
	uint8_t mode = data[0];
	uint32_t want = (mode >> 1) & 0xf; /* bit 3 is not an access bit: -EINVAL */
	data++;
	size--;

	if (!(mode & 1)) {
		char *s = malloc(size + 1);
		check(s != NULL);
		memcpy(s, data, size);
		s[size] = '\0';
		feed(&f, s, want);
		/* Every NUL-separated piece as a string of its own. */
		for (size_t at = strlen(s) + 1; at <= size; at += strlen(s + at) + 1)
			feed(&f, s + at, want);
		free(s);
	} else if (size > 0) {
		/* One byte of room past the text: an edit there makes it one too long. */
		char s[TOKEN_TEXT_LEN + 2] = { 0 };
		memcpy(s, f.text[data[0] % NTOKENS], TOKEN_TEXT_LEN);
		for (size_t i = 1; i + 1 < size; i += 2)
			s[data[i] % (TOKEN_TEXT_LEN + 1)] = (char)data[i + 1];
		feed(&f, s, want);
		/* A genuine text may revoke; anything else must not. */
		int r = token_revoke_text(f.t, s);
		check(r == 0 ? is_minted(&f, s) : (r == -EINVAL || r == -EPERM));
	}
	token_table_free(f.t);
	return 0;
}
