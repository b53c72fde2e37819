/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control channel: a per-session socket in airlock's runtime directory (0700, owned by the
 * user, denied to every sandbox by the policy compiler), so that `airlock grant/revoke/token/ps`
 * from another terminal can act on a running session. Each connection carries one JSON request
 * and gets one JSON reply. Three checks stand before any request: the directory (only the user
 * reaches it), the peer's uid (SO_PEERCRED), and the session secret from the session's info
 * file (0600) compared in constant time.
 */
#include "control.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "dirs.h"
#include "grants.h"
#include "sandbox.h"
#include "token.h"
#include "util.h"

#define CONTROL_MAX_MSG 65536
#define SECRET_HEX 64

struct control {
	struct airlock_sandbox *sb;
	int dir_fd;
	int listen_fd;
	char id[33];
	char secret[SECRET_HEX + 1];
	pthread_t thread;
	bool started;
};

static void json_unrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ _cleanup_(json_unrefp)

/* The address of session id's socket in dir; -ENAMETOOLONG when it does not fit sun_path. */
static int sock_addr(const char *dir, const char *id, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s.sock", dir, id);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
}

static int parse_access(const char *s, uint32_t *ret)
{
	uint32_t a = 0;
	for (; s && *s; s++) {
		switch (*s) {
		case 'r': a |= AIRLOCK_ACCESS_READ; break;
		case 'w': a |= AIRLOCK_ACCESS_WRITE; break;
		case 'x': a |= AIRLOCK_ACCESS_EXEC; break;
		default: return -EINVAL;
		}
	}
	if (!a)
		return -EINVAL;
	*ret = a;
	return 0;
}

static json_t *error_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *error_reply(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:b, s:s}", "ok", 0, "error", buf);
}

static const char *access_str(uint32_t a, char buf[4])
{
	size_t n = 0;
	if (a & AIRLOCK_ACCESS_READ)
		buf[n++] = 'r';
	if (a & AIRLOCK_ACCESS_WRITE)
		buf[n++] = 'w';
	if (a & AIRLOCK_ACCESS_EXEC)
		buf[n++] = 'x';
	buf[n] = '\0';
	return buf;
}

static json_t *do_status(struct control *c)
{
	struct airlock_sandbox *sb = c->sb;
	_cleanup_free_ struct grant_info *g = NULL;
	_cleanup_free_ struct token_info *t = NULL;
	size_t ng = 0, nt = 0;
	json_t *grants = json_array(), *tokens = json_array();
	char a[4];

	if (grant_list(sb->sup.grants, &g, &ng) == 0)
		for (size_t i = 0; i < ng; i++)
			json_array_append_new(grants, json_pack("{s:I, s:s%, s:b, s:s, s:s, s:I}",
				"id", (json_int_t)g[i].id, "path", g[i].path, strlen(g[i].path),
				"subtree", g[i].subtree, "access", access_str(g[i].access, a),
				"origin", g[i].origin, "uses", (json_int_t)g[i].uses));
	if (token_list(sb->sup.tokens, &t, &nt) == 0)
		for (size_t i = 0; i < nt; i++)
			json_array_append_new(tokens, json_pack("{s:I, s:s%, s:s, s:I, s:I}",
				"id", (json_int_t)t[i].id, "path", t[i].path, strlen(t[i].path),
				"access", access_str(t[i].access, a), "uses", (json_int_t)t[i].uses,
				"uses_left", t[i].uses_max ? (json_int_t)t[i].uses_left : -1));
	return json_pack("{s:b, s:s, s:i, s:o, s:o, s:i}", "ok", 1, "id", c->id,
			 "pending", atomic_load(&sb->sup.pending), "grants", grants, "tokens", tokens,
			 "denied", (int)atomic_load(&sb->sup.n_denied));
}

