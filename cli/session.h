/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

extern const char usage_session[];

/* airlock ps | grant | revoke | token ...: argv[0] is the command word. Returns the exit status. */
int cmd_session(int argc, char **argv);
