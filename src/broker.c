/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Emulated operations: decode a trapped call, resolve its paths as the requester would, decide,
 * and either let the kernel run it (CONTINUE, only for calls Landlock checks and only where
 * the floor grants them), perform it on the resolved object, or refuse it.
 *
 * Order, for every call (invariant 3): pin the requesting thread's cwd/fd, read each pointer
 * argument once into our memory, then NOTIF_ID_VALID (the tid cannot be recycled while its
 * notification pends, so a still-valid id proves we read the right task), then decide and act
 * on what we read, never on its memory again.
 *
 * When resolution or reading fails, a call Landlock checks is CONTINUEd: the kernel then gives
 * its own errno (ENOENT, ENAMETOOLONG, EFAULT, ELOOP...) with the floor in force, never more.
 * Calls Landlock does not check (chmod, chown, utimensat) are never CONTINUEd.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "cleanup.h"
#include "identity.h"
#include "notify.h"
#include "resolve.h"
#include "supervisor.h"
#include "util.h"

#include "broker.h"

static uint64_t elapsed_us(const struct call *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - c->start.tv_sec) * 1000000 +
			  (now.tv_nsec - c->start.tv_nsec) / 1000);
}

/* Argument layout of one trapped syscall (x86_64). -1: not present. */
struct layout {
	int nr;
	enum op_kind kind;
	const char *name;
	int dirfd, path, dirfd2, path2, flags, mode, extra;
	int fixed_flags; /* for open/creat/unlink/rmdir: implied flags */
};

#define NONE -1
static const struct layout layouts[] = {
	{ SYS_open, OP_OPEN, "open", NONE, 0, NONE, NONE, 1, 2, NONE, 0 },
	{ SYS_creat, OP_OPEN, "open", NONE, 0, NONE, NONE, NONE, 1, NONE, O_CREAT | O_WRONLY | O_TRUNC },
	{ SYS_openat, OP_OPEN, "open", 0, 1, NONE, NONE, 2, 3, NONE, 0 },
	{ SYS_openat2, OP_OPEN, "open", 0, 1, NONE, NONE, NONE, NONE, 2, 0 },
	{ SYS_mkdir, OP_MKDIR, "mkdir", NONE, 0, NONE, NONE, NONE, 1, NONE, 0 },
	{ SYS_mkdirat, OP_MKDIR, "mkdir", 0, 1, NONE, NONE, NONE, 2, NONE, 0 },
	{ SYS_mknod, OP_MKNOD, "mknod", NONE, 0, NONE, NONE, NONE, 1, NONE, 0 },
	{ SYS_mknodat, OP_MKNOD, "mknod", 0, 1, NONE, NONE, NONE, 2, NONE, 0 },
	{ SYS_unlink, OP_UNLINK, "unlink", NONE, 0, NONE, NONE, NONE, NONE, NONE, 0 },
	{ SYS_rmdir, OP_UNLINK, "rmdir", NONE, 0, NONE, NONE, NONE, NONE, NONE, AT_REMOVEDIR },
	{ SYS_unlinkat, OP_UNLINK, "unlink", 0, 1, NONE, NONE, 2, NONE, NONE, 0 },
	{ SYS_rename, OP_RENAME, "rename", NONE, 0, NONE, 1, NONE, NONE, NONE, 0 },
	{ SYS_renameat, OP_RENAME, "rename", 0, 1, 2, 3, NONE, NONE, NONE, 0 },
	{ SYS_renameat2, OP_RENAME, "rename", 0, 1, 2, 3, 4, NONE, NONE, 0 },
	{ SYS_link, OP_LINK, "link", NONE, 0, NONE, 1, NONE, NONE, NONE, 0 },
	{ SYS_linkat, OP_LINK, "link", 0, 1, 2, 3, 4, NONE, NONE, 0 },
	{ SYS_symlink, OP_SYMLINK, "symlink", NONE, 0, NONE, 1, NONE, NONE, NONE, 0 },
	{ SYS_symlinkat, OP_SYMLINK, "symlink", NONE, 0, 1, 2, NONE, NONE, NONE, 0 },
	{ SYS_truncate, OP_TRUNCATE, "truncate", NONE, 0, NONE, NONE, NONE, NONE, 1, 0 },
	{ SYS_chmod, OP_CHMOD, "chmod", NONE, 0, NONE, NONE, NONE, 1, NONE, 0 },
	{ SYS_fchmodat, OP_CHMOD, "chmod", 0, 1, NONE, NONE, NONE, 2, NONE, 0 },
	{ 452 /* fchmodat2 */, OP_CHMOD, "chmod", 0, 1, NONE, NONE, 3, 2, NONE, 0 },
	{ SYS_chown, OP_CHOWN, "chown", NONE, 0, NONE, NONE, NONE, NONE, 1, 0 },
	{ SYS_lchown, OP_CHOWN, "chown", NONE, 0, NONE, NONE, NONE, NONE, 1, AT_SYMLINK_NOFOLLOW },
	{ SYS_fchownat, OP_CHOWN, "chown", 0, 1, NONE, NONE, 4, NONE, 2, 0 },
	{ SYS_utimensat, OP_UTIMENS, "utimes", 0, 1, NONE, NONE, 3, NONE, 2, 0 },
	{ SYS_utime, OP_UTIMENS, "utimes", NONE, 0, NONE, NONE, NONE, NONE, 1, 0 },
	{ SYS_utimes, OP_UTIMENS, "utimes", NONE, 0, NONE, NONE, NONE, NONE, 1, 0 },
	{ SYS_futimesat, OP_UTIMENS, "utimes", 0, 1, NONE, NONE, NONE, NONE, 2, 0 },
	/* extra: the name; for setxattr the value and size follow it */
	{ SYS_setxattr, OP_SETXATTR, "setxattr", NONE, 0, NONE, NONE, 4, NONE, 1, 0 },
	{ SYS_lsetxattr, OP_SETXATTR, "setxattr", NONE, 0, NONE, NONE, 4, NONE, 1, AT_SYMLINK_NOFOLLOW },
	{ SYS_removexattr, OP_RMXATTR, "removexattr", NONE, 0, NONE, NONE, NONE, NONE, 1, 0 },
	{ SYS_lremovexattr, OP_RMXATTR, "removexattr", NONE, 0, NONE, NONE, NONE, NONE, 1, AT_SYMLINK_NOFOLLOW },
	{ SYS_connect, OP_CONNECT, "connect", NONE, NONE, NONE, NONE, NONE, NONE, NONE, 0 },
	{ SYS_bind, OP_BIND, "bind", NONE, NONE, NONE, NONE, NONE, NONE, NONE, 0 },
};

