/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor, end to end: runtime grants for unmodified programs that survive exec(), each
 * operation class approved and denied, secrets that no grant unlocks, and the static twin.
 * Approvers are small shell scripts that log every request they get.
 */
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include "e2e.h"

static struct e2e_fixture f;
static struct e2e_result r;
static char approver[PATH_MAX], asked[PATH_MAX];

/* The directory part of a path (a fresh buffer of a small ring). */
static const char *dirname_of(const char *path)
{
	static char buf[4][PATH_MAX];
	static unsigned slot;
	char *b = buf[slot++ % 4];
	snprintf(b, PATH_MAX, "%s", path);
	char *slash = strrchr(b, '/');
	if (slash && slash != b)
		*slash = '\0';
	return b;
}

/* An approver that answers `answer` (printf format; %s is the requested path) and appends each
 * request to the log, one per line. */
static void make_approver(const char *answer)
{
	snprintf(asked, sizeof(asked), "%s/asked.log", f.root);
	snprintf(approver, sizeof(approver), "%s/approver.sh", f.root);
	char *script = NULL;
	ASSERT_LT(0, asprintf(&script,
			      "#!/bin/sh\nreq=$(cat)\nprintf '%%s\\n' \"$req\" >> '%s'\n"
			      "path=$(printf '%%s' \"$req\" | sed -n 's/.*\"path\": *\"\\([^\"]*\\)\".*/\\1/p')\n"
			      "printf '%s' \"$path\"\n",
			      asked, answer));
	e2e_write_file(approver, script, 0755);
	free(script);
}

static int n_asked(void)
{
	char buf[65536];
	if (e2e_read_file(asked, buf, sizeof(buf)) != 0)
		return 0;
	int n = 0;
	for (char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

static void setup(void)
{
	e2e_fixture_setup(&f);
}

#define NOTES e2e_path("%s/notes", f.home)

/* The headline: a grant made for one process is used by later exec'd processes, and a second
 * access covered by the grant asks nobody. */
TEST(grant_survives_exec_and_is_remembered)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "sh", "-c",
				 "sh -c 'cat \"$HOME/notes/n.txt\"'; exec cat \"$HOME/notes/n.txt\""));
	ASSERT_STREQ("note\nnote\n", r.out);
	ASSERT_EQ(1, n_asked());
	char log[65536];
	ASSERT_EQ(0, e2e_read_file(asked, log, sizeof(log)));
	ASSERT_CONTAINS(log, "\"operation\":\"open\"");
	ASSERT_CONTAINS(log, e2e_path("\"path\":\"%s/notes/n.txt\"", f.home));
	ASSERT_CONTAINS(log, "\"access\":\"r\"");
	ASSERT_CONTAINS(log, "\"cmdline\":\"cat ");
}

/* The approver learns the group of the rule that asks (a profile's label for it), from a
 * compiled policy that outlived the one it was compiled from. */
TEST(approver_gets_the_rule_group)
{
	setup();
	make_approver("{\"decision\": \"deny\"}");
	const char *prof = e2e_path("%s/p.json", f.root);
	e2e_write_file(prof, "{\"extends\": \"default\", \"filesystem\": [{\"path\": \"$HOME/notes\", "
			     "\"ask\": \"rw\", \"group\": \"personal notes\"}]}", 0644);
	ASSERT_NE(0, e2e_airlock(&r, "run", "-p", prof, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/n.txt", NOTES)));
	char log[65536];
	ASSERT_EQ(0, e2e_read_file(asked, log, sizeof(log)));
	ASSERT_CONTAINS(log, "\"group\":\"personal notes\"");
}

TEST(ask_without_approver_denies_and_says_how)
{
	setup();
	ASSERT_NE(0, e2e_airlock(&r, "run", "--ask", NOTES, "--", "cat", e2e_path("%s/n.txt", NOTES)));
	ASSERT_NOT_CONTAINS(r.out, "note");
	ASSERT_CONTAINS(r.err, "needs approval");
	ASSERT_CONTAINS(r.err, "--approve-cmd");
}

TEST(denying_approver_denies)
{
	setup();
	make_approver("{\"decision\": \"deny\"}");
	ASSERT_NE(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/n.txt", NOTES)));
	ASSERT_NOT_CONTAINS(r.out, "note");
	ASSERT_EQ(1, n_asked());
}

TEST(once_grant_asks_again)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"once\"}");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "sh", "-c",
				 "cat \"$HOME/notes/n.txt\"; cat \"$HOME/notes/n.txt\""));
	ASSERT_STREQ("note\nnote\n", r.out);
	ASSERT_EQ(2, n_asked());
}

