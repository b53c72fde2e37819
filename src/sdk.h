/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SDK channel's server: an inherited SOCK_SEQPACKET socketpair whose child end every process
 * of the session holds (AIRLOCK_SOCKET_FD). Clients open files through the supervisor, redeem
 * tokens and ask what would be allowed (docs/protocol.md, include/airlock/airlock-client.h).
 */
#pragma once

#include "supervisor.h"

#define SDK_MAX_CONNS 64 /* live client connections; more CONNECTs are refused */

struct sdk_server;

/* Serve sock (the parent's end; owned from now on) for s until s's cancel eventfd fires. */
int sdk_server_start(struct supervisor *s, int sock, struct sdk_server **ret);
/* After the cancel eventfd fired: join every thread, close everything. NULL-safe. */
struct sdk_server *sdk_server_stop(struct sdk_server *srv);
/* How many connections or messages were refused (cap, malformed), for tests. */
unsigned long sdk_server_refused(const struct sdk_server *srv);
