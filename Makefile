# Convenience entry points; the build itself is Meson + ninja.
#   make          build (installing missing Debian packages when run as root)
#   make demo     build, then run a real program in the sandbox under the default profile
#   make check    build and run the whole test suite (also unprivileged and under ASan+UBSan)
#   make bench    benchmarks against a bare run and peer sandboxes
.PHONY: all build demo check bench install clean

all: build

build:
	@scripts/deps.sh build
	@[ -f build/build.ninja ] || meson setup build
	@ninja -C build

demo: build
	@scripts/demo

check:
	@scripts/check

bench: build
	@scripts/deps.sh bench
	@bench/run

install: build
	meson install -C build

clean:
	rm -rf build build-asan
