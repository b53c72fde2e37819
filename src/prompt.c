/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal approval prompt: layout, key reading, erasing. Contracts are in prompt.h. */
#include "prompt.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "airlock/airlock.h"
#include "cleanup.h"
#include "util.h"

#define MIN_COLUMNS 32u
#define MAX_COLUMNS 4096u
#define FIELD_MAX_LINES 6u
/* An ESC followed by another byte within this many ms starts a sequence (a key that sends
 * several bytes, or a terminal report); a lone ESC is the Esc key. */
#define ESC_GAP_MS 20
/* A paste whose end marker has not come after this long is over anyway (so that a lost marker
 * cannot leave the prompt deaf until its timeout). */
#define PASTE_GAP_MS 1000
/* How long erasing may wait for a terminal that does not take output. */
#define ERASE_BOUND_MS 1000
/* Input discarded before the prompt, at most (a paste in flight). */
#define DISCARD_MAX 65536

/*
 * Our own decoration. Box-drawing characters, "⟦⟧", "↳" and "…" are East Asian "ambiguous"
 * width: one column in most terminals, two in some CJK set-ups. They are counted as two, so a
 * line never turns out wider than computed (a wrapped line would make the erase miss it).
 */
#define PREFIX "│   "
#define CONT_PREFIX "│ ↳ "
#define PREFIX_COLS 5u
#define CONT_COLS 6u

#define CSI "\x1b["
#define ERASE_LINE CSI "A" CSI "2K"

struct layout {
	struct strbuf b;
	unsigned width; /* columns a line may use */
	unsigned col;   /* columns used on the current line */
	unsigned lines; /* lines ended so far */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void lay_put(struct layout *l, const char *s, size_t n, unsigned cols)
{
	/* Wrap onto a continuation line; never twice in a row, so every unit lands somewhere. */
	if (l->col + cols > l->width && l->col > CONT_COLS) {
		sb_append(&l->b, "\r\n" CONT_PREFIX);
		l->lines++;
		l->col = CONT_COLS;
	}
	sb_appendn(&l->b, s, n);
	l->col += cols;
}

static void lay_end_line(struct layout *l)
{
	sb_append(&l->b, "\r\n");
	l->lines++;
	l->col = 0;
}

/* Our own text (trusted, valid UTF-8): ASCII counts 1, anything else 2. */
static void lay_text(struct layout *l, const char *s)
{
	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)s, &cp);
		if (n == 0)
			n = 1;
		lay_put(l, s, n, cp < 0x80 ? 1 : 2);
		s += n;
	}
}

/* Our own text as one unit: wrapped as a whole, not in the middle of a word. */
static void lay_word(struct layout *l, const char *s)
{
	unsigned cols = 0;
	for (const char *p = s; *p;) {
		uint32_t cp;
		size_t n = utf8_decode((const unsigned char *)p, &cp);
		cols += n && cp < 0x80 ? 1 : 2;
		p += n ? n : 1;
	}
	if (cols + CONT_COLS > l->width) {
		lay_text(l, s);
		return;
	}
	lay_put(l, s, strlen(s), cols);
}

static unsigned display_width(const char *s)
{
	char buf[UTF8_ESCAPE_MAX];
	unsigned total = 0, cols;
	while (*s) {
		s += utf8_escape_char(s, buf, &cols);
		total = total > UINT_MAX - cols ? UINT_MAX : total + cols;
	}
	return total;
}

/* Untrusted text, escaped. */
static void lay_escaped(struct layout *l, const char *s)
{
	char buf[UTF8_ESCAPE_MAX];
	unsigned cols;
	while (*s) {
		s += utf8_escape_char(s, buf, &cols);
		lay_put(l, buf, strlen(buf), cols);
	}
}

/* Untrusted text cut to budget columns, ending in "…" when cut. */
static void lay_escaped_cut(struct layout *l, const char *s, unsigned budget)
{
	if (display_width(s) <= budget) {
		lay_escaped(l, s);
		return;
	}
	char buf[UTF8_ESCAPE_MAX];
	unsigned used = 0, cols;
	while (*s) {
		size_t n = utf8_escape_char(s, buf, &cols);
		if (used + cols + 2 > budget)
			break;
		lay_put(l, buf, strlen(buf), cols);
		used += cols;
		s += n;
	}
	lay_text(l, "…");
}

