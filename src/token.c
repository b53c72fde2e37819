/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability tokens; the interface is documented in token.h.
 *
 * Layout: the records live in a dense array in mint order, searched linearly by id (the cap is
 * small, about a thousand; a redeem is one scan plus one HMAC). Dead records (revoked, expired,
 * used up) stay until the table is full, so their redemption reports why it failed; pruning
 * then compacts the array in place. One mutex guards the records; the key and session id are
 * written once in token_table_new() and only read afterwards.
 */
#include "token.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "grants.h"
#include "util.h"

#define TOKEN_PREFIX "alk1_"
#define PREFIX_LEN 5
#define ID_HEX_LEN 16
#define MAC_OFFSET (PREFIX_LEN + ID_HEX_LEN + 1)
#define MAC_B64_LEN 43
#define MAC_LEN crypto_auth_hmacsha256_BYTES
#define KEY_LEN crypto_auth_hmacsha256_KEYBYTES
#define B64_VARIANT sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define MAC_DOMAIN "airlock-token-v1"

_Static_assert(TOKEN_TEXT_LEN == MAC_OFFSET + MAC_B64_LEN, "text form length");
_Static_assert(MAC_LEN == 32 && KEY_LEN == 32, "HMAC-SHA256 sizes");
_Static_assert(sodium_base64_ENCODED_LEN(MAC_LEN, B64_VARIANT) == MAC_B64_LEN + 1,
	       "base64url length of the MAC");
_Static_assert(TOKEN_REDACTED_SIZE >= MAC_OFFSET + sizeof("\xe2\x80\xa6"), "redacted form");

struct token_rec {
	uint64_t id;
	uint64_t dev, ino;
	uint64_t expires_ns; /* 0: never */
	uint32_t access;
	uint32_t uses_max; /* 0: unlimited */
	uint32_t uses_left;
	uint32_t uses;
	bool revoked;
	size_t path_len;
	char *path;
};

struct token_table {
	pthread_mutex_t lock;
	uint8_t key[KEY_LEN];
	uint8_t session_id[TOKEN_SESSION_ID_LEN];
	struct token_rec *v; /* v[0..n), mint order */
	size_t n, v_alloc, cap;
};

static bool rec_expired(const struct token_rec *r, uint64_t now)
{
	return r->expires_ns != 0 && now >= r->expires_ns;
}

static bool rec_used_up(const struct token_rec *r)
{
	return r->uses_max != 0 && r->uses_left == 0;
}

static bool rec_dead(const struct token_rec *r, uint64_t now)
{
	return r->revoked || rec_expired(r, now) || rec_used_up(r);
}

static void hmac_u64(crypto_auth_hmacsha256_state *st, uint64_t v)
{
	uint8_t b[8];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(v >> (8 * i));
	crypto_auth_hmacsha256_update(st, b, sizeof(b));
}

static void hmac_u32(crypto_auth_hmacsha256_state *st, uint32_t v)
{
	uint8_t b[4];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(v >> (8 * i));
	crypto_auth_hmacsha256_update(st, b, sizeof(b));
}

static void hmac_bytes(crypto_auth_hmacsha256_state *st, const void *p, size_t n)
{
	hmac_u64(st, n);
	crypto_auth_hmacsha256_update(st, p, n);
}

/*
 * The MAC of a record. Every field has a fixed width (little-endian) and every variable-length
 * one a length prefix, so no two distinct records encode to the same bytes. The domain string
 * versions the encoding; the session id binds it to this session even if a key were ever shared.
 */
static void compute_mac(const struct token_table *t, const struct token_rec *r,
			uint8_t out[MAC_LEN])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, t->key, sizeof(t->key));
	hmac_bytes(&st, MAC_DOMAIN, strlen(MAC_DOMAIN));
	hmac_bytes(&st, t->session_id, sizeof(t->session_id));
	hmac_u64(&st, r->id);
	hmac_u64(&st, r->dev);
	hmac_u64(&st, r->ino);
	hmac_u32(&st, r->access);
	hmac_u64(&st, r->expires_ns);
	hmac_u32(&st, r->uses_max);
	hmac_bytes(&st, r->path, r->path_len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* uppercase is not canonical */
}