static const struct layout *find_layout(int nr)
{
	for (size_t i = 0; i < ELEMENTSOF(layouts); i++)
		if (layouts[i].nr == nr)
			return &layouts[i];
	return NULL;
}

int arg_int(const struct seccomp_notif *req, int i)
{
	return (int)(uint32_t)req->data.args[i]; /* the kernel's int: the low 32 bits */
}

void answer_continue(struct call *c)
{
	notify_continue(c->fd, c->req->id);
	atomic_fetch_add(&c->s->n_continued, 1);
}

void answer_error(struct call *c, int err)
{
	notify_fail(c->fd, c->req->id, err);
}

void deny(struct call *c, const char *path, uint32_t access, const char *by, int err)
{
	answer_error(c, err);
	atomic_fetch_add(&c->s->n_denied, 1);
	supervisor_audit(c->s, c->tid, c->name, path, access, false, by, err, elapsed_us(c));
	supervisor_tell_denied(c->s, c->name, path, access, by);
}

void performed(struct call *c, const char *path, uint32_t access, const char *by)
{
	atomic_fetch_add(&c->s->n_brokered, 1);
	supervisor_audit(c->s, c->tid, c->name, path, access, true, by, 0, elapsed_us(c));
}

/* What the floor and the allow rules give path, without grants (they are per object). */
static uint32_t standing_access(const struct supervisor *s, const char *path)
{
	uint32_t bits = 0;
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1) {
		uint32_t effect;
		if (floor_grants(s->policy, path, bit) ||
		    (policy_decide(s->policy, path, bit, &effect) && effect == AIRLOCK_EFFECT_ALLOW))
			bits |= bit;
	}
	return bits;
}

/* Does a deny rule lie at path or beneath it? Moving path would carry what it protects. */
static bool holds_denied(const struct supervisor *s, const char *path)
{
	for (size_t i = 0; i < s->policy->n_rules; i++) {
		const struct crule *r = &s->policy->rules[i];
		if (r->deny && path_is_beneath(r->path, path))
			return true;
	}
	return false;
}

/* Does the requester act with our file-system identity (ids and groups)? Read from its
 * status, then checked to still be the requester (invariant 3). */
static bool same_identity(struct call *c)
{
	return identity_is_ours(c->tid) && notify_id_valid(c->fd, c->req->id) == 0;
}

/* Is path exactly the path of a rule (as opposed to something beneath one)? */
static bool is_rule_path(const struct supervisor *s, const char *path)
{
	for (size_t i = 0; i < s->policy->n_rules; i++)
		if (!strcmp(s->policy->rules[i].path, path))
			return true;
	return false;
}

/* Is the object at t's name still the one we judged? Before acting by name. */
static bool still_same(const struct target *t)
{
	struct stat st;
	if (!t->exists)
		return true;
	if (fstatat(t->dir, t->leaf[0] ? t->leaf : ".", &st, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) < 0)
		return false;
	return st.st_dev == t->st.st_dev && st.st_ino == t->st.st_ino;
}

/* Is every bit of access on path granted by the floor? */
static bool floor_all(const struct compiled_policy *p, const char *path, uint32_t access)
{
	for (uint32_t bit = 1; bit <= AIRLOCK_ACCESS_EXEC; bit <<= 1)
		if ((access & bit) && !floor_grants(p, path, bit))
			return false;
	return true;
}

/*
 * The fast path, for calls Landlock checks: when the path as written (made absolute with the
 * thread's cwd, without "..") lies where the floor grants the access, CONTINUE without
 * resolving anything. Whatever the path really names, and whatever the sandbox writes into its
 * memory afterwards, Landlock decides on the object (invariant 1): the worst a wrong guess
 * costs is an EACCES where resolving would have asked or brokered (a symlink from the floor
 * into an "ask" region). One stat keeps a pre-existing hardlink of a secret out, as the slow
 * path would; a racing swap after it is the TOCTOU that CONTINUE always leaves, bounded by the
 * floor. Test: tests/e2e/test-supervisor.c (secrets_stay_denied_whatever_the_approver_says).
 */
