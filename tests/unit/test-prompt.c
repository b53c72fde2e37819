/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The terminal approval prompt: the escaping and layout of prompt_render(), then prompt_ask()
 * driven through a real pty (and through pipes): every answer key, sequences that must not
 * answer, input typed before the prompt, timeout, cancel, end of input, and the exact output
 * (the prompt, its erasure line by line, the record of the answer).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <termios.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "harness.h"
#include "prompt.h"
#include "util.h"

#define ERASE_LINE "\x1b[A\x1b[2K"

static struct prompt_view base_view(void)
{
	return (struct prompt_view){
		.tag = "k7Qz",
		.pid = 4242,
		.comm = "node",
		.cmdline = "node /usr/bin/claude",
		.operation = "open",
		.path = "/home/me/Downloads/spec.pdf",
		.access = AIRLOCK_ACCESS_READ,
		.columns = 80,
	};
}

static char *render(const struct prompt_view *v, unsigned secs, unsigned *ret_lines)
{
	char *text = NULL;
	unsigned lines = 0;
	int r = prompt_render(v, secs, &text, &lines);
	if (r < 0)
		FAIL("prompt_render: %d", r);
	if (ret_lines)
		*ret_lines = lines;
	return text;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Line i (0-based) of text, without its "\r\n". */
static char *line_of(const char *text, unsigned i)
{
	const char *p = text;
	for (; i > 0; i--) {
		p = strstr(p, "\r\n");
		if (!p)
			return NULL;
		p += 2;
	}
	const char *e = strstr(p, "\r\n");
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

/* Columns a line takes on a typical terminal: wide (CJK, emoji) code points 2, others 1. */
static unsigned columns_of(const char *s)
{
	unsigned cols = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		if (n == 0)
			FAIL("invalid UTF-8 in the rendered text: %s", s);
		cols += cp >= 0x1100 && cp != 0x2502 && cp != 0x250c && cp != 0x2514 &&
				cp != 0x2500 && cp != 0x27e6 && cp != 0x27e7 && cp != 0x21b3 &&
				cp != 0x2026
			? 2
			: 1;
		p += n;
	}
	return cols;
}

/*
 * What the terminal must never receive from a render: control bytes other than our own "\r\n"
 * (so no escape sequence at all), DEL, C1 controls, bidi and invisible formatting characters,
 * invalid UTF-8. Also: the text is exactly `lines` lines, none wider than the terminal.
 */
static void assert_clean(const char *text, unsigned lines, unsigned columns)
{
	const unsigned char *p = (const unsigned char *)text;
	unsigned crlf = 0;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);
		if (n == 0)
			FAIL("invalid UTF-8 at offset %zu", (size_t)(p - (const unsigned char *)text));
		if (cp == '\r') {
			ASSERT_EQ('\n', p[1]);
			crlf++;
			p += 2;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c || cp == 0xfeff)
			FAIL("U+%04x in the rendered text:\n%s", cp, text);
		p += n;
	}
	ASSERT_EQ(lines, crlf);
	ASSERT_TRUE(strlen(text) >= 2 && strcmp(text + strlen(text) - 2, "\r\n") == 0);
	for (unsigned i = 0; i < lines; i++) {
		char *l = line_of(text, i);
		ASSERT_TRUE(l);
		if (columns_of(l) > columns - 1)
			FAIL("line %u is %u columns wide (terminal: %u): %s", i, columns_of(l),
			     columns, l);
		free(l);
	}
}

TEST(example_layout)
{
	struct prompt_view v = base_view();
	v.directory = "/home/me/Downloads";
	v.offer_always = true;
	v.columns = 100;
	unsigned lines;
	char *text = render(&v, 60, &lines);
	ASSERT_STREQ(text,
		     "┌ airlock ⟦k7Qz⟧ ─ node (pid 4242: node /usr/bin/claude) wants to READ\r\n"
		     "│   /home/me/Downloads/spec.pdf\r\n"
		     "│   [o]nce  [s]ession  [d]irectory for session  [a]lways  [n]o   (auto-deny in 60s)\r\n"
		     "└\r\n");
	ASSERT_EQ(4, lines);
	assert_clean(text, lines, v.columns);
	free(text);

	/* At 80 columns that choices line would not fit: a shorter form, still one line. */
	v.columns = 80;
	text = render(&v, 60, &lines);
	ASSERT_EQ(4, lines);
	ASSERT_CONTAINS(text, "│   [o]nce [s]ession [d]ir [a]lways [n]o  (60s)\r\n");
	assert_clean(text, lines, v.columns);
	free(text);
}

