/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal approval prompt, end to end. airlock runs on a real terminal (a tmux pane on a
 * private server); the sandboxed program touches a file under an "ask" rule (the default
 * profile says "$HOME: ask rw"), and the test reads the screen and types the answer, as the
 * person at the terminal would.
 *
 * The terminal is seen two ways: the screen (capture-pane: what a person sees now; an answered
 * prompt has been erased from it) and the pane's raw output (pipe-pane into raw.log: every
 * prompt ever drawn, counted by its header, and every record line left by an answer). Every
 * wait is bounded and nothing asserts a duration.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "e2e.h"
#include "tmux.h"

#define HEADER "┌ airlock ⟦"
#define CHOICES "│   [o]nce"
#define WAIT_ROUNDS 2000 /* of 10 ms: 20 s, for slow (sanitized) builds */
#define SCREEN_MAX (1u << 20)

static struct e2e_fixture f;
static char sock[PATH_MAX];
static char rawlog[PATH_MAX];
static char tag[5];               /* this session's mark, read from airlock's notice */
static char screen[SCREEN_MAX];   /* the last capture */
static char raw[4 * SCREEN_MAX];  /* the last read of raw.log */

/* ---- tmux ---------------------------------------------------------------------------------- */

/* s in single quotes for sh (malloc'd). */
static char *shquote(const char *s)
{
	char *q = malloc(strlen(s) * 4 + 3), *o = q;
	if (!q)
		FAIL("out of memory");
	*o++ = '\'';
	for (; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

#define tmux(...) tmux_run(sock, __VA_ARGS__)

/* Named keys (tmux names: Enter, Escape, C-d). */
static void keys(const char *names)
{
	if (tmux("send-keys %s", names) != 0)
		FAIL("tmux send-keys %s failed", names);
}

/* Text typed as is. */
static void type_text(const char *text)
{
	char *q = shquote(text);
	int r = tmux("send-keys -l -- %s", q);
	free(q);
	if (r != 0)
		FAIL("tmux send-keys -l %s failed", text);
}

static void type_line(const char *text)
{
	type_text(text);
	keys("Enter");
}

/* Type cmd, then a marker: "END-n" on a line of its own once cmd is done (what is typed,
 * 'EN''D-n', never matches it). */
static void type_cmd(const char *cmd, int n)
{
	char *line = NULL;
	if (asprintf(&line, "%s; echo 'EN''D-%d'", cmd, n) < 0)
		FAIL("out of memory");
	type_line(line);
	free(line);
}

/* The pane's lines (wrapped ones joined), history included; with escapes: colours as SGR. */
static const char *capture(bool escapes)
{
	char cmd[PATH_MAX + 128];
	snprintf(cmd, sizeof(cmd), "tmux -S '%s' capture-pane -p -J %s -S -1000 2>/dev/null", sock,
		 escapes ? "-e" : "");
	FILE *p = popen(cmd, "r");
	size_t n = 0, k;
	while (p && n < sizeof(screen) - 1 &&
	       (k = fread(screen + n, 1, sizeof(screen) - 1 - n, p)) > 0)
		n += k;
	if (p)
		pclose(p);
	/* Without the empty rows below the last line. */
	while (n > 0 && screen[n - 1] == '\n')
		n--;
	screen[n] = n ? '\n' : '\0';
	screen[n ? n + 1 : 0] = '\0';
	return screen;
}

static const char *read_raw(void)
{
	int r = e2e_read_file(rawlog, raw, sizeof(raw));
	if (r != 0 && r != ENOENT)
		FAIL("read %s: %s", rawlog, strerror(r));
	if (r == ENOENT)
		raw[0] = '\0';
	return raw;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The last occurrence of needle in hay, or NULL. */
static const char *last(const char *hay, const char *needle)
{
	const char *found = NULL;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		found = p;
	return found;
}

/* A prompt's header: with this session's mark once it is known, so that a program's fake
 * prompt (another mark) is never taken for one. */
static const char *header(void)
{
	static char h[64];
	snprintf(h, sizeof(h), HEADER "%s%s", tag, tag[0] ? "⟧" : "");
	return h;
}

/* Prompts drawn so far (their headers in the raw output). */
static unsigned prompts_shown(void)
{
	return count(read_raw(), header());
}

/* Answers recorded so far: the one line each answer leaves ("airlock: allowed ..." or
 * "airlock: denied READ ... (why)"; not the exit report's "airlock: denied during"). */
static unsigned answers_recorded(void)
{
	read_raw();
	return count(raw, "airlock: allowed ") + count(raw, "airlock: denied ") -
	       count(raw, "airlock: denied during");
}

/* Wait (bounded) until the screen shows text after the last occurrence of anchor (NULL: the
 * start); returns where text is on the screen. */
static const char *expect_after(const char *anchor, const char *text)
{
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		capture(false);
		const char *from = anchor ? last(screen, anchor) : screen;
		const char *hit = from ? strstr(from, text) : NULL;
		if (hit)
			return hit;
		usleep(10000);
	}
	FAIL("the terminal never showed \"%s\"%s%s; it shows:\n%s", text, anchor ? " after " : "",
	     anchor ? anchor : "", screen);
}

static const char *expect_screen(const char *text)
{
	return expect_after(NULL, text);
}

/* Wait for type_cmd()'s marker n. Not anchored at the start of a line: what airlock prints
 * meanwhile may have left the cursor elsewhere (see lines_after_a_notice_start_at_the_margin).
 * For the same reason, and because airlock's notices may land in the middle of the program's
 * own lines, a refusal is recognised by "Permission denied" alone. */
static void expect_mark(int n)
{
	expect_screen(e2e_path("END-%d\n", n));
}

/*
 * Wait (bounded) for a prompt to be up: one more drawn than answered, and on the screen whole
 * (header down to its last line). Returns the screen from the prompt's header.
 */
static const char *wait_prompt(void)
{
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		if (prompts_shown() > answers_recorded()) {
			capture(false);
			const char *h = last(screen, header());
			if (h && strstr(h, "\n└"))
				return h;
		}
		usleep(10000);
	}
	FAIL("no prompt appeared (%u drawn, %u answered); the terminal shows:\n%s", prompts_shown(),
	     answers_recorded(), capture(false));
}

/* Press key at the prompt that is up (named: a tmux key name such as Escape), and wait
 * (bounded) for the line recording the answer. */
static void answer_with(const char *key, bool named)
{
	unsigned before = answers_recorded();
	if (named)
		keys(key);
	else
		type_text(key);
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		if (answers_recorded() > before)
			return;
		usleep(10000);
	}
	FAIL("pressing \"%s\" answered nothing; the terminal shows:\n%s", key, capture(false));
}