static bool fast_continue(struct call *c, int dirfd_arg, const char *raw, uint32_t access)
{
	char cwd[PATH_MAX], lex[PATH_MAX];
	_cleanup_free_ char *norm = NULL;

	if (c->s->careful || !raw[0])
		return false;
	/* Relative to a dirfd: we would have to resolve it; only absolute paths ignore it. */
	if (dirfd_arg != NONE && arg_int(c->req, dirfd_arg) != AT_FDCWD && raw[0] != '/')
		return false;
	if (raw[0] == '/') {
		if (path_normalize(raw, &norm) < 0)
			return false;
	} else {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", (int)c->tid);
		ssize_t n = readlink(proc, cwd, sizeof(cwd) - 1);
		if (n <= 0 || cwd[0] != '/')
			return false;
		cwd[n] = '\0';
		size_t rl = strlen(raw);
		if ((size_t)n + 1 + rl >= sizeof(lex))
			return false;
		memcpy(lex, cwd, (size_t)n);
		lex[n] = '/';
		memcpy(lex + n + 1, raw, rl + 1);
		if (path_normalize(lex, &norm) < 0)
			return false;
	}
	const char *path = norm;
	for (size_t i = 0; c->s->alias_from && c->s->alias_from[i]; i++) {
		const char *from = c->s->alias_from[i];
		if (path_is_beneath(norm, from)) {
			const char *to = c->s->alias_to[i], *rest = norm + strlen(from);
			size_t tl = strlen(to), rl = strlen(rest);
			if (tl + rl >= sizeof(lex))
				return false;
			memcpy(lex, to, tl);
			memcpy(lex + tl, rest, rl + 1);
			path = lex;
			break;
		}
	}
	if (!floor_all(c->s->policy, path, access))
		return false;
	/* Never stat /proc paths here: /proc/self would be ours (invariant 7). */
	struct stat st;
	if (c->s->n_deny_inodes && !path_is_beneath(path, "/proc") && stat(path, &st) == 0 &&
	    st.st_nlink > 1 && supervisor_denied_inode(c->s, &st, access))
		return false;
	answer_continue(c);
	return true;
}

/*
 * Decide for an object. Returns the verdict; on VERDICT_ASK an approval has been started (the
 * call is answered later) or, if none could be, the call was denied: either way the caller
 * stops. landlock: whether the kernel checks this call itself (then CONTINUE is allowed).
 */
enum verdict judge(struct call *c, const struct target *t, uint32_t access, bool landlock,
			  const char **by)
{
	bool floor_ok = landlock && floor_all(c->s->policy, t->path, access);
	enum verdict v = supervisor_decide(c->s, t->path, access, floor_ok, by);

	/* The approval this request was re-handled for: only for the object it was given for. */
	if (v == VERDICT_ASK && c->approved && c->approved->once &&
	    !strcmp(c->approved->path, t->path) && !(access & ~c->approved->access)) {
		v = VERDICT_PERFORM;
		*by = "approver";
	}
	/* Where another name of a denied object exists, the floor is not enough: the kernel
	 * would re-resolve the path after us. Check the object ourselves. */
	if (v == VERDICT_CONTINUE && c->s->careful)
		v = VERDICT_PERFORM;

	/* A secret's other name (a hardlink made before the start, a bind mount) is still the
	 * secret: refuse it, even where the floor or a grant would allow its path. */
	if (t->exists && v != VERDICT_DENY && supervisor_denied_inode(c->s, &t->st, access)) {
		deny(c, t->path, access, "deny-inode", EACCES);
		return VERDICT_DENY;
	}
	/* The first answer after an approval is the approver's, later ones the grant's. */
	if (c->approved && !strcmp(*by, "grant"))
		*by = "approver";
	/*
	 * What the supervisor performs, it performs with its own identity. Without privilege
	 * the requester's cannot differ (no_new_privs, same user); a root-run sandbox keeps
	 * CAP_SETUID, so a process that changed identity is not served beyond the floor.
	 * Test: tests/e2e/test-supervisor.c (changed_identity_not_served, as root).
	 */
	if (v == VERDICT_PERFORM && geteuid() == 0 && !same_identity(c)) {
		deny(c, t->path, access, "identity", EACCES);
		return VERDICT_DENY;
	}
	switch (v) {
	case VERDICT_DENY:
		deny(c, t->path, access, *by, EACCES);
		return v;
	case VERDICT_ASK:
		if (c->asks <= 0) {
			deny(c, t->path, access, "approver", EACCES);
			return VERDICT_DENY;
		}
		if (!supervisor_ask(c->s, c->req, c->asks, c->name, t->path, access)) {
			deny(c, t->path, access, c->s->approve_cmd || supervisor_queue_answered(c->s) ? "overload" : "ask",
			     EACCES);
			return VERDICT_DENY;
		}
		return v;
	default:
		return v;
	}
}

/* fetch_path(): the request is gone (its thread died or was interrupted): answer nothing. */
#define GONE 1

/* Read the path argument, pin its base; then prove the request still pends. Returns 0, GONE,
 * or -errno from reading or resolving the base. */
