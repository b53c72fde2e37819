/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R11: every approver answer applies to the request it was given, and only to it.
 *
 *  (a) A flood: N threads at once open DIR/b<K>. The approver (outside) answers each after a
 *      delay that depends on K, so the answers come back out of order: "allow, once" for even
 *      K, "deny" for odd K. Each thread must get exactly its own answer: an fd of b<K> (whose
 *      content is "b<K>\n") for even K, EACCES for odd K.
 *  (b) A withdrawn request: thread V opens DIR/v from a buffer; the approver creates ASKED
 *      when it has the request, waits, and answers "allow, once" (it denies every later
 *      request for v, and every request for w). Once ASKED exists we rewrite V's buffer to
 *      DIR/w. Then we open DIR/v ourselves: the approval was given to V's request for v, so
 *      our request must be asked about and denied. An fd means the approval was spent by a
 *      request it was not given; V getting w's object means it was applied to another object.
 *
 * usage: R11-approval-binding DIR ASKED [N]
 * Run bare, everything opens: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

static const char *dir;
static atomic_int ready;
static int n_threads;

struct req {
	int k;
	int err;
	char content[64];
};

static void *flood_one(void *arg)
{
	struct req *q = arg;
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < n_threads)
		;
	/* A buffer of its own: pathf()'s ring is shared, and another thread's path in our
	 * buffer would be a request for another file, rightly answered for that file. */
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/b%d", dir, q->k);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	q->err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		ssize_t n = read(fd, q->content, sizeof(q->content) - 1);
		q->content[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return NULL;
}

static char vbuf[PATH_MAX];
static int v_err;
static char v_content[64];

static void *victim(void *arg)
{
	(void)arg;
	int fd = open(vbuf, O_RDONLY | O_CLOEXEC);
	v_err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		ssize_t n = read(fd, v_content, sizeof(v_content) - 1);
		v_content[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("R11-approval-binding DIR ASKED [N]");
	dir = argv[1];
	const char *asked = argv[2];
	n_threads = argc > 3 ? atoi(argv[3]) : 16;
	if (n_threads < 2 || n_threads > 64)
		attack_usage("N: 2..64");

	/* (a) */
	struct req q[64];
	pthread_t t[64];
	for (int k = 0; k < n_threads; k++) {
		q[k] = (struct req){ .k = k };
		pthread_create(&t[k], NULL, flood_one, &q[k]);
	}
	int right = 0;
	for (int k = 0; k < n_threads; k++) {
		pthread_join(t[k], NULL);
		char want[64];
		snprintf(want, sizeof(want), "b%d\n", k);
		if (k % 2 == 0 && q[k].err == 0 && strcmp(q[k].content, want) == 0) {
			right++;
		} else if (k % 2 == 1 && q[k].err == EACCES) {
			right++;
		} else if (k % 2 == 1 && q[k].err == 0) {
			attack_leak("b%d was denied by the approver, yet opened (content \"%.*s\")", k,
				    (int)strcspn(q[k].content, "\n"), q[k].content);
		} else {
			printf("WRONG b%d: %s, content \"%.*s\" (the approver allowed it)\n", k,
			       ename(q[k].err), (int)strcspn(q[k].content, "\n"), q[k].content);
			attack_bad++;
		}
	}
	attack_note("flood: %d of %d requests got their own answer", right, n_threads);

	/* (b) */
	snprintf(vbuf, sizeof(vbuf), "%s/v", dir);
	pthread_t v;
	pthread_create(&v, NULL, victim, NULL);
	double end = now_s() + 5;
	struct stat st;
	bool pending = false;
	while (now_s() < end) {
		if (stat(asked, &st) == 0) {
			pending = true;
			break;
		}
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (pending)
		vbuf[strlen(vbuf) - 1] = 'w'; /* the request now says DIR/w */
	else
		attack_note("the approver never saw the request for v (no supervisor?)");
	pthread_join(v, NULL);
	attack_note("V (request for v, rewritten to w while pending): %s%s%.*s", ename(v_err),
		    v_err ? "" : ", content ", (int)strcspn(v_content, "\n"), v_content);
	if (v_err == 0 && strcmp(v_content, "w\n") == 0)
		attack_leak("the approval for v opened w (denied by the approver)");
	int fd = open(pathf("%s/v", dir), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		attack_leak("another request for v got the approval given to V's request (the approver "
			    "denies every later request for v)");
		close(fd);
	} else if (errno != EACCES) {
		printf("WRONG later open of v: %s\n", ename(errno));
		attack_bad++;
	} else {
		printf("held later open of v: EACCES (asked and denied)\n");
	}
	return attack_finish();
}
