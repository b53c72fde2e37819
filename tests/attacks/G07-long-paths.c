/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * G07: paths near PATH_MAX made of thousands of components, at a high rate from two threads:
 *	- "./" x ~2000 + "a.txt" and "d/../" x ~800 + "a.txt", relative to the project: open, "hello";
 *	- "////..." + PROJ/a.txt: the same file;
 *	- NOTES/ + "./" x ~2000 + "n.txt" (brokered: granted by the approver): open, "note";
 *	- NOTES/../ + "./" x ~2000 + ".ssh/id_rsa": EACCES;
 *	- 4096 bytes without a NUL: ENAMETOOLONG.
 * Every answer must be right, every time.
 *
 * usage: G07-long-paths PROJ HOME [SECONDS]
 * Run bare, the secret opens: exit 1.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "attack.h"

enum want { HELLO, NOTE, DENIED, TOOLONG };
struct lp {
	const char *name;
	char *path;
	enum want want;
};

static struct lp paths[8];
static int n_paths;
static double end;
static atomic_ulong calls, wrongs;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* prefix + rep * k + suffix, with k as large as fits in PATH_MAX - 1 bytes. */
static char *build(const char *prefix, const char *rep, const char *suffix)
{
	char *p = malloc(PATH_MAX + 1);
	size_t pl = strlen(prefix), rl = strlen(rep), sl = strlen(suffix), at = 0;
	memcpy(p, prefix, pl);
	at = pl;
	while (at + rl + sl <= PATH_MAX - 1) {
		memcpy(p + at, rep, rl);
		at += rl;
	}
	memcpy(p + at, suffix, sl + 1);
	return p;
}

static void add(const char *name, char *path, enum want want)
{
	paths[n_paths++] = (struct lp){ name, path, want };
}

static int check(const struct lp *l, bool print)
{
	int fd = open(l->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	int e = fd < 0 ? errno : 0;
	char buf[64] = "";
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (l->want == DENIED) {
			attack_leak("%s opened", l->name);
			dump_fd(fd);
		}
		close(fd);
	}
	bool ok = (l->want == HELLO && !e && !strcmp(buf, "hello\n")) ||
		  (l->want == NOTE && !e && !strcmp(buf, "note\n")) ||
		  (l->want == DENIED && (e == EACCES || e == EPERM)) ||
		  (l->want == TOOLONG && e == ENAMETOOLONG);
	if (print || !ok)
		printf("%s %s (%zu bytes): %s%s%.*s\n", ok ? "as expected" : "WRONG", l->name,
		       strlen(l->path), ename(e), e ? "" : ", read ", (int)strcspn(buf, "\n"), buf);
	return ok ? 0 : 1;
}

static void *worker(void *arg)
{
	(void)arg;
	unsigned long n = 0, w = 0;
	while (now_s() < end && !attack_leaks)
		for (int i = 0; i < n_paths; i++, n++)
			if (check(&paths[i], false) && w++ > 5)
				goto out;
out:
	atomic_fetch_add(&calls, n);
	atomic_fetch_add(&wrongs, w);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		attack_usage("G07-long-paths PROJ HOME [SECONDS]");
	const char *proj = argv[1], *home = argv[2];
	double seconds = argc > 3 ? atof(argv[3]) : 2;
	if (chdir(proj) < 0)
		attack_not_applicable("chdir %s: %s", proj, ename(errno));
	if (mkdir("d", 0755) < 0 && errno != EEXIST)
		attack_not_applicable("mkdir d: %s", ename(errno));

	add("./ x N + a.txt", build("", "./", "a.txt"), HELLO);
	add("d/../ x N + a.txt", build("", "d/../", "a.txt"), HELLO);
	char *abs = malloc(PATH_MAX);
	snprintf(abs, PATH_MAX, "/%s/a.txt", proj);
	add("/ x N + PROJ/a.txt", build("", "/", abs), HELLO);
	add("NOTES/ + ./ x N + n.txt", build(pathf("%s/notes/", home), "./", "n.txt"), NOTE);
	add("NOTES/../ + ./ x N + .ssh/id_rsa", build(pathf("%s/notes/../", home), "./", ".ssh/id_rsa"),
	    DENIED);
	char *toolong = malloc(PATH_MAX + 1);
	memset(toolong, 'x', PATH_MAX);
	toolong[PATH_MAX] = '\0';
	add("4096 bytes", toolong, TOOLONG);

	/* Once each, printed (the first NOTES open asks the approver). */
	int bad = 0;
	for (int i = 0; i < n_paths; i++)
		bad += check(&paths[i], true);
	if (bad)
		attack_bad++;

	end = now_s() + seconds;
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	attack_note("%lu opens of paths near PATH_MAX, %lu wrong", (unsigned long)atomic_load(&calls),
		    (unsigned long)atomic_load(&wrongs));
	if (atomic_load(&wrongs))
		attack_bad++;
	return attack_finish();
}
