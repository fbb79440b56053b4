# ksearch: the two entry points every machine uses.
#   make run   installs dependencies, builds, and runs the demo campaign
#   make test  installs dependencies, builds, and runs the whole test suite
# The binaries people run (`make apps`, used by `make run`) are built in
# $(APPS_BUILD): Release with link-time optimization (KSEARCH_LTO), which cut
# the daemon's CPU per attempt by about a fifth (docs/bench-daemon.md). The
# test tree $(BUILD) is RelWithDebInfo without LTO, to keep CI's links fast,
# and with line tables only (-g1: backtraces keep file and line, gdb sees no
# local variables), which took a full build on 2 cores from 959 s to 707 s
# and the tree from 2.2 GB to 0.6 GB (docs/BENCHMARKS.md). Configure a tree of
# your own without TEST_CXX_FLAGS for full debug information.
BUILD ?= build
TEST_CXX_FLAGS ?= -O2 -g1 -DNDEBUG
APPS_BUILD ?= $(BUILD)-release
JOBS ?= $(shell nproc)

.PHONY: deps configure configure-apps build apps test run clean gpu-check

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$(TEST_CXX_FLAGS)" > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

configure-apps: deps
	@cmake -S . -B $(APPS_BUILD) -DCMAKE_BUILD_TYPE=Release -DKSEARCH_LTO=ON > $(APPS_BUILD).configure.log 2>&1 || (cat $(APPS_BUILD).configure.log; exit 1)

apps: configure-apps
	@cmake --build $(APPS_BUILD) -j $(JOBS) --target ksearch_apps

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE gpu

run: apps
	@BUILD=$(APPS_BUILD) scripts/demo

gpu-check:
	@scripts/gpu-check

clean:
	rm -rf $(BUILD) $(BUILD).configure.log $(APPS_BUILD) $(APPS_BUILD).configure.log
