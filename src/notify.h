/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp user-notification plumbing: receive, validate, answer, inject fds; and reading the
 * requesting thread's memory. No policy here.
 */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
/* 1 << 5; 1 << 4 is TSYNC_ESRCH, which the kernel accepts silently (DESIGN.md §5). */
#define AIRLOCK_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)

struct notify_buf {
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};

/* Buffers sized from SECCOMP_GET_NOTIF_SIZES (the kernel's sizes may be larger than ours). */
int notify_buf_init(struct notify_buf *b);
void notify_buf_done(struct notify_buf *b);

/* Receive one notification into b->req (zeroed first, as the kernel requires).
 * Returns 0; -ENOENT when the target died before we got it (retry); -EINTR; other -errno. */
int notify_recv(int fd, struct notify_buf *b);
/* 0 if the notification is still pending (its thread still waits), else -ENOENT. */
int notify_id_valid(int fd, uint64_t id);
/* Let the kernel run the call as it is (only where the Landlock floor alone decides). */
int notify_continue(int fd, uint64_t id);
/* Fail the call with errno err (> 0). */
int notify_fail(int fd, uint64_t id, int err);
/* Complete the call with return value val. */
int notify_return(int fd, uint64_t id, int64_t val);
/* Install srcfd in the target and complete the call returning the new fd number.
 * Uses ADDFD then SEND (which keeps the sync wake-up; safe with WAIT_KILLABLE_RECV, where only
 * a fatal signal can come between the two), or the atomic ADDFD_FLAG_SEND when atomic.
 * Returns the fd number in the target, or -errno (the call is then failed with that errno). */
int notify_inject_fd(int fd, uint64_t id, int srcfd, bool cloexec, bool atomic);
/* Wake the supervisor on the target's CPU (Linux 6.6). Returns 0 or -errno. */
int notify_set_sync_wakeup(int fd);

/* Read a NUL-terminated path of at most PATH_MAX bytes (including the NUL) from the memory of
 * task tid at addr, page by page so that a string ending before an unmapped page reads.
 * Returns its length; -EFAULT (unreadable), -ENAMETOOLONG (no NUL in PATH_MAX bytes),
 * -ESRCH/-EPERM (task gone or not readable). buf must hold PATH_MAX bytes. */
ssize_t mem_read_path(pid_t tid, uint64_t addr, char *buf);
/* Read exactly len bytes. Returns 0 or -EFAULT/-ESRCH/-EPERM. */
int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
