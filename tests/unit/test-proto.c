/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SDK wire format (src/shared/proto.c) and the client SDK (src/client/client.c): encode and
 * decode round trips for every type, every malformed case, fd accounting in proto_recv (stray,
 * extra, truncated), and the client against a small in-process server over real sockets.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "airlock/airlock-client.h"
#include "cleanup.h"
#include "harness.h"
#include "proto.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		FAIL("opendir /proc/self/fd: %m");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void seqpacket_pair(int sv[2])
{
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
}

/* A datagram with the given header fields and payload. */
static size_t raw(uint8_t *buf, uint32_t magic, uint16_t version, uint16_t type, uint32_t id,
		  uint32_t plen_field, const void *payload, size_t n)
{
	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &version, 2);
	memcpy(buf + 6, &type, 2);
	memcpy(buf + 8, &id, 4);
	memcpy(buf + 12, &plen_field, 4);
	if (n)
		memcpy(buf + 16, payload, n);
	return 16 + n;
}

/* A well-formed header around payload. */
static size_t msg(uint8_t *buf, uint16_t type, const void *payload, size_t n)
{
	return raw(buf, PROTO_MAGIC, PROTO_VERSION, type, 7, (uint32_t)n, payload, n);
}

/* u32 a, u32 b, then n bytes of s: the shape of OPEN/RESULT payloads (QUERY uses just a). */
static size_t payload2(uint8_t *p, uint32_t a, uint32_t b, const void *s, size_t n)
{
	memcpy(p, &a, 4);
	memcpy(p + 4, &b, 4);
	memcpy(p + 8, s, n);
	return 8 + n;
}

static size_t payload1(uint8_t *p, uint32_t a, const void *s, size_t n)
{
	memcpy(p, &a, 4);
	memcpy(p + 4, s, n);
	return 4 + n;
}

/* Send buf with nfds copies of fd attached, by hand (proto_send refuses what we test here). */
static void send_raw(int sock, const void *buf, size_t len, int fd, unsigned nfds)
{
	int fds[64];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(fds))];
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	ASSERT_LE(nfds, ELEMENTSOF(fds));
	if (nfds) {
		struct cmsghdr *c;
		for (unsigned i = 0; i < nfds; i++)
			fds[i] = fd;
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		FAIL("sendmsg: %m");
}

static bool msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
#define STREQ_NULL(x, y) ((!(x) && !(y)) || ((x) && (y) && strcmp((x), (y)) == 0))
	return a->type == b->type && a->id == b->id && a->flags == b->flags && a->mode == b->mode &&
	       a->access == b->access && a->value == b->value && a->error == b->error &&
	       STREQ_NULL(a->path, b->path) && STREQ_NULL(a->token, b->token) &&
	       STREQ_NULL(a->message, b->message);
#undef STREQ_NULL
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	ASSERT_TRUE(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- encode / decode -------------------------------------------------------------------- */

TEST(round_trip_every_type)
{
	_cleanup_free_ char *long_path = NULL, *long_token = NULL, *long_message = NULL;
	long_path = repeat('p', PROTO_MAX_PATH - 1);
	long_path[0] = '/';
	long_token = repeat('t', PROTO_MAX_TOKEN);
	long_message = repeat('m', PROTO_MAX_PAYLOAD - 8 - 1);

	const struct proto_msg cases[] = {
		{ .type = PROTO_CONNECT, .id = 0 },
		{ .type = PROTO_CONNECT, .id = UINT32_MAX },
		{ .type = PROTO_OPEN, .id = 1, .flags = O_RDWR | O_CREAT | O_CLOEXEC, .mode = 0644,
		  .path = "/etc/passwd" },
		{ .type = PROTO_OPEN, .id = 2, .flags = UINT32_MAX, .mode = 07777, .path = "/" },
		{ .type = PROTO_OPEN, .id = 3, .path = long_path },
		{ .type = PROTO_OPEN, .id = 4, .path = "/caf\xc3\xa9/\xff\xfe raw bytes" },
		{ .type = PROTO_REDEEM, .id = 5, .token = "alk1.abc-DEF_123=" },
		{ .type = PROTO_REDEEM, .id = 6, .token = "x" },
		{ .type = PROTO_REDEEM, .id = 7, .token = long_token },
		{ .type = PROTO_QUERY, .id = 8, .access = PROTO_ACCESS_READ, .path = "/a" },
		{ .type = PROTO_QUERY, .id = 9, .access = PROTO_ACCESS_ALL, .path = long_path },
		{ .type = PROTO_RESULT, .id = 10 },
		{ .type = PROTO_RESULT, .id = 11, .error = EACCES, .value = 0,
		  .message = "denied by rule \xe2\x80\x9c/home\xe2\x80\x9d \xf0\x9f\x94\x92" },
		{ .type = PROTO_RESULT, .id = 12, .value = UINT32_MAX },
		{ .type = PROTO_RESULT, .id = 13, .error = PROTO_MAX_ERRNO,
		  .message = long_message },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint8_t buf[PROTO_MAX_MSG], again[PROTO_MAX_MSG];
		struct proto_msg d;
		size_t len = 0, len2 = 0;
		int r = proto_encode(&cases[i], buf, sizeof(buf), &len);
		if (r < 0)
			FAIL("case %zu: encode: %d", i, r);
		ASSERT_GE(len, PROTO_HEADER_SIZE);
		ASSERT_LE(len, PROTO_MAX_MSG);
		r = proto_decode(buf, len, &d);
		if (r < 0)
			FAIL("case %zu: decode: %d", i, r);
		if (!msg_equal(&cases[i], &d))
			FAIL("case %zu: decoded message differs", i);
		/* Strings point into the buffer, not at the originals. */
		if (d.path)
			ASSERT_TRUE((const uint8_t *)d.path > buf &&
				    (const uint8_t *)d.path < buf + len);
		ASSERT_EQ(0, proto_encode(&d, again, sizeof(again), &len2));
		ASSERT_EQ(len, len2);
		ASSERT_EQ(0, memcmp(buf, again, len));
		/* Exactly the space it needs, and not a byte less. */
		ASSERT_EQ(0, proto_encode(&cases[i], again, len, &len2));
		ASSERT_EQ(-ENOBUFS, proto_encode(&cases[i], again, len - 1, &len2));
	}
}

TEST(layout_byte_offsets)
{
	uint8_t buf[PROTO_MAX_MSG];
	size_t len;
	uint32_t u32;
	uint16_t u16;
	struct proto_msg m = { .type = PROTO_OPEN, .id = 0x01020304, .flags = O_WRONLY | O_APPEND,
			       .mode = 0600, .path = "/x/y" };

	ASSERT_EQ(0, proto_encode(&m, buf, sizeof(buf), &len));
	ASSERT_EQ(16 + 8 + 5, len);
	memcpy(&u32, buf, 4);
	ASSERT_EQ(0x314b4c41u, u32);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	ASSERT_EQ(0, memcmp(buf, "ALK1", 4));
#endif
	memcpy(&u16, buf + 4, 2);
	ASSERT_EQ(1, u16);
	memcpy(&u16, buf + 6, 2);
	ASSERT_EQ(PROTO_OPEN, u16);
	memcpy(&u32, buf + 8, 4);
	ASSERT_EQ(0x01020304u, u32);
	memcpy(&u32, buf + 12, 4);
	ASSERT_EQ(8 + 5, u32);
	memcpy(&u32, buf + 16, 4);
	ASSERT_EQ((uint32_t)(O_WRONLY | O_APPEND), u32);
	memcpy(&u32, buf + 20, 4);
	ASSERT_EQ(0600u, u32);
	ASSERT_EQ(0, memcmp(buf + 24, "/x/y", 5));

	struct proto_msg q = { .type = PROTO_QUERY, .id = 1, .access = 5, .path = "/q" };
	ASSERT_EQ(0, proto_encode(&q, buf, sizeof(buf), &len));
	ASSERT_EQ(16 + 4 + 3, len);
	memcpy(&u32, buf + 16, 4);
	ASSERT_EQ(5u, u32);
	ASSERT_EQ(0, memcmp(buf + 20, "/q", 3));

	struct proto_msg res = { .type = PROTO_RESULT, .id = 1, .error = ENOENT, .value = 2 };
	ASSERT_EQ(0, proto_encode(&res, buf, sizeof(buf), &len));
	ASSERT_EQ(16 + 8, len);
	int32_t i32;
	memcpy(&i32, buf + 16, 4);
	ASSERT_EQ(ENOENT, i32);
	memcpy(&u32, buf + 20, 4);
	ASSERT_EQ(2u, u32);

	/* An empty message is the same as none. */
	res.message = "";
	ASSERT_EQ(0, proto_encode(&res, buf, sizeof(buf), &len));
	ASSERT_EQ(16 + 8, len);

	struct proto_msg t = { .type = PROTO_REDEEM, .id = 1, .token = "abc" };
	ASSERT_EQ(0, proto_encode(&t, buf, sizeof(buf), &len));
	ASSERT_EQ(16 + 4, len);
	ASSERT_EQ(0, memcmp(buf + 16, "abc", 4));
}

TEST(encode_rejects)
{
	_cleanup_free_ char *path4096 = repeat('a', PROTO_MAX_PATH);
	_cleanup_free_ char *token256 = repeat('t', PROTO_MAX_TOKEN + 1);
	_cleanup_free_ char *message_big = repeat('m', PROTO_MAX_PAYLOAD - 8);
	path4096[0] = '/';
	const struct {
		struct proto_msg m;
		int want;
	} cases[] = {
		{ { .type = 0 }, -EINVAL },
		{ { .type = 6 }, -EINVAL },
		{ { .type = PROTO_OPEN, .path = NULL }, -EINVAL },
		{ { .type = PROTO_OPEN, .path = "" }, -EINVAL },
		{ { .type = PROTO_OPEN, .path = "relative" }, -EINVAL },
		{ { .type = PROTO_OPEN, .path = path4096 }, -ENAMETOOLONG },
		{ { .type = PROTO_OPEN, .path = "/a", .mode = 010000 }, -EINVAL },
		{ { .type = PROTO_OPEN, .path = "/a", .mode = S_IFREG | 0644 }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = NULL }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "" }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = token256 }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "has space" }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "tab\t" }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "esc\x1b" }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "del\x7f" }, -EINVAL },
		{ { .type = PROTO_REDEEM, .token = "caf\xc3\xa9" }, -EINVAL },
		{ { .type = PROTO_QUERY, .access = 0, .path = "/a" }, -EINVAL },
		{ { .type = PROTO_QUERY, .access = 8, .path = "/a" }, -EINVAL },
		{ { .type = PROTO_QUERY, .access = 0x81, .path = "/a" }, -EINVAL },
		{ { .type = PROTO_QUERY, .access = 1, .path = "a" }, -EINVAL },
		{ { .type = PROTO_QUERY, .access = 1, .path = NULL }, -EINVAL },
		{ { .type = PROTO_RESULT, .error = -1 }, -EINVAL },
		{ { .type = PROTO_RESULT, .error = PROTO_MAX_ERRNO + 1 }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = "\xff" }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = "\xc0\x80" }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = "\xed\xa0\x80" }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = "cut \xe2\x82" }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = "\xf4\x90\x80\x80" }, -EINVAL },
		{ { .type = PROTO_RESULT, .message = message_big }, -EMSGSIZE },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint8_t buf[PROTO_MAX_MSG];
		size_t len = 12345;
		int r = proto_encode(&cases[i].m, buf, sizeof(buf), &len);
		if (r != cases[i].want)
			FAIL("case %zu: got %d, want %d", i, r, cases[i].want);
		ASSERT_EQ(12345, len);
	}
}

