/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit log; the interface is documented in audit.h.
 *
 * audit_log() copies the event into one allocation, stamps it (CLOCK_REALTIME, taken when the
 * decision is logged, not when it is written) and appends it to a bounded ring under a mutex;
 * a single writer thread takes batches off the ring, formats them and writes them with one
 * write() each. Decisions never wait for the disk.
 *
 * Drops. When the ring is full (or memory is short) the event is counted and discarded. The
 * next event that does get queued carries the count, so its line says "dropped": N, "N events
 * were lost just before this one", in the order they happened. If nothing is queued after the
 * drops, audit_close() ends the log with a line of its own: {"time": ..., "dropped": N}. A batch
 * the kernel refused to write (ENOSPC, EIO) is counted the same way.
 *
 * Encoding. Lines are formatted by hand: jansson would refuse invalid UTF-8 and writes DEL and
 * C1 controls raw. Every string is valid JSON with no raw control character: C0, DEL, C1, bidi
 * controls and U+2028/9 as \uXXXX. A string that is not valid UTF-8 has each invalid byte
 * written as the text \xNN and each backslash doubled (so the escaping is reversible), and
 * for the path the line says "path_escaped": true.
 *
 * Session trails and rotation. Only the writer thread touches the file: it formats a batch,
 * then writes runs of lines that fit under the cap with one write() each, and rotates between
 * two runs when the next line would not fit (emit_lines()). The line that triggered the
 * rotation is the first of the fresh file, so rotation loses nothing; a line that does not
 * land is counted as dropped, like any failed write.
 *
 * The listener is called from the writer thread after each batch is written, outside the
 * mutex, so a slow listener delays the trail but never a decision. in_listener, under the
 * mutex, lets audit_set_listener() wait for a call in progress, so that after it returns the
 * old listener (and its userdata) is never used again.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "policy.h"
#include "util.h"

#define AUDIT_QUEUE_DEFAULT 4096
#define AUDIT_BATCH 256
/* How long the writer gathers lines after the first of a burst (see writer_main). */
#define AUDIT_GATHER_NS (10 * 1000 * 1000)

struct audit_item {
	struct timespec time;
	pid_t pid;
	uint32_t access;
	int error;
	uint64_t latency_us;
	uint64_t dropped; /* events lost just before this one */
	const char *comm, *operation, *path, *result, *by, *reason; /* into data, or NULL */
	char data[];
};

typedef void (*audit_listener_fn)(const char *line, size_t len, void *userdata);

struct audit {
	int fd;        /* -EBADF: no file (audit_open_null) */
	int dirfd;     /* a session trail's directory, for rotation; else -EBADF */
	char *session; /* the session id, or NULL */
	uint64_t max_bytes; /* 0: never rotate */
	unsigned keep;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* to the writer: there is work, or stop */
	pthread_cond_t idle; /* from the writer: no listener call in progress */
	struct audit_item **ring;
	size_t cap, head, n;
	uint64_t dropped; /* not yet attached to a line */
	bool stop, hold;
	audit_listener_fn listener; /* under lock */
	void *listener_data;
	bool in_listener;
	/* Writer thread only (and the constructor, before it starts). */
	uint64_t size; /* bytes in the current file */
	bool torn; /* a write failed part-way: start the next one on a new line */
};

/*
 * Test hooks. They are declared here and not in audit.h, because they are not an interface
 * for the supervisor; tests/unit/test-audit.c declares them again.
 *   audit_open_queue(): audit_open() with a ring of queue_cap events (the default is 4096).
 *   audit_hold(): while held, the writer takes nothing off the ring, so that a test can fill
 *   it deterministically. audit_close() lets go of it.
 */
int audit_open_queue(const char *path, size_t queue_cap, struct audit **ret);
void audit_hold(struct audit *a, bool hold);

static bool needs_u_escape(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x061c ||
	       c == 0xfeff;
}

