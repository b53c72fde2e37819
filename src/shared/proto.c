/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SDK wire format; the interface is documented in proto.h, the protocol in docs/protocol.md.
 *
 * Invariant: the supervisor reads this format from processes it does not trust, so the decoder
 * accepts exactly one byte string per message and nothing else: every length is checked against
 * the datagram's real size before anything is read, strings must end in exactly one NUL at the
 * last byte, and decode(encode(m)) and encode(decode(b)) are both the identity (fuzz/fuzz-proto.c
 * asserts the second on arbitrary input). Fds are accounted for on every path of proto_recv(),
 * so hostile input can cost the supervisor a dropped connection, never a stray fd.
 * Tests: tests/unit/test-proto.c, fuzz/fuzz-proto.c.
 */
#include "proto.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* Room for a few fds, so that stray ones are seen (and closed) rather than all truncated; past
 * this the kernel drops the rest and reports MSG_CTRUNC, which is rejected too. */
#define PROTO_RECV_MAX_FDS 8

/* Fixed part of each payload, before its string (if any). */
#define OPEN_FIXED 8u   /* flags, mode */
#define QUERY_FIXED 4u  /* access */
#define RESULT_FIXED 8u /* error, value */

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid_n(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static bool token_valid_n(const uint8_t *s, size_t n)
{
	if (n < 1 || n > PROTO_MAX_TOKEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* A string field of n bytes: at least one byte before the NUL, the NUL last, no other NUL. */
static bool string_field_valid(const uint8_t *s, size_t n)
{
	return n >= 2 && s[n - 1] == '\0' && !memchr(s, '\0', n - 1);
}

static bool path_field_valid(const uint8_t *s, size_t n)
{
	return string_field_valid(s, n) && n <= PROTO_MAX_PATH && s[0] == '/';
}

/* Length of an encodable path, or -errno. */
static int path_length(const char *path, size_t *ret)
{
	size_t n;

	if (!path)
		return -EINVAL;
	n = strnlen(path, PROTO_MAX_PATH);
	if (n >= PROTO_MAX_PATH)
		return -ENAMETOOLONG;
	if (n == 0 || path[0] != '/')
		return -EINVAL;
	*ret = n;
	return 0;
}

int proto_encode(const struct proto_msg *m, void *buf, size_t cap, size_t *ret_len)
{
	const char *s = NULL; /* the payload's string, if any */
	size_t fixed = 0, slen = 0, plen;
	uint8_t *p = buf;
	int r;

	if (!m || !buf || !ret_len)
		return -EINVAL;

	switch (m->type) {
	case PROTO_CONNECT:
		break;
	case PROTO_OPEN:
		if (m->mode & ~07777u)
			return -EINVAL;
		r = path_length(m->path, &slen);
		if (r < 0)
			return r;
		fixed = OPEN_FIXED, s = m->path;
		break;
	case PROTO_REDEEM:
		if (!m->token)
			return -EINVAL;
		slen = strnlen(m->token, PROTO_MAX_TOKEN + 1);
		if (!token_valid_n((const uint8_t *)m->token, slen))
			return -EINVAL;
		s = m->token;
		break;
	case PROTO_QUERY:
		if (m->access == 0 || (m->access & ~PROTO_ACCESS_ALL))
			return -EINVAL;
		r = path_length(m->path, &slen);
		if (r < 0)
			return r;
		fixed = QUERY_FIXED, s = m->path;
		break;
	case PROTO_RESULT:
		if (m->error < 0 || m->error > PROTO_MAX_ERRNO)
			return -EINVAL;
		fixed = RESULT_FIXED;
		if (m->message && m->message[0]) {
			slen = strnlen(m->message, PROTO_MAX_PAYLOAD);
			if (slen >= PROTO_MAX_PAYLOAD - RESULT_FIXED)
				return -EMSGSIZE;
			if (!utf8_valid_n((const uint8_t *)m->message, slen))
				return -EINVAL;
			s = m->message;
		}
		break;
	default:
		return -EINVAL;
	}

	plen = fixed + (s ? slen + 1 : 0);
	if (plen > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < PROTO_HEADER_SIZE + plen)
		return -ENOBUFS;

	put_u32(p, PROTO_MAGIC);
	put_u16(p + 4, PROTO_VERSION);
	put_u16(p + 6, m->type);
	put_u32(p + 8, m->id);
	put_u32(p + 12, (uint32_t)plen);
	p += PROTO_HEADER_SIZE;

	switch (m->type) {
	case PROTO_OPEN:
		put_u32(p, m->flags);
		put_u32(p + 4, m->mode);
		break;
	case PROTO_QUERY:
		put_u32(p, m->access);
		break;
	case PROTO_RESULT:
		put_u32(p, (uint32_t)m->error);
		put_u32(p + 4, m->value);
		break;
	}
	if (s)
		memcpy(p + fixed, s, slen + 1);

	*ret_len = PROTO_HEADER_SIZE + plen;
	return 0;
}

int proto_decode(const void *buf, size_t len, struct proto_msg *ret)
{
	const uint8_t *p = buf, *pl;
	struct proto_msg m = { .type = 0 };
	uint32_t plen;

	if (!ret || (!buf && len))
		return -EINVAL;
	if (len < PROTO_HEADER_SIZE)
		return -EBADMSG;
	if (get_u32(p) != PROTO_MAGIC)
		return -EBADMSG;
	if (get_u16(p + 4) != PROTO_VERSION)
		return -EPROTO;
	/* Both sides of the comparison are bounded by PROTO_MAX_MSG, so nothing can wrap. */
	if (len > PROTO_MAX_MSG)
		return -EBADMSG;
	plen = get_u32(p + 12);
	if (plen != len - PROTO_HEADER_SIZE)
		return -EBADMSG;

	m.type = get_u16(p + 6);
	m.id = get_u32(p + 8);
	pl = p + PROTO_HEADER_SIZE;

	switch (m.type) {
	case PROTO_CONNECT:
		if (plen != 0)
			return -EBADMSG;
		break;
	case PROTO_OPEN:
		if (plen < OPEN_FIXED || !path_field_valid(pl + OPEN_FIXED, plen - OPEN_FIXED))
			return -EBADMSG;
		m.flags = get_u32(pl);
		m.mode = get_u32(pl + 4);
		if (m.mode & ~07777u)
			return -EBADMSG;
		m.path = (const char *)pl + OPEN_FIXED;
		break;
	case PROTO_REDEEM:
		if (!string_field_valid(pl, plen) || !token_valid_n(pl, plen - 1))
			return -EBADMSG;
		m.token = (const char *)pl;
		break;
	case PROTO_QUERY:
		if (plen < QUERY_FIXED || !path_field_valid(pl + QUERY_FIXED, plen - QUERY_FIXED))
			return -EBADMSG;
		m.access = get_u32(pl);
		if (m.access == 0 || (m.access & ~PROTO_ACCESS_ALL))
			return -EBADMSG;
		m.path = (const char *)pl + QUERY_FIXED;
		break;
	case PROTO_RESULT:
		if (plen < RESULT_FIXED)
			return -EBADMSG;
		m.error = (int32_t)get_u32(pl);
		m.value = get_u32(pl + 4);
		if (m.error < 0 || m.error > PROTO_MAX_ERRNO)
			return -EBADMSG;
		if (plen > RESULT_FIXED) {
			size_t n = plen - RESULT_FIXED;
			if (!string_field_valid(pl + RESULT_FIXED, n) ||
			    !utf8_valid_n(pl + RESULT_FIXED, n - 1))
				return -EBADMSG;
			m.message = (const char *)pl + RESULT_FIXED;
		}
		break;
	default:
		return -EPROTO;
	}

	*ret = m;
	return 0;
}

int proto_send(int sock, const struct proto_msg *m, int fd)
{
	uint8_t buf[PROTO_MAX_MSG];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t len;
	ssize_t n;
	int r;

	r = proto_encode(m, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	/* Fds ride only where the protocol carries them. */
	if (m->type == PROTO_CONNECT && fd < 0)
		return -EINVAL;
	if (fd >= 0 && m->type != PROTO_CONNECT && !(m->type == PROTO_RESULT && m->error == 0))
		return -EINVAL;

	iov = (struct iovec){ .iov_base = buf, .iov_len = len };
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}

	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();
	if ((size_t)n != len) /* SEQPACKET sends whole datagrams or nothing */
		return -EIO;
	return 0;
}

/* After recvmsg() returned 0 bytes: was it the end of the stream, or an empty datagram from a
 * live peer? On the shared socket the difference matters: an empty datagram from one sandboxed
 * process must not look like every process having gone. */
static bool peer_gone(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN | POLLRDHUP };

	if (poll(&pfd, 1, 0) < 0)
		return true;
	return pfd.revents & (POLLHUP | POLLRDHUP);
}

/* The fd a CONNECT carries must be usable as a private connection. */
static bool connection_socket_valid(int fd)
{
	int domain = -1, type = -1, listening = 1;
	socklen_t l1 = sizeof(domain), l2 = sizeof(type), l3 = sizeof(listening);

	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l1) == 0 && domain == AF_UNIX &&
	       getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) == 0 && type == SOCK_SEQPACKET &&
	       getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l3) == 0 && listening == 0;
}