/* Hostile bytes, and how each must appear. */
#define HOSTILE "a\x1b[2J\r\n\x07\x7f\\b\xc2\x85\xe2\x80\xae\xff\xe2\x81\xa6\xef\xbb\xbfz\x9b"
#define HOSTILE_SHOWN                                                                      \
	"a\\x1b[2J\\x0d\\x0a\\x07\\x7f\\\\b\\u{0085}\\u{202e}\\xff\\u{2066}\\u{feff}z\\x9b"

TEST(untrusted_fields_escaped)
{
	for (int field = 0; field < 5; field++) {
		struct prompt_view v = base_view();
		v.columns = 200;
		switch (field) {
		case 0: v.path = "/tmp/" HOSTILE; break;
		case 1: v.comm = HOSTILE; break;
		case 2: v.cmdline = "run " HOSTILE; break;
		case 3: v.group = HOSTILE; break;
		case 4: v.directory = "/x/" HOSTILE; v.more = 2; break;
		}
		unsigned lines;
		char *text = render(&v, 30, &lines);
		ASSERT_CONTAINS(text, HOSTILE_SHOWN);
		assert_clean(text, lines, v.columns);
		free(text);
	}
}

TEST(escape_table)
{
	static const struct {
		const char *in;
		const char *out;
		size_t consumed;
		unsigned cols;
	} cases[] = {
		{ "a", "a", 1, 1 },
		{ "\\", "\\\\", 1, 2 },
		{ "\x1b", "\\x1b", 1, 4 },
		{ "\x7f", "\\x7f", 1, 4 },
		{ "\xc3\xa9", "\xc3\xa9", 2, 1 },                /* é */
		{ "\xe6\xbc\xa2", "\xe6\xbc\xa2", 3, 2 },         /* a wide CJK character */
		{ "\xc2\x9b", "\\u{009b}", 2, 8 },                /* C1 CSI */
		{ "\x9b", "\\x9b", 1, 4 },                        /* a lone C1 byte */
		{ "\xe2\x80\x8b", "\\u{200b}", 3, 8 },            /* zero-width space */
		{ "\xe2\x81\xa9", "\\u{2069}", 3, 8 },            /* pop directional isolate */
		{ "\xd8\x9c", "\\u{061c}", 2, 8 },                /* Arabic letter mark */
		{ "\xe2\x80\xa8", "\\u{2028}", 3, 8 },            /* line separator */
		{ "\xf3\xa0\x81\x81", "\\u{e0041}", 4, 9 },       /* tag latin A */
		{ "\xc0\xaf", "\\xc0", 1, 4 },                    /* overlong '/' */
		{ "\xed\xa0\x80", "\\xed", 1, 4 },                /* a surrogate */
		{ "\xe2\x80", "\\xe2", 1, 4 },                    /* truncated */
		{ "\xf4\x90\x80\x80", "\\xf4", 1, 4 },            /* past U+10FFFF */
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char out[UTF8_ESCAPE_MAX];
		unsigned cols = 0;
		size_t n = utf8_escape_char(cases[i].in, out, &cols);
		EXPECT_EQ(cases[i].consumed, n);
		EXPECT_STREQ(out, cases[i].out);
		EXPECT_EQ(cases[i].cols, cols);
	}

	struct strbuf b = { 0 };
	sb_append_display(&b, "x" HOSTILE);
	ASSERT_STREQ(b.s, "x" HOSTILE_SHOWN);
	sb_done(&b);

	/* The existing escaper is unchanged. */
	sb_append_escaped(&b, "\x1b\xe2\x80\xae");
	ASSERT_STREQ(b.s, "\\e\\u202e");
	sb_done(&b);
}

