/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime grant table; the interface is documented in grants.h.
 *
 * Layout: every live grant is one allocation (its path inline), listed in a dense array (for the
 * cap, listing and revocation by path) and chained in a hash table keyed by its path. A check
 * walks the request's ancestors ("/", "/a", "/a/b", ..., the path itself) and looks each one up,
 * so its cost is O(depth of the request), not O(number of grants): at the 10,000-grant cap a
 * check costs about as much as with ten grants (test-grants measures it). One mutex guards all.
 *
 * Matching. A grant on P covers the request path R if P == R, or if it is a subtree grant and R
 * lies beneath P (component-wise: a subtree on /a covers /a/b, never /ab). It must hold every
 * requested access bit by itself: grants are never combined to cover one request. Among the
 * covering grants the most specific wins: the longest path, then a file grant over a subtree
 * grant on the same path, then a session grant over a once grant (so a standing grant does not
 * burn a one-shot one), then the oldest. Only the winner is used, and consumed if it is ONCE.
 *
 * Time is CLOCK_BOOTTIME (monotonic, counts suspend): a grant expires when now >= expires_ns.
 */
#include "grants.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "util.h"

struct grant {
	struct grant *hnext; /* hash chain */
	size_t slot;         /* index in grant_table.v */
	uint64_t id;
	uint64_t hash;
	uint64_t expires_ns;
	uint32_t access, scope, uses;
	bool subtree;
	char origin[64];
	size_t len;
	char path[]; /* NUL-terminated */
};

struct grant_table {
	pthread_mutex_t lock;
	struct grant **v; /* dense: v[0..n) */
	size_t n, v_alloc, cap;
	struct grant **buckets; /* nbuckets is a power of two */
	size_t nbuckets;
	uint64_t next_id;
};

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fnv_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * FNV_PRIME;
}

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = 0; i < n; i++)
		h = fnv_step(h, (unsigned char)s[i]);
	return h;
}

uint64_t grant_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool expired(const struct grant *g, uint64_t now)
{
	return g->expires_ns != 0 && now >= g->expires_ns;
}

/* Canonical: absolute, what path_normalize() would return, and short enough for grant_info. */
static int check_canonical(const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct grant_info *)0)->path))
		return -ENAMETOOLONG;
	_cleanup_free_ char *norm = NULL;
	int r = path_normalize(path, &norm);
	if (r < 0)
		return r;
	return strcmp(norm, path) == 0 ? 0 : -EINVAL;
}

int grant_table_new(size_t cap, struct grant_table **ret)
{
	if (!ret || cap == 0)
		return -EINVAL;
	_cleanup_free_ struct grant_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->nbuckets = 64;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		return -ENOMEM;
	int r = pthread_mutex_init(&t->lock, NULL);
	if (r != 0) {
		free(t->buckets);
		return -r;
	}
	t->cap = cap;
	t->next_id = 1;
	*ret = TAKE_PTR(t);
	return 0;
}

struct grant_table *grant_table_free(struct grant_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return NULL;
}

static struct grant **bucket_of(struct grant_table *t, uint64_t hash)
{
	return &t->buckets[hash & (t->nbuckets - 1)];
}

