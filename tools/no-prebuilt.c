/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For tools/filter-gen.c: no programs compiled yet, so filter_build() compiles them. */
#include "filter.h"

const struct filter_prebuilt filter_prebuilt[] = { { 0, 0, 0 } };