static void answer(const char *key)
{
	answer_with(key, false);
}

/* ---- sessions ------------------------------------------------------------------------------ */

static void setup(void)
{
	if (!tmux_available())
		SKIP("tmux is not installed (scripts/deps.sh test installs it)");
	e2e_fixture_setup(&f);
	snprintf(sock, sizeof(sock), "%s/tmux.sock", f.root);
	snprintf(rawlog, sizeof(rawlog), "%s/raw.log", f.root);
	tmux_prepare();
}

/*
 * Start the pane: a shell script that waits until the raw output is being recorded, records
 * the terminal's modes (before), runs body, writes body's exit status (status), records the
 * modes again (after) and prints "outer-done".
 */
static void start(const char *body)
{
	char *script = NULL;
	ASSERT_LT(0, asprintf(&script,
			      "while [ ! -e '%s/piped' ]; do sleep 0.02; done\n"
			      "stty -a > '%s/before'\n"
			      "%s\n"
			      "echo $? > '%s/status'\n"
			      "stty -a > '%s/after'\n"
			      "echo 'outer''-done'\n"
			      "exec sleep 600\n",
			      f.root, f.root, body, f.root, f.root));
	e2e_write_file(e2e_path("%s/outer.sh", f.root), script, 0755);
	free(script);
	ASSERT_EQ(0, tmux("new-session -d -x 220 -y 50 'sh %s/outer.sh'", f.root));
	ASSERT_EQ(0, tmux("pipe-pane -o 'cat >> %s'", rawlog));
	e2e_write_file(e2e_path("%s/piped", f.root), "", 0644);
}

/* Read this session's mark from airlock's notice. */
static void read_tag(void)
{
	const char *m = expect_screen("marked ⟦");
	m += strlen("marked ⟦");
	expect_screen("⟧ (nothing else can show that mark)");
	memcpy(tag, m, 4);
	tag[4] = '\0';
	ASSERT_EQ(0, strncmp(m + 4, "⟧", strlen("⟧")));
}

