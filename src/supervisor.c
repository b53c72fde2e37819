/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "approver.h"
#include "audit.h"
#include "cleanup.h"
#include "grants.h"
#include "sdk.h"
#include "token.h"
#include "notify.h"
#include "util.h"

#define DENY_INODES_MAX 100000

static void slog(struct supervisor *s, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void slog(struct supervisor *s, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vcall(s->log, s->log_userdata, level, fmt, ap);
	va_end(ap);
}

/* ---- the deny-inode set ---- */

/* Collecting the deny-inode set: a walk with its state here, not in globals (nftw has no
 * user data), so that sandboxes of one host start independently. */
struct walk {
	struct deny_inode *set;
	size_t n, cap;
	uint32_t access;
	bool linked; /* a file with other names */
	bool full;
};

static int walk_add(struct walk *w, const struct stat *st)
{
	if (w->n >= DENY_INODES_MAX) {
		w->full = true;
		return 0;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct deny_inode *v = realloc(w->set, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->set = v;
		w->cap = cap;
	}
	w->set[w->n++] = (struct deny_inode){ st->st_dev, st->st_ino, w->access };
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		w->linked = true;
	return 0;
}

/* Everything at and beneath (dirfd, name): symlinks not followed, one filesystem, bounded. */
static int walk_tree(struct walk *w, int parent, const char *name, dev_t dev, unsigned depth)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
		return 0;
	int r = walk_add(w, &st);
	if (r < 0 || !S_ISDIR(st.st_mode) || depth >= 64 || w->full)
		return r;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0; /* unreadable: protected by its path only */
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	struct dirent *de;
	while (r == 0 && !w->full && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = walk_tree(w, dirfd(d), de->d_name, dev, depth + 1);
	closedir(d);
	return r;
}

static int cmp_inode(const void *a, const void *b)
{
	const struct deny_inode *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/*
 * Invariant: a secret is never reachable through a grant by another name. Every object under a
 * deny rule is remembered by (dev, inode) at start, and the supervisor refuses those objects
 * whatever path led to them: a hardlink into a granted tree, a bind mount, a rename. Objects
 * created under a denied tree after the start are not in the set (the deny rule's path still
 * covers them). Test: tests/e2e/test-supervisor.c (secrets_stay_denied_whatever_the_approver_says,
 * bind_mount_of_secret_stays_denied), tests/attacks/test-races.c (R01 hardlink, PB).
 */
static int collect_deny_inodes(struct supervisor *s)
{
	struct walk w = { 0 };
	for (size_t i = 0; i < s->policy->n_rules; i++) {
		const struct crule *cr = &s->policy->rules[i];
		struct stat st;
		if (!cr->deny || !cr->exists || stat(cr->path, &st) < 0)
			continue;
		w.access = cr->deny;
		if (walk_tree(&w, AT_FDCWD, cr->path, st.st_dev, 0) < 0) {
			free(w.set);
			return -ENOMEM;
		}
	}
	if (w.full)
		slog(s, AIRLOCK_LOG_WARNING, "more than %d objects under deny rules: the rest are "
		     "protected by their paths only", DENY_INODES_MAX);
	if (w.n)
		qsort(w.set, w.n, sizeof(*w.set), cmp_inode);
	/* One entry per object, with the bits of every rule that reached it. */
	size_t n = 0;
	for (size_t i = 0; i < w.n; i++) {
		if (n && cmp_inode(&w.set[n - 1], &w.set[i]) == 0)
			w.set[n - 1].access |= w.set[i].access;
		else
			w.set[n++] = w.set[i];
	}
	s->deny_inodes = w.set;
	s->n_deny_inodes = n;
	s->careful = w.linked;
	if (s->careful)
		slog(s, AIRLOCK_LOG_NOTICE, "a file under a deny rule has other names (hardlinks): every "
		     "open is checked on its object by the supervisor (slower), so none reaches it");
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/*
 * A mount inside the floor of a filesystem that holds denied objects may show them under
 * another name (a bind mount of ~/.ssh, or of all of $HOME, into the project): then opens are
 * checked on their objects too. Cautious by design: any mount point beneath a floor rule on
 * such a device counts, whatever it shows.
 */
/* Is mp strictly beneath a path the floor grants? */
static bool under_floor(const struct compiled_policy *p, const char *mp)
{
	for (size_t i = 0; i < p->n_floor; i++)
		if (path_is_beneath(mp, p->floor[i].path) && strcmp(mp, p->floor[i].path) != 0)
			return true;
	return false;
}

static void check_bind_mounts(struct supervisor *s)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	while (f && !s->careful && fgets(line, sizeof(line), f)) {
		char mp[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		unescape_octal(mp);
		/* Only mounts where the floor reaches matter: a stat for those alone, not for
		 * every mount of the system. */
		struct stat st;
		if (!under_floor(s->policy, mp) || stat(mp, &st) < 0)
			continue;
		bool holds = false;
		for (size_t i = 0; i < s->n_deny_inodes && !holds; i++)
			holds = s->deny_inodes[i].dev == st.st_dev;
		if (!holds)
			continue;
		s->careful = true;
		struct strbuf b = { 0 };
		sb_append_escaped(&b, mp);
		slog(s, AIRLOCK_LOG_NOTICE, "%s is a mount where the floor reaches, of a filesystem "
		     "holding denied files: every open is checked on its object (slower)", b.s ? b.s : "");
		sb_done(&b);
	}
	if (f)
		fclose(f);
}

bool supervisor_denied_inode(const struct supervisor *s, const struct stat *st, uint32_t access)
{
	struct deny_inode k = { st->st_dev, st->st_ino, 0 };
	const struct deny_inode *d = s->n_deny_inodes
		? bsearch(&k, s->deny_inodes, s->n_deny_inodes, sizeof(k), cmp_inode) : NULL;
	return d && (d->access & access);
}

/* ---- lifecycle ---- */

static int queue_init(struct tty_approver *t);

int supervisor_init(struct supervisor *s, const struct compiled_policy *policy, airlock_log_fn log,
		    void *log_userdata)
{
	unsigned char rnd[16];
	int r;

	memset(s, 0, sizeof(*s));
	s->listener = s->cancel_fd = s->root_fd = s->tty.wake_fd = -EBADF;
	s->log = log;
	s->log_userdata = log_userdata;
	s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->cancel_fd < 0 || s->root_fd < 0)
		return -errno;
	s->policy = policy;
	s->approve_timeout_ms = 60000;
	pthread_mutex_init(&s->lock, NULL);
	if (getentropy(rnd, sizeof(rnd)) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->session + 2 * i, 3, "%02x", rnd[i]);
	r = grant_table_new(GRANT_TABLE_DEFAULT_CAP, &s->grants);
	if (r < 0)
		return r;
	r = token_table_new(rnd, TOKEN_TABLE_DEFAULT_CAP, &s->tokens);
	if (r < 0)
		return r;
	r = queue_init(&s->tty);
	if (r < 0)
		return r;
	r = connect_pool_new(&s->connects);
	if (r < 0)
		return r;
	for (size_t i = 0; i < policy->n_rules; i++) {
		const struct crule *cr = &policy->rules[i];
		if (!cr->exists || !strcmp(cr->shown, cr->path) || strv_contains(s->alias_from, cr->shown))
			continue;
		if (strv_push(&s->alias_from, cr->shown) < 0 || strv_push(&s->alias_to, cr->path) < 0)
			return -ENOMEM;
	}
	r = collect_deny_inodes(s);
	if (r == 0 && s->n_deny_inodes)
		check_bind_mounts(s);
	return r;
}

static void *worker_main(void *arg)
{
	struct supervisor *s = arg;
	struct notify_buf b;

	/* A thread of its own fs context, so that it can take on a requester's umask. */
	unshare(CLONE_FS);
	if (notify_buf_init(&b) < 0)
		return NULL;
	for (;;) {
		/* RECV blocks until a request comes; no poll() first, one syscall less per call. */
		int r = notify_recv(s->listener, &b);
		if (r == 0) {
			broker_handle(s, b.req, 2, NULL);
			continue;
		}
		if (r == -EINTR)
			continue;
		if (r != -ENOENT)
			break;
		/* ENOENT: the requester died before we got its request, or no task is left under
		 * the filter, and then RECV fails at once forever: POLLHUP tells them apart. */
		struct pollfd p = { s->listener, POLLIN, 0 };
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)) &&
		    !(p.revents & POLLIN))
			break;
	}
	notify_buf_done(&b);
	return NULL;
}

