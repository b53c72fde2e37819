#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The installed tree as a program outside this one sees it. Usage: run.sh BUILDDIR (TAP out).
#
# Installs BUILDDIR into a staging directory with `meson install --destdir`, then builds
# examples/host-grant.c and examples/client-redeem.c there with nothing but what pkg-config says
# about the staged airlock and airlock-client: once against the shared libraries, once against
# the static ones (libairlock.a needs the libraries its Requires.private names). Then runs
# `host-grant FILE -- client-redeem FILE` on a file of a temporary $HOME: the default profile
# leaves it unreadable ("ask", and there is no approver) unless the token is redeemed, and the
# negative controls check that it is.
#
# Runs as root and as an unprivileged user who can read BUILDDIR but not write it. meson install
# writes its log beside meson-private, so it runs on a shadow of the build directory: the
# build's entries linked, its meson-private copied. The build directory is never written.
# KEEP=1 keeps the work directory (named in a TAP comment) for a look afterwards.
set -u

if [ $# -ne 1 ] || [ ! -f "$1/meson-private/install.dat" ]; then
	echo "Usage: $0 BUILDDIR (a configured and built Meson build directory)" >&2
	exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-cc}

echo "1..15"
n=0
failures=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failures=$((failures + 1))
	echo "not ok $n - $1"
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
# The output of the last step, as TAP comments.
show_log() {
	sed 's/^/# /' "$work/log"
}
bail() {
	echo "Bail out! $1"
	exit 1
}

work=$(mktemp -d "${AIRLOCK_TEST_TMP:-${TMPDIR:-/tmp}}/airlock-consumer-XXXXXX") ||
	bail "cannot make a temporary directory"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
[ -z "${KEEP:-}" ] || echo "# work directory: $work"
chmod 755 "$work"
# proj is the sandbox's working directory ($CWD: read-write-execute under the default profile),
# so the staged libraries and the programs built against them live there; home is $HOME.
proj=$work/proj
dest=$proj/dest
bin=$proj/bin
home=$work/home
mkdir -p "$proj" "$bin" "$home/notes" "$work/shadow/meson-logs" "$work/run"
chmod 700 "$work/run"

secret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
file=$home/notes/n.txt
other=$home/notes/other.txt
printf 'note %s\n' "$secret" >"$file"
printf 'other %s\n' "$secret" >"$other"
# Sessions see the fixture as their world, not the real user's configuration or sessions.
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_STATE_HOME="$home/.local/state"
export XDG_RUNTIME_DIR="$work/run"

# 1. Install.
for e in "$build"/* "$build"/.[!.]*; do
	[ -e "$e" ] || continue
	case ${e##*/} in meson-private | meson-logs) continue ;; esac
	ln -s "$e" "$work/shadow/"
done
cp -R "$build/meson-private" "$work/shadow/"
if meson install -C "$work/shadow" --no-rebuild --quiet --destdir "$dest" >"$work/log" 2>&1; then
	ok "meson install --destdir stages the build"
else
	not_ok "meson install --destdir stages the build"
	show_log
	bail "nothing to build against"
fi

pcfile=$(find "$dest" -name airlock.pc | head -n 1)
[ -n "$pcfile" ] || bail "the staged tree has no airlock.pc"
pcdir=${pcfile%/*}
libdir=${pcdir%/pkgconfig}
# The staged .pc files name the real prefix; the sysroot puts their -I and -L under $dest
# (those of the system packages that Requires.private names too, which then point at nothing
# and are ignored: the compiler still finds those in its default directories).
pc() {
	PKG_CONFIG_PATH="$pcdir" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config "$@"
}

missing=
for f in include/airlock/airlock.h include/airlock/airlock-client.h share/man/man1/airlock.1 \
	share/man/man3/libairlock.3 share/man/man3/airlock-client.3; do
	[ -n "$(find "$dest" -path "*/$f")" ] || missing="$missing $f"
