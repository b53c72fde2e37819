/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Capability tokens: minted by the session's owner (outside the sandbox), redeemed by a sandboxed
 * process to obtain a grant. A token names one object (canonical path plus the file identity
 * dev + inode it had at mint time), an access (AIRLOCK_ACCESS_*), an expiry and a use count, and
 * is only valid in the table (session) that minted it.
 *
 * Text form, strictly ASCII and of fixed length TOKEN_TEXT_LEN:
 *
 *	alk1_<16 lowercase hex digits: the id>_<43 base64url chars, no padding: the MAC>
 *
 * The MAC is HMAC-SHA256 under a random 32-byte session key (generated here, never leaves the
 * table) over a fixed, length-prefixed encoding of the domain "airlock-token-v1", the session id,
 * the token id, dev, ino, access, expiry, the initial use count and the path. Unforgeability
 * rests on the 256-bit key and MAC; the id is not secret (it is what logs show, see
 * token_redact()). The table keeps every record, so the MAC is recomputed from the record at
 * redemption: what a token grants is what the owner minted, never what the text claims.
 *
 * Pure logic plus libsodium: the only syscalls are getrandom (key and ids) and
 * clock_gettime(CLOCK_BOOTTIME) (expiry: monotonic, immune to wall-clock changes, counts suspend).
 * All functions taking a table are thread-safe (one mutex per table).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "alk1_" + 16 hex + "_" + 43 base64url */
#define TOKEN_TEXT_LEN 65
#define TOKEN_SESSION_ID_LEN 16
#define TOKEN_PATH_MAX 4096
/* Size of token_redact()'s output buffer. */
#define TOKEN_REDACTED_SIZE 32
#define TOKEN_TABLE_DEFAULT_CAP 1024

struct token_info {
	uint64_t id;
	char path[TOKEN_PATH_MAX]; /* canonical absolute path, as minted */
	dev_t dev;                 /* file identity at mint time: the redeemer re-checks it */
	ino_t ino;
	uint32_t access;           /* AIRLOCK_ACCESS_*; see token_redeem() for its meaning there */
	uint64_t expires_ns;       /* CLOCK_BOOTTIME; 0: never */
	uint32_t uses_max;         /* the use count minted; 0: unlimited */
	uint32_t uses_left;        /* remaining uses; meaningful only when uses_max != 0 */
	uint32_t uses;             /* successful redemptions so far */
};

struct token_table;

/*
 * Create a table for one session: copies session_id (TOKEN_SESSION_ID_LEN bytes) and generates a
 * fresh random session key. cap: the most live tokens; see token_mint().
 * Returns 0 and *ret, or -EINVAL (NULL argument, cap 0), -ENOMEM, -EIO (libsodium unusable).
 */
int token_table_new(const uint8_t session_id[TOKEN_SESSION_ID_LEN], size_t cap,
		    struct token_table **ret);
/* Wipe the key and free every record. NULL-safe; returns NULL. Not concurrent with other calls on
 * the same table. */
struct token_table *token_table_free(struct token_table *t);

/*
 * Mint a token for path (canonical: absolute and normalised, as path_normalize() returns it,
 * shorter than TOKEN_PATH_MAX; copied) with identity (dev, ino), access (non-zero, within
 * AIRLOCK_ACCESS_ALL), a lifetime ttl_ns from now (0: never expires; saturates) and uses
 * redemptions (0: unlimited). Writes the NUL-terminated text form to out and the id to *ret_id
 * (ret_id may be NULL). The text is a secret: log only token_redact() of it.
 *
 * The cap counts live tokens: when the table is full, records that are revoked, expired or used
 * up are pruned first (after which redeeming them gives -EPERM, like any unknown token).
 * Returns 0, or -EINVAL (bad argument, non-canonical path), -ENAMETOOLONG, -ENOSPC (cap of live
 * tokens reached), -ENOMEM. out and *ret_id are untouched on failure.
 */
int token_mint(struct token_table *t, const char *path, dev_t dev, ino_t ino, uint32_t access,
	       uint64_t ttl_ns, uint32_t uses, char out[TOKEN_TEXT_LEN + 1], uint64_t *ret_id);

/*
 * Redeem text (untrusted: any bytes, read up to TOKEN_TEXT_LEN + 1 of them) for want_access
 * (AIRLOCK_ACCESS_*; 0: whatever the token carries). Checks, in this order:
 *	-EINVAL       want_access has unknown bits, or text is not exactly the text form
 *	-EPERM        no such token in this table, or a wrong MAC (indistinguishable on purpose;
 *	              covers tokens of another session and pruned records)
 *	-EKEYREVOKED  revoked
 *	-EKEYEXPIRED  expired (now >= expires_ns)
 *	-EUSERS       every use consumed
 *	-EACCES       want_access is not a subset of the token's access (no use is consumed)
 * On success one use is consumed (when limited) and, if ret is not NULL, *ret describes the token
 * after this redemption, with ret->access the access granted: want_access, or the token's whole
 * access when want_access is 0. The caller must still check that the object it opens has
 * ret->dev/ret->ino: a path swapped for a symlink or another file since minting redeems nothing.
 * *ret is untouched on failure.
 */
int token_redeem(struct token_table *t, const char *text, uint32_t want_access,
		 struct token_info *ret);

/* Revoke by id: 0 (also if already revoked), -ENOENT if no record has it, -EINVAL. */
int token_revoke(struct token_table *t, uint64_t id);
/* Revoke the token text names; it must carry a valid MAC (knowing an id is not enough).
 * 0 (also if already revoked, expired or used up), -EINVAL (malformed), -EPERM (unknown/bad). */
int token_revoke_text(struct token_table *t, const char *text);

/* Snapshot of the live tokens (not revoked, expired or used up) in mint order; *ret is a
 * malloc'd array the caller frees (NULL when *ret_n is 0). Returns 0, -EINVAL or -ENOMEM. */
int token_list(struct token_table *t, struct token_info **ret, size_t *ret_n);

/* A form of text safe to log: "alk1_<id>_…" (the MAC never appears), or "(malformed token)" if
 * text does not start with a well-formed prefix and id. Never reads past text's NUL. */
void token_redact(const char *text, char out[TOKEN_REDACTED_SIZE]);

/* Strict syntax check of the text form (no table, no MAC check): 0 and *ret_id, or -EINVAL. */
int token_parse_id(const char *text, uint64_t *ret_id);
