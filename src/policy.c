/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policy.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "dirs.h"
#include "util.h"

#define FLOOR_MAX_RULES 65536

int policy_error(struct airlock_policy *p, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

void policy_log(const struct airlock_policy *p, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vcall(p->log, p->log_userdata, level, fmt, ap);
	va_end(ap);
}

unsigned policy_new_layer(struct airlock_policy *p)
{
	return p->n_layers++;
}

int policy_append_rule(struct airlock_policy *p, const struct raw_rule *r)
{
	if (p->n_rules >= POLICY_MAX_RULES)
		return -E2BIG;
	struct raw_rule *v = realloc(p->rules, (p->n_rules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->rules = v;
	struct raw_rule *n = &v[p->n_rules];
	*n = *r;
	n->path = strdup(r->path);
	n->origin = r->origin ? strdup(r->origin) : NULL;
	n->group = r->group ? strdup(r->group) : NULL;
	if (!n->path || (r->origin && !n->origin) || (r->group && !n->group)) {
		free(n->path);
		free(n->origin);
		free(n->group);
		return -ENOMEM;
	}
	p->n_rules++;
	return 0;
}

void policy_done(struct airlock_policy *p)
{
	for (size_t i = 0; i < p->n_rules; i++) {
		free(p->rules[i].path);
		free(p->rules[i].origin);
		free(p->rules[i].group);
	}
	free(p->rules);
	p->rules = NULL;
	p->n_rules = 0;
	strv_free(p->env.allow);
	strv_free(p->env.deny);
	strv_free(p->env.keep);
	strv_free(p->env.set);
	strv_free(p->env.pass);
	strv_free(p->env.literal);
	p->env = (struct env_policy){ 0 };
	p->vars = strv_free(p->vars);
	p->profiles = strv_free(p->profiles);
}

const char *access_string(uint32_t access, char buf[static 4])
{
	char *b = buf;
	if (access & AIRLOCK_ACCESS_READ)
		*b++ = 'r';
	if (access & AIRLOCK_ACCESS_WRITE)
		*b++ = 'w';
	if (access & AIRLOCK_ACCESS_EXEC)
		*b++ = 'x';
	if (b == buf)
		*b++ = '-';
	*b = '\0';
	return buf;
}

int access_parse(const char *s, uint32_t *ret)
{
	uint32_t a = 0;
	if (!strcmp(s, "read"))
		a = AIRLOCK_ACCESS_READ;
	else if (!strcmp(s, "write"))
		a = AIRLOCK_ACCESS_WRITE;
	else if (!strcmp(s, "exec"))
		a = AIRLOCK_ACCESS_EXEC;
	else {
		if (!*s)
			return -EINVAL;
		for (const char *c = s; *c; c++) {
			uint32_t bit = *c == 'r' ? AIRLOCK_ACCESS_READ : *c == 'w' ? AIRLOCK_ACCESS_WRITE
				       : *c == 'x' ? AIRLOCK_ACCESS_EXEC : 0;
			if (!bit || (a & bit))
				return -EINVAL;
			a |= bit;
		}
	}
	*ret = a;
	return 0;
}

/* ---- variables ---- */

static const char *const known_vars[] = {
	"HOME", "CWD", "TMPDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
	"XDG_STATE_HOME", "XDG_RUNTIME_DIR",
};

bool policy_var_known(const char *name, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(known_vars); i++)
		if (strlen(known_vars[i]) == len && memcmp(known_vars[i], name, len) == 0)
			return true;
	return false;
}

/* At s[i] == '$': the variable's name span; returns the length consumed or 0 if malformed. */
static size_t var_span(const char *s, const char **name, size_t *len)
{
	if (s[1] == '{') {
		const char *end = strchr(s + 2, '}');
		if (!end)
			return 0;
		*name = s + 2;
		*len = (size_t)(end - s - 2);
		return *len + 3;
	}
	size_t n = 0;
	while (s[1 + n] == '_' || (s[1 + n] >= 'A' && s[1 + n] <= 'Z') ||
	       (s[1 + n] >= '0' && s[1 + n] <= '9'))
		n++;
	*name = s + 1;
	*len = n;
	return n ? n + 1 : 0;
}

int policy_check_vars(const char *s, size_t *ret_bad)
{
	for (size_t i = 0; s[i]; i++) {
		if (s[i] != '$')
			continue;
		const char *name;
		size_t len, used = var_span(s + i, &name, &len);
		if (!used || !policy_var_known(name, len)) {
			*ret_bad = i;
			return -EINVAL;
		}
		i += used - 1;
	}
	return 0;
}

static const char *lookup_override(const struct airlock_policy *p, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;
	for (size_t i = 0; p->vars && p->vars[i]; i++)
		if (strncmp(p->vars[i], name, n) == 0 && p->vars[i][n] == '=')
			found = p->vars[i] + n + 1;
	return found;
}

int policy_vars_init(const struct airlock_policy *p, const char *tmpdir, struct policy_vars *v,
		     char ***storage)
{
	const char *home = lookup_override(p, "HOME");
	if (!home)
		home = getenv("HOME");
	if (home && home[0] != '/')
		home = NULL;
	*v = (struct policy_vars){ .home = home };

	const char *cwd = lookup_override(p, "CWD");
	if (!cwd) {
		char buf[PATH_MAX];
		if (!getcwd(buf, sizeof(buf)))
			return negative_errno();
		int r = strv_push(storage, buf);
		if (r < 0)
			return r;
		cwd = (*storage)[strv_length(*storage) - 1];
	}
	v->cwd = cwd;
	v->tmpdir = lookup_override(p, "TMPDIR");
	if (!v->tmpdir)
		v->tmpdir = tmpdir;

	struct {
		const char *name, *fallback;
		const char **dst;
	} xdg[] = {
		{ "XDG_CONFIG_HOME", ".config", &v->xdg_config },
		{ "XDG_DATA_HOME", ".local/share", &v->xdg_data },
		{ "XDG_CACHE_HOME", ".cache", &v->xdg_cache },
		{ "XDG_STATE_HOME", ".local/state", &v->xdg_state },
		{ "XDG_RUNTIME_DIR", NULL, &v->xdg_runtime },
	};
	for (size_t i = 0; i < ELEMENTSOF(xdg); i++) {
		const char *val = lookup_override(p, xdg[i].name);
		if (!val)
			val = getenv(xdg[i].name);
		/* The XDG spec: relative values are invalid and are ignored. */
		if (val && val[0] != '/')
			val = NULL;
		if (!val && xdg[i].fallback && home) {
			_cleanup_free_ char *d = path_join(home, xdg[i].fallback);
			if (!d || strv_push(storage, d) < 0)
				return -ENOMEM;
			val = (*storage)[strv_length(*storage) - 1];
		}
		*xdg[i].dst = val;
	}
	return 0;
}

static const char *var_value(const struct policy_vars *v, const char *name, size_t len)
{
#define V(n, field) if (len == strlen(n) && memcmp(name, n, len) == 0) return v->field
	V("HOME", home);
	V("CWD", cwd);
	V("TMPDIR", tmpdir);
	V("XDG_CONFIG_HOME", xdg_config);
	V("XDG_DATA_HOME", xdg_data);
	V("XDG_CACHE_HOME", xdg_cache);
	V("XDG_STATE_HOME", xdg_state);
	V("XDG_RUNTIME_DIR", xdg_runtime);
#undef V
	return NULL;
}

int policy_expand(const char *s, const struct policy_vars *vars, char **ret, char **ret_err)
{
	struct strbuf b = { 0 };
	*ret_err = NULL;
	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0')) {
		if (!vars->home) {
			sb_done(&b);
			return asprintf(ret_err, "\"~\" used but HOME is not set to an absolute path") < 0
				       ? -ENOMEM : -EINVAL;
		}
		sb_append(&b, vars->home);
		s++;
	}
	for (size_t i = 0; s[i]; i++) {
		if (s[i] != '$') {
			sb_appendn(&b, s + i, 1);
			continue;
		}
		const char *name;
		size_t len, used = var_span(s + i, &name, &len);
		const char *val = used ? var_value(vars, name, len) : NULL;
		if (!used || !policy_var_known(name, len)) {
			sb_done(&b);
			return asprintf(ret_err, "unknown variable in \"%s\"", s) < 0 ? -ENOMEM : -EINVAL;
		}
		if (!val) {
			sb_done(&b);
			return asprintf(ret_err, "$%.*s is not set", (int)len, name) < 0 ? -ENOMEM
											   : -ENXIO;
		}
		sb_append(&b, val);
		i += used - 1;
	}
	return sb_take(&b, ret);
}

/* ---- canonical paths ---- */

int policy_canonicalize(const char *path, char **ret)
{
	_cleanup_free_ char *norm = NULL;
	char real[PATH_MAX];
	int r;

	if (realpath(path, real)) {
		char *c = strdup(real);
		if (!c)
			return -ENOMEM;
		*ret = c;
		return 0;
	}
	r = path_normalize(path, &norm);
	if (r < 0)
		return r;
	/* Resolve the longest existing prefix; keep the rest as written. */
	size_t cut = strlen(norm);
	while (cut > 0) {
		while (cut > 0 && norm[cut] != '/')
			cut--;
		char saved = norm[cut];
		norm[cut] = '\0';
		bool ok = realpath(cut ? norm : "/", real) != NULL;
		norm[cut] = saved;
		if (ok) {
			char *c;
			if (asprintf(&c, "%s%s", strcmp(real, "/") ? real : "", norm + cut) < 0)
				return -ENOMEM;
			*ret = c;
			return 0;
		}
		if (cut == 0)
			break;
		cut--;
	}
	*ret = TAKE_PTR(norm);
	return 0;
}

/* ---- compiling ---- */

struct merging {
	unsigned layer[3];
	int effect[3]; /* -1 none, else AIRLOCK_EFFECT_* */
};

/* Inside one layer: deny beats allow beats ask. "ask" means "ask, unless something allows
 * it", so a profile can ask for $HOME and still allow $CWD when the project is $HOME. */
static int effect_rank(int effect)
{
	return effect == (int)AIRLOCK_EFFECT_DENY ? 3 : effect == (int)AIRLOCK_EFFECT_ALLOW ? 2 : 1;
}

static int add_compiled(struct compiled_policy *c, struct merging **m, const struct raw_rule *raw,
			const char *shown, const char *canonical)
{
	size_t i;
	for (i = 0; i < c->n_rules; i++)
		if (strcmp(c->rules[i].path, canonical) == 0)
			break;
	if (i == c->n_rules) {
		struct crule *v = realloc(c->rules, (c->n_rules + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->rules = v;
		struct merging *mv = realloc(*m, (c->n_rules + 1) * sizeof(*mv));
		if (!mv)
			return -ENOMEM;
		*m = mv;
		struct stat st;
		bool exists = stat(canonical, &st) == 0;
		v[i] = (struct crule){
			.path = strdup(canonical),
			.shown = strdup(shown),
			.exists = exists,
			.is_dir = exists && S_ISDIR(st.st_mode),
		};
		mv[i] = (struct merging){ .effect = { -1, -1, -1 } };
		c->n_rules++;
		if (!v[i].path || !v[i].shown)
			return -ENOMEM;
	}
	struct crule *cr = &c->rules[i];
	struct merging *mg = &(*m)[i];
	for (int b = 0; b < 3; b++) {
		if (!(raw->access & (1u << b)))
			continue;
		bool take = mg->effect[b] < 0 || raw->layer > mg->layer[b] ||
			    (raw->layer == mg->layer[b] &&
			     effect_rank((int)raw->effect) > effect_rank(mg->effect[b]));
		if (!take)
			continue;
		mg->effect[b] = (int)raw->effect;
		mg->layer[b] = raw->layer;
		free(cr->origin[b]);
		cr->origin[b] = raw->origin ? strdup(raw->origin) : NULL;
		if (raw->origin && !cr->origin[b])
			return -ENOMEM;
	}
	if (raw->group) {
		free(cr->group);
		if (!(cr->group = strdup(raw->group)))
			return -ENOMEM;
	}
	return 0;
}

static int compile_notice(struct compiled_policy *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int compile_notice(struct compiled_policy *c, const char *fmt, ...)
{
	struct strbuf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&b, fmt, ap);
	va_end(ap);
	_cleanup_free_ char *s = NULL;
	int r = sb_take(&b, &s);
	if (r < 0)
		return r;
	if (strv_contains(c->notices, s))
		return 0;
	return strv_push(&c->notices, s);
}

int policy_compile(struct airlock_policy *p, const struct policy_vars *vars,
		   struct compiled_policy **ret)
{
	struct compiled_policy *c = calloc(1, sizeof(*c));
	_cleanup_free_ struct merging *m = NULL;
	_cleanup_strv_free_ char **protected = NULL;
	int r = 0;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct raw_rule *raw = &p->rules[i];
		_cleanup_free_ char *expanded = NULL, *err = NULL, *norm = NULL;
		const char *origin = raw->origin ? raw->origin : "rule";

		r = policy_expand(raw->path, vars, &expanded, &err);
		if (r == -ENXIO && !raw->required) {
			/* An optional anchor such as $XDG_RUNTIME_DIR that this host lacks. */
			r = 0;
			continue;
		}
		if (r < 0) {
			policy_error(p, r == -ENOMEM ? r : -EINVAL, "%s: %s", origin, err ? err : strerror(-r));
			goto fail;
		}
		r = path_normalize(expanded, &norm);
		if (r < 0) {
			struct strbuf esc = { 0 };
			sb_append_escaped(&esc, expanded);
			policy_error(p, r, "%s: path \"%s\" %s", origin, esc.s ? esc.s : "",
				     r == -EINVAL ? (expanded[0] == '/' ? "contains \"..\"" : "is not absolute")
						  : strerror(-r));
			sb_done(&esc);
			goto fail;
		}
		if (raw->exact) {
			/* The object it was given for, or nothing: never what a symlink planted
			 * since then points at. */
			_cleanup_free_ char *canon = NULL;
			struct stat st;
			r = policy_canonicalize(norm, &canon);
			if (r == -ENOMEM)
				goto fail;
			if (r < 0 || strcmp(canon, norm) != 0 || lstat(norm, &st) < 0 ||
			    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))) {
				struct strbuf esc = { 0 };
				sb_append_escaped(&esc, norm);
				r = compile_notice(c, "%s: %s is no longer what was allowed (missing, or a "
						   "symlink on the way): rule left out", origin,
						   esc.s ? esc.s : "");
				sb_done(&esc);
				if (r < 0)
					goto fail;
				continue;
			}
			r = add_compiled(c, &m, raw, norm, canon);
			if (r < 0)
				goto fail;
			continue;
		}
		if (strpbrk(norm, "*?[")) {
			glob_t g;
			int gr = glob(norm, GLOB_NOSORT | GLOB_NOESCAPE, NULL, &g);
			if (gr == GLOB_NOMATCH) {
				if (raw->required) {
					r = policy_error(p, -ENOENT, "%s: nothing matches \"%s\"", origin, norm);
					goto fail;
				}
				continue;
			}
			if (gr != 0) {
				r = policy_error(p, -ENOMEM, "%s: glob failed for \"%s\"", origin, norm);
				goto fail;
			}
			for (size_t k = 0; k < g.gl_pathc && r == 0; k++) {
				_cleanup_free_ char *canon = NULL;
				r = policy_canonicalize(g.gl_pathv[k], &canon);
				if (r == 0)
					r = add_compiled(c, &m, raw, g.gl_pathv[k], canon);
			}
			globfree(&g);
			if (r < 0)
				goto fail;
			continue;
		}
		_cleanup_free_ char *canon = NULL;
		r = policy_canonicalize(norm, &canon);
		if (r < 0)
			goto fail;
		if (raw->required && access(canon, F_OK) < 0) {
			struct strbuf esc = { 0 };
			sb_append_escaped(&esc, norm);
			r = policy_error(p, -ENOENT, "%s: %s: %m", origin, esc.s ? esc.s : "");
			sb_done(&esc);
			goto fail;
		}
		r = add_compiled(c, &m, raw, norm, canon);
		if (r < 0)
			goto fail;
	}

	/* airlock's own directories (profiles, audit trail, control sockets): denied above every
	 * layer, and no rule may reach inside them. */
	r = dirs_protected(&protected);
	if (r < 0)
		goto fail;
	for (char **d = protected; *d; d++) {
		static char origin[] = "airlock's own files (never granted)", group[] = "airlock";
		_cleanup_free_ char *canon = NULL;
		r = policy_canonicalize(*d, &canon);
		if (r < 0)
			goto fail;
		for (size_t i = 0; i < c->n_rules; i++) {
			const struct crule *cr = &c->rules[i];
			bool grants = false;
			for (int b = 0; b < 3; b++)
				grants |= m[i].effect[b] == AIRLOCK_EFFECT_ALLOW || m[i].effect[b] == AIRLOCK_EFFECT_ASK;
			if (grants && strcmp(cr->path, canon) != 0 && path_is_beneath(cr->path, canon)) {
				r = policy_error(p, -EPERM, "%s: %s is inside airlock's own directory %s, "
						 "which no sandbox may reach", cr->origin[0] ? cr->origin[0] :
						 cr->origin[1] ? cr->origin[1] : cr->origin[2] ? cr->origin[2] : "rule",
						 cr->shown, *d);
				goto fail;
			}
		}
		const struct raw_rule deny = {
			.path = *d, .access = AIRLOCK_ACCESS_ALL, .effect = AIRLOCK_EFFECT_DENY,
			.origin = origin, .group = group, .layer = UINT_MAX,
		};
		r = add_compiled(c, &m, &deny, *d, canon);
		if (r < 0)
			goto fail;
	}

	for (size_t i = 0; i < c->n_rules; i++) {
		struct crule *cr = &c->rules[i];
		for (int b = 0; b < 3; b++) {
			uint32_t bit = 1u << b;
			switch (m[i].effect[b]) {
			case AIRLOCK_EFFECT_ALLOW: cr->allow |= bit; break;
			case AIRLOCK_EFFECT_DENY: cr->deny |= bit; break;
			case AIRLOCK_EFFECT_ASK: cr->ask |= bit; break;
			default: break;
			}
		}
		if (cr->ask)
			c->has_ask = true;
	}
	c->network = p->network != OFF;
	c->unix_sockets = p->unix_sockets == ON;
	c->path_metadata = p->path_metadata == ON;

	r = policy_plan_floor(c);
	if (r < 0) {
		policy_error(p, r, "cannot plan the Landlock floor: %s", strerror(-r));
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	compiled_policy_free(c);
	if (r == -ENOMEM)
		policy_error(p, r, "out of memory");
	return r;
}

struct compiled_policy *compiled_policy_free(struct compiled_policy *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_rules; i++) {
		free(c->rules[i].path);
		free(c->rules[i].shown);
		free(c->rules[i].group);
		for (int b = 0; b < 3; b++)
			free(c->rules[i].origin[b]);
	}
	free(c->rules);
	for (size_t i = 0; i < c->n_floor; i++)
		free(c->floor[i].path);
	free(c->floor);
	strv_free(c->carved);
	strv_free(c->notices);
	free(c);
	return NULL;
}