/* Append s as a JSON string (null for NULL); returns whether invalid UTF-8 was escaped. */
static bool json_append_string(struct strbuf *b, const char *str)
{
	if (!str) {
		sb_append(b, "null");
		return false;
	}
	bool escaped = !utf8_valid(str);
	sb_append(b, "\"");
	for (const unsigned char *s = (const unsigned char *)str; *s;) {
		uint32_t c;
		size_t n = utf8_decode(s, &c);
		if (n == 0) {
			sb_printf(b, "\\\\x%02x", *s); /* the text \xNN */
			s++;
			continue;
		}
		switch (c) {
		case '"': sb_append(b, "\\\""); break;
		case '\\': sb_append(b, escaped ? "\\\\\\\\" : "\\\\"); break;
		case '\n': sb_append(b, "\\n"); break;
		case '\r': sb_append(b, "\\r"); break;
		case '\t': sb_append(b, "\\t"); break;
		default:
			if (needs_u_escape(c))
				sb_printf(b, "\\u%04x", c);
			else
				sb_appendn(b, (const char *)s, n);
		}
		s += n;
	}
	sb_append(b, "\"");
	return escaped;
}

/* The start of every line: {"time": ..., and "session": ... on a session trail. */
static void append_head(struct strbuf *b, const struct timespec *ts, const char *session)
{
	struct tm tm;
	char buf[64];
	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	sb_printf(b, "{\"time\":\"%s.%06ldZ\"", buf, ts->tv_nsec / 1000);
	if (session) {
		sb_append(b, ",\"session\":");
		json_append_string(b, session);
	}
}

static void format_item(struct strbuf *b, const struct audit_item *e, const char *session)
{
	char acc[4] = "";
	if (e->access)
		access_string(e->access, acc);

	append_head(b, &e->time, session);
	sb_printf(b, ",\"pid\":%d,\"comm\":", (int)e->pid);
	json_append_string(b, e->comm);
	sb_append(b, ",\"op\":");
	json_append_string(b, e->operation);
	sb_append(b, ",\"path\":");
	bool path_escaped = json_append_string(b, e->path);
	sb_printf(b, ",\"access\":\"%s\",\"result\":", acc);
	json_append_string(b, e->result);
	sb_append(b, ",\"by\":");
	json_append_string(b, e->by);
	sb_printf(b, ",\"errno\":%d,\"latency_us\":%llu", e->error,
		  (unsigned long long)e->latency_us);
	if (e->reason) {
		sb_append(b, ",\"reason\":");
		json_append_string(b, e->reason);
	}
	if (path_escaped)
		sb_append(b, ",\"path_escaped\":true");
	if (e->dropped)
		sb_printf(b, ",\"dropped\":%llu", (unsigned long long)e->dropped);
	sb_append(b, "}\n");
}

/* Write len bytes of s to the file. Returns false if they did not land completely. */
static bool write_text(struct audit *a, const char *s, size_t len)
{
	if (a->torn) {
		/* Terminate the line a failed write left half-way, so the next one parses. */
		if (write(a->fd, "\n", 1) != 1)
			return false;
		a->size++;
		a->torn = false;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(a->fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->torn = off > 0;
			return false;
		}
		off += (size_t)n;
		a->size += (uint64_t)n;
	}
	return true;
}

/*
 * Open (create, append) a log file name relative to dirfd, mode 0600; extra_flags may add
 * O_EXCL. O_NOFOLLOW: a symlink planted at the log's name cannot redirect our writes.
 * O_NONBLOCK, for the open only: a FIFO there must not hang us; we refuse all but regular
 * files anyway. Returns the fd (and *ret_size, the bytes already there), or -errno.
 */
static int open_log_at(int dirfd, const char *name, int extra_flags, uint64_t *ret_size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
							     O_NOFOLLOW | O_NONBLOCK | extra_flags,
					0600);
	if (fd < 0)
		return negative_errno();
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (fcntl(fd, F_SETFL, O_APPEND) < 0)
		return negative_errno();
	if (ret_size)
		*ret_size = (uint64_t)st.st_size;
	return TAKE_FD(fd);
}

/* "<id>.jsonl" (n == 0) or "<id>.<n>.jsonl". The id is checked at open to be short. */
static void session_file_name(char buf[static NAME_MAX + 1], const char *session, unsigned n)
{
	if (n == 0)
		snprintf(buf, NAME_MAX + 1, "%s.jsonl", session);
	else
		snprintf(buf, NAME_MAX + 1, "%s.%u.jsonl", session, n);
}

