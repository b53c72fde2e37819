/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonloc.h"
#include "policy.h"
#include "util.h"

/* jansson >= 2.14 has json_auto_t; spell it out for older ones. */
static inline void json_unrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ _cleanup_(json_unrefp)

/* One profile document being validated. */
struct doc {
	const char *text;
	size_t len;
	const char *source; /* file path, or "built-in profile NAME" */
	struct jsonloc_step path[8];
	size_t depth;
};

struct load_ctx {
	struct airlock_policy staged; /* everything read so far; merged into the policy at the end */
	struct airlock_diag *diag;
	char *stack[PROFILE_MAX_DEPTH];
	size_t depth;
};

static int fail_at(struct load_ctx *ctx, const struct doc *d, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail_at(struct load_ctx *ctx, const struct doc *d, int r, const char *fmt, ...)
{
	struct airlock_diag *diag = ctx->diag;
	if (!diag)
		return r;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
	va_end(ap);
	diag->line = diag->column = 0;
	snprintf(diag->file, sizeof(diag->file), "%s", d ? d->source : "");
	if (d && d->text) {
		unsigned line, col;
		if (jsonloc_find(d->text, d->len, d->path, d->depth, &line, &col) == 0) {
			diag->line = line;
			diag->column = col;
		}
	}
	return r;
}

static bool is_file_reference(const char *name)
{
	size_t n = strlen(name);
	return strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static bool valid_profile_name(const char *name)
{
	if (!*name || strlen(name) > 64 || name[0] == '.')
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.", *c))
			return false;
	return true;
}

int profile_user_dir(char **ret)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *dir;
	if (xdg && xdg[0] == '/')
		dir = path_join(xdg, "airlock/profiles");
	else if (home && home[0] == '/')
		dir = path_join(home, ".config/airlock/profiles");
	else
		return -ENOENT;
	if (!dir)
		return -ENOMEM;
	*ret = dir;
	return 0;
}

static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size > PROFILE_MAX_SIZE)
		return -EFBIG;
	_cleanup_free_ char *buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negative_errno();
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret_len = got;
	*ret = TAKE_PTR(buf);
	return 0;
}

/* Find a profile's text. *ret_source names it for people, *ret_id for cycle detection, and
 * *ret_dir is where relative "extends" files are looked up (NULL for built-ins). */
static int resolve(const char *name, const char *basedir, char **ret_text, size_t *ret_len,
		   char **ret_source, char **ret_id, char **ret_dir)
{
	_cleanup_free_ char *file = NULL;
	int r;

	if (is_file_reference(name)) {
		if (name[0] == '/' || !basedir)
			file = strdup(name);
		else
			file = path_join(basedir, name);
		if (!file)
			return -ENOMEM;
	} else {
		if (!valid_profile_name(name))
			return -EINVAL;
		_cleanup_free_ char *dir = NULL;
		if (profile_user_dir(&dir) == 0) {
			_cleanup_free_ char *base = NULL;
			if (asprintf(&base, "%s.json", name) < 0)
				return -ENOMEM;
			_cleanup_free_ char *candidate = path_join(dir, base);
			if (!candidate)
				return -ENOMEM;
			if (access(candidate, F_OK) == 0)
				file = TAKE_PTR(candidate);
		}
		if (!file) {
			for (const struct builtin_profile *b = builtin_profiles; b->name; b++) {
				if (strcmp(b->name, name) != 0)
					continue;
				char *text = malloc(b->len + 1);
				if (!text)
					return -ENOMEM;
				memcpy(text, b->json, b->len);
				text[b->len] = '\0';
				*ret_text = text;
				*ret_len = b->len;
				if (asprintf(ret_source, "built-in profile '%s'", name) < 0 ||
				    asprintf(ret_id, "builtin:%s", name) < 0)
					return -ENOMEM;
				*ret_dir = NULL;
				return 0;
			}
			return -ENOENT;
		}
	}

	r = read_file(file, ret_text, ret_len);
	if (r < 0)
		return r;
	char real[PATH_MAX];
	if (!realpath(file, real))
		snprintf(real, sizeof(real), "%s", file);
	*ret_id = strdup(real);
	char *slash = strrchr(real, '/');
	if (slash)
		*slash = '\0';
	*ret_dir = strdup(slash == real ? "/" : real);
	*ret_source = TAKE_PTR(file);
	if (!*ret_id || !*ret_dir)
		return -ENOMEM;
	return 0;
}

