/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SDK wire format: the messages a sandboxed program (through the client SDK) exchanges with
 * the supervisor, one encoder and one decoder for each, shared by both ends. docs/protocol.md is
 * the written specification; this header is its C form.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET, so one send is one message and messages never interleave.
 * Both ends are on one host: integers are in native byte order, at fixed offsets, copied with
 * memcpy (never a struct laid over the buffer). A datagram is a 16-byte header
 *
 *	offset 0  u32 magic    PROTO_MAGIC ("ALK1" on a little-endian host)
 *	offset 4  u16 version  PROTO_VERSION
 *	offset 6  u16 type     PROTO_CONNECT ... PROTO_RESULT
 *	offset 8  u32 id       request id, echoed by the RESULT
 *	offset 12 u32 length   payload length; the datagram is exactly 16 + length bytes
 *
 * followed by the payload of its type (see enum proto_type). Anything else is malformed.
 *
 * Depends on libc only: the client library is built from this file too.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC 0x314b4c41u /* "ALK1" read as a little-endian u32 */
#define PROTO_VERSION 1u
#define PROTO_HEADER_SIZE 16u
#define PROTO_MAX_PAYLOAD 8192u
#define PROTO_MAX_MSG (PROTO_HEADER_SIZE + PROTO_MAX_PAYLOAD)
#define PROTO_MAX_PATH 4096u  /* bytes of a path, its NUL included */
#define PROTO_MAX_TOKEN 255u  /* bytes of a token, its NUL excluded */
#define PROTO_MAX_ERRNO 4095  /* the largest error a RESULT may carry */

/* Name of the environment variable holding the shared (connector) socket's fd number. */
#define PROTO_SOCKET_ENV "AIRLOCK_SOCKET_FD"

enum proto_type {
	/* client -> shared socket. Empty payload; exactly one fd attached: an AF_UNIX
	 * SOCK_SEQPACKET socket, the client's end of its private connection. No reply. */
	PROTO_CONNECT = 1,
	/* u32 flags (open(2) flags), u32 mode (<= 07777), path: absolute, NUL-terminated, the NUL
	 * its last byte, no other NUL, at most PROTO_MAX_PATH bytes with the NUL. */
	PROTO_OPEN = 2,
	/* token: printable ASCII (0x21..0x7e), 1..PROTO_MAX_TOKEN bytes, then one NUL, the last
	 * byte. */
	PROTO_REDEEM = 3,
	/* u32 access (PROTO_ACCESS_* bits, non-zero, no others), then a path as in OPEN. */
	PROTO_QUERY = 4,
	/* server -> client. i32 error (0 or an errno, 1..PROTO_MAX_ERRNO), u32 value, then an
	 * optional message: non-empty valid UTF-8 ending in one NUL, the last byte, no other
	 * NUL; absent when the payload is 8 bytes. A RESULT with error 0 may carry one fd (an
	 * OPEN's). */
	PROTO_RESULT = 5,
};

#define PROTO_ACCESS_READ 1u
#define PROTO_ACCESS_WRITE 2u
#define PROTO_ACCESS_EXEC 4u
#define PROTO_ACCESS_ALL 7u

/* RESULT.value for a QUERY. */
#define PROTO_QUERY_ALLOWED 0u
#define PROTO_QUERY_DENIED 1u
#define PROTO_QUERY_ASK 2u

/* One message, decoded. Which fields mean something depends on type; the others are 0/NULL.
 * After proto_decode()/proto_recv() the strings point into the buffer that was decoded: they
 * live as long as it does and are not freed separately. */
struct proto_msg {
	uint16_t type;
	uint32_t id;
	uint32_t flags;  /* OPEN */
	uint32_t mode;   /* OPEN */
	uint32_t access; /* QUERY */
	uint32_t value;  /* RESULT */
	int32_t error;   /* RESULT */
	const char *path;    /* OPEN, QUERY */
	const char *token;   /* REDEEM */
	const char *message; /* RESULT; NULL when absent */
};

/* Encode m into buf (cap bytes; PROTO_MAX_MSG always suffices) and set *ret_len to the datagram's
 * size. Only the fields of m->type are read. Refuses to produce anything proto_decode() would
 * reject: -EINVAL (bad type, field or string; an empty RESULT message is encoded as absent),
 * -ENAMETOOLONG (a path of PROTO_MAX_PATH bytes or more before its NUL), -EMSGSIZE (the payload
 * would pass PROTO_MAX_PAYLOAD), -ENOBUFS (cap too small). buf is unspecified on failure. */
int proto_encode(const struct proto_msg *m, void *buf, size_t cap, size_t *ret_len);

/* Decode one datagram of len bytes. Never reads past buf + len. Returns 0 and *ret (its strings
 * point into buf), or:
 *   -EPROTO   the version is not PROTO_VERSION, or the type is unknown;
 *   -EBADMSG  everything else malformed: bad magic, a size that is not 16 + length or passes
 *             PROTO_MAX_MSG, a payload of the wrong shape for its type, a string not ending in
 *             exactly one NUL (missing, embedded, extra), an empty or relative path, a token or
 *             message outside its alphabet, bad access bits, mode > 07777, an error outside
 *             0..PROTO_MAX_ERRNO.
 * Either is fatal for the connection that sent it. *ret is left untouched on failure.
 * Fd rules are not the decoder's business: see proto_recv(). */
int proto_decode(const void *buf, size_t len, struct proto_msg *ret);

/* Encode m and send it as one datagram on sock with MSG_NOSIGNAL (a gone peer gives -EPIPE or
 * -ECONNRESET, never SIGPIPE), with fd attached in SCM_RIGHTS when fd >= 0. fd is borrowed: the
 * caller still owns and closes it. An fd is accepted only where the protocol carries one
 * (CONNECT: required; RESULT with error 0: optional; else -EINVAL). Retries on EINTR.
 * Returns 0, or a proto_encode() error, or -errno from sendmsg (-EAGAIN on a non-blocking
 * socket whose peer is full). */
int proto_send(int sock, const struct proto_msg *m, int fd);

/* Receive one datagram from sock into buf (cap bytes; PROTO_MAX_MSG for any valid message) and
 * decode it into *ret (strings point into buf). flags are added to recvmsg's (e.g.
 * MSG_DONTWAIT); fds arrive with MSG_CMSG_CLOEXEC. Retries on EINTR.
 *
 * Fds: every fd that arrives is either handed out or closed before this returns, on every path.
 * The message's fds must fit its type: exactly one on a CONNECT (and it must be an AF_UNIX
 * SOCK_SEQPACKET socket), at most one on a RESULT with error 0, none on anything else. ret_fd
 * receives the message's fd (the caller owns it then and closes it), or -EBADF if none; with
 * ret_fd NULL any fd is closed and the message rejected. On failure *ret_fd is -EBADF.
 *
 * Returns 0, or:
 *   -EAGAIN      nothing to read (with MSG_DONTWAIT);
 *   -ECONNRESET  the peer is gone (end of stream);
 *   -EBADMSG     truncated data (MSG_TRUNC: larger than cap) or control data (MSG_CTRUNC: more
 *                fds than a message may carry), a control message other than SCM_RIGHTS, an
 *                empty datagram, the wrong fds for the type, or a proto_decode() failure;
 *   -EPROTO      from proto_decode();
 *   -errno       from recvmsg.
 * The socket must not have SO_PASSCRED or SO_PASSPIDFD set (their control messages are refused). */
int proto_recv(int sock, void *buf, size_t cap, struct proto_msg *ret, int *ret_fd, int flags);