/* One decision for a whole directory: the approver widens the grant to the directory. */
TEST(directory_grant_one_decision)
{
	setup();
	for (int i = 0; i < 30; i++)
		e2e_write_file(e2e_path("%s/f%d", NOTES, i), "x", 0644);
	char answer[PATH_MAX + 128];
	snprintf(answer, sizeof(answer), "{\"decision\": \"allow\", \"scope\": \"session\", \"path\": \"%s\"}",
		 NOTES);
	make_approver(answer);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "sh", "-c",
				 "cat \"$HOME\"/notes/f* | wc -c"));
	ASSERT_STREQ("30\n", r.out);
	ASSERT_EQ(1, n_asked());
}

/* Every write-class operation in an ask:rw directory, approved; the twin, denied, leaves the
 * directory exactly as it was. */
static const char *writes =
	"set -e; cd \"$HOME/notes\"; echo a > w.txt; echo b >> w.txt; mkdir d; mv w.txt d/;"
	"ln -s d/w.txt s; ln d/w.txt h; chmod 600 d/w.txt; truncate -s 1 h; touch -d @0 d/w.txt;"
	"rm s; rmdir_target=$(mktemp -d -p .); rmdir \"$rmdir_target\"; mkfifo p; cat d/w.txt; echo; stat -c %a d/w.txt";

TEST(write_operations_approved)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", e2e_path("%s:rw", NOTES), "--approve-cmd", approver,
				 "--", "sh", "-c", writes));
	ASSERT_STREQ("a\n600\n", r.out);
	struct stat st;
	ASSERT_EQ(0, stat(e2e_path("%s/d/w.txt", NOTES), &st));
	ASSERT_EQ(0, (long)st.st_mtime);
	ASSERT_EQ(0, lstat(e2e_path("%s/p", NOTES), &st));
	ASSERT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_NE(0, access(e2e_path("%s/s", NOTES), F_OK));
}

/* The legacy time calls (utime, utimes) are performed by the supervisor on the resolved object
 * where a grant allows writing, and refused where nothing does or a deny rule says no. */
TEST(legacy_time_calls_brokered)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	const char *probe = e2e_helper("probe"), *n = e2e_path("%s/n.txt", NOTES);
	char script[PATH_MAX * 4];
	snprintf(script, sizeof(script), "'%1$s' utime-old '%2$s/n.txt' 1000000; "
		 "'%1$s' utimes-old '%2$s/m.txt' 2000000; '%1$s' utime-old '%3$s' 5; "
		 "'%1$s' utime-old '%2$s' 5",
		 probe, NOTES, f.secret);
	e2e_write_file(e2e_path("%s/m.txt", NOTES), "m\n", 0644);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", e2e_path("%s", dirname_of(probe)), "--ask",
				 e2e_path("%s:rw", NOTES), "--approve-cmd", approver, "--", "sh", "-c", script));
	/* The rule's own directory is never changed (EPERM, as for chmod). */
	ASSERT_STREQ("ok\nok\nEACCES\nEPERM\n", r.out);
	struct stat st;
	ASSERT_EQ(0, stat(n, &st));
	ASSERT_EQ(1000000, (long)st.st_mtime);
	ASSERT_EQ(0, stat(e2e_path("%s/m.txt", NOTES), &st));
	ASSERT_EQ(2000000, (long)st.st_mtime);
	ASSERT_EQ(500000000, st.st_mtim.tv_nsec);
	ASSERT_EQ(0, stat(f.secret, &st));
	ASSERT_NE(5, (long)st.st_mtime);
	/* Without an approver: nothing. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", e2e_path("%s", dirname_of(probe)), "--ask", NOTES,
				 "--", probe, "utime-old", n, "7"));
	ASSERT_STREQ("EACCES\n", r.out);
	ASSERT_EQ(0, stat(n, &st));
	ASSERT_EQ(1000000, (long)st.st_mtime);
}

TEST(write_operations_denied)
{
	setup();
	make_approver("{\"decision\": \"deny\"}");
	const char *each[] = {
		"echo a > \"$HOME/notes/w.txt\"", "echo b >> \"$HOME/notes/n.txt\"", "mkdir \"$HOME/notes/d\"",
		"mv \"$HOME/notes/n.txt\" \"$HOME/notes/m.txt\"", "ln -s x \"$HOME/notes/s\"",
		"chmod 600 \"$HOME/notes/n.txt\"", "rm \"$HOME/notes/n.txt\"", "touch -d @0 \"$HOME/notes/n.txt\"",
		"truncate -s 0 \"$HOME/notes/n.txt\"",
	};
	for (size_t i = 0; i < ELEMENTSOF(each); i++) {
		if (e2e_airlock(&r, "run", "--ask", e2e_path("%s:rw", NOTES), "--approve-cmd", approver, "--",
				"sh", "-c", each[i]) == 0)
			FAIL("allowed: %s", each[i]);
	}
	struct stat st;
	ASSERT_EQ(0, stat(e2e_path("%s/n.txt", NOTES), &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	ASSERT_NE(0, st.st_mtime);
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/n.txt", NOTES), buf, sizeof(buf)));
	ASSERT_STREQ("note\n", buf);
	ASSERT_NE(0, access(e2e_path("%s/w.txt", NOTES), F_OK));
	ASSERT_NE(0, access(e2e_path("%s/d", NOTES), F_OK));
	ASSERT_NE(0, access(e2e_path("%s/s", NOTES), F_OK));
}

/* An approver that allows everything, as widely as it can, still cannot unlock a deny rule. */
TEST(secrets_stay_denied_whatever_the_approver_says)
{
	setup();
	char answer[PATH_MAX + 128];
	snprintf(answer, sizeof(answer), "{\"decision\": \"allow\", \"scope\": \"session\", \"path\": \"%s\"}",
		 f.home);
	make_approver(answer);
	ASSERT_NE(0, e2e_airlock(&r, "run", "--ask", f.home, "--approve-cmd", approver, "--", "cat", f.secret));
	ASSERT_NOT_CONTAINS(r.out, f.canary);
	/* The approver was never even asked about the secret. */
	ASSERT_EQ(0, n_asked());
	/* A hardlink made before the start inside the writable project is the same object. */
	ASSERT_EQ(0, link(f.secret, e2e_path("%s/key", f.proj)));
	ASSERT_NE(0, e2e_airlock(&r, "run", "--", "cat", "key"));
	ASSERT_NOT_CONTAINS(r.out, f.canary);
	ASSERT_NE(0, e2e_airlock(&r, "run", "--", "sh", "-c", "cp key key2; cat key2"));
	ASSERT_NOT_CONTAINS(r.out, f.canary);
}

