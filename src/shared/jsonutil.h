/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jansson with the cleanup attribute. */
#pragma once

#include <jansson.h>

#include "cleanup.h"

static inline void json_unrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ _cleanup_(json_unrefp)
