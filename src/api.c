/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exported layer: every AIRLOCK_API function lives here. It validates arguments, calls the
 * internal modules and keeps their error codes to the documented set (airlock.h).
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <termios.h>
#include <limits.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "control.h"
#include "dirs.h"
#include "ttyapprove.h"
#include "explain.h"
#include "grants.h"
#include "policy.h"
#include "profile.h"
#include "sandbox.h"
#include "token.h"
#include "util.h"

AIRLOCK_API const char *airlock_version(void)
{
	return AIRLOCK_VERSION;
}

AIRLOCK_API int airlock_policy_new(struct airlock_policy **ret_policy)
{
	if (!ret_policy)
		return -EINVAL;
	struct airlock_policy *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->network = p->unix_sockets = p->path_metadata = UNSET;
	*ret_policy = p;
	return 0;
}

AIRLOCK_API struct airlock_policy *airlock_policy_free(struct airlock_policy *policy)
{
	if (policy) {
		policy_done(policy);
		free(policy);
	}
	return NULL;
}

AIRLOCK_API void airlock_policy_set_log(struct airlock_policy *policy, airlock_log_fn fn,
					void *userdata)
{
	if (!policy)
		return;
	policy->log = fn;
	policy->log_userdata = userdata;
}

AIRLOCK_API int airlock_policy_load_profile(struct airlock_policy *policy, const char *name_or_file,
					    struct airlock_diag *diag)
{
	if (!policy || !name_or_file)
		return -EINVAL;
	policy->errmsg[0] = '\0';
	int r = profile_load(policy, name_or_file, diag);
	if (r < 0 && diag)
		policy_error(policy, r, "%s", diag->message);
	switch (r) {
	case 0: case -ENOENT: case -EINVAL: case -ELOOP: case -EFBIG: case -ENOMEM: case -E2BIG:
		return r;
	case -EISDIR:
		return -EINVAL;
	default:
		return -ENOENT; /* unreadable: EACCES and friends */
	}
}

AIRLOCK_API int airlock_policy_add_rule(struct airlock_policy *policy, const char *path,
					uint32_t access, uint32_t effect, const char *origin)
{
	if (!policy || !path || !*path || !access || (access & ~AIRLOCK_ACCESS_ALL) ||
	    effect > AIRLOCK_EFFECT_ASK)
		return -EINVAL;
	size_t bad;
	if (policy_check_vars(path, &bad) < 0)
		return policy_error(policy, -EINVAL, "unknown variable in rule path");
	struct raw_rule r = {
		.path = (char *)path,
		.access = access,
		.effect = effect,
		.origin = (char *)origin,
		.required = true,
		.layer = policy_new_layer(policy),
	};
	return policy_append_rule(policy, &r);
}

AIRLOCK_API int airlock_policy_set_network(struct airlock_policy *policy, uint32_t mode)
{
	if (!policy || mode > AIRLOCK_NET_ON)
		return -EINVAL;
	policy->network = mode == AIRLOCK_NET_ON ? ON : OFF;
	return 0;
}

AIRLOCK_API int airlock_policy_set_unix_sockets(struct airlock_policy *policy, int allow)
{
	if (!policy)
		return -EINVAL;
	policy->unix_sockets = allow ? ON : OFF;
	return 0;
}

AIRLOCK_API int airlock_policy_set_path_metadata(struct airlock_policy *policy, int allow)
{
	if (!policy)
		return -EINVAL;
	policy->path_metadata = allow ? ON : OFF;
	return 0;
}

static bool valid_env_name(const char *name)
{
	return name && *name && !strchr(name, '=');
}

AIRLOCK_API int airlock_policy_set_env(struct airlock_policy *policy, const char *name,
				       const char *value)
{
	if (!policy || !valid_env_name(name))
		return -EINVAL;
	if (!value)
		return strv_push(&policy->env.pass, name);
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return -ENOMEM;
	return strv_push(&policy->env.literal, kv);
}