struct bad_case {
	const char *what;
	uint8_t buf[PROTO_MAX_MSG + 64];
	size_t len;
	int want;
};

/* Build the table of malformed datagrams: each one is a valid message with one thing wrong. */
static size_t build_bad_cases(struct bad_case *c, size_t max)
{
	uint8_t p[PROTO_MAX_MSG + 64];
	_cleanup_free_ char *path4097 = repeat('a', PROTO_MAX_PATH);
	_cleanup_free_ char *token256 = repeat('t', PROTO_MAX_TOKEN + 1);
	uint8_t good[64];
	size_t n = 0, gl, pl;

	path4097[0] = '/';
	pl = payload2(p, O_RDONLY, 0, "/a", 3);
	gl = msg(good, PROTO_OPEN, p, pl);

#define ADD(w, want_, expr)                                                                   \
	do {                                                                                  \
		ASSERT_LT(n, max);                                                            \
		c[n].what = (w);                                                              \
		c[n].want = (want_);                                                          \
		c[n].len = (expr);                                                            \
		n++;                                                                          \
	} while (0)
#define B c[n].buf

	/* header */
	ADD("empty", -EBADMSG, 0);
	ADD("15 bytes", -EBADMSG, (memcpy(B, good, 15), 15));
	ADD("header only of an OPEN", -EBADMSG, (memcpy(B, good, 16), 16));
	ADD("bad magic", -EBADMSG, raw(B, 0x314b4c42, 1, PROTO_OPEN, 1, (uint32_t)pl, p, pl));
	ADD("byte-swapped magic", -EBADMSG,
	    raw(B, 0x414c4b31, 1, PROTO_OPEN, 1, (uint32_t)pl, p, pl));
	ADD("version 0", -EPROTO, raw(B, PROTO_MAGIC, 0, PROTO_OPEN, 1, (uint32_t)pl, p, pl));
	ADD("version 2", -EPROTO, raw(B, PROTO_MAGIC, 2, PROTO_OPEN, 1, (uint32_t)pl, p, pl));
	ADD("version 256", -EPROTO, raw(B, PROTO_MAGIC, 256, PROTO_OPEN, 1, (uint32_t)pl, p, pl));
	ADD("type 0", -EPROTO, raw(B, PROTO_MAGIC, 1, 0, 1, (uint32_t)pl, p, pl));
	ADD("type 6", -EPROTO, raw(B, PROTO_MAGIC, 1, 6, 1, (uint32_t)pl, p, pl));
	ADD("type 0xffff", -EPROTO, raw(B, PROTO_MAGIC, 1, 0xffff, 1, (uint32_t)pl, p, pl));
	ADD("length + 1", -EBADMSG, raw(B, PROTO_MAGIC, 1, PROTO_OPEN, 1, (uint32_t)pl + 1, p, pl));
	ADD("length - 1", -EBADMSG, raw(B, PROTO_MAGIC, 1, PROTO_OPEN, 1, (uint32_t)pl - 1, p, pl));
	ADD("length 2^32-1", -EBADMSG, raw(B, PROTO_MAGIC, 1, PROTO_OPEN, 1, UINT32_MAX, p, pl));
	ADD("length 2^32-16", -EBADMSG, raw(B, PROTO_MAGIC, 1, PROTO_OPEN, 1, UINT32_MAX - 15, p, pl));
	ADD("trailing byte", -EBADMSG, (memcpy(B, good, gl), B[gl] = 0, gl + 1));
	memset(p, 'm', sizeof(p));
	ADD("payload past the maximum", -EBADMSG,
	    raw(B, PROTO_MAGIC, 1, PROTO_RESULT, 1, PROTO_MAX_PAYLOAD + 1,
		(memcpy(p, "\0\0\0\0\0\0\0\0", 8), p[PROTO_MAX_PAYLOAD] = 0, p), PROTO_MAX_PAYLOAD + 1));

	/* CONNECT */
	ADD("CONNECT with a payload", -EBADMSG, msg(B, PROTO_CONNECT, "", 1));

	/* OPEN */
	ADD("OPEN, no payload", -EBADMSG, msg(B, PROTO_OPEN, "", 0));
	ADD("OPEN, 7 bytes", -EBADMSG, msg(B, PROTO_OPEN, "1234567", 7));
	ADD("OPEN, no path", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "", 0)));
	ADD("OPEN, empty path", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "", 1)));
	ADD("OPEN, no NUL", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "/a", 2)));
	ADD("OPEN, two NULs", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "/a\0", 4)));
	ADD("OPEN, embedded NUL", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "/a\0b", 5)));
	ADD("OPEN, relative", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 0, "a/b", 4)));
	ADD("OPEN, path of 4097 bytes", -EBADMSG,
	    msg(B, PROTO_OPEN, p, payload2(p, 0, 0, path4097, PROTO_MAX_PATH + 1)));
	ADD("OPEN, mode 010000", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, 010000, "/a", 3)));
	ADD("OPEN, mode 2^32-1", -EBADMSG, msg(B, PROTO_OPEN, p, payload2(p, 0, UINT32_MAX, "/a", 3)));

	/* REDEEM */
	ADD("REDEEM, empty", -EBADMSG, msg(B, PROTO_REDEEM, "", 0));
	ADD("REDEEM, only NUL", -EBADMSG, msg(B, PROTO_REDEEM, "", 1));
	ADD("REDEEM, no NUL", -EBADMSG, msg(B, PROTO_REDEEM, "abc", 3));
	ADD("REDEEM, two NULs", -EBADMSG, msg(B, PROTO_REDEEM, "abc\0", 5));
	ADD("REDEEM, embedded NUL", -EBADMSG, msg(B, PROTO_REDEEM, "ab\0c", 5));
	ADD("REDEEM, 256 bytes", -EBADMSG, msg(B, PROTO_REDEEM, token256, PROTO_MAX_TOKEN + 2));
	ADD("REDEEM, space", -EBADMSG, msg(B, PROTO_REDEEM, "a b", 4));
	ADD("REDEEM, newline", -EBADMSG, msg(B, PROTO_REDEEM, "ab\n", 4));
	ADD("REDEEM, 8-bit", -EBADMSG, msg(B, PROTO_REDEEM, "ab\x80", 4));

	/* QUERY */
	ADD("QUERY, 3 bytes", -EBADMSG, msg(B, PROTO_QUERY, "\1\0\0", 3));
	ADD("QUERY, no path", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 1, "", 0)));
	ADD("QUERY, access 0", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 0, "/a", 3)));
	ADD("QUERY, access 8", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 8, "/a", 3)));
	ADD("QUERY, access 0x80000001", -EBADMSG,
	    msg(B, PROTO_QUERY, p, payload1(p, 0x80000001u, "/a", 3)));
	ADD("QUERY, embedded NUL", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 1, "/a\0b", 5)));
	ADD("QUERY, two NULs", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 1, "/a\0", 4)));
	ADD("QUERY, no NUL", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 1, "/a", 2)));
	ADD("QUERY, relative", -EBADMSG, msg(B, PROTO_QUERY, p, payload1(p, 1, "a", 2)));

	/* RESULT */
	ADD("RESULT, 7 bytes", -EBADMSG, msg(B, PROTO_RESULT, "\0\0\0\0\0\0\0", 7));
	ADD("RESULT, error -1", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, UINT32_MAX, 0, "", 0)));
	ADD("RESULT, error 4096", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 4096, 0, "", 0)));
	ADD("RESULT, empty message", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "", 1)));
	ADD("RESULT, no NUL", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "msg", 3)));
	ADD("RESULT, two NULs", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "msg\0", 5)));
	ADD("RESULT, embedded NUL", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "m\0g", 4)));
	ADD("RESULT, bad UTF-8", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "\xff", 2)));
	ADD("RESULT, overlong", -EBADMSG, msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "\xc1\xbf", 3)));
	ADD("RESULT, surrogate", -EBADMSG,
	    msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "\xed\xb0\x80", 4)));
	ADD("RESULT, cut sequence", -EBADMSG,
	    msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "a\xf0\x9f\x94", 5)));
	ADD("RESULT, past U+10FFFF", -EBADMSG,
	    msg(B, PROTO_RESULT, p, payload2(p, 1, 0, "\xf5\x80\x80\x80", 5)));
