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

int jsonloc_find(const char *text, size_t len, const struct jsonloc_step *path, size_t depth,
		 unsigned *ret_line, unsigned *ret_col)
{
	struct scan sc = { text, len, 0 };
	skip_ws(&sc);
	if (sc.pos >= len)
		return -ENOENT;
	find(&sc, path, depth);
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < sc.pos && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*ret_line = line;
	*ret_col = col;
	return 0;
}