/* `airlock run OPTS -- bash` on the terminal, then `after` (shell lines, may be ""); waits
 * for bash's first prompt and sets a recognisable one. */
static void start_shell(const char *opts, const char *after, bool prompting)
{
	char *bin = shquote(e2e_airlock_bin()), *body = NULL;
	ASSERT_LT(0, asprintf(&body, "%s run %s -- bash --norc --noprofile -i\n%s", bin, opts,
			      after));
	start(body);
	free(body);
	free(bin);
	if (prompting)
		read_tag();
	expect_screen("bash-");
	type_line("PS1='AIRPROMPT> '");
	expect_screen("\nAIRPROMPT> ");
}

static void wait_file(const char *path)
{
	for (int i = 0; i < WAIT_ROUNDS && access(path, F_OK) != 0; i++)
		usleep(10000);
	if (access(path, F_OK) != 0)
		FAIL("%s never appeared; the terminal shows:\n%s", path, capture(false));
}

/* Leave the sandboxed shell and wait for the outer script to finish; returns the exit status
 * of the pane's body. */
static int exit_shell(void)
{
	char st[32];
	type_line("exit");
	wait_file(e2e_path("%s/status", f.root));
	expect_screen("\nouter-done\n");
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/status", f.root), st, sizeof(st)));
	return atoi(st);
}

static void stop(void)
{
	tmux("kill-server");
}

static const char *note_path(void)
{
	return e2e_path("%s/notes/n.txt", f.home);
}

/* ---- 1. what the prompt shows -------------------------------------------------------------- */

TEST(prompt_shows_tag_command_resolved_path_and_access)
{
	setup();
	start_shell("", "", true);
	type_cmd("cat ~/notes/../notes/./n.txt", 1);
	const char *p = wait_prompt();

	/* "┌ airlock ⟦TAG⟧ ─ cat (pid N: cat <its arguments>) wants to READ" */
	char want[PATH_MAX + 64], line[PATH_MAX + 256];
	snprintf(want, sizeof(want), "%s ─ cat (pid ", header());
	ASSERT_EQ(0, strncmp(p, want, strlen(want)));
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	ASSERT_CONTAINS(line, e2e_path(": cat %s/notes/../notes/./n.txt) wants to READ", f.home));
	/* The object is the resolved path, not the string the program passed. */
	snprintf(want, sizeof(want), "\n│   %s\n", note_path());
	ASSERT_CONTAINS(p, want);
	ASSERT_NOT_CONTAINS(p, e2e_path("│   %s/notes/..", f.home));

	answer("n");
	expect_mark(1);
	stop();
}

/* ---- 2. each answer ------------------------------------------------------------------------ */