#undef B
#undef ADD
	return n;
}

TEST(decode_rejects_malformed)
{
	static struct bad_case cases[96];
	size_t n = build_bad_cases(cases, ELEMENTSOF(cases));

	for (size_t i = 0; i < n; i++) {
		struct proto_msg m = { .type = 0xdead };
		int r = proto_decode(cases[i].buf, cases[i].len, &m);
		if (r != cases[i].want)
			FAIL("%s: got %d, want %d", cases[i].what, r, cases[i].want);
		ASSERT_EQ(0xdead, m.type); /* untouched on failure */
	}
}

TEST(decode_limits_accepted)
{
	uint8_t p[PROTO_MAX_PAYLOAD], buf[PROTO_MAX_MSG];
	_cleanup_free_ char *path = repeat('a', PROTO_MAX_PATH - 1);
	struct proto_msg m;
	size_t len;

	path[0] = '/';
	/* A path of exactly PROTO_MAX_PATH bytes with its NUL. */
	len = msg(buf, PROTO_OPEN, p, payload2(p, 0, 07777, path, PROTO_MAX_PATH));
	ASSERT_EQ(0, proto_decode(buf, len, &m));
	ASSERT_EQ(PROTO_MAX_PATH - 1, strlen(m.path));
	ASSERT_EQ(07777u, m.mode);
	/* The largest datagram there is: a RESULT whose message fills the payload. */
	memset(p, 'z', sizeof(p));
	payload2(p, 0, 0, "", 0);
	p[PROTO_MAX_PAYLOAD - 1] = '\0';
	len = msg(buf, PROTO_RESULT, p, PROTO_MAX_PAYLOAD);
	ASSERT_EQ(PROTO_MAX_MSG, len);
	ASSERT_EQ(0, proto_decode(buf, len, &m));
	ASSERT_EQ(PROTO_MAX_PAYLOAD - 9, strlen(m.message));
	/* An error of PROTO_MAX_ERRNO, a 4-byte UTF-8 character. */
	len = msg(buf, PROTO_RESULT, p, payload2(p, PROTO_MAX_ERRNO, 9, "\xf4\x8f\xbf\xbf", 5));
	ASSERT_EQ(0, proto_decode(buf, len, &m));
	ASSERT_EQ(PROTO_MAX_ERRNO, m.error);
	ASSERT_EQ(9u, m.value);
	/* Fields of other types stay zero. */
	ASSERT_TRUE(m.path == NULL && m.token == NULL && m.flags == 0 && m.access == 0);
	/* Printable ASCII tokens, the edges of the range. */
	len = msg(buf, PROTO_REDEEM, "!~", 3);
	ASSERT_EQ(0, proto_decode(buf, len, &m));
	ASSERT_STREQ("!~", m.token);
}

