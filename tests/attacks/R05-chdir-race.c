/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R05: the cwd is per process, not per call. Thread B loops chdir(GOODDIR); chdir(SECRETDIR)
 * while thread A opens the relative NAME: GOODDIR/NAME is an ordinary file (on the floor, or
 * granted by an approver), SECRETDIR/NAME the secret. The supervisor resolves against the
 * thread's cwd when it reads it, the kernel against the cwd when it runs: whatever the
 * interleaving, the secret is never opened.
 *
 * usage: R05-chdir-race GOODDIR SECRETDIR NAME [SECONDS]
 * Positive controls: GOODDIR/NAME opens before the race; the race opened it and met denials.
 * Run bare, the secret is read: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

static const char *gooddir, *secretdir;
static atomic_bool stop;
static atomic_ulong flips;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *chdirer(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (chdir(secretdir) < 0 || chdir(gooddir) < 0) {
			attack_note("chdir: %s", ename(errno));
			break;
		}
		atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		attack_usage("R05-chdir-race GOODDIR SECRETDIR NAME [SECONDS]");
	gooddir = argv[1];
	secretdir = argv[2];
	const char *name = argv[3];
	double seconds = argc > 4 ? atof(argv[4]) : 1.0;
	struct stat secret_st;
	if (stat(pathf("%s/%s", secretdir, name), &secret_st) < 0)
		attack_not_applicable("stat %s/%s: %s", secretdir, name, ename(errno));
	if (chdir(gooddir) < 0)
		attack_not_applicable("chdir %s: %s", gooddir, ename(errno));
	control("open NAME in GOODDIR before the race", try_open(name, O_RDONLY));

	pthread_t t;
	pthread_create(&t, NULL, chdirer, NULL);
	unsigned long opened = 0, denied = 0, other = 0;
	int other_errno = 0;
	double end = now_s() + seconds;
	while (now_s() < end && !attack_leaks) {
		int fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				denied++;
			else {
				other++;
				other_errno = errno;
			}
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && same_inode(&st, &secret_st)) {
			attack_leak("opened the secret through a racing chdir");
			dump_fd(fd);
		} else {
			opened++;
		}
		close(fd);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	attack_note("%lu chdir pairs; opened the good file %lu times, denied %lu, other %lu (%s)",
		    (unsigned long)atomic_load(&flips), opened, denied, other, ename(other_errno));
	if (!attack_leaks) {
		control("the race opened the good file", opened ? 0 : ENOENT);
		control("the race met the secret's directory (a denial)", denied ? 0 : ENOENT);
	}
	return attack_finish();
}