int proto_recv(int sock, void *buf, size_t cap, struct proto_msg *ret, int *ret_fd, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PROTO_RECV_MAX_FDS)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	_cleanup_close_ int fd = -EBADF;
	struct proto_msg m;
	unsigned nfds = 0;
	bool bad_control = false;
	ssize_t n;
	int r;

	if (ret_fd)
		*ret_fd = -EBADF;
	if (!buf || !ret)
		return -EINVAL;

	do
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negative_errno();

	/* First take charge of every fd that arrived, whatever else is wrong with the message:
	 * the first is kept (closed by cleanup unless handed out), the others closed now. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k;

		if (c->cmsg_len < CMSG_LEN(0)) {
			bad_control = true;
			break;
		}
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (c->cmsg_level != SOL_SOCKET ||
		    (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD)) {
			bad_control = true;
			continue;
		}
		if (c->cmsg_type == SCM_PIDFD)
			bad_control = true;
		for (size_t i = 0; i < k; i++) {
			int x;
			memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (c->cmsg_type == SCM_RIGHTS && nfds++ == 0)
				fd = x;
			else
				safe_close(x);
		}
	}

	if (bad_control || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EBADMSG;
	if (n == 0)
		return peer_gone(sock) ? -ECONNRESET : -EBADMSG;

	r = proto_decode(buf, (size_t)n, &m);
	if (r < 0)
		return r;

	switch (m.type) {
	case PROTO_CONNECT:
		if (nfds != 1 || !connection_socket_valid(fd))
			return -EBADMSG;
		break;
	case PROTO_RESULT:
		if (nfds > (m.error == 0 ? 1u : 0u))
			return -EBADMSG;
		break;
	default:
		if (nfds != 0)
			return -EBADMSG;
	}
	if (nfds > 0 && !ret_fd)
		return -EBADMSG;

	*ret = m;
	if (ret_fd)
		*ret_fd = TAKE_FD(fd);
	return 0;
}