/*
 * Writer thread. Start a fresh "<id>.jsonl", keeping keep old ones. The fresh file is created
 * under a temporary name first, so that a failure to create it (EMFILE, ENOSPC, EDQUOT)
 * renames nothing and a retry cannot push the old files out one by one. All names are
 * relative to the directory fd: the path is never resolved again, and the directory is ours
 * alone (checked at open), so nobody else can swap the names under us.
 */
static int rotate(struct audit *a)
{
	char cur[NAME_MAX + 1], fresh[NAME_MAX + 1], from[NAME_MAX + 1], to[NAME_MAX + 1];
	session_file_name(cur, a->session, 0);
	snprintf(fresh, sizeof(fresh), "%s.new.jsonl", a->session); /* ids have no '.' */

	(void)unlinkat(a->dirfd, fresh, 0); /* left over from a crash */
	_cleanup_close_ int fd = open_log_at(a->dirfd, fresh, O_EXCL, NULL);
	if (fd < 0)
		return fd;

	/* Best effort for the old ones: one that cannot move is overwritten by the next. */
	for (unsigned i = a->keep; i > 1; i--) {
		session_file_name(from, a->session, i - 1);
		session_file_name(to, a->session, i);
		(void)renameat(a->dirfd, from, a->dirfd, to);
	}
	session_file_name(to, a->session, 1);
	/* ENOENT: the current file was removed under us; its lines are gone either way. */
	if (renameat(a->dirfd, cur, a->dirfd, to) < 0 && errno != ENOENT) {
		int r = negative_errno();
		(void)unlinkat(a->dirfd, fresh, 0);
		return r;
	}
	if (renameat(a->dirfd, fresh, a->dirfd, cur) < 0) {
		int r = negative_errno();
		(void)renameat(a->dirfd, to, a->dirfd, cur);
		(void)unlinkat(a->dirfd, fresh, 0);
		return r;
	}
	safe_close(a->fd);
	a->fd = TAKE_FD(fd);
	a->size = 0;
	a->torn = false; /* the torn line stays in the old file, whose end we no longer touch */
	return 0;
}

/* Would a line of len bytes still fit in the current file? An empty file takes any line. */
static bool line_fits(const struct audit *a, uint64_t size, size_t len)
{
	return a->max_bytes == 0 || size == 0 || size + len <= a->max_bytes;
}

/*
 * Writer thread. b holds k complete lines, line i ending (after its '\n') at ends[i]. Write
 * them to the file, rotating between two runs of lines whenever the next one would not fit,
 * then hand them to the listener. Returns how many did not land in the file.
 */
static uint64_t emit_lines(struct audit *a, struct strbuf *b, const size_t *ends, size_t k)
{
	if (k == 0)
		return 0;
	if (b->oom || !b->s)
		return k;
	uint64_t lost = 0;
	if (a->fd >= 0) {
		for (size_t i = 0; i < k;) {
			size_t start = i ? ends[i - 1] : 0, j = i;
			uint64_t size = a->size + a->torn;
			while (j < k && line_fits(a, size, ends[j] - (j ? ends[j - 1] : 0))) {
				size += ends[j] - (j ? ends[j - 1] : 0);
				j++;
			}
			if (j == i) {
				if (rotate(a) == 0)
					continue;
				j = k; /* cannot rotate: past the cap rather than lose the lines */
			}
			if (!write_text(a, b->s + start, ends[j - 1] - start))
				lost += j - i;
			i = j;
		}
	}

	pthread_mutex_lock(&a->lock);
	audit_listener_fn fn = a->listener;
	void *userdata = a->listener_data;
	a->in_listener = fn != NULL;
	pthread_mutex_unlock(&a->lock);
	if (!fn)
		return lost;
	for (size_t i = 0; i < k; i++) {
		size_t start = i ? ends[i - 1] : 0;
		b->s[ends[i] - 1] = '\0'; /* the '\n': the file has had it */
		fn(b->s + start, ends[i] - 1 - start, userdata);
	}
	pthread_mutex_lock(&a->lock);
	a->in_listener = false;
	pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->lock);
	return lost;
}