/*
 * A field the user must be able to check (a path): shown whole, wrapped, up to
 * FIELD_MAX_LINES lines. Past that, its head and its tail (where the file name is) with the
 * number of characters left out between them: the prompt has to stay on one screen to be
 * erased, and neither end of the name can be hidden.
 */
static void lay_field(struct layout *l, const char *s)
{
	unsigned per_line = l->width - CONT_COLS;
	unsigned total = display_width(s);
	if (total <= FIELD_MAX_LINES * per_line) {
		lay_escaped(l, s);
		return;
	}

	char buf[UTF8_ESCAPE_MAX];
	unsigned cols, used = 0, head = 2 * per_line, tail = 3 * per_line, left_out = 0;
	const char *p = s;
	while (*p) {
		size_t n = utf8_escape_char(p, buf, &cols);
		if (used + cols > head)
			break;
		lay_put(l, buf, strlen(buf), cols);
		used += cols;
		p += n;
	}
	/* Skip to where the rest fits in tail columns. */
	unsigned rest = total - used;
	while (*p && rest > tail) {
		p += utf8_escape_char(p, buf, &cols);
		rest -= cols;
		left_out++;
	}
	char note[64];
	snprintf(note, sizeof(note), " …(%u characters not shown)… ", left_out);
	lay_text(l, note);
	lay_escaped(l, p);
}

static const struct {
	const char *op, *words;
} op_words[] = {
	{ "mkdir", "CREATE DIRECTORY" },
	{ "mknod", "CREATE SPECIAL FILE" },
	{ "unlink", "DELETE" },
	{ "rmdir", "DELETE DIRECTORY" },
	{ "rename", "RENAME" },
	{ "link", "HARD-LINK" },
	{ "symlink", "CREATE SYMLINK" },
	{ "truncate", "TRUNCATE" },
	{ "chmod", "CHANGE PERMISSIONS OF" },
};

/* What the program wants, in words: the access for "open", the operation otherwise. */
static void action_append(struct strbuf *b, const struct prompt_view *v)
{
	const char *op = v->operation;
	if (!op || !op[0] || strcmp(op, "open") == 0) {
		static const char *const names[] = { "READ", "WRITE", "EXECUTE" };
		bool any = false;
		for (unsigned i = 0; i < ELEMENTSOF(names); i++)
			if (v->access & (1u << i)) {
				sb_printf(b, "%s%s", any ? "+" : "", names[i]);
				any = true;
			}
		if (!any)
			sb_append(b, "OPEN");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(op_words); i++)
		if (strcmp(op, op_words[i].op) == 0) {
			sb_append(b, op_words[i].words);
			return;
		}
	char buf[UTF8_ESCAPE_MAX];
	unsigned cols;
	for (const char *s = op; *s;) {
		if (*s >= 'a' && *s <= 'z') {
			char up = (char)(*s++ - 'a' + 'A');
			sb_appendn(b, &up, 1);
			continue;
		}
		s += utf8_escape_char(s, buf, &cols);
		sb_append(b, buf);
	}
}

enum choices_form { FORM_LONG, FORM_SHORT, FORM_TINY, FORM_COUNT };

static void choices_append(struct strbuf *b, const struct prompt_view *v, unsigned secs,
			   enum choices_form form)
{
	bool d = v->directory != NULL, a = v->offer_always;
	switch (form) {
	case FORM_LONG:
		sb_printf(b, "[o]nce  [s]ession  %s%s[n]o", d ? "[d]irectory for session  " : "",
			  a ? "[a]lways  " : "");
		if (secs)
			sb_printf(b, "   (auto-deny in %us)", secs);
		break;
	case FORM_SHORT:
		sb_printf(b, "[o]nce [s]ession %s%s[n]o", d ? "[d]ir " : "", a ? "[a]lways " : "");
		if (secs)
			sb_printf(b, "  (%us)", secs);
		break;
	default:
		sb_printf(b, "[o/s%s%s/n]", d ? "/d" : "", a ? "/a" : "");
		if (secs)
			sb_printf(b, " %us", secs);
		break;
	}
}