const struct crule *policy_decide(const struct compiled_policy *c, const char *path, uint32_t bit,
				  uint32_t *ret_effect)
{
	const struct crule *best = NULL;
	unsigned best_depth = 0;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct crule *r = &c->rules[i];
		if (!((r->allow | r->deny | r->ask) & bit) || !path_is_beneath(path, r->path))
			continue;
		unsigned d = path_depth(r->path);
		if (!best || d > best_depth) {
			best = r;
			best_depth = d;
		}
	}
	if (best && ret_effect)
		*ret_effect = best->deny & bit ? AIRLOCK_EFFECT_DENY
			      : best->ask & bit ? AIRLOCK_EFFECT_ASK : AIRLOCK_EFFECT_ALLOW;
	return best;
}

bool floor_grants(const struct compiled_policy *c, const char *path, uint32_t bit)
{
	for (size_t i = 0; i < c->n_floor; i++) {
		const struct floor_rule *f = &c->floor[i];
		if ((f->access & bit) && path_is_beneath(path, f->path))
			return true;
	}
	return false;
}

/* ---- the floor ---- */

static int emit(struct compiled_policy *c, const char *path, uint32_t access, bool list_only,
		bool is_dir)
{
	for (size_t i = 0; i < c->n_floor; i++) {
		if (strcmp(c->floor[i].path, path) == 0) {
			c->floor[i].access |= access;
			c->floor[i].list_only |= list_only;
			return 0;
		}
	}
	if (c->n_floor >= FLOOR_MAX_RULES)
		return -E2BIG;
	struct floor_rule *v = realloc(c->floor, (c->n_floor + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->floor = v;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	v[c->n_floor++] = (struct floor_rule){ p, access, list_only, is_dir };
	return 0;
}

/* Grant access on dir and beneath, except what the deny/ask rules in ds (all strictly beneath
 * dir) withhold: dir itself keeps only the rights no rule beneath takes away (plus listing),
 * and each entry is granted on its own, recursing towards the denied paths.
 *
 * Invariant: no floor rule is ever emitted on a denied path or one of its ancestors with a
 * withheld right, since Landlock rights on a directory reach everything beneath it.
 * Test: tests/unit/test-policy.c (floor_carve_*), tests/e2e/test-run.c (deny_inside_allow). */
static int carve(struct compiled_policy *c, const char *dir, uint32_t m,
		 const struct crule *const *ds, size_t nds, unsigned depth)
{
	uint32_t withheld = 0;
	for (size_t i = 0; i < nds; i++)
		withheld |= (ds[i]->deny | ds[i]->ask) & m;
	if (!withheld)
		return emit(c, dir, m, false, true);
	if (depth > 64)
		return -ELOOP;

	bool list = (m & AIRLOCK_ACCESS_READ) && (withheld & AIRLOCK_ACCESS_READ);
	int r = emit(c, dir, m & ~withheld, list, true);
	if (r < 0)
		return r;
	if (!strv_contains(c->carved, dir) && (r = strv_push(&c->carved, dir)) < 0)
		return r;

	_cleanup_free_ const struct crule **sub = calloc(nds ? nds : 1, sizeof(*sub));
	if (!sub)
		return -ENOMEM;
	DIR *dh = opendir(dir);
	if (!dh) {
		/* Entries we cannot enumerate are not granted: stricter, never wider. */
		return compile_notice(c, "cannot list %s to carve it (%m): its entries are not granted",
				      dir);
	}
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		_cleanup_free_ char *child = path_join(dir, de->d_name);
		struct stat st;
		if (!child) {
			r = -ENOMEM;
			break;
		}
		/* A symlink's target is checked on its own path when it is followed. */
		if (lstat(child, &st) < 0 || S_ISLNK(st.st_mode))
			continue;
		size_t nsub = 0;
		const struct crule *exact = NULL;
		for (size_t i = 0; i < nds; i++) {
			if (!path_is_beneath(ds[i]->path, child))
				continue;
			if (strcmp(ds[i]->path, child) == 0)
				exact = ds[i];
			else
				sub[nsub++] = ds[i];
		}
		uint32_t mc = m;
		if (exact)
			mc &= ~(exact->deny | exact->ask);
		if (!mc)
			continue;
		if (nsub == 0 || !S_ISDIR(st.st_mode))
			r = emit(c, child, mc, false, S_ISDIR(st.st_mode));
		else
			r = carve(c, child, mc, sub, nsub, depth + 1);
		if (r < 0)
			break;
	}
	closedir(dh);
	return r;
}

int policy_add_floor(struct compiled_policy *c, const char *path, uint32_t access,
		     const char *origin)
{
	struct crule *v = realloc(c->rules, (c->n_rules + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->rules = v;
	struct stat st;
	bool exists = stat(path, &st) == 0;
	v[c->n_rules] = (struct crule){
		.path = strdup(path), .shown = strdup(path), .allow = access,
		.origin = { strdup(origin), strdup(origin), strdup(origin) },
		.exists = exists,
		.is_dir = exists && S_ISDIR(st.st_mode),
	};
	struct crule *n = &v[c->n_rules];
	if (!n->path || !n->shown || !n->origin[0] || !n->origin[1] || !n->origin[2]) {
		free(n->path);
		free(n->shown);
		for (int b = 0; b < 3; b++)
			free(n->origin[b]);
		return -ENOMEM;
	}
	c->n_rules++;
	return emit(c, path, access, false, v[c->n_rules - 1].is_dir);
}

int policy_plan_floor(struct compiled_policy *c)
{
	_cleanup_free_ const struct crule **ds = calloc(c->n_rules ? c->n_rules : 1, sizeof(*ds));
	if (!ds)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct crule *a = &c->rules[i];
		if (!a->allow || !a->exists)
			continue;
		size_t nds = 0;
		for (size_t j = 0; j < c->n_rules; j++) {
			const struct crule *d = &c->rules[j];
			/* Absent ones too: the deepest directory that exists is carved, so
			 * the sandbox cannot create what a rule denies (~/.ssh/authorized_keys
			 * where no ~/.ssh exists yet). */
			if (j != i && ((d->deny | d->ask) & a->allow) &&
			    path_is_beneath(d->path, a->path))
				ds[nds++] = d;
		}
		int r = a->is_dir ? carve(c, a->path, a->allow, ds, nds, 0)
				  : emit(c, a->path, a->allow, false, false);
		if (r < 0)
			return r;
	}
	return 0;
}