int supervisor_start(struct supervisor *s, int listener)
{
	s->listener = listener;
	/* Same-user tools outside the sandbox cannot ptrace or read the supervisor either. */
	prctl(PR_SET_DUMPABLE, 0);
	/* Wake on the requester's CPU (6.6+): an order of magnitude less latency unpinned. */
	notify_set_sync_wakeup(listener);
	for (unsigned i = 0; i < SUPERVISOR_WORKERS; i++) {
		int r = pthread_create(&s->workers[i], NULL, worker_main, s);
		if (r != 0) {
			if (i == 0)
				return -r;
			break;
		}
		s->n_workers++;
	}
	return 0;
}

void supervisor_stop(struct supervisor *s)
{
	bool started = s->n_workers > 0;
	atomic_store(&s->stopping, true);
	for (unsigned i = 0; i < s->n_workers; i++)
		pthread_join(s->workers[i], NULL);
	s->n_workers = 0;
	/* Approvals in flight have nobody left to answer: end them (their approvers are killed)
	 * and wait until their threads are done with us. */
	uint64_t one = 1;
	if (write(s->cancel_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write only fails on overflow, which one write cannot cause */
	}
	if (s->tty.ready) {
		pthread_mutex_lock(&s->tty.lock);
		pthread_cond_broadcast(&s->tty.cond);
		pthread_mutex_unlock(&s->tty.lock);
	}
	while (atomic_load(&s->pending) > 0)
		usleep(1000);
	s->sdk = sdk_server_stop(s->sdk);
	if (started)
		slog(s, AIRLOCK_LOG_INFO, "supervisor: %lu operations left to the kernel, %lu performed, "
		     "%lu denied, %lu approvals asked", atomic_load(&s->n_continued),
		     atomic_load(&s->n_brokered), atomic_load(&s->n_denied), atomic_load(&s->n_asked));
}

void supervisor_done(struct supervisor *s)
{
	s->listener = safe_close(s->listener);
	s->cancel_fd = safe_close(s->cancel_fd);
	s->root_fd = safe_close(s->root_fd);
	connect_pool_unref(s->connects);
	s->connects = NULL;
	s->grants = grant_table_free(s->grants);
	s->tokens = token_table_free(s->tokens);
	if (s->tty.ready) {
		s->tty.wake_fd = safe_close(s->tty.wake_fd);
		free(s->tty.always_file);
		pthread_cond_destroy(&s->tty.cond);
		pthread_mutex_destroy(&s->tty.lock);
		s->tty.ready = false;
	}
	s->sdk = sdk_server_stop(s->sdk);
	free(s->deny_inodes);
	strv_free(s->alias_from);
	strv_free(s->alias_to);
	free(s->approve_cmd);
	strv_free(s->told);
	for (size_t i = 0; i < s->n_denials; i++)
		free(s->denials[i].path);
	free(s->denials);
	pthread_mutex_destroy(&s->lock);
}

/* ---- deciding ---- */

enum verdict supervisor_decide(struct supervisor *s, const char *path, uint32_t access,
			       bool floor_ok, const char **ret_by)
{
	uint32_t need_rule = 0, need_ask = 0;

	if (floor_ok) {
		*ret_by = "floor";
		return VERDICT_CONTINUE;
	}
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
		if (!(access & bit) || floor_grants(s->policy, path, bit))
			continue;
		uint32_t effect;
		if (!policy_decide(s->policy, path, bit, &effect)) {
			/* No rule: only a grant (the host's, or an approver's wider answer) allows. */
			need_ask |= bit;
			continue;
		}
		if (effect == AIRLOCK_EFFECT_DENY) {
			*ret_by = "rule";
			return VERDICT_DENY;
		}
		if (effect == AIRLOCK_EFFECT_ALLOW)
			need_rule |= bit;
		else
			need_ask |= bit;
	}
	if (need_ask) {
		if (!grant_check(s->grants, path, need_ask, NULL)) {
			/* Ask only where an "ask" rule says so; where no rule speaks, deny. */
			for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
				uint32_t effect;
				if ((need_ask & bit) && !policy_decide(s->policy, path, bit, &effect)) {
					*ret_by = "policy";
					return VERDICT_DENY;
				}
			}
			*ret_by = "ask";
			return VERDICT_ASK;
		}
		*ret_by = "grant";
		return VERDICT_PERFORM;
	}
	*ret_by = need_rule ? "rule" : "floor";
	return VERDICT_PERFORM;
}

