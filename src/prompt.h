/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal approval prompt: when an "ask" rule matches and airlock owns the terminal, the
 * person at it answers. The relay calls prompt_ask() with the real terminal's fds while it holds
 * back the child's output and stops reading input for the child, so the prompt owns the screen:
 *
 *	┌ airlock ⟦k7Qz⟧ ─ node (pid 4242: node /usr/bin/claude) wants to READ
 *	│   /home/me/Downloads/spec.pdf
 *	│   [o]nce  [s]ession  [d]irectory for session  [a]lways  [n]o   (auto-deny in 60s)
 *	└
 *
 * Everything that comes from the sandbox (path, comm, command line, group, directory) is shown
 * escaped (utf8_escape_char()), so it can neither move the cursor nor draw a line of its own;
 * the per-session tag, which the sandboxed program does not know, marks the prompt as airlock's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum prompt_choice {
	PROMPT_DENY,
	PROMPT_ONCE,
	PROMPT_SESSION,
	PROMPT_DIRECTORY,
	PROMPT_ALWAYS,
};

/* What the prompt shows. All strings are borrowed for the call; NULL optional ones are left out. */
struct prompt_view {
	const char *tag;       /* per-session mark: exactly 4 characters of [A-Za-z0-9] (required) */
	pid_t pid;
	const char *comm;      /* NULL: "?" */
	const char *cmdline;   /* args joined by ' '; truncated with "…" to fit the first line */
	const char *operation; /* "open" (or NULL), "mkdir", "unlink", "rmdir", "rename", "link",
				* "symlink", "mknod", "truncate", "chmod"; others shown upper-cased */
	const char *path;      /* resolved object, bytes (required) */
	uint32_t access;       /* AIRLOCK_ACCESS_*: shown in words for "open" */
	const char *group;     /* optional reason / rule group */
	const char *directory; /* the directory offered by 'd' (NULL: not offered) */
	unsigned more;         /* coalesced: this many more requests under directory */
	bool offer_always;     /* offer 'a' */
	bool quiet;            /* prompt_ask(): no line recording the answer after erasing */
	unsigned columns;      /* terminal width; 0: 80. Below 32 the layout assumes 32 */
};

/*
 * The prompt's text with seconds_left shown in the countdown (0: no countdown), malloc'd into
 * *ret_text (the caller frees it); *ret_lines is the number of lines. Every line ends in "\r\n"
 * and fits in columns - 1 as far as a terminal's widths can be known (wide characters count 2);
 * long fields wrap onto continuation lines ("│ ↳ ") and a field past 6 lines is shown by its
 * head and tail. The text holds no byte below 0x20 other than those "\r\n" and no escape
 * sequence. Returns 0, -EINVAL (no path, or a tag that is not 4 of [A-Za-z0-9]) or -ENOMEM;
 * the ret_ parameters are left alone on failure.
 */
int prompt_render(const struct prompt_view *v, unsigned seconds_left, char **ret_text,
		  unsigned *ret_lines);

/*
 * Show the prompt on out_fd (on a fresh line: it starts with "\r\n"), read one answer from
 * in_fd, then erase exactly the prompt's lines, leaving the cursor at the start of the line
 * where the prompt began, and (unless v->quiet) print one line recording the answer there.
 * in_fd/out_fd are the real terminal, already raw; either may be non-blocking.
 *
 * Keys: o s d a (d and a only when offered; upper case too) choose; n, Esc, Ctrl-C, Ctrl-D, end
 * of input and read errors deny; anything else is ignored, escape sequences (arrow keys,
 * Alt+key, terminal reports: an ESC followed within 20 ms by more bytes) as a whole. Input
 * already pending when the prompt appears is discarded first: it was typed before the question
 * could be seen, so it must not answer it. Bytes are read one at a time, so nothing typed after
 * the answer is consumed.
 *
 * timeout_ms bounds the wait (0: none); the choices line counts down each second. cancel_fd
 * (an eventfd, or -1) ends the prompt as deny once it is readable; it is only polled, never
 * read. Returns the choice, PROMPT_DENY on timeout, cancel, EOF or any error, and copies why
 * into why (if non-NULL): "once", "session", "directory", "always", "no", "escape", "ctrl-c",
 * "ctrl-d", "eof", "timeout", "cancelled" or "error".
 */
enum prompt_choice prompt_ask(int in_fd, int out_fd, int cancel_fd, unsigned timeout_ms,
			      const struct prompt_view *v, char *why, size_t why_size);