static void prune_old(int dirfd, int keep_fd);

static void *writer_main(void *arg)
{
	struct audit *a = arg;
	struct audit_item *batch[AUDIT_BATCH];
	size_t ends[AUDIT_BATCH];
	struct strbuf b = { 0 };

	/* Old trails go on this thread, not on the way to the command's start. */
	if (a->dirfd >= 0 && a->fd >= 0)
		prune_old(a->dirfd, a->fd);
	pthread_mutex_lock(&a->lock);
	for (;;) {
		bool waited = false;
		while ((a->n == 0 || a->hold) && !a->stop) {
			pthread_cond_wait(&a->wake, &a->lock);
			waited = true;
		}
		if (a->n == 0)
			break; /* stopping, and everything is written */
		/*
		 * Lines come one per decision, often thousands a second. Woken by the first of a
		 * burst, gather for a moment before writing: a busy session then wakes this thread
		 * a hundred times a second, not once per decision (each wake-up of an idle CPU
		 * lands on the supervisor's critical path). A filling ring or the end cuts it short.
		 */
		if (waited && !a->stop) {
			struct timespec until = monotonic_deadline(AUDIT_GATHER_NS);
			while (!a->stop && a->n < a->cap / 2 &&
			       pthread_cond_timedwait(&a->wake, &a->lock, &until) == 0)
				; /* woken: look again; timed out (or any error): write */
			if (a->hold && !a->stop)
				continue;
		}
		size_t k = 0;
		while (k < AUDIT_BATCH && a->n > 0) {
			batch[k++] = a->ring[a->head];
			a->head = (a->head + 1) % a->cap;
			a->n--;
		}
		bool wanted = a->fd >= 0 || a->listener;
		pthread_mutex_unlock(&a->lock);

		uint64_t lost = 0;
		if (wanted) {
			for (size_t i = 0; i < k; i++) {
				format_item(&b, batch[i], a->session);
				ends[i] = b.len;
			}
			lost = emit_lines(a, &b, ends, k);
			sb_done(&b);
		}
		for (size_t i = 0; i < k; i++)
			free(batch[i]);

		pthread_mutex_lock(&a->lock);
		a->dropped += lost;
	}
	uint64_t dropped = a->dropped;
	a->dropped = 0;
	pthread_mutex_unlock(&a->lock);

	if (dropped) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		append_head(&b, &now, a->session);
		sb_printf(&b, ",\"dropped\":%llu}\n", (unsigned long long)dropped);
		ends[0] = b.len;
		emit_lines(a, &b, ends, 1);
		sb_done(&b);
	}
	return NULL;
}

/*
 * The common constructor: takes fd, dirfd and session (owned by the object from here on,
 * also on failure) and starts the writer.
 */