AIRLOCK_API int airlock_policy_set_var(struct airlock_policy *policy, const char *name,
				       const char *value)
{
	if (!policy || !name || !value || !policy_var_known(name, strlen(name)) || value[0] != '/')
		return -EINVAL;
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return -ENOMEM;
	return strv_push(&policy->vars, kv);
}

AIRLOCK_API int airlock_policy_format(struct airlock_policy *policy, char **ret_text)
{
	if (!policy || !ret_text)
		return -EINVAL;
	int r = explain_policy(policy, ret_text);
	return r == -ENOMEM || r >= 0 ? r : -EINVAL;
}

AIRLOCK_API int airlock_policy_explain(struct airlock_policy *policy, const char *path,
				       char **ret_text)
{
	if (!policy || !path || !ret_text)
		return -EINVAL;
	int r = explain_path(policy, path, ret_text);
	return r == -ENOMEM || r >= 0 ? r : -EINVAL;
}

AIRLOCK_API const char *airlock_policy_strerror(const struct airlock_policy *policy)
{
	return policy ? policy->errmsg : "";
}

AIRLOCK_API int airlock_profile_list(char ***ret_list)
{
	if (!ret_list)
		return -EINVAL;
	return profile_list(ret_list);
}

AIRLOCK_API int airlock_profile_read(const char *name_or_file, char **ret_json, char **ret_source)
{
	if (!name_or_file || !ret_json)
		return -EINVAL;
	int r = profile_read(name_or_file, ret_json, ret_source);
	return r == -ENOMEM || r == -EFBIG || r >= 0 ? r : r == -EINVAL ? -EINVAL : -ENOENT;
}

AIRLOCK_API int airlock_profile_check(const char *name_or_file, struct airlock_diag *diag)
{
	struct airlock_policy *p = NULL;
	int r = airlock_policy_new(&p);
	if (r < 0)
		return r;
	r = airlock_policy_load_profile(p, name_or_file, diag);
	airlock_policy_free(p);
	return r;
}

AIRLOCK_API int airlock_policy_load_always(struct airlock_policy *policy, struct airlock_diag *diag)
{
	char dir[PATH_MAX];
	_cleanup_free_ char *file = NULL;
	if (!policy)
		return -EINVAL;
	if (dirs_config(dir, sizeof(dir)) < 0)
		return 0;
	file = path_join(dir, "always.json");
	if (!file)
		return -ENOMEM;
	if (access_ok_missing(file))
		return 0;
	return airlock_policy_load_profile(policy, file, diag);
}

AIRLOCK_API void airlock_strv_free(char **strv)
{
	strv_free(strv);
}

AIRLOCK_API int airlock_sandbox_new(struct airlock_policy *policy, uint32_t flags,
				    struct airlock_sandbox **ret_sandbox)
{
	if (!policy || !ret_sandbox ||
	    (flags & ~(AIRLOCK_SANDBOX_STRICT_KERNEL | AIRLOCK_SANDBOX_STATIC)))
		return -EINVAL;
	policy->errmsg[0] = '\0';
	int r = sandbox_new(policy, flags, ret_sandbox);
	switch (r) {
	case 0: case -ENOMEM: case -EOPNOTSUPP:
		return r;
	default:
		return -EINVAL;
	}
}

AIRLOCK_API int airlock_sandbox_set_approver_cmd(struct airlock_sandbox *sandbox, const char *cmd,
						 uint32_t timeout_ms)
{
	if (!sandbox || !cmd || !*cmd || !sandbox->supervised || sandbox->ran)
		return -EINVAL;
	char *copy = strdup(cmd);
	if (!copy)
		return -ENOMEM;
	free(sandbox->sup.approve_cmd);
	sandbox->sup.approve_cmd = copy;
	sandbox->sup.approve_timeout_ms = timeout_ms ? timeout_ms : 60000;
	return 0;
}