static json_t *handle(struct control *c, json_t *req)
{
	const char *op = NULL, *secret = NULL, *path = NULL, *access = NULL, *token = NULL;
	json_int_t ttl = 0, uses = 0;
	uint32_t a = 0;
	int r;

	if (json_unpack(req, "{s:s, s:s, s?s, s?s, s?I, s?I, s?s}", "secret", &secret, "op", &op,
			"path", &path, "access", &access, "ttl_s", &ttl, "uses", &uses, "token", &token) < 0)
		return error_reply("malformed request");
	if (strlen(secret) != SECRET_HEX || sodium_memcmp(secret, c->secret, SECRET_HEX) != 0)
		return error_reply("wrong session secret");
	if (ttl < 0 || uses < 0 || uses > UINT32_MAX)
		return error_reply("bad ttl_s or uses");
	if (access && parse_access(access, &a) < 0)
		return error_reply("bad access \"%s\" (letters r, w, x)", access);

	if (!strcmp(op, "status"))
		return do_status(c);
	if (!strcmp(op, "grant")) {
		if (!path || !a)
			return error_reply("grant needs a path and an access");
		r = airlock_sandbox_grant(c->sb, path, a, (uint64_t)ttl);
		if (r < 0)
			return error_reply("cannot grant %s: %s", path, strerror(-r));
		return json_pack("{s:b}", "ok", 1);
	}
	if (!strcmp(op, "revoke")) {
		if (!path)
			return error_reply("revoke needs a path");
		r = airlock_sandbox_revoke(c->sb, path);
		if (r < 0)
			return error_reply("cannot revoke %s: %s", path, strerror(-r));
		return json_pack("{s:b, s:i}", "ok", 1, "revoked", r);
	}
	if (!strcmp(op, "mint")) {
		_cleanup_free_ char *text = NULL;
		if (!path || !a)
			return error_reply("mint needs a path and an access");
		r = airlock_sandbox_mint_token(c->sb, path, a, (uint64_t)ttl, (uint32_t)uses, &text);
		if (r < 0)
			return error_reply("cannot mint a token for %s: %s", path,
					   r == -EPERM ? "a deny rule withholds this access" : strerror(-r));
		json_t *reply = json_pack("{s:b, s:s}", "ok", 1, "token", text);
		sodium_memzero(text, strlen(text));
		return reply;
	}
	if (!strcmp(op, "revoke-token")) {
		if (!token)
			return error_reply("revoke-token needs a token");
		r = airlock_sandbox_revoke_token(c->sb, token);
		if (r < 0)
			return error_reply("cannot revoke the token: %s", r == -ENOENT ? "unknown token" :
					   "not a token of this session");
		return json_pack("{s:b}", "ok", 1);
	}
	return error_reply("unknown operation \"%s\"", op);
}

static void serve_one(struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_MSG + 1);
	_cleanup_json_ json_t *reply = NULL;

	if (!buf || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != geteuid())
		return;
	/* One request, promptly: a client that sends nothing in time is dropped. */
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, 2000) <= 0)
		return;
	ssize_t n = recv(fd, buf, CONTROL_MAX_MSG + 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n <= 0)
		return;
	if (n > CONTROL_MAX_MSG)
		reply = error_reply("request too large");
	else {
		json_error_t err;
		_cleanup_json_ json_t *req = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &err);
		reply = req && json_is_object(req) ? handle(c, req) : error_reply("request is not a JSON object");
	}
	_cleanup_free_ char *out = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	if (out)
		send(fd, out, strlen(out), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (out)
		sodium_memzero(out, strlen(out)); /* may hold a token */
}