static int audit_start(int fd, int dirfd, char *session, uint64_t size, uint64_t max_bytes,
		       unsigned keep, size_t queue_cap, struct audit **ret)
{
	_cleanup_close_ int fd_owned = fd, dirfd_owned = dirfd;
	_cleanup_free_ char *session_owned = session;
	_cleanup_free_ struct audit *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	_cleanup_free_ struct audit_item **ring = calloc(queue_cap, sizeof(*ring));
	if (!ring)
		return -ENOMEM;

	int r = pthread_mutex_init(&a->lock, NULL);
	if (r != 0)
		return -r;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = pthread_cond_init(&a->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_destroy(&a->lock);
		return -r;
	}
	r = pthread_cond_init(&a->idle, NULL);
	if (r != 0) {
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		return -r;
	}
	a->ring = ring;
	a->cap = queue_cap;
	a->fd = fd_owned;
	a->dirfd = dirfd_owned;
	a->session = session_owned;
	a->size = size;
	a->max_bytes = max_bytes;
	a->keep = keep;

	/* The writer takes no signals: they are for the host's threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&a->writer, NULL, writer_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&a->idle);
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		return -r;
	}
	TAKE_PTR(ring);
	TAKE_FD(fd_owned);
	TAKE_FD(dirfd_owned);
	TAKE_PTR(session_owned);
	*ret = TAKE_PTR(a);
	return 0;
}

int audit_open_queue(const char *path, size_t queue_cap, struct audit **ret)
{
	if (!path || !ret || queue_cap == 0)
		return -EINVAL;
	int fd = open_log_at(AT_FDCWD, path, 0, NULL);
	if (fd < 0)
		return fd;
	return audit_start(fd, -EBADF, NULL, 0, 0, 0, queue_cap, ret);
}

int audit_open(const char *path, struct audit **ret)
{
	return audit_open_queue(path, AUDIT_QUEUE_DEFAULT, ret);
}

int audit_open_null(struct audit **ret)
{
	if (!ret)
		return -EINVAL;
	return audit_start(-EBADF, -EBADF, NULL, 0, 0, 0, AUDIT_QUEUE_DEFAULT, ret);
}

/* An absolute directory from the environment, without trailing slashes ("/" stays "/"). */
static const char *env_dir(const char *name, size_t *ret_len)
{
	const char *v = secure_getenv(name);
	if (!v || v[0] != '/')
		return NULL;
	size_t len = strlen(v);
	while (len > 1 && v[len - 1] == '/')
		len--;
	*ret_len = len == 1 ? 0 : len; /* "/" + "/airlock" must not give "//airlock" */
	return v;
}

int audit_dir_for_user(char *buf, size_t size)
{
	if (!buf || size == 0)
		return -EINVAL;
	size_t len;
	const char *base = env_dir("XDG_STATE_HOME", &len), *suffix = "/airlock/audit";
	if (!base) {
		base = env_dir("HOME", &len);
		if (!base)
			return -ENOENT;
		suffix = "/.local/state/airlock/audit";
	}
	int n = snprintf(buf, size, "%.*s%s", (int)len, base, suffix);
	if (n < 0 || (size_t)n >= size)
		return -ERANGE;
	return 0;
}

static bool session_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > AUDIT_SESSION_ID_MAX)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return false;
	return true;
}

static bool is_directory(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Create dir and its missing parents (0700) and open it. Returns the fd, or -errno.
 *
 * Invariant: the trail's directory is private to us. The final component is opened with
 * O_NOFOLLOW (a symlink planted there would send our trail, and our rotation's renames and
 * pruning's unlinks, into a directory of the attacker's choosing), and it must be owned by the
 * effective uid and writable by nobody else (who could otherwise rename, replace or plant
 * files in it, between our checks and our writes). Every later operation is relative to the
 * fd this returns. Parents are the user's own business (a dotfile manager may well make
 * ~/.local/state a symlink) and are followed. Test: tests/unit/test-audit.c session_dir_*.
 */
static int open_trail_dir(const char *dir)
{
	_cleanup_free_ char *p = strdup(dir);
	if (!p)
		return -ENOMEM;
	size_t len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';

	bool created = false;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		bool last = *c == '\0';
		if (c[-1] != '/') { /* not an empty component in "a//b" */
			char saved = *c;
			*c = '\0';
			if (mkdir(p, 0700) == 0)
				created = last;
			else if (errno != EEXIST) {
				/* EACCES or EROFS on one that exists is fine: it is there. */
				int r = negative_errno();
				if (!is_directory(p))
					return r;
			}
			*c = saved;
		}
		if (last)
			break;
	}

	_cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		int r = negative_errno();
		/* Linux says ENOTDIR for a symlink under O_DIRECTORY|O_NOFOLLOW; say what it is. */
		if (r == -ENOTDIR && lstat(p, &st) == 0 && S_ISLNK(st.st_mode))
			return -ELOOP;
		return r;
	}
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	/* The umask can only have taken bits away; one that left fewer than rwx for us would
	 * make the trail unusable, so give them back to the directory we made. */
	if (created && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return negative_errno();
	return TAKE_FD(fd);
}

/*
 * Best effort: remove the regular "*.jsonl" files in the trail directory whose mtime is older
 * than AUDIT_PRUNE_AGE_DAYS, except the one we have open (a session resumed after a month).
 * fstatat(AT_SYMLINK_NOFOLLOW) and unlinkat() never follow a symlink; the directory is ours
 * alone, so what we stat is what we unlink.
 */