AIRLOCK_API int airlock_sandbox_set_approve_timeout(struct airlock_sandbox *sandbox,
						     uint32_t timeout_ms)
{
	if (!sandbox || !sandbox->supervised || sandbox->ran)
		return -EINVAL;
	sandbox->sup.approve_timeout_ms = timeout_ms ? timeout_ms : 60000;
	return 0;
}

AIRLOCK_API int airlock_sandbox_set_audit_file(struct airlock_sandbox *sandbox, const char *path)
{
	if (!sandbox || !path || !*path || !sandbox->supervised || sandbox->ran)
		return -EINVAL;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	free(sandbox->audit_path);
	sandbox->audit_path = copy;
	return 0;
}

static int canonical_arg(const char *path, char **ret)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	int r = policy_canonicalize(path, ret);
	if (r < 0)
		return r == -ENOMEM ? r : -EINVAL;
	if (access(*ret, F_OK) < 0) {
		free(*ret);
		*ret = NULL;
		return -ENOENT;
	}
	return 0;
}

AIRLOCK_API int airlock_sandbox_grant(struct airlock_sandbox *sandbox, const char *path,
				      uint32_t access_bits, uint64_t ttl_s)
{
	_cleanup_free_ char *canon = NULL;
	if (!sandbox || !sandbox->supervised || !access_bits || (access_bits & ~AIRLOCK_ACCESS_ALL) ||
	    ttl_s > UINT64_MAX / 1000000000)
		return -EINVAL;
	int r = canonical_arg(path, &canon);
	if (r < 0)
		return r;
	r = grant_add(sandbox->sup.grants, canon, true, access_bits, GRANT_SESSION,
		      ttl_s * UINT64_C(1000000000), "host", NULL);
	return r < 0 ? r : 0;
}

AIRLOCK_API int airlock_sandbox_revoke(struct airlock_sandbox *sandbox, const char *path)
{
	_cleanup_free_ char *canon = NULL;
	if (!sandbox || !sandbox->supervised)
		return -EINVAL;
	int r = canonical_arg(path, &canon);
	if (r < 0)
		return r;
	return grant_revoke_path(sandbox->sup.grants, canon);
}

AIRLOCK_API int airlock_sandbox_mint_token(struct airlock_sandbox *sandbox, const char *path,
					   uint32_t access_bits, uint64_t ttl_s, uint32_t uses,
					   char **ret_token)
{
	_cleanup_free_ char *canon = NULL;
	char text[TOKEN_TEXT_LEN + 1];
	struct stat st;

	if (!sandbox || !ret_token || !sandbox->supervised || !access_bits ||
	    (access_bits & ~AIRLOCK_ACCESS_ALL) || ttl_s > UINT64_MAX / 1000000000)
		return -EINVAL;
	int r = canonical_arg(path, &canon);
	if (r < 0)
		return r;
	if (stat(canon, &st) < 0)
		return negative_errno();
	/* A token can carry no access that a deny rule withholds: it would redeem to nothing. */
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
		uint32_t effect;
		if ((access_bits & bit) && policy_decide(sandbox->policy, canon, bit, &effect) &&
		    effect == AIRLOCK_EFFECT_DENY)
			return sandbox_error(sandbox, -EPERM, "%s: a deny rule withholds this access",
					     canon);
	}
	r = token_mint(sandbox->sup.tokens, canon, st.st_dev, st.st_ino, access_bits,
		       ttl_s * UINT64_C(1000000000), uses, text, NULL);
	if (r < 0)
		return r;
	*ret_token = strdup(text);
	explicit_bzero(text, sizeof(text));
	return *ret_token ? 0 : -ENOMEM;
}

AIRLOCK_API int airlock_sandbox_revoke_token(struct airlock_sandbox *sandbox, const char *token)
{
	if (!sandbox || !token || !sandbox->supervised)
		return -EINVAL;
	return token_revoke_text(sandbox->sup.tokens, token);
}

