/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "explain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "env.h"
#include "landlock.h"
#include "util.h"

extern char **environ;

/* Compile for display: the session directory does not exist yet, so it is shown as such. */
static int compile_for_display(struct airlock_policy *p, struct compiled_policy **ret,
			       char ***storage, struct policy_vars *vars)
{
	int r = policy_vars_init(p, "/<session TMPDIR>", vars, storage);
	if (r < 0)
		return policy_error(p, r, "cannot determine the current directory: %s", strerror(-r));
	return policy_compile(p, vars, ret);
}

static const char *effect_word(uint32_t e)
{
	return e == AIRLOCK_EFFECT_DENY ? "deny" : e == AIRLOCK_EFFECT_ASK ? "ask" : "allow";
}

static void append_rule_line(struct strbuf *b, const struct crule *r)
{
	char a[4], d[4], k[4];
	sb_printf(b, "  %-5s %-5s %-5s ", r->allow ? access_string(r->allow, a) : "",
		  r->deny ? access_string(r->deny, d) : "", r->ask ? access_string(r->ask, k) : "");
	sb_append_escaped(b, r->shown);
	if (strcmp(r->shown, r->path) != 0) {
		sb_append(b, " -> ");
		sb_append_escaped(b, r->path);
	}
	if (!r->exists)
		sb_append(b, " (absent)");
	if (r->group)
		sb_printf(b, " [%s]", r->group);
	sb_append(b, "\n");
}

int explain_policy(struct airlock_policy *p, char **ret_text)
{
	_cleanup_strv_free_ char **storage = NULL, **envp = NULL, **dropped = NULL, **deg = NULL;
	struct compiled_policy *c = NULL;
	struct policy_vars vars;
	struct strbuf b = { 0 };
	struct ll_abi abi;
	int r;

	r = compile_for_display(p, &c, &storage, &vars);
	if (r < 0)
		return r;
	ll_probe(&abi);

	sb_append(&b, "profiles:");
	for (size_t i = 0; p->profiles && p->profiles[i]; i++) {
		sb_append(&b, i ? ", " : " ");
		sb_append_escaped(&b, p->profiles[i]);
	}
	sb_append(&b, p->profiles ? "\n" : " (none)\n");
	sb_printf(&b, "network: %s\n", c->network ? "on" : "off (only AF_UNIX sockets; TCP also denied by Landlock where the kernel has it)");
	sb_printf(&b, "unix sockets: %s\n", c->unix_sockets
			  ? "allowed, unmediated (Landlock ABI < 9 does not check pathname connects)"
			  : "supervised: stream sockets, each connect/bind decided like a write to its path "
			    "(abstract connects and datagram sockets refused); --static: socket(AF_UNIX) denied");
	sb_printf(&b, "metadata by path (chmod, chown, xattr, utimes): %s\n",
		  c->path_metadata ? "allowed (Landlock cannot restrict them; --path-metadata deny or the strict profile denies them)"
				   : "denied (fd-based forms allowed)");

	sb_append(&b, "\nfilesystem rules (the most specific path decides; later layers override):\n");
	sb_append(&b, "  allow deny  ask   path\n");
	for (size_t i = 0; i < c->n_rules; i++)
		append_rule_line(&b, &c->rules[i]);

	sb_printf(&b, "\nkernel floor: Landlock ABI %d, %zu path rules", abi.abi, c->n_floor);
	if (c->carved) {
		sb_append(&b, "; carved around deny rules:\n");
		for (size_t i = 0; c->carved[i]; i++) {
			sb_append(&b, "  ");
			sb_append_escaped(&b, c->carved[i]);
			sb_append(&b, " (entries granted one by one; the supervisor covers new ones, "
				      "with --static they are not accessible)\n");
		}
	} else {
		sb_append(&b, "\n");
	}
	if (c->has_ask)
		sb_append(&b, "ask rules: treated as deny (no supervisor in this version)\n");
	for (size_t i = 0; c->notices && c->notices[i]; i++) {
		sb_append(&b, "notice: ");
		sb_append_escaped(&b, c->notices[i]);
		sb_append(&b, "\n");
	}
	if (ll_degradations(&abi, !c->network, &deg) == 0)
		for (size_t i = 0; deg && deg[i]; i++)
			sb_printf(&b, "degraded: %s\n", deg[i]);

	r = env_build(p, &vars, environ, &envp, &dropped);
	if (r == 0) {
		sb_printf(&b, "\nenvironment: %zu variables passed", strv_length(envp));
		if (dropped) {
			sb_append(&b, "; not passed:");
			for (size_t i = 0; dropped[i]; i++) {
				sb_append(&b, " ");
				sb_append_escaped(&b, dropped[i]);
			}
		}
		sb_append(&b, "\n");
	}
	compiled_policy_free(c);
	return sb_take(&b, ret_text);
}

