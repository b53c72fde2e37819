/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * notify-floor: what a seccomp user-notification round trip costs on this machine, with
 * nothing decided: the floor under airlock's per-operation figure.
 *
 *   notify-floor [--workers N] -- COMMAND [ARGS...]
 *
 * Runs COMMAND under a filter that sends open and openat to a listener (everything else is
 * allowed), and answers every notification CONTINUE at once from N threads blocked in
 * SECCOMP_IOCTL_NOTIF_RECV (default 4, as airlock has), with SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
 * where the kernel has it (as airlock sets). No Landlock, no policy, no argument read: what is
 * left is what any user-notification supervisor pays per call. bench/run runs open-loop under
 * it next to airlock. Exit status: COMMAND's, or 2 on a usage or setup error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

static int listener = -1;

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			/* ENOENT: a requester died before we got its call, or nobody is left under
			 * the filter (then RECV fails at once forever): POLLHUP tells them apart. */
			struct pollfd p = { listener, POLLIN, 0 };
			if (errno == ENOENT && !(poll(&p, 1, 0) > 0 && (p.revents & POLLHUP) &&
						 !(p.revents & POLLIN)))
				continue;
			return NULL;
		}
		struct seccomp_notif_resp resp = { .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
			return NULL;
	}
}

static int send_fd(int sock, int fd)
{
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static _Noreturn void child(int sock, char **argv)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("notify-floor: no_new_privs");
		_exit(2);
	}
	int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (fd < 0 || send_fd(sock, fd) < 0) {
		perror("notify-floor: seccomp listener");
		_exit(2);
	}
	close(fd);
	close(sock);
	execvp(argv[0], argv);
	fprintf(stderr, "notify-floor: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	int workers = 4, i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "--workers")) {
		workers = atoi(argv[i + 1]);
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc || workers < 1 || workers > 64) {
		fputs("usage: notify-floor [--workers N] -- COMMAND [ARGS...]\n", stderr);
		return 2;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("notify-floor: socketpair");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("notify-floor: fork");
		return 2;
	}
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], argv + i);
	}
	close(sv[1]);
	listener = recv_fd(sv[0]);
	if (listener < 0) {
		waitpid(pid, NULL, 0);
		return 2;
	}
	ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0);
	for (int w = 0; w < workers; w++) {
		pthread_t t;
		if (pthread_create(&t, NULL, serve, NULL) != 0) {
			perror("notify-floor: pthread_create");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 2;
		}
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
