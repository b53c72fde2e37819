/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jsonloc.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct scan {
	const char *s;
	size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]))
		sc->pos++;
}

static bool at(struct scan *sc, char c)
{
	return sc->pos < sc->len && sc->s[sc->pos] == c;
}

/* At an opening quote: move past the closing one. */
static void skip_string(struct scan *sc)
{
	sc->pos++;
	while (sc->pos < sc->len && sc->s[sc->pos] != '"') {
		if (sc->s[sc->pos] == '\\')
			sc->pos++;
		sc->pos++;
	}
	sc->pos++;
}

static void skip_value(struct scan *sc);

static void skip_container(struct scan *sc, char close)
{
	sc->pos++;
	for (;;) {
		skip_ws(sc);
		if (sc->pos >= sc->len || at(sc, close)) {
			sc->pos++;
			return;
		}
		if (at(sc, ',') || at(sc, ':')) {
			sc->pos++;
			continue;
		}
		skip_value(sc);
	}
}

static void skip_value(struct scan *sc)
{
	skip_ws(sc);
	if (sc->pos >= sc->len)
		return;
	switch (sc->s[sc->pos]) {
	case '{':
		skip_container(sc, '}');
		break;
	case '[':
		skip_container(sc, ']');
		break;
	case '"':
		skip_string(sc);
		break;
	default:
		while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos]))
			sc->pos++;
	}
}

/* Leaves sc at the start of the value named by path, or of the deepest container found. */
static void find(struct scan *sc, const struct jsonloc_step *path, size_t depth)
{
	skip_ws(sc);
	if (depth == 0 || sc->pos >= sc->len)
		return;
	size_t start = sc->pos;
	if (path->key && at(sc, '{')) {
		size_t klen = strlen(path->key);
		sc->pos++;
		for (;;) {
			skip_ws(sc);
			if (!at(sc, '"'))
				break;
			size_t kstart = sc->pos + 1;
			skip_string(sc);
			size_t kend = sc->pos - 1;
			skip_ws(sc);
			if (at(sc, ':'))
				sc->pos++;
			if (kend - kstart == klen && memcmp(sc->s + kstart, path->key, klen) == 0) {
				find(sc, path + 1, depth - 1);
				return;
			}
			skip_value(sc);
			skip_ws(sc);
			if (!at(sc, ','))
				break;
			sc->pos++;
		}
	} else if (!path->key && at(sc, '[')) {
		sc->pos++;
		for (size_t i = 0;; i++) {
			skip_ws(sc);
			if (at(sc, ']') || sc->pos >= sc->len)
				break;
			if (i == path->index) {
				find(sc, path + 1, depth - 1);
				return;
			}
			skip_value(sc);
			skip_ws(sc);
			if (!at(sc, ','))
				break;
			sc->pos++;
		}
	}
	sc->pos = start;
}

/* Advance a line/column count from byte *from to byte to. */
static void count_to(const char *text, size_t *from, size_t to, unsigned *line, unsigned *col)
{
	for (size_t i = *from; i < to; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
	*from = to;
}

int jsonloc_find(const char *text, size_t len, const struct jsonloc_step *path, size_t depth,
		 unsigned *ret_line, unsigned *ret_col)
{
	struct scan sc = { text, len, 0 };
	skip_ws(&sc);
	if (sc.pos >= len)
		return -ENOENT;
	find(&sc, path, depth);
	unsigned line = 1, col = 1;
	size_t done = 0;
	count_to(text, &done, sc.pos < len ? sc.pos : len, &line, &col);
	*ret_line = line;
	*ret_col = col;
	return 0;
}

int jsonloc_elements(const char *text, size_t len, const struct jsonloc_step *path, size_t depth,
		     size_t n, unsigned *ret_lines, unsigned *ret_cols)
{
	struct scan sc = { text, len, 0 };
	unsigned line = 1, col = 1;
	size_t done = 0;

	for (size_t i = 0; i < n; i++)
		ret_lines[i] = ret_cols[i] = 0;
	skip_ws(&sc);
	if (sc.pos >= len)
		return -ENOENT;
	find(&sc, path, depth);
	if (!at(&sc, '['))
		return -ENOENT;
	sc.pos++;
	for (size_t i = 0; i < n; i++) {
		skip_ws(&sc);
		if (sc.pos >= len || at(&sc, ']'))
			break;
		count_to(text, &done, sc.pos, &line, &col);
		ret_lines[i] = line;
		ret_cols[i] = col;
		skip_value(&sc);
		skip_ws(&sc);
		if (!at(&sc, ','))
			break;
		sc.pos++;
	}
	return 0;
}