TEST(long_cmdline_truncated)
{
	char cmd[600];
	memset(cmd, 'x', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	memcpy(cmd, "python3 -c ", 11);
	struct prompt_view v = base_view();
	v.cmdline = cmd;
	v.operation = "mkdir";
	unsigned lines;
	char *text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	char *first = line_of(text, 0);
	ASSERT_TRUE(first);
	ASSERT_CONTAINS(first, "node (pid 4242: python3 -c …) wants to CREATE DIRECTORY");
	free(first);
	free(text);
	v.columns = 100;
	text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	first = line_of(text, 0);
	ASSERT_CONTAINS(first, "node (pid 4242: python3 -c xxx");
	ASSERT_CONTAINS(first, "x…) wants to CREATE DIRECTORY");
	free(first);
	char *second = line_of(text, 1);
	ASSERT_STREQ(second, "│   /home/me/Downloads/spec.pdf");
	free(second);
	ASSERT_EQ(4, lines);
	free(text);

	/* Escapes are cut whole, never in the middle of one. */
	char esc[400] = "";
	for (int i = 0; i < 60; i++)
		strcat(esc, "\x1b\\");
	v.cmdline = esc;
	text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	first = line_of(text, 0);
	ASSERT_CONTAINS(first, "…) wants to");
	const char *p = strstr(first, ": ") + 2;
	for (; *p && strncmp(p, "…", 3) != 0;) {
		if (strncmp(p, "\\x1b", 4) == 0)
			p += 4;
		else if (strncmp(p, "\\\\", 2) == 0)
			p += 2;
		else
			FAIL("a cut escape at \"%s\"", p);
	}
	free(first);
	free(text);
}

TEST(narrow_terminal_wraps_never_overflows)
{
	char cmd[300];
	memset(cmd, 'c', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	struct prompt_view v = base_view();
	v.comm = "a-rather-long-command-name-\x1b";
	v.cmdline = cmd;
	v.directory = "/home";
	v.offer_always = true;
	v.group = "secrets: ssh keys, cloud credentials, browser profiles";
	for (unsigned columns = 0; columns <= 120; columns += 7) {
		v.columns = columns;
		unsigned lines;
		char *text = render(&v, 600, &lines);
		assert_clean(text, lines, columns == 0 ? 80 : columns < 32 ? 32 : columns);
		/* Continuation lines are marked as such: a path cannot fake a line of its own. */
		ASSERT_CONTAINS(text, "\r\n└\r\n");
		ASSERT_CONTAINS(text, "wants to READ");
		free(text);
	}
}

/* The field that starts on line 1, with its continuation lines glued back. */
static char *glue_field(const char *text)
{
	struct strbuf glued = { 0 };
	for (unsigned i = 1;; i++) {
		char *l = line_of(text, i);
		ASSERT_TRUE(l);
		bool cont = strncmp(l, "│ ↳ ", strlen("│ ↳ ")) == 0;
		if (i > 1 && !cont) {
			free(l);
			break;
		}
		ASSERT_TRUE(cont || strncmp(l, "│   ", strlen("│   ")) == 0);
		sb_append(&glued, l + strlen(cont ? "│ ↳ " : "│   "));
		free(l);
	}
	char *r = NULL;
	ASSERT_EQ(0, sb_take(&glued, &r));
	return r;
}

TEST(long_path_wraps_then_elides)
{
	char path[4000];
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path, "/home/me/", 9);
	memcpy(path + 300, "/END.txt", 9); /* 308 characters */
	struct prompt_view v = base_view();
	v.path = path;
	unsigned lines;
	char *text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	ASSERT_GT(lines, 5);
	/* Shown whole: gluing the continuation lines back gives the path. */
	char *glued = glue_field(text);
	ASSERT_STREQ(glued, path);
	free(glued);
	free(text);

	/* Too long for a screen: head and tail, and how much is left out. */
	memcpy(path + 300, "ppppppppp", 9);
	memcpy(path + sizeof(path) - 9, "/END.txt", 9);
	text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	ASSERT_LE(lines, 3 + 8);
	glued = glue_field(text);
	ASSERT_EQ(0, strncmp(glued, "/home/me/ppp", 12));
	ASSERT_EQ(0, strcmp(glued + strlen(glued) - 12, "pppp/END.txt"));
	ASSERT_CONTAINS(glued, "ppp …(");
	ASSERT_CONTAINS(glued, " characters not shown)… ppp");
	free(glued);
	free(text);

	/* Wide characters count double. */
	struct strbuf wide = { 0 };
	sb_append(&wide, "/");
	for (int i = 0; i < 100; i++)
		sb_append(&wide, "\xe6\xbc\xa2");
	v.path = wide.s;
	text = render(&v, 60, &lines);
	assert_clean(text, lines, v.columns);
	ASSERT_GE(lines, 6);
	free(text);
	sb_done(&wide);
}

TEST(tag_and_required_fields)
{
	struct prompt_view v = base_view();
	char *text = render(&v, 0, NULL);
	ASSERT_CONTAINS(text, "┌ airlock ⟦k7Qz⟧ ─ ");
	free(text);

	static const char *const bad_tags[] = { NULL, "", "abc", "abcde", "ab-c", "ab\x1b" "c",
						"ab\xc3\xa9", "a c1" };
	for (size_t i = 0; i < ELEMENTSOF(bad_tags); i++) {
		v.tag = bad_tags[i];
		char *t = (char *)0x1;
		unsigned lines = 77;
		EXPECT_EQ(-EINVAL, prompt_render(&v, 0, &t, &lines));
		EXPECT_TRUE(t == (char *)0x1);
		EXPECT_EQ(77, lines);
	}
	v = base_view();
	v.path = NULL;
	char *t = NULL;
	unsigned lines;
	ASSERT_EQ(-EINVAL, prompt_render(&v, 0, &t, &lines));
	ASSERT_EQ(-EINVAL, prompt_render(NULL, 0, &t, &lines));

	/* Without a view the prompt denies without touching the terminal. */
	char why[32] = "";
	ASSERT_EQ(PROMPT_DENY, prompt_ask(-1, -1, -1, 0, &v, why, sizeof(why)));
	ASSERT_STREQ(why, "error");
}

TEST(choices_only_when_offered)
{
	for (unsigned columns = 40; columns <= 120; columns += 40)
		for (int d = 0; d < 2; d++)
			for (int a = 0; a < 2; a++) {
				struct prompt_view v = base_view();
				v.columns = columns;
				v.directory = d ? "/home/me/Downloads" : NULL;
				v.offer_always = a;
				unsigned lines;
				char *text = render(&v, 60, &lines);
				char *choices = line_of(text, lines - 2);
				ASSERT_TRUE(choices);
				bool has_d = strstr(choices, "[d]") || strstr(choices, "/d");
				bool has_a = strstr(choices, "[a]") || strstr(choices, "/a");
				EXPECT_EQ(d, has_d);
				EXPECT_EQ(a, has_a);
				EXPECT_TRUE(strstr(choices, "60s") != NULL);
				assert_clean(text, lines, columns);
				free(choices);
				free(text);
			}
}

TEST(actions_and_extra_lines)
{
	static const struct {
		const char *op;
		uint32_t access;
		const char *words;
	} cases[] = {
		{ "open", AIRLOCK_ACCESS_READ, "wants to READ\r\n" },
		{ NULL, AIRLOCK_ACCESS_WRITE, "wants to WRITE\r\n" },
		{ "open", AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_WRITE, "wants to READ+WRITE\r\n" },
		{ "open", AIRLOCK_ACCESS_EXEC, "wants to EXECUTE\r\n" },
		{ "open", AIRLOCK_ACCESS_READ | AIRLOCK_ACCESS_EXEC, "wants to READ+EXECUTE\r\n" },
		{ "mkdir", AIRLOCK_ACCESS_WRITE, "wants to CREATE DIRECTORY\r\n" },
		{ "unlink", AIRLOCK_ACCESS_WRITE, "wants to DELETE\r\n" },
		{ "rmdir", AIRLOCK_ACCESS_WRITE, "wants to DELETE DIRECTORY\r\n" },
		{ "rename", AIRLOCK_ACCESS_WRITE, "wants to RENAME\r\n" },
		{ "symlink", AIRLOCK_ACCESS_WRITE, "wants to CREATE SYMLINK\r\n" },
		{ "frob\x1b", AIRLOCK_ACCESS_WRITE, "wants to FROB\\x1b\r\n" },
		{ "", AIRLOCK_ACCESS_READ, "wants to READ\r\n" },
		{ "open", 0, "wants to OPEN\r\n" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct prompt_view v = base_view();
		v.operation = cases[i].op;
		v.access = cases[i].access;
		char *text = render(&v, 0, NULL);
		EXPECT_CONTAINS(text, cases[i].words);
		free(text);
	}

	/* Coalesced requests, a directory that is not the parent, a group. */
	struct prompt_view v = base_view();
	v.more = 3;
	v.directory = "/home/me/Downloads";
	v.group = "downloads";
	unsigned lines;
	char *text = render(&v, 0, &lines);
	ASSERT_STREQ(text,
		     "┌ airlock ⟦k7Qz⟧ ─ node (pid 4242: node /usr/bin/claude) wants to READ\r\n"
		     "│   /home/me/Downloads/spec.pdf\r\n"
		     "│   and 3 more in /home/me/Downloads\r\n"
		     "│   reason: downloads\r\n"
		     "│   [o]nce  [s]ession  [d]irectory for session  [n]o\r\n"
		     "└\r\n");
	ASSERT_EQ(6, lines);
	free(text);

	v = base_view();
	v.directory = "/home/me";
	text = render(&v, 0, &lines);
	ASSERT_CONTAINS(text, "│   /home/me/Downloads/spec.pdf\r\n│   [d]irectory: /home/me\r\n");
	ASSERT_EQ(5, lines);
	free(text);

	v.comm = NULL;
	v.cmdline = NULL;
	text = render(&v, 0, &lines);
	ASSERT_CONTAINS(text, "─ ? (pid 4242) wants to READ\r\n");
	free(text);
}

TEST(countdown_changes_only_choices_line)
{
	struct prompt_view v = base_view();
	v.directory = "/home/me/Downloads";
	unsigned l60, l9, l0;
	char *t60 = render(&v, 60, &l60), *t9 = render(&v, 9, &l9), *t0 = render(&v, 0, &l0);
	ASSERT_EQ(l60, l9);
	ASSERT_EQ(l60, l0);
	for (unsigned i = 0; i < l60; i++) {
		char *a = line_of(t60, i), *b = line_of(t9, i), *c = line_of(t0, i);
		if (i == l60 - 2) {
			EXPECT_CONTAINS(a, "(auto-deny in 60s)");
			EXPECT_CONTAINS(b, "(auto-deny in 9s)");
			EXPECT_NOT_CONTAINS(c, "auto-deny");
		} else {
			EXPECT_STREQ(a, b);
			EXPECT_STREQ(a, c);
		}
		free(a), free(b), free(c);
	}
	free(t60), free(t9), free(t0);
}

/* ---- prompt_ask() ---- */

enum mode { PTY, PIPES };

struct scenario {
	enum mode mode;
	struct prompt_view view;
	unsigned timeout_ms;
	const char *before;    /* input written before prompt_ask() starts */
	const char *keys;      /* written once the prompt is out */
	bool cancel;           /* signal the eventfd once the prompt is out */
	bool cancel_first;     /* signal it before prompt_ask() starts */
	bool close_input;      /* close the input once the prompt is out (PIPES) */
	bool nonblock;         /* the child's ends are O_NONBLOCK (PIPES) */
	bool small_pipe;       /* the output pipe holds less than the prompt (PIPES) */
	const char *act_after; /* act once this is in the output (default: the prompt's end) */
};

struct outcome {
	enum prompt_choice choice;
	char why[32];
	int leftover; /* the next input byte after the answer, or -1 */
	char out[65536];
	size_t out_len;
};

struct child_result {
	int choice;
	char why[32];
	int leftover;
};

static void set_raw(int fd)
{
	struct termios t;
	ASSERT_EQ(0, tcgetattr(fd, &t));
	cfmakeraw(&t);
	ASSERT_EQ(0, tcsetattr(fd, TCSANOW, &t));
}

static void write_str(int fd, const char *s)
{
	size_t n = strlen(s);
	ASSERT_EQ((ssize_t)n, write(fd, s, n));
}

static void run(const struct scenario *sc, struct outcome *o)
{
	int in_child, out_child, in_parent, out_parent;
	if (sc->mode == PTY) {
		int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		ASSERT_GE(m, 0);
		ASSERT_EQ(0, grantpt(m));
		ASSERT_EQ(0, unlockpt(m));
		int s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
		ASSERT_GE(s, 0);
		set_raw(s);
		in_child = out_child = s;
		in_parent = out_parent = m;
	} else {
		int a[2], b[2];
		ASSERT_EQ(0, pipe2(a, O_CLOEXEC));
		ASSERT_EQ(0, pipe2(b, O_CLOEXEC));
		if (sc->small_pipe)
			ASSERT_GE(fcntl(b[1], F_SETPIPE_SZ, 4096), 4096);
		in_child = a[0], in_parent = a[1];
		out_child = b[1], out_parent = b[0];
	}
	int efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_GE(efd, 0);
	int res[2];
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	uint64_t one = 1;

	if (sc->before)
		write_str(in_parent, sc->before);
	if (sc->cancel_first)
		ASSERT_EQ(8, write(efd, &one, 8));

	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(res[0]);
		if (sc->mode == PIPES) {
			close(in_parent);
			close(out_parent);
		} else {
			close(in_parent);
		}
		if (sc->nonblock) {
			fcntl(in_child, F_SETFL, O_NONBLOCK);
			fcntl(out_child, F_SETFL, O_NONBLOCK);
		}
		struct child_result cr = { .leftover = -1 };
		cr.choice = prompt_ask(in_child, out_child, efd, sc->timeout_ms, &sc->view, cr.why,
				       sizeof(cr.why));
		/* Whatever was typed after the answer must still be there. */
		struct pollfd p = { .fd = in_child, .events = POLLIN };
		unsigned char c;
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && read(in_child, &c, 1) == 1)
			cr.leftover = c;
		if (write(res[1], &cr, sizeof(cr)) != sizeof(cr))
			_exit(1);
		_exit(0);
	}
	close(res[1]);
	if (sc->mode == PIPES) {
		close(in_child);
		close(out_child);
	} else {
		close(in_child);
	}

	const char *act_after = sc->act_after ? sc->act_after : "└\r\n";
	bool acted = false;
	o->out_len = 0;
	for (;;) {
		if (!acted && memmem(o->out, o->out_len, act_after, strlen(act_after))) {
			acted = true;
			if (sc->keys)
				write_str(in_parent, sc->keys);
			if (sc->cancel)
				ASSERT_EQ(8, write(efd, &one, 8));
			if (sc->close_input)
				in_parent = safe_close(in_parent);
		}
		ASSERT_LT(o->out_len, sizeof(o->out) - 1);
		ssize_t n = read(out_parent, o->out + o->out_len, sizeof(o->out) - 1 - o->out_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EIO) /* the pty's slave is closed: all read */
			break;
		ASSERT_GE(n, 0);
		if (n == 0)
			break;
		o->out_len += (size_t)n;
	}
	o->out[o->out_len] = '\0';

	struct child_result cr;
	ASSERT_EQ(sizeof(cr), read(res[0], &cr, sizeof(cr)));
	int status;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	o->choice = cr.choice;
	snprintf(o->why, sizeof(o->why), "%s", cr.why);
	o->leftover = cr.leftover;
	close(res[0]);
	close(efd);
	safe_close(in_parent);
	if (out_parent != in_parent)
		close(out_parent);
}

