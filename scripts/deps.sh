#!/bin/sh
# Install what airlock needs to build and test, if it is missing (Debian 12 and derivatives).
# Usage: scripts/deps.sh [build|test|bench]   (default: test, which includes build)
set -eu

what=${1:-test}
pkgs="gcc pkg-config meson ninja-build python3 libseccomp-dev libjansson-dev libsodium-dev"
case "$what" in
build) ;;
test) pkgs="$pkgs git util-linux tmux procps clang libclang-rt-14-dev" ;;
bench) pkgs="$pkgs git bubblewrap firejail" ;;
*) echo "usage: $0 [build|test|bench]" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "airlock needs these Debian packages:$missing" >&2
	echo "install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
