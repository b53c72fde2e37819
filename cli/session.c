/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * airlock ps / grant / revoke / token: acting on running sessions from another terminal
 * (the control channel), and `token redeem` from inside one (the SDK channel).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "airlock/airlock-client.h"
#include "airlock/airlock.h"
#include "session.h"
#include "util.h"

#define EXIT_AIRLOCK 125

const char usage_session[] =
	"Usage: airlock ps [--json]\n"
	"       airlock grant SESSION PATH (--read | --write | --exec)... [--for DURATION]\n"
	"       airlock revoke SESSION PATH\n"
	"       airlock token mint SESSION PATH (--read | --write | --exec)... [--ttl DURATION] [--uses N]\n"
	"       airlock token revoke SESSION TOKEN\n"
	"       airlock token redeem TOKEN\n"
	"       airlock log -f SESSION\n"
	"       airlock approve SESSION\n"
	"\n"
	"Act on a running session from another terminal. SESSION is a session id from 'airlock ps',\n"
	"or any unique prefix of it (like a git hash). Only the user who started a session can\n"
	"reach it; no sandbox can.\n"
	"\n"
	"  ps               running sessions: id, pid, command (--json: all fields)\n"
	"  grant            give every process of the session access to PATH (and everything\n"
	"                   beneath it), now and after any exec; deny rules still win\n"
	"  revoke           take back the grants on PATH and beneath it (open files stay open)\n"
	"  token mint       print a capability token for PATH: a process of the session that\n"
	"                   redeems it gets the access, bound to that very file (a file put in\n"
	"                   its place later redeems nothing)\n"
	"  token redeem     inside a session: redeem TOKEN, then open the file as usual, e.g.\n"
	"                     airlock token redeem \"$T\" && exec cat file\n"
	"  log -f           the session's decisions as they happen (--json: as JSON lines);\n"
	"                   every session's trail is in $XDG_STATE_HOME/airlock/audit/\n"
	"  approve          answer the session's requests from this terminal (q to stop); while\n"
	"                   you are attached, its requests wait for you instead of being denied\n"
	"\n"
	"DURATION: 30s, 10m, 2h, 1d. Tokens are secrets until they expire: pass them on a pipe\n"
	"or in a file, not on a shared screen.\n";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fputs("airlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_AIRLOCK;
}

static int absolute(const char *path, char *buf, size_t size)
{
	char cwd[PATH_MAX];
	if (path[0] == '/')
		return snprintf(buf, size, "%s", path) < (int)size ? 0 : -ENAMETOOLONG;
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return snprintf(buf, size, "%s/%s", cwd, path) < (int)size ? 0 : -ENAMETOOLONG;
}

/* Send req to the session; print the error and return 125 on failure, else 0 and *ret. */
static int call(const char *session, json_t *req, json_t **ret)
{
	char *text = json_dumps(req, JSON_COMPACT), *reply = NULL, *err = NULL;
	if (!text)
		return fail("out of memory");
	int r = airlock_session_control(session, text, &reply, &err);
	free(text);
	if (r < 0) {
		int code = fail("%s", err ? err : strerror(-r));
		free(err);
		return code;
	}
	json_error_t jerr;
	*ret = json_loads(reply, 0, &jerr);
	free(reply);
	return *ret ? 0 : fail("the session sent a reply that is not JSON");
}

static int cmd_ps(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 2 || (argc == 2 && !json))
		return fail("usage: airlock ps [--json]");
	char *text = NULL;
	int r = airlock_sessions_list(&text);
	if (r < 0)
		return fail("cannot list sessions: %s", strerror(-r));
	if (json) {
		printf("%s\n", text);
		free(text);
		return 0;
	}
	json_error_t jerr;
	json_t *list = json_loads(text, 0, &jerr);
	free(text);
	printf("%-12s %8s  %-19s %7s  %s\n", "SESSION", "PID", "STARTED", "PENDING", "COMMAND");
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		char when[32] = "?";
		time_t t = (time_t)json_integer_value(json_object_get(e, "started"));
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%-12.12s %8lld  %-19s %7lld ", json_string_value(json_object_get(e, "id")),
		       (long long)json_integer_value(json_object_get(e, "pid")), when,
		       (long long)json_integer_value(json_object_get(e, "pending")));
		size_t k;
		json_t *arg;
		json_array_foreach(json_object_get(e, "command"), k, arg)
			printf(" %s", json_string_value(arg));
		putchar('\n');
	}
	json_decref(list);
	return 0;
}

struct grant_args {
	const char *session, *path;
	char access[4];
	uint64_t ttl_s;
	json_int_t uses;
};

/* SESSION PATH (--read|--write|--exec)... [--for|--ttl DURATION] [--uses N] */
static int parse_grant(int argc, char **argv, bool need_access, struct grant_args *a)
{
	static const struct option opts[] = {
		{ "read", no_argument, NULL, 'r' },  { "write", no_argument, NULL, 'w' },
		{ "exec", no_argument, NULL, 'x' },  { "for", required_argument, NULL, 't' },
		{ "ttl", required_argument, NULL, 't' }, { "uses", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },  {},
	};
	bool r = false, w = false, x = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "rwxh", opts, NULL)) >= 0) {
		switch (c) {
		case 'r': r = true; break;
		case 'w': r = w = true; break;
		case 'x': r = x = true; break;
		case 't':
			if (parse_duration(optarg, &a->ttl_s) < 0)
				return fail("bad duration \"%s\" (for example 30s, 10m, 2h)", optarg);
			break;
		case 'u': {
			char *end;
			errno = 0;
			long long n = strtoll(optarg, &end, 10);
			if (errno || *end || n < 1 || n > UINT32_MAX)
				return fail("bad --uses \"%s\" (a count from 1)", optarg);
			a->uses = n;
			break;
		}
		case 'h': fputs(usage_session, stdout); return -1;
		default: return fail("see 'airlock help grant'");
		}
	}
	if (argc - optind != 2)
		return fail("expected SESSION and PATH; see 'airlock help grant'");
	a->session = argv[optind];
	a->path = argv[optind + 1];
	snprintf(a->access, sizeof(a->access), "%s%s%s", r ? "r" : "", w ? "w" : "", x ? "x" : "");
	if (need_access && !a->access[0])
		return fail("say which access: --read, --write (read and write) or --exec");
	return 0;
}