/* Read the path argument once into buf (PATH_MAX bytes). Returns its length or -errno. */
static ssize_t read_path(struct call *c, int path_arg, char *buf)
{
	ssize_t n = mem_read_path(c->tid, c->req->data.args[path_arg], buf);
	if (n == -EPERM || n == -EACCES) {
		/* Fail closed, and say so: the kernel floor still applies, nothing more. */
		char what[64];
		snprintf(what, sizeof(what), "process %d", (int)c->tid);
		supervisor_tell_denied(c->s, "memory read", what, 0, "unreadable");
	}
	return n;
}

/* Pin the base the path (already read into buf) starts from; then prove the request still
 * pends. Returns 0, GONE, or -errno. */
static int pin_base(struct call *c, int dirfd_arg, const char *buf, int *ret_base)
{
	const struct seccomp_notif *req = c->req;
	int dirfd = dirfd_arg == NONE ? AT_FDCWD : arg_int(req, dirfd_arg);
	int r;
	if (buf[0] == '/') {
		/* Absolute: the root, which the sandbox cannot change (no chroot, no namespaces). */
		*ret_base = fcntl(c->s->root_fd, F_DUPFD_CLOEXEC, 3);
		r = *ret_base < 0 ? -errno : 0;
	} else {
		r = resolve_base(c->tid, dirfd, buf, ret_base);
	}
	if (r < 0)
		return r;
	if (notify_id_valid(c->fd, req->id) < 0) {
		*ret_base = safe_close(*ret_base);
		return GONE;
	}
	return 0;
}

static int fetch_path(struct call *c, int dirfd_arg, int path_arg, char *buf, int *ret_base)
{
	ssize_t n = read_path(c, path_arg, buf);
	if (n < 0)
		return (int)n;
	return pin_base(c, dirfd_arg, buf, ret_base);
}

int openat2_leaf(const struct target *t, uint64_t flags, uint64_t mode)
{
	/* openat2 takes O_PATH only with O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC. */
	struct open_how how = {
		.flags = flags | O_NOFOLLOW | O_CLOEXEC | ((flags & O_PATH) ? 0 : O_NOCTTY),
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, t->dir, t->leaf[0] ? t->leaf : ".", &how, sizeof(how));
	return fd < 0 ? -errno : fd;
}

/* ---- open ---- */

