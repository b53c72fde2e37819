/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R02: R01 on the flags in struct open_how. FILE is granted read-only (by an approver that
 * allows reads and refuses writes). Thread A loops openat2(FILE, &how) while thread B flips
 * how.flags between O_RDONLY and O_RDWR | O_TRUNC: every fd A gets must be read-only (its
 * F_GETFL and a write(2) say so), and FILE keeps its size and content.
 *
 * usage: R02-openhow-swap FILE [SECONDS]
 * Positive controls: a read-only openat2 works, the race produced read-only fds and denials.
 * Run bare, FILE opens for writing and is truncated: exit 1.
 */
#include <linux/openat2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "attack.h"

static struct open_how how;
static const char *file;
static atomic_bool stop;
static atomic_ulong flips;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int open2(const char *path, uint64_t flags)
{
	struct open_how h = { .flags = flags };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &h, sizeof(h));
	return fd < 0 ? -errno : fd;
}

static void *flipper(void *arg)
{
	(void)arg;
	volatile __u64 *flags = &how.flags;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		*flags = O_RDWR | O_TRUNC | O_CLOEXEC;
		*flags = O_RDONLY | O_CLOEXEC;
		atomic_fetch_add_explicit(&flips, 1, memory_order_relaxed);
	}
	return NULL;
}

static unsigned long ro, denied, other;
static int other_errno;

static void *opener(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int fd = (int)syscall(SYS_openat2, AT_FDCWD, file, &how, sizeof(how));
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				denied++;
			else {
				other++;
				other_errno = errno;
			}
			continue;
		}
		int fl = fcntl(fd, F_GETFL);
		if ((fl & O_ACCMODE) != O_RDONLY) {
			attack_leak("openat2 with flipping flags gave a writable fd (F_GETFL 0%o)", fl);
			atomic_store(&stop, true);
		}
		if (write(fd, "X", 1) >= 0) {
			attack_leak("wrote through an fd of the read-only grant");
			atomic_store(&stop, true);
		}
		ro++;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char before[4096], after[4096];
	struct stat st0, st1;

	if (argc < 2)
		attack_usage("R02-openhow-swap FILE [SECONDS]");
	file = argv[1];
	double seconds = argc > 2 ? atof(argv[2]) : 1.5;

	int fd = open2(file, O_RDONLY | O_CLOEXEC);
	control("read-only openat2 of FILE", fd < 0 ? -fd : 0);
	if (fd < 0)
		return attack_finish();
	ssize_t n0 = pread(fd, before, sizeof(before), 0);
	fstat(fd, &st0);
	close(fd);
	fd = open2(file, O_RDWR | O_TRUNC | O_CLOEXEC);
	must_fail("openat2(O_RDWR | O_TRUNC) of the read-only grant, unraced", fd < 0 ? -fd : 0);
	if (fd >= 0)
		close(fd);

	how.flags = O_RDONLY | O_CLOEXEC;
	pthread_t fl, op;
	pthread_create(&fl, NULL, flipper, NULL);
	pthread_create(&op, NULL, opener, NULL);
	double end = now_s() + seconds;
	while (!atomic_load(&stop) && now_s() < end) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	pthread_join(op, NULL);
	pthread_join(fl, NULL);
	attack_note("%lu flips; read-only fds %lu, denied %lu, other errors %lu (%s)",
		    (unsigned long)atomic_load(&flips), ro, denied, other, ename(other_errno));

	/* The file is untouched: same size, same bytes. */
	if (stat(file, &st1) < 0 || st1.st_size != st0.st_size)
		attack_leak("FILE changed size: %lld -> %lld bytes", (long long)st0.st_size,
			    (long long)st1.st_size);
	fd = open2(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n1 = pread(fd, after, sizeof(after), 0);
		if (n1 != n0 || memcmp(before, after, (size_t)n0) != 0)
			attack_leak("FILE's content changed");
		close(fd);
	}
	if (!attack_leaks) {
		control("the race got read-only fds", ro ? 0 : ENOENT);
		/* Whether the flip lands inside a request is timing (rare under a sanitizer's
		 * slower supervisor): informative, while the assertions above are not. */
		if (!denied)
			attack_note("the race never read O_RDWR | O_TRUNC in this run");
	}
	return attack_finish();
}