/* The widest form that fits (the line is rewritten in place, so it must never wrap). */
static enum choices_form choices_pick(const struct prompt_view *v, unsigned secs, unsigned width)
{
	for (enum choices_form f = FORM_LONG; f < FORM_TINY; f++) {
		struct strbuf t = { 0 };
		choices_append(&t, v, secs, f);
		size_t len = t.len;
		sb_done(&t);
		if (len + PREFIX_COLS <= width)
			return f;
	}
	return FORM_TINY;
}

static bool tag_valid(const char *tag)
{
	if (!tag || strlen(tag) != 4)
		return false;
	for (const char *c = tag; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

/* Whether dir is the directory that contains path, textually. */
static bool is_parent(const char *dir, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return false;
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	return strlen(dir) == n && strncmp(dir, path, n) == 0;
}

static int render(const struct prompt_view *v, unsigned secs, enum choices_form form,
		  char **ret_text, unsigned *ret_lines, enum choices_form *ret_form)
{
	if (!v || !v->path || !tag_valid(v->tag))
		return -EINVAL;

	unsigned columns = v->columns ? v->columns : 80;
	columns = columns < MIN_COLUMNS ? MIN_COLUMNS : columns > MAX_COLUMNS ? MAX_COLUMNS : columns;
	/* One column spare: a line that fills the last column leaves some terminals wrapped. */
	struct layout l = { .width = columns - 1 };
	struct strbuf action = { 0 };
	char buf[64];

	action_append(&action, v);
	if (action.oom) {
		sb_done(&l.b);
		return -ENOMEM;
	}

	/* ┌ airlock ⟦TAG⟧ ─ comm (pid N: cmdline) wants to ACTION */
	lay_text(&l, "┌ airlock ⟦");
	lay_text(&l, v->tag);
	lay_text(&l, "⟧ ─ ");
	lay_escaped(&l, v->comm ? v->comm : "?");
	lay_text(&l, " ");
	snprintf(buf, sizeof(buf), "(pid %d", (int)v->pid);
	lay_word(&l, buf);
	struct strbuf wants = { 0 };
	sb_printf(&wants, "wants to %s", action.s);
	if (wants.oom) {
		sb_done(&action);
		sb_done(&l.b);
		return -ENOMEM;
	}
	if (v->cmdline && v->cmdline[0]) {
		lay_text(&l, ": ");
		/* Cut the command line so that the action stays on this line; on a terminal too
		 * narrow for that, keep some of it and let the line wrap. */
		unsigned after = 2 + (unsigned)strlen(wants.s);
		unsigned budget = l.col + after < l.width ? l.width - l.col - after : 0;
		lay_escaped_cut(&l, v->cmdline, budget < 8 ? 16 : budget);
	}
	lay_text(&l, ") ");
	lay_word(&l, wants.s);
	sb_done(&wants);
	lay_end_line(&l);
	sb_done(&action);

	lay_text(&l, PREFIX);
	lay_field(&l, v->path);
	lay_end_line(&l);

	if (v->more) {
		snprintf(buf, sizeof(buf), "and %u more", v->more);
		lay_text(&l, PREFIX);
		lay_text(&l, buf);
		if (v->directory) {
			lay_text(&l, " in ");
			lay_field(&l, v->directory);
		}
		lay_end_line(&l);
	} else if (v->directory && !is_parent(v->directory, v->path)) {
		/* 'd' grants a directory the user did not see: name it. */
		lay_text(&l, PREFIX "[d]irectory: ");
		lay_field(&l, v->directory);
		lay_end_line(&l);
	}

	if (v->group) {
		lay_text(&l, PREFIX "reason: ");
		lay_field(&l, v->group);
		lay_end_line(&l);
	}

	if (form >= FORM_COUNT)
		form = choices_pick(v, secs, l.width);
	sb_append(&l.b, PREFIX);
	choices_append(&l.b, v, secs, form);
	lay_end_line(&l);
	lay_text(&l, "└");
	lay_end_line(&l);

	int r = sb_take(&l.b, ret_text);
	if (r < 0)
		return r;
	*ret_lines = l.lines;
	if (ret_form)
		*ret_form = form;
	return 0;
}

int prompt_render(const struct prompt_view *v, unsigned seconds_left, char **ret_text,
		  unsigned *ret_lines)
{
	return render(v, seconds_left, FORM_COUNT, ret_text, ret_lines, NULL);
}

/*
 * Wait until fd has events, or max_ms (-1: no bound) passes (0), the deadline (0: none)
 * passes (-ETIME) or cancel_fd (-1: none) is readable (-ECANCELED). An unusable cancel_fd
 * counts as cancelled: failing closed ends the prompt as deny.
 */
static int wait_fd(int fd, short events, int cancel_fd, uint64_t deadline, int max_ms)
{
	for (;;) {
		int t = max_ms;
		if (deadline) {
			uint64_t now = now_ms();
			if (now >= deadline)
				return -ETIME;
			uint64_t left = deadline - now;
			if (t < 0 || left < (uint64_t)t)
				t = left > INT_MAX ? INT_MAX : (int)left;
		}
		struct pollfd p[2] = { { .fd = fd, .events = events },
				       { .fd = cancel_fd, .events = POLLIN } };
		int r = poll(p, cancel_fd >= 0 ? 2 : 1, t);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (cancel_fd >= 0 && p[1].revents)
			return -ECANCELED;
		if (p[0].revents & POLLNVAL)
			return -EBADF;
		if (p[0].revents)
			return 1;
		if (deadline && now_ms() >= deadline)
			return -ETIME;
		if (max_ms >= 0)
			return 0;
	}
}

/* Write all of buf (fd may be non-blocking). *ret_written (if non-NULL): bytes written. */
static int write_all(int fd, const char *buf, size_t n, int cancel_fd, uint64_t deadline,
		     size_t *ret_written)
{
	size_t done = 0;
	int r = 0;
	while (done < n) {
		r = wait_fd(fd, POLLOUT, cancel_fd, deadline, -1);
		if (r < 0)
			break;
		ssize_t k = write(fd, buf + done, n - done);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = negative_errno();
			break;
		}
		done += (size_t)k;
	}
	if (ret_written)
		*ret_written = done;
	return r < 0 ? r : 0;
}

/*
 * Input that was already waiting when the prompt appeared was typed for the program (or is a
 * terminal's late answer to something it asked), before anyone could see the question: if it
 * were read as an answer, a user typing "so" into the program would grant a session. So it goes.
 */
static void discard_pending_input(int fd)
{
	if (tcflush(fd, TCIFLUSH) == 0)
		return;
	char buf[256];
	for (size_t total = 0; total < DISCARD_MAX;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			return;
		ssize_t k = read(fd, buf, sizeof(buf));
		if (k <= 0)
			return;
		total += (size_t)k;
	}
}

static const char *why_for(int r)
{
	return r == -ETIME ? "timeout" : r == -ECANCELED ? "cancelled" : "error";
}

enum key_state {
	K_KEY,     /* between keys */
	K_ESC,     /* after ESC */
	K_CSI,     /* ESC [ parameters... */
	K_SS3,     /* ESC O */
	K_STR,     /* ESC ] / P / _ / ^ / X: a string up to BEL or ESC \ */
	K_STR_ESC, /* ESC inside such a string */
	K_PASTE,   /* bracketed paste: ESC [ 200 ~ ... ESC [ 201 ~ */
};

struct key_reader {
	enum key_state st;
	char csi[8]; /* the CSI's parameter bytes (the first few) */
	unsigned ncsi;
	unsigned paste_end; /* bytes of the paste's end marker seen */
};

struct answer {
	bool done;
	enum prompt_choice choice;
	const char *why;
};

static void answer(struct answer *a, enum prompt_choice c, const char *why)
{
	*a = (struct answer){ .done = true, .choice = c, .why = why };
}

/*
 * Take one input byte. Keys act only between sequences; a sequence is swallowed whole, because
 * its bytes would otherwise read as answers: the "A" of an arrow key ("\x1bOA"), Alt+s
 * ("\x1bs"), a terminal report carrying text the program chose (a window title), and a paste
 * (when the program turned bracketed paste on), whose text was meant for the program.
 */
static void feed(struct key_reader *kr, unsigned char c, const struct prompt_view *v,
		 struct answer *a)
{
	static const char paste_end[] = "\x1b[201~";

	switch (kr->st) {
	case K_ESC:
		kr->st = K_KEY;
		if (c == '[') {
			kr->st = K_CSI;
			kr->ncsi = 0;
			return;
		}
		if (c == 'O') {
			kr->st = K_SS3;
			return;
		}
		if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
			kr->st = K_STR;
			return;
		}
		if (c == 0x1b) {
			kr->st = K_ESC;
			return;
		}
		if (c >= 0x20 && c != 0x7f)
			return; /* Alt+key */
		break;          /* a control key: taken as itself below */
	case K_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			if (kr->ncsi < sizeof(kr->csi))
				kr->csi[kr->ncsi++] = (char)c;
			return;
		}
		kr->st = K_KEY;
		if (c == '~' && kr->ncsi == 3 && memcmp(kr->csi, "200", 3) == 0) {
			kr->st = K_PASTE;
			kr->paste_end = 0;
			return;
		}
		if (c >= 0x40 && c <= 0x7e)
			return;
		break;
	case K_SS3:
		kr->st = K_KEY;
		if (c >= 0x20 && c <= 0x7e)
			return;
		break;
	case K_STR:
		kr->st = c == 0x07 ? K_KEY : c == 0x1b ? K_STR_ESC : K_STR;
		return;
	case K_STR_ESC:
		if (c == '\\') {
			kr->st = K_KEY;
			return;
		}
		/* An ESC that does not end the string starts a new sequence. */
		kr->st = K_ESC;
		feed(kr, c, v, a);
		return;
	case K_PASTE:
		if (c == (unsigned char)paste_end[kr->paste_end])
			kr->paste_end++;
		else
			kr->paste_end = c == 0x1b ? 1 : 0;
		if (kr->paste_end == strlen(paste_end))
			kr->st = K_KEY;
		return;
	case K_KEY:
		break;
	}

	switch (c) {
	case 'o':
	case 'O':
		answer(a, PROMPT_ONCE, "once");
		break;
	case 's':
	case 'S':
		answer(a, PROMPT_SESSION, "session");
		break;
	case 'd':
	case 'D':
		if (v->directory)
			answer(a, PROMPT_DIRECTORY, "directory");
		break;
	case 'a':
	case 'A':
		if (v->offer_always)
			answer(a, PROMPT_ALWAYS, "always");
		break;
	case 'n':
	case 'N':
		answer(a, PROMPT_DENY, "no");
		break;
	case 0x03:
		answer(a, PROMPT_DENY, "ctrl-c");
		break;
	case 0x04:
		answer(a, PROMPT_DENY, "ctrl-d");
		break;
	case 0x1b:
		kr->st = K_ESC;
		break;
	default:
		break;
	}
}