/* The whole output of an answered prompt: a fresh line, the prompt, the erasure (the line
 * below the prompt, then each of its lines, going up), the record of the answer. */
static char *expected_output(const struct prompt_view *v, unsigned secs, const char *record)
{
	unsigned lines;
	char *text = render(v, secs, &lines);
	struct strbuf b = { 0 };
	sb_append(&b, "\r\n");
	sb_append(&b, text);
	sb_append(&b, "\r\x1b[2K");
	for (unsigned i = 0; i < lines; i++)
		sb_append(&b, ERASE_LINE);
	if (!v->quiet)
		sb_printf(&b, "%s\r\n", record);
	free(text);
	char *r = NULL;
	ASSERT_EQ(0, sb_take(&b, &r));
	return r;
}

static struct outcome outcome;

static void check_keys(enum mode mode)
{
	static const struct {
		const char *keys;
		bool d, a;
		enum prompt_choice want;
		const char *why;
		const char *record;
	} cases[] = {
		{ "o", 0, 0, PROMPT_ONCE, "once", "allowed READ of /home/me/Downloads/spec.pdf once" },
		{ "O", 0, 0, PROMPT_ONCE, "once", NULL },
		{ "s", 0, 0, PROMPT_SESSION, "session",
		  "allowed READ of /home/me/Downloads/spec.pdf for this session" },
		{ "S", 0, 0, PROMPT_SESSION, "session", NULL },
		{ "d", 1, 0, PROMPT_DIRECTORY, "directory",
		  "allowed READ under /home/me/Downloads for this session" },
		{ "D", 1, 1, PROMPT_DIRECTORY, "directory", NULL },
		{ "a", 0, 1, PROMPT_ALWAYS, "always",
		  "allowed READ of /home/me/Downloads/spec.pdf always" },
		{ "A", 1, 1, PROMPT_ALWAYS, "always", NULL },
		{ "n", 1, 1, PROMPT_DENY, "no", "denied READ of /home/me/Downloads/spec.pdf (no)" },
		{ "N", 0, 0, PROMPT_DENY, "no", NULL },
		{ "\x1b", 1, 1, PROMPT_DENY, "escape",
		  "denied READ of /home/me/Downloads/spec.pdf (escape)" },
		{ "\x03", 1, 1, PROMPT_DENY, "ctrl-c", NULL },
		{ "\x04", 1, 1, PROMPT_DENY, "ctrl-d", NULL },
		/* not offered: ignored */
		{ "do", 0, 1, PROMPT_ONCE, "once", NULL },
		{ "ao", 1, 0, PROMPT_ONCE, "once", NULL },
		/* unknown keys: ignored */
		{ "xyz\r\n\t 1?\x7f\xc3\xa9o", 1, 1, PROMPT_ONCE, "once", NULL },
		/* sequences: swallowed whole, their letters answer nothing */
		{ "\x1b[Ao", 1, 1, PROMPT_ONCE, "once", NULL },
		{ "\x1bOAs", 1, 1, PROMPT_SESSION, "session", NULL },
		{ "\x1b[1;5Dd", 1, 1, PROMPT_DIRECTORY, "directory", NULL },
		{ "\x1b[200~so\x1b[201~n", 1, 1, PROMPT_DENY, "no", NULL }, /* a paste */
		{ "\x1b[200~s\x1b[20o\x1b\x1b[201~n", 1, 1, PROMPT_DENY, "no", NULL },
		{ "\x1bsn", 1, 1, PROMPT_DENY, "no", NULL },                /* Alt+s */
		{ "\x1b\x1b[Bn", 1, 1, PROMPT_DENY, "no", NULL },
		{ "\x1b]0;soda\x07n", 1, 1, PROMPT_DENY, "no", NULL },    /* a terminal report */
		{ "\x1b]0;soda\x1b\\n", 1, 1, PROMPT_DENY, "no", NULL },
		{ "\x1bP1$rs\x1b\\o", 1, 1, PROMPT_ONCE, "once", NULL },
		/* a control key right after ESC is itself */
		{ "\x1b\x03", 1, 1, PROMPT_DENY, "ctrl-c", NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct scenario sc = { .mode = mode, .view = base_view(), .keys = cases[i].keys };
		sc.view.directory = cases[i].d ? "/home/me/Downloads" : NULL;
		sc.view.offer_always = cases[i].a;
		run(&sc, &outcome);
		if (outcome.choice != cases[i].want || strcmp(outcome.why, cases[i].why) != 0)
			FAIL("case %zu: got %d \"%s\", wanted %d \"%s\"", i, outcome.choice,
			     outcome.why, cases[i].want, cases[i].why);
		char record[256];
		snprintf(record, sizeof(record), "airlock: %s", cases[i].record ? cases[i].record : "");
		if (cases[i].record) {
			char *want = expected_output(&sc.view, 0, record);
			ASSERT_STREQ(outcome.out, want);
			free(want);
		}
		/* Exactly one erase per line printed, whatever the answer. */
		unsigned lines;
		free(render(&sc.view, 0, &lines));
		ASSERT_EQ(lines, count(outcome.out, ERASE_LINE));
	}
}

TEST(keys_through_pty)
{
	check_keys(PTY);
}

TEST(keys_through_pipes)
{
	check_keys(PIPES);
}

TEST(keys_after_answer_left_unread)
{
	/* Keys after the answer are left for the program: input is read one byte at a time. */
	struct scenario sc = { .mode = PTY, .view = base_view(), .keys = "on" };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_ONCE, outcome.choice);
	ASSERT_EQ('n', outcome.leftover);
}

