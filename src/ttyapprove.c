/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The person at the terminal as the approver. Requests wait in the supervisor's queue
 * (supervisor_consult()); the relay, which owns the real terminal, shows them one at a time with
 * prompt_ask() while it holds the child's output back and reads no input for it, so the child
 * can neither see nor type the answer. Waiting requests in the same directory are offered
 * together ("d": the directory for the session answers them all).
 */
#include "ttyapprove.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "approver.h"
#include "cleanup.h"
#include "grants.h"
#include "jsonutil.h"
#include "policy.h"
#include "prompt.h"
#include "util.h"


int always_save(const char *file, const char *path, uint32_t access, char **ret_rule)
{
	char mode[4];
	access_string(access, mode);
	/* A profile path expands $VARIABLES and globs: a rule must name exactly this object, and
	 * one that exists now, with no symlink on the way (the rule is "exact": a later run
	 * leaves it out if that changes). Nothing that needs escaping to be shown. */
	if (!(access & AIRLOCK_ACCESS_ALL) || path[0] != '/' || !utf8_valid(path) || strpbrk(path, "$*?[~"))
		return -EINVAL;
	struct strbuf shown = { 0 };
	sb_append_display(&shown, path);
	bool plain = shown.s && !strcmp(shown.s, path);
	sb_done(&shown);
	_cleanup_free_ char *canon = realpath(path, NULL);
	struct stat st;
	if (!plain || !canon || strcmp(canon, path) != 0 || lstat(path, &st) < 0 ||
	    (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
		return -EINVAL;

	_cleanup_free_ char *dir = strdup(file);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return -EINVAL;
	*slash = '\0';
	int r = mkdir_parents(dir, 0700);
	if (r < 0)
		return r;

	json_error_t err;
	_cleanup_json_ json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		if (access_ok_missing(file))
			doc = json_pack("{s:s, s:[]}", "description",
					"Answers 'always' given at airlock's prompts: allowed in every run",
					"filesystem");
		else
			return -EBADMSG; /* a file the user broke: never overwrite it */
	}
	json_t *fs = json_object_get(doc, "filesystem");
	if (!doc || !json_is_array(fs))
		return -EBADMSG;
	json_t *rule = json_pack("{s:s, s:s, s:b}", "path", path, "allow", mode, "exact", 1);
	if (!rule || json_array_append_new(fs, rule) < 0)
		return -ENOMEM;

	/* Written aside and renamed: a crash never leaves half a profile. */
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp.%d", file, (int)getpid()) < 0)
		return -ENOMEM;
	_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(2));
	if (!text)
		return -ENOMEM;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return negative_errno();
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, file) < 0) {
		r = ok ? negative_errno() : -EIO;
		unlink(tmp);
		return r;
	}
	if (ret_rule && asprintf(ret_rule, "{ \"path\": \"%s\", \"allow\": \"%s\", \"exact\": true }",
				 path, mode) < 0)
		*ret_rule = NULL;
	return 0;
}

bool access_ok_missing(const char *file)
{
	struct stat st;
	return lstat(file, &st) < 0 && errno == ENOENT;
}

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char buf[PATH_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		fd_write_all(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

bool tty_approve_pending(struct supervisor *s, int in_fd, int out_fd, unsigned timeout_ms)
{
	uint64_t v;
	bool shown = false;

	if (read(s->tty.wake_fd, &v, sizeof(v)) < 0) {
		/* nothing new: answer what may still wait anyway */
	}
	for (;;) {
		unsigned more = 0;
		struct tty_item *it = supervisor_prompt_next(s, &more);
		if (!it)
			break;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", it->path);
		path_to_parent(dir);
		struct winsize ws = { 0 };
		ioctl(out_fd, TIOCGWINSZ, &ws);
		struct prompt_view view = {
			.tag = s->tty.tag, .pid = it->pid, .comm = it->comm, .cmdline = it->cmdline,
			.operation = it->op, .path = it->path, .access = it->access, .directory = dir,
			.more = more, .offer_always = s->tty.always_file != NULL, .columns = ws.ws_col,
			.group = it->rule_group[0] ? it->rule_group : NULL,
		};
		char why[64] = "";
		enum prompt_choice c = prompt_ask(in_fd, out_fd, s->cancel_fd, timeout_ms, &view, why,
						  sizeof(why));
		shown = true;
		struct approval_answer ans = { .allow = c != PROMPT_DENY, .scope = GRANT_SESSION };
		snprintf(ans.path, sizeof(ans.path), "%s", it->path);
		switch (c) {
		case PROMPT_ONCE:
			ans.scope = GRANT_ONCE;
			break;
		case PROMPT_DIRECTORY:
			snprintf(ans.path, sizeof(ans.path), "%s", dir);
			ans.subtree = true;
			break;
		case PROMPT_ALWAYS: {
			_cleanup_free_ char *rule = NULL;
			int r = always_save(s->tty.always_file, it->path, it->access, &rule);
			/* Shown escaped, like everything that names a path on the terminal. */
			struct strbuf file = { 0 }, saved = { 0 };
			sb_append_display(&file, s->tty.always_file);
			sb_append_display(&saved, rule ? rule : "");
			if (r < 0)
				say(out_fd, "airlock: could not save this answer in %s (%s); allowed for "
				    "this session only\r\n", file.s ? file.s : "",
				    r == -EINVAL ? "only an existing file or directory, named without "
						   "symlinks or characters that need escaping, can be saved" :
				    r == -EBADMSG ? "the file is not a profile airlock wrote" : strerror(-r));
			else
				say(out_fd, "airlock: saved in %s: %s\r\n", file.s ? file.s : "",
				    saved.s ? saved.s : "");
			sb_done(&file);
			sb_done(&saved);
			break;
		}
		case PROMPT_SESSION:
			break;
		case PROMPT_DENY:
			snprintf(ans.reason, sizeof(ans.reason), "the person at the terminal said no (%s)", why);
			break;
		}
		supervisor_prompt_answer(s, it, &ans, c == PROMPT_DIRECTORY ? dir : NULL);
	}
	return shown;
}
