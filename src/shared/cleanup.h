/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-bound cleanup and explicit ownership transfer, in the systemd idiom.
 *
 *	_cleanup_close_ int fd = -EBADF;
 *	...
 *	*ret_fd = TAKE_FD(fd);
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer or fd out of a scope that would otherwise release it. */
#define TAKE_PTR(p)                                    \
	({                                             \
		__typeof__(p) *_pp = &(p);             \
		__typeof__(p) _p = *_pp;               \
		*_pp = NULL;                           \
		_p;                                    \
	})

#define TAKE_FD(fd)                                    \
	({                                             \
		int *_pfd = &(fd);                     \
		int _fd = *_pfd;                       \
		*_pfd = -EBADF;                        \
		_fd;                                   \
	})

/* Close and reset; returns -EBADF so it can be assigned back. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -EBADF;
}

#ifndef ELEMENTSOF
#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* -errno from a libc call that sets errno; never 0 even if errno was clobbered to 0. */
static inline int negative_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