done
for f in libairlock.so.0 libairlock.a libairlock-client.so.0 libairlock-client.a \
	airlock-client.pc; do
	[ -e "$libdir/$f" ] || [ -e "$pcdir/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then
	ok "the staged tree has both headers, libraries, pkg-config files and man pages"
else
	not_ok "the staged tree has both headers, libraries, pkg-config files and man pages"
	echo "# missing:$missing"
fi

version=$(meson introspect --projectinfo "$build" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
v1=$(pc --modversion airlock 2>&1)
v2=$(pc --modversion airlock-client 2>&1)
case "$(pc --cflags airlock airlock-client)" in
*"-I$dest/"*) staged=yes ;;
*) staged=no ;;
esac
if [ "$v1" = "$version" ] && [ "$v2" = "$version" ] && [ "$staged" = yes ]; then
	ok "pkg-config finds airlock and airlock-client $version in the staged tree"
else
	not_ok "pkg-config finds airlock and airlock-client $version in the staged tree"
	echo "# airlock: $v1; airlock-client: $v2; cflags under the staged tree: $staged"
fi

# The dynamic symbols a library defines, without its version nodes (type A).
exports() {
	nm -D --defined-only "$1" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }'
}
core=$(exports "$libdir/libairlock.so.0")
client=$(exports "$libdir/libairlock-client.so.0")
bad=$(printf '%s\n' "$core" | grep -Ev '^airlock_'
	printf '%s\n' "$core" | grep '^airlock_client_'
	printf '%s\n' "$client" | grep -Ev '^airlock_client_')
if [ -n "$core" ] && [ -n "$client" ] && [ -z "$bad" ]; then
	ok "libairlock exports only airlock_*, libairlock-client only airlock_client_*"
else
	not_ok "libairlock exports only airlock_*, libairlock-client only airlock_client_*"
	printf '%s\n' "$bad" | sed 's/^/# unexpected: /'
fi