/* ---- proto_send / proto_recv over sockets ---------------------------------------------- */

TEST(send_recv_every_type)
{
	int sv[2];
	uint8_t buf[PROTO_MAX_MSG];
	struct proto_msg m;
	int fd = 123;

	seqpacket_pair(sv);
	struct proto_msg req = { .type = PROTO_OPEN, .id = 42, .flags = O_RDONLY, .path = "/x" };
	ASSERT_EQ(0, proto_send(sv[0], &req, -1));
	ASSERT_EQ(0, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_TRUE(msg_equal(&req, &m));
	ASSERT_LT(fd, 0);

	/* A RESULT with its fd: arrives close-on-exec, refers to the same file. */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_GE(devnull, 0);
	struct proto_msg ok = { .type = PROTO_RESULT, .id = 42 };
	ASSERT_EQ(0, proto_send(sv[1], &ok, devnull));
	ASSERT_EQ(0, proto_recv(sv[0], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_TRUE(msg_equal(&ok, &m));
	ASSERT_GE(fd, 0);
	ASSERT_NE(fd, devnull);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	struct stat a, b;
	ASSERT_EQ(0, fstat(fd, &a));
	ASSERT_EQ(0, fstat(devnull, &b));
	ASSERT_TRUE(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	close(fd);

	/* A CONNECT with a SEQPACKET socket. */
	int pair[2];
	seqpacket_pair(pair);
	struct proto_msg conn = { .type = PROTO_CONNECT, .id = 1 };
	ASSERT_EQ(0, proto_send(sv[0], &conn, pair[1]));
	ASSERT_EQ(0, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_EQ(PROTO_CONNECT, m.type);
	ASSERT_GE(fd, 0);
	/* It is the other end of pair[0]. */
	ASSERT_EQ(1, write(pair[0], "k", 1));
	char c = 0;
	ASSERT_EQ(1, read(fd, &c, 1));
	ASSERT_EQ('k', c);
	close(fd);

	/* Nothing there: -EAGAIN, and the out-fd says none. */
	fd = 5;
	ASSERT_EQ(-EAGAIN, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, MSG_DONTWAIT));
	ASSERT_LT(fd, 0);
}

TEST(send_refuses_misplaced_fds)
{
	int sv[2];
	seqpacket_pair(sv);
	struct proto_msg req = { .type = PROTO_OPEN, .path = "/x" };
	struct proto_msg conn = { .type = PROTO_CONNECT };
	struct proto_msg fail = { .type = PROTO_RESULT, .error = EACCES };
	struct proto_msg bad = { .type = PROTO_REDEEM, .token = "a b" };

	ASSERT_EQ(-EINVAL, proto_send(sv[0], &req, 0));
	ASSERT_EQ(-EINVAL, proto_send(sv[0], &conn, -1));
	ASSERT_EQ(-EINVAL, proto_send(sv[0], &fail, 0));
	ASSERT_EQ(-EINVAL, proto_send(sv[0], &bad, -1));
	/* Nothing was sent. */
	char b[8];
	ASSERT_EQ(-1, recv(sv[1], b, sizeof(b), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
}

TEST(send_to_gone_peer_is_epipe_not_sigpipe)
{
	int sv[2];
	seqpacket_pair(sv);
	close(sv[1]);
	signal(SIGPIPE, SIG_DFL);
	struct proto_msg q = { .type = PROTO_QUERY, .access = 1, .path = "/x" };
	int r = proto_send(sv[0], &q, -1);
	ASSERT_TRUE(r == -EPIPE || r == -ECONNRESET);
}

/* Every malformed datagram, sent for real: rejected, and the next good one still decodes. */
TEST(recv_rejects_malformed)
{
	static struct bad_case cases[96];
	size_t n = build_bad_cases(cases, ELEMENTSOF(cases));
	uint8_t buf[PROTO_MAX_MSG];
	struct proto_msg m, good = { .type = PROTO_QUERY, .id = 9, .access = 1, .path = "/ok" };
	int sv[2], fd;

	seqpacket_pair(sv);
	for (size_t i = 0; i < n; i++) {
		if (cases[i].len == 0)
			continue; /* an empty datagram has a test of its own */
		send_raw(sv[0], cases[i].buf, cases[i].len, -1, 0);
		int r = proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0);
		/* Past cap, the datagram is truncated, which is -EBADMSG whatever it says. */
		int want = cases[i].len > sizeof(buf) ? -EBADMSG : cases[i].want;
		if (r != want)
			FAIL("%s: got %d, want %d", cases[i].what, r, want);
		ASSERT_LT(fd, 0);
		ASSERT_EQ(0, proto_send(sv[0], &good, -1));
		ASSERT_EQ(0, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
		ASSERT_TRUE(msg_equal(&good, &m));
	}
}

struct fd_case {
	const char *what;
	uint16_t type;
	int32_t error; /* RESULT */
	int fd_kind;   /* 0 /dev/null, 1 SEQPACKET socket, 2 STREAM socket, 3 listening SEQPACKET */
	unsigned nfds;
	bool null_ret_fd;
	int want;
};

static const struct fd_case fd_cases[] = {
	{ "OPEN with one fd", PROTO_OPEN, 0, 0, 1, false, -EBADMSG },
	{ "OPEN with two fds", PROTO_OPEN, 0, 0, 2, false, -EBADMSG },
	{ "QUERY with a socket", PROTO_QUERY, 0, 1, 1, false, -EBADMSG },
	{ "REDEEM with an fd", PROTO_REDEEM, 0, 0, 1, false, -EBADMSG },
	{ "CONNECT without an fd", PROTO_CONNECT, 0, 0, 0, false, -EBADMSG },
	{ "CONNECT with two sockets", PROTO_CONNECT, 0, 1, 2, false, -EBADMSG },
	{ "CONNECT with /dev/null", PROTO_CONNECT, 0, 0, 1, false, -EBADMSG },
	{ "CONNECT with a stream socket", PROTO_CONNECT, 0, 2, 1, false, -EBADMSG },
	{ "CONNECT with a listening socket", PROTO_CONNECT, 0, 3, 1, false, -EBADMSG },
	{ "CONNECT, caller takes no fd", PROTO_CONNECT, 0, 1, 1, true, -EBADMSG },
	{ "CONNECT with seven sockets", PROTO_CONNECT, 0, 1, 7, false, -EBADMSG },
	{ "CONNECT with 20 (control truncated)", PROTO_CONNECT, 0, 1, 20, false, -EBADMSG },
	{ "CONNECT with 64 (control truncated)", PROTO_CONNECT, 0, 1, 64, false, -EBADMSG },
	{ "RESULT error with an fd", PROTO_RESULT, EACCES, 0, 1, false, -EBADMSG },
	{ "RESULT ok with two fds", PROTO_RESULT, 0, 0, 2, false, -EBADMSG },
	{ "RESULT ok, caller takes no fd", PROTO_RESULT, 0, 0, 1, true, -EBADMSG },
	{ "CONNECT with one socket", PROTO_CONNECT, 0, 1, 1, false, 0 },
	{ "RESULT ok with one fd", PROTO_RESULT, 0, 0, 1, false, 0 },
	{ "RESULT ok with none", PROTO_RESULT, 0, 0, 0, false, 0 },
	{ "RESULT ok without fd, no ret_fd", PROTO_RESULT, 0, 0, 0, true, 0 },
};

/* Stray, extra and truncated fds: whatever arrives is closed, or handed out when the message is
 * valid; the process's fd count shows nothing is left behind. */
TEST(recv_fd_accounting)
{
	for (size_t i = 0; i < ELEMENTSOF(fd_cases); i++) {
		const struct fd_case *c = &fd_cases[i];
		struct proto_msg m = { .type = c->type, .id = 1, .error = c->error, .access = 1,
				       .path = "/p", .token = "tok" };
		uint8_t enc[PROTO_MAX_MSG], buf[PROTO_MAX_MSG];
		size_t len;
		int sv[2], pair[2] = { -1, -1 }, payload = -1, fd = 77;

		seqpacket_pair(sv);
		switch (c->fd_kind) {
		case 0:
			payload = open("/dev/null", O_RDONLY | O_CLOEXEC);
			break;
		case 1:
			seqpacket_pair(pair);
			payload = pair[1];
			break;
		case 2:
			ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
			payload = pair[1];
			break;
		case 3:
			payload = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			ASSERT_EQ(0, bind(payload, (struct sockaddr *)&sa, sizeof(sa_family_t)));
			ASSERT_EQ(0, listen(payload, 1));
			break;
		}
		ASSERT_GE(payload, 0);
		ASSERT_EQ(0, proto_encode(&m, enc, sizeof(enc), &len));

		int before = count_fds();
		send_raw(sv[0], enc, len, payload, c->nfds);
		int r = proto_recv(sv[1], buf, sizeof(buf), &m, c->null_ret_fd ? NULL : &fd, 0);
		if (r != c->want)
			FAIL("%s: got %d, want %d", c->what, r, c->want);
		if (r == 0 && c->nfds == 1) {
			ASSERT_GE(fd, 0);
			ASSERT_EQ(before + 1, count_fds());
			close(fd);
		} else if (!c->null_ret_fd) {
			ASSERT_LT(fd, 0);
		}
		if (count_fds() != before)
			FAIL("%s: %d fds before, %d after", c->what, before, count_fds());
		close(sv[0]);
		close(sv[1]);
		close(payload);
		if (pair[0] >= 0)
			close(pair[0]);
	}
}

/* A datagram larger than the buffer: MSG_TRUNC, rejected; its fd does not stay behind. */
TEST(recv_truncated_datagram)
{
	static uint8_t big[PROTO_MAX_MSG + 100], buf[PROTO_MAX_MSG];
	struct proto_msg m;
	int sv[2], fd;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	seqpacket_pair(sv);
	/* A RESULT whose length field agrees with its size: only the size is wrong. */
	memset(big, 'm', sizeof(big));
	raw(big, PROTO_MAGIC, 1, PROTO_RESULT, 1, sizeof(big) - 16, "\0\0\0\0\0\0\0\0", 8);
	big[sizeof(big) - 1] = '\0';

	int before = count_fds();
	send_raw(sv[0], big, sizeof(big), devnull, 1);
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_LT(fd, 0);
	ASSERT_EQ(before, count_fds());

	/* The same with room for it: not truncated, still too large to be a message. */
	static uint8_t roomy[2 * PROTO_MAX_MSG];
	send_raw(sv[0], big, sizeof(big), devnull, 1);
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], roomy, sizeof(roomy), &m, &fd, 0));
	ASSERT_EQ(before, count_fds());

	/* A valid message into a buffer too small for it. */
	struct proto_msg q = { .type = PROTO_QUERY, .id = 1, .access = 1, .path = "/abcdef" };
	ASSERT_EQ(0, proto_send(sv[0], &q, -1));
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, 20, &m, &fd, 0));

	/* A valid message with bytes after it, received into a buffer that holds just the message:
	 * what fits would decode, but the datagram was larger. */
	size_t len;
	ASSERT_EQ(0, proto_encode(&q, big, sizeof(big), &len));
	memcpy(big + len, "trailing", 8);
	send_raw(sv[0], big, len + 8, -1, 0);
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, len, &m, &fd, 0));
	/* Positive control: the same buffer takes the message alone. */
	send_raw(sv[0], big, len, -1, 0);
	ASSERT_EQ(0, proto_recv(sv[1], buf, len, &m, &fd, 0));
	ASSERT_STREQ("/abcdef", m.path);
}