struct asker {
	int in_fd, out_fd, cancel_fd;
	uint64_t deadline;
	const struct prompt_view *v;
	enum choices_form form;
	unsigned shown; /* seconds on the choices line */
};

/* Rewrite the choices line (the next to last) in place; the cursor comes back below the
 * prompt, at the start of the line. */
static int countdown(struct asker *k, unsigned secs)
{
	struct strbuf b = { 0 };
	sb_append(&b, CSI "2A\r" CSI "2K" PREFIX);
	choices_append(&b, k->v, secs, k->form);
	sb_append(&b, CSI "2B\r");
	if (b.oom) {
		sb_done(&b);
		return -ENOMEM;
	}
	int r = write_all(k->out_fd, b.s, b.len, k->cancel_fd, k->deadline, NULL);
	sb_done(&b);
	if (r >= 0)
		k->shown = secs;
	return r;
}

static void read_answer(struct asker *k, struct answer *a)
{
	struct key_reader kr = { .st = K_KEY };
	uint64_t gap_end = 0;

	while (!a->done) {
		uint64_t now = now_ms();
		int max_ms = -1;
		if (k->deadline) {
			if (now >= k->deadline) {
				answer(a, PROMPT_DENY, "timeout");
				break;
			}
			uint64_t left = k->deadline - now;
			unsigned secs = (unsigned)((left + 999) / 1000);
			if (secs != k->shown) {
				int r = countdown(k, secs);
				if (r < 0) {
					answer(a, PROMPT_DENY, why_for(r));
					break;
				}
			}
			/* Until the number shown changes. */
			max_ms = (int)(left - (uint64_t)(secs - 1) * 1000);
		}
		if (kr.st != K_KEY) {
			if (now >= gap_end) {
				/* A sequence stopped short; after a lone ESC, that is the Esc key. */
				if (kr.st == K_ESC)
					answer(a, PROMPT_DENY, "escape");
				kr.st = K_KEY;
				continue;
			}
			if (max_ms < 0 || gap_end - now < (uint64_t)max_ms)
				max_ms = (int)(gap_end - now);
		}

		int r = wait_fd(k->in_fd, POLLIN, k->cancel_fd, k->deadline, max_ms);
		if (r == 0)
			continue;
		if (r < 0) {
			answer(a, PROMPT_DENY, why_for(r));
			break;
		}

		/* One byte at a time: whatever follows the answer stays for the program. */
		unsigned char c;
		ssize_t n = read(k->in_fd, &c, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			/* EIO: the terminal hung up. */
			answer(a, PROMPT_DENY, n == 0 || errno == EIO ? "eof" : "error");
			break;
		}
		feed(&kr, c, k->v, a);
		gap_end = now_ms() + (kr.st == K_PASTE ? PASTE_GAP_MS : ESC_GAP_MS);
	}
}

