/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * R12: Unix socket addresses raced. The supervisor traps connect(), reads the address once,
 * resolves it like a path and performs the connect on the requester's socket. OK is a
 * listening socket the policy lets the sandbox reach (in the project), BUS one it does not
 * (outside every rule, like a session bus), LINK a symlink to BUS inside the project.
 *	- direct: connect to BUS and to LINK: refused; to OK: works (the positive control);
 *	- sockaddr flip: threads connect fresh sockets to a buffer another thread flips
 *	  between OK and BUS (same address length): never connected to BUS;
 *	- leaf exchange: a thread loops renameat2(OK, LINK, RENAME_EXCHANGE) while others
 *	  connect to OK's name: never connected to BUS (the supervisor must reach the socket it
 *	  judged, not whatever the name says when it connects);
 *	- an AF_INET socket given an AF_UNIX address: refused.
 * A connection's peer is the listener's bound name (getpeername), so we see where we got.
 *
 * usage: R12-sockaddr-flip OK BUS LINK [SECONDS]
 * Run bare, BUS is reachable: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#include "attack.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static struct sockaddr_un addr, addr_ok, addr_bus;
static const char *ok_path, *bus_path, *link_path;
static atomic_bool stop;
static atomic_ulong swaps;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Connect a fresh socket to a; 0 and where it landed (the peer's name) in peer, or errno. */
static int try_connect(const struct sockaddr_un *a, char *peer, size_t cap)
{
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return errno;
	int e = connect(s, (const struct sockaddr *)a, sizeof(*a)) < 0 ? errno : 0;
	if (!e && peer) {
		struct sockaddr_un p = { 0 };
		socklen_t pl = sizeof(p);
		if (getpeername(s, (struct sockaddr *)&p, &pl) == 0)
			snprintf(peer, cap, "%s", p.sun_path);
		else
			snprintf(peer, cap, "?");
	}
	close(s);
	return e;
}

static void *addr_flipper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		memcpy(&addr, &addr_bus, sizeof(addr));
		__asm__ volatile("" ::: "memory"); /* both stores happen */
		memcpy(&addr, &addr_ok, sizeof(addr));
		__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

static void *exchanger(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		if (syscall(SYS_renameat2, AT_FDCWD, ok_path, AT_FDCWD, link_path, RENAME_EXCHANGE) == 0)
			atomic_fetch_add(&swaps, 1);
	return NULL;
}

struct tally {
	const struct sockaddr_un *target;
	unsigned long ok, refused, other;
	int other_errno;
};

static void *connector(void *arg)
{
	struct tally *t = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		char peer[sizeof(addr.sun_path) + 1] = "";
		int e = try_connect(t->target, peer, sizeof(peer));
		if (e == 0 && !strcmp(peer, bus_path)) {
			attack_leak("connected to BUS through a raced connect()");
			atomic_store(&stop, true);
		} else if (e == 0) {
			t->ok++;
		} else if (e == EACCES || e == EPERM || e == ENOENT || e == ECONNREFUSED) {
			t->refused++;
		} else {
			t->other++;
			t->other_errno = e;
		}
	}
	return NULL;
}

static void race(const char *what, void *(*mover)(void *), const struct sockaddr_un *target,
		 double seconds)
{
	pthread_t m, c[2];
	struct tally t[2] = { { .target = target }, { .target = target } };
	atomic_store(&stop, false);
	pthread_create(&m, NULL, mover, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, connector, &t[i]);
	double end = now_s() + seconds;
	while (!atomic_load(&stop) && now_s() < end) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(c[i], NULL);
	pthread_join(m, NULL);
	attack_note("%s: %lu connected to OK, %lu refused, %lu other (%s)", what, t[0].ok + t[1].ok,
		    t[0].refused + t[1].refused, t[0].other + t[1].other,
		    ename(t[0].other_errno ? t[0].other_errno : t[1].other_errno));
	if (!attack_leaks && !(t[0].ok + t[1].ok)) {
		printf("CONTROL FAILED %s: no connect reached OK\n", what);
		attack_bad++;
	}
	if (!attack_leaks && !(t[0].refused + t[1].refused)) {
		printf("CONTROL FAILED %s: no connect met BUS (the race did not run)\n", what);
		attack_bad++;
	}
}

static void set_addr(struct sockaddr_un *a, const char *path)
{
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		attack_not_applicable("socket path too long: %s", path);
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		attack_usage("R12-sockaddr-flip OK BUS LINK [SECONDS]");
	ok_path = argv[1];
	bus_path = argv[2];
	link_path = argv[3];
	double seconds = argc > 4 ? atof(argv[4]) : 0.6;
	set_addr(&addr_ok, ok_path);
	set_addr(&addr_bus, bus_path);
	struct sockaddr_un addr_link;
	set_addr(&addr_link, link_path);

	char peer[sizeof(addr.sun_path) + 1] = "";
	control("connect to OK", try_connect(&addr_ok, peer, sizeof(peer)));
	must_fail("connect to BUS", try_connect(&addr_bus, NULL, 0));
	must_fail("connect to LINK (-> BUS)", try_connect(&addr_link, NULL, 0));
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		int e = connect(s, (struct sockaddr *)&addr_bus, sizeof(addr_bus)) < 0 ? errno : 0;
		must_fail_with("connect an AF_INET socket to BUS's AF_UNIX address", e, EAFNOSUPPORT,
			       EINVAL, EACCES, 0);
		close(s);
	}
	if (attack_leaks)
		return attack_finish();

	memcpy(&addr, &addr_ok, sizeof(addr));
	race("sockaddr flipping between OK and BUS", addr_flipper, &addr, seconds);
	if (!attack_leaks) {
		/* The window is narrower than the flip's: give it longer. */
		race("OK exchanged with LINK -> BUS", exchanger, &addr_ok, 2.5 * seconds);
		attack_note("%lu exchanges", (unsigned long)atomic_load(&swaps));
		/* Leave the names as they were. */
		struct stat st;
		if (lstat(ok_path, &st) == 0 && S_ISLNK(st.st_mode))
			syscall(SYS_renameat2, AT_FDCWD, ok_path, AT_FDCWD, link_path, RENAME_EXCHANGE);
		control("the exchanges ran", atomic_load(&swaps) ? 0 : ENOENT);
	}
	return attack_finish();
}
