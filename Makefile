# ksearch: the two entry points every machine uses.
#   make run   installs dependencies, builds, and runs the demo campaign
#   make test  installs dependencies, builds, and runs the whole test suite
# The binaries people run (`make apps`, used by `make run`) are built in
# $(APPS_BUILD): Release with link-time optimization (KSEARCH_LTO), which cut
# the daemon's CPU per attempt by about a fifth (docs/bench-daemon.md). The
# test tree $(BUILD) is RelWithDebInfo without LTO, to keep CI's links fast.
BUILD ?= build
APPS_BUILD ?= $(BUILD)-release
JOBS ?= $(shell nproc)

.PHONY: deps configure configure-apps build apps test run clean gpu-check

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

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
