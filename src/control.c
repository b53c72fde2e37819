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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "approver.h"
#include "audit.h"
#include "cleanup.h"
#include "dirs.h"
#include "grants.h"
#include "jsonutil.h"
#include "policy.h"
#include "prompt.h"
#include "sandbox.h"
#include "token.h"
#include "util.h"

#define CONTROL_MAX_MSG 65536
#define SECRET_HEX 64

#define CONTROL_MAX_FOLLOWERS 8
#define CONTROL_MAX_SERVING 16 /* connections being served at once; more are closed */
#define CONTROL_MAX_APPROVERS 4

struct approver_conn {
	struct control *c;
	int fd;
	pthread_t thread;
	atomic_bool done;
};

struct control {
	struct airlock_sandbox *sb;
	pthread_mutex_t lock;                 /* followers, approvers */
	atomic_int serving;                   /* connections on their threads */
	int followers[CONTROL_MAX_FOLLOWERS]; /* `airlock log -f`: audit lines as they happen */
	struct approver_conn *approvers[CONTROL_MAX_APPROVERS];
	int dir_fd;
	int listen_fd;
	char id[33];
	char secret[SECRET_HEX + 1];
	pthread_t thread;
	bool started;
};


/* The address of session id's socket in dir; -ENAMETOOLONG when it does not fit sun_path. */
static int sock_addr(const char *dir, const char *id, struct sockaddr_un *sa)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s.sock", dir, id);
	return n < 0 || (size_t)n >= sizeof(sa->sun_path) ? -ENAMETOOLONG : 0;
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

static json_t *escaped_string(const char *s)
{
	if (utf8_valid(s))
		return json_string(s);
	struct strbuf b = { 0 };
	sb_append_escaped(&b, s);
	json_t *j = json_string(b.s ? b.s : "");
	sb_done(&b);
	return j;
}

json_t *control_grants_json(struct airlock_sandbox *sb)
{
	_cleanup_free_ struct grant_info *g = NULL;
	_cleanup_free_ struct token_info *t = NULL;
	size_t ng = 0, nt = 0;
	json_t *grants = json_array(), *tokens = json_array();
	char a[4];

	if (grant_list(sb->sup.grants, &g, &ng) == 0)
		for (size_t i = 0; i < ng; i++)
			json_array_append_new(grants, json_pack("{s:I, s:o, s:b, s:s, s:s, s:I}",
				"id", (json_int_t)g[i].id, "path", escaped_string(g[i].path),
				"subtree", g[i].subtree, "access", access_string(g[i].access, a),
				"origin", g[i].origin, "uses", (json_int_t)g[i].uses));
	if (token_list(sb->sup.tokens, &t, &nt) == 0)
		for (size_t i = 0; i < nt; i++)
			json_array_append_new(tokens, json_pack("{s:I, s:o, s:s, s:I, s:I}",
				"id", (json_int_t)t[i].id, "path", escaped_string(t[i].path),
				"access", access_string(t[i].access, a), "uses", (json_int_t)t[i].uses,
				"uses_left", t[i].uses_max ? (json_int_t)t[i].uses_left : -1));
	return json_pack("{s:o, s:o}", "grants", grants, "tokens", tokens);
}

