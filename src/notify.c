/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int notify_buf_init(struct notify_buf *b)
{
	struct seccomp_notif_sizes sz;
	*b = (struct notify_buf){ 0 };
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return -errno;
	b->req_size = sz.seccomp_notif > sizeof(*b->req) ? sz.seccomp_notif : sizeof(*b->req);
	b->resp_size = sz.seccomp_notif_resp > sizeof(*b->resp) ? sz.seccomp_notif_resp
								 : sizeof(*b->resp);
	b->req = calloc(1, b->req_size);
	b->resp = calloc(1, b->resp_size);
	if (!b->req || !b->resp) {
		notify_buf_done(b);
		return -ENOMEM;
	}
	return 0;
}

void notify_buf_done(struct notify_buf *b)
{
	free(b->req);
	free(b->resp);
	*b = (struct notify_buf){ 0 };
}

int notify_recv(int fd, struct notify_buf *b)
{
	memset(b->req, 0, b->req_size);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, b->req) < 0)
		return -errno;
	return 0;
}

int notify_id_valid(int fd, uint64_t id)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -errno;
	return 0;
}

static int send_resp(int fd, struct seccomp_notif_resp *r)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, r) < 0)
		return -errno;
	return 0;
}

int notify_continue(int fd, uint64_t id)
{
	struct seccomp_notif_resp r = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	return send_resp(fd, &r);
}

int notify_fail(int fd, uint64_t id, int err)
{
	struct seccomp_notif_resp r = { .id = id, .error = -(err > 0 ? err : EPERM) };
	return send_resp(fd, &r);
}

int notify_return(int fd, uint64_t id, int64_t val)
{
	struct seccomp_notif_resp r = { .id = id, .val = val };
	return send_resp(fd, &r);
}

int notify_inject_fd(int fd, uint64_t id, int srcfd, bool cloexec, bool atomic)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.flags = atomic ? SECCOMP_ADDFD_FLAG_SEND : 0,
		.srcfd = (uint32_t)srcfd,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int newfd = ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (newfd < 0) {
		int e = errno;
		/* EMFILE/EBADF: the target is at RLIMIT_NOFILE; tell it so. ENOENT: it is gone. */
		if (e != ENOENT && e != EINPROGRESS)
			notify_fail(fd, id, e == EBADF ? EMFILE : e);
		return -e;
	}
	if (!atomic) {
		int r = notify_return(fd, id, newfd);
		if (r < 0)
			return r; /* only a fatal signal: the target and its new fd are going away */
	}
	return newfd;
}

int notify_set_sync_wakeup(int fd)
{
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) < 0)
		return -errno;
	return 0;
}

int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return errno == EFAULT || errno == EIO ? -EFAULT : -errno;
	if ((size_t)n != len)
		return -EFAULT;
	return 0;
}

ssize_t mem_read_path(pid_t tid, uint64_t addr, char *buf)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t got = 0;

	if (addr == 0)
		return -EFAULT;
	while (got < PATH_MAX) {
		uint64_t at = addr + got;
		size_t chunk = page - (size_t)(at % page);
		if (chunk > PATH_MAX - got)
			chunk = PATH_MAX - got;
		int r = mem_read(tid, at, buf + got, chunk);
		if (r < 0)
			return r;
		char *nul = memchr(buf + got, '\0', chunk);
		if (nul)
			return nul - buf;
		got += chunk;
	}
	return -ENAMETOOLONG;
}