/* Deny inside allow, supervised: new entries in the carved project directory work. */
TEST(carved_directory_new_entries_supervised)
{
	setup();
	e2e_write_file(e2e_path("%s/.env", f.proj), "TOKEN=x\n", 0600);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--deny", e2e_path("%s/.env", f.proj), "--", "sh", "-c",
				 "echo c > c.txt && cat c.txt && mkdir dd && mv c.txt dd/ && ls dd"));
	ASSERT_STREQ("c\nc.txt\n", r.out);
	ASSERT_NE(0, e2e_airlock(&r, "run", "--deny", e2e_path("%s/.env", f.proj), "--", "cat", ".env"));
	ASSERT_NE(0, e2e_airlock(&r, "run", "--deny", e2e_path("%s/.env", f.proj), "--", "rm", ".env"));
	ASSERT_EQ(0, access(e2e_path("%s/.env", f.proj), F_OK));
	/* The static twin cannot create them. */
	ASSERT_NE(0, e2e_airlock(&r, "run", "--static", "--deny", e2e_path("%s/.env", f.proj), "--", "sh",
				 "-c", "echo c > c2.txt"));
}

TEST(static_mode_has_no_runtime_grants)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	ASSERT_EQ(125, e2e_airlock(&r, "run", "--static", "--ask", NOTES, "--approve-cmd", approver, "--", "true"));
	ASSERT_CONTAINS(r.err, "--static has no supervisor");
	ASSERT_NE(0, e2e_airlock(&r, "run", "--static", "--ask", NOTES, "--", "cat", e2e_path("%s/n.txt", NOTES)));
	ASSERT_EQ(0, n_asked());
}

/* Files created through the supervisor get the requester's umask, O_APPEND and O_TRUNC act. */
TEST(exact_open_semantics)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", e2e_path("%s:rw", NOTES), "--approve-cmd", approver,
				 "--", "sh", "-c",
				 "cd \"$HOME/notes\"; umask 027; echo one > u; echo two >> u; cat u; "
				 "echo three > u; cat u; stat -c %a u"));
	ASSERT_STREQ("one\ntwo\nthree\n640\n", r.out);
	/* openat() relative to a directory fd under the grant. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--",
				 "/usr/bin/python3", "-c",
				 "import os; d = os.open(os.environ['HOME'] + '/notes', os.O_RDONLY);"
				 "print(os.read(os.open('n.txt', os.O_RDONLY, dir_fd=d), 100).decode(), end='')"));
	ASSERT_STREQ("note\n", r.out);
}

/* The errno a program sees for bad paths is the kernel's, supervised or not. */
TEST(errno_parity_on_bad_paths)
{
	setup();
	const char *py =
		"import os, errno\n"
		"cases = ['', 'nope/x', 'a.txt/x', 'loop', 'x' * 300, '/' + 'y/' * 2100, '\\x01\\x02']\n"
		"os.symlink('loop', 'loop')\n"
		"for c in cases:\n"
		"    try:\n"
		"        os.close(os.open(c, os.O_RDONLY))\n"
		"        print('ok')\n"
		"    except OSError as e:\n"
		"        print(errno.errorcode[e.errno])\n";
	static struct e2e_result b;
	ASSERT_EQ(0, e2e_exec(&b, (const char *const[]){ "/usr/bin/python3", "-c", py, NULL }));
	const char *bare = b.out;
	unlink("loop");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--", "/usr/bin/python3", "-c", py));
	ASSERT_STREQ(bare, r.out);
	ASSERT_CONTAINS(bare, "ENAMETOOLONG");
	ASSERT_CONTAINS(bare, "ELOOP");
}