int broker_open_target(struct supervisor *s, const struct target *t, uint64_t flags, uint64_t mode,
		       uint32_t access, pid_t tid, uid_t expect_uid, const char **ret_refused)
{
	/* Invariant 7: never open devices, FIFOs or sockets for the sandbox (an O_PATH fd does
	 * no I/O, and its re-opens are checked by the kernel). */
	bool opath = flags & O_PATH;
	*ret_refused = NULL;
	if (t->exists && !opath && !S_ISREG(t->st.st_mode) && !S_ISDIR(t->st.st_mode)) {
		*ret_refused = "not-a-file";
		return -EACCES;
	}
	/* A file it creates gets its umask and file-system ids; to open an existing one, ours are
	 * the same (same user, no_new_privs). */
	uid_t uid;
	gid_t gid;
	bool creating = !t->exists && (flags & O_CREAT);
	if (creating) {
		take_on_identity(tid, &uid, &gid);
		/* The requester as its connection knew it (the SDK): a pid that now names another
		 * process creates nothing. */
		if (expect_uid != (uid_t)-1 && uid != expect_uid) {
			drop_identity();
			*ret_refused = "identity";
			return -EACCES;
		}
	}
	/* Truncate only after checking what we opened; never block opening. */
	int fd = openat2_leaf(t, opath ? O_PATH | (flags & O_DIRECTORY)
				       : (flags & ~(uint64_t)(O_TRUNC | O_CLOEXEC)) | O_NONBLOCK, mode);
	if (creating)
		drop_identity();
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || (!opath && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) ||
	    (t->exists && (st.st_dev != t->st.st_dev || st.st_ino != t->st.st_ino)) ||
	    supervisor_denied_inode(s, &st, access)) {
		/* Swapped under us, or not a plain file: refuse rather than guess. */
		close(fd);
		*ret_refused = "changed";
		return -EACCES;
	}
	if ((flags & O_TRUNC) && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!opath && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static void do_open(struct call *c, const struct layout *l)
{
	const struct seccomp_notif *req = c->req;
	char path[PATH_MAX];
	_cleanup_close_ int base = -EBADF;
	struct target t = { .dir = -EBADF };
	uint64_t flags, mode = 0, resolve = 0;
	int r;

	if (l->nr == SYS_openat2) {
		struct open_how how;
		uint64_t size = req->data.args[3];
		if (size < sizeof(how))
			return answer_continue(c); /* the kernel says EINVAL */
		if (mem_read(c->tid, req->data.args[2], &how, sizeof(how)) < 0)
			return answer_continue(c);
		/* A larger struct with a non-zero tail, or flags we do not know how to honour:
		 * the kernel's own checks (E2BIG, EINVAL) and Landlock decide. */
		if (size > sizeof(how) || (how.flags & ~(uint64_t)OPEN_KNOWN_FLAGS) || how.resolve)
			return answer_continue(c);
		flags = how.flags;
		mode = how.mode;
		resolve = how.resolve;
	} else {
		flags = l->fixed_flags ? (uint64_t)l->fixed_flags : (uint32_t)arg_int(req, l->flags);
		flags &= OPEN_KNOWN_FLAGS; /* open(2) ignores unknown bits */
		mode = (uint32_t)arg_int(req, l->mode) & 07777;
	}
	(void)resolve;

	/* O_PATH opens are not checked by Landlock (a re-open through /proc/self/fd is, on the
	 * path of the name it was opened by); O_TMPFILE is not brokered yet. */
	if (((flags & O_PATH) && !c->s->careful) || (flags & O_TMPFILE) == O_TMPFILE)
		return answer_continue(c);
	/* open(2) ignores the mode without O_CREAT, openat2 refuses it: do as open(2). A file
	 * the supervisor creates is never set-id. */
	if (!(flags & O_CREAT))
		mode = 0;
	mode &= ~(uint64_t)(S_ISUID | S_ISGID);

	uint32_t want = (flags & O_ACCMODE) == O_RDONLY ? R : (flags & O_ACCMODE) == O_WRONLY ? W : R | W;
	if (flags & (O_TRUNC | O_CREAT))
		want |= W;
	/* One read of the path serves the fast path and the resolution. */
	if (read_path(c, l->path, path) < 0)
		return answer_continue(c);
	if (fast_continue(c, l->dirfd, path, want))
		return;

	r = pin_base(c, l->dirfd, path, &base);
	if (r == GONE)
		return;
	if (r < 0)
		return answer_continue(c);
	/* "name/" names a directory: creating a file by it is the kernel's EISDIR. */
	size_t plen = strlen(path);
	if ((flags & O_CREAT) && plen && path[plen - 1] == '/')
		return answer_error(c, EISDIR);
	bool follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
	r = resolve_target(base, path, follow, &t);
	if (r != 0) {
		target_done(&t);
		return answer_continue(c);
	}

	/* A last component that is a symlink we must not follow: the kernel's own errno (ELOOP,
	 * or EEXIST for O_CREAT|O_EXCL), which opening nothing cannot leak. */
	if (t.exists && S_ISLNK(t.st.st_mode) && !(flags & O_PATH)) {
		target_done(&t);
		return answer_continue(c);
	}
	uint32_t access = 0;
	switch (flags & O_ACCMODE) {
	case O_RDONLY: access = R; break;
	case O_WRONLY: access = W; break;
	default: access = R | W; break;
	}
	if (flags & O_TRUNC)
		access |= W;
	if (flags & O_PATH)
		access = R; /* careful mode: an O_PATH name of a denied object is refused as a read */
	if (!t.exists && !(flags & O_CREAT)) {
		target_done(&t);
		return answer_continue(c); /* ENOENT from the kernel */
	}
	if (!t.exists)
		access |= W;

	const char *by;
	enum verdict v = judge(c, &t, access, true, &by);
	if (v == VERDICT_CONTINUE)
		answer_continue(c);
	if (v != VERDICT_PERFORM) {
		target_done(&t);
		return;
	}

	const char *refused = NULL;
	int fd = broker_open_target(c->s, &t, flags, mode, access, c->tid, (uid_t)-1, &refused);
	if (fd < 0) {
		if (refused)
			deny(c, t.path, access, refused, -fd);
		else
			answer_error(c, -fd);
		target_done(&t);
		return;
	}
	r = notify_inject_fd(c->fd, req->id, fd, flags & O_CLOEXEC, false);
	close(fd);
	if (r >= 0)
		performed(c, t.path, access, by);
	target_done(&t);
}

/* ---- the others ---- */

/* Resolve one path argument; on failure answer the call (CONTINUE where Landlock checks,
 * the error otherwise) and return false. */
static bool get_target(struct call *c, int dirfd_arg, int path_arg, bool follow, bool landlock,
		       struct target *t)
{
	char path[PATH_MAX];
	_cleanup_close_ int base = -EBADF;
	int r = fetch_path(c, dirfd_arg, path_arg, path, &base);
	if (r == GONE)
		return false;
	if (r == 0)
		r = resolve_target(base, path, follow, t);
	if (r == 0)
		return true;
	target_done(t);
	if (landlock)
		answer_continue(c);
	else
		answer_error(c, r == RESOLVE_PROC ? EACCES : -r);
	return false;
}

#define XATTR_FLAGS (XATTR_CREATE | XATTR_REPLACE)

/*
 * The name (and for setxattr the value) of an xattr call, read once from the requester, with
 * the kernel's errors in the kernel's order: EINVAL for unknown flags, ERANGE for an empty or
 * too long name, E2BIG for a value over XATTR_SIZE_MAX, EFAULT for memory it cannot read.
 * Returns 0 or that errno.
 */
static int read_xattr_args(struct call *c, const struct layout *l, char name[XATTR_NAME_MAX + 1],
			   void **ret_value, size_t *ret_size)
{
	const struct seccomp_notif *req = c->req;
	if (c->kind == OP_SETXATTR && (arg_int(req, l->flags) & ~XATTR_FLAGS))
		return EINVAL;
	/* The name is at most XATTR_NAME_MAX bytes: read the page-bounded string the way the
	 * paths are, but into a buffer that says ERANGE past that. */
	char buf[PATH_MAX];
	ssize_t n = mem_read_path(c->tid, req->data.args[l->extra], buf);
	if (n == -ENAMETOOLONG || n == 0 || n > XATTR_NAME_MAX)
		return ERANGE;
	if (n < 0)
		return EFAULT;
	memcpy(name, buf, (size_t)n + 1);
	if (c->kind != OP_SETXATTR)
		return 0;
	uint64_t size = req->data.args[l->extra + 2];
	if (size > XATTR_SIZE_MAX)
		return E2BIG;
	if (size) {
		void *v = malloc(size);
		if (!v)
			return ENOMEM;
		if (mem_read(c->tid, req->data.args[l->extra + 1], v, size) < 0) {
			free(v);
			return EFAULT;
		}
		*ret_value = v;
	}
	*ret_size = size;
	return 0;
}

/*
 * Which xattrs the supervisor writes: those a user without privilege may write, on plain files
 * and directories: "user.*", and the POSIX ACLs (which the kernel checks like a chmod). Never
 * "trusted.*" or "security.*" (a root supervisor could set file capabilities), nor others of
 * "system.*". Returns 0, or the errno an unprivileged caller would get.
 */
static int xattr_allowed(const char *name, const struct stat *st)
{
	static const char *const known[] = { "user.", "trusted.", "security.", "system." };
	bool prefixed = false;
	for (size_t i = 0; i < ELEMENTSOF(known); i++)
		prefixed |= !strncmp(name, known[i], strlen(known[i]));
	if (!prefixed)
		return EOPNOTSUPP;
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return EPERM; /* user.* on a symlink, FIFO or device: the kernel's EPERM */
	if (!strncmp(name, "user.", 5) || !strcmp(name, "system.posix_acl_access") ||
	    !strcmp(name, "system.posix_acl_default"))
		return 0;
	return !strncmp(name, "system.", 7) ? EOPNOTSUPP : EPERM;
}

static void do_simple(struct call *c, const struct layout *l)
{
	const struct seccomp_notif *req = c->req;
	struct target t = { .dir = -EBADF };
	bool xattr = c->kind == OP_SETXATTR || c->kind == OP_RMXATTR;
	bool landlock = c->kind != OP_CHMOD && c->kind != OP_CHOWN && c->kind != OP_UTIMENS && !xattr;
	/* "path_metadata": "deny" (the strict profile, the library's default) refuses the path
	 * forms of the metadata calls whoever decides: EPERM, as the static filter answers. */
	if (!landlock && !c->s->policy->path_metadata)
		return answer_error(c, EPERM);
	int flags = l->fixed_flags;
	if (l->flags != NONE)
		flags |= arg_int(req, l->flags);
	/* An xattr's name and value: read first, checked as the kernel checks them before it
	 * looks the path up. */
	char xname[XATTR_NAME_MAX + 1];
	_cleanup_free_ void *xvalue = NULL;
	size_t xsize = 0;
	if (xattr) {
		int e = read_xattr_args(c, l, xname, &xvalue, &xsize);
		if (e)
			return answer_error(c, e);
	}
	/* The times: read with the path, before the request is checked to pend; utime's
	 * utimbuf (seconds) and utimes' timevals (microseconds) become utimensat's timespecs. */
	struct timespec ts[2];
	bool now = true;
	if (c->kind == OP_UTIMENS && req->data.args[l->extra] != 0) {
		uint64_t at = req->data.args[l->extra];
		int r = 0;
		if (l->nr == SYS_utimensat) {
			r = mem_read(c->tid, at, ts, sizeof(ts));
		} else if (l->nr == SYS_utime) {
			struct utimbuf ub;
			r = mem_read(c->tid, at, &ub, sizeof(ub));
			ts[0] = (struct timespec){ ub.actime, 0 };
			ts[1] = (struct timespec){ ub.modtime, 0 };
		} else {
			struct timeval tv[2];
			r = mem_read(c->tid, at, tv, sizeof(tv));
			for (int i = 0; i < 2 && r >= 0; i++) {
				/* utimes(2): microseconds out of range are EINVAL. */
				if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
					return answer_error(c, EINVAL);
				ts[i] = (struct timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
			}
		}
		if (r < 0)
			return answer_error(c, EFAULT);
		now = false;
	}
	bool follow = c->kind == OP_TRUNCATE ||
		      ((c->kind == OP_CHMOD || c->kind == OP_CHOWN || c->kind == OP_UTIMENS || xattr) &&
		       !(flags & AT_SYMLINK_NOFOLLOW));

	/* AT_EMPTY_PATH ("" names the dirfd itself) is not brokered: Landlock does not check
	 * metadata calls, so only what the floor grants may go on. */
	if (!get_target(c, l->dirfd, l->path, follow, landlock, &t))
		return;
	if (!t.exists && c->kind != OP_MKDIR && c->kind != OP_MKNOD) {
		target_done(&t);
		return landlock ? answer_continue(c) : answer_error(c, ENOENT);
	}
	if (t.exists && (c->kind == OP_MKDIR || c->kind == OP_MKNOD)) {
		target_done(&t);
		return answer_continue(c); /* EEXIST from the kernel */
	}
	if (c->kind == OP_MKNOD && (arg_int(req, l->mode) & S_IFMT) != 0 &&
	    (arg_int(req, l->mode) & S_IFMT) != S_IFREG && (arg_int(req, l->mode) & S_IFMT) != S_IFIFO) {
		target_done(&t);
		return answer_continue(c); /* devices: the kernel and Landlock say no */
	}

	const char *by;
	enum verdict v = judge(c, &t, W, landlock, &by);
	if (v == VERDICT_CONTINUE) {
		if (landlock)
			answer_continue(c);
		else
			v = VERDICT_PERFORM; /* metadata calls are performed, never continued */
	}
	if (v != VERDICT_PERFORM) {
		target_done(&t);
		return;
	}
	/*
	 * Metadata: only of plain files, directories and symlinks the rules let it write inside
	 * (never a rule's own path: /dev/null, /dev/shm, the project root), and never making a
	 * set-id file (a root-run sandbox could leave a setuid binary behind).
	 * Test: tests/e2e/test-supervisor.c (metadata_limits).
	 */
	if (!landlock && t.exists &&
	    ((!S_ISREG(t.st.st_mode) && !S_ISDIR(t.st.st_mode) && !S_ISLNK(t.st.st_mode)) ||
	     is_rule_path(c->s, t.path))) {
		target_done(&t);
		return deny(c, t.path, W, "rule", EPERM);
	}
	/* Extended attributes: only where a user without privilege may write them (see
	 * xattr_allowed()); the kernel's own errno otherwise. */
	if (xattr) {
		int e = xattr_allowed(xname, &t.st);
		if (e) {
			target_done(&t);
			return answer_error(c, e);
		}
	}
	/* Act on what was judged: the same object under the same name, and for a removal a
	 * name of its own (".", a directory named by itself, is the kernel's to refuse). */
	if (!still_same(&t) || (c->kind == OP_UNLINK && !t.leaf[0])) {
		target_done(&t);
		return c->kind == OP_UNLINK && landlock ? answer_continue(c) : deny(c, t.path, W, "changed", EACCES);
	}

	uid_t uid;
	gid_t gid;
	int r = 0;
	take_on_identity(c->tid, &uid, &gid);
	switch (c->kind) {
	case OP_MKDIR:
		r = mkdirat(t.dir, t.leaf, (mode_t)arg_int(req, l->mode) & 07777);
		break;
	case OP_MKNOD:
		r = mknodat(t.dir, t.leaf, (mode_t)arg_int(req, l->mode) & (S_IFMT | 01777), 0);
		break;
	case OP_UNLINK:
		r = unlinkat(t.dir, t.leaf, flags & AT_REMOVEDIR);
		break;
	case OP_TRUNCATE: {
		int fd = openat2_leaf(&t, O_WRONLY | O_NONBLOCK, 0);
		struct stat st;
		if (fd < 0) {
			r = -1;
			errno = -fd;
		} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != t.st.st_ino) {
			errno = EACCES;
			r = -1;
		} else {
			r = ftruncate(fd, (off_t)req->data.args[1]);
		}
		if (fd >= 0)
			close(fd);
		break;
	}
	case OP_CHMOD:
	case OP_CHOWN:
	case OP_UTIMENS:
	case OP_SETXATTR:
	case OP_RMXATTR: {
		/* On the object we resolved: an O_PATH fd of it and AT_EMPTY_PATH; and the same
		 * object still (a rename into the directory after still_same() would swap it). */
		int fd = openat2_leaf(&t, O_PATH, 0);
		struct stat ost;
		if (fd >= 0 && (fstat(fd, &ost) < 0 || ost.st_dev != t.st.st_dev || ost.st_ino != t.st.st_ino)) {
			close(fd);
			fd = -EACCES;
		}
		if (fd < 0) {
			r = -1;
			errno = -fd;
			break;
		}
		if (c->kind == OP_CHMOD) {
			mode_t m = (mode_t)arg_int(req, l->mode) & 07777 & ~(mode_t)(S_ISUID | S_ISGID);
			r = (int)syscall(452, fd, "", m, AT_EMPTY_PATH);
		} else if (xattr) {
			/* fsetxattr() takes no O_PATH fd (setxattrat() does, from 6.13 only): the
			 * object through its magic link, which names exactly what we opened. */
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			r = c->kind == OP_SETXATTR ? setxattr(proc, xname, xvalue, xsize, flags & XATTR_FLAGS)
						   : removexattr(proc, xname);
		} else if (c->kind == OP_CHOWN) {
			r = fchownat(fd, "", (uid_t)arg_int(req, l->extra), (gid_t)arg_int(req, l->extra + 1),
				     AT_EMPTY_PATH);
		} else {
			r = utimensat(fd, "", now ? NULL : ts, AT_EMPTY_PATH);
		}
		int e = errno;
		close(fd);
		errno = e;
		break;
	}
	default:
		errno = ENOSYS;
		r = -1;
	}
	int e = errno;
	drop_identity();
	if (r < 0)
		answer_error(c, e);
	else if (notify_return(c->fd, req->id, 0) == 0)
		performed(c, t.path, W, by);
	target_done(&t);
}

/* rename, link, symlink: two paths (symlink's first is a string, never resolved). */
static void do_two(struct call *c, const struct layout *l)
{
	const struct seccomp_notif *req = c->req;
	struct target from = { .dir = -EBADF }, to = { .dir = -EBADF };
	char target_text[PATH_MAX];
	int flags = l->flags != NONE ? arg_int(req, l->flags) : 0;

	if (c->kind == OP_SYMLINK) {
		ssize_t n = mem_read_path(c->tid, req->data.args[l->path], target_text);
		if (n < 0)
			return answer_continue(c);
	} else if (!get_target(c, l->dirfd, l->path, c->kind == OP_LINK && (flags & AT_SYMLINK_FOLLOW),
			       true, &from)) {
		return;
	}
	if (!get_target(c, l->dirfd2, l->path2, false, true, &to)) {
		target_done(&from);
		return;
	}
	if ((c->kind != OP_SYMLINK && !from.exists) ||
	    ((c->kind == OP_LINK || c->kind == OP_SYMLINK) && to.exists)) {
		target_done(&from);
		target_done(&to);
		return answer_continue(c); /* ENOENT / EEXIST from the kernel */
	}

	/*
	 * Both ends must be allowed: the source is changed (rename) or read (link). And, as
	 * Landlock's REFER right has it, an object may not gain access by its new name: if the
	 * rules give the destination a right the source lacks (a read-only file linked into a
	 * writable tree, a file moved from where it could not be executed to where it can), the
	 * answer is EXDEV, and mv falls back to copy and remove, each checked on its own.
	 * Test: tests/e2e/test-supervisor.c (no_access_gained_by_a_new_name).
	 */
	uint32_t from_access = c->kind == OP_RENAME ? W : R;
	uint32_t at_from = c->kind == OP_SYMLINK ? 0 : standing_access(c->s, from.path);
	uint32_t at_to = standing_access(c->s, to.path);
	bool exchange = c->kind == OP_RENAME && (flags & RENAME_EXCHANGE);
	if (c->kind != OP_SYMLINK && ((at_to & ~at_from) || (exchange && (at_from & ~at_to)))) {
		answer_error(c, EXDEV);
		goto out;
	}
	/*
	 * Moving a directory moves what lies beneath it: never one that holds a denied path
	 * (~/.config holding ~/.config/gh) to where the floor would reach it by the new name, nor
	 * a name-less object ("." after a symlink). The kernel's own renames are checked by
	 * Landlock, which refuses these in carved directories. Test: test-supervisor.c
	 * (denied_subtree_cannot_be_moved).
	 */
	if (c->kind == OP_RENAME &&
	    (holds_denied(c->s, from.path) || (exchange && holds_denied(c->s, to.path)) ||
	     !from.leaf[0] || !to.leaf[0])) {
		answer_error(c, from.leaf[0] && to.leaf[0] ? EXDEV : EBUSY);
		goto out;
	}
	const char *by_from = "floor", *by_to;
	enum verdict vf = VERDICT_CONTINUE;
	bool floor_both = floor_all(c->s->policy, to.path, W) &&
			  (c->kind == OP_SYMLINK || floor_all(c->s->policy, from.path, from_access));
	if (floor_both && !(from.exists && supervisor_denied_inode(c->s, &from.st, from_access))) {
		answer_continue(c);
		goto out;
	}
	if (c->kind != OP_SYMLINK) {
		vf = judge(c, &from, from_access, false, &by_from);
		if (vf != VERDICT_PERFORM)
			goto out;
	}
	enum verdict vt = judge(c, &to, W, false, &by_to);
	if (vt != VERDICT_PERFORM)
		goto out;
	if ((c->kind != OP_SYMLINK && (!still_same(&from) || !from.leaf[0])) || !still_same(&to) ||
	    !to.leaf[0]) {
		deny(c, to.path, W, "changed", EACCES);
		goto out;
	}

	uid_t uid;
	gid_t gid;
	int r;
	take_on_identity(c->tid, &uid, &gid);
	if (c->kind == OP_RENAME)
		r = (int)syscall(SYS_renameat2, from.dir, from.leaf, to.dir, to.leaf, (unsigned)flags);
	else if (c->kind == OP_LINK)
		r = linkat(from.dir, from.leaf, to.dir, to.leaf, 0);
	else
		r = symlinkat(target_text, to.dir, to.leaf);
	int e = errno;
	drop_identity();
	if (r < 0)
		answer_error(c, e);
	else if (notify_return(c->fd, req->id, 0) == 0)
		performed(c, to.path, W, by_to);
out:
	target_done(&from);
	target_done(&to);
}

void broker_handle(struct supervisor *s, const struct seccomp_notif *req, int asks,
		   const struct approval *approved)
{
	const struct layout *l = find_layout(req->data.nr);
	struct call c = {
		.s = s, .req = req, .fd = s->listener, .tid = (pid_t)req->pid, .asks = asks,
		.approved = approved,
	};

	/* The filter only traps the native ABI, but do not trust that here either. */
	if (!l || req->data.arch != AUDIT_ARCH_X86_64 || req->pid == 0) {
		notify_fail(s->listener, req->id, ENOSYS);
		return;
	}
	c.kind = l->kind;
	c.name = l->name;
	/* One approval per object: a call with one path never starts a second one, even if its
	 * memory names another object when it is handled again after the first. */
	if (l->kind != OP_RENAME && l->kind != OP_LINK && c.asks > 1)
		c.asks = 1;
	if (s->audit)
		clock_gettime(CLOCK_MONOTONIC, &c.start);
	switch (l->kind) {
	case OP_OPEN:
		do_open(&c, l);
		break;
	case OP_RENAME:
	case OP_LINK:
	case OP_SYMLINK:
		do_two(&c, l);
		break;
	case OP_CONNECT:
	case OP_BIND:
		do_socket(&c);
		break;
	default:
		do_simple(&c, l);
		break;
	}
}
