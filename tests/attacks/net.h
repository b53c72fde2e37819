/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket helpers shared by the F-series attack programs. Loopback only, always. */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "attack.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static inline struct sockaddr_in loop4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ::ffff:127.0.0.1, reaching an IPv4 listener from an IPv6 socket. */
static inline struct sockaddr_in6 loop4mapped(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.sin6_addr);
	return a;
}

static inline socklen_t unix_sockaddr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (len >= sizeof(sa->sun_path))
		len = sizeof(sa->sun_path) - 1;
	memcpy(sa->sun_path, path, len);
	if (path[0] == '@') { /* abstract */
		sa->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (socklen_t)sizeof(*sa);
}

/* socket(2) that must fail; returns the fd if it did not (the caller goes on with the attack). */
static inline int must_not_socket(const char *what, int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);
	must_fail(what, fd < 0 ? errno : 0);
	return fd;
}

static inline int parse_port(const char *s)
{
	int p = atoi(s);
	if (p <= 0 || p > 65535)
		attack_usage("PORT must be 1-65535");
	return p;
}
