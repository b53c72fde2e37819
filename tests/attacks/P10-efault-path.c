/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * P10: path arguments the kernel cannot read: a string that runs into an unmapped page, NULL,
 * a wild pointer, and openat2 with a bad or oversized struct open_how. Each must give the
 * kernel's errno (EFAULT, E2BIG, EINVAL), never a grant and never a crash of airlock.
 * Positive controls: a path that ends exactly at the page boundary opens; an open_how of 4096
 * bytes with a zero tail is accepted.
 *
 *	P10-efault-path HOME PROJ
 */
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "attack.h"

static int sys_open(const char *path)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static int sys_openat2(const char *path, void *how, size_t size)
{
	long fd = syscall(SYS_openat2, AT_FDCWD, path, how, size);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		attack_usage("P10-efault-path HOME PROJ");
	const char *home = argv[1], *proj = argv[2];
	long pg = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (map == MAP_FAILED)
		attack_not_applicable("mmap: %s", ename(errno));
	if (munmap(map + pg, (size_t)pg) < 0)
		attack_not_applicable("munmap: %s", ename(errno));
	char *end = map + pg; /* first unmapped byte */
	const char *file = pathf("%s/a.txt", proj);
	const char *secret = pathf("%s/.ssh/id_rsa", home);

	/* Control: NUL is the last mapped byte. */
	size_t len = strlen(file);
	memcpy(end - len - 1, file, len + 1);
	control("path ending at the page boundary", sys_open(end - len - 1));
	len = strlen(secret);
	memcpy(end - len - 1, secret, len + 1);
	must_fail("secret path ending at the page boundary", sys_open(end - len - 1));

	/* The same bytes without the NUL: the string runs into the unmapped page. */
	len = strlen(file);
	memcpy(end - len, file, len);
	must_be("project path running into an unmapped page", sys_open(end - len), EFAULT);
	len = strlen(secret);
	memcpy(end - len, secret, len);
	must_be("secret path running into an unmapped page", sys_open(end - len), EFAULT);
	must_be("NULL path", sys_open(NULL), EFAULT);
	must_be("wild path pointer", sys_open((const char *)(uintptr_t)8), EFAULT);
	must_be("path pointer into the unmapped page", sys_open(end), EFAULT);

	/* openat2: struct open_how edge cases (copy_struct_from_user rules). */
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	static unsigned char big[4096] __attribute__((aligned(8)));
	memcpy(big, &how, sizeof(how));
	control("openat2 with a 4096-byte open_how, zero tail",
		sys_openat2(file, big, sizeof(big)));
	big[4000] = 1;
	must_be("openat2 with a 4096-byte open_how, non-zero tail",
		sys_openat2(file, big, sizeof(big)), E2BIG);
	must_be("openat2 with a 4096-byte open_how, non-zero tail, secret",
		sys_openat2(secret, big, sizeof(big)), E2BIG);
	must_be("openat2 with size 8", sys_openat2(file, &how, 8), EINVAL);
	must_be("openat2 with unknown resolve bits",
		sys_openat2(file, &(struct open_how){ .flags = O_RDONLY, .resolve = 1ull << 40 },
			    sizeof(how)),
		EINVAL);
	must_be("openat2 with unknown flag bits",
		sys_openat2(file, &(struct open_how){ .flags = O_RDONLY | (1ull << 40) },
			    sizeof(how)),
		EINVAL);
	/* open_how straddling the unmapped page. */
	memcpy(end - 8, &how, 8);
	must_be("openat2 with open_how running into an unmapped page",
		sys_openat2(file, end - 8, 24), EFAULT);
	return attack_finish();
}