static void record_append(struct strbuf *b, const struct prompt_view *v, const struct answer *a)
{
	sb_append(b, a->choice == PROMPT_DENY ? "airlock: denied " : "airlock: allowed ");
	action_append(b, v);
	if (a->choice == PROMPT_DIRECTORY) {
		sb_append(b, " under ");
		sb_append_display(b, v->directory);
	} else {
		sb_append(b, " of ");
		sb_append_display(b, v->path);
	}
	switch (a->choice) {
	case PROMPT_DENY:
		sb_printf(b, " (%s)", a->why);
		break;
	case PROMPT_ONCE:
		sb_append(b, " once");
		break;
	case PROMPT_SESSION:
	case PROMPT_DIRECTORY:
		sb_append(b, " for this session");
		break;
	case PROMPT_ALWAYS:
		sb_append(b, " always");
		break;
	}
	sb_append(b, "\r\n");
}

/*
 * Erase the lines the prompt printed: from below its last line, clear the current line, then
 * go up and clear one line at a time. Relative moves, not a saved cursor position (ESC 7/8):
 * printing the prompt may have scrolled the screen, which a saved position does not follow.
 */
static void erase_and_record(int out_fd, unsigned lines, const struct prompt_view *v,
			     const struct answer *a)
{
	struct strbuf b = { 0 };
	sb_append(&b, "\r" CSI "2K");
	for (unsigned i = 0; i < lines; i++)
		sb_append(&b, ERASE_LINE);
	if (!v->quiet)
		record_append(&b, v, a);
	if (!b.oom)
		(void)write_all(out_fd, b.s, b.len, -1, now_ms() + ERASE_BOUND_MS, NULL);
	sb_done(&b);
}