# A build with sanitizers installs instrumented libraries: their users link the runtime.
cflags="-Wall -Wextra -Werror"
san=$(meson introspect --buildoptions "$build" |
	python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
# LeakSanitizer cannot work inside a sandbox (it needs ptrace), so the programs run there are
# told not to try; the host keeps its leak check.
inside=
if [ "$san" != none ]; then
	cflags="$cflags -fsanitize=$san"
	inside="env ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
# compile NAME SOURCE FLAGS...: build examples/SOURCE into $bin/NAME.
compile() {
	name=$1
	srcfile=$2
	shift 2
	# shellcheck disable=SC2086 # $cflags is a list of words
	$cc $cflags -o "$bin/$name" "$src/examples/$srcfile" "$@" >"$work/log" 2>&1
}
# The --static link line of package $1 with -l$2 turned into the archive itself: the
# linker would otherwise take the shared library that sits beside it.
static_libs() {
	for w in $(pc --static --libs "$1"); do
		if [ "$w" = "-l$2" ]; then
			printf '%s ' "-l:lib$2.a"
		else
			printf '%s ' "$w"
		fi
	done
}

# 2. Build.
# shellcheck disable=SC2046
if compile host-grant host-grant.c $(pc --cflags --libs airlock) &&
	needed "$bin/host-grant" | grep -qx 'libairlock\.so\.0'; then
	ok "host-grant.c builds against libairlock.so through pkg-config"
else
	not_ok "host-grant.c builds against libairlock.so through pkg-config"
	show_log
fi

# The sandbox drops LD_* from the environment, so the SDK library is found through the rpath.
# shellcheck disable=SC2046
if compile client-redeem client-redeem.c $(pc --cflags --libs airlock-client) \
	-Wl,-rpath,"$libdir" &&
	needed "$bin/client-redeem" | grep -qx 'libairlock-client\.so\.0' &&
	! needed "$bin/client-redeem" | grep -Eq 'libairlock\.so|seccomp|jansson|sodium'; then
	ok "client-redeem.c builds against libairlock-client.so alone through pkg-config"
else
	not_ok "client-redeem.c builds against libairlock-client.so alone through pkg-config"
	show_log
	needed "$bin/client-redeem" 2>&1 | sed 's/^/# needs /'
fi

# shellcheck disable=SC2046
if compile host-grant-static host-grant.c $(pc --cflags airlock) $(static_libs airlock airlock) &&
	! needed "$bin/host-grant-static" | grep -q 'libairlock'; then
	ok "host-grant.c links libairlock.a with pkg-config --static (Requires.private)"
else
	not_ok "host-grant.c links libairlock.a with pkg-config --static (Requires.private)"
	show_log
fi

# shellcheck disable=SC2046
if compile client-redeem-static client-redeem.c $(pc --cflags airlock-client) \
	$(static_libs airlock-client airlock-client) &&
	! needed "$bin/client-redeem-static" | grep -q 'libairlock'; then
	ok "client-redeem.c links libairlock-client.a with pkg-config --static"
else
	not_ok "client-redeem.c links libairlock-client.a with pkg-config --static"
	show_log
fi

# Public headers are for C++ programs too.
cxx=${CXX:-c++}
if command -v "$cxx" >/dev/null 2>&1; then
	# shellcheck disable=SC2046
	if printf '#include <airlock/airlock.h>\n#include <airlock/airlock-client.h>\n' |
		$cxx -Wall -Wextra -Werror -fsyntax-only -x c++ $(pc --cflags airlock airlock-client) - \
			>"$work/log" 2>&1; then
		ok "the public headers compile as C++"
	else
		not_ok "the public headers compile as C++"
		show_log
	fi
else
	skip "the public headers compile as C++" "no C++ compiler"
fi

# 3. Run. stdin is never a terminal here (on one, the command would get a pty of its own and
# its output would come back with \r\n). host-grant finds libairlock through LD_LIBRARY_PATH.
# run HOST CLIENT-ARGS...: host-grant FILE -- CLIENT-ARGS... in $proj; output in $work/out,
# messages in $work/log, the status in $status.
run() {
	host=$1
	shift
	# shellcheck disable=SC2086 # $inside is a command prefix, or nothing
	(cd "$proj" && LD_LIBRARY_PATH="$libdir" "$bin/$host" "$file" -- $inside "$@") \
		</dev/null >"$work/out" 2>"$work/log"
	status=$?
}
expect_note() {
	if [ "$status" -eq 0 ] && [ "$(cat "$work/out")" = "note $secret" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "# status $status; stdout:"
		sed 's/^/#   /' "$work/out"
		show_log
	fi
}
# expect_denied PATH MESSAGE: the command ran and its open of PATH was refused, and nothing of
# the fixture's contents came out.
expect_denied() {
	if [ "$status" -ne 0 ] && ! grep -q "$secret" "$work/out" &&
		grep -qF "Permission denied" "$work/log"; then
		# (not "$1: Permission denied" in one piece: airlock's notice of the denial goes to
		# the same stderr at the same moment and may land inside cat's line)
		ok "$2"
	else
		not_ok "$2"
		echo "# status $status; stdout:"
		sed 's/^/#   /' "$work/out"
		show_log
	fi
}

run host-grant cat "$file"
expect_denied "$file" "without the token the file is unreadable in the sandbox (negative control)"

run host-grant "$bin/client-redeem" "$file"
expect_note "host-grant FILE -- client-redeem FILE: redeemed, then a plain open() reads it"

run host-grant "$bin/client-redeem" --exec cat "$file"
expect_note "the grant survives exec: client-redeem --exec cat FILE"

run host-grant "$bin/client-redeem" "$other"
expect_denied "$other" "the token grants its file only, not the file beside it (negative control)"

run host-grant-static "$bin/client-redeem-static" "$file"
expect_note "statically linked: host-grant FILE -- client-redeem FILE"

# Outside a session the SDK says so, and nothing is read.
env -u AIRLOCK_SOCKET_FD "$bin/client-redeem" --token not-a-session-token "$file" \
	</dev/null >"$work/out" 2>"$work/log"
status=$?
if [ "$status" -ne 0 ] && grep -q 'not in an airlock session' "$work/log" &&
	[ ! -s "$work/out" ]; then
	ok "outside a session client-redeem fails with 'not in an airlock session'"
else
	not_ok "outside a session client-redeem fails with 'not in an airlock session'"
	echo "# status $status"
	show_log
fi

[ "$n" -eq 15 ] || echo "# ran $n tests, planned 15"
[ "$failures" -eq 0 ]