TEST(input_before_prompt_discarded)
{
	for (int mode = PTY; mode <= PIPES; mode++) {
		struct scenario sc = { .mode = (enum mode)mode, .view = base_view(),
				       .before = "so", .keys = "n" };
		run(&sc, &outcome);
		ASSERT_EQ(PROMPT_DENY, outcome.choice);
		ASSERT_STREQ(outcome.why, "no");
	}
}

TEST(timeout_denies)
{
	struct scenario sc = { .mode = PTY, .view = base_view(), .timeout_ms = 200 };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DENY, outcome.choice);
	ASSERT_STREQ(outcome.why, "timeout");
	char *want = expected_output(&sc.view, 1,
				     "airlock: denied READ of /home/me/Downloads/spec.pdf (timeout)");
	ASSERT_STREQ(outcome.out, want);
	free(want);
}

TEST(countdown_rewrites_choices_line)
{
	/* 1.5 s shows "2s", and "1s" once half a second has gone: the choices line (two up from
	 * the cursor) is rewritten in place. No key: the answer is the timeout. */
	struct scenario sc = { .mode = PTY, .view = base_view(), .timeout_ms = 1500 };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DENY, outcome.choice);
	ASSERT_STREQ(outcome.why, "timeout");
	ASSERT_CONTAINS(outcome.out, "(auto-deny in 2s)\r\n└\r\n");
	ASSERT_CONTAINS(outcome.out, "\x1b[2A\r\x1b[2K│   [o]nce  [s]ession  [n]o   (auto-deny in 1s)"
				     "\x1b[2B\r");
	unsigned lines;
	free(render(&sc.view, 2, &lines));
	ASSERT_EQ(lines, count(outcome.out, ERASE_LINE));
	ASSERT_CONTAINS(outcome.out, "airlock: denied READ of /home/me/Downloads/spec.pdf (timeout)\r\n");
}

