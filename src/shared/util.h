/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small shared helpers: growable strings, string vectors, paths, display escaping. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* A growable NUL-terminated string. On allocation failure it latches (oom = true) and every
 * later append is a no-op, so a caller checks once at the end. */
struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

void sb_append(struct strbuf *b, const char *s);
void sb_appendn(struct strbuf *b, const char *s, size_t n);
void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append s with control characters, bidi controls and invalid UTF-8 escaped (\e, \x1b,
 * \u202e, ...), so that untrusted names cannot rewrite a terminal or hide text. */
void sb_append_escaped(struct strbuf *b, const char *s);
/* Length (1-4) of the valid UTF-8 sequence at s, setting *cp; 0 if it is not valid UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included). */
size_t utf8_decode(const unsigned char *s, uint32_t *cp);
bool utf8_valid(const char *s);

/* Room for the longest form utf8_escape_char() produces (a backslash, "u{10ffff}") and a NUL. */
#define UTF8_ESCAPE_MAX 12
/*
 * Escape one character of s (s[0] != '\0') for a terminal line, stricter than
 * sb_append_escaped(): C0 controls and DEL as \xNN, invalid UTF-8 one byte at a time as \xNN,
 * C1 controls (U+0080..U+009F), bidi and invisible formatting characters (U+200B..U+200F,
 * U+202A..U+202E, U+2066..U+2069, U+061C, U+FEFF, and the other invisible ones: soft hyphen,
 * line/paragraph separators, word joiners, fillers, tags) as \u{XXXX} (lower-case hex), and the
 * backslash as \\. Anything else is copied. Writes the result, NUL-terminated, to out; returns
 * the number of bytes of s consumed (1-4), and sets *ret_columns to the columns it takes on a
 * terminal: an upper bound (every code point from U+1100 on counts as 2, combining marks as 1).
 */
size_t utf8_escape_char(const char *s, char out[static UTF8_ESCAPE_MAX], unsigned *ret_columns);
/* Append s escaped with utf8_escape_char(). */
void sb_append_display(struct strbuf *b, const char *s);
/* Hand the string to the caller (or -ENOMEM); the buffer is reset. */
int sb_take(struct strbuf *b, char **ret);
void sb_done(struct strbuf *b);

char **strv_free(char **v);
size_t strv_length(char *const *v);
/* Append a copy of s. Returns 0 or -ENOMEM. */
int strv_push(char ***v, const char *s);
bool strv_contains(char *const *v, const char *s);

/* Lexically normalise an absolute path: collapse "//" and "/./", drop a trailing "/".
 * ".." components are refused (-EINVAL): rule paths must say what they mean.
 * Returns 0 or -EINVAL/-ENAMETOOLONG/-ENOMEM. */
int path_normalize(const char *in, char **ret);
/* True if path equals dir or lies beneath it (both normalised, absolute). */
bool path_is_beneath(const char *path, const char *dir);
/* Number of components ("/" is 0, "/a/b" is 2): the specificity of a rule. */
unsigned path_depth(const char *path);
/* Join a and b with one '/'. */
char *path_join(const char *a, const char *b);
/* Cut an absolute path to its parent directory in place: "/a/b" -> "/a", "/a" -> "/". */
void path_to_parent(char *path);
/* mkdir -p: create path and its missing parents with mode (existing ones are left as they are). */
int mkdir_parents(const char *path, mode_t mode);
/* Wait until fd has one of events, or cancel_fd (an eventfd; -1: none) is readable, or
 * timeout_ms passes (-1: never); EINTR is retried (with the full timeout again). Returns fd's
 * revents (> 0), 0 on timeout, -ECANCELED once cancel_fd is readable, or -errno. */
int poll_or_cancel(int fd, short events, int cancel_fd, int timeout_ms);
/* Write all of data to fd, retrying on EINTR and waiting (poll, 1 s at a time) on EAGAIN.
 * Returns false on any other error. */
bool fd_write_all(int fd, const void *data, size_t len);

/* CLOCK_MONOTONIC now plus ns: an absolute deadline for pthread_cond_timedwait() on a
 * condition variable that uses that clock. */
struct timespec monotonic_deadline(uint64_t ns);

/* The symbolic name of an errno value ("EACCES"), or "E?" */
const char *errno_name(int e);

/* Parse "10m", "30s", "2h" into seconds. Returns 0 or -EINVAL. */
int parse_duration(const char *s, uint64_t *ret_seconds);

static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

/* Format a message and hand it to a log callback (airlock_log_fn's shape); NULL fn: nothing. */
void log_vcall(void (*fn)(int, const char *, void *), void *userdata, int level, const char *fmt,
	       va_list ap) __attribute__((format(printf, 4, 0)));