/* Double the hash table when the load passes 1; a failed grow only costs speed. */
static void maybe_grow_buckets(struct grant_table *t)
{
	if (t->n < t->nbuckets || t->nbuckets > SIZE_MAX / 2 / sizeof(*t->buckets))
		return;
	size_t nb = t->nbuckets * 2;
	struct grant **b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct grant *g = t->v[i];
		struct grant **head = &b[g->hash & (nb - 1)];
		g->hnext = *head;
		*head = g;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

/* Unlink g from both indexes and free it. Moves the last grant into g's slot. */
static void remove_grant(struct grant_table *t, struct grant *g)
{
	for (struct grant **pp = bucket_of(t, g->hash); *pp; pp = &(*pp)->hnext)
		if (*pp == g) {
			*pp = g->hnext;
			break;
		}
	struct grant *last = t->v[--t->n];
	t->v[g->slot] = last;
	last->slot = g->slot;
	free(g);
}

static size_t purge_expired(struct grant_table *t, uint64_t now)
{
	size_t removed = 0;
	for (size_t i = 0; i < t->n;) {
		if (expired(t->v[i], now)) {
			remove_grant(t, t->v[i]); /* v[i] is now another grant: look again */
			removed++;
		} else {
			i++;
		}
	}
	return removed;
}

int grant_add(struct grant_table *t, const char *path, bool subtree, uint32_t access,
	      uint32_t scope, uint64_t ttl_ns, const char *origin, uint64_t *ret_id)
{
	if (!t || access == 0 || (access & ~AIRLOCK_ACCESS_ALL) ||
	    (scope != GRANT_ONCE && scope != GRANT_SESSION))
		return -EINVAL;
	int r = check_canonical(path);
	if (r < 0)
		return r;

	size_t len = strlen(path);
	uint64_t hash = fnv(path, len);
	uint64_t now = grant_now_ns();
	uint64_t expires = 0;
	if (ttl_ns)
		expires = ttl_ns > UINT64_MAX - now ? UINT64_MAX : now + ttl_ns;

	pthread_mutex_lock(&t->lock);
	/* Merge into a live identical grant: a repeated "yes" must not eat the table. */
	for (struct grant *g = *bucket_of(t, hash); g; g = g->hnext) {
		if (g->hash != hash || g->len != len || memcmp(g->path, path, len) != 0 ||
		    g->subtree != subtree || g->scope != scope || expired(g, now))
			continue;
		g->access |= access;
		if (g->expires_ns != 0 && (expires == 0 || expires > g->expires_ns))
			g->expires_ns = expires;
		if (ret_id)
			*ret_id = g->id;
		pthread_mutex_unlock(&t->lock);
		return 0;
	}

	/* Invariant: the table never grows past its cap; a full table denies, never allows. */
	if (t->n >= t->cap)
		purge_expired(t, now);
	if (t->n >= t->cap) {
		pthread_mutex_unlock(&t->lock);
		return -ENOSPC;
	}
	if (t->n == t->v_alloc) {
		size_t na = t->v_alloc ? t->v_alloc * 2 : 16;
		struct grant **nv = reallocarray(t->v, na, sizeof(*nv));
		if (!nv) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
		t->v = nv;
		t->v_alloc = na;
	}
	struct grant *g = calloc(1, sizeof(*g) + len + 1);
	if (!g) {
		pthread_mutex_unlock(&t->lock);
		return -ENOMEM;
	}
	memcpy(g->path, path, len + 1);
	g->len = len;
	g->hash = hash;
	g->subtree = subtree;
	g->access = access;
	g->scope = scope;
	g->expires_ns = expires;
	if (origin)
		snprintf(g->origin, sizeof(g->origin), "%s", origin);
	g->id = t->next_id++;
	g->slot = t->n;
	t->v[t->n++] = g;
	struct grant **head = bucket_of(t, hash);
	g->hnext = *head;
	*head = g;
	maybe_grow_buckets(t);
	if (ret_id)
		*ret_id = g->id;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* Is a better than b, both covering the same request at the same path length? */
static bool more_specific(const struct grant *a, const struct grant *b)
{
	if (a->subtree != b->subtree)
		return !a->subtree;
	if (a->scope != b->scope)
		return a->scope == GRANT_SESSION;
	return a->id < b->id;
}

/*
 * Look up the grants on the prefix path[0..plen) (hash h); exact says whether that prefix is the
 * whole request. Updates *best (a longer prefix is always more specific than a shorter one, and
 * prefixes come in increasing length). Expired grants met on the way are dropped.
 */
static void scan_prefix(struct grant_table *t, const char *path, size_t plen, uint64_t h,
			bool exact, uint32_t access, uint64_t now, struct grant **best)
{
	struct grant **pp = bucket_of(t, h);
	while (*pp) {
		struct grant *g = *pp;
		if (g->hash != h || g->len != plen || memcmp(g->path, path, plen) != 0) {
			pp = &g->hnext;
			continue;
		}
		if (expired(g, now)) {
			remove_grant(t, g); /* unlinks *pp: look at the new *pp */
			continue;
		}
		if ((exact || g->subtree) && (g->access & access) == access &&
		    (!*best || (*best)->len < plen || more_specific(g, *best)))
			*best = g;
		pp = &g->hnext;
	}
}

bool grant_check(struct grant_table *t, const char *path, uint32_t access, uint64_t *ret_id)
{
	/* A request for nothing is not a use of anything: never consume a grant for it. */
	if (!t || !path || path[0] != '/' || access == 0)
		return false;
	size_t len = strlen(path);
	uint64_t now = grant_now_ns();
	struct grant *best = NULL;

	pthread_mutex_lock(&t->lock);
	/* The ancestors of a canonical path end just before each '/' after the first: "/a/b/c"
	 * has "/", "/a", "/a/b" and itself. */
	uint64_t h = fnv_step(FNV_OFFSET, '/');
	scan_prefix(t, path, 1, h, len == 1, access, now, &best);
	for (size_t i = 1; i < len; i++) {
		if (path[i] == '/')
			scan_prefix(t, path, i, h, false, access, now, &best);
		h = fnv_step(h, (unsigned char)path[i]);
	}
	if (len > 1)
		scan_prefix(t, path, len, h, true, access, now, &best);

	if (best) {
		if (ret_id)
			*ret_id = best->id;
		best->uses++;
		if (best->scope == GRANT_ONCE)
			remove_grant(t, best);
	}
	pthread_mutex_unlock(&t->lock);
	return best != NULL;
}

int grant_revoke(struct grant_table *t, uint64_t id)
{
	if (!t)
		return -EINVAL;
	int r = -ENOENT;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i]->id == id) {
			remove_grant(t, t->v[i]);
			r = 0;
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int grant_revoke_path(struct grant_table *t, const char *path)
{
	if (!t)
		return -EINVAL;
	int r = check_canonical(path);
	if (r < 0)
		return r;
	int removed = 0;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n;) {
		if (path_is_beneath(t->v[i]->path, path)) {
			remove_grant(t, t->v[i]);
			removed++;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return removed;
}

static int cmp_info_id(const void *a, const void *b)
{
	const struct grant_info *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Note: struct grant_info carries a 4 KiB path buffer, so a snapshot of a full table of 10,000
 * grants is a ~41 MiB transient allocation. Fine for "airlock status"; not for a hot path.
 */
int grant_list(struct grant_table *t, struct grant_info **ret, size_t *ret_n)
{
	if (!t || !ret || !ret_n)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	purge_expired(t, grant_now_ns());
	size_t n = t->n;
	struct grant_info *v = NULL;
	if (n > 0) {
		v = calloc(n, sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&t->lock);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct grant *g = t->v[i];
		v[i] = (struct grant_info){
			.id = g->id,
			.subtree = g->subtree,
			.access = g->access,
			.scope = g->scope,
			.expires_ns = g->expires_ns,
			.uses = g->uses,
		};
		memcpy(v[i].path, g->path, g->len + 1);
		memcpy(v[i].origin, g->origin, sizeof(v[i].origin));
	}
	pthread_mutex_unlock(&t->lock);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_info_id);
	*ret = v;
	*ret_n = n;
	return 0;
}

size_t grant_count(struct grant_table *t)
{
	if (!t)
		return 0;
	pthread_mutex_lock(&t->lock);
	purge_expired(t, grant_now_ns());
	size_t n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}