static void *control_main(void *arg)
{
	struct control *c = arg;
	int cancel = c->sb->sup.cancel_fd;
	for (;;) {
		struct pollfd p[2] = { { c->listen_fd, POLLIN, 0 }, { cancel, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(c, fd);
		close(fd);
	}
	return NULL;
}

static int write_info(struct control *c, const char *const *argv, const char *cwd)
{
	_cleanup_json_ json_t *cmd = json_array();
	for (size_t i = 0; argv && argv[i]; i++) {
		struct strbuf b = { 0 };
		sb_append_escaped(&b, argv[i]); /* argv may be any bytes; JSON wants UTF-8 */
		json_array_append_new(cmd, json_string(b.s ? b.s : ""));
		sb_done(&b);
	}
	struct strbuf wd = { 0 };
	sb_append_escaped(&wd, cwd ? cwd : "");
	_cleanup_json_ json_t *info = json_pack("{s:s, s:i, s:O, s:s, s:I, s:s}", "id", c->id,
						"pid", (int)getpid(), "command", cmd, "cwd",
						wd.s ? wd.s : "", "started", (json_int_t)time(NULL),
						"secret", c->secret);
	sb_done(&wd);
	_cleanup_free_ char *text = info ? json_dumps(info, JSON_COMPACT) : NULL;
	if (!text)
		return -ENOMEM;
	char name[64];
	snprintf(name, sizeof(name), "%s.json", c->id);
	_cleanup_close_ int fd = openat(c->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();
	size_t len = strlen(text);
	int r = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	sodium_memzero(text, len);
	return r;
}

int control_start(struct airlock_sandbox *sb, const char *const *argv, const char *cwd,
		  struct control **ret)
{
	char dir[PATH_MAX];
	unsigned char key[SECRET_HEX / 2];
	int r = dirs_runtime(dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_free_ struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sb = sb;
	c->dir_fd = c->listen_fd = -EBADF;
	snprintf(c->id, sizeof(c->id), "%s", sb->sup.session);
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(c->secret, sizeof(c->secret), key, sizeof(key));
	sodium_memzero(key, sizeof(key));

	c->dir_fd = dirs_open_private(dir, true);
	if (c->dir_fd < 0) {
		r = c->dir_fd;
		goto fail;
	}
	struct sockaddr_un sa;
	r = sock_addr(dir, c->id, &sa);
	if (r < 0)
		goto fail;
	c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->listen_fd, 8) < 0) {
		r = negative_errno();
		goto fail;
	}
	char sock_name[64];
	snprintf(sock_name, sizeof(sock_name), "%s.sock", c->id);
	if (fchmodat(c->dir_fd, sock_name, 0600, 0) < 0) {
		r = negative_errno();
		goto fail;
	}
	r = write_info(c, argv, cwd);
	if (r < 0)
		goto fail;
	r = -pthread_create(&c->thread, NULL, control_main, c);
	if (r < 0)
		goto fail;
	c->started = true;
	*ret = TAKE_PTR(c);
	return 0;
fail:
	control_stop(TAKE_PTR(c));
	return r;
}

struct control *control_stop(struct control *c)
{
	if (!c)
		return NULL;
	/* The thread ends when the supervisor's cancel eventfd fires (the session ended). */
	if (c->started)
		pthread_join(c->thread, NULL);
	if (c->dir_fd >= 0) {
		char name[64];
		snprintf(name, sizeof(name), "%s.sock", c->id);
		unlinkat(c->dir_fd, name, 0);
		snprintf(name, sizeof(name), "%s.json", c->id);
		unlinkat(c->dir_fd, name, 0);
	}
	safe_close(c->listen_fd);
	safe_close(c->dir_fd);
	sodium_memzero(c->secret, sizeof(c->secret));
	free(c);
	return NULL;
}

/* ---- the client side ---- */

static int read_info(int dir_fd, const char *name, json_t **ret)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	char buf[CONTROL_MAX_MSG];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0)
		return -EIO;
	json_error_t err;
	json_t *j = json_loadb(buf, (size_t)n, 0, &err);
	sodium_memzero(buf, sizeof(buf));
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return -EBADMSG;
	}
	*ret = j;
	return 0;
}

/* Is a session's socket served? Removes the files of a session that ended without cleaning
 * up (killed): nobody listens on its socket any more. */
static bool alive(int dir_fd, const char *dir, const char *id)
{
	struct sockaddr_un sa;
	if (sock_addr(dir, id, &sa) < 0)
		return true; /* cannot tell: keep it */
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return true;
	if (errno == ECONNREFUSED || errno == ENOENT) {
		char name[64];
		snprintf(name, sizeof(name), "%s.sock", id);
		unlinkat(dir_fd, name, 0);
		snprintf(name, sizeof(name), "%s.json", id);
		unlinkat(dir_fd, name, 0);
		return false;
	}
	return true;
}

