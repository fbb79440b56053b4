# ksearch: the two entry points every machine uses.
#   make run   installs dependencies, builds, and runs the demo campaign
#   make test  installs dependencies, builds, and runs the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps configure build apps test run clean gpu-check

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

apps: configure
	@cmake --build $(BUILD) -j $(JOBS) --target ksearch_apps

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE gpu

run: apps
	@BUILD=$(BUILD) scripts/demo

gpu-check:
	@scripts/gpu-check

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