enum prompt_choice prompt_ask(int in_fd, int out_fd, int cancel_fd, unsigned timeout_ms,
			      const struct prompt_view *v, char *why, size_t why_size)
{
	struct asker k = {
		.in_fd = in_fd,
		.out_fd = out_fd,
		.cancel_fd = cancel_fd,
		.deadline = timeout_ms ? now_ms() + timeout_ms : 0,
		.v = v,
		.shown = timeout_ms ? (unsigned)(((uint64_t)timeout_ms + 999) / 1000) : 0,
	};
	struct answer a = { .choice = PROMPT_DENY, .why = "error" };
	_cleanup_free_ char *text = NULL;
	unsigned lines = 0;

	if (render(v, k.shown, FORM_COUNT, &text, &lines, &k.form) < 0)
		goto out;

	discard_pending_input(in_fd);

	/* Start on a fresh line: the program may have left the cursor mid-line. */
	size_t written = 0;
	int r = write_all(out_fd, "\r\n", 2, cancel_fd, k.deadline, &written);
	if (r < 0) {
		/* Nothing of ours is on the screen (the line may be the program's): leave it. */
		answer(&a, PROMPT_DENY, why_for(r));
		goto out;
	}
	r = write_all(out_fd, text, strlen(text), cancel_fd, k.deadline, &written);
	if (r < 0) {
		/* Erase what did get out. */
		unsigned printed = 0;
		for (size_t i = 0; i < written; i++)
			printed += text[i] == '\n';
		answer(&a, PROMPT_DENY, why_for(r));
		erase_and_record(out_fd, printed, v, &a);
		goto out;
	}

	read_answer(&k, &a);
	erase_and_record(out_fd, lines, v, &a);
out:
	if (why && why_size)
		snprintf(why, why_size, "%s", a.why);
	return a.done ? a.choice : PROMPT_DENY;
}
