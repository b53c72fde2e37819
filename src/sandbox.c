/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "audit.h"
#include "cleanup.h"
#include "env.h"
#include "filter.h"
#include "util.h"

extern char **environ;

int sandbox_error(struct airlock_sandbox *sb, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sb->errmsg, sizeof(sb->errmsg), fmt, ap);
	va_end(ap);
	return r;
}

void sandbox_log(const struct airlock_sandbox *sb, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vcall(sb->log, sb->log_userdata, level, fmt, ap);
	va_end(ap);
}

#define HELD_MAX 64

void sandbox_gated_log(int level, const char *msg, void *userdata)
{
	struct airlock_sandbox *sb = userdata;
	pthread_mutex_lock(&sb->log_lock);
	if (!sb->log_held) {
		if (sb->log)
			sb->log(level, msg, sb->log_userdata);
	} else if (strv_length(sb->held) >= HELD_MAX) {
		sb->held_dropped++;
	} else {
		/* The level travels as the first character: '0' + level. */
		char *line = NULL;
		if (asprintf(&line, "%c%s", '0' + (level & 7), msg) < 0 || strv_push(&sb->held, line) < 0)
			sb->held_dropped++;
		free(line);
	}
	pthread_mutex_unlock(&sb->log_lock);
}

void sandbox_hold_log(struct airlock_sandbox *sb, bool hold)
{
	pthread_mutex_lock(&sb->log_lock);
	sb->log_held = hold;
	if (!hold) {
		for (char **l = sb->held; l && *l; l++)
			if (sb->log)
				sb->log((*l)[0] - '0', *l + 1, sb->log_userdata);
		if (sb->held_dropped && sb->log) {
			char msg[96];
			snprintf(msg, sizeof(msg), "(%u more messages while you were asked)", sb->held_dropped);
			sb->log(AIRLOCK_LOG_NOTICE, msg, sb->log_userdata);
		}
		sb->held = strv_free(sb->held);
		sb->held_dropped = 0;
	}
	pthread_mutex_unlock(&sb->log_lock);
}

int rm_rf_at(int parent, const char *name)
{
	/* O_NOFOLLOW|O_DIRECTORY: a symlink planted by the sandbox is unlinked, never entered. */
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(parent, name, 0) < 0 ? negative_errno() : 0;
		return errno == ENOENT ? 0 : negative_errno();
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return negative_errno();
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int k = rm_rf_at(dirfd(d), de->d_name);
		if (k < 0 && r == 0)
			r = k;
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = negative_errno();
	return r;
}

/*
 * Can this kernel supervise? User notification (5.0) with ADDFD (5.9). The seccomp actions the
 * kernel lists say the first; the release the second. AIRLOCK_SECCOMP_NOTIFY=0 shows (and
 * tests) what airlock does on a kernel without them.
 */
static bool kernel_can_supervise(void)
{
	const char *knob = secure_getenv("AIRLOCK_SECCOMP_NOTIFY");
	if (knob && !strcmp(knob, "0"))
		return false;
	char buf[512] = "";
	int fd = open("/proc/sys/kernel/seccomp/actions_avail", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (!strstr(buf, "user_notif"))
		return false;
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 9);
}

