/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The static seccomp filter, built with libseccomp and exported as classic BPF.
 *
 * The program is built in the parent (libseccomp allocates) and installed by the child between
 * fork and exec with filter_install(), which only makes raw syscalls (async-signal-safe).
 */
#pragma once

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct filter_opts {
	bool net_off;       /* only AF_UNIX sockets may be created; TCP Fast Open denied */
	bool unix_sockets;  /* socket(AF_UNIX, ...) allowed (socketpair always is) */
	bool path_metadata; /* path-based chmod/chown/xattr/utime allowed (Landlock cannot see
			     * them); false: EPERM. The fd-based forms are always allowed. */
	bool notify;        /* supervised: trap the path operations (see filter.c) with
			     * SECCOMP_RET_USER_NOTIF; path metadata calls are then decided by the
			     * supervisor, whatever path_metadata says */
	bool unix_mediated; /* with notify and without unix_sockets: stream and seqpacket
			     * socket(AF_UNIX) allowed, connect() and bind() trapped so that the
			     * supervisor decides each pathname by policy; datagram ones still denied */
	int protect_pid;    /* > 0: signals and pidfds aimed at this pid, and kill(-1, ...), get
			     * EPERM. For kernels without Landlock's signal scope (ABI < 6). */
};

/* With protect_pid, the pid compared against for the session's reaper until
 * filter_set_reaper_pid() (above any pid_max, so it matches no process meanwhile). */
#define FILTER_REAPER_PID_PLACEHOLDER UINT32_C(0x7ffffff0)

/* Replace the reaper's placeholder with pid in a program built with protect_pid; returns how
 * many comparisons were set. No allocation: safe in a forked child. */
unsigned filter_set_reaper_pid(struct sock_fprog *prog, pid_t pid);

/* Build the static filter for opts into *ret_prog (its filter array is malloc'd; release it
 * with filter_prog_done()). Uses the program compiled at build time when there is one.
 * Returns 0 or -errno. */
int filter_build(const struct filter_opts *opts, struct sock_fprog *ret_prog);

/* The same, always compiled now with libseccomp (the build-time generator and tests). */
int filter_compile(const struct filter_opts *opts, struct sock_fprog *ret_prog);

/* A program compiled at build time for one combination of the switches (filter_opts_key). */
struct filter_prebuilt {
	unsigned key;
	unsigned short len;
	const struct sock_filter *insns;
};
unsigned filter_opts_key(const struct filter_opts *opts);

void filter_prog_done(struct sock_fprog *prog);

/* Install prog on the calling thread: seccomp(SECCOMP_SET_MODE_FILTER, flags, prog).
 * No allocation, no libc state: safe between fork and exec. Requires no_new_privs.
 * Returns 0 (the listener fd if flags has SECCOMP_FILTER_FLAG_NEW_LISTENER) or -errno. */
int filter_install(const struct sock_fprog *prog, unsigned int flags);