static bool is_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* "alk1_" and 16 lowercase hex digits then "_"; reads no further than the first mismatch (so
 * never past a NUL). */
static bool parse_head(const char *text, uint64_t *ret_id)
{
	if (strncmp(text, TOKEN_PREFIX, PREFIX_LEN) != 0)
		return false;
	uint64_t id = 0;
	for (size_t i = 0; i < ID_HEX_LEN; i++) {
		int v = hex_value(text[PREFIX_LEN + i]);
		if (v < 0)
			return false;
		id = id << 4 | (uint64_t)v;
	}
	if (text[PREFIX_LEN + ID_HEX_LEN] != '_')
		return false;
	*ret_id = id;
	return true;
}

/*
 * Invariant: exactly one text denotes a token. The text is untrusted (it comes from the sandbox);
 * we accept only the exact length, prefix, separators and charsets, and a base64 MAC that
 * re-encodes to itself (the unused low bits of the last character zero), so no variant spelling
 * (case, padding, whitespace, trailing bytes, non-ASCII) reaches the table. An embedded NUL ends
 * the C string early and fails the length check. Test: test-token malformed, bit_flips.
 */
static int parse_text(const char *text, uint64_t *ret_id, uint8_t mac[MAC_LEN])
{
	if (!text || strnlen(text, TOKEN_TEXT_LEN + 1) != TOKEN_TEXT_LEN)
		return -EINVAL;
	uint64_t id;
	if (!parse_head(text, &id))
		return -EINVAL;
	const char *m = text + MAC_OFFSET;
	for (size_t i = 0; i < MAC_B64_LEN; i++)
		if (!is_b64url(m[i]))
			return -EINVAL;
	size_t bin_len = 0;
	if (sodium_base642bin(mac, MAC_LEN, m, MAC_B64_LEN, NULL, &bin_len, NULL, B64_VARIANT) != 0 ||
	    bin_len != MAC_LEN)
		return -EINVAL;
	char re[MAC_B64_LEN + 1];
	sodium_bin2base64(re, sizeof(re), mac, MAC_LEN, B64_VARIANT);
	if (memcmp(re, m, MAC_B64_LEN) != 0)
		return -EINVAL;
	*ret_id = id;
	return 0;
}

int token_parse_id(const char *text, uint64_t *ret_id)
{
	uint8_t mac[MAC_LEN];
	uint64_t id;
	int r = parse_text(text, &id, mac);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = id;
	return 0;
}

void token_redact(const char *text, char out[TOKEN_REDACTED_SIZE])
{
	uint64_t id;
	if (!text || !parse_head(text, &id)) {
		snprintf(out, TOKEN_REDACTED_SIZE, "(malformed token)");
		return;
	}
	/* The head only: prefix, id, separator. The MAC is the secret. */
	memcpy(out, text, MAC_OFFSET);
	memcpy(out + MAC_OFFSET, "\xe2\x80\xa6", sizeof("\xe2\x80\xa6"));
}