static void doc_push_key(struct doc *d, const char *key)
{
	d->path[d->depth++] = (struct jsonloc_step){ .key = key };
}
static void doc_push_index(struct doc *d, size_t i)
{
	d->path[d->depth++] = (struct jsonloc_step){ .index = i };
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Check that every key of obj is in allowed (NULL-terminated). */
static int check_keys(struct load_ctx *ctx, struct doc *d, json_t *obj, const char *what,
		      const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			ok = ok || strcmp(*a, key) == 0;
		if (ok)
			continue;
		struct strbuf list = { 0 };
		for (const char *const *a = allowed; *a; a++)
			sb_printf(&list, "%s%s", a == allowed ? "" : ", ", *a);
		doc_push_key(d, key);
		struct strbuf esc = { 0 };
		sb_append_escaped(&esc, key);
		int r = fail_at(ctx, d, -EINVAL, "%s: unknown key \"%s\" (expected one of: %s)", what,
				esc.s ? esc.s : "", list.s ? list.s : "");
		sb_done(&list);
		sb_done(&esc);
		return r;
	}
	return 0;
}

/* A string without embedded NUL. */
static int get_string(struct load_ctx *ctx, struct doc *d, json_t *v, const char *what,
		      const char **ret)
{
	if (!json_is_string(v))
		return fail_at(ctx, d, -EINVAL, "%s must be a string, not %s", what, json_kind(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_at(ctx, d, -EINVAL, "%s contains a NUL character", what);
	*ret = json_string_value(v);
	return 0;
}

static int get_choice(struct load_ctx *ctx, struct doc *d, json_t *v, const char *what,
		      const char *on, const char *off, int *ret)
{
	const char *s;
	int r = get_string(ctx, d, v, what, &s);
	if (r < 0)
		return r;
	if (strcmp(s, on) == 0)
		*ret = ON;
	else if (strcmp(s, off) == 0)
		*ret = OFF;
	else
		return fail_at(ctx, d, -EINVAL, "%s must be \"%s\" or \"%s\"", what, on, off);
	return 0;
}

static int get_strv(struct load_ctx *ctx, struct doc *d, json_t *v, const char *what,
		    char ***ret)
{
	if (!json_is_array(v))
		return fail_at(ctx, d, -EINVAL, "%s must be an array of strings", what);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		const char *s;
		doc_push_index(d, i);
		int r = get_string(ctx, d, e, what, &s);
		if (r < 0)
			return r;
		if (!*s)
			return fail_at(ctx, d, -EINVAL, "%s: empty entry", what);
		d->depth--;
		if (strv_push(ret, s) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int load_rule(struct load_ctx *ctx, struct doc *d, json_t *obj, unsigned layer,
		     unsigned line, unsigned col)
{
	static const char *const keys[] = { "path", "allow", "deny", "ask", "group", "comment",
					    "exact", NULL };
	static const char *const effects[] = { "allow", "deny", "ask" };
	struct raw_rule rule = { .layer = layer };
	const char *s;
	int r, n_effects = 0;

	if (!json_is_object(obj))
		return fail_at(ctx, d, -EINVAL, "a filesystem rule must be an object, not %s",
			       json_kind(obj));
	r = check_keys(ctx, d, obj, "filesystem rule", keys);
	if (r < 0)
		return r;

	json_t *path = json_object_get(obj, "path");
	if (!path)
		return fail_at(ctx, d, -EINVAL, "filesystem rule has no \"path\"");
	doc_push_key(d, "path");
	r = get_string(ctx, d, path, "\"path\"", &s);
	if (r < 0)
		return r;
	if (s[0] != '/' && s[0] != '$' && s[0] != '~')
		return fail_at(ctx, d, -EINVAL,
			       "\"path\" must be absolute or start with a variable ($HOME, $CWD, ...)");
	if (s[0] == '~' && s[1] != '/' && s[1] != '\0')
		return fail_at(ctx, d, -EINVAL, "\"~user\" paths are not supported; use $HOME");
	size_t bad;
	if (policy_check_vars(s, &bad) < 0)
		return fail_at(ctx, d, -EINVAL,
			       "unknown variable at offset %zu of \"path\" (known: $HOME, $CWD, $TMPDIR, "
			       "$XDG_CONFIG_HOME, $XDG_DATA_HOME, $XDG_CACHE_HOME, $XDG_STATE_HOME, "
			       "$XDG_RUNTIME_DIR)", bad);
	rule.path = (char *)s;
	d->depth--;

	for (unsigned i = 0; i < ELEMENTSOF(effects); i++) {
		json_t *v = json_object_get(obj, effects[i]);
		if (!v)
			continue;
		n_effects++;
		doc_push_key(d, effects[i]);
		r = get_string(ctx, d, v, effects[i], &s);
		if (r < 0)
			return r;
		if (access_parse(s, &rule.access) < 0)
			return fail_at(ctx, d, -EINVAL,
				       "\"%s\" must be access letters from \"rwx\" (read, write, exec), "
				       "like \"r\", \"rw\" or \"rx\"", effects[i]);
		d->depth--;
		rule.effect = i == 0 ? AIRLOCK_EFFECT_ALLOW : i == 1 ? AIRLOCK_EFFECT_DENY : AIRLOCK_EFFECT_ASK;
	}
	if (n_effects != 1)
		return fail_at(ctx, d, -EINVAL,
			       "a filesystem rule needs exactly one of \"allow\", \"deny\" or \"ask\"");

	json_t *group = json_object_get(obj, "group");
	if (group) {
		doc_push_key(d, "group");
		r = get_string(ctx, d, group, "\"group\"", &s);
		if (r < 0)
			return r;
		rule.group = (char *)s;
		d->depth--;
	}
	json_t *comment = json_object_get(obj, "comment");
	if (comment && !json_is_string(comment)) {
		doc_push_key(d, "comment");
		return fail_at(ctx, d, -EINVAL, "\"comment\" must be a string");
	}
	json_t *exact = json_object_get(obj, "exact");
	if (exact) {
		doc_push_key(d, "exact");
		if (!json_is_boolean(exact))
			return fail_at(ctx, d, -EINVAL, "\"exact\" must be true or false");
		if (json_is_true(exact) && strpbrk(rule.path, "*?[$~"))
			return fail_at(ctx, d, -EINVAL, "an \"exact\" rule names one path: no variables, "
				       "no ~, no patterns");
		rule.exact = json_is_true(exact);
		d->depth--;
	}

	_cleanup_free_ char *origin = NULL;
	if (asprintf(&origin, "%s:%u:%u", d->source, line, col) < 0)
		return -ENOMEM;
	rule.origin = origin;
	return policy_append_rule(&ctx->staged, &rule);
}

static int load_environment(struct load_ctx *ctx, struct doc *d, json_t *obj)
{
	static const char *const keys[] = { "allow", "deny", "keep", "set", "comment", NULL };
	struct env_policy *env = &ctx->staged.env;
	int r;

	if (!json_is_object(obj))
		return fail_at(ctx, d, -EINVAL, "\"environment\" must be an object");
	r = check_keys(ctx, d, obj, "environment", keys);
	if (r < 0)
		return r;
	json_t *v;
	if ((v = json_object_get(obj, "allow"))) {
		doc_push_key(d, "allow");
		/* A later layer's allow list replaces the earlier one. */
		env->allow = strv_free(env->allow);
		if (json_array_size(v) == 0 && json_is_array(v) && strv_push(&env->allow, "") < 0)
			return -ENOMEM;
		r = get_strv(ctx, d, v, "environment.allow", &env->allow);
		if (r < 0)
			return r;
		d->depth--;
	}
	if ((v = json_object_get(obj, "deny"))) {
		doc_push_key(d, "deny");
		r = get_strv(ctx, d, v, "environment.deny", &env->deny);
		if (r < 0)
			return r;
		d->depth--;
	}
	if ((v = json_object_get(obj, "keep"))) {
		doc_push_key(d, "keep");
		r = get_strv(ctx, d, v, "environment.keep", &env->keep);
		if (r < 0)
			return r;
		d->depth--;
	}
	if ((v = json_object_get(obj, "set"))) {
		doc_push_key(d, "set");
		if (!json_is_object(v))
			return fail_at(ctx, d, -EINVAL, "environment.set must be an object of strings");
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val) {
			const char *s;
			doc_push_key(d, key);
			if (!*key || strchr(key, '='))
				return fail_at(ctx, d, -EINVAL, "environment.set: bad variable name");
			r = get_string(ctx, d, val, "environment.set value", &s);
			if (r < 0)
				return r;
			size_t bad;
			if (policy_check_vars(s, &bad) < 0)
				return fail_at(ctx, d, -EINVAL,
					       "environment.set: unknown variable at offset %zu", bad);
			d->depth--;
			_cleanup_free_ char *kv = NULL;
			if (asprintf(&kv, "%s=%s", key, s) < 0 || strv_push(&env->set, kv) < 0)
				return -ENOMEM;
		}
		d->depth--;
	}
	return 0;
}

static int load_one(struct load_ctx *ctx, const char *name, const char *basedir, struct doc *from)
{
	_cleanup_free_ char *text = NULL, *source = NULL, *id = NULL, *dir = NULL;
	_cleanup_json_ json_t *root = NULL;
	size_t len = 0;
	int r;

	r = resolve(name, basedir, &text, &len, &source, &id, &dir);
	if (r < 0) {
		/* Blame the "extends" that named it, if any. */
		struct doc nodoc = { .source = is_file_reference(name) ? name : "" };
		if (from)
			nodoc = *from;
		struct strbuf esc = { 0 };
		sb_append_escaped(&esc, name);
		const char *n = esc.s ? esc.s : "";
		switch (r) {
		case -ENOENT:
			r = fail_at(ctx, &nodoc, r, is_file_reference(name) ? "no such profile file: %s"
					: "no profile named '%s' (see 'airlock profile list')", n);
			break;
		case -EINVAL:
			r = fail_at(ctx, &nodoc, r, is_file_reference(name) ? "not a regular file: %s"
					: "'%s' is not a valid profile name (letters, digits, '-', '_', '.')", n);
			break;
		case -EFBIG:
			r = fail_at(ctx, &nodoc, r, "profile %s is larger than %d bytes", n, PROFILE_MAX_SIZE);
			break;
		default:
			r = fail_at(ctx, &nodoc, r, "cannot read profile '%s': %s", n, strerror(-r));
		}
		sb_done(&esc);
		return r;
	}

	struct doc d = { .text = text, .len = len, .source = source };
	for (size_t i = 0; i < ctx->depth; i++)
		if (strcmp(ctx->stack[i], id) == 0)
			return fail_at(ctx, &d, -ELOOP, "\"extends\" cycle: this profile extends itself");
	if (ctx->depth >= PROFILE_MAX_DEPTH)
		return fail_at(ctx, &d, -ELOOP, "\"extends\" nested deeper than %d", PROFILE_MAX_DEPTH);

	json_error_t err;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		/* jansson counts columns in characters from 1; keep its position. */
		fail_at(ctx, NULL, -EINVAL, "%s", err.text);
		if (ctx->diag) {
			snprintf(ctx->diag->file, sizeof(ctx->diag->file), "%s", source);
			ctx->diag->line = err.line > 0 ? (uint32_t)err.line : 0;
			ctx->diag->column = err.column > 0 ? (uint32_t)err.column : 0;
		}
		return -EINVAL;
	}
	if (!json_is_object(root))
		return fail_at(ctx, &d, -EINVAL, "a profile must be a JSON object, not %s", json_kind(root));

	static const char *const keys[] = { "description", "extends", "filesystem", "network",
					    "unix_sockets", "path_metadata", "environment",
					    "comment", NULL };
	r = check_keys(ctx, &d, root, "profile", keys);
	if (r < 0)
		return r;
	json_t *v;
	if ((v = json_object_get(root, "description")) && !json_is_string(v)) {
		doc_push_key(&d, "description");
		return fail_at(ctx, &d, -EINVAL, "\"description\" must be a string");
	}

	ctx->stack[ctx->depth++] = id;
	if ((v = json_object_get(root, "extends"))) {
		_cleanup_strv_free_ char **parents = NULL;
		doc_push_key(&d, "extends");
		if (json_is_string(v)) {
			const char *s;
			r = get_string(ctx, &d, v, "\"extends\"", &s);
			if (r < 0 || (r = strv_push(&parents, s)) < 0)
				goto out;
		} else {
			r = get_strv(ctx, &d, v, "\"extends\"", &parents);
			if (r < 0)
				goto out;
		}
		for (size_t i = 0; parents && parents[i]; i++) {
			r = load_one(ctx, parents[i], dir, &d);
			if (r < 0)
				goto out;
		}
		d.depth--;
	}

	unsigned layer = policy_new_layer(&ctx->staged);
	if ((v = json_object_get(root, "filesystem"))) {
		doc_push_key(&d, "filesystem");
		if (!json_is_array(v)) {
			r = fail_at(ctx, &d, -EINVAL, "\"filesystem\" must be an array of rules");
			goto out;
		}
		/* Every rule remembers where it was written; find them all in one pass. */
		size_t i, n = json_array_size(v);
		json_t *e;
		_cleanup_free_ unsigned *lines = calloc(n ? n : 1, sizeof(unsigned));
		_cleanup_free_ unsigned *cols = calloc(n ? n : 1, sizeof(unsigned));
		if (!lines || !cols) {
			r = -ENOMEM;
			goto out;
		}
		jsonloc_elements(text, len, d.path, d.depth, n, lines, cols);
		json_array_foreach(v, i, e) {
			doc_push_index(&d, i);
			r = load_rule(ctx, &d, e, layer, lines[i], cols[i]);
			if (r < 0)
				goto out;
			d.depth--;
		}
		d.depth--;
	}
	if ((v = json_object_get(root, "network"))) {
		doc_push_key(&d, "network");
		r = get_choice(ctx, &d, v, "\"network\"", "on", "off", &ctx->staged.network);
		if (r < 0)
			goto out;
		d.depth--;
	}
	if ((v = json_object_get(root, "unix_sockets"))) {
		doc_push_key(&d, "unix_sockets");
		r = get_choice(ctx, &d, v, "\"unix_sockets\"", "allow", "deny", &ctx->staged.unix_sockets);
		if (r < 0)
			goto out;
		d.depth--;
	}
	if ((v = json_object_get(root, "path_metadata"))) {
		doc_push_key(&d, "path_metadata");
		r = get_choice(ctx, &d, v, "\"path_metadata\"", "allow", "deny", &ctx->staged.path_metadata);
		if (r < 0)
			goto out;
		d.depth--;
	}
	if ((v = json_object_get(root, "environment"))) {
		doc_push_key(&d, "environment");
		r = load_environment(ctx, &d, v);
		if (r < 0)
			goto out;
		d.depth--;
	}
	r = strv_push(&ctx->staged.profiles, source);
out:
	ctx->depth--;
	return r;
}

/* Move the staged layers onto p. Everything that can fail happens before p is touched, so a
 * failed load leaves the policy exactly as it was. */
static int merge(struct airlock_policy *p, struct airlock_policy *s)
{
	if (p->n_rules + s->n_rules > POLICY_MAX_RULES)
		return -E2BIG;

	char **const *cur[] = { &p->env.deny, &p->env.keep, &p->env.set, &p->profiles };
	char **const *add[] = { &s->env.deny, &s->env.keep, &s->env.set, &s->profiles };
	char **merged[ELEMENTSOF(cur)] = { NULL };
	int r = 0;
	for (size_t k = 0; k < ELEMENTSOF(cur) && r == 0; k++) {
		for (size_t i = 0; r == 0 && *cur[k] && (*cur[k])[i]; i++)
			r = strv_push(&merged[k], (*cur[k])[i]);
		for (size_t i = 0; r == 0 && *add[k] && (*add[k])[i]; i++)
			r = strv_push(&merged[k], (*add[k])[i]);
	}
	struct raw_rule *rules = r == 0 ? realloc(p->rules, (p->n_rules + s->n_rules + 1) * sizeof(*rules))
					: NULL;
	if (!rules) {
		for (size_t k = 0; k < ELEMENTSOF(cur); k++)
			strv_free(merged[k]);
		return -ENOMEM;
	}

	p->rules = rules;
	for (size_t i = 0; i < s->n_rules; i++) {
		p->rules[p->n_rules] = s->rules[i];
		p->rules[p->n_rules].layer += p->n_layers;
		p->n_rules++;
	}
	free(s->rules);
	s->rules = NULL;
	s->n_rules = 0;
	p->n_layers += s->n_layers;

	char ***dst[] = { &p->env.deny, &p->env.keep, &p->env.set, &p->profiles };
	for (size_t k = 0; k < ELEMENTSOF(dst); k++) {
		strv_free(*dst[k]);
		*dst[k] = merged[k];
	}
	if (s->env.allow) {
		strv_free(p->env.allow);
		p->env.allow = TAKE_PTR(s->env.allow);
	}
	if (s->network != UNSET)
		p->network = s->network;
	if (s->unix_sockets != UNSET)
		p->unix_sockets = s->unix_sockets;
	if (s->path_metadata != UNSET)
		p->path_metadata = s->path_metadata;
	return 0;
}

int profile_load(struct airlock_policy *p, const char *name_or_file, struct airlock_diag *diag)
{
	struct load_ctx ctx = { .diag = diag };
	ctx.staged.network = ctx.staged.unix_sockets = ctx.staged.path_metadata = UNSET;
	if (diag)
		memset(diag, 0, sizeof(*diag));

	int r = load_one(&ctx, name_or_file, NULL, NULL);
	if (r == 0) {
		r = merge(p, &ctx.staged);
		if (r < 0 && diag)
			snprintf(diag->message, sizeof(diag->message), "%s", strerror(-r));
	}
	policy_done(&ctx.staged);
	return r;
}

int profile_read(const char *name_or_file, char **ret_json, char **ret_source)
{
	_cleanup_free_ char *text = NULL, *source = NULL, *id = NULL, *dir = NULL;
	size_t len;
	int r = resolve(name_or_file, NULL, &text, &len, &source, &id, &dir);
	if (r < 0)
		return r;
	*ret_json = TAKE_PTR(text);
	if (ret_source)
		*ret_source = TAKE_PTR(source);
	return 0;
}

static int describe(const char *text, size_t len, char **ret)
{
	json_t *root = json_loadb(text, len, 0, NULL);
	const char *desc = root ? json_string_value(json_object_get(root, "description")) : NULL;
	struct strbuf b = { 0 };
	sb_append_escaped(&b, desc ? desc : (root ? "" : "(does not parse)"));
	if (root)
		json_decref(root);
	return sb_take(&b, ret);
}

int profile_list(char ***ret)
{
	_cleanup_strv_free_ char **list = NULL;
	_cleanup_free_ char *dir = NULL;
	int r;

	if (profile_user_dir(&dir) == 0) {
		_cleanup_strv_free_ char **names = NULL;
		DIR *dh = opendir(dir);
		struct dirent *de;
		while (dh && (de = readdir(dh))) {
			size_t n = strlen(de->d_name);
			if (n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0)
				continue;
			_cleanup_free_ char *name = strndup(de->d_name, n - 5);
			if (!name || !valid_profile_name(name))
				continue;
			_cleanup_free_ char *file = path_join(dir, de->d_name);
			_cleanup_free_ char *text = NULL, *desc = NULL, *line = NULL;
			size_t len;
			if (!file || read_file(file, &text, &len) < 0 || describe(text, len, &desc) < 0)
				continue;
			if (asprintf(&line, "%s\t%s\t%s", name, file, desc) < 0)
				break;
			r = strv_push(&names, line);
			if (r < 0)
				break;
		}
		if (dh)
			closedir(dh);
		for (size_t i = 0; names && names[i]; i++)
			if ((r = strv_push(&list, names[i])) < 0)
				return r;
	}
	for (const struct builtin_profile *b = builtin_profiles; b->name; b++) {
		_cleanup_free_ char *desc = NULL, *line = NULL;
		if ((r = describe(b->json, b->len, &desc)) < 0)
			return r;
		if (asprintf(&line, "%s\tbuilt-in\t%s", b->name, desc) < 0)
			return -ENOMEM;
		if ((r = strv_push(&list, line)) < 0)
			return r;
	}
	*ret = TAKE_PTR(list);
	return 0;
}
