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
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
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
#include "util.h"

#define AUDIT_QUEUE_DEFAULT 4096
#define AUDIT_BATCH 256

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

struct audit {
	int fd;
	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct audit_item **ring;
	size_t cap, head, n;
	uint64_t dropped; /* not yet attached to a line */
	bool stop, hold;
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

static void append_time(struct strbuf *b, const struct timespec *ts)
{
	struct tm tm;
	char buf[64];
	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	sb_printf(b, "{\"time\":\"%s.%06ldZ\"", buf, ts->tv_nsec / 1000);
}

static void format_item(struct strbuf *b, const struct audit_item *e)
{
	char acc[4];
	size_t i = 0;
	if (e->access & AIRLOCK_ACCESS_READ)
		acc[i++] = 'r';
	if (e->access & AIRLOCK_ACCESS_WRITE)
		acc[i++] = 'w';
	if (e->access & AIRLOCK_ACCESS_EXEC)
		acc[i++] = 'x';
	acc[i] = '\0';

	append_time(b, &e->time);
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

/* Returns false if the text did not land completely. */
static bool write_text(struct audit *a, struct strbuf *b)
{
	if (b->oom || !b->s)
		return false;
	if (a->torn) {
		/* Terminate the line a failed write left half-way, so the next one parses. */
		if (write(a->fd, "\n", 1) != 1)
			return false;
		a->torn = false;
	}
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(a->fd, b->s + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			a->torn = off > 0;
			return false;
		}
		off += (size_t)n;
	}
	return true;
}

static void *writer_main(void *arg)
{
	struct audit *a = arg;
	struct audit_item *batch[AUDIT_BATCH];
	struct strbuf b = { 0 };

	pthread_mutex_lock(&a->lock);
	for (;;) {
		while ((a->n == 0 || a->hold) && !a->stop)
			pthread_cond_wait(&a->wake, &a->lock);
		if (a->n == 0)
			break; /* stopping, and everything is written */
		size_t k = 0;
		while (k < AUDIT_BATCH && a->n > 0) {
			batch[k++] = a->ring[a->head];
			a->head = (a->head + 1) % a->cap;
			a->n--;
		}
		pthread_mutex_unlock(&a->lock);

		for (size_t i = 0; i < k; i++)
			format_item(&b, batch[i]);
		bool ok = write_text(a, &b);
		sb_done(&b);
		for (size_t i = 0; i < k; i++)
			free(batch[i]);

		pthread_mutex_lock(&a->lock);
		if (!ok)
			a->dropped += k;
	}
	uint64_t dropped = a->dropped;
	a->dropped = 0;
	pthread_mutex_unlock(&a->lock);

	if (dropped) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		append_time(&b, &now);
		sb_printf(&b, ",\"dropped\":%llu}\n", (unsigned long long)dropped);
		write_text(a, &b);
		sb_done(&b);
	}
	return NULL;
}

int audit_open_queue(const char *path, size_t queue_cap, struct audit **ret)
{
	if (!path || !ret || queue_cap == 0)
		return -EINVAL;
	_cleanup_free_ struct audit *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	_cleanup_free_ struct audit_item **ring = calloc(queue_cap, sizeof(*ring));
	if (!ring)
		return -ENOMEM;

	/*
	 * O_NOFOLLOW: a symlink planted at the log's name cannot redirect our writes.
	 * O_NONBLOCK, for the open only: a FIFO there must not hang us; we refuse all but
	 * regular files anyway.
	 */
	_cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
						    O_NONBLOCK, 0600);
	if (fd < 0)
		return negative_errno();
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (fcntl(fd, F_SETFL, O_APPEND) < 0)
		return negative_errno();

	int r = pthread_mutex_init(&a->lock, NULL);
	if (r != 0)
		return -r;
	r = pthread_cond_init(&a->wake, NULL);
	if (r != 0) {
		pthread_mutex_destroy(&a->lock);
		return -r;
	}
	a->ring = ring;
	a->cap = queue_cap;
	a->fd = fd;

	/* The writer takes no signals: they are for the host's threads. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&a->writer, NULL, writer_main, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		return -r;
	}
	TAKE_PTR(ring);
	TAKE_FD(fd);
	*ret = TAKE_PTR(a);
	return 0;
}

int audit_open(const char *path, struct audit **ret)
{
	return audit_open_queue(path, AUDIT_QUEUE_DEFAULT, ret);
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
	if (a->n++ == 0)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}