static int make_session_dir(char *buf, size_t size)
{
	const char *bases[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	for (size_t i = 0; i < ELEMENTSOF(bases); i++) {
		if (!bases[i] || bases[i][0] != '/')
			continue;
		snprintf(buf, size, "%s/airlock-XXXXXX", bases[i]);
		if (mkdtemp(buf))
			return 0;
	}
	return negative_errno();
}

static void log_notices(struct airlock_sandbox *sb)
{
	struct compiled_policy *c = sb->policy;
	for (size_t i = 0; c->notices && c->notices[i]; i++)
		sandbox_log(sb, AIRLOCK_LOG_NOTICE, "%s", c->notices[i]);
	if (c->has_ask && !sb->supervised)
		sandbox_log(sb, AIRLOCK_LOG_INFO, "--static: \"ask\" rules deny (no supervisor to ask)");
	if (c->carved && !sb->supervised) {
		struct strbuf b = { 0 };
		size_t n = strv_length(c->carved);
		for (size_t i = 0; i < n && i < 3; i++) {
			sb_append(&b, i ? ", " : "");
			sb_append_escaped(&b, c->carved[i]);
		}
		sandbox_log(sb, AIRLOCK_LOG_NOTICE,
			    "deny inside allow: %s%s granted entry by entry, so entries created there "
			    "after start are not accessible, and its entries cannot be renamed or "
			    "removed (names inside denied directories stay listable)",
			    b.s ? b.s : "", n > 3 ? ", ... are" : n > 1 ? " are" : " is");
		sb_done(&b);
	}
	_cleanup_strv_free_ char **deg = NULL;
	if (ll_degradations(&sb->abi, !c->network, &deg) == 0)
		for (size_t i = 0; deg && deg[i]; i++)
			sandbox_log(sb, AIRLOCK_LOG_WARNING, "Landlock %s", deg[i]);
}

int sandbox_new(struct airlock_policy *p, uint32_t flags, struct airlock_sandbox **ret)
{
	struct airlock_sandbox *sb = calloc(1, sizeof(*sb));
	_cleanup_strv_free_ char **storage = NULL, **dropped = NULL;
	_cleanup_free_ char *errpath = NULL;
	struct policy_vars vars;
	int r;

	if (!sb)
		return -ENOMEM;
	sb->ruleset_fd = -EBADF;
	pthread_mutex_init(&sb->log_lock, NULL);
	sb->flags = flags;
	sb->log = p->log;
	sb->log_userdata = p->log_userdata;

	ll_probe(&sb->abi);
	if (sb->abi.abi == 0) {
		r = policy_error(p, -EOPNOTSUPP,
				 "this kernel has no Landlock (%s): airlock cannot confine the filesystem",
				 strerror(sb->abi.unavailable_errno));
		goto fail;
	}
	if ((flags & AIRLOCK_SANDBOX_STRICT_KERNEL) && sb->abi.abi < 6) {
		r = policy_error(p, -EOPNOTSUPP,
				 "--strict-kernel: Landlock ABI %d lacks rights airlock handles (ABI 6 "
				 "is needed for all of them); run without --strict-kernel to degrade",
				 sb->abi.abi);
		goto fail;
	}

	r = make_session_dir(sb->tmpdir, sizeof(sb->tmpdir));
	if (r < 0) {
		sb->tmpdir[0] = '\0';
		policy_error(p, r, "cannot create the session directory: %s", strerror(-r));
		goto fail;
	}
	r = policy_vars_init(p, sb->tmpdir, &vars, &storage);
	if (r < 0) {
		policy_error(p, r, "cannot determine the current directory: %s", strerror(-r));
		goto fail;
	}
	/* The session directory is the child's TMPDIR: always readable and writable. */
	struct raw_rule tmprule = { .path = sb->tmpdir, .access = AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE,
				    .effect = AIRLOCK_EFFECT_ALLOW, .origin = (char *)"session TMPDIR",
				    .layer = p->n_layers };
	r = policy_append_rule(p, &tmprule);
	if (r < 0)
		goto fail;
	r = policy_compile(p, &vars, &sb->policy);
	/* The session rule belongs to this sandbox, not to the caller's policy. */
	p->n_rules--;
	free(p->rules[p->n_rules].path);
	free(p->rules[p->n_rules].origin);
	if (r < 0)
		goto fail;

	r = ll_build(&sb->abi, sb->policy, &sb->ruleset_fd, &errpath);
	if (r < 0) {
		policy_error(p, r, "cannot build the Landlock ruleset%s%s: %s", errpath ? " at " : "",
			     errpath ? errpath : "", strerror(-r));
		goto fail;
	}
	struct filter_opts fo = {
		.net_off = !sb->policy->network,
		.unix_sockets = sb->policy->unix_sockets,
		.path_metadata = sb->policy->path_metadata,
		.protect_pid = sb->abi.abi < 6 ? getpid() : 0,
		.notify = !(flags & AIRLOCK_SANDBOX_STATIC),
	};
	if (fo.notify && !kernel_can_supervise()) {
		/* Degrade, and say so: the floor and the static filter still hold. */
		sandbox_log(sb, AIRLOCK_LOG_WARNING,
			    "this kernel cannot supervise (seccomp user notification with fd "
			    "injection needs Linux 5.9): running without a supervisor, as --static: "
			    "no runtime grants, \"ask\" denies");
		fo.notify = false;
	}
	fo.unix_mediated = fo.notify && !fo.unix_sockets;
	sb->supervised = fo.notify;
	if (sb->supervised) {
		r = supervisor_init(&sb->sup, sb->policy, sandbox_gated_log, sb);
		sb->supervisor_ready = true;
		if (r < 0) {
			policy_error(p, r, "cannot set up the supervisor: %s", strerror(-r));
			goto fail;
		}
	}
	r = filter_build(&fo, &sb->prog);
	if (r < 0) {
		policy_error(p, r, "cannot build the seccomp filter: %s", strerror(-r));
		goto fail;
	}
	r = env_build(p, &vars, environ, &sb->envp, &dropped);
	if (r < 0) {
		policy_error(p, r, "cannot build the environment: %s", strerror(-r));
		goto fail;
	}
	for (size_t i = 0; dropped && dropped[i]; i++)
		sandbox_log(sb, AIRLOCK_LOG_INFO, "environment: not passing %s", dropped[i]);
	log_notices(sb);
	*ret = sb;
	return 0;
fail:
	sandbox_free(sb);
	return r;
}

struct airlock_sandbox *sandbox_free(struct airlock_sandbox *sb)
{
	if (!sb)
		return NULL;
	if (sb->tmpdir[0])
		rm_rf_at(AT_FDCWD, sb->tmpdir);
	safe_close(sb->ruleset_fd);
	if (sb->supervisor_ready) {
		sb->sup.audit = audit_close(sb->sup.audit);
		supervisor_done(&sb->sup);
	}
	free(sb->audit_path);
	filter_prog_done(&sb->prog);
	compiled_policy_free(sb->policy);
	strv_free(sb->envp);
	strv_free(sb->held);
	pthread_mutex_destroy(&sb->log_lock);
	free(sb);
	return NULL;
}
