/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* What the session's reaper tells airlock, one SOCK_SEQPACKET message each. */
enum {
	REAPER_PID = 1,         /* value: the command's pid, sent once it is forked */
	REAPER_STATUS = 2,      /* value: the command's wait status, sent once */
	REAPER_FORK_FAILED = 3, /* value: errno; the reaper exits */
};

struct reaper_msg {
	int32_t kind;
	int32_t value;
};

/*
 * Run in a freshly forked child of airlock: become the session's reaper, fork the command
 * (start(arg) runs in it and must not return), then serve until sock reaches end of file
 * (airlock shut it down or died): kill every descendant, report the command's status if not
 * yet reported, and if airlock died, remove tmpdir (the session's TMPDIR; may be NULL); exit.
 */
_Noreturn void reaper_main(int sock, const char *tmpdir, void (*start)(void *), void *arg);