/*
 * Extended attributes by path are performed by the supervisor (Landlock does not check them):
 * in the project (the floor) and in a granted "ask" directory they work, with the kernel's own
 * errors for bad names, flags, sizes and missing files (compared with the same script run
 * bare); trusted.* and security.* are refused whoever runs airlock (a root supervisor could set
 * file capabilities); a secret, a read-only file and an ungranted one are refused and stay
 * without the attribute.
 */
TEST(xattrs_are_written_by_the_supervisor)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	const char *probe = e2e_helper("probe");
	e2e_write_file(e2e_path("%s/x.txt", f.proj), "x\n", 0644);
	char long_name[300];
	memset(long_name, 'n', sizeof(long_name) - 1);
	memcpy(long_name, "user.", 5);
	long_name[sizeof(long_name) - 1] = '\0';
	char script[8192];
	snprintf(script, sizeof(script),
		 "cd '%2$s'; ln -sf x.txt xl; for f in x.txt '%3$s/n.txt'; do "
		 "'%1$s' setxattr \"$f\" user.k v1; '%1$s' getxattr \"$f\" user.k; "
		 "'%1$s' setxattr \"$f\" user.k v2 c; '%1$s' setxattr \"$f\" user.new v r; "
		 "'%1$s' setxattr \"$f\" user.k v3 r; '%1$s' getxattr \"$f\" user.k; "
		 "'%1$s' setxattr \"$f\" user.k v 4; '%1$s' setxattr \"$f\" '' v; "
		 "'%1$s' setxattr \"$f\" '%4$s' v; '%1$s' bigxattr \"$f\" user.big 65537; "
		 "'%1$s' setxattr \"$f\" bogus.k v; '%1$s' setxattr \"$f\".missing user.k v; "
		 "'%1$s' removexattr \"$f\" user.k; '%1$s' removexattr \"$f\" user.k; done; "
		 "'%1$s' lsetxattr xl user.k v; '%1$s' setxattr xl user.via v; '%1$s' getxattr x.txt user.via",
		 probe, f.proj, NOTES, long_name);
	static struct e2e_result bare;
	ASSERT_EQ(0, e2e_exec(&bare, (const char *const[]){ "/bin/sh", "-c", script, NULL }));
	if (strstr(bare.out, "EOPNOTSUPP\nEOPNOTSUPP\n") && !strstr(bare.out, "ok v1"))
		SKIP("the test directory's filesystem has no user xattrs");
	ASSERT_CONTAINS(bare.out, "ok v1\nEEXIST\nENODATA\nok\nok v3\nEINVAL\nERANGE\nERANGE\nE2BIG\n"
				  "EOPNOTSUPP\nENOENT\nok\nENODATA\n");
	/* The bare run left its marks: start again from clean files. */
	e2e_write_file(e2e_path("%s/x.txt", f.proj), "x\n", 0644);
	unlink(e2e_path("%s/x.txt", f.proj));
	e2e_write_file(e2e_path("%s/x.txt", f.proj), "x\n", 0644);
	unlink(e2e_path("%s/n.txt", NOTES));
	e2e_write_file(e2e_path("%s/n.txt", NOTES), "note\n", 0644);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dirname_of(probe), "--ask", e2e_path("%s:rw", NOTES),
				 "--approve-cmd", approver, "--", "sh", "-c", script));
	ASSERT_STREQ(bare.out, r.out);

	/* Never trusted.* or security.*, even where the kernel would let the caller (root). */
	const char *x = e2e_path("%s/x.txt", f.proj);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dirname_of(probe), "--", "sh", "-c",
				 e2e_path("'%1$s' setxattr '%2$s' trusted.k v; '%1$s' setxattr '%2$s' "
					  "security.capability v; '%1$s' setxattr '%2$s' system.other v",
					  probe, x)));
	ASSERT_STREQ("EPERM\nEPERM\nEOPNOTSUPP\n", r.out);

	/* Negative twins: the secret, a read-only file, an ungranted file, a denied approval. */
	const char *ro = e2e_path("%s/ro.txt", NOTES);
	e2e_write_file(ro, "ro\n", 0644);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dirname_of(probe), "--read", NOTES, "--", "sh", "-c",
				 e2e_path("'%1$s' setxattr '%2$s' user.k v; '%1$s' setxattr '%3$s' user.k v; "
					  "'%1$s' removexattr '%2$s' user.k",
					  probe, f.secret, ro)));
	ASSERT_STREQ("EACCES\nEACCES\nEACCES\n", r.out);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dirname_of(probe), "--", probe, "setxattr", ro,
				 "user.k", "v"));
	ASSERT_STREQ("EACCES\n", r.out);
	make_approver("{\"decision\": \"deny\"}");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dirname_of(probe), "--ask", e2e_path("%s:rw", NOTES),
				 "--approve-cmd", approver, "--", probe, "setxattr", ro, "user.k", "v"));
	ASSERT_STREQ("EACCES\n", r.out);
	char v[16];
	ASSERT_EQ(-1, getxattr(f.secret, "user.k", v, sizeof(v)));
	ASSERT_EQ(-1, getxattr(ro, "user.k", v, sizeof(v)));
}