AIRLOCK_API struct airlock_sandbox *airlock_sandbox_free(struct airlock_sandbox *sandbox)
{
	return sandbox_free(sandbox);
}

AIRLOCK_API int airlock_sandbox_run(struct airlock_sandbox *sandbox,
				    const struct airlock_run_opts *opts, int *ret_status)
{
	struct airlock_run_opts o = { 0 };

	if (!sandbox || !opts || !ret_status || opts->size < offsetof(struct airlock_run_opts, n_keep_fds))
		return -EINVAL;
	/* Extensible struct: a newer caller's tail must be zero (what we do not know, we must
	 * not silently ignore). */
	for (size_t i = sizeof(o); i < opts->size; i++)
		if (((const unsigned char *)opts)[i])
			return -E2BIG;
	memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	if (!o.argv || !o.argv[0] || !*o.argv[0] ||
	    (o.flags & ~(AIRLOCK_RUN_PTY_AUTO | AIRLOCK_RUN_PROMPT | AIRLOCK_RUN_STDIO)) ||
	    (o.n_keep_fds && !o.keep_fds))
		return -EINVAL;
	for (uint32_t i = 0; i < o.n_keep_fds; i++)
		if (o.keep_fds[i] < 3)
			return -EINVAL;
	if (o.flags & AIRLOCK_RUN_STDIO)
		for (int i = 0; i < 3; i++)
			if (o.stdio[i] < 0 || fcntl(o.stdio[i], F_GETFD) < 0)
				return -EBADF;
	sandbox->errmsg[0] = '\0';
	int r = sandbox_run(sandbox, &o, ret_status);
	switch (r) {
	case 0: case -ENOENT: case -EACCES: case -ENOEXEC: case -ENOMEM: case -EALREADY: case -ECHILD:
	case -EBADF:
		return r;
	case -EISDIR: case -ETXTBSY: case -EPERM: case -ELOOP: case -ENAMETOOLONG: case -ENOTDIR:
		return -EACCES;
	default:
		return -ECHILD;
	}
}

AIRLOCK_API int airlock_sandbox_report(struct airlock_sandbox *sandbox, char **ret_text,
				       char **ret_json)
{
	char *text = NULL, *json = NULL;
	if (!sandbox)
		return -EINVAL;
	if (sandbox->supervised && sandbox->supervisor_ready) {
		int r = supervisor_report(&sandbox->sup, &text, &json);
		if (r < 0)
			return r;
	}
	if (!json && !(json = strdup("[]\n"))) {
		free(text);
		return -ENOMEM;
	}
	if (ret_text)
		*ret_text = text;
	else
		free(text);
	if (ret_json)
		*ret_json = json;
	else
		free(json);
	return 0;
}

AIRLOCK_API const char *airlock_sandbox_strerror(const struct airlock_sandbox *sandbox)
{
	return sandbox ? sandbox->errmsg : "";
}

AIRLOCK_API const char *airlock_sandbox_tmpdir(const struct airlock_sandbox *sandbox)
{
	return sandbox ? sandbox->tmpdir : NULL;
}

AIRLOCK_API int airlock_doctor(char **ret_text)
{
	if (!ret_text)
		return -EINVAL;
	return explain_doctor(ret_text);
}

AIRLOCK_API int airlock_sessions_list(char **ret_json)
{
	json_t *list = NULL;
	if (!ret_json)
		return -EINVAL;
	int r = control_list(&list);
	if (r < 0)
		return r;
	/* What each is waiting for: requests put to a person or an approver right now. */
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *id = json_string_value(json_object_get(e, "id"));
		json_t *req = json_pack("{s:s}", "op", "status"), *reply = NULL;
		char *err = NULL;
		if (id && req && control_request(id, req, &reply, &err) == 0)
		{
			json_object_set(e, "pending", json_object_get(reply, "pending"));
			json_object_set(e, "approvers", json_object_get(reply, "approvers"));
		}
		json_decref(req);
		json_decref(reply);
		free(err);
	}
	*ret_json = json_dumps(list, JSON_INDENT(2));
	json_decref(list);
	return *ret_json ? 0 : -ENOMEM;
}