/* An empty datagram is malformed; the end of the stream is the peer gone. */
TEST(recv_empty_datagram_and_eof)
{
	uint8_t buf[PROTO_MAX_MSG];
	struct proto_msg m;
	int sv[2], fd;

	seqpacket_pair(sv);
	ASSERT_EQ(0, send(sv[0], "", 0, 0));
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_EQ(-EAGAIN, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, MSG_DONTWAIT));
	/* An empty datagram with an fd: rejected and the fd closed. */
	int before = count_fds();
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	send_raw(sv[0], "", 0, devnull, 1);
	close(devnull);
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_EQ(before, count_fds());

	close(sv[0]);
	ASSERT_EQ(-ECONNRESET, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
	ASSERT_EQ(-ECONNRESET, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, MSG_DONTWAIT));
}

/* Control messages other than SCM_RIGHTS are refused (here: credentials). */
TEST(recv_refuses_credentials)
{
	uint8_t buf[PROTO_MAX_MSG];
	struct proto_msg m, q = { .type = PROTO_QUERY, .id = 1, .access = 1, .path = "/a" };
	int sv[2], fd, one = 1;

	seqpacket_pair(sv);
	ASSERT_EQ(0, setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	ASSERT_EQ(0, proto_send(sv[0], &q, -1));
	ASSERT_EQ(-EBADMSG, proto_recv(sv[1], buf, sizeof(buf), &m, &fd, 0));
}

/* ---- the client against an in-process server ------------------------------------------ */

#define MAX_CONNS 16

struct server {
	int sock;             /* server end of the shared socket */
	int release[2];       /* a byte here answers the parked "/slow" request */
	int parked[2];        /* the server writes a byte here once "/slow" is parked */
	int dropped[2];       /* ... and one here for each connection it closes */
	atomic_int connects;  /* CONNECTs accepted */
	atomic_int requests;  /* requests answered */
	int conns[MAX_CONNS];
	int slow_conn;
	uint32_t slow_id;
	pthread_t thread;
};

static void reply(int conn, uint32_t id, int error, uint32_t value, const char *message, int fd)
{
	struct proto_msg r = { .type = PROTO_RESULT, .id = id, .error = error, .value = value,
			       .message = message };
	if (proto_send(conn, &r, fd) < 0)
		FAIL("server: reply: %m");
}

static void peer_pid_message(int conn, char *buf, size_t n)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	ASSERT_EQ(0, getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len));
	snprintf(buf, n, "pid=%d", (int)cred.pid);
}