int control_list(json_t **ret)
{
	char dir[PATH_MAX];
	int r = dirs_runtime(dir, sizeof(dir));
	if (r < 0)
		return r;
	_cleanup_json_ json_t *list = json_array();
	if (!list)
		return -ENOMEM;
	int dfd = dirs_open_private(dir, false);
	if (dfd == -ENOENT) {
		*ret = TAKE_PTR(list);
		return 0;
	}
	if (dfd < 0)
		return dfd;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n != 32 + 5 || strcmp(de->d_name + 32, ".json") != 0)
			continue;
		char id[33];
		memcpy(id, de->d_name, 32);
		id[32] = '\0';
		json_t *info = NULL;
		if (read_info(dirfd(d), de->d_name, &info) < 0)
			continue;
		json_object_del(info, "secret");
		if (alive(dirfd(d), dir, id))
			json_array_append_new(list, info);
		else
			json_decref(info);
	}
	closedir(d);
	*ret = TAKE_PTR(list);
	return 0;
}

int control_request(const char *prefix, json_t *req, json_t **ret_reply, char **ret_error)
{
	char dir[PATH_MAX], id[33] = "";
	unsigned matches = 0;
	*ret_error = NULL;
	int r = dirs_runtime(dir, sizeof(dir));
	if (r < 0)
		return r;
	if (!prefix || !*prefix || strspn(prefix, "0123456789abcdef") != strlen(prefix)) {
		*ret_error = strdup("a session id is lowercase hexadecimal (see 'airlock ps')");
		return -EINVAL;
	}
	_cleanup_close_ int dfd = dirs_open_private(dir, false);
	if (dfd < 0) {
		if (asprintf(ret_error, "no running sessions (%s: %s)", dir, strerror(-dfd)) < 0)
			*ret_error = NULL;
		return -ENOENT;
	}
	_cleanup_json_ json_t *list = NULL;
	r = control_list(&list);
	if (r < 0)
		return r;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *sid = json_string_value(json_object_get(e, "id"));
		if (sid && strncmp(sid, prefix, strlen(prefix)) == 0) {
			snprintf(id, sizeof(id), "%s", sid);
			matches++;
		}
	}
	if (matches != 1) {
		if (asprintf(ret_error, matches ? "session id \"%s\" is ambiguous: give more of it"
						: "no running session has an id starting with \"%s\"",
			     prefix) < 0)
			*ret_error = NULL;
		return matches ? -EEXIST : -ENOENT;
	}
	char name[64];
	snprintf(name, sizeof(name), "%s.json", id);
	_cleanup_json_ json_t *info = NULL;
	r = read_info(dfd, name, &info);
	if (r < 0)
		return r;
	json_object_set(req, "secret", json_object_get(info, "secret"));

	struct sockaddr_un sa;
	r = sock_addr(dir, id, &sa);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return negative_errno();
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	json_object_del(req, "secret");
	if (!text)
		return -ENOMEM;
	ssize_t n = send(fd, text, strlen(text), MSG_NOSIGNAL);
	sodium_memzero(text, strlen(text));
	if (n < 0)
		return negative_errno();
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_MSG);
	if (!buf)
		return -ENOMEM;
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, 10000) <= 0)
		return -ETIMEDOUT;
	n = recv(fd, buf, CONTROL_MAX_MSG, 0);
	if (n <= 0)
		return n == 0 ? -ECONNRESET : negative_errno();
	json_error_t err;
	json_t *reply = json_loadb(buf, (size_t)n, 0, &err);
	sodium_memzero(buf, (size_t)n);
	if (!reply || !json_is_object(reply)) {
		json_decref(reply);
		return -EBADMSG;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *msg = json_string_value(json_object_get(reply, "error"));
		*ret_error = strdup(msg ? msg : "the session refused the request");
		json_decref(reply);
		return -EPERM;
	}
	*ret_reply = reply;
	return 0;
}
