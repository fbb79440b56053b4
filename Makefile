# ksearch: the two entry points every machine uses.
#   make run   installs dependencies, builds, and runs the demo campaign
#   make test  installs dependencies, builds, and runs the whole test suite
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: deps configure build test run clean gpu-check

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo > $(BUILD).configure.log 2>&1 || (cat $(BUILD).configure.log; exit 1)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE gpu

run: build
	@scripts/demo

gpu-check:
	@scripts/gpu-check

clean:
	rm -rf $(BUILD) $(BUILD).configure.log