/* Answer one request; false: drop the connection. */
static bool serve(struct server *s, int conn)
{
	uint8_t buf[PROTO_MAX_MSG];
	char text[PROTO_MAX_PATH + 64];
	struct proto_msg m;
	int r = proto_recv(conn, buf, sizeof(buf), &m, NULL, MSG_DONTWAIT);

	if (r == -EAGAIN)
		return true;
	if (r < 0)
		return false;
	atomic_fetch_add(&s->requests, 1);
	switch (m.type) {
	case PROTO_OPEN:
		if (strcmp(m.path, "/dev/null") == 0) {
			int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			ASSERT_GE(fd, 0);
			reply(conn, m.id, 0, 0, NULL, fd);
			close(fd);
		} else if (strcmp(m.path, "/whoami") == 0) {
			peer_pid_message(conn, text, sizeof(text));
			reply(conn, m.id, EPERM, 0, text, -1);
		} else if (strcmp(m.path, "/slow") == 0) {
			s->slow_conn = conn;
			s->slow_id = m.id;
			ASSERT_EQ(1, write(s->parked[1], "p", 1));
		} else if (strcmp(m.path, "/hangup") == 0) {
			return false;
		} else if (strcmp(m.path, "/wrong-id") == 0) {
			/* Well-formed in every other way, fd included. */
			int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
			ASSERT_GE(fd, 0);
			reply(conn, m.id + 1, 0, 0, NULL, fd);
			close(fd);
		} else if (strcmp(m.path, "/no-fd") == 0) {
			reply(conn, m.id, 0, 0, NULL, -1);
		} else if (strcmp(m.path, "/long-message") == 0) {
			/* 1500 two-byte characters: past what the client keeps. */
			for (size_t i = 0; i < 1500; i++)
				memcpy(text + 2 * i, "\xc3\xa9", 2);
			text[3000] = '\0';
			reply(conn, m.id, EACCES, 0, text, -1);
		} else {
			snprintf(text, sizeof(text), "no such file: %s (flags %u)", m.path, m.flags);
			reply(conn, m.id, ENOENT, 0, text, -1);
		}
		break;
	case PROTO_REDEEM:
		if (strcmp(m.token, "good-token") == 0)
			reply(conn, m.id, 0, 3, NULL, -1);
		else if (strcmp(m.token, "bad-value") == 0)
			reply(conn, m.id, 0, 9, NULL, -1);
		else
			reply(conn, m.id, EACCES, 0, "token refused", -1);
		break;
	case PROTO_QUERY:
		if (strcmp(m.path, "/allowed") == 0)
			reply(conn, m.id, 0, AIRLOCK_CLIENT_ALLOWED, NULL, -1);
		else if (strcmp(m.path, "/denied") == 0)
			reply(conn, m.id, 0, AIRLOCK_CLIENT_DENIED, NULL, -1);
		else if (strcmp(m.path, "/ask") == 0)
			reply(conn, m.id, 0, AIRLOCK_CLIENT_ASK, NULL, -1);
		else if (strcmp(m.path, "/bad-value") == 0)
			reply(conn, m.id, 0, 3, NULL, -1);
		else if (strcmp(m.path, "/with-fd") == 0)
			reply(conn, m.id, 0, 0, NULL, s->sock);
		else if (strcmp(m.path, "/whoami") == 0) {
			peer_pid_message(conn, text, sizeof(text));
			reply(conn, m.id, EPERM, 0, text, -1);
		} else if (strncmp(m.path, "/echo/", 6) == 0) {
			/* The access bits, so that threads can check they got their own answer. */
			reply(conn, m.id, 0, m.access - 1 < 3 ? m.access - 1 : 2, NULL, -1);
		} else {
			snprintf(text, sizeof(text), "query: %s", m.path);
			reply(conn, m.id, ENOENT, 0, text, -1);
		}
		break;
	default:
		return false;
	}
	return true;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	bool shared_open = true;

	for (;;) {
		struct pollfd p[MAX_CONNS + 2];
		size_t n = 0;
		p[n++] = (struct pollfd){ .fd = shared_open ? s->sock : -1, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->release[0], .events = POLLIN };
		for (size_t i = 0; i < MAX_CONNS; i++)
			p[n++] = (struct pollfd){ .fd = s->conns[i], .events = POLLIN };
		if (poll(p, n, -1) < 0)
			continue;

		if (p[0].revents) {
			uint8_t buf[PROTO_MAX_MSG];
			struct proto_msg m;
			int fd;
			int r = proto_recv(s->sock, buf, sizeof(buf), &m, &fd, MSG_DONTWAIT);
			if (r == -ECONNRESET)
				shared_open = false;
			if (r == 0) {
				size_t i = 0;
				while (i < MAX_CONNS && s->conns[i] >= 0)
					i++;
				ASSERT_LT(i, MAX_CONNS);
				s->conns[i] = fd;
				atomic_fetch_add(&s->connects, 1);
			}
		}
		if (p[1].revents) {
			char c;
			ASSERT_EQ(1, read(s->release[0], &c, 1));
			reply(s->slow_conn, s->slow_id, ENOENT, 0, "was slow", -1);
		}
		for (size_t i = 0; i < MAX_CONNS; i++)
			if (p[2 + i].revents && !serve(s, s->conns[i])) {
				s->conns[i] = safe_close(s->conns[i]);
				ASSERT_EQ(1, write(s->dropped[1], "d", 1));
			}
	}
	return NULL;
}

/* Start a server; the shared socket's client end is published in AIRLOCK_SOCKET_FD. It is not
 * close-on-exec, as the supervisor's is not. */