static void prune_old(int dirfd, int keep_fd)
{
	struct stat self;
	if (fstat(keep_fd, &self) < 0)
		return;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	time_t cutoff = now.tv_sec - (time_t)AUDIT_PRUNE_AGE_DAYS * 24 * 60 * 60;

	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= 6 || strcmp(de->d_name + n - 6, ".jsonl") != 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_dev == self.st_dev && st.st_ino == self.st_ino)
			continue;
		if (st.st_mtime < cutoff)
			(void)unlinkat(dirfd, de->d_name, 0);
	}
	closedir(d);
}

int audit_open_session(const char *dir, const char *session_id, uint64_t max_bytes, unsigned keep,
		       struct audit **ret)
{
	if (!dir || !dir[0] || !session_id || !session_id_valid(session_id) || !ret ||
	    keep > AUDIT_SESSION_KEEP_MAX)
		return -EINVAL;
	if (max_bytes == 0)
		max_bytes = AUDIT_SESSION_MAX_BYTES_DEFAULT;
	if (keep == 0)
		keep = AUDIT_SESSION_KEEP_DEFAULT;

	_cleanup_free_ char *session = strdup(session_id);
	if (!session)
		return -ENOMEM;
	_cleanup_close_ int dirfd = open_trail_dir(dir);
	if (dirfd < 0)
		return dirfd;
	char name[NAME_MAX + 1];
	session_file_name(name, session, 0);
	uint64_t size;
	_cleanup_close_ int fd = open_log_at(dirfd, name, 0, &size);
	if (fd < 0)
		return fd;
	return audit_start(TAKE_FD(fd), TAKE_FD(dirfd), TAKE_PTR(session), size, max_bytes, keep,
			   AUDIT_QUEUE_DEFAULT, ret);
}

void audit_set_listener(struct audit *a, audit_listener_fn fn, void *userdata)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->listener = fn;
	a->listener_data = userdata;
	/* Wait out a call of the old listener. From inside one (which audit.h forbids) that
	 * would deadlock, so there it does not wait. */
	if (!pthread_equal(pthread_self(), a->writer))
		while (a->in_listener)
			pthread_cond_wait(&a->idle, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

void audit_hold(struct audit *a, bool hold)
{
	pthread_mutex_lock(&a->lock);
	a->hold = hold;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

struct audit *audit_close(struct audit *a)
{
	if (!a)
		return NULL;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	a->hold = false;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->writer, NULL);

	for (size_t i = 0; i < a->n; i++) /* none left: the writer drains before it stops */
		free(a->ring[(a->head + i) % a->cap]);
	free(a->ring);
	safe_close(a->fd);
	safe_close(a->dirfd);
	free(a->session);
	pthread_cond_destroy(&a->idle);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return NULL;
}

static size_t size_of(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *copy_in(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = memcpy(*p, s, n);
	*p += n;
	return d;
}

void audit_log(struct audit *a, const struct audit_event *e)
{
	if (!a || !e)
		return;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);

	size_t len = size_of(e->comm) + size_of(e->operation) + size_of(e->path) +
		     size_of(e->result) + size_of(e->by) + size_of(e->reason);
	struct audit_item *it = malloc(sizeof(*it) + len);
	if (it) {
		char *p = it->data;
		*it = (struct audit_item){
			.time = now,
			.pid = e->pid,
			.access = e->access,
			.error = e->error,
			.latency_us = e->latency_us,
		};
		it->comm = copy_in(&p, e->comm);
		it->operation = copy_in(&p, e->operation);
		it->path = copy_in(&p, e->path);
		it->result = copy_in(&p, e->result);
		it->by = copy_in(&p, e->by);
		it->reason = copy_in(&p, e->reason);
	}

	pthread_mutex_lock(&a->lock);
	if (!it || a->n == a->cap) {
		/* Overload sheds audit lines, never decisions; the loss itself is recorded. */
		a->dropped++;
		pthread_mutex_unlock(&a->lock);
		free(it);
		return;
	}
	it->dropped = a->dropped;
	a->dropped = 0;
	a->ring[(a->head + a->n) % a->cap] = it;
	if (a->n++ == 0 || a->n == a->cap / 2)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}