/*
 * "path_metadata": "deny" (--path-metadata deny, the strict profile) holds supervised as it
 * does --static: the path forms of chmod, chown, utimes and the xattr calls get EPERM even on a
 * file the sandbox may write, where the supervisor would otherwise perform them.
 */
TEST(path_metadata_deny_holds_supervised)
{
	setup();
	const char *probe = e2e_helper("probe"), *x = e2e_path("%s/m.txt", f.proj);
	e2e_write_file(x, "m\n", 0644);
	char script[PATH_MAX * 8];
	snprintf(script, sizeof(script),
		 "'%1$s' chmod '%2$s' 600; '%1$s' chown '%2$s' %3$u %4$u; '%1$s' utime '%2$s'; "
		 "'%1$s' setxattr '%2$s' user.k v; '%1$s' removexattr '%2$s' user.k; "
		 "'%1$s' append '%2$s' x",
		 probe, x, (unsigned)getuid(), (unsigned)getgid());
	const char *modes[][3] = { { "--path-metadata", "deny", "--quiet" }, { "-p", "strict", "--quiet" },
				   { "--path-metadata", "deny", "--static" } };
	char v[8];
	for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
		struct stat before, after;
		ASSERT_EQ(0, stat(x, &before));
		ASSERT_EQ(0, e2e_airlock(&r, "run", modes[i][0], modes[i][1], modes[i][2], "-x",
					 dirname_of(probe), "--write", f.proj, "--", "sh", "-c", script));
		/* The file itself is writable: the append (last) works. */
		ASSERT_STREQ("EPERM\nEPERM\nEPERM\nEPERM\nEPERM\nok\n", r.out);
		ASSERT_EQ(0, stat(x, &after));
		ASSERT_EQ(0644, after.st_mode & 07777);
		ASSERT_EQ(before.st_uid, after.st_uid);
		ASSERT_EQ(-1, getxattr(x, "user.k", v, sizeof(v)));
	}
}

TEST(audit_trail)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	const char *log = e2e_path("%s/audit.jsonl", f.root);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--audit", log, "--",
				 "sh", "-c", "cat \"$HOME/notes/n.txt\"; cat \"$HOME/.ssh/id_rsa\"; true"));
	char buf[65536];
	ASSERT_EQ(0, e2e_read_file(log, buf, sizeof(buf)));
	ASSERT_CONTAINS(buf, "\"result\":\"allow\"");
	ASSERT_CONTAINS(buf, "\"by\":\"approver\"");
	ASSERT_CONTAINS(buf, "\"result\":\"deny\"");
	ASSERT_CONTAINS(buf, "id_rsa");
	ASSERT_NOT_CONTAINS(buf, f.canary);
}

/* A hostile approver: slow, crashing, garbled. Each is a deny with its reason in the audit
 * trail, and the sandbox goes on. */
TEST(broken_approvers_deny)
{
	setup();
	const char *log = e2e_path("%s/broken.jsonl", f.root);
	const char *bad[] = {
		"sleep 30",
		"kill -SEGV $$",
		"echo '{not json'",
		"echo '{\"decision\": \"allow\", \"scope\": \"forever\"}'",
		"echo '{\"decision\": \"allow\", \"path\": \"/usr\"}'",
		"echo '{\"decision\": \"allow\"}'; exit 3",
	};
	snprintf(approver, sizeof(approver), "%s/bad.sh", f.root);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char script[256];
		snprintf(script, sizeof(script), "#!/bin/sh\ncat >/dev/null\n%s\n", bad[i]);
		e2e_write_file(approver, script, 0755);
		unlink(log);
		int st = e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--approve-timeout",
				     "1s", "--audit", log, "--", "sh", "-c", "cat \"$HOME/notes/n.txt\"; echo went-on");
		ASSERT_EQ(0, st);
		if (strstr(r.out, "note"))
			FAIL("approver '%s' granted access", bad[i]);
		ASSERT_CONTAINS(r.out, "went-on");
		char trail[8192];
		ASSERT_EQ(0, e2e_read_file(log, trail, sizeof(trail)));
		if (!strstr(trail, "\"by\":\"approver\"") || !strstr(trail, "\"reason\":\""))
			FAIL("approver '%s': the audit trail has no reason for the denial:\n%s", bad[i], trail);
	}
}