static struct server *server_start(void)
{
	static struct server s;
	int sv[2];
	char num[16];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	ASSERT_EQ(0, fcntl(sv[0], F_SETFD, FD_CLOEXEC));
	s.sock = sv[0];
	ASSERT_EQ(0, pipe2(s.release, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(s.parked, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(s.dropped, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, fcntl(s.dropped[0], F_SETFL, 0));
	for (size_t i = 0; i < MAX_CONNS; i++)
		s.conns[i] = -1;
	snprintf(num, sizeof(num), "%d", sv[1]);
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", num, 1));
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, server_main, &s));
	return &s;
}

static int whoami(void)
{
	int r = airlock_client_query("/whoami", AIRLOCK_CLIENT_READ);
	ASSERT_EQ(-EPERM, r);
	const char *t = airlock_client_strerror(r);
	ASSERT_TRUE(strncmp(t, "pid=", 4) == 0);
	return atoi(t + 4);
}

TEST(client_round_trip)
{
	struct server *s = server_start();
	char b;

	ASSERT_EQ(1, airlock_client_available());

	int fd = airlock_client_open("/dev/null", O_RDWR, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(1, write(fd, "x", 1));
	ASSERT_EQ(0, read(fd, &b, 1));
	ASSERT_EQ(0, fcntl(fd, F_GETFD)); /* not asked for O_CLOEXEC: inheritable */
	close(fd);
	fd = airlock_client_open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	close(fd);

	ASSERT_EQ(-ENOENT, airlock_client_open("/nonexistent", O_RDONLY, 0));
	ASSERT_CONTAINS(airlock_client_strerror(-ENOENT), "no such file: /nonexistent");

	ASSERT_EQ(0, airlock_client_redeem("good-token"));
	ASSERT_EQ(-EACCES, airlock_client_redeem("other-token"));
	ASSERT_STREQ("token refused", airlock_client_strerror(-EACCES));
	/* Another code than the last failure's: strerror's text, not the message. */
	ASSERT_STREQ(strerror(ENOENT), airlock_client_strerror(-ENOENT));

	ASSERT_EQ(AIRLOCK_CLIENT_ALLOWED, airlock_client_query("/allowed", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(AIRLOCK_CLIENT_DENIED,
		  airlock_client_query("/denied", AIRLOCK_CLIENT_WRITE | AIRLOCK_CLIENT_EXEC));
	ASSERT_EQ(AIRLOCK_CLIENT_ASK, airlock_client_query("/ask", AIRLOCK_CLIENT_EXEC));

	/* One connection served all of it, and it is ours. */
	ASSERT_EQ(getpid(), whoami());
	ASSERT_EQ(1, atomic_load(&s->connects));
}

TEST(client_relative_paths_are_made_absolute)
{
	char cwd[PATH_MAX], want[PATH_MAX + 64];

	server_start();
	ASSERT_EQ(0, chdir("/usr"));
	ASSERT_TRUE(getcwd(cwd, sizeof(cwd)));
	ASSERT_EQ(-ENOENT, airlock_client_open("rel/x", O_RDONLY, 0));
	snprintf(want, sizeof(want), "no such file: %s/rel/x ", cwd);
	ASSERT_CONTAINS(airlock_client_strerror(-ENOENT), want);
	ASSERT_EQ(-ENOENT, airlock_client_query("q", AIRLOCK_CLIENT_READ));
	snprintf(want, sizeof(want), "query: %s/q", cwd);
	ASSERT_STREQ(want, airlock_client_strerror(-ENOENT));
	/* From "/", one slash. */
	ASSERT_EQ(0, chdir("/"));
	ASSERT_EQ(-ENOENT, airlock_client_query("q", AIRLOCK_CLIENT_READ));
	ASSERT_STREQ("query: /q", airlock_client_strerror(-ENOENT));
	ASSERT_EQ(0, chdir("/dev"));
	int fd = airlock_client_open("null", O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	close(fd);
}

TEST(client_invalid_arguments_do_not_reach_the_server)
{
	struct server *s = server_start();
	_cleanup_free_ char *long_token = repeat('t', 256);
	_cleanup_free_ char *long_path = repeat('a', PROTO_MAX_PATH);
	long_path[0] = '/';

	ASSERT_EQ(-EINVAL, airlock_client_open(NULL, O_RDONLY, 0));
	ASSERT_EQ(-ENOENT, airlock_client_open("", O_RDONLY, 0));
	ASSERT_EQ(-ENAMETOOLONG, airlock_client_open(long_path, O_RDONLY, 0));
	ASSERT_EQ(0, chdir("/"));
	ASSERT_EQ(-ENAMETOOLONG, airlock_client_open(long_path + 1, O_RDONLY, 0));
	ASSERT_EQ(-EINVAL, airlock_client_query("/a", 0));
	ASSERT_EQ(-EINVAL, airlock_client_query("/a", 8));
	ASSERT_EQ(-EINVAL, airlock_client_query(NULL, AIRLOCK_CLIENT_READ));
	ASSERT_EQ(-EINVAL, airlock_client_redeem(NULL));
	ASSERT_EQ(-EINVAL, airlock_client_redeem(""));
	ASSERT_EQ(-EINVAL, airlock_client_redeem("two words"));
	ASSERT_EQ(-EINVAL, airlock_client_redeem(long_token));
	ASSERT_STREQ(strerror(EINVAL), airlock_client_strerror(-EINVAL));
	ASSERT_EQ(0, atomic_load(&s->connects));
	/* Mode bits beyond 07777 are dropped, not an error (open(2) ignores them too). */
	int fd = airlock_client_open("/dev/null", O_RDONLY, S_IFREG | 0644);
	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(1, atomic_load(&s->connects));
}

TEST(client_malformed_replies_drop_the_connection)
{
	struct server *s = server_start();

	ASSERT_EQ(AIRLOCK_CLIENT_ALLOWED, airlock_client_query("/allowed", AIRLOCK_CLIENT_READ));
	int before = count_fds();
	ASSERT_EQ(-EBADMSG, airlock_client_open("/wrong-id", O_RDONLY, 0));
	ASSERT_EQ(-EBADMSG, airlock_client_open("/no-fd", O_RDONLY, 0));
	ASSERT_EQ(-EBADMSG, airlock_client_query("/bad-value", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(-EBADMSG, airlock_client_query("/with-fd", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(-EBADMSG, airlock_client_redeem("bad-value"));
	/* Each one cost its connection and left no fd behind; the next call reconnects. The
	 * server is in this process too: count once it has closed its ends. */
	char d[5];
	for (size_t got = 0; got < sizeof(d);) {
		ssize_t k = read(s->dropped[0], d + got, sizeof(d) - got);
		ASSERT_GT(k, 0);
		got += (size_t)k;
	}
	ASSERT_EQ(before - 2, count_fds());
	ASSERT_EQ(AIRLOCK_CLIENT_ALLOWED, airlock_client_query("/allowed", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(before, count_fds());
	ASSERT_EQ(6, atomic_load(&s->connects));
}

TEST(client_supervisor_gone)
{
	int sv[2];
	char num[16];

	signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would kill the test */
	/* The connection drops mid-session: the pending call fails, the next one reconnects. */
	struct server *s = server_start();
	ASSERT_EQ(-ECONNRESET, airlock_client_open("/hangup", O_RDONLY, 0));
	ASSERT_EQ(AIRLOCK_CLIENT_DENIED, airlock_client_query("/denied", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(2, atomic_load(&s->connects));

	/* From here on, nobody listens behind the shared socket. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	close(sv[0]);
	snprintf(num, sizeof(num), "%d", sv[1]);
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", num, 1));
	/* The live connection is still used... */
	ASSERT_EQ(AIRLOCK_CLIENT_ASK, airlock_client_query("/ask", AIRLOCK_CLIENT_READ));
	/* ...until it drops; then connecting finds the supervisor gone. */
	ASSERT_EQ(-ECONNRESET, airlock_client_open("/hangup", O_RDONLY, 0));
	ASSERT_EQ(-EPIPE, airlock_client_query("/ask", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(2, atomic_load(&s->connects));
}

TEST(client_supervisor_gone_before_connecting)
{
	int sv[2];
	char num[16];

	signal(SIGPIPE, SIG_DFL);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	close(sv[0]);
	snprintf(num, sizeof(num), "%d", sv[1]);
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", num, 1));
	ASSERT_EQ(1, airlock_client_available());
	int r = airlock_client_query("/a", AIRLOCK_CLIENT_READ);
	ASSERT_TRUE(r == -EPIPE || r == -ECONNRESET);
	r = airlock_client_redeem("tok");
	ASSERT_TRUE(r == -EPIPE || r == -ECONNRESET);
}

TEST(client_not_in_a_session)
{
	int p[2], st[2], dg[2], closed;
	char num[16];

	ASSERT_EQ(0, unsetenv("AIRLOCK_SOCKET_FD"));
	ASSERT_EQ(0, airlock_client_available());
	ASSERT_EQ(-ENOTCONN, airlock_client_open("/dev/null", O_RDONLY, 0));
	ASSERT_EQ(-ENOTCONN, airlock_client_query("/a", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(-ENOTCONN, airlock_client_redeem("tok"));
	ASSERT_STREQ("not in an airlock session (AIRLOCK_SOCKET_FD is not set)",
		     airlock_client_strerror(-ENOTCONN));

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg));
	closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(closed);
	char pipe_num[16], stream_num[16], dgram_num[16], closed_num[16];
	snprintf(pipe_num, sizeof(pipe_num), "%d", p[1]);
	snprintf(stream_num, sizeof(stream_num), "%d", st[1]);
	snprintf(dgram_num, sizeof(dgram_num), "%d", dg[1]);
	snprintf(closed_num, sizeof(closed_num), "%d", closed);
	const char *values[] = { "", "abc", "12abc", "-3", " 5", "+5", "5 ", "0x5",
				 "99999999999999999999", "2147483648", pipe_num, stream_num,
				 dgram_num, closed_num };
	for (size_t i = 0; i < ELEMENTSOF(values); i++) {
		ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", values[i], 1));
		if (airlock_client_available() != 0)
			FAIL("AIRLOCK_SOCKET_FD=\"%s\": available", values[i]);
		int r = airlock_client_open("/dev/null", O_RDONLY, 0);
		if (r != -ENOTCONN)
			FAIL("AIRLOCK_SOCKET_FD=\"%s\": %d", values[i], r);
	}
	/* A SEQPACKET socket at fd 20: "20" names it; "1:" is not a number (though a lax digit
	 * loop would read 1 * 10 + (':' - '0') = 20). */
	int sp[2];
	seqpacket_pair(sp);
	ASSERT_EQ(20, dup2(sp[1], 20));
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", "20", 1));
	ASSERT_EQ(1, airlock_client_available());
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", "1:", 1));
	ASSERT_EQ(0, airlock_client_available());
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", "020", 1));
	ASSERT_EQ(1, airlock_client_available());

	snprintf(num, sizeof(num), "%d", p[0]);
	ASSERT_EQ(0, setenv("AIRLOCK_SOCKET_FD", num, 1));
	ASSERT_EQ(-ENOTCONN, airlock_client_query("/a", AIRLOCK_CLIENT_READ));
	/* Nothing was written to the pipe. */
	ASSERT_EQ(0, fcntl(p[0], F_SETFL, O_NONBLOCK));
	char c;
	ASSERT_EQ(-1, read(p[0], &c, 1));
}

TEST(client_fork_makes_a_new_connection)
{
	struct server *s = server_start();
	pid_t parent = getpid();
	int status;

	ASSERT_EQ(parent, whoami());
	ASSERT_EQ(1, atomic_load(&s->connects));

	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The child's requests go over a connection of its own, made by its pid. */
		int fd = airlock_client_open("/dev/null", O_RDONLY, 0);
		if (fd < 0)
			_exit(10);
		close(fd);
		if (whoami() != getpid())
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(2, atomic_load(&s->connects));
	/* The parent's connection is untouched by the child's leaving. */
	ASSERT_EQ(parent, whoami());
	ASSERT_EQ(2, atomic_load(&s->connects));
}

static void *slow_open(void *arg)
{
	(void)arg;
	ASSERT_EQ(-ENOENT, airlock_client_open("/slow", O_RDONLY, 0));
	return NULL;
}

/* fork() while another thread is inside a request (holding the client's lock): the child's own
 * requests still go through. A child that deadlocked would be killed by its alarm. */
TEST(client_fork_during_a_request)
{
	struct server *s = server_start();
	pthread_t t;
	int status;
	char c;

	ASSERT_EQ(0, pthread_create(&t, NULL, slow_open, NULL));
	ASSERT_EQ(1, read(s->parked[0], &c, 1)); /* the request is parked at the server */

	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		alarm(30);
		if (airlock_client_query("/allowed", AIRLOCK_CLIENT_READ) != AIRLOCK_CLIENT_ALLOWED)
			_exit(10);
		if (whoami() != getpid())
			_exit(11);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FAIL("child: status %#x", status);
	ASSERT_EQ(1, write(s->release[1], "r", 1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(2, atomic_load(&s->connects));
}

#define N_THREADS 8
#define N_QUERIES 300

static void *querier(void *arg)
{
	unsigned access = (unsigned)(uintptr_t)arg; /* 1, 2 or 4 -> answer 0, 1 or 2... */
	int want = access == 1 ? 0 : access == 2 ? 1 : 2;
	for (int i = 0; i < N_QUERIES; i++) {
		int r = airlock_client_query("/echo/x", access);
		if (r != want)
			FAIL("thread with access %u: got %d, want %d", access, r, want);
	}
	return NULL;
}

/* Threads share the connection; each gets the answer to its own request. */
TEST(client_threads)
{
	struct server *s = server_start();
	pthread_t t[N_THREADS];

	for (int i = 0; i < N_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, querier,
					    (void *)(uintptr_t)(1u << (i % 3))));
	for (int i = 0; i < N_THREADS; i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	ASSERT_EQ(1, atomic_load(&s->connects));
	ASSERT_EQ(N_THREADS * N_QUERIES, atomic_load(&s->requests));
}

TEST(client_long_message_is_cut_on_a_character)
{
	server_start();
	ASSERT_EQ(-EACCES, airlock_client_open("/long-message", O_RDONLY, 0));
	const char *t = airlock_client_strerror(-EACCES);
	ASSERT_TRUE(strlen(t) > 500 && strlen(t) < 1024);
	ASSERT_EQ(0, strlen(t) % 2);
	ASSERT_TRUE(utf8_valid(t));
}

/* A hostile process on the shared socket: junk, stray fds and half-made CONNECTs cost it
 * nothing but the message; the server keeps serving well-formed clients. */
TEST(server_survives_junk_on_the_shared_socket)
{
	struct server *s = server_start();
	int shared = atoi(getenv("AIRLOCK_SOCKET_FD"));
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint8_t buf[64];

	send_raw(shared, "junk", 4, -1, 0);
	send_raw(shared, "", 0, -1, 0);
	send_raw(shared, "", 0, devnull, 3);
	size_t len = msg(buf, PROTO_CONNECT, "", 0);
	send_raw(shared, buf, len, devnull, 1);
	send_raw(shared, buf, len, devnull, 30);
	ASSERT_EQ(AIRLOCK_CLIENT_ALLOWED, airlock_client_query("/allowed", AIRLOCK_CLIENT_READ));
	ASSERT_EQ(1, atomic_load(&s->connects));
}

HARNESS_MAIN
