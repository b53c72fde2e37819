/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "env.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

static const char *const injection_prefixes[] = { "LD_", "BASH_FUNC_" };
static const char *const injection_names[] = {
	"BASH_ENV", "ENV", "PROMPT_COMMAND", "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH", "NLSPATH",
	"PYTHONSTARTUP", "PYTHONINSPECT", "NODE_OPTIONS", "NODE_REPL_EXTERNAL_MODULE", "PERL5OPT",
	"PERL5LIB", "PERLLIB", "PERL5DB", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
	"JDK_JAVA_OPTIONS",
};

bool env_is_injection(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(injection_prefixes); i++)
		if (strncmp(name, injection_prefixes[i], strlen(injection_prefixes[i])) == 0)
			return true;
	for (size_t i = 0; i < ELEMENTSOF(injection_names); i++)
		if (strcmp(name, injection_names[i]) == 0)
			return true;
	return false;
}

static bool matches_any(char *const *patterns, const char *name)
{
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return true;
	return false;
}

int env_put(char ***env, const char *kv)
{
	size_t n = strcspn(kv, "=");
	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, n) == 0 && (*env)[i][n] == '=') {
			char *copy = strdup(kv);
			if (!copy)
				return -ENOMEM;
			free((*env)[i]);
			(*env)[i] = copy;
			return 0;
		}
	}
	return strv_push(env, kv);
}

int env_build(const struct airlock_policy *p, const struct policy_vars *vars, char *const *host,
	      char ***ret_envp, char ***ret_dropped)
{
	_cleanup_strv_free_ char **env = NULL, **dropped = NULL;
	const struct env_policy *e = &p->env;
	int r;

	for (size_t i = 0; host && host[i]; i++) {
		const char *kv = host[i];
		size_t n = strcspn(kv, "=");
		if (kv[n] != '=' || n == 0)
			continue;
		_cleanup_free_ char *name = strndup(kv, n);
		if (!name)
			return -ENOMEM;
		bool keep;
		if (strv_contains(e->pass, name))
			keep = true;
		else if (e->allow && !matches_any(e->allow, name))
			keep = false;
		else if (matches_any(e->deny, name))
			keep = false;
		else if (env_is_injection(name) && !strv_contains(e->keep, name))
			keep = false;
		else
			keep = true;
		/* The session's own TMPDIR replaces the host's. */
		if (strcmp(name, "TMPDIR") == 0 && vars->tmpdir)
			keep = false;
		r = keep ? env_put(&env, kv) : strv_push(&dropped, name);
		if (r < 0)
			return r;
	}
	if (vars->tmpdir) {
		_cleanup_free_ char *kv = NULL;
		if (asprintf(&kv, "TMPDIR=%s", vars->tmpdir) < 0 || env_put(&env, kv) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; e->set && e->set[i]; i++) {
		_cleanup_free_ char *kv = NULL, *err = NULL;
		r = policy_expand(e->set[i], vars, &kv, &err);
		if (r < 0)
			return r;
		if ((r = env_put(&env, kv)) < 0)
			return r;
	}
	/* Values given on the command line are taken as they are, never expanded. */
	for (size_t i = 0; e->literal && e->literal[i]; i++)
		if ((r = env_put(&env, e->literal[i])) < 0)
			return r;
	/* Lets a program (or a person in a shell) know it runs sandboxed. */
	if ((r = env_put(&env, "AIRLOCK=1")) < 0)
		return r;
	*ret_envp = TAKE_PTR(env);
	if (ret_dropped)
		*ret_dropped = TAKE_PTR(dropped);
	return 0;
}