TEST(supervisor_denies_fifo_and_devices_through_grants)
{
	setup();
	ASSERT_EQ(0, mkfifo(e2e_path("%s/fifo", NOTES), 0644));
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	/* The supervisor never opens a FIFO for the sandbox: no hang, an error. */
	ASSERT_NE(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/fifo", NOTES)));
}

/* A file must not gain access by a new name: a hardlink of a read-only note (by rule, or by a
 * read grant) into the writable project is refused with EXDEV, and the note stays as it was. */
TEST(no_access_gained_by_a_new_name)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	const char *script = "rm -f ./n; ln \"$HOME/notes/n.txt\" ./n 2>&1; echo x >> ./n; cat \"$HOME/notes/n.txt\"";
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--read", NOTES, "--", "sh", "-c", script));
	ASSERT_CONTAINS(r.out, "Invalid cross-device link");
	ASSERT_CONTAINS(r.out, "note\n");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "sh", "-c", script));
	ASSERT_CONTAINS(r.out, "Invalid cross-device link");
	char buf[64];
	ASSERT_EQ(0, e2e_read_file(e2e_path("%s/n.txt", NOTES), buf, sizeof(buf)));
	ASSERT_STREQ("note\n", buf);
	/* mv across such a boundary still works: mv copies and removes, each checked. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", e2e_path("%s:rw", NOTES), "--approve-cmd", approver,
				 "--", "sh", "-c", "mv \"$HOME/notes/n.txt\" ./moved && cat ./moved"));
	ASSERT_STREQ("note\n", r.out);
	ASSERT_NE(0, access(e2e_path("%s/n.txt", NOTES), F_OK));
}

/* Unix sockets, supervised: the sandbox can create stream sockets, and where they connect or
 * bind is decided like any path. A socket outside the policy (a session bus, an agent) stays
 * out of reach; one in the project works; one under an "ask" rule needs the approver. */
TEST(unix_sockets_by_policy)
{
	setup();
	const char *outside = e2e_path("%s/bus.sock", f.root);
	const char *asked_sock = e2e_path("%s/agent.sock", NOTES);
	int l1 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), l2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a1 = { .sun_family = AF_UNIX }, a2 = { .sun_family = AF_UNIX };
	snprintf(a1.sun_path, sizeof(a1.sun_path), "%s", outside);
	snprintf(a2.sun_path, sizeof(a2.sun_path), "%s", asked_sock);
	ASSERT_EQ(0, bind(l1, (struct sockaddr *)&a1, sizeof(a1)));
	ASSERT_EQ(0, bind(l2, (struct sockaddr *)&a2, sizeof(a2)));
	ASSERT_EQ(0, listen(l1, 8));
	ASSERT_EQ(0, listen(l2, 8));
	const char *py =
		"import socket, sys\n"
		"def tryit(what, fam, typ, addr):\n"
		"    try:\n"
		"        s = socket.socket(fam, typ); s.connect(addr); print(what, 'connected')\n"
		"    except OSError as e:\n"
		"        print(what, e.errno)\n"
		"tryit('outside', socket.AF_UNIX, socket.SOCK_STREAM, sys.argv[1])\n"
		"tryit('asked', socket.AF_UNIX, socket.SOCK_STREAM, sys.argv[2])\n"
		"tryit('abstract', socket.AF_UNIX, socket.SOCK_STREAM, '\\0airlock-test-none')\n"
		"try:\n"
		"    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); print('dgram created')\n"
		"except OSError as e:\n"
		"    print('dgram', e.errno)\n"
		"import os\n"
		"if os.path.exists('p.sock'): os.unlink('p.sock')\n"
		"srv = socket.socket(socket.AF_UNIX); srv.bind('p.sock'); srv.listen()\n"
		"cli = socket.socket(socket.AF_UNIX); cli.connect('p.sock'); con, _ = srv.accept()\n"
		"cli.sendall(b'hi'); print('project', con.recv(2).decode())\n";
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--", "/usr/bin/python3", "-c", py, outside, asked_sock));
	ASSERT_STREQ("outside 13\nasked 13\nabstract 1\ndgram 13\nproject hi\n", r.out);
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	if (e2e_airlock(&r, "run", "--ask", e2e_path("%s:rw", NOTES), "--approve-cmd", approver, "--",
			"/usr/bin/python3", "-c", py, outside, asked_sock) != 0)
		FAIL("exit %d\nout: %s\nerr: %s", r.status, r.out, r.err);
	ASSERT_CONTAINS(r.out, "outside 13\nasked connected\n");
	/* Nothing reached the socket outside the policy; the asked one got exactly one. */
	fcntl(l1, F_SETFL, O_NONBLOCK);
	fcntl(l2, F_SETFL, O_NONBLOCK);
	ASSERT_GT(0, accept(l1, NULL, NULL));
	int c2 = accept(l2, NULL, NULL);
	ASSERT_GE(c2, 0);
	ASSERT_GT(0, accept(l2, NULL, NULL));
	/* --static: no mediation, so no Unix sockets at all. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--static", "--", "/usr/bin/python3", "-c",
				 "import socket\ntry:\n socket.socket(socket.AF_UNIX); print('created')\n"
				 "except OSError as e:\n print(e.errno)\n"));
	ASSERT_STREQ("13\n", r.out);
}

/* Nested: a second listener in the same filter chain is refused by the kernel (EBUSY); the inner
 * airlock says so and how to go on, and --static works inside. */