static void explain_bit(struct strbuf *b, const struct compiled_policy *c, const char *canon,
			uint32_t bit, const char *word)
{
	uint32_t effect = AIRLOCK_EFFECT_DENY;
	const struct crule *r = policy_decide(c, canon, bit, &effect);
	bool floor = floor_grants(c, canon, bit);

	sb_printf(b, "  %-6s ", word);
	if (!r) {
		sb_append(b, "not granted: no rule covers it\n");
		return;
	}
	const char *verdict = effect == AIRLOCK_EFFECT_ALLOW ? "allowed"
			      : effect == AIRLOCK_EFFECT_ASK ? "ask (denied: no supervisor yet)" : "denied";
	sb_printf(b, "%s by %s rule on ", verdict, effect_word(effect));
	sb_append_escaped(b, r->shown);
	if (strcmp(r->shown, r->path) != 0) {
		sb_append(b, " (");
		sb_append_escaped(b, r->path);
		sb_append(b, ")");
	}
	if (r->group)
		sb_printf(b, " [%s]", r->group);
	sb_append(b, " from ");
	sb_append_escaped(b, r->origin[access_index(bit)] ? r->origin[access_index(bit)] : "?");
	sb_append(b, "\n");
	if (effect == AIRLOCK_EFFECT_ALLOW && !floor)
		sb_append(b, "         but the kernel floor does not grant it: the path lies in a "
			     "carved directory and did not exist at start\n");
	if (effect != AIRLOCK_EFFECT_ALLOW && floor)
		sb_append(b, "         WARNING: the kernel floor grants it anyway\n");
}

int explain_path(struct airlock_policy *p, const char *path, char **ret_text)
{
	_cleanup_strv_free_ char **storage = NULL;
	_cleanup_free_ char *abs = NULL, *canon = NULL;
	struct compiled_policy *c = NULL;
	struct policy_vars vars;
	struct strbuf b = { 0 };
	int r;

	if (!*path)
		return policy_error(p, -EINVAL, "empty path");
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return policy_error(p, negative_errno(), "getcwd: %m");
		abs = path_join(cwd, path);
	} else {
		abs = strdup(path);
	}
	if (!abs)
		return -ENOMEM;
	r = policy_canonicalize(abs, &canon);
	if (r < 0)
		return policy_error(p, r, "cannot resolve the path: %s", strerror(-r));
	r = compile_for_display(p, &c, &storage, &vars);
	if (r < 0)
		return r;

	sb_append_escaped(&b, canon);
	if (strcmp(canon, abs) != 0) {
		sb_append(&b, " (from ");
		sb_append_escaped(&b, abs);
		sb_append(&b, ")");
	}
	sb_append(&b, access(canon, F_OK) == 0 ? "\n" : " (does not exist)\n");
	explain_bit(&b, c, canon, AIRLOCK_ACCESS_READ, "read");
	explain_bit(&b, c, canon, AIRLOCK_ACCESS_WRITE, "write");
	explain_bit(&b, c, canon, AIRLOCK_ACCESS_EXEC, "exec");
	compiled_policy_free(c);
	return sb_take(&b, ret_text);
}

