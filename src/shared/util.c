/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cleanup.h"

static bool sb_reserve(struct strbuf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

void sb_appendn(struct strbuf *b, const char *s, size_t n)
{
	if (!sb_reserve(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_append(struct strbuf *b, const char *s)
{
	sb_appendn(b, s, strlen(s));
}

void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !sb_reserve(b, (size_t)n)) {
		b->oom = true;
		return;
	}
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool utf8_valid(const char *str)
{
	uint32_t cp;
	for (const unsigned char *s = (const unsigned char *)str; *s;) {
		size_t n = utf8_decode(s, &cp);
		if (n == 0)
			return false;
		s += n;
	}
	return true;
}

static bool is_bidi_or_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069) || c == 0x061c || c == 0xfeff || (c >= 0x80 && c < 0xa0);
}

void sb_append_escaped(struct strbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);
		if (n == 0) {
			sb_printf(b, "\\x%02x", *s);
			s++;
		} else if (cp == '\\') {
			sb_append(b, "\\\\");
			s++;
		} else if (cp < 0x20 || cp == 0x7f) {
			switch (cp) {
			case '\n': sb_append(b, "\\n"); break;
			case '\r': sb_append(b, "\\r"); break;
			case '\t': sb_append(b, "\\t"); break;
			case 0x1b: sb_append(b, "\\e"); break;
			default: sb_printf(b, "\\x%02x", cp); break;
			}
			s++;
		} else if (is_bidi_or_invisible(cp)) {
			sb_printf(b, "\\u%04x", cp);
			s += n;
		} else {
			sb_appendn(b, (const char *)s, n);
			s += n;
		}
	}
}

/* Characters that draw nothing (or move text around) and so could hide or disguise a name. */
static bool is_invisible(uint32_t c)
{
	static const struct {
		uint32_t lo, hi;
	} ranges[] = {
		{ 0x0080, 0x009f },   /* C1 controls */
		{ 0x00ad, 0x00ad },   /* soft hyphen */
		{ 0x034f, 0x034f },   /* combining grapheme joiner */
		{ 0x061c, 0x061c },   /* Arabic letter mark */
		{ 0x115f, 0x1160 },   /* Hangul fillers */
		{ 0x17b4, 0x17b5 },   /* Khmer inherent vowels */
		{ 0x180b, 0x180f },   /* Mongolian selectors and vowel separator */
		{ 0x200b, 0x200f },   /* zero-width space/joiners, LRM, RLM */
		{ 0x2028, 0x202e },   /* line/paragraph separators, bidi embeddings and overrides */
		{ 0x2060, 0x2064 },   /* word joiner, invisible operators */
		{ 0x2066, 0x206f },   /* bidi isolates, deprecated format characters */
		{ 0x3164, 0x3164 },   /* Hangul filler */
		{ 0xfeff, 0xfeff },   /* zero-width no-break space (BOM) */
		{ 0xffa0, 0xffa0 },   /* halfwidth Hangul filler */
		{ 0xfff9, 0xfffb },   /* interlinear annotation */
		{ 0x1d173, 0x1d17a }, /* musical formatting */
		{ 0xe0000, 0xe007f }, /* tags */
	};
	for (size_t i = 0; i < ELEMENTSOF(ranges); i++)
		if (c >= ranges[i].lo && c <= ranges[i].hi)
			return true;
	return false;
}

size_t utf8_escape_char(const char *str, char out[static UTF8_ESCAPE_MAX], unsigned *ret_columns)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n = utf8_decode(s, &cp);
	int len;

	if (n == 0) {
		len = snprintf(out, UTF8_ESCAPE_MAX, "\\x%02x", s[0]);
		n = 1;
	} else if (cp == '\\') {
		len = snprintf(out, UTF8_ESCAPE_MAX, "\\\\");
	} else if (cp < 0x20 || cp == 0x7f) {
		len = snprintf(out, UTF8_ESCAPE_MAX, "\\x%02x", cp);
	} else if (is_invisible(cp)) {
		len = snprintf(out, UTF8_ESCAPE_MAX, "\\u{%04x}", cp);
	} else {
		memcpy(out, s, n);
		out[n] = '\0';
		*ret_columns = cp < 0x1100 ? 1 : 2;
		return n;
	}
	*ret_columns = (unsigned)len;
	return n;
}

void sb_append_display(struct strbuf *b, const char *str)
{
	char buf[UTF8_ESCAPE_MAX];
	unsigned cols;
	for (const char *s = str; *s;) {
		s += utf8_escape_char(s, buf, &cols);
		sb_append(b, buf);
	}
}

