/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Locate a value in JSON text by its path (keys and array indexes), to give semantic errors a
 * line and column. jansson parses the profiles; it does not keep positions of values, so this
 * scanner walks the (already validated) text once more. Never used to interpret a document.
 */
#pragma once

#include <stddef.h>

struct jsonloc_step {
	const char *key; /* object member, or NULL for an array index */
	size_t index;
};

/* Position (1-based line and column, in bytes) of the value at path in text, or of the
 * deepest part of the path that exists. Returns 0, or -ENOENT if even the root is missing. */
int jsonloc_find(const char *text, size_t len, const struct jsonloc_step *path, size_t depth,
		 unsigned *ret_line, unsigned *ret_col);

/* Positions of the first n elements of the array at path, in one pass (linear in the text):
 * ret_lines[i], ret_cols[i] for element i; elements past the array's end get 0, 0. */
int jsonloc_elements(const char *text, size_t len, const struct jsonloc_step *path, size_t depth,
		     size_t n, unsigned *ret_lines, unsigned *ret_cols);