static int read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int explain_doctor(char **ret_text)
{
	struct strbuf b = { 0 };
	struct utsname u;
	struct ll_abi abi;
	char buf[512];
	_cleanup_strv_free_ char **deg = NULL;

	uname(&u);
	ll_probe(&abi);
	sb_printf(&b, "airlock %s on Linux %s (%s)\n\n", AIRLOCK_VERSION, u.release, u.machine);

	if (abi.abi == 0) {
		sb_printf(&b, "Landlock: NOT AVAILABLE (%s)\n", strerror(abi.unavailable_errno));
		sb_append(&b, "  airlock refuses to run: without Landlock nothing confines the filesystem.\n"
			      "  Enable it with the kernel command line lsm=...,landlock (Linux >= 5.13).\n");
	} else {
		sb_printf(&b, "Landlock: ABI %d%s (airlock knows up to %d)\n", abi.abi,
			  abi.abi >= LL_ABI_KNOWN ? "" : ", older than airlock knows", LL_ABI_KNOWN);
		sb_printf(&b, "  filesystem rights handled: read, write, exec%s%s%s\n",
			  abi.abi >= 2 ? ", refer (cross-directory rename/link)" : "",
			  abi.abi >= 3 ? ", truncate" : "", abi.abi >= 5 ? ", device ioctl" : "");
		sb_printf(&b, "  TCP bind/connect rules: %s\n", abi.abi >= 4 ? "yes (used by --net off)" : "no");
		sb_printf(&b, "  scopes (abstract unix sockets, signals): %s\n", abi.abi >= 6 ? "yes" : "no");
		if (abi.abi >= 7)
			sb_printf(&b, "  errata fixed: 0x%x\n", abi.errata);
		if (ll_degradations(&abi, true, &deg) == 0)
			for (size_t i = 0; deg && deg[i]; i++)
				sb_printf(&b, "  degraded: %s\n", deg[i]);
	}
	sb_append(&b, "  Landlock cannot: deny a path inside an allowed tree (airlock carves instead), "
		      "restrict stat/chmod/chown/xattr/utime (airlock denies the path-based calls), "
		      "mediate pathname unix socket connects before ABI 9 (airlock denies socket(AF_UNIX)).\n\n");

	if (read_small("/proc/sys/kernel/seccomp/actions_avail", buf, sizeof(buf)) == 0) {
		sb_printf(&b, "seccomp: available (actions: %s)\n", buf);
		sb_printf(&b, "  user notification (the supervisor; fd injection needs Linux 5.9): %s\n",
			  strstr(buf, "user_notif") ? "yes" : "no: airlock runs as --static, with a warning");
	} else {
		sb_append(&b, "seccomp: NOT AVAILABLE: airlock refuses to run\n");
	}
	sb_append(&b, "  the static filter denies: io_uring, the mount API, namespaces, keyctl, bpf, "
		      "perf_event_open, userfaultfd, ptrace, TIOCSTI/TIOCLINUX, x32 and foreign-arch calls\n\n");

	if (read_small("/proc/sys/dev/tty/legacy_tiocsti", buf, sizeof(buf)) == 0)
		sb_printf(&b, "dev.tty.legacy_tiocsti = %s%s\n", buf,
			  strcmp(buf, "1") == 0 ? " (terminal injection possible: airlock runs the child on its "
						  "own pty and denies TIOCSTI)" : "");
	if (read_small("/proc/sys/kernel/io_uring_disabled", buf, sizeof(buf)) == 0)
		sb_printf(&b, "kernel.io_uring_disabled = %s (airlock denies io_uring either way)\n", buf);
	if (read_small("/proc/sys/net/ipv4/tcp_fastopen", buf, sizeof(buf)) == 0)
		sb_printf(&b, "net.ipv4.tcp_fastopen = %s (with --net off airlock denies MSG_FASTOPEN and "
			      "TCP_FASTOPEN_CONNECT: Landlock's TCP rule is bypassed by them on some kernels)\n", buf);
	sb_printf(&b, "running as uid %d%s\n", (int)getuid(),
		  getuid() == 0 ? " (root: file permission checks are skipped; sandboxes of normal users rely on them)" : "");
	return sb_take(&b, ret_text);
}
