/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Profiles: JSON documents layered with "extends". The schema is documented in
 * docs/profiles.md. Loading is all or nothing: on error the policy is left as it was.
 */
#pragma once

#include "airlock/airlock.h"

#define PROFILE_MAX_SIZE (1024 * 1024)
#define PROFILE_MAX_DEPTH 16

struct builtin_profile {
	const char *name;
	const char *json;
	unsigned len;
};
/* Generated from profiles/NAME.json at build time; terminated by a NULL name. */
extern const struct builtin_profile builtin_profiles[];

/* Layer profile name_or_file over p. diag may be NULL. */
int profile_load(struct airlock_policy *p, const char *name_or_file, struct airlock_diag *diag);

/* Text and source ("built-in" or a file path) of a profile. */
int profile_read(const char *name_or_file, char **ret_json, char **ret_source);

/* "name\tsource\tdescription" for every built-in and user profile. */
int profile_list(char ***ret);

/* Directory of the user's profiles ($XDG_CONFIG_HOME/airlock/profiles), malloc'd. */
int profile_user_dir(char **ret);