TEST(nested_supervisor_refused_clearly)
{
	setup();
	const char *bin = e2e_airlock_bin();
	char dir[PATH_MAX];
	if (bin[0] != '/')
		SKIP("AIRLOCK_BIN is not an absolute path");
	snprintf(dir, sizeof(dir), "%s", bin);
	*strrchr(dir, '/') = '\0';
	/* The inner airlock runs sandboxed: under ASan its leak check would need ptrace. */
	ASSERT_EQ(125, e2e_airlock(&r, "run", "-x", dir, "--env", "ASAN_OPTIONS=detect_leaks=0", "--",
				   bin, "run", "--", "true"));
	ASSERT_CONTAINS(r.err, "another seccomp listener");
	ASSERT_CONTAINS(r.err, "--static");
	ASSERT_EQ(0, e2e_airlock(&r, "run", "-x", dir, "--env", "ASAN_OPTIONS=detect_leaks=0", "--",
				 bin, "run", "--static", "--", "cat", "a.txt"));
	ASSERT_STREQ("hello\n", r.out);
}

/*
 * Regressions from review: a symlink to "$HOME/." makes a name-based operation act on $HOME's
 * entries; renaming a directory that holds a denied path carries it under the floor; chmod of
 * a rule's own path or a device; set-id bits; an oversized Unix address. Run from $HOME (the
 * project is $HOME, so no approver is needed for any of these to be tried).
 */
TEST(review_regressions)
{
	setup();
	e2e_mkdir(e2e_path("%s/.config", f.home), 0755);
	e2e_mkdir(e2e_path("%s/.config/gh", f.home), 0755);
	e2e_write_file(e2e_path("%s/.config/gh/hosts.yml", f.home), f.canary, 0600);
	struct stat before;
	ASSERT_EQ(0, stat(f.home, &before));
	ASSERT_EQ(0, chdir(f.home));
	const char *py =
		"import os, socket, errno, stat\n"
		"def t(what, fn):\n"
		"    try:\n"
		"        fn(); print(what, 'ok')\n"
		"    except OSError as e:\n"
		"        print(what, errno.errorcode[e.errno])\n"
		"os.symlink(os.environ['HOME'] + '/.', 'lnk'); os.mkdir('x')\n"
		"t('exchange', lambda: os.rename('x', 'lnk/'))\n"
		"t('chmod-dot', lambda: os.chmod('lnk', 0o777))\n"
		"t('move-config', lambda: os.rename('.config', 'c'))\n"
		"t('read-moved', lambda: open('c/gh/hosts.yml').read())\n"
		"t('read-secret', lambda: open('.ssh/id_rsa').read())\n"
		"open('notes/tool', 'w').close()\n"
		"os.chmod('notes/tool', 0o4755); print('mode', oct(os.stat('notes/tool').st_mode & 0o7777))\n"
		"t('chmod-devnull', lambda: os.chmod('/dev/null', 0o600))\n"
		"s = socket.socket(socket.AF_UNIX)\n"
		"t('long-addr', lambda: s.connect(b'A' * 107))\n";
	if (e2e_airlock(&r, "run", "--", "/usr/bin/python3", "-c", py) != 0)
		FAIL("exit %d\n%s\n%s", r.status, r.out, r.err);
	ASSERT_NOT_CONTAINS(r.out, "exchange ok");
	ASSERT_CONTAINS(r.out, "chmod-dot EPERM\n");
	ASSERT_CONTAINS(r.out, "move-config EXDEV\n");
	ASSERT_CONTAINS(r.out, "read-moved ENOENT\n");
	ASSERT_CONTAINS(r.out, "read-secret EACCES\n");
	ASSERT_CONTAINS(r.out, "mode 0o755\n");
	ASSERT_CONTAINS(r.out, "chmod-devnull EPERM\n");
	ASSERT_NOT_CONTAINS(r.out, "long-addr ok");
	ASSERT_NOT_CONTAINS(r.out, f.canary);
	struct stat after;
	ASSERT_EQ(0, stat(f.home, &after));
	ASSERT_EQ(before.st_mode, after.st_mode);
	ASSERT_EQ(0, access(e2e_path("%s/.config/gh/hosts.yml", f.home), F_OK));
	ASSERT_EQ(0, access(f.secret, F_OK));
}

/* A root-run sandbox keeps CAP_SETUID: a process that became another user is not served beyond
 * the floor with root's identity (the supervisor would open as root what it may not). */