int token_table_new(const uint8_t session_id[TOKEN_SESSION_ID_LEN], size_t cap,
		    struct token_table **ret)
{
	if (!session_id || !ret || cap == 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	_cleanup_free_ struct token_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int r = pthread_mutex_init(&t->lock, NULL);
	if (r != 0)
		return -r;
	randombytes_buf(t->key, sizeof(t->key));
	memcpy(t->session_id, session_id, sizeof(t->session_id));
	t->cap = cap;
	*ret = TAKE_PTR(t);
	return 0;
}

struct token_table *token_table_free(struct token_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	pthread_mutex_destroy(&t->lock);
	/* Invariant: the session key does not outlive its table in our memory (DESIGN §4.8). */
	sodium_memzero(t, sizeof(*t));
	free(t);
	return NULL;
}

static struct token_rec *find(struct token_table *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

/* Drop the dead records, keeping mint order. */
static void prune(struct token_table *t, uint64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (rec_dead(&t->v[i], now))
			free(t->v[i].path);
		else
			t->v[k++] = t->v[i];
	}
	t->n = k;
}

/* Canonical: absolute, what path_normalize() returns, and short enough for token_info. */
static int check_path(const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	if (strnlen(path, TOKEN_PATH_MAX) >= TOKEN_PATH_MAX)
		return -ENAMETOOLONG;
	_cleanup_free_ char *norm = NULL;
	int r = path_normalize(path, &norm);
	if (r < 0)
		return r;
	return strcmp(norm, path) == 0 ? 0 : -EINVAL;
}

static void format_text(uint64_t id, const uint8_t mac[MAC_LEN], char out[TOKEN_TEXT_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, TOKEN_PREFIX, PREFIX_LEN);
	for (size_t i = 0; i < ID_HEX_LEN; i++)
		out[PREFIX_LEN + i] = hex[(id >> (4 * (ID_HEX_LEN - 1 - i))) & 0xf];
	out[PREFIX_LEN + ID_HEX_LEN] = '_';
	sodium_bin2base64(out + MAC_OFFSET, MAC_B64_LEN + 1, mac, MAC_LEN, B64_VARIANT);
}

int token_mint(struct token_table *t, const char *path, dev_t dev, ino_t ino, uint32_t access,
	       uint64_t ttl_ns, uint32_t uses, char out[TOKEN_TEXT_LEN + 1], uint64_t *ret_id)
{
	if (!t || !out || access == 0 || (access & ~AIRLOCK_ACCESS_ALL))
		return -EINVAL;
	int r = check_path(path);
	if (r < 0)
		return r;
	size_t len = strlen(path);
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	uint64_t now = grant_now_ns();
	uint64_t expires = 0;
	if (ttl_ns)
		expires = ttl_ns > UINT64_MAX - now ? UINT64_MAX : now + ttl_ns;

	pthread_mutex_lock(&t->lock);
	/* Invariant: at most cap records exist, so a minting loop cannot exhaust memory; a full
	 * table refuses to mint, it never evicts a live token. Test: test-token cap_and_prune. */
	if (t->n >= t->cap)
		prune(t, now);
	if (t->n >= t->cap) {
		pthread_mutex_unlock(&t->lock);
		return -ENOSPC;
	}
	if (t->n == t->v_alloc) {
		size_t na = t->v_alloc ? t->v_alloc * 2 : 16;
		if (na > t->cap)
			na = t->cap;
		struct token_rec *nv = reallocarray(t->v, na, sizeof(*nv));
		if (!nv) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->v = nv;
		t->v_alloc = na;
	}
	/* Random, non-zero and unique among the records held: ids are public (logs show them),
	 * but unpredictable ones reveal nothing about how many tokens the session minted. */
	uint64_t id;
	do
		randombytes_buf(&id, sizeof(id));
	while (id == 0 || find(t, id));

	struct token_rec *rec = &t->v[t->n++];
	*rec = (struct token_rec){
		.id = id,
		.dev = (uint64_t)dev,
		.ino = (uint64_t)ino,
		.expires_ns = expires,
		.access = access,
		.uses_max = uses,
		.uses_left = uses,
		.path_len = len,
		.path = TAKE_PTR(copy),
	};
	uint8_t mac[MAC_LEN];
	compute_mac(t, rec, mac);
	pthread_mutex_unlock(&t->lock);

	/* rec may move once the lock is dropped (a concurrent mint reallocates v): use id. */
	format_text(id, mac, out);
	sodium_memzero(mac, sizeof(mac));
	if (ret_id)
		*ret_id = id;
	return 0;
}

/*
 * Look up text's record and verify its MAC, with the lock held. Returns the record or NULL.
 *
 * Invariant: a token is honoured only if its MAC, recomputed from the record we hold under the
 * session key, equals the one presented, compared in constant time (crypto_verify_32), so the
 * sandbox cannot learn a valid MAC byte by byte from timing. An unknown id costs the same HMAC
 * and comparison against a dummy record, and both failures return the same error, so a prober
 * cannot tell "no such id" from "wrong MAC" either. Test: test-token forged_mac, bit_flips,
 * other_table.
 */
static struct token_rec *verify(struct token_table *t, uint64_t id, const uint8_t mac[MAC_LEN])
{
	static const struct token_rec dummy = { .path = (char *)"", .path_len = 0 };
	struct token_rec *rec = find(t, id);
	uint8_t want[MAC_LEN];
	compute_mac(t, rec ? rec : &dummy, want);
	bool ok = crypto_verify_32(want, mac) == 0;
	sodium_memzero(want, sizeof(want));
	return ok && rec ? rec : NULL;
}

static void fill_info(const struct token_rec *r, struct token_info *info)
{
	*info = (struct token_info){
		.id = r->id,
		.dev = (dev_t)r->dev,
		.ino = (ino_t)r->ino,
		.access = r->access,
		.expires_ns = r->expires_ns,
		.uses_max = r->uses_max,
		.uses_left = r->uses_left,
		.uses = r->uses,
	};
	memcpy(info->path, r->path, r->path_len + 1);
}

int token_redeem(struct token_table *t, const char *text, uint32_t want_access,
		 struct token_info *ret)
{
	if (!t || (want_access & ~AIRLOCK_ACCESS_ALL))
		return -EINVAL;
	uint64_t id;
	uint8_t mac[MAC_LEN];
	int r = parse_text(text, &id, mac);
	if (r < 0)
		return r;