static int cmd_grant(int argc, char **argv, const char *op)
{
	struct grant_args a = { 0 };
	char path[PATH_MAX];
	bool revoke = !strcmp(op, "revoke");
	int r = parse_grant(argc, argv, !revoke, &a);
	if (r)
		return r < 0 ? 0 : r;
	if (absolute(a.path, path, sizeof(path)) < 0)
		return fail("%s: path too long", a.path);
	json_t *req = revoke ? json_pack("{s:s, s:s}", "op", op, "path", path)
			     : json_pack("{s:s, s:s, s:s, s:I, s:I}", "op", op, "path", path, "access",
					 a.access, "ttl_s", (json_int_t)a.ttl_s, "uses", a.uses);
	json_t *reply = NULL;
	r = call(a.session, req, &reply);
	json_decref(req);
	if (r)
		return r;
	if (!strcmp(op, "mint"))
		printf("%s\n", json_string_value(json_object_get(reply, "token")));
	else if (revoke)
		fprintf(stderr, "airlock: revoked %lld grant(s) on %s\n",
			(long long)json_integer_value(json_object_get(reply, "revoked")), path);
	json_decref(reply);
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(usage_session, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_AIRLOCK : 0;
	}
	if (!strcmp(argv[1], "mint"))
		return cmd_grant(argc - 1, argv + 1, "mint");
	if (!strcmp(argv[1], "revoke")) {
		if (argc != 4)
			return fail("usage: airlock token revoke SESSION TOKEN");
		json_t *req = json_pack("{s:s, s:s}", "op", "revoke-token", "token", argv[3]), *reply = NULL;
		int r = call(argv[2], req, &reply);
		json_decref(req);
		json_decref(reply);
		return r;
	}
	if (!strcmp(argv[1], "redeem")) {
		if (argc != 3)
			return fail("usage: airlock token redeem TOKEN");
		int r = airlock_client_redeem(argv[2]);
		if (r < 0)
			return fail("cannot redeem the token: %s", airlock_client_strerror(r));
		return 0;
	}
	return fail("unknown token command '%s' (mint, redeem, revoke)", argv[1]);
}

static void print_event(const char *line, void *userdata)
{
	bool json = *(bool *)userdata;
	if (!line) {
		fprintf(stderr, "airlock: following the session's decisions (Ctrl-C to stop)\n");
		return;
	}
	json_error_t err;
	json_t *e = json ? NULL : json_loads(line, 0, &err);
	if (!e) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	const char *t = json_string_value(json_object_get(e, "time"));
	const char *result = json_string_value(json_object_get(e, "result"));
	if (!result) { /* a line of its own, e.g. {"dropped": N} */
		printf("%s\n", line);
	} else {
		/* Local time of day; the line's own time is UTC with microseconds. */
		printf("%.8s  %-5s %-3s %-8s %s  (%s, pid %lld) by %s\n", t && strlen(t) > 11 ? t + 11 : "?",
		       result, json_string_value(json_object_get(e, "access")) ?: "",
		       json_string_value(json_object_get(e, "op")) ?: "",
		       json_string_value(json_object_get(e, "path")) ?: "",
		       json_string_value(json_object_get(e, "comm")) ?: "?",
		       (long long)json_integer_value(json_object_get(e, "pid")),
		       json_string_value(json_object_get(e, "by")) ?: "?");
	}
	fflush(stdout);
	json_decref(e);
}

static int cmd_log(int argc, char **argv)
{
	bool follow = false, json = false;
	const char *session = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
			follow = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!session && argv[i][0] != '-')
			session = argv[i];
		else
			return fail("usage: airlock log -f [--json] SESSION");
	}
	if (!session || !follow)
		return fail("usage: airlock log -f [--json] SESSION (past sessions: the files in "
			    "$XDG_STATE_HOME/airlock/audit/)");
	char *err = NULL;
	int r = airlock_session_follow(session, print_event, &json, &err);
	if (r < 0) {
		int code = fail("%s", err ? err : strerror(-r));
		free(err);
		return code;
	}
	return 0;
}

static int cmd_approve(int argc, char **argv)
{
	if (argc != 2)
		return fail("usage: airlock approve SESSION");
	if (!isatty(0) || !isatty(1))
		return fail("airlock approve needs a terminal");
	char *err = NULL;
	fprintf(stderr, "airlock: answering the requests of session %s here; q to stop\n", argv[1]);
	int r = airlock_session_approve(argv[1], 0, 1, &err);
	if (r < 0) {
		int code = fail("%s", err ? err : strerror(-r));
		free(err);
		return code;
	}
	return 0;
}

int cmd_session(int argc, char **argv)
{
	if (!strcmp(argv[0], "log"))
		return cmd_log(argc, argv);
	if (!strcmp(argv[0], "approve"))
		return cmd_approve(argc, argv);
	if (!strcmp(argv[0], "ps"))
		return cmd_ps(argc, argv);
	if (!strcmp(argv[0], "token"))
		return cmd_token(argc, argv);
	return cmd_grant(argc, argv, argv[0]);
}
