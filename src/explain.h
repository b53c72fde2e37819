/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Texts for people: the effective policy (--dry-run), why a path is allowed, doctor. */
#pragma once

#include "policy.h"

int explain_policy(struct airlock_policy *p, char **ret_text);
int explain_path(struct airlock_policy *p, const char *path, char **ret_text);
int explain_doctor(char **ret_text);