TEST(answer_once_allows_this_request_only)
{
	setup();
	start_shell("", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer("o");
	expect_mark(1);
	expect_after(e2e_path("airlock: allowed READ of %s once\n", note_path()), "\nnote\nEND-1\n");

	/* The same file again: asked again (and refused this time). */
	type_cmd("cat ~/notes/n.txt", 2);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s\n", note_path()));
	answer("n");
	expect_mark(2);
	expect_after(e2e_path("airlock: denied READ of %s", note_path()), "Permission denied");
	ASSERT_EQ(2, prompts_shown());
	stop();
}

TEST(answer_session_allows_the_file_for_the_session)
{
	setup();
	e2e_write_file(e2e_path("%s/notes/sib.txt", f.home), "sibling\n", 0644);
	start_shell("", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer("s");
	expect_mark(1);
	expect_after(e2e_path("airlock: allowed READ of %s for this session\n", note_path()),
		     "\nnote\nEND-1\n");

	/* Not asked again: the marker would wait behind a prompt otherwise. */
	type_cmd("cat ~/notes/n.txt", 2);
	expect_mark(2);
	expect_after("echo 'EN''D-2'", "\nnote\nEND-2\n");
	ASSERT_EQ(1, prompts_shown());

	/* This file only: its sibling still asks. */
	type_cmd("cat ~/notes/sib.txt", 3);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s/notes/sib.txt\n", f.home));
	answer("n");
	expect_mark(3);
	ASSERT_EQ(2, prompts_shown());
	stop();
}

TEST(answer_directory_allows_the_directory_for_the_session)
{
	setup();
	e2e_write_file(e2e_path("%s/notes/sib.txt", f.home), "sibling\n", 0644);
	e2e_mkdir(e2e_path("%s/notes/sub", f.home), 0755);
	e2e_write_file(e2e_path("%s/notes/sub/deep.txt", f.home), "deep\n", 0644);
	e2e_write_file(e2e_path("%s/other.txt", f.home), "other\n", 0644);
	start_shell("", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer("d");
	expect_mark(1);
	expect_after(e2e_path("airlock: allowed READ under %s/notes for this session\n", f.home),
		     "\nnote\nEND-1\n");

	/* Anything in that directory: no prompt. */
	type_cmd("cat ~/notes/sib.txt ~/notes/sub/deep.txt", 2);
	expect_mark(2);
	expect_after("echo 'EN''D-2'", "\nsibling\ndeep\nEND-2\n");
	ASSERT_EQ(1, prompts_shown());

	/* Outside it: asked. */
	type_cmd("cat ~/other.txt", 3);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s/other.txt\n", f.home));
	answer("n");
	expect_mark(3);
	ASSERT_EQ(2, prompts_shown());
	stop();
}

TEST(answer_always_is_saved_and_honoured_by_later_runs)
{
	struct e2e_result r;
	struct stat st;
	char text[8192];

	setup();
	char cfg[PATH_MAX + 32], file[PATH_MAX + 64];
	snprintf(cfg, sizeof(cfg), "%s/.config/airlock", f.home);
	snprintf(file, sizeof(file), "%s/always.json", cfg);

	/* Control: without an answer, a run with nobody to ask is refused. */
	ASSERT_NE(0, e2e_airlock(&r, "run", "--", "cat", note_path()));
	ASSERT_NOT_CONTAINS(r.out, "note");

	/* The pane: a shell whose prompt is answered "always", then a second run of airlock on
	 * the same terminal, which must read the file without asking (it would wait otherwise). */
	char *bin = shquote(e2e_airlock_bin()), *after = NULL;
	ASSERT_LT(0, asprintf(&after, "%s run -- cat \"$HOME/notes/n.txt\"", bin));
	start_shell("", after, true);
	free(after);
	free(bin);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer("a");
	expect_mark(1);
	expect_after(e2e_path("airlock: allowed READ of %s always", note_path()),
		     e2e_path("airlock: saved in %s: ", file));
	expect_after("airlock: saved in ", "\nnote\nEND-1\n");

	ASSERT_EQ(0, exit_shell());
	expect_after("\nexit\n", "\nnote\n");
	/* One prompt in all (the second run has a mark of its own: count any). */
	ASSERT_EQ(1, count(read_raw(), HEADER));

	/* The file: private, in a private directory, with the rule. */
	ASSERT_EQ(0, stat(file, &st));
	ASSERT_EQ(0600, st.st_mode & 07777);
	ASSERT_EQ(0, stat(cfg, &st));
	ASSERT_EQ(0700, st.st_mode & 07777);
	ASSERT_EQ(0, e2e_read_file(file, text, sizeof(text)));
	ASSERT_CONTAINS(text, e2e_path("\"path\": \"%s\"", note_path()));
	ASSERT_CONTAINS(text, "\"allow\": \"r\"");

	/* Every later run, even with nobody to ask. */
	e2e_airlock_expect(&r, 0, "run", "--", "cat", note_path());
	ASSERT_STREQ("note\n", r.out);

	/* --dry-run shows where the rule comes from and the rule: allowed, read. */
	e2e_airlock_expect(&r, 0, "run", "--dry-run", "--", "true");
	char all[2 * sizeof(r.out)];
	snprintf(all, sizeof(all), "%s%s", r.out, r.err);
	ASSERT_CONTAINS(all, file);
	const char *rule = strstr(all, e2e_path(" %s\n", note_path()));
	ASSERT_TRUE(rule != NULL);
	const char *bol = rule;
	while (bol > all && bol[-1] != '\n')
		bol--;
	ASSERT_EQ(0, strncmp(bol, "  r ", 4));
	stop();
}

/* Refuse the prompt with key; the record line says why. */
static void deny_with(const char *key, const char *why)
{
	setup();
	start_shell("", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer_with(key, strlen(key) > 1);
	expect_mark(1);
	const char *rec = e2e_path("airlock: denied READ of %s (%s)", note_path(), why);
	expect_screen(rec);
	expect_after(rec, "Permission denied");
	ASSERT_NOT_CONTAINS(last(screen, rec), "\nnote\n");

	/* The exit report lists it. */
	exit_shell();
	expect_after("denied during this run", e2e_path(" %s ", note_path()));
	stop();
}

TEST(answer_no_denies)
{
	deny_with("n", "no");
}

TEST(answer_escape_denies)
{
	deny_with("Escape", "escape");
}

TEST(approve_timeout_denies)
{
	setup();
	start_shell("--approve-timeout 2s", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	/* Nobody answers: the prompt ends itself, well within the bound of our waits. */
	for (int i = 0; i < WAIT_ROUNDS && answers_recorded() == 0; i++)
		usleep(10000);
	if (answers_recorded() == 0)
		FAIL("with --approve-timeout 2s, the unanswered prompt was still up after %d s:\n%s",
		     WAIT_ROUNDS / 100, capture(false));
	expect_mark(1);
	const char *rec = e2e_path("airlock: denied READ of %s", note_path());
	expect_screen(rec);
	expect_after(rec, "Permission denied");
	ASSERT_EQ(1, answers_recorded());
	stop();
}

TEST(no_prompt_denies_without_asking)
{
	setup();
	start_shell("--no-prompt", "", false);
	ASSERT_NOT_CONTAINS(capture(false), "requests to approve appear here");
	type_cmd("cat ~/notes/n.txt", 1);
	expect_mark(1);
	expect_after("echo 'EN''D-1'", "Permission denied");
	ASSERT_EQ(0, prompts_shown());
	ASSERT_EQ(0, count(read_raw(), "⟦"));
	stop();
}

/* ---- 3. the terminal afterwards ------------------------------------------------------------ */

TEST(terminal_modes_restored_after_prompts)
{
	char before[8192], after[8192];

	setup();
	start_shell("", "", true);
	type_cmd("cat ~/notes/n.txt", 1);
	wait_prompt();
	answer("o");
	expect_mark(1);
	type_cmd("cat ~/notes/n.txt", 2);
	wait_prompt();
	answer("n");
	expect_mark(2);
	exit_shell();
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/before", f.root), before, sizeof(before)));
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/after", f.root), after, sizeof(after)));
	ASSERT_CONTAINS(before, "speed");
	ASSERT_STREQ(before, after);
	stop();
}

/* ---- 4. full-screen programs redraw -------------------------------------------------------- */

TEST(full_screen_program_gets_a_resize_after_the_prompt)
{
	setup();
	const char *dir = getenv("AIRLOCK_TEST_HELPERS");
	char *qdir = shquote(dir ? dir : "."), *qbin = shquote(e2e_airlock_bin());
	char *qwinch = shquote(e2e_helper("winch")), *body = NULL;
	ASSERT_LT(0, asprintf(&body, "%s run -x %s -- %s", qbin, qdir, qwinch));
	start(body);
	free(body);
	free(qdir);
	free(qbin);
	free(qwinch);
	read_tag();

	expect_screen("\nsize ");
	type_line("~/notes/n.txt");
	wait_prompt();
	/* Control: the program has printed its size once so far. */
	ASSERT_EQ(1, count(capture(false), "\nsize "));
	answer("s");
	const char *rec = e2e_path("airlock: allowed READ of %s for this session", note_path());
	expect_after(rec, e2e_path("open %s: ok\n", note_path()));
	/* The prompt covered part of its screen: it is told to redraw. */
	expect_after(rec, "\nsize ");

	keys("C-d");
	wait_file(e2e_path("%s/status", f.root));
	expect_screen("\nouter-done\n");
	stop();
}

/* ---- 5. spoofing --------------------------------------------------------------------------- */

static size_t read_bytes(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		FAIL("open %s: %m", path);
	size_t n = 0;
	ssize_t k;
	while (n < cap && (k = read(fd, buf + n, cap - n)) > 0)
		n += (size_t)k;
	close(fd);
	return n;
}

TEST(tag_is_secret_from_the_program_and_fake_prompts_differ)
{
	static char buf[1 << 20], ours[1 << 20];

	setup();
	start_shell("", "", true);
	/* The program draws a prompt of its own, with a mark it made up. */
	type_cmd("printf '\\342\\224\\214 airlock \\342\\237\\246FAKE\\342\\237\\247 \\342\\224\\200 "
		 "cat (pid 1: cat /etc/shadow) wants to READ\\n'", 1);
	expect_mark(1);
	expect_screen(HEADER "FAKE⟧ ─ cat (pid 1: cat /etc/shadow) wants to READ\n");

	/* What the program can read of itself and its parent. */
	type_cmd("cat /proc/self/environ > d1; cat /proc/$$/environ > d2; "
		 "cat /proc/self/cmdline > d3; cat /proc/$$/cmdline > d4; env > d5; "
		 "cat /proc/$PPID/cmdline /proc/$PPID/environ > d6 2>&1", 2);
	expect_mark(2);

	/* The real prompt carries the session's mark, which is not the fake one. */
	type_cmd("cat ~/notes/n.txt", 3);
	const char *p = wait_prompt();
	ASSERT_EQ(0, strncmp(p, header(), strlen(header())));
	ASSERT_STRNE(tag, "FAKE");
	ASSERT_EQ(1, prompts_shown());
	ASSERT_EQ(2, count(raw, HEADER)); /* the fake one and the real one */
	answer("n");
	expect_mark(3);

	/* A mark that happened to be in our own environment (which the program's derives from)
	 * would be a coincidence, not a leak. */
	size_t n_ours = read_bytes("/proc/self/environ", ours, sizeof(ours));
	bool coincidence = memmem(ours, n_ours, tag, 4) != NULL;
	for (int i = 1; i <= 6; i++) {
		const char *d = e2e_path("%s/d%d", f.proj, i);
		size_t n = read_bytes(d, buf, sizeof(buf));
		if (i != 6)
			ASSERT_LT(0, n);
		if (memmem(buf, n, tag, 4) && !coincidence)
			FAIL("the session's mark %s is readable inside the sandbox, in %s", tag, d);
	}
	stop();
}

TEST(keys_typed_at_the_prompt_never_reach_the_program)
{
	setup();
	start_shell("", "", true);
	type_line("sh -c 'cat ~/notes/n.txt; read x; echo \"got=[$x]\"'");
	wait_prompt();
	/* Keys that answer nothing, then the answer: the prompt takes them all. */
	type_text("xyz");
	answer("s");
	expect_after(e2e_path("airlock: allowed READ of %s for this session", note_path()), "\nnote\n");
	type_line("hello");
	expect_screen("got=[hello]\n");
	ASSERT_NOT_CONTAINS(screen, "got=[x");
	ASSERT_NOT_CONTAINS(screen, "got=[s");
	stop();
}

/* ---- 6. escape sequences in a file name ---------------------------------------------------- */

TEST(escape_sequences_in_a_file_name_are_shown_escaped)
{
	setup();
	e2e_write_file(e2e_path("%s/notes/evil\x1b[31mred\x07" "bel\rcr.txt", f.home), "plain\n", 0644);
	char shown[PATH_MAX + 64], want[PATH_MAX + 128];
	snprintf(shown, sizeof(shown), "%s/notes/evil\\x1b[31mred\\x07bel\\x0dcr.txt", f.home);
	start_shell("", "", true);
	type_cmd("cat ~/notes/ev*", 1);

	/* The shell lists the directory for the glob first (asked too), then cat opens the file. */
	const char *p = wait_prompt();
	snprintf(want, sizeof(want), "\n│   %s/notes\n", f.home);
	if (strstr(p, want)) {
		answer("o");
		p = wait_prompt();
	}
	snprintf(want, sizeof(want), "\n│   %s\n", shown);
	ASSERT_CONTAINS(p, want);
	ASSERT_NOT_CONTAINS(capture(true), "\033[31");

	answer("o");
	expect_mark(1);
	expect_after(e2e_path("airlock: allowed READ of %s once", shown), "\nplain\nEND-1\n");
	ASSERT_NOT_CONTAINS(capture(true), "\033[31");
	stop();
}

/* ---- 7. many requests ---------------------------------------------------------------------- */

/* Processes whose command line contains needle: how many, and how many of those are waiting
 * in the supervisor (as far as /proc/PID/wchan tells: it may say "0" to us). */
static void scan_procs(const char *needle, unsigned *ret_found, unsigned *ret_waiting)
{
	*ret_found = *ret_waiting = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		if (!strstr(buf, needle))
			continue;
		(*ret_found)++;
		snprintf(path, sizeof(path), "/proc/%s/wchan", e->d_name);
		if (e2e_read_file(path, buf, sizeof(buf)) == 0 && strstr(buf, "seccomp"))
			(*ret_waiting)++;
	}
	closedir(d);
}

TEST(flood_in_one_directory_is_answered_with_one_directory_answer)
{
	enum { READERS = 12, FILES = 30 };
	char cmd[1024] = "cat ~/notes/gate.txt >/dev/null & "
			 "until [ -e go ]; do sleep 0.05; done; for i in";

	setup();
	e2e_write_file(e2e_path("%s/notes/gate.txt", f.home), "gate\n", 0644);
	e2e_mkdir(e2e_path("%s/notes/many", f.home), 0755);
	for (int i = 1; i <= FILES; i++)
		e2e_write_file(e2e_path("%s/notes/many/f%02d", f.home, i),
			       e2e_path("content-%02d\n", i), 0644);
	for (int i = 1; i <= READERS; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %02d", i);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
		 "; do cat ~/notes/many/f$i > out$i & done; wait");
	start_shell("", "", true);

	/* A first request holds the terminal while the readers start and queue behind it. */
	type_cmd(cmd, 1);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s/notes/gate.txt\n", f.home));
	e2e_write_file(e2e_path("%s/go", f.proj), "", 0644);
	unsigned found = 0, waiting = 0;
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		scan_procs("/notes/many/f", &found, &waiting);
		if (found == READERS && (waiting == READERS || i >= 200))
			break;
		usleep(10000);
	}
	ASSERT_EQ(READERS, found);
	answer("o");

	/* The readers' prompt offers the directory and says how many more wait there. Requests
	 * still on their way to the queue when it is drawn are not counted: answer those once
	 * until one prompt says "more". */
	char more_in[PATH_MAX + 32];
	snprintf(more_in, sizeof(more_in), " more in %s/notes/many\n", f.home);
	unsigned more = 0, before_d = 0;
	for (int round = 0; round < READERS && !more; round++) {
		p = wait_prompt();
		ASSERT_CONTAINS(p, e2e_path("\n│   %s/notes/many/f", f.home));
		const char *m = strstr(p, more_in);
		if (m) {
			const char *and = last(p, "│   and ");
			ASSERT_TRUE(and != NULL && and < m);
			more = (unsigned)strtoul(and + strlen("│   and "), NULL, 10);
			ASSERT_LE(1, more);
			answer("d");
		} else {
			answer("o");
			before_d++;
		}
	}
	if (!more)
		FAIL("no prompt ever said \"N more in %s/notes/many\"", f.home);
	if (before_d)
		printf("# %u reader prompt(s) came before the queue filled\n", before_d);

	/* The rest go through without a prompt (one more at most: a request that was already on
	 * its way when the answer came). */
	unsigned after_d = 0;
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		if (strstr(capture(false), "END-1\n"))
			break;
		if (prompts_shown() > answers_recorded()) {
			wait_prompt();
			answer("d");
			after_d++;
		}
		usleep(10000);
	}
	expect_mark(1);
	ASSERT_LE(after_d, 1);
	for (int i = 1; i <= READERS; i++) {
		char got[64];
		ASSERT_EQ(0, e2e_read_file(e2e_path("%s/out%02d", f.proj, i), got, sizeof(got)));
		ASSERT_STREQ(e2e_path("content-%02d\n", i), got);
	}

	/* The whole directory is the session's now: all 30 read, nothing asked. */
	unsigned shown = prompts_shown();
	type_cmd("cat ~/notes/many/* | grep -c content-", 2);
	expect_mark(2);
	expect_after("echo 'EN''D-2'", "\n30\nEND-2\n");
	ASSERT_EQ(shown, prompts_shown());
	stop();
}

/* BURST parallel readers of distinct files in one directory, more than the queue holds. The
 * prompt for the first is up until the queue overflows; then it is answered "d". */
/* Wait (bounded) until this fixture's audit trail holds text. */
static void wait_audit(const char *text)
{
	static char dir[PATH_MAX], trail[1u << 18];
	if ((size_t)snprintf(dir, sizeof(dir), "%s/.local/state/airlock/audit", f.home) >= sizeof(dir))
		FAIL("fixture path too long");
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		bool hit = false;
		DIR *d = opendir(dir);
		for (struct dirent *e; d && !hit && (e = readdir(d));)
			hit = e->d_name[0] != '.' &&
			      e2e_read_file(e2e_path("%s/%s", dir, e->d_name), trail, sizeof(trail)) == 0 &&
			      strstr(trail, text);
		if (d)
			closedir(d);
		if (hit)
			return;
		usleep(10000);
	}
	FAIL("the audit trail in %s never showed \"%s\"", dir, text);
}

static void burst(unsigned n)
{
	e2e_mkdir(e2e_path("%s/notes/burst", f.home), 0755);
	for (unsigned i = 1; i <= n; i++)
		e2e_write_file(e2e_path("%s/notes/burst/b%02u", f.home, i), "b\n", 0644);
	start_shell("", "", true);
	type_cmd(e2e_path("for i in $(seq -w 1 %u); do cat ~/notes/burst/b$i >/dev/null 2>&1 & done; "
			  "wait", n), 1);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s/notes/burst/b", f.home));
	/* airlock holds its own messages while a prompt is up (they would break it): the queue
	 * is seen full from outside instead, by airlock ps, and a refusal in the audit trail.
	 * Answering before one arrived would let the directory grant serve the late readers. */
	if (n > 16) {
		long waiting = -1;
		for (int i = 0; i < WAIT_ROUNDS && waiting < 16; i++) {
			struct e2e_result r;
			e2e_airlock_expect(&r, 0, "ps", "--json");
			/* The most any session has: other sessions of this user may be running. */
			waiting = -1;
			for (const char *q = r.out; (q = strstr(q, "\"pending\": ")); q++)
				if (strtol(q + 11, NULL, 10) > waiting)
					waiting = strtol(q + 11, NULL, 10);
			if (waiting < 16)
				usleep(10000);
		}
		ASSERT_LE(16, waiting); /* the queue holds 16; one more may be on its way out */
		wait_audit("too many requests waiting for an answer");
	}
	answer("d");
	if (n > 16)
		expect_screen("too many requests");
	/* Nothing hangs: every reader ends (a straggler that was already on its way may ask). */
	for (int i = 0; i < WAIT_ROUNDS; i++) {
		if (strstr(capture(false), "END-1\n"))
			break;
		if (prompts_shown() > answers_recorded()) {
			wait_prompt();
			answer("d");
		}
		usleep(10000);
	}
	expect_mark(1);
}

TEST(burst_beyond_the_queue_is_refused_with_one_warning)
{
	setup();
	burst(40);
	ASSERT_EQ(1, count(read_raw(), "too many requests"));

	/* The supervisor is still there: a later request asks, and is answered. */
	type_cmd("cat ~/notes/n.txt", 2);
	const char *p = wait_prompt();
	ASSERT_CONTAINS(p, e2e_path("\n│   %s\n", note_path()));
	answer("o");
	expect_mark(2);
	expect_after(e2e_path("airlock: allowed READ of %s once", note_path()), "\nnote\nEND-2\n");
	stop();
}

/*
 * What airlock itself prints while a prompt is up (the overflow warning, the denial notices
 * of the requests refused meanwhile) must not break the prompt: once answered, nothing of it is
 * left on the screen.
 */
TEST(prompt_is_erased_even_when_airlock_logs_while_it_is_up)
{
	setup();
	burst(20);
	capture(false);
	const char *left = strstr(screen, HEADER);
	if (!left)
		left = strstr(screen, CHOICES);
	if (left)
		FAIL("the answered prompt is still on the screen:\n%.1500s", left);
	stop();
}

/*
 * airlock's own lines on the terminal (here the notice of a refusal) end where a line ends:
 * the terminal is raw while the session runs, so a bare "\n" would leave whatever comes next
 * starting mid-screen. The notice and the program's output race, so: whatever follows the
 * notice (the program's error, the marker, or the next command typed) starts at the margin.
 * (--no-prompt: the notice does not depend on what a prompt answer makes redundant.)
 */
TEST(lines_after_a_notice_start_at_the_margin)
{
	setup();
	start_shell("--no-prompt", "", false);
	type_cmd("cat ~/notes/n.txt", 1);
	expect_mark(1);
	expect_screen("airlock: notice: denied ");
	expect_screen("Permission denied");
	type_cmd("true", 2);
	expect_mark(2);
	const char *next = strchr(strstr(screen, "airlock: notice: denied "), '\n');
	ASSERT_TRUE(next != NULL);
	if (*++next == ' ')
		FAIL("the line after airlock's notice does not start at the margin:\n%s", screen);
	stop();
}

HARNESS_MAIN