void supervisor_audit(struct supervisor *s, pid_t pid, const char *op, const char *path,
		      uint32_t access, bool allowed, const char *by, int err, uint64_t latency_us)
{
	supervisor_audit_why(s, pid, op, path, access, allowed, by, NULL, err, latency_us);
}

void supervisor_audit_why(struct supervisor *s, pid_t pid, const char *op, const char *path,
			  uint32_t access, bool allowed, const char *by, const char *reason, int err,
			  uint64_t latency_us)
{
	if (!s->audit)
		return;
	char comm[32] = "", file[64];
	snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof(comm) - 1);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		close(fd);
	}
	struct audit_event e = {
		.pid = pid, .comm = comm, .operation = op, .path = path, .access = access,
		.result = allowed ? "allow" : "deny", .by = by, .reason = reason,
		.error = allowed ? 0 : err, .latency_us = latency_us,
	};
	audit_log(s->audit, &e);
}

/* Remember a denial for the report (one entry per path, access bits merged). */
static void record_denial(struct supervisor *s, const char *path, uint32_t access, const char *by)
{
	if (!access || path[0] != '/')
		return;
	pthread_mutex_lock(&s->lock);
	size_t i;
	for (i = 0; i < s->n_denials; i++)
		if (!strcmp(s->denials[i].path, path))
			break;
	if (i < s->n_denials) {
		s->denials[i].access |= access;
	} else if (s->n_denials < SUPERVISOR_MAX_DENIALS) {
		struct denial *v = realloc(s->denials, (s->n_denials + 1) * sizeof(*v));
		char *copy = strdup(path);
		if (v && copy) {
			s->denials = v;
			v[s->n_denials] = (struct denial){ .path = copy, .access = access };
			snprintf(v[s->n_denials].by, sizeof(v[s->n_denials].by), "%s", by);
			s->n_denials++;
		} else {
			if (v)
				s->denials = v;
			free(copy);
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* The flag that would allow access to path next time (a path given as a flag must exist: for
 * one that does not, its nearest existing directory). */
static void suggest(struct strbuf *b, uint32_t bits, const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s", path);
	while (access(p, F_OK) < 0) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			snprintf(p, sizeof(p), "/");
			break;
		}
		*slash = '\0';
	}
	sb_append(b, bits & AIRLOCK_ACCESS_WRITE ? "--write " : bits & AIRLOCK_ACCESS_EXEC ? "--exec " : "--read ");
	sb_append_escaped(b, p);
}

int supervisor_report(struct supervisor *s, char **ret_text, char **ret_json)
{
	struct strbuf t = { 0 }, j = { 0 };
	*ret_text = *ret_json = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->n_denials) {
		sb_printf(&t, "airlock: denied during this run (%zu):\n", s->n_denials);
		sb_append(&j, "[");
	}
	for (size_t i = 0; i < s->n_denials; i++) {
		const struct denial *d = &s->denials[i];
		char a[4];
		bool rule = !strcmp(d->by, "rule") || !strcmp(d->by, "deny-inode");
		if (i < 20) {
			sb_printf(&t, "  %-4s ", access_string(d->access, a));
			sb_append_escaped(&t, d->path);
			sb_append(&t, rule ? "  (a deny rule; see: airlock why)\n" : "  next time: ");
			if (!rule) {
				suggest(&t, d->access, d->path);
				sb_append(&t, "\n");
			}
		} else if (i == 20) {
			sb_printf(&t, "  ... and %zu more (--report-json FILE lists them all)\n", s->n_denials - 20);
		}
		/* JSON: the path escaped like everywhere airlock prints one (valid UTF-8 always). */
		struct strbuf e = { 0 };
		sb_append_escaped(&e, d->path);
		sb_printf(&j, "%s{\"path\":\"", i ? "," : "");
		for (const char *c = e.s ? e.s : ""; *c; c++)
			sb_printf(&j, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
		sb_printf(&j, "\",\"access\":\"%s\",\"by\":\"%s\"", access_string(d->access, a), d->by);
		if (!rule) {
			struct strbuf g = { 0 };
			suggest(&g, d->access, d->path);
			sb_append(&j, ",\"allow_with\":\"");
			for (const char *c = g.s ? g.s : ""; *c; c++)
				sb_printf(&j, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
			sb_append(&j, "\"");
			sb_done(&g);
		}
		sb_append(&j, "}");
		sb_done(&e);
	}
	if (s->n_denials)
		sb_append(&j, "]\n");
	pthread_mutex_unlock(&s->lock);
	if (!t.s && !t.oom)
		return 0;
	int r = sb_take(&t, ret_text);
	if (r == 0)
		r = sb_take(&j, ret_json);
	return r;
}

void supervisor_tell_denied(struct supervisor *s, const char *op, const char *path,
			    uint32_t access, const char *by)
{
	if (strcmp(by, "unreadable") != 0)
		record_denial(s, path, access, by);
	/* Once per path, and not more than a screenful: the audit trail has them all. */
	const size_t max_told = 20;
	bool first;
	size_t n;
	pthread_mutex_lock(&s->lock);
	n = strv_length(s->told);
	first = n <= max_told && !strv_contains(s->told, path);
	if (first)
		strv_push(&s->told, path);
	pthread_mutex_unlock(&s->lock);
	if (!first)
		return;
	if (n == max_told) {
		slog(s, AIRLOCK_LOG_NOTICE, "more denials are not shown (--audit FILE records them all)");
		return;
	}

	struct strbuf b = { 0 };
	char a[4];
	sb_append_escaped(&b, path);
	const char *p = b.s ? b.s : "";
	const char *flag = access & AIRLOCK_ACCESS_WRITE ? "--write" : access & AIRLOCK_ACCESS_EXEC ? "--exec" : "--read";
	if (!strcmp(by, "unreadable"))
		slog(s, AIRLOCK_LOG_NOTICE, "cannot read the memory of %s (it made itself non-dumpable, "
		     "or runs a binary it cannot read): its requests get the kernel floor only", p);
	else if (!strcmp(by, "ask") || !strcmp(by, "overload"))
		slog(s, AIRLOCK_LOG_NOTICE, "denied %s (%s) of %s: it needs approval and %s; allow it "
		     "with --approve-cmd CMD, or with %s PATH", op, access_string(access, a), p,
		     !strcmp(by, "overload") ? "too many requests are waiting" : "there is no approver",
		     flag);
	else if (!strcmp(by, "policy"))
		slog(s, AIRLOCK_LOG_NOTICE, "denied %s (%s) of %s: no rule grants it; allow it with "
		     "%s PATH or an \"ask\" rule (--ask PATH)", op, access_string(access, a), p, flag);
	else if (!strcmp(by, "approver"))
		slog(s, AIRLOCK_LOG_NOTICE, "denied %s (%s) of %s by the approver", op,
		     access_string(access, a), p);
	else
		slog(s, AIRLOCK_LOG_INFO, "denied %s (%s) of %s by a deny rule (see: airlock why)", op,
		     access_string(access, a), p);
	sb_done(&b);
}

/* ---- approvals ---- */

struct pending {
	struct supervisor *s;
	struct seccomp_notif req;
	char op[16];
	char path[PATH_MAX];
	uint32_t access;
	int asks;
};

/* /proc/<pid>/<name> into buf (NUL-terminated; "" when it cannot be read). */
static size_t read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char file[64];
	snprintf(file, sizeof(file), "/proc/%d/%s", (int)pid, name);
	buf[0] = '\0';
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* The requester's command line, arguments joined by spaces. */
static void read_cmdline(pid_t pid, char *buf, size_t size)
{
	size_t n = read_proc(pid, "cmdline", buf, size);
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* The group of the rule that puts path to a person ("home", "secrets"...), or NULL. */
static const char *supervisor_rule_group(struct supervisor *s, const char *path, uint32_t access)
{
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
		uint32_t effect;
		const struct crule *cr = (access & bit) ? policy_decide(s->policy, path, bit, &effect) : NULL;
		if (cr && cr->group)
			return cr->group;
	}
	return NULL;
}

static void *approval_main(void *arg)
{
	struct pending *p = arg;
	struct supervisor *s = p->s;
	struct approval_answer ans;
	char cmdline[4096];

	/* Its own fs context too: performing the call takes on the requester's umask. */
	unshare(CLONE_FS);

	read_cmdline((pid_t)p->req.pid, cmdline, sizeof(cmdline));
	struct approval_request rq = {
		.id = p->req.id,
		.pid = (pid_t)p->req.pid,
		.cmdline = cmdline,
		.operation = p->op,
		.path = p->path,
		.access = p->access,
		.session = s->session,
		.group = supervisor_rule_group(s, p->path, p->access),
	};
	supervisor_consult(s, &rq, &ans);
	/*
	 * Invariant: an answer applies to the request it was asked for. A "once" answer never
	 * enters the shared grant table: it travels with this request only, and if the request
	 * now names another object (its memory was rewritten meanwhile) or is gone, it is spent
	 * on nothing. A "session" answer is meant for everybody and goes into the table.
	 * Test: tests/attacks/test-races.c (R08, R11).
	 */
	struct approval approved = { .path = p->path, .access = p->access, .once = true };
	if (ans.allow && ans.scope == GRANT_SESSION) {
		uint64_t ttl = ans.ttl_s * UINT64_C(1000000000);
		int r = grant_add(s->grants, ans.path, ans.subtree, p->access, GRANT_SESSION, ttl,
				  "approver", NULL);
		if (r < 0) {
			ans.allow = false;
			snprintf(ans.reason, sizeof(ans.reason), "grant table: %s", strerror(-r));
		}
		approved.once = false;
	}
	if (ans.allow) {
		/* Answer it as if new: memory read again, ID_VALID again, decided on the object
		 * with the approval in hand, and never asking twice for the same object. */
		broker_handle(s, &p->req, p->asks - 1, &approved);
	} else {
		if (notify_id_valid(s->listener, p->req.id) == 0)
			notify_fail(s->listener, p->req.id, EACCES);
		supervisor_audit_why(s, (pid_t)p->req.pid, p->op, p->path, p->access, false, "approver",
				     ans.reason[0] ? ans.reason : NULL, EACCES, 0);
		if (!atomic_load(&s->stopping))
			supervisor_tell_denied(s, p->op, p->path, p->access, "approver");
		if (ans.reason[0])
			slog(s, AIRLOCK_LOG_INFO, "approver: %s", ans.reason);
	}
	free(p);
	atomic_fetch_sub(&s->pending, 1);
	return NULL;
}

/* The queue of requests for a person, ready from the start: the terminal or an `airlock
 * approve` from another one may answer it. */
static int queue_init(struct tty_approver *t)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	unsigned char rnd[4];

	if (getentropy(rnd, sizeof(rnd)) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(rnd); i++)
		t->tag[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	t->tag[4] = '\0';
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_fd < 0)
		return -errno;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->ready = true;
	return 0;
}

int supervisor_enable_prompt(struct supervisor *s, const char *always_file)
{
	struct tty_approver *t = &s->tty;
	if (!t->ready)
		return -EINVAL;
	if (always_file && !(t->always_file = strdup(always_file)))
		return -ENOMEM;
	t->terminal = true;
	return 0;
}

bool supervisor_queue_answered(struct supervisor *s)
{
	return s->tty.ready && (s->tty.terminal || s->tty.host_fn || atomic_load(&s->tty.remote) > 0);
}

int supervisor_host_answer(struct supervisor *s, uint64_t id, int answer)
{
	struct tty_approver *t = &s->tty;
	int r = -ENOENT;
	if (!t->ready)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	for (struct tty_item *it = t->head; it; it = it->next) {
		if (it->id != id || !it->host || it->done)
			continue;
		struct approval_answer *a = it->ans;
		*a = (struct approval_answer){ .allow = answer != AIRLOCK_ANSWER_DENY, .scope = GRANT_SESSION };
		snprintf(a->path, sizeof(a->path), "%s", it->path);
		if (answer == AIRLOCK_ANSWER_ONCE)
			a->scope = GRANT_ONCE;
		else if (answer == AIRLOCK_ANSWER_DIRECTORY) {
			path_to_parent(a->path);
			a->subtree = true;
		} else if (answer != AIRLOCK_ANSWER_SESSION)
			snprintf(a->reason, sizeof(a->reason), "the host said no");
		it->done = true;
		pthread_cond_broadcast(&t->cond);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void supervisor_prompt_release(struct supervisor *s, struct tty_item *it)
{
	uint64_t one = 1;
	pthread_mutex_lock(&s->tty.lock);
	it->taken = false;
	for (struct tty_item *o = s->tty.head; o; o = o->next)
		if (o->group == it->id)
			o->group = 0;
	pthread_cond_broadcast(&s->tty.cond);
	pthread_mutex_unlock(&s->tty.lock);
	if (write(s->tty.wake_fd, &one, sizeof(one)) < 0) {
		/* overflow only: the relay is awake anyway */
	}
}

/* The requester's command name. */
static void read_comm(pid_t pid, char *buf, size_t size)
{
	read_proc(pid, "comm", buf, size);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Queue rq for the person at the terminal and wait for the answer (the relay shows it). */
static void consult_tty(struct supervisor *s, const struct approval_request *rq,
			struct approval_answer *ans)
{
	struct tty_approver *t = &s->tty;
	uint64_t one = 1;

	*ans = (struct approval_answer){ .allow = false };
	struct tty_item *it = calloc(1, sizeof(*it));
	if (!it) {
		snprintf(ans->reason, sizeof(ans->reason), "out of memory");
		return;
	}
	it->pid = rq->pid;
	it->access = rq->access;
	it->ans = ans;
	snprintf(it->op, sizeof(it->op), "%s", rq->operation);
	snprintf(it->path, sizeof(it->path), "%s", rq->path);
	snprintf(it->cmdline, sizeof(it->cmdline), "%s", rq->cmdline ? rq->cmdline : "");
	snprintf(it->rule_group, sizeof(it->rule_group), "%s", rq->group ? rq->group : "");
	read_comm(rq->pid, it->comm, sizeof(it->comm));

	pthread_mutex_lock(&t->lock);
	if (t->n >= TTY_MAX_PENDING || atomic_load(&s->stopping)) {
		bool tell = !t->flood_told;
		t->flood_told = true;
		pthread_mutex_unlock(&t->lock);
		free(it);
		snprintf(ans->reason, sizeof(ans->reason), "too many requests waiting for an answer");
		if (tell)
			slog(s, AIRLOCK_LOG_WARNING, "too many requests are waiting for an answer: the "
			     "rest are denied until the queue drains");
		return;
	}
	struct tty_item **tail = &t->head;
	while (*tail)
		tail = &(*tail)->next;
	*tail = it;
	t->n++;
	it->id = ++t->next_id;
	/* The host's approver takes it; the terminal and `airlock approve` never see it. */
	void (*host_fn)(const struct airlock_request *, void *) = t->host_fn;
	it->host = it->taken = host_fn != NULL;
	pthread_mutex_unlock(&t->lock);
	if (host_fn) {
		struct airlock_request hr = {
			.id = it->id, .pid = it->pid, .comm = it->comm, .cmdline = it->cmdline,
			.operation = it->op, .path = it->path, .access = it->access,
		};
		host_fn(&hr, t->host_data);
	} else if (write(t->wake_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: the relay is awake anyway */
	}

	struct timespec deadline = monotonic_deadline((uint64_t)s->approve_timeout_ms * 1000000);
	pthread_mutex_lock(&t->lock);
	/* A request on the screen is always answered (the prompt ends when the session does);
	 * one nobody answers any more (the last `airlock approve` left) is denied; the host has
	 * until the timeout, and not past the session's end. */
	while (!it->done) {
		bool stopping = atomic_load(&s->stopping);
		if (it->host) {
			if (stopping || pthread_cond_timedwait(&t->cond, &t->lock, &deadline) == ETIMEDOUT)
				break;
			continue;
		}
		if (!it->taken && (stopping || !supervisor_queue_answered(s)))
			break;
		pthread_cond_wait(&t->cond, &t->lock);
	}
	if (!it->done)
		snprintf(ans->reason, sizeof(ans->reason), "%s", atomic_load(&s->stopping) ?
			 "the session ended" : "nobody answered in time");
	for (struct tty_item **p = &t->head; *p; p = &(*p)->next) {
		if (*p == it) {
			*p = it->next;
			break;
		}
	}
	if (--t->n == 0)
		t->flood_told = false;
	pthread_mutex_unlock(&t->lock);
	free(it);
}

struct tty_item *supervisor_prompt_next(struct supervisor *s, unsigned *ret_more)
{
	struct tty_approver *t = &s->tty;
	struct tty_item *found = NULL;
	*ret_more = 0;
	pthread_mutex_lock(&t->lock);
	for (struct tty_item *it = t->head; it; it = it->next) {
		if (!it->taken && !it->done) {
			found = it;
			break;
		}
	}
	if (found) {
		found->taken = true;
		const char *slash = strrchr(found->path, '/');
		size_t dlen = slash ? (size_t)(slash - found->path) : 0;
		for (struct tty_item *it = t->head; it; it = it->next) {
			if (it == found || it->taken || it->done || it->group ||
			    strcmp(it->op, found->op) != 0 || (it->access & ~found->access) ||
			    strncmp(it->path, found->path, dlen) != 0 || it->path[dlen] != '/' ||
			    strchr(it->path + dlen + 1, '/'))
				continue;
			it->group = found->id;
			(*ret_more)++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return found;
}

void supervisor_prompt_answer(struct supervisor *s, struct tty_item *it,
			      const struct approval_answer *ans, const char *dir)
{
	struct tty_approver *t = &s->tty;
	pthread_mutex_lock(&t->lock);
	*it->ans = *ans;
	it->done = true;
	/* "The directory for the session" grants the access shown beneath the directory: what
	 * waits there asking for no more than that is settled with it (the grant would allow it
	 * anyway); anything asking for more is asked on its own. Other answers settle nothing
	 * else. Test: tests/e2e/test-tokens.c directory_answer_settles_only_what_was_shown. */
	for (struct tty_item *o = t->head; o; o = o->next) {
		if (o->group == it->id)
			o->group = 0;
		if (!dir || !ans->allow || o->taken || o->done || (o->access & ~it->access) ||
		    !path_is_beneath(o->path, dir))
			continue;
		*o->ans = *ans;
		o->done = true;
	}
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

bool supervisor_consult(struct supervisor *s, const struct approval_request *rq,
			struct approval_answer *ans)
{
	if (supervisor_queue_answered(s)) {
		consult_tty(s, rq, ans);
		return true;
	}
	if (!s->approve_cmd) {
		*ans = (struct approval_answer){ .allow = false };
		snprintf(ans->reason, sizeof(ans->reason), "no approver");
		return false;
	}
	approver_cmd_ask_cancellable(s->approve_cmd, s->approve_timeout_ms, rq, s->cancel_fd, ans);
	return true;
}

bool supervisor_ask(struct supervisor *s, const struct seccomp_notif *req, int asks,
		    const char *op, const char *path, uint32_t access)
{
	if (!s->approve_cmd && !supervisor_queue_answered(s))
		return false;
	if (atomic_fetch_add(&s->pending, 1) >= SUPERVISOR_MAX_PENDING) {
		atomic_fetch_sub(&s->pending, 1);
		return false;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (!p) {
		atomic_fetch_sub(&s->pending, 1);
		return false;
	}
	p->s = s;
	p->req = *req;
	p->asks = asks;
	snprintf(p->op, sizeof(p->op), "%s", op);
	snprintf(p->path, sizeof(p->path), "%s", path);
	p->access = access;

	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t, &attr, approval_main, p);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(p);
		atomic_fetch_sub(&s->pending, 1);
		return false;
	}
	atomic_fetch_add(&s->n_asked, 1);
	return true;
}
