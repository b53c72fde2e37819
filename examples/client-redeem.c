/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client-redeem: a program that runs inside an airlock session and uses the client SDK,
 * through <airlock/airlock-client.h> only.
 *
 *	client-redeem [--token TOKEN] FILE
 *	client-redeem [--token TOKEN] --exec COMMAND [ARG...]
 *
 * Redeems a grant token, read from fd 3 (where host-grant hands it over) unless --token gives
 * it, then opens FILE with a plain open() and copies it to stdout. With --exec it runs COMMAND
 * instead: the grant belongs to the session, not to this process, so it holds across exec.
 *
 * Build: cc client-redeem.c $(pkg-config --cflags --libs airlock-client) -o client-redeem
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <airlock/airlock-client.h>

#define TOKEN_FD 3
#define TOKEN_MAX 255 /* the SDK's limit */

/* Read the token from fd 3 up to a newline or the end of file, then close fd 3. Returns 0, or
 * -1 with a message printed. */
static int read_token(char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 1;

	while (len < size - 1 && (n = read(TOKEN_FD, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(TOKEN_FD);
	if (n < 0) {
		perror("client-redeem: reading the token from fd 3");
		return -1;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0] || strlen(buf) > TOKEN_MAX) {
		fprintf(stderr, "client-redeem: fd 3 held no token\n");
		return -1;
	}
	return 0;
}

static int cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "client-redeem: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	if (n < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "client-redeem: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char token[TOKEN_MAX + 2];
	const char *given = NULL;
	int i = 1, exec_mode, r;

	if (i + 1 < argc && strcmp(argv[i], "--token") == 0) {
		given = argv[i + 1];
		i += 2;
	}
	exec_mode = i < argc && strcmp(argv[i], "--exec") == 0;
	if (exec_mode ? i + 1 >= argc : i + 1 != argc) {
		fprintf(stderr, "Usage: client-redeem [--token TOKEN] FILE\n"
				"       client-redeem [--token TOKEN] --exec COMMAND [ARG...]\n"
				"Redeems TOKEN (by default read from fd 3), then prints FILE or runs COMMAND.\n");
		return 2;
	}
	if (given)
		snprintf(token, sizeof(token), "%s", given); /* too long: the SDK refuses it */
	else if (read_token(token, sizeof(token)) < 0)
		return 1;

	r = airlock_client_redeem(token);
	memset(token, 0, sizeof(token));
	if (r < 0) {
		/* The supervisor's own words when it refused, e.g. an expired or used-up token. */
		fprintf(stderr, "client-redeem: cannot redeem the token: %s\n", airlock_client_strerror(r));
		return 1;
	}

	if (exec_mode) {
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "client-redeem: %s: %s\n", argv[i + 1], strerror(errno));
		return 127;
	}
	return cat(argv[i]);
}