TEST(changed_identity_not_served)
{
	if (geteuid() != 0)
		SKIP("needs root (only a root-run sandbox can change identity)");
	if (access("/usr/bin/setpriv", X_OK) != 0)
		SKIP("setpriv is not installed");
	setup();
	e2e_write_file(e2e_path("%s/private", NOTES), "root only\n", 0600);
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	/* As root the grant works; as uid 65534 the same grant does not open it for it. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/private", NOTES)));
	ASSERT_STREQ("root only\n", r.out);
	ASSERT_NE(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--",
				 "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat",
				 e2e_path("%s/private", NOTES)));
	ASSERT_NOT_CONTAINS(r.out, "root only");
}

/* A bind mount that shows a denied directory inside the floor (made by root before the run,
 * under a name with a space in it) is another name for the secret: still denied. */
TEST(bind_mount_of_secret_stays_denied)
{
	if (geteuid() != 0)
		SKIP("needs root to bind-mount");
	setup();
	const char *mp = e2e_path("%s/my keys", f.proj);
	e2e_mkdir(mp, 0755);
	if (mount(e2e_path("%s/.ssh", f.home), mp, NULL, MS_BIND, NULL) < 0)
		SKIP("bind mount: %m");
	int st = e2e_airlock(&r, "run", "--", "cat", "my keys/id_rsa");
	umount2(mp, MNT_DETACH);
	ASSERT_NE(0, st);
	ASSERT_NOT_CONTAINS(r.out, f.canary);
	ASSERT_CONTAINS(r.err, "is a mount where the floor reaches");
}

/* The exit report: what was denied and the flag that would allow it; JSON on request; quiet
 * with --quiet. */
TEST(exit_report)
{
	setup();
	const char *json = e2e_path("%s/report.json", f.root);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--report-json", json, "--", "sh", "-c",
				 "cat \"$HOME/notes/n.txt\"; echo x > \"$HOME/new.txt\"; cat \"$HOME/.ssh/id_rsa\"; true"));
	ASSERT_CONTAINS(r.err, "denied during this run (3)");
	ASSERT_CONTAINS(r.err, e2e_path("next time: --read %s/notes/n.txt", f.home));
	ASSERT_CONTAINS(r.err, e2e_path("next time: --write %s\n", f.home));
	ASSERT_CONTAINS(r.err, "(a deny rule; see: airlock why)");
	char buf[8192];
	ASSERT_EQ(0, e2e_read_file(json, buf, sizeof(buf)));
	ASSERT_CONTAINS(buf, e2e_path("{\"path\":\"%s/notes/n.txt\",\"access\":\"r\",\"by\":\"ask\","
				      "\"allow_with\":\"--read %s/notes/n.txt\"}", f.home, f.home));
	ASSERT_NOT_CONTAINS(buf, f.canary);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--quiet", "--", "sh", "-c", "cat \"$HOME/notes/n.txt\"; true"));
	ASSERT_NOT_CONTAINS(r.err, "denied during this run");
	/* Nothing denied: no summary, and an empty JSON list. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--report-json", json, "--", "cat", "a.txt"));
	ASSERT_NOT_CONTAINS(r.err, "denied during this run");
	ASSERT_EQ(0, e2e_read_file(json, buf, sizeof(buf)));
	ASSERT_STREQ("[]\n", buf);
}

/* On a kernel that cannot supervise (simulated), airlock says so and runs as --static: the
 * floor holds, nothing is asked, nothing beyond the floor is granted. */
TEST(no_supervisor_on_old_kernel)
{
	setup();
	make_approver("{\"decision\": \"allow\", \"scope\": \"session\"}");
	setenv("AIRLOCK_SECCOMP_NOTIFY", "0", 1);
	ASSERT_EQ(1, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/n.txt", NOTES)));
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--", "cat", "a.txt"));
	ASSERT_STREQ("hello\n", r.out);
	unsetenv("AIRLOCK_SECCOMP_NOTIFY");
	ASSERT_CONTAINS(r.err, "this kernel cannot supervise");
	ASSERT_NOT_CONTAINS(r.out, "note");
	ASSERT_EQ(0, n_asked());
	/* The twin, supervised. */
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--", "cat",
				 e2e_path("%s/n.txt", NOTES)));
	ASSERT_STREQ("note\n", r.out);
}

/* When the command ends, approvals still pending end with it: an approver that would take ten
 * minutes is killed, and airlock exits (this test's own timeout is two minutes). */
TEST(session_end_cancels_pending_approvals)
{
	setup();
	snprintf(approver, sizeof(approver), "%s/slow.sh", f.root);
	e2e_write_file(approver, "#!/bin/sh\nexec sleep 600\n", 0755);
	ASSERT_EQ(0, e2e_airlock(&r, "run", "--ask", NOTES, "--approve-cmd", approver, "--approve-timeout",
				 "10m", "--", "sh", "-c", "cat \"$HOME/notes/n.txt\" & sleep 0.2; exit 0"));
	ASSERT_NOT_CONTAINS(r.out, "note");
	/* The approver's sleep is gone too (its process group was killed). */
	ASSERT_NE(0, system("pgrep -f '[s]leep 600' >/dev/null"));
}

HARNESS_MAIN