TEST(cancel_denies)
{
	struct scenario sc = { .mode = PTY, .view = base_view(), .timeout_ms = 60000,
			       .cancel = true };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DENY, outcome.choice);
	ASSERT_STREQ(outcome.why, "cancelled");
	char *want = expected_output(&sc.view, 60,
				     "airlock: denied READ of /home/me/Downloads/spec.pdf (cancelled)");
	ASSERT_STREQ(outcome.out, want);
	free(want);

	/* Already cancelled: nothing is shown at all. */
	sc = (struct scenario){ .mode = PTY, .view = base_view(), .cancel_first = true,
				.keys = "o" };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DENY, outcome.choice);
	ASSERT_STREQ(outcome.why, "cancelled");
	ASSERT_EQ(0, outcome.out_len);
}

TEST(end_of_input_denies)
{
	struct scenario sc = { .mode = PIPES, .view = base_view(), .close_input = true };
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DENY, outcome.choice);
	ASSERT_STREQ(outcome.why, "eof");
	char *want = expected_output(&sc.view, 0,
				     "airlock: denied READ of /home/me/Downloads/spec.pdf (eof)");
	ASSERT_STREQ(outcome.out, want);
	free(want);
}

TEST(quiet_and_escaped_record)
{
	struct scenario sc = { .mode = PTY, .view = base_view(), .keys = "s" };
	sc.view.quiet = true;
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_SESSION, outcome.choice);
	char *want = expected_output(&sc.view, 0, NULL);
	ASSERT_STREQ(outcome.out, want);
	free(want);

	sc = (struct scenario){ .mode = PTY, .view = base_view(), .keys = "d" };
	sc.view.path = "/tmp/" HOSTILE "/f";
	sc.view.directory = "/tmp/" HOSTILE;
	sc.view.operation = "unlink";
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_DIRECTORY, outcome.choice);
	ASSERT_CONTAINS(outcome.out,
			"\x1b[2Kairlock: allowed DELETE under /tmp/" HOSTILE_SHOWN " for this session\r\n");
	/* The only escape sequences are the erasure's. */
	unsigned lines;
	free(render(&sc.view, 0, &lines));
	ASSERT_EQ(2 * lines + 1, count(outcome.out, "\x1b"));
}

TEST(nonblocking_fds_and_full_pipe)
{
	/* A prompt longer than the pipe holds, on non-blocking fds: written in parts, polling. */
	char path[4000];
	memset(path, 'q', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[0] = '/';
	struct scenario sc = { .mode = PIPES, .view = base_view(), .keys = "o", .nonblock = true,
			       .small_pipe = true };
	sc.view.path = path;
	sc.view.columns = 4096;
	unsigned lines;
	char *text = render(&sc.view, 0, &lines);
	ASSERT_GT(strlen(text), 4096);
	free(text);
	run(&sc, &outcome);
	ASSERT_EQ(PROMPT_ONCE, outcome.choice);
	struct strbuf rec = { 0 };
	sb_printf(&rec, "airlock: allowed READ of %s once", path);
	char *want = expected_output(&sc.view, 0, rec.s);
	ASSERT_STREQ(outcome.out, want);
	free(want);
	sb_done(&rec);
}

HARNESS_MAIN