static json_t *do_status(struct control *c)
{
	struct airlock_sandbox *sb = c->sb;
	json_t *j = control_grants_json(sb);
	if (!j)
		return error_reply("out of memory");
	json_object_set_new(j, "ok", json_true());
	json_object_set_new(j, "id", json_string(c->id));
	json_object_set_new(j, "pending", json_integer(atomic_load(&sb->sup.pending)));
	json_object_set_new(j, "approvers", json_integer(atomic_load(&sb->sup.tty.remote)));
	json_object_set_new(j, "denied", json_integer((json_int_t)atomic_load(&sb->sup.n_denied)));
	return j;
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
	if (access && access_parse(access, &a) < 0)
		return error_reply("bad access \"%s\" (letters r, w, x)", access);

	if (!strcmp(op, "status"))
		return do_status(c);
	if (!strcmp(op, "follow") || !strcmp(op, "approve"))
		return json_pack("{s:b, s:s, s:s}", "ok", 1, "stream", op, "tag", c->sb->sup.tty.tag);
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

/* ---- streams: `airlock log -f` and `airlock approve` ---- */

void control_audit_line(struct control *c, const char *line, size_t len)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < CONTROL_MAX_FOLLOWERS; i++) {
		if (c->followers[i] < 0)
			continue;
		/* A follower that cannot keep up is let go: the supervisor never waits on it. */
		if (send(c->followers[i], line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			c->followers[i] = safe_close(c->followers[i]);
	}
	pthread_mutex_unlock(&c->lock);
}

static void add_follower(struct control *c, int fd)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < CONTROL_MAX_FOLLOWERS; i++) {
		if (c->followers[i] < 0) {
			c->followers[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}


/* One `airlock approve` client: show it what waits, apply its answers. */
static void *approver_main(void *arg)
{
	struct approver_conn *a = arg;
	struct supervisor *s = &a->c->sb->sup;
	char buf[4096];

	atomic_fetch_add(&s->tty.remote, 1);
	while (!atomic_load(&s->stopping)) {
		unsigned more = 0;
		char acc[4];
		struct tty_item *it = supervisor_prompt_next(s, &more);
		if (!it) {
			/* Nothing waits: watch for the client leaving or the session ending. */
			int ev = poll_or_cancel(a->fd, POLLIN, s->cancel_fd, 100);
			if (ev < 0 || (ev & (POLLHUP | POLLERR)))
				break;
			if (ev & POLLIN) {
				if (recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
					break; /* unasked-for answers are ignored; the end is the end */
			}
			continue;
		}
		json_t *msg = json_pack("{s:{s:I, s:i, s:s, s:o, s:s, s:o, s:s, s:i}}", "request",
					"id", (json_int_t)it->id, "pid", (int)it->pid, "comm", it->comm,
					"cmdline", escaped_string(it->cmdline), "operation", it->op,
					"path", escaped_string(it->path), "access", access_string(it->access, acc),
					"more", (int)more);
		char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
		json_decref(msg);
		bool sent = text && send(a->fd, text, strlen(text), MSG_NOSIGNAL) >= 0;
		free(text);
		ssize_t n = -1;
		if (sent && poll_or_cancel(a->fd, POLLIN, s->cancel_fd, (int)s->approve_timeout_ms) > 0)
			n = recv(a->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		json_error_t err;
		json_t *reply = n > 0 ? json_loadb(buf, (size_t)n, 0, &err) : NULL;
		const char *choice = json_string_value(json_object_get(reply, "choice"));
		if (!choice) {
			json_decref(reply);
			/* Gone, silent or garbled: the request goes back to the queue. */
			supervisor_prompt_release(s, it);
			if (n <= 0)
				break;
			continue;
		}
		struct approval_answer ans = { .allow = strcmp(choice, "deny") != 0, .scope = GRANT_SESSION };
		snprintf(ans.path, sizeof(ans.path), "%s", it->path);
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", it->path);
		path_to_parent(dir);
		bool directory = !strcmp(choice, "directory");
		if (!strcmp(choice, "once"))
			ans.scope = GRANT_ONCE;
		else if (directory) {
			snprintf(ans.path, sizeof(ans.path), "%s", dir);
			ans.subtree = true;
		} else if (strcmp(choice, "session") != 0 && ans.allow) {
			ans.allow = false; /* anything unknown means no */
		}
		if (!ans.allow)
			snprintf(ans.reason, sizeof(ans.reason), "denied from another terminal");
		json_decref(reply);
		supervisor_prompt_answer(s, it, &ans, directory ? dir : NULL);
	}
	/* Requests that nobody answers any more are denied (consult_tty re-checks). */
	atomic_fetch_sub(&s->tty.remote, 1);
	pthread_mutex_lock(&s->tty.lock);
	pthread_cond_broadcast(&s->tty.cond);
	pthread_mutex_unlock(&s->tty.lock);
	a->fd = safe_close(a->fd);
	atomic_store(&a->done, true);
	return NULL;
}

static void add_approver_locked(struct control *c, int fd);

static void add_approver(struct control *c, int fd)
{
	pthread_mutex_lock(&c->lock);
	add_approver_locked(c, fd);
	pthread_mutex_unlock(&c->lock);
}

static void add_approver_locked(struct control *c, int fd)
{
	for (size_t i = 0; i < CONTROL_MAX_APPROVERS; i++) {
		struct approver_conn *a = c->approvers[i];
		if (a && atomic_load(&a->done)) {
			pthread_join(a->thread, NULL);
			free(a);
			c->approvers[i] = a = NULL;
		}
		if (a)
			continue;
		a = calloc(1, sizeof(*a));
		if (!a)
			return;
		a->c = c;
		a->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (a->fd < 0 || pthread_create(&a->thread, NULL, approver_main, a) != 0) {
			safe_close(a->fd);
			free(a);
			return;
		}
		c->approvers[i] = a;
		return;
	}
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
	if (poll_or_cancel(fd, POLLIN, c->sb->sup.cancel_fd, 2000) <= 0)
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
	/* The connection stays for a stream: audit lines, or requests to approve. */
	const char *stream = json_string_value(json_object_get(reply, "stream"));
	if (stream && !strcmp(stream, "follow"))
		add_follower(c, fd);
	else if (stream && !strcmp(stream, "approve"))
		add_approver(c, fd);
}

struct serving {
	struct control *c;
	int fd;
};

/* Each connection on a thread of its own: a client that connects and says nothing delays
 * nobody else. */
static void *serve_main(void *arg)
{
	struct serving *sv = arg;
	struct control *c = sv->c;
	serve_one(c, sv->fd);
	close(sv->fd);
	free(sv);
	atomic_fetch_sub(&c->serving, 1);
	return NULL;
}

static void *control_main(void *arg)
{
	struct control *c = arg;
	for (;;) {
		if (poll_or_cancel(c->listen_fd, POLLIN, c->sb->sup.cancel_fd, -1) < 0)
			break;
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct serving *sv = malloc(sizeof(*sv));
		pthread_attr_t attr;
		pthread_t t;
		if (!sv || atomic_fetch_add(&c->serving, 1) >= CONTROL_MAX_SERVING) {
			atomic_fetch_sub(&c->serving, sv ? 1 : 0);
			free(sv);
			close(fd);
			continue;
		}
		*sv = (struct serving){ c, fd };
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, serve_main, sv) != 0) {
			atomic_fetch_sub(&c->serving, 1);
			free(sv);
			close(fd);
		}
		pthread_attr_destroy(&attr);
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
	pthread_mutex_init(&c->lock, NULL);
	for (size_t i = 0; i < CONTROL_MAX_FOLLOWERS; i++)
		c->followers[i] = -EBADF;
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
	/* Connections being served see the cancel eventfd too. */
	while (atomic_load(&c->serving) > 0)
		usleep(1000);
	for (size_t i = 0; i < CONTROL_MAX_APPROVERS; i++) {
		if (c->approvers[i]) {
			pthread_join(c->approvers[i]->thread, NULL);
			free(c->approvers[i]);
		}
	}
	for (size_t i = 0; i < CONTROL_MAX_FOLLOWERS; i++)
		safe_close(c->followers[i]);
	pthread_mutex_destroy(&c->lock);
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

/* control_request(), keeping the connection open in *ret_fd for a stream. */
static int session_call(const char *prefix, json_t *req, int *ret_fd, json_t **ret_reply,
			char **ret_error)
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
	/* Never wait on a session that does not accept (its backlog full): say it is busy. */
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return negative_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		if (err == EAGAIN && asprintf(ret_error, "session %s is busy; try again", id) < 0)
			*ret_error = NULL;
		return -err;
	}
	if (fcntl(fd, F_SETFL, 0) < 0)
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
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int control_request(const char *prefix, json_t *req, json_t **ret_reply, char **ret_error)
{
	int fd = -EBADF;
	int r = session_call(prefix, req, &fd, ret_reply, ret_error);
	safe_close(fd);
	return r;
}

/* Ask the session for a stream (op "follow" or "approve"); the connection stays in *ret_fd. */
static int open_stream(const char *prefix, const char *op, int *ret_fd, json_t **ret_reply,
		       char **ret_error)
{
	_cleanup_json_ json_t *req = json_pack("{s:s}", "op", op);
	if (!req)
		return -ENOMEM;
	return session_call(prefix, req, ret_fd, ret_reply, ret_error);
}

int control_follow(const char *prefix, void (*fn)(const char *line, void *userdata), void *userdata,
		   char **ret_error)
{
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r = open_stream(prefix, "follow", &fd, &reply, ret_error);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_MSG + 1);
	if (!buf)
		return -ENOMEM;
	fn(NULL, userdata); /* following from now on */
	for (;;) {
		ssize_t n = recv(fd, buf, CONTROL_MAX_MSG, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0; /* the session ended */
		buf[n] = '\0';
		fn(buf, userdata);
	}
}

int control_approve(const char *prefix, int in_fd, int out_fd, char **ret_error)
{
	_cleanup_json_ json_t *reply = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r = open_stream(prefix, "approve", &fd, &reply, ret_error);
	if (r < 0)
		return r;
	char tag[5];
	snprintf(tag, sizeof(tag), "%s", json_string_value(json_object_get(reply, "tag")) ?: "????");
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_MSG + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		/* Waiting: the session's requests, or q / Ctrl-C / Ctrl-D here to stop. */
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { in_fd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			char k;
			if (read(in_fd, &k, 1) != 1 || k == 'q' || k == 3 || k == 4)
				return 0;
		}
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t n = recv(fd, buf, CONTROL_MAX_MSG, 0);
		if (n <= 0)
			return 0; /* the session ended */
		json_error_t err;
		_cleanup_json_ json_t *msg = json_loadb(buf, (size_t)n, 0, &err);
		json_t *rq = json_object_get(msg, "request");
		const char *path = json_string_value(json_object_get(rq, "path"));
		if (!path)
			continue;
		uint32_t a = 0;
		if (access_parse(json_string_value(json_object_get(rq, "access")) ?: "", &a) < 0)
			continue; /* not a request this client can show */
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", path);
		path_to_parent(dir);
		struct winsize ws = { 0 };
		ioctl(out_fd, TIOCGWINSZ, &ws);
		struct prompt_view view = {
			.tag = tag,
			.pid = (pid_t)json_integer_value(json_object_get(rq, "pid")),
			.comm = json_string_value(json_object_get(rq, "comm")),
			.cmdline = json_string_value(json_object_get(rq, "cmdline")),
			.operation = json_string_value(json_object_get(rq, "operation")),
			.path = path, .access = a, .directory = dir,
			.more = (unsigned)json_integer_value(json_object_get(rq, "more")),
			.columns = ws.ws_col,
		};
		char why[64];
		enum prompt_choice c = prompt_ask(in_fd, out_fd, -1, 0, &view, why, sizeof(why));
		const char *choice = c == PROMPT_ONCE ? "once" : c == PROMPT_SESSION ? "session" :
				     c == PROMPT_DIRECTORY ? "directory" : "deny";
		_cleanup_json_ json_t *ans = json_pack("{s:s}", "choice", choice);
		_cleanup_free_ char *text = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
		if (!text || send(fd, text, strlen(text), MSG_NOSIGNAL) < 0)
			return 0;
	}
}
