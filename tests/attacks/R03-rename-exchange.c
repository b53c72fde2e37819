/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R03/R04: objects swapped while an approval is pending. Thread A opens OPEN, a path that needs
 * an approver (who takes a while to answer); meanwhile thread B loops
 * renameat2(A_NAME, B_NAME, RENAME_EXCHANGE), where one of the two is the requested file (R03)
 * or an intermediate directory (R04) and the other a symlink to the secret (R03) or to the
 * directory holding it (R04). The fd A gets is the original object or an error, never the
 * secret.
 *
 * usage: R03-rename-exchange A_NAME B_NAME OPEN SECRET [SECONDS]
 * Positive controls: the exchanges happen, and at least one open went through. Run bare, some
 * open follows the symlink: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "attack.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *a_name, *b_name;
static atomic_bool stop;
static atomic_ulong swaps, swap_fail;
static int swap_errno;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (syscall(SYS_renameat2, AT_FDCWD, a_name, AT_FDCWD, b_name, RENAME_EXCHANGE) == 0) {
			atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
		} else {
			atomic_fetch_add_explicit(&swap_fail, 1, memory_order_relaxed);
			swap_errno = errno;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		attack_usage("R03-rename-exchange A_NAME B_NAME OPEN SECRET [SECONDS]");
	a_name = argv[1];
	b_name = argv[2];
	const char *open_path = argv[3];
	double seconds = argc > 5 ? atof(argv[5]) : 1.5;
	struct stat secret_st;
	if (stat(argv[4], &secret_st) < 0)
		attack_not_applicable("stat %s: %s", argv[4], ename(errno));

	struct stat a0;
	if (lstat(a_name, &a0) < 0)
		attack_not_applicable("lstat %s: %s", a_name, ename(errno));

	pthread_t sw;
	pthread_create(&sw, NULL, swapper, NULL);
	unsigned long opened = 0, attempts = 0, denied = 0, other = 0;
	int other_errno = 0;
	double end = now_s() + seconds;
	while (now_s() < end && !attack_leaks) {
		int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		attempts++;
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				denied++;
			else {
				other++;
				other_errno = errno; /* ELOOP, ENOENT: the swap came in between */
			}
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) == 0 && same_inode(&st, &secret_st)) {
			attack_leak("open(%s) during a pending approval returned the secret", open_path);
			dump_fd(fd);
		} else {
			opened++;
		}
		close(fd);
	}
	atomic_store(&stop, true);
	pthread_join(sw, NULL);
	attack_note("%lu exchanges (%lu failed: %s); %lu opens: %lu original object, %lu denied, "
		    "%lu other errors (last %s)",
		    (unsigned long)atomic_load(&swaps), (unsigned long)atomic_load(&swap_fail),
		    ename(swap_errno), attempts, opened, denied, other, ename(other_errno));
	control("the exchanges ran", atomic_load(&swaps) ? 0 : swap_errno);

	/* Put things back as they were and open once more, unraced: the approval path works. */
	struct stat a1;
	if (lstat(a_name, &a1) == 0 && (a1.st_mode & S_IFMT) != (a0.st_mode & S_IFMT))
		syscall(SYS_renameat2, AT_FDCWD, a_name, AT_FDCWD, b_name, RENAME_EXCHANGE);
	int fd = open(open_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	control("open after the race, names restored", fd < 0 ? errno : 0);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && same_inode(&st, &secret_st))
			attack_leak("the unraced open returned the secret");
		close(fd);
	}
	return attack_finish();
}