AIRLOCK_API int airlock_session_control(const char *id_prefix, const char *request_json,
					char **ret_reply_json, char **ret_error)
{
	json_error_t err;
	json_t *reply = NULL;
	if (!request_json || !ret_reply_json || !ret_error)
		return -EINVAL;
	*ret_error = NULL;
	json_t *req = json_loads(request_json, JSON_REJECT_DUPLICATES, &err);
	if (!req || !json_is_object(req)) {
		json_decref(req);
		return -EINVAL;
	}
	int r = control_request(id_prefix, req, &reply, ret_error);
	json_decref(req);
	if (r < 0)
		return r;
	*ret_reply_json = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	return *ret_reply_json ? 0 : -ENOMEM;
}

AIRLOCK_API int airlock_session_follow(const char *id_prefix,
				       void (*fn)(const char *json_line, void *userdata),
				       void *userdata, char **ret_error)
{
	if (!fn || !ret_error)
		return -EINVAL;
	*ret_error = NULL;
	return control_follow(id_prefix, fn, userdata, ret_error);
}

AIRLOCK_API int airlock_session_approve(const char *id_prefix, int in_fd, int out_fd,
					char **ret_error)
{
	struct termios saved, raw;
	if (!ret_error || in_fd < 0 || out_fd < 0)
		return -EINVAL;
	*ret_error = NULL;
	if (tcgetattr(in_fd, &saved) < 0)
		return -ENOTTY;
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(in_fd, TCSANOW, &raw) < 0)
		return negative_errno();
	int r = control_approve(id_prefix, in_fd, out_fd, ret_error);
	tcsetattr(in_fd, TCSADRAIN, &saved);
	return r;
}

AIRLOCK_API int airlock_sandbox_set_approver(struct airlock_sandbox *sandbox,
					     void (*fn)(const struct airlock_request *request,
							void *userdata),
					     void *userdata)
{
	if (!sandbox || !sandbox->supervised || sandbox->ran || !sandbox->sup.tty.ready)
		return -EINVAL;
	sandbox->sup.tty.host_fn = fn;
	sandbox->sup.tty.host_data = userdata;
	return 0;
}

AIRLOCK_API int airlock_sandbox_answer(struct airlock_sandbox *sandbox, uint64_t request_id,
				       int answer)
{
	if (!sandbox || !sandbox->supervised || answer < AIRLOCK_ANSWER_DENY ||
	    answer > AIRLOCK_ANSWER_DIRECTORY)
		return -EINVAL;
	return supervisor_host_answer(&sandbox->sup, request_id, answer);
}

AIRLOCK_API int airlock_sandbox_set_event_callback(struct airlock_sandbox *sandbox,
						   void (*fn)(const char *json_line, void *userdata),
						   void *userdata)
{
	if (!sandbox || sandbox->ran)
		return -EINVAL;
	sandbox->event_fn = fn;
	sandbox->event_data = userdata;
	return 0;
}

AIRLOCK_API int airlock_sandbox_kill(struct airlock_sandbox *sandbox, int sig)
{
	if (!sandbox || sig < 0 || sig >= _NSIG)
		return -EINVAL;
	int pid = atomic_load(&sandbox->child);
	if (pid <= 0)
		return -ESRCH;
	return kill(-pid, sig) < 0 ? negative_errno() : 0;
}

AIRLOCK_API int airlock_sandbox_grants(struct airlock_sandbox *sandbox, char **ret_json)
{
	if (!sandbox || !ret_json || !sandbox->supervised || !sandbox->supervisor_ready)
		return -EINVAL;
	json_t *j = control_grants_json(sandbox);
	*ret_json = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	return *ret_json ? 0 : -ENOMEM;
}