int sb_take(struct strbuf *b, char **ret)
{
	if (!b->oom && !b->s)
		sb_reserve(b, 0);
	if (b->oom) {
		sb_done(b);
		return -ENOMEM;
	}
	b->s[b->len] = '\0';
	*ret = b->s;
	*b = (struct strbuf){ 0 };
	return 0;
}

void sb_done(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf){ 0 };
}

char **strv_free(char **v)
{
	if (v)
		for (char **p = v; *p; p++)
			free(*p);
	free(v);
	return NULL;
}

size_t strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_length(*v);
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (!nv) {
		free(copy);
		return -ENOMEM;
	}
	nv[n] = copy;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int path_normalize(const char *in, char **ret)
{
	if (in[0] != '/')
		return -EINVAL;
	size_t len = strlen(in);
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	_cleanup_free_ char *out = malloc(len + 2);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *start = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - start);
		if (n == 0 || (n == 1 && start[0] == '.'))
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.')
			return -EINVAL;
		out[o++] = '/';
		memcpy(out + o, start, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

bool path_is_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

unsigned path_depth(const char *path)
{
	unsigned d = 0;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			d++;
	return d;
}

char *path_join(const char *a, const char *b)
{
	char *r;
	size_t la = strlen(a);
	bool slash = la > 0 && a[la - 1] == '/';
	if (asprintf(&r, "%s%s%s", a, slash ? "" : "/", b) < 0)
		return NULL;
	return r;
}

const char *errno_name(int e)
{
	switch (e) {
#define N(x) case x: return #x
	N(EPERM); N(ENOENT); N(ESRCH); N(EINTR); N(EIO); N(ENXIO); N(E2BIG); N(ENOEXEC);
	N(EBADF); N(ECHILD); N(EAGAIN); N(ENOMEM); N(EACCES); N(EFAULT); N(EBUSY);
	N(EEXIST); N(EXDEV); N(ENODEV); N(ENOTDIR); N(EISDIR); N(EINVAL); N(ENFILE);
	N(EMFILE); N(ENOTTY); N(ETXTBSY); N(EFBIG); N(ENOSPC); N(ESPIPE); N(EROFS);
	N(EMLINK); N(EPIPE); N(ERANGE); N(ENAMETOOLONG); N(ENOSYS); N(ENOTEMPTY);
	N(ELOOP); N(ENOTSUP); N(EAFNOSUPPORT); N(EADDRINUSE); N(ECONNREFUSED);
	N(ENETUNREACH); N(EPROTONOSUPPORT); N(ESOCKTNOSUPPORT); N(EPROTOTYPE);
	N(EDESTADDRREQ); N(EADDRNOTAVAIL); N(ETIMEDOUT); N(EINPROGRESS); N(EALREADY);
	N(ENOTCONN); N(EISCONN); N(ENOTSOCK); N(EOVERFLOW); N(EMSGSIZE);
#undef N
	default:
		return "E?";
	}
}

int parse_duration(const char *s, uint64_t *ret_seconds)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	uint64_t mul;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else if (!strcmp(end, "d"))
		mul = 86400;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mul)
		return -EINVAL;
	*ret_seconds = v * mul;
	return 0;
}

void log_vcall(void (*fn)(int, const char *, void *), void *userdata, int level, const char *fmt,
	       va_list ap)
{
	char buf[4096];
	if (!fn)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fn(level, buf, userdata);
}

int mkdir_parents(const char *path, mode_t mode)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return negative_errno();
		*c = saved;
		if (!saved)
			return 0;
	}
}

bool fd_write_all(int fd, const void *data, size_t len)
{
	const char *buf = data;
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { fd, POLLOUT, 0 };
			poll(&p, 1, 1000);
			continue;
		}
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

void path_to_parent(char *path)
{
	char *slash = strrchr(path, '/');
	if (slash)
		slash[slash == path] = '\0';
}

int poll_or_cancel(int fd, short events, int cancel_fd, int timeout_ms)
{
	for (;;) {
		struct pollfd p[2] = { { fd, events, 0 }, { cancel_fd, POLLIN, 0 } };
		int k = poll(p, 2, timeout_ms);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (p[1].revents)
			return -ECANCELED;
		return k == 0 ? 0 : p[0].revents;
	}
}

struct timespec monotonic_deadline(uint64_t ns)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	uint64_t nsec = (uint64_t)t.tv_nsec + ns % 1000000000u;
	t.tv_sec += (time_t)(ns / 1000000000u + nsec / 1000000000u);
	t.tv_nsec = (long)(nsec % 1000000000u);
	return t;
}