	pthread_mutex_lock(&t->lock);
	struct token_rec *rec = verify(t, id, mac);
	uint64_t now = grant_now_ns();
	/*
	 * Only a holder of a genuine token gets past here, so the distinct errors below tell the
	 * sandbox nothing it did not already know. The subset check comes last and consumes no
	 * use: asking for more than the token carries (read cannot become write) is refused
	 * without burning the token.
	 */
	if (!rec)
		r = -EPERM;
	else if (rec->revoked)
		r = -EKEYREVOKED;
	else if (rec_expired(rec, now))
		r = -EKEYEXPIRED;
	else if (rec_used_up(rec))
		r = -EUSERS;
	else if ((want_access & rec->access) != want_access)
		r = -EACCES;
	if (r == 0) {
		if (rec->uses_max != 0)
			rec->uses_left--;
		rec->uses++;
		if (ret) {
			fill_info(rec, ret);
			if (want_access != 0)
				ret->access = want_access;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int token_revoke(struct token_table *t, uint64_t id)
{
	if (!t)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	struct token_rec *rec = find(t, id);
	if (rec)
		rec->revoked = true;
	pthread_mutex_unlock(&t->lock);
	return rec ? 0 : -ENOENT;
}

int token_revoke_text(struct token_table *t, const char *text)
{
	if (!t)
		return -EINVAL;
	uint64_t id;
	uint8_t mac[MAC_LEN];
	int r = parse_text(text, &id, mac);
	if (r < 0)
		return r;
	pthread_mutex_lock(&t->lock);
	struct token_rec *rec = verify(t, id, mac);
	if (rec)
		rec->revoked = true;
	pthread_mutex_unlock(&t->lock);
	return rec ? 0 : -EPERM;
}

int token_list(struct token_table *t, struct token_info **ret, size_t *ret_n)
{
	if (!t || !ret || !ret_n)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	uint64_t now = grant_now_ns();
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += !rec_dead(&t->v[i], now);
	struct token_info *v = NULL;
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
	}
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!rec_dead(&t->v[i], now))
			fill_info(&t->v[i], &v[k++]);
	pthread_mutex_unlock(&t->lock);
	*ret = v;
	*ret_n = n;
	return 0;
}
